/* TPM 2.0 command builder on lib/tpm's writer; see tpmcmd.h. */
#include <stdio.h>
#include <string.h>

#include "tpm/tpm_crypto.h"
#include "tpm/tpm_defs.h"
#include "tpmcmd.h"

/* ---- parameters ---- */

/* p's bytes as a tpm_w writer, and back (a struct tb may be copied, so it
 * keeps no writer pointing into itself). */
static struct tpm_w tb_writer(struct tb *p)
{
	struct tpm_w w;

	tpm_w_init(&w, p->b, sizeof(p->b));
	w.pos = p->n;
	w.overflow = p->overflow;
	return w;
}

static void tb_done(struct tb *p, const struct tpm_w *w)
{
	p->n = w->pos;
	p->overflow = w->overflow;
}

void tb_reset(struct tb *p)
{
	p->n = 0;
	p->overflow = false;
	p->nf = 0;
	p->depth = 0;
}

/* Records a named field at off; -1 if unnamed or no room. */
static int add_field(struct tb *p, const char *name, uint8_t kind, size_t off, size_t len)
{
	struct tb_field *f;
	const char *outer = "", *dot = "";

	if (!name || p->nf >= TB_MAX_FIELDS)
		return -1;
	if (p->depth && p->open_field[p->depth - 1] >= 0) {
		outer = p->f[p->open_field[p->depth - 1]].name;
		dot = ".";
	}
	f = &p->f[p->nf];
	snprintf(f->name, sizeof(f->name), "%s%s%s", outer, dot, name);
	f->kind = kind;
	f->off = (uint16_t)off;
	f->len = (uint16_t)len;
	return (int)p->nf++;
}

void p_raw(struct tb *p, const void *data, size_t n)
{
	struct tpm_w w = tb_writer(p);

	tpm_w_bytes(&w, data, n);
	tb_done(p, &w);
}

static void p_int(struct tb *p, const char *name, uint8_t kind, uint32_t v, size_t bytes)
{
	struct tpm_w w = tb_writer(p);

	add_field(p, name, kind, p->n, bytes);
	if (bytes == 1)
		tpm_w_u8(&w, (uint8_t)v);
	else if (bytes == 2)
		tpm_w_u16(&w, (uint16_t)v);
	else
		tpm_w_u32(&w, v);
	tb_done(p, &w);
}

/* The integer fields: a C type, a kind and a width each. */
#define P_INT(fn, type, kind, bytes)                      \
	void fn(struct tb *p, const char *name, type v)   \
	{                                                 \
		p_int(p, name, kind, v, bytes);           \
	}

P_INT(p_u8, uint8_t, F_U8, 1)
P_INT(p_u16, uint16_t, F_U16, 2)
P_INT(p_u32, uint32_t, F_U32, 4)
P_INT(p_alg, uint16_t, F_ALG, 2)
P_INT(p_handle, uint32_t, F_HANDLE, 4)
P_INT(p_cc, uint32_t, F_CC, 4)
P_INT(p_attr, uint32_t, F_ATTR, 4)

void tb_u64(struct tb *p, uint64_t v)
{
	struct tpm_w w = tb_writer(p);

	tpm_w_u64(&w, v);
	tb_done(p, &w);
}

void p_2b(struct tb *p, const char *name, const void *data, size_t n)
{
	struct tpm_w w = tb_writer(p);

	add_field(p, name, F_2B, p->n, n);
	tpm_w_u16(&w, (uint16_t)n);
	tpm_w_bytes(&w, data, n);
	tb_done(p, &w);
}

void p_2b_str(struct tb *p, const char *name, const char *s)
{
	p_2b(p, name, s, strlen(s));
}

void p_2b_begin(struct tb *p, const char *name)
{
	struct tpm_w w = tb_writer(p);

	if (p->depth >= TB_MAX_DEPTH) {
		p->overflow = true;
		return;
	}
	p->open_field[p->depth] = add_field(p, name, F_2B, p->n, 0);
	p->open_at[p->depth++] = (uint16_t)tpm_w_reserve(&w, 2);
	tb_done(p, &w);
}

