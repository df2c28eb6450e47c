/* Sessions: slots, StartAuthSession, and the authorization checks,
 * parameter encryption and response HMACs of every command (TPM 2.0
 * Part 1, "Authorizations and Acknowledgments"). */
#include <string.h>

#include "tpm/tpm_session_auth.h"

#define NONCE_MIN 16

struct tpm_session *tpm_session_find(struct tpm *t, uint32_t handle)
{
	for (unsigned i = 0; i < TPM_MAX_SESSIONS; i++)
		if (t->sessions[i].state != TPM_SESSION_FREE && t->sessions[i].handle == handle)
			return &t->sessions[i];
	return NULL;
}

void tpm_session_release(struct tpm *t, struct tpm_session *s)
{
	crypto_wipe(s, sizeof(*s));
	s->state = TPM_SESSION_FREE;
}

void tpm_sessions_flush_all(struct tpm *t)
{
	for (unsigned i = 0; i < TPM_MAX_SESSIONS; i++)
		tpm_session_release(t, &t->sessions[i]);
}

void tpm_policy_reset(struct tpm_session *s)
{
	s->policy_digest.size = tpm_hash_size(s->hash_alg);
	memset(s->policy_digest.b, 0, sizeof(s->policy_digest.b));
	s->need_auth_value = false;
	s->need_password = false;
	s->pcr_check = false;
	s->pcr_counter = 0;
	s->command_code = 0;
	s->cp_hash_set = false;
	s->name_hash_set = false;
	s->cp_hash.size = 0;
	s->locality = 0;
	s->policy_timeout = 0;
}

tpm_rc tpm_policy_update(struct tpm_session *s, const struct tpm_part *parts, size_t n)
{
	struct tpm_part all[8];

	if (n + 1 > 8)
		return TPM_RC_FAILURE;
	all[0].p = s->policy_digest.b;
	all[0].len = s->policy_digest.size;
	for (size_t i = 0; i < n; i++)
		all[i + 1] = parts[i];
	return tpm_hash_parts(s->hash_alg, all, n + 1, s->policy_digest.b);
}

/* ---- StartAuthSession ---- */

