/* Key material of TPM objects: generation (from the TPM's DRBG, or derived
 * from a hierarchy seed and the template for primary objects), template and
 * key-pair checks with the response codes of TPM 2.0 Part 1/Part 3, the
 * cache of parsed mbedTLS keys, and signing/verification for the other
 * modules.  See tpm_keys.h. */
#include <string.h>

#include "mbedtls/bignum.h"
#include "mbedtls/ecdsa.h"
#include "mbedtls/hmac_drbg.h"
#include "tpm/tpm_keys.h"

#define RSA_DEFAULT_EXPONENT 65537u

/* What tpm_object.key points to. */
struct key_cache {
	uint16_t type; /* TPM_ALG_RSA or TPM_ALG_ECC */
	union {
		mbedtls_rsa_context rsa;
		mbedtls_ecp_keypair ecc;
	} u;
};

/* mbedTLS 3 marks these fields private; the ECDSA and point functions that
 * TPM semantics need (raw r and s, explicit points) take them directly. */
#define KP_GRP(kp) (&(kp)->MBEDTLS_PRIVATE(grp))
#define KP_D(kp)   (&(kp)->MBEDTLS_PRIVATE(d))
#define KP_Q(kp)   (&(kp)->MBEDTLS_PRIVATE(Q))

/* The random source of a key generation. */
struct keygen_rng {
	int (*f)(void *p, unsigned char *out, size_t len);
	void *p;
};

static bool attr(const struct tpm_public *pub, uint32_t bit)
{
	return (pub->attributes & bit) != 0;
}

static tpm_rc mbed_rc(int ret, tpm_rc otherwise)
{
	if (ret == MBEDTLS_ERR_MPI_ALLOC_FAILED || ret == MBEDTLS_ERR_ECP_ALLOC_FAILED ||
	    ret == MBEDTLS_ERR_MD_ALLOC_FAILED)
		return TPM_RC_MEMORY;
	return otherwise;
}

mbedtls_ecp_group_id tpm_curve_group(uint16_t curve)
{
	switch (curve) {
	case TPM_ECC_NIST_P256: return MBEDTLS_ECP_DP_SECP256R1;
	case TPM_ECC_NIST_P384: return MBEDTLS_ECP_DP_SECP384R1;
	case TPM_ECC_NIST_P521: return MBEDTLS_ECP_DP_SECP521R1;
	default: return MBEDTLS_ECP_DP_NONE;
	}
}

mbedtls_md_type_t tpm_md_type(uint16_t hash_alg)
{
	switch (hash_alg) {
	case TPM_ALG_SHA1: return MBEDTLS_MD_SHA1;
	case TPM_ALG_SHA256: return MBEDTLS_MD_SHA256;
	case TPM_ALG_SHA384: return MBEDTLS_MD_SHA384;
	case TPM_ALG_SHA512: return MBEDTLS_MD_SHA512;
	default: return MBEDTLS_MD_NONE;
	}
}

/* ---- the key cache ---- */

static struct key_cache *cache_new(struct tpm *t, uint16_t type)
{
	struct key_cache *kc = tpm_alloc(t, sizeof(*kc));

	if (!kc)
		return NULL;
	kc->type = type;
	if (type == TPM_ALG_RSA)
		mbedtls_rsa_init(&kc->u.rsa);
	else
		mbedtls_ecp_keypair_init(&kc->u.ecc);
	return kc;
}

static void cache_destroy(struct tpm *t, struct key_cache *kc)
{
	if (kc->type == TPM_ALG_RSA)
		mbedtls_rsa_free(&kc->u.rsa);
	else
		mbedtls_ecp_keypair_free(&kc->u.ecc);
	tpm_free(t, kc); /* wipes */
}

void tpm_key_cache_free(struct tpm *t, struct tpm_object *o)
{
	if (o->key)
		cache_destroy(t, o->key);
	o->key = NULL;
}

/* n (and p, q from the stored prime) into rsa; the checks of
 * CryptValidateKeys come first (tpm_key_check_pair). */
static tpm_rc rsa_parse(const struct tpm_object *o, mbedtls_rsa_context *rsa)
{
	const struct tpm_public *pub = &o->pub;
	uint32_t e = pub->rsa_exponent ? pub->rsa_exponent : RSA_DEFAULT_EXPONENT;
	mbedtls_mpi n, p, q, r, emp;
	tpm_rc rc = TPM_RC_SUCCESS;
	int ret;

	if (pub->rsa_n.size != pub->rsa_bits / 8 || !(pub->rsa_n.b[0] & 0x80))
		return TPM_RC_KEY;
	mbedtls_mpi_init(&n);
	mbedtls_mpi_init(&p);
	mbedtls_mpi_init(&q);
	mbedtls_mpi_init(&r);
	mbedtls_mpi_init(&emp);
	ret = mbedtls_mpi_read_binary(&n, pub->rsa_n.b, pub->rsa_n.size);
	if (!ret)
		ret = mbedtls_mpi_lset(&emp, (mbedtls_mpi_sint)e);
	if (!ret && o->has_sensitive) {
		/* The sensitive area holds one prime; q = n / p must be exact. */
		ret = mbedtls_mpi_read_binary(&p, o->sens.secret.b, o->sens.secret.size);
		if (!ret && mbedtls_mpi_cmp_int(&p, 1) <= 0)
			rc = TPM_RC_BINDING;
		if (!ret && !rc)
			ret = mbedtls_mpi_div_mpi(&q, &r, &n, &p);
		if (!ret && !rc && (mbedtls_mpi_cmp_int(&r, 0) != 0 || mbedtls_mpi_cmp_int(&q, 1) <= 0))
			rc = TPM_RC_BINDING;
		if (!ret && !rc)
			ret = mbedtls_rsa_import(rsa, &n, &p, &q, NULL, &emp);
	} else if (!ret) {
		ret = mbedtls_rsa_import(rsa, &n, NULL, NULL, NULL, &emp);
	}
	if (!ret && !rc) {
		ret = mbedtls_rsa_complete(rsa);
		if (ret)
			rc = mbed_rc(ret, o->has_sensitive ? TPM_RC_BINDING : TPM_RC_KEY);
		else if (mbedtls_rsa_check_pubkey(rsa))
			rc = TPM_RC_KEY;
		else if (o->has_sensitive && mbedtls_rsa_check_privkey(rsa))
			rc = TPM_RC_BINDING;
	} else if (ret) {
		rc = mbed_rc(ret, TPM_RC_KEY);
	}
	mbedtls_mpi_free(&n);
	mbedtls_mpi_free(&p);
	mbedtls_mpi_free(&q);
	mbedtls_mpi_free(&r);
	mbedtls_mpi_free(&emp);
	return rc;
}

