/* The NV state blob: everything in struct tpm_persistent, serialized so that
 * it can be stored and loaded across boots.  The blob guards against
 * accidents (truncation, corruption, a different format), not against an
 * attacker: confidentiality and authenticity come from the encrypted store
 * that keeps it.
 *
 *   0   "HUSKTPM\0"
 *   8   u32 format version (STATE_VERSION)
 *   12  u32 total length, header to trailer inclusive
 *   16  sections: u16 tag, u32 body length, body
 *   end SHA-256 of every byte before it
 *
 * All integers are big-endian; digests and names are TPM2Bs.  A tag with
 * STATE_TAG_OPTIONAL set may be skipped by a reader that does not know it;
 * any other unknown tag makes the blob unreadable.  Sections 1-7 appear
 * exactly once; NV indexes and persistent objects once per entry, in the
 * order of the arrays.  The writer is deterministic: the same state gives
 * the same bytes. */
#include <string.h>

#include "husk/err.h"
#include "tpm/tpm_internal.h"

#define STATE_MAGIC       "HUSKTPM"  /* with its NUL: 8 bytes */
#define STATE_VERSION     1u
#define STATE_HEADER      16u
#define STATE_TRAILER     32u        /* SHA-256 */
#define STATE_SECTION_HDR 6u
#define STATE_TAG_OPTIONAL 0x8000u

enum state_tag {
	TAG_SEEDS = 0x0001,      /* primary seeds and proofs */
	TAG_HIERARCHY = 0x0002,  /* hierarchy auths and policies, disableClear */
	TAG_DA = 0x0003,         /* dictionary-attack state */
	TAG_TIME = 0x0004,       /* clock, reset/restart counts, shutdown type */
	TAG_PCR_ALLOC = 0x0005,  /* active and pending PCR banks */
	TAG_SAVED = 0x0006,      /* Shutdown(STATE) data */
	TAG_NV_GLOBAL = 0x0007,  /* NV-wide state: largest deleted counter value */
	TAG_NV_INDEX = 0x0010,   /* one NV index */
	TAG_PERSISTENT = 0x0011, /* one persistent object */
};
#define SINGLETON_TAGS 7u

/* Persistent object flags. */
#define OBJ_HAS_SENSITIVE 0x01u
#define OBJ_EXTERNAL      0x02u
#define OBJ_PRIMARY       0x04u
#define OBJ_FLAGS_ALL     0x07u

#define SHUTDOWN_NONE 0xffffu
#define BANKS_ALL     ((1u << TPM_NUM_BANKS) - 1)

/* Upper bounds of section bodies, for sizing the blob before writing. */
#define HIER_AUTH_MAX  (2 + TPM_MAX_DIGEST + 2 + TPM_MAX_DIGEST + 2)
#define SEEDS_MAX      (2 + 3 * TPM_SEED_SIZE + 2 + 3 * TPM_PROOF_SIZE)
#define HIERARCHY_MAX  (3 * HIER_AUTH_MAX + 2 + TPM_MAX_DIGEST + 2 + 1)
#define DA_MAX         (4 * 4 + 1 + 8 + 8 + 1)
#define NV_GLOBAL_MAX  8
#define TIME_MAX       (8 + 4 + 4 + 2)
#define PCR_ALLOC_MAX  (4 + 4)
#define SAVED_MAX      (1 + 4 + 3 + 1 + TPM_NUM_BANKS * (2 + 1 + TPM_PCR_COUNT * TPM_MAX_DIGEST))
#define NV_SECTION_MAX   (4 + 2 + 4 + 2 + TPM_MAX_DIGEST + 2 + TPM_MAX_DIGEST + 2 + 1)
#define OBJ_SECTION_MAX \
	(4 + 4 + 1 + 2 + sizeof(struct tpm_public) + 2 + sizeof(struct tpm_sensitive) + 2 + TPM_MAX_NAME)
#define FIXED_MAX                                                                           \
	(STATE_HEADER + STATE_TRAILER + SINGLETON_TAGS * STATE_SECTION_HDR + SEEDS_MAX +     \
	 HIERARCHY_MAX + DA_MAX + TIME_MAX + PCR_ALLOC_MAX + SAVED_MAX + NV_GLOBAL_MAX)

/* ---- writing ---- */

