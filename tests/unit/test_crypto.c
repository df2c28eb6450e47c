/* Unit tests for lib/crypto: every known-answer self-test as its own case, each
 * again with a corrupted vector (it must fail), the runner's contract, the
 * DRBG wrapper (determinism, chunking, entropy failures), the error mapping,
 * and allocation failure during the self-tests that allocate. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../common/alloc_count.h"

#include "crypto/crypto.h"
#include "husk/compiler.h"
#include "husk/err.h"

#include "mbedtls/bignum.h"
#include "mbedtls/ctr_drbg.h"
#include "mbedtls/ecp.h"
#include "mbedtls/gcm.h"
#include "mbedtls/rsa.h"

/* ---- Test allocator: counts live blocks, can fail the Nth allocation ---- */


static void alloc_reset(long fail)
{
	alloc_calls = 0;
	alloc_fail_at = fail;
}

/* ---- Entropy sources ---- */

/* Reproducible stand-in for a hardware source (tests only, not entropy). */
struct counter_entropy {
	uint64_t state;
	size_t bytes;
	int fail_with; /* nonzero: return this instead */
};

static int counter_entropy_read(void *ctx, uint8_t *buf, size_t len)
{
	struct counter_entropy *ce = ctx;
	size_t i;

	if (ce->fail_with)
		return ce->fail_with;
	for (i = 0; i < len; i++) {
		ce->state = ce->state * 6364136223846793005ull + 1442695040888963407ull;
		buf[i] = (uint8_t)(ce->state >> 56);
	}
	ce->bytes += len;
	return 0;
}

static struct counter_entropy env_entropy = { 0x6875736b, 0, 0 };

static const struct crypto_selftest_env env_ok = { counter_entropy_read, &env_entropy, 0 };
static const struct crypto_selftest_env env_fault = { counter_entropy_read, &env_entropy,
						      CRYPTO_SELFTEST_INJECT_FAULT };

static int setup_group(void **state)
{
	(void)state;
	return crypto_init(alloc_count_calloc, alloc_count_free) == HUSK_OK ? 0 : -1;
}

static int check_no_leak(void **state)
{
	(void)state;
	return alloc_live == 0 ? 0 : -1;
}

/* ---- One cmocka test per self-test case, and per corrupted case ---- */

static void test_selftest_case(void **state)
{
	size_t index = (size_t)(uintptr_t)*state;

	assert_int_equal(crypto_selftest_run_one(index, &env_ok), HUSK_OK);
	assert_int_equal(alloc_live, 0);
}

static void test_selftest_case_corrupted(void **state)
{
	size_t index = (size_t)(uintptr_t)*state;

	assert_int_equal(crypto_selftest_run_one(index, &env_fault), HUSK_ERR_CRYPTO);
	assert_int_equal(alloc_live, 0);
}

/* ---- The runner's contract ---- */

static void test_run_all(void **state)
{
	struct crypto_selftest_result res[CRYPTO_SELFTEST_MAX];
	size_t count = 99, i, j;

	(void)state;
	assert_true(crypto_selftest_count() > 0);
	assert_true(crypto_selftest_count() <= CRYPTO_SELFTEST_MAX);
	assert_int_equal(crypto_selftest_run(&env_ok, res, HUSK_ARRAY_SIZE(res), &count), HUSK_OK);
	assert_int_equal(count, crypto_selftest_count());
	for (i = 0; i < count; i++) {
		assert_int_equal(res[i].rc, HUSK_OK);
		assert_string_equal(res[i].name, crypto_selftest_name(i));
		/* KTAP-friendly: no spaces or '#', unique. */
		assert_null(strpbrk(res[i].name, " \t#"));
		for (j = 0; j < i; j++)
			assert_string_not_equal(res[i].name, res[j].name);
	}
}

static void test_run_all_corrupted(void **state)
{
	struct crypto_selftest_result res[CRYPTO_SELFTEST_MAX];
	size_t count = 0, i;

	(void)state;
	assert_int_equal(crypto_selftest_run(&env_fault, res, HUSK_ARRAY_SIZE(res), &count), HUSK_ERR_CRYPTO);
	assert_int_equal(count, crypto_selftest_count());
	for (i = 0; i < count; i++)
		assert_int_equal(res[i].rc, HUSK_ERR_CRYPTO);
}

