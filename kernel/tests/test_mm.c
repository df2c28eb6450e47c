/* In-kernel tests of memory management: page allocator, kmalloc, temporary
 * mappings, and the protections of the kernel address space. */
#include <string.h>

#include "arch/x86/cpu.h"
#include "arch/x86/probe.h"
#include "core/ktest.h"
#include "core/percpu.h"
#include "husk/err.h"
#include "husk/layout.h"
#include "mm/kheap.h"
#include "mm/pages.h"
#include "mm/tmpmap.h"
#include "mm/vm.h"

extern const char __text_start[], __rodata_start[], __data_start[];
extern const char boot_stack_guard[], __image_start[], __image_end[];

KTEST(pages, alloc_free_zeroed)
{
	uint64_t pa[8];

	for (int i = 0; i < 8; i++) {
		uint8_t *va;

		KASSERT_EQ(t, page_alloc((unsigned)(i % 3), &pa[i]), HUSK_OK);
		va = pa_to_va(pa[i]);
		KASSERT(t, va != NULL);
		KEXPECT(t, pa_in_region(pa[i], HUSK_PAGE_SIZE));
		KEXPECT_EQ(t, pa[i] & ((HUSK_PAGE_SIZE << (i % 3)) - 1), 0);
		for (size_t b = 0; b < (HUSK_PAGE_SIZE << (i % 3)); b += 511)
			KEXPECT_EQ(t, va[b], 0);
		memset(va, 0xa5, HUSK_PAGE_SIZE);
		KEXPECT_EQ(t, va_to_pa(va), pa[i]);
	}
	for (int i = 0; i < 8; i++)
		KEXPECT_EQ(t, page_free(pa[i], (unsigned)(i % 3)), HUSK_OK);
	KEXPECT_EQ(t, pages_check(), HUSK_OK);
}

KTEST(pages, invalid_free_refused)
{
	uint64_t pa;

	KASSERT_EQ(t, page_alloc(0, &pa), HUSK_OK);
	KEXPECT_EQ(t, page_free(pa, 1), HUSK_ERR_INVAL);
	KEXPECT_EQ(t, page_free(pa, 0), HUSK_OK);
	KEXPECT_EQ(t, page_free(pa, 0), HUSK_ERR_NOTFOUND);
	KEXPECT(t, page_free(0x1000, 0) != HUSK_OK);
	KEXPECT_EQ(t, pages_check(), HUSK_OK);
}

KTEST(pages, exhaustion_is_an_error)
{
	uint64_t *held = kmalloc(4096 * sizeof(uint64_t));
	unsigned n = 0;
	uint64_t pa;
	int err = HUSK_OK;

	KASSERT(t, held != NULL);
	/* Take 64 KiB blocks until the allocator says no. */
	while (n < 4096 && (err = page_alloc(4, &pa)) == HUSK_OK)
		held[n++] = pa;
	KEXPECT_EQ(t, err, HUSK_ERR_NOMEM);
	KEXPECT(t, n > 0);
	for (unsigned i = 0; i < n; i++)
		page_free(held[i], 4);
	kfree(held);
	KEXPECT_EQ(t, pages_check(), HUSK_OK);
}

KTEST(kheap, sizes_and_alignment)
{
	static const size_t sizes[] = { 0, 1, 15, 16, 17, 100, 1000, 2000, 2001, 4096, 20000, 100000 };
	void *p[HUSK_ARRAY_SIZE(sizes)];

	for (unsigned i = 0; i < HUSK_ARRAY_SIZE(sizes); i++) {
		p[i] = kmalloc(sizes[i]);
		KASSERT(t, p[i] != NULL);
		KEXPECT_EQ(t, (uint64_t)p[i] & 15, 0);
		memset(p[i], (int)i, sizes[i]);
	}
	for (unsigned i = 0; i < HUSK_ARRAY_SIZE(sizes); i++) {
		for (size_t b = 0; b < sizes[i]; b += 97)
			KEXPECT_EQ(t, ((uint8_t *)p[i])[b], i);
		kfree(p[i]);
	}
	KEXPECT_EQ(t, kheap_check(), HUSK_OK);
}

