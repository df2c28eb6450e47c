/* Unit tests for lib/snp's report channel (snp_attest.h) against the
 * software PSP model (tests/common/snp_psp_model.c), behind a transport that
 * plays the GHCB guest request exit with shared pages:
 *  - reports that verify with the model's chain, REPORT_DATA and VMPL 0 as
 *    asked, sequence numbers over many requests, BUSY resends of identical
 *    bytes, every fault the model injects and every failure of the exit,
 *    with the code and whether the channel is retired afterwards;
 *  - the whole SVSM path: the channel as the attest_report op of lib/svsm's
 *    model platform, a guest's ATTEST_SERVICES and ATTEST_SINGLE_SERVICE
 *    giving a signed report with REPORT_DATA = SHA-512(nonce || manifest),
 *    PSP failures as SVSM_ERR_ATTEST_FAILED, husk answering afterwards;
 *  - the report as Trustee `snp` evidence. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "husk/err.h"
#include "mbedtls/sha512.h"
#include "snp/snp_attest.h"
#include "snp/snp_evidence.h"
#include "snp/snp_guest_msg.h"
#include "snp/snp_report.h"
#include "snp/snp_verify.h"
#include "svsm/svsm.h"
#include "svsm_fixture.h" /* the svsm model `m`, setup, teardown */
#include "../common/snp_psp_model.h"

_Static_assert(SVSM_ATTEST_REPORT_BYTES == SNP_REPORT_SIZE, "the SVSM report buffer holds an SNP report");

static struct snp_psp_model psp;
static struct snp_attest_chan chan;

/* ---- the transport: the GHCB guest request exit with two shared pages ---- */

static struct transport {
	unsigned busy;            /* answer BUSY (the model's fault) this many times */
	int fail;                 /* return this instead of making the exit */
	uint64_t exitinfo2;       /* non-zero: the host answers this, nothing forwarded */
	bool short_rsp;           /* deliver only 0x40 bytes */
	bool long_rsp;            /* claim more bytes than the buffer holds */
	bool reenter;             /* call snp_attest_report again from inside */
	int reenter_rc;
	unsigned calls;
	bool resend_differs;      /* a resend after BUSY was not byte-identical */
	uint8_t prev_req[SNP_ATTEST_REQ_SIZE];
	bool prev_busy;
	uint8_t req_page[SNP_GUEST_MSG_PAGE_SIZE], rsp_page[SNP_GUEST_MSG_PAGE_SIZE];
} tp;

static int transport(void *ctx, const uint8_t *req, size_t req_len, uint8_t *rsp, size_t rsp_max, size_t *rsp_len,
		     uint64_t *fw_err)
{
	struct transport *t = ctx;
	uint64_t ex;

	assert_ptr_equal(t, &tp);
	assert_int_equal(req_len, SNP_ATTEST_REQ_SIZE);
	assert_int_equal(rsp_max, SNP_ATTEST_RSP_SIZE);
	t->calls++;
	if (t->reenter) {
		uint8_t rd[SNP_REPORT_DATA_SIZE] = { 0 }, rep[SNP_REPORT_SIZE];

		t->reenter = false;
		t->reenter_rc = snp_attest_report(&chan, rd, rep, NULL);
	}
	if (t->fail)
		return t->fail;
	if (t->prev_busy && memcmp(t->prev_req, req, req_len) != 0)
		t->resend_differs = true;
	memcpy(t->prev_req, req, req_len);
	/* The platform copies the request into the shared page. */
	memset(t->req_page, 0, sizeof(t->req_page));
	memcpy(t->req_page, req, req_len);
	if (t->exitinfo2) {
		*fw_err = t->exitinfo2;
		t->prev_busy = false;
		return HUSK_OK;
	}
	if (t->busy) {
		t->busy--;
		snp_psp_model_inject(&psp, SNP_MODEL_FAULT_BUSY);
	}
	ex = snp_psp_model_guest_request(&psp, t->req_page, sizeof(t->req_page), t->rsp_page, sizeof(t->rsp_page));
	t->prev_busy = snp_ghcb_greq_classify(ex) == SNP_GHCB_GREQ_BUSY;
	*fw_err = ex;
	/* ... and the response out of the other. */
	memcpy(rsp, t->rsp_page, rsp_max);
	*rsp_len = t->short_rsp ? 0x40 : t->long_rsp ? rsp_max + 1 : rsp_max;
	return HUSK_OK;
}

static int chan_init(unsigned id, uint64_t last, uint32_t key_sel)
{
	return snp_attest_init(&chan, psp.vmpck[id], id, last, key_sel, transport, &tp, NULL);
}

static int setup_snp(void **state)
{
	memset(&tp, 0, sizeof(tp));
	if (setup(state) != 0)
		return -1;
	if (snp_psp_model_init(&psp) != 0)
		return -1;
	return chan_init(0, 0, SNP_REPORT_KEY_SEL_VCEK) == HUSK_OK ? 0 : -1;
}

static int teardown_snp(void **state)
{
	snp_attest_close(&chan);
	snp_psp_model_free(&psp);
	return teardown(state);
}