void p_2b_end(struct tb *p)
{
	struct tpm_w w = tb_writer(p);
	size_t at;
	uint16_t len;

	if (!p->depth)
		return;
	p->depth--;
	at = p->open_at[p->depth];
	len = (uint16_t)(p->n - at - 2);
	tpm_w_patch_u16(&w, at, len);
	if (p->open_field[p->depth] >= 0)
		p->f[p->open_field[p->depth]].len = len;
}

/* ---- commands ---- */

void cmd_init(struct cmd *c, uint32_t cc)
{
	memset(c, 0, sizeof(*c));
	c->cc = cc;
}

void cmd_handle(struct cmd *c, uint32_t h)
{
	if (c->nh < CMD_MAX_HANDLES)
		c->h[c->nh++] = h;
}

void cmd_handle_sym(struct cmd *c, unsigned sym)
{
	if (c->nh < CMD_MAX_HANDLES) {
		c->hsym[c->nh] = (uint8_t)sym;
		c->h[c->nh++] = 0;
	}
}

void cmd_pw_bytes(struct cmd *c, const void *password, size_t len)
{
	struct cmd_sess *s;

	if (c->ns >= CMD_MAX_SESSIONS || len > sizeof(s->hmac))
		return;
	s = &c->s[c->ns++];
	memset(s, 0, sizeof(*s));
	s->handle = TPM_RS_PW;
	s->attrs = TPMA_SESSION_CONTINUESESSION;
	if (len)
		memcpy(s->hmac, password, len);
	s->hmac_len = (uint16_t)len;
}

void cmd_pw(struct cmd *c, const char *password)
{
	cmd_pw_bytes(c, password, password ? strlen(password) : 0);
}

