/* The ephemeral EC key and JWE decryption (ECDH-ES+A256KW, A256GCM) for
 * KBS resources; see kbs_jwe.h and docs/kbs.md, "The resource JWE". */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "husk/err.h"
#include "kbs/kbs_b64.h"
#include "kbs/kbs_internal.h"
#include "kbs/kbs_json.h"
#include "kbs/kbs_jwe.h"
#include "kbs/kbs_msg.h"

#include "mbedtls/bignum.h"
#include "mbedtls/ecdh.h"
#include "mbedtls/ecp.h"
#include "mbedtls/gcm.h"
#include "mbedtls/nist_kw.h"
#include "mbedtls/platform_util.h"
#include "mbedtls/sha256.h"

#define WHAT "resource JWE"

/* ---- Curves and keys ---- */

const char *kbs_curve_name(enum kbs_curve curve)
{
	switch (curve) {
	case KBS_CURVE_P256:
		return "P-256";
	case KBS_CURVE_P521:
		return "P-521";
	}
	return NULL;
}

size_t kbs_curve_bytes(enum kbs_curve curve)
{
	switch (curve) {
	case KBS_CURVE_P256:
		return 32;
	case KBS_CURVE_P521:
		return 66;
	}
	return 0;
}

static mbedtls_ecp_group_id curve_gid(enum kbs_curve curve)
{
	return curve == KBS_CURVE_P521 ? MBEDTLS_ECP_DP_SECP521R1 : MBEDTLS_ECP_DP_SECP256R1;
}

void kbs_key_wipe(struct kbs_key *key)
{
	if (key)
		mbedtls_platform_zeroize(key, sizeof(*key));
}

/* Stores d and Q = (x, y) in key, all left-padded to the field size. */
static int key_store(struct kbs_key *key, enum kbs_curve curve, const mbedtls_ecp_group *grp,
		     const mbedtls_mpi *d, const mbedtls_ecp_point *q)
{
	size_t fl = kbs_curve_bytes(curve), olen = 0;
	uint8_t pt[1 + 2 * KBS_EC_COORD_MAX];

	if (mbedtls_mpi_write_binary(d, key->d, fl) != 0 ||
	    mbedtls_ecp_point_write_binary(grp, q, MBEDTLS_ECP_PF_UNCOMPRESSED, &olen, pt, sizeof(pt)) != 0 ||
	    olen != 1 + 2 * fl)
		return HUSK_ERR_CRYPTO;
	memcpy(key->x, pt + 1, fl);
	memcpy(key->y, pt + 1 + fl, fl);
	key->curve = curve;
	key->valid = true;
	return HUSK_OK;
}

static int key_make(struct kbs_key *key, enum kbs_curve curve, const uint8_t *d_in, size_t d_len,
		    kbs_rng_fn f_rng, void *p_rng, struct kbs_error *err)
{
	mbedtls_ecp_group grp;
	mbedtls_ecp_point q;
	mbedtls_mpi d;
	int rc = HUSK_OK, mrc;

	kbs_key_wipe(key);
	if (!kbs_curve_name(curve) || !f_rng || (d_in && d_len != kbs_curve_bytes(curve)))
		return kbs_fail(err, HUSK_ERR_INVAL, KBS_E_ARG, "kbs: key: bad curve, scalar or rng");
	mbedtls_ecp_group_init(&grp);
	mbedtls_ecp_point_init(&q);
	mbedtls_mpi_init(&d);
	mrc = mbedtls_ecp_group_load(&grp, curve_gid(curve));
	if (mrc == 0 && d_in) {
		mrc = mbedtls_mpi_read_binary(&d, d_in, d_len);
		if (mrc == 0)
			mrc = mbedtls_ecp_check_privkey(&grp, &d);
		if (mrc == 0)
			mrc = mbedtls_ecp_mul(&grp, &q, &d, &grp.G, f_rng, p_rng);
	} else if (mrc == 0) {
		mrc = mbedtls_ecp_gen_keypair(&grp, &d, &q, f_rng, p_rng);
	}
	if (mrc != 0)
		rc = kbs_fail(err, mrc == MBEDTLS_ERR_ECP_ALLOC_FAILED || mrc == MBEDTLS_ERR_MPI_ALLOC_FAILED
					   ? HUSK_ERR_NOMEM
					   : HUSK_ERR_CRYPTO,
			      KBS_E_CRYPTO, "kbs: %s %s key failed (mbedTLS -0x%04x)",
			      d_in ? "loading" : "generating", kbs_curve_name(curve), (unsigned int)-mrc);
	else if (key_store(key, curve, &grp, &d, &q) != HUSK_OK)
		rc = kbs_fail(err, HUSK_ERR_CRYPTO, KBS_E_CRYPTO, "kbs: exporting the key failed");
	if (rc != HUSK_OK)
		kbs_key_wipe(key);
	mbedtls_mpi_free(&d); /* zeroizes */
	mbedtls_ecp_point_free(&q);
	mbedtls_ecp_group_free(&grp);
	return rc;
}

