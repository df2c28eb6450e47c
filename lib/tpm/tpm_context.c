/* Context management (TPM 2.0 Part 3 "Context Management", Part 1 "Context
 * Management"): ContextSave and ContextLoad of objects, sequences and
 * sessions, FlushContext, EvictControl.
 *
 * A saved context is a TPMS_CONTEXT whose contextBlob is
 *   TPM2B_DIGEST(integrity) || AES-256-CFB(sequence || payload)
 *   key || IV = KDFa(SHA-256, secret, "CONTEXT", sequence, savedHandle, 384)
 *   integrity = HMAC_SHA-256(secret, epoch || sequence || savedHandle || hierarchy || encrypted)
 * where secret is the hierarchy's proof (for sessions, the NULL proof), and
 * for sessions and NULL-hierarchy objects also the per-boot context nonce.
 * The proof of a hierarchy changes when it is cleared, the NULL proof and
 * the nonce at every TPM Reset; epoch adds the reset count for sessions and
 * NULL-hierarchy objects and the restart count for stClear objects, so a
 * blob dies with what it belongs to.  A saved session keeps its slot (state
 * SAVED, with the sequence number of its one valid blob), so an old blob of
 * a session cannot be replayed. */
#include <string.h>

#include "tpm/tpm_keys.h"

#define CONTEXT_HASH      TPM_ALG_SHA256
#define CONTEXT_HMAC_SIZE 32
#define CONTEXT_KEY_BITS  256
#define SAVED_OBJECT      0x80000000u
#define SAVED_SEQUENCE    0x80000001u
#define SAVED_STCLEAR     0x80000002u

#define PAYLOAD_VERSION  1
#define PAYLOAD_OBJECT   1
#define PAYLOAD_SEQUENCE 2
#define PAYLOAD_SESSION  3

#define OBJ_HAS_SENSITIVE 0x01
#define OBJ_EXTERNAL      0x02
#define OBJ_PRIMARY       0x04
#define OBJ_STCLEAR       0x08

#define OWNER_PERSISTENT_LAST 0x817fffffu

/* A TPMS_CONTEXT. */
struct ctx {
	uint64_t sequence;
	uint32_t handle;
	uint32_t hierarchy;
	uint16_t blob_size;
	uint8_t blob[TPM_MAX_CONTEXT];
};

static uint8_t handle_type(uint32_t h)
{
	return (uint8_t)(h >> TPM_HR_SHIFT);
}

static bool is_session_handle(uint32_t h)
{
	return handle_type(h) == TPM_HT_HMAC_SESSION || handle_type(h) == TPM_HT_POLICY_SESSION;
}

static void put_be64(uint8_t *p, uint64_t v)
{
	tpm_put_be32(p, (uint32_t)(v >> 32));
	tpm_put_be32(p + 4, (uint32_t)v);
}

/* ---- blob protection ---- */

/* The secret behind a context: the hierarchy's proof, and for what dies
 * with a TPM Reset (sessions, NULL hierarchy) also the per-boot context
 * nonce.  The nonce is made here if Startup never made one (a TPM resumed
 * from saved state in a new context), so such blobs never rest on a
 * predictable key. */
static tpm_rc context_secret(struct tpm *t, const struct ctx *cx, uint8_t *key, size_t *len)
{
	const uint8_t *proof = tpm_hierarchy_proof(t, cx->hierarchy);
	static const uint8_t zero[sizeof(t->context_nonce)];

	if (!proof)
		return TPM_RC_VALUE;
	memcpy(key, proof, TPM_PROOF_SIZE);
	*len = TPM_PROOF_SIZE;
	if (!is_session_handle(cx->handle) && cx->hierarchy != TPM_RH_NULL)
		return TPM_RC_SUCCESS;
	if (!memcmp(t->context_nonce, zero, sizeof(zero)))
		TPM_TRY(tpm_random(t, t->context_nonce, sizeof(t->context_nonce)));
	memcpy(key + TPM_PROOF_SIZE, t->context_nonce, sizeof(t->context_nonce));
	*len += sizeof(t->context_nonce);
	return TPM_RC_SUCCESS;
}

