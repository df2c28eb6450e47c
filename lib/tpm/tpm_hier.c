/* Hierarchies and dictionary-attack protection (TPM 2.0 Part 1,
 * "Dictionary Attack Protection"; Part 3, "Hierarchy Commands" and
 * "Dictionary Attack Functions"): HierarchyChangeAuth, HierarchyControl,
 * SetPrimaryPolicy, Clear, ClearControl, DictionaryAttackLockReset,
 * DictionaryAttackParameters, and the DA state the session layer uses.
 *
 * DA time is measured in Clock (milliseconds that persist across power
 * cycles and advance only while the TPM is powered), so a lockout cannot
 * be waited out while the TPM is off and survives a restart. */
#include <string.h>

#include "tpm/tpm_internal.h"

/* newAuth of HierarchyChangeAuth may be as long as the largest digest husk
 * implements (SHA-512), as in libtpms, whose context integrity hash it is. */
#define HIER_AUTH_MAX 64u

static uint64_t ms_to_s(uint64_t ms)
{
	return ms / 1000u;
}

/* ---- dictionary-attack protection ---- */

bool tpm_da_locked_out(struct tpm *t)
{
	/* maxTries 0 keeps the TPM in lockout (as the reference TPM). */
	return t->nv.da_failed_tries >= t->nv.da_max_tries;
}

void tpm_da_used(struct tpm *t)
{
	if (!t->nv.da_used) {
		t->nv.da_used = true;
		tpm_mark_nv(t);
	}
}

void tpm_da_failure(struct tpm *t, uint32_t handle)
{
	struct tpm_persistent *p = &t->nv;

	tpm_da_used(t);
	if (handle == TPM_RH_LOCKOUT) {
		/* lockoutAuth is unusable until lockoutRecovery has passed
		 * (or, if that is 0, until the next Startup). */
		p->da_lockout_locked = true;
		p->da_lockout_since = p->clock;
	} else {
		/* recoveryTime 0 disables counting; every failure still
		 * restarts the healing interval. */
		if (p->da_recovery_time && p->da_failed_tries != UINT32_MAX)
			p->da_failed_tries++;
		p->da_last_fail_clock = p->clock;
	}
	tpm_mark_nv(t);
}

void tpm_da_clock_tick(struct tpm *t)
{
	struct tpm_persistent *p = &t->nv;

	/* A clock behind a recorded time (a Clear, or a state blob from an
	 * older clock) restarts the interval instead of waiting for it. */
	if (p->da_last_fail_clock > p->clock) {
		p->da_last_fail_clock = p->clock;
		tpm_mark_nv(t);
	}
	if (p->da_lockout_since > p->clock) {
		p->da_lockout_since = p->clock;
		tpm_mark_nv(t);
	}

	if (p->da_failed_tries) {
		if (p->da_recovery_time == 0) {
			p->da_failed_tries = 0;
			tpm_mark_nv(t);
		} else {
			/* One failure is forgiven per recoveryTime seconds. */
			uint64_t n = ms_to_s(p->clock - p->da_last_fail_clock) / p->da_recovery_time;

			if (n) {
				p->da_failed_tries = n >= p->da_failed_tries ? 0 : p->da_failed_tries - (uint32_t)n;
				p->da_last_fail_clock += n * p->da_recovery_time * 1000u;
				tpm_mark_nv(t);
			}
		}
	}
	if (p->da_lockout_locked && p->da_lockout_recovery &&
	    ms_to_s(p->clock - p->da_lockout_since) >= p->da_lockout_recovery) {
		p->da_lockout_locked = false;
		tpm_mark_nv(t);
	}
}

void tpm_da_startup(struct tpm *t, bool orderly)
{
	struct tpm_persistent *p = &t->nv;

	if (p->da_lockout_locked && p->da_lockout_recovery == 0) {
		p->da_lockout_locked = false;
		tpm_mark_nv(t);
	}
	/* A DA-protected authorization followed by a power loss may have
	 * been a guess whose failure was never recorded: count it. */
	if (!orderly && p->da_used && p->da_recovery_time && p->da_failed_tries < p->da_max_tries) {
		p->da_failed_tries++;
		p->da_last_fail_clock = p->clock;
		tpm_mark_nv(t);
	}
	if (p->da_used) {
		p->da_used = false;
		tpm_mark_nv(t);
	}
}

static void da_defaults(struct tpm_persistent *p)
{
	p->da_failed_tries = 0;
	p->da_max_tries = TPM_DA_DEFAULT_MAX_TRIES;
	p->da_recovery_time = TPM_DA_DEFAULT_RECOVERY;
	p->da_lockout_recovery = TPM_DA_DEFAULT_LOCKOUT_REC;
	p->da_lockout_locked = false;
	p->da_last_fail_clock = 0;
	p->da_lockout_since = 0;
	p->da_used = false;
}

