/* (Un)marshalling of TPM 2.0 structures with the spec's value checks; see
 * tpm_types.h.  Every reader leaves its output unspecified on error and the
 * caller adds the parameter number to the returned code. */
#include <string.h>

#include "tpm/tpm_types.h"

#define TRY(x)                          \
	do {                            \
		tpm_rc rc_ = (x);       \
		if (rc_)                \
			return rc_;     \
	} while (0)

bool tpm_alg_is_hash(uint16_t alg)
{
	return tpm_hash_size(alg) != 0;
}

uint16_t tpm_hash_size(uint16_t alg)
{
	switch (alg) {
	case TPM_ALG_SHA1: return 20;
	case TPM_ALG_SHA256: return 32;
	case TPM_ALG_SHA384: return 48;
	case TPM_ALG_SHA512: return 64;
	default: return 0;
	}
}

uint16_t tpm_hash_block_size(uint16_t alg)
{
	switch (alg) {
	case TPM_ALG_SHA1:
	case TPM_ALG_SHA256: return 64;
	case TPM_ALG_SHA384:
	case TPM_ALG_SHA512: return 128;
	default: return 0;
	}
}

uint16_t tpm_curve_bytes(uint16_t curve)
{
	switch (curve) {
	case TPM_ECC_NIST_P256: return 32;
	case TPM_ECC_NIST_P384: return 48;
	case TPM_ECC_NIST_P521: return 66;
	default: return 0;
	}
}

tpm_rc tpm_r_hash_alg(struct tpm_r *r, uint16_t *alg, bool null_ok)
{
	size_t start = r->pos;

	TRY(tpm_r_u16(r, alg));
	if (tpm_alg_is_hash(*alg) || (null_ok && *alg == TPM_ALG_NULL))
		return TPM_RC_SUCCESS;
	r->pos = start;
	return TPM_RC_HASH;
}

tpm_rc tpm_r_digest(struct tpm_r *r, struct tpm2b_digest *d)
{
	return tpm_r_2b(r, d->b, &d->size, sizeof(d->b));
}

tpm_rc tpm_r_name(struct tpm_r *r, struct tpm2b_name *n)
{
	return tpm_r_2b(r, n->b, &n->size, sizeof(n->b));
}

tpm_rc tpm_r_buffer(struct tpm_r *r, struct tpm2b_buffer *b, size_t max)
{
	return tpm_r_2b(r, b->b, &b->size, max < sizeof(b->b) ? max : sizeof(b->b));
}

tpm_rc tpm_r_ecc_param(struct tpm_r *r, struct tpm2b_ecc *e)
{
	return tpm_r_2b(r, e->b, &e->size, sizeof(e->b));
}

tpm_rc tpm_r_pcr_sel(struct tpm_r *r, struct tpm_pcr_sel *s)
{
	TRY(tpm_r_u32(r, &s->count));
	if (s->count > TPM_MAX_BANKS)
		return TPM_RC_SIZE;
	for (uint32_t i = 0; i < s->count; i++) {
		TRY(tpm_r_hash_alg(r, &s->sel[i].hash, false));
		TRY(tpm_r_u8(r, &s->sel[i].size));
		if (s->sel[i].size != TPM_PCR_SELECT_MAX)
			return TPM_RC_VALUE;
		TRY(tpm_r_bytes(r, s->sel[i].bits, s->sel[i].size));
	}
	return TPM_RC_SUCCESS;
}

static tpm_rc r_sym_mode(struct tpm_r *r, uint16_t *mode, bool null_ok)
{
	TRY(tpm_r_u16(r, mode));
	switch (*mode) {
	case TPM_ALG_CFB:
	case TPM_ALG_CTR:
	case TPM_ALG_OFB:
	case TPM_ALG_CBC:
	case TPM_ALG_ECB:
		return TPM_RC_SUCCESS;
	case TPM_ALG_NULL:
		return null_ok ? TPM_RC_SUCCESS : TPM_RC_MODE;
	default:
		return TPM_RC_MODE;
	}
}

