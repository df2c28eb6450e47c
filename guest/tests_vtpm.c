/* Conformance, suite "vtpm": VTPM_QUERY, TPM commands through VTPM_CMD
 * (Startup, GetRandom, PCR reset/extend/read checked against SHA-256
 * computed here) and every refusal row of docs/svsm.md "VTPM_CMD". */
#include <string.h>

#include "fmt/fmt.h"
#include "gtest.h"

#define VTPM(c) SVSM_CALL(SVSM_PROTOCOL_VTPM, (c))
#define PCR_DEBUG 16u

static uint8_t cmd[SVSM_VTPM_BUFFER_SIZE];
static uint8_t rsp[SVSM_VTPM_BUFFER_SIZE];

static uint64_t buf_gpa(void) { return (uint64_t)(uintptr_t)guest_vtpm_buf; }

static bool tpm_ok(struct gt *t, const char *what, uint32_t len, uint32_t *rc_out, uint64_t at)
{
	uint32_t rsp_len = 0, rc, trc;

	rc = vtpm_send(at, SVSM_VTPM_PLATFORM_SEND_COMMAND, 0, cmd, len, rsp, sizeof(rsp), &rsp_len);
	if (!gt_expect_rc(t, what, rc, SVSM_SUCCESS))
		return false;
	trc = tpm_rsp_rc(rsp, rsp_len);
	if (trc == ~0u) {
		gt_fail(t, "%s: malformed TPM response (%u bytes)", what, rsp_len);
		return false;
	}
	if (rc_out)
		*rc_out = trc;
	else if (trc != TPM_RC_SUCCESS) {
		gt_fail(t, "%s: TPM response code 0x%x", what, trc);
		return false;
	}
	return true;
}

static void t_query(struct gt *t, const void *arg)
{
	struct svsm_regs r;

	if (gt_call(t, "VTPM_QUERY", VTPM(SVSM_VTPM_QUERY), 0, 0, 0, SVSM_SUCCESS, &r))
		GT_EXPECT(t, r.rcx == 0x100 && r.rdx == 0, "RCX 0x%llx RDX 0x%llx, expected 0x100 0",
			  (unsigned long long)r.rcx, (unsigned long long)r.rdx);
}

static void t_startup(struct gt *t, const void *arg)
{
	uint32_t trc;

	if (tpm_ok(t, "TPM2_Startup(CLEAR)", tpm_build_startup_clear(cmd), &trc, buf_gpa()))
		GT_EXPECT(t, trc == TPM_RC_SUCCESS || trc == TPM_RC_INITIALIZE,
			  "TPM2_Startup: 0x%x, expected SUCCESS or INITIALIZE", trc);
}

static uint8_t random1[16];

static void t_get_random(struct gt *t, const void *arg)
{
	if (!tpm_ok(t, "TPM2_GetRandom(16)", tpm_build_get_random(cmd, 16), NULL, buf_gpa()))
		return;
	GT_EXPECT(t, get_be32(rsp + 2) == 28 && get_be16(rsp + 10) == 16,
		  "GetRandom response of %u bytes with %u random bytes", get_be32(rsp + 2),
		  get_be16(rsp + 10));
	memcpy(random1, rsp + 12, 16);
}

static void t_get_random_differs(struct gt *t, const void *arg)
{
	if (tpm_ok(t, "TPM2_GetRandom(16)", tpm_build_get_random(cmd, 16), NULL, buf_gpa()))
		GT_EXPECT(t, memcmp(random1, rsp + 12, 16) != 0, "two GetRandom answers are equal");
}

static void t_sha256(struct gt *t, const void *arg)
{
	static const uint8_t abc[32] = {
		0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
		0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad,
	};
	uint8_t d[32];

	sha256("abc", 3, d);
	GT_EXPECT(t, memcmp(d, abc, 32) == 0, "the guest's SHA-256 of \"abc\" is wrong");
}

static uint8_t pcr_expect[32];

static bool pcr_read(struct gt *t, uint8_t out[32])
{
	if (!tpm_ok(t, "TPM2_PCR_Read(sha256:16)", tpm_build_pcr_read_sha256(cmd, PCR_DEBUG), NULL,
		    buf_gpa()))
		return false;
	if (!tpm_pcr_read_digest(rsp, get_be32(rsp + 2), out)) {
		gt_fail(t, "malformed PCR_Read response");
		return false;
	}
	return true;
}

