/* Differential-test helpers for husk's TPM engine: build a command once,
 * run it on husk's engine and on libtpms (tpm_libtpms.h), compare response
 * codes and bytes.  Header-only (static inline) so each test takes what it
 * uses; include after <cmocka.h>. */
#ifndef HUSK_TESTS_TPM_DIFF_H
#define HUSK_TESTS_TPM_DIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "mbedtls/md.h"
#include "tpm/tpm_internal.h"
#include "tpm_host.h"
#include "tpm_libtpms.h"

/* ---- a byte writer for command parameters ---- */
struct tb {
	uint8_t b[TPM_BUFFER_MAX];
	size_t n;
};

static inline void tb_reset(struct tb *t)
{
	t->n = 0;
}

static inline void tb_u8(struct tb *t, uint8_t v)
{
	assert_true(t->n + 1 <= sizeof(t->b));
	t->b[t->n++] = v;
}

static inline void tb_u16(struct tb *t, uint16_t v)
{
	tb_u8(t, (uint8_t)(v >> 8));
	tb_u8(t, (uint8_t)v);
}

static inline void tb_u32(struct tb *t, uint32_t v)
{
	tb_u16(t, (uint16_t)(v >> 16));
	tb_u16(t, (uint16_t)v);
}

static inline void tb_bytes(struct tb *t, const void *p, size_t n)
{
	assert_true(t->n + n <= sizeof(t->b));
	if (n)
		memcpy(t->b + t->n, p, n);
	t->n += n;
}

static inline void tb_2b(struct tb *t, const void *p, size_t n)
{
	tb_u16(t, (uint16_t)n);
	tb_bytes(t, p, n);
}

/* Starts a TPM2B whose size is patched by tb_end(). */
static inline size_t tb_begin(struct tb *t)
{
	size_t at = t->n;

	tb_u16(t, 0);
	return at;
}

static inline void tb_end(struct tb *t, size_t at)
{
	size_t len = t->n - at - 2;

	t->b[at] = (uint8_t)(len >> 8);
	t->b[at + 1] = (uint8_t)len;
}

static inline uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* ---- commands with password sessions ---- */

/* A command with up to 3 password sessions (pws[i] NULL-terminated strings;
 * npw 0 means no session area). */
static inline size_t tpm_diff_build(uint8_t *cmd, size_t cap, uint32_t cc, const uint32_t *handles,
				    unsigned nh, const char *const *pws, unsigned npw, const uint8_t *params,
				    size_t plen)
{
	struct tb t;

	tb_reset(&t);
	tb_u16(&t, npw ? TPM_ST_SESSIONS : TPM_ST_NO_SESSIONS);
	tb_u32(&t, 0);
	tb_u32(&t, cc);
	for (unsigned i = 0; i < nh; i++)
		tb_u32(&t, handles[i]);
	if (npw) {
		size_t at = t.n;

		tb_u32(&t, 0);
		for (unsigned i = 0; i < npw; i++) {
			tb_u32(&t, TPM_RS_PW);
			tb_u16(&t, 0);
			tb_u8(&t, TPMA_SESSION_CONTINUESESSION);
			tb_2b(&t, pws[i], strlen(pws[i]));
		}
		t.b[at] = (uint8_t)((t.n - at - 4) >> 24);
		t.b[at + 1] = (uint8_t)((t.n - at - 4) >> 16);
		t.b[at + 2] = (uint8_t)((t.n - at - 4) >> 8);
		t.b[at + 3] = (uint8_t)(t.n - at - 4);
	}
	tb_bytes(&t, params, plen);
	t.b[2] = (uint8_t)(t.n >> 24);
	t.b[3] = (uint8_t)(t.n >> 16);
	t.b[4] = (uint8_t)(t.n >> 8);
	t.b[5] = (uint8_t)t.n;
	assert_true(t.n <= cap);
	memcpy(cmd, t.b, t.n);
	return t.n;
}

/* Offset of the response parameters (after the handle and paramSize). */
static inline size_t tpm_diff_params_at(const uint8_t *rsp, bool has_handle)
{
	return 10 + (has_handle ? 4 : 0) + (rd16(rsp) == TPM_ST_SESSIONS ? 4 : 0);
}

