/* Unit tests for lib/svsm's RMP model (svsm_rmp.h): PVALIDATE's page-size
 * rules, FAIL_INPUT, "unchanged", memory use (one byte per 2 MiB, bitmaps
 * only where 4 KiB pages were validated), allocation failure, and
 * concurrent callers. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "husk/err.h"
#include "svsm/svsm_abi.h"
#include "svsm/svsm_rmp.h"

#define KB (1ull << 10)
#define MB (1ull << 20)
#define GB (1ull << 30)

static unsigned allocs, frees, fail_after = ~0u;

static void *t_calloc(void *ctx, size_t n, size_t size)
{
	if (__atomic_load_n(&allocs, __ATOMIC_RELAXED) >= fail_after)
		return NULL;
	__atomic_fetch_add(&allocs, 1, __ATOMIC_RELAXED);
	return calloc(n, size);
}

static void t_free(void *ctx, void *p)
{
	if (p)
		__atomic_fetch_add(&frees, 1, __ATOMIC_RELAXED);
	free(p);
}

static const struct svsm_rmp_alloc alloc = { t_calloc, t_free, NULL };
static struct svsm_rmp r;

static int setup(void **state)
{
	allocs = frees = 0;
	fail_after = ~0u;
	return svsm_rmp_init(&r, &alloc, 64 * MB);
}

static int teardown(void **state)
{
	bool ok = svsm_rmp_check(&r);

	svsm_rmp_destroy(&r);
	if (!ok)
		fail_msg("RMP model inconsistent");
	if (allocs != frees)
		fail_msg("%u allocations, %u frees", allocs, frees);
	return 0;
}

static uint32_t pv(uint64_t gpa, bool huge, bool validate, bool *unchanged)
{
	return svsm_rmp_pvalidate(&r, gpa, huge, validate, unchanged);
}

/* Expects code rc and the unchanged flag u. */
#define PV(gpa, huge, val, rc, u)                                        \
	do {                                                             \
		bool un_ = !(u);                                         \
		assert_int_equal(pv(gpa, huge, val, &un_), rc);          \
		assert_int_equal(un_, (u));                              \
	} while (0)

static void test_init(void **state)
{
	struct svsm_rmp x;

	assert_int_equal(svsm_rmp_init(&x, &alloc, 0), HUSK_ERR_RANGE);
	assert_int_equal(svsm_rmp_init(&x, &alloc, 4 * MB + 8), HUSK_ERR_ALIGN);
	assert_int_equal(svsm_rmp_init(&x, &alloc, SVSM_RMP_MAX_GPA + 4096), HUSK_ERR_RANGE);
	assert_int_equal(svsm_rmp_init(&x, NULL, 4 * MB), HUSK_ERR_INVAL);
	/* Allocation failure at each step, nothing leaked. */
	for (unsigned n = 0; n < 2; n++) {
		unsigned a = allocs, f = frees;

		fail_after = allocs + n;
		assert_int_equal(svsm_rmp_init(&x, &alloc, 4 * MB), HUSK_ERR_NOMEM);
		assert_int_equal(allocs - a, frees - f);
	}
	fail_after = ~0u;
	/* The largest allowed: 1 TiB. */
	assert_int_equal(svsm_rmp_init(&x, &alloc, SVSM_RMP_MAX_GPA), HUSK_OK);
	assert_int_equal(svsm_rmp_footprint(&x), 512 * KB + 8192 * 8);
	svsm_rmp_destroy(&x);
	/* Nothing is validated at first. */
	assert_false(svsm_rmp_validated(&r, 0));
	assert_false(svsm_rmp_validated(&r, 64 * MB - 4096));
}