static void test_run_bad_args(void **state)
{
	struct crypto_selftest_result res[CRYPTO_SELFTEST_MAX];
	size_t count = 7;

	(void)state;
	assert_int_equal(crypto_selftest_run(NULL, res, HUSK_ARRAY_SIZE(res), &count), HUSK_ERR_INVAL);
	assert_int_equal(crypto_selftest_run(&env_ok, NULL, HUSK_ARRAY_SIZE(res), &count), HUSK_ERR_INVAL);
	assert_int_equal(crypto_selftest_run(&env_ok, res, HUSK_ARRAY_SIZE(res), NULL), HUSK_ERR_INVAL);
	count = 7;
	assert_int_equal(crypto_selftest_run(&env_ok, res, crypto_selftest_count() - 1, &count), HUSK_ERR_RANGE);
	assert_int_equal(count, 0);
	assert_int_equal(crypto_selftest_run_one(crypto_selftest_count(), &env_ok), HUSK_ERR_INVAL);
	assert_int_equal(crypto_selftest_run_one(0, NULL), HUSK_ERR_INVAL);
	assert_null(crypto_selftest_name(crypto_selftest_count()));
	assert_null(crypto_selftest_name((size_t)-1));
}

/* Without an entropy source the randomized cases refuse to run; the pure
 * known-answer cases still pass.  A failing source's error comes back. */
static void test_run_without_entropy(void **state)
{
	const struct crypto_selftest_env none = { NULL, NULL, 0 };
	struct counter_entropy broken = { 1, 0, HUSK_ERR_TIMEOUT };
	const struct crypto_selftest_env failing = { counter_entropy_read, &broken, 0 };
	size_t i, refused = 0;

	(void)state;
	for (i = 0; i < crypto_selftest_count(); i++) {
		int rc = crypto_selftest_run_one(i, &none);

		assert_true(rc == HUSK_OK || rc == HUSK_ERR_INVAL);
		if (rc == HUSK_ERR_INVAL) {
			refused++;
			assert_int_equal(crypto_selftest_run_one(i, &failing), HUSK_ERR_TIMEOUT);
		} else {
			assert_int_equal(crypto_selftest_run_one(i, &failing), HUSK_OK);
		}
	}
	/* ecdsa rfc6979 sign (blinding), keygen, ecdh. */
	assert_int_equal(refused, 3);
	assert_int_equal(alloc_live, 0);
}

/* ---- Allocation failure: fail one allocation of a case, for many positions ---- */

static void fail_each_allocation(const char *name)
{
	size_t index, total;
	long k;

	for (index = 0; index < crypto_selftest_count(); index++)
		if (strcmp(crypto_selftest_name(index), name) == 0)
			break;
	assert_true(index < crypto_selftest_count());

	alloc_reset(-1);
	assert_int_equal(crypto_selftest_run_one(index, &env_ok), HUSK_OK);
	total = (size_t)alloc_calls;
	assert_true(total > 0);

	/* Every one of the first allocations, then about 64 spread over the
	 * rest (P-384 operations make thousands: mbedTLS grows MPIs often). */
	for (k = 0; k < (long)total; k += (k < 48) ? 1 : (long)(total / 64) + 1) {
		int rc;

		alloc_reset(k);
		rc = crypto_selftest_run_one(index, &env_ok);
		if (rc != HUSK_OK && rc != HUSK_ERR_NOMEM)
			fail_msg("%s: allocation %ld of %zu failed -> %s", name, k, total, husk_strerror(rc));
		assert_int_equal(alloc_live, 0);
	}
	alloc_reset(-1);
}

static void test_alloc_fail_rsa(void **state)
{
	(void)state;
	fail_each_allocation("rsa2048_pss_verify_cavp");
}

static void test_alloc_fail_ecdsa_sign(void **state)
{
	(void)state;
	fail_each_allocation("ecdsa_p384_rfc6979_sign");
}

static void test_alloc_fail_ecdsa_verify(void **state)
{
	(void)state;
	fail_each_allocation("ecdsa_p384_rfc6979_verify");
}

static void test_alloc_fail_ecdh(void **state)
{
	(void)state;
	fail_each_allocation("ecdh_p384_agree");
}

static void test_alloc_fail_gcm(void **state)
{
	(void)state;
	fail_each_allocation("aes256_gcm_bad_tag");
}

/* ---- DRBG wrapper ---- */

