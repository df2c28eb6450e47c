/* The SVSM request loop.  Each CPU asks the platform to run its guest
 * vCPU; when the vCPU makes an SVSM call, lib/svsm decodes, checks and
 * answers it (every guest input copied into husk once, there), with the
 * platform's guest-memory, validation and vCPU functions and the vTPM
 * service underneath.  The same lib/svsm code runs in the unit tests, the
 * fuzzer and the instruction-count benchmark. */
#include <string.h>

#include "core/cmdline.h"
#include "arch/x86/cpu.h"
#include "core/console.h"
#include "core/percpu.h"
#include "husk/err.h"
#include "husk/svm_guest.h"
#include "platform/platform.h"
#include "protocols/request.h"
#include "services/kbs.h"
#include "services/vtpm.h"
#include "svsm/svsm.h"

static struct svsm svsm;
static bool serving;

static const struct platform_guest_ops *guest(void)
{
	return platform()->guest;
}

static int op_read(void *ctx, uint64_t gpa, void *buf, size_t len)
{
	(void)ctx;
	return guest()->read(gpa, buf, len);
}

static int op_write(void *ctx, uint64_t gpa, const void *buf, size_t len)
{
	(void)ctx;
	return guest()->write(gpa, buf, len);
}

static int op_zero(void *ctx, uint64_t gpa, uint64_t len)
{
	(void)ctx;
	return guest()->zero(gpa, len);
}

static bool op_guest_ram(void *ctx, uint64_t gpa, uint64_t len)
{
	(void)ctx;
	return guest()->guest_ram(gpa, len);
}

static uint32_t op_pvalidate(void *ctx, uint64_t gpa, bool huge, bool validate, bool *unchanged)
{
	(void)ctx;
	return guest()->pvalidate(gpa, huge, validate, unchanged);
}

static uint32_t op_vcpu_start(void *ctx, uint32_t apic_id, const uint8_t *vmsa, uint64_t vmsa_gpa,
			      uint64_t ca_gpa)
{
	(void)ctx;
	return guest()->vcpu_start(apic_id, vmsa, vmsa_gpa, ca_gpa);
}

static uint32_t op_vcpu_stop(void *ctx, uint32_t apic_id, uint64_t vmsa_gpa)
{
	(void)ctx;
	return guest()->vcpu_stop(apic_id, vmsa_gpa);
}

static int op_vtpm_send(void *ctx, const uint8_t *cmd, size_t len, uint8_t locality, uint8_t *rsp,
			size_t cap, size_t *rsp_len)
{
	(void)ctx;
	return vtpm_send(cmd, len, locality, rsp, cap, rsp_len);
}

static int op_vtpm_ek_public(void *ctx, uint8_t *buf, size_t cap, size_t *len)
{
	const uint8_t *pub;
	size_t n;
	int err;

	(void)ctx;
	err = vtpm_ek_public(&pub, &n);
	if (err)
		return err;
	if (n > cap)
		return HUSK_ERR_RANGE;
	memcpy(buf, pub, n);
	*len = n;
	return HUSK_OK;
}

static uint32_t op_attest_report(void *ctx, const uint8_t report_data[64], uint8_t *report,
				 uint64_t certs_gpa, uint32_t certs_cap, uint32_t *certs_len)
{
	(void)ctx;
	return guest()->attest_report(report_data, report, certs_gpa, certs_cap, certs_len);
}

static struct svsm_platform_ops svsm_ops = {
	.read = op_read,
	.write = op_write,
	.zero = op_zero,
	.guest_ram = op_guest_ram,
	.pvalidate = op_pvalidate,
	.vcpu_start = op_vcpu_start,
	.vcpu_stop = op_vcpu_stop,
	.vtpm_send = op_vtpm_send,
	.vtpm_ek_public = op_vtpm_ek_public,
};

/* The words of husk's command line that start with "guest.", for the
 * guest's information page. */
static void guest_args(char *out, size_t cap)
{
	const char *s = cmdline_raw();
	size_t n = 0;

	out[0] = 0;
	while (*s) {
		const char *w = s;
		size_t len;

		while (*s && *s != ' ')
			s++;
		len = (size_t)(s - w);
		while (*s == ' ')
			s++;
		if (len < 6 || memcmp(w, "guest.", 6) != 0)
			continue;
		if (n + len + 2 > cap) {
			pr_warn("guest arguments longer than %zu bytes: '%.*s' dropped", cap - 1,
				(int)len, w);
			continue;
		}
		if (n)
			out[n++] = ' ';
		memcpy(out + n, w, len);
		n += len;
		out[n] = 0;
	}
}

