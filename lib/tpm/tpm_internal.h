/* Internal interfaces of husk's TPM engine: the context structure, the
 * command-processing context handed to command handlers, and the functions
 * each module provides to the others.  See docs/tpm.md for the design. */
#ifndef HUSK_TPM_INTERNAL_H
#define HUSK_TPM_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/crypto.h"
#include "tpm/tpm.h"
#include "tpm/tpm_buf.h"
#include "tpm/tpm_crypto.h"
#include "tpm/tpm_defs.h"
#include "tpm/tpm_types.h"

/* ---- implementation limits (reported by GetCapability) ---- */
#define TPM_MAX_OBJECTS      8    /* transient objects and sequences */
#define TPM_MAX_SESSIONS     8    /* loaded or saved sessions */
#define TPM_MAX_PERSISTENT   16
#define TPM_MAX_NV_INDICES   64
#define TPM_NV_INDEX_MAX     2048 /* bytes of one NV index */
#define TPM_NV_TOTAL_MAX     65536
#define TPM_SEED_SIZE        64
#define TPM_PROOF_SIZE       64
#define TPM_MAX_CMD_HANDLES  3
#define TPM_MAX_CMD_SESSIONS 3
#define TPM_CONTEXT_GAP_MAX  0xffff
#define TPM_DA_DEFAULT_MAX_TRIES   32
#define TPM_DA_DEFAULT_RECOVERY    600  /* seconds */
#define TPM_DA_DEFAULT_LOCKOUT_REC 1800 /* seconds */
#define TPM_MANUFACTURER_HUSK 0x4855534b /* "HUSK" */
/* TPM_PT_FIRMWARE_VERSION_1/2, also in every attestation (firmwareVersion) */
#define TPM_FIRMWARE_V1 0x00010000u
#define TPM_FIRMWARE_V2 0x00000000u

#define TPM_PRIMARY_CACHE_SLOTS 4 /* derived RSA primary keys kept */

/* PCR banks husk implements, in this order (bit i of a bank mask). */
#define TPM_BANK_SHA1   0
#define TPM_BANK_SHA256 1
#define TPM_BANK_SHA384 2
#define TPM_BANK_SHA512 3
#define TPM_NUM_BANKS   4
uint16_t tpm_bank_alg(unsigned bank);
int tpm_bank_index(uint16_t alg); /* -1 if not a bank */

/* ---- objects (tpm_object.c) ---- */
enum tpm_obj_kind {
	TPM_OBJ_FREE = 0,
	TPM_OBJ_KEY = 1,       /* a key or sealed data object */
	TPM_OBJ_HASH_SEQ = 2,  /* HashSequenceStart (hash_alg != NULL) */
	TPM_OBJ_HMAC_SEQ = 3,  /* HMAC_Start */
	TPM_OBJ_EVENT_SEQ = 4, /* HashSequenceStart with TPM_ALG_NULL */
};

struct tpm_seq {
	struct tpm_hash h[TPM_NUM_BANKS]; /* one per bank for event sequences; [0] otherwise */
	bool first_block;  /* hash sequences: data has been received */
	bool ticket_safe;  /* hash sequences: the first block did not start with TPM_GENERATED_VALUE */
};

struct tpm_object {
	uint8_t kind;          /* enum tpm_obj_kind */
	bool has_sensitive;    /* false: public part only (LoadExternal) */
	bool external;         /* loaded with LoadExternal */
	bool primary;
	bool stclear;          /* stClear, its own or a parent's: gone at TPM Restart (never persistent) */
	uint32_t handle;       /* transient handle, or the persistent handle */
	uint32_t hierarchy;    /* TPM_RH_OWNER, _ENDORSEMENT, _PLATFORM or _NULL */
	struct tpm_public pub;
	struct tpm_sensitive sens;
	struct tpm2b_name name;
	struct tpm2b_name qualified_name;
	void *key;             /* parsed mbedTLS key, owned by tpm_keys.c (NULL until used) */
	struct tpm_seq *seq;   /* sequences only */
	struct tpm2b_digest seq_auth;
};

