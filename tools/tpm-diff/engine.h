/* The two TPMs husk-tpm-diff and husk-tpm-bench drive in one process:
 * husk's engine (lib/tpm, through tests/common/tpm_host) and libtpms
 * (tests/common/libtpms_ref), each restored to a fresh state at will. */
#ifndef HUSK_TPM_DIFF_ENGINE_H
#define HUSK_TPM_DIFF_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../../tests/common/tpmcmd.h"
#include "tpm/tpm.h"

enum { ENG_HUSK = 0, ENG_REF = 1, ENG_N = 2 };

struct eng_rsp {
	uint8_t b[TPM_BUFFER_MAX];
	size_t len;
	uint16_t tag;
	uint32_t rc;   /* ENG_BROKEN if the engine refused the call or answered garbage */
};
#define ENG_BROKEN 0xffffffffu

struct eng_opts {
	bool deterministic; /* husk: seeded entropy (tests) or getrandom (bench) */
	bool align;         /* give libtpms husk's PCR banks and DA settings */
};

/* Opens both engines and makes their "fresh" states.  0 or -1 (with a
 * message on stderr). */
int eng_open(const struct eng_opts *o);
void eng_close(void);
const char *eng_name(int e);
/* Fresh manufactured state, powered on, before Startup.  0 or -1. */
int eng_fresh(int e);
/* Power loss and _TPM_Init: NV kept.  0 or -1. */
int eng_power_cycle(int e);
/* Sends one command; r->rc is the response code (ENG_BROKEN if the call
 * failed or the response is not a TPM response). */
uint32_t eng_send(int e, const uint8_t *cmd, size_t len, struct eng_rsp *r);
/* Encodes c for engine e (its symbolic handles from symtab) and sends it;
 * ENG_BROKEN if it does not encode. */
uint32_t eng_send_cmd(int e, const struct cmd *c, const uint32_t *symtab, struct eng_rsp *r);
/* FlushContext(h); nothing if h is 0.  The response code. */
uint32_t eng_flush(int e, uint32_t h);
/* husk's context footprint (tpm_memory_used). */
size_t eng_husk_memory(void);
/* Bytes of the engine's NV state (husk: tpm_state_save; libtpms: its
 * "permall" blob), 0 if unknown. */
size_t eng_nv_size(int e);
/* libtpms's version, "0.9.2". */
const char *eng_ref_version(void);

#endif
