/* Conformance, suites "create_vcpu" (every refusal of CREATE_VCPU, nothing
 * started), "vcpu" (a real second vCPU: it runs, husk holds its VMSA page,
 * DELETE_VCPU stops it and hands the page back with the final state, the
 * APIC ID is reusable, a vCPU can delete itself) and "isolation" (husk's
 * region is not the guest's: #GP(0), and nothing written there reads back). */
#include <string.h>

#include "gtest.h"

#define CORE(c) SVSM_CALL(SVSM_PROTOCOL_CORE, (c))
#define GP_VECTOR 13u
#define DELETE_TIMEOUT_MS 5000u
#define RUN_TIMEOUT_MS 10000u

/* A second calling area. */
static uint8_t ca2[PAGE_SIZE] HUSK_ALIGNED(4096);

static uint64_t gpa_of(const void *p) { return (uint64_t)(uintptr_t)p; }
#define VMSA0 gpa_of(guest_worker_vmsa[0])
#define VMSA1 gpa_of(guest_worker_vmsa[1])
#define WCA gpa_of(guest_worker_ca)

static bool need_two_vcpus(struct gt *t, uint32_t *apic)
{
	if (vcpu_other_apic(apic))
		return true;
	gt_skip(t, "only one vCPU (run with --smp 2 or more)");
	return false;
}

static void worker_reset(uint64_t vmsa_gpa, uint32_t apic)
{
	memset(&guest_worker_ctx, 0, sizeof(guest_worker_ctx));
	guest_worker_ctx.apic_id = apic;
	guest_worker_ctx.ca_gpa = WCA;
	guest_worker_ctx.vmsa_gpa = vmsa_gpa;
	memset(guest_worker_ca, 0, sizeof(guest_worker_ca));
}

/* A CREATE_VCPU that should have been refused started something: stop it. */
static void undo_create(struct gt *t, uint64_t vmsa_gpa)
{
	uint32_t rc = vcpu_delete(vmsa_gpa, DELETE_TIMEOUT_MS);

	if (rc != SVSM_SUCCESS)
		gt_fail(t, "could not delete the vCPU that should not exist: %s",
			svsm_result_name(rc));
}

static void put64(uint8_t *vmsa, unsigned off, uint64_t v) { memcpy(vmsa + off, &v, 8); }
static uint64_t get64(const uint8_t *vmsa, unsigned off)
{
	uint64_t v;

	memcpy(&v, vmsa + off, 8);
	return v;
}

/* ---- CREATE_VCPU refusals ---- */

enum cv_vmsa { CV_PAGE, CV_PAGE_PLUS8, CV_HUSK, CV_BEYOND, CV_MMIO, CV_BOOT_CA, CV_SAME_AS_CA };
enum cv_ca { CC_PAGE, CC_PAGE_PLUS8, CC_HUSK, CC_MMIO, CC_BEYOND, CC_BOOT_CA };
enum cv_apic { AP_OTHER, AP_BOOT, AP_UNKNOWN, AP_MAX };
enum cv_mut { MU_NONE, MU_VMPL0, MU_VMPL2, MU_VMPL3, MU_SVME_CLEAR, MU_SEV_FEATURES, MU_CR0_NW,
	      MU_CR0_RES, MU_CR3_RES, MU_CR4_RES, MU_DR6_RES, MU_DR7_RES, MU_EFER_RES, MU_NO_PAE,
	      MU_NO_PE, MU_CS_L_D };

struct cv_case {
	enum cv_vmsa vmsa;
	enum cv_ca ca;
	enum cv_apic apic;
	enum cv_mut mut;
	uint32_t want;
};

static uint32_t unknown_apic(void)
{
	uint32_t max = 0;

	for (uint32_t i = 0; i < ginfo.vcpu_count; i++)
		if (ginfo.apic_ids[i] > max)
			max = ginfo.apic_ids[i];
	return max + 1;
}

