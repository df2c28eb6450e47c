/* The vTPM service: husk's TPM 2.0 engine (lib/tpm) inside the kernel, one
 * instance for the guest, one command at a time.
 *
 * At boot it is manufactured (fresh seeds; the state lives in memory until
 * persistence exists), started once to derive the endorsement key (EK) from
 * the TCG default RSA-2048 template, whose public area is kept for
 * attestation and whose derivation the engine caches, then shut down in
 * order and powered on again: the guest finds a TPM that needs TPM2_Startup,
 * as a firmware finds one after a real reset. */
#include <string.h>

#include "arch/x86/tsc.h"
#include "core/console.h"
#include "core/spinlock.h"
#include "husk/err.h"
#include "mm/kheap.h"
#include "platform/platform.h"
#include "services/vtpm.h"
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

/* TPM2_CreatePrimary under the endorsement hierarchy with the TCG EK
 * Credential Profile template L-1 (RSA 2048, storage); keeps the public
 * area (TPMT_PUBLIC, without the TPM2B size). */
static uint32_t derive_ek(uint8_t *rsp)
{
	static const uint8_t policy_a_sha256[32] = {
		0x83, 0x71, 0x97, 0x67, 0x44, 0x84, 0xb3, 0xf8, 0x1a, 0x90, 0xcc, 0x8d, 0x46, 0xa5, 0xd7, 0x24,
		0xfd, 0x52, 0xd7, 0x6e, 0x06, 0x52, 0x0b, 0x64, 0xf2, 0xa1, 0xda, 0x1b, 0x33, 0x14, 0x69, 0xaa,
	};
	uint8_t cmd[512], *p = cmd, *pub;
	size_t rsp_len;
	uint32_t rc, handle;
	uint16_t size;

	p = put16(p, 0x8002);
	p += 4; /* size, below */
	p = put32(p, 0x00000131);          /* TPM_CC_CreatePrimary */
	p = put32(p, 0x4000000b);          /* TPM_RH_ENDORSEMENT */
	p = put32(p, 9);                   /* authorization area: password session */
	p = put32(p, 0x40000009);
	p = put16(p, 0);
	*p++ = 0;
	p = put16(p, 0);
	p = put16(p, 4);                   /* inSensitive: empty auth and data */
	p = put16(p, 0);
	p = put16(p, 0);
	pub = p;
	p += 2;                            /* inPublic size, below */
	p = put16(p, 0x0001);              /* TPM_ALG_RSA */
	p = put16(p, 0x000b);              /* SHA-256 */
	p = put32(p, 0x000300b2);          /* fixedTPM fixedParent sensitiveDataOrigin adminWithPolicy restricted decrypt */
	p = put16(p, sizeof(policy_a_sha256));
	memcpy(p, policy_a_sha256, sizeof(policy_a_sha256));
	p += sizeof(policy_a_sha256);
	p = put16(p, 0x0006);              /* AES-128-CFB */
	p = put16(p, 128);
	p = put16(p, 0x0043);
	p = put16(p, 0x0010);              /* scheme NULL */
	p = put16(p, 2048);
	p = put32(p, 0);                   /* default exponent */
	p = put16(p, 256);                 /* unique: 256 zero bytes */
	memset(p, 0, 256);
	p += 256;
	put16(pub, (uint16_t)(p - pub - 2));
	p = put16(p, 0);                   /* outsideInfo */
	p = put32(p, 0);                   /* creationPCR: no selections */
	put32(cmd + 2, (uint32_t)(p - cmd));

	rc = run(cmd, (size_t)(p - cmd), rsp, &rsp_len);
	if (rc)
		return rc;
	/* header 10, handle 4, parameterSize 4, then TPM2B_PUBLIC. */
	if (rsp_len < 20)
		return 0xffffffffu;
	handle = get32(rsp + 10);
	size = (uint16_t)(rsp[18] << 8 | rsp[19]);
	if ((size_t)size + 20 > rsp_len || size > sizeof(ek_public))
		return 0xffffffffu;
	memcpy(ek_public, rsp + 20, size);
	ek_public_len = size;
	return simple(0x00000165, handle, 4, rsp); /* TPM2_FlushContext */
}

int vtpm_init(void)
{
	static uint8_t rsp[TPM_BUFFER_MAX];
	uint64_t t0 = time_ns();
	uint32_t rc;
	int err;

	err = tpm_create(&tpm, &env);
	if (!err)
		err = tpm_manufacture(tpm);
	if (!err)
		err = tpm_power_on(tpm);
	if (err)
		return err;
	rc = simple(0x00000144, 0x0000, 2, rsp); /* TPM2_Startup(CLEAR) */
	if (!rc)
		rc = derive_ek(rsp);
	if (!rc)
		rc = simple(0x00000145, 0x0000, 2, rsp); /* TPM2_Shutdown(CLEAR) */
	if (rc) {
		pr_err("vTPM: manufacturing failed, TPM response code 0x%x", rc);
		return HUSK_ERR_CRYPTO;
	}
	err = tpm_power_off(tpm);
	if (!err)
		err = tpm_power_on(tpm);
	if (err)
		return err;
	pr_info("vTPM: manufactured, EK (RSA 2048) derived in %llu ms; %zu KiB of state",
		(unsigned long long)((time_ns() - t0) / 1000000), tpm_memory_used(tpm) >> 10);
	return HUSK_OK;
}

int vtpm_send(const uint8_t *cmd, size_t len, uint8_t locality, uint8_t *rsp, size_t cap,
	      size_t *rsp_len)
{
	static uint8_t buf[TPM_BUFFER_MAX]; /* under vtpm_lock */
	int err;

	if (!tpm)
		return HUSK_ERR_UNSUPPORTED;
	spin_lock(&vtpm_lock);
	err = tpm_process(tpm, cmd, len, locality, buf, sizeof(buf), rsp_len);
	if (!err && *rsp_len > cap)
		err = HUSK_ERR_RANGE;
	if (!err)
		memcpy(rsp, buf, *rsp_len);
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
