/* What the native and svm platforms share: an ordinary PC as QEMU models
 * it.  Console on COM1, entropy from RDSEED/RDRAND, and the end of a run
 * reported through QEMU's isa-debug-exit device (port 0xf4), which husk's
 * launcher always adds. */
#ifndef HUSK_PLATFORM_PC_H
#define HUSK_PLATFORM_PC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "husk/compiler.h"

void pc_console_write(const char *s, size_t n);
/* Legacy PICs masked, local APIC set up (BSP). */
int pc_init(void);
void pc_init_ap(void);
int pc_entropy(void *ctx, uint8_t *buf, size_t len);
HUSK_NORETURN void pc_exit(bool success);

#endif
