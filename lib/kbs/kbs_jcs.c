/* RFC 8785 JSON Canonicalization Scheme for the subset husk's messages use
 * (kbs_msg.h): Trustee hashes the runtime data in this form, so husk's
 * fixed-order text must be exactly canonical; tests prove it with this
 * implementation and the upstream vector.  Iterative, with the nesting
 * bounded by KBS_JSON_MAX_DEPTH. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "husk/err.h"
#include "kbs/kbs_internal.h"
#include "kbs/kbs_json.h"
#include "kbs/kbs_msg.h"

/* The first UTF-16 code unit of cp: JCS sorts keys by code units, which
 * differs from code point order only between supplementary characters
 * (surrogates D800-DFFF) and U+E000-U+FFFF. */
static uint32_t utf16_first(int32_t cp)
{
	return cp < 0x10000 ? (uint32_t)cp : 0xd800u + (((uint32_t)cp - 0x10000u) >> 10);
}

static int key_cmp(const struct kbs_json *doc, int a, int b)
{
	struct kbs_json_iter ia, ib;

	kbs_json_iter_init(&ia, doc, a);
	kbs_json_iter_init(&ib, doc, b);
	for (;;) {
		int32_t ca = kbs_json_iter_next(&ia), cb = kbs_json_iter_next(&ib);
		uint32_t ua, ub;

		if (ca < 0 || cb < 0)
			return (ca >= 0) - (cb >= 0);
		if (ca == cb)
			continue;
		ua = utf16_first(ca);
		ub = utf16_first(cb);
		if (ua != ub)
			return ua < ub ? -1 : 1;
		/* Same high surrogate: the low ones order like the code points. */
		return ca < cb ? -1 : 1;
	}
}

static void put_string(struct kbs_out *o, const struct kbs_json *doc, int idx)
{
	struct kbs_json_iter it;
	int32_t cp;

	kbs_out_raw(o, "\"", 1);
	kbs_json_iter_init(&it, doc, idx);
	while ((cp = kbs_json_iter_next(&it)) >= 0)
		kbs_out_json_char(o, (uint32_t)cp);
	kbs_out_raw(o, "\"", 1);
}

/* Integers up to 2^53 print in ES6 exactly as their shortest decimal form,
 * which the JSON grammar already guarantees apart from "-0". */
static int put_number(struct kbs_out *o, const struct kbs_json *doc, int idx, struct kbs_error *err)
{
	const jsmntok_t *t = &doc->tok[idx];
	const char *p = doc->text + t->start;
	size_t n = (size_t)(t->end - t->start), digits = n - (p[0] == '-');
	const char *d = p + (p[0] == '-');

	for (size_t i = 0; i < n; i++)
		if (p[i] == '.' || p[i] == 'e' || p[i] == 'E')
			return kbs_fail(err, HUSK_ERR_UNSUPPORTED, KBS_E_JCS,
					"kbs: %s: only integers are canonicalized (offset %d)", doc->what,
					t->start);
	if (digits > 16 || (digits == 16 && memcmp(d, "9007199254740992", 16) > 0))
		return kbs_fail(err, HUSK_ERR_UNSUPPORTED, KBS_E_JCS,
				"kbs: %s: integer beyond 2^53 (offset %d)", doc->what, t->start);
	if (n == 2 && p[0] == '-' && p[1] == '0')
		kbs_out_raw(o, "0", 1);
	else
		kbs_out_raw(o, p, n);
	return HUSK_OK;
}

struct jcs_frame {
	int idx;   /* container token */
	int last;  /* object: last key written (-1: none yet) */
	int count; /* members or elements written */
	int next;  /* array: token of the next element */
};

