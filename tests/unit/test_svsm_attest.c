/* Unit tests for lib/svsm's attestation protocol: every row of the
 * attestation section of docs/svsm.md — the manifest layouts, REPORT_DATA =
 * SHA-512(nonce || manifest) recomputed here, the sizes in RCX/RDX/R8 on
 * success and on buffers too small, reserved fields, alignment, addresses
 * outside guest RAM, certificates, and the platform's failures — against the
 * model platform. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "husk/err.h"
#include "mbedtls/sha512.h"
#include "svsm/svsm.h"
#include "svsm_fixture.h"

#define SERVICES SVSM_CALL(SVSM_PROTOCOL_ATTEST, SVSM_ATTEST_SERVICES)
#define SINGLE   SVSM_CALL(SVSM_PROTOCOL_ATTEST, SVSM_ATTEST_SINGLE_SERVICE)
#define REQ      0x1008ull  /* in the boot CA, after call_pending, as Linux does */
#define REPORT   0x10000ull
#define MANIFEST 0x11000ull
#define NONCE    0x12000ull
#define CERTS    0x20000ull
/* The model's services manifest: header, one entry, the EK public area. */
#define MAN_LEN  (SVSM_MANIFEST_HDR_SIZE + SVSM_MANIFEST_ENTRY_SIZE + MODEL_EK_LEN)

static const uint8_t guid_services[16] = SVSM_GUID_SERVICES_MANIFEST;
static const uint8_t guid_vtpm[16] = SVSM_GUID_VTPM_SERVICE;

static int setup_no_vtpm(void **state)
{
	m = svsm_model_new(false);
	return m ? 0 : -1;
}

struct req {
	uint64_t report_gpa;
	uint32_t report_size;
	uint64_t nonce_gpa;
	uint16_t nonce_size;
	uint64_t manifest_gpa;
	uint32_t manifest_size;
	uint64_t certs_gpa;
	uint32_t certs_size;
	const uint8_t *guid; /* NULL: ATTEST_SERVICES layout */
	uint32_t manifest_ver;
};

static struct req good_req(void)
{
	return (struct req){ REPORT, 4096, NONCE, 64, MANIFEST, 4096, 0, 0, NULL, 0 };
}

static void put_req(const struct req *q, uint8_t *b)
{
	memset(b, 0, SVSM_ATTEST_SINGLE_REQ_SIZE);
	memcpy(b + SVSM_ATTEST_REPORT_GPA, &q->report_gpa, 8);
	memcpy(b + SVSM_ATTEST_REPORT_SIZE_OFF, &q->report_size, 4);
	memcpy(b + SVSM_ATTEST_NONCE_GPA, &q->nonce_gpa, 8);
	memcpy(b + SVSM_ATTEST_NONCE_SIZE_OFF, &q->nonce_size, 2);
	memcpy(b + SVSM_ATTEST_MANIFEST_GPA, &q->manifest_gpa, 8);
	memcpy(b + SVSM_ATTEST_MANIFEST_SIZE_OFF, &q->manifest_size, 4);
	memcpy(b + SVSM_ATTEST_CERTS_GPA, &q->certs_gpa, 8);
	memcpy(b + SVSM_ATTEST_CERTS_SIZE_OFF, &q->certs_size, 4);
	if (q->guid) {
		memcpy(b + SVSM_ATTEST_GUID, q->guid, 16);
		memcpy(b + SVSM_ATTEST_MANIFEST_VER, &q->manifest_ver, 4);
	}
}

/* Writes the request at REQ and calls; *out gets the registers. */
static uint32_t attest(const struct req *q, struct svsm_regs *out)
{
	uint8_t b[SVSM_ATTEST_SINGLE_REQ_SIZE];
	struct svsm_regs r;

	put_req(q, b);
	svsm_model_poke(m, REQ, b, q->guid ? SVSM_ATTEST_SINGLE_REQ_SIZE : SVSM_ATTEST_REQ_SIZE);
	assert_int_equal(svsm_model_call(m, 0, q->guid ? SINGLE : SERVICES, REQ, ~0ull, ~0ull, 7, &r),
			 SVSM_RESUME);
	if (out)
		*out = r;
	return (uint32_t)r.rax;
}

