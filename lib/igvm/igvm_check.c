/* The rules of the IGVM format for one variable header at a time, applied in
 * file order by the reader (to a file) and by the writer (before it appends a
 * header), plus the table of known header types and the error formatter. */
#include <stdarg.h>
#include <string.h>

#include "fmt/fmt.h"
#include "husk/err.h"
#include "igvm/igvm_check.h"

#define MASK_NONE (-1)

struct type_info {
	uint32_t type;
	const char *name;
	uint16_t min_size;
	int8_t mask_off; /* offset of compatibility_mask in the body, or MASK_NONE */
};

/* CORIM_* and CCA_POLICY are opaque to husk (layout not restated in its
 * references), so their masks are not looked at. */
static const struct type_info types[] = {
	{ IGVM_VHT_SUPPORTED_PLATFORM, "SUPPORTED_PLATFORM",
	  sizeof(struct igvm_vhs_supported_platform), 0 },
	{ IGVM_VHT_GUEST_POLICY, "GUEST_POLICY", sizeof(struct igvm_vhs_guest_policy), 8 },
	{ IGVM_VHT_RELOCATABLE_REGION, "RELOCATABLE_REGION",
	  sizeof(struct igvm_vhs_relocatable_region), 0 },
	{ IGVM_VHT_PAGE_TABLE_RELOCATION_REGION, "PAGE_TABLE_RELOCATION_REGION",
	  sizeof(struct igvm_vhs_page_table_relocation), 0 },
	{ IGVM_VHT_CORIM_DOCUMENT, "CORIM_DOCUMENT", IGVM_VHS_CORIM_SIZE, MASK_NONE },
	{ IGVM_VHT_CORIM_SIGNATURE, "CORIM_SIGNATURE", IGVM_VHS_CORIM_SIZE, MASK_NONE },
	{ IGVM_VHT_CCA_POLICY, "CCA_POLICY", IGVM_VHS_CCA_POLICY_SIZE, MASK_NONE },
	{ IGVM_VHT_PARAMETER_AREA, "PARAMETER_AREA", sizeof(struct igvm_vhs_parameter_area),
	  MASK_NONE },
	{ IGVM_VHT_PAGE_DATA, "PAGE_DATA", sizeof(struct igvm_vhs_page_data), 8 },
	{ IGVM_VHT_PARAMETER_INSERT, "PARAMETER_INSERT", sizeof(struct igvm_vhs_parameter_insert),
	  8 },
	{ IGVM_VHT_VP_CONTEXT, "VP_CONTEXT", sizeof(struct igvm_vhs_vp_context), 8 },
	{ IGVM_VHT_REQUIRED_MEMORY, "REQUIRED_MEMORY", sizeof(struct igvm_vhs_required_memory),
	  8 },
	{ IGVM_VHT_VP_COUNT_PARAMETER, "VP_COUNT_PARAMETER", sizeof(struct igvm_vhs_parameter),
	  MASK_NONE },
	{ IGVM_VHT_SRAT, "SRAT", sizeof(struct igvm_vhs_parameter), MASK_NONE },
	{ IGVM_VHT_MADT, "MADT", sizeof(struct igvm_vhs_parameter), MASK_NONE },
	{ IGVM_VHT_MMIO_RANGES, "MMIO_RANGES", sizeof(struct igvm_vhs_parameter), MASK_NONE },
	{ IGVM_VHT_SNP_ID_BLOCK, "SNP_ID_BLOCK", sizeof(struct igvm_vhs_snp_id_block), 0 },
	{ IGVM_VHT_MEMORY_MAP, "MEMORY_MAP", sizeof(struct igvm_vhs_parameter), MASK_NONE },
	{ IGVM_VHT_ERROR_RANGE, "ERROR_RANGE", sizeof(struct igvm_vhs_error_range), 8 },
	{ IGVM_VHT_COMMAND_LINE, "COMMAND_LINE", sizeof(struct igvm_vhs_parameter), MASK_NONE },
	{ IGVM_VHT_SLIT, "SLIT", sizeof(struct igvm_vhs_parameter), MASK_NONE },
	{ IGVM_VHT_PPTT, "PPTT", sizeof(struct igvm_vhs_parameter), MASK_NONE },
	{ IGVM_VHT_VBS_MEASUREMENT, "VBS_MEASUREMENT", sizeof(struct igvm_vhs_vbs_measurement), 0 },
	{ IGVM_VHT_DEVICE_TREE, "DEVICE_TREE", sizeof(struct igvm_vhs_parameter), MASK_NONE },
	{ IGVM_VHT_ENVIRONMENT_INFO_PARAMETER, "ENVIRONMENT_INFO_PARAMETER",
	  sizeof(struct igvm_vhs_parameter), MASK_NONE },
};

