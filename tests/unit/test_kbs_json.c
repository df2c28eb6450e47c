/* Unit tests for lib/kbs's strict JSON reader (kbs_json), base64
 * (kbs_b64) and JCS canonicalization (kbs_jcs): accepted and refused texts,
 * limits, duplicate keys, unescaping, the RFC 4648 and RFC 8785 examples
 * and Trustee's runtime-data JCS/SHA-384 vector. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "husk/err.h"
#include "kbs/kbs.h"
#include "kbs/kbs_b64.h"
#include "kbs/kbs_json.h"
#include "kbs/kbs_msg.h"

#include "mbedtls/sha512.h"

#include "../data/kbs/kbs_vectors.h"

static int parse_n(struct kbs_json *doc, const char *text, size_t len, struct kbs_error *err)
{
	memset(err, 0, sizeof(*err));
	return kbs_json_parse(doc, "test", text, len, err);
}

static int parse(struct kbs_json *doc, const char *text, struct kbs_error *err)
{
	return parse_n(doc, text, strlen(text), err);
}

/* ---- accepted and refused documents ---- */

static void test_json_valid(void **state)
{
	static const char *const ok[] = {
		"{}",
		"[]",
		"\"x\"",
		"{\"a\":1}",
		" \n\t{ \"a\" : \"b\" , \"c\" : [ ] }\r\n ",
		"{\"a\":[1,2,{\"b\":null}],\"c\":true,\"d\":false}",
		"[-0.5e+10,0,1E3,-0,12.25,1e-7]",
		"{\"k\":\"\\u00e9\\ud83d\\ude00 \xc3\xa9 \xf0\x9f\x98\x80\"}",
		"[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"]",
		"[[[[[[[[]]]]]]]]", /* exactly KBS_JSON_MAX_DEPTH */
		"{\"\":\"\"}",
		"9", /* a bare primitive ending the text (jsmn needs help here) */
		" true ",
		"-1.5e3\n",
	};
	struct kbs_json doc;
	struct kbs_error err;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		int rc = parse(&doc, ok[i], &err);

		if (rc != HUSK_OK)
			fail_msg("refused %s: %s", ok[i], err.msg);
		assert_true(doc.ntok > 0);
	}
}

static void test_json_invalid(void **state)
{
	static const char *const bad[] = {
		"",
		"   ",
		"{",
		"}",
		"{}}",
		"{} {}",
		"{}x",
		"{},",
		"[1 2]",
		"[1,]",
		"[,1]",
		"[1,,2]",
		"{\"a\":1,}",
		"{,\"a\":1}",
		"{\"a\" 1}",
		"{\"a\":}",
		"{\"a\"}",
		"{\"a\"::1}",
		"{1:2}",
		"{\"a\":1 \"b\":2}",
		"{\"a\":{\"b\":1}\"c\":2}",
		"{\"a\":1,\"b\"}",
		"[\"a\":1]",
		"{\"a\":\"b\":\"c\"}",
		"[tru]",
		"[nul]",
		"[True]",
		"[01]",
		"[1.]",
		"[.5]",
		"[1e]",
		"[1e+]",
		"[-]",
		"[+1]",
		"[0x10]",
		"[1:2]",
		"['a']",
		"[\"a\tb\"]",
		"[\"a\nb\"]",
		"[\"\\x\"]",
		"[\"\\u12\"]",
		"[\"\\u12g4\"]",
		"[\"\\u0000\"]",
		"[\"\\ud800\"]",
		"[\"\\udc00\"]",
		"[\"\\ud800\\u0041\"]",
		"[\"\\ud800x\"]",
		"[\"\xc0\x80\"]",
		"[\"\xed\xa0\x80\"]",
		"[\"\xf4\x90\x80\x80\"]",
		"[\"\xff\"]",
		"[\"\xe2\x82\"]",
		"[\"\x80\"]",
		"[\"abc]",
		"[\"abc\\\"]",
		"{\"a\":[}",
		"[{]}",
		"[[[[[[[[[]]]]]]]]]", /* one level too deep */
		"\xef\xbb\xbf{}",     /* a BOM is not JSON text */
		"9 9",
		"9x",
		"tru",
		"1 ]",
	};
	struct kbs_json doc;
	struct kbs_error err;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = parse(&doc, bad[i], &err);

		if (rc == HUSK_OK)
			fail_msg("accepted %s", bad[i]);
		assert_true(err.code == KBS_E_JSON || err.code == KBS_E_JSON_LIMIT);
		assert_int_equal(strncmp(err.msg, "kbs: test: ", 11), 0);
		assert_int_equal(doc.ntok, 0);
	}
}

