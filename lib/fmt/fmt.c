/* fmt: printf-style formatting for husk (see fmt.h for what is supported).
 *
 * One engine, fmt_vformat, walks the format and hands output to a sink
 * callback in chunks (literal runs straight from the format, padding from
 * constant tables, digits from a small stack buffer), so it needs no buffer
 * of its own and no allocation.  fmt_vsnprintf is a sink that copies into the
 * caller's buffer and counts what does not fit. */
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fmt/fmt.h"
#include "husk/compiler.h"

/* %zd takes "the signed type corresponding to size_t", which C does not
 * name; on every ABI husk builds for it is ptrdiff_t. */
HUSK_STATIC_ASSERT(sizeof(ptrdiff_t) == sizeof(size_t), "ptrdiff_t stands in for ssize_t");

enum {
	FMT_F_LEFT = 1u << 0,  /* '-' */
	FMT_F_ZERO = 1u << 1,  /* '0' */
	FMT_F_PLUS = 1u << 2,  /* '+' */
	FMT_F_SPACE = 1u << 3, /* ' ' */
	FMT_F_ALT = 1u << 4,   /* '#' */
};

enum fmt_len {
	FMT_LEN_NONE,
	FMT_LEN_HH,
	FMT_LEN_H,
	FMT_LEN_L,
	FMT_LEN_LL,
	FMT_LEN_Z,
	FMT_LEN_J,
	FMT_LEN_T,
	FMT_LEN_BAD, /* 'L' or 'q': recognised so they are skipped, not supported */
};

struct fmt_spec {
	uint32_t flags;
	size_t width; /* 0 when absent */
	int prec;     /* -1 when absent */
	enum fmt_len len;
	char conv;
};

struct fmt_sink {
	void (*out)(void *ctx, const char *s, size_t n);
	void *ctx;
	size_t count; /* characters produced so far, never above INT_MAX */
	int overflow; /* set once the output would pass INT_MAX */
};

/* Checks the INT_MAX limit before emitting.  Fields reserve their whole
 * length up front, so a huge width fails fast instead of streaming two
 * gigabytes of padding first. */
static int fmt_reserve(struct fmt_sink *k, size_t n)
{
	if (k->overflow)
		return 0;
	if (n > (size_t)INT_MAX - k->count) {
		k->overflow = 1;
		return 0;
	}
	return 1;
}

static void fmt_put(struct fmt_sink *k, const char *s, size_t n)
{
	if (n == 0 || !fmt_reserve(k, n))
		return;
	k->out(k->ctx, s, n);
	k->count += n;
}

static void fmt_pad(struct fmt_sink *k, char c, size_t n)
{
	static const char spaces[32] = "                                ";
	static const char zeros[32] = "00000000000000000000000000000000";
	const char *src = c == '0' ? zeros : spaces;

	if (n == 0 || !fmt_reserve(k, n))
		return;
	while (n > 0) {
		size_t chunk = HUSK_MIN(n, sizeof(spaces));

		k->out(k->ctx, src, chunk);
		k->count += chunk;
		n -= chunk;
	}
}

/* Emits text (a string, a character, "(nil)") padded to the field width;
 * '0' pads with spaces here, as glibc does for non-numeric conversions. */
static void fmt_text(struct fmt_sink *k, const struct fmt_spec *sp, const char *s, size_t n)
{
	size_t pad = sp->width > n ? sp->width - n : 0;

	if (!fmt_reserve(k, n + pad))
		return;
	if (!(sp->flags & FMT_F_LEFT))
		fmt_pad(k, ' ', pad);
	fmt_put(k, s, n);
	if (sp->flags & FMT_F_LEFT)
		fmt_pad(k, ' ', pad);
}

/* Emits an integer given as magnitude and sign.  The layout is
 * [spaces] [sign or 0x] [zeros] digits [spaces], where the zeros come from
 * the precision, from '#' on octal, or from '0' filling the width. */
