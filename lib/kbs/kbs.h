/* The KBS client core: husk's side of Trustee's Key Broker Service protocol
 * 0.4.0 ("RCAR": Request, Challenge, Attestation, Response), as described in
 * docs/kbs.md, "The client inside husk".
 *
 * husk has no network.  The HTTP exchange is the caller's transport callback
 * (in the kernel: a forwarding proxy on the host that also keeps the session
 * cookie, so this library has no cookie logic).  Everything that comes back
 * through it is hostile: bodies are size-limited, parsed strictly (jsmn plus
 * a grammar check, kbs_json.h), and every failure names what was wrong in a
 * struct kbs_error.
 *
 * Portable: built freestanding for the kernel and hosted for tools, unit
 * tests and fuzzers.  No allocation of its own: the session carries fixed
 * buffers, mbedTLS allocates through whatever crypto_init() installed.
 * Randomness comes from the caller (an mbedTLS-style f_rng).  Not
 * thread-safe: one session per thread, or a caller-held lock. */
#ifndef HUSK_KBS_H
#define HUSK_KBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- Wire and format limits ---- */

#define KBS_PROTOCOL_VERSION "0.4.0" /* the only version Trustee accepts (exact match) */
#define KBS_TEE_NAME_MAX     31      /* longest `tee` string sent; [a-z0-9-] only */
#define KBS_NONCE_BYTES      32      /* Trustee's challenge nonce: 32 random bytes ... */
#define KBS_NONCE_B64_LEN    44      /* ... as standard base64 with padding */
#define KBS_DIGEST_BYTES     48      /* SHA-384 of the runtime data (every TEE but IBM se) */
#define KBS_EC_COORD_MAX     66      /* field size of P-521; P-256 uses 32 */
#define KBS_REQ_MAX          32768   /* largest request body built (the Attestation) */
#define KBS_RSP_MAX          32768   /* largest response body accepted from the transport */
#define KBS_EVIDENCE_MAX     24576   /* most an evidence callback may write */
#define KBS_JSON_TEXT_MAX    65536   /* largest JSON text the parser takes */
#define KBS_JSON_MAX_TOKENS  64      /* jsmn tokens per document (responses are small) */
#define KBS_JSON_MAX_DEPTH   8       /* nesting of objects and arrays */
#define KBS_JWE_HEADER_MAX   1024    /* decoded JWE protected header */
#define KBS_JWE_EK_BYTES     40      /* AES-256-KW of a 32-byte CEK */
#define KBS_JWE_CEK_BYTES    32
#define KBS_JWE_IV_BYTES     12      /* A256GCM */
#define KBS_JWE_TAG_BYTES    16
#define KBS_RESOURCE_PATH_MAX 192    /* "repository/type/tag", without the prefix */
#define KBS_SAMPLE_EXTRA_MAX 256     /* extra member value of the sample evidence */
#define KBS_ERR_MSG_MAX      256
#define KBS_ERR_TEXT_MAX     120     /* server-supplied text kept in an error message */

/* ---- Errors ----
 *
 * Every function that can fail returns 0 (HUSK_OK) or a husk_err code
 * (include/husk/err.h) and, when given a struct kbs_error, fills it: code
 * says which check failed (stable, for tests and callers), msg says it in
 * words ("kbs: /attest answered 401: AttestationError: ...").  Text that
 * came from the server is reduced to printable ASCII and truncated. */
