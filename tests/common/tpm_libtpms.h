/* libtpms as an in-process reference TPM for differential unit tests: the
 * same command bytes go to husk's engine and to libtpms, and the tests
 * compare response codes and deterministic outputs.  libtpms keeps global
 * state, so there is one reference TPM per process.  Link with -ltpms. */
#ifndef HUSK_TESTS_TPM_LIBTPMS_H
#define HUSK_TESTS_TPM_LIBTPMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tpm_ref {
	uint8_t rsp[4096];
	size_t rsp_len;
};

/* A freshly manufactured libtpms TPM 2.0 (in-memory NV), after
 * Startup(CLEAR).  Returns 0 on success. */
int tpm_ref_init(void);
void tpm_ref_fini(void);
/* Sends raw command bytes; returns the response code (0xffffffff if libtpms
 * refused the call).  The response is copied to r. */
uint32_t tpm_ref_cmd(struct tpm_ref *r, const uint8_t *cmd, size_t len);
/* Same command layout as tpm_host_call(). */
uint32_t tpm_ref_call(struct tpm_ref *r, uint32_t cc, const uint32_t *handles, unsigned nhandles,
		      bool pw_session, const char *password, const uint8_t *params, size_t plen);
/* Builds the bytes tpm_host_call()/tpm_ref_call() send; returns the length
 * (0 if cap is too small). */
size_t tpm_ref_build(uint8_t *cmd, size_t cap, uint32_t cc, const uint32_t *handles, unsigned nhandles,
		     bool pw_session, const char *password, const uint8_t *params, size_t plen);

#endif
