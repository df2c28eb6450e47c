/* Unit tests for lib/mm's buddy page allocator: exact split and merge
 * behaviour, holes, every error path, out of memory, and a long randomized
 * run against a page-by-page reference model over real memory (patterns in
 * every allocated page, free pages poisoned for ASan). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "husk/err.h"
#include "mm/buddy.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define POISON(p, n)   ASAN_POISON_MEMORY_REGION(p, n)
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define POISON(p, n)   ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define PG BUDDY_PAGE_SIZE
/* 1 GiB: aligned for every order, so block positions are predictable. */
#define BASE 0x40000000ull

struct fixture {
	struct buddy b;
	void *meta;
};

static void fixture_init(struct fixture *f, uint64_t base, uint64_t npages)
{
	size_t sz = buddy_meta_size(npages);

	assert_true(sz > 0);
	f->meta = test_malloc(sz);
	assert_int_equal(buddy_init(&f->b, base, npages, f->meta, sz), HUSK_OK);
}

static void fixture_fini(struct fixture *f)
{
	test_free(f->meta);
}

static struct buddy_stats stats_of(const struct buddy *b)
{
	struct buddy_stats st;

	buddy_get_stats(b, &st);
	return st;
}

/* Field by field: the struct has padding, which memcmp would read. */
static void assert_stats_equal(const struct buddy_stats *a, const struct buddy_stats *b)
{
	assert_int_equal(a->total_pages, b->total_pages);
	assert_int_equal(a->managed_pages, b->managed_pages);
	assert_int_equal(a->free_pages, b->free_pages);
	assert_int_equal(a->largest_free_order, b->largest_free_order);
	for (unsigned int k = 0; k <= BUDDY_MAX_ORDER; k++)
		assert_int_equal(a->free_blocks[k], b->free_blocks[k]);
}

/* ---- set-up ---- */

static void test_meta_size(void **state)
{
	assert_int_equal(buddy_meta_size(0), 0);
	assert_int_equal(buddy_meta_size(1), BUDDY_META_PER_PAGE);
	assert_int_equal(buddy_meta_size(2048), 2048 * BUDDY_META_PER_PAGE);
	assert_int_equal(buddy_meta_size(BUDDY_MAX_PAGES + 1), 0);
	assert_int_equal(buddy_meta_size(UINT64_MAX), 0);
}

static void test_init_errors(void **state)
{
	struct buddy b;
	uint32_t meta[64]; /* 256 bytes: 21 pages' worth, 4-byte aligned */
	uint64_t addr;

	assert_int_equal(buddy_init(NULL, BASE, 4, meta, sizeof(meta)), HUSK_ERR_INVAL);
	assert_int_equal(buddy_init(&b, BASE, 4, NULL, sizeof(meta)), HUSK_ERR_INVAL);
	assert_int_equal(buddy_init(&b, BASE, 0, meta, sizeof(meta)), HUSK_ERR_INVAL);
	assert_int_equal(buddy_init(&b, BASE, 22, meta, sizeof(meta)), HUSK_ERR_INVAL);
	assert_int_equal(buddy_init(&b, BASE, BUDDY_MAX_PAGES + 1, meta, SIZE_MAX), HUSK_ERR_INVAL);
	assert_int_equal(buddy_init(&b, BASE + 1, 4, meta, sizeof(meta)), HUSK_ERR_ALIGN);
	assert_int_equal(buddy_init(&b, BASE + 0x800, 4, meta, sizeof(meta)), HUSK_ERR_ALIGN);
	assert_int_equal(buddy_init(&b, BASE, 4, (char *)meta + 1, sizeof(meta) - 1), HUSK_ERR_ALIGN);
	/* The span may end exactly at 2^64 but not wrap past it. */
	assert_int_equal(buddy_init(&b, 0xffffffffffffe000ull, 3, meta, sizeof(meta)), HUSK_ERR_RANGE);
	assert_int_equal(buddy_init(&b, 0xffffffffffffe000ull, 2, meta, sizeof(meta)), HUSK_OK);
	assert_int_equal(buddy_add_free(&b, 0xffffffffffffe000ull, 2), HUSK_OK);
	assert_int_equal(buddy_alloc(&b, 1, &addr), HUSK_OK);
	assert_int_equal(addr, 0xffffffffffffe000ull);
	assert_int_equal(buddy_free(&b, addr, 1), HUSK_OK);
	assert_int_equal(buddy_check(&b), HUSK_OK);

	/* An uninitialised allocator refuses everything. */
	memset(&b, 0, sizeof(b));
	assert_int_equal(buddy_alloc(&b, 0, &addr), HUSK_ERR_INVAL);
	assert_int_equal(buddy_free(&b, BASE, 0), HUSK_ERR_INVAL);
	assert_int_equal(buddy_add_free(&b, BASE, 1), HUSK_ERR_INVAL);
	assert_int_equal(buddy_check(&b), HUSK_ERR_FORMAT);
	assert_int_equal(stats_of(&b).largest_free_order, -1);
}