static void t_pcr_reset(struct gt *t, const void *arg)
{
	uint8_t v[32];

	if (!tpm_ok(t, "TPM2_PCR_Reset(16)", tpm_build_pcr_reset(cmd, PCR_DEBUG), NULL, buf_gpa()))
		return;
	memset(pcr_expect, 0, sizeof(pcr_expect));
	if (pcr_read(t, v))
		GT_EXPECT(t, memcmp(v, pcr_expect, 32) == 0, "PCR 16 is not zero after a reset");
}

/* Extend with SHA-256(text): the PCR becomes SHA-256(old || digest). */
static void t_pcr_extend(struct gt *t, const void *arg)
{
	const char *text = arg;
	uint8_t digest[32], both[64], v[32];
	char hex[65];

	sha256(text, strlen(text), digest);
	if (!tpm_ok(t, "TPM2_PCR_Extend(16)", tpm_build_pcr_extend_sha256(cmd, PCR_DEBUG, digest),
		    NULL, buf_gpa()))
		return;
	memcpy(both, pcr_expect, 32);
	memcpy(both + 32, digest, 32);
	sha256(both, 64, pcr_expect);
	if (!pcr_read(t, v))
		return;
	fmt_hex(hex, v, 32);
	gt_diag("PCR 16 = %s", hex);
	if (memcmp(v, pcr_expect, 32) != 0) {
		fmt_hex(hex, pcr_expect, 32);
		gt_fail(t, "PCR 16 expected %s", hex);
	}
}

static void t_unknown_command(struct gt *t, const void *arg)
{
	uint32_t trc;
	uint32_t n = tpm_build_get_random(cmd, 8);

	put_be32(cmd + 6, 0x0000ffff);
	if (tpm_ok(t, "unknown command code", n, &trc, buf_gpa()))
		GT_EXPECT(t, trc != TPM_RC_SUCCESS, "the vTPM accepted command code 0xffff");
}

static void t_size_4087(struct gt *t, const void *arg)
{
	uint32_t trc;

	memset(cmd, 0, SVSM_VTPM_CMD_MAX);
	tpm_build_get_random(cmd, 8);
	put_be32(cmd + 2, SVSM_VTPM_CMD_MAX);
	tpm_ok(t, "a 4087-byte command", SVSM_VTPM_CMD_MAX, &trc, buf_gpa());
}

/* ---- refusals ---- */

enum vb { VB_BUF, VB_ZERO, VB_HUSK, VB_INTO_HUSK, VB_HUSK_END, VB_BEYOND, VB_MMIO };

struct vt_case {
	uint32_t platform;
	uint8_t locality;
	uint32_t size; /* 0: the command's own */
	enum vb at;
	uint32_t want;
};

static void t_refused(struct gt *t, const void *arg)
{
	const struct vt_case *c = arg;
	uint32_t n = tpm_build_get_random(cmd, 8), rc;

	switch (c->at) {
	case VB_BUF:
		rc = vtpm_send(buf_gpa(), c->platform, c->locality, cmd, c->size ? c->size : n, NULL,
			       0, NULL);
		break;
	case VB_ZERO:
		rc = svsm_call(VTPM(SVSM_VTPM_CMD), 0, 0, 0, NULL);
		break;
	default: {
		/* Memory the guest cannot (or should not) write: only RCX. */
		uint64_t gpa = c->at == VB_HUSK ? ginfo.svsm_base :
			       c->at == VB_INTO_HUSK ? ginfo.svsm_base - 2048 :
			       c->at == VB_HUSK_END ? ginfo.svsm_base + ginfo.svsm_size - 8 :
			       c->at == VB_BEYOND ? GUEST_GPA_BEYOND : GUEST_GPA_MMIO;

		rc = svsm_call(VTPM(SVSM_VTPM_CMD), gpa, 0, 0, NULL);
		break;
	}
	}
	gt_expect_rc(t, "VTPM_CMD", rc, c->want);
	gt_alive(t, "VTPM_CMD");
}

