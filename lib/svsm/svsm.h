/* The SVSM protocols, portable: the calling-area handshake, the core
 * protocol (REMAP_CA, PVALIDATE, CREATE_VCPU, DELETE_VCPU, QUERY_PROTOCOL,
 * and the answers for DEPOSIT_MEM, WITHDRAW_MEM, CONFIGURE_VTOM) and the vTPM
 * protocol (VTPM_QUERY, VTPM_CMD), the attestation protocol
 * (ATTEST_SERVICES, ATTEST_SINGLE_SERVICE), with the registry of the guest's vCPUs
 * (APIC ID, calling area, VMSA).
 *
 * Built freestanding for the kernel and hosted for unit tests, the fuzzer
 * and the instruction-count benchmark.  Knows nothing of the hardware: every
 * guest-memory access, page validation, vCPU start/stop and TPM command goes
 * through the platform's ops.  Every guest input is copied into husk once
 * (through ops->read) and validated there.
 *
 * Thread safety: svsm_call may run on several CPUs at once, one call per
 * vCPU at a time.  The registry is protected by a spinlock inside struct
 * svsm; no op is called with that lock held. */
#ifndef HUSK_SVSM_H
#define HUSK_SVSM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "husk/bootinfo.h"
#include "svsm/svsm_abi.h"

/* The registers of an SVSM call: inputs on entry, results on return. */
struct svsm_regs {
	uint64_t rax, rcx, rdx, r8, r9;
};

/* The pvalidate op's answer when the platform could not record the change
 * now (the svm platform's RMP model had no memory for it, svsm_rmp.h):
 * nothing changed; the call fails with SVSM_ERR_BUSY, `next` at that entry,
 * and the guest calls again.  Not an SNP code (those are below 0x100). */
#define SVSM_PVALIDATE_OP_RETRY 0x100u

struct svsm_platform_ops {
	/* Copy guest memory [gpa, gpa + len) into buf, or buf into it.
	 * len <= 4096; the range may cross a page boundary.  HUSK_ERR_RANGE if
	 * any byte is not memory the guest may hand to husk (husk's region,
	 * not RAM, a page husk holds as a VMSA). */
	int (*read)(void *ctx, uint64_t gpa, void *buf, size_t len);
	int (*write)(void *ctx, uint64_t gpa, const void *buf, size_t len);
	/* Zero [gpa, gpa + len); page aligned, len a page multiple (<= 2 MiB). */
	int (*zero)(void *ctx, uint64_t gpa, uint64_t len);
	/* True if [gpa, gpa + len) is guest RAM outside husk's region, i.e.
	 * may be a calling area, VMSA or PVALIDATE target. */
	bool (*guest_ram)(void *ctx, uint64_t gpa, uint64_t len);
	/* PVALIDATE of one 4 KiB or 2 MiB page: returns the SNP instruction's
	 * code (SNP_PVALIDATE_*); *unchanged = CF (the state was already so).
	 * Or SVSM_PVALIDATE_OP_RETRY: nothing changed, try later. */
	uint32_t (*pvalidate)(void *ctx, uint64_t gpa, bool huge, bool validate, bool *unchanged);
	/* Runs the checked VMSA (4096 bytes, a copy in husk) on the vCPU with
	 * this APIC ID; that vCPU's SVSM calls use the calling area ca_gpa.
	 * Returns an SVSM result code (SVSM_SUCCESS, or e.g. SVSM_ERR_BUSY). */
	uint32_t (*vcpu_start)(void *ctx, uint32_t apic_id, const uint8_t *vmsa, uint64_t vmsa_gpa,
			       uint64_t ca_gpa);
	/* Stops the guest vCPU running on apic_id (another vCPU than the
	 * caller's) and writes its final state back into the VMSA page at
	 * vmsa_gpa.  SVSM result code. */
	uint32_t (*vcpu_stop)(void *ctx, uint32_t apic_id, uint64_t vmsa_gpa);
	/* One TPM command (TPM_SEND_COMMAND) for the vTPM; NULL if husk has no
	 * vTPM (protocol 2 is then absent).  Writes the TPM response; 0 or a
	 * husk_err code. */
	int (*vtpm_send)(void *ctx, const uint8_t *cmd, size_t len, uint8_t locality, uint8_t *rsp,
			 size_t cap, size_t *rsp_len);
	/* The vTPM's EK public area (the RSA-2048 EK of TCG template L-1) as a
	 * marshalled TPMT_PUBLIC without the TPM2B size: the vTPM service's
	 * attestation manifest.  NULL if husk has no vTPM.  0 or a husk_err. */
	int (*vtpm_ek_public)(void *ctx, uint8_t *buf, size_t cap, size_t *len);
	/* An attestation report for the attestation protocol (NULL: protocol
	 * 1 is absent): the platform's SNP ATTESTATION_REPORT layout,
	 * SVSM_ATTEST_REPORT_BYTES bytes, requested at VMPL 0 with this
	 * REPORT_DATA.  When certs_cap > 0 the platform also writes the host's
	 * certificate table to guest memory at certs_gpa and sets *certs_len
	 * (0: none); if it needs more than certs_cap it writes nothing, sets
	 * *certs_len to what it needs and answers SVSM_ERR_INVALID_PARAMETER.
	 * Returns an SVSM code: SVSM_SUCCESS, SVSM_ERR_INVALID_PARAMETER,
	 * SVSM_ERR_INVALID_ADDRESS (certs_gpa) or SVSM_ERR_ATTEST_FAILED. */
	uint32_t (*attest_report)(void *ctx, const uint8_t report_data[64], uint8_t *report,
				  uint64_t certs_gpa, uint32_t certs_cap, uint32_t *certs_len);
	void *ctx;
};

