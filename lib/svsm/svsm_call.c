/* The SVSM call: svsm_init, the calling-area handshake, the dispatch by
 * protocol and call (docs/svsm.md, "The call"), and the registry of the
 * guest's vCPUs under s->lock (lock rules in svsm_internal.h). */
#include <stdbool.h>
#include <stdint.h>

#include "husk/err.h"
#include "svsm/svsm.h"
#include "svsm/svsm_internal.h"

int svsm_init(struct svsm *s, const struct svsm_platform_ops *ops, const struct svsm_config *cfg)
{
	uint32_t boot = UINT32_MAX;

	if (!s || !ops || !cfg)
		return HUSK_ERR_INVAL;
	if (!ops->read || !ops->write || !ops->zero || !ops->guest_ram || !ops->pvalidate ||
	    !ops->vcpu_start || !ops->vcpu_stop)
		return HUSK_ERR_INVAL;
	if (cfg->vcpu_count == 0 || cfg->vcpu_count > HUSK_MAX_CPUS)
		return HUSK_ERR_INVAL;
	if (cfg->guest_vmpl == 0 || cfg->guest_vmpl > 3)
		return HUSK_ERR_INVAL;
	if (cfg->boot_ca_gpa & (SVSM_PAGE_4K - 1))
		return HUSK_ERR_INVAL;
	for (uint32_t i = 0; i < cfg->vcpu_count; i++) {
		for (uint32_t j = 0; j < i; j++) {
			if (cfg->apic_ids[i] == cfg->apic_ids[j])
				return HUSK_ERR_INVAL;
		}
		if (cfg->apic_ids[i] == cfg->boot_apic_id)
			boot = i;
	}
	if (boot == UINT32_MAX)
		return HUSK_ERR_INVAL;
	if (cfg->boot_ca_gpa > UINT64_MAX - SVSM_PAGE_4K ||
	    !ops->guest_ram(ops->ctx, cfg->boot_ca_gpa, SVSM_PAGE_4K))
		return HUSK_ERR_INVAL;

	*s = (struct svsm){ .ops = ops, .cfg = *cfg };
	for (uint32_t i = 0; i < cfg->vcpu_count; i++)
		s->vcpus[i].apic_id = cfg->apic_ids[i];
	s->vcpus[boot].state = SVSM_VCPU_RUNNING;
	s->vcpus[boot].ca_gpa = cfg->boot_ca_gpa;
	s->vcpus[boot].boot = true;
	return HUSK_OK;
}

/* ---- registry ---- */

struct svsm_vcpu *svsm_vcpu_find_locked(struct svsm *s, uint32_t apic_id)
{
	for (uint32_t i = 0; i < s->cfg.vcpu_count; i++) {
		if (s->vcpus[i].apic_id == apic_id)
			return &s->vcpus[i];
	}
	return NULL;
}

const struct svsm_vcpu *svsm_vcpu(const struct svsm *s, uint32_t apic_id)
{
	/* APIC IDs never change after svsm_init: no lock needed to find the
	 * slot; its other fields are stored whole (svsm_vcpu_set_*). */
	for (uint32_t i = 0; i < s->cfg.vcpu_count; i++) {
		if (s->vcpus[i].apic_id == apic_id)
			return &s->vcpus[i];
	}
	return NULL;
}

/* [a, a + 4 KiB) overlaps [gpa, end); end > gpa, and a page husk records
 * never wraps (it passed svsm_guest_ram). */
static bool page_overlaps(uint64_t a, uint64_t gpa, uint64_t end)
{
	return a < end && (a >= gpa || gpa - a < SVSM_PAGE_4K);
}

bool svsm_page_in_use_locked(const struct svsm *s, uint64_t gpa, uint64_t len, bool pvalidating)
{
	uint64_t end = gpa + len;

	for (uint32_t i = 0; i < s->cfg.vcpu_count; i++) {
		const struct svsm_vcpu *v = &s->vcpus[i];

		/* pval_len is set only while the vCPU is in a call, i.e. not
		 * ABSENT; its range never wraps (it passed svsm_guest_ram). */
		if (pvalidating && v->pval_len != 0 && v->pval_gpa < end &&
		    gpa < v->pval_gpa + v->pval_len)
			return true;
		if (v->state == SVSM_VCPU_ABSENT)
			continue;
		if (page_overlaps(v->ca_gpa, gpa, end))
			return true;
		if (!v->boot && page_overlaps(v->vmsa_gpa, gpa, end))
			return true;
	}
	return false;
}

void svsm_vcpu_set_state(struct svsm_vcpu *v, uint32_t state)
{
	__atomic_store_n(&v->state, state, __ATOMIC_RELEASE);
}

