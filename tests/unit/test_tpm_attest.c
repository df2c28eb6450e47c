/* Unit tests of attestation (tpm_attest.c): Quote, Certify and GetTime.
 * Each TPMS_ATTEST is parsed field by field, its PCR digest recomputed from
 * PCR_Read, and its signature verified with mbedTLS against the public key
 * the TPM returned (ECDSA P-256, RSASSA-2048, HMAC); clockInfo obfuscation
 * is checked for owner keys and its absence for endorsement keys.  Error
 * codes are compared with libtpms, which runs the same commands in
 * process. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "../common/tpm_fixture.h"
#include "mbedtls/ecdsa.h"
#include "mbedtls/rsa.h"

#define RC_P(rc, n) ((rc) | TPM_RC_P | ((uint32_t)(n) << 8))
#define RC_H(rc, n) ((rc) | TPM_RC_H | ((uint32_t)(n) << 8))
#define GENERATED 0xff544347u

static const char *const pw2[] = { "", "" };

static int setup(void **state)
{
	(void)state;
	return fx_setup(0x415454ull, 0);
}

static uint32_t call(int tgt, uint32_t cc, const uint32_t *h, unsigned nh, unsigned npw, const struct tb *p)
{
	return fx_call(fx_tgt[tgt], cc, h, nh, pw2, npw, p);
}

static void both(uint32_t cc, const uint32_t *hh, const uint32_t *hr, unsigned nh, unsigned npw,
		 const struct tb *p, uint32_t rc)
{
	uint32_t a = call(HUSK, cc, hh, nh, npw, p), b = call(REF, cc, hr, nh, npw, p);

	if (a != rc || b != rc)
		print_error("cc %03x: husk %03x libtpms %03x want %03x\n", cc, a, b, rc);
	assert_int_equal(a, rc);
	assert_int_equal(b, rc);
}

/* ---- keys ---- */

struct key {
	uint32_t handle;
	uint16_t type;
	uint8_t x[66], y[66]; /* ECC point, or the RSA modulus in x[] (rsa) */
	uint8_t n[256];
	struct tpm2b_name name, qn;
};

/* A primary signing key: ECC P-256 ECDSA-SHA256, RSA-2048 RSASSA-SHA256,
 * or a storage (decrypt) ECC key. */
static void primary(int tgt, uint32_t hierarchy, uint16_t type, bool restricted, bool sign, struct key *k)
{
	uint32_t attrs = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN |
			 TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_NODA |
			 (restricted ? TPMA_OBJECT_RESTRICTED : 0) |
			 (sign ? TPMA_OBJECT_SIGN_ENCRYPT : TPMA_OBJECT_DECRYPT);
	struct tb p;
	const uint8_t *r;

	tb_reset(&p);
	tb_u16(&p, 4);
	tb_u32(&p, 0);
	tb_begin(&p);
	tb_u16(&p, type);
	tb_u16(&p, TPM_ALG_SHA256);
	tb_u32(&p, attrs);
	tb_u16(&p, 0);
	if (sign) {
		tb_u16(&p, TPM_ALG_NULL);
		tb_u16(&p, type == TPM_ALG_ECC ? TPM_ALG_ECDSA : TPM_ALG_RSASSA);
		tb_u16(&p, TPM_ALG_SHA256);
	} else {
		tb_u16(&p, TPM_ALG_AES);
		tb_u16(&p, 128);
		tb_u16(&p, TPM_ALG_CFB);
		tb_u16(&p, TPM_ALG_NULL);
	}
	if (type == TPM_ALG_ECC) {
		tb_u16(&p, TPM_ECC_NIST_P256);
		tb_u16(&p, TPM_ALG_NULL);
		tb_u16(&p, 0);
		tb_u16(&p, 0);
	} else {
		tb_u16(&p, 2048);
		tb_u32(&p, 0);
		tb_u16(&p, 0);
	}
	tb_end(&p);
	tb_u16(&p, 0);
	tb_u32(&p, 0);
	assert_int_equal(call(tgt, TPM_CC_CreatePrimary, &hierarchy, 1, 1, &p), 0);
	r = fx_tgt[tgt]->rsp;
	k->handle = tpm_be32(r + 10);
	k->type = type;
	r += 18 + 2; /* TPMT_PUBLIC */
	r += 2 + 2 + 4;
	r += 2 + tpm_be16(r); /* authPolicy */
	if (type == TPM_ALG_ECC) {
		r += sign ? 2 + 4 + 2 + 2 : 6 + 2 + 2 + 2;
		assert_int_equal(tpm_be16(r), 32);
		memcpy(k->x, r + 2, 32);
		r += 34;
		memcpy(k->y, r + 2, 32);
	} else {
		r += 2 + 4 + 2 + 4;
		assert_int_equal(tpm_be16(r), 256);
		memcpy(k->n, r + 2, 256);
	}
	/* Name and qualified name from ReadPublic */
	assert_int_equal(call(tgt, TPM_CC_ReadPublic, &k->handle, 1, 0, NULL), 0);
	r = fx_tgt[tgt]->rsp + 10;
	r += 2 + tpm_be16(r);
	k->name.size = tpm_be16(r);
	memcpy(k->name.b, r + 2, k->name.size);
	r += 2 + k->name.size;
	k->qn.size = tpm_be16(r);
	memcpy(k->qn.b, r + 2, k->qn.size);
}