static void put_nonce(uint64_t gpa, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		uint8_t v = (uint8_t)(i * 11 + 7);

		svsm_model_poke(m, gpa + i, &v, 1);
	}
}

static void expected_report_data(uint64_t nonce_gpa, size_t nonce_len, const uint8_t *man,
				 size_t man_len, uint8_t out[64])
{
	static uint8_t nonce[4096];
	mbedtls_sha512_context h;

	svsm_model_peek(m, nonce_gpa, nonce, nonce_len);
	mbedtls_sha512_init(&h);
	assert_int_equal(mbedtls_sha512_starts(&h, 0), 0);
	assert_int_equal(mbedtls_sha512_update(&h, nonce, nonce_len), 0);
	assert_int_equal(mbedtls_sha512_update(&h, man, man_len), 0);
	assert_int_equal(mbedtls_sha512_finish(&h, out), 0);
	mbedtls_sha512_free(&h);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void check_ek(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		assert_int_equal(p[i], (uint8_t)(i * 5 + 3));
}

/* The report the model made: REPORT_DATA at 0x50 as expected. */
static void check_report(const uint8_t report_data[64])
{
	uint8_t rep[SVSM_ATTEST_REPORT_BYTES];

	svsm_model_peek(m, REPORT, rep, sizeof(rep));
	assert_int_equal(rep[0], 2);
	assert_int_equal(rep[0x30], 0);
	assert_memory_equal(rep + 0x50, report_data, 64);
	assert_memory_equal(m->last_report_data, report_data, 64);
	assert_int_equal(rep[0x4a0 - 1], MODEL_REPORT_FILL);
}

/* ---- the happy paths ---- */

static void test_query_protocol(void **state)
{
	struct svsm_regs r;

	svsm_model_call(m, 0, SVSM_CALL(0, SVSM_CORE_QUERY_PROTOCOL), 1ull << 32 | 1, 0, 0, 0, &r);
	assert_int_equal(r.rax, SVSM_SUCCESS);
	assert_int_equal(r.rcx, 1ull << 32 | 1);
	svsm_model_call(m, 0, SVSM_CALL(0, SVSM_CORE_QUERY_PROTOCOL), 1ull << 32 | 2, 0, 0, 0, &r);
	assert_int_equal(r.rcx, 0);
}

static void test_services(void **state)
{
	struct req q = good_req();
	struct svsm_regs r;
	uint8_t man[MAN_LEN], rd[64];

	put_nonce(NONCE, 64);
	assert_int_equal(attest(&q, &r), SVSM_SUCCESS);
	assert_int_equal(r.rcx, MAN_LEN);
	assert_int_equal(r.rdx, 0);
	assert_int_equal(r.r8, SVSM_ATTEST_REPORT_BYTES);

	svsm_model_peek(m, MANIFEST, man, sizeof(man));
	assert_memory_equal(man, guid_services, 16);
	assert_int_equal(le32(man + 16), MAN_LEN);
	assert_int_equal(le32(man + 20), 1);
	assert_memory_equal(man + 24, guid_vtpm, 16);
	assert_int_equal(le32(man + 40), 48); /* data offset: header + one entry */
	assert_int_equal(le32(man + 44), MODEL_EK_LEN);
	check_ek(man + 48, MODEL_EK_LEN);

	expected_report_data(NONCE, 64, man, MAN_LEN, rd);
	check_report(rd);
	assert_int_equal(m->n_attest, 1);
}

static void test_single_vtpm(void **state)
{
	struct req q = good_req();
	struct svsm_regs r;
	uint8_t man[MODEL_EK_LEN], rd[64];

	q.guid = guid_vtpm;
	put_nonce(NONCE, 64);
	assert_int_equal(attest(&q, &r), SVSM_SUCCESS);
	assert_int_equal(r.rcx, MODEL_EK_LEN);
	assert_int_equal(r.r8, SVSM_ATTEST_REPORT_BYTES);
	svsm_model_peek(m, MANIFEST, man, sizeof(man));
	check_ek(man, sizeof(man));
	expected_report_data(NONCE, 64, man, sizeof(man), rd);
	check_report(rd);
}

static void test_nonce_sizes(void **state)
{
	static const uint16_t sizes[] = { 0, 1, 63, 255, 256, 257, 4095, 4096 };
	uint8_t man[MAN_LEN], rd[64];

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct req q = good_req();

		/* Across a page boundary. */
		q.nonce_gpa = NONCE + 4096 - 17;
		q.nonce_size = sizes[i];
		put_nonce(q.nonce_gpa, sizes[i]);
		assert_int_equal(attest(&q, NULL), SVSM_SUCCESS);
		svsm_model_peek(m, MANIFEST, man, sizeof(man));
		expected_report_data(q.nonce_gpa, sizes[i], man, MAN_LEN, rd);
		check_report(rd);
	}
	struct req q = good_req();

	q.nonce_size = SVSM_ATTEST_NONCE_MAX + 1;
	assert_int_equal(attest(&q, NULL), SVSM_ERR_INVALID_PARAMETER);
	q.nonce_size = 0xffff;
	assert_int_equal(attest(&q, NULL), SVSM_ERR_INVALID_PARAMETER);
}