/* ---- sessions (tpm_session.c) ---- */
enum tpm_session_state {
	TPM_SESSION_FREE = 0,
	TPM_SESSION_LOADED = 1,
	TPM_SESSION_SAVED = 2, /* context saved; handle stays reserved */
};

struct tpm_session {
	uint8_t state;
	uint8_t type;           /* TPM_SE_HMAC, _POLICY, _TRIAL */
	uint32_t handle;
	uint16_t hash_alg;
	struct tpm_sym_def symmetric;
	struct tpm2b_digest nonce_tpm;
	struct tpm2b_digest session_key;
	bool bound;
	struct tpm2b_name bind_name;
	uint64_t context_seq;   /* when SAVED */
	/* policy state */
	struct tpm2b_digest policy_digest;
	bool need_auth_value;   /* PolicyAuthValue */
	bool need_password;     /* PolicyPassword */
	bool pcr_check;         /* PolicyPCR seen */
	uint32_t pcr_counter;   /* pcrUpdateCounter at PolicyPCR */
	uint32_t command_code;  /* PolicyCommandCode, 0 = any */
	bool cp_hash_set;
	struct tpm2b_digest cp_hash; /* PolicyCpHash or PolicyNameHash */
	bool name_hash_set;
	uint8_t locality;       /* PolicyLocality bitmap, 0 = any */
	uint64_t start_ms;      /* for timeouts */
	uint64_t policy_timeout; /* PolicySigned/Secret/Ticket expiry (time_ms), 0 = none */
};

/* ---- NV indexes (tpm_nv.c) ---- */
struct tpm_nv_index {
	uint32_t handle;
	uint16_t name_alg;
	uint32_t attributes;    /* TPMA_NV, including WRITTEN and the lock bits */
	struct tpm2b_digest auth_policy;
	struct tpm2b_digest auth;
	uint16_t size;          /* dataSize */
	uint8_t *data;          /* size bytes, env allocator */
	/* Not state: the Name, cached because every command naming the
	 * index needs it; valid while the attributes are those it was made of. */
	bool name_cached;
	uint32_t name_attrs;
	struct tpm2b_name name;
};

/* ---- persistent (NV) state: everything tpm_state_save writes ---- */
struct tpm_hier_auth {
	struct tpm2b_digest auth;
	struct tpm2b_digest policy;
	uint16_t policy_alg;
};

struct tpm_persistent {
	uint8_t eps[TPM_SEED_SIZE], sps[TPM_SEED_SIZE], pps[TPM_SEED_SIZE];
	uint8_t eh_proof[TPM_PROOF_SIZE], sh_proof[TPM_PROOF_SIZE], ph_proof[TPM_PROOF_SIZE];
	struct tpm_hier_auth owner, endorsement, lockout;
	struct tpm2b_digest platform_policy;
	uint16_t platform_policy_alg;
	bool disable_clear;
	/* dictionary-attack protection */
	uint32_t da_failed_tries, da_max_tries, da_recovery_time, da_lockout_recovery;
	bool da_lockout_locked;      /* lockoutAuth failed; until lockout_recovery elapses */
	uint64_t da_last_fail_clock; /* clock (ms) of the last counted failure */
	uint64_t da_lockout_since;
	bool da_used;                /* a DA-protected authorization since the last Startup */
	/* time */
	uint64_t clock;              /* ms, advances while powered */
	uint32_t reset_count, restart_count;
	/* orderly shutdown: TPM_SU_CLEAR or _STATE after Shutdown, 0xffff if none */
	uint16_t shutdown_type;
	/* PCR allocation (bit per bank): active now, and after next TPM reset */
	uint32_t pcr_banks, pcr_banks_pending;
	/* Shutdown(STATE) saves PCRs and the startup-clear flags */
	bool saved_state_valid;
	uint8_t saved_pcr[TPM_NUM_BANKS][TPM_PCR_COUNT][TPM_MAX_DIGEST];
	uint32_t saved_pcr_counter;
	/* ... and what a TPM Resume or Restart keeps of the volatile state:
	 * the NULL hierarchy's seed and proof, the context key and counter */
	uint8_t saved_null_seed[TPM_SEED_SIZE], saved_null_proof[TPM_PROOF_SIZE];
	uint8_t saved_context_nonce[32];
	uint64_t saved_context_counter;
	bool saved_sh_enable, saved_eh_enable, saved_ph_enable_nv;
	/* NV indexes and persistent objects */
	struct tpm_nv_index nv[TPM_MAX_NV_INDICES];
	uint32_t nv_count;
	uint32_t nv_bytes;           /* sum of index data sizes */
	uint64_t nv_max_counter;     /* largest value of any NV counter deleted so far */
	struct tpm_object persistent[TPM_MAX_PERSISTENT];
	uint32_t persistent_count;
};