static void test_starts_reserved(void **state)
{
	struct fixture f;
	struct buddy_stats st;
	uint64_t addr = 0x1234;

	fixture_init(&f, BASE, 1024);
	st = stats_of(&f.b);
	assert_int_equal(st.total_pages, 1024);
	assert_int_equal(st.managed_pages, 0);
	assert_int_equal(st.free_pages, 0);
	assert_int_equal(st.largest_free_order, -1);
	assert_int_equal(buddy_alloc(&f.b, 0, &addr), HUSK_ERR_NOMEM);
	assert_int_equal(addr, 0x1234); /* untouched on failure */
	assert_int_equal(buddy_free(&f.b, BASE, 0), HUSK_ERR_NOTFOUND);
	assert_int_equal(buddy_check(&f.b), HUSK_OK);
	fixture_fini(&f);
}

/* ---- split and merge ---- */

static void test_split_merge_exact(void **state)
{
	struct fixture f;
	struct buddy_stats st;
	uint64_t a, c, d;

	fixture_init(&f, BASE, 1024);
	assert_int_equal(buddy_add_free(&f.b, BASE, 1024), HUSK_OK);
	st = stats_of(&f.b);
	assert_int_equal(st.free_blocks[BUDDY_MAX_ORDER], 1);
	assert_int_equal(st.largest_free_order, BUDDY_MAX_ORDER);
	assert_int_equal(st.free_pages, 1024);

	/* One page splits the 4 MiB block into one free block per order. */
	assert_int_equal(buddy_alloc(&f.b, 0, &a), HUSK_OK);
	assert_int_equal(a, BASE);
	st = stats_of(&f.b);
	for (unsigned int k = 0; k < BUDDY_MAX_ORDER; k++)
		assert_int_equal(st.free_blocks[k], 1);
	assert_int_equal(st.free_blocks[BUDDY_MAX_ORDER], 0);
	assert_int_equal(st.free_pages, 1023);
	assert_int_equal(st.largest_free_order, BUDDY_MAX_ORDER - 1);

	/* The next page is its buddy; then an order-3 block comes from the
	 * order-3 free block at +8 pages. */
	assert_int_equal(buddy_alloc(&f.b, 0, &c), HUSK_OK);
	assert_int_equal(c, BASE + PG);
	assert_int_equal(buddy_alloc(&f.b, 3, &d), HUSK_OK);
	assert_int_equal(d, BASE + 8 * PG);
	assert_int_equal(buddy_check(&f.b), HUSK_OK);

	/* Freeing merges back step by step to the single 4 MiB block. */
	assert_int_equal(buddy_free(&f.b, a, 0), HUSK_OK);
	assert_int_equal(stats_of(&f.b).free_blocks[0], 1);
	assert_int_equal(buddy_free(&f.b, c, 0), HUSK_OK);
	/* Pages 0-1 merge with the free 2-3 and 4-7, and stop at the
	 * allocated 8-15. */
	st = stats_of(&f.b);
	for (unsigned int k = 0; k < 3; k++)
		assert_int_equal(st.free_blocks[k], 0);
	assert_int_equal(st.free_blocks[3], 1);
	assert_int_equal(buddy_free(&f.b, d, 3), HUSK_OK);
	st = stats_of(&f.b);
	assert_int_equal(st.free_blocks[BUDDY_MAX_ORDER], 1);
	for (unsigned int k = 0; k < BUDDY_MAX_ORDER; k++)
		assert_int_equal(st.free_blocks[k], 0);
	assert_int_equal(st.free_pages, 1024);

	/* The whole block at once, then nothing left. */
	assert_int_equal(buddy_alloc(&f.b, BUDDY_MAX_ORDER, &a), HUSK_OK);
	assert_int_equal(a, BASE);
	assert_int_equal(buddy_alloc(&f.b, 0, &c), HUSK_ERR_NOMEM);
	assert_int_equal(buddy_free(&f.b, a, BUDDY_MAX_ORDER), HUSK_OK);
	assert_int_equal(buddy_check(&f.b), HUSK_OK);
	fixture_fini(&f);
}

