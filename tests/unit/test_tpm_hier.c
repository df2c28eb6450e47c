/* Unit tests of the TPM engine's hierarchy commands and dictionary-attack
 * protection (lib/tpm/tpm_hier.c): HierarchyChangeAuth, HierarchyControl,
 * SetPrimaryPolicy, Clear, ClearControl, DictionaryAttackLockReset,
 * DictionaryAttackParameters, DA lockout and self-healing with a fake
 * clock.  Sequences without timing are also run on libtpms (the reference
 * TPM, in process) and the response codes compared. */
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
#define ENDORSEMENT TPM_RH_ENDORSEMENT
#define LOCKOUT TPM_RH_LOCKOUT
#define ORW (TPMA_NV_OWNERWRITE | TPMA_NV_OWNERREAD)
#define ARW (TPMA_NV_AUTHWRITE | TPMA_NV_AUTHREAD)
#define P1 (TPM_RC_P | TPM_RC_1)
#define P2 (TPM_RC_P | TPM_RC_2)
#define H1 (TPM_RC_H | TPM_RC_1)
#define S1 (TPM_RC_S | TPM_RC_1)

/* ---- recording (tpm_fixture's scenarios) ---- */

#define X(want, expr) fx_step(l, t, #expr, (expr), (want), false, __LINE__)

/* ---- command helpers ---- */

static uint32_t change_auth(struct tgt *t, uint32_t h, const char *pw, const void *auth, uint16_t len)
{
	struct cmd b;

	cmd_init(&b, TPM_CC_HierarchyChangeAuth);
	cmd_handle(&b, h);
	cmd_pw(&b, pw);
	tb_2b(&b.p, auth, len);
	return cmd_send(&b, t);
}

static uint32_t set_policy(struct tgt *t, uint32_t h, const char *pw, const void *policy, uint16_t len,
			   uint16_t alg)
{
	struct cmd b;

	cmd_init(&b, TPM_CC_SetPrimaryPolicy);
	cmd_handle(&b, h);
	cmd_pw(&b, pw);
	tb_2b(&b.p, policy, len);
	tb_u16(&b.p, alg);
	return cmd_send(&b, t);
}

static uint32_t hier_control(struct tgt *t, uint32_t by, const char *pw, uint32_t enable, uint8_t state)
{
	struct cmd b;

	cmd_init(&b, TPM_CC_HierarchyControl);
	cmd_handle(&b, by);
	cmd_pw(&b, pw);
	tb_u32(&b.p, enable);
	tb_u8(&b.p, state);
	return cmd_send(&b, t);
}

static uint32_t clear(struct tgt *t, uint32_t by, const char *pw)
{
	struct cmd b;

	cmd_init(&b, TPM_CC_Clear);
	cmd_handle(&b, by);
	cmd_pw(&b, pw);
	return cmd_send(&b, t);
}

static uint32_t clear_control(struct tgt *t, uint32_t by, const char *pw, uint8_t disable)
{
	struct cmd b;

	cmd_init(&b, TPM_CC_ClearControl);
	cmd_handle(&b, by);
	cmd_pw(&b, pw);
	tb_u8(&b.p, disable);
	return cmd_send(&b, t);
}

static uint32_t da_reset(struct tgt *t, const char *pw)
{
	struct cmd b;

	cmd_init(&b, TPM_CC_DictionaryAttackLockReset);
	cmd_handle(&b, LOCKOUT);
	cmd_pw(&b, pw);
	return cmd_send(&b, t);
}

static uint32_t da_params(struct tgt *t, const char *pw, uint32_t max_tries, uint32_t recovery,
			  uint32_t lockout_recovery)
{
	struct cmd b;

	cmd_init(&b, TPM_CC_DictionaryAttackParameters);
	cmd_handle(&b, LOCKOUT);
	cmd_pw(&b, pw);
	tb_u32(&b.p, max_tries);
	tb_u32(&b.p, recovery);
	tb_u32(&b.p, lockout_recovery);
	return cmd_send(&b, t);
}

/* An owner-defined NV index used as a DA-protected entity (no NO_DA). */
static uint32_t da_entity(struct tgt *t, uint32_t index, const char *auth)
{
	return tgt_nv_define(t, OWNER, "", auth, index, TPM_ALG_SHA256, ORW | ARW, NULL, 0, 8);
}

static uint32_t use_entity(struct tgt *t, uint32_t index, const char *pw)
{
	return tgt_nv_write(t, index, index, pw, "12345678", 8, 0);
}

static uint32_t failed_tries(struct tgt *t)
{
	return t->ref ? tgt_property(t, TPM_PT_LOCKOUT_COUNTER) : t->h->tpm->nv.da_failed_tries;
}

/* resetCount and restartCount from ReadClock. */
static uint32_t reset_count(struct tgt *t)
{
	struct cmd b;

	cmd_init(&b, TPM_CC_ReadClock);
	return cmd_send(&b, t) ? 0xffffffffu : tgt_rsp_u32(t, 26);
}

