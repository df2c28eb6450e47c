/* Unit tests of the TPM engine's NV state blob (lib/tpm/tpm_state.c): round
 * trips of a populated state, determinism, refusal of every truncation and
 * every single-bit flip, version and section errors, impossible values, and
 * that a refused load leaves the context exactly as it was. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../common/tpm_host.h"
#include "husk/err.h"
#include "tpm/tpm_internal.h"

#define HDR 16
#define TRAILER 32
#define SINGLETONS 7 /* sections 1..7 appear once each */

static struct tpm_host ha, hb;

static int setup(void **state)
{
	(void)state;
	if (tpm_host_init(&ha, 0x5157) || tpm_host_init(&hb, 0x7777))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tpm_host_fini(&ha);
	tpm_host_fini(&hb);
	return 0;
}

/* ---- building a state ---- */

static void fill(uint8_t *p, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i * 7);
}

static void set_digest(struct tpm2b_digest *d, uint16_t size, uint8_t seed)
{
	d->size = size;
	fill(d->b, size, seed);
}

static void add_nv(struct tpm *t, uint32_t handle, uint32_t attrs, uint16_t size, bool with_data)
{
	struct tpm_nv_index *x = &t->nv.nv[t->nv.nv_count++];

	memset(x, 0, sizeof(*x));
	x->handle = handle;
	x->name_alg = TPM_ALG_SHA256;
	x->attributes = attrs;
	set_digest(&x->auth, 5, (uint8_t)handle);
	set_digest(&x->auth_policy, 32, (uint8_t)(handle >> 1));
	x->size = size;
	if (with_data) {
		x->data = tpm_alloc(t, size);
		assert_non_null(x->data);
		fill(x->data, size, (uint8_t)(handle * 3));
	}
	t->nv.nv_bytes += size;
}

static struct tpm_object *add_obj(struct tpm *t, uint32_t handle, uint32_t hierarchy, uint16_t type)
{
	struct tpm_object *o = &t->nv.persistent[t->nv.persistent_count++];

	memset(o, 0, sizeof(*o));
	o->kind = TPM_OBJ_KEY;
	o->handle = handle;
	o->hierarchy = hierarchy;
	o->has_sensitive = true;
	o->pub.type = type;
	o->pub.name_alg = TPM_ALG_SHA256;
	o->pub.attributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_USERWITHAUTH |
			    TPMA_OBJECT_SENSITIVEDATAORIGIN;
	o->pub.symmetric.alg = TPM_ALG_NULL;
	o->pub.scheme.alg = TPM_ALG_NULL;
	o->pub.kdf.alg = TPM_ALG_NULL;
	o->sens.type = type;
	set_digest(&o->sens.auth, 8, (uint8_t)handle);
	switch (type) {
	case TPM_ALG_ECC:
		o->pub.attributes |= TPMA_OBJECT_SIGN_ENCRYPT;
		o->pub.scheme.alg = TPM_ALG_ECDSA;
		o->pub.scheme.hash = TPM_ALG_SHA256;
		o->pub.curve = TPM_ECC_NIST_P256;
		o->pub.ecc_x.size = o->pub.ecc_y.size = 32;
		fill(o->pub.ecc_x.b, 32, 1);
		fill(o->pub.ecc_y.b, 32, 2);
		o->sens.secret.size = 32;
		fill(o->sens.secret.b, 32, 3);
		break;
	case TPM_ALG_RSA:
		o->pub.attributes |= TPMA_OBJECT_DECRYPT | TPMA_OBJECT_RESTRICTED;
		o->pub.symmetric = (struct tpm_sym_def){ TPM_ALG_AES, 128, TPM_ALG_CFB };
		o->pub.rsa_bits = 2048;
		o->pub.rsa_n.size = 256;
		fill(o->pub.rsa_n.b, 256, 4);
		o->sens.secret.size = 128;
		fill(o->sens.secret.b, 128, 5);
		set_digest(&o->sens.seed, 32, 6);
		o->primary = true;
		break;
	default: /* KEYEDHASH: sealed data */
		o->pub.attributes &= ~TPMA_OBJECT_SENSITIVEDATAORIGIN;
		set_digest(&o->pub.sym_unique, 32, 7);
		o->sens.secret.size = 100;
		fill(o->sens.secret.b, 100, 8);
		set_digest(&o->sens.seed, 32, 9);
		break;
	}
	assert_int_equal(tpm_object_compute_name(&o->pub, &o->name), 0);
	o->qualified_name = o->name;
	o->qualified_name.b[5] ^= 0x5a;
	return o;
}

/* A state with something in every field tpm_state_save writes. */
static void populate(struct tpm *t)
{
	struct tpm_persistent *nv = &t->nv;

	set_digest(&nv->owner.auth, 10, 0x10);
	set_digest(&nv->owner.policy, 32, 0x11);
	nv->owner.policy_alg = TPM_ALG_SHA256;
	set_digest(&nv->endorsement.policy, 48, 0x12);
	nv->endorsement.policy_alg = TPM_ALG_SHA384;
	set_digest(&nv->lockout.auth, 64, 0x13);
	set_digest(&nv->platform_policy, 20, 0x14);
	nv->platform_policy_alg = TPM_ALG_SHA1;
	nv->disable_clear = true;
	nv->da_failed_tries = 3;
	nv->da_max_tries = 9;
	nv->da_recovery_time = 77;
	nv->da_lockout_recovery = 88;
	nv->da_lockout_locked = true;
	nv->da_last_fail_clock = 0x123456789aull;
	nv->da_lockout_since = 0xfedcba98ull;
	nv->da_used = true;
	nv->nv_max_counter = 0x1234567890abcdefull;
	nv->clock = 0x1122334455ull;
	nv->reset_count = 41;
	nv->restart_count = 2;
	nv->shutdown_type = TPM_SU_STATE;
	nv->pcr_banks = 0x7;
	nv->pcr_banks_pending = 0xa;
	nv->saved_state_valid = true;
	for (unsigned b = 0; b < TPM_NUM_BANKS; b++)
		for (unsigned i = 0; i < TPM_PCR_COUNT; i++)
			fill(nv->saved_pcr[b][i], tpm_hash_size(tpm_bank_alg(b)), (uint8_t)(b * 31 + i));
	nv->saved_pcr_counter = 1234;
	fill(nv->saved_null_seed, sizeof(nv->saved_null_seed), 0x51);
	fill(nv->saved_null_proof, sizeof(nv->saved_null_proof), 0x52);
	fill(nv->saved_context_nonce, sizeof(nv->saved_context_nonce), 0x53);
	nv->saved_context_counter = 77;
	nv->saved_sh_enable = true;
	nv->saved_ph_enable_nv = true;
	add_nv(t, 0x01000001, TPMA_NV_AUTHWRITE | TPMA_NV_AUTHREAD | TPMA_NV_WRITTEN, 100, true);
	add_nv(t, 0x01500000, (TPM_NT_COUNTER << TPMA_NV_TPM_NT_SHIFT) | TPMA_NV_OWNERREAD, 8, true);
	add_nv(t, 0x01c00002, TPMA_NV_PLATFORMCREATE | TPMA_NV_PPWRITE, TPM_NV_INDEX_MAX, false);
	add_nv(t, 0x01000003, TPMA_NV_AUTHWRITE, 0, true);
	add_obj(t, 0x81000001, TPM_RH_OWNER, TPM_ALG_ECC);
	add_obj(t, 0x81010001, TPM_RH_ENDORSEMENT, TPM_ALG_RSA);
	add_obj(t, 0x81800000, TPM_RH_PLATFORM, TPM_ALG_KEYEDHASH)->has_sensitive = false;
}

