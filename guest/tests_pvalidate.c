/* Conformance, suite "pvalidate": the list header, each entry check, the
 * state rules (unchanged, ignore-CF, zeroing), INCOMPLETE beyond 64 entries
 * and the 2 MiB size rules (docs/svsm.md "PVALIDATE").  Pages come from
 * guest_scratch, which starts not validated; every test leaves the pages
 * it used rescinded. */
#include <string.h>

#include "gtest.h"

#define CORE(c) SVSM_CALL(SVSM_PROTOCOL_CORE, (c))

/* Two pages for lists that cross a page boundary or start a page. */
static uint8_t list_pages[2][PAGE_SIZE] HUSK_ALIGNED(4096);

static uint64_t s4(unsigned i) { return guest_scratch + (uint64_t)i * PAGE_SIZE; }
static uint64_t s2m(void) { return guest_scratch + SIZE_2M; }
static uint64_t ca_list(void) { return (uint64_t)(uintptr_t)(guest_ca + SVSM_CA_BUFFER); }

static void list_put(uint64_t gpa, uint16_t n, uint16_t next, const uint64_t *e, uint32_t count)
{
	struct svsm_pvalidate_hdr h = { .entries = n, .next = next, .reserved = 0 };

	memcpy((void *)(uintptr_t)gpa, &h, sizeof(h));
	memcpy((void *)(uintptr_t)(gpa + sizeof(h)), e, count * sizeof(*e));
}

static uint16_t list_next(uint64_t gpa)
{
	struct svsm_pvalidate_hdr h;

	memcpy(&h, (const void *)(uintptr_t)gpa, sizeof(h));
	return h.next;
}

static uint32_t pv_call(uint64_t list_gpa)
{
	return svsm_call(CORE(SVSM_CORE_PVALIDATE), list_gpa, 0, 0, NULL);
}

/* One entry, list at CA+8: the result and where `next` ends up. */
static bool pv_one(struct gt *t, const char *what, uint64_t entry, uint32_t want, uint16_t want_next)
{
	uint64_t l = ca_list();
	uint32_t rc;
	bool ok;

	list_put(l, 1, 0, &entry, 1);
	rc = pv_call(l);
	ok = gt_expect_rc(t, what, rc, want);
	if (list_next(l) != want_next) {
		gt_fail(t, "%s: next %u afterwards, expected %u", what, list_next(l), want_next);
		ok = false;
	}
	return gt_alive(t, what) && ok;
}

static bool range_is_zero(uint64_t gpa, uint64_t len, uint64_t step)
{
	for (uint64_t off = 0; off < len; off += step)
		if (*(volatile uint64_t *)(uintptr_t)(gpa + off) != 0)
			return false;
	return true;
}

/* The page (or 2 MiB page) is not validated: validating it is no no-op.
 * Leaves it rescinded. */
static void expect_not_validated(struct gt *t, uint64_t gpa, bool huge)
{
	uint32_t rc = svsm_pvalidate_one(gpa, huge, true, false);

	if (rc == SVSM_PVALIDATE_FAIL_UNCHANGED)
		gt_fail(t, "page 0x%llx was validated although the call failed before it",
			(unsigned long long)gpa);
	else if (rc != SVSM_SUCCESS)
		gt_fail(t, "validating page 0x%llx afterwards: %s", (unsigned long long)gpa,
			svsm_result_name(rc));
	(void)svsm_pvalidate_one(gpa, huge, false, true);
}

/* ---- the list header ---- */

enum list_at { LA_CA8_PLUS4, LA_CA9, LA_HUSK, LA_HUSK_END, LA_BEYOND, LA_MMIO, LA_CA8,
	       LA_PAGE_END, LA_PAGE_START };

struct hdr_case {
	enum list_at at;
	uint16_t n, next;
	uint32_t want;
};

static uint64_t list_gpa(enum list_at at)
{
	switch (at) {
	case LA_CA8_PLUS4: return ca_list() + 4;
	case LA_CA9: return ca_list() + 1;
	case LA_HUSK: return ginfo.svsm_base;
	case LA_HUSK_END: return ginfo.svsm_base + ginfo.svsm_size - 8;
	case LA_BEYOND: return GUEST_GPA_BEYOND;
	case LA_MMIO: return GUEST_GPA_MMIO;
	case LA_CA8: return ca_list();
	case LA_PAGE_END: return (uint64_t)(uintptr_t)list_pages[0] + PAGE_SIZE - 16;
	case LA_PAGE_START: return (uint64_t)(uintptr_t)list_pages[0];
	}
	return 0;
}

