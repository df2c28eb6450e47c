/* The boot ABI between husk's IGVM builder, its loaders and the kernel.
 *
 * The builder lays out the kernel image, pre-built page tables and one page of
 * husk_boot_params inside husk's region, and writes a reset-vector loader page.
 * The VMM (or husk's launcher acting as the IGVM loader) fills the IGVM
 * parameter areas described here with the vCPU count, memory map and command
 * line.  Everything the VMM writes is untrusted and validated by the kernel
 * (lib/bootparams). */
#ifndef HUSK_BOOTINFO_H
#define HUSK_BOOTINFO_H

#ifndef __ASSEMBLY__
#include <stddef.h>
#include <stdint.h>
#endif
#include "husk/compiler.h"

#define HUSK_MAX_CPUS 64

#ifndef __ASSEMBLY__
enum husk_platform {
	HUSK_PLATFORM_NONE = 0,
	HUSK_PLATFORM_NATIVE = 1,
	HUSK_PLATFORM_SVM = 2,
	HUSK_PLATFORM_SNP = 3,
	HUSK_PLATFORM_TDX = 4,
};

/* ---- husk_boot_params: one page, written by the builder, measured ---- */

#define HUSK_BOOT_PARAMS_MAGIC   0x4b535548u /* "HUSK" */
#define HUSK_BOOT_PARAMS_VERSION 2u
#define HUSK_BOOT_MAX_RANGES     16u
#define HUSK_VERSION_LEN         48u

/* What a builder-reserved part of husk's region holds. */
enum husk_range_kind {
	HUSK_RANGE_IMAGE = 1,      /* kernel image (text, rodata, data, bss, boot stack) */
	HUSK_RANGE_PAGETABLES = 2, /* page tables pre-built by the builder */
	HUSK_RANGE_BOOTPARAMS = 3, /* this page */
	HUSK_RANGE_VMM_PARAMS = 4, /* IGVM parameter areas the VMM fills */
};

struct husk_boot_range {
	uint64_t offset; /* from region_base, page aligned */
	uint64_t size;   /* bytes, page multiple */
	uint32_t kind;   /* enum husk_range_kind */
	uint32_t reserved;
} HUSK_PACKED;
HUSK_STATIC_ASSERT(sizeof(struct husk_boot_range) == 24, "boot range size");

struct husk_boot_params {
	uint32_t magic;
	uint32_t version;
	uint32_t size;         /* sizeof(struct husk_boot_params) */
	uint32_t platform;     /* enum husk_platform */
	uint64_t region_base;  /* GPA of husk's region, page aligned */
	uint64_t region_size;  /* bytes */
	uint64_t window_va;    /* VA at which region offset window_offset is mapped */
	uint64_t window_offset;/* first region offset mapped in the window */
	uint64_t image_va;     /* VA of region offset 0 (the kernel image) */
	uint64_t image_size;   /* bytes of region used by the image */
	uint64_t pml4_offset;  /* region offset of the top-level page table */
	uint64_t vmm_params_offset; /* region offset of the VMM parameter page */
	uint64_t memmap_offset;     /* region offset of the VMM memory-map page */
	uint32_t memmap_max;        /* entries that fit in the memory-map page */
	uint32_t nranges;
	struct husk_boot_range ranges[HUSK_BOOT_MAX_RANGES];
	char version_string[HUSK_VERSION_LEN]; /* NUL-terminated */
	/* The guest payload the IGVM file loads (svm: husk starts it), outside
	 * husk's region; all zero if there is none. */
	uint64_t payload_gpa;   /* page aligned */
	uint64_t payload_size;  /* bytes the file loads there, page multiple */
	uint64_t payload_entry; /* GPA where the boot vCPU starts, inside the payload */
} HUSK_PACKED;
HUSK_STATIC_ASSERT(sizeof(struct husk_boot_params) <= HUSK_PAGE_SIZE, "boot params fit a page");

/* ---- VMM parameter page (IGVM parameter area 0), filled by the loader ---- */

#define HUSK_VMM_VP_COUNT_OFFSET  0x000u /* u32, IGVM VP_COUNT_PARAMETER */
#define HUSK_VMM_ENV_INFO_OFFSET  0x004u /* u32, IGVM ENVIRONMENT_INFO_PARAMETER */
#define HUSK_VMM_CMDLINE_OFFSET   0x100u /* NUL-terminated, IGVM COMMAND_LINE */
#define HUSK_VMM_CMDLINE_MAX      (HUSK_PAGE_SIZE - HUSK_VMM_CMDLINE_OFFSET)

