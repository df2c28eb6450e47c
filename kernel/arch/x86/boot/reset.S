/* husk's reset-vector loader: the one page at GPA 0xfffff000 that the CPU
 * enters at 0xfffffff0 in real mode.  It switches to long mode using the page
 * tables the IGVM builder pre-built (CR3 and the kernel entry come from the
 * hand-off block the builder patches in at HUSK_LOADER_HANDOFF_OFFSET) and
 * jumps to the kernel.  It copies and validates nothing else: the image is
 * already where it runs.
 *
 * The page is not part of the kernel's mapped image: it is assembled into the
 * non-allocated ELF section .husk.reset, which the builder extracts.  All
 * addresses are assembler constants relative to the page, so the section has
 * no relocations. */
#include "husk/bootinfo.h"
#include "husk/layout.h"
#include "modeswitch.h"

#define PAGE32   HUSK_RESET_PAGE_GPA
#define OFF16    0xf000                /* page offset from the reset CS base 0xffff0000 */
#define A32(x)   ((x) - reset_page + PAGE32)
#define A16(x)   ((x) - reset_page + OFF16)
#define HANDOFF  (PAGE32 + HUSK_LOADER_HANDOFF_OFFSET)

	.section .husk.reset, "", @progbits
	.code16
reset_page:
	cli
	cld
	/* Reset timestamp for boot-time accounting; kept in EBP:EBX. */
	rdtsc
	movl	%eax, %ebx
	movl	%edx, %ebp
	lgdtl	%cs:A16(gdtr)
	movl	%cr0, %eax
	orl	$1, %eax			/* PE */
	movl	%eax, %cr0
	ljmpl	$BOOT_SEL_CODE32, $A32(prot32)

	.code32
prot32:
	BOOT_LOAD_DATA32
	cmpl	$(HUSK_LOADER_MAGIC & 0xffffffff), HANDOFF + HUSK_LOADER_OFF_MAGIC
	jne	bad_handoff
	cmpl	$(HUSK_LOADER_MAGIC >> 32), HANDOFF + HUSK_LOADER_OFF_MAGIC + 4
	jne	bad_handoff
	cmpl	$0, HANDOFF + HUSK_LOADER_OFF_CR3 + 4
	jne	bad_handoff
	/* husk's page tables use NX: without it the switch would fault. */
	movl	$0x80000000, %eax
	cpuid
	cmpl	$0x80000001, %eax
	jb	no_nx
	movl	$0x80000001, %eax
	cpuid
	btl	$20, %edx
	jnc	no_nx
	movl	HANDOFF + HUSK_LOADER_OFF_CR3, %eax
	movl	%eax, %cr3
	BOOT_ENTER_LONG_MODE A32(long64)

no_nx:
	movl	$A32(msg_nx), %esi
	jmp	say_and_stop
bad_handoff:
	movl	$A32(msg), %esi
	/* No console yet: say it on COM1 as-is and stop. */
say_and_stop:
	movw	$0x3f8, %dx
1:	lodsb
	testb	%al, %al
	jz	2f
	outb	%al, %dx
	jmp	1b
2:	cli
	hlt
	jmp	2b

	.code64
long64:
	BOOT_CLEAR_DATA64
	movq	handoff_entry(%rip), %rax
	movq	handoff_bp(%rip), %rdi
	movl	%ebp, %esi
	shlq	$32, %rsi
	movl	%ebx, %ebx
	orq	%rbx, %rsi
	jmp	*%rax

	BOOT_GDT gdt, gdtr, A32(gdt)
msg:
	.asciz	"husk loader: no valid hand-off block, stopping\r\n"
msg_nx:
	.asciz	"husk loader: this CPU has no NX (execute-disable); husk needs it, stopping\r\n"

	.org	HUSK_LOADER_HANDOFF_OFFSET
handoff:				/* filled in by the IGVM builder */
	.quad	0
	.quad	0
handoff_entry:
	.quad	0
handoff_bp:
	.quad	0

	.org	0xff0
	.code16				/* the CPU is in real mode here */
reset_vector:
	jmp	reset_page		/* 16-bit near jump (e9 0d f0), CS base 0xffff0000 */
	.org	0x1000
