/* Intel TDX MRTD of an IGVM file's TDX platform: the SHA-384 the TDX module
 * keeps over TDH.MEM.PAGE.ADD and TDH.MR.EXTEND while the VMM builds the TD,
 * finalized by TDH.MR.FINALIZE.
 *
 * Model (the igvm crate's mapping of IGVM directives): in file order, each
 * applicable PAGE_DATA 4 KiB page is added (a 128-byte "MEM.PAGE.ADD" record
 * with its GPA) and, unless UNMEASURED, extended in 16 chunks of 256 bytes
 * (a 128-byte "MR.EXTEND" record with the chunk's GPA, then the chunk);
 * SHARED pages are skipped; every page of an inserted parameter area is
 * added but not extended.  TDX has no VP_CONTEXT: the vCPUs start in the
 * architectural reset state, so nothing else enters MRTD.  This has been
 * checked against no TDX host (there is none here). */
#ifndef HUSK_IGVM_TDX_H
#define HUSK_IGVM_TDX_H

#include <stdint.h>

#include "igvm/igvm_reader.h"

#define TDX_MRTD_SIZE 48u

/* The 128-byte records hashed into MRTD. */
#define TDX_MR_RECORD_SIZE  128u
#define TDX_MR_EXTEND_CHUNK 256u

struct igvm_tdx_result {
	uint8_t mrtd[TDX_MRTD_SIZE];
	uint32_t platform_mask;
	uint32_t pages_added;
	uint32_t pages_extended;
	uint32_t pages_shared_skipped;
};

/* Measures the file's TDX platform; HUSK_ERR_NOTFOUND if it has none. */
int igvm_tdx_measure(const struct igvm_reader *r, struct igvm_tdx_result *res,
		     struct igvm_error *err);

/* The record for one TDH.MEM.PAGE.ADD (tag "MEM.PAGE.ADD") or one
 * TDH.MR.EXTEND (tag "MR.EXTEND"): tag zero-padded to 16 bytes, GPA at 16,
 * zeros to 128 bytes. */
void igvm_tdx_record(uint8_t out[TDX_MR_RECORD_SIZE], const char *tag, uint64_t gpa);

#endif