#define CONTEXT_SECRET_MAX (TPM_PROOF_SIZE + 32)

static tpm_rc context_key(struct tpm *t, const struct ctx *cx, uint8_t kiv[CONTEXT_KEY_BITS / 8 + 16])
{
	uint8_t secret[CONTEXT_SECRET_MAX], seq[8], h[4];
	size_t slen;
	tpm_rc rc;

	_Static_assert(sizeof(t->context_nonce) <= 32, "context nonce");
	TPM_TRY(context_secret(t, cx, secret, &slen));
	put_be64(seq, cx->sequence);
	tpm_put_be32(h, cx->handle);
	rc = tpm_kdfa(CONTEXT_HASH, secret, slen, "CONTEXT", seq, 8, h, 4, CONTEXT_KEY_BITS + 128, kiv);
	crypto_wipe(secret, sizeof(secret));
	return rc;
}

static tpm_rc context_hmac(struct tpm *t, const struct ctx *cx, const uint8_t *enc, size_t len, uint8_t *out)
{
	uint8_t secret[CONTEXT_SECRET_MAX];
	uint32_t reset = 0, restart = 0;
	uint8_t hdr[8 + 8 + 4 + 4];
	size_t slen;
	tpm_rc rc;

	TPM_TRY(context_secret(t, cx, secret, &slen));
	if (is_session_handle(cx->handle) || cx->hierarchy == TPM_RH_NULL)
		reset = t->nv.reset_count;
	if (cx->handle == SAVED_STCLEAR) {
		reset = t->nv.reset_count;
		restart = t->nv.restart_count;
	}
	tpm_put_be32(hdr, reset);
	tpm_put_be32(hdr + 4, restart);
	put_be64(hdr + 8, cx->sequence);
	tpm_put_be32(hdr + 16, cx->handle);
	tpm_put_be32(hdr + 20, cx->hierarchy);
	{
		struct tpm_part parts[2] = { { hdr, sizeof(hdr) }, { enc, len } };

		rc = tpm_hmac_parts(CONTEXT_HASH, secret, slen, parts, 2, out);
	}
	crypto_wipe(secret, sizeof(secret));
	return rc;
}

/* Where the payload goes in cx->blob, and how much room it has. */
#define PAYLOAD_AT  (2 + CONTEXT_HMAC_SIZE + 8)
#define PAYLOAD_MAX (TPM_MAX_CONTEXT - PAYLOAD_AT)

/* Completes cx->blob around the len payload bytes at PAYLOAD_AT; cx's
 * other fields are set. */
static tpm_rc context_seal(struct tpm *t, struct ctx *cx, size_t len)
{
	uint8_t kiv[CONTEXT_KEY_BITS / 8 + 16];
	uint8_t *enc = cx->blob + 2 + CONTEXT_HMAC_SIZE;
	size_t enc_len = 8 + len;
	tpm_rc rc;

	if (len > PAYLOAD_MAX)
		return TPM_RC_FAILURE;
	put_be64(enc, cx->sequence);
	rc = context_key(t, cx, kiv);
	if (!rc)
		rc = tpm_aes_cfb(kiv, CONTEXT_KEY_BITS, kiv + CONTEXT_KEY_BITS / 8, true, enc, enc_len);
	if (!rc)
		rc = context_hmac(t, cx, enc, enc_len, cx->blob + 2);
	crypto_wipe(kiv, sizeof(kiv));
	if (rc) {
		crypto_wipe(cx->blob, sizeof(cx->blob));
		return rc;
	}
	tpm_put_be16(cx->blob, CONTEXT_HMAC_SIZE);
	cx->blob_size = (uint16_t)(2 + CONTEXT_HMAC_SIZE + enc_len);
	return TPM_RC_SUCCESS;
}

/* Checks and decrypts cx->blob in place; *payload points into it.  Codes
 * without the parameter number. */
