/* Unit tests of the TPM engine's key operations (tpm_asym.c): Sign,
 * VerifySignature, RSA_Encrypt/Decrypt, ECDH_KeyGen/ZGen, EncryptDecrypt(2).
 * The same external keys are loaded into husk and into libtpms (in
 * process); deterministic outputs (RSASSA and HMAC signatures, raw RSA,
 * ECDH Z values, symmetric ciphertexts and chaining values) must be equal
 * byte for byte, randomized ones (PSS, ECDSA, OAEP, PKCS#1 v1.5
 * encryption) are verified with mbedTLS and across the two TPMs, and
 * every error path must give the same response code.  Where libtpms
 * departs from the specification (it reports OpenSSL failures as
 * TPM_RC_FAILURE), husk is held to the specification instead. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "../common/tpm_fixture.h"
#include "crypto/crypto.h"
#include "mbedtls/aes.h"
#include "mbedtls/ecdsa.h"
#include "mbedtls/ecp.h"
#include "mbedtls/rsa.h"

#define RC_P(rc, n) ((rc) | TPM_RC_P | ((uint32_t)(n) << 8))
#define RC_H(rc, n) ((rc) | TPM_RC_H | ((uint32_t)(n) << 8))

#define SIGN TPMA_OBJECT_SIGN_ENCRYPT
#define DECRYPT TPMA_OBJECT_DECRYPT
#define UWA TPMA_OBJECT_USERWITHAUTH
#define RESTRICTED TPMA_OBJECT_RESTRICTED

static const uint16_t hash_algs[] = { TPM_ALG_SHA1, TPM_ALG_SHA256, TPM_ALG_SHA384, TPM_ALG_SHA512 };
static const char *const pw_empty[] = { "" };

/* Test keys (generated for these tests only). */
static const char rsa1024_n[] =
	"a0dcc48f51f6a015c3a4eba6fd9f05889467cb4b556d81961f8b7331f5f3253c0874e63270567d76216b6a5f7dfc91cf"
	"2d140ba61db2204247f6e099e0c981059be23a34c33118fcd72f5505de2a2294151bea3e098fef6e40ca48c29d0df7f4"
	"ed28d7d77be28ff894c29841447660590e9a33b805cb65b04e84816434f63d35";
static const char rsa1024_p[] =
	"cd7f2ae54c373d3304dec32abfeb936a578786214eecd5c3929b91ae09587d32ba7b4a24bbb20d7f696573e7a7e07c4f"
	"d30b984f8bbbd755db497facc2e10dd1";
static const char rsa2048_n[] =
	"9e0e4021ba3b6bea46e0ec6d04fcdfe88f1ab8649898a9a66fa21143b9eb85f2b7ca0d759d2958f6f73d97de188875e6"
	"1fabf028c9f311104934b85ed08ffe91b3ce3e1121fb99e2e63871a8f917c1c6db424c8b8c1817f02fd855ee2ec01dcf"
	"28979cd468a617106ebd89ecc75087db4ccaa9007eeeba4a46d4822ee3d44427761900adbf2a712ebdc6096a64caa454"
	"24c4b57f3073d3ba7b85d70aa6d350f45c5513e61568ef06718087626668572785c07ae4d6980d5e2c1fed53231dd227"
	"7e2ff96462026ac9de489628df220207e7c18c1271f14bc6da05d71b5be6fa34fa6b48c47322c2bea365634fa7c6ce6d"
	"d6f6b80b98ee7cef635bc12535caa9ad";
static const char rsa2048_p[] =
	"dab00ccb1ff7c6324b4cb277deca091ad35e4817e81679c134b5c7d7d6a077440b6d03801e4c3a65321fc1d75ac5d523"
	"d42b9da94a1aa6406e2f9d210884cf67859a87fa9992e641ef2cccca853ca3ea2f82c2812c847a875d0800fd7195f480"
	"1c88584959b360eaebbcea9398d94f48805225696f4309d1c8ade491a6c57c45";
static const char rsa3072_n[] =
	"a9613bf32990d59dd30a0068ff173aa400a05787ec4a3e5011ff13fe16c029ad2eb58d9fae2a462d8bc9a4563c7e3ab1"
	"bfa9096be4ef56a1d74262d06c71d2ed574aacbb7d9dac5cd9b91ad9320065cb055eaebce558e4354956eb049aa81eb2"
	"720ce5829386d9685375e4d40e95e6126b9e4dea1ea693a4fb3ade4589f2d04639ded9703194053db71220eb44caf8e4"
	"67cae156843655b3cd5878f595f95b0f5a3e9c9760ec71138b47d129ab2044e247a7475944eadd4782dc2ff0039c4988"
	"950ab877172b1803a5dba2540615b36f2a0c21fd733fd3059dca3089379dadaf9ef5706c3a4a8a00dc17cee8dfab49ac"
	"76a5316bc8338393419d657107e4196edcee1e00cbc5f4741583310683a4df3107794bb771d7b70037f09747844cce08"
	"0b37b087bca471c88e4d2f30ada412f689ad8f8a339e3c96f7ad10669a81cb37db795c5ad4f3a79d648a20b7803ff091"
	"17927f5762e3d6dba2782481a18f7a68a462a9e16d4d0858ee89bb2d5f185297e5bd645aa6b1ff547c00a1f26c296a83";
static const char rsa3072_p[] =
	"d6ff7eb514b7d021cdc5544d4435a8886d88fa8f4a5fb20be310792c4ad646cb2ca25264d6d9efe387f3c4183566f07f"
	"2f68e4d0c2e3208c1af8b609b69cb5f5ce36a9e025d35193587bd3ecf74aee6c78904fd5b460caa06ee641f55064a360"
	"46c82213d764c8c136342bbd554a784df9e809ad1e6e3d790ca4f395edc034c53eb3c719770e96fc430209ac0d237136"
	"73c322d500cf6cf1d04644c9c9a387076832146967dadfef9fe2aa52b468560ebfc251e62112d9faa47b9e62b801c747";
static const char p384_d[] =
	"c575d04915f8546d40a56bc32a61135f3f8b70c7ac3b136b7b6036b0d3a080b67f31a0dd869fc90f6161d6cfdefc2075";
static const char p384_x[] =
	"203982447efe40670f6373c28ff5daa2d35958951f598246efd0600450af8553217255c1f6149bffb4d3aca7273206ec";
static const char p384_y[] =
	"c43ad8fb3fdadcfa1140ccb8ddbac3b0938b98ef193e702597ca6e7803a6547d5660ddd4b99b562c68565d5160ddd09a";
static const char p521_d[] =
	"004992e896abdbff1088e0849928349d9a4637dbeb5f5dc58e34d394875c55847d87c327ba8b4dca32baf217b60b7d81"
	"f2a287216f53a35bdf33943ff68c0117b6ca";
static const char p521_x[] =
	"00fe9519f215b06e87e5fc0b98e1ce35745d52e2a576aa1d69082f23c90c9e5d6d7b01d4fc093a4f0fbe1c9facb3fe5c"
	"6ea667d43e657a183ad2cc5fea4fc3c01260";
static const char p521_y[] =
	"01a3325794592b3e9ae2cc8152c0e42fcc53f709544b66e5c8ad56aa6b6b1172996da429ee13459df0123ff0acbbeac2"
	"3cc8c6532d35521dc06aabf7a8a9cbb0fc5a";

/* RFC 6979 A.2.5 */
static const char p256_d[] = "c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721";
static const char p256_x[] = "60fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6";
static const char p256_y[] = "7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299";

struct rsa_key {
	uint8_t n[384], p[192];
	size_t len;
};

struct ecc_key {
	uint16_t curve;
	uint8_t d[66], x[66], y[66];
	size_t len;
};

static void rsa_key(struct rsa_key *k, unsigned bits)
{
	const char *n = bits == 1024 ? rsa1024_n : bits == 2048 ? rsa2048_n : rsa3072_n;
	const char *p = bits == 1024 ? rsa1024_p : bits == 2048 ? rsa2048_p : rsa3072_p;

	k->len = fx_hex(n, k->n, sizeof(k->n));
	assert_int_equal(fx_hex(p, k->p, sizeof(k->p)), k->len / 2);
}

static void ecc_key(struct ecc_key *k, uint16_t curve)
{
	const char *d = curve == TPM_ECC_NIST_P256 ? p256_d : curve == TPM_ECC_NIST_P384 ? p384_d : p521_d;
	const char *x = curve == TPM_ECC_NIST_P256 ? p256_x : curve == TPM_ECC_NIST_P384 ? p384_x : p521_x;
	const char *y = curve == TPM_ECC_NIST_P256 ? p256_y : curve == TPM_ECC_NIST_P384 ? p384_y : p521_y;

	k->curve = curve;
	k->len = fx_hex(d, k->d, sizeof(k->d));
	assert_int_equal(fx_hex(x, k->x, sizeof(k->x)), k->len);
	assert_int_equal(fx_hex(y, k->y, sizeof(k->y)), k->len);
}

static mbedtls_ecp_group_id group_of(uint16_t curve)
{
	return curve == TPM_ECC_NIST_P256 ? MBEDTLS_ECP_DP_SECP256R1
	       : curve == TPM_ECC_NIST_P384 ? MBEDTLS_ECP_DP_SECP384R1
					     : MBEDTLS_ECP_DP_SECP521R1;
}

static mbedtls_md_type_t md_type(uint16_t alg)
{
	return mbedtls_md_get_type(fx_md(alg));
}

/* ---- the two TPMs ---- */

static int setup(void **state)
{
	(void)state;
	return fx_setup(0x4153594dull, 0);
}

static size_t build(uint8_t *cmd, uint32_t cc, uint32_t handle, bool auth, const struct tb *p)
{
	return fx_build(cmd, cc, &handle, handle ? 1 : 0, pw_empty, auth ? 1 : 0, p);
}

/* One handle (0: none), an empty password if auth. */
static void both(uint32_t cc, uint32_t handle, bool auth, const struct tb *p, uint32_t rc)
{
	uint8_t cmd[TPM_BUFFER_MAX];

	fx_both_raw(cmd, build(cmd, cc, handle, auth, p), rc);
}

/* husk must answer want; libtpms answers ref_rc (where it departs from
 * the specification). */
static void both_differ(uint32_t cc, uint32_t handle, bool auth, const struct tb *p, uint32_t want,
			uint32_t ref_rc)
{
	uint8_t cmd[TPM_BUFFER_MAX];
	size_t n = build(cmd, cc, handle, auth, p);

	assert_int_equal(tpm_host_cmd(&host, cmd, n), want);
	assert_int_equal(tgt_send(&ref, cmd, n), ref_rc);
}

