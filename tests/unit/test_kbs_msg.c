/* Unit tests for lib/kbs's messages (kbs_msg, kbs_evidence): the Request,
 * Challenge checks, the runtime data against an independently built JCS
 * text and SHA-384 (tests/kbs/gen_jwe_vectors.py), the Attestation's shape
 * against kbs-types' vector, the sample evidence, attestation results and
 * RFC 7807 error bodies. */
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

#include "../data/kbs/kbs_vectors.h"

/* Reproducible bytes for mbedTLS' blinding (tests only, not entropy). */
static int test_rng(void *ctx, unsigned char *out, size_t len)
{
	static uint64_t s = 0x9e3779b97f4a7c15ull;

	(void)ctx;
	for (size_t i = 0; i < len; i++) {
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		out[i] = (unsigned char)s;
	}
	return 0;
}

static void load_key(struct kbs_key *key, enum kbs_curve curve)
{
	struct kbs_error err;

	if (curve == KBS_CURVE_P256)
		assert_int_equal(kbs_key_load(key, curve, vec_p256_d, 32, test_rng, NULL, &err), HUSK_OK);
	else
		assert_int_equal(kbs_key_load(key, curve, vec_p521_d, 66, test_rng, NULL, &err), HUSK_OK);
}

/* ---- Request ---- */

static void test_request(void **state)
{
	char out[128], canon_a[128], canon_b[128], upstream[128];
	struct kbs_error err;
	size_t n, na, nb;
	char *v;

	(void)state;
	assert_int_equal(kbs_msg_request("sample", out, sizeof(out), &n, &err), HUSK_OK);
	assert_string_equal(out, "{\"version\":\"0.4.0\",\"tee\":\"sample\",\"extra-params\":\"\"}");
	assert_int_equal(n, strlen(out));
	assert_int_equal(kbs_msg_request("az-snp-vtpm", out, sizeof(out), &n, &err), HUSK_OK);
	assert_string_equal(out, "{\"version\":\"0.4.0\",\"tee\":\"az-snp-vtpm\",\"extra-params\":\"\"}");

	/* Same members as kbs-types' Request vector (whose version is 0.0.0). */
	assert_int_equal(kbs_msg_request("tdx", out, sizeof(out), &n, &err), HUSK_OK);
	strcpy(upstream, kt_parse_request);
	v = strstr(upstream, "0.0.0");
	assert_non_null(v);
	memcpy(v, KBS_PROTOCOL_VERSION, 5);
	assert_int_equal(kbs_jcs_canonicalize(out, n, canon_a, sizeof(canon_a), &na, &err), HUSK_OK);
	assert_int_equal(kbs_jcs_canonicalize(upstream, strlen(upstream), canon_b, sizeof(canon_b), &nb, &err),
			 HUSK_OK);
	assert_string_equal(canon_a, canon_b);

	/* 49 characters and the NUL. */
	assert_int_equal(kbs_msg_request("snp", out, 49, &n, &err), HUSK_ERR_RANGE);
	assert_int_equal(err.code, KBS_E_REQ_SIZE);
	assert_int_equal(kbs_msg_request("snp", out, 50, &n, &err), HUSK_OK);
	assert_int_equal(n, 49);
}

static void test_tee_names(void **state)
{
	static const char *const bad[] = { "", "SNP", "s n p", "snp\"", "snp/x", "0123456789abcdef0123456789abcdef" };
	char out[128];
	struct kbs_error err;
	size_t n;

	(void)state;
	assert_int_equal(kbs_tee_check("0123456789abcdef0123456789abcde", &err), HUSK_OK);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(kbs_msg_request(bad[i], out, sizeof(out), &n, &err), HUSK_ERR_INVAL);
		assert_int_equal(err.code, KBS_E_ARG);
	}
	assert_int_equal(kbs_tee_check(NULL, &err), HUSK_ERR_INVAL);
}

/* ---- Challenge ---- */

static int challenge(const char *body, char *nonce, struct kbs_error *err)
{
	memset(err, 0, sizeof(*err));
	return kbs_msg_parse_challenge(body, strlen(body), nonce, err);
}