KTEST(kheap, failure_returns_null)
{
	KEXPECT(t, kmalloc((size_t)1 << 40) == NULL);
	KEXPECT(t, kcalloc((size_t)1 << 33, (size_t)1 << 33) == NULL);
	KEXPECT(t, kmalloc(64ull << 20) == NULL); /* larger than husk's region */
}

KTEST(tmpmap, maps_foreign_page)
{
	uint8_t *va;
	uint64_t guest_pa = 0x100000; /* 1 MiB: RAM outside husk, unused on native */

	KASSERT_EQ(t, tmpmap_map(guest_pa, 1, (void **)&va), HUSK_OK);
	KEXPECT(t, (uint64_t)va >= HUSK_TMPMAP_VA);
	va[0] = 0x5a;
	KEXPECT_EQ(t, va[0], 0x5a);
	KEXPECT_EQ(t, tmpmap_in_use(), 1);
	KEXPECT_EQ(t, tmpmap_unmap(va, 1), HUSK_OK);
	KEXPECT_EQ(t, tmpmap_in_use(), 0);
	/* The mapping is gone: touching it faults (caught by the probe). */
	uint8_t v;
	KEXPECT_EQ(t, probe_read8(va, &v), -1);
	KEXPECT_EQ(t, tmpmap_unmap(va, 1), HUSK_ERR_NOTFOUND);
}

KTEST(tmpmap, refuses_husk_region)
{
	uint64_t pa;
	void *va;

	KASSERT_EQ(t, page_alloc(0, &pa), HUSK_OK);
	KEXPECT_EQ(t, tmpmap_map(pa, 1, &va), HUSK_ERR_RANGE);
	/* A multi-page request whose last page reaches into the region. */
	KEXPECT_EQ(t, tmpmap_map(pa - 3 * HUSK_PAGE_SIZE, 4, &va), HUSK_ERR_RANGE);
	KEXPECT_EQ(t, tmpmap_map(pa + 1, 1, &va), HUSK_ERR_ALIGN);
	KEXPECT_EQ(t, tmpmap_map(0x100000, 0, &va), HUSK_ERR_INVAL);
	KEXPECT_EQ(t, tmpmap_map(0x100000, TMPMAP_MAX_PAGES + 1, &va), HUSK_ERR_INVAL);
	KEXPECT_EQ(t, tmpmap_map(1ull << 52, 1, &va), HUSK_ERR_RANGE);
	KEXPECT_EQ(t, tmpmap_in_use(), 0);
	page_free(pa, 0);
}

KTEST(tmpmap, slots_run_out_cleanly)
{
	void *va[TMPMAP_SLOTS / TMPMAP_MAX_PAGES];
	void *extra;
	unsigned n = 0;

	for (; n < HUSK_ARRAY_SIZE(va); n++)
		if (tmpmap_map(0x200000, TMPMAP_MAX_PAGES, &va[n]) != HUSK_OK)
			break;
	KEXPECT_EQ(t, n, HUSK_ARRAY_SIZE(va));
	KEXPECT_EQ(t, tmpmap_map(0x200000, 1, &extra), HUSK_ERR_BUSY);
	for (unsigned i = 0; i < n; i++)
		KEXPECT_EQ(t, tmpmap_unmap(va[i], TMPMAP_MAX_PAGES), HUSK_OK);
	KEXPECT_EQ(t, tmpmap_in_use(), 0);
}

