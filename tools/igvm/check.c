/* husk-igvm check: strict validation of IGVM files.  Everything the reader
 * checks (fixed header, checksum, TLV framing and padding, section order,
 * structure sizes, alignment, masks, parameter areas, file-data ranges,
 * unknown non-optional types) and the whole-file rules of lib/igvm/igvm_lint.h
 * (pages loaded twice for a platform, duplicate contexts/policies/ID blocks,
 * headers for platforms that have no such thing). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cmds.h"
#include "husk/err.h"
#include "igvm/igvm_lint.h"
#include "igvm/igvm_writer.h"
#include "util.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: husk-igvm check [-q] FILE...\n"
		"\n"
		"Validates each IGVM file strictly.  A valid file prints\n"
		"  FILE: ok (N headers; platforms: SEV_SNP 0x1, ...)\n"
		"an invalid one prints one precise message on stderr,\n"
		"  FILE: header #7 (PAGE_DATA) at offset 0x1a0: GPA 0x1000 is not 4 KiB aligned\n"
		"and the exit status is 1 if any file is invalid.\n"
		"\n"
		"  -q, --quiet   print nothing for valid files\n");
}

static int check_one(const char *path, int quiet)
{
	struct igvm_reader r;
	struct igvm_error err;
	uint8_t *data;
	size_t size;
	int rc;

	rc = util_read_file(path, &data, &size);
	if (rc)
		return rc;
	rc = igvm_reader_init(&r, data, size, &err);
	if (!rc)
		rc = igvm_lint(&r, &igvm_libc_allocator, &err);
	if (rc) {
		fprintf(stderr, "%s: %s\n", path, err.message);
	} else if (!quiet) {
		printf("%s: ok (%u headers; platforms:", path, r.header_count);
		for (uint32_t bit = 0; bit < IGVM_MAX_PLATFORMS; bit++)
			if (r.platform_mask & (1u << bit))
				printf(" %s 0x%x", igvm_platform_type_name(r.platform_type[bit]),
				       1u << bit);
		printf(")\n");
	}
	free(data);
	return rc;
}

int cmd_check(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, quiet = 0, bad = 0;

	while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
		switch (c) {
		case 'q': quiet = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind == argc) {
		usage(stderr);
		return 2;
	}
	for (int i = optind; i < argc; i++)
		if (check_one(argv[i], quiet))
			bad = 1;
	return bad;
}