TPM_HANDLER(StartAuthSession)
{
	struct tpm *t = c->t;
	uint32_t tpm_key = c->handles[0], bind = c->handles[1];
	struct tpm2b_digest nonce_caller;
	struct tpm2b_rsa salt; /* TPM2B_ENCRYPTED_SECRET: an RSA-3072 block at most */
	uint8_t type;
	struct tpm_sym_def sym;
	uint16_t hash;
	struct tpm_session *s = NULL;
	unsigned slot;

	TPM_IN(1, tpm_r_digest(&c->in, &nonce_caller));
	TPM_IN(2, tpm_r_2b(&c->in, salt.b, &salt.size, sizeof(salt.b)));
	TPM_IN(3, tpm_r_u8(&c->in, &type));
	if (type != TPM_SE_HMAC && type != TPM_SE_POLICY && type != TPM_SE_TRIAL)
		return tpm_rc_param(TPM_RC_VALUE, 3);
	TPM_IN(4, tpm_r_sym_def(&c->in, &sym, false, true));
	TPM_IN(5, tpm_r_hash_alg(&c->in, &hash, false));
	TPM_IN_DONE(c);

	/* The checks in the order of the reference implementation. */
	if (nonce_caller.size < NONCE_MIN || nonce_caller.size > tpm_hash_size(hash))
		return tpm_rc_param(TPM_RC_SIZE, 1);
	/* Salted sessions are not implemented: only TPM_RH_NULL as tpmKey. */
	if (tpm_key != TPM_RH_NULL)
		return tpm_rc_handle(TPM_RC_KEY, 1);
	if (salt.size != 0)
		return tpm_rc_param(TPM_RC_VALUE, 2);
	/* A key loaded without its sensitive part has no authValue to bind to. */
	if ((bind >> TPM_HR_SHIFT) == TPM_HT_TRANSIENT || (bind >> TPM_HR_SHIFT) == TPM_HT_PERSISTENT) {
		const struct tpm_object *o = tpm_object_find(t, bind);

		if (o && o->kind == TPM_OBJ_KEY && !o->has_sensitive)
			return tpm_rc_handle(TPM_RC_HANDLE, 2);
	}
	if (sym.alg == TPM_ALG_AES && sym.mode != TPM_ALG_CFB)
		return tpm_rc_param(TPM_RC_MODE, 4);

	for (slot = 0; slot < TPM_MAX_SESSIONS; slot++)
		if (t->sessions[slot].state == TPM_SESSION_FREE) {
			s = &t->sessions[slot];
			break;
		}
	if (!s)
		return TPM_RC_SESSION_MEMORY;

	memset(s, 0, sizeof(*s));
	s->type = type;
	s->hash_alg = hash;
	s->symmetric = sym;
	s->handle = (type == TPM_SE_HMAC ? TPM_HR_HMAC_SESSION : TPM_HR_POLICY_SESSION) + slot;
	s->nonce_tpm.size = tpm_hash_size(hash);
	TPM_TRY(tpm_random(t, s->nonce_tpm.b, s->nonce_tpm.size));
	if (bind != TPM_RH_NULL) {
		struct tpm2b_digest auth;

		tpm_entity_auth(t, bind, &auth);
		s->bound = true;
		tpm_entity_name(t, bind, &s->bind_name);
		s->session_key.size = tpm_hash_size(hash);
		TPM_TRY(tpm_kdfa(hash, auth.b, auth.size, "ATH", s->nonce_tpm.b, s->nonce_tpm.size,
				 nonce_caller.b, nonce_caller.size, s->session_key.size * 8u, s->session_key.b));
		crypto_wipe(&auth, sizeof(auth));
	}
	s->start_ms = t->time_ms;
	tpm_policy_reset(s);
	s->state = TPM_SESSION_LOADED;

	c->out_handle = s->handle;
	tpm_w_digest(&c->out, &s->nonce_tpm);
	return TPM_RC_SUCCESS;
}

/* ---- cpHash ---- */

tpm_rc tpm_cp_hash(struct tpm_cmd *c, uint16_t alg, struct tpm2b_digest *out)
{
	struct tpm_part parts[2 + TPM_MAX_CMD_HANDLES];
	uint8_t cc[4];
	size_t n = 0;

	tpm_put_be32(cc, c->cc);
	parts[n++] = (struct tpm_part){ cc, 4 };
	for (unsigned i = 0; i < c->nhandles; i++)
		parts[n++] = (struct tpm_part){ c->names[i].b, c->names[i].size };
	/* Parameters as the caller sent them (still encrypted). */
	parts[n++] = (struct tpm_part){ c->params, c->params_len };
	out->size = tpm_hash_size(alg);
	return tpm_hash_parts(alg, parts, n, out->b);
}

static tpm_rc rp_hash(struct tpm_cmd *c, uint16_t alg, struct tpm2b_digest *out)
{
	uint8_t rc_cc[8];
	struct tpm_part parts[2];

	tpm_put_be32(rc_cc, TPM_RC_SUCCESS);
	tpm_put_be32(rc_cc + 4, c->cc);
	parts[0] = (struct tpm_part){ rc_cc, 8 };
	parts[1] = (struct tpm_part){ c->t->rsp_params, c->out.pos };
	out->size = tpm_hash_size(alg);
	return tpm_hash_parts(alg, parts, 2, out->b);
}

/* HMAC key: sessionKey || authValue (when the session authorizes an entity
 * it is not bound to, or a policy asked for the auth value). */
static void hmac_key(const struct tpm_cmd_session *cs, uint8_t *key, size_t *len)
{
	const struct tpm_session *s = cs->s;

	memcpy(key, s->session_key.b, s->session_key.size);
	*len = s->session_key.size;
	if (cs->include_auth) {
		memcpy(key + *len, cs->auth_value.b, cs->auth_value.size);
		*len += cs->auth_value.size;
	}
}

