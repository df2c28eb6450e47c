/* libFuzzer target: everything in lib/kbs that reads text from the KBS or
 * the proxy, except the JWE (fuzz_kbs_jwe): the strict JSON reader, the
 * Challenge, attestation-result and RFC 7807 error parsers, JCS
 * canonicalization and base64.  The first byte picks the parser.  Nothing
 * may crash or read out of bounds, every refusal must carry a message, and
 * accepted input must satisfy the parser's promises (a nonce of 32 bytes,
 * printable error text, JCS idempotent, base64 canonical). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "husk/err.h"
#include "kbs/kbs.h"
#include "kbs/kbs_b64.h"
#include "kbs/kbs_json.h"
#include "kbs/kbs_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok)
{
	if (!ok)
		__builtin_trap();
}

static void check_refusal(int rc, const struct kbs_error *err)
{
	if (rc != HUSK_OK)
		check(err->code != KBS_E_NONE && !strncmp(err->msg, "kbs: ", 5) &&
		      memchr(err->msg, 0, sizeof(err->msg)) != NULL);
}

static void printable(const char *s)
{
	for (; *s; s++)
		check(*s >= 0x20 && *s < 0x7f);
}

/* Every token: strings decode to at most their raw size; objects without
 * duplicates find each of their keys. */
static void walk(const char *text, size_t len)
{
	static char buf[KBS_JSON_TEXT_MAX + 1];
	struct kbs_json doc;
	struct kbs_error err;
	int rc;

	memset(&err, 0, sizeof(err));
	rc = kbs_json_parse(&doc, "fuzz", text, len, &err);
	check_refusal(rc, &err);
	if (rc != HUSK_OK)
		return;
	check(doc.ntok > 0 && doc.ntok <= KBS_JSON_MAX_TOKENS);
	check(kbs_json_next(&doc, 0) == doc.ntok);
	for (int i = 0; i < doc.ntok; i++) {
		enum kbs_json_type t = kbs_json_type(&doc, i);
		size_t n;

		if (t == KBS_JSON_STRING) {
			check(kbs_json_string(&doc, i, "s", buf, sizeof(buf), &n, &err) == HUSK_OK);
			check(n <= (size_t)(doc.tok[i].end - doc.tok[i].start) && strlen(buf) == n);
			check(kbs_json_string_eq(&doc, i, buf));
		}
		if (t == KBS_JSON_OBJECT && kbs_json_object(&doc, i, "o", &err) == HUSK_OK) {
			int k = i + 1;

			for (int m = 0; m < doc.tok[i].size; m++, k = kbs_json_next(&doc, k + 1)) {
				check(kbs_json_string(&doc, k, "k", buf, sizeof(buf), &n, &err) == HUSK_OK);
				check(kbs_json_find(&doc, i, buf) == k + 1);
			}
		}
	}
}

static void challenge(const char *text, size_t len)
{
	char nonce[KBS_NONCE_B64_LEN + 1];
	struct kbs_error err;
	uint8_t raw[KBS_NONCE_BYTES];
	size_t n;
	int rc;

	memset(&err, 0, sizeof(err));
	rc = kbs_msg_parse_challenge(text, len, nonce, &err);
	check_refusal(rc, &err);
	if (rc == HUSK_OK)
		check(strlen(nonce) == KBS_NONCE_B64_LEN &&
		      kbs_b64_decode(nonce, KBS_NONCE_B64_LEN, raw, sizeof(raw), &n) == HUSK_OK && n == KBS_NONCE_BYTES);
	else
		check(nonce[0] == '\0');
}

static void responses(const char *text, size_t len)
{
	struct kbs_problem pb;
	struct kbs_error err;
	size_t n;
	int rc;

	memset(&err, 0, sizeof(err));
	rc = kbs_msg_parse_attest_response(text, len, &n, &err);
	check_refusal(rc, &err);
	check(rc != HUSK_OK || n > 0);
	memset(&err, 0, sizeof(err));
	rc = kbs_msg_parse_error(text, len, &pb, &err);
	check_refusal(rc, &err);
	printable(pb.type);
	printable(pb.detail);
}

static void jcs(const char *text, size_t len)
{
	static char out[2 * KBS_JSON_TEXT_MAX], again[2 * KBS_JSON_TEXT_MAX];
	struct kbs_error err;
	size_t n, m;
	int rc;

	memset(&err, 0, sizeof(err));
	rc = kbs_jcs_canonicalize(text, len, out, sizeof(out), &n, &err);
	check_refusal(rc, &err);
	if (rc != HUSK_OK)
		return;
	check(strlen(out) == n);
	/* The canonical form is canonical. */
	if (n <= KBS_JSON_TEXT_MAX) {
		check(kbs_jcs_canonicalize(out, n, again, sizeof(again), &m, &err) == HUSK_OK);
		check(m == n && !memcmp(out, again, n));
	}
}

static void base64(const char *text, size_t len)
{
	static uint8_t raw[KBS_JSON_TEXT_MAX];
	static char back[KBS_JSON_TEXT_MAX * 2];
	size_t n, m;

	if (kbs_b64_decode(text, len, raw, sizeof(raw), &n) == HUSK_OK) {
		check(n == kbs_b64_decoded_len(text, len));
		check(kbs_b64_encode(raw, n, back, sizeof(back), &m) == HUSK_OK && m == len && !memcmp(back, text, len));
	}
	if (kbs_b64url_decode(text, len, raw, sizeof(raw), &n) == HUSK_OK) {
		check(n == kbs_b64url_decoded_len(len));
		check(kbs_b64url_encode(raw, n, back, sizeof(back), &m) == HUSK_OK && m == len &&
		      !memcmp(back, text, len));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text;
	size_t len;
	char *copy;

	if (size < 1 || size > KBS_JSON_TEXT_MAX + 1)
		return 0;
	/* A heap copy of exactly the text, so ASan catches any over-read. */
	len = size - 1;
	copy = malloc(len ? len : 1);
	if (!copy)
		return 0;
	memcpy(copy, data + 1, len);
	text = copy;
	switch (data[0] % 6) {
	case 0:
		walk(text, len);
		break;
	case 1:
		challenge(text, len);
		break;
	case 2:
		responses(text, len);
		break;
	case 3:
		jcs(text, len);
		break;
	case 4:
		base64(text, len);
		break;
	default:
		walk(text, len);
		challenge(text, len);
		responses(text, len);
		break;
	}
	free(copy);
	return 0;
}
