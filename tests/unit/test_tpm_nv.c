/* Unit tests of the TPM engine's NV indexes (lib/tpm/tpm_nv.c): every NV
 * command's success and error paths with exact response codes, index types
 * (ordinary, counter, bits, extend) with hand-computed values, Startup and
 * Clear effects, and the same command sequences run on libtpms (the
 * reference TPM, in process) with response codes and outputs compared. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "../common/tpm_fixture.h"
#include "tpm/tpm_internal.h"

#define IDX(n) (0x01000000u + (n))
#define OWNER TPM_RH_OWNER
#define PLATFORM TPM_RH_PLATFORM
#define NT(x) ((uint32_t)(x) << TPMA_NV_TPM_NT_SHIFT)
#define ORW (TPMA_NV_OWNERWRITE | TPMA_NV_OWNERREAD)
#define ARW (TPMA_NV_AUTHWRITE | TPMA_NV_AUTHREAD)
#define PRW (TPMA_NV_PPWRITE | TPMA_NV_PPREAD | TPMA_NV_PLATFORMCREATE)
#define P1 (TPM_RC_P | TPM_RC_1)
#define P2 (TPM_RC_P | TPM_RC_2)
#define H1 (TPM_RC_H | TPM_RC_1)
#define H2 (TPM_RC_H | TPM_RC_2)

/* ---- recording: a scenario runs on both TPMs, its log is compared ---- */

/* X: expect a code; XO: also keep the response for comparison; XA: any code. */
#define X(want, expr) fx_step(l, t, #expr, (expr), (want), false, __LINE__)
#define XO(want, expr) fx_step(l, t, #expr, (expr), (want), true, __LINE__)
#define XA(expr) fx_step(l, t, #expr, (expr), FX_ANY, false, __LINE__)

/* ---- command helpers ---- */

static uint32_t define(struct tgt *t, uint32_t by, uint32_t index, uint32_t attrs, uint16_t size)
{
	return tgt_nv_define(t, by, "", NULL, index, TPM_ALG_SHA256, attrs, NULL, 0, size);
}

static uint32_t define_auth(struct tgt *t, uint32_t index, uint32_t attrs, uint16_t size, const char *auth)
{
	return tgt_nv_define(t, OWNER, "", auth, index, TPM_ALG_SHA256, attrs, NULL, 0, size);
}

/* TPM2B_NV_PUBLIC built by hand (for malformed ones). */
static uint32_t define_raw(struct tgt *t, uint32_t by, const void *auth, uint16_t auth_len, uint16_t psize,
			   uint32_t index, uint16_t alg, uint32_t attrs, uint16_t policy_len, uint16_t size,
			   unsigned extra)
{
	static const uint8_t zero[128];
	struct cmd b;

	cmd_init(&b, TPM_CC_NV_DefineSpace);
	cmd_handle(&b, by);
	cmd_pw(&b, "");
	tb_2b(&b.p, auth, auth_len);
	tb_u16(&b.p, psize);
	tb_u32(&b.p, index);
	tb_u16(&b.p, alg);
	tb_u32(&b.p, attrs);
	tb_2b(&b.p, zero, policy_len);
	tb_u16(&b.p, size);
	while (extra--)
		tb_u8(&b.p, 0);
	return cmd_send(&b, t);
}

static uint32_t nv2(struct tgt *t, uint32_t cc, uint32_t by, uint32_t index, const char *pw)
{
	struct cmd b;

	cmd_init(&b, cc);
	cmd_handle(&b, by);
	cmd_handle(&b, index);
	cmd_pw(&b, pw);
	return cmd_send(&b, t);
}

static uint32_t undefine(struct tgt *t, uint32_t by, uint32_t index)
{
	return nv2(t, TPM_CC_NV_UndefineSpace, by, index, "");
}

static uint32_t increment(struct tgt *t, uint32_t by, uint32_t index, const char *pw)
{
	return nv2(t, TPM_CC_NV_Increment, by, index, pw);
}

static uint32_t write_lock(struct tgt *t, uint32_t by, uint32_t index)
{
	return nv2(t, TPM_CC_NV_WriteLock, by, index, "");
}

static uint32_t read_lock(struct tgt *t, uint32_t by, uint32_t index)
{
	return nv2(t, TPM_CC_NV_ReadLock, by, index, "");
}

static uint32_t set_bits(struct tgt *t, uint32_t by, uint32_t index, uint64_t bits)
{
	struct cmd b;

	cmd_init(&b, TPM_CC_NV_SetBits);
	cmd_handle(&b, by);
	cmd_handle(&b, index);
	cmd_pw(&b, "");
	tb_u64(&b.p, bits);
	return cmd_send(&b, t);
}

static uint32_t extend(struct tgt *t, uint32_t by, uint32_t index, const void *data, uint16_t len)
{
	struct cmd b;

	cmd_init(&b, TPM_CC_NV_Extend);
	cmd_handle(&b, by);
	cmd_handle(&b, index);
	cmd_pw(&b, "");
	tb_2b(&b.p, data, len);
	return cmd_send(&b, t);
}

static uint32_t global_lock(struct tgt *t, uint32_t by)
{
	struct cmd b;

	cmd_init(&b, TPM_CC_NV_GlobalWriteLock);
	cmd_handle(&b, by);
	cmd_pw(&b, "");
	return cmd_send(&b, t);
}

static uint32_t hier_control(struct tgt *t, uint32_t by, uint32_t enable, uint8_t state)
{
	struct cmd b;

	cmd_init(&b, TPM_CC_HierarchyControl);
	cmd_handle(&b, by);
	cmd_pw(&b, "");
	tb_u32(&b.p, enable);
	tb_u8(&b.p, state);
	return cmd_send(&b, t);
}

static uint32_t clear(struct tgt *t)
{
	struct cmd b;

	cmd_init(&b, TPM_CC_Clear);
	cmd_handle(&b, PLATFORM);
	cmd_pw(&b, "");
	return cmd_send(&b, t);
}

static uint32_t read_public(struct tgt *t, uint32_t index)
{
	struct cmd b;

	cmd_init(&b, TPM_CC_NV_ReadPublic);
	cmd_handle(&b, index);
	return cmd_send(&b, t);
}

static uint32_t read_nv(struct tgt *t, uint32_t by, uint32_t index, const char *pw, uint16_t size,
			uint16_t offset)
{
	return tgt_nv_read(t, by, index, pw, NULL, size, offset);
}

static uint32_t attrs_of(struct tgt *t, uint32_t index)
{
	uint32_t a = 0;

	return tgt_nv_public(t, index, &a, NULL, NULL, NULL) ? 0xffffffffu : a;
}

static uint64_t read_u64(struct tgt *t, uint32_t by, uint32_t index)
{
	uint8_t v[8];
	uint64_t x = 0;

	if (tgt_nv_read(t, by, index, "", v, 8, 0))
		return ~0ull;
	for (int i = 0; i < 8; i++)
		x = x << 8 | v[i];
	return x;
}

/* A policy session (empty policy: the digest is all zero) and the command
 * sent with it for the handle of index `auth_by`. */
static uint32_t with_policy(struct tgt *t, struct cmd *b, const char *auth)
{
	uint32_t sh;
	uint8_t nonce[64];
	uint16_t nlen;
	uint32_t rc = tgt_policy_session(t, &sh, nonce, &nlen);

	if (rc)
		return rc;
	cmd_policy(b, sh, nonce, nlen, auth);
	return cmd_send(b, t);
}