static bool list_writable(enum list_at at)
{
	return at != LA_HUSK && at != LA_HUSK_END && at != LA_BEYOND && at != LA_MMIO;
}

static void t_header(struct gt *t, const void *arg)
{
	const struct hdr_case *c = arg;
	uint64_t gpa = list_gpa(c->at);
	uint64_t e[2] = { pval_entry(s4(5), false, true, false), pval_entry(s4(6), false, true, false) };
	uint32_t rc;

	if (list_writable(c->at)) {
		/* Only as many entries as fit the memory the test owns. */
		uint32_t room = (uint32_t)((PAGE_SIZE * (c->at == LA_PAGE_END ? 2 : 1) -
					    (gpa & 0xfff) - 8) / 8);

		list_put(gpa, c->n, c->next, e, room < 2 ? room : 2);
	}
	rc = pv_call(gpa);
	gt_expect_rc(t, "PVALIDATE", rc, c->want);
	gt_alive(t, "PVALIDATE");
	expect_not_validated(t, s4(5), false);
	expect_not_validated(t, s4(6), false);
}

static const struct hdr_case
	h_unaligned4 = { LA_CA8_PLUS4, 1, 0, SVSM_ERR_INVALID_PARAMETER },
	h_unaligned1 = { LA_CA9, 1, 0, SVSM_ERR_INVALID_PARAMETER },
	h_husk = { LA_HUSK, 1, 0, SVSM_ERR_INVALID_ADDRESS },
	h_husk_end = { LA_HUSK_END, 1, 0, SVSM_ERR_INVALID_ADDRESS },
	h_beyond = { LA_BEYOND, 1, 0, SVSM_ERR_INVALID_ADDRESS },
	h_mmio = { LA_MMIO, 1, 0, SVSM_ERR_INVALID_ADDRESS },
	h_n0 = { LA_CA8, 0, 0, SVSM_ERR_INVALID_PARAMETER },
	h_cross = { LA_PAGE_END, 2, 0, SVSM_ERR_INVALID_PARAMETER },
	h_n511_ca8 = { LA_CA8, 511, 0, SVSM_ERR_INVALID_PARAMETER },
	h_n512_page = { LA_PAGE_START, 512, 0, SVSM_ERR_INVALID_PARAMETER },
	h_nmax = { LA_CA8, 0xffff, 0, SVSM_ERR_INVALID_PARAMETER },
	h_next_eq = { LA_CA8, 2, 2, SVSM_ERR_INVALID_PARAMETER },
	h_next_gt = { LA_CA8, 2, 7, SVSM_ERR_INVALID_PARAMETER },
	h_next_max = { LA_CA8, 1, 0xffff, SVSM_ERR_INVALID_PARAMETER };

/* ---- single entries that must be refused ---- */

enum entry_at { EA_S10, EA_S2M_PLUS4K, EA_BEYOND, EA_MMIO, EA_HUSK, EA_HUSK_LAST, EA_HUSK_2M,
		EA_BOOT_CA, EA_BOOT_CA_2M };

struct entry_case {
	enum entry_at at;
	uint64_t bits; /* size, validate, ignore-CF, reserved */
	uint32_t want;
};

static uint64_t entry_gpa(enum entry_at at)
{
	switch (at) {
	case EA_S10: return s4(10);
	case EA_S2M_PLUS4K: return s2m() + PAGE_SIZE;
	case EA_BEYOND: return GUEST_GPA_BEYOND;
	case EA_MMIO: return GUEST_GPA_MMIO;
	case EA_HUSK: return ginfo.svsm_base;
	case EA_HUSK_LAST: return ginfo.svsm_base + ginfo.svsm_size - PAGE_SIZE;
	case EA_HUSK_2M: return HUSK_ALIGN_DOWN(ginfo.svsm_base, SIZE_2M);
	case EA_BOOT_CA: return ginfo.boot_caa;
	case EA_BOOT_CA_2M: return HUSK_ALIGN_DOWN(ginfo.boot_caa, SIZE_2M);
	}
	return 0;
}

