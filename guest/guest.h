/* husk's test guest: what its parts share.  The guest is a freestanding
 * program that husk runs on the svm platform (include/husk/svm_guest.h); it
 * calls husk with the SVSM protocols and reports on COM2.  docs/guest.md
 * describes its modes. */
#ifndef HUSK_GUEST_H
#define HUSK_GUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "husk/compiler.h"
#include "husk/svm_guest.h"
#include "svsm/svsm_abi.h"

/* Where the IGVM file loads the guest (payload_gpa); guest.ld agrees. */
#define GUEST_BASE 0x100000ull

/* Segment selectors of the guest's own GDT (entry.S). */
#define GUEST_CS32 0x08u
#define GUEST_DS   0x10u
#define GUEST_CS64 0x18u

/* isa-debug-exit values: QEMU exits with (v << 1) | 1. */
#define GUEST_EXIT_PASS 0x10u
#define GUEST_EXIT_FAIL 0x11u

#define PAGE_SIZE HUSK_PAGE_SIZE
#define SIZE_2M   0x200000ull

/* ---- CPU ---- */

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

static inline void cpu_relax(void) { __asm__ volatile("pause" ::: "memory"); }
static inline void barrier(void) { __asm__ volatile("" ::: "memory"); }

#define DEFINE_READ_CR(n)                                          \
	static inline uint64_t read_cr##n(void)                    \
	{                                                          \
		uint64_t v;                                        \
		__asm__ volatile("mov %%cr" #n ", %0" : "=r"(v)); \
		return v;                                          \
	}
DEFINE_READ_CR(0)
DEFINE_READ_CR(2)
DEFINE_READ_CR(3)
DEFINE_READ_CR(4)
#undef DEFINE_READ_CR

#define MSR_EFER 0xc0000080u

/* ---- entry.S ---- */

/* The registers and state the guest found at its 32-bit entry. */
struct guest_entry_state {
	uint32_t eax, ebx, ecx, edx, esi, edi, ebp, esp;
	uint32_t cr0, cr4, efer_lo, efer_hi, eflags;
	uint16_t cs, ds, es, fs, gs, ss;
	uint16_t gdtr_limit, idtr_limit;
} HUSK_PACKED;
extern struct guest_entry_state guest_entry_state;

extern uint8_t __guest_start[], __guest_end[];
extern uint8_t __worker_start[], __worker_end[];
extern uint8_t guest_gdt[], guest_gdt_end[];
extern uint8_t guest_pml4[];

/* Single accesses that may fault: they return -1 if the access completed,
 * else the exception vector (the handler resumes after the instruction
 * through the exception table and records the fault in guest_probe_fault). */
int guest_probe_read8(uint64_t addr, uint8_t *val);
int guest_probe_write8(uint64_t addr, uint8_t val);
extern uint8_t guest_probe_read8_insn[], guest_probe_write8_insn[];

struct guest_probe_fault {
	uint64_t vector, error, rip, cr2;
};
extern volatile struct guest_probe_fault guest_probe_fault;

/* One SVSM call with call (RAX) and arg (RCX), every other register the
 * call does not use loaded with a pattern; returns a bitmask of the ones
 * that came back changed (GUEST_PRESERVE_*), plus bit 31 if call_pending
 * was still set (husk did not take the call). */
uint64_t guest_call_preserve_check(volatile uint8_t *ca, uint64_t rax, uint64_t rcx);
#define GUEST_PRESERVE_RBX (1u << 0)
#define GUEST_PRESERVE_RBP (1u << 1)
#define GUEST_PRESERVE_RSI (1u << 2)
#define GUEST_PRESERVE_RDI (1u << 3)
#define GUEST_PRESERVE_R10 (1u << 4)
#define GUEST_PRESERVE_R11 (1u << 5)
#define GUEST_PRESERVE_R12 (1u << 6)
#define GUEST_PRESERVE_R13 (1u << 7)
#define GUEST_PRESERVE_R14 (1u << 8)
#define GUEST_PRESERVE_R15 (1u << 9)
#define GUEST_PRESERVE_R9  (1u << 10)
#define GUEST_PRESERVE_RDX (1u << 11)
#define GUEST_PRESERVE_R8  (1u << 12)
#define GUEST_PRESERVE_NOT_TAKEN (1u << 31)

/* ---- serial.c (COM2) and console.c ---- */

#define GUEST_COM2 0x2f8u

void serial_init(void);
void serial_putc_raw(uint8_t c);
void serial_write_raw(const void *buf, size_t len);
/* Blocks until a byte arrives (polling; no timeout: the relay waits for its host). */
uint8_t serial_getc(void);
bool serial_rx_ready(void);

/* Text on COM2, "\n" sent as "\r\n"; one line at a time from any vCPU. */
void gprintf(const char *fmt, ...) HUSK_PRINTF(1, 2);
HUSK_NORETURN void guest_exit(uint32_t code);
HUSK_NORETURN void guest_panic(const char *fmt, ...) HUSK_PRINTF(1, 2);

/* ---- idt.c ---- */

void idt_init(void);
extern uint8_t guest_idt[];
#define GUEST_IDT_ENTRIES 32u

/* ---- the information page (main.c) ---- */

struct guest_info {
	uint64_t info_gpa;
	const volatile uint8_t *page;
	const struct husk_svm_info_ext *ext;
	uint64_t svsm_base, svsm_size, boot_caa;
	uint32_t max_version;
	uint8_t guest_vmpl;
	uint32_t vcpu_count, boot_apic_id, tsc_khz;
	uint32_t apic_ids[64];
	char args[HUSK_SVM_GUEST_ARGS_MAX];
};
extern struct guest_info ginfo;

/* The value of guest.KEY=VALUE from the guest arguments, or NULL. */
const char *guest_arg(const char *key, char *buf, size_t len);
uint64_t guest_arg_u64(const char *key, uint64_t dflt);

/* The guest's own vCPU: its APIC ID (CPUID 1) */
uint32_t guest_apic_id(void);

/* ---- SVSM calls (svsm.c) ---- */

struct svsm_regs {
	uint64_t rax, rcx, rdx, r8, r9;
};

/* The boot vCPU's current calling area (REMAP_CA changes it). */
extern volatile uint8_t *guest_ca;

/* One SVSM call through the calling area ca: stores pend in call_pending,
 * VMMCALL with r, exchanges call_pending with 0 and returns the old value
 * (0: husk took the call).  r holds the registers afterwards. */
static inline __attribute__((always_inline)) uint8_t svsm_call_raw(volatile uint8_t *ca,
								 uint8_t pend,
								 struct svsm_regs *r)
{
	register uint64_t r8 __asm__("r8") = r->r8;
	register uint64_t r9 __asm__("r9") = r->r9;
	uint8_t old = 0;

	ca[SVSM_CA_CALL_PENDING] = pend;
	__asm__ volatile("vmmcall"
			 : "+a"(r->rax), "+c"(r->rcx), "+d"(r->rdx), "+r"(r8), "+r"(r9)
			 :
			 : "memory");
	__asm__ volatile("xchgb %0, %1" : "+q"(old), "+m"(ca[SVSM_CA_CALL_PENDING]) : : "memory");
	r->r8 = r8;
	r->r9 = r9;
	return old;
}

/* A result code no call returns: husk did not take the call. */
#define GUEST_NOT_TAKEN 0xdead0001u

/* A call through guest_ca; returns RAX bits 31:0 (or GUEST_NOT_TAKEN) and
 * leaves all result registers in *out if out is non-NULL. */
uint32_t svsm_call(uint64_t rax, uint64_t rcx, uint64_t rdx, uint64_t r8, struct svsm_regs *out);
/* QUERY_PROTOCOL: the RCX it returns (0 if unsupported), or ~0 if the call failed. */
uint64_t svsm_query_protocol(uint32_t protocol, uint32_t version);
/* True if husk answers QUERY_PROTOCOL(core, 1) as it must. */
bool svsm_alive(void);
const char *svsm_result_name(uint32_t rc);

/* ---- PVALIDATE helpers (svsm.c) ---- */

static inline uint64_t pval_entry(uint64_t gpa, bool huge, bool validate, bool ignore_cf)
{
	return (gpa & ~0xfffull) | (huge ? SVSM_PVAL_SIZE_2M : SVSM_PVAL_SIZE_4K) |
	       (validate ? SVSM_PVAL_VALIDATE : 0) | (ignore_cf ? SVSM_PVAL_IGNORE_CF : 0);
}
/* PVALIDATE of one page with the list in the CA buffer; repeats on INCOMPLETE. */
uint32_t svsm_pvalidate_one(uint64_t gpa, bool huge, bool validate, bool ignore_cf);

/* ---- memory the tests use (main.c) ---- */

/* A 4 MiB window of guest RAM outside the image, husk's region, the
 * information page and the boot CA, 2 MiB aligned; none of it is validated
 * at start.  The first 2 MiB serve 4 KiB tests, the second 2 MiB ones. */
extern uint64_t guest_scratch;
/* Addresses that are not guest RAM. */
#define GUEST_GPA_MMIO   0xfee00000ull       /* the local APIC */
#define GUEST_GPA_BEYOND 0x10000000000ull    /* 1 TiB: beyond any test VM's RAM */

bool ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen);

