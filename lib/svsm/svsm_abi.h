/* The SVSM protocols' wire ABI (AMD 58019, as Linux and COCONUT-SVSM speak
 * it): call numbers, result codes, the calling area, the PVALIDATE list, the
 * vTPM request buffer and the VMSA fields the core protocol checks.  Facts
 * from ../shared/reference/svsm-snp-igvm.md sections 1, 2, 4 and 6.3.  Plain
 * constants and packed structures only: the kernel, the test guest and the
 * host tools all include it. */
#ifndef HUSK_SVSM_ABI_H
#define HUSK_SVSM_ABI_H

#include <stdint.h>

#include "husk/compiler.h"

/* RAX on entry: protocol << 32 | call. */
#define SVSM_CALL(proto, call) (((uint64_t)(proto) << 32) | (uint32_t)(call))

#define SVSM_PROTOCOL_CORE   0u
#define SVSM_PROTOCOL_ATTEST 1u
#define SVSM_PROTOCOL_VTPM   2u

#define SVSM_CORE_REMAP_CA       0u
#define SVSM_CORE_PVALIDATE      1u
#define SVSM_CORE_CREATE_VCPU    2u
#define SVSM_CORE_DELETE_VCPU    3u
#define SVSM_CORE_DEPOSIT_MEM    4u
#define SVSM_CORE_WITHDRAW_MEM   5u
#define SVSM_CORE_QUERY_PROTOCOL 6u
#define SVSM_CORE_CONFIGURE_VTOM 7u

#define SVSM_ATTEST_SERVICES       0u
#define SVSM_ATTEST_SINGLE_SERVICE 1u

#define SVSM_VTPM_QUERY 0u
#define SVSM_VTPM_CMD   1u

/* Result codes (RAX bits 31:0 on return). */
#define SVSM_SUCCESS                 0x00000000u
#define SVSM_ERR_INCOMPLETE          0x80000000u
#define SVSM_ERR_UNSUPPORTED_PROTOCOL 0x80000001u
#define SVSM_ERR_UNSUPPORTED_CALL    0x80000002u
#define SVSM_ERR_INVALID_ADDRESS     0x80000003u
#define SVSM_ERR_INVALID_FORMAT      0x80000004u
#define SVSM_ERR_INVALID_PARAMETER   0x80000005u
#define SVSM_ERR_INVALID_REQUEST     0x80000006u
#define SVSM_ERR_BUSY                0x80000007u
/* Protocol-specific errors: 0x80001000 + code.  For PVALIDATE the code is
 * the SNP PVALIDATE return code, or 0x10 when the page state did not change
 * (CF=1) and the entry did not ask to ignore that. */
#define SVSM_ERR_PROTOCOL_BASE       0x80001000u
#define SVSM_PVALIDATE_FAIL_INPUT        (SVSM_ERR_PROTOCOL_BASE + 1u)
#define SVSM_PVALIDATE_FAIL_PERMISSION   (SVSM_ERR_PROTOCOL_BASE + 2u)
#define SVSM_PVALIDATE_FAIL_SIZEMISMATCH (SVSM_ERR_PROTOCOL_BASE + 6u)
#define SVSM_PVALIDATE_FAIL_UNCHANGED    (SVSM_ERR_PROTOCOL_BASE + 0x10u)
/* A platform code above 0xF (no processor returns one). */
#define SVSM_PVALIDATE_FAIL_UNKNOWN      (SVSM_ERR_PROTOCOL_BASE + 0x11u)
/* Entries PVALIDATE processes per call before it answers INCOMPLETE. */
#define SVSM_PVALIDATE_BATCH 64u

/* The attestation protocol's failure to get a report from the platform
 * (the SNP guest request failed): protocol code 0, as COCONUT-SVSM. */
#define SVSM_ERR_ATTEST_FAILED (SVSM_ERR_PROTOCOL_BASE + 0u)

/* SNP PVALIDATE instruction return codes (EAX). */
#define SNP_PVALIDATE_OK               0u
#define SNP_PVALIDATE_FAIL_INPUT       1u
#define SNP_PVALIDATE_FAIL_PERMISSION  2u
#define SNP_PVALIDATE_FAIL_SIZEMISMATCH 6u

/* Calling area: one 4 KiB page per vCPU, in guest memory. */
#define SVSM_CA_CALL_PENDING  0x000u /* u8: 1 = call requested */
#define SVSM_CA_MEM_AVAILABLE 0x001u /* u8 */
#define SVSM_CA_BUFFER        0x008u /* free for the guest */

