/* Per-CPU temporary mappings; see tmpmap.h. */
#include <stdbool.h>

#include "arch/x86/cpu.h"
#include "core/percpu.h"
#include "husk/err.h"
#include "husk/layout.h"
#include "mm/pages.h"
#include "mm/tmpmap.h"
#include "mm/vm.h"

static uint64_t slot_va(unsigned cpu, unsigned slot)
{
	return HUSK_TMPMAP_VA + cpu * HUSK_TMPMAP_PER_CPU + (uint64_t)slot * HUSK_PAGE_SIZE;
}

int tmpmap_cpu_init(unsigned cpu)
{
	int err;

	if (cpu >= HUSK_MAX_CPUS)
		return HUSK_ERR_INVAL;
	/* Mapping and unmapping one slot leaves the CPU's page table in place,
	 * so later mappings never need to allocate. */
	err = vm_map(slot_va(cpu, 0), 0, 1, VM_DATA);
	if (err)
		return err;
	return vm_unmap(slot_va(cpu, 0), 1);
}

static bool slot_used(const uint64_t *bm, unsigned s)
{
	return bm[s / 64] & (1ull << (s % 64));
}

static void slot_set(uint64_t *bm, unsigned s, bool used)
{
	if (used)
		bm[s / 64] |= 1ull << (s % 64);
	else
		bm[s / 64] &= ~(1ull << (s % 64));
}

int tmpmap_map(uint64_t pa, size_t npages, void **va)
{
	struct percpu *cpu = this_cpu();
	unsigned start = 0, run = 0;
	int err;

	if (npages == 0 || npages > TMPMAP_MAX_PAGES)
		return HUSK_ERR_INVAL;
	if (pa & 0xfff)
		return HUSK_ERR_ALIGN;
	if (pa >= PT_MAX_PA || npages * HUSK_PAGE_SIZE > PT_MAX_PA - pa)
		return HUSK_ERR_RANGE;
	if (pa_in_region(pa, npages * HUSK_PAGE_SIZE))
		return HUSK_ERR_RANGE;

	for (unsigned s = 0; s < TMPMAP_SLOTS && run < npages; s++) {
		if (slot_used(cpu->tmpmap_used, s)) {
			run = 0;
			start = s + 1;
		} else {
			run++;
		}
	}
	if (run < npages)
		return HUSK_ERR_BUSY;
	err = vm_map(slot_va(cpu->index, start), pa, npages, VM_DATA);
	if (err)
		return err;
	for (size_t i = 0; i < npages; i++)
		slot_set(cpu->tmpmap_used, start + (unsigned)i, true);
	*va = (void *)slot_va(cpu->index, start);
	return HUSK_OK;
}

int tmpmap_unmap(void *va, size_t npages)
{
	struct percpu *cpu = this_cpu();
	uint64_t v = (uint64_t)va, first = slot_va(cpu->index, 0);
	unsigned start;

	if (v < first || v >= first + TMPMAP_SLOTS * HUSK_PAGE_SIZE || (v & 0xfff) ||
	    npages == 0 || npages > TMPMAP_MAX_PAGES)
		return HUSK_ERR_INVAL;
	start = (unsigned)((v - first) / HUSK_PAGE_SIZE);
	if (start + npages > TMPMAP_SLOTS)
		return HUSK_ERR_INVAL;
	for (size_t i = 0; i < npages; i++)
		if (!slot_used(cpu->tmpmap_used, start + (unsigned)i))
			return HUSK_ERR_NOTFOUND;
	for (size_t i = 0; i < npages; i++)
		slot_set(cpu->tmpmap_used, start + (unsigned)i, false);
	return vm_unmap(v, npages);
}

unsigned tmpmap_in_use(void)
{
	struct percpu *cpu = this_cpu();
	unsigned n = 0;

	for (unsigned s = 0; s < TMPMAP_SLOTS; s++)
		n += slot_used(cpu->tmpmap_used, s);
	return n;
}