static uint32_t husk_call(uint32_t cc, uint32_t handle, bool auth, const struct tb *p)
{
	uint8_t cmd[TPM_BUFFER_MAX];

	return tpm_host_cmd(&host, cmd, build(cmd, cc, handle, auth, p));
}

/* Response parameters of the last command on husk / libtpms. */
static const uint8_t *husk_out(void)
{
	return host.rsp + rsp_params_at(host.rsp, false);
}

static const uint8_t *ref_out(void)
{
	return ref.rsp + rsp_params_at(ref.rsp, false);
}

/* LoadExternal into both; the handles and Names are equal. */
static uint32_t load_both(const struct tb *p)
{
	both(TPM_CC_LoadExternal, 0, false, p, 0);
	fx_same_response();
	return tpm_be32(host.rsp + 10);
}

static void flush_both(uint32_t h)
{
	struct tb p;

	tb_reset(&p);
	tb_u32(&p, h);
	both(TPM_CC_FlushContext, 0, false, &p, 0);
}

static uint32_t load_rsa(const struct rsa_key *k, bool priv, uint32_t attrs, uint16_t scheme, uint16_t hash,
			 uint32_t hier)
{
	struct tb p;

	fx_rsa(&p, k->n, k->len, priv ? k->p : NULL, attrs, scheme, hash, hier);
	return load_both(&p);
}

static uint32_t load_ecc(const struct ecc_key *k, bool priv, uint32_t attrs, uint16_t scheme, uint16_t hash,
			 uint32_t hier)
{
	struct tb p;

	fx_ecc(&p, k->curve, priv ? k->d : NULL, k->x, k->y, k->len, attrs, scheme, hash, hier);
	return load_both(&p);
}

/* ---- independent checks with mbedTLS ---- */

static void mbed_rsa(const struct rsa_key *k, bool priv, mbedtls_rsa_context *rsa)
{
	mbedtls_mpi n, p, q, r, e;

	mbedtls_rsa_init(rsa);
	mbedtls_mpi_init(&n);
	mbedtls_mpi_init(&p);
	mbedtls_mpi_init(&q);
	mbedtls_mpi_init(&r);
	mbedtls_mpi_init(&e);
	assert_int_equal(mbedtls_mpi_read_binary(&n, k->n, k->len), 0);
	assert_int_equal(mbedtls_mpi_read_binary(&p, k->p, k->len / 2), 0);
	assert_int_equal(mbedtls_mpi_div_mpi(&q, &r, &n, &p), 0);
	assert_int_equal(mbedtls_mpi_lset(&e, 65537), 0);
	assert_int_equal(mbedtls_rsa_import(rsa, &n, priv ? &p : NULL, priv ? &q : NULL, NULL, &e), 0);
	assert_int_equal(mbedtls_rsa_complete(rsa), 0);
	mbedtls_mpi_free(&n);
	mbedtls_mpi_free(&p);
	mbedtls_mpi_free(&q);
	mbedtls_mpi_free(&r);
	mbedtls_mpi_free(&e);
}

static int test_rng(void *ctx, unsigned char *out, size_t len)
{
	(void)ctx;
	for (size_t i = 0; i < len; i++)
		out[i] = (unsigned char)(0x5a ^ i * 31);
	return 0;
}

/* Verifies a TPMT_SIGNATURE (RSASSA/RSAPSS) at sig. */
static void mbed_rsa_verify(const struct rsa_key *k, const uint8_t *digest, size_t dlen, const uint8_t *sig)
{
	mbedtls_rsa_context rsa;
	uint16_t alg = tpm_be16(sig), hash = tpm_be16(sig + 2);

	mbed_rsa(k, false, &rsa);
	assert_int_equal(tpm_be16(sig + 4), k->len);
	if (alg == TPM_ALG_RSASSA) {
		assert_int_equal(mbedtls_rsa_set_padding(&rsa, MBEDTLS_RSA_PKCS_V15, md_type(hash)), 0);
		assert_int_equal(mbedtls_rsa_pkcs1_verify(&rsa, md_type(hash), (unsigned)dlen, digest, sig + 6), 0);
	} else {
		assert_int_equal(alg, TPM_ALG_RSAPSS);
		assert_int_equal(mbedtls_rsa_rsassa_pss_verify_ext(&rsa, md_type(hash), (unsigned)dlen, digest,
								   md_type(hash), MBEDTLS_RSA_SALT_LEN_ANY, sig + 6),
				 0);
	}
	mbedtls_rsa_free(&rsa);
}

static void mbed_ecdsa_verify(const struct ecc_key *k, const uint8_t *digest, size_t dlen, const uint8_t *sig)
{
	mbedtls_ecp_group grp;
	mbedtls_ecp_point q;
	mbedtls_mpi r, s;
	uint8_t pt[1 + 2 * 66];
	const uint8_t *sp;

	assert_int_equal(tpm_be16(sig), TPM_ALG_ECDSA);
	assert_int_equal(tpm_be16(sig + 4), k->len);
	sp = sig + 6 + k->len;
	assert_int_equal(tpm_be16(sp), k->len);
	mbedtls_ecp_group_init(&grp);
	mbedtls_ecp_point_init(&q);
	mbedtls_mpi_init(&r);
	mbedtls_mpi_init(&s);
	assert_int_equal(mbedtls_ecp_group_load(&grp, group_of(k->curve)), 0);
	pt[0] = 4;
	memcpy(pt + 1, k->x, k->len);
	memcpy(pt + 1 + k->len, k->y, k->len);
	assert_int_equal(mbedtls_ecp_point_read_binary(&grp, &q, pt, 1 + 2 * k->len), 0);
	assert_int_equal(mbedtls_mpi_read_binary(&r, sig + 6, k->len), 0);
	assert_int_equal(mbedtls_mpi_read_binary(&s, sp + 2, k->len), 0);
	assert_int_equal(mbedtls_ecdsa_verify(&grp, digest, dlen, &q, &r, &s), 0);
	mbedtls_ecp_group_free(&grp);
	mbedtls_ecp_point_free(&q);
	mbedtls_mpi_free(&r);
	mbedtls_mpi_free(&s);
}

/* ---- Sign ---- */

static void sign_params(struct tb *p, const uint8_t *digest, size_t dlen, uint16_t scheme, uint16_t hash)
{
	tb_reset(p);
	tb_2b(p, digest, dlen);
	tb_u16(p, scheme);
	if (scheme != TPM_ALG_NULL)
		tb_u16(p, hash);
	/* NULL ticket */
	tb_u16(p, TPM_ST_HASHCHECK);
	tb_u32(p, TPM_RH_NULL);
	tb_u16(p, 0);
}

static size_t sig_len(const uint8_t *sig)
{
	switch (tpm_be16(sig)) {
	case TPM_ALG_RSASSA:
	case TPM_ALG_RSAPSS: return 6 + tpm_be16(sig + 4);
	case TPM_ALG_ECDSA: return 4 + 2 + tpm_be16(sig + 4) + 2 + tpm_be16(sig + 6 + tpm_be16(sig + 4));
	default: return 4 + mbedtls_md_get_size(fx_md(tpm_be16(sig + 2)));
	}
}

/* VerifySignature of sig on both TPMs; the key's ticket framing must match. */
static void verify_both(uint32_t key, const uint8_t *digest, size_t dlen, const uint8_t *sig, uint32_t rc)
{
	struct tb p;

	tb_reset(&p);
	tb_2b(&p, digest, dlen);
	tb_bytes(&p, sig, sig_len(sig));
	both(TPM_CC_VerifySignature, key, false, &p, rc);
}

static void test_sign_rsa(void **state)
{
	static const unsigned sizes[] = { 1024, 2048, 3072 };
	uint8_t digest[64];

	(void)state;
	for (size_t i = 0; i < sizeof(digest); i++)
		digest[i] = (uint8_t)(i * 3 + 1);
	for (unsigned s = 0; s < 3; s++) {
		struct rsa_key k;
		uint32_t h, hp;

		rsa_key(&k, sizes[s]);
		h = load_rsa(&k, true, SIGN | UWA, TPM_ALG_NULL, 0, TPM_RH_NULL);
		hp = load_rsa(&k, false, SIGN | UWA, TPM_ALG_NULL, 0, TPM_RH_NULL);
		for (unsigned a = 0; a < 4; a++) {
			size_t dlen = mbedtls_md_get_size(fx_md(hash_algs[a]));
			uint8_t sig[4 + 2 + 384], sig2[sizeof(sig)];
			struct tb p;

			/* RSASSA is deterministic: the same bytes as libtpms */
			sign_params(&p, digest, dlen, TPM_ALG_RSASSA, hash_algs[a]);
			both(TPM_CC_Sign, h, true, &p, 0);
			fx_same_response();
			mbed_rsa_verify(&k, digest, dlen, husk_out());
			memcpy(sig, husk_out(), sig_len(husk_out()));
			verify_both(hp, digest, dlen, sig, 0);
			fx_same_response(); /* NULL ticket: NULL hierarchy */
			/* PSS: check husk's with mbedTLS and libtpms, libtpms's with husk */
			if (sizes[s] == 1024 && hash_algs[a] == TPM_ALG_SHA512) {
				/* 2 * 64 + 2 > 128: libtpms refuses, husk shortens the salt */
				sign_params(&p, digest, dlen, TPM_ALG_RSAPSS, hash_algs[a]);
				assert_int_equal(husk_call(TPM_CC_Sign, h, true, &p), 0);
				mbed_rsa_verify(&k, digest, dlen, husk_out());
				continue;
			}
			sign_params(&p, digest, dlen, TPM_ALG_RSAPSS, hash_algs[a]);
			both(TPM_CC_Sign, h, true, &p, 0);
			mbed_rsa_verify(&k, digest, dlen, husk_out());
			mbed_rsa_verify(&k, digest, dlen, ref_out());
			memcpy(sig, husk_out(), sig_len(husk_out()));
			memcpy(sig2, ref_out(), sig_len(ref_out()));
			verify_both(hp, digest, dlen, sig, 0);
			memcpy(sig, sig2, sizeof(sig));
			verify_both(hp, digest, dlen, sig, 0);
			/* A changed digest does not verify. */
			digest[0] ^= 1;
			verify_both(hp, digest, dlen, sig, RC_P(TPM_RC_SIGNATURE, 2));
			digest[0] ^= 1;
		}
		flush_both(h);
		flush_both(hp);
		/* The key's own scheme is used when the command names none. */
		h = load_rsa(&k, true, SIGN | UWA, TPM_ALG_RSASSA, TPM_ALG_SHA384, TPM_RH_NULL);
		{
			struct tb p;

			sign_params(&p, digest, 48, TPM_ALG_NULL, 0);
			both(TPM_CC_Sign, h, true, &p, 0);
			fx_same_response();
			assert_int_equal(tpm_be16(husk_out() + 2), TPM_ALG_SHA384);
			/* and a different one is refused */
			sign_params(&p, digest, 48, TPM_ALG_RSASSA, TPM_ALG_SHA256);
			both(TPM_CC_Sign, h, true, &p, RC_P(TPM_RC_SCHEME, 2));
			sign_params(&p, digest, 48, TPM_ALG_RSAPSS, TPM_ALG_SHA384);
			both(TPM_CC_Sign, h, true, &p, RC_P(TPM_RC_SCHEME, 2));
		}
		flush_both(h);
	}
}

