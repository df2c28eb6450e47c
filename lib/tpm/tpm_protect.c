/* Protection of objects that leave the TPM (TPM 2.0 Part 1, "Protected
 * Storage"): a child's sensitive area travels as a TPM2B_PRIVATE,
 *   TPM2B_DIGEST(outerHMAC) || AES-CFB(symKey, IV = 0, TPM2B_SENSITIVE)
 *   symKey   = KDFa(pNameAlg, parent seedValue, "STORAGE", Name, -, keyBits)
 *   hmacKey  = KDFa(pNameAlg, parent seedValue, "INTEGRITY", -, -, hashBits)
 *   outerHMAC = HMAC_pNameAlg(hmacKey, encSensitive || Name)
 * The key is unique per child Name, so the zero IV is safe.  Also qualified
 * names, which bind an object to its place in the hierarchy. */
#include <string.h>

#include "tpm/tpm_keys.h"

struct prot_keys {
	uint8_t sym[TPM_MAX_SYM_KEY];
	uint8_t hmac[TPM_MAX_DIGEST];
	uint16_t sym_bits;
	uint16_t hmac_len;
	uint16_t alg;
};

static tpm_rc prot_keys(const struct tpm_object *parent, const struct tpm2b_name *name, struct prot_keys *k)
{
	const struct tpm2b_digest *seed = &parent->sens.seed;
	tpm_rc rc;

	if (!tpm_key_is_parent(parent))
		return TPM_RC_TYPE;
	k->alg = parent->pub.name_alg;
	k->sym_bits = parent->pub.symmetric.key_bits;
	k->hmac_len = tpm_hash_size(k->alg);
	if (k->sym_bits != 128 && k->sym_bits != 256)
		return TPM_RC_SYMMETRIC;
	rc = tpm_kdfa(k->alg, seed->b, seed->size, "STORAGE", name->b, name->size, NULL, 0, k->sym_bits,
		      k->sym);
	if (!rc)
		rc = tpm_kdfa(k->alg, seed->b, seed->size, "INTEGRITY", NULL, 0, NULL, 0, k->hmac_len * 8u,
			      k->hmac);
	return rc;
}

static tpm_rc outer_hmac(const struct prot_keys *k, const uint8_t *enc, size_t len,
			 const struct tpm2b_name *name, uint8_t *out)
{
	struct tpm_part parts[2] = { { enc, len }, { name->b, name->size } };

	return tpm_hmac_parts(k->alg, k->hmac, k->hmac_len, parts, 2, out);
}

tpm_rc tpm_private_seal(struct tpm *t, const struct tpm_object *parent, const struct tpm_sensitive *sens,
			const struct tpm2b_name *name, struct tpm_w *w)
{
	uint8_t buf[2 + sizeof(struct tpm_sensitive) + 16];
	uint8_t mac[TPM_MAX_DIGEST], iv[16] = { 0 };
	struct prot_keys k;
	struct tpm_w sw;
	size_t at;
	tpm_rc rc;

	(void)t;
	tpm_w_init(&sw, buf, sizeof(buf));
	at = tpm_w_reserve(&sw, 2);
	tpm_w_sensitive(&sw, sens);
	tpm_w_patch_u16(&sw, at, (uint16_t)(sw.pos - 2));
	if (!tpm_w_ok(&sw))
		return TPM_RC_FAILURE;
	rc = prot_keys(parent, name, &k);
	if (!rc)
		rc = tpm_aes_cfb(k.sym, k.sym_bits, iv, true, buf, sw.pos);
	if (!rc)
		rc = outer_hmac(&k, buf, sw.pos, name, mac);
	if (!rc) {
		tpm_w_u16(w, (uint16_t)(2 + k.hmac_len + sw.pos));
		tpm_w_2b(w, mac, k.hmac_len);
		tpm_w_bytes(w, buf, sw.pos);
	}
	crypto_wipe(buf, sizeof(buf));
	crypto_wipe(&k, sizeof(k));
	return rc;
}

tpm_rc tpm_private_open(struct tpm *t, const struct tpm_object *parent, const struct tpm2b_name *name,
			const uint8_t *priv, size_t len, struct tpm_sensitive *sens)
{
	uint8_t buf[TPM_MAX_PRIVATE];
	uint8_t mac[TPM_MAX_DIGEST], iv[16] = { 0 };
	const uint8_t *given, *enc;
	struct prot_keys k;
	struct tpm_r r, sr;
	uint16_t isize, ssize;
	size_t enc_len;
	tpm_rc rc;

	(void)t;
	tpm_r_init(&r, priv, len);
	if (tpm_r_u16(&r, &isize))
		return TPM_RC_INSUFFICIENT;
	if (isize > TPM_MAX_DIGEST)
		return TPM_RC_SIZE;
	if (tpm_r_view(&r, &given, isize))
		return TPM_RC_INSUFFICIENT;
	enc_len = tpm_r_left(&r);
	if (tpm_r_view(&r, &enc, enc_len) || enc_len > sizeof(buf))
		return TPM_RC_SIZE;
	rc = prot_keys(parent, name, &k);
	if (!rc)
		rc = outer_hmac(&k, enc, enc_len, name, mac);
	/* Integrity first: nothing unauthenticated is decrypted or parsed. */
	if (!rc && (isize != k.hmac_len || tpm_ct_compare(mac, given, isize)))
		rc = TPM_RC_INTEGRITY;
	if (!rc) {
		memcpy(buf, enc, enc_len);
		rc = tpm_aes_cfb(k.sym, k.sym_bits, iv, false, buf, enc_len);
	}
	if (!rc) {
		tpm_r_init(&sr, buf, enc_len);
		if (tpm_r_u16(&sr, &ssize) || (size_t)ssize + 2 != enc_len || tpm_r_sensitive(&sr, sens) ||
		    tpm_r_left(&sr))
			rc = TPM_RC_SENSITIVE;
	}
	if (rc)
		crypto_wipe(sens, sizeof(*sens));
	crypto_wipe(buf, sizeof(buf));
	crypto_wipe(&k, sizeof(k));
	return rc;
}

void tpm_hierarchy_qn(uint32_t hierarchy, struct tpm2b_name *qn)
{
	qn->size = 4;
	tpm_put_be32(qn->b, hierarchy);
}

tpm_rc tpm_object_qualify(struct tpm_object *o, const struct tpm2b_name *parent_qn)
{
	uint16_t alg = o->pub.name_alg;
	struct tpm_part parts[2] = { { parent_qn->b, parent_qn->size }, { o->name.b, o->name.size } };
	tpm_rc rc;

	/* An object without a nameAlg has no Name, and no qualified name. */
	if (alg == TPM_ALG_NULL) {
		o->qualified_name.size = 0;
		return TPM_RC_SUCCESS;
	}
	tpm_put_be16(o->qualified_name.b, alg);
	rc = tpm_hash_parts(alg, parts, 2, o->qualified_name.b + 2);
	o->qualified_name.size = rc ? 0 : (uint16_t)(2 + tpm_hash_size(alg));
	return rc;
}