static tpm_rc context_open(struct tpm *t, struct ctx *cx, const uint8_t **payload, size_t *len)
{
	uint8_t kiv[CONTEXT_KEY_BITS / 8 + 16], mac[CONTEXT_HMAC_SIZE];
	uint8_t *enc = cx->blob + 2 + CONTEXT_HMAC_SIZE;
	size_t enc_len;
	uint8_t seq[8];
	tpm_rc rc;

	if (cx->blob_size < 2 + CONTEXT_HMAC_SIZE + 8 || tpm_be16(cx->blob) != CONTEXT_HMAC_SIZE)
		return TPM_RC_INTEGRITY;
	enc_len = cx->blob_size - 2 - CONTEXT_HMAC_SIZE;
	rc = context_hmac(t, cx, enc, enc_len, mac);
	if (rc)
		return rc;
	if (tpm_ct_compare(mac, cx->blob + 2, CONTEXT_HMAC_SIZE))
		return TPM_RC_INTEGRITY;
	rc = context_key(t, cx, kiv);
	if (!rc)
		rc = tpm_aes_cfb(kiv, CONTEXT_KEY_BITS, kiv + CONTEXT_KEY_BITS / 8, false, enc, enc_len);
	crypto_wipe(kiv, sizeof(kiv));
	if (rc)
		return rc;
	put_be64(seq, cx->sequence);
	if (memcmp(seq, enc, 8))
		return TPM_RC_INTEGRITY;
	*payload = enc + 8;
	*len = enc_len - 8;
	return TPM_RC_SUCCESS;
}

static void w_context(struct tpm_w *w, const struct ctx *cx)
{
	tpm_w_u64(w, cx->sequence);
	tpm_w_u32(w, cx->handle);
	tpm_w_u32(w, cx->hierarchy);
	tpm_w_2b(w, cx->blob, cx->blob_size);
}

/* ---- payloads ---- */

static void w_object(struct tpm_w *w, const struct tpm_object *o)
{
	uint8_t flags = (uint8_t)((o->has_sensitive ? OBJ_HAS_SENSITIVE : 0) | (o->external ? OBJ_EXTERNAL : 0) |
				  (o->primary ? OBJ_PRIMARY : 0) | (o->stclear ? OBJ_STCLEAR : 0));

	tpm_w_u8(w, PAYLOAD_VERSION);
	tpm_w_u8(w, PAYLOAD_OBJECT);
	tpm_w_u8(w, flags);
	tpm_w_u32(w, o->hierarchy);
	tpm_w_2b_public(w, &o->pub);
	if (o->has_sensitive) {
		size_t at = tpm_w_reserve(w, 2);

		tpm_w_sensitive(w, &o->sens);
		tpm_w_patch_u16(w, at, (uint16_t)(w->pos - at - 2));
	}
	tpm_w_name(w, &o->qualified_name);
}

static tpm_rc r_object(struct tpm_r *r, struct tpm_object *o)
{
	uint8_t flags;
	uint16_t size;

	TPM_TRY(tpm_r_u8(r, &flags));
	TPM_TRY(tpm_r_u32(r, &o->hierarchy));
	TPM_TRY(tpm_r_2b_public(r, &o->pub, true));
	o->has_sensitive = flags & OBJ_HAS_SENSITIVE;
	o->external = flags & OBJ_EXTERNAL;
	o->primary = flags & OBJ_PRIMARY;
	o->stclear = flags & OBJ_STCLEAR;
	if (o->has_sensitive) {
		struct tpm_r sub;

		TPM_TRY(tpm_r_u16(r, &size));
		if (size > tpm_r_left(r))
			return TPM_RC_INSUFFICIENT;
		tpm_r_init(&sub, r->p + r->pos, size);
		r->pos += size;
		TPM_TRY(tpm_r_sensitive(&sub, &o->sens));
		if (tpm_r_left(&sub) || o->sens.type != o->pub.type)
			return TPM_RC_INTEGRITY;
	}
	TPM_TRY(tpm_r_name(r, &o->qualified_name));
	return tpm_object_compute_name(&o->pub, &o->name);
}

