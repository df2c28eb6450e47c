/* A second guest vCPU: the VMSA the boot vCPU hands to CREATE_VCPU, and the
 * loop that vCPU runs (it counts, and makes an SVSM call on its own calling
 * area each time round).  The loop sits alone in .text.worker so that a
 * test can tell from the RIP husk writes back at DELETE_VCPU whether the
 * state is the worker's. */
#include <string.h>

#include "guest.h"

struct worker_ctx guest_worker_ctx;
uint8_t guest_worker_vmsa[2][PAGE_SIZE] HUSK_ALIGNED(4096);
uint8_t guest_worker_ca[PAGE_SIZE] HUSK_ALIGNED(4096);
static uint8_t worker_stack[16384] HUSK_ALIGNED(16);
static uint8_t worker_tss[104] HUSK_ALIGNED(16);

#define WORKER_EXPECT_QUERY (1ull << 32 | 1)

__attribute__((section(".text.worker"), noreturn, used)) void guest_worker(struct worker_ctx *w);

void guest_worker(struct worker_ctx *w)
{
	volatile uint8_t *ca = (volatile uint8_t *)(uintptr_t)w->ca_gpa;

	for (;;) {
		struct svsm_regs r = {
			.rax = SVSM_CALL(SVSM_PROTOCOL_CORE, SVSM_CORE_QUERY_PROTOCOL),
			.rcx = (uint64_t)SVSM_PROTOCOL_CORE << 32 | 1,
		};

		w->counter++;
		if (svsm_call_raw(ca, 1, &r) == 0 && (uint32_t)r.rax == SVSM_SUCCESS &&
		    r.rcx == WORKER_EXPECT_QUERY)
			w->calls_ok++;
		else
			w->calls_bad++;
		w->last_result = (uint32_t)r.rax;
		if (w->self_delete) {
			struct svsm_regs d = {
				.rax = SVSM_CALL(SVSM_PROTOCOL_CORE, SVSM_CORE_DELETE_VCPU),
				.rcx = w->vmsa_gpa,
			};

			w->deleting = 1;
			svsm_call_raw(ca, 1, &d);
			/* Deleting oneself does not return; this is a failure. */
			w->self_delete = 0;
			w->deleting = 0;
			w->last_result = (uint32_t)d.rax;
			w->calls_bad++;
		}
		__asm__ volatile("pause" ::: "memory");
	}
}

bool vcpu_other_apic(uint32_t *apic)
{
	for (uint32_t i = 0; i < ginfo.vcpu_count; i++) {
		if (ginfo.apic_ids[i] != ginfo.boot_apic_id) {
			*apic = ginfo.apic_ids[i];
			return true;
		}
	}
	return false;
}

static void put64(uint8_t *vmsa, unsigned off, uint64_t v) { memcpy(vmsa + off, &v, 8); }

static void put_seg(uint8_t *vmsa, unsigned off, uint16_t sel, uint16_t attrib, uint32_t limit,
		    uint64_t base)
{
	struct vmsa_segment s = { .selector = sel, .attrib = attrib, .limit = limit, .base = base };

	memcpy(vmsa + off, &s, sizeof(s));
}

#define SEG_CODE64 0x0a9bu /* P, DPL 0, S, code exec/read accessed; L, G */
#define SEG_DATA   0x0c93u /* P, DPL 0, S, data read/write accessed; DB, G */
#define SEG_TSS64  0x008bu /* P, busy 64-bit TSS */
#define DEFAULT_PAT 0x0007040600070406ull
/* What entry.S sets up on the boot vCPU, stated rather than copied, so the
 * VMSA does not depend on what else the boot vCPU's registers hold. */
#define VMSA_GUEST_CR0 0x80010031ull /* PG, WP, NE, ET, PE */
#define VMSA_GUEST_CR4 0x20ull       /* PAE */

