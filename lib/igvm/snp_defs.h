/* AMD SEV-SNP structures the IGVM tools build, measure or sign: the VMSA (the
 * 4 KiB save area a vCPU starts from), PAGE_INFO (one step of the launch
 * digest), the firmware's ID block and ID authentication block, the CPUID
 * page, and the guest-policy and SEV_FEATURES bits.
 *
 * Layouts are the AMD SEV-SNP firmware ABI's and the APM's (VMSA), as restated
 * in husk's references; every offset the tools rely on is pinned by a
 * _Static_assert.  All fields are little-endian. */
#ifndef HUSK_IGVM_SNP_DEFS_H
#define HUSK_IGVM_SNP_DEFS_H

#include <stddef.h>
#include <stdint.h>

#include "husk/compiler.h"

/* ---- VMSA ---------------------------------------------------------------- */

/* Segment register as the VMSA holds it.  attrib is the compressed form:
 * bits 7:0 type/S/DPL/P, bits 11:8 AVL/L/DB/G (bits 15:12 unused). */
struct snp_vmsa_seg {
	uint16_t selector;
	uint16_t attrib;
	uint32_t limit;
	uint64_t base;
} HUSK_PACKED;
HUSK_STATIC_ASSERT(sizeof(struct snp_vmsa_seg) == 16, "VMSA segment");

#define SNP_SEG_ATTR_P      0x080u
#define SNP_SEG_ATTR_L      0x200u
#define SNP_SEG_ATTR_MASK   0xfffu /* bits the segment cache keeps */
#define SNP_SEG_ATTR_DPL(a) (((a) >> 5) & 3u)

