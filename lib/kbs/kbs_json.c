/* Strict JSON reading over jsmn: tokenizing, the grammar walk that jsmn
 * leaves out, and typed access to members; see kbs_json.h. */
#define JSMN_STATIC
#define JSMN_STRICT
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "husk/compiler.h"
#include "husk/err.h"
#include "kbs/kbs_internal.h"
#include "kbs/kbs_json.h"

HUSK_STATIC_ASSERT(KBS_JSON_TEXT_MAX < (1u << 30), "jsmn keeps offsets in int");

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool hex4(const char *p, const char *end, uint32_t *v)
{
	*v = 0;
	if (end - p < 4)
		return false;
	for (int i = 0; i < 4; i++) {
		int h = hex_value(p[i]);

		if (h < 0)
			return false;
		*v = *v << 4 | (uint32_t)h;
	}
	return true;
}

/* The UTF-8 sequence at p (RFC 3629: no overlong forms, no surrogates,
 * nothing above U+10FFFF): its length, 0 if malformed. */
static size_t utf8_seq(const char *p, const char *end, uint32_t *cp)
{
	unsigned char c = (unsigned char)p[0];
	size_t n;
	uint32_t v, min;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		v = c & 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		v = c & 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		v = c & 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	if ((size_t)(end - p) < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		unsigned char b = (unsigned char)p[i];

		if ((b & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (b & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return n;
}

/* The escape sequence at p (p[0] is the backslash): its length, 0 if
 * malformed.  A high surrogate must be followed by an escaped low one; a
 * lone low surrogate and \u0000 are refused (values must be C strings). */
static size_t escape_seq(const char *p, const char *end, uint32_t *cp)
{
	uint32_t u, lo;

	if (end - p < 2)
		return 0;
	switch (p[1]) {
	case '"':
	case '\\':
	case '/':
		*cp = (unsigned char)p[1];
		return 2;
	case 'b':
		*cp = '\b';
		return 2;
	case 'f':
		*cp = '\f';
		return 2;
	case 'n':
		*cp = '\n';
		return 2;
	case 'r':
		*cp = '\r';
		return 2;
	case 't':
		*cp = '\t';
		return 2;
	case 'u':
		if (!hex4(p + 2, end, &u) || u == 0 || (u >= 0xdc00 && u <= 0xdfff))
			return 0;
		if (u < 0xd800 || u > 0xdbff) {
			*cp = u;
			return 6;
		}
		if (end - p < 12 || p[6] != '\\' || p[7] != 'u' || !hex4(p + 8, end, &lo) ||
		    lo < 0xdc00 || lo > 0xdfff)
			return 0;
		*cp = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
		return 12;
	default:
		return 0;
	}
}

/* Offset of the first bad byte in the string body p[0..n), or n if good. */
static size_t check_string(const char *p, size_t n)
{
	const char *end = p + n;
	size_t i = 0;

	while (i < n) {
		uint32_t cp;
		size_t k;

		if ((unsigned char)p[i] < 0x20)
			return i;
		k = p[i] == '\\' ? escape_seq(p + i, end, &cp) : utf8_seq(p + i, end, &cp);
		if (k == 0)
			return i;
		i += k;
	}
	return n;
}

/* true, false, null, or a number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static bool check_primitive(const char *p, size_t n)
{
	size_t i = 0, d;

	if ((n == 4 && !memcmp(p, "true", 4)) || (n == 5 && !memcmp(p, "false", 5)) ||
	    (n == 4 && !memcmp(p, "null", 4)))
		return true;
	if (i < n && p[i] == '-')
		i++;
	if (i >= n)
		return false;
	if (p[i] == '0') {
		i++;
	} else if (p[i] >= '1' && p[i] <= '9') {
		while (i < n && is_digit(p[i]))
			i++;
	} else {
		return false;
	}
	if (i < n && p[i] == '.') {
		for (d = ++i; i < n && is_digit(p[i]); i++)
			;
		if (i == d)
			return false;
	}
	if (i < n && (p[i] == 'e' || p[i] == 'E')) {
		i++;
		if (i < n && (p[i] == '+' || p[i] == '-'))
			i++;
		for (d = i; i < n && is_digit(p[i]); i++)
			;
		if (i == d)
			return false;
	}
	return i == n;
}

/* The text between two tokens, [from, to): whitespace, optionally one
 * separator character, whitespace. */
static bool gap_ok(const char *text, size_t from, size_t to, char sep)
{
	if (from > to)
		return false;
	while (from < to && is_ws(text[from]))
		from++;
	if (sep) {
		if (from >= to || text[from] != sep)
			return false;
		from++;
		while (from < to && is_ws(text[from]))
			from++;
	}
	return from == to;
}

/* Where a token's text begins and ends, quotes and brackets included. */
static size_t raw_start(const jsmntok_t *t)
{
	return (size_t)t->start - (t->type == JSMN_STRING ? 1 : 0);
}

static size_t raw_end(const jsmntok_t *t)
{
	return (size_t)t->end + (t->type == JSMN_STRING ? 1 : 0);
}

static int bad(const struct kbs_json *doc, struct kbs_error *err, const char *why, size_t off)
{
	return kbs_fail(err, HUSK_ERR_FORMAT, KBS_E_JSON, "kbs: %s: not JSON: %s at offset %zu",
			doc->what, why, off);
}

struct walk_frame {
	int idx;   /* the container's token */
	int left;  /* children (keys of an object, elements of an array) still to come */
	bool first;
};

/* Closes the container of frame f: only whitespace may remain before its
 * closing bracket. */
static bool close_ok(const struct kbs_json *doc, size_t *pos, const struct walk_frame *f)
{
	const jsmntok_t *t = &doc->tok[f->idx];

	if (!gap_ok(doc->text, *pos, (size_t)t->end - 1, 0))
		return false;
	*pos = (size_t)t->end;
	return true;
}

/* Every token in document order, with a cursor over the text: the gaps
 * between tokens must hold exactly the punctuation the grammar expects, so
 * no byte goes unchecked.  Iterative, depth bounded by KBS_JSON_MAX_DEPTH. */
static int validate(const struct kbs_json *doc, struct kbs_error *err)
{
	struct walk_frame st[KBS_JSON_MAX_DEPTH];
	int depth = 0;
	size_t pos = 0;
	bool want_value = false; /* the previous token was a key */

	for (int i = 0; i < doc->ntok; i++) {
		const jsmntok_t *t = &doc->tok[i];
		char sep = 0;
		bool is_key = false;

		if (t->start < 0 || t->end < t->start || (size_t)t->end > doc->len ||
		    (t->type == JSMN_STRING && (t->start < 1 || (size_t)t->end >= doc->len)))
			return bad(doc, err, "inconsistent token", pos);
		while (!want_value && depth > 0 && st[depth - 1].left == 0) {
			if (!close_ok(doc, &pos, &st[depth - 1]))
				return bad(doc, err, "unexpected character", pos);
			depth--;
		}
		if (want_value) {
			sep = ':';
		} else if (depth == 0) {
			if (i != 0)
				return bad(doc, err, "second top-level value", raw_start(t));
		} else {
			struct walk_frame *f = &st[depth - 1];

			sep = f->first ? 0 : ',';
			f->first = false;
			f->left--;
			is_key = doc->tok[f->idx].type == JSMN_OBJECT;
		}
		if (!gap_ok(doc->text, pos, raw_start(t), sep))
			return bad(doc, err, sep == ':' ? "missing ':'" : sep == ',' ? "missing ','" : "unexpected character",
				   pos);
		want_value = false;
		if (is_key && (t->type != JSMN_STRING || t->size != 1))
			return bad(doc, err, "bad object member (missing ':' or ','?)", raw_start(t));
		switch (t->type) {
		case JSMN_STRING: {
			size_t n = (size_t)(t->end - t->start);
			size_t badoff = check_string(doc->text + t->start, n);

			if (badoff != n)
				return bad(doc, err, "bad character or escape in string", (size_t)t->start + badoff);
			if (!is_key && t->size != 0)
				return bad(doc, err, "string used as a key outside an object", raw_start(t));
			want_value = is_key;
			pos = raw_end(t);
			break;
		}
		case JSMN_PRIMITIVE:
			if (t->size != 0 || !check_primitive(doc->text + t->start, (size_t)(t->end - t->start)))
				return bad(doc, err, "bad literal or number", raw_start(t));
			pos = raw_end(t);
			break;
		case JSMN_OBJECT:
		case JSMN_ARRAY:
			if (depth == KBS_JSON_MAX_DEPTH)
				return kbs_fail(err, HUSK_ERR_RANGE, KBS_E_JSON_LIMIT,
						"kbs: %s: nested deeper than %d levels", doc->what,
						KBS_JSON_MAX_DEPTH);
			if (t->size < 0 || t->end < t->start + 2)
				return bad(doc, err, "inconsistent token", pos);
			st[depth].idx = i;
			st[depth].left = t->size;
			st[depth].first = true;
			depth++;
			pos = (size_t)t->start + 1;
			break;
		default:
			return bad(doc, err, "inconsistent token", pos);
		}
	}
	if (want_value)
		return bad(doc, err, "key without a value", pos);
	while (depth > 0) {
		if (st[depth - 1].left != 0 || !close_ok(doc, &pos, &st[depth - 1]))
			return bad(doc, err, "unexpected character", pos);
		depth--;
	}
	if (!gap_ok(doc->text, pos, doc->len, 0))
		return bad(doc, err, "trailing characters", pos);
	return HUSK_OK;
}

/* jsmn's strict mode needs a delimiter after a primitive, so a document
 * that is a bare number or literal ending the text comes back as
 * "partial".  It is one token; make it, and let validate() check it. */
static bool bare_primitive(struct kbs_json *doc, jsmn_parser *parser)
{
	size_t s = 0, e = doc->len;

	while (s < e && is_ws(doc->text[s]))
		s++;
	while (e > s && is_ws(doc->text[e - 1]))
		e--;
	if (s == e || !check_primitive(doc->text + s, e - s))
		return false;
	doc->tok[0].type = JSMN_PRIMITIVE;
	doc->tok[0].start = (int)s;
	doc->tok[0].end = (int)e;
	doc->tok[0].size = 0;
	parser->toknext = 1;
	return true;
}

int kbs_json_parse(struct kbs_json *doc, const char *what, const char *text, size_t len,
		   struct kbs_error *err)
{
	jsmn_parser parser;
	const char *nul;
	int r;

	doc->text = text;
	doc->len = len;
	doc->what = what;
	doc->ntok = 0;
	if (len > KBS_JSON_TEXT_MAX)
		return kbs_fail(err, HUSK_ERR_RANGE, KBS_E_JSON_LIMIT, "kbs: %s: %zu bytes of JSON (max %u)",
				what, len, KBS_JSON_TEXT_MAX);
	/* jsmn would take a NUL for the end of the text. */
	nul = len ? memchr(text, 0, len) : NULL;
	if (nul)
		return bad(doc, err, "NUL byte", (size_t)(nul - text));
	jsmn_init(&parser);
	r = jsmn_parse(&parser, text, len, doc->tok, KBS_JSON_MAX_TOKENS);
	if (r == JSMN_ERROR_NOMEM)
		return kbs_fail(err, HUSK_ERR_RANGE, KBS_E_JSON_LIMIT, "kbs: %s: more than %d JSON tokens",
				what, KBS_JSON_MAX_TOKENS);
	if (r == JSMN_ERROR_INVAL)
		return bad(doc, err, "invalid character", parser.pos);
	if (r == JSMN_ERROR_PART && bare_primitive(doc, &parser))
		r = 1;
	if (r < 0)
		return bad(doc, err, "truncated text", len);
	if (parser.toknext == 0)
		return bad(doc, err, "no value", len);
	doc->ntok = (int)parser.toknext;
	r = validate(doc, err);
	if (r != HUSK_OK)
		doc->ntok = 0;
	return r;
}

enum kbs_json_type kbs_json_type(const struct kbs_json *doc, int idx)
{
	const jsmntok_t *t = &doc->tok[idx];

	switch (t->type) {
	case JSMN_OBJECT:
		return KBS_JSON_OBJECT;
	case JSMN_ARRAY:
		return KBS_JSON_ARRAY;
	case JSMN_STRING:
		return KBS_JSON_STRING;
	default:
		break;
	}
	switch (doc->text[t->start]) {
	case 't':
		return KBS_JSON_TRUE;
	case 'f':
		return KBS_JSON_FALSE;
	case 'n':
		return KBS_JSON_NULL;
	default:
		return KBS_JSON_NUMBER;
	}
}

int kbs_json_next(const struct kbs_json *doc, int idx)
{
	const jsmntok_t *t = &doc->tok[idx];
	int j = idx + 1;

	if (t->type == JSMN_OBJECT || t->type == JSMN_ARRAY)
		while (j < doc->ntok && doc->tok[j].start < t->end)
			j++;
	return j;
}

void kbs_json_iter_init(struct kbs_json_iter *it, const struct kbs_json *doc, int idx)
{
	const jsmntok_t *t = &doc->tok[idx];

	it->p = doc->text + t->start;
	it->end = doc->text + t->end;
}

int32_t kbs_json_iter_next(struct kbs_json_iter *it)
{
	uint32_t cp = 0;
	size_t n;

	if (it->p >= it->end)
		return -1;
	n = *it->p == '\\' ? escape_seq(it->p, it->end, &cp) : utf8_seq(it->p, it->end, &cp);
	if (n == 0) {
		/* Unreachable for validated tokens; end the string rather than loop. */
		it->p = it->end;
		return -1;
	}
	it->p += n;
	return (int32_t)cp;
}

size_t kbs_json_utf8_put(uint32_t cp, char out[4])
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

static bool tokens_equal(const struct kbs_json *doc, int a, int b)
{
	struct kbs_json_iter ia, ib;
	int32_t ca, cb;

	kbs_json_iter_init(&ia, doc, a);
	kbs_json_iter_init(&ib, doc, b);
	do {
		ca = kbs_json_iter_next(&ia);
		cb = kbs_json_iter_next(&ib);
		if (ca != cb)
			return false;
	} while (ca >= 0);
	return true;
}

bool kbs_json_string_eq(const struct kbs_json *doc, int idx, const char *s)
{
	struct kbs_json_iter it;
	char u[4];
	int32_t cp;

	if (idx < 0 || idx >= doc->ntok || doc->tok[idx].type != JSMN_STRING)
		return false;
	kbs_json_iter_init(&it, doc, idx);
	while ((cp = kbs_json_iter_next(&it)) >= 0) {
		size_t n = kbs_json_utf8_put((uint32_t)cp, u);

		if (strnlen(s, n) < n || memcmp(s, u, n) != 0)
			return false;
		s += n;
	}
	return *s == '\0';
}

int kbs_json_object(const struct kbs_json *doc, int idx, const char *name, struct kbs_error *err)
{
	const jsmntok_t *t;
	int k;

	if (idx < 0 || idx >= doc->ntok || doc->tok[idx].type != JSMN_OBJECT)
		return kbs_fail(err, HUSK_ERR_FORMAT, KBS_E_SCHEMA, "kbs: %s: %s is not an object",
				doc->what, name);
	t = &doc->tok[idx];
	k = idx + 1;
	for (int m = 0; m < t->size; m++, k = kbs_json_next(doc, k + 1)) {
		int j = kbs_json_next(doc, k + 1);

		for (int n = m + 1; n < t->size; n++, j = kbs_json_next(doc, j + 1)) {
			if (tokens_equal(doc, k, j)) {
				char key[48];

				kbs_sanitize(key, sizeof(key), doc->text + doc->tok[k].start,
					     (size_t)(doc->tok[k].end - doc->tok[k].start));
				return kbs_fail(err, HUSK_ERR_FORMAT, KBS_E_SCHEMA,
						"kbs: %s: duplicate member \"%s\" in %s", doc->what, key, name);
			}
		}
	}
	return HUSK_OK;
}

int kbs_json_find(const struct kbs_json *doc, int obj, const char *name)
{
	const jsmntok_t *t;
	int k;

	if (obj < 0 || obj >= doc->ntok || doc->tok[obj].type != JSMN_OBJECT)
		return -1;
	t = &doc->tok[obj];
	k = obj + 1;
	for (int m = 0; m < t->size; m++, k = kbs_json_next(doc, k + 1))
		if (kbs_json_string_eq(doc, k, name))
			return k + 1;
	return -1;
}

int kbs_json_member(const struct kbs_json *doc, int obj, const char *name, int *val,
		    struct kbs_error *err)
{
	*val = kbs_json_find(doc, obj, name);
	if (*val < 0)
		return kbs_fail(err, HUSK_ERR_FORMAT, KBS_E_SCHEMA, "kbs: %s: member \"%s\" missing",
				doc->what, name);
	return HUSK_OK;
}

int kbs_json_string(const struct kbs_json *doc, int idx, const char *name, char *out,
		    size_t out_max, size_t *out_len, struct kbs_error *err)
{
	struct kbs_json_iter it;
	size_t o = 0;
	int32_t cp;

	*out_len = 0;
	if (out_max > 0)
		out[0] = '\0';
	if (idx < 0 || idx >= doc->ntok || doc->tok[idx].type != JSMN_STRING)
		return kbs_fail(err, HUSK_ERR_FORMAT, KBS_E_SCHEMA, "kbs: %s: \"%s\" is not a string",
				doc->what, name);
	kbs_json_iter_init(&it, doc, idx);
	while ((cp = kbs_json_iter_next(&it)) >= 0) {
		char u[4];
		size_t n = kbs_json_utf8_put((uint32_t)cp, u);

		if (out_max == 0 || n > out_max - 1 - o) {
			if (out_max > 0)
				out[0] = '\0';
			return kbs_fail(err, HUSK_ERR_FORMAT, KBS_E_SCHEMA,
					"kbs: %s: \"%s\" longer than %zu bytes", doc->what, name,
					out_max ? out_max - 1 : 0);
		}
		memcpy(out + o, u, n);
		o += n;
	}
	out[o] = '\0';
	*out_len = o;
	return HUSK_OK;
}

int kbs_json_span(const struct kbs_json *doc, int idx, const char *name, const char **p,
		  size_t *n, struct kbs_error *err)
{
	const jsmntok_t *t;

	*p = NULL;
	*n = 0;
	if (idx < 0 || idx >= doc->ntok || doc->tok[idx].type != JSMN_STRING)
		return kbs_fail(err, HUSK_ERR_FORMAT, KBS_E_SCHEMA, "kbs: %s: \"%s\" is not a string",
				doc->what, name);
	t = &doc->tok[idx];
	if (memchr(doc->text + t->start, '\\', (size_t)(t->end - t->start)))
		return kbs_fail(err, HUSK_ERR_FORMAT, KBS_E_SCHEMA,
				"kbs: %s: \"%s\" has escape sequences (base64 expected)", doc->what, name);
	*p = doc->text + t->start;
	*n = (size_t)(t->end - t->start);
	return HUSK_OK;
}

int kbs_json_member_span(const struct kbs_json *doc, int obj, const char *name, const char **p,
			 size_t *n, struct kbs_error *err)
{
	int v, rc;

	*p = NULL;
	*n = 0;
	rc = kbs_json_member(doc, obj, name, &v, err);
	if (rc != HUSK_OK)
		return rc;
	return kbs_json_span(doc, v, name, p, n, err);
}

int kbs_json_member_string(const struct kbs_json *doc, int obj, const char *name, char *out,
			   size_t out_max, size_t *out_len, struct kbs_error *err)
{
	int v, rc;

	*out_len = 0;
	if (out_max > 0)
		out[0] = '\0';
	rc = kbs_json_member(doc, obj, name, &v, err);
	if (rc != HUSK_OK)
		return rc;
	return kbs_json_string(doc, v, name, out, out_max, out_len, err);
}
