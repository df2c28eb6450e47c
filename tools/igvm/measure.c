/* husk-igvm measure and sign: the SEV-SNP launch digest of an IGVM file as a
 * KVM/QEMU host computes it (lib/igvm/igvm_snp.h), the TDX MRTD, and the SNP
 * ID block that binds a digest to an ID key.  The two commands share the
 * options that describe the launch, because an ID block is only valid for
 * the digest of one launch configuration (vCPU count, SEV features, ...). */
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cmds.h"
#include "emit.h"
#include "husk/err.h"
#include "igvm/igvm_snp.h"
#include "igvm/igvm_tdx.h"
#include "igvm/igvm_writer.h"
#include "json.h"
#include "pem.h"
#include "util.h"

struct launch_opts {
	struct igvm_snp_options snp;
	bool check_kvm;
	bool trace;
	bool json;
	bool quiet;
	bool tdx;
	uint32_t notes_seen;
};

/* Notes that mean a naive tool, another VMM or KVM itself would compute
 * another digest or refuse the file: errors under --check-kvm. */
#define KVM_STRICT_NOTES                                                                  \
	(IGVM_SNP_NOTE_VMSA_REBUILT | IGVM_SNP_NOTE_VMSA_GPA | IGVM_SNP_NOTE_VMSA_NOT_LAST |   \
	 IGVM_SNP_NOTE_INSERT_ORDER | IGVM_SNP_NOTE_SHARED | IGVM_SNP_NOTE_2MB |              \
	 IGVM_SNP_NOTE_SEV_FEATURES | IGVM_SNP_NOTE_POLICY | IGVM_SNP_NOTE_PARAM_AREA_PAGES)

static const char *const page_type_names[] = {
	"?", "NORMAL", "VMSA", "ZERO", "UNMEASURED", "SECRETS", "CPUID",
};

static void on_note(void *ctx, uint32_t kind, const char *msg)
{
	struct launch_opts *lo = ctx;

	lo->notes_seen |= kind;
	/* Informational notes (nothing anyone disagrees about) only on request. */
	if (!(kind & KVM_STRICT_NOTES) && !lo->trace)
		return;
	fprintf(stderr, "%s: %s\n", (lo->check_kvm && (kind & KVM_STRICT_NOTES)) ? "error" : "note",
		msg);
}

static void on_trace(void *ctx, const struct snp_page_info *pi, const uint8_t *digest)
{
	char c[2 * SNP_DIGEST_SIZE + 1], d[2 * SNP_DIGEST_SIZE + 1];

	(void)ctx;
	/* Same format as tests/igvm/snp_digest.py --trace, to diff the two. */
	fprintf(stderr, "%-10s gpa 0x%012" PRIx64 " contents %s digest %s\n",
		pi->page_type < 7 ? page_type_names[pi->page_type] : "?", pi->gpa,
		util_hex(c, pi->contents, sizeof(pi->contents)), util_hex(d, digest, SNP_DIGEST_SIZE));
}

static const struct {
	const char *name;
	uint32_t sig;
} vcpu_types[] = {
	{ "EPYC", IGVM_SNP_SIG_EPYC },
	{ "EPYC-Rome", IGVM_SNP_SIG_EPYC_ROME },
	{ "EPYC-Milan", IGVM_SNP_SIG_EPYC_MILAN },
	{ "EPYC-Genoa", IGVM_SNP_SIG_EPYC_GENOA },
};

static int parse_vcpu_type(const char *s, uint32_t *sig)
{
	/* QEMU's model versions (EPYC-v4, EPYC-Milan-v2) keep the signature. */
	size_t len = strlen(s);
	const char *v = strstr(s, "-v");

	if (v && v[2] >= '0' && v[2] <= '9')
		len = (size_t)(v - s);
	for (size_t i = 0; i < sizeof(vcpu_types) / sizeof(vcpu_types[0]); i++)
		if (strlen(vcpu_types[i].name) == len && !strncasecmp(s, vcpu_types[i].name, len)) {
			*sig = vcpu_types[i].sig;
			return HUSK_OK;
		}
	return HUSK_ERR_INVAL;
}