static void mutate(uint8_t *v, enum cv_mut m)
{
	struct vmsa_segment cs;

	switch (m) {
	case MU_NONE: break;
	case MU_VMPL0: v[VMSA_VMPL] = 0; break;
	case MU_VMPL2: v[VMSA_VMPL] = 2; break;
	case MU_VMPL3: v[VMSA_VMPL] = 3; break;
	case MU_SVME_CLEAR: put64(v, VMSA_EFER, get64(v, VMSA_EFER) & ~VMSA_EFER_SVME); break;
	case MU_SEV_FEATURES: put64(v, VMSA_SEV_FEATURES, 1); break;
	case MU_CR0_NW: /* NW without CD */
		put64(v, VMSA_CR0, (get64(v, VMSA_CR0) & ~(1ull << 30)) | (1ull << 29));
		break;
	case MU_CR0_RES: put64(v, VMSA_CR0, get64(v, VMSA_CR0) | (1ull << 32)); break;
	case MU_CR3_RES: put64(v, VMSA_CR3, get64(v, VMSA_CR3) | (1ull << 60)); break;
	case MU_CR4_RES: put64(v, VMSA_CR4, get64(v, VMSA_CR4) | (1ull << 40)); break;
	case MU_DR6_RES: put64(v, VMSA_DR6, get64(v, VMSA_DR6) | (1ull << 40)); break;
	case MU_DR7_RES: put64(v, VMSA_DR7, get64(v, VMSA_DR7) | (1ull << 40)); break;
	case MU_EFER_RES: put64(v, VMSA_EFER, get64(v, VMSA_EFER) | (1ull << 40)); break;
	case MU_NO_PAE: put64(v, VMSA_CR4, get64(v, VMSA_CR4) & ~(1ull << 5)); break;
	case MU_NO_PE: put64(v, VMSA_CR0, get64(v, VMSA_CR0) & ~1ull); break;
	case MU_CS_L_D:
		memcpy(&cs, v + VMSA_CS, sizeof(cs));
		cs.attrib |= 0x600; /* L and D */
		memcpy(v + VMSA_CS, &cs, sizeof(cs));
		break;
	}
}

static void t_create_refused(struct gt *t, const void *arg)
{
	const struct cv_case *c = arg;
	uint64_t vmsa = 0, ca = 0;
	uint32_t apic = 0, rc;

	if (!vcpu_other_apic(&apic)) {
		/* Checks behind the APIC ID's need a free vCPU; the address
		 * checks come first, so the boot vCPU's APIC ID serves them. */
		if (c->mut != MU_NONE) {
			gt_skip(t, "only one vCPU (run with --smp 2 or more)");
			return;
		}
		apic = ginfo.boot_apic_id;
	}
	switch (c->apic) {
	case AP_OTHER: break;
	case AP_BOOT: apic = ginfo.boot_apic_id; break;
	case AP_UNKNOWN: apic = unknown_apic(); break;
	case AP_MAX: apic = 0xffffffffu; break;
	}
	worker_reset(VMSA0, apic);
	vcpu_build_vmsa(guest_worker_vmsa[0], &guest_worker_ctx);
	mutate(guest_worker_vmsa[0], c->mut);
	switch (c->vmsa) {
	case CV_PAGE: vmsa = VMSA0; break;
	case CV_PAGE_PLUS8: vmsa = VMSA0 + 8; break;
	case CV_HUSK: vmsa = ginfo.svsm_base; break;
	case CV_BEYOND: vmsa = GUEST_GPA_BEYOND; break;
	case CV_MMIO: vmsa = GUEST_GPA_MMIO; break;
	case CV_BOOT_CA: vmsa = ginfo.boot_caa; break;
	case CV_SAME_AS_CA: vmsa = WCA; break;
	}
	switch (c->ca) {
	case CC_PAGE: ca = WCA; break;
	case CC_PAGE_PLUS8: ca = WCA + 8; break;
	case CC_HUSK: ca = ginfo.svsm_base + PAGE_SIZE; break;
	case CC_MMIO: ca = GUEST_GPA_MMIO; break;
	case CC_BEYOND: ca = GUEST_GPA_BEYOND; break;
	case CC_BOOT_CA: ca = ginfo.boot_caa; break;
	}
	rc = vcpu_create(vmsa, ca, apic);
	gt_expect_rc(t, "CREATE_VCPU", rc, c->want);
	if (rc == SVSM_SUCCESS)
		undo_create(t, vmsa);
	gt_alive(t, "CREATE_VCPU");
	GT_EXPECT(t, guest_worker_ctx.counter == 0, "a refused vCPU ran (%llu loops)",
		  (unsigned long long)guest_worker_ctx.counter);
}

