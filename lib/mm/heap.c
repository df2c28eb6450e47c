/* Small-object heap: size-class slabs of one page each, and whole page
 * blocks for large requests (see heap.h for the contract).
 *
 * A slab page starts with its header, so the header of any small object is
 * found by rounding the pointer down to the page; objects start after the
 * header, so no small object is page aligned and a page-aligned pointer can
 * only be a large block.  Large blocks carry no header at all (a 4096-byte
 * request costs exactly one page): they are found through a hash table whose
 * records are themselves small objects of this heap. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "husk/compiler.h"
#include "husk/err.h"
#include "mm/heap.h"

#define HEAP_MAGIC      0x50414548u /* "HEAP" */
#define HEAP_SLAB_MAGIC 0x42414c53504548ull /* "HEPSLAB" */
#define HEAP_BITMAP_WORDS 4u
#define HEAP_POISON64   (0x0101010101010101ull * HEAP_POISON)
/* A freed object found modified is quarantined and another one tried; give
 * up after this many in one call rather than eat the heap. */
#define HEAP_MAX_QUARANTINE_TRIES 8u

struct heap_slab {
	uint64_t check;          /* HEAP_SLAB_MAGIC ^ own address ^ heap cookie */
	struct heap *owner;
	struct heap_slab *next;  /* in the class's partial or full list */
	struct heap_slab *prev;
	uint16_t class_idx;
	uint16_t nobjs;
	uint16_t nfree;
	uint16_t obj_size;
	uint64_t used[HEAP_BITMAP_WORDS]; /* bit set = allocated (or quarantined) */
};

/* Objects start here; a multiple of HEAP_ALIGN. */
#define HEAP_SLAB_HDR HUSK_ALIGN_UP(sizeof(struct heap_slab), (size_t)HEAP_ALIGN)
#define HEAP_SLAB_ROOM (HEAP_PAGE_SIZE - HEAP_SLAB_HDR)

/* Multiples of 16; above 256 each is the largest that fits a given number
 * of objects in a page, so the slack per page stays small. */
static const uint16_t heap_class_size[HEAP_NCLASSES] = {
	16, 32, 48, 64, 80, 96, 112, 128, 160, 192, 224,
	256, 320, 384, 448, 512, 576, 672, 800, 992, 1328, 2000,
};

HUSK_STATIC_ASSERT(HEAP_SLAB_HDR == 80, "slab header size the class table was tuned for");
HUSK_STATIC_ASSERT(HEAP_SLAB_ROOM / 16 <= HEAP_BITMAP_WORDS * 64, "bitmap covers the smallest class");
HUSK_STATIC_ASSERT(HEAP_SLAB_ROOM / HEAP_SMALL_MAX >= 2, "largest class fits twice");
HUSK_STATIC_ASSERT(HEAP_PAGE_SIZE == HUSK_PAGE_SIZE, "heap pages are husk pages");

struct heap_large {
	struct heap_large *next; /* hash chain */
	uintptr_t addr;
	uint32_t order;
};

static void heap_report(struct heap *h, int err, const void *p)
{
	if (h->ops.error != NULL)
		h->ops.error(h->ops.ctx, err, p);
}

static uint64_t heap_slab_check_word(const struct heap *h, const struct heap_slab *s)
{
	return HEAP_SLAB_MAGIC ^ (uintptr_t)s ^ h->cookie;
}

static void heap_stats_pages(struct heap *h, size_t delta, int add)
{
	if (add) {
		h->stats.pages_held += delta;
		if (h->stats.pages_held > h->stats.peak_pages_held)
			h->stats.peak_pages_held = h->stats.pages_held;
	} else {
		h->stats.pages_held -= delta;
	}
}

/* Returns the smallest class that holds size, or -1. */
static int heap_class_of(size_t size)
{
	for (unsigned int c = 0; c < HEAP_NCLASSES; c++)
		if (size <= heap_class_size[c])
			return (int)c;
	return -1;
}

static void heap_poison(void *p, size_t n)
{
	memset(p, HEAP_POISON, n);
}

/* Object sizes are multiples of 16 and objects 16-aligned, so compare in
 * words. */
static int heap_poison_intact(const void *p, size_t n)
{
	const uint64_t *w = p;

	for (size_t i = 0; i < n / sizeof(uint64_t); i++)
		if (w[i] != HEAP_POISON64)
			return 0;
	return 1;
}

static void heap_list_add(struct heap_slab **head, struct heap_slab *s)
{
	s->prev = NULL;
	s->next = *head;
	if (*head != NULL)
		(*head)->prev = s;
	*head = s;
}

