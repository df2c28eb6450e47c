/* husk-tpm-bench: the same command mix through husk's TPM engine and
 * through libtpms, in one process, printing operations per second side by
 * side; plus husk's engine code size and memory per context.  Commands husk
 * does not implement yet show as "n/a".  `make bench-tpm` runs it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../tpm-diff/diff.h"
#include "tpm/tpm_defs.h"

struct ctx {
	uint32_t sym[ENG_N][SYM_COUNT];
	uint8_t child_priv[ENG_N][1024], child_pub[ENG_N][1024];
	size_t child_priv_len[ENG_N], child_pub_len[ENG_N];
	uint8_t saved[ENG_N][TPM_BUFFER_MAX]; /* a TPMS_CONTEXT */
	size_t saved_len[ENG_N];
};

static struct ctx cx;
static struct cmd c;
static struct eng_rsp rsp;
static double target_s = 0.5;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint32_t send_cmd(int e, const struct cmd *cm)
{
	return eng_send_cmd(e, cm, cx.sym[e], &rsp);
}

/* ---- the operations: build (untimed), send (timed), clean up (untimed) ---- */

#define N_SIGN    0x01 /* ECC P-256 signing key */
#define N_RSA     0x02 /* RSA-2048 signing key */
#define N_STORAGE 0x04 /* storage key and a child's blobs */
#define N_NV      0x08 /* 256-byte NV index */
#define N_HMAC    0x10 /* HMAC key */

struct op {
	const char *name;
	unsigned needs;
	/* Builds the command into c; false if it cannot run on this engine. */
	bool (*build)(int e);
	/* After a successful run (untimed): flush what it made. */
	void (*after)(int e);
	/* One untimed run first (what it leaves behind is what is measured:
	 * husk's cache of derived primary keys). */
	bool warm_up;
};

static const uint8_t data1k[1024] = { 1, 2, 3 };
static const uint8_t digest32[32] = { 0xaa, 0xbb };

static bool b_pcr_extend(int e)
{
	(void)e;
	cmd_init(&c, TPM_CC_PCR_Extend);
	cmd_handle(&c, 16);
	cmd_pw(&c, "");
	p_u32(&c.p, "count", 1);
	p_alg(&c.p, "alg", TPM_ALG_SHA256);
	p_raw(&c.p, digest32, 32);
	return true;
}

static bool b_pcr_read(int e)
{
	(void)e;
	cmd_init(&c, TPM_CC_PCR_Read);
	p_u32(&c.p, "count", 1);
	p_alg(&c.p, "hash", TPM_ALG_SHA256);
	p_u8(&c.p, "size", 3);
	p_raw(&c.p, "\xff\x00\x00", 3);
	return true;
}

static bool b_get_random(int e)
{
	(void)e;
	cmd_init(&c, TPM_CC_GetRandom);
	p_u16(&c.p, "bytes", 32);
	return true;
}

static bool b_hash(int e)
{
	(void)e;
	cmd_init(&c, TPM_CC_Hash);
	p_2b(&c.p, "data", data1k, sizeof(data1k));
	p_alg(&c.p, "hashAlg", TPM_ALG_SHA256);
	p_handle(&c.p, "hierarchy", TPM_RH_NULL);
	return true;
}

static bool b_hmac(int e)
{
	cmd_init(&c, TPM_CC_HMAC);
	cmd_handle_sym(&c, SYM_HMACKEY);
	cmd_pw(&c, "hk");
	p_2b(&c.p, "buffer", data1k, sizeof(data1k));
	p_alg(&c.p, "hashAlg", TPM_ALG_SHA256);
	return cx.sym[e][SYM_HMACKEY] != 0;
}

static bool b_primary_ecc(int e)
{
	(void)e;
	cmd_create_primary(&c, TPM_RH_OWNER, "", tmpl_ecc_sign);
	return true;
}

/* The same template every time: husk derives the key once and then serves
 * it from its cache of derived primary keys (docs/tpm.md). */