static const char *const platform_names[IGVM_PLATFORM_TYPE_MAX + 1] = {
	"NATIVE", "VSM_ISOLATION", "SEV_SNP", "TDX", "SEV", "SEV_ES", "CCA",
};

static const char *const section_names[] = {
	"(none)", "platform", "initialization", "directive",
};

static const struct type_info *type_lookup(uint32_t type)
{
	for (size_t i = 0; i < HUSK_ARRAY_SIZE(types); i++)
		if (types[i].type == type)
			return &types[i];
	return NULL;
}

const char *igvm_header_type_name(uint32_t type)
{
	const struct type_info *ti = type_lookup(type & ~IGVM_VHT_OPTIONAL);

	return ti ? ti->name : NULL;
}

const char *igvm_platform_type_name(uint8_t platform_type)
{
	return platform_type <= IGVM_PLATFORM_TYPE_MAX ? platform_names[platform_type] : NULL;
}

uint32_t igvm_type_min_size(uint32_t type)
{
	const struct type_info *ti = type_lookup(type);

	return ti ? ti->min_size : 0;
}

enum igvm_section igvm_type_section(uint32_t type)
{
	type &= ~IGVM_VHT_OPTIONAL;
	if (type >= IGVM_VHT_RANGE_PLATFORM_FIRST && type <= IGVM_VHT_RANGE_PLATFORM_LAST)
		return IGVM_SECTION_PLATFORM;
	if (type >= IGVM_VHT_RANGE_INIT_FIRST && type <= IGVM_VHT_RANGE_INIT_LAST)
		return IGVM_SECTION_INITIALIZATION;
	if (type >= IGVM_VHT_RANGE_DIRECTIVE_FIRST && type <= IGVM_VHT_RANGE_DIRECTIVE_LAST)
		return IGVM_SECTION_DIRECTIVE;
	return IGVM_SECTION_NONE;
}

bool igvm_type_is_parameter(uint32_t type)
{
	switch (type & ~IGVM_VHT_OPTIONAL) {
	case IGVM_VHT_VP_COUNT_PARAMETER:
	case IGVM_VHT_SRAT:
	case IGVM_VHT_MADT:
	case IGVM_VHT_MMIO_RANGES:
	case IGVM_VHT_MEMORY_MAP:
	case IGVM_VHT_COMMAND_LINE:
	case IGVM_VHT_SLIT:
	case IGVM_VHT_PPTT:
	case IGVM_VHT_DEVICE_TREE:
	case IGVM_VHT_ENVIRONMENT_INFO_PARAMETER:
		return true;
	default:
		return false;
	}
}

void igvm_classify(struct igvm_header *h, uint32_t raw_type)
{
	h->raw_type = raw_type;
	h->type = raw_type & ~IGVM_VHT_OPTIONAL;
	h->optional = (raw_type & IGVM_VHT_OPTIONAL) != 0;
	h->known = type_lookup(h->type) != NULL;
	h->section = (uint8_t)igvm_type_section(h->type);
}

bool igvm_header_compat_mask(const struct igvm_header *h, uint32_t *mask)
{
	const struct type_info *ti = type_lookup(h->type);

	if (!ti || ti->mask_off == MASK_NONE || h->length < ti->min_size)
		return false;
	*mask = igvm_get_u32(h->body + ti->mask_off);
	return true;
}