static void heap_list_del(struct heap_slab **head, struct heap_slab *s)
{
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		*head = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	s->next = s->prev = NULL;
}

static void *heap_pages_get(struct heap *h, unsigned int order)
{
	void *p = h->ops.page_alloc(h->ops.ctx, order);

	if (p == NULL)
		return NULL;
	if (!HUSK_IS_ALIGNED((uintptr_t)p, (uintptr_t)HEAP_PAGE_SIZE)) {
		/* The slab lookup depends on alignment: refuse the block. */
		heap_report(h, HUSK_ERR_ALIGN, p);
		h->ops.page_free(h->ops.ctx, p, order);
		return NULL;
	}
	heap_stats_pages(h, (size_t)1 << order, 1);
	return p;
}

static void heap_pages_put(struct heap *h, void *p, unsigned int order)
{
	h->ops.page_free(h->ops.ctx, p, order);
	heap_stats_pages(h, (size_t)1 << order, 0);
}

static struct heap_slab *heap_slab_new(struct heap *h, unsigned int c)
{
	struct heap_slab *s = heap_pages_get(h, 0);
	unsigned int n;

	if (s == NULL)
		return NULL;
	n = HEAP_SLAB_ROOM / heap_class_size[c];
	memset(s, 0, sizeof(*s));
	s->check = heap_slab_check_word(h, s);
	s->owner = h;
	s->class_idx = (uint16_t)c;
	s->obj_size = heap_class_size[c];
	s->nobjs = (uint16_t)n;
	s->nfree = (uint16_t)n;
	/* Bits past the last object read as allocated, so the search below
	 * never picks them. */
	for (unsigned int i = n; i < HEAP_BITMAP_WORDS * 64; i++)
		s->used[i / 64] |= 1ull << (i % 64);
	/* The page's old content is unknown: poison it all, both so stale
	 * data does not leak into new objects and so the poison check on
	 * allocation holds from the start. */
	heap_poison((char *)s + HEAP_SLAB_HDR, HEAP_SLAB_ROOM);
	heap_list_add(&h->partial[c], s);
	return s;
}

static void heap_slab_release(struct heap *h, struct heap_slab *s)
{
	heap_list_del(&h->partial[s->class_idx], s);
	/* A stale pointer into this page must not pass for a slab later. */
	s->check = 0;
	s->owner = NULL;
	heap_pages_put(h, s, 0);
}

/* Takes one object of class c.  Returns NULL only when the page provider
 * fails or too many freed objects turn out to be corrupt. */
static void *heap_small_alloc(struct heap *h, unsigned int c)
{
	for (unsigned int tries = 0; tries < HEAP_MAX_QUARANTINE_TRIES; tries++) {
		struct heap_slab *s = h->partial[c];
		unsigned int w, bit, idx;
		void *obj;

		if (s == NULL) {
			s = heap_slab_new(h, c);
			if (s == NULL)
				return NULL;
		}
		for (w = 0; w < HEAP_BITMAP_WORDS; w++)
			if (~s->used[w] != 0)
				break;
		if (w == HEAP_BITMAP_WORDS)
			return NULL; /* nfree said otherwise: unreachable */
		bit = (unsigned int)__builtin_ctzll(~s->used[w]);
		idx = w * 64 + bit;
		s->used[w] |= 1ull << bit;
		s->nfree--;
		if (s->nfree == 0) {
			heap_list_del(&h->partial[c], s);
			heap_list_add(&h->full[c], s);
		}
		obj = (char *)s + HEAP_SLAB_HDR + (size_t)idx * s->obj_size;
		if (heap_poison_intact(obj, s->obj_size))
			return obj;
		/* Written after it was freed: whoever holds the stale pointer
		 * may write again, so the object is never handed out. */
		h->stats.corrupt_objects++;
		heap_report(h, HUSK_ERR_FORMAT, obj);
	}
	return NULL;
}

/* Finds the slab of a non-page-aligned pointer and its object index. */
static int heap_small_lookup(struct heap *h, void *p, struct heap_slab **sp, unsigned int *idxp)
{
	struct heap_slab *s = (struct heap_slab *)HUSK_ALIGN_DOWN((uintptr_t)p, (uintptr_t)HEAP_PAGE_SIZE);
	size_t off = (size_t)((uintptr_t)p - (uintptr_t)s);

	if (s->check != heap_slab_check_word(h, s) || s->owner != h || s->class_idx >= HEAP_NCLASSES ||
	    s->obj_size != heap_class_size[s->class_idx])
		return HUSK_ERR_INVAL;
	if (off < HEAP_SLAB_HDR || (off - HEAP_SLAB_HDR) % s->obj_size != 0)
		return HUSK_ERR_INVAL;
	if ((off - HEAP_SLAB_HDR) / s->obj_size >= s->nobjs)
		return HUSK_ERR_INVAL;
	*sp = s;
	*idxp = (unsigned int)((off - HEAP_SLAB_HDR) / s->obj_size);
	return HUSK_OK;
}

