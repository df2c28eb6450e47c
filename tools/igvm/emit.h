/* Turns the per-platform layouts of one target into one IGVM file. */
#ifndef HUSK_TOOLS_IGVM_EMIT_H
#define HUSK_TOOLS_IGVM_EMIT_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "igvm/snp_defs.h"
#include "layout.h"

/* Compatibility-mask bits husk assigns: SNP, NATIVE and TDX as COCONUT-SVSM
 * does; svm (IGVM type NATIVE too) its own bit, never in a file with native. */
#define HUSK_IGVM_MASK_SNP    0x1u
#define HUSK_IGVM_MASK_NATIVE 0x2u
#define HUSK_IGVM_MASK_TDX    0x4u
#define HUSK_IGVM_MASK_SVM    0x8u

/* IGVM parameter areas husk declares. */
#define HUSK_IGVM_AREA_VMM    0u /* vCPU count, environment info, command line */
#define HUSK_IGVM_AREA_MEMMAP 1u

struct emit_input {
	const struct target_config *cfg;
	uint32_t n;                                   /* = cfg->nplatforms */
	const struct layout *l[CONFIG_MAX_PLATFORMS]; /* in cfg->platforms order */
	const uint8_t *payload;                       /* NULL if none */
	size_t payload_len;
};

/* IGVM platform type and mask bit of a husk platform. */
int emit_platform(uint32_t husk_platform, uint8_t *igvm_type, uint32_t *mask);

/* The SNP boot CPU's VMSA for layout l: 64-bit mode on the builder's page
 * tables, RIP = kernel entry, RDI = boot-parameter VA, every value already in
 * the form KVM writes back (so the file's VMSA is the one measured). */
void emit_snp_vmsa(const struct layout *l, struct snp_vmsa *v);

/* Builds the file in memory (*file malloc'd), then checks it with the reader
 * and the whole-file rules; prints what went wrong to stderr. */
int emit_igvm(const struct emit_input *in, uint8_t **file, size_t *size);

#endif