static void test_json_nul_and_length(void **state)
{
	static const char with_nul[] = "{\"a\":\"b\0c\"}";
	static const char trailing_nul[] = "{\"a\":1}\0";
	struct kbs_json doc;
	struct kbs_error err;
	char *big;

	(void)state;
	assert_int_equal(parse_n(&doc, with_nul, sizeof(with_nul) - 1, &err), HUSK_ERR_FORMAT);
	assert_non_null(strstr(err.msg, "NUL byte at offset 7"));
	assert_int_equal(parse_n(&doc, trailing_nul, sizeof(trailing_nul) - 1, &err), HUSK_ERR_FORMAT);
	assert_int_equal(parse_n(&doc, trailing_nul, sizeof(trailing_nul) - 2, &err), HUSK_OK);

	big = malloc(KBS_JSON_TEXT_MAX + 2);
	assert_non_null(big);
	memset(big, ' ', KBS_JSON_TEXT_MAX + 1);
	big[0] = '[';
	big[KBS_JSON_TEXT_MAX - 1] = ']';
	assert_int_equal(parse_n(&doc, big, KBS_JSON_TEXT_MAX, &err), HUSK_OK);
	assert_int_equal(parse_n(&doc, big, KBS_JSON_TEXT_MAX + 1, &err), HUSK_ERR_RANGE);
	assert_int_equal(err.code, KBS_E_JSON_LIMIT);
	free(big);
}

static void test_json_token_limit(void **state)
{
	char text[512];
	size_t o = 0;
	struct kbs_json doc;
	struct kbs_error err;

	(void)state;
	/* [0,0,...]: one token for the array plus one per element. */
	text[o++] = '[';
	for (int i = 0; i < KBS_JSON_MAX_TOKENS - 1; i++) {
		text[o++] = '0';
		text[o++] = ',';
	}
	text[o - 1] = ']';
	assert_int_equal(parse_n(&doc, text, o, &err), HUSK_OK);
	assert_int_equal(doc.ntok, KBS_JSON_MAX_TOKENS);
	text[o - 1] = ',';
	text[o++] = '0';
	text[o++] = ']';
	assert_int_equal(parse_n(&doc, text, o, &err), HUSK_ERR_RANGE);
	assert_int_equal(err.code, KBS_E_JSON_LIMIT);
	assert_non_null(strstr(err.msg, "more than 64 JSON tokens"));
}

/* ---- objects, members, strings ---- */

static void test_json_duplicates(void **state)
{
	struct kbs_json doc;
	struct kbs_error err;
	int v;

	(void)state;
	assert_int_equal(parse(&doc, "{\"a\":1,\"b\":{\"a\":1},\"c\":[{\"a\":2}]}", &err), HUSK_OK);
	assert_int_equal(kbs_json_object(&doc, 0, "root", &err), HUSK_OK);
	assert_int_equal(kbs_json_member(&doc, 0, "b", &v, &err), HUSK_OK);
	assert_int_equal(kbs_json_object(&doc, v, "b", &err), HUSK_OK);

	assert_int_equal(parse(&doc, "{\"a\":1,\"b\":2,\"a\":3}", &err), HUSK_OK);
	assert_int_equal(kbs_json_object(&doc, 0, "root", &err), HUSK_ERR_FORMAT);
	assert_int_equal(err.code, KBS_E_SCHEMA);
	assert_non_null(strstr(err.msg, "duplicate member \"a\""));

	/* Keys compare after unescaping. */
	assert_int_equal(parse(&doc, "{\"nonce\":1,\"n\\u006fnce\":2}", &err), HUSK_OK);
	assert_int_equal(kbs_json_object(&doc, 0, "root", &err), HUSK_ERR_FORMAT);
	assert_int_equal(parse(&doc, "{\"\\ud83d\\ude00\":1,\"\xf0\x9f\x98\x80\":2}", &err), HUSK_OK);
	assert_int_equal(kbs_json_object(&doc, 0, "root", &err), HUSK_ERR_FORMAT);
	/* Prefixes are not duplicates. */
	assert_int_equal(parse(&doc, "{\"ab\":1,\"a\":2,\"abc\":3}", &err), HUSK_OK);
	assert_int_equal(kbs_json_object(&doc, 0, "root", &err), HUSK_OK);

	assert_int_equal(parse(&doc, "[1]", &err), HUSK_OK);
	assert_int_equal(kbs_json_object(&doc, 0, "root", &err), HUSK_ERR_FORMAT);
	assert_non_null(strstr(err.msg, "root is not an object"));
}

