/* Unit tests for lib/svsm's PVALIDATE: every row of docs/svsm.md's two
 * tables, zeroing, batching (64 entries, INCOMPLETE, `next`), the single
 * read of the entries, and the page-size rules of the RMP model, against
 * the model platform. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "svsm/svsm.h"
#include "svsm_fixture.h"

#define PVAL SVSM_CALL(SVSM_PROTOCOL_CORE, SVSM_CORE_PVALIDATE)
#define V    SVSM_PVAL_VALIDATE
#define IGN  SVSM_PVAL_IGNORE_CF
#define HUGE SVSM_PVAL_SIZE_2M
#define MB   (1ull << 20)
#define LIST 0x3000ull /* a list page of its own */

static void put_list(uint64_t gpa, uint16_t n, uint16_t next, const uint64_t *e, size_t count)
{
	uint8_t hdr[8] = { (uint8_t)n, (uint8_t)(n >> 8), (uint8_t)next, (uint8_t)(next >> 8) };

	svsm_model_poke(m, gpa, hdr, sizeof(hdr));
	for (size_t i = 0; i < count; i++)
		svsm_model_poke64(m, gpa + 8 + 8 * i, e[i]);
}

static uint16_t next_of(uint64_t gpa)
{
	uint16_t v;

	svsm_model_peek(m, gpa + 2, &v, 2);
	return v;
}

static uint32_t pval(uint64_t gpa)
{
	return svsm_model_rc(m, 0, PVAL, gpa, 0, 0);
}

/* A one-entry list at LIST; returns the result. */
static uint32_t pval1(uint64_t entry)
{
	put_list(LIST, 1, 0, &entry, 1);
	return pval(LIST);
}

static bool valid(uint64_t gpa)
{
	return svsm_rmp_validated(&m->rmp, gpa);
}

static void fill(uint64_t gpa, uint8_t v, size_t len)
{
	static uint8_t buf[2 << 20];

	memset(buf, v, len);
	svsm_model_poke(m, gpa, buf, len);
}

static bool all_bytes(uint64_t gpa, uint8_t v, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		uint8_t b;

		svsm_model_peek(m, gpa + i, &b, 1);
		if (b != v)
			return false;
	}
	return true;
}

/* ---- the list ---- */

static void test_list_unaligned(void **state)
{
	uint64_t e = 0x10000 | V;

	put_list(LIST, 1, 0, &e, 1);
	assert_int_equal(pval(LIST + 1), SVSM_ERR_INVALID_PARAMETER);
	assert_int_equal(pval(LIST + 4), SVSM_ERR_INVALID_PARAMETER);
	assert_int_equal(pval(MODEL_HUSK_BASE + 4), SVSM_ERR_INVALID_PARAMETER);
	assert_false(valid(0x10000));
	assert_int_equal(m->n_pvalidate, 0);
}

static void test_list_not_ram(void **state)
{
	assert_int_equal(pval(MODEL_HUSK_BASE), SVSM_ERR_INVALID_ADDRESS);
	assert_int_equal(pval(MODEL_HUSK_BASE + 0x800), SVSM_ERR_INVALID_ADDRESS);
	assert_int_equal(pval(MODEL_HOLE_BASE + 8), SVSM_ERR_INVALID_ADDRESS);
	assert_int_equal(pval(MODEL_MEM_SIZE), SVSM_ERR_INVALID_ADDRESS);
	assert_int_equal(pval(0xfffffffffffffff8ull), SVSM_ERR_INVALID_ADDRESS);
	/* Header in a VMSA page husk holds: the platform refuses to read it. */
	assert_int_equal(svsm_model_create(m, 0, 1, 0x20000, 0x21000), SVSM_SUCCESS);
	assert_int_equal(pval(0x20000), SVSM_ERR_INVALID_ADDRESS);
	assert_int_equal(m->n_pvalidate, 0);
}