static void save(struct tpm *t, uint8_t **blob, size_t *len)
{
	assert_int_equal(tpm_state_save(t, blob, len), HUSK_OK);
	assert_non_null(*blob);
	assert_true(*len > HDR + TRAILER);
}

/* TPM2Bs: the size and that many bytes (what lies beyond is not state). */
static void assert_same_2b(uint16_t sa, const uint8_t *a, uint16_t sb, const uint8_t *b)
{
	assert_int_equal(sa, sb);
	if (sa)
		assert_memory_equal(a, b, sa);
}
#define assert_same_digest(x, y) assert_same_2b((x)->size, (x)->b, (y)->size, (y)->b)

static void assert_same_hier(const struct tpm_hier_auth *a, const struct tpm_hier_auth *b)
{
	assert_same_digest(&a->auth, &b->auth);
	assert_same_digest(&a->policy, &b->policy);
	assert_int_equal(a->policy_alg, b->policy_alg);
}

/* Everything of two NV states that the blob carries is equal. */
static void assert_same_nv(const struct tpm_persistent *a, const struct tpm_persistent *b)
{
	assert_memory_equal(a->eps, b->eps, TPM_SEED_SIZE);
	assert_memory_equal(a->sps, b->sps, TPM_SEED_SIZE);
	assert_memory_equal(a->pps, b->pps, TPM_SEED_SIZE);
	assert_memory_equal(a->eh_proof, b->eh_proof, TPM_PROOF_SIZE);
	assert_memory_equal(a->sh_proof, b->sh_proof, TPM_PROOF_SIZE);
	assert_memory_equal(a->ph_proof, b->ph_proof, TPM_PROOF_SIZE);
	assert_same_hier(&a->owner, &b->owner);
	assert_same_hier(&a->endorsement, &b->endorsement);
	assert_same_hier(&a->lockout, &b->lockout);
	assert_same_digest(&a->platform_policy, &b->platform_policy);
	assert_int_equal(a->platform_policy_alg, b->platform_policy_alg);
	assert_int_equal(a->disable_clear, b->disable_clear);
	assert_int_equal(a->da_failed_tries, b->da_failed_tries);
	assert_int_equal(a->da_max_tries, b->da_max_tries);
	assert_int_equal(a->da_recovery_time, b->da_recovery_time);
	assert_int_equal(a->da_lockout_recovery, b->da_lockout_recovery);
	assert_int_equal(a->da_lockout_locked, b->da_lockout_locked);
	assert_int_equal(a->da_last_fail_clock, b->da_last_fail_clock);
	assert_int_equal(a->da_lockout_since, b->da_lockout_since);
	assert_int_equal(a->da_used, b->da_used);
	assert_int_equal(a->nv_max_counter, b->nv_max_counter);
	assert_int_equal(a->clock, b->clock);
	assert_int_equal(a->reset_count, b->reset_count);
	assert_int_equal(a->restart_count, b->restart_count);
	assert_int_equal(a->shutdown_type, b->shutdown_type);
	assert_int_equal(a->pcr_banks, b->pcr_banks);
	assert_int_equal(a->pcr_banks_pending, b->pcr_banks_pending);
	assert_int_equal(a->saved_state_valid, b->saved_state_valid);
	if (a->saved_state_valid)
		assert_memory_equal(a->saved_pcr, b->saved_pcr, sizeof(a->saved_pcr));
	assert_int_equal(a->saved_pcr_counter, b->saved_pcr_counter);
	if (a->saved_state_valid) {
		assert_memory_equal(a->saved_null_seed, b->saved_null_seed, sizeof(a->saved_null_seed));
		assert_memory_equal(a->saved_null_proof, b->saved_null_proof, sizeof(a->saved_null_proof));
		assert_memory_equal(a->saved_context_nonce, b->saved_context_nonce,
				    sizeof(a->saved_context_nonce));
		assert_int_equal(a->saved_context_counter, b->saved_context_counter);
	}
	assert_int_equal(a->saved_sh_enable, b->saved_sh_enable);
	assert_int_equal(a->saved_eh_enable, b->saved_eh_enable);
	assert_int_equal(a->saved_ph_enable_nv, b->saved_ph_enable_nv);
	assert_int_equal(a->nv_count, b->nv_count);
	assert_int_equal(a->nv_bytes, b->nv_bytes);
	for (uint32_t i = 0; i < a->nv_count; i++) {
		const struct tpm_nv_index *x = &a->nv[i], *y = &b->nv[i];

		assert_int_equal(x->handle, y->handle);
		assert_int_equal(x->name_alg, y->name_alg);
		assert_int_equal(x->attributes, y->attributes);
		assert_same_digest(&x->auth, &y->auth);
		assert_same_digest(&x->auth_policy, &y->auth_policy);
		assert_int_equal(x->size, y->size);
		if (x->size) /* an empty index gets no buffer on load */
			assert_int_equal(x->data == NULL, y->data == NULL);
		if (x->data && x->size)
			assert_memory_equal(x->data, y->data, x->size);
	}
	assert_int_equal(a->persistent_count, b->persistent_count);
	for (uint32_t i = 0; i < a->persistent_count; i++) {
		const struct tpm_object *x = &a->persistent[i], *y = &b->persistent[i];
		uint8_t bx[2048], by[2048];
		struct tpm_w wx, wy;

		assert_int_equal(y->kind, TPM_OBJ_KEY);
		assert_int_equal(x->handle, y->handle);
		assert_int_equal(x->hierarchy, y->hierarchy);
		assert_int_equal(x->has_sensitive, y->has_sensitive);
		assert_int_equal(x->external, y->external);
		assert_int_equal(x->primary, y->primary);
		assert_same_digest(&x->name, &y->name);
		assert_same_digest(&x->qualified_name, &y->qualified_name);
		tpm_w_init(&wx, bx, sizeof(bx));
		tpm_w_init(&wy, by, sizeof(by));
		tpm_w_public(&wx, &x->pub);
		tpm_w_public(&wy, &y->pub);
		assert_int_equal(wx.pos, wy.pos);
		assert_memory_equal(bx, by, wx.pos);
		if (x->has_sensitive) {
			assert_int_equal(x->sens.type, y->sens.type);
			assert_same_digest(&x->sens.auth, &y->sens.auth);
			assert_same_digest(&x->sens.seed, &y->sens.seed);
			assert_int_equal(x->sens.secret.size, y->sens.secret.size);
			assert_memory_equal(x->sens.secret.b, y->sens.secret.b, x->sens.secret.size);
		}
	}
}

