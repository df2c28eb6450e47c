/* husk-tpm-sim backend over husk's own TPM 2.0 engine (lib/tpm/tpm.h),
 * hosted: memory from libc, entropy from getrandom(2), time from
 * CLOCK_MONOTONIC.  Also husk's EK certificates (lib/ekcert), provisioned
 * as the vTPM service does at boot. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "crypto/crypto.h"
#include "ekcert/ekcert.h"
#include "husk/err.h"
#include "tpm/tpm.h"
#include "tpm/tpm_defs.h"

#include "backend.h"

_Static_assert(SIM_CMD_MAX <= TPM_BUFFER_MAX, "the server must not pass commands husk refuses");
_Static_assert(SIM_RSP_MAX >= TPM_BUFFER_MAX, "tpm_process needs rsp_cap >= TPM_BUFFER_MAX");

/* What CMD_GET_INFO reports (TPMLIB_GetInfo's JSON keys). */
#define HB_INFO_SPECIFICATION 1u
#define HB_INFO_ATTRIBUTES 2u

#ifndef HUSK_TPM_SPEC_REVISION
#define HUSK_TPM_SPEC_REVISION 164
#endif

struct hb {
	struct tpm_env env; /* the engine may keep a pointer to it */
	struct tpm *tpm;
	bool powered;
	/* EK certificate CA, parsed at the first provisioning, and the
	 * random generator its signatures use for blinding */
	struct ekcert_ca ca;
	struct crypto_drbg drbg;
	bool ca_ready;
};

static void *hb_calloc(void *ctx, size_t n, size_t size)
{
	(void)ctx;
	return calloc(n, size); /* NULL on overflow of n * size, as tpm_env asks */
}

static void hb_free(void *ctx, void *p)
{
	(void)ctx;
	free(p);
}

