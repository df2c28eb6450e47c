/* The TPM context: creation, manufacture, power, Startup/Shutdown, clock,
 * randomness, and the small commands that need nothing else (SelfTest,
 * GetRandom, StirRandom, ReadClock, TestParms). */
#include <string.h>

#include "husk/err.h"
#include "tpm/tpm_internal.h"

#define SHUTDOWN_NONE 0xffffu

/* ---- memory ---- */

struct alloc_hdr {
	size_t size;
	size_t pad; /* keeps the payload 16-byte aligned */
};

void *tpm_alloc(struct tpm *t, size_t size)
{
	struct alloc_hdr *h;

	if (size > TPM_NV_TOTAL_MAX * 4)
		return NULL;
	/* A zero-size block still gets a byte, so that its pointer lies
	 * inside the allocation (leak checkers, and tpm_free, rely on it). */
	h = t->env.calloc(t->env.ctx, 1, sizeof(*h) + (size ? size : 1));
	if (!h)
		return NULL;
	h->size = size;
	t->alloc_bytes += size;
	return h + 1;
}

void tpm_free(struct tpm *t, void *p)
{
	struct alloc_hdr *h;

	if (!p)
		return;
	h = (struct alloc_hdr *)p - 1;
	t->alloc_bytes -= h->size;
	crypto_wipe(p, h->size);
	t->env.free(t->env.ctx, h);
}

size_t tpm_memory_used(const struct tpm *t)
{
	return sizeof(*t) + t->alloc_bytes;
}

/* ---- banks ---- */

uint16_t tpm_bank_alg(unsigned bank)
{
	static const uint16_t algs[TPM_NUM_BANKS] = { TPM_ALG_SHA1, TPM_ALG_SHA256, TPM_ALG_SHA384,
						      TPM_ALG_SHA512 };
	return bank < TPM_NUM_BANKS ? algs[bank] : TPM_ALG_NULL;
}

int tpm_bank_index(uint16_t alg)
{
	for (unsigned i = 0; i < TPM_NUM_BANKS; i++)
		if (tpm_bank_alg(i) == alg)
			return (int)i;
	return -1;
}

/* ---- randomness, NV, clock ---- */

tpm_rc tpm_random(struct tpm *t, void *out, size_t len)
{
	return crypto_drbg_generate(&t->drbg, out, len) ? TPM_RC_FAILURE : TPM_RC_SUCCESS;
}

void tpm_mark_nv(struct tpm *t)
{
	t->nv_dirty = true;
}

bool tpm_nv_dirty(const struct tpm *t)
{
	return t->nv_dirty;
}

void tpm_update_clock(struct tpm *t)
{
	uint64_t now = t->env.clock_ms(t->env.ctx);

	t->nv.clock = t->clock_at_power_on + (now - t->clock_base_ms);
	t->time_ms = now - t->time_base_ms;
	tpm_da_clock_tick(t);
}

void tpm_w_clock_info(struct tpm_w *w, struct tpm *t)
{
	tpm_w_u64(w, t->nv.clock);
	tpm_w_u32(w, t->nv.reset_count);
	tpm_w_u32(w, t->nv.restart_count);
	tpm_w_u8(w, t->clock_safe ? 1 : 0);
}

/* ---- life cycle ---- */

/* The NULL hierarchy's seed and proof and the key of saved contexts: new at
 * every TPM Reset. */
