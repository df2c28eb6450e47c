/* husk's command line (from the VMM, via the IGVM COMMAND_LINE parameter):
 * space-separated key=value options, already validated as printable. */
#ifndef HUSK_CORE_CMDLINE_H
#define HUSK_CORE_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>

void cmdline_set(const char *s);
const char *cmdline_raw(void);
/* Copies the value of key into val (NUL-terminated); false if absent or too long. */
bool cmdline_get(const char *key, char *val, size_t len);
/* The same, telling the cases apart: HUSK_OK, HUSK_ERR_NOTFOUND (absent) or
 * HUSK_ERR_RANGE (longer than len - 1: a value that must not silently
 * become the default). */
int cmdline_lookup(const char *key, char *val, size_t len);

#endif
