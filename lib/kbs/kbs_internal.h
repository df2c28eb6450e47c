/* Helpers shared by the files of lib/kbs: error reporting and a bounded
 * text writer for building request bodies.  Not part of the API. */
#ifndef HUSK_KBS_INTERNAL_H
#define HUSK_KBS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "husk/compiler.h"
#include "kbs/kbs.h"

/* Records code and the formatted message in err (if not NULL) and returns
 * husk_code, so that failures read `return kbs_fail(err, ...)`. */
int kbs_fail(struct kbs_error *err, int husk_code, enum kbs_ecode code, const char *fmt, ...)
	HUSK_PRINTF(4, 5);

/* Copies at most max-1 bytes of untrusted text src[0..n) into dst as
 * printable ASCII ('?' for anything else, "..." when cut), NUL-terminated,
 * so that server text can go into a log line. */
void kbs_sanitize(char *dst, size_t max, const char *src, size_t n);

/* Bounded writer: appends until the next append would not leave room for
 * the final NUL, then only records the overflow. */
struct kbs_out {
	char *buf;
	size_t max;
	size_t len;
	bool overflow;
};

void kbs_out_init(struct kbs_out *o, char *buf, size_t max);
void kbs_out_raw(struct kbs_out *o, const char *s, size_t n);
void kbs_out_str(struct kbs_out *o, const char *s);
/* One code point inside a JSON string, escaped as RFC 8785 (JCS) does:
 * \" \\ \b \f \n \r \t, \u00xx for other control characters, everything
 * else as UTF-8. */
void kbs_out_json_char(struct kbs_out *o, uint32_t cp);
/* A JSON string (quotes included) of the UTF-8 bytes s[0..n), escaped as
 * kbs_out_json_char does. */
void kbs_out_json_string(struct kbs_out *o, const char *s, size_t n);
/* Base64 of p[0..n): standard with padding, or base64url without. */
void kbs_out_b64(struct kbs_out *o, const uint8_t *p, size_t n, bool url);
/* NUL-terminates; HUSK_OK or HUSK_ERR_RANGE if anything did not fit. */
int kbs_out_finish(struct kbs_out *o);

#endif