static void test_list_header(void **state)
{
	uint64_t e[2] = { 0x10000 | V, 0x11000 | V };

	/* N = 0 */
	put_list(LIST, 0, 0, e, 2);
	assert_int_equal(pval(LIST), SVSM_ERR_INVALID_PARAMETER);
	assert_int_equal(next_of(LIST), 0);
	/* next >= N: nothing done, nothing written back */
	put_list(LIST, 2, 2, e, 2);
	assert_int_equal(pval(LIST), SVSM_ERR_INVALID_PARAMETER);
	assert_int_equal(next_of(LIST), 2);
	put_list(LIST, 2, 0xffff, e, 2);
	assert_int_equal(pval(LIST), SVSM_ERR_INVALID_PARAMETER);
	assert_int_equal(next_of(LIST), 0xffff);
	/* The list crosses the page of RCX. */
	put_list(LIST + 0xff8, 1, 0, NULL, 0);
	assert_int_equal(pval(LIST + 0xff8), SVSM_ERR_INVALID_PARAMETER);
	put_list(LIST, 512, 0, NULL, 0);
	assert_int_equal(pval(LIST), SVSM_ERR_INVALID_PARAMETER);
	put_list(LIST + 8, 511, 0, NULL, 0); /* Linux's limit at CA+8 is 510 */
	assert_int_equal(pval(LIST + 8), SVSM_ERR_INVALID_PARAMETER);
	put_list(LIST, 0xffff, 0, NULL, 0);
	assert_int_equal(pval(LIST), SVSM_ERR_INVALID_PARAMETER);
	assert_int_equal(m->n_pvalidate, 0);
	assert_false(valid(0x10000));

	/* Just fits: the last entry ends at the page's end. */
	put_list(LIST + 0xff0, 1, 0, e, 1);
	assert_int_equal(pval(LIST + 0xff0), SVSM_SUCCESS);
	assert_true(valid(0x10000));
	assert_int_equal(next_of(LIST + 0xff0), 1);
}

/* ---- entries ---- */

static void test_entry_reserved_bits(void **state)
{
	for (unsigned b = 4; b < 12; b++) {
		uint64_t e[2] = { 0x10000 | V | IGN, 0x11000 | V | (1ull << b) };

		put_list(LIST, 2, 0, e, 2);
		assert_int_equal(pval(LIST), SVSM_ERR_INVALID_PARAMETER);
		assert_int_equal(next_of(LIST), 1); /* points at the failing entry */
		assert_true(valid(0x10000));        /* the one before is done */
		assert_false(valid(0x11000));
	}
	assert_int_equal(pval1(0x11000 | V | 2), SVSM_ERR_INVALID_PARAMETER); /* size 2 */
	assert_int_equal(pval1(0x11000 | V | 3), SVSM_ERR_INVALID_PARAMETER); /* size 3 */
	assert_int_equal(next_of(LIST), 0);
	assert_false(valid(0x11000));
}

static void test_entry_2m_unaligned(void **state)
{
	assert_int_equal(pval1((2 * MB + 0x1000) | V | HUGE), SVSM_ERR_INVALID_PARAMETER);
	assert_int_equal(pval1((2 * MB + 0x100000) | V | HUGE), SVSM_ERR_INVALID_PARAMETER);
	/* Alignment before RAM: a misaligned 2 MiB entry in husk's region. */
	assert_int_equal(pval1((MODEL_HUSK_BASE + 0x1000) | V | HUGE), SVSM_ERR_INVALID_PARAMETER);
	assert_false(valid(2 * MB + 0x1000));
	assert_int_equal(m->n_pvalidate, 0);
}

static void test_entry_not_ram(void **state)
{
	static const uint64_t bad[] = {
		MODEL_HUSK_BASE | V,
		(MODEL_HUSK_BASE + MODEL_HUSK_SIZE - 4096) | V,
		MODEL_HUSK_BASE | V | HUGE,
		MODEL_HUSK_BASE,                /* rescind */
		MODEL_HOLE_BASE | V,
		MODEL_HOLE_BASE | V | HUGE,
		MODEL_MEM_SIZE | V,
		MODEL_MEM_SIZE | V | HUGE,
		0xfffffffffffff000ull | V,
		0xffffffffffe00000ull | V | HUGE, /* would wrap */
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(pval1(bad[i]), SVSM_ERR_INVALID_ADDRESS);
		assert_int_equal(next_of(LIST), 0);
	}
	assert_int_equal(m->n_pvalidate, 0);
}

