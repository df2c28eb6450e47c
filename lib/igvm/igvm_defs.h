/* On-disk structures and constants of the IGVM file format (Independent Guest
 * Virtual Machine), as the reader, the writer and husk's tools see them.
 *
 * Every structure is packed and little-endian, named after the format's own
 * IGVM_VHS_* / IGVM_VHT_* names, and its size and field offsets are pinned by
 * _Static_assert so that a typo cannot silently change the wire layout.  Code
 * never casts a pointer into a file buffer to one of these types: it copies the
 * bytes into a local structure (memcpy), which is safe at any alignment. */
#ifndef HUSK_IGVM_DEFS_H
#define HUSK_IGVM_DEFS_H

#include <stddef.h>
#include <stdint.h>

#include "husk/compiler.h"

/* ---- fixed header ---------------------------------------------------- */

#define IGVM_MAGIC            0x4D564749u /* bytes "IGVM" */
#define IGVM_FORMAT_VERSION_1 1u
#define IGVM_FORMAT_VERSION_2 2u /* work in progress upstream ("unstable") */

#define IGVM_ARCH_X64     0u /* igvm_fixed_header_v2.architecture */
#define IGVM_ARCH_AARCH64 1u

#define IGVM_PAGE_SIZE_4K 0x1000u
#define IGVM_PAGE_SIZE_2M 0x200000u

/* Variable headers start at multiples of this, padded with zeros. */
#define IGVM_HEADER_ALIGN 8u

struct igvm_fixed_header {
	uint32_t magic;                  /* IGVM_MAGIC */
	uint32_t format_version;         /* IGVM_FORMAT_VERSION_1 */
	uint32_t variable_header_offset; /* >= sizeof(fixed header), 8-aligned */
	uint32_t variable_header_size;
	uint32_t total_file_size;        /* must equal the file's length */
	uint32_t checksum;               /* CRC-32, see crc32.h */
} HUSK_PACKED;
HUSK_STATIC_ASSERT(sizeof(struct igvm_fixed_header) == 24, "IGVM fixed header v1");
HUSK_STATIC_ASSERT(offsetof(struct igvm_fixed_header, checksum) == 0x14, "checksum offset");

struct igvm_fixed_header_v2 {
	uint32_t magic;
	uint32_t format_version; /* IGVM_FORMAT_VERSION_2 */
	uint32_t variable_header_offset;
	uint32_t variable_header_size;
	uint32_t total_file_size;
	uint32_t checksum;
	uint32_t architecture; /* IGVM_ARCH_* */
	uint32_t page_size;    /* only IGVM_PAGE_SIZE_4K is defined */
} HUSK_PACKED;
HUSK_STATIC_ASSERT(sizeof(struct igvm_fixed_header_v2) == 32, "IGVM fixed header v2");
HUSK_STATIC_ASSERT(offsetof(struct igvm_fixed_header_v2, architecture) == 0x18, "v2 arch");
HUSK_STATIC_ASSERT(offsetof(struct igvm_fixed_header_v2, page_size) == 0x1c, "v2 page size");

/* ---- variable headers (TLV) ------------------------------------------- */

/* Precedes every variable header; length counts the body only (not these 8
 * bytes, not the padding to the next 8-byte boundary). */
struct igvm_vhs_header {
	uint32_t type;
	uint32_t length;
} HUSK_PACKED;
HUSK_STATIC_ASSERT(sizeof(struct igvm_vhs_header) == 8, "IGVM TLV header");

/* Set in a type: a loader that does not know the type may skip the header. */
#define IGVM_VHT_OPTIONAL 0x80000000u

/* Section ranges; a file goes platform -> initialization -> directive. */
#define IGVM_VHT_RANGE_PLATFORM_FIRST  0x001u
#define IGVM_VHT_RANGE_PLATFORM_LAST   0x100u
#define IGVM_VHT_RANGE_INIT_FIRST      0x101u
#define IGVM_VHT_RANGE_INIT_LAST       0x200u
#define IGVM_VHT_RANGE_DIRECTIVE_FIRST 0x301u
#define IGVM_VHT_RANGE_DIRECTIVE_LAST  0x400u

