/* The PC pieces the native and svm platforms share; see pc.h. */
#include "arch/x86/cpu.h"
#include "arch/x86/cpufeatures.h"
#include "arch/x86/lapic.h"
#include "arch/x86/uart.h"
#include "husk/err.h"
#include "platform/pc.h"
#include "platform/platform.h"
#include "platform/virtio_blk.h"

#define ISA_DEBUG_EXIT_PORT 0xf4
#define EXIT_PASS 0x10 /* QEMU exits with (0x10 << 1) | 1 = 33 */
#define EXIT_FAIL 0x11 /* 35 */

void pc_console_write(const char *s, size_t n)
{
	static int ready;

	if (!ready) {
		uart_init(UART_COM1);
		ready = 1;
	}
	uart_write(UART_COM1, s, n);
}

int pc_init(void)
{
	/* No firmware ran: mask the legacy PICs so nothing arrives through
	 * them (husk takes no device interrupts). */
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
	return lapic_init();
}

void pc_init_ap(void)
{
	lapic_init_ap();
}

int pc_entropy(void *ctx, uint8_t *buf, size_t len)
{
	const struct cpu_features *f = cpu_features();

	(void)ctx;
	if (!f->rdseed && !f->rdrand)
		return HUSK_ERR_UNSUPPORTED;
	while (len) {
		uint64_t v = 0;
		bool ok = false;

		/* RDSEED gives full entropy; RDRAND (a DRBG output) only if
		 * RDSEED keeps failing. */
		for (int tries = 0; tries < 100 && !ok; tries++)
			ok = f->rdseed ? rdseed64(&v) : rdrand64(&v);
		for (int tries = 0; tries < 100 && !ok && f->rdrand; tries++)
			ok = rdrand64(&v);
		if (!ok)
			return HUSK_ERR_IO;
		for (int i = 0; i < 8 && len; i++, len--) {
			*buf++ = (uint8_t)v;
			v >>= 8;
		}
	}
	return HUSK_OK;
}

HUSK_NORETURN void pc_exit(bool success)
{
	outl(ISA_DEBUG_EXIT_PORT, success ? EXIT_PASS : EXIT_FAIL);
	for (;;) {
		irq_disable();
		cpu_halt();
	}
}

const struct platform_block_ops pc_block_ops = {
	.init = vblk_init,
	.fini = vblk_fini,
	.sectors = vblk_sectors,
	.read = vblk_read,
	.write = vblk_write,
	.flush = vblk_flush,
};
