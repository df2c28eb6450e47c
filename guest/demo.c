/* Demo mode (guest.mode=demo, what `make run` shows): the information page,
 * the protocols husk serves, a PCR extended and read back through the vTPM,
 * an attestation report binding a nonce and the vTPM's EK, the EK
 * certificate husk wrote to NV (when a KBS gave it a CA), an NV counter that
 * counts this vTPM's boots, and a second vCPU that says hello through a
 * shared counter. */
#include <string.h>

#include "fmt/fmt.h"
#include "guest.h"

static uint8_t cmd[512], rsp[512];

static bool demo_tpm(const char *what, uint32_t len, uint32_t *trc)
{
	uint32_t rsp_len = 0, rc = vtpm_cmd(cmd, len, rsp, sizeof(rsp), &rsp_len);

	*trc = 0;
	if (rc != SVSM_SUCCESS) {
		gprintf("  %s: VTPM_CMD failed: 0x%x %s\n", what, rc, svsm_result_name(rc));
		return false;
	}
	*trc = tpm_rsp_rc(rsp, rsp_len);
	return true;
}

static void show_protocol(const char *name, uint32_t proto)
{
	uint64_t r = svsm_query_protocol(proto, 1);

	if (r == ~0ull)
		gprintf("  QUERY_PROTOCOL %-11s v1: the call failed\n", name);
	else if (r == 0)
		gprintf("  QUERY_PROTOCOL %-11s v1: not served\n", name);
	else
		gprintf("  QUERY_PROTOCOL %-11s v1: versions %u..%u\n", name, (uint32_t)r,
			(uint32_t)(r >> 32));
}

static bool demo_pcr(void)
{
	static const char event[] = "hello from the husk test guest";
	uint8_t digest[32], both[64], expect[32], got[32];
	char hex[65];
	uint32_t trc = 0;

	if (!demo_tpm("TPM2_Startup", tpm_build_startup_clear(cmd), &trc))
		return false;
	gprintf("  TPM2_Startup(CLEAR): TPM_RC 0x%x%s\n", trc,
		trc == TPM_RC_INITIALIZE ? " (already started)" : "");
	if (!demo_tpm("TPM2_PCR_Reset", tpm_build_pcr_reset(cmd, 16), &trc) || trc) {
		gprintf("  TPM2_PCR_Reset(16): TPM_RC 0x%x\n", trc);
		return false;
	}
	sha256(event, sizeof(event) - 1, digest);
	fmt_hex(hex, digest, 32);
	if (!demo_tpm("TPM2_PCR_Extend", tpm_build_pcr_extend_sha256(cmd, 16, digest), &trc) || trc) {
		gprintf("  TPM2_PCR_Extend(16): TPM_RC 0x%x\n", trc);
		return false;
	}
	gprintf("  TPM2_PCR_Extend(16, sha256(\"%s\") = %s)\n", event, hex);
	if (!demo_tpm("TPM2_PCR_Read", tpm_build_pcr_read_sha256(cmd, 16), &trc) ||
	    !tpm_pcr_read_digest(rsp, get_be32(rsp + 2), got)) {
		gprintf("  TPM2_PCR_Read(sha256:16): failed (TPM_RC 0x%x)\n", trc);
		return false;
	}
	memset(both, 0, 32);
	memcpy(both + 32, digest, 32);
	sha256(both, 64, expect);
	fmt_hex(hex, got, 32);
	gprintf("  TPM2_PCR_Read(sha256:16) = %s %s\n", hex,
		memcmp(got, expect, 32) == 0 ? "(as expected)" : "(WRONG)");
	return memcmp(got, expect, 32) == 0;
}

static uint8_t att_req[PAGE_SIZE] HUSK_ALIGNED(4096);
static uint8_t att_report[PAGE_SIZE] HUSK_ALIGNED(4096);
static uint8_t att_manifest[PAGE_SIZE] HUSK_ALIGNED(4096);

