/* Key operations: Sign and VerifySignature, RSA_Encrypt and RSA_Decrypt
 * (RSAES-PKCS1-v1_5, OAEP and raw), ECDH_KeyGen and ECDH_ZGen, and
 * EncryptDecrypt(2) with symmetric keys.  The checks and their order follow
 * TPM 2.0 Part 3, so that clients get the response codes they expect;
 * key parsing, signing and verifying are tpm_keys.c's.
 *
 * Errors of the cryptographic operation itself (a message too long for
 * the padding, a ciphertext that does not decode) are returned without a
 * parameter number, as the reference implementation does. */
#include <string.h>

#include "mbedtls/aes.h"
#include "tpm/tpm_keys.h"

#define KP_GRP(kp) (&(kp)->MBEDTLS_PRIVATE(grp))
#define KP_D(kp)   (&(kp)->MBEDTLS_PRIVATE(d))
#define KP_Q(kp)   (&(kp)->MBEDTLS_PRIVATE(Q))

/* TPM2B_DATA holds at most a TPMT_HA. */
#define TPM_MAX_DATA (2 + TPM_MAX_DIGEST)

struct tpm2b_data {
	uint16_t size;
	uint8_t b[TPM_MAX_DATA];
};

static bool has(const struct tpm_object *o, uint32_t attr)
{
	return (o->pub.attributes & attr) != 0;
}

static bool is_key(const struct tpm_object *o, uint16_t type)
{
	return o && o->kind == TPM_OBJ_KEY && o->pub.type == type;
}

static tpm_rc mbed_rc(int ret, tpm_rc otherwise)
{
	if (ret == MBEDTLS_ERR_MPI_ALLOC_FAILED || ret == MBEDTLS_ERR_ECP_ALLOC_FAILED)
		return TPM_RC_MEMORY;
	return otherwise;
}

/* ---- Sign / VerifySignature ---- */

TPM_HANDLER(Sign)
{
	struct tpm *t = c->t;
	struct tpm_object *key = tpm_object_find(t, c->handles[0]);
	struct tpm2b_digest digest;
	struct tpm_scheme in, scheme;
	struct tpm_ticket tk;
	struct tpm_signature sig;
	tpm_rc rc;

	TPM_IN(1, tpm_r_digest(&c->in, &digest));
	TPM_IN(2, tpm_r_sig_scheme(&c->in, &in));
	TPM_IN(3, tpm_r_ticket(&c->in, &tk, TPM_ST_HASHCHECK, TPM_ST_HASHCHECK));
	TPM_IN_DONE(c);

	if (!key || key->kind != TPM_OBJ_KEY || !has(key, TPMA_OBJECT_SIGN_ENCRYPT) ||
	    key->pub.type == TPM_ALG_SYMCIPHER)
		return tpm_rc_handle(TPM_RC_KEY, 1);
	/* Keys for X.509 certificates sign only TBS data (CertifyX509). */
	if (has(key, TPMA_OBJECT_X509SIGN))
		return tpm_rc_handle(TPM_RC_ATTRIBUTES, 1);
	if (!key->has_sensitive)
		return TPM_RC_AUTH_UNAVAILABLE;
	rc = tpm_key_sign_scheme(key, &in, &scheme);
	if (rc)
		return tpm_rc_param(rc, 2);
	if (tk.digest.size || has(key, TPMA_OBJECT_RESTRICTED)) {
		/* A restricted key signs only what the TPM hashed itself and
		 * found not to start with TPM_GENERATED_VALUE. */
		uint8_t alg_be[2];
		struct tpm_part parts[2];

		tpm_put_be16(alg_be, scheme.hash);
		parts[0] = (struct tpm_part){ alg_be, 2 };
		parts[1] = (struct tpm_part){ digest.b, digest.size };
		if (!tpm_ticket_check(t, &tk, TPM_ST_HASHCHECK, parts, 2))
			return tpm_rc_param(TPM_RC_TICKET, 3);
	} else if (digest.size != tpm_hash_size(scheme.hash)) {
		/* Without a ticket, at least the size must fit the hash. */
		return tpm_rc_param(TPM_RC_SIZE, 1);
	}
	TPM_TRY(tpm_key_sign(t, key, &scheme, digest.b, digest.size, &sig));
	tpm_w_signature(&c->out, &sig);
	crypto_wipe(&sig, sizeof(sig)); /* an HMAC "signature" is a secret's MAC */
	return TPM_RC_SUCCESS;
}

