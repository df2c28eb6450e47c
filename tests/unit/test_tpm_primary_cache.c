/* Unit tests of the TPM engine's cache of derived primary keys
 * (lib/tpm/tpm_primary_cache.c): a repeated CreatePrimary / CreateLoaded
 * returns exactly what a full derivation returns (the response, the object,
 * its Name and its private part, and a key that signs and protects children
 * alike); any change of a seed (Clear, the NULL seed at Startup, a state
 * load, manufacture, even a seed changed behind the cache's back) gives a
 * different key; the cache is bounded, least recently used first, counted
 * in tpm_memory_used, wiped when an entry goes, and not part of the NV
 * state. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../common/tpm_host.h"
#include "../common/tpmcmd.h"
#include "husk/err.h"
#include "tpm/tpm_internal.h"
#include "tpm/tpm_keys.h"

#define A_BASE                                                                                          \
	(TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN |             \
	 TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_NODA)
#define A_STORAGE (A_BASE | TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT)
#define A_SIGNING (A_BASE | TPMA_OBJECT_SIGN_ENCRYPT)

static struct tpm_host host;

static int setup(void **state)
{
	(void)state;
	if (tpm_host_init(&host, 0x7072696d)) /* "prim" */
		return -1;
	host.use_fake_clock = true;
	host.fake_ms = 1000;
	return tpm_host_startup(&host, TPM_SU_CLEAR) ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	tpm_host_fini(&host);
	return 0;
}

/* ---- templates and commands ---- */

/* RSA-1024: the smallest key husk makes, the same code path as RSA-2048. */
static void tmpl_rsa(struct tpm_public *p, uint32_t attrs)
{
	memset(p, 0, sizeof(*p));
	p->type = TPM_ALG_RSA;
	p->name_alg = TPM_ALG_SHA256;
	p->attributes = attrs;
	p->symmetric.alg = TPM_ALG_NULL;
	p->scheme.alg = TPM_ALG_NULL;
	if (attrs & TPMA_OBJECT_RESTRICTED)
		p->symmetric = (struct tpm_sym_def){ TPM_ALG_AES, 128, TPM_ALG_CFB };
	else
		p->scheme = (struct tpm_scheme){ TPM_ALG_RSASSA, TPM_ALG_SHA256, 0, 0 };
	p->rsa_bits = 1024;
}

static void tmpl_ecc(struct tpm_public *p)
{
	memset(p, 0, sizeof(*p));
	p->type = TPM_ALG_ECC;
	p->name_alg = TPM_ALG_SHA256;
	p->attributes = A_STORAGE;
	p->symmetric = (struct tpm_sym_def){ TPM_ALG_AES, 128, TPM_ALG_CFB };
	p->scheme.alg = TPM_ALG_NULL;
	p->curve = TPM_ECC_NIST_P256;
	p->kdf.alg = TPM_ALG_NULL;
}

/* A template whose unique field is the one byte u: another key for each u. */
static void tmpl_rsa_unique(struct tpm_public *p, uint8_t u)
{
	tmpl_rsa(p, A_SIGNING);
	p->rsa_n.size = 1;
	p->rsa_n.b[0] = u;
}

/* inSensitive: userAuth and data. */
static void w_sensitive_create(struct tpm_w *w, const char *auth, const void *data, uint16_t dlen)
{
	uint16_t alen = (uint16_t)strlen(auth);

	tpm_w_u16(w, (uint16_t)(4 + alen + dlen));
	tpm_w_2b(w, auth, alen);
	tpm_w_2b(w, data, dlen);
}

/* CreatePrimary on h, or cc (CreateLoaded, Create) under parent; the
 * response stays in h->rsp.  Returns the response code. */
