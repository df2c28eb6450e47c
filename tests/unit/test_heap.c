/* Unit tests for lib/mm's small-object heap: size classes and alignment,
 * large blocks, calloc overflow, every detected misuse (bad pointers, double
 * frees, writes after free, a misbehaving page provider), out of memory,
 * return of empty pages, a randomized run with patterns in every
 * allocation, and the heap running on the buddy allocator as in the kernel. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "husk/err.h"
#include "mm/buddy.h"
#include "mm/heap.h"

#define PG HEAP_PAGE_SIZE
#define MOCK_MAX_BLOCKS 8192

/* A page provider over aligned_alloc that checks how the heap uses it. */
struct mock {
	struct {
		char *real; /* what aligned_alloc returned */
		void *given;
		unsigned int order;
	} blocks[MOCK_MAX_BLOCKS];
	unsigned int nblocks;
	long fail_after;          /* successes left before failing; -1 = never */
	unsigned int max_order;   /* larger requests fail */
	int misalign;             /* hand out blocks 16 bytes off */
	unsigned int calls;
	unsigned int unwiped;     /* blocks returned with something not poison */
	/* error callback record */
	unsigned int errors;
	int last_err;
	const void *last_ptr;
};

static void *mock_alloc(void *ctx, unsigned int order)
{
	struct mock *m = ctx;
	size_t bytes = (size_t)PG << order;
	char *real;

	m->calls++;
	if (order > m->max_order || m->fail_after == 0 || m->nblocks == MOCK_MAX_BLOCKS)
		return NULL;
	if (m->fail_after > 0)
		m->fail_after--;
	real = aligned_alloc(PG, bytes + PG);
	assert_non_null(real);
	/* Stale content, as a reused page would have. */
	memset(real, 0xc3, bytes + PG);
	m->blocks[m->nblocks].real = real;
	m->blocks[m->nblocks].given = real + (m->misalign ? 16 : 0);
	m->blocks[m->nblocks].order = order;
	return m->blocks[m->nblocks++].given;
}

static void mock_free(void *ctx, void *p, unsigned int order)
{
	struct mock *m = ctx;

	for (unsigned int i = 0; i < m->nblocks; i++) {
		if (m->blocks[i].given != p)
			continue;
		assert_int_equal(m->blocks[i].order, order);
		if (!m->misalign) {
			/* Check the heap wiped what it gives back (slab
			 * headers excepted: the first 80 bytes). */
			size_t bytes = (size_t)PG << order;
			const unsigned char *c = p;
			size_t from = order == 0 ? 80 : 0;

			for (size_t j = from; j < bytes; j++)
				if (c[j] != HEAP_POISON) {
					m->unwiped++;
					break;
				}
		}
		free(m->blocks[i].real);
		m->blocks[i] = m->blocks[--m->nblocks];
		return;
	}
	fail_msg("page_free of a block the provider never gave: %p", p);
}

static void mock_error(void *ctx, int err, const void *ptr)
{
	struct mock *m = ctx;

	m->errors++;
	m->last_err = err;
	m->last_ptr = ptr;
}

struct fixture {
	struct mock *m;
	struct heap h;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct heap_page_ops ops;

	if (f == NULL)
		return -1;
	f->m = calloc(1, sizeof(*f->m));
	if (f->m == NULL)
		return -1;
	f->m->fail_after = -1;
	f->m->max_order = 30;
	ops = (struct heap_page_ops){ mock_alloc, mock_free, mock_error, f->m };
	if (heap_init(&f->h, &ops) != HUSK_OK)
		return -1;
	*state = f;
	return 0;
}

/* Every test must leave nothing behind: no pages, no bytes, no misuse
 * reports it did not expect (tests that expect some reset the count). */