struct tpm {
	struct tpm_env env;
	struct crypto_drbg drbg;
	bool manufactured, powered, started;
	uint16_t startup_type;
	bool nv_dirty;
	struct tpm_persistent nv;

	/* volatile: reset on power, some on Startup */
	bool ph_enable, sh_enable, eh_enable, ph_enable_nv;
	struct tpm2b_digest platform_auth;
	uint8_t null_seed[TPM_SEED_SIZE], null_proof[TPM_PROOF_SIZE];
	uint8_t pcr[TPM_NUM_BANKS][TPM_PCR_COUNT][TPM_MAX_DIGEST];
	uint32_t pcr_counter;
	struct tpm_object objects[TPM_MAX_OBJECTS];
	struct tpm_session sessions[TPM_MAX_SESSIONS];
	uint64_t context_counter;    /* ContextSave sequence numbers */
	uint8_t context_nonce[32];   /* per-boot key for saved session contexts */
	uint64_t clock_base_ms;      /* env clock at power on */
	uint64_t clock_at_power_on;  /* nv.clock at power on */
	uint64_t time_ms;            /* TPMS_TIME_INFO.time: ms since Startup */
	uint64_t time_base_ms;       /* env clock at Startup */
	bool clock_safe;
	size_t alloc_bytes;          /* live tpm_alloc allocations */
	bool self_tested;
	uint8_t locality;            /* of the command being executed */
	/* Not state: the last RSA primary keys derived (tpm_primary_cache.c),
	 * dropped whenever a seed changes. */
	struct tpm_primary_entry *primary_cache[TPM_PRIMARY_CACHE_SLOTS];
	uint64_t primary_cache_clock;  /* stamps for least-recently-used */
	uint64_t primary_cache_hits;   /* derivations saved (tests, statistics) */
	/* scratch for the dispatcher: parameters after decryption, response
	 * parameters before encryption */
	uint8_t cmd_params[TPM_BUFFER_MAX];
	uint8_t rsp_params[TPM_BUFFER_MAX];
};

/* ---- the command being executed ---- */
enum tpm_auth_role {
	TPM_AUTH_NONE = 0,  /* handle needs no authorization */
	TPM_AUTH_USER = 1,
	TPM_AUTH_ADMIN = 2,
	TPM_AUTH_DUP = 3,
};

/* Flags of a command descriptor. */
#define TPM_CMDF_NO_SESSIONS   0x01 /* sessions not allowed (Startup, ContextLoad, ...) */
#define TPM_CMDF_NV            0x02 /* may change NV state (TPMA_CC_NV) */
#define TPM_CMDF_DECRYPT       0x04 /* first parameter is a TPM2B (parameter encryption) */
#define TPM_CMDF_ENCRYPT       0x08 /* first response parameter is a TPM2B */
#define TPM_CMDF_ANY_STATE     0x10 /* allowed before Startup (only Startup itself) */
#define TPM_CMDF_FLUSHED       0x20 /* TPMA_CC_FLUSHED */
#define TPM_CMDF_EXTENSIVE     0x40 /* TPMA_CC_EXTENSIVE: may flush many objects */

struct tpm_cmd;