TPM_HANDLER(VerifySignature)
{
	struct tpm *t = c->t;
	struct tpm_object *key = tpm_object_find(t, c->handles[0]);
	struct tpm2b_digest digest;
	struct tpm_signature sig;
	struct tpm_ticket tk;
	tpm_rc rc;

	TPM_IN(1, tpm_r_digest(&c->in, &digest));
	TPM_IN(2, tpm_r_signature(&c->in, &sig));
	/* TPMT_SIGNATURE here has no NULL alternative. */
	if (sig.alg == TPM_ALG_NULL)
		return tpm_rc_param(TPM_RC_SCHEME, 2);
	TPM_IN_DONE(c);

	if (!key || key->kind != TPM_OBJ_KEY)
		return tpm_rc_handle(TPM_RC_KEY, 1);
	if (!has(key, TPMA_OBJECT_SIGN_ENCRYPT))
		return tpm_rc_handle(TPM_RC_ATTRIBUTES, 1);
	if (key->pub.type == TPM_ALG_KEYEDHASH && !key->has_sensitive)
		return tpm_rc_param(TPM_RC_HANDLE, 2); /* an HMAC needs the key itself */
	rc = tpm_key_verify(t, key, digest.b, digest.size, &sig);
	if (rc)
		return tpm_rc_param(rc, 2);

	if (key->hierarchy == TPM_RH_NULL || key->pub.name_alg == TPM_ALG_NULL) {
		tpm_ticket_null(TPM_ST_VERIFIED, &tk);
	} else {
		struct tpm_part parts[2] = {
			{ digest.b, digest.size },
			{ key->name.b, key->name.size },
		};

		TPM_TRY(tpm_ticket_compute(t, TPM_ST_VERIFIED, key->hierarchy, parts, 2, &tk));
	}
	tpm_w_ticket(&c->out, &tk);
	return TPM_RC_SUCCESS;
}

/* ---- RSA_Encrypt / RSA_Decrypt ---- */

/* TPMT_RSA_DECRYPT: RSAES, OAEP with a hash, or NULL (raw RSA). */
static tpm_rc r_rsa_decrypt_scheme(struct tpm_r *r, struct tpm_scheme *s)
{
	size_t start = r->pos;
	tpm_rc rc;

	memset(s, 0, sizeof(*s));
	rc = tpm_r_u16(r, &s->alg);
	if (rc)
		return rc;
	switch (s->alg) {
	case TPM_ALG_NULL:
	case TPM_ALG_RSAES:
		return TPM_RC_SUCCESS;
	case TPM_ALG_OAEP:
		return tpm_r_hash_alg(r, &s->hash, false);
	default:
		r->pos = start;
		return TPM_RC_VALUE;
	}
}

/* A label, if present, must be a NUL-terminated string; the terminator is
 * part of the OAEP label (e.g. "DUPLICATE\0"). */
static bool label_ok(const struct tpm2b_data *label)
{
	return label->size == 0 || label->b[label->size - 1] == 0;
}

/* The key's scheme, unless it has none; both given must agree. */
static tpm_rc rsa_select_scheme(const struct tpm_object *key, const struct tpm_scheme *in,
				struct tpm_scheme *out)
{
	const struct tpm_scheme *own = &key->pub.scheme;

