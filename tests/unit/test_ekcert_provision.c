/* Unit tests of EK manufacturing in husk's TPM (lib/tpm/tpm_ek.c) and of
 * the whole provisioning step (lib/ekcert/ekcert_tpm.c): both default EKs
 * are what TPM2_CreatePrimary with templates L-1 and L-2 returns, stay the
 * same across state save/load and differ between TPMs; the certificate
 * NV indexes get the profile's attributes, read back through commands,
 * resist the platform, the owner and TPM2_Clear, survive save/load and
 * reboots, are rewritten only when their content changes, and a full NV
 * is reported without harm. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../common/tpm_host.h"
#include "../common/tpmcmd.h"
#include "ekcert/ekcert.h"
#include "husk/err.h"
#include "mbedtls/ecp.h"
#include "mbedtls/rsa.h"
#include "test_ekcert_fixtures.h"
#include "tpm/tpm.h"
#include "tpm/tpm_defs.h"

#define CERT_ATTRS (TPM_NV_EK_CERT_ATTRIBUTES | TPMA_NV_WRITTEN | TPMA_NV_WRITELOCKED)

static int test_rng(void *ctx, unsigned char *buf, size_t len)
{
	(void)ctx;
	for (size_t i = 0; i < len; i++)
		buf[i] = (unsigned char)(i * 131 + 7);
	return 0;
}

/* ---- commands ---- */

static uint32_t startup(struct tpm_host *h)
{
	return tpm_host_startup(h, TPM_SU_CLEAR);
}

/* A reboot: Shutdown, power cycle, Startup. */
static void reboot(struct tpm_host *h)
{
	uint8_t p[2] = { 0, 0 };

	assert_int_equal(tpm_host_call(h, TPM_CC_Shutdown, NULL, 0, false, NULL, p, 2), 0);
	assert_int_equal(tpm_power_off(h->tpm), 0);
	assert_int_equal(tpm_power_on(h->tpm), 0);
	assert_int_equal(startup(h), 0);
}

/* The state of h moved into a fresh context as after a reboot from disk. */
static void save_load(struct tpm_host *from, struct tpm_host *to, uint64_t seed)
{
	uint8_t *blob;
	size_t len;

	assert_int_equal(tpm_state_save(from->tpm, &blob, &len), 0);
	assert_int_equal(tpm_host_init(to, seed), 0);
	assert_int_equal(tpm_power_off(to->tpm), 0);
	assert_int_equal(tpm_state_load(to->tpm, blob, len), 0);
	assert_int_equal(tpm_power_on(to->tpm), 0);
	tpm_state_free(from->tpm, blob, len);
}

/* CreatePrimary(endorsement, template) through the command interface, as
 * tpm2_createek sends it; the TPMT_PUBLIC it returns. */
static size_t create_ek(struct tpm_host *h, enum tpm_ek_template tmpl, uint8_t *out)
{
	static const uint8_t policy_a[32] = {
		0x83, 0x71, 0x97, 0x67, 0x44, 0x84, 0xb3, 0xf8, 0x1a, 0x90, 0xcc,
		0x8d, 0x46, 0xa5, 0xd7, 0x24, 0xfd, 0x52, 0xd7, 0x6e, 0x06, 0x52,
		0x0b, 0x64, 0xf2, 0xa1, 0xda, 0x1b, 0x33, 0x14, 0x69, 0xaa,
	};
	static const uint8_t zeros[256];
	uint32_t hier = TPM_RH_ENDORSEMENT, handle;
	struct tb p;
	struct view v;
	size_t n;

	tb_reset(&p);
	tb_begin(&p); /* inSensitive */
	tb_2b(&p, NULL, 0);
	tb_2b(&p, NULL, 0);
	tb_end(&p);
	tb_begin(&p); /* inPublic */
	tb_u16(&p, tmpl == TPM_EK_RSA2048 ? TPM_ALG_RSA : TPM_ALG_ECC);
	tb_u16(&p, TPM_ALG_SHA256);
	tb_u32(&p, 0x000300b2);
	tb_2b(&p, policy_a, sizeof(policy_a));
	tb_u16(&p, TPM_ALG_AES);
	tb_u16(&p, 128);
	tb_u16(&p, TPM_ALG_CFB);
	tb_u16(&p, TPM_ALG_NULL);
	if (tmpl == TPM_EK_RSA2048) {
		tb_u16(&p, 2048);
		tb_u32(&p, 0);
		tb_2b(&p, zeros, 256);
	} else {
		tb_u16(&p, TPM_ECC_NIST_P256);
		tb_u16(&p, TPM_ALG_NULL);
		tb_2b(&p, zeros, 32);
		tb_2b(&p, zeros, 32);
	}
	tb_end(&p);
	tb_2b(&p, NULL, 0); /* outsideInfo */
	tb_u32(&p, 0); /* creationPCR */
	assert_false(p.overflow);
	assert_int_equal(tpm_host_call(h, TPM_CC_CreatePrimary, &hier, 1, true, NULL, p.b, p.n), 0);
	handle = rsp_handle(h->rsp, h->rsp_len);
	assert_true(rsp_params(h->rsp, h->rsp_len, true, &v));
	n = tpm_be16(v.p);
	memcpy(out, v.p + 2, n);
	assert_int_equal(tpm_host_call(h, TPM_CC_FlushContext, NULL, 0, false, NULL,
				       (const uint8_t[]){ (uint8_t)(handle >> 24), (uint8_t)(handle >> 16),
							  (uint8_t)(handle >> 8), (uint8_t)handle },
				       4),
			 0);
	return n;
}

