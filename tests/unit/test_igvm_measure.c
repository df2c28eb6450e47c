/* Unit tests for lib/igvm's measurement and whole-file checks: one page of
 * each SEV-SNP page type measured by hand from the PAGE_INFO layout (bytes
 * placed at their offsets here, not through the library's structure), a
 * small file measured by hand in QEMU's order, the VMSA KVM rebuilds, the
 * reset-state VMSA, the notes, the TDX MRTD records, the ID block's
 * signatures, and the rules of igvm_lint. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "husk/err.h"
#include "igvm/igvm_lint.h"
#include "igvm/igvm_snp.h"
#include "igvm/igvm_tdx.h"
#include "igvm/igvm_writer.h"
#include "mbedtls/sha512.h"

#define SNP    0x1u
#define NATIVE 0x2u
#define TDX    0x4u

/* ---- by-hand helpers ------------------------------------------------------ */

static void sha384(const void *p, size_t n, uint8_t out[48])
{
	assert_int_equal(mbedtls_sha512(p, n, out, 1), 0);
}

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

/* One step of the chain with PAGE_INFO laid out byte by byte:
 * 0x00 digest, 0x30 contents, 0x60 length u16 = 0x70, 0x62 type, 0x63 IMI,
 * 0x64 four permission/reserved bytes, 0x68 GPA. */
static void by_hand(uint8_t ld[48], uint8_t type, uint64_t gpa, const uint8_t *page)
{
	static const uint8_t zero[4096];
	uint8_t info[0x70];

	memset(info, 0, sizeof(info));
	memcpy(info, ld, 48);
	if (type == 1 || type == 2)
		sha384(page ? page : zero, 4096, info + 0x30);
	put16(info + 0x60, 0x70);
	info[0x62] = type;
	put64(info + 0x68, gpa);
	sha384(info, sizeof(info), ld);
}

static uint8_t pattern[4096];

static void init_pattern(void)
{
	for (size_t i = 0; i < sizeof(pattern); i++)
		pattern[i] = (uint8_t)(i * 13 + 5);
}

/* ---- one page of each type ------------------------------------------------ */

static void test_page_types(void **state)
{
	static const struct {
		uint8_t type;
		bool data;
	} cases[] = {
		{ SNP_PAGE_TYPE_NORMAL, true },     { SNP_PAGE_TYPE_NORMAL, false },
		{ SNP_PAGE_TYPE_VMSA, true },       { SNP_PAGE_TYPE_ZERO, false },
		{ SNP_PAGE_TYPE_UNMEASURED, false }, { SNP_PAGE_TYPE_SECRETS, false },
		{ SNP_PAGE_TYPE_CPUID, true },
	};

	(void)state;
	init_pattern();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t lib[48], hand[48];
		struct snp_page_info pi;

		for (int k = 0; k < 48; k++)
			lib[k] = hand[k] = (uint8_t)(k + i); /* any starting digest */
		assert_int_equal(igvm_snp_extend(lib, cases[i].type, 0x123456000ull,
						 cases[i].data ? pattern : NULL, &pi),
				 HUSK_OK);
		by_hand(hand, cases[i].type, 0x123456000ull, cases[i].data ? pattern : NULL);
		assert_memory_equal(lib, hand, 48);
		assert_int_equal(pi.length, 0x70);
		assert_int_equal(pi.page_type, cases[i].type);
		/* Only NORMAL and VMSA hash their contents. */
		if (cases[i].type != 1 && cases[i].type != 2) {
			static const uint8_t z[48];

			assert_memory_equal(pi.contents, z, 48);
		}
	}
	/* The digest of the empty chain after one zero NORMAL page at GPA 0,
	 * fixed here so that a change of the layout cannot go unnoticed even if
	 * both sides above changed alike. */
	{
		uint8_t ld[48] = { 0 }, again[48] = { 0 };

		by_hand(ld, 1, 0, NULL);
		assert_int_equal(igvm_snp_extend(again, 1, 0, NULL, NULL), HUSK_OK);
		assert_memory_equal(ld, again, 48);
	}
}

/* ---- a file measured by hand ------------------------------------------------ */

static struct igvm_writer *writer(void)
{
	struct igvm_writer *w;

	assert_int_equal(igvm_writer_create(&w, &igvm_libc_allocator, IGVM_FORMAT_VERSION_1),
			 HUSK_OK);
	return w;
}