/* The blob of b's current state, to check that a refused load changed
 * nothing. */
struct snapshot {
	uint8_t *blob;
	size_t len;
	size_t mem;
};

static void snap(struct tpm *t, struct snapshot *s)
{
	bool dirty = tpm_nv_dirty(t);

	save(t, &s->blob, &s->len);
	t->nv_dirty = dirty; /* saving clears it; the snapshot must not */
	s->mem = tpm_memory_used(t);
}

static void assert_unchanged(struct tpm *t, struct snapshot *s)
{
	uint8_t *blob;
	size_t len;
	bool dirty = tpm_nv_dirty(t);

	assert_int_equal(tpm_memory_used(t), s->mem);
	save(t, &blob, &len);
	t->nv_dirty = dirty;
	assert_int_equal(len, s->len);
	assert_memory_equal(blob, s->blob, len);
	tpm_state_free(t, blob, len);
}

static void snap_free(struct tpm *t, struct snapshot *s)
{
	tpm_state_free(t, s->blob, s->len);
	s->blob = NULL;
}

/* ---- blob surgery: sections, rebuilt with a valid length and digest ---- */

struct sec {
	uint16_t tag;
	uint32_t len;
	uint8_t body[8192];
};

struct edit {
	uint8_t head[HDR];
	struct sec *secs;
	size_t n;
};

static void edit_parse(struct edit *e, const uint8_t *blob, size_t len)
{
	size_t pos = HDR;

	memcpy(e->head, blob, HDR);
	e->secs = calloc(200, sizeof(*e->secs));
	assert_non_null(e->secs);
	e->n = 0;
	while (pos < len - TRAILER) {
		struct sec *s = &e->secs[e->n++];

		s->tag = tpm_be16(blob + pos);
		s->len = tpm_be32(blob + pos + 2);
		assert_true(s->len <= sizeof(s->body));
		memcpy(s->body, blob + pos + 6, s->len);
		pos += 6 + s->len;
	}
	assert_int_equal(pos, len - TRAILER);
}

static struct sec *edit_find(struct edit *e, uint16_t tag)
{
	for (size_t i = 0; i < e->n; i++)
		if (e->secs[i].tag == tag)
			return &e->secs[i];
	fail_msg("no section %#x", tag);
	return NULL;
}

static struct sec *edit_insert(struct edit *e, size_t at, const struct sec *s)
{
	assert_true(e->n < 200);
	memmove(&e->secs[at + 1], &e->secs[at], (e->n - at) * sizeof(*s));
	e->secs[at] = *s;
	e->n++;
	return &e->secs[at];
}

static void edit_remove(struct edit *e, uint16_t tag)
{
	struct sec *s = edit_find(e, tag);
	size_t at = (size_t)(s - e->secs);

	memmove(s, s + 1, (e->n - at - 1) * sizeof(*s));
	e->n--;
}

/* Rebuilds the blob (length and digest fixed up) and loads it into t. */
static int edit_load(struct edit *e, struct tpm *t)
{
	size_t cap = HDR + TRAILER, len = HDR;
	uint8_t *blob;
	struct tpm_part part;
	int err;

	for (size_t i = 0; i < e->n; i++)
		cap += 6 + e->secs[i].len;
	blob = malloc(cap);
	assert_non_null(blob);
	memcpy(blob, e->head, HDR);
	for (size_t i = 0; i < e->n; i++) {
		tpm_put_be16(blob + len, e->secs[i].tag);
		tpm_put_be32(blob + len + 2, e->secs[i].len);
		memcpy(blob + len + 6, e->secs[i].body, e->secs[i].len);
		len += 6 + e->secs[i].len;
	}
	tpm_put_be32(blob + 12, (uint32_t)(len + TRAILER));
	part.p = blob;
	part.len = len;
	assert_int_equal(tpm_hash_parts(TPM_ALG_SHA256, &part, 1, blob + len), 0);
	err = tpm_state_load(t, blob, len + TRAILER);
	free(blob);
	return err;
}

static void edit_free(struct edit *e)
{
	free(e->secs);
}

/* An NV index section body. */
static struct sec nv_sec(uint32_t handle, uint16_t size)
{
	struct sec s = { .tag = 0x0010 };
	struct tpm_w w;

	tpm_w_init(&w, s.body, sizeof(s.body));
	tpm_w_u32(&w, handle);
	tpm_w_u16(&w, TPM_ALG_SHA256);
	tpm_w_u32(&w, TPMA_NV_AUTHWRITE | TPMA_NV_AUTHREAD);
	tpm_w_u16(&w, 0);
	tpm_w_u16(&w, 0);
	tpm_w_u16(&w, size);
	tpm_w_u8(&w, 1);
	for (uint16_t i = 0; i < size; i++)
		tpm_w_u8(&w, (uint8_t)i);
	assert_true(tpm_w_ok(&w));
	s.len = (uint32_t)w.pos;
	return s;
}

/* The state of a, saved, and b powered off, ready to load it. */
static void prepare(uint8_t **blob, size_t *len)
{
	populate(ha.tpm);
	assert_int_equal(tpm_power_off(ha.tpm), 0);
	save(ha.tpm, blob, len);
	assert_int_equal(tpm_power_off(hb.tpm), 0);
}

/* With HUSK_WRITE_FUZZ_SEEDS=dir, writes the blob as NV-state seeds of the
 * fuzz_tpm target (tests/fuzz/fuzz_tpm.c): mode 3 (length and trailer fixed
 * up by the target, so the trailer is left out) and mode 7 (as is). */
static void write_fuzz_seeds(const char *name, const uint8_t *blob, size_t len)
{
	const char *dir = getenv("HUSK_WRITE_FUZZ_SEEDS");
	char path[512];

	if (!dir)
		return;
	for (int raw = 0; raw < 2; raw++) {
		FILE *f;
		uint8_t mode = raw ? 7 : 3;

		snprintf(path, sizeof(path), "%s/%s%s", dir, name, raw ? "_raw" : "");
		f = fopen(path, "wb");
		assert_non_null(f);
		assert_int_equal(fwrite(&mode, 1, 1, f), 1);
		assert_int_equal(fwrite(blob, 1, len - (raw ? 0 : TRAILER), f), len - (raw ? 0 : TRAILER));
		assert_int_equal(fclose(f), 0);
	}
}

/* ---- tests ---- */

