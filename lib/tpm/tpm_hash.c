/* Hashing commands: Hash and HMAC in one shot, hash/HMAC/event sequences
 * (HashSequenceStart, HMAC_Start, SequenceUpdate, SequenceComplete,
 * EventSequenceComplete), and the tickets (TPMT_TK_*) that let the TPM
 * later trust a digest it computed itself.
 *
 * A hash ticket says "the TPM hashed this data, and the data did not start
 * with TPM_GENERATED_VALUE": that is what lets a restricted signing key sign
 * the digest without being usable to forge TPM attestations. */
#include <string.h>

#include "tpm/tpm_internal.h"


/* ---- tickets ---- */

tpm_rc tpm_ticket_compute(struct tpm *t, uint16_t tag, uint32_t hierarchy, const struct tpm_part *parts,
			  size_t n, struct tpm_ticket *tk)
{
	const uint8_t *proof = tpm_hierarchy_proof(t, hierarchy);
	struct tpm_hash h;
	uint8_t tag_be[2];
	tpm_rc rc;

	tk->tag = tag;
	tk->hierarchy = hierarchy;
	tk->digest.size = 0;
	if (!proof)
		return TPM_RC_VALUE;
	rc = tpm_hmac_start(&h, TPM_TICKET_HASH, proof, TPM_PROOF_SIZE);
	if (rc)
		return rc;
	tpm_put_be16(tag_be, tag);
	tpm_hash_update(&h, tag_be, sizeof(tag_be));
	for (size_t i = 0; i < n; i++)
		tpm_hash_update(&h, parts[i].p, parts[i].len);
	tpm_hash_finish(&h, tk->digest.b);
	tk->digest.size = tpm_hash_size(TPM_TICKET_HASH);
	return TPM_RC_SUCCESS;
}

void tpm_ticket_null(uint16_t tag, struct tpm_ticket *tk)
{
	tk->tag = tag;
	tk->hierarchy = TPM_RH_NULL;
	tk->digest.size = 0;
}

bool tpm_ticket_check(struct tpm *t, const struct tpm_ticket *tk, uint16_t tag, const struct tpm_part *parts,
		      size_t n)
{
	struct tpm_ticket want;
	bool ok;

	if (tk->tag != tag || tpm_ticket_compute(t, tag, tk->hierarchy, parts, n, &want))
		return false;
	ok = tk->digest.size == want.digest.size &&
	     tpm_ct_compare(tk->digest.b, want.digest.b, want.digest.size) == 0;
	crypto_wipe(&want, sizeof(want));
	return ok;
}

/* TPMT_TK_HASHCHECK of a digest made with alg: HMAC over the tag, the hash
 * algorithm and the digest (binding the algorithm, as the reference
 * implementation does). */
static tpm_rc hashcheck_ticket(struct tpm *t, uint32_t hierarchy, uint16_t alg, const uint8_t *digest,
			       struct tpm_ticket *tk)
{
	uint8_t alg_be[2];
	struct tpm_part parts[2];

	tpm_put_be16(alg_be, alg);
	parts[0] = (struct tpm_part){ alg_be, 2 };
	parts[1] = (struct tpm_part){ digest, tpm_hash_size(alg) };
	return tpm_ticket_compute(t, TPM_ST_HASHCHECK, hierarchy, parts, 2, tk);
}

/* Whether data may be vouched for by a ticket: it must be long enough to
 * be checked and must not start with TPM_GENERATED_VALUE (which would let
 * a restricted key sign something that looks like a TPM attestation). */
static bool ticket_safe(const uint8_t *data, size_t len)
{
	return len >= 4 && tpm_be32(data) != TPM_GENERATED_VALUE;
}

/* TPMI_RH_HIERARCHY+ as a parameter (no enabled check, as for tickets the
 * reference implementation does none). */
static tpm_rc r_hierarchy(struct tpm_r *r, uint32_t *h)
{
	size_t start = r->pos;
	tpm_rc rc = tpm_r_u32(r, h);

	if (rc)
		return rc;
	if (*h == TPM_RH_OWNER || *h == TPM_RH_ENDORSEMENT || *h == TPM_RH_PLATFORM || *h == TPM_RH_NULL)
		return TPM_RC_SUCCESS;
	r->pos = start;
	return TPM_RC_VALUE;
}

/* ---- Hash ---- */