/* Bytes of the mbedTLS digest state behind a hash context. */
/* A sequence: its structure as it is.  Its hash contexts are plain digest
 * states without pointers (tpm_crypto.h), so the bytes are the state; only
 * this binary reads them back (the blob is authenticated). */
static void w_sequence(struct tpm_w *w, const struct tpm_object *o)
{
	tpm_w_u8(w, PAYLOAD_VERSION);
	tpm_w_u8(w, PAYLOAD_SEQUENCE);
	tpm_w_u8(w, o->kind);
	tpm_w_digest(w, &o->seq_auth);
	tpm_w_u16(w, (uint16_t)sizeof(*o->seq));
	tpm_w_bytes(w, o->seq, sizeof(*o->seq));
}

static tpm_rc r_sequence(struct tpm *t, struct tpm_r *r, struct tpm_object *o)
{
	struct tpm_seq *seq;
	uint16_t size;

	TPM_TRY(tpm_r_u8(r, &o->kind));
	if (o->kind != TPM_OBJ_HASH_SEQ && o->kind != TPM_OBJ_HMAC_SEQ && o->kind != TPM_OBJ_EVENT_SEQ)
		return TPM_RC_INTEGRITY;
	TPM_TRY(tpm_r_digest(r, &o->seq_auth));
	TPM_TRY(tpm_r_u16(r, &size));
	if (size != sizeof(*seq) || tpm_r_left(r) != size)
		return TPM_RC_INTEGRITY;
	seq = tpm_alloc(t, sizeof(*seq));
	if (!seq)
		return TPM_RC_MEMORY;
	o->seq = seq; /* released with the object on failure */
	TPM_TRY(tpm_r_bytes(r, (uint8_t *)seq, sizeof(*seq)));
	/* Authenticated, but still checked: a hash state must name a hash. */
	for (unsigned i = 0; i < TPM_NUM_BANKS; i++) {
		const struct tpm_hash *h = &seq->h[i];
		uint8_t active, hmac;

		memcpy(&active, &h->active, 1);
		memcpy(&hmac, &h->hmac, 1);
		if (active > 1 || hmac > 1 || (active && !tpm_alg_is_hash(h->alg)))
			return TPM_RC_INTEGRITY;
	}
	o->hierarchy = TPM_RH_NULL;
	o->pub.type = TPM_ALG_NULL;
	o->pub.name_alg = TPM_ALG_NULL;
	o->pub.attributes = TPMA_OBJECT_NODA;
	o->name.size = 0;
	o->qualified_name.size = 0;
	return TPM_RC_SUCCESS;
}

/* ---- ContextSave ---- */

/* Saving a session must keep every saved session within the distance the
 * spec lets a TPM track (TPM_RC_CONTEXT_GAP). */
static bool context_gap_ok(struct tpm *t, uint64_t next)
{
	for (unsigned i = 0; i < TPM_MAX_SESSIONS; i++) {
		const struct tpm_session *s = &t->sessions[i];

		if (s->state == TPM_SESSION_SAVED && next - s->context_seq > TPM_CONTEXT_GAP_MAX)
			return false;
	}
	return true;
}

static tpm_rc save_session(struct tpm_cmd *c, struct tpm_session *s, struct ctx *cx)
{
	struct tpm *t = c->t;
	uint8_t *payload = cx->blob + PAYLOAD_AT;
	uint32_t handle = s->handle;
	uint8_t type = s->type;
	tpm_rc rc;

	if (s->state != TPM_SESSION_LOADED)
		return tpm_rc_handle(TPM_RC_REFERENCE_H0, 1);
	if (!context_gap_ok(t, t->context_counter + 1))
		return TPM_RC_CONTEXT_GAP;
	cx->sequence = ++t->context_counter;
	cx->handle = handle;
	cx->hierarchy = TPM_RH_NULL;
	_Static_assert(4 + sizeof(*s) <= PAYLOAD_MAX, "session context too large");
	payload[0] = PAYLOAD_VERSION;
	payload[1] = PAYLOAD_SESSION;
	tpm_put_be16(payload + 2, (uint16_t)sizeof(*s));
	/* A session is plain data, valid only until the next TPM Reset, so
	 * its bytes as they are make the payload. */
	memcpy(payload + 4, s, sizeof(*s));
	rc = context_seal(t, cx, 4 + sizeof(*s));
	if (rc)
		return rc;
	/* The slot stays reserved; the session itself lives in the blob. */
	crypto_wipe(s, sizeof(*s));
	s->state = TPM_SESSION_SAVED;
	s->handle = handle;
	s->type = type;
	s->context_seq = cx->sequence;
	return TPM_RC_SUCCESS;
}