static void fill_rd(uint8_t rd[SNP_REPORT_DATA_SIZE], unsigned seed)
{
	for (unsigned i = 0; i < SNP_REPORT_DATA_SIZE; i++)
		rd[i] = (uint8_t)(seed * 37u + i * 3u + 1u);
}

static bool all_zero(const void *p, size_t len)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < len; i++)
		if (b[i])
			return false;
	return true;
}

/* Parses raw, checks REPORT_DATA and VMPL 0 and verifies it against the
 * model's chain (ARK -> ASK -> VCEK, binding, signature). */
static void check_signed_report(const uint8_t raw[SNP_REPORT_SIZE], const uint8_t rd[SNP_REPORT_DATA_SIZE])
{
	struct snp_report r;
	struct snp_error err;

	if (snp_report_parse(&r, raw, SNP_REPORT_SIZE, &err) != HUSK_OK)
		fail_msg("report does not parse: %s", err.message);
	assert_memory_equal(snp_report_report_data(&r), rd, SNP_REPORT_DATA_SIZE);
	assert_int_equal(snp_report_vmpl(&r), 0);
	assert_int_equal(snp_report_signing_key(&r), SNP_SIGNING_KEY_VCEK);
	assert_memory_equal(snp_report_measurement(&r), psp.tmpl.measurement, SNP_MEASUREMENT_SIZE);
	if (snp_verify_report_signature(&r, psp.vcek, psp.vcek_len, &err) != HUSK_OK)
		fail_msg("signature: %s", err.message);
	if (snp_verify_report(&r, psp.ark, psp.ark_len, psp.ask, psp.ask_len, psp.vcek, psp.vcek_len, &err) != HUSK_OK)
		fail_msg("chain: %s", err.message);
}

/* ---- the channel ---- */

static void test_init(void **state)
{
	struct snp_attest_chan c;
	uint8_t zero[SNP_VMPCK_SIZE] = { 0 };
	struct snp_error err;

	(void)state;
	assert_int_equal(snp_attest_init(NULL, psp.vmpck[0], 0, 0, 0, transport, &tp, &err), HUSK_ERR_INVAL);
	assert_int_equal(snp_attest_init(&c, psp.vmpck[0], 0, 0, 0, NULL, &tp, &err), HUSK_ERR_INVAL);
	assert_non_null(strstr(err.message, "transport"));
	assert_false(snp_attest_usable(&c));
	assert_int_equal(snp_attest_init(&c, psp.vmpck[0], 0, 0, 3, transport, &tp, &err), HUSK_ERR_INVAL);
	assert_non_null(strstr(err.message, "KEY_SEL 3"));
	assert_int_equal(snp_attest_init(&c, zero, 0, 0, 0, transport, &tp, &err), HUSK_ERR_INVAL);
	assert_non_null(strstr(err.message, "disabled"));
	assert_false(snp_attest_usable(&c));
	assert_int_equal(snp_attest_init(&c, psp.vmpck[0], 4, 0, 0, transport, &tp, &err), HUSK_ERR_INVAL);
	assert_int_equal(snp_attest_init(&c, psp.vmpck[2], 2, 9, SNP_REPORT_KEY_SEL_DEFAULT, transport, &tp, &err),
			 HUSK_OK);
	assert_true(snp_attest_usable(&c));
	assert_int_equal(c.msg.seqno, 9);
	assert_int_equal(c.busy_retries, SNP_ATTEST_BUSY_RETRIES);
	snp_attest_close(&c);
	assert_false(snp_attest_usable(&c));
	assert_true(all_zero(c.msg.vmpck, sizeof(c.msg.vmpck)));
	snp_attest_close(&c); /* idempotent */
	snp_attest_close(NULL);
	assert_false(snp_attest_usable(NULL));
	assert_int_equal(tp.calls, 0);

	/* A channel never set up refuses without calling anything. */
	uint8_t rd[SNP_REPORT_DATA_SIZE] = { 0 }, report[SNP_REPORT_SIZE];

	memset(&c, 0, sizeof(c));
	assert_int_equal(snp_attest_report(&c, rd, report, &err), HUSK_ERR_INVAL);
	assert_int_equal(snp_attest_report(&chan, NULL, report, &err), HUSK_ERR_INVAL);
	assert_int_equal(snp_attest_report(&chan, rd, NULL, &err), HUSK_ERR_INVAL);
	assert_int_equal(snp_attest_report(NULL, rd, report, &err), HUSK_ERR_INVAL);
	assert_int_equal(tp.calls, 0);
	assert_true(snp_attest_usable(&chan));
}