static size_t section_begin(struct tpm_w *w, uint16_t tag)
{
	tpm_w_u16(w, tag);
	return tpm_w_reserve(w, 4);
}

static void section_end(struct tpm_w *w, size_t at)
{
	tpm_w_patch_u32(w, at, (uint32_t)(w->pos - at - 4));
}

static void w_bool(struct tpm_w *w, bool b)
{
	tpm_w_u8(w, b ? 1 : 0);
}

static void w_hier_auth(struct tpm_w *w, const struct tpm_hier_auth *h)
{
	tpm_w_digest(w, &h->auth);
	tpm_w_digest(w, &h->policy);
	tpm_w_u16(w, h->policy_alg);
}

static void w_singletons(struct tpm_w *w, const struct tpm_persistent *nv)
{
	size_t at;

	at = section_begin(w, TAG_SEEDS);
	tpm_w_u16(w, TPM_SEED_SIZE);
	tpm_w_bytes(w, nv->eps, TPM_SEED_SIZE);
	tpm_w_bytes(w, nv->sps, TPM_SEED_SIZE);
	tpm_w_bytes(w, nv->pps, TPM_SEED_SIZE);
	tpm_w_u16(w, TPM_PROOF_SIZE);
	tpm_w_bytes(w, nv->eh_proof, TPM_PROOF_SIZE);
	tpm_w_bytes(w, nv->sh_proof, TPM_PROOF_SIZE);
	tpm_w_bytes(w, nv->ph_proof, TPM_PROOF_SIZE);
	section_end(w, at);

	at = section_begin(w, TAG_HIERARCHY);
	w_hier_auth(w, &nv->owner);
	w_hier_auth(w, &nv->endorsement);
	w_hier_auth(w, &nv->lockout);
	tpm_w_digest(w, &nv->platform_policy);
	tpm_w_u16(w, nv->platform_policy_alg);
	w_bool(w, nv->disable_clear);
	section_end(w, at);

	at = section_begin(w, TAG_DA);
	tpm_w_u32(w, nv->da_failed_tries);
	tpm_w_u32(w, nv->da_max_tries);
	tpm_w_u32(w, nv->da_recovery_time);
	tpm_w_u32(w, nv->da_lockout_recovery);
	w_bool(w, nv->da_lockout_locked);
	tpm_w_u64(w, nv->da_last_fail_clock);
	tpm_w_u64(w, nv->da_lockout_since);
	w_bool(w, nv->da_used);
	section_end(w, at);

	at = section_begin(w, TAG_TIME);
	tpm_w_u64(w, nv->clock);
	tpm_w_u32(w, nv->reset_count);
	tpm_w_u32(w, nv->restart_count);
	tpm_w_u16(w, nv->shutdown_type);
	section_end(w, at);

	at = section_begin(w, TAG_PCR_ALLOC);
	tpm_w_u32(w, nv->pcr_banks);
	tpm_w_u32(w, nv->pcr_banks_pending);
	section_end(w, at);

	/* Saved PCR values matter only while the saved state is valid; a
	 * stale copy is not state and is left out. */
	at = section_begin(w, TAG_SAVED);
	w_bool(w, nv->saved_state_valid);
	tpm_w_u32(w, nv->saved_pcr_counter);
	w_bool(w, nv->saved_sh_enable);
	w_bool(w, nv->saved_eh_enable);
	w_bool(w, nv->saved_ph_enable_nv);
	tpm_w_u8(w, nv->saved_state_valid ? TPM_NUM_BANKS : 0);
	for (unsigned b = 0; nv->saved_state_valid && b < TPM_NUM_BANKS; b++) {
		uint16_t alg = tpm_bank_alg(b);

		tpm_w_u16(w, alg);
		tpm_w_u8(w, TPM_PCR_COUNT);
		for (unsigned i = 0; i < TPM_PCR_COUNT; i++)
			tpm_w_bytes(w, nv->saved_pcr[b][i], tpm_hash_size(alg));
	}
	/* What a Resume or Restart keeps: NULL hierarchy, context key. */
	if (nv->saved_state_valid) {
		tpm_w_bytes(w, nv->saved_null_seed, sizeof(nv->saved_null_seed));
		tpm_w_bytes(w, nv->saved_null_proof, sizeof(nv->saved_null_proof));
		tpm_w_bytes(w, nv->saved_context_nonce, sizeof(nv->saved_context_nonce));
		tpm_w_u64(w, nv->saved_context_counter);
	}
	section_end(w, at);

	at = section_begin(w, TAG_NV_GLOBAL);
	tpm_w_u64(w, nv->nv_max_counter);
	section_end(w, at);
}

