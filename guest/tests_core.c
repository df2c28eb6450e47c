/* Conformance, suites "handshake", "query_protocol", "core_calls" and
 * "remap_ca": the call itself (docs/svsm.md "The call") and the core calls
 * that need no vCPU or page state. */
#include <string.h>

#include "gtest.h"

#define CORE(c) SVSM_CALL(SVSM_PROTOCOL_CORE, (c))
#define VTPM(c) SVSM_CALL(SVSM_PROTOCOL_VTPM, (c))
#define Q_CORE1 ((uint64_t)SVSM_PROTOCOL_CORE << 32 | 1)
#define SERVED_1_1 (1ull << 32 | 1)

/* A spare page for REMAP_CA. */
static uint8_t alt_ca[PAGE_SIZE] HUSK_ALIGNED(4096);

static bool regs_equal(struct gt *t, const char *what, const struct svsm_regs *got,
		       const struct svsm_regs *want, bool with_rax)
{
	bool ok = (!with_rax || got->rax == want->rax) && got->rcx == want->rcx &&
		  got->rdx == want->rdx && got->r8 == want->r8 && got->r9 == want->r9;

	if (!ok)
		gt_fail(t, "%s: registers changed: rax %llx->%llx rcx %llx->%llx rdx %llx->%llx "
			"r8 %llx->%llx r9 %llx->%llx", what, (unsigned long long)want->rax,
			(unsigned long long)got->rax, (unsigned long long)want->rcx,
			(unsigned long long)got->rcx, (unsigned long long)want->rdx,
			(unsigned long long)got->rdx, (unsigned long long)want->r8,
			(unsigned long long)got->r8, (unsigned long long)want->r9,
			(unsigned long long)got->r9);
	return ok;
}

/* ---- handshake ---- */

static void t_call_completes(struct gt *t, const void *arg)
{
	struct svsm_regs r = { .rax = CORE(SVSM_CORE_QUERY_PROTOCOL), .rcx = Q_CORE1 };
	uint8_t old = svsm_call_raw(guest_ca, 1, &r);

	GT_EXPECT(t, old == 0, "call_pending 0x%x after VMMCALL: husk did not take the call", old);
	gt_expect_rc(t, "QUERY_PROTOCOL(core, 1)", (uint32_t)r.rax, SVSM_SUCCESS);
	GT_EXPECT(t, r.rcx == SERVED_1_1, "RCX 0x%llx, expected 0x100000001",
		  (unsigned long long)r.rcx);
}

/* call_pending 0: no call was made; husk leaves everything as it was. */
static void t_pending0(struct gt *t, const void *arg)
{
	const uint64_t *rax = arg;
	struct svsm_regs r = { .rax = *rax, .rcx = Q_CORE1, .rdx = 0x1111222233334444ull,
			       .r8 = 0x5555666677778888ull, .r9 = 0x9999aaaabbbbccccull };
	struct svsm_regs before = r;
	uint8_t old = svsm_call_raw(guest_ca, 0, &r);

	GT_EXPECT(t, old == 0, "call_pending 0x%x afterwards, expected still 0", old);
	regs_equal(t, "call_pending 0", &r, &before, true);
}

/* call_pending 2-255: husk clears it and answers INVALID_FORMAT without
 * running the call. */
static void t_pending_bad(struct gt *t, const void *arg)
{
	const uint8_t *pend = arg;
	struct svsm_regs r = { .rax = CORE(SVSM_CORE_QUERY_PROTOCOL), .rcx = Q_CORE1,
			       .rdx = 0x1234, .r8 = 0x5678, .r9 = 0x9abc };
	struct svsm_regs before = r;
	uint8_t old = svsm_call_raw(guest_ca, *pend, &r);

	GT_EXPECT(t, old == 0, "call_pending 0x%x afterwards, expected 0", old);
	gt_expect_rc(t, "call_pending bad", (uint32_t)r.rax, SVSM_ERR_INVALID_FORMAT);
	regs_equal(t, "INVALID_FORMAT", &r, &before, false);
}

