/* Unit tests for lib/snp's report parser and relying-party checks: AMD's
 * upstream VCEK and VLEK reports (signature, chain to the Milan ARK via the
 * ASK or ASVK, TCB and chip-ID binding), every parser rule of snp_report.h,
 * corrupted reports and certificates, and the PSP model's test chain. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "husk/err.h"
#include "snp/snp_report.h"
#include "snp/snp_verify.h"
#include "../common/snp_psp_model.h"

/* ---- Test data (tests/data/snp, see its README) ---- */

struct blob {
	uint8_t *p;
	size_t len;
};

static struct blob vcek_report, vcek_der, vlek_report, vlek_der;
static struct blob milan_ask, milan_ark, milan_asvk, genoa_ask, genoa_ark;
static struct snp_psp_model model;

static struct blob load(const char *name)
{
	struct blob b = { 0 };

	b.p = snp_model_read_file(name, &b.len);
	return b;
}

static struct blob load_pem(const char *name, unsigned index)
{
	struct blob b = { 0 };

	b.p = snp_model_pem_cert(name, index, &b.len);
	return b;
}

static int setup(void **state)
{
	(void)state;
	vcek_report = load("snp-test-report-vcek.bin");
	vcek_der = load("snp-test-vcek.der");
	vlek_report = load("snp-test-report-vlek.bin");
	vlek_der = load("snp-test-vlek.der");
	milan_ask = load_pem("amd-milan-ask-ark-asvk.pem", 0);
	milan_ark = load_pem("amd-milan-ask-ark-asvk.pem", 1);
	milan_asvk = load_pem("amd-milan-ask-ark-asvk.pem", 2);
	genoa_ask = load_pem("amd-genoa-ask-ark-asvk.pem", 0);
	genoa_ark = load_pem("amd-genoa-ask-ark-asvk.pem", 1);
	if (!vcek_report.p || !vcek_der.p || !vlek_report.p || !vlek_der.p || !milan_ask.p || !milan_ark.p ||
	    !milan_asvk.p || !genoa_ask.p || !genoa_ark.p)
		return -1;
	return snp_psp_model_init(&model);
}

static int teardown(void **state)
{
	struct blob *all[] = { &vcek_report, &vcek_der, &vlek_report, &vlek_der, &milan_ask,
			       &milan_ark,   &milan_asvk, &genoa_ask,  &genoa_ark };

	(void)state;
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		free(all[i]->p);
	snp_psp_model_free(&model);
	return 0;
}

static void parse_ok(struct snp_report *r, const struct blob *b)
{
	struct snp_error err;

	assert_int_equal(b->len, SNP_REPORT_SIZE);
	assert_int_equal(snp_report_parse(r, b->p, b->len, &err), HUSK_OK);
	assert_int_equal(err.code, HUSK_OK);
	assert_string_equal(err.message, "");
}

/* ---- Parsing the upstream reports ---- */

static void test_parse_upstream_vcek(void **state)
{
	struct snp_report r;
	struct snp_tcb tcb;

	(void)state;
	parse_ok(&r, &vcek_report);
	assert_int_equal(r.version, 2);
	assert_int_equal(snp_report_vmpl(&r), 0);
	assert_int_equal(snp_report_signing_key(&r), SNP_SIGNING_KEY_VCEK);
	assert_memory_equal(snp_report_measurement(&r), vcek_report.p + 0x90, SNP_MEASUREMENT_SIZE);
	assert_memory_equal(snp_report_report_data(&r), vcek_report.p + 0x50, SNP_REPORT_DATA_SIZE);
	assert_memory_equal(snp_report_chip_id(&r), vcek_report.p + 0x1a0, SNP_CHIP_ID_SIZE);
	assert_false(snp_report_chip_id_masked(&r));
	assert_int_equal(snp_report_product(&r), SNP_PRODUCT_UNKNOWN); /* v2 has no CPUID fields */
	assert_int_equal(snp_report_tcb_layout(&r), SNP_TCB_LAYOUT_MILAN_GENOA);
	snp_report_reported_tcb(&r, &tcb);
	assert_false(tcb.has_fmc);
	assert_int_equal(tcb.bootloader, 3);
	assert_int_equal(tcb.tee, 0);
	assert_int_equal(tcb.snp, 8);
	assert_int_equal(tcb.microcode, 0x73);
	assert_int_equal(r.policy, 0x3001f);
	/* The struct is the wire format byte for byte. */
	assert_memory_equal(&r, vcek_report.p, SNP_REPORT_SIZE);
}

