/* SEV-SNP launch digest of an IGVM file as a KVM/QEMU host computes it, and
 * the VMSA model behind it; see igvm_snp.h for what is modelled. */
#include <stdarg.h>
#include <string.h>

#include "fmt/fmt.h"
#include "husk/err.h"
#include "igvm/igvm_check.h"
#include "igvm/igvm_snp.h"
#include "mbedtls/sha512.h"

/* SHA-384 of a 4 KiB page of zeros (checked by the unit tests): pages
 * without data cost one PAGE_INFO hash, so a file of small headers cannot
 * make measurement hash gigabytes. */
static const uint8_t zero_page_sha384[SNP_DIGEST_SIZE] = {
	0xc0, 0xe5, 0x9a, 0x3e, 0x3f, 0xfb, 0xd3, 0xb5, 0xc7, 0x54, 0x28, 0xfb, 0x36, 0x43, 0x2f, 0xac,
	0xab, 0xc7, 0x45, 0x94, 0x42, 0x96, 0xff, 0x51, 0x5f, 0x73, 0x7c, 0x4f, 0xef, 0x4e, 0xfc, 0x64,
	0x58, 0x68, 0x09, 0xf7, 0xa1, 0x6f, 0x56, 0x35, 0x4a, 0x1e, 0xae, 0xcf, 0x2a, 0xa8, 0xd7, 0x74,
};

/* ---- VMSA fields ----------------------------------------------------------- */