static void drbg_from_counter(struct crypto_drbg *drbg, uint64_t seed, const char *pers)
{
	static struct counter_entropy ce[4];
	static size_t next;
	struct counter_entropy *e = &ce[next++ % HUSK_ARRAY_SIZE(ce)];

	e->state = seed;
	e->bytes = 0;
	e->fail_with = 0;
	assert_int_equal(crypto_drbg_init(drbg, counter_entropy_read, e, pers, strlen(pers)), HUSK_OK);
	/* 256-bit entropy input plus 128-bit nonce. */
	assert_int_equal(e->bytes, 48);
}

static void test_drbg_deterministic(void **state)
{
	struct crypto_drbg a, b, c, d;
	uint8_t oa[64], ob[64], oc[64], od[64];

	(void)state;
	drbg_from_counter(&a, 1, "cpu0");
	drbg_from_counter(&b, 1, "cpu0");
	drbg_from_counter(&c, 1, "cpu1");
	drbg_from_counter(&d, 2, "cpu0");
	assert_int_equal(crypto_drbg_generate(&a, oa, sizeof(oa)), HUSK_OK);
	assert_int_equal(crypto_drbg_generate(&b, ob, sizeof(ob)), HUSK_OK);
	assert_int_equal(crypto_drbg_generate(&c, oc, sizeof(oc)), HUSK_OK);
	assert_int_equal(crypto_drbg_generate(&d, od, sizeof(od)), HUSK_OK);
	assert_memory_equal(oa, ob, sizeof(oa));
	assert_memory_not_equal(oa, oc, sizeof(oa)); /* personalization matters */
	assert_memory_not_equal(oa, od, sizeof(oa)); /* entropy matters */
	/* Successive outputs differ. */
	assert_int_equal(crypto_drbg_generate(&a, ob, sizeof(ob)), HUSK_OK);
	assert_memory_not_equal(oa, ob, sizeof(oa));
	crypto_drbg_free(&a);
	crypto_drbg_free(&b);
	crypto_drbg_free(&c);
	crypto_drbg_free(&d);
	assert_int_equal(alloc_live, 0);
}

/* One request longer than MBEDTLS_CTR_DRBG_MAX_REQUEST is the same as the
 * caller splitting it into maximal requests itself. */
static void test_drbg_long_request(void **state)
{
	enum { LEN = 3 * MBEDTLS_CTR_DRBG_MAX_REQUEST + 100 };
	static uint8_t one[LEN], split[LEN];
	struct crypto_drbg a, b;
	size_t pos;

	(void)state;
	drbg_from_counter(&a, 7, "long");
	drbg_from_counter(&b, 7, "long");
	assert_int_equal(crypto_drbg_generate(&a, one, LEN), HUSK_OK);
	for (pos = 0; pos < LEN; pos += MBEDTLS_CTR_DRBG_MAX_REQUEST)
		assert_int_equal(crypto_drbg_generate(&b, split + pos,
						      HUSK_MIN((size_t)LEN - pos, (size_t)MBEDTLS_CTR_DRBG_MAX_REQUEST)),
				 HUSK_OK);
	assert_memory_equal(one, split, LEN);
	/* The mbedTLS adapter does the same. */
	assert_int_equal(crypto_drbg_rng(&a, one, LEN), 0);
	for (pos = 0; pos < LEN; pos += MBEDTLS_CTR_DRBG_MAX_REQUEST)
		assert_int_equal(crypto_drbg_generate(&b, split + pos,
						      HUSK_MIN((size_t)LEN - pos, (size_t)MBEDTLS_CTR_DRBG_MAX_REQUEST)),
				 HUSK_OK);
	assert_memory_equal(one, split, LEN);
	assert_int_equal(crypto_drbg_generate(&a, NULL, 0), HUSK_OK);
	crypto_drbg_free(&a);
	crypto_drbg_free(&b);
}

