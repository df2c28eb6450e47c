/* IGVM reader: whole-file validation (fixed header, checksum, TLV framing),
 * then iteration and bounds-checked typed access.  Per-header rules live in
 * igvm_check.c, shared with the writer. */
#include <string.h>

#include "husk/err.h"
#include "crc/crc32.h"
#include "igvm/igvm_check.h"
#include "igvm/igvm_reader.h"

static int check_fixed_header(struct igvm_reader *r, const uint8_t *file, size_t size,
			      struct igvm_error *err)
{
	struct igvm_fixed_header_v2 fh; /* v1 fields are a prefix of v2 */
	uint32_t fixed_size = sizeof(struct igvm_fixed_header);
	uint64_t end;

	if (size < fixed_size)
		return igvm_fail(err, NULL, HUSK_ERR_FORMAT,
				 "file of %zu bytes is too small for the %u-byte fixed header", size,
				 fixed_size);
	memset(&fh, 0, sizeof(fh));
	memcpy(&fh, file, fixed_size);
	if (fh.magic != IGVM_MAGIC)
		return igvm_fail(err, NULL, HUSK_ERR_FORMAT,
				 "bad magic 0x%08x (expected 0x%08x, \"IGVM\")", fh.magic, IGVM_MAGIC);
	if (fh.format_version != IGVM_FORMAT_VERSION_1 &&
	    fh.format_version != IGVM_FORMAT_VERSION_2)
		return igvm_fail(err, NULL, HUSK_ERR_UNSUPPORTED,
				 "unsupported format version %u (husk reads 1 and 2)",
				 fh.format_version);
	r->architecture = IGVM_ARCH_X64;
	if (fh.format_version == IGVM_FORMAT_VERSION_2) {
		fixed_size = sizeof(struct igvm_fixed_header_v2);
		if (size < fixed_size)
			return igvm_fail(err, NULL, HUSK_ERR_FORMAT,
					 "file of %zu bytes is too small for the %u-byte "
					 "version 2 fixed header", size, fixed_size);
		memcpy(&fh, file, fixed_size);
		if (fh.architecture != IGVM_ARCH_X64 && fh.architecture != IGVM_ARCH_AARCH64)
			return igvm_fail(err, NULL, HUSK_ERR_UNSUPPORTED,
					 "unknown architecture %u", fh.architecture);
		if (fh.page_size != IGVM_PAGE_SIZE_4K)
			return igvm_fail(err, NULL, HUSK_ERR_UNSUPPORTED,
					 "page size 0x%x (only 0x1000 is defined)", fh.page_size);
		r->architecture = fh.architecture;
	}
	if (size > UINT32_MAX || fh.total_file_size != size)
		return igvm_fail(err, NULL, HUSK_ERR_FORMAT,
				 "total_file_size 0x%x does not match the file size 0x%zx "
				 "(truncated or padded?)", fh.total_file_size, size);
	if (fh.variable_header_offset < fixed_size)
		return igvm_fail(err, NULL, HUSK_ERR_FORMAT,
				 "variable header offset 0x%x is inside the %u-byte fixed header",
				 fh.variable_header_offset, fixed_size);
	if (!HUSK_IS_ALIGNED(fh.variable_header_offset, IGVM_HEADER_ALIGN) ||
	    !HUSK_IS_ALIGNED(fh.variable_header_size, IGVM_HEADER_ALIGN))
		return igvm_fail(err, NULL, HUSK_ERR_ALIGN,
				 "variable header section 0x%x+0x%x is not 8-byte aligned",
				 fh.variable_header_offset, fh.variable_header_size);
	end = (uint64_t)fh.variable_header_offset + fh.variable_header_size;
	if (end > size)
		return igvm_fail(err, NULL, HUSK_ERR_RANGE,
				 "variable header section 0x%x+0x%x beyond end of file (size 0x%zx)",
				 fh.variable_header_offset, fh.variable_header_size, size);

