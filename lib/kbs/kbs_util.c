/* lib/kbs helpers: error records, sanitising server text for messages, and
 * the bounded writer that builds request bodies (kbs_internal.h). */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fmt/fmt.h"
#include "husk/err.h"
#include "kbs/kbs.h"
#include "kbs/kbs_b64.h"
#include "kbs/kbs_internal.h"
#include "kbs/kbs_json.h"

const char *kbs_ecode_name(enum kbs_ecode code)
{
	static const char *const names[KBS_E__COUNT] = {
		"KBS_E_NONE",          "KBS_E_ARG",          "KBS_E_STATE",       "KBS_E_TRANSPORT",
		"KBS_E_HTTP",          "KBS_E_RSP_SIZE",     "KBS_E_JSON",        "KBS_E_JSON_LIMIT",
		"KBS_E_SCHEMA",        "KBS_E_NONCE",        "KBS_E_HASH_ALG",    "KBS_E_TOKEN",
		"KBS_E_EVIDENCE",      "KBS_E_REQ_SIZE",     "KBS_E_CRYPTO",      "KBS_E_B64",
		"KBS_E_JCS",           "KBS_E_JWE_FORMAT",   "KBS_E_JWE_HEADER",  "KBS_E_JWE_ALG",
		"KBS_E_JWE_EPK",       "KBS_E_JWE_UNWRAP",   "KBS_E_JWE_TAG",     "KBS_E_RESOURCE_PATH",
		"KBS_E_RESOURCE_SIZE",
	};
	HUSK_STATIC_ASSERT(KBS_E__COUNT == 25, "kbs_ecode_name table out of date");

	if ((unsigned int)code >= KBS_E__COUNT)
		return "?";
	return names[code];
}

int kbs_fail(struct kbs_error *err, int husk_code, enum kbs_ecode code, const char *fmt, ...)
{
	va_list ap;

	if (err) {
		err->code = code;
		va_start(ap, fmt);
		fmt_vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return husk_code;
}

void kbs_sanitize(char *dst, size_t max, const char *src, size_t n)
{
	size_t o = 0;

	if (max == 0)
		return;
	for (size_t i = 0; i < n; i++) {
		if (o + 1 >= max) {
			/* Cut: mark it, overwriting the last characters written. */
			size_t k = max - 1 >= 3 ? max - 4 : 0;

			while (k < max - 1)
				dst[k++] = '.';
			o = max - 1;
			break;
		}
		unsigned char c = (unsigned char)src[i];

		dst[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	dst[o] = '\0';
}

void kbs_out_init(struct kbs_out *o, char *buf, size_t max)
{
	o->buf = buf;
	o->max = max;
	o->len = 0;
	o->overflow = false;
}

void kbs_out_raw(struct kbs_out *o, const char *s, size_t n)
{
	if (o->overflow)
		return;
	if (o->max == 0 || n >= o->max - o->len) {
		o->overflow = true;
		return;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
}

void kbs_out_str(struct kbs_out *o, const char *s)
{
	kbs_out_raw(o, s, strlen(s));
}

void kbs_out_json_char(struct kbs_out *o, uint32_t cp)
{
	static const char hex[] = "0123456789abcdef";
	char buf[6];
	size_t n;

	switch (cp) {
	case '"':
		kbs_out_raw(o, "\\\"", 2);
		return;
	case '\\':
		kbs_out_raw(o, "\\\\", 2);
		return;
	case '\b':
		kbs_out_raw(o, "\\b", 2);
		return;
	case '\f':
		kbs_out_raw(o, "\\f", 2);
		return;
	case '\n':
		kbs_out_raw(o, "\\n", 2);
		return;
	case '\r':
		kbs_out_raw(o, "\\r", 2);
		return;
	case '\t':
		kbs_out_raw(o, "\\t", 2);
		return;
	default:
		break;
	}
	if (cp < 0x20) {
		buf[0] = '\\';
		buf[1] = 'u';
		buf[2] = '0';
		buf[3] = '0';
		buf[4] = hex[cp >> 4];
		buf[5] = hex[cp & 15];
		kbs_out_raw(o, buf, 6);
		return;
	}
	n = kbs_json_utf8_put(cp, buf);
	kbs_out_raw(o, buf, n);
}

void kbs_out_json_string(struct kbs_out *o, const char *s, size_t n)
{
	kbs_out_raw(o, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		/* Bytes of multi-byte UTF-8 sequences pass through unchanged. */
		if (c < 0x80)
			kbs_out_json_char(o, c);
		else
			kbs_out_raw(o, &s[i], 1);
	}
	kbs_out_raw(o, "\"", 1);
}

void kbs_out_b64(struct kbs_out *o, const uint8_t *p, size_t n, bool url)
{
	size_t got = 0;
	int rc;

	if (o->overflow || o->max == 0)
		return;
	if (url)
		rc = kbs_b64url_encode(p, n, o->buf + o->len, o->max - o->len, &got);
	else
		rc = kbs_b64_encode(p, n, o->buf + o->len, o->max - o->len, &got);
	if (rc != HUSK_OK) {
		o->overflow = true;
		return;
	}
	o->len += got;
}

int kbs_out_finish(struct kbs_out *o)
{
	if (o->overflow || o->len >= o->max)
		return HUSK_ERR_RANGE;
	o->buf[o->len] = '\0';
	return HUSK_OK;
}
