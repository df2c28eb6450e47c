/* The fixture of husk's TPM unit tests that compare with libtpms; see
 * tpm_fixture.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "libtpms_ref.h"
#include "tpm_fixture.h"

struct tpm_host host;
struct tgt husk, ref;
struct tgt *const fx_tgt[2] = { &husk, &ref };

/* ---- the fixture ---- */

/* husk allocates SHA-1, SHA-256 and SHA-384 when manufactured, libtpms all
 * four banks: take SHA-512 out of libtpms so that both start alike. */
static int ref_husk_banks(void)
{
	static const uint8_t no_sha512[] = { 0, 0, 0, 1, 0, 0x0d, 3, 0, 0, 0 };
	const uint32_t platform = TPM_RH_PLATFORM;
	uint8_t cmd[64];
	size_t n = cmd_build(cmd, sizeof(cmd), TPM_CC_PCR_Allocate, &platform, 1, NULL, 1, no_sha512,
			     sizeof(no_sha512));

	if (!n || tgt_send(&ref, cmd, n) || tgt_reboot(&ref, -1, TPM_SU_CLEAR))
		return -1;
	return 0;
}

int fx_setup(uint64_t seed, unsigned flags)
{
	if (tpm_host_init(&host, seed))
		return -1;
	if (flags & FX_FAKE_CLOCK) {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		host.fake_ms = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
		host.use_fake_clock = true;
	}
	memset(&husk, 0, sizeof(husk));
	husk.h = &host;
	memset(&ref, 0, sizeof(ref));
	ref.ref = true;
	if (ref_open() || ref_manufacture())
		return -1;
	if (tgt_startup(&husk, TPM_SU_CLEAR) || tgt_startup(&ref, TPM_SU_CLEAR))
		return -1;
	return (flags & FX_HUSK_BANKS) ? ref_husk_banks() : 0;
}

int fx_teardown(void **state)
{
	(void)state;
	tpm_host_fini(&host);
	ref_close();
	return 0;
}

/* ---- targets ---- */

uint32_t tgt_send(struct tgt *t, const uint8_t *cmd, size_t len)
{
	uint32_t rc;

	if (t->ref)
		return ref_send(cmd, len, t->rsp, sizeof(t->rsp), &t->rsp_len);
	rc = tpm_host_cmd(t->h, cmd, len);
	memcpy(t->rsp, t->h->rsp, t->h->rsp_len);
	t->rsp_len = t->h->rsp_len;
	return rc;
}

/* An NV index's Name on t (name->size 0 if it has none). */
static void nv_name(struct tgt *t, uint32_t index, struct tpm2b_name *name)
{
	static struct tgt tmp; /* keeps t->rsp of the caller untouched */

	tmp = *t;
	if (tgt_nv_public(&tmp, index, NULL, NULL, name->b, &name->size))
		name->size = 0;
}

uint32_t cmd_send(const struct cmd *c, struct tgt *t)
{
	uint8_t buf[TPM_BUFFER_MAX];
	struct tpm2b_name names[CMD_MAX_HANDLES];
	bool policy = false;
	size_t n;

	memset(names, 0, sizeof(names));
	for (unsigned i = 0; i < c->ns; i++)
		policy |= c->s[i].policy_hmac;
	for (unsigned k = 0; policy && k < c->nh; k++)
		if ((c->h[k] >> 24) == TPM_HT_NV_INDEX)
			nv_name(t, c->h[k], &names[k]);
	n = cmd_encode(c, NULL, names, buf, sizeof(buf));
	return n ? tgt_send(t, buf, n) : 0xffffffffu;
}

int tgt_power_cycle(struct tgt *t)
{
	if (t->ref)
		return ref_power_cycle();
	if (tpm_power_off(t->h->tpm))
		return -1;
	return tpm_power_on(t->h->tpm) ? -1 : 0;
}

uint32_t tgt_reboot(struct tgt *t, int shutdown, uint16_t startup)
{
	if (shutdown >= 0 && tgt_shutdown(t, (uint16_t)shutdown))
		return 0xfffffff0u;
	if (tgt_power_cycle(t))
		return 0xfffffff1u;
	return tgt_startup(t, startup);
}