/* A policy session that ran PolicyCommandCode(cc): ADMIN actions through a
 * policy need it.  The matching authPolicy is
 * SHA-256(zeros || TPM_CC_PolicyCommandCode || cc). */
static void cc_policy_digest(uint32_t cc, uint8_t out[32])
{
	uint8_t buf[40] = { 0 };
	struct tpm_part part = { buf, sizeof(buf) };

	tpm_put_be32(buf + 32, TPM_CC_PolicyCommandCode);
	tpm_put_be32(buf + 36, cc);
	assert_int_equal(tpm_hash_parts(TPM_ALG_SHA256, &part, 1, out), 0);
}

static uint32_t with_cc_policy(struct tgt *t, struct cmd *b, uint32_t cc)
{
	struct cmd p;
	uint32_t sh, rc;
	uint8_t nonce[64];
	uint16_t nlen;

	rc = tgt_policy_session(t, &sh, nonce, &nlen);
	if (rc)
		return rc;
	cmd_init(&p, TPM_CC_PolicyCommandCode);
	cmd_handle(&p, sh);
	tb_u32(&p.p, cc);
	rc = cmd_send(&p, t);
	if (rc)
		return rc;
	cmd_policy(b, sh, nonce, nlen, NULL);
	return cmd_send(b, t);
}

/* ---- fixtures ---- */

static int setup(void **state)
{
	(void)state;
	return fx_setup(0x5eed, 0);
}

/* ---- scenarios ---- */

static void sc_define_errors(struct tgt *t, struct fx_log *l)
{
	uint8_t auth33[128], auth40[40];

	memset(auth33, 0x11, sizeof(auth33));
	memset(auth40, 7, 32);
	memset(auth40 + 32, 0, 8);
	X(0, define(t, OWNER, IDX(1), ORW, 32));
	X(TPM_RC_NV_DEFINED, define(t, OWNER, IDX(1), ORW, 32));
	X(TPM_RC_NV_DEFINED, define(t, OWNER, IDX(1), ORW | TPMA_NV_AUTHREAD, 16));
	/* unmarshalling of TPM2B_NV_PUBLIC */
	X(TPM_RC_VALUE | P2, define(t, OWNER, 0x02000001, ORW, 8));
	X(TPM_RC_VALUE | P2, define(t, OWNER, 0x81000001, ORW, 8));
	X(TPM_RC_HASH | P2, tgt_nv_define(t, OWNER, "", NULL, IDX(2), 0x0099, ORW, NULL, 0, 8));
	X(TPM_RC_HASH | P2, tgt_nv_define(t, OWNER, "", NULL, IDX(2), TPM_ALG_NULL, ORW, NULL, 0, 8));
	X(TPM_RC_RESERVED_BITS | P2, define(t, OWNER, IDX(2), ORW | 0x100, 8));
	X(TPM_RC_RESERVED_BITS | P2, define(t, OWNER, IDX(2), ORW | 0x00100000, 8));
	X(TPM_RC_SIZE | P2, define_raw(t, OWNER, NULL, 0, 0, IDX(2), TPM_ALG_SHA256, ORW, 0, 8, 0));
	X(TPM_RC_SIZE | P2, define_raw(t, OWNER, NULL, 0, 15, IDX(2), TPM_ALG_SHA256, ORW, 0, 8, 1));
	X(TPM_RC_SIZE | P2, define_raw(t, OWNER, NULL, 0, 13, IDX(2), TPM_ALG_SHA256, ORW, 0, 8, 0));
	X(TPM_RC_SIZE | P2, define_raw(t, OWNER, NULL, 0, 40, IDX(2), TPM_ALG_SHA256, ORW, 0, 8, 0));
	X(TPM_RC_SIZE | P2, define_raw(t, OWNER, NULL, 0, 14 + 65, IDX(2), TPM_ALG_SHA256, ORW, 65, 8, 0));
	X(TPM_RC_SIZE, define_raw(t, OWNER, NULL, 0, 14, IDX(2), TPM_ALG_SHA256, ORW, 0, 8, 1));
	X(TPM_RC_SIZE | P1, define_raw(t, OWNER, auth33, 65, 14, IDX(2), TPM_ALG_SHA256, ORW, 0, 8, 0));
	X(TPM_RC_SIZE | P2, define(t, OWNER, IDX(2), ORW, 2049));
	/* consistency */
	X(TPM_RC_SIZE | P2, tgt_nv_define(t, OWNER, "", NULL, IDX(2), TPM_ALG_SHA256, ORW, auth33, 20, 8));
	X(TPM_RC_SIZE | P1, define_raw(t, OWNER, auth33, 33, 14, IDX(2), TPM_ALG_SHA256, ORW, 0, 8, 0));
	X(TPM_RC_SIZE | P1, define_raw(t, OWNER, auth33, 21, 14, IDX(2), TPM_ALG_SHA1, ORW, 0, 8, 0));
	/* the policy is checked before the authValue */
	X(TPM_RC_SIZE | P2, define_raw(t, OWNER, auth33, 33, 14 + 20, IDX(2), TPM_ALG_SHA256, ORW, 20, 8, 0));
	/* trailing zeros of an authValue do not count */
	X(0, define_raw(t, OWNER, auth40, 40, 14, IDX(2), TPM_ALG_SHA256, ORW, 0, 8, 0));
	X(TPM_RC_ATTRIBUTES | P2, define(t, OWNER, IDX(3), ORW | NT(3), 8));
	X(TPM_RC_ATTRIBUTES | P2, define(t, OWNER, IDX(3), ORW | NT(5), 8));
	X(TPM_RC_ATTRIBUTES | P2, define(t, OWNER, IDX(3), ORW | NT(15), 8));
	X(TPM_RC_SIZE | P2, define(t, OWNER, IDX(3), ORW | NT(TPM_NT_COUNTER), 4));
	X(TPM_RC_SIZE | P2, define(t, OWNER, IDX(3), ORW | NT(TPM_NT_BITS), 16));
	X(TPM_RC_SIZE | P2, define(t, OWNER, IDX(3), ORW | NT(TPM_NT_EXTEND), 20));
	X(TPM_RC_SIZE | P2, define(t, OWNER, IDX(3), ORW | NT(TPM_NT_EXTEND), 48));
	X(TPM_RC_ATTRIBUTES | P2, define(t, OWNER, IDX(3), ORW | NT(TPM_NT_COUNTER) | TPMA_NV_CLEAR_STCLEAR, 8));
	X(TPM_RC_ATTRIBUTES | P2, define(t, OWNER, IDX(3), ORW | TPMA_NV_WRITTEN, 8));
	X(TPM_RC_ATTRIBUTES | P2, define(t, OWNER, IDX(3), ORW | TPMA_NV_WRITELOCKED, 8));
	X(TPM_RC_ATTRIBUTES | P2, define(t, OWNER, IDX(3), ORW | TPMA_NV_READLOCKED, 8));
	X(TPM_RC_ATTRIBUTES | P2, define(t, OWNER, IDX(3), TPMA_NV_OWNERWRITE | TPMA_NV_AUTHWRITE, 8));
	X(TPM_RC_ATTRIBUTES | P2, define(t, OWNER, IDX(3), TPMA_NV_OWNERREAD | TPMA_NV_POLICYREAD, 8));
	X(TPM_RC_ATTRIBUTES | P2, define(t, OWNER, IDX(3), ORW | TPMA_NV_CLEAR_STCLEAR | TPMA_NV_WRITEDEFINE, 8));
	X(TPM_RC_ATTRIBUTES | H1, define(t, OWNER, IDX(3), ORW | TPMA_NV_PLATFORMCREATE, 8));
	X(TPM_RC_ATTRIBUTES | H1, define(t, PLATFORM, IDX(3), TPMA_NV_PPWRITE | TPMA_NV_PPREAD, 8));
	X(TPM_RC_ATTRIBUTES | P2, define(t, OWNER, IDX(3), ORW | TPMA_NV_POLICY_DELETE, 8));
	X(TPM_RC_SIZE | P2, define(t, OWNER, IDX(3), ORW | TPMA_NV_WRITEALL, 1025));
	X(0, define(t, OWNER, IDX(3), ORW | TPMA_NV_WRITEALL, 1024));
	/* every type with a valid size; the maximum ordinary size */
	X(0, define(t, OWNER, IDX(4), ORW | NT(TPM_NT_COUNTER), 8));
	X(0, define(t, OWNER, IDX(5), ORW | NT(TPM_NT_BITS), 8));
	X(0, tgt_nv_define(t, OWNER, "", NULL, IDX(6), TPM_ALG_SHA1, ORW | NT(TPM_NT_EXTEND), NULL, 0, 20));
	X(0, define(t, OWNER, IDX(7), ORW, 2048));
	X(0, define(t, OWNER, IDX(8), ORW, 0));
	X(0, define(t, OWNER, 0x01ffffff, ORW, 1));
	X(0, define(t, PLATFORM, 0x01c00000, PRW | TPMA_NV_POLICY_DELETE, 8));
	/* the platform cannot define while phEnableNV is clear */
	X(0, hier_control(t, PLATFORM, TPM_RH_PLATFORM_NV, 0));
	X(TPM_RC_HIERARCHY | H1, define(t, PLATFORM, IDX(9), PRW, 8));
	X(0, define(t, OWNER, IDX(9), ORW, 8));
	/* its indexes are hidden meanwhile */
	X(TPM_RC_HANDLE | H1, read_public(t, 0x01c00000));
	X(0, hier_control(t, PLATFORM, TPM_RH_PLATFORM_NV, 1));
	XO(0, read_public(t, 0x01c00000));
	/* the owner's are hidden while shEnable is clear */
	X(0, hier_control(t, OWNER, OWNER, 0));
	X(TPM_RC_HANDLE | H1, read_public(t, IDX(9)));
	X(TPM_RC_HANDLE | H2, undefine(t, PLATFORM, IDX(9)));
	X(TPM_RC_HIERARCHY | H1, define(t, OWNER, IDX(10), ORW, 8));
	X(0, hier_control(t, PLATFORM, OWNER, 1));
	XO(0, read_public(t, IDX(9)));
	/* Names of all kinds of index: the same as libtpms' */
	XO(0, read_public(t, IDX(1)));
	XO(0, read_public(t, IDX(2)));
	XO(0, read_public(t, IDX(4)));
	XO(0, read_public(t, IDX(6)));
	XO(0, read_public(t, 0x01ffffff));
	X(TPM_RC_HANDLE | H1, read_public(t, IDX(100)));
	X(TPM_RC_VALUE | H1, read_public(t, OWNER));
}