/* ---- vCPUs (vcpu.c) ---- */

/* What a guest vCPU started with CREATE_VCPU shares with the boot vCPU. */
struct worker_ctx {
	volatile uint64_t counter;     /* loop iterations */
	volatile uint64_t calls_ok;    /* SVSM calls that answered as expected */
	volatile uint64_t calls_bad;   /* ... and those that did not */
	volatile uint32_t last_result;
	volatile uint32_t self_delete; /* set by the boot vCPU: delete yourself */
	volatile uint32_t deleting;    /* set by the worker just before it does */
	uint32_t apic_id;
	uint64_t ca_gpa;
	uint64_t vmsa_gpa;
};

extern struct worker_ctx guest_worker_ctx;
extern uint8_t guest_worker_vmsa[2][PAGE_SIZE];
extern uint8_t guest_worker_ca[PAGE_SIZE];

/* The APIC ID of a vCPU other than the boot one, or false if there is none. */
bool vcpu_other_apic(uint32_t *apic);
/* Fills vmsa (4 KiB) for the worker loop: 64-bit mode, VMPL 1, the guest's
 * page tables, GDT and IDT, its own stack; RDI = ctx. */
void vcpu_build_vmsa(uint8_t *vmsa, struct worker_ctx *ctx);
/* CREATE_VCPU; the result code. */
uint32_t vcpu_create(uint64_t vmsa_gpa, uint64_t ca_gpa, uint32_t apic_id);
/* DELETE_VCPU, repeated while husk answers BUSY (up to timeout_ms). */
uint32_t vcpu_delete(uint64_t vmsa_gpa, uint32_t timeout_ms);
/* Waits until ctx->counter has moved by at least delta; false on timeout. */
bool vcpu_wait_counter(struct worker_ctx *ctx, uint64_t delta, uint32_t timeout_ms);