static void test_round_trip(void **state)
{
	uint8_t *blob, *again;
	size_t len, again_len;

	(void)state;
	assert_int_equal(tpm_power_off(hb.tpm), 0);
	save(hb.tpm, &blob, &len);
	write_fuzz_seeds("state_fresh", blob, len);
	tpm_state_free(hb.tpm, blob, len);
	assert_int_equal(tpm_power_on(hb.tpm), 0);
	prepare(&blob, &len);
	write_fuzz_seeds("state_populated", blob, len);
	assert_false(tpm_nv_dirty(ha.tpm));
	hb.tpm->nv_dirty = true;
	assert_int_equal(tpm_state_load(hb.tpm, blob, len), HUSK_OK);
	assert_false(tpm_nv_dirty(hb.tpm));
	assert_same_nv(&ha.tpm->nv, &hb.tpm->nv);
	/* Names are recomputed from the public areas. */
	for (uint32_t i = 0; i < hb.tpm->nv.persistent_count; i++)
		assert_true(hb.tpm->nv.persistent[i].name.size == 34);
	/* The loaded state saves to the same bytes. */
	save(hb.tpm, &again, &again_len);
	assert_int_equal(again_len, len);
	assert_memory_equal(again, blob, len);
	tpm_state_free(hb.tpm, again, again_len);
	tpm_state_free(ha.tpm, blob, len);
}

static void test_deterministic(void **state)
{
	uint8_t *b1, *b2;
	size_t l1, l2;

	(void)state;
	prepare(&b1, &l1);
	save(ha.tpm, &b2, &l2);
	assert_int_equal(l1, l2);
	assert_memory_equal(b1, b2, l1);
	tpm_state_free(ha.tpm, b2, l2);
	/* A different state gives a different blob. */
	ha.tpm->nv.reset_count++;
	save(ha.tpm, &b2, &l2);
	assert_int_equal(l1, l2);
	assert_memory_not_equal(b1, b2, l1);
	tpm_state_free(ha.tpm, b2, l2);
	tpm_state_free(ha.tpm, b1, l1);
}

static void test_loaded_context_runs(void **state)
{
	uint8_t *blob;
	size_t len;

	(void)state;
	/* A state made by commands: Startup, Shutdown(STATE). */
	assert_int_equal(tpm_host_startup(&ha, TPM_SU_CLEAR), 0);
	{
		uint8_t p[2] = { 0, TPM_SU_STATE };

		assert_int_equal(tpm_host_call(&ha, TPM_CC_Shutdown, NULL, 0, false, NULL, p, 2), 0);
	}
	assert_true(tpm_nv_dirty(ha.tpm));
	assert_int_equal(tpm_power_off(ha.tpm), 0);
	save(ha.tpm, &blob, &len);
	assert_false(tpm_nv_dirty(ha.tpm));

	/* Into a context that was never manufactured. */
	tpm_host_fini(&hb);
	memset(&hb, 0, sizeof(hb));
	hb.env = ha.env;
	hb.env.ctx = &hb;
	hb.det_state = 99;
	assert_int_equal(tpm_create(&hb.tpm, &hb.env), 0);
	assert_int_equal(tpm_power_on(hb.tpm), HUSK_ERR_INVAL); /* not manufactured */
	assert_int_equal(tpm_state_load(hb.tpm, blob, len), HUSK_OK);
	assert_int_equal(tpm_power_on(hb.tpm), 0);
	assert_int_equal(tpm_host_startup(&hb, TPM_SU_STATE), 0);
	assert_int_equal(tpm_host_call(&hb, TPM_CC_ReadClock, NULL, 0, false, NULL, NULL, 0), 0);
	assert_int_equal(hb.rsp[10 + 16 + 3], 1); /* resetCount: the Startup(CLEAR) in a */
	assert_int_equal(hb.rsp[10 + 20 + 3], 1); /* restartCount: this resume */
	tpm_state_free(ha.tpm, blob, len);
}

static void test_truncation(void **state)
{
	struct snapshot s;
	uint8_t *blob;
	size_t len;

	(void)state;
	prepare(&blob, &len);
	snap(hb.tpm, &s);
	for (size_t n = 0; n < len; n++) {
		uint8_t *copy = malloc(n ? n : 1);

		/* A copy of exactly n bytes, so ASan sees any read past it. */
		memcpy(copy, blob, n);
		assert_int_equal(tpm_state_load(hb.tpm, copy, n), HUSK_ERR_FORMAT);
		free(copy);
		assert_int_equal(tpm_memory_used(hb.tpm), s.mem);
	}
	/* Extra bytes at the end are refused too. */
	{
		uint8_t *longer = malloc(len + 1);

		memcpy(longer, blob, len);
		longer[len] = 0;
		assert_int_equal(tpm_state_load(hb.tpm, longer, len + 1), HUSK_ERR_FORMAT);
		free(longer);
	}
	assert_int_equal(tpm_state_load(hb.tpm, NULL, 0), HUSK_ERR_FORMAT);
	assert_unchanged(hb.tpm, &s);
	snap_free(hb.tpm, &s);
	tpm_state_free(ha.tpm, blob, len);
}

static void test_bit_flips(void **state)
{
	struct snapshot s;
	uint8_t *blob;
	size_t len;

	(void)state;
	prepare(&blob, &len);
	snap(hb.tpm, &s);
	for (size_t i = 0; i < len; i++) {
		for (unsigned bit = 0; bit < 8; bit++) {
			blob[i] ^= (uint8_t)(1u << bit);
			assert_int_equal(tpm_state_load(hb.tpm, blob, len), HUSK_ERR_FORMAT);
			blob[i] ^= (uint8_t)(1u << bit);
		}
	}
	assert_int_equal(tpm_memory_used(hb.tpm), s.mem);
	assert_unchanged(hb.tpm, &s);
	/* And the unflipped blob still loads. */
	assert_int_equal(tpm_state_load(hb.tpm, blob, len), HUSK_OK);
	snap_free(hb.tpm, &s);
	tpm_state_free(ha.tpm, blob, len);
}

