/* Hosted environment for husk's TPM engine; see tpm_host.h. */
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "crypto/crypto.h"
#include "husk/err.h"
#include "tpm/tpm_defs.h"
#include "tpm_host.h"

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
	return ((uint32_t)h->rsp[6] << 24) | ((uint32_t)h->rsp[7] << 16) | ((uint32_t)h->rsp[8] << 8) |
	       h->rsp[9];
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

uint32_t tpm_host_call(struct tpm_host *h, uint32_t cc, const uint32_t *handles, unsigned nhandles,
		       bool pw_session, const char *password, const uint8_t *params, size_t plen)
{
	uint8_t cmd[TPM_BUFFER_MAX];
	size_t n = 10;

	for (unsigned i = 0; i < nhandles; i++, n += 4)
		put32(cmd + n, handles[i]);
	if (pw_session) {
		size_t pwlen = password ? strlen(password) : 0;

		put32(cmd + n, (uint32_t)(9 + pwlen));
		n += 4;
		put32(cmd + n, TPM_RS_PW);
		n += 4;
		put16(cmd + n, 0);
		n += 2;
		cmd[n++] = 0x01; /* continueSession */
		put16(cmd + n, (uint16_t)pwlen);
		n += 2;
		if (pwlen)
			memcpy(cmd + n, password, pwlen);
		n += pwlen;
	}
	if (n + plen > sizeof(cmd))
		return 0xffffffffu;
	if (plen)
		memcpy(cmd + n, params, plen);
	n += plen;
	put16(cmd, pw_session ? TPM_ST_SESSIONS : TPM_ST_NO_SESSIONS);
	put32(cmd + 2, (uint32_t)n);
	put32(cmd + 6, cc);
	return tpm_host_cmd(h, cmd, n);
}

uint32_t tpm_host_startup(struct tpm_host *h, uint16_t type)
{
	uint8_t p[2];

	put16(p, type);
	return tpm_host_call(h, TPM_CC_Startup, NULL, 0, false, NULL, p, 2);
}
