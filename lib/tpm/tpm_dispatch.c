/* Command processing: header, handles, authorization area, parameter
 * decryption, the handler, and the response with its session area.  The
 * order of checks follows the TPM 2.0 reference implementation, so that a
 * malformed command gets the response code a client expects. */
#include <string.h>

#include "tpm/tpm_internal.h"
#include "tpm/tpm_session_auth.h"

#define HEADER_SIZE 10

tpm_rc tpm_rc_param(tpm_rc rc, unsigned n)
{
	if (!(rc & TPM_RC_FMT1) || (rc & 0xfc0) != TPM_RC_FMT1 || n == 0 || n > 15)
		return rc;
	return rc | TPM_RC_P | (n << 8);
}

tpm_rc tpm_rc_handle(tpm_rc rc, unsigned n)
{
	if (rc >= TPM_RC_REFERENCE_H0 && rc < TPM_RC_REFERENCE_H0 + 7)
		return TPM_RC_REFERENCE_H0 + (n - 1);
	if (!(rc & TPM_RC_FMT1) || (rc & 0xfc0) != TPM_RC_FMT1 || n == 0 || n > 7)
		return rc;
	return rc | TPM_RC_H | (n << 8);
}

tpm_rc tpm_rc_session(tpm_rc rc, unsigned n)
{
	if (rc >= TPM_RC_REFERENCE_S0 && rc < TPM_RC_REFERENCE_S0 + 7)
		return TPM_RC_REFERENCE_S0 + (n - 1);
	if (!(rc & TPM_RC_FMT1) || (rc & 0xfc0) != TPM_RC_FMT1 || n == 0 || n > 7)
		return rc;
	return rc | TPM_RC_S | (n << 8);
}

tpm_rc tpm_in_done(struct tpm_cmd *c)
{
	c->in_done = true;
	return tpm_r_left(&c->in) ? TPM_RC_SIZE : TPM_RC_SUCCESS;
}

static void error_response(struct tpm_w *rsp, uint16_t tag, tpm_rc rc)
{
	rsp->pos = 0;
	rsp->overflow = false;
	tpm_w_u16(rsp, tag);
	tpm_w_u32(rsp, HEADER_SIZE);
	tpm_w_u32(rsp, rc);
}

static unsigned auth_handle_count(const struct tpm_cmd_desc *d)
{
	unsigned n = 0;

	for (unsigned i = 0; i < d->in_handles; i++)
		n += d->role[i] != TPM_AUTH_NONE;
	return n;
}

/* TPMI_SH_AUTH_SESSION+: the password session or a session handle in
 * husk's range (a handle that is not is TPM_RC_VALUE, as when any other
 * TPMI_ type is unmarshaled). */
static bool auth_session_handle_ok(uint32_t h)
{
	uint8_t ht = (uint8_t)(h >> TPM_HR_SHIFT);

	return h == TPM_RS_PW || ((ht == TPM_HT_HMAC_SESSION || ht == TPM_HT_POLICY_SESSION) &&
				  (h & TPM_HR_HANDLE_MASK) < TPM_MAX_SESSIONS);
}

/* One session of the authorization area, and the checks that need
 * nothing but the session itself (the reference's RetrieveSessionData):
 * its fields unmarshaled from what is left of authSize, a password session's
 * attributes and nonce, a session's existence and kind, duplicates, and who
 * may decrypt and encrypt.  Errors carry the session number. */