static void test_report(void **state)
{
	uint8_t rd[SNP_REPORT_DATA_SIZE], report[SNP_REPORT_SIZE];
	struct snp_error err;

	(void)state;
	fill_rd(rd, 1);
	if (snp_attest_report(&chan, rd, report, &err) != HUSK_OK)
		fail_msg("snp_attest_report: %s", err.message);
	assert_int_equal(err.code, HUSK_OK);
	assert_string_equal(err.message, "");
	check_signed_report(report, rd);
	assert_int_equal(tp.calls, 1);
	assert_int_equal(psp.requests, 1);
	assert_int_equal(chan.msg.seqno, 2);
	assert_int_equal(psp.seqno[0], 2);
	assert_int_equal(chan.last_exitinfo2, 0);
	assert_int_equal(chan.last_fw_status, 0);

	/* What went to the host: MSG_REPORT_REQ under VMPCK0, sequence 1,
	 * REPORT_DATA not in clear. */
	assert_int_equal(tp.req_page[0x20], 1);
	assert_int_equal(tp.req_page[0x34], SNP_MSG_REPORT_REQ);
	assert_int_equal(tp.req_page[0x36], 0x60);
	assert_int_equal(tp.req_page[0x3c], 0);
	assert_memory_not_equal(tp.req_page + 0x60, rd, sizeof(rd));
	/* Nothing of the exchange stays in the channel. */
	assert_true(all_zero(chan.req, sizeof(chan.req)));
	assert_true(all_zero(chan.rsp, sizeof(chan.rsp)));
	assert_true(all_zero(chan.msg.scratch, sizeof(chan.msg.scratch)));
	assert_false(chan.msg.pending);
	assert_int_equal(chan.in_use, 0);
}

static void test_many_reports(void **state)
{
	uint8_t rd[SNP_REPORT_DATA_SIZE], report[SNP_REPORT_SIZE], prev_sig[72] = { 0 };
	struct snp_report r;

	(void)state;
	for (unsigned i = 0; i < 10; i++) {
		fill_rd(rd, 100 + i);
		assert_int_equal(snp_attest_report(&chan, rd, report, NULL), HUSK_OK);
		check_signed_report(report, rd);
		assert_int_equal(snp_report_parse(&r, report, sizeof(report), NULL), HUSK_OK);
		assert_memory_not_equal(r.signature.r, prev_sig, sizeof(prev_sig));
		memcpy(prev_sig, r.signature.r, sizeof(prev_sig));
		/* Request 2i + 1, response 2i + 2, on both sides. */
		assert_int_equal(tp.req_page[0x20], 2 * i + 1);
		assert_int_equal(tp.rsp_page[0x20], 2 * i + 2);
		assert_int_equal(chan.msg.seqno, 2ull * (i + 1));
		assert_int_equal(psp.seqno[0], 2ull * (i + 1));
	}
	assert_int_equal(psp.requests, 10);
	assert_int_equal(tp.calls, 10);
}

/* KEY_SEL and VMPCK choices and the PSP's STATUS answers (channel kept). */
static void test_key_sel_and_status(void **state)
{
	uint8_t rd[SNP_REPORT_DATA_SIZE], report[SNP_REPORT_SIZE];
	struct snp_report r;
	struct snp_error err;

	(void)state;
	fill_rd(rd, 5);
	/* No VLEK installed: KEY_SEL VLEK gets INVALID_KEY; the channel stays. */
	assert_int_equal(chan_init(0, 0, SNP_REPORT_KEY_SEL_VLEK), HUSK_OK);
	memset(report, 0xcc, sizeof(report));
	assert_int_equal(snp_attest_report(&chan, rd, report, &err), HUSK_ERR_IO);
	assert_non_null(strstr(err.message, "INVALID_KEY"));
	assert_int_equal(chan.last_fw_status, SNP_FW_INVALID_KEY);
	assert_int_equal(report[0], 0xcc);
	assert_true(snp_attest_usable(&chan));
	psp.vlek_installed = true;
	assert_int_equal(snp_attest_report(&chan, rd, report, &err), HUSK_OK);
	assert_int_equal(snp_report_parse(&r, report, sizeof(report), NULL), HUSK_OK);
	assert_int_equal(snp_report_signing_key(&r), SNP_SIGNING_KEY_VLEK);
	assert_int_equal(snp_verify_report(&r, psp.ark, psp.ark_len, psp.asvk, psp.asvk_len, psp.vlek, psp.vlek_len,
					   &err),
			 HUSK_OK);
	assert_int_equal(snp_report_vmpl(&r), 0);

	/* KEY_SEL default picks the VLEK when there is one. */
	psp.seqno[0] = 0;
	assert_int_equal(chan_init(0, 0, SNP_REPORT_KEY_SEL_DEFAULT), HUSK_OK);
	assert_int_equal(snp_attest_report(&chan, rd, report, &err), HUSK_OK);
	assert_int_equal(snp_report_parse(&r, report, sizeof(report), NULL), HUSK_OK);
	assert_int_equal(snp_report_signing_key(&r), SNP_SIGNING_KEY_VLEK);

	/* A VMPL1 key may not ask for the VMPL 0 report husk always asks for. */
	assert_int_equal(chan_init(1, 0, SNP_REPORT_KEY_SEL_VCEK), HUSK_OK);
	assert_int_equal(snp_attest_report(&chan, rd, report, &err), HUSK_ERR_IO);
	assert_int_equal(chan.last_fw_status, SNP_FW_INVALID_PARAM);
	assert_true(snp_attest_usable(&chan));
	assert_int_equal(psp.seqno[1], 2);
	assert_int_equal(chan.msg.seqno, 2);
}