#define LAUNCH_OPTIONS_HELP                                                                   \
	"Launch options (the digest depends on them; KVM/QEMU model, see docs/igvm.md):\n"    \
	"  -n, --vcpus N         vCPUs the VM is launched with (default 1); every vCPU's\n"   \
	"                        VMSA is measured last, at GPA 0xFFFFFFFFF000\n"              \
	"  -f, --sev-features X  SEV features KVM applies to every VMSA (default: those of\n"  \
	"                        vCPU 0's VMSA in the file)\n"                                \
	"  -t, --vcpu-type NAME  QEMU CPU model of the vCPUs (EPYC, EPYC-Rome, EPYC-Milan,\n" \
	"                        EPYC-Genoa; -vN suffixes ignored; default EPYC): its\n"      \
	"                        CPUID(1) signature is RDX of reset-state VMSAs\n"            \
	"  -s, --vcpu-sig X      that signature as a number instead\n"                        \
	"  -a, --ap-vmsa MODE    vCPUs without a VP_CONTEXT: 'reset' (x86 reset state,\n"     \
	"                        upstream KVM; default) or 'none' (KVM branches that do\n"    \
	"                        not measure them)\n"                                         \
	"  -M, --no-host-mce     the host runs without CR4.MCE (KVM ORs the host's\n"         \
	"                        CR4.MCE into every VMSA)\n"                                  \
	"  -k, --check-kvm       fail on anything KVM, QEMU and other measurement tools\n"    \
	"                        disagree about (VMSA not as KVM rebuilds it, VMSA not at\n"  \
	"                        0xFFFFFFFFF000 or not last, inserts after page data,\n"      \
	"                        SHARED or 2 MiB pages, multi-page parameter areas, bad\n"    \
	"                        policy or SEV features)\n"

static const struct option launch_long[] = {
	{ "vcpus", required_argument, NULL, 'n' },
	{ "sev-features", required_argument, NULL, 'f' },
	{ "vcpu-type", required_argument, NULL, 't' },
	{ "vcpu-sig", required_argument, NULL, 's' },
	{ "ap-vmsa", required_argument, NULL, 'a' },
	{ "no-host-mce", no_argument, NULL, 'M' },
	{ "check-kvm", no_argument, NULL, 'k' },
};
#define LAUNCH_SHORT "n:f:t:s:a:Mk"

/* 1 if c was a launch option (handled), 0 if not, -1 on a bad value. */
static int launch_option(struct launch_opts *lo, int c, const char *arg)
{
	uint64_t v;

	switch (c) {
	case 'n':
		if (util_parse_u64(arg, &v) || v == 0 || v > IGVM_SNP_MAX_VCPUS) {
			fprintf(stderr, "husk-igvm: --vcpus %s (1..%u)\n", arg, IGVM_SNP_MAX_VCPUS);
			return -1;
		}
		lo->snp.vcpus = (uint32_t)v;
		return 1;
	case 'f':
		if (util_parse_u64(arg, &lo->snp.sev_features)) {
			fprintf(stderr, "husk-igvm: bad --sev-features '%s'\n", arg);
			return -1;
		}
		lo->snp.sev_features_set = true;
		return 1;
	case 't':
		if (parse_vcpu_type(arg, &lo->snp.vcpu_sig)) {
			fprintf(stderr, "husk-igvm: unknown --vcpu-type '%s'\n", arg);
			return -1;
		}
		return 1;
	case 's':
		if (util_parse_u64(arg, &v) || v > UINT32_MAX) {
			fprintf(stderr, "husk-igvm: bad --vcpu-sig '%s'\n", arg);
			return -1;
		}
		lo->snp.vcpu_sig = (uint32_t)v;
		return 1;
	case 'a':
		if (!strcmp(arg, "reset"))
			lo->snp.ap_mode = IGVM_SNP_AP_RESET;
		else if (!strcmp(arg, "none"))
			lo->snp.ap_mode = IGVM_SNP_AP_NONE;
		else {
			fprintf(stderr, "husk-igvm: --ap-vmsa reset or none\n");
			return -1;
		}
		return 1;
	case 'M':
		lo->snp.no_host_mce = true;
		return 1;
	case 'k':
		lo->check_kvm = true;
		return 1;
	default:
		return 0;
	}
}