static tpm_rc save_object(struct tpm_cmd *c, struct tpm_object *o, struct ctx *cx)
{
	struct tpm *t = c->t;
	struct tpm_w w;

	if (o->kind == TPM_OBJ_KEY)
		cx->handle = o->stclear ? SAVED_STCLEAR : SAVED_OBJECT;
	else
		cx->handle = SAVED_SEQUENCE;
	cx->hierarchy = o->hierarchy;
	tpm_w_init(&w, cx->blob + PAYLOAD_AT, PAYLOAD_MAX);
	if (o->kind == TPM_OBJ_KEY)
		w_object(&w, o);
	else
		w_sequence(&w, o);
	if (!tpm_w_ok(&w))
		return TPM_RC_FAILURE;
	cx->sequence = ++t->context_counter;
	return context_seal(t, cx, w.pos);
}

TPM_HANDLER(ContextSave)
{
	struct tpm *t = c->t;
	uint32_t h = c->handles[0];
	struct ctx cx;
	tpm_rc rc;

	TPM_IN_DONE(c);
	memset(&cx, 0, sizeof(cx));
	if (is_session_handle(h))
		rc = save_session(c, tpm_session_find(t, h), &cx);
	else
		rc = save_object(c, tpm_object_find(t, h), &cx);
	if (!rc)
		w_context(&c->out, &cx);
	crypto_wipe(&cx, sizeof(cx));
	return rc;
}

/* ---- ContextLoad ---- */

static tpm_rc r_context(struct tpm_r *r, struct ctx *cx)
{
	uint32_t h;

	TPM_TRY(tpm_r_u64(r, &cx->sequence));
	TPM_TRY(tpm_r_u32(r, &cx->handle));
	h = cx->handle;
	if (is_session_handle(h) ? (h & TPM_HR_HANDLE_MASK) >= TPM_MAX_SESSIONS
				 : h != SAVED_OBJECT && h != SAVED_SEQUENCE && h != SAVED_STCLEAR)
		return TPM_RC_VALUE;
	TPM_TRY(tpm_r_u32(r, &cx->hierarchy));
	if (cx->hierarchy != TPM_RH_OWNER && cx->hierarchy != TPM_RH_ENDORSEMENT &&
	    cx->hierarchy != TPM_RH_PLATFORM && cx->hierarchy != TPM_RH_NULL)
		return TPM_RC_VALUE;
	return tpm_r_2b(r, cx->blob, &cx->blob_size, sizeof(cx->blob));
}

static tpm_rc load_session(struct tpm_cmd *c, struct ctx *cx, const uint8_t *payload, size_t len)
{
	struct tpm_session *s = tpm_session_find(c->t, cx->handle);

	if (!s || s->state != TPM_SESSION_SAVED || s->context_seq != cx->sequence)
		return tpm_rc_param(TPM_RC_HANDLE, 1);
	if (len != 4 + sizeof(*s) || payload[0] != PAYLOAD_VERSION || payload[1] != PAYLOAD_SESSION ||
	    tpm_be16(payload + 2) != sizeof(*s))
		return tpm_rc_param(TPM_RC_INTEGRITY, 1);
	memcpy(s, payload + 4, sizeof(*s));
	s->state = TPM_SESSION_LOADED;
	s->handle = cx->handle;
	s->context_seq = 0;
	c->out_handle = s->handle;
	return TPM_RC_SUCCESS;
}