static uint32_t create_cc(struct tpm_host *h, uint32_t cc, uint32_t parent, const struct tpm_public *tmpl,
			  const char *auth, const void *data, uint16_t dlen, uint32_t *handle)
{
	bool loaded = cc == TPM_CC_CreateLoaded;
	uint8_t params[TPM_BUFFER_MAX];
	struct tpm_w w;
	uint32_t rc;

	tpm_w_init(&w, params, sizeof(params));
	w_sensitive_create(&w, auth, data, dlen);
	tpm_w_2b_public(&w, tmpl);
	if (!loaded) {
		tpm_w_u16(&w, 0); /* outsideInfo */
		tpm_w_u32(&w, 0); /* creationPCR */
	}
	assert_true(tpm_w_ok(&w));
	rc = tpm_host_call(h, cc, &parent, 1, true, NULL, params, w.pos);
	if (handle)
		*handle = rc || cc == TPM_CC_Create ? 0 : rsp_handle(h->rsp, h->rsp_len);
	return rc;
}

static uint32_t create_on(struct tpm_host *h, bool loaded, uint32_t hierarchy, const struct tpm_public *tmpl,
			  const char *auth, const void *data, uint16_t dlen, uint32_t *handle)
{
	return create_cc(h, loaded ? TPM_CC_CreateLoaded : TPM_CC_CreatePrimary, hierarchy, tmpl, auth, data,
			 dlen, handle);
}

static uint32_t create(uint32_t hierarchy, const struct tpm_public *tmpl, const void *data, uint16_t dlen)
{
	uint32_t handle;

	assert_int_equal(create_on(&host, false, hierarchy, tmpl, "", data, dlen, &handle), TPM_RC_SUCCESS);
	return handle;
}

static void flush_on(struct tpm_host *h, uint32_t handle)
{
	uint8_t p[4];

	tpm_put_be32(p, handle);
	assert_int_equal(tpm_host_call(h, TPM_CC_FlushContext, NULL, 0, false, NULL, p, 4), TPM_RC_SUCCESS);
}

/* ---- what an object is, byte for byte ---- */

struct snap {
	uint8_t rsp[TPM_BUFFER_MAX]; /* the CreatePrimary response */
	size_t rsp_len;
	uint8_t pub[1024], sens[1024];
	size_t pub_len, sens_len;
	struct tpm2b_name name, qn;
	uint32_t hierarchy;
	bool primary, has_sensitive;
};

static void snap_object(struct tpm_host *h, uint32_t handle, struct snap *s)
{
	struct tpm_object *o = tpm_object_find(h->tpm, handle);
	struct tpm_w w;

	assert_non_null(o);
	memset(s, 0, sizeof(*s));
	memcpy(s->rsp, h->rsp, h->rsp_len);
	s->rsp_len = h->rsp_len;
	tpm_w_init(&w, s->pub, sizeof(s->pub));
	tpm_w_public(&w, &o->pub);
	assert_true(tpm_w_ok(&w));
	s->pub_len = w.pos;
	tpm_w_init(&w, s->sens, sizeof(s->sens));
	tpm_w_sensitive(&w, &o->sens);
	assert_true(tpm_w_ok(&w));
	s->sens_len = w.pos;
	s->name = o->name;
	s->qn = o->qualified_name;
	s->hierarchy = o->hierarchy;
	s->primary = o->primary;
	s->has_sensitive = o->has_sensitive;
}

static void assert_same_object(const struct snap *a, const struct snap *b)
{
	assert_int_equal(a->pub_len, b->pub_len);
	assert_memory_equal(a->pub, b->pub, a->pub_len);
	assert_int_equal(a->sens_len, b->sens_len);
	assert_memory_equal(a->sens, b->sens, a->sens_len);
	assert_int_equal(a->name.size, b->name.size);
	assert_memory_equal(a->name.b, b->name.b, a->name.size);
	assert_int_equal(a->qn.size, b->qn.size);
	assert_memory_equal(a->qn.b, b->qn.b, a->qn.size);
	assert_int_equal(a->hierarchy, b->hierarchy);
	assert_int_equal(a->primary, b->primary);
	assert_int_equal(a->has_sensitive, b->has_sensitive);
}

/* The whole response too: outPublic, creation data, hash and ticket, Name. */
static void assert_same_response(const struct snap *a, const struct snap *b)
{
	assert_int_equal(a->rsp_len, b->rsp_len);
	assert_memory_equal(a->rsp, b->rsp, a->rsp_len);
}

