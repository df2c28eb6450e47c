/* IGVM writer: accumulates the variable header section and the file data
 * section in two growing buffers, then lays out and checksums the file.
 *
 * File offsets are not known until the header section is complete (file data
 * follows it), so headers first hold offsets relative to the data section and
 * a patch list of where those fields are; igvm_writer_finish() adds the data
 * section's start to each. */
#include <string.h>
#ifdef HUSK_HOSTED
#include <stdlib.h>
#endif

#include "husk/err.h"
#include "crc/crc32.h"
#include "igvm/igvm_check.h"
#include "igvm/igvm_writer.h"

#define DEDUP_EMPTY UINT32_MAX

struct wbuf {
	uint8_t *p;
	size_t len;
	size_t cap;
};

struct dedup_slot {
	uint32_t hash;
	uint32_t rel; /* offset in the data section, DEDUP_EMPTY if unused */
};

struct igvm_writer {
	struct igvm_allocator alloc;
	uint32_t format_version;
	uint32_t fixed_size;
	struct igvm_validator v;
	struct wbuf hdrs;    /* variable header section */
	struct wbuf data;    /* file data section */
	struct wbuf patches; /* u32 positions in hdrs of relative file offsets */
	uint32_t nheaders;
	struct dedup_slot *slots; /* open addressing over 4 KiB blobs in data */
	uint32_t nslots;          /* 0 or a power of two */
	uint32_t nused;
	uint8_t *out;
	size_t out_size;
	bool finished;
	struct igvm_error err;
};

/* File data a header carries: len bytes, zero-padded to size bytes, whose
 * offset goes into the body at off_field. */
struct blob {
	const uint8_t *data;
	size_t len;
	uint64_t size;
	uint32_t off_field;
};

static const uint8_t zeros[256];

#ifdef HUSK_HOSTED
static void *libc_resize(void *ctx, void *ptr, size_t old_size, size_t new_size)
{
	if (new_size == 0) {
		free(ptr);
		return NULL;
	}
	return realloc(ptr, new_size);
}

const struct igvm_allocator igvm_libc_allocator = { libc_resize, NULL };
#endif

static void *mem_resize(struct igvm_writer *w, void *p, size_t old_size, size_t new_size)
{
	return w->alloc.resize(w->alloc.ctx, p, old_size, new_size);
}

static int buf_reserve(struct igvm_writer *w, struct wbuf *b, size_t extra)
{
	size_t need, cap;
	uint8_t *p;

	if (extra > SIZE_MAX - b->len)
		return HUSK_ERR_NOMEM;
	need = b->len + extra;
	if (need <= b->cap)
		return HUSK_OK;
	cap = b->cap ? b->cap : 4096;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	p = mem_resize(w, b->p, b->cap, cap);
	if (!p)
		return HUSK_ERR_NOMEM;
	b->p = p;
	b->cap = cap;
	return HUSK_OK;
}

/* Appends len bytes (NULL = zeros); space must have been reserved. */
static void buf_put(struct wbuf *b, const void *src, size_t len)
{
	if (src)
		memcpy(b->p + b->len, src, len);
	else
		memset(b->p + b->len, 0, len);
	b->len += len;
}

static void buf_free(struct igvm_writer *w, struct wbuf *b)
{
	if (b->p)
		mem_resize(w, b->p, b->cap, 0);
	memset(b, 0, sizeof(*b));
}

static uint32_t blob_hash(const struct blob *b)
{
	uint32_t crc = husk_crc32_update(0, b->data, b->len);

	for (size_t left = IGVM_PAGE_SIZE_4K - b->len; left;) {
		size_t n = HUSK_MIN(left, sizeof(zeros));

		crc = husk_crc32_update(crc, zeros, n);
		left -= n;
	}
	return crc;
}

/* Whether the 4 KiB page at rel equals b's data padded with zeros. */
static bool blob_equals(const struct igvm_writer *w, uint32_t rel, const struct blob *b)
{
	const uint8_t *page = w->data.p + rel;

	if (memcmp(page, b->data, b->len) != 0)
		return false;
	for (size_t i = b->len; i < IGVM_PAGE_SIZE_4K; i++)
		if (page[i])
			return false;
	return true;
}