bool igvm_header_applies(const struct igvm_header *h, uint32_t mask)
{
	uint32_t hmask;

	if (!igvm_header_compat_mask(h, &hmask))
		return true;
	return (hmask & mask) != 0;
}

uint32_t igvm_get_u32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

int igvm_fail(struct igvm_error *err, const struct igvm_header *h, int code, const char *fmt, ...)
{
	va_list ap;
	size_t n = 0;

	if (!err)
		return code;
	err->code = code;
	err->header_index = h ? h->index : IGVM_NO_HEADER;
	err->offset = h ? h->offset : 0;
	err->message[0] = '\0';
	if (h) {
		const char *name = h->known ? igvm_header_type_name(h->type) : NULL;
		int k;

		if (name)
			k = fmt_snprintf(err->message, sizeof(err->message),
					 "header #%u (%s) at offset 0x%x: ", h->index, name, h->offset);
		else
			k = fmt_snprintf(err->message, sizeof(err->message),
					 "header #%u (type 0x%x) at offset 0x%x: ", h->index,
					 h->raw_type, h->offset);
		n = k < 0 ? 0 : HUSK_MIN((size_t)k, sizeof(err->message) - 1);
	}
	va_start(ap, fmt);
	fmt_vsnprintf(err->message + n, sizeof(err->message) - n, fmt, ap);
	va_end(ap);
	return code;
}

void igvm_validator_init(struct igvm_validator *v, uint32_t format_version,
			 uint32_t architecture, const uint8_t *file, uint32_t file_size,
			 uint32_t data_offset)
{
	memset(v, 0, sizeof(*v));
	v->format_version = format_version;
	v->architecture = architecture;
	v->section = IGVM_SECTION_PLATFORM;
	v->file = file;
	v->file_size = file_size;
	v->data_offset = data_offset;
}

uint8_t igvm_validator_platform_of(const struct igvm_validator *v, uint32_t mask)
{
	return v->platform_type[__builtin_ctz(mask)];
}

static struct igvm_area *find_area(struct igvm_validator *v, uint32_t index)
{
	for (uint32_t i = 0; i < v->nareas; i++)
		if (v->areas[i].index == index)
			return &v->areas[i];
	return NULL;
}

static int check_mask(const struct igvm_validator *v, const struct igvm_header *h,
		      struct igvm_error *err, uint32_t mask)
{
	if (mask == 0)
		return igvm_fail(err, h, HUSK_ERR_FORMAT,
				 "compatibility mask is 0 (applies to no platform)");
	if (mask & ~v->platform_mask)
		return igvm_fail(err, h, HUSK_ERR_FORMAT,
				 "compatibility mask 0x%x names undeclared platforms 0x%x "
				 "(declared 0x%x)", mask, mask & ~v->platform_mask, v->platform_mask);
	return HUSK_OK;
}

/* [off, off+len) must lie in the file data section.  Skipped in writer mode,
 * where the writer places the data itself (and off is a placeholder). */
static int check_file_range(const struct igvm_validator *v, const struct igvm_header *h,
			    struct igvm_error *err, uint32_t off, uint64_t len)
{
	if (!v->file)
		return HUSK_OK;
	if (off < v->data_offset)
		return igvm_fail(err, h, HUSK_ERR_RANGE,
				 "file data 0x%x+%llu starts inside the headers (file data begins "
				 "at 0x%x)", off, (unsigned long long)len, v->data_offset);
	if ((uint64_t)off + len > v->file_size)
		return igvm_fail(err, h, HUSK_ERR_RANGE,
				 "file data 0x%x+%llu beyond end of file (size 0x%x)", off,
				 (unsigned long long)len, v->file_size);
	return HUSK_OK;
}

/* [gpa, gpa+size) must not wrap past 2^64 (size may be 0). */
static int check_gpa_range(const struct igvm_header *h, struct igvm_error *err, uint64_t gpa,
			   uint64_t size)
{
	if (size != 0 && gpa + (size - 1) < gpa)
		return igvm_fail(err, h, HUSK_ERR_RANGE, "GPA range 0x%llx+0x%llx wraps around",
				 (unsigned long long)gpa, (unsigned long long)size);
	return HUSK_OK;
}

