/* Unit tests for lib/kbs's keys and JWE decryption (kbs_jwe): every vector
 * of tests/data/kbs/kbs_vectors.h (made by python3-cryptography, see
 * tests/kbs/gen_jwe_vectors.py) with the exact error each tamper case must
 * give, kbs-types' JWE member vectors, the RFC 7518 Concat KDF example,
 * output-buffer limits, and allocation and RNG failures inside mbedTLS. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../common/alloc_count.h"

#include "husk/err.h"
#include "kbs/kbs.h"
#include "kbs/kbs_b64.h"
#include "kbs/kbs_jwe.h"

#include "mbedtls/platform.h"

#include "../data/kbs/kbs_vectors.h"

#define NVEC (sizeof(kbs_jwe_vectors) / sizeof(kbs_jwe_vectors[0]))

static int rng_fail; /* make test_rng fail */

/* Reproducible bytes (tests only, not entropy). */
static int test_rng(void *ctx, unsigned char *out, size_t len)
{
	static uint64_t s = 0x2545f4914f6cdd1dull;

	(void)ctx;
	if (rng_fail)
		return -1;
	for (size_t i = 0; i < len; i++) {
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		out[i] = (unsigned char)s;
	}
	return 0;
}

static struct kbs_key keys[2];

static int setup(void **state)
{
	struct kbs_error err;

	(void)state;
	if (kbs_key_load(&keys[KBS_CURVE_P256], KBS_CURVE_P256, vec_p256_d, 32, test_rng, NULL, &err) != HUSK_OK ||
	    kbs_key_load(&keys[KBS_CURVE_P521], KBS_CURVE_P521, vec_p521_d, 66, test_rng, NULL, &err) != HUSK_OK)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	kbs_key_wipe(&keys[0]);
	kbs_key_wipe(&keys[1]);
	return 0;
}

/* ---- keys ---- */

static void test_key_load(void **state)
{
	(void)state;
	/* Public points computed by mbedTLS equal those of python3-cryptography. */
	assert_true(keys[0].valid);
	assert_memory_equal(keys[0].x, vec_p256_x, 32);
	assert_memory_equal(keys[0].y, vec_p256_y, 32);
	assert_memory_equal(keys[1].x, vec_p521_x, 66);
	assert_memory_equal(keys[1].y, vec_p521_y, 66);
	assert_string_equal(kbs_curve_name(KBS_CURVE_P256), "P-256");
	assert_string_equal(kbs_curve_name(KBS_CURVE_P521), "P-521");
	assert_null(kbs_curve_name((enum kbs_curve)7));
	assert_int_equal(kbs_curve_bytes((enum kbs_curve)7), 0);
}