static void test_entry_ca_or_vmsa(void **state)
{
	assert_int_equal(svsm_model_create(m, 0, 1, 0x420000, 0x421000), SVSM_SUCCESS);
	assert_int_equal(pval1(MODEL_BOOT_CA | V | IGN), SVSM_ERR_INVALID_ADDRESS);
	assert_int_equal(pval1(MODEL_BOOT_CA), SVSM_ERR_INVALID_ADDRESS);
	assert_int_equal(pval1(0x421000 | V), SVSM_ERR_INVALID_ADDRESS);
	assert_int_equal(pval1(0x420000 | V), SVSM_ERR_INVALID_ADDRESS);
	assert_int_equal(pval1(0x420000), SVSM_ERR_INVALID_ADDRESS);
	/* 2 MiB pages holding one. */
	assert_int_equal(pval1(0 | V | HUGE), SVSM_ERR_INVALID_ADDRESS);
	assert_int_equal(pval1((4 * MB) | V | HUGE), SVSM_ERR_INVALID_ADDRESS);
	assert_int_equal(m->n_pvalidate, 0);
	/* A neighbour is fine. */
	assert_int_equal(pval1(0x422000 | V), SVSM_SUCCESS);
	assert_int_equal(pval1(0x41f000 | V), SVSM_SUCCESS);
	/* Once deleted, the VMSA page is the guest's again. */
	assert_int_equal(svsm_model_rc(m, 0, SVSM_CALL(0, SVSM_CORE_DELETE_VCPU), 0x420000, 0, 0),
			 SVSM_SUCCESS);
	assert_int_equal(pval1(0x420000 | V), SVSM_SUCCESS);
	assert_int_equal(pval1(0x421000 | V), SVSM_SUCCESS);
}

static void test_entry_platform_codes(void **state)
{
	static const struct {
		uint32_t code, want;
	} t[] = {
		{ SNP_PVALIDATE_FAIL_INPUT, SVSM_PVALIDATE_FAIL_INPUT },
		{ SNP_PVALIDATE_FAIL_PERMISSION, SVSM_PVALIDATE_FAIL_PERMISSION },
		{ SNP_PVALIDATE_FAIL_SIZEMISMATCH, SVSM_PVALIDATE_FAIL_SIZEMISMATCH },
		{ 0xf, SVSM_ERR_PROTOCOL_BASE + 0xf },
		{ 0x10, SVSM_PVALIDATE_FAIL_UNKNOWN },
		{ 0xff, SVSM_PVALIDATE_FAIL_UNKNOWN },
		{ 0x80000000u, SVSM_PVALIDATE_FAIL_UNKNOWN },
		{ SVSM_PVALIDATE_OP_RETRY, SVSM_ERR_BUSY },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint64_t e[2] = { 0x10000 | V | IGN, 0x11000 | V };

		put_list(LIST, 2, 0, e, 2);
		m->pvalidate_force = 0;
		m->pvalidate_hook = NULL;
		assert_int_equal(pval1(0x10000 | V | IGN), SVSM_SUCCESS);
		m->pvalidate_force = t[i].code;
		put_list(LIST, 2, 0, e, 2);
		assert_int_equal(pval(LIST), t[i].want);
		assert_int_equal(next_of(LIST), 0);
		assert_false(valid(0x11000));
	}
	m->pvalidate_force = 0;
}

static void test_entry_unchanged(void **state)
{
	fill(0x10000, 0xab, 4096);
	assert_int_equal(pval1(0x10000 | V), SVSM_SUCCESS);
	assert_true(all_bytes(0x10000, 0, 4096));
	fill(0x10000, 0xcd, 4096);
	/* Already validated, bit 3 clear: 0x80001010, page untouched. */
	assert_int_equal(pval1(0x10000 | V), SVSM_PVALIDATE_FAIL_UNCHANGED);
	assert_int_equal(next_of(LIST), 0);
	assert_true(all_bytes(0x10000, 0xcd, 4096));
	/* Bit 3 set: success, still untouched. */
	assert_int_equal(pval1(0x10000 | V | IGN), SVSM_SUCCESS);
	assert_int_equal(next_of(LIST), 1);
	assert_true(all_bytes(0x10000, 0xcd, 4096));
	/* Rescind, then rescind again. */
	assert_int_equal(pval1(0x10000), SVSM_SUCCESS);
	assert_false(valid(0x10000));
	assert_true(all_bytes(0x10000, 0xcd, 4096)); /* rescinding does not zero */
	assert_int_equal(pval1(0x10000), SVSM_PVALIDATE_FAIL_UNCHANGED);
	assert_int_equal(pval1(0x10000 | IGN), SVSM_SUCCESS);
	/* 2 MiB the same way. */
	assert_int_equal(pval1((2 * MB) | HUGE), SVSM_PVALIDATE_FAIL_UNCHANGED);
	assert_int_equal(pval1((2 * MB) | HUGE | IGN), SVSM_SUCCESS);
	assert_int_equal(pval1((2 * MB) | HUGE | V), SVSM_SUCCESS);
	assert_int_equal(pval1((2 * MB) | HUGE | V), SVSM_PVALIDATE_FAIL_UNCHANGED);
}

