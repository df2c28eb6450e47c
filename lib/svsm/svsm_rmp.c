/* The software model of SNP's validated-page state; see svsm_rmp.h.
 *
 * Layout: frame[f] holds the state of 2 MiB frame f; group[f / 64], once a
 * 4 KiB page of one of those 64 frames has been validated, points at 64 x 8
 * words, one bit per 4 KiB page.  Writers hold r->lock and store with
 * __atomic stores; readers (svsm_rmp_validated, svsm_rmp_check) load with
 * __atomic loads and no lock.  A block is published with a release store
 * and never freed before svsm_rmp_destroy, so a reader never sees a freed
 * block. */
#include <stddef.h>
#include <stdint.h>

#include "husk/err.h"
#include "svsm/svsm_abi.h"
#include "svsm/svsm_internal.h"
#include "svsm/svsm_rmp.h"

#define RMP_FRAME_SHIFT   21
#define RMP_GROUP_FRAMES  64u
#define RMP_FRAME_WORDS   8u /* 512 pages / 64 bits */
#define RMP_BLOCK_WORDS   (RMP_GROUP_FRAMES * RMP_FRAME_WORDS)

int svsm_rmp_init(struct svsm_rmp *r, const struct svsm_rmp_alloc *a, uint64_t max_gpa)
{
	*r = (struct svsm_rmp){ 0 };
	if (!a || !a->calloc || !a->free)
		return HUSK_ERR_INVAL;
	if (max_gpa & (SVSM_PAGE_4K - 1))
		return HUSK_ERR_ALIGN;
	if (max_gpa == 0 || max_gpa > SVSM_RMP_MAX_GPA)
		return HUSK_ERR_RANGE;
	r->alloc = *a;
	r->max_gpa = max_gpa;
	r->frames = (max_gpa + SVSM_PAGE_2M - 1) >> RMP_FRAME_SHIFT;
	r->groups = (r->frames + RMP_GROUP_FRAMES - 1) / RMP_GROUP_FRAMES;
	r->frame = a->calloc(a->ctx, (size_t)r->frames, 1);
	if (!r->frame)
		return HUSK_ERR_NOMEM;
	r->group = a->calloc(a->ctx, (size_t)r->groups, sizeof(*r->group));
	if (!r->group) {
		a->free(a->ctx, r->frame);
		r->frame = NULL;
		return HUSK_ERR_NOMEM;
	}
	return HUSK_OK;
}

void svsm_rmp_destroy(struct svsm_rmp *r)
{
	if (r->group) {
		for (uint64_t g = 0; g < r->groups; g++) {
			if (r->group[g])
				r->alloc.free(r->alloc.ctx, r->group[g]);
		}
		r->alloc.free(r->alloc.ctx, r->group);
	}
	if (r->frame)
		r->alloc.free(r->alloc.ctx, r->frame);
	*r = (struct svsm_rmp){ 0 };
}

static uint8_t frame_state(const struct svsm_rmp *r, uint64_t f)
{
	return __atomic_load_n(&r->frame[f], __ATOMIC_RELAXED);
}

static void set_frame_state(struct svsm_rmp *r, uint64_t f, uint8_t st)
{
	__atomic_store_n(&r->frame[f], st, __ATOMIC_RELAXED);
}

/* The frame's 8 bitmap words, or NULL if its group has no block yet. */
static uint64_t *frame_bits(const struct svsm_rmp *r, uint64_t f)
{
	uint64_t *blk = __atomic_load_n(&r->group[f / RMP_GROUP_FRAMES], __ATOMIC_ACQUIRE);

	return blk ? blk + (f % RMP_GROUP_FRAMES) * RMP_FRAME_WORDS : NULL;
}

static bool bits_empty(const uint64_t *w)
{
	uint64_t any = 0;

	for (unsigned i = 0; i < RMP_FRAME_WORDS; i++)
		any |= __atomic_load_n(&w[i], __ATOMIC_RELAXED);
	return any == 0;
}

/* The change itself, under r->lock.  Returns SVSM_RMP_NOMEM (before
 * changing anything) when a 4 KiB validation needs the group's block and
 * there is none yet: the caller allocates one unlocked and comes back. */
static uint32_t rmp_apply_locked(struct svsm_rmp *r, uint64_t gpa, bool huge, bool validate,
				 bool *unchanged)
{
	uint64_t f = gpa >> RMP_FRAME_SHIFT;
	uint8_t st = frame_state(r, f);

	if (huge) {
		if (st == SVSM_RMP_FRAME_SMALL)
			return SNP_PVALIDATE_FAIL_SIZEMISMATCH;
		if ((st == SVSM_RMP_FRAME_HUGE) == validate) {
			*unchanged = true;
			return SNP_PVALIDATE_OK;
		}
		set_frame_state(r, f, validate ? SVSM_RMP_FRAME_HUGE : SVSM_RMP_FRAME_NONE);
		return SNP_PVALIDATE_OK;
	}

	if (st == SVSM_RMP_FRAME_HUGE)
		return SNP_PVALIDATE_FAIL_SIZEMISMATCH;

	unsigned page = (unsigned)(gpa >> 12) & 511u;
	uint64_t bit = 1ull << (page % 64);
	uint64_t *w = frame_bits(r, f);

	if (!w) {
		if (!validate) {
			*unchanged = true; /* no block: nothing here was ever validated */
			return SNP_PVALIDATE_OK;
		}
		return SVSM_RMP_NOMEM;
	}
	w += page / 64;
	uint64_t old = __atomic_load_n(w, __ATOMIC_RELAXED);

	if (((old & bit) != 0) == validate) {
		*unchanged = true;
		return SNP_PVALIDATE_OK;
	}
	__atomic_store_n(w, validate ? old | bit : old & ~bit, __ATOMIC_RELAXED);
	if (validate)
		set_frame_state(r, f, SVSM_RMP_FRAME_SMALL);
	else if (bits_empty(frame_bits(r, f)))
		set_frame_state(r, f, SVSM_RMP_FRAME_NONE);
	return SNP_PVALIDATE_OK;
}

