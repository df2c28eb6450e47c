/* Unit tests for lib/crypto/sha_x86.c: SHA-1 and SHA-256 block compression with the x86 SHA
 * extensions and its portable C fallback, each path on its own.
 *
 * Every case runs once per path: through mbedTLS (mbedtls_sha*_update with
 * the path forced by crypto_sha_x86_select) and through the block functions
 * called directly with this file's own padding (the only way to reach their
 * multi-block loops; mbedTLS passes one block at a time).  Known answers are
 * FIPS 180 examples, the 1,000,000 x 'a' messages, and a digest over the
 * digests of every length 0..300 computed with Python's hashlib (OpenSSL);
 * random messages in random pieces and random block runs compare the two
 * paths with each other.  On a CPU without SHA-NI the SHA-NI cases are not
 * registered (a "# SKIP" line says so) and the C cases still run.
 * HUSK_TEST_NO_SHANI=1 pretends the CPU has no SHA-NI. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/crypto.h"
#include "crypto/sha_x86.h"
#include "husk/err.h"

#include "mbedtls/sha1.h"
#include "mbedtls/sha256.h"

#if defined(MBEDTLS_SHA256_PROCESS_ALT) && defined(MBEDTLS_SHA1_PROCESS_ALT)

/* ---- Helpers ---- */

enum alg { ALG_SHA1, ALG_SHA224, ALG_SHA256 };
static const enum alg all_algs[] = { ALG_SHA1, ALG_SHA224, ALG_SHA256 };

static size_t alg_len(enum alg alg)
{
	return alg == ALG_SHA1 ? 20 : alg == ALG_SHA224 ? 28 : 32;
}

static const char *alg_name(enum alg alg)
{
	return alg == ALG_SHA1 ? "SHA-1" : alg == ALG_SHA224 ? "SHA-224" : "SHA-256";
}

static const char *impl_name(enum crypto_sha_impl impl)
{
	return impl == CRYPTO_SHA_IMPL_SHANI ? "SHA-NI" : "portable";
}

/* cmocka state: a pointer to one of these */
static enum crypto_sha_impl impl_portable = CRYPTO_SHA_IMPL_PORTABLE;
static enum crypto_sha_impl impl_shani = CRYPTO_SHA_IMPL_SHANI;

static enum crypto_sha_impl state_impl(void **state)
{
	enum crypto_sha_impl impl = *(enum crypto_sha_impl *)*state;

	assert_int_equal(crypto_sha_x86_select(impl), HUSK_OK);
	assert_int_equal(crypto_sha_x86_active(), impl);
	return impl;
}

static int restore_auto(void **state)
{
	(void)state;
	return crypto_sha_x86_select(CRYPTO_SHA_IMPL_AUTO) == HUSK_OK ? 0 : -1;
}

/* Deterministic test data (splitmix64); not a secret, not entropy. */
static uint64_t rng_state;

static uint64_t rng_next(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void rng_fill(uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)rng_next();
}

static void store_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

static void blocks(enum crypto_sha_impl impl, enum alg alg, uint32_t *st, const uint8_t *data,
		   size_t n)
{
	bool ni = impl == CRYPTO_SHA_IMPL_SHANI;

	if (alg == ALG_SHA1)
		(ni ? crypto_sha1_blocks_shani : crypto_sha1_blocks_portable)(st, data, n);
	else
		(ni ? crypto_sha256_blocks_shani : crypto_sha256_blocks_portable)(st, data, n);
}

/* The whole hash through one block function, padded here (FIPS 180-4 5.1.1):
 * all full blocks of msg in one call, then the one or two padding blocks in
 * a second. */
