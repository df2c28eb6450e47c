/* A hosted environment for husk's TPM engine in tests and tools: libc
 * allocation, getrandom(2) entropy (or a seeded deterministic stream for
 * reproducible tests), CLOCK_MONOTONIC, plus command helpers. */
#ifndef HUSK_TESTS_TPM_HOST_H
#define HUSK_TESTS_TPM_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tpm/tpm.h"

struct tpm_host {
	struct tpm *tpm;
	struct tpm_env env;
	uint64_t det_state;  /* deterministic entropy when non-zero */
	uint64_t fake_ms;    /* clock when use_fake_clock */
	bool use_fake_clock;
	uint8_t rsp[TPM_BUFFER_MAX];
	size_t rsp_len;
};

/* crypto_init + tpm_create + tpm_manufacture + tpm_power_on; seed != 0
 * makes entropy deterministic.  Returns 0 or a husk_err code. */
int tpm_host_init(struct tpm_host *h, uint64_t seed);
void tpm_host_fini(struct tpm_host *h);
/* Sends a command; returns the response code (or 0xffffffff if the engine
 * refused the call).  The response stays in h->rsp. */
uint32_t tpm_host_cmd(struct tpm_host *h, const uint8_t *cmd, size_t len);
/* Builds (tpmcmd.h's cmd_build) and sends: tag, cc, handles, a password
 * session if pw_session (password NULL: empty), parameters. */
uint32_t tpm_host_call(struct tpm_host *h, uint32_t cc, const uint32_t *handles, unsigned nhandles,
		       bool pw_session, const char *password, const uint8_t *params, size_t plen);
uint32_t tpm_host_startup(struct tpm_host *h, uint16_t type);

#endif