static void launch_init(struct launch_opts *lo)
{
	memset(lo, 0, sizeof(*lo));
	igvm_snp_options_init(&lo->snp);
	lo->snp.note = on_note;
	lo->snp.ctx = lo;
}

/* Measures; prints the error; 0 ok, 1 failure (incl. --check-kvm notes). */
static int snp_measure(const char *path, const struct igvm_reader *r, struct launch_opts *lo,
		       struct igvm_snp_result *res)
{
	struct igvm_error err;
	int rc;

	if (lo->trace)
		lo->snp.trace = on_trace;
	rc = igvm_snp_measure(r, &lo->snp, res, &err);
	if (rc) {
		fprintf(stderr, "%s: %s\n", path, err.message);
		return 1;
	}
	if (lo->check_kvm && (res->notes & KVM_STRICT_NOTES)) {
		fprintf(stderr, "%s: --check-kvm: the digest depends on choices tools and hosts "
			"disagree about (see the errors above)\n", path);
		return 1;
	}
	return 0;
}

/* ---- measure ---- */

static void measure_usage(FILE *out)
{
	fprintf(out,
		"usage: husk-igvm measure [options] FILE\n"
		"\n"
		"Prints the SEV-SNP launch digest (the attestation report's MEASUREMENT) of the\n"
		"file's SEV_SNP platform exactly as a KVM/QEMU host computes it when it loads the\n"
		"file, or with --tdx the MRTD of its TDX platform.  If the file carries an SNP ID\n"
		"block, it is checked against the digest: launch digest, ID key signature, author\n"
		"key signature (exit 1 if any is wrong).\n"
		"\n"
		LAUNCH_OPTIONS_HELP
		"Output:\n"
		"  -T, --trace           print every PAGE_INFO (type, GPA, contents, digest after)\n"
		"                        to stderr, in tests/igvm/snp_digest.py's format\n"
		"  -j, --json            JSON on stdout\n"
		"  -q, --quiet           only the digest (hex) on stdout\n"
		"  -x, --tdx             TDX MRTD instead of the SNP digest\n");
}

static void print_id_block(const struct igvm_snp_result *res, bool json, struct json *j,
			   const char *status)
{
	uint8_t d[SNP_DIGEST_SIZE];
	char hex[2 * SNP_DIGEST_SIZE + 1];

	if (json) {
		json_object(j, "id_block");
		json_str(j, "status", status);
		if (!igvm_snp_key_digest(&res->id_block.id_public_key, d))
			json_bytes(j, "id_key_digest", d, sizeof(d));
		if (res->id_block.author_key_enabled &&
		    !igvm_snp_key_digest(&res->id_block.author_public_key, d))
			json_bytes(j, "author_key_digest", d, sizeof(d));
		json_bytes(j, "family_id", res->id_block.family_id, 16);
		json_bytes(j, "image_id", res->id_block.image_id, 16);
		json_u64(j, "guest_svn", res->id_block.guest_svn);
		json_end(j, '}');
		return;
	}
	printf("  ID block: %s\n", status);
	if (!igvm_snp_key_digest(&res->id_block.id_public_key, d))
		printf("    ID key digest:     %s\n", util_hex(hex, d, sizeof(d)));
	if (res->id_block.author_key_enabled &&
	    !igvm_snp_key_digest(&res->id_block.author_public_key, d))
		printf("    author key digest: %s\n", util_hex(hex, d, sizeof(d)));
}

