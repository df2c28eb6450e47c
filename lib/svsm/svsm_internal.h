/* lib/svsm's internals, shared by its files and by nobody else: the spinlock
 * (also the RMP model's), little-endian accessors, the registry helpers and
 * the handlers svsm_call dispatches to.
 *
 * Lock rules: s->lock covers s->vcpus[] and nothing else; it is a leaf (no
 * other lock is taken under it) and no platform op is called with it held,
 * because an op may block (vcpu_stop waits for another CPU, which may itself
 * be waiting for this lock in svsm_call). */
#ifndef HUSK_SVSM_INTERNAL_H
#define HUSK_SVSM_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "svsm/svsm.h"

/* ---- spinlock (test-and-test-and-set; works freestanding and hosted) ---- */

static inline void svsm_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

static inline void svsm_spin_lock(uint32_t *l)
{
	while (__atomic_exchange_n(l, 1u, __ATOMIC_ACQUIRE) != 0) {
		while (__atomic_load_n(l, __ATOMIC_RELAXED) != 0)
			svsm_cpu_relax();
	}
}

static inline void svsm_spin_unlock(uint32_t *l)
{
	__atomic_store_n(l, 0u, __ATOMIC_RELEASE);
}

/* ---- little-endian fields of guest structures (copied into husk) ---- */

static inline uint16_t svsm_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (uint16_t)p[1] << 8);
}

static inline uint32_t svsm_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t svsm_le64(const uint8_t *p)
{
	return (uint64_t)svsm_le32(p) | (uint64_t)svsm_le32(p + 4) << 32;
}

static inline void svsm_put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void svsm_put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

#define SVSM_PAGE_4K 0x1000ull
#define SVSM_PAGE_2M 0x200000ull

/* [gpa, gpa + len) is guest RAM husk may be handed: len > 0, gpa + len
 * does not overflow (so later sums with it cannot either), and the
 * platform's guest_ram says yes. */
bool svsm_guest_ram(const struct svsm *s, uint64_t gpa, uint64_t len);

/* ---- registry (svsm_call.c); the caller holds s->lock ---- */

struct svsm_vcpu *svsm_vcpu_find_locked(struct svsm *s, uint32_t apic_id);
/* True if [gpa, gpa + len) (no wrap) overlaps the calling area or the VMSA
 * page of any vCPU that is not ABSENT (STARTING and STOPPING included) or,
 * with pvalidating, a page a PVALIDATE is working on. */
bool svsm_page_in_use_locked(const struct svsm *s, uint64_t gpa, uint64_t len, bool pvalidating);
/* Slot bookkeeping with stores a lock-free reader (svsm_vcpu) sees whole. */
void svsm_vcpu_set_state(struct svsm_vcpu *v, uint32_t state);
void svsm_vcpu_set_ca(struct svsm_vcpu *v, uint64_t ca_gpa);

/* ---- handlers: return the result code for RAX; self is the caller's slot ---- */

uint32_t svsm_core_remap_ca(struct svsm *s, struct svsm_vcpu *self, const struct svsm_regs *r);
uint32_t svsm_core_pvalidate(struct svsm *s, struct svsm_vcpu *self, const struct svsm_regs *r);
uint32_t svsm_core_create_vcpu(struct svsm *s, const struct svsm_regs *r);
/* *stop_self: the caller deleted its own VMSA (result unused). */
uint32_t svsm_core_delete_vcpu(struct svsm *s, struct svsm_vcpu *self, const struct svsm_regs *r,
			       bool *stop_self);
uint32_t svsm_core_query_protocol(const struct svsm *s, struct svsm_regs *r);
uint32_t svsm_core_configure_vtom(struct svsm_regs *r);
uint32_t svsm_attest(struct svsm *s, struct svsm_regs *r, bool single);
uint32_t svsm_vtpm_query(struct svsm_regs *r);
uint32_t svsm_vtpm_cmd(struct svsm *s, const struct svsm_regs *r);

#endif
