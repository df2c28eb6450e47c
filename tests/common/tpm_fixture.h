/* The fixture of husk's TPM unit tests that compare with libtpms: husk's
 * engine (host: tpm_host, deterministic entropy from a per-test seed) and
 * the libtpms reference (libtpms_ref.h) in one process, both freshly
 * manufactured and after Startup(CLEAR); targets (struct tgt) that send the
 * same bytes to either, with helpers over them; comparisons of the two
 * TPMs' answers; and LoadExternal parameters for known keys.  libtpms is
 * one TPM per process, so the fixture is global.  Commands are built with
 * tpmcmd.h.  Include after <cmocka.h>; link libtpms_ref.c and -ltpms. */
#ifndef HUSK_TESTS_TPM_FIXTURE_H
#define HUSK_TESTS_TPM_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mbedtls/md.h"
#include "tpm/tpm_internal.h"
#include "tpm_host.h"
#include "tpmcmd.h"

/* A TPM a test talks to: husk's engine (through h) or libtpms. */
struct tgt {
	bool ref;
	struct tpm_host *h;
	uint8_t rsp[TPM_BUFFER_MAX]; /* the last response */
	size_t rsp_len;
};

extern struct tpm_host host; /* husk's engine */
extern struct tgt husk, ref; /* husk's engine (through host) and libtpms */
/* The two by index, for tests that keep something per TPM. */
enum { HUSK = 0, REF = 1 };
extern struct tgt *const fx_tgt[2];

enum {
	FX_FAKE_CLOCK = 1u << 0, /* husk's clock is host.fake_ms, continuing the real one */
	FX_HUSK_BANKS = 1u << 1, /* libtpms gets husk's PCR banks (no SHA-512) */
};

/* Makes the fixture (as a cmocka setup: return its value).  0 or -1. */
int fx_setup(uint64_t seed, unsigned flags);
/* A cmocka teardown. */
int fx_teardown(void **state);

/* ---- targets ---- */

/* Raw command; the response code (the response stays in t->rsp), or
 * 0xffffffff / 0xfffffffe if there is no TPM response. */
uint32_t tgt_send(struct tgt *t, const uint8_t *cmd, size_t len);
/* Encodes and sends c (for the cpHash of policy sessions, NV indexes'
 * Names are read from t first). */
uint32_t cmd_send(const struct cmd *c, struct tgt *t);
/* Power loss and _TPM_Init.  0 or -1. */
int tgt_power_cycle(struct tgt *t);
/* Shutdown(shutdown) unless it is negative, power loss, and
 * Startup(startup): Startup's response code, or 0xfffffff0 if Shutdown
 * failed, 0xfffffff1 if the power cycle did. */
uint32_t tgt_reboot(struct tgt *t, int shutdown, uint16_t startup);
/* Big-endian readers over t->rsp (all ones if out of range). */
uint32_t tgt_rsp_u32(const struct tgt *t, size_t at);
uint16_t tgt_rsp_u16(const struct tgt *t, size_t at);

uint32_t tgt_startup(struct tgt *t, uint16_t type);
uint32_t tgt_shutdown(struct tgt *t, uint16_t type);
/* NV_DefineSpace with a password session; auth may be NULL. */
uint32_t tgt_nv_define(struct tgt *t, uint32_t auth_handle, const char *hier_pw, const char *auth,
		       uint32_t index, uint16_t name_alg, uint32_t attrs, const uint8_t *policy,
		       uint16_t policy_len, uint16_t size);
/* NV_ReadPublic: attributes, size and Name (each may be NULL). */
uint32_t tgt_nv_public(struct tgt *t, uint32_t index, uint32_t *attrs, uint16_t *size,
		       uint8_t *name, uint16_t *name_len);
uint32_t tgt_nv_write(struct tgt *t, uint32_t auth_handle, uint32_t index, const char *pw,
		      const void *data, uint16_t len, uint16_t offset);
/* Reads len bytes into out (may be NULL). */
uint32_t tgt_nv_read(struct tgt *t, uint32_t auth_handle, uint32_t index, const char *pw, void *out,
		     uint16_t len, uint16_t offset);
/* Starts an unbound, unsalted SHA-256 policy session. */
uint32_t tgt_policy_session(struct tgt *t, uint32_t *handle, uint8_t *nonce_tpm, uint16_t *nonce_len);
/* GetCapability(TPM_PROPERTIES) of one property; 0xffffffff if missing. */
uint32_t tgt_property(struct tgt *t, uint32_t prop);