static tpm_rc load_object(struct tpm_cmd *c, struct ctx *cx, const uint8_t *payload, size_t len)
{
	struct tpm *t = c->t;
	struct tpm_object *o = tpm_object_alloc(t);
	struct tpm_r r;
	uint8_t version, kind;
	tpm_rc rc;

	if (!o)
		return TPM_RC_OBJECT_MEMORY;
	tpm_r_init(&r, payload, len);
	rc = tpm_r_u8(&r, &version);
	if (!rc)
		rc = tpm_r_u8(&r, &kind);
	if (!rc && (version != PAYLOAD_VERSION ||
		    (kind == PAYLOAD_OBJECT) == (cx->handle == SAVED_SEQUENCE) ||
		    (kind != PAYLOAD_OBJECT && kind != PAYLOAD_SEQUENCE)))
		rc = TPM_RC_INTEGRITY;
	if (!rc && kind == PAYLOAD_OBJECT) {
		rc = r_object(&r, o);
		o->kind = TPM_OBJ_KEY;
		if (!rc && (o->hierarchy != cx->hierarchy || o->stclear != (cx->handle == SAVED_STCLEAR)))
			rc = TPM_RC_INTEGRITY;
	} else if (!rc) {
		rc = r_sequence(t, &r, o);
		if (!rc && cx->hierarchy != TPM_RH_NULL)
			rc = TPM_RC_INTEGRITY;
	}
	if (!rc && tpm_r_left(&r))
		rc = TPM_RC_INTEGRITY;
	if (rc) {
		/* Whatever was restored goes; the blob was authentic, so this
		 * is a blob from another build of husk. */
		tpm_object_release(t, o);
		return rc == TPM_RC_MEMORY || rc == TPM_RC_OBJECT_MEMORY ? rc : tpm_rc_param(TPM_RC_INTEGRITY, 1);
	}
	c->out_handle = o->handle;
	return TPM_RC_SUCCESS;
}

/* The first checks of the reference implementation's ContextLoad, in its
 * order: the integrity value is unmarshaled from the blob as a TPM2B_DIGEST
 * (its errors returned as they are, without a parameter number, as the
 * reference code does), must have the integrity HMAC's size, and must be
 * followed by at least the sequence number. */
static tpm_rc context_blob_check(const struct ctx *cx)
{
	struct tpm2b_digest integrity;
	struct tpm_r r;
	tpm_rc rc;

	tpm_r_init(&r, cx->blob, cx->blob_size);
	rc = tpm_r_digest(&r, &integrity);
	if (rc)
		return rc;
	if (integrity.size != CONTEXT_HMAC_SIZE || tpm_r_left(&r) < 8)
		return tpm_rc_param(TPM_RC_SIZE, 1);
	return TPM_RC_SUCCESS;
}

TPM_HANDLER(ContextLoad)
{
	struct tpm *t = c->t;
	const uint8_t *payload = NULL;
	struct ctx cx;
	size_t len = 0;
	tpm_rc rc;

	memset(&cx, 0, sizeof(cx));
	rc = tpm_rc_param(r_context(&c->in, &cx), 1);
	if (!rc)
		rc = tpm_in_done(c);
	if (!rc)
		rc = context_blob_check(&cx);
	if (!rc && is_session_handle(cx.handle) && cx.hierarchy != TPM_RH_NULL)
		rc = tpm_rc_param(TPM_RC_INTEGRITY, 1);
	if (!rc)
		rc = tpm_rc_param(context_open(t, &cx, &payload, &len), 1);
	/* A context whose integrity holds, of a disabled hierarchy. */
	if (!rc && !is_session_handle(cx.handle) && !tpm_hierarchy_enabled(t, cx.hierarchy))
		rc = tpm_rc_param(TPM_RC_HIERARCHY, 1);
	if (!rc)
		rc = is_session_handle(cx.handle) ? load_session(c, &cx, payload, len)
						  : load_object(c, &cx, payload, len);
	crypto_wipe(&cx, sizeof(cx));
	return rc;
}

/* ---- FlushContext ---- */

