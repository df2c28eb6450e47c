/* Issuing EK certificates (ekcert.h): the CA's key and certificate, and
 * an X.509 v3 certificate for an EK public area laid out as the TCG EK
 * Credential Profile (2.x) asks, written by mbedTLS's certificate writer
 * with the TCG extensions encoded here.  Field by field: docs/ekcert.md.
 *
 * Everything the certificate holds is a function of the CA and the EK (no
 * clock, no randomness), so that the same inputs give the same bytes and
 * provisioning at every boot can tell "already there" by comparing them. */
#include <string.h>

#include "crypto/crypto.h"
#include "ekcert/ekcert.h"
#include "husk/err.h"
#include "mbedtls/asn1write.h"
#include "mbedtls/ecp.h"
#include "mbedtls/oid.h"
#include "mbedtls/pem.h"
#include "mbedtls/platform.h"
#include "mbedtls/rsa.h"
#include "mbedtls/sha256.h"
#include "tpm/tpm_types.h"

/* A CA key or certificate beyond this is no CA key or certificate. */
#define EKCERT_INPUT_MAX 65536u

/* TCG OIDs (2.23.133 = tcg): attributes of the TPM (TCG EK Credential
 * Profile; TCG Specification "Infrastructure ... Certificate Profile")
 * and the EK certificate's extended key usage. */
#define OID_TCG_AT_TPM_MANUFACTURER  "\x67\x81\x05\x02\x01" /* 2.23.133.2.1 */
#define OID_TCG_AT_TPM_MODEL         "\x67\x81\x05\x02\x02" /* 2.23.133.2.2 */
#define OID_TCG_AT_TPM_VERSION       "\x67\x81\x05\x02\x03" /* 2.23.133.2.3 */
#define OID_TCG_AT_TPM_SPECIFICATION "\x67\x81\x05\x02\x10" /* 2.23.133.2.16 */
#define OID_TCG_KP_EK_CERTIFICATE    "\x67\x81\x05\x08\x01" /* 2.23.133.8.1 */
#define OID_SUBJECT_DIRECTORY_ATTRS  "\x55\x1d\x09"         /* 2.5.29.9 */

/* Scratch for one extension's value; the largest, the SAN, is ~80 bytes. */
#define EXT_MAX 256u
/* A SubjectPublicKeyInfo of up to RSA 4096. */
#define SPKI_MAX 600u

static int fail(const char **why, const char *msg, int err)
{
	if (why)
		*why = msg;
	return err;
}

void ekcert_ca_init(struct ekcert_ca *ca)
{
	memset(ca, 0, sizeof(*ca));
	mbedtls_pk_init(&ca->key);
	mbedtls_x509_crt_init(&ca->cert);
}

void ekcert_ca_free(struct ekcert_ca *ca)
{
	if (!ca)
		return;
	mbedtls_pk_free(&ca->key); /* wipes the private key */
	mbedtls_x509_crt_free(&ca->cert);
	ekcert_ca_init(ca);
}

/* mbedTLS reads PEM only from a NUL-terminated buffer whose length counts
 * the NUL; DER (a SEQUENCE, 0x30) is read in place. */
static bool is_der(const uint8_t *p, size_t len)
{
	return len && p[0] == 0x30;
}

static unsigned char *nul_copy(const uint8_t *p, size_t len)
{
	unsigned char *c = mbedtls_calloc(1, len + 1);

	if (c)
		memcpy(c, p, len);
	return c;
}

static int parse_key(struct ekcert_ca *ca, const uint8_t *key, size_t len, ekcert_rng_fn rng, void *rng_ctx)
{
	unsigned char *copy;
	int ret;

	if (is_der(key, len))
		return mbedtls_pk_parse_key(&ca->key, key, len, NULL, 0, rng, rng_ctx);
	copy = nul_copy(key, len);
	if (!copy)
		return MBEDTLS_ERR_PK_ALLOC_FAILED;
	/* husk's mbedTLS has no PKCS#5/#12, so it would call an encrypted
	 * PKCS#8 key merely malformed; say what it is. */
	if (strstr((const char *)copy, "-----BEGIN ENCRYPTED PRIVATE KEY-----") ||
	    strstr((const char *)copy, "Proc-Type: 4,ENCRYPTED"))
		ret = MBEDTLS_ERR_PK_PASSWORD_REQUIRED;
	else
		ret = mbedtls_pk_parse_key(&ca->key, copy, len + 1, NULL, 0, rng, rng_ctx);
	crypto_wipe(copy, len + 1);
	mbedtls_free(copy);
	return ret;
}

static int parse_cert(struct ekcert_ca *ca, const uint8_t *cert, size_t len)
{
	unsigned char *copy;
	int ret;

	if (is_der(cert, len))
		return mbedtls_x509_crt_parse_der(&ca->cert, cert, len);
	copy = nul_copy(cert, len);
	if (!copy)
		return MBEDTLS_ERR_X509_ALLOC_FAILED;
	ret = mbedtls_x509_crt_parse(&ca->cert, copy, len + 1);
	mbedtls_free(copy);
	return ret;
}

