/* libFuzzer target: what husk-igvm does with a file after the reader accepts
 * it - the whole-file rules (igvm_lint), the SEV-SNP launch digest with a
 * few launch configurations, the TDX MRTD, and the ID-block check - on
 * arbitrary bytes.  total_file_size and the checksum are fixed up first, so
 * that mutations reach the headers.  Nothing may crash, hang or read out of
 * bounds, and errors must come with a terminated message. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "husk/err.h"
#include "crc/crc32.h"
#include "igvm/igvm_lint.h"
#include "igvm/igvm_snp.h"
#include "igvm/igvm_tdx.h"
#include "igvm/igvm_writer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

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

static void check_err(int rc, const struct igvm_error *err)
{
	if (rc && (err->code != rc || !memchr(err->message, 0, sizeof(err->message))))
		__builtin_trap();
}

static void note(void *ctx, uint32_t kind, const char *msg)
{
	(void)ctx;
	(void)kind;
	if (strlen(msg) >= IGVM_ERROR_MSG_MAX)
		__builtin_trap();
}

/* 4 KiB pages the measurements would hash (2 MiB pages count 512). */
static uint64_t pages_to_hash(const struct igvm_reader *r)
{
	struct igvm_iter it;
	struct igvm_header h;
	uint64_t n = 0;

	igvm_iter_init(&it, r);
	while (igvm_iter_next(&it, &h)) {
		struct igvm_vhs_page_data pd;
		struct igvm_vhs_parameter_insert pi;
		struct igvm_vhs_parameter_area pa;
		struct igvm_header ah;

		if (igvm_header_page_data(&h, &pd) == HUSK_OK)
			n += (pd.flags & IGVM_PAGE_DATA_FLAG_2MB) ? 512 : 1;
		else if (igvm_header_parameter_insert(&h, &pi) == HUSK_OK &&
			 igvm_reader_find_parameter_area(r, pi.parameter_area_index, &ah) == HUSK_OK &&
			 igvm_header_parameter_area(&ah, &pa) == HUSK_OK)
			n += pa.number_of_bytes / IGVM_PAGE_SIZE_4K;
		else
			n++;
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct igvm_reader r;
	struct igvm_error err;
	struct igvm_snp_options o;
	struct igvm_snp_result res;
	struct igvm_tdx_result tdx;
	uint8_t *f;
	int rc;

	if (size > (1u << 20))
		return 0;
	f = malloc(size ? size : 1);
	if (!f)
		return 0;
	memcpy(f, data, size);
	fix_header(f, size);
	if (igvm_reader_init(&r, f, size, &err)) {
		free(f);
		return 0;
	}
	rc = igvm_lint(&r, &igvm_libc_allocator, &err);
	check_err(rc, &err);
	/* Hashing is linear and already covered by the seeds; spend the time
	 * on structure instead. */
	if (pages_to_hash(&r) > 1024) {
		free(f);
		return 0;
	}

	igvm_snp_options_init(&o);
	o.note = note;
	for (uint32_t vcpus = 1; vcpus <= 3; vcpus += 2) {
		o.vcpus = vcpus;
		o.ap_mode = vcpus == 1 ? IGVM_SNP_AP_RESET : IGVM_SNP_AP_NONE;
		rc = igvm_snp_measure(&r, &o, &res, &err);
		check_err(rc, &err);
		if (!rc && res.have_id_block) {
			char why[IGVM_ERROR_MSG_MAX];

			igvm_snp_id_block_check(&res.id_block, res.policy, res.digest, why,
						sizeof(why));
			if (!memchr(why, 0, sizeof(why)))
				__builtin_trap();
		}
	}
	rc = igvm_tdx_measure(&r, &tdx, &err);
	check_err(rc, &err);
	free(f);
	return 0;
}
