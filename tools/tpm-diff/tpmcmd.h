/* TPM commands for husk-tpm-diff and husk-tpm-bench: a builder that records
 * where each parameter field is (so that mutations can target fields by
 * name), symbolic handles resolved per engine, password sessions, response
 * views, and names of command and response codes. */
#ifndef HUSK_TPM_DIFF_TPMCMD_H
#define HUSK_TPM_DIFF_TPMCMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine.h"

/* What a parameter field is, for the mutations that apply to it. */
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

#define CMD_MAX_FIELDS 32
#define CMD_MAX_PARAMS 3072

struct field {
	char name[32];
	uint8_t kind;
	uint16_t off;
	uint16_t len; /* bytes of the value (F_2B: of the data) */
};

struct params {
	uint8_t b[CMD_MAX_PARAMS];
	size_t n;
	struct field f[CMD_MAX_FIELDS];
	unsigned nf;
	int open2b[4]; /* nested TPM2Bs being built */
	unsigned depth;
};

/* Handles resolved when the command is encoded for an engine. */
enum sym {
	SYM_NONE = 0,
	SYM_SIGN,     /* ECC P-256 signing primary key (auth "sign") */
	SYM_STORAGE,  /* ECC P-256 storage primary key (empty auth) */
	SYM_HMACKEY,  /* LoadExternal'd HMAC key (auth "hk") */
	SYM_EXTECC,   /* LoadExternal'd ECC P-256 public key */
	SYM_EXTRSA,   /* LoadExternal'd RSA-2048 public key */
	SYM_SEQ,      /* hash sequence (auth "seq") */
	SYM_HSEQ,     /* HMAC sequence (auth "seq") */
	SYM_POLICY,   /* trial policy session */
	SYM_RSA_SIGN, /* RSA-2048 signing primary key (benchmark) */
	SYM_CHILD,    /* a loaded child key (benchmark) */
	SYM_COUNT
};

struct sess {
	uint32_t handle;
	uint8_t hsym;
	uint8_t attrs;
	uint16_t nonce_len;
	uint16_t hmac_len;
	uint8_t nonce[64];
	uint8_t hmac[96];
};

struct cmd {
	uint16_t tag;        /* 0: from the sessions */
	uint32_t cc;
	unsigned nh;
	uint32_t h[3];
	uint8_t hsym[3];
	unsigned ns;
	struct sess s[4];
	bool auth_size_set;  /* authSize forced to auth_size */
	uint32_t auth_size;
	struct params p;
};

void cmd_init(struct cmd *c, uint32_t cc);
void cmd_handle(struct cmd *c, uint32_t h);
void cmd_handle_sym(struct cmd *c, enum sym s);
/* A password session (TPM_RS_PW, continueSession) with this password. */
void cmd_pw(struct cmd *c, const char *password);

void p_u8(struct params *p, const char *name, uint8_t v);
void p_u16(struct params *p, const char *name, uint16_t v);
void p_u32(struct params *p, const char *name, uint32_t v);
void p_alg(struct params *p, const char *name, uint16_t v);
void p_handle(struct params *p, const char *name, uint32_t v);
void p_cc(struct params *p, const char *name, uint32_t v);
void p_attr(struct params *p, const char *name, uint32_t v);
void p_2b(struct params *p, const char *name, const void *data, size_t n);
void p_2b_str(struct params *p, const char *name, const char *s);
/* A TPM2B around whatever is added until p_2b_end (TPM2B_PUBLIC etc.). */
void p_2b_begin(struct params *p, const char *name);
void p_2b_end(struct params *p);
void p_raw(struct params *p, const void *data, size_t n);

/* Encodes for one engine (symbols from symtab).  Returns the length, 0 if
 * it does not fit or a symbol is unresolved. */
size_t cmd_encode(const struct cmd *c, const uint32_t *symtab, uint8_t *out, size_t cap);

/* The parameter area of a response (after the handle, without the
 * parameterSize and session area of TPM_ST_SESSIONS responses). */
struct view {
	const uint8_t *p;
	size_t n;
};
bool rsp_params(const struct eng_rsp *r, bool out_handle, struct view *v);
uint32_t rsp_handle(const struct eng_rsp *r);

/* "PCR_Extend", or "0x00000abc" for an unknown code (static buffer). */
const char *cc_name(uint32_t cc);
uint32_t cc_by_name(const char *name); /* 0 if unknown */
/* "TPM_RC_VALUE+P1", "TPM_RC_REFERENCE_H0", ... (buffer of at least 48). */
const char *rc_name(uint32_t rc, char *buf, size_t cap);

uint16_t be16(const uint8_t *p);
uint32_t be32(const uint8_t *p);
void put16(uint8_t *p, uint16_t v);
void put32(uint8_t *p, uint32_t v);

#endif