/* BUSY: the identical bytes go again, up to busy_retries times. */
static void test_busy(void **state)
{
	uint8_t rd[SNP_REPORT_DATA_SIZE], report[SNP_REPORT_SIZE];
	struct snp_error err;

	(void)state;
	fill_rd(rd, 7);
	tp.busy = 3;
	assert_int_equal(snp_attest_report(&chan, rd, report, &err), HUSK_OK);
	check_signed_report(report, rd);
	assert_int_equal(tp.calls, 4);
	assert_int_equal(chan.last_busy, 3);
	assert_false(tp.resend_differs);
	assert_int_equal(psp.requests, 1);
	assert_int_equal(chan.msg.seqno, 2);

	/* Exactly busy_retries BUSY answers still succeed. */
	tp.calls = 0;
	tp.busy = SNP_ATTEST_BUSY_RETRIES;
	assert_int_equal(snp_attest_report(&chan, rd, report, &err), HUSK_OK);
	assert_int_equal(tp.calls, SNP_ATTEST_BUSY_RETRIES + 1);
	assert_false(tp.resend_differs);

	/* One more, and the channel gives up: the request was exposed. */
	tp.calls = 0;
	tp.busy = SNP_ATTEST_BUSY_RETRIES + 1;
	assert_int_equal(snp_attest_report(&chan, rd, report, &err), HUSK_ERR_TIMEOUT);
	assert_non_null(strstr(err.message, "BUSY 17 times"));
	assert_int_equal(tp.calls, SNP_ATTEST_BUSY_RETRIES + 1);
	assert_int_equal(chan.last_exitinfo2, 2ull << 32);
	assert_false(snp_attest_usable(&chan));

	/* A smaller bound. */
	assert_int_equal(chan_init(0, psp.seqno[0], SNP_REPORT_KEY_SEL_VCEK), HUSK_OK);
	chan.busy_retries = 0;
	tp.calls = 0;
	tp.busy = 1;
	assert_int_equal(snp_attest_report(&chan, rd, report, &err), HUSK_ERR_TIMEOUT);
	assert_int_equal(tp.calls, 1);
	assert_false(snp_attest_usable(&chan));
}

struct fault_case {
	const char *name;
	enum snp_model_fault fault;
	int rc;
	bool retired;
	const char *message; /* a substring of the error message */
};

