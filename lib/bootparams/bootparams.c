/* Validation of husk_boot_params and of the VMM-provided parameters; see bootparams.h. */
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include "bootparams/bootparams.h"
#include "fmt/fmt.h"
#include "husk/err.h"
#include "husk/layout.h"

#define GPA_LIMIT (1ull << 52)
#define LOW_4G    (1ull << 32)

static int fail(struct bp_error *err, int code, const char *fmt, ...) HUSK_PRINTF(3, 4);
static int fail(struct bp_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fmt_vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return code;
}

const char *bp_memmap_type_name(uint16_t type)
{
	static const char *const names[] = {
		"memory", "platform-reserved", "persistent", "vtl2-protectable",
		"specific-purpose", "hidden",
	};
	return type < HUSK_ARRAY_SIZE(names) ? names[type] : "unknown";
}

static bool ranges_overlap(uint64_t a, uint64_t asz, uint64_t b, uint64_t bsz)
{
	return a < b + bsz && b < a + asz;
}

/* The (already validated) range of that kind holding the page at offset;
 * written so that no sum can wrap. */
static const struct husk_boot_range *find_range(const struct husk_boot_params *bp,
						uint64_t offset, uint32_t kind)
{
	if (!HUSK_IS_ALIGNED(offset, HUSK_PAGE_SIZE))
		return NULL;
	for (uint32_t i = 0; i < bp->nranges; i++) {
		const struct husk_boot_range *r = &bp->ranges[i];

		if (r->kind == kind && offset >= r->offset && offset - r->offset <= r->size - HUSK_PAGE_SIZE)
			return r;
	}
	return NULL;
}