void cmd_policy(struct cmd *c, uint32_t handle, const uint8_t *nonce_tpm, uint16_t nonce_len,
		const char *auth)
{
	static const uint8_t nonce_caller[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
	size_t key_len = auth ? strlen(auth) : 0;
	struct cmd_sess *s;

	if (c->ns >= CMD_MAX_SESSIONS || nonce_len > sizeof(s->nonce_tpm) || key_len > sizeof(s->key))
		return;
	s = &c->s[c->ns++];
	memset(s, 0, sizeof(*s));
	s->handle = handle;
	s->attrs = 0; /* the session ends with the command */
	memcpy(s->nonce, nonce_caller, sizeof(nonce_caller));
	s->nonce_len = sizeof(nonce_caller);
	s->hmac_len = 32; /* SHA-256 */
	s->policy_hmac = true;
	memcpy(s->nonce_tpm, nonce_tpm, nonce_len);
	s->nonce_tpm_len = nonce_len;
	if (key_len)
		memcpy(s->key, auth, key_len);
	s->key_len = (uint16_t)key_len;
}

/* cpHash = SHA-256(commandCode || Name of each handle || parameters). */
static void cp_hash(const struct cmd *c, const uint32_t *h, const struct tpm2b_name *names, uint8_t cp[32])
{
	uint8_t ccb[4], hb[CMD_MAX_HANDLES][4];
	struct tpm_part parts[2 + CMD_MAX_HANDLES];
	size_t np = 0;

	tpm_put_be32(ccb, c->cc);
	parts[np++] = (struct tpm_part){ ccb, 4 };
	for (unsigned k = 0; k < c->nh; k++) {
		if (names && names[k].size) {
			parts[np++] = (struct tpm_part){ names[k].b, names[k].size };
		} else {
			tpm_put_be32(hb[k], h[k]);
			parts[np++] = (struct tpm_part){ hb[k], 4 };
		}
	}
	parts[np++] = (struct tpm_part){ c->p.b, c->p.n };
	tpm_hash_parts(TPM_ALG_SHA256, parts, np, cp);
}

/* HMAC(key, cpHash || nonceCaller || nonceTPM || sessionAttributes). */
static void policy_hmac(const struct cmd_sess *s, const uint8_t cp[32], uint8_t mac[32])
{
	struct tpm_part parts[] = {
		{ cp, 32 },
		{ s->nonce, s->nonce_len },
		{ s->nonce_tpm, s->nonce_tpm_len },
		{ &s->attrs, 1 },
	};

	tpm_hmac_parts(TPM_ALG_SHA256, s->key, s->key_len, parts, 4, mac);
}

/* A handle, or its symbol's value; false if the symbol is unresolved. */
static bool resolve(uint32_t h, uint8_t sym, const uint32_t *symtab, uint32_t *out)
{
	*out = sym ? (symtab ? symtab[sym] : 0) : h;
	return !sym || *out;
}

size_t cmd_encode(const struct cmd *c, const uint32_t *symtab, const struct tpm2b_name *names, uint8_t *out,
		  size_t cap)
{
	bool sessions = c->ns || c->auth_size_set;
	uint16_t tag = c->tag ? c->tag : sessions ? TPM_ST_SESSIONS : TPM_ST_NO_SESSIONS;
	uint32_t h[CMD_MAX_HANDLES];
	uint8_t cp[32];
	bool have_cp = false;
	struct tpm_w w;
	size_t size_at;

	if (c->p.overflow)
		return 0;
	tpm_w_init(&w, out, cap);
	tpm_w_u16(&w, tag);
	size_at = tpm_w_reserve(&w, 4);
	tpm_w_u32(&w, c->cc);
	for (unsigned i = 0; i < c->nh; i++) {
		if (!resolve(c->h[i], c->hsym[i], symtab, &h[i]))
			return 0;
		tpm_w_u32(&w, h[i]);
	}
	if (sessions) {
		size_t auth_at = tpm_w_reserve(&w, 4);
		uint32_t auth_size;

		for (unsigned i = 0; i < c->ns; i++) {
			const struct cmd_sess *s = &c->s[i];
			uint32_t sh;
			uint8_t mac[32];

			if (!resolve(s->handle, s->hsym, symtab, &sh))
				return 0;
			tpm_w_u32(&w, sh);
			tpm_w_2b(&w, s->nonce, s->nonce_len);
			tpm_w_u8(&w, s->attrs);
			if (s->policy_hmac) {
				if (!have_cp)
					cp_hash(c, h, names, cp);
				have_cp = true;
				policy_hmac(s, cp, mac);
				tpm_w_2b(&w, mac, sizeof(mac));
			} else {
				tpm_w_2b(&w, s->hmac, s->hmac_len);
			}
		}
		auth_size = c->auth_size_set ? c->auth_size : (uint32_t)(w.pos - auth_at - 4);
		tpm_w_patch_u32(&w, auth_at, auth_size);
	}
	tpm_w_bytes(&w, c->p.b, c->p.n);
	tpm_w_patch_u32(&w, size_at, (uint32_t)w.pos);
	return tpm_w_ok(&w) ? w.pos : 0;
}

size_t cmd_build(uint8_t *out, size_t cap, uint32_t cc, const uint32_t *handles, unsigned nh,
		 const char *const *pws, unsigned npw, const void *params, size_t plen)
{
	static struct cmd c; /* large; hosts and tests are single-threaded */

	cmd_init(&c, cc);
	for (unsigned i = 0; i < nh; i++)
		cmd_handle(&c, handles[i]);
	for (unsigned i = 0; i < npw; i++)
		cmd_pw(&c, pws ? pws[i] : NULL);
	p_raw(&c.p, params, plen);
	return cmd_encode(&c, NULL, NULL, out, cap);
}

/* ---- responses ---- */

size_t rsp_params_at(const uint8_t *rsp, bool out_handle)
{
	return 10 + (out_handle ? 4 : 0) + (tpm_be16(rsp) == TPM_ST_SESSIONS ? 4 : 0);
}

bool rsp_params(const uint8_t *rsp, size_t len, bool out_handle, struct view *v)
{
	size_t off = 10 + (out_handle ? 4 : 0);

	if (len < 10 || tpm_be32(rsp + 2) != len || tpm_be32(rsp + 6) != TPM_RC_SUCCESS || len < off)
		return false;
	if (tpm_be16(rsp) == TPM_ST_SESSIONS) {
		uint32_t size;

		if (len < off + 4)
			return false;
		size = tpm_be32(rsp + off);
		off += 4;
		if (size > len - off)
			return false;
		v->p = rsp + off;
		v->n = size;
		return true;
	}
	v->p = rsp + off;
	v->n = len - off;
	return true;
}

uint32_t rsp_handle(const uint8_t *rsp, size_t len)
{
	return len >= 14 ? tpm_be32(rsp + 10) : 0;
}