static void test_no_vtpm(void **state)
{
	struct req q = good_req();
	struct svsm_regs r;
	uint8_t man[SVSM_MANIFEST_HDR_SIZE], rd[64];

	put_nonce(NONCE, 64);
	assert_int_equal(attest(&q, &r), SVSM_SUCCESS);
	assert_int_equal(r.rcx, SVSM_MANIFEST_HDR_SIZE);
	svsm_model_peek(m, MANIFEST, man, sizeof(man));
	assert_memory_equal(man, guid_services, 16);
	assert_int_equal(le32(man + 16), SVSM_MANIFEST_HDR_SIZE);
	assert_int_equal(le32(man + 20), 0);
	expected_report_data(NONCE, 64, man, sizeof(man), rd);
	check_report(rd);

	q.guid = guid_vtpm;
	assert_int_equal(attest(&q, NULL), SVSM_ERR_INVALID_PARAMETER);
}

/* ---- sizes ---- */

static void test_buffers_too_small(void **state)
{
	struct req q = good_req();
	struct svsm_regs r;
	uint8_t before[64], after[64];

	svsm_model_peek(m, MANIFEST, before, sizeof(before));
	q.manifest_size = MAN_LEN - 1;
	assert_int_equal(attest(&q, &r), SVSM_ERR_INVALID_PARAMETER);
	assert_int_equal(r.rcx, MAN_LEN);
	assert_int_equal(r.rdx, 0);
	assert_int_equal(r.r8, SVSM_ATTEST_REPORT_BYTES);
	assert_int_equal(m->n_attest, 0); /* no report made for nothing */

	q = good_req();
	q.report_size = SVSM_ATTEST_REPORT_BYTES - 1;
	assert_int_equal(attest(&q, &r), SVSM_ERR_INVALID_PARAMETER);
	assert_int_equal(r.rcx, MAN_LEN);
	assert_int_equal(r.r8, SVSM_ATTEST_REPORT_BYTES);

	/* Exactly large enough is enough. */
	q = good_req();
	q.report_size = SVSM_ATTEST_REPORT_BYTES;
	q.manifest_size = MAN_LEN;
	assert_int_equal(attest(&q, &r), SVSM_SUCCESS);
	svsm_model_peek(m, MANIFEST, after, sizeof(after));
	assert_memory_not_equal(before, after, sizeof(after));
}

