/* husk's TPM 2.0 engine: processes TPM 2.0 command buffers and produces
 * response buffers, like a TPM does.  Portable: built freestanding for the
 * kernel and hosted for tools, tests and the simulator server.
 *
 * One context object holds all state; nothing is global.  Memory comes from
 * the caller's allocator, randomness from the caller's entropy source (it
 * seeds a CTR_DRBG), time from the caller's millisecond clock.  All
 * cryptography is mbedTLS (lib/crypto's configuration); crypto_init() must
 * have routed mbedTLS's allocations before a context is created.
 *
 * Life cycle, as a TPM's:
 *   tpm_create()        a context, not yet manufactured
 *   tpm_manufacture()   first boot ever: fresh seeds, empty NV (or)
 *   tpm_state_load()    the NV state saved earlier by tpm_state_save()
 *   tpm_power_on()      _TPM_Init; TPM2_Startup must follow
 *   tpm_process()       any number of commands
 *   tpm_state_save()    whenever the caller wants the NV state persisted
 *                       (tpm_nv_dirty() says whether anything changed)
 *   tpm_power_off()     power loss: unorderly unless TPM2_Shutdown came first
 *
 * Not thread-safe: one command at a time per context. */
#ifndef HUSK_TPM_H
#define HUSK_TPM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest command or response husk's TPM accepts or produces. */
#define TPM_BUFFER_MAX 4096u

struct tpm;

struct tpm_env {
	/* Zeroed memory, NULL on failure or overflow of n * size. */
	void *(*calloc)(void *ctx, size_t n, size_t size);
	void (*free)(void *ctx, void *p);
	/* len bytes of full entropy; 0 or a husk_err code. */
	int (*entropy)(void *ctx, uint8_t *buf, size_t len);
	/* Monotonic milliseconds (any origin); drives TPM Clock and Time. */
	uint64_t (*clock_ms)(void *ctx);
	void *ctx;
};

/* Manufacturer identity reported by GetCapability. */
struct tpm_vendor_info {
	uint32_t manufacturer;     /* TPM_PT_MANUFACTURER, e.g. 0x4855534b "HUSK" */
	char vendor_string[16];    /* TPM_PT_VENDOR_STRING_1..4 */
	uint32_t firmware_version[2];
};

/* husk_err codes for the functions below. */
int tpm_create(struct tpm **out, const struct tpm_env *env);
void tpm_destroy(struct tpm *t);

/* Fresh primary seeds and proofs from the entropy source, default
 * hierarchy settings, empty NV, PCR banks SHA-1/SHA-256/SHA-384. */
int tpm_manufacture(struct tpm *t);

/* _TPM_Init: clears volatile state; the next command must be Startup. */
int tpm_power_on(struct tpm *t);
/* Power loss.  Volatile state is gone; if no Shutdown preceded it, the next
 * Startup counts as unorderly (TPM_SU_STATE then fails, DA may count it). */
int tpm_power_off(struct tpm *t);

/* Executes one command.  Always writes a well-formed response (an error
 * response for malformed or unauthorized commands) into rsp[0..*rsp_len)
 * and returns 0; returns HUSK_ERR_INVAL only for unusable arguments (NULL,
 * rsp_cap < TPM_BUFFER_MAX).  locality: 0-4. */
int tpm_process(struct tpm *t, const uint8_t *cmd, size_t cmd_len, uint8_t locality,
		uint8_t *rsp, size_t rsp_cap, size_t *rsp_len);

/* The NV (persistent) state as a versioned, self-describing blob: seeds,
 * proofs, hierarchy auths and policies, NV indexes and their data,
 * persistent objects, PCR allocation, clock, DA state, orderly-shutdown
 * state.  The blob is allocated with the env allocator; free it with
 * tpm_state_free(). */
int tpm_state_save(struct tpm *t, uint8_t **blob, size_t *len);
void tpm_state_free(struct tpm *t, uint8_t *blob, size_t len);
/* Replaces the NV state with a blob from tpm_state_save.  A truncated,
 * corrupted or unknown-version blob is refused (HUSK_ERR_FORMAT) and the
 * context keeps its previous state.  Only while powered off. */
