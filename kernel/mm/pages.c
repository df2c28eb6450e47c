/* Page allocator glue: lib/mm's buddy allocator over husk's region, with its
 * metadata carved out of the region itself.  Lock order: pages_lock is a
 * leaf (taken with no other lock held, or under heap_lock). */
#include <string.h>

#include "core/spinlock.h"
#include "husk/err.h"
#include "husk/layout.h"
#include "mm/buddy.h"
#include "mm/pages.h"

static struct spinlock pages_lock = SPINLOCK_INIT;
static struct buddy buddy;
static uint64_t region_base, region_size, window_offset;
static uint64_t reserved_pages, used_pages;

void *pa_to_va(uint64_t pa)
{
	if (pa < region_base + window_offset || pa >= region_base + region_size)
		return NULL;
	return (void *)(HUSK_WINDOW_VA + (pa - region_base - window_offset));
}

uint64_t va_to_pa(const void *va)
{
	uint64_t v = (uint64_t)va;

	if (v < HUSK_WINDOW_VA || v >= HUSK_WINDOW_VA + (region_size - window_offset))
		return 0;
	return region_base + window_offset + (v - HUSK_WINDOW_VA);
}

bool pa_in_region(uint64_t pa, uint64_t size)
{
	return pa < region_base + region_size && region_base < pa + size;
}

static bool offset_reserved(const struct husk_boot_params *bp, uint64_t off)
{
	for (uint32_t i = 0; i < bp->nranges; i++)
		if (off >= bp->ranges[i].offset && off < bp->ranges[i].offset + bp->ranges[i].size)
			return true;
	return false;
}

int pages_init(const struct husk_boot_params *bp)
{
	uint64_t npages, meta_pages, off, meta_off = 0;
	size_t meta_size;
	int err;

	region_base = bp->region_base;
	region_size = bp->region_size;
	window_offset = bp->window_offset;
	npages = region_size / HUSK_PAGE_SIZE;
	meta_size = buddy_meta_size(npages);
	if (!meta_size)
		return HUSK_ERR_RANGE;
	meta_pages = HUSK_ALIGN_UP(meta_size, HUSK_PAGE_SIZE) / HUSK_PAGE_SIZE;

	/* Metadata goes into the first run of unreserved pages large enough. */
	for (off = window_offset; off + meta_pages * HUSK_PAGE_SIZE <= region_size; off += HUSK_PAGE_SIZE) {
		uint64_t i;

		for (i = 0; i < meta_pages; i++)
			if (offset_reserved(bp, off + i * HUSK_PAGE_SIZE))
				break;
		if (i == meta_pages) {
			meta_off = off;
			break;
		}
	}
	if (!meta_off)
		return HUSK_ERR_NOMEM;

	err = buddy_init(&buddy, region_base, npages, pa_to_va(region_base + meta_off),
			 meta_pages * HUSK_PAGE_SIZE);
	if (err)
		return err;
	reserved_pages = 0;
	for (off = 0; off < region_size; off += HUSK_PAGE_SIZE) {
		if (off < window_offset || offset_reserved(bp, off) ||
		    (off >= meta_off && off < meta_off + meta_pages * HUSK_PAGE_SIZE)) {
			reserved_pages++;
			continue;
		}
		err = buddy_add_free(&buddy, region_base + off, 1);
		if (err)
			return err;
	}
	return HUSK_OK;
}

int page_alloc(unsigned order, uint64_t *pa)
{
	int err;

	spin_lock(&pages_lock);
	err = buddy_alloc(&buddy, order, pa);
	if (!err)
		used_pages += 1ull << order;
	spin_unlock(&pages_lock);
	if (!err)
		memset(pa_to_va(*pa), 0, HUSK_PAGE_SIZE << order);
	return err;
}

int page_free(uint64_t pa, unsigned order)
{
	int err;

	spin_lock(&pages_lock);
	err = buddy_free(&buddy, pa, order);
	if (!err)
		used_pages -= 1ull << order;
	spin_unlock(&pages_lock);
	return err;
}

void *page_alloc_va(unsigned order)
{
	uint64_t pa;

	return page_alloc(order, &pa) ? NULL : pa_to_va(pa);
}

int page_free_va(void *va, unsigned order)
{
	uint64_t pa = va_to_pa(va);

	return pa ? page_free(pa, order) : HUSK_ERR_RANGE;
}

void pages_get_stats(struct pages_stats *st)
{
	struct buddy_stats bs;

	spin_lock(&pages_lock);
	buddy_get_stats(&buddy, &bs);
	st->region_pages = bs.total_pages;
	st->reserved_pages = reserved_pages;
	st->free_pages = bs.free_pages;
	st->used_pages = used_pages;
	spin_unlock(&pages_lock);
}

int pages_check(void)
{
	int err;

	spin_lock(&pages_lock);
	err = buddy_check(&buddy);
	spin_unlock(&pages_lock);
	return err;
}