/* Ranges added separately merge with each other. */
static void test_add_free_merges(void **state)
{
	struct fixture f;
	struct buddy_stats st;

	fixture_init(&f, BASE, 2048);
	assert_int_equal(buddy_add_free(&f.b, BASE + 512 * PG, 512), HUSK_OK);
	assert_int_equal(stats_of(&f.b).free_blocks[9], 1);
	assert_int_equal(buddy_add_free(&f.b, BASE + 3 * PG, 509), HUSK_OK);
	assert_int_equal(buddy_add_free(&f.b, BASE + 1 * PG, 2), HUSK_OK);
	assert_int_equal(buddy_add_free(&f.b, BASE, 1), HUSK_OK);
	st = stats_of(&f.b);
	assert_int_equal(st.free_blocks[BUDDY_MAX_ORDER], 1);
	assert_int_equal(st.free_pages, 1024);
	assert_int_equal(st.managed_pages, 1024);
	assert_int_equal(buddy_add_free(&f.b, BASE + 1024 * PG, 1024), HUSK_OK);
	st = stats_of(&f.b);
	/* Two max-order blocks: nothing merges beyond BUDDY_MAX_ORDER. */
	assert_int_equal(st.free_blocks[BUDDY_MAX_ORDER], 2);
	assert_int_equal(buddy_check(&f.b), HUSK_OK);
	fixture_fini(&f);
}

/* A span that starts off any large alignment still hands out naturally
 * aligned blocks and never merges across its ends. */
static void test_unaligned_span(void **state)
{
	struct fixture f;
	uint64_t base = BASE + 3 * PG, addr;
	uint64_t got[64];
	unsigned int n = 0;

	/* Pages 3..2102 from a 4 MiB boundary: 1024..2047 is the one
	 * order-10 block. */
	fixture_init(&f, base, 2100);
	assert_int_equal(buddy_add_free(&f.b, base, 2100), HUSK_OK);
	assert_int_equal(buddy_check(&f.b), HUSK_OK);
	assert_int_equal(stats_of(&f.b).largest_free_order, BUDDY_MAX_ORDER);
	for (int k = BUDDY_MAX_ORDER; k >= 0; k--) {
		while (buddy_alloc(&f.b, (unsigned int)k, &addr) == HUSK_OK) {
			assert_true(n < 64);
			assert_true((addr & ((PG << k) - 1)) == 0);
			assert_true(addr >= base && addr + (PG << k) <= base + 2100 * PG);
			if (k == BUDDY_MAX_ORDER)
				assert_int_equal(addr, BASE + 1024 * PG);
			got[n++] = addr | (uint64_t)k; /* order in the low bits */
		}
	}
	assert_int_equal(stats_of(&f.b).free_pages, 0);
	for (unsigned int i = 0; i < n; i++)
		assert_int_equal(buddy_free(&f.b, got[i] & ~(PG - 1), (unsigned int)(got[i] & (PG - 1))), HUSK_OK);
	assert_int_equal(stats_of(&f.b).free_pages, 2100);
	assert_int_equal(buddy_check(&f.b), HUSK_OK);
	fixture_fini(&f);
}

/* ---- holes ---- */

