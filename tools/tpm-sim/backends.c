/* The table of TPM engines compiled into husk-tpm-sim. */
#include <string.h>

#include "backend.h"

static const struct sim_backend *const backends[] = {
	&sim_backend_husk,
	&sim_backend_libtpms,
	&sim_backend_relay,
};

const struct sim_backend *sim_backend_find(const char *name)
{
	for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++) {
		if (strcmp(backends[i]->name, name) == 0)
			return backends[i];
	}
	return NULL;
}
