/* Unit tests of lib/tpm's wire layer: the bounds-checked readers and writers
 * (tpm_buf) and the structure (un)marshalling with the spec's value checks
 * (tpm_marshal): round trips, every truncation, each bad value's code. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "tpm/tpm_buf.h"
#include "tpm/tpm_types.h"

static uint8_t buf[2048];

/* ---- tpm_buf ---- */

static void test_primitives(void **state)
{
	struct tpm_w w;
	struct tpm_r r;
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;
	uint8_t two[2];

	tpm_w_init(&w, buf, sizeof(buf));
	tpm_w_u8(&w, 0x12);
	tpm_w_u16(&w, 0x3456);
	tpm_w_u32(&w, 0x789abcde);
	tpm_w_u64(&w, 0x0102030405060708ull);
	tpm_w_2b(&w, "hi", 2);
	assert_true(tpm_w_ok(&w));
	assert_int_equal(w.pos, 1 + 2 + 4 + 8 + 4);
	assert_memory_equal(buf, "\x12\x34\x56\x78\x9a\xbc\xde\x01\x02\x03\x04\x05\x06\x07\x08\x00\x02hi", 19);

	tpm_r_init(&r, buf, w.pos);
	assert_int_equal(tpm_r_u8(&r, &u8), 0);
	assert_int_equal(tpm_r_u16(&r, &u16), 0);
	assert_int_equal(tpm_r_u32(&r, &u32), 0);
	assert_int_equal(tpm_r_u64(&r, &u64), 0);
	assert_int_equal(u8, 0x12);
	assert_int_equal(u16, 0x3456);
	assert_int_equal(u32, 0x789abcde);
	assert_int_equal(u64, 0x0102030405060708ull);
	assert_int_equal(tpm_r_2b(&r, two, &u16, 1), TPM_RC_SIZE); /* larger than the caller allows */
	assert_int_equal(r.pos, 15);                                 /* and nothing consumed */
	assert_int_equal(tpm_r_2b(&r, two, &u16, 2), 0);
	assert_int_equal(u16, 2);
	assert_int_equal(tpm_r_left(&r), 0);
	/* Reading past the end fails and leaves the reader where it was. */
	assert_int_equal(tpm_r_u8(&r, &u8), TPM_RC_INSUFFICIENT);
	assert_int_equal(r.pos, 19);
}

static void test_short_2b(void **state)
{
	static const uint8_t in[] = { 0x00, 0x05, 'a', 'b' };
	struct tpm_r r;
	uint8_t out[8];
	uint16_t n = 0xffff;

	tpm_r_init(&r, in, sizeof(in));
	assert_int_equal(tpm_r_2b(&r, out, &n, sizeof(out)), TPM_RC_INSUFFICIENT);
	assert_int_equal(r.pos, 0);
	assert_int_equal(n, 0xffff);
}

static void test_writer_overflow(void **state)
{
	struct tpm_w w;
	size_t at;

	tpm_w_init(&w, buf, 5);
	at = tpm_w_reserve(&w, 2);
	tpm_w_u16(&w, 1);
	assert_true(tpm_w_ok(&w));
	tpm_w_u16(&w, 2); /* one byte too many */
	assert_false(tpm_w_ok(&w));
	assert_int_equal(w.pos, 4);
	tpm_w_u8(&w, 3); /* ignored once overflowed */
	assert_int_equal(w.pos, 4);
	tpm_w_patch_u16(&w, at, 0x1234); /* no patching of an overflowed buffer */
	assert_int_equal(buf[0], 0);
}

/* ---- structures ---- */

static void ecc_template(struct tpm_public *p)
{
	memset(p, 0, sizeof(*p));
	p->type = TPM_ALG_ECC;
	p->name_alg = TPM_ALG_SHA256;
	p->attributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN |
			TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_SIGN_ENCRYPT;
	p->auth_policy.size = 32;
	memset(p->auth_policy.b, 0xa5, 32);
	p->symmetric.alg = TPM_ALG_NULL;
	p->symmetric.mode = TPM_ALG_NULL;
	p->scheme.alg = TPM_ALG_ECDSA;
	p->scheme.hash = TPM_ALG_SHA256;
	p->curve = TPM_ECC_NIST_P256;
	p->kdf.alg = TPM_ALG_NULL;
	p->ecc_x.size = p->ecc_y.size = 32;
	memset(p->ecc_x.b, 1, 32);
	memset(p->ecc_y.b, 2, 32);
}