static void t_pending_bad_not_run(struct gt *t, const void *arg)
{
	struct svsm_regs r = { .rax = CORE(SVSM_CORE_REMAP_CA), .rcx = (uint64_t)(uintptr_t)alt_ca };
	uint8_t old;

	memset(alt_ca, 0xa5, sizeof(alt_ca));
	old = svsm_call_raw(guest_ca, 2, &r);
	GT_EXPECT(t, old == 0, "call_pending 0x%x afterwards, expected 0", old);
	gt_expect_rc(t, "REMAP_CA with call_pending 2", (uint32_t)r.rax, SVSM_ERR_INVALID_FORMAT);
	if (alt_ca[0] != 0xa5 || alt_ca[7] != 0xa5) {
		gt_fail(t, "REMAP_CA ran although call_pending was 2 (new CA header zeroed)");
		guest_ca = alt_ca; /* follow husk, then go back */
		(void)svsm_call(CORE(SVSM_CORE_REMAP_CA), ginfo.boot_caa, 0, 0, NULL);
		guest_ca = (volatile uint8_t *)(uintptr_t)ginfo.boot_caa;
	}
}

static void t_preserve(struct gt *t, const void *arg)
{
	const uint64_t *rax = arg;
	uint64_t m = guest_call_preserve_check(guest_ca, *rax, Q_CORE1);

	GT_EXPECT(t, m == 0, "registers changed by the call: mask 0x%llx (bit 0 RBX, 1 RBP, 2 RSI, "
		  "3 RDI, 4-9 R10-R15, 10 R9, 11 RDX, 12 R8, 31 call not taken)",
		  (unsigned long long)m);
}

struct call_case {
	uint64_t rax, rcx;
	uint32_t want;
};

/* The result, and RCX..R9 untouched (none of these calls returns data). */
static void t_call_case(struct gt *t, const void *arg)
{
	const struct call_case *c = arg;
	struct svsm_regs r = { .rax = c->rax, .rcx = c->rcx, .rdx = 0xd0d0, .r8 = 0x8080, .r9 = 0x9090 };
	struct svsm_regs before = r;
	uint8_t old = svsm_call_raw(guest_ca, 1, &r);

	GT_EXPECT(t, old == 0, "husk did not take the call");
	gt_expect_rc(t, "call", (uint32_t)r.rax, c->want);
	regs_equal(t, "error result", &r, &before, false);
}

static const uint64_t rax_query = CORE(SVSM_CORE_QUERY_PROTOCOL);
static const uint64_t rax_unknown = SVSM_CALL(0x77, 0);
static const uint64_t rax_create = CORE(SVSM_CORE_CREATE_VCPU);
static const uint8_t pend_2 = 2, pend_3 = 3, pend_255 = 255;
static const struct call_case proto_5 = { SVSM_CALL(5, 0), 0, SVSM_ERR_UNSUPPORTED_PROTOCOL };
static const struct call_case proto_3 = { SVSM_CALL(3, 0), 0, SVSM_ERR_UNSUPPORTED_PROTOCOL };
static const struct call_case proto_max = { SVSM_CALL(0xffffffffu, 6), Q_CORE1,
					    SVSM_ERR_UNSUPPORTED_PROTOCOL };
static const struct call_case core_8 = { CORE(8), 0, SVSM_ERR_UNSUPPORTED_CALL };
static const struct call_case core_max = { CORE(0xffffffffu), 0, SVSM_ERR_UNSUPPORTED_CALL };
static const struct call_case vtpm_2 = { VTPM(2), 0, SVSM_ERR_UNSUPPORTED_CALL };
static const struct call_case vtpm_max = { VTPM(0xffffffffu), 0, SVSM_ERR_UNSUPPORTED_CALL };