/* ---- parsing and verifying ---- */

struct attest {
	uint8_t raw[TPM_MAX_ATTEST];
	uint16_t len;
	uint16_t type;
	struct tpm2b_name signer;
	uint8_t extra[66];
	uint16_t extra_len;
	uint64_t clock;
	uint32_t reset, restart;
	uint8_t safe;
	uint64_t firmware;
	const uint8_t *body; /* attested, inside raw */
	/* the signature after it */
	uint16_t sig_alg, sig_hash;
	uint8_t sig_a[256], sig_b[66];
	uint16_t sig_a_len, sig_b_len;
};

static uint64_t rd64(const uint8_t *p)
{
	return (uint64_t)tpm_be32(p) << 32 | tpm_be32(p + 4);
}

static void parse(const uint8_t *r, struct attest *a)
{
	const uint8_t *q;

	a->len = tpm_be16(r);
	assert_true(a->len <= sizeof(a->raw));
	memcpy(a->raw, r + 2, a->len);
	q = a->raw;
	assert_int_equal(tpm_be32(q), GENERATED);
	a->type = tpm_be16(q + 4);
	q += 6;
	a->signer.size = tpm_be16(q);
	memcpy(a->signer.b, q + 2, a->signer.size);
	q += 2 + a->signer.size;
	a->extra_len = tpm_be16(q);
	memcpy(a->extra, q + 2, a->extra_len);
	q += 2 + a->extra_len;
	a->clock = rd64(q);
	a->reset = tpm_be32(q + 8);
	a->restart = tpm_be32(q + 12);
	a->safe = q[16];
	a->firmware = rd64(q + 17);
	a->body = q + 25;
	r += 2 + a->len;
	a->sig_alg = tpm_be16(r);
	if (a->sig_alg == TPM_ALG_NULL)
		return;
	a->sig_hash = tpm_be16(r + 2);
	r += 4;
	if (a->sig_alg == TPM_ALG_HMAC) {
		a->sig_a_len = 32; /* TPMT_HA: the digest without a size */
		memcpy(a->sig_a, r, 32);
		return;
	}
	a->sig_a_len = tpm_be16(r);
	assert_true(a->sig_a_len <= sizeof(a->sig_a));
	memcpy(a->sig_a, r + 2, a->sig_a_len);
	if (a->sig_alg == TPM_ALG_ECDSA) {
		r += 2 + a->sig_a_len;
		a->sig_b_len = tpm_be16(r);
		memcpy(a->sig_b, r + 2, a->sig_b_len);
	}
}

