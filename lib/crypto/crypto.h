/* Portable glue between husk and mbedTLS: allocator set-up, a DRBG seeded by the caller, known-answer self-tests.
 *
 * Knows nothing about the kernel: the caller supplies the allocator
 * (crypto_init) and the entropy source (crypto_drbg_init, the self-test env).
 * Built freestanding for the kernel and hosted for tools and unit tests.
 * mbedTLS itself is used directly by callers; its config is
 * lib/crypto/husk_mbedtls_config.h.  See docs/crypto.md. */
#ifndef HUSK_CRYPTO_H
#define HUSK_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mbedtls/ctr_drbg.h"

/* Every user of mbedTLS must see husk's config (structure layouts depend on
 * it); mk/mbedtls.mk passes it to all builds. */
#ifndef HUSK_MBEDTLS_CONFIG_H
#error "mbedTLS headers included without -DMBEDTLS_CONFIG_FILE=\"crypto/husk_mbedtls_config.h\""
#endif

/* ---- Set-up ---- */

typedef void *(*crypto_calloc_fn)(size_t n, size_t size);
typedef void (*crypto_free_fn)(void *p);

/* Fills buf with len bytes of full entropy; returns 0 or a husk_err code.
 * Called with the ctx given to crypto_drbg_init / the self-test env. */
typedef int (*crypto_entropy_fn)(void *ctx, uint8_t *buf, size_t len);

/* Routes every mbedTLS allocation to calloc_fn/free_fn.  calloc_fn must
 * return zeroed memory, return NULL when n * size overflows or memory is
 * short, and be callable from every context that uses mbedTLS.  Call once,
 * before any other crypto or mbedTLS function (in the kernel, until this
 * runs every mbedTLS allocation fails).  Returns HUSK_ERR_INVAL for NULL. */
int crypto_init(crypto_calloc_fn calloc_fn, crypto_free_fn free_fn);

/* Maps an mbedTLS error code (negative, possibly high+low level combined)
 * to a husk_err: 0 -> HUSK_OK, allocation failures -> HUSK_ERR_NOMEM,
 * bad-input errors -> HUSK_ERR_INVAL, anything else -> HUSK_ERR_CRYPTO. */
int crypto_err_from_mbedtls(int mbedtls_rc);

/* Zeroes a secret in a way the compiler cannot elide. */
void crypto_wipe(void *p, size_t len);

/* ---- Deterministic random bit generator ----
 *
 * NIST SP 800-90A CTR_DRBG with AES-256 and derivation function, from
 * mbedTLS.  Seeded with 256 bits of entropy plus a 128-bit nonce, both read
 * from the caller's callback; reseeds itself from the callback every
 * MBEDTLS_CTR_DRBG_RESEED_INTERVAL requests.  Not thread-safe: one instance
 * per CPU or a caller-held lock. */
struct crypto_drbg {
	mbedtls_ctr_drbg_context ctr;
	crypto_entropy_fn entropy;
	void *entropy_ctx;
	int entropy_err; /* husk_err from the last failed callback, else 0 */
	bool ready;
};

/* Instantiates drbg, which must then stay where it is (mbedTLS keeps a
 * pointer to it for reseeding) until crypto_drbg_free.  pers (personalization, may be NULL if pers_len is 0)
 * should differ between instances, e.g. a CPU number or a purpose string.
 * Returns the callback's error if it failed, HUSK_ERR_INVAL for bad
 * arguments, HUSK_ERR_NOMEM or HUSK_ERR_CRYPTO.  On failure drbg is left
 * unusable but safe to pass to crypto_drbg_free. */
int crypto_drbg_init(struct crypto_drbg *drbg, crypto_entropy_fn entropy, void *entropy_ctx,
		     const void *pers, size_t pers_len);

/* Writes len random bytes to out (any length; split into requests of at
 * most MBEDTLS_CTR_DRBG_MAX_REQUEST internally).  On failure out is zeroed. */
int crypto_drbg_generate(struct crypto_drbg *drbg, void *out, size_t len);

/* Reseeds from the entropy callback now, mixing in optional additional input. */
int crypto_drbg_reseed(struct crypto_drbg *drbg, const void *additional, size_t len);

/* Wipes the state.  Safe on a zeroed or failed-to-init drbg. */
void crypto_drbg_free(struct crypto_drbg *drbg);

/* mbedTLS f_rng adapter: pass crypto_drbg_rng and the struct crypto_drbg *
 * to mbedTLS functions that take (f_rng, p_rng).  Returns mbedTLS error
 * codes (0 or negative), as mbedTLS expects. */
int crypto_drbg_rng(void *drbg, unsigned char *out, size_t len);

/* ---- Known-answer self-tests (selftest.c) ----
 *
 * Each case checks mbedTLS, as built into this binary, against vectors
 * from the published standards (FIPS 180, FIPS 197, SP 800-38A/D, RFC 3394,
 * RFC 4231, RFC 5869, NIST DRBG examples, NIST CAVP, RFC 6979), including
 * negative checks (a wrong tag or signature must be refused). */

#define CRYPTO_SELFTEST_MAX 32 /* upper bound of crypto_selftest_count() */

/* Flips one bit of each case's published expected data, so every case must
 * fail: lets a test prove that the self-tests can fail at all. */
#define CRYPTO_SELFTEST_INJECT_FAULT (1u << 0)

struct crypto_selftest_env {
	crypto_entropy_fn entropy; /* seeds the DRBG of the randomized cases */
	void *entropy_ctx;
	uint32_t flags; /* CRYPTO_SELFTEST_* */
};

struct crypto_selftest_result {
	const char *name; /* static, stable, no spaces: usable as a KTAP test name */
	int rc;           /* HUSK_OK if the case passed, else a husk_err code */
};

size_t crypto_selftest_count(void);

/* Name of case index, or NULL if index >= crypto_selftest_count(). */
const char *crypto_selftest_name(size_t index);

/* Runs one case: HUSK_OK if it passed; HUSK_ERR_CRYPTO if an answer was
 * wrong; HUSK_ERR_NOMEM, the entropy callback's error, or HUSK_ERR_INVAL
 * (bad index or env) if it could not run. */
int crypto_selftest_run_one(size_t index, const struct crypto_selftest_env *env);

/* Runs every case, in order, even after a failure, and records each in
 * results[0 .. *count-1].  Returns HUSK_OK if all passed, HUSK_ERR_CRYPTO if
 * any failed (see results), HUSK_ERR_INVAL for NULL arguments and
 * HUSK_ERR_RANGE, having run nothing, if max < crypto_selftest_count(). */
int crypto_selftest_run(const struct crypto_selftest_env *env, struct crypto_selftest_result *results,
			size_t max, size_t *count);

#endif
