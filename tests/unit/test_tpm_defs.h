/* Shared by the two halves of the TPM constants test. */
#ifndef HUSK_TEST_TPM_DEFS_H
#define HUSK_TEST_TPM_DEFS_H
#include <stdint.h>
struct tpm_const {
	const char *name;
	uint64_t value;
};
extern const struct tpm_const tss2_consts[], husk_consts[];
extern const unsigned tss2_consts_count, husk_consts_count;
#endif