	/* The checksum covers the fixed header (checksum field as 0) followed
	 * directly by the variable headers; any gap between them and the file
	 * data are not covered. */
	{
		uint32_t crc, stored = fh.checksum;

		fh.checksum = 0;
		crc = husk_crc32_update(0, &fh, fixed_size);
		crc = husk_crc32_update(crc, file + fh.variable_header_offset,
					fh.variable_header_size);
		if (crc != stored)
			return igvm_fail(err, NULL, HUSK_ERR_FORMAT,
					 "bad checksum 0x%08x (computed 0x%08x)", stored, crc);
	}

	r->file = file;
	r->file_size = (uint32_t)size;
	r->format_version = fh.format_version;
	r->header_offset = fh.variable_header_offset;
	r->header_size = fh.variable_header_size;
	r->data_offset = (uint32_t)end;
	return HUSK_OK;
}

/* Frames the TLV at pos (which lies before end).  On success *h describes it
 * and *next is the offset of the following TLV. */
static int frame_header(const struct igvm_reader *r, uint32_t pos, uint32_t end,
			uint32_t index, struct igvm_header *h, uint32_t *next,
			struct igvm_error *err)
{
	struct igvm_vhs_header tlv;
	uint32_t room, padded;

	memset(h, 0, sizeof(*h));
	h->index = index;
	h->offset = pos;
	room = end - pos;
	if (room < sizeof(tlv))
		return igvm_fail(err, h, HUSK_ERR_FORMAT,
				 "only %u bytes left in the section for an 8-byte TLV", room);
	memcpy(&tlv, r->file + pos, sizeof(tlv));
	igvm_classify(h, tlv.type);
	room -= sizeof(tlv);
	if (tlv.length > room)
		return igvm_fail(err, h, HUSK_ERR_FORMAT,
				 "TLV overruns the variable header section: body of %u bytes, "
				 "only %u left", tlv.length, room);
	h->length = tlv.length;
	h->body = r->file + pos + sizeof(tlv);
	/* room is a multiple of 8 (section and TLVs are 8-aligned), so the
	 * padded body fits whenever the body does. */
	padded = HUSK_ALIGN_UP(tlv.length, IGVM_HEADER_ALIGN);
	for (uint32_t i = tlv.length; i < padded; i++)
		if (h->body[i] != 0)
			return igvm_fail(err, h, HUSK_ERR_FORMAT,
					 "padding byte at offset 0x%x is not zero",
					 pos + (uint32_t)sizeof(tlv) + i);
	*next = pos + (uint32_t)sizeof(tlv) + padded;
	return HUSK_OK;
}

int igvm_reader_init(struct igvm_reader *r, const void *data, size_t size,
		     struct igvm_error *err)
{
	struct igvm_validator v;
	struct igvm_header h;
	uint32_t pos, end, index = 0;
	int rc;

	if (err) {
		memset(err, 0, sizeof(*err));
		err->header_index = IGVM_NO_HEADER;
	}
	memset(r, 0, sizeof(*r));
	if (!data && size != 0)
		return igvm_fail(err, NULL, HUSK_ERR_INVAL, "no file buffer");
	rc = check_fixed_header(r, data, size, err);
	if (rc)
		goto fail;

	igvm_validator_init(&v, r->format_version, r->architecture, r->file, r->file_size,
			    r->data_offset);
	pos = r->header_offset;
	end = r->data_offset;
	while (pos < end) {
		uint32_t next;

		rc = frame_header(r, pos, end, index, &h, &next, err);
		if (rc)
			goto fail;
		rc = igvm_validate_header(&v, &h, err);
		if (rc)
			goto fail;
		pos = next;
		index++;
	}
	rc = igvm_validate_finish(&v, err);
	if (rc)
		goto fail;

	r->header_count = index;
	r->platform_mask = v.platform_mask;
	memcpy(r->platform_type, v.platform_type, sizeof(r->platform_type));
	return HUSK_OK;

fail:
	/* Leave nothing that looks usable behind. */
	memset(r, 0, sizeof(*r));
	return rc;
}

void igvm_iter_init(struct igvm_iter *it, const struct igvm_reader *r)
{
	it->r = r;
	it->pos = r->header_offset;
	it->index = 0;
}

