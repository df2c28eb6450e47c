/* Ticket spinlock.  husk runs with interrupts disabled outside the idle loop,
 * so plain (non IRQ-saving) locks suffice; lock order is documented where
 * locks nest (mm/pages.c: pages before nothing; console last). */
#ifndef HUSK_CORE_SPINLOCK_H
#define HUSK_CORE_SPINLOCK_H

#include <stdint.h>
#include "arch/x86/cpu.h"

struct spinlock {
	volatile uint32_t next;
	volatile uint32_t owner;
};

#define SPINLOCK_INIT { 0, 0 }

static inline void spin_lock(struct spinlock *l)
{
	uint32_t me = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);

	while (__atomic_load_n(&l->owner, __ATOMIC_ACQUIRE) != me)
		cpu_relax();
}

static inline void spin_unlock(struct spinlock *l)
{
	__atomic_store_n(&l->owner, l->owner + 1, __ATOMIC_RELEASE);
}

/* For the panic path: take the lock unless it is held for too long. */
static inline int spin_trylock_spins(struct spinlock *l, uint32_t spins)
{
	uint32_t cur = __atomic_load_n(&l->next, __ATOMIC_RELAXED);

	while (spins--) {
		if (__atomic_load_n(&l->owner, __ATOMIC_ACQUIRE) == cur &&
		    __atomic_compare_exchange_n(&l->next, &cur, cur + 1, 0, __ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			return 1;
		cur = __atomic_load_n(&l->next, __ATOMIC_RELAXED);
		cpu_relax();
	}
	return 0;
}

#endif
