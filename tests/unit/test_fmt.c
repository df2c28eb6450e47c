/* Unit tests for lib/fmt: fmt_snprintf is checked against the host libc's
 * snprintf over a generated table of every flag/width/precision/length
 * combination for the integer, string, character and pointer conversions,
 * then truncation, the streaming interface, the overflow errors and the
 * deliberately unsupported conversions (which differ from libc on purpose). */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

#include <cmocka.h>

#include "fmt/fmt.h"
#include "husk/compiler.h"

#define OUT_MAX 256

static const char *const flag_chars = "-0+ #";

/* Every subset of the five flags, in a fixed order (libc takes any order). */
static void make_flags(unsigned int mask, char *dst)
{
	size_t n = 0;

	for (unsigned int i = 0; i < 5; i++)
		if (mask & (1u << i))
			dst[n++] = flag_chars[i];
	dst[n] = '\0';
}

struct mismatch_log {
	unsigned long checked;
	unsigned long failed;
};

static void report(struct mismatch_log *log, const char *fmt, const char *what, int rr, const char *ref, int ro,
		   const char *out)
{
	log->failed++;
	if (log->failed <= 20)
		print_error("fmt \"%s\" (%s): libc %d \"%s\", fmt %d \"%s\"\n", fmt, what, rr, ref, ro, out);
}

/* Compares ret values and the full byte contents (a %c of NUL is legal). */
static void compare(struct mismatch_log *log, const char *fmt, const char *what, int rr, const char *ref, int ro,
		    const char *out)
{
	log->checked++;
	if (rr != ro || rr < 0 || rr >= OUT_MAX || memcmp(ref, out, (size_t)rr + 1) != 0)
		report(log, fmt, what, rr, ref, ro, out);
}

/* ---- integers ---- */

static const char *const lengths[] = { "hh", "h", "", "l", "ll", "z", "j", "t" };
static const char convs[] = { 'd', 'i', 'u', 'x', 'X', 'o' };
static const char *const widths[] = { "", "1", "6", "23" };
static const char *const precs[] = { "", ".", ".0", ".1", ".4", ".22" };

static const uint64_t values[] = {
	0,
	1,
	7,
	42,
	127,
	128,
	255,
	256,
	32767,
	32768,
	65535,
	0x7fffffffull,
	0x80000000ull,
	0xffffffffull,
	0x123456789abcdef0ull,
	0x7fffffffffffffffull,
	0x8000000000000000ull,
	0xffffffffffffffffull, /* -1 */
	0xffffffffffffffd6ull, /* -42 */
	0xffffffffffff8000ull, /* SHRT_MIN */
};

/* Calls libc and fmt with the value converted to the type the length
 * modifier names (the va_arg contract both sides rely on). */
static void run_int(struct mismatch_log *log, const char *fmt, const char *len, char conv, uint64_t v)
{
	char ref[OUT_MAX], out[OUT_MAX], what[48];
	int rr, ro;
	int sgn = conv == 'd' || conv == 'i';

	memset(ref, 0x55, sizeof(ref));
	memset(out, 0xaa, sizeof(out));
#define BOTH(T)                                                      \
	do {                                                         \
		rr = snprintf(ref, sizeof(ref), fmt, (T)v);          \
		ro = fmt_snprintf(out, sizeof(out), fmt, (T)v);      \
	} while (0)
	if (strcmp(len, "l") == 0) {
		if (sgn)
			BOTH(long);
		else
			BOTH(unsigned long);
	} else if (strcmp(len, "ll") == 0) {
		if (sgn)
			BOTH(long long);
		else
			BOTH(unsigned long long);
	} else if (strcmp(len, "z") == 0) {
		if (sgn)
			BOTH(ssize_t);
		else
			BOTH(size_t);
	} else if (strcmp(len, "j") == 0) {
		if (sgn)
			BOTH(intmax_t);
		else
			BOTH(uintmax_t);
	} else if (strcmp(len, "t") == 0) {
		if (sgn)
			BOTH(ptrdiff_t);
		else
			BOTH(size_t);
	} else {
		/* hh, h and none all take an int; hh/h narrow it themselves. */
		if (sgn)
			BOTH(int);
		else
			BOTH(unsigned int);
	}
#undef BOTH
	snprintf(what, sizeof(what), "value 0x%llx", (unsigned long long)v);
	compare(log, fmt, what, rr, ref, ro, out);
}

