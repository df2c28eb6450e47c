/* husk-tpm-diff: differential tester of husk's TPM engine against libtpms.
 * Both run in this process, freshly manufactured, and get the same
 * commands; their response codes (for thousands of malformed and mutated
 * commands) and deterministic outputs must agree.  A difference is allowed
 * only if tools/tpm-diff/known.txt documents and justifies it; any other
 * makes the exit status 1.  See docs/tpm-testing.md. */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "diff.h"
#include "tpm/tpm_defs.h"

#define DEFAULT_KNOWN "tools/tpm-diff/known.txt"

static const char usage[] =
	"usage: husk-tpm-diff [options]\n"
	"  --smoke          only what husk implements today: Startup, Shutdown, SelfTest,\n"
	"                   GetRandom, ReadClock, ... and malformed headers and sessions\n"
	"  --summary        totals and the per-command table, no list of differences\n"
	"  --verbose        every case, equal or not\n"
	"  --filter GLOB    only cases whose id matches (e.g. 'PCR_Extend/*', 'out/nv/*')\n"
	"  --only mutations|outputs\n"
	"  --known FILE     documented differences (default " DEFAULT_KNOWN " if present)\n"
	"  --max N          list at most N differences (default all)\n"
	"  --list           print the case ids and exit\n"
	"  --no-align       leave libtpms's PCR banks and DA settings at its defaults\n";

/* ---- options ---- */

static struct {
	bool smoke, summary, verbose, list, align;
	const char *filter, *only, *known;
	long max;
} opt = { .align = true, .max = -1 };

bool smoke_mode(void)
{
	return opt.smoke;
}

bool list_mode(void)
{
	return opt.list;
}

bool case_selected(const char *id)
{
	return !opt.filter || fnmatch(opt.filter, id, 0) == 0;
}

/* ---- documented differences ---- */

struct known {
	char cc[48];
	char pattern[112];
	char rc_husk[48], rc_ref[48]; /* "" = any */
	char reason[256];
	unsigned line;
	unsigned used;
};

static struct known *knowns;
static unsigned nknown;

static int load_known(const char *path, bool must_exist)
{
	FILE *f = fopen(path, "r");
	char line[1024];
	unsigned ln = 0;

	if (!f) {
		if (!must_exist)
			return 0;
		fprintf(stderr, "husk-tpm-diff: cannot open %s\n", path);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		struct known k;
		char *p = line, *tok[3];
		int nt = 0;

		ln++;
		line[strcspn(line, "\r\n")] = 0;
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p || *p == '#')
			continue;
		memset(&k, 0, sizeof(k));
		k.line = ln;
		/* cc, case pattern, optional rc=HUSK/REF, then the reason */
		while (nt < 3 && *p) {
			tok[nt++] = p;
			p += strcspn(p, " \t");
			if (*p)
				*p++ = 0;
			while (*p == ' ' || *p == '\t')
				p++;
			if (nt == 2 && strncmp(p, "rc=", 3) != 0)
				break;
		}
		if (nt < 2 || !*p) {
			fprintf(stderr, "%s:%u: want: COMMAND CASE-PATTERN [rc=HUSK/LIBTPMS] REASON\n", path, ln);
			fclose(f);
			return -1;
		}
		snprintf(k.cc, sizeof(k.cc), "%s", tok[0]);
		snprintf(k.pattern, sizeof(k.pattern), "%s", tok[1]);
		if (nt == 3) {
			char *slash = strchr(tok[2] + 3, '/');

			if (!slash) {
				fprintf(stderr, "%s:%u: rc= needs HUSK/LIBTPMS\n", path, ln);
				fclose(f);
				return -1;
			}
			*slash = 0;
			snprintf(k.rc_husk, sizeof(k.rc_husk), "%s", tok[2] + 3);
			snprintf(k.rc_ref, sizeof(k.rc_ref), "%s", slash + 1);
		}
		snprintf(k.reason, sizeof(k.reason), "%s", p);
		knowns = realloc(knowns, (nknown + 1) * sizeof(*knowns));
		if (!knowns) {
			fclose(f);
			return -1;
		}
		knowns[nknown++] = k;
	}
	fclose(f);
	return 0;
}

static bool rc_matches(const char *glob, uint32_t rc)
{
	char name[48], num[16];

	if (!glob[0])
		return true;
	rc_name(rc, name, sizeof(name));
	snprintf(num, sizeof(num), "0x%x", rc);
	return fnmatch(glob, name, 0) == 0 || fnmatch(glob, num, 0) == 0;
}