#define F(n, q) { #n, offsetof(struct snp_vmsa, n), sizeof(((struct snp_vmsa *)0)->n), q }
#define SEG(n)                                                                    \
	{ #n ".selector", offsetof(struct snp_vmsa, n), 2, true },                \
	{ #n ".attrib", offsetof(struct snp_vmsa, n) + 2, 2, true },              \
	{ #n ".limit", offsetof(struct snp_vmsa, n) + 4, 4, true },               \
	{ #n ".base", offsetof(struct snp_vmsa, n) + 8, 8, true }

/* In layout order, covering the whole page. */
static const struct igvm_snp_vmsa_field fields[] = {
	SEG(es), SEG(cs), SEG(ss), SEG(ds), SEG(fs), SEG(gs), SEG(gdtr), SEG(ldtr), SEG(idtr),
	SEG(tr),
	F(pl0_ssp, false), F(pl1_ssp, false), F(pl2_ssp, false), F(pl3_ssp, false),
	F(u_cet, false), F(reserved_0c8, false), F(vmpl, false), F(cpl, false),
	F(reserved_0cc, false), F(efer, true), F(reserved_0d8, false), F(xss, false),
	F(cr4, true), F(cr3, true), F(cr0, true), F(dr7, true), F(dr6, true), F(rflags, true),
	F(rip, true), F(dr0, false), F(dr1, false), F(dr2, false), F(dr3, false),
	F(dr0_addr_mask, false), F(dr1_addr_mask, false), F(dr2_addr_mask, false),
	F(dr3_addr_mask, false), F(reserved_1c0, false), F(rsp, true), F(s_cet, false),
	F(ssp, false), F(isst_addr, false), F(rax, true), F(star, false), F(lstar, false),
	F(cstar, false), F(sfmask, false), F(kernel_gs_base, false), F(sysenter_cs, false),
	F(sysenter_esp, false), F(sysenter_eip, false), F(cr2, false), F(reserved_248, false),
	F(g_pat, true), F(dbgctl, false), F(br_from, false), F(br_to, false),
	F(last_excp_from, false), F(last_excp_to, false), F(reserved_298, false),
	F(pkru, false), F(tsc_aux, false), F(guest_tsc_scale, false),
	F(guest_tsc_offset, false), F(reg_prot_nonce, false), F(rcx, true), F(rdx, true),
	F(rbx, true), F(reserved_320, false), F(rbp, true), F(rsi, true), F(rdi, true),
	F(r8, true), F(r9, true), F(r10, true), F(r11, true), F(r12, true), F(r13, true),
	F(r14, true), F(r15, true), F(reserved_380, false), F(guest_exit_info_1, false),
	F(guest_exit_info_2, false), F(guest_exit_int_info, false), F(guest_nrip, false),
	F(sev_features, true), F(vintr_ctrl, false), F(guest_exit_code, false),
	F(virtual_tom, false), F(tlb_id, false), F(pcpu_id, false), F(event_inj, false),
	F(xcr0, true), F(reserved_3f0, false), F(x87_dp, false), F(mxcsr, true),
	F(x87_ftw, false), F(x87_fsw, false), F(x87_fcw, true), F(x87_fop, false),
	F(x87_ds, false), F(x87_cs, false), F(x87_rip, false), F(fpreg_x87, false),
	F(fpreg_xmm, false), F(fpreg_ymm, false), F(rest, false),
};
#undef F
#undef SEG

const struct igvm_snp_vmsa_field *igvm_snp_vmsa_fields(size_t *count)
{
	*count = HUSK_ARRAY_SIZE(fields);
	return fields;
}

const struct igvm_snp_vmsa_field *igvm_snp_vmsa_field_at(size_t off)
{
	for (size_t i = 0; i < HUSK_ARRAY_SIZE(fields); i++)
		if (off >= fields[i].offset && off < (size_t)fields[i].offset + fields[i].size)
			return &fields[i];
	return NULL;
}

/* ---- one LAUNCH_UPDATE step ------------------------------------------------ */

static int sha384(const void *data, size_t len, uint8_t out[SNP_DIGEST_SIZE])
{
	return mbedtls_sha512(data, len, out, 1) ? HUSK_ERR_CRYPTO : HUSK_OK;
}

int igvm_snp_extend(uint8_t digest[SNP_DIGEST_SIZE], uint8_t page_type, uint64_t gpa,
		    const uint8_t *page, struct snp_page_info *pi_out)
{
	struct snp_page_info pi;
	int rc;

	memset(&pi, 0, sizeof(pi));
	memcpy(pi.digest_cur, digest, SNP_DIGEST_SIZE);
	if (page_type == SNP_PAGE_TYPE_NORMAL || page_type == SNP_PAGE_TYPE_VMSA) {
		if (!page) {
			memcpy(pi.contents, zero_page_sha384, SNP_DIGEST_SIZE);
		} else {
			rc = sha384(page, IGVM_PAGE_SIZE_4K, pi.contents);
			if (rc)
				return rc;
		}
	}
	pi.length = sizeof(pi);
	pi.page_type = page_type;
	pi.gpa = gpa;
	rc = sha384(&pi, sizeof(pi), digest);
	if (!rc && pi_out)
		*pi_out = pi;
	return rc;
}

/* ---- the VMSA KVM measures ------------------------------------------------- */

static bool pat_valid(uint64_t pat)
{
	for (int i = 0; i < 8; i++) {
		uint8_t t = (uint8_t)(pat >> (8 * i));

		if (t == 2 || t == 3 || t > 7)
			return false;
	}
	return true;
}

/* Selector, base and limit as given; attributes as the segment cache keeps
 * them (bits 15:12 dropped).  QEMU marks a segment without P "unusable" and
 * KVM then clears P, so P's value survives and nothing else changes. */
static void copy_seg(struct snp_vmsa_seg *out, const struct snp_vmsa_seg *in)
{
	out->selector = in->selector;
	out->attrib = in->attrib & SNP_SEG_ATTR_MASK;
	out->limit = in->limit;
	out->base = in->base;
}

int igvm_snp_vmsa_kvm(const struct snp_vmsa *in, uint64_t sev_features, bool host_mce,
		      struct snp_vmsa *out, char *why, size_t why_len)
{
	const uint8_t *b = (const uint8_t *)in;
	bool lme_pg;

	/* QEMU refuses a VMSA with anything set that it cannot hand to KVM. */
	for (size_t i = 0; i < HUSK_ARRAY_SIZE(fields); i++) {
		if (fields[i].qemu)
			continue;
		for (size_t k = 0; k < fields[i].size; k++)
			if (b[fields[i].offset + k]) {
				fmt_snprintf(why, why_len,
					     "VMSA field %s (offset 0x%x) is not zero, but QEMU cannot "
					     "pass it to KVM (QEMU refuses such a VMSA)",
					     fields[i].name, (unsigned)(fields[i].offset + k));
				return HUSK_ERR_UNSUPPORTED;
			}
	}
	if (in->dr7 & ~SNP_DR7_RESET) {
		fmt_snprintf(why, why_len, "DR7 0x%llx has debug bits set; KVM refuses to encrypt it",
			     (unsigned long long)in->dr7);
		return HUSK_ERR_UNSUPPORTED;
	}
	if (in->dr6 >> 32) {
		fmt_snprintf(why, why_len, "DR6 0x%llx: KVM refuses a value above 32 bits",
			     (unsigned long long)in->dr6);
		return HUSK_ERR_UNSUPPORTED;
	}
	if (!(in->xcr0 & SNP_XCR0_X87)) {
		fmt_snprintf(why, why_len, "XCR0 0x%llx lacks x87 (bit 0); KVM refuses it",
			     (unsigned long long)in->xcr0);
		return HUSK_ERR_UNSUPPORTED;
	}
	if (!pat_valid(in->g_pat)) {
		fmt_snprintf(why, why_len, "G_PAT 0x%llx has an invalid memory type; KVM refuses it",
			     (unsigned long long)in->g_pat);
		return HUSK_ERR_UNSUPPORTED;
	}
	lme_pg = (in->efer & SNP_EFER_LME) && (in->cr0 & SNP_CR0_PG);
	if ((lme_pg && (!(in->cr4 & SNP_CR4_PAE) || !(in->efer & SNP_EFER_LMA))) ||
	    (!lme_pg && (in->efer & SNP_EFER_LMA))) {
		fmt_snprintf(why, why_len,
			     "EFER 0x%llx, CR0 0x%llx, CR4 0x%llx are inconsistent (LMA must equal "
			     "LME && PG, long mode needs PAE); KVM refuses them",
			     (unsigned long long)in->efer, (unsigned long long)in->cr0,
			     (unsigned long long)in->cr4);
		return HUSK_ERR_UNSUPPORTED;
	}

	memset(out, 0, sizeof(*out));
	copy_seg(&out->es, &in->es);
	copy_seg(&out->cs, &in->cs);
	copy_seg(&out->ss, &in->ss);
	copy_seg(&out->ds, &in->ds);
	copy_seg(&out->fs, &in->fs);
	copy_seg(&out->gs, &in->gs);
	copy_seg(&out->ldtr, &in->ldtr);
	copy_seg(&out->tr, &in->tr);
	/* QEMU (10.1) loads TR's base from the VMSA's LDTR base. */
	out->tr.base = in->ldtr.base;
	/* KVM keeps only base and a 16-bit limit of the descriptor tables. */
	out->gdtr.limit = in->gdtr.limit & 0xffff;
	out->gdtr.base = in->gdtr.base;
	out->idtr.limit = in->idtr.limit & 0xffff;
	out->idtr.base = in->idtr.base;
	/* KVM derives the CPL from SS.DPL. */
	out->cpl = (uint8_t)SNP_SEG_ATTR_DPL(out->ss.attrib);
	out->efer = in->efer | SNP_EFER_SVME;
	/* QEMU sets CR0.ET; KVM's CD/NW quirk clears CD and NW. */
	out->cr0 = (in->cr0 | SNP_CR0_ET) & ~(SNP_CR0_CD | SNP_CR0_NW);
	out->cr3 = in->cr3;
	out->cr4 = in->cr4 | (host_mce ? SNP_CR4_MCE : 0);
	out->dr6 = in->dr6;
	out->dr7 = in->dr7;
	out->rflags = in->rflags | SNP_RFLAGS_FIXED;
	out->rip = in->rip;
	out->rsp = in->rsp;
	out->rax = in->rax;
	out->rcx = in->rcx;
	out->rdx = in->rdx;
	out->rbx = in->rbx;
	out->rbp = in->rbp;
	out->rsi = in->rsi;
	out->rdi = in->rdi;
	out->r8 = in->r8;
	out->r9 = in->r9;
	out->r10 = in->r10;
	out->r11 = in->r11;
	out->r12 = in->r12;
	out->r13 = in->r13;
	out->r14 = in->r14;
	out->r15 = in->r15;
	out->g_pat = in->g_pat;
	out->xcr0 = in->xcr0;
	out->x87_fcw = in->x87_fcw;
	out->mxcsr = in->mxcsr;
	out->sev_features = sev_features;
	return HUSK_OK;
}

static void reset_seg(struct snp_vmsa_seg *s, uint16_t sel, uint16_t attrib, uint64_t base)
{
	s->selector = sel;
	s->attrib = attrib;
	s->limit = 0xffff;
	s->base = base;
}

void igvm_snp_vmsa_reset(struct snp_vmsa *out, uint32_t vcpu_sig, uint64_t sev_features,
			 bool host_mce)
{
	memset(out, 0, sizeof(*out));
	/* QEMU's x86 reset state (P|S|W|A data, P|S|code|R|A code, LDT, busy
	 * TSS) through KVM, as for a vCPU the IGVM file has no context for. */
	reset_seg(&out->es, 0, 0x93, 0);
	reset_seg(&out->cs, 0xf000, 0x9b, 0xffff0000);
	reset_seg(&out->ss, 0, 0x93, 0);
	reset_seg(&out->ds, 0, 0x93, 0);
	reset_seg(&out->fs, 0, 0x93, 0);
	reset_seg(&out->gs, 0, 0x93, 0);
	reset_seg(&out->gdtr, 0, 0, 0);
	reset_seg(&out->idtr, 0, 0, 0);
	reset_seg(&out->ldtr, 0, 0x82, 0);
	reset_seg(&out->tr, 0, 0x8b, 0);
	out->efer = SNP_EFER_SVME;
	out->cr4 = host_mce ? SNP_CR4_MCE : 0;
	out->cr0 = SNP_CR0_ET;
	out->dr7 = SNP_DR7_RESET;
	out->dr6 = SNP_DR6_RESET;
	out->rflags = SNP_RFLAGS_FIXED;
	out->rip = 0xfff0;
	out->g_pat = SNP_PAT_RESET;
	out->rdx = vcpu_sig;
	out->sev_features = sev_features;
	out->xcr0 = SNP_XCR0_X87;
	out->mxcsr = SNP_MXCSR_RESET;
	out->x87_fcw = SNP_FCW_RESET;
}

/* ---- walking the file ------------------------------------------------------ */

void igvm_snp_options_init(struct igvm_snp_options *o)
{
	memset(o, 0, sizeof(*o));
	o->vcpus = 1;
	o->vcpu_sig = IGVM_SNP_SIG_EPYC;
	o->ap_mode = IGVM_SNP_AP_RESET;
}

/* State of one measurement walk. */
struct measure {
	const struct igvm_reader *r;
	const struct igvm_snp_options *o;
	struct igvm_snp_result *res;
	struct igvm_error *err;
	uint32_t mask;
	/* The run of page directives QEMU has not handed over yet. */
	bool run_active;
	struct igvm_iter run_start; /* positioned at the run's first header */
	uint32_t run_last_index;
	struct igvm_vhs_page_data run_prev;
	bool run_has_data;
	bool vp_seen;
	uint32_t vp_hdr[IGVM_SNP_MAX_VCPUS]; /* header index + 1 of each vCPU's context, 0 = none */
};

static void note(struct measure *m, uint32_t kind, const char *fmt, ...) HUSK_PRINTF(3, 4);
static void note(struct measure *m, uint32_t kind, const char *fmt, ...)
{
	char msg[IGVM_ERROR_MSG_MAX];
	va_list ap;

	if (m->res->notes & kind)
		return;
	m->res->notes |= kind;
	if (!m->o->note)
		return;
	va_start(ap, fmt);
	fmt_vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	m->o->note(m->o->ctx, kind, msg);
}

static int extend(struct measure *m, uint8_t type, uint64_t gpa, const uint8_t *page)
{
	struct snp_page_info pi;
	int rc = igvm_snp_extend(m->res->digest, type, gpa, page, &pi);

	if (rc)
		return igvm_fail(m->err, NULL, rc, "SHA-384 failed");
	m->res->pages[type]++;
	if (m->o->trace)
		m->o->trace(m->o->ctx, &pi, m->res->digest);
	return HUSK_OK;
}

/* Zero pages are NORMAL pages of zeros: QEMU hands its "zero" regions to
 * SNP as normal data. */
static uint8_t run_page_type(const struct igvm_vhs_page_data *pd)
{
	switch (pd->data_type) {
	case IGVM_PAGE_DATA_TYPE_SECRETS:
		return SNP_PAGE_TYPE_SECRETS;
	case IGVM_PAGE_DATA_TYPE_CPUID_DATA:
	case IGVM_PAGE_DATA_TYPE_CPUID_XF:
		return SNP_PAGE_TYPE_CPUID;
	default:
		return (pd->flags & IGVM_PAGE_DATA_FLAG_UNMEASURED) ? SNP_PAGE_TYPE_UNMEASURED
								     : SNP_PAGE_TYPE_NORMAL;
	}
}

/* Measures the pending run: its headers are consecutive, all applicable
 * PAGE_DATA with the same attributes. */
static int flush_run(struct measure *m)
{
	struct igvm_iter it = m->run_start;
	struct igvm_header h;
	uint8_t type = run_page_type(&m->run_prev);
	int rc;

	if (!m->run_active)
		return HUSK_OK;
	m->run_active = false;
	while (igvm_iter_next(&it, &h)) {
		struct igvm_vhs_page_data pd;
		const uint8_t *data;
		size_t len;
		uint64_t size;

		if (igvm_header_page_data(&h, &pd) || igvm_reader_page_data(m->r, &h, &data, &len))
			return igvm_fail(m->err, &h, HUSK_ERR_INVAL, "page run broken");
		size = (pd.flags & IGVM_PAGE_DATA_FLAG_2MB) ? IGVM_PAGE_SIZE_2M : IGVM_PAGE_SIZE_4K;
		for (uint64_t off = 0; off < size; off += IGVM_PAGE_SIZE_4K) {
			rc = extend(m, type, pd.gpa + off, data ? data + off : NULL);
			if (rc)
				return rc;
		}
		if (h.index == m->run_last_index)
			return HUSK_OK;
	}
	return igvm_fail(m->err, NULL, HUSK_ERR_INVAL, "page run ran off the file");
}

static bool same_run(const struct measure *m, const struct igvm_header *h,
		     const struct igvm_vhs_page_data *pd, bool has_data)
{
	const struct igvm_vhs_page_data *p = &m->run_prev;
	uint64_t step = (p->flags & IGVM_PAGE_DATA_FLAG_2MB) ? IGVM_PAGE_SIZE_2M
							      : IGVM_PAGE_SIZE_4K;

	return m->run_active && m->run_last_index + 1 == h->index && has_data == m->run_has_data &&
	       p->flags == pd->flags && p->data_type == pd->data_type &&
	       p->compatibility_mask == pd->compatibility_mask && p->gpa + step == pd->gpa;
}

static int page_data(struct measure *m, const struct igvm_iter *before,
		     const struct igvm_header *h)
{
	struct igvm_vhs_page_data pd;
	bool has_data;
	int rc;

	igvm_header_page_data(h, &pd);
	has_data = pd.file_offset != 0;
	if (m->vp_seen)
		note(m, IGVM_SNP_NOTE_VMSA_NOT_LAST,
		     "header #%u: page data after a VP_CONTEXT (KVM measures VMSAs last; tools "
		     "that measure in file order disagree)", h->index);
	if (pd.flags & IGVM_PAGE_DATA_FLAG_SHARED)
		note(m, IGVM_SNP_NOTE_SHARED,
		     "header #%u: SHARED page data (QEMU measures it as private; the igvm crate "
		     "skips it)", h->index);
	if (pd.flags & IGVM_PAGE_DATA_FLAG_2MB)
		note(m, IGVM_SNP_NOTE_2MB,
		     "header #%u: 2 MiB page data, measured as 512 4 KiB pages (firmware behaviour "
		     "for 2 MiB LAUNCH_UPDATE is unconfirmed)", h->index);
	if (has_data && (pd.data_type == IGVM_PAGE_DATA_TYPE_CPUID_DATA ||
			 pd.data_type == IGVM_PAGE_DATA_TYPE_CPUID_XF))
		note(m, IGVM_SNP_NOTE_CPUID_CONTENT,
		     "header #%u: QEMU replaces the CPUID page's contents with KVM's table (not "
		     "hashed, so the digest is unaffected)", h->index);
	if (!same_run(m, h, &pd, has_data)) {
		rc = flush_run(m);
		if (rc)
			return rc;
		m->run_active = true;
		m->run_start = *before;
		m->run_has_data = has_data;
	}
	m->run_prev = pd;
	m->run_last_index = h->index;
	return HUSK_OK;
}

static int parameter_insert(struct measure *m, const struct igvm_header *h)
{
	struct igvm_vhs_parameter_insert pi;
	struct igvm_vhs_parameter_area pa;
	struct igvm_header ah;
	int rc;

	igvm_header_parameter_insert(h, &pi);
	if (igvm_reader_find_parameter_area(m->r, pi.parameter_area_index, &ah) ||
	    igvm_header_parameter_area(&ah, &pa))
		return igvm_fail(m->err, h, HUSK_ERR_INVAL, "parameter area %u not found",
				 pi.parameter_area_index);
	if (m->run_active)
		note(m, IGVM_SNP_NOTE_INSERT_ORDER,
		     "header #%u: PARAMETER_INSERT right after page data: QEMU measures it before "
		     "that page data (tools measuring in file order disagree)", h->index);
	if (m->vp_seen)
		note(m, IGVM_SNP_NOTE_VMSA_NOT_LAST,
		     "header #%u: parameter insert after a VP_CONTEXT (KVM measures VMSAs last; "
		     "tools that measure in file order disagree)", h->index);
	if (pa.number_of_bytes > IGVM_PAGE_SIZE_4K)
		note(m, IGVM_SNP_NOTE_PARAM_AREA_PAGES,
		     "header #%u: parameter area %u has %llu pages, all measured UNMEASURED (COCONUT's "
		     "igvmmeasure measures only the first)", h->index, pi.parameter_area_index,
		     (unsigned long long)(pa.number_of_bytes / IGVM_PAGE_SIZE_4K));
	for (uint64_t off = 0; off < pa.number_of_bytes; off += IGVM_PAGE_SIZE_4K) {
		rc = extend(m, SNP_PAGE_TYPE_UNMEASURED, pi.gpa + off, NULL);
		if (rc)
			return rc;
	}
	return HUSK_OK;
}

static int vp_context(struct measure *m, const struct igvm_header *h)
{
	struct igvm_vhs_vp_context vp;

	igvm_header_vp_context(h, &vp);
	m->vp_seen = true;
	if (vp.vp_index >= m->o->vcpus)
		return igvm_fail(m->err, h, HUSK_ERR_UNSUPPORTED,
				 "VP context for vCPU %u, but the launch has %u vCPU%s (QEMU refuses "
				 "the file)", vp.vp_index, m->o->vcpus, m->o->vcpus == 1 ? "" : "s");
	if (vp.gpa != SNP_VMSA_GPA)
		note(m, IGVM_SNP_NOTE_VMSA_GPA,
		     "header #%u: VMSA GPA 0x%llx; KVM measures every VMSA at 0x%llx and QEMU "
		     "refuses any other GPA", h->index, (unsigned long long)vp.gpa,
		     (unsigned long long)SNP_VMSA_GPA);
	/* A later context for the same vCPU replaces the earlier one (QEMU). */
	m->vp_hdr[vp.vp_index] = h->index + 1;
	return HUSK_OK;
}

static const char *first_diff(const struct snp_vmsa *a, const struct snp_vmsa *b)
{
	const uint8_t *x = (const uint8_t *)a, *y = (const uint8_t *)b;

	for (size_t i = 0; i < sizeof(*a); i++)
		if (x[i] != y[i]) {
			const struct igvm_snp_vmsa_field *f = igvm_snp_vmsa_field_at(i);

			return f ? f->name : "?";
		}
	return NULL;
}

/* The VP_CONTEXT header of a vCPU and its VMSA. */
static int load_vmsa(struct measure *m, uint32_t vcpu, struct igvm_header *h, struct snp_vmsa *v)
{
	struct igvm_iter it;
	const uint8_t *data;
	size_t len;

	igvm_iter_init(&it, m->r);
	while (igvm_iter_next(&it, h)) {
		if (h->index + 1 != m->vp_hdr[vcpu])
			continue;
		if (igvm_reader_file_data(m->r, h, &data, &len) || len < sizeof(*v))
			break;
		memcpy(v, data, sizeof(*v));
		return HUSK_OK;
	}
	return igvm_fail(m->err, NULL, HUSK_ERR_FORMAT, "VMSA of vCPU %u unreadable", vcpu);
}

static int measure_vmsas(struct measure *m)
{
	const struct igvm_snp_options *o = m->o;
	struct snp_vmsa in, out;
	struct igvm_header h;
	uint64_t features = SNP_SEV_FEAT_SNP_ACTIVE;
	char why[IGVM_ERROR_MSG_MAX];
	int rc;

	/* KVM applies vCPU 0's SEV features to the whole VM. */
	if (m->vp_hdr[0]) {
		rc = load_vmsa(m, 0, &h, &in);
		if (rc)
			return rc;
		features = in.sev_features;
	}
	if (o->sev_features_set) {
		if (o->sev_features != features)
			note(m, IGVM_SNP_NOTE_SEV_FEATURES,
			     "SEV features 0x%llx given as an option; the file's vCPU 0 has 0x%llx",
			     (unsigned long long)o->sev_features, (unsigned long long)features);
		features = o->sev_features;
	}
	if (!(features & SNP_SEV_FEAT_SNP_ACTIVE))
		return igvm_fail(m->err, NULL, HUSK_ERR_UNSUPPORTED,
				 "SEV features 0x%llx lack SNPActive (bit 0); QEMU refuses to "
				 "launch an SNP guest so", (unsigned long long)features);
	if (features & ~SNP_SEV_FEAT_DEFINED)
		return igvm_fail(m->err, NULL, HUSK_ERR_UNSUPPORTED,
				 "SEV features 0x%llx have undefined bits 0x%llx",
				 (unsigned long long)features,
				 (unsigned long long)(features & ~SNP_SEV_FEAT_DEFINED));
	m->res->sev_features = features;

	for (uint32_t cpu = 0; cpu < o->vcpus; cpu++) {
		if (m->vp_hdr[cpu]) {
			const char *diff;

			rc = load_vmsa(m, cpu, &h, &in);
			if (rc)
				return rc;
			rc = igvm_snp_vmsa_kvm(&in, features, !o->no_host_mce, &out, why,
					       sizeof(why));
			if (rc)
				return igvm_fail(m->err, &h, rc, "%s", why);
			diff = first_diff(&in, &out);
			if (diff)
				note(m, IGVM_SNP_NOTE_VMSA_REBUILT,
				     "header #%u: KVM measures a different VMSA than the file holds "
				     "(first difference: %s); the digest uses KVM's", h.index, diff);
			m->res->vmsas_from_file++;
		} else if (o->ap_mode == IGVM_SNP_AP_RESET) {
			igvm_snp_vmsa_reset(&out, o->vcpu_sig, features, !o->no_host_mce);
			m->res->vmsas_reset++;
		} else {
			continue;
		}
		rc = extend(m, SNP_PAGE_TYPE_VMSA, SNP_VMSA_GPA, (const uint8_t *)&out);
		if (rc)
			return rc;
	}
	return HUSK_OK;
}

static void check_policy(struct measure *m)
{
	uint64_t p = m->res->policy;

	if (!m->res->have_policy) {
		note(m, IGVM_SNP_NOTE_POLICY,
		     "no GUEST_POLICY for the SEV_SNP platform: QEMU launches with policy 0, "
		     "which the firmware refuses (bit 17 must be 1)");
		return;
	}
	if (!(p & SNP_POLICY_RESERVED_ONE) || (p & SNP_POLICY_RESERVED_MBZ))
		note(m, IGVM_SNP_NOTE_POLICY,
		     "guest policy 0x%llx: bit 17 must be 1 and bits 63:25 must be 0 (the firmware "
		     "refuses the launch)", (unsigned long long)p);
}

int igvm_snp_measure(const struct igvm_reader *r, const struct igvm_snp_options *o,
		     struct igvm_snp_result *res, struct igvm_error *err)
{
	struct measure mstate;
	struct measure *m = &mstate;
	struct igvm_iter it, before;
	struct igvm_header h;
	int rc;

	if (err) {
		memset(err, 0, sizeof(*err));
		err->header_index = IGVM_NO_HEADER;
	}
	memset(res, 0, sizeof(*res));
	memset(m, 0, sizeof(*m));
	m->r = r;
	m->o = o;
	m->res = res;
	m->err = err;
	if (o->vcpus == 0 || o->vcpus > IGVM_SNP_MAX_VCPUS)
		return igvm_fail(err, NULL, HUSK_ERR_INVAL, "%u vCPUs (1..%u)", o->vcpus,
				 IGVM_SNP_MAX_VCPUS);
	m->mask = igvm_reader_platform_mask(r, IGVM_PLATFORM_SEV_SNP);
	if (!m->mask)
		return igvm_fail(err, NULL, HUSK_ERR_NOTFOUND, "the file has no SEV_SNP platform");
	res->platform_mask = m->mask;

	igvm_iter_init(&it, r);
	for (before = it; igvm_iter_next(&it, &h); before = it) {
		if (!igvm_header_applies(&h, m->mask))
			continue;
		rc = HUSK_OK;
		switch (h.type) {
		case IGVM_VHT_GUEST_POLICY: {
			struct igvm_vhs_guest_policy gp;

			igvm_header_guest_policy(&h, &gp);
			res->have_policy = true;
			res->policy = gp.policy; /* QEMU keeps the last one */
			break;
		}
		case IGVM_VHT_PAGE_DATA:
			rc = page_data(m, &before, &h);
			break;
		case IGVM_VHT_PARAMETER_INSERT:
			rc = parameter_insert(m, &h);
			break;
		case IGVM_VHT_VP_CONTEXT:
			rc = vp_context(m, &h);
			break;
		case IGVM_VHT_SNP_ID_BLOCK:
			if (res->have_id_block)
				return igvm_fail(err, &h, HUSK_ERR_UNSUPPORTED,
						 "second SNP_ID_BLOCK for the platform (QEMU refuses "
						 "the file)");
			igvm_header_snp_id_block(&h, &res->id_block);
			res->have_id_block = true;
			break;
		default:
			break;
		}
		if (rc)
			return rc;
	}
	rc = flush_run(m);
	if (!rc)
		rc = measure_vmsas(m);
	if (!rc)
		check_policy(m);
	return rc;
}
