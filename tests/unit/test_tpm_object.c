/* Unit tests of the TPM engine's objects and keys (tpm_keys.c,
 * tpm_protect.c, tpm_create.c, tpm_context.c): primary key derivation,
 * Create/Load/CreateLoaded/LoadExternal, the protection of private areas,
 * context save/load of objects, sequences and sessions, EvictControl,
 * ObjectChangeAuth, Unseal, and sign/verify.  Response codes of the error
 * paths are checked against libtpms (in process) wherever both TPMs can be
 * driven the same way; signatures made by husk are verified by libtpms. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "../common/tpm_fixture.h"
#include "husk/err.h"
#include "mbedtls/md.h"
#include "tpm/tpm_keys.h"

#define RC_P(rc, n) ((rc) | TPM_RC_P | ((uint32_t)(n) << 8))
#define RC_H(rc, n) ((rc) | TPM_RC_H | ((uint32_t)(n) << 8))
#define RC_S(rc, n) ((rc) | TPM_RC_S | ((uint32_t)(n) << 8))

#define A_FIXEDTPM  TPMA_OBJECT_FIXEDTPM
#define A_FIXEDPAR  TPMA_OBJECT_FIXEDPARENT
#define A_SDO       TPMA_OBJECT_SENSITIVEDATAORIGIN
#define A_USER      TPMA_OBJECT_USERWITHAUTH
#define A_NODA      TPMA_OBJECT_NODA
#define A_RESTR     TPMA_OBJECT_RESTRICTED
#define A_DECRYPT   TPMA_OBJECT_DECRYPT
#define A_SIGN      TPMA_OBJECT_SIGN_ENCRYPT
#define A_BASE      (A_FIXEDTPM | A_FIXEDPAR | A_SDO | A_USER | A_NODA)
#define A_STORAGE   (A_BASE | A_RESTR | A_DECRYPT)
#define A_SIGNING   (A_BASE | A_SIGN)
#define A_SEALED    (A_FIXEDTPM | A_FIXEDPAR | A_USER | A_NODA)

#define OWNER TPM_RH_OWNER

static int setup(void **state)
{
	(void)state;
	return fx_setup(0x6f626a656374ull, 0);
}

/* ---- commands ---- */

/* A command with npw password sessions, all with password pw. */
static size_t build(uint8_t *cmd, uint32_t cc, const uint32_t *handles, unsigned nh, unsigned npw,
		    const char *pw, const struct tb *p)
{
	const char *pws[3] = { pw, pw, pw };

	return fx_build(cmd, cc, handles, nh, pws, npw, p);
}

static uint32_t hcall(uint32_t cc, const uint32_t *handles, unsigned nh, unsigned npw, const char *pw,
		      const struct tb *p)
{
	uint8_t cmd[TPM_BUFFER_MAX];
	size_t n = build(cmd, cc, handles, nh, npw, pw, p);

	return tpm_host_cmd(&host, cmd, n);
}

static uint32_t rcall(uint32_t cc, const uint32_t *handles, unsigned nh, unsigned npw, const char *pw,
		      const struct tb *p)
{
	uint8_t cmd[TPM_BUFFER_MAX];
	size_t n = build(cmd, cc, handles, nh, npw, pw, p);

	return tgt_send(&ref, cmd, n);
}

/* The same command on both TPMs; both must answer rc. */
static void both(uint32_t cc, const uint32_t *handles, unsigned nh, unsigned npw, const struct tb *p, uint32_t rc)
{
	uint32_t h = hcall(cc, handles, nh, npw, "", p), r = rcall(cc, handles, nh, npw, "", p);

	if (h != rc || r != rc)
		print_error("cc %03x: husk %03x libtpms %03x want %03x\n", cc, h, r, rc);
	assert_int_equal(h, rc);
	assert_int_equal(r, rc);
}

static void flush_both(uint32_t h)
{
	struct tb p;

	tb_reset(&p);
	tb_u32(&p, h);
	both(TPM_CC_FlushContext, NULL, 0, 0, &p, TPM_RC_SUCCESS);
}

static void hflush(uint32_t h)
{
	struct tb p;

	tb_reset(&p);
	tb_u32(&p, h);
	assert_int_equal(hcall(TPM_CC_FlushContext, NULL, 0, 0, "", &p), TPM_RC_SUCCESS);
}

/* ---- templates ---- */

static void tmpl_ecc(struct tpm_public *p, uint32_t attrs, uint16_t scheme, uint16_t hash)
{
	memset(p, 0, sizeof(*p));
	p->type = TPM_ALG_ECC;
	p->name_alg = TPM_ALG_SHA256;
	p->attributes = attrs;
	p->symmetric.alg = TPM_ALG_NULL;
	if ((attrs & A_RESTR) && (attrs & A_DECRYPT))
		p->symmetric = (struct tpm_sym_def){ TPM_ALG_AES, 128, TPM_ALG_CFB };
	p->scheme.alg = scheme;
	p->scheme.hash = hash;
	p->curve = TPM_ECC_NIST_P256;
	p->kdf.alg = TPM_ALG_NULL;
}

static void tmpl_rsa(struct tpm_public *p, uint32_t attrs, uint16_t bits, uint16_t scheme, uint16_t hash)
{
	memset(p, 0, sizeof(*p));
	p->type = TPM_ALG_RSA;
	p->name_alg = TPM_ALG_SHA256;
	p->attributes = attrs;
	p->symmetric.alg = TPM_ALG_NULL;
	if ((attrs & A_RESTR) && (attrs & A_DECRYPT))
		p->symmetric = (struct tpm_sym_def){ TPM_ALG_AES, 128, TPM_ALG_CFB };
	p->scheme.alg = scheme;
	p->scheme.hash = hash;
	p->rsa_bits = bits;
}

static void tmpl_keyedhash(struct tpm_public *p, uint32_t attrs, uint16_t scheme, uint16_t hash)
{
	memset(p, 0, sizeof(*p));
	p->type = TPM_ALG_KEYEDHASH;
	p->name_alg = TPM_ALG_SHA256;
	p->attributes = attrs;
	p->scheme.alg = scheme;
	p->scheme.hash = hash;
}

static void tb_public(struct tb *p, const struct tpm_public *pub)
{
	struct tpm_w w;

	tpm_w_init(&w, p->b + p->n, sizeof(p->b) - p->n);
	tpm_w_2b_public(&w, pub);
	assert_true(tpm_w_ok(&w));
	p->n += w.pos;
}

/* inSensitive, inPublic and (creation) outsideInfo, creationPCR. */
static void create_params(struct tb *p, const struct tpm_public *pub, const char *auth, const void *data,
			  size_t dlen, bool creation)
{
	tb_reset(p);
	tb_begin(p);
	tb_2b(p, auth, strlen(auth));
	tb_2b(p, data, dlen);
	tb_end(p);
	tb_public(p, pub);
	if (creation) {
		tb_2b(p, "", 0);
		tb_u32(p, 0);
	}
}

/* ---- husk helpers ---- */

static struct tpm_r rsp_reader(bool has_handle)
{
	struct tpm_r r;
	size_t at = rsp_params_at(host.rsp, has_handle);

	tpm_r_init(&r, host.rsp + at, host.rsp_len - at);
	return r;
}

static uint32_t create_primary(uint32_t hier, const struct tpm_public *tmpl, const char *auth,
			       struct tpm_public *out, struct tpm2b_name *name)
{
	struct tpm2b_digest d;
	struct tpm_ticket tk;
	struct tpm_r r;
	struct tb p;
	uint32_t h;

	create_params(&p, tmpl, auth, NULL, 0, true);
	assert_int_equal(hcall(TPM_CC_CreatePrimary, &hier, 1, 1, "", &p), TPM_RC_SUCCESS);
	h = tpm_be32(host.rsp + 10);
	r = rsp_reader(true);
	assert_int_equal(tpm_r_2b_public(&r, out, false), 0);
	{
		uint16_t n; /* creationData: checked in test_create_errors */
		const uint8_t *v;

		assert_int_equal(tpm_r_u16(&r, &n), 0);
		assert_int_equal(tpm_r_view(&r, &v, n), 0);
	}
	assert_int_equal(tpm_r_digest(&r, &d), 0);
	assert_int_equal(d.size, 32);
	assert_int_equal(tpm_r_ticket(&r, &tk, TPM_ST_CREATION, TPM_ST_CREATION), 0);
	assert_int_equal(tk.tag, TPM_ST_CREATION);
	assert_int_equal(tk.hierarchy, hier);
	assert_int_equal(tpm_r_name(&r, name), 0);
	return h;
}

/* Create under parent: *priv gets the TPM2B_PRIVATE (with its size). */
static void create_child(uint32_t parent, const struct tpm_public *tmpl, const char *auth, const void *data,
			 size_t dlen, struct tb *priv, struct tpm_public *out)
{
	struct tpm_r r;
	struct tb p;
	uint16_t n;
	const uint8_t *v;

	create_params(&p, tmpl, auth, data, dlen, true);
	assert_int_equal(hcall(TPM_CC_Create, &parent, 1, 1, "", &p), TPM_RC_SUCCESS);
	r = rsp_reader(false);
	assert_int_equal(tpm_r_u16(&r, &n), 0);
	assert_int_equal(tpm_r_view(&r, &v, n), 0);
	tb_reset(priv);
	tb_2b(priv, v, n);
	assert_int_equal(tpm_r_2b_public(&r, out, false), 0);
}

static uint32_t load_rc(uint32_t parent, const struct tb *priv, const struct tpm_public *pub)
{
	struct tb p;

	tb_reset(&p);
	tb_bytes(&p, priv->b, priv->n);
	tb_public(&p, pub);
	return hcall(TPM_CC_Load, &parent, 1, 1, "", &p);
}

static uint32_t load(uint32_t parent, const struct tb *priv, const struct tpm_public *pub)
{
	assert_int_equal(load_rc(parent, priv, pub), TPM_RC_SUCCESS);
	return tpm_be32(host.rsp + 10);
}

static void read_public(uint32_t h, struct tpm_public *pub, struct tpm2b_name *name, struct tpm2b_name *qn)
{
	struct tpm_r r;

	assert_int_equal(hcall(TPM_CC_ReadPublic, &h, 1, 0, "", NULL), TPM_RC_SUCCESS);
	r = rsp_reader(false);
	assert_int_equal(tpm_r_2b_public(&r, pub, true), 0);
	assert_int_equal(tpm_r_name(&r, name), 0);
	assert_int_equal(tpm_r_name(&r, qn), 0);
	assert_int_equal(tpm_r_left(&r), 0);
}

static void sha256(const void *a, size_t alen, const void *b, size_t blen, uint8_t out[32])
{
	mbedtls_md_context_t md;

	mbedtls_md_init(&md);
	assert_int_equal(mbedtls_md_setup(&md, fx_md(TPM_ALG_SHA256), 0), 0);
	mbedtls_md_starts(&md);
	mbedtls_md_update(&md, a, alen);
	mbedtls_md_update(&md, b, blen);
	mbedtls_md_finish(&md, out);
	mbedtls_md_free(&md);
}

/* Name = nameAlg || H(marshalled public area), computed here by hand. */
static void expect_name(const struct tpm_public *pub, const struct tpm2b_name *name)
{
	uint8_t buf[1024], d[32];
	struct tpm_w w;

	tpm_w_init(&w, buf, sizeof(buf));
	tpm_w_public(&w, pub);
	sha256(buf, w.pos, NULL, 0, d);
	assert_int_equal(name->size, 34);
	assert_int_equal(tpm_be16(name->b), TPM_ALG_SHA256);
	assert_memory_equal(name->b + 2, d, 32);
}

/* QN = nameAlg || H(parentQN || Name) */
static void expect_qn(const struct tpm2b_name *parent_qn, const struct tpm2b_name *name, const struct tpm2b_name *qn)
{
	uint8_t d[32];

	sha256(parent_qn->b, parent_qn->size, name->b, name->size, d);
	assert_int_equal(qn->size, 34);
	assert_memory_equal(qn->b + 2, d, 32);
}

