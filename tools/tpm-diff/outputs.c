/* Deterministic outputs: command sequences whose results do not depend on
 * a TPM's random numbers or seeds — PCR values after extends, Hash, HMAC
 * and sequence results, policy digests of trial sessions, NV contents after
 * writes, extends, bit settings and increments, Names and public areas of
 * LoadExternal'd keys — must be byte-identical on both TPMs.  Where output
 * is random or implementation-defined (GetRandom, ReadClock, tickets over
 * hierarchy proofs), its structure is compared instead. */
#include <stdio.h>
#include <string.h>

#include "diff.h"
#include "tpm/tpm_defs.h"

enum cmp {
	CMP_RC,         /* response codes only */
	CMP_ALL,        /* the whole parameter area */
	CMP_LEN,        /* the parameter area's length */
	CMP_CLOCK,      /* ReadClock: length, safe, reset/restart counts since the first */
	CMP_HASH_TICKET,/* Hash: digest, and the ticket's tag and hierarchy */
	CMP_TESTRESULT, /* GetTestResult: testResult; outData is vendor-defined */
	CMP_PCR_READ,   /* PCR_Read: all but pcrUpdateCounter, which pcr_counter_check compares */
};

struct sc {
	const char *name;
	struct world w;
	bool have_clock[ENG_N];
	uint32_t reset0[ENG_N], restart0[ENG_N];
	bool have_ctr[ENG_N];
	uint32_t ctr0[ENG_N], ctr[ENG_N]; /* pcrUpdateCounter: first and last seen */
};

static void begin(struct sc *s, const char *name, uint32_t fx, bool startup)
{
	memset(s, 0, sizeof(*s));
	s->name = name;
	if (world_prepare(&s->w, fx, startup)) {
		fprintf(stderr, "husk-tpm-diff: %s\n", s->w.failure[0] ? s->w.failure : "cannot reset the TPMs");
		return;
	}
	if (s->w.failed[ENG_HUSK] || s->w.failed[ENG_REF]) {
		struct result res;

		memset(&res, 0, sizeof(res));
		snprintf(res.id, sizeof(res.id), "out/%s/fixtures", name);
		res.kind = R_SETUP;
		res.equal = false;
		for (int e = 0; e < ENG_N; e++)
			for (unsigned f = FX_COUNT; f-- > 0;)
				if (s->w.failed[e] & (1u << f))
					res.rc[e] = s->w.fx_rc[e][f];
		snprintf(res.detail, sizeof(res.detail), "%s", s->w.failure);
		if (case_selected(res.id))
			record(&res);
	}
}

static void hex(char *out, size_t cap, const uint8_t *p, size_t n)
{
	size_t o = 0;

	for (size_t i = 0; i < n && o + 3 < cap; i++)
		o += (size_t)snprintf(out + o, cap - o, "%02x", p[i]);
	if (n && o + 3 >= cap && cap > 3)
		memcpy(out + cap - 4, "...", 4);
}

static bool same_bytes(struct result *res, const struct view *a, const struct view *b, const char *what)
{
	size_t at = 0;
	char ha[80], hb[80];

	if (a->n == b->n && memcmp(a->p, b->p, a->n) == 0)
		return true;
	while (at < a->n && at < b->n && a->p[at] == b->p[at])
		at++;
	hex(ha, sizeof(ha), a->p + at, a->n - at > 24 ? 24 : a->n - at);
	hex(hb, sizeof(hb), b->p + at, b->n - at > 24 ? 24 : b->n - at);
	snprintf(res->detail, sizeof(res->detail), "%s: %zu vs %zu bytes, first difference at %zu: husk %s | libtpms %s",
		 what, a->n, b->n, at, ha, hb);
	return false;
}

static bool cmp_clock(struct sc *s, struct result *res, const struct view v[ENG_N])
{
	uint32_t reset[ENG_N], restart[ENG_N];

	if (v[0].n != 25 || v[1].n != 25) {
		snprintf(res->detail, sizeof(res->detail), "ReadClock: %zu vs %zu bytes", v[0].n, v[1].n);
		return false;
	}
	if (v[0].p[24] != v[1].p[24]) {
		snprintf(res->detail, sizeof(res->detail), "clockInfo.safe: husk %u, libtpms %u", v[0].p[24],
			 v[1].p[24]);
		return false;
	}
	for (int e = 0; e < ENG_N; e++) {
		reset[e] = tpm_be32(v[e].p + 16);
		restart[e] = tpm_be32(v[e].p + 20);
		if (!s->have_clock[e]) {
			s->have_clock[e] = true;
			s->reset0[e] = reset[e];
			s->restart0[e] = restart[e];
		}
		/* Counts since the scenario's first ReadClock: libtpms's start
		 * after its configuration (engine.c) differs. */
		reset[e] -= s->reset0[e];
		restart[e] = restart[e] - (reset[e] ? 0 : s->restart0[e]);
	}
	if (reset[0] != reset[1] || restart[0] != restart[1]) {
		snprintf(res->detail, sizeof(res->detail),
			 "resets/restarts since the first ReadClock: husk %u/%u, libtpms %u/%u", reset[0], restart[0],
			 reset[1], restart[1]);
		return false;
	}
	return true;
}

/* Hash with a hierarchy: outHash (TPM2B) equal; ticket tag and hierarchy
 * equal (its HMAC is over a secret proof). */
static bool cmp_hash_ticket(struct result *res, const struct view v[ENG_N])
{
	struct view d[ENG_N];

	for (int e = 0; e < ENG_N; e++) {
		if (v[e].n < 2 + 6 || tpm_be16(v[e].p) + 2u + 6u > v[e].n) {
			snprintf(res->detail, sizeof(res->detail), "%s: malformed Hash response", eng_name(e));
			return false;
		}
		d[e].p = v[e].p;
		d[e].n = 2u + tpm_be16(v[e].p) + 6u;
	}
	return same_bytes(res, &d[0], &d[1], "outHash and ticket tag/hierarchy");
}