static void rsa_template(struct tpm_public *p)
{
	memset(p, 0, sizeof(*p));
	p->type = TPM_ALG_RSA;
	p->name_alg = TPM_ALG_SHA384;
	p->attributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN |
			TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT;
	p->symmetric = (struct tpm_sym_def){ TPM_ALG_AES, 128, TPM_ALG_CFB };
	p->scheme.alg = TPM_ALG_NULL;
	p->rsa_bits = 2048;
	p->rsa_n.size = 256;
	memset(p->rsa_n.b, 0xc3, 256);
}

static size_t write_public(const struct tpm_public *p)
{
	struct tpm_w w;

	tpm_w_init(&w, buf, sizeof(buf));
	tpm_w_2b_public(&w, p);
	assert_true(tpm_w_ok(&w));
	return w.pos;
}

static void test_public_round_trip(void **state)
{
	struct tpm_public in, out;
	void (*const templates[])(struct tpm_public *) = { ecc_template, rsa_template };

	for (unsigned k = 0; k < 2; k++) {
		struct tpm_r r;
		size_t len;

		templates[k](&in);
		len = write_public(&in);
		tpm_r_init(&r, buf, len);
		assert_int_equal(tpm_r_2b_public(&r, &out, false), 0);
		assert_int_equal(tpm_r_left(&r), 0);
		/* Re-marshalling what was read gives the same bytes. */
		{
			uint8_t again[sizeof(buf)];
			struct tpm_w w;

			tpm_w_init(&w, again, sizeof(again));
			tpm_w_2b_public(&w, &out);
			assert_int_equal(w.pos, len);
			assert_memory_equal(again, buf, len);
		}
		/* Every truncation is refused and never reads past the end. */
		for (size_t cut = 0; cut < len; cut++) {
			tpm_r_init(&r, buf, cut);
			assert_int_not_equal(tpm_r_2b_public(&r, &out, false), 0);
		}
	}
}

/* Patches one u16 of a marshalled ECC template and checks the code. */
static void expect_public(size_t off, uint16_t v, tpm_rc want)
{
	struct tpm_public in, out;
	struct tpm_r r;
	size_t len;

	ecc_template(&in);
	len = write_public(&in);
	tpm_put_be16(buf + off, v);
	tpm_r_init(&r, buf, len);
	assert_int_equal(tpm_r_2b_public(&r, &out, false), want);
}

static void test_public_values(void **state)
{
	/* offsets in TPM2B_PUBLIC: size 0, type 2, nameAlg 4, attributes 6,
	 * authPolicy 10 (2+32), symmetric 44, scheme 46, hash 48, curve 50, kdf 52 */
	expect_public(2, 0x7777, TPM_RC_TYPE);
	expect_public(4, TPM_ALG_NULL, TPM_RC_HASH);
	expect_public(4, 0x0099, TPM_RC_HASH);
	expect_public(6, 0x8000, TPM_RC_RESERVED_BITS); /* attribute bit 31 */
	expect_public(10, 65, TPM_RC_SIZE);              /* authPolicy longer than a digest */
	expect_public(44, 0x0099, TPM_RC_SYMMETRIC);
	expect_public(46, 0x0099, TPM_RC_SCHEME);
	expect_public(48, 0x0099, TPM_RC_HASH);
	expect_public(50, 0x0099, TPM_RC_CURVE);
	expect_public(52, 0x0099, TPM_RC_KDF);
	expect_public(0, 0, TPM_RC_SIZE);                /* TPM2B_PUBLIC of size 0 */
}

static void test_public_size_mismatch(void **state)
{
	struct tpm_public in, out;
	struct tpm_r r;
	size_t len;

	ecc_template(&in);
	len = write_public(&in);
	/* One byte declared more than the structure: the structure ends early. */
	tpm_put_be16(buf, (uint16_t)(len - 2 + 1));
	buf[len] = 0;
	tpm_r_init(&r, buf, len + 1);
	assert_int_equal(tpm_r_2b_public(&r, &out, false), TPM_RC_SIZE);
}