/* PVALIDATE request list (GPA in RCX, 8-byte aligned, within one page). */
struct svsm_pvalidate_hdr {
	uint16_t entries; /* N >= 1 */
	uint16_t next;    /* in/out: next entry to process */
	uint32_t reserved;
} HUSK_PACKED;
HUSK_STATIC_ASSERT(sizeof(struct svsm_pvalidate_hdr) == 8, "PVALIDATE list header");

#define SVSM_PVAL_SIZE_MASK   0x3ull  /* 0 = 4 KiB, 1 = 2 MiB */
#define SVSM_PVAL_SIZE_4K     0x0ull
#define SVSM_PVAL_SIZE_2M     0x1ull
#define SVSM_PVAL_VALIDATE    (1ull << 2) /* 1 = validate, 0 = rescind */
#define SVSM_PVAL_IGNORE_CF   (1ull << 3)
#define SVSM_PVAL_RESERVED    0xff0ull
#define SVSM_PVAL_GFN_SHIFT   12

/* vTPM request/response buffer (GPA in RCX; 4096 bytes from there). */
#define SVSM_VTPM_BUFFER_SIZE      4096u
#define SVSM_VTPM_PLATFORM_SEND_COMMAND 8u
#define SVSM_VTPM_REQ_CMD_OFFSET   0u /* u32 platform command */
#define SVSM_VTPM_REQ_LOC_OFFSET   4u /* u8 locality */
#define SVSM_VTPM_REQ_SIZE_OFFSET  5u /* u32 TPM command size */
#define SVSM_VTPM_REQ_DATA_OFFSET  9u
#define SVSM_VTPM_RSP_SIZE_OFFSET  0u /* u32 TPM response size */
#define SVSM_VTPM_RSP_DATA_OFFSET  4u
#define SVSM_VTPM_CMD_MAX  (SVSM_VTPM_BUFFER_SIZE - SVSM_VTPM_REQ_DATA_OFFSET) /* 4087 */
#define SVSM_VTPM_RSP_MAX  (SVSM_VTPM_BUFFER_SIZE - SVSM_VTPM_RSP_DATA_OFFSET) /* 4092 */

/* VMSA (SEV-ES save area, 4 KiB): the offsets husk reads.  Offsets below
 * 0x298 are the same as in the VMCB save area. */
#define VMSA_SIZE           4096u
#define VMSA_ES             0x000u /* segment records of 16 bytes: ES CS SS DS FS GS GDTR LDTR IDTR TR */
#define VMSA_CS             0x010u
#define VMSA_SS             0x020u
#define VMSA_DS             0x030u
#define VMSA_FS             0x040u
#define VMSA_GS             0x050u
#define VMSA_GDTR           0x060u
#define VMSA_LDTR           0x070u
#define VMSA_IDTR           0x080u
#define VMSA_TR             0x090u
#define VMSA_VMPL           0x0cau /* u8 */
#define VMSA_CPL            0x0cbu /* u8 */
#define VMSA_EFER           0x0d0u
#define VMSA_CR4            0x148u
#define VMSA_CR3            0x150u
#define VMSA_CR0            0x158u
#define VMSA_DR7            0x160u
#define VMSA_DR6            0x168u
#define VMSA_RFLAGS         0x170u
#define VMSA_RIP            0x178u
#define VMSA_RSP            0x1d8u
#define VMSA_RAX            0x1f8u
#define VMSA_STAR           0x200u
#define VMSA_LSTAR          0x208u
#define VMSA_CSTAR          0x210u
#define VMSA_SFMASK         0x218u
#define VMSA_KERNEL_GS_BASE 0x220u
#define VMSA_SYSENTER_CS    0x228u
#define VMSA_SYSENTER_ESP   0x230u
#define VMSA_SYSENTER_EIP   0x238u
#define VMSA_CR2            0x240u
#define VMSA_G_PAT          0x268u
#define VMSA_RCX            0x308u /* then RDX RBX (rsvd) RBP RSI RDI R8..R15, 8 bytes each */
#define VMSA_RDX            0x310u
#define VMSA_RBX            0x318u
#define VMSA_RBP            0x328u
#define VMSA_RSI            0x330u
#define VMSA_RDI            0x338u
#define VMSA_R8             0x340u
#define VMSA_R15            0x378u
#define VMSA_SEV_FEATURES   0x3b0u
#define VMSA_XCR0           0x3e8u

