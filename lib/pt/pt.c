/* x86-64 4-level page-table editor; see pt.h. */
#include <stddef.h>
#include <string.h>

#include "husk/err.h"
#include "pt/pt.h"

static unsigned pt_index(uint64_t va, unsigned level)
{
	/* level 3 = PML4, 0 = PT */
	return (unsigned)((va >> (12 + 9 * level)) & 0x1ff);
}

bool pt_va_canonical(uint64_t va)
{
	uint64_t top = va >> 47;

	return top == 0 || top == 0x1ffff;
}

static int pt_check_leaf_args(uint64_t va, uint64_t pa, uint64_t flags)
{
	if (!pt_va_canonical(va))
		return HUSK_ERR_RANGE;
	if ((va & 0xfff) || (pa & 0xfff))
		return HUSK_ERR_ALIGN;
	if (pa >= PT_MAX_PA)
		return HUSK_ERR_RANGE;
	if ((flags & ~PT_LEAF_FLAGS) || !(flags & PT_P))
		return HUSK_ERR_INVAL;
	return HUSK_OK;
}

static uint64_t table_flags(const struct pt *pt)
{
	return pt->ops->table_flags ? pt->ops->table_flags : PT_TABLE_FLAGS;
}

/* Walks to the table at level `to` (0 = PT) covering va; creates missing
 * tables if asked. */
static int pt_walk_to(const struct pt *pt, uint64_t va, unsigned to, bool create,
		      uint64_t **out)
{
	uint64_t pa = pt->root_pa;

	for (unsigned level = 3; level > to; level--) {
		uint64_t *table = pt->ops->table(pt->ops->ctx, pa);
		uint64_t *e;

		if (!table)
			return HUSK_ERR_RANGE;
		e = &table[pt_index(va, level)];
		if (!(*e & PT_P)) {
			uint64_t npa;
			int err;

			if (!create)
				return HUSK_ERR_NOTFOUND;
			err = pt->ops->alloc_table(pt->ops->ctx, &npa);
			if (err)
				return err;
			if ((npa & 0xfff) || npa >= PT_MAX_PA)
				return HUSK_ERR_ALIGN;
			*e = npa | table_flags(pt);
		} else if (*e & PT_PS) {
			/* A large page: pt_split it first to edit inside it. */
			return HUSK_ERR_EXISTS;
		}
		pa = *e & PT_ADDR_MASK;
	}
	*out = pt->ops->table(pt->ops->ctx, pa);
	return *out ? HUSK_OK : HUSK_ERR_RANGE;
}

static int pt_walk(const struct pt *pt, uint64_t va, bool create, uint64_t **leaf_table)
{
	return pt_walk_to(pt, va, 0, create, leaf_table);
}

int pt_init(struct pt *pt, const struct pt_ops *ops)
{
	uint64_t pa;
	int err;

	pt->ops = ops;
	err = ops->alloc_table(ops->ctx, &pa);
	if (err)
		return err;
	if (pa & 0xfff)
		return HUSK_ERR_ALIGN;
	pt->root_pa = pa;
	return HUSK_OK;
}

void pt_attach(struct pt *pt, const struct pt_ops *ops, uint64_t root_pa)
{
	pt->ops = ops;
	pt->root_pa = root_pa;
}

int pt_map(struct pt *pt, uint64_t va, uint64_t pa, uint64_t flags)
{
	uint64_t *table;
	int err = pt_check_leaf_args(va, pa, flags);

	if (err)
		return err;
	err = pt_walk(pt, va, true, &table);
	if (err)
		return err;
	if (table[pt_index(va, 0)] & PT_P)
		return HUSK_ERR_EXISTS;
	table[pt_index(va, 0)] = pa | flags;
	return HUSK_OK;
}

int pt_map_range(struct pt *pt, uint64_t va, uint64_t pa, uint64_t npages, uint64_t flags)
{
	if (npages > (PT_MAX_PA >> 12) || va + npages * 4096 < va)
		return HUSK_ERR_RANGE;
	for (uint64_t i = 0; i < npages; i++) {
		int err = pt_map(pt, va + i * 4096, pa + i * 4096, flags);

		if (err) {
			while (i--)
				pt_unmap(pt, va + i * 4096, NULL);
			return err;
		}
	}
	return HUSK_OK;
}

