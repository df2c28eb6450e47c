/* The build-time layout of husk's region: kernel image placed from its ELF,
 * page tables pre-built (lib/pt), boot parameters filled, and the reset-vector
 * loader page patched.  Everything the loader and kernel need at boot is
 * decided here, so that neither has to copy or relocate anything. */
#ifndef HUSK_TOOLS_IGVM_LAYOUT_H
#define HUSK_TOOLS_IGVM_LAYOUT_H

#include <stdint.h>

#include "config.h"
#include "elf.h"
#include "husk/bootinfo.h"

enum layout_page_state {
	LAYOUT_UNLOADED = 0, /* not in the IGVM file (free memory, guard pages) */
	LAYOUT_ZERO = 1,     /* loaded as zeros (.bss) */
	LAYOUT_DATA = 2,     /* loaded with contents from region[] */
};

struct layout {
	struct target_config cfg;
	uint32_t platform;   /* enum husk_platform this layout is for */
	uint8_t *region;     /* region_size bytes */
	uint8_t *state;      /* one enum layout_page_state per region page */
	uint64_t npages;
	uint64_t image_size;
	uint64_t pt_offset, pt_pages, pt_budget;
	uint64_t bp_offset, vmm_offset, memmap_offset;
	uint64_t entry;
	uint64_t cr3;        /* what the boot CPU loads (SNP: with the C-bit) */
	uint8_t reset_page[HUSK_PAGE_SIZE];
	struct husk_boot_params bp;
};

/* Lays husk out for one platform of cfg.  Platforms differ only in the
 * boot parameters (platform field) and, for SNP, in the C-bit of every
 * page-table entry. */
int layout_build(const struct target_config *cfg, const struct elf_file *kernel,
		 const char *version, uint32_t platform, struct layout *out);
void layout_free(struct layout *l);

#endif
