/* husk-svsm-bench: runs one kind of SVSM call (or each in turn) through
 * svsm_call against the model platform (tests/common/svsm_model.h), many
 * times.  scripts/bench-svsm.py runs it under callgrind, which counts the
 * instructions inside svsm_call and, separately, inside the model's ops, to
 * give husk's own instructions per call; run alone it prints nanoseconds
 * per call on the host (`make bench-svsm-host` shows both).
 *
 *   husk-svsm-bench [--kind NAME] [--iters N] [--list]
 *
 * Only the measured call goes through svsm_call: what a kind needs between
 * calls (the guest rewriting its PVALIDATE list, putting the page back in
 * the other state through the RMP model directly) happens outside it, so
 * that callgrind's --toggle-collect=svsm_call sees exactly one call per
 * iteration. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "svsm/svsm.h"
#include "../../tests/common/svsm_model.h"

#define LIST_GPA  (MODEL_BOOT_CA + 8)           /* where Linux puts it */
#define PAGE_4K   0x100000ull
#define PAGE_2M   0x400000ull
#define VTPM_BUF  0x50000ull

static struct svsm_model *m;

static const uint8_t tpm_getrandom[12] = { 0x80, 0x01, 0x00, 0x00, 0x00, 0x0c,
					   0x00, 0x00, 0x01, 0x7b, 0x00, 0x10 };

static void call(uint64_t rax, uint64_t rcx, uint8_t pending)
{
	struct svsm_regs r = { rax, rcx, 0, 0, 0 };
	enum svsm_outcome o = svsm_model_call_pending(m, 0, pending, &r);

	if ((pending == 1 && (o != SVSM_RESUME || r.rax != SVSM_SUCCESS)) ||
	    (pending == 0 && o != SVSM_RESUME_SPURIOUS)) {
		fprintf(stderr, "husk-svsm-bench: call %#llx answered %d, %#llx\n",
			(unsigned long long)rax, (int)o, (unsigned long long)r.rax);
		exit(1);
	}
}

static void put_list(uint64_t entry)
{
	uint8_t hdr[8] = { 1, 0, 0, 0 };

	svsm_model_poke(m, LIST_GPA, hdr, sizeof(hdr));
	svsm_model_poke64(m, LIST_GPA + 8, entry);
}

/* Puts the page in the state the measured call will change (the RMP model
 * directly: not a measured call). */
static void set_page(uint64_t gpa, bool huge, bool validated)
{
	bool unchanged;

	if (svsm_rmp_pvalidate(&m->rmp, gpa, huge, validated, &unchanged) != 0) {
		fprintf(stderr, "husk-svsm-bench: RMP model refused %#llx\n",
			(unsigned long long)gpa);
		exit(1);
	}
}

static void pvalidate(uint64_t gpa, bool huge, bool validate)
{
	set_page(gpa, huge, !validate);
	put_list(gpa | (huge ? SVSM_PVAL_SIZE_2M : 0) | (validate ? SVSM_PVAL_VALIDATE : 0));
	call(SVSM_CALL(SVSM_PROTOCOL_CORE, SVSM_CORE_PVALIDATE), LIST_GPA, 1);
}

static void k_query(void)
{
	call(SVSM_CALL(SVSM_PROTOCOL_CORE, SVSM_CORE_QUERY_PROTOCOL), 1ull << 32 | 1, 1);
}

static void k_remap(void)
{
	call(SVSM_CALL(SVSM_PROTOCOL_CORE, SVSM_CORE_REMAP_CA), MODEL_BOOT_CA, 1);
}

static void k_pval4k_validate(void)
{
	pvalidate(PAGE_4K, false, true);
}

static void k_pval4k_rescind(void)
{
	pvalidate(PAGE_4K, false, false);
}

static void k_pval2m_validate(void)
{
	pvalidate(PAGE_2M, true, true);
}

static void k_pval2m_rescind(void)
{
	pvalidate(PAGE_2M, true, false);
}