static void test_challenge_ok(void **state)
{
	char nonce[KBS_NONCE_B64_LEN + 1], body[256];
	struct kbs_error err;

	(void)state;
	snprintf(body, sizeof(body), "{\"nonce\":\"%s\",\"extra-params\":\"\"}", vec_nonce);
	assert_int_equal(challenge(body, nonce, &err), HUSK_OK);
	assert_string_equal(nonce, vec_nonce);
	/* Member order, whitespace, absent or other extra-params, unknown members. */
	snprintf(body, sizeof(body), " { \"extra-params\" : null , \"x\":[1], \"nonce\" : \"%s\" } ", vec_nonce);
	assert_int_equal(challenge(body, nonce, &err), HUSK_OK);
	assert_string_equal(nonce, vec_nonce);
	snprintf(body, sizeof(body), "{\"nonce\":\"%s\"}", vec_nonce);
	assert_int_equal(challenge(body, nonce, &err), HUSK_OK);
	snprintf(body, sizeof(body), "{\"nonce\":\"%s\",\"extra-params\":{\"selected-hash-algorithm\":\"sha384\"}}",
		 vec_nonce);
	assert_int_equal(challenge(body, nonce, &err), HUSK_OK);
	/* An escaped '/' is the same string: 42 of them, then "w=". */
	{
		char *b = body;

		b += sprintf(b, "{\"nonce\":\"");
		for (int i = 0; i < 42; i++)
			b += sprintf(b, "\\/");
		sprintf(b, "w=\"}");
	}
	assert_int_equal(challenge(body, nonce, &err), HUSK_OK);
	assert_string_equal(nonce, "//////////////////////////////////////////w=");
}

static void test_challenge_bad(void **state)
{
	static const struct {
		const char *body;
		enum kbs_ecode code;
	} bad[] = {
		{ NULL, KBS_E_NONCE }, /* kbs-types' vector: nonce "42" */
		/* COCONUT's kbs-test sends 16 bytes; husk follows Trustee. */
		{ "{\"nonce\":\"AAECAwQFBgcICQoLDA0ODw==\"}", KBS_E_NONCE },
		{ "{\"nonce\":\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gIQ==\"}", KBS_E_NONCE },
		{ "{\"nonce\":\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8\"}", KBS_E_NONCE },
		{ "{\"nonce\":\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh-=\"}", KBS_E_NONCE },
		{ "{\"nonce\":\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9=\"}", KBS_E_NONCE },
		{ "{\"nonce\":\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8= \"}", KBS_E_NONCE },
		{ "{\"nonce\":\"\"}", KBS_E_NONCE },
		{ "{\"nonce\":42}", KBS_E_SCHEMA },
		{ "{\"nonce\":null}", KBS_E_SCHEMA },
		{ "{\"extra-params\":\"\"}", KBS_E_SCHEMA },
		{ "{\"nonce\":\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\",\"nonce\":\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\"}",
		  KBS_E_SCHEMA },
		{ "[\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\"]", KBS_E_SCHEMA },
		{ "{\"nonce\":\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\",\"extra-params\":{\"selected-hash-algorithm\":\"sha512\"}}",
		  KBS_E_HASH_ALG },
		{ "{\"nonce\":\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\",\"extra-params\":{\"selected-hash-algorithm\":384}}",
		  KBS_E_HASH_ALG },
		{ "{\"nonce\":\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\"", KBS_E_JSON },
		{ "nonce=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", KBS_E_JSON },
	};
	char nonce[KBS_NONCE_B64_LEN + 1];
	char long_nonce[2100];
	struct kbs_error err;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *body = bad[i].body ? bad[i].body : kt_parse_challenge;

		if (challenge(body, nonce, &err) == HUSK_OK)
			fail_msg("accepted %s", body);
		if (err.code != bad[i].code)
			fail_msg("%s: %s, expected %s (%s)", body, kbs_ecode_name(err.code),
				 kbs_ecode_name(bad[i].code), err.msg);
		assert_string_equal(nonce, "");
	}
	assert_int_equal(challenge(kt_parse_challenge, nonce, &err), HUSK_ERR_FORMAT);
	assert_string_equal(err.msg, "kbs: challenge: nonce is not 32 bytes of standard base64 (44 characters)");

	memset(long_nonce, 'A', sizeof(long_nonce));
	memcpy(long_nonce, "{\"nonce\":\"", 10);
	memcpy(long_nonce + sizeof(long_nonce) - 3, "\"}", 3);
	assert_int_equal(challenge(long_nonce, nonce, &err), HUSK_ERR_FORMAT);
	assert_int_equal(err.code, KBS_E_NONCE);
}