uint32_t svsm_rmp_pvalidate(struct svsm_rmp *r, uint64_t gpa, bool huge, bool validate,
			    bool *unchanged)
{
	uint64_t size = huge ? SVSM_PAGE_2M : SVSM_PAGE_4K;
	uint64_t *spare = NULL;
	uint32_t rc;

	*unchanged = false;
	if ((gpa & (size - 1)) || gpa >= r->max_gpa || size > r->max_gpa - gpa)
		return SNP_PVALIDATE_FAIL_INPUT;

	svsm_spin_lock(&r->lock);
	for (;;) {
		rc = rmp_apply_locked(r, gpa, huge, validate, unchanged);
		if (rc != SVSM_RMP_NOMEM)
			break;
		uint64_t g = (gpa >> RMP_FRAME_SHIFT) / RMP_GROUP_FRAMES;

		if (spare) {
			/* Published here; the retry finds it. */
			__atomic_store_n(&r->group[g], spare, __ATOMIC_RELEASE);
			__atomic_fetch_add(&r->blocks, 1, __ATOMIC_RELAXED);
			spare = NULL;
			continue;
		}
		svsm_spin_unlock(&r->lock);
		spare = r->alloc.calloc(r->alloc.ctx, RMP_BLOCK_WORDS, sizeof(uint64_t));
		if (!spare)
			return SVSM_RMP_NOMEM;
		svsm_spin_lock(&r->lock);
		/* Another CPU may have published a block meanwhile: then the
		 * retry succeeds and ours is freed below. */
	}
	svsm_spin_unlock(&r->lock);
	if (spare)
		r->alloc.free(r->alloc.ctx, spare);
	return rc;
}

bool svsm_rmp_validated(const struct svsm_rmp *r, uint64_t gpa)
{
	if (gpa >= r->max_gpa)
		return false;
	uint64_t f = gpa >> RMP_FRAME_SHIFT;
	uint8_t st = frame_state(r, f);

	if (st == SVSM_RMP_FRAME_HUGE)
		return true;
	if (st != SVSM_RMP_FRAME_SMALL)
		return false;
	const uint64_t *w = frame_bits(r, f);
	unsigned page = (unsigned)(gpa >> 12) & 511u;

	return w && (__atomic_load_n(&w[page / 64], __ATOMIC_RELAXED) >> (page % 64) & 1u);
}

size_t svsm_rmp_footprint(const struct svsm_rmp *r)
{
	return (size_t)(r->frames + r->groups * sizeof(*r->group) +
			__atomic_load_n(&r->blocks, __ATOMIC_RELAXED) * RMP_BLOCK_WORDS *
				sizeof(uint64_t));
}

bool svsm_rmp_check(const struct svsm_rmp *r)
{
	uint64_t last_page = r->max_gpa >> 12; /* first page number not covered */
	uint64_t blocks = 0;

	for (uint64_t g = 0; g < r->groups; g++)
		blocks += __atomic_load_n(&r->group[g], __ATOMIC_ACQUIRE) != NULL;
	if (blocks != __atomic_load_n(&r->blocks, __ATOMIC_RELAXED))
		return false;
	for (uint64_t f = 0; f < r->frames; f++) {
		uint8_t st = frame_state(r, f);
		const uint64_t *w = frame_bits(r, f);
		bool empty = !w || bits_empty(w);

		if (st > SVSM_RMP_FRAME_SMALL || (st == SVSM_RMP_FRAME_SMALL) == empty)
			return false;
		if (st == SVSM_RMP_FRAME_HUGE && ((f + 1) << 9) > last_page)
			return false; /* a 2 MiB page reaching beyond max_gpa */
		for (unsigned p = 0; w && p < 512; p++) {
			if (((f << 9) + p) >= last_page &&
			    (__atomic_load_n(&w[p / 64], __ATOMIC_RELAXED) >> (p % 64) & 1u))
				return false;
		}
	}
	/* Groups beyond the last frame cannot exist; the last group's tail
	 * frames past r->frames must be untouched. */
	for (uint64_t f = r->frames; f < r->groups * RMP_GROUP_FRAMES; f++) {
		const uint64_t *w = frame_bits(r, f);

		if (w && !bits_empty(w))
			return false;
	}
	return true;
}
