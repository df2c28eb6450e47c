/* Unit tests of the TPM engine's policy commands (tpm_policy.c).
 *
 * Digests: the same policy sequences run in trial sessions on husk and on
 * libtpms (in process) and must give byte-identical policy digests, for
 * SHA-1, SHA-256 and SHA-384 sessions; a few are also checked against
 * values computed here (the TCG EK policy, PolicyCommandCode, PolicyOR).
 * Checks: real policy sessions must refuse the same inputs with the same
 * response codes as libtpms.  Flows (husk): objects whose authPolicy is a
 * PolicyPCR, PolicySecret, PolicyOR, PolicySigned, PolicyAuthorize or
 * PolicyNV digest are unsealed with a policy session, and refused once the
 * assertion no longer holds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "../common/tpm_fixture.h"
#include "mbedtls/ecdsa.h"
#include "mbedtls/md.h"

#define RC_P(rc, n) ((rc) | TPM_RC_P | ((uint32_t)(n) << 8))
#define RC_H(rc, n) ((rc) | TPM_RC_H | ((uint32_t)(n) << 8))
#define RC_S(rc, n) ((rc) | TPM_RC_S | ((uint32_t)(n) << 8))

#define NV_INDEX 0x01500010u
static const char *const pw_empty[] = { "", "" };
static const uint8_t nonce_caller[16] = { 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55,
					  0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55 };

static int setup(void **state)
{
	(void)state;
	/* A clock the tests move, continuing the real one the engine saw. */
	return fx_setup(0x504f4cull, FX_FAKE_CLOCK);
}

/* ---- talking to either TPM ---- */

/* A command with npw empty password sessions. */
static uint32_t call(int tgt, uint32_t cc, const uint32_t *h, unsigned nh, unsigned npw, const struct tb *p)
{
	return fx_call(fx_tgt[tgt], cc, h, nh, pw_empty, npw, p);
}

/* Response parameters. */
static const uint8_t *params_of(int tgt, bool has_handle)
{
	return fx_tgt[tgt]->rsp + rsp_params_at(fx_tgt[tgt]->rsp, has_handle);
}

static void expect(int tgt, uint32_t got, uint32_t want)
{
	if (got != want)
		print_error("%s: got %03x want %03x\n", tgt == HUSK ? "husk" : "libtpms", got, want);
	assert_int_equal(got, want);
}

/* ---- sessions ---- */

struct sess {
	uint32_t handle;
	uint16_t hash;
	uint8_t nonce[TPM_MAX_DIGEST];
	uint16_t nonce_len;
};

static void start(int tgt, uint8_t type, uint16_t hash, struct sess *s)
{
	uint32_t h[2] = { TPM_RH_NULL, TPM_RH_NULL };
	struct tb p;
	const uint8_t *r;

	tb_reset(&p);
	tb_2b(&p, nonce_caller, sizeof(nonce_caller));
	tb_u16(&p, 0);
	tb_u8(&p, type);
	tb_u16(&p, TPM_ALG_NULL);
	tb_u16(&p, hash);
	expect(tgt, call(tgt, TPM_CC_StartAuthSession, h, 2, 0, &p), 0);
	r = fx_tgt[tgt]->rsp;
	s->handle = tpm_be32(r + 10);
	s->hash = hash;
	s->nonce_len = tpm_be16(r + 14);
	memcpy(s->nonce, r + 16, s->nonce_len);
}

static void flush(int tgt, uint32_t handle)
{
	struct tb p;

	tb_reset(&p);
	tb_u32(&p, handle);
	expect(tgt, call(tgt, TPM_CC_FlushContext, NULL, 0, 0, &p), 0);
}

static void get_digest(int tgt, const struct sess *s, uint8_t *d, uint16_t *len)
{
	expect(tgt, call(tgt, TPM_CC_PolicyGetDigest, &s->handle, 1, 0, NULL), 0);
	*len = tpm_be16(fx_tgt[tgt]->rsp + 10);
	memcpy(d, fx_tgt[tgt]->rsp + 12, *len);
}

static uint16_t hash_len(uint16_t alg)
{
	return (uint16_t)mbedtls_md_get_size(fx_md(alg));
}

/* ---- policy steps, run alike on either TPM ---- */

/* Objects and indexes each TPM has (handles differ between the two). */
static uint32_t ext_key[2];
static struct tpm2b_name ext_key_name[2];

typedef void (*step_fn)(int tgt, const struct sess *s);

static void policy(int tgt, const struct sess *s, uint32_t cc, const struct tb *p, uint32_t rc)
{
	expect(tgt, call(tgt, cc, &s->handle, 1, 0, p), rc);
}

static void st_auth_value(int tgt, const struct sess *s)
{
	policy(tgt, s, TPM_CC_PolicyAuthValue, NULL, 0);
}

static void st_password(int tgt, const struct sess *s)
{
	policy(tgt, s, TPM_CC_PolicyPassword, NULL, 0);
}

static void st_cc_unseal(int tgt, const struct sess *s)
{
	struct tb p;

	tb_reset(&p);
	tb_u32(&p, TPM_CC_Unseal);
	policy(tgt, s, TPM_CC_PolicyCommandCode, &p, 0);
}

static void pcr_sel(struct tb *p)
{
	tb_u32(p, 2);
	tb_u16(p, TPM_ALG_SHA256);
	tb_u8(p, 3);
	tb_u8(p, 0x07);
	tb_u8(p, 0);
	tb_u8(p, 0x01);
	tb_u16(p, TPM_ALG_SHA1);
	tb_u8(p, 3);
	tb_u8(p, 0x00);
	tb_u8(p, 0x80);
	tb_u8(p, 0x00);
}

static void st_pcr_computed(int tgt, const struct sess *s)
{
	struct tb p;

	tb_reset(&p);
	tb_u16(&p, 0);
	pcr_sel(&p);
	policy(tgt, s, TPM_CC_PolicyPCR, &p, 0);
}

static void st_pcr_given(int tgt, const struct sess *s)
{
	uint8_t d[TPM_MAX_DIGEST];
	struct tb p;

	memset(d, 0x42, sizeof(d));
	tb_reset(&p);
	tb_2b(&p, d, hash_len(s->hash));
	pcr_sel(&p);
	policy(tgt, s, TPM_CC_PolicyPCR, &p, 0);
}

static void st_locality(int tgt, const struct sess *s)
{
	struct tb p;

	tb_reset(&p);
	tb_u8(&p, 0x07);
	policy(tgt, s, TPM_CC_PolicyLocality, &p, 0);
	tb_reset(&p);
	tb_u8(&p, 0x06);
	policy(tgt, s, TPM_CC_PolicyLocality, &p, 0);
}

static void st_locality_ext(int tgt, const struct sess *s)
{
	struct tb p;

	tb_reset(&p);
	tb_u8(&p, 0x40);
	policy(tgt, s, TPM_CC_PolicyLocality, &p, 0);
}

static void st_cphash(int tgt, const struct sess *s)
{
	uint8_t d[TPM_MAX_DIGEST];
	struct tb p;

	memset(d, 0x17, sizeof(d));
	tb_reset(&p);
	tb_2b(&p, d, hash_len(s->hash));
	policy(tgt, s, TPM_CC_PolicyCpHash, &p, 0);
}

static void st_or2(int tgt, const struct sess *s)
{
	uint8_t d[TPM_MAX_DIGEST];
	struct tb p;

	memset(d, 0xa1, sizeof(d));
	tb_reset(&p);
	tb_u32(&p, 2);
	tb_2b(&p, d, hash_len(s->hash));
	tb_2b(&p, d, 5); /* any sizes are hashed as they are */
	policy(tgt, s, TPM_CC_PolicyOR, &p, 0);
}

static void st_or8(int tgt, const struct sess *s)
{
	struct tb p;

	tb_reset(&p);
	tb_u32(&p, 8);
	for (int i = 0; i < 8; i++) {
		uint8_t d[TPM_MAX_DIGEST];

		memset(d, i, sizeof(d));
		tb_2b(&p, d, hash_len(s->hash));
	}
	policy(tgt, s, TPM_CC_PolicyOR, &p, 0);
}

