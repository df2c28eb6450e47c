/* Unit tests for lib/snp's Trustee evidence writer.  The test holds the
 * inverse (JSON -> raw report, with jsmn): it rebuilds the raw report of
 * Trustee's own e2e evidence file, proves the rebuild exact by verifying the
 * report's signature and chain, then checks that the writer reproduces the
 * file byte for byte.  Reports of every shape (v2, v3 VLEK, v5 Turin, a
 * masked chip key) go through writer and inverse and must come back with
 * the same signed bytes; plus the buffer-size contract and refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>

#include <cmocka.h>

#define JSMN_STATIC
#define JSMN_STRICT
#include <jsmn.h>

#include "husk/err.h"
#include "snp/snp_evidence.h"
#include "snp/snp_guest_msg.h"
#include "snp/snp_report.h"
#include "snp/snp_verify.h"
#include "../common/snp_psp_model.h"

#define MAX_TOKENS 16384

/* ---- The inverse: evidence JSON -> raw report ---- */

struct evidence {
	struct snp_report report;
	uint8_t cert[SNP_VEK_MAX_DER_SIZE];
	size_t cert_len;     /* 0: cert_chain null */
	char cert_type[8];
	bool has_mit_members; /* launch_mit_vector/current_mit_vector present at all */
};

struct json {
	const char *js;
	jsmntok_t *t;
	int n;
};

static int tok_skip(const struct json *j, int i)
{
	int pending = 1;

	while (pending > 0) {
		assert_true(i < j->n);
		pending += j->t[i].size - 1;
		i++;
	}
	return i;
}

static int tok_is(const struct json *j, int i, const char *s)
{
	size_t n = strlen(s);

	return j->t[i].type == JSMN_STRING && (size_t)(j->t[i].end - j->t[i].start) == n &&
	       memcmp(j->js + j->t[i].start, s, n) == 0;
}

/* Value token of member name of object obj, or -1. */
static int member(const struct json *j, int obj, const char *name)
{
	int k = obj + 1;

	assert_int_equal(j->t[obj].type, JSMN_OBJECT);
	for (int m = 0; m < j->t[obj].size; m++) {
		if (tok_is(j, k, name))
			return k + 1;
		k = tok_skip(j, k);
	}
	return -1;
}

static bool is_null(const struct json *j, int i)
{
	return j->t[i].type == JSMN_PRIMITIVE && j->t[i].end - j->t[i].start == 4 &&
	       memcmp(j->js + j->t[i].start, "null", 4) == 0;
}

static uint64_t num(const struct json *j, int i, uint64_t max)
{
	uint64_t v = 0;

	assert_true(i >= 0);
	assert_int_equal(j->t[i].type, JSMN_PRIMITIVE);
	assert_true(j->t[i].end > j->t[i].start);
	for (int p = j->t[i].start; p < j->t[i].end; p++) {
		char c = j->js[p];

		assert_true(c >= '0' && c <= '9');
		assert_true(v <= (UINT64_MAX - (uint64_t)(c - '0')) / 10);
		v = v * 10 + (uint64_t)(c - '0');
	}
	assert_true(v <= max);
	return v;
}

static uint64_t get_num(const struct json *j, int obj, const char *name, uint64_t max)
{
	int i = member(j, obj, name);

	if (i < 0)
		fail_msg("member %s missing", name);
	return num(j, i, max);
}

static void get_bytes(const struct json *j, int obj, const char *name, uint8_t *out, size_t n)
{
	int i = member(j, obj, name);

	if (i < 0)
		fail_msg("member %s missing", name);
	assert_int_equal(j->t[i].type, JSMN_ARRAY);
	assert_int_equal(j->t[i].size, n);
	for (size_t k = 0; k < n; k++)
		out[k] = (uint8_t)num(j, i + 1 + (int)k, 255);
}