static int new_volatile_secrets(struct tpm *t)
{
	t->context_counter = 0;
	if (tpm_random(t, t->null_seed, sizeof(t->null_seed)) ||
	    tpm_random(t, t->null_proof, sizeof(t->null_proof)) ||
	    tpm_random(t, t->context_nonce, sizeof(t->context_nonce)))
		return HUSK_ERR_CRYPTO;
	return HUSK_OK;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;

	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

int tpm_create(struct tpm **out, const struct tpm_env *env)
{
	struct tpm *t;

	if (!out || !env || !env->calloc || !env->free || !env->entropy || !env->clock_ms)
		return HUSK_ERR_INVAL;
	t = env->calloc(env->ctx, 1, sizeof(*t));
	if (!t)
		return HUSK_ERR_NOMEM;
	t->env = *env;
	if (crypto_drbg_init(&t->drbg, env->entropy, env->ctx, "husk-tpm", 8) != 0) {
		env->free(env->ctx, t);
		return HUSK_ERR_CRYPTO;
	}
	/* Never zero, even before the first TPM Reset (a Startup(STATE) on
	 * a blob saved without them keeps these). */
	if (new_volatile_secrets(t)) {
		crypto_drbg_free(&t->drbg);
		env->free(env->ctx, t);
		return HUSK_ERR_CRYPTO;
	}
	*out = t;
	return HUSK_OK;
}

static void flush_volatile(struct tpm *t)
{
	tpm_objects_flush_all(t);
	tpm_sessions_flush_all(t);
}

void tpm_destroy(struct tpm *t)
{
	if (!t)
		return;
	flush_volatile(t);
	tpm_primary_cache_drop(t, TPM_PRIMARY_CACHE_ALL);
	for (uint32_t i = 0; i < t->nv.persistent_count; i++)
		tpm_key_cache_free(t, &t->nv.persistent[i]);
	for (uint32_t i = 0; i < t->nv.nv_count; i++)
		tpm_nv_release(t, &t->nv.nv[i]);
	crypto_drbg_free(&t->drbg);
	{
		struct tpm_env env = t->env;

		crypto_wipe(t, sizeof(*t));
		env.free(env.ctx, t);
	}
}

static void empty_auth(struct tpm_hier_auth *h)
{
	memset(h, 0, sizeof(*h));
	h->policy_alg = TPM_ALG_NULL;
}

int tpm_manufacture(struct tpm *t)
{
	struct tpm_persistent *nv = &t->nv;

	if (!t || t->powered)
		return HUSK_ERR_BUSY;
	/* New seeds: no key derived from the old ones may be served. */
	tpm_primary_cache_drop(t, TPM_PRIMARY_CACHE_ALL);
	for (uint32_t i = 0; i < nv->persistent_count; i++)
		tpm_key_cache_free(t, &nv->persistent[i]);
	for (uint32_t i = 0; i < nv->nv_count; i++)
		tpm_nv_release(t, &nv->nv[i]);
	crypto_wipe(nv, sizeof(*nv));
	if (tpm_random(t, nv->eps, sizeof(nv->eps)) || tpm_random(t, nv->sps, sizeof(nv->sps)) ||
	    tpm_random(t, nv->pps, sizeof(nv->pps)) || tpm_random(t, nv->eh_proof, sizeof(nv->eh_proof)) ||
	    tpm_random(t, nv->sh_proof, sizeof(nv->sh_proof)) ||
	    tpm_random(t, nv->ph_proof, sizeof(nv->ph_proof)))
		return HUSK_ERR_CRYPTO;
	empty_auth(&nv->owner);
	empty_auth(&nv->endorsement);
	empty_auth(&nv->lockout);
	nv->platform_policy_alg = TPM_ALG_NULL;
	nv->da_max_tries = TPM_DA_DEFAULT_MAX_TRIES;
	nv->da_recovery_time = TPM_DA_DEFAULT_RECOVERY;
	nv->da_lockout_recovery = TPM_DA_DEFAULT_LOCKOUT_REC;
	nv->shutdown_type = TPM_SU_CLEAR; /* a new TPM counts as orderly */
	nv->pcr_banks = nv->pcr_banks_pending =
		(1u << TPM_BANK_SHA1) | (1u << TPM_BANK_SHA256) | (1u << TPM_BANK_SHA384);
	t->manufactured = true;
	t->nv_dirty = true;
	return HUSK_OK;
}

int tpm_power_on(struct tpm *t)
{
	if (!t || !t->manufactured)
		return HUSK_ERR_INVAL;
	flush_volatile(t);
	t->powered = true;
	t->started = false;
	t->clock_base_ms = t->env.clock_ms(t->env.ctx);
	t->clock_at_power_on = t->nv.clock;
	t->time_base_ms = t->clock_base_ms;
	t->self_tested = false;
	return HUSK_OK;
}

int tpm_power_off(struct tpm *t)
{
	if (!t || !t->powered)
		return HUSK_ERR_INVAL;
	tpm_update_clock(t);
	flush_volatile(t);
	t->powered = false;
	t->started = false;
	return HUSK_OK;
}

int tpm_process(struct tpm *t, const uint8_t *cmd, size_t cmd_len, uint8_t locality,
		uint8_t *rsp, size_t rsp_cap, size_t *rsp_len)
{
	struct tpm_w w;

	if (!t || !cmd || !rsp || !rsp_len || rsp_cap < TPM_BUFFER_MAX || locality > 4)
		return HUSK_ERR_INVAL;
	tpm_w_init(&w, rsp, rsp_cap);
	if (!t->powered) {
		tpm_w_u16(&w, TPM_ST_NO_SESSIONS);
		tpm_w_u32(&w, 10);
		tpm_w_u32(&w, TPM_RC_FAILURE);
	} else {
		tpm_execute(t, cmd, cmd_len, locality, &w);
	}
	*rsp_len = w.pos;
	return HUSK_OK;
}

/* ---- Startup / Shutdown ---- */

TPM_HANDLER(Startup)
{
	struct tpm *t = c->t;
	uint16_t type;
	bool orderly, resume, restart;
	int rc;

	TPM_IN(1, tpm_r_u16(&c->in, &type));
	if (type != TPM_SU_CLEAR && type != TPM_SU_STATE)
		return tpm_rc_param(TPM_RC_VALUE, 1);
	TPM_IN_DONE(c);
	if (t->started)
		return TPM_RC_INITIALIZE;
	orderly = t->nv.shutdown_type != SHUTDOWN_NONE;
	if (type == TPM_SU_STATE && (t->nv.shutdown_type != TPM_SU_STATE || !t->nv.saved_state_valid))
		return tpm_rc_param(TPM_RC_VALUE, 1);
	resume = type == TPM_SU_STATE;
	restart = type == TPM_SU_CLEAR && t->nv.shutdown_type == TPM_SU_STATE;

	tpm_da_startup(t, orderly);
	/* The NULL seed is new, or restored from the Shutdown(STATE) data:
	 * either way not necessarily the one the cached keys came from. */
	tpm_primary_cache_drop(t, TPM_RH_NULL);
	if (resume || restart) {
		/* The NULL hierarchy and saved contexts live on. */
		t->nv.restart_count++;
		memcpy(t->null_seed, t->nv.saved_null_seed, sizeof(t->null_seed));
		memcpy(t->null_proof, t->nv.saved_null_proof, sizeof(t->null_proof));
		memcpy(t->context_nonce, t->nv.saved_context_nonce, sizeof(t->context_nonce));
		t->context_counter = t->nv.saved_context_counter;
		/* A blob that never had them must not leave known values. */
		if (all_zero(t->null_seed, sizeof(t->null_seed)) ||
		    all_zero(t->null_proof, sizeof(t->null_proof)) ||
		    all_zero(t->context_nonce, sizeof(t->context_nonce))) {
			rc = new_volatile_secrets(t);
			if (rc)
				return TPM_RC_FAILURE;
		}
	} else {
		/* TPM Reset */
		t->nv.reset_count++;
		t->nv.restart_count = 0;
		t->nv.pcr_banks = t->nv.pcr_banks_pending;
		rc = new_volatile_secrets(t);
		if (rc)
			return TPM_RC_FAILURE;
	}
	crypto_wipe(t->nv.saved_null_seed, sizeof(t->nv.saved_null_seed));
	crypto_wipe(t->nv.saved_null_proof, sizeof(t->nv.saved_null_proof));
	crypto_wipe(t->nv.saved_context_nonce, sizeof(t->nv.saved_context_nonce));
	t->clock_safe = orderly;
	if (!resume) {
		/* platformAuth and platformPolicy survive only a TPM Resume. */
		memset(&t->platform_auth, 0, sizeof(t->platform_auth));
		t->nv.platform_policy.size = 0;
		t->nv.platform_policy_alg = TPM_ALG_NULL;
	}
	t->ph_enable = true;
	if (resume) {
		t->sh_enable = t->nv.saved_sh_enable;
		t->eh_enable = t->nv.saved_eh_enable;
		t->ph_enable_nv = t->nv.saved_ph_enable_nv;
	} else {
		t->sh_enable = t->eh_enable = t->ph_enable_nv = true;
	}
	tpm_pcr_startup(t, !resume);
	tpm_nv_startup(t, !resume);
	t->nv.saved_state_valid = false;
	/* Until the next Shutdown, a power loss is unorderly. */
	t->nv.shutdown_type = SHUTDOWN_NONE;
	t->time_base_ms = t->env.clock_ms(t->env.ctx);
	t->time_ms = 0;
	t->startup_type = type;
	t->started = true;
	tpm_mark_nv(t);
	return TPM_RC_SUCCESS;
}

TPM_HANDLER(Shutdown)
{
	struct tpm *t = c->t;
	uint16_t type;

	TPM_IN(1, tpm_r_u16(&c->in, &type));
	if (type != TPM_SU_CLEAR && type != TPM_SU_STATE)
		return tpm_rc_param(TPM_RC_VALUE, 1);
	TPM_IN_DONE(c);
	if (type == TPM_SU_STATE) {
		memcpy(t->nv.saved_null_seed, t->null_seed, sizeof(t->null_seed));
		memcpy(t->nv.saved_null_proof, t->null_proof, sizeof(t->null_proof));
		memcpy(t->nv.saved_context_nonce, t->context_nonce, sizeof(t->context_nonce));
		t->nv.saved_context_counter = t->context_counter;
		memcpy(t->nv.saved_pcr, t->pcr, sizeof(t->pcr));
		t->nv.saved_pcr_counter = t->pcr_counter;
		t->nv.saved_sh_enable = t->sh_enable;
		t->nv.saved_eh_enable = t->eh_enable;
		t->nv.saved_ph_enable_nv = t->ph_enable_nv;
		t->nv.saved_state_valid = true;
	}
	t->nv.shutdown_type = type;
	tpm_mark_nv(t);
	return TPM_RC_SUCCESS;
}

/* ---- self tests ---- */

TPM_HANDLER(SelfTest)
{
	uint8_t full;

	TPM_IN(1, tpm_r_u8(&c->in, &full));
	if (full > 1)
		return tpm_rc_param(TPM_RC_VALUE, 1);
	TPM_IN_DONE(c);
	c->t->self_tested = true;
	return TPM_RC_SUCCESS;
}

TPM_HANDLER(IncrementalSelfTest)
{
	uint32_t count;

	TPM_IN(1, tpm_r_u32(&c->in, &count));
	if (count > 64)
		return tpm_rc_param(TPM_RC_SIZE, 1);
	for (uint32_t i = 0; i < count; i++) {
		uint16_t alg;

		TPM_IN(1, tpm_r_u16(&c->in, &alg));
		/* Part 3: an algorithm that is not implemented is
		 * TPM_RC_VALUE (TPM_ALG_NULL and _ERROR included, as in
		 * the reference implementation). */
		if (!tpm_alg_implemented(alg))
			return tpm_rc_param(TPM_RC_VALUE, 1);
	}
	TPM_IN_DONE(c);
	/* Every algorithm is tested at context creation: nothing left to do. */
	tpm_w_u32(&c->out, 0);
	return TPM_RC_SUCCESS;
}

TPM_HANDLER(GetTestResult)
{
	TPM_IN_DONE(c);
	tpm_w_u16(&c->out, 0); /* outData */
	tpm_w_u32(&c->out, TPM_RC_SUCCESS);
	return TPM_RC_SUCCESS;
}

/* ---- randomness ---- */

TPM_HANDLER(GetRandom)
{
	uint16_t want;
	uint8_t buf[TPM_MAX_DIGEST];

	TPM_IN(1, tpm_r_u16(&c->in, &want));
	TPM_IN_DONE(c);
	if (want > sizeof(buf))
		want = sizeof(buf);
	TPM_TRY(tpm_random(c->t, buf, want));
	tpm_w_2b(&c->out, buf, want);
	crypto_wipe(buf, sizeof(buf));
	return TPM_RC_SUCCESS;
}

TPM_HANDLER(StirRandom)
{
	struct tpm2b_sensitive_data in;

	TPM_IN(1, tpm_r_2b(&c->in, in.b, &in.size, TPM_MAX_SYM_DATA));
	TPM_IN_DONE(c);
	if (crypto_drbg_reseed(&c->t->drbg, in.b, in.size))
		return TPM_RC_FAILURE;
	crypto_wipe(&in, sizeof(in));
	return TPM_RC_SUCCESS;
}

/* ---- clock ---- */

TPM_HANDLER(ReadClock)
{
	TPM_IN_DONE(c);
	tpm_w_u64(&c->out, c->t->time_ms);
	tpm_w_clock_info(&c->out, c->t);
	return TPM_RC_SUCCESS;
}

TPM_HANDLER(TestParms)
{
	struct tpm_public parms;

	TPM_IN(1, tpm_r_public_parms(&c->in, &parms));
	TPM_IN_DONE(c);
	return TPM_RC_SUCCESS;
}
