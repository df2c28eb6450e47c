/* Private to lib/igvm: the per-header validation shared by the reader and the
 * writer.  Sharing one validator is what guarantees that every file the
 * writer produces is accepted by the reader, and that the writer refuses
 * (with the same message) whatever the reader would reject. */
#ifndef HUSK_IGVM_CHECK_H
#define HUSK_IGVM_CHECK_H

#include <stdbool.h>
#include <stdint.h>

#include "husk/compiler.h"
#include "igvm/igvm_reader.h"

/* In writer mode a body's file_offset holds this until the file data section
 * is laid out; it means "has file data" and is never range-checked. */
#define IGVM_FILE_OFFSET_PENDING 0xffffffffu

enum igvm_area_state {
	IGVM_AREA_DECLARED = 1,
	IGVM_AREA_INSERTED = 2,
};

struct igvm_area {
	uint32_t index;
	uint32_t state; /* enum igvm_area_state */
	uint64_t size;
};

struct igvm_validator {
	uint32_t format_version;
	uint32_t architecture;
	uint32_t section;        /* enum igvm_section reached so far */
	uint32_t platform_mask;  /* declared compatibility bits */
	uint32_t platform_types; /* bit n: IGVM_PLATFORM type n declared */
	uint32_t page_table_reloc_mask;
	uint8_t platform_type[IGVM_MAX_PLATFORMS];
	uint32_t nareas;
	struct igvm_area areas[IGVM_MAX_PARAMETER_AREAS];
	/* Reader mode: the whole file, to range-check file data.  Writer mode:
	 * file == NULL and file offsets are IGVM_FILE_OFFSET_PENDING or 0. */
	const uint8_t *file;
	uint32_t file_size;
	uint32_t data_offset;
};

void igvm_validator_init(struct igvm_validator *v, uint32_t format_version,
			 uint32_t architecture, const uint8_t *file, uint32_t file_size,
			 uint32_t data_offset);

/* Checks the next header in file order: section order, body size, masks and
 * the type's own rules.  h->type/optional/known/section must be filled (see
 * igvm_classify).  Changes *v only on success. */
int igvm_validate_header(struct igvm_validator *v, const struct igvm_header *h,
			 struct igvm_error *err);

/* Checks what only the whole file can show (a platform was declared). */
int igvm_validate_finish(const struct igvm_validator *v, struct igvm_error *err);

/* Fills type, optional, known and section of h from raw_type. */
void igvm_classify(struct igvm_header *h, uint32_t raw_type);

/* Minimum body size of a known type (0 if unknown). */
uint32_t igvm_type_min_size(uint32_t type);

/* The platform type of a single-bit mask the validator has seen declared. */
uint8_t igvm_validator_platform_of(const struct igvm_validator *v, uint32_t mask);

/* Records an error: code and message (printf-style) in *err if err != NULL.
 * With h != NULL the message is prefixed "header #N (NAME) at offset 0x..: ".
 * Returns code. */
int igvm_fail(struct igvm_error *err, const struct igvm_header *h, int code, const char *fmt,
	      ...) HUSK_PRINTF(4, 5);

/* Exactly one bit set (no __builtin_popcount: the kernel has no libgcc). */
static inline bool igvm_single_bit(uint32_t x)
{
	return x != 0 && (x & (x - 1)) == 0;
}

/* Little-endian loads from unaligned bytes (memcpy; husk is x86-64 only). */
uint32_t igvm_get_u32(const uint8_t *p);

#endif
