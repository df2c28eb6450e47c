/* Unit tests for lib/snp's guest request message layer against the software
 * PSP model (tests/common/snp_psp_model.c): report and key round trips, the
 * reports verified end to end with the model's chain, sequence numbers over
 * many requests, every injected fault, BUSY resends, key retirement, the
 * request-side checks of the model, and the argument rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>

#include <cmocka.h>

#include "husk/err.h"
#include "snp/snp_guest_msg.h"
#include "snp/snp_report.h"
#include "snp/snp_verify.h"
#include "../common/snp_psp_model.h"

static struct snp_psp_model m;
static struct snp_guest_msg_ctx ctx;
static uint8_t req[SNP_GUEST_MSG_PAGE_SIZE], rsp[SNP_GUEST_MSG_PAGE_SIZE];

static int setup(void **state)
{
	(void)state;
	if (snp_psp_model_init(&m) != 0)
		return -1;
	return snp_guest_msg_init(&ctx, m.vmpck[0], 0, 0, NULL) == HUSK_OK ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	snp_psp_model_free(&m);
	return 0;
}

/* With HUSK_SNP_WRITE_SEEDS=<dir>, the tests also write the fuzzers' seed
 * corpora: <dir>/<fuzzer>/<name> = head || body (see tests/fuzz/fuzz_snp_*.c
 * for the input formats). */
static void seed(const char *fuzzer, const char *name, const void *head, size_t head_len, const void *body,
		 size_t body_len)
{
	const char *dir = getenv("HUSK_SNP_WRITE_SEEDS");
	char path[512];
	FILE *f;

	if (!dir || !*dir)
		return;
	snprintf(path, sizeof(path), "%s/%s", dir, fuzzer);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%s/%s", dir, fuzzer, name);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(head, 1, head_len, f), head_len);
	if (body_len)
		assert_int_equal(fwrite(body, 1, body_len, f), body_len);
	fclose(f);
}

/* A guest-message seed: mode byte, last sequence number, the response page
 * up to the end of its payload. */
static void seed_rsp(const char *name, uint8_t mode, uint8_t last_seqno, const uint8_t *page)
{
	uint8_t head[2] = { mode, last_seqno };
	size_t len = 0x60 + (size_t)(page[0x36] | page[0x37] << 8);

	seed("fuzz_snp_guest_msg", name, head, 2, page, len < SNP_GUEST_MSG_PAGE_SIZE ? len : SNP_GUEST_MSG_PAGE_SIZE);
}

static void fill_report_data(uint8_t rd[SNP_REPORT_DATA_SIZE], unsigned seed)
{
	for (unsigned i = 0; i < SNP_REPORT_DATA_SIZE; i++)
		rd[i] = (uint8_t)(seed * 31u + i);
}

/* Sends a report request through the model; returns report_rsp's code. */
static int report_roundtrip(const uint8_t rd[SNP_REPORT_DATA_SIZE], uint32_t vmpl, uint32_t key_sel,
			    uint8_t report[SNP_REPORT_SIZE], uint32_t *fw_status, struct snp_error *err)
{
	uint64_t exitinfo2;

	assert_int_equal(snp_guest_msg_report_req(&ctx, rd, vmpl, key_sel, req, sizeof(req), err), HUSK_OK);
	exitinfo2 = snp_psp_model_guest_request(&m, req, sizeof(req), rsp, sizeof(rsp));
	assert_int_equal(exitinfo2, 0);
	return snp_guest_msg_report_rsp(&ctx, rsp, sizeof(rsp), report, fw_status, err);
}

static void verify_model_report(const uint8_t raw[SNP_REPORT_SIZE], const uint8_t *ask, size_t ask_len,
				const uint8_t *vek, size_t vek_len)
{
	struct snp_report r;
	struct snp_error err;

	assert_int_equal(snp_report_parse(&r, raw, SNP_REPORT_SIZE, &err), HUSK_OK);
	if (snp_verify_report(&r, m.ark, m.ark_len, ask, ask_len, vek, vek_len, &err) != HUSK_OK)
		fail_msg("model report does not verify: %s", err.message);
}

/* ---- Set-up ---- */

static void test_init(void **state)
{
	struct snp_guest_msg_ctx c;
	uint8_t zero[SNP_VMPCK_SIZE] = { 0 };
	struct snp_error err;

	(void)state;
	assert_int_equal(snp_guest_msg_init(&c, zero, 0, 0, &err), HUSK_ERR_INVAL);
	assert_non_null(strstr(err.message, "disabled"));
	assert_false(snp_guest_msg_usable(&c));
	assert_int_equal(snp_guest_msg_init(&c, m.vmpck[0], 4, 0, &err), HUSK_ERR_INVAL);
	assert_int_equal(snp_guest_msg_init(NULL, m.vmpck[0], 0, 0, &err), HUSK_ERR_INVAL);
	assert_int_equal(snp_guest_msg_init(&c, NULL, 0, 0, &err), HUSK_ERR_INVAL);
	assert_int_equal(snp_guest_msg_init(&c, m.vmpck[3], 3, 7, &err), HUSK_OK);
	assert_true(snp_guest_msg_usable(&c));
	assert_int_equal(c.seqno, 7);
	assert_false(snp_guest_msg_usable(NULL));
}