/* ---- LoadExternal parameters (TPM2B_SENSITIVE, TPM2B_PUBLIC, hierarchy) ---- */

static inline const mbedtls_md_info_t *tpm_diff_md(uint16_t alg)
{
	switch (alg) {
	case TPM_ALG_SHA1: return mbedtls_md_info_from_type(MBEDTLS_MD_SHA1);
	case TPM_ALG_SHA256: return mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
	case TPM_ALG_SHA384: return mbedtls_md_info_from_type(MBEDTLS_MD_SHA384);
	case TPM_ALG_SHA512: return mbedtls_md_info_from_type(MBEDTLS_MD_SHA512);
	default: return NULL;
	}
}

/* Bytes from a hex string; returns the length. */
static inline size_t tpm_diff_hex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = strlen(hex) / 2;

	assert_true(n <= cap);
	for (size_t i = 0; i < n; i++) {
		unsigned v;

		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
	return n;
}

/* The sensitive area (without a public part) of LoadExternal. */
static inline void tpm_diff_sensitive(struct tb *p, uint16_t type, const char *auth, const void *seed,
				      size_t seed_len, const void *secret, size_t secret_len)
{
	size_t at = tb_begin(p);

	tb_u16(p, type);
	tb_2b(p, auth, strlen(auth));
	tb_2b(p, seed, seed_len);
	tb_2b(p, secret, secret_len);
	tb_end(p, at);
}

/* H_sha256(seedValue || key): the unique field of symmetric objects. */
static inline void tpm_diff_sym_unique(const void *seed, size_t seed_len, const void *key, size_t klen,
				       uint8_t out[32])
{
	uint8_t buf[64 + TPM_MAX_SYM_DATA];

	assert_true(seed_len + klen <= sizeof(buf));
	memcpy(buf, seed, seed_len);
	memcpy(buf + seed_len, key, klen);
	assert_int_equal(mbedtls_md(tpm_diff_md(TPM_ALG_SHA256), buf, seed_len + klen, out), 0);
}

/* A keyedhash object (nameAlg SHA-256) with key bits `key`; scheme
 * TPM_ALG_HMAC or _XOR with hash, or TPM_ALG_NULL. */
static inline void tpm_diff_keyedhash(struct tb *p, const void *key, size_t klen, uint32_t attrs,
				      uint16_t scheme, uint16_t hash, uint32_t hier, bool with_private)
{
	static const uint8_t seed[32] = { 'S' };
	uint8_t unique[32];
	size_t pub;

	tpm_diff_sym_unique(seed, sizeof(seed), key, klen, unique);
	tb_reset(p);
	if (with_private)
		tpm_diff_sensitive(p, TPM_ALG_KEYEDHASH, "", seed, sizeof(seed), key, klen);
	else
		tb_u16(p, 0);
	pub = tb_begin(p);
	tb_u16(p, TPM_ALG_KEYEDHASH);
	tb_u16(p, TPM_ALG_SHA256);
	tb_u32(p, attrs);
	tb_2b(p, "", 0);
	tb_u16(p, scheme);
	if (scheme != TPM_ALG_NULL)
		tb_u16(p, hash);
	if (scheme == TPM_ALG_XOR)
		tb_u16(p, TPM_ALG_KDF1_SP800_108);
	tb_2b(p, unique, sizeof(unique));
	tb_end(p, pub);
	tb_u32(p, hier);
}

/* An AES key (128 or 256 bits from klen) with mode (TPM_ALG_NULL: any). */
static inline void tpm_diff_symcipher(struct tb *p, const void *key, size_t klen, uint32_t attrs,
				      uint16_t mode)
{
	static const uint8_t seed[32] = { 'T' };
	uint8_t unique[32];
	size_t pub;

	tpm_diff_sym_unique(seed, sizeof(seed), key, klen, unique);
	tb_reset(p);
	tpm_diff_sensitive(p, TPM_ALG_SYMCIPHER, "", seed, sizeof(seed), key, klen);
	pub = tb_begin(p);
	tb_u16(p, TPM_ALG_SYMCIPHER);
	tb_u16(p, TPM_ALG_SHA256);
	tb_u32(p, attrs);
	tb_2b(p, "", 0);
	tb_u16(p, TPM_ALG_AES);
	tb_u16(p, (uint16_t)(klen * 8));
	tb_u16(p, mode);
	tb_2b(p, unique, sizeof(unique));
	tb_end(p, pub);
	tb_u32(p, TPM_RH_NULL);
}