static void secret(int tgt, const struct sess *s, uint32_t entity, const void *ref_p, uint16_t ref_len,
		   bool cp, uint32_t rc)
{
	uint32_t h[2] = { entity, s->handle };
	uint8_t d[TPM_MAX_DIGEST];
	struct tb p;

	memset(d, 0x33, sizeof(d));
	tb_reset(&p);
	tb_u16(&p, 0);                        /* nonceTPM */
	tb_2b(&p, d, cp ? hash_len(s->hash) : 0); /* cpHashA */
	tb_2b(&p, ref_p, ref_len);           /* policyRef */
	tb_u32(&p, 0);                        /* expiration */
	expect(tgt, call(tgt, TPM_CC_PolicySecret, h, 2, 1, &p), rc);
}

static void st_secret_endorsement(int tgt, const struct sess *s)
{
	secret(tgt, s, TPM_RH_ENDORSEMENT, NULL, 0, false, 0);
}

static void st_secret_owner_ref(int tgt, const struct sess *s)
{
	secret(tgt, s, TPM_RH_OWNER, "reference", 9, true, 0);
}

static void st_secret_nv(int tgt, const struct sess *s)
{
	secret(tgt, s, NV_INDEX, "x", 1, false, 0);
}

static void st_counter_timer(int tgt, const struct sess *s)
{
	struct tb p;

	tb_reset(&p);
	tb_2b(&p, "\x00\x00\x00\x01", 4);
	tb_u16(&p, 8);
	tb_u16(&p, 0x0007); /* UNSIGNED_GE */
	policy(tgt, s, TPM_CC_PolicyCounterTimer, &p, 0);
}

static void st_nv(int tgt, const struct sess *s)
{
	uint32_t h[3] = { NV_INDEX, NV_INDEX, s->handle };
	struct tb p;

	tb_reset(&p);
	tb_2b(&p, "\x12\x34", 2);
	tb_u16(&p, 0);
	tb_u16(&p, 0x0000); /* EQ */
	expect(tgt, call(tgt, TPM_CC_PolicyNV, h, 3, 1, &p), 0);
}

static void st_authorize(int tgt, const struct sess *s)
{
	uint8_t key[2 + 32];
	struct tb p;

	key[0] = 0;
	key[1] = (uint8_t)TPM_ALG_SHA256;
	memset(key + 2, 0x99, 32);
	tb_reset(&p);
	tb_2b(&p, "approved", 8);
	tb_2b(&p, "ref", 3);
	tb_2b(&p, key, sizeof(key));
	tb_u16(&p, TPM_ST_VERIFIED);
	tb_u32(&p, TPM_RH_NULL);
	tb_u16(&p, 0);
	policy(tgt, s, TPM_CC_PolicyAuthorize, &p, 0);
}

static void st_signed(int tgt, const struct sess *s)
{
	uint32_t h[2] = { ext_key[tgt], s->handle };
	struct tb p;

	tb_reset(&p);
	tb_u16(&p, 0);
	tb_u16(&p, 0);
	tb_2b(&p, "signed-ref", 10);
	tb_u32(&p, 0);
	tb_u16(&p, TPM_ALG_ECDSA); /* a trial session does not check it */
	tb_u16(&p, TPM_ALG_SHA256);
	tb_2b(&p, "r", 1);
	tb_2b(&p, "s", 1);
	expect(tgt, call(tgt, TPM_CC_PolicySigned, h, 2, 0, &p), 0);
}

static void st_restart(int tgt, const struct sess *s)
{
	policy(tgt, s, TPM_CC_PolicyRestart, NULL, 0);
}

/* Runs steps in trial sessions of both TPMs: the digests must agree. */
static void trial_both(uint16_t hash, const step_fn *steps, size_t n, uint8_t *digest, uint16_t *len)
{
	uint8_t d[2][TPM_MAX_DIGEST];
	uint16_t l[2];

	for (int tgt = HUSK; tgt <= REF; tgt++) {
		struct sess s;

		start(tgt, TPM_SE_TRIAL, hash, &s);
		for (size_t i = 0; i < n; i++)
			steps[i](tgt, &s);
		get_digest(tgt, &s, d[tgt], &l[tgt]);
		flush(tgt, s.handle);
	}
	assert_int_equal(l[HUSK], hash_len(hash));
	assert_int_equal(l[HUSK], l[REF]);
	assert_memory_equal(d[HUSK], d[REF], l[HUSK]);
	if (digest) {
		memcpy(digest, d[HUSK], l[HUSK]);
		*len = l[HUSK];
	}
}

/* ---- set-up shared by several tests ---- */

/* NV index NV_INDEX, 8 bytes, written with 12 34 56 78 ...: on both. */
static void define_nv(int tgt)
{
	uint32_t owner = TPM_RH_OWNER, h[2] = { NV_INDEX, NV_INDEX };
	struct tb p;

	tb_reset(&p);
	tb_2b(&p, "", 0);
	tb_begin(&p);
	tb_u32(&p, NV_INDEX);
	tb_u16(&p, TPM_ALG_SHA256);
	tb_u32(&p, TPMA_NV_OWNERWRITE | TPMA_NV_AUTHWRITE | TPMA_NV_OWNERREAD | TPMA_NV_AUTHREAD |
			   TPMA_NV_NO_DA);
	tb_2b(&p, "", 0);
	tb_u16(&p, 8);
	tb_end(&p);
	expect(tgt, call(tgt, TPM_CC_NV_DefineSpace, &owner, 1, 1, &p), 0);
	tb_reset(&p);
	tb_2b(&p, "\x12\x34\x56\x78\x9a\xbc\xde\xf0", 8);
	tb_u16(&p, 0);
	expect(tgt, call(tgt, TPM_CC_NV_Write, h, 2, 1, &p), 0);
}

/* P-256 key pair known to the test (public part loaded in both TPMs). */
static mbedtls_ecdsa_context ec;
static uint8_t ec_x[32], ec_y[32];

static int test_rng(void *ctx, unsigned char *out, size_t len)
{
	static uint32_t x = 12345;

	(void)ctx;
	for (size_t i = 0; i < len; i++) {
		x = x * 1103515245u + 12345u;
		out[i] = (uint8_t)(x >> 16);
	}
	return 0;
}

static void make_ec_key(void)
{
	size_t olen;
	uint8_t pt[65];

	mbedtls_ecdsa_init(&ec);
	assert_int_equal(mbedtls_ecdsa_genkey(&ec, MBEDTLS_ECP_DP_SECP256R1, test_rng, NULL), 0);
	assert_int_equal(mbedtls_ecp_point_write_binary(&ec.private_grp, &ec.private_Q,
							MBEDTLS_ECP_PF_UNCOMPRESSED, &olen, pt, sizeof(pt)),
			 0);
	memcpy(ec_x, pt + 1, 32);
	memcpy(ec_y, pt + 33, 32);
}

/* LoadExternal of the public key (signing, ECDSA-SHA256) in hierarchy. */
static void load_ec_key(int tgt, uint32_t hierarchy)
{
	struct tb p;

	fx_ecc(&p, TPM_ECC_NIST_P256, NULL, ec_x, ec_y, 32, TPMA_OBJECT_SIGN_ENCRYPT | TPMA_OBJECT_USERWITHAUTH,
		     TPM_ALG_ECDSA, TPM_ALG_SHA256, hierarchy);
	expect(tgt, call(tgt, TPM_CC_LoadExternal, NULL, 0, 0, &p), 0);
	ext_key[tgt] = tpm_be32(fx_tgt[tgt]->rsp + 10);
	ext_key_name[tgt].size = tpm_be16(fx_tgt[tgt]->rsp + 14);
	memcpy(ext_key_name[tgt].b, fx_tgt[tgt]->rsp + 16, ext_key_name[tgt].size);
}

/* An ECDSA signature of digest, as a TPMT_SIGNATURE. */
static void ec_sign(const uint8_t *digest, size_t len, struct tb *p)
{
	mbedtls_mpi r, s;
	uint8_t rb[32], sb[32];

	mbedtls_mpi_init(&r);
	mbedtls_mpi_init(&s);
	assert_int_equal(mbedtls_ecdsa_sign(&ec.private_grp, &r, &s, &ec.private_d, digest, len, test_rng, NULL), 0);
	assert_int_equal(mbedtls_mpi_write_binary(&r, rb, 32), 0);
	assert_int_equal(mbedtls_mpi_write_binary(&s, sb, 32), 0);
	tb_u16(p, TPM_ALG_ECDSA);
	tb_u16(p, TPM_ALG_SHA256);
	tb_2b(p, rb, 32);
	tb_2b(p, sb, 32);
	mbedtls_mpi_free(&r);
	mbedtls_mpi_free(&s);
}