/* ---- Round trips ---- */

static void test_report_roundtrip(void **state)
{
	uint8_t rd[SNP_REPORT_DATA_SIZE], report[SNP_REPORT_SIZE];
	struct snp_guest_msg_hdr hdr;
	struct snp_report r;
	struct snp_error err;
	uint32_t fw = 0xdead;

	(void)state;
	fill_report_data(rd, 1);
	assert_int_equal(snp_guest_msg_report_req(&ctx, rd, 0, SNP_REPORT_KEY_SEL_VCEK, req, sizeof(req), &err),
			 HUSK_OK);
	/* The request header as the ABI lays it out. */
	memcpy(&hdr, req, sizeof(hdr));
	assert_int_equal(hdr.msg_seqno, 1);
	assert_int_equal(req[0x20], 1);
	assert_int_equal(req[0x30], SNP_AEAD_AES_256_GCM);
	assert_int_equal(req[0x31], 1);
	assert_int_equal(req[0x32], 0x60);
	assert_int_equal(req[0x34], SNP_MSG_REPORT_REQ);
	assert_int_equal(req[0x35], 1);
	assert_int_equal(req[0x36], 0x60);
	assert_int_equal(req[0x3c], 0);
	for (size_t i = 0x10; i < 0x20; i++) /* tag uses 16 of the 32 bytes */
		assert_int_equal(req[i], 0);
	for (size_t i = 0x60 + 0x60; i < sizeof(req); i++)
		assert_int_equal(req[i], 0);
	/* The payload is encrypted: REPORT_DATA does not appear in clear. */
	assert_memory_not_equal(req + 0x60, rd, sizeof(rd));

	assert_int_equal(snp_psp_model_guest_request(&m, req, sizeof(req), rsp, sizeof(rsp)), 0);
	assert_int_equal(snp_guest_msg_report_rsp(&ctx, rsp, sizeof(rsp), report, &fw, &err), HUSK_OK);
	seed_rsp("report_ok", 0, 0, rsp);
	seed_rsp("report_ok_generic", 2, 0, rsp);
	seed("fuzz_snp_report", "model_v3_vcek", report, sizeof(report), m.vcek, m.vcek_len);
	seed("fuzz_snp_report", "model_v3_nocert", report, sizeof(report), NULL, 0);
	assert_int_equal(fw, 0);
	assert_int_equal(ctx.seqno, 2);
	assert_int_equal(m.seqno[0], 2);
	assert_false(ctx.pending);

	assert_int_equal(snp_report_parse(&r, report, sizeof(report), &err), HUSK_OK);
	assert_memory_equal(snp_report_report_data(&r), rd, sizeof(rd));
	assert_int_equal(snp_report_vmpl(&r), 0);
	assert_memory_equal(snp_report_measurement(&r), m.tmpl.measurement, SNP_MEASUREMENT_SIZE);
	assert_int_equal(snp_report_signing_key(&r), SNP_SIGNING_KEY_VCEK);
	verify_model_report(report, m.ask, m.ask_len, m.vcek, m.vcek_len);
	/* The response buffer is the copy; a smaller page size is fine too. */
	fill_report_data(rd, 2);
	assert_int_equal(snp_guest_msg_report_req(&ctx, rd, 0, SNP_REPORT_KEY_SEL_VCEK, req, 0x60 + 0x60, &err),
			 HUSK_OK);
	assert_int_equal(snp_psp_model_guest_request(&m, req, 0x60 + 0x60, rsp, 0x60 + 0x4c0), 0);
	assert_int_equal(snp_guest_msg_report_rsp(&ctx, rsp, 0x60 + 0x4c0, report, NULL, &err), HUSK_OK);
}

static void test_sequence_numbers(void **state)
{
	uint8_t rd[SNP_REPORT_DATA_SIZE], report[SNP_REPORT_SIZE], key[SNP_DERIVED_KEY_SIZE];
	struct snp_msg_key_req kr = { .guest_field_select = SNP_KEY_FIELD_MEASUREMENT };
	struct snp_report r;

	(void)state;
	for (unsigned i = 0; i < 12; i++) {
		uint64_t want_req = 2ull * i + 1;

		if (i % 3 == 2) {
			assert_int_equal(snp_guest_msg_key_req(&ctx, &kr, req, sizeof(req), NULL), HUSK_OK);
			assert_int_equal(req[0x20], want_req);
			assert_int_equal(snp_psp_model_guest_request(&m, req, sizeof(req), rsp, sizeof(rsp)), 0);
			assert_int_equal(rsp[0x20], want_req + 1);
			assert_int_equal(snp_guest_msg_key_rsp(&ctx, rsp, sizeof(rsp), key, NULL, NULL), HUSK_OK);
		} else {
			fill_report_data(rd, i);
			assert_int_equal(report_roundtrip(rd, 0, SNP_REPORT_KEY_SEL_VCEK, report, NULL, NULL), HUSK_OK);
			assert_int_equal(rsp[0x20], want_req + 1);
			assert_int_equal(snp_report_parse(&r, report, sizeof(report), NULL), HUSK_OK);
			assert_memory_equal(r.report_data, rd, sizeof(rd));
		}
		assert_int_equal(ctx.seqno, want_req + 1);
		assert_int_equal(m.seqno[0], want_req + 1);
	}
	assert_int_equal(m.requests, 12);
}