/* ---- checking the sessions of a command ---- */

/* A failed password or HMAC: TPM_RC_AUTH_FAIL, counted, when the entity is
 * DA-protected (or is lockoutAuth) and its authValue was used;
 * TPM_RC_BAD_AUTH otherwise (Part 1, "Dictionary Attack Protection"). */
static tpm_rc auth_fail(struct tpm *t, const struct tpm_cmd_session *cs, unsigned n)
{
	uint32_t entity = cs->auth_handle;
	bool policy = cs->s && cs->s->type != TPM_SE_HMAC;

	if (cs->authorizes && (!policy || cs->include_auth || cs->s->need_password) &&
	    (tpm_entity_da_protected(t, entity) || entity == TPM_RH_LOCKOUT)) {
		tpm_da_failure(t, entity);
		return tpm_rc_session(TPM_RC_AUTH_FAIL, n);
	}
	return tpm_rc_session(TPM_RC_BAD_AUTH, n);
}

static bool password_matches(const struct tpm2b_digest *given, const struct tpm2b_digest *auth)
{
	struct tpm2b_digest g = *given;
	bool ok;

	tpm_auth_trim(&g);
	ok = g.size == auth->size && tpm_ct_compare(g.b, auth->b, g.size) == 0;
	crypto_wipe(&g, sizeof(g));
	return ok;
}

/* nonceTPM of the decrypt and encrypt sessions, when those are not
 * session 1 and session 1 authorizes a handle: part of session 1's HMAC
 * (Part 1, 19.6.5); a session that does both counts once. */
static void extra_nonces(struct tpm_cmd *c, unsigned i, struct tpm_part *parts, size_t *n)
{
	int dec = -1;

	if (i != 0 || !c->sessions[0].authorizes)
		return;
	for (unsigned k = 1; k < c->nsessions; k++) {
		struct tpm_cmd_session *o = &c->sessions[k];

		if (o->s && (o->attributes & TPMA_SESSION_DECRYPT)) {
			parts[(*n)++] = (struct tpm_part){ o->s->nonce_tpm.b, o->s->nonce_tpm.size };
			dec = (int)k;
		}
	}
	for (unsigned k = 1; k < c->nsessions; k++) {
		struct tpm_cmd_session *o = &c->sessions[k];

		if (o->s && (o->attributes & TPMA_SESSION_ENCRYPT) && (int)k != dec)
			parts[(*n)++] = (struct tpm_part){ o->s->nonce_tpm.b, o->s->nonce_tpm.size };
	}
}

static tpm_rc check_hmac(struct tpm_cmd *c, unsigned i, const struct tpm2b_digest *cp)
{
	struct tpm_cmd_session *cs = &c->sessions[i];
	struct tpm_session *s = cs->s;
	uint8_t key[2 * TPM_MAX_DIGEST], mac[TPM_MAX_DIGEST];
	struct tpm_part parts[6];
	size_t klen, n = 0;
	tpm_rc rc;

	hmac_key(cs, key, &klen);
	/* With an empty key (unbound, unsalted, empty authValue) the HMAC
	 * proves nothing, and an empty one is accepted, as the reference
	 * implementation does; the response HMAC is then empty too. */
	if (klen == 0 && cs->hmac.size == 0)
		return TPM_RC_SUCCESS;
	parts[n++] = (struct tpm_part){ cp->b, cp->size };
	parts[n++] = (struct tpm_part){ cs->nonce_caller.b, cs->nonce_caller.size };
	parts[n++] = (struct tpm_part){ s->nonce_tpm.b, s->nonce_tpm.size };
	extra_nonces(c, i, parts, &n);
	parts[n++] = (struct tpm_part){ &cs->attributes, 1 };
	rc = tpm_hmac_parts(s->hash_alg, key, klen, parts, n, mac);
	crypto_wipe(key, sizeof(key));
	if (rc)
		return rc;
	if (cs->hmac.size != tpm_hash_size(s->hash_alg) || tpm_ct_compare(mac, cs->hmac.b, cs->hmac.size))
		return TPM_RC_AUTH_FAIL; /* the caller turns this into AUTH_FAIL/BAD_AUTH */
	return TPM_RC_SUCCESS;
}