static void fmt_integer(struct fmt_sink *k, const struct fmt_spec *sp, uintmax_t mag, int negative)
{
	char digits[sizeof(uintmax_t) * 8 / 3 + 2]; /* octal is the longest */
	char prefix[3];
	size_t nd = 0, np = 0, zeros, body, pad;
	unsigned int base = 10;
	const char *set = "0123456789abcdef";
	int is_signed = sp->conv == 'd' || sp->conv == 'i' || sp->conv == 'p';

	if (sp->conv == 'x' || sp->conv == 'p') {
		base = 16;
	} else if (sp->conv == 'X') {
		base = 16;
		set = "0123456789ABCDEF";
	} else if (sp->conv == 'o') {
		base = 8;
	}

	/* C: zero converted with precision 0 gives no digits at all. */
	if (mag != 0 || sp->prec != 0) {
		char *p = digits + sizeof(digits);

		do {
			*--p = set[mag % base];
			mag /= base;
			nd++;
		} while (mag != 0);
	}
	const char *first = digits + sizeof(digits) - nd;

	if (is_signed) {
		if (negative)
			prefix[np++] = '-';
		else if (sp->flags & FMT_F_PLUS)
			prefix[np++] = '+';
		else if (sp->flags & FMT_F_SPACE)
			prefix[np++] = ' ';
	}
	/* C: '#' adds "0x" only to a non-zero value (%p never gets here with 0). */
	if (base == 16 && (sp->flags & FMT_F_ALT) && (nd > 1 || (nd == 1 && first[0] != '0'))) {
		prefix[np++] = '0';
		prefix[np++] = sp->conv == 'X' ? 'X' : 'x';
	}

	zeros = sp->prec > 0 && (size_t)sp->prec > nd ? (size_t)sp->prec - nd : 0;
	/* '#' on octal raises the precision just enough for a leading 0. */
	if (base == 8 && (sp->flags & FMT_F_ALT) && zeros == 0 && (nd == 0 || first[0] != '0'))
		zeros = 1;

	body = np + zeros + nd;
	pad = sp->width > body ? sp->width - body : 0;
	/* All or nothing: a field that would pass INT_MAX emits nothing. */
	if (!fmt_reserve(k, body + pad))
		return;
	if (sp->flags & FMT_F_LEFT) {
		fmt_put(k, prefix, np);
		fmt_pad(k, '0', zeros);
		fmt_put(k, first, nd);
		fmt_pad(k, ' ', pad);
	} else if ((sp->flags & FMT_F_ZERO) && sp->prec < 0) {
		fmt_put(k, prefix, np);
		fmt_pad(k, '0', pad + zeros);
		fmt_put(k, first, nd);
	} else {
		fmt_pad(k, ' ', pad);
		fmt_put(k, prefix, np);
		fmt_pad(k, '0', zeros);
		fmt_put(k, first, nd);
	}
}

/* Takes a signed argument of the given length and splits it into magnitude
 * and sign (without overflowing on the most negative value). */
static void fmt_signed_arg(va_list *ap, enum fmt_len len, uintmax_t *mag, int *neg)
{
	intmax_t v;

	switch (len) {
	case FMT_LEN_HH:
		v = (signed char)va_arg(*ap, int);
		break;
	case FMT_LEN_H:
		v = (short)va_arg(*ap, int);
		break;
	case FMT_LEN_L:
		v = va_arg(*ap, long);
		break;
	case FMT_LEN_LL:
		v = va_arg(*ap, long long);
		break;
	case FMT_LEN_Z:
	case FMT_LEN_T:
		v = va_arg(*ap, ptrdiff_t);
		break;
	case FMT_LEN_J:
		v = va_arg(*ap, intmax_t);
		break;
	default:
		v = va_arg(*ap, int);
		break;
	}
	*neg = v < 0;
	*mag = v < 0 ? (uintmax_t)0 - (uintmax_t)v : (uintmax_t)v;
}