static void test_key_roundtrip(void **state)
{
	struct snp_msg_key_req kr = { .guest_field_select = SNP_KEY_FIELD_MEASUREMENT | SNP_KEY_FIELD_POLICY,
				      .guest_svn = 1 };
	uint8_t key[SNP_DERIVED_KEY_SIZE], want[SNP_DERIVED_KEY_SIZE], key2[SNP_DERIVED_KEY_SIZE];
	struct snp_error err;
	uint32_t fw;

	(void)state;
	assert_int_equal(snp_guest_msg_key_req(&ctx, &kr, req, sizeof(req), &err), HUSK_OK);
	assert_int_equal(req[0x34], SNP_MSG_KEY_REQ);
	assert_int_equal(req[0x36], 0x20);
	assert_int_equal(snp_psp_model_guest_request(&m, req, sizeof(req), rsp, sizeof(rsp)), 0);
	assert_int_equal(snp_guest_msg_key_rsp(&ctx, rsp, sizeof(rsp), key, &fw, &err), HUSK_OK);
	seed_rsp("key_ok", 1, 0, rsp);
	seed_rsp("key_ok_small_buffer", (uint8_t)(3 | 0x3f << 2), 0, rsp);
	snp_psp_model_derive_key(&m, &kr, want);
	assert_memory_equal(key, want, sizeof(key));

	kr.guest_field_select = SNP_KEY_FIELD_IMAGE_ID;
	assert_int_equal(snp_guest_msg_key_req(&ctx, &kr, req, sizeof(req), &err), HUSK_OK);
	assert_int_equal(snp_psp_model_guest_request(&m, req, sizeof(req), rsp, sizeof(rsp)), 0);
	assert_int_equal(snp_guest_msg_key_rsp(&ctx, rsp, sizeof(rsp), key2, &fw, &err), HUSK_OK);
	assert_memory_not_equal(key, key2, sizeof(key));

	/* Refused before anything is sealed: nothing outstanding, no number spent. */
	kr.guest_field_select = 1ull << 6;
	assert_int_equal(snp_guest_msg_key_req(&ctx, &kr, req, sizeof(req), &err), HUSK_ERR_INVAL);
	kr.guest_field_select = 0;
	kr.root_key_select = 2;
	assert_int_equal(snp_guest_msg_key_req(&ctx, &kr, req, sizeof(req), &err), HUSK_ERR_INVAL);
	kr.root_key_select = 0;
	kr.reserved_04 = 1;
	assert_int_equal(snp_guest_msg_key_req(&ctx, &kr, req, sizeof(req), &err), HUSK_ERR_INVAL);
	kr.reserved_04 = 0;
	kr.vmpl = 4;
	assert_int_equal(snp_guest_msg_key_req(&ctx, &kr, req, sizeof(req), &err), HUSK_ERR_INVAL);
	assert_int_equal(snp_guest_msg_key_req(&ctx, NULL, req, sizeof(req), &err), HUSK_ERR_INVAL);
	assert_int_equal(ctx.seqno, 4);
	assert_false(ctx.pending);

	/* A firmware refusal is an authentic answer: the key stays usable. */
	kr.vmpl = 0;
	kr.root_key_select = SNP_KEY_ROOT_VMRK;
	assert_int_equal(snp_guest_msg_key_req(&ctx, &kr, req, sizeof(req), &err), HUSK_OK);
	assert_int_equal(snp_psp_model_guest_request(&m, req, sizeof(req), rsp, sizeof(rsp)), 0);
	assert_int_equal(snp_guest_msg_key_rsp(&ctx, rsp, sizeof(rsp), key, &fw, &err), HUSK_ERR_IO);
	assert_int_equal(fw, SNP_FW_INVALID_KEY);
	assert_non_null(strstr(err.message, "INVALID_KEY"));
	assert_true(snp_guest_msg_usable(&ctx));
	kr.root_key_select = 0;
	assert_int_equal(snp_guest_msg_key_req(&ctx, &kr, req, sizeof(req), &err), HUSK_OK);
	assert_int_equal(snp_psp_model_guest_request(&m, req, sizeof(req), rsp, sizeof(rsp)), 0);
	assert_int_equal(snp_guest_msg_key_rsp(&ctx, rsp, sizeof(rsp), key, &fw, &err), HUSK_OK);
	assert_int_equal(ctx.seqno, 8);
}