static void w_nv_index(struct tpm_w *w, const struct tpm_nv_index *x)
{
	size_t at = section_begin(w, TAG_NV_INDEX);

	tpm_w_u32(w, x->handle);
	tpm_w_u16(w, x->name_alg);
	tpm_w_u32(w, x->attributes);
	tpm_w_digest(w, &x->auth_policy);
	tpm_w_digest(w, &x->auth);
	tpm_w_u16(w, x->size);
	/* An index may not have its buffer yet; say so rather than invent
	 * zeros, so that a load gives back exactly what was saved.  An empty
	 * index has nothing to keep (and gets no buffer on load). */
	w_bool(w, x->data != NULL && x->size != 0);
	if (x->data && x->size)
		tpm_w_bytes(w, x->data, x->size);
	section_end(w, at);
}

static void w_persistent(struct tpm_w *w, const struct tpm_object *o)
{
	size_t at = section_begin(w, TAG_PERSISTENT);
	uint8_t flags = (uint8_t)((o->has_sensitive ? OBJ_HAS_SENSITIVE : 0) |
				  (o->external ? OBJ_EXTERNAL : 0) | (o->primary ? OBJ_PRIMARY : 0));

	tpm_w_u32(w, o->handle);
	tpm_w_u32(w, o->hierarchy);
	tpm_w_u8(w, flags);
	tpm_w_2b_public(w, &o->pub);
	if (o->has_sensitive) {
		size_t sat = tpm_w_reserve(w, 2);

		tpm_w_sensitive(w, &o->sens);
		tpm_w_patch_u16(w, sat, (uint16_t)(w->pos - sat - 2));
	}
	tpm_w_name(w, &o->qualified_name);
	section_end(w, at);
}

/* ---- reading ---- */

struct parse {
	struct tpm *t;
	struct tpm_persistent *nv;
	bool dry;            /* validate only: no NV data buffers */
	unsigned seen;       /* bit per singleton tag */
};

/* Any reader failure is a format error; the TPM response codes of the
 * readers do not matter here. */
#define R(expr)                                   \
	do {                                      \
		if ((expr) != TPM_RC_SUCCESS)     \
			return HUSK_ERR_FORMAT;   \
	} while (0)

static int r_bool(struct tpm_r *r, bool *b)
{
	uint8_t v;

	R(tpm_r_u8(r, &v));
	if (v > 1)
		return HUSK_ERR_FORMAT;
	*b = v;
	return HUSK_OK;
}

static bool hash_or_null(uint16_t alg)
{
	return alg == TPM_ALG_NULL || tpm_alg_is_hash(alg);
}

static int r_policy(struct tpm_r *r, struct tpm2b_digest *policy, uint16_t *alg)
{
	R(tpm_r_digest(r, policy));
	R(tpm_r_u16(r, alg));
	if (!hash_or_null(*alg) || (*alg == TPM_ALG_NULL && policy->size))
		return HUSK_ERR_FORMAT;
	return HUSK_OK;
}

static int r_hier_auth(struct tpm_r *r, struct tpm_hier_auth *h)
{
	R(tpm_r_digest(r, &h->auth));
	return r_policy(r, &h->policy, &h->policy_alg);
}

static int r_seeds(struct tpm_r *r, struct tpm_persistent *nv)
{
	uint16_t n;

	R(tpm_r_u16(r, &n));
	if (n != TPM_SEED_SIZE)
		return HUSK_ERR_FORMAT;
	R(tpm_r_bytes(r, nv->eps, n));
	R(tpm_r_bytes(r, nv->sps, n));
	R(tpm_r_bytes(r, nv->pps, n));
	R(tpm_r_u16(r, &n));
	if (n != TPM_PROOF_SIZE)
		return HUSK_ERR_FORMAT;
	R(tpm_r_bytes(r, nv->eh_proof, n));
	R(tpm_r_bytes(r, nv->sh_proof, n));
	R(tpm_r_bytes(r, nv->ph_proof, n));
	return HUSK_OK;
}

