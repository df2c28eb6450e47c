/* Conformance, suite "attest": the attestation protocol (docs/svsm.md,
 * "Attestation protocol") as a guest sees it — the services manifest and
 * the vTPM's own manifest, the report's layout, REPORT_DATA = SHA-512(nonce
 * || manifest) recomputed here, the EK in the manifest being the vTPM's
 * real EK (re-created with TPM2_CreatePrimary through VTPM_CMD), the
 * buffer-too-small retry Linux does, and the refusals. */
#include <string.h>

#include "gtest.h"

#define ATTEST(c) SVSM_CALL(SVSM_PROTOCOL_ATTEST, (c))
#define SERVICES  ATTEST(SVSM_ATTEST_SERVICES)
#define SINGLE    ATTEST(SVSM_ATTEST_SINGLE_SERVICE)
#define NONCE_LEN 64u

static uint8_t req[PAGE_SIZE] HUSK_ALIGNED(4096);
static uint8_t report[PAGE_SIZE] HUSK_ALIGNED(4096);
static uint8_t manifest[PAGE_SIZE] HUSK_ALIGNED(4096);
static uint8_t nonce[NONCE_LEN];
static uint8_t ek[1024];
static uint32_t ek_len;

static const uint8_t guid_services[16] = SVSM_GUID_SERVICES_MANIFEST;
static const uint8_t guid_vtpm[16] = SVSM_GUID_VTPM_SERVICE;

static uint64_t gpa(const void *p) { return (uint64_t)(uintptr_t)p; }

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

struct attest_args {
	uint64_t report_gpa, nonce_gpa, manifest_gpa, certs_gpa;
	uint32_t report_size, manifest_size, certs_size;
	uint16_t nonce_size;
	const uint8_t *guid; /* non-NULL: ATTEST_SINGLE_SERVICE */
	uint32_t manifest_ver;
};

static struct attest_args defaults(void)
{
	return (struct attest_args){ .report_gpa = gpa(report), .report_size = PAGE_SIZE,
				     .nonce_gpa = gpa(nonce), .nonce_size = NONCE_LEN,
				     .manifest_gpa = gpa(manifest), .manifest_size = PAGE_SIZE };
}

static void put_req(const struct attest_args *a)
{
	memset(req, 0, SVSM_ATTEST_SINGLE_REQ_SIZE);
	memcpy(req + SVSM_ATTEST_REPORT_GPA, &a->report_gpa, 8);
	memcpy(req + SVSM_ATTEST_REPORT_SIZE_OFF, &a->report_size, 4);
	memcpy(req + SVSM_ATTEST_NONCE_GPA, &a->nonce_gpa, 8);
	memcpy(req + SVSM_ATTEST_NONCE_SIZE_OFF, &a->nonce_size, 2);
	memcpy(req + SVSM_ATTEST_MANIFEST_GPA, &a->manifest_gpa, 8);
	memcpy(req + SVSM_ATTEST_MANIFEST_SIZE_OFF, &a->manifest_size, 4);
	memcpy(req + SVSM_ATTEST_CERTS_GPA, &a->certs_gpa, 8);
	memcpy(req + SVSM_ATTEST_CERTS_SIZE_OFF, &a->certs_size, 4);
	if (a->guid) {
		memcpy(req + SVSM_ATTEST_GUID, a->guid, 16);
		memcpy(req + SVSM_ATTEST_MANIFEST_VER, &a->manifest_ver, 4);
	}
}

/* The call with RDX = R8 = ~0 beforehand, as Linux makes it. */
static bool attest(struct gt *t, const char *what, const struct attest_args *a, uint32_t want,
		   struct svsm_regs *r)
{
	put_req(a);
	memset(report, 0xcc, sizeof(report));
	memset(manifest, 0xcc, sizeof(manifest));
	return gt_call(t, what, a->guid ? SINGLE : SERVICES, gpa(req), ~0ull, ~0ull, want, r);
}

static void fill_nonce(uint8_t seed)
{
	for (unsigned i = 0; i < NONCE_LEN; i++)
		nonce[i] = (uint8_t)(i * 13 + seed);
}