/* The modulus a primary got. */
static void modulus(uint32_t handle, struct tpm2b_rsa *n)
{
	struct tpm_object *o = tpm_object_find(host.tpm, handle);

	assert_non_null(o);
	*n = o->pub.rsa_n;
}

static bool same_modulus(const struct tpm2b_rsa *a, const struct tpm2b_rsa *b)
{
	return a->size == b->size && memcmp(a->b, b->b, a->size) == 0;
}

/* Creates, records and flushes a primary; the modulus in *n if n. */
static void create_flush(uint32_t hierarchy, const struct tpm_public *tmpl, struct tpm2b_rsa *n)
{
	uint32_t h = create(hierarchy, tmpl, NULL, 0);

	if (n)
		modulus(h, n);
	flush_on(&host, h);
}

/* A second context with this one's NV state (an empty cache). */
static void clone_host(struct tpm_host *other)
{
	uint8_t *blob;
	size_t len;

	assert_int_equal(tpm_state_save(host.tpm, &blob, &len), HUSK_OK);
	assert_int_equal(tpm_host_init(other, 0x6f74686572), 0);
	other->use_fake_clock = true;
	other->fake_ms = host.fake_ms;
	assert_int_equal(tpm_power_off(other->tpm), 0);
	assert_int_equal(tpm_state_load(other->tpm, blob, len), HUSK_OK);
	tpm_state_free(host.tpm, blob, len);
	assert_int_equal(tpm_power_on(other->tpm), 0);
	assert_int_equal(tpm_host_startup(other, TPM_SU_CLEAR), 0);
}

/* ---- a repeated primary is the same primary ---- */

static void test_same_primary_twice(void **state)
{
	struct tpm_public tmpl;
	struct snap first, again;
	uint32_t h;
	uint64_t hits = host.tpm->primary_cache_hits;

	(void)state;
	tmpl_rsa(&tmpl, A_STORAGE);
	h = create(TPM_RH_OWNER, &tmpl, NULL, 0);
	snap_object(&host, h, &first);
	assert_int_equal(host.tpm->primary_cache_hits, hits); /* derived */
	assert_int_equal(tpm_primary_cache_count(host.tpm), 1);
	/* a storage key: seedValue and the prime */
	assert_int_equal(tpm_object_find(host.tpm, h)->sens.seed.size, 32);
	assert_int_equal(tpm_object_find(host.tpm, h)->sens.secret.size, 64);
	flush_on(&host, h);

	h = create(TPM_RH_OWNER, &tmpl, NULL, 0);
	assert_int_equal(host.tpm->primary_cache_hits, hits + 1); /* from the cache */
	assert_int_equal(tpm_primary_cache_count(host.tpm), 1);
	snap_object(&host, h, &again);
	assert_same_object(&first, &again);
	assert_same_response(&first, &again);
	/* The parsed key is made on first use, from the cached prime. */
	assert_null(tpm_object_find(host.tpm, h)->key);
	flush_on(&host, h);

	/* The same object in a context that derives it afresh. */
	{
		struct tpm_host other;

		clone_host(&other);
		assert_int_equal(create_on(&other, false, TPM_RH_OWNER, &tmpl, "", NULL, 0, &h), 0);
		assert_int_equal(other.tpm->primary_cache_hits, 0);
		snap_object(&other, h, &again);
		assert_same_object(&first, &again);
		tpm_host_fini(&other);
	}
}

/* The cached key does what the derived one does: signs alike (RSASSA is
 * deterministic), and a storage key protects children alike. */