tpm_rc tpm_r_sym_def(struct tpm_r *r, struct tpm_sym_def *d, bool object, bool null_ok)
{
	TRY(tpm_r_u16(r, &d->alg));
	d->key_bits = 0;
	d->mode = TPM_ALG_NULL;
	switch (d->alg) {
	case TPM_ALG_NULL:
		return null_ok ? TPM_RC_SUCCESS : TPM_RC_SYMMETRIC;
	case TPM_ALG_AES:
		TRY(tpm_r_u16(r, &d->key_bits));
		if (d->key_bits != 128 && d->key_bits != 256)
			return TPM_RC_VALUE;
		return r_sym_mode(r, &d->mode, true);
	case TPM_ALG_XOR:
		if (object)
			return TPM_RC_SYMMETRIC;
		/* keyBits carries the hash for XOR; there is no mode. */
		return tpm_r_hash_alg(r, &d->key_bits, false);
	default:
		return TPM_RC_SYMMETRIC;
	}
}

static bool sig_scheme_is_rsa(uint16_t alg)
{
	return alg == TPM_ALG_RSASSA || alg == TPM_ALG_RSAPSS;
}

static bool sig_scheme_is_ecc(uint16_t alg)
{
	return alg == TPM_ALG_ECDSA;
}

tpm_rc tpm_r_sig_scheme(struct tpm_r *r, struct tpm_scheme *s)
{
	memset(s, 0, sizeof(*s));
	TRY(tpm_r_u16(r, &s->alg));
	if (s->alg == TPM_ALG_NULL)
		return TPM_RC_SUCCESS;
	if (!sig_scheme_is_rsa(s->alg) && !sig_scheme_is_ecc(s->alg) && s->alg != TPM_ALG_HMAC)
		return TPM_RC_SCHEME;
	return tpm_r_hash_alg(r, &s->hash, false);
}

tpm_rc tpm_r_signature(struct tpm_r *r, struct tpm_signature *sig)
{
	memset(sig, 0, sizeof(*sig));
	TRY(tpm_r_u16(r, &sig->alg));
	if (sig->alg == TPM_ALG_NULL)
		return TPM_RC_SUCCESS;
	if (sig_scheme_is_rsa(sig->alg)) {
		TRY(tpm_r_hash_alg(r, &sig->hash, false));
		return tpm_r_2b(r, sig->rsa.b, &sig->rsa.size, sizeof(sig->rsa.b));
	}
	if (sig_scheme_is_ecc(sig->alg)) {
		TRY(tpm_r_hash_alg(r, &sig->hash, false));
		TRY(tpm_r_ecc_param(r, &sig->r));
		return tpm_r_ecc_param(r, &sig->s);
	}
	if (sig->alg == TPM_ALG_HMAC) {
		TRY(tpm_r_hash_alg(r, &sig->hash, false));
		sig->hmac.size = tpm_hash_size(sig->hash);
		return tpm_r_bytes(r, sig->hmac.b, sig->hmac.size);
	}
	return TPM_RC_SCHEME;
}

tpm_rc tpm_r_ticket(struct tpm_r *r, struct tpm_ticket *tk, uint16_t tag, uint16_t tag2)
{
	TRY(tpm_r_u16(r, &tk->tag));
	if (tk->tag != tag && tk->tag != tag2)
		return TPM_RC_TAG;
	TRY(tpm_r_u32(r, &tk->hierarchy));
	if (tk->hierarchy != TPM_RH_OWNER && tk->hierarchy != TPM_RH_ENDORSEMENT &&
	    tk->hierarchy != TPM_RH_PLATFORM && tk->hierarchy != TPM_RH_NULL)
		return TPM_RC_VALUE;
	return tpm_r_digest(r, &tk->digest);
}

/* TPMT_RSA_SCHEME / TPMT_ECC_SCHEME / TPMT_KEYEDHASH_SCHEME.  A scheme
 * outside the type's TPMI_ALG_*_SCHEME is the code Part 2 gives that type:
 * TPM_RC_VALUE for RSA and keyedHash schemes, TPM_RC_SCHEME for ECC. */