static void test_holes_respected(void **state)
{
	struct fixture f;
	uint64_t addr;
	unsigned int count = 0;

	fixture_init(&f, BASE, 256);
	/* Pages 100..109 and 200..255 stay reserved (say, the kernel image). */
	assert_int_equal(buddy_add_free(&f.b, BASE, 100), HUSK_OK);
	assert_int_equal(buddy_add_free(&f.b, BASE + 110 * PG, 90), HUSK_OK);
	assert_int_equal(stats_of(&f.b).managed_pages, 190);
	/* The largest aligned block free is 64 pages (0..63). */
	assert_int_equal(stats_of(&f.b).largest_free_order, 6);
	assert_int_equal(buddy_alloc(&f.b, 7, &addr), HUSK_ERR_NOMEM);
	while (buddy_alloc(&f.b, 0, &addr) == HUSK_OK) {
		uint64_t pg = (addr - BASE) / PG;

		assert_true(pg < 100 || (pg >= 110 && pg < 200));
		count++;
	}
	assert_int_equal(count, 190);
	/* Hole pages can never be freed into the allocator. */
	assert_int_equal(buddy_free(&f.b, BASE + 105 * PG, 0), HUSK_ERR_NOTFOUND);
	assert_int_equal(buddy_free(&f.b, BASE + 255 * PG, 0), HUSK_ERR_NOTFOUND);
	assert_int_equal(buddy_check(&f.b), HUSK_OK);
	fixture_fini(&f);
}

static void test_add_free_errors(void **state)
{
	struct fixture f;
	struct buddy_stats before, after;

	fixture_init(&f, BASE, 256);
	assert_int_equal(buddy_add_free(&f.b, BASE + 16 * PG, 16), HUSK_OK);
	before = stats_of(&f.b);

	assert_int_equal(buddy_add_free(NULL, BASE, 1), HUSK_ERR_INVAL);
	assert_int_equal(buddy_add_free(&f.b, BASE, 0), HUSK_ERR_INVAL);
	assert_int_equal(buddy_add_free(&f.b, BASE + 1, 1), HUSK_ERR_ALIGN);
	assert_int_equal(buddy_add_free(&f.b, BASE - PG, 2), HUSK_ERR_RANGE);
	assert_int_equal(buddy_add_free(&f.b, BASE + 256 * PG, 1), HUSK_ERR_RANGE);
	assert_int_equal(buddy_add_free(&f.b, BASE + 250 * PG, 7), HUSK_ERR_RANGE);
	assert_int_equal(buddy_add_free(&f.b, BASE, UINT64_MAX), HUSK_ERR_RANGE);
	assert_int_equal(buddy_add_free(&f.b, 0, 1), HUSK_ERR_RANGE);
	/* Overlaps: the same range, a superset, the tail of one. Nothing of
	 * the reserved part of a rejected range may become free. */
	assert_int_equal(buddy_add_free(&f.b, BASE + 16 * PG, 16), HUSK_ERR_OVERLAP);
	assert_int_equal(buddy_add_free(&f.b, BASE, 64), HUSK_ERR_OVERLAP);
	assert_int_equal(buddy_add_free(&f.b, BASE + 31 * PG, 2), HUSK_ERR_OVERLAP);
	after = stats_of(&f.b);
	assert_stats_equal(&before, &after);
	assert_int_equal(buddy_check(&f.b), HUSK_OK);

	/* Allocated pages are not reserved either. */
	{
		uint64_t a;

		assert_int_equal(buddy_alloc(&f.b, 4, &a), HUSK_OK);
		assert_int_equal(buddy_add_free(&f.b, a, 16), HUSK_ERR_OVERLAP);
		assert_int_equal(buddy_free(&f.b, a, 4), HUSK_OK);
	}
	fixture_fini(&f);
}

/* ---- invalid frees ---- */