static bool b_primary_rsa(int e)
{
	(void)e;
	cmd_create_primary(&c, TPM_RH_OWNER, "", tmpl_rsa_sign);
	return true;
}

/* tmpl_rsa_sign with a unique field that is new at every call: a new key,
 * derived in full by both engines (no cache can serve it). */
static void tmpl_rsa_sign_new(struct tb *p)
{
	static uint64_t counter;
	uint8_t unique[8];

	counter++;
	for (unsigned i = 0; i < sizeof(unique); i++)
		unique[i] = (uint8_t)(counter >> (8 * (7 - i)));
	p_alg(p, "type", TPM_ALG_RSA);
	p_alg(p, "nameAlg", TPM_ALG_SHA256);
	p_attr(p, "objectAttributes", TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
					      TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH |
					      TPMA_OBJECT_SIGN_ENCRYPT);
	p_2b(p, "authPolicy", NULL, 0);
	p_alg(p, "symmetric", TPM_ALG_NULL);
	p_alg(p, "scheme", TPM_ALG_RSASSA);
	p_alg(p, "scheme.hash", TPM_ALG_SHA256);
	p_u16(p, "keyBits", 2048);
	p_u32(p, "exponent", 0);
	p_2b(p, "unique", unique, sizeof(unique));
}

static bool b_primary_rsa_new(int e)
{
	(void)e;
	cmd_create_primary(&c, TPM_RH_OWNER, "", tmpl_rsa_sign_new);
	return true;
}

static void flush_out_handle(int e)
{
	eng_flush(e, rsp_handle(rsp.b, rsp.len));
}

static bool sign(int e, enum sym key, uint16_t scheme)
{
	cmd_init(&c, TPM_CC_Sign);
	cmd_handle_sym(&c, key);
	cmd_pw(&c, "sign");
	p_2b(&c.p, "digest", digest32, 32);
	p_alg(&c.p, "scheme", scheme);
	p_alg(&c.p, "hash", TPM_ALG_SHA256);
	p_u16(&c.p, "tag", TPM_ST_HASHCHECK);
	p_handle(&c.p, "hierarchy", TPM_RH_NULL);
	p_2b(&c.p, "digest", NULL, 0);
	return cx.sym[e][key] != 0;
}

static bool b_sign_ecc(int e)
{
	return sign(e, SYM_SIGN, TPM_ALG_ECDSA);
}

static bool b_sign_rsa(int e)
{
	return sign(e, SYM_RSA_SIGN, TPM_ALG_RSASSA);
}

static bool b_quote(int e)
{
	cmd_init(&c, TPM_CC_Quote);
	cmd_handle_sym(&c, SYM_SIGN);
	cmd_pw(&c, "sign");
	p_2b(&c.p, "qualifyingData", digest32, 16);
	p_alg(&c.p, "scheme", TPM_ALG_NULL);
	p_u32(&c.p, "count", 1);
	p_alg(&c.p, "hash", TPM_ALG_SHA256);
	p_u8(&c.p, "size", 3);
	p_raw(&c.p, "\xff\x00\x00", 3);
	return cx.sym[e][SYM_SIGN] != 0;
}

static bool b_nv_write(int e)
{
	(void)e;
	cmd_init(&c, TPM_CC_NV_Write);
	cmd_handle(&c, NV_ORD);
	cmd_handle(&c, NV_ORD);
	cmd_pw(&c, "nv");
	p_2b(&c.p, "data", data1k, 256);
	p_u16(&c.p, "offset", 0);
	return true;
}

static bool b_nv_read(int e)
{
	(void)e;
	cmd_init(&c, TPM_CC_NV_Read);
	cmd_handle(&c, NV_ORD);
	cmd_handle(&c, NV_ORD);
	cmd_pw(&c, "nv");
	p_u16(&c.p, "size", 256);
	p_u16(&c.p, "offset", 0);
	return true;
}