TPM_HANDLER(FlushContext)
{
	struct tpm *t = c->t;
	uint32_t h;
	uint8_t ht;

	TPM_IN(1, tpm_r_u32(&c->in, &h));
	ht = handle_type(h);
	/* TPMI_DH_CONTEXT: the handle ranges husk implements. */
	if (ht == TPM_HT_TRANSIENT ? (h & TPM_HR_HANDLE_MASK) >= TPM_MAX_OBJECTS
				   : !is_session_handle(h) || (h & TPM_HR_HANDLE_MASK) >= TPM_MAX_SESSIONS)
		return tpm_rc_param(TPM_RC_VALUE, 1);
	TPM_IN_DONE(c);
	if (ht == TPM_HT_TRANSIENT) {
		struct tpm_object *o = tpm_object_find(t, h);

		if (!o)
			return tpm_rc_param(TPM_RC_HANDLE, 1);
		tpm_object_release(t, o);
	} else {
		struct tpm_session *s = tpm_session_find(t, h);

		if (!s)
			return tpm_rc_param(TPM_RC_HANDLE, 1);
		tpm_session_release(t, s);
	}
	return TPM_RC_SUCCESS;
}

/* ---- EvictControl ---- */

static tpm_rc evict_out(struct tpm *t, struct tpm_object *o)
{
	struct tpm_persistent *nv = &t->nv;
	uint32_t i = (uint32_t)(o - nv->persistent);

	tpm_key_cache_free(t, o);
	for (; i + 1 < nv->persistent_count; i++)
		nv->persistent[i] = nv->persistent[i + 1];
	nv->persistent_count--;
	crypto_wipe(&nv->persistent[nv->persistent_count], sizeof(nv->persistent[0]));
	tpm_mark_nv(t);
	return TPM_RC_SUCCESS;
}

TPM_HANDLER(EvictControl)
{
	struct tpm *t = c->t;
	uint32_t auth = c->handles[0];
	struct tpm_object *o = tpm_object_find(t, c->handles[1]);
	struct tpm_object *p;
	uint32_t ph;
	bool evicted;

	TPM_IN(1, tpm_r_u32(&c->in, &ph));
	if (handle_type(ph) != TPM_HT_PERSISTENT)
		return tpm_rc_param(TPM_RC_VALUE, 1);
	TPM_IN_DONE(c);
	/* Objects that do not outlive a TPM Reset or Restart, or whose
	 * sensitive area the TPM did not make, cannot be persistent. */
	if (o->kind != TPM_OBJ_KEY || o->external || !o->has_sensitive || o->stclear ||
	    o->hierarchy == TPM_RH_NULL)
		return tpm_rc_handle(TPM_RC_ATTRIBUTES, 2);
	evicted = handle_type(o->handle) == TPM_HT_PERSISTENT;
	if (evicted && o->handle != ph)
		return tpm_rc_handle(TPM_RC_HANDLE, 2);
	if (auth == TPM_RH_PLATFORM) {
		/* The platform may remove any persistent object, but persist
		 * only its own, in its own range. */
		if (!evicted && o->hierarchy != TPM_RH_PLATFORM)
			return tpm_rc_handle(TPM_RC_HIERARCHY, 2);
		if (!evicted && ph <= OWNER_PERSISTENT_LAST)
			return tpm_rc_param(TPM_RC_RANGE, 1);
	} else {
		if (o->hierarchy == TPM_RH_PLATFORM)
			return tpm_rc_handle(TPM_RC_HIERARCHY, 2);
		if (!evicted && ph > OWNER_PERSISTENT_LAST)
			return tpm_rc_param(TPM_RC_RANGE, 1);
	}
	if (evicted)
		return evict_out(t, o);
	if (tpm_object_find(t, ph))
		return TPM_RC_NV_DEFINED;
	if (t->nv.persistent_count >= TPM_MAX_PERSISTENT)
		return TPM_RC_NV_SPACE;
	p = &t->nv.persistent[t->nv.persistent_count++];
	*p = *o;
	p->handle = ph;
	p->key = NULL; /* the transient copy keeps its cache */
	p->seq = NULL;
	tpm_mark_nv(t);
	return TPM_RC_SUCCESS;
}
