/* Unit tests for the KBS session (kbs_session.c) against a fake KBS behind
 * the transport callback.  The fake behaves as Trustee does (docs/kbs.md):
 * it checks the Request, issues a 32-byte nonce, verifies the Attestation
 * the way the sample verifier does (nonce echoed, runtime data rebuilt in
 * JCS order from the received key, SHA-384 equal to report_data), and
 * answers resource GETs with a JWE to the received key, built here with
 * mbedTLS directly.  Scripted variations cover every error path: status
 * codes, RFC 7807 bodies, oversized and malformed bodies, a misbehaving
 * transport, evidence callbacks, the RNG, and tampered JWEs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "husk/err.h"
#include "kbs/kbs.h"
#include "kbs/kbs_b64.h"
#include "kbs/kbs_json.h"

#include "mbedtls/ecdh.h"
#include "mbedtls/ecp.h"
#include "mbedtls/gcm.h"
#include "mbedtls/nist_kw.h"
#include "mbedtls/sha256.h"
#include "mbedtls/sha512.h"

#define ERR_TYPE "https://github.com/confidential-containers/kbs/errors/"

/* ---- RNG (reproducible; tests only) ---- */

static int rng_fail_after = -1; /* fail once this many calls have succeeded; -1: never */
static int rng_calls;

static int test_rng(void *ctx, unsigned char *out, size_t len)
{
	static uint64_t s = 0x853c49e6748fea9bull;

	(void)ctx;
	if (rng_fail_after >= 0 && rng_calls >= rng_fail_after)
		return -1;
	rng_calls++;
	for (size_t i = 0; i < len; i++) {
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		out[i] = (unsigned char)s;
	}
	return 0;
}

/* ---- The fake KBS ---- */

struct resource {
	const char *path;
	const uint8_t *data;
	size_t len;
};

static uint8_t vtpm_key[32];
static uint8_t big_blob[3000];
static const struct resource resources[] = {
	{ "default/key/vtpm", vtpm_key, sizeof(vtpm_key) },
	{ "default/big/blob", big_blob, sizeof(big_blob) },
	{ "my_repo/type.1/tag-2.x", (const uint8_t *)"hello", 5 },
};

enum tamper { TAMPER_NONE, TAMPER_TAG, TAMPER_PROTECTED_ORDER, TAMPER_EPK_CURVE };

struct fake {
	/* script: 0 / NULL means "behave like Trustee" */
	uint16_t auth_status, attest_status, res_status;
	const char *auth_body, *attest_body, *res_body;
	size_t auth_body_len; /* for bodies with NUL bytes or exact sizes */
	int transport_rc;     /* returned instead of answering */
	const char *rc_path;  /* only for this path (NULL: all) */
	size_t overreport;    /* added to *rsp_len after a valid answer */
	enum tamper tamper;
	/* state */
	char nonce[64];
	bool attested;
	int auth_calls, attest_calls, res_calls;
	char crv[8];
	uint8_t x[66], y[66];
	size_t fl;
	char last_method[8], last_path[300];
	char request[256];
	char why[160]; /* the fake's reason for refusing an Attestation */
};

static struct fake fk;

static size_t put(uint8_t *rsp, size_t max, uint16_t *status, uint16_t code, const char *body, size_t n,
		  int *rc)
{
	*status = code;
	if (n > max) {
		*rc = HUSK_ERR_RANGE; /* the transport contract: never truncate */
		return 0;
	}
	memcpy(rsp, body, n);
	return n;
}

static size_t put_error(uint8_t *rsp, size_t max, uint16_t *status, uint16_t code, const char *type,
			const char *detail, int *rc)
{
	char body[512];
	int n = snprintf(body, sizeof(body), "{\"type\":\"" ERR_TYPE "%s\",\"detail\":\"%s\"}", type, detail);

	return put(rsp, max, status, code, body, (size_t)n, rc);
}

static bool refuse(const char *why)
{
	snprintf(fk.why, sizeof(fk.why), "%s", why);
	return false;
}

