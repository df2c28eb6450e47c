/* Unit tests for lib/pt: the page-table editor the builder and kernel share. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "husk/err.h"
#include "pt/pt.h"

#define POOL_PAGES 64
#define POOL_BASE  0x200000ull /* fake physical address of the pool */

struct pool {
	uint64_t pages[POOL_PAGES][512];
	unsigned used;
	unsigned limit;
};

static int pool_alloc(void *ctx, uint64_t *pa)
{
	struct pool *p = ctx;

	if (p->used >= p->limit)
		return HUSK_ERR_NOMEM;
	memset(p->pages[p->used], 0, 4096);
	*pa = POOL_BASE + (uint64_t)p->used * 4096;
	p->used++;
	return HUSK_OK;
}

static uint64_t *pool_table(void *ctx, uint64_t pa)
{
	struct pool *p = ctx;

	if (pa < POOL_BASE || pa >= POOL_BASE + (uint64_t)p->used * 4096 || (pa & 0xfff))
		return NULL;
	return p->pages[(pa - POOL_BASE) / 4096];
}

static struct pool pool;
static struct pt_ops ops = { .alloc_table = pool_alloc, .table = pool_table, .ctx = &pool };

static int setup(void **state)
{
	memset(&pool, 0, sizeof(pool));
	pool.limit = POOL_PAGES;
	return 0;
}

static void test_map_lookup_unmap(void **state)
{
	struct pt pt;
	uint64_t pte, old;
	uint64_t va = 0xffffffff80001000ull;

	assert_int_equal(pt_init(&pt, &ops), HUSK_OK);
	assert_int_equal(pt.root_pa, POOL_BASE);
	assert_int_equal(pt_map(&pt, va, 0x1234000, PT_P | PT_NX | PT_G), HUSK_OK);
	/* PML4 + PDPT + PD + PT */
	assert_int_equal(pool.used, 4);
	assert_int_equal(pt_lookup(&pt, va + 0x123, &pte), HUSK_OK);
	assert_int_equal(pte, 0x1234000 | PT_P | PT_NX | PT_G);
	/* Exact entry layout: PML4 index 511, PDPT 510, PD 0, PT 1. */
	assert_int_equal(pool.pages[0][511] & PT_ADDR_MASK, POOL_BASE + 4096);
	assert_int_equal(pool.pages[0][511] & ~PT_ADDR_MASK, PT_TABLE_FLAGS);
	assert_int_equal(pool.pages[1][510] & PT_ADDR_MASK, POOL_BASE + 2 * 4096);
	assert_int_equal(pool.pages[2][0] & PT_ADDR_MASK, POOL_BASE + 3 * 4096);
	assert_int_equal(pool.pages[3][1], 0x1234000 | PT_P | PT_NX | PT_G);

	assert_int_equal(pt_map(&pt, va, 0x5000, PT_P), HUSK_ERR_EXISTS);
	assert_int_equal(pt_unmap(&pt, va, &old), HUSK_OK);
	assert_int_equal(old, 0x1234000 | PT_P | PT_NX | PT_G);
	assert_int_equal(pt_lookup(&pt, va, &pte), HUSK_ERR_NOTFOUND);
	assert_int_equal(pt_unmap(&pt, va, NULL), HUSK_ERR_NOTFOUND);
	/* Never-touched region: intermediate tables missing. */
	assert_int_equal(pt_lookup(&pt, 0x1000, &pte), HUSK_ERR_NOTFOUND);
}

static void test_bad_arguments(void **state)
{
	struct pt pt;

	assert_int_equal(pt_init(&pt, &ops), HUSK_OK);
	assert_int_equal(pt_map(&pt, 0x0000800000000000ull, 0, PT_P), HUSK_ERR_RANGE);
	assert_int_equal(pt_map(&pt, 0x1001, 0, PT_P), HUSK_ERR_ALIGN);
	assert_int_equal(pt_map(&pt, 0x1000, 0x10, PT_P), HUSK_ERR_ALIGN);
	assert_int_equal(pt_map(&pt, 0x1000, PT_MAX_PA, PT_P), HUSK_ERR_RANGE);
	assert_int_equal(pt_map(&pt, 0x1000, 0x2000, PT_W), HUSK_ERR_INVAL);   /* not present */
	assert_int_equal(pt_map(&pt, 0x1000, 0x2000, PT_P | PT_PS), HUSK_ERR_INVAL);
	assert_int_equal(pool.used, 1);
}