static void test_key_generate(void **state)
{
	struct kbs_key a, b, check;
	struct kbs_error err;

	(void)state;
	for (int c = KBS_CURVE_P256; c <= KBS_CURVE_P521; c++) {
		size_t fl = kbs_curve_bytes((enum kbs_curve)c);

		assert_int_equal(kbs_key_generate(&a, (enum kbs_curve)c, test_rng, NULL, &err), HUSK_OK);
		assert_int_equal(kbs_key_generate(&b, (enum kbs_curve)c, test_rng, NULL, &err), HUSK_OK);
		assert_true(a.valid);
		assert_int_equal(a.curve, c);
		assert_memory_not_equal(a.d, b.d, fl);
		/* The stored point is d * G. */
		assert_int_equal(kbs_key_load(&check, (enum kbs_curve)c, a.d, fl, test_rng, NULL, &err), HUSK_OK);
		assert_memory_equal(check.x, a.x, fl);
		assert_memory_equal(check.y, a.y, fl);
		kbs_key_wipe(&a);
		for (size_t i = 0; i < sizeof(a); i++)
			assert_int_equal(((uint8_t *)&a)[i], 0);
		kbs_key_wipe(&b);
		kbs_key_wipe(&check);
	}
	assert_int_equal(kbs_key_generate(&a, (enum kbs_curve)5, test_rng, NULL, &err), HUSK_ERR_INVAL);
	assert_int_equal(err.code, KBS_E_ARG);
	assert_int_equal(kbs_key_generate(&a, KBS_CURVE_P256, NULL, NULL, &err), HUSK_ERR_INVAL);
	assert_int_equal(kbs_key_load(&a, KBS_CURVE_P256, vec_p256_d, 31, test_rng, NULL, &err), HUSK_ERR_INVAL);
	{
		uint8_t zero[32] = { 0 }, big[32];

		memset(big, 0xff, sizeof(big));
		assert_int_equal(kbs_key_load(&a, KBS_CURVE_P256, zero, 32, test_rng, NULL, &err), HUSK_ERR_CRYPTO);
		assert_int_equal(err.code, KBS_E_CRYPTO);
		assert_false(a.valid);
		assert_int_equal(kbs_key_load(&a, KBS_CURVE_P256, big, 32, test_rng, NULL, &err), HUSK_ERR_CRYPTO);
	}
	rng_fail = 1;
	assert_int_equal(kbs_key_generate(&a, KBS_CURVE_P256, test_rng, NULL, &err), HUSK_ERR_CRYPTO);
	assert_int_equal(err.code, KBS_E_CRYPTO);
	assert_false(a.valid);
	rng_fail = 0;
}

static void test_concat_kdf(void **state)
{
	uint8_t out[32];

	(void)state;
	assert_int_equal(kbs_concat_kdf(rfc7518_z, 32, "A128GCM", (const uint8_t *)"Alice", 5,
					(const uint8_t *)"Bob", 3, 128, out),
			 HUSK_OK);
	assert_memory_equal(out, rfc7518_key, 16);
	assert_int_equal(kbs_concat_kdf(rfc7518_z, 32, "A128GCM", NULL, 0, NULL, 0, 0, out), HUSK_ERR_INVAL);
	assert_int_equal(kbs_concat_kdf(rfc7518_z, 32, "A128GCM", NULL, 0, NULL, 0, 264, out), HUSK_ERR_INVAL);
	assert_int_equal(kbs_concat_kdf(rfc7518_z, 32, "A128GCM", NULL, 0, NULL, 0, 12, out), HUSK_ERR_INVAL);
	assert_int_equal(kbs_concat_kdf(rfc7518_z, 32, NULL, NULL, 0, NULL, 0, 256, out), HUSK_ERR_INVAL);
}

/* ---- the vectors ---- */

static const char marker[] = "husk vTPM state key";

static bool holds_plaintext(const uint8_t *buf, size_t n, const struct kbs_jwe_vector *v)
{
	size_t m = v->plaintext_len >= 8 ? 8 : v->plaintext_len;

	for (size_t i = 0; m && i + m <= n; i++)
		if (!memcmp(buf + i, v->plaintext, m))
			return true;
	for (size_t i = 0; i + sizeof(marker) - 1 <= n; i++)
		if (!memcmp(buf + i, marker, sizeof(marker) - 1))
			return true;
	return false;
}

