/* Turns a region layout into an IGVM file for husk's platforms. */
#ifndef HUSK_TOOLS_IGVM_EMIT_H
#define HUSK_TOOLS_IGVM_EMIT_H

#include <stddef.h>
#include <stdint.h>

#include "layout.h"

/* Compatibility-mask bits husk assigns (the same as COCONUT-SVSM's). */
#define HUSK_IGVM_MASK_SNP    0x1u
#define HUSK_IGVM_MASK_NATIVE 0x2u
#define HUSK_IGVM_MASK_TDX    0x4u

/* IGVM parameter areas husk declares. */
#define HUSK_IGVM_AREA_VMM    0u /* vCPU count, environment info, command line */
#define HUSK_IGVM_AREA_MEMMAP 1u

/* Writes the whole file to path; prints what went wrong to stderr. */
int emit_igvm(const struct layout *l, const char *path, size_t *file_size);

#endif