static bool b_load(int e)
{
	cmd_init(&c, TPM_CC_Load);
	cmd_handle_sym(&c, SYM_STORAGE);
	cmd_pw(&c, "");
	p_raw(&c.p, cx.child_priv[e], cx.child_priv_len[e]);
	p_raw(&c.p, cx.child_pub[e], cx.child_pub_len[e]);
	return cx.child_priv_len[e] != 0;
}

/* ContextSave then ContextLoad of the ECC key: one operation. */
static bool b_context(int e)
{
	cmd_init(&c, TPM_CC_ContextSave);
	cmd_handle_sym(&c, SYM_SIGN);
	return cx.sym[e][SYM_SIGN] != 0;
}

static uint32_t context_load(int e)
{
	struct view v;

	if (!rsp_params(rsp.b, rsp.len, false, &v))
		return ENG_BROKEN;
	cmd_init(&c, TPM_CC_ContextLoad);
	p_raw(&c.p, v.p, v.n);
	return send_cmd(e, &c);
}

static const struct op ops[] = {
	{ "PCR_Extend", 0, b_pcr_extend, NULL, false },
	{ "PCR_Read", 0, b_pcr_read, NULL, false },
	{ "GetRandom 32 B", 0, b_get_random, NULL, false },
	{ "Hash SHA-256 1 KiB", 0, b_hash, NULL, false },
	{ "HMAC SHA-256 1 KiB", N_HMAC, b_hmac, NULL, false },
	{ "CreatePrimary ECC P-256", 0, b_primary_ecc, flush_out_handle, false },
	{ "CreatePrimary RSA-2048 repeated", 0, b_primary_rsa, flush_out_handle, true },
	{ "CreatePrimary RSA-2048 new unique", 0, b_primary_rsa_new, flush_out_handle, false },
	{ "Sign ECDSA P-256", N_SIGN, b_sign_ecc, NULL, false },
	{ "Sign RSASSA-2048", N_RSA, b_sign_rsa, NULL, false },
	{ "Quote ECDSA P-256", N_SIGN, b_quote, NULL, false },
	{ "NV_Write 256 B", N_NV, b_nv_write, NULL, false },
	{ "NV_Read 256 B", N_NV, b_nv_read, NULL, false },
	{ "Load ECC child", N_STORAGE, b_load, flush_out_handle, false },
	{ "ContextSave+ContextLoad", N_SIGN, b_context, flush_out_handle, false },
};
#define NOPS (sizeof(ops) / sizeof(ops[0]))

/* ---- setup: keys, an HMAC key, an NV index, a child key's blobs ---- */

/* A fresh, started TPM with what an operation needs (libtpms has only three
 * object slots, so each operation gets its own). */
