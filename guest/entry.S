/* The test guest's entry: husk starts the boot vCPU at the first byte of the
 * image in 32-bit protected mode, paging off, with no GDT or IDT of ours
 * (include/husk/svm_guest.h).  This records what the guest found, loads the
 * guest's GDT, identity-maps the first 4 GiB with 2 MiB pages, enters long
 * mode and calls guest_main().  Also: the exception stubs, the probes that
 * may fault (with their exception-table entries) and the register
 * preservation check of an SVSM call. */

#define EFER_MSR	0xc0000080
#define EFER_LME	0x100
#define EFER_NXE	0x800
#define CR0_PG_WP	0x80010000
#define CR4_PAE		0x20
#define PTE_P_RW	0x3
#define PDE_2M		0x83		/* present, writable, page size */

	.section .text.entry, "ax"
	.code32
	.globl	guest_entry32
guest_entry32:
	/* ESP is 0 here: nothing may touch the stack before it is set. */
	movl	%eax, guest_entry_state + 0
	movl	%ebx, guest_entry_state + 4
	movl	%ecx, guest_entry_state + 8
	movl	%edx, guest_entry_state + 12
	movl	%esi, guest_entry_state + 16
	movl	%edi, guest_entry_state + 20
	movl	%ebp, guest_entry_state + 24
	movl	%esp, guest_entry_state + 28
	movl	$boot_stack_top, %esp		/* mov leaves EFLAGS alone */
	pushfl
	popl	guest_entry_state + 48
	movl	%cr0, %eax
	movl	%eax, guest_entry_state + 32
	movl	%cr4, %eax
	movl	%eax, guest_entry_state + 36
	movl	$EFER_MSR, %ecx
	rdmsr
	movl	%eax, guest_entry_state + 40
	movl	%edx, guest_entry_state + 44
	movw	%cs, guest_entry_state + 52
	movw	%ds, guest_entry_state + 54
	movw	%es, guest_entry_state + 56
	movw	%fs, guest_entry_state + 58
	movw	%gs, guest_entry_state + 60
	movw	%ss, guest_entry_state + 62
	sgdt	entry_desc_scratch
	movw	entry_desc_scratch, %ax
	movw	%ax, guest_entry_state + 64
	sidt	entry_desc_scratch
	movw	entry_desc_scratch, %ax
	movw	%ax, guest_entry_state + 66
	cli
	cld

	lgdt	gdt_desc32
	ljmp	$0x08, $1f
1:	movl	$0x10, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	movl	%eax, %fs
	movl	%eax, %gs

	/* .bss is part of the payload (so it starts validated) and loads as
	 * zeros; clear it anyway rather than rely on the loader. */
	movl	$__bss_start, %edi
	movl	$__bss_end, %ecx
	subl	%edi, %ecx
	shrl	$2, %ecx
	xorl	%eax, %eax
	rep stosl

	/* 2048 2 MiB pages: [0, 4 GiB) identity-mapped, write-back. */
	movl	$guest_pd, %edi
	movl	$PDE_2M, %eax
	movl	$2048, %ecx
2:	movl	%eax, (%edi)
	movl	$0, 4(%edi)
	addl	$0x200000, %eax
	addl	$8, %edi
	loop	2b
	movl	$guest_pdpt, %edi
	movl	$guest_pd + PTE_P_RW, %eax
	movl	$4, %ecx
3:	movl	%eax, (%edi)
	movl	$0, 4(%edi)
	addl	$4096, %eax
	addl	$8, %edi
	loop	3b
	movl	$guest_pdpt + PTE_P_RW, %eax
	movl	%eax, guest_pml4

	movl	%cr4, %eax
	orl	$CR4_PAE, %eax
	movl	%eax, %cr4
	movl	$guest_pml4, %eax
	movl	%eax, %cr3
	/* EFER.NXE only if the CPU has NX (CPUID 0x80000001 EDX bit 20). */
	movl	$0x80000001, %eax
	cpuid
	xorl	%ebx, %ebx
	btl	$20, %edx
	jnc	4f
	movl	$EFER_NXE, %ebx
4:	movl	$EFER_MSR, %ecx
	rdmsr
	orl	$EFER_LME, %eax
	orl	%ebx, %eax
	wrmsr
	movl	%cr0, %eax
	orl	$CR0_PG_WP, %eax
	movl	%eax, %cr0
	ljmp	$0x18, $guest_entry64

	.code64
guest_entry64:
	movl	$0x10, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	xorl	%eax, %eax
	movl	%eax, %fs
	movl	%eax, %gs
	leaq	boot_stack_top(%rip), %rsp
	xorl	%ebp, %ebp
	call	guest_main
5:	pause
	jmp	5b

/* ---- exceptions ---- */

	.text
	.macro	EXC_STUB vec
exc_stub_\vec:
	.if (\vec == 8) || ((\vec >= 10) && (\vec <= 14)) || (\vec == 17) || (\vec == 21) || (\vec == 29) || (\vec == 30)
	.else
	pushq	$0				/* no error code: keep one frame layout */
	.endif
	pushq	$\vec
	jmp	exc_common
	.endm

	.irp	v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	EXC_STUB \v
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
	call	guest_exception
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
	addq	$16, %rsp			/* vector, error code */
	iretq

	.section .rodata
	.balign	8
	.globl	guest_exc_stubs
