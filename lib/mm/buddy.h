/* Buddy page allocator over a span of page-aligned addresses.
 *
 * The allocator never touches the memory it manages: addresses are opaque
 * integers (the kernel passes physical addresses and maps them itself), and
 * all bookkeeping lives in metadata the caller provides, sized by
 * buddy_meta_size().  Blocks are 2^order pages and naturally aligned in
 * address (an order-9 block is 2 MiB aligned), so large blocks suit large
 * pages.
 *
 * Life cycle: buddy_init() makes every page of the span reserved; the caller
 * then hands over the usable parts with buddy_add_free(), which is how holes
 * (the kernel image, page tables, firmware areas) stay out of reach.
 *
 * Every entry point validates its arguments and returns an enum husk_err
 * code instead of corrupting state: out of memory, a free of something not
 * allocated, of the wrong order, twice, or outside the span.  All loops are
 * bounded by the span size and BUDDY_MAX_ORDER; there is no recursion.
 *
 * Not thread-safe: the kernel wraps each struct buddy in a lock. */
#ifndef HUSK_MM_BUDDY_H
#define HUSK_MM_BUDDY_H

#include <stddef.h>
#include <stdint.h>

#define BUDDY_PAGE_SHIFT 12
#define BUDDY_PAGE_SIZE  (1ull << BUDDY_PAGE_SHIFT)

/* Largest block: 2^10 pages = 4 MiB. */
#define BUDDY_MAX_ORDER 10u

/* A span may hold at most this many pages (page indexes are 32-bit in the
 * metadata; 16 TiB is far beyond what husk manages). */
#define BUDDY_MAX_PAGES 0xfffffff0ull

/* Metadata bytes per page, and the alignment the metadata needs, so a
 * caller can size static storage at compile time. */
#define BUDDY_META_PER_PAGE 12u
#define BUDDY_META_ALIGN    4u

struct buddy_page; /* per-page metadata, private to buddy.c */

/* One allocator.  The caller allocates it (statically or embedded); the
 * fields are private to buddy.c. */
struct buddy {
	uint64_t base_pfn;                     /* first page number of the span */
	uint64_t npages;                       /* pages in the span */
	struct buddy_page *meta;               /* npages entries */
	uint32_t free_head[BUDDY_MAX_ORDER + 1];  /* first free block, by order */
	uint64_t free_count[BUDDY_MAX_ORDER + 1]; /* free blocks, by order */
	uint64_t free_pages;
	uint64_t managed_pages;                /* pages ever given to buddy_add_free */
	uint32_t magic;                        /* set by buddy_init */
};

struct buddy_stats {
	uint64_t total_pages;   /* pages in the span */
	uint64_t managed_pages; /* pages added with buddy_add_free */
	uint64_t free_pages;
	int largest_free_order; /* -1 when nothing is free */
	uint64_t free_blocks[BUDDY_MAX_ORDER + 1];
};

/* Bytes of metadata buddy_init() needs for a span of npages pages, or 0 if
 * npages is 0 or above BUDDY_MAX_PAGES.  Align the storage to
 * BUDDY_META_ALIGN. */
size_t buddy_meta_size(uint64_t npages);

/* Sets up b over the npages pages starting at byte address base (page
 * aligned), with every page reserved.  meta (meta_size bytes, at least
 * buddy_meta_size(npages), BUDDY_META_ALIGN-aligned) must stay valid as long
 * as b is used.
 * Errors: HUSK_ERR_INVAL (NULL argument, npages 0 or too big, meta too
 * small), HUSK_ERR_ALIGN (base or meta misaligned), HUSK_ERR_RANGE (span
 * wraps around the address space). */
int buddy_init(struct buddy *b, uint64_t base, uint64_t npages, void *meta, size_t meta_size);

/* Makes the npages pages at addr available for allocation.  All of them
 * must be inside the span and still reserved; otherwise nothing changes.
 * Errors: HUSK_ERR_INVAL (b not initialised, npages 0), HUSK_ERR_ALIGN,
 * HUSK_ERR_RANGE (not inside the span), HUSK_ERR_OVERLAP (some page is
 * already free or allocated). */
int buddy_add_free(struct buddy *b, uint64_t addr, uint64_t npages);

/* Allocates 2^order contiguous pages, aligned to their size, and stores the
 * first page's address in *addr.
 * Errors: HUSK_ERR_INVAL (order > BUDDY_MAX_ORDER, NULL argument),
 * HUSK_ERR_NOMEM (no free block that large; *addr is untouched). */
int buddy_alloc(struct buddy *b, unsigned int order, uint64_t *addr);

/* Frees a block buddy_alloc() returned, with the order it was allocated at,
 * and merges it with its free buddies.
 * Errors (state unchanged): HUSK_ERR_ALIGN (addr not page aligned),
 * HUSK_ERR_RANGE (addr outside the span), HUSK_ERR_INVAL (order differs
 * from the allocation's, or > BUDDY_MAX_ORDER), HUSK_ERR_NOTFOUND (addr is
 * not the start of an allocated block: never allocated, already freed,
 * reserved, or inside a block). */
int buddy_free(struct buddy *b, uint64_t addr, unsigned int order);

void buddy_get_stats(const struct buddy *b, struct buddy_stats *st);

/* Verifies the whole internal state (free lists, per-page states, counters,
 * that no two free buddies were left unmerged).  O(npages); for tests and
 * in-kernel self-tests.  Returns 0 or HUSK_ERR_FORMAT. */
int buddy_check(const struct buddy *b);

#endif