static int teardown(void **state)
{
	struct fixture *f = *state;
	struct heap_stats st;
	int rc = 0;

	heap_get_stats(&f->h, &st);
	if (st.pages_held != 0 || st.bytes_in_use != 0 || f->m->nblocks != 0 || f->m->unwiped != 0 ||
	    f->m->errors != 0 || heap_check(&f->h) != HUSK_OK) {
		print_error("teardown: %zu pages, %zu bytes, %u blocks, %u unwiped, %u errors\n", st.pages_held,
			    st.bytes_in_use, f->m->nblocks, f->m->unwiped, f->m->errors);
		rc = -1;
	}
	while (f->m->nblocks > 0)
		free(f->m->blocks[--f->m->nblocks].real);
	free(f->m);
	free(f);
	return rc;
}

static struct heap_stats stats_of(const struct heap *h)
{
	struct heap_stats st;

	heap_get_stats(h, &st);
	return st;
}

/* ---- basics ---- */

static void test_init_errors(void **state)
{
	struct heap h;
	struct heap_page_ops ops = { mock_alloc, NULL, NULL, NULL };
	int x;

	assert_int_equal(heap_init(NULL, &ops), HUSK_ERR_INVAL);
	assert_int_equal(heap_init(&h, NULL), HUSK_ERR_INVAL);
	assert_int_equal(heap_init(&h, &ops), HUSK_ERR_INVAL);
	ops = (struct heap_page_ops){ NULL, mock_free, NULL, NULL };
	assert_int_equal(heap_init(&h, &ops), HUSK_ERR_INVAL);

	/* A heap never initialised refuses everything, harmlessly. */
	memset(&h, 0, sizeof(h));
	assert_null(heap_alloc(&h, 16));
	assert_null(heap_calloc(&h, 1, 16));
	assert_int_equal(heap_free(&h, &x), HUSK_ERR_INVAL);
	assert_int_equal(heap_free(&h, NULL), HUSK_OK);
	assert_null(heap_alloc(NULL, 16));
	assert_int_equal(heap_check(&h), HUSK_ERR_FORMAT);
	assert_int_equal(stats_of(&h).pages_held, 0);
}

/* Every small size: aligned, usable to the last byte, and charged at its
 * class size. */
static void test_every_small_size(void **state)
{
	struct fixture *f = *state;
	void **ptrs = test_calloc(HEAP_SMALL_MAX + 1, sizeof(void *));
	size_t expect_bytes = 0;

	for (size_t size = 0; size <= HEAP_SMALL_MAX; size++) {
		size_t before = stats_of(&f->h).bytes_in_use, delta;
		unsigned char *p = heap_alloc(&f->h, size);

		assert_non_null(p);
		assert_true(((uintptr_t)p % HEAP_ALIGN) == 0);
		assert_true(((uintptr_t)p % PG) != 0); /* small objects never are */
		delta = stats_of(&f->h).bytes_in_use - before;
		assert_true(delta >= size && delta >= 16 && delta % 16 == 0 && delta <= HEAP_SMALL_MAX);
		/* No class wastes more than the object itself. */
		assert_true(delta <= 2 * size + 16);
		memset(p, (int)(size & 0xff), size);
		ptrs[size] = p;
		expect_bytes += delta;
	}
	assert_int_equal(stats_of(&f->h).bytes_in_use, expect_bytes);
	assert_int_equal(heap_check(&f->h), HUSK_OK);
	for (size_t size = 0; size <= HEAP_SMALL_MAX; size++) {
		const unsigned char *p = ptrs[size];

		for (size_t i = 0; i < size; i++)
			assert_int_equal(p[i], size & 0xff);
		assert_int_equal(heap_free(&f->h, ptrs[size]), HUSK_OK);
	}
	assert_int_equal(stats_of(&f->h).allocs, HEAP_SMALL_MAX + 1);
	assert_int_equal(stats_of(&f->h).frees, HEAP_SMALL_MAX + 1);
	test_free(ptrs);
}