struct snp_vmsa {
	struct snp_vmsa_seg es, cs, ss, ds, fs, gs, gdtr, ldtr, idtr, tr; /* 0x000 */
	uint64_t pl0_ssp, pl1_ssp, pl2_ssp, pl3_ssp;                     /* 0x0a0 */
	uint64_t u_cet;                                                  /* 0x0c0 */
	uint8_t reserved_0c8[2];
	uint8_t vmpl; /* 0x0ca */
	uint8_t cpl;  /* 0x0cb */
	uint8_t reserved_0cc[4];
	uint64_t efer; /* 0x0d0 */
	uint8_t reserved_0d8[104];
	uint64_t xss;    /* 0x140 */
	uint64_t cr4;    /* 0x148 */
	uint64_t cr3;    /* 0x150 */
	uint64_t cr0;    /* 0x158 */
	uint64_t dr7;    /* 0x160 */
	uint64_t dr6;    /* 0x168 */
	uint64_t rflags; /* 0x170 */
	uint64_t rip;    /* 0x178 */
	uint64_t dr0, dr1, dr2, dr3;                                     /* 0x180 */
	uint64_t dr0_addr_mask, dr1_addr_mask, dr2_addr_mask, dr3_addr_mask; /* 0x1a0 */
	uint8_t reserved_1c0[24];
	uint64_t rsp;       /* 0x1d8 */
	uint64_t s_cet;     /* 0x1e0 */
	uint64_t ssp;       /* 0x1e8 */
	uint64_t isst_addr; /* 0x1f0 */
	uint64_t rax;       /* 0x1f8 */
	uint64_t star, lstar, cstar, sfmask, kernel_gs_base;             /* 0x200 */
	uint64_t sysenter_cs, sysenter_esp, sysenter_eip;                /* 0x228 */
	uint64_t cr2;                                                    /* 0x240 */
	uint8_t reserved_248[32];
	uint64_t g_pat;  /* 0x268 */
	uint64_t dbgctl; /* 0x270 */
	uint64_t br_from, br_to, last_excp_from, last_excp_to;           /* 0x278 */
	uint8_t reserved_298[80];
	uint32_t pkru;    /* 0x2e8 */
	uint32_t tsc_aux; /* 0x2ec */
	uint64_t guest_tsc_scale;  /* 0x2f0 */
	uint64_t guest_tsc_offset; /* 0x2f8 */
	uint64_t reg_prot_nonce;   /* 0x300 */
	uint64_t rcx, rdx, rbx;    /* 0x308 */
	uint64_t reserved_320;
	uint64_t rbp, rsi, rdi;    /* 0x328 */
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15; /* 0x340 */
	uint8_t reserved_380[16];
	uint64_t guest_exit_info_1, guest_exit_info_2, guest_exit_int_info, guest_nrip; /* 0x390 */
	uint64_t sev_features;    /* 0x3b0 */
	uint64_t vintr_ctrl;      /* 0x3b8 */
	uint64_t guest_exit_code; /* 0x3c0 */
	uint64_t virtual_tom;     /* 0x3c8 */
	uint64_t tlb_id;          /* 0x3d0 */
	uint64_t pcpu_id;         /* 0x3d8 */
	uint64_t event_inj;       /* 0x3e0 */
	uint64_t xcr0;            /* 0x3e8 */
	uint8_t reserved_3f0[16];
	uint64_t x87_dp;  /* 0x400 */
	uint32_t mxcsr;   /* 0x408 */
	uint16_t x87_ftw; /* 0x40c */
	uint16_t x87_fsw;
	uint16_t x87_fcw; /* 0x410 */
	uint16_t x87_fop;
	uint16_t x87_ds;
	uint16_t x87_cs;
	uint64_t x87_rip;             /* 0x418 */
	uint8_t fpreg_x87[80];        /* 0x420 */
	uint8_t fpreg_xmm[256];       /* 0x470 */
	uint8_t fpreg_ymm[256];       /* 0x570 */
	uint8_t rest[0x1000 - 0x670]; /* LBR stack, IBS state, reserved */
} HUSK_PACKED;
HUSK_STATIC_ASSERT(sizeof(struct snp_vmsa) == 4096, "VMSA is one page");
HUSK_STATIC_ASSERT(offsetof(struct snp_vmsa, tr) == 0x090, "tr");
HUSK_STATIC_ASSERT(offsetof(struct snp_vmsa, vmpl) == 0x0ca, "vmpl");
HUSK_STATIC_ASSERT(offsetof(struct snp_vmsa, efer) == 0x0d0, "efer");
HUSK_STATIC_ASSERT(offsetof(struct snp_vmsa, xss) == 0x140, "xss");
HUSK_STATIC_ASSERT(offsetof(struct snp_vmsa, cr0) == 0x158, "cr0");
HUSK_STATIC_ASSERT(offsetof(struct snp_vmsa, rip) == 0x178, "rip");
HUSK_STATIC_ASSERT(offsetof(struct snp_vmsa, rsp) == 0x1d8, "rsp");
HUSK_STATIC_ASSERT(offsetof(struct snp_vmsa, rax) == 0x1f8, "rax");
HUSK_STATIC_ASSERT(offsetof(struct snp_vmsa, sysenter_eip) == 0x238, "sysenter_eip");
HUSK_STATIC_ASSERT(offsetof(struct snp_vmsa, cr2) == 0x240, "cr2");
HUSK_STATIC_ASSERT(offsetof(struct snp_vmsa, g_pat) == 0x268, "g_pat");
HUSK_STATIC_ASSERT(offsetof(struct snp_vmsa, pkru) == 0x2e8, "pkru");
HUSK_STATIC_ASSERT(offsetof(struct snp_vmsa, reg_prot_nonce) == 0x300, "nonce");
HUSK_STATIC_ASSERT(offsetof(struct snp_vmsa, rcx) == 0x308, "rcx");
HUSK_STATIC_ASSERT(offsetof(struct snp_vmsa, rbp) == 0x328, "rbp");
HUSK_STATIC_ASSERT(offsetof(struct snp_vmsa, rdi) == 0x338, "rdi");
HUSK_STATIC_ASSERT(offsetof(struct snp_vmsa, r15) == 0x378, "r15");
HUSK_STATIC_ASSERT(offsetof(struct snp_vmsa, guest_exit_info_1) == 0x390, "exitinfo1");
HUSK_STATIC_ASSERT(offsetof(struct snp_vmsa, sev_features) == 0x3b0, "sev_features");
HUSK_STATIC_ASSERT(offsetof(struct snp_vmsa, guest_exit_code) == 0x3c0, "exit code");
HUSK_STATIC_ASSERT(offsetof(struct snp_vmsa, xcr0) == 0x3e8, "xcr0");
HUSK_STATIC_ASSERT(offsetof(struct snp_vmsa, x87_dp) == 0x400, "x87_dp");
HUSK_STATIC_ASSERT(offsetof(struct snp_vmsa, mxcsr) == 0x408, "mxcsr");
HUSK_STATIC_ASSERT(offsetof(struct snp_vmsa, x87_ftw) == 0x40c, "ftw");
HUSK_STATIC_ASSERT(offsetof(struct snp_vmsa, x87_fcw) == 0x410, "fcw");
HUSK_STATIC_ASSERT(offsetof(struct snp_vmsa, x87_rip) == 0x418, "x87_rip");
HUSK_STATIC_ASSERT(offsetof(struct snp_vmsa, fpreg_x87) == 0x420, "x87 regs");
HUSK_STATIC_ASSERT(offsetof(struct snp_vmsa, fpreg_xmm) == 0x470, "xmm");
HUSK_STATIC_ASSERT(offsetof(struct snp_vmsa, fpreg_ymm) == 0x570, "ymm");

