/* The vTPM service: husk's TPM 2.0 engine (lib/tpm) inside the kernel, one
 * instance for the guest, one command at a time.
 *
 * At boot its NV state is loaded from husk's disk (services/vtpm_store.c,
 * keyed by the KBS's storage secret) or, the first time or without a key
 * or disk, manufactured (fresh seeds); it is started and shut down once in
 * order, and powered on again: the guest finds a TPM that needs TPM2_Startup, as a firmware finds
 * one after a real reset.  The endorsement key (EK) of the TCG default
 * RSA-2048 template is derived (and cached by the engine) for the
 * attestation manifest; with a CA from the KBS, both default EKs get
 * certificates in the TCG NV indexes.  Whenever a command changes NV, the
 * state goes back to the disk before the response goes to the guest; if the
 * disk cannot take it, the vTPM goes into failure mode for the rest of the
 * boot rather than acknowledge a change that is not stored. */
#include <string.h>

#include "arch/x86/tsc.h"
#include "core/console.h"
#include "core/spinlock.h"
#include "crypto/crypto.h"
#include "ekcert/ekcert.h"
#include "husk/err.h"
#include "mm/kheap.h"
#include "platform/platform.h"
#include "services/vtpm.h"
#include "services/vtpm_store.h"
#include "tpm/tpm.h"

static struct spinlock vtpm_lock = SPINLOCK_INIT;
static struct tpm *tpm;
static uint8_t ek_public[512];
static size_t ek_public_len;

static void *env_calloc(void *ctx, size_t n, size_t size)
{
	(void)ctx;
	return kcalloc(n, size);
}

static void env_free(void *ctx, void *p)
{
	(void)ctx;
	kfree(p);
}

static int env_entropy(void *ctx, uint8_t *buf, size_t len)
{
	return platform()->entropy(ctx, buf, len);
}

static uint64_t env_clock_ms(void *ctx)
{
	(void)ctx;
	return time_ns() / 1000000;
}

static const struct tpm_env env = {
	.calloc = env_calloc,
	.free = env_free,
	.entropy = env_entropy,
	.clock_ms = env_clock_ms,
};

static uint8_t *put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return p + 2;
}