/* Platform section */
#define IGVM_VHT_SUPPORTED_PLATFORM            0x001u
/* Initialization section */
#define IGVM_VHT_GUEST_POLICY                  0x101u
#define IGVM_VHT_RELOCATABLE_REGION            0x102u
#define IGVM_VHT_PAGE_TABLE_RELOCATION_REGION  0x103u
#define IGVM_VHT_CORIM_DOCUMENT                0x104u
#define IGVM_VHT_CORIM_SIGNATURE               0x105u
#define IGVM_VHT_CCA_POLICY                    0x106u
/* Directive section */
#define IGVM_VHT_PARAMETER_AREA                0x301u
#define IGVM_VHT_PAGE_DATA                     0x302u
#define IGVM_VHT_PARAMETER_INSERT              0x303u
#define IGVM_VHT_VP_CONTEXT                    0x304u
#define IGVM_VHT_REQUIRED_MEMORY               0x305u
#define IGVM_VHT_RESERVED_306                  0x306u /* was SHARED_BOUNDARY_GPA; never valid */
#define IGVM_VHT_VP_COUNT_PARAMETER            0x307u
#define IGVM_VHT_SRAT                          0x308u
#define IGVM_VHT_MADT                          0x309u
#define IGVM_VHT_MMIO_RANGES                   0x30Au
#define IGVM_VHT_SNP_ID_BLOCK                  0x30Bu
#define IGVM_VHT_MEMORY_MAP                    0x30Cu
#define IGVM_VHT_ERROR_RANGE                   0x30Du
#define IGVM_VHT_COMMAND_LINE                  0x30Eu
#define IGVM_VHT_SLIT                          0x30Fu
#define IGVM_VHT_PPTT                          0x310u
#define IGVM_VHT_VBS_MEASUREMENT               0x311u
#define IGVM_VHT_DEVICE_TREE                   0x312u
#define IGVM_VHT_ENVIRONMENT_INFO_PARAMETER    0x313u

/* Body sizes of the types whose layout husk does not model (the upstream
 * definitions are feature-gated and not restated in husk's references); the
 * reader only checks that the body is at least this long. */
#define IGVM_VHS_CORIM_SIZE       16u
#define IGVM_VHS_CCA_POLICY_SIZE  32u

/* ---- platform section ---- */

#define IGVM_PLATFORM_NATIVE        0x00u
#define IGVM_PLATFORM_VSM_ISOLATION 0x01u /* Hyper-V VBS */
#define IGVM_PLATFORM_SEV_SNP       0x02u
#define IGVM_PLATFORM_TDX           0x03u
#define IGVM_PLATFORM_SEV           0x04u
#define IGVM_PLATFORM_SEV_ES        0x05u
#define IGVM_PLATFORM_CCA           0x06u
#define IGVM_PLATFORM_TYPE_MAX      IGVM_PLATFORM_CCA

#define IGVM_PLATFORM_VERSION 1u /* the only version of every platform type */

struct igvm_vhs_supported_platform {
	uint32_t compatibility_mask; /* exactly one bit; later headers refer to it */
	uint8_t highest_vtl;         /* 0 without VTLs, else 2 */
	uint8_t platform_type;       /* IGVM_PLATFORM_* */
	uint16_t platform_version;   /* IGVM_PLATFORM_VERSION */
	uint64_t shared_gpa_boundary; /* 0 = enlightened; SNP: vTOM */
} HUSK_PACKED;
HUSK_STATIC_ASSERT(sizeof(struct igvm_vhs_supported_platform) == 16, "SUPPORTED_PLATFORM");
HUSK_STATIC_ASSERT(offsetof(struct igvm_vhs_supported_platform, platform_type) == 5, "type");
HUSK_STATIC_ASSERT(offsetof(struct igvm_vhs_supported_platform, shared_gpa_boundary) == 8,
		   "boundary");