static void test_vectors(void **state)
{
	static uint8_t out[2048];
	size_t ok = 0, refused = 0;

	(void)state;
	for (size_t i = 0; i < NVEC; i++) {
		const struct kbs_jwe_vector *v = &kbs_jwe_vectors[i];
		struct kbs_error err;
		size_t n = 12345;
		int rc;

		memset(&err, 0, sizeof(err));
		memset(out, 0xa5, sizeof(out));
		rc = kbs_jwe_decrypt(&keys[v->curve], test_rng, NULL, v->jwe, strlen(v->jwe), out, sizeof(out), &n,
				     &err);
		if (v->expect == KBS_E_NONE) {
			if (rc != HUSK_OK)
				fail_msg("%s: refused: %s", v->name, err.msg);
			assert_int_equal(n, v->plaintext_len);
			assert_memory_equal(out, v->plaintext, n);
			ok++;
		} else {
			if (rc == HUSK_OK)
				fail_msg("%s: accepted", v->name);
			if (err.code != v->expect)
				fail_msg("%s: %s, expected %s (%s)", v->name, kbs_ecode_name(err.code),
					 kbs_ecode_name(v->expect), err.msg);
			assert_int_equal(n, 0);
			assert_int_equal(strncmp(err.msg, "kbs: resource JWE", 17), 0);
			if (holds_plaintext(out, sizeof(out), &kbs_jwe_vectors[0]))
				fail_msg("%s: plaintext left in the output buffer", v->name);
			refused++;
		}
	}
	print_message("      %zu JWE vectors decrypted, %zu refused as expected\n", ok, refused);
	assert_true(ok >= 8 && refused >= 60);
}

static void test_messages(void **state)
{
	static const struct {
		const char *name;
		const char *msg;
	} cases[] = {
		{ "ct_flipped", "kbs: resource JWE: tag mismatch" },
		{ "ek_flipped", "kbs: resource JWE: key unwrap failed (not for our key, or encrypted_key altered)" },
		{ "epk_p384_for_p256_key", "kbs: resource JWE: epk curve \"P-384\", our key is P-256" },
		{ "alg_rsa_oaep", "kbs: resource JWE: alg \"RSA-OAEP-256\" (only ECDH-ES+A256KW)" },
		{ "enc_a128gcm", "kbs: resource JWE: enc \"A128GCM\" (only A256GCM)" },
		{ "ek_truncated_32", "kbs: resource JWE: \"encrypted_key\" is 32 bytes, expected 40" },
		{ "missing_iv", "kbs: resource JWE: member \"iv\" missing" },
		{ "epk_not_on_curve", "kbs: resource JWE: epk is not a point on P-256" },
		{ "header_zip", "kbs: resource JWE: header parameter \"zip\" not supported" },
	};
	uint8_t out[256];
	size_t n;

	(void)state;
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		const struct kbs_jwe_vector *v = NULL;
		struct kbs_error err;

		for (size_t i = 0; i < NVEC; i++)
			if (!strcmp(kbs_jwe_vectors[i].name, cases[c].name))
				v = &kbs_jwe_vectors[i];
		assert_non_null(v);
		assert_int_not_equal(kbs_jwe_decrypt(&keys[v->curve], test_rng, NULL, v->jwe, strlen(v->jwe), out,
						     sizeof(out), &n, &err),
				     HUSK_OK);
		assert_string_equal(err.msg, cases[c].msg);
	}
}

static void test_output_size(void **state)
{
	(void)state;
	for (size_t i = 0; i < NVEC; i++) {
		const struct kbs_jwe_vector *v = &kbs_jwe_vectors[i];
		struct kbs_error err;
		uint8_t *out;
		size_t n;

		if (v->expect != KBS_E_NONE)
			continue;
		/* Exact fit (heap-allocated, so ASan sees any overrun). */
		out = malloc(v->plaintext_len ? v->plaintext_len : 1);
		assert_non_null(out);
		assert_int_equal(kbs_jwe_decrypt(&keys[v->curve], test_rng, NULL, v->jwe, strlen(v->jwe), out,
						 v->plaintext_len, &n, &err),
				 HUSK_OK);
		assert_memory_equal(out, v->plaintext, n);
		if (v->plaintext_len > 0) {
			assert_int_equal(kbs_jwe_decrypt(&keys[v->curve], test_rng, NULL, v->jwe, strlen(v->jwe), out,
							 v->plaintext_len - 1, &n, &err),
					 HUSK_ERR_RANGE);
			assert_int_equal(err.code, KBS_E_RESOURCE_SIZE);
			assert_int_equal(n, 0);
		}
		free(out);
	}
	/* An empty plaintext needs no buffer at all. */
	for (size_t i = 0; i < NVEC; i++) {
		const struct kbs_jwe_vector *v = &kbs_jwe_vectors[i];
		struct kbs_error err;
		size_t n = 1;

		if (v->expect == KBS_E_NONE && v->plaintext_len == 0) {
			assert_int_equal(kbs_jwe_decrypt(&keys[v->curve], test_rng, NULL, v->jwe, strlen(v->jwe), NULL, 0,
							 &n, &err),
					 HUSK_OK);
			assert_int_equal(n, 0);
		}
	}
}

