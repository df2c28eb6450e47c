/* Strict JSON reading for the KBS client, over jsmn (Debian's libjsmn-dev,
 * copied into the build tree by lib/kbs/module.mk; strict mode).
 *
 * jsmn tokenizes but does not check the grammar between tokens (it takes
 * `[1 2]`, `{"a":1,}`, `{} {}` and stops at a NUL byte), nor the contents of
 * strings and primitives; and in strict mode it cannot end a document with
 * a bare number or literal (`9`), which kbs_json_parse handles itself.
 * kbs_json_parse therefore walks the tokens once and checks that every
 * byte of the text is accounted for: exactly one value; whitespace, ':'
 * and ',' exactly where RFC 8259 puts them; keys are strings; literals and
 * numbers follow the grammar; strings hold no control characters, only
 * valid escapes (no \u0000, surrogates paired) and valid UTF-8; nesting at
 * most KBS_JSON_MAX_DEPTH, at most KBS_JSON_MAX_TOKENS tokens.  Objects are
 * checked for duplicate keys (compared after unescaping) by
 * kbs_json_object, which readers call on every object they read.
 *
 * Tokens are addressed by index; the document's root is index 0.  Messages
 * say "kbs: <what>: ..." with the name the caller gave the document. */
#ifndef HUSK_KBS_JSON_H
#define HUSK_KBS_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Only kbs_json.c compiles jsmn's parser (it defines JSMN_STATIC first);
 * everyone else sees its types. */
#ifndef JSMN_STATIC
#define JSMN_HEADER
#endif
#include "jsmn.h"

#include "kbs/kbs.h"

enum kbs_json_type {
	KBS_JSON_OBJECT,
	KBS_JSON_ARRAY,
	KBS_JSON_STRING,
	KBS_JSON_NUMBER,
	KBS_JSON_TRUE,
	KBS_JSON_FALSE,
	KBS_JSON_NULL,
};

struct kbs_json {
	const char *text;
	size_t len;
	const char *what; /* names the document in messages */
	int ntok;
	jsmntok_t tok[KBS_JSON_MAX_TOKENS];
};

/* Tokenizes and validates text[0..len) (not NUL-terminated; a NUL byte
 * anywhere is an error).  text must stay valid while doc is used.
 * Errors: HUSK_ERR_FORMAT (KBS_E_JSON), HUSK_ERR_RANGE (KBS_E_JSON_LIMIT). */
int kbs_json_parse(struct kbs_json *doc, const char *what, const char *text, size_t len,
		   struct kbs_error *err);

enum kbs_json_type kbs_json_type(const struct kbs_json *doc, int idx);

/* Index of the token after idx's whole subtree (its next sibling, or ntok). */
int kbs_json_next(const struct kbs_json *doc, int idx);

/* Checks that idx is an object without duplicate keys; name says which
 * object for the message ("challenge", "tee-pubkey").  KBS_E_SCHEMA. */
int kbs_json_object(const struct kbs_json *doc, int idx, const char *name, struct kbs_error *err);

/* Value index of member `name` of object obj, or -1 if absent.  The key is
 * compared after unescaping. */
int kbs_json_find(const struct kbs_json *doc, int obj, const char *name);

/* As kbs_json_find, but a missing member is an error (KBS_E_SCHEMA). */
int kbs_json_member(const struct kbs_json *doc, int obj, const char *name, int *val,
		    struct kbs_error *err);

/* Unescapes string token idx into out as UTF-8 with a NUL (\u0000 never
 * gets past kbs_json_parse, so the result is a C string).  name is for the
 * message.  KBS_E_SCHEMA if idx is not a string or needs more than
 * out_max - 1 bytes. */
int kbs_json_string(const struct kbs_json *doc, int idx, const char *name, char *out,
		    size_t out_max, size_t *out_len, struct kbs_error *err);

/* The raw characters of string token idx, for base64 members: they are
 * used verbatim (a JWE's protected member is the GCM AAD as received), so
 * a string with any escape is refused.  KBS_E_SCHEMA. */
int kbs_json_span(const struct kbs_json *doc, int idx, const char *name, const char **p,
		  size_t *n, struct kbs_error *err);

/* member() + span() / member() + string() in one call. */
int kbs_json_member_span(const struct kbs_json *doc, int obj, const char *name, const char **p,
			 size_t *n, struct kbs_error *err);
int kbs_json_member_string(const struct kbs_json *doc, int obj, const char *name, char *out,
			   size_t out_max, size_t *out_len, struct kbs_error *err);

/* True if idx is a string whose unescaped value is exactly s. */
bool kbs_json_string_eq(const struct kbs_json *doc, int idx, const char *s);

/* Code points of a validated string token, one at a time: the JCS writer
 * and key comparisons use it.  Returns the next code point, -1 at the end. */
struct kbs_json_iter {
	const char *p;
	const char *end;
};
void kbs_json_iter_init(struct kbs_json_iter *it, const struct kbs_json *doc, int idx);
int32_t kbs_json_iter_next(struct kbs_json_iter *it);

/* Writes code point cp as UTF-8 into out[0..4); returns the byte count. */
size_t kbs_json_utf8_put(uint32_t cp, char out[4]);

#endif