int kbs_key_generate(struct kbs_key *key, enum kbs_curve curve, kbs_rng_fn f_rng, void *p_rng,
		     struct kbs_error *err)
{
	if (!key)
		return kbs_fail(err, HUSK_ERR_INVAL, KBS_E_ARG, "kbs: key: NULL");
	return key_make(key, curve, NULL, 0, f_rng, p_rng, err);
}

int kbs_key_load(struct kbs_key *key, enum kbs_curve curve, const uint8_t *d, size_t d_len,
		 kbs_rng_fn f_rng, void *p_rng, struct kbs_error *err)
{
	if (!key || !d)
		return kbs_fail(err, HUSK_ERR_INVAL, KBS_E_ARG, "kbs: key: NULL");
	return key_make(key, curve, d, d_len, f_rng, p_rng, err);
}

/* ---- Concat KDF ---- */

static void put_be32(uint8_t b[4], uint32_t v)
{
	b[0] = (uint8_t)(v >> 24);
	b[1] = (uint8_t)(v >> 16);
	b[2] = (uint8_t)(v >> 8);
	b[3] = (uint8_t)v;
}

int kbs_concat_kdf(const uint8_t *z, size_t z_len, const char *alg, const uint8_t *apu,
		   size_t apu_len, const uint8_t *apv, size_t apv_len, uint32_t keybits, uint8_t *out)
{
	mbedtls_sha256_context ctx;
	uint8_t b[4], digest[32];
	size_t alg_len = alg ? strlen(alg) : 0;
	int mrc;

	if (keybits == 0 || keybits > 256 || keybits % 8 != 0 || !z || !alg ||
	    alg_len > UINT32_MAX || apu_len > UINT32_MAX || apv_len > UINT32_MAX ||
	    (apu_len && !apu) || (apv_len && !apv))
		return HUSK_ERR_INVAL;
	mbedtls_sha256_init(&ctx);
	put_be32(b, 1); /* round counter: one round gives 256 bits */
	mrc = mbedtls_sha256_starts(&ctx, 0);
	mrc = mrc ? mrc : mbedtls_sha256_update(&ctx, b, 4);
	mrc = mrc ? mrc : mbedtls_sha256_update(&ctx, z, z_len);
	put_be32(b, (uint32_t)alg_len);
	mrc = mrc ? mrc : mbedtls_sha256_update(&ctx, b, 4);
	mrc = mrc ? mrc : mbedtls_sha256_update(&ctx, (const unsigned char *)alg, alg_len);
	put_be32(b, (uint32_t)apu_len);
	mrc = mrc ? mrc : mbedtls_sha256_update(&ctx, b, 4);
	mrc = mrc ? mrc : mbedtls_sha256_update(&ctx, apu, apu_len);
	put_be32(b, (uint32_t)apv_len);
	mrc = mrc ? mrc : mbedtls_sha256_update(&ctx, b, 4);
	mrc = mrc ? mrc : mbedtls_sha256_update(&ctx, apv, apv_len);
	put_be32(b, keybits);
	mrc = mrc ? mrc : mbedtls_sha256_update(&ctx, b, 4);
	mrc = mrc ? mrc : mbedtls_sha256_finish(&ctx, digest);
	mbedtls_sha256_free(&ctx); /* zeroizes the state that absorbed Z */
	if (mrc == 0)
		memcpy(out, digest, keybits / 8);
	mbedtls_platform_zeroize(digest, sizeof(digest));
	return mrc == 0 ? HUSK_OK : HUSK_ERR_CRYPTO;
}

