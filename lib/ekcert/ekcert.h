/* EK certificates issued inside husk: an X.509 v3 certificate for one of
 * the vTPM's endorsement keys, laid out as the TCG EK Credential Profile
 * (2.x, TPM 2.0) asks and signed by a CA whose key and certificate husk
 * was given (by the KBS, to attested instances only).  docs/ekcert.md
 * lists every field.
 *
 * Portable (kernel, host, hostsan, fuzz).  All cryptography and DER is
 * mbedTLS's (lib/crypto's configuration): crypto_init() must have routed
 * its allocations, which are the only ones made here.  Callers supply the
 * random generator mbedTLS wants for blinding (crypto_drbg_rng with a
 * struct crypto_drbg will do); the certificates do not depend on it: for a
 * given CA and EK the DER is the same every time (RSA PKCS#1 v1.5 and
 * deterministic ECDSA signatures, a serial number derived from both keys,
 * a fixed validity), which makes provisioning at every boot idempotent.
 *
 * Functions that can fail return 0 or a husk_err code and, if why is not
 * NULL, point *why at a static sentence saying what was wrong. */
#ifndef HUSK_EKCERT_H
#define HUSK_EKCERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mbedtls/pk.h"
#include "mbedtls/x509_crt.h"

struct tpm;

/* Room enough for any certificate ekcert_issue writes, and the largest NV
 * index husk's TPM holds. */
#define EKCERT_DER_MAX 2048u

/* notAfter of every EK certificate: RFC 5280 4.1.2.5's value for "no
 * well-defined expiration date" (husk has no clock to renew by). */
#define EKCERT_NOT_AFTER "99991231235959"

/* mbedTLS's f_rng: fills buf with len random bytes, 0 or an mbedTLS error. */
typedef int (*ekcert_rng_fn)(void *ctx, unsigned char *buf, size_t len);

/* The issuing CA.  Initialise with ekcert_ca_init, fill with
 * ekcert_ca_load, release with ekcert_ca_free (also after a failed load). */
struct ekcert_ca {
	mbedtls_pk_context key;
	mbedtls_x509_crt cert;
	mbedtls_md_type_t md;  /* the signature's hash, chosen by the key */
	char not_before[15];   /* the CA's notBefore, "YYYYMMDDhhmmss" */
	bool loaded;
};

void ekcert_ca_init(struct ekcert_ca *ca);
/* The CA's private key (PEM or DER: PKCS#1 RSA, SEC1 EC or unencrypted
 * PKCS#8; RSA of 2048 bits or more, ECDSA on P-256, P-384 or P-521) and
 * its certificate (PEM or DER; with a PEM chain the first certificate is
 * the CA's).  The certificate must be a CA's (basicConstraints cA TRUE;
 * keyUsage, if present, with keyCertSign), its subject not empty and made
 * of single-valued RDNs, and its public key the private key's.
 * HUSK_ERR_FORMAT for unparsable input, HUSK_ERR_UNSUPPORTED for an
 * encrypted key or an unsupported key type, HUSK_ERR_INVAL for a
 * certificate that cannot issue (or a key that is not its), HUSK_ERR_NOMEM. */
int ekcert_ca_load(struct ekcert_ca *ca, const uint8_t *key, size_t key_len, const uint8_t *cert,
		   size_t cert_len, ekcert_rng_fn rng, void *rng_ctx, const char **why);
void ekcert_ca_free(struct ekcert_ca *ca);

/* What the certificate says about the TPM: the values the TPM reports in
 * TPM2_GetCapability(TPM_CAP_TPM_PROPERTIES). */
struct ekcert_tpm_info {
	uint32_t manufacturer;       /* TPM_PT_MANUFACTURER: tpmManufacturer "id:XXXXXXXX" */
	uint32_t vendor_string[4];   /* TPM_PT_VENDOR_STRING_1..4: tpmModel */
	uint32_t firmware_version_1; /* TPM_PT_FIRMWARE_VERSION_1: tpmVersion "id:XXXXXXXX" */
	uint32_t spec_family;        /* TPM_PT_FAMILY_INDICATOR ("2.0"): TPMSpecification */
	uint32_t spec_level;         /* TPM_PT_LEVEL */
	uint32_t spec_revision;      /* TPM_PT_REVISION */
};

/* Reads those properties from husk's TPM (ekcert_tpm.c). */
int ekcert_tpm_info_read(struct tpm *t, struct ekcert_tpm_info *info);

/* Writes to der[0..*len) the certificate of the EK whose public area is
 * ek_public (a marshalled TPMT_PUBLIC, as tpm_ek_public gives it: RSA
 * 2048/3072 or ECC P-256/384/521, fixedTPM and fixedParent, decrypt or
 * sign), issued by ca.  HUSK_ERR_FORMAT for a public area that does not
 * unmarshal, HUSK_ERR_INVAL for one that is no EK or a CA not loaded,
 * HUSK_ERR_RANGE if cap is too small (EKCERT_DER_MAX always does),
 * HUSK_ERR_CRYPTO if signing or the check of the result failed. */
int ekcert_issue(struct ekcert_ca *ca, const struct ekcert_tpm_info *info, const uint8_t *ek_public,
		 size_t ek_public_len, ekcert_rng_fn rng, void *rng_ctx, uint8_t *der, size_t cap,
		 size_t *len, const char **why);

/* Bits of ekcert_provision's *changed. */
#define EKCERT_CHANGED_RSA2048  1u /* NV index 0x01C00002 was (re)written */
#define EKCERT_CHANGED_ECC_P256 2u /* NV index 0x01C0000A was (re)written */

/* The whole manufacturing step for husk's TPM (ekcert_tpm.c): derives the
 * EKs of templates L-1 (RSA 2048) and L-2 (ECC P-256), issues their
 * certificates with ca and puts them in NV indexes 0x01C00002 and
 * 0x01C0000A (tpm_provision_ek_cert), leaving an index alone when it
 * already holds the same certificate.  *changed (may be NULL) says which
 * were written; the caller persists the NV state if any was.  Between
 * commands, once the TPM is manufactured or its state loaded. */
int ekcert_provision(struct tpm *t, struct ekcert_ca *ca, ekcert_rng_fn rng, void *rng_ctx,
		     unsigned *changed, const char **why);

#endif