static const struct gt_case handshake_cases[] = {
	{ "call_pending_1_call_completes", t_call_completes, NULL },
	{ "call_pending_0_registers_unchanged", t_pending0, &rax_query },
	{ "call_pending_0_unknown_protocol_not_run", t_pending0, &rax_unknown },
	{ "call_pending_0_create_vcpu_not_run", t_pending0, &rax_create },
	{ "call_pending_2_invalid_format", t_pending_bad, &pend_2 },
	{ "call_pending_3_invalid_format", t_pending_bad, &pend_3 },
	{ "call_pending_255_invalid_format", t_pending_bad, &pend_255 },
	{ "call_pending_2_call_not_run", t_pending_bad_not_run, NULL },
	{ "registers_preserved_query", t_preserve, &rax_query },
	{ "registers_preserved_unknown_protocol", t_preserve, &rax_unknown },
	{ "protocol_5_unsupported", t_call_case, &proto_5 },
	{ "protocol_3_unsupported", t_call_case, &proto_3 },
	{ "protocol_ffffffff_unsupported", t_call_case, &proto_max },
	{ "core_call_8_unsupported", t_call_case, &core_8 },
	{ "core_call_ffffffff_unsupported", t_call_case, &core_max },
	{ "vtpm_call_2_unsupported", t_call_case, &vtpm_2 },
	{ "vtpm_call_ffffffff_unsupported", t_call_case, &vtpm_max },
};
const struct gt_suite gt_suite_handshake = GT_SUITE("handshake", handshake_cases);

/* ---- QUERY_PROTOCOL ---- */

struct query_case {
	uint32_t protocol, version;
	uint64_t want_rcx;
};

static void t_query(struct gt *t, const void *arg)
{
	const struct query_case *q = arg;
	struct svsm_regs r;

	if (!gt_call(t, "QUERY_PROTOCOL", CORE(SVSM_CORE_QUERY_PROTOCOL),
		     (uint64_t)q->protocol << 32 | q->version, 0x1111, 0x2222, SVSM_SUCCESS, &r))
		return;
	GT_EXPECT(t, r.rcx == q->want_rcx, "protocol %u version %u: RCX 0x%llx, expected 0x%llx",
		  q->protocol, q->version, (unsigned long long)r.rcx,
		  (unsigned long long)q->want_rcx);
	GT_EXPECT(t, r.rdx == 0x1111 && r.r8 == 0x2222, "RDX/R8 changed (0x%llx 0x%llx)",
		  (unsigned long long)r.rdx, (unsigned long long)r.r8);
}

static const struct query_case q_core0 = { 0, 0, 0 }, q_core1 = { 0, 1, SERVED_1_1 },
				 q_core2 = { 0, 2, 0 }, q_core_max = { 0, 0xffffffffu, 0 },
				 q_vtpm0 = { 2, 0, 0 }, q_vtpm1 = { 2, 1, SERVED_1_1 },
				 q_vtpm2 = { 2, 2, 0 }, q_att0 = { 1, 0, 0 }, q_att1 = { 1, 1, SERVED_1_1 },
				 q_att2 = { 1, 2, 0 }, q_apic = { 3, 1, 0 }, q_mm = { 4, 1, 0 },
				 q_max = { 0xffffffffu, 1, 0 };

static const struct gt_case query_cases[] = {
	{ "core_v0_unavailable", t_query, &q_core0 },
	{ "core_v1_served_1_1", t_query, &q_core1 },
	{ "core_v2_unavailable", t_query, &q_core2 },
	{ "core_vffffffff_unavailable", t_query, &q_core_max },
	{ "vtpm_v0_unavailable", t_query, &q_vtpm0 },
	{ "vtpm_v1_served_1_1", t_query, &q_vtpm1 },
	{ "vtpm_v2_unavailable", t_query, &q_vtpm2 },
	{ "attest_v0_unavailable", t_query, &q_att0 },
	{ "attest_v1_served_1_1", t_query, &q_att1 },
	{ "attest_v2_unavailable", t_query, &q_att2 },
	{ "apic_protocol_3_not_served", t_query, &q_apic },
	{ "protocol_4_not_served", t_query, &q_mm },
	{ "protocol_ffffffff_not_served", t_query, &q_max },
};
const struct gt_suite gt_suite_query = GT_SUITE("query_protocol", query_cases);

/* ---- other core calls ---- */

static const struct call_case deposit = { CORE(SVSM_CORE_DEPOSIT_MEM), 0,
					  SVSM_ERR_UNSUPPORTED_CALL };
static const struct call_case withdraw = { CORE(SVSM_CORE_WITHDRAW_MEM), 0,
					   SVSM_ERR_UNSUPPORTED_CALL };
