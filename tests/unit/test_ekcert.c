/* Unit tests of EK certificate issuing (lib/ekcert/ekcert.c): certificates
 * for husk's RSA and ECC EKs from EC P-256, EC P-384 and RSA CAs (PEM and
 * DER), read back with mbedTLS and walked field by field against the TCG
 * EK Credential Profile (empty subject, critical subjectAltName with the
 * TPM's manufacturer, model and version, basicConstraints, keyUsage,
 * extendedKeyUsage, authorityKeyIdentifier, subjectDirectoryAttributes,
 * the EK's key, the CA's signature); deterministic output and serials;
 * and refusal, with a reason, of every malformed CA and EK input. */
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
#include "mbedtls/asn1.h"
#include "mbedtls/ecp.h"
#include "mbedtls/oid.h"
#include "mbedtls/rsa.h"
#include "mbedtls/sha1.h"
#include "test_ekcert_fixtures.h"
#include "tpm/tpm.h"
#include "tpm/tpm_defs.h"

static struct tpm_host host;
static uint8_t rsa_pub[512], ecc_pub[512];
static size_t rsa_pub_len, ecc_pub_len;
static struct ekcert_tpm_info info;

/* mbedTLS wants randomness for blinding only; reproducible is fine here. */
static int test_rng(void *ctx, unsigned char *buf, size_t len)
{
	uint64_t *s = ctx;

	for (size_t i = 0; i < len; i++) {
		uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
		buf[i] = (unsigned char)(z ^ (z >> 27));
	}
	return 0;
}

static uint64_t rng_state = 42;

static int group_setup(void **state)
{
	(void)state;
	if (tpm_host_init(&host, 0xec0de))
		return -1;
	if (tpm_ek_public(host.tpm, TPM_EK_RSA2048, rsa_pub, sizeof(rsa_pub), &rsa_pub_len) ||
	    tpm_ek_public(host.tpm, TPM_EK_ECC_P256, ecc_pub, sizeof(ecc_pub), &ecc_pub_len))
		return -1;
	return ekcert_tpm_info_read(host.tpm, &info) ? -1 : 0;
}

static int group_teardown(void **state)
{
	(void)state;
	tpm_host_fini(&host);
	return 0;
}

static void load(struct ekcert_ca *ca, const struct ekcert_fixture *key, const struct ekcert_fixture *cert)
{
	const char *why = NULL;
	int err;

	ekcert_ca_init(ca);
	err = ekcert_ca_load(ca, key->p, key->len, cert->p, cert->len, test_rng, &rng_state, &why);
	if (err)
		fail_msg("ekcert_ca_load: %s (%s)", husk_strerror(err), why ? why : "?");
}

static size_t issue(struct ekcert_ca *ca, const uint8_t *pub, size_t pub_len, uint8_t *der)
{
	const char *why = NULL;
	size_t len = 0;
	int err =
		ekcert_issue(ca, &info, pub, pub_len, test_rng, &rng_state, der, EKCERT_DER_MAX, &len, &why);

	if (err)
		fail_msg("ekcert_issue: %s (%s)", husk_strerror(err), why ? why : "?");
	assert_true(len > 0 && len <= EKCERT_DER_MAX);
	return len;
}

/* ---- DER, built by hand for the expected values ---- */

struct der {
	uint8_t b[512];
	size_t n;
};

static void put(struct der *d, const void *p, size_t n)
{
	assert_true(d->n + n <= sizeof(d->b));
	memcpy(d->b + d->n, p, n);
	d->n += n;
}

static void tlv(struct der *d, uint8_t tag, const void *v, size_t len)
{
	uint8_t h[4] = { tag };
	size_t hn = 2;

	if (len < 0x80) {
		h[1] = (uint8_t)len;
	} else {
		assert_true(len < 0x100);
		h[1] = 0x81;
		h[2] = (uint8_t)len;
		hn = 3;
	}
	put(d, h, hn);
	put(d, v, len);
}

