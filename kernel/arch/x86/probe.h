/* Fault-tolerant probes of kernel addresses (tests); see probe.S. */
#ifndef HUSK_ARCH_X86_PROBE_H
#define HUSK_ARCH_X86_PROBE_H

#include <stdint.h>

int probe_read8(const void *addr, uint8_t *out);
int probe_write8(void *addr, uint8_t v);

#endif
