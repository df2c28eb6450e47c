/* Unit tests for lib/bootparams: builder page checks and VMM parameter validation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "bootparams/bootparams.h"
#include "husk/err.h"
#include "../common/bp_fixture.h"

static struct husk_boot_params bp;
static unsigned char vmm[4096];
static struct husk_memmap_entry map[HUSK_MEMMAP_MAX_ENTRIES];
static struct bp_info info;
static struct bp_error err;

static void set_vp(uint32_t n)
{
	memcpy(vmm + HUSK_VMM_VP_COUNT_OFFSET, &n, 4);
}

static int setup(void **state)
{
	bp_fixture(&bp);
	memset(vmm, 0, sizeof(vmm));
	memset(map, 0, sizeof(map));
	memset(&err, 0, sizeof(err));
	set_vp(4);
	strcpy((char *)vmm + HUSK_VMM_CMDLINE_OFFSET, "loglevel=debug");
	/* 512 MiB below the legacy hole split, like husk's launcher writes it. */
	map[0] = (struct husk_memmap_entry){ 0, 0xa0, HUSK_MEMMAP_MEMORY, 0, 0 };
	map[1] = (struct husk_memmap_entry){ 0x100, 0x20000 - 0x100, HUSK_MEMMAP_MEMORY, 0, 0 };
	return 0;
}

static int parse(void)
{
	return bp_parse_vmm(&bp, vmm, map, &info, &err);
}

#define EXPECT_FAIL(code, substr)                                       \
	do {                                                            \
		assert_int_equal(parse(), code);                        \
		if (!strstr(err.msg, substr))                           \
			fail_msg("message '%s' lacks '%s'", err.msg, substr); \
	} while (0)

static void test_valid(void **state)
{
	assert_int_equal(bp_check_boot_params(&bp, &err), HUSK_OK);
	assert_int_equal(parse(), HUSK_OK);
	assert_int_equal(info.vp_count, 4);
	assert_int_equal(info.memmap_count, 2);
	assert_int_equal(info.ram_bytes, (0xa0 + 0x20000 - 0x100) * 4096ull);
	assert_string_equal(info.cmdline, "loglevel=debug");
	assert_true(bp_range_is_ram(&info, FIX_REGION_BASE, FIX_REGION_SIZE));
	assert_true(bp_range_is_ram(&info, 0x8000, 0x1000));
	assert_false(bp_range_is_ram(&info, 0x9f000, 0x2000)); /* crosses the hole */
	assert_false(bp_range_is_ram(&info, 0x1ffff000, 0x2000)); /* beyond RAM */
	assert_false(bp_range_is_ram(&info, 0x1000, 0));
}

static void test_vp_counts(void **state)
{
	set_vp(0);
	EXPECT_FAIL(HUSK_ERR_INVAL, "0 vCPUs");
	set_vp(HUSK_MAX_CPUS + 1);
	EXPECT_FAIL(HUSK_ERR_RANGE, "at most");
	set_vp(0xffffffff);
	EXPECT_FAIL(HUSK_ERR_RANGE, "4294967295 vCPUs");
	set_vp(HUSK_MAX_CPUS);
	assert_int_equal(parse(), HUSK_OK);
	set_vp(1);
	assert_int_equal(parse(), HUSK_OK);
}

static void test_no_memory(void **state)
{
	memset(map, 0, sizeof(map));
	EXPECT_FAIL(HUSK_ERR_INVAL, "no RAM");
	map[0] = (struct husk_memmap_entry){ 0xfee00, 1, HUSK_MEMMAP_PLATFORM_RESERVED, 0, 0 };
	EXPECT_FAIL(HUSK_ERR_INVAL, "no RAM");
}

static void test_region_not_ram(void **state)
{
	map[1].page_count = 0x800; /* RAM ends at 8 MiB, husk lives at 16 MiB */
	EXPECT_FAIL(HUSK_ERR_RANGE, "is not RAM");
	/* RAM ends in the middle of husk's region */
	map[1].page_count = 0x1400 - 0x100;
	EXPECT_FAIL(HUSK_ERR_RANGE, "RAM stops at 0x1400000");
}