static void test_report_options(void **state)
{
	uint8_t rd[SNP_REPORT_DATA_SIZE], report[SNP_REPORT_SIZE];
	struct snp_report r;
	struct snp_error err;
	uint32_t fw;

	(void)state;
	fill_report_data(rd, 9);
	assert_int_equal(report_roundtrip(rd, 2, SNP_REPORT_KEY_SEL_DEFAULT, report, &fw, &err), HUSK_OK);
	assert_int_equal(snp_report_parse(&r, report, sizeof(report), NULL), HUSK_OK);
	assert_int_equal(r.vmpl, 2);
	assert_int_equal(snp_report_signing_key(&r), SNP_SIGNING_KEY_VCEK);

	/* No VLEK installed: the PSP refuses, the key stays. */
	assert_int_equal(report_roundtrip(rd, 0, SNP_REPORT_KEY_SEL_VLEK, report, &fw, &err), HUSK_ERR_IO);
	assert_int_equal(fw, SNP_FW_INVALID_KEY);
	assert_true(snp_guest_msg_usable(&ctx));

	/* With a VLEK, KEY_SEL 0 and 2 pick it, 1 still the VCEK. */
	m.vlek_installed = true;
	assert_int_equal(report_roundtrip(rd, 0, SNP_REPORT_KEY_SEL_VLEK, report, &fw, &err), HUSK_OK);
	verify_model_report(report, m.asvk, m.asvk_len, m.vlek, m.vlek_len);
	seed("fuzz_snp_report", "model_v3_vlek", report, sizeof(report), m.vlek, m.vlek_len);
	assert_int_equal(report_roundtrip(rd, 0, SNP_REPORT_KEY_SEL_DEFAULT, report, &fw, &err), HUSK_OK);
	assert_int_equal(snp_report_parse(&r, report, sizeof(report), NULL), HUSK_OK);
	assert_int_equal(snp_report_signing_key(&r), SNP_SIGNING_KEY_VLEK);
	assert_int_equal(report_roundtrip(rd, 0, SNP_REPORT_KEY_SEL_VCEK, report, &fw, &err), HUSK_OK);
	verify_model_report(report, m.ask, m.ask_len, m.vcek, m.vcek_len);

	/* Arguments refused before sealing. */
	assert_int_equal(snp_guest_msg_report_req(&ctx, rd, 4, 0, req, sizeof(req), &err), HUSK_ERR_INVAL);
	assert_int_equal(snp_guest_msg_report_req(&ctx, rd, 0, 3, req, sizeof(req), &err), HUSK_ERR_INVAL);
	assert_int_equal(snp_guest_msg_report_req(&ctx, NULL, 0, 0, req, sizeof(req), &err), HUSK_ERR_INVAL);
	assert_false(ctx.pending);
}

/* A VMPL1 requester (VMPCK1) may not ask for a VMPL0 report. */
static void test_vmpck1(void **state)
{
	uint8_t rd[SNP_REPORT_DATA_SIZE] = { 0 }, report[SNP_REPORT_SIZE];
	struct snp_report r;
	uint32_t fw;

	(void)state;
	assert_int_equal(snp_guest_msg_init(&ctx, m.vmpck[1], 1, 0, NULL), HUSK_OK);
	assert_int_equal(report_roundtrip(rd, 0, 0, report, &fw, NULL), HUSK_ERR_IO);
	assert_int_equal(fw, SNP_FW_INVALID_PARAM);
	assert_int_equal(report_roundtrip(rd, 1, 0, report, &fw, NULL), HUSK_OK);
	assert_int_equal(snp_report_parse(&r, report, sizeof(report), NULL), HUSK_OK);
	assert_int_equal(r.vmpl, 1);
	assert_int_equal(m.seqno[1], 4);
	assert_int_equal(m.seqno[0], 0);
}