/* ---- Parsing ---- */

/* Members of the outer object: the five required ones. */
static int outer_member(const struct kbs_json *doc, const char *name, const char **p, size_t *n,
			struct kbs_error *err)
{
	return kbs_json_member_span(doc, 0, name, p, n, err);
}

/* An optional string member of the header into a bounded buffer. */
static int header_string(const struct kbs_json *doc, int obj, const char *name, char *out,
			 size_t max, bool *present, struct kbs_error *err)
{
	int v = kbs_json_find(doc, obj, name);
	size_t n;

	out[0] = '\0';
	*present = v >= 0;
	if (v < 0)
		return HUSK_OK;
	if (kbs_json_string(doc, v, name, out, max, &n, NULL) != HUSK_OK)
		return kbs_fail(err, HUSK_ERR_FORMAT, KBS_E_JWE_HEADER,
				"kbs: " WHAT ": header member \"%s\" is not a string of at most %zu bytes",
				name, max - 1);
	return HUSK_OK;
}

/* A base64url coordinate of the epk, decoded; longer than any field size
 * is an error here, the exact size is checked against the key later. */
static int header_coord(const struct kbs_json *doc, int obj, const char *name, uint8_t *out,
			size_t *out_len, bool *present, struct kbs_error *err)
{
	int v = kbs_json_find(doc, obj, name);
	const char *p;
	size_t n;

	*out_len = 0;
	*present = v >= 0;
	if (v < 0)
		return HUSK_OK;
	if (kbs_json_span(doc, v, name, &p, &n, NULL) != HUSK_OK ||
	    kbs_b64url_decode(p, n, out, KBS_EC_COORD_MAX, out_len) != HUSK_OK)
		return kbs_fail(err, HUSK_ERR_FORMAT, KBS_E_JWE_EPK,
				"kbs: " WHAT ": epk \"%s\" is not base64url of at most %d bytes", name,
				KBS_EC_COORD_MAX);
	return HUSK_OK;
}

static int __attribute__((noinline)) parse_header(struct kbs_jwe_parts *p, struct kbs_error *err)
{
	static const char *const refused[] = { "zip", "crit", "apu", "apv" };
	struct kbs_json doc;
	bool present;
	int epk, rc;

	rc = kbs_json_parse(&doc, WHAT " protected header", p->header, p->header_len, err);
	if (rc == HUSK_OK)
		rc = kbs_json_object(&doc, 0, "the protected header", err);
	if (rc != HUSK_OK) {
		if (err)
			err->code = KBS_E_JWE_HEADER;
		return rc;
	}
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		if (kbs_json_find(&doc, 0, refused[i]) >= 0)
			return kbs_fail(err, HUSK_ERR_UNSUPPORTED, KBS_E_JWE_HEADER,
					"kbs: " WHAT ": header parameter \"%s\" not supported", refused[i]);
	rc = header_string(&doc, 0, "alg", p->alg, sizeof(p->alg), &present, err);
	if (rc == HUSK_OK && !present)
		rc = kbs_fail(err, HUSK_ERR_FORMAT, KBS_E_JWE_HEADER, "kbs: " WHAT ": header has no alg");
	if (rc == HUSK_OK)
		rc = header_string(&doc, 0, "enc", p->enc, sizeof(p->enc), &present, err);
	if (rc == HUSK_OK && !present)
		rc = kbs_fail(err, HUSK_ERR_FORMAT, KBS_E_JWE_HEADER, "kbs: " WHAT ": header has no enc");
	if (rc != HUSK_OK)
		return rc;
	epk = kbs_json_find(&doc, 0, "epk");
	p->has_epk = epk >= 0;
	if (epk < 0)
		return HUSK_OK;
	if (kbs_json_object(&doc, epk, "epk", err) != HUSK_OK)
		return kbs_fail(err, HUSK_ERR_FORMAT, KBS_E_JWE_EPK,
				"kbs: " WHAT ": epk is not an object with unique members");
	rc = header_string(&doc, epk, "kty", p->epk_kty, sizeof(p->epk_kty), &present, err);
	if (rc == HUSK_OK)
		rc = header_string(&doc, epk, "crv", p->epk_crv, sizeof(p->epk_crv), &present, err);
	if (rc != HUSK_OK) {
		if (err)
			err->code = KBS_E_JWE_EPK;
		return rc;
	}
	rc = header_coord(&doc, epk, "x", p->epk_x, &p->epk_x_len, &p->has_x, err);
	if (rc == HUSK_OK)
		rc = header_coord(&doc, epk, "y", p->epk_y, &p->epk_y_len, &p->has_y, err);
	return rc;
}