static bool cmp_testresult(struct result *res, const struct view v[ENG_N])
{
	uint32_t rc[ENG_N];

	for (int e = 0; e < ENG_N; e++) {
		if (v[e].n < 6 || tpm_be16(v[e].p) + 6u != v[e].n) {
			snprintf(res->detail, sizeof(res->detail), "%s: malformed GetTestResult response",
				 eng_name(e));
			return false;
		}
		rc[e] = tpm_be32(v[e].p + 2 + tpm_be16(v[e].p));
	}
	if (rc[0] != rc[1]) {
		snprintf(res->detail, sizeof(res->detail), "testResult: husk 0x%x, libtpms 0x%x", rc[0], rc[1]);
		return false;
	}
	return true;
}

/* Sends c to both TPMs and compares; out: the symbol the response's handle
 * becomes.  Returns whether both succeeded. */
static bool step(struct sc *s, const char *name, const struct cmd *c, enum cmp how, enum sym out)
{
	static struct eng_rsp r[ENG_N];
	struct result res;
	bool out_handle = out != SYM_NONE || c->cc == TPM_CC_LoadExternal || c->cc == TPM_CC_CreatePrimary ||
			  c->cc == TPM_CC_HashSequenceStart || c->cc == TPM_CC_HMAC_Start ||
			  c->cc == TPM_CC_StartAuthSession || c->cc == TPM_CC_Load;

	bool unsent[ENG_N] = { false, false };

	memset(&res, 0, sizeof(res));
	snprintf(res.id, sizeof(res.id), "out/%s/%s", s->name, name);
	res.cc = c->cc;
	for (int e = 0; e < ENG_N; e++) {
		uint8_t buf[TPM_BUFFER_MAX];
		size_t n = cmd_encode(c, s->w.sym[e], NULL, buf, sizeof(buf));

		if (!n) {
			/* A handle an earlier step should have made is missing. */
			r[e].rc = ENG_BROKEN;
			r[e].tag = 0;
			unsent[e] = true;
			continue;
		}
		eng_send(e, buf, n, &r[e]);
		if (r[e].rc == 0 && out != SYM_NONE)
			s->w.sym[e][out] = rsp_handle(r[e].b, r[e].len);
	}
	if (!case_selected(res.id))
		return r[0].rc == 0 && r[1].rc == 0;
	if (list_mode()) {
		printf("%s\n", res.id);
		return r[0].rc == 0 && r[1].rc == 0;
	}
	if (unsent[0] && unsent[1])
		return false;
	if (unsent[0] || unsent[1]) {
		res.kind = R_SKIPPED;
		res.rc[ENG_HUSK] = r[ENG_HUSK].rc;
		res.rc[ENG_REF] = r[ENG_REF].rc;
		snprintf(res.detail, sizeof(res.detail), "not sent to %s: an earlier step it depends on failed there",
			 eng_name(unsent[0] ? ENG_HUSK : ENG_REF));
		record(&res);
		return false;
	}
	res.kind = R_RC;
	compare_rc(&res, r);
	if (res.equal && r[0].rc == 0 && how != CMP_RC) {
		struct view v[ENG_N];

		res.kind = R_OUTPUT;
		if (!rsp_params(r[0].b, r[0].len, out_handle, &v[0]) ||
		    !rsp_params(r[1].b, r[1].len, out_handle, &v[1])) {
			res.equal = false;
			snprintf(res.detail, sizeof(res.detail), "malformed response");
		} else if (how == CMP_ALL) {
			res.equal = same_bytes(&res, &v[0], &v[1], "response parameters");
		} else if (how == CMP_LEN) {
			res.equal = v[0].n == v[1].n;
			if (!res.equal)
				snprintf(res.detail, sizeof(res.detail), "response parameters: %zu vs %zu bytes",
					 v[0].n, v[1].n);
		} else if (how == CMP_CLOCK) {
			res.equal = cmp_clock(s, &res, v);
		} else if (how == CMP_HASH_TICKET) {
			res.equal = cmp_hash_ticket(&res, v);
		} else if (how == CMP_PCR_READ) {
			struct view rest[ENG_N];

			for (int e = 0; e < ENG_N; e++) {
				uint32_t ctr = v[e].n >= 4 ? tpm_be32(v[e].p) : 0;

				if (!s->have_ctr[e])
					s->ctr0[e] = ctr;
				s->have_ctr[e] = true;
				s->ctr[e] = ctr;
				rest[e].p = v[e].p + (v[e].n >= 4 ? 4 : v[e].n);
				rest[e].n = v[e].n >= 4 ? v[e].n - 4 : 0;
			}
			res.equal = same_bytes(&res, &rest[0], &rest[1], "PCR_Read after pcrUpdateCounter");
		} else {
			res.equal = cmp_testresult(&res, v);
		}
	}
	record(&res);
	return r[0].rc == 0 && r[1].rc == 0;
}

static void power_cycle(struct sc *s)
{
	for (int e = 0; e < ENG_N; e++)
		if (eng_power_cycle(e))
			fprintf(stderr, "husk-tpm-diff: %s: power cycle failed\n", eng_name(e));
	for (int e = 0; e < ENG_N; e++)
		for (unsigned i = 0; i < SYM_COUNT; i++)
			s->w.sym[e][i] = 0;
}

/* ---- command helpers ---- */

static struct cmd c; /* the command being built (large) */

static void su(uint32_t cc, uint16_t type)
{
	cmd_init(&c, cc);
	p_u16(&c.p, "type", type);
}

static void pattern(uint8_t *p, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i * 13);
}