static void setup(int e, unsigned needs)
{
	static const uint8_t startup[] = { 0x80, 0x01, 0, 0, 0, 12, 0, 0, 0x01, 0x44, 0, 0 };

	memset(cx.sym[e], 0, sizeof(cx.sym[e]));
	cx.child_priv_len[e] = cx.child_pub_len[e] = 0;
	if (eng_fresh(e) || eng_send(e, startup, sizeof(startup), &rsp)) {
		fprintf(stderr, "husk-tpm-bench: %s: cannot start\n", eng_name(e));
		exit(2);
	}
	if (needs & N_SIGN) {
		cmd_create_primary(&c, TPM_RH_OWNER, "sign", tmpl_ecc_sign);
		if (!send_cmd(e, &c))
			cx.sym[e][SYM_SIGN] = rsp_handle(rsp.b, rsp.len);
	}
	if (needs & N_RSA) {
		cmd_create_primary(&c, TPM_RH_OWNER, "sign", tmpl_rsa_sign);
		if (!send_cmd(e, &c))
			cx.sym[e][SYM_RSA_SIGN] = rsp_handle(rsp.b, rsp.len);
	}
	if (needs & N_NV) {
		cmd_nv_define(&c, NV_ORD, TPMA_NV_AUTHWRITE | TPMA_NV_AUTHREAD | TPMA_NV_NO_DA, 256);
		if (!send_cmd(e, &c) && b_nv_write(e))
			send_cmd(e, &c); /* written, so that NV_Read can read it */
	}
	if ((needs & N_HMAC) && fixture_hmac_key(e, &cx.sym[e][SYM_HMACKEY]))
		cx.sym[e][SYM_HMACKEY] = 0;
	if (needs & N_STORAGE) {
		struct view v;

		cmd_create_primary(&c, TPM_RH_OWNER, "", tmpl_ecc_storage);
		if (send_cmd(e, &c))
			return;
		cx.sym[e][SYM_STORAGE] = rsp_handle(rsp.b, rsp.len);
		/* A child of the storage key, for Load. */
		cmd_create_primary(&c, TPM_RH_OWNER, "child", tmpl_ecc_sign);
		c.cc = TPM_CC_Create;
		c.h[0] = cx.sym[e][SYM_STORAGE];
		if (!send_cmd(e, &c) && rsp_params(rsp.b, rsp.len, false, &v) && v.n >= 4) {
			size_t priv = 2u + tpm_be16(v.p), pub;

			if (priv + 2 > v.n)
				return;
			pub = 2u + tpm_be16(v.p + priv);
			if (priv <= sizeof(cx.child_priv[e]) && pub <= sizeof(cx.child_pub[e]) && priv + pub <= v.n) {
				memcpy(cx.child_priv[e], v.p, priv);
				memcpy(cx.child_pub[e], v.p + priv, pub);
				cx.child_priv_len[e] = priv;
				cx.child_pub_len[e] = pub;
			}
		}
	}
}

/* ---- timing ---- */

struct measure {
	double ops_per_s;  /* 0: n/a */
	uint32_t rc;       /* why n/a */
};

static struct measure run_op(int e, const struct op *op)
{
	struct measure m = { 0, 0 };
	double spent = 0, start;
	unsigned long iters = 0;

	if (op->warm_up) {
		uint32_t rc;

		if (!op->build(e)) {
			m.rc = ENG_BROKEN;
			return m;
		}
		rc = send_cmd(e, &c);
		if (rc) {
			m.rc = rc;
			return m;
		}
		if (op->after)
			op->after(e);
	}
	start = now();
	for (;;) {
		double t0, t1;
		uint32_t rc;

		if (!op->build(e)) {
			m.rc = ENG_BROKEN;
			return m;
		}
		t0 = now();
		rc = send_cmd(e, &c);
		if (!rc && op->build == b_context)
			rc = context_load(e);
		t1 = now();
		if (rc) {
			m.rc = rc;
			return m;
		}
		if (op->after)
			op->after(e);
		spent += t1 - t0;
		iters++;
		/* Enough samples, or a slow operation past its time budget */
		if ((spent >= target_s && iters >= 3) || iters >= 200000 || now() - start > 20 * target_s)
			break;
	}
	m.ops_per_s = (double)iters / spent;
	return m;
}

static void fmt_rate(char *buf, size_t cap, const struct measure *m)
{
	if (m->ops_per_s <= 0)
		snprintf(buf, cap, "n/a");
	else if (m->ops_per_s >= 100)
		snprintf(buf, cap, "%.0f", m->ops_per_s);
	else
		snprintf(buf, cap, "%.2f", m->ops_per_s);
}

/* ---- code size ---- */

/* Sum of text, data and bss of an archive's objects (binutils size). */
static bool archive_size(const char *path, unsigned long *text, unsigned long *data, unsigned long *bss)
{
	char cmd[512], line[512];
	FILE *p;
	bool ok = false;

	snprintf(cmd, sizeof(cmd), "size -t '%s' 2>/dev/null", path);
	p = popen(cmd, "r");
	if (!p)
		return false;
	while (fgets(line, sizeof(line), p))
		if (strstr(line, "(TOTALS)") && sscanf(line, "%lu %lu %lu", text, data, bss) == 3)
			ok = true;
	pclose(p);
	return ok;
}

