/* libFuzzer target: the IGVM reader on arbitrary bytes, as a hostile file
 * would reach the launcher or `husk-igvm check`.  Each input is parsed as
 * given, then again with total_file_size and the checksum made to match (a
 * mutated input almost never has a valid CRC, which would hide everything
 * behind the checksum check from the fuzzer).  A file the reader accepts is
 * then walked completely (typed bodies, file data) and rewritten through the
 * writer, which must accept it (except for what the writer documents it cannot
 * express) and must produce a file the reader accepts and that rewrites to
 * the same bytes again. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "husk/err.h"
#include "crc/crc32.h"
#include "igvm/igvm_reader.h"
#include "igvm/igvm_writer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile uint32_t sink;

/* Every known type with a structure must copy out of a validated file. */
static uint32_t read_typed(const struct igvm_header *h)
{
	union {
		struct igvm_vhs_supported_platform sp;
		struct igvm_vhs_guest_policy gp;
		struct igvm_vhs_relocatable_region rr;
		struct igvm_vhs_page_table_relocation pt;
		struct igvm_vhs_parameter_area pa;
		struct igvm_vhs_page_data pd;
		struct igvm_vhs_parameter_insert pi;
		struct igvm_vhs_parameter p;
		struct igvm_vhs_vp_context vp;
		struct igvm_vhs_required_memory rm;
		struct igvm_vhs_error_range er;
		struct igvm_vhs_snp_id_block id;
		struct igvm_vhs_vbs_measurement vbs;
		uint8_t bytes[1];
	} u;
	int rc;

	switch (h->type) {
	case IGVM_VHT_SUPPORTED_PLATFORM:
		rc = igvm_header_supported_platform(h, &u.sp);
		break;
	case IGVM_VHT_GUEST_POLICY:
		rc = igvm_header_guest_policy(h, &u.gp);
		break;
	case IGVM_VHT_RELOCATABLE_REGION:
		rc = igvm_header_relocatable_region(h, &u.rr);
		break;
	case IGVM_VHT_PAGE_TABLE_RELOCATION_REGION:
		rc = igvm_header_page_table_relocation(h, &u.pt);
		break;
	case IGVM_VHT_PARAMETER_AREA:
		rc = igvm_header_parameter_area(h, &u.pa);
		break;
	case IGVM_VHT_PAGE_DATA:
		rc = igvm_header_page_data(h, &u.pd);
		break;
	case IGVM_VHT_PARAMETER_INSERT:
		rc = igvm_header_parameter_insert(h, &u.pi);
		break;
	case IGVM_VHT_VP_CONTEXT:
		rc = igvm_header_vp_context(h, &u.vp);
		break;
	case IGVM_VHT_REQUIRED_MEMORY:
		rc = igvm_header_required_memory(h, &u.rm);
		break;
	case IGVM_VHT_ERROR_RANGE:
		rc = igvm_header_error_range(h, &u.er);
		break;
	case IGVM_VHT_SNP_ID_BLOCK:
		rc = igvm_header_snp_id_block(h, &u.id);
		break;
	case IGVM_VHT_VBS_MEASUREMENT:
		rc = igvm_header_vbs_measurement(h, &u.vbs);
		break;
	default:
		if (!igvm_type_is_parameter(h->type))
			return 0;
		rc = igvm_header_parameter(h, &u.p);
		break;
	}
	if (rc != HUSK_OK)
		__builtin_trap();
	return u.bytes[0];
}