static void test_json_members(void **state)
{
	static const char text[] =
		"{\"s\":\"a\\\"b\\\\c\\/d\\n\\u00e9\\ud83d\\ude00\",\"n\\u006fnce\":\"x\",\"num\":12,"
		"\"arr\":[1,{\"k\":[2]},\"z\"],\"last\":null}";
	static const char expect_s[] = "a\"b\\c/d\n\xc3\xa9\xf0\x9f\x98\x80";
	struct kbs_json doc;
	struct kbs_error err;
	char buf[64];
	const char *p;
	size_t n;
	int v, arr;

	(void)state;
	assert_int_equal(parse(&doc, text, &err), HUSK_OK);
	assert_int_equal(kbs_json_member_string(&doc, 0, "s", buf, sizeof(buf), &n, &err), HUSK_OK);
	assert_int_equal(n, strlen(expect_s));
	assert_string_equal(buf, expect_s);
	/* Exact fit, then one byte short. */
	assert_int_equal(kbs_json_member_string(&doc, 0, "s", buf, n + 1, &n, &err), HUSK_OK);
	assert_int_equal(kbs_json_member_string(&doc, 0, "s", buf, n, &n, &err), HUSK_ERR_FORMAT);
	assert_int_equal(err.code, KBS_E_SCHEMA);
	assert_int_equal(n, 0);
	assert_string_equal(buf, "");

	assert_int_equal(kbs_json_member_string(&doc, 0, "nonce", buf, sizeof(buf), &n, &err), HUSK_OK);
	assert_string_equal(buf, "x");
	assert_true(kbs_json_find(&doc, 0, "nonc") < 0);
	assert_true(kbs_json_find(&doc, 0, "noncee") < 0);

	assert_int_equal(kbs_json_member_string(&doc, 0, "num", buf, sizeof(buf), &n, &err), HUSK_ERR_FORMAT);
	assert_non_null(strstr(err.msg, "\"num\" is not a string"));
	assert_int_equal(kbs_json_member(&doc, 0, "missing", &v, &err), HUSK_ERR_FORMAT);
	assert_int_equal(err.code, KBS_E_SCHEMA);
	assert_non_null(strstr(err.msg, "member \"missing\" missing"));

	assert_int_equal(kbs_json_member(&doc, 0, "num", &v, &err), HUSK_OK);
	assert_int_equal(kbs_json_type(&doc, v), KBS_JSON_NUMBER);
	assert_int_equal(kbs_json_member(&doc, 0, "last", &v, &err), HUSK_OK);
	assert_int_equal(kbs_json_type(&doc, v), KBS_JSON_NULL);

	/* Walking an array's elements by kbs_json_next. */
	assert_int_equal(kbs_json_member(&doc, 0, "arr", &arr, &err), HUSK_OK);
	assert_int_equal(kbs_json_type(&doc, arr), KBS_JSON_ARRAY);
	v = arr + 1;
	assert_int_equal(kbs_json_type(&doc, v), KBS_JSON_NUMBER);
	v = kbs_json_next(&doc, v);
	assert_int_equal(kbs_json_type(&doc, v), KBS_JSON_OBJECT);
	v = kbs_json_next(&doc, v);
	assert_true(kbs_json_string_eq(&doc, v, "z"));
	assert_int_equal(kbs_json_next(&doc, arr), v + 1);

	/* Spans: plain strings only. */
	assert_int_equal(kbs_json_member_span(&doc, 0, "nonce", &p, &n, &err), HUSK_OK);
	assert_int_equal(n, 1);
	assert_memory_equal(p, "x", 1);
	assert_int_equal(kbs_json_member_span(&doc, 0, "s", &p, &n, &err), HUSK_ERR_FORMAT);
	assert_non_null(strstr(err.msg, "escape"));
	assert_null(p);
}