static void test_sign_ecdsa(void **state)
{
	static const uint16_t curves[] = { TPM_ECC_NIST_P256, TPM_ECC_NIST_P384, TPM_ECC_NIST_P521 };
	uint8_t digest[64], sig[4 + 4 + 2 * 66], sig2[sizeof(sig)];

	(void)state;
	for (size_t i = 0; i < sizeof(digest); i++)
		digest[i] = (uint8_t)(0xf0 - i);
	for (unsigned c = 0; c < 3; c++) {
		struct ecc_key k;
		uint32_t h, hp;

		ecc_key(&k, curves[c]);
		h = load_ecc(&k, true, SIGN | UWA, TPM_ALG_NULL, 0, TPM_RH_NULL);
		hp = load_ecc(&k, false, SIGN | UWA, TPM_ALG_NULL, 0, TPM_RH_NULL);
		for (unsigned a = 0; a < 4; a++) {
			size_t dlen = mbedtls_md_get_size(fx_md(hash_algs[a]));
			struct tb p;

			sign_params(&p, digest, dlen, TPM_ALG_ECDSA, hash_algs[a]);
			both(TPM_CC_Sign, h, true, &p, 0);
			assert_int_equal(tpm_be16(husk_out() + 2), hash_algs[a]);
			mbed_ecdsa_verify(&k, digest, dlen, husk_out());
			mbed_ecdsa_verify(&k, digest, dlen, ref_out());
			memcpy(sig, husk_out(), sig_len(husk_out()));
			memcpy(sig2, ref_out(), sig_len(ref_out()));
			verify_both(hp, digest, dlen, sig, 0);
			fx_same_response();
			memcpy(sig, sig2, sizeof(sig));
			verify_both(hp, digest, dlen, sig, 0);
			sig[6] ^= 0x80;
			verify_both(hp, digest, dlen, sig, RC_P(TPM_RC_SIGNATURE, 2));
		}
		flush_both(h);
		flush_both(hp);
	}
}

static void test_sign_hmac(void **state)
{
	uint8_t digest[32] = { 9, 8, 7 }, sig[4 + 64];
	struct tb p;
	uint32_t h;

	(void)state;
	fx_keyedhash(&p, "hmac key", 8, SIGN | UWA, TPM_ALG_HMAC, TPM_ALG_SHA256, TPM_RH_NULL, true);
	h = load_both(&p);
	sign_params(&p, digest, 32, TPM_ALG_NULL, 0);
	both(TPM_CC_Sign, h, true, &p, 0);
	fx_same_response();
	{
		uint8_t mac[32];

		assert_int_equal(mbedtls_md_hmac(fx_md(TPM_ALG_SHA256), (const uint8_t *)"hmac key", 8, digest,
						 32, mac),
				 0);
		assert_int_equal(tpm_be16(husk_out()), TPM_ALG_HMAC);
		assert_int_equal(tpm_be16(husk_out() + 2), TPM_ALG_SHA256);
		assert_memory_equal(husk_out() + 4, mac, 32);
	}
	memcpy(sig, husk_out(), 4 + 32);
	verify_both(h, digest, 32, sig, 0);
	fx_same_response();
	sig[10] ^= 1;
	verify_both(h, digest, 32, sig, RC_P(TPM_RC_SIGNATURE, 2));
	/* The digest's size is checked against the scheme's hash. */
	sign_params(&p, digest, 20, TPM_ALG_NULL, 0);
	both(TPM_CC_Sign, h, true, &p, RC_P(TPM_RC_SIZE, 1));
	flush_both(h);
}

static void test_sign_errors(void **state)
{
	static const uint8_t aes[16] = { 1 };
	uint8_t digest[32] = { 1 };
	struct rsa_key k;
	struct ecc_key e;
	struct tb p;
	uint32_t h;

	(void)state;
	rsa_key(&k, 2048);
	ecc_key(&e, TPM_ECC_NIST_P256);
	/* Not a signing key */
	h = load_rsa(&k, true, DECRYPT | UWA, TPM_ALG_NULL, 0, TPM_RH_NULL);
	sign_params(&p, digest, 32, TPM_ALG_RSASSA, TPM_ALG_SHA256);
	both(TPM_CC_Sign, h, true, &p, RC_H(TPM_RC_KEY, 1));
	flush_both(h);
	fx_symcipher(&p, aes, sizeof(aes), SIGN | DECRYPT | UWA, TPM_ALG_CFB);
	h = load_both(&p);
	sign_params(&p, digest, 32, TPM_ALG_NULL, 0);
	both(TPM_CC_Sign, h, true, &p, RC_H(TPM_RC_KEY, 1));
	flush_both(h);
	/* A public key cannot sign or decrypt: no authorization for it */
	h = load_ecc(&e, false, SIGN | UWA, TPM_ALG_NULL, 0, TPM_RH_NULL);
	sign_params(&p, digest, 32, TPM_ALG_ECDSA, TPM_ALG_SHA256);
	both(TPM_CC_Sign, h, true, &p, TPM_RC_AUTH_UNAVAILABLE);
	flush_both(h);
	h = load_rsa(&k, false, DECRYPT | UWA, TPM_ALG_NULL, 0, TPM_RH_NULL);
	tb_reset(&p);
	tb_2b(&p, k.n, k.len);
	tb_u16(&p, TPM_ALG_NULL);
	tb_2b(&p, "", 0);
	both(TPM_CC_RSA_Decrypt, h, true, &p, TPM_RC_AUTH_UNAVAILABLE);
	flush_both(h);
	/* Keys for certificates */
	h = load_ecc(&e, true, SIGN | UWA | TPMA_OBJECT_X509SIGN, TPM_ALG_NULL, 0, TPM_RH_NULL);
	sign_params(&p, digest, 32, TPM_ALG_ECDSA, TPM_ALG_SHA256);
	both(TPM_CC_Sign, h, true, &p, RC_H(TPM_RC_ATTRIBUTES, 1));
	flush_both(h);

	h = load_ecc(&e, true, SIGN | UWA, TPM_ALG_NULL, 0, TPM_RH_NULL);
	/* no scheme anywhere; a scheme for another key type */
	sign_params(&p, digest, 32, TPM_ALG_NULL, 0);
	both(TPM_CC_Sign, h, true, &p, RC_P(TPM_RC_SCHEME, 2));
	sign_params(&p, digest, 32, TPM_ALG_RSASSA, TPM_ALG_SHA256);
	both(TPM_CC_Sign, h, true, &p, RC_P(TPM_RC_SCHEME, 2));
	sign_params(&p, digest, 32, TPM_ALG_HMAC, TPM_ALG_SHA256);
	both(TPM_CC_Sign, h, true, &p, RC_P(TPM_RC_SCHEME, 2));
	/* unmarshalling: unknown scheme, bad hash */
	sign_params(&p, digest, 32, 0x0099, TPM_ALG_SHA256);
	both(TPM_CC_Sign, h, true, &p, RC_P(TPM_RC_SCHEME, 2));
	sign_params(&p, digest, 32, TPM_ALG_ECDSA, 0x0099);
	both(TPM_CC_Sign, h, true, &p, RC_P(TPM_RC_HASH, 2));
	/* digest of the wrong size for the scheme's hash */
	sign_params(&p, digest, 20, TPM_ALG_ECDSA, TPM_ALG_SHA256);
	both(TPM_CC_Sign, h, true, &p, RC_P(TPM_RC_SIZE, 1));
	sign_params(&p, digest, 0, TPM_ALG_ECDSA, TPM_ALG_SHA256);
	both(TPM_CC_Sign, h, true, &p, RC_P(TPM_RC_SIZE, 1));
	/* tickets: wrong tag, bad hierarchy, a forged one */
	sign_params(&p, digest, 32, TPM_ALG_ECDSA, TPM_ALG_SHA256);
	p.b[p.n - 8] = (uint8_t)(TPM_ST_VERIFIED >> 8);
	p.b[p.n - 7] = (uint8_t)TPM_ST_VERIFIED;
	both(TPM_CC_Sign, h, true, &p, RC_P(TPM_RC_TAG, 3));
	sign_params(&p, digest, 32, TPM_ALG_ECDSA, TPM_ALG_SHA256);
	p.b[p.n - 3] = 0x0a; /* TPM_RH_LOCKOUT */
	both(TPM_CC_Sign, h, true, &p, RC_P(TPM_RC_VALUE, 3));
	sign_params(&p, digest, 32, TPM_ALG_ECDSA, TPM_ALG_SHA256);
	p.n -= 6;
	tb_u32(&p, TPM_RH_OWNER);
	tb_2b(&p, digest, 32);
	both(TPM_CC_Sign, h, true, &p, RC_P(TPM_RC_TICKET, 3));
	/* truncated, trailing */
	sign_params(&p, digest, 32, TPM_ALG_ECDSA, TPM_ALG_SHA256);
	p.n -= 1;
	both(TPM_CC_Sign, h, true, &p, RC_P(TPM_RC_INSUFFICIENT, 3));
	p.n += 1;
	tb_u8(&p, 0);
	both(TPM_CC_Sign, h, true, &p, TPM_RC_SIZE);
	flush_both(h);
}

/* A restricted signing key signs only digests with a hash ticket.  Such
 * keys cannot be loaded externally (libtpms refuses), so this key goes
 * straight into a husk slot. */