/* The sample verifier's checks on an Attestation. */
static bool verify_attestation(const char *body, size_t len)
{
	struct kbs_json doc;
	struct kbs_error err;
	char nonce[64], kty[8], alg[32], x[100], y[100], add[64], rd[100], svn[8], text[512];
	uint8_t digest[48], got[64];
	size_t n, xl, yl;
	int rdata, pk, te, ev, v;

	if (kbs_json_parse(&doc, "fake", body, len, &err) != HUSK_OK)
		return refuse(err.msg);
	if (kbs_json_object(&doc, 0, "attestation", &err) != HUSK_OK || kbs_json_find(&doc, 0, "init-data") >= 0 ||
	    kbs_json_member(&doc, 0, "runtime-data", &rdata, &err) != HUSK_OK ||
	    kbs_json_member(&doc, 0, "tee-evidence", &te, &err) != HUSK_OK ||
	    kbs_json_member(&doc, rdata, "tee-pubkey", &pk, &err) != HUSK_OK ||
	    kbs_json_member(&doc, te, "primary_evidence", &ev, &err) != HUSK_OK)
		return refuse("attestation layout");
	if (kbs_json_member_string(&doc, rdata, "nonce", nonce, sizeof(nonce), &n, &err) != HUSK_OK ||
	    strcmp(nonce, fk.nonce) != 0)
		return refuse("nonce mismatch");
	if (kbs_json_member_string(&doc, pk, "kty", kty, sizeof(kty), &n, &err) != HUSK_OK || strcmp(kty, "EC") ||
	    kbs_json_member_string(&doc, pk, "alg", alg, sizeof(alg), &n, &err) != HUSK_OK ||
	    strcmp(alg, "ECDH-ES+A256KW") ||
	    kbs_json_member_string(&doc, pk, "crv", fk.crv, sizeof(fk.crv), &n, &err) != HUSK_OK ||
	    kbs_json_member_string(&doc, pk, "x", x, sizeof(x), &xl, &err) != HUSK_OK ||
	    kbs_json_member_string(&doc, pk, "y", y, sizeof(y), &yl, &err) != HUSK_OK)
		return refuse("tee-pubkey");
	fk.fl = !strcmp(fk.crv, "P-256") ? 32 : !strcmp(fk.crv, "P-521") ? 66 : 0;
	if (!fk.fl || kbs_b64url_decode(x, xl, fk.x, fk.fl, &n) != HUSK_OK || n != fk.fl ||
	    kbs_b64url_decode(y, yl, fk.y, fk.fl, &n) != HUSK_OK || n != fk.fl)
		return refuse("tee-pubkey coordinates");
	if (kbs_json_member_string(&doc, te, "additional_evidence", add, sizeof(add), &n, &err) != HUSK_OK)
		return refuse("additional_evidence");
	/* Trustee re-serialises the key and hashes the JCS form. */
	snprintf(text, sizeof(text),
		 "{\"additional-evidence\":\"%s\",\"nonce\":\"%s\",\"tee-pubkey\":{\"alg\":\"%s\",\"crv\":\"%s\","
		 "\"kty\":\"%s\",\"x\":\"%s\",\"y\":\"%s\"}}",
		 add, nonce, alg, fk.crv, kty, x, y);
	mbedtls_sha512((const unsigned char *)text, strlen(text), digest, 1);
	if (kbs_json_type(&doc, ev) != KBS_JSON_OBJECT || kbs_json_object(&doc, ev, "evidence", &err) != HUSK_OK)
		return refuse("evidence not an object");
	v = kbs_json_find(&doc, ev, "svn");
	if (v < 0 || kbs_json_string(&doc, v, "svn", svn, sizeof(svn), &n, &err) != HUSK_OK)
		return refuse("svn");
	if (kbs_json_member_string(&doc, ev, "report_data", rd, sizeof(rd), &n, &err) != HUSK_OK ||
	    kbs_b64_decode(rd, n, got, sizeof(got), &n) != HUSK_OK || n != 48 || memcmp(got, digest, 48) != 0)
		return refuse("report_data does not match the runtime data");
	return true;
}

static void put_be32(uint8_t *b, uint32_t v)
{
	b[0] = (uint8_t)(v >> 24);
	b[1] = (uint8_t)(v >> 16);
	b[2] = (uint8_t)(v >> 8);
	b[3] = (uint8_t)v;
}