/* What a handle in a command's handle area may be (its TPMI_ type); a
 * value outside the type is TPM_RC_VALUE for that handle. */
enum tpm_handle_type {
	TPM_H_NONE = 0,
	TPM_H_OBJECT,        /* TPMI_DH_OBJECT: transient or persistent */
	TPM_H_OBJECT_NULL,   /* TPMI_DH_OBJECT+ */
	TPM_H_PARENT,        /* TPMI_DH_PARENT: object or hierarchy (+NULL) */
	TPM_H_HIERARCHY,     /* TPMI_RH_HIERARCHY: owner, endorsement, platform (+NULL) */
	TPM_H_PRIMARY,       /* CreatePrimary: TPMI_RH_HIERARCHY+ */
	TPM_H_PROVISION,     /* TPMI_RH_PROVISION: owner, platform */
	TPM_H_CLEAR,         /* TPMI_RH_CLEAR: lockout, platform */
	TPM_H_LOCKOUT,       /* TPMI_RH_LOCKOUT */
	TPM_H_HIER_AUTH,     /* TPMI_RH_HIERARCHY_AUTH: owner, endorsement, platform, lockout */
	TPM_H_HIER_POLICY,   /* TPMI_RH_HIERARCHY_POLICY: same set */
	TPM_H_ENABLES,       /* TPMI_RH_ENABLES: owner, endorsement, platform, platform NV */
	TPM_H_PLATFORM,      /* TPMI_RH_PLATFORM */
	TPM_H_ENDORSEMENT,   /* TPMI_RH_ENDORSEMENT */
	TPM_H_NV_AUTH,       /* TPMI_RH_NV_AUTH: owner, platform, NV index */
	TPM_H_NV_INDEX,      /* TPMI_RH_NV_INDEX */
	TPM_H_PCR,           /* TPMI_DH_PCR (+NULL for PCR_Event? no: PCR only) */
	TPM_H_PCR_NULL,      /* TPMI_DH_PCR+ */
	TPM_H_POLICY_SESSION,/* TPMI_SH_POLICY */
	TPM_H_ENTITY,        /* TPMI_DH_ENTITY: anything with an auth value */
	TPM_H_ENTITY_NULL,   /* TPMI_DH_ENTITY+ (StartAuthSession's bind) */
	TPM_H_CONTEXT,       /* TPMI_DH_CONTEXT: object or session (checked by the handler) */
	TPM_H_SAVED,         /* TPMI_DH_SAVED (ContextLoad; none in the handle area) */
	TPM_H_ANY,           /* checked by the handler */
};

struct tpm_cmd_desc {
	uint32_t cc;
	uint8_t in_handles;
	uint8_t out_handles;
	uint8_t flags;
	uint8_t type[TPM_MAX_CMD_HANDLES]; /* enum tpm_handle_type per handle */
	uint8_t role[TPM_MAX_CMD_HANDLES]; /* enum tpm_auth_role per handle */
	tpm_rc (*fn)(struct tpm_cmd *c);
};

struct tpm_cmd_session {
	uint32_t handle;
	struct tpm2b_digest nonce_caller;
	uint8_t attributes;
	struct tpm2b_digest hmac;   /* as received (HMAC or password) */
	struct tpm_session *s;      /* NULL for TPM_RS_PW */
	bool authorizes;            /* it authorizes a handle (else it only encrypts or decrypts) */
	uint32_t auth_handle;       /* the entity it authorizes, 0 if none */
	struct tpm2b_digest auth_value; /* that entity's authValue, for the response HMAC */
	bool include_auth;          /* whether the HMAC key includes auth_value */
};

struct tpm_cmd {
	struct tpm *t;
	const struct tpm_cmd_desc *desc;
	uint32_t cc;
	uint32_t handles[TPM_MAX_CMD_HANDLES];
	struct tpm2b_name names[TPM_MAX_CMD_HANDLES];
	unsigned nhandles;
	struct tpm_cmd_session sessions[TPM_MAX_CMD_SESSIONS];
	unsigned nsessions;
	const uint8_t *params;      /* raw command parameters (after decryption) */
	size_t params_len;
	struct tpm_r in;            /* handlers read parameters here */
	struct tpm_w out;           /* handlers write response parameters here */
	uint32_t out_handle;        /* set by handlers of commands with out_handles */
	bool in_done;
	uint8_t locality;
};

