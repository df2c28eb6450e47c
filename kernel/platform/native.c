/* The native platform: husk alone in an ordinary VM (no guest, no
 * confidential-computing hardware): boots, tests itself and exits. */
#include "arch/x86/smp_sipi.h"
#include "husk/bootinfo.h"
#include "platform/pc.h"
#include "platform/platform.h"

const struct platform_ops platform_native = {
	.name = "native",
	.type = HUSK_PLATFORM_NATIVE,
	.console_write = pc_console_write,
	.init = pc_init,
	.init_ap = pc_init_ap,
	.start_aps = smp_sipi_start,
	.entropy = pc_entropy,
	.exit = pc_exit,
	.block = &pc_block_ops,
};