/* The signature's hash: SHA-256 for RSA and P-256, and the curve's
 * strength for larger curves (RFC 5480 section 4).  MBEDTLS_MD_NONE for a
 * key husk does not sign with. */
static mbedtls_md_type_t key_md(const mbedtls_pk_context *key)
{
	switch (mbedtls_pk_get_type(key)) {
	case MBEDTLS_PK_RSA:
		return mbedtls_pk_get_bitlen(key) >= 2048 ? MBEDTLS_MD_SHA256 : MBEDTLS_MD_NONE;
	case MBEDTLS_PK_ECKEY:
		switch (mbedtls_ecp_keypair_get_group_id(mbedtls_pk_ec(*key))) {
		case MBEDTLS_ECP_DP_SECP256R1: return MBEDTLS_MD_SHA256;
		case MBEDTLS_ECP_DP_SECP384R1: return MBEDTLS_MD_SHA384;
		case MBEDTLS_ECP_DP_SECP521R1: return MBEDTLS_MD_SHA512;
		default: return MBEDTLS_MD_NONE;
		}
	default:
		return MBEDTLS_MD_NONE;
	}
}

static void put_digits(char *out, int v, int n)
{
	while (n-- > 0) {
		out[n] = (char)('0' + v % 10);
		v /= 10;
	}
}

/* "YYYYMMDDhhmmss", as mbedtls_x509write_crt_set_validity takes it. */
static bool format_time(const mbedtls_x509_time *t, char out[15])
{
	if (t->year < 1950 || t->year > 9999 || t->mon < 1 || t->mon > 12 || t->day < 1 || t->day > 31 ||
	    t->hour < 0 || t->hour > 23 || t->min < 0 || t->min > 59 || t->sec < 0 || t->sec > 59)
		return false;
	put_digits(out, t->year, 4);
	put_digits(out + 4, t->mon, 2);
	put_digits(out + 6, t->day, 2);
	put_digits(out + 8, t->hour, 2);
	put_digits(out + 10, t->min, 2);
	put_digits(out + 12, t->sec, 2);
	out[14] = '\0';
	return true;
}

/* The CA's subject as the writer's issuer list.  mbedTLS's writer emits
 * the list head last and every entry as an RDN of its own, so the copy is
 * built in reverse; the caller checks that it reproduces the subject. */
static int issuer_names(const mbedtls_x509_crt *cert, mbedtls_asn1_named_data **head)
{
	const mbedtls_asn1_named_data *cur;

	*head = NULL;
	for (cur = &cert->subject; cur && cur->oid.p; cur = cur->next) {
		mbedtls_asn1_named_data *n = mbedtls_calloc(1, sizeof(*n));

		if (!n)
			goto nomem;
		n->next = *head;
		*head = n;
		n->oid.tag = cur->oid.tag;
		n->oid.len = cur->oid.len;
		n->oid.p = mbedtls_calloc(1, cur->oid.len ? cur->oid.len : 1);
		n->val.tag = cur->val.tag;
		n->val.len = cur->val.len;
		n->val.p = mbedtls_calloc(1, cur->val.len ? cur->val.len : 1);
		if (!n->oid.p || !n->val.p)
			goto nomem;
		memcpy(n->oid.p, cur->oid.p, cur->oid.len);
		memcpy(n->val.p, cur->val.p, cur->val.len);
	}
	return 0;
nomem:
	mbedtls_asn1_free_named_data_list(head);
	return MBEDTLS_ERR_X509_ALLOC_FAILED;
}

#define TAG_SEQ (MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE)
#define TAG_SET (MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SET)
#define TAG_DIRECTORY_NAME (MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_ASN1_CONSTRUCTED | 4) /* GeneralName */
#define TAG_KEY_IDENTIFIER (MBEDTLS_ASN1_CONTEXT_SPECIFIC | 0) /* AuthorityKeyIdentifier */

/* mbedTLS's DER writers go backwards, from the end of a buffer: after a
 * value of len bytes, its length and tag in front.  The bytes written, or
 * an mbedTLS error. */
static int wrap(unsigned char **p, unsigned char *start, size_t len, unsigned char tag)
{
	size_t n = 0;
	int ret;

	MBEDTLS_ASN1_CHK_ADD(n, mbedtls_asn1_write_len(p, start, len));
	MBEDTLS_ASN1_CHK_ADD(n, mbedtls_asn1_write_tag(p, start, tag));
	return (int)n;
}

/* A Name as mbedTLS's certificate writer encodes a list (x509_create.c,
 * which keeps the function to itself): each entry an RDN of its own, its
 * value with the entry's string tag, the list head last. */