/* Adds "parameter n" / "handle n" / "session n" to a format-1 code. */
tpm_rc tpm_rc_param(tpm_rc rc, unsigned n);
tpm_rc tpm_rc_handle(tpm_rc rc, unsigned n);
tpm_rc tpm_rc_session(tpm_rc rc, unsigned n);

/* Reads parameter number n (1-based); on failure the handler returns the
 * code with the parameter number added. */
#define TPM_IN(n, expr)                                         \
	do {                                                    \
		tpm_rc in_rc_ = (expr);                         \
		if (in_rc_)                                     \
			return tpm_rc_param(in_rc_, (n));       \
	} while (0)
/* Every handler calls this once all parameters are read, before acting:
 * trailing bytes are a TPM_RC_SIZE error. */
tpm_rc tpm_in_done(struct tpm_cmd *c);
#define TPM_IN_DONE(c)                                          \
	do {                                                    \
		tpm_rc done_rc_ = tpm_in_done(c);               \
		if (done_rc_)                                   \
			return done_rc_;                        \
	} while (0)
#define TPM_TRY(expr)                                           \
	do {                                                    \
		tpm_rc try_rc_ = (expr);                        \
		if (try_rc_)                                    \
			return try_rc_;                         \
	} while (0)

/* ---- command table (tpm_commands.c) ---- */
const struct tpm_cmd_desc *tpm_cmd_lookup(uint32_t cc);
unsigned tpm_cmd_count(void);
const struct tpm_cmd_desc *tpm_cmd_at(unsigned i); /* sorted by cc */
uint32_t tpm_cmd_attributes(const struct tpm_cmd_desc *d); /* TPMA_CC */

/* ---- core (tpm_core.c) ---- */
void *tpm_alloc(struct tpm *t, size_t size);
void tpm_free(struct tpm *t, void *p);
tpm_rc tpm_random(struct tpm *t, void *out, size_t len);
void tpm_mark_nv(struct tpm *t);
/* Whether the authorization of handle number idx (0-based among the
 * command's authorized handles) used a policy session. */
bool tpm_cmd_auth_is_policy(const struct tpm_cmd *c, unsigned idx);
/* Updates nv.clock and time_ms from the environment's clock. */
void tpm_update_clock(struct tpm *t);
/* TPMS_CLOCK_INFO */
void tpm_w_clock_info(struct tpm_w *w, struct tpm *t);

/* ---- hierarchies and entities (tpm_hier.c, tpm_entity.c) ---- */
/* Handle checks done by the dispatcher for every handle in the handle
 * area: the value fits the handle type (else TPM_RC_VALUE), it names
 * something that exists (TPM_RC_HANDLE, or TPM_RC_REFERENCE_H0 for an
 * object that is not loaded) and may be used now (TPM_RC_HIERARCHY for a
 * disabled hierarchy).  Returned without the handle-number bits. */
tpm_rc tpm_entity_check(struct tpm *t, uint32_t handle, enum tpm_handle_type type);
/* The two halves of tpm_entity_check, which the dispatcher runs over all
 * handles in turn, as the reference implementation does: the value is of
 * the type (its unmarshaling: TPM_RC_VALUE), then what it names is loaded
 * and usable (TPM_RC_REFERENCE_H0, _HANDLE, _HIERARCHY).  A session handle
 * must name a loaded session of its kind (TPM_RC_HANDLE for one of the
 * other kind in that slot). */