/* ---- Runtime data ---- */

static void test_runtime_data(void **state)
{
	static const struct {
		enum kbs_curve curve;
		const char *text;
		const uint8_t *digest;
	} cases[] = {
		{ KBS_CURVE_P256, vec_rd_p256_text, vec_rd_p256_digest },
		{ KBS_CURVE_P521, vec_rd_p521_text, vec_rd_p521_digest },
	};
	struct kbs_key key;
	struct kbs_error err;
	char text[512], canon[512];
	uint8_t digest[48];
	size_t n, m;

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		load_key(&key, cases[i].curve);
		assert_int_equal(kbs_runtime_data(vec_nonce, &key, text, sizeof(text), &n, &err), HUSK_OK);
		assert_string_equal(text, cases[i].text);
		assert_int_equal(n, strlen(cases[i].text));
		/* It is its own JCS form. */
		assert_int_equal(kbs_jcs_canonicalize(text, n, canon, sizeof(canon), &m, &err), HUSK_OK);
		assert_string_equal(canon, text);
		assert_int_equal(kbs_runtime_digest(vec_nonce, &key, digest, &err), HUSK_OK);
		assert_memory_equal(digest, cases[i].digest, 48);
		/* Exactly big enough, then one short. */
		assert_int_equal(kbs_runtime_data(vec_nonce, &key, text, n + 1, &m, &err), HUSK_OK);
		assert_int_equal(kbs_runtime_data(vec_nonce, &key, text, n, &m, &err), HUSK_ERR_RANGE);
		assert_int_equal(err.code, KBS_E_REQ_SIZE);
		kbs_key_wipe(&key);
	}
	/* The P-256 coordinates are exactly the generator's base64url. */
	load_key(&key, KBS_CURVE_P256);
	assert_non_null(strstr(vec_rd_p256_text, vec_p256_x_b64u));
	assert_non_null(strstr(vec_rd_p256_text, vec_p256_y_b64u));
	kbs_key_wipe(&key);
	assert_false(key.valid);
	assert_int_equal(kbs_runtime_data(vec_nonce, &key, text, sizeof(text), &n, &err), HUSK_ERR_INVAL);
	assert_int_equal(err.code, KBS_E_ARG);
	assert_int_equal(kbs_runtime_digest(vec_nonce, NULL, digest, &err), HUSK_ERR_INVAL);
}

/* ---- Attestation ---- */

/* Same member names at each level as kbs-types' Attestation vector. */
static void same_members(const struct kbs_json *a, int ia, const struct kbs_json *b, int ib, int depth)
{
	int k;

	assert_true(depth < 4);
	assert_int_equal(kbs_json_type(a, ia), KBS_JSON_OBJECT);
	assert_int_equal(kbs_json_type(b, ib), KBS_JSON_OBJECT);
	assert_int_equal(a->tok[ia].size, b->tok[ib].size);
	k = ia + 1;
	for (int m = 0; m < a->tok[ia].size; m++, k = kbs_json_next(a, k + 1)) {
		char name[64];
		size_t n;
		int vb;

		assert_int_equal(kbs_json_string(a, k, "key", name, sizeof(name), &n, NULL), HUSK_OK);
		vb = kbs_json_find(b, ib, name);
		if (vb < 0)
			fail_msg("member %s not in kbs-types' Attestation", name);
		/* primary_evidence may be any value; the rest must match in kind. */
		if (kbs_json_type(a, k + 1) == KBS_JSON_OBJECT && strcmp(name, "primary_evidence") != 0)
			same_members(a, k + 1, b, vb, depth + 1);
	}
}