void vcpu_build_vmsa(uint8_t *vmsa, struct worker_ctx *ctx)
{
	uint64_t efer = rdmsr(MSR_EFER) &
			(VMSA_EFER_LME | VMSA_EFER_LMA | VMSA_EFER_NXE | VMSA_EFER_SVME);

	memset(vmsa, 0, VMSA_SIZE);
	put_seg(vmsa, VMSA_ES, GUEST_DS, SEG_DATA, 0xffffffff, 0);
	put_seg(vmsa, VMSA_CS, GUEST_CS64, SEG_CODE64, 0xffffffff, 0);
	put_seg(vmsa, VMSA_SS, GUEST_DS, SEG_DATA, 0xffffffff, 0);
	put_seg(vmsa, VMSA_DS, GUEST_DS, SEG_DATA, 0xffffffff, 0);
	put_seg(vmsa, VMSA_FS, 0, 0, 0, 0);
	put_seg(vmsa, VMSA_GS, 0, 0, 0, 0);
	put_seg(vmsa, VMSA_GDTR, 0, 0, (uint32_t)(guest_gdt_end - guest_gdt - 1),
		(uint64_t)(uintptr_t)guest_gdt);
	put_seg(vmsa, VMSA_LDTR, 0, 0, 0, 0);
	put_seg(vmsa, VMSA_IDTR, 0, 0, GUEST_IDT_ENTRIES * 16 - 1, (uint64_t)(uintptr_t)guest_idt);
	put_seg(vmsa, VMSA_TR, 0, SEG_TSS64, sizeof(worker_tss) - 1,
		(uint64_t)(uintptr_t)worker_tss);
	vmsa[VMSA_VMPL] = HUSK_SVM_GUEST_VMPL;
	vmsa[VMSA_CPL] = 0;
	put64(vmsa, VMSA_EFER, efer | VMSA_EFER_SVME);
	put64(vmsa, VMSA_CR4, VMSA_GUEST_CR4);
	put64(vmsa, VMSA_CR3, read_cr3());
	put64(vmsa, VMSA_CR0, VMSA_GUEST_CR0);
	put64(vmsa, VMSA_DR7, 0x400);
	put64(vmsa, VMSA_DR6, 0xffff0ff0);
	put64(vmsa, VMSA_RFLAGS, 0x2);
	put64(vmsa, VMSA_RIP, (uint64_t)(uintptr_t)guest_worker);
	/* As if called: RSP + 8 is 16-byte aligned. */
	put64(vmsa, VMSA_RSP, (uint64_t)(uintptr_t)(worker_stack + sizeof(worker_stack)) - 8);
	put64(vmsa, VMSA_RDI, (uint64_t)(uintptr_t)ctx);
	put64(vmsa, VMSA_G_PAT, DEFAULT_PAT);
	put64(vmsa, VMSA_XCR0, 1);
	put64(vmsa, VMSA_SEV_FEATURES, 0);
}

uint32_t vcpu_create(uint64_t vmsa_gpa, uint64_t ca_gpa, uint32_t apic_id)
{
	return svsm_call(SVSM_CALL(SVSM_PROTOCOL_CORE, SVSM_CORE_CREATE_VCPU), vmsa_gpa, ca_gpa,
			 apic_id, NULL);
}

uint32_t vcpu_delete(uint64_t vmsa_gpa, uint32_t timeout_ms)
{
	uint64_t start = rdtsc();
	uint32_t rc;

	for (;;) {
		rc = svsm_call(SVSM_CALL(SVSM_PROTOCOL_CORE, SVSM_CORE_DELETE_VCPU), vmsa_gpa, 0, 0,
			       NULL);
		if (rc != SVSM_ERR_BUSY || rdtsc() - start > ms_to_tsc(timeout_ms))
			return rc;
	}
}

bool vcpu_wait_counter(struct worker_ctx *ctx, uint64_t delta, uint32_t timeout_ms)
{
	uint64_t start = rdtsc(), from = ctx->counter;

	while (ctx->counter - from < delta) {
		if (rdtsc() - start > ms_to_tsc(timeout_ms))
			return false;
		cpu_relax();
	}
	return true;
}