static bool demo_attest(void)
{
	static const char nonce[64] = "a nonce from the husk test guest's relying party";
	uint64_t report = (uint64_t)(uintptr_t)att_report, manifest = (uint64_t)(uintptr_t)att_manifest;
	uint64_t nonce_gpa = (uint64_t)(uintptr_t)nonce;
	uint32_t size = PAGE_SIZE, key_info;
	uint16_t nonce_len = sizeof(nonce);
	uint8_t want[64];
	char hex[97];
	struct svsm_regs r;
	uint32_t rc;

	memset(att_req, 0, SVSM_ATTEST_REQ_SIZE);
	memcpy(att_req + SVSM_ATTEST_REPORT_GPA, &report, 8);
	memcpy(att_req + SVSM_ATTEST_REPORT_SIZE_OFF, &size, 4);
	memcpy(att_req + SVSM_ATTEST_NONCE_GPA, &nonce_gpa, 8);
	memcpy(att_req + SVSM_ATTEST_NONCE_SIZE_OFF, &nonce_len, 2);
	memcpy(att_req + SVSM_ATTEST_MANIFEST_GPA, &manifest, 8);
	memcpy(att_req + SVSM_ATTEST_MANIFEST_SIZE_OFF, &size, 4);
	rc = svsm_call(SVSM_CALL(SVSM_PROTOCOL_ATTEST, SVSM_ATTEST_SERVICES),
		       (uint64_t)(uintptr_t)att_req, 0, 0, &r);
	gprintf("  ATTEST_SERVICES: %s", svsm_result_name(rc));
	if (rc != SVSM_SUCCESS || r.rcx > PAGE_SIZE) {
		gprintf("\n");
		return false;
	}
	sha512_2(nonce, sizeof(nonce), att_manifest, r.rcx, want);
	memcpy(&key_info, att_report + 0x48, 4);
	gprintf("; %llu-byte manifest (%u service: the vTPM's EK), %llu-byte report at VMPL %u%s\n",
		(unsigned long long)r.rcx, att_manifest[20], (unsigned long long)r.r8,
		att_report[0x30], ((key_info >> 2) & 7) == 7 ? ", unsigned (svm)" : "");
	fmt_hex(hex, att_report + 0x90, 48);
	gprintf("  report MEASUREMENT %s\n", hex);
	gprintf("  report REPORT_DATA = SHA-512(nonce || manifest) %s\n",
		memcmp(att_report + 0x50, want, 64) == 0 ? "(as expected)" : "(WRONG)");
	return memcmp(att_report + 0x50, want, 64) == 0;
}

#define EK_CERT_RSA_INDEX 0x01c00002u

/* The EK certificate in NV, printed in hex ("ekcert: ..." lines) with the
 * SHA-256 of the EK's modulus from the attestation manifest, so that a
 * relying party on the host can check it with openssl. */
static bool demo_ek_cert(void)
{
	static uint8_t cert[2048];
	uint8_t digest[32];
	char hex[129];
	uint32_t trc = 0, size;

	if (!demo_tpm("TPM2_NV_ReadPublic", tpm_build_nv_read_public(cmd, EK_CERT_RSA_INDEX), &trc))
		return false;
	if (trc) {
		gprintf("  EK certificate at NV 0x%x: none (TPM_RC 0x%x): husk got no CA from a KBS\n",
			EK_CERT_RSA_INDEX, trc);
		return true;
	}
	/* TPM2B_NV_PUBLIC: size, index, nameAlg, attributes, authPolicy, dataSize. */
	uint32_t pol = get_be16(rsp + 10 + 2 + 4 + 2 + 4);

	size = get_be16(rsp + 10 + 2 + 4 + 2 + 4 + 2 + pol);
	if (size == 0 || size > sizeof(cert)) {
		gprintf("  EK certificate at NV 0x%x: %u bytes?\n", EK_CERT_RSA_INDEX, size);
		return false;
	}
	for (uint32_t off = 0; off < size;) {
		uint16_t n = (uint16_t)(size - off > 256 ? 256 : size - off);

		if (!demo_tpm("TPM2_NV_Read", tpm_build_nv_read(cmd, EK_CERT_RSA_INDEX, EK_CERT_RSA_INDEX, n, (uint16_t)off),
			      &trc) || trc || get_be32(rsp + 10) != 2u + n || get_be16(rsp + 14) != n) {
			gprintf("  TPM2_NV_Read(0x%x, %u at %u): TPM_RC 0x%x\n", EK_CERT_RSA_INDEX, n, off,
				trc);
			return false;
		}
		memcpy(cert + off, rsp + 16, n);
		off += n;
	}
	gprintf("  EK certificate at NV 0x%x: %u bytes of DER%s\n", EK_CERT_RSA_INDEX, size,
		cert[0] == 0x30 ? "" : " (not a DER SEQUENCE!)");
	for (uint32_t off = 0; off < size; off += 64) {
		fmt_hex(hex, cert + off, size - off > 64 ? 64 : size - off);
		gprintf("  ekcert: %s\n", hex);
	}
	/* The manifest's EK (an RSA TPMT_PUBLIC): unique.size at 56, modulus at 58. */
	if (get_be16(att_manifest + 48 + 56) == 256) {
		sha256(att_manifest + 48 + 58, 256, digest);
		fmt_hex(hex, digest, 32);
		gprintf("  attested EK modulus sha256 %s\n", hex);
	}
	return cert[0] == 0x30;
}

#define DEMO_COUNTER_INDEX 0x01500020u

/* An NV counter the demo defines the first time and increments at every
 * boot: with husk's state disk it counts the boots of this vTPM. */