static tpm_rc parse_session(struct tpm_cmd *c, struct tpm_r *area, bool *dec, bool *enc)
{
	struct tpm_cmd_session *s = &c->sessions[c->nsessions];
	unsigned n = c->nsessions + 1;
	tpm_rc rc;

	memset(s, 0, sizeof(*s));
	if (tpm_r_u32(area, &s->handle))
		return tpm_rc_session(TPM_RC_INSUFFICIENT, n);
	if (!auth_session_handle_ok(s->handle))
		return tpm_rc_session(TPM_RC_VALUE, n);
	rc = tpm_r_digest(area, &s->nonce_caller);
	if (!rc)
		rc = tpm_r_u8(area, &s->attributes);
	if (!rc && (s->attributes & TPMA_SESSION_RESERVED_MASK))
		rc = TPM_RC_RESERVED_BITS;
	if (!rc)
		rc = tpm_r_digest(area, &s->hmac);
	if (rc)
		return tpm_rc_session(rc, n);
	if (s->handle == TPM_RS_PW) {
		if (s->attributes & ~TPMA_SESSION_CONTINUESESSION)
			return tpm_rc_session(TPM_RC_ATTRIBUTES, n);
		if (s->nonce_caller.size)
			return tpm_rc_session(TPM_RC_NONCE, n);
		return TPM_RC_SUCCESS;
	}
	rc = tpm_session_load_check(c->t, s->handle);
	if (rc == TPM_RC_REFERENCE_H0)
		return TPM_RC_REFERENCE_S0 + (n - 1);
	if (rc)
		return tpm_rc_session(rc, n);
	s->s = tpm_session_find(c->t, s->handle);
	for (unsigned k = 0; k < c->nsessions; k++)
		if (c->sessions[k].handle == s->handle)
			return tpm_rc_session(TPM_RC_HANDLE, n);
	if (s->attributes & TPMA_SESSION_DECRYPT) {
		if (!(c->desc->flags & TPM_CMDF_DECRYPT) || *dec)
			return tpm_rc_session(TPM_RC_ATTRIBUTES, n);
		if (s->s->symmetric.alg == TPM_ALG_NULL)
			return tpm_rc_session(TPM_RC_SYMMETRIC, n);
		*dec = true;
	}
	if (s->attributes & TPMA_SESSION_ENCRYPT) {
		if (!(c->desc->flags & TPM_CMDF_ENCRYPT) || *enc)
			return tpm_rc_session(TPM_RC_ATTRIBUTES, n);
		if (s->s->symmetric.alg == TPM_ALG_NULL)
			return tpm_rc_session(TPM_RC_SYMMETRIC, n);
		*enc = true;
	}
	/* Session audit is not implemented (docs/tpm.md). */
	if (s->attributes & TPMA_SESSION_AUDIT)
		return tpm_rc_session(TPM_RC_ATTRIBUTES, n);
	return TPM_RC_SUCCESS;
}

/* Authorization area: authSize, then sessions until it is used up.  A
 * session that does not fit in authSize is TPM_RC_INSUFFICIENT for that
 * session; a fourth session TPM_RC_SIZE for session 4. */
static tpm_rc parse_sessions(struct tpm_cmd *c, struct tpm_r *r)
{
	uint32_t auth_size;
	struct tpm_r area;
	bool dec = false, enc = false;

	if (tpm_r_u32(r, &auth_size))
		return TPM_RC_INSUFFICIENT;
	if (auth_size < 9 || auth_size > tpm_r_left(r))
		return TPM_RC_SIZE;
	if (c->desc->flags & TPM_CMDF_NO_SESSIONS)
		return TPM_RC_AUTH_CONTEXT;
	tpm_r_init(&area, r->p + r->pos, auth_size);
	r->pos += auth_size;
	while (tpm_r_left(&area)) {
		tpm_rc rc;

		if (c->nsessions == TPM_MAX_CMD_SESSIONS)
			return tpm_rc_session(TPM_RC_SIZE, TPM_MAX_CMD_SESSIONS + 1);
		rc = parse_session(c, &area, &dec, &enc);
		if (rc)
			return rc;
		c->nsessions++;
	}
	return TPM_RC_SUCCESS;
}

/* The handle area: first every handle against its type (as unmarshaling
 * would), then whether each names something loaded and usable. */
static tpm_rc parse_handles(struct tpm_cmd *c, struct tpm_r *r)
{
	for (unsigned i = 0; i < c->desc->in_handles; i++) {
		tpm_rc rc;

		if (tpm_r_u32(r, &c->handles[i]))
			return tpm_rc_handle(TPM_RC_INSUFFICIENT, i + 1);
		c->nhandles++;
		rc = tpm_handle_value_check(c->handles[i], (enum tpm_handle_type)c->desc->type[i]);
		if (rc)
			return tpm_rc_handle(rc, i + 1);
	}
	for (unsigned i = 0; i < c->nhandles; i++) {
		tpm_rc rc = TPM_RC_SUCCESS;

		if (c->desc->type[i] != TPM_H_ANY)
			rc = tpm_entity_load_check(c->t, c->handles[i]);
		if (rc)
			return tpm_rc_handle(rc, i + 1);
		tpm_entity_name(c->t, c->handles[i], &c->names[i]);
	}
	return TPM_RC_SUCCESS;
}