static void test_drbg_entropy_failure(void **state)
{
	struct counter_entropy ce = { 3, 0, HUSK_ERR_TIMEOUT };
	struct crypto_drbg drbg;
	uint8_t out[16];

	(void)state;
	/* Instantiation fails with the source's own error and leaves it unusable. */
	assert_int_equal(crypto_drbg_init(&drbg, counter_entropy_read, &ce, "x", 1), HUSK_ERR_TIMEOUT);
	assert_false(drbg.ready);
	assert_int_equal(crypto_drbg_generate(&drbg, out, sizeof(out)), HUSK_ERR_INVAL);
	assert_int_equal(crypto_drbg_reseed(&drbg, NULL, 0), HUSK_ERR_INVAL);
	assert_int_equal(crypto_drbg_rng(&drbg, out, sizeof(out)), MBEDTLS_ERR_CTR_DRBG_ENTROPY_SOURCE_FAILED);
	crypto_drbg_free(&drbg);

	/* An out-of-range error from the source becomes HUSK_ERR_IO. */
	ce.fail_with = -5;
	assert_int_equal(crypto_drbg_init(&drbg, counter_entropy_read, &ce, NULL, 0), HUSK_ERR_IO);
	crypto_drbg_free(&drbg);

	/* A reseed that fails reports the source's error; the DRBG works again
	 * once the source recovers. */
	ce.fail_with = 0;
	assert_int_equal(crypto_drbg_init(&drbg, counter_entropy_read, &ce, NULL, 0), HUSK_OK);
	ce.fail_with = HUSK_ERR_BUSY;
	assert_int_equal(crypto_drbg_reseed(&drbg, "more", 4), HUSK_ERR_BUSY);
	ce.fail_with = 0;
	assert_int_equal(crypto_drbg_reseed(&drbg, "more", 4), HUSK_OK);
	assert_int_equal(crypto_drbg_generate(&drbg, out, sizeof(out)), HUSK_OK);

	/* Prediction resistance forces a reseed per request: a failing source
	 * then fails generate, and the output is wiped. */
	mbedtls_ctr_drbg_set_prediction_resistance(&drbg.ctr, MBEDTLS_CTR_DRBG_PR_ON);
	ce.fail_with = HUSK_ERR_IO;
	memset(out, 0xee, sizeof(out));
	assert_int_equal(crypto_drbg_generate(&drbg, out, sizeof(out)), HUSK_ERR_IO);
	for (size_t i = 0; i < sizeof(out); i++)
		assert_int_equal(out[i], 0);
	crypto_drbg_free(&drbg);
	assert_int_equal(alloc_live, 0);
}

static void test_drbg_bad_args(void **state)
{
	struct counter_entropy ce = { 3, 0, 0 };
	struct crypto_drbg drbg;
	static uint8_t big[MBEDTLS_CTR_DRBG_MAX_SEED_INPUT + 1];

	(void)state;
	assert_int_equal(crypto_drbg_init(NULL, counter_entropy_read, &ce, NULL, 0), HUSK_ERR_INVAL);
	assert_int_equal(crypto_drbg_init(&drbg, NULL, &ce, NULL, 0), HUSK_ERR_INVAL);
	crypto_drbg_free(&drbg);
	assert_int_equal(crypto_drbg_init(&drbg, counter_entropy_read, &ce, NULL, 4), HUSK_ERR_INVAL);
	crypto_drbg_free(&drbg);
	/* Personalization longer than the DRBG accepts. */
	assert_int_equal(crypto_drbg_init(&drbg, counter_entropy_read, &ce, big, sizeof(big)), HUSK_ERR_INVAL);
	crypto_drbg_free(&drbg);
	assert_int_equal(crypto_drbg_generate(NULL, big, 1), HUSK_ERR_INVAL);
	assert_int_equal(crypto_drbg_rng(NULL, big, 1), MBEDTLS_ERR_CTR_DRBG_ENTROPY_SOURCE_FAILED);
	crypto_drbg_free(NULL);

	assert_int_equal(crypto_drbg_init(&drbg, counter_entropy_read, &ce, NULL, 0), HUSK_OK);
	assert_int_equal(crypto_drbg_generate(&drbg, NULL, 1), HUSK_ERR_INVAL);
	assert_int_equal(crypto_drbg_reseed(&drbg, NULL, 1), HUSK_ERR_INVAL);
	crypto_drbg_free(&drbg);
	assert_false(drbg.ready);
}

/* ---- Set-up, error mapping, wipe ---- */

static void test_init_args(void **state)
{
	(void)state;
	assert_int_equal(crypto_init(NULL, alloc_count_free), HUSK_ERR_INVAL);
	assert_int_equal(crypto_init(alloc_count_calloc, NULL), HUSK_ERR_INVAL);
	assert_int_equal(crypto_init(alloc_count_calloc, alloc_count_free), HUSK_OK);
}