	if (own->alg == TPM_ALG_NULL)
		*out = *in;
	else if (in->alg == TPM_ALG_NULL)
		*out = *own;
	else if (own->alg == in->alg && (own->alg == TPM_ALG_RSAES || own->hash == in->hash))
		*out = *in;
	else
		return TPM_RC_SCHEME;
	/* A signing scheme of the key cannot encrypt. */
	if (out->alg != TPM_ALG_NULL && out->alg != TPM_ALG_RSAES && out->alg != TPM_ALG_OAEP)
		return TPM_RC_SCHEME;
	return TPM_RC_SUCCESS;
}

/* Reads the parameters RSA_Encrypt and RSA_Decrypt share. */
static tpm_rc rsa_params(struct tpm_cmd *c, struct tpm2b_rsa *data, struct tpm_scheme *scheme,
			 struct tpm2b_data *label)
{
	TPM_IN(1, tpm_r_2b(&c->in, data->b, &data->size, sizeof(data->b)));
	TPM_IN(2, r_rsa_decrypt_scheme(&c->in, scheme));
	TPM_IN(3, tpm_r_2b(&c->in, label->b, &label->size, TPM_MAX_DATA));
	TPM_IN_DONE(c);
	return TPM_RC_SUCCESS;
}

static tpm_rc rsa_set_padding(mbedtls_rsa_context *rsa, const struct tpm_scheme *scheme)
{
	int ret;

	if (scheme->alg == TPM_ALG_OAEP)
		ret = mbedtls_rsa_set_padding(rsa, MBEDTLS_RSA_PKCS_V21, tpm_md_type(scheme->hash));
	else
		ret = mbedtls_rsa_set_padding(rsa, MBEDTLS_RSA_PKCS_V15, MBEDTLS_MD_NONE);
	return ret ? TPM_RC_SCHEME : TPM_RC_SUCCESS;
}

TPM_HANDLER(RSA_Encrypt)
{
	struct tpm *t = c->t;
	struct tpm_object *key = tpm_object_find(t, c->handles[0]);
	struct tpm_scheme in, scheme;
	struct tpm2b_data label;
	mbedtls_rsa_context *rsa;
	size_t k;
	int ret;
	struct tpm2b_rsa msg, out;

	TPM_TRY(rsa_params(c, &msg, &in, &label));
	if (!is_key(key, TPM_ALG_RSA))
		return tpm_rc_handle(TPM_RC_KEY, 1);
	if (!has(key, TPMA_OBJECT_DECRYPT))
		return tpm_rc_handle(TPM_RC_ATTRIBUTES, 1);
	if (!label_ok(&label))
		return tpm_rc_param(TPM_RC_VALUE, 3);
	if (rsa_select_scheme(key, &in, &scheme))
		return tpm_rc_param(TPM_RC_SCHEME, 2);
	TPM_TRY(tpm_key_rsa(t, key, &rsa));
	k = mbedtls_rsa_get_len(rsa);
	if (k > sizeof(out.b))
		return TPM_RC_KEY;
	TPM_TRY(rsa_set_padding(rsa, &scheme));

	switch (scheme.alg) {
	case TPM_ALG_NULL: {
		/* Raw RSA: the message is a number below the modulus; leading
		 * zeros beyond the modulus size do not count. */
		size_t skip = 0;
		uint8_t block[TPM_MAX_RSA_BYTES];

		while (skip < msg.size && msg.b[skip] == 0)
			skip++;
		if (msg.size - skip > k)
			return TPM_RC_VALUE;
		memset(block, 0, k);
		memcpy(block + k - (msg.size - skip), msg.b + skip, msg.size - skip);
		ret = mbedtls_rsa_public(rsa, block, out.b);
		crypto_wipe(block, sizeof(block));
		break;
	}
	case TPM_ALG_RSAES:
		if (msg.size + 11u > k)
			return TPM_RC_VALUE;
		ret = mbedtls_rsa_rsaes_pkcs1_v15_encrypt(rsa, crypto_drbg_rng, &t->drbg, msg.size, msg.b, out.b);
		break;
	default: /* OAEP */
		if (msg.size + 2u * tpm_hash_size(scheme.hash) + 2u > k)
			return TPM_RC_VALUE;
		ret = mbedtls_rsa_rsaes_oaep_encrypt(rsa, crypto_drbg_rng, &t->drbg, label.b, label.size, msg.size,
						     msg.b, out.b);
		break;
	}
	crypto_wipe(&msg, sizeof(msg));
	if (ret)
		return mbed_rc(ret, TPM_RC_VALUE); /* raw: the value is not below the modulus */
	out.size = (uint16_t)k;
	tpm_w_2b(&c->out, out.b, out.size);
	return TPM_RC_SUCCESS;
}