/* The outer object: spans of the five members.  Not inlined, so that its
 * token array and parse_header's are never on the stack together. */
static int __attribute__((noinline)) parse_outer(const char *jwe, size_t len, struct kbs_jwe_parts *p,
						 struct kbs_error *err)
{
	static const char *const refused[] = { "header", "unprotected", "recipients" };
	struct kbs_json doc;
	int rc;

	rc = kbs_json_parse(&doc, WHAT, jwe, len, err);
	if (rc == HUSK_OK)
		rc = kbs_json_object(&doc, 0, "the JWE", err);
	if (rc != HUSK_OK)
		return rc;
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		if (kbs_json_find(&doc, 0, refused[i]) >= 0)
			return kbs_fail(err, HUSK_ERR_UNSUPPORTED, KBS_E_JWE_FORMAT,
					"kbs: " WHAT ": member \"%s\" not supported (flattened JWE with a protected header only)",
					refused[i]);
	rc = outer_member(&doc, "protected", &p->protected_b64, &p->protected_len, err);
	if (rc == HUSK_OK)
		rc = outer_member(&doc, "encrypted_key", &p->ek_b64, &p->ek_len, err);
	if (rc == HUSK_OK)
		rc = outer_member(&doc, "iv", &p->iv_b64, &p->iv_len, err);
	if (rc == HUSK_OK)
		rc = outer_member(&doc, "ciphertext", &p->ct_b64, &p->ct_len, err);
	if (rc == HUSK_OK)
		rc = outer_member(&doc, "tag", &p->tag_b64, &p->tag_len, err);
	return rc;
}

int kbs_jwe_parse(const char *jwe, size_t len, struct kbs_jwe_parts *p, struct kbs_error *err)
{
	int rc;

	memset(p, 0, sizeof(*p));
	rc = parse_outer(jwe, len, p, err);
	if (rc != HUSK_OK)
		return rc;
	rc = kbs_b64url_decode(p->protected_b64, p->protected_len, (uint8_t *)p->header,
			       sizeof(p->header), &p->header_len);
	if (rc == HUSK_ERR_RANGE)
		return kbs_fail(err, HUSK_ERR_RANGE, KBS_E_JWE_HEADER,
				"kbs: " WHAT ": protected header longer than %d bytes", KBS_JWE_HEADER_MAX);
	if (rc != HUSK_OK)
		return kbs_fail(err, HUSK_ERR_FORMAT, KBS_E_JWE_FORMAT,
				"kbs: " WHAT ": \"protected\" is not base64url");
	return parse_header(p, err);
}

/* ---- Decryption ---- */

/* Decodes a base64url member that must have exactly `want` bytes. */
static int member_fixed(const char *name, const char *b64, size_t n, uint8_t *out, size_t want,
			struct kbs_error *err)
{
	size_t got = 0;
	int rc = kbs_b64url_decode(b64, n, out, want, &got);

