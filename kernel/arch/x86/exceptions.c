/* Exception and interrupt dispatch.  Every CPU exception in husk is a bug (or
 * a guardrail doing its job): report it with registers, a decoded page-fault
 * cause and a symbolized backtrace, then panic.  The only recoverable cases
 * are the probe fixups (probe.S), NMIs used to stop CPUs, and IPIs. */
#include <stdbool.h>

#include "arch/x86/cpu.h"
#include "arch/x86/desc.h"
#include "arch/x86/exceptions.h"
#include "arch/x86/lapic.h"
#include "core/console.h"
#include "core/panic.h"
#include "core/percpu.h"
#include "core/symbols.h"
#include "fmt/fmt.h"
#include "mm/vm.h"

extern const char probe_read8_insn[], probe_read8_fixup[];
extern const char probe_write8_insn[], probe_write8_fixup[];

static const char *const exc_names[32] = {
	"#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow",
	"#BR bound range", "#UD invalid opcode", "#NM device not available",
	"#DF double fault", "coprocessor overrun", "#TS invalid TSS", "#NP segment not present",
	"#SS stack fault", "#GP general protection", "#PF page fault", "reserved 15",
	"#MF x87 error", "#AC alignment check", "#MC machine check", "#XM SIMD error",
	"#VE virtualization", "#CP control protection", "reserved 22", "reserved 23",
	"reserved 24", "reserved 25", "reserved 26", "reserved 27",
	"#HV hypervisor injection", "#VC VMM communication", "#SX security", "reserved 31",
};

static bool probe_fixup(struct exc_frame *f)
{
	static const struct {
		const char *insn, *fixup;
	} table[] = {
		{ probe_read8_insn, probe_read8_fixup },
		{ probe_write8_insn, probe_write8_fixup },
	};

	if (f->vector != VEC_PF && f->vector != 13)
		return false;
	for (unsigned i = 0; i < HUSK_ARRAY_SIZE(table); i++)
		if (f->rip == (uint64_t)table[i].insn) {
			f->rip = (uint64_t)table[i].fixup;
			return true;
		}
	return false;
}

static void print_sym(const char *prefix, uint64_t addr)
{
	uint64_t off;
	const char *name = ksym_lookup(addr, &off);

	if (name)
		kprintf("%s%016llx %s+0x%llx\n", prefix, (unsigned long long)addr, name,
			(unsigned long long)off);
	else
		kprintf("%s%016llx ?\n", prefix, (unsigned long long)addr);
}

void exc_backtrace(uint64_t rip, uint64_t rbp)
{
	uint64_t last = rip, repeats = 0;

	kprintf("  backtrace:\n");
	print_sym("    #0  ", rip);
	for (int depth = 1; depth < 4096 && rbp; depth++) {
		uint64_t frame[2];
		char prefix[16];

		/* Only follow frame pointers into mapped kernel memory. */
		if ((rbp & 7) || !vm_is_mapped(rbp, sizeof(frame)))
			break;
		frame[0] = ((uint64_t *)rbp)[0];
		frame[1] = ((uint64_t *)rbp)[1];
		if (!frame[1])
			break;
		if (frame[0] <= rbp)
			break; /* frames must move up the stack */
		rbp = frame[0];
		/* Deep recursion (a stack overflow) prints as one line. */
		if (frame[1] == last) {
			repeats++;
			continue;
		}
		if (repeats)
			kprintf("    ... previous frame repeated %llu more times\n", (unsigned long long)repeats);
		repeats = 0;
		last = frame[1];
		fmt_snprintf(prefix, sizeof(prefix), "    #%-2d ", depth);
		print_sym(prefix, frame[1]);
	}
	if (repeats)
		kprintf("    ... previous frame repeated %llu more times\n", (unsigned long long)repeats);
}

static void describe_pf(struct exc_frame *f, uint64_t cr2)
{
	char where[96];

	vm_describe(cr2, where, sizeof(where));
	kprintf("  cr2 %016llx (%s): %s %s%s%s\n", (unsigned long long)cr2, where,
		(f->error & 1) ? "protection violation on" : "no page for",
		(f->error & 16) ? "instruction fetch" : (f->error & 2) ? "write" : "read",
		(f->error & 4) ? " from user mode" : "",
		(f->error & 8) ? " (reserved bit set)" : "");
}

static void dump_regs(const struct exc_frame *f)
{
	kprintf("  rax %016llx rbx %016llx rcx %016llx rdx %016llx\n",
		(unsigned long long)f->rax, (unsigned long long)f->rbx,
		(unsigned long long)f->rcx, (unsigned long long)f->rdx);
	kprintf("  rsi %016llx rdi %016llx rbp %016llx rsp %016llx\n",
		(unsigned long long)f->rsi, (unsigned long long)f->rdi,
		(unsigned long long)f->rbp, (unsigned long long)f->rsp);
	kprintf("  r8  %016llx r9  %016llx r10 %016llx r11 %016llx\n",
		(unsigned long long)f->r8, (unsigned long long)f->r9,
		(unsigned long long)f->r10, (unsigned long long)f->r11);
	kprintf("  r12 %016llx r13 %016llx r14 %016llx r15 %016llx\n",
		(unsigned long long)f->r12, (unsigned long long)f->r13,
		(unsigned long long)f->r14, (unsigned long long)f->r15);
	kprintf("  rip %016llx cs %04llx rflags %08llx ss %04llx error %llx\n",
		(unsigned long long)f->rip, (unsigned long long)f->cs,
		(unsigned long long)f->rflags, (unsigned long long)f->ss,
		(unsigned long long)f->error);
	kprintf("  cr0 %016llx cr3 %016llx cr4 %016llx\n", (unsigned long long)read_cr0(),
		(unsigned long long)read_cr3(), (unsigned long long)read_cr4());
}

static HUSK_NORETURN void fatal_exception(struct exc_frame *f)
{
	uint64_t cr2 = read_cr2();
	char where[96];

	panic_begin();
	kprintf("\nFATAL: %s on CPU %u at ", exc_names[f->vector], percpu_index());
	print_sym("", f->rip);
	if (f->vector == VEC_PF)
		describe_pf(f, cr2);
	if (f->vector == VEC_DF) {
		/* CR2 still holds the address of the page fault that could not be
		 * delivered; in a guard page that is a kernel stack overflow. */
		vm_describe(cr2, where, sizeof(where));
		kprintf("  last page-fault address %016llx (%s)\n", (unsigned long long)cr2, where);
		if (vm_is_guard(cr2))
			kprintf("  kernel stack overflow: the stack ran into its guard page\n");
	}
	dump_regs(f);
	exc_backtrace(f->rip, f->rbp);
	panic_end("fatal exception");
}

void exc_dispatch(struct exc_frame *f)
{
	if (f->vector < 32) {
		if (f->vector == VEC_NMI && panic_in_progress())
			panic_park_cpu();
		if (probe_fixup(f))
			return;
		fatal_exception(f);
	}
	if (f->vector == VEC_SPURIOUS)
		return;
	if (f->vector != VEC_WAKEUP)
		pr_warn("unexpected interrupt vector %llu on CPU %u", (unsigned long long)f->vector,
			percpu_index());
	lapic_eoi();
}