uint32_t tgt_rsp_u32(const struct tgt *t, size_t at)
{
	return at + 4 <= t->rsp_len ? tpm_be32(t->rsp + at) : 0xffffffffu;
}

uint16_t tgt_rsp_u16(const struct tgt *t, size_t at)
{
	return at + 2 <= t->rsp_len ? tpm_be16(t->rsp + at) : 0xffffu;
}

uint32_t tgt_startup(struct tgt *t, uint16_t type)
{
	static struct cmd c;

	cmd_init(&c, TPM_CC_Startup);
	tb_u16(&c.p, type);
	return cmd_send(&c, t);
}

uint32_t tgt_shutdown(struct tgt *t, uint16_t type)
{
	static struct cmd c;

	cmd_init(&c, TPM_CC_Shutdown);
	tb_u16(&c.p, type);
	return cmd_send(&c, t);
}

uint32_t tgt_nv_define(struct tgt *t, uint32_t auth_handle, const char *hier_pw, const char *auth,
		       uint32_t index, uint16_t name_alg, uint32_t attrs, const uint8_t *policy,
		       uint16_t policy_len, uint16_t size)
{
	static struct cmd c;

	cmd_init(&c, TPM_CC_NV_DefineSpace);
	cmd_handle(&c, auth_handle);
	cmd_pw(&c, hier_pw);
	tb_2b(&c.p, auth, auth ? strlen(auth) : 0);
	tb_begin(&c.p);
	tb_u32(&c.p, index);
	tb_u16(&c.p, name_alg);
	tb_u32(&c.p, attrs);
	tb_2b(&c.p, policy, policy_len);
	tb_u16(&c.p, size);
	tb_end(&c.p);
	return cmd_send(&c, t);
}

uint32_t tgt_nv_public(struct tgt *t, uint32_t index, uint32_t *attrs, uint16_t *size,
		       uint8_t *name, uint16_t *name_len)
{
	static struct cmd c;
	uint32_t rc;
	size_t at;
	uint16_t psize;

	cmd_init(&c, TPM_CC_NV_ReadPublic);
	cmd_handle(&c, index);
	rc = cmd_send(&c, t);
	if (rc)
		return rc;
	/* TPM2B_NV_PUBLIC { index, nameAlg, attributes, authPolicy, dataSize } */
	psize = tgt_rsp_u16(t, 10);
	at = 12 + 4 + 2;
	if (attrs)
		*attrs = tgt_rsp_u32(t, at);
	at += 4;
	at += 2 + tgt_rsp_u16(t, at);
	if (size)
		*size = tgt_rsp_u16(t, at);
	at = 12 + psize;
	if (name && name_len) {
		*name_len = tgt_rsp_u16(t, at);
		if (at + 2 + *name_len > t->rsp_len || *name_len > TPM_MAX_NAME)
			return 0xfffffffdu;
		memcpy(name, t->rsp + at + 2, *name_len);
	}
	return 0;
}

uint32_t tgt_nv_write(struct tgt *t, uint32_t auth_handle, uint32_t index, const char *pw,
		      const void *data, uint16_t len, uint16_t offset)
{
	static struct cmd c;

	cmd_init(&c, TPM_CC_NV_Write);
	cmd_handle(&c, auth_handle);
	cmd_handle(&c, index);
	cmd_pw(&c, pw);
	tb_2b(&c.p, data, len);
	tb_u16(&c.p, offset);
	return cmd_send(&c, t);
}

uint32_t tgt_nv_read(struct tgt *t, uint32_t auth_handle, uint32_t index, const char *pw, void *out,
		     uint16_t len, uint16_t offset)
{
	static struct cmd c;
	uint32_t rc;

	cmd_init(&c, TPM_CC_NV_Read);
	cmd_handle(&c, auth_handle);
	cmd_handle(&c, index);
	cmd_pw(&c, pw);
	tb_u16(&c.p, len);
	tb_u16(&c.p, offset);
	rc = cmd_send(&c, t);
	if (rc)
		return rc;
	/* parameterSize, TPM2B data */
	if (tgt_rsp_u16(t, 14) != len || 16u + len > t->rsp_len)
		return 0xfffffffdu;
	if (out)
		memcpy(out, t->rsp + 16, len);
	return 0;
}

