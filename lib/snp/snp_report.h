/* The SEV-SNP ATTESTATION_REPORT (AMD SEV-SNP firmware ABI, report versions 2
 * to 5): its exact 0x4A0-byte layout, a validating parser, and accessors.
 *
 * A report reaches husk from the PSP (inside an authenticated MSG_REPORT_RSP)
 * and reaches host tools from anywhere (a proxy, a file, a KBS request), so
 * the parser treats it as hostile: it copies the bytes once into the caller's
 * struct snp_report and checks what the ABI makes invalid for the report's
 * version.  Parsing proves nothing about authenticity; snp_verify.h checks
 * the signature and the certificate chain.
 *
 * What the parser rejects, and why only that:
 *  - a size other than 0x4A0; a VERSION outside 2..5 (no layout is known for
 *    others, so nothing else in the report could be read reliably);
 *  - SIGNATURE_ALGO other than 1 (ECDSA P-384 with SHA-384, the only
 *    algorithm the ABI defines);
 *  - VMPL above 3, and a SIGNING_KEY value the ABI reserves (2..6);
 *  - non-zero bytes in the signed fields that are reserved in that version:
 *    0x04C-0x04F, 0x188-0x19F (v2; v3+ use 0x188-0x18A for CPUID family,
 *    model and stepping), 0x1EB, 0x1EF, and 0x1F8-0x29F (v2-v4; v5 uses
 *    0x1F8-0x207 for the two mitigation vectors), plus KEY_INFO bits 31:5.
 *    These bytes are covered by the signature, so a genuine report of that
 *    version has them zero; Trustee's JSON evidence could not carry them
 *    either (snp_evidence.h).
 * What it deliberately accepts: any POLICY and PLATFORM_INFO bits (AMD keeps
 * defining new ones; the firmware checked the policy at launch), an all-zero
 * CHIP_ID (MASK_CHIP_ID), reserved bytes inside TCB_VERSION values (their
 * layout depends on the CPU generation), and anything in the unsigned part of
 * the signature field beyond R and S (it carries no meaning and nobody can
 * vouch for it).
 *
 * All multi-byte fields are little-endian; the struct is the wire layout
 * byte for byte, so bytes 0..0x29F of a parsed struct are exactly the signed
 * bytes. */
#ifndef HUSK_SNP_REPORT_H
#define HUSK_SNP_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "husk/compiler.h"
#include "snp/snp_error.h"

#define SNP_REPORT_SIZE        0x4A0u
#define SNP_REPORT_SIGNED_SIZE 0x2A0u /* the signature covers bytes 0 .. 0x29F */
#define SNP_REPORT_VERSION_MIN 2u
#define SNP_REPORT_VERSION_MAX 5u

#define SNP_REPORT_DATA_SIZE   64u
#define SNP_MEASUREMENT_SIZE   48u
#define SNP_HOST_DATA_SIZE     32u
#define SNP_CHIP_ID_SIZE       64u
#define SNP_ECDSA_P384_SCALAR_SIZE 48u /* significant bytes of R and S */
#define SNP_ECDSA_SIG_COMPONENT_SIZE 72u /* R and S as stored, zero-padded */

/* SIGNATURE_ALGO: the only value the ABI defines. */
#define SNP_REPORT_SIG_ALGO_ECDSA_P384_SHA384 1u

/* KEY_INFO (0x048) bits. */
#define SNP_KEY_INFO_AUTHOR_KEY_EN   (1u << 0)
#define SNP_KEY_INFO_MASK_CHIP_KEY   (1u << 1) /* firmware wrote zeros instead of signing */
#define SNP_KEY_INFO_SIGNING_KEY_SHIFT 2
#define SNP_KEY_INFO_SIGNING_KEY_MASK  (7u << 2)
#define SNP_KEY_INFO_RESERVED        0xffffffe0u

/* SIGNING_KEY values. */
#define SNP_SIGNING_KEY_VCEK 0u
#define SNP_SIGNING_KEY_VLEK 1u
#define SNP_SIGNING_KEY_NONE 7u

/* POLICY bits a relying party commonly checks (the full list is the ABI's). */
#define SNP_REPORT_POLICY_SMT        (1ull << 16)
#define SNP_REPORT_POLICY_RESERVED1  (1ull << 17) /* must be 1 at launch */
#define SNP_REPORT_POLICY_MIGRATE_MA (1ull << 18)
#define SNP_REPORT_POLICY_DEBUG      (1ull << 19)

/* The signature field: ECDSA P-384 R and S as little-endian integers
 * zero-padded to 72 bytes, then reserved space. */
struct snp_report_signature {
	uint8_t r[SNP_ECDSA_SIG_COMPONENT_SIZE]; /* 0x2A0 */
	uint8_t s[SNP_ECDSA_SIG_COMPONENT_SIZE]; /* 0x2E8 */
	uint8_t reserved[368];                   /* 0x330 .. 0x49F, not signed */
} HUSK_PACKED;
HUSK_STATIC_ASSERT(sizeof(struct snp_report_signature) == 512, "report signature field");