/* After all the refusals the VMSA page is still the guest's own. */
static void t_vmsa_page_still_guests(struct gt *t, const void *arg)
{
	uint8_t v;

	GT_EXPECT(t, guest_probe_read8(VMSA0, &v) < 0, "reading the refused VMSA page faults");
	GT_EXPECT(t, guest_probe_write8(VMSA0, 0) < 0, "writing the refused VMSA page faults");
	GT_EXPECT(t, guest_probe_read8(WCA, &v) < 0, "reading the refused CA page faults");
}

#define IP SVSM_ERR_INVALID_PARAMETER
#define IA SVSM_ERR_INVALID_ADDRESS
static const struct cv_case
	cv_vmsa_unaligned = { CV_PAGE_PLUS8, CC_PAGE, AP_OTHER, MU_NONE, IP },
	cv_ca_unaligned = { CV_PAGE, CC_PAGE_PLUS8, AP_OTHER, MU_NONE, IP },
	cv_vmsa_husk = { CV_HUSK, CC_PAGE, AP_OTHER, MU_NONE, IA },
	cv_ca_husk = { CV_PAGE, CC_HUSK, AP_OTHER, MU_NONE, IA },
	cv_vmsa_beyond = { CV_BEYOND, CC_PAGE, AP_OTHER, MU_NONE, IA },
	cv_vmsa_mmio = { CV_MMIO, CC_PAGE, AP_OTHER, MU_NONE, IA },
	cv_ca_mmio = { CV_PAGE, CC_MMIO, AP_OTHER, MU_NONE, IA },
	cv_ca_beyond = { CV_PAGE, CC_BEYOND, AP_OTHER, MU_NONE, IA },
	cv_same = { CV_SAME_AS_CA, CC_PAGE, AP_OTHER, MU_NONE, IA },
	cv_vmsa_boot_ca = { CV_BOOT_CA, CC_PAGE, AP_OTHER, MU_NONE, IA },
	cv_ca_boot_ca = { CV_PAGE, CC_BOOT_CA, AP_OTHER, MU_NONE, IA },
	cv_apic_unknown = { CV_PAGE, CC_PAGE, AP_UNKNOWN, MU_NONE, IP },
	cv_apic_max = { CV_PAGE, CC_PAGE, AP_MAX, MU_NONE, IP },
	cv_apic_boot = { CV_PAGE, CC_PAGE, AP_BOOT, MU_NONE, IP },
	cv_vmpl0 = { CV_PAGE, CC_PAGE, AP_OTHER, MU_VMPL0, IP },
	cv_vmpl2 = { CV_PAGE, CC_PAGE, AP_OTHER, MU_VMPL2, IP },
	cv_vmpl3 = { CV_PAGE, CC_PAGE, AP_OTHER, MU_VMPL3, IP },
	cv_svme = { CV_PAGE, CC_PAGE, AP_OTHER, MU_SVME_CLEAR, IP },
	cv_sevf = { CV_PAGE, CC_PAGE, AP_OTHER, MU_SEV_FEATURES, IP },
	cv_cr0_nw = { CV_PAGE, CC_PAGE, AP_OTHER, MU_CR0_NW, IP },
	cv_cr0_res = { CV_PAGE, CC_PAGE, AP_OTHER, MU_CR0_RES, IP },
	cv_cr3_res = { CV_PAGE, CC_PAGE, AP_OTHER, MU_CR3_RES, IP },
	cv_cr4_res = { CV_PAGE, CC_PAGE, AP_OTHER, MU_CR4_RES, IP },
	cv_dr6_res = { CV_PAGE, CC_PAGE, AP_OTHER, MU_DR6_RES, IP },
	cv_dr7_res = { CV_PAGE, CC_PAGE, AP_OTHER, MU_DR7_RES, IP },
	cv_efer_res = { CV_PAGE, CC_PAGE, AP_OTHER, MU_EFER_RES, IP },
	cv_no_pae = { CV_PAGE, CC_PAGE, AP_OTHER, MU_NO_PAE, IP },
	cv_no_pe = { CV_PAGE, CC_PAGE, AP_OTHER, MU_NO_PE, IP },
	cv_cs_l_d = { CV_PAGE, CC_PAGE, AP_OTHER, MU_CS_L_D, IP };