static struct known *find_known(const struct result *r)
{
	for (unsigned i = 0; i < nknown; i++) {
		struct known *k = &knowns[i];

		if (fnmatch(k->cc, cc_name(r->cc), 0) == 0 && fnmatch(k->pattern, r->id, 0) == 0 &&
		    rc_matches(k->rc_husk, r->rc[ENG_HUSK]) && rc_matches(k->rc_ref, r->rc[ENG_REF]))
			return k;
	}
	return NULL;
}

/* ---- results ---- */

struct diff {
	struct result r;
	struct known *k;
};

struct per_cc {
	uint32_t cc;
	unsigned cases, equal, known, differ, na;
};

static struct {
	unsigned cases, equal, known, differ, na, setup, skipped;
	struct diff *diffs;
	unsigned ndiffs;
	struct per_cc cc[160];
	unsigned ncc;
} tally;

static struct per_cc *per_cc(uint32_t cc)
{
	for (unsigned i = 0; i < tally.ncc; i++)
		if (tally.cc[i].cc == cc)
			return &tally.cc[i];
	if (tally.ncc == sizeof(tally.cc) / sizeof(tally.cc[0]))
		return &tally.cc[tally.ncc - 1];
	tally.cc[tally.ncc].cc = cc;
	return &tally.cc[tally.ncc++];
}

void compare_rc(struct result *res, const struct eng_rsp r[ENG_N])
{
	for (int e = 0; e < ENG_N; e++) {
		res->rc[e] = r[e].rc;
		res->tag[e] = r[e].tag;
	}
	res->equal = r[0].rc == r[1].rc && r[0].rc != ENG_BROKEN && (r[0].rc == 0 || r[0].tag == r[1].tag);
	if (res->equal || res->detail[0])
		return;
	if (r[0].rc == r[1].rc)
		snprintf(res->detail, sizeof(res->detail), "same code, response tags 0x%04x and 0x%04x",
			 r[0].tag, r[1].tag);
}

/* husk answers "no such command" for one that libtpms runs: a command
 * still to be written, not a disagreement about it. */
static bool husk_not_implemented(const struct result *r)
{
	return (r->kind == R_SETUP && r->rc[ENG_HUSK] == TPM_RC_COMMAND_CODE) ||
	       (r->rc[ENG_HUSK] == TPM_RC_COMMAND_CODE && r->rc[ENG_REF] != TPM_RC_COMMAND_CODE);
}

static void print_case(const struct result *r, const struct known *k)
{
	char a[48], b[48];

	if (r->kind == R_SETUP)
		printf("  %-56s could not run: a fixture failed\n", r->id);
	else if (r->kind == R_SKIPPED)
		printf("  %-56s not run\n", r->id);
	else
		printf("  %-56s husk %-22s libtpms %s\n", r->id, rc_name(r->rc[ENG_HUSK], a, sizeof(a)),
		       rc_name(r->rc[ENG_REF], b, sizeof(b)));
	if (r->detail[0])
		printf("      %s\n", r->detail);
	if (k)
		printf("      known (%s:%u): %s\n", opt.known, k->line, k->reason);
}

void record(const struct result *r)
{
	struct per_cc *pc = per_cc(r->cc);

	tally.cases++;
	pc->cases++;
	if (r->equal) {
		tally.equal++;
		pc->equal++;
		if (opt.verbose)
			printf("  %-56s equal\n", r->id);
		return;
	}
	{
		struct known *k = find_known(r);
		struct diff *d;

		if (k) {
			k->used++;
			tally.known++;
			pc->known++;
		} else {
			tally.differ++;
			pc->differ++;
			if (husk_not_implemented(r)) {
				tally.na++;
				pc->na++;
			}
			if (r->kind == R_SETUP)
				tally.setup++;
			if (r->kind == R_SKIPPED)
				tally.skipped++;
		}
		d = realloc(tally.diffs, (tally.ndiffs + 1) * sizeof(*tally.diffs));
		if (!d)
			return;
		tally.diffs = d;
		tally.diffs[tally.ndiffs].r = *r;
		tally.diffs[tally.ndiffs].k = k;
		tally.ndiffs++;
	}
}

static int cmp_cc(const void *a, const void *b)
{
	const struct per_cc *x = a, *y = b;

	return x->cc < y->cc ? -1 : x->cc > y->cc;
}