static void t_buffer_at(struct gt *t, const void *arg)
{
	const uint32_t *off = arg;

	if (tpm_ok(t, "TPM2_GetRandom(8)", tpm_build_get_random(cmd, 8), NULL, buf_gpa() + *off))
		GT_EXPECT(t, get_be32(rsp + 2) == 20, "GetRandom response of %u bytes",
			  get_be32(rsp + 2));
}

/* The guest cannot power-cycle the vTPM: PCRs keep their values and the
 * TPM stays started. */
static void t_power_cycle_refused(struct gt *t, const void *arg)
{
	uint8_t before[32], after[32];
	uint32_t trc;

	if (!pcr_read(t, before))
		return;
	gt_expect_rc(t, "POWER_OFF", vtpm_send(buf_gpa(), 2, 0, NULL, 0, NULL, 0, NULL),
		     SVSM_ERR_UNSUPPORTED_CALL);
	gt_expect_rc(t, "POWER_ON", vtpm_send(buf_gpa(), 1, 0, NULL, 0, NULL, 0, NULL),
		     SVSM_ERR_UNSUPPORTED_CALL);
	if (pcr_read(t, after))
		GT_EXPECT(t, memcmp(before, after, 32) == 0, "PCR 16 changed");
	if (tpm_ok(t, "TPM2_Startup(CLEAR)", tpm_build_startup_clear(cmd), &trc, buf_gpa()))
		GT_EXPECT(t, trc == TPM_RC_INITIALIZE,
			  "TPM2_Startup answered 0x%x: the TPM was reset", trc);
}

#define UC SVSM_ERR_UNSUPPORTED_CALL
#define IP SVSM_ERR_INVALID_PARAMETER
#define IA SVSM_ERR_INVALID_ADDRESS
static const struct vt_case
	p1 = { 1, 0, 0, VB_BUF, UC }, p2 = { 2, 0, 0, VB_BUF, UC }, p5 = { 5, 0, 0, VB_BUF, UC },
	p7 = { 7, 0, 0, VB_BUF, UC }, p9 = { 9, 0, 0, VB_BUF, UC }, p17 = { 17, 0, 0, VB_BUF, UC },
	p18 = { 18, 0, 0, VB_BUF, UC }, p20 = { 20, 0, 0, VB_BUF, UC },
	p21 = { 21, 0, 0, VB_BUF, UC }, p19 = { 19, 0, 0, VB_BUF, IP },
	p25 = { 25, 0, 0, VB_BUF, UC }, p26 = { 26, 0, 0, VB_BUF, UC },
	p30 = { 30, 0, 0, VB_BUF, UC }, p35 = { 35, 0, 0, VB_BUF, UC },
	p36 = { 36, 0, 0, VB_BUF, UC }, p0 = { 0, 0, 0, VB_BUF, IP }, p22 = { 22, 0, 0, VB_BUF, IP },
	p27 = { 27, 0, 0, VB_BUF, IP }, p31 = { 31, 0, 0, VB_BUF, IP },
	p37 = { 37, 0, 0, VB_BUF, IP }, p99 = { 99, 0, 0, VB_BUF, IP },
	p8000 = { 0x8000, 0, 0, VB_BUF, IP }, pmax = { 0xffffffffu, 0, 0, VB_BUF, IP },
	loc1 = { 8, 1, 0, VB_BUF, IP }, loc3 = { 8, 3, 0, VB_BUF, IP },
	loc4 = { 8, 4, 0, VB_BUF, IP }, loc255 = { 8, 255, 0, VB_BUF, IP },
	s4088 = { 8, 0, 4088, VB_BUF, IP }, s4096 = { 8, 0, 4096, VB_BUF, IP },
	smax = { 8, 0, 0xffffffffu, VB_BUF, IP },
	rcx0 = { 8, 0, 0, VB_ZERO, IP }, husk = { 8, 0, 0, VB_HUSK, IA },
	into_husk = { 8, 0, 0, VB_INTO_HUSK, IA }, husk_end = { 8, 0, 0, VB_HUSK_END, IA },
	beyond = { 8, 0, 0, VB_BEYOND, IA }, mmio = { 8, 0, 0, VB_MMIO, IA };
