/* lib/snp error recording (see snp_error.h). */
#include <stdarg.h>
#include <stddef.h>

#include "fmt/fmt.h"
#include "snp/snp_internal.h"

int snp_fail(struct snp_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return code;
	err->code = code;
	va_start(ap, fmt);
	fmt_vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return code;
}

void snp_ok(struct snp_error *err)
{
	if (!err)
		return;
	err->code = 0;
	err->message[0] = '\0';
}