/* ---- initialization section ---- */

struct igvm_vhs_guest_policy {
	uint64_t policy; /* SNP guest policy, or TDX attributes-style policy */
	uint32_t compatibility_mask;
	uint32_t reserved; /* MBZ */
} HUSK_PACKED;
HUSK_STATIC_ASSERT(sizeof(struct igvm_vhs_guest_policy) == 16, "GUEST_POLICY");
HUSK_STATIC_ASSERT(offsetof(struct igvm_vhs_guest_policy, compatibility_mask) == 8, "mask");

#define IGVM_RELOCATABLE_REGION_IS_VTL2    0x1u
#define IGVM_RELOCATABLE_REGION_APPLY_RIP  0x2u
#define IGVM_RELOCATABLE_REGION_APPLY_GDTR 0x4u
#define IGVM_RELOCATABLE_REGION_FLAGS      0x7u

struct igvm_vhs_relocatable_region {
	uint32_t compatibility_mask;
	uint16_t vp_index;
	uint8_t vtl;
	uint8_t flags; /* IGVM_RELOCATABLE_REGION_* */
	uint64_t relocation_alignment; /* multiple of 4 KiB */
	uint64_t relocation_region_gpa;
	uint64_t relocation_region_size;
	uint64_t minimum_relocation_gpa;
	uint64_t maximum_relocation_gpa;
} HUSK_PACKED;
HUSK_STATIC_ASSERT(sizeof(struct igvm_vhs_relocatable_region) == 48, "RELOCATABLE_REGION");
HUSK_STATIC_ASSERT(offsetof(struct igvm_vhs_relocatable_region, relocation_alignment) == 8,
		   "alignment");
HUSK_STATIC_ASSERT(offsetof(struct igvm_vhs_relocatable_region, maximum_relocation_gpa) == 40,
		   "max gpa");

struct igvm_vhs_page_table_relocation {
	uint32_t compatibility_mask;
	uint16_t vp_index;
	uint8_t vtl;
	uint8_t reserved; /* MBZ */
	uint64_t gpa;
	uint64_t size;
	uint64_t used_size;
} HUSK_PACKED;
HUSK_STATIC_ASSERT(sizeof(struct igvm_vhs_page_table_relocation) == 32,
		   "PAGE_TABLE_RELOCATION_REGION");
HUSK_STATIC_ASSERT(offsetof(struct igvm_vhs_page_table_relocation, gpa) == 8, "gpa");

/* ---- directive section ---- */

struct igvm_vhs_parameter_area {
	uint64_t number_of_bytes;      /* multiple of 4 KiB */
	uint32_t parameter_area_index; /* declared once per file */
	uint32_t file_offset;          /* initial contents (number_of_bytes); 0 = zeros */
} HUSK_PACKED;
HUSK_STATIC_ASSERT(sizeof(struct igvm_vhs_parameter_area) == 16, "PARAMETER_AREA");
HUSK_STATIC_ASSERT(offsetof(struct igvm_vhs_parameter_area, file_offset) == 12, "file_offset");

#define IGVM_PAGE_DATA_FLAG_2MB        0x1u /* gpa 2 MiB aligned */
#define IGVM_PAGE_DATA_FLAG_UNMEASURED 0x2u
#define IGVM_PAGE_DATA_FLAG_SHARED     0x4u /* assigned, host visible, not measured */
#define IGVM_PAGE_DATA_FLAGS           0x7u /* every defined flag */

#define IGVM_PAGE_DATA_TYPE_NORMAL     0u
#define IGVM_PAGE_DATA_TYPE_SECRETS    1u
#define IGVM_PAGE_DATA_TYPE_CPUID_DATA 2u
#define IGVM_PAGE_DATA_TYPE_CPUID_XF   3u
#define IGVM_PAGE_DATA_TYPE_MAX        IGVM_PAGE_DATA_TYPE_CPUID_XF

