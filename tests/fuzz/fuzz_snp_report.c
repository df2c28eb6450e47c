/* libFuzzer target: lib/snp's attestation report parser and relying-party
 * checks on arbitrary bytes.  Input: a report (the first 0x4A0 bytes, or
 * fewer) followed by an optional VCEK/VLEK certificate in DER.  Parsing,
 * certificate parsing, signature and binding checks and the evidence
 * writer must never crash or read out of bounds; refusals must carry a
 * terminated message and leave no half-parsed report behind; accepted
 * reports must be the input byte for byte.  Seeds: AMD's upstream reports
 * with their certificates, Trustee's e2e report, and the PSP model's
 * (HUSK_SNP_WRITE_SEEDS=tests/fuzz/corpus with test_snp_guest_msg and
 * test_snp_evidence). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "husk/err.h"
#include "snp/snp_evidence.h"
#include "snp/snp_report.h"
#include "snp/snp_verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char json[SNP_EVIDENCE_JSON_MAX(SNP_VEK_MAX_DER_SIZE)];

static void check_error(const struct snp_error *err, int rc)
{
	if (err->code != rc || !memchr(err->message, 0, sizeof(err->message)) || (rc && !err->message[0]))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct snp_report zero;
	size_t report_len = size < SNP_REPORT_SIZE ? size : SNP_REPORT_SIZE;
	const uint8_t *cert = data + report_len;
	size_t cert_len = size - report_len, json_len = 0;
	struct snp_report r;
	struct snp_vek_info vek;
	struct snp_error err;
	struct snp_tcb tcb;
	int prc, rc, vrc;

	memset(&err, 'x', sizeof(err));
	prc = snp_report_parse(&r, data, report_len, &err);
	check_error(&err, prc);
	if (prc != HUSK_OK) {
		if (memcmp(&r, &zero, sizeof(r)) != 0)
			__builtin_trap();
	} else {
		if (memcmp(&r, data, SNP_REPORT_SIZE) != 0 || snp_report_validate(&r, NULL) != HUSK_OK)
			__builtin_trap();
		snp_report_reported_tcb(&r, &tcb);
		if (tcb.has_fmc != (snp_report_tcb_layout(&r) == SNP_TCB_LAYOUT_TURIN))
			__builtin_trap();
		(void)snp_report_product(&r);
		rc = snp_evidence_write(&r, cert_len ? cert : NULL, cert_len, SNP_VEK_VCEK, json, sizeof(json),
					&json_len, &err);
		check_error(&err, rc);
		if (rc == HUSK_OK && (json_len >= sizeof(json) || strlen(json) != json_len))
			__builtin_trap();
	}
	if (cert_len == 0)
		return 0;

	memset(&err, 'x', sizeof(err));
	vrc = snp_vek_parse(cert, cert_len, &vek, &err);
	check_error(&err, vrc);
	if (vrc == HUSK_OK && vek.kind == SNP_VEK_VCEK && vek.hwid_len != 64 && vek.hwid_len != 8)
		__builtin_trap();
	if (prc != HUSK_OK)
		return 0;
	memset(&err, 'x', sizeof(err));
	rc = snp_verify_report_signature(&r, cert, cert_len, &err);
	check_error(&err, rc);
	if (vrc == HUSK_OK) {
		memset(&err, 'x', sizeof(err));
		rc = snp_verify_vek_binding(&r, &vek, &err);
		check_error(&err, rc);
	}
	return 0;
}