static void name_eq(const struct tpm2b_name *a, const struct tpm2b_name *b)
{
	assert_int_equal(a->size, b->size);
	assert_memory_equal(a->b, b->b, a->size);
}

static struct tpm_object *obj(uint32_t h)
{
	struct tpm_object *o = tpm_object_find(host.tpm, h);

	assert_non_null(o);
	return o;
}

/* ---- primary objects ---- */

static void test_primary_ecc(void **state)
{
	struct tpm_public tmpl, a, b, c;
	struct tpm2b_name na, nb, nc, n2, qn;
	struct tpm2b_name owner_qn = { 4, { 0x40, 0, 0, 1 } };
	uint32_t h;

	(void)state;
	tmpl_ecc(&tmpl, A_STORAGE, TPM_ALG_NULL, 0);
	h = create_primary(OWNER, &tmpl, "", &a, &na);
	assert_int_equal(h, TPM_HR_TRANSIENT);
	assert_int_equal(a.ecc_x.size, 32);
	assert_int_equal(a.ecc_y.size, 32);
	expect_name(&a, &na);
	read_public(h, &b, &n2, &qn);
	name_eq(&n2, &na);
	expect_qn(&owner_qn, &na, &qn);
	hflush(h);

	/* Same seed and template: same key, even with another authValue. */
	h = create_primary(OWNER, &tmpl, "other auth", &b, &nb);
	assert_memory_equal(a.ecc_x.b, b.ecc_x.b, 32);
	assert_memory_equal(a.ecc_y.b, b.ecc_y.b, 32);
	name_eq(&na, &nb);
	hflush(h);
	/* Another hierarchy, another key. */
	h = create_primary(TPM_RH_ENDORSEMENT, &tmpl, "", &c, &nc);
	assert_memory_not_equal(a.ecc_x.b, c.ecc_x.b, 32);
	hflush(h);
	/* The unique field of the template is part of the derivation. */
	tmpl.ecc_x.size = 1;
	h = create_primary(OWNER, &tmpl, "", &c, &nc);
	assert_memory_not_equal(a.ecc_x.b, c.ecc_x.b, 32);
	hflush(h);
	tmpl.ecc_x.size = 0;

	/* The same NV state in another TPM context gives the same key (an EK
	 * survives reboots and state reloads). */
	{
		struct tpm_host other;
		uint8_t *blob;
		size_t len;

		assert_int_equal(tpm_state_save(host.tpm, &blob, &len), HUSK_OK);
		assert_int_equal(tpm_host_init(&other, 0x99), 0);
		assert_int_equal(tpm_power_off(other.tpm), 0);
		assert_int_equal(tpm_state_load(other.tpm, blob, len), HUSK_OK);
		tpm_state_free(host.tpm, blob, len);
		assert_int_equal(tpm_power_on(other.tpm), 0);
		assert_int_equal(tpm_host_startup(&other, TPM_SU_CLEAR), 0);
		{
			struct tb p;
			uint32_t hier = OWNER;
			uint8_t cmd[TPM_BUFFER_MAX];
			size_t n;
			struct tpm_r r;

			create_params(&p, &tmpl, "", NULL, 0, true);
			n = build(cmd, TPM_CC_CreatePrimary, &hier, 1, 1, "", &p);
			assert_int_equal(tpm_host_cmd(&other, cmd, n), 0);
			tpm_r_init(&r, other.rsp + 18, other.rsp_len - 18);
			assert_int_equal(tpm_r_2b_public(&r, &c, false), 0);
			assert_memory_equal(a.ecc_x.b, c.ecc_x.b, 32);
		}
		tpm_host_fini(&other);
	}
}

static void test_primary_rsa(void **state)
{
	struct tpm_public tmpl, a, b;
	struct tpm2b_name na, nb;
	uint32_t h;
	struct tb p;

	(void)state;
	tmpl_rsa(&tmpl, A_STORAGE, 2048, TPM_ALG_NULL, 0);
	h = create_primary(OWNER, &tmpl, "", &a, &na);
	assert_int_equal(a.rsa_n.size, 256);
	assert_true(a.rsa_n.b[0] & 0x80);
	expect_name(&a, &na);
	/* The seedValue of a storage key is its protection seed. */
	assert_int_equal(obj(h)->sens.seed.size, 32);
	assert_int_equal(obj(h)->sens.secret.size, 128);
	hflush(h);
	h = create_primary(OWNER, &tmpl, "", &b, &nb);
	assert_memory_equal(a.rsa_n.b, b.rsa_n.b, 256);
	name_eq(&na, &nb);
	hflush(h);

	/* libtpms computes the same Name for the same public area. */
	tb_reset(&p);
	tb_u16(&p, 0);
	tb_public(&p, &a);
	tb_u32(&p, TPM_RH_NULL);
	both(TPM_CC_LoadExternal, NULL, 0, 0, &p, TPM_RC_SUCCESS);
	{
		size_t at = rsp_params_at(ref.rsp, true);

		assert_int_equal(tpm_be16(ref.rsp + at), 34);
		assert_memory_equal(ref.rsp + at + 2, na.b, 34);
		at = rsp_params_at(host.rsp, true);
		assert_memory_equal(host.rsp + at + 2, na.b, 34);
	}
	flush_both(TPM_HR_TRANSIENT);
}

/* ---- Create / Load ---- */

static uint32_t ecc_storage_primary(void)
{
	struct tpm_public tmpl, pub;
	struct tpm2b_name name;

	tmpl_ecc(&tmpl, A_STORAGE, TPM_ALG_NULL, 0);
	return create_primary(OWNER, &tmpl, "", &pub, &name);
}

/* LoadExternal of pub (public part only) on libtpms, then
 * VerifySignature of sig over digest there. */
static void ref_verify(const struct tpm_public *pub, const uint8_t *digest, uint16_t len,
		       const struct tpm_signature *sig)
{
	struct tb p;
	struct tpm_w w;
	uint32_t h;

	tb_reset(&p);
	tb_u16(&p, 0);
	tb_public(&p, pub);
	tb_u32(&p, TPM_RH_NULL);
	assert_int_equal(rcall(TPM_CC_LoadExternal, NULL, 0, 0, "", &p), TPM_RC_SUCCESS);
	h = tpm_be32(ref.rsp + 10);
	tb_reset(&p);
	tb_2b(&p, digest, len);
	tpm_w_init(&w, p.b + p.n, sizeof(p.b) - p.n);
	tpm_w_signature(&w, sig);
	p.n += w.pos;
	assert_int_equal(rcall(TPM_CC_VerifySignature, &h, 1, 0, "", &p), TPM_RC_SUCCESS);
	tb_reset(&p);
	tb_u32(&p, h);
	assert_int_equal(rcall(TPM_CC_FlushContext, NULL, 0, 0, "", &p), TPM_RC_SUCCESS);
}

/* Signs with the loaded key h (scheme), verifies with husk, with a
 * public-only copy of the key and with libtpms; a changed digest fails. */
static void sign_round_trip(uint32_t h, uint16_t scheme, uint16_t hash)
{
	struct tpm_object *o = obj(h), *pubonly;
	struct tpm_scheme in = { scheme, hash, 0, 0 }, use;
	struct tpm_signature sig;
	uint8_t digest[TPM_MAX_DIGEST];
	uint16_t len = tpm_hash_size(hash);
	struct tb p;
	uint32_t ph;

	memset(digest, 0x5a, sizeof(digest));
	assert_int_equal(tpm_key_sign_scheme(o, &in, &use), 0);
	assert_int_equal(tpm_key_sign(host.tpm, o, &use, digest, len, &sig), 0);
	assert_int_equal(sig.alg, use.alg);
	assert_int_equal(sig.hash, use.hash);
	assert_int_equal(tpm_key_verify(host.tpm, o, digest, len, &sig), 0);

	tb_reset(&p);
	tb_u16(&p, 0);
	tb_public(&p, &o->pub);
	tb_u32(&p, TPM_RH_NULL);
	assert_int_equal(hcall(TPM_CC_LoadExternal, NULL, 0, 0, "", &p), 0);
	ph = tpm_be32(host.rsp + 10);
	pubonly = obj(ph);
	o = obj(h);
	assert_int_equal(tpm_key_verify(host.tpm, pubonly, digest, len, &sig), 0);
	assert_int_equal(tpm_key_sign(host.tpm, pubonly, &use, digest, len, &sig), TPM_RC_KEY);
	assert_int_equal(tpm_key_sign(host.tpm, o, &use, digest, len, &sig), 0);
	if (scheme != TPM_ALG_HMAC)
		ref_verify(&o->pub, digest, len, &sig);
	digest[0] ^= 1;
	assert_int_equal(tpm_key_verify(host.tpm, o, digest, len, &sig), TPM_RC_SIGNATURE);
	assert_int_equal(tpm_key_verify(host.tpm, pubonly, digest, len, &sig), TPM_RC_SIGNATURE);
	hflush(ph);
}

static void test_create_load_sign(void **state)
{
	struct tpm_public tmpl, pub, rpub;
	struct tpm2b_name name, pname, pqn, qn;
	struct tb priv;
	uint32_t parent, h;

	(void)state;
	parent = ecc_storage_primary();
	read_public(parent, &rpub, &pname, &pqn);

	/* ECDSA key with its own scheme */
	tmpl_ecc(&tmpl, A_SIGNING, TPM_ALG_ECDSA, TPM_ALG_SHA256);
	create_child(parent, &tmpl, "", NULL, 0, &priv, &pub);
	assert_int_equal(pub.ecc_x.size, 32);
	h = load(parent, &priv, &pub);
	read_public(h, &rpub, &name, &qn);
	expect_name(&pub, &name);
	expect_qn(&pqn, &name, &qn);
	assert_int_equal(obj(h)->sens.seed.size, 0); /* not a parent: no seed */
	sign_round_trip(h, TPM_ALG_NULL, TPM_ALG_SHA256);
	{
		struct tpm_scheme in = { TPM_ALG_ECDSA, TPM_ALG_SHA384, 0, 0 }, out;

		assert_int_equal(tpm_key_sign_scheme(obj(h), &in, &out), TPM_RC_SCHEME);
		in.hash = TPM_ALG_SHA256;
		assert_int_equal(tpm_key_sign_scheme(obj(h), &in, &out), 0);
	}
	hflush(h);

	/* ECC key without a scheme: the caller chooses */
	tmpl_ecc(&tmpl, A_SIGNING, TPM_ALG_NULL, 0);
	create_child(parent, &tmpl, "", NULL, 0, &priv, &pub);
	h = load(parent, &priv, &pub);
	{
		struct tpm_scheme in = { TPM_ALG_NULL, 0, 0, 0 }, out;

		assert_int_equal(tpm_key_sign_scheme(obj(h), &in, &out), TPM_RC_SCHEME);
		in = (struct tpm_scheme){ TPM_ALG_RSASSA, TPM_ALG_SHA256, 0, 0 };
		assert_int_equal(tpm_key_sign_scheme(obj(h), &in, &out), TPM_RC_SCHEME);
	}
	sign_round_trip(h, TPM_ALG_ECDSA, TPM_ALG_SHA384);
	hflush(h);

	/* RSA-1024 (fast) signing key: RSASSA and RSAPSS, including PSS with
	 * SHA-512 where the salt must shrink to fit. */
	tmpl_rsa(&tmpl, A_SIGNING, 1024, TPM_ALG_NULL, 0);
	create_child(parent, &tmpl, "", NULL, 0, &priv, &pub);
	h = load(parent, &priv, &pub);
	sign_round_trip(h, TPM_ALG_RSASSA, TPM_ALG_SHA256);
	sign_round_trip(h, TPM_ALG_RSAPSS, TPM_ALG_SHA256);
	sign_round_trip(h, TPM_ALG_RSAPSS, TPM_ALG_SHA512);
	{
		struct tpm_scheme s = { TPM_ALG_RSASSA, TPM_ALG_SHA256, 0, 0 };
		struct tpm_signature sig;
		uint8_t d[20] = { 0 };

		assert_int_equal(tpm_key_sign(host.tpm, obj(h), &s, d, 20, &sig), TPM_RC_SIZE);
	}
	hflush(h);

	/* HMAC key */
	tmpl_keyedhash(&tmpl, A_SIGNING, TPM_ALG_HMAC, TPM_ALG_SHA256);
	create_child(parent, &tmpl, "", NULL, 0, &priv, &pub);
	assert_int_equal(pub.sym_unique.size, 32);
	h = load(parent, &priv, &pub);
	assert_int_equal(obj(h)->sens.secret.size, 32);
	{
		struct tpm_object *o = obj(h);
		struct tpm_scheme s = { TPM_ALG_HMAC, TPM_ALG_SHA256, 0, 0 };
		struct tpm_signature sig;
		uint8_t d[32] = { 1 };

		assert_int_equal(tpm_key_sign(host.tpm, o, &s, d, 32, &sig), 0);
		assert_int_equal(sig.hmac.size, 32);
		assert_int_equal(tpm_key_verify(host.tpm, o, d, 32, &sig), 0);
		sig.hmac.b[5] ^= 0x80;
		assert_int_equal(tpm_key_verify(host.tpm, o, d, 32, &sig), TPM_RC_SIGNATURE);
		sig.alg = TPM_ALG_ECDSA;
		assert_int_equal(tpm_key_verify(host.tpm, o, d, 32, &sig), TPM_RC_SCHEME);
	}
	hflush(h);
	hflush(parent);
}