/* 0x04 || x || y, each coordinate left-padded to the curve's size. */
static bool ecc_point_bytes(const struct tpm_public *pub, uint8_t *out, size_t *len)
{
	uint16_t bytes = tpm_curve_bytes(pub->curve);

	if (!bytes || pub->ecc_x.size > bytes || pub->ecc_y.size > bytes)
		return false;
	memset(out, 0, 1 + 2u * bytes);
	out[0] = 0x04;
	memcpy(out + 1 + bytes - pub->ecc_x.size, pub->ecc_x.b, pub->ecc_x.size);
	memcpy(out + 1 + 2u * bytes - pub->ecc_y.size, pub->ecc_y.b, pub->ecc_y.size);
	*len = 1 + 2u * bytes;
	return true;
}

static tpm_rc ecc_parse(struct tpm *t, const struct tpm_object *o, mbedtls_ecp_keypair *kp)
{
	mbedtls_ecp_group_id gid = tpm_curve_group(o->pub.curve);
	uint16_t bytes = tpm_curve_bytes(o->pub.curve);
	uint8_t pt[1 + 2 * TPM_MAX_ECC_BYTES];
	size_t len;
	int ret;

	if (gid == MBEDTLS_ECP_DP_NONE)
		return TPM_RC_CURVE;
	if (o->has_sensitive) {
		if (o->sens.secret.size == 0 || o->sens.secret.size > bytes)
			return TPM_RC_KEY_SIZE;
		ret = mbedtls_ecp_read_key(gid, kp, o->sens.secret.b, o->sens.secret.size);
		if (ret)
			return mbed_rc(ret, TPM_RC_KEY_SIZE);
	} else {
		ret = mbedtls_ecp_group_load(KP_GRP(kp), gid);
		if (ret)
			return mbed_rc(ret, TPM_RC_CURVE);
	}
	if (o->pub.ecc_x.size || o->pub.ecc_y.size) {
		if (!ecc_point_bytes(&o->pub, pt, &len))
			return TPM_RC_KEY;
		ret = mbedtls_ecp_point_read_binary(KP_GRP(kp), KP_Q(kp), pt, len);
		if (!ret)
			ret = mbedtls_ecp_check_pubkey(KP_GRP(kp), KP_Q(kp));
		if (ret)
			return mbed_rc(ret, TPM_RC_ECC_POINT);
	} else if (o->has_sensitive) {
		/* An external key may come without its public point. */
		ret = mbedtls_ecp_keypair_calc_public(kp, crypto_drbg_rng, &t->drbg);
		if (ret)
			return mbed_rc(ret, TPM_RC_FAILURE);
	} else {
		return TPM_RC_KEY;
	}
	return TPM_RC_SUCCESS;
}

/* The cached key of o (parsed now if need be); o may be an object being
 * loaded, not yet live. */
static tpm_rc key_get(struct tpm *t, struct tpm_object *o, uint16_t type, struct key_cache **out)
{
	struct key_cache *kc;
	tpm_rc rc;

	if (o->pub.type != type)
		return TPM_RC_KEY;
	if (o->key) {
		*out = o->key;
		return TPM_RC_SUCCESS;
	}
	kc = cache_new(t, type);
	if (!kc)
		return TPM_RC_MEMORY;
	rc = type == TPM_ALG_RSA ? rsa_parse(o, &kc->u.rsa) : ecc_parse(t, o, &kc->u.ecc);
	if (rc) {
		cache_destroy(t, kc);
		return rc;
	}
	o->key = kc;
	*out = kc;
	return TPM_RC_SUCCESS;
}

tpm_rc tpm_key_rsa(struct tpm *t, struct tpm_object *o, mbedtls_rsa_context **rsa)
{
	struct key_cache *kc;
	tpm_rc rc = o->kind == TPM_OBJ_KEY ? key_get(t, o, TPM_ALG_RSA, &kc) : TPM_RC_KEY;

	if (!rc)
		*rsa = &kc->u.rsa;
	return rc;
}

tpm_rc tpm_key_ecc(struct tpm *t, struct tpm_object *o, mbedtls_ecp_keypair **ecc)
{
	struct key_cache *kc;
	tpm_rc rc = o->kind == TPM_OBJ_KEY ? key_get(t, o, TPM_ALG_ECC, &kc) : TPM_RC_KEY;

	if (!rc)
		*ecc = &kc->u.ecc;
	return rc;
}

