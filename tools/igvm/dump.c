/* husk-igvm dump: every header of an IGVM file with every field, as text
 * (one line per header, VMSA and ID-block details indented below) or JSON. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "husk/err.h"
#include "igvm/igvm_snp.h"
#include "json.h"
#include "util.h"

struct out {
	bool json;
	struct json j;
	bool sub; /* text: inside an indented detail line */
};

static void out_x(struct out *o, const char *k, uint64_t v)
{
	if (o->json)
		json_hex(&o->j, k, v);
	else
		printf(" %s=0x%" PRIx64, k, v);
}

static void out_u(struct out *o, const char *k, uint64_t v)
{
	if (o->json)
		json_u64(&o->j, k, v);
	else
		printf(" %s=%" PRIu64, k, v);
}

static void out_s(struct out *o, const char *k, const char *s)
{
	if (o->json)
		json_str(&o->j, k, s);
	else
		printf(" %s=%s", k, s);
}

static void out_b(struct out *o, const char *k, const uint8_t *b, size_t n)
{
	char *hex = malloc(2 * n + 1);

	if (!hex)
		return;
	util_hex(hex, b, n);
	if (o->json)
		json_str(&o->j, k, hex);
	else
		printf(" %s=%s", k, hex);
	free(hex);
}

/* Text: starts an indented detail line; JSON: a nested object. */
static void sub_begin(struct out *o, const char *name)
{
	if (o->json) {
		json_object(&o->j, name);
	} else {
		printf("\n        %s:", name);
		o->sub = true;
	}
}

static void sub_end(struct out *o)
{
	if (o->json)
		json_end(&o->j, '}');
	o->sub = false;
}

static const char *data_type_name(uint16_t t)
{
	static const char *const names[] = { "NORMAL", "SECRETS", "CPUID_DATA", "CPUID_XF" };

	return t < 4 ? names[t] : "?";
}

static void flags_str(char *buf, size_t len, uint32_t flags)
{
	snprintf(buf, len, "%s%s%s%s", flags & IGVM_PAGE_DATA_FLAG_2MB ? "2MB," : "",
		 flags & IGVM_PAGE_DATA_FLAG_UNMEASURED ? "UNMEASURED," : "",
		 flags & IGVM_PAGE_DATA_FLAG_SHARED ? "SHARED," : "", flags ? "" : "none");
	if (buf[0] && buf[strlen(buf) - 1] == ',')
		buf[strlen(buf) - 1] = '\0';
}

/* Non-zero fields of an SNP VMSA, by name. */
static void dump_vmsa(struct out *o, const uint8_t *page)
{
	const struct igvm_snp_vmsa_field *f;
	size_t n;

	f = igvm_snp_vmsa_fields(&n);
	sub_begin(o, "vmsa");
	for (size_t i = 0; i < n; i++) {
		const uint8_t *p = page + f[i].offset;
		bool nz = false;

		for (size_t k = 0; k < f[i].size; k++)
			nz |= p[k] != 0;
		if (!nz)
			continue;
		if (f[i].size <= 8) {
			uint64_t v = 0;

			memcpy(&v, p, f[i].size);
			out_x(o, f[i].name, v);
		} else {
			out_b(o, f[i].name, p, f[i].size);
		}
	}
	sub_end(o);
}

static void dump_key(struct out *o, const char *name, const struct igvm_snp_id_block_public_key *k)
{
	uint8_t digest[SNP_DIGEST_SIZE];

	sub_begin(o, name);
	out_u(o, "curve", k->curve);
	out_x(o, "reserved", k->reserved);
	out_b(o, "qx", k->qx, sizeof(k->qx));
	out_b(o, "qy", k->qy, sizeof(k->qy));
	if (!igvm_snp_key_digest(k, digest))
		out_b(o, "digest_sha384", digest, sizeof(digest));
	sub_end(o);
}

static void dump_sig(struct out *o, const char *name, const struct igvm_snp_id_block_signature *s)
{
	sub_begin(o, name);
	out_b(o, "r", s->r, sizeof(s->r));
	out_b(o, "s", s->s, sizeof(s->s));
	sub_end(o);
}