static void test_class_rounding(void **state)
{
	struct fixture *f = *state;
	static const struct {
		size_t size, charged;
	} cases[] = {
		{ 0, 16 }, { 1, 16 }, { 16, 16 }, { 17, 32 }, { 128, 128 }, { 129, 160 },
		{ 2000, 2000 }, { 2001, PG }, { PG, PG }, { PG + 1, 2 * PG }, { 3 * PG, 4 * PG },
		{ 64 * PG, 64 * PG },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t before = stats_of(&f->h).bytes_in_use;
		void *p = heap_alloc(&f->h, cases[i].size);

		assert_non_null(p);
		assert_int_equal(stats_of(&f->h).bytes_in_use - before, cases[i].charged);
		if (cases[i].size > HEAP_SMALL_MAX)
			assert_true(((uintptr_t)p % PG) == 0);
		memset(p, 0x11, cases[i].size);
		assert_int_equal(heap_free(&f->h, p), HUSK_OK);
		assert_int_equal(stats_of(&f->h).bytes_in_use, before);
	}
	/* Size 0 gives distinct objects. */
	{
		void *a = heap_alloc(&f->h, 0), *b = heap_alloc(&f->h, 0);

		assert_non_null(a);
		assert_non_null(b);
		assert_ptr_not_equal(a, b);
		assert_int_equal(heap_free(&f->h, a), HUSK_OK);
		assert_int_equal(heap_free(&f->h, b), HUSK_OK);
	}
}

static void test_large_blocks(void **state)
{
	struct fixture *f = *state;
	void *p[6];
	static const size_t sizes[6] = { 2001, PG, 5 * PG, 100000, 1 << 20, 3 * PG + 7 };

	for (unsigned int i = 0; i < 6; i++) {
		p[i] = heap_alloc(&f->h, sizes[i]);
		assert_non_null(p[i]);
		assert_true(((uintptr_t)p[i] % PG) == 0);
		memset(p[i], (int)i, sizes[i]);
	}
	/* Five orders' worth of blocks plus one slab page for the records. */
	assert_int_equal(stats_of(&f->h).pages_held, 1 + 1 + 8 + 32 + 256 + 4 + 1);
	assert_int_equal(heap_check(&f->h), HUSK_OK);
	for (unsigned int i = 0; i < 6; i++) {
		const unsigned char *c = p[i];

		assert_int_equal(c[0], i);
		assert_int_equal(c[sizes[i] - 1], i);
		assert_int_equal(heap_free(&f->h, p[i]), HUSK_OK);
	}
	/* Too large for any block: refused before the provider is asked. */
	f->m->calls = 0;
	assert_null(heap_alloc(&f->h, SIZE_MAX));
	assert_null(heap_alloc(&f->h, ((size_t)PG << HEAP_MAX_ORDER) + 1));
	assert_int_equal(f->m->calls, 0);
	assert_int_equal(stats_of(&f->h).failed_allocs, 2);
}

static void test_calloc_zeroes_and_overflow(void **state)
{
	struct fixture *f = *state;
	unsigned char *p, *q;

	/* Reuse a dirty object: calloc must zero it. */
	p = heap_alloc(&f->h, 100);
	q = heap_alloc(&f->h, 100); /* keeps the slab alive */
	memset(p, 0xff, 100);
	assert_int_equal(heap_free(&f->h, p), HUSK_OK);
	p = heap_calloc(&f->h, 10, 10);
	assert_non_null(p);
	for (unsigned int i = 0; i < 100; i++)
		assert_int_equal(p[i], 0);
	assert_int_equal(heap_free(&f->h, p), HUSK_OK);
	/* Large calloc over stale provider content. */
	p = heap_calloc(&f->h, 3, PG);
	assert_non_null(p);
	for (size_t i = 0; i < 3 * PG; i++)
		assert_int_equal(p[i], 0);
	assert_int_equal(heap_free(&f->h, p), HUSK_OK);
	assert_int_equal(heap_free(&f->h, q), HUSK_OK);

	/* Overflowing products fail without asking the provider. */
	f->m->calls = 0;
	assert_null(heap_calloc(&f->h, SIZE_MAX / 2 + 1, 2));
	assert_null(heap_calloc(&f->h, 2, SIZE_MAX / 2 + 1));
	assert_null(heap_calloc(&f->h, SIZE_MAX, SIZE_MAX));
	assert_int_equal(f->m->calls, 0);
	assert_int_equal(stats_of(&f->h).failed_allocs, 3);
	/* Zero either way is a minimal object. */
	p = heap_calloc(&f->h, 0, 8);
	assert_non_null(p);
	assert_int_equal(heap_free(&f->h, p), HUSK_OK);
	assert_null(heap_calloc(NULL, 1, 1));
}

