/* Buddy page allocator (see buddy.h for the contract).
 *
 * Per-page metadata records, for the first page of each block, whether the
 * block is free or allocated and its order; every other page of a block is
 * marked "inside".  Because only block heads carry a state, a free can be
 * checked exactly (the address must be an allocated head of that order) and
 * a buddy can be merged only if its head says "free, same order".  Free
 * blocks sit on doubly linked lists, one per order, threaded through the
 * metadata by page index, so the managed memory itself is never touched and
 * any block can be unlinked in O(1) when its buddy is freed. */
#include <stddef.h>
#include <stdint.h>

#include "husk/compiler.h"
#include "husk/err.h"
#include "mm/buddy.h"

#define BUDDY_MAGIC 0x59444442u /* "BDDY" */
#define BUDDY_NIL   UINT32_MAX

/* Page numbers of byte addresses below 2^64. */
#define BUDDY_PFN_LIMIT (1ull << (64 - BUDDY_PAGE_SHIFT))

enum buddy_state {
	BUDDY_S_INSIDE = 0,   /* not the first page of a block */
	BUDDY_S_RESERVED = 1, /* never given to buddy_add_free */
	BUDDY_S_FREE = 2,     /* first page of a free block */
	BUDDY_S_ALLOC = 3,    /* first page of an allocated block */
};

struct buddy_page {
	uint32_t next; /* free list links, valid while state == FREE */
	uint32_t prev;
	uint8_t state; /* enum buddy_state */
	uint8_t order; /* valid for FREE and ALLOC */
	uint16_t unused;
};
HUSK_STATIC_ASSERT(sizeof(struct buddy_page) == BUDDY_META_PER_PAGE, "BUDDY_META_PER_PAGE");
HUSK_STATIC_ASSERT(_Alignof(struct buddy_page) <= BUDDY_META_ALIGN, "BUDDY_META_ALIGN");
HUSK_STATIC_ASSERT(BUDDY_MAX_PAGES < BUDDY_NIL, "page indexes leave room for BUDDY_NIL");
HUSK_STATIC_ASSERT(BUDDY_MAX_ORDER < 32, "orders fit a 32-bit page index");

static int buddy_ready(const struct buddy *b)
{
	return b != NULL && b->magic == BUDDY_MAGIC;
}

static void buddy_list_push(struct buddy *b, unsigned int order, uint32_t idx)
{
	struct buddy_page *p = &b->meta[idx];
	uint32_t head = b->free_head[order];

	p->state = BUDDY_S_FREE;
	p->order = (uint8_t)order;
	p->prev = BUDDY_NIL;
	p->next = head;
	if (head != BUDDY_NIL)
		b->meta[head].prev = idx;
	b->free_head[order] = idx;
	b->free_count[order]++;
}

static void buddy_list_remove(struct buddy *b, unsigned int order, uint32_t idx)
{
	struct buddy_page *p = &b->meta[idx];

	if (p->prev != BUDDY_NIL)
		b->meta[p->prev].next = p->next;
	else
		b->free_head[order] = p->next;
	if (p->next != BUDDY_NIL)
		b->meta[p->next].prev = p->prev;
	p->next = p->prev = BUDDY_NIL;
	p->state = BUDDY_S_INSIDE;
	b->free_count[order]--;
}

/* Puts the block of 2^order pages at idx (whose pages are all INSIDE) on the
 * free lists, merging it with its buddy as long as that is free and whole.
 * At most BUDDY_MAX_ORDER iterations. */
static void buddy_insert_free(struct buddy *b, uint32_t idx, unsigned int order)
{
	while (order < BUDDY_MAX_ORDER) {
		/* Buddies pair on absolute page numbers, which keeps blocks
		 * naturally aligned whatever the span's base. */
		uint64_t pfn = b->base_pfn + idx;
		uint64_t bpfn = pfn ^ (1ull << order);
		uint32_t bidx;

		if (bpfn < b->base_pfn || bpfn - b->base_pfn >= b->npages)
			break;
		bidx = (uint32_t)(bpfn - b->base_pfn);
		if (b->meta[bidx].state != BUDDY_S_FREE || b->meta[bidx].order != order)
			break;
		buddy_list_remove(b, order, bidx);
		if (bidx < idx)
			idx = bidx;
		order++;
	}
	buddy_list_push(b, order, idx);
}