static void test_sealed_and_change_auth(void **state)
{
	static const char secret[] = "top secret data";
	struct tpm_public tmpl, pub, spub;
	struct tb priv, priv2, p;
	uint32_t parent, h, hs, hh[2];
	struct tpm_r r;
	uint16_t n;
	const uint8_t *v;

	(void)state;
	parent = ecc_storage_primary();
	tmpl_keyedhash(&tmpl, A_SEALED, TPM_ALG_NULL, 0);
	create_child(parent, &tmpl, "pw", secret, sizeof(secret), &priv, &pub);
	h = load(parent, &priv, &pub);
	assert_int_equal(hcall(TPM_CC_Unseal, &h, 1, 1, "pw", NULL), 0);
	r = rsp_reader(false);
	assert_int_equal(tpm_r_u16(&r, &n), 0);
	assert_int_equal(n, sizeof(secret));
	assert_int_equal(tpm_r_view(&r, &v, n), 0);
	assert_memory_equal(v, secret, sizeof(secret));
	assert_int_equal(hcall(TPM_CC_Unseal, &h, 1, 1, "wrong", NULL), RC_S(TPM_RC_BAD_AUTH, 1));

	/* ObjectChangeAuth: a new private area with the new authValue. */
	hh[0] = h;
	hh[1] = parent;
	tb_reset(&p);
	tb_2b(&p, "new", 3);
	assert_int_equal(hcall(TPM_CC_ObjectChangeAuth, hh, 2, 1, "pw", &p), 0);
	r = rsp_reader(false);
	assert_int_equal(tpm_r_u16(&r, &n), 0);
	assert_int_equal(tpm_r_view(&r, &v, n), 0);
	tb_reset(&priv2);
	tb_2b(&priv2, v, n);
	hflush(h);
	h = load(parent, &priv2, &pub);
	assert_int_equal(hcall(TPM_CC_Unseal, &h, 1, 1, "new", NULL), 0);
	assert_int_not_equal(hcall(TPM_CC_Unseal, &h, 1, 1, "pw", NULL), 0);
	/* The parent must be the object's parent. */
	hh[0] = h;
	hh[1] = h;
	assert_int_equal(hcall(TPM_CC_ObjectChangeAuth, hh, 2, 1, "new", &p), RC_H(TPM_RC_TYPE, 2));
	/* An authValue longer than the nameAlg digest */
	hh[1] = parent;
	tb_reset(&p);
	tb_2b(&p, "0123456789abcdef0123456789abcdef!", 33);
	assert_int_equal(hcall(TPM_CC_ObjectChangeAuth, hh, 2, 1, "new", &p), RC_P(TPM_RC_SIZE, 1));

	/* Unseal refuses keys. */
	tmpl_ecc(&tmpl, A_SIGNING, TPM_ALG_ECDSA, TPM_ALG_SHA256);
	create_child(parent, &tmpl, "", NULL, 0, &priv, &spub);
	hs = load(parent, &priv, &spub);
	assert_int_equal(hcall(TPM_CC_Unseal, &hs, 1, 1, "", NULL), RC_H(TPM_RC_TYPE, 1));
	hflush(hs);
	tmpl_keyedhash(&tmpl, A_SIGNING, TPM_ALG_HMAC, TPM_ALG_SHA256);
	create_child(parent, &tmpl, "", NULL, 0, &priv, &spub);
	hs = load(parent, &priv, &spub);
	assert_int_equal(hcall(TPM_CC_Unseal, &hs, 1, 1, "", NULL), RC_H(TPM_RC_ATTRIBUTES, 1));
	hflush(hs);
	hflush(h);
	hflush(parent);
}

static void test_tampered_private(void **state)
{
	struct tpm_public tmpl, pub, bad;
	struct tb priv, t;
	uint32_t parent, other, sign, h;

	(void)state;
	parent = ecc_storage_primary();
	tmpl_ecc(&tmpl, A_SIGNING, TPM_ALG_ECDSA, TPM_ALG_SHA256);
	create_child(parent, &tmpl, "", NULL, 0, &priv, &pub);

	/* A changed byte anywhere: in the HMAC, in the encrypted area. */
	for (size_t i = 4; i < priv.n; i += 7) {
		t = priv;
		t.b[i] ^= 0x01;
		assert_int_equal(load_rc(parent, &t, &pub), RC_P(TPM_RC_INTEGRITY, 1));
	}
	/* A public area that is not the one the private area was made for */
	bad = pub;
	bad.attributes &= ~A_USER;
	assert_int_equal(load_rc(parent, &priv, &bad), RC_P(TPM_RC_INTEGRITY, 1));
	/* Truncated: integrity size only, or less */
	t = priv;
	t.n = 4;
	t.b[0] = 0;
	t.b[1] = 2;
	assert_int_equal(load_rc(parent, &t, &pub), RC_P(TPM_RC_INSUFFICIENT, 1));
	t.b[1] = 34;
	t.n = 36;
	assert_int_equal(load_rc(parent, &t, &pub), RC_P(TPM_RC_INTEGRITY, 1));
	/* An empty private area */
	t.n = 2;
	t.b[0] = t.b[1] = 0;
	assert_int_equal(load_rc(parent, &t, &pub), RC_P(TPM_RC_SIZE, 1));
	/* Another parent cannot open it. */
	{
		struct tpm_public o;
		struct tpm2b_name on;

		tmpl_ecc(&tmpl, A_STORAGE, TPM_ALG_NULL, 0);
		tmpl.ecc_x.size = 3; /* another key in the same hierarchy */
		other = create_primary(OWNER, &tmpl, "", &o, &on);
		assert_int_equal(load_rc(other, &priv, &pub), RC_P(TPM_RC_INTEGRITY, 1));
		hflush(other);
	}
	/* A signing key is no parent. */
	h = load(parent, &priv, &pub);
	sign = h;
	assert_int_equal(load_rc(sign, &priv, &pub), RC_H(TPM_RC_TYPE, 1));
	hflush(h);
	hflush(parent);

	/* libtpms agrees on the codes for its own blobs. */
	{
		uint32_t hier = OWNER, rp;
		struct tb p;
		struct tpm_r r;
		uint16_t n, pubn;
		const uint8_t *v;

		tmpl_ecc(&tmpl, A_STORAGE, TPM_ALG_NULL, 0);
		create_params(&p, &tmpl, "", NULL, 0, true);
		assert_int_equal(rcall(TPM_CC_CreatePrimary, &hier, 1, 1, "", &p), 0);
		rp = tpm_be32(ref.rsp + 10);
		tmpl_ecc(&tmpl, A_SIGNING, TPM_ALG_ECDSA, TPM_ALG_SHA256);
		create_params(&p, &tmpl, "", NULL, 0, true);
		assert_int_equal(rcall(TPM_CC_Create, &rp, 1, 1, "", &p), 0);
		tpm_r_init(&r, ref.rsp + 14, ref.rsp_len - 14);
		assert_int_equal(tpm_r_u16(&r, &n), 0);
		assert_int_equal(tpm_r_view(&r, &v, n), 0);
		tb_reset(&t);
		tb_2b(&t, v, n);
		assert_int_equal(tpm_r_u16(&r, &pubn), 0);
		assert_int_equal(tpm_r_view(&r, &v, pubn), 0);
		t.b[10] ^= 1;
		tb_reset(&p);
		tb_bytes(&p, t.b, t.n);
		tb_2b(&p, v, pubn);
		assert_int_equal(rcall(TPM_CC_Load, &rp, 1, 1, "", &p), RC_P(TPM_RC_INTEGRITY, 1));
		tb_reset(&p);
		tb_u32(&p, rp);
		assert_int_equal(rcall(TPM_CC_FlushContext, NULL, 0, 0, "", &p), 0);
	}
}

/* ---- template checks: the same code from husk and libtpms ---- */

static void primary_both(const struct tpm_public *tmpl, const char *auth, const void *data, size_t dlen,
			 uint32_t rc)
{
	uint32_t hier = OWNER;
	struct tb p;

	create_params(&p, tmpl, auth, data, dlen, true);
	both(TPM_CC_CreatePrimary, &hier, 1, 1, &p, rc);
	if (rc == TPM_RC_SUCCESS)
		flush_both(tpm_be32(host.rsp + 10));
}

