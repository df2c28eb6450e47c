/* Region layout for husk's IGVM file; see layout.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "husk/err.h"
#include "husk/layout.h"
#include "layout.h"
#include "pt/pt.h"

#define PERM_MAPPED 1u
#define PERM_W      2u
#define PERM_X      4u
#define PERM_GUARD  8u

struct pt_ctx {
	struct layout *l;
	uint64_t next; /* next free page in the page-table budget */
};

static int lay_alloc_table(void *ctx, uint64_t *pa)
{
	struct pt_ctx *c = ctx;
	struct layout *l = c->l;

	if (c->next >= l->pt_budget) {
		fprintf(stderr, "layout: page-table budget of %llu pages exhausted\n",
			(unsigned long long)l->pt_budget);
		return HUSK_ERR_NOMEM;
	}
	*pa = l->cfg.region_base + l->pt_offset + c->next * HUSK_PAGE_SIZE;
	memset(l->region + l->pt_offset + c->next * HUSK_PAGE_SIZE, 0, HUSK_PAGE_SIZE);
	l->state[l->pt_offset / HUSK_PAGE_SIZE + c->next] = LAYOUT_DATA;
	c->next++;
	return HUSK_OK;
}

static uint64_t *lay_table(void *ctx, uint64_t pa)
{
	struct pt_ctx *c = ctx;
	uint64_t off = pa - c->l->cfg.region_base;

	if (pa < c->l->cfg.region_base || off < c->l->pt_offset ||
	    off >= c->l->pt_offset + c->next * HUSK_PAGE_SIZE)
		return NULL;
	return (uint64_t *)(c->l->region + off);
}

/* Places the allocated sections of the kernel ELF; records per-page permissions. */
static int place_image(struct layout *l, const struct elf_file *kernel, uint8_t *perm)
{
	uint64_t end = 0;

	for (unsigned i = 0; i < kernel->eh->e_shnum; i++) {
		const Elf64_Shdr *s = &kernel->sh[i];
		const char *name = elf_section_name(kernel, s);
		uint8_t p = PERM_MAPPED;
		uint64_t off, first, last;

		if (!(s->sh_flags & SHF_ALLOC) || s->sh_size == 0)
			continue;
		if (s->sh_addr < HUSK_IMAGE_VA || s->sh_addr - HUSK_IMAGE_VA >= l->cfg.region_size ||
		    s->sh_size > l->cfg.region_size - (s->sh_addr - HUSK_IMAGE_VA)) {
			fprintf(stderr, "layout: section %s at 0x%llx does not fit the region\n", name,
				(unsigned long long)s->sh_addr);
			return HUSK_ERR_RANGE;
		}
		off = s->sh_addr - HUSK_IMAGE_VA;
		if (strncmp(name, ".guard", 6) == 0)
			p = PERM_GUARD;
		else {
			if (s->sh_flags & SHF_WRITE)
				p |= PERM_W;
			if (s->sh_flags & SHF_EXECINSTR)
				p |= PERM_X;
		}
		if ((p & PERM_W) && (p & PERM_X)) {
			fprintf(stderr, "layout: section %s is writable and executable\n", name);
			return HUSK_ERR_INVAL;
		}
		first = off / HUSK_PAGE_SIZE;
		last = (off + s->sh_size - 1) / HUSK_PAGE_SIZE;
		for (uint64_t pg = first; pg <= last; pg++) {
			/* A page shared by sections must not widen anyone's
			 * permissions: they have to agree exactly. */
			if (perm[pg] && perm[pg] != p) {
				fprintf(stderr, "layout: page 0x%llx of the image would need two "
					"permissions (section %s); align sections in kernel.ld\n",
					(unsigned long long)(pg * HUSK_PAGE_SIZE), name);
				return HUSK_ERR_INVAL;
			}
			perm[pg] = p;
			if (!(p & PERM_GUARD) && l->state[pg] == LAYOUT_UNLOADED)
				l->state[pg] = LAYOUT_ZERO;
		}
		if (s->sh_type == SHT_PROGBITS) {
			memcpy(l->region + off, elf_section_data(kernel, s), s->sh_size);
			for (uint64_t pg = first; pg <= last; pg++)
				l->state[pg] = LAYOUT_DATA;
		}
		if (off + s->sh_size > end)
			end = off + s->sh_size;
	}
	l->image_size = HUSK_ALIGN_UP(end, HUSK_PAGE_SIZE);
	return HUSK_OK;
}