struct igvm_vhs_page_data {
	uint64_t gpa;
	uint32_t compatibility_mask;
	uint32_t file_offset; /* absolute; 0 = a page of zeros */
	uint32_t flags;       /* IGVM_PAGE_DATA_FLAG_* */
	uint16_t data_type;   /* IGVM_PAGE_DATA_TYPE_* */
	uint16_t reserved;    /* MBZ */
} HUSK_PACKED;
HUSK_STATIC_ASSERT(sizeof(struct igvm_vhs_page_data) == 24, "PAGE_DATA");
HUSK_STATIC_ASSERT(offsetof(struct igvm_vhs_page_data, file_offset) == 0x0c, "file_offset");
HUSK_STATIC_ASSERT(offsetof(struct igvm_vhs_page_data, data_type) == 0x14, "data_type");

struct igvm_vhs_parameter_insert {
	uint64_t gpa; /* page aligned; the area's pages go here, unmeasured */
	uint32_t compatibility_mask;
	uint32_t parameter_area_index; /* the area cannot be used afterwards */
} HUSK_PACKED;
HUSK_STATIC_ASSERT(sizeof(struct igvm_vhs_parameter_insert) == 16, "PARAMETER_INSERT");

/* Body of every parameter-usage header: VP_COUNT, SRAT, MADT, MMIO_RANGES,
 * MEMORY_MAP, COMMAND_LINE, SLIT, PPTT, DEVICE_TREE, ENVIRONMENT_INFO. */
struct igvm_vhs_parameter {
	uint32_t parameter_area_index;
	uint32_t byte_offset; /* where in the area the loader writes */
} HUSK_PACKED;
HUSK_STATIC_ASSERT(sizeof(struct igvm_vhs_parameter) == 8, "IGVM_VHS_PARAMETER");

/* 20 bytes: its TLV length is 20, followed by 4 bytes of padding. */
struct igvm_vhs_vp_context {
	uint64_t gpa; /* SNP/SEV-ES: where the VMSA goes; 0 for NATIVE/VBS/SEV */
	uint32_t compatibility_mask;
	uint32_t file_offset; /* the context (SNP: VMSA page) */
	uint16_t vp_index;
	uint16_t reserved; /* MBZ */
} HUSK_PACKED;
HUSK_STATIC_ASSERT(sizeof(struct igvm_vhs_vp_context) == 20, "VP_CONTEXT");
HUSK_STATIC_ASSERT(offsetof(struct igvm_vhs_vp_context, vp_index) == 0x10, "vp_index");

#define IGVM_REQUIRED_MEMORY_VTL2_PROTECTABLE 0x1u
#define IGVM_REQUIRED_MEMORY_FLAGS            0x1u

struct igvm_vhs_required_memory {
	uint64_t gpa;
	uint32_t compatibility_mask;
	uint32_t number_of_bytes; /* multiple of 4 KiB */
	uint32_t flags;           /* IGVM_REQUIRED_MEMORY_* */
	uint32_t reserved;        /* MBZ */
} HUSK_PACKED;
HUSK_STATIC_ASSERT(sizeof(struct igvm_vhs_required_memory) == 24, "REQUIRED_MEMORY");
HUSK_STATIC_ASSERT(offsetof(struct igvm_vhs_required_memory, flags) == 0x10, "flags");

struct igvm_vhs_error_range {
	uint64_t gpa;
	uint32_t compatibility_mask;
	uint32_t size_bytes; /* multiple of 4 KiB; shared with the host */
} HUSK_PACKED;
HUSK_STATIC_ASSERT(sizeof(struct igvm_vhs_error_range) == 16, "ERROR_RANGE");

/* ECDSA P-384: r and s little-endian, zero-padded to 72 bytes. */
struct igvm_snp_id_block_signature {
	uint8_t r[72];
	uint8_t s[72];
} HUSK_PACKED;
HUSK_STATIC_ASSERT(sizeof(struct igvm_snp_id_block_signature) == 144, "ID block signature");

