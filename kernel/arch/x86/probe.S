/* Fault-tolerant single-byte probes: the exception handler recognises a fault
 * at probe_*_insn and resumes at the matching fixup with RAX = -1.  Used by
 * in-kernel tests to check that a page is not mapped or not writable without
 * taking the kernel down. */
	.text
	.globl	probe_read8, probe_write8
	.globl	probe_read8_insn, probe_read8_fixup
	.globl	probe_write8_insn, probe_write8_fixup

/* int probe_read8(const void *addr, uint8_t *out): 0 or -1 */
probe_read8:
probe_read8_insn:
	movb	(%rdi), %al
	movb	%al, (%rsi)
	xorl	%eax, %eax
	ret
probe_read8_fixup:
	movl	$-1, %eax
	ret

/* int probe_write8(void *addr, uint8_t v): 0 or -1 */
probe_write8:
probe_write8_insn:
	movb	%sil, (%rdi)
	xorl	%eax, %eax
	ret
probe_write8_fixup:
	movl	$-1, %eax
	ret

	.section .note.GNU-stack, "", @progbits