static void test_free_errors(void **state)
{
	struct fixture f;
	struct buddy_stats before, after;
	uint64_t a, c;

	fixture_init(&f, BASE, 64);
	assert_int_equal(buddy_add_free(&f.b, BASE, 60), HUSK_OK);
	assert_int_equal(buddy_alloc(&f.b, 2, &a), HUSK_OK);
	assert_int_equal(buddy_alloc(&f.b, 0, &c), HUSK_OK);
	before = stats_of(&f.b);

	assert_int_equal(buddy_free(NULL, a, 2), HUSK_ERR_INVAL);
	assert_int_equal(buddy_free(&f.b, a + 8, 2), HUSK_ERR_ALIGN);
	assert_int_equal(buddy_free(&f.b, BASE - PG, 0), HUSK_ERR_RANGE);
	assert_int_equal(buddy_free(&f.b, BASE + 64 * PG, 0), HUSK_ERR_RANGE);
	assert_int_equal(buddy_free(&f.b, UINT64_MAX & ~(PG - 1), 0), HUSK_ERR_RANGE);
	assert_int_equal(buddy_free(&f.b, a, BUDDY_MAX_ORDER + 1), HUSK_ERR_INVAL);
	assert_int_equal(buddy_free(&f.b, a, 99), HUSK_ERR_INVAL);
	/* Wrong order, both ways. */
	assert_int_equal(buddy_free(&f.b, a, 1), HUSK_ERR_INVAL);
	assert_int_equal(buddy_free(&f.b, a, 3), HUSK_ERR_INVAL);
	assert_int_equal(buddy_free(&f.b, c, 1), HUSK_ERR_INVAL);
	/* Inside an allocated block. */
	assert_int_equal(buddy_free(&f.b, a + PG, 0), HUSK_ERR_NOTFOUND);
	assert_int_equal(buddy_free(&f.b, a + 2 * PG, 1), HUSK_ERR_NOTFOUND);
	/* Free (never allocated) and reserved pages. */
	assert_int_equal(buddy_free(&f.b, BASE + 32 * PG, 0), HUSK_ERR_NOTFOUND);
	assert_int_equal(buddy_free(&f.b, BASE + 32 * PG, 5), HUSK_ERR_NOTFOUND);
	assert_int_equal(buddy_free(&f.b, BASE + 62 * PG, 0), HUSK_ERR_NOTFOUND);
	after = stats_of(&f.b);
	assert_stats_equal(&before, &after);
	assert_int_equal(buddy_check(&f.b), HUSK_OK);

	/* Double free, including after the block merged into a larger one. */
	assert_int_equal(buddy_free(&f.b, a, 2), HUSK_OK);
	assert_int_equal(buddy_free(&f.b, a, 2), HUSK_ERR_NOTFOUND);
	assert_int_equal(buddy_free(&f.b, c, 0), HUSK_OK);
	assert_int_equal(buddy_free(&f.b, c, 0), HUSK_ERR_NOTFOUND);
	assert_int_equal(buddy_free(&f.b, BASE, 5), HUSK_ERR_NOTFOUND);
	assert_int_equal(stats_of(&f.b).free_pages, 60);
	assert_int_equal(buddy_check(&f.b), HUSK_OK);

	/* Alloc argument errors. */
	assert_int_equal(buddy_alloc(&f.b, BUDDY_MAX_ORDER + 1, &a), HUSK_ERR_INVAL);
	assert_int_equal(buddy_alloc(&f.b, 0, NULL), HUSK_ERR_INVAL);
	assert_int_equal(buddy_alloc(NULL, 0, &a), HUSK_ERR_INVAL);
	fixture_fini(&f);
}

/* ---- out of memory ---- */

static void test_out_of_memory(void **state)
{
	struct fixture f;
	struct buddy_stats fresh, st;
	uint64_t *live = test_malloc(4096 * sizeof(uint64_t));
	unsigned int n = 0;
	uint64_t addr;

	fixture_init(&f, BASE, 4096);
	assert_int_equal(buddy_add_free(&f.b, BASE, 4096), HUSK_OK);
	fresh = stats_of(&f.b);
	/* Orders 0,1,2,0,1,2... until even one page is gone. */
	for (unsigned int i = 0;; i++) {
		unsigned int k = i % 3;
		int rc = buddy_alloc(&f.b, k, &addr);

		if (rc == HUSK_ERR_NOMEM) {
			if (k == 0)
				break;
			continue;
		}
		assert_int_equal(rc, HUSK_OK);
		live[n++] = addr | k;
	}
	st = stats_of(&f.b);
	assert_int_equal(st.free_pages, 0);
	assert_int_equal(st.largest_free_order, -1);
	for (unsigned int k = 0; k <= BUDDY_MAX_ORDER; k++)
		assert_int_equal(buddy_alloc(&f.b, k, &addr), HUSK_ERR_NOMEM);
	assert_int_equal(buddy_check(&f.b), HUSK_OK);
	/* Free in reverse and everything merges back to where it started. */
	while (n > 0) {
		n--;
		assert_int_equal(buddy_free(&f.b, live[n] & ~(PG - 1), (unsigned int)(live[n] & 3)), HUSK_OK);
	}
	st = stats_of(&f.b);
	assert_stats_equal(&st, &fresh);
	assert_int_equal(buddy_check(&f.b), HUSK_OK);
	test_free(live);
	fixture_fini(&f);
}

