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
#include "svsm/svsm.h"

/* What the layer above needs to serve the guest, from platform guest
 * preparation. */
struct guest_launch {
	uint64_t info_gpa;      /* the information page the guest is told about */
	uint64_t boot_ca_gpa;   /* the boot vCPU's calling area */
	uint32_t boot_apic_id;
	uint32_t vcpu_count;
	uint32_t apic_ids[HUSK_MAX_CPUS];
	uint64_t sev_features;  /* the boot vCPU's */
	uint8_t guest_vmpl;
};

enum guest_exit_kind {
	GUEST_EXIT_SVSM_CALL = 1, /* regs hold the call; answer with complete() */
	GUEST_EXIT_VCPU_GONE,     /* the vCPU on this CPU stopped on its own (triple
	                           * fault, INIT): the APIC ID is free again */
};

struct guest_exit {
	uint32_t kind;    /* enum guest_exit_kind */
	uint32_t apic_id; /* of this CPU */
	struct svsm_regs regs;
};

/* Platforms that run a guest below husk (svm; snp later).  Everything here
 * runs on the CPU that calls it unless said otherwise. */
struct platform_guest_ops {
	/* BSP, once, after every CPU is up: nested paging, the guest's memory
	 * bookkeeping, the information page and the boot calling area.
	 * guest_args: husk's command-line words for the guest. */
	int (*prepare)(const struct husk_boot_params *bp, const struct bp_info *vmm,
		       const char *guest_args, struct guest_launch *out);
	/* Runs this CPU's guest vCPU until something needs the layer above.
	 * Waits while this CPU has no vCPU (the boot CPU's starts at once,
	 * the others when CREATE_VCPU names them).  Never returns on a CPU
	 * whose vCPU cannot go on (e.g. it got an INIT). */
	void (*run)(struct guest_exit *ex);
	/* After svsm_call on a GUEST_EXIT_SVSM_CALL exit. */
	void (*complete)(const struct guest_exit *ex, enum svsm_outcome outcome);
	/* The svsm_platform_ops the protocols need (lib/svsm/svsm.h). */
	int (*read)(uint64_t gpa, void *buf, size_t len);
	int (*write)(uint64_t gpa, const void *buf, size_t len);
	int (*zero)(uint64_t gpa, uint64_t len);
	bool (*guest_ram)(uint64_t gpa, uint64_t len);
	uint32_t (*pvalidate)(uint64_t gpa, bool huge, bool validate, bool *unchanged);
	uint32_t (*vcpu_start)(uint32_t apic_id, const uint8_t *vmsa, uint64_t vmsa_gpa,
			       uint64_t ca_gpa);
	uint32_t (*vcpu_stop)(uint32_t apic_id, uint64_t vmsa_gpa);
	/* An attestation report with this REPORT_DATA (lib/svsm/svsm.h's
	 * attest_report op); NULL if the platform has none. */
	uint32_t (*attest_report)(const uint8_t report_data[64], uint8_t *report, uint64_t certs_gpa,
				  uint32_t certs_cap, uint32_t *certs_len);
};

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
	/* NULL on platforms without a guest (native). */
	const struct platform_guest_ops *guest;
};

/* Picks the ops for a platform type; HUSK_ERR_UNSUPPORTED if husk has none. */
int platform_select(uint32_t type);
const struct platform_ops *platform(void);
HUSK_NORETURN void platform_exit(bool success);

extern const struct platform_ops platform_native;
extern const struct platform_ops platform_svm;

#endif