/* Unlike the SNP firmware's key format, IGVM has a reserved u32 after curve. */
struct igvm_snp_id_block_public_key {
	uint32_t curve; /* 2 = P-384 */
	uint32_t reserved;
	uint8_t qx[72];
	uint8_t qy[72];
} HUSK_PACKED;
HUSK_STATIC_ASSERT(sizeof(struct igvm_snp_id_block_public_key) == 152, "ID block public key");

#define IGVM_SNP_ID_KEY_ALGO_ECDSA_P384_SHA384 1u
#define IGVM_SNP_CURVE_P384                    2u

struct igvm_vhs_snp_id_block {
	uint32_t compatibility_mask;
	uint8_t author_key_enabled; /* 1: the author key fields are valid */
	uint8_t reserved[3];
	uint8_t ld[48]; /* expected launch digest */
	uint8_t family_id[16];
	uint8_t image_id[16];
	uint32_t version;
	uint32_t guest_svn;
	uint32_t id_key_algorithm;
	uint32_t author_key_algorithm;
	struct igvm_snp_id_block_signature id_key_signature;
	struct igvm_snp_id_block_public_key id_public_key;
	struct igvm_snp_id_block_signature author_key_signature;
	struct igvm_snp_id_block_public_key author_public_key;
} HUSK_PACKED;
HUSK_STATIC_ASSERT(sizeof(struct igvm_vhs_snp_id_block) == 0x2b8, "SNP_ID_BLOCK");
HUSK_STATIC_ASSERT(offsetof(struct igvm_vhs_snp_id_block, ld) == 0x008, "ld");
HUSK_STATIC_ASSERT(offsetof(struct igvm_vhs_snp_id_block, family_id) == 0x038, "family_id");
HUSK_STATIC_ASSERT(offsetof(struct igvm_vhs_snp_id_block, image_id) == 0x048, "image_id");
HUSK_STATIC_ASSERT(offsetof(struct igvm_vhs_snp_id_block, version) == 0x058, "version");
HUSK_STATIC_ASSERT(offsetof(struct igvm_vhs_snp_id_block, id_key_algorithm) == 0x060, "algo");
HUSK_STATIC_ASSERT(offsetof(struct igvm_vhs_snp_id_block, id_key_signature) == 0x068, "sig");
HUSK_STATIC_ASSERT(offsetof(struct igvm_vhs_snp_id_block, id_public_key) == 0x0f8, "key");
HUSK_STATIC_ASSERT(offsetof(struct igvm_vhs_snp_id_block, author_key_signature) == 0x190,
		   "author sig");
HUSK_STATIC_ASSERT(offsetof(struct igvm_vhs_snp_id_block, author_public_key) == 0x220,
		   "author key");

struct igvm_vhs_vbs_measurement {
	uint32_t compatibility_mask;
	uint32_t version;
	uint32_t product_id;
	uint32_t module_id;
	uint32_t security_version;
	uint32_t policy_flags;
	uint32_t boot_digest_algo;
	uint32_t signing_algo;
	uint8_t boot_measurement_digest[64];
	uint8_t signature[256];
	uint8_t public_key[512];
} HUSK_PACKED;
HUSK_STATIC_ASSERT(sizeof(struct igvm_vhs_vbs_measurement) == 864, "VBS_MEASUREMENT");

/* ---- what the loader writes into parameter areas ---- */

#define IGVM_ENV_INFO_MEMORY_IS_SHARED 0x1u /* ENVIRONMENT_INFO u32 bit 0 */

#define IGVM_MEMORY_MAP_MEMORY            0u
#define IGVM_MEMORY_MAP_PLATFORM_RESERVED 1u
#define IGVM_MEMORY_MAP_PERSISTENT        2u
#define IGVM_MEMORY_MAP_VTL2_PROTECTABLE  3u
#define IGVM_MEMORY_MAP_SPECIFIC_PURPOSE  4u
#define IGVM_MEMORY_MAP_HIDDEN            5u

