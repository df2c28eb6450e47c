/* Whole-file IGVM rules; see igvm_lint.h.  Page overlap is found with one
 * sort of the loaded ranges by GPA and, per platform bit, the furthest end
 * seen so far: a range overlaps an earlier one of its platform exactly when
 * it starts before that end. */
#include <string.h>

#include "husk/err.h"
#include "igvm/igvm_check.h"
#include "igvm/igvm_lint.h"

struct range {
	uint64_t gpa;
	uint64_t size;
	uint32_t mask;
	uint32_t index; /* header; bit 31: an SNP/SEV-ES VMSA */
};

/* VMSAs may share a GPA: KVM and QEMU want all of them at 0xFFFFFFFFF000. */
#define RANGE_VMSA 0x80000000u

struct lint {
	const struct igvm_reader *r;
	const struct igvm_allocator *alloc;
	struct igvm_error *err;
	struct range *ranges;
	size_t n, cap;
	/* The violation to report: the one whose later header comes first. */
	int code;
	uint32_t bad_index, other_index, bad_bit;
	uint64_t bad_gpa;
	const char *what;
};

static int push(struct lint *l, uint64_t gpa, uint64_t size, uint32_t mask, uint32_t index)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 256;
		struct range *p;

		if (cap > SIZE_MAX / sizeof(*p))
			return HUSK_ERR_NOMEM;
		p = l->alloc->resize(l->alloc->ctx, l->ranges, l->cap * sizeof(*p),
				     cap * sizeof(*p));
		if (!p)
			return HUSK_ERR_NOMEM;
		l->ranges = p;
		l->cap = cap;
	}
	l->ranges[l->n++] = (struct range){ gpa, size, mask, index };
	return HUSK_OK;
}

static bool before(const struct range *a, const struct range *b)
{
	uint32_t ai = a->index & ~RANGE_VMSA, bi = b->index & ~RANGE_VMSA;

	return a->gpa < b->gpa || (a->gpa == b->gpa && ai < bi);
}

/* Heapsort: no recursion, no allocation, O(n log n). */
static void sift(struct range *v, size_t start, size_t n)
{
	size_t root = start;

	for (;;) {
		size_t child = 2 * root + 1, max = root;

		if (child < n && before(&v[max], &v[child]))
			max = child;
		if (child + 1 < n && before(&v[max], &v[child + 1]))
			max = child + 1;
		if (max == root)
			return;
		struct range t = v[root];
		v[root] = v[max];
		v[max] = t;
		root = max;
	}
}

static void sort_ranges(struct range *v, size_t n)
{
	for (size_t i = n / 2; i-- > 0;)
		sift(v, i, n);
	for (size_t end = n; end-- > 1;) {
		struct range t = v[0];
		v[0] = v[end];
		v[end] = t;
		sift(v, 0, end);
	}
}

/* Keeps the violation whose later header is earliest in the file. */
static void violation(struct lint *l, int code, uint32_t a, uint32_t b, uint32_t bit,
		      uint64_t gpa, const char *what)
{
	uint32_t later = a > b ? a : b, other = a > b ? b : a;

	if (l->code && later >= l->bad_index)
		return;
	l->code = code;
	l->bad_index = later;
	l->other_index = other;
	l->bad_bit = bit;
	l->bad_gpa = gpa;
	l->what = what;
}

static void find_overlaps(struct lint *l)
{
	uint64_t end[IGVM_MAX_PLATFORMS] = { 0 };
	uint32_t owner[IGVM_MAX_PLATFORMS] = { 0 };
	bool seen[IGVM_MAX_PLATFORMS] = { false };

	sort_ranges(l->ranges, l->n);
	for (size_t i = 0; i < l->n; i++) {
		const struct range *g = &l->ranges[i];

		for (uint32_t bit = 0; bit < IGVM_MAX_PLATFORMS; bit++) {
			if (!(g->mask & (1u << bit)))
				continue;
			if (seen[bit] && g->gpa < end[bit] &&
			    !(g->index & owner[bit] & RANGE_VMSA))
				violation(l, HUSK_ERR_OVERLAP, g->index & ~RANGE_VMSA,
					  owner[bit] & ~RANGE_VMSA, bit, g->gpa, "loaded");
			if (!seen[bit] || g->gpa + g->size > end[bit]) {
				end[bit] = g->gpa + g->size;
				owner[bit] = g->index;
				seen[bit] = true;
			}
		}
	}
}