static bool dedup_find(const struct igvm_writer *w, uint32_t hash, const struct blob *b,
		       uint32_t *rel)
{
	if (w->nslots == 0)
		return false;
	for (uint32_t i = hash & (w->nslots - 1);; i = (i + 1) & (w->nslots - 1)) {
		const struct dedup_slot *s = &w->slots[i];

		if (s->rel == DEDUP_EMPTY)
			return false;
		if (s->hash == hash && blob_equals(w, s->rel, b)) {
			*rel = s->rel;
			return true;
		}
	}
}

static void dedup_insert(struct dedup_slot *slots, uint32_t nslots, uint32_t hash, uint32_t rel)
{
	uint32_t i = hash & (nslots - 1);

	while (slots[i].rel != DEDUP_EMPTY)
		i = (i + 1) & (nslots - 1);
	slots[i] = (struct dedup_slot){ .hash = hash, .rel = rel };
}

/* Makes room for one more entry, keeping the table at most half full. */
static int dedup_reserve(struct igvm_writer *w)
{
	struct dedup_slot *slots;
	uint32_t n;

	if ((uint64_t)(w->nused + 1) * 2 <= w->nslots)
		return HUSK_OK;
	n = w->nslots ? w->nslots * 2 : 256;
	slots = mem_resize(w, NULL, 0, (size_t)n * sizeof(*slots));
	if (!slots)
		return HUSK_ERR_NOMEM;
	for (uint32_t i = 0; i < n; i++)
		slots[i].rel = DEDUP_EMPTY;
	for (uint32_t i = 0; i < w->nslots; i++)
		if (w->slots[i].rel != DEDUP_EMPTY)
			dedup_insert(slots, n, w->slots[i].hash, w->slots[i].rel);
	if (w->slots)
		mem_resize(w, w->slots, (size_t)w->nslots * sizeof(*slots), 0);
	w->slots = slots;
	w->nslots = n;
	return HUSK_OK;
}

/* The header that the next append would create, for messages and checks. */
static void next_header(const struct igvm_writer *w, struct igvm_header *h, uint32_t raw_type,
			const uint8_t *body, uint32_t len)
{
	memset(h, 0, sizeof(*h));
	h->index = w->nheaders;
	h->offset = w->fixed_size + (uint32_t)w->hdrs.len;
	h->length = len;
	h->body = body;
	igvm_classify(h, raw_type);
}

static int begin(struct igvm_writer *w)
{
	memset(&w->err, 0, sizeof(w->err));
	w->err.header_index = IGVM_NO_HEADER;
	if (w->finished)
		return igvm_fail(&w->err, NULL, HUSK_ERR_INVAL,
				 "the file is finished; no header can be added");
	return HUSK_OK;
}

/* Validates and appends one header (body is modified: its file-offset field
 * gets the blob's relative offset).  Nothing changes unless it succeeds. */