static void dump_body(struct out *o, const struct igvm_reader *r, const struct igvm_header *h)
{
	const uint8_t *data;
	size_t len;
	char buf[64];

	switch (h->type) {
	case IGVM_VHT_SUPPORTED_PLATFORM: {
		struct igvm_vhs_supported_platform p;
		const char *n;

		igvm_header_supported_platform(h, &p);
		n = igvm_platform_type_name(p.platform_type);
		out_x(o, "compatibility_mask", p.compatibility_mask);
		out_s(o, "platform_type", n ? n : "?");
		out_u(o, "platform_version", p.platform_version);
		out_u(o, "highest_vtl", p.highest_vtl);
		out_x(o, "shared_gpa_boundary", p.shared_gpa_boundary);
		break;
	}
	case IGVM_VHT_GUEST_POLICY: {
		struct igvm_vhs_guest_policy p;

		igvm_header_guest_policy(h, &p);
		out_x(o, "policy", p.policy);
		out_x(o, "compatibility_mask", p.compatibility_mask);
		break;
	}
	case IGVM_VHT_RELOCATABLE_REGION: {
		struct igvm_vhs_relocatable_region rr;

		igvm_header_relocatable_region(h, &rr);
		out_x(o, "compatibility_mask", rr.compatibility_mask);
		out_u(o, "vp_index", rr.vp_index);
		out_u(o, "vtl", rr.vtl);
		out_x(o, "flags", rr.flags);
		out_x(o, "relocation_alignment", rr.relocation_alignment);
		out_x(o, "relocation_region_gpa", rr.relocation_region_gpa);
		out_x(o, "relocation_region_size", rr.relocation_region_size);
		out_x(o, "minimum_relocation_gpa", rr.minimum_relocation_gpa);
		out_x(o, "maximum_relocation_gpa", rr.maximum_relocation_gpa);
		break;
	}
	case IGVM_VHT_PAGE_TABLE_RELOCATION_REGION: {
		struct igvm_vhs_page_table_relocation pt;

		igvm_header_page_table_relocation(h, &pt);
		out_x(o, "compatibility_mask", pt.compatibility_mask);
		out_u(o, "vp_index", pt.vp_index);
		out_u(o, "vtl", pt.vtl);
		out_x(o, "gpa", pt.gpa);
		out_x(o, "size", pt.size);
		out_x(o, "used_size", pt.used_size);
		break;
	}
	case IGVM_VHT_PARAMETER_AREA: {
		struct igvm_vhs_parameter_area pa;

		igvm_header_parameter_area(h, &pa);
		out_u(o, "parameter_area_index", pa.parameter_area_index);
		out_x(o, "number_of_bytes", pa.number_of_bytes);
		out_x(o, "file_offset", pa.file_offset);
		break;
	}
	case IGVM_VHT_PAGE_DATA: {
		struct igvm_vhs_page_data pd;

		igvm_header_page_data(h, &pd);
		flags_str(buf, sizeof(buf), pd.flags);
		out_x(o, "gpa", pd.gpa);
		out_x(o, "compatibility_mask", pd.compatibility_mask);
		out_x(o, "file_offset", pd.file_offset);
		out_s(o, "flags", buf);
		out_s(o, "data_type", data_type_name(pd.data_type));
		break;
	}
	case IGVM_VHT_PARAMETER_INSERT: {
		struct igvm_vhs_parameter_insert pi;

		igvm_header_parameter_insert(h, &pi);
		out_x(o, "gpa", pi.gpa);
		out_x(o, "compatibility_mask", pi.compatibility_mask);
		out_u(o, "parameter_area_index", pi.parameter_area_index);
		break;
	}
	case IGVM_VHT_VP_CONTEXT: {
		struct igvm_vhs_vp_context vp;

		igvm_header_vp_context(h, &vp);
		out_x(o, "gpa", vp.gpa);
		out_x(o, "compatibility_mask", vp.compatibility_mask);
		out_x(o, "file_offset", vp.file_offset);
		out_u(o, "vp_index", vp.vp_index);
		if (r->platform_type[__builtin_ctz(vp.compatibility_mask)] ==
			    IGVM_PLATFORM_SEV_SNP &&
		    !igvm_reader_file_data(r, h, &data, &len) && data &&
		    len >= sizeof(struct snp_vmsa))
			dump_vmsa(o, data);
		break;
	}
	case IGVM_VHT_REQUIRED_MEMORY: {
		struct igvm_vhs_required_memory rm;

		igvm_header_required_memory(h, &rm);
		out_x(o, "gpa", rm.gpa);
		out_x(o, "compatibility_mask", rm.compatibility_mask);
		out_x(o, "number_of_bytes", rm.number_of_bytes);
		out_x(o, "flags", rm.flags);
		break;
	}
	case IGVM_VHT_ERROR_RANGE: {
		struct igvm_vhs_error_range er;

		igvm_header_error_range(h, &er);
		out_x(o, "gpa", er.gpa);
		out_x(o, "compatibility_mask", er.compatibility_mask);
		out_x(o, "size_bytes", er.size_bytes);
		break;
	}
	case IGVM_VHT_SNP_ID_BLOCK: {
		struct igvm_vhs_snp_id_block b;

		igvm_header_snp_id_block(h, &b);
		out_x(o, "compatibility_mask", b.compatibility_mask);
		out_u(o, "author_key_enabled", b.author_key_enabled);
		out_b(o, "ld", b.ld, sizeof(b.ld));
		out_b(o, "family_id", b.family_id, sizeof(b.family_id));
		out_b(o, "image_id", b.image_id, sizeof(b.image_id));
		out_u(o, "version", b.version);
		out_u(o, "guest_svn", b.guest_svn);
		out_u(o, "id_key_algorithm", b.id_key_algorithm);
		out_u(o, "author_key_algorithm", b.author_key_algorithm);
		dump_sig(o, "id_key_signature", &b.id_key_signature);
		dump_key(o, "id_public_key", &b.id_public_key);
		if (b.author_key_enabled) {
			dump_sig(o, "author_key_signature", &b.author_key_signature);
			dump_key(o, "author_public_key", &b.author_public_key);
		}
		break;
	}
	case IGVM_VHT_VBS_MEASUREMENT: {
		struct igvm_vhs_vbs_measurement v;

		igvm_header_vbs_measurement(h, &v);
		out_x(o, "compatibility_mask", v.compatibility_mask);
		out_u(o, "version", v.version);
		out_x(o, "product_id", v.product_id);
		out_x(o, "module_id", v.module_id);
		out_u(o, "security_version", v.security_version);
		out_x(o, "policy_flags", v.policy_flags);
		out_u(o, "boot_digest_algo", v.boot_digest_algo);
		out_u(o, "signing_algo", v.signing_algo);
		break;
	}
	default:
		if (igvm_type_is_parameter(h->type)) {
			struct igvm_vhs_parameter p;

			igvm_header_parameter(h, &p);
			out_u(o, "parameter_area_index", p.parameter_area_index);
			out_x(o, "byte_offset", p.byte_offset);
		} else {
			out_b(o, "body", h->body, h->length);
		}
		break;
	}
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: husk-igvm dump [--json] FILE\n"
		"\n"
		"Prints the fixed header and every variable header of a (valid) IGVM file with\n"
		"all of its fields: one line per header in text form (SNP VMSAs and ID blocks\n"
		"get indented detail lines; VMSAs list their non-zero fields by name), or one\n"
		"JSON document.\n"
		"\n"
		"  -j, --json   JSON output\n");
}

