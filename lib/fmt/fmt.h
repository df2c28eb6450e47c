/* fmt: husk's printf-style formatter, used by the kernel console and, as its
 * snprintf, by mbedTLS.  Portable: built for the kernel (freestanding, no
 * SSE), for host tools and for tests.
 *
 * Supported: %d %i %u %x %X %o %c %s %p %% with the flags '-' '0' '+' ' ' '#',
 * field width and precision (either may be '*'), and the length modifiers
 * hh h l ll z j t.  Behaviour follows C99 and matches glibc where C leaves
 * room: %p prints like %#lx (flags included) and NULL as "(nil)"; %s of NULL
 * prints "(null)", or nothing when a precision below 6 would cut it short.
 *
 * Not supported, by design: floating point (%f %F %e %E %g %G %a %A).  The
 * kernel is built with -mgeneral-regs-only, where a double cannot be taken
 * from a va_list at all, so the formatter never tries.  Also unsupported:
 * %n (a write through an argument pointer is a gift to an attacker), %lc/%ls,
 * the 'L' and 'q' modifiers and any unknown conversion.  Such a conversion
 * prints "%?" and consumes no argument; because the argument list can no
 * longer be trusted to line up with the format, the rest of the format is then
 * copied out literally, with no further conversions.
 *
 * Return values follow C99: the number of characters the complete output
 * has (not counting the NUL), whatever the buffer size; a negative value if
 * the format is NULL, a width or precision in the format exceeds INT_MAX, or
 * the output would exceed INT_MAX characters (C's EOVERFLOW case).
 *
 * The functions keep no state and are safe to call concurrently and from
 * interrupt or panic context (they allocate nothing and take no locks). */
#ifndef HUSK_FMT_H
#define HUSK_FMT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* Formats into buf[0..size).  When size > 0 the result is always
 * NUL-terminated, truncated if needed; when size == 0, buf may be NULL and
 * nothing is written.  Returns the untruncated length. */
int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
int fmt_snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Streaming variant: hands the output to out(ctx, chunk, len) piece by piece
 * (chunks are not NUL-terminated, len is never 0) and returns the number of
 * characters produced.  On the error return some output may already have
 * been delivered. */
int fmt_vformat(void (*out)(void *ctx, const char *s, size_t n), void *ctx,
		const char *fmt, va_list ap) __attribute__((format(printf, 3, 0)));

/* Lower-case hex of p[0..n) into out, which holds 2n + 1 bytes
 * (NUL-terminated). */
void fmt_hex(char *out, const uint8_t *p, size_t n);

#endif