/* ---- misuse ---- */

static void expect_bad_free(struct fixture *f, void *p, int err)
{
	struct heap_stats before = stats_of(&f->h), after;
	unsigned int errors = f->m->errors;

	assert_int_equal(heap_free(&f->h, p), err);
	assert_int_equal(f->m->errors, errors + 1);
	assert_int_equal(f->m->last_err, err);
	assert_ptr_equal(f->m->last_ptr, p);
	after = stats_of(&f->h);
	assert_int_equal(after.invalid_frees, before.invalid_frees + 1);
	assert_int_equal(after.bytes_in_use, before.bytes_in_use);
	assert_int_equal(after.pages_held, before.pages_held);
	assert_int_equal(after.frees, before.frees);
	assert_int_equal(heap_check(&f->h), HUSK_OK);
}

static void test_invalid_frees(void **state)
{
	struct fixture *f = *state;
	char *a = heap_alloc(&f->h, 64);
	char *b = heap_alloc(&f->h, 64);
	char *big = heap_alloc(&f->h, 2000);
	char *large = heap_alloc(&f->h, 3 * PG);
	char *foreign;

	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(big);
	assert_non_null(large);
	memset(large, 0, 3 * PG);

	/* Not the start of an object. */
	expect_bad_free(f, a + 1, HUSK_ERR_INVAL);
	expect_bad_free(f, a + 16, HUSK_ERR_INVAL);
	expect_bad_free(f, a + 63, HUSK_ERR_INVAL);
	/* Inside the slab header. */
	expect_bad_free(f, (char *)((uintptr_t)a & ~(uintptr_t)(PG - 1)) + 16, HUSK_ERR_INVAL);
	/* Past the last object of a slab (two 2000-byte objects per page). */
	expect_bad_free(f, (char *)((uintptr_t)big & ~(uintptr_t)(PG - 1)) + 80 + 2 * 2000, HUSK_ERR_INVAL);
	/* Page-aligned pointers that are no large block: inside one, just
	 * past one, and a slab page itself. */
	expect_bad_free(f, large + PG, HUSK_ERR_INVAL);
	expect_bad_free(f, large + 4 * PG, HUSK_ERR_INVAL);
	expect_bad_free(f, (char *)((uintptr_t)a & ~(uintptr_t)(PG - 1)), HUSK_ERR_INVAL);
	/* Not page aligned, inside a large block (whose data is no header). */
	expect_bad_free(f, large + PG + 96, HUSK_ERR_INVAL);
	/* A page the provider gave to someone else. */
	foreign = mock_alloc(f->m, 0);
	expect_bad_free(f, foreign + 128, HUSK_ERR_INVAL);
	/* ...even one that holds a copy of a real slab header. */
	memcpy(foreign, (void *)((uintptr_t)a & ~(uintptr_t)(PG - 1)), PG);
	expect_bad_free(f, foreign + 80, HUSK_ERR_INVAL);
	memset(foreign, HEAP_POISON, PG);
	mock_free(f->m, foreign, 0);

	/* Double frees. */
	assert_int_equal(heap_free(&f->h, a), HUSK_OK);
	expect_bad_free(f, a, HUSK_ERR_NOTFOUND);
	assert_int_equal(heap_free(&f->h, large), HUSK_OK);
	expect_bad_free(f, large, HUSK_ERR_INVAL);

	assert_int_equal(heap_free(&f->h, b), HUSK_OK);
	assert_int_equal(heap_free(&f->h, big), HUSK_OK);
	assert_int_equal(stats_of(&f->h).invalid_frees, 13);
	f->m->errors = 0;
}