static int check_page_aligned(const struct igvm_header *h, struct igvm_error *err,
			      const char *what, uint64_t value)
{
	if (!HUSK_IS_ALIGNED(value, (uint64_t)IGVM_PAGE_SIZE_4K))
		return igvm_fail(err, h, HUSK_ERR_ALIGN, "%s 0x%llx is not 4 KiB aligned", what,
				 (unsigned long long)value);
	return HUSK_OK;
}

static int check_reserved(const struct igvm_header *h, struct igvm_error *err, uint64_t value)
{
	if (value != 0)
		return igvm_fail(err, h, HUSK_ERR_FORMAT, "reserved field is 0x%llx, must be 0",
				 (unsigned long long)value);
	return HUSK_OK;
}

static int check_platform(struct igvm_validator *v, const struct igvm_header *h,
			  struct igvm_error *err)
{
	struct igvm_vhs_supported_platform p;
	const char *name;
	bool x64_only, arm_only;

	memcpy(&p, h->body, sizeof(p));
	if (!igvm_single_bit(p.compatibility_mask))
		return igvm_fail(err, h, HUSK_ERR_FORMAT,
				 "compatibility mask 0x%x must have exactly one bit set",
				 p.compatibility_mask);
	if (p.compatibility_mask & v->platform_mask)
		return igvm_fail(err, h, HUSK_ERR_FORMAT,
				 "compatibility mask 0x%x already belongs to another platform",
				 p.compatibility_mask);
	name = igvm_platform_type_name(p.platform_type);
	if (!name)
		return igvm_fail(err, h, HUSK_ERR_UNSUPPORTED, "unknown platform type 0x%x",
				 p.platform_type);
	if (v->platform_types & (1u << p.platform_type))
		return igvm_fail(err, h, HUSK_ERR_FORMAT, "platform %s declared twice", name);
	if (p.platform_version != IGVM_PLATFORM_VERSION)
		return igvm_fail(err, h, HUSK_ERR_UNSUPPORTED,
				 "%s platform version %u (only %u is defined)", name,
				 p.platform_version, IGVM_PLATFORM_VERSION);
	if (p.highest_vtl != 0 && p.highest_vtl != 2)
		return igvm_fail(err, h, HUSK_ERR_FORMAT, "highest_vtl %u (must be 0 or 2)",
				 p.highest_vtl);
	if ((p.platform_type == IGVM_PLATFORM_NATIVE ||
	     p.platform_type == IGVM_PLATFORM_VSM_ISOLATION) && p.shared_gpa_boundary != 0)
		return igvm_fail(err, h, HUSK_ERR_FORMAT,
				 "shared_gpa_boundary 0x%llx must be 0 for %s",
				 (unsigned long long)p.shared_gpa_boundary, name);
	arm_only = p.platform_type == IGVM_PLATFORM_CCA;
	x64_only = !arm_only && p.platform_type != IGVM_PLATFORM_VSM_ISOLATION;
	if ((x64_only && v->architecture != IGVM_ARCH_X64) ||
	    (arm_only && v->architecture != IGVM_ARCH_AARCH64))
		return igvm_fail(err, h, HUSK_ERR_FORMAT, "%s platform in a file for %s", name,
				 v->architecture == IGVM_ARCH_X64 ? "x64" : "aarch64");

	v->platform_mask |= p.compatibility_mask;
	v->platform_types |= 1u << p.platform_type;
	v->platform_type[__builtin_ctz(p.compatibility_mask)] = p.platform_type;
	return HUSK_OK;
}