/* ---- husk and libtpms ---- */

/* A command with npw password sessions (pws[i]) and parameters p (may be
 * NULL) into cmd[TPM_BUFFER_MAX]; its length. */
size_t fx_build(uint8_t *cmd, uint32_t cc, const uint32_t *handles, unsigned nh, const char *const *pws,
		unsigned npw, const struct tb *p);
/* Builds and sends such a command to t; the response code. */
uint32_t fx_call(struct tgt *t, uint32_t cc, const uint32_t *handles, unsigned nh, const char *const *pws,
		 unsigned npw, const struct tb *p);
/* Sends the command to husk (host) and libtpms (ref); both must answer rc. */
void fx_both_raw(const uint8_t *cmd, size_t n, uint32_t rc);
/* The last responses of husk (host) and libtpms (ref) are the same bytes. */
void fx_same_response(void);

/* ---- scenarios: the same steps on both TPMs, their logs compared ---- */

#define FX_ANY 0xffffffffu /* fx_step: any response code will do */
#define FX_LOG_STEPS 400

struct fx_log {
	unsigned n;
	uint32_t rc[FX_LOG_STEPS];
	int line[FX_LOG_STEPS];
	const char *what[FX_LOG_STEPS];
	uint8_t out[FX_LOG_STEPS][96]; /* response parameters of chosen steps */
	uint16_t outlen[FX_LOG_STEPS];
	unsigned failures;
};

/* Logs a step of a scenario on t (what, at line): its response code rc,
 * which must be want (unless FX_ANY), and with keep_out the response
 * parameters, which must then be the same on both TPMs.  Returns rc. */
uint32_t fx_step(struct fx_log *l, struct tgt *t, const char *what, uint32_t rc, uint32_t want, bool keep_out,
		 int line);
typedef void (*fx_scenario)(struct tgt *t, struct fx_log *l);
/* Runs a scenario on husk and on libtpms: every step as expected, and the
 * two logs the same. */
void fx_run_both(fx_scenario fn);

/* ---- keys and LoadExternal parameters (TPM2B_SENSITIVE, TPM2B_PUBLIC,
 * hierarchy) ---- */

const mbedtls_md_info_t *fx_md(uint16_t alg);
/* Bytes from a hex string; returns the length. */
size_t fx_hex(const char *hex, uint8_t *out, size_t cap);
/* The sensitive area (without a public part) of LoadExternal. */
void fx_sensitive(struct tb *p, uint16_t type, const char *auth, const void *seed, size_t seed_len,
		  const void *secret, size_t secret_len);
/* A keyedhash object (nameAlg SHA-256) with key bits `key`; scheme
 * TPM_ALG_HMAC or _XOR with hash, or TPM_ALG_NULL. */
void fx_keyedhash(struct tb *p, const void *key, size_t klen, uint32_t attrs, uint16_t scheme, uint16_t hash,
		  uint32_t hier, bool with_private);
/* An AES key (128 or 256 bits from klen) with mode (TPM_ALG_NULL: any). */
void fx_symcipher(struct tb *p, const void *key, size_t klen, uint32_t attrs, uint16_t mode);
/* An ECC key; d may be NULL (public only).  scheme: TPM_ALG_NULL, _ECDSA
 * or _ECDH with hash. */
void fx_ecc(struct tb *p, uint16_t curve, const uint8_t *d, const uint8_t *x, const uint8_t *y, size_t bytes,
	    uint32_t attrs, uint16_t scheme, uint16_t hash, uint32_t hier);
/* An RSA key with exponent 65537; prime may be NULL (public only).
 * scheme: TPM_ALG_NULL, _RSASSA, _RSAPSS, _OAEP (with hash) or _RSAES. */
void fx_rsa(struct tb *p, const uint8_t *n, size_t nlen, const uint8_t *prime, uint32_t attrs,
	    uint16_t scheme, uint16_t hash, uint32_t hier);
/* Puts the object that LoadExternal's parameters describe straight into a
 * husk object slot, for tests of commands that must not depend on
 * LoadExternal's own checks.  Returns the handle. */
uint32_t fx_inject(struct tpm *t, const uint8_t *params, size_t plen);

#endif