/* A policy session's state against the command, in the order of the
 * reference implementation's CheckPolicyAuthSession.  Codes without the
 * session number. */
static tpm_rc check_policy(struct tpm_cmd *c, unsigned i, uint32_t entity, enum tpm_auth_role role,
			   const struct tpm2b_digest *cp)
{
	struct tpm_cmd_session *cs = &c->sessions[i];
	struct tpm_session *s = cs->s;
	struct tpm2b_digest policy;
	uint16_t alg;

	/* PolicySecret through a policy session must use the authValue. */
	if (c->cc == TPM_CC_PolicySecret && !s->need_password && !s->need_auth_value)
		return TPM_RC_MODE;
	if (s->pcr_check && s->pcr_counter != c->t->pcr_counter)
		return TPM_RC_PCR_CHANGED;
	if (!tpm_entity_policy(c->t, entity, &policy, &alg) || alg != s->hash_alg ||
	    policy.size != s->policy_digest.size ||
	    tpm_ct_compare(policy.b, s->policy_digest.b, policy.size))
		return TPM_RC_POLICY_FAIL;
	if (s->policy_timeout && c->t->time_ms > s->policy_timeout)
		return TPM_RC_EXPIRED;
	if (s->command_code && s->command_code != c->cc)
		return TPM_RC_POLICY_CC;
	/* ADMIN actions through a policy need the policy to name the command. */
	if (!s->command_code && role == TPM_AUTH_ADMIN)
		return TPM_RC_POLICY_FAIL;
	if (s->locality && !(s->locality & (1u << c->locality)))
		return TPM_RC_LOCALITY;
	if (s->cp_hash_set && (s->cp_hash.size != cp->size || memcmp(s->cp_hash.b, cp->b, cp->size)))
		return TPM_RC_POLICY_FAIL;
	if (s->name_hash_set) {
		/* PolicyNameHash: H(names of the command's handles) */
		struct tpm_part parts[TPM_MAX_CMD_HANDLES];
		struct tpm2b_digest nh;

		for (unsigned k = 0; k < c->nhandles; k++)
			parts[k] = (struct tpm_part){ c->names[k].b, c->names[k].size };
		nh.size = tpm_hash_size(s->hash_alg);
		if (tpm_hash_parts(s->hash_alg, parts, c->nhandles, nh.b) || nh.size != s->cp_hash.size ||
		    memcmp(nh.b, s->cp_hash.b, nh.size))
			return TPM_RC_POLICY_FAIL;
	}
	return TPM_RC_SUCCESS;
}

/* Whether the role can only be satisfied with a policy session: DUP
 * always, ADMIN for an NV index, a permanent handle, or an object with
 * adminWithPolicy (the reference's IsPolicySessionRequired). */
static bool policy_required(struct tpm *t, uint32_t entity, enum tpm_auth_role role)
{
	uint8_t ht = (uint8_t)(entity >> TPM_HR_SHIFT);

	if (role == TPM_AUTH_DUP)
		return true;
	if (role != TPM_AUTH_ADMIN)
		return false;
	if (ht == TPM_HT_TRANSIENT || ht == TPM_HT_PERSISTENT) {
		struct tpm_object *o = tpm_object_find(t, entity);

		return o && o->kind == TPM_OBJ_KEY && (o->pub.attributes & TPMA_OBJECT_ADMINWITHPOLICY);
	}
	return true;
}