/* Every fault the PSP model injects (BUSY: test_busy). */
static const struct fault_case fault_cases[] = {
	{ "bad_tag", SNP_MODEL_FAULT_BAD_TAG, HUSK_ERR_CRYPTO, true, "does not authenticate" },
	{ "bad_ciphertext", SNP_MODEL_FAULT_BAD_CIPHERTEXT, HUSK_ERR_CRYPTO, true, "does not authenticate" },
	{ "bad_aad", SNP_MODEL_FAULT_BAD_AAD, HUSK_ERR_CRYPTO, true, "does not authenticate" },
	{ "wrong_key", SNP_MODEL_FAULT_WRONG_KEY, HUSK_ERR_CRYPTO, true, "does not authenticate" },
	{ "wrong_seqno", SNP_MODEL_FAULT_WRONG_SEQNO, HUSK_ERR_CRYPTO, true, "sequence number 6, expected 4" },
	{ "replay", SNP_MODEL_FAULT_REPLAY, HUSK_ERR_CRYPTO, true, "sequence number 2, expected 4" },
	/* The shared page still holds the previous response. */
	{ "drop", SNP_MODEL_FAULT_DROP, HUSK_ERR_CRYPTO, true, "sequence number 2, expected 4" },
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

/* After a failure: a retired channel refuses without reaching the host; a
 * kept one makes the next report. */
static void check_after_failure(bool retired, uint64_t seqno_before)
{
	uint8_t rd[SNP_REPORT_DATA_SIZE], report[SNP_REPORT_SIZE];
	unsigned calls = tp.calls, requests = psp.requests;
	struct snp_error err;

	fill_rd(rd, 77);
	assert_int_equal(snp_attest_usable(&chan), !retired);
	assert_true(all_zero(chan.req, sizeof(chan.req)));
	assert_true(all_zero(chan.rsp, sizeof(chan.rsp)));
	assert_true(all_zero(chan.msg.scratch, sizeof(chan.msg.scratch)));
	assert_int_equal(chan.in_use, 0);
	if (retired) {
		assert_true(all_zero(chan.msg.vmpck, sizeof(chan.msg.vmpck)));
		assert_int_equal(snp_attest_report(&chan, rd, report, &err), HUSK_ERR_INVAL);
		assert_non_null(strstr(err.message, "retired"));
		assert_int_equal(tp.calls, calls);
		assert_int_equal(psp.requests, requests);
	} else {
		assert_int_equal(chan.msg.seqno, seqno_before + 2);
		assert_int_equal(snp_attest_report(&chan, rd, report, &err), HUSK_OK);
		check_signed_report(report, rd);
		assert_int_equal(chan.msg.seqno, seqno_before + 4);
	}
}

static void test_model_faults(void **state)
{
	uint8_t rd[SNP_REPORT_DATA_SIZE], report[SNP_REPORT_SIZE];

	(void)state;
	for (size_t i = 0; i < sizeof(fault_cases) / sizeof(fault_cases[0]); i++) {
		const struct fault_case *fc = &fault_cases[i];
		struct snp_error err;
		int rc;

		/* A fresh PSP and channel, one good exchange first (for REPLAY). */
		snp_psp_model_free(&psp);
		assert_int_equal(snp_psp_model_init(&psp), 0);
		memset(&tp, 0, sizeof(tp));
		assert_int_equal(chan_init(0, 0, SNP_REPORT_KEY_SEL_VCEK), HUSK_OK);
		fill_rd(rd, (unsigned)i);
		assert_int_equal(snp_attest_report(&chan, rd, report, NULL), HUSK_OK);

		memset(report, 0xcc, sizeof(report));
		snp_psp_model_inject(&psp, fc->fault);
		rc = snp_attest_report(&chan, rd, report, &err);
		if (rc != fc->rc || err.code != rc || !strstr(err.message, fc->message))
			fail_msg("fault %s: rc %d (want %d), message \"%s\" (want \"%s\")", fc->name, rc, fc->rc,
				 err.message, fc->message);
		assert_int_equal(report[0], 0xcc); /* nothing copied out */
		assert_int_equal(report[SNP_REPORT_SIZE - 1], 0xcc);
		check_after_failure(fc->retired, 2);
	}
}

/* Failures of the exit itself: all after the request left husk, so all
 * retire the channel. */
static void test_exit_failures(void **state)
{
	static const struct {
		const char *name;
		int fail;
		uint64_t exitinfo2;
		bool short_rsp, long_rsp;
		int rc;
		const char *message;
	} cases[] = {
		{ "transport", HUSK_ERR_IO, 0, false, false, HUSK_ERR_IO, "exit failed (I/O error)" },
		{ "transport_nomem", HUSK_ERR_NOMEM, 0, false, false, HUSK_ERR_IO, "exit failed (out of memory)" },
		{ "vmm_error", 0, 3ull << 32, false, false, HUSK_ERR_IO, "VMM error 3" },
		{ "invalid_len", 0, 1ull << 32, false, false, HUSK_ERR_IO, "VMM error 1" },
		{ "fw_error", 0, SNP_FW_INVALID_PARAM, false, false, HUSK_ERR_IO, "firmware status 0x16" },
		{ "short_rsp", 0, 0, true, false, HUSK_ERR_FORMAT, "64 bytes cannot hold a header" },
		{ "long_rsp", 0, 0, false, true, HUSK_ERR_IO, "1313 bytes into a 1312-byte buffer" },
	};
	uint8_t rd[SNP_REPORT_DATA_SIZE], report[SNP_REPORT_SIZE];

	(void)state;
	fill_rd(rd, 3);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct snp_error err;
		int rc;

		memset(&tp, 0, sizeof(tp));
		assert_int_equal(chan_init(0, psp.seqno[0], SNP_REPORT_KEY_SEL_VCEK), HUSK_OK);
		tp.fail = cases[i].fail;
		tp.exitinfo2 = cases[i].exitinfo2;
		tp.short_rsp = cases[i].short_rsp;
		tp.long_rsp = cases[i].long_rsp;
		memset(report, 0xcc, sizeof(report));
		rc = snp_attest_report(&chan, rd, report, &err);
		if (rc != cases[i].rc || err.code != rc || !strstr(err.message, cases[i].message))
			fail_msg("%s: rc %d (want %d), message \"%s\" (want \"%s\")", cases[i].name, rc, cases[i].rc,
				 err.message, cases[i].message);
		assert_non_null(strstr(err.message, "VMPCK0 retired"));
		assert_int_equal(tp.calls, 1);
		assert_int_equal(report[0], 0xcc);
		if (cases[i].exitinfo2)
			assert_int_equal(chan.last_exitinfo2, cases[i].exitinfo2);
		check_after_failure(true, 0);
	}

	/* The PSP itself refusing: husk out of step with it (the model's
	 * firmware status in SW_EXITINFO2, nothing consumed). */
	memset(&tp, 0, sizeof(tp));
	assert_int_equal(chan_init(0, psp.seqno[0] + 2, SNP_REPORT_KEY_SEL_VCEK), HUSK_OK);
	struct snp_error err;

	assert_int_equal(snp_attest_report(&chan, rd, report, &err), HUSK_ERR_IO);
	assert_non_null(strstr(err.message, "firmware status 0x16"));
	assert_int_equal(chan.last_exitinfo2, SNP_FW_INVALID_PARAM);
	check_after_failure(true, 0);
}

static void test_seqno_exhaustion(void **state)
{
	uint8_t rd[SNP_REPORT_DATA_SIZE], report[SNP_REPORT_SIZE];
	struct snp_error err;

	(void)state;
	fill_rd(rd, 11);
	psp.seqno[0] = UINT64_MAX - 3;
	assert_int_equal(chan_init(0, UINT64_MAX - 3, SNP_REPORT_KEY_SEL_VCEK), HUSK_OK);
	assert_int_equal(snp_attest_report(&chan, rd, report, &err), HUSK_OK);
	check_signed_report(report, rd);
	assert_int_equal(snp_attest_report(&chan, rd, report, &err), HUSK_ERR_RANGE);
	assert_non_null(strstr(err.message, "used up"));
	assert_int_equal(tp.calls, 1); /* nothing sent */
}