static void test_integer_table(void **state)
{
	struct mismatch_log log = { 0, 0 };
	char flags[8], fmt[64];

	for (unsigned int f = 0; f < 32; f++) {
		make_flags(f, flags);
		for (size_t w = 0; w < HUSK_ARRAY_SIZE(widths); w++)
			for (size_t p = 0; p < HUSK_ARRAY_SIZE(precs); p++)
				for (size_t l = 0; l < HUSK_ARRAY_SIZE(lengths); l++)
					for (size_t c = 0; c < sizeof(convs); c++) {
						snprintf(fmt, sizeof(fmt), "<%%%s%s%s%s%c>", flags, widths[w],
							 precs[p], lengths[l], convs[c]);
						for (size_t v = 0; v < HUSK_ARRAY_SIZE(values); v++)
							run_int(&log, fmt, lengths[l], convs[c], values[v]);
					}
	}
	print_message("# integer table: %lu cases\n", log.checked);
	assert_int_equal(log.failed, 0);
}

/* '*' width and precision, including negative arguments (C: negative width
 * means '-', negative precision means none). */
static void test_integer_star(void **state)
{
	static const int star_w[] = { -9, -1, 0, 1, 5, 17 };
	static const int star_p[] = { -3, -1, 0, 1, 4, 19 };
	static const char *const shapes[] = { "%%%s*%c", "%%%s.*%c", "%%%s*.*%c" };
	struct mismatch_log log = { 0, 0 };
	char flags[8], fmt[32], ref[OUT_MAX], out[OUT_MAX];

	for (unsigned int f = 0; f < 32; f++) {
		make_flags(f, flags);
		for (size_t s = 0; s < 3; s++)
			for (size_t c = 0; c < sizeof(convs); c++) {
				snprintf(fmt, sizeof(fmt), shapes[s], flags, convs[c]);
				for (size_t a = 0; a < HUSK_ARRAY_SIZE(star_w); a++)
					for (size_t v = 0; v < HUSK_ARRAY_SIZE(values); v++) {
						int x = (int)values[v], rr, ro;

						if (s == 2) {
							rr = snprintf(ref, sizeof(ref), fmt, star_w[a], star_p[a], x);
							ro = fmt_snprintf(out, sizeof(out), fmt, star_w[a], star_p[a],
									  x);
						} else {
							int arg = s == 0 ? star_w[a] : star_p[a];

							rr = snprintf(ref, sizeof(ref), fmt, arg, x);
							ro = fmt_snprintf(out, sizeof(out), fmt, arg, x);
						}
						compare(&log, fmt, "star", rr, ref, ro, out);
					}
			}
	}
	print_message("# star table: %lu cases\n", log.checked);
	assert_int_equal(log.failed, 0);
}

/* ---- strings, characters, pointers ---- */