static void test_certificates(void **state)
{
	struct req q = good_req();
	struct svsm_regs r;
	uint8_t c[5000];

	m->certs_len = 5000;
	/* None asked for: none given. */
	assert_int_equal(attest(&q, &r), SVSM_SUCCESS);
	assert_int_equal(r.rdx, 0);

	q.certs_gpa = CERTS;
	q.certs_size = 4096;
	assert_int_equal(attest(&q, &r), SVSM_ERR_INVALID_PARAMETER);
	assert_int_equal(r.rdx, 5000);
	assert_int_equal(r.rcx, MAN_LEN);
	assert_int_equal(r.r8, SVSM_ATTEST_REPORT_BYTES);

	q.certs_size = 8192;
	assert_int_equal(attest(&q, &r), SVSM_SUCCESS);
	assert_int_equal(r.rdx, 5000);
	svsm_model_peek(m, CERTS, c, sizeof(c));
	for (size_t i = 0; i < sizeof(c); i++)
		assert_int_equal(c[i], (uint8_t)(i * 3 + 1));

	/* The host has none. */
	m->certs_len = 0;
	assert_int_equal(attest(&q, &r), SVSM_SUCCESS);
	assert_int_equal(r.rdx, 0);
}

/* ---- malformed requests ---- */

static void test_reserved(void **state)
{
	static const uint8_t reserved[] = { 0x0c, 0x0d, 0x0e, 0x0f, 0x1a, 0x1b, 0x1c, 0x1d,
					    0x1e, 0x1f, 0x2c, 0x2d, 0x2e, 0x2f, 0x3c, 0x3d,
					    0x3e, 0x3f, 0x54, 0x55, 0x56, 0x57 };
	struct req q = good_req();
	uint8_t b[SVSM_ATTEST_SINGLE_REQ_SIZE];
	struct svsm_regs r;

	q.guid = guid_vtpm;
	for (size_t i = 0; i < sizeof(reserved); i++) {
		put_req(&q, b);
		b[reserved[i]] = 0x80;
		svsm_model_poke(m, REQ, b, sizeof(b));
		/* Offsets 0x54.. exist only in the single-service request. */
		uint64_t rax = reserved[i] >= 0x40 ? SINGLE : (i & 1) ? SINGLE : SERVICES;

		svsm_model_call(m, 0, rax, REQ, 1, 2, 3, &r);
		assert_int_equal(r.rax, SVSM_ERR_INVALID_PARAMETER);
		assert_int_equal(r.rcx, REQ); /* sizes not known yet: untouched */
	}
	assert_int_equal(m->n_attest, 0);
}

static void test_single_unknown(void **state)
{
	static const uint8_t other[16] = { 1, 2, 3 };
	struct req q = good_req();

	q.guid = other;
	assert_int_equal(attest(&q, NULL), SVSM_ERR_INVALID_PARAMETER);
	q.guid = guid_services; /* the manifest's GUID is not a service */
	assert_int_equal(attest(&q, NULL), SVSM_ERR_INVALID_PARAMETER);
	q.guid = guid_vtpm;
	q.manifest_ver = 1;
	assert_int_equal(attest(&q, NULL), SVSM_ERR_INVALID_PARAMETER);
	assert_int_equal(m->n_attest, 0);
}

static void test_alignment(void **state)
{
	struct req q = good_req();

	q.report_gpa = REPORT + 8;
	assert_int_equal(attest(&q, NULL), SVSM_ERR_INVALID_PARAMETER);
	q = good_req();
	q.manifest_gpa = MANIFEST + 0x800;
	assert_int_equal(attest(&q, NULL), SVSM_ERR_INVALID_PARAMETER);
	q = good_req();
	q.certs_gpa = CERTS + 1;
	q.certs_size = 4096;
	assert_int_equal(attest(&q, NULL), SVSM_ERR_INVALID_PARAMETER);
	/* An unaligned certificate address without certificates is ignored. */
	q.certs_size = 0;
	assert_int_equal(attest(&q, NULL), SVSM_SUCCESS);
	/* The nonce may be anywhere. */
	q = good_req();
	q.nonce_gpa = NONCE + 3;
	assert_int_equal(attest(&q, NULL), SVSM_SUCCESS);
}