static void test_template_errors(void **state)
{
	struct tpm_public t;

	(void)state;
	tmpl_ecc(&t, A_SIGNING, TPM_ALG_ECDSA, TPM_ALG_SHA256);
	primary_both(&t, "", NULL, 0, 0);
	/* fixedTPM without fixedParent */
	tmpl_ecc(&t, A_SIGNING & ~A_FIXEDPAR, TPM_ALG_ECDSA, TPM_ALG_SHA256);
	primary_both(&t, "", NULL, 0, RC_P(TPM_RC_ATTRIBUTES, 2));
	/* restricted with sign and decrypt, and with neither */
	tmpl_ecc(&t, A_STORAGE | A_SIGN, TPM_ALG_NULL, 0);
	primary_both(&t, "", NULL, 0, RC_P(TPM_RC_ATTRIBUTES, 2));
	tmpl_ecc(&t, A_BASE, TPM_ALG_NULL, 0);
	primary_both(&t, "", NULL, 0, RC_P(TPM_RC_ATTRIBUTES, 2));
	/* fixedTPM with encryptedDuplication */
	tmpl_ecc(&t, A_SIGNING | TPMA_OBJECT_ENCRYPTEDDUPLICATION, TPM_ALG_ECDSA, TPM_ALG_SHA256);
	primary_both(&t, "", NULL, 0, RC_P(TPM_RC_ATTRIBUTES, 2));
	/* sensitiveDataOrigin CLEAR for an asymmetric key */
	tmpl_ecc(&t, A_SIGNING & ~A_SDO, TPM_ALG_ECDSA, TPM_ALG_SHA256);
	primary_both(&t, "", NULL, 0, RC_P(TPM_RC_ATTRIBUTES, 2));
	/* a storage key needs a symmetric algorithm */
	tmpl_ecc(&t, A_STORAGE, TPM_ALG_NULL, 0);
	t.symmetric.alg = TPM_ALG_NULL;
	primary_both(&t, "", NULL, 0, RC_P(TPM_RC_SYMMETRIC, 2));
	/* a signing key must not have one */
	tmpl_ecc(&t, A_SIGNING, TPM_ALG_ECDSA, TPM_ALG_SHA256);
	t.symmetric = (struct tpm_sym_def){ TPM_ALG_AES, 128, TPM_ALG_CFB };
	primary_both(&t, "", NULL, 0, RC_P(TPM_RC_SYMMETRIC, 2));
	/* a restricted signing key needs a scheme */
	tmpl_ecc(&t, A_SIGNING | A_RESTR, TPM_ALG_NULL, 0);
	primary_both(&t, "", NULL, 0, RC_P(TPM_RC_SCHEME, 2));
	/* schemes of the wrong kind */
	tmpl_ecc(&t, A_SIGNING, TPM_ALG_ECDH, TPM_ALG_SHA256);
	primary_both(&t, "", NULL, 0, RC_P(TPM_RC_SCHEME, 2));
	tmpl_ecc(&t, A_BASE | A_DECRYPT, TPM_ALG_ECDSA, TPM_ALG_SHA256);
	primary_both(&t, "", NULL, 0, RC_P(TPM_RC_SCHEME, 2));
	tmpl_ecc(&t, A_STORAGE, TPM_ALG_ECDH, TPM_ALG_SHA256);
	primary_both(&t, "", NULL, 0, RC_P(TPM_RC_SCHEME, 2));
	tmpl_rsa(&t, A_STORAGE, 1024, TPM_ALG_OAEP, TPM_ALG_SHA256);
	primary_both(&t, "", NULL, 0, RC_P(TPM_RC_SCHEME, 2));
	/* sign and decrypt: scheme NULL only */
	tmpl_ecc(&t, A_BASE | A_SIGN | A_DECRYPT, TPM_ALG_ECDSA, TPM_ALG_SHA256);
	primary_both(&t, "", NULL, 0, RC_P(TPM_RC_SCHEME, 2));
	/* ECC KDF must be NULL */
	tmpl_ecc(&t, A_SIGNING, TPM_ALG_ECDSA, TPM_ALG_SHA256);
	t.kdf = (struct tpm_scheme){ TPM_ALG_KDF1_SP800_56A, TPM_ALG_SHA256, 0, 0 };
	primary_both(&t, "", NULL, 0, RC_P(TPM_RC_KDF, 2));
	/* authPolicy of the wrong size */
	tmpl_ecc(&t, A_SIGNING, TPM_ALG_ECDSA, TPM_ALG_SHA256);
	t.auth_policy.size = 20;
	primary_both(&t, "", NULL, 0, RC_P(TPM_RC_SIZE, 2));
	/* nameAlg NULL */
	tmpl_ecc(&t, A_SIGNING, TPM_ALG_ECDSA, TPM_ALG_SHA256);
	t.name_alg = TPM_ALG_NULL;
	primary_both(&t, "", NULL, 0, RC_P(TPM_RC_HASH, 2));
	/* userAuth longer than the digest, unless the rest is zeros */
	tmpl_ecc(&t, A_SIGNING, TPM_ALG_ECDSA, TPM_ALG_SHA256);
	primary_both(&t, "0123456789abcdef0123456789abcdef!", NULL, 0, RC_P(TPM_RC_SIZE, 1));
	/* RSA exponents: at least 65537 and prime */
	tmpl_rsa(&t, A_SIGNING, 1024, TPM_ALG_RSASSA, TPM_ALG_SHA256);
	t.rsa_exponent = 3;
	primary_both(&t, "", NULL, 0, TPM_RC_RANGE);
	t.rsa_exponent = 65537 * 3;
	primary_both(&t, "", NULL, 0, TPM_RC_RANGE);
	t.rsa_exponent = 65539;
	primary_both(&t, "", NULL, 0, 0);
	/* sealed data: the caller provides it, and must */
	tmpl_keyedhash(&t, A_SEALED, TPM_ALG_NULL, 0);
	primary_both(&t, "", NULL, 0, RC_P(TPM_RC_ATTRIBUTES, 2));
	primary_both(&t, "", "data", 4, 0);
	tmpl_keyedhash(&t, A_SEALED | A_SDO, TPM_ALG_NULL, 0);
	primary_both(&t, "", "data", 4, RC_P(TPM_RC_ATTRIBUTES, 2));
	primary_both(&t, "", NULL, 0, RC_P(TPM_RC_ATTRIBUTES, 2));
	/* sealed data with a scheme */
	tmpl_keyedhash(&t, A_SEALED, TPM_ALG_HMAC, TPM_ALG_SHA256);
	primary_both(&t, "", "data", 4, RC_P(TPM_RC_SCHEME, 2));
	/* an HMAC key of the caller's, longer than the hash block */
	{
		uint8_t key[65] = { 0 };

		tmpl_keyedhash(&t, (A_SIGNING & ~A_SDO), TPM_ALG_HMAC, TPM_ALG_SHA256);
		primary_both(&t, "", key, 64, 0);
		primary_both(&t, "", key, 65, TPM_RC_SIZE);
	}
	/* a symmetric key of the wrong size */
	memset(&t, 0, sizeof(t));
	t.type = TPM_ALG_SYMCIPHER;
	t.name_alg = TPM_ALG_SHA256;
	t.attributes = (A_BASE & ~A_SDO) | A_DECRYPT;
	t.symmetric = (struct tpm_sym_def){ TPM_ALG_AES, 128, TPM_ALG_CFB };
	primary_both(&t, "", "0123456789abcdef", 16, 0);
	primary_both(&t, "", "0123456789abcde", 15, TPM_RC_KEY_SIZE);
	t.attributes |= A_RESTR;
	primary_both(&t, "", "0123456789abcdef", 16, RC_P(TPM_RC_ATTRIBUTES, 2));
}

/* Checks that only Create (with a parent) makes. */
static void test_create_errors(void **state)
{
	struct tpm_public t;
	uint32_t hier = OWNER, parent, sign;
	struct tb p;

	(void)state;
	tmpl_ecc(&t, A_STORAGE, TPM_ALG_NULL, 0);
	create_params(&p, &t, "", NULL, 0, true);
	both(TPM_CC_CreatePrimary, &hier, 1, 1, &p, 0);
	parent = tpm_be32(host.rsp + 10);
	assert_int_equal(tpm_be32(ref.rsp + 10), parent);
	/* libtpms qualifies names the same way: QN = H(owner || Name). */
	{
		struct tpm2b_name owner_qn = { 4, { 0x40, 0, 0, 1 } }, rn, rqn;
		struct tpm_public rp;
		struct tpm_r r;

		assert_int_equal(rcall(TPM_CC_ReadPublic, &parent, 1, 0, "", NULL), 0);
		tpm_r_init(&r, ref.rsp + 10, ref.rsp_len - 10);
		assert_int_equal(tpm_r_2b_public(&r, &rp, false), 0);
		assert_int_equal(tpm_r_name(&r, &rn), 0);
		assert_int_equal(tpm_r_name(&r, &rqn), 0);
		expect_name(&rp, &rn);
		expect_qn(&owner_qn, &rn, &rqn);
	}

	/* data for a key the TPM generates */
	tmpl_keyedhash(&t, A_SIGNING, TPM_ALG_HMAC, TPM_ALG_SHA256);
	create_params(&p, &t, "", "k", 1, true);
	both(TPM_CC_Create, &parent, 1, 1, &p, RC_P(TPM_RC_ATTRIBUTES, 2));
	/* below a fixedTPM parent, fixedTPM == fixedParent */
	tmpl_ecc(&t, A_SIGNING & ~A_FIXEDTPM, TPM_ALG_ECDSA, TPM_ALG_SHA256);
	create_params(&p, &t, "", NULL, 0, true);
	both(TPM_CC_Create, &parent, 1, 1, &p, RC_P(TPM_RC_ATTRIBUTES, 2));
	/* a fixedTPM storage child matches its parent's nameAlg and symmetric */
	tmpl_ecc(&t, A_STORAGE, TPM_ALG_NULL, 0);
	t.name_alg = TPM_ALG_SHA384;
	create_params(&p, &t, "", NULL, 0, true);
	both(TPM_CC_Create, &parent, 1, 1, &p, RC_P(TPM_RC_HASH, 2));
	tmpl_ecc(&t, A_STORAGE, TPM_ALG_NULL, 0);
	t.symmetric.key_bits = 256;
	create_params(&p, &t, "", NULL, 0, true);
	both(TPM_CC_Create, &parent, 1, 1, &p, RC_P(TPM_RC_SYMMETRIC, 2));
	/* a duplicable storage child may differ */
	tmpl_ecc(&t, A_STORAGE & ~(A_FIXEDTPM | A_FIXEDPAR), TPM_ALG_NULL, 0);
	t.symmetric.key_bits = 256;
	create_params(&p, &t, "", NULL, 0, true);
	both(TPM_CC_Create, &parent, 1, 1, &p, 0);
	/* a signing key is not a parent */
	tmpl_ecc(&t, A_SIGNING, TPM_ALG_ECDSA, TPM_ALG_SHA256);
	create_params(&p, &t, "", NULL, 0, true);
	both(TPM_CC_CreatePrimary, &hier, 1, 1, &p, 0);
	sign = tpm_be32(host.rsp + 10);
	both(TPM_CC_Create, &sign, 1, 1, &p, RC_H(TPM_RC_TYPE, 1));
	create_params(&p, &t, "", NULL, 0, false);
	both(TPM_CC_CreateLoaded, &sign, 1, 1, &p, RC_H(TPM_RC_TYPE, 1));
	flush_both(sign);
	/* parameters after the template */
	create_params(&p, &t, "", NULL, 0, false);
	tb_2b(&p, "0123456789012345678901234567890123456789012345678901234567890123456789", 67);
	tb_u32(&p, 0);
	both(TPM_CC_Create, &parent, 1, 1, &p, RC_P(TPM_RC_SIZE, 3));
	create_params(&p, &t, "", NULL, 0, true);
	tb_u8(&p, 0);
	both(TPM_CC_Create, &parent, 1, 1, &p, TPM_RC_SIZE);
	flush_both(parent);

	/* The creation data of a primary names its hierarchy. */
	tmpl_ecc(&t, A_SIGNING, TPM_ALG_ECDSA, TPM_ALG_SHA256);
	create_params(&p, &t, "", NULL, 0, false);
	tb_2b(&p, "outside", 7);
	tb_u32(&p, 1);
	tb_u16(&p, TPM_ALG_SHA256);
	tb_u8(&p, 3);
	tb_u8(&p, 0x01);
	tb_u8(&p, 0);
	tb_u8(&p, 0);
	both(TPM_CC_CreatePrimary, &hier, 1, 1, &p, 0);
	{
		size_t ha = rsp_params_at(host.rsp, true), ra = rsp_params_at(ref.rsp, true);
		size_t hc = ha + 2 + tpm_be16(host.rsp + ha), rcd = ra + 2 + tpm_be16(ref.rsp + ra);
		uint16_t len = tpm_be16(host.rsp + hc);
		uint8_t d[32];

		/* Same PCR values (all zero), same locality, same parent:
		 * the same creation data and creation hash. */
		assert_int_equal(len, tpm_be16(ref.rsp + rcd));
		assert_memory_equal(host.rsp + hc, ref.rsp + rcd, 2u + len + 2 + 32);
		sha256(host.rsp + hc + 2, len, NULL, 0, d);
		assert_memory_equal(host.rsp + hc + 2 + len + 2, d, 32);
	}
	flush_both(tpm_be32(host.rsp + 10));
}