/* ---- digests ---- */

static void test_trial_digests(void **state)
{
	static const uint16_t hashes[] = { TPM_ALG_SHA256, TPM_ALG_SHA1, TPM_ALG_SHA384 };
	static const step_fn singles[] = {
		st_auth_value, st_password, st_cc_unseal, st_pcr_computed, st_pcr_given, st_locality,
		st_locality_ext, st_cphash, st_or2, st_or8, st_secret_endorsement, st_secret_owner_ref,
		st_secret_nv, st_counter_timer, st_nv, st_authorize, st_signed,
	};
	static const step_fn chain[] = {
		st_pcr_computed, st_cc_unseal, st_auth_value, st_secret_endorsement, st_or2, st_locality,
		st_authorize, st_password, st_cphash, st_nv, st_signed, st_counter_timer, st_or8,
	};
	static const step_fn restarted[] = { st_pcr_given, st_or8, st_restart, st_auth_value };

	(void)state;
	define_nv(HUSK);
	define_nv(REF);
	make_ec_key();
	load_ec_key(HUSK, TPM_RH_NULL);
	load_ec_key(REF, TPM_RH_NULL);
	for (size_t h = 0; h < sizeof(hashes) / sizeof(hashes[0]); h++) {
		for (size_t i = 0; i < sizeof(singles) / sizeof(singles[0]); i++)
			trial_both(hashes[h], &singles[i], 1, NULL, NULL);
		trial_both(hashes[h], chain, sizeof(chain) / sizeof(chain[0]), NULL, NULL);
		trial_both(hashes[h], restarted, sizeof(restarted) / sizeof(restarted[0]), NULL, NULL);
	}
	mbedtls_ecdsa_free(&ec);
}

static void test_known_digests(void **state)
{
	static const step_fn ek[] = { st_secret_endorsement };
	static const step_fn cc[] = { st_cc_unseal };
	static const step_fn av[] = { st_auth_value };
	static const step_fn pw[] = { st_password };
	static const step_fn or2[] = { st_or2 };
	uint8_t d[TPM_MAX_DIGEST], want[32], buf[256];
	uint16_t len;

	(void)state;
	/* TCG EK Credential Profile, policy A (PolicySecret(TPM_RH_ENDORSEMENT)). */
	trial_both(TPM_ALG_SHA256, ek, 1, d, &len);
	fx_hex("837197674484b3f81a90cc8d46a5d724fd52d76e06520b64f2a1da1b331469aa", want, 32);
	assert_memory_equal(d, want, 32);
	/* H(0^32 || TPM_CC_PolicyCommandCode || TPM_CC_Unseal) */
	trial_both(TPM_ALG_SHA256, cc, 1, d, &len);
	memset(buf, 0, 32);
	memcpy(buf + 32, "\x00\x00\x01\x6c\x00\x00\x01\x5e", 8);
	assert_int_equal(mbedtls_md(fx_md(TPM_ALG_SHA256), buf, 40, want), 0);
	assert_memory_equal(d, want, 32);
	/* PolicyAuthValue and PolicyPassword give the same digest. */
	trial_both(TPM_ALG_SHA256, av, 1, d, &len);
	fx_hex("8fcd2169ab92694e0c633f1ab772842b8241bbc20288981fc7ac1eddc1fddb0e", want, 32);
	assert_memory_equal(d, want, 32);
	trial_both(TPM_ALG_SHA256, pw, 1, d, &len);
	assert_memory_equal(d, want, 32);
	/* PolicyOR: H(0^32 || TPM_CC_PolicyOR || digests without sizes) */
	trial_both(TPM_ALG_SHA256, or2, 1, d, &len);
	memset(buf, 0, 32);
	memcpy(buf + 32, "\x00\x00\x01\x71", 4);
	memset(buf + 36, 0xa1, 32 + 5);
	assert_int_equal(mbedtls_md(fx_md(TPM_ALG_SHA256), buf, 36 + 37, want), 0);
	assert_memory_equal(d, want, 32);
}

/* ---- checks in real sessions: same codes as libtpms ---- */