int bp_check_boot_params(const struct husk_boot_params *bp, struct bp_error *err)
{
	if (bp->magic != HUSK_BOOT_PARAMS_MAGIC)
		return fail(err, HUSK_ERR_FORMAT, "boot params: bad magic 0x%08x", bp->magic);
	if (bp->version != HUSK_BOOT_PARAMS_VERSION || bp->size != sizeof(*bp))
		return fail(err, HUSK_ERR_FORMAT, "boot params: version %u size %u, kernel expects %u/%zu",
			    bp->version, bp->size, HUSK_BOOT_PARAMS_VERSION, sizeof(*bp));
	if (bp->platform < HUSK_PLATFORM_NATIVE || bp->platform > HUSK_PLATFORM_TDX)
		return fail(err, HUSK_ERR_INVAL, "boot params: unknown platform %u", bp->platform);
	if (!HUSK_IS_ALIGNED(bp->region_base, HUSK_PAGE_SIZE) ||
	    !HUSK_IS_ALIGNED(bp->region_size, HUSK_PAGE_SIZE) || bp->region_size == 0)
		return fail(err, HUSK_ERR_ALIGN, "boot params: region 0x%llx+0x%llx not page aligned",
			    (unsigned long long)bp->region_base, (unsigned long long)bp->region_size);
	if (bp->region_base >= GPA_LIMIT || bp->region_size > GPA_LIMIT - bp->region_base)
		return fail(err, HUSK_ERR_RANGE, "boot params: region beyond the physical address limit");
	if (bp->window_offset == 0 || bp->window_offset >= bp->region_size ||
	    !HUSK_IS_ALIGNED(bp->window_offset, HUSK_PAGE_SIZE) ||
	    bp->region_size - bp->window_offset > HUSK_WINDOW_MAX ||
	    bp->image_size != bp->window_offset)
		return fail(err, HUSK_ERR_RANGE, "boot params: window offset 0x%llx / image size 0x%llx inconsistent",
			    (unsigned long long)bp->window_offset, (unsigned long long)bp->image_size);
	if (bp->nranges > HUSK_BOOT_MAX_RANGES)
		return fail(err, HUSK_ERR_RANGE, "boot params: %u ranges (max %u)", bp->nranges,
			    HUSK_BOOT_MAX_RANGES);
	for (uint32_t i = 0; i < bp->nranges; i++) {
		const struct husk_boot_range *r = &bp->ranges[i];

		if (r->kind < HUSK_RANGE_IMAGE || r->kind > HUSK_RANGE_VMM_PARAMS || r->reserved)
			return fail(err, HUSK_ERR_INVAL, "boot params: range %u has bad kind %u", i, r->kind);
		if (!HUSK_IS_ALIGNED(r->offset, HUSK_PAGE_SIZE) || !HUSK_IS_ALIGNED(r->size, HUSK_PAGE_SIZE) ||
		    r->size == 0 || r->offset >= bp->region_size || r->size > bp->region_size - r->offset)
			return fail(err, HUSK_ERR_RANGE, "boot params: range %u (0x%llx+0x%llx) outside the region",
				    i, (unsigned long long)r->offset, (unsigned long long)r->size);
		for (uint32_t j = 0; j < i; j++)
			if (ranges_overlap(r->offset, r->size, bp->ranges[j].offset, bp->ranges[j].size))
				return fail(err, HUSK_ERR_OVERLAP, "boot params: ranges %u and %u overlap", j, i);
	}
	if (!find_range(bp, 0, HUSK_RANGE_IMAGE))
		return fail(err, HUSK_ERR_INVAL, "boot params: no image range at offset 0");
	if (!find_range(bp, bp->pml4_offset, HUSK_RANGE_PAGETABLES))
		return fail(err, HUSK_ERR_INVAL, "boot params: PML4 not in a page-table range");
	/* The loaders load CR3 from 32-bit code (pml4_offset is inside the
	 * region now, so the sum cannot wrap). */
	if (bp->region_base + bp->pml4_offset >= LOW_4G)
		return fail(err, HUSK_ERR_RANGE, "boot params: PML4 above 4 GiB");
	if (!find_range(bp, bp->vmm_params_offset, HUSK_RANGE_VMM_PARAMS) ||
	    !find_range(bp, bp->memmap_offset, HUSK_RANGE_VMM_PARAMS) ||
	    bp->vmm_params_offset == bp->memmap_offset)
		return fail(err, HUSK_ERR_INVAL, "boot params: VMM parameter pages not in a VMM range");
	if (bp->memmap_max == 0 || bp->memmap_max > HUSK_MEMMAP_MAX_ENTRIES)
		return fail(err, HUSK_ERR_RANGE, "boot params: memory map capacity %u", bp->memmap_max);
	if (memchr(bp->version_string, 0, sizeof(bp->version_string)) == NULL)
		return fail(err, HUSK_ERR_FORMAT, "boot params: version string not terminated");
	if (bp->payload_size == 0) {
		if (bp->payload_gpa || bp->payload_entry)
			return fail(err, HUSK_ERR_INVAL, "boot params: payload address without a payload");
	} else if (!HUSK_IS_ALIGNED(bp->payload_gpa, HUSK_PAGE_SIZE) ||
		   !HUSK_IS_ALIGNED(bp->payload_size, HUSK_PAGE_SIZE) || bp->payload_gpa >= GPA_LIMIT ||
		   bp->payload_size > GPA_LIMIT - bp->payload_gpa ||
		   ranges_overlap(bp->payload_gpa, bp->payload_size, bp->region_base, bp->region_size) ||
		   bp->payload_entry < bp->payload_gpa ||
		   bp->payload_entry - bp->payload_gpa >= bp->payload_size) {
		return fail(err, HUSK_ERR_RANGE, "boot params: payload [0x%llx+0x%llx) entry 0x%llx unusable",
			    (unsigned long long)bp->payload_gpa, (unsigned long long)bp->payload_size,
			    (unsigned long long)bp->payload_entry);
	}
	return HUSK_OK;
}