static void test_parse_upstream_vlek(void **state)
{
	struct snp_report r;
	struct snp_tcb tcb;

	(void)state;
	parse_ok(&r, &vlek_report);
	assert_int_equal(r.version, 3);
	assert_int_equal(snp_report_vmpl(&r), 1);
	assert_int_equal(snp_report_signing_key(&r), SNP_SIGNING_KEY_VLEK);
	assert_int_equal(snp_report_product(&r), SNP_PRODUCT_MILAN);
	assert_true(snp_report_chip_id_masked(&r));
	snp_report_reported_tcb(&r, &tcb);
	assert_int_equal(tcb.bootloader, 4);
	assert_int_equal(tcb.snp, 0x18);
	assert_int_equal(tcb.microcode, 0xd9);
}

/* ---- Signatures ---- */

static void test_signature_upstream(void **state)
{
	struct snp_report r;
	struct snp_error err;

	(void)state;
	parse_ok(&r, &vcek_report);
	assert_int_equal(snp_verify_report_signature(&r, vcek_der.p, vcek_der.len, &err), HUSK_OK);
	/* The right report with the wrong key. */
	assert_int_equal(snp_verify_report_signature(&r, vlek_der.p, vlek_der.len, &err), HUSK_ERR_CRYPTO);
	assert_non_null(strstr(err.message, "does not verify"));

	parse_ok(&r, &vlek_report);
	assert_int_equal(snp_verify_report_signature(&r, vlek_der.p, vlek_der.len, &err), HUSK_OK);
	assert_int_equal(snp_verify_report_signature(&r, vcek_der.p, vcek_der.len, NULL), HUSK_ERR_CRYPTO);
}

static void test_signature_corrupted(void **state)
{
	/* One bit in each signed field, in R and in S. */
	static const size_t signed_offsets[] = { 0x004, 0x008, 0x010, 0x030, 0x038, 0x040, 0x050, 0x08f,
						 0x090, 0x0c0, 0x0e0, 0x110, 0x140, 0x160, 0x180, 0x1a0,
						 0x1df, 0x1e0, 0x1e8, 0x1ec, 0x1f0, 0x1f8, 0x29f };
	struct snp_report good, r;
	uint8_t *b = (uint8_t *)&r;

	(void)state;
	parse_ok(&good, &vcek_report);
	for (size_t i = 0; i < sizeof(signed_offsets) / sizeof(signed_offsets[0]); i++) {
		r = good;
		b[signed_offsets[i]] ^= 0x04;
		assert_int_equal(snp_verify_report_signature(&r, vcek_der.p, vcek_der.len, NULL), HUSK_ERR_CRYPTO);
	}
	for (size_t i = 0; i < SNP_ECDSA_P384_SCALAR_SIZE; i += 47) {
		r = good;
		r.signature.r[i] ^= 0x80;
		assert_int_equal(snp_verify_report_signature(&r, vcek_der.p, vcek_der.len, NULL), HUSK_ERR_CRYPTO);
		r = good;
		r.signature.s[i] ^= 0x01;
		assert_int_equal(snp_verify_report_signature(&r, vcek_der.p, vcek_der.len, NULL), HUSK_ERR_CRYPTO);
	}
	/* Bytes above 384 bits, and the degenerate values. */
	r = good;
	r.signature.r[SNP_ECDSA_P384_SCALAR_SIZE] = 1;
	assert_int_equal(snp_verify_report_signature(&r, vcek_der.p, vcek_der.len, NULL), HUSK_ERR_CRYPTO);
	r = good;
	r.signature.s[SNP_ECDSA_SIG_COMPONENT_SIZE - 1] = 0x80;
	assert_int_equal(snp_verify_report_signature(&r, vcek_der.p, vcek_der.len, NULL), HUSK_ERR_CRYPTO);
	r = good;
	memset(r.signature.r, 0, sizeof(r.signature.r));
	assert_int_equal(snp_verify_report_signature(&r, vcek_der.p, vcek_der.len, NULL), HUSK_ERR_CRYPTO);
	r = good;
	memset(r.signature.s, 0xff, SNP_ECDSA_P384_SCALAR_SIZE);
	assert_int_equal(snp_verify_report_signature(&r, vcek_der.p, vcek_der.len, NULL), HUSK_ERR_CRYPTO);
	/* The unsigned rest of the signature field does not matter. */
	r = good;
	memset(r.signature.reserved, 0x5a, sizeof(r.signature.reserved));
	assert_int_equal(snp_verify_report_signature(&r, vcek_der.p, vcek_der.len, NULL), HUSK_OK);
	/* An unsigned report cannot be verified. */
	r = good;
	r.key_info = SNP_KEY_INFO_MASK_CHIP_KEY | SNP_SIGNING_KEY_NONE << SNP_KEY_INFO_SIGNING_KEY_SHIFT;
	assert_int_equal(snp_verify_report_signature(&r, vcek_der.p, vcek_der.len, NULL), HUSK_ERR_UNSUPPORTED);
	/* Not a certificate, or not a P-384 key. */
	r = good;
	assert_int_equal(snp_verify_report_signature(&r, vcek_report.p, 100, NULL), HUSK_ERR_FORMAT);
	assert_int_equal(snp_verify_report_signature(&r, milan_ask.p, milan_ask.len, NULL), HUSK_ERR_FORMAT);
	assert_int_equal(snp_verify_report_signature(&r, NULL, 0, NULL), HUSK_ERR_INVAL);
}