static tpm_rc r_key_scheme(struct tpm_r *r, uint16_t type, struct tpm_scheme *s)
{
	memset(s, 0, sizeof(*s));
	TRY(tpm_r_u16(r, &s->alg));
	if (s->alg == TPM_ALG_NULL)
		return TPM_RC_SUCCESS;
	switch (type) {
	case TPM_ALG_RSA:
		if (s->alg == TPM_ALG_RSAES)
			return TPM_RC_SUCCESS;
		if (s->alg != TPM_ALG_RSASSA && s->alg != TPM_ALG_RSAPSS && s->alg != TPM_ALG_OAEP)
			return TPM_RC_VALUE;
		return tpm_r_hash_alg(r, &s->hash, false);
	case TPM_ALG_ECC:
		if (s->alg != TPM_ALG_ECDSA && s->alg != TPM_ALG_ECDH)
			return TPM_RC_SCHEME;
		return tpm_r_hash_alg(r, &s->hash, false);
	case TPM_ALG_KEYEDHASH:
		if (s->alg == TPM_ALG_HMAC)
			return tpm_r_hash_alg(r, &s->hash, false);
		if (s->alg == TPM_ALG_XOR) {
			TRY(tpm_r_hash_alg(r, &s->hash, false));
			TRY(tpm_r_u16(r, &s->kdf));
			return s->kdf == TPM_ALG_KDF1_SP800_108 ? TPM_RC_SUCCESS : TPM_RC_KDF;
		}
		return TPM_RC_VALUE;
	default:
		return TPM_RC_SCHEME;
	}
}

static tpm_rc r_kdf_scheme(struct tpm_r *r, struct tpm_scheme *k)
{
	memset(k, 0, sizeof(*k));
	TRY(tpm_r_u16(r, &k->alg));
	switch (k->alg) {
	case TPM_ALG_NULL:
		return TPM_RC_SUCCESS;
	case TPM_ALG_MGF1:
	case TPM_ALG_KDF1_SP800_56A:
	case TPM_ALG_KDF1_SP800_108:
	case TPM_ALG_KDF2:
		return tpm_r_hash_alg(r, &k->hash, false);
	default:
		return TPM_RC_KDF;
	}
}

static bool public_type_ok(uint16_t type)
{
	return type == TPM_ALG_RSA || type == TPM_ALG_ECC || type == TPM_ALG_KEYEDHASH ||
	       type == TPM_ALG_SYMCIPHER;
}

/* TPMU_PUBLIC_PARMS of pub->type. */
static tpm_rc r_parms(struct tpm_r *r, struct tpm_public *pub)
{
	switch (pub->type) {
	case TPM_ALG_KEYEDHASH:
		return r_key_scheme(r, pub->type, &pub->scheme);
	case TPM_ALG_SYMCIPHER:
		return tpm_r_sym_def(r, &pub->symmetric, true, false);
	case TPM_ALG_RSA:
		TRY(tpm_r_sym_def(r, &pub->symmetric, true, true));
		TRY(r_key_scheme(r, pub->type, &pub->scheme));
		TRY(tpm_r_u16(r, &pub->rsa_bits));
		if (pub->rsa_bits != 1024 && pub->rsa_bits != 2048 && pub->rsa_bits != 3072)
			return TPM_RC_VALUE;
		return tpm_r_u32(r, &pub->rsa_exponent);
	default: /* TPM_ALG_ECC */
		TRY(tpm_r_sym_def(r, &pub->symmetric, true, true));
		TRY(r_key_scheme(r, pub->type, &pub->scheme));
		TRY(tpm_r_u16(r, &pub->curve));
		if (!tpm_curve_bytes(pub->curve))
			return TPM_RC_CURVE;
		return r_kdf_scheme(r, &pub->kdf);
	}
}

tpm_rc tpm_r_public_parms(struct tpm_r *r, struct tpm_public *pub)
{
	memset(pub, 0, sizeof(*pub));
	TRY(tpm_r_u16(r, &pub->type));
	if (!public_type_ok(pub->type))
		return TPM_RC_TYPE;
	return r_parms(r, pub);
}

