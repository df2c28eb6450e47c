/* Attestation reports on the svm platform.  There is no hardware root of
 * trust here, so husk writes the report itself: the SNP ATTESTATION_REPORT
 * layout (lib/snp/snp_report.h) that the attestation protocol hands the
 * guest, requested "at VMPL 0", with the guest's REPORT_DATA and, as
 * MEASUREMENT, husk's measurement of itself — and marked unsigned the way
 * the SNP firmware marks a report it did not sign: KEY_INFO.SIGNING_KEY =
 * 7 (none), MASK_CHIP_KEY set, an all-zero signature.  Nothing vouches for
 * such a report: the hypervisor could have changed husk or the guest
 * before it ran.  It lets the guest's attestation code, husk's KBS client
 * and a relying party's policy run unchanged on svm; it is not evidence
 * (docs/svm.md, "Attestation on svm").
 *
 * The self-measurement: SHA-384 over husk's code and read-only data as
 * loaded ([__text_start, __rodata_end): they never change, W^X), the boot
 * parameters (struct husk_boot_params), and the guest payload as the IGVM file loaded it, whole
 * pages (read before the guest first runs).  `husk-igvm build` prints the
 * same value ("svm self-measurement") from the same inputs.  Writable data
 * is not in it: husk cannot re-read its initial values. */
#include <string.h>

#include "core/console.h"
#include "fmt/fmt.h"
#include "husk/err.h"
#include "mbedtls/sha512.h"
#include "platform/platform.h"
#include "platform/svm_internal.h"
#include "snp/snp_report.h"
#include "svsm/svsm_abi.h"

extern const char __text_start[], __rodata_end[];

static uint8_t measurement[SNP_MEASUREMENT_SIZE];
static uint8_t report_id[32];

int svm_attest_init(const struct husk_boot_params *bp)
{
	mbedtls_sha512_context h;
	uint8_t chunk[512];
	char hex[2 * SNP_MEASUREMENT_SIZE + 1];
	int err = HUSK_OK;

	mbedtls_sha512_init(&h);
	/* .rodata follows .text on the next page (kernel.ld): one range. */
	if (mbedtls_sha512_starts(&h, 1) ||
	    mbedtls_sha512_update(&h, (const uint8_t *)__text_start,
				  (size_t)(__rodata_end - __text_start)) ||
	    mbedtls_sha512_update(&h, (const uint8_t *)bp, sizeof(*bp)))
		err = HUSK_ERR_CRYPTO;
	for (uint64_t off = 0; !err && off < bp->payload_size; off += sizeof(chunk)) {
		err = svm_mem_read(bp->payload_gpa + off, chunk, sizeof(chunk));
		if (!err && mbedtls_sha512_update(&h, chunk, sizeof(chunk)))
			err = HUSK_ERR_CRYPTO;
	}
	if (!err && mbedtls_sha512_finish(&h, measurement))
		err = HUSK_ERR_CRYPTO;
	mbedtls_sha512_free(&h);
	if (!err)
		err = platform()->entropy(NULL, report_id, sizeof(report_id));
	if (err) {
		pr_err("svm: self-measurement failed: %s", husk_strerror(err));
		return err;
	}
	fmt_hex(hex, measurement, SNP_MEASUREMENT_SIZE);
	pr_info("svm: self-measurement %s (unsigned: no hardware vouches for it)", hex);
	return HUSK_OK;
}

void svm_attest_measurement(uint8_t out[SNP_MEASUREMENT_SIZE])
{
	memcpy(out, measurement, SNP_MEASUREMENT_SIZE);
}

uint32_t svm_attest_report(const uint8_t report_data[64], uint8_t *out, uint64_t certs_gpa,
			   uint32_t certs_cap, uint32_t *certs_len)
{
	struct snp_report r;

	(void)certs_gpa;
	(void)certs_cap;
	memset(&r, 0, sizeof(r));
	r.version = 3;
	/* SMT allowed, and the bit the ABI requires set; no debug, no migration
	 * agent: what a production SNP guest's policy says. */
	r.policy = SNP_REPORT_POLICY_SMT | SNP_REPORT_POLICY_RESERVED1;
	r.vmpl = 0;
	r.signature_algo = SNP_REPORT_SIG_ALGO_ECDSA_P384_SHA384;
	r.key_info = SNP_KEY_INFO_MASK_CHIP_KEY | SNP_SIGNING_KEY_NONE << SNP_KEY_INFO_SIGNING_KEY_SHIFT;
	memcpy(r.report_data, report_data, sizeof(r.report_data));
	memcpy(r.measurement, measurement, sizeof(r.measurement));
	memcpy(r.report_id, report_id, sizeof(r.report_id));
	memcpy(out, &r, sizeof(r));
	*certs_len = 0; /* no VCEK, no certificate table */
	return SVSM_SUCCESS;
}