static const struct gt_case cv_cases[] = {
	{ "vmsa_unaligned_invalid_parameter", t_create_refused, &cv_vmsa_unaligned },
	{ "ca_unaligned_invalid_parameter", t_create_refused, &cv_ca_unaligned },
	{ "vmsa_in_husk_invalid_address", t_create_refused, &cv_vmsa_husk },
	{ "ca_in_husk_invalid_address", t_create_refused, &cv_ca_husk },
	{ "vmsa_beyond_ram_invalid_address", t_create_refused, &cv_vmsa_beyond },
	{ "vmsa_mmio_invalid_address", t_create_refused, &cv_vmsa_mmio },
	{ "ca_mmio_invalid_address", t_create_refused, &cv_ca_mmio },
	{ "ca_beyond_ram_invalid_address", t_create_refused, &cv_ca_beyond },
	{ "ca_equals_vmsa_invalid_address", t_create_refused, &cv_same },
	{ "vmsa_is_boot_ca_invalid_address", t_create_refused, &cv_vmsa_boot_ca },
	{ "ca_is_boot_ca_invalid_address", t_create_refused, &cv_ca_boot_ca },
	{ "apic_id_unknown_invalid_parameter", t_create_refused, &cv_apic_unknown },
	{ "apic_id_ffffffff_invalid_parameter", t_create_refused, &cv_apic_max },
	{ "apic_id_of_caller_running_invalid_parameter", t_create_refused, &cv_apic_boot },
	{ "vmsa_vmpl0_invalid_parameter", t_create_refused, &cv_vmpl0 },
	{ "vmsa_vmpl2_invalid_parameter", t_create_refused, &cv_vmpl2 },
	{ "vmsa_vmpl3_invalid_parameter", t_create_refused, &cv_vmpl3 },
	{ "vmsa_efer_svme_clear_invalid_parameter", t_create_refused, &cv_svme },
	{ "vmsa_sev_features_differ_invalid_parameter", t_create_refused, &cv_sevf },
	{ "vmsa_cr0_nw_without_cd_invalid_parameter", t_create_refused, &cv_cr0_nw },
	{ "vmsa_cr0_reserved_invalid_parameter", t_create_refused, &cv_cr0_res },
	{ "vmsa_cr3_reserved_invalid_parameter", t_create_refused, &cv_cr3_res },
	{ "vmsa_cr4_reserved_invalid_parameter", t_create_refused, &cv_cr4_res },
	{ "vmsa_dr6_reserved_invalid_parameter", t_create_refused, &cv_dr6_res },
	{ "vmsa_dr7_reserved_invalid_parameter", t_create_refused, &cv_dr7_res },
	{ "vmsa_efer_reserved_invalid_parameter", t_create_refused, &cv_efer_res },
	{ "vmsa_long_mode_without_pae_invalid_parameter", t_create_refused, &cv_no_pae },
	{ "vmsa_paging_without_pe_invalid_parameter", t_create_refused, &cv_no_pe },
	{ "vmsa_cs_l_and_d_invalid_parameter", t_create_refused, &cv_cs_l_d },
	{ "refused_vmsa_page_still_guests", t_vmsa_page_still_guests, NULL },
};
const struct gt_suite gt_suite_create_vcpu = GT_SUITE("create_vcpu", cv_cases);

/* ---- a running second vCPU ---- */

static bool running;    /* the worker runs from VMSA0 */
static uint32_t w_apic;

static bool need_running(struct gt *t)
{
	uint32_t apic;

	if (!need_two_vcpus(t, &apic))
		return false;
	if (!running) {
		gt_skip(t, "the worker vCPU is not running");
		return false;
	}
	return true;
}

static bool start_worker(struct gt *t, uint32_t apic)
{
	uint32_t rc;

	worker_reset(VMSA0, apic);
	vcpu_build_vmsa(guest_worker_vmsa[0], &guest_worker_ctx);
	rc = vcpu_create(VMSA0, WCA, apic);
	if (!gt_expect_rc(t, "CREATE_VCPU", rc, SVSM_SUCCESS))
		return false;
	running = true;
	w_apic = apic;
	if (!vcpu_wait_counter(&guest_worker_ctx, 50, RUN_TIMEOUT_MS)) {
		gt_fail(t, "the new vCPU did not run (counter %llu after %u ms)",
			(unsigned long long)guest_worker_ctx.counter, RUN_TIMEOUT_MS);
		return false;
	}
	GT_EXPECT(t, guest_worker_ctx.calls_ok > 0 && guest_worker_ctx.calls_bad == 0,
		  "the vCPU's own SVSM calls: %llu answered right, %llu wrong (last 0x%x)",
		  (unsigned long long)guest_worker_ctx.calls_ok,
		  (unsigned long long)guest_worker_ctx.calls_bad, guest_worker_ctx.last_result);
	return true;
}