/* Trustee's JWE to the client's key, written here with mbedTLS. */
static size_t make_jwe(const uint8_t *pt, size_t n, char *out, size_t max)
{
	mbedtls_ecp_group grp;
	mbedtls_ecp_point q, qe;
	mbedtls_mpi d, z;
	mbedtls_gcm_context gcm;
	mbedtls_nist_kw_context kw;
	uint8_t pt_buf[1 + 2 * 66], zb[66], kdf_in[4 + 66 + 4 + 14 + 12], kek[32], cek[32], iv[12], ek[40],
		tag[16], ex[66], ey[66];
	static uint8_t ct[4096];
	static char header[512], prot[700], ct_b64[6000];
	char ek_b64[64], iv_b64[32], tag_b64[32], xb[100], yb[100];
	const char *crv = fk.crv;
	size_t fl = fk.fl, olen, m, k = 0;

	assert_true(n <= sizeof(ct));
	mbedtls_ecp_group_init(&grp);
	mbedtls_ecp_point_init(&q);
	mbedtls_ecp_point_init(&qe);
	mbedtls_mpi_init(&d);
	mbedtls_mpi_init(&z);
	assert_int_equal(mbedtls_ecp_group_load(&grp, fl == 32 ? MBEDTLS_ECP_DP_SECP256R1 : MBEDTLS_ECP_DP_SECP521R1), 0);
	pt_buf[0] = 4;
	memcpy(pt_buf + 1, fk.x, fl);
	memcpy(pt_buf + 1 + fl, fk.y, fl);
	assert_int_equal(mbedtls_ecp_point_read_binary(&grp, &q, pt_buf, 1 + 2 * fl), 0);
	assert_int_equal(mbedtls_ecp_check_pubkey(&grp, &q), 0);
	assert_int_equal(mbedtls_ecp_gen_keypair(&grp, &d, &qe, test_rng, NULL), 0);
	assert_int_equal(mbedtls_ecdh_compute_shared(&grp, &z, &q, &d, test_rng, NULL), 0);
	assert_int_equal(mbedtls_mpi_write_binary(&z, zb, fl), 0);
	assert_int_equal(mbedtls_ecp_point_write_binary(&grp, &qe, MBEDTLS_ECP_PF_UNCOMPRESSED, &olen, pt_buf,
							 sizeof(pt_buf)),
			 0);
	memcpy(ex, pt_buf + 1, fl);
	memcpy(ey, pt_buf + 1 + fl, fl);
	/* KEK: one round of the Concat KDF, laid out by hand. */
	put_be32(kdf_in + k, 1), k += 4;
	memcpy(kdf_in + k, zb, fl), k += fl;
	put_be32(kdf_in + k, 14), k += 4;
	memcpy(kdf_in + k, "ECDH-ES+A256KW", 14), k += 14;
	put_be32(kdf_in + k, 0), k += 4;
	put_be32(kdf_in + k, 0), k += 4;
	put_be32(kdf_in + k, 256), k += 4;
	assert_int_equal(mbedtls_sha256(kdf_in, k, kek, 0), 0);
	test_rng(NULL, cek, sizeof(cek));
	test_rng(NULL, iv, sizeof(iv));
	mbedtls_nist_kw_init(&kw);
	assert_int_equal(mbedtls_nist_kw_setkey(&kw, MBEDTLS_CIPHER_ID_AES, kek, 256, 1), 0);
	assert_int_equal(mbedtls_nist_kw_wrap(&kw, MBEDTLS_KW_MODE_KW, cek, 32, ek, &olen, sizeof(ek)), 0);
	assert_int_equal(olen, 40);
	mbedtls_nist_kw_free(&kw);

	assert_int_equal(kbs_b64url_encode(ex, fl, xb, sizeof(xb), &m), HUSK_OK);
	assert_int_equal(kbs_b64url_encode(ey, fl, yb, sizeof(yb), &m), HUSK_OK);
	if (fk.tamper == TAMPER_EPK_CURVE)
		crv = fl == 32 ? "P-521" : "P-256";
	snprintf(header, sizeof(header),
		 "{\"alg\":\"ECDH-ES+A256KW\",\"enc\":\"A256GCM\",\"epk\":{\"crv\":\"%s\",\"kty\":\"EC\",\"x\":\"%s\","
		 "\"y\":\"%s\"}}",
		 crv, xb, yb);
	assert_int_equal(kbs_b64url_encode((const uint8_t *)header, strlen(header), prot, sizeof(prot), &m), HUSK_OK);
	mbedtls_gcm_init(&gcm);
	assert_int_equal(mbedtls_gcm_setkey(&gcm, MBEDTLS_CIPHER_ID_AES, cek, 256), 0);
	assert_int_equal(mbedtls_gcm_crypt_and_tag(&gcm, MBEDTLS_GCM_ENCRYPT, n, iv, 12, (const uint8_t *)prot,
						   strlen(prot), pt, ct, 16, tag),
			 0);
	mbedtls_gcm_free(&gcm);
	if (fk.tamper == TAMPER_TAG)
		tag[3] ^= 0x40;
	if (fk.tamper == TAMPER_PROTECTED_ORDER) {
		/* Same header content, other member order: a different AAD. */
		snprintf(header, sizeof(header),
			 "{\"enc\":\"A256GCM\",\"alg\":\"ECDH-ES+A256KW\",\"epk\":{\"crv\":\"%s\",\"kty\":\"EC\","
			 "\"x\":\"%s\",\"y\":\"%s\"}}",
			 crv, xb, yb);
		assert_int_equal(kbs_b64url_encode((const uint8_t *)header, strlen(header), prot, sizeof(prot), &m),
				 HUSK_OK);
	}
	assert_int_equal(kbs_b64url_encode(ek, 40, ek_b64, sizeof(ek_b64), &m), HUSK_OK);
	assert_int_equal(kbs_b64url_encode(iv, 12, iv_b64, sizeof(iv_b64), &m), HUSK_OK);
	assert_int_equal(kbs_b64url_encode(tag, 16, tag_b64, sizeof(tag_b64), &m), HUSK_OK);
	assert_int_equal(kbs_b64url_encode(ct, n, ct_b64, sizeof(ct_b64), &m), HUSK_OK);
	m = (size_t)snprintf(out, max,
			     "{\"protected\":\"%s\",\"encrypted_key\":\"%s\",\"iv\":\"%s\",\"ciphertext\":\"%s\","
			     "\"tag\":\"%s\"}",
			     prot, ek_b64, iv_b64, ct_b64, tag_b64);
	assert_true(m < max);
	mbedtls_mpi_free(&d);
	mbedtls_mpi_free(&z);
	mbedtls_ecp_point_free(&q);
	mbedtls_ecp_point_free(&qe);
	mbedtls_ecp_group_free(&grp);
	return m;
}