static void test_cached_key_works(void **state)
{
	struct tpm_public sign_tmpl, st_tmpl, child_tmpl;
	struct tpm_scheme scheme = { TPM_ALG_RSASSA, TPM_ALG_SHA256, 0, 0 };
	struct tpm_signature sig_derived, sig_cached;
	uint8_t digest[32];
	struct tpm_host other;
	uint32_t h, st_host, st_other;
	uint8_t child[TPM_BUFFER_MAX];
	size_t child_len;

	(void)state;
	memset(digest, 0x3c, sizeof(digest));
	clone_host(&other);
	tmpl_rsa(&sign_tmpl, A_SIGNING);
	/* derived in other, cached in host (the second creation) */
	assert_int_equal(create_on(&other, false, TPM_RH_OWNER, &sign_tmpl, "", NULL, 0, &h), 0);
	assert_int_equal(tpm_key_sign(other.tpm, tpm_object_find(other.tpm, h), &scheme, digest, 32, &sig_derived),
			 0);
	flush_on(&host, create(TPM_RH_OWNER, &sign_tmpl, NULL, 0));
	h = create(TPM_RH_OWNER, &sign_tmpl, NULL, 0);
	assert_int_equal(host.tpm->primary_cache_hits, 1);
	assert_int_equal(tpm_key_sign(host.tpm, tpm_object_find(host.tpm, h), &scheme, digest, 32, &sig_cached), 0);
	assert_int_equal(sig_derived.rsa.size, 128);
	assert_int_equal(sig_cached.rsa.size, sig_derived.rsa.size);
	assert_memory_equal(sig_cached.rsa.b, sig_derived.rsa.b, sig_derived.rsa.size);
	assert_int_equal(tpm_key_verify(host.tpm, tpm_object_find(host.tpm, h), digest, 32, &sig_derived), 0);
	flush_on(&host, h);

	/* A child made under the cached storage key loads under the derived
	 * one: same seedValue, same Name. */
	tmpl_rsa(&st_tmpl, A_STORAGE);
	flush_on(&host, create(TPM_RH_OWNER, &st_tmpl, NULL, 0));
	st_host = create(TPM_RH_OWNER, &st_tmpl, NULL, 0);
	assert_int_equal(host.tpm->primary_cache_hits, 2);
	assert_int_equal(create_on(&other, false, TPM_RH_OWNER, &st_tmpl, "", NULL, 0, &st_other), 0);
	tmpl_ecc(&child_tmpl);
	child_tmpl.attributes = A_SIGNING;
	child_tmpl.symmetric.alg = TPM_ALG_NULL;
	child_tmpl.scheme = (struct tpm_scheme){ TPM_ALG_ECDSA, TPM_ALG_SHA256, 0, 0 };
	assert_int_equal(create_cc(&host, TPM_CC_Create, st_host, &child_tmpl, "", NULL, 0, NULL), 0);
	{
		struct view v;
		size_t priv, pub;

		assert_true(rsp_params(host.rsp, host.rsp_len, false, &v));
		priv = 2u + tpm_be16(v.p);
		pub = 2u + tpm_be16(v.p + priv);
		child_len = priv + pub;
		memcpy(child, v.p, child_len);
	}
	assert_int_equal(tpm_host_call(&other, TPM_CC_Load, &st_other, 1, true, NULL, child, child_len), 0);
	tpm_host_fini(&other);
	flush_on(&host, st_host);
}

/* What feeds the derivation picks the entry; what does not, does not. */
static void test_what_selects_the_entry(void **state)
{
	struct tpm_public tmpl;
	struct tpm2b_rsa a, b;
	uint32_t h;

	(void)state;
	tmpl_rsa(&tmpl, A_SIGNING);
	create_flush(TPM_RH_OWNER, &tmpl, &a);
	/* Another authValue: the same key, from the cache. */
	assert_int_equal(create_on(&host, false, TPM_RH_OWNER, &tmpl, "secret", NULL, 0, &h), 0);
	modulus(h, &b);
	flush_on(&host, h);
	assert_true(same_modulus(&a, &b));
	assert_int_equal(host.tpm->primary_cache_hits, 1);
	/* CreateLoaded with the hierarchy as parent: the same derivation. */
	assert_int_equal(create_on(&host, true, TPM_RH_OWNER, &tmpl, "", NULL, 0, &h), 0);
	modulus(h, &b);
	flush_on(&host, h);
	assert_true(same_modulus(&a, &b));
	assert_int_equal(host.tpm->primary_cache_hits, 2);
	/* Sensitive data feeds the derivation: another key, twice the same. */
	h = create(TPM_RH_OWNER, &tmpl, "data", 4);
	modulus(h, &b);
	flush_on(&host, h);
	assert_false(same_modulus(&a, &b));
	assert_int_equal(host.tpm->primary_cache_hits, 2);
	h = create(TPM_RH_OWNER, &tmpl, "data", 4);
	modulus(h, &a);
	flush_on(&host, h);
	assert_true(same_modulus(&a, &b));
	assert_int_equal(host.tpm->primary_cache_hits, 3);
	/* Another hierarchy, another key. */
	create_flush(TPM_RH_ENDORSEMENT, &tmpl, &b);
	assert_false(same_modulus(&a, &b));
	assert_int_equal(host.tpm->primary_cache_hits, 3);
	/* Another attribute, another key. */
	tmpl.attributes &= ~TPMA_OBJECT_NODA;
	create_flush(TPM_RH_OWNER, &tmpl, &b);
	assert_false(same_modulus(&a, &b));
	assert_int_equal(host.tpm->primary_cache_hits, 3);
	assert_int_equal(tpm_primary_cache_count(host.tpm), 4);
}