static uint64_t get_tcb(const struct json *j, int obj, const char *name)
{
	int i = member(j, obj, name), fmc;
	struct snp_tcb t = { 0 };

	assert_true(i >= 0);
	fmc = member(j, i, "fmc");
	assert_true(fmc >= 0);
	if (!is_null(j, fmc)) {
		t.has_fmc = true;
		t.fmc = (uint8_t)num(j, fmc, 255);
	}
	t.bootloader = (uint8_t)get_num(j, i, "bootloader", 255);
	t.tee = (uint8_t)get_num(j, i, "tee", 255);
	t.snp = (uint8_t)get_num(j, i, "snp", 255);
	t.microcode = (uint8_t)get_num(j, i, "microcode", 255);
	return snp_tcb_encode(&t, t.has_fmc ? SNP_TCB_LAYOUT_TURIN : SNP_TCB_LAYOUT_MILAN_GENOA);
}

/* An optional number: absent or null -> 0 and false. */
static bool get_opt(const struct json *j, int obj, const char *name, uint64_t max, uint64_t *v)
{
	int i = member(j, obj, name);

	*v = 0;
	if (i < 0 || is_null(j, i))
		return false;
	*v = num(j, i, max);
	return true;
}

static void get_version(const struct json *j, int obj, const char *name, uint8_t *major, uint8_t *minor,
			uint8_t *build)
{
	int i = member(j, obj, name);

	assert_true(i >= 0);
	*major = (uint8_t)get_num(j, i, "major", 255);
	*minor = (uint8_t)get_num(j, i, "minor", 255);
	*build = (uint8_t)get_num(j, i, "build", 255);
}