static bool stop_worker(struct gt *t)
{
	uint64_t c;
	uint32_t rc = vcpu_delete(VMSA0, DELETE_TIMEOUT_MS);

	if (!gt_expect_rc(t, "DELETE_VCPU", rc, SVSM_SUCCESS))
		return false;
	running = false;
	c = guest_worker_ctx.counter;
	(void)vcpu_wait_counter(&guest_worker_ctx, 1, 50);
	GT_EXPECT(t, guest_worker_ctx.counter == c, "the deleted vCPU still runs");
	return true;
}

static void t_create_runs(struct gt *t, const void *arg)
{
	uint32_t apic;

	if (!need_two_vcpus(t, &apic))
		return;
	gt_diag("worker vCPU on APIC ID %u, VMSA 0x%llx, CA 0x%llx", apic,
		(unsigned long long)VMSA0, (unsigned long long)WCA);
	start_worker(t, apic);
}

static void t_vmsa_unmapped(struct gt *t, const void *arg)
{
	uint8_t v;
	int vec;

	if (!need_running(t))
		return;
	vec = guest_probe_read8(VMSA0 + 0x100, &v);
	GT_EXPECT(t, vec == (int)GP_VECTOR && guest_probe_fault.error == 0,
		  "reading the held VMSA page: vector %d error 0x%llx, expected #GP(0)", vec,
		  (unsigned long long)guest_probe_fault.error);
	vec = guest_probe_write8(VMSA0 + 0x100, 0x5a);
	GT_EXPECT(t, vec == (int)GP_VECTOR && guest_probe_fault.error == 0,
		  "writing the held VMSA page: vector %d, expected #GP(0)", vec);
}

enum held_op { HO_CREATE_SAME_APIC, HO_CREATE_VMSA_IN_USE, HO_CREATE_CA_IN_USE,
	       HO_CREATE_CA_IS_VMSA, HO_REMAP_OTHER_CA, HO_REMAP_VMSA, HO_PV_RESCIND_VMSA,
	       HO_PV_VALIDATE_VMSA, HO_PV_RESCIND_CA, HO_VTPM_VMSA, HO_DELETE_UNALIGNED,
	       HO_DELETE_UNKNOWN, HO_DELETE_BOOT_CA, HO_DELETE_ZERO, HO_DELETE_WORKER_CA };

struct held_case {
	enum held_op op;
	uint32_t want;
};