static void test_define_errors(void **state)
{
	(void)state;
	fx_run_both(sc_define_errors);
	/* PIN indexes are not implemented (libtpms has them). */
	assert_int_equal(tgt_nv_define(&husk, OWNER, "", NULL, IDX(20), TPM_ALG_SHA256,
				       ORW | TPMA_NV_NO_DA | NT(TPM_NT_PIN_FAIL), NULL, 0, 8),
			 TPM_RC_ATTRIBUTES | P2);
	assert_int_equal(tgt_nv_define(&husk, OWNER, "", NULL, IDX(20), TPM_ALG_SHA256, ORW | NT(TPM_NT_PIN_PASS),
				       NULL, 0, 8),
			 TPM_RC_ATTRIBUTES | P2);
	/* Policy and auth must fit the name algorithm: SHA-512 allows 64 bytes. */
	{
		uint8_t policy[64] = { 1 };

		assert_int_equal(tgt_nv_define(&husk, OWNER, "", NULL, IDX(21), TPM_ALG_SHA512, ORW, policy, 64, 8), 0);
		assert_int_equal(tgt_nv_define(&husk, OWNER, "", NULL, IDX(22), TPM_ALG_SHA384, ORW, policy, 64, 8),
				 TPM_RC_SIZE | P2);
	}
}

static void test_define_limits(void **state)
{
	struct tpm *tp = host.tpm;
	unsigned i;

	(void)state;
	/* 32 indexes of 2 KiB fill the 64 KiB of NV. */
	for (i = 0; i < 32; i++)
		assert_int_equal(define(&husk, OWNER, IDX(i), ORW, 2048), 0);
	assert_int_equal(tp->nv.nv_bytes, 65536);
	assert_int_equal(define(&husk, OWNER, IDX(100), ORW, 1), TPM_RC_NV_SPACE);
	assert_int_equal(define(&husk, OWNER, IDX(100), ORW, 0), 0);
	/* Undefining gives the space back. */
	assert_int_equal(undefine(&husk, OWNER, IDX(5)), 0);
	assert_int_equal(tp->nv.nv_bytes, 65536 - 2048);
	assert_int_equal(define(&husk, OWNER, IDX(101), ORW, 2048), 0);
	assert_int_equal(define(&husk, OWNER, IDX(102), ORW, 1), TPM_RC_NV_SPACE);
	/* At most 64 indexes. */
	for (i = 0; tp->nv.nv_count < TPM_MAX_NV_INDICES; i++)
		assert_int_equal(define(&husk, OWNER, IDX(200 + i), ORW, 0), 0);
	assert_int_equal(define(&husk, OWNER, IDX(300), ORW, 0), TPM_RC_NV_SPACE);
	/* The table stays sorted by handle (GetCapability lists it so). */
	for (i = 1; i < tp->nv.nv_count; i++)
		assert_true(tp->nv.nv[i - 1].handle < tp->nv.nv[i].handle);
	assert_true(tpm_nv_dirty(tp));
}