/* ---- base64 ---- */

struct b64_case {
	const char *raw, *std, *url;
};

/* RFC 4648 section 10. */
static const struct b64_case rfc4648[] = {
	{ "", "", "" },           { "f", "Zg==", "Zg" },         { "fo", "Zm8=", "Zm8" },
	{ "foo", "Zm9v", "Zm9v" }, { "foob", "Zm9vYg==", "Zm9vYg" }, { "fooba", "Zm9vYmE=", "Zm9vYmE" },
	{ "foobar", "Zm9vYmFy", "Zm9vYmFy" },
};

static void test_b64_rfc4648(void **state)
{
	char txt[32];
	uint8_t raw[32];
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(rfc4648) / sizeof(rfc4648[0]); i++) {
		const struct b64_case *c = &rfc4648[i];
		size_t rl = strlen(c->raw);

		assert_int_equal(kbs_b64_encode((const uint8_t *)c->raw, rl, txt, sizeof(txt), &n), HUSK_OK);
		assert_string_equal(txt, c->std);
		assert_int_equal(n, kbs_b64_encoded_len(rl));
		assert_int_equal(kbs_b64url_encode((const uint8_t *)c->raw, rl, txt, sizeof(txt), &n), HUSK_OK);
		assert_string_equal(txt, c->url);
		assert_int_equal(n, kbs_b64url_encoded_len(rl));
		assert_int_equal(kbs_b64_decode(c->std, strlen(c->std), raw, sizeof(raw), &n), HUSK_OK);
		assert_int_equal(n, rl);
		assert_memory_equal(raw, c->raw, rl);
		assert_int_equal(kbs_b64_decoded_len(c->std, strlen(c->std)), rl);
		assert_int_equal(kbs_b64url_decode(c->url, strlen(c->url), raw, sizeof(raw), &n), HUSK_OK);
		assert_int_equal(n, rl);
		assert_memory_equal(raw, c->raw, rl);
		assert_int_equal(kbs_b64url_decoded_len(strlen(c->url)), rl);
	}
	/* The alphabets differ in 62 and 63. */
	{
		static const uint8_t hi[] = { 0xfb, 0xff, 0xbf };

		assert_int_equal(kbs_b64_encode(hi, 3, txt, sizeof(txt), &n), HUSK_OK);
		assert_string_equal(txt, "+/+/");
		assert_int_equal(kbs_b64url_encode(hi, 3, txt, sizeof(txt), &n), HUSK_OK);
		assert_string_equal(txt, "-_-_");
	}
}

