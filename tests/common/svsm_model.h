/* A model platform for lib/svsm, shared by its unit tests, the fuzz target
 * and the instruction-count benchmark (tools/svsm-bench): guest RAM as a host
 * array with a pretend husk region and an MMIO hole inside, the svm
 * platform's RMP model (lib/svsm/svsm_rmp.h), a pretend vCPU table that
 * holds VMSA pages the way the real platforms do, and a fake vTPM.
 *
 * Guest-physical layout (MODEL_MEM_SIZE = 16 MiB):
 *   [0, 8 MiB)        RAM
 *   [8 MiB, 10 MiB)   husk's region: not guest RAM, filled with 0xa5
 *   [10 MiB, 12 MiB)  RAM
 *   [12 MiB, 14 MiB)  MMIO hole: not RAM
 *   [14 MiB, 16 MiB)  RAM
 *   16 MiB and up     nothing
 * The boot vCPU (APIC ID 0) uses the calling area at MODEL_BOOT_CA.
 *
 * The ops also watch lib/svsm: an op asked to touch husk's region or a VMSA
 * page the platform holds, an op called with the registry lock held
 * (check_lock), or a zero of anything but a page the last PVALIDATE just
 * validated (check_zero) counts as a violation.  Each op is a separate
 * function named svsm_model_op_* so that scripts/bench-svsm.py can tell the
 * platform's instructions from husk's. */
#ifndef HUSK_TESTS_SVSM_MODEL_H
#define HUSK_TESTS_SVSM_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "svsm/svsm.h"
#include "svsm/svsm_rmp.h"

#define MODEL_MEM_SIZE   (16ull << 20)
#define MODEL_PAGES      (MODEL_MEM_SIZE / 4096)
#define MODEL_HUSK_BASE  (8ull << 20)
#define MODEL_HUSK_SIZE  (2ull << 20)
#define MODEL_HOLE_BASE  (12ull << 20)
#define MODEL_HOLE_SIZE  (2ull << 20)
#define MODEL_BOOT_CA    0x1000ull
#define MODEL_SEV_FEATURES 0x1ull /* SNPActive */
#define MODEL_HUSK_FILL  0xa5u
#define MODEL_MAX_APIC   256u
#define MODEL_VCPUS      8u /* APIC IDs 0, 1, 2, 3, 4, 6, 9, 200 */

/* What the model's VMSA writer leaves in a stopped vCPU's VMSA page (RIP). */
#define MODEL_STOPPED_RIP 0x5709edull

/* The model's attestation report: REPORT_DATA at 0x50, VMPL (0) at 0x30,
 * version 2 at 0, every other byte MODEL_REPORT_FILL; the default EK public
 * area is MODEL_EK_LEN bytes (i * 5 + 3); certificate bytes are (i * 3 + 1). */
#define MODEL_REPORT_FILL 0x5eu
#define MODEL_EK_LEN      310u

struct svsm_model {
	struct svsm svsm;
	struct svsm_platform_ops ops;
	struct svsm_config cfg;
	struct svsm_rmp rmp;
	uint8_t *mem; /* MODEL_MEM_SIZE bytes; GPA 0 at mem[0] */
	uint8_t dirty[MODEL_PAGES / 8]; /* pages written since the last reset */
	uint32_t lock; /* over vcpu[] and the last_* fields */

	struct {
		bool held;         /* the platform runs it and holds its VMSA page */
		uint64_t vmsa_gpa; /* 0 for the boot vCPU */
		uint64_t ca_gpa;
	} vcpu[MODEL_MAX_APIC];
	uint32_t n_held;
	uint8_t last_vmsa[4096]; /* the copy the last vcpu_start got */

	/* Behaviour (set by tests; 0 = normal). */
	uint32_t start_result;    /* vcpu_start's answer */
	uint32_t stop_result;     /* vcpu_stop's answer (nothing stops unless SUCCESS) */
	uint32_t pvalidate_force; /* non-zero: pvalidate answers this instead */
	int zero_fail;            /* zero fails */
	int write_fail_gpa_set;   /* writes to [write_fail_gpa, +4 KiB) fail */
	uint64_t write_fail_gpa;
	int alloc_fail;           /* RMP allocations fail */
	int vtpm_err;             /* vtpm_send returns this */
	size_t vtpm_rsp_len;      /* response length (0: echo the command) */
	int ek_err;               /* vtpm_ek_public returns this */
	size_t ek_len;            /* its EK public area: ek_len bytes (i * 5 + 3) */
	uint32_t attest_result;   /* attest_report's answer (0: a report) */
	uint32_t certs_len;       /* the host's certificate table (bytes; 0: none) */
	/* Called inside vcpu_stop / vcpu_start (with no lock of the model held). */
	void (*stop_hook)(struct svsm_model *m, uint32_t apic_id);
	void (*start_hook)(struct svsm_model *m, uint32_t apic_id);
	/* Called at the start of each pvalidate (another vCPU of the guest
	 * changing memory meanwhile). */
	void (*pvalidate_hook)(struct svsm_model *m, uint64_t gpa);
	void *hook_arg;