static int fake_exchange(void *ctx, const char *method, const char *path, const uint8_t *body, size_t body_len,
			 uint16_t *status, uint8_t *rsp, size_t rsp_max, size_t *rsp_len)
{
	static char text[40000];
	int rc = HUSK_OK;
	size_t n = 0;

	assert_ptr_equal(ctx, &fk);
	snprintf(fk.last_method, sizeof(fk.last_method), "%s", method);
	snprintf(fk.last_path, sizeof(fk.last_path), "%s", path);
	*rsp_len = 0;
	if (fk.transport_rc && (!fk.rc_path || !strcmp(fk.rc_path, path)))
		return fk.transport_rc;

	if (!strcmp(path, "/kbs/v0/auth")) {
		fk.auth_calls++;
		assert_string_equal(method, "POST");
		assert_true(body_len < sizeof(fk.request));
		memcpy(fk.request, body, body_len);
		fk.request[body_len] = '\0';
		fk.attested = false;
		if (fk.auth_body) {
			n = put(rsp, rsp_max, status, fk.auth_status ? fk.auth_status : 200, fk.auth_body,
				fk.auth_body_len ? fk.auth_body_len : strlen(fk.auth_body), &rc);
		} else if (fk.auth_status && fk.auth_status != 200) {
			n = put_error(rsp, rsp_max, status, fk.auth_status, "AttestationError",
				      "KBS Client Protocol Version Mismatch", &rc);
		} else {
			uint8_t raw[32];
			size_t l;

			test_rng(NULL, raw, sizeof(raw));
			assert_int_equal(kbs_b64_encode(raw, 32, fk.nonce, sizeof(fk.nonce), &l), HUSK_OK);
			snprintf(text, sizeof(text), "{\"nonce\":\"%s\",\"extra-params\":\"\"}", fk.nonce);
			n = put(rsp, rsp_max, status, 200, text, strlen(text), &rc);
		}
	} else if (!strcmp(path, "/kbs/v0/attest")) {
		fk.attest_calls++;
		assert_string_equal(method, "POST");
		if (fk.attest_body) {
			n = put(rsp, rsp_max, status, fk.attest_status ? fk.attest_status : 200, fk.attest_body,
				strlen(fk.attest_body), &rc);
		} else if (!verify_attestation((const char *)body, body_len)) {
			n = put_error(rsp, rsp_max, status, 401, "AttestationError", fk.why, &rc);
		} else if (fk.attest_status) {
			n = put_error(rsp, rsp_max, status, fk.attest_status, "AttestationError", "scripted", &rc);
		} else {
			fk.attested = true;
			static const char token[] = "{\"token\":\"eyJhbGciOiJFUzI1NiJ9.e30.c2ln\"}";

			n = put(rsp, rsp_max, status, 200, token, sizeof(token) - 1, &rc);
		}
	} else if (!strncmp(path, "/kbs/v0/resource/", 17)) {
		const struct resource *r = NULL;

		fk.res_calls++;
		assert_string_equal(method, "GET");
		assert_null(body);
		assert_int_equal(body_len, 0);
		for (size_t i = 0; i < sizeof(resources) / sizeof(resources[0]); i++)
			if (!strcmp(path + 17, resources[i].path))
				r = &resources[i];
		if (fk.res_body)
			n = put(rsp, rsp_max, status, fk.res_status ? fk.res_status : 200, fk.res_body,
				strlen(fk.res_body), &rc);
		else if (!fk.attested)
			n = put_error(rsp, rsp_max, status, 401, "TokenNotFound", "no token", &rc);
		else if (fk.res_status)
			n = put_error(rsp, rsp_max, status, fk.res_status, "PolicyDeny", "denied by policy", &rc);
		else if (!r)
			n = put_error(rsp, rsp_max, status, 401, "PluginInternalError", "resource not found", &rc);
		else
			n = put(rsp, rsp_max, status, 200, text, make_jwe(r->data, r->len, text, sizeof(text)), &rc);
	} else {
		n = put_error(rsp, rsp_max, status, 404, "InvalidRequestPath", "no such path", &rc);
	}
	*rsp_len = n + fk.overreport;
	return rc;
}

/* ---- fixtures ---- */

static struct kbs_session *sess;
static const struct kbs_transport transport = { fake_exchange, &fk };

static int setup(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(vtpm_key); i++)
		vtpm_key[i] = (uint8_t)(0xc0 + i);
	for (size_t i = 0; i < sizeof(big_blob); i++)
		big_blob[i] = (uint8_t)(i * 7);
	return 0;
}

static int each_setup(void **state)
{
	(void)state;
	memset(&fk, 0, sizeof(fk));
	rng_fail_after = -1;
	rng_calls = 0;
	sess = malloc(sizeof(*sess));
	if (!sess || kbs_session_init(sess, &transport, test_rng, NULL) != HUSK_OK)
		return -1;
	return 0;
}

static int each_teardown(void **state)
{
	(void)state;
	kbs_session_wipe(sess);
	free(sess);
	sess = NULL;
	return 0;
}

static const struct kbs_attest_params sample_p256 = { "sample", KBS_CURVE_P256, kbs_evidence_sample, NULL };

static int attest(const struct kbs_attest_params *p, struct kbs_error *err)
{
	memset(err, 0, sizeof(*err));
	return kbs_attest(sess, p, err);
}

static void expect_attest(const struct kbs_attest_params *p, int rc, enum kbs_ecode code, const char *msg)
{
	struct kbs_error err;

	if (attest(p, &err) != rc || err.code != code)
		fail_msg("attest: %s (%s), expected %s", kbs_ecode_name(err.code), err.msg, kbs_ecode_name(code));
	if (msg && strcmp(err.msg, msg) != 0)
		fail_msg("message \"%s\", expected \"%s\"", err.msg, msg);
	assert_false(sess->attested);
	assert_false(sess->key.valid);
}

static int get(const char *path, uint8_t *out, size_t max, size_t *n, struct kbs_error *err)
{
	memset(err, 0, sizeof(*err));
	return kbs_get_resource(sess, path, out, max, n, err);
}

/* ---- the good path ---- */