static void test_bad_arguments(void **state)
{
	const struct kbs_jwe_vector *v = &kbs_jwe_vectors[0];
	struct kbs_key unset;
	struct kbs_error err;
	uint8_t out[256];
	size_t n;

	(void)state;
	memset(&unset, 0, sizeof(unset));
	assert_int_equal(kbs_jwe_decrypt(&unset, test_rng, NULL, v->jwe, strlen(v->jwe), out, sizeof(out), &n, &err),
			 HUSK_ERR_INVAL);
	assert_int_equal(err.code, KBS_E_ARG);
	assert_int_equal(kbs_jwe_decrypt(&keys[0], NULL, NULL, v->jwe, strlen(v->jwe), out, sizeof(out), &n, &err),
			 HUSK_ERR_INVAL);
	assert_int_equal(kbs_jwe_decrypt(&keys[0], test_rng, NULL, v->jwe, strlen(v->jwe), NULL, 10, &n, &err),
			 HUSK_ERR_INVAL);
	/* The RNG blinds the ECDH: its failure is reported, not ignored. */
	rng_fail = 1;
	assert_int_equal(kbs_jwe_decrypt(&keys[0], test_rng, NULL, v->jwe, strlen(v->jwe), out, sizeof(out), &n, &err),
			 HUSK_ERR_CRYPTO);
	assert_int_equal(err.code, KBS_E_CRYPTO);
	rng_fail = 0;
}

/* kbs-types' JWE strings: the members are found and decoded; the fake
 * algorithms are then refused. */
static void test_kbs_types_vectors(void **state)
{
	static const char *const texts[] = { kt_parse_response, kt_parse_response_nested_protected_header,
					     kt_parse_response_with_aad, kt_serialize_response };
	struct kbs_jwe_parts *p = malloc(sizeof(*p));
	struct kbs_error err;
	uint8_t raw[64];
	uint8_t out[64];
	size_t n;

	(void)state;
	assert_non_null(p);
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		if (kbs_jwe_parse(texts[i], strlen(texts[i]), p, &err) != HUSK_OK)
			fail_msg("vector %zu: %s", i, err.msg);
		assert_string_equal(p->alg, kt_expect_alg);
		assert_string_equal(p->enc, kt_expect_enc);
		assert_int_equal(kbs_b64url_decode(p->ek_b64, p->ek_len, raw, sizeof(raw), &n), HUSK_OK);
		assert_int_equal(n, strlen(kt_expect_encrypted_key));
		assert_memory_equal(raw, kt_expect_encrypted_key, n);
		assert_int_equal(kbs_b64url_decode(p->iv_b64, p->iv_len, raw, sizeof(raw), &n), HUSK_OK);
		assert_memory_equal(raw, kt_expect_iv, n);
		assert_int_equal(kbs_b64url_decode(p->ct_b64, p->ct_len, raw, sizeof(raw), &n), HUSK_OK);
		assert_memory_equal(raw, kt_expect_ciphertext, n);
		assert_int_equal(kbs_b64url_decode(p->tag_b64, p->tag_len, raw, sizeof(raw), &n), HUSK_OK);
		assert_memory_equal(raw, kt_expect_tag, n);
		assert_int_equal(kbs_jwe_decrypt(&keys[0], test_rng, NULL, texts[i], strlen(texts[i]), out, sizeof(out),
						 &n, &err),
				 HUSK_ERR_UNSUPPORTED);
		assert_int_equal(err.code, KBS_E_JWE_ALG);
	}
	/* The nested header's epk is read (and would be refused: OKP). */
	assert_int_equal(kbs_jwe_parse(texts[1], strlen(texts[1]), p, &err), HUSK_OK);
	assert_true(p->has_epk);
	assert_string_equal(p->epk_kty, "OKP");
	assert_string_equal(p->epk_crv, "X25519");
	assert_true(p->has_x);
	assert_int_equal(p->epk_x_len, 32);
	assert_false(p->has_y);
	assert_int_equal(p->header[p->header_len - 1], '\n');
	/* The AAD kbs-types computes for its header is the base64url of its JSON. */
	{
		char aad[128];

		assert_int_equal(kbs_b64url_encode((const uint8_t *)kt_aad_header_json, strlen(kt_aad_header_json), aad,
						   sizeof(aad), &n),
				 HUSK_OK);
		assert_string_equal(aad, kt_aad_expect);
		assert_int_equal(kbs_jwe_parse(kt_parse_response, strlen(kt_parse_response), p, &err), HUSK_OK);
		assert_int_equal(p->protected_len, strlen(kt_aad_expect));
		assert_memory_equal(p->protected_b64, kt_aad_expect, p->protected_len);
	}
	free(p);
}