static int append(struct igvm_writer *w, uint32_t raw_type, uint8_t *body, uint32_t len,
		  const struct blob *b)
{
	struct igvm_header h;
	uint32_t padded, hash = 0, rel = 0;
	uint64_t new_data = 0, total;
	bool dedup = false, reuse = false;
	int rc;

	if (len > UINT32_MAX - IGVM_HEADER_ALIGN * 2)
		return igvm_fail(&w->err, NULL, HUSK_ERR_RANGE, "header body of %u bytes", len);
	padded = HUSK_ALIGN_UP(len, IGVM_HEADER_ALIGN);
	next_header(w, &h, raw_type, body, len);
	if (b) {
		dedup = b->size == IGVM_PAGE_SIZE_4K;
		if (dedup) {
			hash = blob_hash(b);
			reuse = dedup_find(w, hash, b, &rel);
		}
		if (!reuse)
			new_data = b->size;
	}
	/* total_file_size and file offsets are 32-bit. */
	total = (uint64_t)w->fixed_size + w->hdrs.len + sizeof(struct igvm_vhs_header) + padded +
		w->data.len + new_data;
	if (total > UINT32_MAX)
		return igvm_fail(&w->err, &h, HUSK_ERR_RANGE, "the file would exceed 4 GiB");

	if ((rc = buf_reserve(w, &w->hdrs, sizeof(struct igvm_vhs_header) + padded)) ||
	    (b && (rc = buf_reserve(w, &w->patches, sizeof(uint32_t)))) ||
	    (new_data && (rc = buf_reserve(w, &w->data, (size_t)new_data))) ||
	    (dedup && !reuse && (rc = dedup_reserve(w))))
		return igvm_fail(&w->err, &h, rc, "out of memory");

	if (b) {
		uint32_t pending = IGVM_FILE_OFFSET_PENDING;

		memcpy(body + b->off_field, &pending, sizeof(pending));
	}
	rc = igvm_validate_header(&w->v, &h, &w->err);
	if (rc)
		return rc;

	/* Commit: nothing below can fail. */
	if (b) {
		uint32_t pos = (uint32_t)(w->hdrs.len + sizeof(struct igvm_vhs_header) +
					  b->off_field);

		if (!reuse) {
			rel = (uint32_t)w->data.len;
			buf_put(&w->data, b->data, b->len);
			buf_put(&w->data, NULL, (size_t)(b->size - b->len));
			if (dedup) {
				dedup_insert(w->slots, w->nslots, hash, rel);
				w->nused++;
			}
		}
		memcpy(body + b->off_field, &rel, sizeof(rel));
		buf_put(&w->patches, &pos, sizeof(pos));
	}
	{
		struct igvm_vhs_header tlv = { .type = raw_type, .length = len };

		buf_put(&w->hdrs, &tlv, sizeof(tlv));
		buf_put(&w->hdrs, body, len);
		buf_put(&w->hdrs, NULL, padded - len);
	}
	w->nheaders++;
	return HUSK_OK;
}

int igvm_writer_create(struct igvm_writer **out, const struct igvm_allocator *alloc,
		       uint32_t format_version)
{
	struct igvm_writer *w;

	*out = NULL;
	if (!alloc || !alloc->resize)
		return HUSK_ERR_INVAL;
	if (format_version != IGVM_FORMAT_VERSION_1 && format_version != IGVM_FORMAT_VERSION_2)
		return HUSK_ERR_UNSUPPORTED;
	w = alloc->resize(alloc->ctx, NULL, 0, sizeof(*w));
	if (!w)
		return HUSK_ERR_NOMEM;
	memset(w, 0, sizeof(*w));
	w->alloc = *alloc;
	w->format_version = format_version;
	w->fixed_size = format_version == IGVM_FORMAT_VERSION_1
				? sizeof(struct igvm_fixed_header)
				: sizeof(struct igvm_fixed_header_v2);
	igvm_validator_init(&w->v, format_version, IGVM_ARCH_X64, NULL, 0, 0);
	w->err.header_index = IGVM_NO_HEADER;
	*out = w;
	return HUSK_OK;
}

void igvm_writer_destroy(struct igvm_writer *w)
{
	struct igvm_allocator alloc;

	if (!w)
		return;
	buf_free(w, &w->hdrs);
	buf_free(w, &w->data);
	buf_free(w, &w->patches);
	if (w->slots)
		mem_resize(w, w->slots, (size_t)w->nslots * sizeof(*w->slots), 0);
	if (w->out)
		mem_resize(w, w->out, w->out_size, 0);
	alloc = w->alloc;
	alloc.resize(alloc.ctx, w, sizeof(*w), 0);
}

const char *igvm_writer_error(const struct igvm_writer *w)
{
	return w->err.message;
}