static const struct call_case vtom_configure = { CORE(SVSM_CORE_CONFIGURE_VTOM), 0,
						 SVSM_ERR_INVALID_REQUEST };
static const struct call_case vtom_enable = { CORE(SVSM_CORE_CONFIGURE_VTOM),
					      0x40000000ull | 0x2, SVSM_ERR_INVALID_REQUEST };

static void t_vtom_query(struct gt *t, const void *arg)
{
	struct svsm_regs r;

	if (gt_call(t, "CONFIGURE_VTOM(query)", CORE(SVSM_CORE_CONFIGURE_VTOM), 1, 0, 0,
		    SVSM_SUCCESS, &r))
		GT_EXPECT(t, r.rcx == 0, "RCX 0x%llx, expected 0 (vTOM cannot be configured)",
			  (unsigned long long)r.rcx);
}

static const struct gt_case core_cases[] = {
	{ "deposit_mem_unsupported", t_call_case, &deposit },
	{ "withdraw_mem_unsupported", t_call_case, &withdraw },
	{ "configure_vtom_query_rcx_0", t_vtom_query, NULL },
	{ "configure_vtom_configure_invalid_request", t_call_case, &vtom_configure },
	{ "configure_vtom_enable_invalid_request", t_call_case, &vtom_enable },
};
const struct gt_suite gt_suite_core_calls = GT_SUITE("core_calls", core_cases);

/* ---- REMAP_CA ---- */

enum remap_target { RT_ALT_PLUS_8, RT_HUSK_PLUS_8, RT_HUSK, RT_HUSK_LAST, RT_MMIO, RT_BEYOND };

struct remap_case {
	enum remap_target target;
	uint32_t want;
};

static uint64_t remap_gpa(enum remap_target rt)
{
	switch (rt) {
	case RT_ALT_PLUS_8: return (uint64_t)(uintptr_t)alt_ca + 8;
	case RT_HUSK_PLUS_8: return ginfo.svsm_base + 8;
	case RT_HUSK: return ginfo.svsm_base;
	case RT_HUSK_LAST: return ginfo.svsm_base + ginfo.svsm_size - PAGE_SIZE;
	case RT_MMIO: return GUEST_GPA_MMIO;
	case RT_BEYOND: return GUEST_GPA_BEYOND;
	}
	return 0;
}

static void t_remap_bad(struct gt *t, const void *arg)
{
	const struct remap_case *c = arg;
	uint64_t gpa = remap_gpa(c->target);
	uint32_t rc = svsm_call(CORE(SVSM_CORE_REMAP_CA), gpa, 0, 0, NULL);

	gt_expect_rc(t, "REMAP_CA", rc, c->want);
	if (rc == SVSM_SUCCESS) {
		/* husk moved the CA somewhere it must not: follow, then go back. */
		guest_ca = (volatile uint8_t *)(uintptr_t)gpa;
		(void)svsm_call(CORE(SVSM_CORE_REMAP_CA), ginfo.boot_caa, 0, 0, NULL);
		guest_ca = (volatile uint8_t *)(uintptr_t)ginfo.boot_caa;
	}
	gt_alive(t, "REMAP_CA");
}

static void t_remap_current(struct gt *t, const void *arg)
{
	static const uint8_t pattern[7] = { 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77 };

	/* The reserved bytes after call_pending: a real remap would zero them. */
	memcpy((void *)(guest_ca + 1), pattern, sizeof(pattern));
	gt_call(t, "REMAP_CA(current CA)", CORE(SVSM_CORE_REMAP_CA), ginfo.boot_caa, 0, 0,
		SVSM_SUCCESS, NULL);
	GT_EXPECT(t, memcmp((const void *)(guest_ca + 1), pattern, sizeof(pattern)) == 0,
		  "remapping to the current CA changed its header");
	memset((void *)(guest_ca + 1), 0, sizeof(pattern));
}

static bool remapped;

