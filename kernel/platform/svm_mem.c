/* svm: the guest's memory as husk sees it.  Guest RAM is what the VMM's
 * memory map calls RAM, minus husk's region.  husk reaches it only through
 * per-CPU temporary mappings (mm/tmpmap), a few pages at a time, and never
 * touches a page it holds as a VMSA on the guest's behalf.  The validated
 * state of every guest page is kept in lib/svsm's RMP model: AMD-V has no
 * RMP, so PVALIDATE is bookkeeping here (docs/svm.md says what that does
 * and does not give). */
#include <string.h>

#include "core/console.h"
#include "husk/err.h"
#include "mm/kheap.h"
#include "mm/tmpmap.h"
#include "platform/svm_internal.h"
#include "svsm/svsm_rmp.h"

static const struct bp_info *vmm;
static uint64_t region_base, region_size, top;
static struct svsm_rmp rmp;

static void *rmp_calloc(void *ctx, size_t n, size_t size)
{
	(void)ctx;
	return kcalloc(n, size);
}

static void rmp_free(void *ctx, void *p)
{
	(void)ctx;
	kfree(p);
}

static const struct svsm_rmp_alloc rmp_alloc = { .calloc = rmp_calloc, .free = rmp_free };

int svm_mem_init(const struct husk_boot_params *bp, const struct bp_info *info)
{
	uint64_t ram_end = 0;

	vmm = info;
	region_base = bp->region_base;
	region_size = bp->region_size;
	for (uint32_t i = 0; i < info->memmap_count; i++) {
		const struct husk_memmap_entry *e = &info->memmap[i];

		if (e->type == HUSK_MEMMAP_MEMORY)
			ram_end = HUSK_MAX(ram_end, (e->start_page + e->page_count) << 12);
	}
	/* Below 4 GiB everything (RAM, MMIO, firmware) goes to the guest;
	 * above, RAM.  Rounded to 2 MiB pages. */
	top = HUSK_ALIGN_UP(HUSK_MAX(ram_end, 1ull << 32), 1ull << 21);
	return svsm_rmp_init(&rmp, &rmp_alloc, top);
}

uint64_t svm_mem_top(void)
{
	return top;
}

bool svm_mem_in_husk(uint64_t gpa, uint64_t len)
{
	return gpa < region_base + region_size && region_base < gpa + len;
}

bool svm_mem_is_ram(uint64_t gpa, uint64_t len)
{
	if (len == 0 || gpa + len < gpa)
		return false;
	return !svm_mem_in_husk(gpa, len) && bp_range_is_ram(vmm, gpa, len);
}

bool svm_mem_guest_ram(uint64_t gpa, uint64_t len)
{
	return svm_mem_is_ram(gpa, len);
}

/* Guest memory husk may copy from or to: RAM, not a VMSA it holds. */
static bool usable(uint64_t gpa, uint64_t len)
{
	return svm_mem_is_ram(gpa, len) && !svm_vcpu_holds(gpa, len);
}

/* Copies len bytes between guest memory at gpa and husk's buf, mapping at
 * most TMPMAP_MAX_PAGES pages at a time. */
static int copy(uint64_t gpa, void *buf, size_t len, bool to_guest, bool held_ok)
{
	uint8_t *p = buf;

	if (held_ok ? !svm_mem_is_ram(gpa, len) : !usable(gpa, len))
		return HUSK_ERR_RANGE;
	while (len) {
		uint64_t page = gpa & ~0xfffull, off = gpa & 0xfff;
		size_t npages = HUSK_MIN((size_t)TMPMAP_MAX_PAGES, (size_t)((off + len + 0xfff) >> 12));
		size_t n = HUSK_MIN(len, npages * HUSK_PAGE_SIZE - (size_t)off);
		void *va;
		int err = tmpmap_map(page, npages, &va);

		if (err)
			return err;
		if (to_guest)
			memcpy((uint8_t *)va + off, p, n);
		else
			memcpy(p, (uint8_t *)va + off, n);
		tmpmap_unmap(va, npages);
		gpa += n;
		p += n;
		len -= n;
	}
	return HUSK_OK;
}

int svm_mem_read(uint64_t gpa, void *buf, size_t len)
{
	return copy(gpa, buf, len, false, false);
}

int svm_mem_write(uint64_t gpa, const void *buf, size_t len)
{
	return copy(gpa, (void *)buf, len, true, false);
}

int svm_mem_write_vmsa(uint64_t gpa, const void *vmsa)
{
	return copy(gpa, (void *)vmsa, VMSA_SIZE, true, true);
}

int svm_mem_zero(uint64_t gpa, uint64_t len)
{
	if ((gpa | len) & 0xfff || !usable(gpa, len))
		return HUSK_ERR_RANGE;
	while (len) {
		size_t npages = (size_t)HUSK_MIN((uint64_t)TMPMAP_MAX_PAGES, len >> 12);
		void *va;
		int err = tmpmap_map(gpa, npages, &va);

		if (err)
			return err;
		memset(va, 0, npages * HUSK_PAGE_SIZE);
		tmpmap_unmap(va, npages);
		gpa += npages * HUSK_PAGE_SIZE;
		len -= npages * HUSK_PAGE_SIZE;
	}
	return HUSK_OK;
}

uint32_t svm_mem_pvalidate(uint64_t gpa, bool huge, bool validate, bool *unchanged)
{
	return svsm_rmp_pvalidate(&rmp, gpa, huge, validate, unchanged);
}
