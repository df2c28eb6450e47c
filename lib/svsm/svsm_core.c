/* Core protocol calls that need no page work: REMAP_CA, QUERY_PROTOCOL and
 * CONFIGURE_VTOM (docs/svsm.md).  DEPOSIT_MEM and WITHDRAW_MEM are answered
 * UNSUPPORTED_CALL by the dispatcher (svsm_call.c). */
#include <stdbool.h>
#include <stdint.h>

#include "svsm/svsm.h"
#include "svsm/svsm_internal.h"

#define SVSM_CORE_VERSION 1u
#define SVSM_VTPM_VERSION 1u
#define SVSM_ATTEST_VERSION 1u

uint32_t svsm_core_remap_ca(struct svsm *s, struct svsm_vcpu *self, const struct svsm_regs *r)
{
	static const uint8_t zeros[SVSM_CA_BUFFER];
	const struct svsm_platform_ops *ops = s->ops;
	uint64_t gpa = r->rcx, old;

	if (gpa & (SVSM_PAGE_4K - 1))
		return SVSM_ERR_INVALID_PARAMETER;
	if (!svsm_guest_ram(s, gpa, SVSM_PAGE_4K))
		return SVSM_ERR_INVALID_ADDRESS;

	/* Checked and taken under the lock, so that no other vCPU can take
	 * the page as its CA or VMSA at the same time; written after. */
	svsm_spin_lock(&s->lock);
	old = self->ca_gpa;
	if (gpa == old) {
		svsm_spin_unlock(&s->lock);
		return SVSM_SUCCESS;
	}
	if (self->state == SVSM_VCPU_ABSENT ||
	    svsm_page_in_use_locked(s, gpa, SVSM_PAGE_4K, true)) {
		svsm_spin_unlock(&s->lock);
		return SVSM_ERR_INVALID_ADDRESS;
	}
	svsm_vcpu_set_ca(self, gpa);
	svsm_spin_unlock(&s->lock);

	if (ops->write(ops->ctx, gpa, zeros, sizeof(zeros)) == 0)
		return SVSM_SUCCESS;
	/* The platform refused a page it called guest RAM: go back to the
	 * old CA unless another vCPU of the guest took it in the meantime (the
	 * guest racing itself; it then keeps the new one). */
	svsm_spin_lock(&s->lock);
	if (self->ca_gpa == gpa && !svsm_page_in_use_locked(s, old, SVSM_PAGE_4K, true))
		svsm_vcpu_set_ca(self, old);
	svsm_spin_unlock(&s->lock);
	return SVSM_ERR_INVALID_ADDRESS;
}

uint32_t svsm_core_query_protocol(const struct svsm *s, struct svsm_regs *r)
{
	uint32_t proto = (uint32_t)(r->rcx >> 32), version = (uint32_t)r->rcx;
	uint32_t min = 0, max = 0;

	if (proto == SVSM_PROTOCOL_CORE) {
		min = max = SVSM_CORE_VERSION;
	} else if (proto == SVSM_PROTOCOL_ATTEST && s->ops->attest_report) {
		min = max = SVSM_ATTEST_VERSION;
	} else if (proto == SVSM_PROTOCOL_VTPM && s->ops->vtpm_send) {
		min = max = SVSM_VTPM_VERSION;
	}
	if (max != 0 && version >= min && version <= max)
		r->rcx = (uint64_t)max << 32 | min;
	else
		r->rcx = 0;
	return SVSM_SUCCESS;
}

uint32_t svsm_core_configure_vtom(struct svsm_regs *r)
{
	/* Query (RCX bit 0): "cannot be configured".  Configure: refused. */
	if (r->rcx & 1u) {
		r->rcx = 0;
		return SVSM_SUCCESS;
	}
	return SVSM_ERR_INVALID_REQUEST;
}