/* A pointer from one heap freed into another is refused. */
static void test_cross_heap_free(void **state)
{
	struct fixture *f = *state;
	struct heap other;
	struct heap_page_ops ops = { mock_alloc, mock_free, mock_error, f->m };
	void *p;

	assert_int_equal(heap_init(&other, &ops), HUSK_OK);
	p = heap_alloc(&other, 48);
	assert_non_null(p);
	expect_bad_free(f, p, HUSK_ERR_INVAL);
	assert_int_equal(heap_free(&other, p), HUSK_OK);
	assert_int_equal(stats_of(&other).pages_held, 0);
	f->m->errors = 0;
}

static void test_write_after_free(void **state)
{
	struct fixture *f = *state;
	unsigned char *a = heap_alloc(&f->h, 64);
	unsigned char *b = heap_alloc(&f->h, 64); /* keeps the slab alive */
	unsigned char *c;

	memcpy(a, "secret key material", 19);
	assert_int_equal(heap_free(&f->h, a), HUSK_OK);
	/* Freed objects are wiped with poison. */
	for (unsigned int i = 0; i < 64; i++)
		assert_int_equal(a[i], HEAP_POISON);
	assert_int_equal(heap_check(&f->h), HUSK_OK);

	a[40] = 0; /* the stale write */
	assert_int_equal(heap_check(&f->h), HUSK_ERR_FORMAT);
	/* The next allocation finds the slot written to, reports it, and
	 * hands out another object instead. */
	c = heap_alloc(&f->h, 64);
	assert_non_null(c);
	assert_ptr_not_equal(c, a);
	assert_int_equal(f->m->errors, 1);
	assert_int_equal(f->m->last_err, HUSK_ERR_FORMAT);
	assert_ptr_equal(f->m->last_ptr, a);
	assert_int_equal(stats_of(&f->h).corrupt_objects, 1);
	assert_int_equal(heap_check(&f->h), HUSK_OK);

	/* The quarantined object keeps its page: free the rest, and the
	 * page stays (leaked on purpose); account for it by hand. */
	assert_int_equal(heap_free(&f->h, b), HUSK_OK);
	assert_int_equal(heap_free(&f->h, c), HUSK_OK);
	assert_int_equal(stats_of(&f->h).pages_held, 1);
	assert_int_equal(stats_of(&f->h).bytes_in_use, 0);
	/* Let teardown see a clean heap: give the page back by hand. */
	{
		struct heap_page_ops ops = { mock_alloc, mock_free, mock_error, f->m };
		void *page = (void *)((uintptr_t)a & ~(uintptr_t)(PG - 1));

		memset(page, HEAP_POISON, PG);
		mock_free(f->m, page, 0);
		assert_int_equal(heap_init(&f->h, &ops), HUSK_OK);
	}
	f->m->errors = 0;
}