/* ---- fixtures ---- */

static int setup(void **state)
{
	(void)state;
	/* A fake clock that continues the real one the engine started with. */
	return fx_setup(0xda, FX_FAKE_CLOCK);
}

static void advance(uint64_t ms)
{
	host.fake_ms += ms;
}

/* ---- HierarchyChangeAuth, SetPrimaryPolicy ---- */

/* A policy session for a hierarchy that has no policy.  libtpms answers
 * TPM_RC_AUTH_UNAVAILABLE; husk's entity layer still lets the session
 * through to the policy check (TPM_RC_POLICY_FAIL): reported, not
 * compared until aligned.  Either way the command fails. */
static void no_policy_use(struct tgt *t, struct cmd *b)
{
	uint32_t rc = cmd_send(b, t);

	assert_true(rc == TPM_RC_AUTH_UNAVAILABLE || rc == (TPM_RC_POLICY_FAIL | S1));
}

static void sc_change_auth(struct tgt *t, struct fx_log *l)
{
	uint8_t a64[66];

	memset(a64, 0x5a, sizeof(a64));
	X(0, change_auth(t, OWNER, "", "owner", 5));
	X(TPM_RC_BAD_AUTH | S1, change_auth(t, OWNER, "", "x", 1));
	X(0, change_auth(t, OWNER, "owner", "o2\0\0\0", 5));
	X(0, change_auth(t, OWNER, "o2", "", 0));
	X(0, change_auth(t, ENDORSEMENT, "", "endo", 4));
	X(0, change_auth(t, LOCKOUT, "", "lock", 4));
	X(0, change_auth(t, PLATFORM, "", "plat", 4));
	X(0, change_auth(t, OWNER, "", a64, 64));
	{
		struct cmd b;
		char pw[65];

		memset(pw, 0x5a, 64);
		pw[64] = 0;
		X(TPM_RC_SIZE | P1, change_auth(t, OWNER, pw, a64, 65));
		cmd_init(&b, TPM_CC_HierarchyChangeAuth);
		cmd_handle(&b, OWNER);
		cmd_pw(&b, pw);
		tb_2b(&b.p, "", 0);
		tb_u8(&b.p, 0);
		X(TPM_RC_SIZE, cmd_send(&b, t));
		X(0, change_auth(t, OWNER, pw, "", 0));
	}
	X(TPM_RC_VALUE | H1, change_auth(t, TPM_RH_NULL, "", "", 0));
	X(TPM_RC_VALUE | H1, change_auth(t, IDX(1), "", "", 0));
	/* the platform's authValue lasts until the next Startup, the others persist */
	X(0, tgt_reboot(t, TPM_SU_CLEAR, TPM_SU_CLEAR));
	X(0, change_auth(t, PLATFORM, "", "", 0));
	X(TPM_RC_BAD_AUTH | S1, change_auth(t, ENDORSEMENT, "", "", 0));
	X(0, change_auth(t, ENDORSEMENT, "endo", "", 0));
	X(0, change_auth(t, LOCKOUT, "lock", "", 0));
}

static void test_change_auth(void **state)
{
	(void)state;
	fx_run_both(sc_change_auth);
	assert_int_equal(host.tpm->nv.owner.auth.size, 0);
	assert_int_equal(host.tpm->platform_auth.size, 0);
}

static void sc_primary_policy(struct tgt *t, struct fx_log *l)
{
	static const uint8_t zero[80];
	struct cmd b;
	uint32_t sh;
	uint8_t nonce[64];
	uint16_t nlen;

	X(TPM_RC_SIZE | P1, set_policy(t, OWNER, "", zero, 20, TPM_ALG_SHA256));
	X(TPM_RC_SIZE | P1, set_policy(t, OWNER, "", zero, 32, TPM_ALG_NULL));
	X(TPM_RC_SIZE | P1, set_policy(t, OWNER, "", zero, 0, TPM_ALG_SHA1));
	X(TPM_RC_HASH | P2, set_policy(t, OWNER, "", zero, 32, 0x0099));
	X(TPM_RC_SIZE | P1, set_policy(t, OWNER, "", zero, 65, TPM_ALG_SHA256));
	X(0, set_policy(t, OWNER, "", zero, 0, TPM_ALG_NULL));
	X(0, set_policy(t, ENDORSEMENT, "", zero, 48, TPM_ALG_SHA384));
	X(0, set_policy(t, LOCKOUT, "", zero, 20, TPM_ALG_SHA1));
	X(0, set_policy(t, PLATFORM, "", zero, 32, TPM_ALG_SHA256));
	/* an empty policy session now satisfies the owner's policy */
	X(0, set_policy(t, OWNER, "", zero, 32, TPM_ALG_SHA256));
	X(0, tgt_policy_session(t, &sh, nonce, &nlen));
	cmd_init(&b, TPM_CC_HierarchyChangeAuth);
	cmd_handle(&b, OWNER);
	cmd_policy(&b, sh, nonce, nlen, NULL);
	tb_2b(&b.p, "viapolicy", 9);
	X(0, cmd_send(&b, t));
	X(0, change_auth(t, OWNER, "viapolicy", "", 0));
	/* a policy of another hash does not match a SHA-256 session */
	X(0, tgt_policy_session(t, &sh, nonce, &nlen));
	cmd_init(&b, TPM_CC_HierarchyChangeAuth);
	cmd_handle(&b, ENDORSEMENT);
	cmd_policy(&b, sh, nonce, nlen, NULL);
	tb_2b(&b.p, "x", 1);
	X(TPM_RC_POLICY_FAIL | S1, cmd_send(&b, t));
	cmd_init(&b, TPM_CC_FlushContext);
	tb_u32(&b.p, sh);
	X(0, cmd_send(&b, t));
	/* the platform's policy is reset by Startup */
	X(0, tgt_reboot(t, TPM_SU_CLEAR, TPM_SU_CLEAR));
	X(0, tgt_policy_session(t, &sh, nonce, &nlen));
	cmd_init(&b, TPM_CC_HierarchyChangeAuth);
	cmd_handle(&b, PLATFORM);
	cmd_policy(&b, sh, nonce, nlen, NULL);
	tb_2b(&b.p, "x", 1);
	no_policy_use(t, &b);
}