static void test_version_and_tags(void **state)
{
	struct snapshot s;
	struct edit e;
	uint8_t *blob;
	size_t len;

	(void)state;
	prepare(&blob, &len);
	snap(hb.tpm, &s);
	edit_parse(&e, blob, len);
	/* The unedited rebuild loads: the editor itself is faithful. */
	assert_int_equal(edit_load(&e, hb.tpm), HUSK_OK);
	assert_same_nv(&ha.tpm->nv, &hb.tpm->nv);
	snap_free(hb.tpm, &s);
	assert_int_equal(tpm_state_load(hb.tpm, blob, len), HUSK_OK);
	snap(hb.tpm, &s);

	/* Versions 0 and 2 */
	tpm_put_be32(e.head + 8, 2);
	assert_int_equal(edit_load(&e, hb.tpm), HUSK_ERR_FORMAT);
	tpm_put_be32(e.head + 8, 0);
	assert_int_equal(edit_load(&e, hb.tpm), HUSK_ERR_FORMAT);
	tpm_put_be32(e.head + 8, 1);
	/* Magic */
	e.head[6] = 'N';
	assert_int_equal(edit_load(&e, hb.tpm), HUSK_ERR_FORMAT);
	e.head[6] = 'M';

	/* An unknown mandatory section */
	{
		struct sec x = { .tag = 0x0042, .len = 3, .body = { 1, 2, 3 } };

		edit_insert(&e, 2, &x);
		assert_int_equal(edit_load(&e, hb.tpm), HUSK_ERR_FORMAT);
		/* ... marked optional: skipped, even twice, even empty */
		e.secs[2].tag = 0x8042;
		x.tag = 0x8042;
		x.len = 0;
		edit_insert(&e, e.n, &x);
		assert_int_equal(edit_load(&e, hb.tpm), HUSK_OK);
		assert_same_nv(&ha.tpm->nv, &hb.tpm->nv);
		edit_remove(&e, 0x8042);
		edit_remove(&e, 0x8042);
		assert_unchanged(hb.tpm, &s);
	}
	/* A duplicate singleton section, each one in turn */
	for (uint16_t tag = 1; tag <= SINGLETONS; tag++) {
		struct sec x = *edit_find(&e, tag);

		edit_insert(&e, e.n, &x);
		assert_int_equal(edit_load(&e, hb.tpm), HUSK_ERR_FORMAT);
		e.n--;
	}
	/* A missing one, each in turn (sections in any order are fine) */
	for (uint16_t tag = 1; tag <= SINGLETONS; tag++) {
		struct sec x = *edit_find(&e, tag);

		edit_remove(&e, tag);
		assert_int_equal(edit_load(&e, hb.tpm), HUSK_ERR_FORMAT);
		edit_insert(&e, e.n, &x);
	}
	assert_int_equal(edit_load(&e, hb.tpm), HUSK_OK);
	snap_free(hb.tpm, &s);
	snap(hb.tpm, &s);
	/* Section lengths: one byte too long (padding), one too short */
	for (size_t i = 0; i < e.n; i++) {
		e.secs[i].body[e.secs[i].len] = 0;
		e.secs[i].len++;
		assert_int_equal(edit_load(&e, hb.tpm), HUSK_ERR_FORMAT);
		e.secs[i].len -= 2;
		assert_int_equal(edit_load(&e, hb.tpm), HUSK_ERR_FORMAT);
		e.secs[i].len++;
	}
	assert_unchanged(hb.tpm, &s);
	edit_free(&e);
	snap_free(hb.tpm, &s);
	tpm_state_free(ha.tpm, blob, len);
}

/* Loads the blob with one byte of section tag's body changed. */
static int load_poked(struct edit *e, uint16_t tag, size_t off, uint8_t v)
{
	struct sec *s = edit_find(e, tag);
	uint8_t old = s->body[off];
	int err;

	s->body[off] = v;
	err = edit_load(e, hb.tpm);
	s->body[off] = old;
	return err;
}