/* The quarantine gives up after a bounded number of bad objects. */
static void test_many_corrupt_objects(void **state)
{
	struct fixture *f = *state;
	void *objs[16];
	unsigned char *keep;

	keep = heap_alloc(&f->h, 16);
	for (unsigned int i = 0; i < 16; i++)
		objs[i] = heap_alloc(&f->h, 16);
	for (unsigned int i = 0; i < 16; i++) {
		assert_int_equal(heap_free(&f->h, objs[i]), HUSK_OK);
		memset(objs[i], 0, 16);
	}
	/* The lowest free slots are corrupt: 8 tries, then NULL. */
	assert_null(heap_alloc(&f->h, 16));
	assert_int_equal(stats_of(&f->h).corrupt_objects, 8);
	assert_null(heap_alloc(&f->h, 16));
	assert_int_equal(stats_of(&f->h).corrupt_objects, 16);
	/* All bad ones are out of the way now. */
	objs[0] = heap_alloc(&f->h, 16);
	assert_non_null(objs[0]);
	assert_int_equal(heap_check(&f->h), HUSK_OK);
	assert_int_equal(heap_free(&f->h, objs[0]), HUSK_OK);
	assert_int_equal(heap_free(&f->h, keep), HUSK_OK);
	{
		struct heap_page_ops ops = { mock_alloc, mock_free, mock_error, f->m };
		void *page = (void *)((uintptr_t)keep & ~(uintptr_t)(PG - 1));

		memset(page, HEAP_POISON, PG);
		mock_free(f->m, page, 0);
		assert_int_equal(heap_init(&f->h, &ops), HUSK_OK);
	}
	f->m->errors = 0;
}

static void test_misaligned_provider(void **state)
{
	struct fixture *f = *state;

	f->m->misalign = 1;
	assert_null(heap_alloc(&f->h, 32));
	assert_int_equal(f->m->last_err, HUSK_ERR_ALIGN);
	assert_null(heap_alloc(&f->h, 3 * PG));
	assert_int_equal(f->m->nblocks, 0); /* every block went back */
	assert_int_equal(stats_of(&f->h).pages_held, 0);
	f->m->misalign = 0;
	f->m->errors = 0;
}

/* ---- page use ---- */

static void test_empty_slabs_returned(void **state)
{
	struct fixture *f = *state;
	void *objs[300];
	unsigned int per_page = 0;
	void *first;

	first = heap_alloc(&f->h, 16);
	assert_int_equal(stats_of(&f->h).pages_held, 1);
	assert_int_equal(heap_free(&f->h, first), HUSK_OK);
	assert_int_equal(stats_of(&f->h).pages_held, 0);
	assert_int_equal(f->m->nblocks, 0);

	/* Fill one page of 16-byte objects, then spill onto a second. */
	for (unsigned int i = 0; i < 300; i++) {
		objs[i] = heap_alloc(&f->h, 16);
		assert_non_null(objs[i]);
		if (stats_of(&f->h).pages_held == 1)
			per_page = i + 1;
	}
	assert_int_equal(per_page, (PG - 80) / 16);
	assert_int_equal(stats_of(&f->h).pages_held, 2);
	assert_int_equal(stats_of(&f->h).peak_pages_held, 2);
	for (unsigned int i = 0; i < 300; i++)
		assert_int_equal(heap_free(&f->h, objs[i]), HUSK_OK);
	assert_int_equal(stats_of(&f->h).pages_held, 0);
	assert_int_equal(stats_of(&f->h).peak_bytes_in_use, 300 * 16);
}

static void test_out_of_memory(void **state)
{
	struct fixture *f = *state;
	void **ptrs = test_calloc(4096, sizeof(void *));
	unsigned int n = 0;
	struct heap_stats st;

	f->m->fail_after = 20;
	for (;;) {
		void *p = heap_alloc(&f->h, 48 + (n % 7) * 300);

		if (p == NULL)
			break;
		assert_true(n < 4096);
		ptrs[n++] = p;
	}
	st = stats_of(&f->h);
	assert_int_equal(st.pages_held, 20);
	assert_int_equal(st.failed_allocs, 1);
	assert_null(heap_alloc(&f->h, 5000));
	assert_int_equal(heap_check(&f->h), HUSK_OK);
	while (n > 0)
		assert_int_equal(heap_free(&f->h, ptrs[--n]), HUSK_OK);

	/* A large allocation whose record fits but whose block does not:
	 * the record is given back, nothing leaks. */
	f->m->fail_after = -1;
	f->m->max_order = 1;
	assert_null(heap_alloc(&f->h, 3 * PG));
	assert_int_equal(stats_of(&f->h).pages_held, 0);
	/* ...and one whose record cannot get a page. */
	f->m->fail_after = 0;
	assert_null(heap_alloc(&f->h, PG));
	assert_int_equal(stats_of(&f->h).pages_held, 0);
	f->m->fail_after = -1;
	f->m->max_order = 30;
	test_free(ptrs);
}