static int r_hierarchy(struct tpm_r *r, struct tpm_persistent *nv)
{
	int err;

	if ((err = r_hier_auth(r, &nv->owner)) || (err = r_hier_auth(r, &nv->endorsement)) ||
	    (err = r_hier_auth(r, &nv->lockout)) ||
	    (err = r_policy(r, &nv->platform_policy, &nv->platform_policy_alg)))
		return err;
	return r_bool(r, &nv->disable_clear);
}

static int r_da(struct tpm_r *r, struct tpm_persistent *nv)
{
	int err;

	R(tpm_r_u32(r, &nv->da_failed_tries));
	R(tpm_r_u32(r, &nv->da_max_tries));
	R(tpm_r_u32(r, &nv->da_recovery_time));
	R(tpm_r_u32(r, &nv->da_lockout_recovery));
	if ((err = r_bool(r, &nv->da_lockout_locked)))
		return err;
	R(tpm_r_u64(r, &nv->da_last_fail_clock));
	R(tpm_r_u64(r, &nv->da_lockout_since));
	return r_bool(r, &nv->da_used);
}

static int r_time(struct tpm_r *r, struct tpm_persistent *nv)
{
	R(tpm_r_u64(r, &nv->clock));
	R(tpm_r_u32(r, &nv->reset_count));
	R(tpm_r_u32(r, &nv->restart_count));
	R(tpm_r_u16(r, &nv->shutdown_type));
	if (nv->shutdown_type != TPM_SU_CLEAR && nv->shutdown_type != TPM_SU_STATE &&
	    nv->shutdown_type != SHUTDOWN_NONE)
		return HUSK_ERR_FORMAT;
	return HUSK_OK;
}

static int r_pcr_alloc(struct tpm_r *r, struct tpm_persistent *nv)
{
	R(tpm_r_u32(r, &nv->pcr_banks));
	R(tpm_r_u32(r, &nv->pcr_banks_pending));
	if ((nv->pcr_banks & ~BANKS_ALL) || (nv->pcr_banks_pending & ~BANKS_ALL))
		return HUSK_ERR_FORMAT;
	return HUSK_OK;
}

static int r_saved(struct tpm_r *r, struct tpm_persistent *nv)
{
	unsigned seen = 0;
	uint8_t nbanks;
	int err;

	if ((err = r_bool(r, &nv->saved_state_valid)))
		return err;
	R(tpm_r_u32(r, &nv->saved_pcr_counter));
	if ((err = r_bool(r, &nv->saved_sh_enable)) || (err = r_bool(r, &nv->saved_eh_enable)) ||
	    (err = r_bool(r, &nv->saved_ph_enable_nv)))
		return err;
	R(tpm_r_u8(r, &nbanks));
	/* Valid saved state has every bank; invalid state has none. */
	if (nbanks != (nv->saved_state_valid ? TPM_NUM_BANKS : 0))
		return HUSK_ERR_FORMAT;
	for (unsigned i = 0; i < nbanks; i++) {
		uint16_t alg;
		uint8_t npcr;
		int b;

		R(tpm_r_u16(r, &alg));
		R(tpm_r_u8(r, &npcr));
		b = tpm_bank_index(alg);
		if (b < 0 || (seen & (1u << b)) || npcr != TPM_PCR_COUNT)
			return HUSK_ERR_FORMAT;
		seen |= 1u << b;
		for (unsigned p = 0; p < TPM_PCR_COUNT; p++)
			R(tpm_r_bytes(r, nv->saved_pcr[b][p], tpm_hash_size(alg)));
	}
	if (nv->saved_state_valid) {
		R(tpm_r_bytes(r, nv->saved_null_seed, sizeof(nv->saved_null_seed)));
		R(tpm_r_bytes(r, nv->saved_null_proof, sizeof(nv->saved_null_proof)));
		R(tpm_r_bytes(r, nv->saved_context_nonce, sizeof(nv->saved_context_nonce)));
		R(tpm_r_u64(r, &nv->saved_context_counter));
	}
	return HUSK_OK;
}