static void pcr_read(uint16_t alg, uint8_t b0, uint8_t b1, uint8_t b2)
{
	cmd_init(&c, TPM_CC_PCR_Read);
	p_u32(&c.p, "count", 1);
	p_alg(&c.p, "hash", alg);
	p_u8(&c.p, "size", 3);
	p_u8(&c.p, "b0", b0);
	p_u8(&c.p, "b1", b1);
	p_u8(&c.p, "b2", b2);
}

static void pcr_extend(uint32_t pcr, uint8_t seed, bool sha512)
{
	static const uint16_t algs[] = { TPM_ALG_SHA1, TPM_ALG_SHA256, TPM_ALG_SHA384, TPM_ALG_SHA512 };
	static const uint8_t sizes[] = { 20, 32, 48, 64 };
	unsigned n = sha512 ? 4 : 3;

	cmd_init(&c, TPM_CC_PCR_Extend);
	cmd_handle(&c, pcr);
	cmd_pw(&c, "");
	p_u32(&c.p, "count", n);
	for (unsigned i = 0; i < n; i++) {
		uint8_t d[64];

		pattern(d, sizes[i], (uint8_t)(seed + i));
		p_alg(&c.p, "alg", algs[i]);
		p_raw(&c.p, d, sizes[i]);
	}
}

static void hash_cmd(const void *data, size_t n, uint16_t alg, uint32_t hierarchy)
{
	cmd_init(&c, TPM_CC_Hash);
	p_2b(&c.p, "data", data, n);
	p_alg(&c.p, "hashAlg", alg);
	p_handle(&c.p, "hierarchy", hierarchy);
}

static void seq_update(enum sym seq, const void *data, size_t n)
{
	cmd_init(&c, TPM_CC_SequenceUpdate);
	cmd_handle_sym(&c, seq);
	cmd_pw(&c, "seq");
	p_2b(&c.p, "buffer", data, n);
}

static void seq_complete(enum sym seq, const char *tail)
{
	cmd_init(&c, TPM_CC_SequenceComplete);
	cmd_handle_sym(&c, seq);
	cmd_pw(&c, "seq");
	p_2b_str(&c.p, "buffer", tail);
	p_handle(&c.p, "hierarchy", TPM_RH_NULL);
}

static void nv_cmd(uint32_t cc, uint32_t index)
{
	cmd_init(&c, cc);
	cmd_handle(&c, index);
	cmd_handle(&c, index);
	cmd_pw(&c, "nv");
}

static void nv_read(uint32_t index, uint16_t size, uint16_t offset)
{
	nv_cmd(TPM_CC_NV_Read, index);
	p_u16(&c.p, "size", size);
	p_u16(&c.p, "offset", offset);
}

static void nv_read_public(uint32_t index)
{
	cmd_init(&c, TPM_CC_NV_ReadPublic);
	cmd_handle(&c, index);
}

static void flush(struct sc *s, enum sym sym)
{
	/* The handle is a parameter: per engine, so sent one by one. */
	for (int e = 0; e < ENG_N; e++) {
		eng_flush(e, s->w.sym[e][sym]);
		s->w.sym[e][sym] = 0;
	}
}

/* pcrUpdateCounter: its start value is the TPM's own, but every PCR change
 * since must have counted the same on both. */
static void pcr_counter_check(struct sc *s, const char *name)
{
	struct result res;
	uint32_t d[ENG_N];

	memset(&res, 0, sizeof(res));
	snprintf(res.id, sizeof(res.id), "out/%s/%s", s->name, name);
	res.cc = TPM_CC_PCR_Read;
	if (!case_selected(res.id) || !s->have_ctr[0] || !s->have_ctr[1])
		return;
	if (list_mode()) {
		printf("%s\n", res.id);
		return;
	}
	for (int e = 0; e < ENG_N; e++)
		d[e] = s->ctr[e] - s->ctr0[e];
	res.kind = R_OUTPUT;
	res.equal = d[0] == d[1];
	if (!res.equal)
		snprintf(res.detail, sizeof(res.detail),
			 "pcrUpdateCounter advanced by %u on husk (%u to %u), by %u on libtpms (%u to %u)", d[0],
			 s->ctr0[0], s->ctr[0], d[1], s->ctr0[1], s->ctr[1]);
	record(&res);
}

/* ---- scenarios ---- */

static void sc_startup(void)
{
	struct sc s;

	begin(&s, "startup", 0, false);
	cmd_init(&c, TPM_CC_GetRandom);
	p_u16(&c.p, "bytes", 8);
	step(&s, "before-startup", &c, CMP_RC, SYM_NONE);
	su(TPM_CC_Startup, TPM_SU_STATE);
	step(&s, "state-without-shutdown", &c, CMP_RC, SYM_NONE);
	su(TPM_CC_Startup, 7);
	step(&s, "bad-type", &c, CMP_RC, SYM_NONE);
	su(TPM_CC_Startup, TPM_SU_CLEAR);
	step(&s, "clear", &c, CMP_RC, SYM_NONE);
	step(&s, "clear-again", &c, CMP_RC, SYM_NONE);
	cmd_init(&c, TPM_CC_ReadClock);
	step(&s, "readclock-1", &c, CMP_CLOCK, SYM_NONE);
	su(TPM_CC_Shutdown, TPM_SU_STATE);
	step(&s, "shutdown-state", &c, CMP_RC, SYM_NONE);
	power_cycle(&s);
	su(TPM_CC_Startup, TPM_SU_STATE);
	step(&s, "resume", &c, CMP_RC, SYM_NONE);
	cmd_init(&c, TPM_CC_ReadClock);
	step(&s, "readclock-2", &c, CMP_CLOCK, SYM_NONE);
	su(TPM_CC_Shutdown, TPM_SU_CLEAR);
	step(&s, "shutdown-clear", &c, CMP_RC, SYM_NONE);
	power_cycle(&s);
	su(TPM_CC_Startup, TPM_SU_STATE);
	step(&s, "state-after-shutdown-clear", &c, CMP_RC, SYM_NONE);
	su(TPM_CC_Startup, TPM_SU_CLEAR);
	step(&s, "reset", &c, CMP_RC, SYM_NONE);
	cmd_init(&c, TPM_CC_ReadClock);
	step(&s, "readclock-3", &c, CMP_CLOCK, SYM_NONE);
	/* Power loss without Shutdown: the next Startup is unorderly. */
	power_cycle(&s);
	su(TPM_CC_Startup, TPM_SU_CLEAR);
	step(&s, "unorderly-reset", &c, CMP_RC, SYM_NONE);
	cmd_init(&c, TPM_CC_ReadClock);
	step(&s, "readclock-4", &c, CMP_CLOCK, SYM_NONE);
	su(TPM_CC_Shutdown, 7);
	step(&s, "shutdown-bad-type", &c, CMP_RC, SYM_NONE);
}