TPM_HANDLER(RSA_Decrypt)
{
	struct tpm *t = c->t;
	struct tpm_object *key = tpm_object_find(t, c->handles[0]);
	struct tpm_scheme in, scheme;
	struct tpm2b_data label;
	mbedtls_rsa_context *rsa;
	size_t k, olen = 0;
	int ret;
	struct tpm2b_rsa cipher, out;

	TPM_TRY(rsa_params(c, &cipher, &in, &label));
	if (!is_key(key, TPM_ALG_RSA))
		return tpm_rc_handle(TPM_RC_KEY, 1);
	/* A restricted decryption key only unwraps the TPM's own formats. */
	if (has(key, TPMA_OBJECT_RESTRICTED) || !has(key, TPMA_OBJECT_DECRYPT))
		return tpm_rc_handle(TPM_RC_ATTRIBUTES, 1);
	if (!key->has_sensitive)
		return TPM_RC_AUTH_UNAVAILABLE;
	if (!label_ok(&label))
		return tpm_rc_param(TPM_RC_VALUE, 3);
	if (rsa_select_scheme(key, &in, &scheme))
		return tpm_rc_param(TPM_RC_SCHEME, 2);
	TPM_TRY(tpm_key_rsa(t, key, &rsa));
	k = mbedtls_rsa_get_len(rsa);
	if (cipher.size != k)
		return TPM_RC_SIZE;
	TPM_TRY(rsa_set_padding(rsa, &scheme));

	switch (scheme.alg) {
	case TPM_ALG_NULL:
		ret = mbedtls_rsa_private(rsa, crypto_drbg_rng, &t->drbg, cipher.b, out.b);
		olen = k;
		break;
	case TPM_ALG_RSAES:
		ret = mbedtls_rsa_rsaes_pkcs1_v15_decrypt(rsa, crypto_drbg_rng, &t->drbg, &olen, cipher.b, out.b,
							  sizeof(out.b));
		break;
	default: /* OAEP */
		ret = mbedtls_rsa_rsaes_oaep_decrypt(rsa, crypto_drbg_rng, &t->drbg, label.b, label.size, &olen,
						     cipher.b, out.b, sizeof(out.b));
		break;
	}
	/* Every failure (value not below the modulus, bad encoding) is the
	 * same TPM_RC_VALUE: telling them apart would help padding oracles. */
	if (!ret && olen <= sizeof(out.b))
		tpm_w_2b(&c->out, out.b, (uint16_t)olen);
	crypto_wipe(&out, sizeof(out));
	return ret ? mbed_rc(ret, TPM_RC_VALUE) : TPM_RC_SUCCESS;
}

/* ---- ECDH ---- */

/* TPM2B_ECC_POINT: size, then x and y; the size must match exactly
 * (tpm_r_2b_begin/_end: read as the reference implementation reads it). */
static tpm_rc r_ecc_point(struct tpm_r *r, struct tpm2b_ecc *x, struct tpm2b_ecc *y)
{
	uint16_t size;
	size_t start;

	TPM_TRY(tpm_r_2b_begin(r, &size, &start));
	TPM_TRY(tpm_r_ecc_param(r, x));
	TPM_TRY(tpm_r_ecc_param(r, y));
	return tpm_r_2b_end(r, size, start);
}