static bool nv_type_ok(uint32_t attributes)
{
	switch ((attributes & TPMA_NV_TPM_NT_MASK) >> TPMA_NV_TPM_NT_SHIFT) {
	case TPM_NT_ORDINARY:
	case TPM_NT_COUNTER:
	case TPM_NT_BITS:
	case TPM_NT_EXTEND:
	case TPM_NT_PIN_FAIL:
	case TPM_NT_PIN_PASS:
		return true;
	default:
		return false;
	}
}

static int r_nv_index(struct parse *ps, struct tpm_r *r)
{
	struct tpm_persistent *nv = ps->nv;
	struct tpm_nv_index *x;
	const uint8_t *data;
	bool has_data;
	int err;

	if (nv->nv_count >= TPM_MAX_NV_INDICES)
		return HUSK_ERR_FORMAT;
	x = &nv->nv[nv->nv_count];
	memset(x, 0, sizeof(*x));
	R(tpm_r_u32(r, &x->handle));
	if ((x->handle >> TPM_HR_SHIFT) != TPM_HT_NV_INDEX)
		return HUSK_ERR_FORMAT;
	for (uint32_t i = 0; i < nv->nv_count; i++)
		if (nv->nv[i].handle == x->handle)
			return HUSK_ERR_FORMAT;
	R(tpm_r_u16(r, &x->name_alg));
	if (!tpm_alg_is_hash(x->name_alg))
		return HUSK_ERR_FORMAT;
	R(tpm_r_u32(r, &x->attributes));
	if (!nv_type_ok(x->attributes))
		return HUSK_ERR_FORMAT;
	R(tpm_r_digest(r, &x->auth_policy));
	R(tpm_r_digest(r, &x->auth));
	R(tpm_r_u16(r, &x->size));
	if (x->size > TPM_NV_INDEX_MAX || nv->nv_bytes + x->size > TPM_NV_TOTAL_MAX)
		return HUSK_ERR_FORMAT;
	if ((err = r_bool(r, &has_data)))
		return err;
	if (has_data && !x->size)
		return HUSK_ERR_FORMAT; /* not what the writer makes */
	if (has_data) {
		R(tpm_r_view(r, &data, x->size));
		if (!ps->dry) {
			x->data = tpm_alloc(ps->t, x->size);
			if (!x->data)
				return HUSK_ERR_NOMEM;
			memcpy(x->data, data, x->size);
		}
	}
	nv->nv_bytes += x->size;
	nv->nv_count++;
	return HUSK_OK;
}

static bool persistent_hierarchy_ok(uint32_t h)
{
	return h == TPM_RH_OWNER || h == TPM_RH_ENDORSEMENT || h == TPM_RH_PLATFORM;
}

static int r_persistent(struct parse *ps, struct tpm_r *r)
{
	struct tpm_persistent *nv = ps->nv;
	struct tpm_object *o;
	uint8_t flags;

	if (nv->persistent_count >= TPM_MAX_PERSISTENT)
		return HUSK_ERR_FORMAT;
	o = &nv->persistent[nv->persistent_count];
	memset(o, 0, sizeof(*o));
	R(tpm_r_u32(r, &o->handle));
	if ((o->handle >> TPM_HR_SHIFT) != TPM_HT_PERSISTENT)
		return HUSK_ERR_FORMAT;
	for (uint32_t i = 0; i < nv->persistent_count; i++)
		if (nv->persistent[i].handle == o->handle)
			return HUSK_ERR_FORMAT;
	R(tpm_r_u32(r, &o->hierarchy));
	if (!persistent_hierarchy_ok(o->hierarchy))
		return HUSK_ERR_FORMAT;
	R(tpm_r_u8(r, &flags));
	if (flags & ~OBJ_FLAGS_ALL)
		return HUSK_ERR_FORMAT;
	o->has_sensitive = flags & OBJ_HAS_SENSITIVE;
	o->external = flags & OBJ_EXTERNAL;
	o->primary = flags & OBJ_PRIMARY;
	R(tpm_r_2b_public(r, &o->pub, true));
	if (o->has_sensitive) {
		uint16_t size;
		struct tpm_r sub;

		R(tpm_r_u16(r, &size));
		if (size > tpm_r_left(r))
			return HUSK_ERR_FORMAT;
		tpm_r_init(&sub, r->p + r->pos, size);
		r->pos += size;
		R(tpm_r_sensitive(&sub, &o->sens));
		if (tpm_r_left(&sub) || o->sens.type != o->pub.type)
			return HUSK_ERR_FORMAT;
	}
	R(tpm_r_name(r, &o->qualified_name));
	R(tpm_object_compute_name(&o->pub, &o->name));
	o->kind = TPM_OBJ_KEY;
	nv->persistent_count++;
	return HUSK_OK;
}

