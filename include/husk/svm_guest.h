/* What a guest sees of husk on the svm platform: how it is started, where it
 * finds husk, and how it calls it.  Shared by the kernel (kernel/platform/svm*),
 * the IGVM builder and husk's test guest (guest/).
 *
 * The model is SEV-SNP's as seen from VMPL1 (docs/svm.md):
 *
 * - The guest payload is a flat binary the IGVM file loads at payload_gpa
 *   (husk_boot_params).  The boot vCPU starts at payload_entry in 32-bit
 *   protected mode, paging off: CS = 0x08 flat 32-bit code, DS/ES/FS/GS/SS =
 *   0x10 flat data, GDTR and IDTR empty (limit 0: load your own before
 *   reloading a segment or taking an exception), EFLAGS = 0x2, CR0 = PE|ET|NE,
 *   CR4 = 0, EFER = SVME (as on SNP, where a runnable VMSA has EFER.SVME set),
 *   EAX = HUSK_SVM_ENTRY_MAGIC, EBX = GPA of the information page, all other
 *   general registers 0.
 * - The information page (4 KiB, guest RAM) carries the SVSM fields of the
 *   SNP secrets page at the same offsets (SVSM_BASE/SIZE/CAA/MAX_VERSION/
 *   GUEST_VMPL), everything else of the secrets-page layout zero (there are
 *   no VMPCKs on svm), and a husk extension at HUSK_SVM_INFO_EXT_OFFSET.
 * - The boot vCPU's calling area is the page at SVSM_CAA.  Both pages, and
 *   the payload, start validated; every other page starts not validated.
 * - An SVSM call: store 1 to CA.call_pending, load RAX = protocol << 32 |
 *   call and RCX/RDX/R8/R9, execute VMMCALL (0f 01 d9), then exchange
 *   CA.call_pending with 0: non-zero means husk did not take the call.
 *   Results come back in RAX/RCX/RDX/R8 (lib/svsm/svsm_abi.h).
 * - husk's region [SVSM_BASE, +SVSM_SIZE) is not mapped for the guest.  An
 *   access to it is refused: husk logs it and injects #GP(0) at the
 *   faulting instruction.  Other vCPUs are started with SVSM_CORE_CREATE_VCPU
 *   from a VMSA page (APIC IDs in the extension below). */
#ifndef HUSK_SVM_GUEST_H
#define HUSK_SVM_GUEST_H

#ifndef __ASSEMBLY__
#include <stdint.h>
#endif
#include "husk/compiler.h"

#define HUSK_SVM_ENTRY_MAGIC 0x4d56534bu /* "KSVM", in EAX at entry */
#define HUSK_SVM_GUEST_VMPL  1u         /* the VMPL the guest is told it runs at */

#define HUSK_SVM_ENTRY_CS 0x08u
#define HUSK_SVM_ENTRY_DS 0x10u

/* SNP secrets-page offsets of the SVSM fields (SEV-SNP ABI, 58019). */
#define HUSK_SVM_INFO_SVSM_BASE        0x140u /* u64 */
#define HUSK_SVM_INFO_SVSM_SIZE        0x148u /* u64 */
#define HUSK_SVM_INFO_SVSM_CAA         0x150u /* u64 */
#define HUSK_SVM_INFO_SVSM_MAX_VERSION 0x158u /* u32 */
#define HUSK_SVM_INFO_SVSM_GUEST_VMPL  0x15cu /* u8 */

/* husk's extension of the information page: what firmware tables would
 * tell a guest on a real machine, without the guest having to parse ACPI. */
#define HUSK_SVM_INFO_EXT_OFFSET 0x800u
#define HUSK_SVM_INFO_EXT_MAGIC  0x314f464e494b5348ull /* "HSKINFO1" */
#define HUSK_SVM_GUEST_ARGS_MAX  256u

#ifndef __ASSEMBLY__
struct husk_svm_info_ext {
	uint64_t magic;       /* HUSK_SVM_INFO_EXT_MAGIC */
	uint32_t size;        /* sizeof(struct husk_svm_info_ext) */
	uint32_t vcpu_count;  /* vCPUs the VMM gave husk; each can run one guest vCPU */
	uint32_t boot_apic_id;/* the vCPU the guest starts on */
	uint32_t tsc_khz;     /* TSC frequency husk calibrated, for guest-side timing */
	uint32_t apic_ids[64];/* [0, vcpu_count) are valid; the boot vCPU's among them */
	/* husk's command-line words that start with "guest." (prefix kept),
	 * separated by single spaces, NUL-terminated. */
	char args[HUSK_SVM_GUEST_ARGS_MAX];
} HUSK_PACKED;
HUSK_STATIC_ASSERT(sizeof(struct husk_svm_info_ext) == 24 + 256 + HUSK_SVM_GUEST_ARGS_MAX,
		   "svm info extension layout");
HUSK_STATIC_ASSERT(HUSK_SVM_INFO_EXT_OFFSET + sizeof(struct husk_svm_info_ext) <= HUSK_PAGE_SIZE,
		   "svm info extension fits the page");
#endif

#endif