/* ---- randomized run ---- */

#define STRESS_OPS 60000u
#define STRESS_LIVE 1500u

struct live {
	unsigned char *p;
	size_t size;
	size_t charged;
	unsigned char tag;
};

static uint64_t rng_state = 0x243f6a8885a308d3ull;

static uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static size_t random_size(uint64_t x)
{
	unsigned int pick = (unsigned int)(x % 100);

	x >>= 8;
	if (pick < 70)
		return (size_t)(x % 257);
	if (pick < 92)
		return 257 + (size_t)(x % (HEAP_SMALL_MAX - 256));
	return HEAP_SMALL_MAX + 1 + (size_t)(x % 40000);
}

static void verify(const struct live *l)
{
	/* Check both ends and a sample in between: any overlap between live
	 * allocations shows as someone else's tag. */
	size_t step = l->size / 16 + 1;

	for (size_t i = 0; i < l->size; i += step)
		assert_int_equal(l->p[i], l->tag);
	if (l->size > 0)
		assert_int_equal(l->p[l->size - 1], l->tag);
}

/* Whether some live small object shares p's page (so its slab lives). */
static int page_in_use(const struct live *live, unsigned int nlive, const void *p)
{
	uintptr_t page = (uintptr_t)p / PG;

	for (unsigned int i = 0; i < nlive; i++)
		if (live[i].size <= HEAP_SMALL_MAX && (uintptr_t)live[i].p / PG == page)
			return 1;
	return 0;
}

/* Returns the number of failed allocations. */
static unsigned int run_random(struct heap *h, unsigned int ops, unsigned int max_live, int expect_oom)
{
	struct live *live = test_calloc(max_live, sizeof(*live));
	unsigned int nlive = 0, failed = 0, bad = 0;
	size_t charged = 0;

	for (unsigned int op = 0; op < ops; op++) {
		uint64_t x = rng();
		int do_alloc = nlive == 0 || (nlive < max_live && (x % 100) < 52);

		if (do_alloc) {
			size_t size = random_size(x >> 8);
			size_t before = stats_of(h).bytes_in_use;
			unsigned char *p = (x >> 40) % 8 == 0 ? heap_calloc(h, 1, size) : heap_alloc(h, size);
			struct live *l;

			if (p == NULL) {
				assert_true(expect_oom);
				failed++;
				continue;
			}
			assert_true((uintptr_t)p % HEAP_ALIGN == 0);
			l = &live[nlive++];
			l->p = p;
			l->size = size;
			l->charged = stats_of(h).bytes_in_use - before;
			assert_true(l->charged >= size);
			l->tag = (unsigned char)(x >> 48);
			memset(p, l->tag, size);
			charged += l->charged;
		} else {
			unsigned int i = (unsigned int)((x >> 8) % nlive);
			struct live l = live[i];

			verify(&l);
			assert_int_equal(heap_free(h, l.p), HUSK_OK);
			charged -= l.charged;
			live[i] = live[--nlive];
			if ((x >> 40) % 16 == 0 && (l.size > HEAP_SMALL_MAX || page_in_use(live, nlive, l.p))) {
				/* Double free (a large block is just unknown).  Only
				 * while the slab lives: once its page went back to
				 * the provider, reading it is a use after free. */
				int rc = heap_free(h, l.p);

				assert_int_equal(rc, l.size > HEAP_SMALL_MAX ? HUSK_ERR_INVAL : HUSK_ERR_NOTFOUND);
				bad++;
			}
		}
		assert_int_equal(stats_of(h).bytes_in_use, charged);
		if (op % 256 == 0)
			assert_int_equal(heap_check(h), HUSK_OK);
	}
	while (nlive > 0) {
		verify(&live[--nlive]);
		assert_int_equal(heap_free(h, live[nlive].p), HUSK_OK);
	}
	assert_int_equal(heap_check(h), HUSK_OK);
	assert_int_equal(stats_of(h).pages_held, 0);
	assert_int_equal(stats_of(h).invalid_frees, bad);
	print_message("# random: %u ops, %u failed allocations, %u rejected double frees, peak %zu bytes in "
		      "%zu pages\n",
		      ops, failed, bad, stats_of(h).peak_bytes_in_use, stats_of(h).peak_pages_held);
	test_free(live);
	return failed;
}

