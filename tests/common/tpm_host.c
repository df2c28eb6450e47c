/* Hosted environment for husk's TPM engine; see tpm_host.h. */
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "crypto/crypto.h"
#include "husk/err.h"
#include "tpm/tpm_buf.h"
#include "tpm/tpm_defs.h"
#include "tpm_host.h"
#include "tpmcmd.h"

static void *host_calloc(void *ctx, size_t n, size_t size)
{
	(void)ctx;
	return calloc(n, size);
}

static void host_free(void *ctx, void *p)
{
	(void)ctx;
	free(p);
}

static int host_entropy(void *ctx, uint8_t *buf, size_t len)
{
	struct tpm_host *h = ctx;

	if (h->det_state) {
		for (size_t i = 0; i < len; i++) {
			/* splitmix64: reproducible, not secret (tests only) */
			uint64_t z = (h->det_state += 0x9e3779b97f4a7c15ull);

			z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
			z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
			buf[i] = (uint8_t)(z ^ (z >> 31));
		}
		return HUSK_OK;
	}
	while (len) {
		ssize_t n = getrandom(buf, len, 0);

		if (n <= 0)
			return HUSK_ERR_IO;
		buf += n;
		len -= (size_t)n;
	}
	return HUSK_OK;
}

static uint64_t host_clock(void *ctx)
{
	struct tpm_host *h = ctx;
	struct timespec ts;

	if (h->use_fake_clock)
		return h->fake_ms;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void *crypto_calloc(size_t n, size_t size)
{
	return calloc(n, size);
}

int tpm_host_init(struct tpm_host *h, uint64_t seed)
{
	int err;

	memset(h, 0, sizeof(*h));
	h->det_state = seed;
	h->env = (struct tpm_env){ host_calloc, host_free, host_entropy, host_clock, h };
	err = crypto_init(crypto_calloc, free);
	if (!err)
		err = tpm_create(&h->tpm, &h->env);
	if (!err)
		err = tpm_manufacture(h->tpm);
	if (!err)
		err = tpm_power_on(h->tpm);
	return err;
}

void tpm_host_fini(struct tpm_host *h)
{
	tpm_destroy(h->tpm);
	h->tpm = NULL;
}

uint32_t tpm_host_cmd(struct tpm_host *h, const uint8_t *cmd, size_t len)
{
	if (tpm_process(h->tpm, cmd, len, 0, h->rsp, sizeof(h->rsp), &h->rsp_len) != HUSK_OK)
		return 0xffffffffu;
	if (h->rsp_len < 10)
		return 0xfffffffeu;
	return tpm_be32(h->rsp + 6);
}

uint32_t tpm_host_call(struct tpm_host *h, uint32_t cc, const uint32_t *handles, unsigned nhandles,
		       bool pw_session, const char *password, const uint8_t *params, size_t plen)
{
	uint8_t cmd[TPM_BUFFER_MAX];
	size_t n = cmd_build(cmd, sizeof(cmd), cc, handles, nhandles, &password, pw_session ? 1 : 0, params,
			     plen);

	return n ? tpm_host_cmd(h, cmd, n) : 0xffffffffu;
}

uint32_t tpm_host_startup(struct tpm_host *h, uint16_t type)
{
	uint8_t p[2];

	tpm_put_be16(p, type);
	return tpm_host_call(h, TPM_CC_Startup, NULL, 0, false, NULL, p, 2);
}