/* ---- time ---- */

/* The TSC ticks in ms milliseconds (a fallback rate if tsc_khz is 0). */
uint64_t ms_to_tsc(uint64_t ms);

/* ---- TPM (tpm.c) ---- */

/* The vTPM request/response buffer of VTPM_CMD: the buffer, at any
 * address, and 4096 bytes long. */
uint32_t vtpm_send(uint64_t buf_gpa, uint32_t platform_cmd, uint8_t locality, const uint8_t *cmd,
		   uint32_t cmd_len, uint8_t *rsp, uint32_t rsp_cap, uint32_t *rsp_len);
/* TPM_SEND_COMMAND through the default buffer. */
uint32_t vtpm_cmd(const uint8_t *cmd, uint32_t cmd_len, uint8_t *rsp, uint32_t rsp_cap,
		  uint32_t *rsp_len);
extern uint8_t guest_vtpm_buf[3 * PAGE_SIZE];

#define TPM_RC_SUCCESS      0x000u
#define TPM_RC_INITIALIZE   0x100u
#define TPM_RC_COMMAND_CODE 0x143u

uint32_t tpm_build_startup_clear(uint8_t *buf);
uint32_t tpm_build_get_random(uint8_t *buf, uint16_t n);
uint32_t tpm_build_pcr_reset(uint8_t *buf, uint32_t pcr);
uint32_t tpm_build_pcr_extend_sha256(uint8_t *buf, uint32_t pcr, const uint8_t digest[32]);
uint32_t tpm_build_pcr_read_sha256(uint8_t *buf, uint32_t pcr);
uint32_t tpm_build_nv_read_public(uint8_t *buf, uint32_t index);
uint32_t tpm_build_nv_read(uint8_t *buf, uint32_t auth, uint32_t index, uint16_t size,
			   uint16_t offset);
uint32_t tpm_build_nv_define_counter(uint8_t *buf, uint32_t index);
uint32_t tpm_build_nv_increment(uint8_t *buf, uint32_t index);
/* The response code of a TPM response, or ~0 if it is shorter than a header. */
uint32_t tpm_rsp_rc(const uint8_t *rsp, uint32_t len);
/* The digest in a PCR_Read response for one SHA-256 PCR; false if malformed. */
bool tpm_pcr_read_digest(const uint8_t *rsp, uint32_t len, uint8_t out[32]);

static inline uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}
static inline void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}
static inline uint16_t get_be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

/* ---- hash.c ---- */

void sha256(const void *data, size_t len, uint8_t out[32]);
/* SHA-512(a || b). */
void sha512_2(const void *a, size_t a_len, const void *b, size_t b_len, uint8_t out[64]);

/* ---- modes ---- */

int mode_conformance(void); /* each returns GUEST_EXIT_PASS or _FAIL */
int mode_relay(void);
int mode_demo(void);
int mode_bench(void);

#endif