static void test_random(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(run_random(&f->h, STRESS_OPS, STRESS_LIVE, 0), 0);
	f->m->errors = 0; /* the double frees were reported */
}

/* ---- on the buddy allocator, as the kernel wires it ---- */

struct buddy_provider {
	struct buddy b;
	unsigned int errors;
};

static void *bp_alloc(void *ctx, unsigned int order)
{
	struct buddy_provider *bp = ctx;
	uint64_t addr;

	if (order > BUDDY_MAX_ORDER || buddy_alloc(&bp->b, order, &addr) != HUSK_OK)
		return NULL;
	return (void *)(uintptr_t)addr;
}

static void bp_free(void *ctx, void *p, unsigned int order)
{
	struct buddy_provider *bp = ctx;

	assert_int_equal(buddy_free(&bp->b, (uint64_t)(uintptr_t)p, order), HUSK_OK);
}

static void bp_error(void *ctx, int err, const void *p)
{
	struct buddy_provider *bp = ctx;

	bp->errors++;
}

static void test_on_buddy(void **state)
{
	enum { NPAGES = 256 };
	struct buddy_provider *bp = test_calloc(1, sizeof(*bp));
	size_t msz = buddy_meta_size(NPAGES);
	void *meta = test_malloc(msz);
	char *arena = aligned_alloc(PG, NPAGES * PG);
	struct heap h;
	struct heap_page_ops ops = { bp_alloc, bp_free, bp_error, bp };
	struct buddy_stats bs;

	assert_non_null(arena);
	assert_int_equal(buddy_init(&bp->b, (uint64_t)(uintptr_t)arena, NPAGES, meta, msz), HUSK_OK);
	assert_int_equal(buddy_add_free(&bp->b, (uint64_t)(uintptr_t)arena, NPAGES), HUSK_OK);
	assert_int_equal(heap_init(&h, &ops), HUSK_OK);
	/* 1 MiB of pages for up to 300 live objects of up to ~40 KiB: the
	 * run hits out-of-memory now and then, and must recover. */
	assert_true(run_random(&h, 20000, 300, 1) > 0);
	buddy_get_stats(&bp->b, &bs);
	assert_int_equal(bs.free_pages, NPAGES);
	assert_int_equal(buddy_check(&bp->b), HUSK_OK);
	free(arena);
	test_free(meta);
	test_free(bp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_errors),
		cmocka_unit_test_setup_teardown(test_every_small_size, setup, teardown),
		cmocka_unit_test_setup_teardown(test_class_rounding, setup, teardown),
		cmocka_unit_test_setup_teardown(test_large_blocks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_calloc_zeroes_and_overflow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invalid_frees, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cross_heap_free, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_after_free, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_corrupt_objects, setup, teardown),
		cmocka_unit_test_setup_teardown(test_misaligned_provider, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_slabs_returned, setup, teardown),
		cmocka_unit_test_setup_teardown(test_out_of_memory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_random, setup, teardown),
		cmocka_unit_test(test_on_buddy),
	};

	return cmocka_run_group_tests_name("heap", tests, NULL, NULL);
}