/* Secrets from the KBS (services/kbs.c), if husk has a proxy link, then
 * the vTPM: its state from the disk under the storage key, and EK
 * certificates from the CA; the secrets are wiped afterwards.  A link whose
 * attestation fails, or a stored state that is refused, stops the boot:
 * husk does not silently run without the identity the deployment asked
 * for, nor replace a state it cannot read. */
static int request_secrets(void)
{
	static struct kbs_secrets secrets;
	struct kbs_secret *key = &secrets.storage_key;
	bool changed;
	int err = kbs_fetch_secrets(&secrets);
	bool attested = err == HUSK_OK;

	if (err && err != HUSK_ERR_NOTFOUND) {
		pr_err("husk: stopping: the KBS step failed (%s)", husk_strerror(err));
		return err;
	}
	/* A storage key asked for and not released (refused by policy, or
	 * lost on the way): running a new vTPM instead of the one on the disk
	 * would hand the guest another identity. */
	if (attested && key->requested && !key->present) {
		kbs_secrets_wipe(&secrets);
		pr_err("husk: stopping: the KBS released no vTPM storage key (kbs.storage_key=none "
		       "runs an ephemeral vTPM on purpose)");
		return HUSK_ERR_NOTFOUND;
	}
	err = vtpm_init(key->present ? key->data : NULL, key->present ? key->len : 0);
	if (err)
		pr_err("vTPM: %s", husk_strerror(err));
	if (!err && secrets.ca_key.present && secrets.ca_cert.present)
		err = vtpm_provision_ek_certs(secrets.ca_key.data, secrets.ca_key.len,
					      secrets.ca_cert.data, secrets.ca_cert.len, &changed);
	else if (!err && attested)
		pr_warn("vTPM: no EK CA from the KBS: no EK certificates");
	kbs_secrets_wipe(&secrets);
	if (err)
		pr_err("husk: stopping: the vTPM could not be set up (%s)", husk_strerror(err));
	return err;
}

int request_init(const struct husk_boot_params *bp, const struct bp_info *vmm)
{
	static char args[HUSK_SVM_GUEST_ARGS_MAX];
	struct guest_launch gl;
	struct svsm_config cfg;
	int err;

	guest_args(args, sizeof(args));
	err = guest()->prepare(bp, vmm, args, &gl);
	if (err)
		return err;
	err = request_secrets();
	if (err)
		return err;
	memset(&cfg, 0, sizeof(cfg));
	cfg.vcpu_count = gl.vcpu_count;
	memcpy(cfg.apic_ids, gl.apic_ids, sizeof(cfg.apic_ids));
	cfg.boot_apic_id = gl.boot_apic_id;
	cfg.boot_ca_gpa = gl.boot_ca_gpa;
	cfg.sev_features = gl.sev_features;
	cfg.guest_vmpl = gl.guest_vmpl;
	/* Protocol 1 only where the platform can make reports. */
	if (guest()->attest_report)
		svsm_ops.attest_report = op_attest_report;
	err = svsm_init(&svsm, &svsm_ops, &cfg);
	if (err)
		return err;
	pr_info("serving the SVSM protocols (core 1, vTPM 1) to %u guest vCPUs; guest arguments \"%s\"",
		gl.vcpu_count, args);
	__atomic_store_n(&serving, true, __ATOMIC_RELEASE);
	percpu_wake_others();
	return HUSK_OK;
}

HUSK_NORETURN void request_loop(void)
{
	/* APs sleep while the BSP prepares (the vTPM's key derivation takes
	 * a while): request_init wakes them. */
	irq_disable();
	while (!__atomic_load_n(&serving, __ATOMIC_ACQUIRE)) {
		irq_enable_and_halt();
		irq_disable();
	}
	for (;;) {
		struct guest_exit ex;
		enum svsm_outcome out;

		guest()->run(&ex);
		switch (ex.kind) {
		case GUEST_EXIT_SVSM_CALL:
			out = svsm_call(&svsm, ex.apic_id, &ex.regs);
			guest()->complete(&ex, out);
			if (out == SVSM_STOP_SELF)
				svsm_vcpu_stopped(&svsm, ex.apic_id);
			break;
		case GUEST_EXIT_VCPU_GONE:
			svsm_vcpu_stopped(&svsm, ex.apic_id);
			break;
		}
	}
}
