/* Address-to-symbol lookup over the sorted table scripts/gensyms.py emits. */
#include <stddef.h>

#include "core/symbols.h"

extern const uint64_t ksyms_count;
extern const struct ksym ksyms_table[];
extern const char ksyms_names[];

uint64_t ksym_count(void)
{
	return ksyms_count;
}

const char *ksym_lookup(uint64_t addr, uint64_t *offset)
{
	uint64_t lo = 0, hi = ksyms_count;

	/* Last symbol whose start is <= addr. */
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;

		if (ksyms_table[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	const struct ksym *s = &ksyms_table[lo - 1];

	if (addr - s->addr >= (s->size ? s->size : 1))
		return NULL;
	*offset = addr - s->addr;
	return ksyms_names + s->name;
}