static void sc_write_read(struct tgt *t, struct fx_log *l)
{
	static uint8_t big[1025];
	uint8_t buf[16];

	X(0, define_auth(t, IDX(1), ORW | ARW | TPMA_NV_NO_DA, 16, "pw"));
	X(TPM_RC_NV_UNINITIALIZED, read_nv(t, OWNER, IDX(1), "", 16, 0));
	X(TPM_RC_NV_UNINITIALIZED, read_nv(t, IDX(1), IDX(1), "pw", 1025, 0));
	XO(0, read_public(t, IDX(1)));
	X(0, tgt_nv_write(t, OWNER, IDX(1), "", "12345678", 8, 4));
	XO(0, read_public(t, IDX(1))); /* WRITTEN: a new Name */
	/* bytes never written read as 0xff */
	XO(0, read_nv(t, OWNER, IDX(1), "", 16, 0));
	XO(0, read_nv(t, IDX(1), IDX(1), "pw", 4, 12));
	X(0, read_nv(t, OWNER, IDX(1), "", 0, 16));
	X(TPM_RC_VALUE | P2, read_nv(t, OWNER, IDX(1), "", 0, 17));
	X(TPM_RC_NV_RANGE, read_nv(t, OWNER, IDX(1), "", 2, 15));
	X(TPM_RC_VALUE | P1, read_nv(t, OWNER, IDX(1), "", 1025, 0));
	X(TPM_RC_NV_RANGE, read_nv(t, OWNER, IDX(1), "", 1024, 0));
	X(0, tgt_nv_write(t, IDX(1), IDX(1), "pw", "abcdefghijklmnop", 16, 0));
	X(0, tgt_nv_write(t, OWNER, IDX(1), "", "", 0, 16));
	X(TPM_RC_VALUE | P2, tgt_nv_write(t, OWNER, IDX(1), "", "", 0, 17));
	X(TPM_RC_NV_RANGE, tgt_nv_write(t, OWNER, IDX(1), "", "xy", 2, 15));
	X(TPM_RC_SIZE | P1, tgt_nv_write(t, OWNER, IDX(1), "", big, sizeof(big), 0));
	XO(0, read_nv(t, IDX(1), IDX(1), "pw", 16, 0));
	/* wrong password on an index without DA protection */
	X(TPM_RC_BAD_AUTH | TPM_RC_S | TPM_RC_1, tgt_nv_write(t, IDX(1), IDX(1), "px", "a", 1, 0));
	/* the platform may use neither PPWRITE nor PPREAD here */
	X(TPM_RC_NV_AUTHORIZATION, tgt_nv_write(t, PLATFORM, IDX(1), "", "a", 1, 0));
	X(TPM_RC_NV_AUTHORIZATION, read_nv(t, PLATFORM, IDX(1), "", 1, 0));
	/* an index authorizing another */
	X(0, define_auth(t, IDX(2), ORW | ARW | TPMA_NV_NO_DA, 8, "two"));
	X(TPM_RC_NV_AUTHORIZATION, tgt_nv_write(t, IDX(2), IDX(1), "two", "a", 1, 0));
	X(TPM_RC_NV_AUTHORIZATION, read_nv(t, IDX(2), IDX(1), "two", 1, 0));

	/* owner-only index: authValue use is unavailable */
	X(0, define_auth(t, IDX(3), ORW | TPMA_NV_NO_DA, 8, "x"));
	X(TPM_RC_AUTH_UNAVAILABLE, tgt_nv_write(t, IDX(3), IDX(3), "x", "a", 1, 0));
	X(TPM_RC_AUTH_UNAVAILABLE, read_nv(t, IDX(3), IDX(3), "x", 1, 0));
	X(TPM_RC_AUTH_UNAVAILABLE, read_nv(t, IDX(3), IDX(1), "x", 1, 0));
	/* auth-only index: the owner may not */
	X(0, define_auth(t, IDX(4), ARW | TPMA_NV_NO_DA, 8, ""));
	X(TPM_RC_NV_AUTHORIZATION, tgt_nv_write(t, OWNER, IDX(4), "", "a", 1, 0));
	X(0, tgt_nv_write(t, IDX(4), IDX(4), "", "a", 1, 0));
	X(TPM_RC_NV_AUTHORIZATION, read_nv(t, OWNER, IDX(4), "", 1, 0));

	/* WRITEALL */
	X(0, define(t, OWNER, IDX(5), ORW | TPMA_NV_WRITEALL, 8));
	X(TPM_RC_NV_RANGE, tgt_nv_write(t, OWNER, IDX(5), "", "1234", 4, 0));
	X(TPM_RC_NV_RANGE, tgt_nv_write(t, OWNER, IDX(5), "", "1234", 4, 4));
	X(0, tgt_nv_write(t, OWNER, IDX(5), "", "12345678", 8, 0));
	XO(0, read_nv(t, OWNER, IDX(5), "", 8, 0));

	/* other types need their own commands */
	X(0, define(t, OWNER, IDX(6), ORW | NT(TPM_NT_COUNTER), 8));
	X(0, define(t, OWNER, IDX(7), ORW | NT(TPM_NT_BITS), 8));
	X(0, define(t, OWNER, IDX(8), ORW | NT(TPM_NT_EXTEND), 32));
	X(TPM_RC_ATTRIBUTES, tgt_nv_write(t, OWNER, IDX(6), "", "12345678", 8, 0));
	X(TPM_RC_ATTRIBUTES, tgt_nv_write(t, OWNER, IDX(7), "", "12345678", 8, 0));
	X(TPM_RC_ATTRIBUTES, tgt_nv_write(t, OWNER, IDX(8), "", "12345678", 8, 0));
	X(TPM_RC_ATTRIBUTES | H2, increment(t, OWNER, IDX(1), ""));
	X(TPM_RC_ATTRIBUTES | H2, set_bits(t, OWNER, IDX(6), 1));
	X(TPM_RC_ATTRIBUTES | H2, extend(t, OWNER, IDX(7), "a", 1));

	/* a zero-size index */
	X(0, define(t, OWNER, IDX(9), ORW, 0));
	X(TPM_RC_NV_UNINITIALIZED, read_nv(t, OWNER, IDX(9), "", 0, 0));
	X(0, tgt_nv_write(t, OWNER, IDX(9), "", "", 0, 0));
	XO(0, read_nv(t, OWNER, IDX(9), "", 0, 0));

	/* parameter errors */
	{
		struct cmd b;

		cmd_init(&b, TPM_CC_NV_Write);
		cmd_handle(&b, OWNER);
		cmd_handle(&b, IDX(1));
		cmd_pw(&b, "");
		tb_2b(&b.p, "ab", 2);
		X(TPM_RC_INSUFFICIENT | P2, cmd_send(&b, t));
		tb_u16(&b.p, 0);
		tb_u8(&b.p, 0);
		X(TPM_RC_SIZE, cmd_send(&b, t));
	}
	X(TPM_RC_HANDLE | H2, tgt_nv_write(t, OWNER, IDX(50), "", "a", 1, 0));
	X(TPM_RC_HANDLE | H1, tgt_nv_write(t, IDX(50), IDX(1), "", "a", 1, 0));
	X(TPM_RC_VALUE | H1, tgt_nv_write(t, TPM_RH_ENDORSEMENT, IDX(1), "", "a", 1, 0));
	X(TPM_RC_VALUE | H2, tgt_nv_write(t, OWNER, OWNER, "", "a", 1, 0));
	X(TPM_RC_AUTH_MISSING, tgt_send(t, (const uint8_t *)"\x80\x01\x00\x00\x00\x16\x00\x00\x01\x37"
					       "\x40\x00\x00\x01\x01\x00\x00\x01\x00\x00\x00\x00", 22));
	(void)buf;
}

static void test_write_read(void **state)
{
	uint8_t v[16];

	(void)state;
	fx_run_both(sc_write_read);
	assert_int_equal(tgt_nv_read(&husk, OWNER, IDX(1), "", v, 16, 0), 0);
	assert_memory_equal(v, "abcdefghijklmnop", 16);
	assert_int_equal(tgt_nv_read(&husk, OWNER, IDX(5), "", v, 8, 0), 0);
	assert_memory_equal(v, "12345678", 8);
}

static void sc_policy_auth(struct tgt *t, struct fx_log *l)
{
	static const uint8_t zero[32];
	struct cmd b;

	/* authPolicy of an empty policy session: 32 zero bytes */
	X(0, tgt_nv_define(t, OWNER, "", "secret", IDX(1), TPM_ALG_SHA256,
			   TPMA_NV_POLICYWRITE | TPMA_NV_AUTHREAD | TPMA_NV_NO_DA, zero, 32, 8));
	cmd_init(&b, TPM_CC_NV_Write);
	cmd_handle(&b, IDX(1));
	cmd_handle(&b, IDX(1));
	tb_2b(&b.p, "policy!!", 8);
	tb_u16(&b.p, 0);
	X(0, with_policy(t, &b, NULL));
	XO(0, read_nv(t, IDX(1), IDX(1), "secret", 8, 0));
	/* reading with policy needs POLICYREAD */
	cmd_init(&b, TPM_CC_NV_Read);
	cmd_handle(&b, IDX(1));
	cmd_handle(&b, IDX(1));
	tb_u16(&b.p, 8);
	tb_u16(&b.p, 0);
	X(TPM_RC_AUTH_UNAVAILABLE, with_policy(t, &b, NULL));
	/* writing with the authValue needs AUTHWRITE */
	X(TPM_RC_AUTH_UNAVAILABLE, tgt_nv_write(t, IDX(1), IDX(1), "secret", "a", 1, 0));
}

