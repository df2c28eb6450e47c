/* Bounds-checked big-endian readers and writers for TPM wire data.
 *
 * A reader never reads outside [p, p+len); every failed read returns
 * TPM_RC_INSUFFICIENT and leaves the reader unchanged.  A writer never writes
 * outside its buffer; an overflow sets w->overflow, after which all writes are
 * ignored and tpm_w_ok() is false (commands check once at the end). */
#ifndef HUSK_TPM_BUF_H
#define HUSK_TPM_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint32_t tpm_rc;

struct tpm_r {
	const uint8_t *p;
	size_t len;
	size_t pos;
};

struct tpm_w {
	uint8_t *p;
	size_t cap;
	size_t pos;
	bool overflow;
};

static inline void tpm_r_init(struct tpm_r *r, const uint8_t *p, size_t len)
{
	r->p = p;
	r->len = len;
	r->pos = 0;
}

static inline size_t tpm_r_left(const struct tpm_r *r)
{
	return r->len - r->pos;
}

static inline void tpm_w_init(struct tpm_w *w, uint8_t *p, size_t cap)
{
	w->p = p;
	w->cap = cap;
	w->pos = 0;
	w->overflow = false;
}

static inline bool tpm_w_ok(const struct tpm_w *w)
{
	return !w->overflow;
}

tpm_rc tpm_r_u8(struct tpm_r *r, uint8_t *v);
tpm_rc tpm_r_u16(struct tpm_r *r, uint16_t *v);
tpm_rc tpm_r_u32(struct tpm_r *r, uint32_t *v);
tpm_rc tpm_r_u64(struct tpm_r *r, uint64_t *v);
tpm_rc tpm_r_bytes(struct tpm_r *r, uint8_t *out, size_t n);
/* Pointer to the next n bytes (consumed), without copying. */
tpm_rc tpm_r_view(struct tpm_r *r, const uint8_t **out, size_t n);
/* TPM2B: u16 size then size bytes; TPM_RC_SIZE if size > max. */
tpm_rc tpm_r_2b(struct tpm_r *r, uint8_t *out, uint16_t *size, size_t max);

void tpm_w_u8(struct tpm_w *w, uint8_t v);
void tpm_w_u16(struct tpm_w *w, uint16_t v);
void tpm_w_u32(struct tpm_w *w, uint32_t v);
void tpm_w_u64(struct tpm_w *w, uint64_t v);
void tpm_w_bytes(struct tpm_w *w, const void *p, size_t n);
void tpm_w_2b(struct tpm_w *w, const void *p, uint16_t size);
/* Reserves a u16/u32 to be filled in later (sizes of nested structures). */
size_t tpm_w_reserve(struct tpm_w *w, size_t n);
void tpm_w_patch_u16(struct tpm_w *w, size_t at, uint16_t v);
void tpm_w_patch_u32(struct tpm_w *w, size_t at, uint32_t v);

static inline uint16_t tpm_be16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static inline uint32_t tpm_be32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static inline void tpm_put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void tpm_put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

#endif
