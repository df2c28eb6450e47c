/* The SVSM request loop: serves the guest's SVSM calls on every CPU. */
#ifndef HUSK_PROTOCOLS_REQUEST_H
#define HUSK_PROTOCOLS_REQUEST_H

#include "bootparams/bootparams.h"
#include "husk/bootinfo.h"
#include "husk/compiler.h"

/* BSP, after boot: prepares the guest (platform), the vTPM and the
 * protocols.  Only on platforms that run a guest. */
int request_init(const struct husk_boot_params *bp, const struct bp_info *vmm);
/* Every CPU: runs its guest vCPU and answers its calls, for ever.  APs
 * wait in here until request_init is done. */
HUSK_NORETURN void request_loop(void);

#endif
