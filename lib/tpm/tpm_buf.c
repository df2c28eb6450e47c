/* Bounds-checked TPM wire readers and writers; see tpm_buf.h. */
#include <string.h>

#include "tpm/tpm_buf.h"
#include "tpm/tpm_defs.h"

tpm_rc tpm_r_bytes(struct tpm_r *r, uint8_t *out, size_t n)
{
	if (n > tpm_r_left(r))
		return TPM_RC_INSUFFICIENT;
	if (n)
		memcpy(out, r->p + r->pos, n);
	r->pos += n;
	return TPM_RC_SUCCESS;
}

tpm_rc tpm_r_view(struct tpm_r *r, const uint8_t **out, size_t n)
{
	if (n > tpm_r_left(r))
		return TPM_RC_INSUFFICIENT;
	*out = r->p + r->pos;
	r->pos += n;
	return TPM_RC_SUCCESS;
}

tpm_rc tpm_r_u8(struct tpm_r *r, uint8_t *v)
{
	return tpm_r_bytes(r, v, 1);
}

tpm_rc tpm_r_u16(struct tpm_r *r, uint16_t *v)
{
	uint8_t b[2];
	tpm_rc rc = tpm_r_bytes(r, b, 2);

	if (!rc)
		*v = tpm_be16(b);
	return rc;
}

tpm_rc tpm_r_u32(struct tpm_r *r, uint32_t *v)
{
	uint8_t b[4];
	tpm_rc rc = tpm_r_bytes(r, b, 4);

	if (!rc)
		*v = tpm_be32(b);
	return rc;
}

tpm_rc tpm_r_u64(struct tpm_r *r, uint64_t *v)
{
	uint8_t b[8];
	tpm_rc rc = tpm_r_bytes(r, b, 8);

	if (!rc)
		*v = ((uint64_t)tpm_be32(b) << 32) | tpm_be32(b + 4);
	return rc;
}

tpm_rc tpm_r_2b(struct tpm_r *r, uint8_t *out, uint16_t *size, size_t max)
{
	size_t start = r->pos;
	uint16_t n;
	tpm_rc rc = tpm_r_u16(r, &n);

	if (rc)
		return rc;
	if (n > max) {
		r->pos = start;
		return TPM_RC_SIZE;
	}
	rc = tpm_r_bytes(r, out, n);
	if (rc) {
		r->pos = start;
		return rc;
	}
	*size = n;
	return TPM_RC_SUCCESS;
}

void tpm_w_bytes(struct tpm_w *w, const void *p, size_t n)
{
	if (w->overflow || n > w->cap - w->pos) {
		w->overflow = true;
		return;
	}
	if (n)
		memcpy(w->p + w->pos, p, n);
	w->pos += n;
}

void tpm_w_u8(struct tpm_w *w, uint8_t v)
{
	tpm_w_bytes(w, &v, 1);
}

void tpm_w_u16(struct tpm_w *w, uint16_t v)
{
	uint8_t b[2];

	tpm_put_be16(b, v);
	tpm_w_bytes(w, b, 2);
}

void tpm_w_u32(struct tpm_w *w, uint32_t v)
{
	uint8_t b[4];

	tpm_put_be32(b, v);
	tpm_w_bytes(w, b, 4);
}

void tpm_w_u64(struct tpm_w *w, uint64_t v)
{
	tpm_w_u32(w, (uint32_t)(v >> 32));
	tpm_w_u32(w, (uint32_t)v);
}

void tpm_w_2b(struct tpm_w *w, const void *p, uint16_t size)
{
	tpm_w_u16(w, size);
	tpm_w_bytes(w, p, size);
}

size_t tpm_w_reserve(struct tpm_w *w, size_t n)
{
	static const uint8_t zero[8];
	size_t at = w->pos;

	tpm_w_bytes(w, zero, n);
	return at;
}

void tpm_w_patch_u16(struct tpm_w *w, size_t at, uint16_t v)
{
	if (!w->overflow && at + 2 <= w->pos)
		tpm_put_be16(w->p + at, v);
}

void tpm_w_patch_u32(struct tpm_w *w, size_t at, uint32_t v)
{
	if (!w->overflow && at + 4 <= w->pos)
		tpm_put_be32(w->p + at, v);
}