bool igvm_iter_next(struct igvm_iter *it, struct igvm_header *h)
{
	const struct igvm_reader *r = it->r;
	uint32_t next;

	/* The file was validated, so framing cannot fail; check anyway rather
	 * than trust a reader struct the caller may have modified. */
	if (!r->file || it->pos >= r->data_offset)
		return false;
	if (frame_header(r, it->pos, r->data_offset, it->index, h, &next, NULL))
		return false;
	it->pos = next;
	it->index++;
	return true;
}

int igvm_header_read(const struct igvm_header *h, uint32_t type, void *out, size_t size)
{
	if (h->type != type || h->length < size)
		return HUSK_ERR_INVAL;
	memcpy(out, h->body, size);
	return HUSK_OK;
}

int igvm_header_supported_platform(const struct igvm_header *h,
				   struct igvm_vhs_supported_platform *out)
{
	return igvm_header_read(h, IGVM_VHT_SUPPORTED_PLATFORM, out, sizeof(*out));
}

int igvm_header_guest_policy(const struct igvm_header *h, struct igvm_vhs_guest_policy *out)
{
	return igvm_header_read(h, IGVM_VHT_GUEST_POLICY, out, sizeof(*out));
}

int igvm_header_relocatable_region(const struct igvm_header *h,
				   struct igvm_vhs_relocatable_region *out)
{
	return igvm_header_read(h, IGVM_VHT_RELOCATABLE_REGION, out, sizeof(*out));
}

int igvm_header_page_table_relocation(const struct igvm_header *h,
				      struct igvm_vhs_page_table_relocation *out)
{
	return igvm_header_read(h, IGVM_VHT_PAGE_TABLE_RELOCATION_REGION, out, sizeof(*out));
}

int igvm_header_parameter_area(const struct igvm_header *h, struct igvm_vhs_parameter_area *out)
{
	return igvm_header_read(h, IGVM_VHT_PARAMETER_AREA, out, sizeof(*out));
}

int igvm_header_page_data(const struct igvm_header *h, struct igvm_vhs_page_data *out)
{
	return igvm_header_read(h, IGVM_VHT_PAGE_DATA, out, sizeof(*out));
}

int igvm_header_parameter_insert(const struct igvm_header *h,
				 struct igvm_vhs_parameter_insert *out)
{
	return igvm_header_read(h, IGVM_VHT_PARAMETER_INSERT, out, sizeof(*out));
}

int igvm_header_parameter(const struct igvm_header *h, struct igvm_vhs_parameter *out)
{
	if (!igvm_type_is_parameter(h->type))
		return HUSK_ERR_INVAL;
	return igvm_header_read(h, h->type, out, sizeof(*out));
}

int igvm_header_vp_context(const struct igvm_header *h, struct igvm_vhs_vp_context *out)
{
	return igvm_header_read(h, IGVM_VHT_VP_CONTEXT, out, sizeof(*out));
}

int igvm_header_required_memory(const struct igvm_header *h,
				struct igvm_vhs_required_memory *out)
{
	return igvm_header_read(h, IGVM_VHT_REQUIRED_MEMORY, out, sizeof(*out));
}

int igvm_header_error_range(const struct igvm_header *h, struct igvm_vhs_error_range *out)
{
	return igvm_header_read(h, IGVM_VHT_ERROR_RANGE, out, sizeof(*out));
}

int igvm_header_snp_id_block(const struct igvm_header *h, struct igvm_vhs_snp_id_block *out)
{
	return igvm_header_read(h, IGVM_VHT_SNP_ID_BLOCK, out, sizeof(*out));
}

int igvm_header_vbs_measurement(const struct igvm_header *h,
				struct igvm_vhs_vbs_measurement *out)
{
	return igvm_header_read(h, IGVM_VHT_VBS_MEASUREMENT, out, sizeof(*out));
}

/* Hands out [off, off+len) if it lies in the file data section. */
static int file_slice(const struct igvm_reader *r, uint32_t off, uint64_t len,
		      const uint8_t **data, size_t *out_len)
{
	if (off < r->data_offset || (uint64_t)off + len > r->file_size)
		return HUSK_ERR_RANGE;
	*data = r->file + off;
	*out_len = (size_t)len;
	return HUSK_OK;
}