/* Everything between the header and the handler. */
static tpm_rc prepare(struct tpm_cmd *c, uint16_t tag, struct tpm_r *r)
{
	tpm_rc rc;

	rc = parse_handles(c, r);
	if (rc)
		return rc;
	if (tag == TPM_ST_SESSIONS) {
		rc = parse_sessions(c, r);
		if (rc)
			return rc;
	} else if (auth_handle_count(c->desc)) {
		return TPM_RC_AUTH_MISSING;
	}
	c->params = r->p + r->pos;
	c->params_len = tpm_r_left(r);
	rc = tpm_auth_sessions_check(c);
	if (rc)
		return rc;
	return tpm_auth_decrypt_params(c);
}

void tpm_execute(struct tpm *t, const uint8_t *cmd, size_t len, uint8_t locality, struct tpm_w *rsp)
{
	struct tpm_cmd c;
	struct tpm_r r;
	uint16_t tag;
	uint32_t size;
	tpm_rc rc;

	memset(&c, 0, sizeof(c));
	c.t = t;
	c.locality = locality;
	t->locality = locality;
	tpm_r_init(&r, cmd, len);

	if (tpm_r_u16(&r, &tag)) {
		error_response(rsp, TPM_ST_NO_SESSIONS, TPM_RC_INSUFFICIENT);
		return;
	}
	if (tag != TPM_ST_NO_SESSIONS && tag != TPM_ST_SESSIONS) {
		error_response(rsp, TPM_ST_RSP_COMMAND, TPM_RC_BAD_TAG);
		return;
	}
	if (tpm_r_u32(&r, &size)) {
		error_response(rsp, TPM_ST_NO_SESSIONS, TPM_RC_INSUFFICIENT);
		return;
	}
	if (size != len || size > TPM_BUFFER_MAX) {
		error_response(rsp, TPM_ST_NO_SESSIONS, TPM_RC_COMMAND_SIZE);
		return;
	}
	if (tpm_r_u32(&r, &c.cc)) {
		error_response(rsp, TPM_ST_NO_SESSIONS, TPM_RC_INSUFFICIENT);
		return;
	}
	/* The command code before the TPM's state: an unknown command is
	 * TPM_RC_COMMAND_CODE even before Startup. */
	c.desc = tpm_cmd_lookup(c.cc);
	if (!c.desc) {
		error_response(rsp, TPM_ST_NO_SESSIONS, TPM_RC_COMMAND_CODE);
		return;
	}
	/* Only Startup before Startup, and Startup only once (checked here,
	 * before its parameters, as the reference implementation does). */
	if ((!t->started && c.cc != TPM_CC_Startup) || (t->started && c.cc == TPM_CC_Startup)) {
		error_response(rsp, TPM_ST_NO_SESSIONS, TPM_RC_INITIALIZE);
		return;
	}
	tpm_update_clock(t);

	rc = prepare(&c, tag, &r);
	if (!rc) {
		tpm_r_init(&c.in, c.params, c.params_len);
		tpm_w_init(&c.out, t->rsp_params, sizeof(t->rsp_params));
		rc = c.desc->fn(&c);
		if (!rc && !tpm_w_ok(&c.out))
			rc = TPM_RC_MEMORY; /* response parameters do not fit */
	}
	if (rc) {
		error_response(rsp, TPM_ST_NO_SESSIONS, rc);
		return;
	}

	/* Success: header, handle, parameters, session area. */
	rsp->pos = 0;
	rsp->overflow = false;
	tpm_w_u16(rsp, tag);
	tpm_w_u32(rsp, 0); /* size, patched below */
	tpm_w_u32(rsp, TPM_RC_SUCCESS);
	if (c.desc->out_handles)
		tpm_w_u32(rsp, c.out_handle);
	rc = tpm_auth_encrypt_params(&c);
	if (!rc && tag == TPM_ST_SESSIONS) {
		tpm_w_u32(rsp, (uint32_t)c.out.pos);
		tpm_w_bytes(rsp, t->rsp_params, c.out.pos);
		rc = tpm_auth_response_sessions(&c, rsp);
	} else if (!rc) {
		tpm_w_bytes(rsp, t->rsp_params, c.out.pos);
	}
	if (rc || !tpm_w_ok(rsp)) {
		error_response(rsp, TPM_ST_NO_SESSIONS, rc ? rc : TPM_RC_MEMORY);
		return;
	}
	tpm_w_patch_u32(rsp, 2, (uint32_t)rsp->pos);
	tpm_auth_sessions_finish(&c);
}