static void test_b64_strict(void **state)
{
	static const char *const bad_std[] = {
		"Zg", "Zg=", "Zg===", "Z===", "====", "Zh==", "Zm9=", "Z g==", "Zm9v\n", "Zm9v\r\n",
		" Zm9v", "-_-_", "Zm=v", "Zm9vY", "Zm9v====", "Z\x80==",
	};
	static const char *const bad_url[] = {
		"Zg==", "Zg=", "Zm8=", "+/+/", "Z", "Zm9vY", "Zh", "Zm9", "Z g", "Zm9v\n",
	};
	uint8_t raw[16];
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(bad_std) / sizeof(bad_std[0]); i++) {
		n = 99;
		if (kbs_b64_decode(bad_std[i], strlen(bad_std[i]), raw, sizeof(raw), &n) != HUSK_ERR_FORMAT)
			fail_msg("std accepted \"%s\"", bad_std[i]);
		assert_int_equal(n, 0);
	}
	for (size_t i = 0; i < sizeof(bad_url) / sizeof(bad_url[0]); i++)
		if (kbs_b64url_decode(bad_url[i], strlen(bad_url[i]), raw, sizeof(raw), &n) != HUSK_ERR_FORMAT)
			fail_msg("url accepted \"%s\"", bad_url[i]);
	/* A NUL inside the given length is just a bad character. */
	assert_int_equal(kbs_b64url_decode("Zg\0", 3, raw, sizeof(raw), &n), HUSK_ERR_FORMAT);
	assert_int_equal(kbs_b64_decode("Zg=\0", 4, raw, sizeof(raw), &n), HUSK_ERR_FORMAT);
	/* Output too small: RANGE, not FORMAT. */
	assert_int_equal(kbs_b64_decode("Zm9vYmFy", 8, raw, 5, &n), HUSK_ERR_RANGE);
	assert_int_equal(kbs_b64url_decode("Zm9vYmE", 7, raw, 4, &n), HUSK_ERR_RANGE);
	{
		char txt[9];

		assert_int_equal(kbs_b64_encode((const uint8_t *)"foobar", 6, txt, 8, &n), HUSK_ERR_RANGE);
		assert_int_equal(kbs_b64_encode((const uint8_t *)"foobar", 6, txt, 9, &n), HUSK_OK);
		assert_int_equal(kbs_b64url_encode((const uint8_t *)"fooba", 5, txt, 7, &n), HUSK_ERR_RANGE);
		assert_int_equal(kbs_b64url_encode((const uint8_t *)"fooba", 5, txt, 8, &n), HUSK_OK);
	}
	assert_int_equal(kbs_b64url_decoded_len(5), SIZE_MAX);
	assert_int_equal(kbs_b64_decoded_len("abc", 3), SIZE_MAX);
}

static void test_b64_long_roundtrip(void **state)
{
	uint8_t raw[1000], back[1000];
	char txt[1400];
	size_t n, m;

	(void)state;
	for (size_t i = 0; i < sizeof(raw); i++)
		raw[i] = (uint8_t)(i * 131 + 7);
	/* Lengths around the url decoder's 252-character chunks. */
	for (size_t len = 180; len <= sizeof(raw); len += 37) {
		assert_int_equal(kbs_b64url_encode(raw, len, txt, sizeof(txt), &n), HUSK_OK);
		assert_null(memchr(txt, '=', n));
		assert_int_equal(kbs_b64url_decode(txt, n, back, sizeof(back), &m), HUSK_OK);
		assert_int_equal(m, len);
		assert_memory_equal(back, raw, len);
		assert_int_equal(kbs_b64_encode(raw, len, txt, sizeof(txt), &n), HUSK_OK);
		assert_int_equal(kbs_b64_decode(txt, n, back, sizeof(back), &m), HUSK_OK);
		assert_int_equal(m, len);
		assert_memory_equal(back, raw, len);
	}
}

/* ---- JCS ---- */

static void test_jcs_trustee_vector(void **state)
{
	char out[128];
	uint8_t digest[48];
	size_t n;
	struct kbs_error err;

	(void)state;
	assert_int_equal(kbs_jcs_canonicalize(rd_input_json, strlen(rd_input_json), out, sizeof(out), &n, &err),
			 HUSK_OK);
	assert_string_equal(out, rd_canonical);
	assert_int_equal(n, strlen(rd_canonical));
	assert_int_equal(mbedtls_sha512((const unsigned char *)out, n, digest, 1), 0);
	assert_memory_equal(digest, rd_expected_digest, 48);
	/* Canonical text is a fixed point. */
	assert_int_equal(kbs_jcs_canonicalize(rd_canonical, strlen(rd_canonical), out, sizeof(out), &n, &err),
			 HUSK_OK);
	assert_string_equal(out, rd_canonical);
}

/* RFC 8785 section 3.2.3: keys sort by UTF-16 code units, so the emoji
 * (D83D DE00) comes before U+FB33 although its code point is larger. */
