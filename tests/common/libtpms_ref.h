/* libtpms (Debian's: the TCG reference code with IBM's patches, the engine
 * inside swtpm) as an in-process reference TPM 2.0, for husk's TPM unit
 * tests (tpm_fixture), husk-tpm-diff, husk-tpm-bench and husk-tpm-sim's
 * libtpms backend.
 *
 * libtpms keeps global state and calls back without a context pointer, so
 * there is one reference TPM per process.  Its NV "files" live here, in
 * memory: nothing touches the disk (no TPM_PATH), and the NV state
 * ("permall") can be taken out and put back as bytes.  A TPM without NV
 * state is manufactured at power-on.
 *
 * The .c is compiled apart from husk's TPM headers: libtpms's type and
 * macro names collide with them.  Link with -ltpms. */
#ifndef HUSK_TESTS_LIBTPMS_REF_H
#define HUSK_TESTS_LIBTPMS_REF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ref_send's answer when there is no TPM response at all. */
#define REF_NO_RESPONSE 0xffffffffu

/* Registers the callbacks and selects TPM 2.0: powered off, no NV state.
 * 0 or -1. */
int ref_open(void);
/* Powers off and forgets all state. */
void ref_close(void);

/* _TPM_Init after power-up, from the NV state (or manufactured if there is
 * none); Startup must follow.  Nothing if already on.  0, or -1 if libtpms
 * refused (most likely an NV state it cannot read). */
int ref_power_on(void);
/* Power loss: the NV state stays. */
void ref_power_off(void);
bool ref_powered(void);
/* ref_power_off then ref_power_on. */
int ref_power_cycle(void);
/* A fresh TPM: powered off, NV state forgotten, powered on (before
 * Startup).  0 or -1. */
int ref_manufacture(void);

/* One command as it is.  0, or -1 if the TPM is off, the command is over
 * 4096 bytes, libtpms refused the call or its response does not fit. */
int ref_process(const uint8_t *cmd, size_t len, uint8_t *rsp, size_t cap, size_t *rsp_len);
/* One command as a TSS sends it: TPM_RC_RETRY (libtpms's answer to the
 * first use of a DA-protected entity after Startup, while it records that
 * DA is in use), _YIELDED and _TESTING are answered by sending the command
 * again, up to 4 times in all.  Returns the response code, or
 * REF_NO_RESPONSE (then *rsp_len is 0) if ref_process failed or the
 * response is shorter than a header. */
uint32_t ref_send(const uint8_t *cmd, size_t len, uint8_t *rsp, size_t cap, size_t *rsp_len);

/* A copy of the NV state (from malloc; the caller frees it).  -1 if there
 * is none yet (never powered on) or no memory. */
int ref_nv_get(uint8_t **blob, size_t *len);
/* Replaces the NV state with a blob from ref_nv_get, or with none (blob
 * NULL: the next power-on manufactures); the volatile and saved state go
 * with it.  Only while powered off.  libtpms checks the blob at the next
 * ref_power_on.  0 or -1. */
int ref_nv_set(const uint8_t *blob, size_t len);

/* What libtpms is told of the command's locality (0-4) and of physical
 * presence, from now on; 0 and off unless set. */
void ref_set_locality(uint8_t locality);
void ref_set_physical_presence(bool on);

/* libtpms's version, "0.9.2". */
const char *ref_version(void);

#endif
