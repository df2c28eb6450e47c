/* vCPU lifecycle: CREATE_VCPU and DELETE_VCPU (docs/svsm.md), the VMSA
 * check, and svsm_vcpu_stopped.
 *
 * A slot changes state only under s->lock: ABSENT -> STARTING (CREATE has
 * reserved APIC ID, VMSA and CA) -> RUNNING or back to ABSENT; RUNNING ->
 * STOPPING (DELETE in progress) -> ABSENT, or back to RUNNING; any state ->
 * ABSENT by svsm_vcpu_stopped.  The platform's vcpu_start and vcpu_stop run
 * with the lock released; the transient states keep the APIC ID and the
 * pages reserved meanwhile, so two CREATEs of one APIC ID (or of one page)
 * cannot both win, and `gen` tells the finishing call whether the slot is
 * still its own. */
#include <stdbool.h>
#include <stdint.h>

#include "svsm/svsm.h"
#include "svsm/svsm_internal.h"

/* Frees the slot; the caller holds s->lock. */
static void vcpu_release_locked(struct svsm_vcpu *v)
{
	svsm_vcpu_set_state(v, SVSM_VCPU_ABSENT);
	svsm_vcpu_set_ca(v, 0);
	v->vmsa_gpa = 0;
	v->boot = false;
}

/* ---- the VMSA check ----
 *
 * A VMSA for the guest's VMPL with EFER.SVME set and the boot vCPU's SEV
 * features, whose state VMRUN would accept.  AMD APM vol. 2, 15.5.1 lists
 * what makes VMRUN fail with VMEXIT_INVALID; the rules about state a VMSA
 * holds, each refused here:
 *   1. CR0.CD = 0 and CR0.NW = 1;
 *   2. CR0[63:32] not zero;
 *   3. CR3 reserved bits: 63:52 not zero;
 *   4. CR4 reserved bits set: any bit but those AMD64 defines (VME PVI TSD
 *      DE PSE PAE MCE PGE PCE OSFXSR OSXMMEXCPT UMIP LA57 = 12:0, FSGSBASE
 *      PCIDE OSXSAVE = 18:16, SMEP SMAP PKE CET = 23:20; Intel's VMXE, SMXE,
 *      KL, PKS, UINTR, LAM_SUP and FRED are reserved on AMD);
 *   5. DR6[63:32] not zero;
 *   6. DR7[63:32] not zero;
 *   7. EFER reserved bits: any bit but SCE, LME, LMA, NXE, SVME, LMSLE,
 *      FFXSR, TCE;
 *   8. EFER.LME and CR0.PG set, CR4.PAE clear;
 *   9. EFER.LME and CR0.PG set, CR0.PE clear;
 *  10. EFER.LME, CR0.PG, CR4.PAE, CS.L and CS.D all set.
 * 15.5.1's other rules are about the VMCB control area, which the platform
 * builds itself (the VMRUN intercept, ASID 0, MSR/IO permission maps beyond
 * the physical address width, event injection), or about the processor
 * (long mode unsupported): nothing in a VMSA decides them. */

#define VMSA_CR3_MBZ     0xfff0000000000000ull
#define VMSA_CR4_DEFINED 0x0000000000f71fffull
#define VMSA_EFER_DEFINED                                                                    \
	(VMSA_EFER_SCE | VMSA_EFER_LME | VMSA_EFER_LMA | VMSA_EFER_NXE | VMSA_EFER_SVME |    \
	 VMSA_EFER_LMSLE | VMSA_EFER_FFXSR | VMSA_EFER_TCE)

uint32_t svsm_vmsa_check(const uint8_t *vmsa, uint8_t guest_vmpl, uint64_t sev_features)
{
	uint64_t efer = svsm_le64(vmsa + VMSA_EFER);
	uint64_t cr0 = svsm_le64(vmsa + VMSA_CR0);
	uint64_t cr3 = svsm_le64(vmsa + VMSA_CR3);
	uint64_t cr4 = svsm_le64(vmsa + VMSA_CR4);
	uint64_t dr6 = svsm_le64(vmsa + VMSA_DR6);
	uint64_t dr7 = svsm_le64(vmsa + VMSA_DR7);
	uint16_t cs_attrib = svsm_le16(vmsa + VMSA_CS + 2);
	bool long_paging = (efer & VMSA_EFER_LME) && (cr0 & VMSA_CR0_PG);

	if (vmsa[VMSA_VMPL] != guest_vmpl || !(efer & VMSA_EFER_SVME) ||
	    svsm_le64(vmsa + VMSA_SEV_FEATURES) != sev_features)
		return SVSM_ERR_INVALID_PARAMETER;
	if ((!(cr0 & VMSA_CR0_CD) && (cr0 & VMSA_CR0_NW)) || (cr0 >> 32) != 0 ||
	    (cr3 & VMSA_CR3_MBZ) || (cr4 & ~VMSA_CR4_DEFINED) || (dr6 >> 32) != 0 ||
	    (dr7 >> 32) != 0 || (efer & ~VMSA_EFER_DEFINED))
		return SVSM_ERR_INVALID_PARAMETER;
	if (long_paging && (!(cr4 & VMSA_CR4_PAE) || !(cr0 & VMSA_CR0_PE) ||
			    ((cs_attrib & VMSA_SEG_ATTR_L) && (cs_attrib & VMSA_SEG_ATTR_DB))))
		return SVSM_ERR_INVALID_PARAMETER;
	return SVSM_SUCCESS;
}

/* ---- CREATE_VCPU ---- */

/* The part after the reservation: copy the VMSA once, check the copy,
 * start the vCPU from it.  Not inlined, so the 4 KiB copy is on the stack
 * only during this call. */
