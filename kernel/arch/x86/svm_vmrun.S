/* svm_vmrun(vmcb_pa, gprs, host_save_pa): one trip into an SVM guest and
 * back (see svm.h).  VMRUN saves and restores only the host's RSP, RIP, RAX,
 * control registers, EFER, RFLAGS and CS/SS/DS/ES; the general registers are
 * switched here, the FS/GS/TR/LDTR and syscall state by VMLOAD/VMSAVE.
 * Between the guest's VMLOAD and the host's VMLOAD the GS base is the
 * guest's: GIF is 0 throughout, so no interrupt or NMI can run husk code
 * in that window. */

#define G_RBX 0
#define G_RCX 8
#define G_RDX 16
#define G_RSI 24
#define G_RDI 32
#define G_RBP 40
#define G_R8  48
#define G_R9  56
#define G_R10 64
#define G_R11 72
#define G_R12 80
#define G_R13 88
#define G_R14 96
#define G_R15 104

	.text
	.globl	svm_vmrun
svm_vmrun:
	pushq	%rbp
	pushq	%rbx
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	pushq	%rsi		/* gprs, 8(%rsp) after the next push */
	pushq	%rdx		/* host_save_pa, (%rsp) */

	movq	%rdi, %rax
	movq	G_RBX(%rsi), %rbx
	movq	G_RCX(%rsi), %rcx
	movq	G_RDX(%rsi), %rdx
	movq	G_RDI(%rsi), %rdi
	movq	G_RBP(%rsi), %rbp
	movq	G_R8(%rsi), %r8
	movq	G_R9(%rsi), %r9
	movq	G_R10(%rsi), %r10
	movq	G_R11(%rsi), %r11
	movq	G_R12(%rsi), %r12
	movq	G_R13(%rsi), %r13
	movq	G_R14(%rsi), %r14
	movq	G_R15(%rsi), %r15
	movq	G_RSI(%rsi), %rsi

	vmload	%rax
	vmrun	%rax
	vmsave	%rax		/* RAX is the host's again: the VMCB address */

	movq	8(%rsp), %rax
	movq	%rbx, G_RBX(%rax)
	movq	%rcx, G_RCX(%rax)
	movq	%rdx, G_RDX(%rax)
	movq	%rsi, G_RSI(%rax)
	movq	%rdi, G_RDI(%rax)
	movq	%rbp, G_RBP(%rax)
	movq	%r8, G_R8(%rax)
	movq	%r9, G_R9(%rax)
	movq	%r10, G_R10(%rax)
	movq	%r11, G_R11(%rax)
	movq	%r12, G_R12(%rax)
	movq	%r13, G_R13(%rax)
	movq	%r14, G_R14(%rax)
	movq	%r15, G_R15(%rax)

	popq	%rax
	vmload	%rax		/* the host's GS base (per-CPU area), TR, ... */
	addq	$8, %rsp
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbx
	popq	%rbp
	ret