uint32_t tgt_policy_session(struct tgt *t, uint32_t *handle, uint8_t *nonce_tpm, uint16_t *nonce_len)
{
	static const uint8_t nonce[16] = { 0xa5 };
	static struct cmd c;
	uint32_t rc;

	cmd_init(&c, TPM_CC_StartAuthSession);
	cmd_handle(&c, TPM_RH_NULL);
	cmd_handle(&c, TPM_RH_NULL);
	tb_2b(&c.p, nonce, sizeof(nonce));
	tb_2b(&c.p, NULL, 0);
	tb_u8(&c.p, TPM_SE_POLICY);
	tb_u16(&c.p, TPM_ALG_NULL);
	tb_u16(&c.p, TPM_ALG_SHA256);
	rc = cmd_send(&c, t);
	if (rc)
		return rc;
	*handle = tgt_rsp_u32(t, 10);
	*nonce_len = tgt_rsp_u16(t, 14);
	if (*nonce_len > 64 || 16u + *nonce_len > t->rsp_len)
		return 0xfffffffdu;
	memcpy(nonce_tpm, t->rsp + 16, *nonce_len);
	return 0;
}

uint32_t tgt_property(struct tgt *t, uint32_t prop)
{
	static struct cmd c;

	cmd_init(&c, TPM_CC_GetCapability);
	tb_u32(&c.p, TPM_CAP_TPM_PROPERTIES);
	tb_u32(&c.p, prop);
	tb_u32(&c.p, 1);
	if (cmd_send(&c, t))
		return 0xffffffffu;
	/* moreData, capability, count, { property, value } */
	if (tgt_rsp_u32(t, 15) != 1 || tgt_rsp_u32(t, 19) != prop)
		return 0xffffffffu;
	return tgt_rsp_u32(t, 23);
}

/* ---- husk and libtpms ---- */

size_t fx_build(uint8_t *cmd, uint32_t cc, const uint32_t *handles, unsigned nh, const char *const *pws,
		unsigned npw, const struct tb *p)
{
	size_t n;

	assert_false(p && p->overflow);
	n = cmd_build(cmd, TPM_BUFFER_MAX, cc, handles, nh, pws, npw, p ? p->b : NULL, p ? p->n : 0);
	assert_true(n > 0);
	return n;
}

uint32_t fx_call(struct tgt *t, uint32_t cc, const uint32_t *handles, unsigned nh, const char *const *pws,
		 unsigned npw, const struct tb *p)
{
	uint8_t cmd[TPM_BUFFER_MAX];
	size_t n = fx_build(cmd, cc, handles, nh, pws, npw, p);

	return tgt_send(t, cmd, n);
}

void fx_both_raw(const uint8_t *cmd, size_t n, uint32_t rc)
{
	uint32_t h = tpm_host_cmd(&host, cmd, n), r = tgt_send(&ref, cmd, n);

	if (h != rc || r != rc)
		print_error("cc %08x: husk %03x libtpms %03x want %03x\n", tpm_be32(cmd + 6), h, r, rc);
	assert_int_equal(h, rc);
	assert_int_equal(r, rc);
}

void fx_same_response(void)
{
	assert_int_equal(host.rsp_len, ref.rsp_len);
	assert_memory_equal(host.rsp, ref.rsp, host.rsp_len);
}

/* ---- scenarios ---- */

static struct fx_log log_husk, log_ref;

uint32_t fx_step(struct fx_log *l, struct tgt *t, const char *what, uint32_t rc, uint32_t want, bool keep_out,
		 int line)
{
	unsigned i = l->n;

	if (i >= FX_LOG_STEPS) {
		l->failures++;
		return rc;
	}
	l->n++;
	l->rc[i] = rc;
	l->line[i] = line;
	l->what[i] = what;
	if (keep_out && rc == 0 && t->rsp_len > 10) {
		size_t n = t->rsp_len - 10 < sizeof(l->out[i]) ? t->rsp_len - 10 : sizeof(l->out[i]);

		memcpy(l->out[i], t->rsp + 10, n);
		l->outlen[i] = (uint16_t)n;
	}
	if (want != FX_ANY && rc != want) {
		printf("# %s line %d: %s = 0x%03x, expected 0x%03x\n", t->ref ? "libtpms" : "husk", line,
		       what, rc, want);
		l->failures++;
	}
	return rc;
}