static void test_full_session(void **state)
{
	static uint8_t out[4096];
	struct kbs_error err;
	uint8_t first_x[66];
	size_t n;

	(void)state;
	assert_int_equal(attest(&sample_p256, &err), HUSK_OK);
	assert_true(sess->attested);
	assert_string_equal(fk.request, "{\"version\":\"0.4.0\",\"tee\":\"sample\",\"extra-params\":\"\"}");
	assert_int_equal(fk.auth_calls, 1);
	assert_int_equal(fk.attest_calls, 1);
	assert_string_equal(fk.crv, "P-256");
	assert_memory_equal(fk.x, sess->key.x, 32);

	/* Several resources with the same key. */
	for (int round = 0; round < 2; round++) {
		assert_int_equal(get("default/key/vtpm", out, sizeof(out), &n, &err), HUSK_OK);
		assert_int_equal(n, sizeof(vtpm_key));
		assert_memory_equal(out, vtpm_key, n);
		assert_string_equal(fk.last_method, "GET");
		assert_string_equal(fk.last_path, "/kbs/v0/resource/default/key/vtpm");
	}
	assert_int_equal(get("default/big/blob", out, sizeof(out), &n, &err), HUSK_OK);
	assert_int_equal(n, sizeof(big_blob));
	assert_memory_equal(out, big_blob, n);
	assert_int_equal(get("my_repo/type.1/tag-2.x", out, sizeof(out), &n, &err), HUSK_OK);
	assert_int_equal(n, 5);
	assert_memory_equal(out, "hello", 5);
	assert_int_equal(fk.res_calls, 4);

	/* A new attestation makes a new key; resources follow it. */
	memcpy(first_x, sess->key.x, 32);
	assert_int_equal(attest(&sample_p256, &err), HUSK_OK);
	assert_memory_not_equal(first_x, sess->key.x, 32);
	assert_int_equal(get("default/key/vtpm", out, sizeof(out), &n, &err), HUSK_OK);
	assert_memory_equal(out, vtpm_key, n);

	/* Wiping ends it. */
	kbs_session_wipe(sess);
	for (size_t i = 0; i < sizeof(*sess); i++)
		if (((uint8_t *)sess)[i])
			fail_msg("byte %zu not wiped", i);
	assert_int_equal(get("default/key/vtpm", out, sizeof(out), &n, &err), HUSK_ERR_INVAL);
	assert_int_equal(err.code, KBS_E_STATE);
}

static void test_p521_with_measurement(void **state)
{
	static const struct kbs_sample_evidence extra = { "husk-measurement", "0123456789abcdef" };
	const struct kbs_attest_params p = { "sample", KBS_CURVE_P521, kbs_evidence_sample, (void *)&extra };
	uint8_t out[64];
	struct kbs_error err;
	size_t n;

	(void)state;
	assert_int_equal(attest(&p, &err), HUSK_OK);
	assert_string_equal(fk.crv, "P-521");
	assert_int_equal(get("default/key/vtpm", out, sizeof(out), &n, &err), HUSK_OK);
	assert_memory_equal(out, vtpm_key, sizeof(vtpm_key));
}

/* The largest evidence the callback may write still goes through. */
static int big_evidence(void *ctx, const uint8_t digest[KBS_DIGEST_BYTES], char *out, size_t out_max,
			size_t *out_len, struct kbs_error *err)
{
	size_t n;

	(void)ctx;
	assert_int_equal(out_max, KBS_EVIDENCE_MAX);
	assert_int_equal(kbs_evidence_sample(NULL, digest, out, out_max, &n, err), HUSK_OK);
	/* Replace the closing brace with a padding member up to out_max. */
	n--;
	n += (size_t)sprintf(out + n, ",\"pad\":\"");
	memset(out + n, 'p', out_max - n - 2);
	out[out_max - 2] = '"';
	out[out_max - 1] = '}';
	*out_len = out_max;
	return HUSK_OK;
}

static void test_largest_evidence(void **state)
{
	const struct kbs_attest_params p = { "sample", KBS_CURVE_P256, big_evidence, NULL };
	struct kbs_error err;

	(void)state;
	assert_int_equal(attest(&p, &err), HUSK_OK);
	assert_true(sess->attested);
}

/* ---- /auth ---- */