/* Segment record in a VMSA / VMCB save area. */
struct vmsa_segment {
	uint16_t selector;
	uint16_t attrib; /* bits 7:0 type/S/DPL/P, 11:8 AVL/L/DB/G */
	uint32_t limit;
	uint64_t base;
} HUSK_PACKED;
HUSK_STATIC_ASSERT(sizeof(struct vmsa_segment) == 16, "VMSA segment record");

#define VMSA_EFER_SCE   (1ull << 0)
#define VMSA_EFER_LME   (1ull << 8)
#define VMSA_EFER_LMA   (1ull << 10)
#define VMSA_EFER_NXE   (1ull << 11)
#define VMSA_EFER_SVME  (1ull << 12)
#define VMSA_EFER_LMSLE (1ull << 13)
#define VMSA_EFER_FFXSR (1ull << 14)
#define VMSA_EFER_TCE   (1ull << 15)

#define VMSA_CR0_PE  (1ull << 0)
#define VMSA_CR0_ET  (1ull << 4)
#define VMSA_CR0_NE  (1ull << 5)
#define VMSA_CR0_NW  (1ull << 29)
#define VMSA_CR0_CD  (1ull << 30)
#define VMSA_CR0_PG  (1ull << 31)
#define VMSA_CR4_PAE (1ull << 5)
#define VMSA_SEG_ATTR_L  0x200u /* long-mode code segment */
#define VMSA_SEG_ATTR_DB 0x400u /* default operand size (D/B) */

/* ---- Attestation protocol (1) ---- */

/* The request at RCX: ATTEST_SERVICES reads 0x40 bytes, ATTEST_SINGLE_SERVICE
 * 0x58 (the same block, then the service GUID and manifest version).  Each
 * buffer is a (u64 GPA, u32 size, u32 reserved) triple, except the nonce's
 * (u64 GPA, u16 size, 6 reserved bytes). */
#define SVSM_ATTEST_REQ_SIZE        0x40u
#define SVSM_ATTEST_SINGLE_REQ_SIZE 0x58u
#define SVSM_ATTEST_REPORT_GPA      0x00u
#define SVSM_ATTEST_REPORT_SIZE_OFF 0x08u
#define SVSM_ATTEST_NONCE_GPA       0x10u
#define SVSM_ATTEST_NONCE_SIZE_OFF  0x18u /* u16 */
#define SVSM_ATTEST_MANIFEST_GPA    0x20u
#define SVSM_ATTEST_MANIFEST_SIZE_OFF 0x28u
#define SVSM_ATTEST_CERTS_GPA       0x30u
#define SVSM_ATTEST_CERTS_SIZE_OFF  0x38u
#define SVSM_ATTEST_GUID            0x40u /* 16 bytes, EFI byte order */
#define SVSM_ATTEST_MANIFEST_VER    0x50u /* u32; only 0 exists */

/* The SNP ATTESTATION_REPORT the report buffer receives (not the
 * MSG_REPORT_RSP around it). */
#define SVSM_ATTEST_REPORT_BYTES 0x4a0u
/* Nonces up to a page (Linux sends 64 bytes). */
#define SVSM_ATTEST_NONCE_MAX 4096u

/* Services manifest: GUID, u32 total size, u32 entry count, then per entry
 * GUID, u32 offset (from the manifest's start), u32 size; then the data. */
#define SVSM_MANIFEST_HDR_SIZE   24u
#define SVSM_MANIFEST_ENTRY_SIZE 24u
/* 63849ebb-3d92-4670-a1ff-58f9c94b87bb and the vTPM service,
 * c476f1eb-0123-45a5-9641-b4e7dde5bfe3, in EFI byte order. */
#define SVSM_GUID_SERVICES_MANIFEST                                                   \
	{ 0xbb, 0x9e, 0x84, 0x63, 0x92, 0x3d, 0x70, 0x46,                             \
	  0xa1, 0xff, 0x58, 0xf9, 0xc9, 0x4b, 0x87, 0xbb }
#define SVSM_GUID_VTPM_SERVICE                                                        \
	{ 0xeb, 0xf1, 0x76, 0xc4, 0x23, 0x01, 0xa5, 0x45,                             \
	  0x96, 0x41, 0xb4, 0xe7, 0xdd, 0xe5, 0xbf, 0xe3 }

#endif