static int build_page_tables(struct layout *l, const uint8_t *perm)
{
	struct pt_ctx ctx = { l, 0 };
	struct pt_ops ops = { .alloc_table = lay_alloc_table, .table = lay_table, .ctx = &ctx };
	struct pt pt;
	int err;

	err = pt_init(&pt, &ops);
	/* The image, page by page, with the permissions of its sections. */
	for (uint64_t pg = 0; !err && pg < l->image_size / HUSK_PAGE_SIZE; pg++) {
		uint64_t flags = PT_P | PT_G;

		if (!(perm[pg] & PERM_MAPPED))
			continue; /* guard pages and holes stay unmapped */
		if (perm[pg] & PERM_W)
			flags |= PT_W;
		if (!(perm[pg] & PERM_X))
			flags |= PT_NX;
		err = pt_map(&pt, HUSK_IMAGE_VA + pg * HUSK_PAGE_SIZE,
			     l->cfg.region_base + pg * HUSK_PAGE_SIZE, flags);
	}
	/* The rest of the region, read-write and never executable; the boot
	 * parameter page read-only. */
	for (uint64_t off = l->image_size; !err && off < l->cfg.region_size; off += HUSK_PAGE_SIZE) {
		uint64_t flags = PT_P | PT_NX | PT_G;

		if (off != l->bp_offset)
			flags |= PT_W;
		err = pt_map(&pt, HUSK_WINDOW_VA + (off - l->image_size), l->cfg.region_base + off, flags);
	}
	/* The reset page 1:1, for the loader's switch to long mode only. */
	if (!err)
		err = pt_map(&pt, HUSK_RESET_PAGE_GPA, HUSK_RESET_PAGE_GPA, PT_P);
	if (err) {
		fprintf(stderr, "layout: building page tables failed: %s\n", husk_strerror(err));
		return err;
	}
	if (pt.root_pa != l->cfg.region_base + l->pt_offset)
		return HUSK_ERR_INVAL;
	l->pt_pages = ctx.next;
	return HUSK_OK;
}

static int patch_reset_page(struct layout *l, const struct elf_file *kernel)
{
	const Elf64_Shdr *s = elf_find_section(kernel, ".husk.reset");
	struct husk_loader_handoff h;
	static const uint8_t zero[sizeof(h)];

	if (!s || s->sh_type != SHT_PROGBITS || s->sh_size != HUSK_PAGE_SIZE) {
		fprintf(stderr, "layout: kernel has no 4 KiB .husk.reset section\n");
		return HUSK_ERR_FORMAT;
	}
	memcpy(l->reset_page, elf_section_data(kernel, s), HUSK_PAGE_SIZE);
	/* The CPU leaves reset in real mode at page offset 0xff0: that must be
	 * a 16-bit near jump to the start of the page (e9 0d f0). */
	if (l->reset_page[0xff0] != 0xe9 || l->reset_page[0xff1] != 0x0d || l->reset_page[0xff2] != 0xf0) {
		fprintf(stderr, "layout: reset vector is not a 16-bit jump to the page start\n");
		return HUSK_ERR_FORMAT;
	}
	if (memcmp(l->reset_page + HUSK_LOADER_HANDOFF_OFFSET, zero, sizeof(zero))) {
		fprintf(stderr, "layout: reset page hand-off block is not blank\n");
		return HUSK_ERR_FORMAT;
	}
	h.magic = HUSK_LOADER_MAGIC;
	h.cr3 = l->cfg.region_base + l->pt_offset;
	h.entry = l->entry;
	h.boot_params_va = HUSK_WINDOW_VA + (l->bp_offset - l->image_size);
	memcpy(l->reset_page + HUSK_LOADER_HANDOFF_OFFSET, &h, sizeof(h));
	return HUSK_OK;
}