TPM_HANDLER(Hash)
{
	struct tpm2b_buffer data;
	struct tpm2b_digest out;
	struct tpm_ticket tk;
	uint16_t alg;
	uint32_t hierarchy;

	TPM_IN(1, tpm_r_buffer(&c->in, &data, TPM_MAX_BUFFER));
	TPM_IN(2, tpm_r_hash_alg(&c->in, &alg, false));
	TPM_IN(3, r_hierarchy(&c->in, &hierarchy));
	TPM_IN_DONE(c);

	TPM_TRY(tpm_hash_buf(alg, data.b, data.size, &out));
	/* Short data cannot start with TPM_GENERATED_VALUE: it gets a ticket
	 * (unlike a sequence's short first block, see SequenceUpdate). */
	if (hierarchy == TPM_RH_NULL || (data.size >= 4 && !ticket_safe(data.b, data.size)))
		tpm_ticket_null(TPM_ST_HASHCHECK, &tk);
	else
		TPM_TRY(hashcheck_ticket(c->t, hierarchy, alg, out.b, &tk));
	tpm_w_digest(&c->out, &out);
	tpm_w_ticket(&c->out, &tk);
	return TPM_RC_SUCCESS;
}

/* ---- HMAC keys ---- */

/* TPMI_ALG_MAC_SCHEME+: a hash husk implements or TPM_ALG_NULL (husk has
 * no block-cipher MACs); anything else is TPM_RC_SYMMETRIC, the type's
 * error code. */
static tpm_rc r_mac_scheme(struct tpm_r *r, uint16_t *alg)
{
	size_t start = r->pos;
	tpm_rc rc = tpm_r_u16(r, alg);

	if (rc)
		return rc;
	if (*alg == TPM_ALG_NULL || tpm_alg_is_hash(*alg))
		return TPM_RC_SUCCESS;
	r->pos = start;
	return TPM_RC_SYMMETRIC;
}

/* The hash for HMAC and HMAC_Start, checked in the reference
 * implementation's order: the key's own MAC (scheme) wins and a different
 * requested one is TPM_RC_VALUE; the result must be an HMAC of a keyedhash
 * key (TPM_RC_SCHEME otherwise); then the key must be an unrestricted
 * signing key. */
static tpm_rc hmac_key(const struct tpm_object *o, uint16_t *mac)
{
	const struct tpm_public *pub = &o->pub;
	uint16_t key_mac = TPM_ALG_NULL;

	if (o->kind != TPM_OBJ_KEY)
		return tpm_rc_handle(TPM_RC_TYPE, 1);
	switch (pub->type) {
	case TPM_ALG_KEYEDHASH:
		if (pub->scheme.alg != TPM_ALG_NULL)
			key_mac = pub->scheme.hash;
		break;
	case TPM_ALG_SYMCIPHER:
		if (pub->symmetric.alg != TPM_ALG_NULL)
			key_mac = pub->symmetric.mode;
		break;
	default:
		return tpm_rc_handle(TPM_RC_TYPE, 1);
	}
	if (*mac == TPM_ALG_NULL) {
		if (key_mac == TPM_ALG_NULL)
			return tpm_rc_param(TPM_RC_VALUE, 2);
		*mac = key_mac;
	} else if (key_mac != TPM_ALG_NULL && key_mac != *mac) {
		return tpm_rc_param(TPM_RC_VALUE, 2);
	}
	if (pub->type != TPM_ALG_KEYEDHASH || !tpm_alg_is_hash(*mac))
		return tpm_rc_param(TPM_RC_SCHEME, 2);
	if (pub->attributes & TPMA_OBJECT_RESTRICTED)
		return tpm_rc_handle(TPM_RC_ATTRIBUTES, 1);
	if (!(pub->attributes & TPMA_OBJECT_SIGN_ENCRYPT))
		return tpm_rc_handle(TPM_RC_KEY, 1);
	/* Authorization needs the sensitive area, so this only guards
	 * against a public-only object getting this far. */
	if (!o->has_sensitive)
		return TPM_RC_AUTH_UNAVAILABLE;
	return TPM_RC_SUCCESS;
}

TPM_HANDLER(HMAC)
{
	struct tpm_object *o = tpm_object_find(c->t, c->handles[0]);
	struct tpm2b_buffer data;
	struct tpm2b_digest out;
	struct tpm_part part;
	uint16_t alg;

	TPM_IN(1, tpm_r_buffer(&c->in, &data, TPM_MAX_BUFFER));
	TPM_IN(2, r_mac_scheme(&c->in, &alg));
	TPM_IN_DONE(c);
	if (!o)
		return tpm_rc_handle(TPM_RC_HANDLE, 1);
	TPM_TRY(hmac_key(o, &alg));

	part = (struct tpm_part){ data.b, data.size };
	TPM_TRY(tpm_hmac_parts(alg, o->sens.secret.b, o->sens.secret.size, &part, 1, out.b));
	out.size = tpm_hash_size(alg);
	tpm_w_digest(&c->out, &out);
	return TPM_RC_SUCCESS;
}

/* ---- sequences ---- */