/* ECC, keyed-hash and symmetric primaries are cheap: not cached. */
static void test_only_rsa(void **state)
{
	struct tpm_public tmpl;

	(void)state;
	tmpl_ecc(&tmpl);
	create_flush(TPM_RH_OWNER, &tmpl, NULL);
	create_flush(TPM_RH_OWNER, &tmpl, NULL);
	memset(&tmpl, 0, sizeof(tmpl));
	tmpl.type = TPM_ALG_KEYEDHASH;
	tmpl.name_alg = TPM_ALG_SHA256;
	tmpl.attributes = A_BASE | TPMA_OBJECT_SIGN_ENCRYPT;
	tmpl.scheme = (struct tpm_scheme){ TPM_ALG_HMAC, TPM_ALG_SHA256, 0, 0 };
	create_flush(TPM_RH_OWNER, &tmpl, NULL);
	assert_int_equal(tpm_primary_cache_count(host.tpm), 0);
	assert_int_equal(host.tpm->primary_cache_hits, 0);
}

/* ---- every seed change gives new keys ---- */

static void test_seed_changes(void **state)
{
	struct tpm_public tmpl;
	struct tpm2b_rsa own, endo, null, plat, n;
	uint32_t lockout = TPM_RH_LOCKOUT;
	uint8_t none[1] = { 0 };
	uint64_t hits;

	(void)state;
	tmpl_rsa(&tmpl, A_STORAGE);
	create_flush(TPM_RH_OWNER, &tmpl, &own);
	create_flush(TPM_RH_ENDORSEMENT, &tmpl, &endo);
	create_flush(TPM_RH_NULL, &tmpl, &null);
	create_flush(TPM_RH_PLATFORM, &tmpl, &plat);
	assert_int_equal(tpm_primary_cache_count(host.tpm), 4);

	/* Clear: a new SPS, so a new owner key; the EPS and PPS stay, and
	 * their keys stay cached. */
	assert_int_equal(tpm_host_call(&host, TPM_CC_Clear, &lockout, 1, true, NULL, none, 0), 0);
	assert_int_equal(tpm_primary_cache_count(host.tpm), 3);
	hits = host.tpm->primary_cache_hits;
	create_flush(TPM_RH_OWNER, &tmpl, &n);
	assert_false(same_modulus(&own, &n));
	assert_int_equal(host.tpm->primary_cache_hits, hits);
	own = n;
	create_flush(TPM_RH_ENDORSEMENT, &tmpl, &n);
	assert_true(same_modulus(&endo, &n));
	assert_int_equal(host.tpm->primary_cache_hits, hits + 1);

	/* TPM Reset: a new NULL seed. */
	assert_int_equal(tpm_power_off(host.tpm), 0);
	assert_int_equal(tpm_power_on(host.tpm), 0);
	assert_int_equal(tpm_host_startup(&host, TPM_SU_CLEAR), 0);
	hits = host.tpm->primary_cache_hits;
	create_flush(TPM_RH_NULL, &tmpl, &n);
	assert_false(same_modulus(&null, &n));
	assert_int_equal(host.tpm->primary_cache_hits, hits);
	/* ... and the other seeds are still the same. */
	create_flush(TPM_RH_PLATFORM, &tmpl, &n);
	assert_true(same_modulus(&plat, &n));
	create_flush(TPM_RH_OWNER, &tmpl, &n);
	assert_true(same_modulus(&own, &n));
	assert_int_equal(host.tpm->primary_cache_hits, hits + 2);

	/* A seed changed without telling the cache still misses it: the seed
	 * is part of the entry's id. */
	host.tpm->nv.pps[5] ^= 0x40;
	create_flush(TPM_RH_PLATFORM, &tmpl, &n);
	assert_false(same_modulus(&plat, &n));
	assert_int_equal(host.tpm->primary_cache_hits, hits + 2);
	host.tpm->nv.pps[5] ^= 0x40;
	create_flush(TPM_RH_PLATFORM, &tmpl, &n);
	assert_true(same_modulus(&plat, &n));

	/* A state load replaces every seed: the cache is emptied, and keys of
	 * another TPM's state are that TPM's. */
	{
		struct tpm_host other;
		uint8_t *saved, *blob;
		size_t len;

		assert_int_equal(tpm_host_init(&other, 0x0bad5eed), 0);
		assert_int_equal(tpm_power_off(other.tpm), 0);
		assert_int_equal(tpm_state_save(other.tpm, &saved, &len), HUSK_OK);
		blob = malloc(len);
		assert_non_null(blob);
		memcpy(blob, saved, len);
		tpm_state_free(other.tpm, saved, len);
		tpm_host_fini(&other);
		assert_int_equal(tpm_power_off(host.tpm), 0);
		assert_true(tpm_primary_cache_count(host.tpm) > 0);
		/* A refused load changes nothing, the cache included. */
		blob[len - 1] ^= 1;
		assert_int_equal(tpm_state_load(host.tpm, blob, len), HUSK_ERR_FORMAT);
		assert_true(tpm_primary_cache_count(host.tpm) > 0);
		blob[len - 1] ^= 1;
		assert_int_equal(tpm_state_load(host.tpm, blob, len), HUSK_OK);
		assert_int_equal(tpm_primary_cache_count(host.tpm), 0);
		free(blob);
		assert_int_equal(tpm_power_on(host.tpm), 0);
		assert_int_equal(tpm_host_startup(&host, TPM_SU_CLEAR), 0);
		create_flush(TPM_RH_ENDORSEMENT, &tmpl, &n);
		assert_false(same_modulus(&endo, &n));
	}

	/* Manufacture: new seeds, empty cache. */
	create_flush(TPM_RH_ENDORSEMENT, &tmpl, &endo);
	assert_true(tpm_primary_cache_count(host.tpm) > 0);
	assert_int_equal(tpm_power_off(host.tpm), 0);
	assert_int_equal(tpm_manufacture(host.tpm), 0);
	assert_int_equal(tpm_primary_cache_count(host.tpm), 0);
	assert_int_equal(tpm_power_on(host.tpm), 0);
	assert_int_equal(tpm_host_startup(&host, TPM_SU_CLEAR), 0);
	hits = host.tpm->primary_cache_hits;
	create_flush(TPM_RH_ENDORSEMENT, &tmpl, &n);
	assert_false(same_modulus(&endo, &n));
	assert_int_equal(host.tpm->primary_cache_hits, hits);
}

