/* Command-line lookup; see cmdline.h. */
#include <string.h>

#include "core/cmdline.h"
#include "husk/bootinfo.h"
#include "husk/err.h"

static char cmdline[HUSK_VMM_CMDLINE_MAX];

void cmdline_set(const char *s)
{
	size_t n = strnlen(s, sizeof(cmdline) - 1);

	memcpy(cmdline, s, n);
	cmdline[n] = 0;
}

const char *cmdline_raw(void)
{
	return cmdline;
}

int cmdline_lookup(const char *key, char *val, size_t len)
{
	size_t klen = strlen(key);
	const char *p = cmdline;

	while (*p) {
		const char *end;

		while (*p == ' ')
			p++;
		end = p;
		while (*end && *end != ' ')
			end++;
		if ((size_t)(end - p) > klen && strncmp(p, key, klen) == 0 && p[klen] == '=') {
			size_t vlen = (size_t)(end - p) - klen - 1;

			if (vlen >= len)
				return HUSK_ERR_RANGE;
			memcpy(val, p + klen + 1, vlen);
			val[vlen] = 0;
			return HUSK_OK;
		}
		p = end;
	}
	return HUSK_ERR_NOTFOUND;
}

bool cmdline_get(const char *key, char *val, size_t len)
{
	return cmdline_lookup(key, val, len) == HUSK_OK;
}
