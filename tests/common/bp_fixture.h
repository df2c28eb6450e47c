/* A valid husk_boot_params for tests of lib/bootparams (unit test and fuzzer). */
#ifndef HUSK_TESTS_BP_FIXTURE_H
#define HUSK_TESTS_BP_FIXTURE_H

#include <string.h>
#include "husk/bootinfo.h"

#define FIX_REGION_BASE 0x1000000ull
#define FIX_REGION_SIZE 0x800000ull

static inline void bp_fixture(struct husk_boot_params *bp)
{
	memset(bp, 0, sizeof(*bp));
	bp->magic = HUSK_BOOT_PARAMS_MAGIC;
	bp->version = HUSK_BOOT_PARAMS_VERSION;
	bp->size = sizeof(*bp);
	bp->platform = HUSK_PLATFORM_NATIVE;
	bp->region_base = FIX_REGION_BASE;
	bp->region_size = FIX_REGION_SIZE;
	bp->image_size = 0x100000;
	bp->window_offset = 0x100000;
	bp->pml4_offset = 0x100000;
	bp->vmm_params_offset = 0x121000;
	bp->memmap_offset = 0x122000;
	bp->memmap_max = HUSK_MEMMAP_MAX_ENTRIES;
	bp->nranges = 4;
	bp->ranges[0] = (struct husk_boot_range){ 0, 0x100000, HUSK_RANGE_IMAGE, 0 };
	bp->ranges[1] = (struct husk_boot_range){ 0x100000, 0x8000, HUSK_RANGE_PAGETABLES, 0 };
	bp->ranges[2] = (struct husk_boot_range){ 0x120000, 0x1000, HUSK_RANGE_BOOTPARAMS, 0 };
	bp->ranges[3] = (struct husk_boot_range){ 0x121000, 0x2000, HUSK_RANGE_VMM_PARAMS, 0 };
	strcpy(bp->version_string, "husk test");
}

#endif
