/* Kernel address space; see vm.h.  vm_lock serialises edits of the shared
 * (slot 511) tables; lookups from fault handlers read without it, which is
 * safe because husk never frees a table of the high half. */
#include <string.h>

#include "arch/x86/cpu.h"
#include "core/spinlock.h"
#include "fmt/fmt.h"
#include "husk/err.h"
#include "husk/layout.h"
#include "mm/pages.h"
#include "mm/vm.h"

extern const char __text_start[], __text_end[], __rodata_start[], __rodata_end[];
extern const char __data_start[], __bss_end[], boot_stack_guard[], boot_stack_bottom[];
extern const char boot_stack_top[], __image_end[];

static struct spinlock vm_lock = SPINLOCK_INIT;
static struct pt kpt;
static uint64_t stack_slots_used;
static uint64_t mmio_used;
static uint64_t window_size;

static int vm_alloc_table(void *ctx, uint64_t *pa)
{
	return page_alloc(0, pa);
}

static uint64_t *vm_table(void *ctx, uint64_t pa)
{
	return pa_to_va(pa);
}

static const struct pt_ops vm_pt_ops = { .alloc_table = vm_alloc_table, .table = vm_table };

struct pt *vm_kernel_pt(void)
{
	return &kpt;
}

int vm_init(const struct husk_boot_params *bp)
{
	uint64_t root = bp->region_base + bp->pml4_offset;

	if ((read_cr3() & PT_ADDR_MASK) != root)
		return HUSK_ERR_INVAL;
	pt_attach(&kpt, &vm_pt_ops, root);
	window_size = bp->region_size - bp->window_offset;
	return HUSK_OK;
}

int vm_map(uint64_t va, uint64_t pa, uint64_t npages, uint64_t flags)
{
	int err;

	spin_lock(&vm_lock);
	err = pt_map_range(&kpt, va, pa, npages, flags);
	spin_unlock(&vm_lock);
	return err;
}

int vm_unmap(uint64_t va, uint64_t npages)
{
	int err = HUSK_OK;

	spin_lock(&vm_lock);
	for (uint64_t i = 0; i < npages; i++) {
		int e = pt_unmap(&kpt, va + i * HUSK_PAGE_SIZE, NULL);

		if (e && !err)
			err = e;
		invlpg(va + i * HUSK_PAGE_SIZE);
	}
	spin_unlock(&vm_lock);
	return err;
}

int vm_alloc_stack(unsigned npages, uint64_t *top)
{
	uint64_t slot, base;
	int err;

	/* At least one guard page below the stack inside the slot. */
	if (npages == 0 || (uint64_t)npages * HUSK_PAGE_SIZE >= HUSK_STACK_SLOT)
		return HUSK_ERR_INVAL;
	spin_lock(&vm_lock);
	slot = stack_slots_used;
	if ((slot + 1) * HUSK_STACK_SLOT > HUSK_STACKS_MAX) {
		spin_unlock(&vm_lock);
		return HUSK_ERR_NOMEM;
	}
	stack_slots_used++;
	spin_unlock(&vm_lock);

	base = HUSK_STACKS_VA + (slot + 1) * HUSK_STACK_SLOT - (uint64_t)npages * HUSK_PAGE_SIZE;
	for (unsigned i = 0; i < npages; i++) {
		uint64_t pa;

		err = page_alloc(0, &pa);
		if (!err) {
			err = vm_map(base + (uint64_t)i * HUSK_PAGE_SIZE, pa, 1, VM_DATA);
			if (err)
				page_free(pa, 0);
		}
		if (err) {
			/* Give back what this stack got; its VA slot stays burnt. */
			for (unsigned j = 0; j < i; j++) {
				uint64_t pte;

				if (!pt_lookup(&kpt, base + (uint64_t)j * HUSK_PAGE_SIZE, &pte)) {
					vm_unmap(base + (uint64_t)j * HUSK_PAGE_SIZE, 1);
					page_free(pte & PT_ADDR_MASK, 0);
				}
			}
			return err;
		}
	}
	*top = base + (uint64_t)npages * HUSK_PAGE_SIZE;
	return HUSK_OK;
}

int vm_map_mmio(uint64_t pa, uint64_t size, void **va)
{
	uint64_t npages = HUSK_ALIGN_UP(size + (pa & 0xfff), HUSK_PAGE_SIZE) / HUSK_PAGE_SIZE;
	uint64_t base;
	int err;

	spin_lock(&vm_lock);
	if (mmio_used + npages * HUSK_PAGE_SIZE > HUSK_MMIO_MAX) {
		spin_unlock(&vm_lock);
		return HUSK_ERR_NOMEM;
	}
	base = HUSK_MMIO_VA + mmio_used;
	mmio_used += npages * HUSK_PAGE_SIZE;
	err = pt_map_range(&kpt, base, pa & ~0xfffull, npages, VM_MMIO);
	spin_unlock(&vm_lock);
	if (!err)
		*va = (void *)(base + (pa & 0xfff));
	return err;
}

