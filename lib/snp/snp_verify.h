/* Relying-party checks of an SEV-SNP attestation report: the report's ECDSA
 * P-384 signature against a VCEK or VLEK certificate, the AMD certificate
 * chain ARK -> ASK (or ASVK) -> VCEK (or VLEK), and the binding between the
 * certificate's AMD extensions and the report (TCB, chip ID, key kind).
 *
 * Used by host tools and tests; portable (built for the kernel too, where
 * mbedTLS must have been given an allocator by crypto_init).  Every input is
 * hostile: certificates are parsed by mbedTLS and the AMD extensions by this
 * file, strictly.
 *
 * What these functions cannot do, and a relying party must:
 *  - choose the ARK: it is the trust anchor, so it must come from a pinned
 *    copy of AMD's root for the report's product, never from the evidence;
 *  - check validity periods (husk has no clock; mbedTLS is built without
 *    time) and revocation (AMD's CRLs; husk builds no CRL support);
 *  - judge the report's contents: MEASUREMENT, POLICY (debug!), VMPL 0,
 *    REPORT_DATA, minimum TCB.  docs/snp-attestation.md lists them.
 *
 * AMD's certificate facts relied on (AMD VCEK certificate and KDS interface
 * specification, restated in docs/snp-attestation.md): the ARK and ASK/ASVK
 * are RSA-4096 and sign RSASSA-PSS with SHA-384; the VCEK/VLEK is a P-384
 * key with serial number 0 (mbedTLS 3.6 accepts it); its non-critical
 * extensions under 1.3.6.1.4.1.3704.1 are 1 structVersion (INTEGER),
 * 2 productName (IA5String), 3.1 blSPL, 3.2 teeSPL, 3.3 snpSPL, 3.8 ucodeSPL,
 * 3.9 fmcSPL (Turin) (INTEGERs), 4 hwID (VCEK: the chip ID as raw bytes, not
 * DER-wrapped: 64 bytes, 8 on Turin) and 5 CSP ID (VLEK, IA5String). */
#ifndef HUSK_SNP_VERIFY_H
#define HUSK_SNP_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "snp/snp_error.h"
#include "snp/snp_report.h"

enum snp_vek_kind {
	SNP_VEK_VCEK = 0, /* Versioned Chip Endorsement Key: per chip, has hwID */
	SNP_VEK_VLEK = 1, /* Versioned Loaded Endorsement Key: per cloud provider, has CSP ID */
};

#define SNP_VEK_PRODUCT_NAME_MAX 32u
#define SNP_VEK_MAX_DER_SIZE     8192u /* far above AMD's ~1.4 KiB; bounds hostile input */

/* What a VCEK/VLEK certificate's AMD extensions say. */
struct snp_vek_info {
	enum snp_vek_kind kind;      /* VCEK if it has hwID, VLEK if it has a CSP ID */
	bool has_struct_version;
	uint32_t struct_version;
	char product_name[SNP_VEK_PRODUCT_NAME_MAX]; /* e.g. "Milan-B0"; "" if absent */
	struct snp_tcb tcb;          /* blSPL, teeSPL, snpSPL, ucodeSPL; fmcSPL -> has_fmc */
	size_t hwid_len;             /* 64, or 8 (Turin); 0 for a VLEK */
	uint8_t hwid[SNP_CHIP_ID_SIZE];
};

/* Parses a VCEK or VLEK certificate (DER) and its AMD extensions.  Requires
 * a P-384 EC public key, the four SPL extensions (each an INTEGER 0..255),
 * exactly one of hwID (64 or 8 bytes) and CSP ID, and no AMD extension
 * twice.  HUSK_ERR_FORMAT for anything else, HUSK_ERR_NOMEM, HUSK_ERR_INVAL. */
int snp_vek_parse(const uint8_t *der, size_t der_len, struct snp_vek_info *out, struct snp_error *err);

/* Verifies r's signature (SHA-384 of bytes 0..0x29F, ECDSA P-384, R and S
 * little-endian at 0x2A0 and 0x2E8) with the public key of the VCEK/VLEK
 * certificate vek_der.  HUSK_OK if it verifies; HUSK_ERR_CRYPTO if it does
 * not (including R or S outside the 48-byte scalar range);
 * HUSK_ERR_UNSUPPORTED for an unsigned report (SIGNING_KEY none);
 * HUSK_ERR_FORMAT for a certificate that is not a P-384 key. */
int snp_verify_report_signature(const struct snp_report *r, const uint8_t *vek_der, size_t vek_len,
				struct snp_error *err);

/* Verifies the chain ark -> ask -> vek (all DER): ark is the trust anchor
 * (see above); ask must be a CA certificate signed by it (the ASK for a
 * VCEK, the ASVK for a VLEK) and vek must be signed by ask.  Signatures
 * must use SHA-384 (RSASSA-PSS or PKCS#1 v1.5 with RSA of at least 2048
 * bits, or ECDSA), keys RSA or P-384.  No validity-period check (see
 * above).  HUSK_ERR_CRYPTO if the chain does not verify (err says why),
 * HUSK_ERR_FORMAT if a certificate does not parse. */
int snp_verify_chain(const uint8_t *ark_der, size_t ark_len, const uint8_t *ask_der, size_t ask_len,
		     const uint8_t *vek_der, size_t vek_len, struct snp_error *err);

/* Checks that the report belongs to the certificate: the report's
 * SIGNING_KEY names the certificate's kind; REPORTED_TCB equals the
 * certificate's SPLs exactly (in the TCB layout of the certificate: Turin if
 * it has fmcSPL); for a VCEK, the hwID equals CHIP_ID (its first 8 bytes on
 * Turin) and CHIP_ID is not masked.  HUSK_ERR_CRYPTO on any mismatch. */
int snp_verify_vek_binding(const struct snp_report *r, const struct snp_vek_info *vek,
			   struct snp_error *err);

/* All of the above: chain, binding, then signature.  ask_der may be the
 * ASVK for a VLEK.  Returns the first failure. */
int snp_verify_report(const struct snp_report *r, const uint8_t *ark_der, size_t ark_len,
		      const uint8_t *ask_der, size_t ask_len, const uint8_t *vek_der, size_t vek_len,
		      struct snp_error *err);

#endif