static void tlv_der(struct der *d, uint8_t tag, const struct der *inner)
{
	tlv(d, tag, inner->b, inner->n);
}

static void oid(struct der *d, const char *o)
{
	tlv(d, 0x06, o, strlen(o));
}

static void utf8(struct der *d, const char *s)
{
	tlv(d, 0x0c, s, strlen(s));
}

/* RDN SET { SEQUENCE { oid, UTF8String } } */
static void rdn(struct der *d, const char *o, const char *s)
{
	struct der atv = { .n = 0 }, set = { .n = 0 };

	oid(&atv, o);
	utf8(&atv, s);
	tlv_der(&set, 0x30, &atv);
	tlv_der(d, 0x31, &set);
}

static void expected_san(struct der *out)
{
	struct der name = { .n = 0 }, seq = { .n = 0 }, dn = { .n = 0 };

	rdn(&name, "\x67\x81\x05\x02\x01", "id:4855534B");
	rdn(&name, "\x67\x81\x05\x02\x02", "husk");
	rdn(&name, "\x67\x81\x05\x02\x03", "id:00010000");
	tlv_der(&seq, 0x30, &name);
	tlv_der(&dn, 0xa4, &seq);
	out->n = 0;
	tlv_der(out, 0x30, &dn);
}

static void expected_sda(struct der *out)
{
	static const uint8_t level[] = { 0x00 }, revision[] = { 0x00, 0xa4 }; /* 0, 164 */
	struct der spec = { .n = 0 }, specseq = { .n = 0 }, set = { .n = 0 }, attr = { .n = 0 };

	utf8(&spec, "2.0");
	tlv(&spec, 0x02, level, sizeof(level));
	tlv(&spec, 0x02, revision, sizeof(revision));
	tlv_der(&specseq, 0x30, &spec);
	tlv_der(&set, 0x31, &specseq);
	oid(&attr, "\x67\x81\x05\x02\x10");
	put(&attr, set.b, set.n);
	struct der seq = { .n = 0 };

	tlv_der(&seq, 0x30, &attr);
	out->n = 0;
	tlv_der(out, 0x30, &seq);
}

/* ---- reading a certificate's extensions ---- */

struct ext {
	const uint8_t *oid;
	size_t oid_len;
	int critical;
	const uint8_t *val;
	size_t val_len;
};

/* The extensions of a certificate, walked in its DER. */
static size_t extensions(const uint8_t *der, size_t len, struct ext *out, size_t max)
{
	unsigned char *p = (unsigned char *)der, *end = p + len, *tbs_end, *exts_end;
	size_t l, n = 0;

	assert_int_equal(mbedtls_asn1_get_tag(&p, end, &l, 0x30), 0);
	assert_int_equal(mbedtls_asn1_get_tag(&p, end, &l, 0x30), 0);
	tbs_end = p + l;
	while (p < tbs_end && *p != 0xa3) {
		p++;
		assert_int_equal(mbedtls_asn1_get_len(&p, tbs_end, &l), 0);
		p += l;
	}
	assert_true(p < tbs_end);
	assert_int_equal(mbedtls_asn1_get_tag(&p, tbs_end, &l, 0xa3), 0);
	assert_int_equal(mbedtls_asn1_get_tag(&p, tbs_end, &l, 0x30), 0);
	exts_end = p + l;
	assert_ptr_equal(exts_end, tbs_end);
	while (p < exts_end) {
		unsigned char *e_end;
		struct ext *e = &out[n];

		assert_true(n < max);
		assert_int_equal(mbedtls_asn1_get_tag(&p, exts_end, &l, 0x30), 0);
		e_end = p + l;
		assert_int_equal(mbedtls_asn1_get_tag(&p, e_end, &l, 0x06), 0);
		e->oid = p;
		e->oid_len = l;
		p += l;
		e->critical = 0;
		if (*p == 0x01)
			assert_int_equal(mbedtls_asn1_get_bool(&p, e_end, &e->critical), 0);
		assert_int_equal(mbedtls_asn1_get_tag(&p, e_end, &l, 0x04), 0);
		e->val = p;
		e->val_len = l;
		p += l;
		assert_ptr_equal(p, e_end);
		n++;
	}
	return n;
}