static int measure_tdx(const char *path, const struct igvm_reader *r, const struct launch_opts *lo)
{
	struct igvm_tdx_result res;
	struct igvm_error err;
	char hex[2 * TDX_MRTD_SIZE + 1];

	if (igvm_tdx_measure(r, &res, &err)) {
		fprintf(stderr, "%s: %s\n", path, err.message);
		return 1;
	}
	util_hex(hex, res.mrtd, sizeof(res.mrtd));
	if (lo->quiet) {
		printf("%s\n", hex);
	} else if (lo->json) {
		struct json j;

		json_init(&j, stdout);
		json_object(&j, NULL);
		json_str(&j, "file", path);
		json_str(&j, "platform", "TDX");
		json_hex(&j, "compatibility_mask", res.platform_mask);
		json_str(&j, "mrtd", hex);
		json_u64(&j, "pages_added", res.pages_added);
		json_u64(&j, "pages_extended", res.pages_extended);
		json_u64(&j, "pages_shared_skipped", res.pages_shared_skipped);
		json_end(&j, '}');
		json_finish(&j);
	} else {
		printf("TDX MRTD: %s\n", hex);
		printf("  platform mask 0x%x; %u pages added, %u extended, %u shared skipped\n",
		       res.platform_mask, res.pages_added, res.pages_extended,
		       res.pages_shared_skipped);
	}
	return 0;
}