tpm_rc tpm_handle_value_check(uint32_t handle, enum tpm_handle_type type);
tpm_rc tpm_entity_load_check(struct tpm *t, uint32_t handle);
tpm_rc tpm_session_load_check(struct tpm *t, uint32_t handle);
void tpm_entity_name(struct tpm *t, uint32_t handle, struct tpm2b_name *name);
/* authValue of an entity (empty for entities without one). */
void tpm_entity_auth(struct tpm *t, uint32_t handle, struct tpm2b_digest *auth);
/* authPolicy and its hash; false if the entity has none. */
bool tpm_entity_policy(struct tpm *t, uint32_t handle, struct tpm2b_digest *policy, uint16_t *alg);
/* Whether failed authorizations of this entity count for DA. */
bool tpm_entity_da_protected(struct tpm *t, uint32_t handle);
/* Whether role may be satisfied with auth value (password/HMAC) or needs policy. */
bool tpm_entity_allows_auth_value(struct tpm *t, uint32_t handle, enum tpm_auth_role role);
bool tpm_entity_allows_policy(struct tpm *t, uint32_t handle, enum tpm_auth_role role);
/* The hierarchy's seed/proof; NULL for an unknown hierarchy. */
const uint8_t *tpm_hierarchy_seed(struct tpm *t, uint32_t hierarchy);
const uint8_t *tpm_hierarchy_proof(struct tpm *t, uint32_t hierarchy);
bool tpm_hierarchy_enabled(struct tpm *t, uint32_t hierarchy);
/* Removes trailing zero octets, as the spec requires of authValues. */
void tpm_auth_trim(struct tpm2b_digest *auth);

/* ---- tickets (tpm_hash.c) ---- */
/* Hash of ticket HMACs (the reference implementation's context integrity
 * hash); the key is the hierarchy's proof. */
#define TPM_TICKET_HASH TPM_ALG_SHA512
/* TPMT_TK_*: tag, hierarchy, and HMAC(proof(hierarchy), tag || parts...).
 * TPM_RC_VALUE for a hierarchy without a proof. */
tpm_rc tpm_ticket_compute(struct tpm *t, uint16_t tag, uint32_t hierarchy, const struct tpm_part *parts,
			  size_t n, struct tpm_ticket *tk);
/* A NULL ticket: tag, TPM_RH_NULL, empty digest. */
void tpm_ticket_null(uint16_t tag, struct tpm_ticket *tk);
/* Whether tk carries the right HMAC for tag and parts (constant time). */
bool tpm_ticket_check(struct tpm *t, const struct tpm_ticket *tk, uint16_t tag, const struct tpm_part *parts,
		      size_t n);

/* ---- DA (tpm_hier.c) ---- */
bool tpm_da_locked_out(struct tpm *t);
void tpm_da_failure(struct tpm *t, uint32_t handle);
void tpm_da_clock_tick(struct tpm *t);
/* A DA-protected entity is being authorized (an unorderly shutdown after
 * this counts as a failure at the next Startup). */
void tpm_da_used(struct tpm *t);
/* DA part of Startup: orderly is whether the previous shutdown was. */
void tpm_da_startup(struct tpm *t, bool orderly);

/* ---- objects (tpm_object.c, tpm_keys.c) ---- */
struct tpm_object *tpm_object_find(struct tpm *t, uint32_t handle); /* transient or persistent */
struct tpm_object *tpm_object_alloc(struct tpm *t); /* free transient slot, NULL if full */
void tpm_object_release(struct tpm *t, struct tpm_object *o); /* wipes and frees */
tpm_rc tpm_object_compute_name(const struct tpm_public *pub, struct tpm2b_name *name);
void tpm_objects_flush_all(struct tpm *t);       /* TPM reset/restart */
void tpm_objects_flush_hierarchy(struct tpm *t, uint32_t hierarchy);
void tpm_key_cache_free(struct tpm *t, struct tpm_object *o);
void tpm_persistent_flush_hierarchy(struct tpm *t, uint32_t hierarchy); /* Clear */

/* ---- the cache of derived primary keys (tpm_primary_cache.c) ---- */
/* Every hierarchy, for tpm_primary_cache_drop. */
#define TPM_PRIMARY_CACHE_ALL 0u
struct tpm_primary_entry;
/* Wipes and frees the cached keys derived from hierarchy's seed (or all):
 * whatever changes a primary seed calls it. */
