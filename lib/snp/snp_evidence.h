/* Trustee's `snp` evidence: an attestation report (and optionally its VCEK
 * or VLEK certificate) as the JSON a KBS expects in the `tee-evidence` of
 * an Attestation request with tee "snp".
 *
 * The shape is serde_json's compact output of Trustee's SnpEvidence with the
 * `sev` 7.1.0 crate's AttestationReport (docs/snp-attestation.md has the
 * member list):
 *   {"attestation_report":{...every report member in serde order...},
 *    "cert_chain":null | [{"cert_type":"VCEK","data":[...DER bytes...]}]}
 * with byte arrays as JSON arrays of decimal numbers, TCB_VERSION values as
 * {"fmc":null|n,"bootloader":n,"tee":n,"snp":n,"microcode":n} (fmc only in
 * the Turin layout), CPUID fields null before report v3, mitigation vectors
 * null before v5, and the signature as {"r":[72 numbers],"s":[72 numbers]}.
 * No whitespace.
 *
 * The KBS rebuilds the raw report from these members and checks its
 * signature, so the writer refuses any report whose signed bytes the JSON
 * could not reproduce: one snp_report_validate rejects, or one with non-zero
 * reserved bytes inside a TCB_VERSION value.
 *
 * Output goes to a caller buffer; nothing is allocated. */
#ifndef HUSK_SNP_EVIDENCE_H
#define HUSK_SNP_EVIDENCE_H

#include <stddef.h>
#include <stdint.h>

#include "snp/snp_error.h"
#include "snp/snp_report.h"
#include "snp/snp_verify.h"

/* Upper bound of the JSON size for a certificate of vek_len bytes (0 for
 * none): the report part is below 4 KiB, each certificate byte takes at most
 * 4 characters. */
#define SNP_EVIDENCE_JSON_MAX(vek_len) (4096u + 64u + 4u * (size_t)(vek_len))

/* Writes the evidence JSON for r into buf (NUL-terminated) and sets *out_len
 * to its length without the NUL.  vek_der may be NULL (cert_chain null);
 * otherwise it is emitted as one entry with cert_type "VCEK" or "VLEK"
 * (kind), as is, at most SNP_VEK_MAX_DER_SIZE bytes.  If buf_size is too
 * small (buf may then be NULL), returns HUSK_ERR_RANGE with *out_len set to
 * the length needed (plus one byte for the NUL).  HUSK_ERR_FORMAT or
 * HUSK_ERR_UNSUPPORTED if the report cannot be expressed (see above). */
int snp_evidence_write(const struct snp_report *r, const uint8_t *vek_der, size_t vek_len,
		       enum snp_vek_kind kind, char *buf, size_t buf_size, size_t *out_len, struct snp_error *err);

#endif
