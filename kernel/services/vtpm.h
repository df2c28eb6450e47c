/* The vTPM service: husk's TPM 2.0 engine for the guest (kernel/services/vtpm.c). */
#ifndef HUSK_SERVICES_VTPM_H
#define HUSK_SERVICES_VTPM_H

#include <stddef.h>
#include <stdint.h>

/* Manufactures the vTPM and derives its EK; the guest then finds a TPM
 * waiting for TPM2_Startup. */
int vtpm_init(void);
/* One TPM command; any CPU, serialized.  HUSK_ERR_RANGE if the response
 * is longer than cap. */
int vtpm_send(const uint8_t *cmd, size_t len, uint8_t locality, uint8_t *rsp, size_t cap,
	      size_t *rsp_len);
/* The EK's public area (marshaled TPMT_PUBLIC) derived at boot. */
int vtpm_ek_public(const uint8_t **pub, size_t *len);

#endif
