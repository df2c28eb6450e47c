/* lib/snp internals shared between its source files (not installed for callers). */
#ifndef HUSK_SNP_INTERNAL_H
#define HUSK_SNP_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "husk/compiler.h"
#include "snp/snp_error.h"

/* Records code and a formatted message in err (if not NULL) and returns code,
 * so that a failing check reads `return snp_fail(err, HUSK_ERR_FORMAT, ...)`. */
int snp_fail(struct snp_error *err, int code, const char *fmt, ...) HUSK_PRINTF(3, 4);

/* Marks err as success (code 0, empty message). */
void snp_ok(struct snp_error *err);

/* Little-endian loads from byte buffers of any alignment. */
static inline uint32_t snp_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t snp_le64(const uint8_t *p)
{
	return (uint64_t)snp_le32(p) | (uint64_t)snp_le32(p + 4) << 32;
}

static inline void snp_put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static inline void snp_put_le64(uint8_t *p, uint64_t v)
{
	snp_put_le32(p, (uint32_t)v);
	snp_put_le32(p + 4, (uint32_t)(v >> 32));
}

/* True if p[0..len) is all zero. */
static inline int snp_all_zero(const uint8_t *p, size_t len)
{
	uint8_t acc = 0;

	for (size_t i = 0; i < len; i++)
		acc |= p[i];
	return acc == 0;
}

#endif