static void test_addresses(void **state)
{
	static const uint64_t bad[] = { MODEL_HUSK_BASE, MODEL_HUSK_BASE + MODEL_HUSK_SIZE - 4096,
					MODEL_HOLE_BASE, MODEL_MEM_SIZE, 1ull << 52 };
	struct svsm_regs r;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct req q = good_req();

		/* The request itself. */
		svsm_model_call(m, 0, SERVICES, bad[i], 0, 0, 0, &r);
		assert_int_equal(r.rax, SVSM_ERR_INVALID_ADDRESS);
		q.report_gpa = bad[i];
		assert_int_equal(attest(&q, NULL), SVSM_ERR_INVALID_ADDRESS);
		q = good_req();
		q.manifest_gpa = bad[i];
		assert_int_equal(attest(&q, NULL), SVSM_ERR_INVALID_ADDRESS);
		q = good_req();
		q.nonce_gpa = bad[i];
		assert_int_equal(attest(&q, NULL), SVSM_ERR_INVALID_ADDRESS);
		q = good_req();
		q.certs_gpa = bad[i];
		q.certs_size = 4096;
		assert_int_equal(attest(&q, NULL), SVSM_ERR_INVALID_ADDRESS);
	}
	/* A report buffer that ends in husk's region. */
	struct req q = good_req();

	q.report_gpa = MODEL_HUSK_BASE - 4096;
	q.report_size = 8192;
	assert_int_equal(attest(&q, NULL), SVSM_SUCCESS); /* 0x4a0 bytes fit below */
	q.nonce_gpa = MODEL_HUSK_BASE - 32;
	assert_int_equal(attest(&q, NULL), SVSM_ERR_INVALID_ADDRESS);
	/* A request that runs into husk's region. */
	svsm_model_call(m, 0, SINGLE, MODEL_HUSK_BASE - 0x40, 0, 0, 0, &r);
	assert_int_equal(r.rax, SVSM_ERR_INVALID_ADDRESS);
	assert_true(svsm_model_husk_intact(m));
}

/* ---- the platform failing ---- */

static void test_platform_failures(void **state)
{
	struct req q = good_req();
	struct svsm_regs r;

	m->attest_result = SVSM_ERR_ATTEST_FAILED;
	assert_int_equal(attest(&q, &r), SVSM_ERR_ATTEST_FAILED);
	m->attest_result = 0;
	m->ek_err = HUSK_ERR_IO;
	assert_int_equal(attest(&q, &r), SVSM_ERR_ATTEST_FAILED);
	q.guid = guid_vtpm;
	assert_int_equal(attest(&q, &r), SVSM_ERR_ATTEST_FAILED);
	/* An EK too large for the manifest. */
	m->ek_err = 0;
	m->ek_len = 4000;
	assert_int_equal(attest(&q, &r), SVSM_ERR_ATTEST_FAILED);
	q.guid = NULL;
	assert_int_equal(attest(&q, &r), SVSM_ERR_ATTEST_FAILED);
	assert_int_equal(m->n_attest, 1);
}

static void test_unknown_call(void **state)
{
	struct svsm_regs r;

	svsm_model_call(m, 0, SVSM_CALL(SVSM_PROTOCOL_ATTEST, 2), REQ, 0, 0, 0, &r);
	assert_int_equal(r.rax, SVSM_ERR_UNSUPPORTED_CALL);
	svsm_model_call(m, 0, SVSM_CALL(SVSM_PROTOCOL_ATTEST, 0xffffffffu), REQ, 0, 0, 0, &r);
	assert_int_equal(r.rax, SVSM_ERR_UNSUPPORTED_CALL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_query_protocol, setup, teardown),
		cmocka_unit_test_setup_teardown(test_services, setup, teardown),
		cmocka_unit_test_setup_teardown(test_single_vtpm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nonce_sizes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_vtpm, setup_no_vtpm, teardown),
		cmocka_unit_test_setup_teardown(test_buffers_too_small, setup, teardown),
		cmocka_unit_test_setup_teardown(test_certificates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reserved, setup, teardown),
		cmocka_unit_test_setup_teardown(test_single_unknown, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alignment, setup, teardown),
		cmocka_unit_test_setup_teardown(test_addresses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_platform_failures, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_call, setup, teardown),
	};

	return cmocka_run_group_tests_name("svsm_attest", tests, NULL, NULL);
}