static void test_turin_v5_and_unsigned(void **state)
{
	uint8_t rd[SNP_REPORT_DATA_SIZE] = { 1 }, report[SNP_REPORT_SIZE];
	struct snp_report r;
	struct snp_tcb tcb;

	(void)state;
	snp_psp_model_set_turin(&m);
	m.tmpl.version = 5;
	m.tmpl.launch_mit_vector = 0x3;
	m.tmpl.current_mit_vector = 0x7;
	assert_int_equal(report_roundtrip(rd, 0, 0, report, NULL, NULL), HUSK_OK);
	assert_int_equal(snp_report_parse(&r, report, sizeof(report), NULL), HUSK_OK);
	assert_int_equal(snp_report_product(&r), SNP_PRODUCT_TURIN);
	snp_report_reported_tcb(&r, &tcb);
	assert_true(tcb.has_fmc);
	assert_int_equal(tcb.fmc, SNP_MODEL_TCB_FMC);
	assert_int_equal(r.current_mit_vector, 7);
	verify_model_report(report, m.ask, m.ask_len, m.vcek_turin, m.vcek_turin_len);
	seed("fuzz_snp_report", "model_v5_turin", report, sizeof(report), m.vcek_turin, m.vcek_turin_len);
	/* The Milan/Genoa-layout VCEK does not match a Turin report. */
	assert_int_equal(snp_verify_report(&r, m.ark, m.ark_len, m.ask, m.ask_len, m.vcek, m.vcek_len, NULL),
			 HUSK_ERR_CRYPTO);

	/* A platform that masks its chip key returns unsigned reports. */
	m.mask_chip_key = true;
	assert_int_equal(report_roundtrip(rd, 0, 0, report, NULL, NULL), HUSK_OK);
	assert_int_equal(snp_report_parse(&r, report, sizeof(report), NULL), HUSK_OK);
	assert_int_equal(snp_report_signing_key(&r), SNP_SIGNING_KEY_NONE);
	assert_int_equal(snp_verify_report_signature(&r, m.vcek_turin, m.vcek_turin_len, NULL), HUSK_ERR_UNSUPPORTED);
	seed("fuzz_snp_report", "model_unsigned", report, sizeof(report), m.vcek_turin, m.vcek_turin_len);
}

/* A TCB the VCEK was not issued for is caught by the binding check. */
static void test_tcb_mismatch(void **state)
{
	uint8_t rd[SNP_REPORT_DATA_SIZE] = { 2 }, report[SNP_REPORT_SIZE];
	struct snp_tcb t = { .bootloader = SNP_MODEL_TCB_BL,
			     .tee = SNP_MODEL_TCB_TEE,
			     .snp = SNP_MODEL_TCB_SNP + 1,
			     .microcode = SNP_MODEL_TCB_UCODE };
	struct snp_report r;
	struct snp_error err;

	(void)state;
	snp_psp_model_set_tcb(&m, snp_tcb_encode(&t, SNP_TCB_LAYOUT_MILAN_GENOA));
	assert_int_equal(report_roundtrip(rd, 0, 0, report, NULL, NULL), HUSK_OK);
	assert_int_equal(snp_report_parse(&r, report, sizeof(report), NULL), HUSK_OK);
	assert_int_equal(snp_verify_report_signature(&r, m.vcek, m.vcek_len, NULL), HUSK_OK);
	assert_int_equal(snp_verify_report(&r, m.ark, m.ark_len, m.ask, m.ask_len, m.vcek, m.vcek_len, &err),
			 HUSK_ERR_CRYPTO);
	assert_non_null(strstr(err.message, "snp 24"));
}

/* ---- Faults ---- */

struct fault_case {
	const char *name;
	enum snp_model_fault fault;
	int rc;
	bool retired;
	const char *message; /* a substring of the error message */
};

static const struct fault_case fault_cases[] = {
	{ "bad_tag", SNP_MODEL_FAULT_BAD_TAG, HUSK_ERR_CRYPTO, true, "does not authenticate" },
	{ "bad_ciphertext", SNP_MODEL_FAULT_BAD_CIPHERTEXT, HUSK_ERR_CRYPTO, true, "does not authenticate" },
	{ "bad_aad", SNP_MODEL_FAULT_BAD_AAD, HUSK_ERR_CRYPTO, true, "does not authenticate" },
	{ "wrong_key", SNP_MODEL_FAULT_WRONG_KEY, HUSK_ERR_CRYPTO, true, "does not authenticate" },
	{ "wrong_seqno", SNP_MODEL_FAULT_WRONG_SEQNO, HUSK_ERR_CRYPTO, true, "sequence number 6, expected 4" },
	{ "replay", SNP_MODEL_FAULT_REPLAY, HUSK_ERR_CRYPTO, true, "sequence number 2, expected 4" },
	{ "drop", SNP_MODEL_FAULT_DROP, HUSK_ERR_CRYPTO, true, "sequence number 0, expected 4" },
	{ "wrong_msg_type", SNP_MODEL_FAULT_WRONG_MSG_TYPE, HUSK_ERR_FORMAT, true, "MSG_TYPE 8" },
	{ "wrong_msg_version", SNP_MODEL_FAULT_WRONG_MSG_VERSION, HUSK_ERR_FORMAT, true, "MSG_VERSION 2" },
	{ "wrong_vmpck_id", SNP_MODEL_FAULT_WRONG_VMPCK_ID, HUSK_ERR_FORMAT, true, "MSG_VMPCK 1" },
	{ "bad_header", SNP_MODEL_FAULT_BAD_HEADER, HUSK_ERR_FORMAT, true, "size 0x50" },
	{ "oversize", SNP_MODEL_FAULT_OVERSIZE, HUSK_ERR_FORMAT, true, "MSG_SIZE 4001" },
	{ "short_payload", SNP_MODEL_FAULT_SHORT_PAYLOAD, HUSK_ERR_FORMAT, false, "cannot hold" },
	{ "tiny_payload", SNP_MODEL_FAULT_TINY_PAYLOAD, HUSK_ERR_FORMAT, false, "no STATUS" },
	{ "bad_report_size", SNP_MODEL_FAULT_BAD_REPORT_SIZE, HUSK_ERR_FORMAT, false, "REPORT_SIZE 0x400" },
	{ "fw_status", SNP_MODEL_FAULT_FW_STATUS, HUSK_ERR_IO, false, "status 0x16 (INVALID_PARAM)" },
};