static void t_held(struct gt *t, const void *arg)
{
	const struct held_case *c = arg;
	uint64_t entry, l = (uint64_t)(uintptr_t)(guest_ca + SVSM_CA_BUFFER);
	struct svsm_pvalidate_hdr h = { 1, 0, 0 };
	uint32_t rc = 0;

	if (!need_running(t))
		return;
	memset(ca2, 0, sizeof(ca2));
	switch (c->op) {
	case HO_CREATE_SAME_APIC:
		vcpu_build_vmsa(guest_worker_vmsa[1], &guest_worker_ctx);
		rc = vcpu_create(VMSA1, gpa_of(ca2), w_apic);
		if (rc == SVSM_SUCCESS)
			undo_create(t, VMSA1);
		break;
	case HO_CREATE_VMSA_IN_USE:
		rc = vcpu_create(VMSA0, gpa_of(ca2), w_apic);
		break;
	case HO_CREATE_CA_IN_USE:
		vcpu_build_vmsa(guest_worker_vmsa[1], &guest_worker_ctx);
		rc = vcpu_create(VMSA1, WCA, w_apic);
		if (rc == SVSM_SUCCESS)
			undo_create(t, VMSA1);
		break;
	case HO_CREATE_CA_IS_VMSA:
		vcpu_build_vmsa(guest_worker_vmsa[1], &guest_worker_ctx);
		rc = vcpu_create(VMSA1, VMSA0, w_apic);
		if (rc == SVSM_SUCCESS)
			undo_create(t, VMSA1);
		break;
	case HO_REMAP_OTHER_CA:
	case HO_REMAP_VMSA: {
		uint64_t to = c->op == HO_REMAP_OTHER_CA ? WCA : VMSA0;

		rc = svsm_call(CORE(SVSM_CORE_REMAP_CA), to, 0, 0, NULL);
		if (rc == SVSM_SUCCESS) {
			guest_ca = (volatile uint8_t *)(uintptr_t)to;
			(void)svsm_call(CORE(SVSM_CORE_REMAP_CA), ginfo.boot_caa, 0, 0, NULL);
			guest_ca = (volatile uint8_t *)(uintptr_t)ginfo.boot_caa;
		}
		break;
	}
	case HO_PV_RESCIND_VMSA:
	case HO_PV_VALIDATE_VMSA:
	case HO_PV_RESCIND_CA:
		entry = c->op == HO_PV_RESCIND_CA ? WCA : VMSA0;
		entry |= c->op == HO_PV_VALIDATE_VMSA ? SVSM_PVAL_VALIDATE | SVSM_PVAL_IGNORE_CF : 0;
		memcpy((void *)(uintptr_t)l, &h, sizeof(h));
		memcpy((void *)(uintptr_t)(l + 8), &entry, 8);
		rc = svsm_call(CORE(SVSM_CORE_PVALIDATE), l, 0, 0, NULL);
		break;
	case HO_VTPM_VMSA:
		rc = svsm_call(SVSM_CALL(SVSM_PROTOCOL_VTPM, SVSM_VTPM_CMD), VMSA0, 0, 0, NULL);
		break;
	case HO_DELETE_UNALIGNED: rc = vcpu_delete(VMSA0 + 8, DELETE_TIMEOUT_MS); break;
	case HO_DELETE_UNKNOWN: rc = vcpu_delete(VMSA1, DELETE_TIMEOUT_MS); break;
	case HO_DELETE_BOOT_CA: rc = vcpu_delete(ginfo.boot_caa, DELETE_TIMEOUT_MS); break;
	case HO_DELETE_ZERO: rc = vcpu_delete(0, DELETE_TIMEOUT_MS); break;
	case HO_DELETE_WORKER_CA: rc = vcpu_delete(WCA, DELETE_TIMEOUT_MS); break;
	}
	gt_expect_rc(t, "call", rc, c->want);
	gt_alive(t, "the call");
	if (c->op >= HO_DELETE_UNALIGNED && rc == SVSM_SUCCESS) {
		running = false;
		gt_fail(t, "husk deleted a vCPU for a refused DELETE_VCPU");
	}
}

static void t_still_runs(struct gt *t, const void *arg)
{
	if (!need_running(t))
		return;
	GT_EXPECT(t, vcpu_wait_counter(&guest_worker_ctx, 10, RUN_TIMEOUT_MS),
		  "the worker vCPU stopped during the refused calls");
	GT_EXPECT(t, guest_worker_ctx.calls_bad == 0, "the worker's calls failed (last 0x%x)",
		  guest_worker_ctx.last_result);
}

static void t_delete(struct gt *t, const void *arg)
{
	if (need_running(t))
		stop_worker(t);
}

static void check_written_back(struct gt *t)
{
	const uint8_t *v = guest_worker_vmsa[0];
	uint64_t rip = get64(v, VMSA_RIP);

	GT_EXPECT(t, rip >= (uint64_t)(uintptr_t)__worker_start &&
			     rip < (uint64_t)(uintptr_t)__worker_end,
		  "RIP in the returned VMSA 0x%llx is not in the worker loop [%p, %p)",
		  (unsigned long long)rip, (void *)__worker_start, (void *)__worker_end);
	GT_EXPECT(t, get64(v, VMSA_CR3) == read_cr3(), "CR3 in the returned VMSA 0x%llx",
		  (unsigned long long)get64(v, VMSA_CR3));
	GT_EXPECT(t, v[VMSA_VMPL] == HUSK_SVM_GUEST_VMPL, "VMPL in the returned VMSA %u",
		  v[VMSA_VMPL]);
}

static void t_written_back(struct gt *t, const void *arg)
{
	uint32_t apic;

	if (!need_two_vcpus(t, &apic))
		return;
	if (running) {
		gt_skip(t, "the worker was not deleted");
		return;
	}
	check_written_back(t);
}

static void t_page_returned(struct gt *t, const void *arg)
{
	uint8_t v;
	uint32_t apic;

	if (!need_two_vcpus(t, &apic))
		return;
	GT_EXPECT(t, guest_probe_read8(VMSA0, &v) < 0 && guest_probe_write8(VMSA0, v) < 0,
		  "the VMSA page is not accessible after DELETE_VCPU (vector %llu)",
		  (unsigned long long)guest_probe_fault.vector);
}