static void test_string_char_table(void **state)
{
	static const char *const s_widths[] = { "", "1", "3", "10", "40" };
	static const char *const s_precs[] = { "", ".", ".0", ".2", ".5", ".6", ".40" };
	static const char *const strs[] = { "", "a", "hello", "a longer string of 33 characters.", NULL };
	static const int chars[] = { 'a', ' ', '%', 0x7f, 0xff, 0x141 /* narrowed to 'A' */ };
	struct mismatch_log log = { 0, 0 };
	char flags[8], fmt[32], ref[OUT_MAX], out[OUT_MAX];

	for (unsigned int f = 0; f < 32; f++) {
		make_flags(f, flags);
		for (size_t w = 0; w < HUSK_ARRAY_SIZE(s_widths); w++) {
			for (size_t p = 0; p < HUSK_ARRAY_SIZE(s_precs); p++) {
				snprintf(fmt, sizeof(fmt), "[%%%s%s%ss]", flags, s_widths[w], s_precs[p]);
				for (size_t i = 0; i < HUSK_ARRAY_SIZE(strs); i++) {
					int rr = snprintf(ref, sizeof(ref), fmt, strs[i]);
					int ro = fmt_snprintf(out, sizeof(out), fmt, strs[i]);

					compare(&log, fmt, strs[i] ? strs[i] : "NULL", rr, ref, ro, out);
				}
			}
			/* A precision on %c is undefined in C; not tested. */
			snprintf(fmt, sizeof(fmt), "[%%%s%sc]", flags, s_widths[w]);
			for (size_t i = 0; i < HUSK_ARRAY_SIZE(chars); i++) {
				int rr = snprintf(ref, sizeof(ref), fmt, chars[i]);
				int ro = fmt_snprintf(out, sizeof(out), fmt, chars[i]);

				compare(&log, fmt, "char", rr, ref, ro, out);
			}
		}
	}
	/* %c of NUL puts a NUL inside the output; compare() uses the length. */
	{
		int rr = snprintf(ref, sizeof(ref), "a%cb%-3c|", 0, 0);
		int ro = fmt_snprintf(out, sizeof(out), "a%cb%-3c|", 0, 0);

		compare(&log, "a%cb%-3c|", "NUL chars", rr, ref, ro, out);
	}
	print_message("# string/char table: %lu cases\n", log.checked);
	assert_int_equal(log.failed, 0);
}

static void test_pointer_table(void **state)
{
	static const char *const p_widths[] = { "", "4", "20" };
	static const char *const p_precs[] = { "", ".0", ".3", ".18" };
	static const uintptr_t ptrs[] = { 0, 1, 0x1234, 0x7ffde000, 0xffffffff80000000u, UINTPTR_MAX };
	struct mismatch_log log = { 0, 0 };
	char flags[8], fmt[32], ref[OUT_MAX], out[OUT_MAX];

	for (unsigned int f = 0; f < 32; f++) {
		make_flags(f, flags);
		for (size_t w = 0; w < HUSK_ARRAY_SIZE(p_widths); w++)
			for (size_t p = 0; p < HUSK_ARRAY_SIZE(p_precs); p++) {
				snprintf(fmt, sizeof(fmt), "[%%%s%s%sp]", flags, p_widths[w], p_precs[p]);
				for (size_t i = 0; i < HUSK_ARRAY_SIZE(ptrs); i++) {
					int rr = snprintf(ref, sizeof(ref), fmt, (void *)ptrs[i]);
					int ro = fmt_snprintf(out, sizeof(out), fmt, (void *)ptrs[i]);

					compare(&log, fmt, "pointer", rr, ref, ro, out);
				}
			}
	}
	print_message("# pointer table: %lu cases\n", log.checked);
	assert_int_equal(log.failed, 0);
}

static void test_mixed_formats(void **state)
{
	char ref[OUT_MAX], out[OUT_MAX];
	const char *fmt = "x=%d s=%s c=%c h=%#x o=%#o p=%p %% u=%zu ll=%lld end";
	int rr = snprintf(ref, sizeof(ref), fmt, -17, "str", 'q', 0xbeefu, 8u, (void *)0x1000, (size_t)99,
			  (long long)INT64_MIN);
	int ro = fmt_snprintf(out, sizeof(out), fmt, -17, "str", 'q', 0xbeefu, 8u, (void *)0x1000, (size_t)99,
			      (long long)INT64_MIN);

	assert_int_equal(ro, rr);
	assert_string_equal(out, ref);

	/* The empty format and a format without conversions. */
	assert_int_equal(fmt_snprintf(out, sizeof(out), "%s", ""), 0);
	assert_string_equal(out, "");
	{
		const char *plain = "no conversions here";

		assert_int_equal(fmt_snprintf(out, sizeof(out), "%s", plain), (int)strlen(plain));
		assert_string_equal(out, plain);
	}
	/* Flags on %% are ignored, as glibc does (not compared with libc:
	 * ASan's printf interceptor complains about the format). */
	{
		const char *volatile f = "[%5%][%-05%]";

		assert_int_equal(fmt_snprintf(out, sizeof(out), f), 6);
		assert_string_equal(out, "[%][%]");
	}
}