static const struct ext *find(const struct ext *e, size_t n, const char *o, size_t olen)
{
	for (size_t i = 0; i < n; i++)
		if (e[i].oid_len == olen && memcmp(e[i].oid, o, olen) == 0)
			return &e[i];
	fail_msg("extension missing");
	return NULL;
}

#define FIND(e, n, o) find(e, n, o, MBEDTLS_OID_SIZE(o))

static void assert_value(const struct ext *e, int critical, const uint8_t *v, size_t len)
{
	assert_int_equal(e->critical, critical);
	assert_int_equal(e->val_len, len);
	assert_memory_equal(e->val, v, len);
}

/* The keyIdentifier an authorityKeyIdentifier must carry for a CA without
 * a subjectKeyIdentifier: SHA-1 of its subjectPublicKey (RFC 5280 method 1). */
static void ski_method1(const mbedtls_x509_crt *ca, uint8_t out[20])
{
	unsigned char *p = ca->pk_raw.p, *end = p + ca->pk_raw.len;
	size_t l;
	mbedtls_asn1_buf alg, params;

	assert_int_equal(mbedtls_asn1_get_tag(&p, end, &l, 0x30), 0);
	assert_int_equal(mbedtls_asn1_get_alg(&p, end, &alg, &params), 0);
	assert_int_equal(mbedtls_asn1_get_bitstring_null(&p, end, &l), 0);
	assert_int_equal(mbedtls_sha1(p, l, out), 0);
}

/* ---- the whole certificate ---- */

static void check_key(const mbedtls_x509_crt *c, const uint8_t *pub, size_t pub_len)
{
	/* TPMT_PUBLIC: type, nameAlg, attributes, authPolicy (2B), then the
	 * parameters, then unique. */
	uint16_t type = (uint16_t)(pub[0] << 8 | pub[1]);
	size_t at = 2 + 2 + 4;

	at += 2 + (size_t)(pub[at] << 8 | pub[at + 1]);
	at += 6 + 2; /* symmetric AES-128-CFB, scheme NULL */
	if (type == TPM_ALG_RSA) {
		uint8_t n[256], e[4];
		size_t nlen;

		at += 2 + 4; /* keyBits, exponent */
		nlen = (size_t)(pub[at] << 8 | pub[at + 1]);
		assert_int_equal(nlen, 256);
		assert_int_equal(mbedtls_pk_get_type(&c->pk), MBEDTLS_PK_RSA);
		assert_int_equal(mbedtls_rsa_export_raw(mbedtls_pk_rsa(c->pk), n, sizeof(n), NULL, 0, NULL, 0,
							NULL, 0, e, sizeof(e)),
				 0);
		assert_memory_equal(n, pub + at + 2, 256);
		assert_memory_equal(e, "\x00\x01\x00\x01", 4);
		assert_int_equal(at + 2 + 256, pub_len);
	} else {
		uint8_t q[65], want[65];
		size_t qlen;

		at += 2 + 2; /* curve, kdf */
		want[0] = 0x04;
		assert_int_equal(pub[at] << 8 | pub[at + 1], 32);
		memcpy(want + 1, pub + at + 2, 32);
		at += 2 + 32;
		assert_int_equal(pub[at] << 8 | pub[at + 1], 32);
		memcpy(want + 33, pub + at + 2, 32);
		assert_int_equal(at + 2 + 32, pub_len);
		assert_int_equal(mbedtls_pk_get_type(&c->pk), MBEDTLS_PK_ECKEY);
		assert_int_equal(mbedtls_ecp_keypair_get_group_id(mbedtls_pk_ec(c->pk)),
				 MBEDTLS_ECP_DP_SECP256R1);
		assert_int_equal(mbedtls_ecp_write_public_key(mbedtls_pk_ec(c->pk),
							      MBEDTLS_ECP_PF_UNCOMPRESSED, &qlen, q,
							      sizeof(q)),
				 0);
		assert_int_equal(qlen, 65);
		assert_memory_equal(q, want, 65);
	}
}

