/* Starting application processors with INIT-SIPI (native and svm platforms). */
#ifndef HUSK_ARCH_X86_SMP_SIPI_H
#define HUSK_ARCH_X86_SMP_SIPI_H

#include "bootparams/bootparams.h"

#include <stdbool.h>

/* Starts total-1 APs (CPU indexes 1..total-1) and waits for them.  Returns
 * HUSK_OK even if fewer came up (the caller counts them); an error only if
 * nothing could be attempted.  *keep_boot_mappings is set when a CPU may
 * still be executing the start-up pages. */
int smp_sipi_start(unsigned total, const struct bp_info *info, bool *keep_boot_mappings);

#endif
