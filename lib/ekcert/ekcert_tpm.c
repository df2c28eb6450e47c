/* EK certificates for husk's own TPM (ekcert.h): what the certificate says
 * of the TPM, read from the TPM, and the manufacturing step that derives
 * both default EKs, issues their certificates and stores them in the
 * profile's NV indexes (lib/tpm's tpm_ek_public, tpm_provision_ek_cert). */
#include <string.h>

#include "ekcert/ekcert.h"
#include "husk/err.h"
#include "mbedtls/platform.h"
#include "tpm/tpm.h"
#include "tpm/tpm_defs.h"

int ekcert_tpm_info_read(struct tpm *t, struct ekcert_tpm_info *info)
{
	const struct {
		uint32_t pt;
		uint32_t *v;
	} props[] = {
		{ TPM_PT_MANUFACTURER, &info->manufacturer },
		{ TPM_PT_VENDOR_STRING_1, &info->vendor_string[0] },
		{ TPM_PT_VENDOR_STRING_2, &info->vendor_string[1] },
		{ TPM_PT_VENDOR_STRING_3, &info->vendor_string[2] },
		{ TPM_PT_VENDOR_STRING_4, &info->vendor_string[3] },
		{ TPM_PT_FIRMWARE_VERSION_1, &info->firmware_version_1 },
		{ TPM_PT_FAMILY_INDICATOR, &info->spec_family },
		{ TPM_PT_LEVEL, &info->spec_level },
		{ TPM_PT_REVISION, &info->spec_revision },
	};

	for (size_t i = 0; i < sizeof(props) / sizeof(props[0]); i++) {
		int err = tpm_get_property(t, props[i].pt, props[i].v);

		if (err)
			return err;
	}
	return HUSK_OK;
}

int ekcert_provision(struct tpm *t, struct ekcert_ca *ca, ekcert_rng_fn rng, void *rng_ctx,
		     unsigned *changed, const char **why)
{
	static const struct {
		enum tpm_ek_template tmpl;
		uint32_t index;
		unsigned bit;
	} eks[] = {
		{ TPM_EK_RSA2048, TPM_NV_EK_CERT_RSA2048, EKCERT_CHANGED_RSA2048 },
		{ TPM_EK_ECC_P256, TPM_NV_EK_CERT_ECC_P256, EKCERT_CHANGED_ECC_P256 },
	};
	struct ekcert_tpm_info info;
	uint8_t pub[512];
	uint8_t *der;
	size_t pub_len, der_len;
	int err;

	if (changed)
		*changed = 0;
	if (!t)
		return HUSK_ERR_INVAL;
	err = ekcert_tpm_info_read(t, &info);
	if (err) {
		if (why)
			*why = "cannot read the TPM's properties";
		return err;
	}
	/* From the mbedTLS allocator rather than the stack, which is a
	 * kernel stack in husk. */
	der = mbedtls_calloc(1, EKCERT_DER_MAX);
	if (!der) {
		if (why)
			*why = "out of memory";
		return HUSK_ERR_NOMEM;
	}
	for (size_t i = 0; i < sizeof(eks) / sizeof(eks[0]) && !err; i++) {
		bool ch = false;

		err = tpm_ek_public(t, eks[i].tmpl, pub, sizeof(pub), &pub_len);
		if (err) {
			if (why)
				*why = "cannot derive the EK";
			break;
		}
		err = ekcert_issue(ca, &info, pub, pub_len, rng, rng_ctx, der, EKCERT_DER_MAX, &der_len, why);
		if (!err) {
			err = tpm_provision_ek_cert(t, eks[i].index, der, der_len, &ch);
			if (err && why)
				*why = "cannot store the certificate in NV";
		}
		if (!err && ch && changed)
			*changed |= eks[i].bit;
	}
	mbedtls_free(der);
	return err;
}