int igvm_writer_add_platform(struct igvm_writer *w, const struct igvm_vhs_supported_platform *p)
{
	struct igvm_vhs_supported_platform body = *p;
	int rc = begin(w);

	if (rc)
		return rc;
	if (body.platform_version == 0)
		body.platform_version = IGVM_PLATFORM_VERSION;
	return append(w, IGVM_VHT_SUPPORTED_PLATFORM, (uint8_t *)&body, sizeof(body), NULL);
}

int igvm_writer_add_guest_policy(struct igvm_writer *w, uint64_t policy, uint32_t compat_mask)
{
	struct igvm_vhs_guest_policy body = {
		.policy = policy,
		.compatibility_mask = compat_mask,
	};
	int rc = begin(w);

	if (rc)
		return rc;
	return append(w, IGVM_VHT_GUEST_POLICY, (uint8_t *)&body, sizeof(body), NULL);
}

static int add_page(struct igvm_writer *w, uint32_t raw_type, uint64_t gpa, uint32_t compat_mask,
		    uint32_t flags, uint16_t data_type, const void *data, size_t len)
{
	struct igvm_vhs_page_data body = {
		.gpa = gpa,
		.compatibility_mask = compat_mask,
		.flags = flags,
		.data_type = data_type,
	};
	struct blob b = {
		.data = data,
		.len = len,
		.size = IGVM_PAGE_SIZE_4K,
		.off_field = offsetof(struct igvm_vhs_page_data, file_offset),
	};
	struct igvm_header h;

	next_header(w, &h, raw_type, (const uint8_t *)&body, sizeof(body));
	if (!data && len)
		return igvm_fail(&w->err, &h, HUSK_ERR_INVAL, "%zu bytes of data but no buffer", len);
	if (data && (len == 0 || len > IGVM_PAGE_SIZE_4K))
		return igvm_fail(&w->err, &h, HUSK_ERR_INVAL,
				 "page data of %zu bytes (must be 1..4096; NULL for a zero page)",
				 len);
	if (data && (flags & IGVM_PAGE_DATA_FLAG_2MB))
		return igvm_fail(&w->err, &h, HUSK_ERR_UNSUPPORTED,
				 "2 MiB pages are supported only as zero pages");
	return append(w, raw_type, (uint8_t *)&body, sizeof(body), data ? &b : NULL);
}

int igvm_writer_add_page(struct igvm_writer *w, uint64_t gpa, uint32_t compat_mask,
			 uint32_t flags, uint16_t data_type, const void *data, size_t len)
{
	int rc = begin(w);

	if (rc)
		return rc;
	return add_page(w, IGVM_VHT_PAGE_DATA, gpa, compat_mask, flags, data_type, data, len);
}

static int add_parameter_area(struct igvm_writer *w, uint32_t raw_type, uint32_t index,
			      uint64_t number_of_bytes, const void *initial, size_t len)
{
	struct igvm_vhs_parameter_area body = {
		.number_of_bytes = number_of_bytes,
		.parameter_area_index = index,
	};
	struct blob b = {
		.data = initial,
		.len = len,
		.size = number_of_bytes,
		.off_field = offsetof(struct igvm_vhs_parameter_area, file_offset),
	};
	struct igvm_header h;

	next_header(w, &h, raw_type, (const uint8_t *)&body, sizeof(body));
	if (!initial && len)
		return igvm_fail(&w->err, &h, HUSK_ERR_INVAL, "%zu bytes of data but no buffer", len);
	if (initial && (len == 0 || len > number_of_bytes))
		return igvm_fail(&w->err, &h, HUSK_ERR_INVAL,
				 "initial data of %zu bytes for an area of 0x%llx bytes", len,
				 (unsigned long long)number_of_bytes);
	return append(w, raw_type, (uint8_t *)&body, sizeof(body), initial ? &b : NULL);
}

int igvm_writer_add_parameter_area(struct igvm_writer *w, uint32_t index,
				   uint64_t number_of_bytes, const void *initial, size_t len)
{
	int rc = begin(w);

	if (rc)
		return rc;
	return add_parameter_area(w, IGVM_VHT_PARAMETER_AREA, index, number_of_bytes, initial,
				  len);
}