void tpm_primary_cache_drop(struct tpm *t, uint32_t hierarchy);
/* Entries held now, and the size of one (tests). */
unsigned tpm_primary_cache_count(const struct tpm *t);
size_t tpm_primary_cache_entry_size(void);

/* ---- NV (tpm_nv.c) ---- */
struct tpm_nv_index *tpm_nv_find(struct tpm *t, uint32_t handle);
void tpm_nv_name(struct tpm_nv_index *nv, struct tpm2b_name *name);
/* STCLEAR lock bits, orderly indexes; reads nv.shutdown_type, so Startup
 * calls it before recording the new shutdown state. */
void tpm_nv_startup(struct tpm *t, bool clear);
void tpm_nv_flush_hierarchy(struct tpm *t, uint32_t hierarchy); /* Clear */
void tpm_nv_release(struct tpm *t, struct tpm_nv_index *nv);
/* Deletes an index from the table as NV_UndefineSpace does (manufacturer
 * provisioning, tpm_ek.c); nv points into t->nv.nv and is invalid after. */
void tpm_nv_remove(struct tpm *t, struct tpm_nv_index *nv);
/* Whether an NV index may authorize itself for command cc with a policy
 * session (policy) or its authValue: AUTHWRITE/POLICYWRITE for writes,
 * policy only for the ADMIN role, AUTHREAD/POLICYREAD otherwise.  The
 * session layer answers TPM_RC_AUTH_UNAVAILABLE when it is not. */
bool tpm_nv_auth_available(const struct tpm_nv_index *nv, uint32_t cc, bool policy);

/* ---- PCR (tpm_pcr.c) ---- */
void tpm_pcr_startup(struct tpm *t, bool clear);
tpm_rc tpm_pcr_extend(struct tpm *t, unsigned pcr, uint16_t alg, const uint8_t *digest);
/* Digest of the selected PCR values (for PolicyPCR and Quote):
 * H(concatenation of the selected values in selection order). */
tpm_rc tpm_pcr_digest(struct tpm *t, const struct tpm_pcr_sel *sel, uint16_t alg,
		      struct tpm2b_digest *out);
/* Clears in *sel the bits of banks that are not allocated and bits beyond
 * the implemented PCRs, as PCR_Read does (the entries stay, as in the
 * reference implementation). */
void tpm_pcr_filter_selection(struct tpm *t, struct tpm_pcr_sel *sel);
/* Whether the current command's locality may extend this PCR (PC Client
 * profile); tpm_pcr_extend checks it too (TPM_RC_LOCALITY). */
bool tpm_pcr_extend_allowed(const struct tpm *t, uint32_t pcr);
/* TPM_PT_PCR property tag: the bitmap of PCRs having it; false if husk
 * does not define the tag. */
bool tpm_pcr_property(uint32_t tag, uint32_t *bitmap);

/* ---- sessions (tpm_session.c) ---- */
struct tpm_session *tpm_session_find(struct tpm *t, uint32_t handle);
void tpm_session_release(struct tpm *t, struct tpm_session *s);
void tpm_sessions_flush_all(struct tpm *t);
void tpm_policy_reset(struct tpm_session *s);
/* Extends the session's policyDigest: H(policyDigest || parts). */
tpm_rc tpm_policy_update(struct tpm_session *s, const struct tpm_part *parts, size_t n);

/* ---- capabilities (tpm_cap.c) ---- */
/* Whether alg is one husk implements (TPM_CAP_ALGS); not TPM_ALG_NULL. */
bool tpm_alg_implemented(uint16_t alg);

/* ---- the dispatcher (tpm_dispatch.c) ---- */
void tpm_execute(struct tpm *t, const uint8_t *cmd, size_t len, uint8_t locality, struct tpm_w *rsp);

