/* IGVM emission for one target and all its platforms, in this order:
 *   SUPPORTED_PLATFORM per platform (mask-bit order); GUEST_POLICY (SNP, TDX);
 *   parameter areas, their parameters and PARAMETER_INSERTs, REQUIRED_MEMORY
 *   (so no insert follows page data: every SNP measurement order agrees);
 *   husk's region page by page, ascending, one PAGE_DATA per distinct content
 *   with the mask of the platforms that load it (SNP and TDX load every page
 *   as private memory, native/svm only what the image needs); the payload;
 *   SNP's CPUID and secrets pages; the reset-vector page (not SNP); the SNP
 *   BSP's VMSA, last. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"
#include "husk/err.h"
#include "husk/layout.h"
#include "igvm/igvm_lint.h"
#include "igvm/igvm_snp.h"
#include "igvm/igvm_writer.h"

int emit_platform(uint32_t husk_platform, uint8_t *igvm_type, uint32_t *mask)
{
	switch (husk_platform) {
	case HUSK_PLATFORM_SNP:
		*igvm_type = IGVM_PLATFORM_SEV_SNP;
		*mask = HUSK_IGVM_MASK_SNP;
		return HUSK_OK;
	case HUSK_PLATFORM_NATIVE:
		*igvm_type = IGVM_PLATFORM_NATIVE;
		*mask = HUSK_IGVM_MASK_NATIVE;
		return HUSK_OK;
	case HUSK_PLATFORM_TDX:
		*igvm_type = IGVM_PLATFORM_TDX;
		*mask = HUSK_IGVM_MASK_TDX;
		return HUSK_OK;
	case HUSK_PLATFORM_SVM:
		*igvm_type = IGVM_PLATFORM_NATIVE;
		*mask = HUSK_IGVM_MASK_SVM;
		return HUSK_OK;
	default:
		return HUSK_ERR_UNSUPPORTED;
	}
}

static uint32_t mask_of(uint32_t husk_platform)
{
	uint8_t t;
	uint32_t m = 0;

	emit_platform(husk_platform, &t, &m);
	return m;
}

/* SNP and TDX start from private memory the launch validated/accepted. */
static bool private_memory(uint32_t p)
{
	return p == HUSK_PLATFORM_SNP || p == HUSK_PLATFORM_TDX;
}

static void flat(struct snp_vmsa_seg *s, uint16_t sel, uint16_t attrib)
{
	s->selector = sel;
	s->attrib = attrib;
	s->limit = 0xffffffff;
	s->base = 0;
}

void emit_snp_vmsa(const struct layout *l, struct snp_vmsa *v)
{
	memset(v, 0, sizeof(*v));
	/* The reset loader's selectors: 64-bit code 0x18 (P S code R A, L G),
	 * flat data 0x10 (P S W A, DB G).  GDTR and IDTR are empty: the kernel
	 * loads its own before anything could use them (interrupts are off). */
	flat(&v->cs, 0x18, 0xa9b);
	flat(&v->es, 0x10, 0xc93);
	flat(&v->ss, 0x10, 0xc93);
	flat(&v->ds, 0x10, 0xc93);
	flat(&v->fs, 0x10, 0xc93);
	flat(&v->gs, 0x10, 0xc93);
	/* LDT and busy TSS as the x86 reset state has them; TR.base equals
	 * LDTR.base (0), which QEMU 10.1 copies into TR. */
	v->ldtr = (struct snp_vmsa_seg){ 0, 0x82, 0xffff, 0 };
	v->tr = (struct snp_vmsa_seg){ 0, 0x8b, 0xffff, 0 };
	/* What the reset loader leaves: PE, ET, WP, PG; PAE; LME, LMA, NXE.  And
	 * what KVM adds anyway: EFER.SVME, the host's CR4.MCE, RFLAGS bit 1. */
	v->cr0 = SNP_CR0_PE | SNP_CR0_ET | SNP_CR0_WP | SNP_CR0_PG;
	v->cr3 = l->cr3;
	v->cr4 = SNP_CR4_PAE | SNP_CR4_MCE;
	v->efer = SNP_EFER_LME | SNP_EFER_LMA | SNP_EFER_NXE | SNP_EFER_SVME;
	v->rflags = SNP_RFLAGS_FIXED;
	v->rip = l->entry;
	v->rdi = HUSK_WINDOW_VA + (l->bp_offset - l->image_size); /* boot parameters */
	v->rsi = 0;                                                /* no reset TSC */
	v->dr6 = SNP_DR6_RESET;
	v->dr7 = SNP_DR7_RESET;
	v->g_pat = SNP_PAT_RESET;
	v->xcr0 = SNP_XCR0_X87;
	v->mxcsr = SNP_MXCSR_RESET;
	v->x87_fcw = SNP_FCW_RESET;
	v->sev_features = l->cfg.snp_sev_features;
}

