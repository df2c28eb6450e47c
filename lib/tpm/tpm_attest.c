/* Attestation: Quote (PCR values), Certify (a loaded object) and GetTime,
 * each a TPMS_ATTEST signed by a signing key (restricted keys included:
 * the structure starts with TPM_GENERATED_VALUE, which restricted keys
 * never sign for anyone else), or unsigned with signHandle TPM_RH_NULL.
 *
 * Privacy: for a signing key outside the endorsement and platform
 * hierarchies (owner, null, or no key) the clockInfo reset and restart
 * counts and the firmware version in the header are offset by a value
 * derived from the owner's proof and the key's Name, as the reference
 * implementation does, so unrelated owner keys cannot link their quotes
 * to one boot or firmware.  The values GetTime attests in its body are
 * never obfuscated: the endorsement hierarchy authorized that. */
#include <string.h>

#include "tpm/tpm_keys.h"

#define MAX_DATA (2 + TPM_MAX_DIGEST) /* TPM2B_DATA: sizeof(TPMT_HA) */

struct tpm2b_data {
	uint16_t size;
	uint8_t b[MAX_DATA];
};

/* The signing key of an attestation (NULL for TPM_RH_NULL) and the scheme
 * it signs with. */
struct signer {
	uint32_t handle;
	struct tpm_object *key;
	struct tpm_scheme scheme;
};

/* IsSigningObject + CryptSelectSignScheme: handle index h (1-based) and
 * inScheme parameter p for the codes. */
static tpm_rc signer_select(struct tpm_cmd *c, unsigned h, const struct tpm_scheme *in, unsigned p,
			    struct signer *s)
{
	tpm_rc rc;

	memset(s, 0, sizeof(*s));
	s->handle = c->handles[h - 1];
	if (s->handle == TPM_RH_NULL) {
		/* No key, no signature; the requested scheme only supplies
		 * the hash where one is needed. */
		s->scheme = *in;
		s->scheme.alg = TPM_ALG_NULL;
		return TPM_RC_SUCCESS;
	}
	s->key = tpm_object_find(c->t, s->handle);
	if (!s->key || s->key->kind != TPM_OBJ_KEY || !s->key->has_sensitive ||
	    !(s->key->pub.attributes & TPMA_OBJECT_SIGN_ENCRYPT))
		return tpm_rc_handle(TPM_RC_KEY, h);
	rc = tpm_key_sign_scheme(s->key, in, &s->scheme);
	return rc ? tpm_rc_param(rc, p) : TPM_RC_SUCCESS;
}

/* The common part of TPMS_ATTEST, up to and including firmwareVersion. */
static tpm_rc attest_header(struct tpm_cmd *c, const struct signer *s, uint16_t type,
			    const struct tpm2b_data *extra, struct tpm_w *w)
{
	struct tpm *t = c->t;
	struct tpm2b_name name;
	uint32_t reset = t->nv.reset_count, restart = t->nv.restart_count;
	uint64_t firmware = (uint64_t)TPM_FIRMWARE_V1 << 32 | TPM_FIRMWARE_V2;
	uint32_t hierarchy = s->key ? s->key->hierarchy : TPM_RH_NULL;

	tpm_w_u32(w, TPM_GENERATED_VALUE);
	tpm_w_u16(w, type);
	if (s->key) {
		tpm_w_name(w, &s->key->qualified_name);
		name = s->key->name;
	} else {
		name.size = 4;
		tpm_put_be32(name.b, TPM_RH_NULL);
		tpm_w_name(w, &name);
	}
	tpm_w_2b(w, extra->b, extra->size);
	if (hierarchy != TPM_RH_ENDORSEMENT && hierarchy != TPM_RH_PLATFORM) {
		uint8_t obf[16];
		tpm_rc rc = tpm_kdfa(TPM_TICKET_HASH, t->nv.sh_proof, TPM_PROOF_SIZE, "OBFUSCATE", name.b,
				     name.size, NULL, 0, 128, obf);

		if (rc)
			return rc;
		firmware += (uint64_t)tpm_be32(obf) << 32 | tpm_be32(obf + 4);
		reset += tpm_be32(obf + 8);
		restart += tpm_be32(obf + 12);
		crypto_wipe(obf, sizeof(obf));
	}
	tpm_w_u64(w, t->nv.clock);
	tpm_w_u32(w, reset);
	tpm_w_u32(w, restart);
	tpm_w_u8(w, t->clock_safe ? 1 : 0);
	tpm_w_u64(w, firmware);
	return TPM_RC_SUCCESS;
}

/* The response is built in place: TPM2B_ATTEST (its size patched once the
 * structure is complete), then the TPMT_SIGNATURE over H_scheme(attest). */