guest_exc_stubs:
	.irp	v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.quad	exc_stub_\v
	.endr

/* ---- accesses that may fault ---- */

	.text
	.globl	guest_probe_read8, guest_probe_read8_insn
guest_probe_read8:			/* RDI = address, RSI = where the byte goes */
	movl	$-1, %eax
guest_probe_read8_insn:
	movb	(%rdi), %dl
	movb	%dl, (%rsi)
1:	ret
	.pushsection .guest_extable, "a"
	.quad	guest_probe_read8_insn, 1b
	.popsection

	.globl	guest_probe_write8, guest_probe_write8_insn
guest_probe_write8:			/* RDI = address, SIL = the byte */
	movl	$-1, %eax
guest_probe_write8_insn:
	movb	%sil, (%rdi)
1:	ret
	.pushsection .guest_extable, "a"
	.quad	guest_probe_write8_insn, 1b
	.popsection

/* ---- does an SVSM call keep the registers it does not return? ---- */

#define P_RBX	0x1b1b1b1b1b1b1b1b
#define P_RBP	0x2b2b2b2b2b2b2b2b
#define P_RSI	0x3b3b3b3b3b3b3b3b
#define P_RDI	0x4b4b4b4b4b4b4b4b
#define P_R10	0x5b5b5b5b5b5b5b5b
#define P_R11	0x6b6b6b6b6b6b6b6b
#define P_R12	0x7b7b7b7b7b7b7b7b
#define P_R13	0x8b8b8b8b8b8b8b8b
#define P_R14	0x9b9b9b9b9b9b9b9b
#define P_R15	0xabababababababab
#define P_R9	0xbbbbbbbbbbbbbbbb
#define P_RDX	0xcbcbcbcbcbcbcbcb
#define P_R8	0xdbdbdbdbdbdbdbdb

	.macro	CHECK reg, pat, bit
	movabsq	$\pat, %rax
	cmpq	%rax, \reg
	je	1f
	orq	$\bit, %rcx
1:
	.endm

	.globl	guest_call_preserve_check
guest_call_preserve_check:		/* RDI = CA, RSI = RAX of the call, RDX = its RCX */
	pushq	%rbx
	pushq	%rbp
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	pushq	%rdi
	movb	$1, (%rdi)
	movq	%rsi, %rax
	movq	%rdx, %rcx
	movabsq	$P_RBX, %rbx
	movabsq	$P_RBP, %rbp
	movabsq	$P_RSI, %rsi
	movabsq	$P_RDI, %rdi
	movabsq	$P_R10, %r10
	movabsq	$P_R11, %r11
	movabsq	$P_R12, %r12
	movabsq	$P_R13, %r13
	movabsq	$P_R14, %r14
	movabsq	$P_R15, %r15
	movabsq	$P_R9, %r9
	movabsq	$P_RDX, %rdx
	movabsq	$P_R8, %r8
	vmmcall
	xorl	%ecx, %ecx			/* RAX and RCX are results: free now */
	CHECK	%rbx, P_RBX, 0x1
	CHECK	%rbp, P_RBP, 0x2
	CHECK	%rsi, P_RSI, 0x4
	CHECK	%rdi, P_RDI, 0x8
	CHECK	%r10, P_R10, 0x10
	CHECK	%r11, P_R11, 0x20
	CHECK	%r12, P_R12, 0x40
	CHECK	%r13, P_R13, 0x80
	CHECK	%r14, P_R14, 0x100
	CHECK	%r15, P_R15, 0x200
	CHECK	%r9, P_R9, 0x400
	CHECK	%rdx, P_RDX, 0x800
	CHECK	%r8, P_R8, 0x1000
	popq	%rdi
	xorl	%eax, %eax
	xchgb	%al, (%rdi)
	testb	%al, %al
	jz	2f
	btsq	$31, %rcx
2:	movq	%rcx, %rax
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbp
	popq	%rbx
	ret

/* ---- descriptor tables and boot data ---- */

	.section .rodata
	.balign	16
	.globl	guest_gdt, guest_gdt_end
guest_gdt:
	.quad	0
	.quad	0x00cf9b000000ffff		/* 0x08: flat 32-bit code */
	.quad	0x00cf93000000ffff		/* 0x10: flat data */
	.quad	0x00af9b000000ffff		/* 0x18: 64-bit code */
guest_gdt_end:
	.balign	8
gdt_desc32:
	.word	guest_gdt_end - guest_gdt - 1
	.long	guest_gdt

	.data
	.balign	8
	.globl	guest_entry_state
guest_entry_state:
	.fill	68, 1, 0
entry_desc_scratch:
	.fill	10, 1, 0

	.section .bss
	.balign	4096
	.globl	guest_pml4, guest_pdpt, guest_pd
guest_pml4:
	.fill	4096, 1, 0
guest_pdpt:
	.fill	4096, 1, 0
guest_pd:
	.fill	4 * 4096, 1, 0
boot_stack:
	.fill	16384, 1, 0
boot_stack_top:

	.section .note.GNU-stack, "", @progbits
