/* Fixed addresses of husk's boot layout and virtual address space.
 * All kernel mappings live in PML4 slot 511; the low half holds only the
 * transient identity mappings the loaders need, removed once all CPUs are up. */
#ifndef HUSK_LAYOUT_H
#define HUSK_LAYOUT_H

/* Guest-physical */
#define HUSK_RESET_PAGE_GPA 0xfffff000ull /* reset-vector loader page */
#define HUSK_AP_PAGE_GPA    0x8000ull     /* AP start-up page, SIPI vector 0x08 */

/* Virtual (PML4 slot 511 = 0xffffff8000000000) */
#define HUSK_WINDOW_VA  0xffffff8000000000ull /* husk's own region after the image */
#define HUSK_WINDOW_MAX 0x40000000ull         /* 1 GiB */
#define HUSK_STACKS_VA  0xffffff8040000000ull /* per-CPU stacks with guard pages */
#define HUSK_STACK_SLOT 0x10000ull            /* 64 KiB VA per stack slot */
#define HUSK_TMPMAP_VA  0xffffff8080000000ull /* per-CPU temporary mappings */
#define HUSK_TMPMAP_PER_CPU 0x200000ull       /* one page table (512 slots) per CPU */
#define HUSK_IMAGE_VA   0xffffffff80000000ull /* kernel image, -mcmodel=kernel */

#endif