static void test_faults(void **state)
{
	uint8_t rd[SNP_REPORT_DATA_SIZE], report[SNP_REPORT_SIZE], zero[SNP_VMPCK_SIZE] = { 0 };

	(void)state;
	for (size_t i = 0; i < sizeof(fault_cases) / sizeof(fault_cases[0]); i++) {
		const struct fault_case *fc = &fault_cases[i];
		struct snp_error err;
		int rc;

		/* A fresh PSP and context, one good exchange first (for REPLAY). */
		snp_psp_model_free(&m);
		assert_int_equal(snp_psp_model_init(&m), 0);
		assert_int_equal(snp_guest_msg_init(&ctx, m.vmpck[0], 0, 0, NULL), HUSK_OK);
		fill_report_data(rd, (unsigned)i);
		assert_int_equal(report_roundtrip(rd, 0, 0, report, NULL, NULL), HUSK_OK);

		memset(rsp, 0, sizeof(rsp));
		memset(report, 0xcc, sizeof(report));
		assert_int_equal(snp_guest_msg_report_req(&ctx, rd, 0, 0, req, sizeof(req), NULL), HUSK_OK);
		snp_psp_model_inject(&m, fc->fault);
		assert_int_equal(snp_psp_model_guest_request(&m, req, sizeof(req), rsp, sizeof(rsp)), 0);
		seed_rsp(fc->name, 0, 2, rsp);
		rc = snp_guest_msg_report_rsp(&ctx, rsp, sizeof(rsp), report, NULL, &err);
		if (rc != fc->rc || !strstr(err.message, fc->message))
			fail_msg("fault %d: rc %d (want %d), message \"%s\" (want \"%s\")", (int)fc->fault, rc, fc->rc,
				 err.message, fc->message);
		assert_int_equal(err.code, rc);
		assert_int_equal(report[0], 0xcc); /* nothing copied out */
		assert_int_equal(snp_guest_msg_usable(&ctx), !fc->retired);
		if (fc->retired) {
			/* Key wiped, every later call refused. */
			assert_memory_equal(ctx.vmpck, zero, sizeof(zero));
			assert_int_equal(snp_guest_msg_report_req(&ctx, rd, 0, 0, req, sizeof(req), &err), HUSK_ERR_INVAL);
			assert_non_null(strstr(err.message, "retired"));
			assert_int_equal(snp_guest_msg_report_rsp(&ctx, rsp, sizeof(rsp), report, NULL, NULL),
					 HUSK_ERR_INVAL);
		} else {
			/* Counters in step: the next exchange works. */
			assert_int_equal(ctx.seqno, 4);
			assert_int_equal(report_roundtrip(rd, 0, 0, report, NULL, NULL), HUSK_OK);
			assert_int_equal(ctx.seqno, 6);
		}
	}
}

/* BUSY: the host did not forward the request; the identical bytes go again. */
static void test_busy_resend(void **state)
{
	uint8_t rd[SNP_REPORT_DATA_SIZE] = { 7 }, report[SNP_REPORT_SIZE], copy[SNP_GUEST_MSG_PAGE_SIZE];
	uint64_t exitinfo2;

	(void)state;
	assert_int_equal(snp_guest_msg_report_req(&ctx, rd, 0, 0, req, sizeof(req), NULL), HUSK_OK);
	memcpy(copy, req, sizeof(copy));
	snp_psp_model_inject(&m, SNP_MODEL_FAULT_BUSY);
	exitinfo2 = snp_psp_model_guest_request(&m, req, sizeof(req), rsp, sizeof(rsp));
	assert_int_equal(snp_ghcb_greq_classify(exitinfo2), SNP_GHCB_GREQ_BUSY);
	exitinfo2 = snp_psp_model_guest_request(&m, copy, sizeof(copy), rsp, sizeof(rsp));
	assert_int_equal(snp_ghcb_greq_classify(exitinfo2), SNP_GHCB_GREQ_OK);
	assert_int_equal(snp_guest_msg_report_rsp(&ctx, rsp, sizeof(rsp), report, NULL, NULL), HUSK_OK);
	/* Sending a request twice: the PSP refuses the replayed number. */
	exitinfo2 = snp_psp_model_guest_request(&m, copy, sizeof(copy), rsp, sizeof(rsp));
	assert_int_equal(snp_ghcb_greq_classify(exitinfo2), SNP_GHCB_GREQ_FW_ERROR);
	assert_int_equal(exitinfo2, SNP_FW_INVALID_PARAM);
}