static void t_entry(struct gt *t, const void *arg)
{
	const struct entry_case *c = arg;

	pv_one(t, "PVALIDATE", entry_gpa(c->at) | c->bits, c->want, 0);
	if (c->at == EA_S10)
		expect_not_validated(t, s4(10), false);
	if (c->at == EA_S2M_PLUS4K)
		expect_not_validated(t, s2m(), true);
}

#define V SVSM_PVAL_VALIDATE
#define ICF SVSM_PVAL_IGNORE_CF
static const struct entry_case
	e_res4 = { EA_S10, V | (1u << 4), SVSM_ERR_INVALID_PARAMETER },
	e_res11 = { EA_S10, V | (1u << 11), SVSM_ERR_INVALID_PARAMETER },
	e_size2 = { EA_S10, V | 2, SVSM_ERR_INVALID_PARAMETER },
	e_size3 = { EA_S10, V | 3, SVSM_ERR_INVALID_PARAMETER },
	e_2m_misaligned = { EA_S2M_PLUS4K, V | SVSM_PVAL_SIZE_2M, SVSM_ERR_INVALID_PARAMETER },
	e_beyond = { EA_BEYOND, V, SVSM_ERR_INVALID_ADDRESS },
	e_mmio = { EA_MMIO, V, SVSM_ERR_INVALID_ADDRESS },
	e_husk = { EA_HUSK, V, SVSM_ERR_INVALID_ADDRESS },
	e_husk_rescind = { EA_HUSK, 0, SVSM_ERR_INVALID_ADDRESS },
	e_husk_last = { EA_HUSK_LAST, V | ICF, SVSM_ERR_INVALID_ADDRESS },
	e_husk_2m = { EA_HUSK_2M, V | SVSM_PVAL_SIZE_2M, SVSM_ERR_INVALID_ADDRESS },
	e_ca_rescind = { EA_BOOT_CA, 0, SVSM_ERR_INVALID_ADDRESS },
	e_ca_validate = { EA_BOOT_CA, V | ICF, SVSM_ERR_INVALID_ADDRESS },
	e_ca_2m = { EA_BOOT_CA_2M, SVSM_PVAL_SIZE_2M | ICF, SVSM_ERR_INVALID_ADDRESS };
#undef V
#undef ICF

/* [validate s4(20), bad entry]: the first is done, `next` names the second. */
static void t_next_at_failure(struct gt *t, const void *arg)
{
	uint64_t l = ca_list();
	uint64_t e[2] = { pval_entry(s4(20), false, true, false), ginfo.svsm_base | SVSM_PVAL_VALIDATE };
	uint32_t rc;

	list_put(l, 2, 0, e, 2);
	rc = pv_call(l);
	gt_expect_rc(t, "PVALIDATE [good, husk's page]", rc, SVSM_ERR_INVALID_ADDRESS);
	GT_EXPECT(t, list_next(l) == 1, "next %u, expected 1 (the failing entry)", list_next(l));
	gt_alive(t, "PVALIDATE");
	gt_expect_rc(t, "validating entry 0's page again", svsm_pvalidate_one(s4(20), false, true, false),
		     SVSM_PVALIDATE_FAIL_UNCHANGED);
	gt_expect_rc(t, "rescind", svsm_pvalidate_one(s4(20), false, false, false), SVSM_SUCCESS);
}

/* The list starts at `next`: entries before it are not looked at. */
static void t_starts_at_next(struct gt *t, const void *arg)
{
	uint64_t l = ca_list();
	uint64_t e[2] = { ginfo.svsm_base | SVSM_PVAL_VALIDATE | (1u << 5),
			  pval_entry(s4(21), false, true, false) };

	list_put(l, 2, 1, e, 2);
	gt_expect_rc(t, "PVALIDATE with next 1", pv_call(l), SVSM_SUCCESS);
	GT_EXPECT(t, list_next(l) == 2, "next %u, expected 2", list_next(l));
	gt_expect_rc(t, "rescind", svsm_pvalidate_one(s4(21), false, false, false), SVSM_SUCCESS);
}