static void test_attestation(void **state)
{
	static const char evidence[] = "{\"svn\":\"1\",\"report_data\":\"x\"}";
	struct kbs_key key;
	struct kbs_error err;
	struct kbs_json doc, up;
	char out[1024], s[128];
	size_t n, m;
	int rd, pk, te, v;

	(void)state;
	load_key(&key, KBS_CURVE_P256);
	assert_int_equal(kbs_msg_attestation_head(vec_nonce, &key, out, sizeof(out), &n, &err), HUSK_OK);
	assert_int_equal(n, strlen(out));
	memcpy(out + n, evidence, sizeof(evidence));
	n += sizeof(evidence) - 1;
	assert_int_equal(kbs_msg_attestation_tail(out, sizeof(out), &n, &err), HUSK_OK);
	assert_int_equal(n, strlen(out));

	assert_int_equal(kbs_json_parse(&doc, "attestation", out, n, &err), HUSK_OK);
	assert_int_equal(kbs_json_parse(&up, "kbs-types", kt_parse_attestation_ec, strlen(kt_parse_attestation_ec), &err),
			 HUSK_OK);
	same_members(&doc, 0, &up, 0, 0);
	assert_int_equal(doc.tok[0].size, 2); /* no init-data */

	assert_int_equal(kbs_json_member(&doc, 0, "runtime-data", &rd, &err), HUSK_OK);
	assert_int_equal(kbs_json_member_string(&doc, rd, "nonce", s, sizeof(s), &m, &err), HUSK_OK);
	assert_string_equal(s, vec_nonce);
	assert_int_equal(kbs_json_member(&doc, rd, "tee-pubkey", &pk, &err), HUSK_OK);
	assert_int_equal(kbs_json_object(&doc, pk, "tee-pubkey", &err), HUSK_OK);
	assert_int_equal(kbs_json_member_string(&doc, pk, "kty", s, sizeof(s), &m, &err), HUSK_OK);
	assert_string_equal(s, "EC");
	assert_int_equal(kbs_json_member_string(&doc, pk, "crv", s, sizeof(s), &m, &err), HUSK_OK);
	assert_string_equal(s, "P-256");
	assert_int_equal(kbs_json_member_string(&doc, pk, "alg", s, sizeof(s), &m, &err), HUSK_OK);
	assert_string_equal(s, "ECDH-ES+A256KW");
	assert_int_equal(kbs_json_member_string(&doc, pk, "x", s, sizeof(s), &m, &err), HUSK_OK);
	assert_string_equal(s, vec_p256_x_b64u);
	assert_int_equal(kbs_json_member_string(&doc, pk, "y", s, sizeof(s), &m, &err), HUSK_OK);
	assert_string_equal(s, vec_p256_y_b64u);
	assert_int_equal(kbs_json_member(&doc, 0, "tee-evidence", &te, &err), HUSK_OK);
	assert_int_equal(kbs_json_member(&doc, te, "primary_evidence", &v, &err), HUSK_OK);
	assert_int_equal(kbs_json_type(&doc, v), KBS_JSON_OBJECT);
	assert_int_equal(kbs_json_member_string(&doc, te, "additional_evidence", s, sizeof(s), &m, &err), HUSK_OK);
	assert_string_equal(s, "");

	/* Buffers too small for the head, then for the tail. */
	assert_int_equal(kbs_msg_attestation_head(vec_nonce, &key, out, 100, &n, &err), HUSK_ERR_RANGE);
	assert_int_equal(err.code, KBS_E_REQ_SIZE);
	assert_int_equal(kbs_msg_attestation_head(vec_nonce, &key, out, sizeof(out), &n, &err), HUSK_OK);
	m = n;
	assert_int_equal(kbs_msg_attestation_tail(out, n + KBS_MSG_ATTESTATION_TAIL_LEN, &m, &err), HUSK_ERR_RANGE);
	m = n;
	assert_int_equal(kbs_msg_attestation_tail(out, n + KBS_MSG_ATTESTATION_TAIL_LEN + 1, &m, &err), HUSK_OK);
	kbs_key_wipe(&key);
	assert_int_equal(kbs_msg_attestation_head(vec_nonce, &key, out, sizeof(out), &n, &err), HUSK_ERR_INVAL);
}