/* The model's (firmware's) side: requests it refuses, and what husk does. */
static void test_request_rejected(void **state)
{
	uint8_t rd[SNP_REPORT_DATA_SIZE] = { 3 }, report[SNP_REPORT_SIZE];
	uint64_t exitinfo2;

	(void)state;
	/* husk out of step with the PSP (it thinks 4 numbers are used). */
	assert_int_equal(snp_guest_msg_init(&ctx, m.vmpck[0], 0, 4, NULL), HUSK_OK);
	assert_int_equal(snp_guest_msg_report_req(&ctx, rd, 0, 0, req, sizeof(req), NULL), HUSK_OK);
	exitinfo2 = snp_psp_model_guest_request(&m, req, sizeof(req), rsp, sizeof(rsp));
	assert_int_equal(snp_ghcb_greq_classify(exitinfo2), SNP_GHCB_GREQ_FW_ERROR);
	snp_guest_msg_abandon(&ctx);
	assert_false(snp_guest_msg_usable(&ctx));
	assert_int_equal(m.seqno[0], 0);

	/* A request tampered with in the shared page. */
	assert_int_equal(snp_guest_msg_init(&ctx, m.vmpck[0], 0, 0, NULL), HUSK_OK);
	assert_int_equal(snp_guest_msg_report_req(&ctx, rd, 0, 0, req, sizeof(req), NULL), HUSK_OK);
	req[0x70] ^= 1;
	assert_int_equal(snp_psp_model_guest_request(&m, req, sizeof(req), rsp, sizeof(rsp)), SNP_FW_INVALID_PARAM);
	req[0x70] ^= 1;
	req[0x3d] = 1; /* a reserved header byte inside the AAD */
	assert_int_equal(snp_psp_model_guest_request(&m, req, sizeof(req), rsp, sizeof(rsp)), SNP_FW_INVALID_PARAM);
	req[0x3d] = 0;
	/* The untouched request still goes through (nothing was consumed). */
	assert_int_equal(snp_psp_model_guest_request(&m, req, sizeof(req), rsp, sizeof(rsp)), 0);
	assert_int_equal(snp_guest_msg_report_rsp(&ctx, rsp, sizeof(rsp), report, NULL, NULL), HUSK_OK);
}

static void test_pending_rules(void **state)
{
	uint8_t rd[SNP_REPORT_DATA_SIZE] = { 0 }, report[SNP_REPORT_SIZE];
	struct snp_error err;

	(void)state;
	assert_int_equal(snp_guest_msg_report_rsp(&ctx, rsp, sizeof(rsp), report, NULL, &err), HUSK_ERR_INVAL);
	assert_non_null(strstr(err.message, "no request"));
	assert_true(snp_guest_msg_usable(&ctx));
	assert_int_equal(snp_guest_msg_report_req(&ctx, rd, 0, 0, req, sizeof(req), NULL), HUSK_OK);
	assert_int_equal(snp_guest_msg_report_req(&ctx, rd, 0, 0, req, sizeof(req), &err), HUSK_ERR_BUSY);
	assert_non_null(strstr(err.message, "outstanding"));
	/* A response buffer too small for a header is the caller's error. */
	assert_int_equal(snp_guest_msg_report_rsp(&ctx, rsp, 0x5f, report, NULL, &err), HUSK_ERR_INVAL);
	assert_int_equal(snp_guest_msg_report_rsp(&ctx, NULL, sizeof(rsp), report, NULL, &err), HUSK_ERR_INVAL);
	assert_true(snp_guest_msg_usable(&ctx));
	snp_guest_msg_abandon(&ctx);
	assert_false(snp_guest_msg_usable(&ctx));
	snp_guest_msg_retire(&ctx); /* idempotent */
	snp_guest_msg_retire(NULL);
}