static void test_create_loaded(void **state)
{
	struct tpm_public t, pub, pub2;
	struct tpm2b_name name, name2;
	uint32_t hier = OWNER, parent, h;
	struct tpm_r r;
	struct tb p, priv;
	uint16_t n;
	const uint8_t *v;

	(void)state;
	/* With a hierarchy as parent: a primary object, as CreatePrimary's. */
	tmpl_ecc(&t, A_SIGNING, TPM_ALG_ECDSA, TPM_ALG_SHA256);
	h = create_primary(OWNER, &t, "", &pub, &name);
	hflush(h);
	create_params(&p, &t, "", NULL, 0, false);
	assert_int_equal(hcall(TPM_CC_CreateLoaded, &hier, 1, 1, "", &p), 0);
	h = tpm_be32(host.rsp + 10);
	r = rsp_reader(true);
	assert_int_equal(tpm_r_u16(&r, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(tpm_r_2b_public(&r, &pub2, false), 0);
	assert_int_equal(tpm_r_name(&r, &name2), 0);
	name_eq(&name, &name2);
	assert_true(obj(h)->primary);
	hflush(h);

	/* With a storage parent: an ordinary object, loaded, and its private
	 * area loads again. */
	parent = ecc_storage_primary();
	create_params(&p, &t, "", NULL, 0, false);
	assert_int_equal(hcall(TPM_CC_CreateLoaded, &parent, 1, 1, "", &p), 0);
	h = tpm_be32(host.rsp + 10);
	r = rsp_reader(true);
	assert_int_equal(tpm_r_u16(&r, &n), 0);
	assert_int_equal(tpm_r_view(&r, &v, n), 0);
	tb_reset(&priv);
	tb_2b(&priv, v, n);
	assert_int_equal(tpm_r_2b_public(&r, &pub2, false), 0);
	assert_int_equal(tpm_r_name(&r, &name2), 0);
	expect_name(&pub2, &name2);
	hflush(h);
	h = load(parent, &priv, &pub2);
	assert_memory_equal(host.rsp + 18 + 2, name2.b, name2.size);
	hflush(h);
	hflush(parent);
}

/* ---- LoadExternal ---- */

static void test_load_external(void **state)
{
	static const uint8_t d[32] = { 0xc9, 0xaf, 0xa9, 0xd8, 0x45, 0xba, 0x75, 0x16, 0x6b, 0x5c, 0x21,
				       0x57, 0x67, 0xb1, 0xd6, 0x93, 0x4e, 0x50, 0xc3, 0xdb, 0x36, 0xe8,
				       0x9b, 0x12, 0x7b, 0x8a, 0x62, 0x2b, 0x12, 0x0f, 0x67, 0x21 };
	/* RFC 6979 A.2.5: the P-256 key whose private key is d. */
	static const uint8_t x[32] = { 0x60, 0xfe, 0xd4, 0xba, 0x25, 0x5a, 0x9d, 0x31, 0xc9, 0x61, 0xeb,
				       0x74, 0xc6, 0x35, 0x6d, 0x68, 0xc0, 0x49, 0xb8, 0x92, 0x3b, 0x61,
				       0xfa, 0x6c, 0xe6, 0x69, 0x62, 0x2e, 0x60, 0xf2, 0x9f, 0xb6 };
	static const uint8_t y[32] = { 0x79, 0x03, 0xfe, 0x10, 0x08, 0xb8, 0xbc, 0x99, 0xa4, 0x1a, 0xe9,
				       0xe9, 0x56, 0x28, 0xbc, 0x64, 0xf2, 0xf1, 0xb2, 0x0c, 0x2d, 0x7e,
				       0x9f, 0x51, 0x77, 0xa3, 0xc2, 0x94, 0xd4, 0x46, 0x22, 0x99 };
	uint8_t bad[32];
	struct tb p;
	uint32_t attrs = A_USER | A_NODA | A_SIGN;

	(void)state;
	/* Public only, private too: the same Name on both TPMs. */
	fx_ecc(&p, TPM_ECC_NIST_P256, NULL, x, y, 32, attrs, TPM_ALG_ECDSA, TPM_ALG_SHA256, OWNER);
	both(TPM_CC_LoadExternal, NULL, 0, 0, &p, 0);
	assert_memory_equal(host.rsp + 14, ref.rsp + 14, 36);
	/* ReadPublic: public area, Name and qualified name, byte for byte */
	{
		uint32_t h = TPM_HR_TRANSIENT;

		both(TPM_CC_ReadPublic, &h, 1, 0, NULL, 0);
		assert_int_equal(host.rsp_len, ref.rsp_len);
		assert_memory_equal(host.rsp, ref.rsp, host.rsp_len);
	}
	flush_both(TPM_HR_TRANSIENT);
	/* Without a nameAlg there is no Name. */
	fx_ecc(&p, TPM_ECC_NIST_P256, NULL, x, y, 32, attrs, TPM_ALG_ECDSA, TPM_ALG_SHA256, TPM_RH_NULL);
	p.b[6] = 0;
	p.b[7] = TPM_ALG_NULL; /* nameAlg */
	both(TPM_CC_LoadExternal, NULL, 0, 0, &p, 0);
	assert_int_equal(tpm_be16(host.rsp + 14), 0);
	{
		uint32_t h = TPM_HR_TRANSIENT;

		both(TPM_CC_ReadPublic, &h, 1, 0, NULL, 0);
		assert_int_equal(host.rsp_len, ref.rsp_len);
		assert_memory_equal(host.rsp, ref.rsp, host.rsp_len);
	}
	flush_both(TPM_HR_TRANSIENT);
	fx_ecc(&p, TPM_ECC_NIST_P256, d, x, y, 32, attrs, TPM_ALG_ECDSA, TPM_ALG_SHA256, TPM_RH_NULL);
	both(TPM_CC_LoadExternal, NULL, 0, 0, &p, 0);
	assert_memory_equal(host.rsp + 14, ref.rsp + 14, 36);
	sign_round_trip(TPM_HR_TRANSIENT, TPM_ALG_NULL, TPM_ALG_SHA256);
	flush_both(TPM_HR_TRANSIENT);

	/* A private key outside the NULL hierarchy */
	fx_ecc(&p, TPM_ECC_NIST_P256, d, x, y, 32, attrs, TPM_ALG_ECDSA, TPM_ALG_SHA256, OWNER);
	both(TPM_CC_LoadExternal, NULL, 0, 0, &p, RC_P(TPM_RC_HIERARCHY, 3));
	/* ... or that claims to be the TPM's */
	fx_ecc(&p, TPM_ECC_NIST_P256, d, x, y, 32, attrs | A_FIXEDTPM | A_FIXEDPAR, TPM_ALG_ECDSA,
		     TPM_ALG_SHA256, TPM_RH_NULL);
	both(TPM_CC_LoadExternal, NULL, 0, 0, &p, RC_P(TPM_RC_ATTRIBUTES, 2));
	/* Not a hierarchy */
	fx_ecc(&p, TPM_ECC_NIST_P256, NULL, x, y, 32, attrs, TPM_ALG_ECDSA, TPM_ALG_SHA256, TPM_RH_LOCKOUT);
	both(TPM_CC_LoadExternal, NULL, 0, 0, &p, RC_P(TPM_RC_VALUE, 3));
	/* A point that is not on the curve; a private key of another point */
	memcpy(bad, y, 32);
	bad[31] ^= 1;
	fx_ecc(&p, TPM_ECC_NIST_P256, NULL, x, bad, 32, attrs, TPM_ALG_ECDSA, TPM_ALG_SHA256, OWNER);
	both(TPM_CC_LoadExternal, NULL, 0, 0, &p, RC_P(TPM_RC_ECC_POINT, 2));
	memcpy(bad, d, 32);
	bad[31] ^= 1;
	fx_ecc(&p, TPM_ECC_NIST_P256, bad, x, y, 32, attrs, TPM_ALG_ECDSA, TPM_ALG_SHA256, TPM_RH_NULL);
	both(TPM_CC_LoadExternal, NULL, 0, 0, &p, TPM_RC_BINDING);
	/* A short coordinate in a public-only key */
	fx_ecc(&p, TPM_ECC_NIST_P256, NULL, x, y, 31, attrs, TPM_ALG_ECDSA, TPM_ALG_SHA256, OWNER);
	both(TPM_CC_LoadExternal, NULL, 0, 0, &p, RC_P(TPM_RC_KEY, 2));
	/* Keyed hash: the unique field must bind the key */
	fx_keyedhash(&p, "hmac key", 8, A_USER | A_SIGN, TPM_ALG_HMAC, TPM_ALG_SHA256, TPM_RH_NULL, true);
	both(TPM_CC_LoadExternal, NULL, 0, 0, &p, 0);
	flush_both(TPM_HR_TRANSIENT);
	p.b[42] ^= 1; /* a byte of the key */
	both(TPM_CC_LoadExternal, NULL, 0, 0, &p, TPM_RC_BINDING);
	/* RSA: a modulus of the wrong size */
	{
		uint8_t n[128];

		memset(n, 0xc5, sizeof(n));
		fx_rsa(&p, n, 128, NULL, A_USER | A_SIGN, TPM_ALG_RSASSA, TPM_ALG_SHA256, OWNER);
		both(TPM_CC_LoadExternal, NULL, 0, 0, &p, 0);
		flush_both(TPM_HR_TRANSIENT);
		n[0] = 0x45;
		fx_rsa(&p, n, 128, NULL, A_USER | A_SIGN, TPM_ALG_RSASSA, TPM_ALG_SHA256, OWNER);
		both(TPM_CC_LoadExternal, NULL, 0, 0, &p, RC_P(TPM_RC_KEY, 2));
	}
	/* A sensitive area of another type */
	fx_ecc(&p, TPM_ECC_NIST_P256, d, x, y, 32, attrs, TPM_ALG_ECDSA, TPM_ALG_SHA256, TPM_RH_NULL);
	p.b[3] = TPM_ALG_RSA;
	both(TPM_CC_LoadExternal, NULL, 0, 0, &p, RC_P(TPM_RC_TYPE, 1));
	/* TPM2B_SENSITIVE and TPM2B_PUBLIC sizes that disagree with their
	 * contents: the structure is read in full, then the size is wrong. */
	{
		uint16_t sz, at;

		fx_ecc(&p, TPM_ECC_NIST_P256, d, x, y, 32, attrs, TPM_ALG_ECDSA, TPM_ALG_SHA256, TPM_RH_NULL);
		sz = (uint16_t)(p.b[0] << 8 | p.b[1]);
		p.b[0] = (uint8_t)((sz - 1) >> 8);
		p.b[1] = (uint8_t)(sz - 1);
		both(TPM_CC_LoadExternal, NULL, 0, 0, &p, RC_P(TPM_RC_SIZE, 1));
		fx_ecc(&p, TPM_ECC_NIST_P256, d, x, y, 32, attrs, TPM_ALG_ECDSA, TPM_ALG_SHA256, TPM_RH_NULL);
		at = (uint16_t)(2 + sz);
		sz = (uint16_t)(p.b[at] << 8 | p.b[at + 1]);
		p.b[at] = (uint8_t)((sz + 1) >> 8);
		p.b[at + 1] = (uint8_t)(sz + 1);
		both(TPM_CC_LoadExternal, NULL, 0, 0, &p, RC_P(TPM_RC_SIZE, 2));
	}
}

/* ---- contexts ---- */

struct saved {
	uint8_t b[TPM_BUFFER_MAX];
	size_t n;
};

static void context_save(uint32_t h, struct saved *s)
{
	size_t at;

	assert_int_equal(hcall(TPM_CC_ContextSave, &h, 1, 0, "", NULL), 0);
	at = rsp_params_at(host.rsp, false);
	s->n = host.rsp_len - at;
	memcpy(s->b, host.rsp + at, s->n);
}

static uint32_t context_load(const struct saved *s)
{
	struct tb p;

	tb_reset(&p);
	tb_bytes(&p, s->b, s->n);
	return hcall(TPM_CC_ContextLoad, NULL, 0, 0, "", &p);
}

static void test_context_objects(void **state)
{
	struct tpm_public tmpl, pub, pub2;
	struct tpm2b_name name, name2, qn, qn2;
	struct saved s, t;
	uint32_t h, h2, hier = TPM_RH_NULL, rc;
	struct tb p;

	(void)state;
	h = ecc_storage_primary();
	read_public(h, &pub, &name, &qn);
	context_save(h, &s);
	assert_int_equal(tpm_be32(s.b + 8), 0x80000000);
	assert_int_equal(tpm_be32(s.b + 12), OWNER);
	hflush(h);
	assert_int_equal(context_load(&s), 0);
	h2 = tpm_be32(host.rsp + 10);
	read_public(h2, &pub2, &name2, &qn2);
	name_eq(&name, &name2);
	name_eq(&qn, &qn2);
	/* An object context may be loaded again (it is not a session). */
	assert_int_equal(context_load(&s), 0);
	hflush(tpm_be32(host.rsp + 10));
	{
		/* The restored key works as a parent. */
		struct tb priv;
		struct tpm_public cp;

		tmpl_ecc(&tmpl, A_SIGNING, TPM_ALG_ECDSA, TPM_ALG_SHA256);
		create_child(h2, &tmpl, "", NULL, 0, &priv, &cp);
		hflush(load(h2, &priv, &cp));
	}
	/* Tampering anywhere is caught: in the integrity value's size field
	 * (the blob's first two bytes) by its unmarshaling, as the reference
	 * ContextLoad does (TPM_RC_SIZE as TPM2B_DIGEST_Unmarshal returns it,
	 * without a parameter number); anywhere else by the integrity check. */
	for (size_t i = 16 + 2; i < s.n; i += 11) {
		t = s;
		t.b[i] ^= 0x10;
		assert_int_equal(context_load(&t), i == 16 + 2 ? TPM_RC_SIZE : RC_P(TPM_RC_INTEGRITY, 1));
	}
	t = s;
	t.b[16 + 3] ^= 0x01; /* an integrity value of 33 bytes */
	assert_int_equal(context_load(&t), RC_P(TPM_RC_SIZE, 1));
	t = s;
	t.b[7] ^= 1; /* sequence */
	assert_int_equal(context_load(&t), RC_P(TPM_RC_INTEGRITY, 1));
	t = s;
	t.b[15] = 0x0b; /* hierarchy: endorsement */
	assert_int_equal(context_load(&t), RC_P(TPM_RC_INTEGRITY, 1));
	t = s;
	t.b[11] = 2; /* stClear object */
	assert_int_equal(context_load(&t), RC_P(TPM_RC_INTEGRITY, 1));
	t = s;
	t.b[11] = 5; /* not a saved-object handle */
	assert_int_equal(context_load(&t), RC_P(TPM_RC_VALUE, 1));
	t = s;
	t.b[12] = 0x41; /* not a hierarchy */
	assert_int_equal(context_load(&t), RC_P(TPM_RC_VALUE, 1));
	t = s;
	t.n -= 1;
	assert_int_equal(context_load(&t), RC_P(TPM_RC_INSUFFICIENT, 1));
	hflush(h2);

	/* NULL-hierarchy contexts die with a TPM Reset, the owner's do not. */
	tmpl_ecc(&tmpl, A_STORAGE, TPM_ALG_NULL, 0);
	create_params(&p, &tmpl, "", NULL, 0, true);
	assert_int_equal(hcall(TPM_CC_CreatePrimary, &hier, 1, 1, "", &p), 0);
	h = tpm_be32(host.rsp + 10);
	context_save(h, &t);
	assert_int_equal(tpm_be32(t.b + 12), TPM_RH_NULL);
	assert_int_equal(tpm_power_off(host.tpm), 0);
	assert_int_equal(tpm_power_on(host.tpm), 0);
	assert_int_equal(tpm_host_startup(&host, TPM_SU_CLEAR), 0);
	assert_int_equal(context_load(&t), RC_P(TPM_RC_INTEGRITY, 1));
	assert_int_equal(context_load(&s), 0);
	hflush(tpm_be32(host.rsp + 10));

	/* FlushContext errors, on both TPMs */
	tb_reset(&p);
	tb_u32(&p, 0x80000002);
	both(TPM_CC_FlushContext, NULL, 0, 0, &p, RC_P(TPM_RC_HANDLE, 1));
	/* Beyond the implemented slots (libtpms has fewer) */
	tb_reset(&p);
	tb_u32(&p, TPM_HR_TRANSIENT + TPM_MAX_OBJECTS);
	assert_int_equal(hcall(TPM_CC_FlushContext, NULL, 0, 0, "", &p), RC_P(TPM_RC_VALUE, 1));
	tb_reset(&p);
	tb_u32(&p, TPM_HR_HMAC_SESSION + TPM_MAX_SESSIONS);
	assert_int_equal(hcall(TPM_CC_FlushContext, NULL, 0, 0, "", &p), RC_P(TPM_RC_VALUE, 1));
	tb_reset(&p);
	tb_u32(&p, 0x81000000);
	both(TPM_CC_FlushContext, NULL, 0, 0, &p, RC_P(TPM_RC_VALUE, 1));
	tb_reset(&p);
	tb_u32(&p, 0x02000003);
	both(TPM_CC_FlushContext, NULL, 0, 0, &p, RC_P(TPM_RC_HANDLE, 1));
	/* ContextSave of something that is not there */
	/* ContextSave of an object or session that is not loaded: libtpms
	 * answers TPM_RC_REFERENCE_H0 (the dispatcher's handle check, in
	 * tpm_entity.c, says TPM_RC_HANDLE today). */
	h = 0x80000002;
	assert_int_equal(rcall(TPM_CC_ContextSave, &h, 1, 0, "", NULL), TPM_RC_REFERENCE_H0);
	rc = hcall(TPM_CC_ContextSave, &h, 1, 0, "", NULL);
	assert_true(rc == TPM_RC_REFERENCE_H0 || rc == RC_H(TPM_RC_HANDLE, 1));
	h = 0x81000001;
	both(TPM_CC_ContextSave, &h, 1, 0, NULL, RC_H(TPM_RC_VALUE, 1));
}

static uint32_t start_session(void)
{
	static const uint8_t nonce[16] = { 1, 2, 3 };
	uint32_t hh[2] = { TPM_RH_NULL, TPM_RH_NULL };
	struct tb p;

	tb_reset(&p);
	tb_2b(&p, nonce, sizeof(nonce));
	tb_2b(&p, "", 0);
	tb_u8(&p, TPM_SE_POLICY);
	tb_u16(&p, TPM_ALG_NULL);
	tb_u16(&p, TPM_ALG_SHA256);
	assert_int_equal(hcall(TPM_CC_StartAuthSession, hh, 2, 0, "", &p), 0);
	return tpm_be32(host.rsp + 10);
}

static void test_context_sessions(void **state)
{
	struct saved s1, s2;
	struct tpm_session *sess;
	uint8_t digest[32];
	uint32_t h, h2;
	struct tb p;

	(void)state;
	h = start_session();
	assert_int_equal(h >> 24, TPM_HT_POLICY_SESSION);
	sess = tpm_session_find(host.tpm, h);
	memset(sess->policy_digest.b, 0x77, 32); /* state that must survive */
	memcpy(digest, sess->policy_digest.b, 32);
	context_save(h, &s1);
	assert_int_equal(tpm_be32(s1.b + 8), h);
	assert_int_equal(tpm_be32(s1.b + 12), TPM_RH_NULL);
	/* Saved: the handle stays taken, the session cannot be used or saved
	 * again, and its state is gone from the slot. */
	assert_int_equal(sess->state, TPM_SESSION_SAVED);
	assert_int_equal(sess->policy_digest.size, 0);
	assert_int_equal(hcall(TPM_CC_ContextSave, &h, 1, 0, "", NULL), TPM_RC_REFERENCE_H0);
	assert_int_equal(hcall(TPM_CC_PolicyGetDigest, &h, 1, 0, "", NULL), TPM_RC_REFERENCE_H0);
	h2 = start_session();
	assert_int_not_equal(h2, h);
	hflush(h2);
	/* Loaded back, with its state */
	assert_int_equal(context_load(&s1), 0);
	assert_int_equal(tpm_be32(host.rsp + 10), h);
	assert_int_equal(sess->state, TPM_SESSION_LOADED);
	assert_memory_equal(sess->policy_digest.b, digest, 32);
	/* The same blob cannot be loaded twice, nor an older one. */
	assert_int_equal(context_load(&s1), RC_P(TPM_RC_HANDLE, 1));
	context_save(h, &s2);
	assert_int_equal(context_load(&s1), RC_P(TPM_RC_HANDLE, 1));
	s2.b[20] ^= 1;
	assert_int_equal(context_load(&s2), RC_P(TPM_RC_INTEGRITY, 1));
	s2.b[20] ^= 1;
	assert_int_equal(context_load(&s2), 0);
	/* A saved session can be flushed; its blob is then useless. */
	context_save(h, &s2);
	tb_reset(&p);
	tb_u32(&p, h);
	assert_int_equal(hcall(TPM_CC_FlushContext, NULL, 0, 0, "", &p), 0);
	assert_int_equal(context_load(&s2), RC_P(TPM_RC_HANDLE, 1));
	/* Sessions do not survive a TPM Reset. */
	h = start_session();
	context_save(h, &s1);
	assert_int_equal(tpm_power_off(host.tpm), 0);
	assert_int_equal(tpm_power_on(host.tpm), 0);
	assert_int_equal(tpm_host_startup(&host, TPM_SU_CLEAR), 0);
	assert_int_not_equal(context_load(&s1), 0);

	/* A TPM resumed from saved NV state in a new context never had a
	 * TPM Reset there: session contexts still get a secret key. */
	{
		static const uint8_t zero[32];
		uint8_t *blob, *copy;
		size_t len;

		tb_reset(&p);
		tb_u16(&p, TPM_SU_STATE);
		assert_int_equal(hcall(TPM_CC_Shutdown, NULL, 0, 0, "", &p), 0);
		assert_int_equal(tpm_state_save(host.tpm, &blob, &len), HUSK_OK);
		copy = test_malloc(len);
		memcpy(copy, blob, len);
		tpm_state_free(host.tpm, blob, len);
		tpm_host_fini(&host);
		assert_int_equal(tpm_host_init(&host, 0x77), 0);
		assert_int_equal(tpm_power_off(host.tpm), 0);
		assert_int_equal(tpm_state_load(host.tpm, copy, len), HUSK_OK);
		test_free(copy);
		assert_int_equal(tpm_power_on(host.tpm), 0);
		assert_int_equal(tpm_host_startup(&host, TPM_SU_STATE), 0);
		h = start_session();
		context_save(h, &s1);
		assert_memory_not_equal(host.tpm->context_nonce, zero, sizeof(zero));
		assert_int_equal(context_load(&s1), 0);
	}
}

static void test_context_sequences(void **state)
{
	uint8_t want[32];
	struct saved s;
	struct tb p;
	uint32_t h;
	size_t at;

	(void)state;
	/* HashSequenceStart, "abc", save, flush, load, "def", complete */
	tb_reset(&p);
	tb_2b(&p, "", 0);
	tb_u16(&p, TPM_ALG_SHA256);
	assert_int_equal(hcall(TPM_CC_HashSequenceStart, NULL, 0, 0, "", &p), 0);
	h = tpm_be32(host.rsp + 10);
	tb_reset(&p);
	tb_2b(&p, "abc", 3);
	assert_int_equal(hcall(TPM_CC_SequenceUpdate, &h, 1, 1, "", &p), 0);
	context_save(h, &s);
	assert_int_equal(tpm_be32(s.b + 8), 0x80000001);
	hflush(h);
	assert_int_equal(context_load(&s), 0);
	h = tpm_be32(host.rsp + 10);
	tb_reset(&p);
	tb_2b(&p, "def", 3);
	tb_u32(&p, TPM_RH_NULL);
	assert_int_equal(hcall(TPM_CC_SequenceComplete, &h, 1, 1, "", &p), 0);
	at = rsp_params_at(host.rsp, false);
	sha256("abcdef", 6, NULL, 0, want);
	assert_int_equal(tpm_be16(host.rsp + at), 32);
	assert_memory_equal(host.rsp + at + 2, want, 32);
	/* ReadPublic has nothing to say about a sequence. */
	assert_int_equal(context_load(&s), 0);
	h = tpm_be32(host.rsp + 10);
	assert_int_equal(hcall(TPM_CC_ReadPublic, &h, 1, 0, "", NULL), TPM_RC_SEQUENCE);
	hflush(h);

	/* An event sequence (every bank): the same digests with and without
	 * a save and load in the middle. */
	{
		uint8_t plain[TPM_BUFFER_MAX];
		size_t plain_len;
		uint32_t hh[2] = { TPM_RH_NULL, 0 };

		for (int pass = 0; pass < 2; pass++) {
			tb_reset(&p);
			tb_2b(&p, "", 0);
			tb_u16(&p, TPM_ALG_NULL);
			assert_int_equal(hcall(TPM_CC_HashSequenceStart, NULL, 0, 0, "", &p), 0);
			h = tpm_be32(host.rsp + 10);
			tb_reset(&p);
			tb_2b(&p, "event data", 10);
			assert_int_equal(hcall(TPM_CC_SequenceUpdate, &h, 1, 1, "", &p), 0);
			if (pass) {
				context_save(h, &s);
				hflush(h);
				assert_int_equal(context_load(&s), 0);
				h = tpm_be32(host.rsp + 10);
			}
			hh[1] = h;
			tb_reset(&p);
			tb_2b(&p, "more", 4);
			assert_int_equal(hcall(TPM_CC_EventSequenceComplete, hh, 2, 2, "", &p), 0);
			at = rsp_params_at(host.rsp, false);
			if (!pass) {
				plain_len = host.rsp_len - at;
				memcpy(plain, host.rsp + at, plain_len);
			} else {
				assert_true(plain_len > 4 + 4 * 2 + 20 + 32 + 48);
				assert_memory_equal(host.rsp + at, plain, plain_len);
			}
		}
	}

	/* An HMAC sequence */
	{
		struct tpm_public t;
		uint32_t key, hier = OWNER;
		uint8_t mac[32];

		tmpl_keyedhash(&t, A_SIGNING & ~A_SDO, TPM_ALG_HMAC, TPM_ALG_SHA256);
		create_params(&p, &t, "", "k", 1, true);
		assert_int_equal(hcall(TPM_CC_CreatePrimary, &hier, 1, 1, "", &p), 0);
		key = tpm_be32(host.rsp + 10);
		tb_reset(&p);
		tb_2b(&p, "", 0);
		tb_u16(&p, TPM_ALG_SHA256);
		assert_int_equal(hcall(TPM_CC_HMAC_Start, &key, 1, 1, "", &p), 0);
		h = tpm_be32(host.rsp + 10);
		tb_reset(&p);
		tb_2b(&p, "abc", 3);
		assert_int_equal(hcall(TPM_CC_SequenceUpdate, &h, 1, 1, "", &p), 0);
		context_save(h, &s);
		hflush(h);
		assert_int_equal(context_load(&s), 0);
		h = tpm_be32(host.rsp + 10);
		tb_reset(&p);
		tb_2b(&p, "def", 3);
		tb_u32(&p, TPM_RH_NULL);
		assert_int_equal(hcall(TPM_CC_SequenceComplete, &h, 1, 1, "", &p), 0);
		at = rsp_params_at(host.rsp, false);
		assert_int_equal(mbedtls_md_hmac(fx_md(TPM_ALG_SHA256), (const uint8_t *)"k", 1,
						 (const uint8_t *)"abcdef", 6, mac),
				 0);
		assert_memory_equal(host.rsp + at + 2, mac, 32);
		hflush(key);
	}
}

/* ---- the same flow on both TPMs, each with its own keys and blobs ---- */

static uint32_t xcall(bool r, uint32_t cc, const uint32_t *handles, unsigned nh, unsigned npw, const char *pw,
		      const struct tb *p)
{
	return r ? rcall(cc, handles, nh, npw, pw, p) : hcall(cc, handles, nh, npw, pw, p);
}

static const uint8_t *xrsp(bool r)
{
	return r ? ref.rsp : host.rsp;
}

/* A TPM2B from the response at *at (advanced past it) into t. */
static void xtake_2b(bool r, size_t *at, struct tb *t)
{
	uint16_t n = tpm_be16(xrsp(r) + *at);

	tb_reset(t);
	tb_bytes(t, xrsp(r) + *at, 2u + n);
	*at += 2u + n;
}

/* Create under parent: TPM2B_PRIVATE and TPM2B_PUBLIC as returned. */
static uint32_t xcreate(bool r, uint32_t parent, const struct tpm_public *tmpl, const char *auth,
			const void *data, size_t dlen, struct tb *priv, struct tb *pub)
{
	struct tb p;
	size_t at;
	uint32_t rc;

	create_params(&p, tmpl, auth, data, dlen, true);
	rc = xcall(r, TPM_CC_Create, &parent, 1, 1, "", &p);
	if (rc)
		return rc;
	at = rsp_params_at(xrsp(r), false);
	xtake_2b(r, &at, priv);
	xtake_2b(r, &at, pub);
	return rc;
}

static uint32_t xload(bool r, uint32_t parent, const struct tb *priv, const struct tb *pub, uint32_t *h)
{
	struct tb p;
	uint32_t rc;

	tb_reset(&p);
	tb_bytes(&p, priv->b, priv->n);
	tb_bytes(&p, pub->b, pub->n);
	rc = xcall(r, TPM_CC_Load, &parent, 1, 1, "", &p);
	*h = rc ? 0 : tpm_be32(xrsp(r) + 10);
	return rc;
}

static uint32_t xflush(bool r, uint32_t h)
{
	struct tb p;

	tb_reset(&p);
	tb_u32(&p, h);
	return xcall(r, TPM_CC_FlushContext, NULL, 0, 0, "", &p);
}

#define MAX_STEPS 64

/* Runs the flow on husk (r = false) and on libtpms, recording every
 * response code in rc[]; returns the number of steps. */
static unsigned dual_flow(bool r, uint32_t *rc)
{
	static const char secret[] = "sealed";
	struct tpm_public t;
	struct tb p, priv, pub, spriv, spub, bad;
	uint32_t hier = OWNER, nul = TPM_RH_NULL, parent, sealed, sign, h, hh[2];
	unsigned n = 0;
	size_t at;

	tmpl_ecc(&t, A_STORAGE, TPM_ALG_NULL, 0);
	create_params(&p, &t, "", NULL, 0, true);
	rc[n++] = xcall(r, TPM_CC_CreatePrimary, &hier, 1, 1, "", &p);
	parent = tpm_be32(xrsp(r) + 10);
	tmpl_keyedhash(&t, A_SEALED, TPM_ALG_NULL, 0);
	rc[n++] = xcreate(r, parent, &t, "pw", secret, sizeof(secret), &spriv, &spub);
	tmpl_ecc(&t, A_SIGNING, TPM_ALG_ECDSA, TPM_ALG_SHA256);
	rc[n++] = xcreate(r, parent, &t, "", NULL, 0, &priv, &pub);
	rc[n++] = xload(r, parent, &priv, &pub, &sign);
	/* QN(child) = H(QN(parent) || Name(child)) */
	{
		struct tpm2b_name pn, pqn, cn, cqn;
		struct tpm_public tp;
		struct tpm_r rr;
		uint8_t d[32];

		rc[n++] = xcall(r, TPM_CC_ReadPublic, &parent, 1, 0, "", NULL);
		tpm_r_init(&rr, xrsp(r) + 10, TPM_BUFFER_MAX - 10);
		assert_int_equal(tpm_r_2b_public(&rr, &tp, false), 0);
		assert_int_equal(tpm_r_name(&rr, &pn), 0);
		assert_int_equal(tpm_r_name(&rr, &pqn), 0);
		rc[n++] = xcall(r, TPM_CC_ReadPublic, &sign, 1, 0, "", NULL);
		tpm_r_init(&rr, xrsp(r) + 10, TPM_BUFFER_MAX - 10);
		assert_int_equal(tpm_r_2b_public(&rr, &tp, false), 0);
		assert_int_equal(tpm_r_name(&rr, &cn), 0);
		assert_int_equal(tpm_r_name(&rr, &cqn), 0);
		sha256(pqn.b, pqn.size, cn.b, cn.size, d);
		rc[n++] = cqn.size == 34 && !memcmp(cqn.b + 2, d, 32) ? 0 : 1;
	}

	/* Load errors (libtpms has 3 object slots: keep one free) */
	bad = priv;
	bad.b[bad.n - 3] ^= 4;
	rc[n++] = xload(r, parent, &bad, &pub, &h);
	rc[n++] = xload(r, parent, &priv, &spub, &h);
	rc[n++] = xload(r, sign, &priv, &pub, &h);
	tb_reset(&bad);
	tb_u16(&bad, 0);
	rc[n++] = xload(r, parent, &bad, &pub, &h);
	tb_reset(&bad);
	tb_u16(&bad, 2);
	tb_u16(&bad, 32);
	rc[n++] = xload(r, parent, &bad, &pub, &h);
	rc[n++] = xflush(r, sign);
	rc[n++] = xload(r, parent, &spriv, &spub, &sealed);

	/* Unseal */
	rc[n++] = xcall(r, TPM_CC_Unseal, &sealed, 1, 1, "pw", NULL);
	at = rsp_params_at(xrsp(r), false);
	rc[n++] = tpm_be16(xrsp(r) + at) == sizeof(secret) &&
				  !memcmp(xrsp(r) + at + 2, secret, sizeof(secret)) ? 0 : 1;
	rc[n++] = xcall(r, TPM_CC_Unseal, &sealed, 1, 1, "bad", NULL);
	rc[n++] = xcall(r, TPM_CC_Unseal, &parent, 1, 1, "", NULL);

	/* ObjectChangeAuth */
	hh[0] = sealed;
	hh[1] = sealed;
	tb_reset(&p);
	tb_2b(&p, "new", 3);
	rc[n++] = xcall(r, TPM_CC_ObjectChangeAuth, hh, 2, 1, "pw", &p);
	hh[1] = parent;
	rc[n++] = xcall(r, TPM_CC_ObjectChangeAuth, hh, 2, 1, "pw", &p);
	tb_reset(&p);
	tb_2b(&p, "0123456789abcdef0123456789abcdef!", 33);
	rc[n++] = xcall(r, TPM_CC_ObjectChangeAuth, hh, 2, 1, "pw", &p);
	tb_reset(&p);
	tb_2b(&p, "0123456789abcdef0123456789abcdef\0", 33);
	rc[n++] = xcall(r, TPM_CC_ObjectChangeAuth, hh, 2, 1, "pw", &p);
	hh[0] = parent;
	hh[1] = parent;
	rc[n++] = xcall(r, TPM_CC_ObjectChangeAuth, hh, 2, 1, "", &p);

	/* ReadPublic / ContextSave of a saved session, a replayed one */
	rc[n++] = xflush(r, sealed);
	{
		static const uint8_t nonce[16] = { 9 };
		uint32_t sh[2] = { TPM_RH_NULL, TPM_RH_NULL }, sess;
		struct tb ctx, ctx2;

		tb_reset(&p);
		tb_2b(&p, nonce, sizeof(nonce));
		tb_2b(&p, "", 0);
		tb_u8(&p, TPM_SE_HMAC);
		tb_u16(&p, TPM_ALG_NULL);
		tb_u16(&p, TPM_ALG_SHA256);
		rc[n++] = xcall(r, TPM_CC_StartAuthSession, sh, 2, 0, "", &p);
		sess = tpm_be32(xrsp(r) + 10);
		rc[n++] = xcall(r, TPM_CC_ContextSave, &sess, 1, 0, "", NULL);
		at = rsp_params_at(xrsp(r), false);
		tb_reset(&ctx);
		tb_bytes(&ctx, xrsp(r) + at, 16);
		at += 16;
		{
			struct tb blob;

			xtake_2b(r, &at, &blob);
			tb_bytes(&ctx, blob.b, blob.n);
		}
		rc[n++] = xcall(r, TPM_CC_ContextSave, &sess, 1, 0, "", NULL);
		ctx2 = ctx;
		ctx2.b[ctx2.n - 1] ^= 1;
		rc[n++] = xcall(r, TPM_CC_ContextLoad, NULL, 0, 0, "", &ctx2);
		rc[n++] = xcall(r, TPM_CC_ContextLoad, NULL, 0, 0, "", &ctx);
		rc[n++] = xcall(r, TPM_CC_ContextLoad, NULL, 0, 0, "", &ctx);
		rc[n++] = xflush(r, sess);
		rc[n++] = xflush(r, sess);
	}

	/* EvictControl of a NULL-hierarchy primary and of a child */
	tmpl_ecc(&t, A_SIGNING, TPM_ALG_ECDSA, TPM_ALG_SHA256);
	create_params(&p, &t, "", NULL, 0, true);
	rc[n++] = xcall(r, TPM_CC_CreatePrimary, &nul, 1, 1, "", &p);
	h = tpm_be32(xrsp(r) + 10);
	hh[0] = OWNER;
	hh[1] = h;
	tb_reset(&p);
	tb_u32(&p, 0x81000020);
	rc[n++] = xcall(r, TPM_CC_EvictControl, hh, 2, 1, "", &p);
	rc[n++] = xflush(r, h);
	rc[n++] = xflush(r, parent);
	return n;
}

static void test_dual_flows(void **state)
{
	static const uint32_t want[] = {
		0, 0, 0, 0, 0, 0, 0,
		RC_P(TPM_RC_INTEGRITY, 1), RC_P(TPM_RC_INTEGRITY, 1), RC_H(TPM_RC_TYPE, 1),
		RC_P(TPM_RC_SIZE, 1), RC_P(TPM_RC_INSUFFICIENT, 1), 0, 0,
		0, 0, RC_S(TPM_RC_BAD_AUTH, 1), RC_H(TPM_RC_TYPE, 1),
		RC_H(TPM_RC_TYPE, 2), 0, RC_P(TPM_RC_SIZE, 1), 0, RC_H(TPM_RC_TYPE, 2),
		0,
		0, 0, TPM_RC_REFERENCE_H0, RC_P(TPM_RC_INTEGRITY, 1), 0, RC_P(TPM_RC_HANDLE, 1), 0,
		RC_P(TPM_RC_HANDLE, 1),
		0, RC_H(TPM_RC_ATTRIBUTES, 2), 0, 0,
	};
	uint32_t h[MAX_STEPS], r[MAX_STEPS];
	unsigned nh, nr;

	(void)state;
	nh = dual_flow(false, h);
	nr = dual_flow(true, r);
	assert_int_equal(nh, nr);
	assert_int_equal(nh, sizeof(want) / sizeof(want[0]));
	for (unsigned i = 0; i < nh; i++) {
		if (h[i] != want[i] || r[i] != want[i])
			print_error("step %u: husk %03x libtpms %03x want %03x\n", i, h[i], r[i], want[i]);
	}
	for (unsigned i = 0; i < nh; i++) {
		assert_int_equal(h[i], want[i]);
		assert_int_equal(r[i], want[i]);
	}
}

/* ---- EvictControl ---- */

static uint32_t evict(uint32_t auth, uint32_t h, uint32_t ph)
{
	uint32_t hh[2] = { auth, h };
	struct tb p;

	tb_reset(&p);
	tb_u32(&p, ph);
	return hcall(TPM_CC_EvictControl, hh, 2, 1, "", &p);
}

static void evict_both(uint32_t auth, uint32_t h, uint32_t ph, uint32_t rc)
{
	uint32_t hh[2] = { auth, h };
	struct tb p;

	tb_reset(&p);
	tb_u32(&p, ph);
	both(TPM_CC_EvictControl, hh, 2, 1, &p, rc);
}

static void test_evict(void **state)
{
	struct tpm_public t, pub, pub2;
	struct tpm2b_name name, name2, qn, qn2;
	uint32_t hier = OWNER, h, hp, plat = TPM_RH_PLATFORM, ext;
	struct tb p, priv;

	(void)state;
	tmpl_ecc(&t, A_STORAGE, TPM_ALG_NULL, 0);
	create_params(&p, &t, "", NULL, 0, true);
	both(TPM_CC_CreatePrimary, &hier, 1, 1, &p, 0);
	h = tpm_be32(host.rsp + 10);
	read_public(h, &pub, &name, &qn);
	{
		uint8_t *blob;
		size_t len;

		assert_int_equal(tpm_state_save(host.tpm, &blob, &len), HUSK_OK);
		tpm_state_free(host.tpm, blob, len);
	}
	assert_false(tpm_nv_dirty(host.tpm));

	/* Range and hierarchy checks */
	evict_both(OWNER, h, 0x81800000, RC_P(TPM_RC_RANGE, 1));
	evict_both(TPM_RH_PLATFORM, h, 0x81800000, RC_H(TPM_RC_HIERARCHY, 2));
	evict_both(OWNER, h, 0x80000001, RC_P(TPM_RC_VALUE, 1));
	evict_both(OWNER, h, 0x81000001, 0);
	assert_true(tpm_nv_dirty(host.tpm));
	evict_both(OWNER, h, 0x81000001, TPM_RC_NV_DEFINED);
	hp = 0x81000001;
	read_public(hp, &pub2, &name2, &qn2);
	name_eq(&name, &name2);
	name_eq(&qn, &qn2);
	flush_both(h);
	/* The persistent key is a parent. */
	tmpl_ecc(&t, A_SIGNING, TPM_ALG_ECDSA, TPM_ALG_SHA256);
	create_child(hp, &t, "", NULL, 0, &priv, &pub2);
	h = load(hp, &priv, &pub2);
	/* An ordinary key can be made persistent too, and evicted by handle. */
	assert_int_equal(evict(OWNER, h, 0x81000002), 0);
	hflush(h);
	assert_int_equal(evict(OWNER, 0x81000002, 0x81000001), RC_H(TPM_RC_HANDLE, 2));
	assert_int_equal(evict(OWNER, 0x81000002, 0x81000002), 0);
	assert_int_equal(hcall(TPM_CC_ReadPublic, (uint32_t[]){ 0x81000002 }, 1, 0, "", NULL),
			 RC_H(TPM_RC_HANDLE, 1));
	/* The persistent object survives the NV state, in a new context. */
	{
		struct tpm_host other;
		uint8_t *blob, cmd[TPM_BUFFER_MAX];
		size_t len, n;
		uint32_t ph = hp;

		assert_int_equal(tpm_state_save(host.tpm, &blob, &len), HUSK_OK);
		assert_int_equal(tpm_host_init(&other, 0x42), 0);
		assert_int_equal(tpm_power_off(other.tpm), 0);
		assert_int_equal(tpm_state_load(other.tpm, blob, len), HUSK_OK);
		tpm_state_free(host.tpm, blob, len);
		assert_int_equal(tpm_power_on(other.tpm), 0);
		assert_int_equal(tpm_host_startup(&other, TPM_SU_CLEAR), 0);
		n = build(cmd, TPM_CC_ReadPublic, &ph, 1, 0, "", NULL);
		assert_int_equal(tpm_host_cmd(&other, cmd, n), 0);
		assert_memory_equal(other.rsp + 10 + 2 + tpm_be16(other.rsp + 10) + 2, name.b, name.size);
		tpm_host_fini(&other);
	}
	/* Temporary objects cannot be persistent. */
	fx_keyedhash(&p, "hmac key", 8, A_USER | A_SIGN, TPM_ALG_HMAC, TPM_ALG_SHA256, TPM_RH_NULL, true);
	both(TPM_CC_LoadExternal, NULL, 0, 0, &p, 0);
	ext = tpm_be32(host.rsp + 10);
	evict_both(OWNER, ext, 0x81000003, RC_H(TPM_RC_ATTRIBUTES, 2));
	flush_both(ext);
	/* A platform object: not for the owner, only in the platform range */
	tmpl_ecc(&t, A_STORAGE, TPM_ALG_NULL, 0);
	create_params(&p, &t, "", NULL, 0, true);
	both(TPM_CC_CreatePrimary, &plat, 1, 1, &p, 0);
	h = tpm_be32(host.rsp + 10);
	evict_both(OWNER, h, 0x81000005, RC_H(TPM_RC_HIERARCHY, 2));
	evict_both(TPM_RH_PLATFORM, h, 0x81000005, RC_P(TPM_RC_RANGE, 1));
	evict_both(TPM_RH_PLATFORM, h, 0x81800005, 0);
	evict_both(OWNER, 0x81800005, 0x81800005, RC_H(TPM_RC_HIERARCHY, 2));
	evict_both(TPM_RH_PLATFORM, 0x81800005, 0x81800005, 0);
	/* The platform may remove the owner's. */
	evict_both(TPM_RH_PLATFORM, 0x81000001, 0x81000001, 0);
	assert_int_equal(hcall(TPM_CC_ReadPublic, &hp, 1, 0, "", NULL), RC_H(TPM_RC_HANDLE, 1));
	flush_both(h);
	/* Full */
	{
		tmpl_ecc(&t, A_STORAGE, TPM_ALG_NULL, 0);
		h = create_primary(OWNER, &t, "", &pub, &name);
		for (uint32_t i = 0; i < TPM_MAX_PERSISTENT; i++)
			assert_int_equal(evict(OWNER, h, 0x81000100 + i), 0);
		assert_int_equal(evict(OWNER, h, 0x81000200), TPM_RC_NV_SPACE);
		assert_int_equal(evict(OWNER, 0x81000105, 0x81000105), 0);
		assert_int_equal(evict(OWNER, h, 0x81000200), 0);
		hflush(h);
	}
}

static void test_object_memory(void **state)
{
	struct tpm_public t, pub;
	struct tpm2b_name name;
	uint32_t hier = OWNER;
	struct tb p;

	(void)state;
	tmpl_ecc(&t, A_SIGNING, TPM_ALG_ECDSA, TPM_ALG_SHA256);
	for (unsigned i = 0; i < TPM_MAX_OBJECTS; i++)
		assert_int_equal(create_primary(OWNER, &t, "", &pub, &name), TPM_HR_TRANSIENT + i);
	create_params(&p, &t, "", NULL, 0, true);
	assert_int_equal(hcall(TPM_CC_CreatePrimary, &hier, 1, 1, "", &p), TPM_RC_OBJECT_MEMORY);
	tb_reset(&p);
	tb_u16(&p, 0);
	tb_public(&p, &pub);
	tb_u32(&p, OWNER);
	assert_int_equal(hcall(TPM_CC_LoadExternal, NULL, 0, 0, "", &p), TPM_RC_OBJECT_MEMORY);
	hflush(TPM_HR_TRANSIENT + 3);
	assert_int_equal(create_primary(OWNER, &t, "", &pub, &name), TPM_HR_TRANSIENT + 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_primary_ecc, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_primary_rsa, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_create_load_sign, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_sealed_and_change_auth, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_tampered_private, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_template_errors, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_create_errors, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_create_loaded, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_load_external, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_context_objects, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_context_sessions, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_context_sequences, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_dual_flows, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_evict, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_object_memory, setup, fx_teardown),
	};
	return cmocka_run_group_tests_name("tpm_object", tests, NULL, NULL);
}