/* ---- the state rules, in order on s4(0) ---- */

static void t_validate(struct gt *t, const void *arg)
{
	if (!pv_one(t, "validate", pval_entry(s4(0), false, true, false), SVSM_SUCCESS, 1))
		return;
	GT_EXPECT(t, range_is_zero(s4(0), PAGE_SIZE, 8), "a newly validated page is not zeroed");
	memset((void *)(uintptr_t)s4(0), 0x5a, PAGE_SIZE);
}

static void t_validate_unchanged(struct gt *t, const void *arg)
{
	pv_one(t, "validate again", pval_entry(s4(0), false, true, false),
	       SVSM_PVALIDATE_FAIL_UNCHANGED, 0);
	GT_EXPECT(t, *(volatile uint8_t *)(uintptr_t)s4(0) == 0x5a, "the page's contents changed");
}

static void t_validate_ignore_cf(struct gt *t, const void *arg)
{
	pv_one(t, "validate again, ignore CF", pval_entry(s4(0), false, true, true), SVSM_SUCCESS, 1);
	GT_EXPECT(t, *(volatile uint8_t *)(uintptr_t)s4(0) == 0x5a &&
			     *(volatile uint8_t *)(uintptr_t)(s4(0) + PAGE_SIZE - 1) == 0x5a,
		  "a page already validated was touched");
}

static void t_rescind(struct gt *t, const void *arg)
{
	pv_one(t, "rescind", pval_entry(s4(0), false, false, false), SVSM_SUCCESS, 1);
}

static void t_rescind_unchanged(struct gt *t, const void *arg)
{
	pv_one(t, "rescind again", pval_entry(s4(0), false, false, false),
	       SVSM_PVALIDATE_FAIL_UNCHANGED, 0);
}

static void t_rescind_ignore_cf(struct gt *t, const void *arg)
{
	pv_one(t, "rescind again, ignore CF", pval_entry(s4(0), false, false, true), SVSM_SUCCESS, 1);
}

static void t_revalidate_zeroed(struct gt *t, const void *arg)
{
	if (!pv_one(t, "validate after rescind", pval_entry(s4(0), false, true, false),
		    SVSM_SUCCESS, 1))
		return;
	GT_EXPECT(t, range_is_zero(s4(0), PAGE_SIZE, 8),
		  "validated again, the page still holds what it held before");
	pv_one(t, "rescind", pval_entry(s4(0), false, false, false), SVSM_SUCCESS, 1);
}

/* ---- lists ---- */

static uint64_t big_list[256];

/* Calls until the result is not INCOMPLETE; counts the INCOMPLETEs. */
static uint32_t pv_until_done(uint64_t l, unsigned *incompletes)
{
	uint32_t rc;

	*incompletes = 0;
	while ((rc = pv_call(l)) == SVSM_ERR_INCOMPLETE && *incompletes < 100)
		(*incompletes)++;
	return rc;
}

static void pages_list(unsigned first, unsigned count, bool validate)
{
	for (unsigned i = 0; i < count; i++)
		big_list[i] = pval_entry(s4(first + i), false, validate, false);
	list_put(ca_list(), (uint16_t)count, 0, big_list, count);
}

static void t_three_entries(struct gt *t, const void *arg)
{
	unsigned inc;

	pages_list(30, 3, true);
	gt_expect_rc(t, "validate 3", pv_until_done(ca_list(), &inc), SVSM_SUCCESS);
	GT_EXPECT(t, inc == 0 && list_next(ca_list()) == 3, "INCOMPLETE %u times, next %u", inc,
		  list_next(ca_list()));
	pages_list(30, 3, false);
	gt_expect_rc(t, "rescind 3", pv_until_done(ca_list(), &inc), SVSM_SUCCESS);
}

static void t_exactly_64(struct gt *t, const void *arg)
{
	unsigned inc;

	pages_list(300, 64, true);
	gt_expect_rc(t, "validate 64", pv_until_done(ca_list(), &inc), SVSM_SUCCESS);
	GT_EXPECT(t, inc == 0, "64 entries took %u INCOMPLETE answers, expected none", inc);
	GT_EXPECT(t, list_next(ca_list()) == 64, "next %u, expected 64", list_next(ca_list()));
	pages_list(300, 64, false);
	gt_expect_rc(t, "rescind 64", pv_until_done(ca_list(), &inc), SVSM_SUCCESS);
}