	if (rc == HUSK_ERR_FORMAT)
		return kbs_fail(err, HUSK_ERR_FORMAT, KBS_E_JWE_FORMAT,
				"kbs: " WHAT ": \"%s\" is not base64url", name);
	if (rc != HUSK_OK || got != want)
		return kbs_fail(err, HUSK_ERR_FORMAT, KBS_E_JWE_FORMAT,
				"kbs: " WHAT ": \"%s\" is %zu bytes, expected %zu", name,
				kbs_b64url_decoded_len(n), want);
	return HUSK_OK;
}

static int check_algorithms(const struct kbs_key *key, const struct kbs_jwe_parts *p,
			    struct kbs_error *err)
{
	size_t fl = kbs_curve_bytes(key->curve);
	char a[48];

	if (strcmp(p->alg, KBS_JWE_ALG) != 0) {
		kbs_sanitize(a, sizeof(a), p->alg, strlen(p->alg));
		return kbs_fail(err, HUSK_ERR_UNSUPPORTED, KBS_E_JWE_ALG,
				"kbs: " WHAT ": alg \"%s\" (only " KBS_JWE_ALG ")", a);
	}
	if (strcmp(p->enc, KBS_JWE_ENC) != 0) {
		kbs_sanitize(a, sizeof(a), p->enc, strlen(p->enc));
		return kbs_fail(err, HUSK_ERR_UNSUPPORTED, KBS_E_JWE_ALG,
				"kbs: " WHAT ": enc \"%s\" (only " KBS_JWE_ENC ")", a);
	}
	if (!p->has_epk)
		return kbs_fail(err, HUSK_ERR_FORMAT, KBS_E_JWE_EPK, "kbs: " WHAT ": no epk in the header");
	if (strcmp(p->epk_kty, "EC") != 0)
		return kbs_fail(err, HUSK_ERR_FORMAT, KBS_E_JWE_EPK, "kbs: " WHAT ": epk kty is not EC");
	if (strcmp(p->epk_crv, kbs_curve_name(key->curve)) != 0) {
		kbs_sanitize(a, sizeof(a), p->epk_crv, strlen(p->epk_crv));
		return kbs_fail(err, HUSK_ERR_FORMAT, KBS_E_JWE_EPK,
				"kbs: " WHAT ": epk curve \"%s\", our key is %s", a,
				kbs_curve_name(key->curve));
	}
	if (!p->has_x || !p->has_y || p->epk_x_len != fl || p->epk_y_len != fl)
		return kbs_fail(err, HUSK_ERR_FORMAT, KBS_E_JWE_EPK,
				"kbs: " WHAT ": epk x and y must be %zu bytes each", fl);
	return HUSK_OK;
}

/* Z = x-coordinate of d * epk, after checking that epk is on the curve. */
static int ecdh(const struct kbs_key *key, const struct kbs_jwe_parts *p, kbs_rng_fn f_rng,
		void *p_rng, uint8_t *z, struct kbs_error *err)
{
	size_t fl = kbs_curve_bytes(key->curve);
	uint8_t pt[1 + 2 * KBS_EC_COORD_MAX];
	mbedtls_ecp_group grp;
	mbedtls_ecp_point q;
	mbedtls_mpi d, zm;
	int rc = HUSK_OK, mrc;

	pt[0] = 0x04;
	memcpy(pt + 1, p->epk_x, fl);
	memcpy(pt + 1 + fl, p->epk_y, fl);
	mbedtls_ecp_group_init(&grp);
	mbedtls_ecp_point_init(&q);
	mbedtls_mpi_init(&d);
	mbedtls_mpi_init(&zm);
	mrc = mbedtls_ecp_group_load(&grp, curve_gid(key->curve));
	if (mrc == 0)
		mrc = mbedtls_ecp_point_read_binary(&grp, &q, pt, 1 + 2 * fl);
	if (mrc == 0)
		mrc = mbedtls_ecp_check_pubkey(&grp, &q);
	if (mrc == MBEDTLS_ERR_ECP_INVALID_KEY || mrc == MBEDTLS_ERR_ECP_BAD_INPUT_DATA ||
	    mrc == MBEDTLS_ERR_MPI_BAD_INPUT_DATA) {
		rc = kbs_fail(err, HUSK_ERR_FORMAT, KBS_E_JWE_EPK,
			      "kbs: " WHAT ": epk is not a point on %s", kbs_curve_name(key->curve));
		goto out;
	}
	if (mrc == 0)
		mrc = mbedtls_mpi_read_binary(&d, key->d, fl);
	if (mrc == 0)
		mrc = mbedtls_ecdh_compute_shared(&grp, &zm, &q, &d, f_rng, p_rng);
	if (mrc == 0)
		mrc = mbedtls_mpi_write_binary(&zm, z, fl);
	if (mrc != 0)
		rc = kbs_fail(err, mrc == MBEDTLS_ERR_ECP_ALLOC_FAILED || mrc == MBEDTLS_ERR_MPI_ALLOC_FAILED
					   ? HUSK_ERR_NOMEM
					   : HUSK_ERR_CRYPTO,
			      KBS_E_CRYPTO, "kbs: " WHAT ": ECDH failed (mbedTLS -0x%04x)",
			      (unsigned int)-mrc);
out:
	mbedtls_mpi_free(&zm); /* mpi_free zeroizes */
	mbedtls_mpi_free(&d);
	mbedtls_ecp_point_free(&q);
	mbedtls_ecp_group_free(&grp);
	return rc;
}