/* SEV_FEATURES (VMSA 0x3b0): SEV_STATUS bits 2.. shifted down by 2. */
#define SNP_SEV_FEAT_SNP_ACTIVE            (1ull << 0)
#define SNP_SEV_FEAT_VTOM                  (1ull << 1)
#define SNP_SEV_FEAT_REFLECT_VC            (1ull << 2)
#define SNP_SEV_FEAT_RESTRICTED_INJECTION  (1ull << 3)
#define SNP_SEV_FEAT_ALTERNATE_INJECTION   (1ull << 4)
#define SNP_SEV_FEAT_DEBUG_SWAP            (1ull << 5)
#define SNP_SEV_FEAT_PREVENT_HOST_IBS      (1ull << 6)
#define SNP_SEV_FEAT_BTB_ISOLATION         (1ull << 7)
#define SNP_SEV_FEAT_VMPL_SSS              (1ull << 8)
#define SNP_SEV_FEAT_SECURE_TSC            (1ull << 9)
#define SNP_SEV_FEAT_VMSA_REG_PROT         (1ull << 14)
#define SNP_SEV_FEAT_SMT_PROTECTION        (1ull << 15)
#define SNP_SEV_FEAT_DEFINED               0xc3ffull

/* Architectural values the VMSA tools use. */
#define SNP_EFER_LME   (1ull << 8)
#define SNP_EFER_LMA   (1ull << 10)
#define SNP_EFER_NXE   (1ull << 11)
#define SNP_EFER_SVME  (1ull << 12)
#define SNP_CR0_PE     (1ull << 0)
#define SNP_CR0_ET     (1ull << 4)
#define SNP_CR0_NE     (1ull << 5)
#define SNP_CR0_WP     (1ull << 16)
#define SNP_CR0_NW     (1ull << 29)
#define SNP_CR0_CD     (1ull << 30)
#define SNP_CR0_PG     (1ull << 31)
#define SNP_CR4_PAE    (1ull << 5)
#define SNP_CR4_MCE    (1ull << 6)
#define SNP_RFLAGS_FIXED 0x2ull
#define SNP_DR6_RESET  0xffff0ff0ull
#define SNP_DR7_RESET  0x400ull
#define SNP_PAT_RESET  0x0007040600070406ull
#define SNP_XCR0_X87   0x1ull
#define SNP_MXCSR_RESET 0x1f80u
#define SNP_FCW_RESET  0x037fu

/* KVM assigns every VMSA page this GPA in the RMP; QEMU insists on it. */
#define SNP_VMSA_GPA 0xfffffffff000ull

/* ---- PAGE_INFO: one step of the launch digest ----------------------------- */

#define SNP_PAGE_TYPE_NORMAL     1u
#define SNP_PAGE_TYPE_VMSA       2u
#define SNP_PAGE_TYPE_ZERO       3u
#define SNP_PAGE_TYPE_UNMEASURED 4u
#define SNP_PAGE_TYPE_SECRETS    5u
#define SNP_PAGE_TYPE_CPUID      6u

#define SNP_DIGEST_SIZE 48u /* SHA-384 */

struct snp_page_info {
	uint8_t digest_cur[SNP_DIGEST_SIZE]; /* launch digest so far */
	uint8_t contents[SNP_DIGEST_SIZE];   /* SHA-384 of the page, or zeros */
	uint16_t length;                     /* sizeof(struct snp_page_info) */
	uint8_t page_type;                   /* SNP_PAGE_TYPE_* */
	uint8_t imi_page;                    /* bit 0; 0 for a launch */
	uint8_t vmpl_perms[4];               /* 0 for every host (see references) */
	uint64_t gpa;
} HUSK_PACKED;
HUSK_STATIC_ASSERT(sizeof(struct snp_page_info) == 0x70, "PAGE_INFO");
HUSK_STATIC_ASSERT(offsetof(struct snp_page_info, contents) == 0x30, "contents");
HUSK_STATIC_ASSERT(offsetof(struct snp_page_info, length) == 0x60, "length");
HUSK_STATIC_ASSERT(offsetof(struct snp_page_info, page_type) == 0x62, "page_type");
HUSK_STATIC_ASSERT(offsetof(struct snp_page_info, vmpl_perms) == 0x64, "perms");
HUSK_STATIC_ASSERT(offsetof(struct snp_page_info, gpa) == 0x68, "gpa");

/* ---- ID block and ID authentication block (LAUNCH_FINISH) ---------------- */