/* Session i authorizes handle h, in the order of the reference
 * implementation's CheckAuthSession: DA lockout (only when the authValue
 * is used), the kind of authorization the entity accepts, the policy, then
 * the password or HMAC.  Codes without the session number. */
static tpm_rc check_one(struct tpm_cmd *c, unsigned i, unsigned h, enum tpm_auth_role role)
{
	uint32_t entity = c->handles[h];
	struct tpm *t = c->t;
	struct tpm_cmd_session *cs = &c->sessions[i];
	struct tpm_session *s = cs->s;
	bool policy = s && s->type != TPM_SE_HMAC;
	bool auth_used;
	struct tpm2b_digest cp;
	unsigned n = i + 1;
	tpm_rc rc;

	cs->authorizes = true;
	cs->auth_handle = entity;
	tpm_entity_auth(t, entity, &cs->auth_value);
	if (!s) {
		auth_used = true;
	} else if (policy) {
		cs->include_auth = s->need_auth_value;
		auth_used = s->need_auth_value || s->need_password;
	} else {
		/* A session bound to this very entity already holds its auth. */
		cs->include_auth = !(s->bound && s->bind_name.size == c->names[h].size &&
				     memcmp(s->bind_name.b, c->names[h].b, s->bind_name.size) == 0);
		auth_used = cs->include_auth;
	}
	if (auth_used) {
		if (entity == TPM_RH_LOCKOUT && t->nv.da_lockout_locked)
			return TPM_RC_LOCKOUT;
		if (tpm_entity_da_protected(t, entity)) {
			if (tpm_da_locked_out(t))
				return TPM_RC_LOCKOUT;
			tpm_da_used(t);
		}
	}
	if (!policy) {
		if (policy_required(t, entity, role))
			return TPM_RC_AUTH_TYPE;
		if (!tpm_entity_allows_auth_value(t, entity, role))
			return TPM_RC_AUTH_UNAVAILABLE;
	} else {
		if (!tpm_entity_allows_policy(t, entity, role))
			return TPM_RC_AUTH_UNAVAILABLE;
	}
	/* An NV index states which kinds of authorization it accepts. */
	if ((entity >> TPM_HR_SHIFT) == TPM_HT_NV_INDEX) {
		struct tpm_nv_index *nv = tpm_nv_find(t, entity);

		if (nv && !tpm_nv_auth_available(nv, c->cc, policy))
			return TPM_RC_AUTH_UNAVAILABLE;
		if (nv && policy && !nv->auth_policy.size)
			return TPM_RC_AUTH_UNAVAILABLE;
	}
	if (s) {
		rc = tpm_cp_hash(c, s->hash_alg, &cp);
		if (rc)
			return rc;
	}
	if (policy) {
		rc = check_policy(c, i, entity, role, &cp);
		if (rc)
			return rc;
	}
	if (!s || s->need_password)
		return password_matches(&cs->hmac, &cs->auth_value) ? TPM_RC_SUCCESS : auth_fail(t, cs, n);
	rc = check_hmac(c, i, &cp);
	return rc ? auth_fail(t, cs, n) : TPM_RC_SUCCESS;
}

/* The sessions against the command's handles (the second half of the
 * reference implementation's ParseSessionBuffer; the dispatcher has
 * unmarshaled them and checked what needs only the session).  Session i
 * authorizes handle i, for the handles that need authorization, which come
 * first; the others may only encrypt or decrypt, and their HMAC is
 * checked too. */
