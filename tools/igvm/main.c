/* husk-igvm: husk's IGVM tool.  Subcommands:
 *   build    lay out husk (kernel ELF + target description) into an IGVM file
 *   measure  SEV-SNP launch digest (KVM/QEMU model) or TDX MRTD of a file
 *   sign     add an SNP ID block signed with an ECDSA P-384 key
 *   dump     every header, as text or JSON
 *   check    strict validation: a precise message and exit 1 on any violation */
#include <stdio.h>
#include <string.h>

#include "cmds.h"

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
} commands[] = {
	{ "build", cmd_build, "build husk's IGVM file from its kernel and a target description" },
	{ "measure", cmd_measure, "SEV-SNP launch digest (as KVM/QEMU compute it) or TDX MRTD" },
	{ "sign", cmd_sign, "add an SNP ID block and ID authentication (ECDSA P-384 key)" },
	{ "dump", cmd_dump, "print every header, human-readable or as JSON" },
	{ "check", cmd_check, "strict validation; exit 1 with a precise message on any violation" },
};

static void usage(FILE *out)
{
	fprintf(out, "usage: husk-igvm <command> [options]\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].help);
	fprintf(out, "Run 'husk-igvm <command> --help' for a command's options.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "husk-igvm: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