static void test_region_overlap_reserved(void **state)
{
	map[1].page_count = 0x1100 - 0x100;
	map[2] = (struct husk_memmap_entry){ 0x1100, 0x10, HUSK_MEMMAP_PLATFORM_RESERVED, 0, 0 };
	map[3] = (struct husk_memmap_entry){ 0x1110, 0x20000, HUSK_MEMMAP_MEMORY, 0, 0 };
	EXPECT_FAIL(HUSK_ERR_OVERLAP, "overlaps husk's region");
}

static void test_unsorted_and_overlapping(void **state)
{
	map[2] = (struct husk_memmap_entry){ 0x50, 0x10, HUSK_MEMMAP_MEMORY, 0, 0 };
	EXPECT_FAIL(HUSK_ERR_OVERLAP, "entry 2");
	map[2] = (struct husk_memmap_entry){ 0x1ffff, 0x10, HUSK_MEMMAP_MEMORY, 0, 0 };
	EXPECT_FAIL(HUSK_ERR_OVERLAP, "overlaps or precedes");
}

static void test_entry_fields(void **state)
{
	map[2] = (struct husk_memmap_entry){ 0x40000, 1, 9, 0, 0 };
	EXPECT_FAIL(HUSK_ERR_INVAL, "unknown type 9");
	map[2] = (struct husk_memmap_entry){ 0x40000, 1, 0, 0, 7 };
	EXPECT_FAIL(HUSK_ERR_INVAL, "reserved field");
	map[2] = (struct husk_memmap_entry){ 0xffffffffffff0ull, 0x20, 0, 0, 0 };
	EXPECT_FAIL(HUSK_ERR_RANGE, "beyond 2^52");
	map[2] = (struct husk_memmap_entry){ 0x40000, 0xffffffffffffffffull, 0, 0, 0 };
	EXPECT_FAIL(HUSK_ERR_RANGE, "beyond 2^52");
}

static void test_full_map_without_terminator(void **state)
{
	for (unsigned i = 0; i < HUSK_MEMMAP_MAX_ENTRIES; i++)
		map[i] = (struct husk_memmap_entry){ 0x100000 + i * 2, 1, HUSK_MEMMAP_MEMORY, 0, 0 };
	map[0] = (struct husk_memmap_entry){ 0, 0x20000, HUSK_MEMMAP_MEMORY, 0, 0 };
	assert_int_equal(parse(), HUSK_OK);
	assert_int_equal(info.memmap_count, HUSK_MEMMAP_MAX_ENTRIES);
	/* A smaller declared capacity limits what is read. */
	bp.memmap_max = 1;
	assert_int_equal(parse(), HUSK_OK);
	assert_int_equal(info.memmap_count, 1);
}

static void test_cmdline(void **state)
{
	memset(vmm + HUSK_VMM_CMDLINE_OFFSET, 'a', HUSK_VMM_CMDLINE_MAX);
	EXPECT_FAIL(HUSK_ERR_FORMAT, "not NUL-terminated");
	strcpy((char *)vmm + HUSK_VMM_CMDLINE_OFFSET, "a\x01 b");
	EXPECT_FAIL(HUSK_ERR_FORMAT, "byte 0x01 at offset 1");
	vmm[HUSK_VMM_CMDLINE_OFFSET + HUSK_VMM_CMDLINE_MAX - 2] = 'x'; /* after the NUL: ignored */
	strcpy((char *)vmm + HUSK_VMM_CMDLINE_OFFSET, "");
	assert_int_equal(parse(), HUSK_OK);
	assert_int_equal(info.cmdline[HUSK_VMM_CMDLINE_MAX - 2], 0);
}