static int write_names(unsigned char **p, unsigned char *start, const mbedtls_asn1_named_data *head)
{
	size_t len = 0;
	int ret;

	for (const mbedtls_asn1_named_data *n = head; n; n = n->next) {
		size_t rdn = 0;

		const char *val = (const char *)n->val.p, *oid = (const char *)n->oid.p;

		MBEDTLS_ASN1_CHK_ADD(rdn, mbedtls_asn1_write_tagged_string(p, start, n->val.tag, val,
									    n->val.len));
		MBEDTLS_ASN1_CHK_ADD(rdn, mbedtls_asn1_write_oid(p, start, oid, n->oid.len));
		MBEDTLS_ASN1_CHK_ADD(rdn, wrap(p, start, rdn, TAG_SEQ));
		MBEDTLS_ASN1_CHK_ADD(rdn, wrap(p, start, rdn, TAG_SET));
		len += rdn;
	}
	MBEDTLS_ASN1_CHK_ADD(len, wrap(p, start, len, TAG_SEQ));
	return (int)len;
}

/* Whether the writer reproduces the CA's subject byte for byte (it cannot
 * for multi-valued RDNs): the EK certificate's issuer must be exactly the
 * CA's subject for a relying party to chain the two.  ekcert_issue checks
 * the certificate it writes all the same. */
static int issuer_reproducible(const mbedtls_x509_crt *cert, bool *same)
{
	mbedtls_asn1_named_data *names;
	size_t cap = cert->subject_raw.len + 16;
	unsigned char *buf, *p;
	int ret;

	*same = false;
	ret = issuer_names(cert, &names);
	if (ret)
		return ret;
	buf = mbedtls_calloc(1, cap);
	if (!buf) {
		mbedtls_asn1_free_named_data_list(&names);
		return MBEDTLS_ERR_X509_ALLOC_FAILED;
	}
	p = buf + cap;
	ret = write_names(&p, buf, names);
	if (ret >= 0) {
		*same = (size_t)ret == cert->subject_raw.len &&
			memcmp(p, cert->subject_raw.p, (size_t)ret) == 0;
		ret = 0;
	} else if (ret == MBEDTLS_ERR_ASN1_BUF_TOO_SMALL) {
		ret = 0; /* longer than the original: not the same */
	}
	mbedtls_free(buf);
	mbedtls_asn1_free_named_data_list(&names);
	return ret;
}

static int check_ca(struct ekcert_ca *ca, ekcert_rng_fn rng, void *rng_ctx, const char **why)
{
	const mbedtls_x509_crt *c = &ca->cert;
	bool same;
	int ret;

	if (c->version != 3)
		return fail(why, "CA certificate: not an X.509 v3 certificate", HUSK_ERR_INVAL);
	if (mbedtls_x509_crt_get_ca_istrue(c) != 1)
		return fail(why, "CA certificate: not a CA's (basicConstraints cA is not TRUE)",
			    HUSK_ERR_INVAL);
	if (mbedtls_x509_crt_check_key_usage(c, MBEDTLS_X509_KU_KEY_CERT_SIGN) != 0)
		return fail(why, "CA certificate: its keyUsage does not allow keyCertSign", HUSK_ERR_INVAL);
	if (!c->subject.oid.p)
		return fail(why, "CA certificate: empty subject, so no issuer name", HUSK_ERR_INVAL);
	if (!format_time(&c->valid_from, ca->not_before))
		return fail(why, "CA certificate: notBefore out of range", HUSK_ERR_INVAL);
	ret = issuer_reproducible(c, &same);
	if (ret)
		return fail(why, "out of memory", HUSK_ERR_NOMEM);
	if (!same)
		return fail(why,
			    "CA certificate: subject not reproducible as an issuer name (multi-valued RDN?)",
			    HUSK_ERR_UNSUPPORTED);
	ret = mbedtls_pk_check_pair(&c->pk, &ca->key, rng, rng_ctx);
	if (ret == MBEDTLS_ERR_PK_ALLOC_FAILED || ret == MBEDTLS_ERR_ECP_ALLOC_FAILED ||
	    ret == MBEDTLS_ERR_MPI_ALLOC_FAILED)
		return fail(why, "out of memory", HUSK_ERR_NOMEM);
	if (ret)
		return fail(why, "CA key does not belong to the CA certificate", HUSK_ERR_INVAL);
	return HUSK_OK;
}

