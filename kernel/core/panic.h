/* Panic: stop every CPU, say why, and end the run with a failure exit. */
#ifndef HUSK_CORE_PANIC_H
#define HUSK_CORE_PANIC_H

#include <stdbool.h>
#include "husk/compiler.h"

HUSK_NORETURN void panic(const char *fmt, ...) HUSK_PRINTF(1, 2);
/* For handlers that print their own report between begin and end. */
void panic_begin(void);
HUSK_NORETURN void panic_end(const char *why);
bool panic_in_progress(void);
HUSK_NORETURN void panic_park_cpu(void);

/* Invariant checks for husk's own state (never for guest or host input). */
#define CHECK(cond)                                                              \
	do {                                                                     \
		if (HUSK_UNLIKELY(!(cond)))                                      \
			panic("CHECK failed: %s at %s:%d", #cond, __FILE__, __LINE__); \
	} while (0)

#endif
