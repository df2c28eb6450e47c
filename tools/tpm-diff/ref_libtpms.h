/* libtpms as an in-process reference TPM for husk-tpm-diff and
 * husk-tpm-bench.  libtpms keeps global state, so there is one reference
 * TPM per process.  This file's .c is compiled apart from husk's TPM
 * headers: libtpms's type and macro names collide with them. */
#ifndef HUSK_TPM_DIFF_REF_LIBTPMS_H
#define HUSK_TPM_DIFF_REF_LIBTPMS_H

#include <stddef.h>
#include <stdint.h>

/* Registers the in-memory NV callbacks and selects TPM 2.0.  0 or -1. */
int ref_open(void);
void ref_close(void);
/* Throws the NV state away and manufactures a new TPM; powered on, before
 * Startup.  0 or -1. */
int ref_manufacture(void);
/* Saves / restores the NV state ("permall"); restoring powers the TPM off
 * and on, so Startup must follow.  0 or -1. */
int ref_snapshot(void);
int ref_restore(void);
/* _TPM_Init after power loss: NV kept, volatile state gone.  0 or -1. */
int ref_power_cycle(void);
/* One command; 0, or -1 if libtpms refused the call. */
int ref_process(const uint8_t *cmd, size_t len, uint8_t *rsp, size_t cap, size_t *rsp_len);
/* Bytes of the NV state libtpms last stored ("permall"), 0 if none. */
size_t ref_nv_size(void);
/* "0.9.2" */
const char *ref_version(void);

#endif