static void test_4k(void **state)
{
	PV(0x5000, false, true, SNP_PVALIDATE_OK, false);
	assert_true(svsm_rmp_validated(&r, 0x5000));
	assert_true(svsm_rmp_validated(&r, 0x5fff));
	assert_false(svsm_rmp_validated(&r, 0x4000));
	assert_false(svsm_rmp_validated(&r, 0x6000));
	PV(0x5000, false, true, SNP_PVALIDATE_OK, true);
	PV(0x5000, false, false, SNP_PVALIDATE_OK, false);
	assert_false(svsm_rmp_validated(&r, 0x5000));
	PV(0x5000, false, false, SNP_PVALIDATE_OK, true);
	/* Rescinding a page that was never validated, in a group with no
	 * bitmap yet: unchanged, no memory needed. */
	fail_after = allocs;
	PV(40 * MB, false, false, SNP_PVALIDATE_OK, true);
	fail_after = ~0u;
	/* Every page of a frame, then none. */
	for (uint64_t p = 0; p < 512; p++)
		PV(6 * MB + p * 4096, false, true, SNP_PVALIDATE_OK, false);
	for (uint64_t p = 0; p < 512; p++)
		assert_true(svsm_rmp_validated(&r, 6 * MB + p * 4096));
	assert_false(svsm_rmp_validated(&r, 8 * MB));
	for (uint64_t p = 0; p < 512; p++)
		PV(6 * MB + p * 4096, false, false, SNP_PVALIDATE_OK, false);
	assert_false(svsm_rmp_validated(&r, 6 * MB + 511 * 4096));
}

static void test_2m(void **state)
{
	PV(2 * MB, true, true, SNP_PVALIDATE_OK, false);
	for (uint64_t a = 2 * MB; a < 4 * MB; a += 4096)
		assert_true(svsm_rmp_validated(&r, a));
	assert_false(svsm_rmp_validated(&r, 4 * MB));
	assert_false(svsm_rmp_validated(&r, 2 * MB - 1));
	PV(2 * MB, true, true, SNP_PVALIDATE_OK, true);
	PV(2 * MB, true, false, SNP_PVALIDATE_OK, false);
	assert_false(svsm_rmp_validated(&r, 3 * MB));
	PV(2 * MB, true, false, SNP_PVALIDATE_OK, true);
	/* 2 MiB pages need no memory at all. */
	fail_after = allocs;
	PV(10 * MB, true, true, SNP_PVALIDATE_OK, false);
	PV(10 * MB, true, false, SNP_PVALIDATE_OK, false);
	fail_after = ~0u;
}

static void test_size_mismatch(void **state)
{
	/* 4 KiB inside a 2 MiB-validated frame: validate and rescind. */
	PV(2 * MB, true, true, SNP_PVALIDATE_OK, false);
	PV(2 * MB + 0x3000, false, true, SNP_PVALIDATE_FAIL_SIZEMISMATCH, false);
	PV(2 * MB + 0x3000, false, false, SNP_PVALIDATE_FAIL_SIZEMISMATCH, false);
	PV(2 * MB, false, false, SNP_PVALIDATE_FAIL_SIZEMISMATCH, false);
	assert_true(svsm_rmp_validated(&r, 2 * MB + 0x3000));
	/* 2 MiB over a frame with 4 KiB pages validated on their own. */
	PV(4 * MB + 0x1ff000, false, true, SNP_PVALIDATE_OK, false);
	PV(4 * MB, true, true, SNP_PVALIDATE_FAIL_SIZEMISMATCH, false);
	PV(4 * MB, true, false, SNP_PVALIDATE_FAIL_SIZEMISMATCH, false);
	assert_false(svsm_rmp_validated(&r, 4 * MB));
	assert_true(svsm_rmp_validated(&r, 4 * MB + 0x1ff000));
	/* Once the last 4 KiB page is rescinded, the frame takes 2 MiB. */
	PV(4 * MB + 0x1ff000, false, false, SNP_PVALIDATE_OK, false);
	PV(4 * MB, true, true, SNP_PVALIDATE_OK, false);
	/* And a 2 MiB page rescinded leaves the frame to 4 KiB pages. */
	PV(4 * MB, true, false, SNP_PVALIDATE_OK, false);
	PV(4 * MB + 0x1000, false, true, SNP_PVALIDATE_OK, false);
}

