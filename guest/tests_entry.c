/* Conformance, suite "entry": the state husk starts the guest in and the
 * information page (include/husk/svm_guest.h). */
#include <string.h>

#include "gtest.h"

static void t_registers(struct gt *t, const void *arg)
{
	const struct guest_entry_state *e = &guest_entry_state;

	GT_EXPECT(t, e->eax == HUSK_SVM_ENTRY_MAGIC, "EAX 0x%08x, expected 0x%08x", e->eax,
		  HUSK_SVM_ENTRY_MAGIC);
	GT_EXPECT(t, e->ebx && !(e->ebx & 0xfff), "EBX 0x%08x is not a page's GPA", e->ebx);
	GT_EXPECT(t, !e->ecx && !e->edx && !e->esi && !e->edi && !e->ebp && !e->esp,
		  "ECX %x EDX %x ESI %x EDI %x EBP %x ESP %x: all must be 0", e->ecx, e->edx,
		  e->esi, e->edi, e->ebp, e->esp);
}

static void t_segments(struct gt *t, const void *arg)
{
	const struct guest_entry_state *e = &guest_entry_state;

	GT_EXPECT(t, e->cs == HUSK_SVM_ENTRY_CS, "CS 0x%x, expected 0x%x", e->cs, HUSK_SVM_ENTRY_CS);
	GT_EXPECT(t, e->ds == HUSK_SVM_ENTRY_DS && e->es == HUSK_SVM_ENTRY_DS &&
			     e->fs == HUSK_SVM_ENTRY_DS && e->gs == HUSK_SVM_ENTRY_DS &&
			     e->ss == HUSK_SVM_ENTRY_DS,
		  "DS %x ES %x FS %x GS %x SS %x, expected 0x%x", e->ds, e->es, e->fs, e->gs,
		  e->ss, HUSK_SVM_ENTRY_DS);
}

static void t_control(struct gt *t, const void *arg)
{
	const struct guest_entry_state *e = &guest_entry_state;
	uint64_t efer = (uint64_t)e->efer_hi << 32 | e->efer_lo;

	GT_EXPECT(t, e->cr0 == 0x31, "CR0 0x%x, expected 0x31 (PE|ET|NE)", e->cr0);
	GT_EXPECT(t, e->cr4 == 0, "CR4 0x%x, expected 0", e->cr4);
	GT_EXPECT(t, efer == VMSA_EFER_SVME, "EFER 0x%llx, expected 0x1000 (SVME)",
		  (unsigned long long)efer);
	GT_EXPECT(t, e->eflags == 0x2, "EFLAGS 0x%x, expected 0x2", e->eflags);
}

static void t_descriptor_tables(struct gt *t, const void *arg)
{
	GT_EXPECT(t, guest_entry_state.gdtr_limit == 0, "GDTR limit 0x%x, expected 0",
		  guest_entry_state.gdtr_limit);
	GT_EXPECT(t, guest_entry_state.idtr_limit == 0, "IDTR limit 0x%x, expected 0",
		  guest_entry_state.idtr_limit);
}

static void t_info_svsm_fields(struct gt *t, const void *arg)
{
	GT_EXPECT(t, ginfo.svsm_size && !(ginfo.svsm_base & 0xfff) && !(ginfo.svsm_size & 0xfff),
		  "SVSM_BASE 0x%llx SVSM_SIZE 0x%llx: must be non-empty and page aligned",
		  (unsigned long long)ginfo.svsm_base, (unsigned long long)ginfo.svsm_size);
	GT_EXPECT(t, !(ginfo.boot_caa & 0xfff) &&
			     !ranges_overlap(ginfo.boot_caa, PAGE_SIZE, ginfo.svsm_base, ginfo.svsm_size),
		  "SVSM_CAA 0x%llx: page aligned and outside husk's region",
		  (unsigned long long)ginfo.boot_caa);
	GT_EXPECT(t, !ranges_overlap(ginfo.info_gpa, PAGE_SIZE, ginfo.svsm_base, ginfo.svsm_size) &&
			     ginfo.info_gpa != ginfo.boot_caa,
		  "the information page 0x%llx overlaps husk's region or the CA",
		  (unsigned long long)ginfo.info_gpa);
	GT_EXPECT(t, !ranges_overlap(GUEST_BASE, (uint64_t)(uintptr_t)__guest_end - GUEST_BASE,
				     ginfo.svsm_base, ginfo.svsm_size),
		  "the guest image overlaps husk's region");
	GT_EXPECT(t, ginfo.max_version >= 1, "SVSM_MAX_VERSION %u, expected >= 1",
		  ginfo.max_version);
	GT_EXPECT(t, ginfo.guest_vmpl == HUSK_SVM_GUEST_VMPL, "SVSM_GUEST_VMPL %u, expected %u",
		  ginfo.guest_vmpl, HUSK_SVM_GUEST_VMPL);
}