static void verify(const struct key *k, const struct attest *a)
{
	uint8_t digest[32];

	assert_int_equal(a->sig_hash, TPM_ALG_SHA256);
	assert_int_equal(mbedtls_md(fx_md(TPM_ALG_SHA256), a->raw, a->len, digest), 0);
	if (k->type == TPM_ALG_ECC) {
		mbedtls_ecp_group grp;
		mbedtls_ecp_point q;
		mbedtls_mpi r, s;
		uint8_t pt[65];

		assert_int_equal(a->sig_alg, TPM_ALG_ECDSA);
		mbedtls_ecp_group_init(&grp);
		mbedtls_ecp_point_init(&q);
		mbedtls_mpi_init(&r);
		mbedtls_mpi_init(&s);
		assert_int_equal(mbedtls_ecp_group_load(&grp, MBEDTLS_ECP_DP_SECP256R1), 0);
		pt[0] = 4;
		memcpy(pt + 1, k->x, 32);
		memcpy(pt + 33, k->y, 32);
		assert_int_equal(mbedtls_ecp_point_read_binary(&grp, &q, pt, 65), 0);
		assert_int_equal(mbedtls_mpi_read_binary(&r, a->sig_a, a->sig_a_len), 0);
		assert_int_equal(mbedtls_mpi_read_binary(&s, a->sig_b, a->sig_b_len), 0);
		assert_int_equal(mbedtls_ecdsa_verify(&grp, digest, 32, &q, &r, &s), 0);
		/* and not for other data */
		digest[0] ^= 1;
		assert_int_not_equal(mbedtls_ecdsa_verify(&grp, digest, 32, &q, &r, &s), 0);
		mbedtls_ecp_group_free(&grp);
		mbedtls_ecp_point_free(&q);
		mbedtls_mpi_free(&r);
		mbedtls_mpi_free(&s);
	} else {
		mbedtls_rsa_context rsa;
		mbedtls_mpi n, e;

		assert_int_equal(a->sig_alg, TPM_ALG_RSASSA);
		mbedtls_rsa_init(&rsa);
		mbedtls_mpi_init(&n);
		mbedtls_mpi_init(&e);
		assert_int_equal(mbedtls_mpi_read_binary(&n, k->n, 256), 0);
		assert_int_equal(mbedtls_mpi_lset(&e, 65537), 0);
		assert_int_equal(mbedtls_rsa_import(&rsa, &n, NULL, NULL, NULL, &e), 0);
		assert_int_equal(mbedtls_rsa_complete(&rsa), 0);
		assert_int_equal(a->sig_a_len, 256);
		assert_int_equal(mbedtls_rsa_pkcs1_verify(&rsa, MBEDTLS_MD_SHA256, 32, digest, a->sig_a), 0);
		mbedtls_rsa_free(&rsa);
		mbedtls_mpi_free(&n);
		mbedtls_mpi_free(&e);
	}
}

static void quote_params(struct tb *p, const void *data, uint16_t len, uint16_t scheme, uint16_t hash)
{
	tb_reset(p);
	tb_2b(p, data, len);
	tb_u16(p, scheme);
	if (scheme != TPM_ALG_NULL)
		tb_u16(p, hash);
	tb_u32(p, 2);
	tb_u16(p, TPM_ALG_SHA256);
	tb_u8(p, 3);
	tb_u8(p, 0x03);
	tb_u8(p, 0x01);
	tb_u8(p, 0x80);
	tb_u16(p, TPM_ALG_SHA1);
	tb_u8(p, 3);
	tb_u8(p, 0x80);
	tb_u8(p, 0x00);
	tb_u8(p, 0x00);
}

/* SHA-256 over the PCR values Quote selects (quote_params): SHA-256 PCRs
 * 0, 1, 8, 23 then SHA-1 PCR 7, read with PCR_Read. */