/* ---- command handlers, by module ---- */
#define TPM_HANDLER(name) tpm_rc tpm_cc_##name(struct tpm_cmd *c)
/* tpm_core.c */
TPM_HANDLER(Startup); TPM_HANDLER(Shutdown); TPM_HANDLER(SelfTest);
TPM_HANDLER(IncrementalSelfTest); TPM_HANDLER(GetTestResult); TPM_HANDLER(GetRandom);
TPM_HANDLER(StirRandom); TPM_HANDLER(ReadClock); TPM_HANDLER(TestParms);
/* tpm_cap.c */
TPM_HANDLER(GetCapability);
/* tpm_pcr.c */
TPM_HANDLER(PCR_Read); TPM_HANDLER(PCR_Extend); TPM_HANDLER(PCR_Event); TPM_HANDLER(PCR_Reset);
TPM_HANDLER(PCR_Allocate);
/* tpm_hash.c */
TPM_HANDLER(Hash); TPM_HANDLER(HashSequenceStart); TPM_HANDLER(SequenceUpdate);
TPM_HANDLER(SequenceComplete); TPM_HANDLER(EventSequenceComplete); TPM_HANDLER(HMAC);
TPM_HANDLER(HMAC_Start);
/* tpm_object.c */
TPM_HANDLER(CreatePrimary); TPM_HANDLER(Create); TPM_HANDLER(CreateLoaded); TPM_HANDLER(Load);
TPM_HANDLER(LoadExternal); TPM_HANDLER(ReadPublic); TPM_HANDLER(FlushContext);
TPM_HANDLER(ContextSave); TPM_HANDLER(ContextLoad); TPM_HANDLER(EvictControl);
TPM_HANDLER(ObjectChangeAuth); TPM_HANDLER(Unseal);
/* tpm_asym.c */
TPM_HANDLER(Sign); TPM_HANDLER(VerifySignature); TPM_HANDLER(RSA_Encrypt); TPM_HANDLER(RSA_Decrypt);
TPM_HANDLER(ECDH_KeyGen); TPM_HANDLER(ECDH_ZGen); TPM_HANDLER(EncryptDecrypt);
TPM_HANDLER(EncryptDecrypt2);
/* tpm_nv.c */
TPM_HANDLER(NV_DefineSpace); TPM_HANDLER(NV_UndefineSpace); TPM_HANDLER(NV_Write); TPM_HANDLER(NV_Read);
TPM_HANDLER(NV_ReadPublic); TPM_HANDLER(NV_Increment); TPM_HANDLER(NV_Extend); TPM_HANDLER(NV_SetBits);
TPM_HANDLER(NV_WriteLock); TPM_HANDLER(NV_ReadLock);
TPM_HANDLER(NV_ChangeAuth); TPM_HANDLER(NV_UndefineSpaceSpecial); TPM_HANDLER(NV_GlobalWriteLock);
/* tpm_hier.c */
TPM_HANDLER(HierarchyChangeAuth); TPM_HANDLER(HierarchyControl); TPM_HANDLER(Clear);
TPM_HANDLER(ClearControl); TPM_HANDLER(DictionaryAttackLockReset);
TPM_HANDLER(DictionaryAttackParameters); TPM_HANDLER(SetPrimaryPolicy);
/* tpm_attest.c */
TPM_HANDLER(Quote); TPM_HANDLER(Certify); TPM_HANDLER(GetTime);
/* tpm_session.c / tpm_policy.c */
TPM_HANDLER(StartAuthSession); TPM_HANDLER(PolicyGetDigest); TPM_HANDLER(PolicyPCR);
TPM_HANDLER(PolicyAuthValue); TPM_HANDLER(PolicyPassword); TPM_HANDLER(PolicyCommandCode);
TPM_HANDLER(PolicyRestart);
TPM_HANDLER(PolicySecret); TPM_HANDLER(PolicySigned); TPM_HANDLER(PolicyTicket);
TPM_HANDLER(PolicyOR); TPM_HANDLER(PolicyCpHash); TPM_HANDLER(PolicyNameHash);
TPM_HANDLER(PolicyLocality); TPM_HANDLER(PolicyAuthorize); TPM_HANDLER(PolicyNV);
TPM_HANDLER(PolicyCounterTimer);

#endif