static void test_fail_input(void **state)
{
	struct svsm_rmp x;

	PV(0x5008, false, true, SNP_PVALIDATE_FAIL_INPUT, false);
	PV(0x5800, false, false, SNP_PVALIDATE_FAIL_INPUT, false);
	PV(2 * MB + 0x1000, true, true, SNP_PVALIDATE_FAIL_INPUT, false);
	PV(1 * MB, true, false, SNP_PVALIDATE_FAIL_INPUT, false);
	PV(64 * MB, false, true, SNP_PVALIDATE_FAIL_INPUT, false);
	PV(64 * MB, true, true, SNP_PVALIDATE_FAIL_INPUT, false);
	PV(0xfffffffffffff000ull, false, true, SNP_PVALIDATE_FAIL_INPUT, false);
	PV(0xffffffffffe00000ull, true, true, SNP_PVALIDATE_FAIL_INPUT, false);
	PV(64 * MB - 4096, false, true, SNP_PVALIDATE_OK, false);
	assert_false(svsm_rmp_validated(&r, 64 * MB));
	assert_false(svsm_rmp_validated(&r, UINT64_MAX));

	/* max_gpa not a 2 MiB multiple: the last frame takes no 2 MiB page
	 * and no 4 KiB page beyond max_gpa. */
	assert_int_equal(svsm_rmp_init(&x, &alloc, 5 * MB), HUSK_OK);
	bool u;

	assert_int_equal(svsm_rmp_pvalidate(&x, 4 * MB, true, true, &u), SNP_PVALIDATE_FAIL_INPUT);
	assert_int_equal(svsm_rmp_pvalidate(&x, 5 * MB, false, true, &u), SNP_PVALIDATE_FAIL_INPUT);
	assert_int_equal(svsm_rmp_pvalidate(&x, 5 * MB - 4096, false, true, &u), SNP_PVALIDATE_OK);
	assert_int_equal(svsm_rmp_pvalidate(&x, 2 * MB, true, true, &u), SNP_PVALIDATE_OK);
	assert_true(svsm_rmp_check(&x));
	svsm_rmp_destroy(&x);
}

static void test_no_memory(void **state)
{
	unsigned a;

	fail_after = allocs;
	PV(0x5000, false, true, SVSM_RMP_NOMEM, false);
	assert_int_equal(SVSM_RMP_NOMEM, SVSM_PVALIDATE_OP_RETRY);
	assert_false(svsm_rmp_validated(&r, 0x5000));
	/* Size rules still come first: no memory needed to refuse. */
	PV(2 * MB, true, true, SNP_PVALIDATE_OK, false);
	PV(2 * MB + 0x1000, false, true, SNP_PVALIDATE_FAIL_SIZEMISMATCH, false);
	fail_after = ~0u;
	a = allocs;
	PV(0x5000, false, true, SNP_PVALIDATE_OK, false);
	assert_int_equal(allocs, a + 1);
	/* One block serves the whole 128 MiB group. */
	PV(0x6000, false, true, SNP_PVALIDATE_OK, false);
	PV(62 * MB, false, true, SNP_PVALIDATE_OK, false);
	assert_int_equal(allocs, a + 1);
}