static void expected_pcr_digest(uint8_t out[32])
{
	uint8_t buf[4 * 32 + 20];
	struct tb p;

	tb_reset(&p);
	tb_u32(&p, 2);
	tb_u16(&p, TPM_ALG_SHA256);
	tb_u8(&p, 3);
	tb_u8(&p, 0x03);
	tb_u8(&p, 0x01);
	tb_u8(&p, 0x80);
	tb_u16(&p, TPM_ALG_SHA1);
	tb_u8(&p, 3);
	tb_u8(&p, 0x80);
	tb_u8(&p, 0x00);
	tb_u8(&p, 0x00);
	assert_int_equal(call(HUSK, TPM_CC_PCR_Read, NULL, 0, 0, &p), 0);
	assert_int_equal(tpm_be32(host.rsp + 10 + 4 + 4 + 12), 5);
	for (int i = 0; i < 4; i++)
		memcpy(buf + 32 * i, host.rsp + 10 + 4 + 4 + 12 + 4 + 34 * i + 2, 32);
	memcpy(buf + 128, host.rsp + 10 + 4 + 4 + 12 + 4 + 34 * 4 + 2, 20);
	assert_int_equal(mbedtls_md(fx_md(TPM_ALG_SHA256), buf, sizeof(buf), out), 0);
}

static void extend_some(void)
{
	uint32_t pcrs[] = { 0, 8, 7 };

	for (int i = 0; i < 3; i++) {
		struct tb p;
		uint8_t d[32];

		memset(d, 0x10 + i, sizeof(d));
		tb_reset(&p);
		tb_u32(&p, 2);
		tb_u16(&p, TPM_ALG_SHA256);
		tb_bytes(&p, d, 32);
		tb_u16(&p, TPM_ALG_SHA1);
		tb_bytes(&p, d, 20);
		assert_int_equal(call(HUSK, TPM_CC_PCR_Extend, &pcrs[i], 1, 1, &p), 0);
	}
}

static void read_clock(uint64_t *clock, uint32_t *reset, uint32_t *restart)
{
	assert_int_equal(call(HUSK, TPM_CC_ReadClock, NULL, 0, 0, NULL), 0);
	*clock = rd64(host.rsp + 18);
	*reset = tpm_be32(host.rsp + 26);
	*restart = tpm_be32(host.rsp + 30);
}

/* ---- tests ---- */

