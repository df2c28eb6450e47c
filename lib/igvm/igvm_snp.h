/* SEV-SNP launch digest of an IGVM file, computed the way a KVM/QEMU host
 * computes it when it loads the file (QEMU backends/igvm.c and target/i386/
 * sev.c, KVM's SNP launch code), plus the VMSA helpers the builder and the
 * measurement share.
 *
 * The model, item by item (docs/igvm.md has the reasoning and sources):
 *  - PAGE_DATA is measured one 4 KiB page at a time; pages without file data
 *    are NORMAL pages of zeros (QEMU never uses the ZERO type), UNMEASURED
 *    pages are type UNMEASURED, SECRETS and CPUID pages their own types
 *    (contents not hashed), SHARED pages are measured like any other (QEMU
 *    ignores the flag), a 2 MiB page is 512 consecutive 4 KiB pages.
 *  - Consecutive page directives are batched as QEMU batches them and
 *    flushed lazily, so a PARAMETER_INSERT is measured before the run of
 *    page directives just ahead of it; every page of the inserted area is
 *    UNMEASURED.
 *  - VMSAs come last (LAUNCH_FINISH), one per vCPU in vCPU order, each at
 *    GPA 0xFFFFFFFFF000.  A vCPU with a VP_CONTEXT gets the VMSA KVM rebuilds
 *    from the state QEMU copied out of the file; the others the x86 reset
 *    state (RDX = CPUID(1) signature), or none, as the options say.
 *  - SEV_FEATURES of every VMSA is vCPU 0's value (KVM applies it VM-wide).
 *  - VMPL permission bytes of PAGE_INFO are zero.
 * Where the file relies on something that tools or hosts disagree about,
 * the measurement goes on but reports a note (and `measure --check-kvm`
 * turns notes into errors). */
#ifndef HUSK_IGVM_SNP_H
#define HUSK_IGVM_SNP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "igvm/igvm_reader.h"
#include "igvm/snp_defs.h"
#include "mbedtls/ecp.h"

#define IGVM_SNP_MAX_VCPUS 512u

/* CPUID(1).EAX of QEMU's AMD EPYC models, for the RDX of reset-state VMSAs. */
#define IGVM_SNP_SIG_EPYC       0x00800f12u /* EPYC, EPYC-IBPB (family 17h model 01h) */
#define IGVM_SNP_SIG_EPYC_ROME  0x00830f10u /* family 17h model 31h */
#define IGVM_SNP_SIG_EPYC_MILAN 0x00a00f11u /* family 19h model 01h */
#define IGVM_SNP_SIG_EPYC_GENOA 0x00a10f11u /* family 19h model 11h */

enum igvm_snp_ap_mode {
	IGVM_SNP_AP_RESET = 0, /* vCPUs without a VP_CONTEXT: x86 reset-state VMSA */
	IGVM_SNP_AP_NONE = 1,  /* ... not measured (KVM branches that skipped them) */
};

/* What a note is about (bits of igvm_snp_result.notes). */
enum igvm_snp_note {
	IGVM_SNP_NOTE_VMSA_REBUILT = 1u << 0,     /* KVM would measure a different VMSA */
	IGVM_SNP_NOTE_VMSA_GPA = 1u << 1,         /* VMSA not at 0xFFFFFFFFF000 */
	IGVM_SNP_NOTE_VMSA_NOT_LAST = 1u << 2,    /* page directives after a VP_CONTEXT */
	IGVM_SNP_NOTE_INSERT_ORDER = 1u << 3,     /* PARAMETER_INSERT right after page data */
	IGVM_SNP_NOTE_SHARED = 1u << 4,           /* SHARED page data (QEMU measures it) */
	IGVM_SNP_NOTE_2MB = 1u << 5,              /* 2 MiB page data */
	IGVM_SNP_NOTE_SEV_FEATURES = 1u << 6,     /* SNP bit missing, or options override */
	IGVM_SNP_NOTE_POLICY = 1u << 7,           /* policy reserved bits wrong, or no policy */
	IGVM_SNP_NOTE_PARAM_AREA_PAGES = 1u << 8, /* multi-page area: tools differ */
	IGVM_SNP_NOTE_CPUID_CONTENT = 1u << 9,    /* CPUID page data QEMU replaces */
};

struct igvm_snp_options {
	uint32_t vcpus;             /* 1..IGVM_SNP_MAX_VCPUS */
	bool sev_features_set;      /* use sev_features instead of vCPU 0's */
	uint64_t sev_features;
	uint32_t vcpu_sig;          /* RDX of reset-state VMSAs */
	enum igvm_snp_ap_mode ap_mode;
	bool no_host_mce;           /* KVM ORs the host's CR4.MCE in; off for hosts without */
	/* Called for each measured page, after the digest was extended. */
	void (*trace)(void *ctx, const struct snp_page_info *pi, const uint8_t *digest_after);
	/* Called once per note kind with a one-line explanation. */
	void (*note)(void *ctx, uint32_t kind, const char *msg);
	void *ctx;
};

