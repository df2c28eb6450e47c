/* IGVM reader: validates a whole IGVM file held in memory, then lets the caller
 * walk its headers and fetch the file data they refer to.
 *
 * The file is hostile input (the launcher, `husk-igvm check` and measurement
 * all read files they did not build), so igvm_reader_init() checks everything
 * the format defines before anything is handed out: fixed header, checksum,
 * every TLV's bounds and padding, section order, structure sizes, alignment,
 * compatibility masks, parameter-area bookkeeping and every file-data range.
 * After it succeeds, iteration cannot fail and never reads outside the buffer.
 *
 * Headers are returned as a pointer to their body bytes plus a length; typed
 * access copies the body into the matching igvm_defs.h structure, so no caller
 * ever dereferences an unaligned pointer into the file.
 *
 * The reader allocates nothing and keeps a pointer to the caller's buffer,
 * which must stay valid and unchanged while the reader is in use. */
#ifndef HUSK_IGVM_READER_H
#define HUSK_IGVM_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "igvm/igvm_defs.h"

/* Limits husk imposes where the format has none, so that validation needs
 * no allocation and stays linear in the file size. */
#define IGVM_MAX_PLATFORMS       32u /* one per compatibility-mask bit */
#define IGVM_MAX_PARAMETER_AREAS 64u
#define IGVM_MAX_PARAMETER_AREA_SIZE (256u << 20) /* a loader allocates it whole */

#define IGVM_ERROR_MSG_MAX 200u
#define IGVM_NO_HEADER     0xffffffffu

/* What went wrong, for humans (`husk-igvm check` prints message) and code. */
struct igvm_error {
	int code;              /* enum husk_err; equals the function's return value */
	uint32_t header_index; /* 0-based header the problem is in, or IGVM_NO_HEADER */
	uint32_t offset;       /* file offset of that header's TLV (0 if none) */
	char message[IGVM_ERROR_MSG_MAX]; /* NUL-terminated, one line */
};

enum igvm_section {
	IGVM_SECTION_NONE = 0, /* an optional type outside every section range */
	IGVM_SECTION_PLATFORM = 1,
	IGVM_SECTION_INITIALIZATION = 2,
	IGVM_SECTION_DIRECTIVE = 3,
};

struct igvm_reader {
	const uint8_t *file;
	uint32_t file_size;
	uint32_t format_version;     /* 1 or 2 */
	uint32_t architecture;       /* IGVM_ARCH_*; X64 for version 1 */
	uint32_t header_offset;      /* variable header section */
	uint32_t header_size;
	uint32_t data_offset;        /* file data section: data_offset .. file_size */
	uint32_t header_count;
	uint32_t platform_mask;      /* union of every SUPPORTED_PLATFORM mask */
	uint8_t platform_type[IGVM_MAX_PLATFORMS]; /* by mask bit, where declared */
};

/* One variable header as the iterator yields it. */
struct igvm_header {
	uint32_t index;       /* 0-based position in the variable header section */
	uint32_t offset;      /* file offset of its TLV (type/length) */
	uint32_t raw_type;    /* type as stored, IGVM_VHT_OPTIONAL included */
	uint32_t type;        /* raw_type without IGVM_VHT_OPTIONAL */
	uint32_t length;      /* body bytes (excluding TLV and padding) */
	const uint8_t *body;  /* into the file buffer; any alignment */
	uint8_t section;      /* enum igvm_section */
	bool optional;        /* IGVM_VHT_OPTIONAL was set */
	bool known;           /* husk knows the type; if false it was optional */
};

struct igvm_iter {
	const struct igvm_reader *r;
	uint32_t pos;   /* file offset of the next TLV */
	uint32_t index;
};

/* Validates data[0..size) as a complete IGVM file and sets up *r.  Returns 0,
 * or an enum husk_err code with *err (if not NULL) saying precisely what and
 * where, e.g. "header #7 (PAGE_DATA) at offset 0x1a0: file data 0x3000+4096
 * beyond end of file (size 0x3800)". */
int igvm_reader_init(struct igvm_reader *r, const void *data, size_t size,
		     struct igvm_error *err);

/* Walks the headers in file order (including unknown optional ones, with
 * known == false).  igvm_iter_next returns false after the last header. */
void igvm_iter_init(struct igvm_iter *it, const struct igvm_reader *r);
bool igvm_iter_next(struct igvm_iter *it, struct igvm_header *h);