int cmd_dump(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct out o = { 0 };
	struct igvm_reader r;
	struct igvm_iter it;
	struct igvm_header h;
	uint8_t *data;
	size_t size;
	uint32_t checksum;
	int c;

	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case 'j': o.json = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return 2;
	}
	if (util_open_igvm(argv[optind], &data, &size, &r))
		return 1;
	memcpy(&checksum, data + 20, 4);

	if (o.json) {
		json_init(&o.j, stdout);
		json_object(&o.j, NULL);
		json_str(&o.j, "file", argv[optind]);
		json_u64(&o.j, "format_version", r.format_version);
		json_str(&o.j, "architecture", r.architecture == IGVM_ARCH_X64 ? "x64" : "aarch64");
		json_u64(&o.j, "total_file_size", r.file_size);
		json_hex(&o.j, "checksum", checksum);
		json_hex(&o.j, "variable_header_offset", r.header_offset);
		json_hex(&o.j, "variable_header_size", r.header_size);
		json_hex(&o.j, "file_data_offset", r.data_offset);
		json_u64(&o.j, "header_count", r.header_count);
		json_array(&o.j, "headers");
	} else {
		printf("IGVM %s: format %u (%s), %u bytes, checksum 0x%08x, %u headers at 0x%x+0x%x, "
		       "file data from 0x%x\n", argv[optind], r.format_version,
		       r.architecture == IGVM_ARCH_X64 ? "x64" : "aarch64", r.file_size, checksum,
		       r.header_count, r.header_offset, r.header_size, r.data_offset);
	}
	igvm_iter_init(&it, &r);
	while (igvm_iter_next(&it, &h)) {
		const char *name = igvm_header_type_name(h.type);

		if (o.json) {
			json_object(&o.j, NULL);
			json_u64(&o.j, "index", h.index);
			json_hex(&o.j, "offset", h.offset);
			json_str(&o.j, "type", name ? name : "unknown");
			json_hex(&o.j, "raw_type", h.raw_type);
			json_u64(&o.j, "length", h.length);
			json_bool(&o.j, "optional", h.optional);
		} else {
			printf("#%-5u 0x%06x %-27s", h.index, h.offset, name ? name : "unknown");
			if (h.optional)
				printf(" (optional 0x%x)", h.raw_type);
		}
		dump_body(&o, &r, &h);
		if (o.json)
			json_end(&o.j, '}');
		else
			printf("\n");
	}
	if (o.json) {
		json_end(&o.j, ']');
		json_end(&o.j, '}');
		json_finish(&o.j);
	}
	free(data);
	return 0;
}