/* TPM2B_ECC_POINT with both coordinates padded to the curve's size. */
static tpm_rc w_ecc_point(struct tpm_w *w, const mbedtls_ecp_point *p, uint16_t bytes)
{
	uint8_t buf[2 * TPM_MAX_ECC_BYTES];
	int ret;

	ret = mbedtls_mpi_write_binary(&p->MBEDTLS_PRIVATE(X), buf, bytes);
	if (!ret)
		ret = mbedtls_mpi_write_binary(&p->MBEDTLS_PRIVATE(Y), buf + bytes, bytes);
	if (ret)
		return TPM_RC_FAILURE;
	tpm_w_u16(w, (uint16_t)(4 + 2 * bytes));
	tpm_w_2b(w, buf, bytes);
	tpm_w_2b(w, buf + bytes, bytes);
	crypto_wipe(buf, sizeof(buf));
	return TPM_RC_SUCCESS;
}

/* Reads (x, y) into p and checks that it is a point of the curve (not
 * infinity): the defence against invalid-curve attacks on the key. */
static tpm_rc ecc_load_point(const mbedtls_ecp_group *grp, uint16_t bytes, const struct tpm2b_ecc *x,
			     const struct tpm2b_ecc *y, mbedtls_ecp_point *p)
{
	uint8_t buf[1 + 2 * TPM_MAX_ECC_BYTES];
	int ret;

	if (x->size > bytes || y->size > bytes)
		return TPM_RC_ECC_POINT;
	memset(buf, 0, sizeof(buf));
	buf[0] = 0x04;
	memcpy(buf + 1 + bytes - x->size, x->b, x->size);
	memcpy(buf + 1 + 2u * bytes - y->size, y->b, y->size);
	ret = mbedtls_ecp_point_read_binary(grp, p, buf, 1 + 2u * bytes);
	if (!ret)
		ret = mbedtls_ecp_check_pubkey(grp, p);
	return ret ? mbed_rc(ret, TPM_RC_ECC_POINT) : TPM_RC_SUCCESS;
}

TPM_HANDLER(ECDH_KeyGen)
{
	struct tpm *t = c->t;
	struct tpm_object *key = tpm_object_find(t, c->handles[0]);
	uint16_t bytes;
	mbedtls_ecp_keypair *kp;
	mbedtls_ecp_point q, z;
	mbedtls_mpi d;
	tpm_rc rc = TPM_RC_SUCCESS;
	int ret;

	TPM_IN_DONE(c);
	if (!is_key(key, TPM_ALG_ECC))
		return tpm_rc_handle(TPM_RC_KEY, 1);
	rc = tpm_key_ecc(t, key, &kp);
	if (rc)
		return tpm_rc_handle(rc == TPM_RC_MEMORY ? rc : TPM_RC_KEY, 1);
	bytes = tpm_curve_bytes(key->pub.curve);
	mbedtls_mpi_init(&d);
	mbedtls_ecp_point_init(&q);
	mbedtls_ecp_point_init(&z);
	/* An ephemeral key (d, Q); Z = d * (the key's public point). */
	ret = mbedtls_ecp_gen_keypair(KP_GRP(kp), &d, &q, crypto_drbg_rng, &t->drbg);
	if (!ret)
		ret = mbedtls_ecp_mul(KP_GRP(kp), &z, &d, KP_Q(kp), crypto_drbg_rng, &t->drbg);
	if (ret)
		rc = mbed_rc(ret, TPM_RC_NO_RESULT);
	if (!rc)
		rc = w_ecc_point(&c->out, &z, bytes);
	if (!rc)
		rc = w_ecc_point(&c->out, &q, bytes);
	mbedtls_mpi_free(&d); /* mbedTLS zeroizes MPIs it frees */
	mbedtls_ecp_point_free(&q);
	mbedtls_ecp_point_free(&z);
	return rc;
}