static bool demo_nv_counter(void)
{
	uint32_t trc = 0;
	bool defined = false;

	if (!demo_tpm("TPM2_NV_ReadPublic", tpm_build_nv_read_public(cmd, DEMO_COUNTER_INDEX), &trc))
		return false;
	if (trc) {
		if (!demo_tpm("TPM2_NV_DefineSpace", tpm_build_nv_define_counter(cmd, DEMO_COUNTER_INDEX),
			      &trc) || trc) {
			gprintf("  TPM2_NV_DefineSpace(0x%x): TPM_RC 0x%x\n", DEMO_COUNTER_INDEX, trc);
			return false;
		}
		defined = true;
	}
	if (!demo_tpm("TPM2_NV_Increment", tpm_build_nv_increment(cmd, DEMO_COUNTER_INDEX), &trc) ||
	    trc || !demo_tpm("TPM2_NV_Read", tpm_build_nv_read(cmd, 0x40000001u, DEMO_COUNTER_INDEX, 8, 0),
			     &trc) || trc || get_be16(rsp + 14) != 8) {
		gprintf("  NV counter 0x%x: TPM_RC 0x%x\n", DEMO_COUNTER_INDEX, trc);
		return false;
	}
	uint64_t v = (uint64_t)get_be32(rsp + 16) << 32 | get_be32(rsp + 20);

	gprintf("  NV counter 0x%x: %llu%s\n", DEMO_COUNTER_INDEX, (unsigned long long)v,
		defined ? " (defined now: a new vTPM)" : " (one more than at the last boot of this vTPM)");
	return true;
}

static bool demo_vcpu(void)
{
	struct worker_ctx *w = &guest_worker_ctx;
	uint64_t vmsa = (uint64_t)(uintptr_t)guest_worker_vmsa[0], rip;
	uint32_t apic, rc;
	bool ok;

	if (!vcpu_other_apic(&apic)) {
		gprintf("  only one vCPU: no second vCPU to start (run with --smp 2 or more)\n");
		return true;
	}
	memset(w, 0, sizeof(*w));
	w->apic_id = apic;
	w->ca_gpa = (uint64_t)(uintptr_t)guest_worker_ca;
	w->vmsa_gpa = vmsa;
	vcpu_build_vmsa(guest_worker_vmsa[0], w);
	rc = vcpu_create(vmsa, w->ca_gpa, apic);
	gprintf("  CREATE_VCPU on APIC ID %u: %s\n", apic, svsm_result_name(rc));
	if (rc != SVSM_SUCCESS)
		return false;
	ok = vcpu_wait_counter(w, 1000, 10000);
	gprintf("  the vCPU on APIC ID %u says hello: %llu loops, %llu SVSM calls answered, %llu "
		"not\n", apic, (unsigned long long)w->counter, (unsigned long long)w->calls_ok,
		(unsigned long long)w->calls_bad);
	rc = vcpu_delete(vmsa, 5000);
	memcpy(&rip, guest_worker_vmsa[0] + VMSA_RIP, 8);
	gprintf("  DELETE_VCPU: %s; it stopped at RIP 0x%llx\n", svsm_result_name(rc),
		(unsigned long long)rip);
	return ok && rc == SVSM_SUCCESS && w->calls_bad == 0;
}

int mode_demo(void)
{
	bool ok = true;
	struct svsm_regs r;

	gprintf("husk test guest: demo\n");
	gprintf("  information page at 0x%llx: husk at 0x%llx+0x%llx, calling area 0x%llx, "
		"core protocol up to v%u, guest VMPL %u\n",
		(unsigned long long)ginfo.info_gpa, (unsigned long long)ginfo.svsm_base,
		(unsigned long long)ginfo.svsm_size, (unsigned long long)ginfo.boot_caa,
		ginfo.max_version, ginfo.guest_vmpl);
	gprintf("  %u vCPU(s), APIC IDs", ginfo.vcpu_count);
	for (uint32_t i = 0; i < ginfo.vcpu_count; i++)
		gprintf(" %u", ginfo.apic_ids[i]);
	gprintf("; booted on %u; TSC %u kHz; args \"%s\"\n", ginfo.boot_apic_id, ginfo.tsc_khz,
		ginfo.args);
	show_protocol("core", SVSM_PROTOCOL_CORE);
	show_protocol("attestation", SVSM_PROTOCOL_ATTEST);
	show_protocol("vTPM", SVSM_PROTOCOL_VTPM);
	if (svsm_call(SVSM_CALL(SVSM_PROTOCOL_VTPM, SVSM_VTPM_QUERY), 0, 0, 0, &r) == SVSM_SUCCESS)
		gprintf("  VTPM_QUERY: platform commands 0x%llx, features 0x%llx\n",
			(unsigned long long)r.rcx, (unsigned long long)r.rdx);
	else
		ok = false;
	ok &= demo_pcr();
	ok &= demo_attest();
	ok &= demo_ek_cert();
	ok &= demo_nv_counter();
	ok &= demo_vcpu();
	gprintf("husk test guest: demo %s\n", ok ? "done" : "FAILED");
	return ok ? GUEST_EXIT_PASS : GUEST_EXIT_FAIL;
}