static void sc_misc(void)
{
	static const uint16_t sizes[] = { 0, 1, 16, 32, 48, 64, 65, 128, 1024, 0xffff };
	struct sc s;
	char name[32];

	begin(&s, "misc", 0, true);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		cmd_init(&c, TPM_CC_GetRandom);
		p_u16(&c.p, "bytes", sizes[i]);
		snprintf(name, sizeof(name), "getrandom-%u", sizes[i]);
		step(&s, name, &c, CMP_LEN, SYM_NONE);
	}
	cmd_init(&c, TPM_CC_ReadClock);
	step(&s, "readclock", &c, CMP_CLOCK, SYM_NONE);
	cmd_init(&c, TPM_CC_SelfTest);
	p_u8(&c.p, "full", 0);
	step(&s, "selftest-0", &c, CMP_ALL, SYM_NONE);
	cmd_init(&c, TPM_CC_SelfTest);
	p_u8(&c.p, "full", 1);
	step(&s, "selftest-1", &c, CMP_ALL, SYM_NONE);
	cmd_init(&c, TPM_CC_GetTestResult);
	step(&s, "gettestresult", &c, CMP_TESTRESULT, SYM_NONE);
	cmd_init(&c, TPM_CC_StirRandom);
	p_2b(&c.p, "inData", "entropy", 7);
	step(&s, "stirrandom", &c, CMP_ALL, SYM_NONE);
	cmd_init(&c, TPM_CC_TestParms);
	p_alg(&c.p, "type", TPM_ALG_RSA);
	p_alg(&c.p, "symmetric", TPM_ALG_NULL);
	p_alg(&c.p, "scheme", TPM_ALG_NULL);
	p_u16(&c.p, "keyBits", 2048);
	p_u32(&c.p, "exponent", 0);
	step(&s, "testparms-rsa2048", &c, CMP_ALL, SYM_NONE);
	cmd_init(&c, TPM_CC_TestParms);
	p_alg(&c.p, "type", TPM_ALG_SYMCIPHER);
	p_alg(&c.p, "symmetric", TPM_ALG_AES);
	p_u16(&c.p, "keyBits", 192);
	p_alg(&c.p, "mode", TPM_ALG_CFB);
	step(&s, "testparms-aes192", &c, CMP_RC, SYM_NONE);
}

static void sc_pcr(void)
{
	static const uint32_t pcrs[] = { 0, 7, 16, 23 };
	static const uint16_t banks[] = { TPM_ALG_SHA1, TPM_ALG_SHA256, TPM_ALG_SHA384 };
	struct sc s;
	char name[48];

	begin(&s, "pcr", 0, true);
	pcr_read(TPM_ALG_SHA256, 0, 0, 0);
	step(&s, "read-initial", &c, CMP_PCR_READ, SYM_NONE);
	for (size_t i = 0; i < sizeof(pcrs) / sizeof(pcrs[0]); i++) {
		for (unsigned k = 0; k < 2; k++) {
			pcr_extend(pcrs[i], (uint8_t)(i * 16 + k), false);
			snprintf(name, sizeof(name), "extend-%u-%u", pcrs[i], k);
			step(&s, name, &c, CMP_ALL, SYM_NONE);
		}
	}
	pcr_extend(8, 0x40, true);
	step(&s, "extend-unallocated-sha512", &c, CMP_ALL, SYM_NONE);
	pcr_extend(17, 0x50, false);
	step(&s, "extend-17-locality0", &c, CMP_RC, SYM_NONE);
	cmd_init(&c, TPM_CC_PCR_Event);
	cmd_handle(&c, 10);
	cmd_pw(&c, "");
	p_2b_str(&c.p, "eventData", "husk-tpm-diff event");
	step(&s, "event-10", &c, CMP_ALL, SYM_NONE);
	cmd_init(&c, TPM_CC_PCR_Event);
	cmd_handle(&c, TPM_RH_NULL);
	cmd_pw(&c, "");
	p_2b_str(&c.p, "eventData", "no pcr");
	step(&s, "event-null", &c, CMP_ALL, SYM_NONE);
	cmd_init(&c, TPM_CC_PCR_Reset);
	cmd_handle(&c, 16);
	cmd_pw(&c, "");
	step(&s, "reset-16", &c, CMP_ALL, SYM_NONE);
	cmd_init(&c, TPM_CC_PCR_Reset);
	cmd_handle(&c, 0);
	cmd_pw(&c, "");
	step(&s, "reset-0", &c, CMP_RC, SYM_NONE);
	for (size_t b = 0; b < sizeof(banks) / sizeof(banks[0]); b++) {
		for (unsigned chunk = 0; chunk < 3; chunk++) {
			pcr_read(banks[b], chunk == 0 ? 0xff : 0, chunk == 1 ? 0xff : 0, chunk == 2 ? 0xff : 0);
			snprintf(name, sizeof(name), "read-%s-%u-%u",
				 banks[b] == TPM_ALG_SHA1 ? "sha1" : banks[b] == TPM_ALG_SHA256 ? "sha256" : "sha384",
				 chunk * 8, chunk * 8 + 7);
			step(&s, name, &c, CMP_PCR_READ, SYM_NONE);
		}
	}
	/* Several banks in one selection; a bank that is not allocated. */
	cmd_init(&c, TPM_CC_PCR_Read);
	p_u32(&c.p, "count", 3);
	for (size_t b = 0; b < 3; b++) {
		p_alg(&c.p, "hash", banks[b]);
		p_u8(&c.p, "size", 3);
		p_raw(&c.p, "\x81\x00\x01", 3);
	}
	step(&s, "read-three-banks", &c, CMP_PCR_READ, SYM_NONE);
	pcr_read(TPM_ALG_SHA512, 0xff, 0, 0);
	step(&s, "read-sha512-unallocated", &c, CMP_PCR_READ, SYM_NONE);
	pcr_read(TPM_ALG_SHA256, 0, 0, 0);
	step(&s, "read-empty-selection", &c, CMP_PCR_READ, SYM_NONE);
	pcr_counter_check(&s, "update-counter");
}