TPM_HANDLER(ECDH_ZGen)
{
	struct tpm *t = c->t;
	struct tpm_object *key = tpm_object_find(t, c->handles[0]);
	struct tpm2b_ecc x, y;
	mbedtls_ecp_keypair *kp;
	mbedtls_ecp_point p, z;
	tpm_rc rc;
	int ret;

	TPM_IN(1, r_ecc_point(&c->in, &x, &y));
	TPM_IN_DONE(c);
	if (!is_key(key, TPM_ALG_ECC))
		return tpm_rc_handle(TPM_RC_KEY, 1);
	if (has(key, TPMA_OBJECT_RESTRICTED) || !has(key, TPMA_OBJECT_DECRYPT))
		return tpm_rc_handle(TPM_RC_ATTRIBUTES, 1);
	if (key->pub.scheme.alg != TPM_ALG_ECDH && key->pub.scheme.alg != TPM_ALG_NULL)
		return tpm_rc_handle(TPM_RC_SCHEME, 1);
	if (!key->has_sensitive)
		return TPM_RC_AUTH_UNAVAILABLE;
	TPM_TRY(tpm_key_ecc(t, key, &kp));
	mbedtls_ecp_point_init(&p);
	mbedtls_ecp_point_init(&z);
	rc = ecc_load_point(KP_GRP(kp), tpm_curve_bytes(key->pub.curve), &x, &y, &p);
	if (rc) {
		rc = tpm_rc_param(rc, 1);
	} else {
		ret = mbedtls_ecp_mul(KP_GRP(kp), &z, KP_D(kp), &p, crypto_drbg_rng, &t->drbg);
		rc = ret ? mbed_rc(ret, TPM_RC_NO_RESULT) : TPM_RC_SUCCESS;
	}
	if (!rc)
		rc = w_ecc_point(&c->out, &z, tpm_curve_bytes(key->pub.curve));
	mbedtls_ecp_point_free(&p);
	mbedtls_ecp_point_free(&z);
	return rc;
}

/* ---- EncryptDecrypt / EncryptDecrypt2 ---- */

#define AES_BLOCK 16

/* The modes as the reference implementation chains them, so that ivOut
 * continues a stream exactly as another TPM's would: CFB and OFB keep a
 * whole block of state, a partial last CFB block leaves its ciphertext
 * followed by zeros in the IV, CTR counts blocks big-endian. */