tpm_rc tpm_r_public(struct tpm_r *r, struct tpm_public *pub, bool allow_null_name_alg)
{
	memset(pub, 0, sizeof(*pub));
	TRY(tpm_r_u16(r, &pub->type));
	if (!public_type_ok(pub->type))
		return TPM_RC_TYPE;
	TRY(tpm_r_hash_alg(r, &pub->name_alg, allow_null_name_alg));
	TRY(tpm_r_u32(r, &pub->attributes));
	if (pub->attributes & TPMA_OBJECT_RESERVED_MASK)
		return TPM_RC_RESERVED_BITS;
	TRY(tpm_r_digest(r, &pub->auth_policy));
	TRY(r_parms(r, pub));
	switch (pub->type) {
	case TPM_ALG_KEYEDHASH:
	case TPM_ALG_SYMCIPHER:
		return tpm_r_digest(r, &pub->sym_unique);
	case TPM_ALG_RSA:
		return tpm_r_2b(r, pub->rsa_n.b, &pub->rsa_n.size, sizeof(pub->rsa_n.b));
	default:
		TRY(tpm_r_ecc_param(r, &pub->ecc_x));
		return tpm_r_ecc_param(r, &pub->ecc_y);
	}
}

/* A TPM2B around a structure (TPM2B_PUBLIC, _SENSITIVE_CREATE, ...) is
 * unmarshaled as the reference implementation does it: size 0 is
 * TPM_RC_SIZE, the structure is read from what follows (bounded by the
 * command, not by the size, so that an error inside it is that error), and
 * only then must the bytes read equal the size (TPM_RC_SIZE).  These two
 * bracket the structure's reader. */
tpm_rc tpm_r_2b_begin(struct tpm_r *r, uint16_t *size, size_t *start)
{
	TRY(tpm_r_u16(r, size));
	if (*size == 0)
		return TPM_RC_SIZE;
	*start = r->pos;
	return TPM_RC_SUCCESS;
}

tpm_rc tpm_r_2b_end(const struct tpm_r *r, uint16_t size, size_t start)
{
	return r->pos - start == size ? TPM_RC_SUCCESS : TPM_RC_SIZE;
}

tpm_rc tpm_r_2b_public(struct tpm_r *r, struct tpm_public *pub, bool allow_null_name_alg)
{
	uint16_t size;
	size_t start;

	TRY(tpm_r_2b_begin(r, &size, &start));
	TRY(tpm_r_public(r, pub, allow_null_name_alg));
	return tpm_r_2b_end(r, size, start);
}

tpm_rc tpm_r_sensitive(struct tpm_r *r, struct tpm_sensitive *s)
{
	size_t max;

	memset(s, 0, sizeof(*s));
	TRY(tpm_r_u16(r, &s->type));
	switch (s->type) {
	case TPM_ALG_RSA: max = TPM_MAX_RSA_BYTES / 2; break;
	case TPM_ALG_ECC: max = TPM_MAX_ECC_BYTES; break;
	case TPM_ALG_KEYEDHASH: max = TPM_MAX_SYM_DATA; break;
	case TPM_ALG_SYMCIPHER: max = TPM_MAX_SYM_KEY; break;
	default: return TPM_RC_TYPE;
	}
	TRY(tpm_r_digest(r, &s->auth));
	TRY(tpm_r_digest(r, &s->seed));
	return tpm_r_2b(r, s->secret.b, &s->secret.size, max);
}

tpm_rc tpm_r_sensitive_create(struct tpm_r *r, struct tpm2b_digest *auth, struct tpm2b_sensitive_data *data)
{
	uint16_t size;
	size_t start;

	TRY(tpm_r_2b_begin(r, &size, &start));
	TRY(tpm_r_digest(r, auth));
	TRY(tpm_r_2b(r, data->b, &data->size, TPM_MAX_SYM_DATA));
	return tpm_r_2b_end(r, size, start);
}

/* ---- writers ---- */

void tpm_w_digest(struct tpm_w *w, const struct tpm2b_digest *d)
{
	tpm_w_2b(w, d->b, d->size);
}

void tpm_w_name(struct tpm_w *w, const struct tpm2b_name *n)
{
	tpm_w_2b(w, n->b, n->size);
}

void tpm_w_pcr_sel(struct tpm_w *w, const struct tpm_pcr_sel *s)
{
	tpm_w_u32(w, s->count);
	for (uint32_t i = 0; i < s->count && i < TPM_MAX_BANKS; i++) {
		tpm_w_u16(w, s->sel[i].hash);
		tpm_w_u8(w, s->sel[i].size);
		tpm_w_bytes(w, s->sel[i].bits, s->sel[i].size);
	}
}