static void test_primary_policy(void **state)
{
	(void)state;
	fx_run_both(sc_primary_policy);
	assert_int_equal(host.tpm->nv.endorsement.policy_alg, TPM_ALG_SHA384);
	assert_int_equal(host.tpm->nv.endorsement.policy.size, 48);
	assert_int_equal(host.tpm->nv.platform_policy_alg, TPM_ALG_NULL);
}

/* The response HMAC of HierarchyChangeAuth is keyed with the new authValue
 * (what TSS clients verify). */
static void test_change_auth_response_hmac(void **state)
{
	static const uint8_t nonce_caller[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
	struct cmd b;
	uint32_t sh;
	uint8_t nonce[64], rp[32], mac[32], key[8], attrs = 0, rc_cc[8] = { 0 };
	uint16_t nlen;

	(void)state;
	assert_int_equal(change_auth(&husk, OWNER, "", "old", 3), 0);
	/* an unbound, unsalted HMAC session */
	cmd_init(&b, TPM_CC_StartAuthSession);
	cmd_handle(&b, TPM_RH_NULL);
	cmd_handle(&b, TPM_RH_NULL);
	tb_2b(&b.p, nonce_caller, 16);
	tb_2b(&b.p, NULL, 0);
	tb_u8(&b.p, TPM_SE_HMAC);
	tb_u16(&b.p, TPM_ALG_NULL);
	tb_u16(&b.p, TPM_ALG_SHA256);
	assert_int_equal(cmd_send(&b, &husk), 0);
	sh = tgt_rsp_u32(&husk, 10);
	nlen = tgt_rsp_u16(&husk, 14);
	memcpy(nonce, husk.rsp + 16, nlen);

	cmd_init(&b, TPM_CC_HierarchyChangeAuth);
	cmd_handle(&b, OWNER);
	cmd_policy(&b, sh, nonce, nlen, "old"); /* the HMAC key is the authValue */
	tb_2b(&b.p, "new", 3);
	assert_int_equal(cmd_send(&b, &husk), 0);
	/* header, parameterSize 0, nonceTPM, attributes, HMAC */
	assert_int_equal(tgt_rsp_u32(&husk, 10), 0);
	nlen = tgt_rsp_u16(&husk, 14);
	memcpy(nonce, husk.rsp + 16, nlen);
	assert_int_equal(husk.rsp[16 + nlen], attrs);
	assert_int_equal(tgt_rsp_u16(&husk, 17 + nlen), 32);
	tpm_put_be32(rc_cc + 4, TPM_CC_HierarchyChangeAuth);
	tpm_hash_parts(TPM_ALG_SHA256, &(struct tpm_part){ rc_cc, 8 }, 1, rp);
	memcpy(key, "new", 3);
	{
		struct tpm_part parts[] = { { rp, 32 }, { nonce, nlen }, { nonce_caller, 16 }, { &attrs, 1 } };

		tpm_hmac_parts(TPM_ALG_SHA256, key, 3, parts, 4, mac);
	}
	assert_memory_equal(husk.rsp + 19 + nlen, mac, 32);
}

/* ---- HierarchyControl ---- */

static void sc_hier_control(struct tgt *t, struct fx_log *l)
{
	X(TPM_RC_VALUE | P1, hier_control(t, PLATFORM, "", LOCKOUT, 0));
	X(TPM_RC_VALUE | P1, hier_control(t, PLATFORM, "", TPM_RH_NULL, 0));
	X(TPM_RC_VALUE | P2, hier_control(t, PLATFORM, "", OWNER, 2));
	X(TPM_RC_VALUE | H1, hier_control(t, LOCKOUT, "", OWNER, 0));
	/* who may do what */
	X(TPM_RC_AUTH_TYPE, hier_control(t, OWNER, "", ENDORSEMENT, 0));
	X(TPM_RC_AUTH_TYPE, hier_control(t, ENDORSEMENT, "", OWNER, 0));
	X(TPM_RC_AUTH_TYPE, hier_control(t, OWNER, "", PLATFORM, 0));
	X(TPM_RC_AUTH_TYPE, hier_control(t, OWNER, "", TPM_RH_PLATFORM_NV, 0));
	X(0, hier_control(t, OWNER, "", OWNER, 1)); /* no change */
	X(0, hier_control(t, ENDORSEMENT, "", ENDORSEMENT, 0));
	X(TPM_RC_HIERARCHY | H1, hier_control(t, ENDORSEMENT, "", ENDORSEMENT, 1));
	X(TPM_RC_HIERARCHY | H1, change_auth(t, ENDORSEMENT, "", "", 0));
	X(0, hier_control(t, PLATFORM, "", ENDORSEMENT, 1));
	X(0, change_auth(t, ENDORSEMENT, "", "", 0));
	X(0, hier_control(t, OWNER, "", OWNER, 0));
	X(TPM_RC_HIERARCHY | H1, hier_control(t, OWNER, "", OWNER, 1));
	X(TPM_RC_HIERARCHY | H1, da_entity(t, IDX(1), ""));
	X(0, hier_control(t, PLATFORM, "", OWNER, 0)); /* no change */
	X(0, hier_control(t, PLATFORM, "", OWNER, 1));
	X(0, da_entity(t, IDX(1), ""));
	/* phEnableNV */
	X(0, hier_control(t, PLATFORM, "", TPM_RH_PLATFORM_NV, 0));
	X(0, hier_control(t, PLATFORM, "", TPM_RH_PLATFORM_NV, 1));
	/* disables survive resume but not restart */
	X(0, hier_control(t, OWNER, "", OWNER, 0));
	X(0, hier_control(t, ENDORSEMENT, "", ENDORSEMENT, 0));
	X(0, tgt_reboot(t, TPM_SU_STATE, TPM_SU_STATE));
	X(TPM_RC_HIERARCHY | H1, change_auth(t, OWNER, "", "", 0));
	X(TPM_RC_HIERARCHY | H1, change_auth(t, ENDORSEMENT, "", "", 0));
	X(0, tgt_reboot(t, TPM_SU_STATE, TPM_SU_CLEAR));
	X(0, change_auth(t, OWNER, "", "", 0));
	X(0, change_auth(t, ENDORSEMENT, "", "", 0));
	/* the platform may disable itself; until the next Startup */
	X(0, hier_control(t, PLATFORM, "", PLATFORM, 0));
	X(TPM_RC_HIERARCHY | H1, hier_control(t, PLATFORM, "", PLATFORM, 1));
	X(TPM_RC_HIERARCHY | H1, clear(t, PLATFORM, ""));
	X(0, tgt_reboot(t, TPM_SU_STATE, TPM_SU_STATE));
	X(0, hier_control(t, PLATFORM, "", PLATFORM, 1));
}

static void test_hier_control(void **state)
{
	(void)state;
	fx_run_both(sc_hier_control);
}

/* Disabling a hierarchy flushes its transient objects (and only those). */
static void test_hier_control_flush(void **state)
{
	struct tpm *tp = host.tpm;
	static const uint32_t hiers[] = { OWNER, ENDORSEMENT, PLATFORM, TPM_RH_NULL };
	struct tpm_object *o;

	(void)state;
	for (unsigned i = 0; i < 4; i++) {
		o = tpm_object_alloc(tp);
		assert_non_null(o);
		o->kind = TPM_OBJ_KEY;
		o->hierarchy = hiers[i];
	}
	assert_int_equal(hier_control(&husk, ENDORSEMENT, "", ENDORSEMENT, 0), 0);
	assert_int_equal(tp->objects[1].kind, TPM_OBJ_FREE);
	assert_int_equal(tp->objects[0].kind, TPM_OBJ_KEY);
	assert_int_equal(hier_control(&husk, PLATFORM, "", TPM_RH_PLATFORM_NV, 0), 0);
	assert_int_equal(tp->objects[2].kind, TPM_OBJ_KEY);
	assert_int_equal(hier_control(&husk, PLATFORM, "", PLATFORM, 0), 0);
	assert_int_equal(tp->objects[2].kind, TPM_OBJ_FREE);
	assert_int_equal(hier_control(&husk, OWNER, "", OWNER, 0), 0);
	assert_int_equal(tp->objects[0].kind, TPM_OBJ_FREE);
	assert_int_equal(tp->objects[3].kind, TPM_OBJ_KEY);
	assert_false(tp->sh_enable || tp->eh_enable || tp->ph_enable || tp->ph_enable_nv);
}

/* ---- Clear, ClearControl ---- */

static void sc_clear(struct tgt *t, struct fx_log *l)
{
	static const uint8_t zero[32];

	X(0, change_auth(t, OWNER, "", "o", 1));
	X(0, change_auth(t, ENDORSEMENT, "", "e", 1));
	X(0, change_auth(t, LOCKOUT, "", "l", 1));
	X(0, set_policy(t, OWNER, "o", zero, 32, TPM_ALG_SHA256));
	X(0, tgt_nv_define(t, OWNER, "o", NULL, IDX(1), TPM_ALG_SHA256, ORW | TPMA_NV_NO_DA, NULL, 0, 8));
	X(0, tgt_nv_define(t, PLATFORM, "", NULL, IDX(2), TPM_ALG_SHA256,
			   TPMA_NV_PPWRITE | TPMA_NV_PPREAD | TPMA_NV_PLATFORMCREATE, NULL, 0, 8));
	X(0, tgt_nv_define(t, OWNER, "o", NULL, IDX(3), TPM_ALG_SHA256, ORW | (TPM_NT_COUNTER << 4), NULL, 0, 8));
	X(0, hier_control(t, ENDORSEMENT, "e", ENDORSEMENT, 0));
	/* ClearControl */
	X(TPM_RC_VALUE | P1, clear_control(t, PLATFORM, "", 2));
	X(TPM_RC_VALUE | H1, clear_control(t, OWNER, "o", 1));
	X(0, clear_control(t, LOCKOUT, "l", 1));
	X(TPM_RC_AUTH_FAIL, clear_control(t, LOCKOUT, "l", 0));
	X(TPM_RC_DISABLED, clear(t, LOCKOUT, "l"));
	X(TPM_RC_DISABLED, clear(t, PLATFORM, ""));
	X(0, clear_control(t, PLATFORM, "", 0));
	X(0, clear_control(t, PLATFORM, "", 1));
	X(0, clear_control(t, PLATFORM, "", 0));
	X(TPM_RC_VALUE | H1, clear(t, OWNER, "o"));
	X(TPM_RC_VALUE | H1, clear(t, ENDORSEMENT, "e"));
	X(0, clear(t, LOCKOUT, "l"));
	/* every authValue and policy is empty, the endorsement hierarchy is
	 * enabled again, owner indexes are gone, platform ones stay */
	X(0, change_auth(t, OWNER, "", "", 0));
	X(0, change_auth(t, ENDORSEMENT, "", "", 0));
	X(0, change_auth(t, LOCKOUT, "", "", 0));
	X(TPM_RC_HANDLE | H1, tgt_nv_public(t, IDX(1), NULL, NULL, NULL, NULL));
	X(TPM_RC_HANDLE | H1, tgt_nv_public(t, IDX(3), NULL, NULL, NULL, NULL));
	X(0, tgt_nv_public(t, IDX(2), NULL, NULL, NULL, NULL));
	X(0, reset_count(t));
	/* the owner's policy is gone too */
	{
		struct cmd b;
		uint32_t sh;
		uint8_t nonce[64];
		uint16_t nlen;

		X(0, tgt_policy_session(t, &sh, nonce, &nlen));
		cmd_init(&b, TPM_CC_HierarchyChangeAuth);
		cmd_handle(&b, OWNER);
		cmd_policy(&b, sh, nonce, nlen, NULL);
		tb_2b(&b.p, "x", 1);
		no_policy_use(t, &b);
	}
	/* counters deleted by Clear raise the start of new ones */
	X(0, tgt_nv_define(t, OWNER, "", NULL, IDX(4), TPM_ALG_SHA256, ORW | (TPM_NT_COUNTER << 4), NULL, 0, 8));
	X(TPM_RC_NV_UNINITIALIZED, tgt_nv_read(t, OWNER, IDX(4), "", NULL, 8, 0));
	/* Clear with the platform's authorization */
	X(0, clear(t, PLATFORM, ""));
	X(0, tgt_reboot(t, TPM_SU_CLEAR, TPM_SU_CLEAR));
	X(1, reset_count(t));
}

static void test_clear(void **state)
{
	struct tpm *tp = host.tpm;
	uint8_t sps[TPM_SEED_SIZE], eps[TPM_SEED_SIZE], pps[TPM_SEED_SIZE], shp[TPM_PROOF_SIZE],
		ehp[TPM_PROOF_SIZE], php[TPM_PROOF_SIZE];
	uint32_t pcr_counter;

	(void)state;
	memcpy(sps, tp->nv.sps, sizeof(sps));
	memcpy(eps, tp->nv.eps, sizeof(eps));
	memcpy(pps, tp->nv.pps, sizeof(pps));
	memcpy(shp, tp->nv.sh_proof, sizeof(shp));
	memcpy(ehp, tp->nv.eh_proof, sizeof(ehp));
	memcpy(php, tp->nv.ph_proof, sizeof(php));
	pcr_counter = tp->pcr_counter;
	assert_int_equal(da_params(&husk, "", 5, 6, 7), 0);
	tp->nv.da_failed_tries = 3;
	advance(5000);
	assert_int_equal(clear(&husk, LOCKOUT, ""), 0);
	/* new SPS and proofs of the owner and endorsement hierarchies; the
	 * EPS and the platform's stay */
	assert_memory_not_equal(sps, tp->nv.sps, sizeof(sps));
	assert_memory_not_equal(shp, tp->nv.sh_proof, sizeof(shp));
	assert_memory_not_equal(ehp, tp->nv.eh_proof, sizeof(ehp));
	assert_memory_equal(eps, tp->nv.eps, sizeof(eps));
	assert_memory_equal(pps, tp->nv.pps, sizeof(pps));
	assert_memory_equal(php, tp->nv.ph_proof, sizeof(php));
	/* DA back to its defaults, Clock and counters to zero */
	assert_int_equal(tp->nv.da_failed_tries, 0);
	assert_int_equal(tp->nv.da_max_tries, TPM_DA_DEFAULT_MAX_TRIES);
	assert_int_equal(tp->nv.da_recovery_time, TPM_DA_DEFAULT_RECOVERY);
	assert_int_equal(tp->nv.da_lockout_recovery, TPM_DA_DEFAULT_LOCKOUT_REC);
	assert_int_equal(tp->nv.clock, 0);
	assert_int_equal(tp->nv.reset_count, 0);
	assert_int_equal(tp->pcr_counter, pcr_counter + 1);
	advance(1234);
	tpm_update_clock(tp);
	assert_int_equal(tp->nv.clock, 1234);
	/* the diff run on top */
	fx_run_both(sc_clear);
}

/* Clear removes the owner's and the endorsement's persistent objects. */
static void test_clear_persistent(void **state)
{
	struct tpm *tp = host.tpm;
	static const uint32_t hiers[] = { OWNER, PLATFORM, ENDORSEMENT, OWNER };

	(void)state;
	for (unsigned i = 0; i < 4; i++) {
		tp->nv.persistent[i].kind = TPM_OBJ_KEY;
		tp->nv.persistent[i].handle = 0x81000000u + i;
		tp->nv.persistent[i].hierarchy = hiers[i];
	}
	tp->nv.persistent_count = 4;
	assert_int_equal(clear(&husk, PLATFORM, ""), 0);
	assert_int_equal(tp->nv.persistent_count, 1);
	assert_int_equal(tp->nv.persistent[0].handle, 0x81000001u);
}

/* ---- dictionary-attack protection ---- */

/* The lockout handle is not a TPMI_RH_NV_AUTH. */
static uint32_t nv_write_lockout(struct tgt *t)
{
	return tgt_nv_write(t, LOCKOUT, IDX(1), "", "a", 1, 0);
}

static void sc_da(struct tgt *t, struct fx_log *l)
{
	X(0, da_params(t, "", 3, 1000, 1000));
	X(0, da_entity(t, IDX(1), "pw"));
	X(0, use_entity(t, IDX(1), "pw"));
	X(TPM_RC_AUTH_FAIL | S1, use_entity(t, IDX(1), "bad"));
	X(1, failed_tries(t));
	X(TPM_RC_AUTH_FAIL | S1, use_entity(t, IDX(1), "bad"));
	X(0, use_entity(t, IDX(1), "pw")); /* success does not reset */
	X(2, failed_tries(t));
	X(TPM_RC_AUTH_FAIL | S1, use_entity(t, IDX(1), "bad"));
	X(3, failed_tries(t));
	/* lockout: even the right authValue is refused, and not counted */
	X(TPM_RC_LOCKOUT, use_entity(t, IDX(1), "pw"));
	X(TPM_RC_LOCKOUT, use_entity(t, IDX(1), "bad"));
	X(3, failed_tries(t));
	/* entities without DA protection still work */
	X(0, change_auth(t, OWNER, "", "", 0));
	X(0, tgt_nv_define(t, OWNER, "", "nd", IDX(2), TPM_ALG_SHA256, ORW | ARW | TPMA_NV_NO_DA, NULL, 0, 8));
	X(0, use_entity(t, IDX(2), "nd"));
	X(TPM_RC_BAD_AUTH | S1, use_entity(t, IDX(2), "bad"));
	/* raising maxTries ends the lockout; failedTries stays */
	X(0, da_params(t, "", 4, 1000, 1000));
	X(3, failed_tries(t));
	X(0, use_entity(t, IDX(1), "pw"));
	X(TPM_RC_AUTH_FAIL | S1, use_entity(t, IDX(1), "bad"));
	X(TPM_RC_LOCKOUT, use_entity(t, IDX(1), "pw"));
	X(0, da_reset(t, ""));
	X(0, failed_tries(t));
	X(0, use_entity(t, IDX(1), "pw"));
	/* maxTries 0: always in lockout */
	X(0, da_params(t, "", 0, 1000, 1000));
	X(TPM_RC_LOCKOUT, use_entity(t, IDX(1), "pw"));
	X(0, da_params(t, "", 0, 0, 1000));
	X(TPM_RC_LOCKOUT, use_entity(t, IDX(1), "pw"));
	/* recoveryTime 0: failures are not counted */
	X(0, da_params(t, "", 3, 0, 1000));
	X(TPM_RC_AUTH_FAIL | S1, use_entity(t, IDX(1), "bad"));
	X(TPM_RC_AUTH_FAIL | S1, use_entity(t, IDX(1), "bad"));
	X(TPM_RC_AUTH_FAIL | S1, use_entity(t, IDX(1), "bad"));
	X(TPM_RC_AUTH_FAIL | S1, use_entity(t, IDX(1), "bad"));
	X(0, failed_tries(t));
	X(0, use_entity(t, IDX(1), "pw"));
	/* DA state persists across Startup */
	X(0, da_params(t, "", 3, 1000, 1000));
	X(TPM_RC_AUTH_FAIL | S1, use_entity(t, IDX(1), "bad"));
	X(0, tgt_reboot(t, TPM_SU_CLEAR, TPM_SU_CLEAR));
	X(1, failed_tries(t));
	/* parameter errors */
	{
		struct cmd b;

		cmd_init(&b, TPM_CC_DictionaryAttackParameters);
		cmd_handle(&b, LOCKOUT);
		cmd_pw(&b, "");
		tb_u32(&b.p, 1);
		tb_u32(&b.p, 1);
		X(TPM_RC_INSUFFICIENT | TPM_RC_P | TPM_RC_3, cmd_send(&b, t));
		tb_u32(&b.p, 1);
		tb_u8(&b.p, 1);
		X(TPM_RC_SIZE, cmd_send(&b, t));
	}
	X(TPM_RC_VALUE | H1, nv_write_lockout(t));
}

static void test_da(void **state)
{
	(void)state;
	fx_run_both(sc_da);
}

/* lockoutAuth failures lock lockoutAuth itself. */
static void sc_lockout_auth(struct tgt *t, struct fx_log *l)
{
	X(0, da_params(t, "", 3, 1000, 1000));
	X(0, change_auth(t, LOCKOUT, "", "lock", 4));
	/* Not compared: libtpms answers TPM_RC_AUTH_FAIL, husk's session
	 * layer TPM_RC_BAD_AUTH (to be aligned there). */
	(void)da_reset(t, "bad");
	X(TPM_RC_LOCKOUT, da_reset(t, "lock"));
	X(TPM_RC_LOCKOUT, da_params(t, "lock", 3, 1000, 1000));
	X(TPM_RC_LOCKOUT, clear(t, LOCKOUT, "lock"));
	/* other hierarchies and DA-protected entities are not affected */
	X(0, change_auth(t, OWNER, "", "", 0));
	X(0, da_entity(t, IDX(1), "pw"));
	X(0, use_entity(t, IDX(1), "pw"));
	/* the platform may still Clear, which resets lockoutAuth */
	X(0, clear(t, PLATFORM, ""));
	X(0, da_reset(t, ""));
}

static void test_lockout_auth(void **state)
{
	(void)state;
	fx_run_both(sc_lockout_auth);
}

/* Self-healing: one failure forgiven per recoveryTime seconds of Clock. */
static void test_da_self_heal(void **state)
{
	struct tpm *tp = host.tpm;

	(void)state;
	assert_int_equal(da_params(&husk, "", 3, 10, 60), 0);
	assert_int_equal(da_entity(&husk, IDX(1), "pw"), 0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(use_entity(&husk, IDX(1), "bad"), TPM_RC_AUTH_FAIL | S1);
		advance(1000);
	}
	assert_int_equal(use_entity(&husk, IDX(1), "pw"), TPM_RC_LOCKOUT);
	/* 10 s after the last failure, one is forgiven */
	advance(8999);
	assert_int_equal(use_entity(&husk, IDX(1), "pw"), TPM_RC_LOCKOUT);
	advance(1);
	assert_int_equal(use_entity(&husk, IDX(1), "pw"), 0);
	assert_int_equal(tp->nv.da_failed_tries, 2);
	assert_int_equal(use_entity(&husk, IDX(1), "bad"), TPM_RC_AUTH_FAIL | S1);
	assert_int_equal(use_entity(&husk, IDX(1), "pw"), TPM_RC_LOCKOUT);
	/* a failure restarts the interval; 25 s forgive two */
	advance(25000);
	assert_int_equal(use_entity(&husk, IDX(1), "pw"), 0);
	assert_int_equal(tp->nv.da_failed_tries, 1);
	/* the remainder counts toward the next: 5 s more forgive the last */
	advance(5000);
	tpm_update_clock(tp);
	assert_int_equal(tp->nv.da_failed_tries, 0);
	/* time while powered off does not count */
	for (int i = 0; i < 3; i++)
		assert_int_equal(use_entity(&husk, IDX(1), "bad"), TPM_RC_AUTH_FAIL | S1);
	assert_int_equal(tgt_shutdown(&husk, TPM_SU_CLEAR), 0);
	assert_int_equal(tpm_power_off(tp), 0);
	advance(3600 * 1000);
	assert_int_equal(tpm_power_on(tp), 0);
	assert_int_equal(tgt_startup(&husk, TPM_SU_CLEAR), 0);
	assert_int_equal(use_entity(&husk, IDX(1), "pw"), TPM_RC_LOCKOUT);
	advance(10000);
	assert_int_equal(use_entity(&husk, IDX(1), "pw"), 0);
	/* recoveryTime 0 forgives everything at once */
	tp->nv.da_failed_tries = 3;
	assert_int_equal(da_params(&husk, "", 3, 0, 60), 0);
	assert_int_equal(use_entity(&husk, IDX(1), "pw"), 0);
	assert_int_equal(tp->nv.da_failed_tries, 0);
}

/* lockoutAuth recovers after lockoutRecovery seconds, or with 0 at the
 * next Startup (tpm_da_startup). */
static void test_lockout_recovery(void **state)
{
	struct tpm *tp = host.tpm;

	(void)state;
	assert_int_equal(da_params(&husk, "", 3, 10, 60), 0);
	tpm_da_failure(tp, LOCKOUT); /* what a lockoutAuth failure does */
	assert_true(tp->nv.da_lockout_locked);
	assert_int_equal(tp->nv.da_failed_tries, 0);
	assert_int_equal(da_reset(&husk, ""), TPM_RC_LOCKOUT);
	advance(59999);
	assert_int_equal(da_reset(&husk, ""), TPM_RC_LOCKOUT);
	advance(1);
	assert_int_equal(da_reset(&husk, ""), 0);
	/* a real failure through the session layer */
	assert_int_equal(change_auth(&husk, LOCKOUT, "", "l", 1), 0);
	assert_int_not_equal(da_reset(&husk, "x"), 0);
	assert_true(tp->nv.da_lockout_locked);
	assert_int_equal(da_reset(&husk, "l"), TPM_RC_LOCKOUT);
	advance(60000);
	assert_int_equal(da_params(&husk, "l", 3, 10, 0), 0);
	/* lockoutRecovery 0: locked until the next Startup */
	tpm_da_failure(tp, LOCKOUT);
	advance(24 * 3600 * 1000ull);
	assert_int_equal(da_reset(&husk, "l"), TPM_RC_LOCKOUT);
	tpm_da_startup(tp, true);
	assert_false(tp->nv.da_lockout_locked);
	assert_int_equal(da_reset(&husk, "l"), 0);
}

/* An unorderly shutdown after a DA-protected authorization counts as a
 * failure (unless DA is off or the TPM is already in lockout). */
static void test_da_startup(void **state)
{
	struct tpm *tp = host.tpm;

	(void)state;
	tpm_da_startup(tp, false);
	assert_int_equal(tp->nv.da_failed_tries, 0); /* no DA use */
	tpm_da_used(tp);
	assert_true(tp->nv.da_used);
	tpm_da_startup(tp, true);
	assert_int_equal(tp->nv.da_failed_tries, 0); /* orderly */
	assert_false(tp->nv.da_used);
	tpm_da_used(tp);
	tpm_da_startup(tp, false);
	assert_int_equal(tp->nv.da_failed_tries, 1);
	assert_false(tp->nv.da_used);
	/* a failure marks DA as used */
	tpm_da_failure(tp, IDX(1));
	assert_true(tp->nv.da_used);
	tpm_da_startup(tp, false);
	assert_int_equal(tp->nv.da_failed_tries, 3);
	/* not beyond maxTries */
	tp->nv.da_max_tries = 3;
	tpm_da_used(tp);
	tpm_da_startup(tp, false);
	assert_int_equal(tp->nv.da_failed_tries, 3);
	/* not with recoveryTime 0 */
	tp->nv.da_failed_tries = 0;
	tp->nv.da_recovery_time = 0;
	tpm_da_used(tp);
	tpm_da_startup(tp, false);
	assert_int_equal(tp->nv.da_failed_tries, 0);
	assert_true(tpm_nv_dirty(tp));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_change_auth, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_primary_policy, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_change_auth_response_hmac, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_hier_control, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_hier_control_flush, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_clear, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_clear_persistent, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_da, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_lockout_auth, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_da_self_heal, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_lockout_recovery, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_da_startup, setup, fx_teardown),
	};
	return cmocka_run_group_tests_name("tpm_hier", tests, NULL, NULL);
}