/* A Resume keeps the NULL seed (and so the NULL hierarchy's keys); the cache
 * is dropped all the same and the key derived again, identically. */
static void test_resume_keeps_null_keys(void **state)
{
	struct tpm_public tmpl;
	struct tpm2b_rsa a, b;
	uint8_t su[2];
	uint64_t hits;

	(void)state;
	tmpl_rsa(&tmpl, A_SIGNING);
	create_flush(TPM_RH_NULL, &tmpl, &a);
	tpm_put_be16(su, TPM_SU_STATE);
	assert_int_equal(tpm_host_call(&host, TPM_CC_Shutdown, NULL, 0, false, NULL, su, 2), 0);
	assert_int_equal(tpm_power_off(host.tpm), 0);
	assert_int_equal(tpm_power_on(host.tpm), 0);
	assert_int_equal(tpm_host_startup(&host, TPM_SU_STATE), 0);
	assert_int_equal(tpm_primary_cache_count(host.tpm), 0);
	hits = host.tpm->primary_cache_hits;
	create_flush(TPM_RH_NULL, &tmpl, &b);
	assert_true(same_modulus(&a, &b));
	assert_int_equal(host.tpm->primary_cache_hits, hits);
}

/* ---- bounded, least recently used first, accounted, wiped ---- */

