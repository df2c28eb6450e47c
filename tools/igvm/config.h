/* Target descriptions (configs/NAME.conf): "key = value" lines, "#" comments. */
#ifndef HUSK_TOOLS_IGVM_CONFIG_H
#define HUSK_TOOLS_IGVM_CONFIG_H

#include <stdint.h>

struct target_config {
	char name[64];
	uint32_t platform;    /* enum husk_platform */
	uint64_t region_base;
	uint64_t region_size;
};

/* Reads and validates a target description; on error prints
 * "file:line: message" to stderr and returns non-zero. */
int config_load(const char *path, struct target_config *out);

#endif