static size_t attest_begin(struct tpm_cmd *c)
{
	return tpm_w_reserve(&c->out, 2);
}

static tpm_rc attest_finish(struct tpm_cmd *c, const struct signer *s, size_t at)
{
	struct tpm_w *w = &c->out;
	struct tpm_signature sig;
	size_t len = w->pos - at - 2;
	tpm_rc rc = TPM_RC_SUCCESS;

	if (!tpm_w_ok(w) || len > TPM_MAX_ATTEST)
		return TPM_RC_FAILURE;
	tpm_w_patch_u16(w, at, (uint16_t)len);
	memset(&sig, 0, sizeof(sig));
	sig.alg = TPM_ALG_NULL;
	if (s->key) {
		struct tpm2b_digest d;

		TPM_TRY(tpm_hash_buf(s->scheme.hash, w->p + at + 2, len, &d));
		rc = tpm_key_sign(c->t, s->key, &s->scheme, d.b, d.size, &sig);
	}
	if (!rc)
		tpm_w_signature(w, &sig);
	crypto_wipe(&sig, sizeof(sig));
	return rc;
}

/* qualifyingData and inScheme, the first two parameters of all three. */
static tpm_rc read_data_scheme(struct tpm_cmd *c, struct tpm2b_data *data, struct tpm_scheme *scheme)
{
	TPM_IN(1, tpm_r_2b(&c->in, data->b, &data->size, sizeof(data->b)));
	TPM_IN(2, tpm_r_sig_scheme(&c->in, scheme));
	return TPM_RC_SUCCESS;
}

TPM_HANDLER(Quote)
{
	struct tpm *t = c->t;
	struct tpm2b_data data;
	struct tpm_scheme in_scheme;
	struct tpm_pcr_sel sel;
	struct signer s;
	struct tpm2b_digest pcr_digest;
	size_t at;

	TPM_TRY(read_data_scheme(c, &data, &in_scheme));
	TPM_IN(3, tpm_r_pcr_sel(&c->in, &sel));
	TPM_IN_DONE(c);

	TPM_TRY(signer_select(c, 1, &in_scheme, 2, &s));
	/* The PCR digest uses the signing scheme's hash; without a key, a
	 * scheme must still name one (the reference refuses TPM_RH_NULL
	 * with a NULL scheme the same way). */
	if (!tpm_alg_is_hash(s.scheme.hash))
		return tpm_rc_param(TPM_RC_SCHEME, 2);
	tpm_pcr_filter_selection(t, &sel);
	TPM_TRY(tpm_pcr_digest(t, &sel, s.scheme.hash, &pcr_digest));

	at = attest_begin(c);
	TPM_TRY(attest_header(c, &s, TPM_ST_ATTEST_QUOTE, &data, &c->out));
	tpm_w_pcr_sel(&c->out, &sel);
	tpm_w_digest(&c->out, &pcr_digest);
	return attest_finish(c, &s, at);
}

TPM_HANDLER(Certify)
{
	struct tpm2b_data data;
	struct tpm_scheme in_scheme;
	struct signer s;
	struct tpm_object *o;
	size_t at;

	TPM_TRY(read_data_scheme(c, &data, &in_scheme));
	TPM_IN_DONE(c);

	TPM_TRY(signer_select(c, 2, &in_scheme, 2, &s));
	o = tpm_object_find(c->t, c->handles[0]);
	if (!o)
		return tpm_rc_handle(TPM_RC_HANDLE, 1);

	at = attest_begin(c);
	TPM_TRY(attest_header(c, &s, TPM_ST_ATTEST_CERTIFY, &data, &c->out));
	tpm_w_name(&c->out, &o->name);
	tpm_w_name(&c->out, &o->qualified_name);
	return attest_finish(c, &s, at);
}

TPM_HANDLER(GetTime)
{
	struct tpm *t = c->t;
	struct tpm2b_data data;
	struct tpm_scheme in_scheme;
	struct signer s;
	size_t at;

	TPM_TRY(read_data_scheme(c, &data, &in_scheme));
	TPM_IN_DONE(c);

	TPM_TRY(signer_select(c, 2, &in_scheme, 2, &s));
	at = attest_begin(c);
	TPM_TRY(attest_header(c, &s, TPM_ST_ATTEST_TIME, &data, &c->out));
	/* TPMS_TIME_ATTEST_INFO: TPMS_TIME_INFO and the firmware version,
	 * in the clear. */
	tpm_w_u64(&c->out, t->time_ms);
	tpm_w_clock_info(&c->out, t);
	tpm_w_u64(&c->out, (uint64_t)TPM_FIRMWARE_V1 << 32 | TPM_FIRMWARE_V2);
	return attest_finish(c, &s, at);
}