static void test_zeroing(void **state)
{
	uint64_t e[3] = { (2 * MB) | V | HUGE, 0x10000 | V, 0x11000 | V | IGN };

	fill(2 * MB, 0x5a, 2 << 20);
	fill(0x10000, 0x5a, 4096);
	fill(0x11000, 0x5a, 4096);
	fill(0x12000, 0x5a, 4096);
	put_list(LIST, 3, 0, e, 3);
	assert_int_equal(pval(LIST), SVSM_SUCCESS);
	assert_true(all_bytes(2 * MB, 0, 2 << 20));
	assert_true(all_bytes(0x10000, 0, 4096));
	assert_true(all_bytes(0x11000, 0, 4096));
	assert_true(all_bytes(0x12000, 0x5a, 4096)); /* not in the list */
	assert_int_equal(m->n_zero, 3);
	/* Validating again with bit 3: no zeroing of pages already validated. */
	fill(0x10000, 0x6b, 4096);
	put_list(LIST, 1, 0, (uint64_t[]){ 0x10000 | V | IGN }, 1);
	assert_int_equal(pval(LIST), SVSM_SUCCESS);
	assert_true(all_bytes(0x10000, 0x6b, 4096));
	assert_int_equal(m->n_zero, 3);
}

static void test_zero_fails(void **state)
{
	uint64_t e[2] = { 0x10000 | V, 0x11000 | V };

	m->zero_fail = 1;
	put_list(LIST, 2, 0, e, 2);
	assert_int_equal(pval(LIST), SVSM_ERR_INVALID_ADDRESS);
	assert_int_equal(next_of(LIST), 0);
	assert_false(valid(0x10000)); /* not left validated with old contents */
	m->zero_fail = 0;
	assert_int_equal(pval(LIST), SVSM_SUCCESS);
	assert_true(valid(0x10000) && valid(0x11000));
}

static void test_next_write_fails(void **state)
{
	m->write_fail_gpa_set = 1;
	m->write_fail_gpa = LIST;
	assert_int_equal(pval1(0x10000 | V), SVSM_ERR_INVALID_ADDRESS);
	m->write_fail_gpa_set = 0;
	assert_true(valid(0x10000)); /* done, but the guest could not be told */
	assert_int_equal(pval1(0x10000 | V | IGN), SVSM_SUCCESS);
}

static void test_no_memory_is_busy(void **state)
{
	/* The model's 16 MiB are one 128 MiB group of the RMP model, whose
	 * bitmap block the first 4 KiB validation allocates. */
	uint64_t e[2] = { (2 * MB) | V | HUGE, (0x800000ull - 4096 * 3) | V };

	m->alloc_fail = 1;
	put_list(LIST, 2, 0, e, 2);
	assert_int_equal(pval(LIST), SVSM_ERR_BUSY);
	assert_int_equal(next_of(LIST), 1);
	assert_true(valid(2 * MB));
	assert_false(valid(e[1] & ~0xfffull));
	m->alloc_fail = 0;
	assert_int_equal(pval(LIST), SVSM_SUCCESS); /* the guest calls again */
	assert_int_equal(next_of(LIST), 2);
	assert_true(valid(e[1] & ~0xfffull));
}