static int heap_small_free(struct heap *h, void *p, size_t *freed)
{
	struct heap_slab *s;
	unsigned int idx;
	uint64_t mask;
	int rc = heap_small_lookup(h, p, &s, &idx);

	if (rc != HUSK_OK)
		return rc;
	mask = 1ull << (idx % 64);
	if (!(s->used[idx / 64] & mask))
		return HUSK_ERR_NOTFOUND;
	s->used[idx / 64] &= ~mask;
	heap_poison(p, s->obj_size);
	*freed = s->obj_size;
	if (s->nfree == 0) {
		heap_list_del(&h->full[s->class_idx], s);
		heap_list_add(&h->partial[s->class_idx], s);
	}
	s->nfree++;
	if (s->nfree == s->nobjs)
		heap_slab_release(h, s);
	return HUSK_OK;
}

static unsigned int heap_large_bucket(uintptr_t addr)
{
	return (unsigned int)((addr / HEAP_PAGE_SIZE) % HEAP_LARGE_BUCKETS);
}

static void *heap_large_alloc(struct heap *h, size_t size, size_t *got)
{
	size_t pages = size / HEAP_PAGE_SIZE + (size % HEAP_PAGE_SIZE != 0);
	unsigned int order = 0;
	struct heap_large *rec;
	void *p;
	int c = heap_class_of(sizeof(struct heap_large));

	while (order <= HEAP_MAX_ORDER && ((size_t)1 << order) < pages)
		order++;
	if (order > HEAP_MAX_ORDER || c < 0)
		return NULL;
	rec = heap_small_alloc(h, (unsigned int)c);
	if (rec == NULL)
		return NULL;
	p = heap_pages_get(h, order);
	if (p == NULL) {
		size_t dummy;

		heap_small_free(h, rec, &dummy);
		return NULL;
	}
	rec->addr = (uintptr_t)p;
	rec->order = order;
	rec->next = h->large[heap_large_bucket(rec->addr)];
	h->large[heap_large_bucket(rec->addr)] = rec;
	*got = (size_t)HEAP_PAGE_SIZE << order;
	return p;
}

static int heap_large_free(struct heap *h, void *p, size_t *freed)
{
	struct heap_large **link = &h->large[heap_large_bucket((uintptr_t)p)];
	struct heap_large *rec;
	size_t bytes, dummy;

	/* Chains are short: HEAP_LARGE_BUCKETS spreads consecutive blocks. */
	while (*link != NULL && (*link)->addr != (uintptr_t)p)
		link = &(*link)->next;
	rec = *link;
	if (rec == NULL)
		return HUSK_ERR_INVAL;
	*link = rec->next;
	bytes = (size_t)HEAP_PAGE_SIZE << rec->order;
	/* Large buffers are where keys and TPM state live: wipe before the
	 * pages leave the heap. */
	heap_poison(p, bytes);
	heap_pages_put(h, p, rec->order);
	heap_small_free(h, rec, &dummy);
	*freed = bytes;
	return HUSK_OK;
}

int heap_init(struct heap *h, const struct heap_page_ops *ops)
{
	if (h == NULL || ops == NULL || ops->page_alloc == NULL || ops->page_free == NULL)
		return HUSK_ERR_INVAL;
	memset(h, 0, sizeof(*h));
	h->ops = *ops;
	/* Distinguishes heaps from one another and makes a stray page pass
	 * for a slab only by a very unlikely coincidence.  Not a secret. */
	h->cookie = (uintptr_t)h * (uintptr_t)0x9e3779b97f4a7c15ull;
	h->magic = HEAP_MAGIC;
	return HUSK_OK;
}

void *heap_alloc(struct heap *h, size_t size)
{
	void *p;
	size_t got;
	int c;

	if (h == NULL || h->magic != HEAP_MAGIC)
		return NULL;
	c = heap_class_of(size);
	if (c >= 0) {
		p = heap_small_alloc(h, (unsigned int)c);
		got = heap_class_size[c];
	} else {
		p = heap_large_alloc(h, size, &got);
	}
	if (p == NULL) {
		h->stats.failed_allocs++;
		return NULL;
	}
	h->stats.allocs++;
	h->stats.bytes_in_use += got;
	if (h->stats.bytes_in_use > h->stats.peak_bytes_in_use)
		h->stats.peak_bytes_in_use = h->stats.bytes_in_use;
	return p;
}