/* An ECC key; d may be NULL (public only).  scheme: TPM_ALG_NULL, _ECDSA
 * or _ECDH with hash. */
static inline void tpm_diff_ecc(struct tb *p, uint16_t curve, const uint8_t *d, const uint8_t *x,
				const uint8_t *y, size_t bytes, uint32_t attrs, uint16_t scheme, uint16_t hash,
				uint32_t hier)
{
	size_t pub;

	tb_reset(p);
	if (d)
		tpm_diff_sensitive(p, TPM_ALG_ECC, "", "", 0, d, bytes);
	else
		tb_u16(p, 0);
	pub = tb_begin(p);
	tb_u16(p, TPM_ALG_ECC);
	tb_u16(p, TPM_ALG_SHA256);
	tb_u32(p, attrs);
	tb_2b(p, "", 0);
	tb_u16(p, TPM_ALG_NULL); /* symmetric */
	tb_u16(p, scheme);
	if (scheme != TPM_ALG_NULL)
		tb_u16(p, hash);
	tb_u16(p, curve);
	tb_u16(p, TPM_ALG_NULL); /* kdf */
	tb_2b(p, x, bytes);
	tb_2b(p, y, bytes);
	tb_end(p, pub);
	tb_u32(p, hier);
}

/* An RSA key with exponent 65537; prime may be NULL (public only).
 * scheme: TPM_ALG_NULL, _RSASSA, _RSAPSS, _OAEP (with hash) or _RSAES. */
static inline void tpm_diff_rsa(struct tb *p, const uint8_t *n, size_t nlen, const uint8_t *prime,
				uint32_t attrs, uint16_t scheme, uint16_t hash, uint32_t hier)
{
	size_t pub;

	tb_reset(p);
	if (prime)
		tpm_diff_sensitive(p, TPM_ALG_RSA, "", "", 0, prime, nlen / 2);
	else
		tb_u16(p, 0);
	pub = tb_begin(p);
	tb_u16(p, TPM_ALG_RSA);
	tb_u16(p, TPM_ALG_SHA256);
	tb_u32(p, attrs);
	tb_2b(p, "", 0);
	tb_u16(p, TPM_ALG_NULL); /* symmetric */
	tb_u16(p, scheme);
	if (scheme != TPM_ALG_NULL && scheme != TPM_ALG_RSAES)
		tb_u16(p, hash);
	tb_u16(p, (uint16_t)(nlen * 8));
	tb_u32(p, 0);
	tb_2b(p, n, nlen);
	tb_end(p, pub);
	tb_u32(p, hier);
}

/* ---- objects ---- */

/* Puts the object that LoadExternal's parameters describe straight into a
 * husk object slot, for tests of commands that must not depend on
 * LoadExternal's own checks.  Returns the handle. */
static inline uint32_t tpm_diff_inject(struct tpm *t, const uint8_t *params, size_t plen)
{
	struct tpm_object *o = tpm_object_alloc(t);
	struct tpm_r r;
	uint16_t ssize;
	uint32_t hier;

	assert_non_null(o);
	tpm_r_init(&r, params, plen);
	assert_int_equal(tpm_r_u16(&r, &ssize), 0);
	if (ssize) {
		assert_int_equal(tpm_r_sensitive(&r, &o->sens), 0);
		o->has_sensitive = true;
	}
	assert_int_equal(tpm_r_2b_public(&r, &o->pub, false), 0);
	assert_int_equal(tpm_r_u32(&r, &hier), 0);
	o->kind = TPM_OBJ_KEY;
	o->external = true;
	o->hierarchy = hier;
	assert_int_equal(tpm_object_compute_name(&o->pub, &o->name), 0);
	return o->handle;
}

#endif
