/* libFuzzer target: the PEM/DER P-384 key parser of `husk-igvm sign`
 * (tools/igvm/pem.c) on arbitrary text.  Nothing may crash or read out of
 * bounds; a refused input must come with a terminated reason, and an
 * accepted one must leave a consistent key. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../tools/igvm/pem.h"
#include "husk/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pem_ec_key key;
	char why[160];
	int rc;

	memset(why, 'x', sizeof(why));
	rc = pem_parse_ec_key((const char *)data, size, &key, why, sizeof(why));
	if (rc) {
		if (!memchr(why, 0, sizeof(why)))
			__builtin_trap();
		for (size_t i = 0; i < sizeof(key.d); i++)
			if (key.d[i])
				__builtin_trap();
	} else if (key.have_public && key.q[0] != 0x04) {
		__builtin_trap();
	}
	return 0;
}