/* ---- generation ---- */

/* A primary key's randomness: an HMAC_DRBG seeded with
 * KDFa(nameAlg, seed, "husk primary", H_nameAlg(template), data, 512), so
 * the same seed, template (unique field included) and sensitive data give
 * the same key. */
static tpm_rc primary_rng(const struct tpm_public *tmpl, const struct tpm2b_sensitive_data *data,
			  const uint8_t *seed, size_t seed_len, mbedtls_hmac_drbg_context *drbg)
{
	uint8_t buf[sizeof(struct tpm_public) + 64];
	uint8_t digest[TPM_MAX_DIGEST], material[64];
	uint16_t alg = tmpl->name_alg;
	mbedtls_md_type_t md = tpm_md_type(alg == TPM_ALG_SHA1 ? TPM_ALG_SHA256 : alg);
	struct tpm_w w;
	struct tpm_part part;
	tpm_rc rc;

	tpm_w_init(&w, buf, sizeof(buf));
	tpm_w_public(&w, tmpl);
	if (!tpm_w_ok(&w))
		return TPM_RC_FAILURE;
	part = (struct tpm_part){ buf, w.pos };
	rc = tpm_hash_parts(alg, &part, 1, digest);
	if (!rc)
		rc = tpm_kdfa(alg, seed, seed_len, "husk primary", digest, tpm_hash_size(alg), data->b, data->size,
			      sizeof(material) * 8, material);
	if (!rc && mbedtls_hmac_drbg_seed_buf(drbg, mbedtls_md_info_from_type(md), material, sizeof(material)))
		rc = TPM_RC_MEMORY;
	crypto_wipe(material, sizeof(material));
	return rc;
}

static tpm_rc gen_rsa(struct tpm *t, struct tpm_object *o, const struct keygen_rng *rng)
{
	struct tpm_public *pub = &o->pub;
	uint32_t e = pub->rsa_exponent ? pub->rsa_exponent : RSA_DEFAULT_EXPONENT;
	size_t nbytes = pub->rsa_bits / 8u;
	struct key_cache *kc;
	int ret;

	/* A prime of at least 65537, as the reference implementation demands
	 * (and mbedTLS takes it as an int). */
	if (e < RSA_DEFAULT_EXPONENT || e > 0x7fffffffu || !(e & 1))
		return TPM_RC_RANGE;
	if (e != RSA_DEFAULT_EXPONENT) {
		mbedtls_mpi ep;

		mbedtls_mpi_init(&ep);
		ret = mbedtls_mpi_lset(&ep, (mbedtls_mpi_sint)e);
		if (!ret)
			ret = mbedtls_mpi_is_prime_ext(&ep, 40, crypto_drbg_rng, &t->drbg);
		mbedtls_mpi_free(&ep);
		if (ret == MBEDTLS_ERR_MPI_NOT_ACCEPTABLE)
			return TPM_RC_RANGE;
		if (ret)
			return mbed_rc(ret, TPM_RC_FAILURE);
	}
	kc = cache_new(t, TPM_ALG_RSA);
	if (!kc)
		return TPM_RC_MEMORY;
	ret = mbedtls_rsa_gen_key(&kc->u.rsa, rng->f, rng->p, pub->rsa_bits, (int)e);
	if (!ret)
		ret = mbedtls_rsa_export_raw(&kc->u.rsa, pub->rsa_n.b, nbytes, o->sens.secret.b, nbytes / 2,
					     NULL, 0, NULL, 0, NULL, 0);
	if (ret) {
		cache_destroy(t, kc);
		return mbed_rc(ret, TPM_RC_FAILURE);
	}
	pub->rsa_n.size = (uint16_t)nbytes;
	o->sens.secret.size = (uint16_t)(nbytes / 2);
	o->key = kc;
	return TPM_RC_SUCCESS;
}

static tpm_rc gen_ecc(struct tpm *t, struct tpm_object *o, const struct keygen_rng *rng)
{
	struct tpm_public *pub = &o->pub;
	uint16_t bytes = tpm_curve_bytes(pub->curve);
	uint8_t pt[1 + 2 * TPM_MAX_ECC_BYTES];
	struct key_cache *kc;
	size_t len = 0;
	int ret;

	if (tpm_curve_group(pub->curve) == MBEDTLS_ECP_DP_NONE)
		return TPM_RC_CURVE;
	kc = cache_new(t, TPM_ALG_ECC);
	if (!kc)
		return TPM_RC_MEMORY;
	ret = mbedtls_ecp_gen_key(tpm_curve_group(pub->curve), &kc->u.ecc, rng->f, rng->p);
	if (!ret)
		ret = mbedtls_mpi_write_binary(KP_D(&kc->u.ecc), o->sens.secret.b, bytes);
	if (!ret)
		ret = mbedtls_ecp_point_write_binary(KP_GRP(&kc->u.ecc), KP_Q(&kc->u.ecc),
						     MBEDTLS_ECP_PF_UNCOMPRESSED, &len, pt, sizeof(pt));
	if (!ret && len != 1 + 2u * bytes)
		ret = MBEDTLS_ERR_ECP_BAD_INPUT_DATA;
	if (ret) {
		cache_destroy(t, kc);
		return mbed_rc(ret, TPM_RC_FAILURE);
	}
	o->sens.secret.size = bytes;
	memcpy(pub->ecc_x.b, pt + 1, bytes);
	memcpy(pub->ecc_y.b, pt + 1 + bytes, bytes);
	pub->ecc_x.size = pub->ecc_y.size = bytes;
	o->key = kc;
	return TPM_RC_SUCCESS;
}