/* ---- Sample evidence ---- */

static void test_sample_evidence(void **state)
{
	struct kbs_sample_evidence extra = { "husk-measurement", "00ff\"\\x" };
	struct kbs_error err;
	struct kbs_json doc;
	char out[256], s[128];
	uint8_t raw[64];
	size_t n, m;

	(void)state;
	assert_int_equal(kbs_evidence_sample(NULL, vec_rd_p256_digest, out, sizeof(out), &n, &err), HUSK_OK);
	assert_string_equal(out, vec_sample_p256);
	assert_int_equal(n, strlen(vec_sample_p256));
	/* report_data is the 48 digest bytes exactly, not padded to 64. */
	assert_int_equal(kbs_json_parse(&doc, "evidence", out, n, &err), HUSK_OK);
	assert_int_equal(kbs_json_member_string(&doc, 0, "report_data", s, sizeof(s), &m, &err), HUSK_OK);
	assert_int_equal(kbs_b64_decode(s, m, raw, sizeof(raw), &m), HUSK_OK);
	assert_int_equal(m, 48);
	assert_memory_equal(raw, vec_rd_p256_digest, 48);

	assert_int_equal(kbs_evidence_sample(&extra, vec_rd_p256_digest, out, sizeof(out), &n, &err), HUSK_OK);
	assert_int_equal(kbs_json_parse(&doc, "evidence", out, n, &err), HUSK_OK);
	assert_int_equal(kbs_json_object(&doc, 0, "evidence", &err), HUSK_OK);
	assert_int_equal(doc.tok[0].size, 3);
	assert_int_equal(kbs_json_member_string(&doc, 0, "husk-measurement", s, sizeof(s), &m, &err), HUSK_OK);
	assert_string_equal(s, "00ff\"\\x");
	assert_int_equal(strncmp(out, vec_sample_p256, strlen(vec_sample_p256) - 1), 0);

	/* Refused extras. */
	{
		static const struct kbs_sample_evidence bad[] = {
			{ "svn", "2" },      { "report_data", "x" }, { "", "x" },        { "a b", "x" },
			{ "a\"b", "x" },     { "x", "tab\there" },    { "x", "\xc3\xa9" }, { "x", NULL },
			{ NULL, "x" },
		};
		char longv[KBS_SAMPLE_EXTRA_MAX + 2];
		struct kbs_sample_evidence lv = { "x", longv };

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			assert_int_equal(kbs_evidence_sample((void *)&bad[i], vec_rd_p256_digest, out, sizeof(out), &n, &err),
					 HUSK_ERR_INVAL);
			assert_int_equal(err.code, KBS_E_ARG);
		}
		memset(longv, 'a', sizeof(longv));
		longv[KBS_SAMPLE_EXTRA_MAX] = '\0';
		assert_int_equal(kbs_evidence_sample(&lv, vec_rd_p256_digest, out, sizeof(out), &n, &err), HUSK_ERR_RANGE);
		assert_int_equal(err.code, KBS_E_REQ_SIZE); /* legal, but out is too small */
		longv[KBS_SAMPLE_EXTRA_MAX] = 'a';
		longv[KBS_SAMPLE_EXTRA_MAX + 1] = '\0';
		assert_int_equal(kbs_evidence_sample(&lv, vec_rd_p256_digest, out, sizeof(out), &n, &err), HUSK_ERR_INVAL);
	}
	assert_int_equal(kbs_evidence_sample(NULL, vec_rd_p256_digest, out, strlen(vec_sample_p256), &n, &err),
			 HUSK_ERR_RANGE);
	assert_int_equal(err.code, KBS_E_REQ_SIZE);
	assert_int_equal(n, 0);
}

/* ---- Attestation result and error bodies ---- */