static uint8_t *put32(uint8_t *p, uint32_t v)
{
	p = put16(p, (uint16_t)(v >> 16));
	return put16(p, (uint16_t)v);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Runs one command built by the caller; returns its response code, or
 * 0xffffffff if the engine failed outright. */
static uint32_t run(const uint8_t *cmd, size_t len, uint8_t *rsp, size_t *rsp_len)
{
	if (tpm_process(tpm, cmd, len, 0, rsp, TPM_BUFFER_MAX, rsp_len) || *rsp_len < 10)
		return 0xffffffffu;
	return get32(rsp + 6);
}

static uint32_t simple(uint32_t cc, uint32_t arg, size_t arg_len, uint8_t *rsp)
{
	uint8_t cmd[16], *p = cmd;
	size_t rsp_len;

	p = put16(p, 0x8001);
	p = put32(p, (uint32_t)(10 + arg_len));
	p = put32(p, cc);
	if (arg_len == 2)
		p = put16(p, (uint16_t)arg);
	else if (arg_len == 4)
		p = put32(p, arg);
	return run(cmd, (size_t)(p - cmd), rsp, &rsp_len);
}

/* The NV blob while it is loaded or saved (under vtpm_lock or at boot). */
static uint8_t state_buf[VTPM_STATE_MAX];
/* The disk lost a change: from then on the vTPM is in failure mode and
 * every command fails (HUSK_ERR_IO, which the vTPM protocol turns into a
 * TPM_RC_FAILURE response), as from a TPM whose NV failed. */
static bool failed;

/* Persists the NV state if it changed; 0 or the error that kept it from the
 * disk (after a second try with the disk set up again).  The caller holds
 * vtpm_lock, or is the boot CPU before the guest runs. */
static int persist(void)
{
	uint8_t *blob;
	size_t len;
	int err;

	if (!vtpm_store_ready() || !tpm_nv_dirty(tpm))
		return HUSK_OK;
	err = tpm_state_save(tpm, &blob, &len);
	if (err) {
		pr_err("vTPM: cannot serialise the state: %s", husk_strerror(err));
		return err;
	}
	err = len > VTPM_STATE_MAX ? HUSK_ERR_RANGE : vtpm_store_save(blob, len);
	if (err && err != HUSK_ERR_RANGE && vtpm_store_reopen() == HUSK_OK)
		err = vtpm_store_save(blob, len);
	tpm_state_free(tpm, blob, len);
	return err;
}

/* The saved state if there is one (*fresh false), else a new TPM. */
static int load_or_manufacture(const uint8_t *key, size_t key_len, bool *fresh)
{
	size_t len = 0;
	int err;

	*fresh = true;
	if (!key) {
		pr_info("vTPM: no storage key: the vTPM lives in memory, a new one every boot");
		return tpm_manufacture(tpm);
	}
	err = vtpm_store_open(key, key_len);
	if (err == HUSK_ERR_NOTFOUND) {
		pr_info("vTPM: no disk for its state: the vTPM lives in memory, a new one every boot");
		return tpm_manufacture(tpm);
	}
	if (!err)
		err = vtpm_store_load(state_buf, sizeof(state_buf), &len);
	if (err == HUSK_ERR_NOTFOUND)
		return tpm_manufacture(tpm);
	if (!err) {
		err = tpm_state_load(tpm, state_buf, len);
		if (err)
			pr_err("vTPM: the engine refuses the stored state: %s", husk_strerror(err));
		*fresh = false;
	}
	crypto_wipe(state_buf, sizeof(state_buf));
	return err;
}

int vtpm_init(const uint8_t *storage_key, size_t key_len)
{
	static uint8_t rsp[TPM_BUFFER_MAX];
	uint64_t t0 = time_ns();
	bool fresh;
	uint32_t rc;
	int err;

	err = tpm_create(&tpm, &env);
	if (!err)
		err = load_or_manufacture(storage_key, key_len, &fresh);
	if (!err)
		err = tpm_power_on(tpm);
	if (err)
		return err;
	rc = simple(0x00000144, 0x0000, 2, rsp); /* TPM2_Startup(CLEAR) */
	if (!rc)
		rc = simple(0x00000145, 0x0000, 2, rsp); /* TPM2_Shutdown(CLEAR) */
	if (rc) {
		pr_err("vTPM: start-up failed, TPM response code 0x%x", rc);
		return HUSK_ERR_CRYPTO;
	}
	/* The RSA EK (template L-1): derived once here (the engine caches
	 * it), kept for the attestation manifest. */
	err = tpm_ek_public(tpm, TPM_EK_RSA2048, ek_public, sizeof(ek_public), &ek_public_len);
	if (err) {
		pr_err("vTPM: EK derivation failed: %s", husk_strerror(err));
		return err;
	}
	err = tpm_power_off(tpm);
	if (!err)
		err = tpm_power_on(tpm);
	if (err)
		return err;
	/* A new vTPM reaches the disk before anyone sees it, or husk stops. */
	err = persist();
	if (err) {
		pr_err("vTPM: the state could not be written to the disk: %s", husk_strerror(err));
		return err;
	}
	pr_info("vTPM: %s, EK (RSA 2048) derived in %llu ms; %zu KiB of state%s",
		fresh ? "manufactured" : "state loaded", (unsigned long long)((time_ns() - t0) / 1000000),
		tpm_memory_used(tpm) >> 10, vtpm_store_ready() ? ", persisted on the disk" : "");
	return HUSK_OK;
}

int vtpm_send(const uint8_t *cmd, size_t len, uint8_t locality, uint8_t *rsp, size_t cap,
	      size_t *rsp_len)
{
	static uint8_t buf[TPM_BUFFER_MAX]; /* under vtpm_lock */
	int err = HUSK_OK;

	if (!tpm)
		return HUSK_ERR_UNSUPPORTED;
	spin_lock(&vtpm_lock);
	if (!failed) {
		err = tpm_process(tpm, cmd, len, locality, buf, sizeof(buf), rsp_len);
		/* The change reaches the disk before the guest hears of it; if it
		 * cannot, the guest hears of a failure instead, now and after. */
		if (!err && persist() != HUSK_OK) {
			pr_err("vTPM: a change could not be written to the disk: failure mode "
			       "until the next boot (the disk keeps the state before it)");
			failed = true;
		}
	}
	if (failed)
		err = HUSK_ERR_IO;
	if (!err && *rsp_len > cap)
		err = HUSK_ERR_RANGE;
	if (!err)
		memcpy(rsp, buf, *rsp_len);
	/* The response may hold unsealed secrets: wipe husk's copy. */
	crypto_wipe(buf, err ? sizeof(buf) : *rsp_len);
	spin_unlock(&vtpm_lock);
	return err;
}

int vtpm_ek_public(const uint8_t **pub, size_t *len)
{
	if (!ek_public_len)
		return HUSK_ERR_NOTFOUND;
	*pub = ek_public;
	*len = ek_public_len;
	return HUSK_OK;
}

int vtpm_provision_ek_certs(const uint8_t *key, size_t key_len, const uint8_t *cert,
			    size_t cert_len, bool *changed)
{
	static struct crypto_drbg drbg; /* the CA's signatures (ECDSA, RSA blinding) */
	struct ekcert_ca ca;
	const char *why = "?";
	unsigned mask = 0;
	int err;

	*changed = false;
	if (!tpm)
		return HUSK_ERR_UNSUPPORTED;
	spin_lock(&vtpm_lock);
	err = drbg.ready ? HUSK_OK : crypto_drbg_init(&drbg, env_entropy, NULL, "husk ekcert", 11);
	ekcert_ca_init(&ca);
	if (!err)
		err = ekcert_ca_load(&ca, key, key_len, cert, cert_len, crypto_drbg_rng, &drbg, &why);
	if (!err)
		err = ekcert_provision(tpm, &ca, crypto_drbg_rng, &drbg, &mask, &why);
	ekcert_ca_free(&ca);
	if (!err && mask) {
		err = persist();
		if (err)
			why = "the certificates could not be written to the disk";
	}
	spin_unlock(&vtpm_lock);
	if (err) {
		pr_err("vTPM: no EK certificates: %s (%s)", why, husk_strerror(err));
		return err;
	}
	*changed = mask != 0;
	pr_info("vTPM: EK certificates (RSA 2048 at 0x01c00002, ECC P-256 at 0x01c0000a) %s",
		mask ? "issued and written" : "already in place");
	return HUSK_OK;
}