/* ---- Parser rules ---- */

static int parse_mutated(const struct blob *src, size_t off, uint8_t value, struct snp_error *err)
{
	uint8_t buf[SNP_REPORT_SIZE];
	struct snp_report r;
	int rc;

	memcpy(buf, src->p, sizeof(buf));
	buf[off] = value;
	rc = snp_report_parse(&r, buf, sizeof(buf), err);
	if (rc != HUSK_OK) {
		static const struct snp_report zero;

		assert_memory_equal(&r, &zero, sizeof(r)); /* nothing half-trusted left behind */
	}
	return rc;
}

static int parse_version(const struct blob *src, uint32_t version, size_t off, uint8_t value)
{
	uint8_t buf[SNP_REPORT_SIZE];
	struct snp_report r;

	memcpy(buf, src->p, sizeof(buf));
	buf[0] = (uint8_t)version;
	buf[1] = (uint8_t)(version >> 8);
	buf[2] = (uint8_t)(version >> 16);
	buf[3] = (uint8_t)(version >> 24);
	if (off)
		buf[off] = value;
	return snp_report_parse(&r, buf, sizeof(buf), NULL);
}

static void test_parse_rejects(void **state)
{
	uint8_t big[SNP_REPORT_SIZE + 1];
	struct snp_report r;
	struct snp_error err;

	(void)state;
	memset(big, 0, sizeof(big));
	memcpy(big, vcek_report.p, SNP_REPORT_SIZE);
	assert_int_equal(snp_report_parse(&r, big, 0, &err), HUSK_ERR_RANGE);
	assert_int_equal(snp_report_parse(&r, big, SNP_REPORT_SIZE - 1, &err), HUSK_ERR_RANGE);
	assert_int_equal(snp_report_parse(&r, big, SNP_REPORT_SIZE + 1, &err), HUSK_ERR_RANGE);
	assert_non_null(strstr(err.message, "1185 bytes"));
	assert_int_equal(snp_report_parse(NULL, big, SNP_REPORT_SIZE, &err), HUSK_ERR_INVAL);
	assert_int_equal(snp_report_parse(&r, NULL, SNP_REPORT_SIZE, &err), HUSK_ERR_INVAL);
	assert_int_equal(snp_report_validate(NULL, &err), HUSK_ERR_INVAL);

	/* Versions without a known layout. */
	assert_int_equal(parse_version(&vcek_report, 0, 0, 0), HUSK_ERR_UNSUPPORTED);
	assert_int_equal(parse_version(&vcek_report, 1, 0, 0), HUSK_ERR_UNSUPPORTED);
	assert_int_equal(parse_version(&vcek_report, 6, 0, 0), HUSK_ERR_UNSUPPORTED);
	assert_int_equal(parse_version(&vcek_report, 0x00000102, 0, 0), HUSK_ERR_UNSUPPORTED);
	assert_int_equal(parse_version(&vcek_report, 0xffffffff, 0, 0), HUSK_ERR_UNSUPPORTED);
	for (uint32_t v = 2; v <= 5; v++)
		assert_int_equal(parse_version(&vcek_report, v, 0, 0), HUSK_OK);

	/* SIGNATURE_ALGO, VMPL, KEY_INFO. */
	assert_int_equal(parse_mutated(&vcek_report, 0x34, 0, &err), HUSK_ERR_UNSUPPORTED);
	assert_non_null(strstr(err.message, "signature algorithm 0"));
	assert_int_equal(parse_mutated(&vcek_report, 0x34, 2, &err), HUSK_ERR_UNSUPPORTED);
	assert_int_equal(parse_mutated(&vcek_report, 0x35, 1, &err), HUSK_ERR_UNSUPPORTED);
	assert_int_equal(parse_mutated(&vcek_report, 0x30, 3, &err), HUSK_OK);
	assert_int_equal(parse_mutated(&vcek_report, 0x30, 4, &err), HUSK_ERR_FORMAT);
	assert_int_equal(parse_mutated(&vcek_report, 0x33, 1, &err), HUSK_ERR_FORMAT);
	assert_int_equal(parse_mutated(&vcek_report, 0x48, 0x20, &err), HUSK_ERR_FORMAT);
	assert_int_equal(parse_mutated(&vcek_report, 0x4b, 0x80, &err), HUSK_ERR_FORMAT);
	for (uint8_t key = 0; key < 8; key++) {
		int want = key == 0 || key == 1 || key == 7 ? HUSK_OK : HUSK_ERR_FORMAT;

		assert_int_equal(parse_mutated(&vcek_report, 0x48, (uint8_t)(key << 2 | 3), &err), want);
	}

	/* Reserved bytes by version: v2 (the VCEK report) and v3 (the VLEK one). */
	assert_int_equal(parse_mutated(&vcek_report, 0x04c, 1, &err), HUSK_ERR_FORMAT);
	assert_non_null(strstr(err.message, "offset 0x04c"));
	assert_int_equal(parse_mutated(&vcek_report, 0x04f, 1, &err), HUSK_ERR_FORMAT);
	assert_int_equal(parse_mutated(&vcek_report, 0x188, 0x19, &err), HUSK_ERR_FORMAT); /* no CPUID in v2 */
	assert_int_equal(parse_mutated(&vcek_report, 0x18a, 1, &err), HUSK_ERR_FORMAT);
	assert_int_equal(parse_mutated(&vlek_report, 0x18a, 7, &err), HUSK_OK); /* CPUID stepping in v3 */
	assert_int_equal(parse_mutated(&vlek_report, 0x18b, 1, &err), HUSK_ERR_FORMAT);
	assert_int_equal(parse_mutated(&vlek_report, 0x19f, 1, &err), HUSK_ERR_FORMAT);
	assert_int_equal(parse_mutated(&vlek_report, 0x1eb, 1, &err), HUSK_ERR_FORMAT);
	assert_int_equal(parse_mutated(&vlek_report, 0x1ef, 1, &err), HUSK_ERR_FORMAT);
	assert_int_equal(parse_mutated(&vlek_report, 0x1f8, 1, &err), HUSK_ERR_FORMAT); /* no mit. vector in v3 */
	assert_int_equal(parse_mutated(&vlek_report, 0x207, 1, &err), HUSK_ERR_FORMAT);
	assert_int_equal(parse_mutated(&vlek_report, 0x208, 1, &err), HUSK_ERR_FORMAT);
	assert_int_equal(parse_mutated(&vlek_report, 0x29f, 1, &err), HUSK_ERR_FORMAT);
	assert_int_equal(parse_version(&vlek_report, 4, 0x1f8, 1), HUSK_ERR_FORMAT);
	assert_int_equal(parse_version(&vlek_report, 5, 0x1f8, 1), HUSK_OK); /* LAUNCH_MIT_VECTOR */
	assert_int_equal(parse_version(&vlek_report, 5, 0x207, 1), HUSK_OK); /* CURRENT_MIT_VECTOR */
	assert_int_equal(parse_version(&vlek_report, 5, 0x208, 1), HUSK_ERR_FORMAT);
	assert_int_equal(parse_version(&vlek_report, 5, 0x29f, 1), HUSK_ERR_FORMAT);

	/* What the parser deliberately accepts. */
	assert_int_equal(parse_mutated(&vcek_report, 0x0f, 0xff, &err), HUSK_OK);  /* POLICY bits 63:56 */
	assert_int_equal(parse_mutated(&vcek_report, 0x0a, 0x00, &err), HUSK_OK);  /* POLICY bit 17 clear */
	assert_int_equal(parse_mutated(&vcek_report, 0x47, 0xff, &err), HUSK_OK);  /* PLATFORM_INFO */
	assert_int_equal(parse_mutated(&vcek_report, 0x03a, 0xff, &err), HUSK_OK); /* TCB reserved byte */
	assert_int_equal(parse_mutated(&vcek_report, 0x2d0, 0xff, &err), HUSK_OK); /* R above 384 bits */
	assert_int_equal(parse_mutated(&vcek_report, 0x49f, 0xff, &err), HUSK_OK); /* signature reserved */
}