static void k_vtpm_query(void)
{
	call(SVSM_CALL(SVSM_PROTOCOL_VTPM, SVSM_VTPM_QUERY), 0, 1);
}

static void k_vtpm_cmd(void)
{
	uint8_t hdr[9] = { SVSM_VTPM_PLATFORM_SEND_COMMAND, 0, 0, 0, 0, sizeof(tpm_getrandom) };

	/* The guest's driver fills the buffer before each command. */
	svsm_model_poke(m, VTPM_BUF, hdr, sizeof(hdr));
	svsm_model_poke(m, VTPM_BUF + sizeof(hdr), tpm_getrandom, sizeof(tpm_getrandom));
	call(SVSM_CALL(SVSM_PROTOCOL_VTPM, SVSM_VTPM_CMD), VTPM_BUF, 1);
}

static void k_spurious(void)
{
	call(SVSM_CALL(SVSM_PROTOCOL_CORE, SVSM_CORE_QUERY_PROTOCOL), 1ull << 32 | 1, 0);
}

static const struct kind {
	const char *name, *what;
	void (*run)(void);
	unsigned iters; /* default */
} kinds[] = {
	{ "query", "QUERY_PROTOCOL (core, v1)", k_query, 20000 },
	{ "remap_same", "REMAP_CA to the current CA", k_remap, 20000 },
	{ "pval4k_validate", "PVALIDATE 1 x 4 KiB, validate", k_pval4k_validate, 20000 },
	{ "pval4k_rescind", "PVALIDATE 1 x 4 KiB, rescind", k_pval4k_rescind, 20000 },
	{ "pval2m_validate", "PVALIDATE 1 x 2 MiB, validate", k_pval2m_validate, 500 },
	{ "pval2m_rescind", "PVALIDATE 1 x 2 MiB, rescind", k_pval2m_rescind, 20000 },
	{ "vtpm_query", "VTPM_QUERY", k_vtpm_query, 20000 },
	{ "vtpm_cmd", "VTPM_CMD, 12-byte command, fake vTPM", k_vtpm_cmd, 20000 },
	{ "spurious", "no call pending (spurious exit)", k_spurious, 20000 },
};

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Runs k iters times; returns ns per call. */
static double run_kind(const struct kind *k, unsigned iters)
{
	double t0, t1;

	if (svsm_model_reset(m, true) != 0) {
		fprintf(stderr, "husk-svsm-bench: model reset failed\n");
		exit(1);
	}
	/* No per-call checks of the model beyond what its ops always do. */
	m->check_zero = false;
	m->check_lock = false;
	k->run(); /* warm: the RMP model's first bitmap block, caches */
	t0 = now_ns();
	for (unsigned i = 1; i < iters; i++)
		k->run();
	t1 = now_ns();
	return iters > 1 ? (t1 - t0) / (iters - 1) : 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: husk-svsm-bench [--kind NAME] [--iters N] [--list]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *only = NULL;
	unsigned iters = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--kind") && i + 1 < argc) {
			only = argv[++i];
		} else if (!strcmp(argv[i], "--iters") && i + 1 < argc) {
			iters = (unsigned)strtoul(argv[++i], NULL, 0);
			if (iters == 0)
				usage();
		} else if (!strcmp(argv[i], "--list")) {
			for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
				printf("%s\t%s\n", kinds[k].name, kinds[k].what);
			return 0;
		} else {
			usage();
		}
	}
	m = svsm_model_new(true);
	if (!m) {
		fprintf(stderr, "husk-svsm-bench: out of memory\n");
		return 1;
	}
	int found = 0;

	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		if (only && strcmp(only, kinds[k].name))
			continue;
		found = 1;
		unsigned n = iters ? iters : kinds[k].iters;
		double ns = run_kind(&kinds[k], n);

		printf("%-16s calls=%u ns_per_call=%.1f\n", kinds[k].name, n, ns);
	}
	svsm_model_free(m);
	if (!found) {
		fprintf(stderr, "husk-svsm-bench: no kind '%s' (--list)\n", only);
		return 2;
	}
	return 0;
}
