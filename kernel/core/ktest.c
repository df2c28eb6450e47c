/* The in-kernel test runner: KTAP output, per-test leak checks. */
#include <stdarg.h>
#include <string.h>

#include "core/console.h"
#include "core/ktest.h"
#include "fmt/fmt.h"
#include "mm/kheap.h"
#include "mm/pages.h"

extern const struct ktest __ktest_start[], __ktest_end[];
extern const struct ktest_dyn __ktest_dyn_start[], __ktest_dyn_end[];

bool ktest_check(struct ktest_ctx *t, bool ok, const char *expr, const char *file, int line)
{
	if (!ok) {
		t->failures++;
		kprintf("    # %s: EXPECTATION FAILED at %s:%d: %s\n", t->name, file, line, expr);
	}
	return ok;
}

bool ktest_check_u64(struct ktest_ctx *t, uint64_t a, uint64_t b, const char *ea, const char *eb,
		     const char *file, int line)
{
	if (a != b) {
		t->failures++;
		kprintf("    # %s: EXPECTATION FAILED at %s:%d: %s == %s (0x%llx != 0x%llx)\n", t->name,
			file, line, ea, eb, (unsigned long long)a, (unsigned long long)b);
	}
	return a == b;
}

void ktest_fail(struct ktest_ctx *t, const char *file, int line, const char *fmt, ...)
{
	char msg[192];
	va_list ap;

	va_start(ap, fmt);
	fmt_vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	t->failures++;
	kprintf("    # %s: FAILED at %s:%d: %s\n", t->name, file, line, msg);
}

struct suite_state {
	unsigned index, passed, failed;
};

/* Runs one test with a leak check: the heap and the page allocator must be
 * back where they were. */
static bool run_one(struct ktest_ctx *t, unsigned n, void (*fn)(struct ktest_ctx *, size_t), size_t arg,
		    void (*plain)(struct ktest_ctx *))
{
	struct heap_stats h0, h1;
	struct pages_stats p0, p1;

	kheap_get_stats(&h0);
	pages_get_stats(&p0);
	if (plain)
		plain(t);
	else
		fn(t, arg);
	kheap_get_stats(&h1);
	pages_get_stats(&p1);
	if (h1.bytes_in_use != h0.bytes_in_use)
		ktest_fail(t, __FILE__, __LINE__, "heap leak: %zu bytes in use before, %zu after",
			   h0.bytes_in_use, h1.bytes_in_use);
	/* Pages outside the heap (the heap's own pages are covered above). */
	if (p1.used_pages - h1.pages_held != p0.used_pages - h0.pages_held)
		ktest_fail(t, __FILE__, __LINE__, "page leak: %llu non-heap pages used before, %llu after",
			   (unsigned long long)(p0.used_pages - h0.pages_held),
			   (unsigned long long)(p1.used_pages - h1.pages_held));
	kprintf("    %s %u %s\n", t->failures ? "not ok" : "ok", n, t->name);
	return t->failures == 0;
}

static unsigned count_suites(void)
{
	unsigned n = (unsigned)(__ktest_dyn_end - __ktest_dyn_start);

	for (const struct ktest *k = __ktest_start; k < __ktest_end; k++) {
		const struct ktest *j;

		for (j = __ktest_start; j < k; j++)
			if (strcmp(j->suite, k->suite) == 0)
				break;
		if (j == k)
			n++;
	}
	return n;
}

bool ktest_run_all(void)
{
	unsigned suite_no = 0, total_failed = 0, total = 0;

	kprintf("KTAP version 1\n1..%u\n", count_suites());
	for (const struct ktest *k = __ktest_start; k < __ktest_end; k++) {
		const struct ktest *j;
		unsigned n = 0, failed = 0, cases = 0;

		for (j = __ktest_start; j < k; j++)
			if (strcmp(j->suite, k->suite) == 0)
				break;
		if (j != k)
			continue; /* suite already run */
		for (j = k; j < __ktest_end; j++)
			cases += strcmp(j->suite, k->suite) == 0;
		kprintf("    KTAP version 1\n    # Subtest: %s\n    1..%u\n", k->suite, cases);
		for (j = k; j < __ktest_end; j++) {
			struct ktest_ctx t = { j->name, 0 };

			if (strcmp(j->suite, k->suite) != 0)
				continue;
			failed += !run_one(&t, ++n, NULL, 0, j->fn);
		}
		kprintf("%s %u %s\n", failed ? "not ok" : "ok", ++suite_no, k->suite);
		total_failed += failed;
		total += n;
	}
	for (const struct ktest_dyn *d = __ktest_dyn_start; d < __ktest_dyn_end; d++) {
		size_t cases = d->count();
		unsigned failed = 0;

		kprintf("    KTAP version 1\n    # Subtest: %s\n    1..%zu\n", d->suite, cases);
		for (size_t i = 0; i < cases; i++) {
			struct ktest_ctx t = { d->name(i), 0 };

			failed += !run_one(&t, (unsigned)i + 1, d->run, i, NULL);
		}
		kprintf("%s %u %s\n", failed ? "not ok" : "ok", ++suite_no, d->suite);
		total_failed += failed;
		total += (unsigned)cases;
	}
	kprintf("# ktest: %u tests, %u failed\n", total, total_failed);
	return total_failed == 0;
}