static void test_real_session_checks(void **state)
{
	(void)state;
	define_nv(HUSK);
	define_nv(REF);
	for (int tgt = HUSK; tgt <= REF; tgt++) {
		uint8_t d[TPM_MAX_DIGEST];
		struct sess s, tr;
		struct tb p;

		start(tgt, TPM_SE_POLICY, TPM_ALG_SHA256, &s);
		start(tgt, TPM_SE_TRIAL, TPM_ALG_SHA256, &tr);
		/* PolicyPCR with a digest that is not the PCRs' */
		memset(d, 0x42, sizeof(d));
		tb_reset(&p);
		tb_2b(&p, d, 32);
		pcr_sel(&p);
		policy(tgt, &s, TPM_CC_PolicyPCR, &p, RC_P(TPM_RC_VALUE, 1));
		/* ... and PCRs that change between two PolicyPCRs */
		st_pcr_computed(tgt, &s);
		{
			uint32_t pcr = 0;
			struct tb e;

			tb_reset(&e);
			tb_u32(&e, 1);
			tb_u16(&e, TPM_ALG_SHA256);
			tb_bytes(&e, d, 32);
			expect(tgt, call(tgt, TPM_CC_PCR_Extend, &pcr, 1, 1, &e), 0);
		}
		tb_reset(&p);
		tb_u16(&p, 0);
		pcr_sel(&p);
		policy(tgt, &s, TPM_CC_PolicyPCR, &p, TPM_RC_PCR_CHANGED);
		st_restart(tgt, &s);
		/* PolicyCommandCode: a second, different code; a code not implemented */
		st_cc_unseal(tgt, &s);
		tb_reset(&p);
		tb_u32(&p, TPM_CC_Sign);
		policy(tgt, &s, TPM_CC_PolicyCommandCode, &p, RC_P(TPM_RC_VALUE, 1));
		st_cc_unseal(tgt, &s);
		tb_reset(&p);
		tb_u32(&p, 0x00000100);
		policy(tgt, &tr, TPM_CC_PolicyCommandCode, &p, RC_P(TPM_RC_POLICY_CC, 1));
		/* PolicyLocality: zero, narrowing to nothing, mixing kinds */
		tb_reset(&p);
		tb_u8(&p, 0);
		policy(tgt, &s, TPM_CC_PolicyLocality, &p, RC_P(TPM_RC_RANGE, 1));
		tb_reset(&p);
		tb_u8(&p, 0x03);
		policy(tgt, &s, TPM_CC_PolicyLocality, &p, 0);
		tb_reset(&p);
		tb_u8(&p, 0x04);
		policy(tgt, &s, TPM_CC_PolicyLocality, &p, RC_P(TPM_RC_RANGE, 1));
		tb_reset(&p);
		tb_u8(&p, 0x21);
		policy(tgt, &s, TPM_CC_PolicyLocality, &p, RC_P(TPM_RC_RANGE, 1));
		st_locality_ext(tgt, &tr);
		tb_reset(&p);
		tb_u8(&p, 0x41);
		policy(tgt, &tr, TPM_CC_PolicyLocality, &p, RC_P(TPM_RC_RANGE, 1));
		/* PolicyCpHash: wrong size; a different one after the first */
		tb_reset(&p);
		tb_2b(&p, d, 20);
		policy(tgt, &s, TPM_CC_PolicyCpHash, &p, RC_P(TPM_RC_SIZE, 1));
		st_cphash(tgt, &s);
		tb_reset(&p);
		tb_2b(&p, d, 32);
		policy(tgt, &s, TPM_CC_PolicyCpHash, &p, TPM_RC_CPHASH);
		/* PolicySecret: a cpHash that disagrees, one of the wrong size,
		 * the wrong nonce, TPM_RH_NULL */
		secret(tgt, &s, TPM_RH_OWNER, NULL, 0, false, 0);
		{
			uint32_t h[2] = { TPM_RH_OWNER, s.handle };
			struct tb q;

			tb_reset(&q);
			tb_u16(&q, 0);
			tb_2b(&q, d, 32);
			tb_u16(&q, 0);
			tb_u32(&q, 0);
			expect(tgt, call(tgt, TPM_CC_PolicySecret, h, 2, 1, &q), TPM_RC_CPHASH);
			tb_reset(&q);
			tb_u16(&q, 0);
			tb_2b(&q, d, 31);
			tb_u16(&q, 0);
			tb_u32(&q, 0);
			expect(tgt, call(tgt, TPM_CC_PolicySecret, h, 2, 1, &q), RC_P(TPM_RC_SIZE, 2));
			tb_reset(&q);
			tb_2b(&q, d, 16);
			tb_u16(&q, 0);
			tb_u16(&q, 0);
			tb_u32(&q, 0);
			expect(tgt, call(tgt, TPM_CC_PolicySecret, h, 2, 1, &q), RC_P(TPM_RC_NONCE, 1));
			/* the session's own nonce is accepted */
			tb_reset(&q);
			tb_2b(&q, s.nonce, s.nonce_len);
			tb_u16(&q, 0);
			tb_u16(&q, 0);
			tb_u32(&q, 0);
			expect(tgt, call(tgt, TPM_CC_PolicySecret, h, 2, 1, &q), 0);
			h[0] = TPM_RH_NULL;
			expect(tgt, call(tgt, TPM_CC_PolicySecret, h, 2, 1, &q), RC_H(TPM_RC_VALUE, 1));
			/* wrong password */
			h[0] = TPM_RH_OWNER;
			{
				static const char *const bad[] = { "bad" };
				uint32_t rc = fx_call(fx_tgt[tgt], TPM_CC_PolicySecret, h, 2, bad, 1, &q);

				expect(tgt, rc, RC_S(TPM_RC_BAD_AUTH, 1));
			}
		}
		/* PolicyOR: too few, too many, no match */
		tb_reset(&p);
		tb_u32(&p, 1);
		tb_2b(&p, d, 32);
		policy(tgt, &s, TPM_CC_PolicyOR, &p, RC_P(TPM_RC_SIZE, 1));
		tb_reset(&p);
		tb_u32(&p, 9);
		for (int i = 0; i < 9; i++)
			tb_2b(&p, d, 32);
		policy(tgt, &s, TPM_CC_PolicyOR, &p, RC_P(TPM_RC_SIZE, 1));
		tb_reset(&p);
		tb_u32(&p, 2);
		tb_2b(&p, d, 32);
		tb_2b(&p, d, 32);
		policy(tgt, &s, TPM_CC_PolicyOR, &p, RC_P(TPM_RC_VALUE, 1));
		/* PolicyAuthorize: bad key names, wrong ticket tag, approved
		 * policy that is not the current one, a ticket that is not */
		{
			uint8_t key[2 + 32] = { 0, (uint8_t)TPM_ALG_SHA256 };
			uint16_t klen[] = { 0, 1, 2 + 31, 2 + 32, 2 + 32 };
			uint16_t kalg[] = { TPM_ALG_SHA256, TPM_ALG_SHA256, TPM_ALG_SHA256, 0x0012, TPM_ALG_SHA256 };
			uint32_t want[] = { RC_P(TPM_RC_HASH, 3), RC_P(TPM_RC_HASH, 3), RC_P(TPM_RC_SIZE, 3),
					    RC_P(TPM_RC_HASH, 3), RC_P(TPM_RC_VALUE, 1) };

			for (int i = 0; i < 5; i++) {
				key[0] = (uint8_t)(kalg[i] >> 8);
				key[1] = (uint8_t)kalg[i];
				tb_reset(&p);
				tb_2b(&p, d, 32);
				tb_u16(&p, 0);
				tb_2b(&p, key, klen[i]);
				tb_u16(&p, TPM_ST_VERIFIED);
				tb_u32(&p, TPM_RH_OWNER);
				tb_u16(&p, 0);
				policy(tgt, &s, TPM_CC_PolicyAuthorize, &p, want[i]);
			}
			key[0] = 0;
			key[1] = (uint8_t)TPM_ALG_SHA256;
			tb_reset(&p);
			tb_2b(&p, d, 32);
			tb_u16(&p, 0);
			tb_2b(&p, key, 34);
			tb_u16(&p, TPM_ST_HASHCHECK);
			tb_u32(&p, TPM_RH_OWNER);
			tb_u16(&p, 0);
			policy(tgt, &s, TPM_CC_PolicyAuthorize, &p, RC_P(TPM_RC_TAG, 4));
			/* approvedPolicy = the current digest, ticket forged */
			get_digest(tgt, &s, d, &klen[0]);
			tb_reset(&p);
			tb_2b(&p, d, 32);
			tb_u16(&p, 0);
			tb_2b(&p, key, 34);
			tb_u16(&p, TPM_ST_VERIFIED);
			tb_u32(&p, TPM_RH_OWNER);
			tb_2b(&p, d, 32);
			policy(tgt, &s, TPM_CC_PolicyAuthorize, &p, RC_P(TPM_RC_VALUE, 4));
		}
		/* PolicyCounterTimer: false condition, offset out of range */
		tb_reset(&p);
		tb_2b(&p, "\x00", 1);
		tb_u16(&p, 24); /* TPMS_TIME_INFO.clockInfo.safe */
		tb_u16(&p, 0x0000);
		policy(tgt, &s, TPM_CC_PolicyCounterTimer, &p, TPM_RC_POLICY);
		tb_reset(&p);
		tb_2b(&p, "\x01", 1);
		tb_u16(&p, 24);
		tb_u16(&p, 0x0000);
		policy(tgt, &s, TPM_CC_PolicyCounterTimer, &p, 0);
		tb_reset(&p);
		tb_2b(&p, "\x01", 1);
		tb_u16(&p, 26);
		tb_u16(&p, 0x0000);
		policy(tgt, &s, TPM_CC_PolicyCounterTimer, &p, RC_P(TPM_RC_VALUE, 2));
		tb_reset(&p);
		tb_2b(&p, "\x01\x02", 2);
		tb_u16(&p, 24);
		tb_u16(&p, 0x0000);
		policy(tgt, &s, TPM_CC_PolicyCounterTimer, &p, TPM_RC_RANGE);
		tb_reset(&p);
		tb_2b(&p, "\x01", 1);
		tb_u16(&p, 24);
		tb_u16(&p, 0x000c);
		policy(tgt, &s, TPM_CC_PolicyCounterTimer, &p, RC_P(TPM_RC_VALUE, 3));
		/* PolicyNV: conditions, offsets, sizes */
		{
			uint32_t h[3] = { NV_INDEX, NV_INDEX, s.handle };
			struct {
				const char *operand;
				uint16_t len, offset, op;
				uint32_t rc;
			} cases[] = {
				{ "\x12\x34", 2, 0, 0x0000, 0 },
				{ "\x12\x35", 2, 0, 0x0000, TPM_RC_POLICY },
				{ "\x12\x35", 2, 0, 0x0005, 0 },                     /* UNSIGNED_LT */
				{ "\x80\x00", 2, 0, 0x0002, 0 },                     /* SIGNED_GT */
				{ "\x80\x00", 2, 0, 0x0003, TPM_RC_POLICY },         /* UNSIGNED_GT */
				{ "\x10\x30", 2, 0, 0x000a, 0 },                     /* BITSET */
				{ "\x01\x01", 2, 0, 0x000b, 0 },                     /* BITCLEAR */
				{ "\xf0", 1, 7, 0x0000, 0 },
				{ "\xf0\x00", 2, 7, 0x0000, RC_P(TPM_RC_SIZE, 1) },
				{ "", 0, 9, 0x0000, RC_P(TPM_RC_VALUE, 2) },
				{ "\x12", 1, 0, 0x000c, RC_P(TPM_RC_VALUE, 3) },
			};

			for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
				tb_reset(&p);
				tb_2b(&p, cases[i].operand, cases[i].len);
				tb_u16(&p, cases[i].offset);
				tb_u16(&p, cases[i].op);
				expect(tgt, call(tgt, TPM_CC_PolicyNV, h, 3, 1, &p), cases[i].rc);
			}
			/* owner authorization: the index has OWNERREAD */
			h[0] = TPM_RH_OWNER;
			tb_reset(&p);
			tb_2b(&p, "\x12", 1);
			tb_u16(&p, 0);
			tb_u16(&p, 0);
			expect(tgt, call(tgt, TPM_CC_PolicyNV, h, 3, 1, &p), 0);
			h[0] = TPM_RH_PLATFORM;
			expect(tgt, call(tgt, TPM_CC_PolicyNV, h, 3, 1, &p), TPM_RC_NV_AUTHORIZATION);
			/* an index without AUTHREAD cannot authorize its own read */
			{
				uint32_t owner = TPM_RH_OWNER, w[2] = { TPM_RH_OWNER, NV_INDEX + 1 };
				struct tb q;

				tb_reset(&q);
				tb_2b(&q, "", 0);
				tb_begin(&q);
				tb_u32(&q, NV_INDEX + 1);
				tb_u16(&q, TPM_ALG_SHA256);
				tb_u32(&q, TPMA_NV_OWNERWRITE | TPMA_NV_OWNERREAD | TPMA_NV_NO_DA);
				tb_2b(&q, "", 0);
				tb_u16(&q, 4);
				tb_end(&q);
				expect(tgt, call(tgt, TPM_CC_NV_DefineSpace, &owner, 1, 1, &q), 0);
				h[0] = h[1] = NV_INDEX + 1;
				expect(tgt, call(tgt, TPM_CC_PolicyNV, h, 3, 1, &p), TPM_RC_AUTH_UNAVAILABLE);
				/* owner may read it, but it was never written */
				h[0] = TPM_RH_OWNER;
				expect(tgt, call(tgt, TPM_CC_PolicyNV, h, 3, 1, &p), TPM_RC_NV_UNINITIALIZED);
				tb_reset(&q);
				tb_2b(&q, "\x12\x00\x00\x00", 4);
				tb_u16(&q, 0);
				expect(tgt, call(tgt, TPM_CC_NV_Write, w, 2, 1, &q), 0);
				expect(tgt, call(tgt, TPM_CC_PolicyNV, h, 3, 1, &p), 0);
			}
		}
		/* PolicyTicket: a trial session, a timeout of the wrong size */
		{
			struct tb q;

			tb_reset(&q);
			tb_2b(&q, "\0\0\0\0\0\0\0\1", 8);
			tb_u16(&q, 0);
			tb_u16(&q, 0);
			tb_2b(&q, "\x40\x00\x00\x01", 4);
			tb_u16(&q, TPM_ST_AUTH_SECRET);
			tb_u32(&q, TPM_RH_OWNER);
			tb_2b(&q, d, 32);
			policy(tgt, &tr, TPM_CC_PolicyTicket, &q, RC_H(TPM_RC_ATTRIBUTES, 1));
			tb_reset(&q);
			tb_2b(&q, "\0\0\0\0\0\0\1", 7);
			tb_u16(&q, 0);
			tb_u16(&q, 0);
			tb_2b(&q, "\x40\x00\x00\x01", 4);
			tb_u16(&q, TPM_ST_AUTH_SECRET);
			tb_u32(&q, TPM_RH_OWNER);
			tb_2b(&q, d, 32);
			policy(tgt, &s, TPM_CC_PolicyTicket, &q, RC_P(TPM_RC_SIZE, 1));
			tb_reset(&q);
			tb_2b(&q, "\0\0\0\0\0\0\0\1", 8);
			tb_u16(&q, 0);
			tb_u16(&q, 0);
			tb_2b(&q, "\x40\x00\x00\x01", 4);
			tb_u16(&q, TPM_ST_VERIFIED);
			tb_u32(&q, TPM_RH_OWNER);
			tb_2b(&q, d, 32);
			policy(tgt, &s, TPM_CC_PolicyTicket, &q, RC_P(TPM_RC_TAG, 5));
		}
		/* Handles that are not policy sessions; trailing bytes. */
		{
			uint32_t h = TPM_RH_OWNER;

			expect(tgt, call(tgt, TPM_CC_PolicyAuthValue, &h, 1, 0, NULL), RC_H(TPM_RC_VALUE, 1));
			h = s.handle + 5;
			expect(tgt, call(tgt, TPM_CC_PolicyAuthValue, &h, 1, 0, NULL), TPM_RC_REFERENCE_H0);
			tb_reset(&p);
			tb_u8(&p, 0);
			policy(tgt, &s, TPM_CC_PolicyAuthValue, &p, TPM_RC_SIZE);
			policy(tgt, &s, TPM_CC_PolicyGetDigest, &p, TPM_RC_SIZE);
		}
		flush(tgt, s.handle);
		flush(tgt, tr.handle);
	}
}