int ekcert_ca_load(struct ekcert_ca *ca, const uint8_t *key, size_t key_len, const uint8_t *cert,
		   size_t cert_len, ekcert_rng_fn rng, void *rng_ctx, const char **why)
{
	int ret, err;

	if (!ca)
		return fail(why, "no CA", HUSK_ERR_INVAL);
	ekcert_ca_free(ca);
	if (!key || !key_len || !cert || !cert_len || !rng)
		return fail(why, "CA key or certificate missing", HUSK_ERR_INVAL);
	if (key_len > EKCERT_INPUT_MAX || cert_len > EKCERT_INPUT_MAX)
		return fail(why, "CA key or certificate larger than 64 KiB", HUSK_ERR_RANGE);

	ret = parse_key(ca, key, key_len, rng, rng_ctx);
	switch (ret) {
	case 0:
		break;
	case MBEDTLS_ERR_PK_PASSWORD_REQUIRED:
	case MBEDTLS_ERR_PK_PASSWORD_MISMATCH:
	case MBEDTLS_ERR_PEM_PASSWORD_REQUIRED:
	case MBEDTLS_ERR_PEM_PASSWORD_MISMATCH:
		err = fail(why, "CA key: encrypted; husk takes it unencrypted", HUSK_ERR_UNSUPPORTED);
		goto out;
	case MBEDTLS_ERR_PK_ALLOC_FAILED:
		err = fail(why, "out of memory", HUSK_ERR_NOMEM);
		goto out;
	case MBEDTLS_ERR_PK_UNKNOWN_PK_ALG:
	case MBEDTLS_ERR_PK_UNKNOWN_NAMED_CURVE:
	case MBEDTLS_ERR_PK_FEATURE_UNAVAILABLE:
		err = fail(why, "CA key: unsupported key type (RSA, or ECDSA P-256/P-384/P-521)",
			   HUSK_ERR_UNSUPPORTED);
		goto out;
	default:
		err = fail(why, "CA key: not a PEM or DER private key", HUSK_ERR_FORMAT);
		goto out;
	}
	ca->md = key_md(&ca->key);
	if (ca->md == MBEDTLS_MD_NONE) {
		err = fail(why, "CA key: unsupported (RSA of 2048 bits or more, or ECDSA P-256/P-384/P-521)",
			   HUSK_ERR_UNSUPPORTED);
		goto out;
	}

	ret = parse_cert(ca, cert, cert_len);
	if (ret == MBEDTLS_ERR_X509_ALLOC_FAILED) {
		err = fail(why, "out of memory", HUSK_ERR_NOMEM);
		goto out;
	}
	if (ret != 0) {
		err = fail(why, "CA certificate: not a PEM or DER X.509 certificate", HUSK_ERR_FORMAT);
		goto out;
	}
	err = check_ca(ca, rng, rng_ctx, why);
	if (!err)
		ca->loaded = true;
out:
	if (err)
		ekcert_ca_free(ca);
	return err;
}

/* ---- the EK ---- */

static uint16_t curve_bytes(uint16_t curve, mbedtls_ecp_group_id *gid)
{
	switch (curve) {
	case TPM_ECC_NIST_P256: *gid = MBEDTLS_ECP_DP_SECP256R1; return 32;
	case TPM_ECC_NIST_P384: *gid = MBEDTLS_ECP_DP_SECP384R1; return 48;
	case TPM_ECC_NIST_P521: *gid = MBEDTLS_ECP_DP_SECP521R1; return 66;
	default: *gid = MBEDTLS_ECP_DP_NONE; return 0;
	}
}

/* The public area, unmarshalled with the checks the TPM itself applies to
 * TPMT_PUBLIC, then what makes it an EK a certificate may name: a key the
 * TPM never lets go of (fixedTPM, fixedParent) of a size husk issues for. */
static int ek_parse(const uint8_t *p, size_t n, struct tpm_public *pub, const char **why)
{
	struct tpm_r r;
	const uint32_t fixed = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT;
	mbedtls_ecp_group_id gid;
	uint16_t nb;

	if (!p || n == 0 || n > 0xffff)
		return fail(why, "EK public area missing or too large", HUSK_ERR_INVAL);
	tpm_r_init(&r, p, n);
	if (tpm_r_public(&r, pub, false) || tpm_r_left(&r))
		return fail(why, "EK public area: not a well-formed TPMT_PUBLIC", HUSK_ERR_FORMAT);
	if ((pub->attributes & fixed) != fixed)
		return fail(why, "EK public area: not fixedTPM and fixedParent, so not an EK",
			    HUSK_ERR_INVAL);
	if (!(pub->attributes & (TPMA_OBJECT_DECRYPT | TPMA_OBJECT_SIGN_ENCRYPT)))
		return fail(why, "EK public area: neither decrypt nor sign", HUSK_ERR_INVAL);
	switch (pub->type) {
	case TPM_ALG_RSA:
		if ((pub->rsa_bits != 2048 && pub->rsa_bits != 3072) || pub->rsa_n.size != pub->rsa_bits / 8)
			return fail(why, "EK public area: RSA key not of 2048 or 3072 bits", HUSK_ERR_INVAL);
		return HUSK_OK;
	case TPM_ALG_ECC:
		nb = curve_bytes(pub->curve, &gid);
		if (!nb || pub->ecc_x.size > nb || pub->ecc_y.size > nb)
			return fail(why, "EK public area: ECC key not on P-256, P-384 or P-521",
				    HUSK_ERR_INVAL);
		return HUSK_OK;
	default:
		return fail(why, "EK public area: neither RSA nor ECC", HUSK_ERR_INVAL);
	}
}

