/* Parser for target descriptions; see config.h. */
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "husk/bootinfo.h"
#include "husk/err.h"
#include "igvm/snp_defs.h"

#define SNP_DEFAULT_POLICY (SNP_POLICY_RESERVED_ONE | SNP_POLICY_SMT)

static const struct {
	const char *name;
	uint32_t type;
} platform_names[] = {
	/* Listed in compatibility-mask bit order (emit.h): snp, native, tdx, svm. */
	{ "snp", HUSK_PLATFORM_SNP },
	{ "native", HUSK_PLATFORM_NATIVE },
	{ "tdx", HUSK_PLATFORM_TDX },
	{ "svm", HUSK_PLATFORM_SVM },
};

const char *config_platform_name(uint32_t p)
{
	for (size_t i = 0; i < sizeof(platform_names) / sizeof(platform_names[0]); i++)
		if (platform_names[i].type == p)
			return platform_names[i].name;
	return "?";
}

bool config_has(const struct target_config *cfg, uint32_t p)
{
	for (uint32_t i = 0; i < cfg->nplatforms; i++)
		if (cfg->platforms[i] == p)
			return true;
	return false;
}

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

	if (*v == '-')
		return -1;
	errno = 0;
	*out = strtoull(v, &end, 0);
	return (errno || end == v || *end) ? -1 : 0;
}

static int parse_bool(const char *v, bool *out)
{
	if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "1"))
		*out = true;
	else if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "0"))
		*out = false;
	else
		return -1;
	return 0;
}