/* ---- authorization flows (husk) ---- */

/* The Name of the object a Load/CreatePrimary response returned. */
struct obj {
	uint32_t handle;
	struct tpm2b_name name;
};

static struct obj storage_primary(void)
{
	uint32_t h = TPM_RH_OWNER;
	struct tb p;
	struct obj o;
	const uint8_t *r;

	tb_reset(&p);
	tb_u16(&p, 4);
	tb_u16(&p, 0); /* userAuth */
	tb_u16(&p, 0); /* data */
	tb_begin(&p);
	tb_u16(&p, TPM_ALG_ECC);
	tb_u16(&p, TPM_ALG_SHA256);
	tb_u32(&p, TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN |
			   TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT |
			   TPMA_OBJECT_NODA);
	tb_u16(&p, 0);
	tb_u16(&p, TPM_ALG_AES);
	tb_u16(&p, 128);
	tb_u16(&p, TPM_ALG_CFB);
	tb_u16(&p, TPM_ALG_NULL);
	tb_u16(&p, TPM_ECC_NIST_P256);
	tb_u16(&p, TPM_ALG_NULL);
	tb_u16(&p, 0);
	tb_u16(&p, 0);
	tb_end(&p);
	tb_u16(&p, 0); /* outsideInfo */
	tb_u32(&p, 0); /* creationPCR */
	expect(HUSK, call(HUSK, TPM_CC_CreatePrimary, &h, 1, 1, &p), 0);
	o.handle = tpm_be32(host.rsp + 10);
	r = host.rsp + 18;
	r += 2 + tpm_be16(r); /* outPublic */
	r += 2 + tpm_be16(r); /* creationData */
	r += 2 + tpm_be16(r); /* creationHash */
	r += 2 + 4;       /* creationTicket tag, hierarchy */
	r += 2 + tpm_be16(r); /* digest */
	o.name.size = tpm_be16(r);
	memcpy(o.name.b, r + 2, o.name.size);
	return o;
}

/* A sealed data object under parent with authPolicy policy (and an auth
 * value), loaded. */
static struct obj sealed(const struct obj *parent, const uint8_t *policy_d, uint16_t policy_len,
			 const char *auth, uint32_t extra_attrs)
{
	uint8_t priv[TPM_MAX_PRIVATE + 2], pub[512];
	size_t priv_len, pub_len;
	struct tb p;
	struct obj o;
	const uint8_t *r;

	tb_reset(&p);
	tb_begin(&p);
	tb_2b(&p, auth, strlen(auth));
	tb_2b(&p, "sealed secret", 13);
	tb_end(&p);
	tb_begin(&p);
	tb_u16(&p, TPM_ALG_KEYEDHASH);
	tb_u16(&p, TPM_ALG_SHA256);
	tb_u32(&p, TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_NODA | extra_attrs);
	tb_2b(&p, policy_d, policy_len);
	tb_u16(&p, TPM_ALG_NULL);
	tb_u16(&p, 0);
	tb_end(&p);
	tb_u16(&p, 0);
	tb_u32(&p, 0);
	expect(HUSK, call(HUSK, TPM_CC_Create, &parent->handle, 1, 1, &p), 0);
	r = host.rsp + 14;
	priv_len = 2 + tpm_be16(r);
	memcpy(priv, r, priv_len);
	r += priv_len;
	pub_len = 2 + tpm_be16(r);
	memcpy(pub, r, pub_len);
	tb_reset(&p);
	tb_bytes(&p, priv, priv_len);
	tb_bytes(&p, pub, pub_len);
	expect(HUSK, call(HUSK, TPM_CC_Load, &parent->handle, 1, 1, &p), 0);
	o.handle = tpm_be32(host.rsp + 10);
	o.name.size = tpm_be16(host.rsp + 18);
	memcpy(o.name.b, host.rsp + 20, o.name.size);
	return o;
}

/* Unseal authorized by policy session s: the HMAC is over the cpHash with
 * key authValue (PolicyAuthValue) or empty; password after PolicyPassword. */
