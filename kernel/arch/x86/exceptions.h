/* CPU exceptions and interrupts: the frame entry.S builds, and dispatch. */
#ifndef HUSK_ARCH_X86_EXCEPTIONS_H
#define HUSK_ARCH_X86_EXCEPTIONS_H

#include <stdint.h>

struct exc_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;
};

void exc_dispatch(struct exc_frame *f);
/* Prints a backtrace starting at rip with frame pointer rbp. */
void exc_backtrace(uint64_t rip, uint64_t rbp);

#endif
