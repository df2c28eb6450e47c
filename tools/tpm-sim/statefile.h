/* husk-tpm-sim's NV state file: one backend's opaque NV blob behind a small
 * header that names the backend and checks length and CRC, so a truncated
 * file or another backend's state is refused instead of fed to an engine.
 * Written atomically (temporary file, fsync, rename, fsync of the
 * directory): a crash leaves the old file or the new one, never a mix. */
#ifndef HUSK_TPM_SIM_STATEFILE_H
#define HUSK_TPM_SIM_STATEFILE_H

#include <stddef.h>
#include <stdint.h>

/* Largest blob accepted from a file (libtpms' is ~1.3 KB, husk's small). */
#define STATEFILE_BLOB_MAX (16u * 1024u * 1024u)

/* Writes blob for backend to path, replacing it atomically.
 * HUSK_ERR_IO (errno-level reason printed to stderr) on failure. */
int statefile_write(const char *path, const char *backend, const uint8_t *blob, size_t len);

/* Reads path: on success *blob (from malloc, the caller frees) and *len.
 * HUSK_ERR_NOTFOUND if the file does not exist, HUSK_ERR_FORMAT if it is
 * not a state file for backend (reason printed), HUSK_ERR_IO otherwise. */
int statefile_read(const char *path, const char *backend, uint8_t **blob, size_t *len);

#endif
