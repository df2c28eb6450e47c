/* Both engines behind one interface; see engine.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../tests/common/libtpms_ref.h"
#include "../../tests/common/tpm_host.h"
#include "engine.h"
#include "husk/err.h"
#include "tpm/tpm_internal.h"

static struct tpm_host husk;
static uint8_t *husk_base; /* NV state right after manufacture */
static size_t husk_base_len;
static uint8_t *ref_base;  /* libtpms's, after manufacture (and alignment) */
static size_t ref_base_len;
static bool husk_open, ref_open_done;

const char *eng_name(int e)
{
	return e == ENG_HUSK ? "husk" : "libtpms";
}

static uint32_t rsp_parse(struct eng_rsp *r)
{
	if (r->len < 10 || r->len > sizeof(r->b) || tpm_be32(r->b + 2) != r->len) {
		r->tag = 0;
		return r->rc = ENG_BROKEN;
	}
	r->tag = tpm_be16(r->b);
	r->rc = tpm_be32(r->b + 6);
	return r->rc;
}

uint32_t eng_send(int e, const uint8_t *cmd, size_t len, struct eng_rsp *r)
{
	r->len = 0;
	/* libtpms_ref resends as a TSS does (TPM_RC_RETRY, _YIELDED and
	 * _TESTING); husk's engine never answers those. */
	if (e == ENG_REF)
		ref_send(cmd, len, r->b, sizeof(r->b), &r->len);
	else if (tpm_process(husk.tpm, cmd, len, 0, r->b, sizeof(r->b), &r->len))
		r->len = 0;
	return rsp_parse(r);
}

uint32_t eng_send_cmd(int e, const struct cmd *c, const uint32_t *symtab, struct eng_rsp *r)
{
	uint8_t buf[TPM_BUFFER_MAX];
	size_t n = cmd_encode(c, symtab, NULL, buf, sizeof(buf));

	if (!n) {
		r->tag = 0;
		return r->rc = ENG_BROKEN;
	}
	return eng_send(e, buf, n, r);
}

uint32_t eng_flush(int e, uint32_t h)
{
	uint8_t c[16], p[4];
	struct eng_rsp r;

	if (!h)
		return 0;
	tpm_put_be32(p, h);
	return eng_send(e, c, cmd_build(c, sizeof(c), TPM_CC_FlushContext, NULL, 0, NULL, 0, p, 4), &r);
}

/* A command to libtpms, with a password session (empty password) for
 * auth_handle unless it is 0. */
static uint32_t ref_call(uint32_t cc, uint32_t auth_handle, const uint8_t *params, size_t plen)
{
	unsigned n_auth = auth_handle ? 1 : 0;
	uint8_t c[256];
	size_t n = cmd_build(c, sizeof(c), cc, &auth_handle, n_auth, NULL, n_auth, params, plen);
	struct eng_rsp r;

	return n ? eng_send(ENG_REF, c, n, &r) : ENG_BROKEN;
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

	tpm_put_be32(da, TPM_DA_DEFAULT_MAX_TRIES);
	tpm_put_be32(da + 4, TPM_DA_DEFAULT_RECOVERY);
	tpm_put_be32(da + 8, TPM_DA_DEFAULT_LOCKOUT_REC);
	if (ref_call(TPM_CC_Startup, 0, su_clear, 2) ||
	    ref_call(TPM_CC_PCR_Allocate, TPM_RH_PLATFORM, alloc, sizeof(alloc)) ||
	    ref_call(TPM_CC_DictionaryAttackParameters, TPM_RH_LOCKOUT, da, sizeof(da)) ||
	    ref_call(TPM_CC_Shutdown, 0, su_clear, 2))
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
	return ref_nv_get(&ref_base, &ref_base_len);
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
	free(ref_base);
	ref_base = NULL;
	husk_open = ref_open_done = false;
}

int eng_fresh(int e)
{
	if (e == ENG_REF) {
		ref_power_off();
		return ref_nv_set(ref_base, ref_base_len) ? -1 : ref_power_on();
	}
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

	if (e == ENG_REF) {
		if (ref_nv_get(&blob, &len))
			return 0;
		free(blob);
		return len;
	}
	if (tpm_state_save(husk.tpm, &blob, &len))
		return 0;
	tpm_state_free(husk.tpm, blob, len);
	return len;
}

const char *eng_ref_version(void)
{
	return ref_version();
}
