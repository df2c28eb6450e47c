/* Small helpers shared by husk-igvm's commands: files, numbers, hex. */
#ifndef HUSK_TOOLS_IGVM_UTIL_H
#define HUSK_TOOLS_IGVM_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "igvm/igvm_reader.h"

/* Whole file into a malloc'd buffer; prints "path: reason" on failure. */
int util_read_file(const char *path, uint8_t **data, size_t *size);
/* Writes path atomically (temporary file, then rename); prints on failure. */
int util_write_file(const char *path, const void *data, size_t size);
/* Reads and validates an IGVM file; prints "path: message" on failure. */
int util_open_igvm(const char *path, uint8_t **data, size_t *size, struct igvm_reader *r);

/* Decimal or 0x-hex, whole string. */
int util_parse_u64(const char *s, uint64_t *out);
/* Exactly len bytes as 2*len hex digits (an optional 0x prefix). */
int util_parse_hex(const char *s, uint8_t *out, size_t len);
/* Lower-case hex of n bytes into out (2n+1 bytes); returns out. */
char *util_hex(char *out, const uint8_t *b, size_t n);

#endif