enum svsm_vcpu_state {
	SVSM_VCPU_ABSENT = 0, /* no guest vCPU on this APIC ID */
	SVSM_VCPU_STARTING,   /* CREATE_VCPU in progress */
	SVSM_VCPU_RUNNING,
	SVSM_VCPU_STOPPING,   /* DELETE_VCPU in progress */
};

struct svsm_vcpu {
	uint32_t apic_id;
	uint32_t state;   /* enum svsm_vcpu_state */
	uint64_t ca_gpa;  /* current calling area */
	uint64_t vmsa_gpa;/* 0 for the boot vCPU (started by husk, no VMSA page) */
	bool boot;
	/* lib/svsm's own: bumped by each CREATE_VCPU of this APIC ID, so that
	 * a CREATE or DELETE that ran an op unlocked finds out whether the
	 * slot is still the one it changed (svsm_vcpu_stopped may have freed
	 * and another CREATE reused it meanwhile). */
	uint32_t gen;
	/* lib/svsm's own: the page this vCPU's PVALIDATE is working on (len 0:
	 * none); CREATE_VCPU and REMAP_CA of other vCPUs do not take it
	 * meanwhile, so no op validates or zeroes a page that became a VMSA. */
	uint64_t pval_gpa, pval_len;
};

struct svsm_config {
	uint32_t vcpu_count;           /* APIC IDs in apic_ids[] */
	uint32_t apic_ids[HUSK_MAX_CPUS];
	uint32_t boot_apic_id;         /* runs from the start, with boot_ca_gpa */
	uint64_t boot_ca_gpa;
	uint64_t sev_features;         /* the boot vCPU's; CREATE_VCPU must match */
	uint8_t guest_vmpl;            /* the VMPL the guest runs at (>= 1) */
};

struct svsm {
	const struct svsm_platform_ops *ops;
	struct svsm_config cfg;
	struct svsm_vcpu vcpus[HUSK_MAX_CPUS];
	uint32_t lock; /* spinlock over vcpus[] */
};

/* What the caller does after svsm_call. */
enum svsm_outcome {
	SVSM_RESUME,          /* regs hold the results: resume the guest with them */
	SVSM_RESUME_SPURIOUS, /* no call was pending: resume, registers untouched */
	SVSM_STOP_SELF,       /* the vCPU deleted itself: do not resume it */
};

/* HUSK_ERR_INVAL for an unusable configuration (no vCPUs, boot APIC ID not
 * listed, duplicate APIC IDs, guest_vmpl 0, unaligned boot CA). */
int svsm_init(struct svsm *s, const struct svsm_platform_ops *ops, const struct svsm_config *cfg);

/* One SVSM call made by the vCPU with this APIC ID (it executed VMMCALL or
 * the platform's equivalent with regs as its registers): reads and clears
 * the calling area's call_pending, dispatches and writes the results into
 * regs. */
enum svsm_outcome svsm_call(struct svsm *s, uint32_t apic_id, struct svsm_regs *regs);

/* The platform has stopped a vCPU that deleted itself (SVSM_STOP_SELF) or
 * that it had to stop (triple fault): its state is back in its VMSA page (if
 * it has one) and the APIC ID is free for CREATE_VCPU again. */
void svsm_vcpu_stopped(struct svsm *s, uint32_t apic_id);

/* The vCPU state for an APIC ID (NULL if the APIC ID is not the guest's);
 * for the platform's request loop. */
const struct svsm_vcpu *svsm_vcpu(const struct svsm *s, uint32_t apic_id);

/* Checks a VMSA for CREATE_VCPU: VMPL, EFER.SVME, SEV features, and the
 * state that VMRUN would refuse (AMD APM vol. 2, 15.5.1).  Returns
 * SVSM_SUCCESS or SVSM_ERR_INVALID_PARAMETER. */
uint32_t svsm_vmsa_check(const uint8_t *vmsa, uint8_t guest_vmpl, uint64_t sev_features);

#endif