static int check_relocatable_region(const struct igvm_header *h, struct igvm_error *err)
{
	struct igvm_vhs_relocatable_region rr;
	uint64_t a;

	memcpy(&rr, h->body, sizeof(rr));
	a = rr.relocation_alignment;
	if (a == 0 || !HUSK_IS_ALIGNED(a, (uint64_t)IGVM_PAGE_SIZE_4K))
		return igvm_fail(err, h, HUSK_ERR_ALIGN,
				 "relocation alignment 0x%llx is not a non-zero multiple of 4 KiB",
				 (unsigned long long)a);
	if (!HUSK_IS_ALIGNED(rr.relocation_region_size, (uint64_t)IGVM_PAGE_SIZE_4K))
		return igvm_fail(err, h, HUSK_ERR_ALIGN, "region size 0x%llx is not 4 KiB aligned",
				 (unsigned long long)rr.relocation_region_size);
	/* Alignment need not be a power of two, so use %, not a mask. */
	if (rr.relocation_region_gpa % a || rr.minimum_relocation_gpa % a ||
	    rr.maximum_relocation_gpa % a)
		return igvm_fail(err, h, HUSK_ERR_ALIGN,
				 "region 0x%llx / min 0x%llx / max 0x%llx not aligned to 0x%llx",
				 (unsigned long long)rr.relocation_region_gpa,
				 (unsigned long long)rr.minimum_relocation_gpa,
				 (unsigned long long)rr.maximum_relocation_gpa,
				 (unsigned long long)a);
	if (rr.vtl > 2)
		return igvm_fail(err, h, HUSK_ERR_FORMAT, "VTL %u (must be 0..2)", rr.vtl);
	if (rr.flags & ~IGVM_RELOCATABLE_REGION_FLAGS)
		return igvm_fail(err, h, HUSK_ERR_FORMAT, "unknown flags 0x%x", rr.flags);
	return check_gpa_range(h, err, rr.relocation_region_gpa, rr.relocation_region_size);
}

static int check_page_table_relocation(struct igvm_validator *v, const struct igvm_header *h,
				       struct igvm_error *err)
{
	struct igvm_vhs_page_table_relocation pt;
	int rc;

	memcpy(&pt, h->body, sizeof(pt));
	if ((rc = check_page_aligned(h, err, "GPA", pt.gpa)) ||
	    (rc = check_page_aligned(h, err, "size", pt.size)) ||
	    (rc = check_page_aligned(h, err, "used size", pt.used_size)) ||
	    (rc = check_reserved(h, err, pt.reserved)) ||
	    (rc = check_gpa_range(h, err, pt.gpa, pt.size)))
		return rc;
	if (pt.used_size > pt.size)
		return igvm_fail(err, h, HUSK_ERR_RANGE, "used size 0x%llx exceeds size 0x%llx",
				 (unsigned long long)pt.used_size, (unsigned long long)pt.size);
	if (pt.vtl > 2)
		return igvm_fail(err, h, HUSK_ERR_FORMAT, "VTL %u (must be 0..2)", pt.vtl);
	if (pt.compatibility_mask & v->page_table_reloc_mask)
		return igvm_fail(err, h, HUSK_ERR_FORMAT,
				 "second page table relocation region for platforms 0x%x",
				 pt.compatibility_mask & v->page_table_reloc_mask);
	v->page_table_reloc_mask |= pt.compatibility_mask;
	return HUSK_OK;
}

static int check_parameter_area(struct igvm_validator *v, const struct igvm_header *h,
				struct igvm_error *err)
{
	struct igvm_vhs_parameter_area pa;
	int rc;

