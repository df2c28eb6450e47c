/* The platform interface: the one place that knows which hardware husk runs
 * on (native, svm, snp, tdx).  One ops table, chosen at boot from the boot
 * parameters.  Layers above call only these functions. */
#ifndef HUSK_PLATFORM_PLATFORM_H
#define HUSK_PLATFORM_PLATFORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bootparams/bootparams.h"
#include "husk/compiler.h"

struct platform_ops {
	const char *name;
	uint32_t type; /* enum husk_platform */
	/* Console output; usable before init. */
	void (*console_write)(const char *s, size_t n);
	/* After memory management is up (BSP). */
	int (*init)(void);
	/* Per-AP set-up, on the AP. */
	void (*init_ap)(void);
	/* Start vCPUs 1..total-1; they enter ap_main().  Sets
	 * *keep_boot_mappings if a CPU may still run start-up code from the
	 * low-half identity mappings, which then must stay. */
	int (*start_aps)(unsigned total, const struct bp_info *info, bool *keep_boot_mappings);
	/* Fill buf with hardware entropy. */
	int (*entropy)(void *ctx, uint8_t *buf, size_t len);
	/* End the run: success or failure as the VMM can see it. */
	HUSK_NORETURN void (*exit)(bool success);
};

/* Picks the ops for a platform type; HUSK_ERR_UNSUPPORTED if husk has none. */
int platform_select(uint32_t type);
const struct platform_ops *platform(void);
HUSK_NORETURN void platform_exit(bool success);

extern const struct platform_ops platform_native;

#endif