static __attribute__((noinline)) uint32_t create_finish(struct svsm *s, struct svsm_vcpu *v,
							uint32_t gen, uint64_t vmsa_gpa,
							uint64_t ca_gpa)
{
	const struct svsm_platform_ops *ops = s->ops;
	uint8_t vmsa[VMSA_SIZE];
	uint32_t rc;

	if (ops->read(ops->ctx, vmsa_gpa, vmsa, sizeof(vmsa)) != 0)
		rc = SVSM_ERR_INVALID_ADDRESS;
	else
		rc = svsm_vmsa_check(vmsa, s->cfg.guest_vmpl, s->cfg.sev_features);
	if (rc == SVSM_SUCCESS)
		rc = ops->vcpu_start(ops->ctx, v->apic_id, vmsa, vmsa_gpa, ca_gpa);

	svsm_spin_lock(&s->lock);
	/* Unless the platform already reported the new vCPU stopped (and the
	 * slot may have been reused), the slot is ours to settle. */
	if (v->state == SVSM_VCPU_STARTING && v->gen == gen) {
		if (rc == SVSM_SUCCESS)
			svsm_vcpu_set_state(v, SVSM_VCPU_RUNNING);
		else
			vcpu_release_locked(v);
	}
	svsm_spin_unlock(&s->lock);
	return rc;
}

uint32_t svsm_core_create_vcpu(struct svsm *s, const struct svsm_regs *r)
{
	uint64_t vmsa_gpa = r->rcx, ca_gpa = r->rdx;
	uint32_t apic_id = (uint32_t)r->r8;
	struct svsm_vcpu *v;
	uint32_t rc = SVSM_SUCCESS, gen = 0;

	if ((vmsa_gpa | ca_gpa) & (SVSM_PAGE_4K - 1))
		return SVSM_ERR_INVALID_PARAMETER;
	if (!svsm_guest_ram(s, vmsa_gpa, SVSM_PAGE_4K) ||
	    !svsm_guest_ram(s, ca_gpa, SVSM_PAGE_4K) || vmsa_gpa == ca_gpa)
		return SVSM_ERR_INVALID_ADDRESS;

	svsm_spin_lock(&s->lock);
	v = svsm_vcpu_find_locked(s, apic_id);
	if (svsm_page_in_use_locked(s, vmsa_gpa, SVSM_PAGE_4K, true) ||
	    svsm_page_in_use_locked(s, ca_gpa, SVSM_PAGE_4K, true)) {
		rc = SVSM_ERR_INVALID_ADDRESS;
	} else if (!v || v->state != SVSM_VCPU_ABSENT) {
		rc = SVSM_ERR_INVALID_PARAMETER;
	} else {
		gen = ++v->gen;
		v->vmsa_gpa = vmsa_gpa;
		v->boot = false;
		svsm_vcpu_set_ca(v, ca_gpa);
		svsm_vcpu_set_state(v, SVSM_VCPU_STARTING);
	}
	svsm_spin_unlock(&s->lock);
	if (rc != SVSM_SUCCESS)
		return rc;
	return create_finish(s, v, gen, vmsa_gpa, ca_gpa);
}

/* ---- DELETE_VCPU ---- */

uint32_t svsm_core_delete_vcpu(struct svsm *s, struct svsm_vcpu *self, const struct svsm_regs *r,
			       bool *stop_self)
{
	const struct svsm_platform_ops *ops = s->ops;
	uint64_t vmsa_gpa = r->rcx;
	struct svsm_vcpu *v = NULL;
	uint32_t gen, apic_id, rc;

	if (vmsa_gpa & (SVSM_PAGE_4K - 1))
		return SVSM_ERR_INVALID_PARAMETER;

	svsm_spin_lock(&s->lock);
	for (uint32_t i = 0; i < s->cfg.vcpu_count; i++) {
		struct svsm_vcpu *c = &s->vcpus[i];

		/* The boot vCPU has no VMSA page: never matches. */
		if (c->state == SVSM_VCPU_RUNNING && !c->boot && c->vmsa_gpa == vmsa_gpa) {
			v = c;
			break;
		}
	}
	if (!v) {
		svsm_spin_unlock(&s->lock);
		return SVSM_ERR_INVALID_PARAMETER;
	}
	svsm_vcpu_set_state(v, SVSM_VCPU_STOPPING);
	if (v == self) {
		/* The platform stops it, writes its state into the VMSA page and
		 * calls svsm_vcpu_stopped. */
		svsm_spin_unlock(&s->lock);
		*stop_self = true;
		return SVSM_SUCCESS;
	}
	gen = v->gen;
	apic_id = v->apic_id;
	svsm_spin_unlock(&s->lock);

	rc = ops->vcpu_stop(ops->ctx, apic_id, vmsa_gpa);

	svsm_spin_lock(&s->lock);
	if (v->state == SVSM_VCPU_STOPPING && v->gen == gen) {
		if (rc == SVSM_SUCCESS)
			vcpu_release_locked(v);
		else
			svsm_vcpu_set_state(v, SVSM_VCPU_RUNNING); /* nothing changed */
	} else {
		/* It stopped on its own meanwhile (svsm_vcpu_stopped): gone,
		 * its state in the VMSA page. */
		rc = SVSM_SUCCESS;
	}
	svsm_spin_unlock(&s->lock);
	return rc;
}

/* ---- the platform's report ---- */

void svsm_vcpu_stopped(struct svsm *s, uint32_t apic_id)
{
	svsm_spin_lock(&s->lock);
	struct svsm_vcpu *v = svsm_vcpu_find_locked(s, apic_id);

	if (v && v->state != SVSM_VCPU_ABSENT)
		vcpu_release_locked(v);
	svsm_spin_unlock(&s->lock);
}