static uint32_t nv_read_public(struct tpm_host *h, uint32_t index, uint32_t *attrs, uint16_t *size,
			       uint16_t *name_alg, uint16_t *policy_size)
{
	struct view v;
	uint32_t rc = tpm_host_call(h, TPM_CC_NV_ReadPublic, &index, 1, false, NULL, NULL, 0);

	if (rc)
		return rc;
	assert_true(rsp_params(h->rsp, h->rsp_len, false, &v));
	/* TPM2B_NV_PUBLIC: size, index, nameAlg, attributes, authPolicy, dataSize */
	assert_int_equal(tpm_be32(v.p + 2), index);
	*name_alg = tpm_be16(v.p + 6);
	*attrs = tpm_be32(v.p + 8);
	*policy_size = tpm_be16(v.p + 12);
	*size = tpm_be16(v.p + 14 + *policy_size);
	return 0;
}

/* The whole index through NV_Read, authorized by `auth` (the index itself,
 * the owner or the platform, all with empty passwords), in chunks of the
 * TPM's NV buffer. */
static uint32_t nv_read_all(struct tpm_host *h, uint32_t auth, uint32_t index, uint8_t *out, uint16_t size)
{
	uint32_t handles[2] = { auth, index };

	for (uint16_t off = 0; off < size;) {
		uint16_t n = size - off > 1024 ? 1024 : (uint16_t)(size - off);
		uint8_t p[4] = { (uint8_t)(n >> 8), (uint8_t)n, (uint8_t)(off >> 8), (uint8_t)off };
		struct view v;
		uint32_t rc = tpm_host_call(h, TPM_CC_NV_Read, handles, 2, true, NULL, p, 4);

		if (rc)
			return rc;
		assert_true(rsp_params(h->rsp, h->rsp_len, false, &v));
		assert_int_equal(tpm_be16(v.p), n);
		memcpy(out + off, v.p + 2, n);
		off += n;
	}
	return 0;
}

static void expect_index(struct tpm_host *h, uint32_t index, const uint8_t *der, size_t len)
{
	static const uint32_t auths[] = { 0, TPM_RH_OWNER, TPM_RH_PLATFORM };
	uint8_t buf[EKCERT_DER_MAX];
	uint32_t attrs;
	uint16_t size, name_alg, policy;

	assert_int_equal(nv_read_public(h, index, &attrs, &size, &name_alg, &policy), 0);
	assert_int_equal(attrs, CERT_ATTRS);
	assert_int_equal(name_alg, TPM_ALG_SHA256);
	assert_int_equal(policy, 0);
	assert_int_equal(size, len);
	for (size_t i = 0; i < 3; i++) {
		memset(buf, 0, sizeof(buf));
		assert_int_equal(nv_read_all(h, auths[i] ? auths[i] : index, index, buf, size), 0);
		assert_memory_equal(buf, der, len);
	}
}

/* ---- the EKs ---- */

