/* svm: the nested page tables, shared by every vCPU.  An identity map of
 * guest-physical memory: everything below 4 GiB (RAM, MMIO, firmware) and
 * the RAM above, except husk's region, which is never mapped.  RAM is
 * mapped write-back, everything else uncacheable, in 2 MiB pages where a
 * 2 MiB range is all one kind and 4 KiB pages elsewhere.  Pages husk takes
 * from the guest while it holds them (VMSAs) are unmapped and mapped back
 * later; each change bumps a generation that makes every CPU flush its
 * guest TLB before its next VMRUN.  The tables live in husk's region. */
#include "core/spinlock.h"
#include "husk/err.h"
#include "mm/pages.h"
#include "platform/svm_internal.h"
#include "pt/pt.h"

#define NPT_RAM  (PT_P | PT_W | PT_U)
#define NPT_MMIO (PT_P | PT_W | PT_U | PT_PWT | PT_PCD)
#define SIZE_2M  (1ull << 21)

static struct spinlock npt_lock = SPINLOCK_INIT;
static struct pt npt;
static uint64_t generation = 1;
static const struct bp_info *map;

static int npt_alloc_table(void *ctx, uint64_t *pa)
{
	(void)ctx;
	return page_alloc(0, pa);
}

static uint64_t *npt_table(void *ctx, uint64_t pa)
{
	(void)ctx;
	return pa_to_va(pa);
}

static const struct pt_ops npt_ops = {
	.alloc_table = npt_alloc_table,
	.table = npt_table,
	.table_flags = PT_P | PT_W | PT_U, /* nested walks are user accesses */
};

/* 1 if [gpa, gpa + len) is all RAM, 0 if none of it is, -1 if mixed. */
static int ram_kind(uint64_t gpa, uint64_t len)
{
	if (bp_range_is_ram(map, gpa, len))
		return 1;
	for (uint32_t i = 0; i < map->memmap_count; i++) {
		const struct husk_memmap_entry *e = &map->memmap[i];
		uint64_t start = e->start_page << 12, end = start + (e->page_count << 12);

		if (e->type == HUSK_MEMMAP_MEMORY && start < gpa + len && gpa < end)
			return -1;
	}
	return 0;
}

int svm_npt_init(const struct bp_info *vmm, uint64_t region_base, uint64_t region_size,
		 uint64_t top)
{
	int err;

	map = vmm;
	err = pt_init(&npt, &npt_ops);
	for (uint64_t gpa = 0; !err && gpa < top; gpa += SIZE_2M) {
		bool touches_husk = gpa < region_base + region_size && region_base < gpa + SIZE_2M;
		int kind = ram_kind(gpa, SIZE_2M);

		if (!touches_husk && kind >= 0) {
			err = pt_map_large(&npt, gpa, gpa, 1, kind ? NPT_RAM : NPT_MMIO);
			continue;
		}
		for (uint64_t pg = gpa; !err && pg < gpa + SIZE_2M; pg += HUSK_PAGE_SIZE) {
			if (pg >= region_base && pg < region_base + region_size)
				continue;
			err = pt_map(&npt, pg, pg, ram_kind(pg, HUSK_PAGE_SIZE) ? NPT_RAM : NPT_MMIO);
		}
	}
	return err;
}

uint64_t svm_npt_root(void)
{
	return npt.root_pa;
}

uint64_t svm_npt_generation(void)
{
	return __atomic_load_n(&generation, __ATOMIC_ACQUIRE);
}

int svm_npt_hide(uint64_t gpa)
{
	int err;

	spin_lock(&npt_lock);
	err = pt_split(&npt, gpa);
	if (!err)
		err = pt_unmap(&npt, gpa, NULL);
	__atomic_add_fetch(&generation, 1, __ATOMIC_RELEASE);
	spin_unlock(&npt_lock);
	return err;
}

int svm_npt_unhide(uint64_t gpa)
{
	int err;

	spin_lock(&npt_lock);
	err = pt_map(&npt, gpa, gpa, NPT_RAM);
	__atomic_add_fetch(&generation, 1, __ATOMIC_RELEASE);
	spin_unlock(&npt_lock);
	return err;
}
