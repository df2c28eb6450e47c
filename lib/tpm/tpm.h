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

#endif