/* No VMPCKs on svm: everything of the secrets-page layout but the SVSM
 * fields is zero. */
static void t_info_rest_zero(struct gt *t, const void *arg)
{
	for (unsigned off = 0; off < HUSK_SVM_INFO_EXT_OFFSET; off++) {
		if (off >= HUSK_SVM_INFO_SVSM_BASE && off <= HUSK_SVM_INFO_SVSM_GUEST_VMPL)
			continue;
		if (ginfo.page[off]) {
			gt_fail(t, "information page byte 0x%x is 0x%02x, expected 0", off,
				ginfo.page[off]);
			return;
		}
	}
}

static void t_info_extension(struct gt *t, const void *arg)
{
	const struct husk_svm_info_ext *x = ginfo.ext;
	bool boot_listed = false;

	GT_EXPECT(t, x->size == sizeof(*x), "extension size %u, expected %u", x->size,
		  (unsigned)sizeof(*x));
	GT_EXPECT(t, x->vcpu_count >= 1 && x->vcpu_count <= 64, "vcpu_count %u", x->vcpu_count);
	GT_EXPECT(t, x->tsc_khz != 0, "tsc_khz is 0");
	for (uint32_t i = 0; i < ginfo.vcpu_count; i++) {
		boot_listed |= ginfo.apic_ids[i] == ginfo.boot_apic_id;
		for (uint32_t j = 0; j < i; j++)
			GT_EXPECT(t, ginfo.apic_ids[i] != ginfo.apic_ids[j],
				  "APIC ID %u listed twice", ginfo.apic_ids[i]);
	}
	GT_EXPECT(t, boot_listed, "boot_apic_id %u is not in apic_ids", ginfo.boot_apic_id);
	GT_EXPECT(t, guest_apic_id() == ginfo.boot_apic_id,
		  "the guest starts on APIC ID %u, the page says %u", guest_apic_id(),
		  ginfo.boot_apic_id);
	gt_diag("vCPUs %u, boot APIC ID %u, TSC %u kHz", ginfo.vcpu_count, ginfo.boot_apic_id,
		ginfo.tsc_khz);
}

static void t_info_args(struct gt *t, const void *arg)
{
	const char *a = (const char *)ginfo.ext->args;
	size_t len = strnlen(a, HUSK_SVM_GUEST_ARGS_MAX);

	if (len == HUSK_SVM_GUEST_ARGS_MAX) {
		gt_fail(t, "args are not NUL-terminated");
		return;
	}
	gt_diag("args \"%s\"", a);
	for (size_t i = 0; i < len;) {
		size_t end = i;

		while (end < len && a[end] != ' ')
			end++;
		GT_EXPECT(t, end - i > 6 && strncmp(a + i, "guest.", 6) == 0,
			  "word at offset %u does not start with \"guest.\"", (unsigned)i);
		i = end + 1;
		GT_EXPECT(t, end == len || (i < len && a[i] != ' '), "stray space at offset %u",
			  (unsigned)end);
	}
}

static void t_boot_ca_idle(struct gt *t, const void *arg)
{
	GT_EXPECT(t, guest_ca[SVSM_CA_CALL_PENDING] == 0, "call_pending is 0x%x before any call",
		  guest_ca[SVSM_CA_CALL_PENDING]);
}

static const struct gt_case cases[] = {
	{ "entry_registers_magic_info_rest_zero", t_registers, NULL },
	{ "entry_segments_cs08_data10", t_segments, NULL },
	{ "entry_cr0_cr4_efer_eflags", t_control, NULL },
	{ "entry_gdtr_idtr_empty", t_descriptor_tables, NULL },
	{ "info_svsm_fields", t_info_svsm_fields, NULL },
	{ "info_secrets_layout_otherwise_zero", t_info_rest_zero, NULL },
	{ "info_extension_vcpus_tsc", t_info_extension, NULL },
	{ "info_args_guest_words", t_info_args, NULL },
	{ "boot_ca_call_pending_clear", t_boot_ca_idle, NULL },
};
const struct gt_suite gt_suite_entry = GT_SUITE("entry", cases);
