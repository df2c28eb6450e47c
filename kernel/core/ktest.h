/* In-kernel tests.  A test is registered with KTEST(suite, name) { ... } and
 * checks with KEXPECT*; the test build of the kernel runs every registered
 * test after boot and reports KTAP on the console (docs/testing.md). */
#ifndef HUSK_CORE_KTEST_H
#define HUSK_CORE_KTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "husk/compiler.h"

struct ktest_ctx {
	const char *name;
	unsigned failures;
};

struct ktest {
	const char *suite;
	const char *name;
	void (*fn)(struct ktest_ctx *t);
};

/* A suite whose cases are only known at run time (e.g. crypto self-tests). */
struct ktest_dyn {
	const char *suite;
	size_t (*count)(void);
	const char *(*name)(size_t i);
	void (*run)(struct ktest_ctx *t, size_t i);
};

#define KTEST(suite, tname)                                                            \
	static void ktest_fn_##suite##_##tname(struct ktest_ctx *t);                   \
	static const struct ktest ktest_##suite##_##tname HUSK_SECTION(".ktest") HUSK_USED \
		HUSK_ALIGNED(8) = { #suite, #tname, ktest_fn_##suite##_##tname };      \
	static void ktest_fn_##suite##_##tname(struct ktest_ctx *t)

#define KTEST_DYN(suite, count_fn, name_fn, run_fn)                                   \
	static const struct ktest_dyn ktest_dyn_##suite HUSK_SECTION(".ktest_dyn") HUSK_USED \
		HUSK_ALIGNED(8) = { #suite, count_fn, name_fn, run_fn }

bool ktest_check(struct ktest_ctx *t, bool ok, const char *expr, const char *file, int line);
bool ktest_check_u64(struct ktest_ctx *t, uint64_t a, uint64_t b, const char *ea, const char *eb,
		     const char *file, int line);
void ktest_fail(struct ktest_ctx *t, const char *file, int line, const char *fmt, ...) HUSK_PRINTF(4, 5);

#define KEXPECT(t, cond) ktest_check((t), !!(cond), #cond, __FILE__, __LINE__)
#define KEXPECT_EQ(t, a, b) \
	ktest_check_u64((t), (uint64_t)(a), (uint64_t)(b), #a, #b, __FILE__, __LINE__)
#define KASSERT(t, cond)                   \
	do {                               \
		if (!KEXPECT((t), (cond))) \
			return;            \
	} while (0)
#define KASSERT_EQ(t, a, b)                   \
	do {                                  \
		if (!KEXPECT_EQ((t), (a), (b))) \
			return;               \
	} while (0)

/* Runs every test; true if all passed. */
bool ktest_run_all(void);
/* Runs the guardrail case named by the command line (ktest.guard=...);
 * returns only if there is no such option. */
void ktest_run_guard(const char *name);

#endif