/* The report: the layout fields a relying party reads, and the binding. */
static void check_report(struct gt *t, const uint8_t *man, uint32_t man_len)
{
	uint8_t want[64];
	uint32_t version = le32(report), vmpl = le32(report + 0x30), key_info = le32(report + 0x48);
	bool measured = false;

	sha512_2(nonce, NONCE_LEN, man, man_len, want);
	GT_EXPECT(t, memcmp(report + 0x50, want, 64) == 0,
		  "REPORT_DATA is not SHA-512(nonce || manifest)");
	GT_EXPECT(t, version >= 2 && version <= 5, "report version %u", version);
	GT_EXPECT(t, vmpl == 0, "report VMPL %u, expected 0 (requested by husk)", vmpl);
	GT_EXPECT(t, le32(report + 0x34) == 1, "signature algorithm %u", le32(report + 0x34));
	for (unsigned i = 0; i < 48; i++)
		measured |= report[0x90 + i] != 0;
	GT_EXPECT(t, measured, "MEASUREMENT is all zero");
	GT_EXPECT(t, report[0x4a0] == 0xcc, "husk wrote beyond the 0x4a0-byte report");
	/* On svm the report is unsigned: SIGNING_KEY 7, MASK_CHIP_KEY. */
	GT_EXPECT(t, ((key_info >> 2) & 7) == 7 && (key_info & 2),
		  "KEY_INFO 0x%x: an svm report must say it is unsigned", key_info);
}

static void t_query(struct gt *t, const void *arg)
{
	uint64_t v = svsm_query_protocol(SVSM_PROTOCOL_ATTEST, 1);

	GT_EXPECT(t, v == (1ull << 32 | 1), "QUERY_PROTOCOL(1, 1) = 0x%llx", (unsigned long long)v);
	v = svsm_query_protocol(SVSM_PROTOCOL_ATTEST, 2);
	GT_EXPECT(t, v == 0, "QUERY_PROTOCOL(1, 2) = 0x%llx", (unsigned long long)v);
}

static void t_services(struct gt *t, const void *arg)
{
	struct attest_args a = defaults();
	struct svsm_regs r;

	fill_nonce(1);
	if (!attest(t, "ATTEST_SERVICES", &a, SVSM_SUCCESS, &r))
		return;
	uint32_t len = (uint32_t)r.rcx;

	GT_EXPECT(t, r.rdx == 0 && r.r8 == SVSM_ATTEST_REPORT_BYTES,
		  "RDX 0x%llx R8 0x%llx, expected 0 and 0x4a0", (unsigned long long)r.rdx,
		  (unsigned long long)r.r8);
	if (len < 48 || len > sizeof(manifest)) {
		gt_fail(t, "manifest of %u bytes", len);
		return;
	}
	GT_EXPECT(t, memcmp(manifest, guid_services, 16) == 0, "services-manifest GUID");
	GT_EXPECT(t, le32(manifest + 16) == len, "manifest length field %u, RCX %u",
		  le32(manifest + 16), len);
	GT_EXPECT(t, le32(manifest + 20) == 1, "%u services, expected 1 (the vTPM)",
		  le32(manifest + 20));
	GT_EXPECT(t, memcmp(manifest + 24, guid_vtpm, 16) == 0, "entry 0 is not the vTPM");
	uint32_t off = le32(manifest + 40), n = le32(manifest + 44);

	if (off != 48 || n != len - 48 || n > sizeof(ek)) {
		gt_fail(t, "vTPM entry at %u, %u bytes, in a manifest of %u", off, n, len);
		return;
	}
	memcpy(ek, manifest + off, n);
	ek_len = n;
	GT_EXPECT(t, manifest[len] == 0xcc, "husk wrote beyond the manifest");
	check_report(t, manifest, len);
}