tpm_rc tpm_auth_sessions_check(struct tpm_cmd *c)
{
	unsigned auths = 0;

	for (unsigned h = 0; h < c->desc->in_handles; h++)
		auths += c->desc->role[h] != TPM_AUTH_NONE;
	if (c->nsessions < auths)
		return TPM_RC_AUTH_MISSING;
	for (unsigned i = 0; i < c->nsessions; i++) {
		struct tpm_cmd_session *cs = &c->sessions[i];
		unsigned n = i + 1;
		tpm_rc rc;

		if (!cs->s && i >= auths)
			return tpm_rc_session(TPM_RC_HANDLE, n);
		if (cs->s && cs->s->type == TPM_SE_TRIAL)
			return tpm_rc_session(TPM_RC_ATTRIBUTES, n);
		if (i < auths) {
			rc = check_one(c, i, i, (enum tpm_auth_role)c->desc->role[i]);
			if (rc)
				return tpm_rc_session(rc, n);
			continue;
		}
		if (!(cs->attributes & (TPMA_SESSION_DECRYPT | TPMA_SESSION_ENCRYPT)))
			return tpm_rc_session(TPM_RC_ATTRIBUTES, n);
		{
			struct tpm2b_digest cp;

			rc = tpm_cp_hash(c, cs->s->hash_alg, &cp);
			if (!rc && check_hmac(c, i, &cp))
				rc = auth_fail(c->t, cs, n);
			if (rc)
				return rc;
		}
	}
	return TPM_RC_SUCCESS;
}

/* ---- parameter encryption ---- */

static tpm_rc param_crypt(struct tpm *t, struct tpm_cmd_session *cs, bool command, uint8_t *data, size_t len)
{
	struct tpm_session *s = cs->s;
	const struct tpm2b_digest *newer = command ? &cs->nonce_caller : &s->nonce_tpm;
	const struct tpm2b_digest *older = command ? &s->nonce_tpm : &cs->nonce_caller;
	uint8_t key[2 * TPM_MAX_DIGEST];
	size_t klen;
	tpm_rc rc;

	hmac_key(cs, key, &klen);
	if (s->symmetric.alg == TPM_ALG_XOR) {
		uint8_t *mask = tpm_alloc(t, len ? len : 1);

		if (!mask) {
			crypto_wipe(key, sizeof(key));
			return TPM_RC_MEMORY;
		}
		rc = tpm_kdfa(s->hash_alg, key, klen, "XOR", newer->b, newer->size, older->b, older->size,
			      (uint32_t)len * 8, mask);
		for (size_t i = 0; !rc && i < len; i++)
			data[i] ^= mask[i];
		crypto_wipe(mask, len);
		tpm_free(t, mask);
	} else {
		uint8_t kiv[TPM_MAX_SYM_KEY + 16];
		uint32_t kbytes = s->symmetric.key_bits / 8u;

		rc = tpm_kdfa(s->hash_alg, key, klen, "CFB", newer->b, newer->size, older->b, older->size,
			      (kbytes + 16) * 8, kiv);
		if (!rc)
			rc = tpm_aes_cfb(kiv, s->symmetric.key_bits, kiv + kbytes, !command, data, len);
		crypto_wipe(kiv, sizeof(kiv));
	}
	crypto_wipe(key, sizeof(key));
	return rc;
}

tpm_rc tpm_auth_decrypt_params(struct tpm_cmd *c)
{
	for (unsigned i = 0; i < c->nsessions; i++) {
		struct tpm_cmd_session *cs = &c->sessions[i];
		uint16_t size;

		if (!(cs->attributes & TPMA_SESSION_DECRYPT))
			continue;
		/* A size field that does not fit is the decrypt session's
		 * error, as in the reference implementation (the parameter
		 * has not been unmarshaled yet). */
		if (c->params_len < 2)
			return tpm_rc_session(TPM_RC_INSUFFICIENT, i + 1);
		size = tpm_be16(c->params);
		if ((size_t)size + 2 > c->params_len)
			return tpm_rc_session(TPM_RC_SIZE, i + 1);
		memcpy(c->t->cmd_params, c->params, c->params_len);
		c->params = c->t->cmd_params;
		return param_crypt(c->t, cs, true, c->t->cmd_params + 2, size);
	}
	return TPM_RC_SUCCESS;
}