/* Writes a scalar, or opens a container and pushes its frame. */
static int put_value(struct kbs_out *o, const struct kbs_json *doc, int idx, struct jcs_frame *st,
		     int *depth, struct kbs_error *err)
{
	int rc;

	switch (kbs_json_type(doc, idx)) {
	case KBS_JSON_STRING:
		put_string(o, doc, idx);
		return HUSK_OK;
	case KBS_JSON_NUMBER:
		return put_number(o, doc, idx, err);
	case KBS_JSON_TRUE:
	case KBS_JSON_FALSE:
	case KBS_JSON_NULL:
		kbs_out_raw(o, doc->text + doc->tok[idx].start,
			    (size_t)(doc->tok[idx].end - doc->tok[idx].start));
		return HUSK_OK;
	case KBS_JSON_OBJECT:
		rc = kbs_json_object(doc, idx, "an object", err);
		if (rc != HUSK_OK)
			return rc;
		kbs_out_raw(o, "{", 1);
		break;
	case KBS_JSON_ARRAY:
		kbs_out_raw(o, "[", 1);
		break;
	}
	/* kbs_json_parse already bounded the nesting by the same limit. */
	if (*depth >= KBS_JSON_MAX_DEPTH)
		return kbs_fail(err, HUSK_ERR_RANGE, KBS_E_JSON_LIMIT, "kbs: %s: nested too deep", doc->what);
	st[*depth].idx = idx;
	st[*depth].last = -1;
	st[*depth].count = 0;
	st[*depth].next = idx + 1;
	(*depth)++;
	return HUSK_OK;
}

int kbs_jcs_canonicalize(const char *json, size_t len, char *out, size_t out_max, size_t *out_len,
			 struct kbs_error *err)
{
	struct kbs_json doc;
	struct jcs_frame st[KBS_JSON_MAX_DEPTH];
	struct kbs_out o;
	int depth = 0, rc;

	*out_len = 0;
	if (out_max > 0)
		out[0] = '\0';
	rc = kbs_json_parse(&doc, "JCS input", json, len, err);
	if (rc != HUSK_OK)
		return rc;
	kbs_out_init(&o, out, out_max);
	rc = put_value(&o, &doc, 0, st, &depth, err);
	while (rc == HUSK_OK && depth > 0) {
		struct jcs_frame *f = &st[depth - 1];
		const jsmntok_t *t = &doc.tok[f->idx];

		if (t->type == JSMN_OBJECT) {
			int best = -1, k = f->idx + 1;

			/* The smallest key after the last one written (keys are
			 * unique): quadratic, but objects hold at most
			 * KBS_JSON_MAX_TOKENS / 2 members. */
			for (int m = 0; m < t->size; m++, k = kbs_json_next(&doc, k + 1))
				if ((f->last < 0 || key_cmp(&doc, k, f->last) > 0) &&
				    (best < 0 || key_cmp(&doc, k, best) < 0))
					best = k;
			if (best < 0) {
				kbs_out_raw(&o, "}", 1);
				depth--;
				continue;
			}
			if (f->count++)
				kbs_out_raw(&o, ",", 1);
			put_string(&o, &doc, best);
			kbs_out_raw(&o, ":", 1);
			f->last = best;
			rc = put_value(&o, &doc, best + 1, st, &depth, err);
		} else {
			int v = f->next;

			if (f->count == t->size) {
				kbs_out_raw(&o, "]", 1);
				depth--;
				continue;
			}
			if (f->count++)
				kbs_out_raw(&o, ",", 1);
			f->next = kbs_json_next(&doc, v);
			rc = put_value(&o, &doc, v, st, &depth, err);
		}
	}
	if (rc != HUSK_OK) {
		if (out_max > 0)
			out[0] = '\0';
		return rc;
	}
	if (kbs_out_finish(&o) != HUSK_OK) {
		if (out_max > 0)
			out[0] = '\0';
		return kbs_fail(err, HUSK_ERR_RANGE, KBS_E_REQ_SIZE,
				"kbs: JCS output longer than %zu bytes", out_max ? out_max - 1 : 0);
	}
	*out_len = o.len;
	return HUSK_OK;
}
