/* Target descriptions (configs/NAME.conf): "key = value" lines, "#" comments.
 *
 *   name = snp                    target name (goes into the boot parameters)
 *   platforms = snp, native       one or more of native, svm, snp, tdx
 *                                 ("platform" is accepted for one)
 *   region_base = 0x1000000       husk's region: page aligned, below 4 GiB
 *   region_size = 0x800000
 *   command_line = yes            declare the IGVM COMMAND_LINE parameter
 *   payload = FILE                optional guest payload, raw bytes (path
 *   payload_gpa = 0x...           relative to the config file), loaded at GPA
 *   payload_entry = 0x...         where the guest's boot vCPU starts (svm;
 *                                 default payload_gpa)
 *   snp.policy = 0x30000          SEV-SNP guest policy (GUEST_POLICY)
 *   snp.sev_features = 0x1        SEV_FEATURES of the BSP's VMSA
 *   snp.cpuid_gpa = 0xffe000      the CPUID page (outside husk's region)
 *   snp.secrets_gpa = 0xfff000    the secrets page (outside husk's region)
 *   snp.c_bit = 51                C-bit set in husk's page tables (0: none)
 *   tdx.policy = 0x0              TDX guest policy (optional)
 *
 * native and svm both run husk with the IGVM platform type NATIVE; they
 * cannot share a file (a loader could not choose between them), see
 * docs/igvm.md. */
#ifndef HUSK_TOOLS_IGVM_CONFIG_H
#define HUSK_TOOLS_IGVM_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#define CONFIG_MAX_PLATFORMS 4

struct target_config {
	char name[64];
	uint32_t nplatforms;
	uint32_t platforms[CONFIG_MAX_PLATFORMS]; /* enum husk_platform, in mask-bit order */
	uint64_t region_base;
	uint64_t region_size;
	bool command_line;
	char payload[512]; /* "" if none */
	uint64_t payload_gpa;
	uint64_t payload_entry; /* GPA; 0 = payload_gpa */
	uint64_t payload_size;  /* filled by the builder: bytes, page multiple */
	/* SEV-SNP */
	uint64_t snp_policy;
	uint64_t snp_sev_features;
	uint64_t snp_cpuid_gpa;
	uint64_t snp_secrets_gpa;
	uint32_t snp_c_bit;
	/* TDX */
	bool tdx_have_policy;
	uint64_t tdx_policy;
};

/* Reads and validates a target description; on error prints
 * "file:line: message" to stderr and returns non-zero. */
int config_load(const char *path, struct target_config *out);

/* Whether the target includes platform p (enum husk_platform). */
bool config_has(const struct target_config *cfg, uint32_t p);

/* "native", "svm", "snp", "tdx". */
const char *config_platform_name(uint32_t p);

#endif
