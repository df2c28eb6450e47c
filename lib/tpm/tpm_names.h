/* Names of TPM 2.0 command codes (for logs and tools). */
#ifndef HUSK_TPM_NAMES_H
#define HUSK_TPM_NAMES_H

#include <stdint.h>

/* "GetRandom" for TPM_CC_GetRandom; NULL for a code the spec does not define. */
const char *tpm_cc_name(uint32_t cc);

#endif