static int r_section(struct parse *ps, uint16_t tag, struct tpm_r *body)
{
	struct tpm_persistent *nv = ps->nv;

	if (tag >= TAG_SEEDS && tag <= TAG_NV_GLOBAL) {
		unsigned bit = 1u << (tag - TAG_SEEDS);

		if (ps->seen & bit)
			return HUSK_ERR_FORMAT; /* duplicate */
		ps->seen |= bit;
	}
	switch (tag) {
	case TAG_SEEDS: return r_seeds(body, nv);
	case TAG_HIERARCHY: return r_hierarchy(body, nv);
	case TAG_DA: return r_da(body, nv);
	case TAG_TIME: return r_time(body, nv);
	case TAG_PCR_ALLOC: return r_pcr_alloc(body, nv);
	case TAG_SAVED: return r_saved(body, nv);
	case TAG_NV_GLOBAL:
		R(tpm_r_u64(body, &nv->nv_max_counter));
		return HUSK_OK;
	case TAG_NV_INDEX: return r_nv_index(ps, body);
	case TAG_PERSISTENT: return r_persistent(ps, body);
	default:
		if (tag & STATE_TAG_OPTIONAL) {
			body->pos = body->len; /* a later format's extra: skip it */
			return HUSK_OK;
		}
		return HUSK_ERR_FORMAT;
	}
}

static void release_nv(struct tpm *t, struct tpm_persistent *nv)
{
	for (uint32_t i = 0; i < nv->persistent_count; i++)
		tpm_key_cache_free(t, &nv->persistent[i]);
	for (uint32_t i = 0; i < nv->nv_count; i++)
		tpm_nv_release(t, &nv->nv[i]);
}

static int check_envelope(const uint8_t *blob, size_t len)
{
	uint8_t digest[STATE_TRAILER];
	struct tpm_part part;

	if (len < STATE_HEADER + STATE_TRAILER || len > UINT32_MAX)
		return HUSK_ERR_FORMAT;
	if (memcmp(blob, STATE_MAGIC, 8) != 0 || tpm_be32(blob + 8) != STATE_VERSION ||
	    tpm_be32(blob + 12) != len)
		return HUSK_ERR_FORMAT;
	part.p = blob;
	part.len = len - STATE_TRAILER;
	if (tpm_hash_parts(TPM_ALG_SHA256, &part, 1, digest))
		return HUSK_ERR_CRYPTO;
	if (tpm_ct_compare(digest, blob + len - STATE_TRAILER, STATE_TRAILER))
		return HUSK_ERR_FORMAT;
	return HUSK_OK;
}

/* Parses a blob into *nv (zeroed by the caller).  On failure whatever was
 * allocated for *nv is freed again. */
static int parse_blob(struct tpm *t, const uint8_t *blob, size_t len, struct tpm_persistent *nv,
		      bool dry)
{
	struct parse ps = { .t = t, .nv = nv, .dry = dry };
	struct tpm_r r;
	int err;

	err = check_envelope(blob, len);
	if (err)
		return err;
	tpm_r_init(&r, blob + STATE_HEADER, len - STATE_HEADER - STATE_TRAILER);
	while (tpm_r_left(&r)) {
		uint16_t tag;
		uint32_t size;
		struct tpm_r body;

		if (tpm_r_u16(&r, &tag) || tpm_r_u32(&r, &size) || size > tpm_r_left(&r)) {
			err = HUSK_ERR_FORMAT;
			break;
		}
		tpm_r_init(&body, r.p + r.pos, size);
		r.pos += size;
		err = r_section(&ps, tag, &body);
		if (!err && tpm_r_left(&body))
			err = HUSK_ERR_FORMAT; /* the section is longer than its content */
		if (err)
			break;
	}
	if (!err && ps.seen != (1u << SINGLETON_TAGS) - 1)
		err = HUSK_ERR_FORMAT; /* a mandatory section is missing */
	if (err)
		release_nv(t, nv);
	return err;
}