int igvm_writer_add_parameter(struct igvm_writer *w, uint32_t type, uint32_t index,
			      uint32_t byte_offset)
{
	struct igvm_vhs_parameter body = {
		.parameter_area_index = index,
		.byte_offset = byte_offset,
	};
	int rc = begin(w);

	if (rc)
		return rc;
	if (!igvm_type_is_parameter(type) || (type & IGVM_VHT_OPTIONAL))
		return igvm_fail(&w->err, NULL, HUSK_ERR_INVAL,
				 "type 0x%x is not a parameter type", type);
	return append(w, type, (uint8_t *)&body, sizeof(body), NULL);
}

int igvm_writer_add_parameter_insert(struct igvm_writer *w, uint64_t gpa, uint32_t compat_mask,
				     uint32_t index)
{
	struct igvm_vhs_parameter_insert body = {
		.gpa = gpa,
		.compatibility_mask = compat_mask,
		.parameter_area_index = index,
	};
	int rc = begin(w);

	if (rc)
		return rc;
	return append(w, IGVM_VHT_PARAMETER_INSERT, (uint8_t *)&body, sizeof(body), NULL);
}

int igvm_writer_add_required_memory(struct igvm_writer *w, uint64_t gpa, uint32_t compat_mask,
				    uint32_t number_of_bytes, uint32_t flags)
{
	struct igvm_vhs_required_memory body = {
		.gpa = gpa,
		.compatibility_mask = compat_mask,
		.number_of_bytes = number_of_bytes,
		.flags = flags,
	};
	int rc = begin(w);

	if (rc)
		return rc;
	return append(w, IGVM_VHT_REQUIRED_MEMORY, (uint8_t *)&body, sizeof(body), NULL);
}

static int add_vp_context(struct igvm_writer *w, uint32_t raw_type, uint64_t gpa,
			  uint32_t compat_mask, uint16_t vp_index, const void *data, size_t len)
{
	struct igvm_vhs_vp_context body = {
		.gpa = gpa,
		.compatibility_mask = compat_mask,
		.vp_index = vp_index,
	};
	struct blob b = {
		.data = data,
		.len = len,
		.size = IGVM_PAGE_SIZE_4K,
		.off_field = offsetof(struct igvm_vhs_vp_context, file_offset),
	};
	struct igvm_header h;

	next_header(w, &h, raw_type, (const uint8_t *)&body, sizeof(body));
	if (!data || len == 0)
		return igvm_fail(&w->err, &h, HUSK_ERR_INVAL, "a VP context needs data");
	/* The data's format depends on the platform; an invalid mask is left
	 * for the validator to report. */
	if (igvm_single_bit(compat_mask) && (compat_mask & w->v.platform_mask) &&
	    igvm_validator_platform_of(&w->v, compat_mask) == IGVM_PLATFORM_VSM_ISOLATION) {
		uint32_t count;

		if (len < sizeof(count))
			return igvm_fail(&w->err, &h, HUSK_ERR_INVAL,
					 "VBS register list of %zu bytes", len);
		memcpy(&count, data, sizeof(count));
		if (len != sizeof(count) +
				   (uint64_t)count * sizeof(struct igvm_vbs_vp_context_register))
			return igvm_fail(&w->err, &h, HUSK_ERR_INVAL,
					 "VBS register list of %zu bytes does not hold %u registers",
					 len, count);
		b.size = len;
	} else if (len > IGVM_PAGE_SIZE_4K) {
		return igvm_fail(&w->err, &h, HUSK_ERR_INVAL,
				 "VP context of %zu bytes is larger than 4096", len);
	}
	return append(w, raw_type, (uint8_t *)&body, sizeof(body), &b);
}

int igvm_writer_add_vp_context(struct igvm_writer *w, uint64_t gpa, uint32_t compat_mask,
			       uint16_t vp_index, const void *data, size_t len)
{
	int rc = begin(w);

	if (rc)
		return rc;
	return add_vp_context(w, IGVM_VHT_VP_CONTEXT, gpa, compat_mask, vp_index, data, len);
}