static void t_remap_new(struct gt *t, const void *arg)
{
	uint32_t rc;

	memset(alt_ca, 0xa5, sizeof(alt_ca));
	rc = svsm_call(CORE(SVSM_CORE_REMAP_CA), (uint64_t)(uintptr_t)alt_ca, 0, 0, NULL);
	if (!gt_expect_rc(t, "REMAP_CA(new page)", rc, SVSM_SUCCESS)) {
		gt_alive(t, "REMAP_CA");
		return;
	}
	remapped = true;
	guest_ca = alt_ca;
	for (unsigned i = 0; i < 8; i++)
		GT_EXPECT(t, alt_ca[i] == 0, "new CA byte %u is 0x%02x, expected zeroed", i, alt_ca[i]);
	GT_EXPECT(t, alt_ca[8] == 0xa5 && alt_ca[PAGE_SIZE - 1] == 0xa5,
		  "husk wrote beyond the first 8 bytes of the new CA");
}

static void t_remap_serves(struct gt *t, const void *arg)
{
	if (!remapped) {
		gt_skip(t, "the remap failed");
		return;
	}
	gt_alive(t, "REMAP_CA: no answer through the new CA");
}

static void t_remap_old_ignored(struct gt *t, const void *arg)
{
	volatile uint8_t *old_ca = (volatile uint8_t *)(uintptr_t)ginfo.boot_caa;
	struct svsm_regs r = { .rax = CORE(SVSM_CORE_QUERY_PROTOCOL), .rcx = Q_CORE1,
			       .rdx = 1, .r8 = 2, .r9 = 3 };
	struct svsm_regs before = r;
	uint8_t old;

	if (!remapped) {
		gt_skip(t, "the remap failed");
		return;
	}
	old = svsm_call_raw(old_ca, 1, &r);
	GT_EXPECT(t, old == 1, "husk took a call through the old CA (call_pending now %u)", old);
	regs_equal(t, "call through the old CA", &r, &before, true);
}

static void t_remap_back(struct gt *t, const void *arg)
{
	volatile uint8_t *boot = (volatile uint8_t *)(uintptr_t)ginfo.boot_caa;
	uint32_t rc;

	if (!remapped) {
		gt_skip(t, "the remap failed");
		return;
	}
	boot[3] = 0x5a;
	rc = svsm_call(CORE(SVSM_CORE_REMAP_CA), ginfo.boot_caa, 0, 0, NULL);
	if (!gt_expect_rc(t, "REMAP_CA(back to the boot CA)", rc, SVSM_SUCCESS))
		return;
	remapped = false;
	guest_ca = boot;
	GT_EXPECT(t, boot[3] == 0, "the boot CA's header was not zeroed");
	gt_alive(t, "REMAP_CA back");
}

static const struct remap_case rc_unaligned = { RT_ALT_PLUS_8, SVSM_ERR_INVALID_PARAMETER },
				  rc_unaligned_husk = { RT_HUSK_PLUS_8, SVSM_ERR_INVALID_PARAMETER },
				  rc_husk = { RT_HUSK, SVSM_ERR_INVALID_ADDRESS },
				  rc_husk_last = { RT_HUSK_LAST, SVSM_ERR_INVALID_ADDRESS },
				  rc_mmio = { RT_MMIO, SVSM_ERR_INVALID_ADDRESS },
				  rc_beyond = { RT_BEYOND, SVSM_ERR_INVALID_ADDRESS };

static const struct gt_case remap_cases[] = {
	{ "unaligned_invalid_parameter", t_remap_bad, &rc_unaligned },
	{ "unaligned_in_husk_invalid_parameter_first", t_remap_bad, &rc_unaligned_husk },
	{ "husk_region_invalid_address", t_remap_bad, &rc_husk },
	{ "husk_region_last_page_invalid_address", t_remap_bad, &rc_husk_last },
	{ "mmio_invalid_address", t_remap_bad, &rc_mmio },
	{ "beyond_ram_invalid_address", t_remap_bad, &rc_beyond },
	{ "current_ca_success_nothing_changes", t_remap_current, NULL },
	{ "new_page_success_first_8_bytes_zeroed", t_remap_new, NULL },
	{ "new_page_serves_calls", t_remap_serves, NULL },
	{ "old_ca_no_longer_read", t_remap_old_ignored, NULL },
	{ "back_to_boot_ca", t_remap_back, NULL },
};
const struct gt_suite gt_suite_remap_ca = GT_SUITE("remap_ca", remap_cases);