void fx_run_both(fx_scenario fn)
{
	unsigned diffs = 0;

	memset(&log_husk, 0, sizeof(log_husk));
	memset(&log_ref, 0, sizeof(log_ref));
	fn(&husk, &log_husk);
	fn(&ref, &log_ref);
	assert_int_equal(log_husk.n, log_ref.n);
	for (unsigned i = 0; i < log_husk.n; i++) {
		if (log_husk.rc[i] != log_ref.rc[i]) {
			printf("# line %d: %s: husk 0x%03x, libtpms 0x%03x\n", log_husk.line[i],
			       log_husk.what[i], log_husk.rc[i], log_ref.rc[i]);
			diffs++;
		} else if (log_husk.outlen[i] != log_ref.outlen[i] ||
			   memcmp(log_husk.out[i], log_ref.out[i], log_husk.outlen[i])) {
			printf("# line %d: %s: responses differ\n", log_husk.line[i], log_husk.what[i]);
			diffs++;
		}
	}
	assert_int_equal(log_husk.failures, 0);
	assert_int_equal(log_ref.failures, 0);
	assert_int_equal(diffs, 0);
}

/* ---- keys and LoadExternal parameters ---- */

const mbedtls_md_info_t *fx_md(uint16_t alg)
{
	switch (alg) {
	case TPM_ALG_SHA1: return mbedtls_md_info_from_type(MBEDTLS_MD_SHA1);
	case TPM_ALG_SHA256: return mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
	case TPM_ALG_SHA384: return mbedtls_md_info_from_type(MBEDTLS_MD_SHA384);
	case TPM_ALG_SHA512: return mbedtls_md_info_from_type(MBEDTLS_MD_SHA512);
	default: return NULL;
	}
}

size_t fx_hex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = strlen(hex) / 2;

	assert_true(n <= cap);
	for (size_t i = 0; i < n; i++) {
		unsigned v;

		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
	return n;
}

void fx_sensitive(struct tb *p, uint16_t type, const char *auth, const void *seed, size_t seed_len,
		  const void *secret, size_t secret_len)
{
	tb_begin(p);
	tb_u16(p, type);
	tb_2b(p, auth, strlen(auth));
	tb_2b(p, seed, seed_len);
	tb_2b(p, secret, secret_len);
	tb_end(p);
}

/* H_sha256(seedValue || key): the unique field of symmetric objects. */
static void sym_unique(const void *seed, size_t seed_len, const void *key, size_t klen, uint8_t out[32])
{
	uint8_t buf[64 + TPM_MAX_SYM_DATA];

	assert_true(seed_len + klen <= sizeof(buf));
	memcpy(buf, seed, seed_len);
	memcpy(buf + seed_len, key, klen);
	assert_int_equal(mbedtls_md(fx_md(TPM_ALG_SHA256), buf, seed_len + klen, out), 0);
}

/* LoadExternal's inPrivate: the sensitive area, or none if secret is NULL. */
static void load_private(struct tb *p, uint16_t type, const void *seed, size_t seed_len, const void *secret,
			 size_t secret_len)
{
	tb_reset(p);
	if (secret)
		fx_sensitive(p, type, "", seed, seed_len, secret, secret_len);
	else
		tb_u16(p, 0);
}

/* The start of a TPM2B_PUBLIC (tb_end closes it): type, nameAlg SHA-256,
 * attributes and an empty authPolicy. */
static void public_begin(struct tb *p, uint16_t type, uint32_t attrs)
{
	tb_begin(p);
	tb_u16(p, type);
	tb_u16(p, TPM_ALG_SHA256);
	tb_u32(p, attrs);
	tb_2b(p, "", 0);
}