int igvm_writer_add_error_range(struct igvm_writer *w, uint64_t gpa, uint32_t compat_mask,
				uint32_t size_bytes)
{
	struct igvm_vhs_error_range body = {
		.gpa = gpa,
		.compatibility_mask = compat_mask,
		.size_bytes = size_bytes,
	};
	int rc = begin(w);

	if (rc)
		return rc;
	return append(w, IGVM_VHT_ERROR_RANGE, (uint8_t *)&body, sizeof(body), NULL);
}

int igvm_writer_add_snp_id_block(struct igvm_writer *w, const struct igvm_vhs_snp_id_block *b)
{
	struct igvm_vhs_snp_id_block body = *b;
	int rc = begin(w);

	if (rc)
		return rc;
	return append(w, IGVM_VHT_SNP_ID_BLOCK, (uint8_t *)&body, sizeof(body), NULL);
}

/* Bodies up to this size are copied on the stack; larger ones (only unknown
 * optional types can be) through the allocator. */
#define RAW_STACK_MAX 1024u

static int add_raw(struct igvm_writer *w, uint32_t raw_type, const void *body, uint32_t len)
{
	uint8_t stack_copy[RAW_STACK_MAX];
	uint8_t *copy = stack_copy;
	int rc;

	/* append() needs a mutable body only for file offsets, which raw
	 * headers do not have, but it takes one; copy to stay const-correct. */
	if (len > sizeof(stack_copy)) {
		copy = mem_resize(w, NULL, 0, len);
		if (!copy)
			return igvm_fail(&w->err, NULL, HUSK_ERR_NOMEM, "out of memory");
	}
	if (len)
		memcpy(copy, body, len);
	rc = append(w, raw_type, copy, len, NULL);
	if (copy != stack_copy)
		mem_resize(w, copy, len, 0);
	return rc;
}

int igvm_writer_add_header(struct igvm_writer *w, uint32_t type, const void *body, uint32_t len)
{
	int rc = begin(w);

	if (rc)
		return rc;
	if (!body && len)
		return igvm_fail(&w->err, NULL, HUSK_ERR_INVAL, "%u bytes of body but no buffer",
				 len);
	switch (type & ~IGVM_VHT_OPTIONAL) {
	case IGVM_VHT_PAGE_DATA:
	case IGVM_VHT_VP_CONTEXT:
	case IGVM_VHT_PARAMETER_AREA:
		return igvm_fail(&w->err, NULL, HUSK_ERR_INVAL,
				 "type 0x%x carries file data; use its own igvm_writer_add_ call",
				 type);
	case IGVM_VHT_CORIM_DOCUMENT:
	case IGVM_VHT_CORIM_SIGNATURE:
		return igvm_fail(&w->err, NULL, HUSK_ERR_UNSUPPORTED,
				 "CORIM headers (file data) are not supported by the writer");
	default:
		return add_raw(w, type, body, len);
	}
}