static void test_ek_is_createprimary_and_stable(void **state)
{
	static const enum tpm_ek_template tmpls[] = { TPM_EK_RSA2048, TPM_EK_ECC_P256 };
	struct tpm_host a, b, other;

	(void)state;
	assert_int_equal(tpm_host_init(&a, 0x1111), 0);
	assert_int_equal(startup(&a), 0);
	save_load(&a, &b, 0x2222);
	assert_int_equal(startup(&b), 0);
	assert_int_equal(tpm_host_init(&other, 0x3333), 0);
	assert_int_equal(startup(&other), 0);
	for (size_t i = 0; i < 2; i++) {
		uint8_t pa[512], pb[512], pc[512], po[512];
		size_t la, lb, lc, lo;

		assert_int_equal(tpm_ek_public(a.tpm, tmpls[i], pa, sizeof(pa), &la), 0);
		/* What a client's CreatePrimary gets. */
		lc = create_ek(&a, tmpls[i], pc);
		assert_int_equal(la, lc);
		assert_memory_equal(pa, pc, la);
		assert_int_equal(la, tmpls[i] == TPM_EK_RSA2048 ? 314 : 122);
		/* The same after the state went through save and load. */
		assert_int_equal(tpm_ek_public(b.tpm, tmpls[i], pb, sizeof(pb), &lb), 0);
		assert_int_equal(la, lb);
		assert_memory_equal(pa, pb, la);
		lc = create_ek(&b, tmpls[i], pc);
		assert_memory_equal(pa, pc, la);
		/* And the same again, powered off (a boot before Startup). */
		assert_int_equal(tpm_power_off(b.tpm), 0);
		assert_int_equal(tpm_ek_public(b.tpm, tmpls[i], pb, sizeof(pb), &lb), 0);
		assert_memory_equal(pa, pb, la);
		assert_int_equal(tpm_power_on(b.tpm), 0);
		assert_int_equal(startup(&b), 0);
		/* Another TPM, another endorsement seed, another EK. */
		assert_int_equal(tpm_ek_public(other.tpm, tmpls[i], po, sizeof(po), &lo), 0);
		assert_int_equal(la, lo);
		assert_memory_not_equal(pa, po, la);
		assert_int_equal(tpm_ek_public(a.tpm, tmpls[i], pa, 100, &la), HUSK_ERR_RANGE);
	}
	assert_int_equal(tpm_ek_public(a.tpm, (enum tpm_ek_template)3, NULL, 0, NULL), HUSK_ERR_INVAL);
	tpm_host_fini(&a);
	tpm_host_fini(&b);
	tpm_host_fini(&other);
}

/* ---- the NV indexes ---- */

static void fill(uint8_t *p, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i * 13);
}