static void check_quote(const struct key *k, uint32_t hierarchy)
{
	uint8_t want[32];
	struct attest a, b;
	struct tb p;
	uint64_t clock;
	uint32_t reset, restart;

	extend_some();
	quote_params(&p, "nonce-123", 9, TPM_ALG_NULL, 0);
	assert_int_equal(call(HUSK, TPM_CC_Quote, &k->handle, 1, 1, &p), 0);
	parse(host.rsp + 14, &a);
	assert_int_equal(a.type, TPM_ST_ATTEST_QUOTE);
	assert_int_equal(a.signer.size, k->qn.size);
	assert_memory_equal(a.signer.b, k->qn.b, k->qn.size);
	assert_int_equal(a.extra_len, 9);
	assert_memory_equal(a.extra, "nonce-123", 9);
	/* TPMS_QUOTE_INFO: the selection as given, then the digest */
	assert_int_equal(tpm_be32(a.body), 2);
	assert_int_equal(tpm_be16(a.body + 4), TPM_ALG_SHA256);
	assert_memory_equal(a.body + 7, "\x03\x01\x80", 3);
	assert_int_equal(tpm_be16(a.body + 10), TPM_ALG_SHA1);
	assert_int_equal(tpm_be16(a.body + 16), 32);
	expected_pcr_digest(want);
	assert_memory_equal(a.body + 18, want, 32);
	assert_int_equal(a.len, (a.body - a.raw) + 16 + 2 + 32);
	verify(k, &a);
	/* Clock and firmware: plain for the endorsement hierarchy, offset
	 * (the same way every time) for the owner's. */
	read_clock(&clock, &reset, &restart);
	assert_true(a.clock <= clock);
	assert_int_equal(a.safe, 1);
	if (hierarchy == TPM_RH_ENDORSEMENT) {
		assert_int_equal(a.reset, reset);
		assert_int_equal(a.restart, restart);
		assert_int_equal(a.firmware, (uint64_t)TPM_FIRMWARE_V1 << 32 | TPM_FIRMWARE_V2);
	} else {
		assert_true(a.reset != reset || a.restart != restart);
		assert_int_not_equal(a.firmware, (uint64_t)TPM_FIRMWARE_V1 << 32 | TPM_FIRMWARE_V2);
	}
	/* A second quote with the scheme given explicitly, and PCRs moved */
	extend_some();
	quote_params(&p, "", 0, k->type == TPM_ALG_ECC ? TPM_ALG_ECDSA : TPM_ALG_RSASSA, TPM_ALG_SHA256);
	assert_int_equal(call(HUSK, TPM_CC_Quote, &k->handle, 1, 1, &p), 0);
	parse(host.rsp + 14, &b);
	assert_int_equal(b.extra_len, 0);
	assert_int_equal(b.reset, a.reset);
	assert_int_equal(b.firmware, a.firmware);
	expected_pcr_digest(want);
	assert_memory_equal(b.body + 18, want, 32);
	assert_memory_not_equal(b.body + 18, a.body + 18, 32);
	verify(k, &b);
}

static void test_quote_ecc(void **state)
{
	struct key owner_ak, ek_ak;

	(void)state;
	primary(HUSK, TPM_RH_OWNER, TPM_ALG_ECC, true, true, &owner_ak);
	check_quote(&owner_ak, TPM_RH_OWNER);
	primary(HUSK, TPM_RH_ENDORSEMENT, TPM_ALG_ECC, true, true, &ek_ak);
	check_quote(&ek_ak, TPM_RH_ENDORSEMENT);
}

static void test_quote_rsa(void **state)
{
	struct key ak;

	(void)state;
	primary(HUSK, TPM_RH_ENDORSEMENT, TPM_ALG_RSA, true, true, &ak);
	check_quote(&ak, TPM_RH_ENDORSEMENT);
}

static void test_quote_unallocated_bank(void **state)
{
	uint32_t platform = TPM_RH_PLATFORM;
	struct key ak;
	struct attest a;
	struct tb p;

	(void)state;
	/* Drop SHA-1; after a reset its selection is emptied in the quote. */
	tb_reset(&p);
	tb_u32(&p, 1);
	tb_u16(&p, TPM_ALG_SHA1);
	tb_u8(&p, 3);
	tb_u32(&p, 0);
	p.n--;
	assert_int_equal(call(HUSK, TPM_CC_PCR_Allocate, &platform, 1, 1, &p), 0);
	assert_int_equal(tpm_power_off(host.tpm), 0);
	assert_int_equal(tpm_power_on(host.tpm), 0);
	assert_int_equal(tpm_host_startup(&host, TPM_SU_CLEAR), 0);
	primary(HUSK, TPM_RH_ENDORSEMENT, TPM_ALG_ECC, true, true, &ak);
	quote_params(&p, "n", 1, TPM_ALG_NULL, 0);
	assert_int_equal(call(HUSK, TPM_CC_Quote, &ak.handle, 1, 1, &p), 0);
	parse(host.rsp + 14, &a);
	assert_int_equal(tpm_be16(a.body + 10), TPM_ALG_SHA1);
	assert_memory_equal(a.body + 13, "\0\0\0", 3);
	{
		/* SHA-256 PCRs 0, 1, 8, 23 only (all zero after the reset) */
		uint8_t zero[4 * 32] = { 0 }, want[32];

		assert_int_equal(mbedtls_md(fx_md(TPM_ALG_SHA256), zero, sizeof(zero), want), 0);
		assert_memory_equal(a.body + 18, want, 32);
	}
	verify(&ak, &a);
}

