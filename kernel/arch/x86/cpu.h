/* Thin wrappers for x86-64 instructions husk uses (port I/O, MSRs, control
 * registers, CPUID, TSC, TLB).  Nothing here knows about platforms. */
#ifndef HUSK_ARCH_X86_CPU_H
#define HUSK_ARCH_X86_CPU_H

#include <stdbool.h>
#include <stdint.h>

#define MSR_EFER        0xc0000080u
#define MSR_FS_BASE     0xc0000100u
#define MSR_GS_BASE     0xc0000101u
#define MSR_KERNEL_GS   0xc0000102u
#define MSR_APIC_BASE   0x0000001bu
#define EFER_SCE  (1ull << 0)
#define EFER_LME  (1ull << 8)
#define EFER_NXE  (1ull << 11)
#define EFER_SVME (1ull << 12)

#define CR0_PE (1ull << 0)
#define CR0_NW (1ull << 29)
#define CR0_CD (1ull << 30)
#define CR0_WP (1ull << 16)
#define CR0_PG (1ull << 31)
#define CR4_PAE  (1ull << 5)
#define CR4_PGE  (1ull << 7)
#define CR4_SMEP (1ull << 20)
#define CR4_SMAP (1ull << 21)

#define RFLAGS_IF (1ull << 9)

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port)); }
static inline void outw(uint16_t port, uint16_t v) { __asm__ volatile("outw %0, %1" ::"a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" ::"c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

struct cpuid_regs {
	uint32_t eax, ebx, ecx, edx;
};

static inline struct cpuid_regs cpuid(uint32_t leaf, uint32_t subleaf)
{
	struct cpuid_regs r;
	__asm__ volatile("cpuid" : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
			 : "a"(leaf), "c"(subleaf));
	return r;
}

#define DEFINE_CR(n)                                                            \
	static inline uint64_t read_cr##n(void)                                 \
	{                                                                       \
		uint64_t v;                                                     \
		__asm__ volatile("mov %%cr" #n ", %0" : "=r"(v));              \
		return v;                                                       \
	}                                                                       \
	static inline void write_cr##n(uint64_t v)                              \
	{                                                                       \
		__asm__ volatile("mov %0, %%cr" #n ::"r"(v) : "memory");       \
	}
DEFINE_CR(0)
DEFINE_CR(2)
DEFINE_CR(3)
DEFINE_CR(4)
#undef DEFINE_CR

static inline void invlpg(uint64_t va) { __asm__ volatile("invlpg (%0)" ::"r"(va) : "memory"); }
static inline void cpu_relax(void) { __asm__ volatile("pause" ::: "memory"); }
static inline void cpu_halt(void) { __asm__ volatile("hlt" ::: "memory"); }
static inline void irq_disable(void) { __asm__ volatile("cli" ::: "memory"); }
static inline void irq_enable(void) { __asm__ volatile("sti" ::: "memory"); }
/* Enable interrupts and halt atomically (STI shadow covers HLT). */
static inline void irq_enable_and_halt(void) { __asm__ volatile("sti; hlt" ::: "memory"); }
static inline uint64_t read_rflags(void)
{
	uint64_t v;
	__asm__ volatile("pushfq; popq %0" : "=r"(v));
	return v;
}
static inline uint64_t read_rbp(void)
{
	uint64_t v;
	__asm__ volatile("mov %%rbp, %0" : "=r"(v));
	return v;
}
static inline uint64_t read_rsp(void)
{
	uint64_t v;
	__asm__ volatile("mov %%rsp, %0" : "=r"(v));
	return v;
}

/* Flushes all non-global TLB entries of this CPU. */
static inline void tlb_flush_local(void) { write_cr3(read_cr3()); }
/* Flushes everything, global entries included (toggle CR4.PGE). */
static inline void tlb_flush_all_local(void)
{
	uint64_t cr4 = read_cr4();

	write_cr4(cr4 & ~CR4_PGE);
	write_cr4(cr4);
}

/* Hardware randomness.  Returns false if the instruction reports no data. */
static inline bool rdrand64(uint64_t *v)
{
	unsigned char ok;
	__asm__ volatile("rdrand %0; setc %1" : "=r"(*v), "=qm"(ok));
	return ok;
}

static inline bool rdseed64(uint64_t *v)
{
	unsigned char ok;
	__asm__ volatile("rdseed %0; setc %1" : "=r"(*v), "=qm"(ok));
	return ok;
}

#endif