static void test_provision_index(void **state)
{
	struct tpm_host h, h2;
	uint8_t der[EKCERT_DER_MAX], der2[700];
	uint32_t handles[2];
	uint8_t p[8];
	uint8_t *blob;
	size_t blob_len;
	bool changed;

	(void)state;
	fill(der, 900, 1);
	fill(der2, sizeof(der2), 2);
	assert_int_equal(tpm_host_init(&h, 0x4444), 0);
	assert_int_equal(startup(&h), 0);
	assert_int_equal(tpm_provision_ek_cert(h.tpm, TPM_NV_EK_CERT_RSA2048, der, 900, &changed), 0);
	assert_true(changed);
	assert_true(tpm_nv_dirty(h.tpm));
	expect_index(&h, TPM_NV_EK_CERT_RSA2048, der, 900);

	/* The same again: nothing changes, nothing to save. */
	assert_int_equal(tpm_state_save(h.tpm, &blob, &blob_len), 0);
	tpm_state_free(h.tpm, blob, blob_len);
	assert_false(tpm_nv_dirty(h.tpm));
	assert_int_equal(tpm_provision_ek_cert(h.tpm, TPM_NV_EK_CERT_RSA2048, der, 900, &changed), 0);
	assert_false(changed);
	assert_false(tpm_nv_dirty(h.tpm));

	/* Nobody writes it: the platform (write-locked), the owner and the
	 * index itself (no OWNERWRITE, AUTHWRITE). */
	handles[0] = TPM_RH_PLATFORM;
	handles[1] = TPM_NV_EK_CERT_RSA2048;
	p[0] = 0, p[1] = 1, p[2] = 0xaa, p[3] = 0, p[4] = 0;
	assert_int_equal(tpm_host_call(&h, TPM_CC_NV_Write, handles, 2, true, NULL, p, 5), TPM_RC_NV_LOCKED);
	handles[0] = TPM_RH_OWNER;
	assert_int_not_equal(tpm_host_call(&h, TPM_CC_NV_Write, handles, 2, true, NULL, p, 5), 0);
	handles[0] = TPM_NV_EK_CERT_RSA2048;
	assert_int_not_equal(tpm_host_call(&h, TPM_CC_NV_Write, handles, 2, true, NULL, p, 5), 0);
	/* The owner cannot delete it, TPM2_Clear keeps it. */
	handles[0] = TPM_RH_OWNER;
	assert_int_equal(tpm_host_call(&h, TPM_CC_NV_UndefineSpace, handles, 2, true, NULL, NULL, 0),
			 TPM_RC_NV_AUTHORIZATION);
	handles[0] = TPM_RH_LOCKOUT;
	assert_int_equal(tpm_host_call(&h, TPM_CC_Clear, handles, 1, true, NULL, NULL, 0), 0);
	expect_index(&h, TPM_NV_EK_CERT_RSA2048, der, 900);
	/* Reboots keep it, write lock included. */
	reboot(&h);
	expect_index(&h, TPM_NV_EK_CERT_RSA2048, der, 900);

	/* Another certificate (another size) replaces it. */
	assert_int_equal(tpm_provision_ek_cert(h.tpm, TPM_NV_EK_CERT_RSA2048, der2, sizeof(der2), &changed),
			 0);
	assert_true(changed);
	expect_index(&h, TPM_NV_EK_CERT_RSA2048, der2, sizeof(der2));
	/* Same size, one byte different: replaced too. */
	der2[100] ^= 0xff;
	assert_int_equal(tpm_provision_ek_cert(h.tpm, TPM_NV_EK_CERT_RSA2048, der2, sizeof(der2), &changed),
			 0);
	assert_true(changed);
	expect_index(&h, TPM_NV_EK_CERT_RSA2048, der2, sizeof(der2));

	/* A second index, and both survive save and load. */
	assert_int_equal(tpm_provision_ek_cert(h.tpm, TPM_NV_EK_CERT_ECC_P256, der, 2048, &changed), 0);
	save_load(&h, &h2, 0x5555);
	assert_int_equal(startup(&h2), 0);
	expect_index(&h2, TPM_NV_EK_CERT_RSA2048, der2, sizeof(der2));
	expect_index(&h2, TPM_NV_EK_CERT_ECC_P256, der, 2048);
	assert_int_equal(tpm_provision_ek_cert(h2.tpm, TPM_NV_EK_CERT_ECC_P256, der, 2048, &changed), 0);
	assert_false(changed);

	/* Arguments. */
	assert_int_equal(tpm_provision_ek_cert(h.tpm, TPM_NV_EK_CERT_RSA2048, der, 0, NULL), HUSK_ERR_INVAL);
	assert_int_equal(tpm_provision_ek_cert(h.tpm, TPM_NV_EK_CERT_RSA2048, NULL, 10, NULL),
			 HUSK_ERR_INVAL);
	assert_int_equal(tpm_provision_ek_cert(h.tpm, 0x81010001, der, 10, NULL), HUSK_ERR_INVAL);
	assert_int_equal(tpm_provision_ek_cert(h.tpm, TPM_NV_EK_CERT_RSA2048, der, 2049, NULL),
			 HUSK_ERR_RANGE);
	assert_int_equal(tpm_provision_ek_cert(NULL, TPM_NV_EK_CERT_RSA2048, der, 10, NULL), HUSK_ERR_INVAL);
	expect_index(&h, TPM_NV_EK_CERT_RSA2048, der2, sizeof(der2));
	tpm_host_fini(&h);
	tpm_host_fini(&h2);
}

/* An index the owner put at the certificate's handle first is replaced
 * (NV_DefineSpace would have refused to overwrite it). */