static int fill_boot_params(struct layout *l, const char *version)
{
	struct husk_boot_params *bp = &l->bp;
	int n;

	memset(bp, 0, sizeof(*bp));
	bp->magic = HUSK_BOOT_PARAMS_MAGIC;
	bp->version = HUSK_BOOT_PARAMS_VERSION;
	bp->size = sizeof(*bp);
	bp->platform = l->platform;
	bp->region_base = l->cfg.region_base;
	bp->region_size = l->cfg.region_size;
	bp->window_va = HUSK_WINDOW_VA;
	bp->window_offset = l->image_size;
	bp->image_va = HUSK_IMAGE_VA;
	bp->image_size = l->image_size;
	bp->pml4_offset = l->pt_offset;
	bp->vmm_params_offset = l->vmm_offset;
	bp->memmap_offset = l->memmap_offset;
	bp->memmap_max = HUSK_MEMMAP_MAX_ENTRIES;
	bp->nranges = 4;
	bp->ranges[0] = (struct husk_boot_range){ 0, l->image_size, HUSK_RANGE_IMAGE, 0 };
	bp->ranges[1] = (struct husk_boot_range){ l->pt_offset, l->pt_pages * HUSK_PAGE_SIZE,
						  HUSK_RANGE_PAGETABLES, 0 };
	bp->ranges[2] = (struct husk_boot_range){ l->bp_offset, HUSK_PAGE_SIZE, HUSK_RANGE_BOOTPARAMS, 0 };
	bp->ranges[3] = (struct husk_boot_range){ l->vmm_offset, 2 * HUSK_PAGE_SIZE,
						  HUSK_RANGE_VMM_PARAMS, 0 };
	n = snprintf(NULL, 0, "%s %s", version, l->cfg.name);
	if (n < 0 || (size_t)n >= sizeof(bp->version_string)) {
		fprintf(stderr, "layout: version string '%s %s' longer than %zu bytes\n", version,
			l->cfg.name, sizeof(bp->version_string) - 1);
		return HUSK_ERR_RANGE;
	}
	memcpy(bp->version_string, version, strlen(version));
	bp->version_string[strlen(version)] = ' ';
	memcpy(bp->version_string + strlen(version) + 1, l->cfg.name, strlen(l->cfg.name) + 1);
	if (l->cfg.payload_size) {
		bp->payload_gpa = l->cfg.payload_gpa;
		bp->payload_size = l->cfg.payload_size;
		bp->payload_entry = l->cfg.payload_entry ? l->cfg.payload_entry : l->cfg.payload_gpa;
	}
	memcpy(l->region + l->bp_offset, bp, sizeof(*bp));
	l->state[l->bp_offset / HUSK_PAGE_SIZE] = LAYOUT_DATA;
	return HUSK_OK;
}

/* SNP: husk's memory is private, so every present entry (tables and leaves)
 * and CR3 carry the C-bit.  (lib/pt, and so the kernel's own later edits,
 * know nothing of it yet; an SNP platform will have to.) */
static void apply_c_bit(struct layout *l)
{
	uint64_t c = 1ull << l->cfg.snp_c_bit;

	for (uint64_t pg = 0; pg < l->pt_pages; pg++) {
		uint8_t *table = l->region + l->pt_offset + pg * HUSK_PAGE_SIZE;

		for (unsigned i = 0; i < PT_ENTRIES; i++) {
			uint64_t e;

			memcpy(&e, table + i * 8, 8);
			if (e & PT_P) {
				e |= c;
				memcpy(table + i * 8, &e, 8);
			}
		}
	}
	l->cr3 |= c;
}

int layout_build(const struct target_config *cfg, const struct elf_file *kernel,
		 const char *version, uint32_t platform, struct layout *l)
{
	uint8_t *perm;
	uint64_t start;
	int err;

	memset(l, 0, sizeof(*l));
	l->cfg = *cfg;
	l->platform = platform;
	l->npages = cfg->region_size / HUSK_PAGE_SIZE;
	l->region = calloc(1, cfg->region_size);
	l->state = calloc(1, l->npages);
	perm = calloc(1, l->npages);
	if (!l->region || !l->state || !perm) {
		free(perm);
		layout_free(l);
		return HUSK_ERR_NOMEM;
	}
	err = place_image(l, kernel, perm);
	if (!err && (elf_find_symbol(kernel, "_start", &start) || start != kernel->eh->e_entry)) {
		fprintf(stderr, "layout: kernel entry is not _start\n");
		err = HUSK_ERR_FORMAT;
	}
	l->entry = kernel->eh->e_entry;
	/* Page tables: one PT per 2 MiB of region plus the upper levels and the
	 * identity map, with room to spare; unused budget becomes free memory. */
	l->pt_budget = cfg->region_size / 0x200000 + 16;
	l->pt_offset = l->image_size;
	l->bp_offset = l->pt_offset + l->pt_budget * HUSK_PAGE_SIZE;
	l->vmm_offset = l->bp_offset + HUSK_PAGE_SIZE;
	l->memmap_offset = l->vmm_offset + HUSK_PAGE_SIZE;
	if (!err && l->memmap_offset + 2 * HUSK_PAGE_SIZE > cfg->region_size) {
		fprintf(stderr, "layout: image of %llu KiB leaves no room in a %llu KiB region\n",
			(unsigned long long)(l->image_size >> 10), (unsigned long long)(cfg->region_size >> 10));
		err = HUSK_ERR_NOMEM;
	}
	if (!err)
		err = build_page_tables(l, perm);
	l->cr3 = cfg->region_base + l->pt_offset;
	if (!err && platform == HUSK_PLATFORM_SNP && cfg->snp_c_bit)
		apply_c_bit(l);
	if (!err)
		err = patch_reset_page(l, kernel);
	if (!err)
		err = fill_boot_params(l, version);
	free(perm);
	if (err)
		layout_free(l);
	return err;
}

void layout_free(struct layout *l)
{
	free(l->region);
	free(l->state);
	l->region = NULL;
	l->state = NULL;
}