/* The leaves of the CPUID page template; the VMM fills in the values (QEMU
 * replaces the whole page with KVM's table). */
static size_t cpuid_template(uint8_t *page)
{
	static const struct {
		uint32_t eax, ecx;
		uint64_t xcr0;
	} leaves[] = {
		{ 0x0, 0, 0 },        { 0x1, 0, 0 },        { 0x7, 0, 0 },
		{ 0xb, 0, 0 },        { 0xb, 1, 0 },        { 0xd, 0, 1 },
		{ 0xd, 1, 1 },        { 0x80000000, 0, 0 }, { 0x80000001, 0, 0 },
		{ 0x80000007, 0, 0 }, { 0x80000008, 0, 0 }, { 0x8000001f, 0, 0 },
	};
	struct snp_cpuid_page *p = (struct snp_cpuid_page *)page;

	memset(page, 0, HUSK_PAGE_SIZE);
	p->count = HUSK_ARRAY_SIZE(leaves);
	for (size_t i = 0; i < HUSK_ARRAY_SIZE(leaves); i++) {
		p->fn[i].eax_in = leaves[i].eax;
		p->fn[i].ecx_in = leaves[i].ecx;
		p->fn[i].xcr0_in = leaves[i].xcr0;
	}
	return HUSK_PAGE_SIZE;
}

enum page_kind { PAGE_NONE, PAGE_ZERO, PAGE_DATA };

static enum page_kind kind_of(const struct layout *l, uint64_t pg)
{
	switch (l->state[pg]) {
	case LAYOUT_DATA:
		return PAGE_DATA;
	case LAYOUT_ZERO:
		return PAGE_ZERO;
	default:
		return private_memory(l->platform) ? PAGE_ZERO : PAGE_NONE;
	}
}

/* One page of husk's region: a PAGE_DATA per distinct content. */
static int add_region_page(struct igvm_writer *w, const struct emit_input *in, uint64_t pg)
{
	bool done[CONFIG_MAX_PLATFORMS] = { false };
	uint64_t gpa = in->cfg->region_base + pg * HUSK_PAGE_SIZE;

	for (uint32_t i = 0; i < in->n; i++) {
		const struct layout *a = in->l[i];
		enum page_kind k = kind_of(a, pg);
		const uint8_t *data = a->region + pg * HUSK_PAGE_SIZE;
		uint32_t mask = 0;
		int err;

		if (done[i] || k == PAGE_NONE)
			continue;
		for (uint32_t j = i; j < in->n; j++) {
			const struct layout *b = in->l[j];

			if (done[j] || kind_of(b, pg) != k ||
			    (k == PAGE_DATA &&
			     memcmp(data, b->region + pg * HUSK_PAGE_SIZE, HUSK_PAGE_SIZE)))
				continue;
			done[j] = true;
			mask |= mask_of(b->platform);
		}
		err = k == PAGE_DATA ? igvm_writer_add_page(w, gpa, mask, 0, 0, data, HUSK_PAGE_SIZE)
				     : igvm_writer_add_page(w, gpa, mask, 0, 0, NULL, 0);
		if (err)
			return err;
	}
	return HUSK_OK;
}