static tpm_rc sym_crypt(const struct tpm_object *key, bool decrypt, uint16_t mode, uint8_t iv[AES_BLOCK],
			const uint8_t *in, uint8_t *out, size_t len)
{
	mbedtls_aes_context aes;
	uint8_t tmp[AES_BLOCK];
	bool dec_schedule = decrypt && (mode == TPM_ALG_CBC || mode == TPM_ALG_ECB);
	int ret;

	mbedtls_aes_init(&aes);
	if (dec_schedule)
		ret = mbedtls_aes_setkey_dec(&aes, key->sens.secret.b, key->pub.symmetric.key_bits);
	else
		ret = mbedtls_aes_setkey_enc(&aes, key->sens.secret.b, key->pub.symmetric.key_bits);
	for (size_t off = 0; !ret && off < len; off += AES_BLOCK) {
		size_t n = len - off < AES_BLOCK ? len - off : AES_BLOCK;

		switch (mode) {
		case TPM_ALG_CTR:
			ret = mbedtls_aes_crypt_ecb(&aes, MBEDTLS_AES_ENCRYPT, iv, tmp);
			for (int i = AES_BLOCK - 1; i >= 0; i--)
				if (++iv[i] != 0)
					break;
			for (size_t i = 0; i < n; i++)
				out[off + i] = in[off + i] ^ tmp[i];
			break;
		case TPM_ALG_OFB:
			ret = mbedtls_aes_crypt_ecb(&aes, MBEDTLS_AES_ENCRYPT, iv, iv);
			for (size_t i = 0; i < n; i++)
				out[off + i] = in[off + i] ^ iv[i];
			break;
		case TPM_ALG_CFB:
			ret = mbedtls_aes_crypt_ecb(&aes, MBEDTLS_AES_ENCRYPT, iv, tmp);
			for (size_t i = 0; i < n; i++) {
				uint8_t ct = decrypt ? in[off + i] : (uint8_t)(in[off + i] ^ tmp[i]);

				out[off + i] = decrypt ? (uint8_t)(ct ^ tmp[i]) : ct;
				iv[i] = ct;
			}
			for (size_t i = n; i < AES_BLOCK; i++)
				iv[i] = 0;
			break;
		case TPM_ALG_CBC:
			if (decrypt) {
				uint8_t ct[AES_BLOCK];

				memcpy(ct, in + off, AES_BLOCK);
				ret = mbedtls_aes_crypt_ecb(&aes, MBEDTLS_AES_DECRYPT, ct, tmp);
				for (size_t i = 0; i < AES_BLOCK; i++)
					out[off + i] = tmp[i] ^ iv[i];
				memcpy(iv, ct, AES_BLOCK);
			} else {
				for (size_t i = 0; i < AES_BLOCK; i++)
					iv[i] ^= in[off + i];
				ret = mbedtls_aes_crypt_ecb(&aes, MBEDTLS_AES_ENCRYPT, iv, iv);
				memcpy(out + off, iv, AES_BLOCK);
			}
			break;
		default: /* ECB */
			ret = mbedtls_aes_crypt_ecb(&aes, decrypt ? MBEDTLS_AES_DECRYPT : MBEDTLS_AES_ENCRYPT,
						    in + off, out + off);
			break;
		}
	}
	mbedtls_aes_free(&aes);
	crypto_wipe(tmp, sizeof(tmp));
	return ret ? TPM_RC_FAILURE : TPM_RC_SUCCESS;
}

static bool sym_mode_ok(uint16_t mode)
{
	return mode == TPM_ALG_CFB || mode == TPM_ALG_CTR || mode == TPM_ALG_OFB || mode == TPM_ALG_CBC ||
	       mode == TPM_ALG_ECB;
}

/* TPMI_ALG_CIPHER_MODE+ */
static tpm_rc r_cipher_mode(struct tpm_r *r, uint16_t *mode)
{
	size_t start = r->pos;
	tpm_rc rc = tpm_r_u16(r, mode);

	if (rc)
		return rc;
	if (*mode == TPM_ALG_NULL || sym_mode_ok(*mode))
		return TPM_RC_SUCCESS;
	r->pos = start;
	return TPM_RC_MODE;
}

/* TPMI_YES_NO */
static tpm_rc r_yes_no(struct tpm_r *r, uint8_t *v)
{
	size_t start = r->pos;
	tpm_rc rc = tpm_r_u8(r, v);

	if (rc)
		return rc;
	if (*v <= 1)
		return TPM_RC_SUCCESS;
	r->pos = start;
	return TPM_RC_VALUE;
}

/* Parameter numbers of EncryptDecrypt's inputs in either command. */
struct sym_args {
	unsigned p_mode, p_iv, p_data;
};

/* Both commands after their (differently ordered) parameters are read. */
static tpm_rc encrypt_decrypt(struct tpm_cmd *c, const struct sym_args *a, uint8_t decrypt, uint16_t mode_in,
			      struct tpm2b_digest *iv, const struct tpm2b_buffer *in)
{
	struct tpm_object *key = tpm_object_find(c->t, c->handles[0]);
	uint16_t mode;
	uint8_t *out;
	tpm_rc rc;