static const char *platform_name(const struct igvm_reader *r, uint32_t bit)
{
	const char *n = igvm_platform_type_name(r->platform_type[bit]);

	return n ? n : "?";
}

/* Per platform bit: the header that used a once-only slot (+1, 0 = none). */
struct once {
	uint32_t first[IGVM_MAX_PLATFORMS];
};

static void once(struct lint *l, struct once *o, uint32_t mask, uint32_t index, const char *what)
{
	for (uint32_t bit = 0; bit < IGVM_MAX_PLATFORMS; bit++) {
		if (!(mask & (1u << bit)))
			continue;
		if (o->first[bit])
			violation(l, HUSK_ERR_EXISTS, index, o->first[bit] - 1, bit, 0, what);
		else
			o->first[bit] = index + 1;
	}
}

/* A mask bit whose platform is not one of the allowed types, or -1. */
static int foreign_bit(const struct igvm_reader *r, uint32_t mask, uint32_t types)
{
	for (uint32_t bit = 0; bit < IGVM_MAX_PLATFORMS; bit++)
		if ((mask & (1u << bit)) && !(types & (1u << r->platform_type[bit])))
			return (int)bit;
	return -1;
}

#define TYPE_BIT(t) (1u << (t))

static int collect(struct lint *l)
{
	struct once policy = { { 0 } }, idblock = { { 0 } };
	struct igvm_iter it;
	struct igvm_header h;
	int rc = HUSK_OK, bit;

	igvm_iter_init(&it, l->r);
	while (!rc && igvm_iter_next(&it, &h)) {
		switch (h.type) {
		case IGVM_VHT_PAGE_DATA: {
			struct igvm_vhs_page_data pd;

			igvm_header_page_data(&h, &pd);
			rc = push(l, pd.gpa,
				  (pd.flags & IGVM_PAGE_DATA_FLAG_2MB) ? IGVM_PAGE_SIZE_2M
								       : IGVM_PAGE_SIZE_4K,
				  pd.compatibility_mask, h.index);
			if (pd.data_type != IGVM_PAGE_DATA_TYPE_NORMAL &&
			    (bit = foreign_bit(l->r, pd.compatibility_mask,
					       TYPE_BIT(IGVM_PLATFORM_SEV_SNP))) >= 0)
				violation(l, HUSK_ERR_FORMAT, h.index, h.index, (uint32_t)bit, pd.gpa,
					  "special page");
			break;
		}
		case IGVM_VHT_PARAMETER_INSERT: {
			struct igvm_vhs_parameter_insert pi;
			struct igvm_vhs_parameter_area pa;
			struct igvm_header ah;

			igvm_header_parameter_insert(&h, &pi);
			if (igvm_reader_find_parameter_area(l->r, pi.parameter_area_index, &ah) ||
			    igvm_header_parameter_area(&ah, &pa))
				return HUSK_ERR_INVAL; /* the reader guarantees it */
			rc = push(l, pi.gpa, pa.number_of_bytes, pi.compatibility_mask, h.index);
			break;
		}
		case IGVM_VHT_VP_CONTEXT: {
			struct igvm_vhs_vp_context vp;
			uint8_t t;

			igvm_header_vp_context(&h, &vp);
			t = l->r->platform_type[__builtin_ctz(vp.compatibility_mask)];
			if (t == IGVM_PLATFORM_SEV_SNP || t == IGVM_PLATFORM_SEV_ES)
				rc = push(l, vp.gpa, IGVM_PAGE_SIZE_4K, vp.compatibility_mask,
					  h.index | RANGE_VMSA);
			break;
		}
		case IGVM_VHT_GUEST_POLICY: {
			struct igvm_vhs_guest_policy gp;

			igvm_header_guest_policy(&h, &gp);
			once(l, &policy, gp.compatibility_mask, h.index, "GUEST_POLICY");
			bit = foreign_bit(l->r, gp.compatibility_mask,
					  TYPE_BIT(IGVM_PLATFORM_SEV_SNP) | TYPE_BIT(IGVM_PLATFORM_TDX) |
						  TYPE_BIT(IGVM_PLATFORM_SEV) |
						  TYPE_BIT(IGVM_PLATFORM_SEV_ES));
			if (bit >= 0)
				violation(l, HUSK_ERR_FORMAT, h.index, h.index, (uint32_t)bit, 0,
					  "policy");
			break;
		}
		case IGVM_VHT_SNP_ID_BLOCK: {
			struct igvm_vhs_snp_id_block b;

			igvm_header_snp_id_block(&h, &b);
			once(l, &idblock, b.compatibility_mask, h.index, "SNP_ID_BLOCK");
			bit = foreign_bit(l->r, b.compatibility_mask, TYPE_BIT(IGVM_PLATFORM_SEV_SNP));
			if (bit >= 0)
				violation(l, HUSK_ERR_FORMAT, h.index, h.index, (uint32_t)bit, 0,
					  "ID block");
			break;
		}
		default:
			break;
		}
	}
	return rc;
}