static void test_policy_auth(void **state)
{
	(void)state;
	fx_run_both(sc_policy_auth);
}

static void sc_counter(struct tgt *t, struct fx_log *l)
{
	X(0, define(t, OWNER, IDX(1), ORW | NT(TPM_NT_COUNTER), 8));
	X(TPM_RC_NV_UNINITIALIZED, read_nv(t, OWNER, IDX(1), "", 8, 0));
	X(0, increment(t, OWNER, IDX(1), ""));
	XO(0, read_nv(t, OWNER, IDX(1), "", 8, 0));
	X(0, increment(t, OWNER, IDX(1), ""));
	X(0, increment(t, OWNER, IDX(1), ""));
	XO(0, read_nv(t, OWNER, IDX(1), "", 8, 0));
	XO(0, read_nv(t, OWNER, IDX(1), "", 2, 6));
	/* a second counter ignores the live one, */
	X(0, define(t, OWNER, IDX(2), ORW | NT(TPM_NT_COUNTER), 8));
	X(0, increment(t, OWNER, IDX(2), ""));
	XO(0, read_nv(t, OWNER, IDX(2), "", 8, 0));
	/* but a counter defined after one is deleted starts above it */
	X(0, undefine(t, OWNER, IDX(1)));
	X(0, define(t, OWNER, IDX(3), ORW | NT(TPM_NT_COUNTER), 8));
	X(0, increment(t, OWNER, IDX(3), ""));
	XO(0, read_nv(t, OWNER, IDX(3), "", 8, 0));
	/* an unwritten counter does not count */
	X(0, define(t, OWNER, IDX(4), ORW | NT(TPM_NT_COUNTER), 8));
	X(0, undefine(t, OWNER, IDX(4)));
	X(0, define(t, OWNER, IDX(4), ORW | NT(TPM_NT_COUNTER), 8));
	X(0, increment(t, OWNER, IDX(4), ""));
	XO(0, read_nv(t, OWNER, IDX(4), "", 8, 0));
	/* write lock and authorization apply before the type check */
	X(0, define(t, OWNER, IDX(5), ORW | TPMA_NV_WRITEDEFINE, 8));
	X(0, write_lock(t, OWNER, IDX(5)));
	X(TPM_RC_NV_LOCKED, increment(t, OWNER, IDX(5), ""));
	X(TPM_RC_NV_AUTHORIZATION, increment(t, PLATFORM, IDX(3), ""));
	/* counters survive every kind of Startup */
	X(0, tgt_reboot(t, TPM_SU_CLEAR, TPM_SU_CLEAR));
	XO(0, read_nv(t, OWNER, IDX(3), "", 8, 0));
	X(0, tgt_reboot(t, -1, TPM_SU_CLEAR));
	XO(0, read_nv(t, OWNER, IDX(3), "", 8, 0));
	/* orderly counters jump past their low bits after a power loss */
	X(0, define(t, OWNER, IDX(6), ORW | NT(TPM_NT_COUNTER) | TPMA_NV_ORDERLY, 8));
	X(0, increment(t, OWNER, IDX(6), ""));
	XO(0, read_nv(t, OWNER, IDX(6), "", 8, 0));
	X(0, tgt_reboot(t, TPM_SU_STATE, TPM_SU_STATE));
	XO(0, read_nv(t, OWNER, IDX(6), "", 8, 0));
	X(0, tgt_reboot(t, -1, TPM_SU_CLEAR));
	XO(0, read_nv(t, OWNER, IDX(6), "", 8, 0));
	X(0, increment(t, OWNER, IDX(6), ""));
	XO(0, read_nv(t, OWNER, IDX(6), "", 8, 0));
	/* Clear deletes owner counters; a new one starts above them.  (Not
	 * compared: libtpms forgets the value of a deleted orderly counter,
	 * whose current value it holds in RAM only; husk does not.) */
	X(0, clear(t));
	X(0, define(t, OWNER, IDX(7), ORW | NT(TPM_NT_COUNTER), 8));
	X(0, increment(t, OWNER, IDX(7), ""));
	X(0, read_nv(t, OWNER, IDX(7), "", 8, 0));
}

static void test_counter(void **state)
{
	(void)state;
	fx_run_both(sc_counter);
	/* 1, 2, 3; the second counter 1; after deleting 3: 4, and 4 again
	 * for the next (unwritten deleted counters leave the maximum alone);
	 * the orderly counter went 4, 0xff, 0x100; Clear deleted them all. */
	assert_int_equal(read_u64(&husk, OWNER, IDX(7)), 0x101);
	assert_int_equal(host.tpm->nv.nv_max_counter, 0x100);
}