static tpm_rc rng_fill(const struct keygen_rng *rng, uint8_t *out, size_t len)
{
	return rng->f(rng->p, out, len) ? TPM_RC_FAILURE : TPM_RC_SUCCESS;
}

static tpm_rc gen_sym(struct tpm_object *o, const struct tpm2b_sensitive_data *data,
		      const struct keygen_rng *rng)
{
	uint16_t bytes = o->pub.symmetric.key_bits / 8u;

	if (!bytes || bytes > TPM_MAX_SYM_KEY)
		return TPM_RC_KEY_SIZE;
	o->sens.secret.size = bytes;
	if (data->size) {
		if (data->size != bytes)
			return TPM_RC_KEY_SIZE;
		memcpy(o->sens.secret.b, data->b, bytes);
		return TPM_RC_SUCCESS;
	}
	return rng_fill(rng, o->sens.secret.b, bytes);
}

/* The hash that sizes a keyed-hash object's key: its scheme's, else nameAlg. */
static uint16_t keyedhash_alg(const struct tpm_public *pub)
{
	if (pub->scheme.alg == TPM_ALG_HMAC || pub->scheme.alg == TPM_ALG_XOR)
		return pub->scheme.hash;
	return pub->name_alg;
}

static tpm_rc gen_keyedhash(struct tpm_object *o, const struct tpm2b_sensitive_data *data,
			    const struct keygen_rng *rng)
{
	const struct tpm_public *pub = &o->pub;
	uint16_t alg = keyedhash_alg(pub);

	if (data->size) {
		/* A key longer than the hash block only loses entropy in HMAC. */
		if ((attr(pub, TPMA_OBJECT_SIGN_ENCRYPT) || attr(pub, TPMA_OBJECT_DECRYPT)) &&
		    data->size > tpm_hash_block_size(alg))
			return TPM_RC_SIZE;
		if (data->size > TPM_MAX_SYM_DATA)
			return TPM_RC_SIZE;
		memcpy(o->sens.secret.b, data->b, data->size);
		o->sens.secret.size = data->size;
		return TPM_RC_SUCCESS;
	}
	o->sens.secret.size = tpm_hash_size(alg);
	return rng_fill(rng, o->sens.secret.b, o->sens.secret.size);
}

/* unique of a symmetric or keyed-hash object: H_nameAlg(seedValue || key). */
static tpm_rc sym_unique(uint16_t name_alg, const struct tpm_sensitive *s, struct tpm2b_digest *out)
{
	struct tpm_part parts[2] = { { s->seed.b, s->seed.size }, { s->secret.b, s->secret.size } };

	out->size = tpm_hash_size(name_alg);
	return tpm_hash_parts(name_alg, parts, 2, out->b);
}

tpm_rc tpm_key_generate(struct tpm *t, struct tpm_object *o, const struct tpm2b_sensitive_data *data,
			const uint8_t *seed, size_t seed_len)
{
	static const struct tpm2b_sensitive_data none;
	struct tpm_public *pub = &o->pub;
	uint16_t dsize = tpm_hash_size(pub->name_alg);
	mbedtls_hmac_drbg_context drbg;
	struct keygen_rng rng = { crypto_drbg_rng, &t->drbg };
	const struct tpm2b_sensitive_data *given = data ? data : &none;
	tpm_rc rc = TPM_RC_SUCCESS;

	if (!dsize)
		return TPM_RC_HASH;
	/* The data becomes the key only when the TPM is not its origin. */
	if (attr(pub, TPMA_OBJECT_SENSITIVEDATAORIGIN) || !data)
		data = &none;
	tpm_key_cache_free(t, o);
	crypto_wipe(&o->sens.seed, sizeof(o->sens.seed));
	crypto_wipe(&o->sens.secret, sizeof(o->sens.secret));
	o->sens.type = pub->type;
	mbedtls_hmac_drbg_init(&drbg);
	if (seed) {
		rc = primary_rng(pub, given, seed, seed_len, &drbg);
		rng = (struct keygen_rng){ mbedtls_hmac_drbg_random, &drbg };
	}
	if (!rc) {
		switch (pub->type) {
		case TPM_ALG_RSA: rc = gen_rsa(t, o, &rng); break;
		case TPM_ALG_ECC: rc = gen_ecc(t, o, &rng); break;
		case TPM_ALG_SYMCIPHER: rc = gen_sym(o, data, &rng); break;
		case TPM_ALG_KEYEDHASH: rc = gen_keyedhash(o, data, &rng); break;
		default: rc = TPM_RC_TYPE; break;
		}
	}
	/* seedValue: the protection seed of a parent, the obfuscation value of
	 * a symmetric object; asymmetric keys that are not parents have none. */
	if (!rc) {
		o->sens.seed.size = dsize;
		rc = rng_fill(&rng, o->sens.seed.b, dsize);
	}
	if (!rc && (pub->type == TPM_ALG_SYMCIPHER || pub->type == TPM_ALG_KEYEDHASH))
		rc = sym_unique(pub->name_alg, &o->sens, &pub->sym_unique);
	else if (!rc && (attr(pub, TPMA_OBJECT_SIGN_ENCRYPT) || !attr(pub, TPMA_OBJECT_RESTRICTED)))
		crypto_wipe(&o->sens.seed, sizeof(o->sens.seed));
	mbedtls_hmac_drbg_free(&drbg);
	if (rc) {
		tpm_key_cache_free(t, o);
		crypto_wipe(&o->sens, sizeof(o->sens));
	}
	return rc;
}

/* ---- template checks ---- */

