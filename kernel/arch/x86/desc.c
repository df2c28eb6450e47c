/* GDT, TSS and IDT setup; see desc.h. */
#include <string.h>

#include "arch/x86/desc.h"

struct idt_gate {
	uint16_t off_lo;
	uint16_t sel;
	uint8_t ist;
	uint8_t type; /* 0x8e: present, DPL 0, 64-bit interrupt gate */
	uint16_t off_mid;
	uint32_t off_hi;
	uint32_t reserved;
} HUSK_PACKED;
HUSK_STATIC_ASSERT(sizeof(struct idt_gate) == 16, "IDT gate");

struct desc_ptr {
	uint16_t limit;
	uint64_t base;
} HUSK_PACKED;

extern const char exc_stub_table_start[];
#define STUB_SIZE 16

static struct idt_gate idt[256] HUSK_ALIGNED(16);

void desc_init_cpu(struct cpu_desc *d, const uint64_t ist_top[IST_COUNT])
{
	uint64_t base = (uint64_t)&d->tss;
	uint64_t limit = sizeof(d->tss) - 1;

	memset(d, 0, sizeof(*d));
	d->gdt[1] = 0x00af9b000000ffffull; /* 64-bit code, accessed */
	d->gdt[2] = 0x00cf93000000ffffull; /* data, accessed */
	/* 64-bit available TSS (type 9), present */
	d->gdt[3] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ull << 40) |
		    (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
	d->gdt[4] = base >> 32;
	for (int i = 0; i < IST_COUNT; i++)
		d->tss.ist[i] = ist_top[i];
	d->tss.iomap_base = sizeof(d->tss); /* no I/O bitmap */
}

void desc_load_cpu(struct cpu_desc *d)
{
	struct desc_ptr p = { sizeof(d->gdt) - 1, (uint64_t)d->gdt };

	__asm__ volatile("lgdt %0\n\t"
			 "pushq %1\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:\n\t"
			 "movl %2, %%eax\n\t"
			 "movw %%ax, %%ds\n\t"
			 "movw %%ax, %%es\n\t"
			 "movw %%ax, %%ss\n\t"
			 "ltr %w3\n\t"
			 :
			 : "m"(p), "i"(SEL_KCODE), "i"(SEL_KDATA), "r"(SEL_TSS)
			 : "rax", "memory");
}

void idt_init(void)
{
	for (unsigned v = 0; v < 256; v++) {
		uint64_t off = (uint64_t)exc_stub_table_start + v * STUB_SIZE;

		idt[v] = (struct idt_gate){
			.off_lo = (uint16_t)off,
			.sel = SEL_KCODE,
			.ist = 0,
			.type = 0x8e,
			.off_mid = (uint16_t)(off >> 16),
			.off_hi = (uint32_t)(off >> 32),
		};
	}
}

void idt_enable_ist(void)
{
	idt[VEC_DF].ist = IST_DF;
	idt[VEC_NMI].ist = IST_NMI;
	idt[VEC_MC].ist = IST_MC;
}

void idt_load(void)
{
	struct desc_ptr p = { sizeof(idt) - 1, (uint64_t)idt };

	__asm__ volatile("lidt %0" ::"m"(p) : "memory");
}