static void test_sign_restricted(void **state)
{
	static const uint8_t gen[] = { 0xff, 0x54, 0x43, 0x47, 'q', 'u', 'o', 't', 'e' };
	uint8_t digest[32], ticket[2 + 4 + 2 + 64];
	struct ecc_key e;
	struct tb p;
	uint32_t h;

	(void)state;
	ecc_key(&e, TPM_ECC_NIST_P256);
	fx_ecc(&p, e.curve, e.d, e.x, e.y, e.len, SIGN | UWA | RESTRICTED, TPM_ALG_ECDSA, TPM_ALG_SHA256,
		     TPM_RH_OWNER);
	h = fx_inject(host.tpm, p.b, p.n);

	/* Hash with a ticket, then Sign with it */
	tb_reset(&p);
	tb_2b(&p, "message", 7);
	tb_u16(&p, TPM_ALG_SHA256);
	tb_u32(&p, TPM_RH_OWNER);
	assert_int_equal(husk_call(TPM_CC_Hash, 0, false, &p), 0);
	memcpy(digest, host.rsp + 12, 32);
	memcpy(ticket, host.rsp + 12 + 32, sizeof(ticket));
	tb_reset(&p);
	tb_2b(&p, digest, 32);
	tb_u16(&p, TPM_ALG_NULL);
	tb_bytes(&p, ticket, sizeof(ticket));
	assert_int_equal(husk_call(TPM_CC_Sign, h, true, &p), 0);
	mbed_ecdsa_verify(&e, digest, 32, husk_out());
	/* the ticket is bound to the digest */
	p.b[2] ^= 1;
	assert_int_equal(husk_call(TPM_CC_Sign, h, true, &p), RC_P(TPM_RC_TICKET, 3));
	p.b[2] ^= 1;
	/* and to the hash algorithm: a SHA-1 scheme with a SHA-256 ticket */
	tb_reset(&p);
	tb_2b(&p, digest, 32);
	tb_u16(&p, TPM_ALG_ECDSA);
	tb_u16(&p, TPM_ALG_SHA256);
	tb_bytes(&p, ticket, sizeof(ticket));
	assert_int_equal(husk_call(TPM_CC_Sign, h, true, &p), 0);
	/* and to its hierarchy */
	ticket[5] = (uint8_t)(TPM_RH_ENDORSEMENT & 0xff);
	tb_reset(&p);
	tb_2b(&p, digest, 32);
	tb_u16(&p, TPM_ALG_NULL);
	tb_bytes(&p, ticket, sizeof(ticket));
	assert_int_equal(husk_call(TPM_CC_Sign, h, true, &p), RC_P(TPM_RC_TICKET, 3));
	/* Without a ticket: refused */
	sign_params(&p, digest, 32, TPM_ALG_NULL, 0);
	assert_int_equal(husk_call(TPM_CC_Sign, h, true, &p), RC_P(TPM_RC_TICKET, 3));
	/* Data that looks like an attestation gets no ticket to sign with. */
	tb_reset(&p);
	tb_2b(&p, gen, sizeof(gen));
	tb_u16(&p, TPM_ALG_SHA256);
	tb_u32(&p, TPM_RH_OWNER);
	assert_int_equal(husk_call(TPM_CC_Hash, 0, false, &p), 0);
	assert_int_equal(tpm_be32(host.rsp + 12 + 32 + 2), TPM_RH_NULL);
	memcpy(digest, host.rsp + 12, 32);
	memcpy(ticket, host.rsp + 12 + 32, 8);
	tb_reset(&p);
	tb_2b(&p, digest, 32);
	tb_u16(&p, TPM_ALG_NULL);
	tb_bytes(&p, ticket, 8);
	assert_int_equal(husk_call(TPM_CC_Sign, h, true, &p), RC_P(TPM_RC_TICKET, 3));
	/* A ticket from a hash sequence works too. */
	tb_reset(&p);
	tb_2b(&p, "", 0);
	tb_u16(&p, TPM_ALG_SHA256);
	assert_int_equal(husk_call(TPM_CC_HashSequenceStart, 0, false, &p), 0);
	{
		uint32_t seq = tpm_be32(host.rsp + 10);

		tb_reset(&p);
		tb_2b(&p, "message", 7);
		tb_u32(&p, TPM_RH_OWNER);
		assert_int_equal(husk_call(TPM_CC_SequenceComplete, seq, true, &p), 0);
		memcpy(digest, husk_out() + 2, 32);
		memcpy(ticket, husk_out() + 2 + 32, sizeof(ticket));
	}
	tb_reset(&p);
	tb_2b(&p, digest, 32);
	tb_u16(&p, TPM_ALG_NULL);
	tb_bytes(&p, ticket, sizeof(ticket));
	assert_int_equal(husk_call(TPM_CC_Sign, h, true, &p), 0);
	mbed_ecdsa_verify(&e, digest, 32, husk_out());
	tpm_object_release(host.tpm, tpm_object_find(host.tpm, h));
}

/* An unrestricted key checks a ticket if one is given. */
static void test_sign_unrestricted_ticket(void **state)
{
	uint8_t digest[32], ticket[2 + 4 + 2 + 64];
	struct ecc_key e;
	struct tb p;
	uint32_t h;

	(void)state;
	ecc_key(&e, TPM_ECC_NIST_P256);
	h = load_ecc(&e, true, SIGN | UWA, TPM_ALG_ECDSA, TPM_ALG_SHA256, TPM_RH_NULL);
	tb_reset(&p);
	tb_2b(&p, "msg", 3);
	tb_u16(&p, TPM_ALG_SHA256);
	tb_u32(&p, TPM_RH_ENDORSEMENT);
	assert_int_equal(husk_call(TPM_CC_Hash, 0, false, &p), 0);
	memcpy(digest, host.rsp + 12, 32);
	memcpy(ticket, host.rsp + 12 + 32, sizeof(ticket));
	tb_reset(&p);
	tb_2b(&p, digest, 32);
	tb_u16(&p, TPM_ALG_NULL);
	tb_bytes(&p, ticket, sizeof(ticket));
	assert_int_equal(husk_call(TPM_CC_Sign, h, true, &p), 0);
	ticket[sizeof(ticket) - 1] ^= 1;
	tb_reset(&p);
	tb_2b(&p, digest, 32);
	tb_u16(&p, TPM_ALG_NULL);
	tb_bytes(&p, ticket, sizeof(ticket));
	assert_int_equal(husk_call(TPM_CC_Sign, h, true, &p), RC_P(TPM_RC_TICKET, 3));
	flush_both(h);
}

/* ---- VerifySignature ---- */

static void test_verify_tickets(void **state)
{
	uint8_t digest[32] = { 5, 4, 3 }, sig[6 + 256];
	struct rsa_key k;
	struct tb p;
	uint32_t hs, hv;

	(void)state;
	rsa_key(&k, 2048);
	hs = load_rsa(&k, true, SIGN | UWA, TPM_ALG_RSASSA, TPM_ALG_SHA256, TPM_RH_NULL);
	sign_params(&p, digest, 32, TPM_ALG_NULL, 0);
	both(TPM_CC_Sign, hs, true, &p, 0);
	memcpy(sig, husk_out(), sizeof(sig));
	/* A public key in the owner hierarchy: a real ticket,
	 * HMAC(proof, TPM_ST_VERIFIED || digest || keyName). */
	hv = load_rsa(&k, false, SIGN | UWA | RESTRICTED, TPM_ALG_RSASSA, TPM_ALG_SHA256, TPM_RH_OWNER);
	verify_both(hv, digest, 32, sig, 0);
	{
		const uint8_t *tk = husk_out();
		struct tpm_object *o = tpm_object_find(host.tpm, hv);
		uint8_t msg[2 + 32 + TPM_MAX_NAME], mac[64];

		assert_int_equal(tpm_be16(tk), TPM_ST_VERIFIED);
		assert_int_equal(tpm_be32(tk + 2), TPM_RH_OWNER);
		assert_int_equal(tpm_be16(tk + 6), 64);
		assert_memory_equal(tk, ref_out(), 8); /* same framing as libtpms */
		msg[0] = TPM_ST_VERIFIED >> 8;
		msg[1] = TPM_ST_VERIFIED & 0xff;
		memcpy(msg + 2, digest, 32);
		memcpy(msg + 34, o->name.b, o->name.size);
		assert_int_equal(mbedtls_md_hmac(fx_md(TPM_ALG_SHA512), host.tpm->nv.sh_proof, TPM_PROOF_SIZE,
						 msg, 34 + o->name.size, mac),
				 0);
		assert_memory_equal(tk + 8, mac, 64);
	}
	flush_both(hv);
	/* NULL hierarchy: NULL ticket */
	hv = load_rsa(&k, false, SIGN | UWA, TPM_ALG_NULL, 0, TPM_RH_NULL);
	verify_both(hv, digest, 32, sig, 0);
	fx_same_response();
	assert_int_equal(tpm_be32(husk_out() + 2), TPM_RH_NULL);
	flush_both(hv);
	flush_both(hs);
}

static void test_verify_errors(void **state)
{
	uint8_t digest[32] = { 5 }, sig[6 + 256];
	struct rsa_key k;
	struct ecc_key e;
	struct tb p;
	uint32_t hs, hv;

	(void)state;
	rsa_key(&k, 2048);
	ecc_key(&e, TPM_ECC_NIST_P256);
	hs = load_rsa(&k, true, SIGN | UWA, TPM_ALG_NULL, 0, TPM_RH_NULL);
	sign_params(&p, digest, 32, TPM_ALG_RSASSA, TPM_ALG_SHA256);
	both(TPM_CC_Sign, hs, true, &p, 0);
	memcpy(sig, husk_out(), sizeof(sig));
	/* The key must be a signing key. */
	hv = load_rsa(&k, false, DECRYPT | UWA, TPM_ALG_NULL, 0, TPM_RH_NULL);
	verify_both(hv, digest, 32, sig, RC_H(TPM_RC_ATTRIBUTES, 1));
	flush_both(hv);
	/* A signature of another key type, a NULL signature */
	hv = load_ecc(&e, false, SIGN | UWA, TPM_ALG_NULL, 0, TPM_RH_NULL);
	verify_both(hv, digest, 32, sig, RC_P(TPM_RC_SCHEME, 2));
	tb_reset(&p);
	tb_2b(&p, digest, 32);
	tb_u16(&p, TPM_ALG_NULL);
	both(TPM_CC_VerifySignature, hv, false, &p, RC_P(TPM_RC_SCHEME, 2));
	flush_both(hv);
	/* An HMAC cannot be checked without the key itself. */
	fx_keyedhash(&p, "key", 3, SIGN | UWA, TPM_ALG_HMAC, TPM_ALG_SHA256, TPM_RH_NULL, false);
	hv = load_both(&p);
	tb_reset(&p);
	tb_2b(&p, digest, 32);
	tb_u16(&p, TPM_ALG_HMAC);
	tb_u16(&p, TPM_ALG_SHA256);
	tb_bytes(&p, digest, 32);
	both(TPM_CC_VerifySignature, hv, false, &p, RC_P(TPM_RC_HANDLE, 2));
	flush_both(hv);
	/* Wrong digest size, other hash, damaged signature */
	verify_both(hs, digest, 31, sig, RC_P(TPM_RC_SIGNATURE, 2));
	sig[3] = TPM_ALG_SHA384 & 0xff;
	verify_both(hs, digest, 32, sig, RC_P(TPM_RC_SIGNATURE, 2));
	sig[3] = TPM_ALG_SHA256 & 0xff;
	sig[100] ^= 1;
	verify_both(hs, digest, 32, sig, RC_P(TPM_RC_SIGNATURE, 2));
	sig[100] ^= 1;
	verify_both(hs, digest, 32, sig, 0);
	/* unmarshalling */
	tb_reset(&p);
	tb_2b(&p, digest, 32);
	tb_u16(&p, 0x0099);
	both(TPM_CC_VerifySignature, hs, false, &p, RC_P(TPM_RC_SCHEME, 2));
	tb_reset(&p);
	tb_2b(&p, digest, 32);
	tb_bytes(&p, sig, 6 + 256);
	tb_u8(&p, 0);
	both(TPM_CC_VerifySignature, hs, false, &p, TPM_RC_SIZE);
	p.n -= 2;
	both(TPM_CC_VerifySignature, hs, false, &p, RC_P(TPM_RC_INSUFFICIENT, 2));
	flush_both(hs);
}