static bool is_sign_scheme(uint16_t type, uint16_t alg)
{
	switch (type) {
	case TPM_ALG_RSA: return alg == TPM_ALG_RSASSA || alg == TPM_ALG_RSAPSS;
	case TPM_ALG_ECC: return alg == TPM_ALG_ECDSA;
	case TPM_ALG_KEYEDHASH: return alg == TPM_ALG_HMAC;
	default: return false;
	}
}

static bool is_decrypt_scheme(uint16_t type, uint16_t alg)
{
	switch (type) {
	case TPM_ALG_RSA: return alg == TPM_ALG_RSAES || alg == TPM_ALG_OAEP;
	case TPM_ALG_ECC: return alg == TPM_ALG_ECDH;
	default: return false;
	}
}

tpm_rc tpm_key_check_schemes(const struct tpm_object *parent, const struct tpm_public *pub)
{
	bool sign = attr(pub, TPMA_OBJECT_SIGN_ENCRYPT), dec = attr(pub, TPMA_OBJECT_DECRYPT);
	bool restricted = attr(pub, TPMA_OBJECT_RESTRICTED);
	const struct tpm_sym_def *sym = NULL;
	uint16_t scheme = pub->scheme.alg;

	switch (pub->type) {
	case TPM_ALG_SYMCIPHER:
		/* Unmarshalling admits only block modes (or NULL). */
		sym = &pub->symmetric;
		break;
	case TPM_ALG_KEYEDHASH:
		if (sign == dec) {
			if (scheme != TPM_ALG_NULL)
				return TPM_RC_SCHEME;
		} else if (sign && scheme != TPM_ALG_HMAC) {
			return TPM_RC_SCHEME;
		} else if (dec) {
			if (scheme != TPM_ALG_XOR)
				return TPM_RC_SCHEME;
			if (restricted && pub->scheme.kdf != TPM_ALG_KDF1_SP800_108)
				return TPM_RC_SCHEME;
		}
		break;
	case TPM_ALG_RSA:
	case TPM_ALG_ECC:
		sym = &pub->symmetric;
		if (sign == dec) {
			/* One scheme field cannot name both a signing and a
			 * decryption scheme. */
			if (scheme != TPM_ALG_NULL)
				return TPM_RC_SCHEME;
		} else if (sign) {
			if (!is_sign_scheme(pub->type, scheme) && (restricted || scheme != TPM_ALG_NULL))
				return TPM_RC_SCHEME;
		} else if (restricted) {
			if (scheme != TPM_ALG_NULL)
				return TPM_RC_SCHEME;
		} else if (scheme != TPM_ALG_NULL && !is_decrypt_scheme(pub->type, scheme)) {
			return TPM_RC_SCHEME;
		}
		/* Only parents use a symmetric algorithm. */
		if ((!restricted || !dec) && sym->alg != TPM_ALG_NULL)
			return TPM_RC_SYMMETRIC;
		if (pub->type == TPM_ALG_ECC && pub->kdf.alg != TPM_ALG_NULL)
			return TPM_RC_KDF;
		break;
	default:
		return TPM_RC_TYPE;
	}
	if (sym && restricted && dec) {
		if (sym->alg == TPM_ALG_NULL)
			return TPM_RC_SYMMETRIC;
		/* A parent that cannot be duplicated protects its children as
		 * strongly as its own parent does. */
		if (attr(pub, TPMA_OBJECT_FIXEDTPM) && parent) {
			if (pub->name_alg != parent->pub.name_alg)
				return TPM_RC_HASH;
			if (sym->alg != parent->pub.symmetric.alg || sym->key_bits != parent->pub.symmetric.key_bits ||
			    sym->mode != parent->pub.symmetric.mode)
				return TPM_RC_SYMMETRIC;
		}
	}
	return TPM_RC_SUCCESS;
}

tpm_rc tpm_key_check_attributes(const struct tpm_object *parent, const struct tpm_public *pub)
{
	bool sign = attr(pub, TPMA_OBJECT_SIGN_ENCRYPT), dec = attr(pub, TPMA_OBJECT_DECRYPT);
	bool fixed_tpm = attr(pub, TPMA_OBJECT_FIXEDTPM);
	bool parent_fixed_tpm = !parent || (parent->pub.attributes & TPMA_OBJECT_FIXEDTPM);

	if (pub->name_alg == TPM_ALG_NULL)
		return TPM_RC_HASH;
	if (pub->auth_policy.size && pub->auth_policy.size != tpm_hash_size(pub->name_alg))
		return TPM_RC_SIZE;
	/* Below a fixedTPM parent (or a seed), fixedTPM and fixedParent agree;
	 * below a duplicable parent nothing can be fixedTPM. */
	if (parent_fixed_tpm) {
		if (fixed_tpm != attr(pub, TPMA_OBJECT_FIXEDPARENT))
			return TPM_RC_ATTRIBUTES;
	} else if (fixed_tpm) {
		return TPM_RC_ATTRIBUTES;
	}
	if (sign == dec) {
		if (attr(pub, TPMA_OBJECT_RESTRICTED))
			return TPM_RC_ATTRIBUTES;
		/* Only a data object has neither. */
		if (pub->type != TPM_ALG_KEYEDHASH && !sign)
			return TPM_RC_ATTRIBUTES;
	}
	if (fixed_tpm && attr(pub, TPMA_OBJECT_ENCRYPTEDDUPLICATION))
		return TPM_RC_ATTRIBUTES;
	if (!parent_fixed_tpm && attr(pub, TPMA_OBJECT_ENCRYPTEDDUPLICATION) !=
					 ((parent->pub.attributes & TPMA_OBJECT_ENCRYPTEDDUPLICATION) != 0))
		return TPM_RC_ATTRIBUTES;
	return tpm_key_check_schemes(parent, pub);
}