/* A precision on %s means the argument need not be NUL-terminated; ASan
 * reports any read past the 3 bytes. */
static void test_string_precision_no_overread(void **state)
{
	char *raw = test_malloc(3);
	char out[16];

	memcpy(raw, "abc", 3);
	assert_int_equal(fmt_snprintf(out, sizeof(out), "%.3s|%.2s|%.*s", raw, raw, 1, raw), 8);
	assert_string_equal(out, "abc|ab|a");
	test_free(raw);
}

/* ---- truncation and return values ---- */

static void check_truncation(const char *fmt, ...)
{
	char full[OUT_MAX], ref[OUT_MAX + 8], out[OUT_MAX + 8];
	va_list ap, aq;
	int len;

	va_start(ap, fmt);
	va_copy(aq, ap);
	len = vsnprintf(full, sizeof(full), fmt, aq);
	va_end(aq);
	assert_true(len >= 0 && len < OUT_MAX - 4);

	for (size_t size = 0; size <= (size_t)len + 3; size++) {
		int rr, ro;

		memset(ref, 0x5a, sizeof(ref));
		memset(out, 0x5a, sizeof(out));
		va_copy(aq, ap);
		rr = vsnprintf(ref, size, fmt, aq);
		va_end(aq);
		va_copy(aq, ap);
		ro = fmt_vsnprintf(out, size, fmt, aq);
		va_end(aq);
		assert_int_equal(ro, len);
		assert_int_equal(rr, len);
		/* Identical bytes, including the untouched canary after size. */
		assert_memory_equal(out, ref, sizeof(out));
		if (size > 0) {
			size_t stored = HUSK_MIN((size_t)len, size - 1);

			assert_int_equal(out[stored], '\0');
			assert_memory_equal(out, full, stored);
		}
		assert_int_equal((unsigned char)out[size], 0x5a);
	}
	/* size 0 with a NULL buffer only counts. */
	va_copy(aq, ap);
	assert_int_equal(fmt_vsnprintf(NULL, 0, fmt, aq), len);
	va_end(aq);
	va_end(ap);
}

static void test_truncation(void **state)
{
	check_truncation("%s", "hello, world");
	check_truncation("%d|%5x|%-6s|", -12345, 0xabcu, "ab");
	check_truncation("%020llu", 123456789012345ull);
	check_truncation("%c%c%c", 'x', 'y', 'z');
	check_truncation("plain text only");
	check_truncation("");
	check_truncation("%#.10o %+.3d %p", 8u, 5, (void *)0xdead);
	check_truncation("%40s", "right-aligned");
}

/* ---- streaming ---- */

struct collect {
	char buf[OUT_MAX];
	size_t len;
	unsigned int calls;
	int zero_len;
};

static void collect_out(void *ctx, const char *s, size_t n)
{
	struct collect *c = ctx;

	c->calls++;
	if (n == 0)
		c->zero_len = 1;
	assert_true(c->len + n < sizeof(c->buf));
	memcpy(c->buf + c->len, s, n);
	c->len += n;
}

static int vformat_wrap(struct collect *c, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = fmt_vformat(collect_out, c, fmt, ap);
	va_end(ap);
	return rc;
}

static void test_vformat_streaming(void **state)
{
	struct collect c;
	char ref[OUT_MAX];
	int rc, rr;

	memset(&c, 0, sizeof(c));
	rc = vformat_wrap(&c, "id=%08x name=%-70s|%d%%", 0x1234u, "husk", -5);
	rr = snprintf(ref, sizeof(ref), "id=%08x name=%-70s|%d%%", 0x1234u, "husk", -5);
	assert_int_equal(rc, rr);
	assert_int_equal(c.len, (size_t)rr);
	assert_memory_equal(c.buf, ref, c.len);
	assert_false(c.zero_len);
	assert_true(c.calls > 1);

	/* A missing format is an error, not a crash. */
	{
		const char *volatile null_fmt = NULL;

		assert_true(vformat_wrap(&c, null_fmt) < 0);
	}
}