static void test_impossible_values(void **state)
{
	struct snapshot s;
	struct edit e;
	uint8_t *blob;
	size_t len;
	size_t first_nv;

	(void)state;
	prepare(&blob, &len);
	assert_int_equal(tpm_state_load(hb.tpm, blob, len), HUSK_OK);
	snap(hb.tpm, &s);
	edit_parse(&e, blob, len);

	/* Seed size, booleans, shutdown type, PCR banks, policy algorithms */
	assert_int_equal(load_poked(&e, 0x0001, 1, 32), HUSK_ERR_FORMAT);
	assert_int_equal(load_poked(&e, 0x0003, 16, 2), HUSK_ERR_FORMAT);     /* lockout_locked */
	assert_int_equal(load_poked(&e, 0x0003, 33, 2), HUSK_ERR_FORMAT);     /* da_used */
	assert_int_equal(load_poked(&e, 0x0004, 17, 0x05), HUSK_ERR_FORMAT);  /* shutdown 0x0005 */
	assert_int_equal(load_poked(&e, 0x0005, 3, 0x17), HUSK_ERR_FORMAT);   /* bank bit 4 */
	assert_int_equal(load_poked(&e, 0x0005, 7, 0x80), HUSK_ERR_FORMAT);
	assert_int_equal(load_poked(&e, 0x0006, 0, 7), HUSK_ERR_FORMAT);      /* valid = 7 */
	assert_int_equal(load_poked(&e, 0x0006, 8, 3), HUSK_ERR_FORMAT);      /* 3 banks */
	assert_int_equal(load_poked(&e, 0x0006, 10, 0x0d), HUSK_ERR_FORMAT);  /* bank alg SHA-512 twice */
	assert_int_equal(load_poked(&e, 0x0006, 10, 0x12), HUSK_ERR_FORMAT);  /* not a bank */
	assert_int_equal(load_poked(&e, 0x0006, 11, 23), HUSK_ERR_FORMAT);    /* 23 PCRs */
	/* owner: auth 2+10, policy 2+32, alg */
	assert_int_equal(load_poked(&e, 0x0002, 12 + 34 + 1, 0x99), HUSK_ERR_FORMAT);
	assert_int_equal(load_poked(&e, 0x0002, 0, 0x01), HUSK_ERR_FORMAT);   /* auth size 266 */
	assert_unchanged(hb.tpm, &s);

	/* NV indexes: handle type, duplicate, name algorithm, type, size,
	 * count, total, has_data flag */
	first_nv = (size_t)(edit_find(&e, 0x0010) - e.secs);
	assert_int_equal(load_poked(&e, 0x0010, 0, 0x02), HUSK_ERR_FORMAT);
	assert_int_equal(load_poked(&e, 0x0010, 0, 0x81), HUSK_ERR_FORMAT);
	assert_int_equal(load_poked(&e, 0x0010, 5, 0x10), HUSK_ERR_FORMAT);   /* nameAlg NULL */
	assert_int_equal(load_poked(&e, 0x0010, 9, 0x30), HUSK_ERR_FORMAT);   /* TPM_NT 3 */
	{
		struct sec x = nv_sec(0x01000001, 4); /* same handle as the first */

		edit_insert(&e, first_nv, &x);
		assert_int_equal(edit_load(&e, hb.tpm), HUSK_ERR_FORMAT);
		e.secs[first_nv] = nv_sec(0x01000099, TPM_NV_INDEX_MAX + 1);
		assert_int_equal(edit_load(&e, hb.tpm), HUSK_ERR_FORMAT);
		e.secs[first_nv] = nv_sec(0x01000099, TPM_NV_INDEX_MAX);
		e.secs[first_nv].body[e.secs[first_nv].len - TPM_NV_INDEX_MAX - 1] = 2;
		assert_int_equal(edit_load(&e, hb.tpm), HUSK_ERR_FORMAT); /* has_data 2 */
		e.secs[first_nv] = nv_sec(0x01000099, 0); /* "has data" but empty */
		assert_int_equal(edit_load(&e, hb.tpm), HUSK_ERR_FORMAT);
		e.secs[first_nv] = nv_sec(0x01000099, TPM_NV_INDEX_MAX);
		assert_int_equal(edit_load(&e, hb.tpm), HUSK_OK);
		assert_int_equal(hb.tpm->nv.nv_count, 5);
		edit_remove(&e, 0x0010); /* the inserted one: it comes first */
	}
	assert_int_equal(tpm_state_load(hb.tpm, blob, len), HUSK_OK);
	assert_unchanged(hb.tpm, &s);
	{
		/* 64 indexes in all is the limit; the state has 4. */
		struct edit big;

		edit_parse(&big, blob, len);
		for (uint32_t i = 0; i < TPM_MAX_NV_INDICES - 4; i++) {
			struct sec x = nv_sec(0x01400000 + i, 1);

			edit_insert(&big, first_nv, &x);
		}
		assert_int_equal(edit_load(&big, hb.tpm), HUSK_OK);
		assert_int_equal(hb.tpm->nv.nv_count, TPM_MAX_NV_INDICES);
		{
			struct sec x = nv_sec(0x01410000, 1);

			edit_insert(&big, first_nv, &x);
		}
		assert_int_equal(edit_load(&big, hb.tpm), HUSK_ERR_FORMAT);
		edit_free(&big);
		assert_int_equal(tpm_state_load(hb.tpm, blob, len), HUSK_OK);

		/* TPM_NV_TOTAL_MAX: the state has 2156 bytes; fill to the
		 * limit exactly, then one byte more. */
		edit_parse(&big, blob, len);
		{
			uint32_t left = TPM_NV_TOTAL_MAX - hb.tpm->nv.nv_bytes;
			uint32_t h = 0x01400000;

			while (left) {
				uint16_t n = left > TPM_NV_INDEX_MAX ? TPM_NV_INDEX_MAX : (uint16_t)left;
				struct sec x = nv_sec(h++, n);

				edit_insert(&big, first_nv, &x);
				left -= n;
			}
			assert_int_equal(edit_load(&big, hb.tpm), HUSK_OK);
			assert_int_equal(hb.tpm->nv.nv_bytes, TPM_NV_TOTAL_MAX);
			{
				struct sec x = nv_sec(h, 1);

				edit_insert(&big, first_nv, &x);
			}
			assert_int_equal(edit_load(&big, hb.tpm), HUSK_ERR_FORMAT);
		}
		edit_free(&big);
		assert_int_equal(tpm_state_load(hb.tpm, blob, len), HUSK_OK);
	}
	assert_unchanged(hb.tpm, &s);

	/* Persistent objects: handle type, hierarchy, flags, public type,
	 * sensitive type, duplicates, count */
	assert_int_equal(load_poked(&e, 0x0011, 0, 0x80), HUSK_ERR_FORMAT);
	assert_int_equal(load_poked(&e, 0x0011, 7, 0x07), HUSK_ERR_FORMAT);   /* TPM_RH_NULL */
	assert_int_equal(load_poked(&e, 0x0011, 8, 0x09), HUSK_ERR_FORMAT);   /* flag 8 */
	assert_int_equal(load_poked(&e, 0x0011, 12, 0x25), HUSK_ERR_FORMAT);  /* public type */
	{
		struct sec *o = edit_find(&e, 0x0011);
		size_t pub = tpm_be16(o->body + 9);

		/* sensitive: u16 size, then its type: RSA instead of ECC */
		assert_int_equal(load_poked(&e, 0x0011, 9 + 2 + pub + 3, 0x01), HUSK_ERR_FORMAT);
		/* sensitive size one more than its content */
		assert_int_equal(load_poked(&e, 0x0011, 9 + 2 + pub + 1, o->body[9 + 2 + pub + 1] + 1),
				 HUSK_ERR_FORMAT);
	}
	{
		struct sec x = *edit_find(&e, 0x0011);
		size_t at = (size_t)(edit_find(&e, 0x0011) - e.secs);

		edit_insert(&e, at, &x);
		assert_int_equal(edit_load(&e, hb.tpm), HUSK_ERR_FORMAT); /* duplicate handle */
		for (uint32_t i = 0; i < TPM_MAX_PERSISTENT - 3; i++) {
			e.secs[at].body[3] = (uint8_t)(0x40 + i);
			if (i + 1 < TPM_MAX_PERSISTENT - 3)
				edit_insert(&e, at, &e.secs[at]);
		}
		assert_int_equal(edit_load(&e, hb.tpm), HUSK_OK);
		assert_int_equal(hb.tpm->nv.persistent_count, TPM_MAX_PERSISTENT);
		x.body[3] = 0x7f;
		edit_insert(&e, at, &x);
		assert_int_equal(edit_load(&e, hb.tpm), HUSK_ERR_FORMAT);
	}
	assert_int_equal(tpm_state_load(hb.tpm, blob, len), HUSK_OK);
	assert_unchanged(hb.tpm, &s);
	edit_free(&e);
	snap_free(hb.tpm, &s);
	tpm_state_free(ha.tpm, blob, len);
}

static void test_load_while_powered(void **state)
{
	struct snapshot s;
	uint8_t *blob;
	size_t len;

	(void)state;
	prepare(&blob, &len);
	assert_int_equal(tpm_power_on(hb.tpm), 0);
	snap(hb.tpm, &s);
	assert_int_equal(tpm_state_load(hb.tpm, blob, len), HUSK_ERR_BUSY);
	assert_unchanged(hb.tpm, &s);
	/* Saving while powered is fine. */
	assert_int_equal(tpm_host_startup(&hb, TPM_SU_CLEAR), 0);
	snap_free(hb.tpm, &s);
	snap(hb.tpm, &s);
	snap_free(hb.tpm, &s);
	assert_int_equal(tpm_state_save(hb.tpm, NULL, &len), HUSK_ERR_INVAL);
	assert_int_equal(tpm_state_load(NULL, blob, len), HUSK_ERR_INVAL);
	tpm_state_free(ha.tpm, blob, len);
}

/* A load that fails after allocating (NV indexes parsed, then a bad
 * persistent object) frees everything and changes nothing. */
static void test_failed_load_intact(void **state)
{
	struct snapshot s;
	struct edit e;
	uint8_t *blob;
	size_t len;

	(void)state;
	prepare(&blob, &len);
	/* b has NV data of its own, which a failed load must keep. */
	add_nv(hb.tpm, 0x01000777, TPMA_NV_AUTHWRITE, 300, true);
	snap(hb.tpm, &s);
	edit_parse(&e, blob, len);
	{
		struct sec *o = &e.secs[e.n - 1];

		assert_int_equal(o->tag, 0x0011);
		o->body[7] = 0x07; /* hierarchy NULL, in the last section */
	}
	assert_int_equal(edit_load(&e, hb.tpm), HUSK_ERR_FORMAT);
	assert_unchanged(hb.tpm, &s);
	assert_int_equal(hb.tpm->nv.nv_count, 1);
	assert_int_equal(hb.tpm->nv.nv[0].data[299], (uint8_t)(0x777 * 3 + 299 * 7));
	edit_free(&e);
	snap_free(hb.tpm, &s);
	/* A good load replaces b's NV data (ASan: the old buffer is freed). */
	assert_int_equal(tpm_state_load(hb.tpm, blob, len), HUSK_OK);
	assert_int_equal(hb.tpm->nv.nv_count, 4);
	tpm_state_free(ha.tpm, blob, len);
}

