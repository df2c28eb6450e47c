/* Per-CPU areas; see percpu.h. */
#include <string.h>

#include "arch/x86/cpu.h"
#include "arch/x86/lapic.h"
#include "core/percpu.h"
#include "husk/err.h"
#include "mm/kheap.h"
#include "mm/tmpmap.h"
#include "mm/vm.h"

static struct percpu bsp_area;
static struct percpu *areas[HUSK_MAX_CPUS];

struct percpu *this_cpu(void)
{
	struct percpu *p;

	__asm__ volatile("movq %%gs:0, %0" : "=r"(p));
	return p;
}

unsigned percpu_index(void)
{
	/* GS base is 0 until percpu_early_bsp; treat that as the BSP. */
	if (!rdmsr(MSR_GS_BASE))
		return 0;
	return this_cpu()->index;
}

struct percpu *percpu_get(unsigned index)
{
	return index < HUSK_MAX_CPUS ? areas[index] : NULL;
}

unsigned percpu_count_online(void)
{
	unsigned n = 0;

	for (unsigned i = 0; i < HUSK_MAX_CPUS; i++)
		if (areas[i] && areas[i]->online)
			n++;
	return n;
}

void percpu_wake_others(void)
{
	for (unsigned i = 0; i < HUSK_MAX_CPUS; i++)
		if (areas[i] && areas[i]->online && i != percpu_index())
			lapic_send_ipi(areas[i]->apic_id, VEC_WAKEUP);
}

static void percpu_load(struct percpu *p)
{
	wrmsr(MSR_GS_BASE, (uint64_t)p);
	desc_load_cpu(&p->desc);
	idt_load();
}

void percpu_early_bsp(void)
{
	static const uint64_t no_ist[IST_COUNT];

	bsp_area.self = &bsp_area;
	bsp_area.index = 0;
	desc_init_cpu(&bsp_area.desc, no_ist);
	idt_init();
	percpu_load(&bsp_area);
	areas[0] = &bsp_area;
}

static int alloc_ist(struct percpu *p)
{
	for (int i = 0; i < IST_COUNT; i++) {
		int err = vm_alloc_stack(IST_PAGES, &p->ist_top[i]);

		if (err)
			return err;
	}
	return HUSK_OK;
}

int percpu_finish_bsp(void)
{
	int err = alloc_ist(&bsp_area);

	if (err)
		return err;
	/* The TSS is live: updating its IST slots in place is enough. */
	for (int i = 0; i < IST_COUNT; i++)
		bsp_area.desc.tss.ist[i] = bsp_area.ist_top[i];
	bsp_area.stack_top = 0; /* the BSP keeps its boot stack from the image */
	idt_enable_ist();
	err = tmpmap_cpu_init(0);
	if (err)
		return err;
	bsp_area.online = true;
	return HUSK_OK;
}

int percpu_prepare_ap(unsigned index)
{
	struct percpu *p;
	int err;

	if (index == 0 || index >= HUSK_MAX_CPUS || areas[index])
		return HUSK_ERR_INVAL;
	p = kcalloc(1, sizeof(*p));
	if (!p)
		return HUSK_ERR_NOMEM;
	p->self = p;
	p->index = index;
	err = vm_alloc_stack(KSTACK_PAGES, &p->stack_top);
	if (!err)
		err = alloc_ist(p);
	if (!err)
		err = tmpmap_cpu_init(index);
	if (err) {
		/* Stacks stay reserved; an AP that cannot be prepared is not started. */
		kfree(p);
		return err;
	}
	desc_init_cpu(&p->desc, p->ist_top);
	areas[index] = p;
	return HUSK_OK;
}

void percpu_enter_ap(unsigned index)
{
	struct percpu *p = areas[index];

	percpu_load(p);
	p->apic_id = lapic_id();
	__atomic_store_n(&p->online, true, __ATOMIC_RELEASE);
}
