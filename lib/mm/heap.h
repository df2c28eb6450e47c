/* Small-object heap on top of a page provider (husk's kmalloc, and the
 * allocator mbedTLS's calloc/free are wired to).
 *
 * Requests up to HEAP_SMALL_MAX bytes come from slabs: single pages cut into
 * objects of one size class, with a header at the start of the page.
 * Larger requests get a whole block of 2^order pages straight from the
 * provider, page aligned, tracked in a small hash table.  Every result is
 * at least 16-byte aligned.
 *
 * Misuse is detected where it is cheap and reported, never acted on blindly:
 * heap_free checks the slab header (magic tied to the page address and the
 * heap), that the pointer is exactly an object of that slab, and the
 * allocation bitmap (double free); a page-aligned pointer must be a known
 * large block.  Freed objects are filled with HEAP_POISON, which also wipes
 * whatever secret they held, and the poison is verified when the object is
 * handed out again, so a write after free is noticed (the object is then
 * quarantined, never reused).  Empty slab pages go back to the provider at
 * once, and large blocks are wiped before they do.
 *
 * Limits of the detection: heap_free reads the header at the start of the
 * pointer's page, so the pointer must at least lie in mapped memory (true of
 * any address in husk's region).  A double free that comes after its slab
 * page went back to the provider is caught only while that page is not
 * reused as a slab of the same heap; no per-object state survives the page.
 *
 * Failure is a NULL return (allocation) or an enum husk_err code (free);
 * nothing here panics.  Detected misuse is also passed to the optional error
 * callback, for callers such as a void free() that cannot see return codes.
 *
 * Not thread-safe: the kernel wraps each struct heap in a lock.  The page
 * provider is called with that lock held. */
#ifndef HUSK_MM_HEAP_H
#define HUSK_MM_HEAP_H

#include <stddef.h>
#include <stdint.h>

#define HEAP_PAGE_SIZE 4096u
#define HEAP_ALIGN     16u
#define HEAP_SMALL_MAX 2000u /* largest slab class; two per page */
#define HEAP_NCLASSES  22u
/* Largest block for a large allocation: 2^20 pages (4 GiB); beyond any
 * page provider husk has, and keeps the size arithmetic far from overflow. */
#define HEAP_MAX_ORDER 20u
#define HEAP_LARGE_BUCKETS 64u
#define HEAP_POISON 0x6bu

struct heap_page_ops {
	/* Returns 2^order contiguous, mapped, HEAP_PAGE_SIZE-aligned pages
	 * (content arbitrary), or NULL. */
	void *(*page_alloc)(void *ctx, unsigned int order);
	/* Takes back a block page_alloc returned, with the same order. */
	void (*page_free)(void *ctx, void *pages, unsigned int order);
	/* Optional (may be NULL): told about detected misuse.  err is
	 * HUSK_ERR_INVAL (pointer the heap never handed out),
	 * HUSK_ERR_NOTFOUND (double free), HUSK_ERR_FORMAT (a free object was
	 * written to) or HUSK_ERR_ALIGN (the provider returned a misaligned
	 * block); ptr is the pointer concerned. */
	void (*error)(void *ctx, int err, const void *ptr);
	void *ctx;
};

struct heap_stats {
	size_t bytes_in_use;      /* live allocations, rounded to class size or whole pages */
	size_t peak_bytes_in_use;
	size_t pages_held;        /* pages obtained from the provider, not yet returned */
	size_t peak_pages_held;
	uint64_t allocs;          /* successful heap_alloc/heap_calloc calls */
	uint64_t frees;           /* successful heap_free calls (not counting NULL) */
	uint64_t failed_allocs;
	uint64_t invalid_frees;   /* bad pointers and double frees */
	uint64_t corrupt_objects; /* freed objects found modified, now quarantined */
};

struct heap_slab;  /* private to heap.c */
struct heap_large; /* private to heap.c */

/* One heap.  The caller allocates it (statically or embedded); the fields
 * are private to heap.c. */
struct heap {
	struct heap_page_ops ops;
	uintptr_t cookie;
	struct heap_slab *partial[HEAP_NCLASSES]; /* slabs with free objects */
	struct heap_slab *full[HEAP_NCLASSES];    /* slabs without */
	struct heap_large *large[HEAP_LARGE_BUCKETS];
	struct heap_stats stats;
	uint32_t magic;
};

/* Sets up an empty heap.  ops is copied.  Errors: HUSK_ERR_INVAL (NULL h,
 * ops, or page callback). */
int heap_init(struct heap *h, const struct heap_page_ops *ops);

/* Returns size bytes (a unique minimal object for 0), 16-byte aligned, with
 * unspecified content; NULL when out of memory or size is too large. */
void *heap_alloc(struct heap *h, size_t size);

/* Like heap_alloc for n * size bytes, zeroed; NULL also if n * size
 * overflows. */
void *heap_calloc(struct heap *h, size_t n, size_t size);

/* Frees what heap_alloc/heap_calloc returned.  NULL is a no-op.
 * Errors (heap unchanged): HUSK_ERR_INVAL (not a pointer this heap handed
 * out, or h not initialised), HUSK_ERR_NOTFOUND (a small object already
 * freed).  A large block freed twice is simply unknown the second time:
 * HUSK_ERR_INVAL. */
int heap_free(struct heap *h, void *p);

void heap_get_stats(const struct heap *h, struct heap_stats *st);

/* Walks every slab and large block: headers, bitmaps, counters, lists, and
 * the poison of every free object.  O(memory held); for tests and in-kernel
 * self-tests.  Returns 0 or HUSK_ERR_FORMAT. */
int heap_check(const struct heap *h);

#endif