/* ---- RSA_Encrypt / RSA_Decrypt ---- */

static void rsa_params(struct tb *p, const void *data, size_t len, uint16_t scheme, uint16_t hash,
		       const void *label, size_t llen)
{
	tb_reset(p);
	tb_2b(p, data, len);
	tb_u16(p, scheme);
	if (scheme == TPM_ALG_OAEP)
		tb_u16(p, hash);
	tb_2b(p, label, llen);
}

/* Decrypts c with mbedTLS. */
static size_t mbed_rsa_decrypt(const struct rsa_key *k, uint16_t scheme, uint16_t hash, const uint8_t *label,
			       size_t llen, const uint8_t *c, uint8_t *out)
{
	mbedtls_rsa_context rsa;
	size_t olen = 0;

	mbed_rsa(k, true, &rsa);
	if (scheme == TPM_ALG_OAEP) {
		assert_int_equal(mbedtls_rsa_set_padding(&rsa, MBEDTLS_RSA_PKCS_V21, md_type(hash)), 0);
		assert_int_equal(mbedtls_rsa_rsaes_oaep_decrypt(&rsa, test_rng, NULL, label, llen, &olen, c, out, 384),
				 0);
	} else {
		assert_int_equal(mbedtls_rsa_rsaes_pkcs1_v15_decrypt(&rsa, test_rng, NULL, &olen, c, out, 384), 0);
	}
	mbedtls_rsa_free(&rsa);
	return olen;
}

/* Encrypts on one TPM, decrypts on the other and with mbedTLS. */
static void rsa_round_trip(const struct rsa_key *k, uint32_t he, uint32_t hd, uint16_t scheme, uint16_t hash,
			   const char *label, const uint8_t *msg, size_t len)
{
	size_t llen = label ? strlen(label) + 1 : 0;
	uint8_t c[2][384], out[384];
	struct tb p;

	rsa_params(&p, msg, len, scheme, hash, label, llen);
	both(TPM_CC_RSA_Encrypt, he, false, &p, 0);
	assert_int_equal(tpm_be16(husk_out()), k->len);
	memcpy(c[0], husk_out() + 2, k->len);
	memcpy(c[1], ref_out() + 2, k->len);
	assert_int_equal(mbed_rsa_decrypt(k, scheme, hash, (const uint8_t *)label, llen, c[0], out), len);
	assert_memory_equal(out, msg, len);
	for (unsigned i = 0; i < 2; i++) {
		rsa_params(&p, c[i], k->len, scheme, hash, label, llen);
		both(TPM_CC_RSA_Decrypt, hd, true, &p, 0);
		fx_same_response();
		assert_int_equal(tpm_be16(husk_out()), len);
		assert_memory_equal(husk_out() + 2, msg, len);
	}
}

static void test_rsa_encrypt_decrypt(void **state)
{
	static const unsigned sizes[] = { 1024, 2048, 3072 };
	uint8_t msg[384];

	(void)state;
	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(i + 1);
	for (unsigned s = 0; s < 3; s++) {
		struct rsa_key k;
		uint32_t he, hd;

		rsa_key(&k, sizes[s]);
		he = load_rsa(&k, false, DECRYPT | UWA, TPM_ALG_NULL, 0, TPM_RH_NULL);
		hd = load_rsa(&k, true, DECRYPT | UWA, TPM_ALG_NULL, 0, TPM_RH_NULL);
		for (unsigned a = 0; a < 4; a++) {
			size_t hlen = mbedtls_md_get_size(fx_md(hash_algs[a]));
			size_t max = k.len - 2 * hlen - 2;
			struct tb p;

			if (2 * hlen + 2 > k.len)
				continue; /* RSA-1024 with SHA-512 cannot do OAEP */
			rsa_round_trip(&k, he, hd, TPM_ALG_OAEP, hash_algs[a], NULL, msg, 1);
			rsa_round_trip(&k, he, hd, TPM_ALG_OAEP, hash_algs[a], "DUPLICATE", msg, max);
			rsa_round_trip(&k, he, hd, TPM_ALG_OAEP, hash_algs[a], "", msg, 0);
			/* one byte too many: the specification's TPM_RC_VALUE */
			rsa_params(&p, msg, max + 1, TPM_ALG_OAEP, hash_algs[a], NULL, 0);
			both_differ(TPM_CC_RSA_Encrypt, he, false, &p, TPM_RC_VALUE, TPM_RC_FAILURE);
		}
		rsa_round_trip(&k, he, hd, TPM_ALG_RSAES, 0, NULL, msg, 1);
		rsa_round_trip(&k, he, hd, TPM_ALG_RSAES, 0, NULL, msg, k.len - 11);
		{
			struct tb p;

			rsa_params(&p, msg, k.len - 10, TPM_ALG_RSAES, 0, NULL, 0);
			both_differ(TPM_CC_RSA_Encrypt, he, false, &p, TPM_RC_VALUE, TPM_RC_FAILURE);
		}
		flush_both(he);
		flush_both(hd);
	}
}

static void test_rsa_raw(void **state)
{
	uint8_t msg[260], c[256];
	struct rsa_key k;
	struct tb p;
	uint32_t he, hd;

	(void)state;
	rsa_key(&k, 2048);
	he = load_rsa(&k, false, DECRYPT | UWA, TPM_ALG_NULL, 0, TPM_RH_NULL);
	hd = load_rsa(&k, true, DECRYPT | UWA, TPM_ALG_NULL, 0, TPM_RH_NULL);
	memset(msg, 0, sizeof(msg));
	for (size_t i = 0; i < 100; i++)
		msg[i] = (uint8_t)(0x77 ^ i);
	/* Raw RSA is deterministic: same ciphertext as libtpms, and back. */
	rsa_params(&p, msg, 100, TPM_ALG_NULL, 0, NULL, 0);
	both(TPM_CC_RSA_Encrypt, he, false, &p, 0);
	fx_same_response();
	memcpy(c, husk_out() + 2, 256);
	rsa_params(&p, c, 256, TPM_ALG_NULL, 0, NULL, 0);
	both(TPM_CC_RSA_Decrypt, hd, true, &p, 0);
	fx_same_response();
	assert_int_equal(tpm_be16(husk_out()), 256);
	for (size_t i = 0; i < 156; i++)
		assert_int_equal(husk_out()[2 + i], 0);
	assert_memory_equal(husk_out() + 2 + 156, msg, 100);
	/* Leading zeros do not count against the modulus size... */
	memmove(msg + 160, msg, 100);
	memset(msg, 0, 160);
	rsa_params(&p, msg, 260, TPM_ALG_NULL, 0, NULL, 0);
	both(TPM_CC_RSA_Encrypt, he, false, &p, 0);
	fx_same_response();
	assert_memory_equal(husk_out() + 2, c, 256);
	/* ...but a longer number is too big, and so is one >= n */
	msg[0] = 1;
	rsa_params(&p, msg, 257, TPM_ALG_NULL, 0, NULL, 0);
	both(TPM_CC_RSA_Encrypt, he, false, &p, TPM_RC_VALUE);
	memset(msg, 0xff, 256);
	rsa_params(&p, msg, 256, TPM_ALG_NULL, 0, NULL, 0);
	both_differ(TPM_CC_RSA_Encrypt, he, false, &p, TPM_RC_VALUE, TPM_RC_FAILURE);
	rsa_params(&p, msg, 256, TPM_ALG_NULL, 0, NULL, 0);
	both_differ(TPM_CC_RSA_Decrypt, hd, true, &p, TPM_RC_VALUE, TPM_RC_FAILURE);
	/* the empty message is the number 0 */
	rsa_params(&p, "", 0, TPM_ALG_NULL, 0, NULL, 0);
	both(TPM_CC_RSA_Encrypt, he, false, &p, 0);
	fx_same_response();
	flush_both(he);
	flush_both(hd);
}

