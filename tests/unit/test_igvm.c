/* Unit tests for lib/igvm: CRC-32, writer -> reader round trips of every
 * header type, layout and determinism of the writer, page dedup, the
 * writer's refusals, and a corpus of hand-broken files the reader must
 * reject with a precise message.
 *
 * With IGVM_WRITE_CORPUS=DIR in the environment it also writes the fuzzer's
 * seed files (tests/fuzz/corpus/fuzz_igvm_reader/) into DIR. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "husk/err.h"
#include "crc/crc32.h"
#include "igvm/igvm_defs.h"
#include "igvm/igvm_reader.h"
#include "igvm/igvm_writer.h"

#define SNP    0x1u /* compatibility bits as COCONUT assigns them */
#define NATIVE 0x2u
#define TDX    0x4u
#define VSM    0x10u

#define VMSA_GPA 0xfffffffff000ull

/* ---- helpers ------------------------------------------------------------ */

static struct igvm_writer *new_writer(uint32_t version)
{
	struct igvm_writer *w;

	assert_int_equal(igvm_writer_create(&w, &igvm_libc_allocator, version), HUSK_OK);
	return w;
}

static void add_platform(struct igvm_writer *w, uint8_t type, uint32_t mask, uint8_t vtl,
			 uint64_t boundary)
{
	struct igvm_vhs_supported_platform p = {
		.compatibility_mask = mask,
		.highest_vtl = vtl,
		.platform_type = type,
		.platform_version = IGVM_PLATFORM_VERSION,
		.shared_gpa_boundary = boundary,
	};
	int rc = igvm_writer_add_platform(w, &p);

	if (rc)
		fail_msg("add_platform: %s", igvm_writer_error(w));
}

/* Copies the writer's output into a malloc'd buffer the test owns. */
static uint8_t *finish_copy(struct igvm_writer *w, size_t *size)
{
	const uint8_t *file;
	uint8_t *copy;
	int rc = igvm_writer_finish(w, &file, size);

	if (rc)
		fail_msg("finish: %d %s", rc, igvm_writer_error(w));
	copy = malloc(*size);
	assert_non_null(copy);
	memcpy(copy, file, *size);
	return copy;
}

static void must_read(struct igvm_reader *r, const uint8_t *file, size_t size)
{
	struct igvm_error err;
	int rc = igvm_reader_init(r, file, size, &err);

	if (rc)
		fail_msg("reader: %d %s", rc, err.message);
}

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

static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

/* Recomputes a v1 file's checksum after a test has broken something else. */
static void refresh_crc(uint8_t *file)
{
	uint32_t off = get32(file + 8), size = get32(file + 12), crc;

	put32(file + 20, 0);
	crc = husk_crc32_update(0, file, 24);
	crc = husk_crc32_update(crc, file + off, size);
	put32(file + 20, crc);
}

/* The n-th header of a valid file. */
static struct igvm_header nth_header(const uint8_t *file, size_t size, uint32_t n)
{
	struct igvm_reader r;
	struct igvm_iter it;
	struct igvm_header h;

	must_read(&r, file, size);
	igvm_iter_init(&it, &r);
	while (igvm_iter_next(&it, &h))
		if (h.index == n)
			return h;
	fail_msg("no header #%u", n);
	return h;
}

/* A file assembled by hand, for what the writer refuses to produce. */
struct raw_hdr {
	uint32_t type;
	uint32_t len;
	const void *body;
};

static uint32_t raw_data_start(const struct raw_hdr *h, size_t n)
{
	uint32_t off = 24;

	for (size_t i = 0; i < n; i++)
		off += 8 + ((h[i].len + 7) & ~7u);
	return off;
}

static size_t raw_file(uint8_t *out, const struct raw_hdr *h, size_t n, const void *data,
		       size_t data_len)
{
	uint32_t pos = 24, start = raw_data_start(h, n);

	memset(out, 0, start + data_len);
	for (size_t i = 0; i < n; i++) {
		put32(out + pos, h[i].type);
		put32(out + pos + 4, h[i].len);
		memcpy(out + pos + 8, h[i].body, h[i].len);
		pos += 8 + ((h[i].len + 7) & ~7u);
	}
	if (data_len)
		memcpy(out + start, data, data_len);
	put32(out + 0, IGVM_MAGIC);
	put32(out + 4, 1);
	put32(out + 8, 24);
	put32(out + 12, start - 24);
	put32(out + 16, start + (uint32_t)data_len);
	refresh_crc(out);
	return start + data_len;
}

static const struct igvm_vhs_supported_platform plat_snp = {
	.compatibility_mask = SNP,
	.platform_type = IGVM_PLATFORM_SEV_SNP,
	.platform_version = 1,
};

static const struct igvm_vhs_supported_platform plat_native = {
	.compatibility_mask = NATIVE,
	.platform_type = IGVM_PLATFORM_NATIVE,
	.platform_version = 1,
};

/* ---- CRC-32 ------------------------------------------------------------- */

static void test_crc32(void **state)
{
	const char *s = "123456789";
	uint32_t crc;

	assert_int_equal(husk_crc32(s, 9), 0xCBF43926u);
	assert_int_equal(husk_crc32(s, 0), 0);
	assert_int_equal(husk_crc32("a", 1), 0xE8B7BE43u);
	/* Incremental in any split equals one shot. */
	for (size_t cut = 0; cut <= 9; cut++) {
		crc = husk_crc32_update(0, s, cut);
		crc = husk_crc32_update(crc, s + cut, 9 - cut);
		assert_int_equal(crc, 0xCBF43926u);
	}
}

/* ---- every header type, written then read back ------------------------- */

struct expect {
	uint32_t raw_type;
	uint32_t len;
	uint8_t body[1024];
	int off_field;        /* file_offset field in body, -1 if none */
	const uint8_t *data;  /* expected file data prefix (NULL: zero-filled) */
	size_t data_len;
	size_t data_size;     /* expected igvm_reader_file_data length */
};

static struct expect exp_list[64];
static size_t nexp;

static void expect_hdr(uint32_t raw_type, const void *body, uint32_t len, int off_field,
		       const uint8_t *data, size_t data_len, size_t data_size)
{
	struct expect *e = &exp_list[nexp++];

	assert_true(nexp <= HUSK_ARRAY_SIZE(exp_list));
	assert_true(len <= sizeof(e->body));
	e->raw_type = raw_type;
	e->len = len;
	if (len)
		memcpy(e->body, body, len);
	e->off_field = off_field;
	e->data = data;
	e->data_len = data_len;
	e->data_size = data_size;
}