static void test_range_and_rollback(void **state)
{
	struct pt pt;
	uint64_t pte;

	assert_int_equal(pt_init(&pt, &ops), HUSK_OK);
	/* A range crossing a 2 MiB boundary needs a second PT page. */
	assert_int_equal(pt_map_range(&pt, 0x1ff000, 0x40000000, 2, PT_P | PT_W), HUSK_OK);
	assert_int_equal(pool.used, 5);
	assert_int_equal(pt_lookup(&pt, 0x200000, &pte), HUSK_OK);
	assert_int_equal(pte & PT_ADDR_MASK, 0x40001000);

	/* Second page already mapped: the first must be rolled back. */
	assert_int_equal(pt_map_range(&pt, 0x1fe000, 0x50000000, 2, PT_P), HUSK_ERR_EXISTS);
	assert_int_equal(pt_lookup(&pt, 0x1fe000, &pte), HUSK_ERR_NOTFOUND);
	assert_int_equal(pt_map_range(&pt, 0xfffffffffffff000ull, 0, 2, PT_P), HUSK_ERR_RANGE);
}

static void test_out_of_tables(void **state)
{
	struct pt pt;

	pool.limit = 3;
	assert_int_equal(pt_init(&pt, &ops), HUSK_OK);
	assert_int_equal(pt_map(&pt, 0x1000, 0x1000, PT_P), HUSK_ERR_NOMEM);
	pool.limit = 4;
	assert_int_equal(pt_map(&pt, 0x1000, 0x1000, PT_P), HUSK_OK);
}

static void test_protect(void **state)
{
	struct pt pt;
	uint64_t pte;

	assert_int_equal(pt_init(&pt, &ops), HUSK_OK);
	assert_int_equal(pt_map(&pt, 0x3000, 0x7000, PT_P | PT_W), HUSK_OK);
	assert_int_equal(pt_protect(&pt, 0x3000, PT_P | PT_NX), HUSK_OK);
	assert_int_equal(pt_lookup(&pt, 0x3000, &pte), HUSK_OK);
	assert_int_equal(pte, 0x7000 | PT_P | PT_NX);
	assert_int_equal(pt_protect(&pt, 0x4000, PT_P), HUSK_ERR_NOTFOUND);
}

static void test_large_page_refused(void **state)
{
	struct pt pt;
	uint64_t pte;

	assert_int_equal(pt_init(&pt, &ops), HUSK_OK);
	assert_int_equal(pt_map(&pt, 0x1000, 0x1000, PT_P), HUSK_OK);
	/* Turn the PD entry into a 2 MiB page behind the library's back. */
	pool.pages[2][0] = 0x200000 | PT_P | PT_PS;
	assert_int_equal(pt_map(&pt, 0x2000, 0x2000, PT_P), HUSK_ERR_EXISTS);
	assert_int_equal(pt_lookup(&pt, 0x2000, &pte), HUSK_ERR_EXISTS);
}

static void test_large_map_and_lookup(void **state)
{
	struct pt pt;
	uint64_t pte;
	unsigned level;

	assert_int_equal(pt_init(&pt, &ops), HUSK_OK);
	assert_int_equal(pt_map_large(&pt, 0x200000, 0x400000, 1, PT_P | PT_W), HUSK_OK);
	assert_int_equal(pt_map_large(&pt, 0x40000000, 0x80000000, 2, PT_P), HUSK_OK);
	assert_int_equal(pt_lookup_any(&pt, 0x3ff123, &pte, &level), HUSK_OK);
	assert_int_equal(level, 1);
	assert_int_equal(pte, 0x400000 | PT_P | PT_W | PT_PS);
	assert_int_equal(pt_lookup_any(&pt, 0x7fffffff, &pte, &level), HUSK_OK);
	assert_int_equal(level, 2);
	assert_int_equal(pte, 0x80000000 | PT_P | PT_PS);
	assert_int_equal(pt_lookup_any(&pt, 0x100000, &pte, &level), HUSK_ERR_NOTFOUND);
	/* Occupied slot, misalignment, bad level. */
	assert_int_equal(pt_map_large(&pt, 0x200000, 0x400000, 1, PT_P), HUSK_ERR_EXISTS);
	assert_int_equal(pt_map(&pt, 0x201000, 0x1000, PT_P), HUSK_ERR_EXISTS);
	assert_int_equal(pt_map_large(&pt, 0x201000, 0x400000, 1, PT_P), HUSK_ERR_ALIGN);
	assert_int_equal(pt_map_large(&pt, 0x600000, 0x401000, 1, PT_P), HUSK_ERR_ALIGN);
	assert_int_equal(pt_map_large(&pt, 0x600000, 0x400000, 3, PT_P), HUSK_ERR_INVAL);
	assert_int_equal(pt_map_large(&pt, 0x600000, 0x400000, 1, PT_W), HUSK_ERR_INVAL);
	/* A 2 MiB slot whose PD entry is a table (4 KiB pages) is occupied. */
	assert_int_equal(pt_map(&pt, 0x800000, 0x1000, PT_P), HUSK_OK);
	assert_int_equal(pt_map_large(&pt, 0x800000, 0x400000, 1, PT_P), HUSK_ERR_EXISTS);
}

