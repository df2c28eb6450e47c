/* IGVM writer: builds an IGVM file in memory, header by header, in the order
 * the caller adds them, and lays it out as the format wants (fixed header at
 * 0, 8-aligned TLVs from its end, then the file data).
 *
 * Output is a pure function of the calls made: no timestamps, no
 * uninitialised bytes, padding always zero, identical 4 KiB blobs stored once
 * (the later header reuses the earlier offset).  Each header is checked by the
 * same validator the reader uses before it is appended, so the writer refuses
 * anything the reader would reject (sections out of order, masks naming
 * undeclared platforms, unaligned GPAs, parameter misuse, ...), and a failed
 * call leaves the writer exactly as it was.
 *
 * Memory comes from the caller's allocator, so the writer also builds
 * freestanding; nothing is allocated except through it. */
#ifndef HUSK_IGVM_WRITER_H
#define HUSK_IGVM_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "igvm/igvm_defs.h"
#include "igvm/igvm_reader.h"

struct igvm_allocator {
	/* realloc with sizes: resizes ptr (old_size bytes; NULL and 0 for a new
	 * block) to new_size bytes keeping the common prefix, and returns it, or
	 * NULL on failure with ptr still valid.  new_size == 0 frees ptr. */
	void *(*resize)(void *ctx, void *ptr, size_t old_size, size_t new_size);
	void *ctx;
};

#ifdef HUSK_HOSTED
/* resize on top of the C library's realloc/free (host tools and tests). */
extern const struct igvm_allocator igvm_libc_allocator;
#endif

struct igvm_writer; /* opaque */

/* format_version: IGVM_FORMAT_VERSION_1 (24-byte fixed header) or
 * IGVM_FORMAT_VERSION_2 (32 bytes; architecture x64, 4 KiB pages).  *alloc is
 * copied. */
int igvm_writer_create(struct igvm_writer **out, const struct igvm_allocator *alloc,
		       uint32_t format_version);
/* Frees the writer and the buffer igvm_writer_finish returned.  NULL is fine. */
void igvm_writer_destroy(struct igvm_writer *w);

/* Why the last call failed ("" if it did not), with the same "header #N
 * (TYPE) at offset 0x..: " prefix the reader uses. */
const char *igvm_writer_error(const struct igvm_writer *w);

/* ---- platform section ---- */
/* p->platform_version 0 is taken as IGVM_PLATFORM_VERSION. */
int igvm_writer_add_platform(struct igvm_writer *w, const struct igvm_vhs_supported_platform *p);

/* ---- initialization section ---- */
int igvm_writer_add_guest_policy(struct igvm_writer *w, uint64_t policy, uint32_t compat_mask);

/* ---- directive section ---- */

/* One page at gpa.  data == NULL (len 0) loads a page of zeros (file_offset
 * 0); otherwise 1..4096 bytes, zero-padded to 4 KiB.  IGVM_PAGE_DATA_FLAG_2MB
 * is accepted only for zero pages (nothing agrees on 2 MiB file data). */
int igvm_writer_add_page(struct igvm_writer *w, uint64_t gpa, uint32_t compat_mask,
			 uint32_t flags, uint16_t data_type, const void *data, size_t len);

/* Declares parameter area `index` of number_of_bytes (4 KiB multiple);
 * initial data (len <= number_of_bytes, zero-padded) or NULL for zeros. */
int igvm_writer_add_parameter_area(struct igvm_writer *w, uint32_t index,
				   uint64_t number_of_bytes, const void *initial, size_t len);
/* A parameter the loader writes at byte_offset of area `index`: type is one of
 * IGVM_VHT_VP_COUNT_PARAMETER, _MEMORY_MAP, _COMMAND_LINE,
 * _ENVIRONMENT_INFO_PARAMETER, _MADT, _SRAT, _MMIO_RANGES, _SLIT, _PPTT,
 * _DEVICE_TREE. */
int igvm_writer_add_parameter(struct igvm_writer *w, uint32_t type, uint32_t index,
			      uint32_t byte_offset);
int igvm_writer_add_parameter_insert(struct igvm_writer *w, uint64_t gpa, uint32_t compat_mask,
				     uint32_t index);
int igvm_writer_add_required_memory(struct igvm_writer *w, uint64_t gpa, uint32_t compat_mask,
				    uint32_t number_of_bytes, uint32_t flags);
/* compat_mask names one platform.  For VSM_ISOLATION data is the register
 * list (u32 count + 32-byte records, stored as is); for every other platform
 * 1..4096 bytes (SNP: the VMSA), zero-padded to 4 KiB. */
int igvm_writer_add_vp_context(struct igvm_writer *w, uint64_t gpa, uint32_t compat_mask,
			       uint16_t vp_index, const void *data, size_t len);
int igvm_writer_add_error_range(struct igvm_writer *w, uint64_t gpa, uint32_t compat_mask,
				uint32_t size_bytes);
int igvm_writer_add_snp_id_block(struct igvm_writer *w, const struct igvm_vhs_snp_id_block *b);

/* Any header without file data, body copied as given (RELOCATABLE_REGION,
 * VBS_MEASUREMENT, optional types husk does not know, ...).  PAGE_DATA,
 * VP_CONTEXT, PARAMETER_AREA and CORIM_* are refused: use the calls above. */
int igvm_writer_add_header(struct igvm_writer *w, uint32_t type, const void *body,
			   uint32_t len);

/* Copies header h of a validated file, with its file data (used to rewrite a
 * file, e.g. to append an SNP_ID_BLOCK).  HUSK_ERR_UNSUPPORTED for what the
 * writer cannot express (2 MiB pages with data, CORIM documents). */
int igvm_writer_add_from_reader(struct igvm_writer *w, const struct igvm_reader *r,
				const struct igvm_header *h);

/* Lays out the file.  *file stays owned by the writer, valid until
 * igvm_writer_destroy; calling finish again returns the same bytes.  No
 * header can be added afterwards. */
int igvm_writer_finish(struct igvm_writer *w, const uint8_t **file, size_t *size);

#endif
