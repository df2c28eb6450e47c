/* Names of TPM 2.0 command and response codes, for husk-tpm-diff's and
 * husk-tpm-bench's reports. */
#ifndef HUSK_TPM_DIFF_NAMES_H
#define HUSK_TPM_DIFF_NAMES_H

#include <stddef.h>
#include <stdint.h>

/* "PCR_Extend", or "0x00000abc" for an unknown code (static buffer). */
const char *cc_name(uint32_t cc);
uint32_t cc_by_name(const char *name); /* 0 if unknown */
/* "TPM_RC_VALUE+P1", "TPM_RC_REFERENCE_H0", ... (buffer of at least 48). */
const char *rc_name(uint32_t rc, char *buf, size_t cap);

#endif