/* ---- TCB_VERSION and products ---- */

static void test_tcb_layouts(void **state)
{
	struct snp_tcb t = { .has_fmc = true, .fmc = 1, .bootloader = 2, .tee = 3, .snp = 4, .microcode = 5 }, u;
	struct snp_report r;

	(void)state;
	assert_int_equal(snp_tcb_encode(&t, SNP_TCB_LAYOUT_TURIN), 0x0500000004030201ull);
	assert_int_equal(snp_tcb_encode(&t, SNP_TCB_LAYOUT_MILAN_GENOA), 0x0504000000000302ull);
	snp_tcb_decode(0x0500000004030201ull, SNP_TCB_LAYOUT_TURIN, &u);
	assert_memory_equal(&t, &u, sizeof(t));
	snp_tcb_decode(0x0504000000000302ull, SNP_TCB_LAYOUT_MILAN_GENOA, &u);
	assert_false(u.has_fmc);
	assert_int_equal(u.bootloader, 2);
	assert_int_equal(u.tee, 3);
	assert_int_equal(u.snp, 4);
	assert_int_equal(u.microcode, 5);
	assert_false(snp_tcb_has_reserved_bits(0xff000000ffffffffull, SNP_TCB_LAYOUT_TURIN));
	assert_true(snp_tcb_has_reserved_bits(0x0000000100000000ull, SNP_TCB_LAYOUT_TURIN));
	assert_true(snp_tcb_has_reserved_bits(0x0001000000000000ull, SNP_TCB_LAYOUT_TURIN));
	assert_false(snp_tcb_has_reserved_bits(0xffff00000000ffffull, SNP_TCB_LAYOUT_MILAN_GENOA));
	assert_true(snp_tcb_has_reserved_bits(0x0000000000010000ull, SNP_TCB_LAYOUT_MILAN_GENOA));
	assert_true(snp_tcb_has_reserved_bits(0x0000800000000000ull, SNP_TCB_LAYOUT_MILAN_GENOA));

	assert_int_equal(snp_product_from_cpuid(0x19, 0x01), SNP_PRODUCT_MILAN);
	assert_int_equal(snp_product_from_cpuid(0x19, 0x0f), SNP_PRODUCT_MILAN);
	assert_int_equal(snp_product_from_cpuid(0x19, 0x11), SNP_PRODUCT_GENOA);
	assert_int_equal(snp_product_from_cpuid(0x19, 0xa0), SNP_PRODUCT_GENOA);
	assert_int_equal(snp_product_from_cpuid(0x19, 0x20), SNP_PRODUCT_UNKNOWN);
	assert_int_equal(snp_product_from_cpuid(0x1a, 0x02), SNP_PRODUCT_TURIN);
	assert_int_equal(snp_product_from_cpuid(0x1a, 0x12), SNP_PRODUCT_UNKNOWN);
	assert_int_equal(snp_product_from_cpuid(0x17, 0x01), SNP_PRODUCT_UNKNOWN);

	/* v2 reports: the chip-ID heuristic for Turin's 8-byte chip ID. */
	parse_ok(&r, &vcek_report);
	memset(r.chip_id + 8, 0, SNP_CHIP_ID_SIZE - 8);
	assert_int_equal(snp_report_tcb_layout(&r), SNP_TCB_LAYOUT_TURIN);
	memset(r.chip_id, 0, SNP_CHIP_ID_SIZE);
	assert_int_equal(snp_report_tcb_layout(&r), SNP_TCB_LAYOUT_MILAN_GENOA);
	/* v3+: from CPUID. */
	r.version = 3;
	r.cpuid_fam_id = 0x1a;
	assert_int_equal(snp_report_tcb_layout(&r), SNP_TCB_LAYOUT_TURIN);
	r.cpuid_fam_id = 0x19;
	assert_int_equal(snp_report_tcb_layout(&r), SNP_TCB_LAYOUT_MILAN_GENOA);
}