static void check_cert(struct ekcert_ca *ca, const uint8_t *der, size_t len, const uint8_t *pub,
		       size_t pub_len, mbedtls_md_type_t md)
{
	static const uint8_t empty_seq[] = { 0x30, 0x00 };
	static const uint8_t eku[] = { 0x30, 0x07, 0x06, 0x05, 0x67, 0x81, 0x05, 0x08, 0x01 };
	static const uint8_t ku_rsa[] = { 0x03, 0x02, 0x05, 0x20 }; /* keyEncipherment */
	static const uint8_t ku_ecc[] = { 0x03, 0x02, 0x03, 0x08 }; /* keyAgreement */
	bool rsa = pub[1] == 0x01;
	mbedtls_x509_crt c;
	struct ext ext[16];
	struct der want, aki = { .n = 0 }, kid = { .n = 0 };
	uint8_t keyid[20];
	uint32_t flags = 0;
	size_t n;

	mbedtls_x509_crt_init(&c);
	assert_int_equal(mbedtls_x509_crt_parse_der(&c, der, len), 0);
	assert_int_equal(c.raw.len, len);
	assert_int_equal(c.version, 3);
	/* Subject empty; issuer exactly the CA's subject. */
	assert_int_equal(c.subject_raw.len, 2);
	assert_memory_equal(c.subject_raw.p, empty_seq, 2);
	assert_int_equal(c.issuer_raw.len, ca->cert.subject_raw.len);
	assert_memory_equal(c.issuer_raw.p, ca->cert.subject_raw.p, c.issuer_raw.len);
	/* Serial: 20 octets, positive. */
	assert_int_equal(c.serial.len, 20);
	assert_true(c.serial.p[0] >= 0x40 && c.serial.p[0] < 0x80);
	/* Validity: the CA's notBefore to 9999-12-31 23:59:59. */
	assert_memory_equal(&c.valid_from, &ca->cert.valid_from, sizeof(c.valid_from));
	assert_int_equal(c.valid_to.year, 9999);
	assert_int_equal(c.valid_to.mon, 12);
	assert_int_equal(c.valid_to.day, 31);
	assert_int_equal(c.valid_to.hour, 23);
	assert_int_equal(c.valid_to.min, 59);
	assert_int_equal(c.valid_to.sec, 59);
	check_key(&c, pub, pub_len);

	n = extensions(der, len, ext, 16);
	assert_int_equal(n, 6); /* no subjectKeyIdentifier: the profile says not to */
	expected_san(&want);
	assert_value(FIND(ext, n, MBEDTLS_OID_SUBJECT_ALT_NAME), 1, want.b, want.n);
	assert_value(FIND(ext, n, MBEDTLS_OID_BASIC_CONSTRAINTS), 1, empty_seq, 2);
	expected_sda(&want);
	assert_value(FIND(ext, n, "\x55\x1d\x09"), 0, want.b, want.n);
	if (ca->cert.subject_key_id.len) {
		tlv(&kid, 0x80, ca->cert.subject_key_id.p, ca->cert.subject_key_id.len);
	} else {
		ski_method1(&ca->cert, keyid);
		tlv(&kid, 0x80, keyid, sizeof(keyid));
	}
	tlv_der(&aki, 0x30, &kid);
	assert_value(FIND(ext, n, MBEDTLS_OID_AUTHORITY_KEY_IDENTIFIER), 0, aki.b, aki.n);
	if (rsa)
		assert_value(FIND(ext, n, MBEDTLS_OID_KEY_USAGE), 1, ku_rsa, sizeof(ku_rsa));
	else
		assert_value(FIND(ext, n, MBEDTLS_OID_KEY_USAGE), 1, ku_ecc, sizeof(ku_ecc));
	assert_value(FIND(ext, n, MBEDTLS_OID_EXTENDED_KEY_USAGE), 0, eku, sizeof(eku));

	/* mbedTLS's own view of the same. */
	assert_int_equal(mbedtls_x509_crt_get_ca_istrue(&c), 0);
	assert_int_equal(mbedtls_x509_crt_check_key_usage(&c, rsa ? MBEDTLS_X509_KU_KEY_ENCIPHERMENT
								  : MBEDTLS_X509_KU_KEY_AGREEMENT),
			 0);
	assert_int_not_equal(mbedtls_x509_crt_check_key_usage(&c, MBEDTLS_X509_KU_DIGITAL_SIGNATURE), 0);
	assert_int_equal(mbedtls_x509_crt_check_extended_key_usage(&c, "\x67\x81\x05\x08\x01", 5), 0);
	assert_int_not_equal(mbedtls_x509_crt_check_extended_key_usage(
				     &c, MBEDTLS_OID_SERVER_AUTH, MBEDTLS_OID_SIZE(MBEDTLS_OID_SERVER_AUTH)),
			     0);
	assert_int_equal(c.MBEDTLS_PRIVATE(sig_md), md);
	assert_int_equal(mbedtls_x509_crt_verify(&c, &ca->cert, NULL, NULL, &flags, NULL, NULL), 0);
	assert_int_equal(flags, 0);
	mbedtls_x509_crt_free(&c);
}

