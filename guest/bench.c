/* Bench mode (guest.mode=bench, guest.bench_n=N): round trips per second
 * of four kinds of SVSM call, timed with the TSC and husk's tsc_khz.  One
 * line per kind: "bench <name> <calls> <calls_per_second> <cycles_per_call>". */
#include "guest.h"

#define BENCH_DEFAULT_N 20000u

static uint8_t cmd[64], rsp[64];

struct bench_run {
	const char *name;
	uint64_t calls, cycles, errors;
};

static void report(const struct bench_run *b)
{
	uint64_t cps = b->cycles && ginfo.tsc_khz ? b->calls * ginfo.tsc_khz * 1000u / b->cycles : 0;
	uint64_t cpc = b->calls ? b->cycles / b->calls : 0;

	gprintf("bench %s %llu %llu %llu\n", b->name, (unsigned long long)b->calls,
		(unsigned long long)cps, (unsigned long long)cpc);
	if (b->errors)
		gprintf("bench %s: %llu calls failed\n", b->name, (unsigned long long)b->errors);
}

int mode_bench(void)
{
	uint64_t n = guest_arg_u64("bench_n", BENCH_DEFAULT_N), t0, errors = 0;
	uint64_t page = guest_scratch;
	uint32_t len, rsp_len;
	struct bench_run b;

	if (n == 0)
		n = 1;
	gprintf("# husk test guest: bench, %llu calls each, TSC %u kHz\n", (unsigned long long)n,
		ginfo.tsc_khz);

	b = (struct bench_run){ .name = "query_protocol", .calls = n };
	t0 = rdtsc();
	for (uint64_t i = 0; i < n; i++)
		b.errors += svsm_query_protocol(SVSM_PROTOCOL_CORE, 1) != (1ull << 32 | 1);
	b.cycles = rdtsc() - t0;
	report(&b);
	errors += b.errors;

	b = (struct bench_run){ .name = "vtpm_query", .calls = n };
	t0 = rdtsc();
	for (uint64_t i = 0; i < n; i++)
		b.errors += svsm_call(SVSM_CALL(SVSM_PROTOCOL_VTPM, SVSM_VTPM_QUERY), 0, 0, 0,
				      NULL) != SVSM_SUCCESS;
	b.cycles = rdtsc() - t0;
	report(&b);
	errors += b.errors;

	/* Validate and rescind one 4 KiB page, alternately. */
	b = (struct bench_run){ .name = "pvalidate_4k", .calls = n & ~1ull ? n & ~1ull : 2 };
	t0 = rdtsc();
	for (uint64_t i = 0; i < b.calls; i += 2) {
		b.errors += svsm_pvalidate_one(page, false, true, false) != SVSM_SUCCESS;
		b.errors += svsm_pvalidate_one(page, false, false, false) != SVSM_SUCCESS;
	}
	b.cycles = rdtsc() - t0;
	report(&b);
	errors += b.errors;

	len = tpm_build_startup_clear(cmd);
	(void)vtpm_cmd(cmd, len, rsp, sizeof(rsp), &rsp_len);
	len = tpm_build_get_random(cmd, 8);
	b = (struct bench_run){ .name = "vtpm_get_random_8", .calls = n };
	t0 = rdtsc();
	for (uint64_t i = 0; i < n; i++)
		b.errors += vtpm_cmd(cmd, len, rsp, sizeof(rsp), &rsp_len) != SVSM_SUCCESS ||
			    tpm_rsp_rc(rsp, rsp_len) != TPM_RC_SUCCESS;
	b.cycles = rdtsc() - t0;
	report(&b);
	errors += b.errors;

	return errors ? GUEST_EXIT_FAIL : GUEST_EXIT_PASS;
}