/* ---- VCEK/VLEK certificates ---- */

static void test_vek_parse_upstream(void **state)
{
	struct snp_vek_info v;
	struct snp_error err;

	(void)state;
	assert_int_equal(snp_vek_parse(vcek_der.p, vcek_der.len, &v, &err), HUSK_OK);
	assert_int_equal(v.kind, SNP_VEK_VCEK);
	assert_true(v.has_struct_version);
	assert_int_equal(v.struct_version, 0);
	assert_string_equal(v.product_name, "Milan-B0");
	assert_false(v.tcb.has_fmc);
	assert_int_equal(v.tcb.bootloader, 3);
	assert_int_equal(v.tcb.tee, 0);
	assert_int_equal(v.tcb.snp, 8);
	assert_int_equal(v.tcb.microcode, 115);
	assert_int_equal(v.hwid_len, 64);
	assert_memory_equal(v.hwid, vcek_report.p + 0x1a0, 64);

	assert_int_equal(snp_vek_parse(vlek_der.p, vlek_der.len, &v, &err), HUSK_OK);
	assert_int_equal(v.kind, SNP_VEK_VLEK);
	assert_string_equal(v.product_name, "Milan");
	assert_int_equal(v.tcb.bootloader, 4);
	assert_int_equal(v.tcb.snp, 24);
	assert_int_equal(v.tcb.microcode, 217); /* INTEGER 02 02 00 d9 */
	assert_int_equal(v.hwid_len, 0);

	/* CA certificates are not VEKs. */
	assert_int_equal(snp_vek_parse(milan_ask.p, milan_ask.len, &v, &err), HUSK_ERR_FORMAT);
	assert_int_equal(snp_vek_parse(NULL, 0, &v, &err), HUSK_ERR_INVAL);
	assert_int_equal(snp_vek_parse(vcek_der.p, vcek_der.len, NULL, &err), HUSK_ERR_INVAL);
}