static void one(const struct ekcert_fixture *key, const struct ekcert_fixture *cert, bool rsa_ek,
		mbedtls_md_type_t md)
{
	struct ekcert_ca ca;
	uint8_t der[EKCERT_DER_MAX];
	const uint8_t *pub = rsa_ek ? rsa_pub : ecc_pub;
	size_t pub_len = rsa_ek ? rsa_pub_len : ecc_pub_len;
	size_t len;

	load(&ca, key, cert);
	len = issue(&ca, pub, pub_len, der);
	check_cert(&ca, der, len, pub, pub_len, md);
	ekcert_ca_free(&ca);
}

static void test_rsa_ek_ec256_ca(void **state)
{
	(void)state;
	one(&ca_ec256_key, &ca_ec256_cert, true, MBEDTLS_MD_SHA256);
}

static void test_ecc_ek_ec256_ca(void **state)
{
	(void)state;
	one(&ca_ec256_key, &ca_ec256_cert, false, MBEDTLS_MD_SHA256);
}

static void test_ecc_ek_ec384_der_ca(void **state)
{
	(void)state;
	one(&ca_ec384_key, &ca_ec384_cert, false, MBEDTLS_MD_SHA384);
	one(&ca_ec384_key, &ca_ec384_cert, true, MBEDTLS_MD_SHA384);
}

static void test_rsa_ca(void **state)
{
	(void)state;
	one(&ca_rsa_key, &ca_rsa_cert, true, MBEDTLS_MD_SHA256);
	one(&ca_rsa_key, &ca_rsa_cert, false, MBEDTLS_MD_SHA256);
}

static void test_ca_without_ski(void **state)
{
	(void)state;
	one(&ca_ec256_key, &ca_noski_cert, false, MBEDTLS_MD_SHA256);
}

/* A PEM certificate file may carry text before the PEM block and a chain
 * after it; the first certificate is the CA's. */
static void test_pem_with_text_and_chain(void **state)
{
	struct ekcert_fixture cert;
	uint8_t buf[4096];
	size_t n = 0;
	static const char text[] = "subject=CN = husk EK CA P-256\n";

	(void)state;
	memcpy(buf, text, sizeof(text) - 1);
	n += sizeof(text) - 1;
	memcpy(buf + n, ca_ec256_cert.p, ca_ec256_cert.len);
	n += ca_ec256_cert.len;
	memcpy(buf + n, ca_rsa_cert.p, ca_rsa_cert.len);
	n += ca_rsa_cert.len;
	cert = (struct ekcert_fixture){ buf, n };
	one(&ca_ec256_key, &cert, false, MBEDTLS_MD_SHA256);
}

/* The same CA and EK give the same bytes, whatever the random generator
 * does; the serial differs with either key. */
