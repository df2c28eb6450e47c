/* The svm platform's parts and what they share (kernel/platform/svm*.c):
 *   svm.c       the ops table, per-CPU SVM set-up, guest preparation
 *   svm_mem.c   guest memory: what is guest RAM, copies in and out, the
 *               validated-page model (lib/svsm/svsm_rmp), the info page
 *   svm_npt.c   the nested page tables
 *   svm_vcpu.c  the guest vCPUs: VMCB set-up, the run loop and its exits,
 *               starting and stopping vCPUs from VMSAs
 *   svm_attest.c  unsigned attestation reports with husk's self-measurement
 * docs/svm.md describes the platform. */
#ifndef HUSK_PLATFORM_SVM_INTERNAL_H
#define HUSK_PLATFORM_SVM_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bootparams/bootparams.h"
#include "husk/bootinfo.h"
#include "platform/platform.h"

/* ---- svm_mem.c ---- */
int svm_mem_init(const struct husk_boot_params *bp, const struct bp_info *vmm);
/* Highest guest-physical address the nested page tables map (exclusive). */
uint64_t svm_mem_top(void);
bool svm_mem_is_ram(uint64_t gpa, uint64_t len);   /* guest RAM outside husk */
bool svm_mem_in_husk(uint64_t gpa, uint64_t len);  /* touches husk's region */
int svm_mem_read(uint64_t gpa, void *buf, size_t len);
int svm_mem_write(uint64_t gpa, const void *buf, size_t len);
int svm_mem_zero(uint64_t gpa, uint64_t len);
/* Writes a VMSA page husk still holds (its final state, before the page
 * goes back to the guest). */
int svm_mem_write_vmsa(uint64_t gpa, const void *vmsa);
bool svm_mem_guest_ram(uint64_t gpa, uint64_t len);
uint32_t svm_mem_pvalidate(uint64_t gpa, bool huge, bool validate, bool *unchanged);

/* ---- svm_npt.c ---- */
int svm_npt_init(const struct bp_info *vmm, uint64_t region_base, uint64_t region_size,
		 uint64_t top);
uint64_t svm_npt_root(void);
/* Takes one 4 KiB page away from the guest, or gives it back. */
int svm_npt_hide(uint64_t gpa);
int svm_npt_unhide(uint64_t gpa);
/* Bumped on every change; a CPU that saw another value flushes its TLB. */
uint64_t svm_npt_generation(void);

/* ---- svm_vcpu.c ---- */
/* Per-CPU VMCB and host save pages; on each CPU before it runs a vCPU. */
int svm_vcpu_cpu_init(void);
/* The boot vCPU's entry state (BSP, before svm_vcpu_launch). */
void svm_vcpu_set_boot(uint64_t entry, uint64_t info_gpa);
void svm_vcpu_launch(void);
void svm_vcpu_run(struct guest_exit *ex);
void svm_vcpu_complete(const struct guest_exit *ex, enum svsm_outcome outcome);
uint32_t svm_vcpu_start(uint32_t apic_id, const uint8_t *vmsa, uint64_t vmsa_gpa, uint64_t ca_gpa);
uint32_t svm_vcpu_stop(uint32_t apic_id, uint64_t vmsa_gpa);
/* True if a page of [gpa, gpa + len) is a VMSA husk holds. */
bool svm_vcpu_holds(uint64_t gpa, uint64_t len);
/* Takes I/O ports [port, port + count) away from the guest: an IN or OUT
 * that touches one is refused with #GP(0) and logged as touching `owner`
 * (a string that lives for the whole run).  Never undone.  After
 * svm_vcpu_cpu_init on the BSP; any CPU, any time. */
int svm_vcpu_io_intercept(uint16_t port, uint32_t count, const char *owner);

/* ---- svm_attest.c ---- */
/* Measures husk and the guest payload (before the guest runs). */
int svm_attest_init(const struct husk_boot_params *bp);
void svm_attest_measurement(uint8_t out[48]);
uint32_t svm_attest_report(const uint8_t report_data[64], uint8_t *out, uint64_t certs_gpa,
			   uint32_t certs_cap, uint32_t *certs_len);

#endif