int pt_unmap(struct pt *pt, uint64_t va, uint64_t *old)
{
	uint64_t *table;
	int err;

	if (!pt_va_canonical(va))
		return HUSK_ERR_RANGE;
	if (va & 0xfff)
		return HUSK_ERR_ALIGN;
	err = pt_walk(pt, va, false, &table);
	if (err)
		return err;
	if (!(table[pt_index(va, 0)] & PT_P))
		return HUSK_ERR_NOTFOUND;
	if (old)
		*old = table[pt_index(va, 0)];
	table[pt_index(va, 0)] = 0;
	return HUSK_OK;
}

int pt_lookup(const struct pt *pt, uint64_t va, uint64_t *pte)
{
	uint64_t *table;
	int err;

	if (!pt_va_canonical(va))
		return HUSK_ERR_RANGE;
	err = pt_walk(pt, va & ~0xfffull, false, &table);
	if (err)
		return err;
	if (!(table[pt_index(va, 0)] & PT_P))
		return HUSK_ERR_NOTFOUND;
	*pte = table[pt_index(va, 0)];
	return HUSK_OK;
}

int pt_protect(struct pt *pt, uint64_t va, uint64_t flags)
{
	uint64_t *table;
	int err = pt_check_leaf_args(va, 0, flags);

	if (err)
		return err;
	err = pt_walk(pt, va, false, &table);
	if (err)
		return err;
	if (!(table[pt_index(va, 0)] & PT_P))
		return HUSK_ERR_NOTFOUND;
	table[pt_index(va, 0)] = (table[pt_index(va, 0)] & PT_ADDR_MASK) | flags;
	return HUSK_OK;
}

static uint64_t level_size(unsigned level)
{
	return 1ull << (12 + 9 * level);
}

int pt_map_large(struct pt *pt, uint64_t va, uint64_t pa, unsigned level, uint64_t flags)
{
	uint64_t *table, size;
	int err;

	if (level < 1 || level > 2)
		return HUSK_ERR_INVAL;
	size = level_size(level);
	err = pt_check_leaf_args(va, pa, flags);
	if (err)
		return err;
	if ((va | pa) & (size - 1))
		return HUSK_ERR_ALIGN;
	err = pt_walk_to(pt, va, level, true, &table);
	if (err)
		return err;
	if (table[pt_index(va, level)] & PT_P)
		return HUSK_ERR_EXISTS;
	table[pt_index(va, level)] = pa | flags | PT_PS;
	return HUSK_OK;
}

int pt_split(struct pt *pt, uint64_t va)
{
	uint64_t pa = pt->root_pa;

	if (!pt_va_canonical(va))
		return HUSK_ERR_RANGE;
	for (unsigned level = 3; level > 0; level--) {
		uint64_t *table = pt->ops->table(pt->ops->ctx, pa);
		uint64_t *e, *child, npa, base, flags;
		int err;

		if (!table)
			return HUSK_ERR_RANGE;
		e = &table[pt_index(va, level)];
		if (!(*e & PT_P))
			return HUSK_OK;
		if (*e & PT_PS) {
			/* Replace the large leaf by a table of the next size down
			 * that maps the same range with the same flags. */
			err = pt->ops->alloc_table(pt->ops->ctx, &npa);
			if (err)
				return err;
			if ((npa & 0xfff) || npa >= PT_MAX_PA)
				return HUSK_ERR_ALIGN;
			child = pt->ops->table(pt->ops->ctx, npa);
			if (!child)
				return HUSK_ERR_RANGE;
			base = *e & PT_ADDR_MASK & ~(level_size(level) - 1);
			flags = *e & PT_LEAF_FLAGS;
			for (unsigned i = 0; i < PT_ENTRIES; i++)
				child[i] = (base + i * level_size(level - 1)) | flags |
					   (level - 1 ? PT_PS : 0);
			*e = npa | table_flags(pt);
		}
		pa = *e & PT_ADDR_MASK;
	}
	return HUSK_OK;
}

int pt_lookup_any(const struct pt *pt, uint64_t va, uint64_t *pte, unsigned *level_out)
{
	uint64_t pa = pt->root_pa;

	if (!pt_va_canonical(va))
		return HUSK_ERR_RANGE;
	for (unsigned level = 3;; level--) {
		uint64_t *table = pt->ops->table(pt->ops->ctx, pa);
		uint64_t e;

		if (!table)
			return HUSK_ERR_RANGE;
		e = table[pt_index(va, level)];
		if (!(e & PT_P))
			return HUSK_ERR_NOTFOUND;
		if (level == 0 || ((e & PT_PS) && level < 3)) {
			*pte = e;
			*level_out = level;
			return HUSK_OK;
		}
		pa = e & PT_ADDR_MASK;
	}
}
