/* A small TPM client for unit tests that talks to either husk's engine (in
 * process, through tpm_host) or libtpms (in process, the reference TPM), so
 * a test can send the same command to both and compare the answers.
 *
 * Commands are built with tcb_*: handles, then sessions (password, or a
 * policy session whose HMAC the builder computes), then parameters; the
 * authorization area is assembled when the command is sent, because a
 * session HMAC covers the parameters.  libtpms holds global state, so only
 * one libtpms target exists per process. */
#ifndef HUSK_TESTS_TPM_DUAL_H
#define HUSK_TESTS_TPM_DUAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tpm/tpm.h"
#include "tpm_host.h"

struct tgt {
	bool ref;            /* libtpms; else husk through h */
	struct tpm_host *h;
	uint8_t rsp[TPM_BUFFER_MAX];
	size_t rsp_len;
};

/* libtpms: a freshly manufactured TPM, powered on, before Startup. */
int ref_init(struct tgt *t);
void ref_fini(struct tgt *t);
/* Power loss and _TPM_Init (husk: tpm_power_off + tpm_power_on). */
int tgt_power_cycle(struct tgt *t);
void tgt_husk(struct tgt *t, struct tpm_host *h);

/* Raw command; returns the response code (rsp kept in t->rsp). */
uint32_t tgt_send(struct tgt *t, const uint8_t *cmd, size_t len);

struct tcb_sess {
	uint32_t handle;
	uint8_t attrs;
	bool policy_hmac;      /* compute the HMAC of an unbound policy/HMAC session */
	uint8_t key[64];       /* HMAC key (authValue when it is included) */
	size_t key_len;
	uint8_t pw[64];        /* password (TPM_RS_PW, or after PolicyPassword) */
	size_t pw_len;
	uint8_t nonce_tpm[64];
	uint16_t nonce_len;
};

struct tcb {
	uint32_t cc;
	uint32_t handles[3];
	unsigned nh;
	struct tcb_sess sess[3];
	unsigned ns;
	uint8_t p[TPM_BUFFER_MAX];
	size_t pn;
};

void tcb_init(struct tcb *b, uint32_t cc);
void tcb_handle(struct tcb *b, uint32_t h);
void tcb_pw(struct tcb *b, const char *pw);
void tcb_pw_bytes(struct tcb *b, const uint8_t *pw, size_t len);
/* A policy session (SHA-256, unbound, unsalted) whose nonceTPM is given;
 * with auth != NULL the authValue is part of the HMAC key (PolicyAuthValue). */
void tcb_policy(struct tcb *b, uint32_t handle, const uint8_t *nonce_tpm, uint16_t nonce_len,
		const char *auth);
void tcb_u8(struct tcb *b, uint8_t v);
void tcb_u16(struct tcb *b, uint16_t v);
void tcb_u32(struct tcb *b, uint32_t v);
void tcb_u64(struct tcb *b, uint64_t v);
void tcb_bytes(struct tcb *b, const void *p, size_t n);
void tcb_2b(struct tcb *b, const void *p, uint16_t n);
/* Sends to t (NV index Names for the cpHash are read from t first). */
uint32_t tcb_send(struct tcb *b, struct tgt *t);

/* ---- helpers ---- */
uint32_t tgt_startup(struct tgt *t, uint16_t type);
uint32_t tgt_shutdown(struct tgt *t, uint16_t type);
/* TPMS_NV_PUBLIC fields; auth may be NULL. */
uint32_t tgt_nv_define(struct tgt *t, uint32_t auth_handle, const char *hier_pw, const char *auth,
		       uint32_t index, uint16_t name_alg, uint32_t attrs, const uint8_t *policy,
		       uint16_t policy_len, uint16_t size);
/* NV_ReadPublic: attributes, size and Name (name may be NULL). */
uint32_t tgt_nv_public(struct tgt *t, uint32_t index, uint32_t *attrs, uint16_t *size,
		       uint8_t *name, uint16_t *name_len);
uint32_t tgt_nv_write(struct tgt *t, uint32_t auth_handle, uint32_t index, const char *pw,
		      const void *data, uint16_t len, uint16_t offset);
/* Reads into out (len bytes). */
uint32_t tgt_nv_read(struct tgt *t, uint32_t auth_handle, uint32_t index, const char *pw, void *out,
		     uint16_t len, uint16_t offset);
/* Starts an unbound, unsalted SHA-256 policy session. */
uint32_t tgt_policy_session(struct tgt *t, uint32_t *handle, uint8_t *nonce_tpm, uint16_t *nonce_len);
/* GetCapability(TPM_PROPERTIES) of one property; 0xffffffff if missing. */
uint32_t tgt_property(struct tgt *t, uint32_t prop);
/* Big-endian readers over t->rsp. */
uint32_t tgt_rsp_u32(const struct tgt *t, size_t at);
uint16_t tgt_rsp_u16(const struct tgt *t, size_t at);

#endif
