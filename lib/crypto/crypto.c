/* Portable glue between husk and mbedTLS: allocator, error mapping, the CTR_DRBG wrapper. */
#include <string.h>

#include "crypto/crypto.h"
#include "husk/compiler.h"
#include "husk/err.h"

#include "mbedtls/aes.h"
#include "mbedtls/asn1.h"
#include "mbedtls/bignum.h"
#include "mbedtls/cipher.h"
#include "mbedtls/ctr_drbg.h"
#include "mbedtls/ecp.h"
#include "mbedtls/gcm.h"
#include "mbedtls/hkdf.h"
#include "mbedtls/hmac_drbg.h"
#include "mbedtls/md.h"
#include "mbedtls/platform.h"
#include "mbedtls/platform_util.h"
#include "mbedtls/rsa.h"
#include "mbedtls/sha1.h"
#include "mbedtls/sha256.h"
#include "mbedtls/sha512.h"

int crypto_init(crypto_calloc_fn calloc_fn, crypto_free_fn free_fn)
{
	if (!calloc_fn || !free_fn)
		return HUSK_ERR_INVAL;
	mbedtls_platform_set_calloc_free(calloc_fn, free_fn);
	return HUSK_OK;
}

void crypto_wipe(void *p, size_t len)
{
	mbedtls_platform_zeroize(p, len);
}

/* mbedTLS error codes are negative; a high-level module's code (bits 7-14)
 * may be added to the low-level code (bits 0-6) that caused it. */
int crypto_err_from_mbedtls(int mbedtls_rc)
{
	unsigned int v;
	int high, low;

	if (mbedtls_rc == 0)
		return HUSK_OK;
	if (mbedtls_rc > 0 || mbedtls_rc < -0x7fff)
		return HUSK_ERR_CRYPTO;
	v = (unsigned int)-mbedtls_rc;
	high = -(int)(v & 0x7f80u);
	low = -(int)(v & 0x007fu);

	if (low == MBEDTLS_ERR_MPI_ALLOC_FAILED || low == MBEDTLS_ERR_ASN1_ALLOC_FAILED ||
	    high == MBEDTLS_ERR_ECP_ALLOC_FAILED || high == MBEDTLS_ERR_CIPHER_ALLOC_FAILED ||
	    high == MBEDTLS_ERR_MD_ALLOC_FAILED)
		return HUSK_ERR_NOMEM;

	switch (low) {
	case MBEDTLS_ERR_MPI_BAD_INPUT_DATA:
	case MBEDTLS_ERR_AES_BAD_INPUT_DATA:
	case MBEDTLS_ERR_AES_INVALID_KEY_LENGTH:
	case MBEDTLS_ERR_AES_INVALID_INPUT_LENGTH:
	case MBEDTLS_ERR_GCM_BAD_INPUT:
	case MBEDTLS_ERR_CTR_DRBG_REQUEST_TOO_BIG:
	case MBEDTLS_ERR_CTR_DRBG_INPUT_TOO_BIG:
	case MBEDTLS_ERR_HMAC_DRBG_REQUEST_TOO_BIG:
	case MBEDTLS_ERR_HMAC_DRBG_INPUT_TOO_BIG:
	case MBEDTLS_ERR_SHA1_BAD_INPUT_DATA:
	case MBEDTLS_ERR_SHA256_BAD_INPUT_DATA:
	case MBEDTLS_ERR_SHA512_BAD_INPUT_DATA:
		return HUSK_ERR_INVAL;
	default:
		break;
	}
	switch (high) {
	case MBEDTLS_ERR_ECP_BAD_INPUT_DATA:
	case MBEDTLS_ERR_CIPHER_BAD_INPUT_DATA:
	case MBEDTLS_ERR_MD_BAD_INPUT_DATA:
	case MBEDTLS_ERR_RSA_BAD_INPUT_DATA:
	case MBEDTLS_ERR_HKDF_BAD_INPUT_DATA:
		return HUSK_ERR_INVAL;
	default:
		break;
	}
	return HUSK_ERR_CRYPTO;
}