static void evidence_from_json(const char *js, size_t len, struct evidence *ev)
{
	jsmntok_t *tokens = calloc(MAX_TOKENS, sizeof(*tokens));
	struct json j = { js, tokens, 0 };
	struct snp_report *r = &ev->report;
	jsmn_parser p;
	int ar, cc, sig, v;
	uint64_t x;

	assert_non_null(tokens);
	memset(ev, 0, sizeof(*ev));
	jsmn_init(&p);
	j.n = jsmn_parse(&p, js, len, tokens, MAX_TOKENS);
	assert_true(j.n > 0);
	assert_int_equal(tokens[0].type, JSMN_OBJECT);
	assert_int_equal(tokens[0].size, 2);
	assert_int_equal(tok_skip(&j, 0), j.n); /* one value, nothing after it */

	ar = member(&j, 0, "attestation_report");
	assert_true(ar >= 0);
	r->version = (uint32_t)get_num(&j, ar, "version", UINT32_MAX);
	r->guest_svn = (uint32_t)get_num(&j, ar, "guest_svn", UINT32_MAX);
	r->policy = get_num(&j, ar, "policy", UINT64_MAX);
	get_bytes(&j, ar, "family_id", r->family_id, sizeof(r->family_id));
	get_bytes(&j, ar, "image_id", r->image_id, sizeof(r->image_id));
	r->vmpl = (uint32_t)get_num(&j, ar, "vmpl", UINT32_MAX);
	r->signature_algo = (uint32_t)get_num(&j, ar, "sig_algo", UINT32_MAX);
	r->current_tcb = get_tcb(&j, ar, "current_tcb");
	r->platform_info = get_num(&j, ar, "plat_info", UINT64_MAX);
	r->key_info = (uint32_t)get_num(&j, ar, "key_info", UINT32_MAX);
	get_bytes(&j, ar, "report_data", r->report_data, sizeof(r->report_data));
	get_bytes(&j, ar, "measurement", r->measurement, sizeof(r->measurement));
	get_bytes(&j, ar, "host_data", r->host_data, sizeof(r->host_data));
	get_bytes(&j, ar, "id_key_digest", r->id_key_digest, sizeof(r->id_key_digest));
	get_bytes(&j, ar, "author_key_digest", r->author_key_digest, sizeof(r->author_key_digest));
	get_bytes(&j, ar, "report_id", r->report_id, sizeof(r->report_id));
	get_bytes(&j, ar, "report_id_ma", r->report_id_ma, sizeof(r->report_id_ma));
	r->reported_tcb = get_tcb(&j, ar, "reported_tcb");
	/* The CPUID members are null exactly before v3. */
	assert_int_equal(get_opt(&j, ar, "cpuid_fam_id", 255, &x), r->version >= 3);
	r->cpuid_fam_id = (uint8_t)x;
	assert_int_equal(get_opt(&j, ar, "cpuid_mod_id", 255, &x), r->version >= 3);
	r->cpuid_mod_id = (uint8_t)x;
	assert_int_equal(get_opt(&j, ar, "cpuid_step", 255, &x), r->version >= 3);
	r->cpuid_step = (uint8_t)x;
	get_bytes(&j, ar, "chip_id", r->chip_id, sizeof(r->chip_id));
	r->committed_tcb = get_tcb(&j, ar, "committed_tcb");
	get_version(&j, ar, "current", &r->current_major, &r->current_minor, &r->current_build);
	get_version(&j, ar, "committed", &r->committed_major, &r->committed_minor, &r->committed_build);
	r->launch_tcb = get_tcb(&j, ar, "launch_tcb");
	ev->has_mit_members = member(&j, ar, "launch_mit_vector") >= 0;
	assert_int_equal(get_opt(&j, ar, "launch_mit_vector", UINT64_MAX, &x), r->version >= 5);
	r->launch_mit_vector = x;
	assert_int_equal(get_opt(&j, ar, "current_mit_vector", UINT64_MAX, &x), r->version >= 5);
	r->current_mit_vector = x;
	sig = member(&j, ar, "signature");
	assert_true(sig >= 0);
	get_bytes(&j, sig, "r", r->signature.r, sizeof(r->signature.r));
	get_bytes(&j, sig, "s", r->signature.s, sizeof(r->signature.s));

	cc = member(&j, 0, "cert_chain");
	assert_true(cc >= 0);
	if (!is_null(&j, cc)) {
		assert_int_equal(tokens[cc].type, JSMN_ARRAY);
		assert_int_equal(tokens[cc].size, 1);
		v = member(&j, cc + 1, "cert_type");
		assert_true(v >= 0);
		assert_int_equal(tokens[v].type, JSMN_STRING);
		assert_true(tokens[v].end - tokens[v].start < (int)sizeof(ev->cert_type));
		memcpy(ev->cert_type, js + tokens[v].start, (size_t)(tokens[v].end - tokens[v].start));
		v = member(&j, cc + 1, "data");
		assert_true(v >= 0);
		assert_int_equal(tokens[v].type, JSMN_ARRAY);
		assert_true(tokens[v].size > 0 && tokens[v].size <= (int)sizeof(ev->cert));
		ev->cert_len = (size_t)tokens[v].size;
		for (size_t k = 0; k < ev->cert_len; k++)
			ev->cert[k] = (uint8_t)num(&j, v + 1 + (int)k, 255);
	}
	free(tokens);
}

/* ---- Fixtures ---- */

static struct snp_psp_model m;
static char *e2e;
static size_t e2e_len;

static int setup(void **state)
{
	(void)state;
	e2e = (char *)snp_model_read_file("snp-evidence-e2e.json", &e2e_len);
	if (!e2e)
		return -1;
	return snp_psp_model_init(&m);
}

static int teardown(void **state)
{
	(void)state;
	free(e2e);
	snp_psp_model_free(&m);
	return 0;
}

static char *write_evidence(const struct snp_report *r, const uint8_t *cert, size_t cert_len, enum snp_vek_kind kind,
			    size_t *len)
{
	size_t cap = SNP_EVIDENCE_JSON_MAX(cert_len);
	char *buf = malloc(cap);
	struct snp_error err;

	assert_non_null(buf);
	if (snp_evidence_write(r, cert, cert_len, kind, buf, cap, len, &err) != HUSK_OK)
		fail_msg("snp_evidence_write: %s", err.message);
	assert_int_equal(strlen(buf), *len);
	return buf;
}

/* ---- Trustee's e2e evidence ---- */

/* With HUSK_SNP_WRITE_SEEDS=<dir>: the rebuilt e2e report and its VCEK as a
 * seed of fuzz_snp_report (input: report || certificate). */
