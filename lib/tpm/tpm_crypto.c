/* Hashes, HMAC, KDFa/KDFe and AES-CFB for the TPM engine; see tpm_crypto.h. */
#include <string.h>

#include "crypto/crypto.h"
#include "mbedtls/aes.h"
#include "tpm/tpm_crypto.h"

static bool hash_begin(struct tpm_hash *h, uint16_t alg)
{
	int ret;

	switch (alg) {
	case TPM_ALG_SHA1:
		mbedtls_sha1_init(&h->u.sha1);
		ret = mbedtls_sha1_starts(&h->u.sha1);
		break;
	case TPM_ALG_SHA256:
		mbedtls_sha256_init(&h->u.sha256);
		ret = mbedtls_sha256_starts(&h->u.sha256, 0);
		break;
	case TPM_ALG_SHA384:
	case TPM_ALG_SHA512:
		mbedtls_sha512_init(&h->u.sha512);
		ret = mbedtls_sha512_starts(&h->u.sha512, alg == TPM_ALG_SHA384);
		break;
	default:
		return false;
	}
	return ret == 0;
}

static void hash_update(struct tpm_hash *h, const void *p, size_t len)
{
	switch (h->alg) {
	case TPM_ALG_SHA1: mbedtls_sha1_update(&h->u.sha1, p, len); break;
	case TPM_ALG_SHA256: mbedtls_sha256_update(&h->u.sha256, p, len); break;
	default: mbedtls_sha512_update(&h->u.sha512, p, len); break;
	}
}

static void hash_final(struct tpm_hash *h, uint8_t *out)
{
	switch (h->alg) {
	case TPM_ALG_SHA1: mbedtls_sha1_finish(&h->u.sha1, out); break;
	case TPM_ALG_SHA256: mbedtls_sha256_finish(&h->u.sha256, out); break;
	default: mbedtls_sha512_finish(&h->u.sha512, out); break;
	}
}

tpm_rc tpm_hash_start(struct tpm_hash *h, uint16_t alg)
{
	h->active = false;
	h->hmac = false;
	h->alg = alg;
	if (!hash_begin(h, alg))
		return TPM_RC_HASH;
	h->active = true;
	return TPM_RC_SUCCESS;
}

tpm_rc tpm_hmac_start(struct tpm_hash *h, uint16_t alg, const void *key, size_t key_len)
{
	uint16_t block = tpm_hash_block_size(alg);
	uint8_t k0[TPM_MAX_HASH_BLOCK] = { 0 };
	tpm_rc rc;

	if (!block)
		return TPM_RC_HASH;
	/* K0: the key, hashed first if longer than a block, zero padded. */
	if (key_len > block) {
		struct tpm_part part = { key, key_len };

		rc = tpm_hash_parts(alg, &part, 1, k0);
		if (rc)
			return rc;
	} else if (key_len) {
		memcpy(k0, key, key_len);
	}
	rc = tpm_hash_start(h, alg);
	if (rc)
		return rc;
	for (uint16_t i = 0; i < block; i++) {
		h->opad_key[i] = k0[i] ^ 0x5c;
		k0[i] ^= 0x36;
	}
	hash_update(h, k0, block);
	crypto_wipe(k0, sizeof(k0));
	h->hmac = true;
	return TPM_RC_SUCCESS;
}

void tpm_hash_update(struct tpm_hash *h, const void *p, size_t len)
{
	if (h->active && len)
		hash_update(h, p, len);
}

void tpm_hash_finish(struct tpm_hash *h, uint8_t *out)
{
	if (!h->active)
		return;
	hash_final(h, out);
	if (h->hmac) {
		uint16_t block = tpm_hash_block_size(h->alg), size = tpm_hash_size(h->alg);

		/* outer = H((K0 ^ opad) || inner) */
		hash_begin(h, h->alg);
		hash_update(h, h->opad_key, block);
		hash_update(h, out, size);
		hash_final(h, out);
	}
	tpm_hash_free(h);
}

void tpm_hash_free(struct tpm_hash *h)
{
	crypto_wipe(h, sizeof(*h));
}

tpm_rc tpm_hash_parts(uint16_t alg, const struct tpm_part *parts, size_t n, uint8_t *out)
{
	struct tpm_hash h;
	tpm_rc rc = tpm_hash_start(&h, alg);

	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++)
		tpm_hash_update(&h, parts[i].p, parts[i].len);
	tpm_hash_finish(&h, out);
	return TPM_RC_SUCCESS;
}

