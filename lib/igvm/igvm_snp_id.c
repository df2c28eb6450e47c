/* SNP ID block and ID authentication: conversion from the IGVM header to the
 * firmware's structures (as QEMU does it), ECDSA P-384 signing and checking
 * with mbedTLS, and the key digests an attestation report carries. */
#include <string.h>

#include "fmt/fmt.h"
#include "husk/err.h"
#include "igvm/igvm_snp.h"
#include "mbedtls/bignum.h"
#include "mbedtls/ecdsa.h"
#include "mbedtls/sha512.h"

#define P384_BYTES 48u

void igvm_snp_id_block_from_igvm(const struct igvm_vhs_snp_id_block *b, uint64_t policy,
				 struct snp_id_block *out)
{
	memset(out, 0, sizeof(*out));
	memcpy(out->ld, b->ld, sizeof(out->ld));
	memcpy(out->family_id, b->family_id, sizeof(out->family_id));
	memcpy(out->image_id, b->image_id, sizeof(out->image_id));
	/* QEMU always passes version 1, whatever the IGVM header says. */
	out->version = SNP_ID_BLOCK_VERSION;
	out->guest_svn = b->guest_svn;
	out->policy = policy;
}

void igvm_snp_public_key_from_igvm(const struct igvm_snp_id_block_public_key *k,
				   struct snp_public_key *out)
{
	memset(out, 0, sizeof(*out));
	out->curve = k->curve;
	memcpy(out->qx, k->qx, sizeof(out->qx));
	memcpy(out->qy, k->qy, sizeof(out->qy));
}

int igvm_snp_key_digest(const struct igvm_snp_id_block_public_key *k,
			uint8_t out[SNP_DIGEST_SIZE])
{
	struct snp_public_key fw;

	igvm_snp_public_key_from_igvm(k, &fw);
	return mbedtls_sha512((const unsigned char *)&fw, sizeof(fw), out, 1) ? HUSK_ERR_CRYPTO
									     : HUSK_OK;
}

/* Little-endian, zero-padded field <-> big-endian MPI. */
static int mpi_from_le(mbedtls_mpi *x, const uint8_t *le, size_t len)
{
	for (size_t i = P384_BYTES; i < len; i++)
		if (le[i])
			return HUSK_ERR_INVAL; /* larger than any P-384 value */
	return mbedtls_mpi_read_binary_le(x, le, P384_BYTES) ? HUSK_ERR_NOMEM : HUSK_OK;
}

static int mpi_to_le(const mbedtls_mpi *x, uint8_t *le, size_t len)
{
	memset(le, 0, len);
	return mbedtls_mpi_write_binary_le(x, le, P384_BYTES) ? HUSK_ERR_RANGE : HUSK_OK;
}

static int hash384(const void *msg, size_t len, uint8_t out[SNP_DIGEST_SIZE])
{
	return mbedtls_sha512(msg, len, out, 1) ? HUSK_ERR_CRYPTO : HUSK_OK;
}

int igvm_snp_verify(const struct igvm_snp_id_block_public_key *pub, const void *msg,
		    size_t len, const struct igvm_snp_id_block_signature *sig)
{
	mbedtls_ecp_group grp;
	mbedtls_ecp_point q;
	mbedtls_mpi r, s;
	uint8_t point[1 + 2 * P384_BYTES], hash[SNP_DIGEST_SIZE];
	int rc;

	if (pub->curve != IGVM_SNP_CURVE_P384)
		return HUSK_ERR_INVAL;
	rc = hash384(msg, len, hash);
	if (rc)
		return rc;
	mbedtls_ecp_group_init(&grp);
	mbedtls_ecp_point_init(&q);
	mbedtls_mpi_init(&r);
	mbedtls_mpi_init(&s);
	/* Uncompressed point: 04 || X || Y, big-endian. */
	point[0] = 0x04;
	for (size_t i = 0; i < P384_BYTES; i++) {
		point[1 + i] = pub->qx[P384_BYTES - 1 - i];
		point[1 + P384_BYTES + i] = pub->qy[P384_BYTES - 1 - i];
	}
	rc = HUSK_ERR_INVAL;
	for (size_t i = P384_BYTES; i < sizeof(pub->qx); i++)
		if (pub->qx[i] || pub->qy[i])
			goto out;
	if (mbedtls_ecp_group_load(&grp, MBEDTLS_ECP_DP_SECP384R1))
		goto out;
	if (mbedtls_ecp_point_read_binary(&grp, &q, point, sizeof(point)) ||
	    mbedtls_ecp_check_pubkey(&grp, &q))
		goto out;
	if ((rc = mpi_from_le(&r, sig->r, sizeof(sig->r))) ||
	    (rc = mpi_from_le(&s, sig->s, sizeof(sig->s))))
		goto out;
	rc = mbedtls_ecdsa_verify(&grp, hash, sizeof(hash), &q, &r, &s) ? HUSK_ERR_CRYPTO
									 : HUSK_OK;
out:
	mbedtls_mpi_free(&r);
	mbedtls_mpi_free(&s);
	mbedtls_ecp_point_free(&q);
	mbedtls_ecp_group_free(&grp);
	return rc;
}

