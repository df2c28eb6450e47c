/* AMD-V (SVM): the VMCB layout husk uses, intercept and exit codes, and the
 * SVM instructions.  AMD APM vol. 2, chapter 15 and appendix B; offsets were
 * checked under QEMU TCG (../shared/reference/machine-experiments.md 2.3).
 * The VMCB save area has the SEV-ES VMSA's offsets for every field below
 * 0x298, which lets CREATE_VCPU copy VMSA fields by offset. */
#ifndef HUSK_ARCH_X86_SVM_H
#define HUSK_ARCH_X86_SVM_H

#include <stdint.h>

#include "husk/compiler.h"

#define MSR_VM_CR       0xc0010114u
#define MSR_VM_HSAVE_PA 0xc0010117u
#define MSR_TSC         0x00000010u
#define VM_CR_LOCK      (1ull << 3)
#define VM_CR_SVMDIS    (1ull << 4)

/* Control area offsets. */
#define VMCB_INTERCEPT_CR     0x000u /* u32: reads 15:0, writes 31:16 */
#define VMCB_INTERCEPT_DR     0x004u
#define VMCB_INTERCEPT_EXC    0x008u
#define VMCB_INTERCEPT_MISC1  0x00cu
#define VMCB_INTERCEPT_MISC2  0x010u
#define VMCB_IOPM_BASE        0x040u
#define VMCB_MSRPM_BASE       0x048u
#define VMCB_TSC_OFFSET       0x050u
#define VMCB_ASID             0x058u /* u32 */
#define VMCB_TLB_CONTROL      0x05cu /* u8 */
#define VMCB_VINTR            0x060u
#define VMCB_INTR_SHADOW      0x068u
#define VMCB_EXITCODE         0x070u
#define VMCB_EXITINFO1        0x078u
#define VMCB_EXITINFO2        0x080u
#define VMCB_EXITINTINFO      0x088u
#define VMCB_NP_ENABLE        0x090u
#define VMCB_EVENTINJ         0x0a8u
#define VMCB_NCR3             0x0b0u
#define VMCB_VMCB_CLEAN       0x0c0u
#define VMCB_NRIP             0x0c8u
#define VMCB_SAVE             0x400u /* save area; VMSA offsets from here */

/* MISC1 intercepts. */
#define SVM_I1_INTR     (1u << 0)
#define SVM_I1_NMI      (1u << 1)
#define SVM_I1_INIT     (1u << 3)
#define SVM_I1_CPUID    (1u << 18)
#define SVM_I1_HLT      (1u << 24)
#define SVM_I1_INVLPGA  (1u << 26)
#define SVM_I1_IOIO     (1u << 27)
#define SVM_I1_MSR      (1u << 28)
#define SVM_I1_SHUTDOWN (1u << 31)
/* MISC2 intercepts. */
#define SVM_I2_VMRUN    (1u << 0)
#define SVM_I2_VMMCALL  (1u << 1)
#define SVM_I2_VMLOAD   (1u << 2)
#define SVM_I2_VMSAVE   (1u << 3)
#define SVM_I2_STGI     (1u << 4)
#define SVM_I2_CLGI     (1u << 5)
#define SVM_I2_SKINIT   (1u << 6)

/* Exit codes. */
#define SVM_EXIT_INIT     0x063u
#define SVM_EXIT_CPUID    0x072u
#define SVM_EXIT_HLT      0x078u
#define SVM_EXIT_INVLPGA  0x07au
#define SVM_EXIT_IOIO     0x07bu
#define SVM_EXIT_MSR      0x07cu
#define SVM_EXIT_SHUTDOWN 0x07fu
#define SVM_EXIT_VMRUN    0x080u
#define SVM_EXIT_VMMCALL  0x081u
#define SVM_EXIT_VMLOAD   0x082u
#define SVM_EXIT_VMSAVE   0x083u
#define SVM_EXIT_STGI     0x084u
#define SVM_EXIT_CLGI     0x085u
#define SVM_EXIT_SKINIT   0x086u
#define SVM_EXIT_NPF      0x400u
#define SVM_EXIT_INVALID  0xffffffffffffffffull

/* EVENTINJ / EXITINTINFO. */
#define SVM_EVT_VALID     (1ull << 31)
#define SVM_EVT_ERR_VALID (1ull << 11)
#define SVM_EVT_TYPE_EXC  (3ull << 8)
#define SVM_EVT_VEC_UD    6u
#define SVM_EVT_VEC_DF    8u
#define SVM_EVT_VEC_GP    13u

/* #NPF EXITINFO1 bits. */
#define SVM_NPF_PRESENT (1ull << 0)
#define SVM_NPF_WRITE   (1ull << 1)
#define SVM_NPF_FETCH   (1ull << 4)
#define SVM_NPF_FINAL   (1ull << 32) /* fault on the final GPA, not a guest table */

/* IOIO EXITINFO1: direction, string/rep, operand size, port. */
#define SVM_IOIO_IN       (1ull << 0)
#define SVM_IOIO_STR      (1ull << 2)
#define SVM_IOIO_REP      (1ull << 3)
#define SVM_IOIO_SZ_SHIFT 4 /* bits 4-6: 1, 2 or 4 bytes, one bit each */
#define SVM_IOIO_PORT(i)  ((uint16_t)((i) >> 16))

/* The I/O permission map: one bit per port, 12 KiB (the last bits cover
 * multi-byte accesses that run past port 0xffff). */
#define SVM_IOPM_BYTES 0x3000u

/* The guest's general registers VMRUN does not switch (RAX and RSP live in
 * the VMCB).  Layout known to svm_vmrun.S. */
struct svm_gprs {
	uint64_t rbx, rcx, rdx, rsi, rdi, rbp;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
};

/* Enters the guest of the VMCB at vmcb_pa with the registers in g and
 * returns at its #VMEXIT with g updated.  Loads the guest's VMLOAD state
 * first; saves it and reloads the host's (host_save_pa, filled once by
 * VMSAVE) after.  Runs with GIF = 0 on both sides. */
void svm_vmrun(uint64_t vmcb_pa, struct svm_gprs *g, uint64_t host_save_pa);

static inline void svm_clgi(void) { __asm__ volatile("clgi" ::: "memory"); }
static inline void svm_vmsave(uint64_t pa) { __asm__ volatile("vmsave %%rax" ::"a"(pa) : "memory"); }

static inline uint64_t vmcb_get(const void *vmcb, uint32_t off)
{
	return *(const volatile uint64_t *)((const uint8_t *)vmcb + off);
}
static inline void vmcb_set(void *vmcb, uint32_t off, uint64_t v)
{
	*(volatile uint64_t *)((uint8_t *)vmcb + off) = v;
}
static inline void vmcb_set32(void *vmcb, uint32_t off, uint32_t v)
{
	*(volatile uint32_t *)((uint8_t *)vmcb + off) = v;
}

#endif