int cmd_measure(int argc, char **argv)
{
	static const struct option own[] = {
		{ "trace", no_argument, NULL, 'T' }, { "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' }, { "tdx", no_argument, NULL, 'x' },
		{ "help", no_argument, NULL, 'h' },
	};
	struct option opts[sizeof(launch_long) / sizeof(launch_long[0]) +
			    sizeof(own) / sizeof(own[0]) + 1];
	struct launch_opts lo;
	struct igvm_snp_result res;
	struct igvm_reader r;
	uint8_t *data;
	size_t size;
	char hex[2 * SNP_DIGEST_SIZE + 1], why[IGVM_ERROR_MSG_MAX];
	const char *id_status = NULL;
	int c, status = 0;

	memcpy(opts, launch_long, sizeof(launch_long));
	memcpy(opts + sizeof(launch_long) / sizeof(launch_long[0]), own, sizeof(own));
	memset(&opts[sizeof(opts) / sizeof(opts[0]) - 1], 0, sizeof(opts[0]));
	launch_init(&lo);
	while ((c = getopt_long(argc, argv, LAUNCH_SHORT "Tjqxh", opts, NULL)) != -1) {
		int k = launch_option(&lo, c, optarg);

		if (k < 0)
			return 2;
		if (k)
			continue;
		switch (c) {
		case 'T': lo.trace = true; break;
		case 'j': lo.json = true; break;
		case 'q': lo.quiet = true; break;
		case 'x': lo.tdx = true; break;
		case 'h': measure_usage(stdout); return 0;
		default: measure_usage(stderr); return 2;
		}
	}
	if (optind != argc - 1) {
		measure_usage(stderr);
		return 2;
	}
	if (util_open_igvm(argv[optind], &data, &size, &r))
		return 1;
	if (lo.tdx) {
		status = measure_tdx(argv[optind], &r, &lo);
		free(data);
		return status;
	}
	if (snp_measure(argv[optind], &r, &lo, &res)) {
		free(data);
		return 1;
	}
	util_hex(hex, res.digest, sizeof(res.digest));
	if (res.have_id_block) {
		if (igvm_snp_id_block_check(&res.id_block, res.policy, res.digest, why, sizeof(why))) {
			fprintf(stderr, "%s: ID block: %s\n", argv[optind], why);
			id_status = "INVALID";
			status = 1;
		} else {
			id_status = "verified (launch digest, ID key signature"
				    "; author key signature if enabled)";
		}
	}
	if (lo.quiet) {
		printf("%s\n", hex);
	} else if (lo.json) {
		struct json j;

		json_init(&j, stdout);
		json_object(&j, NULL);
		json_str(&j, "file", argv[optind]);
		json_str(&j, "platform", "SEV_SNP");
		json_hex(&j, "compatibility_mask", res.platform_mask);
		json_str(&j, "digest", hex);
		json_u64(&j, "vcpus", lo.snp.vcpus);
		json_hex(&j, "sev_features", res.sev_features);
		json_hex(&j, "vcpu_sig", lo.snp.vcpu_sig);
		json_str(&j, "ap_vmsa", lo.snp.ap_mode == IGVM_SNP_AP_NONE ? "none" : "reset");
		json_bool(&j, "host_mce", !lo.snp.no_host_mce);
		if (res.have_policy)
			json_hex(&j, "policy", res.policy);
		json_object(&j, "pages");
		for (int t = 1; t < 7; t++)
			json_u64(&j, page_type_names[t], res.pages[t]);
		json_end(&j, '}');
		json_u64(&j, "vmsas_from_file", res.vmsas_from_file);
		json_u64(&j, "vmsas_reset", res.vmsas_reset);
		json_hex(&j, "notes", res.notes);
		if (res.have_id_block)
			print_id_block(&res, true, &j, status ? "invalid" : "verified");
		json_end(&j, '}');
		json_finish(&j);
	} else {
		printf("SEV-SNP launch digest: %s\n", hex);
		printf("  platform mask 0x%x; %u vCPU%s; SEV features 0x%" PRIx64 "; ", res.platform_mask,
		       lo.snp.vcpus, lo.snp.vcpus == 1 ? "" : "s", res.sev_features);
		if (res.have_policy)
			printf("policy 0x%" PRIx64 "\n", res.policy);
		else
			printf("no policy\n");
		printf("  pages: %u normal, %u unmeasured, %u secrets, %u CPUID; VMSAs: %u from the "
		       "file, %u reset state (RDX 0x%x)\n",
		       res.pages[SNP_PAGE_TYPE_NORMAL], res.pages[SNP_PAGE_TYPE_UNMEASURED],
		       res.pages[SNP_PAGE_TYPE_SECRETS], res.pages[SNP_PAGE_TYPE_CPUID],
		       res.vmsas_from_file, res.vmsas_reset, lo.snp.vcpu_sig);
		if (res.have_id_block)
			print_id_block(&res, false, NULL, id_status);
	}
	free(data);
	return status;
}

/* ---- sign ---- */

static void sign_usage(FILE *out)
{
	fprintf(out,
		"usage: husk-igvm sign --key ID.pem [options] -o OUT FILE\n"
		"\n"
		"Measures the file's SEV_SNP platform for the launch options given, and writes\n"
		"OUT: the same file with an SNP_ID_BLOCK (replacing any earlier one) holding that\n"
		"launch digest, the policy of its GUEST_POLICY, and an ECDSA P-384/SHA-384\n"
		"signature by the ID key (and, with --author-key, the author key's signature\n"
		"over the ID key).  Signatures are deterministic (RFC 6979): the same inputs give\n"
		"the same file.  The ID block is not measured, so OUT has the digest of FILE.\n"
		"A KVM/QEMU host passes the block to LAUNCH_FINISH, where the firmware refuses\n"
		"the launch unless digest and policy match; the report then carries the\n"
		"key digests printed here.\n"
		"\n"
		"  -K, --key PEM          ID key: P-384 private key, PEM (SEC1 or PKCS#8)\n"
		"  -A, --author-key PEM   author key (optional)\n"
		"  -F, --family-id HEX    16 bytes, 32 hex digits (default zeros)\n"
		"  -I, --image-id HEX     16 bytes, 32 hex digits (default zeros)\n"
		"  -S, --guest-svn N      guest SVN (default 0)\n"
		"  -o, --output OUT       the signed file\n"
		"\n"
		LAUNCH_OPTIONS_HELP);
}

/* Blinding only (the signature itself is deterministic). */
static int urandom_rng(void *ctx, unsigned char *out, size_t len)
{
	int fd = *(int *)ctx;

	while (len) {
		ssize_t n = read(fd, out, len);

		if (n <= 0)
			return -1;
		out += n;
		len -= (size_t)n;
	}
	return 0;
}

static int load_keys(const char *id_path, const char *author_path, mbedtls_ecp_keypair *id,
		     mbedtls_ecp_keypair *author, int *fd)
{
	*fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (*fd < 0) {
		perror("/dev/urandom");
		return HUSK_ERR_IO;
	}
	if (pem_load_key(id_path, id, urandom_rng, fd))
		return HUSK_ERR_CRYPTO;
	if (author_path && pem_load_key(author_path, author, urandom_rng, fd))
		return HUSK_ERR_CRYPTO;
	return HUSK_OK;
}

static int make_id_block(struct igvm_vhs_snp_id_block *b, uint32_t mask,
			 const struct igvm_snp_result *res, const uint8_t family[16],
			 const uint8_t image[16], uint32_t svn, mbedtls_ecp_keypair *id,
			 mbedtls_ecp_keypair *author, int *fd)
{
	struct snp_id_block fw;
	struct snp_public_key fwkey;

	memset(b, 0, sizeof(*b));
	b->compatibility_mask = mask;
	memcpy(b->ld, res->digest, sizeof(b->ld));
	memcpy(b->family_id, family, 16);
	memcpy(b->image_id, image, 16);
	b->version = SNP_ID_BLOCK_VERSION;
	b->guest_svn = svn;
	b->id_key_algorithm = IGVM_SNP_ID_KEY_ALGO_ECDSA_P384_SHA384;
	if (igvm_snp_public_key(id, &b->id_public_key))
		return HUSK_ERR_CRYPTO;
	igvm_snp_id_block_from_igvm(b, res->policy, &fw);
	if (igvm_snp_sign(id, &fw, sizeof(fw), &b->id_key_signature, urandom_rng, fd))
		return HUSK_ERR_CRYPTO;
	if (author) {
		b->author_key_enabled = 1;
		b->author_key_algorithm = IGVM_SNP_ID_KEY_ALGO_ECDSA_P384_SHA384;
		if (igvm_snp_public_key(author, &b->author_public_key))
			return HUSK_ERR_CRYPTO;
		igvm_snp_public_key_from_igvm(&b->id_public_key, &fwkey);
		if (igvm_snp_sign(author, &fwkey, sizeof(fwkey), &b->author_key_signature,
				  urandom_rng, fd))
			return HUSK_ERR_CRYPTO;
	}
	return HUSK_OK;
}

/* FILE's headers without its SNP ID block, then b. */
static int rewrite(const struct igvm_reader *r, const struct igvm_vhs_snp_id_block *b,
		   const char *out_path)
{
	struct igvm_writer *w;
	struct igvm_iter it;
	struct igvm_header h;
	const uint8_t *file;
	size_t size;
	int rc = igvm_writer_create(&w, &igvm_libc_allocator, r->format_version);

	if (rc)
		return rc;
	igvm_iter_init(&it, r);
	while (!rc && igvm_iter_next(&it, &h)) {
		uint32_t mask;

		if (h.type == IGVM_VHT_SNP_ID_BLOCK && igvm_header_compat_mask(&h, &mask) &&
		    (mask & b->compatibility_mask))
			continue;
		rc = igvm_writer_add_from_reader(w, r, &h);
	}
	if (!rc)
		rc = igvm_writer_add_snp_id_block(w, b);
	if (!rc)
		rc = igvm_writer_finish(w, &file, &size);
	if (rc)
		fprintf(stderr, "husk-igvm sign: %s\n", igvm_writer_error(w));
	else
		rc = util_write_file(out_path, file, size);
	igvm_writer_destroy(w);
	return rc;
}

int cmd_sign(int argc, char **argv)
{
	static const struct option own[] = {
		{ "key", required_argument, NULL, 'K' },
		{ "author-key", required_argument, NULL, 'A' },
		{ "family-id", required_argument, NULL, 'F' },
		{ "image-id", required_argument, NULL, 'I' },
		{ "guest-svn", required_argument, NULL, 'S' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
	};
	struct option opts[sizeof(launch_long) / sizeof(launch_long[0]) +
			    sizeof(own) / sizeof(own[0]) + 1];
	const char *key = NULL, *author = NULL, *out = NULL;
	uint8_t family[16] = { 0 }, image[16] = { 0 }, *data = NULL;
	mbedtls_ecp_keypair id_kp, author_kp;
	struct igvm_vhs_snp_id_block b;
	struct igvm_snp_result res;
	struct launch_opts lo;
	struct igvm_reader r;
	uint64_t svn = 0;
	size_t size;
	int c, fd = -1, status = 1;

	memcpy(opts, launch_long, sizeof(launch_long));
	memcpy(opts + sizeof(launch_long) / sizeof(launch_long[0]), own, sizeof(own));
	memset(&opts[sizeof(opts) / sizeof(opts[0]) - 1], 0, sizeof(opts[0]));
	launch_init(&lo);
	while ((c = getopt_long(argc, argv, LAUNCH_SHORT "K:A:F:I:S:o:h", opts, NULL)) != -1) {
		int k = launch_option(&lo, c, optarg);

		if (k < 0)
			return 2;
		if (k)
			continue;
		switch (c) {
		case 'K': key = optarg; break;
		case 'A': author = optarg; break;
		case 'F':
			if (util_parse_hex(optarg, family, sizeof(family))) {
				fprintf(stderr, "husk-igvm: --family-id needs 32 hex digits\n");
				return 2;
			}
			break;
		case 'I':
			if (util_parse_hex(optarg, image, sizeof(image))) {
				fprintf(stderr, "husk-igvm: --image-id needs 32 hex digits\n");
				return 2;
			}
			break;
		case 'S':
			if (util_parse_u64(optarg, &svn) || svn > UINT32_MAX) {
				fprintf(stderr, "husk-igvm: bad --guest-svn '%s'\n", optarg);
				return 2;
			}
			break;
		case 'o': out = optarg; break;
		case 'h': sign_usage(stdout); return 0;
		default: sign_usage(stderr); return 2;
		}
	}
	if (!key || !out || optind != argc - 1) {
		sign_usage(stderr);
		return 2;
	}
	mbedtls_ecp_keypair_init(&id_kp);
	mbedtls_ecp_keypair_init(&author_kp);
	if (util_open_igvm(argv[optind], &data, &size, &r))
		goto done;
	if (snp_measure(argv[optind], &r, &lo, &res))
		goto done;
	if (!res.have_policy) {
		fprintf(stderr, "%s: no GUEST_POLICY for SEV_SNP: an ID block needs the launch "
			"policy\n", argv[optind]);
		goto done;
	}
	if (load_keys(key, author, &id_kp, &author_kp, &fd))
		goto done;
	if (make_id_block(&b, res.platform_mask, &res, family, image, (uint32_t)svn, &id_kp,
			  author ? &author_kp : NULL, &fd)) {
		fprintf(stderr, "husk-igvm sign: signing failed\n");
		goto done;
	}
	if (rewrite(&r, &b, out))
		goto done;
	{
		char hex[2 * SNP_DIGEST_SIZE + 1];
		uint8_t d[SNP_DIGEST_SIZE];

		printf("%s: ID block for launch digest %s\n", out,
		       util_hex(hex, res.digest, sizeof(res.digest)));
		printf("  %u vCPU%s, SEV features 0x%" PRIx64 ", policy 0x%" PRIx64 ", guest SVN %u\n",
		       lo.snp.vcpus, lo.snp.vcpus == 1 ? "" : "s", res.sev_features, res.policy,
		       (uint32_t)svn);
		if (!igvm_snp_key_digest(&b.id_public_key, d))
			printf("  ID key digest:     %s\n", util_hex(hex, d, sizeof(d)));
		if (author && !igvm_snp_key_digest(&b.author_public_key, d))
			printf("  author key digest: %s\n", util_hex(hex, d, sizeof(d)));
	}
	status = 0;
done:
	if (fd >= 0)
		close(fd);
	mbedtls_ecp_keypair_free(&id_kp);
	mbedtls_ecp_keypair_free(&author_kp);
	free(data);
	return status;
}