static void test_deterministic(void **state)
{
	static const struct {
		const struct ekcert_fixture *key, *cert;
	} cas[] = { { &ca_ec256_key, &ca_ec256_cert },
		    { &ca_rsa_key, &ca_rsa_cert },
		    { &ca_ec384_key, &ca_ec384_cert } };
	uint8_t a[EKCERT_DER_MAX], b[EKCERT_DER_MAX];
	uint8_t serials[3][2][20];
	size_t la, lb;

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		struct ekcert_ca ca;
		mbedtls_x509_crt c;

		load(&ca, cas[i].key, cas[i].cert);
		for (int k = 0; k < 2; k++) {
			const uint8_t *pub = k ? ecc_pub : rsa_pub;
			size_t pub_len = k ? ecc_pub_len : rsa_pub_len;

			rng_state = 1;
			la = issue(&ca, pub, pub_len, a);
			rng_state = 0xfeedface;
			lb = issue(&ca, pub, pub_len, b);
			assert_int_equal(la, lb);
			assert_memory_equal(a, b, la);
			mbedtls_x509_crt_init(&c);
			assert_int_equal(mbedtls_x509_crt_parse_der(&c, a, la), 0);
			memcpy(serials[i][k], c.serial.p, 20);
			mbedtls_x509_crt_free(&c);
		}
		ekcert_ca_free(&ca);
	}
	for (size_t i = 0; i < 6; i++)
		for (size_t j = i + 1; j < 6; j++)
			assert_memory_not_equal(serials[i / 2][i % 2], serials[j / 2][j % 2], 20);
}

static void test_tpm_info_is_getcapability(void **state)
{
	static const uint32_t pts[] = {
		TPM_PT_MANUFACTURER,     TPM_PT_VENDOR_STRING_1, TPM_PT_FIRMWARE_VERSION_1,
		TPM_PT_FAMILY_INDICATOR, TPM_PT_LEVEL,           TPM_PT_REVISION
	};
	const uint32_t *vals[] = { &info.manufacturer, &info.vendor_string[0], &info.firmware_version_1,
				   &info.spec_family,  &info.spec_level,       &info.spec_revision };
	struct view v;

	(void)state;
	assert_int_equal(tpm_host_startup(&host, TPM_SU_CLEAR), 0);
	for (size_t i = 0; i < sizeof(pts) / sizeof(pts[0]); i++) {
		uint8_t p[12];

		tpm_put_be32(p, TPM_CAP_TPM_PROPERTIES);
		tpm_put_be32(p + 4, pts[i]);
		tpm_put_be32(p + 8, 1);
		assert_int_equal(tpm_host_call(&host, TPM_CC_GetCapability, NULL, 0, false, NULL, p, 12), 0);
		assert_true(rsp_params(host.rsp, host.rsp_len, false, &v));
		/* moreData, capability, count, property, value */
		assert_true(v.n >= 1 + 4 + 4 + 8);
		assert_int_equal(tpm_be32(v.p + 9), pts[i]);
		assert_int_equal(tpm_be32(v.p + 13), *vals[i]);
	}
	assert_int_equal(info.manufacturer, 0x4855534b);
}

/* ---- refusals ---- */

struct bad_ca {
	const char *name;
	const uint8_t *key;
	size_t key_len;
	const uint8_t *cert;
	size_t cert_len;
	int err;
};

