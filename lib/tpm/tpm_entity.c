/* Entities: what a handle names (hierarchy, object, NV index, PCR,
 * session), its Name, authValue, authPolicy, and whether it may be used now.
 * The dispatcher and the session code go through these functions only. */
#include <string.h>

#include "tpm/tpm_internal.h"

static uint8_t handle_type(uint32_t h)
{
	return (uint8_t)(h >> TPM_HR_SHIFT);
}

void tpm_auth_trim(struct tpm2b_digest *auth)
{
	while (auth->size && auth->b[auth->size - 1] == 0)
		auth->size--;
}

bool tpm_hierarchy_enabled(struct tpm *t, uint32_t hierarchy)
{
	switch (hierarchy) {
	case TPM_RH_OWNER: return t->sh_enable;
	case TPM_RH_ENDORSEMENT: return t->eh_enable;
	case TPM_RH_PLATFORM: return t->ph_enable;
	case TPM_RH_NULL: return true;
	default: return false;
	}
}

const uint8_t *tpm_hierarchy_seed(struct tpm *t, uint32_t hierarchy)
{
	switch (hierarchy) {
	case TPM_RH_OWNER: return t->nv.sps;
	case TPM_RH_ENDORSEMENT: return t->nv.eps;
	case TPM_RH_PLATFORM: return t->nv.pps;
	case TPM_RH_NULL: return t->null_seed;
	default: return NULL;
	}
}

const uint8_t *tpm_hierarchy_proof(struct tpm *t, uint32_t hierarchy)
{
	switch (hierarchy) {
	case TPM_RH_OWNER: return t->nv.sh_proof;
	case TPM_RH_ENDORSEMENT: return t->nv.eh_proof;
	case TPM_RH_PLATFORM: return t->nv.ph_proof;
	case TPM_RH_NULL: return t->null_proof;
	default: return NULL;
	}
}

static bool is_hierarchy(uint32_t h)
{
	return h == TPM_RH_OWNER || h == TPM_RH_ENDORSEMENT || h == TPM_RH_PLATFORM;
}

/* An NV index is usable while the hierarchy that created it is enabled. */
static bool nv_usable(struct tpm *t, const struct tpm_nv_index *nv)
{
	return (nv->attributes & TPMA_NV_PLATFORMCREATE) ? t->ph_enable_nv : t->sh_enable;
}

/* Handles of husk's transient objects and sessions run from the first of
 * their range through the number of slots; beyond that a handle is outside
 * the TPMI_ type (Part 2: TRANSIENT_LAST, HMAC_SESSION_LAST and
 * POLICY_SESSION_LAST follow the implementation's number of slots). */
static bool is_transient(uint32_t h)
{
	return handle_type(h) == TPM_HT_TRANSIENT && (h & TPM_HR_HANDLE_MASK) < TPM_MAX_OBJECTS;
}

static bool is_object(uint32_t h)
{
	return is_transient(h) || handle_type(h) == TPM_HT_PERSISTENT;
}

static bool is_session(uint32_t h, uint8_t ht)
{
	return handle_type(h) == ht && (h & TPM_HR_HANDLE_MASK) < TPM_MAX_SESSIONS;
}

static bool is_pcr(uint32_t h)
{
	return h < TPM_PCR_COUNT;
}

tpm_rc tpm_handle_value_check(uint32_t h, enum tpm_handle_type type)
{
	bool ok;

	switch (type) {
	case TPM_H_OBJECT: ok = is_object(h); break;
	case TPM_H_OBJECT_NULL: ok = is_object(h) || h == TPM_RH_NULL; break;
	case TPM_H_PARENT: ok = is_object(h) || is_hierarchy(h) || h == TPM_RH_NULL; break;
	case TPM_H_HIERARCHY: ok = is_hierarchy(h); break;
	case TPM_H_PRIMARY: ok = is_hierarchy(h) || h == TPM_RH_NULL; break;
	case TPM_H_PROVISION: ok = h == TPM_RH_OWNER || h == TPM_RH_PLATFORM; break;
	case TPM_H_CLEAR: ok = h == TPM_RH_LOCKOUT || h == TPM_RH_PLATFORM; break;
	case TPM_H_LOCKOUT: ok = h == TPM_RH_LOCKOUT; break;
	case TPM_H_HIER_AUTH:
	case TPM_H_HIER_POLICY: ok = is_hierarchy(h) || h == TPM_RH_LOCKOUT; break;
	case TPM_H_ENABLES: ok = is_hierarchy(h) || h == TPM_RH_PLATFORM_NV; break;
	case TPM_H_PLATFORM: ok = h == TPM_RH_PLATFORM; break;
	case TPM_H_ENDORSEMENT: ok = h == TPM_RH_ENDORSEMENT; break;
	case TPM_H_NV_AUTH: ok = h == TPM_RH_OWNER || h == TPM_RH_PLATFORM || handle_type(h) == TPM_HT_NV_INDEX; break;
	case TPM_H_NV_INDEX: ok = handle_type(h) == TPM_HT_NV_INDEX; break;
	case TPM_H_PCR: ok = is_pcr(h); break;
	case TPM_H_PCR_NULL: ok = is_pcr(h) || h == TPM_RH_NULL; break;
	case TPM_H_POLICY_SESSION: ok = is_session(h, TPM_HT_POLICY_SESSION); break;
	case TPM_H_ENTITY:
	case TPM_H_ENTITY_NULL:
		ok = is_hierarchy(h) || h == TPM_RH_LOCKOUT || is_object(h) || is_pcr(h) ||
		     handle_type(h) == TPM_HT_NV_INDEX || (type == TPM_H_ENTITY_NULL && h == TPM_RH_NULL);
		break;
	case TPM_H_CONTEXT:
		ok = is_session(h, TPM_HT_HMAC_SESSION) || is_session(h, TPM_HT_POLICY_SESSION) || is_transient(h);
		break;
	case TPM_H_ANY: ok = true; break;
	default: ok = false; break;
	}
	return ok ? TPM_RC_SUCCESS : TPM_RC_VALUE;
}

