/* husk-igvm: husk's IGVM tool.  Subcommands:
 *   build  lay out husk (kernel ELF + target description) into an IGVM file
 * (measure, sign, dump and check follow with the IGVM toolchain issue). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "elf.h"
#include "emit.h"
#include "husk/err.h"
#include "layout.h"

static void build_usage(FILE *out)
{
	fprintf(out,
		"usage: husk-igvm build --config FILE --kernel ELF -o OUT [--version STR]\n"
		"\n"
		"Lays out husk's kernel ELF in the region the target description (configs/*.conf)\n"
		"names, pre-builds its page tables and boot parameters, and writes an IGVM file\n"
		"with the reset-vector loader and the parameter areas a loader fills in.\n"
		"The output depends only on the inputs (byte-for-byte reproducible).\n");
}

static int cmd_build(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' }, { "kernel", required_argument, NULL, 'k' },
		{ "output", required_argument, NULL, 'o' }, { "version", required_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },        { NULL, 0, NULL, 0 },
	};
	const char *config = NULL, *kernel = NULL, *output = NULL, *version = "husk";
	struct target_config cfg;
	struct elf_file elf;
	struct layout l;
	size_t size;
	int c, err;

	while ((c = getopt_long(argc, argv, "c:k:o:v:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'k': kernel = optarg; break;
		case 'o': output = optarg; break;
		case 'v': version = optarg; break;
		case 'h': build_usage(stdout); return 0;
		default: build_usage(stderr); return 2;
		}
	}
	if (!config || !kernel || !output || optind != argc) {
		build_usage(stderr);
		return 2;
	}
	if (config_load(config, &cfg) || elf_open(kernel, &elf))
		return 1;
	err = layout_build(&cfg, &elf, version, &l);
	elf_close(&elf);
	if (err)
		return 1;
	err = emit_igvm(&l, output, &size);
	if (!err) {
		printf("%s: target %s, region 0x%llx+0x%llx: image %llu KiB, page tables %llu pages, "
		       "IGVM %zu bytes\n", output, cfg.name, (unsigned long long)cfg.region_base,
		       (unsigned long long)cfg.region_size, (unsigned long long)(l.image_size >> 10),
		       (unsigned long long)l.pt_pages, size);
	}
	layout_free(&l);
	return err ? 1 : 0;
}

static void usage(FILE *out)
{
	fprintf(out, "usage: husk-igvm <command> [options]\n"
		     "commands:\n"
		     "  build   build husk's IGVM file from its kernel and a target description\n"
		     "Run 'husk-igvm <command> --help' for a command's options.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "build") == 0)
		return cmd_build(argc - 1, argv + 1);
	fprintf(stderr, "husk-igvm: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