static void test_jcs_rfc8785_sorting(void **state)
{
	static const char in[] = "{\n  \"\\u20ac\": \"Euro Sign\",\n  \"\\r\": \"Carriage Return\",\n"
				 "  \"\\ufb33\": \"Hebrew Letter Dalet With Dagesh\",\n  \"1\": \"One\",\n"
				 "  \"\\ud83d\\ude00\": \"Emoji: Grinning Face\",\n  \"\\u0080\": \"Control\",\n"
				 "  \"\\u00f6\": \"Latin Small Letter O With Diaeresis\"\n}";
	static const char expect[] = "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\xc2\x80\":\"Control\","
				     "\"\xc3\xb6\":\"Latin Small Letter O With Diaeresis\",\"\xe2\x82\xac\":\"Euro Sign\","
				     "\"\xf0\x9f\x98\x80\":\"Emoji: Grinning Face\","
				     "\"\xef\xac\xb3\":\"Hebrew Letter Dalet With Dagesh\"}";
	char out[512];
	size_t n;
	struct kbs_error err;

	(void)state;
	assert_int_equal(kbs_jcs_canonicalize(in, strlen(in), out, sizeof(out), &n, &err), HUSK_OK);
	assert_string_equal(out, expect);
}

static void test_jcs_values(void **state)
{
	static const struct {
		const char *in, *out;
	} ok[] = {
		{ "[ 1 , -0 , 0 , true , false , null , \"\" ]", "[1,0,0,true,false,null,\"\"]" },
		{ "{\"b\":[3,2,{\"z\":1,\"y\":2}],\"a\":{}}", "{\"a\":{},\"b\":[3,2,{\"y\":2,\"z\":1}]}" },
		{ "[\"\\u001f\\u007f\\/\\u00e9\\t\"]", "[\"\\u001f\x7f/\xc3\xa9\\t\"]" },
		{ "[9007199254740992,-9007199254740992]", "[9007199254740992,-9007199254740992]" },
		{ "{\"aa\":1,\"a\":2,\"\":3}", "{\"\":3,\"a\":2,\"aa\":1}" },
	};
	static const char *const unsupported[] = { "[1.5]", "[1e3]", "[9007199254740993]", "[-12345678901234567]" };
	char out[128];
	size_t n;
	struct kbs_error err;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(kbs_jcs_canonicalize(ok[i].in, strlen(ok[i].in), out, sizeof(out), &n, &err), HUSK_OK);
		assert_string_equal(out, ok[i].out);
	}
	for (size_t i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++) {
		assert_int_equal(kbs_jcs_canonicalize(unsupported[i], strlen(unsupported[i]), out, sizeof(out), &n, &err),
				 HUSK_ERR_UNSUPPORTED);
		assert_int_equal(err.code, KBS_E_JCS);
		assert_string_equal(out, "");
	}
	assert_int_equal(kbs_jcs_canonicalize("{\"a\":1,\"a\":1}", 13, out, sizeof(out), &n, &err), HUSK_ERR_FORMAT);
	assert_int_equal(err.code, KBS_E_SCHEMA);
	assert_int_equal(kbs_jcs_canonicalize("[1,2,3]", 7, out, 7, &n, &err), HUSK_ERR_RANGE);
	assert_int_equal(err.code, KBS_E_REQ_SIZE);
	assert_int_equal(kbs_jcs_canonicalize("[1,2,3]", 7, out, 8, &n, &err), HUSK_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_valid),
		cmocka_unit_test(test_json_invalid),
		cmocka_unit_test(test_json_nul_and_length),
		cmocka_unit_test(test_json_token_limit),
		cmocka_unit_test(test_json_duplicates),
		cmocka_unit_test(test_json_members),
		cmocka_unit_test(test_b64_rfc4648),
		cmocka_unit_test(test_b64_strict),
		cmocka_unit_test(test_b64_long_roundtrip),
		cmocka_unit_test(test_jcs_trustee_vector),
		cmocka_unit_test(test_jcs_rfc8785_sorting),
		cmocka_unit_test(test_jcs_values),
	};

	return cmocka_run_group_tests_name("kbs_json", tests, NULL, NULL);
}