	if (!is_key(key, TPM_ALG_SYMCIPHER))
		return tpm_rc_handle(TPM_RC_KEY, 1);
	/* sign is "encrypt" for a symmetric key */
	if (has(key, TPMA_OBJECT_RESTRICTED) ||
	    !has(key, decrypt ? TPMA_OBJECT_DECRYPT : TPMA_OBJECT_SIGN_ENCRYPT))
		return tpm_rc_handle(TPM_RC_ATTRIBUTES, 1);
	mode = key->pub.symmetric.mode;
	if (mode != TPM_ALG_NULL && !sym_mode_ok(mode))
		return tpm_rc_handle(TPM_RC_MODE, 1);
	/* The key's mode, if it has one, is the only one allowed. */
	if (mode != TPM_ALG_NULL) {
		if (mode_in != TPM_ALG_NULL && mode_in != mode)
			return tpm_rc_param(TPM_RC_MODE, a->p_mode);
	} else {
		if (mode_in == TPM_ALG_NULL)
			return tpm_rc_param(TPM_RC_MODE, a->p_mode);
		mode = mode_in;
	}
	if (key->pub.symmetric.alg != TPM_ALG_AES || !key->has_sensitive ||
	    key->sens.secret.size * 8u != key->pub.symmetric.key_bits)
		return tpm_rc_handle(TPM_RC_KEY, 1);
	if (mode == TPM_ALG_ECB ? iv->size != 0 : iv->size != AES_BLOCK)
		return tpm_rc_param(TPM_RC_SIZE, a->p_iv);
	if ((mode == TPM_ALG_CBC || mode == TPM_ALG_ECB) && in->size % AES_BLOCK)
		return tpm_rc_param(TPM_RC_SIZE, a->p_data);

	/* outData goes straight into the response: TPM2B_MAX_BUFFER, then
	 * ivOut. */
	tpm_w_u16(&c->out, in->size);
	if (!tpm_w_ok(&c->out) || c->out.cap - c->out.pos < in->size)
		return TPM_RC_MEMORY;
	out = c->out.p + c->out.pos;
	rc = sym_crypt(key, decrypt, mode, iv->b, in->b, out, in->size);
	if (rc)
		return rc;
	c->out.pos += in->size;
	tpm_w_digest(&c->out, iv);
	return TPM_RC_SUCCESS;
}

TPM_HANDLER(EncryptDecrypt)
{
	static const struct sym_args args = { 2, 3, 4 };
	struct tpm2b_digest iv;
	struct tpm2b_buffer in;
	uint8_t decrypt;
	uint16_t mode;
	tpm_rc rc;

	TPM_IN(1, r_yes_no(&c->in, &decrypt));
	TPM_IN(2, r_cipher_mode(&c->in, &mode));
	TPM_IN(3, tpm_r_2b(&c->in, iv.b, &iv.size, AES_BLOCK));
	TPM_IN(4, tpm_r_buffer(&c->in, &in, TPM_MAX_BUFFER));
	TPM_IN_DONE(c);
	rc = encrypt_decrypt(c, &args, decrypt, mode, &iv, &in);
	crypto_wipe(&in, sizeof(in));
	return rc;
}

TPM_HANDLER(EncryptDecrypt2)
{
	static const struct sym_args args = { 3, 4, 1 };
	struct tpm2b_digest iv;
	struct tpm2b_buffer in;
	uint8_t decrypt;
	uint16_t mode;
	tpm_rc rc;

	TPM_IN(1, tpm_r_buffer(&c->in, &in, TPM_MAX_BUFFER));
	TPM_IN(2, r_yes_no(&c->in, &decrypt));
	TPM_IN(3, r_cipher_mode(&c->in, &mode));
	TPM_IN(4, tpm_r_2b(&c->in, iv.b, &iv.size, AES_BLOCK));
	TPM_IN_DONE(c);
	rc = encrypt_decrypt(c, &args, decrypt, mode, &iv, &in);
	crypto_wipe(&in, sizeof(in));
	return rc;
}