static void test_rsa_errors(void **state)
{
	uint8_t msg[400] = { 1, 2, 3 }, c[256], lab[67];
	struct rsa_key k;
	struct ecc_key e;
	struct tb p;
	uint32_t h, hs, hk;

	(void)state;
	rsa_key(&k, 2048);
	ecc_key(&e, TPM_ECC_NIST_P256);
	memset(lab, 'a', sizeof(lab));
	h = load_rsa(&k, true, DECRYPT | UWA, TPM_ALG_NULL, 0, TPM_RH_NULL);
	/* Labels: NUL-terminated, at most a TPMT_HA */
	rsa_params(&p, msg, 3, TPM_ALG_OAEP, TPM_ALG_SHA256, "abc", 3);
	both(TPM_CC_RSA_Encrypt, h, false, &p, RC_P(TPM_RC_VALUE, 3));
	lab[65] = 0;
	rsa_params(&p, msg, 3, TPM_ALG_OAEP, TPM_ALG_SHA256, lab, 66);
	both(TPM_CC_RSA_Encrypt, h, false, &p, 0);
	lab[66] = 0;
	rsa_params(&p, msg, 3, TPM_ALG_OAEP, TPM_ALG_SHA256, lab, 67);
	both(TPM_CC_RSA_Encrypt, h, false, &p, RC_P(TPM_RC_SIZE, 3));
	/* Schemes: signing schemes and unknown ones are not decrypt schemes */
	rsa_params(&p, msg, 3, TPM_ALG_RSASSA, 0, NULL, 0);
	p.n -= 2;
	tb_u16(&p, TPM_ALG_SHA256);
	tb_2b(&p, "", 0);
	both(TPM_CC_RSA_Encrypt, h, false, &p, RC_P(TPM_RC_VALUE, 2));
	rsa_params(&p, msg, 3, TPM_ALG_OAEP, 0x0099, NULL, 0);
	both(TPM_CC_RSA_Encrypt, h, false, &p, RC_P(TPM_RC_HASH, 2));
	/* Message larger than any RSA key */
	rsa_params(&p, msg, 385, TPM_ALG_NULL, 0, NULL, 0);
	assert_int_equal(husk_call(TPM_CC_RSA_Encrypt, h, false, &p), RC_P(TPM_RC_SIZE, 1));
	/* Decrypt: wrong size, bad padding, wrong label */
	rsa_params(&p, msg, 5, TPM_ALG_OAEP, TPM_ALG_SHA256, "lab", 4);
	both(TPM_CC_RSA_Encrypt, h, false, &p, 0);
	memcpy(c, husk_out() + 2, 256);
	rsa_params(&p, c, 255, TPM_ALG_OAEP, TPM_ALG_SHA256, "lab", 4);
	both(TPM_CC_RSA_Decrypt, h, true, &p, TPM_RC_SIZE);
	rsa_params(&p, c, 256, TPM_ALG_OAEP, TPM_ALG_SHA256, "lbb", 4);
	both_differ(TPM_CC_RSA_Decrypt, h, true, &p, TPM_RC_VALUE, TPM_RC_FAILURE);
	rsa_params(&p, c, 256, TPM_ALG_RSAES, 0, NULL, 0);
	both_differ(TPM_CC_RSA_Decrypt, h, true, &p, TPM_RC_VALUE, TPM_RC_FAILURE);
	rsa_params(&p, c, 256, TPM_ALG_OAEP, TPM_ALG_SHA1, "lab", 4);
	both_differ(TPM_CC_RSA_Decrypt, h, true, &p, TPM_RC_VALUE, TPM_RC_FAILURE);
	rsa_params(&p, c, 256, TPM_ALG_OAEP, TPM_ALG_SHA256, "lab", 3);
	both(TPM_CC_RSA_Decrypt, h, true, &p, RC_P(TPM_RC_VALUE, 3));
	rsa_params(&p, c, 256, TPM_ALG_OAEP, TPM_ALG_SHA256, "lab", 4);
	both(TPM_CC_RSA_Decrypt, h, true, &p, 0);
	flush_both(h);

	/* Keys: a key with its own scheme takes only that one */
	h = load_rsa(&k, true, DECRYPT | UWA, TPM_ALG_OAEP, TPM_ALG_SHA384, TPM_RH_NULL);
	rsa_params(&p, msg, 3, TPM_ALG_OAEP, TPM_ALG_SHA256, NULL, 0);
	both(TPM_CC_RSA_Encrypt, h, false, &p, RC_P(TPM_RC_SCHEME, 2));
	rsa_params(&p, msg, 3, TPM_ALG_RSAES, 0, NULL, 0);
	both(TPM_CC_RSA_Encrypt, h, false, &p, RC_P(TPM_RC_SCHEME, 2));
	rsa_params(&p, c, 256, TPM_ALG_RSAES, 0, NULL, 0);
	both(TPM_CC_RSA_Decrypt, h, true, &p, RC_P(TPM_RC_SCHEME, 2));
	rsa_params(&p, msg, 3, TPM_ALG_NULL, 0, NULL, 0);
	both(TPM_CC_RSA_Encrypt, h, false, &p, 0);
	memcpy(c, husk_out() + 2, 256);
	{
		uint8_t out[384];

		assert_int_equal(mbed_rsa_decrypt(&k, TPM_ALG_OAEP, TPM_ALG_SHA384, NULL, 0, c, out), 3);
	}
	rsa_params(&p, c, 256, TPM_ALG_OAEP, TPM_ALG_SHA384, NULL, 0);
	both(TPM_CC_RSA_Decrypt, h, true, &p, 0);
	fx_same_response();
	flush_both(h);
	/* not decrypt keys; restricted keys may encrypt but not decrypt */
	hs = load_rsa(&k, true, SIGN | UWA, TPM_ALG_NULL, 0, TPM_RH_NULL);
	rsa_params(&p, msg, 3, TPM_ALG_NULL, 0, NULL, 0);
	both(TPM_CC_RSA_Encrypt, hs, false, &p, RC_H(TPM_RC_ATTRIBUTES, 1));
	rsa_params(&p, c, 256, TPM_ALG_NULL, 0, NULL, 0);
	both(TPM_CC_RSA_Decrypt, hs, true, &p, RC_H(TPM_RC_ATTRIBUTES, 1));
	flush_both(hs);
	{
		/* A restricted decryption key is a parent: AES-128-CFB */
		struct tb q;

		tb_reset(&q);
		fx_sensitive(&q, TPM_ALG_RSA, "", "", 0, k.p, k.len / 2);
		tb_begin(&q);
		tb_u16(&q, TPM_ALG_RSA);
		tb_u16(&q, TPM_ALG_SHA256);
		tb_u32(&q, DECRYPT | UWA | RESTRICTED);
		tb_2b(&q, "", 0);
		tb_u16(&q, TPM_ALG_AES);
		tb_u16(&q, 128);
		tb_u16(&q, TPM_ALG_CFB);
		tb_u16(&q, TPM_ALG_NULL);
		tb_u16(&q, 2048);
		tb_u32(&q, 0);
		tb_2b(&q, k.n, k.len);
		tb_end(&q);
		tb_u32(&q, TPM_RH_NULL);
		hk = fx_inject(host.tpm, q.b, q.n);
	}
	rsa_params(&p, msg, 3, TPM_ALG_NULL, 0, NULL, 0);
	assert_int_equal(husk_call(TPM_CC_RSA_Encrypt, hk, false, &p), 0);
	rsa_params(&p, c, 256, TPM_ALG_NULL, 0, NULL, 0);
	assert_int_equal(husk_call(TPM_CC_RSA_Decrypt, hk, true, &p), RC_H(TPM_RC_ATTRIBUTES, 1));
	tpm_object_release(host.tpm, tpm_object_find(host.tpm, hk));
	/* not RSA keys */
	h = load_ecc(&e, true, DECRYPT | UWA, TPM_ALG_NULL, 0, TPM_RH_NULL);
	rsa_params(&p, msg, 3, TPM_ALG_NULL, 0, NULL, 0);
	both(TPM_CC_RSA_Encrypt, h, false, &p, RC_H(TPM_RC_KEY, 1));
	rsa_params(&p, c, 256, TPM_ALG_NULL, 0, NULL, 0);
	both(TPM_CC_RSA_Decrypt, h, true, &p, RC_H(TPM_RC_KEY, 1));
	flush_both(h);
}

/* ---- ECDH ---- */

/* Z = d * (x, y) with mbedTLS; out gets x || y. */
static void mbed_ecdh(const struct ecc_key *k, const uint8_t *x, const uint8_t *y, uint8_t *out)
{
	mbedtls_ecp_group grp;
	mbedtls_ecp_point pt, z;
	mbedtls_mpi d;
	uint8_t buf[1 + 2 * 66];
	size_t len;

	mbedtls_ecp_group_init(&grp);
	mbedtls_ecp_point_init(&pt);
	mbedtls_ecp_point_init(&z);
	mbedtls_mpi_init(&d);
	assert_int_equal(mbedtls_ecp_group_load(&grp, group_of(k->curve)), 0);
	buf[0] = 4;
	memcpy(buf + 1, x, k->len);
	memcpy(buf + 1 + k->len, y, k->len);
	assert_int_equal(mbedtls_ecp_point_read_binary(&grp, &pt, buf, 1 + 2 * k->len), 0);
	assert_int_equal(mbedtls_mpi_read_binary(&d, k->d, k->len), 0);
	assert_int_equal(mbedtls_ecp_mul(&grp, &z, &d, &pt, test_rng, NULL), 0);
	assert_int_equal(mbedtls_ecp_point_write_binary(&grp, &z, MBEDTLS_ECP_PF_UNCOMPRESSED, &len, buf,
							sizeof(buf)),
			 0);
	assert_int_equal(len, 1 + 2 * k->len);
	memcpy(out, buf + 1, 2 * k->len);
	mbedtls_ecp_group_free(&grp);
	mbedtls_ecp_point_free(&pt);
	mbedtls_ecp_point_free(&z);
	mbedtls_mpi_free(&d);
}

/* A TPM2B_ECC_POINT at p with coordinates of len bytes: x || y to out. */
static void ecc_point_at(const uint8_t *p, size_t len, uint8_t *out)
{
	assert_int_equal(tpm_be16(p), 4 + 2 * len);
	assert_int_equal(tpm_be16(p + 2), len);
	memcpy(out, p + 4, len);
	assert_int_equal(tpm_be16(p + 4 + len), len);
	memcpy(out + len, p + 6 + len, len);
}

static void zgen_params(struct tb *p, const uint8_t *x, size_t xl, const uint8_t *y, size_t yl)
{
	tb_reset(p);
	tb_begin(p);
	tb_2b(p, x, xl);
	tb_2b(p, y, yl);
	tb_end(p);
}

static void test_ecdh(void **state)
{
	static const uint16_t curves[] = { TPM_ECC_NIST_P256, TPM_ECC_NIST_P384, TPM_ECC_NIST_P521 };

	(void)state;
	for (unsigned c = 0; c < 3; c++) {
		struct ecc_key k;
		uint8_t z[2][132], q[2][132], want[132];
		uint32_t hpub, hpriv;
		struct tb p;

		ecc_key(&k, curves[c]);
		hpub = load_ecc(&k, false, DECRYPT | UWA, TPM_ALG_NULL, 0, TPM_RH_NULL);
		hpriv = load_ecc(&k, true, DECRYPT | UWA, TPM_ALG_ECDH, TPM_ALG_SHA256, TPM_RH_NULL);
		/* KeyGen against the public key on both TPMs */
		both(TPM_CC_ECDH_KeyGen, hpub, false, NULL, 0);
		ecc_point_at(husk_out(), k.len, z[0]);
		ecc_point_at(husk_out() + 2 + 4 + 2 * k.len, k.len, q[0]);
		ecc_point_at(ref_out(), k.len, z[1]);
		ecc_point_at(ref_out() + 2 + 4 + 2 * k.len, k.len, q[1]);
		for (unsigned i = 0; i < 2; i++) {
			/* Z = d * Q_ephemeral, independently and with ZGen on both */
			mbed_ecdh(&k, q[i], q[i] + k.len, want);
			assert_memory_equal(z[i], want, 2 * k.len);
			zgen_params(&p, q[i], k.len, q[i] + k.len, k.len);
			both(TPM_CC_ECDH_ZGen, hpriv, true, &p, 0);
			fx_same_response();
			ecc_point_at(husk_out(), k.len, want);
			assert_memory_equal(z[i], want, 2 * k.len);
		}
		/* Leading zeros may be left out of the coordinates. */
		{
			uint8_t x[66], y[66];

			memcpy(x, k.x, k.len);
			memcpy(y, k.y, k.len);
			zgen_params(&p, x, k.len, y, k.len);
			both(TPM_CC_ECDH_ZGen, hpriv, true, &p, 0);
			fx_same_response();
		}
		flush_both(hpub);
		flush_both(hpriv);
	}
}