static int add_headers(struct igvm_writer *w, const struct emit_input *in)
{
	const struct target_config *cfg = in->cfg;
	const struct layout *l0 = in->l[0], *snp = NULL;
	uint32_t all = 0, reset_mask = 0;
	uint64_t base = cfg->region_base;
	int err = HUSK_OK;

	for (uint32_t i = 0; i < in->n; i++) {
		struct igvm_vhs_supported_platform sp = { 0 };
		uint32_t mask;
		uint8_t type;

		err = emit_platform(in->l[i]->platform, &type, &mask);
		if (err)
			return err;
		sp.platform_type = type;
		sp.compatibility_mask = mask;
		sp.platform_version = IGVM_PLATFORM_VERSION;
		err = igvm_writer_add_platform(w, &sp);
		if (err)
			return err;
		all |= sp.compatibility_mask;
		if (in->l[i]->platform == HUSK_PLATFORM_SNP)
			snp = in->l[i];
		else
			reset_mask |= sp.compatibility_mask;
	}
	if (snp)
		err = igvm_writer_add_guest_policy(w, cfg->snp_policy, HUSK_IGVM_MASK_SNP);
	if (!err && config_has(cfg, HUSK_PLATFORM_TDX) && cfg->tdx_have_policy)
		err = igvm_writer_add_guest_policy(w, cfg->tdx_policy, HUSK_IGVM_MASK_TDX);

	/* What the loader fills in: see include/husk/bootinfo.h. */
	if (!err)
		err = igvm_writer_add_parameter_area(w, HUSK_IGVM_AREA_VMM, HUSK_PAGE_SIZE, NULL, 0);
	if (!err)
		err = igvm_writer_add_parameter(w, IGVM_VHT_VP_COUNT_PARAMETER, HUSK_IGVM_AREA_VMM,
						HUSK_VMM_VP_COUNT_OFFSET);
	if (!err)
		err = igvm_writer_add_parameter(w, IGVM_VHT_ENVIRONMENT_INFO_PARAMETER,
						HUSK_IGVM_AREA_VMM, HUSK_VMM_ENV_INFO_OFFSET);
	if (!err && cfg->command_line)
		err = igvm_writer_add_parameter(w, IGVM_VHT_COMMAND_LINE, HUSK_IGVM_AREA_VMM,
						HUSK_VMM_CMDLINE_OFFSET);
	if (!err)
		err = igvm_writer_add_parameter_area(w, HUSK_IGVM_AREA_MEMMAP, HUSK_PAGE_SIZE, NULL, 0);
	if (!err)
		err = igvm_writer_add_parameter(w, IGVM_VHT_MEMORY_MAP, HUSK_IGVM_AREA_MEMMAP, 0);
	if (!err)
		err = igvm_writer_add_parameter_insert(w, base + l0->vmm_offset, all,
						       HUSK_IGVM_AREA_VMM);
	if (!err)
		err = igvm_writer_add_parameter_insert(w, base + l0->memmap_offset, all,
						       HUSK_IGVM_AREA_MEMMAP);
	/* All of husk's region must be RAM, also the parts the file does not load. */
	if (!err)
		err = igvm_writer_add_required_memory(w, base, all, (uint32_t)cfg->region_size, 0);

	for (uint64_t pg = 0; !err && pg < l0->npages; pg++) {
		uint64_t off = pg * HUSK_PAGE_SIZE;

		if (off == l0->vmm_offset || off == l0->memmap_offset)
			continue; /* parameter inserts */
		err = add_region_page(w, in, pg);
	}
	for (size_t off = 0; !err && off < in->payload_len; off += HUSK_PAGE_SIZE)
		err = igvm_writer_add_page(w, cfg->payload_gpa + off, all, 0, 0, in->payload + off,
					   HUSK_MIN((size_t)HUSK_PAGE_SIZE, in->payload_len - off));
	if (!err && snp) {
		static uint8_t cpuid[HUSK_PAGE_SIZE];
		size_t len = cpuid_template(cpuid);
		bool cpuid_first = cfg->snp_cpuid_gpa < cfg->snp_secrets_gpa;

		for (int k = 0; !err && k < 2; k++) {
			if ((k == 0) == cpuid_first)
				err = igvm_writer_add_page(w, cfg->snp_cpuid_gpa, HUSK_IGVM_MASK_SNP, 0,
							   IGVM_PAGE_DATA_TYPE_CPUID_DATA, cpuid, len);
			else
				err = igvm_writer_add_page(w, cfg->snp_secrets_gpa, HUSK_IGVM_MASK_SNP,
							   0, IGVM_PAGE_DATA_TYPE_SECRETS, NULL, 0);
		}
	}
	/* The reset page is the same for every platform that starts there. */
	if (!err && reset_mask)
		err = igvm_writer_add_page(w, HUSK_RESET_PAGE_GPA, reset_mask, 0, 0, l0->reset_page,
					   HUSK_PAGE_SIZE);
	if (!err && snp) {
		struct snp_vmsa v, kvm;
		char why[200];

		emit_snp_vmsa(snp, &v);
		/* Pitfall: KVM measures the VMSA it rebuilds, so the file must hold
		 * exactly that, or every other tool computes another digest. */
		if (igvm_snp_vmsa_kvm(&v, v.sev_features, true, &kvm, why, sizeof(why)) ||
		    memcmp(&v, &kvm, sizeof(v))) {
			fprintf(stderr, "emit: the SNP VMSA is not what KVM would measure (%s)\n",
				why);
			return HUSK_ERR_INVAL;
		}
		err = igvm_writer_add_vp_context(w, SNP_VMSA_GPA, HUSK_IGVM_MASK_SNP, 0, &v,
						 sizeof(v));
	}
	return err;
}