static uint32_t unseal(const struct obj *o, struct sess *s, const char *auth, bool password, uint8_t locality)
{
	uint8_t cp[32], mac[32], hmac_in[32 + 16 + TPM_MAX_DIGEST + 1], cc_name[4 + TPM_MAX_NAME];
	uint8_t attrs = TPMA_SESSION_CONTINUESESSION;
	struct tb c;
	size_t n = 0;

	memcpy(cc_name, "\x00\x00\x01\x5e", 4);
	memcpy(cc_name + 4, o->name.b, o->name.size);
	assert_int_equal(mbedtls_md(fx_md(TPM_ALG_SHA256), cc_name, 4 + o->name.size, cp), 0);
	memcpy(hmac_in + n, cp, 32);
	n += 32;
	memcpy(hmac_in + n, nonce_caller, 16);
	n += 16;
	memcpy(hmac_in + n, s->nonce, s->nonce_len);
	n += s->nonce_len;
	hmac_in[n++] = attrs;
	assert_int_equal(mbedtls_md_hmac(fx_md(TPM_ALG_SHA256), (const uint8_t *)auth, strlen(auth), hmac_in, n,
					 mac),
			 0);
	tb_reset(&c);
	tb_u16(&c, TPM_ST_SESSIONS);
	tb_u32(&c, 0);
	tb_u32(&c, TPM_CC_Unseal);
	tb_u32(&c, o->handle);
	tb_u32(&c, 4 + 2 + 16 + 1 + 2 + (uint32_t)(password ? strlen(auth) : 32));
	tb_u32(&c, s->handle);
	tb_2b(&c, nonce_caller, 16);
	tb_u8(&c, attrs);
	if (password)
		tb_2b(&c, auth, strlen(auth));
	else
		tb_2b(&c, mac, 32);
	c.b[5] = (uint8_t)c.n;
	assert_int_equal(tpm_process(host.tpm, c.b, c.n, locality, host.rsp, sizeof(host.rsp), &host.rsp_len), 0);
	if (tpm_be32(host.rsp + 6) == 0) {
		/* the data, then the new nonceTPM for the next use */
		const uint8_t *r = host.rsp + 14;

		assert_int_equal(tpm_be16(r), 13);
		assert_memory_equal(r + 2, "sealed secret", 13);
		r += 2 + 13;
		s->nonce_len = tpm_be16(r);
		memcpy(s->nonce, r + 2, s->nonce_len);
	}
	return tpm_be32(host.rsp + 6);
}

static void trial_digest(const step_fn *steps, size_t n, uint8_t *d, uint16_t *len)
{
	struct sess s;

	start(HUSK, TPM_SE_TRIAL, TPM_ALG_SHA256, &s);
	for (size_t i = 0; i < n; i++)
		steps[i](HUSK, &s);
	get_digest(HUSK, &s, d, len);
	flush(HUSK, s.handle);
}

static void run_steps(struct sess *s, const step_fn *steps, size_t n)
{
	for (size_t i = 0; i < n; i++)
		steps[i](HUSK, s);
}

static void st_pcr0(int tgt, const struct sess *s)
{
	struct tb p;

	tb_reset(&p);
	tb_u16(&p, 0);
	tb_u32(&p, 1);
	tb_u16(&p, TPM_ALG_SHA256);
	tb_u8(&p, 3);
	tb_u8(&p, 0x01);
	tb_u8(&p, 0);
	tb_u8(&p, 0);
	policy(tgt, s, TPM_CC_PolicyPCR, &p, 0);
}

static void extend_pcr0(void)
{
	uint32_t pcr = 0;
	struct tb e;
	uint8_t d[32];

	memset(d, 0x5c, sizeof(d));
	tb_reset(&e);
	tb_u32(&e, 1);
	tb_u16(&e, TPM_ALG_SHA256);
	tb_bytes(&e, d, 32);
	expect(HUSK, call(HUSK, TPM_CC_PCR_Extend, &pcr, 1, 1, &e), 0);
}

static void test_pcr_sealed_unseal(void **state)
{
	static const step_fn pol[] = { st_pcr0 };
	uint8_t d[32];
	uint16_t len;
	struct obj prim, o;
	struct sess s;

	(void)state;
	prim = storage_primary();
	trial_digest(pol, 1, d, &len);
	o = sealed(&prim, d, len, "", 0);
	/* The policy holds: unsealed (twice, the session continues). */
	start(HUSK, TPM_SE_POLICY, TPM_ALG_SHA256, &s);
	run_steps(&s, pol, 1);
	assert_int_equal(unseal(&o, &s, "", false, 0), 0);
	run_steps(&s, pol, 1);
	assert_int_equal(unseal(&o, &s, "", false, 0), 0);
	/* No policy at all */
	assert_int_equal(unseal(&o, &s, "", false, 0), RC_S(TPM_RC_POLICY_FAIL, 1));
	/* PCR 0 changes after PolicyPCR: the session notices. */
	run_steps(&s, pol, 1);
	extend_pcr0();
	assert_int_equal(unseal(&o, &s, "", false, 0), TPM_RC_PCR_CHANGED);
	/* ... and a new PolicyPCR gives another digest. */
	st_restart(HUSK, &s);
	run_steps(&s, pol, 1);
	assert_int_equal(unseal(&o, &s, "", false, 0), RC_S(TPM_RC_POLICY_FAIL, 1));
	/* A trial session cannot authorize. */
	{
		struct sess t;

		start(HUSK, TPM_SE_TRIAL, TPM_ALG_SHA256, &t);
		run_steps(&t, pol, 1);
		assert_int_equal(unseal(&o, &t, "", false, 0), RC_S(TPM_RC_ATTRIBUTES, 1));
		flush(HUSK, t.handle);
	}
	flush(HUSK, s.handle);
}

static void test_secret_or_authvalue_flows(void **state)
{
	static const step_fn ek[] = { st_secret_endorsement };
	static const step_fn av[] = { st_auth_value };
	static const step_fn pw[] = { st_password };
	static const step_fn ccu[] = { st_cc_unseal, st_locality };
	uint8_t d_ek[32], d_av[32], d_or[32], d_cc[32];
	uint16_t len;
	struct obj prim, o;
	struct sess s;
	struct tb p;

	(void)state;
	prim = storage_primary();
	/* PolicySecret(endorsement) */
	trial_digest(ek, 1, d_ek, &len);
	o = sealed(&prim, d_ek, 32, "", 0);
	start(HUSK, TPM_SE_POLICY, TPM_ALG_SHA256, &s);
	run_steps(&s, ek, 1);
	assert_int_equal(unseal(&o, &s, "", false, 0), 0);
	/* The policy session is reset after use. */
	assert_int_equal(unseal(&o, &s, "", false, 0), RC_S(TPM_RC_POLICY_FAIL, 1));
	/* PolicyOR(PolicySecret, PolicyAuthValue): the auth value branch */
	trial_digest(av, 1, d_av, &len);
	{
		struct sess t;

		start(HUSK, TPM_SE_TRIAL, TPM_ALG_SHA256, &t);
		tb_reset(&p);
		tb_u32(&p, 2);
		tb_2b(&p, d_ek, 32);
		tb_2b(&p, d_av, 32);
		policy(HUSK, &t, TPM_CC_PolicyOR, &p, 0);
		get_digest(HUSK, &t, d_or, &len);
		flush(HUSK, t.handle);
	}
	o = sealed(&prim, d_or, 32, "objpw", 0);
	st_restart(HUSK, &s);
	run_steps(&s, av, 1);
	policy(HUSK, &s, TPM_CC_PolicyOR, &p, 0);
	assert_int_equal(unseal(&o, &s, "objpw", false, 0), 0);
	/* wrong auth value in the HMAC */
	run_steps(&s, av, 1);
	policy(HUSK, &s, TPM_CC_PolicyOR, &p, 0);
	assert_int_equal(unseal(&o, &s, "wrong", false, 0), RC_S(TPM_RC_BAD_AUTH, 1));
	/* PolicyPassword: the password in the HMAC field */
	st_restart(HUSK, &s);
	run_steps(&s, pw, 1);
	policy(HUSK, &s, TPM_CC_PolicyOR, &p, 0);
	assert_int_equal(unseal(&o, &s, "objpw", true, 0), 0);
	/* the other branch: PolicySecret */
	run_steps(&s, ek, 1);
	policy(HUSK, &s, TPM_CC_PolicyOR, &p, 0);
	assert_int_equal(unseal(&o, &s, "", false, 0), 0);
	/* PolicyCommandCode + PolicyLocality (1 or 2) */
	trial_digest(ccu, 2, d_cc, &len);
	o = sealed(&prim, d_cc, 32, "", 0);
	run_steps(&s, ccu, 2);
	assert_int_equal(unseal(&o, &s, "", false, 0), TPM_RC_LOCALITY);
	st_restart(HUSK, &s);
	run_steps(&s, ccu, 2);
	assert_int_equal(unseal(&o, &s, "", false, 2), 0);
	flush(HUSK, s.handle);
}