/* ---- randomized run against a reference model ---- */

#define STRESS_PAGES 3000u
#define STRESS_OPS   200000u

enum { M_RESERVED, M_FREE, M_ALLOC };

struct live {
	uint64_t addr;
	unsigned int order;
	uint64_t tag;
};

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
	/* xorshift64*: fixed seed, so every run is the same run. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

/* Marks every page with the allocation's tag at both ends; overlapping
 * allocations would overwrite each other's tags. */
static void stamp(const struct live *l, int check)
{
	for (uint64_t i = 0; i < (1ull << l->order); i++) {
		uint64_t *head = (uint64_t *)(uintptr_t)(l->addr + i * PG);
		uint64_t *tail = head + PG / sizeof(uint64_t) - 1;
		uint64_t v = l->tag ^ i;

		if (check) {
			assert_int_equal(*head, v);
			assert_int_equal(*tail, ~v);
		} else {
			*head = v;
			*tail = ~v;
		}
	}
}

/* The largest k for which some naturally aligned run of 2^k pages is free
 * in the model; the buddy must agree because it keeps blocks fully merged. */
static int model_largest(const uint8_t *model, uint64_t base_pfn)
{
	for (int k = BUDDY_MAX_ORDER; k >= 0; k--) {
		uint64_t size = 1ull << k;
		uint64_t i = (size - (base_pfn & (size - 1))) & (size - 1);

		for (; i + size <= STRESS_PAGES; i += size) {
			uint64_t j = 0;

			while (j < size && model[i + j] == M_FREE)
				j++;
			if (j == size)
				return k;
		}
	}
	return -1;
}