/* ---- overflow errors ---- */

static void test_overflow_errors(void **state)
{
	char out[16];
	/* Non-literal formats: these are deliberately outside what -Wformat
	 * accepts. */
	const char *volatile wide = "a%2147483647d";
	const char *volatile too_wide = "%2147483648d";
	const char *volatile too_precise = "%.2147483648d";
	const char *volatile star = "%*d";

	memset(out, 'x', sizeof(out));
	/* One character plus INT_MAX would pass INT_MAX: an error, and quickly
	 * (nothing of the padding is produced). */
	assert_true(fmt_snprintf(out, sizeof(out), wide, 1) < 0);
	assert_string_equal(out, "a");
	assert_true(fmt_snprintf(out, sizeof(out), too_wide, 1) < 0);
	assert_true(fmt_snprintf(out, sizeof(out), too_precise, 1) < 0);
	/* INT_MIN as a '*' width is a width of 2^31. */
	assert_true(fmt_snprintf(out, sizeof(out), star, INT_MIN, 1) < 0);
	{
		const char *volatile null_fmt = NULL;

		assert_true(fmt_snprintf(out, sizeof(out), null_fmt) < 0);
	}
	assert_true(fmt_snprintf(NULL, 0, wide, 1) < 0);
}

/* ---- unsupported conversions ---- */

static void expect(const char *fmt_text, const char *want, ...)
{
	char out[OUT_MAX];
	va_list ap;
	int rc;

	va_start(ap, want);
	rc = fmt_vsnprintf(out, sizeof(out), fmt_text, ap);
	va_end(ap);
	assert_string_equal(out, want);
	assert_int_equal(rc, (int)strlen(want));
}

static void test_unsupported(void **state)
{
	int sentinel = 1234;

	/* Floating point: "%?", no argument consumed, the rest copied out. */
	expect("%f", "%?");
	expect("a%5.2e|%d", "a%?|%d", 7);
	expect("%d %g %s", "42 %? %s", 42, "unused");
	expect("%Lf tail", "%? tail");
	expect("%a%A%E%F%G", "%?%A%E%F%G");
	/* %n never writes. */
	expect("x%ny", "x%?y", &sentinel);
	assert_int_equal(sentinel, 1234);
	expect("%hhn%d", "%?%d", &sentinel, 5);
	assert_int_equal(sentinel, 1234);
	/* Wide characters and strings, %m, unknown letters, 'q', a lone '%'. */
	expect("%lc", "%?", 'a');
	expect("%ls", "%?", "x");
	expect("%m", "%?");
	expect("%k!", "%?!");
	expect("%qd", "%?");
	expect("%zp", "%?", (void *)1);
	expect("abc%", "abc%?");
	expect("%-08.3", "%?");
}

static void test_hex(void **state)
{
	static const uint8_t b[] = { 0x00, 0x0f, 0xa5, 0xff };
	char out[2 * sizeof(b) + 1];

	(void)state;
	memset(out, 'x', sizeof(out));
	fmt_hex(out, b, sizeof(b));
	assert_string_equal(out, "000fa5ff");
	fmt_hex(out, b, 0);
	assert_string_equal(out, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_integer_table),
		cmocka_unit_test(test_integer_star),
		cmocka_unit_test(test_string_char_table),
		cmocka_unit_test(test_pointer_table),
		cmocka_unit_test(test_mixed_formats),
		cmocka_unit_test(test_string_precision_no_overread),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_vformat_streaming),
		cmocka_unit_test(test_overflow_errors),
		cmocka_unit_test(test_unsupported),
		cmocka_unit_test(test_hex),
	};

	return cmocka_run_group_tests_name("fmt", tests, NULL, NULL);
}