static void test_generic_seal_open(void **state)
{
	uint8_t payload[0x100], out[0x100];
	size_t len = 99;
	struct snp_error err;

	(void)state;
	memset(payload, 0x42, sizeof(payload));
	assert_int_equal(snp_guest_msg_seal(&ctx, 4, 1, payload, 16, req, sizeof(req), &err), HUSK_ERR_INVAL);
	assert_int_equal(snp_guest_msg_seal(&ctx, 0, 1, payload, 16, req, sizeof(req), &err), HUSK_ERR_INVAL);
	assert_int_equal(snp_guest_msg_seal(&ctx, 0xff, 1, payload, 16, req, sizeof(req), &err), HUSK_ERR_INVAL);
	assert_int_equal(snp_guest_msg_seal(&ctx, 5, 1, payload, SNP_GUEST_MSG_MAX_PAYLOAD + 1, req, sizeof(req), &err),
			 HUSK_ERR_RANGE);
	assert_int_equal(snp_guest_msg_seal(&ctx, 5, 1, payload, 16, req, 0x60 + 15, &err), HUSK_ERR_RANGE);
	assert_int_equal(snp_guest_msg_seal(&ctx, 5, 1, NULL, 16, req, sizeof(req), &err), HUSK_ERR_INVAL);
	assert_false(ctx.pending);

	/* A report request through the generic calls; a cap below the
	 * response size is a malformed response (and retires the key). */
	memset(payload, 0, 0x60);
	assert_int_equal(snp_guest_msg_seal(&ctx, SNP_MSG_REPORT_REQ, 1, payload, 0x60, req, sizeof(req), &err),
			 HUSK_OK);
	assert_int_equal(snp_psp_model_guest_request(&m, req, sizeof(req), rsp, sizeof(rsp)), 0);
	assert_int_equal(snp_guest_msg_open(&ctx, rsp, sizeof(rsp), out, sizeof(out), &len, &err), HUSK_ERR_FORMAT);
	assert_int_equal(len, 0);
	assert_false(snp_guest_msg_usable(&ctx));

	assert_int_equal(snp_guest_msg_init(&ctx, m.vmpck[0], 0, m.seqno[0], NULL), HUSK_OK);
	assert_int_equal(snp_guest_msg_seal(&ctx, SNP_MSG_KEY_REQ, 1, payload, 0x20, req, sizeof(req), &err), HUSK_OK);
	assert_int_equal(snp_psp_model_guest_request(&m, req, sizeof(req), rsp, sizeof(rsp)), 0);
	assert_int_equal(snp_guest_msg_open(&ctx, rsp, sizeof(rsp), out, sizeof(out), &len, &err), HUSK_OK);
	assert_int_equal(len, 0x40);
	assert_int_equal(out[0], 0); /* STATUS */
	assert_int_equal(snp_guest_msg_open(&ctx, rsp, sizeof(rsp), out, sizeof(out), NULL, &err), HUSK_ERR_INVAL);
}

static void test_seqno_exhaustion(void **state)
{
	uint8_t rd[SNP_REPORT_DATA_SIZE] = { 0 }, report[SNP_REPORT_SIZE];
	struct snp_error err;

	(void)state;
	m.seqno[0] = UINT64_MAX - 3;
	assert_int_equal(snp_guest_msg_init(&ctx, m.vmpck[0], 0, UINT64_MAX - 3, NULL), HUSK_OK);
	assert_int_equal(report_roundtrip(rd, 0, 0, report, NULL, NULL), HUSK_OK);
	assert_int_equal(ctx.seqno, UINT64_MAX - 1);
	assert_int_equal(snp_guest_msg_report_req(&ctx, rd, 0, 0, req, sizeof(req), &err), HUSK_ERR_RANGE);
	assert_non_null(strstr(err.message, "used up"));
	/* The PSP side refuses the same way. */
	m.seqno[1] = UINT64_MAX - 1;
	assert_int_equal(snp_guest_msg_init(&ctx, m.vmpck[1], 1, UINT64_MAX - 3, NULL), HUSK_OK);
	assert_int_equal(snp_guest_msg_report_req(&ctx, rd, 1, 0, req, sizeof(req), NULL), HUSK_OK);
	assert_int_equal(snp_psp_model_guest_request(&m, req, sizeof(req), rsp, sizeof(rsp)), SNP_FW_AEAD_OFLOW);
}

static void test_classify(void **state)
{
	(void)state;
	assert_int_equal(snp_ghcb_greq_classify(0), SNP_GHCB_GREQ_OK);
	assert_int_equal(snp_ghcb_greq_classify(0x16), SNP_GHCB_GREQ_FW_ERROR);
	assert_int_equal(snp_ghcb_greq_classify(1ull << 32), SNP_GHCB_GREQ_INVALID_LEN);
	assert_int_equal(snp_ghcb_greq_classify(2ull << 32 | 5), SNP_GHCB_GREQ_BUSY);
	assert_int_equal(snp_ghcb_greq_classify(3ull << 32), SNP_GHCB_GREQ_VMM_ERROR);
	assert_int_equal(snp_ghcb_greq_classify(~0ull), SNP_GHCB_GREQ_VMM_ERROR);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_init),
		T(test_report_roundtrip),
		T(test_sequence_numbers),
		T(test_key_roundtrip),
		T(test_report_options),
		T(test_vmpck1),
		T(test_turin_v5_and_unsigned),
		T(test_tcb_mismatch),
		T(test_faults),
		T(test_busy_resend),
		T(test_request_rejected),
		T(test_pending_rules),
		T(test_generic_seal_open),
		T(test_seqno_exhaustion),
		T(test_classify),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