/* ---- the API ---- */

int tpm_state_save(struct tpm *t, uint8_t **blob, size_t *len)
{
	const struct tpm_persistent *nv;
	struct tpm_persistent *check;
	struct tpm_part part;
	struct tpm_w w;
	size_t cap;
	uint8_t *p;
	int err;

	if (!t || !blob || !len)
		return HUSK_ERR_INVAL;
	if (!t->manufactured)
		return HUSK_ERR_INVAL; /* nothing to save yet */
	nv = &t->nv;
	if (nv->nv_count > TPM_MAX_NV_INDICES || nv->persistent_count > TPM_MAX_PERSISTENT)
		return HUSK_ERR_INVAL;
	cap = FIXED_MAX + nv->persistent_count * (STATE_SECTION_HDR + OBJ_SECTION_MAX);
	for (uint32_t i = 0; i < nv->nv_count; i++)
		cap += STATE_SECTION_HDR + NV_SECTION_MAX + nv->nv[i].size;
	p = tpm_alloc(t, cap);
	if (!p)
		return HUSK_ERR_NOMEM;

	tpm_w_init(&w, p, cap);
	tpm_w_bytes(&w, STATE_MAGIC, 8);
	tpm_w_u32(&w, STATE_VERSION);
	tpm_w_u32(&w, 0); /* total length, below */
	w_singletons(&w, nv);
	for (uint32_t i = 0; i < nv->nv_count; i++)
		w_nv_index(&w, &nv->nv[i]);
	for (uint32_t i = 0; i < nv->persistent_count; i++) {
		if (nv->persistent[i].kind != TPM_OBJ_KEY)
			w.overflow = true; /* only keys can be persistent */
		w_persistent(&w, &nv->persistent[i]);
	}
	if (!tpm_w_ok(&w) || w.pos + STATE_TRAILER > cap) {
		tpm_free(t, p);
		return HUSK_ERR_INVAL; /* a state the format cannot hold */
	}
	tpm_w_patch_u32(&w, 12, (uint32_t)(w.pos + STATE_TRAILER));
	part.p = p;
	part.len = w.pos;
	if (tpm_hash_parts(TPM_ALG_SHA256, &part, 1, p + w.pos)) {
		tpm_free(t, p);
		return HUSK_ERR_CRYPTO;
	}
	w.pos += STATE_TRAILER;

	/* Never hand out a blob that tpm_state_load would refuse: an engine
	 * bug found now is better than a state lost at the next boot. */
	check = tpm_alloc(t, sizeof(*check));
	if (!check) {
		tpm_free(t, p);
		return HUSK_ERR_NOMEM;
	}
	err = parse_blob(t, p, w.pos, check, true);
	tpm_free(t, check);
	if (err) {
		tpm_free(t, p);
		return err == HUSK_ERR_FORMAT ? HUSK_ERR_INVAL : err;
	}
	*blob = p;
	*len = w.pos;
	t->nv_dirty = false;
	return HUSK_OK;
}

void tpm_state_free(struct tpm *t, uint8_t *blob, size_t len)
{
	(void)len; /* tpm_free knows the size and wipes it: the blob holds seeds */
	if (t && blob)
		tpm_free(t, blob);
}

int tpm_state_load(struct tpm *t, const uint8_t *blob, size_t len)
{
	struct tpm_persistent *nv;
	int err;

	if (!t || (!blob && len))
		return HUSK_ERR_INVAL;
	if (t->powered)
		return HUSK_ERR_BUSY;
	if (!blob)
		return HUSK_ERR_FORMAT;
	nv = tpm_alloc(t, sizeof(*nv));
	if (!nv)
		return HUSK_ERR_NOMEM;
	err = parse_blob(t, blob, len, nv, false);
	if (!err) {
		/* Other seeds, perhaps: keys derived from the old ones go. */
		tpm_primary_cache_drop(t, TPM_PRIMARY_CACHE_ALL);
		release_nv(t, &t->nv);
		t->nv = *nv; /* the NV data buffers move with the struct */
		t->manufactured = true;
		t->nv_dirty = false;
	}
	tpm_free(t, nv); /* wipes the copy */
	return err;
}