/* Allocation failures at every step of a load: NOMEM, nothing changed. */
static int fail_after = -1;

static void *failing_calloc(void *ctx, size_t n, size_t size)
{
	(void)ctx;
	if (fail_after == 0)
		return NULL;
	if (fail_after > 0)
		fail_after--;
	return calloc(n, size);
}

static void test_allocation_failure(void **state)
{
	struct snapshot s;
	uint8_t *blob;
	size_t len;
	int err;

	(void)state;
	prepare(&blob, &len);
	snap(hb.tpm, &s);
	hb.tpm->env.calloc = failing_calloc;
	for (int k = 0;; k++) {
		fail_after = k;
		err = tpm_state_load(hb.tpm, blob, len);
		if (err == HUSK_OK)
			break;
		assert_int_equal(err, HUSK_ERR_NOMEM);
		fail_after = -1;
		assert_unchanged(hb.tpm, &s);
		assert_true(k < 100);
	}
	fail_after = -1;
	assert_same_nv(&ha.tpm->nv, &hb.tpm->nv);
	/* Saving: NOMEM as well, and no blob. */
	for (int k = 0; k < 2; k++) {
		uint8_t *b = NULL;
		size_t l = 0;

		fail_after = k;
		assert_int_equal(tpm_state_save(hb.tpm, &b, &l), HUSK_ERR_NOMEM);
		assert_null(b);
	}
	fail_after = -1;
	snap_free(hb.tpm, &s);
	tpm_state_free(ha.tpm, blob, len);
}

/* tpm_state_save refuses a state its format (and so tpm_state_load) cannot
 * hold, instead of writing a blob that would be lost at the next boot. */
static void test_save_refuses_bad_state(void **state)
{
	uint8_t *blob = NULL;
	size_t len = 0, mem;
	struct tpm *t = ha.tpm;

	(void)state;
	populate(t);
	mem = tpm_memory_used(t);
	t->nv.shutdown_type = 7;
	assert_int_equal(tpm_state_save(t, &blob, &len), HUSK_ERR_INVAL);
	t->nv.shutdown_type = TPM_SU_CLEAR;
	t->nv.persistent[0].kind = TPM_OBJ_HASH_SEQ;
	assert_int_equal(tpm_state_save(t, &blob, &len), HUSK_ERR_INVAL);
	t->nv.persistent[0].kind = TPM_OBJ_KEY;
	t->nv.persistent[1].handle = 0x81000001; /* duplicate */
	assert_int_equal(tpm_state_save(t, &blob, &len), HUSK_ERR_INVAL);
	t->nv.persistent[1].handle = 0x81010001;
	t->nv.nv[0].handle = 0x02000000;
	assert_int_equal(tpm_state_save(t, &blob, &len), HUSK_ERR_INVAL);
	t->nv.nv[0].handle = 0x01000001;
	assert_null(blob);
	assert_int_equal(tpm_memory_used(t), mem);
	save(t, &blob, &len);
	tpm_state_free(t, blob, len);
	assert_int_equal(tpm_memory_used(t), mem);
	/* Nothing to save before manufacture. */
	{
		struct tpm *fresh;

		assert_int_equal(tpm_create(&fresh, &ha.env), 0);
		assert_int_equal(tpm_state_save(fresh, &blob, &len), HUSK_ERR_INVAL);
		tpm_destroy(fresh);
	}
}

static void test_nv_dirty(void **state)
{
	uint8_t *blob;
	size_t len;

	(void)state;
	assert_true(tpm_nv_dirty(ha.tpm)); /* manufactured */
	save(ha.tpm, &blob, &len);
	assert_false(tpm_nv_dirty(ha.tpm));
	tpm_state_free(ha.tpm, blob, len);
	assert_int_equal(tpm_host_startup(&ha, TPM_SU_CLEAR), 0);
	assert_true(tpm_nv_dirty(ha.tpm));
	save(ha.tpm, &blob, &len);
	assert_false(tpm_nv_dirty(ha.tpm));
	assert_int_equal(tpm_power_off(hb.tpm), 0);
	hb.tpm->nv_dirty = true;
	assert_int_equal(tpm_state_load(hb.tpm, blob, len), 0);
	assert_false(tpm_nv_dirty(hb.tpm));
	tpm_state_free(ha.tpm, blob, len);
}

/* ---- a state made by real commands ---- */

static void ecc_sign_template(struct tpm_w *w)
{
	size_t at = tpm_w_reserve(w, 2);

	tpm_w_u16(w, TPM_ALG_ECC);
	tpm_w_u16(w, TPM_ALG_SHA256);
	tpm_w_u32(w, TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN |
			     TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_SIGN_ENCRYPT);
	tpm_w_u16(w, 0);             /* authPolicy */
	tpm_w_u16(w, TPM_ALG_NULL);  /* symmetric */
	tpm_w_u16(w, TPM_ALG_ECDSA);
	tpm_w_u16(w, TPM_ALG_SHA256);
	tpm_w_u16(w, TPM_ECC_NIST_P256);
	tpm_w_u16(w, TPM_ALG_NULL);  /* kdf */
	tpm_w_u16(w, 0);             /* unique.x */
	tpm_w_u16(w, 0);             /* unique.y */
	tpm_w_patch_u16(w, at, (uint16_t)(w->pos - at - 2));
}

/* Response parameters of a command sent with a session. */
static const uint8_t *rsp_params(struct tpm_host *h, size_t *n)
{
	assert_true(h->rsp_len >= 14);
	*n = tpm_be32(h->rsp + 10);
	assert_true(*n <= h->rsp_len - 14);
	return h->rsp + 14;
}

/* Keys, NV data and auths made with commands survive save and load into
 * another context: the persistent key signs and verifies there. */