/* "snp, native" -> platforms in mask-bit order, each once. */
static int parse_platforms(const char *path, unsigned lineno, char *v, struct target_config *cfg)
{
	bool want[sizeof(platform_names) / sizeof(platform_names[0])] = { false };
	char *save = NULL;

	for (char *tok = strtok_r(v, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		size_t i;

		tok = trim(tok);
		for (i = 0; i < sizeof(platform_names) / sizeof(platform_names[0]); i++)
			if (!strcmp(tok, platform_names[i].name))
				break;
		if (i == sizeof(platform_names) / sizeof(platform_names[0])) {
			fprintf(stderr, "%s:%u: unknown platform '%s' (native, svm, snp, tdx)\n", path,
				lineno, tok);
			return -1;
		}
		if (want[i]) {
			fprintf(stderr, "%s:%u: platform '%s' listed twice\n", path, lineno, tok);
			return -1;
		}
		want[i] = true;
	}
	cfg->nplatforms = 0;
	for (size_t i = 0; i < sizeof(platform_names) / sizeof(platform_names[0]); i++)
		if (want[i])
			cfg->platforms[cfg->nplatforms++] = platform_names[i].type;
	if (cfg->nplatforms == 0) {
		fprintf(stderr, "%s:%u: no platform given\n", path, lineno);
		return -1;
	}
	return 0;
}

struct num_key {
	const char *key;
	size_t off;
};

#define NUM(k, field) { k, offsetof(struct target_config, field) }
static const struct num_key num_keys[] = {
	NUM("region_base", region_base),
	NUM("region_size", region_size),
	NUM("payload_gpa", payload_gpa),
	NUM("payload_entry", payload_entry),
	NUM("snp.policy", snp_policy),
	NUM("snp.sev_features", snp_sev_features),
	NUM("snp.cpuid_gpa", snp_cpuid_gpa),
	NUM("snp.secrets_gpa", snp_secrets_gpa),
	NUM("tdx.policy", tdx_policy),
};
#undef NUM

/* Directory part of path, for payload paths relative to the config. */
static void resolve(const char *cfgpath, const char *file, char *out, size_t len)
{
	const char *slash = strrchr(cfgpath, '/');

	if (file[0] == '/' || !slash)
		snprintf(out, len, "%s", file);
	else
		snprintf(out, len, "%.*s/%s", (int)(slash - cfgpath), cfgpath, file);
}

static bool overlaps(uint64_t a, uint64_t asz, uint64_t b, uint64_t bsz)
{
	return a < b + bsz && b < a + asz;
}

static int validate(const char *path, struct target_config *c, unsigned have)
{
	if (!(have & 1) || !(have & 2) || !(have & 4) || !c->name[0]) {
		fprintf(stderr, "%s: name, platforms, region_base and region_size are required\n",
			path);
		return -1;
	}
	if ((c->region_base | c->region_size) & 0xfff || c->region_size < 0x200000 ||
	    c->region_size > 0x100000000ull || c->region_base > 0x100000000ull - c->region_size ||
	    c->region_base < 0x100000) {
		fprintf(stderr, "%s: region 0x%llx+0x%llx must be page aligned, >= 2 MiB, between "
			"1 MiB and 4 GiB\n", path, (unsigned long long)c->region_base,
			(unsigned long long)c->region_size);
		return -1;
	}
	if (config_has(c, HUSK_PLATFORM_NATIVE) && config_has(c, HUSK_PLATFORM_SVM)) {
		fprintf(stderr, "%s: native and svm both use the IGVM platform NATIVE and cannot "
			"share a file (a loader could not choose); make two targets\n", path);
		return -1;
	}
	if (c->payload[0] && (c->payload_gpa & 0xfff)) {
		fprintf(stderr, "%s: payload_gpa 0x%llx is not page aligned\n", path,
			(unsigned long long)c->payload_gpa);
		return -1;
	}
	if (config_has(c, HUSK_PLATFORM_SNP)) {
		uint64_t p = c->snp_policy;

		if (!(p & SNP_POLICY_RESERVED_ONE) || (p & SNP_POLICY_RESERVED_MBZ)) {
			fprintf(stderr, "%s: snp.policy 0x%llx: bit 17 must be 1 and bits 63:25 0\n",
				path, (unsigned long long)p);
			return -1;
		}
		if (!(c->snp_sev_features & SNP_SEV_FEAT_SNP_ACTIVE) ||
		    (c->snp_sev_features & ~SNP_SEV_FEAT_DEFINED)) {
			fprintf(stderr, "%s: snp.sev_features 0x%llx: bit 0 (SNPActive) must be set "
				"and only defined bits (0x%llx)\n", path,
				(unsigned long long)c->snp_sev_features,
				(unsigned long long)SNP_SEV_FEAT_DEFINED);
			return -1;
		}
		if (c->snp_c_bit != 0 && (c->snp_c_bit < 32 || c->snp_c_bit > 51)) {
			fprintf(stderr, "%s: snp.c_bit %u (32..51, or 0 for none)\n", path,
				c->snp_c_bit);
			return -1;
		}
		if (!c->snp_cpuid_gpa || !c->snp_secrets_gpa ||
		    ((c->snp_cpuid_gpa | c->snp_secrets_gpa) & 0xfff) ||
		    c->snp_cpuid_gpa == c->snp_secrets_gpa ||
		    overlaps(c->snp_cpuid_gpa, 0x1000, c->region_base, c->region_size) ||
		    overlaps(c->snp_secrets_gpa, 0x1000, c->region_base, c->region_size) ||
		    c->snp_cpuid_gpa >= SNP_VMSA_GPA || c->snp_secrets_gpa >= SNP_VMSA_GPA) {
			fprintf(stderr, "%s: snp.cpuid_gpa 0x%llx and snp.secrets_gpa 0x%llx must be "
				"distinct pages outside husk's region (the boot parameters have no "
				"range kind for them)\n", path, (unsigned long long)c->snp_cpuid_gpa,
				(unsigned long long)c->snp_secrets_gpa);
			return -1;
		}
	}
	return 0;
}

int config_load(const char *path, struct target_config *out)
{
	char line[1024], payload[sizeof(out->payload)] = "";
	unsigned lineno = 0, have = 0;
	FILE *f = fopen(path, "r");

	if (!f) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return HUSK_ERR_IO;
	}
	memset(out, 0, sizeof(*out));
	out->command_line = true;
	out->snp_policy = SNP_DEFAULT_POLICY;
	out->snp_sev_features = SNP_SEV_FEAT_SNP_ACTIVE;
	out->snp_c_bit = 51;
	while (fgets(line, sizeof(line), f)) {
		char *key, *val, *eq, *hash;
		size_t i;

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
		for (i = 0; i < sizeof(num_keys) / sizeof(num_keys[0]); i++)
			if (!strcmp(key, num_keys[i].key))
				break;
		if (i < sizeof(num_keys) / sizeof(num_keys[0])) {
			if (parse_u64(val, (uint64_t *)((char *)out + num_keys[i].off))) {
				fprintf(stderr, "%s:%u: bad number '%s'\n", path, lineno, val);
				goto bad;
			}
			if (!strcmp(key, "region_base"))
				have |= 2;
			else if (!strcmp(key, "region_size"))
				have |= 4;
			else if (!strcmp(key, "tdx.policy"))
				out->tdx_have_policy = true;
		} else if (!strcmp(key, "name")) {
			if (strlen(val) >= sizeof(out->name) || !*val) {
				fprintf(stderr, "%s:%u: bad name\n", path, lineno);
				goto bad;
			}
			strcpy(out->name, val);
		} else if (!strcmp(key, "platform") || !strcmp(key, "platforms")) {
			if (parse_platforms(path, lineno, val, out))
				goto bad;
			have |= 1;
		} else if (!strcmp(key, "command_line")) {
			if (parse_bool(val, &out->command_line)) {
				fprintf(stderr, "%s:%u: command_line is yes or no\n", path, lineno);
				goto bad;
			}
		} else if (!strcmp(key, "snp.c_bit")) {
			uint64_t v;

			if (parse_u64(val, &v) || v > 63) {
				fprintf(stderr, "%s:%u: bad C-bit '%s'\n", path, lineno, val);
				goto bad;
			}
			out->snp_c_bit = (uint32_t)v;
		} else if (!strcmp(key, "payload")) {
			if (!*val || strlen(val) >= sizeof(payload)) {
				fprintf(stderr, "%s:%u: bad payload path\n", path, lineno);
				goto bad;
			}
			strcpy(payload, val);
		} else {
			fprintf(stderr, "%s:%u: unknown key '%s'\n", path, lineno, key);
			goto bad;
		}
	}
	fclose(f);
	if (payload[0])
		resolve(path, payload, out->payload, sizeof(out->payload));
	return validate(path, out, have) ? HUSK_ERR_INVAL : HUSK_OK;
bad:
	fclose(f);
	return HUSK_ERR_INVAL;
}