static void test_signed_ticket_flows(void **state)
{
	uint8_t d[32], ahash[32], d_signed[32], buf[64];
	uint16_t len;
	struct obj prim, o;
	struct sess s;
	struct tb p;
	uint8_t timeout[8], ticket[2 + 4 + 2 + 64];
	size_t ticket_len;

	(void)state;
	make_ec_key();
	load_ec_key(HUSK, TPM_RH_OWNER);
	prim = storage_primary();
	/* PolicySigned with the test's key, policyRef "signed-ref" */
	{
		struct sess t;

		start(HUSK, TPM_SE_TRIAL, TPM_ALG_SHA256, &t);
		st_signed(HUSK, &t);
		get_digest(HUSK, &t, d_signed, &len);
		flush(HUSK, t.handle);
	}
	o = sealed(&prim, d_signed, 32, "", 0);
	start(HUSK, TPM_SE_POLICY, TPM_ALG_SHA256, &s);
	/* aHash = H(nonceTPM || expiration || cpHashA || policyRef), with
	 * expiration -60 s: a ticket comes back. */
	memcpy(buf, s.nonce, s.nonce_len);
	memcpy(buf + s.nonce_len, "\xff\xff\xff\xc4", 4);
	memcpy(buf + s.nonce_len + 4, "signed-ref", 10);
	assert_int_equal(mbedtls_md(fx_md(TPM_ALG_SHA256), buf, s.nonce_len + 14u, ahash), 0);
	{
		uint32_t h[2] = { ext_key[HUSK], s.handle };
		const uint8_t *r;

		tb_reset(&p);
		tb_2b(&p, s.nonce, s.nonce_len);
		tb_u16(&p, 0);
		tb_2b(&p, "signed-ref", 10);
		tb_u32(&p, 0xffffffc4u);
		ec_sign(ahash, 32, &p);
		expect(HUSK, call(HUSK, TPM_CC_PolicySigned, h, 2, 0, &p), 0);
		r = params_of(HUSK, false);
		assert_int_equal(tpm_be16(r), 8);
		memcpy(timeout, r + 2, 8);
		r += 10;
		assert_int_equal(tpm_be16(r), TPM_ST_AUTH_SIGNED);
		assert_int_equal(tpm_be32(r + 2), TPM_RH_OWNER);
		ticket_len = 8 + tpm_be16(r + 6);
		memcpy(ticket, r, ticket_len);
		assert_int_equal(unseal(&o, &s, "", false, 0), 0);
		/* A bad signature; a signature by the right key over the wrong
		 * data (another policyRef). */
		tb_reset(&p);
		tb_2b(&p, s.nonce, s.nonce_len);
		tb_u16(&p, 0);
		tb_2b(&p, "signed-ref", 10);
		tb_u32(&p, 0);
		ec_sign(ahash, 32, &p);
		expect(HUSK, call(HUSK, TPM_CC_PolicySigned, h, 2, 0, &p), RC_P(TPM_RC_SIGNATURE, 5));
		tb_reset(&p);
		tb_2b(&p, s.nonce, s.nonce_len);
		tb_u16(&p, 0);
		tb_2b(&p, "signed-ref", 10);
		tb_u32(&p, 0);
		tb_u16(&p, TPM_ALG_NULL);
		expect(HUSK, call(HUSK, TPM_CC_PolicySigned, h, 2, 0, &p), RC_P(TPM_RC_SCHEME, 5));
	}
	/* PolicyTicket stands in for the PolicySigned (in this boot only) */
	{
		struct tb q;

		tb_reset(&q);
		tb_2b(&q, timeout, 8);
		tb_u16(&q, 0);
		tb_2b(&q, "signed-ref", 10);
		tb_2b(&q, ext_key_name[HUSK].b, ext_key_name[HUSK].size);
		tb_bytes(&q, ticket, ticket_len);
		policy(HUSK, &s, TPM_CC_PolicyTicket, &q, 0);
		get_digest(HUSK, &s, d, &len);
		assert_memory_equal(d, d_signed, 32);
		assert_int_equal(unseal(&o, &s, "", false, 0), 0);
		/* tampered: another policyRef, another timeout */
		q.b[2 + 8 + 2 + 2] ^= 1;
		policy(HUSK, &s, TPM_CC_PolicyTicket, &q, RC_P(TPM_RC_TICKET, 5));
		q.b[2 + 8 + 2 + 2] ^= 1;
		q.b[2 + 7] ^= 1;
		policy(HUSK, &s, TPM_CC_PolicyTicket, &q, RC_P(TPM_RC_TICKET, 5));
		q.b[2 + 7] ^= 1;
		/* After 60 s it has expired. */
		host.fake_ms += 61000;
		policy(HUSK, &s, TPM_CC_PolicyTicket, &q, RC_P(TPM_RC_EXPIRED, 1));
		/* Not after a reboot either. */
		assert_int_equal(tpm_power_off(host.tpm), 0);
		assert_int_equal(tpm_power_on(host.tpm), 0);
		assert_int_equal(tpm_host_startup(&host, TPM_SU_CLEAR), 0);
		start(HUSK, TPM_SE_POLICY, TPM_ALG_SHA256, &s);
		policy(HUSK, &s, TPM_CC_PolicyTicket, &q, RC_P(TPM_RC_TICKET, 5));
		flush(HUSK, s.handle);
	}
	mbedtls_ecdsa_free(&ec);
}

static void test_secret_expiration(void **state)
{
	uint32_t h[2];
	struct sess s;
	struct tb p;
	const uint8_t *r;

	(void)state;
	start(HUSK, TPM_SE_POLICY, TPM_ALG_SHA256, &s);
	h[0] = TPM_RH_OWNER;
	h[1] = s.handle;
	/* Relative to the session start when bound to its nonce */
	tb_reset(&p);
	tb_2b(&p, s.nonce, s.nonce_len);
	tb_u16(&p, 0);
	tb_u16(&p, 0);
	tb_u32(&p, 2);
	assert_int_equal(call(HUSK, TPM_CC_PolicySecret, h, 2, 1, &p), 0);
	assert_int_equal(tpm_be16(params_of(HUSK, false)), 0); /* no ticket for a positive expiration */
	host.fake_ms += 3000;
	assert_int_equal(call(HUSK, TPM_CC_PolicySecret, h, 2, 1, &p), RC_P(TPM_RC_EXPIRED, 4));
	/* Absolute Time without a nonce: 1 s after Startup has passed. */
	tb_reset(&p);
	tb_u16(&p, 0);
	tb_u16(&p, 0);
	tb_u16(&p, 0);
	tb_u32(&p, 1);
	assert_int_equal(call(HUSK, TPM_CC_PolicySecret, h, 2, 1, &p), RC_P(TPM_RC_EXPIRED, 4));
	/* A negative expiration gives a ticket for the owner hierarchy. */
	tb_reset(&p);
	tb_u16(&p, 0);
	tb_u16(&p, 0);
	tb_u16(&p, 0);
	tb_u32(&p, (uint32_t)-100);
	assert_int_equal(call(HUSK, TPM_CC_PolicySecret, h, 2, 1, &p), 0);
	r = params_of(HUSK, false);
	assert_int_equal(tpm_be16(r), 8);
	assert_int_equal(tpm_be16(r + 10), TPM_ST_AUTH_SECRET);
	assert_int_equal(tpm_be32(r + 12), TPM_RH_OWNER);
	assert_int_equal(tpm_be16(r + 16), 64);
	/* The session records the expiry. */
	assert_int_not_equal(tpm_session_find(host.tpm, s.handle)->policy_timeout, 0);
	flush(HUSK, s.handle);
}