/* A session handle names a loaded session of its own kind: its slot is
 * the low bits (tpm_session.c), so a handle of the other kind for a used
 * slot is TPM_RC_HANDLE, as in the reference implementation. */
tpm_rc tpm_session_load_check(struct tpm *t, uint32_t h)
{
	uint32_t slot = h & TPM_HR_HANDLE_MASK;
	const struct tpm_session *s;

	if (slot >= TPM_MAX_SESSIONS)
		return TPM_RC_VALUE;
	s = &t->sessions[slot];
	if (s->state != TPM_SESSION_LOADED)
		return TPM_RC_REFERENCE_H0;
	return s->handle == h ? TPM_RC_SUCCESS : TPM_RC_HANDLE;
}

tpm_rc tpm_entity_load_check(struct tpm *t, uint32_t h)
{
	switch (handle_type(h)) {
	case TPM_HT_PERMANENT:
		switch (h) {
		case TPM_RH_OWNER:
		case TPM_RH_ENDORSEMENT:
		case TPM_RH_PLATFORM:
			return tpm_hierarchy_enabled(t, h) ? TPM_RC_SUCCESS : TPM_RC_HIERARCHY;
		case TPM_RH_PLATFORM_NV:
			return t->ph_enable ? TPM_RC_SUCCESS : TPM_RC_HIERARCHY;
		case TPM_RH_LOCKOUT:
		case TPM_RH_NULL:
		case TPM_RS_PW:
			return TPM_RC_SUCCESS;
		default:
			return TPM_RC_VALUE; /* no vendor handles (TPM_RH_AUTH_00...) */
		}
	case TPM_HT_TRANSIENT:
	case TPM_HT_PERSISTENT: {
		struct tpm_object *o = tpm_object_find(t, h);

		if (!o)
			return handle_type(h) == TPM_HT_TRANSIENT ? TPM_RC_REFERENCE_H0 : TPM_RC_HANDLE;
		return tpm_hierarchy_enabled(t, o->hierarchy) ? TPM_RC_SUCCESS : TPM_RC_HIERARCHY;
	}
	case TPM_HT_HMAC_SESSION:
	case TPM_HT_POLICY_SESSION:
		return tpm_session_load_check(t, h);
	case TPM_HT_NV_INDEX: {
		struct tpm_nv_index *nv = tpm_nv_find(t, h);

		return nv && nv_usable(t, nv) ? TPM_RC_SUCCESS : TPM_RC_HANDLE;
	}
	case TPM_HT_PCR:
		return is_pcr(h) ? TPM_RC_SUCCESS : TPM_RC_VALUE;
	default:
		return TPM_RC_VALUE;
	}
}

tpm_rc tpm_entity_check(struct tpm *t, uint32_t h, enum tpm_handle_type type)
{
	tpm_rc rc = tpm_handle_value_check(h, type);

	if (rc || type == TPM_H_ANY)
		return rc;
	return tpm_entity_load_check(t, h);
}

void tpm_entity_name(struct tpm *t, uint32_t h, struct tpm2b_name *name)
{
	uint8_t ht = handle_type(h);

	if (ht == TPM_HT_TRANSIENT || ht == TPM_HT_PERSISTENT) {
		struct tpm_object *o = tpm_object_find(t, h);

		if (o) {
			*name = o->name;
			return;
		}
	} else if (ht == TPM_HT_NV_INDEX) {
		struct tpm_nv_index *nv = tpm_nv_find(t, h);

		if (nv) {
			tpm_nv_name(nv, name);
			return;
		}
	}
	/* Permanent handles, PCRs and sessions: the Name is the handle. */
	name->size = 4;
	tpm_put_be32(name->b, h);
}