static void report(double seconds)
{
	unsigned listed = 0;

	printf("\nhusk-tpm-diff%s: husk's TPM engine against libtpms %s%s\n", opt.smoke ? " --smoke" : "",
	       eng_ref_version(), opt.align ? " (configured with husk's PCR banks and DA settings)" : "");
	printf("%u cases in %.1f s: %u equal, %u known differences, %u unexplained differences\n", tally.cases,
	       seconds, tally.equal, tally.known, tally.differ);
	if (tally.differ)
		printf("  of the unexplained: %u where husk does not implement the command yet "
		       "(TPM_RC_COMMAND_CODE), %u where a fixture could not be made, %u steps not run "
		       "after an earlier step failed\n",
		       tally.na, tally.setup, tally.skipped);

	qsort(tally.cc, tally.ncc, sizeof(tally.cc[0]), cmp_cc);
	printf("\n  %-28s %7s %7s %7s %7s %7s\n", "command", "cases", "equal", "known", "differ", "n/a");
	for (unsigned i = 0; i < tally.ncc; i++) {
		const struct per_cc *p = &tally.cc[i];

		printf("  %-28s %7u %7u %7u %7u %7u%s\n", p->cc ? cc_name(p->cc) : "(setup)", p->cases,
		       p->equal, p->known, p->differ, p->na,
		       p->differ && p->na == p->differ ? "  husk: not implemented" : "");
	}
	if (!opt.summary) {
		if (tally.differ) {
			printf("\nunexplained differences (case, husk's code, libtpms's code)%s:\n",
			       (tally.na || tally.skipped) && !opt.verbose ?
				       ", except where husk answers TPM_RC_COMMAND_CODE and steps not run "
				       "(--verbose lists those too)" : "");
			for (unsigned i = 0; i < tally.ndiffs; i++) {
				if (tally.diffs[i].k)
					continue;
				if (!opt.verbose && (husk_not_implemented(&tally.diffs[i].r) ||
						     tally.diffs[i].r.kind == R_SKIPPED))
					continue;
				if (opt.max >= 0 && (long)listed >= opt.max) {
					printf("  ... and more (--max)\n");
					break;
				}
				print_case(&tally.diffs[i].r, NULL);
				listed++;
			}
		}
		if (tally.known && opt.verbose) {
			printf("\nknown differences:\n");
			for (unsigned i = 0; i < tally.ndiffs; i++)
				if (tally.diffs[i].k)
					print_case(&tally.diffs[i].r, tally.diffs[i].k);
		}
	}
	for (unsigned i = 0; i < nknown; i++)
		if (!knowns[i].used && !opt.filter && !opt.smoke && !opt.only)
			printf("note: %s:%u matched nothing (%s %s): fixed? then remove it\n", opt.known,
			       knowns[i].line, knowns[i].cc, knowns[i].pattern);
	printf("\nresult: %s\n", tally.differ ? "FAIL" : "PASS");
}

int main(int argc, char **argv)
{
	struct eng_opts eo = { .deterministic = true };
	struct timespec t0, t1;
	bool known_given = false;
	int rc = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--smoke")) {
			opt.smoke = true;
		} else if (!strcmp(a, "--summary")) {
			opt.summary = true;
		} else if (!strcmp(a, "--verbose") || !strcmp(a, "-v")) {
			opt.verbose = true;
		} else if (!strcmp(a, "--list")) {
			opt.list = true;
		} else if (!strcmp(a, "--no-align")) {
			opt.align = false;
		} else if (!strcmp(a, "--filter") && val) {
			opt.filter = val;
			i++;
		} else if (!strcmp(a, "--only") && val && (!strcmp(val, "mutations") || !strcmp(val, "outputs"))) {
			opt.only = val;
			i++;
		} else if (!strcmp(a, "--known") && val) {
			opt.known = val;
			known_given = true;
			i++;
		} else if (!strcmp(a, "--max") && val) {
			opt.max = strtol(val, NULL, 10);
			i++;
		} else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			fputs(usage, stdout);
			return 0;
		} else {
			fputs(usage, stderr);
			return 2;
		}
	}
	if (!opt.known)
		opt.known = DEFAULT_KNOWN;
	if (load_known(opt.known, known_given))
		return 2;
	eo.align = opt.align;
	if (eng_open(&eo)) {
		eng_close();
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (!opt.only || !strcmp(opt.only, "mutations"))
		rc |= run_mutations();
	if (!opt.only || !strcmp(opt.only, "outputs"))
		rc |= run_outputs();
	clock_gettime(CLOCK_MONOTONIC, &t1);
	eng_close();
	if (rc)
		return 2;
	if (opt.list)
		return 0;
	report((double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	free(tally.diffs);
	free(knowns);
	return tally.differ ? 1 : 0;
}
