/* The guest's IDT: every exception vector reports itself (vector, error
 * code, RIP, registers) on COM2 and ends the run as a failure, except a
 * fault at an instruction listed in the exception table (entry.S: the
 * probes), which resumes at that entry's fixup with the fault recorded. */
#include "guest.h"

struct exc_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;
};
HUSK_STATIC_ASSERT(sizeof(struct exc_frame) == 22 * 8, "exception frame layout (entry.S)");

struct idt_gate {
	uint16_t offset_lo;
	uint16_t selector;
	uint8_t ist;
	uint8_t type_attr; /* 0x8e: present, DPL 0, 64-bit interrupt gate */
	uint16_t offset_mid;
	uint32_t offset_hi;
	uint32_t reserved;
} HUSK_PACKED;
HUSK_STATIC_ASSERT(sizeof(struct idt_gate) == 16, "IDT gate");

struct extable_entry {
	uint64_t insn, fixup;
};

extern const uint64_t guest_exc_stubs[GUEST_IDT_ENTRIES];
extern const struct extable_entry __guest_extable_start[], __guest_extable_end[];

uint8_t guest_idt[GUEST_IDT_ENTRIES * sizeof(struct idt_gate)] HUSK_ALIGNED(16);
volatile struct guest_probe_fault guest_probe_fault;

void guest_exception(struct exc_frame *f);

static const char *const exc_names[GUEST_IDT_ENTRIES] = {
	"#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow",
	"#BR bound range", "#UD invalid opcode", "#NM device not available",
	"#DF double fault", "coprocessor segment overrun", "#TS invalid TSS",
	"#NP segment not present", "#SS stack fault", "#GP general protection",
	"#PF page fault", "reserved 15", "#MF x87 error", "#AC alignment check",
	"#MC machine check", "#XM SIMD error", "#VE virtualization", "#CP control protection",
	"reserved 22", "reserved 23", "reserved 24", "reserved 25", "reserved 26", "reserved 27",
	"#HV hypervisor injection", "#VC VMM communication", "#SX security", "reserved 31",
};

void idt_init(void)
{
	struct idt_gate *g = (struct idt_gate *)guest_idt;
	struct {
		uint16_t limit;
		uint64_t base;
	} HUSK_PACKED desc = { sizeof(guest_idt) - 1, (uint64_t)(uintptr_t)guest_idt };

	for (unsigned v = 0; v < GUEST_IDT_ENTRIES; v++) {
		uint64_t a = guest_exc_stubs[v];

		g[v] = (struct idt_gate){
			.offset_lo = (uint16_t)a,
			.selector = GUEST_CS64,
			.ist = 0,
			.type_attr = 0x8e,
			.offset_mid = (uint16_t)(a >> 16),
			.offset_hi = (uint32_t)(a >> 32),
		};
	}
	__asm__ volatile("lidt %0" ::"m"(desc));
}

void guest_exception(struct exc_frame *f)
{
	for (const struct extable_entry *e = __guest_extable_start; e < __guest_extable_end; e++) {
		if (e->insn != f->rip)
			continue;
		guest_probe_fault.vector = f->vector;
		guest_probe_fault.error = f->error;
		guest_probe_fault.rip = f->rip;
		guest_probe_fault.cr2 = read_cr2();
		f->rax = f->vector; /* the probe's return value */
		f->rip = e->fixup;
		return;
	}
	gprintf("guest: FATAL: exception %llu (%s), error code 0x%llx, on APIC ID %u\n"
		"  rip %016llx  rsp %016llx  rflags %016llx  cs %llx  ss %llx\n"
		"  rax %016llx  rbx %016llx  rcx %016llx  rdx %016llx\n"
		"  rsi %016llx  rdi %016llx  rbp %016llx  r8  %016llx\n"
		"  r9  %016llx  r10 %016llx  r11 %016llx  r12 %016llx\n"
		"  r13 %016llx  r14 %016llx  r15 %016llx\n"
		"  cr0 %016llx  cr2 %016llx  cr3 %016llx  cr4 %016llx\n",
		(unsigned long long)f->vector,
		f->vector < GUEST_IDT_ENTRIES ? exc_names[f->vector] : "?",
		(unsigned long long)f->error, guest_apic_id(), (unsigned long long)f->rip,
		(unsigned long long)f->rsp, (unsigned long long)f->rflags,
		(unsigned long long)f->cs, (unsigned long long)f->ss, (unsigned long long)f->rax,
		(unsigned long long)f->rbx, (unsigned long long)f->rcx, (unsigned long long)f->rdx,
		(unsigned long long)f->rsi, (unsigned long long)f->rdi, (unsigned long long)f->rbp,
		(unsigned long long)f->r8, (unsigned long long)f->r9, (unsigned long long)f->r10,
		(unsigned long long)f->r11, (unsigned long long)f->r12, (unsigned long long)f->r13,
		(unsigned long long)f->r14, (unsigned long long)f->r15,
		(unsigned long long)read_cr0(), (unsigned long long)read_cr2(),
		(unsigned long long)read_cr3(), (unsigned long long)read_cr4());
	guest_exit(GUEST_EXIT_FAIL);
}