	/* What happened. */
	uint32_t n_read, n_write, n_zero, n_guest_ram, n_pvalidate, n_start, n_stop, n_vtpm;
	uint32_t n_attest;
	uint8_t last_report_data[64];
	uint8_t last_cmd[4096];
	size_t last_cmd_len;
	uint8_t last_locality;
	uint64_t last_zero_gpa, last_zero_len;

	/* Violations (must stay 0). */
	uint32_t husk_touch; /* an op was asked to read/write/zero/validate husk's region */
	uint32_t vmsa_touch; /* ... to zero or validate a VMSA page the platform holds */
	uint32_t lock_held;  /* an op ran with svsm.lock held */
	uint32_t bad_zero;   /* a zero of a range that did not just become validated */
	bool check_lock, check_zero;
	uint64_t zero_due_gpa, zero_due_len; /* validated, not yet zeroed */
};

/* Allocates the model (guest memory included) and runs svsm_init with the
 * default configuration (APIC IDs above, boot vCPU 0, guest VMPL 1) and a
 * vTPM unless vtpm is false.  NULL on failure. */
struct svsm_model *svsm_model_new(bool vtpm);
void svsm_model_free(struct svsm_model *m);
/* Back to the state svsm_model_new left (cheap: only pages written since
 * are cleared); for the fuzzer.  0 or a husk_err. */
int svsm_model_reset(struct svsm_model *m, bool vtpm);

/* Guest memory access from the test's side (the guest writing its own
 * memory): no checks but the bounds of the array. */
void svsm_model_poke(struct svsm_model *m, uint64_t gpa, const void *p, size_t len);
void svsm_model_peek(const struct svsm_model *m, uint64_t gpa, void *p, size_t len);
void svsm_model_poke64(struct svsm_model *m, uint64_t gpa, uint64_t v);
uint64_t svsm_model_peek64(const struct svsm_model *m, uint64_t gpa);
bool svsm_model_husk_intact(const struct svsm_model *m);

/* The guest's side of a call from the vCPU apic_id: sets call_pending = 1
 * in its current CA (if it has one), loads the registers and runs
 * svsm_call.  On SVSM_STOP_SELF does the platform's part (writes the final
 * state into the VMSA page, svsm_vcpu_stopped).  Returns the outcome; the
 * registers after the call are in *out (may be NULL). */
enum svsm_outcome svsm_model_call(struct svsm_model *m, uint32_t apic_id, uint64_t rax,
				  uint64_t rcx, uint64_t rdx, uint64_t r8, uint64_t r9,
				  struct svsm_regs *out);
/* The same with call_pending = pending, and *regs in and out. */
enum svsm_outcome svsm_model_call_pending(struct svsm_model *m, uint32_t apic_id, uint8_t pending,
					  struct svsm_regs *regs);
/* The same, returning RAX bits 31:0 (SVSM_RESUME expected). */
uint32_t svsm_model_rc(struct svsm_model *m, uint32_t apic_id, uint64_t rax, uint64_t rcx,
		       uint64_t rdx, uint64_t r8);

/* Writes svsm_model_vmsa() at vmsa_gpa and has vCPU caller CREATE_VCPU
 * apic_id from it with its CA at ca_gpa; returns RAX bits 31:0. */
uint32_t svsm_model_create(struct svsm_model *m, uint32_t caller, uint32_t apic_id,
			   uint64_t vmsa_gpa, uint64_t ca_gpa);

/* The platform stops a vCPU on its own (triple fault): releases the VMSA,
 * writes it back, calls svsm_vcpu_stopped. */
void svsm_model_crash(struct svsm_model *m, uint32_t apic_id);

/* A VMSA that svsm_vmsa_check accepts: VMPL 1, 64-bit long mode, the
 * model's SEV features. */
void svsm_model_vmsa(uint8_t vmsa[4096]);

/* Registry and platform agree and the registry is consistent: every vCPU
 * not ABSENT has a 4 KiB-aligned guest-RAM CA (and VMSA, unless boot), no
 * two such pages coincide, and the platform holds exactly the VMSAs of
 * the RUNNING vCPUs (transient states allowed if transient_ok).  NULL if
 * so, else what is wrong. */
const char *svsm_model_check_registry(struct svsm_model *m, bool transient_ok);

/* All the model watches: no violation counted, the registry consistent
 * with no transient state left, the RMP model consistent, and (if full, a
 * 2 MiB compare) husk's region intact.  NULL if so, else what is wrong. */
const char *svsm_model_check(struct svsm_model *m, bool full);

#endif