/* The vTPM manifest is a TPMT_PUBLIC of TCG template L-1 (RSA 2048). */
static void t_ek_layout(struct gt *t, const void *arg)
{
	static const uint8_t policy_a[32] = {
		0x83, 0x71, 0x97, 0x67, 0x44, 0x84, 0xb3, 0xf8, 0x1a, 0x90, 0xcc,
		0x8d, 0x46, 0xa5, 0xd7, 0x24, 0xfd, 0x52, 0xd7, 0x6e, 0x06, 0x52,
		0x0b, 0x64, 0xf2, 0xa1, 0xda, 0x1b, 0x33, 0x14, 0x69, 0xaa,
	};

	if (ek_len != 314) {
		gt_fail(t, "EK public area of %u bytes, expected 314", ek_len);
		return;
	}
	GT_EXPECT(t, get_be16(ek) == 0x0001 && get_be16(ek + 2) == 0x000b &&
			     get_be32(ek + 4) == 0x000300b2,
		  "type 0x%x nameAlg 0x%x attributes 0x%x", get_be16(ek), get_be16(ek + 2),
		  get_be32(ek + 4));
	GT_EXPECT(t, get_be16(ek + 8) == 32 && memcmp(ek + 10, policy_a, 32) == 0,
		  "authPolicy is not PolicyA (SHA-256)");
	GT_EXPECT(t, get_be16(ek + 42) == 0x0006 && get_be16(ek + 44) == 128 &&
			     get_be16(ek + 46) == 0x0043 && get_be16(ek + 48) == 0x0010 &&
			     get_be16(ek + 50) == 2048 && get_be32(ek + 52) == 0 &&
			     get_be16(ek + 56) == 256,
		  "RSA parameters are not AES-128-CFB, NULL scheme, 2048 bits, 256-byte modulus");
}

/* TPM2_CreatePrimary(endorsement, template = the manifest's EK with its
 * modulus zeroed) through VTPM_CMD gives back exactly the manifest's EK. */
static void t_ek_is_the_vtpms(struct gt *t, const void *arg)
{
	static uint8_t cmd[1024], rsp[SVSM_VTPM_BUFFER_SIZE];
	uint32_t n = 0, rsp_len = 0, rc;

	if (ek_len != 314) {
		gt_skip(t, "no EK from ATTEST_SERVICES");
		return;
	}
	put_be16(cmd, 0x8002);
	put_be32(cmd + 6, 0x00000131);
	put_be32(cmd + 10, 0x4000000b); /* TPM_RH_ENDORSEMENT */
	put_be32(cmd + 14, 9);          /* authorization: TPM_RS_PW, empty */
	put_be32(cmd + 18, 0x40000009);
	n = 22 + 5;
	put_be16(cmd + n, 4); /* inSensitive: empty userAuth and data */
	n += 6;
	put_be16(cmd + n, (uint16_t)ek_len);
	memcpy(cmd + n + 2, ek, ek_len);
	memset(cmd + n + 2 + 58, 0, 256); /* unique: zeros, as in the template */
	n += 2 + ek_len;
	n += 2 + 4; /* outsideInfo, creationPCR: empty */
	put_be32(cmd + 2, n);
	rc = vtpm_cmd(cmd, n, rsp, sizeof(rsp), &rsp_len);
	if (!gt_expect_rc(t, "VTPM_CMD(TPM2_CreatePrimary EK)", rc, SVSM_SUCCESS))
		return;
	if (tpm_rsp_rc(rsp, rsp_len) != 0 || rsp_len < 20 + ek_len) {
		gt_fail(t, "TPM2_CreatePrimary: TPM_RC 0x%x, %u bytes", tpm_rsp_rc(rsp, rsp_len),
			rsp_len);
		return;
	}
	GT_EXPECT(t, get_be16(rsp + 18) == ek_len && memcmp(rsp + 20, ek, ek_len) == 0,
		  "the manifest's EK is not the one the vTPM derives");
	/* TPM2_FlushContext(the new object), so no slot stays taken. */
	uint32_t handle = get_be32(rsp + 10);

	put_be16(cmd, 0x8001);
	put_be32(cmd + 2, 14);
	put_be32(cmd + 6, 0x00000165);
	put_be32(cmd + 10, handle);
	rc = vtpm_cmd(cmd, 14, rsp, sizeof(rsp), &rsp_len);
	GT_EXPECT(t, rc == SVSM_SUCCESS && tpm_rsp_rc(rsp, rsp_len) == 0,
		  "TPM2_FlushContext(0x%x) failed", handle);
}