static void counter_values(void **state)
{
	(void)state;
	assert_int_equal(define(&husk, OWNER, IDX(1), ORW | NT(TPM_NT_COUNTER), 8), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(increment(&husk, OWNER, IDX(1), ""), 0);
	assert_int_equal(read_u64(&husk, OWNER, IDX(1)), 3);
	assert_int_equal(define(&husk, OWNER, IDX(2), ORW | NT(TPM_NT_COUNTER), 8), 0);
	assert_int_equal(increment(&husk, OWNER, IDX(2), ""), 0);
	assert_int_equal(read_u64(&husk, OWNER, IDX(2)), 1);
	assert_int_equal(undefine(&husk, OWNER, IDX(1)), 0);
	assert_int_equal(define(&husk, OWNER, IDX(3), ORW | NT(TPM_NT_COUNTER), 8), 0);
	assert_int_equal(increment(&husk, OWNER, IDX(3), ""), 0);
	assert_int_equal(read_u64(&husk, OWNER, IDX(3)), 4);
}

static void sc_bits(struct tgt *t, struct fx_log *l)
{
	X(0, define(t, OWNER, IDX(1), ORW | NT(TPM_NT_BITS), 8));
	X(TPM_RC_NV_UNINITIALIZED, read_nv(t, OWNER, IDX(1), "", 8, 0));
	X(0, set_bits(t, OWNER, IDX(1), 0));
	XO(0, read_nv(t, OWNER, IDX(1), "", 8, 0));
	X(0, set_bits(t, OWNER, IDX(1), 0x1));
	X(0, set_bits(t, OWNER, IDX(1), 0x8000000000000100ull));
	X(0, set_bits(t, OWNER, IDX(1), 0x1));
	XO(0, read_nv(t, OWNER, IDX(1), "", 8, 0));
	X(TPM_RC_NV_AUTHORIZATION, set_bits(t, PLATFORM, IDX(1), 2));
	/* CLEAR_STCLEAR: unwritten again after Startup(CLEAR), starts from 0 */
	X(0, define(t, OWNER, IDX(2), ORW | NT(TPM_NT_BITS) | TPMA_NV_CLEAR_STCLEAR, 8));
	X(0, set_bits(t, OWNER, IDX(2), 0xf0));
	X(0, tgt_reboot(t, TPM_SU_CLEAR, TPM_SU_CLEAR));
	X(TPM_RC_NV_UNINITIALIZED, read_nv(t, OWNER, IDX(2), "", 8, 0));
	X(0, set_bits(t, OWNER, IDX(2), 0x0f));
	XO(0, read_nv(t, OWNER, IDX(2), "", 8, 0));
	{
		struct cmd b;

		cmd_init(&b, TPM_CC_NV_SetBits);
		cmd_handle(&b, OWNER);
		cmd_handle(&b, IDX(1));
		cmd_pw(&b, "");
		tb_u32(&b.p, 1);
		X(TPM_RC_INSUFFICIENT | P1, cmd_send(&b, t));
	}
}

static void test_bits(void **state)
{
	(void)state;
	fx_run_both(sc_bits);
	assert_int_equal(read_u64(&husk, OWNER, IDX(1)), 0x8000000000000101ull);
	assert_int_equal(read_u64(&husk, OWNER, IDX(2)), 0x0f);
}

static void sc_extend(struct tgt *t, struct fx_log *l)
{
	static uint8_t big[1024];

	X(0, define(t, OWNER, IDX(1), ORW | NT(TPM_NT_EXTEND), 32));
	X(TPM_RC_NV_UNINITIALIZED, read_nv(t, OWNER, IDX(1), "", 32, 0));
	X(0, extend(t, OWNER, IDX(1), "abc", 3));
	XO(0, read_nv(t, OWNER, IDX(1), "", 32, 0));
	X(0, extend(t, OWNER, IDX(1), "def", 3));
	XO(0, read_nv(t, OWNER, IDX(1), "", 32, 0));
	X(0, extend(t, OWNER, IDX(1), "", 0));
	X(0, extend(t, OWNER, IDX(1), big, sizeof(big)));
	XO(0, read_nv(t, OWNER, IDX(1), "", 32, 0));
	X(0, tgt_nv_define(t, OWNER, "", NULL, IDX(2), TPM_ALG_SHA1, ORW | NT(TPM_NT_EXTEND), NULL, 0, 20));
	X(0, extend(t, OWNER, IDX(2), "abc", 3));
	XO(0, read_nv(t, OWNER, IDX(2), "", 20, 0));
	X(0, tgt_nv_define(t, OWNER, "", NULL, IDX(3), TPM_ALG_SHA384, ORW | NT(TPM_NT_EXTEND), NULL, 0, 48));
	X(0, extend(t, OWNER, IDX(3), "abc", 3));
	XO(0, read_nv(t, OWNER, IDX(3), "", 48, 0));
	XO(0, read_public(t, IDX(3)));
	/* CLEAR_STCLEAR: the chain starts again from zero */
	X(0, define(t, OWNER, IDX(4), ORW | NT(TPM_NT_EXTEND) | TPMA_NV_CLEAR_STCLEAR, 32));
	X(0, extend(t, OWNER, IDX(4), "x", 1));
	X(0, tgt_reboot(t, TPM_SU_STATE, TPM_SU_CLEAR));
	X(TPM_RC_NV_UNINITIALIZED, read_nv(t, OWNER, IDX(4), "", 32, 0));
	X(0, extend(t, OWNER, IDX(4), "abc", 3));
	XO(0, read_nv(t, OWNER, IDX(4), "", 32, 0));
}

/* new = H(old || data) */
static void chain(uint16_t alg, uint8_t *value, const void *data, size_t len)
{
	struct tpm_part parts[2] = { { value, tpm_hash_size(alg) }, { data, len } };

	tpm_hash_parts(alg, parts, 2, value);
}

static void test_extend(void **state)
{
	static uint8_t big[1024];
	uint8_t v[48], want[48];

	(void)state;
	fx_run_both(sc_extend);
	/* the same chains computed here */
	memset(want, 0, sizeof(want));
	chain(TPM_ALG_SHA256, want, "abc", 3);
	chain(TPM_ALG_SHA256, want, "def", 3);
	chain(TPM_ALG_SHA256, want, "", 0);
	chain(TPM_ALG_SHA256, want, big, sizeof(big));
	assert_int_equal(tgt_nv_read(&husk, OWNER, IDX(1), "", v, 32, 0), 0);
	assert_memory_equal(v, want, 32);
	memset(want, 0, sizeof(want));
	chain(TPM_ALG_SHA256, want, "abc", 3);
	assert_int_equal(tgt_nv_read(&husk, OWNER, IDX(4), "", v, 32, 0), 0);
	assert_memory_equal(v, want, 32);
	memset(want, 0, sizeof(want));
	chain(TPM_ALG_SHA1, want, "abc", 3);
	assert_int_equal(tgt_nv_read(&husk, OWNER, IDX(2), "", v, 20, 0), 0);
	assert_memory_equal(v, want, 20);
	memset(want, 0, sizeof(want));
	chain(TPM_ALG_SHA384, want, "abc", 3);
	assert_int_equal(tgt_nv_read(&husk, OWNER, IDX(3), "", v, 48, 0), 0);
	assert_memory_equal(v, want, 48);
}

static void sc_locks(struct tgt *t, struct fx_log *l)
{
	/* WRITE_STCLEAR: locked until Startup(CLEAR) */
	X(0, define(t, OWNER, IDX(1), ORW | TPMA_NV_WRITE_STCLEAR, 8));
	X(0, write_lock(t, OWNER, IDX(1)));
	X(0, write_lock(t, OWNER, IDX(1))); /* again: fine */
	X(TPM_RC_NV_LOCKED, tgt_nv_write(t, OWNER, IDX(1), "", "a", 1, 0));
	XO(0, read_public(t, IDX(1)));
	X(TPM_RC_NV_UNINITIALIZED, read_nv(t, OWNER, IDX(1), "", 1, 0));
	/* WRITEDEFINE: locked for good; only lockable once written? no: any time */
	X(0, define(t, OWNER, IDX(2), ORW | TPMA_NV_WRITEDEFINE, 8));
	X(0, tgt_nv_write(t, OWNER, IDX(2), "", "12345678", 8, 0));
	X(0, write_lock(t, OWNER, IDX(2)));
	X(TPM_RC_NV_LOCKED, tgt_nv_write(t, OWNER, IDX(2), "", "a", 1, 0));
	/* no lock attribute */
	X(0, define(t, OWNER, IDX(3), ORW | TPMA_NV_READ_STCLEAR, 8));
	X(TPM_RC_ATTRIBUTES | H2, write_lock(t, OWNER, IDX(3)));
	X(0, write_lock(t, PLATFORM, IDX(1))); /* the lock is checked first */
	X(TPM_RC_NV_AUTHORIZATION, write_lock(t, PLATFORM, IDX(3)));
	/* READ_STCLEAR, also before the first write */
	X(0, read_lock(t, OWNER, IDX(3)));
	X(0, read_lock(t, OWNER, IDX(3)));
	X(TPM_RC_NV_LOCKED, read_nv(t, OWNER, IDX(3), "", 1, 0));
	X(0, tgt_nv_write(t, OWNER, IDX(3), "", "12345678", 8, 0));
	X(TPM_RC_NV_LOCKED, read_nv(t, OWNER, IDX(3), "", 1, 0));
	XO(0, read_public(t, IDX(3)));
	X(TPM_RC_ATTRIBUTES | H2, read_lock(t, OWNER, IDX(2)));
	X(TPM_RC_NV_AUTHORIZATION, read_lock(t, PLATFORM, IDX(2)));
	/* GLOBALLOCK */
	X(0, define(t, OWNER, IDX(4), ORW | TPMA_NV_GLOBALLOCK, 8));
	X(0, define(t, OWNER, IDX(5), ORW | TPMA_NV_GLOBALLOCK | TPMA_NV_WRITEDEFINE, 8));
	X(0, define(t, PLATFORM, IDX(6), PRW | TPMA_NV_GLOBALLOCK, 8));
	X(0, global_lock(t, OWNER));
	X(TPM_RC_NV_LOCKED, tgt_nv_write(t, OWNER, IDX(4), "", "a", 1, 0));
	X(TPM_RC_NV_LOCKED, tgt_nv_write(t, PLATFORM, IDX(6), "", "a", 1, 0));
	X(0, tgt_nv_write(t, OWNER, IDX(3), "", "a", 1, 0));
	X(TPM_RC_VALUE | H1, global_lock(t, TPM_RH_ENDORSEMENT));
	/* resume keeps every lock */
	X(0, tgt_reboot(t, TPM_SU_STATE, TPM_SU_STATE));
	XO(0, read_public(t, IDX(1)));
	XO(0, read_public(t, IDX(3)));
	XO(0, read_public(t, IDX(4)));
	/* restart and reset clear the STCLEAR locks and the global lock, but
	 * not the lock of a written WRITEDEFINE index */
	X(0, tgt_reboot(t, TPM_SU_STATE, TPM_SU_CLEAR));
	XO(0, read_public(t, IDX(1)));
	XO(0, read_public(t, IDX(2)));
	XO(0, read_public(t, IDX(3)));
	XO(0, read_public(t, IDX(4)));
	XO(0, read_public(t, IDX(5)));
	X(0, tgt_nv_write(t, OWNER, IDX(1), "", "a", 1, 0));
	X(0, tgt_nv_write(t, OWNER, IDX(4), "", "a", 1, 0));
	X(0, tgt_nv_write(t, OWNER, IDX(5), "", "a", 1, 0)); /* it was never written */
	XO(0, read_nv(t, OWNER, IDX(3), "", 8, 0));
	X(0, tgt_reboot(t, -1, TPM_SU_CLEAR));
	XO(0, read_public(t, IDX(2)));
}

static void test_locks(void **state)
{
	uint32_t a;

	(void)state;
	fx_run_both(sc_locks);
	a = attrs_of(&husk, IDX(2));
	assert_true(a & TPMA_NV_WRITELOCKED);
	a = attrs_of(&husk, IDX(1));
	assert_false(a & TPMA_NV_WRITELOCKED);
}

static void sc_startup(struct tgt *t, struct fx_log *l)
{
	X(0, define(t, OWNER, IDX(1), ORW | TPMA_NV_ORDERLY, 8));
	X(0, define(t, OWNER, IDX(2), ORW | TPMA_NV_CLEAR_STCLEAR, 8));
	X(0, define(t, OWNER, IDX(3), ORW, 8));
	X(0, define(t, OWNER, IDX(4), ORW | TPMA_NV_ORDERLY | NT(TPM_NT_BITS), 8));
	for (uint32_t i = 1; i <= 3; i++)
		X(0, tgt_nv_write(t, OWNER, IDX(i), "", "12345678", 8, 0));
	X(0, set_bits(t, OWNER, IDX(4), 3));
	/* resume: all stay written */
	X(0, tgt_reboot(t, TPM_SU_STATE, TPM_SU_STATE));
	for (uint32_t i = 1; i <= 4; i++)
		XO(0, read_public(t, IDX(i)));
	/* restart: CLEAR_STCLEAR indexes lose their data */
	X(0, tgt_reboot(t, TPM_SU_STATE, TPM_SU_CLEAR));
	for (uint32_t i = 1; i <= 4; i++)
		XO(0, read_public(t, IDX(i)));
	X(0, tgt_nv_write(t, OWNER, IDX(2), "", "12345678", 8, 0));
	/* reset: so do orderly ones */
	X(0, tgt_reboot(t, TPM_SU_CLEAR, TPM_SU_CLEAR));
	for (uint32_t i = 1; i <= 4; i++)
		XO(0, read_public(t, IDX(i)));
	X(TPM_RC_NV_UNINITIALIZED, read_nv(t, OWNER, IDX(1), "", 8, 0));
	XO(0, read_nv(t, OWNER, IDX(3), "", 8, 0));
}

static void test_startup(void **state)
{
	(void)state;
	fx_run_both(sc_startup);
	assert_false(attrs_of(&husk, IDX(1)) & TPMA_NV_WRITTEN);
	assert_false(attrs_of(&husk, IDX(2)) & TPMA_NV_WRITTEN);
	assert_true(attrs_of(&husk, IDX(3)) & TPMA_NV_WRITTEN);
}

static void sc_undefine(struct tgt *t, struct fx_log *l)
{
	static const uint8_t zero[32];
	struct cmd b;

	X(0, define(t, OWNER, IDX(1), ORW, 8));
	X(0, define(t, PLATFORM, IDX(2), PRW, 8));
	X(0, define(t, OWNER, IDX(3), ORW, 8));
	X(0, tgt_nv_define(t, PLATFORM, "", NULL, IDX(4), TPM_ALG_SHA256, PRW | TPMA_NV_POLICY_DELETE, zero, 32, 8));
	X(TPM_RC_NV_AUTHORIZATION, undefine(t, OWNER, IDX(2)));
	X(0, undefine(t, PLATFORM, IDX(3)));
	X(TPM_RC_HANDLE | H2, undefine(t, OWNER, IDX(3)));
	X(0, undefine(t, OWNER, IDX(1)));
	X(0, undefine(t, PLATFORM, IDX(2)));
	X(TPM_RC_ATTRIBUTES | H2, undefine(t, PLATFORM, IDX(4)));
	X(TPM_RC_VALUE | H1, undefine(t, TPM_RH_LOCKOUT, IDX(4)));
	/* NV_UndefineSpaceSpecial: the ADMIN role needs a policy session */
	cmd_init(&b, TPM_CC_NV_UndefineSpaceSpecial);
	cmd_handle(&b, IDX(4));
	cmd_handle(&b, PLATFORM);
	cmd_pw(&b, "");
	cmd_pw(&b, "");
	X(TPM_RC_AUTH_TYPE, cmd_send(&b, t));
	XO(0, read_public(t, IDX(4)));
	X(TPM_RC_ATTRIBUTES | H2, undefine(t, OWNER, IDX(4)));
}

static void test_undefine(void **state)
{
	(void)state;
	fx_run_both(sc_undefine);
}

/* NV_UndefineSpaceSpecial with a policy session for the index (first)
 * and platformAuth. */
static uint32_t undefine_special(struct tgt *t, uint32_t index)
{
	struct cmd b;
	uint32_t sh, rc;
	uint8_t nonce[64];
	uint16_t nlen;

	rc = tgt_policy_session(t, &sh, nonce, &nlen);
	if (rc)
		return rc;
	cmd_init(&b, TPM_CC_PolicyCommandCode);
	cmd_handle(&b, sh);
	tb_u32(&b.p, TPM_CC_NV_UndefineSpaceSpecial);
	rc = cmd_send(&b, t);
	if (rc)
		return rc;
	cmd_init(&b, TPM_CC_NV_UndefineSpaceSpecial);
	cmd_handle(&b, index);
	cmd_handle(&b, PLATFORM);
	cmd_policy(&b, sh, nonce, nlen, NULL);
	cmd_pw(&b, "");
	return cmd_send(&b, t);
}

/* The ADMIN role through a policy needs PolicyCommandCode in the policy. */
static void test_undefine_special(void **state)
{
	uint8_t policy[32];

	(void)state;
	cc_policy_digest(TPM_CC_NV_UndefineSpaceSpecial, policy);
	assert_int_equal(tgt_nv_define(&husk, PLATFORM, "", NULL, IDX(4), TPM_ALG_SHA256,
				       PRW | TPMA_NV_POLICY_DELETE, policy, 32, 8), 0);
	assert_int_equal(tgt_nv_define(&husk, PLATFORM, "", NULL, IDX(5), TPM_ALG_SHA256, PRW, policy, 32, 8), 0);
	assert_int_equal(undefine_special(&husk, IDX(5)), TPM_RC_ATTRIBUTES | H1);
	assert_int_equal(undefine_special(&husk, IDX(4)), 0);
	assert_int_equal(read_public(&husk, IDX(4)), TPM_RC_HANDLE | H1);
	assert_int_equal(host.tpm->nv.nv_count, 1);
}

static void test_change_auth(void **state)
{
	uint8_t policy[32];
	uint8_t long_auth[33];
	struct cmd b;

	(void)state;
	memset(long_auth, 0x33, sizeof(long_auth));
	cc_policy_digest(TPM_CC_NV_ChangeAuth, policy);
	assert_int_equal(tgt_nv_define(&husk, OWNER, "", "old", IDX(1), TPM_ALG_SHA256,
				       ORW | ARW | TPMA_NV_NO_DA, policy, 32, 8), 0);
	/* the authValue cannot authorize the ADMIN role */
	cmd_init(&b, TPM_CC_NV_ChangeAuth);
	cmd_handle(&b, IDX(1));
	cmd_pw(&b, "old");
	tb_2b(&b.p, "new", 3);
	assert_int_equal(cmd_send(&b, &husk), TPM_RC_AUTH_TYPE);
	cmd_init(&b, TPM_CC_NV_ChangeAuth);
	cmd_handle(&b, IDX(1));
	tb_2b(&b.p, long_auth, sizeof(long_auth));
	assert_int_equal(with_cc_policy(&husk, &b, TPM_CC_NV_ChangeAuth), TPM_RC_SIZE | P1);
	cmd_init(&b, TPM_CC_NV_ChangeAuth);
	cmd_handle(&b, IDX(1));
	tb_2b(&b.p, "new\0\0", 5);
	assert_int_equal(with_cc_policy(&husk, &b, TPM_CC_NV_ChangeAuth), 0);
	assert_int_equal(tgt_nv_write(&husk, IDX(1), IDX(1), "old", "a", 1, 0),
			 TPM_RC_BAD_AUTH | TPM_RC_S | TPM_RC_1);
	assert_int_equal(tgt_nv_write(&husk, IDX(1), IDX(1), "new", "a", 1, 0), 0);
	assert_int_equal(host.tpm->nv.nv[0].auth.size, 3);
}

static void test_clear_removes_owner_indexes(void **state)
{
	(void)state;
	assert_int_equal(define(&husk, OWNER, IDX(1), ORW, 100), 0);
	assert_int_equal(define(&husk, PLATFORM, IDX(2), PRW, 200), 0);
	assert_int_equal(define(&husk, OWNER, IDX(3), ORW, 300), 0);
	assert_int_equal(tgt_nv_write(&husk, PLATFORM, IDX(2), "", "keep", 4, 0), 0);
	assert_int_equal(host.tpm->nv.nv_bytes, 600);
	assert_int_equal(clear(&husk), 0);
	assert_int_equal(read_public(&husk, IDX(1)), TPM_RC_HANDLE | H1);
	assert_int_equal(read_public(&husk, IDX(3)), TPM_RC_HANDLE | H1);
	assert_int_equal(read_public(&husk, IDX(2)), 0);
	assert_int_equal(host.tpm->nv.nv_count, 1);
	assert_int_equal(host.tpm->nv.nv_bytes, 200);
	{
		uint8_t v[4];

		assert_int_equal(tgt_nv_read(&husk, PLATFORM, IDX(2), "", v, 4, 0), 0);
		assert_memory_equal(v, "keep", 4);
	}
}

/* The Name is nameAlg || H(TPMS_NV_PUBLIC) with the current attributes. */
static void test_name(void **state)
{
	uint8_t name[66], pub[14], want[32];
	uint16_t name_len;
	uint32_t a;

	(void)state;
	assert_int_equal(define(&husk, OWNER, IDX(7), ORW | TPMA_NV_READ_STCLEAR, 8), 0);
	assert_int_equal(tgt_nv_write(&husk, OWNER, IDX(7), "", "x", 1, 0), 0);
	assert_int_equal(read_lock(&husk, OWNER, IDX(7)), 0);
	assert_int_equal(tgt_nv_public(&husk, IDX(7), &a, NULL, name, &name_len), 0);
	assert_int_equal(a, ORW | TPMA_NV_READ_STCLEAR | TPMA_NV_WRITTEN | TPMA_NV_READLOCKED);
	memcpy(pub, "\x01\x00\x00\x07\x00\x0b", 6);
	pub[6] = (uint8_t)(a >> 24);
	pub[7] = (uint8_t)(a >> 16);
	pub[8] = (uint8_t)(a >> 8);
	pub[9] = (uint8_t)a;
	memcpy(pub + 10, "\x00\x00\x00\x08", 4);
	tpm_hash_parts(TPM_ALG_SHA256, &(struct tpm_part){ pub, 14 }, 1, want);
	assert_int_equal(name_len, 34);
	assert_memory_equal(name, "\x00\x0b", 2);
	assert_memory_equal(name + 2, want, 32);
}

/* Indexes from a state blob whose data does not fit their type are
 * refused (TPM_RC_FAILURE) but may still be deleted. */
static void test_insane_index(void **state)
{
	struct tpm *tp = host.tpm;
	struct tpm_nv_index *nv;

	(void)state;
	assert_int_equal(define(&husk, OWNER, IDX(1), ORW, 8), 0);
	assert_int_equal(define(&husk, OWNER, IDX(2), ORW | NT(TPM_NT_COUNTER), 8), 0);
	nv = tpm_nv_find(tp, IDX(1));
	tpm_free(tp, nv->data);
	nv->data = NULL;
	tpm_nv_find(tp, IDX(2))->size = 4;
	tp->nv.nv_bytes -= 4;
	assert_int_equal(read_nv(&husk, OWNER, IDX(1), "", 1, 0), TPM_RC_FAILURE);
	assert_int_equal(tgt_nv_write(&husk, OWNER, IDX(1), "", "a", 1, 0), TPM_RC_FAILURE);
	assert_int_equal(increment(&husk, OWNER, IDX(2), ""), TPM_RC_FAILURE);
	assert_int_equal(read_public(&husk, IDX(1)), 0);
	assert_int_equal(undefine(&husk, OWNER, IDX(1)), 0);
	assert_int_equal(undefine(&husk, OWNER, IDX(2)), 0);
	assert_int_equal(tp->nv.nv_bytes, 0);
	assert_int_equal(tp->nv.nv_count, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_define_errors, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_define_limits, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_write_read, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_policy_auth, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_counter, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(counter_values, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_bits, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_extend, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_locks, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_startup, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_undefine, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_undefine_special, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_change_auth, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_clear_removes_owner_indexes, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_name, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_insane_index, setup, fx_teardown),
	};
	return cmocka_run_group_tests_name("tpm_nv", tests, NULL, NULL);
}