#define OK(call)                                                                         \
	do {                                                                             \
		int rc_ = (call);                                                        \
		if (rc_)                                                                 \
			fail_msg("%s: %d %s", #call, rc_, igvm_writer_error(w));         \
	} while (0)

static void platform(struct igvm_writer *w, uint8_t type, uint32_t mask)
{
	struct igvm_vhs_supported_platform p = { .compatibility_mask = mask,
						 .platform_type = type,
						 .platform_version = 1 };

	OK(igvm_writer_add_platform(w, &p));
}

/* A 64-bit VMSA whose fields are all in the form KVM writes back. */
static void stable_vmsa(struct snp_vmsa *v)
{
	memset(v, 0, sizeof(*v));
	v->cs = (struct snp_vmsa_seg){ 0x18, 0xa9b, 0xffffffff, 0 };
	v->ss = (struct snp_vmsa_seg){ 0x10, 0xc93, 0xffffffff, 0 };
	v->ds = v->es = v->fs = v->gs = v->ss;
	v->cr0 = 0x80010011;
	v->cr3 = 0x100000;
	v->cr4 = 0x60;
	v->efer = 0x1d00;
	v->rflags = 2;
	v->rip = 0xffffffff80001000ull;
	v->rdi = 0x1234;
	v->dr6 = 0xffff0ff0;
	v->dr7 = 0x400;
	v->g_pat = 0x0007040600070406ull;
	v->xcr0 = 1;
	v->mxcsr = 0x1f80;
	v->x87_fcw = 0x37f;
	v->sev_features = 1;
}

static uint8_t *finish(struct igvm_writer *w, size_t *size)
{
	const uint8_t *f;
	uint8_t *copy;

	OK(igvm_writer_finish(w, &f, size));
	copy = malloc(*size);
	assert_non_null(copy);
	memcpy(copy, f, *size);
	igvm_writer_destroy(w);
	return copy;
}

static void read_ok(struct igvm_reader *r, const uint8_t *f, size_t size)
{
	struct igvm_error err;

	if (igvm_reader_init(r, f, size, &err))
		fail_msg("reader: %s", err.message);
}

static uint32_t notes_seen;
static char last_note[256];

static void collect_note(void *ctx, uint32_t kind, const char *msg)
{
	(void)ctx;
	notes_seen |= kind;
	snprintf(last_note, sizeof(last_note), "%s", msg);
}

static void options(struct igvm_snp_options *o, uint32_t vcpus)
{
	igvm_snp_options_init(o);
	o->vcpus = vcpus;
	o->note = collect_note;
	notes_seen = 0;
}

static void test_file_by_hand(void **state)
{
	struct igvm_writer *w = writer();
	struct igvm_snp_options o;
	struct igvm_snp_result res;
	struct igvm_reader r;
	struct igvm_error err;
	struct snp_vmsa v, ap;
	uint8_t ld[48] = { 0 }, *f;
	size_t size;

	(void)state;
	init_pattern();
	stable_vmsa(&v);
	platform(w, IGVM_PLATFORM_SEV_SNP, SNP);
	platform(w, IGVM_PLATFORM_NATIVE, NATIVE);
	OK(igvm_writer_add_guest_policy(w, 0x30000, SNP));
	OK(igvm_writer_add_parameter_area(w, 0, 0x2000, NULL, 0)); /* two pages */
	OK(igvm_writer_add_parameter(w, IGVM_VHT_VP_COUNT_PARAMETER, 0, 0));
	/* A run of two data pages, then the insert: QEMU measures the insert
	 * first (the run is still pending when the insert comes). */
	OK(igvm_writer_add_page(w, 0x10000, SNP | NATIVE, 0, 0, pattern, 4096));
	OK(igvm_writer_add_page(w, 0x11000, SNP | NATIVE, 0, 0, pattern, 100));
	OK(igvm_writer_add_parameter_insert(w, 0x40000, SNP, 0));
	/* Not for SNP: skipped, and it breaks the next run. */
	OK(igvm_writer_add_page(w, 0x12000, NATIVE, 0, 0, pattern, 4096));
	OK(igvm_writer_add_page(w, 0x13000, SNP, 0, 0, NULL, 0));          /* zero -> NORMAL */
	OK(igvm_writer_add_page(w, 0x14000, SNP, IGVM_PAGE_DATA_FLAG_UNMEASURED, 0, pattern,
				4096));
	OK(igvm_writer_add_page(w, 0x15000, SNP, 0, IGVM_PAGE_DATA_TYPE_SECRETS, NULL, 0));
	OK(igvm_writer_add_page(w, 0x16000, SNP, 0, IGVM_PAGE_DATA_TYPE_CPUID_DATA, pattern, 64));
	OK(igvm_writer_add_page(w, 0x17000, SNP, IGVM_PAGE_DATA_FLAG_SHARED, 0, pattern, 4096));
	OK(igvm_writer_add_vp_context(w, SNP_VMSA_GPA, SNP, 0, &v, sizeof(v)));
	f = finish(w, &size);
	read_ok(&r, f, size);

	/* The expected chain, in QEMU's order. */
	by_hand(ld, 4, 0x40000, NULL);
	by_hand(ld, 4, 0x41000, NULL);
	by_hand(ld, 1, 0x10000, pattern);
	{
		uint8_t short_page[4096] = { 0 };

		memcpy(short_page, pattern, 100);
		by_hand(ld, 1, 0x11000, short_page);
	}
	by_hand(ld, 1, 0x13000, NULL);
	by_hand(ld, 4, 0x14000, NULL);
	by_hand(ld, 5, 0x15000, NULL);
	by_hand(ld, 6, 0x16000, NULL);
	by_hand(ld, 1, 0x17000, pattern); /* SHARED: QEMU measures it anyway */
	by_hand(ld, 2, SNP_VMSA_GPA, (const uint8_t *)&v);
	/* vCPU 1: reset state with vCPU 0's SEV features and the EPYC signature. */
	igvm_snp_vmsa_reset(&ap, IGVM_SNP_SIG_EPYC, 1, true);
	by_hand(ld, 2, SNP_VMSA_GPA, (const uint8_t *)&ap);

	options(&o, 2);
	assert_int_equal(igvm_snp_measure(&r, &o, &res, &err), HUSK_OK);
	assert_memory_equal(res.digest, ld, 48);
	assert_true(res.have_policy);
	assert_int_equal(res.policy, 0x30000);
	assert_int_equal(res.pages[1], 4);
	assert_int_equal(res.pages[2], 2);
	assert_int_equal(res.pages[4], 3);
	assert_int_equal(res.vmsas_from_file, 1);
	assert_int_equal(res.vmsas_reset, 1);
	assert_true(notes_seen & IGVM_SNP_NOTE_INSERT_ORDER);
	assert_true(notes_seen & IGVM_SNP_NOTE_SHARED);
	assert_true(notes_seen & IGVM_SNP_NOTE_PARAM_AREA_PAGES);
	assert_true(notes_seen & IGVM_SNP_NOTE_CPUID_CONTENT);
	assert_false(notes_seen & IGVM_SNP_NOTE_VMSA_REBUILT);

	/* With the APs not measured, the chain ends after vCPU 0. */
	{
		uint8_t ld1[48];
		struct igvm_snp_result res1;

		memcpy(ld1, ld, 48);
		options(&o, 2);
		o.ap_mode = IGVM_SNP_AP_NONE;
		assert_int_equal(igvm_snp_measure(&r, &o, &res1, &err), HUSK_OK);
		assert_int_equal(res1.vmsas_reset, 0);
		assert_memory_not_equal(res1.digest, ld, 48);
	}
	/* A context for vCPU 0 in a 1-vCPU launch is fine; the file has none for 1. */
	options(&o, 1);
	assert_int_equal(igvm_snp_measure(&r, &o, &res, &err), HUSK_OK);
	free(f);
}

/* ---- the VMSA KVM rebuilds ------------------------------------------------- */

static void test_vmsa_model(void **state)
{
	struct snp_vmsa v, out;
	char why[200];

	(void)state;
	stable_vmsa(&v);
	assert_int_equal(igvm_snp_vmsa_kvm(&v, 1, true, &out, why, sizeof(why)), HUSK_OK);
	assert_memory_equal(&v, &out, sizeof(v));

	/* What KVM adds or drops. */
	v.cr0 = 0xe0010001; /* CD, NW set; ET missing */
	v.cr4 = 0x20;
	v.efer = 0xd00;
	v.rflags = 0;
	v.gdtr = (struct snp_vmsa_seg){ 0x1234, 0x82, 0x12345, 0x7000 };
	v.ldtr.base = 0x5000;
	v.tr = (struct snp_vmsa_seg){ 0, 0xf08b, 0x67, 0x9000 };
	v.ss.attrib = 0xcf3; /* DPL 3 */
	assert_int_equal(igvm_snp_vmsa_kvm(&v, 0x29, true, &out, why, sizeof(why)), HUSK_OK);
	assert_int_equal(out.cr0, 0x80010011);
	assert_int_equal(out.cr4, 0x60);
	assert_int_equal(out.efer, 0x1d00);
	assert_int_equal(out.rflags, 2);
	assert_int_equal(out.gdtr.selector, 0);
	assert_int_equal(out.gdtr.attrib, 0);
	assert_int_equal(out.gdtr.limit, 0x2345);
	assert_int_equal(out.gdtr.base, 0x7000);
	assert_int_equal(out.tr.attrib, 0x08b); /* bits 15:12 dropped */
	assert_int_equal(out.tr.base, 0x5000);  /* QEMU: from LDTR */
	assert_int_equal(out.cpl, 3);
	assert_int_equal(out.sev_features, 0x29);
	assert_int_equal(igvm_snp_vmsa_kvm(&v, 1, false, &out, why, sizeof(why)), HUSK_OK);
	assert_int_equal(out.cr4, 0x20);

	/* What QEMU or KVM refuse. */
	stable_vmsa(&v);
	v.cr2 = 1;
	assert_int_equal(igvm_snp_vmsa_kvm(&v, 1, true, &out, why, sizeof(why)),
			 HUSK_ERR_UNSUPPORTED);
	assert_non_null(strstr(why, "VMSA field cr2 (offset 0x240)"));
	stable_vmsa(&v);
	v.rest[100] = 1;
	assert_int_equal(igvm_snp_vmsa_kvm(&v, 1, true, &out, why, sizeof(why)),
			 HUSK_ERR_UNSUPPORTED);
	stable_vmsa(&v);
	v.dr7 = 0x401;
	assert_int_equal(igvm_snp_vmsa_kvm(&v, 1, true, &out, why, sizeof(why)),
			 HUSK_ERR_UNSUPPORTED);
	assert_non_null(strstr(why, "DR7"));
	stable_vmsa(&v);
	v.xcr0 = 0;
	assert_int_equal(igvm_snp_vmsa_kvm(&v, 1, true, &out, why, sizeof(why)),
			 HUSK_ERR_UNSUPPORTED);
	stable_vmsa(&v);
	v.efer = 0x1900; /* LME without LMA under paging */
	assert_int_equal(igvm_snp_vmsa_kvm(&v, 1, true, &out, why, sizeof(why)),
			 HUSK_ERR_UNSUPPORTED);
	stable_vmsa(&v);
	v.g_pat = 0x0007040600070402ull; /* type 2 is reserved */
	assert_int_equal(igvm_snp_vmsa_kvm(&v, 1, true, &out, why, sizeof(why)),
			 HUSK_ERR_UNSUPPORTED);
}

static uint64_t rd64(const uint8_t *p, size_t off)
{
	uint64_t v;

	memcpy(&v, p + off, 8);
	return v;
}

static void test_reset_vmsa(void **state)
{
	struct snp_vmsa v;
	const uint8_t *b = (const uint8_t *)&v;

	(void)state;
	igvm_snp_vmsa_reset(&v, 0xa00f11, 0x29, true);
	/* Offsets from the reference table, not from the structure. */
	assert_int_equal(b[0x10], 0x00); /* cs.selector 0xf000 */
	assert_int_equal(b[0x11], 0xf0);
	assert_int_equal(b[0x12], 0x9b);
	assert_int_equal(rd64(b, 0x18), 0xffff0000);
	assert_int_equal(b[0x22], 0x93); /* ss.attrib */
	assert_int_equal(b[0x72], 0x82); /* ldtr */
	assert_int_equal(b[0x92], 0x8b); /* tr */
	assert_int_equal(rd64(b, 0xd0), 0x1000);
	assert_int_equal(rd64(b, 0x148), 0x40);
	assert_int_equal(rd64(b, 0x158), 0x10);
	assert_int_equal(rd64(b, 0x160), 0x400);
	assert_int_equal(rd64(b, 0x168), 0xffff0ff0);
	assert_int_equal(rd64(b, 0x170), 2);
	assert_int_equal(rd64(b, 0x178), 0xfff0);
	assert_int_equal(rd64(b, 0x268), 0x0007040600070406ull);
	assert_int_equal(rd64(b, 0x310), 0xa00f11); /* RDX */
	assert_int_equal(rd64(b, 0x3b0), 0x29);
	assert_int_equal(rd64(b, 0x3e8), 1);
	assert_int_equal(b[0x408], 0x80);
	assert_int_equal(b[0x409], 0x1f);
	assert_int_equal(b[0x410], 0x7f);
	assert_int_equal(b[0x411], 0x03);
}

/* ---- SEV features, notes and refusals -------------------------------------- */

static uint8_t *snp_file(size_t *size, uint64_t vmsa_gpa, uint64_t features, bool policy,
			 bool late_page, bool big_page, uint16_t vp)
{
	struct igvm_writer *w = writer();
	struct snp_vmsa v;

	stable_vmsa(&v);
	v.sev_features = features;
	platform(w, IGVM_PLATFORM_SEV_SNP, SNP);
	if (policy)
		OK(igvm_writer_add_guest_policy(w, 0x30000, SNP));
	OK(igvm_writer_add_page(w, 0x10000, SNP, 0, 0, pattern, 4096));
	if (big_page)
		OK(igvm_writer_add_page(w, 0x200000, SNP, IGVM_PAGE_DATA_FLAG_2MB, 0, NULL, 0));
	OK(igvm_writer_add_vp_context(w, vmsa_gpa, SNP, vp, &v, sizeof(v)));
	if (late_page)
		OK(igvm_writer_add_page(w, 0x20000, SNP, 0, 0, NULL, 0));
	return finish(w, size);
}

static void test_features_and_notes(void **state)
{
	struct igvm_snp_options o;
	struct igvm_snp_result res, res2;
	struct igvm_reader r;
	struct igvm_error err;
	uint8_t *f;
	size_t size;

	(void)state;
	init_pattern();
	/* vCPU 0's features go to every VMSA; an option overrides them. */
	f = snp_file(&size, SNP_VMSA_GPA, 0x29, true, false, false, 0);
	read_ok(&r, f, size);
	options(&o, 3);
	assert_int_equal(igvm_snp_measure(&r, &o, &res, &err), HUSK_OK);
	assert_int_equal(res.sev_features, 0x29);
	assert_int_equal(notes_seen & ~IGVM_SNP_NOTE_CPUID_CONTENT, 0);
	options(&o, 3);
	o.sev_features_set = true;
	o.sev_features = 1;
	assert_int_equal(igvm_snp_measure(&r, &o, &res2, &err), HUSK_OK);
	assert_true(notes_seen & IGVM_SNP_NOTE_SEV_FEATURES);
	assert_int_equal(res2.sev_features, 1);
	assert_memory_not_equal(res.digest, res2.digest, 48);
	/* ... but not to the point of QEMU refusing the launch. */
	options(&o, 1);
	o.sev_features_set = true;
	o.sev_features = 0x28;
	assert_int_equal(igvm_snp_measure(&r, &o, &res2, &err), HUSK_ERR_UNSUPPORTED);
	assert_non_null(strstr(err.message, "lack SNPActive"));
	/* A context for a vCPU the launch does not have. */
	options(&o, 1);
	free(f);
	f = snp_file(&size, SNP_VMSA_GPA, 1, true, false, false, 2);
	read_ok(&r, f, size);
	assert_int_equal(igvm_snp_measure(&r, &o, &res, &err), HUSK_ERR_UNSUPPORTED);
	assert_non_null(strstr(err.message, "VP context for vCPU 2, but the launch has 1 vCPU"));
	free(f);
	/* VMSA elsewhere, page data after it, no policy, a 2 MiB page. */
	f = snp_file(&size, 0x5000, 1, false, true, true, 0);
	read_ok(&r, f, size);
	options(&o, 1);
	assert_int_equal(igvm_snp_measure(&r, &o, &res, &err), HUSK_OK);
	assert_true(notes_seen & IGVM_SNP_NOTE_VMSA_GPA);
	assert_true(notes_seen & IGVM_SNP_NOTE_VMSA_NOT_LAST);
	assert_true(notes_seen & IGVM_SNP_NOTE_POLICY);
	assert_true(notes_seen & IGVM_SNP_NOTE_2MB);
	assert_int_equal(res.pages[1], 1 + 512 + 1);
	free(f);
	/* No SNP platform at all. */
	{
		struct igvm_writer *w = writer();

		platform(w, IGVM_PLATFORM_NATIVE, NATIVE);
		f = finish(w, &size);
		read_ok(&r, f, size);
		options(&o, 1);
		assert_int_equal(igvm_snp_measure(&r, &o, &res, &err), HUSK_ERR_NOTFOUND);
		free(f);
	}
}

/* ---- TDX MRTD ------------------------------------------------------------ */

static void record(uint8_t rec[128], const char *tag, uint64_t gpa)
{
	memset(rec, 0, 128);
	memcpy(rec, tag, strlen(tag));
	put64(rec + 16, gpa);
}

static void test_tdx(void **state)
{
	struct igvm_writer *w = writer();
	struct igvm_tdx_result res;
	struct igvm_reader r;
	struct igvm_error err;
	mbedtls_sha512_context c;
	uint8_t rec[128], want[48], *f;
	static const uint8_t zero[4096];
	size_t size;

	(void)state;
	init_pattern();
	platform(w, IGVM_PLATFORM_TDX, TDX);
	platform(w, IGVM_PLATFORM_NATIVE, NATIVE);
	OK(igvm_writer_add_parameter_area(w, 3, 0x1000, NULL, 0));
	OK(igvm_writer_add_page(w, 0x1000, TDX | NATIVE, 0, 0, pattern, 4096));
	OK(igvm_writer_add_page(w, 0x2000, TDX, IGVM_PAGE_DATA_FLAG_UNMEASURED, 0, pattern, 4096));
	OK(igvm_writer_add_page(w, 0x3000, TDX, IGVM_PAGE_DATA_FLAG_SHARED, 0, pattern, 4096));
	OK(igvm_writer_add_page(w, 0x4000, NATIVE, 0, 0, pattern, 4096));
	OK(igvm_writer_add_page(w, 0x5000, TDX, 0, 0, NULL, 0));
	OK(igvm_writer_add_parameter_insert(w, 0x9000, TDX, 3));
	f = finish(w, &size);
	read_ok(&r, f, size);

	mbedtls_sha512_init(&c);
	assert_int_equal(mbedtls_sha512_starts(&c, 1), 0);
	record(rec, "MEM.PAGE.ADD", 0x1000);
	mbedtls_sha512_update(&c, rec, 128);
	for (int k = 0; k < 16; k++) {
		record(rec, "MR.EXTEND", 0x1000 + 256 * k);
		mbedtls_sha512_update(&c, rec, 128);
		mbedtls_sha512_update(&c, pattern + 256 * k, 256);
	}
	record(rec, "MEM.PAGE.ADD", 0x2000); /* unmeasured: added only */
	mbedtls_sha512_update(&c, rec, 128);
	record(rec, "MEM.PAGE.ADD", 0x5000);
	mbedtls_sha512_update(&c, rec, 128);
	for (int k = 0; k < 16; k++) {
		record(rec, "MR.EXTEND", 0x5000 + 256 * k);
		mbedtls_sha512_update(&c, rec, 128);
		mbedtls_sha512_update(&c, zero, 256);
	}
	record(rec, "MEM.PAGE.ADD", 0x9000);
	mbedtls_sha512_update(&c, rec, 128);
	assert_int_equal(mbedtls_sha512_finish(&c, want), 0);
	mbedtls_sha512_free(&c);

	assert_int_equal(igvm_tdx_measure(&r, &res, &err), HUSK_OK);
	assert_memory_equal(res.mrtd, want, 48);
	assert_int_equal(res.pages_added, 4);
	assert_int_equal(res.pages_extended, 2);
	assert_int_equal(res.pages_shared_skipped, 1);
	free(f);
}

/* ---- ID block ---------------------------------------------------------- */

static int test_rng(void *ctx, unsigned char *out, size_t len)
{
	uint32_t *s = ctx;

	for (size_t i = 0; i < len; i++) {
		*s = *s * 1103515245u + 12345u;
		out[i] = (unsigned char)(*s >> 16);
	}
	return 0;
}

static void test_id_block(void **state)
{
	mbedtls_ecp_keypair id, author;
	struct igvm_vhs_snp_id_block b;
	struct snp_id_block fw;
	struct snp_public_key fwkey;
	uint8_t digest[48], kd[48], manual[48];
	uint8_t key_bytes[0x404];
	uint32_t seed = 1;
	char why[200];

	(void)state;
	mbedtls_ecp_keypair_init(&id);
	mbedtls_ecp_keypair_init(&author);
	assert_int_equal(mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP384R1, &id, test_rng, &seed), 0);
	assert_int_equal(mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP384R1, &author, test_rng, &seed), 0);
	for (int i = 0; i < 48; i++)
		digest[i] = (uint8_t)(0xa0 ^ i);

	memset(&b, 0, sizeof(b));
	b.compatibility_mask = SNP;
	memcpy(b.ld, digest, 48);
	b.family_id[0] = 0xfa;
	b.image_id[15] = 0x1e;
	b.version = 1;
	b.guest_svn = 7;
	b.id_key_algorithm = 1;
	assert_int_equal(igvm_snp_public_key(&id, &b.id_public_key), HUSK_OK);
	igvm_snp_id_block_from_igvm(&b, 0x30000, &fw);
	/* The firmware's 96 bytes, by offset. */
	{
		const uint8_t *p = (const uint8_t *)&fw;
		uint64_t pol;
		uint32_t ver, svn;

		assert_memory_equal(p, digest, 48);
		assert_int_equal(p[0x30], 0xfa);
		assert_int_equal(p[0x4f], 0x1e);
		memcpy(&ver, p + 0x50, 4);
		memcpy(&svn, p + 0x54, 4);
		memcpy(&pol, p + 0x58, 8);
		assert_int_equal(ver, 1);
		assert_int_equal(svn, 7);
		assert_int_equal(pol, 0x30000);
	}
	assert_int_equal(igvm_snp_sign(&id, &fw, sizeof(fw), &b.id_key_signature, test_rng, &seed),
			 HUSK_OK);
	assert_int_equal(igvm_snp_id_block_check(&b, 0x30000, digest, why, sizeof(why)), HUSK_OK);

	/* Key digest: SHA-384 of curve u32, qx[72], qy[72], zeros to 0x404 (no
	 * reserved word after curve, unlike the IGVM form). */
	memset(key_bytes, 0, sizeof(key_bytes));
	put32(key_bytes, 2);
	memcpy(key_bytes + 4, b.id_public_key.qx, 72);
	memcpy(key_bytes + 76, b.id_public_key.qy, 72);
	sha384(key_bytes, sizeof(key_bytes), manual);
	assert_int_equal(igvm_snp_key_digest(&b.id_public_key, kd), HUSK_OK);
	assert_memory_equal(kd, manual, 48);

	/* Another policy, launch digest or bit flipped: refused. */
	assert_int_equal(igvm_snp_id_block_check(&b, 0x30001, digest, why, sizeof(why)),
			 HUSK_ERR_CRYPTO);
	assert_non_null(strstr(why, "does not verify with the ID key"));
	digest[0] ^= 1;
	assert_int_equal(igvm_snp_id_block_check(&b, 0x30000, digest, why, sizeof(why)),
			 HUSK_ERR_CRYPTO);
	assert_non_null(strstr(why, "launch digest differs"));
	digest[0] ^= 1;

	/* The author key signs the ID key in firmware form. */
	b.author_key_enabled = 1;
	b.author_key_algorithm = 1;
	assert_int_equal(igvm_snp_public_key(&author, &b.author_public_key), HUSK_OK);
	igvm_snp_public_key_from_igvm(&b.id_public_key, &fwkey);
	assert_memory_equal(&fwkey, key_bytes, sizeof(key_bytes));
	assert_int_equal(igvm_snp_sign(&author, &fwkey, sizeof(fwkey), &b.author_key_signature,
				       test_rng, &seed),
			 HUSK_OK);
	assert_int_equal(igvm_snp_id_block_check(&b, 0x30000, digest, why, sizeof(why)), HUSK_OK);
	b.author_key_signature.s[0] ^= 1;
	assert_int_equal(igvm_snp_id_block_check(&b, 0x30000, digest, why, sizeof(why)),
			 HUSK_ERR_CRYPTO);
	assert_non_null(strstr(why, "author key"));
	/* A key that is not a curve point. */
	b.id_public_key.qy[0] ^= 1;
	assert_int_not_equal(igvm_snp_id_block_check(&b, 0x30000, digest, why, sizeof(why)),
			     HUSK_OK);
	mbedtls_ecp_keypair_free(&id);
	mbedtls_ecp_keypair_free(&author);
}