/* Finds the DER OID 1.3.6.1.4.1.3704.1.<tail> (tail_len bytes) in der. */
static size_t find_amd_oid(const uint8_t *der, size_t len, const uint8_t *tail, size_t tail_len)
{
	static const uint8_t prefix[] = { 0x06, 0, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x9c, 0x78, 0x01 };

	for (size_t i = 0; i + sizeof(prefix) + tail_len <= len; i++) {
		if (der[i] == 0x06 && der[i + 1] == 8 + tail_len && memcmp(der + i + 2, prefix + 2, 8) == 0 &&
		    memcmp(der + i + 10, tail, tail_len) == 0)
			return i + 10; /* offset of the tail */
	}
	fail_msg("AMD OID not found");
	return 0;
}

static int vek_parse_patched(size_t off, uint8_t value, struct snp_error *err)
{
	uint8_t *copy = malloc(vcek_der.len);
	struct snp_vek_info v;
	int rc;

	assert_non_null(copy);
	memcpy(copy, vcek_der.p, vcek_der.len);
	copy[off] = value;
	rc = snp_vek_parse(copy, vcek_der.len, &v, err);
	free(copy);
	return rc;
}

static void test_vek_parse_hostile(void **state)
{
	static const uint8_t bl[] = { 3, 1 }, snp[] = { 3, 3 }, ucode[] = { 3, 8 }, hwid[] = { 4 };
	struct snp_vek_info v;
	struct snp_error err;
	size_t at;

	(void)state;
	/* Every truncation fails cleanly. */
	for (size_t n = 0; n < vcek_der.len; n++)
		assert_int_not_equal(snp_vek_parse(vcek_der.p, n, &v, NULL), HUSK_OK);
	assert_int_equal(snp_vek_parse(vcek_der.p, SNP_VEK_MAX_DER_SIZE + 1, &v, &err), HUSK_ERR_FORMAT);

	/* Extension value not an INTEGER: OID tail, OCTET STRING tag+len, INTEGER tag. */
	at = find_amd_oid(vcek_der.p, vcek_der.len, ucode, 2);
	assert_int_equal(vek_parse_patched(at + 4, 0x04, &err), HUSK_ERR_FORMAT);
	assert_non_null(strstr(err.message, "ucodeSPL"));
	/* snpSPL renamed to reserved SPL 3.7: missing. */
	at = find_amd_oid(vcek_der.p, vcek_der.len, snp, 2);
	assert_int_equal(vek_parse_patched(at + 1, 7, &err), HUSK_ERR_FORMAT);
	assert_non_null(strstr(err.message, "no snpSPL"));
	/* blSPL renamed to teeSPL: twice. */
	at = find_amd_oid(vcek_der.p, vcek_der.len, bl, 2);
	assert_int_equal(vek_parse_patched(at + 1, 2, &err), HUSK_ERR_FORMAT);
	assert_non_null(strstr(err.message, "twice"));
	/* hwID renamed to an unknown AMD OID: neither VCEK nor VLEK. */
	at = find_amd_oid(vcek_der.p, vcek_der.len, hwid, 1);
	assert_int_equal(vek_parse_patched(at, 6, &err), HUSK_ERR_FORMAT);
	assert_non_null(strstr(err.message, "neither"));
	/* hwID renamed to CSP ID: a CSP ID that is not an IA5String. */
	assert_int_equal(vek_parse_patched(at, 5, &err), HUSK_ERR_FORMAT);
	/* SPL value 0x73 -> 0xF3 is a negative INTEGER. */
	at = find_amd_oid(vcek_der.p, vcek_der.len, ucode, 2);
	assert_int_equal(vek_parse_patched(at + 6, 0xf3, &err), HUSK_ERR_FORMAT);
}

/* ---- Chains ---- */