/* An allocator that checks that every block the engine allocated (after
 * install) is wiped when it is freed (beyond tpm_alloc's 16-byte header). */
#define TRACK_MAX 256
static struct {
	void *p;
	size_t size;
} track[TRACK_MAX];
static struct tpm_env orig_env;
static unsigned wiped_entries; /* freed blocks of a cache entry's size */

static void *track_calloc(void *ctx, size_t n, size_t size)
{
	void *p = orig_env.calloc(ctx, n, size);

	for (unsigned i = 0; p && i < TRACK_MAX; i++) {
		if (!track[i].p) {
			track[i].p = p;
			track[i].size = n * size;
			break;
		}
	}
	return p;
}

static void track_free(void *ctx, void *p)
{
	for (unsigned i = 0; p && i < TRACK_MAX; i++) {
		if (track[i].p == p) {
			const uint8_t *b = p;

			for (size_t j = 16; j < track[i].size; j++)
				assert_int_equal(b[j], 0);
			if (track[i].size == 16 + tpm_primary_cache_entry_size())
				wiped_entries++;
			track[i].p = NULL;
			break;
		}
	}
	orig_env.free(ctx, p);
}

static void test_bounded_lru(void **state)
{
	struct tpm_public tmpl;
	struct tpm2b_rsa first[6], n;
	struct snap s1, s1_again;
	size_t mem0, mem_full;
	uint64_t hits;
	uint32_t h;

	(void)state;
	memset(track, 0, sizeof(track));
	wiped_entries = 0;
	orig_env = host.tpm->env;
	host.tpm->env.calloc = track_calloc;
	host.tpm->env.free = track_free;

	mem0 = tpm_memory_used(host.tpm);
	for (uint8_t u = 0; u < TPM_PRIMARY_CACHE_SLOTS; u++) {
		tmpl_rsa_unique(&tmpl, u);
		if (u == 1) {
			h = create(TPM_RH_OWNER, &tmpl, NULL, 0);
			snap_object(&host, h, &s1);
			modulus(h, &first[u]);
			flush_on(&host, h);
		} else {
			create_flush(TPM_RH_OWNER, &tmpl, &first[u]);
		}
		assert_int_equal(tpm_primary_cache_count(host.tpm), u + 1u);
		assert_int_equal(tpm_memory_used(host.tpm), mem0 + (u + 1u) * tpm_primary_cache_entry_size());
	}
	mem_full = tpm_memory_used(host.tpm);
	hits = host.tpm->primary_cache_hits;
	/* Key 0 used again: now key 1 is the least recently used. */
	tmpl_rsa_unique(&tmpl, 0);
	create_flush(TPM_RH_OWNER, &tmpl, &n);
	assert_true(same_modulus(&first[0], &n));
	assert_int_equal(host.tpm->primary_cache_hits, hits + 1);
	/* A fifth key takes key 1's place, wiped. */
	tmpl_rsa_unique(&tmpl, 4);
	create_flush(TPM_RH_OWNER, &tmpl, &first[4]);
	assert_int_equal(tpm_primary_cache_count(host.tpm), TPM_PRIMARY_CACHE_SLOTS);
	assert_int_equal(tpm_memory_used(host.tpm), mem_full);
	assert_int_equal(wiped_entries, 1);
	/* 0 is still there, 1 is derived again: the same object as before. */
	tmpl_rsa_unique(&tmpl, 0);
	create_flush(TPM_RH_OWNER, &tmpl, &n);
	assert_int_equal(host.tpm->primary_cache_hits, hits + 2);
	tmpl_rsa_unique(&tmpl, 1);
	h = create(TPM_RH_OWNER, &tmpl, NULL, 0);
	assert_int_equal(host.tpm->primary_cache_hits, hits + 2);
	snap_object(&host, h, &s1_again);
	assert_same_object(&s1, &s1_again);
	assert_same_response(&s1, &s1_again);
	flush_on(&host, h);
	assert_int_equal(wiped_entries, 2);
	/* However many keys come, the cache stays at its bound. */
	for (uint8_t u = 10; u < 16; u++) {
		tmpl_rsa_unique(&tmpl, u);
		create_flush(TPM_RH_OWNER, &tmpl, NULL);
		assert_int_equal(tpm_primary_cache_count(host.tpm), TPM_PRIMARY_CACHE_SLOTS);
		assert_int_equal(tpm_memory_used(host.tpm), mem_full);
	}
	assert_int_equal(wiped_entries, 8);
	/* Dropped entries are wiped and their memory is returned. */
	tpm_primary_cache_drop(host.tpm, TPM_PRIMARY_CACHE_ALL);
	assert_int_equal(wiped_entries, 8 + TPM_PRIMARY_CACHE_SLOTS);
	assert_int_equal(tpm_memory_used(host.tpm), mem0);
	host.tpm->env = orig_env;
}