static void test_pcr_selection(void **state)
{
	static const uint8_t good[] = { 0, 0, 0, 2, 0x00, 0x0b, 3, 0xff, 0x00, 0x01,
					0x00, 0x04, 3, 0x00, 0x00, 0x80 };
	struct tpm_pcr_sel s;
	struct tpm_r r;
	uint8_t bad[sizeof(good)];

	tpm_r_init(&r, good, sizeof(good));
	assert_int_equal(tpm_r_pcr_sel(&r, &s), 0);
	assert_int_equal(s.count, 2);
	assert_int_equal(s.sel[0].hash, TPM_ALG_SHA256);
	assert_int_equal(s.sel[1].bits[2], 0x80);
	{
		struct tpm_w w;

		tpm_w_init(&w, buf, sizeof(buf));
		tpm_w_pcr_sel(&w, &s);
		assert_int_equal(w.pos, sizeof(good));
		assert_memory_equal(buf, good, sizeof(good));
	}
	for (size_t cut = 0; cut < sizeof(good); cut++) {
		tpm_r_init(&r, good, cut);
		assert_int_not_equal(tpm_r_pcr_sel(&r, &s), 0);
	}
	memcpy(bad, good, sizeof(good));
	bad[3] = 5; /* more banks than husk has */
	tpm_r_init(&r, bad, sizeof(bad));
	assert_int_equal(tpm_r_pcr_sel(&r, &s), TPM_RC_SIZE);
	memcpy(bad, good, sizeof(good));
	bad[6] = 4; /* sizeofSelect != 3 */
	tpm_r_init(&r, bad, sizeof(bad));
	assert_int_equal(tpm_r_pcr_sel(&r, &s), TPM_RC_VALUE);
	memcpy(bad, good, sizeof(good));
	bad[5] = 0x99; /* not a hash */
	tpm_r_init(&r, bad, sizeof(bad));
	assert_int_equal(tpm_r_pcr_sel(&r, &s), TPM_RC_HASH);
}

static void test_signature(void **state)
{
	struct tpm_signature in, out;
	struct tpm_w w;
	struct tpm_r r;

	memset(&in, 0, sizeof(in));
	in.alg = TPM_ALG_ECDSA;
	in.hash = TPM_ALG_SHA256;
	in.r.size = in.s.size = 32;
	memset(in.r.b, 7, 32);
	memset(in.s.b, 9, 32);
	tpm_w_init(&w, buf, sizeof(buf));
	tpm_w_signature(&w, &in);
	tpm_r_init(&r, buf, w.pos);
	assert_int_equal(tpm_r_signature(&r, &out), 0);
	assert_int_equal(out.r.size, 32);
	assert_memory_equal(out.s.b, in.s.b, 32);
	for (size_t cut = 0; cut < w.pos; cut++) {
		tpm_r_init(&r, buf, cut);
		assert_int_not_equal(tpm_r_signature(&r, &out), 0);
	}
	/* HMAC signatures carry exactly the digest of their hash. */
	memset(&in, 0, sizeof(in));
	in.alg = TPM_ALG_HMAC;
	in.hash = TPM_ALG_SHA384;
	in.hmac.size = 48;
	tpm_w_init(&w, buf, sizeof(buf));
	tpm_w_signature(&w, &in);
	assert_int_equal(w.pos, 2 + 2 + 48);
	tpm_r_init(&r, buf, w.pos);
	assert_int_equal(tpm_r_signature(&r, &out), 0);
	assert_int_equal(out.hmac.size, 48);
	tpm_put_be16(buf, 0x0099);
	tpm_r_init(&r, buf, w.pos);
	assert_int_equal(tpm_r_signature(&r, &out), TPM_RC_SCHEME);
}