/* The reset page must be the same in every layout (only SNP changes the
 * page tables, and its CR3 is not in the reset page). */
static int check_inputs(const struct emit_input *in)
{
	for (uint32_t i = 1; i < in->n; i++)
		if (memcmp(in->l[i]->reset_page, in->l[0]->reset_page, HUSK_PAGE_SIZE) ||
		    in->l[i]->npages != in->l[0]->npages ||
		    in->l[i]->vmm_offset != in->l[0]->vmm_offset ||
		    in->l[i]->memmap_offset != in->l[0]->memmap_offset) {
			fprintf(stderr, "emit: layouts of one target disagree\n");
			return HUSK_ERR_INVAL;
		}
	return HUSK_OK;
}

int emit_igvm(const struct emit_input *in, uint8_t **file_out, size_t *size_out)
{
	struct igvm_writer *w;
	struct igvm_reader r;
	struct igvm_error ierr;
	const uint8_t *file;
	size_t size;
	int err;

	*file_out = NULL;
	*size_out = 0;
	err = check_inputs(in);
	if (err)
		return err;
	err = igvm_writer_create(&w, &igvm_libc_allocator, IGVM_FORMAT_VERSION_1);
	if (err)
		return err;
	err = add_headers(w, in);
	if (!err)
		err = igvm_writer_finish(w, &file, &size);
	if (err) {
		fprintf(stderr, "emit: %s (%s)\n", igvm_writer_error(w), husk_strerror(err));
		igvm_writer_destroy(w);
		return err;
	}
	/* Check the result as `husk-igvm check` would. */
	err = igvm_reader_init(&r, file, size, &ierr);
	if (!err)
		err = igvm_lint(&r, &igvm_libc_allocator, &ierr);
	if (err) {
		fprintf(stderr, "emit: the file fails its own check: %s\n", ierr.message);
		igvm_writer_destroy(w);
		return err;
	}
	*file_out = malloc(size);
	if (!*file_out) {
		igvm_writer_destroy(w);
		return HUSK_ERR_NOMEM;
	}
	memcpy(*file_out, file, size);
	*size_out = size;
	igvm_writer_destroy(w);
	return HUSK_OK;
}