/* ---- whole-file rules --------------------------------------------------- */

static void expect_lint(uint8_t *f, size_t size, int code, const char *substr)
{
	struct igvm_reader r;
	struct igvm_error err;
	int rc;

	read_ok(&r, f, size);
	rc = igvm_lint(&r, &igvm_libc_allocator, &err);
	if (rc != code || (substr && !strstr(err.message, substr)))
		fail_msg("lint: got %d '%s', want %d '%s'", rc, err.message, code,
			 substr ? substr : "");
	free(f);
}

static struct igvm_writer *two_platforms(void)
{
	struct igvm_writer *w = writer();

	platform(w, IGVM_PLATFORM_SEV_SNP, SNP);
	platform(w, IGVM_PLATFORM_NATIVE, NATIVE);
	return w;
}

static void test_lint(void **state)
{
	struct igvm_writer *w;
	struct snp_vmsa v;
	size_t size;
	uint8_t *f;

	(void)state;
	init_pattern();
	stable_vmsa(&v);

	/* Same GPA for different platforms: fine. */
	w = two_platforms();
	OK(igvm_writer_add_page(w, 0x1000, SNP, 0, 0, pattern, 4096));
	OK(igvm_writer_add_page(w, 0x1000, NATIVE, 0, 0, NULL, 0));
	f = finish(w, &size);
	expect_lint(f, size, HUSK_OK, NULL);

	/* Same GPA twice for one platform. */
	w = two_platforms();
	OK(igvm_writer_add_page(w, 0x1000, SNP | NATIVE, 0, 0, pattern, 4096));
	OK(igvm_writer_add_page(w, 0x2000, NATIVE, 0, 0, NULL, 0));
	OK(igvm_writer_add_page(w, 0x1000, SNP, 0, 0, NULL, 0));
	f = finish(w, &size);
	expect_lint(f, size, HUSK_ERR_OVERLAP,
		    "header #4 (PAGE_DATA) at offset 0x88: GPA 0x1000 of platform SEV_SNP (mask "
		    "0x1) is already loaded by header #2 (PAGE_DATA)");

	/* A 2 MiB page covering a 4 KiB one. */
	w = two_platforms();
	OK(igvm_writer_add_page(w, 0x201000, NATIVE, 0, 0, pattern, 4096));
	OK(igvm_writer_add_page(w, 0x200000, NATIVE, IGVM_PAGE_DATA_FLAG_2MB, 0, NULL, 0));
	f = finish(w, &size);
	expect_lint(f, size, HUSK_ERR_OVERLAP, "GPA 0x201000 of platform NATIVE");

	/* A parameter insert over page data, and a VMSA page over page data. */
	w = two_platforms();
	OK(igvm_writer_add_parameter_area(w, 0, 0x2000, NULL, 0));
	OK(igvm_writer_add_page(w, 0x5000, SNP, 0, 0, pattern, 4096));
	OK(igvm_writer_add_parameter_insert(w, 0x4000, SNP, 0));
	f = finish(w, &size);
	expect_lint(f, size, HUSK_ERR_OVERLAP, "(PARAMETER_INSERT)");
	w = two_platforms();
	OK(igvm_writer_add_page(w, 0x7000, SNP, 0, 0, pattern, 4096));
	OK(igvm_writer_add_vp_context(w, 0x7000, SNP, 0, &v, sizeof(v)));
	f = finish(w, &size);
	expect_lint(f, size, HUSK_ERR_OVERLAP, "header #3 (VP_CONTEXT)");

	/* Two contexts for one vCPU. */
	w = two_platforms();
	OK(igvm_writer_add_vp_context(w, SNP_VMSA_GPA, SNP, 1, &v, sizeof(v)));
	OK(igvm_writer_add_vp_context(w, SNP_VMSA_GPA - 0x1000, SNP, 1, &v, sizeof(v)));
	f = finish(w, &size);
	expect_lint(f, size, HUSK_ERR_EXISTS,
		    "second context for vCPU 1 of platform SEV_SNP (first: header #2)");

	/* Two policies; a policy and an ID block for NATIVE; secrets for NATIVE. */
	w = two_platforms();
	OK(igvm_writer_add_guest_policy(w, 0x30000, SNP));
	OK(igvm_writer_add_guest_policy(w, 0x30000, SNP));
	f = finish(w, &size);
	expect_lint(f, size, HUSK_ERR_EXISTS, "second GUEST_POLICY for platform SEV_SNP");
	w = two_platforms();
	OK(igvm_writer_add_guest_policy(w, 0x30000, SNP | NATIVE));
	f = finish(w, &size);
	expect_lint(f, size, HUSK_ERR_FORMAT, "guest policy for platform NATIVE (mask 0x2)");
	w = two_platforms();
	{
		struct igvm_vhs_snp_id_block b;

		memset(&b, 0, sizeof(b));
		b.compatibility_mask = NATIVE;
		OK(igvm_writer_add_snp_id_block(w, &b));
	}
	f = finish(w, &size);
	expect_lint(f, size, HUSK_ERR_FORMAT, "SNP ID block for platform NATIVE");
	w = two_platforms();
	OK(igvm_writer_add_page(w, 0x1000, NATIVE, 0, IGVM_PAGE_DATA_TYPE_SECRETS, NULL, 0));
	f = finish(w, &size);
	expect_lint(f, size, HUSK_ERR_FORMAT, "SECRETS/CPUID page data for platform NATIVE");

	/* The violation reported is the one whose later header comes first. */
	w = two_platforms();
	OK(igvm_writer_add_page(w, 0x9000, SNP, 0, 0, NULL, 0));
	OK(igvm_writer_add_page(w, 0x1000, SNP, 0, 0, NULL, 0));
	OK(igvm_writer_add_page(w, 0x1000, SNP, 0, 0, NULL, 0));
	OK(igvm_writer_add_page(w, 0x9000, SNP, 0, 0, NULL, 0));
	f = finish(w, &size);
	expect_lint(f, size, HUSK_ERR_OVERLAP, "header #4 (PAGE_DATA)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_page_types),
		cmocka_unit_test(test_file_by_hand),
		cmocka_unit_test(test_vmsa_model),
		cmocka_unit_test(test_reset_vmsa),
		cmocka_unit_test(test_features_and_notes),
		cmocka_unit_test(test_tdx),
		cmocka_unit_test(test_id_block),
		cmocka_unit_test(test_lint),
	};

	return cmocka_run_group_tests_name("igvm-measure", tests, NULL, NULL);
}