void tpm_entity_auth(struct tpm *t, uint32_t h, struct tpm2b_digest *auth)
{
	uint8_t ht = handle_type(h);

	auth->size = 0;
	switch (h) {
	case TPM_RH_OWNER: *auth = t->nv.owner.auth; return;
	case TPM_RH_ENDORSEMENT: *auth = t->nv.endorsement.auth; return;
	case TPM_RH_LOCKOUT: *auth = t->nv.lockout.auth; return;
	case TPM_RH_PLATFORM: *auth = t->platform_auth; return;
	default: break;
	}
	if (ht == TPM_HT_TRANSIENT || ht == TPM_HT_PERSISTENT) {
		struct tpm_object *o = tpm_object_find(t, h);

		if (o && o->kind == TPM_OBJ_KEY && o->has_sensitive)
			*auth = o->sens.auth;
		else if (o && o->kind != TPM_OBJ_KEY)
			*auth = o->seq_auth;
	} else if (ht == TPM_HT_NV_INDEX) {
		struct tpm_nv_index *nv = tpm_nv_find(t, h);

		if (nv)
			*auth = nv->auth;
	}
	tpm_auth_trim(auth);
}

bool tpm_entity_policy(struct tpm *t, uint32_t h, struct tpm2b_digest *policy, uint16_t *alg)
{
	const struct tpm_hier_auth *ha = NULL;
	uint8_t ht = handle_type(h);

	switch (h) {
	case TPM_RH_OWNER: ha = &t->nv.owner; break;
	case TPM_RH_ENDORSEMENT: ha = &t->nv.endorsement; break;
	case TPM_RH_LOCKOUT: ha = &t->nv.lockout; break;
	case TPM_RH_PLATFORM:
		*policy = t->nv.platform_policy;
		*alg = t->nv.platform_policy_alg;
		return *alg != TPM_ALG_NULL;
	default: break;
	}
	if (ha) {
		*policy = ha->policy;
		*alg = ha->policy_alg;
		return *alg != TPM_ALG_NULL;
	}
	if (ht == TPM_HT_TRANSIENT || ht == TPM_HT_PERSISTENT) {
		struct tpm_object *o = tpm_object_find(t, h);

		if (!o || o->kind != TPM_OBJ_KEY)
			return false;
		*policy = o->pub.auth_policy;
		*alg = o->pub.name_alg;
		return true;
	}
	if (ht == TPM_HT_NV_INDEX) {
		struct tpm_nv_index *nv = tpm_nv_find(t, h);

		if (!nv)
			return false;
		*policy = nv->auth_policy;
		*alg = nv->name_alg;
		return true;
	}
	return false;
}

bool tpm_entity_da_protected(struct tpm *t, uint32_t h)
{
	uint8_t ht = handle_type(h);

	if (ht == TPM_HT_TRANSIENT || ht == TPM_HT_PERSISTENT) {
		struct tpm_object *o = tpm_object_find(t, h);

		return o && o->kind == TPM_OBJ_KEY && !(o->pub.attributes & TPMA_OBJECT_NODA);
	}
	if (ht == TPM_HT_NV_INDEX) {
		struct tpm_nv_index *nv = tpm_nv_find(t, h);

		return nv && !(nv->attributes & TPMA_NV_NO_DA);
	}
	return false; /* hierarchies, PCRs; lockout has its own protection */
}

bool tpm_entity_allows_auth_value(struct tpm *t, uint32_t h, enum tpm_auth_role role)
{
	uint8_t ht = handle_type(h);

	if (role == TPM_AUTH_DUP)
		return false;
	if (ht == TPM_HT_TRANSIENT || ht == TPM_HT_PERSISTENT) {
		struct tpm_object *o = tpm_object_find(t, h);

		if (!o)
			return false;
		if (o->kind != TPM_OBJ_KEY)
			return true; /* sequences are authorized by their auth value */
		if (!o->has_sensitive)
			return false; /* a public-only key has no auth value */
		if (role == TPM_AUTH_USER)
			return (o->pub.attributes & TPMA_OBJECT_USERWITHAUTH) != 0;
		return !(o->pub.attributes & TPMA_OBJECT_ADMINWITHPOLICY);
	}
	/* NV indexes: the command checks AUTHREAD/AUTHWRITE itself. */
	return true;
}

bool tpm_entity_allows_policy(struct tpm *t, uint32_t h, enum tpm_auth_role role)
{
	uint8_t ht = handle_type(h);

	(void)role;
	if (ht == TPM_HT_TRANSIENT || ht == TPM_HT_PERSISTENT) {
		struct tpm_object *o = tpm_object_find(t, h);

		/* Not a sequence, nor a public-only key; an empty authPolicy
		 * is a policy that no session matches (TPM_RC_POLICY_FAIL). */
		return o && o->kind == TPM_OBJ_KEY && o->has_sensitive;
	}
	if (ht == TPM_HT_PERMANENT) {
		/* A hierarchy without a policy cannot be authorized by one. */
		struct tpm2b_digest policy;
		uint16_t alg;

		return tpm_entity_policy(t, h, &policy, &alg) && policy.size;
	}
	/* NV indexes: tpm_nv_auth_available; PCRs have no policies in husk. */
	return ht == TPM_HT_NV_INDEX;
}