static void t_delete_again(struct gt *t, const void *arg)
{
	uint32_t apic;

	if (!need_two_vcpus(t, &apic))
		return;
	gt_expect_rc(t, "DELETE_VCPU of a deleted vCPU", vcpu_delete(VMSA0, DELETE_TIMEOUT_MS),
		     SVSM_ERR_INVALID_PARAMETER);
}

static void t_recreate(struct gt *t, const void *arg)
{
	uint32_t apic;

	if (!need_two_vcpus(t, &apic))
		return;
	if (start_worker(t, apic))
		stop_worker(t);
}

/* The vCPU deletes itself: the call does not return, the VMSA page comes
 * back, the APIC ID is free again. */
static void t_self_delete(struct gt *t, const void *arg)
{
	uint64_t start, bad;
	uint8_t v;
	uint32_t apic;
	bool back = false;

	if (!need_two_vcpus(t, &apic) || !start_worker(t, apic))
		return;
	bad = guest_worker_ctx.calls_bad;
	guest_worker_ctx.self_delete = 1;
	start = rdtsc();
	while (rdtsc() - start < ms_to_tsc(DELETE_TIMEOUT_MS)) {
		uint64_t pause_until = rdtsc() + ms_to_tsc(5);

		/* Each probe of a held page is a refused access husk logs:
		 * probe every 5 ms, not in a tight loop. */
		if (guest_worker_ctx.deleting && guest_probe_read8(VMSA0, &v) < 0) {
			back = true;
			break;
		}
		while (rdtsc() < pause_until)
			cpu_relax();
	}
	if (!back) {
		gt_fail(t, "the VMSA page did not come back within %u ms (deleting %u, last 0x%x)",
			DELETE_TIMEOUT_MS, guest_worker_ctx.deleting, guest_worker_ctx.last_result);
		stop_worker(t);
		return;
	}
	running = false;
	GT_EXPECT(t, guest_worker_ctx.calls_bad == bad, "DELETE_VCPU of itself returned 0x%x",
		  guest_worker_ctx.last_result);
	check_written_back(t);
	gt_expect_rc(t, "DELETE_VCPU after the self-delete", vcpu_delete(VMSA0, DELETE_TIMEOUT_MS),
		     SVSM_ERR_INVALID_PARAMETER);
	/* The APIC ID is free again. */
	if (start_worker(t, apic))
		stop_worker(t);
}

static const struct held_case
	hc_same_apic = { HO_CREATE_SAME_APIC, IP }, hc_vmsa_in_use = { HO_CREATE_VMSA_IN_USE, IA },
	hc_ca_in_use = { HO_CREATE_CA_IN_USE, IA }, hc_ca_is_vmsa = { HO_CREATE_CA_IS_VMSA, IA },
	hc_remap_ca = { HO_REMAP_OTHER_CA, IA }, hc_remap_vmsa = { HO_REMAP_VMSA, IA },
	hc_pv_vmsa = { HO_PV_RESCIND_VMSA, IA }, hc_pv_vmsa_v = { HO_PV_VALIDATE_VMSA, IA },
	hc_pv_ca = { HO_PV_RESCIND_CA, IA }, hc_vtpm = { HO_VTPM_VMSA, IA },
	hc_del_unaligned = { HO_DELETE_UNALIGNED, IP }, hc_del_unknown = { HO_DELETE_UNKNOWN, IP },
	hc_del_boot_ca = { HO_DELETE_BOOT_CA, IP }, hc_del_zero = { HO_DELETE_ZERO, IP },
	hc_del_ca = { HO_DELETE_WORKER_CA, IP };
#undef IP
#undef IA