static void test_auth_errors(void **state)
{
	static const uint16_t odd_status[] = { 201, 204, 302, 400, 403, 500, 503 };
	static char exact[KBS_RSP_MAX + 1];
	char body[128];

	(void)state;
	fk.auth_status = 401;
	expect_attest(&sample_p256, HUSK_ERR_IO, KBS_E_HTTP,
		      "kbs: /auth answered 401: AttestationError: KBS Client Protocol Version Mismatch");
	assert_int_equal(fk.attest_calls, 0);

	fk.auth_status = 404;
	fk.auth_body = "";
	expect_attest(&sample_p256, HUSK_ERR_NOTFOUND, KBS_E_HTTP, "kbs: /auth answered 404 (no body)");
	fk.auth_status = 500;
	fk.auth_body = "<html>Internal Server Error</html>";
	expect_attest(&sample_p256, HUSK_ERR_IO, KBS_E_HTTP, "kbs: /auth answered 500 (body is not an RFC 7807 error)");
	/* A good challenge with any status but 200 is refused. */
	snprintf(body, sizeof(body), "{\"nonce\":\"%s\",\"extra-params\":\"\"}",
		 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=");
	fk.auth_body = body;
	for (size_t i = 0; i < sizeof(odd_status) / sizeof(odd_status[0]); i++) {
		fk.auth_status = odd_status[i];
		expect_attest(&sample_p256, odd_status[i] == 404 ? HUSK_ERR_NOTFOUND : HUSK_ERR_IO, KBS_E_HTTP, NULL);
	}
	fk.auth_status = 0;
	fk.auth_body = "";
	expect_attest(&sample_p256, HUSK_ERR_FORMAT, KBS_E_RSP_SIZE, "kbs: /auth: empty response");
	fk.auth_body = "{\"nonce\":\"42\",\"extra-params\":\"\"}";
	expect_attest(&sample_p256, HUSK_ERR_FORMAT, KBS_E_NONCE, NULL);
	fk.auth_body = "{\"nonce\":\"AAECAwQFBgcICQoLDA0ODw==\",\"extra-params\":\"\"}"; /* 16 bytes */
	expect_attest(&sample_p256, HUSK_ERR_FORMAT, KBS_E_NONCE, NULL);
	fk.auth_body = "{\"nonce\":\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\"";
	expect_attest(&sample_p256, HUSK_ERR_FORMAT, KBS_E_JSON, NULL);
	fk.auth_body = "{\"nonce\":\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\",\"extra-params\":{"
		       "\"selected-hash-algorithm\":\"sha512\"}}";
	expect_attest(&sample_p256, HUSK_ERR_UNSUPPORTED, KBS_E_HASH_ALG, NULL);
	assert_int_equal(fk.attest_calls, 0);

	/* A body of exactly KBS_RSP_MAX bytes is read; one more is refused. */
	memset(exact, ' ', sizeof(exact));
	memcpy(exact, body, strlen(body));
	fk.auth_body = exact;
	fk.auth_body_len = KBS_RSP_MAX;
	assert_int_equal(attest(&sample_p256, &(struct kbs_error){ 0 }), HUSK_ERR_IO); /* nonce mismatch at the fake */
	assert_int_equal(fk.attest_calls, 1);
	fk.auth_body_len = KBS_RSP_MAX + 1;
	expect_attest(&sample_p256, HUSK_ERR_RANGE, KBS_E_RSP_SIZE, "kbs: /auth: response larger than 32768 bytes");
}

/* ---- /attest ---- */

static void test_attest_errors(void **state)
{
	static const struct {
		const char *body;
		enum kbs_ecode code;
	} bad_200[] = {
		{ "{\"token\":\"\"}", KBS_E_TOKEN },
		{ "{\"token\":42}", KBS_E_TOKEN },
		{ "{\"tok\":\"x\"}", KBS_E_TOKEN },
		{ "{\"token\":\"a\",\"token\":\"b\"}", KBS_E_SCHEMA },
		{ "test-token", KBS_E_JSON },
	};
	uint8_t out[64];
	struct kbs_error err;
	size_t n;

	(void)state;
	fk.attest_status = 401;
	expect_attest(&sample_p256, HUSK_ERR_IO, KBS_E_HTTP, "kbs: /attest answered 401: AttestationError: scripted");
	assert_int_equal(get("default/key/vtpm", out, sizeof(out), &n, &err), HUSK_ERR_INVAL);
	assert_int_equal(err.code, KBS_E_STATE);
	assert_int_equal(fk.res_calls, 0);
	fk.attest_status = 0;
	for (size_t i = 0; i < sizeof(bad_200) / sizeof(bad_200[0]); i++) {
		fk.attest_body = bad_200[i].body;
		expect_attest(&sample_p256, HUSK_ERR_FORMAT, bad_200[i].code, NULL);
	}
	/* An RFC 7807 body with odd characters is cleaned for the log. */
	fk.attest_status = 403;
	fk.attest_body = "{\"detail\":\"line1\\nline2\\u0000\"}";
	expect_attest(&sample_p256, HUSK_ERR_IO, KBS_E_HTTP, "kbs: /attest answered 403 (body is not an RFC 7807 error)");
	fk.attest_body = "{\"detail\":\"line1\\nline2 \\u00e9\"}";
	expect_attest(&sample_p256, HUSK_ERR_IO, KBS_E_HTTP, "kbs: /attest answered 403: line1?line2 ?");
}

static void test_transport_errors(void **state)
{
	(void)state;
	fk.transport_rc = HUSK_ERR_IO;
	expect_attest(&sample_p256, HUSK_ERR_IO, KBS_E_TRANSPORT, "kbs: /auth: transport failed: I/O error");
	fk.transport_rc = HUSK_ERR_TIMEOUT;
	fk.rc_path = "/kbs/v0/attest";
	expect_attest(&sample_p256, HUSK_ERR_IO, KBS_E_TRANSPORT, "kbs: /attest: transport failed: timeout");
	fk.transport_rc = HUSK_ERR_RANGE;
	expect_attest(&sample_p256, HUSK_ERR_RANGE, KBS_E_RSP_SIZE, "kbs: /attest: response larger than 32768 bytes");
	fk.transport_rc = 0;
	fk.rc_path = NULL;
	fk.overreport = KBS_RSP_MAX;
	expect_attest(&sample_p256, HUSK_ERR_IO, KBS_E_TRANSPORT, NULL);
}

/* ---- evidence and RNG ---- */

static int failing_evidence(void *ctx, const uint8_t digest[KBS_DIGEST_BYTES], char *out, size_t out_max,
			    size_t *out_len, struct kbs_error *err)
{
	int mode = *(const int *)ctx;

	(void)digest;
	*out_len = 0;
	switch (mode) {
	case 0:
		snprintf(err->msg, sizeof(err->msg), "SNP guest request failed");
		return HUSK_ERR_IO;
	case 1:
		return HUSK_ERR_NOMEM;
	case 2:
		*out_len = out_max + 1;
		return HUSK_OK;
	case 3:
		memcpy(out, "{\"a\":\"\0\"}", 9);
		*out_len = 9;
		return HUSK_OK;
	default:
		return HUSK_OK; /* nothing written */
	}
}

static void test_evidence_errors(void **state)
{
	static const char *const msgs[] = {
		"kbs: evidence: SNP guest request failed",
		"kbs: evidence callback failed: out of memory",
		"kbs: evidence callback wrote 24577 bytes into a 24576-byte buffer",
		"kbs: evidence holds a NUL byte",
		"kbs: evidence callback wrote 0 bytes into a 24576-byte buffer",
	};
	int mode;
	struct kbs_attest_params p = { "sample", KBS_CURVE_P256, failing_evidence, &mode };

	(void)state;
	for (mode = 0; mode < 5; mode++) {
		struct kbs_error err;

		assert_int_not_equal(attest(&p, &err), HUSK_OK);
		assert_int_equal(err.code, KBS_E_EVIDENCE);
		assert_string_equal(err.msg, msgs[mode]);
	}
	assert_int_equal(fk.attest_calls, 0);
}

static void test_rng_failure(void **state)
{
	(void)state;
	rng_fail_after = 1; /* the fake's nonce takes the first call */
	expect_attest(&sample_p256, HUSK_ERR_CRYPTO, KBS_E_CRYPTO, NULL);
	assert_int_equal(fk.auth_calls, 1);
	assert_int_equal(fk.attest_calls, 0);
}

static void test_bad_arguments(void **state)
{
	struct kbs_attest_params p = sample_p256;
	struct kbs_session *s2 = malloc(sizeof(*s2));
	struct kbs_transport none = { NULL, NULL };
	struct kbs_error err;
	uint8_t out[8];
	size_t n;

	(void)state;
	assert_non_null(s2);
	assert_int_equal(kbs_session_init(NULL, &transport, test_rng, NULL), HUSK_ERR_INVAL);
	assert_int_equal(kbs_session_init(s2, NULL, test_rng, NULL), HUSK_ERR_INVAL);
	assert_int_equal(kbs_session_init(s2, &none, test_rng, NULL), HUSK_ERR_INVAL);
	assert_int_equal(kbs_session_init(s2, &transport, NULL, NULL), HUSK_ERR_INVAL);
	free(s2);

	p.tee = "Sample";
	expect_attest(&p, HUSK_ERR_INVAL, KBS_E_ARG, "kbs: tee name may hold only a-z, 0-9 and '-'");
	p.tee = NULL;
	expect_attest(&p, HUSK_ERR_INVAL, KBS_E_ARG, NULL);
	p = sample_p256;
	p.curve = (enum kbs_curve)3;
	expect_attest(&p, HUSK_ERR_INVAL, KBS_E_ARG, NULL);
	p = sample_p256;
	p.evidence = NULL;
	expect_attest(&p, HUSK_ERR_INVAL, KBS_E_ARG, NULL);
	assert_int_equal(kbs_attest(sess, NULL, &err), HUSK_ERR_INVAL);
	assert_int_equal(kbs_attest(NULL, &sample_p256, &err), HUSK_ERR_INVAL);
	assert_int_equal(fk.auth_calls, 0);

	assert_int_equal(get("default/key/vtpm", out, sizeof(out), &n, &err), HUSK_ERR_INVAL);
	assert_int_equal(err.code, KBS_E_STATE);
	assert_int_equal(kbs_get_resource(NULL, "a/b/c", out, sizeof(out), &n, &err), HUSK_ERR_INVAL);
	assert_int_equal(kbs_get_resource(sess, "a/b/c", NULL, 8, &n, &err), HUSK_ERR_INVAL);
	assert_int_equal(kbs_get_resource(sess, "a/b/c", out, sizeof(out), NULL, &err), HUSK_ERR_INVAL);
	assert_int_equal(fk.res_calls, 0);
}

/* ---- /resource ---- */

static void test_resource_paths(void **state)
{
	static const char *const bad[] = {
		"",         "a",       "a/b",       "a/b/c/d",   "/a/b/c",    "a/b/c/",   "a//c",
		"../b/c",   "a/../c",  "a/b/..",    "a/.b/c",    ".a/b/c",    "a/b/c?x=1", "a/b/c#f",
		"a b/c/d",  "a/b/c\n", "a/b/%2e%2e", "a/b/\xc3\xa9", "a\\b/c/d",
	};
	char longp[KBS_RESOURCE_PATH_MAX + 2];
	uint8_t out[64];
	struct kbs_error err;
	size_t n;

	(void)state;
	assert_int_equal(attest(&sample_p256, &err), HUSK_OK);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (get(bad[i], out, sizeof(out), &n, &err) != HUSK_ERR_INVAL || err.code != KBS_E_RESOURCE_PATH)
			fail_msg("path \"%s\": %s", bad[i], err.msg);
	}
	assert_int_equal(get(NULL, out, sizeof(out), &n, &err), HUSK_ERR_INVAL);
	assert_string_equal(err.msg, "kbs: no resource path");
	assert_int_equal(fk.res_calls, 0);

	/* The longest path is accepted (the fake has no such resource). */
	memset(longp, 'a', sizeof(longp));
	longp[1] = '/';
	longp[3] = '/';
	longp[KBS_RESOURCE_PATH_MAX] = '\0';
	assert_int_equal(get(longp, out, sizeof(out), &n, &err), HUSK_ERR_IO);
	assert_int_equal(err.code, KBS_E_HTTP);
	assert_int_equal(fk.res_calls, 1);
	longp[KBS_RESOURCE_PATH_MAX] = 'a';
	longp[KBS_RESOURCE_PATH_MAX + 1] = '\0';
	assert_int_equal(get(longp, out, sizeof(out), &n, &err), HUSK_ERR_INVAL);
	assert_int_equal(err.code, KBS_E_RESOURCE_PATH);
	/* Segments may hold dots after their first character, and '-' / '_' anywhere. */
	assert_int_equal(get("-a._/_b-./c..", out, sizeof(out), &n, &err), HUSK_ERR_IO);
	assert_string_equal(err.msg, "kbs: /resource/-a._/_b-./c.. answered 401: PluginInternalError: resource not found");
}