static int hb_entropy(void *ctx, uint8_t *buf, size_t len)
{
	(void)ctx;
	while (len > 0) {
		ssize_t n = getrandom(buf, len, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return HUSK_ERR_IO;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static uint64_t hb_clock_ms(void *ctx)
{
	struct timespec ts;

	(void)ctx;
	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int hb_init(void **ctx)
{
	static bool crypto_ready;
	struct hb *hb;
	int rc;

	/* Routes mbedTLS's allocations; once per process, before any context. */
	if (!crypto_ready) {
		rc = crypto_init(calloc, free);
		if (rc != 0)
			return rc;
		crypto_ready = true;
	}
	hb = calloc(1, sizeof(*hb));
	if (!hb)
		return HUSK_ERR_NOMEM;
	hb->env.calloc = hb_calloc;
	hb->env.free = hb_free;
	hb->env.entropy = hb_entropy;
	hb->env.clock_ms = hb_clock_ms;
	hb->env.ctx = NULL;
	rc = tpm_create(&hb->tpm, &hb->env);
	if (rc != 0) {
		free(hb);
		return rc;
	}
	*ctx = hb;
	return 0;
}

static void hb_destroy(void *ctx)
{
	struct hb *hb = ctx;

	if (!hb)
		return;
	tpm_destroy(hb->tpm);
	ekcert_ca_free(&hb->ca);
	crypto_drbg_free(&hb->drbg);
	free(hb);
}

static int hb_manufacture(void *ctx)
{
	struct hb *hb = ctx;

	if (hb->powered)
		return HUSK_ERR_BUSY;
	return tpm_manufacture(hb->tpm);
}

static int hb_power_on(void *ctx)
{
	struct hb *hb = ctx;
	int rc;

	if (hb->powered)
		return 0;
	rc = tpm_power_on(hb->tpm);
	if (rc == 0)
		hb->powered = true;
	return rc;
}

static int hb_power_off(void *ctx)
{
	struct hb *hb = ctx;
	int rc;

	if (!hb->powered)
		return 0;
	rc = tpm_power_off(hb->tpm);
	hb->powered = false;
	return rc;
}

static int hb_process(void *ctx, const uint8_t *cmd, size_t cmd_len, uint8_t locality,
		      uint8_t *rsp, size_t rsp_cap, size_t *rsp_len)
{
	struct hb *hb = ctx;

	return tpm_process(hb->tpm, cmd, cmd_len, locality, rsp, rsp_cap, rsp_len);
}

static int hb_save_state(void *ctx, uint8_t **blob, size_t *len)
{
	struct hb *hb = ctx;
	uint8_t *state = NULL;
	size_t state_len = 0;
	uint8_t *copy;
	int rc;

	rc = tpm_state_save(hb->tpm, &state, &state_len);
	if (rc != 0)
		return rc;
	/* The server frees with free(); the engine's blob goes back to it. */
	copy = malloc(state_len ? state_len : 1);
	if (copy)
		memcpy(copy, state, state_len);
	tpm_state_free(hb->tpm, state, state_len);
	if (!copy)
		return HUSK_ERR_NOMEM;
	*blob = copy;
	*len = state_len;
	return 0;
}

static int hb_load_state(void *ctx, const uint8_t *blob, size_t len)
{
	struct hb *hb = ctx;

	if (hb->powered)
		return HUSK_ERR_BUSY;
	return tpm_state_load(hb->tpm, blob, len);
}

/* husk has no DRTM (_TPM_Hash_Start), so the established bit stays clear. */
static int hb_established_get(void *ctx, bool *bit)
{
	(void)ctx;
	*bit = false;
	return 0;
}

static int hb_established_reset(void *ctx, uint8_t locality)
{
	(void)ctx;
	(void)locality;
	return 0;
}

static int hb_buffer_size(void *ctx, uint32_t wanted, uint32_t *used, uint32_t *min, uint32_t *max)
{
	(void)ctx;
	(void)wanted;
	/* husk's engine has one fixed buffer size. */
	*used = TPM_BUFFER_MAX;
	*min = TPM_BUFFER_MAX;
	*max = TPM_BUFFER_MAX;
	return 0;
}

static int hb_info(void *ctx, uint64_t flags, char **json)
{
	char buf[512];
	size_t off = 0;
	int n;

	(void)ctx;
	n = snprintf(buf, sizeof(buf), "{");
	off += (size_t)n;
	if (flags & HB_INFO_SPECIFICATION) {
		n = snprintf(buf + off, sizeof(buf) - off,
			     "\"TPMSpecification\":"
			     "{\"family\":\"2.0\",\"level\":0,\"revision\":%d}",
			     (int)HUSK_TPM_SPEC_REVISION);
		off += (size_t)n;
	}
	if (flags & HB_INFO_ATTRIBUTES) {
		n = snprintf(buf + off, sizeof(buf) - off,
			     "%s\"TPMAttributes\":{\"manufacturer\":\"id:4855534B\","
			     "\"version\":\"id:00000000\",\"model\":\"husk\"}",
			     (flags & HB_INFO_SPECIFICATION) ? "," : "");
		off += (size_t)n;
	}
	snprintf(buf + off, sizeof(buf) - off, "}");
	*json = strdup(buf);
	return *json ? 0 : HUSK_ERR_NOMEM;
}

static void hb_set_physical_presence(void *ctx, bool on)
{
	(void)ctx;
	(void)on;
}

static int hb_provision_ek_certs(void *ctx, const uint8_t *key, size_t key_len, const uint8_t *cert,
				 size_t cert_len, bool *changed, const char **why)
{
	struct hb *hb = ctx;
	unsigned mask = 0;
	int rc;

	*changed = false;
	if (hb->powered)
		return HUSK_ERR_BUSY;
	if (!hb->drbg.ready) {
		static const char pers[] = "husk-tpm-sim ekcert";

		rc = crypto_drbg_init(&hb->drbg, hb_entropy, NULL, pers, sizeof(pers) - 1);
		if (rc != 0) {
			*why = "cannot seed a random generator";
			return rc;
		}
	}
	if (!hb->ca_ready) {
		ekcert_ca_init(&hb->ca);
		rc = ekcert_ca_load(&hb->ca, key, key_len, cert, cert_len, crypto_drbg_rng, &hb->drbg, why);
		if (rc != 0)
			return rc;
		hb->ca_ready = true;
	}
	rc = ekcert_provision(hb->tpm, &hb->ca, crypto_drbg_rng, &hb->drbg, &mask, why);
	*changed = mask != 0;
	return rc;
}

const struct sim_backend sim_backend_husk = {
	.name = "husk",
	.init = hb_init,
	.destroy = hb_destroy,
	.manufacture = hb_manufacture,
	.power_on = hb_power_on,
	.power_off = hb_power_off,
	.process = hb_process,
	.save_state = hb_save_state,
	.load_state = hb_load_state,
	.established_get = hb_established_get,
	.established_reset = hb_established_reset,
	.buffer_size = hb_buffer_size,
	.info = hb_info,
	.set_physical_presence = hb_set_physical_presence,
	.provision_ek_certs = hb_provision_ek_certs,
};
