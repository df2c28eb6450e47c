/* x86-64 4-level page-table editor, shared by the IGVM builder (tables in a
 * host buffer at build time) and the kernel (tables in husk's region at run
 * time).  The caller supplies table allocation and table access, so this code
 * never assumes how physical memory is reached. */
#ifndef HUSK_PT_H
#define HUSK_PT_H

#include <stdbool.h>
#include <stdint.h>

#define PT_P   (1ull << 0)
#define PT_W   (1ull << 1)
#define PT_U   (1ull << 2)
#define PT_PWT (1ull << 3)
#define PT_PCD (1ull << 4)
#define PT_A   (1ull << 5)
#define PT_D   (1ull << 6)
#define PT_PS  (1ull << 7)
#define PT_G   (1ull << 8)
#define PT_NX  (1ull << 63)
#define PT_ADDR_MASK 0x000ffffffffff000ull
/* Leaf flags a caller may ask for; the rest is reserved for this library. */
#define PT_LEAF_FLAGS (PT_P | PT_W | PT_U | PT_PWT | PT_PCD | PT_A | PT_D | PT_G | PT_NX)
/* Flags of non-leaf entries: permissions are decided at the leaf. */
#define PT_TABLE_FLAGS (PT_P | PT_W | PT_A)

#define PT_ENTRIES 512u
#define PT_MAX_PA  (1ull << 52)

struct pt_ops {
	/* Allocate one zeroed table page; store its physical address. */
	int (*alloc_table)(void *ctx, uint64_t *pa);
	/* Where the table page at physical address pa can be read and written. */
	uint64_t *(*table)(void *ctx, uint64_t pa);
	void *ctx;
	/* Flags of non-leaf entries; 0 means PT_TABLE_FLAGS.  Nested page
	 * tables need PT_U as well (the CPU walks them as user accesses). */
	uint64_t table_flags;
};

struct pt {
	uint64_t root_pa;
	const struct pt_ops *ops;
};

/* Allocates a new, empty top-level table. */
int pt_init(struct pt *pt, const struct pt_ops *ops);
/* Uses an existing top-level table. */
void pt_attach(struct pt *pt, const struct pt_ops *ops, uint64_t root_pa);

bool pt_va_canonical(uint64_t va);

/* Maps one 4 KiB page.  HUSK_ERR_EXISTS if va is already mapped (use
 * pt_unmap first), HUSK_ERR_ALIGN/RANGE/INVAL for bad arguments. */
int pt_map(struct pt *pt, uint64_t va, uint64_t pa, uint64_t flags);
/* Maps npages consecutive pages; on failure unmaps what it mapped. */
int pt_map_range(struct pt *pt, uint64_t va, uint64_t pa, uint64_t npages, uint64_t flags);
/* Removes the 4 KiB mapping of va; old leaf entry in *old (may be NULL).
 * The caller flushes the TLB.  HUSK_ERR_NOTFOUND if nothing was mapped. */
int pt_unmap(struct pt *pt, uint64_t va, uint64_t *old);
/* Leaf entry for va (4 KiB mappings only) or HUSK_ERR_NOTFOUND. */
int pt_lookup(const struct pt *pt, uint64_t va, uint64_t *pte);
/* Changes the flags of an existing 4 KiB mapping. */
int pt_protect(struct pt *pt, uint64_t va, uint64_t flags);

/* Large pages.  level 1 = 2 MiB, level 2 = 1 GiB; va and pa aligned to the
 * size.  HUSK_ERR_EXISTS if anything is mapped in that slot. */
#define PT_SIZE_2M (1ull << 21)
#define PT_SIZE_1G (1ull << 30)
int pt_map_large(struct pt *pt, uint64_t va, uint64_t pa, unsigned level, uint64_t flags);
/* Splits any large page covering va into smaller ones with the same flags,
 * down to a 4 KiB leaf, so that pt_unmap/pt_protect can edit va.  Nothing
 * to do (HUSK_OK) if va is already mapped by 4 KiB pages or not at all.
 * The caller flushes the TLB. */
int pt_split(struct pt *pt, uint64_t va);
/* The leaf entry mapping va at any size, and its level (0 = 4 KiB,
 * 1 = 2 MiB, 2 = 1 GiB); HUSK_ERR_NOTFOUND if nothing maps va. */
int pt_lookup_any(const struct pt *pt, uint64_t va, uint64_t *pte, unsigned *level);

#endif