static void test_chain_upstream(void **state)
{
	struct snp_error err;

	(void)state;
	assert_int_equal(snp_verify_chain(milan_ark.p, milan_ark.len, milan_ask.p, milan_ask.len, vcek_der.p,
					  vcek_der.len, &err),
			 HUSK_OK);
	assert_int_equal(snp_verify_chain(milan_ark.p, milan_ark.len, milan_asvk.p, milan_asvk.len, vlek_der.p,
					  vlek_der.len, &err),
			 HUSK_OK);
	/* The VCEK is not the ASVK's, the VLEK not the ASK's. */
	assert_int_equal(snp_verify_chain(milan_ark.p, milan_ark.len, milan_asvk.p, milan_asvk.len, vcek_der.p,
					  vcek_der.len, &err),
			 HUSK_ERR_CRYPTO);
	assert_non_null(strstr(err.message, "VCEK/VLEK does not chain to ASK/ASVK"));
	assert_int_equal(snp_verify_chain(milan_ark.p, milan_ark.len, milan_ask.p, milan_ask.len, vlek_der.p,
					  vlek_der.len, NULL),
			 HUSK_ERR_CRYPTO);
	/* Another product's root. */
	assert_int_equal(snp_verify_chain(genoa_ark.p, genoa_ark.len, milan_ask.p, milan_ask.len, vcek_der.p,
					  vcek_der.len, &err),
			 HUSK_ERR_CRYPTO);
	assert_non_null(strstr(err.message, "ASK/ASVK does not chain to ARK"));
	/* Roles swapped or skipped. */
	assert_int_equal(snp_verify_chain(milan_ask.p, milan_ask.len, milan_ark.p, milan_ark.len, vcek_der.p,
					  vcek_der.len, NULL),
			 HUSK_ERR_CRYPTO);
	assert_int_equal(snp_verify_chain(milan_ark.p, milan_ark.len, milan_ark.p, milan_ark.len, vcek_der.p,
					  vcek_der.len, NULL),
			 HUSK_ERR_CRYPTO);
	assert_int_equal(snp_verify_chain(milan_ark.p, milan_ark.len, vcek_der.p, vcek_der.len, vcek_der.p,
					  vcek_der.len, NULL),
			 HUSK_ERR_CRYPTO);
	/* Garbage and absence. */
	assert_int_equal(snp_verify_chain(milan_ark.p, 10, milan_ask.p, milan_ask.len, vcek_der.p, vcek_der.len, &err),
			 HUSK_ERR_FORMAT);
	assert_int_equal(snp_verify_chain(NULL, 0, milan_ask.p, milan_ask.len, vcek_der.p, vcek_der.len, &err),
			 HUSK_ERR_INVAL);
}

/* A certificate whose signature is broken (one bit in its signature value). */
static void test_chain_bad_signature(void **state)
{
	uint8_t *copy = malloc(vcek_der.len);

	(void)state;
	assert_non_null(copy);
	memcpy(copy, vcek_der.p, vcek_der.len);
	copy[vcek_der.len - 10] ^= 0x01;
	assert_int_equal(snp_verify_chain(milan_ark.p, milan_ark.len, milan_ask.p, milan_ask.len, copy, vcek_der.len,
					  NULL),
			 HUSK_ERR_CRYPTO);
	/* One bit of the signed part (inside the hwID) also breaks it. */
	memcpy(copy, vcek_der.p, vcek_der.len);
	copy[720] ^= 0x01;
	assert_int_equal(snp_verify_chain(milan_ark.p, milan_ark.len, milan_ask.p, milan_ask.len, copy, vcek_der.len,
					  NULL),
			 HUSK_ERR_CRYPTO);
	free(copy);
}

/* ---- Binding ---- */

static void test_binding_upstream(void **state)
{
	struct snp_report r, good;
	struct snp_vek_info vcek, vlek;
	struct snp_error err;

	(void)state;
	assert_int_equal(snp_vek_parse(vcek_der.p, vcek_der.len, &vcek, NULL), HUSK_OK);
	assert_int_equal(snp_vek_parse(vlek_der.p, vlek_der.len, &vlek, NULL), HUSK_OK);
	parse_ok(&good, &vcek_report);
	assert_int_equal(snp_verify_vek_binding(&good, &vcek, &err), HUSK_OK);
	assert_int_equal(snp_verify_vek_binding(&good, &vlek, &err), HUSK_ERR_CRYPTO);
	assert_non_null(strstr(err.message, "signed by the VCEK"));

	r = good;
	r.reported_tcb ^= 1ull << 56; /* microcode */
	assert_int_equal(snp_verify_vek_binding(&r, &vcek, &err), HUSK_ERR_CRYPTO);
	assert_non_null(strstr(err.message, "REPORTED_TCB"));
	r = good;
	r.reported_tcb |= 1ull << 24; /* a reserved byte */
	assert_int_equal(snp_verify_vek_binding(&r, &vcek, &err), HUSK_ERR_CRYPTO);
	r = good;
	r.chip_id[63] ^= 1;
	assert_int_equal(snp_verify_vek_binding(&r, &vcek, &err), HUSK_ERR_CRYPTO);
	assert_non_null(strstr(err.message, "hwID"));
	r = good;
	memset(r.chip_id, 0, sizeof(r.chip_id));
	assert_int_equal(snp_verify_vek_binding(&r, &vcek, &err), HUSK_ERR_CRYPTO);
	assert_non_null(strstr(err.message, "masked"));
	r = good;
	r.key_info = SNP_SIGNING_KEY_NONE << SNP_KEY_INFO_SIGNING_KEY_SHIFT;
	assert_int_equal(snp_verify_vek_binding(&r, &vcek, &err), HUSK_ERR_UNSUPPORTED);

	parse_ok(&r, &vlek_report);
	assert_int_equal(snp_verify_vek_binding(&r, &vlek, &err), HUSK_OK); /* no chip ID for a VLEK */
	assert_int_equal(snp_verify_vek_binding(&r, &vcek, &err), HUSK_ERR_CRYPTO);
	assert_int_equal(snp_verify_vek_binding(NULL, &vcek, &err), HUSK_ERR_INVAL);
}

