/* husk's physical page allocator: a buddy allocator over husk's own region,
 * reached through the region window.  husk never allocates or maps guest
 * memory through this module (see mm/tmpmap.h for that). */
#ifndef HUSK_MM_PAGES_H
#define HUSK_MM_PAGES_H

#include <stdbool.h>
#include <stdint.h>

#include "husk/bootinfo.h"

struct pages_stats {
	uint64_t region_pages;   /* whole region */
	uint64_t reserved_pages; /* image, page tables, parameters, allocator metadata */
	uint64_t free_pages;
	uint64_t used_pages;     /* handed out by page_alloc */
};

int pages_init(const struct husk_boot_params *bp);

/* 2^order zeroed pages; returns the physical address in *pa. */
int page_alloc(unsigned order, uint64_t *pa);
int page_free(uint64_t pa, unsigned order);
/* Same, as window addresses. */
void *page_alloc_va(unsigned order);
int page_free_va(void *va, unsigned order);

/* Window address of a page of husk's region, or NULL for anything else. */
void *pa_to_va(uint64_t pa);
/* Physical address of a window address, or 0 if va is not in the window. */
uint64_t va_to_pa(const void *va);
/* True if [pa, pa+size) touches husk's region. */
bool pa_in_region(uint64_t pa, uint64_t size);

void pages_get_stats(struct pages_stats *st);
int pages_check(void);

#endif