/* ATTESTATION_REPORT.  Offsets are from the ABI's table; the fields that only
 * exist in later versions are zero (and reserved) in earlier ones. */
struct snp_report {
	uint32_t version;              /* 0x000 */
	uint32_t guest_svn;            /* 0x004 */
	uint64_t policy;               /* 0x008 */
	uint8_t family_id[16];         /* 0x010 */
	uint8_t image_id[16];          /* 0x020 */
	uint32_t vmpl;                 /* 0x030: VMPL the report was requested for */
	uint32_t signature_algo;       /* 0x034 */
	uint64_t current_tcb;          /* 0x038: TCB_VERSION */
	uint64_t platform_info;        /* 0x040 */
	uint32_t key_info;             /* 0x048: AUTHOR_KEY_EN, MASK_CHIP_KEY, SIGNING_KEY */
	uint32_t reserved_04c;         /* 0x04C */
	uint8_t report_data[SNP_REPORT_DATA_SIZE];  /* 0x050: the requester's data */
	uint8_t measurement[SNP_MEASUREMENT_SIZE];  /* 0x090: launch digest */
	uint8_t host_data[SNP_HOST_DATA_SIZE];      /* 0x0C0 */
	uint8_t id_key_digest[48];     /* 0x0E0 */
	uint8_t author_key_digest[48]; /* 0x110 */
	uint8_t report_id[32];         /* 0x140 */
	uint8_t report_id_ma[32];      /* 0x160 */
	uint64_t reported_tcb;         /* 0x180: TCB the VCEK was derived for */
	uint8_t cpuid_fam_id;          /* 0x188: v3+, CPUID family (extended + base) */
	uint8_t cpuid_mod_id;          /* 0x189: v3+, CPUID model (extended + base) */
	uint8_t cpuid_step;            /* 0x18A: v3+, CPUID stepping */
	uint8_t reserved_18b[21];      /* 0x18B */
	uint8_t chip_id[SNP_CHIP_ID_SIZE]; /* 0x1A0: zero if MASK_CHIP_ID */
	uint64_t committed_tcb;        /* 0x1E0 */
	uint8_t current_build;         /* 0x1E8 */
	uint8_t current_minor;         /* 0x1E9 */
	uint8_t current_major;         /* 0x1EA */
	uint8_t reserved_1eb;          /* 0x1EB */
	uint8_t committed_build;       /* 0x1EC */
	uint8_t committed_minor;       /* 0x1ED */
	uint8_t committed_major;       /* 0x1EE */
	uint8_t reserved_1ef;          /* 0x1EF */
	uint64_t launch_tcb;           /* 0x1F0 */
	uint64_t launch_mit_vector;    /* 0x1F8: v5+ */
	uint64_t current_mit_vector;   /* 0x200: v5+ */
	uint8_t reserved_208[152];     /* 0x208 */
	struct snp_report_signature signature; /* 0x2A0 */
} HUSK_PACKED;
HUSK_STATIC_ASSERT(sizeof(struct snp_report) == SNP_REPORT_SIZE, "ATTESTATION_REPORT is 0x4A0 bytes");
HUSK_STATIC_ASSERT(offsetof(struct snp_report, vmpl) == 0x030, "vmpl");
HUSK_STATIC_ASSERT(offsetof(struct snp_report, key_info) == 0x048, "key_info");
HUSK_STATIC_ASSERT(offsetof(struct snp_report, report_data) == 0x050, "report_data");
HUSK_STATIC_ASSERT(offsetof(struct snp_report, measurement) == 0x090, "measurement");
HUSK_STATIC_ASSERT(offsetof(struct snp_report, host_data) == 0x0C0, "host_data");
HUSK_STATIC_ASSERT(offsetof(struct snp_report, id_key_digest) == 0x0E0, "id_key_digest");
HUSK_STATIC_ASSERT(offsetof(struct snp_report, report_id) == 0x140, "report_id");
HUSK_STATIC_ASSERT(offsetof(struct snp_report, reported_tcb) == 0x180, "reported_tcb");
HUSK_STATIC_ASSERT(offsetof(struct snp_report, cpuid_fam_id) == 0x188, "cpuid_fam_id");
HUSK_STATIC_ASSERT(offsetof(struct snp_report, chip_id) == 0x1A0, "chip_id");
HUSK_STATIC_ASSERT(offsetof(struct snp_report, committed_tcb) == 0x1E0, "committed_tcb");
HUSK_STATIC_ASSERT(offsetof(struct snp_report, current_build) == 0x1E8, "current_build");
HUSK_STATIC_ASSERT(offsetof(struct snp_report, committed_build) == 0x1EC, "committed_build");
HUSK_STATIC_ASSERT(offsetof(struct snp_report, launch_tcb) == 0x1F0, "launch_tcb");
HUSK_STATIC_ASSERT(offsetof(struct snp_report, launch_mit_vector) == 0x1F8, "launch_mit_vector");
HUSK_STATIC_ASSERT(offsetof(struct snp_report, current_mit_vector) == 0x200, "current_mit_vector");
HUSK_STATIC_ASSERT(offsetof(struct snp_report, signature) == SNP_REPORT_SIGNED_SIZE, "signature");
/* The struct is the wire format; its integer fields are read in place. */
HUSK_STATIC_ASSERT(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "lib/snp assumes a little-endian CPU");

