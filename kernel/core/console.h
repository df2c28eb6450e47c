/* Console and logging: levels, monotonic timestamps, whole lines written
 * atomically across CPUs.  The output device is set by the platform. */
#ifndef HUSK_CORE_CONSOLE_H
#define HUSK_CORE_CONSOLE_H

#include <stdarg.h>
#include <stddef.h>
#include "husk/compiler.h"

enum log_level {
	LOG_ERR = 0,
	LOG_WARN = 1,
	LOG_INFO = 2,
	LOG_DEBUG = 3,
};

typedef void (*console_sink_fn)(const char *s, size_t n);

void console_set_sink(console_sink_fn sink);
void console_set_level(enum log_level level);
enum log_level console_level(void);
int console_parse_level(const char *name, enum log_level *out);

/* A timestamped, level-tagged log line ("\n" appended if missing). */
void klog(enum log_level level, const char *fmt, ...) HUSK_PRINTF(2, 3);
void vklog(enum log_level level, const char *fmt, va_list ap);
/* Raw output without prefix (KTAP, banners), still line-atomic per call. */
void kprintf(const char *fmt, ...) HUSK_PRINTF(1, 2);
/* From here on the console lock is only tried, never waited for: used by
 * panic so that a CPU dying while holding the lock cannot silence another. */
void console_enter_panic(void);

#define pr_err(...)   klog(LOG_ERR, __VA_ARGS__)
#define pr_warn(...)  klog(LOG_WARN, __VA_ARGS__)
#define pr_info(...)  klog(LOG_INFO, __VA_ARGS__)
#define pr_debug(...) klog(LOG_DEBUG, __VA_ARGS__)

#endif
