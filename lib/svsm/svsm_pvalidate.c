/* The core protocol's PVALIDATE (docs/svsm.md, "PVALIDATE"): a list of
 * 4 KiB and 2 MiB pages to validate or rescind, at most
 * SVSM_PVALIDATE_BATCH entries per call, `next` written back. */
#include <stdbool.h>
#include <stdint.h>

#include "svsm/svsm.h"
#include "svsm/svsm_internal.h"

#define PVAL_HDR_SIZE   8u
#define PVAL_ENTRY_SIZE 8u

/* One entry, in the order of docs/svsm.md's table.  The page stays
 * reserved in self->pval_* (until the next entry or the end of the call)
 * so that no other vCPU makes it a CA or VMSA while the ops work on it. */
static uint32_t pvalidate_entry(struct svsm *s, struct svsm_vcpu *self, uint64_t e)
{
	const struct svsm_platform_ops *ops = s->ops;
	uint64_t size_field = e & SVSM_PVAL_SIZE_MASK;
	uint64_t gpa = e & ~(SVSM_PAGE_4K - 1);
	bool validate = (e & SVSM_PVAL_VALIDATE) != 0;
	bool unchanged = false, busy;

	if ((e & SVSM_PVAL_RESERVED) || size_field > SVSM_PVAL_SIZE_2M)
		return SVSM_ERR_INVALID_PARAMETER;
	bool huge = size_field == SVSM_PVAL_SIZE_2M;
	uint64_t len = huge ? SVSM_PAGE_2M : SVSM_PAGE_4K;

	if (gpa & (len - 1))
		return SVSM_ERR_INVALID_PARAMETER;
	if (!svsm_guest_ram(s, gpa, len))
		return SVSM_ERR_INVALID_ADDRESS;
	svsm_spin_lock(&s->lock);
	busy = svsm_page_in_use_locked(s, gpa, len, false);
	if (!busy) {
		self->pval_gpa = gpa;
		self->pval_len = len;
	}
	svsm_spin_unlock(&s->lock);
	if (busy)
		return SVSM_ERR_INVALID_ADDRESS;

	uint32_t c = ops->pvalidate(ops->ctx, gpa, huge, validate, &unchanged);

	if (c == SVSM_PVALIDATE_OP_RETRY)
		return SVSM_ERR_BUSY;
	if (c != 0)
		return c <= 0xfu ? SVSM_ERR_PROTOCOL_BASE + c : SVSM_PVALIDATE_FAIL_UNKNOWN;
	if (unchanged)
		return (e & SVSM_PVAL_IGNORE_CF) ? SVSM_SUCCESS : SVSM_PVALIDATE_FAIL_UNCHANGED;
	/* Newly validated: its old contents may be anything the host put
	 * there.  If it cannot be zeroed it must not stay validated. */
	if (validate && ops->zero(ops->ctx, gpa, len) != 0) {
		(void)ops->pvalidate(ops->ctx, gpa, huge, false, &unchanged);
		return SVSM_ERR_INVALID_ADDRESS;
	}
	return SVSM_SUCCESS;
}

uint32_t svsm_core_pvalidate(struct svsm *s, struct svsm_vcpu *self, const struct svsm_regs *r)
{
	const struct svsm_platform_ops *ops = s->ops;
	uint64_t gpa = r->rcx;
	uint8_t hdr[PVAL_HDR_SIZE];
	uint8_t ent[SVSM_PVALIDATE_BATCH * PVAL_ENTRY_SIZE];
	uint8_t next_le[2];
	uint32_t rc = SVSM_SUCCESS;

	if (gpa & 7u)
		return SVSM_ERR_INVALID_PARAMETER;
	if (!svsm_guest_ram(s, gpa, sizeof(hdr)) || ops->read(ops->ctx, gpa, hdr, sizeof(hdr)) != 0)
		return SVSM_ERR_INVALID_ADDRESS;

	uint32_t n = svsm_le16(hdr), next = svsm_le16(hdr + 2);

	if (n == 0 || (gpa & (SVSM_PAGE_4K - 1)) + PVAL_HDR_SIZE + (uint64_t)n * PVAL_ENTRY_SIZE >
			      SVSM_PAGE_4K || next >= n)
		return SVSM_ERR_INVALID_PARAMETER;

	/* This call's batch, read once. */
	uint32_t count = n - next;

	if (count > SVSM_PVALIDATE_BATCH)
		count = SVSM_PVALIDATE_BATCH;
	if (ops->read(ops->ctx, gpa + PVAL_HDR_SIZE + (uint64_t)next * PVAL_ENTRY_SIZE, ent,
		      (size_t)count * PVAL_ENTRY_SIZE) != 0)
		return SVSM_ERR_INVALID_ADDRESS;

	for (uint32_t i = 0; i < count; i++) {
		rc = pvalidate_entry(s, self, svsm_le64(ent + i * PVAL_ENTRY_SIZE));
		if (rc != SVSM_SUCCESS)
			break;
		next++;
	}
	if (self->pval_len != 0) {
		svsm_spin_lock(&s->lock);
		self->pval_len = 0;
		svsm_spin_unlock(&s->lock);
	}
	if (rc == SVSM_SUCCESS && next < n)
		rc = SVSM_ERR_INCOMPLETE;

	svsm_put_le16(next_le, (uint16_t)next);
	if (ops->write(ops->ctx, gpa + 2, next_le, sizeof(next_le)) != 0)
		return SVSM_ERR_INVALID_ADDRESS;
	return rc;
}
