/* ATTESTATION_REPORT parsing and field access (see snp_report.h). */
#include <string.h>

#include "husk/err.h"
#include "snp/snp_internal.h"
#include "snp/snp_report.h"

void snp_tcb_decode(uint64_t raw, enum snp_tcb_layout layout, struct snp_tcb *out)
{
	uint8_t b[8];

	snp_put_le64(b, raw);
	memset(out, 0, sizeof(*out));
	if (layout == SNP_TCB_LAYOUT_TURIN) {
		out->has_fmc = true;
		out->fmc = b[0];
		out->bootloader = b[1];
		out->tee = b[2];
		out->snp = b[3];
	} else {
		out->bootloader = b[0];
		out->tee = b[1];
		out->snp = b[6];
	}
	out->microcode = b[7];
}

uint64_t snp_tcb_encode(const struct snp_tcb *tcb, enum snp_tcb_layout layout)
{
	uint8_t b[8] = { 0 };

	if (layout == SNP_TCB_LAYOUT_TURIN) {
		b[0] = tcb->fmc;
		b[1] = tcb->bootloader;
		b[2] = tcb->tee;
		b[3] = tcb->snp;
	} else {
		b[0] = tcb->bootloader;
		b[1] = tcb->tee;
		b[6] = tcb->snp;
	}
	b[7] = tcb->microcode;
	return snp_le64(b);
}

bool snp_tcb_has_reserved_bits(uint64_t raw, enum snp_tcb_layout layout)
{
	/* Milan/Genoa: bytes 2..5 reserved; Turin: bytes 4..6. */
	uint64_t mask = layout == SNP_TCB_LAYOUT_TURIN ? 0x00ffffff00000000ull : 0x0000ffffffff0000ull;

	return (raw & mask) != 0;
}

enum snp_product snp_product_from_cpuid(uint8_t family, uint8_t model)
{
	if (family == 0x19) {
		if (model <= 0x0f)
			return SNP_PRODUCT_MILAN;
		if ((model >= 0x10 && model <= 0x1f) || (model >= 0xa0 && model <= 0xaf))
			return SNP_PRODUCT_GENOA;
	} else if (family == 0x1a && model <= 0x11) {
		return SNP_PRODUCT_TURIN;
	}
	return SNP_PRODUCT_UNKNOWN;
}

/* The first non-zero byte of raw[lo..hi), or -1. */
static long first_nonzero(const uint8_t *raw, size_t lo, size_t hi)
{
	for (size_t i = lo; i < hi; i++)
		if (raw[i])
			return (long)i;
	return -1;
}

/* Reserved ranges of the signed part, by report version (see snp_report.h). */
struct reserved_range {
	uint16_t lo, hi; /* [lo, hi) */
	uint8_t min_version, max_version;
};

static const struct reserved_range reserved_ranges[] = {
	{ 0x04c, 0x050, 2, 5 },
	{ 0x188, 0x18b, 2, 2 }, /* CPUID family/model/stepping from v3 on */
	{ 0x18b, 0x1a0, 2, 5 },
	{ 0x1eb, 0x1ec, 2, 5 },
	{ 0x1ef, 0x1f0, 2, 5 },
	{ 0x1f8, 0x208, 2, 4 }, /* mitigation vectors from v5 on */
	{ 0x208, 0x2a0, 2, 5 },
};