TPM_HANDLER(DictionaryAttackLockReset)
{
	TPM_IN_DONE(c);
	c->t->nv.da_failed_tries = 0;
	tpm_mark_nv(c->t);
	return TPM_RC_SUCCESS;
}

TPM_HANDLER(DictionaryAttackParameters)
{
	uint32_t max_tries, recovery, lockout_recovery;
	struct tpm_persistent *p = &c->t->nv;

	TPM_IN(1, tpm_r_u32(&c->in, &max_tries));
	TPM_IN(2, tpm_r_u32(&c->in, &recovery));
	TPM_IN(3, tpm_r_u32(&c->in, &lockout_recovery));
	TPM_IN_DONE(c);
	/* failedTries stays (an erratum removed its reset). */
	p->da_max_tries = max_tries;
	p->da_recovery_time = recovery;
	p->da_lockout_recovery = lockout_recovery;
	tpm_mark_nv(c->t);
	return TPM_RC_SUCCESS;
}

/* ---- authValues and policies ---- */

static struct tpm_hier_auth *hier_auth(struct tpm *t, uint32_t h)
{
	switch (h) {
	case TPM_RH_OWNER: return &t->nv.owner;
	case TPM_RH_ENDORSEMENT: return &t->nv.endorsement;
	case TPM_RH_LOCKOUT: return &t->nv.lockout;
	default: return NULL;
	}
}

TPM_HANDLER(HierarchyChangeAuth)
{
	struct tpm *t = c->t;
	uint32_t h = c->handles[0];
	struct tpm_hier_auth *ha = hier_auth(t, h);
	struct tpm2b_digest auth;

	TPM_IN(1, tpm_r_digest(&c->in, &auth));
	if (tpm_in_done(c)) {
		crypto_wipe(&auth, sizeof(auth));
		return TPM_RC_SIZE;
	}
	tpm_auth_trim(&auth);
	if (auth.size > HIER_AUTH_MAX) {
		crypto_wipe(&auth, sizeof(auth));
		return tpm_rc_param(TPM_RC_SIZE, 1);
	}
	if (ha) {
		ha->auth = auth;
		tpm_mark_nv(t);
	} else if (h == TPM_RH_PLATFORM) {
		t->platform_auth = auth; /* until the next Startup */
	} else {
		crypto_wipe(&auth, sizeof(auth));
		return tpm_rc_handle(TPM_RC_VALUE, 1); /* excluded by the handle type */
	}
	/* The response HMAC uses the new authValue, as in the reference
	 * TPM (and as TSS clients expect). */
	for (unsigned i = 0; i < c->nsessions; i++)
		if (c->sessions[i].auth_handle == h)
			c->sessions[i].auth_value = auth;
	crypto_wipe(&auth, sizeof(auth));
	return TPM_RC_SUCCESS;
}

TPM_HANDLER(SetPrimaryPolicy)
{
	struct tpm *t = c->t;
	uint32_t h = c->handles[0];
	struct tpm_hier_auth *ha = hier_auth(t, h);
	struct tpm2b_digest policy;
	uint16_t alg;

	TPM_IN(1, tpm_r_digest(&c->in, &policy));
	TPM_IN(2, tpm_r_hash_alg(&c->in, &alg, true));
	TPM_IN_DONE(c);
	/* An empty policy goes with TPM_ALG_NULL, any other with its hash. */
	if (policy.size != tpm_hash_size(alg))
		return tpm_rc_param(TPM_RC_SIZE, 1);
	if (ha) {
		ha->policy = policy;
		ha->policy_alg = alg;
	} else if (h == TPM_RH_PLATFORM) {
		/* Kept in the NV structure but reset by every Startup. */
		t->nv.platform_policy = policy;
		t->nv.platform_policy_alg = alg;
	} else {
		return tpm_rc_handle(TPM_RC_VALUE, 1); /* excluded by the handle type */
	}
	tpm_mark_nv(t);
	return TPM_RC_SUCCESS;
}

/* ---- HierarchyControl ---- */