static void test_quote_errors(void **state)
{
	struct key ak[2], storage[2];
	struct tb p;
	uint8_t big[67];
	uint32_t null = TPM_RH_NULL;

	(void)state;
	for (int tgt = HUSK; tgt <= REF; tgt++) {
		primary(tgt, TPM_RH_OWNER, TPM_ALG_ECC, true, true, &ak[tgt]);
		primary(tgt, TPM_RH_OWNER, TPM_ALG_ECC, true, false, &storage[tgt]);
	}
	/* not a signing key */
	quote_params(&p, "", 0, TPM_ALG_NULL, 0);
	both(TPM_CC_Quote, &storage[HUSK].handle, &storage[REF].handle, 1, 1, &p, RC_H(TPM_RC_KEY, 1));
	/* a scheme other than the key's */
	quote_params(&p, "", 0, TPM_ALG_RSASSA, TPM_ALG_SHA256);
	both(TPM_CC_Quote, &ak[HUSK].handle, &ak[REF].handle, 1, 1, &p, RC_P(TPM_RC_SCHEME, 2));
	quote_params(&p, "", 0, TPM_ALG_ECDSA, TPM_ALG_SHA384);
	both(TPM_CC_Quote, &ak[HUSK].handle, &ak[REF].handle, 1, 1, &p, RC_P(TPM_RC_SCHEME, 2));
	/* qualifyingData larger than a TPMT_HA */
	memset(big, 1, sizeof(big));
	quote_params(&p, big, 67, TPM_ALG_NULL, 0);
	both(TPM_CC_Quote, &ak[HUSK].handle, &ak[REF].handle, 1, 1, &p, RC_P(TPM_RC_SIZE, 1));
	quote_params(&p, big, 66, TPM_ALG_NULL, 0);
	both(TPM_CC_Quote, &ak[HUSK].handle, &ak[REF].handle, 1, 1, &p, 0);
	/* bad selections */
	tb_reset(&p);
	tb_u16(&p, 0);
	tb_u16(&p, TPM_ALG_NULL);
	tb_u32(&p, 5);
	both(TPM_CC_Quote, &ak[HUSK].handle, &ak[REF].handle, 1, 1, &p, RC_P(TPM_RC_SIZE, 3));
	tb_reset(&p);
	tb_u16(&p, 0);
	tb_u16(&p, 0x0014); /* RSASSA without its hash */
	both(TPM_CC_Quote, &ak[HUSK].handle, &ak[REF].handle, 1, 1, &p, RC_P(TPM_RC_INSUFFICIENT, 2));
	/* TPM_RH_NULL with no scheme: no hash for the PCR digest */
	quote_params(&p, "", 0, TPM_ALG_NULL, 0);
	both(TPM_CC_Quote, &null, &null, 1, 1, &p, RC_P(TPM_RC_SCHEME, 2));
	/* missing authorization */
	both(TPM_CC_Quote, &ak[HUSK].handle, &ak[REF].handle, 1, 0, &p, TPM_RC_AUTH_MISSING);
}

static void test_quote_null_key(void **state)
{
	uint32_t null = TPM_RH_NULL;
	struct attest a;
	struct tb p;
	uint8_t want[32];

	(void)state;
	/* husk: with a scheme naming the hash, an unsigned quote (libtpms
	 * refuses TPM_RH_NULL altogether). */
	extend_some();
	quote_params(&p, "xyz", 3, TPM_ALG_ECDSA, TPM_ALG_SHA256);
	assert_int_equal(call(HUSK, TPM_CC_Quote, &null, 1, 1, &p), 0);
	parse(host.rsp + 14, &a);
	assert_int_equal(a.sig_alg, TPM_ALG_NULL);
	assert_int_equal(a.signer.size, 4);
	assert_int_equal(tpm_be32(a.signer.b), TPM_RH_NULL);
	assert_int_equal(host.rsp_len, 14 + 2 + a.len + 2 + 5);
	expected_pcr_digest(want);
	assert_memory_equal(a.body + 18, want, 32);
}

