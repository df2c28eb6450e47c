/* The vTPM's persistent state (kernel/services/vtpm_store.c): lib/vstore on
 * husk's block device, keyed from the KBS's storage secret. */
#ifndef HUSK_SERVICES_VTPM_STORE_H
#define HUSK_SERVICES_VTPM_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The largest NV state persisted (the engine's is ~70 KiB fresh). */
#define VTPM_STATE_MAX (256u << 10)

/* Opens the store with this root secret.  HUSK_ERR_NOTFOUND: no block
 * device (nothing persists).  Other errors: a device that cannot be used. */
int vtpm_store_open(const uint8_t *secret, size_t secret_len);
bool vtpm_store_ready(void);
/* After a failed save: resets the disk and sets it up again (same size). */
int vtpm_store_reopen(void);
/* The saved state into buf.  HUSK_ERR_NOTFOUND: none yet (blank or
 * formatted empty): the caller manufactures, then saves.  Any other error:
 * a state is there but refused (logged); the caller must not replace it. */
int vtpm_store_load(uint8_t *buf, size_t max, size_t *len);
/* Saves a new state (formatting a blank device first). */
int vtpm_store_save(const uint8_t *blob, size_t len);

#endif