size_t buddy_meta_size(uint64_t npages)
{
	if (npages == 0 || npages > BUDDY_MAX_PAGES)
		return 0;
	return (size_t)npages * sizeof(struct buddy_page);
}

int buddy_init(struct buddy *b, uint64_t base, uint64_t npages, void *meta, size_t meta_size)
{
	size_t need;

	if (b == NULL || meta == NULL)
		return HUSK_ERR_INVAL;
	need = buddy_meta_size(npages);
	if (need == 0 || meta_size < need)
		return HUSK_ERR_INVAL;
	if (!HUSK_IS_ALIGNED(base, BUDDY_PAGE_SIZE) || !HUSK_IS_ALIGNED((uintptr_t)meta, BUDDY_META_ALIGN))
		return HUSK_ERR_ALIGN;
	if (npages > BUDDY_PFN_LIMIT - (base >> BUDDY_PAGE_SHIFT))
		return HUSK_ERR_RANGE;

	b->magic = 0;
	b->base_pfn = base >> BUDDY_PAGE_SHIFT;
	b->npages = npages;
	b->meta = meta;
	for (unsigned int k = 0; k <= BUDDY_MAX_ORDER; k++) {
		b->free_head[k] = BUDDY_NIL;
		b->free_count[k] = 0;
	}
	b->free_pages = 0;
	b->managed_pages = 0;
	for (uint64_t i = 0; i < npages; i++) {
		struct buddy_page *p = &b->meta[i];

		p->next = p->prev = BUDDY_NIL;
		p->state = BUDDY_S_RESERVED;
		p->order = 0;
		p->unused = 0;
	}
	b->magic = BUDDY_MAGIC;
	return HUSK_OK;
}

/* Converts a byte address to a page index in the span, or fails. */
static int buddy_index(const struct buddy *b, uint64_t addr, uint32_t *idx)
{
	uint64_t pfn = addr >> BUDDY_PAGE_SHIFT;

	if (!HUSK_IS_ALIGNED(addr, BUDDY_PAGE_SIZE))
		return HUSK_ERR_ALIGN;
	if (pfn < b->base_pfn || pfn - b->base_pfn >= b->npages)
		return HUSK_ERR_RANGE;
	*idx = (uint32_t)(pfn - b->base_pfn);
	return HUSK_OK;
}

int buddy_add_free(struct buddy *b, uint64_t addr, uint64_t npages)
{
	uint32_t start, i;
	uint64_t end;
	int rc;

	if (!buddy_ready(b) || npages == 0)
		return HUSK_ERR_INVAL;
	rc = buddy_index(b, addr, &start);
	if (rc != HUSK_OK)
		return rc;
	if (npages > b->npages - start)
		return HUSK_ERR_RANGE;
	end = start + npages;

	/* Check everything before changing anything. */
	for (i = start; i < end; i++)
		if (b->meta[i].state != BUDDY_S_RESERVED)
			return HUSK_ERR_OVERLAP;

	for (i = start; i < end; i++)
		b->meta[i].state = BUDDY_S_INSIDE;
	/* Carve the range into the largest naturally aligned blocks that fit;
	 * insertion merges them with each other and with earlier ranges. */
	i = start;
	while (i < end) {
		uint64_t pfn = b->base_pfn + i;
		unsigned int k = BUDDY_MAX_ORDER;

		while (k > 0 && (!HUSK_IS_ALIGNED(pfn, 1ull << k) || (1ull << k) > end - i))
			k--;
		buddy_insert_free(b, i, k);
		i += 1u << k;
	}
	b->free_pages += npages;
	b->managed_pages += npages;
	return HUSK_OK;
}

int buddy_alloc(struct buddy *b, unsigned int order, uint64_t *addr)
{
	unsigned int k;
	uint32_t idx;

	if (!buddy_ready(b) || addr == NULL || order > BUDDY_MAX_ORDER)
		return HUSK_ERR_INVAL;
	for (k = order; k <= BUDDY_MAX_ORDER; k++)
		if (b->free_head[k] != BUDDY_NIL)
			break;
	if (k > BUDDY_MAX_ORDER)
		return HUSK_ERR_NOMEM;

	idx = b->free_head[k];
	buddy_list_remove(b, k, idx);
	/* Split down, keeping the lower half and freeing each upper half. */
	while (k > order) {
		k--;
		buddy_list_push(b, k, idx + (1u << k));
	}
	b->meta[idx].state = BUDDY_S_ALLOC;
	b->meta[idx].order = (uint8_t)order;
	b->free_pages -= 1ull << order;
	*addr = (b->base_pfn + idx) << BUDDY_PAGE_SHIFT;
	return HUSK_OK;
}

