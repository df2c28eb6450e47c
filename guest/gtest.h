/* The conformance suite's test runner: suites of cases, KTAP version 1 on
 * COM2 in the nested form husk's in-kernel tests use (one subtest per
 * suite), so tests/run.py's KTAP reader takes either. */
#ifndef HUSK_GUEST_GTEST_H
#define HUSK_GUEST_GTEST_H

#include "guest.h"

struct gt {
	const char *name;
	bool failed;
	const char *skip; /* non-NULL: skipped, for this reason */
};

struct gt_case {
	const char *name;
	void (*fn)(struct gt *t, const void *arg);
	const void *arg;
};

struct gt_suite {
	const char *name;
	const struct gt_case *cases;
	size_t count;
};

#define GT_SUITE(n, arr) { n, arr, HUSK_ARRAY_SIZE(arr) }

/* Marks t failed with a "# " diagnostic line. */
void gt_fail(struct gt *t, const char *fmt, ...) HUSK_PRINTF(2, 3);
/* A "# " diagnostic line that does not fail anything. */
void gt_diag(const char *fmt, ...) HUSK_PRINTF(1, 2);
static inline void gt_skip(struct gt *t, const char *why) { t->skip = why; }

#define GT_EXPECT(t, cond, ...)                 \
	do {                                    \
		if (!(cond))                    \
			gt_fail((t), __VA_ARGS__); \
	} while (0)

/* Compares an SVSM result; a mismatch fails t with both names. */
bool gt_expect_rc(struct gt *t, const char *what, uint32_t got, uint32_t want);
/* The call, its expected result, then QUERY_PROTOCOL to prove husk still
 * serves.  out (may be NULL) gets the registers. */
bool gt_call(struct gt *t, const char *what, uint64_t rax, uint64_t rcx, uint64_t rdx, uint64_t r8,
	     uint32_t want, struct svsm_regs *out);
/* husk still answers QUERY_PROTOCOL; fails t if not. */
bool gt_alive(struct gt *t, const char *after);

/* Runs every suite; true if nothing failed. */
bool gt_run(const struct gt_suite *suites, size_t n);

/* The suites, in the order they run (tests_*.c). */
extern const struct gt_suite gt_suite_entry, gt_suite_handshake, gt_suite_query,
	gt_suite_core_calls, gt_suite_remap_ca, gt_suite_pvalidate, gt_suite_create_vcpu,
	gt_suite_vcpu, gt_suite_isolation, gt_suite_vtpm, gt_suite_attest;

#endif
