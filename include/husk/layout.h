/* Fixed addresses of husk's boot layout and virtual address space.
 * All kernel mappings live in PML4 slot 511; the low half holds only the
 * transient identity mappings the loaders need, removed once all CPUs are up. */
#ifndef HUSK_LAYOUT_H
#define HUSK_LAYOUT_H

#ifdef __ASSEMBLY__
#define HUSK_U64(x) x
#else
#define HUSK_U64(x) x##ull
#endif

/* Guest-physical */
#define HUSK_RESET_PAGE_GPA HUSK_U64(0xfffff000) /* reset-vector loader page */
#define HUSK_AP_PAGE_GPA    HUSK_U64(0x8000)     /* AP start-up code, SIPI vector 0x08;
                                                   its hand-off block is the next page */

/* Virtual (PML4 slot 511 = 0xffffff8000000000) */
#define HUSK_WINDOW_VA      HUSK_U64(0xffffff8000000000) /* husk's region after the image */
#define HUSK_WINDOW_MAX     HUSK_U64(0x40000000)         /* 1 GiB */
#define HUSK_STACKS_VA      HUSK_U64(0xffffff8040000000) /* stacks, each in a slot with guards */
#define HUSK_STACK_SLOT     HUSK_U64(0x10000)            /* 64 KiB of VA per stack */
#define HUSK_STACKS_MAX     HUSK_U64(0x40000000)
#define HUSK_TMPMAP_VA      HUSK_U64(0xffffff8080000000) /* per-CPU temporary mappings */
#define HUSK_TMPMAP_PER_CPU HUSK_U64(0x200000)           /* one page table (512 slots) per CPU */
#define HUSK_MMIO_VA        HUSK_U64(0xffffff80c0000000) /* husk's own device mappings (LAPIC) */
#define HUSK_MMIO_MAX       HUSK_U64(0x200000)
#define HUSK_IMAGE_VA       HUSK_U64(0xffffffff80000000) /* kernel image, -mcmodel=kernel */

#endif