int igvm_reader_file_data(const struct igvm_reader *r, const struct igvm_header *h,
			  const uint8_t **data, size_t *len)
{
	*data = NULL;
	*len = 0;
	switch (h->type) {
	case IGVM_VHT_PAGE_DATA: {
		struct igvm_vhs_page_data pd;

		if (igvm_header_page_data(h, &pd))
			return HUSK_ERR_INVAL;
		if (pd.file_offset == 0)
			return HUSK_OK;
		return file_slice(r, pd.file_offset,
				  (pd.flags & IGVM_PAGE_DATA_FLAG_2MB) ? IGVM_PAGE_SIZE_2M
								       : IGVM_PAGE_SIZE_4K,
				  data, len);
	}
	case IGVM_VHT_PARAMETER_AREA: {
		struct igvm_vhs_parameter_area pa;

		if (igvm_header_parameter_area(h, &pa))
			return HUSK_ERR_INVAL;
		if (pa.file_offset == 0)
			return HUSK_OK;
		return file_slice(r, pa.file_offset, pa.number_of_bytes, data, len);
	}
	case IGVM_VHT_VP_CONTEXT: {
		struct igvm_vhs_vp_context vp;
		const uint8_t *p;
		size_t n;
		int rc;

		if (igvm_header_vp_context(h, &vp) ||
		    !igvm_single_bit(vp.compatibility_mask) ||
		    !(vp.compatibility_mask & r->platform_mask))
			return HUSK_ERR_INVAL;
		if (r->platform_type[__builtin_ctz(vp.compatibility_mask)] !=
		    IGVM_PLATFORM_VSM_ISOLATION)
			return file_slice(r, vp.file_offset, IGVM_PAGE_SIZE_4K, data, len);
		rc = file_slice(r, vp.file_offset, 4, &p, &n);
		if (rc)
			return rc;
		return file_slice(r, vp.file_offset,
				  4 + (uint64_t)igvm_get_u32(p) *
					      sizeof(struct igvm_vbs_vp_context_register),
				  data, len);
	}
	default:
		return HUSK_ERR_INVAL;
	}
}

int igvm_reader_page_data(const struct igvm_reader *r, const struct igvm_header *h,
			  const uint8_t **data, size_t *len)
{
	if (h->type != IGVM_VHT_PAGE_DATA) {
		*data = NULL;
		*len = 0;
		return HUSK_ERR_INVAL;
	}
	return igvm_reader_file_data(r, h, data, len);
}

uint32_t igvm_reader_platform_mask(const struct igvm_reader *r, uint8_t platform_type)
{
	for (uint32_t bit = 0; bit < IGVM_MAX_PLATFORMS; bit++)
		if ((r->platform_mask & (1u << bit)) && r->platform_type[bit] == platform_type)
			return 1u << bit;
	return 0;
}

int igvm_reader_platform(const struct igvm_reader *r, uint8_t platform_type,
			 struct igvm_vhs_supported_platform *out)
{
	struct igvm_iter it;
	struct igvm_header h;

	igvm_iter_init(&it, r);
	while (igvm_iter_next(&it, &h)) {
		if (h.section > IGVM_SECTION_PLATFORM)
			break;
		if (igvm_header_supported_platform(&h, out) == HUSK_OK &&
		    out->platform_type == platform_type)
			return HUSK_OK;
	}
	return HUSK_ERR_NOTFOUND;
}

int igvm_reader_find_parameter_area(const struct igvm_reader *r, uint32_t index,
				    struct igvm_header *h)
{
	struct igvm_vhs_parameter_area pa;
	struct igvm_iter it;

	igvm_iter_init(&it, r);
	while (igvm_iter_next(&it, h))
		if (igvm_header_parameter_area(h, &pa) == HUSK_OK &&
		    pa.parameter_area_index == index)
			return HUSK_OK;
	return HUSK_ERR_NOTFOUND;
}