static void test_page_sizes(void **state)
{
	/* A frame validated as 2 MiB: no 4 KiB PVALIDATE inside it. */
	assert_int_equal(pval1((2 * MB) | V | HUGE), SVSM_SUCCESS);
	assert_int_equal(pval1((2 * MB + 0x5000) | V), SVSM_PVALIDATE_FAIL_SIZEMISMATCH);
	assert_int_equal(pval1((2 * MB + 0x5000)), SVSM_PVALIDATE_FAIL_SIZEMISMATCH);
	assert_int_equal(pval1((2 * MB + 0x5000) | IGN), SVSM_PVALIDATE_FAIL_SIZEMISMATCH);
	assert_true(valid(2 * MB + 0x5000));
	assert_int_equal(pval1((2 * MB) | HUGE), SVSM_SUCCESS);
	assert_false(valid(2 * MB + 0x5000));

	/* 4 KiB pages validated on their own: no 2 MiB PVALIDATE of the frame;
	 * Linux then falls back to 512 4 KiB entries. */
	assert_int_equal(pval1((4 * MB + 0x3000) | V), SVSM_SUCCESS);
	assert_int_equal(pval1((4 * MB) | V | HUGE), SVSM_PVALIDATE_FAIL_SIZEMISMATCH);
	assert_int_equal(pval1((4 * MB) | HUGE), SVSM_PVALIDATE_FAIL_SIZEMISMATCH);
	assert_false(valid(4 * MB));

	uint64_t e[510];

	for (unsigned i = 0; i < 510; i++)
		e[i] = (4 * MB + 4096ull * i) | V | IGN;
	put_list(MODEL_BOOT_CA + 8, 510, 0, e, 510);
	unsigned calls = 0;
	uint32_t rc;

	while ((rc = pval(MODEL_BOOT_CA + 8)) == SVSM_ERR_INCOMPLETE)
		calls++;
	assert_int_equal(rc, SVSM_SUCCESS);
	assert_int_equal(calls, 7); /* 8 calls for 510 entries */
	assert_int_equal(next_of(MODEL_BOOT_CA + 8), 510);
	for (unsigned i = 0; i < 510; i++)
		assert_true(valid(4 * MB + 4096ull * i));
	/* All rescinded again, the frame takes a 2 MiB page. */
	for (unsigned i = 0; i < 510; i++)
		e[i] = (4 * MB + 4096ull * i);
	put_list(MODEL_BOOT_CA + 8, 510, 0, e, 510);
	while ((rc = pval(MODEL_BOOT_CA + 8)) == SVSM_ERR_INCOMPLETE)
		;
	assert_int_equal(rc, SVSM_SUCCESS);
	assert_int_equal(pval1((4 * MB) | V | HUGE), SVSM_SUCCESS);
}

/* ---- batching ---- */

static void test_batches(void **state)
{
	uint64_t e[200];

	for (unsigned i = 0; i < 200; i++)
		e[i] = (0x100000ull + 4096ull * i) | V;
	put_list(LIST, 200, 0, e, 200);
	assert_int_equal(pval(LIST), SVSM_ERR_INCOMPLETE);
	assert_int_equal(next_of(LIST), 64);
	assert_true(valid(0x100000ull + 4096ull * 63));
	assert_false(valid(0x100000ull + 4096ull * 64));
	assert_int_equal(pval(LIST), SVSM_ERR_INCOMPLETE);
	assert_int_equal(next_of(LIST), 128);
	assert_int_equal(pval(LIST), SVSM_ERR_INCOMPLETE);
	assert_int_equal(next_of(LIST), 192);
	assert_int_equal(pval(LIST), SVSM_SUCCESS);
	assert_int_equal(next_of(LIST), 200);
	for (unsigned i = 0; i < 200; i++)
		assert_true(valid(0x100000ull + 4096ull * i));

	/* Exactly 64: one call.  65: INCOMPLETE, then one more. */
	for (unsigned i = 0; i < 65; i++)
		e[i] = (0x200000ull + 4096ull * i) | V;
	put_list(LIST, 64, 0, e, 64);
	assert_int_equal(pval(LIST), SVSM_SUCCESS);
	assert_int_equal(next_of(LIST), 64);
	for (unsigned i = 0; i < 65; i++)
		e[i] |= IGN;
	put_list(LIST, 65, 0, e, 65);
	assert_int_equal(pval(LIST), SVSM_ERR_INCOMPLETE);
	assert_int_equal(next_of(LIST), 64);
	assert_int_equal(pval(LIST), SVSM_SUCCESS);
	assert_int_equal(next_of(LIST), 65);
}