static void test_ecdh_errors(void **state)
{
	uint8_t x[66], y[66], big[67] = { 0 };
	struct ecc_key k;
	struct rsa_key r;
	struct tb p;
	uint32_t h;

	(void)state;
	ecc_key(&k, TPM_ECC_NIST_P256);
	rsa_key(&r, 2048);
	memcpy(x, k.x, 32);
	memcpy(y, k.y, 32);
	h = load_ecc(&k, true, DECRYPT | UWA, TPM_ALG_NULL, 0, TPM_RH_NULL);
	/* Not on the curve: invalid-curve attacks */
	y[31] ^= 1;
	zgen_params(&p, x, 32, y, 32);
	both(TPM_CC_ECDH_ZGen, h, true, &p, RC_P(TPM_RC_ECC_POINT, 1));
	y[31] ^= 1;
	zgen_params(&p, x, 32, y, 0);
	both(TPM_CC_ECDH_ZGen, h, true, &p, RC_P(TPM_RC_ECC_POINT, 1));
	zgen_params(&p, big, 33, y, 32);
	both(TPM_CC_ECDH_ZGen, h, true, &p, RC_P(TPM_RC_ECC_POINT, 1));
	/* Framing: size 0, inner size mismatch, coordinate too long */
	tb_reset(&p);
	tb_u16(&p, 0);
	both(TPM_CC_ECDH_ZGen, h, true, &p, RC_P(TPM_RC_SIZE, 1));
	zgen_params(&p, x, 32, y, 32);
	p.b[1] += 1;
	tb_u8(&p, 0);
	both(TPM_CC_ECDH_ZGen, h, true, &p, RC_P(TPM_RC_SIZE, 1));
	zgen_params(&p, big, 67, y, 32);
	assert_int_equal(husk_call(TPM_CC_ECDH_ZGen, h, true, &p), RC_P(TPM_RC_SIZE, 1));
	zgen_params(&p, x, 32, y, 32);
	tb_u8(&p, 0);
	both(TPM_CC_ECDH_ZGen, h, true, &p, TPM_RC_SIZE);
	/* The point is read from the command, not from inside its size: a
	 * coordinate running past the command is that coordinate's short
	 * read, a size past the command a size mismatch. */
	zgen_params(&p, x, 32, y, 32);
	p.b[p.n - 33] += 1;
	both(TPM_CC_ECDH_ZGen, h, true, &p, RC_P(TPM_RC_INSUFFICIENT, 1));
	zgen_params(&p, x, 32, y, 32);
	p.b[0] = p.b[1] = 0xff;
	both(TPM_CC_ECDH_ZGen, h, true, &p, RC_P(TPM_RC_SIZE, 1));
	flush_both(h);
	/* Key attributes and schemes */
	h = load_ecc(&k, true, SIGN | UWA, TPM_ALG_NULL, 0, TPM_RH_NULL);
	zgen_params(&p, x, 32, y, 32);
	both(TPM_CC_ECDH_ZGen, h, true, &p, RC_H(TPM_RC_ATTRIBUTES, 1));
	/* KeyGen needs only a public ECC key, whatever its attributes */
	both(TPM_CC_ECDH_KeyGen, h, false, NULL, 0);
	flush_both(h);
	h = load_rsa(&r, false, DECRYPT | UWA, TPM_ALG_NULL, 0, TPM_RH_NULL);
	both(TPM_CC_ECDH_KeyGen, h, false, NULL, RC_H(TPM_RC_KEY, 1));
	flush_both(h);
	h = load_rsa(&r, true, DECRYPT | UWA, TPM_ALG_NULL, 0, TPM_RH_NULL);
	both(TPM_CC_ECDH_ZGen, h, true, &p, RC_H(TPM_RC_KEY, 1));
	flush_both(h);
	/* trailing bytes in KeyGen */
	h = load_ecc(&k, false, DECRYPT | UWA, TPM_ALG_NULL, 0, TPM_RH_NULL);
	tb_reset(&p);
	tb_u8(&p, 0);
	both(TPM_CC_ECDH_KeyGen, h, false, &p, TPM_RC_SIZE);
	flush_both(h);
	/* A restricted decryption key (a parent) does not do ZGen. */
	{
		struct tb q;

		tb_reset(&q);
		fx_sensitive(&q, TPM_ALG_ECC, "", "", 0, k.d, 32);
		tb_begin(&q);
		tb_u16(&q, TPM_ALG_ECC);
		tb_u16(&q, TPM_ALG_SHA256);
		tb_u32(&q, DECRYPT | UWA | RESTRICTED);
		tb_2b(&q, "", 0);
		tb_u16(&q, TPM_ALG_AES);
		tb_u16(&q, 128);
		tb_u16(&q, TPM_ALG_CFB);
		tb_u16(&q, TPM_ALG_NULL);
		tb_u16(&q, TPM_ECC_NIST_P256);
		tb_u16(&q, TPM_ALG_NULL);
		tb_2b(&q, k.x, 32);
		tb_2b(&q, k.y, 32);
		tb_end(&q);
		tb_u32(&q, TPM_RH_NULL);
		h = fx_inject(host.tpm, q.b, q.n);
	}
	zgen_params(&p, x, 32, y, 32);
	assert_int_equal(husk_call(TPM_CC_ECDH_ZGen, h, true, &p), RC_H(TPM_RC_ATTRIBUTES, 1));
	tpm_object_release(host.tpm, tpm_object_find(host.tpm, h));
}

/* ---- EncryptDecrypt ---- */

/* SP 800-38A F.1-F.5 (AES-128 and AES-256): key, IV, plaintext, and the
 * ciphertext per mode. */
static const char sp_pt[] = "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
			    "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710";
static const char sp_iv[] = "000102030405060708090a0b0c0d0e0f";
static const char sp_ctr_iv[] = "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";
static const struct {
	const char *key;
	uint16_t mode;
	const char *ct;
} sp_vectors[] = {
	{ "2b7e151628aed2a6abf7158809cf4f3c", TPM_ALG_ECB,
	  "3ad77bb40d7a3660a89ecaf32466ef97f5d3d58503b9699de785895a96fdbaaf"
	  "43b1cd7f598ece23881b00e3ed0306887b0c785e27e8ad3f8223207104725dd4" },
	{ "2b7e151628aed2a6abf7158809cf4f3c", TPM_ALG_CBC,
	  "7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2"
	  "73bed6b8e3c1743b7116e69e222295163ff1caa1681fac09120eca307586e1a7" },
	{ "2b7e151628aed2a6abf7158809cf4f3c", TPM_ALG_CFB,
	  "3b3fd92eb72dad20333449f8e83cfb4ac8a64537a0b3a93fcde3cdad9f1ce58b"
	  "26751f67a3cbb140b1808cf187a4f4dfc04b05357c5d1c0eeac4c66f9ff7f2e6" },
	{ "2b7e151628aed2a6abf7158809cf4f3c", TPM_ALG_OFB,
	  "3b3fd92eb72dad20333449f8e83cfb4a7789508d16918f03f53c52dac54ed825"
	  "9740051e9c5fecf64344f7a82260edcc304c6528f659c77866a510d9c1d6ae5e" },
	{ "2b7e151628aed2a6abf7158809cf4f3c", TPM_ALG_CTR,
	  "874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff"
	  "5ae4df3edbd5d35e5b4f09020db03eab1e031dda2fbe03d1792170a0f3009cee" },
	{ "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4", TPM_ALG_ECB,
	  "f3eed1bdb5d2a03c064b5a7e3db181f8591ccb10d410ed26dc5ba74a31362870"
	  "b6ed21b99ca6f4f9f153e7b1beafed1d23304b7a39f9f3ff067d8d8f9e24ecc7" },
	{ "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4", TPM_ALG_CBC,
	  "f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d"
	  "39f23369a9d9bacfa530e26304231461b2eb05e2c39be9fcda6c19078c6a9d1b" },
	{ "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4", TPM_ALG_CFB,
	  "dc7e84bfda79164b7ecd8486985d386039ffed143b28b1c832113c6331e5407b"
	  "df10132415e54b92a13ed0a8267ae2f975a385741ab9cef82031623d55b1e471" },
	{ "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4", TPM_ALG_OFB,
	  "dc7e84bfda79164b7ecd8486985d38604febdc6740d20b3ac88f6ad82a4fb08d"
	  "71ab47a086e86eedf39d1c5bba97c4080126141d67f37be8538f5a8be740e484" },
	{ "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4", TPM_ALG_CTR,
	  "601ec313775789a5b7a7f504bbf3d228f443e3ca4d62b59aca84e990cacaf5c5"
	  "2b0930daa23de94ce87017ba2d84988ddfc9c58db67aada613c2dd08457941a6" },
};

static void ed_params(struct tb *p, bool v2, uint8_t decrypt, uint16_t mode, const uint8_t *iv, size_t ivlen,
		      const uint8_t *data, size_t len)
{
	tb_reset(p);
	if (v2)
		tb_2b(p, data, len);
	tb_u8(p, decrypt);
	tb_u16(p, mode);
	tb_2b(p, iv, ivlen);
	if (!v2)
		tb_2b(p, data, len);
}