/* IGVM memory-map entry (IGVM parameter area 1, IGVM MEMORY_MAP parameter). */
struct husk_memmap_entry {
	uint64_t start_page; /* GPA >> 12 */
	uint64_t page_count; /* 0 terminates the list */
	uint16_t type;       /* enum husk_memmap_type */
	uint16_t flags;
	uint32_t reserved;
} HUSK_PACKED;
HUSK_STATIC_ASSERT(sizeof(struct husk_memmap_entry) == 24, "IGVM memory map entry");

enum husk_memmap_type {
	HUSK_MEMMAP_MEMORY = 0,
	HUSK_MEMMAP_PLATFORM_RESERVED = 1,
	HUSK_MEMMAP_PERSISTENT = 2,
	HUSK_MEMMAP_VTL2_PROTECTABLE = 3,
	HUSK_MEMMAP_SPECIFIC_PURPOSE = 4,
	HUSK_MEMMAP_HIDDEN = 5,
};

#define HUSK_MEMMAP_MAX_ENTRIES (HUSK_PAGE_SIZE / sizeof(struct husk_memmap_entry))

#endif /* !__ASSEMBLY__ */

/* ---- loader hand-off ---- */

/* In the reset-vector page (GPA HUSK_RESET_PAGE_GPA), at HUSK_LOADER_HANDOFF_OFFSET.
 * The builder patches it; the loader reads it in 32-bit mode. */
#define HUSK_LOADER_MAGIC 0x3152444c4b535548 /* "HUSKLDR1" */
#define HUSK_LOADER_HANDOFF_OFFSET 0xf00
#define HUSK_LOADER_OFF_MAGIC 0
#define HUSK_LOADER_OFF_CR3   8
#define HUSK_LOADER_OFF_ENTRY 16
#define HUSK_LOADER_OFF_BP    24

/* The AP start-up code lives in one page below 1 MiB and its hand-off block
 * in the next page (so that neither needs to be writable and executable at
 * once).  The kernel copies its trampoline and fills this at run time. */
#define HUSK_AP_MAGIC 0x3154504b4b535548 /* "HUSKAPT1" */
#define HUSK_AP_HANDOFF_OFFSET 0x1000 /* from the AP code page */
#define HUSK_AP_OFF_MAGIC   0
#define HUSK_AP_OFF_CR3     8
#define HUSK_AP_OFF_ENTRY   16
#define HUSK_AP_OFF_PARK    24
#define HUSK_AP_OFF_TICKET  32
#define HUSK_AP_OFF_MAX     36
#define HUSK_AP_OFF_STACKS  40

#ifndef __ASSEMBLY__
struct husk_loader_handoff {
	uint64_t magic;
	uint64_t cr3;            /* GPA of the PML4, below 4 GiB */
	uint64_t entry;          /* kernel BSP entry VA; RDI = boot_params_va, RSI = reset TSC */
	uint64_t boot_params_va;
} HUSK_PACKED;
HUSK_STATIC_ASSERT(offsetof(struct husk_loader_handoff, cr3) == HUSK_LOADER_OFF_CR3, "asm offset");
HUSK_STATIC_ASSERT(offsetof(struct husk_loader_handoff, entry) == HUSK_LOADER_OFF_ENTRY, "asm offset");
HUSK_STATIC_ASSERT(offsetof(struct husk_loader_handoff, boot_params_va) == HUSK_LOADER_OFF_BP, "asm offset");

struct husk_ap_handoff {
	uint64_t magic;
	uint64_t cr3;
	uint64_t entry;       /* kernel AP entry VA; RDI = CPU index, RSP = stack_top[index] */
	uint64_t park;        /* kernel VA where surplus APs halt */
	uint32_t ticket;      /* each AP takes one with LOCK XADD */
	uint32_t max_aps;     /* APs beyond this park themselves */
	uint64_t stack_top[HUSK_MAX_CPUS]; /* by CPU index (1.. for APs) */
} HUSK_PACKED;
HUSK_STATIC_ASSERT(offsetof(struct husk_ap_handoff, cr3) == HUSK_AP_OFF_CR3, "asm offset");
HUSK_STATIC_ASSERT(offsetof(struct husk_ap_handoff, entry) == HUSK_AP_OFF_ENTRY, "asm offset");
HUSK_STATIC_ASSERT(offsetof(struct husk_ap_handoff, park) == HUSK_AP_OFF_PARK, "asm offset");
HUSK_STATIC_ASSERT(offsetof(struct husk_ap_handoff, ticket) == HUSK_AP_OFF_TICKET, "asm offset");
HUSK_STATIC_ASSERT(offsetof(struct husk_ap_handoff, max_aps) == HUSK_AP_OFF_MAX, "asm offset");
HUSK_STATIC_ASSERT(offsetof(struct husk_ap_handoff, stack_top) == HUSK_AP_OFF_STACKS, "asm offset");
HUSK_STATIC_ASSERT(sizeof(struct husk_ap_handoff) <= HUSK_PAGE_SIZE, "AP hand-off fits a page");
#endif

#endif