/* A second caller while one is inside the transport is turned away. */
static void test_reentry(void **state)
{
	uint8_t rd[SNP_REPORT_DATA_SIZE], report[SNP_REPORT_SIZE];

	(void)state;
	fill_rd(rd, 12);
	tp.reenter = true;
	assert_int_equal(snp_attest_report(&chan, rd, report, NULL), HUSK_OK);
	assert_int_equal(tp.reenter_rc, HUSK_ERR_BUSY);
	check_signed_report(report, rd);
	assert_int_equal(tp.calls, 1);
	assert_int_equal(snp_attest_report(&chan, rd, report, NULL), HUSK_OK);
}

/* ---- the whole SVSM path: guest -> lib/svsm -> channel -> PSP model ---- */

#define SERVICES SVSM_CALL(SVSM_PROTOCOL_ATTEST, SVSM_ATTEST_SERVICES)
#define SINGLE   SVSM_CALL(SVSM_PROTOCOL_ATTEST, SVSM_ATTEST_SINGLE_SERVICE)
#define REQ      0x1008ull
#define REPORT   0x10000ull
#define MANIFEST 0x11000ull
#define NONCE    0x12000ull
#define CERTS    0x20000ull
#define MAN_LEN  (SVSM_MANIFEST_HDR_SIZE + SVSM_MANIFEST_ENTRY_SIZE + MODEL_EK_LEN)

static const uint8_t guid_vtpm[16] = SVSM_GUID_VTPM_SERVICE;

static struct {
	unsigned calls;
	int last_rc;
	struct snp_error err;
} op;

/* What the snp platform's attest_report op will do: the report from the
 * PSP through the channel; no certificates (a plain guest request has
 * none); any failure is ATTEST_FAILED. */
static uint32_t snp_attest_op(void *ctx, const uint8_t report_data[64], uint8_t *report, uint64_t certs_gpa,
			      uint32_t certs_cap, uint32_t *certs_len)
{
	(void)ctx;
	(void)certs_gpa;
	(void)certs_cap;
	op.calls++;
	*certs_len = 0;
	op.last_rc = snp_attest_report(&chan, report_data, report, &op.err);
	return op.last_rc == HUSK_OK ? SVSM_SUCCESS : SVSM_ERR_ATTEST_FAILED;
}

static int setup_svsm_path(void **state)
{
	if (setup_snp(state) != 0)
		return -1;
	memset(&op, 0, sizeof(op));
	m->ops.attest_report = snp_attest_op;
	return 0;
}

static uint32_t attest(bool single, uint64_t nonce_gpa, uint16_t nonce_size, uint32_t certs_size,
		       struct svsm_regs *out)
{
	uint8_t b[SVSM_ATTEST_SINGLE_REQ_SIZE] = { 0 };
	uint64_t report = REPORT, manifest = MANIFEST, certs = CERTS;
	uint32_t report_size = 4096, manifest_size = 4096;
	struct svsm_regs r;

	memcpy(b + SVSM_ATTEST_REPORT_GPA, &report, 8);
	memcpy(b + SVSM_ATTEST_REPORT_SIZE_OFF, &report_size, 4);
	memcpy(b + SVSM_ATTEST_NONCE_GPA, &nonce_gpa, 8);
	memcpy(b + SVSM_ATTEST_NONCE_SIZE_OFF, &nonce_size, 2);
	memcpy(b + SVSM_ATTEST_MANIFEST_GPA, &manifest, 8);
	memcpy(b + SVSM_ATTEST_MANIFEST_SIZE_OFF, &manifest_size, 4);
	memcpy(b + SVSM_ATTEST_CERTS_GPA, &certs, 8);
	memcpy(b + SVSM_ATTEST_CERTS_SIZE_OFF, &certs_size, 4);
	if (single)
		memcpy(b + SVSM_ATTEST_GUID, guid_vtpm, 16);
	svsm_model_poke(m, REQ, b, single ? SVSM_ATTEST_SINGLE_REQ_SIZE : SVSM_ATTEST_REQ_SIZE);
	assert_int_equal(svsm_model_call(m, 0, single ? SINGLE : SERVICES, REQ, ~0ull, ~0ull, 7, &r), SVSM_RESUME);
	if (out)
		*out = r;
	return (uint32_t)r.rax;
}

static void put_nonce(uint64_t gpa, size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++) {
		uint8_t v = (uint8_t)(i * 13 + seed);

		svsm_model_poke(m, gpa + i, &v, 1);
	}
}