static void write_report_seed(const char *name, const struct snp_report *r, const uint8_t *cert, size_t cert_len)
{
	const char *dir = getenv("HUSK_SNP_WRITE_SEEDS");
	char path[512];
	FILE *f;

	if (!dir || !*dir)
		return;
	snprintf(path, sizeof(path), "%s/fuzz_snp_report", dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/fuzz_snp_report/%s", dir, name);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(r, 1, sizeof(*r), f), sizeof(*r));
	assert_int_equal(fwrite(cert, 1, cert_len, f), cert_len);
	fclose(f);
}

static const char mit_nulls[] = "\"launch_mit_vector\":null,\"current_mit_vector\":null,";

static void test_e2e_inverse_verifies(void **state)
{
	struct evidence *ev = malloc(sizeof(*ev));
	struct snp_vek_info vek;
	struct snp_error err;
	size_t ark_len = 0, ask_len = 0;
	uint8_t *ark = snp_model_pem_cert("amd-genoa-ask-ark-asvk.pem", 1, &ark_len);
	uint8_t *ask = snp_model_pem_cert("amd-genoa-ask-ark-asvk.pem", 0, &ask_len);

	(void)state;
	assert_non_null(ev);
	assert_non_null(ark);
	assert_non_null(ask);
	evidence_from_json(e2e, e2e_len, ev);
	assert_false(ev->has_mit_members); /* written before sev 7.x added them */
	assert_string_equal(ev->cert_type, "VCEK");
	assert_int_equal(snp_report_validate(&ev->report, &err), HUSK_OK);
	assert_int_equal(ev->report.version, 3);
	assert_int_equal(snp_report_vmpl(&ev->report), 0);
	assert_int_equal(snp_report_product(&ev->report), SNP_PRODUCT_GENOA);

	/* The signature verifies over the rebuilt bytes: the rebuild is exact. */
	assert_int_equal(snp_verify_report_signature(&ev->report, ev->cert, ev->cert_len, &err), HUSK_OK);
	assert_int_equal(snp_vek_parse(ev->cert, ev->cert_len, &vek, &err), HUSK_OK);
	assert_string_equal(vek.product_name, "Genoa");
	assert_int_equal(snp_verify_report(&ev->report, ark, ark_len, ask, ask_len, ev->cert, ev->cert_len, &err),
			 HUSK_OK);
	write_report_seed("trustee_e2e_v3_genoa", &ev->report, ev->cert, ev->cert_len);
	free(ark);
	free(ask);
	free(ev);
}

static void test_e2e_byte_exact(void **state)
{
	struct evidence *ev = malloc(sizeof(*ev));
	char *out, *at;
	size_t len;

	(void)state;
	assert_non_null(ev);
	evidence_from_json(e2e, e2e_len, ev);
	out = write_evidence(&ev->report, ev->cert, ev->cert_len, SNP_VEK_VCEK, &len);
	/* sev 7.1.0 writes the two v5 members as null; the e2e file predates
	 * them (Trustee reads their absence as null).  Otherwise: identical. */
	at = strstr(out, mit_nulls);
	assert_non_null(at);
	assert_null(strstr(at + 1, mit_nulls));
	memmove(at, at + strlen(mit_nulls), strlen(at + strlen(mit_nulls)) + 1);
	len -= strlen(mit_nulls);
	assert_int_equal(len, e2e_len);
	assert_memory_equal(out, e2e, e2e_len);
	free(out);
	free(ev);
}

/* ---- Round trips of every shape ---- */

static void roundtrip(const struct snp_report *r, const uint8_t *cert, size_t cert_len, enum snp_vek_kind kind,
		      bool expect_signature_ok)
{
	struct evidence *ev = malloc(sizeof(*ev));
	char *out;
	size_t len;

	assert_non_null(ev);
	out = write_evidence(r, cert, cert_len, kind, &len);
	evidence_from_json(out, len, ev);
	assert_true(ev->has_mit_members);
	assert_memory_equal(&ev->report, r, SNP_REPORT_SIGNED_SIZE);
	assert_memory_equal(ev->report.signature.r, r->signature.r, sizeof(r->signature.r));
	assert_memory_equal(ev->report.signature.s, r->signature.s, sizeof(r->signature.s));
	if (cert) {
		assert_int_equal(ev->cert_len, cert_len);
		assert_memory_equal(ev->cert, cert, cert_len);
		assert_string_equal(ev->cert_type, kind == SNP_VEK_VCEK ? "VCEK" : "VLEK");
		assert_int_equal(snp_verify_report_signature(&ev->report, ev->cert, ev->cert_len, NULL),
				 expect_signature_ok ? HUSK_OK : HUSK_ERR_UNSUPPORTED);
	} else {
		assert_int_equal(ev->cert_len, 0);
		assert_non_null(strstr(out, "\"cert_chain\":null}"));
	}
	free(out);
	free(ev);
}

static void model_report(struct snp_report *r)
{
	static uint8_t req[SNP_GUEST_MSG_PAGE_SIZE], rsp[SNP_GUEST_MSG_PAGE_SIZE];
	uint8_t rd[SNP_REPORT_DATA_SIZE], raw[SNP_REPORT_SIZE];
	struct snp_guest_msg_ctx ctx;

	for (unsigned i = 0; i < sizeof(rd); i++)
		rd[i] = (uint8_t)(0xf0 ^ i);
	assert_int_equal(snp_guest_msg_init(&ctx, m.vmpck[0], 0, m.seqno[0], NULL), HUSK_OK);
	assert_int_equal(snp_guest_msg_report_req(&ctx, rd, 0, 0, req, sizeof(req), NULL), HUSK_OK);
	assert_int_equal(snp_psp_model_guest_request(&m, req, sizeof(req), rsp, sizeof(rsp)), 0);
	assert_int_equal(snp_guest_msg_report_rsp(&ctx, rsp, sizeof(rsp), raw, NULL, NULL), HUSK_OK);
	assert_int_equal(snp_report_parse(r, raw, sizeof(raw), NULL), HUSK_OK);
}

static void test_roundtrip_shapes(void **state)
{
	size_t len = 0, cert_len = 0;
	uint8_t *raw = snp_model_read_file("snp-test-report-vcek.bin", &len);
	uint8_t *cert = snp_model_read_file("snp-test-vcek.der", &cert_len);
	struct snp_report r;

	(void)state;
	assert_non_null(raw);
	assert_non_null(cert);
	/* v2 (CPUID null), upstream VCEK. */
	assert_int_equal(snp_report_parse(&r, raw, len, NULL), HUSK_OK);
	roundtrip(&r, cert, cert_len, SNP_VEK_VCEK, true);
	roundtrip(&r, NULL, 0, SNP_VEK_VCEK, true);
	free(raw);
	free(cert);
	/* v3, VMPL 1, VLEK. */
	raw = snp_model_read_file("snp-test-report-vlek.bin", &len);
	cert = snp_model_read_file("snp-test-vlek.der", &cert_len);
	assert_non_null(raw);
	assert_non_null(cert);
	assert_int_equal(snp_report_parse(&r, raw, len, NULL), HUSK_OK);
	roundtrip(&r, cert, cert_len, SNP_VEK_VLEK, true);
	free(raw);
	free(cert);
	/* The model: v3 Genoa, then v5 Turin (fmc, mitigation vectors). */
	model_report(&r);
	roundtrip(&r, m.vcek, m.vcek_len, SNP_VEK_VCEK, true);
	snp_psp_model_set_turin(&m);
	m.tmpl.version = 5;
	m.tmpl.launch_mit_vector = 0x8000000000000001ull;
	m.tmpl.current_mit_vector = UINT64_MAX;
	model_report(&r);
	roundtrip(&r, m.vcek_turin, m.vcek_turin_len, SNP_VEK_VCEK, true);
	/* Unsigned (masked chip key). */
	m.mask_chip_key = true;
	model_report(&r);
	roundtrip(&r, m.vcek_turin, m.vcek_turin_len, SNP_VEK_VCEK, false);
}

/* ---- Output buffer contract ---- */

static void test_sizes(void **state)
{
	struct evidence *ev = malloc(sizeof(*ev));
	struct snp_error err;
	size_t need = 0, len = 0;
	char *full;

	(void)state;
	assert_non_null(ev);
	evidence_from_json(e2e, e2e_len, ev);
	assert_int_equal(snp_evidence_write(&ev->report, ev->cert, ev->cert_len, SNP_VEK_VCEK, NULL, 0, &need, &err),
			 HUSK_ERR_RANGE);
	assert_int_equal(need, e2e_len + strlen(mit_nulls));
	assert_true(need + 1 <= SNP_EVIDENCE_JSON_MAX(ev->cert_len));
	full = write_evidence(&ev->report, ev->cert, ev->cert_len, SNP_VEK_VCEK, &len);
	assert_int_equal(len, need);

	/* Every buffer size: exact-size heap blocks, so ASan sees any overrun. */
	for (size_t size = 1; size <= need + 1; size++) {
		char *buf = malloc(size);
		int rc;

		assert_non_null(buf);
		rc = snp_evidence_write(&ev->report, ev->cert, ev->cert_len, SNP_VEK_VCEK, buf, size, &len, NULL);
		assert_int_equal(len, need);
		if (size <= need) {
			assert_int_equal(rc, HUSK_ERR_RANGE);
			assert_int_equal(buf[0], '\0');
		} else {
			assert_int_equal(rc, HUSK_OK);
			assert_string_equal(buf, full);
		}
		free(buf);
	}
	free(full);
	free(ev);
}

static void test_refusals(void **state)
{
	struct snp_report r;
	struct snp_error err;
	char buf[64];
	size_t len;
	uint8_t cert[4] = { 0x30, 0x02, 0x05, 0x00 };
	uint32_t version;

	(void)state;
	model_report(&r);
	assert_int_equal(snp_evidence_write(NULL, NULL, 0, SNP_VEK_VCEK, buf, sizeof(buf), &len, &err),
			 HUSK_ERR_INVAL);
	assert_int_equal(snp_evidence_write(&r, NULL, 0, SNP_VEK_VCEK, buf, sizeof(buf), NULL, &err), HUSK_ERR_INVAL);
	assert_int_equal(snp_evidence_write(&r, NULL, 5, SNP_VEK_VCEK, buf, sizeof(buf), &len, &err), HUSK_ERR_INVAL);
	assert_int_equal(snp_evidence_write(&r, cert, 0, SNP_VEK_VCEK, buf, sizeof(buf), &len, &err), HUSK_ERR_RANGE);
	assert_int_equal(snp_evidence_write(&r, cert, SNP_VEK_MAX_DER_SIZE + 1, SNP_VEK_VCEK, buf, sizeof(buf), &len,
					    &err),
			 HUSK_ERR_RANGE);
	assert_int_equal(snp_evidence_write(&r, cert, sizeof(cert), (enum snp_vek_kind)2, buf, sizeof(buf), &len, &err),
			 HUSK_ERR_INVAL);
	/* A report the parser would refuse. */
	version = r.version;
	r.version = 6;
	assert_int_equal(snp_evidence_write(&r, NULL, 0, SNP_VEK_VCEK, buf, sizeof(buf), &len, &err),
			 HUSK_ERR_UNSUPPORTED);
	r.version = version;
	r.reserved_1eb = 1;
	assert_int_equal(snp_evidence_write(&r, NULL, 0, SNP_VEK_VCEK, buf, sizeof(buf), &len, &err), HUSK_ERR_FORMAT);
	r.reserved_1eb = 0;
	/* A TCB byte JSON cannot carry. */
	r.committed_tcb |= 1ull << 40; /* reserved in both layouts */
	assert_int_equal(snp_evidence_write(&r, NULL, 0, SNP_VEK_VCEK, buf, sizeof(buf), &len, &err),
			 HUSK_ERR_UNSUPPORTED);
	assert_non_null(strstr(err.message, "COMMITTED_TCB"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_e2e_inverse_verifies),
		cmocka_unit_test(test_e2e_byte_exact),
		cmocka_unit_test(test_roundtrip_shapes),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_refusals),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