void tpm_w_sym_def(struct tpm_w *w, const struct tpm_sym_def *d)
{
	tpm_w_u16(w, d->alg);
	if (d->alg == TPM_ALG_NULL)
		return;
	tpm_w_u16(w, d->key_bits);
	if (d->alg != TPM_ALG_XOR)
		tpm_w_u16(w, d->mode);
}

static void w_key_scheme(struct tpm_w *w, const struct tpm_scheme *s)
{
	tpm_w_u16(w, s->alg);
	if (s->alg == TPM_ALG_NULL || s->alg == TPM_ALG_RSAES)
		return;
	tpm_w_u16(w, s->hash);
	if (s->alg == TPM_ALG_XOR)
		tpm_w_u16(w, s->kdf);
}

void tpm_w_public(struct tpm_w *w, const struct tpm_public *pub)
{
	tpm_w_u16(w, pub->type);
	tpm_w_u16(w, pub->name_alg);
	tpm_w_u32(w, pub->attributes);
	tpm_w_digest(w, &pub->auth_policy);
	switch (pub->type) {
	case TPM_ALG_KEYEDHASH:
		w_key_scheme(w, &pub->scheme);
		tpm_w_digest(w, &pub->sym_unique);
		break;
	case TPM_ALG_SYMCIPHER:
		tpm_w_sym_def(w, &pub->symmetric);
		tpm_w_digest(w, &pub->sym_unique);
		break;
	case TPM_ALG_RSA:
		tpm_w_sym_def(w, &pub->symmetric);
		w_key_scheme(w, &pub->scheme);
		tpm_w_u16(w, pub->rsa_bits);
		tpm_w_u32(w, pub->rsa_exponent);
		tpm_w_2b(w, pub->rsa_n.b, pub->rsa_n.size);
		break;
	case TPM_ALG_ECC:
		tpm_w_sym_def(w, &pub->symmetric);
		w_key_scheme(w, &pub->scheme);
		tpm_w_u16(w, pub->curve);
		tpm_w_u16(w, pub->kdf.alg);
		if (pub->kdf.alg != TPM_ALG_NULL)
			tpm_w_u16(w, pub->kdf.hash);
		tpm_w_2b(w, pub->ecc_x.b, pub->ecc_x.size);
		tpm_w_2b(w, pub->ecc_y.b, pub->ecc_y.size);
		break;
	default:
		w->overflow = true; /* never reached: types are checked on input */
		break;
	}
}

void tpm_w_2b_public(struct tpm_w *w, const struct tpm_public *pub)
{
	size_t at = tpm_w_reserve(w, 2);

	tpm_w_public(w, pub);
	tpm_w_patch_u16(w, at, (uint16_t)(w->pos - at - 2));
}

void tpm_w_sensitive(struct tpm_w *w, const struct tpm_sensitive *s)
{
	tpm_w_u16(w, s->type);
	tpm_w_digest(w, &s->auth);
	tpm_w_digest(w, &s->seed);
	tpm_w_2b(w, s->secret.b, s->secret.size);
}

void tpm_w_signature(struct tpm_w *w, const struct tpm_signature *sig)
{
	tpm_w_u16(w, sig->alg);
	if (sig->alg == TPM_ALG_NULL)
		return;
	tpm_w_u16(w, sig->hash);
	if (sig_scheme_is_rsa(sig->alg)) {
		tpm_w_2b(w, sig->rsa.b, sig->rsa.size);
	} else if (sig_scheme_is_ecc(sig->alg)) {
		tpm_w_2b(w, sig->r.b, sig->r.size);
		tpm_w_2b(w, sig->s.b, sig->s.size);
	} else {
		tpm_w_bytes(w, sig->hmac.b, sig->hmac.size);
	}
}

void tpm_w_ticket(struct tpm_w *w, const struct tpm_ticket *tk)
{
	tpm_w_u16(w, tk->tag);
	tpm_w_u32(w, tk->hierarchy);
	tpm_w_digest(w, &tk->digest);
}