static void test_attest_response(void **state)
{
	static const struct {
		const char *body;
		int rc;
		enum kbs_ecode code;
		size_t len;
	} cases[] = {
		{ "{\"token\":\"eyJhbGciOiJFUzI1NiJ9.e30.sig\"}", HUSK_OK, KBS_E_NONE, 28 },
		{ "{\"x\":1,\"token\":\"t\\u00e9\"}", HUSK_OK, KBS_E_NONE, 3 },
		{ "{\"token\":\"\"}", HUSK_ERR_FORMAT, KBS_E_TOKEN, 0 },
		{ "{\"token\":5}", HUSK_ERR_FORMAT, KBS_E_TOKEN, 0 },
		{ "{\"token\":null}", HUSK_ERR_FORMAT, KBS_E_TOKEN, 0 },
		{ "{\"tokens\":\"x\"}", HUSK_ERR_FORMAT, KBS_E_TOKEN, 0 },
		{ "{}", HUSK_ERR_FORMAT, KBS_E_TOKEN, 0 },
		{ "[\"x\"]", HUSK_ERR_FORMAT, KBS_E_SCHEMA, 0 },
		{ "{\"token\":\"a\",\"token\":\"b\"}", HUSK_ERR_FORMAT, KBS_E_SCHEMA, 0 },
		{ "{\"token\":\"a\"", HUSK_ERR_FORMAT, KBS_E_JSON, 0 },
		{ "test-token", HUSK_ERR_FORMAT, KBS_E_JSON, 0 },
	};
	struct kbs_error err;
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&err, 0, sizeof(err));
		assert_int_equal(kbs_msg_parse_attest_response(cases[i].body, strlen(cases[i].body), &n, &err), cases[i].rc);
		assert_int_equal(err.code, cases[i].code);
		assert_int_equal(n, cases[i].len);
	}
}

static void test_error_body(void **state)
{
	struct kbs_problem pb;
	struct kbs_error err;
	char body[600];

	(void)state;
	assert_int_equal(kbs_msg_parse_error(kt_parse_error, strlen(kt_parse_error), &pb, &err), HUSK_OK);
	assert_string_equal(pb.type, "problemtype");
	assert_string_equal(pb.detail, "problemdetail");

	snprintf(body, sizeof(body), "{\"type\":\"https://github.com/confidential-containers/kbs/errors/AttestationError\","
				     "\"detail\":\"bad\\nthing \\u00e9\\u0007\"}");
	assert_int_equal(kbs_msg_parse_error(body, strlen(body), &pb, &err), HUSK_OK);
	assert_string_equal(pb.type, "https://github.com/confidential-containers/kbs/errors/AttestationError");
	assert_string_equal(pb.detail, "bad?thing ??");

	/* Long server text is cut, and says so. */
	memset(body, 'd', sizeof(body));
	memcpy(body, "{\"detail\":\"", 11);
	memcpy(body + sizeof(body) - 3, "\"}", 3);
	assert_int_equal(kbs_msg_parse_error(body, strlen(body), &pb, &err), HUSK_OK);
	assert_string_equal(pb.type, "");
	assert_int_equal(strlen(pb.detail), KBS_ERR_TEXT_MAX - 1);
	assert_string_equal(pb.detail + KBS_ERR_TEXT_MAX - 4, "...");

	assert_int_equal(kbs_msg_parse_error("{}", 2, &pb, &err), HUSK_ERR_FORMAT);
	assert_int_equal(err.code, KBS_E_SCHEMA);
	assert_int_equal(kbs_msg_parse_error("{\"type\":1,\"detail\":\"x\"}", 23, &pb, &err), HUSK_ERR_FORMAT);
	assert_int_equal(kbs_msg_parse_error("Unauthorized", 12, &pb, &err), HUSK_ERR_FORMAT);
	assert_int_equal(err.code, KBS_E_JSON);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request),
		cmocka_unit_test(test_tee_names),
		cmocka_unit_test(test_challenge_ok),
		cmocka_unit_test(test_challenge_bad),
		cmocka_unit_test(test_runtime_data),
		cmocka_unit_test(test_attestation),
		cmocka_unit_test(test_sample_evidence),
		cmocka_unit_test(test_attest_response),
		cmocka_unit_test(test_error_body),
	};

	return cmocka_run_group_tests_name("kbs_msg", tests, NULL, NULL);
}
