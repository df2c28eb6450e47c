/* husk-tpm-diff's shared declarations: fixtures (the objects, sequences,
 * sessions and NV indexes a case needs, made the same way on both TPMs),
 * case results, and the two case generators (mutations.c, outputs.c). */
#ifndef HUSK_TPM_DIFF_DIFF_H
#define HUSK_TPM_DIFF_DIFF_H

#include <stdbool.h>
#include <stdint.h>

#include "../../tests/common/tpmcmd.h"
#include "engine.h"
#include "names.h"

/* Handles resolved when a command is encoded for an engine (cmd_handle_sym:
 * the index into struct world's sym[engine]). */
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

/* ---- fixtures (fixtures.c) ---- */
enum fx_bit {
	FX_SIGN = 1u << 0,
	FX_STORAGE = 1u << 1,
	FX_HMACKEY = 1u << 2,
	FX_EXTECC = 1u << 3,
	FX_EXTRSA = 1u << 4,
	FX_SEQ = 1u << 5,
	FX_HSEQ = 1u << 6,    /* needs FX_HMACKEY */
	FX_POLICY = 1u << 7,
	FX_NV = 1u << 8,      /* NV_ORD: ordinary, 64 bytes, written, auth "nv" */
	FX_NVCTR = 1u << 9,   /* NV_CTR: counter, incremented once */
	FX_NVBITS = 1u << 10, /* NV_BITS: bit field, unwritten */
	FX_NVEXT = 1u << 11,  /* NV_EXT: extend index, SHA-256, unwritten */
	FX_COUNT = 12,
};
#define NV_ORD  0x01000010u
#define NV_CTR  0x01000011u
#define NV_BITS 0x01000012u
#define NV_EXT  0x01000013u

struct world {
	uint32_t sym[ENG_N][SYM_COUNT];
	uint32_t failed[ENG_N];          /* fixtures that failed, per engine */
	uint32_t fx_rc[ENG_N][FX_COUNT]; /* their response codes */
	char failure[128];               /* the first failure, for reports */
};

/* Both TPMs fresh, started (unless !startup), with the fixtures in fx.
 * -1 only if an engine is unusable; a fixture that fails is recorded in
 * w->failed. */
int world_prepare(struct world *w, uint32_t fx, bool startup);
const char *fx_name(unsigned bit_index);

/* The P-256 base point. */
extern const uint8_t p256_gx[32], p256_gy[32];

/* Templates shared with the benchmark. */
void tmpl_ecc_sign(struct tb *p);
void tmpl_ecc_storage(struct tb *p);
void tmpl_rsa_sign(struct tb *p);
void tmpl_ecc_public(struct tb *p, uint16_t curve);
void tmpl_rsa_public(struct tb *p);
/* CreatePrimary(hierarchy, password session) with a template. */
void cmd_create_primary(struct cmd *c, uint32_t hierarchy, const char *user_auth,
			void (*tmpl)(struct tb *p));
void cmd_nv_define(struct cmd *c, uint32_t index, uint32_t attributes, uint16_t size);
/* StartAuthSession(TPM_RH_NULL, TPM_RH_NULL): unsalted, SHA-256, nonceCaller
 * 16 bytes of nonce_byte, AES-128-CFB parameter encryption if aes. */
void cmd_start_session(struct cmd *c, uint8_t type, uint8_t nonce_byte, bool aes);
/* LoadExternal of the HMAC key (auth "hk") on engine e: 0 and its handle,
 * or the response code. */
uint32_t fixture_hmac_key(int e, uint32_t *handle);

/* ---- results (main.c) ---- */
enum result_kind {
	R_RC,      /* response codes compared */
	R_OUTPUT,  /* response contents compared */
	R_SETUP,   /* a fixture failed on one side: the case could not run */
	R_SKIPPED, /* not sent to one side: an earlier step it needs failed there */
};

struct result {
	char id[112];            /* "PCR_Extend/trunc/13" */
	uint32_t cc;
	uint8_t kind;
	bool equal;
	uint32_t rc[ENG_N];
	uint16_t tag[ENG_N];
	char detail[256];
};

/* Whether a case with this id is selected (--filter, --smoke). */
bool case_selected(const char *id);
void record(const struct result *r);
bool smoke_mode(void);
bool list_mode(void);

/* Compares the two responses' codes (and tags for errors). */
void compare_rc(struct result *res, const struct eng_rsp r[ENG_N]);

/* ---- generators ---- */
int run_mutations(void); /* mutations.c */
int run_outputs(void);   /* outputs.c */

#endif