static void test_bad_ca(void **state)
{
	static const uint8_t garbage[] = "this is not a key";
	const struct bad_ca cases[] = {
		{ "garbage key", garbage, sizeof(garbage) - 1, ca_ec256_cert.p, ca_ec256_cert.len,
		  HUSK_ERR_FORMAT },
		{ "truncated DER key", ca_ec384_key.p, ca_ec384_key.len - 9, ca_ec384_cert.p,
		  ca_ec384_cert.len, HUSK_ERR_FORMAT },
		{ "truncated PEM key", ca_ec256_key.p, ca_ec256_key.len / 2, ca_ec256_cert.p,
		  ca_ec256_cert.len, HUSK_ERR_FORMAT },
		{ "certificate as key", ca_ec256_cert.p, ca_ec256_cert.len, ca_ec256_cert.p,
		  ca_ec256_cert.len, HUSK_ERR_FORMAT },
		{ "encrypted key", ca_ec256_enc_key.p, ca_ec256_enc_key.len, ca_ec256_cert.p,
		  ca_ec256_cert.len, HUSK_ERR_UNSUPPORTED },
		{ "Ed25519 key", ed25519_key.p, ed25519_key.len, ca_ec256_cert.p, ca_ec256_cert.len,
		  HUSK_ERR_UNSUPPORTED },
		{ "RSA 1024 key", ca_rsa1024_key.p, ca_rsa1024_key.len, ca_rsa1024_cert.p,
		  ca_rsa1024_cert.len, HUSK_ERR_UNSUPPORTED },
		{ "garbage certificate", ca_ec256_key.p, ca_ec256_key.len, garbage, sizeof(garbage) - 1,
		  HUSK_ERR_FORMAT },
		{ "truncated DER certificate", ca_ec384_key.p, ca_ec384_key.len, ca_ec384_cert.p,
		  ca_ec384_cert.len - 1, HUSK_ERR_FORMAT },
		{ "key as certificate", ca_ec256_key.p, ca_ec256_key.len, ca_ec256_key.p, ca_ec256_key.len,
		  HUSK_ERR_FORMAT },
		{ "not a CA", ca_ec256_key.p, ca_ec256_key.len, ca_nonca_cert.p, ca_nonca_cert.len,
		  HUSK_ERR_INVAL },
		{ "no keyCertSign", ca_ec256_key.p, ca_ec256_key.len, ca_noku_cert.p, ca_noku_cert.len,
		  HUSK_ERR_INVAL },
		{ "multi-valued RDN", ca_ec256_key.p, ca_ec256_key.len, ca_multi_cert.p, ca_multi_cert.len,
		  HUSK_ERR_UNSUPPORTED },
		{ "another EC key", ca_ec384_key.p, ca_ec384_key.len, ca_ec256_cert.p, ca_ec256_cert.len,
		  HUSK_ERR_INVAL },
		{ "RSA key for an EC CA", ca_rsa_key.p, ca_rsa_key.len, ca_ec256_cert.p, ca_ec256_cert.len,
		  HUSK_ERR_INVAL },
		{ "empty key", ca_ec256_key.p, 0, ca_ec256_cert.p, ca_ec256_cert.len, HUSK_ERR_INVAL },
		{ "no certificate", ca_ec256_key.p, ca_ec256_key.len, NULL, 0, HUSK_ERR_INVAL },
		{ "huge key", ca_ec256_key.p, 65537, ca_ec256_cert.p, ca_ec256_cert.len, HUSK_ERR_RANGE },
	};
	uint8_t der[EKCERT_DER_MAX];
	size_t len;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ekcert_ca ca;
		const char *why = NULL;
		int err;

		ekcert_ca_init(&ca);
		err = ekcert_ca_load(&ca, cases[i].key, cases[i].key_len, cases[i].cert, cases[i].cert_len,
				     test_rng, &rng_state, &why);
		print_message("%-26s -> %s: %s\n", cases[i].name, husk_strerror(err), why ? why : "(none)");
		if (err != cases[i].err)
			fail_msg("%s: got %s, want %s", cases[i].name, husk_strerror(err),
				 husk_strerror(cases[i].err));
		assert_non_null(why);
		assert_false(ca.loaded);
		/* A CA that failed to load issues nothing. */
		why = NULL;
		assert_int_equal(ekcert_issue(&ca, &info, ecc_pub, ecc_pub_len, test_rng, &rng_state, der,
					      sizeof(der), &len, &why),
				 HUSK_ERR_INVAL);
		assert_non_null(why);
		ekcert_ca_free(&ca);
	}
}