static void test_command_state_round_trip(void **state)
{
	static const uint8_t digest[32] = { 1, 2, 3, 4, 5 };
	uint8_t p[512], sig[256], pub[1024];
	size_t sig_len, pub_len, n;
	uint32_t h[2], key;
	uint8_t *blob;
	size_t len;
	struct tpm_w w;

	(void)state;
	assert_int_equal(tpm_host_startup(&ha, TPM_SU_CLEAR), 0);
	/* CreatePrimary ECC P-256 signing key, made persistent */
	tpm_w_init(&w, p, sizeof(p));
	tpm_w_u16(&w, 4);
	tpm_w_u16(&w, 0);
	tpm_w_u16(&w, 0);
	ecc_sign_template(&w);
	tpm_w_u16(&w, 0);
	tpm_w_u32(&w, 0);
	h[0] = TPM_RH_OWNER;
	assert_int_equal(tpm_host_call(&ha, TPM_CC_CreatePrimary, h, 1, true, "", p, w.pos), 0);
	key = tpm_be32(ha.rsp + 10);
	h[1] = key;
	tpm_put_be32(p, 0x81000001);
	assert_int_equal(tpm_host_call(&ha, TPM_CC_EvictControl, h, 2, true, "", p, 4), 0);
	/* An NV index with data */
	tpm_w_init(&w, p, sizeof(p));
	tpm_w_2b(&w, "nvpw", 4);
	tpm_w_u16(&w, 4 + 2 + 4 + 2 + 2);
	tpm_w_u32(&w, 0x01000001);
	tpm_w_u16(&w, TPM_ALG_SHA256);
	tpm_w_u32(&w, TPMA_NV_AUTHWRITE | TPMA_NV_AUTHREAD | TPMA_NV_NO_DA);
	tpm_w_u16(&w, 0);
	tpm_w_u16(&w, 16);
	assert_int_equal(tpm_host_call(&ha, TPM_CC_NV_DefineSpace, h, 1, true, "", p, w.pos), 0);
	h[0] = h[1] = 0x01000001;
	tpm_w_init(&w, p, sizeof(p));
	tpm_w_2b(&w, "sixteen bytes!!!", 16);
	tpm_w_u16(&w, 0);
	assert_int_equal(tpm_host_call(&ha, TPM_CC_NV_Write, h, 2, true, "nvpw", p, w.pos), 0);
	/* The owner's auth */
	h[0] = TPM_RH_OWNER;
	tpm_w_init(&w, p, sizeof(p));
	tpm_w_2b(&w, "ownerpw", 7);
	assert_int_equal(tpm_host_call(&ha, TPM_CC_HierarchyChangeAuth, h, 1, true, "", p, w.pos), 0);
	/* A signature and the public area, to compare after the reload */
	h[0] = 0x81000001;
	tpm_w_init(&w, p, sizeof(p));
	tpm_w_2b(&w, digest, sizeof(digest));
	tpm_w_u16(&w, TPM_ALG_ECDSA);
	tpm_w_u16(&w, TPM_ALG_SHA256);
	tpm_w_u16(&w, TPM_ST_HASHCHECK);
	tpm_w_u32(&w, TPM_RH_NULL);
	tpm_w_u16(&w, 0);
	assert_int_equal(tpm_host_call(&ha, TPM_CC_Sign, h, 1, true, "", p, w.pos), 0);
	{
		const uint8_t *s = rsp_params(&ha, &sig_len);

		assert_true(sig_len <= sizeof(sig));
		memcpy(sig, s, sig_len);
	}
	assert_int_equal(tpm_host_call(&ha, TPM_CC_ReadPublic, h, 1, false, NULL, NULL, 0), 0);
	pub_len = ha.rsp_len;
	memcpy(pub, ha.rsp, pub_len);
	tpm_put_be16(p, TPM_SU_CLEAR);
	assert_int_equal(tpm_host_call(&ha, TPM_CC_Shutdown, NULL, 0, false, NULL, p, 2), 0);
	assert_int_equal(tpm_power_off(ha.tpm), 0);
	save(ha.tpm, &blob, &len);

	assert_int_equal(tpm_power_off(hb.tpm), 0);
	assert_int_equal(tpm_state_load(hb.tpm, blob, len), 0);
	assert_same_nv(&ha.tpm->nv, &hb.tpm->nv);
	assert_int_equal(tpm_power_on(hb.tpm), 0);
	assert_int_equal(tpm_host_startup(&hb, TPM_SU_CLEAR), 0);
	/* The same public area and Name */
	assert_int_equal(tpm_host_call(&hb, TPM_CC_ReadPublic, h, 1, false, NULL, NULL, 0), 0);
	assert_int_equal(hb.rsp_len, pub_len);
	assert_memory_equal(hb.rsp, pub, pub_len);
	/* a's signature verifies with b's copy of the key, and b can sign */
	tpm_w_init(&w, p, sizeof(p));
	tpm_w_2b(&w, digest, sizeof(digest));
	tpm_w_bytes(&w, sig, sig_len);
	assert_int_equal(tpm_host_call(&hb, TPM_CC_VerifySignature, h, 1, false, NULL, p, w.pos), 0);
	p[2 + sizeof(digest) - 1] ^= 1; /* a different digest does not verify */
	assert_int_not_equal(tpm_host_call(&hb, TPM_CC_VerifySignature, h, 1, false, NULL, p, w.pos), 0);
	tpm_w_init(&w, p, sizeof(p));
	tpm_w_2b(&w, digest, sizeof(digest));
	tpm_w_u16(&w, TPM_ALG_ECDSA);
	tpm_w_u16(&w, TPM_ALG_SHA256);
	tpm_w_u16(&w, TPM_ST_HASHCHECK);
	tpm_w_u32(&w, TPM_RH_NULL);
	tpm_w_u16(&w, 0);
	assert_int_equal(tpm_host_call(&hb, TPM_CC_Sign, h, 1, true, "", p, w.pos), 0);
	/* NV data */
	h[0] = h[1] = 0x01000001;
	tpm_put_be16(p, 16);
	tpm_put_be16(p + 2, 0);
	assert_int_equal(tpm_host_call(&hb, TPM_CC_NV_Read, h, 2, true, "nvpw", p, 4), 0);
	{
		const uint8_t *d = rsp_params(&hb, &n);

		assert_int_equal(n, 2 + 16);
		assert_memory_equal(d + 2, "sixteen bytes!!!", 16);
	}
	/* The owner's new auth, and only it */
	h[0] = TPM_RH_OWNER;
	tpm_w_init(&w, p, sizeof(p));
	tpm_w_2b(&w, "again", 5);
	assert_int_not_equal(tpm_host_call(&hb, TPM_CC_HierarchyChangeAuth, h, 1, true, "", p, w.pos), 0);
	assert_int_equal(tpm_host_call(&hb, TPM_CC_HierarchyChangeAuth, h, 1, true, "ownerpw", p, w.pos), 0);
	tpm_state_free(ha.tpm, blob, len);
}

/* Tripwire: a field added to the NV state must be added to the blob.
 * If this fails, teach lib/tpm/tpm_state.c (writer, reader, and
 * assert_same_nv above) the new field, then update the numbers. */
static void test_layout_tripwire(void **state)
{
	size_t scalars = sizeof(struct tpm_persistent) -
			 sizeof(((struct tpm_persistent *)0)->nv) -
			 sizeof(((struct tpm_persistent *)0)->persistent);

	(void)state;
	assert_int_equal(scalars, 7288);
	/* 160 bytes of state, then the Name cache (not state, not saved). */
	assert_int_equal(offsetof(struct tpm_nv_index, name_cached), 160);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deterministic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_loaded_context_runs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bit_flips, setup, teardown),
		cmocka_unit_test_setup_teardown(test_version_and_tags, setup, teardown),
		cmocka_unit_test_setup_teardown(test_impossible_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_while_powered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_load_intact, setup, teardown),
		cmocka_unit_test_setup_teardown(test_allocation_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_save_refuses_bad_state, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nv_dirty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_command_state_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_layout_tripwire, setup, teardown),
	};
	return cmocka_run_group_tests_name("tpm_state", tests, NULL, NULL);
}