static void test_footprint(void **state)
{
	struct svsm_rmp x;
	bool u;

	/* 4 GiB validated in 2 MiB pages: 2 KiB + 256 bytes. */
	assert_int_equal(svsm_rmp_init(&x, &alloc, 4 * GB), HUSK_OK);
	for (uint64_t a = 0; a < 4 * GB; a += 2 * MB)
		assert_int_equal(svsm_rmp_pvalidate(&x, a, true, true, &u), SNP_PVALIDATE_OK);
	assert_int_equal(svsm_rmp_footprint(&x), 2048 + 32 * 8);
	for (uint64_t a = 0; a < 4 * GB; a += 2 * MB)
		assert_int_equal(svsm_rmp_pvalidate(&x, a, true, false, &u), SNP_PVALIDATE_OK);
	/* 4 GiB in 4 KiB pages: one bit each, 128 KiB of bitmaps. */
	for (uint64_t a = 0; a < 4 * GB; a += 4096)
		assert_int_equal(svsm_rmp_pvalidate(&x, a, false, true, &u), SNP_PVALIDATE_OK);
	assert_int_equal(svsm_rmp_footprint(&x), 2048 + 32 * 8 + 128 * KB);
	assert_true(svsm_rmp_validated(&x, 4 * GB - 1));
	assert_true(svsm_rmp_check(&x));
	svsm_rmp_destroy(&x);

	/* 64 GiB: 36 KiB to start with. */
	assert_int_equal(svsm_rmp_init(&x, &alloc, 64 * GB), HUSK_OK);
	assert_int_equal(svsm_rmp_footprint(&x), 32 * KB + 4 * KB);
	assert_int_equal(svsm_rmp_pvalidate(&x, 64 * GB - 4096, false, true, &u), SNP_PVALIDATE_OK);
	assert_int_equal(svsm_rmp_pvalidate(&x, 64 * GB - 2 * MB, true, true, &u),
			 SNP_PVALIDATE_FAIL_SIZEMISMATCH);
	assert_int_equal(svsm_rmp_pvalidate(&x, 32 * GB, true, true, &u), SNP_PVALIDATE_OK);
	/* Rescinding where no 4 KiB page was ever validated costs nothing. */
	assert_int_equal(svsm_rmp_pvalidate(&x, 40 * GB, false, false, &u), SNP_PVALIDATE_OK);
	assert_true(u);
	assert_int_equal(svsm_rmp_footprint(&x), 36 * KB + 4 * KB);
	assert_true(svsm_rmp_check(&x));
	svsm_rmp_destroy(&x);
}

static void test_check_detects(void **state)
{
	PV(0x5000, false, true, SNP_PVALIDATE_OK, false);
	assert_true(svsm_rmp_check(&r));
	r.frame[0] = SVSM_RMP_FRAME_NONE; /* bitmap says otherwise */
	assert_false(svsm_rmp_check(&r));
	r.frame[0] = SVSM_RMP_FRAME_HUGE;
	assert_false(svsm_rmp_check(&r));
	r.frame[0] = 7;
	assert_false(svsm_rmp_check(&r));
	r.frame[0] = SVSM_RMP_FRAME_SMALL;
	assert_true(svsm_rmp_check(&r));
	r.frame[1] = SVSM_RMP_FRAME_SMALL; /* no bit set */
	assert_false(svsm_rmp_check(&r));
	r.frame[1] = SVSM_RMP_FRAME_NONE;
	/* A bit beyond max_gpa (64 MiB = frame 32, in the same block). */
	r.group[0][32 * 8] = 1;
	assert_false(svsm_rmp_check(&r));
	r.group[0][32 * 8] = 0;
	assert_true(svsm_rmp_check(&r));
	r.blocks = 2; /* the count of blocks */
	assert_false(svsm_rmp_check(&r));
	r.blocks = 1;

	/* max_gpa inside a frame: no 2 MiB page and no 4 KiB bit beyond it. */
	struct svsm_rmp x;
	bool u;

	assert_int_equal(svsm_rmp_init(&x, &alloc, 5 * MB), HUSK_OK);
	assert_int_equal(svsm_rmp_pvalidate(&x, 4 * MB, false, true, &u), SNP_PVALIDATE_OK);
	assert_true(svsm_rmp_check(&x));
	x.group[0][2 * 8 + 4] = 1; /* frame 2, page 256: 5 MiB */
	assert_false(svsm_rmp_check(&x));
	x.group[0][2 * 8 + 4] = 0;
	x.group[0][2 * 8] = 0;
	x.frame[2] = SVSM_RMP_FRAME_HUGE;
	assert_false(svsm_rmp_check(&x));
	x.frame[2] = SVSM_RMP_FRAME_NONE;
	assert_true(svsm_rmp_check(&x));
	svsm_rmp_destroy(&x);
}