/* MEMORY_MAP: sorted, terminated by an entry with number_of_pages == 0. */
struct igvm_memory_map_entry {
	uint64_t starting_gpa_page_number;
	uint64_t number_of_pages;
	uint16_t entry_type; /* IGVM_MEMORY_MAP_* */
	uint16_t flags;
	uint32_t reserved;
} HUSK_PACKED;
HUSK_STATIC_ASSERT(sizeof(struct igvm_memory_map_entry) == 24, "memory map entry");

struct igvm_memory_range {
	uint64_t starting_gpa_page_number;
	uint64_t number_of_pages;
} HUSK_PACKED;
HUSK_STATIC_ASSERT(sizeof(struct igvm_memory_range) == 16, "memory range");

/* MMIO_RANGES: always two ranges. */
struct igvm_mmio_ranges {
	struct igvm_memory_range ranges[2];
} HUSK_PACKED;
HUSK_STATIC_ASSERT(sizeof(struct igvm_mmio_ranges) == 32, "MMIO ranges");

/* ---- VP context file data ---- */

/* NATIVE (x64) VP_CONTEXT file data, in a 4 KiB page whose remaining bytes are
 * zero; format version 2 only upstream.  Unlisted registers take their
 * architectural reset values. */
struct igvm_native_vp_context_x64 {
	uint64_t rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rip;
	uint64_t rflags;
	uint64_t idtr_base;
	uint16_t idtr_size;
	uint16_t reserved[2];
	uint16_t gdtr_size;
	uint64_t gdtr_base;
	uint16_t code_selector;
	uint16_t code_attributes; /* bits 11:8 MBZ */
	uint32_t code_base;
	uint32_t code_limit;
	uint16_t data_selector;   /* applied to es, ds, ss, fs, gs */
	uint16_t data_attributes; /* bits 11:8 MBZ */
	uint32_t data_base;
	uint32_t data_limit;
	uint64_t gs_base;
	uint64_t cr0;
	uint64_t cr3;
	uint64_t cr4;
	uint64_t efer;
} HUSK_PACKED;
HUSK_STATIC_ASSERT(sizeof(struct igvm_native_vp_context_x64) == 232, "native VP context");
HUSK_STATIC_ASSERT(offsetof(struct igvm_native_vp_context_x64, idtr_size) == 152, "idtr_size");
HUSK_STATIC_ASSERT(offsetof(struct igvm_native_vp_context_x64, gdtr_base) == 160, "gdtr_base");
HUSK_STATIC_ASSERT(offsetof(struct igvm_native_vp_context_x64, code_selector) == 168, "cs");
HUSK_STATIC_ASSERT(offsetof(struct igvm_native_vp_context_x64, data_selector) == 180, "ds");
HUSK_STATIC_ASSERT(offsetof(struct igvm_native_vp_context_x64, gs_base) == 192, "gs_base");
HUSK_STATIC_ASSERT(offsetof(struct igvm_native_vp_context_x64, efer) == 224, "efer");

/* VSM_ISOLATION (VBS) VP_CONTEXT file data: a count, then that many records. */
struct igvm_vbs_vp_context_header {
	uint32_t register_count;
} HUSK_PACKED;
HUSK_STATIC_ASSERT(sizeof(struct igvm_vbs_vp_context_header) == 4, "VBS context header");

struct igvm_vbs_vp_context_register {
	uint8_t vtl;
	uint32_t register_name; /* Hyper-V TLFS register name */
	uint8_t mbz[11];
	uint8_t register_value[16];
} HUSK_PACKED;
HUSK_STATIC_ASSERT(sizeof(struct igvm_vbs_vp_context_register) == 32, "VBS register");
HUSK_STATIC_ASSERT(offsetof(struct igvm_vbs_vp_context_register, register_value) == 16, "value");

#endif