/* Copies the first size bytes of h's body into out if h->type == type and the
 * body is long enough; HUSK_ERR_INVAL otherwise.  The typed helpers below are
 * this with the matching structure. */
int igvm_header_read(const struct igvm_header *h, uint32_t type, void *out, size_t size);
int igvm_header_supported_platform(const struct igvm_header *h,
				   struct igvm_vhs_supported_platform *out);
int igvm_header_guest_policy(const struct igvm_header *h, struct igvm_vhs_guest_policy *out);
int igvm_header_relocatable_region(const struct igvm_header *h,
				   struct igvm_vhs_relocatable_region *out);
int igvm_header_page_table_relocation(const struct igvm_header *h,
				      struct igvm_vhs_page_table_relocation *out);
int igvm_header_parameter_area(const struct igvm_header *h, struct igvm_vhs_parameter_area *out);
int igvm_header_page_data(const struct igvm_header *h, struct igvm_vhs_page_data *out);
int igvm_header_parameter_insert(const struct igvm_header *h,
				 struct igvm_vhs_parameter_insert *out);
/* Any parameter-usage type (see igvm_type_is_parameter). */
int igvm_header_parameter(const struct igvm_header *h, struct igvm_vhs_parameter *out);
int igvm_header_vp_context(const struct igvm_header *h, struct igvm_vhs_vp_context *out);
int igvm_header_required_memory(const struct igvm_header *h,
				struct igvm_vhs_required_memory *out);
int igvm_header_error_range(const struct igvm_header *h, struct igvm_vhs_error_range *out);
int igvm_header_snp_id_block(const struct igvm_header *h, struct igvm_vhs_snp_id_block *out);
int igvm_header_vbs_measurement(const struct igvm_header *h,
				struct igvm_vhs_vbs_measurement *out);

/* The header's compatibility mask; false for types that have none (parameter
 * areas and parameter usage apply to every platform, unknown types). */
bool igvm_header_compat_mask(const struct igvm_header *h, uint32_t *mask);
/* Whether a loader that chose the platform(s) in mask must process h. */
bool igvm_header_applies(const struct igvm_header *h, uint32_t mask);

/* The file data a PAGE_DATA, VP_CONTEXT or PARAMETER_AREA header loads:
 * *data points into the file, *len is its length (PAGE_DATA: 4 KiB, or 2 MiB
 * with IGVM_PAGE_DATA_FLAG_2MB; PARAMETER_AREA: number_of_bytes; VP_CONTEXT:
 * 4 KiB, or the register list for VSM_ISOLATION).  Zero-filled contents
 * (file_offset 0) give *data = NULL, *len = 0.  HUSK_ERR_INVAL for other types. */
int igvm_reader_file_data(const struct igvm_reader *r, const struct igvm_header *h,
			  const uint8_t **data, size_t *len);
/* Same, for PAGE_DATA only. */
int igvm_reader_page_data(const struct igvm_reader *r, const struct igvm_header *h,
			  const uint8_t **data, size_t *len);

/* The PARAMETER_AREA header declaring area `index` (indices are unique in a
 * valid file), e.g. for the size a PARAMETER_INSERT imports; NOTFOUND if none. */
int igvm_reader_find_parameter_area(const struct igvm_reader *r, uint32_t index,
				    struct igvm_header *h);

/* The compatibility mask bit of the platform of that IGVM_PLATFORM_* type,
 * or 0 if the file does not declare it. */
uint32_t igvm_reader_platform_mask(const struct igvm_reader *r, uint8_t platform_type);
/* Copies that platform's SUPPORTED_PLATFORM header; HUSK_ERR_NOTFOUND if none. */
int igvm_reader_platform(const struct igvm_reader *r, uint8_t platform_type,
			 struct igvm_vhs_supported_platform *out);

/* Names for messages and dumps: "PAGE_DATA", "SEV_SNP", ...; NULL if unknown. */
const char *igvm_header_type_name(uint32_t type);
const char *igvm_platform_type_name(uint8_t platform_type);
/* Section of a type by its number (optional bit ignored). */
enum igvm_section igvm_type_section(uint32_t type);
/* True for the types whose body is an igvm_vhs_parameter. */
bool igvm_type_is_parameter(uint32_t type);

#endif