int igvm_writer_add_from_reader(struct igvm_writer *w, const struct igvm_reader *r,
				const struct igvm_header *h)
{
	const uint8_t *data;
	size_t len;
	int rc = begin(w);

	if (rc)
		return rc;
	switch (h->known ? h->type : 0) {
	case IGVM_VHT_PAGE_DATA: {
		struct igvm_vhs_page_data pd;

		if ((rc = igvm_header_page_data(h, &pd)) ||
		    (rc = igvm_reader_file_data(r, h, &data, &len)))
			return igvm_fail(&w->err, NULL, rc, "unreadable source header #%u",
					 h->index);
		if (data && (pd.flags & IGVM_PAGE_DATA_FLAG_2MB))
			return igvm_fail(&w->err, NULL, HUSK_ERR_UNSUPPORTED,
					 "source header #%u: 2 MiB page with data", h->index);
		return add_page(w, h->raw_type, pd.gpa, pd.compatibility_mask, pd.flags,
				pd.data_type, data, len);
	}
	case IGVM_VHT_PARAMETER_AREA: {
		struct igvm_vhs_parameter_area pa;

		if ((rc = igvm_header_parameter_area(h, &pa)) ||
		    (rc = igvm_reader_file_data(r, h, &data, &len)))
			return igvm_fail(&w->err, NULL, rc, "unreadable source header #%u",
					 h->index);
		return add_parameter_area(w, h->raw_type, pa.parameter_area_index,
					  pa.number_of_bytes, data, len);
	}
	case IGVM_VHT_VP_CONTEXT: {
		struct igvm_vhs_vp_context vp;

		if ((rc = igvm_header_vp_context(h, &vp)) ||
		    (rc = igvm_reader_file_data(r, h, &data, &len)))
			return igvm_fail(&w->err, NULL, rc, "unreadable source header #%u",
					 h->index);
		return add_vp_context(w, h->raw_type, vp.gpa, vp.compatibility_mask, vp.vp_index,
				      data, len);
	}
	case IGVM_VHT_CORIM_DOCUMENT:
	case IGVM_VHT_CORIM_SIGNATURE:
		return igvm_fail(&w->err, NULL, HUSK_ERR_UNSUPPORTED,
				 "source header #%u: CORIM headers are not supported by the writer",
				 h->index);
	default:
		return add_raw(w, h->raw_type, h->body, h->length);
	}
}

int igvm_writer_finish(struct igvm_writer *w, const uint8_t **file, size_t *size)
{
	struct igvm_fixed_header_v2 fh;
	uint32_t data_start, total, crc;
	int rc;

	*file = NULL;
	*size = 0;
	if (w->finished) {
		*file = w->out;
		*size = w->out_size;
		return HUSK_OK;
	}
	memset(&w->err, 0, sizeof(w->err));
	w->err.header_index = IGVM_NO_HEADER;
	rc = igvm_validate_finish(&w->v, &w->err);
	if (rc)
		return rc;
	/* append() kept the total within 32 bits. */
	data_start = w->fixed_size + (uint32_t)w->hdrs.len;
	total = data_start + (uint32_t)w->data.len;
	w->out = mem_resize(w, NULL, 0, total);
	if (!w->out)
		return igvm_fail(&w->err, NULL, HUSK_ERR_NOMEM, "out of memory");
	w->out_size = total;

	for (size_t i = 0; i < w->patches.len; i += sizeof(uint32_t)) {
		uint32_t pos, off;

		memcpy(&pos, w->patches.p + i, sizeof(pos));
		memcpy(&off, w->hdrs.p + pos, sizeof(off));
		off += data_start;
		memcpy(w->hdrs.p + pos, &off, sizeof(off));
	}

	memset(&fh, 0, sizeof(fh));
	fh.magic = IGVM_MAGIC;
	fh.format_version = w->format_version;
	fh.variable_header_offset = w->fixed_size;
	fh.variable_header_size = (uint32_t)w->hdrs.len;
	fh.total_file_size = total;
	fh.checksum = 0;
	fh.architecture = IGVM_ARCH_X64;
	fh.page_size = IGVM_PAGE_SIZE_4K;
	crc = husk_crc32_update(0, &fh, w->fixed_size);
	crc = husk_crc32_update(crc, w->hdrs.p, w->hdrs.len);
	fh.checksum = crc;

	memcpy(w->out, &fh, w->fixed_size);
	if (w->hdrs.len)
		memcpy(w->out + w->fixed_size, w->hdrs.p, w->hdrs.len);
	if (w->data.len)
		memcpy(w->out + data_start, w->data.p, w->data.len);

	/* Only the output is needed from now on. */
	buf_free(w, &w->hdrs);
	buf_free(w, &w->data);
	buf_free(w, &w->patches);
	if (w->slots)
		mem_resize(w, w->slots, (size_t)w->nslots * sizeof(*w->slots), 0);
	w->slots = NULL;
	w->nslots = w->nused = 0;
	w->finished = true;
	*file = w->out;
	*size = w->out_size;
	return HUSK_OK;
}