static void test_authorize_flow(void **state)
{
	static const step_fn av[] = { st_auth_value };
	uint8_t approved[32], ahash[32], buf[128], d[32], want[32];
	uint16_t len;
	uint32_t key;
	struct sess s;
	struct tb p;
	const uint8_t *r;
	uint8_t ticket[2 + 4 + 2 + 64];
	size_t ticket_len;

	(void)state;
	make_ec_key();
	load_ec_key(HUSK, TPM_RH_OWNER);
	key = ext_key[HUSK];
	/* The authority signs aHash = H(approvedPolicy || policyRef) and
	 * VerifySignature turns that into a ticket. */
	trial_digest(av, 1, approved, &len);
	memcpy(buf, approved, 32);
	memcpy(buf + 32, "auth-ref", 8);
	assert_int_equal(mbedtls_md(fx_md(TPM_ALG_SHA256), buf, 40, ahash), 0);
	tb_reset(&p);
	tb_2b(&p, ahash, 32);
	ec_sign(ahash, 32, &p);
	expect(HUSK, call(HUSK, TPM_CC_VerifySignature, &key, 1, 0, &p), 0);
	r = params_of(HUSK, false);
	assert_int_equal(tpm_be16(r), TPM_ST_VERIFIED);
	ticket_len = 8 + tpm_be16(r + 6);
	memcpy(ticket, r, ticket_len);

	start(HUSK, TPM_SE_POLICY, TPM_ALG_SHA256, &s);
	run_steps(&s, av, 1);
	tb_reset(&p);
	tb_2b(&p, approved, 32);
	tb_2b(&p, "auth-ref", 8);
	tb_2b(&p, ext_key_name[HUSK].b, ext_key_name[HUSK].size);
	tb_bytes(&p, ticket, ticket_len);
	policy(HUSK, &s, TPM_CC_PolicyAuthorize, &p, 0);
	/* policyDigest = H(H(0 || TPM_CC_PolicyAuthorize || keyName) || policyRef) */
	get_digest(HUSK, &s, d, &len);
	memset(buf, 0, 32);
	memcpy(buf + 32, "\x00\x00\x01\x6a", 4);
	memcpy(buf + 36, ext_key_name[HUSK].b, ext_key_name[HUSK].size);
	assert_int_equal(mbedtls_md(fx_md(TPM_ALG_SHA256), buf, 36 + ext_key_name[HUSK].size, want), 0);
	memcpy(buf, want, 32);
	memcpy(buf + 32, "auth-ref", 8);
	assert_int_equal(mbedtls_md(fx_md(TPM_ALG_SHA256), buf, 40, want), 0);
	assert_memory_equal(d, want, 32);
	/* The same ticket does not approve another policy. */
	st_restart(HUSK, &s);
	st_password(HUSK, &s);
	st_cc_unseal(HUSK, &s);
	get_digest(HUSK, &s, d, &len);
	tb_reset(&p);
	tb_2b(&p, d, 32);
	tb_2b(&p, "auth-ref", 8);
	tb_2b(&p, ext_key_name[HUSK].b, ext_key_name[HUSK].size);
	tb_bytes(&p, ticket, ticket_len);
	policy(HUSK, &s, TPM_CC_PolicyAuthorize, &p, RC_P(TPM_RC_VALUE, 4));
	flush(HUSK, s.handle);
	mbedtls_ecdsa_free(&ec);
}

static void test_nv_flow(void **state)
{
	static const step_fn nv[] = { st_nv };
	uint8_t d[32];
	uint16_t len;
	struct obj prim, o;
	struct sess s;
	uint32_t h[2] = { NV_INDEX, NV_INDEX };
	struct tb p;

	(void)state;
	define_nv(HUSK);
	prim = storage_primary();
	trial_digest(nv, 1, d, &len);
	o = sealed(&prim, d, 32, "", 0);
	start(HUSK, TPM_SE_POLICY, TPM_ALG_SHA256, &s);
	run_steps(&s, nv, 1);
	assert_int_equal(unseal(&o, &s, "", false, 0), 0);
	/* NV contents change: the assertion fails at once. */
	tb_reset(&p);
	tb_2b(&p, "\x12\x35", 2);
	tb_u16(&p, 0);
	assert_int_equal(call(HUSK, TPM_CC_NV_Write, h, 2, 1, &p), 0);
	{
		uint32_t hh[3] = { NV_INDEX, NV_INDEX, s.handle };

		tb_reset(&p);
		tb_2b(&p, "\x12\x34", 2);
		tb_u16(&p, 0);
		tb_u16(&p, 0);
		assert_int_equal(call(HUSK, TPM_CC_PolicyNV, hh, 3, 1, &p), TPM_RC_POLICY);
	}
	flush(HUSK, s.handle);
}

static void test_signed_errors(void **state)
{
	uint8_t ahash[32];

	(void)state;
	make_ec_key();
	memset(ahash, 0, sizeof(ahash));
	for (int tgt = HUSK; tgt <= REF; tgt++) {
		struct sess s;
		struct tb p, k;
		uint32_t h[2], dec;
		uint8_t buf[64 + 4 + 10];

		start(tgt, TPM_SE_POLICY, TPM_ALG_SHA256, &s);
		load_ec_key(tgt, TPM_RH_OWNER);
		h[0] = ext_key[tgt];
		h[1] = s.handle;
		/* aHash over an empty nonce, expiration 0, no cpHash, ref "r" */
		memcpy(buf, "\0\0\0\0r", 5);
		assert_int_equal(mbedtls_md(fx_md(TPM_ALG_SHA256), buf, 5, ahash), 0);
		tb_reset(&p);
		tb_u16(&p, 0);
		tb_u16(&p, 0);
		tb_2b(&p, "r", 1);
		tb_u32(&p, 0);
		ec_sign(ahash, 32, &p);
		expect(tgt, call(tgt, TPM_CC_PolicySigned, h, 2, 0, &p), 0);
		/* the same signature claimed for another policyRef */
		p.b[6] = 'q';
		expect(tgt, call(tgt, TPM_CC_PolicySigned, h, 2, 0, &p), RC_P(TPM_RC_SIGNATURE, 5));
		/* a key without the sign attribute still verifies (as in the
		 * reference: only its holder could have made the signature) */
		fx_ecc(&k, TPM_ECC_NIST_P256, NULL, ec_x, ec_y, 32, TPMA_OBJECT_DECRYPT | TPMA_OBJECT_USERWITHAUTH,
			     TPM_ALG_NULL, 0, TPM_RH_OWNER);
		expect(tgt, call(tgt, TPM_CC_LoadExternal, NULL, 0, 0, &k), 0);
		dec = tpm_be32(fx_tgt[tgt]->rsp + 10);
		h[0] = dec;
		p.b[6] = 'r';
		expect(tgt, call(tgt, TPM_CC_PolicySigned, h, 2, 0, &p), 0);
		/* an RSA signature for an ECC key */
		h[0] = ext_key[tgt];
		tb_reset(&p);
		tb_u16(&p, 0);
		tb_u16(&p, 0);
		tb_2b(&p, "r", 1);
		tb_u32(&p, 0);
		tb_u16(&p, TPM_ALG_RSASSA);
		tb_u16(&p, TPM_ALG_SHA256);
		tb_2b(&p, buf, 32);
		expect(tgt, call(tgt, TPM_CC_PolicySigned, h, 2, 0, &p), RC_P(TPM_RC_SCHEME, 5));
		/* a nonce that is not the session's; an expired authorization */
		tb_reset(&p);
		tb_2b(&p, buf, 16);
		tb_u16(&p, 0);
		tb_2b(&p, "r", 1);
		tb_u32(&p, 0);
		ec_sign(ahash, 32, &p);
		expect(tgt, call(tgt, TPM_CC_PolicySigned, h, 2, 0, &p), RC_P(TPM_RC_NONCE, 1));
		flush(tgt, s.handle);
		flush(tgt, dec);
		flush(tgt, ext_key[tgt]);
	}
	mbedtls_ecdsa_free(&ec);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_trial_digests, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_known_digests, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_real_session_checks, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_pcr_sealed_unseal, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_secret_or_authvalue_flows, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_signed_ticket_flows, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_secret_expiration, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_authorize_flow, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_nv_flow, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_signed_errors, setup, fx_teardown),
	};
	return cmocka_run_group_tests_name("tpm_policy", tests, NULL, NULL);
}
