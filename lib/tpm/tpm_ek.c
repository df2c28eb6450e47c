/* Manufacturing: the endorsement keys of the TCG EK Credential Profile's
 * default templates and the NV indexes that hold their certificates
 * (tpm.h, docs/ekcert.md).
 *
 * A TPM manufacturer creates the EK at the factory and stores a
 * certificate for it in a platform NV index.  husk's platform code plays
 * the manufacturer: it asks for the EK's public area (derived from the
 * endorsement seed exactly as TPM2_CreatePrimary would, so a client's
 * tpm2_createek finds the same key), has a certificate issued for it
 * (lib/ekcert) and puts the certificate here.  Both act on the context
 * directly: no session, no platform authorization, no Startup needed. */
#include <string.h>

#include "husk/err.h"
#include "tpm/tpm_keys.h"

_Static_assert(TPM_NV_EK_CERT_ATTRIBUTES == (TPMA_NV_PPWRITE | TPMA_NV_WRITEDEFINE | TPMA_NV_PPREAD |
					     TPMA_NV_OWNERREAD | TPMA_NV_AUTHREAD | TPMA_NV_NO_DA |
					     TPMA_NV_PLATFORMCREATE),
	       "tpm.h spells the EK certificate attributes out as a number");

/* PolicyA of the EK Credential Profile for SHA-256: PolicySecret(TPM_RH_ENDORSEMENT). */
static const uint8_t ek_policy_a_sha256[32] = {
	0x83, 0x71, 0x97, 0x67, 0x44, 0x84, 0xb3, 0xf8, 0x1a, 0x90, 0xcc, 0x8d, 0x46, 0xa5, 0xd7, 0x24,
	0xfd, 0x52, 0xd7, 0x6e, 0x06, 0x52, 0x0b, 0x64, 0xf2, 0xa1, 0xda, 0x1b, 0x33, 0x14, 0x69, 0xaa,
};

/* fixedTPM fixedParent sensitiveDataOrigin adminWithPolicy restricted decrypt */
#define EK_ATTRIBUTES 0x000300b2u

/* Templates L-1 and L-2, marshalled as a client sends them: the unique
 * field holds zeros of the key's size (256 bytes for RSA 2048, 32 + 32 for
 * P-256), which is part of what the derivation hashes. */
static bool ek_template(enum tpm_ek_template tmpl, struct tpm_w *w)
{
	static const uint8_t zeros[256];

	if (tmpl != TPM_EK_RSA2048 && tmpl != TPM_EK_ECC_P256)
		return false;
	tpm_w_u16(w, tmpl == TPM_EK_RSA2048 ? TPM_ALG_RSA : TPM_ALG_ECC);
	tpm_w_u16(w, TPM_ALG_SHA256);
	tpm_w_u32(w, EK_ATTRIBUTES);
	tpm_w_2b(w, ek_policy_a_sha256, sizeof(ek_policy_a_sha256));
	tpm_w_u16(w, TPM_ALG_AES);
	tpm_w_u16(w, 128);
	tpm_w_u16(w, TPM_ALG_CFB);
	tpm_w_u16(w, TPM_ALG_NULL); /* scheme */
	if (tmpl == TPM_EK_RSA2048) {
		tpm_w_u16(w, 2048);
		tpm_w_u32(w, 0); /* exponent 65537 */
		tpm_w_2b(w, zeros, 256);
	} else {
		tpm_w_u16(w, TPM_ECC_NIST_P256);
		tpm_w_u16(w, TPM_ALG_NULL); /* kdf */
		tpm_w_2b(w, zeros, 32);
		tpm_w_2b(w, zeros, 32);
	}
	return tpm_w_ok(w);
}

