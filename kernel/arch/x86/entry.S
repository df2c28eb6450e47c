/* Kernel entry points (BSP, APs, parked APs) and the exception/interrupt
 * stubs that build a struct exc_frame (arch/x86/exceptions.h) and call
 * exc_dispatch(). */

#include "husk/bootinfo.h"

	.section .text.boot, "ax"
	.code64
	.globl	_start
_start:					/* RDI = boot params VA, RSI = reset TSC */
	leaq	boot_stack_top(%rip), %rsp
	xorl	%ebp, %ebp
	call	kmain
1:	cli
	hlt
	jmp	1b

	.globl	ap_entry
ap_entry:				/* RDI = CPU index, RSP = its stack */
	xorl	%ebp, %ebp
	call	ap_main
	.globl	ap_park
ap_park:				/* surplus APs: record our APIC ID, then halt */
	movl	$1, %eax
	cpuid
	shrl	$24, %ebx			/* initial APIC ID */
	incl	%ebx				/* stored + 1: 0 means "not written yet" */
	movl	$1, %eax
	lock xaddl %eax, ap_park_slot(%rip)
	cmpl	$HUSK_MAX_CPUS, %eax
	jae	1f
	movl	%ebx, ap_parked_apic(, %rax, 4)
1:	lock incl ap_parked_count(%rip)	/* only now is the slot published */
2:	cli
	hlt
	jmp	2b

	.text
/* One 16-byte stub per vector; vectors that push an error code (8, 10-14,
 * 17, 21, 29, 30) skip the dummy push so every frame has the same layout. */
	.globl	exc_stub_table_start
	.balign 16
exc_stub_table_start:
	.set	vec, 0
	.rept	256
	.balign 16
	.if (vec == 8) || ((vec >= 10) && (vec <= 14)) || (vec == 17) || (vec == 21) || (vec == 29) || (vec == 30)
	.else
	pushq	$0
	.endif
	pushq	$vec
	jmp	exc_common
	.set	vec, vec + 1
	.endr

exc_common:
	cld
	pushq	%rax
	pushq	%rbx
	pushq	%rcx
	pushq	%rdx
	pushq	%rsi
	pushq	%rdi
	pushq	%rbp
	pushq	%r8
	pushq	%r9
	pushq	%r10
	pushq	%r11
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	movq	%rsp, %rdi
	call	exc_dispatch
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%r11
	popq	%r10
	popq	%r9
	popq	%r8
	popq	%rbp
	popq	%rdi
	popq	%rsi
	popq	%rdx
	popq	%rcx
	popq	%rbx
	popq	%rax
	addq	$16, %rsp
	iretq

	.section .note.GNU-stack, "", @progbits
