/* Validation of husk's boot parameters: the builder's husk_boot_params page and
 * what the VMM (the IGVM loader) wrote into the parameter areas.  The VMM's
 * pages are hostile input: they are copied once into a bp_info and only the
 * copy is validated and used. */
#ifndef HUSK_BOOTPARAMS_H
#define HUSK_BOOTPARAMS_H

#include <stdbool.h>
#include <stdint.h>

#include "husk/bootinfo.h"

struct bp_error {
	char msg[192];
};

struct bp_info {
	uint32_t vp_count;
	uint32_t env_info;
	uint32_t memmap_count;
	uint64_t ram_bytes;
	char cmdline[HUSK_VMM_CMDLINE_MAX];
	struct husk_memmap_entry memmap[HUSK_MEMMAP_MAX_ENTRIES];
};

/* Checks the builder-written page for internal consistency. */
int bp_check_boot_params(const struct husk_boot_params *bp, struct bp_error *err);

/* Copies the VMM parameter page and memory-map page (HUSK_PAGE_SIZE bytes
 * each) into *out and validates the copy against the (already checked) boot
 * parameters.  On failure err->msg says what is wrong. */
int bp_parse_vmm(const struct husk_boot_params *bp, const void *vmm_page,
		 const void *memmap_page, struct bp_info *out, struct bp_error *err);

/* True if [gpa, gpa+size) is RAM (type MEMORY) in the validated map. */
bool bp_range_is_ram(const struct bp_info *info, uint64_t gpa, uint64_t size);

const char *bp_memmap_type_name(uint16_t type);

#endif