/* Without memory for an entry, CreatePrimary still works (uncached). */
static void *no_entry_calloc(void *ctx, size_t n, size_t size)
{
	if (n * size == 16 + tpm_primary_cache_entry_size())
		return NULL;
	return orig_env.calloc(ctx, n, size);
}

static void test_no_memory(void **state)
{
	struct tpm_public tmpl;
	struct tpm2b_rsa a, b;

	(void)state;
	tmpl_rsa(&tmpl, A_SIGNING);
	orig_env = host.tpm->env;
	host.tpm->env.calloc = no_entry_calloc;
	create_flush(TPM_RH_OWNER, &tmpl, &a);
	assert_int_equal(tpm_primary_cache_count(host.tpm), 0);
	create_flush(TPM_RH_OWNER, &tmpl, &b);
	assert_true(same_modulus(&a, &b));
	assert_int_equal(host.tpm->primary_cache_hits, 0);
	host.tpm->env = orig_env;
	create_flush(TPM_RH_OWNER, &tmpl, &b);
	assert_int_equal(tpm_primary_cache_count(host.tpm), 1);
	create_flush(TPM_RH_OWNER, &tmpl, &b);
	assert_true(same_modulus(&a, &b));
	assert_int_equal(host.tpm->primary_cache_hits, 1);
}

/* ---- not NV state ---- */

static void test_not_in_state(void **state)
{
	struct tpm_public tmpl;
	uint8_t *a, *b;
	size_t alen, blen;

	(void)state;
	tmpl_rsa(&tmpl, A_STORAGE);
	create_flush(TPM_RH_OWNER, &tmpl, NULL);
	create_flush(TPM_RH_ENDORSEMENT, &tmpl, NULL);
	assert_int_equal(tpm_primary_cache_count(host.tpm), 2);
	/* The same blob with and without the cache. */
	assert_int_equal(tpm_power_off(host.tpm), 0);
	assert_int_equal(tpm_state_save(host.tpm, &b, &blen), HUSK_OK);
	tpm_primary_cache_drop(host.tpm, TPM_PRIMARY_CACHE_ALL);
	assert_int_equal(tpm_state_save(host.tpm, &a, &alen), HUSK_OK);
	assert_int_equal(alen, blen);
	assert_memory_equal(a, b, alen);
	tpm_state_free(host.tpm, a, alen);
	tpm_state_free(host.tpm, b, blen);
	assert_int_equal(tpm_power_on(host.tpm), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_same_primary_twice, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cached_key_works, setup, teardown),
		cmocka_unit_test_setup_teardown(test_what_selects_the_entry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_only_rsa, setup, teardown),
		cmocka_unit_test_setup_teardown(test_seed_changes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resume_keeps_null_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bounded_lru, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_memory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_in_state, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