static void t_single(struct gt *t, const void *arg)
{
	struct attest_args a = defaults();
	struct svsm_regs r;

	a.guid = guid_vtpm;
	fill_nonce(2);
	if (!attest(t, "ATTEST_SINGLE_SERVICE(vTPM)", &a, SVSM_SUCCESS, &r))
		return;
	GT_EXPECT(t, r.rcx == ek_len && memcmp(manifest, ek, ek_len) == 0,
		  "the vTPM's manifest (%llu bytes) is not the EK of the services manifest",
		  (unsigned long long)r.rcx);
	check_report(t, manifest, (uint32_t)r.rcx);
}

static void t_nonce_bound(struct gt *t, const void *arg)
{
	struct attest_args a = defaults();
	uint8_t first[64];

	fill_nonce(3);
	if (!attest(t, "ATTEST_SERVICES", &a, SVSM_SUCCESS, NULL))
		return;
	memcpy(first, report + 0x50, 64);
	nonce[63] ^= 1;
	if (!attest(t, "ATTEST_SERVICES", &a, SVSM_SUCCESS, NULL))
		return;
	GT_EXPECT(t, memcmp(first, report + 0x50, 64) != 0, "a different nonce, the same REPORT_DATA");
	nonce[63] ^= 1;
	if (attest(t, "ATTEST_SERVICES", &a, SVSM_SUCCESS, NULL))
		GT_EXPECT(t, memcmp(first, report + 0x50, 64) == 0,
			  "the same nonce, a different REPORT_DATA");
}

/* Linux's loop: sizes too small, husk says what it needs, call again. */
static void t_too_small_retry(struct gt *t, const void *arg)
{
	struct attest_args a = defaults();
	struct svsm_regs r;

	a.manifest_size = 16;
	a.report_size = 0x100;
	if (!attest(t, "ATTEST_SERVICES with small buffers", &a, SVSM_ERR_INVALID_PARAMETER, &r))
		return;
	GT_EXPECT(t, r.rcx > 16 && r.r8 == SVSM_ATTEST_REPORT_BYTES && r.rdx == 0,
		  "sizes RCX 0x%llx RDX 0x%llx R8 0x%llx", (unsigned long long)r.rcx,
		  (unsigned long long)r.rdx, (unsigned long long)r.r8);
	GT_EXPECT(t, report[0] == 0xcc && manifest[0] == 0xcc, "husk wrote into buffers too small");
	a.manifest_size = (uint32_t)r.rcx;
	a.report_size = (uint32_t)r.r8;
	fill_nonce(4);
	if (attest(t, "ATTEST_SERVICES with the sizes husk gave", &a, SVSM_SUCCESS, &r))
		check_report(t, manifest, (uint32_t)r.rcx);
}

/* ---- refusals ---- */

enum bad { B_RESERVED, B_GUID, B_VERSION, B_REPORT_UNALIGNED, B_MANIFEST_UNALIGNED,
	   B_CERTS_UNALIGNED, B_NONCE_BIG, B_REPORT_HUSK, B_MANIFEST_HUSK, B_NONCE_HUSK,
	   B_REQ_HUSK, B_REPORT_MMIO };

static const struct bad_case {
	enum bad b;
	uint32_t want;
} bad_reserved = { B_RESERVED, SVSM_ERR_INVALID_PARAMETER },
  bad_guid = { B_GUID, SVSM_ERR_INVALID_PARAMETER },
  bad_version = { B_VERSION, SVSM_ERR_INVALID_PARAMETER },
  bad_report_al = { B_REPORT_UNALIGNED, SVSM_ERR_INVALID_PARAMETER },
  bad_manifest_al = { B_MANIFEST_UNALIGNED, SVSM_ERR_INVALID_PARAMETER },
  bad_certs_al = { B_CERTS_UNALIGNED, SVSM_ERR_INVALID_PARAMETER },
  bad_nonce_big = { B_NONCE_BIG, SVSM_ERR_INVALID_PARAMETER },
  bad_report_husk = { B_REPORT_HUSK, SVSM_ERR_INVALID_ADDRESS },
  bad_manifest_husk = { B_MANIFEST_HUSK, SVSM_ERR_INVALID_ADDRESS },
  bad_nonce_husk = { B_NONCE_HUSK, SVSM_ERR_INVALID_ADDRESS },
  bad_req_husk = { B_REQ_HUSK, SVSM_ERR_INVALID_ADDRESS },
  bad_report_mmio = { B_REPORT_MMIO, SVSM_ERR_INVALID_ADDRESS };