static int ek_key_rsa(const struct tpm_public *pub, mbedtls_pk_context *pk)
{
	uint32_t e = pub->rsa_exponent ? pub->rsa_exponent : 65537u;
	const uint8_t eb[4] = { (uint8_t)(e >> 24), (uint8_t)(e >> 16), (uint8_t)(e >> 8), (uint8_t)e };
	mbedtls_rsa_context *rsa;
	int ret;

	ret = mbedtls_pk_setup(pk, mbedtls_pk_info_from_type(MBEDTLS_PK_RSA));
	if (ret)
		return ret;
	rsa = mbedtls_pk_rsa(*pk);
	ret = mbedtls_rsa_import_raw(rsa, pub->rsa_n.b, pub->rsa_n.size, NULL, 0, NULL, 0, NULL, 0, eb,
				     sizeof(eb));
	if (!ret)
		ret = mbedtls_rsa_complete(rsa);
	if (!ret)
		ret = mbedtls_rsa_check_pubkey(rsa);
	return ret;
}

static int ek_key_ecc(const struct tpm_public *pub, mbedtls_pk_context *pk)
{
	uint8_t point[1 + 2 * TPM_MAX_ECC_BYTES];
	mbedtls_ecp_group_id gid;
	uint16_t nb = curve_bytes(pub->curve, &gid);
	mbedtls_ecp_group grp;
	mbedtls_ecp_point q;
	int ret;

	/* Uncompressed SEC1 point; TPM coordinates may come shorter than the
	 * curve (leading zeros dropped). */
	memset(point, 0, sizeof(point));
	point[0] = 0x04;
	memcpy(point + 1 + nb - pub->ecc_x.size, pub->ecc_x.b, pub->ecc_x.size);
	memcpy(point + 1 + 2 * nb - pub->ecc_y.size, pub->ecc_y.b, pub->ecc_y.size);
	mbedtls_ecp_group_init(&grp);
	mbedtls_ecp_point_init(&q);
	ret = mbedtls_pk_setup(pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY));
	if (!ret)
		ret = mbedtls_ecp_group_load(&grp, gid);
	if (!ret)
		ret = mbedtls_ecp_point_read_binary(&grp, &q, point, 1 + 2u * nb);
	if (!ret)
		ret = mbedtls_ecp_check_pubkey(&grp, &q);
	if (!ret)
		ret = mbedtls_ecp_set_public_key(gid, mbedtls_pk_ec(*pk), &q);
	mbedtls_ecp_point_free(&q);
	mbedtls_ecp_group_free(&grp);
	return ret;
}

/* ---- the serial number ---- */

static void sha256_lp(mbedtls_sha256_context *h, const unsigned char *p, size_t len)
{
	const uint8_t l[4] = {
		(uint8_t)(len >> 24), (uint8_t)(len >> 16), (uint8_t)(len >> 8), (uint8_t)len,
	};

	mbedtls_sha256_update(h, l, sizeof(l));
	mbedtls_sha256_update(h, p, len);
}

/* 20 octets of SHA-256 over the CA's name and key and the EK's key: the
 * same for the same pair, different (but for a collision) for any other,
 * so serials are unique per issuer without a counter that would have to
 * persist.  The top bits 01 keep it positive and 20 octets long in DER
 * (RFC 5280 4.1.2.2: at most 20 octets). */
static int make_serial(const struct ekcert_ca *ca, const unsigned char *spki, size_t spki_len,
		       unsigned char serial[20])
{
	static const char label[] = "husk ekcert serial v1";
	mbedtls_sha256_context h;
	unsigned char d[32];
	int ret;

	mbedtls_sha256_init(&h);
	ret = mbedtls_sha256_starts(&h, 0);
	if (!ret) {
		mbedtls_sha256_update(&h, (const unsigned char *)label, sizeof(label));
		sha256_lp(&h, ca->cert.subject_raw.p, ca->cert.subject_raw.len);
		sha256_lp(&h, ca->cert.pk_raw.p, ca->cert.pk_raw.len);
		sha256_lp(&h, spki, spki_len);
		ret = mbedtls_sha256_finish(&h, d);
	}
	mbedtls_sha256_free(&h);
	memcpy(serial, d, 20);
	serial[0] = (unsigned char)((serial[0] & 0x3f) | 0x40);
	return ret;
}

/* ---- the TCG extensions ---- */

static const char hexdigits[] = "0123456789ABCDEF";

/* "id:" and eight upper-case hex digits, the profile's form of a
 * TPM_PT_MANUFACTURER or firmware version value. */
static void id_string(uint32_t v, char out[12])
{
	memcpy(out, "id:", 3);
	for (int i = 0; i < 8; i++)
		out[3 + i] = hexdigits[(v >> (28 - 4 * i)) & 0xf];
	out[11] = '\0';
}