	memcpy(&pa, h->body, sizeof(pa));
	if (pa.number_of_bytes == 0 ||
	    !HUSK_IS_ALIGNED(pa.number_of_bytes, (uint64_t)IGVM_PAGE_SIZE_4K))
		return igvm_fail(err, h, HUSK_ERR_ALIGN,
				 "size 0x%llx is not a non-zero multiple of 4 KiB",
				 (unsigned long long)pa.number_of_bytes);
	if (pa.number_of_bytes > IGVM_MAX_PARAMETER_AREA_SIZE)
		return igvm_fail(err, h, HUSK_ERR_UNSUPPORTED,
				 "size 0x%llx is larger than husk's limit of 0x%x (a loader "
				 "allocates the area whole)", (unsigned long long)pa.number_of_bytes,
				 IGVM_MAX_PARAMETER_AREA_SIZE);
	if (find_area(v, pa.parameter_area_index))
		return igvm_fail(err, h, HUSK_ERR_FORMAT, "parameter area %u declared twice",
				 pa.parameter_area_index);
	if (v->nareas == IGVM_MAX_PARAMETER_AREAS)
		return igvm_fail(err, h, HUSK_ERR_UNSUPPORTED, "more than %u parameter areas",
				 IGVM_MAX_PARAMETER_AREAS);
	if (pa.file_offset != 0 &&
	    (rc = check_file_range(v, h, err, pa.file_offset, pa.number_of_bytes)))
		return rc;
	v->areas[v->nareas++] = (struct igvm_area){
		.index = pa.parameter_area_index,
		.state = IGVM_AREA_DECLARED,
		.size = pa.number_of_bytes,
	};
	return HUSK_OK;
}

static int check_page_data(const struct igvm_validator *v, const struct igvm_header *h,
			   struct igvm_error *err)
{
	struct igvm_vhs_page_data pd;
	uint64_t page;
	int rc;

	memcpy(&pd, h->body, sizeof(pd));
	if (pd.flags & ~IGVM_PAGE_DATA_FLAGS)
		return igvm_fail(err, h, HUSK_ERR_FORMAT, "unknown flags 0x%x", pd.flags);
	if (pd.data_type > IGVM_PAGE_DATA_TYPE_MAX)
		return igvm_fail(err, h, HUSK_ERR_FORMAT, "unknown data type %u", pd.data_type);
	if ((rc = check_reserved(h, err, pd.reserved)))
		return rc;
	page = (pd.flags & IGVM_PAGE_DATA_FLAG_2MB) ? IGVM_PAGE_SIZE_2M : IGVM_PAGE_SIZE_4K;
	if (!HUSK_IS_ALIGNED(pd.gpa, page))
		return igvm_fail(err, h, HUSK_ERR_ALIGN, "GPA 0x%llx is not %s aligned",
				 (unsigned long long)pd.gpa,
				 page == IGVM_PAGE_SIZE_2M ? "2 MiB" : "4 KiB");
	if ((rc = check_gpa_range(h, err, pd.gpa, page)))
		return rc;
	if (pd.file_offset != 0)
		return check_file_range(v, h, err, pd.file_offset, page);
	return HUSK_OK;
}

static int check_parameter_insert(struct igvm_validator *v, const struct igvm_header *h,
				  struct igvm_error *err)
{
	struct igvm_vhs_parameter_insert pi;
	struct igvm_area *a;
	int rc;

	memcpy(&pi, h->body, sizeof(pi));
	if ((rc = check_page_aligned(h, err, "GPA", pi.gpa)))
		return rc;
	a = find_area(v, pi.parameter_area_index);
	if (!a)
		return igvm_fail(err, h, HUSK_ERR_FORMAT, "parameter area %u is not declared",
				 pi.parameter_area_index);
	if (a->state == IGVM_AREA_INSERTED)
		return igvm_fail(err, h, HUSK_ERR_FORMAT, "parameter area %u was already inserted",
				 pi.parameter_area_index);
	if ((rc = check_gpa_range(h, err, pi.gpa, a->size)))
		return rc;
	a->state = IGVM_AREA_INSERTED;
	return HUSK_OK;
}

/* Bytes the loader writes for a parameter, where the format fixes them. */
static uint32_t parameter_item_size(uint32_t type)
{
	switch (type) {
	case IGVM_VHT_VP_COUNT_PARAMETER:
	case IGVM_VHT_ENVIRONMENT_INFO_PARAMETER:
		return sizeof(uint32_t);
	case IGVM_VHT_MMIO_RANGES:
		return sizeof(struct igvm_mmio_ranges);
	case IGVM_VHT_MEMORY_MAP:
		return sizeof(struct igvm_memory_map_entry); /* at least the terminator */
	default:
		return 1;
	}
}

