/* IGVM emission: parameter areas first (so every loader measures them in the
 * same place), then husk's pages in ascending GPA order, then the reset page. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "emit.h"
#include "husk/err.h"
#include "husk/layout.h"
#include "igvm/igvm_writer.h"

static int platform_mask(uint32_t platform, uint8_t *igvm_type, uint32_t *mask)
{
	switch (platform) {
	case HUSK_PLATFORM_NATIVE:
		*igvm_type = IGVM_PLATFORM_NATIVE;
		*mask = HUSK_IGVM_MASK_NATIVE;
		return HUSK_OK;
	default:
		fprintf(stderr, "emit: platform %u is not supported yet\n", platform);
		return HUSK_ERR_UNSUPPORTED;
	}
}

static int add_all(struct igvm_writer *w, const struct layout *l)
{
	struct igvm_vhs_supported_platform sp = { 0 };
	uint32_t mask;
	uint64_t base = l->cfg.region_base;
	int err;

	err = platform_mask(l->cfg.platform, &sp.platform_type, &mask);
	if (err)
		return err;
	sp.compatibility_mask = mask;
	sp.platform_version = IGVM_PLATFORM_VERSION;
	err = igvm_writer_add_platform(w, &sp);
	if (err)
		return err;

	/* What the loader fills in: see include/husk/bootinfo.h. */
	err = igvm_writer_add_parameter_area(w, HUSK_IGVM_AREA_VMM, HUSK_PAGE_SIZE, NULL, 0);
	if (!err)
		err = igvm_writer_add_parameter(w, IGVM_VHT_VP_COUNT_PARAMETER, HUSK_IGVM_AREA_VMM,
						HUSK_VMM_VP_COUNT_OFFSET);
	if (!err)
		err = igvm_writer_add_parameter(w, IGVM_VHT_ENVIRONMENT_INFO_PARAMETER, HUSK_IGVM_AREA_VMM,
						HUSK_VMM_ENV_INFO_OFFSET);
	if (!err)
		err = igvm_writer_add_parameter(w, IGVM_VHT_COMMAND_LINE, HUSK_IGVM_AREA_VMM,
						HUSK_VMM_CMDLINE_OFFSET);
	if (!err)
		err = igvm_writer_add_parameter_area(w, HUSK_IGVM_AREA_MEMMAP, HUSK_PAGE_SIZE, NULL, 0);
	if (!err)
		err = igvm_writer_add_parameter(w, IGVM_VHT_MEMORY_MAP, HUSK_IGVM_AREA_MEMMAP, 0);
	if (!err)
		err = igvm_writer_add_parameter_insert(w, base + l->vmm_offset, mask, HUSK_IGVM_AREA_VMM);
	if (!err)
		err = igvm_writer_add_parameter_insert(w, base + l->memmap_offset, mask,
						       HUSK_IGVM_AREA_MEMMAP);
	/* All of husk's region must be RAM, also the parts the file does not load. */
	if (!err)
		err = igvm_writer_add_required_memory(w, base, mask, (uint32_t)l->cfg.region_size, 0);

	for (uint64_t pg = 0; !err && pg < l->npages; pg++) {
		const uint8_t *data = l->region + pg * HUSK_PAGE_SIZE;

		if (l->state[pg] == LAYOUT_DATA)
			err = igvm_writer_add_page(w, base + pg * HUSK_PAGE_SIZE, mask, 0, 0, data, HUSK_PAGE_SIZE);
		else if (l->state[pg] == LAYOUT_ZERO)
			err = igvm_writer_add_page(w, base + pg * HUSK_PAGE_SIZE, mask, 0, 0, NULL, 0);
	}
	if (!err)
		err = igvm_writer_add_page(w, HUSK_RESET_PAGE_GPA, mask, 0, 0, l->reset_page, HUSK_PAGE_SIZE);
	return err;
}

int emit_igvm(const struct layout *l, const char *path, size_t *file_size)
{
	struct igvm_writer *w;
	const uint8_t *file;
	size_t size;
	FILE *f;
	int err;

	err = igvm_writer_create(&w, &igvm_libc_allocator, IGVM_FORMAT_VERSION_1);
	if (err)
		return err;
	err = add_all(w, l);
	if (!err)
		err = igvm_writer_finish(w, &file, &size);
	if (err) {
		fprintf(stderr, "emit: %s (%s)\n", igvm_writer_error(w), husk_strerror(err));
		igvm_writer_destroy(w);
		return err;
	}
	f = fopen(path, "wb");
	if (!f || fwrite(file, 1, size, f) != size || fclose(f)) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		igvm_writer_destroy(w);
		return HUSK_ERR_IO;
	}
	*file_size = size;
	igvm_writer_destroy(w);
	return HUSK_OK;
}