/* Printable ASCII of big-endian packed characters, up to the first NUL. */
static size_t chars_string(const uint32_t *words, size_t nwords, char *out)
{
	size_t n = 0;

	for (size_t i = 0; i < nwords; i++)
		for (int b = 24; b >= 0; b -= 8) {
			char ch = (char)(words[i] >> b);

			if (ch == '\0')
				goto done;
			out[n++] = ch >= 0x20 && ch < 0x7f ? ch : '?';
		}
done:
	out[n] = '\0';
	return n;
}

/* SET { SEQUENCE { type, UTF8String value } }: one RDN, written backwards. */
static int write_rdn(unsigned char **p, unsigned char *start, const char *oid, size_t oid_len,
		     const char *val)
{
	size_t len = 0;
	int ret;

	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_utf8_string(p, start, val, strlen(val)));
	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_oid(p, start, oid, oid_len));
	MBEDTLS_ASN1_CHK_ADD(len, wrap(p, start, len, TAG_SEQ));
	MBEDTLS_ASN1_CHK_ADD(len, wrap(p, start, len, TAG_SET));
	return (int)len;
}

#define WRITE_RDN(oid, val) write_rdn(p, start, oid, MBEDTLS_OID_SIZE(oid), val)

/* subjectAltName: GeneralNames { directoryName [4] Name { tpmManufacturer,
 * tpmModel, tpmVersion } }, one RDN each, as swtpm_cert lays it out. */
static int write_san(unsigned char **p, unsigned char *start, const struct ekcert_tpm_info *info)
{
	char manufacturer[12], version[12], model[17];
	size_t len = 0;
	int ret;

	id_string(info->manufacturer, manufacturer);
	id_string(info->firmware_version_1, version);
	if (!chars_string(info->vendor_string, 4, model))
		memcpy(model, "unknown", sizeof("unknown"));
	/* Backwards: the last RDN first. */
	MBEDTLS_ASN1_CHK_ADD(len, WRITE_RDN(OID_TCG_AT_TPM_VERSION, version));
	MBEDTLS_ASN1_CHK_ADD(len, WRITE_RDN(OID_TCG_AT_TPM_MODEL, model));
	MBEDTLS_ASN1_CHK_ADD(len, WRITE_RDN(OID_TCG_AT_TPM_MANUFACTURER, manufacturer));
	MBEDTLS_ASN1_CHK_ADD(len, wrap(p, start, len, TAG_SEQ));
	MBEDTLS_ASN1_CHK_ADD(len, wrap(p, start, len, TAG_DIRECTORY_NAME));
	MBEDTLS_ASN1_CHK_ADD(len, wrap(p, start, len, TAG_SEQ));
	return (int)len;
}

/* subjectDirectoryAttributes: SEQUENCE { Attribute { tcg-at-tpmSpecification,
 * SET { TPMSpecification { family UTF8String, level INTEGER, revision
 * INTEGER } } } }. */
static int write_sda(unsigned char **p, unsigned char *start, const struct ekcert_tpm_info *info)
{
	char family[5];
	size_t len = 0;
	int ret;

	if (!chars_string(&info->spec_family, 1, family) || info->spec_level > 0x7fffffff ||
	    info->spec_revision > 0x7fffffff)
		return MBEDTLS_ERR_ASN1_INVALID_DATA;
	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_int(p, start, (int)info->spec_revision));
	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_int(p, start, (int)info->spec_level));
	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_utf8_string(p, start, family, strlen(family)));
	MBEDTLS_ASN1_CHK_ADD(len, wrap(p, start, len, TAG_SEQ));
	MBEDTLS_ASN1_CHK_ADD(len, wrap(p, start, len, TAG_SET));
	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_oid(p, start, OID_TCG_AT_TPM_SPECIFICATION,
							 MBEDTLS_OID_SIZE(OID_TCG_AT_TPM_SPECIFICATION)));
	MBEDTLS_ASN1_CHK_ADD(len, wrap(p, start, len, TAG_SEQ));
	MBEDTLS_ASN1_CHK_ADD(len, wrap(p, start, len, TAG_SEQ));
	return (int)len;
}

/* authorityKeyIdentifier { keyIdentifier [0] } with the CA certificate's
 * own subjectKeyIdentifier, so that path building matches them exactly. */
static int write_aki(unsigned char **p, unsigned char *start, const mbedtls_x509_buf *ski)
{
	size_t len = 0;
	int ret;

	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_raw_buffer(p, start, ski->p, ski->len));
	MBEDTLS_ASN1_CHK_ADD(len, wrap(p, start, len, TAG_KEY_IDENTIFIER));
	MBEDTLS_ASN1_CHK_ADD(len, wrap(p, start, len, TAG_SEQ));
	return (int)len;
}

/* SEQUENCE { tcg-kp-EKCertificate } */
static int write_eku(unsigned char **p, unsigned char *start)
{
	size_t len = 0;
	int ret;

	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_oid(p, start, OID_TCG_KP_EK_CERTIFICATE,
							 MBEDTLS_OID_SIZE(OID_TCG_KP_EK_CERTIFICATE)));
	MBEDTLS_ASN1_CHK_ADD(len, wrap(p, start, len, TAG_SEQ));
	return (int)len;
}

