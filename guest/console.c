/* Text output on COM2 (one printf at a time, from any vCPU) and the end of
 * the guest: isa-debug-exit at port 0xf4, as husk itself ends its runs. */
#include <stdarg.h>

#include "fmt/fmt.h"
#include "guest.h"

#define DEBUG_EXIT_PORT 0xf4u

static volatile uint32_t console_lock;

static void console_out(void *ctx, const char *s, size_t n)
{
	(void)ctx;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			serial_putc_raw('\r');
		serial_putc_raw((uint8_t)s[i]);
	}
}

/* Bounded, so that a vCPU that died holding the lock cannot silence a
 * failure report. */
static void console_acquire(void)
{
	for (unsigned i = 0; i < 50000000; i++) {
		if (__atomic_exchange_n(&console_lock, 1, __ATOMIC_ACQUIRE) == 0)
			return;
		cpu_relax();
	}
}

static void console_release(void)
{
	__atomic_store_n(&console_lock, 0, __ATOMIC_RELEASE);
}

void gprintf(const char *fmt, ...)
{
	va_list ap;

	console_acquire();
	va_start(ap, fmt);
	fmt_vformat(console_out, NULL, fmt, ap);
	va_end(ap);
	console_release();
}

void guest_exit(uint32_t code)
{
	outl(DEBUG_EXIT_PORT, code);
	/* Still here: no isa-debug-exit device, or the port is not ours. */
	gprintf("guest: exit 0x%x did not stop the VM; spinning\n", code);
	for (;;)
		cpu_relax();
}

void guest_panic(const char *fmt, ...)
{
	va_list ap;

	console_acquire();
	console_out(NULL, "guest: FATAL: ", 14);
	va_start(ap, fmt);
	fmt_vformat(console_out, NULL, fmt, ap);
	va_end(ap);
	console_out(NULL, "\n", 1);
	console_release();
	guest_exit(GUEST_EXIT_FAIL);
}
