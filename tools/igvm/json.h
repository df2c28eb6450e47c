/* Minimal JSON writer for husk-igvm's --json output: nesting and commas are
 * tracked here, strings are escaped, numbers are written as JSON numbers
 * (u64 values that JSON readers may round are also given as hex strings by
 * the callers). */
#ifndef HUSK_TOOLS_IGVM_JSON_H
#define HUSK_TOOLS_IGVM_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 16

struct json {
	FILE *f;
	int depth;
	bool first[JSON_MAX_DEPTH];
};

void json_init(struct json *j, FILE *f);
/* key is NULL inside arrays and at the top level. */
void json_object(struct json *j, const char *key);
void json_array(struct json *j, const char *key);
void json_end(struct json *j, char close); /* '}' or ']' */
void json_str(struct json *j, const char *key, const char *s);
void json_u64(struct json *j, const char *key, uint64_t v);
void json_hex(struct json *j, const char *key, uint64_t v); /* "0x..." string */
void json_bool(struct json *j, const char *key, bool v);
void json_bytes(struct json *j, const char *key, const uint8_t *b, size_t n); /* hex string */
/* Ends the document with a newline. */
void json_finish(struct json *j);

#endif