static void test_certify(void **state)
{
	struct key ak, storage, ak_ref, storage_ref;
	struct attest a;
	struct tb p;
	uint32_t h[2], hr[2];

	(void)state;
	primary(HUSK, TPM_RH_OWNER, TPM_ALG_ECC, false, true, &ak);
	primary(HUSK, TPM_RH_OWNER, TPM_ALG_ECC, true, false, &storage);
	h[0] = storage.handle;
	h[1] = ak.handle;
	tb_reset(&p);
	tb_2b(&p, "cert", 4);
	tb_u16(&p, TPM_ALG_NULL);
	assert_int_equal(call(HUSK, TPM_CC_Certify, h, 2, 2, &p), 0);
	parse(host.rsp + 14, &a);
	assert_int_equal(a.type, TPM_ST_ATTEST_CERTIFY);
	assert_memory_equal(a.signer.b, ak.qn.b, ak.qn.size);
	assert_int_equal(tpm_be16(a.body), storage.name.size);
	assert_memory_equal(a.body + 2, storage.name.b, storage.name.size);
	assert_int_equal(tpm_be16(a.body + 2 + storage.name.size), storage.qn.size);
	assert_memory_equal(a.body + 4 + storage.name.size, storage.qn.b, storage.qn.size);
	verify(&ak, &a);
	/* A key certifies itself; TPM_RH_NULL gives an unsigned one. */
	h[0] = ak.handle;
	assert_int_equal(call(HUSK, TPM_CC_Certify, h, 2, 2, &p), 0);
	parse(host.rsp + 14, &a);
	verify(&ak, &a);
	h[1] = TPM_RH_NULL;
	assert_int_equal(call(HUSK, TPM_CC_Certify, h, 2, 2, &p), 0);
	parse(host.rsp + 14, &a);
	assert_int_equal(a.sig_alg, TPM_ALG_NULL);
	/* Errors, as libtpms: a storage key cannot sign, a session short */
	primary(REF, TPM_RH_OWNER, TPM_ALG_ECC, false, true, &ak_ref);
	primary(REF, TPM_RH_OWNER, TPM_ALG_ECC, true, false, &storage_ref);
	h[0] = ak.handle;
	h[1] = storage.handle;
	hr[0] = ak_ref.handle;
	hr[1] = storage_ref.handle;
	both(TPM_CC_Certify, h, hr, 2, 2, &p, RC_H(TPM_RC_KEY, 2));
	both(TPM_CC_Certify, h, hr, 2, 1, &p, TPM_RC_AUTH_MISSING);
	h[1] = ak.handle;
	hr[1] = ak_ref.handle;
	tb_reset(&p);
	tb_2b(&p, "cert", 4);
	tb_u16(&p, TPM_ALG_RSAPSS);
	tb_u16(&p, TPM_ALG_SHA256);
	both(TPM_CC_Certify, h, hr, 2, 2, &p, RC_P(TPM_RC_SCHEME, 2));
	h[0] = TPM_RH_NULL;
	hr[0] = TPM_RH_NULL;
	both(TPM_CC_Certify, h, hr, 2, 2, &p, RC_H(TPM_RC_VALUE, 1));
}