int tpm_ek_public(struct tpm *t, enum tpm_ek_template tmpl, uint8_t *pub, size_t cap, size_t *len)
{
	static const struct tpm2b_sensitive_data no_data;
	uint8_t buf[512];
	struct tpm_object o;
	struct tpm_r r;
	struct tpm_w w;
	tpm_rc rc;

	if (!t || !pub || !len || !t->manufactured)
		return HUSK_ERR_INVAL;
	tpm_w_init(&w, buf, sizeof(buf));
	if (!ek_template(tmpl, &w))
		return HUSK_ERR_INVAL;
	/* Through the unmarshaller and the template checks CreatePrimary
	 * uses, so that the derivation sees the very structure it would. */
	memset(&o, 0, sizeof(o));
	tpm_r_init(&r, buf, w.pos);
	rc = tpm_r_public(&r, &o.pub, false);
	if (!rc && tpm_r_left(&r))
		rc = TPM_RC_SIZE;
	if (!rc)
		rc = tpm_key_check_create(NULL, &o.pub, 0);
	if (!rc)
		rc = tpm_key_generate_primary(t, &o, &no_data, TPM_RH_ENDORSEMENT);
	if (!rc) {
		tpm_w_init(&w, pub, cap);
		tpm_w_public(&w, &o.pub);
		if (tpm_w_ok(&w))
			*len = w.pos;
	}
	tpm_key_cache_free(t, &o);
	crypto_wipe(&o, sizeof(o));
	if (rc)
		return HUSK_ERR_CRYPTO;
	return tpm_w_ok(&w) ? HUSK_OK : HUSK_ERR_RANGE;
}

/* The index as tpm_provision_ek_cert leaves it, holding der? */
static bool ek_cert_in_place(const struct tpm_nv_index *nv, const uint8_t *der, size_t len)
{
	return nv->attributes == (TPM_NV_EK_CERT_ATTRIBUTES | TPMA_NV_WRITTEN | TPMA_NV_WRITELOCKED) &&
	       nv->name_alg == TPM_ALG_SHA256 && nv->auth_policy.size == 0 && nv->auth.size == 0 &&
	       nv->size == len && nv->data && memcmp(nv->data, der, len) == 0;
}

int tpm_provision_ek_cert(struct tpm *t, uint32_t index, const uint8_t *der, size_t len, bool *changed)
{
	struct tpm_persistent *p;
	struct tpm_nv_index *old, nv;
	uint32_t count, bytes, at;
	uint8_t *data;

	if (changed)
		*changed = false;
	if (!t || !der || !len || !t->manufactured || (index >> TPM_HR_SHIFT) != TPM_HT_NV_INDEX)
		return HUSK_ERR_INVAL;
	if (len > TPM_NV_INDEX_MAX)
		return HUSK_ERR_RANGE;
	p = &t->nv;
	old = tpm_nv_find(t, index);
	if (old && ek_cert_in_place(old, der, len))
		return HUSK_OK;
	/* Room for the new index with the old one gone; checked before
	 * anything changes, so a failure leaves NV as it was. */
	count = p->nv_count - (old ? 1u : 0u);
	bytes = p->nv_bytes - (old ? old->size : 0u);
	if (count >= TPM_MAX_NV_INDICES || bytes + len > TPM_NV_TOTAL_MAX)
		return HUSK_ERR_NOMEM;
	data = tpm_alloc(t, len);
	if (!data)
		return HUSK_ERR_NOMEM;
	memcpy(data, der, len);
	if (old)
		tpm_nv_remove(t, old);

	/* Defined, written and write-locked in one step: the lock of a
	 * written WRITEDEFINE index lasts until the index is deleted, so not
	 * even the platform (whose authorization the guest's firmware holds
	 * on a vTPM) can overwrite the certificate; deleting it only costs
	 * the guest its certificate until the next boot provisions it again. */
	memset(&nv, 0, sizeof(nv));
	nv.handle = index;
	nv.name_alg = TPM_ALG_SHA256;
	nv.attributes = TPM_NV_EK_CERT_ATTRIBUTES | TPMA_NV_WRITTEN | TPMA_NV_WRITELOCKED;
	nv.size = (uint16_t)len;
	nv.data = data;
	/* The table stays sorted by handle, as NV_DefineSpace keeps it. */
	for (at = 0; at < p->nv_count && p->nv[at].handle < index; at++)
		;
	memmove(&p->nv[at + 1], &p->nv[at], (p->nv_count - at) * sizeof(p->nv[0]));
	p->nv[at] = nv;
	p->nv_count++;
	p->nv_bytes += nv.size;
	tpm_mark_nv(t);
	if (changed)
		*changed = true;
	return HUSK_OK;
}
