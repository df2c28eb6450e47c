/* kmalloc: husk's small-object heap (lib/mm heap over mm/pages), also what
 * mbedTLS's calloc/free use.  Allocation failure returns NULL. */
#ifndef HUSK_KERNEL_MM_KHEAP_H
#define HUSK_KERNEL_MM_KHEAP_H

#include <stddef.h>
#include "mm/heap.h" /* lib/mm */

int kheap_init(void);
void *kmalloc(size_t size);
void *kcalloc(size_t n, size_t size);
void kfree(void *p);
void kheap_get_stats(struct heap_stats *st);
int kheap_check(void);

#endif