static int check_memmap(const struct husk_boot_params *bp, struct bp_info *out, struct bp_error *err)
{
	uint64_t prev_end = 0, covered;
	uint32_t n = 0;

	while (n < bp->memmap_max && out->memmap[n].page_count != 0)
		n++;
	out->memmap_count = n;
	out->ram_bytes = 0;

	for (uint32_t i = 0; i < n; i++) {
		const struct husk_memmap_entry *e = &out->memmap[i];
		uint64_t start, end;

		if (e->start_page >= (GPA_LIMIT >> 12) || e->page_count > (GPA_LIMIT >> 12) - e->start_page)
			return fail(err, HUSK_ERR_RANGE, "VMM memory map entry %u: page 0x%llx+0x%llx beyond 2^52",
				    i, (unsigned long long)e->start_page, (unsigned long long)e->page_count);
		if (e->type > HUSK_MEMMAP_HIDDEN)
			return fail(err, HUSK_ERR_INVAL, "VMM memory map entry %u: unknown type %u", i, e->type);
		if (e->reserved)
			return fail(err, HUSK_ERR_INVAL, "VMM memory map entry %u: reserved field 0x%x set",
				    i, e->reserved);
		start = e->start_page << 12;
		end = start + (e->page_count << 12);
		if (i > 0 && start < prev_end)
			return fail(err, HUSK_ERR_OVERLAP,
				    "VMM memory map entry %u at 0x%llx overlaps or precedes entry %u (ends 0x%llx)",
				    i, (unsigned long long)start, i - 1, (unsigned long long)prev_end);
		prev_end = end;
		if (e->type == HUSK_MEMMAP_MEMORY)
			out->ram_bytes += end - start;
		else if (ranges_overlap(start, end - start, bp->region_base, bp->region_size))
			return fail(err, HUSK_ERR_OVERLAP,
				    "VMM memory map entry %u [0x%llx-0x%llx) type %s overlaps husk's region [0x%llx-0x%llx)",
				    i, (unsigned long long)start, (unsigned long long)end,
				    bp_memmap_type_name(e->type), (unsigned long long)bp->region_base,
				    (unsigned long long)(bp->region_base + bp->region_size));
	}
	if (n == 0 || out->ram_bytes == 0)
		return fail(err, HUSK_ERR_INVAL, "VMM memory map has no RAM (%u entries)", n);

	/* husk's region must be RAM: walk the sorted RAM entries covering it. */
	covered = bp->region_base;
	for (uint32_t i = 0; i < n; i++) {
		const struct husk_memmap_entry *e = &out->memmap[i];
		uint64_t start = e->start_page << 12, end = start + (e->page_count << 12);

		if (e->type == HUSK_MEMMAP_MEMORY && start <= covered && covered < end)
			covered = end;
	}
	if (covered < bp->region_base + bp->region_size)
		return fail(err, HUSK_ERR_RANGE,
			    "husk's region [0x%llx-0x%llx) is not RAM in the VMM memory map (RAM stops at 0x%llx)",
			    (unsigned long long)bp->region_base,
			    (unsigned long long)(bp->region_base + bp->region_size), (unsigned long long)covered);
	return HUSK_OK;
}

int bp_parse_vmm(const struct husk_boot_params *bp, const void *vmm_page,
		 const void *memmap_page, struct bp_info *out, struct bp_error *err)
{
	const unsigned char *vmm = vmm_page;
	size_t len;

	/* Copy once; everything below looks only at the copy. */
	memcpy(&out->vp_count, vmm + HUSK_VMM_VP_COUNT_OFFSET, sizeof(out->vp_count));
	memcpy(&out->env_info, vmm + HUSK_VMM_ENV_INFO_OFFSET, sizeof(out->env_info));
	memcpy(out->cmdline, vmm + HUSK_VMM_CMDLINE_OFFSET, sizeof(out->cmdline));
	memcpy(out->memmap, memmap_page, sizeof(out->memmap));

	if (out->vp_count == 0)
		return fail(err, HUSK_ERR_INVAL, "VMM reports 0 vCPUs");
	if (out->vp_count > HUSK_MAX_CPUS)
		return fail(err, HUSK_ERR_RANGE, "VMM reports %u vCPUs; husk supports at most %u",
			    out->vp_count, HUSK_MAX_CPUS);

	len = strnlen(out->cmdline, sizeof(out->cmdline));
	if (len == sizeof(out->cmdline))
		return fail(err, HUSK_ERR_FORMAT, "VMM command line is not NUL-terminated within %zu bytes",
			    sizeof(out->cmdline));
	for (size_t i = 0; i < len; i++)
		if (out->cmdline[i] < 0x20 || out->cmdline[i] > 0x7e)
			return fail(err, HUSK_ERR_FORMAT, "VMM command line: byte 0x%02x at offset %zu is not printable",
				    (unsigned char)out->cmdline[i], i);
	memset(out->cmdline + len, 0, sizeof(out->cmdline) - len);

	return check_memmap(bp, out, err);
}

bool bp_range_is_ram(const struct bp_info *info, uint64_t gpa, uint64_t size)
{
	uint64_t covered = gpa;

	if (size == 0 || gpa + size < gpa)
		return false;
	for (uint32_t i = 0; i < info->memmap_count; i++) {
		const struct husk_memmap_entry *e = &info->memmap[i];
		uint64_t start = e->start_page << 12, end = start + (e->page_count << 12);

		if (e->type == HUSK_MEMMAP_MEMORY && start <= covered && covered < end)
			covered = end;
	}
	return covered >= gpa + size;
}