static void test_provision_replaces_squatter(void **state)
{
	struct tpm_host h;
	uint32_t owner = TPM_RH_OWNER;
	uint8_t der[300];
	struct tb p;
	bool changed;

	(void)state;
	fill(der, sizeof(der), 3);
	assert_int_equal(tpm_host_init(&h, 0x6666), 0);
	assert_int_equal(startup(&h), 0);
	tb_reset(&p);
	tb_2b(&p, NULL, 0);
	tb_begin(&p);
	tb_u32(&p, TPM_NV_EK_CERT_ECC_P256);
	tb_u16(&p, TPM_ALG_SHA256);
	tb_u32(&p, TPMA_NV_OWNERWRITE | TPMA_NV_OWNERREAD | TPMA_NV_AUTHREAD);
	tb_2b(&p, NULL, 0);
	tb_u16(&p, 300);
	tb_end(&p);
	assert_int_equal(tpm_host_call(&h, TPM_CC_NV_DefineSpace, &owner, 1, true, NULL, p.b, p.n), 0);
	assert_int_equal(tpm_provision_ek_cert(h.tpm, TPM_NV_EK_CERT_ECC_P256, der, sizeof(der), &changed),
			 0);
	assert_true(changed);
	expect_index(&h, TPM_NV_EK_CERT_ECC_P256, der, sizeof(der));
	tpm_host_fini(&h);
}

/* With every NV slot taken a new certificate cannot go in and nothing
 * changes; replacing one in place still works. */
static void test_provision_nv_full(void **state)
{
	struct tpm_host h;
	uint32_t owner = TPM_RH_OWNER, attrs;
	uint8_t der[100];
	uint16_t size, alg, pol;
	bool changed;
	unsigned defined = 0;

	(void)state;
	fill(der, sizeof(der), 4);
	assert_int_equal(tpm_host_init(&h, 0x7777), 0);
	assert_int_equal(startup(&h), 0);
	assert_int_equal(tpm_provision_ek_cert(h.tpm, TPM_NV_EK_CERT_RSA2048, der, 50, &changed), 0);
	for (uint32_t i = 0;; i++) {
		struct tb p;

		tb_reset(&p);
		tb_2b(&p, NULL, 0);
		tb_begin(&p);
		tb_u32(&p, 0x01500000 + i);
		tb_u16(&p, TPM_ALG_SHA256);
		tb_u32(&p, TPMA_NV_OWNERWRITE | TPMA_NV_OWNERREAD);
		tb_2b(&p, NULL, 0);
		tb_u16(&p, 8);
		tb_end(&p);
		if (tpm_host_call(&h, TPM_CC_NV_DefineSpace, &owner, 1, true, NULL, p.b, p.n))
			break;
		defined++;
	}
	assert_true(defined > 10);
	assert_int_equal(tpm_provision_ek_cert(h.tpm, TPM_NV_EK_CERT_ECC_P256, der, sizeof(der), &changed),
			 HUSK_ERR_NOMEM);
	assert_false(changed);
	assert_int_equal(nv_read_public(&h, TPM_NV_EK_CERT_ECC_P256, &attrs, &size, &alg, &pol),
			 TPM_RC_HANDLE | TPM_RC_1);
	assert_int_equal(tpm_provision_ek_cert(h.tpm, TPM_NV_EK_CERT_RSA2048, der, sizeof(der), &changed), 0);
	assert_true(changed);
	expect_index(&h, TPM_NV_EK_CERT_RSA2048, der, sizeof(der));
	tpm_host_fini(&h);
}

/* ---- the whole step ---- */

static void expect_cert_for(struct tpm_host *h, uint32_t index, enum tpm_ek_template tmpl,
			    struct ekcert_ca *ca)
{
	uint8_t der[EKCERT_DER_MAX], pub[512], want[512];
	uint32_t attrs;
	uint16_t size, alg, pol;
	size_t pub_len, want_len;
	mbedtls_x509_crt c;
	uint32_t flags;

