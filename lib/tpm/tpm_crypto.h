/* The TPM engine's cryptographic building blocks on mbedTLS: hashes, HMAC,
 * the TPM key-derivation functions (KDFa: SP 800-108 counter mode with HMAC;
 * KDFe: SP 800-56A concatenation KDF) and AES in CFB mode, all selected by
 * TPM algorithm IDs. */
#ifndef HUSK_TPM_CRYPTO_H
#define HUSK_TPM_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "mbedtls/sha1.h"
#include "mbedtls/sha256.h"
#include "mbedtls/sha512.h"
#include "tpm/tpm_types.h"

/* A running hash or HMAC.  mbedTLS's plain digest contexts: no allocation
 * per hash (commands hash a lot), and no pointers, so a sequence's state can
 * be saved and restored byte for byte (ContextSave of sequences). */
struct tpm_hash {
	union {
		mbedtls_sha1_context sha1;
		mbedtls_sha256_context sha256;
		mbedtls_sha512_context sha512;
	} u;
	uint8_t opad_key[TPM_MAX_HASH_BLOCK]; /* HMAC: K0 ^ opad, for the outer hash */
	uint16_t alg;
	bool hmac;
	bool active;
};

/* A piece of a message, for the one-shot helpers. */
struct tpm_part {
	const void *p;
	size_t len;
};

/* TPM_RC_HASH for an unsupported algorithm.  HMAC is RFC 2104 over these
 * contexts. */
tpm_rc tpm_hash_start(struct tpm_hash *h, uint16_t alg);
tpm_rc tpm_hmac_start(struct tpm_hash *h, uint16_t alg, const void *key, size_t key_len);
void tpm_hash_update(struct tpm_hash *h, const void *p, size_t len);
/* Writes tpm_hash_size(alg) bytes and frees the context. */
void tpm_hash_finish(struct tpm_hash *h, uint8_t *out);
void tpm_hash_free(struct tpm_hash *h);

tpm_rc tpm_hash_parts(uint16_t alg, const struct tpm_part *parts, size_t n, uint8_t *out);
tpm_rc tpm_hmac_parts(uint16_t alg, const void *key, size_t key_len, const struct tpm_part *parts,
		      size_t n, uint8_t *out);
tpm_rc tpm_hash_buf(uint16_t alg, const void *p, size_t len, struct tpm2b_digest *out);

/* KDFa(hashAlg, key, label, contextU, contextV, bits): out gets
 * ceil(bits / 8) bytes.  label is a NUL-terminated string whose NUL is part
 * of the input, as the spec requires. */
tpm_rc tpm_kdfa(uint16_t alg, const void *key, size_t key_len, const char *label,
		const void *ctx_u, size_t u_len, const void *ctx_v, size_t v_len, uint32_t bits,
		uint8_t *out);
/* KDFe(hashAlg, Z, label, partyUInfo, partyVInfo, bits). */
tpm_rc tpm_kdfe(uint16_t alg, const void *z, size_t z_len, const char *label,
		const void *party_u, size_t u_len, const void *party_v, size_t v_len, uint32_t bits,
		uint8_t *out);

/* AES in CFB-128 mode (key_bits 128 or 256), in place; iv is updated to the
 * chaining value after the operation. */
tpm_rc tpm_aes_cfb(const uint8_t *key, uint16_t key_bits, uint8_t iv[16], bool encrypt,
		   uint8_t *data, size_t len);

/* Constant-time comparison: 0 if equal. */
int tpm_ct_compare(const void *a, const void *b, size_t len);

#endif