/* ---- TCB_VERSION ----------------------------------------------------------
 * A 64-bit value of security patch levels whose byte layout depends on the
 * CPU generation: Milan and Genoa put BOOT_LOADER, TEE, 4 reserved bytes, SNP,
 * MICROCODE in bytes 0..7; Turin puts FMC, BOOT_LOADER, TEE, SNP, 3 reserved
 * bytes, MICROCODE. */

enum snp_tcb_layout {
	SNP_TCB_LAYOUT_MILAN_GENOA = 0,
	SNP_TCB_LAYOUT_TURIN = 1,
};

enum snp_product {
	SNP_PRODUCT_UNKNOWN = 0,
	SNP_PRODUCT_MILAN,
	SNP_PRODUCT_GENOA,
	SNP_PRODUCT_TURIN,
};

struct snp_tcb {
	bool has_fmc; /* Turin layout only */
	uint8_t fmc;
	uint8_t bootloader;
	uint8_t tee;
	uint8_t snp;
	uint8_t microcode;
};

void snp_tcb_decode(uint64_t raw, enum snp_tcb_layout layout, struct snp_tcb *out);

/* Inverse of snp_tcb_decode (reserved bytes zero; fmc ignored for Milan/Genoa). */
uint64_t snp_tcb_encode(const struct snp_tcb *tcb, enum snp_tcb_layout layout);

/* True if raw has a non-zero byte where layout has none (a value JSON
 * evidence and VCEK certificates cannot express). */
bool snp_tcb_has_reserved_bits(uint64_t raw, enum snp_tcb_layout layout);

/* The processor generation for a CPUID family and model (as a v3+ report
 * holds them): family 0x19 models 0x00-0x0F Milan, 0x10-0x1F and 0xA0-0xAF
 * Genoa; family 0x1A models 0x00-0x11 Turin; anything else unknown. */
enum snp_product snp_product_from_cpuid(uint8_t family, uint8_t model);

/* ---- Parsing and access ---- */

/* Copies len bytes of raw (which may be shared or unaligned memory; it is
 * read exactly once) into *out and validates them as described at the top
 * of this file.  On failure *out is zeroed and err says which field is
 * wrong.  Returns HUSK_OK, HUSK_ERR_INVAL (NULL arguments), HUSK_ERR_RANGE
 * (wrong size), HUSK_ERR_UNSUPPORTED (version or signature algorithm) or
 * HUSK_ERR_FORMAT (invalid field). */
int snp_report_parse(struct snp_report *out, const void *raw, size_t len, struct snp_error *err);

/* The checks of snp_report_parse on a report already in private memory
 * (e.g. one built by a test or kept from an earlier parse). */
int snp_report_validate(const struct snp_report *r, struct snp_error *err);

/* The CPU generation a parsed report comes from: from its CPUID fields in
 * v3+; SNP_PRODUCT_UNKNOWN for v2, which does not say. */
enum snp_product snp_report_product(const struct snp_report *r);

/* The TCB_VERSION layout of a parsed report's four TCB fields.  v3+: Turin
 * for CPUID family 0x1A, otherwise Milan/Genoa.  v2 reports carry no CPUID,
 * so this follows the heuristic of the `sev` crate Trustee uses: a CHIP_ID
 * whose bytes 8..63 are zero but 0..7 are not is Turin's (8-byte) chip ID. */
enum snp_tcb_layout snp_report_tcb_layout(const struct snp_report *r);

static inline const uint8_t *snp_report_measurement(const struct snp_report *r)
{
	return r->measurement;
}

static inline const uint8_t *snp_report_report_data(const struct snp_report *r)
{
	return r->report_data;
}

static inline uint32_t snp_report_vmpl(const struct snp_report *r)
{
	return r->vmpl;
}

static inline const uint8_t *snp_report_chip_id(const struct snp_report *r)
{
	return r->chip_id;
}

static inline uint32_t snp_report_signing_key(const struct snp_report *r)
{
	return (r->key_info & SNP_KEY_INFO_SIGNING_KEY_MASK) >> SNP_KEY_INFO_SIGNING_KEY_SHIFT;
}

/* REPORTED_TCB decoded with snp_report_tcb_layout(r). */
void snp_report_reported_tcb(const struct snp_report *r, struct snp_tcb *out);

/* True if CHIP_ID is all zero (MASK_CHIP_ID was set for the platform). */
bool snp_report_chip_id_masked(const struct snp_report *r);

#endif