/* ---- concurrent callers ---- */

#define THREADS 4

struct worker {
	unsigned id;
	unsigned changed; /* PVALIDATEs that changed the state */
};

static pthread_barrier_t barrier;

/* Everyone validates then rescinds the same 4 KiB pages of a fresh group:
 * each page changes state exactly once per pass, one block is allocated. */
static void *same_pages(void *p)
{
	struct worker *w = p;
	bool u;

	pthread_barrier_wait(&barrier);
	for (uint64_t a = 32 * MB; a < 34 * MB; a += 4096) {
		if (svsm_rmp_pvalidate(&r, a, false, true, &u) == SNP_PVALIDATE_OK && !u)
			w->changed++;
	}
	pthread_barrier_wait(&barrier);
	for (uint64_t a = 32 * MB; a < 34 * MB; a += 4096) {
		if (svsm_rmp_pvalidate(&r, a, false, false, &u) == SNP_PVALIDATE_OK && !u)
			w->changed++;
	}
	return NULL;
}

/* Each thread its own pages in one frame, and its own 2 MiB frame. */
static void *own_pages(void *p)
{
	struct worker *w = p;
	bool u;

	pthread_barrier_wait(&barrier);
	for (unsigned round = 0; round < 50; round++) {
		for (uint64_t pg = w->id; pg < 512; pg += THREADS) {
			if (svsm_rmp_pvalidate(&r, 16 * MB + pg * 4096, false, round % 2 == 0, &u) ||
			    u)
				return NULL;
			w->changed++;
		}
		if (svsm_rmp_pvalidate(&r, (20 + 2 * w->id) * MB, true, round % 2 == 0, &u) || u)
			return NULL;
		w->changed++;
	}
	return NULL;
}

static void run_workers(void *(*fn)(void *), struct worker *w)
{
	pthread_t t[THREADS];

	assert_int_equal(pthread_barrier_init(&barrier, NULL, THREADS), 0);
	for (unsigned i = 0; i < THREADS; i++) {
		w[i] = (struct worker){ i, 0 };
		assert_int_equal(pthread_create(&t[i], NULL, fn, &w[i]), 0);
	}
	for (unsigned i = 0; i < THREADS; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	pthread_barrier_destroy(&barrier);
}

static void test_concurrent(void **state)
{
	struct worker w[THREADS];
	unsigned total = 0;

	/* A new block for 32 MiB: allocated by every racer, kept once. */
	svsm_rmp_destroy(&r);
	assert_int_equal(svsm_rmp_init(&r, &alloc, 256 * MB), HUSK_OK);
	unsigned a = allocs, f = frees;

	run_workers(same_pages, w);
	for (unsigned i = 0; i < THREADS; i++)
		total += w[i].changed;
	assert_int_equal(total, 2 * 512);
	assert_int_equal(r.blocks, 1);
	assert_int_equal((allocs - a) - (frees - f), 1);
	assert_true(svsm_rmp_check(&r));
	assert_false(svsm_rmp_validated(&r, 33 * MB));

	run_workers(own_pages, w);
	for (unsigned i = 0; i < THREADS; i++)
		assert_int_equal(w[i].changed, 50 * (512 / THREADS + 1));
	assert_true(svsm_rmp_check(&r));
	for (uint64_t pg = 0; pg < 512; pg++)
		assert_false(svsm_rmp_validated(&r, 16 * MB + pg * 4096)); /* 50 rounds: even */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_init, setup, teardown),
		cmocka_unit_test_setup_teardown(test_4k, setup, teardown),
		cmocka_unit_test_setup_teardown(test_2m, setup, teardown),
		cmocka_unit_test_setup_teardown(test_size_mismatch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fail_input, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_memory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_footprint, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_detects, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
