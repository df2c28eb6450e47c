/* Panic path.  The first CPU to panic owns the report; the others are
 * stopped with an NMI and park.  The platform then ends the run with a
 * failure code (on QEMU: isa-debug-exit). */
#include <stdarg.h>

#include "arch/x86/cpu.h"
#include "arch/x86/exceptions.h"
#include "arch/x86/lapic.h"
#include "core/console.h"
#include "core/panic.h"
#include "core/percpu.h"
#include "fmt/fmt.h"
#include "platform/platform.h"

static volatile int panic_owner = -1;
static int panic_nesting;

bool panic_in_progress(void)
{
	return panic_owner >= 0;
}

HUSK_NORETURN void panic_park_cpu(void)
{
	for (;;) {
		irq_disable();
		cpu_halt();
	}
}

/* NMI to every other CPU that is online; they park in the NMI handler.
 * Only CPUs husk brought up are addressed: a CPU in any other state (parked
 * without an IDT, waiting for SIPI) is left alone. */
static void stop_other_cpus(int me)
{
	for (unsigned i = 0; i < HUSK_MAX_CPUS; i++) {
		struct percpu *p = percpu_get(i);

		if (p && p->online && (int)i != me)
			lapic_send_nmi(p->apic_id);
	}
}

void panic_begin(void)
{
	int me = (int)percpu_index();
	int expected = -1;

	irq_disable();
	if (!__atomic_compare_exchange_n(&panic_owner, &expected, me, 0, __ATOMIC_SEQ_CST,
					 __ATOMIC_SEQ_CST)) {
		if (expected != me)
			panic_park_cpu(); /* another CPU is reporting */
		/* The report itself faulted.  Allow one nested report (it
		 * says where); a second means the reporting code is broken:
		 * end the run before the stack runs out. */
		if (++panic_nesting > 1)
			platform_exit(false);
		return;
	}
	console_enter_panic();
	stop_other_cpus(me);
}

HUSK_NORETURN void panic_end(const char *why)
{
	kprintf("husk: panic (%s) on CPU %u; stopping with failure\n", why, percpu_index());
	platform_exit(false);
}

HUSK_NORETURN void panic(const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	panic_begin();
	va_start(ap, fmt);
	fmt_vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	kprintf("\nPANIC on CPU %u: %s\n", percpu_index(), msg);
	exc_backtrace((uint64_t)&panic, read_rbp());
	panic_end("panic");
}