static void test_err_mapping(void **state)
{
	(void)state;
	assert_int_equal(crypto_err_from_mbedtls(0), HUSK_OK);
	assert_int_equal(crypto_err_from_mbedtls(MBEDTLS_ERR_MPI_ALLOC_FAILED), HUSK_ERR_NOMEM);
	assert_int_equal(crypto_err_from_mbedtls(MBEDTLS_ERR_ECP_ALLOC_FAILED), HUSK_ERR_NOMEM);
	/* High-level code plus the low-level one that caused it. */
	assert_int_equal(crypto_err_from_mbedtls(MBEDTLS_ERR_RSA_PUBLIC_FAILED + MBEDTLS_ERR_MPI_ALLOC_FAILED),
			 HUSK_ERR_NOMEM);
	assert_int_equal(crypto_err_from_mbedtls(MBEDTLS_ERR_ECP_BAD_INPUT_DATA), HUSK_ERR_INVAL);
	assert_int_equal(crypto_err_from_mbedtls(MBEDTLS_ERR_MPI_BAD_INPUT_DATA), HUSK_ERR_INVAL);
	assert_int_equal(crypto_err_from_mbedtls(MBEDTLS_ERR_GCM_AUTH_FAILED), HUSK_ERR_CRYPTO);
	assert_int_equal(crypto_err_from_mbedtls(MBEDTLS_ERR_ECP_VERIFY_FAILED), HUSK_ERR_CRYPTO);
	assert_int_equal(crypto_err_from_mbedtls(MBEDTLS_ERR_RSA_VERIFY_FAILED), HUSK_ERR_CRYPTO);
	assert_int_equal(crypto_err_from_mbedtls(1), HUSK_ERR_CRYPTO);
	assert_int_equal(crypto_err_from_mbedtls(-0x8000), HUSK_ERR_CRYPTO);
	assert_int_equal(crypto_err_from_mbedtls(INT32_MIN), HUSK_ERR_CRYPTO);
}

static void test_wipe(void **state)
{
	uint8_t buf[37];
	size_t i;

	(void)state;
	memset(buf, 0x5a, sizeof(buf));
	crypto_wipe(buf, sizeof(buf));
	for (i = 0; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0);
	crypto_wipe(NULL, 0);
}

static const struct CMUnitTest fixed_tests[] = {
	cmocka_unit_test(test_init_args),
	cmocka_unit_test(test_err_mapping),
	cmocka_unit_test(test_wipe),
	cmocka_unit_test(test_run_all),
	cmocka_unit_test(test_run_all_corrupted),
	cmocka_unit_test(test_run_bad_args),
	cmocka_unit_test(test_run_without_entropy),
	cmocka_unit_test(test_drbg_deterministic),
	cmocka_unit_test(test_drbg_long_request),
	cmocka_unit_test(test_drbg_entropy_failure),
	cmocka_unit_test(test_drbg_bad_args),
	cmocka_unit_test(test_alloc_fail_gcm),
	cmocka_unit_test(test_alloc_fail_rsa),
	cmocka_unit_test(test_alloc_fail_ecdsa_sign),
	cmocka_unit_test(test_alloc_fail_ecdsa_verify),
	cmocka_unit_test(test_alloc_fail_ecdh),
};

#define MAX_TESTS (2 * CRYPTO_SELFTEST_MAX + HUSK_ARRAY_SIZE(fixed_tests))

int main(void)
{
	static struct CMUnitTest tests[MAX_TESTS];
	static char names[CRYPTO_SELFTEST_MAX][80];
	size_t n = 0, i, cases = crypto_selftest_count();

	if (cases > CRYPTO_SELFTEST_MAX)
		return 1;
	for (i = 0; i < cases; i++) {
		tests[n].name = crypto_selftest_name(i);
		tests[n].test_func = test_selftest_case;
		tests[n].initial_state = (void *)(uintptr_t)i;
		n++;
	}
	for (i = 0; i < cases; i++) {
		snprintf(names[i], sizeof(names[i]), "%s_corrupted", crypto_selftest_name(i));
		tests[n].name = names[i];
		tests[n].test_func = test_selftest_case_corrupted;
		tests[n].initial_state = (void *)(uintptr_t)i;
		n++;
	}
	for (i = 0; i < HUSK_ARRAY_SIZE(fixed_tests); i++)
		tests[n++] = fixed_tests[i];
	return _cmocka_run_group_tests("crypto", tests, n, setup_group, check_no_leak);
}