tpm_rc tpm_key_check_create(const struct tpm_object *parent, const struct tpm_public *pub,
			    uint16_t data_size)
{
	bool origin = attr(pub, TPMA_OBJECT_SENSITIVEDATAORIGIN);
	tpm_rc rc = TPM_RC_SUCCESS;

	/* The caller says it provides the data: it must. */
	if (!origin && data_size == 0)
		return TPM_RC_ATTRIBUTES;
	/* An ordinary object takes data only when the TPM is not its origin. */
	if (parent && origin && data_size != 0)
		return TPM_RC_ATTRIBUTES;
	switch (pub->type) {
	case TPM_ALG_KEYEDHASH:
		/* The TPM cannot be the source of sealed data. */
		if (!attr(pub, TPMA_OBJECT_SIGN_ENCRYPT) && !attr(pub, TPMA_OBJECT_DECRYPT) && origin)
			rc = TPM_RC_ATTRIBUTES;
		/* fall through */
	case TPM_ALG_SYMCIPHER:
		/* A restricted symmetric key with a caller's key must be
		 * duplicable. */
		if (attr(pub, TPMA_OBJECT_RESTRICTED) && !origin &&
		    (attr(pub, TPMA_OBJECT_FIXEDPARENT) || attr(pub, TPMA_OBJECT_FIXEDTPM)))
			rc = TPM_RC_ATTRIBUTES;
		break;
	default:
		/* Asymmetric keys always come from the TPM. */
		if (!origin)
			rc = TPM_RC_ATTRIBUTES;
		break;
	}
	if (rc)
		return rc;
	return tpm_key_check_attributes(parent, pub);
}

bool tpm_key_is_parent(const struct tpm_object *o)
{
	const struct tpm_public *pub = &o->pub;

	return o->kind == TPM_OBJ_KEY && o->has_sensitive && attr(pub, TPMA_OBJECT_RESTRICTED) &&
	       attr(pub, TPMA_OBJECT_DECRYPT) && !attr(pub, TPMA_OBJECT_SIGN_ENCRYPT) &&
	       pub->type != TPM_ALG_KEYEDHASH && pub->symmetric.alg == TPM_ALG_AES &&
	       tpm_hash_size(pub->name_alg) != 0;
}

/* ---- loaded keys ---- */

tpm_rc tpm_key_check_pair_blame(struct tpm *t, struct tpm_object *o, unsigned pub_param,
				unsigned sens_param, bool authenticated)
{
	const struct tpm_public *pub = &o->pub;
	const struct tpm_sensitive *s = &o->sens;
	uint16_t dsize = tpm_hash_size(pub->name_alg);
	struct key_cache *kc;
	tpm_rc rc;

	tpm_key_cache_free(t, o);
	if (o->has_sensitive) {
		if (s->type != pub->type)
			return tpm_rc_param(TPM_RC_TYPE, sens_param);
		if (dsize && s->auth.size > dsize)
			return tpm_rc_param(TPM_RC_SIZE, sens_param);
		if (dsize && s->seed.size > dsize)
			return tpm_rc_param(TPM_RC_KEY_SIZE, sens_param);
	}
	switch (pub->type) {
	case TPM_ALG_RSA:
		if (pub->rsa_n.size != pub->rsa_bits / 8 || !(pub->rsa_n.b[0] & 0x80))
			return tpm_rc_param(TPM_RC_KEY, pub_param);
		if (pub->rsa_exponent != 0 && pub->rsa_exponent < 7)
			return tpm_rc_param(TPM_RC_VALUE, pub_param);
		if (o->has_sensitive && (s->secret.size * 2u != pub->rsa_bits / 8u || !(s->secret.b[0] & 0x80)))
			return tpm_rc_param(TPM_RC_KEY_SIZE, sens_param);
		break;
	case TPM_ALG_ECC: {
		uint16_t bytes = tpm_curve_bytes(pub->curve);

		if (!o->has_sensitive && (pub->ecc_x.size != bytes || pub->ecc_y.size != bytes))
			return tpm_rc_param(TPM_RC_KEY, pub_param);
		if (o->has_sensitive && (s->secret.size == 0 || s->secret.size > bytes))
			return tpm_rc_param(TPM_RC_KEY_SIZE, sens_param);
		break;
	}
	case TPM_ALG_SYMCIPHER:
	case TPM_ALG_KEYEDHASH:
		if (!o->has_sensitive) {
			if (pub->sym_unique.size != dsize)
				return tpm_rc_param(TPM_RC_KEY, pub_param);
			return TPM_RC_SUCCESS;
		}
		if (pub->type == TPM_ALG_SYMCIPHER) {
			if (s->secret.size != pub->symmetric.key_bits / 8u)
				return tpm_rc_param(TPM_RC_KEY_SIZE, sens_param);
		} else if (pub->scheme.alg != TPM_ALG_NULL) {
			uint16_t max = tpm_hash_block_size(keyedhash_alg(pub));

			if (s->secret.size > (max < TPM_MAX_SYM_DATA ? max : TPM_MAX_SYM_DATA))
				return tpm_rc_param(TPM_RC_KEY_SIZE, sens_param);
		}
		if (pub->name_alg != TPM_ALG_NULL) {
			struct tpm2b_digest unique;

			if (s->seed.size != dsize)
				return tpm_rc_param(TPM_RC_KEY_SIZE, sens_param);
			rc = sym_unique(pub->name_alg, s, &unique);
			if (rc)
				return rc;
			if (unique.size != pub->sym_unique.size ||
			    tpm_ct_compare(unique.b, pub->sym_unique.b, unique.size))
				return TPM_RC_BINDING;
		}
		return TPM_RC_SUCCESS;
	default:
		return tpm_rc_param(TPM_RC_TYPE, pub_param);
	}

	if (authenticated)
		return TPM_RC_SUCCESS;
	/* Asymmetric: parse (n / p must divide, points must be on the curve),
	 * then make sure the private key produced the public one. */
	rc = key_get(t, o, pub->type, &kc);
	if (rc == TPM_RC_KEY || rc == TPM_RC_ECC_POINT)
		return tpm_rc_param(rc, pub_param);
	if (rc == TPM_RC_KEY_SIZE)
		return tpm_rc_param(rc, sens_param);
	if (rc)
		return rc;
	if (pub->type == TPM_ALG_ECC && o->has_sensitive && pub->ecc_x.size) {
		mbedtls_ecp_keypair *kp = &kc->u.ecc;
		mbedtls_ecp_point q;
		int ret;

		mbedtls_ecp_point_init(&q);
		ret = mbedtls_ecp_mul(KP_GRP(kp), &q, KP_D(kp), &KP_GRP(kp)->G, crypto_drbg_rng, &t->drbg);
		if (ret)
			rc = mbed_rc(ret, TPM_RC_BINDING);
		else if (mbedtls_ecp_point_cmp(&q, KP_Q(kp)))
			rc = TPM_RC_BINDING;
		mbedtls_ecp_point_free(&q);
		if (rc)
			tpm_key_cache_free(t, o);
	}
	return rc;
}