struct jwe_secrets {
	uint8_t z[KBS_EC_COORD_MAX];
	uint8_t kek[32];
	uint8_t cek[KBS_JWE_CEK_BYTES];
};

static int unwrap_and_decrypt(const struct kbs_jwe_parts *p, struct jwe_secrets *s,
			      const uint8_t ek[KBS_JWE_EK_BYTES], const uint8_t iv[KBS_JWE_IV_BYTES],
			      const uint8_t tag[KBS_JWE_TAG_BYTES], uint8_t *buf, size_t ct_len,
			      struct kbs_error *err)
{
	mbedtls_nist_kw_context kw;
	mbedtls_gcm_context gcm;
	size_t cek_len = 0;
	int mrc, rc = HUSK_OK;

	mbedtls_nist_kw_init(&kw);
	mrc = mbedtls_nist_kw_setkey(&kw, MBEDTLS_CIPHER_ID_AES, s->kek, 256, 0 /* unwrap */);
	if (mrc == 0)
		mrc = mbedtls_nist_kw_unwrap(&kw, MBEDTLS_KW_MODE_KW, ek, KBS_JWE_EK_BYTES, s->cek,
					     &cek_len, sizeof(s->cek));
	mbedtls_nist_kw_free(&kw);
	if (mrc == MBEDTLS_ERR_CIPHER_AUTH_FAILED ||
	    (mrc == 0 && cek_len != KBS_JWE_CEK_BYTES))
		return kbs_fail(err, HUSK_ERR_CRYPTO, KBS_E_JWE_UNWRAP,
				"kbs: " WHAT ": key unwrap failed (not for our key, or encrypted_key altered)");
	if (mrc != 0)
		return kbs_fail(err, HUSK_ERR_CRYPTO, KBS_E_CRYPTO,
				"kbs: " WHAT ": AES key unwrap error (mbedTLS -0x%04x)", (unsigned int)-mrc);

	mbedtls_gcm_init(&gcm);
	mrc = mbedtls_gcm_setkey(&gcm, MBEDTLS_CIPHER_ID_AES, s->cek, 256);
	/* RFC 7516 5.2 step 14: with no aad member, the AAD is
	 * ASCII(BASE64URL(UTF8(protected))), i.e. the member as received. */
	if (mrc == 0)
		mrc = mbedtls_gcm_auth_decrypt(&gcm, ct_len, iv, KBS_JWE_IV_BYTES,
					       (const unsigned char *)p->protected_b64, p->protected_len,
					       tag, KBS_JWE_TAG_BYTES, buf, buf);
	mbedtls_gcm_free(&gcm); /* zeroizes the key schedule */
	if (mrc == MBEDTLS_ERR_GCM_AUTH_FAILED)
		rc = kbs_fail(err, HUSK_ERR_CRYPTO, KBS_E_JWE_TAG, "kbs: " WHAT ": tag mismatch");
	else if (mrc != 0)
		rc = kbs_fail(err, HUSK_ERR_CRYPTO, KBS_E_CRYPTO,
			      "kbs: " WHAT ": AES-GCM error (mbedTLS -0x%04x)", (unsigned int)-mrc);
	return rc;
}