static void t_incomplete(struct gt *t, const void *arg)
{
	uint64_t l = ca_list();
	uint32_t rc;
	unsigned inc;

	pages_list(100, 100, true);
	rc = pv_call(l);
	gt_expect_rc(t, "validate 100, first call", rc, SVSM_ERR_INCOMPLETE);
	GT_EXPECT(t, list_next(l) == 64, "next %u after the first call, expected 64", list_next(l));
	gt_alive(t, "INCOMPLETE");
	if (rc == SVSM_ERR_INCOMPLETE) {
		rc = pv_call(l);
		gt_expect_rc(t, "validate 100, second call", rc, SVSM_SUCCESS);
		GT_EXPECT(t, list_next(l) == 100, "next %u at the end, expected 100", list_next(l));
	}
	if (rc == SVSM_SUCCESS) {
		*(volatile uint64_t *)(uintptr_t)s4(100) = 1;
		*(volatile uint64_t *)(uintptr_t)s4(199) = 1;
	}
	pages_list(100, 100, false);
	gt_expect_rc(t, "rescind 100", pv_until_done(l, &inc), SVSM_SUCCESS);
	GT_EXPECT(t, inc == 1, "rescinding 100 pages took %u INCOMPLETE answers, expected 1", inc);
}

static void t_incomplete_then_error(struct gt *t, const void *arg)
{
	uint64_t l = ca_list();
	unsigned inc;

	pages_list(200, 70, true);
	big_list[66] |= 1u << 7; /* reserved */
	list_put(l, 70, 0, big_list, 70);
	gt_expect_rc(t, "first call", pv_call(l), SVSM_ERR_INCOMPLETE);
	GT_EXPECT(t, list_next(l) == 64, "next %u, expected 64", list_next(l));
	gt_expect_rc(t, "second call", pv_call(l), SVSM_ERR_INVALID_PARAMETER);
	GT_EXPECT(t, list_next(l) == 66, "next %u, expected 66 (the bad entry)", list_next(l));
	gt_alive(t, "PVALIDATE");
	pages_list(200, 66, false);
	gt_expect_rc(t, "rescind the 66 done", pv_until_done(l, &inc), SVSM_SUCCESS);
	expect_not_validated(t, s4(267), false);
}

/* ---- 2 MiB pages ---- */

static void t_2m_validate(struct gt *t, const void *arg)
{
	if (pv_one(t, "validate 2M", pval_entry(s2m(), true, true, false), SVSM_SUCCESS, 1))
		GT_EXPECT(t, range_is_zero(s2m(), SIZE_2M, 256), "the 2 MiB page is not zeroed");
}

static void t_2m_again(struct gt *t, const void *arg)
{
	pv_one(t, "validate 2M again", pval_entry(s2m(), true, true, false),
	       SVSM_PVALIDATE_FAIL_UNCHANGED, 0);
}

static void t_2m_rescind_4k(struct gt *t, const void *arg)
{
	pv_one(t, "rescind 4K inside a 2M page", pval_entry(s2m() + PAGE_SIZE, false, false, false),
	       SVSM_PVALIDATE_FAIL_SIZEMISMATCH, 0);
}

static void t_2m_rescind(struct gt *t, const void *arg)
{
	pv_one(t, "rescind 2M", pval_entry(s2m(), true, false, false), SVSM_SUCCESS, 1);
}

static void t_2m_over_4k(struct gt *t, const void *arg)
{
	uint64_t small = s2m() + 2 * PAGE_SIZE;

	if (!pv_one(t, "validate 4K", pval_entry(small, false, true, false), SVSM_SUCCESS, 1))
		return;
	pv_one(t, "validate 2M over it", pval_entry(s2m(), true, true, false),
	       SVSM_PVALIDATE_FAIL_SIZEMISMATCH, 0);
	pv_one(t, "rescind 4K", pval_entry(small, false, false, false), SVSM_SUCCESS, 1);
	if (pv_one(t, "validate 2M now", pval_entry(s2m(), true, true, false), SVSM_SUCCESS, 1))
		pv_one(t, "rescind 2M", pval_entry(s2m(), true, false, false), SVSM_SUCCESS, 1);
}