static void seq_free(struct tpm *t, struct tpm_seq *seq)
{
	for (unsigned i = 0; i < TPM_NUM_BANKS; i++)
		tpm_hash_free(&seq->h[i]);
	tpm_free(t, seq);
}

/* A sequence object in a free slot; *o stays FREE until the caller marks it. */
static tpm_rc seq_alloc(struct tpm *t, struct tpm_object **o, struct tpm_seq **seq)
{
	*o = tpm_object_alloc(t);
	if (!*o)
		return TPM_RC_OBJECT_MEMORY;
	*seq = tpm_alloc(t, sizeof(**seq));
	return *seq ? TPM_RC_SUCCESS : TPM_RC_MEMORY;
}

/* Makes the slot a live sequence.  A sequence has no Name (the Empty
 * Buffer), is authorized by its auth value only, is never DA-protected and
 * lives in the NULL hierarchy (flushed at TPM Reset, never persisted). */
static void seq_install(struct tpm_object *o, struct tpm_seq *seq, uint8_t kind,
			const struct tpm2b_digest *auth)
{
	o->kind = kind;
	o->seq = seq;
	o->hierarchy = TPM_RH_NULL;
	o->pub.type = TPM_ALG_NULL;
	o->pub.name_alg = TPM_ALG_NULL;
	o->pub.attributes = TPMA_OBJECT_NODA;
	o->name.size = 0;
	o->qualified_name.size = 0;
	o->seq_auth = *auth;
}

TPM_HANDLER(HashSequenceStart)
{
	struct tpm *t = c->t;
	struct tpm2b_digest auth;
	struct tpm_object *o;
	struct tpm_seq *seq;
	uint16_t alg;
	tpm_rc rc;

	TPM_IN(1, tpm_r_digest(&c->in, &auth));
	TPM_IN(2, tpm_r_hash_alg(&c->in, &alg, true));
	TPM_IN_DONE(c);

	rc = seq_alloc(t, &o, &seq);
	if (rc)
		goto out;
	if (alg == TPM_ALG_NULL) {
		/* Event sequence: every implemented hash, so the result can
		 * extend any bank that is (or will be) allocated. */
		for (unsigned i = 0; !rc && i < TPM_NUM_BANKS; i++)
			rc = tpm_hash_start(&seq->h[i], tpm_bank_alg(i));
	} else {
		rc = tpm_hash_start(&seq->h[0], alg);
	}
	if (rc) {
		seq_free(t, seq);
		goto out;
	}
	seq_install(o, seq, alg == TPM_ALG_NULL ? TPM_OBJ_EVENT_SEQ : TPM_OBJ_HASH_SEQ, &auth);
	c->out_handle = o->handle;
out:
	crypto_wipe(&auth, sizeof(auth));
	return rc;
}

TPM_HANDLER(HMAC_Start)
{
	struct tpm *t = c->t;
	struct tpm_object *key = tpm_object_find(t, c->handles[0]), *o;
	struct tpm2b_digest auth;
	struct tpm_seq *seq;
	uint16_t alg;
	tpm_rc rc;

	TPM_IN(1, tpm_r_digest(&c->in, &auth));
	TPM_IN(2, r_mac_scheme(&c->in, &alg));
	TPM_IN_DONE(c);
	if (!key) {
		rc = tpm_rc_handle(TPM_RC_HANDLE, 1);
		goto out;
	}
	rc = hmac_key(key, &alg);
	if (rc)
		goto out;
	rc = seq_alloc(t, &o, &seq);
	if (rc)
		goto out;
	rc = tpm_hmac_start(&seq->h[0], alg, key->sens.secret.b, key->sens.secret.size);
	if (rc) {
		seq_free(t, seq);
		goto out;
	}
	seq_install(o, seq, TPM_OBJ_HMAC_SEQ, &auth);
	c->out_handle = o->handle;
out:
	crypto_wipe(&auth, sizeof(auth));
	return rc;
}

static bool is_sequence(const struct tpm_object *o)
{
	return o && o->seq &&
	       (o->kind == TPM_OBJ_HASH_SEQ || o->kind == TPM_OBJ_HMAC_SEQ || o->kind == TPM_OBJ_EVENT_SEQ);
}

/* The first block of a hash sequence decides whether its result may get a
 * ticket: shorter than TPM_GENERATED_VALUE counts as unsafe, because the
 * value could then be spread over several blocks. */
static void seq_first_block(struct tpm_seq *seq, const struct tpm2b_buffer *data)
{
	if (seq->first_block)
		return;
	seq->first_block = true;
	seq->ticket_safe = ticket_safe(data->b, data->size);
}