static void test_random_against_model(void **state)
{
	struct fixture f;
	uint8_t *model = test_malloc(STRESS_PAGES);
	struct live *live = test_malloc(STRESS_PAGES * sizeof(*live));
	unsigned int nlive = 0, allocs = 0, frees = 0, nomem = 0, bad = 0;
	uint64_t model_free = 0, base, base_pfn;
	/* The span starts wherever malloc put it, plus 5 pages: its ends are
	 * not aligned to the larger orders, so merges meet them. */
	char *mem = aligned_alloc(PG, (STRESS_PAGES + 8) * PG);
	struct { uint64_t start, n; } ranges[] = { { 0, 700 }, { 705, 1000 }, { 1800, 1150 } };

	assert_non_null(mem);
	base = (uint64_t)(uintptr_t)mem + 5 * PG;
	base_pfn = base / PG;
	POISON(mem, (STRESS_PAGES + 8) * PG);
	fixture_init(&f, base, STRESS_PAGES);
	memset(model, M_RESERVED, STRESS_PAGES);
	for (size_t r = 0; r < sizeof(ranges) / sizeof(ranges[0]); r++) {
		assert_int_equal(buddy_add_free(&f.b, base + ranges[r].start * PG, ranges[r].n), HUSK_OK);
		memset(model + ranges[r].start, M_FREE, ranges[r].n);
		model_free += ranges[r].n;
	}

	for (unsigned int op = 0; op < STRESS_OPS; op++) {
		uint64_t x = rng();
		/* Lean towards allocating while little is live, so the run
		 * spends time both near empty and near full. */
		int do_alloc = nlive == 0 || (x % 100) < (nlive < 200 ? 60u : 45u);

		if (do_alloc) {
			/* Mostly small orders, sometimes up to the maximum. */
			unsigned int order = (unsigned int)((x >> 8) % 4);
			uint64_t addr;
			int rc;

			if ((x >> 16) % 16 == 0)
				order = (unsigned int)((x >> 20) % (BUDDY_MAX_ORDER + 1));
			rc = buddy_alloc(&f.b, order, &addr);
			if (rc == HUSK_ERR_NOMEM) {
				/* Only right if no aligned free run exists. */
				assert_true(model_largest(model, base_pfn) < (int)order);
				nomem++;
			} else {
				uint64_t idx = (addr - base) / PG;

				assert_int_equal(rc, HUSK_OK);
				assert_true((addr & ((PG << order) - 1)) == 0);
				assert_true(addr >= base && idx + (1ull << order) <= STRESS_PAGES);
				for (uint64_t i = 0; i < (1ull << order); i++) {
					assert_int_equal(model[idx + i], M_FREE);
					model[idx + i] = M_ALLOC;
				}
				model_free -= 1ull << order;
				live[nlive] = (struct live){ addr, order, rng() };
				UNPOISON((void *)(uintptr_t)addr, PG << order);
				stamp(&live[nlive], 0);
				nlive++;
				allocs++;
			}
		} else {
			unsigned int i = (unsigned int)((x >> 8) % nlive);
			struct live l = live[i];
			uint64_t idx = (l.addr - base) / PG;

			/* Now and then, a wrong free first: it must fail and
			 * change nothing. */
			if ((x >> 32) % 8 == 0) {
				struct buddy_stats before = stats_of(&f.b), after;

				if (l.order > 0) {
					assert_int_equal(buddy_free(&f.b, l.addr + PG, 0), HUSK_ERR_NOTFOUND);
					assert_int_equal(buddy_free(&f.b, l.addr, l.order - 1), HUSK_ERR_INVAL);
				} else {
					assert_int_equal(buddy_free(&f.b, l.addr, 1), HUSK_ERR_INVAL);
				}
				after = stats_of(&f.b);
				assert_stats_equal(&before, &after);
				bad++;
			}
			stamp(&l, 1);
			assert_int_equal(buddy_free(&f.b, l.addr, l.order), HUSK_OK);
			POISON((void *)(uintptr_t)l.addr, PG << l.order);
			for (uint64_t j = 0; j < (1ull << l.order); j++)
				model[idx + j] = M_FREE;
			model_free += 1ull << l.order;
			live[i] = live[--nlive];
			frees++;
			if ((x >> 40) % 4 == 0) {
				/* ...and the double free of it. */
				assert_int_equal(buddy_free(&f.b, l.addr, l.order), HUSK_ERR_NOTFOUND);
				bad++;
			}
		}

		assert_int_equal(stats_of(&f.b).free_pages, model_free);
		if (op % 8 == 0)
			assert_int_equal(buddy_check(&f.b), HUSK_OK);
		if (op % 64 == 0)
			assert_int_equal(stats_of(&f.b).largest_free_order, model_largest(model, base_pfn));
	}

	while (nlive > 0) {
		nlive--;
		stamp(&live[nlive], 1);
		assert_int_equal(buddy_free(&f.b, live[nlive].addr, live[nlive].order), HUSK_OK);
	}
	assert_int_equal(stats_of(&f.b).free_pages, 700 + 1000 + 1150);
	assert_int_equal(buddy_check(&f.b), HUSK_OK);
	print_message("# random: %u allocs, %u frees, %u out-of-memory, %u rejected bad frees\n", allocs, frees,
		      nomem, bad);
	assert_true(nomem > 0); /* the run did reach exhaustion */

	UNPOISON(mem, (STRESS_PAGES + 8) * PG);
	free(mem);
	test_free(live);
	test_free(model);
	fixture_fini(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_meta_size),
		cmocka_unit_test(test_init_errors),
		cmocka_unit_test(test_starts_reserved),
		cmocka_unit_test(test_split_merge_exact),
		cmocka_unit_test(test_add_free_merges),
		cmocka_unit_test(test_unaligned_span),
		cmocka_unit_test(test_holes_respected),
		cmocka_unit_test(test_add_free_errors),
		cmocka_unit_test(test_free_errors),
		cmocka_unit_test(test_out_of_memory),
		cmocka_unit_test(test_random_against_model),
	};

	return cmocka_run_group_tests_name("buddy", tests, NULL, NULL);
}