void *heap_calloc(struct heap *h, size_t n, size_t size)
{
	size_t total;
	void *p;

	if (__builtin_mul_overflow(n, size, &total)) {
		if (h != NULL && h->magic == HEAP_MAGIC)
			h->stats.failed_allocs++;
		return NULL;
	}
	p = heap_alloc(h, total);
	if (p != NULL)
		memset(p, 0, total);
	return p;
}

int heap_free(struct heap *h, void *p)
{
	size_t freed = 0;
	int rc;

	if (p == NULL)
		return HUSK_OK;
	if (h == NULL || h->magic != HEAP_MAGIC)
		return HUSK_ERR_INVAL;
	if (HUSK_IS_ALIGNED((uintptr_t)p, (uintptr_t)HEAP_PAGE_SIZE))
		rc = heap_large_free(h, p, &freed);
	else
		rc = heap_small_free(h, p, &freed);
	if (rc != HUSK_OK) {
		h->stats.invalid_frees++;
		heap_report(h, rc, p);
		return rc;
	}
	h->stats.frees++;
	h->stats.bytes_in_use -= freed;
	return HUSK_OK;
}

void heap_get_stats(const struct heap *h, struct heap_stats *st)
{
	if (st == NULL)
		return;
	if (h == NULL || h->magic != HEAP_MAGIC) {
		memset(st, 0, sizeof(*st));
		return;
	}
	*st = h->stats;
}

/* Checks one slab list; adds the slabs' pages to *pages.  The step bound
 * (every slab holds a page) catches a cycle. */
static int heap_check_list(const struct heap *h, const struct heap_slab *s, unsigned int c, int full, size_t *pages)
{
	const struct heap_slab *prev = NULL;

	for (; s != NULL; prev = s, s = s->next) {
		unsigned int nfree = 0;

		if (*pages >= h->stats.pages_held)
			return HUSK_ERR_FORMAT;
		(*pages)++;
		if (s->check != heap_slab_check_word(h, s) || s->owner != h || s->prev != prev ||
		    s->class_idx != c || s->obj_size != heap_class_size[c] ||
		    s->nobjs != HEAP_SLAB_ROOM / heap_class_size[c])
			return HUSK_ERR_FORMAT;
		for (unsigned int i = 0; i < HEAP_BITMAP_WORDS * 64; i++) {
			int used = (s->used[i / 64] >> (i % 64)) & 1;

			if (i >= s->nobjs) {
				if (!used)
					return HUSK_ERR_FORMAT;
				continue;
			}
			if (used)
				continue;
			nfree++;
			if (!heap_poison_intact((const char *)s + HEAP_SLAB_HDR + (size_t)i * s->obj_size,
						s->obj_size))
				return HUSK_ERR_FORMAT;
		}
		if (nfree != s->nfree || (full ? nfree != 0 : (nfree == 0 || nfree == s->nobjs)))
			return HUSK_ERR_FORMAT;
	}
	return HUSK_OK;
}

int heap_check(const struct heap *h)
{
	size_t pages = 0, large_pages = 0;

	if (h == NULL || h->magic != HEAP_MAGIC)
		return HUSK_ERR_FORMAT;
	for (unsigned int c = 0; c < HEAP_NCLASSES; c++) {
		if (heap_check_list(h, h->partial[c], c, 0, &pages) != HUSK_OK ||
		    heap_check_list(h, h->full[c], c, 1, &pages) != HUSK_OK)
			return HUSK_ERR_FORMAT;
	}
	for (unsigned int b = 0; b < HEAP_LARGE_BUCKETS; b++) {
		for (const struct heap_large *r = h->large[b]; r != NULL; r = r->next) {
			if (r->order > HEAP_MAX_ORDER || heap_large_bucket(r->addr) != b ||
			    !HUSK_IS_ALIGNED(r->addr, (uintptr_t)HEAP_PAGE_SIZE))
				return HUSK_ERR_FORMAT;
			large_pages += (size_t)1 << r->order;
			if (large_pages > h->stats.pages_held)
				return HUSK_ERR_FORMAT;
		}
	}
	if (pages + large_pages != h->stats.pages_held)
		return HUSK_ERR_FORMAT;
	return HUSK_OK;
}