#undef UC
#undef IP
#undef IA

static const uint32_t off_cross = 0xffe, off_odd = 0x1001, off_page = 0x1000;

static const struct gt_case vtpm_cases[] = {
	{ "vtpm_query_send_command_only", t_query, NULL },
	{ "startup_clear", t_startup, NULL },
	{ "get_random_16", t_get_random, NULL },
	{ "get_random_differs", t_get_random_differs, NULL },
	{ "guest_sha256_known_answer", t_sha256, NULL },
	{ "pcr16_reset_reads_zero", t_pcr_reset, NULL },
	{ "pcr16_extend_read_expected", t_pcr_extend, "husk test guest" },
	{ "pcr16_extend_again_chains", t_pcr_extend, "second event" },
	{ "unknown_tpm_command_error_in_response", t_unknown_command, NULL },
	{ "command_size_4087_accepted", t_size_4087, NULL },
	{ "buffer_crossing_page_boundary", t_buffer_at, &off_cross },
	{ "buffer_odd_address", t_buffer_at, &off_odd },
	{ "buffer_page_aligned", t_buffer_at, &off_page },
	{ "platform_1_power_on_unsupported_call", t_refused, &p1 },
	{ "platform_2_power_off_unsupported_call", t_refused, &p2 },
	{ "platform_5_hash_start_unsupported_call", t_refused, &p5 },
	{ "platform_7_hash_end_unsupported_call", t_refused, &p7 },
	{ "platform_9_cancel_on_unsupported_call", t_refused, &p9 },
	{ "platform_17_reset_unsupported_call", t_refused, &p17 },
	{ "platform_18_restart_unsupported_call", t_refused, &p18 },
	{ "platform_20_session_end_unsupported_call", t_refused, &p20 },
	{ "platform_21_stop_unsupported_call", t_refused, &p21 },
	{ "platform_25_sizes_unsupported_call", t_refused, &p25 },
	{ "platform_26_act_unsupported_call", t_refused, &p26 },
	{ "platform_30_failure_mode_unsupported_call", t_refused, &p30 },
	{ "platform_35_unsupported_call", t_refused, &p35 },
	{ "platform_36_unsupported_call", t_refused, &p36 },
	{ "platform_0_invalid_parameter", t_refused, &p0 },
	/* 19 is in svsm.md's "9-21" but no simulator command has it. */
	{ "platform_19_not_a_simulator_command_invalid_parameter", t_refused, &p19 },
	{ "platform_22_invalid_parameter", t_refused, &p22 },
	{ "platform_27_invalid_parameter", t_refused, &p27 },
	{ "platform_31_invalid_parameter", t_refused, &p31 },
	{ "platform_37_invalid_parameter", t_refused, &p37 },
	{ "platform_99_invalid_parameter", t_refused, &p99 },
	{ "platform_8000_invalid_parameter", t_refused, &p8000 },
	{ "platform_ffffffff_invalid_parameter", t_refused, &pmax },
	{ "locality_1_invalid_parameter", t_refused, &loc1 },
	{ "locality_3_invalid_parameter", t_refused, &loc3 },
	{ "locality_4_invalid_parameter", t_refused, &loc4 },
	{ "locality_255_invalid_parameter", t_refused, &loc255 },
	{ "size_4088_invalid_parameter", t_refused, &s4088 },
	{ "size_4096_invalid_parameter", t_refused, &s4096 },
	{ "size_ffffffff_invalid_parameter", t_refused, &smax },
	{ "rcx_0_invalid_parameter", t_refused, &rcx0 },
	{ "buffer_in_husk_invalid_address", t_refused, &husk },
	{ "buffer_running_into_husk_invalid_address", t_refused, &into_husk },
	{ "buffer_from_husk_end_invalid_address", t_refused, &husk_end },
	{ "buffer_beyond_ram_invalid_address", t_refused, &beyond },
	{ "buffer_mmio_invalid_address", t_refused, &mmio },
	{ "power_cycle_refused_pcrs_kept", t_power_cycle_refused, NULL },
};
const struct gt_suite gt_suite_vtpm = GT_SUITE("vtpm", vtpm_cases);
