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

/* husk's own block device, for the vTPM's persistent state (PC platforms:
 * a virtio-blk disk, docs/storage-device.md).  512-byte sectors; buf is
 * husk memory (any husk address: the driver copies through its own DMA
 * buffer).  The device is the host's: what it stores is neither secret nor
 * authentic unless the caller makes it so (lib/vstore).  Requests are
 * serialised inside; any CPU may call. */
#define PLATFORM_BLOCK_SECTOR_SIZE 512u
#define PLATFORM_BLOCK_MAX_SECTORS 64u /* per read or write call */

struct platform_block_ops {
	/* Finds and sets up the device; HUSK_OK at once if it is up.
	 * HUSK_ERR_NOTFOUND if the VMM attached none (husk then runs without
	 * persistence); other codes if one is attached but unusable. */
	int (*init)(void);
	/* Resets the device and frees its memory; init may be called again. */
	void (*fini)(void);
	/* Capacity in 512-byte sectors as read at init; 0 if not up. */
	uint64_t (*sectors)(void);
	/* count sectors from lba.  HUSK_ERR_INVAL: count 0 or more than
	 * PLATFORM_BLOCK_MAX_SECTORS, or buf NULL; HUSK_ERR_RANGE: beyond the
	 * capacity; HUSK_ERR_IO: the device failed, broke the protocol or is
	 * not up; HUSK_ERR_TIMEOUT: no answer in time (the device is dropped);
	 * HUSK_ERR_UNSUPPORTED: write to a read-only device.  A failed read
	 * leaves buf unchanged. */
	int (*read)(uint64_t lba, uint32_t count, void *buf);
	int (*write)(uint64_t lba, uint32_t count, const void *buf);
	/* Writes before it are on stable storage when it returns HUSK_OK (as
	 * far as the device can be believed).  A device without a flush
	 * command is taken at its word that it caches nothing (logged). */
	int (*flush)(void);
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
	/* NULL on platforms without a block device for husk. */
	const struct platform_block_ops *block;
};

/* Picks the ops for a platform type; HUSK_ERR_UNSUPPORTED if husk has none. */
int platform_select(uint32_t type);
const struct platform_ops *platform(void);
HUSK_NORETURN void platform_exit(bool success);

extern const struct platform_ops platform_native;
extern const struct platform_ops platform_svm;

#endif