enum ext_kind { EXT_SAN, EXT_BASIC, EXT_SDA, EXT_AKI, EXT_EKU };

/* Encodes one extension's value and adds it to the writer. */
static int add_ext(mbedtls_x509write_cert *w, enum ext_kind kind, const struct ekcert_ca *ca,
		   const struct ekcert_tpm_info *info)
{
	static const unsigned char empty_sequence[] = { MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE, 0 };
	unsigned char buf[EXT_MAX] = { 0 }, *p = buf + sizeof(buf);
	const char *oid;
	size_t oid_len;
	int critical = 0, len;

	switch (kind) {
	case EXT_SAN: /* critical: the subject is empty (RFC 5280 4.2.1.6) */
		len = write_san(&p, buf, info);
		oid = MBEDTLS_OID_SUBJECT_ALT_NAME;
		oid_len = MBEDTLS_OID_SIZE(MBEDTLS_OID_SUBJECT_ALT_NAME);
		critical = 1;
		break;
	case EXT_BASIC: /* SEQUENCE {}: cA FALSE by default */
		len = mbedtls_asn1_write_raw_buffer(&p, buf, empty_sequence, sizeof(empty_sequence));
		oid = MBEDTLS_OID_BASIC_CONSTRAINTS;
		oid_len = MBEDTLS_OID_SIZE(MBEDTLS_OID_BASIC_CONSTRAINTS);
		critical = 1;
		break;
	case EXT_SDA:
		len = write_sda(&p, buf, info);
		oid = OID_SUBJECT_DIRECTORY_ATTRS;
		oid_len = MBEDTLS_OID_SIZE(OID_SUBJECT_DIRECTORY_ATTRS);
		break;
	case EXT_AKI:
		if (ca->cert.subject_key_id.len > EXT_MAX - 8)
			return MBEDTLS_ERR_ASN1_BUF_TOO_SMALL;
		len = write_aki(&p, buf, &ca->cert.subject_key_id);
		oid = MBEDTLS_OID_AUTHORITY_KEY_IDENTIFIER;
		oid_len = MBEDTLS_OID_SIZE(MBEDTLS_OID_AUTHORITY_KEY_IDENTIFIER);
		break;
	case EXT_EKU:
		len = write_eku(&p, buf);
		oid = MBEDTLS_OID_EXTENDED_KEY_USAGE;
		oid_len = MBEDTLS_OID_SIZE(MBEDTLS_OID_EXTENDED_KEY_USAGE);
		break;
	default:
		return MBEDTLS_ERR_X509_BAD_INPUT_DATA;
	}
	if (len < 0)
		return len;
	return mbedtls_x509write_crt_set_extension(w, oid, oid_len, critical, p, (size_t)len);
}

/* Every extension, in the order of the profile's field list. */
static int add_extensions(mbedtls_x509write_cert *w, const struct ekcert_ca *ca,
			  const struct ekcert_tpm_info *info, const struct tpm_public *pub)
{
	unsigned usage = 0;
	int ret;

	if (pub->attributes & TPMA_OBJECT_DECRYPT)
		usage |= pub->type == TPM_ALG_RSA ? MBEDTLS_X509_KU_KEY_ENCIPHERMENT
						  : MBEDTLS_X509_KU_KEY_AGREEMENT;
	if (pub->attributes & TPMA_OBJECT_SIGN_ENCRYPT)
		usage |= MBEDTLS_X509_KU_DIGITAL_SIGNATURE;
	ret = add_ext(w, EXT_SAN, ca, info);
	if (!ret)
		ret = add_ext(w, EXT_BASIC, ca, info);
	if (!ret)
		ret = add_ext(w, EXT_SDA, ca, info);
	if (!ret) {
		/* Without a subjectKeyIdentifier in the CA certificate:
		 * SHA-1 of its public key, RFC 5280 4.2.1.2 method 1, which
		 * is what CAs that have one mostly put there too. */
		if (ca->cert.subject_key_id.len)
			ret = add_ext(w, EXT_AKI, ca, info);
		else
			ret = mbedtls_x509write_crt_set_authority_key_identifier(w);
	}
	if (!ret)
		ret = mbedtls_x509write_crt_set_key_usage(w, usage); /* critical */
	if (!ret)
		ret = add_ext(w, EXT_EKU, ca, info);
	return ret;
}

/* Reads the new certificate back: its issuer must be the CA's subject
 * byte for byte and its signature must verify with the CA certificate,
 * so that nothing a relying party would refuse goes into NV. */
