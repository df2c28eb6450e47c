/* husk's kernel address space: the page tables the builder made, edited at
 * run time through lib/pt.  Layout in include/husk/layout.h. */
#ifndef HUSK_MM_VM_H
#define HUSK_MM_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "husk/bootinfo.h"
#include "pt/pt.h"

/* Leaf flags for husk's own data and for device registers. */
#define VM_DATA (PT_P | PT_W | PT_NX | PT_G)
#define VM_MMIO (PT_P | PT_W | PT_NX | PT_G | PT_PCD | PT_PWT)

int vm_init(const struct husk_boot_params *bp);
int vm_map(uint64_t va, uint64_t pa, uint64_t npages, uint64_t flags);
/* Unmaps and flushes this CPU's TLB for the range. */
int vm_unmap(uint64_t va, uint64_t npages);
/* A stack of npages pages in its own slot, with the rest of the slot (at
 * least one page below it) left unmapped as a guard. */
int vm_alloc_stack(unsigned npages, uint64_t *top);
int vm_map_mmio(uint64_t pa, uint64_t size, void **va);
/* Removes the low-half identity mappings the loaders needed: unmaps, flushes
 * this CPU, calls others_flushed() (which must return once every other CPU
 * has flushed its TLB), then frees the tables. */
void vm_drop_low_half(void (*others_flushed)(void));

bool vm_is_mapped(uint64_t va, size_t len);
bool vm_is_guard(uint64_t va);
/* Human-readable description of what lives at va (for fault reports). */
void vm_describe(uint64_t va, char *buf, size_t len);
struct pt *vm_kernel_pt(void);

#endif