void vm_drop_low_half(void (*others_flushed)(void))
{
	uint64_t *pml4 = pa_to_va(kpt.root_pa);
	uint64_t old;
	uint64_t *pdpt;

	spin_lock(&vm_lock);
	old = pml4[0];
	pml4[0] = 0;
	spin_unlock(&vm_lock);
	tlb_flush_local();
	others_flushed();
	if (!(old & PT_P))
		return;
	/* No CPU can walk them any more: free the tables the kernel allocated
	 * for its identity mappings.  The builder's tables are reserved pages,
	 * which page_free refuses without harm. */
	pdpt = pa_to_va(old & PT_ADDR_MASK);
	for (unsigned i = 0; pdpt && i < PT_ENTRIES; i++) {
		uint64_t *pd;

		if (!(pdpt[i] & PT_P))
			continue;
		pd = pa_to_va(pdpt[i] & PT_ADDR_MASK);
		for (unsigned j = 0; pd && j < PT_ENTRIES; j++)
			if (pd[j] & PT_P)
				page_free(pd[j] & PT_ADDR_MASK, 0);
		page_free(pdpt[i] & PT_ADDR_MASK, 0);
	}
	page_free(old & PT_ADDR_MASK, 0);
}

bool vm_is_mapped(uint64_t va, size_t len)
{
	uint64_t end = va + len, pte;

	if (len == 0 || end < va)
		return false;
	for (uint64_t p = va & ~0xfffull; p < end; p += HUSK_PAGE_SIZE)
		if (pt_lookup(&kpt, p, &pte))
			return false;
	return true;
}

bool vm_is_guard(uint64_t va)
{
	uint64_t pte;

	if (va >= (uint64_t)boot_stack_guard && va < (uint64_t)boot_stack_bottom)
		return true;
	if (va >= HUSK_STACKS_VA && va < HUSK_STACKS_VA + stack_slots_used * HUSK_STACK_SLOT)
		return pt_lookup(&kpt, va, &pte) != HUSK_OK;
	return false;
}

void vm_describe(uint64_t va, char *buf, size_t len)
{
	const char *what = "unmapped";
	uint64_t pte;

	if (va < HUSK_PAGE_SIZE)
		what = "NULL page";
	else if (va >= (uint64_t)__text_start && va < (uint64_t)__text_end)
		what = "kernel text, read-only";
	else if (va >= (uint64_t)__rodata_start && va < (uint64_t)__rodata_end)
		what = "kernel rodata, read-only, no-execute";
	else if (va >= (uint64_t)boot_stack_guard && va < (uint64_t)boot_stack_bottom)
		what = "guard page of the boot stack";
	else if (va >= (uint64_t)boot_stack_bottom && va < (uint64_t)boot_stack_top)
		what = "boot stack, no-execute";
	else if (va >= (uint64_t)__data_start && va < (uint64_t)__image_end)
		what = "kernel data, no-execute";
	else if (va >= HUSK_WINDOW_VA && va < HUSK_WINDOW_VA + window_size)
		what = "husk region window, no-execute";
	else if (va >= HUSK_STACKS_VA && va < HUSK_STACKS_VA + HUSK_STACKS_MAX) {
		fmt_snprintf(buf, len, "%s of stack slot %llu",
			     pt_lookup(&kpt, va, &pte) ? "guard page" : "stack",
			     (unsigned long long)((va - HUSK_STACKS_VA) / HUSK_STACK_SLOT));
		return;
	} else if (va >= HUSK_TMPMAP_VA && va < HUSK_TMPMAP_VA + HUSK_MAX_CPUS * HUSK_TMPMAP_PER_CPU) {
		fmt_snprintf(buf, len, "temporary mapping slot of CPU %llu",
			     (unsigned long long)((va - HUSK_TMPMAP_VA) / HUSK_TMPMAP_PER_CPU));
		return;
	} else if (va >= HUSK_MMIO_VA && va < HUSK_MMIO_VA + HUSK_MMIO_MAX)
		what = "device mapping";
	else if (va < (1ull << 47))
		what = "low half (no kernel mappings)";
	fmt_snprintf(buf, len, "%s", what);
}
