/* A calloc/free pair for tests that hand an allocator to lib/crypto
 * (crypto_init): counts live blocks, so a test can prove nothing leaked,
 * and fails the allocation numbered alloc_fail_at (from 0, counted in
 * alloc_calls; -1: never), so a test can fail every allocation of an
 * operation in turn.  Header-only: each test binary gets its own counters. */
#ifndef HUSK_TESTS_ALLOC_COUNT_H
#define HUSK_TESTS_ALLOC_COUNT_H

#include <stdlib.h>

static long alloc_live, alloc_calls, alloc_fail_at = -1;

static void *alloc_count_calloc(size_t n, size_t size)
{
	long idx = alloc_calls++;
	void *p;

	if (alloc_fail_at >= 0 && idx == alloc_fail_at)
		return NULL;
	p = calloc(n, size);
	if (p)
		alloc_live++;
	return p;
}

static void alloc_count_free(void *p)
{
	if (p)
		alloc_live--;
	free(p);
}

#endif
