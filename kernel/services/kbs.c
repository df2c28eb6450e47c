/* Secrets from the Key Broker Service.  At boot, before the guest runs,
 * husk speaks Trustee's KBS protocol 0.4.0 (lib/kbs) through its proxy link
 * (services/kbs_link.c): auth, attest with evidence bound to the KBS's nonce
 * and an ephemeral key, then one resource per secret, each a JWE only this
 * boot's key opens.
 *
 * Evidence: the platform's attestation report with REPORT_DATA = the
 * runtime-data digest.  An SNP report signed by the hardware goes as TEE
 * `snp` (not yet: the snp platform does not exist); the svm platform's
 * report is unsigned, so husk sends TEE `sample` — what Trustee offers for
 * machines without a TEE — with the report's MEASUREMENT (husk's
 * self-measurement) as the extra member "husk-measurement", which a
 * KBS policy may check but which no hardware vouches for (docs/kbs.md).
 *
 * Resource paths come from husk's command line (kbs.storage_key=,
 * kbs.ca_key=, kbs.ca_cert=; "none" to skip one), defaults below.  What
 * the caller does when a requested secret is refused: request.c. */
#include <string.h>

#include "core/cmdline.h"
#include "core/console.h"
#include "crypto/crypto.h"
#include "fmt/fmt.h"
#include "husk/err.h"
#include "kbs/kbs.h"
#include "mm/kheap.h"
#include "platform/platform.h"
#include "services/kbs.h"
#include "services/kbs_link.h"
#include "snp/snp_report.h"
#include "svsm/svsm_abi.h"

static int link_exchange(void *ctx, const char *method, const char *path, const uint8_t *body,
			 size_t body_len, uint16_t *status, uint8_t *rsp, size_t rsp_max,
			 size_t *rsp_len)
{
	(void)ctx;
	return kbs_link_exchange(method, path, body, body_len, status, rsp, rsp_max, rsp_len);
}

static int entropy(void *ctx, uint8_t *buf, size_t len)
{
	return platform()->entropy(ctx, buf, len);
}

struct evidence_ctx {
	char measurement[2 * SNP_MEASUREMENT_SIZE + 1];
};

/* The sample evidence, with the unsigned report's MEASUREMENT. */
static int evidence_svm(void *ctx, const uint8_t digest[KBS_DIGEST_BYTES], char *out,
			size_t out_max, size_t *out_len, struct kbs_error *err)
{
	struct evidence_ctx *e = ctx;
	struct snp_report r;
	uint8_t report_data[SNP_REPORT_DATA_SIZE] = { 0 };
	uint32_t certs_len = 0;
	const struct kbs_sample_evidence extra = { "husk-measurement", e->measurement };

	memcpy(report_data, digest, KBS_DIGEST_BYTES);
	if (platform()->guest->attest_report(report_data, (uint8_t *)&r, 0, 0, &certs_len) !=
	    SVSM_SUCCESS) {
		err->code = KBS_E_EVIDENCE;
		fmt_snprintf(err->msg, sizeof(err->msg), "kbs: the platform made no report");
		return HUSK_ERR_IO;
	}
	fmt_hex(e->measurement, r.measurement, SNP_MEASUREMENT_SIZE);
	return kbs_evidence_sample((void *)&extra, digest, out, out_max, out_len, err);
}

/* One secret.  A path that is "none" is not asked for; a refusal (policy,
 * missing resource, a response that fails its checks) leaves the secret
 * absent, logged.  HUSK_ERR_RANGE for a path option too long to use. */
static int fetch(struct kbs_session *s, const char *key, const char *dflt, const char *what,
		 struct kbs_secret *out)
{
	char path[KBS_RESOURCE_PATH_MAX + 1];
	struct kbs_error kerr = { 0 };
	int err = cmdline_lookup(key, path, sizeof(path));

	if (err == HUSK_ERR_NOTFOUND) {
		memcpy(path, dflt, strlen(dflt) + 1);
		err = HUSK_OK;
	}
	if (err) {
		pr_err("kbs: %s= is longer than %u characters", key, KBS_RESOURCE_PATH_MAX);
		return err;
	}
	if (strcmp(path, "none") == 0)
		return HUSK_OK;
	out->requested = true;
	err = kbs_get_resource(s, path, out->data, sizeof(out->data), &out->len, &kerr);
	if (err) {
		pr_warn("kbs: no %s (%s): %s", what, path, kerr.msg);
		crypto_wipe(out->data, sizeof(out->data));
		out->len = 0;
		return HUSK_OK;
	}
	out->present = true;
	pr_info("kbs: %s released (%s, %u bytes)", what, path, (unsigned)out->len);
	return HUSK_OK;
}

int kbs_fetch_secrets(struct kbs_secrets *out)
{
	static struct crypto_drbg drbg;
	const struct kbs_transport t = { link_exchange, NULL };
	struct evidence_ctx ectx = { { 0 } };
	struct kbs_attest_params p = { "sample", KBS_CURVE_P256, evidence_svm, &ectx };
	struct kbs_error kerr = { 0 };
	struct kbs_session *s;
	int err;

	memset(out, 0, sizeof(*out));
	if (platform()->type != HUSK_PLATFORM_SVM || !platform()->guest->attest_report)
		return HUSK_ERR_NOTFOUND;
	err = kbs_link_init();
	if (err == HUSK_ERR_NOTFOUND) {
		pr_info("kbs: no proxy link (no COM3): no secrets this boot");
		return err;
	}
	if (!err && !drbg.ready)
		err = crypto_drbg_init(&drbg, entropy, NULL, "husk kbs", 8);
	s = err ? NULL : kcalloc(1, sizeof(*s));
	if (!err && !s)
		err = HUSK_ERR_NOMEM;
	if (err) {
		pr_err("kbs: cannot start: %s", husk_strerror(err));
		return err;
	}
	err = kbs_session_init(s, &t, crypto_drbg_rng, &drbg);
	if (!err)
		err = kbs_attest(s, &p, &kerr);
	if (err) {
		pr_err("kbs: attestation failed: %s", kerr.msg[0] ? kerr.msg : husk_strerror(err));
	} else {
		pr_info("kbs: attested (TEE sample, husk-measurement %s, unsigned)", ectx.measurement);
		err = fetch(s, "kbs.storage_key", "husk/vtpm/storage-key", "vTPM storage key",
			    &out->storage_key);
		if (!err)
			err = fetch(s, "kbs.ca_key", "husk/ek-ca/key", "EK CA key", &out->ca_key);
		if (!err)
			err = fetch(s, "kbs.ca_cert", "husk/ek-ca/cert", "EK CA certificate",
				    &out->ca_cert);
	}
	kbs_session_wipe(s);
	kfree(s);
	if (err)
		kbs_secrets_wipe(out);
	return err;
}

void kbs_secrets_wipe(struct kbs_secrets *s)
{
	crypto_wipe(s, sizeof(*s));
}
