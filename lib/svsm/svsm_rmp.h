/* A software model of SEV-SNP's validated-page state (the RMP's Validated
 * bit and page size) for platforms without an RMP: the svm platform's
 * PVALIDATE, and the model platform of the unit tests, fuzzer and benchmark.
 *
 * Semantics (those of the PVALIDATE instruction on an RMP whose entries the
 * hypervisor sized to match, as SNP guests see it):
 *   - a 2 MiB frame is validated either as one 2 MiB page or page by page
 *     in 4 KiB pages, never both;
 *   - validating or rescinding a 4 KiB page inside a frame validated as
 *     2 MiB, and validating or rescinding a 2 MiB page while 4 KiB pages of
 *     its frame are validated on their own: SNP_PVALIDATE_FAIL_SIZEMISMATCH;
 *   - a page already in the asked state: SNP_PVALIDATE_OK, *unchanged =
 *     true (the instruction's CF);
 *   - a page not aligned to its size or not below max_gpa:
 *     SNP_PVALIDATE_FAIL_INPUT;
 *   - no memory to record a 4 KiB validation: SVSM_RMP_NOMEM (=
 *     SVSM_PVALIDATE_OP_RETRY): nothing changed; lib/svsm answers the guest
 *     SVSM_ERR_BUSY and the guest calls again.  It cannot be returned for a
 *     rescind or a 2 MiB page, and never crashes anything.
 *
 * Memory: one byte per 2 MiB frame below max_gpa, one pointer per 64 frames
 * (128 MiB), and, only for the 128 MiB groups in which a 4 KiB page has
 * ever been validated, a 4 KiB block of bitmaps (one bit per 4 KiB page).
 * A 4 GiB guest validated in 2 MiB pages costs 2 KiB + 256 bytes; validated
 * entirely in 4 KiB pages ~130 KiB; max_gpa 64 GiB costs 36 KiB before any
 * 4 KiB validation and at most 2 MiB more.  A block stays until
 * svsm_rmp_destroy (bounded as above; the common 2 MiB-after-4 KiB reuse of
 * a frame needs no new memory).
 *
 * Thread safety: svsm_rmp_pvalidate may run on several CPUs at once (a
 * spinlock inside, never held across an allocator call);
 * svsm_rmp_validated and svsm_rmp_check read without the lock and see each
 * page either before or after a concurrent change. */
#ifndef HUSK_SVSM_RMP_H
#define HUSK_SVSM_RMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "svsm/svsm.h"

#define SVSM_RMP_NOMEM   SVSM_PVALIDATE_OP_RETRY
#define SVSM_RMP_MAX_GPA (1ull << 40) /* 1 TiB: 512 KiB of frame bytes */

struct svsm_rmp_alloc {
	void *(*calloc)(void *ctx, size_t n, size_t size); /* zeroed, or NULL */
	void (*free)(void *ctx, void *p);
	void *ctx;
};

struct svsm_rmp {
	struct svsm_rmp_alloc alloc;
	uint64_t max_gpa;
	uint64_t frames;  /* 2 MiB frames covering [0, max_gpa) */
	uint64_t groups;  /* 64-frame groups */
	uint8_t *frame;   /* per frame: SVSM_RMP_FRAME_* */
	uint64_t **group; /* per group: NULL or 64 frames x 8 words of bitmap */
	uint64_t blocks;  /* bitmap blocks allocated */
	uint32_t lock;
};

#define SVSM_RMP_FRAME_NONE  0u /* no page of the frame is validated */
#define SVSM_RMP_FRAME_HUGE  1u /* validated as one 2 MiB page */
#define SVSM_RMP_FRAME_SMALL 2u /* some 4 KiB pages validated (bitmap) */

/* max_gpa: 4 KiB aligned, 0 < max_gpa <= SVSM_RMP_MAX_GPA (HUSK_ERR_ALIGN,
 * HUSK_ERR_RANGE); HUSK_ERR_NOMEM.  Nothing is validated at first. */
int svsm_rmp_init(struct svsm_rmp *r, const struct svsm_rmp_alloc *a, uint64_t max_gpa);
void svsm_rmp_destroy(struct svsm_rmp *r);

/* PVALIDATE of the 4 KiB (huge = false) or 2 MiB page at gpa.  Returns
 * SNP_PVALIDATE_OK, SNP_PVALIDATE_FAIL_INPUT, SNP_PVALIDATE_FAIL_SIZEMISMATCH
 * or SVSM_RMP_NOMEM; *unchanged is true only with SNP_PVALIDATE_OK when the
 * page was already in the asked state. */
uint32_t svsm_rmp_pvalidate(struct svsm_rmp *r, uint64_t gpa, bool huge, bool validate,
			    bool *unchanged);

/* Whether the 4 KiB page holding gpa is validated (false at or beyond
 * max_gpa). */
bool svsm_rmp_validated(const struct svsm_rmp *r, uint64_t gpa);

/* Bytes the model holds (its arrays and bitmap blocks). */
size_t svsm_rmp_footprint(const struct svsm_rmp *r);

/* Internal consistency, for tests and the fuzzer: every frame byte is one
 * of the three states, SMALL exactly when its bitmap is non-empty, and no
 * bit of a frame outside [0, max_gpa) is set. */
bool svsm_rmp_check(const struct svsm_rmp *r);

#endif