static void sc_hash(void)
{
	static const uint16_t algs[] = { TPM_ALG_SHA1, TPM_ALG_SHA256, TPM_ALG_SHA384, TPM_ALG_SHA512 };
	static uint8_t big[1024];
	static const size_t lens[] = { 0, 3, 64, 1024 };
	struct sc s;
	char name[48];

	pattern(big, sizeof(big), 7);
	memcpy(big, "abc", 3);
	begin(&s, "hash", 0, true);
	for (size_t a = 0; a < 4; a++) {
		for (size_t l = 0; l < sizeof(lens) / sizeof(lens[0]); l++) {
			hash_cmd(big, lens[l], algs[a], TPM_RH_NULL);
			snprintf(name, sizeof(name), "hash-%04x-%zu", algs[a], lens[l]);
			step(&s, name, &c, CMP_ALL, SYM_NONE);
		}
	}
	hash_cmd(big, 100, TPM_ALG_SHA256, TPM_RH_OWNER);
	step(&s, "hash-owner-ticket", &c, CMP_HASH_TICKET, SYM_NONE);
	/* Data that starts with TPM_GENERATED_VALUE gets a NULL ticket. */
	hash_cmd("\xff\x54\x43\x47rest", 8, TPM_ALG_SHA256, TPM_RH_OWNER);
	step(&s, "hash-generated-value", &c, CMP_ALL, SYM_NONE);
	hash_cmd(big, 1025, TPM_ALG_SHA256, TPM_RH_NULL);
	step(&s, "hash-1025", &c, CMP_RC, SYM_NONE);
	hash_cmd(big, 3, TPM_ALG_NULL, TPM_RH_NULL);
	step(&s, "hash-alg-null", &c, CMP_RC, SYM_NONE);

	/* Hash sequences */
	for (size_t a = 0; a < 4; a++) {
		cmd_init(&c, TPM_CC_HashSequenceStart);
		p_2b_str(&c.p, "auth", "seq");
		p_alg(&c.p, "hashAlg", algs[a]);
		snprintf(name, sizeof(name), "seq-%04x-start", algs[a]);
		step(&s, name, &c, CMP_RC, SYM_SEQ);
		for (unsigned u = 0; u < 3; u++) {
			seq_update(SYM_SEQ, big + u * 300, 300);
			snprintf(name, sizeof(name), "seq-%04x-update-%u", algs[a], u);
			step(&s, name, &c, CMP_ALL, SYM_NONE);
		}
		seq_complete(SYM_SEQ, "tail");
		snprintf(name, sizeof(name), "seq-%04x-complete", algs[a]);
		step(&s, name, &c, CMP_ALL, SYM_NONE);
	}
	cmd_init(&c, TPM_CC_HashSequenceStart);
	p_2b_str(&c.p, "auth", "seq");
	p_alg(&c.p, "hashAlg", TPM_ALG_SHA256);
	step(&s, "seq-empty-start", &c, CMP_RC, SYM_SEQ);
	seq_complete(SYM_SEQ, "");
	step(&s, "seq-empty-complete", &c, CMP_ALL, SYM_NONE);

	/* Event sequence: digests in every bank, then extended into PCR 5 */
	cmd_init(&c, TPM_CC_HashSequenceStart);
	p_2b_str(&c.p, "auth", "seq");
	p_alg(&c.p, "hashAlg", TPM_ALG_NULL);
	step(&s, "event-seq-start", &c, CMP_RC, SYM_SEQ);
	seq_update(SYM_SEQ, big, 500);
	step(&s, "event-seq-update", &c, CMP_ALL, SYM_NONE);
	cmd_init(&c, TPM_CC_EventSequenceComplete);
	cmd_handle(&c, 5);
	cmd_handle_sym(&c, SYM_SEQ);
	cmd_pw(&c, "");
	cmd_pw(&c, "seq");
	p_2b_str(&c.p, "buffer", "last");
	step(&s, "event-seq-complete", &c, CMP_ALL, SYM_NONE);
	cmd_init(&c, TPM_CC_PCR_Read);
	p_u32(&c.p, "count", 3);
	for (size_t a = 0; a < 3; a++) {
		p_alg(&c.p, "hash", algs[a]);
		p_u8(&c.p, "size", 3);
		p_raw(&c.p, "\x20\x00\x00", 3);
	}
	step(&s, "event-seq-pcr5", &c, CMP_PCR_READ, SYM_NONE);
}

