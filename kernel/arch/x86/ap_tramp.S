/* The AP start-up trampoline.  Application processors leave INIT-SIPI in real
 * mode at HUSK_AP_PAGE_GPA; the BSP copies this code there, puts the hand-off
 * block (struct husk_ap_handoff) in the next page, and maps the code page 1:1
 * read-only/executable and the hand-off page read-write/no-execute while APs
 * start.  Each AP takes a ticket, picks its stack and jumps to the kernel.
 * All addresses are constants relative to the page: the bytes are copied, not
 * executed where they are linked. */
#include "husk/bootinfo.h"
#include "husk/layout.h"
#include "boot/modeswitch.h"

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
	ljmpl	$BOOT_SEL_CODE32, $T32(prot32)

	.code32
prot32:
	BOOT_LOAD_DATA32
	movl	HANDOFF + HUSK_AP_OFF_CR3, %eax
	movl	%eax, %cr3
	BOOT_ENTER_LONG_MODE T32(long64)

	.code64
long64:
	BOOT_CLEAR_DATA64
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

	BOOT_GDT gdt, gdtr, T32(gdt)
ap_tramp_end:
