/* Parser for target descriptions; see config.h. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "husk/bootinfo.h"
#include "husk/err.h"

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = 0;
	return s;
}

static int parse_u64(const char *v, uint64_t *out)
{
	char *end;

	errno = 0;
	*out = strtoull(v, &end, 0);
	return (errno || end == v || *end) ? -1 : 0;
}

static int parse_platform(const char *v, uint32_t *out)
{
	static const struct {
		const char *name;
		uint32_t type;
	} names[] = {
		{ "native", HUSK_PLATFORM_NATIVE },
		{ "svm", HUSK_PLATFORM_SVM },
		{ "snp", HUSK_PLATFORM_SNP },
		{ "tdx", HUSK_PLATFORM_TDX },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(v, names[i].name) == 0) {
			*out = names[i].type;
			return 0;
		}
	return -1;
}

int config_load(const char *path, struct target_config *out)
{
	char line[512];
	unsigned lineno = 0;
	int have_base = 0, have_size = 0, have_platform = 0;
	FILE *f = fopen(path, "r");

	if (!f) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return HUSK_ERR_IO;
	}
	memset(out, 0, sizeof(*out));
	while (fgets(line, sizeof(line), f)) {
		char *key, *val, *eq, *hash;

		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			fprintf(stderr, "%s:%u: line too long\n", path, lineno);
			goto bad;
		}
		hash = strchr(line, '#');
		if (hash)
			*hash = 0;
		key = trim(line);
		if (!*key)
			continue;
		eq = strchr(key, '=');
		if (!eq) {
			fprintf(stderr, "%s:%u: expected 'key = value'\n", path, lineno);
			goto bad;
		}
		*eq = 0;
		val = trim(eq + 1);
		key = trim(key);
		if (strcmp(key, "name") == 0) {
			if (strlen(val) >= sizeof(out->name) || !*val) {
				fprintf(stderr, "%s:%u: bad name\n", path, lineno);
				goto bad;
			}
			strcpy(out->name, val);
		} else if (strcmp(key, "platform") == 0) {
			if (parse_platform(val, &out->platform)) {
				fprintf(stderr, "%s:%u: unknown platform '%s' (native, svm, snp, tdx)\n",
					path, lineno, val);
				goto bad;
			}
			have_platform = 1;
		} else if (strcmp(key, "region_base") == 0) {
			if (parse_u64(val, &out->region_base)) {
				fprintf(stderr, "%s:%u: bad number '%s'\n", path, lineno, val);
				goto bad;
			}
			have_base = 1;
		} else if (strcmp(key, "region_size") == 0) {
			if (parse_u64(val, &out->region_size)) {
				fprintf(stderr, "%s:%u: bad number '%s'\n", path, lineno, val);
				goto bad;
			}
			have_size = 1;
		} else {
			fprintf(stderr, "%s:%u: unknown key '%s'\n", path, lineno, key);
			goto bad;
		}
	}
	fclose(f);
	if (!have_base || !have_size || !have_platform || !out->name[0]) {
		fprintf(stderr, "%s: name, platform, region_base and region_size are required\n", path);
		return HUSK_ERR_INVAL;
	}
	if ((out->region_base | out->region_size) & 0xfff || out->region_size < 0x200000 ||
	    out->region_size > 0x100000000ull || out->region_base > 0x100000000ull - out->region_size ||
	    out->region_base < 0x100000) {
		fprintf(stderr, "%s: region 0x%llx+0x%llx must be page aligned, >= 2 MiB, "
			"between 1 MiB and 4 GiB\n", path, (unsigned long long)out->region_base,
			(unsigned long long)out->region_size);
		return HUSK_ERR_INVAL;
	}
	return HUSK_OK;
bad:
	fclose(f);
	return HUSK_ERR_INVAL;
}