int snp_report_validate(const struct snp_report *r, struct snp_error *err)
{
	const uint8_t *b = (const uint8_t *)r;
	uint32_t signing_key;

	if (!r)
		return snp_fail(err, HUSK_ERR_INVAL, "snp_report_validate: NULL report");
	if (r->version < SNP_REPORT_VERSION_MIN || r->version > SNP_REPORT_VERSION_MAX)
		return snp_fail(err, HUSK_ERR_UNSUPPORTED, "report version %u (supported: %u to %u)", r->version,
				SNP_REPORT_VERSION_MIN, SNP_REPORT_VERSION_MAX);
	if (r->signature_algo != SNP_REPORT_SIG_ALGO_ECDSA_P384_SHA384)
		return snp_fail(err, HUSK_ERR_UNSUPPORTED,
				"report signature algorithm %u (only 1, ECDSA P-384 with SHA-384, is defined)",
				r->signature_algo);
	if (r->vmpl > 3)
		return snp_fail(err, HUSK_ERR_FORMAT, "report VMPL %u (must be 0 to 3)", r->vmpl);
	if (r->key_info & SNP_KEY_INFO_RESERVED)
		return snp_fail(err, HUSK_ERR_FORMAT, "report KEY_INFO 0x%08x has reserved bits 31:5 set",
				r->key_info);
	signing_key = snp_report_signing_key(r);
	if (signing_key != SNP_SIGNING_KEY_VCEK && signing_key != SNP_SIGNING_KEY_VLEK &&
	    signing_key != SNP_SIGNING_KEY_NONE)
		return snp_fail(err, HUSK_ERR_FORMAT, "report SIGNING_KEY %u is a reserved value", signing_key);
	for (size_t i = 0; i < HUSK_ARRAY_SIZE(reserved_ranges); i++) {
		const struct reserved_range *rr = &reserved_ranges[i];
		long at;

		if (r->version < rr->min_version || r->version > rr->max_version)
			continue;
		at = first_nonzero(b, rr->lo, rr->hi);
		if (at >= 0)
			return snp_fail(err, HUSK_ERR_FORMAT,
					"report v%u has non-zero reserved byte 0x%02x at offset 0x%03lx (reserved 0x%03x-0x%03x)",
					r->version, b[at], (unsigned long)at, rr->lo, rr->hi - 1u);
	}
	snp_ok(err);
	return HUSK_OK;
}

int snp_report_parse(struct snp_report *out, const void *raw, size_t len, struct snp_error *err)
{
	int rc;

	if (!out || (!raw && len))
		return snp_fail(err, HUSK_ERR_INVAL, "snp_report_parse: NULL argument");
	memset(out, 0, sizeof(*out));
	if (len != SNP_REPORT_SIZE)
		return snp_fail(err, HUSK_ERR_RANGE, "report is %zu bytes, an ATTESTATION_REPORT is %u",
				len, SNP_REPORT_SIZE);
	/* The single read of the caller's (possibly shared) memory; every check
	 * looks at this private copy. */
	memcpy(out, raw, SNP_REPORT_SIZE);
	rc = snp_report_validate(out, err);
	if (rc != HUSK_OK)
		memset(out, 0, sizeof(*out));
	return rc;
}

enum snp_product snp_report_product(const struct snp_report *r)
{
	if (r->version < 3)
		return SNP_PRODUCT_UNKNOWN;
	return snp_product_from_cpuid(r->cpuid_fam_id, r->cpuid_mod_id);
}

enum snp_tcb_layout snp_report_tcb_layout(const struct snp_report *r)
{
	if (r->version >= 3)
		return r->cpuid_fam_id == 0x1a ? SNP_TCB_LAYOUT_TURIN : SNP_TCB_LAYOUT_MILAN_GENOA;
	if (!snp_all_zero(r->chip_id, 8) && snp_all_zero(r->chip_id + 8, SNP_CHIP_ID_SIZE - 8))
		return SNP_TCB_LAYOUT_TURIN;
	return SNP_TCB_LAYOUT_MILAN_GENOA;
}

void snp_report_reported_tcb(const struct snp_report *r, struct snp_tcb *out)
{
	snp_tcb_decode(r->reported_tcb, snp_report_tcb_layout(r), out);
}

bool snp_report_chip_id_masked(const struct snp_report *r)
{
	return snp_all_zero(r->chip_id, SNP_CHIP_ID_SIZE);
}
