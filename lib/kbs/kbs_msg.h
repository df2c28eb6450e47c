/* The KBS protocol 0.4.0 messages husk builds and reads (docs/kbs.md):
 * Request, Challenge, the runtime data and its SHA-384 (the binding of
 * nonce and key into the evidence), Attestation, the attestation result
 * and RFC 7807 error bodies; plus RFC 8785 (JCS) canonicalization, which
 * the runtime data must satisfy.  The session (kbs_session.c) strings
 * these together; they are separate for tests and fuzzing. */
#ifndef HUSK_KBS_MSG_H
#define HUSK_KBS_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "kbs/kbs.h"

/* The ephemeral key's `alg`, and the only JWE key management Trustee uses
 * with an EC key. */
#define KBS_JWE_ALG "ECDH-ES+A256KW"
#define KBS_JWE_ENC "A256GCM"

/* Checks a tee name: 1..KBS_TEE_NAME_MAX characters of [a-z0-9-]
 * (Trustee's names: sample, snp, tdx, az-snp-vtpm, ...).  KBS_E_ARG. */
int kbs_tee_check(const char *tee, struct kbs_error *err);

/* {"version":"0.4.0","tee":"<tee>","extra-params":""} */
int kbs_msg_request(const char *tee, char *out, size_t out_max, size_t *out_len,
		    struct kbs_error *err);

/* Reads {"nonce":"...","extra-params":...}.  The nonce must be what
 * Trustee sends: standard base64 with padding of 32 bytes (44 characters,
 * canonical), else KBS_E_NONCE.  extra-params may be absent or anything;
 * if it is an object naming a selected-hash-algorithm other than sha384,
 * KBS_E_HASH_ALG.  nonce receives the string, NUL-terminated. */
int kbs_msg_parse_challenge(const char *body, size_t len, char nonce[KBS_NONCE_B64_LEN + 1],
			    struct kbs_error *err);

/* The runtime data in JCS form, the text Trustee rebuilds and hashes:
 * {"additional-evidence":"","nonce":"<nonce>","tee-pubkey":{"alg":"ECDH-ES+A256KW",
 *  "crv":"P-256","kty":"EC","x":"<b64url>","y":"<b64url>"}}   (one line) */
int kbs_runtime_data(const char *nonce, const struct kbs_key *key, char *out, size_t out_max,
		     size_t *out_len, struct kbs_error *err);

/* SHA-384 of kbs_runtime_data's text. */
int kbs_runtime_digest(const char *nonce, const struct kbs_key *key,
		       uint8_t digest[KBS_DIGEST_BYTES], struct kbs_error *err);

/* The Attestation is written in two parts so that the evidence callback
 * can write straight into the request buffer between them:
 *   head: {"runtime-data":{"nonce":"<nonce>","tee-pubkey":{<as above>}},
 *          "tee-evidence":{"primary_evidence":
 *   (evidence)
 *   tail: ,"additional_evidence":""}}
 * No init-data member.  head writes out[0..) and sets *len; tail appends at
 * out[*len] and advances *len; both keep out NUL-terminated.
 * KBS_E_REQ_SIZE if out_max is too small. */
int kbs_msg_attestation_head(const char *nonce, const struct kbs_key *key, char *out,
			     size_t out_max, size_t *len, struct kbs_error *err);
int kbs_msg_attestation_tail(char *out, size_t out_max, size_t *len, struct kbs_error *err);
#define KBS_MSG_ATTESTATION_TAIL_LEN 27 /* strlen(",\"additional_evidence\":\"\"}}") */

/* Reads {"token":"<JWT>"}: an object whose token member is a non-empty
 * string (the JWT itself is not verified; the session works on the
 * cookie).  KBS_E_TOKEN; *token_len is the unescaped length. */
int kbs_msg_parse_attest_response(const char *body, size_t len, size_t *token_len,
				  struct kbs_error *err);

/* An RFC 7807 error body {"type":"...","detail":"..."}, both members
 * optional but not both absent, reduced to printable ASCII for a log. */
struct kbs_problem {
	char type[KBS_ERR_TEXT_MAX];
	char detail[KBS_ERR_TEXT_MAX];
};
int kbs_msg_parse_error(const char *body, size_t len, struct kbs_problem *pb,
			struct kbs_error *err);

/* RFC 8785 canonical form of json[0..len): keys sorted by UTF-16 code
 * units at every level, no whitespace, JCS string escaping.  Numbers must
 * be integers of magnitude at most 2^53 (anything else would need ES6
 * double formatting; KBS_E_JCS).  Duplicate keys are refused. */
int kbs_jcs_canonicalize(const char *json, size_t len, char *out, size_t out_max, size_t *out_len,
			 struct kbs_error *err);

#endif