static const struct gt_case pv_cases[] = {
	{ "list_unaligned_by_4_invalid_parameter", t_header, &h_unaligned4 },
	{ "list_unaligned_by_1_invalid_parameter", t_header, &h_unaligned1 },
	{ "list_in_husk_invalid_address", t_header, &h_husk },
	{ "list_at_end_of_husk_invalid_address", t_header, &h_husk_end },
	{ "list_beyond_ram_invalid_address", t_header, &h_beyond },
	{ "list_mmio_invalid_address", t_header, &h_mmio },
	{ "n_0_invalid_parameter", t_header, &h_n0 },
	{ "list_crosses_page_invalid_parameter", t_header, &h_cross },
	{ "n_511_at_ca_plus_8_too_large", t_header, &h_n511_ca8 },
	{ "n_512_at_page_start_too_large", t_header, &h_n512_page },
	{ "n_65535_too_large", t_header, &h_nmax },
	{ "next_equals_n_invalid_parameter", t_header, &h_next_eq },
	{ "next_beyond_n_invalid_parameter", t_header, &h_next_gt },
	{ "next_65535_invalid_parameter", t_header, &h_next_max },
	{ "entry_reserved_bit4_invalid_parameter", t_entry, &e_res4 },
	{ "entry_reserved_bit11_invalid_parameter", t_entry, &e_res11 },
	{ "entry_size_2_invalid_parameter", t_entry, &e_size2 },
	{ "entry_size_3_invalid_parameter", t_entry, &e_size3 },
	{ "entry_2m_misaligned_invalid_parameter", t_entry, &e_2m_misaligned },
	{ "entry_beyond_ram_invalid_address", t_entry, &e_beyond },
	{ "entry_mmio_invalid_address", t_entry, &e_mmio },
	{ "entry_husk_validate_invalid_address", t_entry, &e_husk },
	{ "entry_husk_rescind_invalid_address", t_entry, &e_husk_rescind },
	{ "entry_husk_last_page_invalid_address", t_entry, &e_husk_last },
	{ "entry_husk_2m_invalid_address", t_entry, &e_husk_2m },
	{ "entry_boot_ca_rescind_invalid_address", t_entry, &e_ca_rescind },
	{ "entry_boot_ca_validate_invalid_address", t_entry, &e_ca_validate },
	{ "entry_2m_over_boot_ca_invalid_address", t_entry, &e_ca_2m },
	{ "error_next_names_failing_entry", t_next_at_failure, NULL },
	{ "processing_starts_at_next", t_starts_at_next, NULL },
	{ "validate_4k_success_zeroed", t_validate, NULL },
	{ "validate_again_fail_unchanged", t_validate_unchanged, NULL },
	{ "validate_again_ignore_cf_untouched", t_validate_ignore_cf, NULL },
	{ "rescind_4k_success", t_rescind, NULL },
	{ "rescind_again_fail_unchanged", t_rescind_unchanged, NULL },
	{ "rescind_again_ignore_cf_success", t_rescind_ignore_cf, NULL },
	{ "revalidate_zeroes_old_contents", t_revalidate_zeroed, NULL },
	{ "three_entries_one_call", t_three_entries, NULL },
	{ "exactly_64_entries_no_incomplete", t_exactly_64, NULL },
	{ "100_entries_incomplete_at_64", t_incomplete, NULL },
	{ "70_entries_incomplete_then_error_at_66", t_incomplete_then_error, NULL },
	{ "validate_2m_success_zeroed", t_2m_validate, NULL },
	{ "validate_2m_again_fail_unchanged", t_2m_again, NULL },
	{ "rescind_4k_inside_2m_sizemismatch", t_2m_rescind_4k, NULL },
	{ "rescind_2m_success", t_2m_rescind, NULL },
	{ "validate_2m_over_4k_sizemismatch", t_2m_over_4k, NULL },
};
const struct gt_suite gt_suite_pvalidate = GT_SUITE("pvalidate", pv_cases);