static void test_boot_params_page(void **state)
{
	struct husk_boot_params good = bp;

#define EXPECT_BP(code, substr)                                            \
	do {                                                               \
		assert_int_equal(bp_check_boot_params(&bp, &err), code);   \
		if (!strstr(err.msg, substr))                              \
			fail_msg("message '%s' lacks '%s'", err.msg, substr); \
		bp = good;                                                 \
	} while (0)

	bp.magic = 1;
	EXPECT_BP(HUSK_ERR_FORMAT, "bad magic");
	bp.version = HUSK_BOOT_PARAMS_VERSION + 1;
	EXPECT_BP(HUSK_ERR_FORMAT, "version");
	bp.platform = 9;
	EXPECT_BP(HUSK_ERR_INVAL, "unknown platform");
	bp.region_base = 0x1000001;
	EXPECT_BP(HUSK_ERR_ALIGN, "not page aligned");
	bp.region_size = 0;
	EXPECT_BP(HUSK_ERR_ALIGN, "not page aligned");
	bp.region_base = 0xfffffffffffff000ull;
	EXPECT_BP(HUSK_ERR_RANGE, "physical address limit");
	bp.window_offset = 0x200000;
	EXPECT_BP(HUSK_ERR_RANGE, "inconsistent");
	bp.nranges = 17;
	EXPECT_BP(HUSK_ERR_RANGE, "17 ranges");
	bp.ranges[1].offset = 0x7ff000;
	EXPECT_BP(HUSK_ERR_RANGE, "outside the region");
	bp.ranges[2].offset = 0x101000;
	EXPECT_BP(HUSK_ERR_OVERLAP, "ranges 1 and 2 overlap");
	bp.ranges[3].kind = 77;
	EXPECT_BP(HUSK_ERR_INVAL, "bad kind");
	bp.pml4_offset = 0x200000;
	EXPECT_BP(HUSK_ERR_INVAL, "PML4");
	bp.region_base = 0xfff00000;
	EXPECT_BP(HUSK_ERR_RANGE, "PML4 above 4 GiB");
	bp.memmap_offset = bp.vmm_params_offset;
	EXPECT_BP(HUSK_ERR_INVAL, "VMM parameter pages");
	/* Offsets chosen so that offset + page size wraps around. */
	bp.pml4_offset = 0xfffffffffffff000ull;
	EXPECT_BP(HUSK_ERR_INVAL, "PML4");
	bp.vmm_params_offset = 0xfffffffffffff000ull;
	EXPECT_BP(HUSK_ERR_INVAL, "VMM parameter pages");
	bp.memmap_offset = 0x121800; /* inside the range, misaligned */
	EXPECT_BP(HUSK_ERR_INVAL, "VMM parameter pages");
	bp.memmap_max = 0;
	EXPECT_BP(HUSK_ERR_RANGE, "capacity");
	memset(bp.version_string, 'v', sizeof(bp.version_string));
	EXPECT_BP(HUSK_ERR_FORMAT, "version string");

	/* The payload: absent is all zero; present is page aligned, outside
	 * husk's region, and its entry lies inside it. */
	bp.payload_entry = 0x100000;
	EXPECT_BP(HUSK_ERR_INVAL, "without a payload");
	good.payload_gpa = 0x100000;
	good.payload_size = 0x4000;
	good.payload_entry = 0x100000;
	bp = good;
	assert_int_equal(bp_check_boot_params(&bp, &err), HUSK_OK);
	bp.payload_gpa = 0x100800;
	EXPECT_BP(HUSK_ERR_RANGE, "payload");
	bp.payload_size = 0x4001;
	EXPECT_BP(HUSK_ERR_RANGE, "payload");
	bp.payload_entry = 0x104000;
	EXPECT_BP(HUSK_ERR_RANGE, "payload");
	bp.payload_entry = 0xff000;
	EXPECT_BP(HUSK_ERR_RANGE, "payload");
	bp.payload_gpa = bp.region_base;
	bp.payload_entry = bp.region_base;
	EXPECT_BP(HUSK_ERR_RANGE, "payload");
	bp.payload_gpa = 0xfffffffffffff000ull;
	bp.payload_entry = bp.payload_gpa;
	EXPECT_BP(HUSK_ERR_RANGE, "payload");
	assert_int_equal(bp_check_boot_params(&bp, &err), HUSK_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_valid, setup),
		cmocka_unit_test_setup(test_vp_counts, setup),
		cmocka_unit_test_setup(test_no_memory, setup),
		cmocka_unit_test_setup(test_region_not_ram, setup),
		cmocka_unit_test_setup(test_region_overlap_reserved, setup),
		cmocka_unit_test_setup(test_unsorted_and_overlapping, setup),
		cmocka_unit_test_setup(test_entry_fields, setup),
		cmocka_unit_test_setup(test_full_map_without_terminator, setup),
		cmocka_unit_test_setup(test_cmdline, setup),
		cmocka_unit_test_setup(test_boot_params_page, setup),
	};
	return cmocka_run_group_tests_name("bootparams", tests, NULL, NULL);
}
