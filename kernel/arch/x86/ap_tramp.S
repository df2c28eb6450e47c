/* The AP start-up trampoline.  Application processors leave INIT-SIPI in real
 * mode at HUSK_AP_PAGE_GPA; the BSP copies this code there, puts the hand-off
 * block (struct husk_ap_handoff) in the next page, and maps the code page 1:1
 * read-only/executable and the hand-off page read-write/no-execute while APs
 * start.  Each AP takes a ticket, picks its stack and jumps to the kernel.
 * All addresses are constants relative to the page: the bytes are copied, not
 * executed where they are linked. */
#include "husk/bootinfo.h"
#include "husk/layout.h"

#define BASE     HUSK_AP_PAGE_GPA
#define T32(x)   ((x) - ap_tramp_start + BASE)
#define HANDOFF  (BASE + HUSK_AP_HANDOFF_OFFSET)

	.section .rodata.ap_tramp, "a"
	.globl	ap_tramp_start, ap_tramp_end
	.code16
ap_tramp_start:
	cli
	cld
	movw	%cs, %ax
	movw	%ax, %ds
	lgdtl	(gdtr - ap_tramp_start)
	movl	%cr0, %eax
	orl	$1, %eax
	movl	%eax, %cr0
	ljmpl	$0x08, $T32(prot32)

	.code32
prot32:
	movl	$0x10, %eax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	movw	%ax, %fs
	movw	%ax, %gs
	movl	HANDOFF + HUSK_AP_OFF_CR3, %eax
	movl	%eax, %cr3
	movl	%cr4, %eax
	orl	$(1 << 5), %eax			/* PAE */
	movl	%eax, %cr4
	movl	$0xc0000080, %ecx
	rdmsr
	orl	$((1 << 8) | (1 << 11)), %eax	/* LME, NXE */
	wrmsr
	movl	%cr0, %eax
	orl	$((1 << 31) | (1 << 16)), %eax	/* PG, WP */
	movl	%eax, %cr0
	ljmpl	$0x18, $T32(long64)

	.code64
long64:
	xorl	%eax, %eax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	movw	%ax, %fs
	movw	%ax, %gs
	movl	$1, %eax
	lock xaddl %eax, HANDOFF + HUSK_AP_OFF_TICKET
	cmpl	HANDOFF + HUSK_AP_OFF_MAX, %eax
	jae	park
	leal	1(%rax), %edi			/* CPU index: BSP is 0 */
	movq	HANDOFF + HUSK_AP_OFF_STACKS(, %rdi, 8), %rsp
	movq	HANDOFF + HUSK_AP_OFF_ENTRY, %rax
	xorl	%ebp, %ebp
	jmp	*%rax
park:
	movq	HANDOFF + HUSK_AP_OFF_PARK, %rax
	jmp	*%rax

	.balign 8
gdt:
	.quad	0
	.quad	0x00cf9b000000ffff
	.quad	0x00cf93000000ffff
	.quad	0x00af9b000000ffff
gdt_end:
gdtr:
	.word	gdt_end - gdt - 1
	.long	T32(gdt)
ap_tramp_end:
