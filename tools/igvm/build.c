/* husk-igvm build: a target description and the kernel ELF in, one IGVM file
 * out, with every platform the target names. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "config.h"
#include "elf.h"
#include "emit.h"
#include "husk/err.h"
#include "husk/layout.h"
#include "layout.h"
#include "mbedtls/sha512.h"
#include "util.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: husk-igvm build --config FILE --kernel ELF -o OUT [--version STR] [--payload FILE]\n"
		"\n"
		"Lays out husk's kernel ELF in the region the target description (configs/*.conf)\n"
		"names, pre-builds its page tables and boot parameters, and writes one IGVM file\n"
		"with every platform the target lists (native, svm, snp, tdx), each under its own\n"
		"compatibility mask: the reset-vector loader (native, svm, tdx), the SNP boot\n"
		"CPU's VMSA, CPUID and secrets pages and guest policy (snp), husk's whole region\n"
		"as private memory (snp, tdx), the parameter areas a loader fills in, and an\n"
		"optional guest payload.  The output depends only on the inputs (byte-for-byte\n"
		"reproducible) and passes `husk-igvm check`.\n"
		"\n"
		"  -c, --config FILE   target description\n"
		"  -k, --kernel ELF    husk's kernel\n"
		"  -o, --output OUT    the IGVM file to write\n"
		"  -v, --version STR   version string for the boot parameters (default \"husk\")\n"
		"  -p, --payload FILE  guest payload (instead of the config's `payload`; loaded\n"
		"                      at its payload_gpa, which the config must give)\n");
}

static int read_payload(const struct target_config *cfg, uint8_t **data, size_t *len)
{
	*data = NULL;
	*len = 0;
	if (!cfg->payload[0])
		return HUSK_OK;
	if (util_read_file(cfg->payload, data, len))
		return HUSK_ERR_IO;
	if (*len == 0 || *len > 0x40000000 ||
	    cfg->payload_gpa > UINT64_MAX - HUSK_ALIGN_UP((uint64_t)*len, HUSK_PAGE_SIZE)) {
		fprintf(stderr, "%s: payload of %zu bytes does not fit at 0x%llx\n", cfg->payload,
			*len, (unsigned long long)cfg->payload_gpa);
		free(*data);
		return HUSK_ERR_RANGE;
	}
	return HUSK_OK;
}

/* The svm platform's self-measurement, as husk computes it at boot
 * (kernel/platform/svm_attest.c): SHA-384 over the kernel's code and
 * read-only data as loaded ([__text_start, __rodata_end)), the boot
 * parameters (struct husk_boot_params), and the guest payload padded to
 * whole pages. */
static int svm_self_measurement(const struct layout *l, const struct elf_file *kernel,
				const uint8_t *payload, size_t payload_len, uint8_t out[48])
{
	static const uint8_t zeros[HUSK_PAGE_SIZE];
	uint64_t start, end;
	mbedtls_sha512_context h;
	size_t pad = (size_t)(HUSK_ALIGN_UP((uint64_t)payload_len, HUSK_PAGE_SIZE) - payload_len);
	int bad;

	if (elf_find_symbol(kernel, "__text_start", &start) ||
	    elf_find_symbol(kernel, "__rodata_end", &end) || start < HUSK_IMAGE_VA || end < start ||
	    end - HUSK_IMAGE_VA > l->image_size) {
		fprintf(stderr, "svm self-measurement: no __text_start/__rodata_end in the kernel\n");
		return HUSK_ERR_FORMAT;
	}
	mbedtls_sha512_init(&h);
	bad = mbedtls_sha512_starts(&h, 1) ||
	      mbedtls_sha512_update(&h, l->region + (start - HUSK_IMAGE_VA), end - start) ||
	      mbedtls_sha512_update(&h, l->region + l->bp_offset, sizeof(struct husk_boot_params)) ||
	      mbedtls_sha512_update(&h, payload, payload_len) ||
	      mbedtls_sha512_update(&h, zeros, pad) || mbedtls_sha512_finish(&h, out);
	mbedtls_sha512_free(&h);
	return bad ? HUSK_ERR_CRYPTO : HUSK_OK;
}