static void test_resource_errors(void **state)
{
	uint8_t out[64];
	struct kbs_error err;
	size_t n;

	(void)state;
	assert_int_equal(attest(&sample_p256, &err), HUSK_OK);

	fk.res_status = 401;
	assert_int_equal(get("default/key/vtpm", out, sizeof(out), &n, &err), HUSK_ERR_IO);
	assert_string_equal(err.msg, "kbs: /resource/default/key/vtpm answered 401: PolicyDeny: denied by policy");
	fk.res_status = 404;
	assert_int_equal(get("default/key/vtpm", out, sizeof(out), &n, &err), HUSK_ERR_NOTFOUND);
	assert_int_equal(err.code, KBS_E_HTTP);
	fk.res_status = 0;

	fk.tamper = TAMPER_TAG;
	memset(out, 0, sizeof(out));
	assert_int_equal(get("default/key/vtpm", out, sizeof(out), &n, &err), HUSK_ERR_CRYPTO);
	assert_string_equal(err.msg, "kbs: resource JWE: tag mismatch");
	assert_int_equal(n, 0);
	for (size_t i = 0; i < sizeof(out); i++)
		assert_int_equal(out[i], 0);
	fk.tamper = TAMPER_PROTECTED_ORDER;
	assert_int_equal(get("default/key/vtpm", out, sizeof(out), &n, &err), HUSK_ERR_CRYPTO);
	assert_int_equal(err.code, KBS_E_JWE_TAG);
	fk.tamper = TAMPER_EPK_CURVE;
	assert_int_equal(get("default/key/vtpm", out, sizeof(out), &n, &err), HUSK_ERR_FORMAT);
	assert_int_equal(err.code, KBS_E_JWE_EPK);
	fk.tamper = TAMPER_NONE;

	/* The caller's buffer is too small for the resource. */
	assert_int_equal(get("default/key/vtpm", out, 31, &n, &err), HUSK_ERR_RANGE);
	assert_int_equal(err.code, KBS_E_RESOURCE_SIZE);
	assert_string_equal(err.msg, "kbs: resource JWE: resource is 32 bytes, the buffer holds 31");
	assert_int_equal(get("default/key/vtpm", out, 32, &n, &err), HUSK_OK);

	fk.res_body = "{\"protected\":\"x\"";
	assert_int_equal(get("default/key/vtpm", out, sizeof(out), &n, &err), HUSK_ERR_FORMAT);
	assert_int_equal(err.code, KBS_E_JSON);
	fk.res_body = "";
	assert_int_equal(get("default/key/vtpm", out, sizeof(out), &n, &err), HUSK_ERR_FORMAT);
	assert_int_equal(err.code, KBS_E_RSP_SIZE);
	fk.res_body = NULL;

	fk.transport_rc = HUSK_ERR_RANGE;
	assert_int_equal(get("default/big/blob", out, sizeof(out), &n, &err), HUSK_ERR_RANGE);
	assert_int_equal(err.code, KBS_E_RSP_SIZE);
	fk.transport_rc = 0;

	/* Still attested with the same key: a good request works again. */
	assert_int_equal(get("default/key/vtpm", out, sizeof(out), &n, &err), HUSK_OK);
	assert_memory_equal(out, vtpm_key, 32);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_full_session, each_setup, each_teardown),
		cmocka_unit_test_setup_teardown(test_p521_with_measurement, each_setup, each_teardown),
		cmocka_unit_test_setup_teardown(test_largest_evidence, each_setup, each_teardown),
		cmocka_unit_test_setup_teardown(test_auth_errors, each_setup, each_teardown),
		cmocka_unit_test_setup_teardown(test_attest_errors, each_setup, each_teardown),
		cmocka_unit_test_setup_teardown(test_transport_errors, each_setup, each_teardown),
		cmocka_unit_test_setup_teardown(test_evidence_errors, each_setup, each_teardown),
		cmocka_unit_test_setup_teardown(test_rng_failure, each_setup, each_teardown),
		cmocka_unit_test_setup_teardown(test_bad_arguments, each_setup, each_teardown),
		cmocka_unit_test_setup_teardown(test_resource_paths, each_setup, each_teardown),
		cmocka_unit_test_setup_teardown(test_resource_errors, each_setup, each_teardown),
	};

	return cmocka_run_group_tests_name("kbs_session", tests, setup, NULL);
}