tpm_rc tpm_auth_encrypt_params(struct tpm_cmd *c)
{
	/* Every HMAC and policy session gets a fresh nonceTPM for the response. */
	for (unsigned i = 0; i < c->nsessions; i++) {
		struct tpm_session *s = c->sessions[i].s;

		if (s)
			TPM_TRY(tpm_random(c->t, s->nonce_tpm.b, s->nonce_tpm.size));
	}
	for (unsigned i = 0; i < c->nsessions; i++) {
		struct tpm_cmd_session *cs = &c->sessions[i];
		uint16_t size;

		if (!(cs->attributes & TPMA_SESSION_ENCRYPT))
			continue;
		if (c->out.pos < 2)
			return TPM_RC_FAILURE;
		size = tpm_be16(c->t->rsp_params);
		if ((size_t)size + 2 > c->out.pos)
			return TPM_RC_FAILURE;
		return param_crypt(c->t, cs, false, c->t->rsp_params + 2, size);
	}
	return TPM_RC_SUCCESS;
}

tpm_rc tpm_auth_response_sessions(struct tpm_cmd *c, struct tpm_w *rsp)
{
	for (unsigned i = 0; i < c->nsessions; i++) {
		struct tpm_cmd_session *cs = &c->sessions[i];
		struct tpm_session *s = cs->s;
		uint8_t key[2 * TPM_MAX_DIGEST], mac[TPM_MAX_DIGEST];
		struct tpm2b_digest rp;
		size_t klen;
		tpm_rc rc;

		if (!s) {
			/* A password session is always reported as continued. */
			tpm_w_u16(rsp, 0);
			tpm_w_u8(rsp, cs->attributes | TPMA_SESSION_CONTINUESESSION);
			tpm_w_u16(rsp, 0);
			continue;
		}
		hmac_key(cs, key, &klen);
		/* PolicyPassword, or an empty key and an empty command HMAC
		 * (see check_hmac): no response HMAC. */
		if (s->need_password || (klen == 0 && cs->hmac.size == 0)) {
			tpm_w_digest(rsp, &s->nonce_tpm);
			tpm_w_u8(rsp, cs->attributes);
			tpm_w_u16(rsp, 0);
			continue;
		}
		rc = rp_hash(c, s->hash_alg, &rp);
		if (rc) {
			crypto_wipe(key, sizeof(key));
			return rc;
		}
		{
			struct tpm_part parts[] = {
				{ rp.b, rp.size },
				{ s->nonce_tpm.b, s->nonce_tpm.size },
				{ cs->nonce_caller.b, cs->nonce_caller.size },
				{ &cs->attributes, 1 },
			};

			rc = tpm_hmac_parts(s->hash_alg, key, klen, parts, 4, mac);
		}
		crypto_wipe(key, sizeof(key));
		if (rc)
			return rc;
		tpm_w_digest(rsp, &s->nonce_tpm);
		tpm_w_u8(rsp, cs->attributes);
		tpm_w_2b(rsp, mac, tpm_hash_size(s->hash_alg));
	}
	return TPM_RC_SUCCESS;
}

void tpm_auth_sessions_finish(struct tpm_cmd *c)
{
	for (unsigned i = 0; i < c->nsessions; i++) {
		struct tpm_cmd_session *cs = &c->sessions[i];

		crypto_wipe(&cs->auth_value, sizeof(cs->auth_value));
		if (!cs->s || cs->s->state != TPM_SESSION_LOADED)
			continue; /* password, or the command flushed it */
		if (!(cs->attributes & TPMA_SESSION_CONTINUESESSION))
			tpm_session_release(c->t, cs->s);
		else if (cs->s->type == TPM_SE_POLICY)
			tpm_policy_reset(cs->s); /* its nonce rolled: a new policy starts */
	}
}

bool tpm_cmd_auth_is_policy(const struct tpm_cmd *c, unsigned idx)
{
	return idx < c->nsessions && c->sessions[idx].s && c->sessions[idx].s->type != TPM_SE_HMAC;
}