struct snp_id_block {
	uint8_t ld[SNP_DIGEST_SIZE];
	uint8_t family_id[16];
	uint8_t image_id[16];
	uint32_t version; /* SNP_ID_BLOCK_VERSION */
	uint32_t guest_svn;
	uint64_t policy; /* must equal the launch policy */
} HUSK_PACKED;
HUSK_STATIC_ASSERT(sizeof(struct snp_id_block) == 96, "ID block");
HUSK_STATIC_ASSERT(offsetof(struct snp_id_block, version) == 0x50, "version");
HUSK_STATIC_ASSERT(offsetof(struct snp_id_block, policy) == 0x58, "policy");

#define SNP_ID_BLOCK_VERSION 1u
#define SNP_ALGO_ECDSA_P384_SHA384 1u
#define SNP_CURVE_P384 2u

/* ECDSA signature: R and S little-endian, zero-padded to 72 bytes. */
struct snp_signature {
	uint8_t r[72];
	uint8_t s[72];
	uint8_t reserved[368];
} HUSK_PACKED;
HUSK_STATIC_ASSERT(sizeof(struct snp_signature) == 512, "signature");

/* Public key; its SHA-384 is ID_KEY_DIGEST / AUTHOR_KEY_DIGEST in reports. */
struct snp_public_key {
	uint32_t curve; /* SNP_CURVE_P384 */
	uint8_t qx[72];
	uint8_t qy[72];
	uint8_t reserved[880];
} HUSK_PACKED;
HUSK_STATIC_ASSERT(sizeof(struct snp_public_key) == 0x404, "public key");
HUSK_STATIC_ASSERT(offsetof(struct snp_public_key, qy) == 0x4c, "qy");

struct snp_id_auth {
	uint32_t id_key_algo;
	uint32_t auth_key_algo;
	uint8_t reserved_008[56];
	struct snp_signature id_block_sig; /* 0x040, by the ID key over the ID block */
	struct snp_public_key id_key;      /* 0x240 */
	uint8_t reserved_644[60];
	struct snp_signature id_key_sig;   /* 0x680, by the author key over id_key */
	struct snp_public_key author_key;  /* 0x880 */
	uint8_t reserved_c84[892];
} HUSK_PACKED;
HUSK_STATIC_ASSERT(sizeof(struct snp_id_auth) == 4096, "ID auth block");
HUSK_STATIC_ASSERT(offsetof(struct snp_id_auth, id_block_sig) == 0x040, "id block sig");
HUSK_STATIC_ASSERT(offsetof(struct snp_id_auth, id_key) == 0x240, "id key");
HUSK_STATIC_ASSERT(offsetof(struct snp_id_auth, id_key_sig) == 0x680, "id key sig");
HUSK_STATIC_ASSERT(offsetof(struct snp_id_auth, author_key) == 0x880, "author key");

/* ---- guest policy --------------------------------------------------------- */

#define SNP_POLICY_ABI_MINOR(p)   ((uint32_t)((p) & 0xff))
#define SNP_POLICY_ABI_MAJOR(p)   ((uint32_t)(((p) >> 8) & 0xff))
#define SNP_POLICY_SMT            (1ull << 16)
#define SNP_POLICY_RESERVED_ONE   (1ull << 17) /* must be 1 */
#define SNP_POLICY_MIGRATE_MA     (1ull << 18)
#define SNP_POLICY_DEBUG          (1ull << 19)
#define SNP_POLICY_SINGLE_SOCKET  (1ull << 20)
#define SNP_POLICY_CXL_ALLOWED    (1ull << 21)
#define SNP_POLICY_MEM_AES_256    (1ull << 22)
#define SNP_POLICY_RAPL_DIS       (1ull << 23)
#define SNP_POLICY_CIPHERTEXT_HIDING (1ull << 24)
#define SNP_POLICY_RESERVED_MBZ   (~0ull << 25)

/* ---- CPUID page ----------------------------------------------------------- */

struct snp_cpuid_fn {
	uint32_t eax_in;
	uint32_t ecx_in;
	uint64_t xcr0_in;
	uint64_t xss_in;
	uint32_t eax, ebx, ecx, edx;
	uint64_t reserved;
} HUSK_PACKED;
HUSK_STATIC_ASSERT(sizeof(struct snp_cpuid_fn) == 48, "CPUID entry");

#define SNP_CPUID_MAX_FNS 64u

struct snp_cpuid_page {
	uint32_t count;
	uint32_t reserved_1;
	uint64_t reserved_2;
	struct snp_cpuid_fn fn[SNP_CPUID_MAX_FNS];
} HUSK_PACKED;
HUSK_STATIC_ASSERT(sizeof(struct snp_cpuid_page) <= 4096, "CPUID page fits a page");

#endif