int cmd_build(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' }, { "kernel", required_argument, NULL, 'k' },
		{ "output", required_argument, NULL, 'o' }, { "version", required_argument, NULL, 'v' },
		{ "payload", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },        { NULL, 0, NULL, 0 },
	};
	const char *config = NULL, *kernel = NULL, *output = NULL, *version = "husk", *pay = NULL;
	struct layout layouts[CONFIG_MAX_PLATFORMS];
	struct emit_input in;
	struct target_config cfg;
	struct elf_file elf;
	uint8_t *payload = NULL, *file = NULL;
	size_t payload_len = 0, size = 0;
	uint32_t built = 0;
	int c, err;

	while ((c = getopt_long(argc, argv, "c:k:o:v:p:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'k': kernel = optarg; break;
		case 'o': output = optarg; break;
		case 'v': version = optarg; break;
		case 'p': pay = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!config || !kernel || !output || optind != argc) {
		usage(stderr);
		return 2;
	}
	if (config_load(config, &cfg))
		return 1;
	if (pay) {
		if (strlen(pay) >= sizeof(cfg.payload)) {
			fprintf(stderr, "--payload: path too long\n");
			return 1;
		}
		strcpy(cfg.payload, pay);
	}
	if (read_payload(&cfg, &payload, &payload_len))
		return 1;
	cfg.payload_size = HUSK_ALIGN_UP((uint64_t)payload_len, HUSK_PAGE_SIZE);
	if (payload_len && cfg.payload_entry &&
	    (cfg.payload_entry < cfg.payload_gpa || cfg.payload_entry - cfg.payload_gpa >= payload_len)) {
		fprintf(stderr, "%s: payload_entry 0x%llx is not inside the payload\n", config,
			(unsigned long long)cfg.payload_entry);
		free(payload);
		return 1;
	}
	if (elf_open(kernel, &elf)) {
		free(payload);
		return 1;
	}
	err = HUSK_OK;
	for (; built < cfg.nplatforms && !err; built++)
		err = layout_build(&cfg, &elf, version, cfg.platforms[built], &layouts[built]);
	if (err)
		built--; /* the failed one freed itself */
	for (uint32_t i = 0; !err && i < built; i++) {
		uint8_t m[48];

		if (cfg.platforms[i] != HUSK_PLATFORM_SVM || !payload_len)
			continue;
		err = svm_self_measurement(&layouts[i], &elf, payload, payload_len, m);
		if (!err) {
			printf("svm self-measurement: ");
			for (unsigned b = 0; b < sizeof(m); b++)
				printf("%02x", m[b]);
			printf("\n");
		}
	}
	elf_close(&elf);
	if (!err) {
		memset(&in, 0, sizeof(in));
		in.cfg = &cfg;
		in.n = cfg.nplatforms;
		for (uint32_t i = 0; i < in.n; i++)
			in.l[i] = &layouts[i];
		in.payload = payload;
		in.payload_len = payload_len;
		err = emit_igvm(&in, &file, &size);
	}
	if (!err)
		err = util_write_file(output, file, size);
	if (!err) {
		printf("%s: target %s (", output, cfg.name);
		for (uint32_t i = 0; i < cfg.nplatforms; i++)
			printf("%s%s", i ? ", " : "", config_platform_name(cfg.platforms[i]));
		printf("), region 0x%llx+0x%llx: image %llu KiB, page tables %llu pages, "
		       "IGVM %zu bytes\n", (unsigned long long)cfg.region_base,
		       (unsigned long long)cfg.region_size,
		       (unsigned long long)(layouts[0].image_size >> 10),
		       (unsigned long long)layouts[0].pt_pages, size);
	}
	for (uint32_t i = 0; i < built; i++)
		layout_free(&layouts[i]);
	free(file);
	free(payload);
	return err ? 1 : 0;
}