/* Walks every leaf of the kernel's page tables (high half). */
static void check_wx(struct ktest_ctx *t, unsigned *leaves)
{
	struct pt *pt = vm_kernel_pt();
	uint64_t *pml4 = pa_to_va(pt->root_pa);

	KEXPECT_EQ(t, pml4[0] & PT_P, 0); /* identity mappings are gone */
	for (unsigned i = 256; i < 512; i++) {
		if (!(pml4[i] & PT_P))
			continue;
		uint64_t *pdpt = pa_to_va(pml4[i] & PT_ADDR_MASK);

		for (unsigned j = 0; pdpt && j < 512; j++) {
			if (!(pdpt[j] & PT_P))
				continue;
			KEXPECT_EQ(t, pdpt[j] & PT_PS, 0);
			uint64_t *pd = pa_to_va(pdpt[j] & PT_ADDR_MASK);

			for (unsigned k = 0; pd && k < 512; k++) {
				if (!(pd[k] & PT_P))
					continue;
				KEXPECT_EQ(t, pd[k] & PT_PS, 0);
				uint64_t *ptab = pa_to_va(pd[k] & PT_ADDR_MASK);

				for (unsigned l = 0; ptab && l < 512; l++) {
					uint64_t e = ptab[l];

					if (!(e & PT_P))
						continue;
					(*leaves)++;
					if ((e & PT_W) && !(e & PT_NX))
						ktest_fail(t, __FILE__, __LINE__,
							   "writable+executable page at slot %u/%u/%u/%u", i, j,
							   k, l);
					KEXPECT_EQ(t, e & PT_U, 0);
				}
			}
		}
	}
}

KTEST(vm, no_page_is_writable_and_executable)
{
	unsigned leaves = 0;

	check_wx(t, &leaves);
	KEXPECT(t, leaves > 100);
}

KTEST(vm, image_permissions)
{
	uint64_t pte;
	uint8_t v;

	KASSERT_EQ(t, pt_lookup(vm_kernel_pt(), (uint64_t)__text_start, &pte), HUSK_OK);
	KEXPECT_EQ(t, pte & (PT_W | PT_NX), 0);
	KASSERT_EQ(t, pt_lookup(vm_kernel_pt(), (uint64_t)__rodata_start, &pte), HUSK_OK);
	KEXPECT_EQ(t, pte & (PT_W | PT_NX), PT_NX);
	KASSERT_EQ(t, pt_lookup(vm_kernel_pt(), (uint64_t)__data_start, &pte), HUSK_OK);
	KEXPECT_EQ(t, pte & (PT_W | PT_NX), PT_W | PT_NX);
	/* Probes: text and rodata refuse writes, the guard page refuses reads. */
	KEXPECT_EQ(t, probe_write8((void *)__rodata_start, 0), -1);
	KEXPECT_EQ(t, probe_write8((void *)__text_start, 0x90), -1);
	KEXPECT_EQ(t, probe_read8(boot_stack_guard, &v), -1);
	KEXPECT(t, vm_is_guard((uint64_t)boot_stack_guard));
	KEXPECT_EQ(t, probe_read8(__text_start, &v), 0);
	KEXPECT_EQ(t, probe_read8((void *)8, &v), -1); /* NULL page */
	KEXPECT(t, (read_cr0() & CR0_WP) != 0);
	KEXPECT_EQ(t, read_cr0() & (CR0_CD | CR0_NW), 0); /* caches on */
}

KTEST(vm, stacks_have_guards)
{
	uint64_t top;
	uint8_t v;

	for (unsigned i = 0; i < HUSK_MAX_CPUS; i++) {
		struct percpu *p = percpu_get(i);

		if (!p || !p->online)
			continue;
		for (int s = 0; s < IST_COUNT + 1; s++) {
			top = s == 0 ? p->stack_top : p->ist_top[s - 1];
			if (!top)
				continue; /* BSP runs on the image's boot stack */
			KEXPECT_EQ(t, probe_read8((void *)(top - 1), &v), 0);
			unsigned pages = s == 0 ? KSTACK_PAGES : IST_PAGES;
			uint64_t guard = top - (uint64_t)pages * HUSK_PAGE_SIZE - 1;

			KEXPECT_EQ(t, probe_read8((void *)guard, &v), -1);
			KEXPECT(t, vm_is_guard(guard));
		}
	}
}
