/* Whole-file rules of the IGVM format that igvm_reader_init does not check
 * because they need memory proportional to the file (the reader allocates
 * nothing), used by `husk-igvm check`:
 *  - no guest page is loaded twice for one platform (PAGE_DATA, the pages of
 *    a PARAMETER_INSERT, an SNP/SEV-ES VMSA page; VMSAs of different vCPUs
 *    may share a GPA, as KVM requires);
 *  - one VP_CONTEXT per vCPU and platform; at most one GUEST_POLICY and one
 *    SNP_ID_BLOCK per platform, and only for platforms that have them;
 *  - SECRETS and CPUID page data only for SEV-SNP.
 * The reader must have accepted the file first. */
#ifndef HUSK_IGVM_LINT_H
#define HUSK_IGVM_LINT_H

#include "igvm/igvm_reader.h"
#include "igvm/igvm_writer.h"

/* HUSK_OK, or a violation (always the same one for the same file), with *err
 * naming the later of the headers involved: "header #9 (PAGE_DATA) at offset
 * 0x110: GPA 0x1000 of platform SEV_SNP (mask 0x1) is already loaded by
 * header #8 (PAGE_DATA)".  HUSK_ERR_NOMEM if alloc fails. */
int igvm_lint(const struct igvm_reader *r, const struct igvm_allocator *alloc,
	      struct igvm_error *err);

#endif