static void hash_direct(enum crypto_sha_impl impl, enum alg alg, const uint8_t *msg, size_t len,
			uint8_t *out)
{
	static const uint32_t iv1[5] = { 0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0 };
	static const uint32_t iv224[8] = { 0xc1059ed8, 0x367cd507, 0x3070dd17, 0xf70e5939,
					   0xffc00b31, 0x68581511, 0x64f98fa7, 0xbefa4fa4 };
	static const uint32_t iv256[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
					   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
	uint32_t st[8];
	uint8_t tail[128] = { 0 };
	size_t full = len / 64, rest = len % 64, tail_len = rest < 56 ? 64 : 128;
	uint64_t bits = (uint64_t)len * 8;

	memcpy(st, alg == ALG_SHA1 ? iv1 : alg == ALG_SHA224 ? iv224 : iv256,
	       alg == ALG_SHA1 ? sizeof(iv1) : sizeof(iv256));
	if (full)
		blocks(impl, alg, st, msg, full);
	if (rest)
		memcpy(tail, msg + full * 64, rest);
	tail[rest] = 0x80;
	store_be32(tail + tail_len - 8, (uint32_t)(bits >> 32));
	store_be32(tail + tail_len - 4, (uint32_t)bits);
	blocks(impl, alg, st, tail, tail_len / 64);
	for (size_t i = 0; i < alg_len(alg) / 4; i++)
		store_be32(out + 4 * i, st[i]);
}

/* Through mbedTLS with whatever path is selected, in pieces of at most
 * `piece` bytes (0: one call). */
static void hash_mbedtls(enum alg alg, const uint8_t *msg, size_t len, size_t piece, uint8_t *out)
{
	size_t off = 0, n;

	if (piece == 0)
		piece = len ? len : 1;
	if (alg == ALG_SHA1) {
		mbedtls_sha1_context c;

		mbedtls_sha1_init(&c);
		assert_int_equal(mbedtls_sha1_starts(&c), 0);
		for (; off < len; off += n) {
			n = len - off < piece ? len - off : piece;
			assert_int_equal(mbedtls_sha1_update(&c, msg + off, n), 0);
		}
		assert_int_equal(mbedtls_sha1_finish(&c, out), 0);
		mbedtls_sha1_free(&c);
	} else {
		mbedtls_sha256_context c;

		mbedtls_sha256_init(&c);
		assert_int_equal(mbedtls_sha256_starts(&c, alg == ALG_SHA224), 0);
		for (; off < len; off += n) {
			n = len - off < piece ? len - off : piece;
			assert_int_equal(mbedtls_sha256_update(&c, msg + off, n), 0);
		}
		assert_int_equal(mbedtls_sha256_finish(&c, out), 0);
		mbedtls_sha256_free(&c);
	}
}

static void hex_to_bytes(const char *hex, uint8_t *out, size_t len)
{
	assert_int_equal(strlen(hex), 2 * len);
	for (size_t i = 0; i < len; i++) {
		unsigned int v;

		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
}

/* Checks msg against an expected digest both ways: mbedTLS (one call, and
 * in 1- and 7-byte pieces for short messages, 1000-byte for long) and the
 * block function directly. */
static void check_known(enum crypto_sha_impl impl, enum alg alg, const void *msg, size_t len,
			const char *hex)
{
	uint8_t want[32], got[32];
	size_t dlen = alg_len(alg);

	hex_to_bytes(hex, want, dlen);
	hash_mbedtls(alg, msg, len, 0, got);
	assert_memory_equal(got, want, dlen);
	if (len <= 4096) {
		hash_mbedtls(alg, msg, len, 1, got);
		assert_memory_equal(got, want, dlen);
		hash_mbedtls(alg, msg, len, 7, got);
		assert_memory_equal(got, want, dlen);
	} else {
		hash_mbedtls(alg, msg, len, 1000, got);
		assert_memory_equal(got, want, dlen);
	}
	memset(got, 0, sizeof(got));
	hash_direct(impl, alg, msg, len, got);
	if (memcmp(got, want, dlen) != 0)
		fail_msg("%s %s direct, %zu-byte message: wrong digest", impl_name(impl), alg_name(alg), len);
}

/* ---- FIPS 180 examples ---- */

static const char m448[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
static const char m896[] = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
			   "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";

static void test_fips180_examples(void **state)
{
	enum crypto_sha_impl impl = state_impl(state);

	check_known(impl, ALG_SHA1, "", 0, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
	check_known(impl, ALG_SHA1, "abc", 3, "a9993e364706816aba3e25717850c26c9cd0d89d");
	check_known(impl, ALG_SHA1, m448, 56, "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
	check_known(impl, ALG_SHA1, m896, 112, "a49b2446a02c645bf419f995b67091253a04a259");

	check_known(impl, ALG_SHA224, "abc", 3,
		    "23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7");
	check_known(impl, ALG_SHA224, m448, 56,
		    "75388b16512776cc5dba5da1fd890150b0c6455cb4f58b1952522525");

	check_known(impl, ALG_SHA256, "", 0,
		    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	check_known(impl, ALG_SHA256, "abc", 3,
		    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	check_known(impl, ALG_SHA256, m448, 56,
		    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	check_known(impl, ALG_SHA256, m896, 112,
		    "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

/* 1,000,000 x 'a': 15,625 blocks in one direct call. */
static void test_million_a(void **state)
{
	enum crypto_sha_impl impl = state_impl(state);
	size_t len = 1000000;
	uint8_t *msg = malloc(len);

	assert_non_null(msg);
	memset(msg, 'a', len);
	check_known(impl, ALG_SHA1, msg, len, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
	check_known(impl, ALG_SHA224, msg, len,
		    "20794655980c91d8bbb4c1ea97618a4bf03f42581948b2ee4ee7ad67");
	check_known(impl, ALG_SHA256, msg, len,
		    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	free(msg);
}

/* Every length 0..300 (every padding case, up to five blocks): message n is
 * bytes (i * 131 + n) & 0xff.  Each digest must agree between mbedTLS and
 * the direct call, and the digest of all 301 digests concatenated must match
 * what hashlib computed:
 *   b''.join(H(bytes((i*131+n) & 255 for i in range(n))).digest()
 *            for n in range(301))  hashed again with H. */
static void test_all_lengths(void **state)
{
	static const struct {
		enum alg alg;
		const char *hex;
	} want[] = {
		{ ALG_SHA1, "5e16bd00752fbe7fff9f54abad42aa45be75790a" },
		{ ALG_SHA224, "b721ff490da7a12d561a98a37fffce4f5e3d7829d2b7f4dbea581efc" },
		{ ALG_SHA256, "03b92e21c6feaddd5442a6a5b61be4911b8ae553ad50e890f317c3ae324a0278" },
	};
	enum crypto_sha_impl impl = state_impl(state);
	uint8_t msg[300], d1[32], d2[32], all[301 * 32];

	for (size_t a = 0; a < sizeof(want) / sizeof(want[0]); a++) {
		enum alg alg = want[a].alg;
		size_t dlen = alg_len(alg);

		for (size_t n = 0; n <= 300; n++) {
			for (size_t i = 0; i < n; i++)
				msg[i] = (uint8_t)(i * 131 + n);
			hash_mbedtls(alg, msg, n, 0, d1);
			hash_direct(impl, alg, msg, n, d2);
			if (memcmp(d1, d2, dlen) != 0)
				fail_msg("%s %s, length %zu: mbedTLS and direct disagree", impl_name(impl),
					 alg_name(alg), n);
			memcpy(all + n * dlen, d1, dlen);
		}
		check_known(impl, alg, all, 301 * dlen, want[a].hex);
	}
}

/* Random messages fed to mbedTLS in random pieces (0 to 200 bytes, now and
 * then a few KiB), against the one-shot direct hash of both paths. */
static void test_random_chunks(void **state)
{
	enum crypto_sha_impl impl = state_impl(state);
	bool shani = crypto_sha_x86_cpu_has_shani() && !getenv("HUSK_TEST_NO_SHANI");
	uint8_t *msg = malloc(20000);
	uint8_t got[32], want_c[32], want_ni[32];

	assert_non_null(msg);
	rng_state = 0x5ea5eed5 + (uint64_t)impl;
	for (int iter = 0; iter < 400; iter++) {
		enum alg alg = all_algs[rng_next() % 3];
		size_t dlen = alg_len(alg);
		size_t len = iter < 300 ? rng_next() % 1500 : rng_next() % 20000;
		size_t off = 0;

		rng_fill(msg, len);
		if (alg == ALG_SHA1) {
			mbedtls_sha1_context c;

			mbedtls_sha1_init(&c);
			assert_int_equal(mbedtls_sha1_starts(&c), 0);
			while (off < len) {
				size_t n = rng_next() % 16 == 0 ? rng_next() % 5000 : rng_next() % 201;

				n = n > len - off ? len - off : n;
				assert_int_equal(mbedtls_sha1_update(&c, msg + off, n), 0);
				off += n;
			}
			assert_int_equal(mbedtls_sha1_finish(&c, got), 0);
			mbedtls_sha1_free(&c);
		} else {
			mbedtls_sha256_context c;

			mbedtls_sha256_init(&c);
			assert_int_equal(mbedtls_sha256_starts(&c, alg == ALG_SHA224), 0);
			while (off < len) {
				size_t n = rng_next() % 16 == 0 ? rng_next() % 5000 : rng_next() % 201;

				n = n > len - off ? len - off : n;
				assert_int_equal(mbedtls_sha256_update(&c, msg + off, n), 0);
				off += n;
			}
			assert_int_equal(mbedtls_sha256_finish(&c, got), 0);
			mbedtls_sha256_free(&c);
		}
		hash_direct(CRYPTO_SHA_IMPL_PORTABLE, alg, msg, len, want_c);
		if (memcmp(got, want_c, dlen) != 0)
			fail_msg("%s %s, %zu random bytes in pieces: differs from portable one-shot",
				 impl_name(impl), alg_name(alg), len);
		if (shani) {
			hash_direct(CRYPTO_SHA_IMPL_SHANI, alg, msg, len, want_ni);
			if (memcmp(got, want_ni, dlen) != 0)
				fail_msg("%s %s, %zu random bytes in pieces: differs from SHA-NI one-shot",
					 impl_name(impl), alg_name(alg), len);
		}
	}
	free(msg);
}

/* The block functions themselves, SHA-NI against portable: random chaining
 * states (not just the IVs) and runs of 1..9 random blocks at unaligned
 * addresses. */
static void test_blocks_cross(void **state)
{
	uint8_t buf[9 * 64 + 15];

	(void)state;
	rng_state = 0xb10c5;
	for (int iter = 0; iter < 20000; iter++) {
		enum alg alg = iter & 1 ? ALG_SHA1 : ALG_SHA256;
		size_t words = alg == ALG_SHA1 ? 5 : 8;
		size_t n = 1 + rng_next() % 9, skew = rng_next() % 16;
		uint32_t s_c[8], s_ni[8];

		for (size_t i = 0; i < words; i++)
			s_c[i] = s_ni[i] = (uint32_t)rng_next();
		rng_fill(buf + skew, n * 64);
		blocks(CRYPTO_SHA_IMPL_PORTABLE, alg, s_c, buf + skew, n);
		blocks(CRYPTO_SHA_IMPL_SHANI, alg, s_ni, buf + skew, n);
		if (memcmp(s_c, s_ni, words * 4) != 0)
			fail_msg("%s, %zu blocks, iteration %d: SHA-NI and portable disagree",
				 alg_name(alg), n, iter);
	}
}

/* lib/crypto's own known-answer self-tests (hashes, HMAC, HKDF, RSA, ECDSA
 * with SHA-256/384) pass on this path too. */
static int selftest_entropy(void *ctx, uint8_t *buf, size_t len)
{
	(void)ctx;
	rng_fill(buf, len);
	return 0;
}

static void test_crypto_selftests(void **state)
{
	struct crypto_selftest_env env = { .entropy = selftest_entropy };
	struct crypto_selftest_result res[CRYPTO_SELFTEST_MAX];
	size_t count = 0;
	int rc;

	state_impl(state);
	rc = crypto_selftest_run(&env, res, CRYPTO_SELFTEST_MAX, &count);
	for (size_t i = 0; i < count; i++)
		if (res[i].rc != HUSK_OK)
			print_error("self-test %s: %s\n", res[i].name, husk_strerror(res[i].rc));
	assert_int_equal(rc, HUSK_OK);
	assert_true(count > 0);
}

/* crypto_sha_x86_select's contract. */
static void test_select(void **state)
{
	bool has = crypto_sha_x86_cpu_has_shani();
	enum crypto_sha_impl best = has ? CRYPTO_SHA_IMPL_SHANI : CRYPTO_SHA_IMPL_PORTABLE;

	(void)state;
	assert_int_equal(crypto_sha_x86_select(CRYPTO_SHA_IMPL_AUTO), HUSK_OK);
	assert_int_equal(crypto_sha_x86_active(), best);
	assert_int_equal(crypto_sha_x86_select(CRYPTO_SHA_IMPL_PORTABLE), HUSK_OK);
	assert_int_equal(crypto_sha_x86_active(), CRYPTO_SHA_IMPL_PORTABLE);
	/* Refused without SHA-NI, and the portable choice stays. */
	assert_int_equal(crypto_sha_x86_select(CRYPTO_SHA_IMPL_SHANI),
			 has ? HUSK_OK : HUSK_ERR_UNSUPPORTED);
	assert_int_equal(crypto_sha_x86_active(), best);
	assert_int_equal(crypto_sha_x86_select((enum crypto_sha_impl)7), HUSK_ERR_INVAL);
	assert_int_equal(crypto_sha_x86_select(CRYPTO_SHA_IMPL_AUTO), HUSK_OK);
}

/* Named by path, so the TAP lines of the two halves differ. */
#define PATH_TEST(f, path)                                                                \
	{                                                                                 \
		.name = #f "_" #path, .test_func = f, .teardown_func = restore_auto,      \
		.initial_state = &impl_##path                                             \
	}

int main(void)
{
	const struct CMUnitTest portable_tests[] = {
		cmocka_unit_test(test_select),
		PATH_TEST(test_fips180_examples, portable),
		PATH_TEST(test_million_a, portable),
		PATH_TEST(test_all_lengths, portable),
		PATH_TEST(test_random_chunks, portable),
		PATH_TEST(test_crypto_selftests, portable),
	};
	const struct CMUnitTest all_tests[] = {
		cmocka_unit_test(test_select),
		PATH_TEST(test_fips180_examples, portable),
		PATH_TEST(test_million_a, portable),
		PATH_TEST(test_all_lengths, portable),
		PATH_TEST(test_random_chunks, portable),
		PATH_TEST(test_crypto_selftests, portable),
		PATH_TEST(test_fips180_examples, shani),
		PATH_TEST(test_million_a, shani),
		PATH_TEST(test_all_lengths, shani),
		PATH_TEST(test_random_chunks, shani),
		PATH_TEST(test_crypto_selftests, shani),
		cmocka_unit_test(test_blocks_cross),
	};

	if (!crypto_sha_x86_cpu_has_shani() || getenv("HUSK_TEST_NO_SHANI")) {
		printf("# SKIP SHA-NI half: %s; testing the portable path only\n",
		       crypto_sha_x86_cpu_has_shani() ? "HUSK_TEST_NO_SHANI is set"
						      : "this CPU has no SHA extensions (CPUID.7.0:EBX[29])");
		fflush(stdout);
		return cmocka_run_group_tests(portable_tests, NULL, NULL);
	}
	return cmocka_run_group_tests(all_tests, NULL, NULL);
}

#else /* no PROCESS_ALT in this build (not x86-64): nothing to test */

static void test_not_x86(void **state)
{
	(void)state;
	print_message("# SKIP sha_x86 is not built on this architecture\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_not_x86) };

	return cmocka_run_group_tests(tests, NULL, NULL);
}

#endif