static void sc_hmac(void)
{
	struct sc s;
	uint8_t data[700];

	pattern(data, sizeof(data), 3);
	begin(&s, "hmac", FX_HMACKEY, true);
	cmd_init(&c, TPM_CC_HMAC);
	cmd_handle_sym(&c, SYM_HMACKEY);
	cmd_pw(&c, "hk");
	p_2b(&c.p, "buffer", data, 100);
	p_alg(&c.p, "hashAlg", TPM_ALG_SHA256);
	step(&s, "hmac-sha256", &c, CMP_ALL, SYM_NONE);
	c.p.b[c.p.f[1].off + 1] = TPM_ALG_NULL; /* the key's own scheme */
	step(&s, "hmac-null", &c, CMP_ALL, SYM_NONE);
	c.p.b[c.p.f[1].off + 1] = TPM_ALG_SHA1; /* not the key's scheme */
	step(&s, "hmac-sha1-mismatch", &c, CMP_RC, SYM_NONE);
	cmd_init(&c, TPM_CC_HMAC);
	cmd_handle_sym(&c, SYM_HMACKEY);
	cmd_pw(&c, "hk");
	p_2b(&c.p, "buffer", NULL, 0);
	p_alg(&c.p, "hashAlg", TPM_ALG_SHA256);
	step(&s, "hmac-empty", &c, CMP_ALL, SYM_NONE);

	cmd_init(&c, TPM_CC_HMAC_Start);
	cmd_handle_sym(&c, SYM_HMACKEY);
	cmd_pw(&c, "hk");
	p_2b_str(&c.p, "auth", "seq");
	p_alg(&c.p, "hashAlg", TPM_ALG_SHA256);
	step(&s, "seq-start", &c, CMP_RC, SYM_HSEQ);
	seq_update(SYM_HSEQ, data, 350);
	step(&s, "seq-update-1", &c, CMP_ALL, SYM_NONE);
	seq_update(SYM_HSEQ, data + 350, 350);
	step(&s, "seq-update-2", &c, CMP_ALL, SYM_NONE);
	seq_complete(SYM_HSEQ, "end");
	step(&s, "seq-complete", &c, CMP_ALL, SYM_NONE);
}

struct policy_step {
	uint32_t cc;
	uint32_t arg;   /* command code, or 1 for an explicit PolicyPCR digest */
};

static void policy_recipe(const char *name, uint16_t hash, const struct policy_step *steps, size_t n)
{
	struct sc s;
	char sname[48];
	uint8_t nonce[16];

	begin(&s, name, 0, true);
	memset(nonce, 0x11, sizeof(nonce));
	cmd_init(&c, TPM_CC_StartAuthSession);
	cmd_handle(&c, TPM_RH_NULL);
	cmd_handle(&c, TPM_RH_NULL);
	p_2b(&c.p, "nonceCaller", nonce, sizeof(nonce));
	p_2b(&c.p, "encryptedSalt", NULL, 0);
	p_u8(&c.p, "sessionType", TPM_SE_TRIAL);
	p_alg(&c.p, "symmetric", TPM_ALG_NULL);
	p_alg(&c.p, "authHash", hash);
	step(&s, "start", &c, CMP_RC, SYM_POLICY);
	for (size_t i = 0; i < n; i++) {
		cmd_init(&c, steps[i].cc);
		cmd_handle_sym(&c, SYM_POLICY);
		if (steps[i].cc == TPM_CC_PolicyCommandCode) {
			p_cc(&c.p, "code", steps[i].arg);
		} else if (steps[i].cc == TPM_CC_PolicyPCR) {
			uint8_t d[32];

			pattern(d, sizeof(d), 0x77);
			p_2b(&c.p, "pcrDigest", d, steps[i].arg ? 32 : 0);
			p_u32(&c.p, "count", 1);
			p_alg(&c.p, "hash", TPM_ALG_SHA256);
			p_u8(&c.p, "size", 3);
			p_raw(&c.p, "\x07\x00\x00", 3);
		}
		snprintf(sname, sizeof(sname), "%u-%s", (unsigned)i + 1, cc_name(steps[i].cc));
		step(&s, sname, &c, CMP_ALL, SYM_NONE);
	}
	cmd_init(&c, TPM_CC_PolicyGetDigest);
	cmd_handle_sym(&c, SYM_POLICY);
	step(&s, "digest", &c, CMP_ALL, SYM_NONE);
}

static void sc_policy(void)
{
	static const struct policy_step cc_unseal[] = { { TPM_CC_PolicyCommandCode, TPM_CC_Unseal } };
	static const struct policy_step authvalue[] = { { TPM_CC_PolicyAuthValue, 0 } };
	static const struct policy_step password[] = { { TPM_CC_PolicyPassword, 0 } };
	static const struct policy_step pcr_current[] = { { TPM_CC_PolicyPCR, 0 } };
	static const struct policy_step pcr_given[] = { { TPM_CC_PolicyPCR, 1 } };
	static const struct policy_step cc_and_auth[] = { { TPM_CC_PolicyCommandCode, TPM_CC_NV_Read },
							  { TPM_CC_PolicyAuthValue, 0 } };
	static const struct policy_step restart[] = { { TPM_CC_PolicyPassword, 0 },
						      { TPM_CC_PolicyRestart, 0 },
						      { TPM_CC_PolicyCommandCode, TPM_CC_Sign } };
	static const struct policy_step twice[] = { { TPM_CC_PolicyAuthValue, 0 },
						    { TPM_CC_PolicyAuthValue, 0 } };
	static const struct policy_step pw_then_auth[] = { { TPM_CC_PolicyPassword, 0 },
							   { TPM_CC_PolicyAuthValue, 0 } };
	static const struct policy_step none[] = { { 0, 0 } };

	policy_recipe("policy-empty", TPM_ALG_SHA256, none, 0);
	policy_recipe("policy-cc-unseal", TPM_ALG_SHA256, cc_unseal, 1);
	policy_recipe("policy-authvalue", TPM_ALG_SHA256, authvalue, 1);
	policy_recipe("policy-password", TPM_ALG_SHA256, password, 1);
	policy_recipe("policy-pcr-current", TPM_ALG_SHA256, pcr_current, 1);
	policy_recipe("policy-pcr-given", TPM_ALG_SHA256, pcr_given, 1);
	policy_recipe("policy-cc-and-authvalue", TPM_ALG_SHA256, cc_and_auth, 2);
	policy_recipe("policy-restart", TPM_ALG_SHA256, restart, 3);
	policy_recipe("policy-authvalue-twice", TPM_ALG_SHA256, twice, 2);
	policy_recipe("policy-password-authvalue", TPM_ALG_SHA256, pw_then_auth, 2);
	policy_recipe("policy-sha1-authvalue", TPM_ALG_SHA1, authvalue, 1);
	policy_recipe("policy-sha384-cc", TPM_ALG_SHA384, cc_unseal, 1);
}