void svsm_vcpu_set_ca(struct svsm_vcpu *v, uint64_t ca_gpa)
{
	__atomic_store_n(&v->ca_gpa, ca_gpa, __ATOMIC_RELEASE);
}

bool svsm_guest_ram(const struct svsm *s, uint64_t gpa, uint64_t len)
{
	/* gpa + len must be a number: a range that ends at 2^64 is refused
	 * here, so no platform computes an end that wrapped to 0. */
	if (len == 0 || gpa > UINT64_MAX - len)
		return false;
	return s->ops->guest_ram(s->ops->ctx, gpa, len);
}

/* ---- the call ---- */

static uint32_t svsm_dispatch(struct svsm *s, struct svsm_vcpu *self, struct svsm_regs *regs,
			      bool *stop_self)
{
	uint32_t proto = (uint32_t)(regs->rax >> 32);
	uint32_t call = (uint32_t)regs->rax;

	switch (proto) {
	case SVSM_PROTOCOL_CORE:
		switch (call) {
		case SVSM_CORE_REMAP_CA:
			return svsm_core_remap_ca(s, self, regs);
		case SVSM_CORE_PVALIDATE:
			return svsm_core_pvalidate(s, self, regs);
		case SVSM_CORE_CREATE_VCPU:
			return svsm_core_create_vcpu(s, regs);
		case SVSM_CORE_DELETE_VCPU:
			return svsm_core_delete_vcpu(s, self, regs, stop_self);
		case SVSM_CORE_QUERY_PROTOCOL:
			return svsm_core_query_protocol(s, regs);
		case SVSM_CORE_CONFIGURE_VTOM:
			return svsm_core_configure_vtom(regs);
		default: /* DEPOSIT_MEM, WITHDRAW_MEM, and beyond 7 */
			return SVSM_ERR_UNSUPPORTED_CALL;
		}
	case SVSM_PROTOCOL_ATTEST:
		if (!s->ops->attest_report)
			return SVSM_ERR_UNSUPPORTED_PROTOCOL;
		switch (call) {
		case SVSM_ATTEST_SERVICES:
			return svsm_attest(s, regs, false);
		case SVSM_ATTEST_SINGLE_SERVICE:
			return svsm_attest(s, regs, true);
		default:
			return SVSM_ERR_UNSUPPORTED_CALL;
		}
	case SVSM_PROTOCOL_VTPM:
		if (!s->ops->vtpm_send)
			return SVSM_ERR_UNSUPPORTED_PROTOCOL;
		switch (call) {
		case SVSM_VTPM_QUERY:
			return svsm_vtpm_query(regs);
		case SVSM_VTPM_CMD:
			return svsm_vtpm_cmd(s, regs);
		default:
			return SVSM_ERR_UNSUPPORTED_CALL;
		}
	default:
		return SVSM_ERR_UNSUPPORTED_PROTOCOL;
	}
}

enum svsm_outcome svsm_call(struct svsm *s, uint32_t apic_id, struct svsm_regs *regs)
{
	const struct svsm_platform_ops *ops = s->ops;
	struct svsm_vcpu *self;
	uint64_t ca = 0;
	bool present = false, stop_self = false;
	uint8_t pending;
	static const uint8_t zero;

	svsm_spin_lock(&s->lock);
	self = svsm_vcpu_find_locked(s, apic_id);
	if (self && self->state != SVSM_VCPU_ABSENT) {
		present = true;
		ca = self->ca_gpa;
	}
	svsm_spin_unlock(&s->lock);
	if (!present)
		return SVSM_RESUME_SPURIOUS;

	/* The handshake: read call_pending once, clear it, then act on the
	 * copy.  A CA husk cannot read or write (it was checked when it was
	 * set, so only a platform failure) counts as no call: the guest sees
	 * call_pending still set and that husk did not take the call. */
	if (ops->read(ops->ctx, ca + SVSM_CA_CALL_PENDING, &pending, 1) != 0 || pending == 0)
		return SVSM_RESUME_SPURIOUS;
	if (ops->write(ops->ctx, ca + SVSM_CA_CALL_PENDING, &zero, 1) != 0)
		return SVSM_RESUME_SPURIOUS;
	if (pending != 1) {
		regs->rax = SVSM_ERR_INVALID_FORMAT;
		return SVSM_RESUME;
	}

	uint32_t rc = svsm_dispatch(s, self, regs, &stop_self);

	if (stop_self)
		return SVSM_STOP_SELF;
	regs->rax = rc;
	return SVSM_RESUME;
}