enum kbs_ecode {
	KBS_E_NONE = 0,
	KBS_E_ARG,           /* bad argument from the caller */
	KBS_E_STATE,         /* call out of order (resource before attestation) */
	KBS_E_TRANSPORT,     /* the transport callback failed or broke its contract */
	KBS_E_HTTP,          /* status other than 200 */
	KBS_E_RSP_SIZE,      /* response body empty or larger than KBS_RSP_MAX */
	KBS_E_JSON,          /* not one well-formed JSON value */
	KBS_E_JSON_LIMIT,    /* too many tokens or nested too deep */
	KBS_E_SCHEMA,        /* member missing, duplicated, of the wrong type or too long */
	KBS_E_NONCE,         /* challenge nonce not 32 bytes of standard base64 */
	KBS_E_HASH_ALG,      /* challenge asks for a hash other than SHA-384 */
	KBS_E_TOKEN,         /* attestation result without a token */
	KBS_E_EVIDENCE,      /* evidence callback failed or wrote nonsense */
	KBS_E_REQ_SIZE,      /* request body would exceed its buffer */
	KBS_E_CRYPTO,        /* key generation, RNG, hashing or allocation failed */
	KBS_E_B64,           /* base64 malformed */
	KBS_E_JCS,           /* value JCS canonicalization does not support */
	KBS_E_JWE_FORMAT,    /* JWE member not base64url or of the wrong length */
	KBS_E_JWE_HEADER,    /* protected header malformed or using unsupported parameters */
	KBS_E_JWE_ALG,       /* alg is not ECDH-ES+A256KW or enc is not A256GCM */
	KBS_E_JWE_EPK,       /* ephemeral key: wrong type or curve, bad size, not on the curve */
	KBS_E_JWE_UNWRAP,    /* AES key unwrap integrity check failed */
	KBS_E_JWE_TAG,       /* GCM tag mismatch */
	KBS_E_RESOURCE_PATH, /* resource path not repository/type/tag of allowed characters */
	KBS_E_RESOURCE_SIZE, /* resource larger than the caller's buffer */
	KBS_E__COUNT
};

struct kbs_error {
	enum kbs_ecode code;
	char msg[KBS_ERR_MSG_MAX];
};

/* Stable name of a code ("KBS_E_JWE_TAG"), "?" for out-of-range values. */
const char *kbs_ecode_name(enum kbs_ecode code);

/* ---- Randomness ----
 * mbedTLS' f_rng convention: fill out[0..len) and return 0, or return a
 * negative mbedTLS error code.  crypto_drbg_rng with a struct crypto_drbg
 * is the kernel's choice. */
typedef int (*kbs_rng_fn)(void *p_rng, unsigned char *out, size_t len);

/* ---- The ephemeral TEE key ---- */

enum kbs_curve {
	KBS_CURVE_P256 = 0, /* the default, as guest-components */
	KBS_CURVE_P521,     /* as COCONUT-SVSM; P-384 is not offered: Trustee cannot encrypt to it */
};

/* An EC key pair for ECDH-ES+A256KW, all values big-endian and left-padded
 * to the field size (kbs_curve_bytes).  d is secret: kbs_key_wipe. */
struct kbs_key {
	enum kbs_curve curve;
	bool valid;
	uint8_t d[KBS_EC_COORD_MAX];
	uint8_t x[KBS_EC_COORD_MAX];
	uint8_t y[KBS_EC_COORD_MAX];
};

const char *kbs_curve_name(enum kbs_curve curve); /* "P-256", "P-521"; NULL if unknown */
size_t kbs_curve_bytes(enum kbs_curve curve);     /* 32, 66; 0 if unknown */

/* Generates a fresh key pair.  Errors: HUSK_ERR_INVAL (KBS_E_ARG),
 * HUSK_ERR_NOMEM / HUSK_ERR_CRYPTO (KBS_E_CRYPTO, also when f_rng fails). */
int kbs_key_generate(struct kbs_key *key, enum kbs_curve curve, kbs_rng_fn f_rng, void *p_rng,
		     struct kbs_error *err);

/* Loads a private scalar (d_len must be the field size) and computes the
 * public point.  For tests and known-answer checks. */
int kbs_key_load(struct kbs_key *key, enum kbs_curve curve, const uint8_t *d, size_t d_len,
		 kbs_rng_fn f_rng, void *p_rng, struct kbs_error *err);

void kbs_key_wipe(struct kbs_key *key);

/* ---- Transport ----
 *
 * One HTTP exchange through the proxy.  method is "GET" or "POST"; path is
 * absolute ("/kbs/v0/auth"); body is NULL with body_len 0 for GET.  The
 * callback stores the HTTP status and copies the response body into
 * rsp[0..rsp_max), setting *rsp_len.  Returns 0 or a husk_err code; a body
 * that does not fit in rsp_max bytes must be refused with HUSK_ERR_RANGE
 * (reported as KBS_E_RSP_SIZE), never truncated.  The proxy keeps the
 * kbs-session-id cookie between calls of one session. */