static void test_batch_from_next(void **state)
{
	uint64_t e[100];

	for (unsigned i = 0; i < 100; i++)
		e[i] = i < 10 ? 0xff0ull /* garbage: reserved bits */ : (0x100000ull + 4096ull * i) | V;
	/* Entries before next are not looked at. */
	put_list(LIST, 100, 10, e, 100);
	uint32_t reads = m->n_read;

	assert_int_equal(pval(LIST), SVSM_ERR_INCOMPLETE);
	/* The CA's call_pending, the header, the batch: three reads. */
	assert_int_equal(m->n_read, reads + 3);
	assert_int_equal(next_of(LIST), 74);
	assert_int_equal(pval(LIST), SVSM_SUCCESS);
	assert_int_equal(next_of(LIST), 100);
	assert_false(valid(0x100000ull + 4096ull * 9));
	assert_true(valid(0x100000ull + 4096ull * 10));
}

static void test_error_in_second_batch(void **state)
{
	uint64_t e[100];

	for (unsigned i = 0; i < 100; i++)
		e[i] = (0x100000ull + 4096ull * i) | V;
	e[70] = MODEL_HUSK_BASE | V;
	put_list(LIST, 100, 0, e, 100);
	assert_int_equal(pval(LIST), SVSM_ERR_INCOMPLETE);
	assert_int_equal(pval(LIST), SVSM_ERR_INVALID_ADDRESS);
	assert_int_equal(next_of(LIST), 70);
	assert_true(valid(0x100000ull + 4096ull * 69));
	assert_false(valid(0x100000ull + 4096ull * 71));
	/* The guest fixes the entry and carries on from next. */
	svsm_model_poke64(m, LIST + 8 + 8 * 70, (0x100000ull + 4096ull * 70) | V);
	assert_int_equal(pval(LIST), SVSM_SUCCESS);
	assert_true(valid(0x100000ull + 4096ull * 99));
}

/* The entries are read once: another vCPU rewriting the list while husk
 * works on it changes nothing. */
static void rewrite_list(struct svsm_model *mm, uint64_t gpa)
{
	svsm_model_poke64(mm, LIST + 8 + 8 * 1, MODEL_HUSK_BASE | V);
	svsm_model_poke64(mm, LIST + 8 + 8 * 2, 0xff0ull);
}

static void test_entries_read_once(void **state)
{
	uint64_t e[3] = { 0x10000 | V, 0x11000 | V, 0x12000 | V };

	put_list(LIST, 3, 0, e, 3);
	m->pvalidate_hook = rewrite_list;
	assert_int_equal(pval(LIST), SVSM_SUCCESS);
	m->pvalidate_hook = NULL;
	assert_true(valid(0x11000) && valid(0x12000));
}

static void test_registers_kept(void **state)
{
	struct svsm_regs r;
	uint64_t e = 0x10000 | V;

	put_list(LIST, 1, 0, &e, 1);
	svsm_model_call(m, 0, PVAL, LIST, 0x1234, 0x5678, 0x9abc, &r);
	assert_int_equal(r.rax, SVSM_SUCCESS);
	assert_int_equal(r.rcx, LIST);
	assert_int_equal(r.rdx, 0x1234);
	assert_int_equal(r.r8, 0x5678);
	assert_int_equal(r.r9, 0x9abc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_list_unaligned, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_not_ram, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_header, setup, teardown),
		cmocka_unit_test_setup_teardown(test_entry_reserved_bits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_entry_2m_unaligned, setup, teardown),
		cmocka_unit_test_setup_teardown(test_entry_not_ram, setup, teardown),
		cmocka_unit_test_setup_teardown(test_entry_ca_or_vmsa, setup, teardown),
		cmocka_unit_test_setup_teardown(test_entry_platform_codes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_entry_unchanged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_zeroing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_zero_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_next_write_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_memory_is_busy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_page_sizes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batches, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch_from_next, setup, teardown),
		cmocka_unit_test_setup_teardown(test_error_in_second_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_entries_read_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_registers_kept, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