/* Second VP_CONTEXT for a vCPU of a platform: sorted by vCPU instead of GPA. */
static int vp_duplicates(struct lint *l)
{
	struct igvm_iter it;
	struct igvm_header h;
	int rc = HUSK_OK;

	l->n = 0;
	igvm_iter_init(&it, l->r);
	while (!rc && igvm_iter_next(&it, &h)) {
		struct igvm_vhs_vp_context vp;

		if (h.type != IGVM_VHT_VP_CONTEXT)
			continue;
		igvm_header_vp_context(&h, &vp);
		rc = push(l, vp.vp_index, 1, vp.compatibility_mask, h.index);
	}
	if (rc)
		return rc;
	sort_ranges(l->ranges, l->n);
	for (size_t i = 1; i < l->n; i++) {
		const struct range *a = &l->ranges[i - 1], *b = &l->ranges[i];

		/* Contexts name one platform each, so equal masks is the test. */
		if (a->gpa == b->gpa && a->mask == b->mask)
			violation(l, HUSK_ERR_EXISTS, b->index, a->index,
				  (uint32_t)__builtin_ctz(b->mask), b->gpa, "VP_CONTEXT");
	}
	return HUSK_OK;
}

static int report(struct lint *l)
{
	struct igvm_iter it;
	struct igvm_header h, other = { 0 };
	const char *pname = platform_name(l->r, l->bad_bit);
	const char *oname;
	bool found = false;

	igvm_iter_init(&it, l->r);
	while (igvm_iter_next(&it, &h)) {
		if (h.index == l->other_index)
			other = h;
		if (h.index == l->bad_index) {
			found = true;
			break;
		}
	}
	if (!found)
		return igvm_fail(l->err, NULL, l->code, "internal error");
	oname = igvm_header_type_name(other.type);
	if (!oname)
		oname = "?";
	if (strcmp(l->what, "loaded") == 0)
		return igvm_fail(l->err, &h, l->code,
				 "GPA 0x%llx of platform %s (mask 0x%x) is already loaded by header "
				 "#%u (%s)", (unsigned long long)l->bad_gpa, pname, 1u << l->bad_bit,
				 l->other_index, oname);
	if (strcmp(l->what, "VP_CONTEXT") == 0)
		return igvm_fail(l->err, &h, l->code,
				 "second context for vCPU %llu of platform %s (first: header #%u)",
				 (unsigned long long)l->bad_gpa, pname, l->other_index);
	if (strcmp(l->what, "special page") == 0)
		return igvm_fail(l->err, &h, l->code,
				 "SECRETS/CPUID page data for platform %s (mask 0x%x); only SEV_SNP "
				 "has such pages", pname, 1u << l->bad_bit);
	if (strcmp(l->what, "policy") == 0)
		return igvm_fail(l->err, &h, l->code,
				 "guest policy for platform %s (mask 0x%x), which has none", pname,
				 1u << l->bad_bit);
	if (strcmp(l->what, "ID block") == 0)
		return igvm_fail(l->err, &h, l->code,
				 "SNP ID block for platform %s (mask 0x%x), which is not SEV_SNP",
				 pname, 1u << l->bad_bit);
	return igvm_fail(l->err, &h, l->code, "second %s for platform %s (first: header #%u)",
			 l->what, pname, l->other_index);
}

int igvm_lint(const struct igvm_reader *r, const struct igvm_allocator *alloc,
	      struct igvm_error *err)
{
	struct lint l = { .r = r, .alloc = alloc, .err = err };
	int rc;

	if (err) {
		memset(err, 0, sizeof(*err));
		err->header_index = IGVM_NO_HEADER;
	}
	rc = collect(&l);
	if (!rc) {
		find_overlaps(&l);
		rc = vp_duplicates(&l);
	}
	if (l.ranges)
		alloc->resize(alloc->ctx, l.ranges, l.cap * sizeof(*l.ranges), 0);
	if (rc)
		return igvm_fail(err, NULL, rc, "cannot check the file: %s", husk_strerror(rc));
	return l.code ? report(&l) : HUSK_OK;
}