/* ---- CTR_DRBG wrapper ---- */

/* mbedTLS' entropy callback: forwards to the caller's and keeps its husk_err,
 * which mbedTLS would otherwise flatten into ENTROPY_SOURCE_FAILED. */
static int drbg_entropy(void *p, unsigned char *buf, size_t len)
{
	struct crypto_drbg *drbg = p;
	int err = drbg->entropy(drbg->entropy_ctx, buf, len);

	if (err == 0)
		return 0;
	drbg->entropy_err = (err > 0 && err < HUSK_ERR__COUNT) ? err : HUSK_ERR_IO;
	mbedtls_platform_zeroize(buf, len);
	return MBEDTLS_ERR_CTR_DRBG_ENTROPY_SOURCE_FAILED;
}

static int drbg_error(struct crypto_drbg *drbg, int mbedtls_rc)
{
	int err = drbg->entropy_err;

	if (err) {
		drbg->entropy_err = 0;
		return err;
	}
	return crypto_err_from_mbedtls(mbedtls_rc);
}

int crypto_drbg_init(struct crypto_drbg *drbg, crypto_entropy_fn entropy, void *entropy_ctx,
		     const void *pers, size_t pers_len)
{
	int rc;

	if (!drbg)
		return HUSK_ERR_INVAL;
	memset(drbg, 0, sizeof(*drbg));
	mbedtls_ctr_drbg_init(&drbg->ctr);
	if (!entropy || (!pers && pers_len))
		return HUSK_ERR_INVAL;
	drbg->entropy = entropy;
	drbg->entropy_ctx = entropy_ctx;

	/* Defaults without MBEDTLS_ENTROPY_C: 32 bytes of entropy plus a
	 * 16-byte nonce, both from the callback (SP 800-90A, AES-256). */
	rc = mbedtls_ctr_drbg_seed(&drbg->ctr, drbg_entropy, drbg, pers, pers_len);
	if (rc)
		return drbg_error(drbg, rc);
	drbg->ready = true;
	return HUSK_OK;
}

int crypto_drbg_generate(struct crypto_drbg *drbg, void *out, size_t len)
{
	unsigned char *p = out;
	size_t done = 0;

	if (!drbg || !drbg->ready || (!out && len))
		return HUSK_ERR_INVAL;
	while (done < len) {
		size_t n = HUSK_MIN(len - done, (size_t)MBEDTLS_CTR_DRBG_MAX_REQUEST);
		int rc = mbedtls_ctr_drbg_random(&drbg->ctr, p + done, n);

		if (rc) {
			mbedtls_platform_zeroize(out, len);
			return drbg_error(drbg, rc);
		}
		done += n;
	}
	return HUSK_OK;
}

int crypto_drbg_reseed(struct crypto_drbg *drbg, const void *additional, size_t len)
{
	int rc;

	if (!drbg || !drbg->ready || (!additional && len))
		return HUSK_ERR_INVAL;
	rc = mbedtls_ctr_drbg_reseed(&drbg->ctr, additional, len);
	return rc ? drbg_error(drbg, rc) : HUSK_OK;
}

void crypto_drbg_free(struct crypto_drbg *drbg)
{
	if (!drbg)
		return;
	mbedtls_ctr_drbg_free(&drbg->ctr);
	mbedtls_platform_zeroize(drbg, sizeof(*drbg));
}

int crypto_drbg_rng(void *p, unsigned char *out, size_t len)
{
	struct crypto_drbg *drbg = p;
	size_t done = 0;

	if (!drbg || !drbg->ready)
		return MBEDTLS_ERR_CTR_DRBG_ENTROPY_SOURCE_FAILED;
	while (done < len) {
		size_t n = HUSK_MIN(len - done, (size_t)MBEDTLS_CTR_DRBG_MAX_REQUEST);
		int rc = mbedtls_ctr_drbg_random(&drbg->ctr, out + done, n);

		if (rc) {
			drbg->entropy_err = 0;
			return rc;
		}
		done += n;
	}
	return 0;
}