#define CHECK(call)                                                             \
	do {                                                                    \
		int rc_ = (call);                                               \
		if (rc_)                                                        \
			fail_msg("%s: %d %s", #call, rc_, igvm_writer_error(w)); \
	} while (0)

static uint8_t page_a[4096], page_b[100], vmsa[4096], area_init[40];
static uint8_t vbs_regs[4 + 2 * 32];

static void init_patterns(void)
{
	for (size_t i = 0; i < sizeof(page_a); i++)
		page_a[i] = (uint8_t)(i * 7 + 1);
	for (size_t i = 0; i < sizeof(page_b); i++)
		page_b[i] = (uint8_t)(0xb0 + i);
	for (size_t i = 0; i < sizeof(vmsa); i++)
		vmsa[i] = (uint8_t)(i ^ 0x5a);
	for (size_t i = 0; i < sizeof(area_init); i++)
		area_init[i] = (uint8_t)('A' + i % 26);
	memset(vbs_regs, 0, sizeof(vbs_regs));
	put32(vbs_regs, 2);
	vbs_regs[4] = 0;        /* vtl */
	put32(vbs_regs + 5, 0x20000); /* register name */
	vbs_regs[4 + 16] = 0x11;
	vbs_regs[36] = 0;
	put32(vbs_regs + 37, 0x20001);
	vbs_regs[36 + 16] = 0x22;
}

/* Builds a file with every header type husk knows (and optional unknown
 * ones), recording what each should read back as. */
static struct igvm_writer *build_all_types(void)
{
	struct igvm_writer *w = new_writer(IGVM_FORMAT_VERSION_1);
	struct igvm_vhs_supported_platform p;
	struct igvm_vhs_relocatable_region rr;
	struct igvm_vhs_page_table_relocation ptr;
	struct igvm_vhs_snp_id_block idb;
	struct igvm_vhs_vbs_measurement vbs;
	static const uint32_t params[] = {
		IGVM_VHT_VP_COUNT_PARAMETER, IGVM_VHT_ENVIRONMENT_INFO_PARAMETER,
		IGVM_VHT_MEMORY_MAP,         IGVM_VHT_COMMAND_LINE,
		IGVM_VHT_MADT,               IGVM_VHT_SRAT,
		IGVM_VHT_SLIT,               IGVM_VHT_PPTT,
		IGVM_VHT_MMIO_RANGES,        IGVM_VHT_DEVICE_TREE,
	};
	const uint8_t opt_body[5] = { 1, 2, 3, 4, 5 };

	init_patterns();
	nexp = 0;

	/* platform */
	p = (struct igvm_vhs_supported_platform){ SNP, 2, IGVM_PLATFORM_SEV_SNP, 1, 1ull << 46 };
	CHECK(igvm_writer_add_platform(w, &p));
	expect_hdr(IGVM_VHT_SUPPORTED_PLATFORM, &p, sizeof(p), -1, NULL, 0, 0);
	p = (struct igvm_vhs_supported_platform){ NATIVE, 0, IGVM_PLATFORM_NATIVE, 1, 0 };
	CHECK(igvm_writer_add_platform(w, &p));
	expect_hdr(IGVM_VHT_SUPPORTED_PLATFORM, &p, sizeof(p), -1, NULL, 0, 0);
	p = (struct igvm_vhs_supported_platform){ VSM, 2, IGVM_PLATFORM_VSM_ISOLATION, 1, 0 };
	CHECK(igvm_writer_add_platform(w, &p));
	expect_hdr(IGVM_VHT_SUPPORTED_PLATFORM, &p, sizeof(p), -1, NULL, 0, 0);
	p = (struct igvm_vhs_supported_platform){ TDX, 0, IGVM_PLATFORM_TDX, 1, 0 };
	CHECK(igvm_writer_add_platform(w, &p));
	expect_hdr(IGVM_VHT_SUPPORTED_PLATFORM, &p, sizeof(p), -1, NULL, 0, 0);

	/* initialization */
	{
		struct igvm_vhs_guest_policy gp = { 0x30000, SNP, 0 };

		CHECK(igvm_writer_add_guest_policy(w, 0x30000, SNP));
		expect_hdr(IGVM_VHT_GUEST_POLICY, &gp, sizeof(gp), -1, NULL, 0, 0);
	}
	rr = (struct igvm_vhs_relocatable_region){
		.compatibility_mask = VSM, .vp_index = 0, .vtl = 2,
		.flags = IGVM_RELOCATABLE_REGION_IS_VTL2 | IGVM_RELOCATABLE_REGION_APPLY_RIP,
		.relocation_alignment = 0x200000, .relocation_region_gpa = 0x1000000,
		.relocation_region_size = 0x400000, .minimum_relocation_gpa = 0x200000,
		.maximum_relocation_gpa = 0x40000000,
	};
	CHECK(igvm_writer_add_header(w, IGVM_VHT_RELOCATABLE_REGION, &rr, sizeof(rr)));
	expect_hdr(IGVM_VHT_RELOCATABLE_REGION, &rr, sizeof(rr), -1, NULL, 0, 0);
	ptr = (struct igvm_vhs_page_table_relocation){
		.compatibility_mask = VSM, .vp_index = 0, .vtl = 2,
		.gpa = 0x1100000, .size = 0x10000, .used_size = 0x4000,
	};
	CHECK(igvm_writer_add_header(w, IGVM_VHT_PAGE_TABLE_RELOCATION_REGION, &ptr, sizeof(ptr)));
	expect_hdr(IGVM_VHT_PAGE_TABLE_RELOCATION_REGION, &ptr, sizeof(ptr), -1, NULL, 0, 0);
	CHECK(igvm_writer_add_header(w, IGVM_VHT_OPTIONAL | 0x1f0, opt_body, sizeof(opt_body)));
	expect_hdr(IGVM_VHT_OPTIONAL | 0x1f0, opt_body, sizeof(opt_body), -1, NULL, 0, 0);

	/* directives: parameters */
	{
		struct igvm_vhs_parameter_area pa = { 0x2000, 7, 0 };

		CHECK(igvm_writer_add_parameter_area(w, 7, 0x2000, NULL, 0));
		expect_hdr(IGVM_VHT_PARAMETER_AREA, &pa, sizeof(pa), -1, NULL, 0, 0);
		pa = (struct igvm_vhs_parameter_area){ 0x1000, 9, 0 };
		CHECK(igvm_writer_add_parameter_area(w, 9, 0x1000, area_init, sizeof(area_init)));
		expect_hdr(IGVM_VHT_PARAMETER_AREA, &pa, sizeof(pa),
			   offsetof(struct igvm_vhs_parameter_area, file_offset), area_init,
			   sizeof(area_init), 0x1000);
	}
	for (size_t i = 0; i < HUSK_ARRAY_SIZE(params); i++) {
		struct igvm_vhs_parameter prm = { 7, (uint32_t)(0x100 * i) };

		CHECK(igvm_writer_add_parameter(w, params[i], 7, prm.byte_offset));
		expect_hdr(params[i], &prm, sizeof(prm), -1, NULL, 0, 0);
	}
	{
		struct igvm_vhs_parameter prm = { 9, 0x100 };

		CHECK(igvm_writer_add_parameter(w, IGVM_VHT_COMMAND_LINE, 9, 0x100));
		expect_hdr(IGVM_VHT_COMMAND_LINE, &prm, sizeof(prm), -1, NULL, 0, 0);
	}
	{
		struct igvm_vhs_parameter_insert pi = { 0x8000000, SNP | NATIVE, 7 };

		CHECK(igvm_writer_add_parameter_insert(w, 0x8000000, SNP | NATIVE, 7));
		expect_hdr(IGVM_VHT_PARAMETER_INSERT, &pi, sizeof(pi), -1, NULL, 0, 0);
		pi = (struct igvm_vhs_parameter_insert){ 0x8002000, SNP | NATIVE, 9 };
		CHECK(igvm_writer_add_parameter_insert(w, 0x8002000, SNP | NATIVE, 9));
		expect_hdr(IGVM_VHT_PARAMETER_INSERT, &pi, sizeof(pi), -1, NULL, 0, 0);
	}

	/* directives: pages */
	{
		struct igvm_vhs_page_data pd = { 0x100000, SNP | NATIVE, 0, 0,
						 IGVM_PAGE_DATA_TYPE_NORMAL, 0 };
		int off = offsetof(struct igvm_vhs_page_data, file_offset);

		CHECK(igvm_writer_add_page(w, pd.gpa, pd.compatibility_mask, 0, 0, page_a,
					   sizeof(page_a)));
		expect_hdr(IGVM_VHT_PAGE_DATA, &pd, sizeof(pd), off, page_a, sizeof(page_a), 4096);
		pd.gpa = 0x101000;
		pd.flags = IGVM_PAGE_DATA_FLAG_UNMEASURED;
		CHECK(igvm_writer_add_page(w, pd.gpa, pd.compatibility_mask, pd.flags, 0, page_b,
					   sizeof(page_b)));
		expect_hdr(IGVM_VHT_PAGE_DATA, &pd, sizeof(pd), off, page_b, sizeof(page_b), 4096);
		pd = (struct igvm_vhs_page_data){ 0x102000, SNP, 0, 0, IGVM_PAGE_DATA_TYPE_SECRETS, 0 };
		CHECK(igvm_writer_add_page(w, pd.gpa, SNP, 0, IGVM_PAGE_DATA_TYPE_SECRETS, NULL, 0));
		expect_hdr(IGVM_VHT_PAGE_DATA, &pd, sizeof(pd), off, NULL, 0, 0);
		pd = (struct igvm_vhs_page_data){ 0x103000, SNP, 0, 0, IGVM_PAGE_DATA_TYPE_CPUID_DATA,
						  0 };
		CHECK(igvm_writer_add_page(w, pd.gpa, SNP, 0, IGVM_PAGE_DATA_TYPE_CPUID_DATA, NULL,
					   0));
		expect_hdr(IGVM_VHT_PAGE_DATA, &pd, sizeof(pd), off, NULL, 0, 0);
		pd = (struct igvm_vhs_page_data){ 0x200000, NATIVE, 0, IGVM_PAGE_DATA_FLAG_2MB,
						  IGVM_PAGE_DATA_TYPE_NORMAL, 0 };
		CHECK(igvm_writer_add_page(w, pd.gpa, NATIVE, pd.flags, 0, NULL, 0));
		expect_hdr(IGVM_VHT_PAGE_DATA, &pd, sizeof(pd), off, NULL, 0, 0);
	}
	{
		struct igvm_vhs_required_memory rm = { 0x8000000, SNP | NATIVE, 0x1000000,
						       IGVM_REQUIRED_MEMORY_VTL2_PROTECTABLE, 0 };

		CHECK(igvm_writer_add_required_memory(w, rm.gpa, rm.compatibility_mask,
						      rm.number_of_bytes, rm.flags));
		expect_hdr(IGVM_VHT_REQUIRED_MEMORY, &rm, sizeof(rm), -1, NULL, 0, 0);
	}
	{
		struct igvm_vhs_vp_context vp = { VMSA_GPA, SNP, 0, 0, 0 };
		int off = offsetof(struct igvm_vhs_vp_context, file_offset);

		/* Same bytes as the first page: stored once. */
		CHECK(igvm_writer_add_vp_context(w, VMSA_GPA, SNP, 0, page_a, sizeof(page_a)));
		expect_hdr(IGVM_VHT_VP_CONTEXT, &vp, sizeof(vp), off, page_a, sizeof(page_a), 4096);
		vp = (struct igvm_vhs_vp_context){ 0, VSM, 0, 0, 0 };
		CHECK(igvm_writer_add_vp_context(w, 0, VSM, 0, vbs_regs, sizeof(vbs_regs)));
		expect_hdr(IGVM_VHT_VP_CONTEXT, &vp, sizeof(vp), off, vbs_regs, sizeof(vbs_regs),
			   sizeof(vbs_regs));
	}
	{
		struct igvm_vhs_error_range er = { 0x9000000, SNP, 0x2000 };

		CHECK(igvm_writer_add_error_range(w, er.gpa, SNP, er.size_bytes));
		expect_hdr(IGVM_VHT_ERROR_RANGE, &er, sizeof(er), -1, NULL, 0, 0);
	}
	memset(&idb, 0, sizeof(idb));
	idb.compatibility_mask = SNP;
	idb.author_key_enabled = 1;
	for (size_t i = 0; i < sizeof(idb.ld); i++)
		idb.ld[i] = (uint8_t)i;
	idb.version = 1;
	idb.guest_svn = 3;
	idb.id_key_algorithm = IGVM_SNP_ID_KEY_ALGO_ECDSA_P384_SHA384;
	idb.author_key_algorithm = IGVM_SNP_ID_KEY_ALGO_ECDSA_P384_SHA384;
	idb.id_key_signature.r[0] = 0x11;
	idb.id_public_key.curve = IGVM_SNP_CURVE_P384;
	idb.id_public_key.qy[71] = 0x22;
	idb.author_public_key.qx[5] = 0x33;
	CHECK(igvm_writer_add_snp_id_block(w, &idb));
	expect_hdr(IGVM_VHT_SNP_ID_BLOCK, &idb, sizeof(idb), -1, NULL, 0, 0);
	memset(&vbs, 0, sizeof(vbs));
	vbs.compatibility_mask = VSM;
	vbs.version = 1;
	vbs.signing_algo = 1;
	vbs.public_key[511] = 0x44;
	CHECK(igvm_writer_add_header(w, IGVM_VHT_VBS_MEASUREMENT, &vbs, sizeof(vbs)));
	expect_hdr(IGVM_VHT_VBS_MEASUREMENT, &vbs, sizeof(vbs), -1, NULL, 0, 0);
	/* Optional unknowns: one in the directive range, one outside any. */
	CHECK(igvm_writer_add_header(w, IGVM_VHT_OPTIONAL | 0x3ee, opt_body, 3));
	expect_hdr(IGVM_VHT_OPTIONAL | 0x3ee, opt_body, 3, -1, NULL, 0, 0);
	CHECK(igvm_writer_add_header(w, IGVM_VHT_OPTIONAL | 0x1234, NULL, 0));
	expect_hdr(IGVM_VHT_OPTIONAL | 0x1234, NULL, 0, -1, NULL, 0, 0);
	return w;
}

static void compare_with_expected(const uint8_t *file, size_t size)
{
	struct igvm_reader r;
	struct igvm_iter it;
	struct igvm_header h;
	size_t i = 0;

	must_read(&r, file, size);
	assert_int_equal(r.header_count, nexp);
	igvm_iter_init(&it, &r);
	while (igvm_iter_next(&it, &h)) {
		const struct expect *e = &exp_list[i];
		const uint8_t *data;
		size_t len;

		assert_int_equal(h.index, i);
		assert_int_equal(h.raw_type, e->raw_type);
		assert_int_equal(h.length, e->len);
		assert_int_equal(h.offset % 8, 0);
		if (e->off_field < 0) {
			assert_memory_equal(h.body, e->body, e->len);
		} else {
			uint32_t foff = get32(h.body + e->off_field);

			assert_memory_equal(h.body, e->body, (size_t)e->off_field);
			assert_memory_equal(h.body + e->off_field + 4, e->body + e->off_field + 4,
					    e->len - e->off_field - 4);
			assert_int_equal(igvm_reader_file_data(&r, &h, &data, &len), HUSK_OK);
			if (!e->data) {
				assert_int_equal(foff, 0);
				assert_null(data);
				assert_int_equal(len, 0);
			} else {
				assert_true(foff >= r.data_offset);
				assert_int_equal(len, e->data_size);
				assert_memory_equal(data, e->data, e->data_len);
				for (size_t k = e->data_len; k < len; k++)
					assert_int_equal(data[k], 0);
			}
		}
		i++;
	}
	assert_int_equal(i, nexp);
}

static void test_roundtrip_all_types(void **state)
{
	struct igvm_writer *w = build_all_types();
	uint8_t *file;
	size_t size;

	file = finish_copy(w, &size);
	igvm_writer_destroy(w);
	compare_with_expected(file, size);
	free(file);
}

static void test_roundtrip_v2(void **state)
{
	struct igvm_writer *w = new_writer(IGVM_FORMAT_VERSION_2);
	struct igvm_reader r;
	const uint8_t *file;
	size_t size;
	uint8_t *copy;
	struct igvm_error err;

	add_platform(w, IGVM_PLATFORM_NATIVE, NATIVE, 0, 0);
	CHECK(igvm_writer_add_page(w, 0x1000, NATIVE, 0, 0, page_b, sizeof(page_b)));
	CHECK(igvm_writer_finish(w, &file, &size));
	must_read(&r, file, size);
	assert_int_equal(r.format_version, 2);
	assert_int_equal(r.architecture, IGVM_ARCH_X64);
	assert_int_equal(r.header_offset, 32);
	assert_int_equal(get32(file + 0x1c), 4096);
	assert_int_equal(size, 32 + 24 + 32 + 4096);

	/* A v2 file with another page size is refused. */
	copy = malloc(size);
	assert_non_null(copy);
	memcpy(copy, file, size);
	put32(copy + 0x1c, 0x10000);
	assert_int_equal(igvm_reader_init(&r, copy, size, &err), HUSK_ERR_UNSUPPORTED);
	assert_non_null(strstr(err.message, "page size 0x10000"));
	free(copy);
	igvm_writer_destroy(w);
}

/* ---- layout ---------------------------------------------------------- */

static void test_layout(void **state)
{
	struct igvm_writer *w = new_writer(IGVM_FORMAT_VERSION_1);
	const uint8_t *f;
	size_t size;
	uint32_t crc, hsize;

	add_platform(w, IGVM_PLATFORM_SEV_SNP, SNP, 0, 0);
	CHECK(igvm_writer_add_page(w, 0x1000, SNP, 0, 0, NULL, 0));
	CHECK(igvm_writer_add_vp_context(w, VMSA_GPA, SNP, 0, vmsa, 512));
	CHECK(igvm_writer_finish(w, &f, &size));

	/* platform 8+16, page 8+24, vp context 8+20+4 pad */
	hsize = 24 + 32 + 32;
	assert_int_equal(get32(f + 0), IGVM_MAGIC);
	assert_memory_equal(f, "IGVM", 4);
	assert_int_equal(get32(f + 4), 1);
	assert_int_equal(get32(f + 8), 24);
	assert_int_equal(get32(f + 12), hsize);
	assert_int_equal(get32(f + 16), size);
	assert_int_equal(size, 24 + hsize + 4096);
	/* checksum: fixed header with checksum 0, then the variable headers */
	{
		uint8_t fixed[24];

		memcpy(fixed, f, 24);
		put32(fixed + 20, 0);
		crc = husk_crc32_update(0, fixed, 24);
		crc = husk_crc32_update(crc, f + 24, hsize);
		assert_int_equal(get32(f + 20), crc);
	}
	/* platform TLV */
	assert_int_equal(get32(f + 24), IGVM_VHT_SUPPORTED_PLATFORM);
	assert_int_equal(get32(f + 28), 16);
	/* zero page: file_offset 0 */
	assert_int_equal(get32(f + 48), IGVM_VHT_PAGE_DATA);
	assert_int_equal(get32(f + 52), 24);
	assert_int_equal(get32(f + 56 + 12), 0);
	/* VP context: length 20, 4 zero pad bytes, data right after headers */
	assert_int_equal(get32(f + 80), IGVM_VHT_VP_CONTEXT);
	assert_int_equal(get32(f + 84), 20);
	assert_int_equal(get32(f + 88 + 12), 24 + hsize);
	assert_int_equal(get32(f + 88 + 20), 0);
	assert_memory_equal(f + 24 + hsize, vmsa, 512);
	for (size_t i = 512; i < 4096; i++)
		assert_int_equal(f[24 + hsize + i], 0);
	/* finish is idempotent */
	{
		const uint8_t *f2;
		size_t size2;

		CHECK(igvm_writer_finish(w, &f2, &size2));
		assert_ptr_equal(f2, f);
		assert_int_equal(size2, size);
	}
	igvm_writer_destroy(w);
}

/* ---- determinism ------------------------------------------------------ */

/* An allocator that fills fresh memory with a pattern, so that any byte the
 * writer forgets to initialise shows up as a difference between builds. */
static void *poison_resize(void *ctx, void *ptr, size_t old_size, size_t new_size)
{
	uint8_t fill = *(uint8_t *)ctx;
	uint8_t *p;

	if (new_size == 0) {
		free(ptr);
		return NULL;
	}
	p = malloc(new_size);
	if (!p)
		return NULL;
	memset(p, fill, new_size);
	if (ptr) {
		memcpy(p, ptr, HUSK_MIN(old_size, new_size));
		free(ptr);
	}
	return p;
}

static uint8_t *build_with_fill(uint8_t fill, size_t *size)
{
	struct igvm_allocator a = { poison_resize, &fill };
	struct igvm_writer *w;
	const uint8_t *f;
	uint8_t *copy;
	struct igvm_vhs_supported_platform p = plat_snp;

	assert_int_equal(igvm_writer_create(&w, &a, IGVM_FORMAT_VERSION_1), HUSK_OK);
	CHECK(igvm_writer_add_platform(w, &p));
	p = plat_native;
	CHECK(igvm_writer_add_platform(w, &p));
	CHECK(igvm_writer_add_guest_policy(w, 0x30000, SNP));
	CHECK(igvm_writer_add_parameter_area(w, 0, 0x1000, NULL, 0));
	CHECK(igvm_writer_add_parameter(w, IGVM_VHT_VP_COUNT_PARAMETER, 0, 0));
	CHECK(igvm_writer_add_parameter_insert(w, 0x5000, SNP | NATIVE, 0));
	for (uint64_t i = 0; i < 20; i++)
		CHECK(igvm_writer_add_page(w, 0x100000 + i * 4096, SNP | NATIVE, 0, 0,
					   i % 3 ? page_b : page_a, i % 3 ? 1 + i : 4096));
	CHECK(igvm_writer_add_vp_context(w, VMSA_GPA, SNP, 0, vmsa, 1000));
	CHECK(igvm_writer_add_header(w, IGVM_VHT_OPTIONAL | 0x3f0, "xyz", 3));
	CHECK(igvm_writer_finish(w, &f, size));
	copy = malloc(*size);
	assert_non_null(copy);
	memcpy(copy, f, *size);
	igvm_writer_destroy(w);
	return copy;
}

static void test_determinism(void **state)
{
	size_t s1, s2;
	uint8_t *a, *b;
	struct igvm_reader r;

	init_patterns();
	a = build_with_fill(0xa5, &s1);
	b = build_with_fill(0x5a, &s2);
	assert_int_equal(s1, s2);
	assert_memory_equal(a, b, s1);
	must_read(&r, a, s1);
	free(a);
	free(b);
}

/* ---- dedup ------------------------------------------------------------ */

static void test_dedup(void **state)
{
	struct igvm_writer *w = new_writer(IGVM_FORMAT_VERSION_1);
	uint8_t full_b[4096] = { 0 };
	const uint8_t *f;
	size_t size;
	uint32_t off[6];

	init_patterns();
	memcpy(full_b, page_b, sizeof(page_b));
	add_platform(w, IGVM_PLATFORM_SEV_SNP, SNP, 0, 0);
	CHECK(igvm_writer_add_page(w, 0x0000, SNP, 0, 0, page_a, 4096));
	CHECK(igvm_writer_add_page(w, 0x1000, SNP, 0, 0, page_b, sizeof(page_b)));
	CHECK(igvm_writer_add_page(w, 0x2000, SNP, 0, 0, page_a, 4096));   /* = #1 */
	CHECK(igvm_writer_add_page(w, 0x3000, SNP, 0, 0, full_b, 4096));   /* = #2 padded */
	CHECK(igvm_writer_add_page(w, 0x4000, SNP, 0, 0, page_b, 99));     /* differs */
	CHECK(igvm_writer_add_vp_context(w, VMSA_GPA, SNP, 0, page_a, 4096)); /* = #1 */
	CHECK(igvm_writer_finish(w, &f, &size));
	for (uint32_t i = 0; i < 6; i++) {
		struct igvm_header h = nth_header(f, size, i + 1);

		off[i] = get32(h.body + 12);
	}
	assert_int_equal(off[0], off[2]);
	assert_int_equal(off[1], off[3]);
	assert_int_equal(off[0], off[5]);
	assert_int_not_equal(off[0], off[1]);
	assert_int_not_equal(off[1], off[4]);
	/* three distinct pages stored */
	assert_int_equal(size, get32(f + 8) + get32(f + 12) + 3 * 4096);
	igvm_writer_destroy(w);
}

/* ---- writer refusals -------------------------------------------------- */

#define WRITER_FAILS(call, code, substr)                                          \
	do {                                                                      \
		int rc_ = (call);                                                 \
		if (rc_ != (code))                                                \
			fail_msg("%s returned %d, expected %d (%s)", #call, rc_, code, \
				 igvm_writer_error(w));                          \
		if (!strstr(igvm_writer_error(w), substr))                        \
			fail_msg("%s: message '%s' lacks '%s'", #call,            \
				 igvm_writer_error(w), substr);                   \
	} while (0)

static void test_writer_ordering(void **state)
{
	struct igvm_writer *w = new_writer(IGVM_FORMAT_VERSION_1);
	struct igvm_vhs_supported_platform p = plat_native;
	struct igvm_reader r;
	const uint8_t *f;
	size_t size;

	add_platform(w, IGVM_PLATFORM_SEV_SNP, SNP, 0, 0);
	CHECK(igvm_writer_add_guest_policy(w, 0x30000, SNP));
	WRITER_FAILS(igvm_writer_add_platform(w, &p), HUSK_ERR_FORMAT,
		     "header #2 (SUPPORTED_PLATFORM) at offset 0x48: platform header after the "
		     "initialization section");
	CHECK(igvm_writer_add_page(w, 0x1000, SNP, 0, 0, NULL, 0));
	WRITER_FAILS(igvm_writer_add_guest_policy(w, 1, SNP), HUSK_ERR_FORMAT,
		     "initialization header after the directive section");
	WRITER_FAILS(igvm_writer_add_platform(w, &p), HUSK_ERR_FORMAT,
		     "platform header after the directive section");
	/* The refused calls left no trace. */
	CHECK(igvm_writer_add_page(w, 0x2000, SNP, 0, 0, NULL, 0));
	CHECK(igvm_writer_finish(w, &f, &size));
	must_read(&r, f, size);
	assert_int_equal(r.header_count, 4);
	assert_int_equal(size, 24 + 24 + 24 + 2 * 32);
	igvm_writer_destroy(w);
}

static void test_writer_refusals(void **state)
{
	struct igvm_writer *w = new_writer(IGVM_FORMAT_VERSION_1);
	struct igvm_vhs_supported_platform p = plat_snp;
	uint8_t big[4097] = { 0 };
	const uint8_t *f;
	size_t size;

	WRITER_FAILS(igvm_writer_finish(w, &f, &size), HUSK_ERR_FORMAT,
		     "no SUPPORTED_PLATFORM header");
	p.compatibility_mask = 3;
	WRITER_FAILS(igvm_writer_add_platform(w, &p), HUSK_ERR_FORMAT, "exactly one bit");
	add_platform(w, IGVM_PLATFORM_SEV_SNP, SNP, 0, 0);
	p = plat_native;
	p.compatibility_mask = SNP;
	WRITER_FAILS(igvm_writer_add_platform(w, &p), HUSK_ERR_FORMAT, "already belongs");
	p = plat_snp;
	p.compatibility_mask = NATIVE;
	WRITER_FAILS(igvm_writer_add_platform(w, &p), HUSK_ERR_FORMAT, "SEV_SNP declared twice");
	p = plat_native;
	p.shared_gpa_boundary = 1ull << 40;
	WRITER_FAILS(igvm_writer_add_platform(w, &p), HUSK_ERR_FORMAT, "must be 0 for NATIVE");
	p = plat_native;
	p.highest_vtl = 1;
	WRITER_FAILS(igvm_writer_add_platform(w, &p), HUSK_ERR_FORMAT, "highest_vtl 1");
	add_platform(w, IGVM_PLATFORM_TDX, TDX, 0, 0);

	WRITER_FAILS(igvm_writer_add_page(w, 0x1000, NATIVE, 0, 0, NULL, 0), HUSK_ERR_FORMAT,
		     "names undeclared platforms 0x2");
	WRITER_FAILS(igvm_writer_add_page(w, 0x1000, 0, 0, 0, NULL, 0), HUSK_ERR_FORMAT,
		     "compatibility mask is 0");
	WRITER_FAILS(igvm_writer_add_page(w, 0x1800, SNP, 0, 0, NULL, 0), HUSK_ERR_ALIGN,
		     "GPA 0x1800 is not 4 KiB aligned");
	WRITER_FAILS(igvm_writer_add_page(w, 0x1000, SNP, 0, 0, big, sizeof(big)), HUSK_ERR_INVAL,
		     "4097 bytes");
	WRITER_FAILS(igvm_writer_add_page(w, 0x200000, SNP, IGVM_PAGE_DATA_FLAG_2MB, 0, big, 1),
		     HUSK_ERR_UNSUPPORTED, "2 MiB");
	WRITER_FAILS(igvm_writer_add_page(w, 0x1000, SNP, IGVM_PAGE_DATA_FLAG_2MB, 0, NULL, 0),
		     HUSK_ERR_ALIGN, "not 2 MiB aligned");
	WRITER_FAILS(igvm_writer_add_page(w, 0x1000, SNP, 0x8, 0, NULL, 0), HUSK_ERR_FORMAT,
		     "unknown flags 0x8");
	WRITER_FAILS(igvm_writer_add_page(w, 0x1000, SNP, 0, 9, NULL, 0), HUSK_ERR_FORMAT,
		     "unknown data type 9");
	WRITER_FAILS(igvm_writer_add_page(w, 0xfffffffffffff000ull, SNP, 0, 0, NULL, 0),
		     HUSK_OK, "");
	WRITER_FAILS(igvm_writer_add_parameter(w, IGVM_VHT_VP_COUNT_PARAMETER, 1, 0),
		     HUSK_ERR_FORMAT, "parameter area 1 is not declared");
	WRITER_FAILS(igvm_writer_add_parameter(w, IGVM_VHT_PAGE_DATA, 1, 0), HUSK_ERR_INVAL,
		     "not a parameter type");
	WRITER_FAILS(igvm_writer_add_parameter_area(w, 1, 0x1800, NULL, 0), HUSK_ERR_ALIGN,
		     "not a non-zero multiple of 4 KiB");
	CHECK(igvm_writer_add_parameter_area(w, 1, 0x1000, NULL, 0));
	WRITER_FAILS(igvm_writer_add_parameter_area(w, 1, 0x1000, NULL, 0), HUSK_ERR_FORMAT,
		     "parameter area 1 declared twice");
	WRITER_FAILS(igvm_writer_add_parameter(w, IGVM_VHT_VP_COUNT_PARAMETER, 1, 0xffe),
		     HUSK_ERR_RANGE, "byte offset 0xffe+4 beyond parameter area 1");
	CHECK(igvm_writer_add_parameter(w, IGVM_VHT_VP_COUNT_PARAMETER, 1, 0xffc));
	CHECK(igvm_writer_add_parameter_insert(w, 0x10000, SNP, 1));
	WRITER_FAILS(igvm_writer_add_parameter_insert(w, 0x20000, SNP, 1), HUSK_ERR_FORMAT,
		     "already inserted");
	WRITER_FAILS(igvm_writer_add_parameter(w, IGVM_VHT_COMMAND_LINE, 1, 0), HUSK_ERR_FORMAT,
		     "used after its PARAMETER_INSERT");
	WRITER_FAILS(igvm_writer_add_vp_context(w, 0, TDX, 0, vmsa, 4096), HUSK_ERR_FORMAT,
		     "not allowed for TDX");
	WRITER_FAILS(igvm_writer_add_vp_context(w, 0, SNP | TDX, 0, vmsa, 4096), HUSK_ERR_FORMAT,
		     "exactly one platform");
	WRITER_FAILS(igvm_writer_add_vp_context(w, 0x123, SNP, 0, vmsa, 4096), HUSK_ERR_ALIGN,
		     "VMSA GPA 0x123");
	WRITER_FAILS(igvm_writer_add_vp_context(w, VMSA_GPA, SNP, 0, NULL, 0), HUSK_ERR_INVAL,
		     "needs data");
	WRITER_FAILS(igvm_writer_add_required_memory(w, 0x1000, SNP, 0x1001, 0), HUSK_ERR_ALIGN,
		     "size 0x1001");
	WRITER_FAILS(igvm_writer_add_required_memory(w, 0x1000, SNP, 0x1000, 2), HUSK_ERR_FORMAT,
		     "unknown flags 0x2");
	WRITER_FAILS(igvm_writer_add_header(w, IGVM_VHT_PAGE_DATA, big, 24), HUSK_ERR_INVAL,
		     "carries file data");
	WRITER_FAILS(igvm_writer_add_header(w, 0x3ff, big, 8), HUSK_ERR_UNSUPPORTED,
		     "unknown header type 0x3ff is not marked optional");
	WRITER_FAILS(igvm_writer_add_header(w, IGVM_VHT_SNP_ID_BLOCK, big, 100), HUSK_ERR_FORMAT,
		     "body of 100 bytes is shorter than the 696-byte structure");
	WRITER_FAILS(igvm_writer_add_header(w, IGVM_VHT_RESERVED_306, big, 8),
		     HUSK_ERR_UNSUPPORTED, "type 0x306");
	CHECK(igvm_writer_finish(w, &f, &size));
	WRITER_FAILS(igvm_writer_add_page(w, 0x1000, SNP, 0, 0, NULL, 0), HUSK_ERR_INVAL,
		     "finished");
	igvm_writer_destroy(w);
}

/* ---- allocation failure ------------------------------------------------ */

struct fail_ctx {
	int allowed;  /* growing calls left; < 0 = unlimited */
	int live;     /* blocks currently allocated */
	int retries;  /* adds that failed with NOMEM and were retried */
};

static void *failing_resize(void *ctx, void *ptr, size_t old_size, size_t new_size)
{
	struct fail_ctx *c = ctx;
	void *p;

	if (new_size == 0) {
		if (ptr)
			c->live--;
		free(ptr);
		return NULL;
	}
	if (c->allowed == 0)
		return NULL;
	if (c->allowed > 0)
		c->allowed--;
	p = realloc(ptr, new_size);
	if (p && !ptr)
		c->live++;
	return p;
}

/* In flaky mode every add first runs with allocation failing; if that gives
 * NOMEM, the same add is retried with allocation working. */
#define STEP(call)                                                              \
	do {                                                                    \
		if (rc)                                                         \
			break;                                                  \
		if (flaky)                                                      \
			c->allowed = 0;                                         \
		rc = (call);                                                    \
		if (flaky && rc == HUSK_ERR_NOMEM) {                            \
			assert_non_null(strstr(igvm_writer_error(w), "out of memory")); \
			c->retries++;                                           \
			c->allowed = -1;                                        \
			rc = (call);                                            \
		}                                                               \
		if (flaky)                                                      \
			c->allowed = -1;                                        \
	} while (0)

/* Builds a file with the allocator failing after `allowed` calls (or flaky);
 * returns the first error, or 0 with the file copied to *out. */
static int build_limited(int allowed, bool flaky, uint8_t **out, size_t *size,
			 struct fail_ctx *c)
{
	struct igvm_allocator a = { failing_resize, c };
	struct igvm_vhs_supported_platform p = plat_snp;
	struct igvm_writer *w;
	const uint8_t *f;
	int rc;

	c->allowed = allowed;
	c->live = 0;
	c->retries = 0;
	*out = NULL;
	rc = igvm_writer_create(&w, &a, IGVM_FORMAT_VERSION_1);
	if (rc)
		return rc;
	STEP(igvm_writer_add_platform(w, &p));
	for (uint64_t i = 0; i < 300; i++)
		STEP(igvm_writer_add_page(w, i * 4096, SNP, 0, 0, page_a, 1 + i % 50));
	STEP(igvm_writer_add_parameter_area(w, 0, 0x3000, area_init, sizeof(area_init)));
	STEP(igvm_writer_add_header(w, IGVM_VHT_OPTIONAL | 0x3f0, page_a, 2000));
	STEP(igvm_writer_finish(w, &f, size));
	if (!rc) {
		*out = malloc(*size);
		assert_non_null(*out);
		memcpy(*out, f, *size);
	}
	igvm_writer_destroy(w);
	assert_int_equal(c->live, 0);
	return rc;
}

static void test_alloc_failure(void **state)
{
	struct fail_ctx c;
	uint8_t *ref, *file;
	size_t ref_size, size;
	int rc, n;

	init_patterns();
	assert_int_equal(build_limited(-1, false, &ref, &ref_size, &c), HUSK_OK);
	for (n = 0;; n++) {
		rc = build_limited(n, false, &file, &size, &c);
		if (rc == HUSK_OK)
			break;
		assert_int_equal(rc, HUSK_ERR_NOMEM);
		assert_true(n < 1000);
	}
	assert_true(n > 3);
	assert_int_equal(size, ref_size);
	assert_memory_equal(file, ref, size);
	free(file);

	/* A failed add leaves the writer as it was: retrying it builds the
	 * same file as never failing. */
	assert_int_equal(build_limited(-1, true, &file, &size, &c), HUSK_OK);
	assert_true(c.retries > 3);
	assert_int_equal(size, ref_size);
	assert_memory_equal(file, ref, size);
	free(file);
	free(ref);
}

/* ---- copy through the reader ------------------------------------------- */

static void test_copy_from_reader(void **state)
{
	struct igvm_writer *w = build_all_types(), *w2;
	struct igvm_reader r, r2;
	struct igvm_iter it;
	struct igvm_header h;
	struct igvm_vhs_snp_id_block idb;
	uint8_t *orig;
	const uint8_t *copy;
	size_t size, copy_size;

	orig = finish_copy(w, &size);
	igvm_writer_destroy(w);
	must_read(&r, orig, size);

	/* Rewriting every header gives the same bytes. */
	w2 = new_writer(IGVM_FORMAT_VERSION_1);
	igvm_iter_init(&it, &r);
	while (igvm_iter_next(&it, &h))
		if (igvm_writer_add_from_reader(w2, &r, &h))
			fail_msg("copy #%u: %s", h.index, igvm_writer_error(w2));
	assert_int_equal(igvm_writer_finish(w2, &copy, &copy_size), HUSK_OK);
	assert_int_equal(copy_size, size);
	assert_memory_equal(copy, orig, size);
	igvm_writer_destroy(w2);

	/* ... and appending an ID block (what `sign` will do) keeps the rest. */
	w2 = new_writer(IGVM_FORMAT_VERSION_1);
	igvm_iter_init(&it, &r);
	while (igvm_iter_next(&it, &h))
		assert_int_equal(igvm_writer_add_from_reader(w2, &r, &h), HUSK_OK);
	memset(&idb, 0, sizeof(idb));
	idb.compatibility_mask = SNP;
	idb.ld[0] = 0xaa;
	assert_int_equal(igvm_writer_add_snp_id_block(w2, &idb), HUSK_OK);
	assert_int_equal(igvm_writer_finish(w2, &copy, &copy_size), HUSK_OK);
	must_read(&r2, copy, copy_size);
	assert_int_equal(r2.header_count, r.header_count + 1);
	expect_hdr(IGVM_VHT_SNP_ID_BLOCK, &idb, sizeof(idb), -1, NULL, 0, 0);
	compare_with_expected(copy, copy_size);
	igvm_writer_destroy(w2);
	free(orig);
}

/* ---- reader helpers ----------------------------------------------------- */

static void test_reader_helpers(void **state)
{
	struct igvm_writer *w = build_all_types();
	struct igvm_reader r;
	struct igvm_iter it;
	struct igvm_header h;
	struct igvm_vhs_supported_platform p;
	struct igvm_vhs_page_data pd;
	struct igvm_vhs_parameter prm;
	uint8_t *file;
	size_t size;
	unsigned n_snp = 0, n_native = 0, n_unknown = 0, n_params = 0;

	file = finish_copy(w, &size);
	igvm_writer_destroy(w);
	must_read(&r, file, size);

	assert_int_equal(r.platform_mask, SNP | NATIVE | VSM | TDX);
	assert_int_equal(igvm_reader_platform_mask(&r, IGVM_PLATFORM_SEV_SNP), SNP);
	assert_int_equal(igvm_reader_platform_mask(&r, IGVM_PLATFORM_NATIVE), NATIVE);
	assert_int_equal(igvm_reader_platform_mask(&r, IGVM_PLATFORM_TDX), TDX);
	assert_int_equal(igvm_reader_platform_mask(&r, IGVM_PLATFORM_SEV), 0);
	assert_int_equal(igvm_reader_platform(&r, IGVM_PLATFORM_SEV_SNP, &p), HUSK_OK);
	assert_int_equal(p.highest_vtl, 2);
	assert_int_equal(p.shared_gpa_boundary, 1ull << 46);
	assert_int_equal(igvm_reader_platform(&r, IGVM_PLATFORM_CCA, &p), HUSK_ERR_NOTFOUND);
	{
		struct igvm_vhs_parameter_area pa;
		const uint8_t *d;
		size_t len;

		assert_int_equal(igvm_reader_find_parameter_area(&r, 9, &h), HUSK_OK);
		assert_int_equal(igvm_header_parameter_area(&h, &pa), HUSK_OK);
		assert_int_equal(pa.number_of_bytes, 0x1000);
		assert_int_equal(igvm_reader_file_data(&r, &h, &d, &len), HUSK_OK);
		assert_int_equal(len, 0x1000);
		assert_memory_equal(d, area_init, sizeof(area_init));
		assert_int_equal(igvm_reader_find_parameter_area(&r, 8, &h), HUSK_ERR_NOTFOUND);
	}

	igvm_iter_init(&it, &r);
	while (igvm_iter_next(&it, &h)) {
		if (igvm_header_applies(&h, SNP))
			n_snp++;
		if (igvm_header_applies(&h, NATIVE))
			n_native++;
		if (!h.known) {
			n_unknown++;
			assert_true(h.optional);
			assert_null(igvm_header_type_name(h.type));
		} else {
			assert_non_null(igvm_header_type_name(h.type));
		}
		if (igvm_type_is_parameter(h.type)) {
			assert_int_equal(igvm_header_parameter(&h, &prm), HUSK_OK);
			n_params++;
		} else {
			assert_int_equal(igvm_header_parameter(&h, &prm), HUSK_ERR_INVAL);
		}
		if (h.type == IGVM_VHT_PAGE_DATA) {
			const uint8_t *d;
			size_t len;

			assert_int_equal(igvm_header_page_data(&h, &pd), HUSK_OK);
			assert_int_equal(igvm_reader_page_data(&r, &h, &d, &len), HUSK_OK);
			assert_int_equal(h.section, IGVM_SECTION_DIRECTIVE);
		} else {
			const uint8_t *d;
			size_t len;

			assert_int_equal(igvm_header_page_data(&h, &pd), HUSK_ERR_INVAL);
			assert_int_equal(igvm_reader_page_data(&r, &h, &d, &len), HUSK_ERR_INVAL);
		}
	}
	assert_int_equal(n_unknown, 3);
	assert_int_equal(n_params, 11);
	/* without mask: 3 unknown + 2 areas + 11 params; SNP-masked: 1 platform,
	 * policy, 2 inserts, 4 pages, required memory, VMSA, error range, ID block */
	assert_int_equal(n_snp, 16 + 12);
	assert_int_equal(n_native, 16 + 1 + 2 + 2 + 1 + 1);
	assert_string_equal(igvm_platform_type_name(IGVM_PLATFORM_SEV_SNP), "SEV_SNP");
	assert_null(igvm_platform_type_name(7));
	assert_int_equal(igvm_type_section(IGVM_VHT_GUEST_POLICY), IGVM_SECTION_INITIALIZATION);
	assert_int_equal(igvm_type_section(IGVM_VHT_OPTIONAL | 0x250), IGVM_SECTION_NONE);
	free(file);
}

/* ---- the reader's corpus of broken files --------------------------------- */

/* A valid base file: #0 SNP, #1 NATIVE, #2 policy, #3 area 0, #4 VP count,
 * #5 insert, #6 page with data, #7 zero page, #8 VMSA. */
static uint8_t *base_file(size_t *size)
{
	struct igvm_writer *w = new_writer(IGVM_FORMAT_VERSION_1);
	uint8_t *f;

	init_patterns();
	add_platform(w, IGVM_PLATFORM_SEV_SNP, SNP, 0, 0);
	add_platform(w, IGVM_PLATFORM_NATIVE, NATIVE, 0, 0);
	CHECK(igvm_writer_add_guest_policy(w, 0x30000, SNP));
	CHECK(igvm_writer_add_parameter_area(w, 0, 0x1000, NULL, 0));
	CHECK(igvm_writer_add_parameter(w, IGVM_VHT_VP_COUNT_PARAMETER, 0, 0));
	CHECK(igvm_writer_add_parameter_insert(w, 0x10000, SNP | NATIVE, 0));
	CHECK(igvm_writer_add_page(w, 0x100000, SNP | NATIVE, 0, 0, "hello", 5));
	CHECK(igvm_writer_add_page(w, 0x101000, SNP | NATIVE, 0, 0, NULL, 0));
	CHECK(igvm_writer_add_vp_context(w, VMSA_GPA, SNP, 0, vmsa, sizeof(vmsa)));
	f = finish_copy(w, size);
	igvm_writer_destroy(w);
	return f;
}

enum fixup { NO_CRC, FIX_CRC };

static void expect_reject(const uint8_t *file, size_t size, int code, const char *substr,
			  const char *name)
{
	struct igvm_reader r;
	struct igvm_error err;
	int rc = igvm_reader_init(&r, file, size, &err);

	if (rc != code)
		fail_msg("%s: got %d (%s), expected %d", name, rc, err.message, code);
	assert_int_equal(err.code, code);
	if (!strstr(err.message, substr))
		fail_msg("%s: message '%s' lacks '%s'", name, err.message, substr);
	/* A failed init leaves nothing to iterate. */
	{
		struct igvm_iter it;
		struct igvm_header h;

		igvm_iter_init(&it, &r);
		assert_false(igvm_iter_next(&it, &h));
	}
}

static void test_reader_corpus(void **state)
{
	size_t size;
	uint8_t *base = base_file(&size), *f = malloc(size + 64);
	struct igvm_header h3, h4, h6, h8;
	struct igvm_reader r;
	struct igvm_error err;
	char want[200];

	assert_non_null(f);
	h3 = nth_header(base, size, 3);
	h4 = nth_header(base, size, 4);
	h6 = nth_header(base, size, 6);
	h8 = nth_header(base, size, 8);

#define MUTATE(fix, code, substr, ...)                                          \
	do {                                                                    \
		memcpy(f, base, size);                                          \
		__VA_ARGS__;                                                    \
		if ((fix) == FIX_CRC)                                           \
			refresh_crc(f);                                         \
		expect_reject(f, size, code, substr, #__VA_ARGS__);            \
	} while (0)

	must_read(&r, base, size);
	MUTATE(NO_CRC, HUSK_ERR_FORMAT, "bad magic 0x4d564748", f[0] = 'H');
	MUTATE(NO_CRC, HUSK_ERR_UNSUPPORTED, "unsupported format version 3", put32(f + 4, 3));
	MUTATE(NO_CRC, HUSK_ERR_FORMAT, "bad checksum", f[h6.offset + 8] ^= 1);
	MUTATE(NO_CRC, HUSK_ERR_FORMAT, "bad checksum", put32(f + 20, get32(f + 20) + 1));
	MUTATE(NO_CRC, HUSK_ERR_ALIGN, "not 8-byte aligned", put32(f + 8, 28));
	MUTATE(NO_CRC, HUSK_ERR_ALIGN, "not 8-byte aligned", put32(f + 12, get32(f + 12) - 4));
	MUTATE(NO_CRC, HUSK_ERR_FORMAT, "inside the 24-byte fixed header", put32(f + 8, 16));
	MUTATE(NO_CRC, HUSK_ERR_RANGE, "beyond end of file",
	       put32(f + 12, (uint32_t)size));
	MUTATE(FIX_CRC, HUSK_ERR_FORMAT, "TLV overruns the variable header section",
	       put32(f + h8.offset + 4, 0x100));
	MUTATE(FIX_CRC, HUSK_ERR_FORMAT, "padding byte at offset",
	       f[h8.offset + 8 + 21] = 1);
	MUTATE(FIX_CRC, HUSK_ERR_FORMAT, "shorter than the 24-byte structure",
	       put32(f + h6.offset + 4, 16));
	MUTATE(FIX_CRC, HUSK_ERR_RANGE, "starts inside the headers",
	       put32(f + h6.offset + 8 + 12, 24));
	MUTATE(FIX_CRC, HUSK_ERR_RANGE, "beyond end of file",
	       put32(f + h8.offset + 8 + 12, (uint32_t)size - 100));
	MUTATE(FIX_CRC, HUSK_ERR_FORMAT, "exactly one bit set", put32(f + 24 + 8, 0x3));
	MUTATE(FIX_CRC, HUSK_ERR_FORMAT, "names undeclared platforms 0x4",
	       put32(f + h6.offset + 8 + 8, SNP | 0x4));
	MUTATE(FIX_CRC, HUSK_ERR_FORMAT, "compatibility mask is 0", put32(f + h6.offset + 16, 0));
	MUTATE(FIX_CRC, HUSK_ERR_UNSUPPORTED,
	       "header #6 (type 0x3ff) at offset 0x",
	       put32(f + h6.offset, 0x3ff));
	MUTATE(FIX_CRC, HUSK_ERR_UNSUPPORTED, "unknown header type 0x3ff is not marked optional",
	       put32(f + h6.offset, 0x3ff));
	MUTATE(FIX_CRC, HUSK_ERR_FORMAT, "platform header after the initialization section",
	       put32(f + h3.offset, IGVM_VHT_SUPPORTED_PLATFORM));
	MUTATE(FIX_CRC, HUSK_ERR_ALIGN, "GPA 0x100800 is not 4 KiB aligned",
	       put64(f + h6.offset + 8, 0x100800));
	MUTATE(FIX_CRC, HUSK_ERR_FORMAT, "unknown data type 4", f[h6.offset + 8 + 0x14] = 4);
	MUTATE(FIX_CRC, HUSK_ERR_FORMAT, "reserved field is 0x1", f[h6.offset + 8 + 0x16] = 1);
	MUTATE(FIX_CRC, HUSK_ERR_FORMAT, "parameter area 5 is not declared",
	       put32(f + h4.offset + 8, 5));
	MUTATE(FIX_CRC, HUSK_ERR_RANGE, "beyond parameter area 0",
	       put32(f + h4.offset + 12, 0x1000));
	MUTATE(FIX_CRC, HUSK_ERR_UNSUPPORTED, "platform version 2",
	       f[24 + 8 + 6] = 2);
	MUTATE(FIX_CRC, HUSK_ERR_UNSUPPORTED, "unknown platform type 0x9",
	       f[24 + 8 + 5] = 9);

	/* The full message a `check` prints. */
	memcpy(f, base, size);
	put32(f + h6.offset + 8 + 12, (uint32_t)size - 0x800);
	refresh_crc(f);
	snprintf(want, sizeof(want),
		 "header #6 (PAGE_DATA) at offset 0x%x: file data 0x%zx+4096 beyond end of file "
		 "(size 0x%zx)", h6.offset, size - 0x800, size);
	assert_int_equal(igvm_reader_init(&r, f, size, &err), HUSK_ERR_RANGE);
	assert_string_equal(err.message, want);
	assert_int_equal(err.header_index, 6);
	assert_int_equal(err.offset, h6.offset);

	/* Truncated and over-long files. */
	expect_reject(base, size - 1, HUSK_ERR_FORMAT, "does not match the file size", "cut 1");
	expect_reject(base, 10, HUSK_ERR_FORMAT, "too small for the 24-byte fixed header", "tiny");
	memcpy(f, base, size);
	f[size] = 0;
	expect_reject(f, size + 1, HUSK_ERR_FORMAT, "does not match the file size", "long");
	expect_reject(NULL, 0, HUSK_ERR_FORMAT, "too small", "empty");

	/* An unknown type with the optional bit is skipped, not rejected. */
	memcpy(f, base, size);
	put32(f + h4.offset, IGVM_VHT_OPTIONAL | 0x3ff);
	refresh_crc(f);
	must_read(&r, f, size);

	free(f);
	free(base);
}

/* Files the writer cannot make: assembled by hand. */
static void test_reader_raw_cases(void **state)
{
	uint8_t buf[8192];
	size_t n;
	struct igvm_vhs_page_data pd = { 0x1000, SNP, 0, 0, 0, 0 };
	struct igvm_vhs_guest_policy gp = { 1, SNP, 0 };
	struct igvm_vhs_supported_platform tdx = { TDX, 0, IGVM_PLATFORM_TDX, 1, 0 };
	struct igvm_vhs_vp_context vp = { 0, TDX, 0, 0, 0 };
	struct igvm_reader r;

	{
		const struct raw_hdr h[] = {
			{ IGVM_VHT_SUPPORTED_PLATFORM, 16, &plat_snp },
			{ IGVM_VHT_PAGE_DATA, 24, &pd },
			{ IGVM_VHT_SUPPORTED_PLATFORM, 16, &plat_native },
		};

		n = raw_file(buf, h, 3, NULL, 0);
		expect_reject(buf, n, HUSK_ERR_FORMAT,
			      "header #2 (SUPPORTED_PLATFORM) at offset 0x50: platform header after "
			      "the directive section", "platform after directive");
	}
	{
		const struct raw_hdr h[] = {
			{ IGVM_VHT_SUPPORTED_PLATFORM, 16, &plat_snp },
			{ IGVM_VHT_PAGE_DATA, 24, &pd },
			{ IGVM_VHT_GUEST_POLICY, 16, &gp },
		};

		n = raw_file(buf, h, 3, NULL, 0);
		expect_reject(buf, n, HUSK_ERR_FORMAT,
			      "initialization header after the directive section", "init after dir");
	}
	{
		const struct raw_hdr h[] = {
			{ IGVM_VHT_PAGE_DATA, 24, &pd },
		};

		n = raw_file(buf, h, 1, NULL, 0);
		expect_reject(buf, n, HUSK_ERR_FORMAT, "names undeclared platforms", "no platform");
		n = raw_file(buf, h, 0, NULL, 0);
		expect_reject(buf, n, HUSK_ERR_FORMAT, "no SUPPORTED_PLATFORM header", "empty");
	}
	{
		const struct raw_hdr h[] = {
			{ IGVM_VHT_SUPPORTED_PLATFORM, 16, &tdx },
			{ IGVM_VHT_VP_CONTEXT, 20, &vp },
		};

		n = raw_file(buf, h, 2, NULL, 0);
		expect_reject(buf, n, HUSK_ERR_FORMAT, "not allowed for TDX", "tdx vp");
	}
	{
		struct igvm_vhs_supported_platform snp2 = plat_snp;
		const struct raw_hdr h[] = {
			{ IGVM_VHT_SUPPORTED_PLATFORM, 16, &plat_snp },
			{ IGVM_VHT_SUPPORTED_PLATFORM, 16, &snp2 },
		};

		snp2.compatibility_mask = NATIVE;
		n = raw_file(buf, h, 2, NULL, 0);
		expect_reject(buf, n, HUSK_ERR_FORMAT, "SEV_SNP declared twice", "dup type");
	}
	{
		/* VP context for SNP with no file data, and with file data in range. */
		struct igvm_vhs_vp_context v = { VMSA_GPA, SNP, 0, 0, 0 };
		const struct raw_hdr h[] = {
			{ IGVM_VHT_SUPPORTED_PLATFORM, 16, &plat_snp },
			{ IGVM_VHT_VP_CONTEXT, 20, &v },
		};

		n = raw_file(buf, h, 2, NULL, 0);
		expect_reject(buf, n, HUSK_ERR_FORMAT, "no file data", "vp no data");
		v.file_offset = raw_data_start(h, 2);
		n = raw_file(buf, h, 2, vmsa, 4096);
		must_read(&r, buf, n);
		n = raw_file(buf, h, 2, vmsa, 4095);
		expect_reject(buf, n, HUSK_ERR_RANGE, "+4096 beyond end of file", "short vmsa");
	}
	{
		/* A body longer than the structure is accepted (room to grow). */
		uint8_t longer[32] = { 0 };
		const struct raw_hdr h[] = {
			{ IGVM_VHT_SUPPORTED_PLATFORM, 16, &plat_snp },
			{ IGVM_VHT_PAGE_DATA, 28, longer },
		};

		memcpy(longer, &pd, sizeof(pd));
		n = raw_file(buf, h, 2, NULL, 0);
		must_read(&r, buf, n);
	}
	{
		/* Too many parameter areas for husk's fixed table. */
		struct igvm_vhs_parameter_area pa[IGVM_MAX_PARAMETER_AREAS + 1];
		struct raw_hdr h[IGVM_MAX_PARAMETER_AREAS + 2];

		h[0] = (struct raw_hdr){ IGVM_VHT_SUPPORTED_PLATFORM, 16, &plat_snp };
		for (uint32_t i = 0; i <= IGVM_MAX_PARAMETER_AREAS; i++) {
			pa[i] = (struct igvm_vhs_parameter_area){ 0x1000, i, 0 };
			h[i + 1] = (struct raw_hdr){ IGVM_VHT_PARAMETER_AREA, 16, &pa[i] };
		}
		n = raw_file(buf, h, HUSK_ARRAY_SIZE(h), NULL, 0);
		expect_reject(buf, n, HUSK_ERR_UNSUPPORTED, "more than 64 parameter areas", "areas");
		n = raw_file(buf, h, HUSK_ARRAY_SIZE(h) - 1, NULL, 0);
		must_read(&r, buf, n);
	}
}

/* ---- seed corpus for the fuzzer ------------------------------------------- */

static void write_file(const char *dir, const char *name, const uint8_t *f, size_t size)
{
	char path[512];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(f, 1, size, fp), size);
	fclose(fp);
}

static void write_corpus(void **state)
{
	const char *dir = getenv("IGVM_WRITE_CORPUS");
	struct igvm_writer *w;
	const uint8_t *f;
	uint8_t *b;
	size_t size;

	init_patterns();

	/* minimal: one platform, one zero page */
	w = new_writer(IGVM_FORMAT_VERSION_1);
	add_platform(w, IGVM_PLATFORM_NATIVE, NATIVE, 0, 0);
	CHECK(igvm_writer_add_page(w, 0xfffff000, NATIVE, 0, 0, NULL, 0));
	CHECK(igvm_writer_finish(w, &f, &size));
	write_file(dir, "minimal.igvm", f, size);
	igvm_writer_destroy(w);

	/* husk-like layout: SNP + NATIVE, policy, VMM parameter pages, image
	 * pages, VMSA */
	b = base_file(&size);
	write_file(dir, "base.igvm", b, size);
	free(b);

	w = new_writer(IGVM_FORMAT_VERSION_1);
	add_platform(w, IGVM_PLATFORM_SEV_SNP, SNP, 0, 0);
	add_platform(w, IGVM_PLATFORM_NATIVE, NATIVE, 0, 0);
	CHECK(igvm_writer_add_guest_policy(w, 0x30000, SNP));
	CHECK(igvm_writer_add_parameter_area(w, 0, 0x1000, NULL, 0));
	CHECK(igvm_writer_add_parameter(w, IGVM_VHT_VP_COUNT_PARAMETER, 0, 0));
	CHECK(igvm_writer_add_parameter(w, IGVM_VHT_ENVIRONMENT_INFO_PARAMETER, 0, 4));
	CHECK(igvm_writer_add_parameter(w, IGVM_VHT_COMMAND_LINE, 0, 0x100));
	CHECK(igvm_writer_add_parameter_area(w, 1, 0x1000, NULL, 0));
	CHECK(igvm_writer_add_parameter(w, IGVM_VHT_MEMORY_MAP, 1, 0));
	CHECK(igvm_writer_add_parameter_insert(w, 0x1121000, SNP | NATIVE, 0));
	CHECK(igvm_writer_add_parameter_insert(w, 0x1122000, SNP | NATIVE, 1));
	CHECK(igvm_writer_add_required_memory(w, 0x1000000, SNP | NATIVE, 0x800000, 0));
	CHECK(igvm_writer_add_page(w, 0x1000000, SNP | NATIVE, 0, 0, page_b, sizeof(page_b)));
	CHECK(igvm_writer_add_page(w, 0x1001000, SNP | NATIVE, 0, 0, NULL, 0));
	CHECK(igvm_writer_add_page(w, 0x1002000, SNP, 0, IGVM_PAGE_DATA_TYPE_SECRETS, NULL, 0));
	CHECK(igvm_writer_add_page(w, 0x1003000, SNP, 0, IGVM_PAGE_DATA_TYPE_CPUID_DATA, NULL,
				   0));
	CHECK(igvm_writer_add_page(w, 0xfffff000, SNP | NATIVE, 0, 0, page_b, 64));
	CHECK(igvm_writer_add_vp_context(w, VMSA_GPA, SNP, 0, vmsa, 256));
	CHECK(igvm_writer_finish(w, &f, &size));
	write_file(dir, "husk_like.igvm", f, size);
	igvm_writer_destroy(w);

	/* every type husk knows, with small data */
	w = build_all_types();
	CHECK(igvm_writer_finish(w, &f, &size));
	write_file(dir, "all_types.igvm", f, size);
	igvm_writer_destroy(w);
}

int main(void)
{
	const struct CMUnitTest corpus[] = {
		cmocka_unit_test(write_corpus),
	};
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32),
		cmocka_unit_test(test_roundtrip_all_types),
		cmocka_unit_test(test_roundtrip_v2),
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_determinism),
		cmocka_unit_test(test_dedup),
		cmocka_unit_test(test_writer_ordering),
		cmocka_unit_test(test_writer_refusals),
		cmocka_unit_test(test_alloc_failure),
		cmocka_unit_test(test_copy_from_reader),
		cmocka_unit_test(test_reader_helpers),
		cmocka_unit_test(test_reader_corpus),
		cmocka_unit_test(test_reader_raw_cases),
	};

	if (getenv("IGVM_WRITE_CORPUS"))
		return cmocka_run_group_tests_name("igvm-corpus", corpus, NULL, NULL);
	return cmocka_run_group_tests_name("igvm", tests, NULL, NULL);
}