TPM_HANDLER(SequenceUpdate)
{
	struct tpm_object *o = tpm_object_find(c->t, c->handles[0]);
	struct tpm2b_buffer data;

	TPM_IN(1, tpm_r_buffer(&c->in, &data, TPM_MAX_BUFFER));
	TPM_IN_DONE(c);
	if (!is_sequence(o))
		return tpm_rc_handle(TPM_RC_MODE, 1);
	if (o->kind == TPM_OBJ_EVENT_SEQ) {
		for (unsigned i = 0; i < TPM_NUM_BANKS; i++)
			tpm_hash_update(&o->seq->h[i], data.b, data.size);
		return TPM_RC_SUCCESS;
	}
	if (o->kind == TPM_OBJ_HASH_SEQ)
		seq_first_block(o->seq, &data);
	tpm_hash_update(&o->seq->h[0], data.b, data.size);
	return TPM_RC_SUCCESS;
}

TPM_HANDLER(SequenceComplete)
{
	struct tpm *t = c->t;
	struct tpm_object *o = tpm_object_find(t, c->handles[0]);
	struct tpm2b_buffer data;
	struct tpm2b_digest out;
	struct tpm_ticket tk;
	uint32_t hierarchy;
	uint16_t alg;
	tpm_rc rc = TPM_RC_SUCCESS;

	TPM_IN(1, tpm_r_buffer(&c->in, &data, TPM_MAX_BUFFER));
	TPM_IN(2, r_hierarchy(&c->in, &hierarchy));
	TPM_IN_DONE(c);
	if (!is_sequence(o) || o->kind == TPM_OBJ_EVENT_SEQ)
		return tpm_rc_handle(TPM_RC_MODE, 1);

	alg = o->seq->h[0].alg;
	if (o->kind == TPM_OBJ_HASH_SEQ)
		seq_first_block(o->seq, &data);
	tpm_hash_update(&o->seq->h[0], data.b, data.size);
	tpm_hash_finish(&o->seq->h[0], out.b);
	out.size = tpm_hash_size(alg);

	if (o->kind == TPM_OBJ_HMAC_SEQ) {
		tpm_ticket_null(TPM_ST_HASHCHECK, &tk); /* HMACs get no ticket */
	} else if (hierarchy == TPM_RH_NULL) {
		tpm_ticket_null(TPM_ST_HASHCHECK, &tk);
	} else if (!o->seq->ticket_safe) {
		tpm_ticket_null(TPM_ST_HASHCHECK, &tk);
	} else {
		rc = hashcheck_ticket(t, hierarchy, alg, out.b, &tk);
	}
	/* The sequence is used up either way (its hash state is final). */
	tpm_object_release(t, o);
	if (rc)
		return rc;
	tpm_w_digest(&c->out, &out);
	tpm_w_ticket(&c->out, &tk);
	return TPM_RC_SUCCESS;
}

TPM_HANDLER(EventSequenceComplete)
{
	struct tpm *t = c->t;
	uint32_t pcr = c->handles[0];
	struct tpm_object *o = tpm_object_find(t, c->handles[1]);
	struct tpm2b_buffer data;
	uint8_t digests[TPM_NUM_BANKS][TPM_MAX_DIGEST];
	tpm_rc rc = TPM_RC_SUCCESS;

	TPM_IN(1, tpm_r_buffer(&c->in, &data, TPM_MAX_BUFFER));
	TPM_IN_DONE(c);
	if (!is_sequence(o) || o->kind != TPM_OBJ_EVENT_SEQ)
		return tpm_rc_handle(TPM_RC_MODE, 2);
	/* Checked before the sequence is used up, so a refused extend leaves
	 * it for another try. */
	if (pcr != TPM_RH_NULL && !tpm_pcr_extend_allowed(t, pcr))
		return TPM_RC_LOCALITY;

	for (unsigned i = 0; i < TPM_NUM_BANKS; i++) {
		tpm_hash_update(&o->seq->h[i], data.b, data.size);
		tpm_hash_finish(&o->seq->h[i], digests[i]);
	}
	tpm_object_release(t, o);
	/* Only allocated banks are extended; the result lists every
	 * implemented hash, as the reference implementation does. */
	if (pcr != TPM_RH_NULL) {
		for (unsigned i = 0; !rc && i < TPM_NUM_BANKS; i++)
			if (t->nv.pcr_banks & (1u << i))
				rc = tpm_pcr_extend(t, pcr, tpm_bank_alg(i), digests[i]);
		if (rc)
			return rc;
	}
	tpm_w_u32(&c->out, TPM_NUM_BANKS);
	for (unsigned i = 0; i < TPM_NUM_BANKS; i++) {
		tpm_w_u16(&c->out, tpm_bank_alg(i));
		tpm_w_bytes(&c->out, digests[i], tpm_hash_size(tpm_bank_alg(i)));
	}
	return TPM_RC_SUCCESS;
}
