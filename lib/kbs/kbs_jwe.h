/* The KBS resource response: a JWE in flattened JSON serialization
 * (RFC 7516 section 7.2.2) with ECDH-ES+A256KW key agreement (RFC 7518
 * section 4.6) and A256GCM content encryption, as Trustee produces it.
 *
 * Accepted: the members protected, encrypted_key, iv, ciphertext and tag,
 * in any order, each base64url without padding; unknown members such as
 * aad are ignored (Trustee never sends aad; the AAD is always the protected
 * member's characters exactly as received, never a re-serialized header).
 * Refused: the members header, unprotected and recipients (other
 * serializations), protected-header parameters zip, crit, apu and apv
 * (husk's key derivation has empty PartyUInfo/PartyVInfo), any alg or enc
 * but ECDH-ES+A256KW / A256GCM, an epk not of the key's curve or not on it.
 * Derived secrets (Z, KEK, CEK) are wiped before returning. */
#ifndef HUSK_KBS_JWE_H
#define HUSK_KBS_JWE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kbs/kbs.h"

/* A parsed JWE: spans into the caller's text for the five members (still
 * base64url) and the protected header's values, decoded. */
struct kbs_jwe_parts {
	const char *protected_b64, *ek_b64, *iv_b64, *ct_b64, *tag_b64;
	size_t protected_len, ek_len, iv_len, ct_len, tag_len;
	char header[KBS_JWE_HEADER_MAX]; /* the decoded protected header */
	size_t header_len;
	char alg[32];
	char enc[32];
	bool has_epk;
	char epk_kty[16];
	char epk_crv[16];
	bool has_x, has_y;
	uint8_t epk_x[KBS_EC_COORD_MAX];
	uint8_t epk_y[KBS_EC_COORD_MAX];
	size_t epk_x_len, epk_y_len;
};

/* Splits and checks the structure (not the values of alg, enc, epk, which
 * kbs_jwe_decrypt checks).  Errors: KBS_E_JSON*, KBS_E_SCHEMA (members),
 * KBS_E_JWE_FORMAT (protected not base64url), KBS_E_JWE_HEADER. */
int kbs_jwe_parse(const char *jwe, size_t len, struct kbs_jwe_parts *p, struct kbs_error *err);

/* Decrypts jwe[0..len) with key into out[0..out_max) and sets *out_len.
 * f_rng blinds the ECDH scalar multiplication.  On failure out[0..out_max)
 * holds nothing of the plaintext and *out_len is 0.  Errors: those of
 * kbs_jwe_parse, KBS_E_JWE_ALG, KBS_E_JWE_EPK, KBS_E_JWE_FORMAT (member
 * not base64url or of the wrong size), KBS_E_RESOURCE_SIZE (plaintext
 * larger than out_max), KBS_E_JWE_UNWRAP, KBS_E_JWE_TAG, KBS_E_CRYPTO. */
int kbs_jwe_decrypt(const struct kbs_key *key, kbs_rng_fn f_rng, void *p_rng, const char *jwe,
		    size_t len, uint8_t *out, size_t out_max, size_t *out_len, struct kbs_error *err);

/* NIST SP 800-56A Concat KDF with SHA-256 as RFC 7518 section 4.6.2 uses
 * it, one round (keybits <= 256):
 *   SHA-256(00000001 || Z || len(alg) || alg || len(apu) || apu || len(apv) || apv || keybits)
 * with 32-bit big-endian lengths; out receives keybits / 8 bytes.
 * HUSK_ERR_INVAL for keybits not a multiple of 8 in 8..256. */
int kbs_concat_kdf(const uint8_t *z, size_t z_len, const char *alg, const uint8_t *apu,
		   size_t apu_len, const uint8_t *apv, size_t apv_len, uint32_t keybits, uint8_t *out);

#endif
