/* The vTPM service: husk's TPM 2.0 engine for the guest (kernel/services/vtpm.c). */
#ifndef HUSK_SERVICES_VTPM_H
#define HUSK_SERVICES_VTPM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Loads the vTPM's state from the disk with this storage key (NULL: no
 * key, nothing persists), or manufactures a new one, and derives its EK;
 * the guest then finds a TPM waiting for TPM2_Startup.  Fails (and husk
 * stops) if the disk holds a state it refuses. */
int vtpm_init(const uint8_t *storage_key, size_t key_len);
/* One TPM command; any CPU, serialized.  HUSK_ERR_RANGE if the response
 * is longer than cap; HUSK_ERR_IO in failure mode (a change the disk could
 * not take: that command and every later one). */
int vtpm_send(const uint8_t *cmd, size_t len, uint8_t locality, uint8_t *rsp, size_t cap,
	      size_t *rsp_len);
/* Issues certificates for the RSA-2048 and ECC P-256 EKs with this CA (key
 * and certificate, PEM or DER) and writes them to NV 0x01C00002 and
 * 0x01C0000A, leaving identical ones alone; *changed if NV changed. */
int vtpm_provision_ek_certs(const uint8_t *key, size_t key_len, const uint8_t *cert,
			    size_t cert_len, bool *changed);
/* The EK's public area (marshaled TPMT_PUBLIC) derived at boot. */
int vtpm_ek_public(const uint8_t **pub, size_t *len);

#endif