struct igvm_snp_result {
	uint8_t digest[SNP_DIGEST_SIZE];
	uint32_t platform_mask;   /* the file's SEV_SNP compatibility bit */
	bool have_policy;
	uint64_t policy;          /* GUEST_POLICY for the platform */
	uint64_t sev_features;    /* what every VMSA was measured with */
	uint32_t pages[7];        /* measured 4 KiB pages by SNP_PAGE_TYPE_* */
	uint32_t vmsas_from_file; /* VMSAs rebuilt from VP_CONTEXTs */
	uint32_t vmsas_reset;     /* reset-state VMSAs */
	uint32_t notes;           /* enum igvm_snp_note bits */
	bool have_id_block;
	struct igvm_vhs_snp_id_block id_block; /* the platform's SNP_ID_BLOCK */
};

/* Sets the defaults: 1 vCPU, vCPU 0's SEV features, EPYC signature, reset-
 * state VMSAs for vCPUs without a context, host with CR4.MCE. */
void igvm_snp_options_init(struct igvm_snp_options *o);

/* One LAUNCH_UPDATE step: digest = SHA-384(PAGE_INFO{digest, ...}).  page is
 * the 4 KiB page for NORMAL and VMSA (NULL for a page of zeros) and ignored
 * for the other types. */
int igvm_snp_extend(uint8_t digest[SNP_DIGEST_SIZE], uint8_t page_type, uint64_t gpa,
		    const uint8_t *page, struct snp_page_info *pi_out);

/* The VMSA that KVM measures for a vCPU whose VP_CONTEXT is `in`, with the
 * VM's SEV features: the state QEMU copies out of the file (and nothing
 * else), pushed through KVM's register interface (EFER.SVME, CR0.ET, RFLAGS
 * bit 1, the host's CR4.MCE, segment attributes, CPL from SS, ...).  Returns
 * HUSK_ERR_UNSUPPORTED, with why filled in, for a VMSA QEMU or KVM would
 * refuse (a field QEMU cannot pass to KVM is not zero, DR7 or XCR0 KVM
 * rejects, ...). */
int igvm_snp_vmsa_kvm(const struct snp_vmsa *in, uint64_t sev_features, bool host_mce,
		      struct snp_vmsa *out, char *why, size_t why_len);

/* The reset-state VMSA QEMU/KVM give a vCPU the file does not describe. */
void igvm_snp_vmsa_reset(struct snp_vmsa *out, uint32_t vcpu_sig, uint64_t sev_features,
			 bool host_mce);

/* Measures the file's SEV_SNP platform.  HUSK_ERR_NOTFOUND if it has none;
 * HUSK_ERR_UNSUPPORTED (message in *err) for what a KVM/QEMU host would not
 * launch at all. */
int igvm_snp_measure(const struct igvm_reader *r, const struct igvm_snp_options *o,
		     struct igvm_snp_result *res, struct igvm_error *err);

/* Named VMSA fields, for dumps and for saying which field differs. */
struct igvm_snp_vmsa_field {
	const char *name;
	uint16_t offset;
	uint16_t size;
	bool qemu; /* QEMU copies it from an IGVM VMSA into the vCPU (others must be 0) */
};
const struct igvm_snp_vmsa_field *igvm_snp_vmsa_fields(size_t *count);
/* The field holding byte offset off of the VMSA (a reserved area has a name too). */
const struct igvm_snp_vmsa_field *igvm_snp_vmsa_field_at(size_t off);

/* ---- ID block (igvm_snp_id.c) ---- */

/* The firmware's structures from the IGVM header, as QEMU converts them
 * (ID block version 1, policy from GUEST_POLICY; the IGVM public key's
 * reserved word after `curve` dropped). */
void igvm_snp_id_block_from_igvm(const struct igvm_vhs_snp_id_block *b, uint64_t policy,
				 struct snp_id_block *out);
void igvm_snp_public_key_from_igvm(const struct igvm_snp_id_block_public_key *k,
				   struct snp_public_key *out);
/* SHA-384 of the firmware form of k: the report's ID_KEY_DIGEST/AUTHOR_KEY_DIGEST. */
int igvm_snp_key_digest(const struct igvm_snp_id_block_public_key *k,
			uint8_t out[SNP_DIGEST_SIZE]);

/* ECDSA P-384 over SHA-384(msg): checks sig (r, s little-endian) with pub.
 * HUSK_OK, HUSK_ERR_CRYPTO for a wrong signature, HUSK_ERR_INVAL for a key
 * that is not a P-384 point. */
int igvm_snp_verify(const struct igvm_snp_id_block_public_key *pub, const void *msg,
		    size_t len, const struct igvm_snp_id_block_signature *sig);

/* Checks an SNP_ID_BLOCK against a launch: ld equals digest, the ID key's
 * signature over the ID block (with policy), and with author_key_enabled the
 * author key's signature over the ID key.  why gets a one-line reason. */
/* Deterministic (RFC 6979) ECDSA P-384 signature over SHA-384(msg) with key,
 * r and s little-endian as SNP and IGVM store them.  f_rng only blinds the
 * computation: the signature depends on the key and message alone. */
int igvm_snp_sign(const mbedtls_ecp_keypair *key, const void *msg, size_t len,
		  struct igvm_snp_id_block_signature *sig,
		  int (*f_rng)(void *, unsigned char *, size_t), void *p_rng);
/* The IGVM form of key's public point (curve P-384, coordinates little-endian). */
int igvm_snp_public_key(const mbedtls_ecp_keypair *key, struct igvm_snp_id_block_public_key *out);

int igvm_snp_id_block_check(const struct igvm_vhs_snp_id_block *b, uint64_t policy,
			    const uint8_t digest[SNP_DIGEST_SIZE], char *why, size_t why_len);

#endif