static const struct gt_case vcpu_cases[] = {
	{ "create_vcpu_runs_and_calls_svsm", t_create_runs, NULL },
	{ "held_vmsa_page_gp_for_guest", t_vmsa_unmapped, NULL },
	{ "create_on_running_apic_invalid_parameter", t_held, &hc_same_apic },
	{ "create_with_running_vmsa_invalid_address", t_held, &hc_vmsa_in_use },
	{ "create_with_running_ca_invalid_address", t_held, &hc_ca_in_use },
	{ "create_ca_is_held_vmsa_invalid_address", t_held, &hc_ca_is_vmsa },
	{ "remap_ca_to_other_vcpus_ca_invalid_address", t_held, &hc_remap_ca },
	{ "remap_ca_to_held_vmsa_invalid_address", t_held, &hc_remap_vmsa },
	{ "pvalidate_rescind_held_vmsa_invalid_address", t_held, &hc_pv_vmsa },
	{ "pvalidate_validate_held_vmsa_invalid_address", t_held, &hc_pv_vmsa_v },
	{ "pvalidate_rescind_other_ca_invalid_address", t_held, &hc_pv_ca },
	{ "vtpm_buffer_in_held_vmsa_invalid_address", t_held, &hc_vtpm },
	{ "delete_unaligned_invalid_parameter", t_held, &hc_del_unaligned },
	{ "delete_unknown_vmsa_invalid_parameter", t_held, &hc_del_unknown },
	{ "delete_boot_ca_invalid_parameter", t_held, &hc_del_boot_ca },
	{ "delete_zero_invalid_parameter", t_held, &hc_del_zero },
	{ "delete_ca_not_vmsa_invalid_parameter", t_held, &hc_del_ca },
	{ "worker_unaffected_by_refusals", t_still_runs, NULL },
	{ "delete_vcpu_stops_it", t_delete, NULL },
	{ "final_state_written_back", t_written_back, NULL },
	{ "vmsa_page_returned_to_guest", t_page_returned, NULL },
	{ "delete_again_invalid_parameter", t_delete_again, NULL },
	{ "recreate_on_same_apic_id", t_recreate, NULL },
	{ "self_delete_does_not_return", t_self_delete, NULL },
};
const struct gt_suite gt_suite_vcpu = GT_SUITE("vcpu", vcpu_cases);

/* ---- husk's region ---- */

static uint64_t husk_at(const void *arg)
{
	const uint32_t *which = arg;

	switch (*which) {
	case 0: return ginfo.svsm_base;
	case 1: return ginfo.svsm_base + ginfo.svsm_size / 2 + 0x123;
	default: return ginfo.svsm_base + ginfo.svsm_size - 1;
	}
}

static bool expect_gp(struct gt *t, const char *what, int vec, const uint8_t *insn)
{
	if (vec != (int)GP_VECTOR || guest_probe_fault.error != 0 ||
	    guest_probe_fault.rip != (uint64_t)(uintptr_t)insn) {
		gt_fail(t, "%s: vector %d error 0x%llx at 0x%llx, expected #GP(0) at %p", what, vec,
			(unsigned long long)guest_probe_fault.error,
			(unsigned long long)guest_probe_fault.rip, (const void *)insn);
		return false;
	}
	return true;
}

static void t_iso_read(struct gt *t, const void *arg)
{
	uint8_t v = 0;
	uint64_t a = husk_at(arg);

	expect_gp(t, "read", guest_probe_read8(a, &v), guest_probe_read8_insn);
}

static void t_iso_write(struct gt *t, const void *arg)
{
	expect_gp(t, "write", guest_probe_write8(husk_at(arg), 0x5a), guest_probe_write8_insn);
}

/* Write, then try to read back: never a value, always #GP. */
static void t_iso_write_read(struct gt *t, const void *arg)
{
	static const uint32_t where[3] = { 0, 1, 2 };
	uint8_t v;

	for (unsigned i = 0; i < 3; i++) {
		uint64_t a = husk_at(&where[i]);
		int vec;

		(void)guest_probe_write8(a, 0xc3);
		v = 0;
		vec = guest_probe_read8(a, &v);
		if (vec < 0)
			gt_fail(t, "0x%llx read back as 0x%02x", (unsigned long long)a, v);
		else
			expect_gp(t, "read after write", vec, guest_probe_read8_insn);
	}
}

static const uint32_t at_base = 0, at_mid = 1, at_last = 2;

static const struct gt_case iso_cases[] = {
	{ "read_first_byte_gp0", t_iso_read, &at_base },
	{ "read_middle_gp0", t_iso_read, &at_mid },
	{ "read_last_byte_gp0", t_iso_read, &at_last },
	{ "write_first_byte_gp0", t_iso_write, &at_base },
	{ "write_middle_gp0", t_iso_write, &at_mid },
	{ "write_last_byte_gp0", t_iso_write, &at_last },
	{ "written_value_never_readable", t_iso_write_read, NULL },
};
const struct gt_suite gt_suite_isolation = GT_SUITE("isolation", iso_cases);