static void t_refused(struct gt *t, const void *arg)
{
	const struct bad_case *c = arg;
	static const uint8_t other_guid[16] = { 0xde, 0xad };
	struct attest_args a = defaults();
	uint64_t husk = ginfo.svsm_base;

	switch (c->b) {
	case B_RESERVED:
		a.guid = guid_vtpm;
		put_req(&a);
		req[0x2c] = 1;
		gt_call(t, "ATTEST_SINGLE_SERVICE, reserved byte 0x2c set", SINGLE, gpa(req), 0, 0,
			c->want, NULL);
		put_req(&a);
		req[0x55] = 1;
		gt_call(t, "ATTEST_SINGLE_SERVICE, reserved byte 0x55 set", SINGLE, gpa(req), 0, 0,
			c->want, NULL);
		return;
	case B_GUID: a.guid = other_guid; break;
	case B_VERSION: a.guid = guid_vtpm; a.manifest_ver = 1; break;
	case B_REPORT_UNALIGNED: a.report_gpa += 8; break;
	case B_MANIFEST_UNALIGNED: a.manifest_gpa += 0x800; break;
	case B_CERTS_UNALIGNED: a.certs_gpa = gpa(report) + 1; a.certs_size = PAGE_SIZE; break;
	case B_NONCE_BIG: a.nonce_size = SVSM_ATTEST_NONCE_MAX + 1; break;
	case B_REPORT_HUSK: a.report_gpa = husk; break;
	case B_MANIFEST_HUSK: a.manifest_gpa = husk + PAGE_SIZE; break;
	case B_NONCE_HUSK: a.nonce_gpa = husk - 16; break;
	case B_REQ_HUSK:
		gt_call(t, "ATTEST_SERVICES, request in husk", SERVICES, husk, 0, 0, c->want, NULL);
		gt_call(t, "ATTEST_SERVICES, request running into husk", SERVICES, husk - 0x20, 0, 0,
			c->want, NULL);
		return;
	case B_REPORT_MMIO: a.report_gpa = 0xfee00000ull; break; /* the local APIC */
	}
	attest(t, "attestation call", &a, c->want, NULL);
}

static void t_unknown_call(struct gt *t, const void *arg)
{
	gt_call(t, "attestation call 2", ATTEST(2), gpa(req), 0, 0, SVSM_ERR_UNSUPPORTED_CALL, NULL);
}

static const struct gt_case attest_cases[] = {
	{ "query_protocol_1", t_query, NULL },
	{ "services_manifest_and_report", t_services, NULL },
	{ "vtpm_manifest_is_tpmt_public_l1", t_ek_layout, NULL },
	{ "vtpm_manifest_is_the_vtpms_ek", t_ek_is_the_vtpms, NULL },
	{ "single_service_vtpm", t_single, NULL },
	{ "nonce_bound_into_report_data", t_nonce_bound, NULL },
	{ "buffers_too_small_then_retry", t_too_small_retry, NULL },
	{ "reserved_bytes_invalid_parameter", t_refused, &bad_reserved },
	{ "unknown_service_invalid_parameter", t_refused, &bad_guid },
	{ "manifest_version_1_invalid_parameter", t_refused, &bad_version },
	{ "report_unaligned_invalid_parameter", t_refused, &bad_report_al },
	{ "manifest_unaligned_invalid_parameter", t_refused, &bad_manifest_al },
	{ "certs_unaligned_invalid_parameter", t_refused, &bad_certs_al },
	{ "nonce_4097_invalid_parameter", t_refused, &bad_nonce_big },
	{ "report_in_husk_invalid_address", t_refused, &bad_report_husk },
	{ "manifest_in_husk_invalid_address", t_refused, &bad_manifest_husk },
	{ "nonce_into_husk_invalid_address", t_refused, &bad_nonce_husk },
	{ "request_in_husk_invalid_address", t_refused, &bad_req_husk },
	{ "report_in_mmio_invalid_address", t_refused, &bad_report_mmio },
	{ "unknown_call_unsupported", t_unknown_call, NULL },
};
const struct gt_suite gt_suite_attest = GT_SUITE("attest", attest_cases);