static void sc_nv(void)
{
	struct sc s;
	uint8_t data[64];
	uint32_t attrs = TPMA_NV_AUTHWRITE | TPMA_NV_AUTHREAD | TPMA_NV_NO_DA;

	pattern(data, sizeof(data), 0x31);
	begin(&s, "nv", 0, true);
	cmd_nv_define(&c, NV_ORD, attrs, 64);
	step(&s, "define-ordinary", &c, CMP_ALL, SYM_NONE);
	nv_read_public(NV_ORD);
	step(&s, "readpublic-unwritten", &c, CMP_ALL, SYM_NONE);
	nv_read(NV_ORD, 8, 0);
	step(&s, "read-unwritten", &c, CMP_RC, SYM_NONE);
	nv_cmd(TPM_CC_NV_Write, NV_ORD);
	p_2b(&c.p, "data", data, 16);
	p_u16(&c.p, "offset", 0);
	step(&s, "write-0-16", &c, CMP_ALL, SYM_NONE);
	nv_cmd(TPM_CC_NV_Write, NV_ORD);
	p_2b(&c.p, "data", data + 16, 8);
	p_u16(&c.p, "offset", 56);
	step(&s, "write-56-8", &c, CMP_ALL, SYM_NONE);
	nv_cmd(TPM_CC_NV_Write, NV_ORD);
	p_2b(&c.p, "data", data, 9);
	p_u16(&c.p, "offset", 56);
	step(&s, "write-past-end", &c, CMP_RC, SYM_NONE);
	nv_read(NV_ORD, 16, 0);
	step(&s, "read-0-16", &c, CMP_ALL, SYM_NONE);
	nv_read(NV_ORD, 8, 56);
	step(&s, "read-56-8", &c, CMP_ALL, SYM_NONE);
	nv_read(NV_ORD, 64, 0);
	step(&s, "read-all", &c, CMP_ALL, SYM_NONE);
	nv_read(NV_ORD, 2, 63);
	step(&s, "read-past-end", &c, CMP_RC, SYM_NONE);
	nv_read_public(NV_ORD);
	step(&s, "readpublic-written", &c, CMP_ALL, SYM_NONE);

	cmd_nv_define(&c, NV_CTR, (TPM_NT_COUNTER << TPMA_NV_TPM_NT_SHIFT) | attrs, 8);
	step(&s, "define-counter", &c, CMP_ALL, SYM_NONE);
	nv_read(NV_CTR, 8, 0);
	step(&s, "counter-read-unwritten", &c, CMP_RC, SYM_NONE);
	for (int i = 0; i < 3; i++) {
		char name[32];

		nv_cmd(TPM_CC_NV_Increment, NV_CTR);
		snprintf(name, sizeof(name), "counter-increment-%d", i + 1);
		step(&s, name, &c, CMP_ALL, SYM_NONE);
	}
	nv_read(NV_CTR, 8, 0);
	step(&s, "counter-read", &c, CMP_ALL, SYM_NONE);
	nv_read_public(NV_CTR);
	step(&s, "counter-readpublic", &c, CMP_ALL, SYM_NONE);
	nv_cmd(TPM_CC_NV_Write, NV_CTR);
	p_2b(&c.p, "data", data, 8);
	p_u16(&c.p, "offset", 0);
	step(&s, "counter-write", &c, CMP_RC, SYM_NONE);

	cmd_nv_define(&c, NV_BITS, (TPM_NT_BITS << TPMA_NV_TPM_NT_SHIFT) | attrs, 8);
	step(&s, "define-bits", &c, CMP_ALL, SYM_NONE);
	nv_cmd(TPM_CC_NV_SetBits, NV_BITS);
	p_u32(&c.p, "hi", 0);
	p_u32(&c.p, "lo", 1);
	step(&s, "setbits-1", &c, CMP_ALL, SYM_NONE);
	nv_cmd(TPM_CC_NV_SetBits, NV_BITS);
	p_u32(&c.p, "hi", 0x80000000u);
	p_u32(&c.p, "lo", 0x00010000u);
	step(&s, "setbits-2", &c, CMP_ALL, SYM_NONE);
	nv_read(NV_BITS, 8, 0);
	step(&s, "bits-read", &c, CMP_ALL, SYM_NONE);

	cmd_nv_define(&c, NV_EXT, (TPM_NT_EXTEND << TPMA_NV_TPM_NT_SHIFT) | attrs, 32);
	step(&s, "define-extend", &c, CMP_ALL, SYM_NONE);
	nv_cmd(TPM_CC_NV_Extend, NV_EXT);
	p_2b_str(&c.p, "data", "abc");
	step(&s, "extend-1", &c, CMP_ALL, SYM_NONE);
	nv_cmd(TPM_CC_NV_Extend, NV_EXT);
	p_2b(&c.p, "data", data, 64);
	step(&s, "extend-2", &c, CMP_ALL, SYM_NONE);
	nv_read(NV_EXT, 32, 0);
	step(&s, "extend-read", &c, CMP_ALL, SYM_NONE);
	nv_read_public(NV_EXT);
	step(&s, "extend-readpublic", &c, CMP_ALL, SYM_NONE);

	/* Owner-authorized, write-once-per-define index with a policy */
	{
		uint8_t pol[32];

		pattern(pol, sizeof(pol), 0x90);
		cmd_init(&c, TPM_CC_NV_DefineSpace);
		cmd_handle(&c, TPM_RH_OWNER);
		cmd_pw(&c, "");
		p_2b_str(&c.p, "auth", "nv");
		p_2b_begin(&c.p, "publicInfo");
		p_handle(&c.p, "nvIndex", 0x01000030);
		p_alg(&c.p, "nameAlg", TPM_ALG_SHA256);
		p_attr(&c.p, "attributes",
		       TPMA_NV_OWNERWRITE | TPMA_NV_OWNERREAD | TPMA_NV_WRITEDEFINE | TPMA_NV_READ_STCLEAR |
			       TPMA_NV_POLICYREAD);
		p_2b(&c.p, "authPolicy", pol, sizeof(pol));
		p_u16(&c.p, "dataSize", 16);
		p_2b_end(&c.p);
	}
	step(&s, "define-owner-policy", &c, CMP_ALL, SYM_NONE);
	nv_read_public(0x01000030);
	step(&s, "owner-readpublic", &c, CMP_ALL, SYM_NONE);
	cmd_init(&c, TPM_CC_NV_Write);
	cmd_handle(&c, TPM_RH_OWNER);
	cmd_handle(&c, 0x01000030);
	cmd_pw(&c, "");
	p_2b(&c.p, "data", data, 16);
	p_u16(&c.p, "offset", 0);
	step(&s, "owner-write", &c, CMP_ALL, SYM_NONE);
	cmd_init(&c, TPM_CC_NV_WriteLock);
	cmd_handle(&c, TPM_RH_OWNER);
	cmd_handle(&c, 0x01000030);
	cmd_pw(&c, "");
	step(&s, "owner-writelock", &c, CMP_ALL, SYM_NONE);
	cmd_init(&c, TPM_CC_NV_Write);
	cmd_handle(&c, TPM_RH_OWNER);
	cmd_handle(&c, 0x01000030);
	cmd_pw(&c, "");
	p_2b(&c.p, "data", data, 4);
	p_u16(&c.p, "offset", 0);
	step(&s, "owner-write-locked", &c, CMP_RC, SYM_NONE);
	nv_read_public(0x01000030);
	step(&s, "owner-readpublic-locked", &c, CMP_ALL, SYM_NONE);
	nv_cmd(TPM_CC_NV_Read, 0x01000030);
	p_u16(&c.p, "size", 16);
	p_u16(&c.p, "offset", 0);
	step(&s, "owner-read-with-index-auth", &c, CMP_RC, SYM_NONE);

	cmd_init(&c, TPM_CC_NV_UndefineSpace);
	cmd_handle(&c, TPM_RH_OWNER);
	cmd_handle(&c, NV_ORD);
	cmd_pw(&c, "");
	step(&s, "undefine", &c, CMP_ALL, SYM_NONE);
	nv_read_public(NV_ORD);
	step(&s, "readpublic-undefined", &c, CMP_RC, SYM_NONE);
	cmd_nv_define(&c, NV_CTR, attrs, 8);
	step(&s, "define-existing", &c, CMP_RC, SYM_NONE);
}