/* ---- allocation failures inside mbedTLS ---- */


static void test_alloc_failures(void **state)
{
	const struct kbs_jwe_vector *v = &kbs_jwe_vectors[1]; /* P-521 */
	uint8_t out[256];
	struct kbs_key k;
	struct kbs_error err;
	long needed;
	size_t n;

	(void)state;
	assert_int_equal(v->curve, KBS_CURVE_P521);
	mbedtls_platform_set_calloc_free(alloc_count_calloc, alloc_count_free);
	alloc_calls = 0;
	alloc_fail_at = -1;
	assert_int_equal(kbs_jwe_decrypt(&keys[1], test_rng, NULL, v->jwe, strlen(v->jwe), out, sizeof(out), &n, &err),
			 HUSK_OK);
	needed = alloc_calls;
	assert_true(needed > 0);
	assert_int_equal(alloc_live, 0);
	for (alloc_fail_at = 0; alloc_fail_at < needed; alloc_fail_at++) {
		int rc;

		alloc_calls = 0;
		rc = kbs_jwe_decrypt(&keys[1], test_rng, NULL, v->jwe, strlen(v->jwe), out, sizeof(out), &n, &err);
		assert_int_not_equal(rc, HUSK_OK);
		assert_int_equal(err.code, KBS_E_CRYPTO);
		assert_int_equal(alloc_live, 0);
		assert_false(holds_plaintext(out, sizeof(out), v));
	}
	/* Key generation likewise. */
	alloc_calls = 0;
	alloc_fail_at = -1;
	assert_int_equal(kbs_key_generate(&k, KBS_CURVE_P256, test_rng, NULL, &err), HUSK_OK);
	needed = alloc_calls;
	for (alloc_fail_at = 0; alloc_fail_at < needed; alloc_fail_at++) {
		alloc_calls = 0;
		assert_int_not_equal(kbs_key_generate(&k, KBS_CURVE_P256, test_rng, NULL, &err), HUSK_OK);
		assert_int_equal(err.code, KBS_E_CRYPTO);
		assert_false(k.valid);
		assert_int_equal(alloc_live, 0);
	}
	mbedtls_platform_set_calloc_free(calloc, free);
	alloc_fail_at = -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_load),
		cmocka_unit_test(test_key_generate),
		cmocka_unit_test(test_concat_kdf),
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_messages),
		cmocka_unit_test(test_output_size),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_kbs_types_vectors),
		cmocka_unit_test(test_alloc_failures),
	};

	return cmocka_run_group_tests_name("kbs_jwe", tests, setup, teardown);
}