/* EncryptDecrypt(2) on both TPMs; out gets outData, iv_out ivOut. */
static void ed_both(uint32_t h, bool v2, uint8_t decrypt, uint16_t mode, const uint8_t *iv, size_t ivlen,
		    const uint8_t *data, size_t len, uint8_t *out, uint8_t *iv_out)
{
	struct tb p;
	const uint8_t *o;

	ed_params(&p, v2, decrypt, mode, iv, ivlen, data, len);
	both(v2 ? TPM_CC_EncryptDecrypt2 : TPM_CC_EncryptDecrypt, h, true, &p, 0);
	o = husk_out();
	if (mode == TPM_ALG_CFB && len % 16) {
		/* After a partial block the reference implementation's chaining
		 * value is that block's ciphertext padded with zeros; libtpms
		 * (on OpenSSL) leaves cipher output in the padding instead. */
		const uint8_t *ct = decrypt ? data : o + 2;
		size_t part = len % 16;

		size_t upto = (size_t)(o - host.rsp) + 2 + len + 2 + part;

		assert_int_equal(host.rsp_len, ref.rsp_len);
		assert_memory_equal(host.rsp, ref.rsp, upto);
		assert_memory_equal(host.rsp + upto + 16 - part, ref.rsp + upto + 16 - part,
				    host.rsp_len - (upto + 16 - part));
		assert_memory_equal(o + 4 + len, ct + len - part, part);
		for (size_t i = part; i < 16; i++)
			assert_int_equal(o[4 + len + i], 0);
	} else {
		fx_same_response();
	}
	assert_int_equal(tpm_be16(o), len);
	memcpy(out, o + 2, len);
	assert_int_equal(tpm_be16(o + 2 + len), ivlen);
	if (iv_out)
		memcpy(iv_out, o + 4 + len, tpm_be16(o + 2 + len));
}

static void test_encrypt_decrypt_vectors(void **state)
{
	uint8_t pt[64], ct[64], out[64], iv[16], key[32], ivout[16];

	(void)state;
	fx_hex(sp_pt, pt, sizeof(pt));
	for (size_t v = 0; v < sizeof(sp_vectors) / sizeof(sp_vectors[0]); v++) {
		size_t klen = fx_hex(sp_vectors[v].key, key, sizeof(key));
		uint16_t mode = sp_vectors[v].mode;
		size_t ivlen = mode == TPM_ALG_ECB ? 0 : 16;
		struct tb p;
		uint32_t h;

		fx_hex(mode == TPM_ALG_CTR ? sp_ctr_iv : sp_iv, iv, sizeof(iv));
		fx_hex(sp_vectors[v].ct, ct, sizeof(ct));
		/* A key without a mode of its own: the command's mode */
		fx_symcipher(&p, key, klen, SIGN | DECRYPT | UWA, TPM_ALG_NULL);
		h = load_both(&p);
		for (int v2 = 0; v2 < 2; v2++) {
			ed_both(h, v2, 0, mode, iv, ivlen, pt, 64, out, ivout);
			assert_memory_equal(out, ct, 64);
			ed_both(h, v2, 1, mode, iv, ivlen, ct, 64, out, NULL);
			assert_memory_equal(out, pt, 64);
			/* Two calls chained through ivOut give the same result. */
			ed_both(h, v2, 0, mode, iv, ivlen, pt, 32, out, ivout);
			ed_both(h, v2, 0, mode, ivout, ivlen, pt + 32, 32, out + 32, NULL);
			assert_memory_equal(out, ct, 64);
			ed_both(h, v2, 1, mode, iv, ivlen, ct, 16, out, ivout);
			ed_both(h, v2, 1, mode, ivout, ivlen, ct + 16, 48, out + 16, NULL);
			assert_memory_equal(out, pt, 64);
			if (mode != TPM_ALG_CBC && mode != TPM_ALG_ECB) {
				/* Stream modes: any length, and a partial block's
				 * chaining value as the reference has it. */
				ed_both(h, v2, 0, mode, iv, ivlen, pt, 21, out, ivout);
				assert_memory_equal(out, ct, 21);
				ed_both(h, v2, 1, mode, iv, ivlen, ct, 37, out, ivout);
				assert_memory_equal(out, pt, 37);
				ed_both(h, v2, 0, mode, iv, ivlen, pt, 0, out, ivout);
				assert_memory_equal(ivout, iv, 16);
			}
		}
		flush_both(h);
		/* A key with this mode: NULL or the same mode in the command */
		fx_symcipher(&p, key, klen, SIGN | DECRYPT | UWA, mode);
		h = load_both(&p);
		ed_both(h, true, 0, TPM_ALG_NULL, iv, ivlen, pt, 64, out, NULL);
		assert_memory_equal(out, ct, 64);
		ed_both(h, false, 1, mode, iv, ivlen, ct, 64, out, NULL);
		assert_memory_equal(out, pt, 64);
		flush_both(h);
	}
}

static void test_encrypt_decrypt_errors(void **state)
{
	uint8_t key[16] = { 7 }, iv[17] = { 0 }, data[TPM_MAX_BUFFER + 1] = { 0 };
	struct rsa_key r;
	struct tb p;
	uint32_t h;

	(void)state;
	rsa_key(&r, 2048);
	fx_symcipher(&p, key, 16, SIGN | DECRYPT | UWA, TPM_ALG_CBC);
	h = load_both(&p);
	for (int v2 = 0; v2 < 2; v2++) {
		uint32_t cc = v2 ? TPM_CC_EncryptDecrypt2 : TPM_CC_EncryptDecrypt;
		unsigned p_data = v2 ? 1 : 4, p_dec = v2 ? 2 : 1, p_mode = v2 ? 3 : 2, p_iv = v2 ? 4 : 3;

		/* another mode than the key's; no mode at all */
		ed_params(&p, v2, 0, TPM_ALG_CFB, iv, 16, data, 16);
		both(cc, h, true, &p, RC_P(TPM_RC_MODE, p_mode));
		ed_params(&p, v2, 0, TPM_ALG_CBC, iv, 16, data, 15);
		both(cc, h, true, &p, RC_P(TPM_RC_SIZE, p_data));
		ed_params(&p, v2, 0, TPM_ALG_CBC, iv, 15, data, 16);
		both(cc, h, true, &p, RC_P(TPM_RC_SIZE, p_iv));
		ed_params(&p, v2, 0, TPM_ALG_CBC, iv, 0, data, 16);
		both(cc, h, true, &p, RC_P(TPM_RC_SIZE, p_iv));
		/* unmarshalling: decrypt not YES/NO, unknown mode, IV too long,
		 * data too long */
		ed_params(&p, v2, 2, TPM_ALG_CBC, iv, 16, data, 16);
		both(cc, h, true, &p, RC_P(TPM_RC_VALUE, p_dec));
		ed_params(&p, v2, 0, TPM_ALG_CMAC, iv, 16, data, 16);
		both(cc, h, true, &p, RC_P(TPM_RC_MODE, p_mode));
		ed_params(&p, v2, 0, TPM_ALG_SHA256, iv, 16, data, 16);
		both(cc, h, true, &p, RC_P(TPM_RC_MODE, p_mode));
		ed_params(&p, v2, 0, TPM_ALG_CBC, iv, 17, data, 16);
		both(cc, h, true, &p, RC_P(TPM_RC_SIZE, p_iv));
		ed_params(&p, v2, 0, TPM_ALG_CBC, iv, 16, data, sizeof(data));
		both(cc, h, true, &p, RC_P(TPM_RC_SIZE, p_data));
		ed_params(&p, v2, 0, TPM_ALG_CBC, iv, 16, data, 16);
		tb_u8(&p, 0);
		both(cc, h, true, &p, TPM_RC_SIZE);
	}
	flush_both(h);
	/* ECB wants an empty IV; a key without a mode needs one in the command */
	fx_symcipher(&p, key, 16, SIGN | DECRYPT | UWA, TPM_ALG_NULL);
	h = load_both(&p);
	ed_params(&p, false, 0, TPM_ALG_ECB, iv, 16, data, 16);
	both(TPM_CC_EncryptDecrypt, h, true, &p, RC_P(TPM_RC_SIZE, 3));
	ed_params(&p, false, 0, TPM_ALG_NULL, iv, 16, data, 16);
	both(TPM_CC_EncryptDecrypt, h, true, &p, RC_P(TPM_RC_MODE, 2));
	ed_params(&p, true, 0, TPM_ALG_NULL, iv, 16, data, 16);
	both(TPM_CC_EncryptDecrypt2, h, true, &p, RC_P(TPM_RC_MODE, 3));
	ed_params(&p, false, 0, TPM_ALG_ECB, iv, 0, data, 8);
	both(TPM_CC_EncryptDecrypt, h, true, &p, RC_P(TPM_RC_SIZE, 4));
	flush_both(h);
	/* The key must allow the direction ("sign" is encrypt) */
	fx_symcipher(&p, key, 16, DECRYPT | UWA, TPM_ALG_CFB);
	h = load_both(&p);
	ed_params(&p, false, 0, TPM_ALG_CFB, iv, 16, data, 16);
	both(TPM_CC_EncryptDecrypt, h, true, &p, RC_H(TPM_RC_ATTRIBUTES, 1));
	ed_params(&p, false, 1, TPM_ALG_CFB, iv, 16, data, 16);
	both(TPM_CC_EncryptDecrypt, h, true, &p, 0);
	flush_both(h);
	fx_symcipher(&p, key, 16, SIGN | UWA, TPM_ALG_CFB);
	h = load_both(&p);
	ed_params(&p, true, 1, TPM_ALG_CFB, iv, 16, data, 16);
	both(TPM_CC_EncryptDecrypt2, h, true, &p, RC_H(TPM_RC_ATTRIBUTES, 1));
	flush_both(h);
	/* Restricted symmetric keys (parents) do not encrypt for callers. */
	fx_symcipher(&p, key, 16, SIGN | DECRYPT | UWA | RESTRICTED, TPM_ALG_CFB);
	h = fx_inject(host.tpm, p.b, p.n);
	ed_params(&p, false, 1, TPM_ALG_CFB, iv, 16, data, 16);
	assert_int_equal(husk_call(TPM_CC_EncryptDecrypt, h, true, &p), RC_H(TPM_RC_ATTRIBUTES, 1));
	tpm_object_release(host.tpm, tpm_object_find(host.tpm, h));
	/* Not a symmetric key */
	h = load_rsa(&r, true, SIGN | DECRYPT | UWA, TPM_ALG_NULL, 0, TPM_RH_NULL);
	ed_params(&p, false, 1, TPM_ALG_CFB, iv, 16, data, 16);
	both(TPM_CC_EncryptDecrypt, h, true, &p, RC_H(TPM_RC_KEY, 1));
	flush_both(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sign_rsa, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_sign_ecdsa, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_sign_hmac, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_sign_errors, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_sign_restricted, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_sign_unrestricted_ticket, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_verify_tickets, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_verify_errors, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_rsa_encrypt_decrypt, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_rsa_raw, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_rsa_errors, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_ecdh, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_ecdh_errors, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_encrypt_decrypt_vectors, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_encrypt_decrypt_errors, setup, fx_teardown),
	};

	return cmocka_run_group_tests_name("tpm_asym", tests, NULL, NULL);
}