static void load_and_read(struct sc *s, const char *what, uint32_t hierarchy, int kind)
{
	char name[48];

	cmd_init(&c, TPM_CC_LoadExternal);
	p_2b(&c.p, "inPrivate", NULL, 0);
	p_2b_begin(&c.p, "inPublic");
	if (kind == 0)
		tmpl_ecc_public(&c.p, TPM_ECC_NIST_P256);
	else if (kind == 1)
		tmpl_ecc_public(&c.p, TPM_ECC_NIST_P384);
	else
		tmpl_rsa_public(&c.p);
	p_2b_end(&c.p);
	p_handle(&c.p, "hierarchy", hierarchy);
	snprintf(name, sizeof(name), "%s-load", what);
	step(s, name, &c, CMP_ALL, SYM_EXTECC);
	cmd_init(&c, TPM_CC_ReadPublic);
	cmd_handle_sym(&c, SYM_EXTECC);
	snprintf(name, sizeof(name), "%s-readpublic", what);
	step(s, name, &c, CMP_ALL, SYM_NONE);
	flush(s, SYM_EXTECC);
}

static void sc_names(void)
{
	struct sc s;

	begin(&s, "names", 0, true);
	load_and_read(&s, "ecc-p256-null", TPM_RH_NULL, 0);
	load_and_read(&s, "ecc-p256-owner", TPM_RH_OWNER, 0);
	load_and_read(&s, "ecc-p384-endorsement", TPM_RH_ENDORSEMENT, 1);
	load_and_read(&s, "rsa2048-null", TPM_RH_NULL, 2);
	load_and_read(&s, "rsa2048-platform", TPM_RH_PLATFORM, 2);
	/* The HMAC key with its sensitive part */
	begin(&s, "names-hmac-key", FX_HMACKEY, true);
	cmd_init(&c, TPM_CC_ReadPublic);
	cmd_handle_sym(&c, SYM_HMACKEY);
	step(&s, "readpublic", &c, CMP_ALL, SYM_NONE);
}

int run_outputs(void)
{
	sc_startup();
	sc_misc();
	if (smoke_mode())
		return 0;
	sc_pcr();
	sc_hash();
	sc_hmac();
	sc_policy();
	sc_nv();
	sc_names();
	return 0;
}