static void walk(const struct igvm_reader *r)
{
	struct igvm_iter it;
	struct igvm_header h;
	uint32_t n = 0, acc = 0;

	igvm_iter_init(&it, r);
	while (igvm_iter_next(&it, &h)) {
		const uint8_t *d;
		size_t len;
		uint32_t mask;

		if (h.index != n++ || h.body < r->file || h.body + h.length > r->file + r->file_size)
			__builtin_trap();
		acc += read_typed(&h);
		if (igvm_header_compat_mask(&h, &mask) && (mask & ~r->platform_mask))
			__builtin_trap();
		acc += igvm_header_applies(&h, 1);
		if (igvm_reader_file_data(r, &h, &d, &len) == HUSK_OK && d) {
			/* Touch both ends so ASan sees any out-of-bounds slice. */
			acc += d[0] + d[len - 1];
		}
	}
	if (n != r->header_count)
		__builtin_trap();
	sink = acc;
}

/* Rewrites a validated file; returns the writer's result. */
static int rewrite(const struct igvm_reader *r, uint8_t **out, size_t *out_size)
{
	struct igvm_writer *w;
	struct igvm_iter it;
	struct igvm_header h;
	const uint8_t *f;
	int rc;

	*out = NULL;
	rc = igvm_writer_create(&w, &igvm_libc_allocator, r->format_version);
	if (rc)
		return rc;
	igvm_iter_init(&it, r);
	while (!rc && igvm_iter_next(&it, &h))
		rc = igvm_writer_add_from_reader(w, r, &h);
	if (!rc)
		rc = igvm_writer_finish(w, &f, out_size);
	if (!rc) {
		*out = malloc(*out_size);
		if (!*out)
			rc = HUSK_ERR_NOMEM;
		else
			memcpy(*out, f, *out_size);
	}
	igvm_writer_destroy(w);
	return rc;
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
}

/* Makes total_file_size and the checksum right, where the offsets allow. */
static void fix_header(uint8_t *f, size_t size)
{
	uint32_t fixed = 24, off, len, crc;

	if (size < 24 || size > UINT32_MAX)
		return;
	if (get32(f + 4) == IGVM_FORMAT_VERSION_2 && size >= 32)
		fixed = 32;
	put32(f + 16, (uint32_t)size);
	off = get32(f + 8);
	len = get32(f + 12);
	if ((uint64_t)off + len > size)
		return;
	put32(f + 20, 0);
	crc = husk_crc32_update(0, f, fixed);
	crc = husk_crc32_update(crc, f + off, len);
	put32(f + 20, crc);
}

static int parse(struct igvm_reader *r, const uint8_t *data, size_t size)
{
	struct igvm_error err;
	int rc = igvm_reader_init(r, data, size, &err);

	if (rc) {
		if (err.code != rc || strnlen(err.message, sizeof(err.message)) >= sizeof(err.message))
			__builtin_trap();
		return rc;
	}
	walk(r);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct igvm_reader r, r1, r2;
	struct igvm_error err;
	uint8_t *fixed, *copy1, *copy2;
	size_t size1, size2;
	int rc;

	parse(&r, data, size);
	fixed = malloc(size ? size : 1);
	if (!fixed)
		return 0;
	if (size)
		memcpy(fixed, data, size);
	fix_header(fixed, size);
	if (parse(&r, fixed, size)) {
		free(fixed);
		return 0;
	}

	/* The writer speaks x64 only. */
	rc = r.architecture == IGVM_ARCH_X64 ? rewrite(&r, &copy1, &size1) : HUSK_ERR_UNSUPPORTED;
	free(fixed);
	if (rc == HUSK_ERR_UNSUPPORTED || rc == HUSK_ERR_NOMEM)
		return 0;
	if (rc || igvm_reader_init(&r1, copy1, size1, &err) ||
	    r1.header_count != r.header_count || r1.platform_mask != r.platform_mask)
		__builtin_trap();
	walk(&r1);
	rc = rewrite(&r1, &copy2, &size2);
	if (rc == HUSK_OK) {
		if (size2 != size1 || memcmp(copy1, copy2, size1) != 0 ||
		    igvm_reader_init(&r2, copy2, size2, &err))
			__builtin_trap();
		free(copy2);
	} else if (rc != HUSK_ERR_NOMEM) {
		__builtin_trap();
	}
	free(copy1);
	return 0;
}