tpm_rc tpm_key_check_pair(struct tpm *t, struct tpm_object *o)
{
	return tpm_key_check_pair_blame(t, o, 0, 0, false);
}

/* ---- signing ---- */

tpm_rc tpm_key_sign_scheme(const struct tpm_object *key, const struct tpm_scheme *in,
			   struct tpm_scheme *out)
{
	const struct tpm_scheme *own = &key->pub.scheme;
	uint16_t type = key->pub.type;

	if (type == TPM_ALG_SYMCIPHER)
		return TPM_RC_SCHEME;
	if (own->alg != TPM_ALG_NULL) {
		if (!is_sign_scheme(type, own->alg))
			return TPM_RC_SCHEME;
		if (in->alg != TPM_ALG_NULL && (in->alg != own->alg || in->hash != own->hash))
			return TPM_RC_SCHEME;
		*out = *own;
		return TPM_RC_SUCCESS;
	}
	if (!is_sign_scheme(type, in->alg) || !tpm_hash_size(in->hash))
		return TPM_RC_SCHEME;
	*out = *in;
	return TPM_RC_SUCCESS;
}

static tpm_rc sign_rsa(struct tpm *t, struct tpm_object *key, const struct tpm_scheme *scheme,
		       const uint8_t *digest, uint16_t len, struct tpm_signature *sig)
{
	mbedtls_md_type_t md = tpm_md_type(scheme->hash);
	mbedtls_rsa_context *rsa;
	int ret;

	if (md == MBEDTLS_MD_NONE)
		return TPM_RC_SCHEME;
	if (len != tpm_hash_size(scheme->hash))
		return TPM_RC_SIZE;
	TPM_TRY(tpm_key_rsa(t, key, &rsa));
	if (mbedtls_rsa_get_len(rsa) > sizeof(sig->rsa.b))
		return TPM_RC_KEY;
	if (scheme->alg == TPM_ALG_RSASSA) {
		ret = mbedtls_rsa_set_padding(rsa, MBEDTLS_RSA_PKCS_V15, md);
		if (!ret)
			ret = mbedtls_rsa_rsassa_pkcs1_v15_sign(rsa, crypto_drbg_rng, &t->drbg, md, len, digest,
								sig->rsa.b);
	} else {
		/* Salt of the digest's size, less if the modulus is too short
		 * (RSA-1024 with SHA-512). */
		ret = mbedtls_rsa_set_padding(rsa, MBEDTLS_RSA_PKCS_V21, md);
		if (!ret)
			ret = mbedtls_rsa_rsassa_pss_sign_ext(rsa, crypto_drbg_rng, &t->drbg, md, len, digest,
							      MBEDTLS_RSA_SALT_LEN_ANY, sig->rsa.b);
	}
	if (ret)
		return mbed_rc(ret, TPM_RC_FAILURE);
	sig->rsa.size = (uint16_t)mbedtls_rsa_get_len(rsa);
	return TPM_RC_SUCCESS;
}

static tpm_rc sign_ecdsa(struct tpm *t, struct tpm_object *key, const uint8_t *digest, uint16_t len,
			 struct tpm_signature *sig)
{
	uint16_t bytes = tpm_curve_bytes(key->pub.curve);
	mbedtls_ecp_keypair *kp;
	mbedtls_mpi r, s;
	int ret;

	TPM_TRY(tpm_key_ecc(t, key, &kp));
	mbedtls_mpi_init(&r);
	mbedtls_mpi_init(&s);
	ret = mbedtls_ecdsa_sign(KP_GRP(kp), &r, &s, KP_D(kp), digest, len, crypto_drbg_rng, &t->drbg);
	if (!ret)
		ret = mbedtls_mpi_write_binary(&r, sig->r.b, bytes);
	if (!ret)
		ret = mbedtls_mpi_write_binary(&s, sig->s.b, bytes);
	mbedtls_mpi_free(&r);
	mbedtls_mpi_free(&s);
	if (ret)
		return mbed_rc(ret, TPM_RC_FAILURE);
	sig->r.size = sig->s.size = bytes;
	return TPM_RC_SUCCESS;
}