static int check_parameter(struct igvm_validator *v, const struct igvm_header *h,
			   struct igvm_error *err)
{
	struct igvm_vhs_parameter p;
	struct igvm_area *a;
	uint32_t need = parameter_item_size(h->type);

	memcpy(&p, h->body, sizeof(p));
	a = find_area(v, p.parameter_area_index);
	if (!a)
		return igvm_fail(err, h, HUSK_ERR_FORMAT, "parameter area %u is not declared",
				 p.parameter_area_index);
	if (a->state == IGVM_AREA_INSERTED)
		return igvm_fail(err, h, HUSK_ERR_FORMAT,
				 "parameter area %u is used after its PARAMETER_INSERT",
				 p.parameter_area_index);
	if ((uint64_t)p.byte_offset + need > a->size)
		return igvm_fail(err, h, HUSK_ERR_RANGE,
				 "byte offset 0x%x+%u beyond parameter area %u (0x%llx bytes)",
				 p.byte_offset, need, p.parameter_area_index,
				 (unsigned long long)a->size);
	return HUSK_OK;
}

static int check_vp_context(const struct igvm_validator *v, const struct igvm_header *h,
			    struct igvm_error *err)
{
	struct igvm_vhs_vp_context vp;
	uint8_t ptype;
	int rc;

	memcpy(&vp, h->body, sizeof(vp));
	/* The context's format depends on the platform, so it can name only one. */
	if (!igvm_single_bit(vp.compatibility_mask))
		return igvm_fail(err, h, HUSK_ERR_FORMAT,
				 "compatibility mask 0x%x must name exactly one platform",
				 vp.compatibility_mask);
	if ((rc = check_reserved(h, err, vp.reserved)))
		return rc;
	ptype = igvm_validator_platform_of(v, vp.compatibility_mask);
	switch (ptype) {
	case IGVM_PLATFORM_TDX:
		return igvm_fail(err, h, HUSK_ERR_FORMAT,
				 "not allowed for TDX (it has an architectural reset state)");
	case IGVM_PLATFORM_SEV_SNP:
	case IGVM_PLATFORM_SEV_ES:
		if ((rc = check_page_aligned(h, err, "VMSA GPA", vp.gpa)) ||
		    (rc = check_gpa_range(h, err, vp.gpa, IGVM_PAGE_SIZE_4K)))
			return rc;
		break;
	case IGVM_PLATFORM_NATIVE:
	case IGVM_PLATFORM_VSM_ISOLATION:
	case IGVM_PLATFORM_SEV:
		if (vp.gpa != 0)
			return igvm_fail(err, h, HUSK_ERR_FORMAT, "GPA 0x%llx must be 0 for %s",
					 (unsigned long long)vp.gpa, igvm_platform_type_name(ptype));
		break;
	default:
		break;
	}
	if (vp.file_offset == 0)
		return igvm_fail(err, h, HUSK_ERR_FORMAT, "no file data (file_offset 0)");
	if (!v->file)
		return HUSK_OK; /* writer mode: the writer sizes the data itself */
	if (ptype == IGVM_PLATFORM_VSM_ISOLATION) {
		uint32_t count;

		if ((rc = check_file_range(v, h, err, vp.file_offset, 4)))
			return rc;
		count = igvm_get_u32(v->file + vp.file_offset);
		return check_file_range(v, h, err, vp.file_offset,
					4 + (uint64_t)count * sizeof(struct igvm_vbs_vp_context_register));
	}
	return check_file_range(v, h, err, vp.file_offset, IGVM_PAGE_SIZE_4K);
}

