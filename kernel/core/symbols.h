/* Kernel symbol table for backtraces.  Generated at link time from the
 * kernel's own ELF (scripts/gensyms.py) and linked into section .ksyms. */
#ifndef HUSK_CORE_SYMBOLS_H
#define HUSK_CORE_SYMBOLS_H

#include <stdint.h>

struct ksym {
	uint64_t addr;
	uint32_t size;
	uint32_t name; /* offset into ksyms_names */
};

/* Name of the function containing addr and the offset into it, or NULL. */
const char *ksym_lookup(uint64_t addr, uint64_t *offset);
uint64_t ksym_count(void);

#endif
