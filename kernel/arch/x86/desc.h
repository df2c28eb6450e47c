/* Descriptor tables: one GDT and TSS per CPU (a TSS descriptor is marked busy
 * when loaded, so CPUs cannot share one), one IDT shared by all CPUs. */
#ifndef HUSK_ARCH_X86_DESC_H
#define HUSK_ARCH_X86_DESC_H

#include <stdint.h>
#include "husk/compiler.h"

#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_TSS   0x18

/* Interrupt stack table slots (1-based, as in the gate descriptor). */
#define IST_DF  1
#define IST_NMI 2
#define IST_MC  3
#define IST_COUNT 3

#define VEC_NMI      2
#define VEC_DF       8
#define VEC_PF       14
#define VEC_MC       18
#define VEC_WAKEUP   0xf0
#define VEC_SPURIOUS 0xff

struct tss64 {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} HUSK_PACKED;
HUSK_STATIC_ASSERT(sizeof(struct tss64) == 104, "TSS layout");

struct cpu_desc {
	uint64_t gdt[5];
	struct tss64 tss;
} HUSK_ALIGNED(16);

/* Builds this CPU's GDT and TSS; ist_top[i] is the top of IST stack i+1
 * (0 while a CPU has none yet). */
void desc_init_cpu(struct cpu_desc *d, const uint64_t ist_top[IST_COUNT]);
void desc_load_cpu(struct cpu_desc *d);
void idt_init(void);
/* Route #DF, NMI and #MC to their IST stacks (only once every CPU that loads
 * the IDT has a TSS with those stacks). */
void idt_enable_ist(void);
void idt_load(void);

#endif
