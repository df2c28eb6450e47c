/* What the native and svm platforms share: an ordinary PC as QEMU models
 * it.  Console on COM1, entropy from RDSEED/RDRAND, the end of a run
 * reported through QEMU's isa-debug-exit device (port 0xf4), which husk's
 * launcher always adds, and husk's state disk (virtio_blk.h). */
#ifndef HUSK_PLATFORM_PC_H
#define HUSK_PLATFORM_PC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "husk/compiler.h"

/* 16- and 32-bit port reads (arch/x86/cpu.h has the byte read and the
 * writes), for the PCI configuration ports and I/O BARs. */
static inline uint16_t pc_inw(uint16_t port)
{
	uint16_t v;

	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint32_t pc_inl(uint16_t port)
{
	uint32_t v;

	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

void pc_console_write(const char *s, size_t n);
/* Legacy PICs masked, local APIC set up (BSP). */
int pc_init(void);
void pc_init_ap(void);
int pc_entropy(void *ctx, uint8_t *buf, size_t len);
HUSK_NORETURN void pc_exit(bool success);

struct platform_block_ops;
/* husk's state disk: virtio-blk on PCI bus 0 (virtio_blk.h). */
extern const struct platform_block_ops pc_block_ops;

#endif