static uintmax_t fmt_unsigned_arg(va_list *ap, enum fmt_len len)
{
	switch (len) {
	case FMT_LEN_HH:
		return (unsigned char)va_arg(*ap, unsigned int);
	case FMT_LEN_H:
		return (unsigned short)va_arg(*ap, unsigned int);
	case FMT_LEN_L:
		return va_arg(*ap, unsigned long);
	case FMT_LEN_LL:
		return va_arg(*ap, unsigned long long);
	case FMT_LEN_Z:
		return va_arg(*ap, size_t);
	case FMT_LEN_T:
		/* The unsigned type of ptrdiff_t's width, i.e. size_t's. */
		return (size_t)va_arg(*ap, ptrdiff_t);
	case FMT_LEN_J:
		return va_arg(*ap, uintmax_t);
	default:
		return va_arg(*ap, unsigned int);
	}
}

/* Reads a decimal field; returns 0 if it does not fit in an int. */
static int fmt_parse_num(const char **pp, int *out)
{
	const char *p = *pp;
	int v = 0;

	while (*p >= '0' && *p <= '9') {
		int d = *p - '0';

		if (v > (INT_MAX - d) / 10)
			return 0;
		v = v * 10 + d;
		p++;
	}
	*pp = p;
	*out = v;
	return 1;
}

/* Parses one conversion specification after the '%' and moves *pp past it.
 * Returns 1 if it is supported, 0 if not, -1 if a width or precision is out
 * of range. */
static int fmt_parse_spec(const char **pp, va_list *ap, struct fmt_spec *sp)
{
	const char *p = *pp;
	int n;

	sp->flags = 0;
	sp->width = 0;
	sp->prec = -1;
	sp->len = FMT_LEN_NONE;
	sp->conv = 0;

	for (;; p++) {
		if (*p == '-')
			sp->flags |= FMT_F_LEFT;
		else if (*p == '0')
			sp->flags |= FMT_F_ZERO;
		else if (*p == '+')
			sp->flags |= FMT_F_PLUS;
		else if (*p == ' ')
			sp->flags |= FMT_F_SPACE;
		else if (*p == '#')
			sp->flags |= FMT_F_ALT;
		else
			break;
	}

	if (*p == '*') {
		n = va_arg(*ap, int);
		p++;
		if (n < 0) {
			/* C: a negative width argument is a '-' flag and a width. */
			sp->flags |= FMT_F_LEFT;
			sp->width = (size_t)0 - (size_t)(intmax_t)n;
		} else {
			sp->width = (size_t)n;
		}
	} else {
		if (!fmt_parse_num(&p, &n))
			return -1;
		sp->width = (size_t)n;
	}
	if (sp->width > INT_MAX)
		return -1;

	if (*p == '.') {
		p++;
		if (*p == '*') {
			n = va_arg(*ap, int);
			p++;
			/* C: a negative precision argument is as if none were given. */
			sp->prec = n < 0 ? -1 : n;
		} else {
			if (!fmt_parse_num(&p, &n))
				return -1;
			sp->prec = n;
		}
	}

	switch (*p) {
	case 'h':
		p++;
		sp->len = FMT_LEN_H;
		if (*p == 'h') {
			p++;
			sp->len = FMT_LEN_HH;
		}
		break;
	case 'l':
		p++;
		sp->len = FMT_LEN_L;
		if (*p == 'l') {
			p++;
			sp->len = FMT_LEN_LL;
		}
		break;
	case 'z':
		p++;
		sp->len = FMT_LEN_Z;
		break;
	case 'j':
		p++;
		sp->len = FMT_LEN_J;
		break;
	case 't':
		p++;
		sp->len = FMT_LEN_T;
		break;
	case 'L':
	case 'q':
		p++;
		sp->len = FMT_LEN_BAD;
		break;
	default:
		break;
	}

	sp->conv = *p;
	*pp = *p != '\0' ? p + 1 : p;
	switch (sp->conv) {
	case 'd': case 'i': case 'u': case 'x': case 'X': case 'o':
		return sp->len != FMT_LEN_BAD;
	case 'c': /* %lc takes a wint_t and would need a multibyte conversion */
	case 's': /* %ls likewise */
	case 'p':
	case '%':
		return sp->len == FMT_LEN_NONE;
	default:
		return 0;
	}
}