int main(int argc, char **argv)
{
	struct eng_opts eo = { .deterministic = false, .align = true };
	const char *libs[4];
	unsigned nlibs = 0;
	struct measure m[NOPS][ENG_N];
	size_t mem_fresh, mem_loaded, nv[ENG_N] = { 0, 0 };
	unsigned any_na = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quick")) {
			target_s = 0.05;
		} else if (!strcmp(argv[i], "--seconds") && i + 1 < argc) {
			target_s = atof(argv[++i]);
		} else if (!strcmp(argv[i], "--size") && i + 1 < argc && nlibs < 4) {
			libs[nlibs++] = argv[++i];
		} else {
			fprintf(stderr, "usage: husk-tpm-bench [--quick | --seconds S] [--size libtpm.a]...\n");
			return 2;
		}
	}
	if (eng_open(&eo)) {
		eng_close();
		return 2;
	}
	if (eng_fresh(ENG_HUSK))
		return 2;
	mem_fresh = eng_husk_memory();
	setup(ENG_HUSK, N_SIGN | N_NV | N_HMAC | N_STORAGE);
	mem_loaded = eng_husk_memory();
	for (size_t i = 0; i < NOPS; i++) {
		for (int e = 0; e < ENG_N; e++) {
			setup(e, ops[i].needs);
			m[i][e] = run_op(e, &ops[i]);
			if (ops[i].needs & N_NV)
				nv[e] = eng_nv_size(e);
		}
		fprintf(stderr, ".");
	}
	fprintf(stderr, "\n");

	printf("husk-tpm-bench: husk's TPM engine and libtpms %s in one process (host build, -O2),\n"
	       "operations per second (%.2f s or 3 runs per operation and engine)\n\n",
	       eng_ref_version(), target_s);
	printf("  %-34s %12s %12s %12s\n", "operation", "husk", "libtpms", "husk/libtpms");
	for (size_t i = 0; i < NOPS; i++) {
		char a[32], b[32], r[32] = "-";

		fmt_rate(a, sizeof(a), &m[i][ENG_HUSK]);
		fmt_rate(b, sizeof(b), &m[i][ENG_REF]);
		if (m[i][ENG_HUSK].ops_per_s > 0 && m[i][ENG_REF].ops_per_s > 0)
			snprintf(r, sizeof(r), "%.2f", m[i][ENG_HUSK].ops_per_s / m[i][ENG_REF].ops_per_s);
		printf("  %-34s %12s %12s %12s\n", ops[i].name, a, b, r);
	}
	printf("\n  husk/libtpms > 1: husk is faster.\n");
	for (size_t i = 0; i < NOPS; i++) {
		for (int e = 0; e < ENG_N; e++) {
			char rc[48];

			if (m[i][e].ops_per_s > 0)
				continue;
			if (!any_na++)
				printf("  n/a: the engine could not run it; why:\n");
			if (m[i][e].rc == ENG_BROKEN)
				snprintf(rc, sizeof(rc), "a key or blob it needs could not be made");
			else
				rc_name(m[i][e].rc, rc, sizeof(rc));
			printf("    %-34s %-8s %s\n", ops[i].name, eng_name(e), rc);
		}
	}

	printf("\nhusk's engine\n");
	for (unsigned i = 0; i < nlibs; i++) {
		unsigned long text, data, bss;

		if (archive_size(libs[i], &text, &data, &bss))
			printf("  code %-36s text %7lu  data %6lu  bss %6lu bytes\n", libs[i], text, data, bss);
		else
			printf("  code %-36s (not built)\n", libs[i]);
	}
	printf("  memory per context: %zu bytes fresh, %zu with the benchmark's keys and NV index loaded\n",
	       mem_fresh, mem_loaded);
	printf("  NV state with a 256-byte index: husk %zu bytes (tpm_state_save), libtpms %zu bytes "
	       "(permall)\n", nv[ENG_HUSK], nv[ENG_REF]);
	eng_close();
	return 0;
}
