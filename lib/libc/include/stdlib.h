/* Freestanding <stdlib.h>: only what husk's kernel and mbedTLS need.
 * Allocation goes through the kernel heap (kernel/mm), never through here. */
#ifndef HUSK_LIBC_STDLIB_H
#define HUSK_LIBC_STDLIB_H
#include <stddef.h>
#endif
