/* TDX MRTD of an IGVM file; see igvm_tdx.h for the model. */
#include <string.h>

#include "husk/err.h"
#include "igvm/igvm_check.h"
#include "igvm/igvm_tdx.h"
#include "mbedtls/sha512.h"

static const uint8_t zero_page[IGVM_PAGE_SIZE_4K];

void igvm_tdx_record(uint8_t out[TDX_MR_RECORD_SIZE], const char *tag, uint64_t gpa)
{
	memset(out, 0, TDX_MR_RECORD_SIZE);
	memcpy(out, tag, strnlen(tag, 16));
	memcpy(out + 16, &gpa, sizeof(gpa));
}

struct mrtd {
	mbedtls_sha512_context sha;
	struct igvm_tdx_result *res;
	int failed;
};

static void update(struct mrtd *m, const void *data, size_t len)
{
	if (mbedtls_sha512_update(&m->sha, data, len))
		m->failed = 1;
}

static void add_page(struct mrtd *m, uint64_t gpa, const uint8_t *page, bool measured)
{
	uint8_t rec[TDX_MR_RECORD_SIZE];

	igvm_tdx_record(rec, "MEM.PAGE.ADD", gpa);
	update(m, rec, sizeof(rec));
	m->res->pages_added++;
	if (!measured)
		return;
	for (uint32_t off = 0; off < IGVM_PAGE_SIZE_4K; off += TDX_MR_EXTEND_CHUNK) {
		igvm_tdx_record(rec, "MR.EXTEND", gpa + off);
		update(m, rec, sizeof(rec));
		update(m, (page ? page : zero_page) + off, TDX_MR_EXTEND_CHUNK);
	}
	m->res->pages_extended++;
}

int igvm_tdx_measure(const struct igvm_reader *r, struct igvm_tdx_result *res,
		     struct igvm_error *err)
{
	struct mrtd m = { .res = res };
	struct igvm_iter it;
	struct igvm_header h;
	uint32_t mask;
	int rc = HUSK_OK;

	if (err) {
		memset(err, 0, sizeof(*err));
		err->header_index = IGVM_NO_HEADER;
	}
	memset(res, 0, sizeof(*res));
	mask = igvm_reader_platform_mask(r, IGVM_PLATFORM_TDX);
	if (!mask)
		return igvm_fail(err, NULL, HUSK_ERR_NOTFOUND, "the file has no TDX platform");
	res->platform_mask = mask;
	mbedtls_sha512_init(&m.sha);
	if (mbedtls_sha512_starts(&m.sha, 1)) {
		mbedtls_sha512_free(&m.sha);
		return igvm_fail(err, NULL, HUSK_ERR_CRYPTO, "SHA-384 failed");
	}
	igvm_iter_init(&it, r);
	while (!rc && igvm_iter_next(&it, &h)) {
		if (!igvm_header_applies(&h, mask))
			continue;
		if (h.type == IGVM_VHT_PAGE_DATA) {
			struct igvm_vhs_page_data pd;
			const uint8_t *data;
			size_t len;
			uint64_t size;

			igvm_header_page_data(&h, &pd);
			if (pd.flags & IGVM_PAGE_DATA_FLAG_SHARED) {
				res->pages_shared_skipped++;
				continue;
			}
			if (igvm_reader_page_data(r, &h, &data, &len)) {
				rc = igvm_fail(err, &h, HUSK_ERR_INVAL, "page data unreadable");
				break;
			}
			size = (pd.flags & IGVM_PAGE_DATA_FLAG_2MB) ? IGVM_PAGE_SIZE_2M
								    : IGVM_PAGE_SIZE_4K;
			for (uint64_t off = 0; off < size; off += IGVM_PAGE_SIZE_4K)
				add_page(&m, pd.gpa + off, data ? data + off : NULL,
					 !(pd.flags & IGVM_PAGE_DATA_FLAG_UNMEASURED));
		} else if (h.type == IGVM_VHT_PARAMETER_INSERT) {
			struct igvm_vhs_parameter_insert pi;
			struct igvm_vhs_parameter_area pa;
			struct igvm_header ah;

			igvm_header_parameter_insert(&h, &pi);
			if (igvm_reader_find_parameter_area(r, pi.parameter_area_index, &ah) ||
			    igvm_header_parameter_area(&ah, &pa)) {
				rc = igvm_fail(err, &h, HUSK_ERR_INVAL, "parameter area %u not found",
					       pi.parameter_area_index);
				break;
			}
			for (uint64_t off = 0; off < pa.number_of_bytes; off += IGVM_PAGE_SIZE_4K)
				add_page(&m, pi.gpa + off, NULL, false);
		}
	}
	if (!rc && (m.failed || mbedtls_sha512_finish(&m.sha, res->mrtd)))
		rc = igvm_fail(err, NULL, HUSK_ERR_CRYPTO, "SHA-384 failed");
	mbedtls_sha512_free(&m.sha);
	return rc;
}