static void test_verify_report_upstream(void **state)
{
	struct snp_report r;
	struct snp_error err;

	(void)state;
	parse_ok(&r, &vcek_report);
	assert_int_equal(snp_verify_report(&r, milan_ark.p, milan_ark.len, milan_ask.p, milan_ask.len, vcek_der.p,
					   vcek_der.len, &err),
			 HUSK_OK);
	r.report_data[0] ^= 1;
	assert_int_equal(snp_verify_report(&r, milan_ark.p, milan_ark.len, milan_ask.p, milan_ask.len, vcek_der.p,
					   vcek_der.len, &err),
			 HUSK_ERR_CRYPTO);
	parse_ok(&r, &vlek_report);
	assert_int_equal(snp_verify_report(&r, milan_ark.p, milan_ark.len, milan_asvk.p, milan_asvk.len, vlek_der.p,
					   vlek_der.len, &err),
			 HUSK_OK);
	assert_int_equal(snp_verify_report(&r, genoa_ark.p, genoa_ark.len, genoa_ask.p, genoa_ask.len, vlek_der.p,
					   vlek_der.len, &err),
			 HUSK_ERR_CRYPTO);
}

/* ---- The model's chain ---- */

static void test_model_chain(void **state)
{
	struct snp_vek_info v;
	struct snp_error err;

	(void)state;
	assert_int_equal(snp_verify_chain(model.ark, model.ark_len, model.ask, model.ask_len, model.vcek,
					  model.vcek_len, &err),
			 HUSK_OK);
	assert_int_equal(snp_verify_chain(model.ark, model.ark_len, model.ask, model.ask_len, model.vcek_turin,
					  model.vcek_turin_len, &err),
			 HUSK_OK);
	assert_int_equal(snp_verify_chain(model.ark, model.ark_len, model.asvk, model.asvk_len, model.vlek,
					  model.vlek_len, &err),
			 HUSK_OK);
	/* The model's chain is not AMD's, and AMD's is not the model's. */
	assert_int_equal(snp_verify_chain(milan_ark.p, milan_ark.len, model.ask, model.ask_len, model.vcek,
					  model.vcek_len, &err),
			 HUSK_ERR_CRYPTO);
	assert_int_equal(snp_verify_chain(model.ark, model.ark_len, milan_ask.p, milan_ask.len, vcek_der.p,
					  vcek_der.len, &err),
			 HUSK_ERR_CRYPTO);

	assert_int_equal(snp_vek_parse(model.vcek, model.vcek_len, &v, &err), HUSK_OK);
	assert_int_equal(v.kind, SNP_VEK_VCEK);
	assert_int_equal(v.tcb.bootloader, SNP_MODEL_TCB_BL);
	assert_int_equal(v.tcb.tee, SNP_MODEL_TCB_TEE);
	assert_int_equal(v.tcb.snp, SNP_MODEL_TCB_SNP);
	assert_int_equal(v.tcb.microcode, SNP_MODEL_TCB_UCODE);
	assert_int_equal(v.hwid_len, 64);
	for (int i = 0; i < 64; i++)
		assert_int_equal(v.hwid[i], SNP_MODEL_CHIP_ID_BYTE(i));
	assert_int_equal(snp_vek_parse(model.vcek_turin, model.vcek_turin_len, &v, &err), HUSK_OK);
	assert_true(v.tcb.has_fmc);
	assert_int_equal(v.tcb.fmc, SNP_MODEL_TCB_FMC);
	assert_int_equal(v.hwid_len, 8);
	assert_string_equal(v.product_name, "Turin");
	assert_int_equal(snp_vek_parse(model.vlek, model.vlek_len, &v, &err), HUSK_OK);
	assert_int_equal(v.kind, SNP_VEK_VLEK);
	assert_int_equal(v.tcb.microcode, SNP_MODEL_VLEK_TCB_UCODE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_upstream_vcek),
		cmocka_unit_test(test_parse_upstream_vlek),
		cmocka_unit_test(test_signature_upstream),
		cmocka_unit_test(test_signature_corrupted),
		cmocka_unit_test(test_parse_rejects),
		cmocka_unit_test(test_tcb_layouts),
		cmocka_unit_test(test_vek_parse_upstream),
		cmocka_unit_test(test_vek_parse_hostile),
		cmocka_unit_test(test_chain_upstream),
		cmocka_unit_test(test_chain_bad_signature),
		cmocka_unit_test(test_binding_upstream),
		cmocka_unit_test(test_verify_report_upstream),
		cmocka_unit_test(test_model_chain),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