int igvm_snp_public_key(const mbedtls_ecp_keypair *key, struct igvm_snp_id_block_public_key *out)
{
	uint8_t point[1 + 2 * P384_BYTES];
	size_t olen;
	int rc;

	memset(out, 0, sizeof(*out));
	if (mbedtls_ecp_keypair_get_group_id(key) != MBEDTLS_ECP_DP_SECP384R1)
		return HUSK_ERR_INVAL;
	rc = mbedtls_ecp_write_public_key(key, MBEDTLS_ECP_PF_UNCOMPRESSED, &olen, point,
					  sizeof(point));
	if (rc || olen != sizeof(point))
		return HUSK_ERR_INVAL;
	out->curve = IGVM_SNP_CURVE_P384;
	for (size_t i = 0; i < P384_BYTES; i++) {
		out->qx[i] = point[P384_BYTES - i];
		out->qy[i] = point[2 * P384_BYTES - i];
	}
	return HUSK_OK;
}

int igvm_snp_sign(const mbedtls_ecp_keypair *key, const void *msg, size_t len,
		  struct igvm_snp_id_block_signature *sig,
		  int (*f_rng)(void *, unsigned char *, size_t), void *p_rng)
{
	mbedtls_ecp_group grp;
	mbedtls_mpi d, r, s;
	uint8_t hash[SNP_DIGEST_SIZE];
	int rc;

	memset(sig, 0, sizeof(*sig));
	if (mbedtls_ecp_keypair_get_group_id(key) != MBEDTLS_ECP_DP_SECP384R1)
		return HUSK_ERR_INVAL;
	rc = hash384(msg, len, hash);
	if (rc)
		return rc;
	mbedtls_ecp_group_init(&grp);
	mbedtls_mpi_init(&d);
	mbedtls_mpi_init(&r);
	mbedtls_mpi_init(&s);
	rc = HUSK_ERR_CRYPTO;
	if (mbedtls_ecp_export(key, &grp, &d, NULL))
		goto out;
	if (mbedtls_ecdsa_sign_det_ext(&grp, &r, &s, &d, hash, sizeof(hash), MBEDTLS_MD_SHA384,
				       f_rng, p_rng))
		goto out;
	if ((rc = mpi_to_le(&r, sig->r, sizeof(sig->r))) ||
	    (rc = mpi_to_le(&s, sig->s, sizeof(sig->s))))
		goto out;
	rc = HUSK_OK;
out:
	mbedtls_mpi_free(&d);
	mbedtls_mpi_free(&r);
	mbedtls_mpi_free(&s);
	mbedtls_ecp_group_free(&grp);
	return rc;
}

static void hex(char *out, const uint8_t *b, size_t n)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * n] = '\0';
}

int igvm_snp_id_block_check(const struct igvm_vhs_snp_id_block *b, uint64_t policy,
			    const uint8_t digest[SNP_DIGEST_SIZE], char *why, size_t why_len)
{
	struct snp_id_block idb;
	struct snp_public_key idk;
	char want[2 * SNP_DIGEST_SIZE + 1];
	int rc;

	if (memcmp(b->ld, digest, SNP_DIGEST_SIZE) != 0) {
		hex(want, digest, SNP_DIGEST_SIZE);
		fmt_snprintf(why, why_len,
			     "ID block's launch digest differs from the measurement %s (signed for "
			     "another vCPU count or SEV features?)", want);
		return HUSK_ERR_CRYPTO;
	}
	if (b->id_key_algorithm != IGVM_SNP_ID_KEY_ALGO_ECDSA_P384_SHA384) {
		fmt_snprintf(why, why_len, "ID key algorithm %u (only 1, ECDSA P-384, exists)",
			     b->id_key_algorithm);
		return HUSK_ERR_UNSUPPORTED;
	}
	igvm_snp_id_block_from_igvm(b, policy, &idb);
	rc = igvm_snp_verify(&b->id_public_key, &idb, sizeof(idb), &b->id_key_signature);
	if (rc) {
		fmt_snprintf(why, why_len, rc == HUSK_ERR_CRYPTO
					       ? "ID block signature does not verify with the ID key"
					       : "ID key is not a P-384 public key");
		return rc;
	}
	if (b->author_key_enabled > 1) {
		fmt_snprintf(why, why_len, "author_key_enabled is %u (0 or 1)", b->author_key_enabled);
		return HUSK_ERR_FORMAT;
	}
	if (b->author_key_enabled) {
		if (b->author_key_algorithm != IGVM_SNP_ID_KEY_ALGO_ECDSA_P384_SHA384) {
			fmt_snprintf(why, why_len, "author key algorithm %u (only 1 exists)",
				     b->author_key_algorithm);
			return HUSK_ERR_UNSUPPORTED;
		}
		igvm_snp_public_key_from_igvm(&b->id_public_key, &idk);
		rc = igvm_snp_verify(&b->author_public_key, &idk, sizeof(idk),
				     &b->author_key_signature);
		if (rc) {
			fmt_snprintf(why, why_len, rc == HUSK_ERR_CRYPTO
						       ? "ID key signature does not verify with the "
							 "author key"
						       : "author key is not a P-384 public key");
			return rc;
		}
	}
	if (why_len)
		why[0] = '\0';
	return HUSK_OK;
}
