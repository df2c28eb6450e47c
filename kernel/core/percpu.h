/* Per-CPU state, reached through the GS base.  Each CPU has its own GDT, TSS,
 * kernel stack and IST stacks (each below a guard page) and its own slice of
 * the temporary-mapping area. */
#ifndef HUSK_CORE_PERCPU_H
#define HUSK_CORE_PERCPU_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/x86/desc.h"
#include "husk/bootinfo.h"

#define KSTACK_PAGES 8 /* 32 KiB: mbedTLS bignum code is stack-hungry */
#define IST_PAGES    2

struct percpu {
	struct percpu *self; /* must stay first: read as %gs:0 */
	uint32_t index;
	uint32_t apic_id;
	uint64_t stack_top;
	uint64_t ist_top[IST_COUNT];
	struct cpu_desc desc;
	uint64_t tmpmap_used[8]; /* bitmap of the 512 temporary-mapping slots */
	volatile bool online;
};

/* Index of the running CPU (0 = BSP); 0 before per-CPU setup. */
unsigned percpu_index(void);
struct percpu *this_cpu(void);
struct percpu *percpu_get(unsigned index);
unsigned percpu_count_online(void);
/* Wakes every other online CPU from HLT (an IPI on the wake-up vector). */
void percpu_wake_others(void);

/* BSP: static per-CPU area, GDT/TSS/IDT loaded (no IST stacks yet). */
void percpu_early_bsp(void);
/* BSP, once memory works: IST stacks and temporary-mapping tables. */
int percpu_finish_bsp(void);
/* Allocates and prepares the area of an AP before it is started. */
int percpu_prepare_ap(unsigned index);
/* Run on the AP itself as soon as it is in the kernel. */
void percpu_enter_ap(unsigned index);

#endif