static void test_sym_def(void **state)
{
	static const uint8_t aes[] = { 0x00, 0x06, 0x00, 0x80, 0x00, 0x43 };
	static const uint8_t xor[] = { 0x00, 0x0a, 0x00, 0x0b };
	struct tpm_sym_def d;
	struct tpm_r r;
	uint8_t bad[sizeof(aes)];

	tpm_r_init(&r, aes, sizeof(aes));
	assert_int_equal(tpm_r_sym_def(&r, &d, true, true), 0);
	assert_int_equal(d.key_bits, 128);
	assert_int_equal(d.mode, TPM_ALG_CFB);
	/* XOR is a session cipher, not an object's. */
	tpm_r_init(&r, xor, sizeof(xor));
	assert_int_equal(tpm_r_sym_def(&r, &d, false, true), 0);
	assert_int_equal(d.key_bits, TPM_ALG_SHA256);
	tpm_r_init(&r, xor, sizeof(xor));
	assert_int_equal(tpm_r_sym_def(&r, &d, true, true), TPM_RC_SYMMETRIC);
	memcpy(bad, aes, sizeof(aes));
	bad[3] = 0xc0; /* 192-bit AES is not implemented */
	tpm_r_init(&r, bad, sizeof(bad));
	assert_int_equal(tpm_r_sym_def(&r, &d, true, true), TPM_RC_VALUE);
	memcpy(bad, aes, sizeof(aes));
	bad[5] = 0x99;
	tpm_r_init(&r, bad, sizeof(bad));
	assert_int_equal(tpm_r_sym_def(&r, &d, true, true), TPM_RC_MODE);
	/* NULL where NULL is not allowed */
	tpm_r_init(&r, (const uint8_t *)"\x00\x10", 2);
	assert_int_equal(tpm_r_sym_def(&r, &d, true, false), TPM_RC_SYMMETRIC);
}

static void test_sensitive_create(void **state)
{
	static const uint8_t good[] = { 0x00, 0x08, 0x00, 0x02, 'p', 'w', 0x00, 0x02, 'd', 'a' };
	struct tpm2b_digest auth;
	struct tpm2b_sensitive_data data;
	struct tpm_r r;
	uint8_t bad[sizeof(good) + 1];

	tpm_r_init(&r, good, sizeof(good));
	assert_int_equal(tpm_r_sensitive_create(&r, &auth, &data), 0);
	assert_int_equal(auth.size, 2);
	assert_int_equal(data.size, 2);
	for (size_t cut = 0; cut < sizeof(good); cut++) {
		tpm_r_init(&r, good, cut);
		assert_int_not_equal(tpm_r_sensitive_create(&r, &auth, &data), 0);
	}
	/* Outer size one more than the contents: TPM_RC_SIZE */
	memcpy(bad, good, sizeof(good));
	bad[1] = 9;
	bad[sizeof(good)] = 0;
	tpm_r_init(&r, bad, sizeof(bad));
	assert_int_equal(tpm_r_sensitive_create(&r, &auth, &data), TPM_RC_SIZE);
	/* Outer size 0 */
	tpm_r_init(&r, (const uint8_t *)"\x00\x00", 2);
	assert_int_equal(tpm_r_sensitive_create(&r, &auth, &data), TPM_RC_SIZE);
}

static void test_hash_helpers(void **state)
{
	assert_int_equal(tpm_hash_size(TPM_ALG_SHA1), 20);
	assert_int_equal(tpm_hash_size(TPM_ALG_SHA512), 64);
	assert_int_equal(tpm_hash_size(TPM_ALG_NULL), 0);
	assert_int_equal(tpm_hash_block_size(TPM_ALG_SHA384), 128);
	assert_int_equal(tpm_curve_bytes(TPM_ECC_NIST_P521), 66);
	assert_int_equal(tpm_curve_bytes(TPM_ECC_NIST_P192), 0);
	{
		struct tpm_r r;
		uint16_t alg;

		tpm_r_init(&r, (const uint8_t *)"\x00\x10", 2);
		assert_int_equal(tpm_r_hash_alg(&r, &alg, false), TPM_RC_HASH);
		assert_int_equal(r.pos, 0);
		assert_int_equal(tpm_r_hash_alg(&r, &alg, true), 0);
		assert_int_equal(alg, TPM_ALG_NULL);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_primitives),
		cmocka_unit_test(test_short_2b),
		cmocka_unit_test(test_writer_overflow),
		cmocka_unit_test(test_public_round_trip),
		cmocka_unit_test(test_public_values),
		cmocka_unit_test(test_public_size_mismatch),
		cmocka_unit_test(test_pcr_selection),
		cmocka_unit_test(test_signature),
		cmocka_unit_test(test_sym_def),
		cmocka_unit_test(test_sensitive_create),
		cmocka_unit_test(test_hash_helpers),
	};
	return cmocka_run_group_tests_name("tpm_marshal", tests, NULL, NULL);
}