int tpm_state_load(struct tpm *t, const uint8_t *blob, size_t len);
/* True if NV state changed since the last save or load. */
bool tpm_nv_dirty(const struct tpm *t);

/* Footprint of a context in bytes (the structure plus its allocations). */
size_t tpm_memory_used(const struct tpm *t);

/* ---- manufacturing: the endorsement keys and their certificates ----
 * (tpm_ek.c; docs/ekcert.md).  What a TPM manufacturer does at the
 * factory, done by husk's platform code (the vTPM service, the simulator)
 * on the context directly rather than through commands. */

/* The EK templates of the TCG EK Credential Profile (2.x) default
 * ("low range") set: L-1 RSA 2048 and L-2 ECC NIST P-256, both with
 * AES-128-CFB, SHA-256 and PolicyA, restricted decrypt keys. */
enum tpm_ek_template {
	TPM_EK_RSA2048 = 1, /* template L-1 */
	TPM_EK_ECC_P256 = 2, /* template L-2 */
};

/* The NV indexes of the same profile holding those EKs' certificates. */
#define TPM_NV_EK_CERT_RSA2048  0x01c00002u
#define TPM_NV_EK_CERT_ECC_P256 0x01c0000au

/* The attributes husk gives an EK certificate index (before it is
 * written; TPMA_NV_WRITTEN and TPMA_NV_WRITELOCKED follow): readable by
 * the platform, the owner and anyone with the index's (empty) authValue,
 * written only by the platform, outside dictionary-attack protection,
 * platform-created (TPM2_Clear keeps it), write-lockable for good.  The
 * set swtpm_setup uses for its EK certificates; see docs/ekcert.md. */
#define TPM_NV_EK_CERT_ATTRIBUTES 0x42072001u /* PPWRITE WRITEDEFINE PPREAD OWNERREAD
						 * AUTHREAD NO_DA PLATFORMCREATE */

/* The public area (TPMT_PUBLIC, marshalled, without the TPM2B size) of the
 * EK of template tmpl: the key TPM2_CreatePrimary under the endorsement
 * hierarchy with that template returns (tpm2_createek), derived from the
 * endorsement primary seed, so the same across boots and state save/load
 * for as long as the seed lasts.  An RSA EK lands in the cache of derived
 * primaries, so the guest's own CreatePrimary of it is quick.  Any power
 * state, once manufactured or loaded.  HUSK_ERR_INVAL for an unknown
 * template, HUSK_ERR_RANGE if cap is too small (512 bytes always do),
 * HUSK_ERR_CRYPTO if the derivation failed. */
int tpm_ek_public(struct tpm *t, enum tpm_ek_template tmpl, uint8_t *pub, size_t cap, size_t *len);

/* Puts a certificate (DER) into the platform NV index `index` as a
 * manufacturer provisions an EK certificate: the index is defined with
 * TPM_NV_EK_CERT_ATTRIBUTES, nameAlg SHA-256, no authPolicy, an empty
 * authValue and exactly len bytes, written, then write-locked.  If the
 * index already holds exactly that (attributes, auth, size and bytes), it
 * is left alone and *changed (if not NULL) is false: a caller may run this
 * at every boot.  Anything else in its place (another certificate, another
 * size, an index the guest defined there) is deleted first.  The change is
 * NV state (tpm_nv_dirty, tpm_state_save).  Call between commands.
 * HUSK_ERR_INVAL for a handle that is not an NV index or len 0,
 * HUSK_ERR_RANGE for more than 2048 bytes, HUSK_ERR_NOMEM if NV is full
 * (the old index, if any, is then left as it was). */
int tpm_provision_ek_cert(struct tpm *t, uint32_t index, const uint8_t *der, size_t len, bool *changed);

/* A TPM_PT_* property as TPM2_GetCapability(TPM_CAP_TPM_PROPERTIES)
 * reports it (manufacturer, vendor strings, firmware version, ...), for
 * certificates that must name this TPM.  HUSK_ERR_NOTFOUND for a property
 * husk does not report. */
int tpm_get_property(struct tpm *t, uint32_t property, uint32_t *value);

#endif