int buddy_free(struct buddy *b, uint64_t addr, unsigned int order)
{
	struct buddy_page *p;
	uint32_t idx;
	int rc;

	if (!buddy_ready(b) || order > BUDDY_MAX_ORDER)
		return HUSK_ERR_INVAL;
	rc = buddy_index(b, addr, &idx);
	if (rc != HUSK_OK)
		return rc;
	p = &b->meta[idx];
	if (p->state != BUDDY_S_ALLOC)
		return HUSK_ERR_NOTFOUND;
	if (p->order != order)
		return HUSK_ERR_INVAL;

	p->state = BUDDY_S_INSIDE;
	b->free_pages += 1ull << order;
	buddy_insert_free(b, idx, order);
	return HUSK_OK;
}

void buddy_get_stats(const struct buddy *b, struct buddy_stats *st)
{
	if (st == NULL)
		return;
	*st = (struct buddy_stats){ .largest_free_order = -1 };
	if (!buddy_ready(b))
		return;
	st->total_pages = b->npages;
	st->managed_pages = b->managed_pages;
	st->free_pages = b->free_pages;
	for (unsigned int k = 0; k <= BUDDY_MAX_ORDER; k++) {
		st->free_blocks[k] = b->free_count[k];
		if (b->free_count[k] != 0)
			st->largest_free_order = (int)k;
	}
}

int buddy_check(const struct buddy *b)
{
	uint64_t heads[BUDDY_MAX_ORDER + 1] = { 0 };
	uint64_t free_pages = 0, reserved = 0, i = 0;

	if (!buddy_ready(b))
		return HUSK_ERR_FORMAT;

	/* The metadata must partition the span into reserved pages and whole,
	 * aligned blocks whose non-first pages are all INSIDE. */
	while (i < b->npages) {
		const struct buddy_page *p = &b->meta[i];
		uint64_t size;

		if (p->state == BUDDY_S_RESERVED) {
			reserved++;
			i++;
			continue;
		}
		if (p->state != BUDDY_S_FREE && p->state != BUDDY_S_ALLOC)
			return HUSK_ERR_FORMAT; /* INSIDE with no block around it */
		if (p->order > BUDDY_MAX_ORDER)
			return HUSK_ERR_FORMAT;
		size = 1ull << p->order;
		if (!HUSK_IS_ALIGNED(b->base_pfn + i, size) || size > b->npages - i)
			return HUSK_ERR_FORMAT;
		for (uint64_t j = i + 1; j < i + size; j++)
			if (b->meta[j].state != BUDDY_S_INSIDE)
				return HUSK_ERR_FORMAT;
		if (p->state == BUDDY_S_FREE) {
			uint64_t bpfn = (b->base_pfn + i) ^ size;

			heads[p->order]++;
			free_pages += size;
			/* Fully merged: a free block's buddy is never free whole. */
			if (p->order < BUDDY_MAX_ORDER && bpfn >= b->base_pfn && bpfn - b->base_pfn < b->npages) {
				const struct buddy_page *q = &b->meta[bpfn - b->base_pfn];

				if (q->state == BUDDY_S_FREE && q->order == p->order)
					return HUSK_ERR_FORMAT;
			}
		}
		i += size;
	}
	if (free_pages != b->free_pages || b->npages - reserved != b->managed_pages)
		return HUSK_ERR_FORMAT;

	/* Each list holds exactly the free heads of its order, well linked.
	 * The step bound catches a cycle. */
	for (unsigned int k = 0; k <= BUDDY_MAX_ORDER; k++) {
		uint32_t idx = b->free_head[k], prev = BUDDY_NIL;
		uint64_t n = 0;

		while (idx != BUDDY_NIL) {
			const struct buddy_page *p;

			if (idx >= b->npages || n > heads[k])
				return HUSK_ERR_FORMAT;
			p = &b->meta[idx];
			if (p->state != BUDDY_S_FREE || p->order != k || p->prev != prev)
				return HUSK_ERR_FORMAT;
			n++;
			prev = idx;
			idx = p->next;
		}
		if (n != heads[k] || n != b->free_count[k])
			return HUSK_ERR_FORMAT;
	}
	return HUSK_OK;
}
