/* Per-CPU temporary mappings: the only way husk reaches a physical page
 * outside its own region (guest memory, boot pages).  Each CPU owns 512
 * slots in its own page table; a mapping is used and torn down on the CPU
 * that made it, so unmapping needs only a local TLB flush.  Pages inside
 * husk's region are refused: a guest-supplied address can never alias husk's
 * own data through this path. */
#ifndef HUSK_MM_TMPMAP_H
#define HUSK_MM_TMPMAP_H

#include <stddef.h>
#include <stdint.h>

#define TMPMAP_SLOTS 512u
#define TMPMAP_MAX_PAGES 16u

/* Creates this CPU's page table for its slots (before the CPU runs). */
int tmpmap_cpu_init(unsigned cpu);
/* Maps npages pages starting at page-aligned pa, read-write, no-execute.
 * HUSK_ERR_RANGE if any page is inside husk's region, HUSK_ERR_BUSY if the
 * CPU has no free run of slots. */
int tmpmap_map(uint64_t pa, size_t npages, void **va);
int tmpmap_unmap(void *va, size_t npages);
/* Slots currently in use on this CPU (tests). */
unsigned tmpmap_in_use(void);

#endif