static tpm_rc keyed_hmac(const struct tpm_object *key, uint16_t hash, const uint8_t *digest, uint16_t len,
			 struct tpm2b_digest *out)
{
	struct tpm_part part = { digest, len };

	out->size = tpm_hash_size(hash);
	return tpm_hmac_parts(hash, key->sens.secret.b, key->sens.secret.size, &part, 1, out->b);
}

tpm_rc tpm_key_sign(struct tpm *t, struct tpm_object *key, const struct tpm_scheme *scheme,
		    const uint8_t *digest, uint16_t len, struct tpm_signature *sig)
{
	tpm_rc rc;

	memset(sig, 0, sizeof(*sig));
	if (key->kind != TPM_OBJ_KEY || !key->has_sensitive)
		return TPM_RC_KEY;
	if (!is_sign_scheme(key->pub.type, scheme->alg))
		return TPM_RC_SCHEME;
	switch (scheme->alg) {
	case TPM_ALG_RSASSA:
	case TPM_ALG_RSAPSS:
		rc = sign_rsa(t, key, scheme, digest, len, sig);
		break;
	case TPM_ALG_ECDSA:
		rc = sign_ecdsa(t, key, digest, len, sig);
		break;
	default: /* TPM_ALG_HMAC */
		rc = keyed_hmac(key, scheme->hash, digest, len, &sig->hmac);
		break;
	}
	if (rc) {
		memset(sig, 0, sizeof(*sig));
		return rc;
	}
	sig->alg = scheme->alg;
	sig->hash = scheme->hash;
	return TPM_RC_SUCCESS;
}

static tpm_rc verify_rsa(struct tpm *t, struct tpm_object *key, const uint8_t *digest, uint16_t len,
			 const struct tpm_signature *sig)
{
	mbedtls_md_type_t md = tpm_md_type(sig->hash);
	mbedtls_rsa_context *rsa;
	int ret;

	if (md == MBEDTLS_MD_NONE)
		return TPM_RC_SCHEME;
	TPM_TRY(tpm_key_rsa(t, key, &rsa));
	if (len != tpm_hash_size(sig->hash) || sig->rsa.size != mbedtls_rsa_get_len(rsa))
		return TPM_RC_SIGNATURE;
	if (sig->alg == TPM_ALG_RSASSA) {
		ret = mbedtls_rsa_set_padding(rsa, MBEDTLS_RSA_PKCS_V15, md);
		if (!ret)
			ret = mbedtls_rsa_rsassa_pkcs1_v15_verify(rsa, md, len, digest, sig->rsa.b);
	} else {
		ret = mbedtls_rsa_set_padding(rsa, MBEDTLS_RSA_PKCS_V21, md);
		if (!ret)
			ret = mbedtls_rsa_rsassa_pss_verify_ext(rsa, md, len, digest, md, MBEDTLS_RSA_SALT_LEN_ANY,
								sig->rsa.b);
	}
	if (ret)
		return mbed_rc(ret, TPM_RC_SIGNATURE);
	return TPM_RC_SUCCESS;
}

static tpm_rc verify_ecdsa(struct tpm *t, struct tpm_object *key, const uint8_t *digest, uint16_t len,
			   const struct tpm_signature *sig)
{
	mbedtls_ecp_keypair *kp;
	mbedtls_mpi r, s;
	int ret;

	TPM_TRY(tpm_key_ecc(t, key, &kp));
	if (!sig->r.size || !sig->s.size)
		return TPM_RC_SIGNATURE;
	mbedtls_mpi_init(&r);
	mbedtls_mpi_init(&s);
	ret = mbedtls_mpi_read_binary(&r, sig->r.b, sig->r.size);
	if (!ret)
		ret = mbedtls_mpi_read_binary(&s, sig->s.b, sig->s.size);
	if (!ret)
		ret = mbedtls_ecdsa_verify(KP_GRP(kp), digest, len, KP_Q(kp), &r, &s);
	mbedtls_mpi_free(&r);
	mbedtls_mpi_free(&s);
	return ret ? mbed_rc(ret, TPM_RC_SIGNATURE) : TPM_RC_SUCCESS;
}

tpm_rc tpm_key_verify(struct tpm *t, struct tpm_object *key, const uint8_t *digest, uint16_t len,
		      const struct tpm_signature *sig)
{
	if (key->kind != TPM_OBJ_KEY)
		return TPM_RC_KEY;
	if (!is_sign_scheme(key->pub.type, sig->alg))
		return TPM_RC_SCHEME;
	switch (sig->alg) {
	case TPM_ALG_RSASSA:
	case TPM_ALG_RSAPSS:
		return verify_rsa(t, key, digest, len, sig);
	case TPM_ALG_ECDSA:
		return verify_ecdsa(t, key, digest, len, sig);
	default: { /* TPM_ALG_HMAC */
		struct tpm2b_digest mac;
		tpm_rc rc;

		if (!key->has_sensitive)
			return TPM_RC_KEY;
		rc = keyed_hmac(key, sig->hash, digest, len, &mac);
		if (!rc && (mac.size != sig->hmac.size || tpm_ct_compare(mac.b, sig->hmac.b, mac.size)))
			rc = TPM_RC_SIGNATURE;
		crypto_wipe(&mac, sizeof(mac));
		return rc;
	}
	}
}