/* SHA-512(nonce || manifest), both as the guest has them. */
static void expected_report_data(uint64_t nonce_gpa, size_t nonce_len, size_t man_len, uint8_t out[64])
{
	static uint8_t nonce[4096], man[4096];
	mbedtls_sha512_context h;

	svsm_model_peek(m, nonce_gpa, nonce, nonce_len);
	svsm_model_peek(m, MANIFEST, man, man_len);
	mbedtls_sha512_init(&h);
	assert_int_equal(mbedtls_sha512_starts(&h, 0), 0);
	assert_int_equal(mbedtls_sha512_update(&h, nonce, nonce_len), 0);
	assert_int_equal(mbedtls_sha512_update(&h, man, man_len), 0);
	assert_int_equal(mbedtls_sha512_finish(&h, out), 0);
	mbedtls_sha512_free(&h);
}

/* The guest's report buffer holds a signed report over rd. */
static void check_guest_report(const uint8_t rd[64])
{
	uint8_t rep[SNP_REPORT_SIZE];

	svsm_model_peek(m, REPORT, rep, sizeof(rep));
	check_signed_report(rep, rd);
}

static void test_svsm_services(void **state)
{
	struct svsm_regs r;
	uint8_t rd[64];

	(void)state;
	put_nonce(NONCE, 64, 7);
	assert_int_equal(attest(false, NONCE, 64, 0, &r), SVSM_SUCCESS);
	assert_int_equal(r.rcx, MAN_LEN);
	assert_int_equal(r.rdx, 0);
	assert_int_equal(r.r8, SVSM_ATTEST_REPORT_BYTES);
	assert_int_equal(op.calls, 1);
	assert_int_equal(psp.requests, 1);
	expected_report_data(NONCE, 64, MAN_LEN, rd);
	check_guest_report(rd);

	/* Another nonce, another report; sizes that cross pages; the
	 * certificate buffer stays empty (RDX 0). */
	put_nonce(NONCE + 4096 - 100, 300, 9);
	assert_int_equal(attest(false, NONCE + 4096 - 100, 300, 4096, &r), SVSM_SUCCESS);
	assert_int_equal(r.rdx, 0);
	expected_report_data(NONCE + 4096 - 100, 300, MAN_LEN, rd);
	check_guest_report(rd);
	/* An empty nonce binds the manifest alone. */
	assert_int_equal(attest(false, NONCE, 0, 0, &r), SVSM_SUCCESS);
	expected_report_data(NONCE, 0, MAN_LEN, rd);
	check_guest_report(rd);
	assert_int_equal(psp.requests, 3);
	assert_int_equal(chan.msg.seqno, 6);
}

static void test_svsm_single(void **state)
{
	struct svsm_regs r;
	uint8_t rd[64];

	(void)state;
	put_nonce(NONCE, 32, 1);
	assert_int_equal(attest(true, NONCE, 32, 0, &r), SVSM_SUCCESS);
	assert_int_equal(r.rcx, MODEL_EK_LEN);
	assert_int_equal(r.r8, SVSM_ATTEST_REPORT_BYTES);
	expected_report_data(NONCE, 32, MODEL_EK_LEN, rd);
	check_guest_report(rd);
	assert_int_equal(op.calls, 1);
}

static void test_svsm_psp_failures(void **state)
{
	uint8_t rd[64], before[SNP_REPORT_SIZE], after[SNP_REPORT_SIZE];
	struct svsm_regs r;

	(void)state;
	put_nonce(NONCE, 64, 3);
	assert_int_equal(attest(false, NONCE, 64, 0, NULL), SVSM_SUCCESS);
	svsm_model_peek(m, REPORT, before, sizeof(before));

	/* A firmware STATUS: the guest sees ATTEST_FAILED, its report buffer is
	 * untouched, the channel stays and the next call works. */
	put_nonce(NONCE, 64, 4);
	snp_psp_model_inject(&psp, SNP_MODEL_FAULT_FW_STATUS);
	assert_int_equal(attest(false, NONCE, 64, 0, &r), SVSM_ERR_ATTEST_FAILED);
	assert_int_equal(r.rax, 0x80001000u);
	assert_int_equal(r.rcx, MAN_LEN); /* the sizes, as on every result from there on */
	assert_int_equal(r.r8, SVSM_ATTEST_REPORT_BYTES);
	assert_int_equal(op.last_rc, HUSK_ERR_IO);
	svsm_model_peek(m, REPORT, after, sizeof(after));
	assert_memory_equal(before, after, sizeof(after));
	assert_true(snp_attest_usable(&chan));
	assert_int_equal(attest(true, NONCE, 64, 0, NULL), SVSM_SUCCESS);
	expected_report_data(NONCE, 64, MODEL_EK_LEN, rd);
	check_guest_report(rd);

	/* BUSY is absorbed below the guest. */
	tp.busy = 2;
	assert_int_equal(attest(false, NONCE, 64, 0, NULL), SVSM_SUCCESS);
	expected_report_data(NONCE, 64, MAN_LEN, rd);
	check_guest_report(rd);

	/* A forged response retires VMPCK0: this and every later report fail,
	 * without another guest request reaching the host. */
	svsm_model_peek(m, REPORT, before, sizeof(before));
	snp_psp_model_inject(&psp, SNP_MODEL_FAULT_BAD_TAG);
	assert_int_equal(attest(false, NONCE, 64, 0, NULL), SVSM_ERR_ATTEST_FAILED);
	assert_int_equal(op.last_rc, HUSK_ERR_CRYPTO);
	assert_false(snp_attest_usable(&chan));
	unsigned calls = tp.calls, requests = psp.requests;

	assert_int_equal(attest(true, NONCE, 64, 0, NULL), SVSM_ERR_ATTEST_FAILED);
	assert_int_equal(attest(false, NONCE, 64, 0, NULL), SVSM_ERR_ATTEST_FAILED);
	assert_int_equal(op.last_rc, HUSK_ERR_INVAL);
	assert_non_null(strstr(op.err.message, "retired"));
	assert_int_equal(tp.calls, calls);
	assert_int_equal(psp.requests, requests);
	svsm_model_peek(m, REPORT, after, sizeof(after));
	assert_memory_equal(before, after, sizeof(after));

	/* husk keeps answering: the core and vTPM protocols, and the
	 * attestation protocol's own checks. */
	svsm_model_call(m, 0, SVSM_CALL(0, SVSM_CORE_QUERY_PROTOCOL), 1ull << 32 | 1, 0, 0, 0, &r);
	assert_int_equal(r.rax, SVSM_SUCCESS);
	assert_int_equal(r.rcx, 1ull << 32 | 1);
	svsm_model_call(m, 0, SVSM_CALL(2, SVSM_VTPM_QUERY), 0, 0, 0, 0, &r);
	assert_int_equal(r.rax, SVSM_SUCCESS);
	assert_int_equal(attest(false, NONCE, SVSM_ATTEST_NONCE_MAX + 1, 0, NULL), SVSM_ERR_INVALID_PARAMETER);
	svsm_model_call(m, 0, SERVICES, MODEL_HUSK_BASE, 0, 0, 0, &r);
	assert_int_equal(r.rax, SVSM_ERR_INVALID_ADDRESS);
}