static void test_split(void **state)
{
	struct pt pt;
	uint64_t pte, old;
	unsigned level;

	assert_int_equal(pt_init(&pt, &ops), HUSK_OK);
	assert_int_equal(pt_map_large(&pt, 0x40000000, 0x40000000, 2, PT_P | PT_W | PT_U | PT_NX),
			 HUSK_OK);
	assert_int_equal(pt_split(&pt, 0x40345000), HUSK_OK);
	/* Every page of the gigabyte still maps as before, at its new size. */
	for (uint64_t va = 0x40000000; va < 0x80000000; va += 0x1000 * 997) {
		assert_int_equal(pt_lookup_any(&pt, va, &pte, &level), HUSK_OK);
		assert_int_equal((pte & PT_ADDR_MASK) + (va & ((1ull << (12 + 9 * level)) - 1)), va);
		assert_int_equal(pte & (PT_P | PT_W | PT_U | PT_NX), PT_P | PT_W | PT_U | PT_NX);
		assert_int_equal(level, (va >> 21) == (0x40345000 >> 21) ? 0 : 1);
	}
	assert_int_equal(pt_unmap(&pt, 0x40345000, &old), HUSK_OK);
	assert_int_equal(old, 0x40345000 | PT_P | PT_W | PT_U | PT_NX);
	assert_int_equal(pt_lookup_any(&pt, 0x40345000, &pte, &level), HUSK_ERR_NOTFOUND);
	assert_int_equal(pt_lookup_any(&pt, 0x40346000, &pte, &level), HUSK_OK);
	/* Nothing to split: not mapped, or already 4 KiB. */
	assert_int_equal(pt_split(&pt, 0x1000), HUSK_OK);
	assert_int_equal(pt_split(&pt, 0x40346000), HUSK_OK);
	/* Out of tables while splitting: the large page stays as it was. */
	assert_int_equal(pt_map_large(&pt, 0xc0000000, 0xc0000000, 2, PT_P), HUSK_OK);
	pool.limit = pool.used;
	assert_int_equal(pt_split(&pt, 0xc0000000), HUSK_ERR_NOMEM);
	assert_int_equal(pt_lookup_any(&pt, 0xc0000000, &pte, &level), HUSK_OK);
	assert_int_equal(level, 2);
}

static uint64_t nested_flags_pool_check(void)
{
	uint64_t or_all = 0;

	for (unsigned i = 0; i < pool.used; i++)
		for (unsigned j = 0; j < 512; j++)
			if (pool.pages[i][j] && !(pool.pages[i][j] & PT_PS) && i + 1 < pool.used)
				or_all |= pool.pages[i][j];
	return or_all;
}

static void test_table_flags(void **state)
{
	struct pt_ops nested = ops;
	struct pt pt;

	nested.table_flags = PT_P | PT_W | PT_U;
	assert_int_equal(pt_init(&pt, &nested), HUSK_OK);
	assert_int_equal(pt_map_large(&pt, 0x200000, 0x200000, 1, PT_P | PT_W | PT_U), HUSK_OK);
	assert_int_equal(pt_split(&pt, 0x200000), HUSK_OK);
	/* Root, PDPT and PD entries pointing at tables carry U. */
	assert_int_equal(pool.pages[0][0], (POOL_BASE + 0x1000) | PT_P | PT_W | PT_U);
	assert_int_equal(pool.pages[1][0], (POOL_BASE + 0x2000) | PT_P | PT_W | PT_U);
	assert_int_equal(pool.pages[2][1], (POOL_BASE + 0x3000) | PT_P | PT_W | PT_U);
	assert_true(nested_flags_pool_check() & PT_U);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_map_lookup_unmap, setup),
		cmocka_unit_test_setup(test_bad_arguments, setup),
		cmocka_unit_test_setup(test_range_and_rollback, setup),
		cmocka_unit_test_setup(test_out_of_tables, setup),
		cmocka_unit_test_setup(test_protect, setup),
		cmocka_unit_test_setup(test_large_page_refused, setup),
		cmocka_unit_test_setup(test_large_map_and_lookup, setup),
		cmocka_unit_test_setup(test_split, setup),
		cmocka_unit_test_setup(test_table_flags, setup),
	};
	return cmocka_run_group_tests_name("pt", tests, NULL, NULL);
}
