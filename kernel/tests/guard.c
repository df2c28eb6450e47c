/* Guardrail cases for expected-failure boots: each does something the
 * kernel's protections must stop (write to read-only memory, execute data,
 * overflow a stack into its guard page, dereference NULL).  The test harness
 * boots the test kernel with ktest.guard=<case> and expects a fatal-exception
 * report and a failure exit; if the kernel survives, that is reported too. */
#include <stdint.h>
#include <string.h>

#include "core/console.h"
#include "core/ktest.h"
#include "core/panic.h"
#include "platform/platform.h"

static const uint32_t guard_rodata_word = 0x600dc0de;
static uint8_t guard_data_code[16] = { 0xc3 }; /* ret */

static HUSK_NORETURN void survived(const char *name)
{
	kprintf("GUARDRAIL FAILED: %s was not caught\n", name);
	platform_exit(false);
}

/* Deliberately unbounded recursion with a large frame; test build only. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winfinite-recursion"
static __attribute__((noinline)) uint64_t guard_recurse(volatile uint64_t depth)
{
	volatile uint8_t frame[512];

	frame[0] = (uint8_t)depth;
	frame[511] = (uint8_t)(depth >> 8);
	return guard_recurse(depth + 1) + frame[0] + frame[511];
}
#pragma GCC diagnostic pop

/* Hidden from the optimiser so the NULL access really happens. */
static volatile uint32_t *volatile guard_null = (volatile uint32_t *)8;

void ktest_run_guard(const char *name)
{
	kprintf("guard: attempting %s\n", name);
	if (strcmp(name, "rodata_write") == 0) {
		*(volatile uint32_t *)&guard_rodata_word = 0;
	} else if (strcmp(name, "text_write") == 0) {
		*(volatile uint8_t *)(uintptr_t)&ktest_run_guard = 0xcc;
	} else if (strcmp(name, "nx_exec") == 0) {
		((void (*)(void))(uintptr_t)guard_data_code)();
	} else if (strcmp(name, "stack_overflow") == 0) {
		kprintf("guard: %llu\n", (unsigned long long)guard_recurse(0));
	} else if (strcmp(name, "fault_in_panic") == 0) {
		/* A fault while a panic report is being written must still end
		 * the run with a report, not a triple fault. */
		panic_begin();
		kprintf("guard: %u\n", *guard_null);
	} else if (strcmp(name, "null_deref") == 0) {
		kprintf("guard: %u\n", *guard_null);
	} else {
		kprintf("guard: unknown case '%s'\n", name);
		platform_exit(false);
	}
	survived(name);
}
