/* Assembler macros shared by the two places that take a CPU from real mode to
 * long mode: the reset-vector loader (boot/reset.S, BSP) and the AP
 * trampoline (ap_tramp.S).  Both run from a page at a fixed physical address
 * and use the same three-entry GDT. */
#ifndef HUSK_ARCH_X86_BOOT_MODESWITCH_H
#define HUSK_ARCH_X86_BOOT_MODESWITCH_H

#define BOOT_SEL_CODE32 0x08
#define BOOT_SEL_DATA   0x10
#define BOOT_SEL_CODE64 0x18

/* Protected mode: flat data segments. */
.macro BOOT_LOAD_DATA32
	movl	$BOOT_SEL_DATA, %eax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	movw	%ax, %fs
	movw	%ax, %gs
.endm

/* From 32-bit protected mode with CR3 already loaded: PAE, EFER.LME|NXE,
 * caches on (CR0.CD/NW are set at reset), paging with write protection, then
 * a far jump to the 64-bit target. */
.macro BOOT_ENTER_LONG_MODE target
	movl	%cr4, %eax
	orl	$(1 << 5), %eax			/* PAE */
	movl	%eax, %cr4
	movl	$0xc0000080, %ecx		/* EFER */
	rdmsr
	orl	$((1 << 8) | (1 << 11)), %eax	/* LME, NXE */
	wrmsr
	movl	%cr0, %eax
	andl	$~((1 << 30) | (1 << 29)), %eax	/* clear CD, NW */
	orl	$((1 << 31) | (1 << 16)), %eax	/* PG, WP */
	movl	%eax, %cr0
	ljmpl	$BOOT_SEL_CODE64, $\target
.endm

/* Long mode: null data segments. */
.macro BOOT_CLEAR_DATA64
	xorl	%eax, %eax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	movw	%ax, %fs
	movw	%ax, %gs
.endm

/* The GDT (accessed bits preset: the reset page is ROM) and its descriptor;
 * gdt_linear is the GDT's physical address. */
.macro BOOT_GDT gdt_label, gdtr_label, gdt_linear
	.balign 8
\gdt_label:
	.quad	0
	.quad	0x00cf9b000000ffff	/* 0x08: 32-bit code */
	.quad	0x00cf93000000ffff	/* 0x10: data */
	.quad	0x00af9b000000ffff	/* 0x18: 64-bit code */
\gdtr_label:
	.word	4 * 8 - 1
	.long	\gdt_linear
.endm

#endif
