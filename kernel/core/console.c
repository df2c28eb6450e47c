/* Console and log formatting; see console.h. */
#include <string.h>

#include "arch/x86/tsc.h"
#include "core/console.h"
#include "core/spinlock.h"
#include "fmt/fmt.h"

#define LINE_MAX 512

static struct spinlock console_lock = SPINLOCK_INIT;
static console_sink_fn console_sink;
static enum log_level console_max = LOG_INFO;
static volatile int console_panicking;
static bool console_lock_abandoned;

void console_set_sink(console_sink_fn sink)
{
	console_sink = sink;
}

void console_set_level(enum log_level level)
{
	console_max = level;
}

enum log_level console_level(void)
{
	return console_max;
}

int console_parse_level(const char *name, enum log_level *out)
{
	static const char *const names[] = { "error", "warn", "info", "debug" };

	for (unsigned i = 0; i < HUSK_ARRAY_SIZE(names); i++)
		if (strcmp(name, names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	return -1;
}

void console_enter_panic(void)
{
	console_panicking = 1;
}

static void console_emit(const char *s, size_t n)
{
	int locked;

	if (!console_sink)
		return;
	if (console_panicking) {
		/* A CPU stopped while holding the lock never gives it back:
		 * after one failed try, write without it. */
		locked = !console_lock_abandoned && spin_trylock_spins(&console_lock, 1000000);
		if (!locked)
			console_lock_abandoned = true;
	} else {
		spin_lock(&console_lock);
		locked = 1;
	}
	console_sink(s, n);
	if (locked)
		spin_unlock(&console_lock);
}

struct line {
	char buf[LINE_MAX];
	size_t len;
};

static void line_out(void *ctx, const char *s, size_t n)
{
	struct line *l = ctx;
	size_t room = sizeof(l->buf) - 1 - l->len;

	if (n > room)
		n = room;
	memcpy(l->buf + l->len, s, n);
	l->len += n;
}

static void line_printf(struct line *l, const char *fmt, ...) HUSK_PRINTF(2, 3);
static void line_printf(struct line *l, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fmt_vformat(line_out, l, fmt, ap);
	va_end(ap);
}

void vklog(enum log_level level, const char *fmt, va_list ap)
{
	static const char *const tags[] = { "error: ", "warning: ", "", "" };
	struct line l;
	uint64_t ns;

	if (level > console_max)
		return;
	l.len = 0;
	ns = time_ns();
	line_printf(&l, "[%5llu.%06llu] %s", (unsigned long long)(ns / 1000000000u),
		    (unsigned long long)(ns % 1000000000u / 1000u), tags[level]);
	fmt_vformat(line_out, &l, fmt, ap);
	if (l.len == 0 || l.buf[l.len - 1] != '\n')
		l.buf[l.len < sizeof(l.buf) - 1 ? l.len++ : l.len - 1] = '\n';
	console_emit(l.buf, l.len);
}

void klog(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vklog(level, fmt, ap);
	va_end(ap);
}

void kprintf(const char *fmt, ...)
{
	struct line l;
	va_list ap;

	l.len = 0;
	va_start(ap, fmt);
	fmt_vformat(line_out, &l, fmt, ap);
	va_end(ap);
	console_emit(l.buf, l.len);
}