	assert_int_equal(nv_read_public(h, index, &attrs, &size, &alg, &pol), 0);
	assert_int_equal(attrs, CERT_ATTRS);
	assert_int_equal(nv_read_all(h, index, index, der, size), 0);
	mbedtls_x509_crt_init(&c);
	assert_int_equal(mbedtls_x509_crt_parse_der(&c, der, size), 0);
	assert_int_equal(mbedtls_x509_crt_verify(&c, &ca->cert, NULL, NULL, &flags, NULL, NULL), 0);
	/* Its key is the EK's: the public key's encoding in the certificate
	 * against the unique field of the EK's public area. */
	assert_int_equal(tpm_ek_public(h->tpm, tmpl, pub, sizeof(pub), &pub_len), 0);
	if (tmpl == TPM_EK_RSA2048) {
		assert_int_equal(mbedtls_rsa_export_raw(mbedtls_pk_rsa(c.pk), want, 256, NULL, 0, NULL, 0,
							NULL, 0, NULL, 0),
				 0);
		want_len = 256;
	} else {
		uint8_t q[65];
		size_t qlen;

		assert_int_equal(mbedtls_ecp_write_public_key(mbedtls_pk_ec(c.pk),
							      MBEDTLS_ECP_PF_UNCOMPRESSED, &qlen, q,
							      sizeof(q)),
				 0);
		assert_int_equal(qlen, 65);
		/* x and y as TPM2B_ECC_PARAMETERs: size 32 each */
		want[0] = 0, want[1] = 32;
		memcpy(want + 2, q + 1, 32);
		want[34] = 0, want[35] = 32;
		memcpy(want + 36, q + 33, 32);
		want_len = 68;
	}
	assert_memory_equal(pub + pub_len - want_len, want, want_len);
	mbedtls_x509_crt_free(&c);
}

static void load_ca(struct ekcert_ca *ca, const struct ekcert_fixture *key, const struct ekcert_fixture *cert)
{
	ekcert_ca_init(ca);
	assert_int_equal(ekcert_ca_load(ca, key->p, key->len, cert->p, cert->len, test_rng, NULL, NULL), 0);
}

static void test_ekcert_provision(void **state)
{
	struct tpm_host h, h2;
	struct ekcert_ca ca, ca2;
	unsigned changed;
	const char *why = NULL;

	(void)state;
	load_ca(&ca, &ca_ec256_key, &ca_ec256_cert);
	load_ca(&ca2, &ca_rsa_key, &ca_rsa_cert);
	assert_int_equal(tpm_host_init(&h, 0x8888), 0);
	/* At boot, before the guest's Startup, as husk does it. */
	assert_int_equal(ekcert_provision(h.tpm, &ca, test_rng, NULL, &changed, &why), 0);
	assert_int_equal(changed, EKCERT_CHANGED_RSA2048 | EKCERT_CHANGED_ECC_P256);
	assert_int_equal(startup(&h), 0);
	expect_cert_for(&h, TPM_NV_EK_CERT_RSA2048, TPM_EK_RSA2048, &ca);
	expect_cert_for(&h, TPM_NV_EK_CERT_ECC_P256, TPM_EK_ECC_P256, &ca);
	/* Every later boot: nothing to do. */
	assert_int_equal(ekcert_provision(h.tpm, &ca, test_rng, NULL, &changed, &why), 0);
	assert_int_equal(changed, 0);
	save_load(&h, &h2, 0x9999);
	assert_int_equal(ekcert_provision(h2.tpm, &ca, test_rng, NULL, &changed, &why), 0);
	assert_int_equal(changed, 0);
	assert_false(tpm_nv_dirty(h2.tpm));
	/* Another CA: both certificates are replaced. */
	assert_int_equal(ekcert_provision(h2.tpm, &ca2, test_rng, NULL, &changed, &why), 0);
	assert_int_equal(changed, EKCERT_CHANGED_RSA2048 | EKCERT_CHANGED_ECC_P256);
	assert_int_equal(startup(&h2), 0);
	expect_cert_for(&h2, TPM_NV_EK_CERT_RSA2048, TPM_EK_RSA2048, &ca2);
	expect_cert_for(&h2, TPM_NV_EK_CERT_ECC_P256, TPM_EK_ECC_P256, &ca2);
	/* A CA that did not load provisions nothing. */
	ekcert_ca_free(&ca);
	why = NULL;
	assert_int_equal(ekcert_provision(h2.tpm, &ca, test_rng, NULL, &changed, &why), HUSK_ERR_INVAL);
	assert_non_null(why);
	assert_int_equal(changed, 0);
	ekcert_ca_free(&ca2);
	tpm_host_fini(&h);
	tpm_host_fini(&h2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ek_is_createprimary_and_stable),
		cmocka_unit_test(test_provision_index),
		cmocka_unit_test(test_provision_replaces_squatter),
		cmocka_unit_test(test_provision_nv_full),
		cmocka_unit_test(test_ekcert_provision),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