TPM_HANDLER(HierarchyControl)
{
	struct tpm *t = c->t;
	uint32_t by = c->handles[0], enable;
	uint8_t state;
	bool *flag;

	TPM_IN(1, tpm_r_u32(&c->in, &enable));
	switch (enable) {
	case TPM_RH_OWNER: flag = &t->sh_enable; break;
	case TPM_RH_ENDORSEMENT: flag = &t->eh_enable; break;
	case TPM_RH_PLATFORM: flag = &t->ph_enable; break;
	case TPM_RH_PLATFORM_NV: flag = &t->ph_enable_nv; break;
	default: return tpm_rc_param(TPM_RC_VALUE, 1);
	}
	TPM_IN(2, tpm_r_u8(&c->in, &state));
	if (state > 1)
		return tpm_rc_param(TPM_RC_VALUE, 2);
	TPM_IN_DONE(c);

	switch (enable) {
	case TPM_RH_PLATFORM:
	case TPM_RH_PLATFORM_NV:
		/* Only the platform may turn its own hierarchy off (and once
		 * off, platformAuth is unusable until the next Startup). */
		if (by != TPM_RH_PLATFORM)
			return TPM_RC_AUTH_TYPE;
		break;
	default:
		/* The owner (endorsement) may disable its own hierarchy; only
		 * the platform may enable it again. */
		if (by != TPM_RH_PLATFORM && by != enable)
			return TPM_RC_AUTH_TYPE;
		if (state && !*flag && by != TPM_RH_PLATFORM)
			return TPM_RC_AUTH_TYPE;
		break;
	}
	if (*flag == (state != 0))
		return TPM_RC_SUCCESS;
	*flag = state != 0;
	/* Objects of a disabled hierarchy are flushed (its persistent
	 * objects and NV indexes just become unusable). */
	if (!state && enable != TPM_RH_PLATFORM_NV)
		tpm_objects_flush_hierarchy(t, enable);
	return TPM_RC_SUCCESS;
}

/* ---- Clear, ClearControl ---- */

TPM_HANDLER(Clear)
{
	struct tpm *t = c->t;
	struct tpm_persistent *p = &t->nv;
	uint8_t sps[TPM_SEED_SIZE], sh_proof[TPM_PROOF_SIZE], eh_proof[TPM_PROOF_SIZE];
	tpm_rc rc;

	TPM_IN_DONE(c);
	if (p->disable_clear)
		return TPM_RC_DISABLED;
	/* New secrets first, so that a DRBG failure changes nothing. */
	rc = tpm_random(t, sps, sizeof(sps));
	if (!rc)
		rc = tpm_random(t, sh_proof, sizeof(sh_proof));
	if (!rc)
		rc = tpm_random(t, eh_proof, sizeof(eh_proof));
	if (rc) {
		crypto_wipe(sps, sizeof(sps));
		crypto_wipe(sh_proof, sizeof(sh_proof));
		crypto_wipe(eh_proof, sizeof(eh_proof));
		return rc;
	}
	memcpy(p->sps, sps, sizeof(sps));
	/* Owner primaries derived from the old SPS go; the EPS and PPS stay,
	 * and so do the keys derived from them. */
	tpm_primary_cache_drop(t, TPM_RH_OWNER);
	memcpy(p->sh_proof, sh_proof, sizeof(sh_proof));
	memcpy(p->eh_proof, eh_proof, sizeof(eh_proof));
	crypto_wipe(sps, sizeof(sps));
	crypto_wipe(sh_proof, sizeof(sh_proof));
	crypto_wipe(eh_proof, sizeof(eh_proof));

	t->sh_enable = t->eh_enable = true;
	/* ownerAuth, endorsementAuth, lockoutAuth and their policies */
	crypto_wipe(&p->owner, sizeof(p->owner));
	crypto_wipe(&p->endorsement, sizeof(p->endorsement));
	crypto_wipe(&p->lockout, sizeof(p->lockout));
	p->owner.policy_alg = p->endorsement.policy_alg = p->lockout.policy_alg = TPM_ALG_NULL;

	tpm_objects_flush_hierarchy(t, TPM_RH_OWNER);
	tpm_objects_flush_hierarchy(t, TPM_RH_ENDORSEMENT);
	tpm_nv_flush_hierarchy(t, TPM_RH_OWNER);
	tpm_persistent_flush_hierarchy(t, TPM_RH_OWNER);
	tpm_persistent_flush_hierarchy(t, TPM_RH_ENDORSEMENT);

	/* DA back to its defaults, Clock and the reset counters to zero,
	 * and a new pcrUpdateCounter (as the reference TPM does). */
	da_defaults(p);
	p->clock = 0;
	t->clock_at_power_on = 0;
	t->clock_base_ms = t->env.clock_ms(t->env.ctx);
	t->clock_safe = true;
	p->reset_count = 0;
	p->restart_count = 0;
	t->pcr_counter++;
	tpm_mark_nv(t);
	return TPM_RC_SUCCESS;
}

TPM_HANDLER(ClearControl)
{
	uint8_t disable;

	TPM_IN(1, tpm_r_u8(&c->in, &disable));
	if (disable > 1)
		return tpm_rc_param(TPM_RC_VALUE, 1);
	TPM_IN_DONE(c);
	/* lockoutAuth may disable Clear; only the platform may enable it. */
	if (c->handles[0] == TPM_RH_LOCKOUT && !disable)
		return TPM_RC_AUTH_FAIL;
	c->t->nv.disable_clear = disable != 0;
	tpm_mark_nv(c->t);
	return TPM_RC_SUCCESS;
}