/* An exit the host fails (here: BUSY for ever) also surfaces as ATTEST_FAILED. */
static void test_svsm_host_busy(void **state)
{
	(void)state;
	put_nonce(NONCE, 16, 5);
	tp.busy = 1000;
	assert_int_equal(attest(false, NONCE, 16, 0, NULL), SVSM_ERR_ATTEST_FAILED);
	assert_int_equal(op.last_rc, HUSK_ERR_TIMEOUT);
	tp.busy = 0;
	assert_int_equal(attest(false, NONCE, 16, 0, NULL), SVSM_ERR_ATTEST_FAILED);
	assert_int_equal(psp.requests, 0);
}

/* ---- the report as Trustee evidence ---- */

static void test_evidence(void **state)
{
	static char json[SNP_EVIDENCE_JSON_MAX(SNP_VEK_MAX_DER_SIZE)];
	static const char head[] = "{\"attestation_report\":{\"version\":3,";
	char want[64 * 4 + 32], *p = want;
	uint8_t rd[64], rep[SNP_REPORT_SIZE];
	struct snp_report r;
	struct snp_error err;
	size_t len = 0;

	(void)state;
	put_nonce(NONCE, 64, 21);
	assert_int_equal(attest(false, NONCE, 64, 0, NULL), SVSM_SUCCESS);
	expected_report_data(NONCE, 64, MAN_LEN, rd);
	svsm_model_peek(m, REPORT, rep, sizeof(rep));
	assert_int_equal(snp_report_parse(&r, rep, sizeof(rep), NULL), HUSK_OK);
	if (snp_evidence_write(&r, psp.vcek, psp.vcek_len, SNP_VEK_VCEK, json, sizeof(json), &len, &err) != HUSK_OK)
		fail_msg("snp_evidence_write: %s", err.message);
	assert_int_equal(strlen(json), len);
	assert_true(strncmp(json, head, strlen(head)) == 0);
	assert_non_null(strstr(json, ",\"vmpl\":0,"));
	p += sprintf(p, "\"report_data\":[");
	for (int i = 0; i < 64; i++)
		p += sprintf(p, "%s%u", i ? "," : "", rd[i]);
	sprintf(p, "],");
	assert_non_null(strstr(json, want));
	assert_non_null(strstr(json, "\"cert_chain\":[{\"cert_type\":\"VCEK\",\"data\":[48,130,"));
	assert_int_equal(json[len - 1], '}');
}

#define T(f)  cmocka_unit_test_setup_teardown(f, setup_snp, teardown_snp)
#define TS(f) cmocka_unit_test_setup_teardown(f, setup_svsm_path, teardown_snp)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_init),
		T(test_report),
		T(test_many_reports),
		T(test_key_sel_and_status),
		T(test_busy),
		T(test_model_faults),
		T(test_exit_failures),
		T(test_seqno_exhaustion),
		T(test_reentry),
		TS(test_svsm_services),
		TS(test_svsm_single),
		TS(test_svsm_psp_failures),
		TS(test_svsm_host_busy),
		TS(test_evidence),
	};

	return cmocka_run_group_tests_name("snp_attest", tests, NULL, NULL);
}