int kbs_jwe_decrypt(const struct kbs_key *key, kbs_rng_fn f_rng, void *p_rng, const char *jwe,
		    size_t len, uint8_t *out, size_t out_max, size_t *out_len, struct kbs_error *err)
{
	/* About 1.5 KiB: the decoded header dominates. */
	struct kbs_jwe_parts p;
	struct jwe_secrets s;
	uint8_t ek[KBS_JWE_EK_BYTES], iv[KBS_JWE_IV_BYTES], tag[KBS_JWE_TAG_BYTES];
	size_t ct_len = 0, written = 0;
	int rc;

	*out_len = 0;
	if (!key || !key->valid || !kbs_curve_name(key->curve) || !f_rng || !jwe || (!out && out_max))
		return kbs_fail(err, HUSK_ERR_INVAL, KBS_E_ARG, "kbs: " WHAT ": bad arguments");
	memset(&s, 0, sizeof(s));
	rc = kbs_jwe_parse(jwe, len, &p, err);
	if (rc == HUSK_OK)
		rc = check_algorithms(key, &p, err);
	if (rc == HUSK_OK)
		rc = member_fixed("encrypted_key", p.ek_b64, p.ek_len, ek, sizeof(ek), err);
	if (rc == HUSK_OK)
		rc = member_fixed("iv", p.iv_b64, p.iv_len, iv, sizeof(iv), err);
	if (rc == HUSK_OK)
		rc = member_fixed("tag", p.tag_b64, p.tag_len, tag, sizeof(tag), err);
	if (rc == HUSK_OK) {
		size_t want = kbs_b64url_decoded_len(p.ct_len);

		if (want == SIZE_MAX)
			rc = kbs_fail(err, HUSK_ERR_FORMAT, KBS_E_JWE_FORMAT,
				      "kbs: " WHAT ": \"ciphertext\" is not base64url");
		else if (want > out_max)
			rc = kbs_fail(err, HUSK_ERR_RANGE, KBS_E_RESOURCE_SIZE,
				      "kbs: " WHAT ": resource is %zu bytes, the buffer holds %zu", want,
				      out_max);
	}
	if (rc == HUSK_OK) {
		/* The ciphertext is decoded straight into out and decrypted in
		 * place (GCM allows identical input and output buffers). */
		written = kbs_b64url_decoded_len(p.ct_len);
		if (kbs_b64url_decode(p.ct_b64, p.ct_len, out, out_max, &ct_len) != HUSK_OK)
			rc = kbs_fail(err, HUSK_ERR_FORMAT, KBS_E_JWE_FORMAT,
				      "kbs: " WHAT ": \"ciphertext\" is not base64url");
	}
	if (rc == HUSK_OK)
		rc = ecdh(key, &p, f_rng, p_rng, s.z, err);
	if (rc == HUSK_OK &&
	    kbs_concat_kdf(s.z, kbs_curve_bytes(key->curve), KBS_JWE_ALG, NULL, 0, NULL, 0, 256, s.kek) !=
		    HUSK_OK)
		rc = kbs_fail(err, HUSK_ERR_CRYPTO, KBS_E_CRYPTO, "kbs: " WHAT ": key derivation failed");
	if (rc == HUSK_OK)
		rc = unwrap_and_decrypt(&p, &s, ek, iv, tag, out, ct_len, err);
	mbedtls_platform_zeroize(&s, sizeof(s));
	if (rc != HUSK_OK) {
		if (written)
			mbedtls_platform_zeroize(out, written);
		return rc;
	}
	*out_len = ct_len;
	return HUSK_OK;
}