struct kbs_transport {
	int (*exchange)(void *ctx, const char *method, const char *path, const uint8_t *body,
			size_t body_len, uint16_t *status, uint8_t *rsp, size_t rsp_max, size_t *rsp_len);
	void *ctx;
};

/* ---- Evidence ----
 *
 * Writes the value of tee-evidence.primary_evidence (one JSON value, no
 * NUL) for the given runtime-data digest into out[0..out_max), sets
 * *out_len and returns 0; or returns a husk_err code and may say why in
 * err->msg.  The caller's code, so trusted to write JSON; the session still
 * checks the length and that no NUL byte is in it. */
typedef int (*kbs_evidence_fn)(void *ctx, const uint8_t digest[KBS_DIGEST_BYTES], char *out,
			       size_t out_max, size_t *out_len, struct kbs_error *err);

/* The `sample` TEE's evidence (Trustee's sample verifier):
 *   {"svn":"1","report_data":"<standard base64 of the 48 digest bytes>"}
 * plus, if extra_name is set, one more string member, e.g.
 *   "husk-measurement":"<hex>".
 * extra_name must match [A-Za-z0-9_.-]{1,64} and not be svn or report_data;
 * extra_value (required with extra_name) is printable ASCII of at most
 * KBS_SAMPLE_EXTRA_MAX bytes and is JSON-escaped.  ctx may be NULL. */
struct kbs_sample_evidence {
	const char *extra_name;
	const char *extra_value;
};

int kbs_evidence_sample(void *ctx /* const struct kbs_sample_evidence * or NULL */,
			const uint8_t digest[KBS_DIGEST_BYTES], char *out, size_t out_max, size_t *out_len,
			struct kbs_error *err);

/* ---- The session ----
 *
 * kbs_session_init, then kbs_attest (POST /kbs/v0/auth, POST
 * /kbs/v0/attest), then kbs_get_resource as often as needed: every resource
 * is encrypted to the one ephemeral key of the last successful attestation.
 * kbs_attest may be called again (new key, new nonce); a failed attestation
 * leaves the session unattested.  kbs_session_wipe ends it.  The struct is
 * large (about 64 KiB, the request and response buffers): allocate it, do
 * not put it on a kernel stack. */
struct kbs_session {
	struct kbs_transport transport;
	kbs_rng_fn f_rng;
	void *p_rng;
	bool attested;
	struct kbs_key key;
	char nonce[KBS_NONCE_B64_LEN + 1];
	char req[KBS_REQ_MAX];
	uint8_t rsp[KBS_RSP_MAX];
};

struct kbs_attest_params {
	const char *tee;           /* "sample", "snp", ...: [a-z0-9-]{1,31} */
	enum kbs_curve curve;      /* of the ephemeral key */
	kbs_evidence_fn evidence;  /* writes primary_evidence */
	void *evidence_ctx;
};

/* Transport and rng are copied (the contexts they point to must outlive the
 * session).  HUSK_ERR_INVAL for NULL arguments. */
int kbs_session_init(struct kbs_session *s, const struct kbs_transport *t, kbs_rng_fn f_rng,
		     void *p_rng);

/* Authenticates and attests: sends the Request, checks the Challenge,
 * makes a fresh key, binds nonce and key into the runtime-data digest, asks
 * the evidence callback for evidence over it and sends the Attestation; the
 * answer must be 200 with a token.  See docs/kbs.md for every message. */
int kbs_attest(struct kbs_session *s, const struct kbs_attest_params *p, struct kbs_error *err);

/* GET /kbs/v0/resource/<path> and decrypt the JWE into out[0..out_max).
 * path is "repository/type/tag", each segment [A-Za-z0-9_-][A-Za-z0-9_.-]*.
 * On failure out is wiped and *out_len is 0. */
int kbs_get_resource(struct kbs_session *s, const char *path, uint8_t *out, size_t out_max,
		     size_t *out_len, struct kbs_error *err);

/* Wipes the key and all buffers; the session must be initialised again. */
void kbs_session_wipe(struct kbs_session *s);

#endif