static int check_required_memory(const struct igvm_header *h, struct igvm_error *err)
{
	struct igvm_vhs_required_memory rm;
	int rc;

	memcpy(&rm, h->body, sizeof(rm));
	if ((rc = check_page_aligned(h, err, "GPA", rm.gpa)) ||
	    (rc = check_page_aligned(h, err, "size", rm.number_of_bytes)) ||
	    (rc = check_reserved(h, err, rm.reserved)) ||
	    (rc = check_gpa_range(h, err, rm.gpa, rm.number_of_bytes)))
		return rc;
	if (rm.flags & ~IGVM_REQUIRED_MEMORY_FLAGS)
		return igvm_fail(err, h, HUSK_ERR_FORMAT, "unknown flags 0x%x", rm.flags);
	return HUSK_OK;
}

static int check_error_range(const struct igvm_header *h, struct igvm_error *err)
{
	struct igvm_vhs_error_range er;
	int rc;

	memcpy(&er, h->body, sizeof(er));
	if ((rc = check_page_aligned(h, err, "GPA", er.gpa)) ||
	    (rc = check_page_aligned(h, err, "size", er.size_bytes)))
		return rc;
	return check_gpa_range(h, err, er.gpa, er.size_bytes);
}

int igvm_validate_header(struct igvm_validator *v, const struct igvm_header *h,
			 struct igvm_error *err)
{
	const struct type_info *ti = type_lookup(h->type);
	uint32_t section = igvm_type_section(h->type);
	uint32_t mask;
	int rc;

	if (!ti && !h->optional)
		return igvm_fail(err, h, HUSK_ERR_UNSUPPORTED,
				 "unknown header type 0x%x is not marked optional (bit 31)",
				 h->raw_type);
	/* Optional types outside every range belong to no section and do not
	 * move the section state; all others must not go backwards. */
	if (section != IGVM_SECTION_NONE && section < v->section)
		return igvm_fail(err, h, HUSK_ERR_FORMAT,
				 "%s header after the %s section (order is platform, "
				 "initialization, directive)",
				 section_names[section], section_names[v->section]);
	if (!ti)
		goto ok;
	if (h->length < ti->min_size)
		return igvm_fail(err, h, HUSK_ERR_FORMAT,
				 "body of %u bytes is shorter than the %u-byte structure", h->length,
				 ti->min_size);
	if (ti->mask_off != MASK_NONE && h->type != IGVM_VHT_SUPPORTED_PLATFORM) {
		mask = igvm_get_u32(h->body + ti->mask_off);
		if ((rc = check_mask(v, h, err, mask)))
			return rc;
	}

	switch (h->type) {
	case IGVM_VHT_SUPPORTED_PLATFORM:
		rc = check_platform(v, h, err);
		break;
	case IGVM_VHT_GUEST_POLICY:
		rc = check_reserved(h, err, igvm_get_u32(h->body + 12));
		break;
	case IGVM_VHT_RELOCATABLE_REGION:
		rc = check_relocatable_region(h, err);
		break;
	case IGVM_VHT_PAGE_TABLE_RELOCATION_REGION:
		rc = check_page_table_relocation(v, h, err);
		break;
	case IGVM_VHT_PARAMETER_AREA:
		rc = check_parameter_area(v, h, err);
		break;
	case IGVM_VHT_PAGE_DATA:
		rc = check_page_data(v, h, err);
		break;
	case IGVM_VHT_PARAMETER_INSERT:
		rc = check_parameter_insert(v, h, err);
		break;
	case IGVM_VHT_VP_CONTEXT:
		rc = check_vp_context(v, h, err);
		break;
	case IGVM_VHT_REQUIRED_MEMORY:
		rc = check_required_memory(h, err);
		break;
	case IGVM_VHT_ERROR_RANGE:
		rc = check_error_range(h, err);
		break;
	default:
		rc = igvm_type_is_parameter(h->type) ? check_parameter(v, h, err) : HUSK_OK;
		break;
	}
	if (rc)
		return rc;
ok:
	if (section != IGVM_SECTION_NONE)
		v->section = section;
	return HUSK_OK;
}

int igvm_validate_finish(const struct igvm_validator *v, struct igvm_error *err)
{
	if (v->platform_mask == 0)
		return igvm_fail(err, NULL, HUSK_ERR_FORMAT, "no SUPPORTED_PLATFORM header");
	return HUSK_OK;
}