static void expect_issue_error(struct ekcert_ca *ca, const uint8_t *pub, size_t pub_len, size_t cap, int want)
{
	uint8_t der[EKCERT_DER_MAX];
	const char *why = NULL;
	size_t len = 0;
	int err = ekcert_issue(ca, &info, pub, pub_len, test_rng, &rng_state, der, cap, &len, &why);

	print_message("-> %s: %s\n", husk_strerror(err), why ? why : "(none)");
	assert_int_equal(err, want);
	assert_non_null(why);
}

static void test_bad_ek(void **state)
{
	/* A keyed-hash object: fixedTPM fixedParent sensitiveDataOrigin
	 * userWithAuth sign, no policy, HMAC SHA-256, a 32-byte unique. */
	static const uint8_t keyedhash[] = {
		0x00, 0x08, 0x00, 0x0b, 0x00, 0x04, 0x00, 0x72, 0x00, 0x00, 0x00, 0x05,
		0x00, 0x0b, 0x00, 0x20, 1,    2,    3,    4,    5,    6,    7,    8,
		9,    10,   11,   12,   13,   14,   15,   16,   17,   18,   19,   20,
		21,   22,   23,   24,   25,   26,   27,   28,   29,   30,   31,   32,
	};
	struct ekcert_ca ca;
	uint8_t pub[512];

	(void)state;
	load(&ca, &ca_ec256_key, &ca_ec256_cert);
	expect_issue_error(&ca, ecc_pub, ecc_pub_len - 1, EKCERT_DER_MAX, HUSK_ERR_FORMAT);
	memcpy(pub, ecc_pub, ecc_pub_len);
	pub[ecc_pub_len] = 0;
	expect_issue_error(&ca, pub, ecc_pub_len + 1, EKCERT_DER_MAX, HUSK_ERR_FORMAT);
	expect_issue_error(&ca, rsa_pub, 3, EKCERT_DER_MAX, HUSK_ERR_FORMAT);
	expect_issue_error(&ca, NULL, 0, EKCERT_DER_MAX, HUSK_ERR_INVAL);
	expect_issue_error(&ca, keyedhash, sizeof(keyedhash), EKCERT_DER_MAX, HUSK_ERR_INVAL);
	/* Not fixedTPM: a key that may leave its TPM is no EK. */
	memcpy(pub, ecc_pub, ecc_pub_len);
	pub[7] &= (uint8_t)~TPMA_OBJECT_FIXEDTPM;
	expect_issue_error(&ca, pub, ecc_pub_len, EKCERT_DER_MAX, HUSK_ERR_INVAL);
	/* A point off the curve (the last byte of y changed). */
	memcpy(pub, ecc_pub, ecc_pub_len);
	pub[ecc_pub_len - 1] ^= 1;
	expect_issue_error(&ca, pub, ecc_pub_len, EKCERT_DER_MAX, HUSK_ERR_INVAL);
	/* The template itself, unique all zeros: no key at all. */
	memcpy(pub, ecc_pub, ecc_pub_len);
	memset(pub + ecc_pub_len - 68, 0, 68);
	pub[ecc_pub_len - 68] = 0;
	pub[ecc_pub_len - 67] = 32;
	pub[ecc_pub_len - 34] = 0;
	pub[ecc_pub_len - 33] = 32;
	expect_issue_error(&ca, pub, ecc_pub_len, EKCERT_DER_MAX, HUSK_ERR_INVAL);
	/* Too small a buffer. */
	expect_issue_error(&ca, rsa_pub, rsa_pub_len, 300, HUSK_ERR_RANGE);
	ekcert_ca_free(&ca);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rsa_ek_ec256_ca),
		cmocka_unit_test(test_ecc_ek_ec256_ca),
		cmocka_unit_test(test_ecc_ek_ec384_der_ca),
		cmocka_unit_test(test_rsa_ca),
		cmocka_unit_test(test_ca_without_ski),
		cmocka_unit_test(test_pem_with_text_and_chain),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_tpm_info_is_getcapability),
		cmocka_unit_test(test_bad_ca),
		cmocka_unit_test(test_bad_ek),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