static int check_issued(struct ekcert_ca *ca, const uint8_t *der, size_t len, const char **why)
{
	mbedtls_x509_crt c;
	uint32_t flags = 0;
	int ret, err = HUSK_OK;

	mbedtls_x509_crt_init(&c);
	ret = mbedtls_x509_crt_parse_der(&c, der, len);
	if (ret == MBEDTLS_ERR_X509_ALLOC_FAILED)
		err = fail(why, "out of memory", HUSK_ERR_NOMEM);
	else if (ret)
		err = fail(why, "the certificate written does not parse", HUSK_ERR_CRYPTO);
	else if (c.issuer_raw.len != ca->cert.subject_raw.len ||
		 memcmp(c.issuer_raw.p, ca->cert.subject_raw.p, c.issuer_raw.len) != 0)
		err = fail(why, "the certificate written names another issuer", HUSK_ERR_CRYPTO);
	else if (mbedtls_x509_crt_verify(&c, &ca->cert, NULL, NULL, &flags, NULL, NULL) != 0)
		err = fail(why, "the certificate written does not verify with the CA certificate",
			   HUSK_ERR_CRYPTO);
	mbedtls_x509_crt_free(&c);
	return err;
}

int ekcert_issue(struct ekcert_ca *ca, const struct ekcert_tpm_info *info, const uint8_t *ek_public,
		 size_t ek_public_len, ekcert_rng_fn rng, void *rng_ctx, uint8_t *der, size_t cap,
		 size_t *len, const char **why)
{
	struct tpm_public pub;
	mbedtls_pk_context ek;
	mbedtls_x509write_cert w;
	mbedtls_asn1_named_data *issuer = NULL;
	unsigned char spki[SPKI_MAX], serial[20];
	int spki_len, ret, err;

	if (!ca || !ca->loaded)
		return fail(why, "no CA loaded", HUSK_ERR_INVAL);
	if (!info || !rng || !der || !len)
		return fail(why, "missing argument", HUSK_ERR_INVAL);
	err = ek_parse(ek_public, ek_public_len, &pub, why);
	if (err)
		return err;

	mbedtls_pk_init(&ek);
	mbedtls_x509write_crt_init(&w);
	ret = pub.type == TPM_ALG_RSA ? ek_key_rsa(&pub, &ek) : ek_key_ecc(&pub, &ek);
	if (ret) {
		err = fail(why, "EK public area: not a valid public key", HUSK_ERR_INVAL);
		goto out;
	}
	spki_len = mbedtls_pk_write_pubkey_der(&ek, spki, sizeof(spki));
	if (spki_len < 0 || make_serial(ca, spki + sizeof(spki) - spki_len, (size_t)spki_len, serial)) {
		err = fail(why, "cannot encode the EK", HUSK_ERR_CRYPTO);
		goto out;
	}

	mbedtls_x509write_crt_set_version(&w, MBEDTLS_X509_CRT_VERSION_3);
	mbedtls_x509write_crt_set_md_alg(&w, ca->md);
	mbedtls_x509write_crt_set_subject_key(&w, &ek);
	mbedtls_x509write_crt_set_issuer_key(&w, &ca->key);
	/* The subject stays empty: the EK certificate names its TPM in the
	 * subjectAltName instead (TCG EK Credential Profile). */
	ret = mbedtls_x509write_crt_set_serial_raw(&w, serial, sizeof(serial));
	if (!ret)
		ret = mbedtls_x509write_crt_set_validity(&w, ca->not_before, EKCERT_NOT_AFTER);
	/* The issuer goes in as the CA's parsed subject (reproducible, which
	 * ekcert_ca_load checked), not through set_issuer_name's string
	 * form, which would lose the string types of the original; the
	 * writer has no public setter for that. */
	if (!ret)
		ret = issuer_names(&ca->cert, &issuer);
	if (!ret) {
		w.MBEDTLS_PRIVATE(issuer) = issuer;
		ret = add_extensions(&w, ca, info, &pub);
	}
	if (ret) {
		if (ret == MBEDTLS_ERR_X509_ALLOC_FAILED)
			err = fail(why, "out of memory", HUSK_ERR_NOMEM);
		else
			err = fail(why, "cannot encode the certificate", HUSK_ERR_INVAL);
		goto out;
	}
	ret = mbedtls_x509write_crt_der(&w, der, cap, rng, rng_ctx);
	if (ret == MBEDTLS_ERR_ASN1_BUF_TOO_SMALL) {
		err = fail(why, "certificate larger than the buffer", HUSK_ERR_RANGE);
		goto out;
	}
	if (ret <= 0) {
		err = fail(why, "signing the certificate failed", HUSK_ERR_CRYPTO);
		goto out;
	}
	/* mbedTLS writes at the end of the buffer. */
	memmove(der, der + cap - (size_t)ret, (size_t)ret);
	*len = (size_t)ret;
	err = check_issued(ca, der, *len, why);
out:
	mbedtls_x509write_crt_free(&w); /* frees the issuer list too */
	mbedtls_pk_free(&ek);
	crypto_wipe(&pub, sizeof(pub));
	return err;
}