tpm_rc tpm_hmac_parts(uint16_t alg, const void *key, size_t key_len, const struct tpm_part *parts,
		      size_t n, uint8_t *out)
{
	struct tpm_hash h;
	tpm_rc rc = tpm_hmac_start(&h, alg, key, key_len);

	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++)
		tpm_hash_update(&h, parts[i].p, parts[i].len);
	tpm_hash_finish(&h, out);
	return TPM_RC_SUCCESS;
}

tpm_rc tpm_hash_buf(uint16_t alg, const void *p, size_t len, struct tpm2b_digest *out)
{
	struct tpm_part part = { p, len };
	tpm_rc rc = tpm_hash_parts(alg, &part, 1, out->b);

	out->size = rc ? 0 : tpm_hash_size(alg);
	return rc;
}

tpm_rc tpm_kdfa(uint16_t alg, const void *key, size_t key_len, const char *label,
		const void *ctx_u, size_t u_len, const void *ctx_v, size_t v_len, uint32_t bits,
		uint8_t *out)
{
	uint16_t hlen = tpm_hash_size(alg);
	size_t bytes = (bits + 7) / 8, done = 0;
	uint8_t counter[4], bits_be[4], block[TPM_MAX_DIGEST];

	if (!hlen)
		return TPM_RC_HASH;
	tpm_put_be32(bits_be, bits);
	for (uint32_t i = 1; done < bytes; i++) {
		struct tpm_part parts[] = {
			{ counter, 4 }, { label, strlen(label) + 1 }, { ctx_u, u_len },
			{ ctx_v, v_len }, { bits_be, 4 },
		};
		size_t n = bytes - done < hlen ? bytes - done : hlen;
		tpm_rc rc;

		tpm_put_be32(counter, i);
		rc = tpm_hmac_parts(alg, key, key_len, parts, 5, block);
		if (rc)
			return rc;
		memcpy(out + done, block, n);
		done += n;
	}
	/* A bit count that is not a multiple of 8 keeps only the low bits of
	 * the first byte (the spec's output is the rightmost bits). */
	if (bits % 8)
		out[0] &= (uint8_t)((1u << (bits % 8)) - 1);
	memset(block, 0, sizeof(block));
	return TPM_RC_SUCCESS;
}

tpm_rc tpm_kdfe(uint16_t alg, const void *z, size_t z_len, const char *label,
		const void *party_u, size_t u_len, const void *party_v, size_t v_len, uint32_t bits,
		uint8_t *out)
{
	uint16_t hlen = tpm_hash_size(alg);
	size_t bytes = (bits + 7) / 8, done = 0;
	uint8_t counter[4], block[TPM_MAX_DIGEST];

	if (!hlen)
		return TPM_RC_HASH;
	for (uint32_t i = 1; done < bytes; i++) {
		struct tpm_part parts[] = {
			{ counter, 4 }, { z, z_len }, { label, strlen(label) + 1 },
			{ party_u, u_len }, { party_v, v_len },
		};
		size_t n = bytes - done < hlen ? bytes - done : hlen;
		tpm_rc rc;

		tpm_put_be32(counter, i);
		rc = tpm_hash_parts(alg, parts, 5, block);
		if (rc)
			return rc;
		memcpy(out + done, block, n);
		done += n;
	}
	if (bits % 8)
		out[0] &= (uint8_t)((1u << (bits % 8)) - 1);
	memset(block, 0, sizeof(block));
	return TPM_RC_SUCCESS;
}

tpm_rc tpm_aes_cfb(const uint8_t *key, uint16_t key_bits, uint8_t iv[16], bool encrypt,
		   uint8_t *data, size_t len)
{
	mbedtls_aes_context aes;
	size_t off = 0;
	int ret;

	if (key_bits != 128 && key_bits != 256)
		return TPM_RC_KEY_SIZE;
	mbedtls_aes_init(&aes);
	/* CFB uses the forward cipher in both directions. */
	ret = mbedtls_aes_setkey_enc(&aes, key, key_bits);
	if (!ret && len)
		ret = mbedtls_aes_crypt_cfb128(&aes, encrypt ? MBEDTLS_AES_ENCRYPT : MBEDTLS_AES_DECRYPT,
					       len, &off, iv, data, data);
	mbedtls_aes_free(&aes);
	return ret ? TPM_RC_FAILURE : TPM_RC_SUCCESS;
}

int tpm_ct_compare(const void *a, const void *b, size_t len)
{
	const uint8_t *x = a, *y = b;
	uint8_t diff = 0;

	for (size_t i = 0; i < len; i++)
		diff |= x[i] ^ y[i];
	return diff;
}
