/* Both engines behind one interface; see engine.h. */
#include <stdio.h>
#include <string.h>

#include "../../tests/common/tpm_host.h"
#include "engine.h"
#include "husk/err.h"
#include "ref_libtpms.h"
#include "tpm/tpm_internal.h"

static struct tpm_host husk;
static uint8_t *husk_base; /* NV state right after manufacture */
static size_t husk_base_len;
static bool husk_open, ref_open_done;

const char *eng_name(int e)
{
	return e == ENG_HUSK ? "husk" : "libtpms";
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static uint32_t rsp_parse(struct eng_rsp *r)
{
	if (r->len < 10 || r->len > sizeof(r->b) ||
	    (((uint32_t)r->b[2] << 24) | ((uint32_t)r->b[3] << 16) | ((uint32_t)r->b[4] << 8) | r->b[5]) !=
		    r->len) {
		r->tag = 0;
		return r->rc = ENG_BROKEN;
	}
	r->tag = (uint16_t)(r->b[0] << 8 | r->b[1]);
	r->rc = ((uint32_t)r->b[6] << 24) | ((uint32_t)r->b[7] << 16) | ((uint32_t)r->b[8] << 8) | r->b[9];
	return r->rc;
}

uint32_t eng_send(int e, const uint8_t *cmd, size_t len, struct eng_rsp *r)
{
	/* TPM_RC_RETRY, _YIELDED and _TESTING ask the caller to send the
	 * command again, and a TSS does.  libtpms answers TPM_RC_RETRY to the
	 * first use of a DA-protected entity after Startup (while it records
	 * that DA is in use). */
	for (int attempt = 0; attempt < 4; attempt++) {
		int err;

		r->len = 0;
		if (e == ENG_HUSK)
			err = tpm_process(husk.tpm, cmd, len, 0, r->b, sizeof(r->b), &r->len);
		else
			err = ref_process(cmd, len, r->b, sizeof(r->b), &r->len);
		if (err) {
			r->tag = 0;
			return r->rc = ENG_BROKEN;
		}
		if (rsp_parse(r) != TPM_RC_RETRY && r->rc != TPM_RC_YIELDED && r->rc != TPM_RC_TESTING)
			break;
	}
	return r->rc;
}

/* A command with a password session for handle h (empty password). */
static uint32_t send_pw(int e, uint32_t cc, uint32_t h, const uint8_t *params, size_t plen)
{
	uint8_t c[256];
	size_t n = 10;
	struct eng_rsp r;

	put32(c + n, h);
	n += 4;
	put32(c + n, 9);
	put32(c + n + 4, TPM_RS_PW);
	put16(c + n + 8, 0);
	c[n + 10] = 1;
	put16(c + n + 11, 0);
	n += 13;
	memcpy(c + n, params, plen);
	n += plen;
	put16(c, TPM_ST_SESSIONS);
	put32(c + 2, (uint32_t)n);
	put32(c + 6, cc);
	return eng_send(e, c, n, &r);
}

static uint32_t send_plain(int e, uint32_t cc, const uint8_t *params, size_t plen)
{
	uint8_t c[64];
	struct eng_rsp r;

	put16(c, TPM_ST_NO_SESSIONS);
	put32(c + 2, (uint32_t)(10 + plen));
	put32(c + 6, cc);
	memcpy(c + 10, params, plen);
	return eng_send(e, c, 10 + plen, &r);
}

/* libtpms allocates a SHA-512 bank and allows 3 DA failures by default;
 * husk has SHA-1/256/384 and 32 (docs/tpm.md).  Configuration, not
 * behaviour: align it so that what remains is a real difference.  Costs
 * one TPM Reset, so libtpms's resetCount starts at 1. */
static int ref_align(void)
{
	static const uint8_t su_clear[2] = { 0, 0 };
	static const uint8_t alloc[] = {
		0, 0, 0, 4,
		0, 0x04, 3, 0xff, 0xff, 0xff, /* SHA-1 */
		0, 0x0b, 3, 0xff, 0xff, 0xff, /* SHA-256 */
		0, 0x0c, 3, 0xff, 0xff, 0xff, /* SHA-384 */
		0, 0x0d, 3, 0, 0, 0,          /* SHA-512: none */
	};
	uint8_t da[12];

	put32(da, TPM_DA_DEFAULT_MAX_TRIES);
	put32(da + 4, TPM_DA_DEFAULT_RECOVERY);
	put32(da + 8, TPM_DA_DEFAULT_LOCKOUT_REC);
	if (send_plain(ENG_REF, TPM_CC_Startup, su_clear, 2) ||
	    send_pw(ENG_REF, TPM_CC_PCR_Allocate, TPM_RH_PLATFORM, alloc, sizeof(alloc)) ||
	    send_pw(ENG_REF, TPM_CC_DictionaryAttackParameters, TPM_RH_LOCKOUT, da, sizeof(da)) ||
	    send_plain(ENG_REF, TPM_CC_Shutdown, su_clear, 2))
		return -1;
	return 0;
}

int eng_open(const struct eng_opts *o)
{
	int err = tpm_host_init(&husk, o->deterministic ? 0x4855534b44494646ull : 0);

	if (err) {
		fprintf(stderr, "husk engine: %s\n", husk_strerror(err));
		return -1;
	}
	husk.use_fake_clock = o->deterministic;
	husk_open = true;
	if (tpm_power_off(husk.tpm) || tpm_state_save(husk.tpm, &husk_base, &husk_base_len)) {
		/* No state blob (yet): eng_fresh manufactures instead. */
		husk_base = NULL;
	}
	if (tpm_power_on(husk.tpm))
		return -1;
	if (ref_open() || ref_manufacture()) {
		fprintf(stderr, "libtpms: cannot initialize\n");
		return -1;
	}
	ref_open_done = true;
	if (o->align && ref_align()) {
		fprintf(stderr, "libtpms: cannot align its configuration with husk's\n");
		return -1;
	}
	if (ref_snapshot())
		return -1;
	return 0;
}

void eng_close(void)
{
	if (husk_open) {
		if (husk_base)
			tpm_state_free(husk.tpm, husk_base, husk_base_len);
		tpm_host_fini(&husk);
	}
	if (ref_open_done)
		ref_close();
	husk_open = ref_open_done = false;
}

int eng_fresh(int e)
{
	if (e == ENG_REF)
		return ref_restore();
	tpm_power_off(husk.tpm); /* fails only when already off */
	if (husk_base) {
		if (tpm_state_load(husk.tpm, husk_base, husk_base_len))
			return -1;
	} else if (tpm_manufacture(husk.tpm)) {
		return -1;
	}
	return tpm_power_on(husk.tpm) ? -1 : 0;
}

int eng_power_cycle(int e)
{
	if (e == ENG_REF)
		return ref_power_cycle();
	tpm_power_off(husk.tpm);
	return tpm_power_on(husk.tpm) ? -1 : 0;
}

size_t eng_husk_memory(void)
{
	return tpm_memory_used(husk.tpm);
}

size_t eng_nv_size(int e)
{
	uint8_t *blob;
	size_t len;

	if (e == ENG_REF)
		return ref_nv_size();
	if (tpm_state_save(husk.tpm, &blob, &len))
		return 0;
	tpm_state_free(husk.tpm, blob, len);
	return len;
}

const char *eng_ref_version(void)
{
	return ref_version();
}