void fx_keyedhash(struct tb *p, const void *key, size_t klen, uint32_t attrs, uint16_t scheme, uint16_t hash,
		  uint32_t hier, bool with_private)
{
	static const uint8_t seed[32] = { 'S' };
	uint8_t unique[32];

	sym_unique(seed, sizeof(seed), key, klen, unique);
	load_private(p, TPM_ALG_KEYEDHASH, seed, sizeof(seed), with_private ? key : NULL, klen);
	public_begin(p, TPM_ALG_KEYEDHASH, attrs);
	tb_u16(p, scheme);
	if (scheme != TPM_ALG_NULL)
		tb_u16(p, hash);
	if (scheme == TPM_ALG_XOR)
		tb_u16(p, TPM_ALG_KDF1_SP800_108);
	tb_2b(p, unique, sizeof(unique));
	tb_end(p);
	tb_u32(p, hier);
}

void fx_symcipher(struct tb *p, const void *key, size_t klen, uint32_t attrs, uint16_t mode)
{
	static const uint8_t seed[32] = { 'T' };
	uint8_t unique[32];

	sym_unique(seed, sizeof(seed), key, klen, unique);
	load_private(p, TPM_ALG_SYMCIPHER, seed, sizeof(seed), key, klen);
	public_begin(p, TPM_ALG_SYMCIPHER, attrs);
	tb_u16(p, TPM_ALG_AES);
	tb_u16(p, (uint16_t)(klen * 8));
	tb_u16(p, mode);
	tb_2b(p, unique, sizeof(unique));
	tb_end(p);
	tb_u32(p, TPM_RH_NULL);
}

void fx_ecc(struct tb *p, uint16_t curve, const uint8_t *d, const uint8_t *x, const uint8_t *y, size_t bytes,
	    uint32_t attrs, uint16_t scheme, uint16_t hash, uint32_t hier)
{
	load_private(p, TPM_ALG_ECC, "", 0, d, bytes);
	public_begin(p, TPM_ALG_ECC, attrs);
	tb_u16(p, TPM_ALG_NULL); /* symmetric */
	tb_u16(p, scheme);
	if (scheme != TPM_ALG_NULL)
		tb_u16(p, hash);
	tb_u16(p, curve);
	tb_u16(p, TPM_ALG_NULL); /* kdf */
	tb_2b(p, x, bytes);
	tb_2b(p, y, bytes);
	tb_end(p);
	tb_u32(p, hier);
}

void fx_rsa(struct tb *p, const uint8_t *n, size_t nlen, const uint8_t *prime, uint32_t attrs,
	    uint16_t scheme, uint16_t hash, uint32_t hier)
{
	load_private(p, TPM_ALG_RSA, "", 0, prime, nlen / 2);
	public_begin(p, TPM_ALG_RSA, attrs);
	tb_u16(p, TPM_ALG_NULL); /* symmetric */
	tb_u16(p, scheme);
	if (scheme != TPM_ALG_NULL && scheme != TPM_ALG_RSAES)
		tb_u16(p, hash);
	tb_u16(p, (uint16_t)(nlen * 8));
	tb_u32(p, 0);
	tb_2b(p, n, nlen);
	tb_end(p);
	tb_u32(p, hier);
}

uint32_t fx_inject(struct tpm *t, const uint8_t *params, size_t plen)
{
	struct tpm_object *o = tpm_object_alloc(t);
	struct tpm_r r;
	uint16_t ssize;
	uint32_t hier;

	assert_non_null(o);
	tpm_r_init(&r, params, plen);
	assert_int_equal(tpm_r_u16(&r, &ssize), 0);
	if (ssize) {
		assert_int_equal(tpm_r_sensitive(&r, &o->sens), 0);
		o->has_sensitive = true;
	}
	assert_int_equal(tpm_r_2b_public(&r, &o->pub, false), 0);
	assert_int_equal(tpm_r_u32(&r, &hier), 0);
	o->kind = TPM_OBJ_KEY;
	o->external = true;
	o->hierarchy = hier;
	assert_int_equal(tpm_object_compute_name(&o->pub, &o->name), 0);
	return o->handle;
}
