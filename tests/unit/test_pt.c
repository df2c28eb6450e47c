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
static struct pt_ops ops = { pool_alloc, pool_table, &pool };

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_map_lookup_unmap, setup),
		cmocka_unit_test_setup(test_bad_arguments, setup),
		cmocka_unit_test_setup(test_range_and_rollback, setup),
		cmocka_unit_test_setup(test_out_of_tables, setup),
		cmocka_unit_test_setup(test_protect, setup),
		cmocka_unit_test_setup(test_large_page_refused, setup),
	};
	return cmocka_run_group_tests_name("pt", tests, NULL, NULL);
}