static void fmt_convert(struct fmt_sink *k, const struct fmt_spec *sp, va_list *ap)
{
	uintmax_t mag;
	int neg;

	switch (sp->conv) {
	case 'd':
	case 'i':
		fmt_signed_arg(ap, sp->len, &mag, &neg);
		fmt_integer(k, sp, mag, neg);
		break;
	case 'u':
	case 'x':
	case 'X':
	case 'o':
		fmt_integer(k, sp, fmt_unsigned_arg(ap, sp->len), 0);
		break;
	case 'c': {
		char c = (char)(unsigned char)va_arg(*ap, int);

		fmt_text(k, sp, &c, 1);
		break;
	}
	case 's': {
		const char *s = va_arg(*ap, const char *);
		size_t n;

		if (s == NULL) {
			/* A precision too short for the whole marker prints nothing
			 * rather than a fragment that could pass for data (glibc). */
			s = sp->prec >= 0 && sp->prec < 6 ? "" : "(null)";
			n = strlen(s);
		} else {
			/* With a precision the string need not be terminated, so
			 * never look past prec bytes. */
			n = sp->prec >= 0 ? strnlen(s, (size_t)sp->prec) : strlen(s);
		}
		fmt_text(k, sp, s, n);
		break;
	}
	case 'p': {
		const void *p = va_arg(*ap, const void *);

		if (p == NULL) {
			fmt_text(k, sp, "(nil)", 5);
		} else {
			struct fmt_spec px = *sp;

			px.flags |= FMT_F_ALT;
			fmt_integer(k, &px, (uintptr_t)p, 0);
		}
		break;
	}
	default: /* '%': flags and width are ignored, as glibc does */
		fmt_put(k, "%", 1);
		break;
	}
}

int fmt_vformat(void (*out)(void *ctx, const char *s, size_t n), void *ctx, const char *fmt, va_list ap)
{
	struct fmt_sink k = { .out = out, .ctx = ctx, .count = 0, .overflow = 0 };
	const char *p = fmt;
	va_list aq;

	if (out == NULL || fmt == NULL)
		return -1;

	/* On x86-64 va_list is an array type, so a va_list parameter cannot be
	 * passed on by address; a local copy can. */
	va_copy(aq, ap);
	while (*p != '\0' && !k.overflow) {
		const char *lit = p;
		struct fmt_spec sp;
		int rc;

		while (*p != '\0' && *p != '%')
			p++;
		fmt_put(&k, lit, (size_t)(p - lit));
		if (*p == '\0')
			break;

		p++;
		rc = fmt_parse_spec(&p, &aq, &sp);
		if (rc < 0) {
			k.overflow = 1;
			break;
		}
		if (rc == 0) {
			/* From here on the arguments may not line up with the
			 * format, so stop converting (see fmt.h). */
			fmt_put(&k, "%?", 2);
			fmt_put(&k, p, strlen(p));
			break;
		}
		fmt_convert(&k, &sp, &aq);
	}
	va_end(aq);
	return k.overflow ? -1 : (int)k.count;
}

struct fmt_buf {
	char *buf;
	size_t size; /* > 0 */
	size_t pos;  /* characters stored, always < size */
};

static void fmt_buf_out(void *ctx, const char *s, size_t n)
{
	struct fmt_buf *b = ctx;
	size_t room = b->size - 1 - b->pos;

	if (n > room)
		n = room;
	memcpy(b->buf + b->pos, s, n);
	b->pos += n;
}

static void fmt_discard(void *ctx, const char *s, size_t n)
{
}

int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct fmt_buf b = { .buf = buf, .size = size, .pos = 0 };
	int rc;

	if (size == 0 || buf == NULL)
		return fmt_vformat(fmt_discard, NULL, fmt, ap);
	rc = fmt_vformat(fmt_buf_out, &b, fmt, ap);
	buf[b.pos] = '\0';
	return rc;
}

int fmt_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = fmt_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return rc;
}

void fmt_hex(char *out, const uint8_t *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = 0;
}