static void test_get_time(void **state)
{
	struct key ak, ak_ref;
	struct attest a;
	struct tb p;
	uint32_t h[2] = { TPM_RH_ENDORSEMENT, 0 }, hr[2] = { TPM_RH_ENDORSEMENT, 0 };
	uint64_t clock;
	uint32_t reset, restart;

	(void)state;
	primary(HUSK, TPM_RH_OWNER, TPM_ALG_ECC, true, true, &ak);
	h[1] = ak.handle;
	tb_reset(&p);
	tb_2b(&p, "time", 4);
	tb_u16(&p, TPM_ALG_NULL);
	assert_int_equal(call(HUSK, TPM_CC_GetTime, h, 2, 2, &p), 0);
	parse(host.rsp + 14, &a);
	assert_int_equal(a.type, TPM_ST_ATTEST_TIME);
	verify(&ak, &a);
	/* TPMS_TIME_ATTEST_INFO in the clear; the header's counts are not */
	read_clock(&clock, &reset, &restart);
	assert_true(rd64(a.body + 8) <= clock);
	assert_int_equal(tpm_be32(a.body + 16), reset);
	assert_int_equal(tpm_be32(a.body + 20), restart);
	assert_int_equal(a.body[24], 1);
	assert_int_equal(rd64(a.body + 25), (uint64_t)TPM_FIRMWARE_V1 << 32 | TPM_FIRMWARE_V2);
	assert_int_equal(a.len, (a.body - a.raw) + 33);
	assert_true(a.reset != reset || a.restart != restart);
	/* Unsigned, as libtpms does it: same layout */
	h[1] = TPM_RH_NULL;
	hr[1] = TPM_RH_NULL;
	both(TPM_CC_GetTime, h, hr, 2, 2, &p, 0);
	assert_int_equal(host.rsp_len, ref.rsp_len);
	parse(host.rsp + 14, &a);
	assert_int_equal(a.sig_alg, TPM_ALG_NULL);
	assert_int_equal(tpm_be32(a.signer.b), TPM_RH_NULL);
	/* Only the endorsement hierarchy may ask. */
	primary(REF, TPM_RH_OWNER, TPM_ALG_ECC, true, true, &ak_ref);
	h[0] = TPM_RH_OWNER;
	hr[0] = TPM_RH_OWNER;
	h[1] = ak.handle;
	hr[1] = ak_ref.handle;
	both(TPM_CC_GetTime, h, hr, 2, 2, &p, RC_H(TPM_RC_VALUE, 1));
}

static void test_hmac_signer(void **state)
{
	uint8_t key[32], mac[32];
	struct tb k, p;
	uint32_t h;
	struct attest a;
	const uint8_t *r;

	(void)state;
	memset(key, 0x3c, sizeof(key));
	fx_keyedhash(&k, key, sizeof(key), TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_SIGN_ENCRYPT, TPM_ALG_HMAC,
			   TPM_ALG_SHA256, TPM_RH_NULL, true);
	assert_int_equal(call(HUSK, TPM_CC_LoadExternal, NULL, 0, 0, &k), 0);
	h = tpm_be32(host.rsp + 10);
	quote_params(&p, "hm", 2, TPM_ALG_NULL, 0);
	assert_int_equal(call(HUSK, TPM_CC_Quote, &h, 1, 1, &p), 0);
	parse(host.rsp + 14, &a);
	r = host.rsp + 14 + 2 + a.len;
	assert_int_equal(tpm_be16(r), TPM_ALG_HMAC);
	assert_int_equal(tpm_be16(r + 2), TPM_ALG_SHA256);
	/* HMAC(key, H(attest)): an HMAC key signs digests, like the others */
	{
		uint8_t d[32];

		assert_int_equal(mbedtls_md(fx_md(TPM_ALG_SHA256), a.raw, a.len, d), 0);
		assert_int_equal(mbedtls_md_hmac(fx_md(TPM_ALG_SHA256), key, sizeof(key), d, 32, mac), 0);
	}
	assert_memory_equal(r + 4, mac, 32);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_quote_ecc, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_quote_rsa, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_quote_unallocated_bank, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_quote_errors, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_quote_null_key, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_certify, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_get_time, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_hmac_signer, setup, fx_teardown),
	};
	return cmocka_run_group_tests_name("tpm_attest", tests, NULL, NULL);
}
