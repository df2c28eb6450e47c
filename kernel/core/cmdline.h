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

#endif
