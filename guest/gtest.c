/* KTAP output and the checks tests share (gtest.h). */
#include <stdarg.h>

#include "fmt/fmt.h"
#include "gtest.h"

static void gt_vdiag(const char *prefix, const char *fmt, va_list ap)
{
	char line[256];

	fmt_vsnprintf(line, sizeof(line), fmt, ap);
	gprintf("    # %s%s\n", prefix, line);
}

void gt_diag(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	gt_vdiag("", fmt, ap);
	va_end(ap);
}

void gt_fail(struct gt *t, const char *fmt, ...)
{
	va_list ap;

	t->failed = true;
	va_start(ap, fmt);
	gt_vdiag("FAIL: ", fmt, ap);
	va_end(ap);
}

bool gt_expect_rc(struct gt *t, const char *what, uint32_t got, uint32_t want)
{
	if (got == want)
		return true;
	gt_fail(t, "%s: result 0x%08x %s, expected 0x%08x %s", what, got, svsm_result_name(got),
		want, svsm_result_name(want));
	return false;
}

bool gt_alive(struct gt *t, const char *after)
{
	if (svsm_alive())
		return true;
	gt_fail(t, "husk no longer answers QUERY_PROTOCOL(core, 1) after %s", after);
	return false;
}

bool gt_call(struct gt *t, const char *what, uint64_t rax, uint64_t rcx, uint64_t rdx, uint64_t r8,
	     uint32_t want, struct svsm_regs *out)
{
	uint32_t got = svsm_call(rax, rcx, rdx, r8, out);
	bool ok = gt_expect_rc(t, what, got, want);

	return gt_alive(t, what) && ok;
}

bool gt_run(const struct gt_suite *suites, size_t n)
{
	unsigned total = 0, failed_total = 0, skipped = 0;

	gprintf("KTAP version 1\n1..%u\n", (unsigned)n);
	for (size_t s = 0; s < n; s++) {
		const struct gt_suite *su = &suites[s];
		unsigned failed = 0;

		gprintf("    KTAP version 1\n    # Subtest: %s\n    1..%u\n", su->name,
			(unsigned)su->count);
		for (size_t i = 0; i < su->count; i++) {
			struct gt t = { .name = su->cases[i].name };

			su->cases[i].fn(&t, su->cases[i].arg);
			if (!t.skip)
				(void)gt_alive(&t, "the test");
			if (t.failed)
				gprintf("    not ok %u %s\n", (unsigned)i + 1, t.name);
			else if (t.skip)
				gprintf("    ok %u %s # SKIP %s\n", (unsigned)i + 1, t.name, t.skip);
			else
				gprintf("    ok %u %s\n", (unsigned)i + 1, t.name);
			failed += t.failed;
			skipped += !t.failed && t.skip;
			total++;
		}
		gprintf("%s %u %s\n", failed ? "not ok" : "ok", (unsigned)s + 1, su->name);
		failed_total += failed;
	}
	gprintf("# guest conformance: %u tests, %u failed, %u skipped\n", total, failed_total,
		skipped);
	return failed_total == 0;
}

int mode_conformance(void)
{
	static const struct gt_suite *const order[] = {
		&gt_suite_entry,       &gt_suite_handshake, &gt_suite_query,
		&gt_suite_core_calls,  &gt_suite_remap_ca,  &gt_suite_pvalidate,
		&gt_suite_create_vcpu, &gt_suite_vcpu,      &gt_suite_isolation,
		&gt_suite_vtpm,        &gt_suite_attest,
	};
	static struct gt_suite suites[HUSK_ARRAY_SIZE(order)];

	for (size_t i = 0; i < HUSK_ARRAY_SIZE(order); i++)
		suites[i] = *order[i];
	gprintf("# husk test guest: conformance suite (docs/svsm.md), APIC ID %u, %u vCPU(s), "
		"husk at 0x%llx+0x%llx\n",
		guest_apic_id(), ginfo.vcpu_count, (unsigned long long)ginfo.svsm_base,
		(unsigned long long)ginfo.svsm_size);
	return gt_run(suites, HUSK_ARRAY_SIZE(suites)) ? GUEST_EXIT_PASS : GUEST_EXIT_FAIL;
}
