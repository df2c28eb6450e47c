/* TPM 2.0 commands for husk's TPM unit tests and host tools (husk-tpm-diff,
 * husk-tpm-bench, tpm_host), written with lib/tpm's bounds-checked writer
 * (tpm_buf.h):
 *   - parameters (struct tb), optionally naming each field so that
 *     husk-tpm-diff's mutations can find it ("inPublic.objectAttributes");
 *   - commands (struct cmd): handles, literal or symbolic (resolved per TPM
 *     when encoded), sessions (passwords; policy sessions whose HMAC the
 *     encoder computes; or raw, for mutations) and parameters;
 *   - where a response's parameters are.
 * A write that does not fit sets tb.overflow, and the command then does not
 * encode (cmd_encode returns 0). */
#ifndef HUSK_TESTS_TPMCMD_H
#define HUSK_TESTS_TPMCMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tpm/tpm.h"
#include "tpm/tpm_buf.h"
#include "tpm/tpm_types.h"

/* ---- parameters ---- */

/* What a named parameter field is, for the mutations that apply to it. */
enum fkind {
	F_U8,     /* small integer or enum */
	F_U16,
	F_U32,
	F_ALG,    /* TPM_ALG_ID */
	F_HANDLE, /* a handle carried as a parameter (hierarchy, index) */
	F_CC,     /* a command code */
	F_ATTR,   /* a 32-bit attribute mask (TPMA_OBJECT, TPMA_NV) */
	F_2B,     /* a TPM2B: off is its size field */
};

#define TB_MAX_FIELDS 32
#define TB_MAX_DEPTH 4

struct tb_field {
	char name[32];
	uint8_t kind;
	uint16_t off;
	uint16_t len; /* bytes of the value (F_2B: of the data) */
};

struct tb {
	uint8_t b[TPM_BUFFER_MAX];
	size_t n;
	bool overflow;                   /* a write did not fit */
	struct tb_field f[TB_MAX_FIELDS]; /* the named fields (more are not recorded) */
	unsigned nf;
	uint16_t open_at[TB_MAX_DEPTH];  /* size fields of the TPM2Bs being built */
	int open_field[TB_MAX_DEPTH];    /* and their fields (-1: unnamed) */
	unsigned depth;
};

void tb_reset(struct tb *p);

/* Named fields (name NULL: not recorded). */
void p_u8(struct tb *p, const char *name, uint8_t v);
void p_u16(struct tb *p, const char *name, uint16_t v);
void p_u32(struct tb *p, const char *name, uint32_t v);
void p_alg(struct tb *p, const char *name, uint16_t v);
void p_handle(struct tb *p, const char *name, uint32_t v);
void p_cc(struct tb *p, const char *name, uint32_t v);
void p_attr(struct tb *p, const char *name, uint32_t v);
void p_2b(struct tb *p, const char *name, const void *data, size_t n);
void p_2b_str(struct tb *p, const char *name, const char *s);
/* A TPM2B around whatever is added until p_2b_end (TPM2B_PUBLIC etc.);
 * they nest.  Fields inside are named after it: "inPublic.type". */
void p_2b_begin(struct tb *p, const char *name);
void p_2b_end(struct tb *p);
void p_raw(struct tb *p, const void *data, size_t n);

/* The same without names, for tests. */
static inline void tb_u8(struct tb *p, uint8_t v)
{
	p_u8(p, NULL, v);
}

static inline void tb_u16(struct tb *p, uint16_t v)
{
	p_u16(p, NULL, v);
}

static inline void tb_u32(struct tb *p, uint32_t v)
{
	p_u32(p, NULL, v);
}

void tb_u64(struct tb *p, uint64_t v);

static inline void tb_bytes(struct tb *p, const void *data, size_t n)
{
	p_raw(p, data, n);
}

static inline void tb_2b(struct tb *p, const void *data, size_t n)
{
	p_2b(p, NULL, data, n);
}

static inline void tb_begin(struct tb *p)
{
	p_2b_begin(p, NULL);
}

static inline void tb_end(struct tb *p)
{
	p_2b_end(p);
}

/* ---- commands ---- */

#define CMD_MAX_HANDLES 3
#define CMD_MAX_SESSIONS 4

struct cmd_sess {
	uint32_t handle;
	uint8_t hsym;       /* nonzero: the handle is symtab[hsym] */
	uint8_t attrs;
	uint16_t nonce_len; /* nonceCaller */
	uint16_t hmac_len;  /* the password, or the HMAC's size */
	uint8_t nonce[96];
	uint8_t hmac[96];
	/* cmd_policy: the HMAC is computed when the command is encoded */
	bool policy_hmac;
	uint16_t key_len, nonce_tpm_len;
	uint8_t key[64];
	uint8_t nonce_tpm[64];
};

struct cmd {
	uint16_t tag;       /* 0: from the sessions */
	uint32_t cc;
	unsigned nh;
	uint32_t h[CMD_MAX_HANDLES];
	uint8_t hsym[CMD_MAX_HANDLES]; /* nonzero: the handle is symtab[hsym] */
	unsigned ns;
	struct cmd_sess s[CMD_MAX_SESSIONS];
	bool auth_size_set; /* authSize forced to auth_size */
	uint32_t auth_size;
	struct tb p;
};

void cmd_init(struct cmd *c, uint32_t cc);
void cmd_handle(struct cmd *c, uint32_t h);
void cmd_handle_sym(struct cmd *c, unsigned sym);
/* A password session (TPM_RS_PW, continueSession); NULL is the empty
 * password. */
void cmd_pw(struct cmd *c, const char *password);
void cmd_pw_bytes(struct cmd *c, const void *password, size_t len);
/* A policy (or HMAC) session, SHA-256, unbound and unsalted, whose
 * nonceTPM is given; it ends with the command.  The HMAC key is auth (the
 * entity's authValue, after PolicyAuthValue), or empty if auth is NULL. */
void cmd_policy(struct cmd *c, uint32_t handle, const uint8_t *nonce_tpm, uint16_t nonce_len,
		const char *auth);

/* Encodes c for one TPM: symbolic handles from symtab, and for the cpHash
 * of policy-session HMACs each handle's Name from names (NULL, or a Name
 * of size 0: the handle itself).  Returns the length, 0 if it does not fit,
 * a parameter overflowed or a symbol is unresolved. */
size_t cmd_encode(const struct cmd *c, const uint32_t *symtab, const struct tpm2b_name *names, uint8_t *out,
		  size_t cap);
/* A command with handles, npw password sessions (pws[i]; NULL: empty) and
 * the parameter bytes; the length, 0 if it does not fit. */
size_t cmd_build(uint8_t *out, size_t cap, uint32_t cc, const uint32_t *handles, unsigned nh,
		 const char *const *pws, unsigned npw, const void *params, size_t plen);

/* ---- responses ---- */

/* Where a response's parameters start: after the handle (out_handle) and
 * the parameterSize of a TPM_ST_SESSIONS response. */
size_t rsp_params_at(const uint8_t *rsp, bool out_handle);

struct view {
	const uint8_t *p;
	size_t n;
};

/* The parameter area of a well-formed success response (without the
 * session area); false for an error or a malformed response. */
bool rsp_params(const uint8_t *rsp, size_t len, bool out_handle, struct view *v);
/* The handle a response returns (0 if too short). */
uint32_t rsp_handle(const uint8_t *rsp, size_t len);

#endif
