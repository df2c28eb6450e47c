/* PEM/DER parsing of P-384 private keys; see pem.h.  The DER structures:
 *   SEC1 ECPrivateKey  ::= SEQUENCE { version INTEGER (1),
 *                            privateKey OCTET STRING,
 *                            parameters [0] EXPLICIT OID OPTIONAL,
 *                            publicKey  [1] EXPLICIT BIT STRING OPTIONAL }
 *   PKCS#8 PrivateKeyInfo ::= SEQUENCE { version INTEGER (0 or 1),
 *                            algorithm SEQUENCE { id-ecPublicKey, OID curve },
 *                            privateKey OCTET STRING (an ECPrivateKey),
 *                            [0] attributes, [1] publicKey OPTIONAL } */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "husk/err.h"
#include "mbedtls/asn1.h"
#include "pem.h"

#define MAX_DER 4096u

/* 1.2.840.10045.2.1 and 1.3.132.0.34 (secp384r1), contents only. */
static const uint8_t oid_ec_public_key[] = { 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01 };
static const uint8_t oid_secp384r1[] = { 0x2b, 0x81, 0x04, 0x00, 0x22 };

static int failf(char *why, size_t len, int code, const char *msg)
{
	snprintf(why, len, "%s", msg);
	return code;
}

static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Strict base64 of [p, end): whitespace ignored, '=' only as final padding. */
static int b64_decode(const char *p, const char *end, uint8_t *out, size_t cap, size_t *olen)
{
	uint32_t acc = 0;
	unsigned bits = 0, pad = 0, nchars = 0;
	size_t n = 0;

	for (; p < end; p++) {
		unsigned char c = (unsigned char)*p;
		int v;

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		nchars++;
		if (c == '=') {
			pad++;
			continue;
		}
		if (pad)
			return HUSK_ERR_FORMAT; /* data after padding */
		v = b64_value(c);
		if (v < 0)
			return HUSK_ERR_FORMAT;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n == cap)
				return HUSK_ERR_RANGE;
			out[n++] = (uint8_t)(acc >> bits);
		}
	}
	/* Whole quanta only, at most two '=', and no stray bits left over. */
	if (nchars % 4 || pad > 2 || (pad && bits != 2 * pad) || (acc & ((1u << bits) - 1)))
		return HUSK_ERR_FORMAT;
	*olen = n;
	return HUSK_OK;
}

/* Finds the next "-----BEGIN label-----" ... "-----END label-----" block at
 * or after *pos; label is copied (NUL-terminated) and [*body, *body_end) is
 * what lies between the two lines. */
static int next_block(const char *text, size_t len, size_t *pos, char *label, size_t label_len,
		      const char **body, const char **body_end)
{
	static const char begin[] = "-----BEGIN ", dashes[] = "-----", end_tag[] = "-----END ";
	const char *stop = text + len, *l, *le, *b, *e;
	size_t n;

	l = memmem(text + *pos, len - *pos, begin, sizeof(begin) - 1);
	if (!l)
		return HUSK_ERR_NOTFOUND;
	l += sizeof(begin) - 1;
	le = memmem(l, (size_t)(stop - l), dashes, sizeof(dashes) - 1);
	if (!le || memchr(l, '\n', (size_t)(le - l)))
		return HUSK_ERR_FORMAT;
	n = (size_t)(le - l);
	if (n == 0 || n >= label_len)
		return HUSK_ERR_FORMAT;
	memcpy(label, l, n);
	label[n] = '\0';
	b = le + sizeof(dashes) - 1;
	e = memmem(b, (size_t)(stop - b), end_tag, sizeof(end_tag) - 1);
	if (!e || (size_t)(stop - e) < sizeof(end_tag) - 1 + n + sizeof(dashes) - 1 ||
	    memcmp(e + sizeof(end_tag) - 1, label, n) ||
	    memcmp(e + sizeof(end_tag) - 1 + n, dashes, sizeof(dashes) - 1))
		return HUSK_ERR_FORMAT;
	*body = b;
	*body_end = e;
	*pos = (size_t)(e - text) + sizeof(end_tag) - 1 + n + sizeof(dashes) - 1;
	return HUSK_OK;
}

static bool oid_is(const uint8_t *p, size_t len, const uint8_t *oid, size_t oid_len)
{
	return len == oid_len && memcmp(p, oid, len) == 0;
}

/* ECPrivateKey at [*p, end); need_curve: the parameters must be present. */
static int parse_sec1(unsigned char **p, const unsigned char *end, bool need_curve,
		      struct pem_ec_key *key, char *why, size_t why_len)
{
	unsigned char *seq_end;
	size_t len;
	int version;

	if (mbedtls_asn1_get_tag(p, end, &len, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE))
		return failf(why, why_len, HUSK_ERR_FORMAT, "ECPrivateKey is not a DER SEQUENCE");
	seq_end = *p + len;
	if (mbedtls_asn1_get_int(p, seq_end, &version) || version != 1)
		return failf(why, why_len, HUSK_ERR_FORMAT, "ECPrivateKey version is not 1");
	if (mbedtls_asn1_get_tag(p, seq_end, &len, MBEDTLS_ASN1_OCTET_STRING))
		return failf(why, why_len, HUSK_ERR_FORMAT, "ECPrivateKey has no private key");
	if (len == 0 || len > PEM_P384_BYTES)
		return failf(why, why_len, HUSK_ERR_FORMAT,
			     "private key is not a P-384 scalar (more than 48 bytes)");
	memset(key->d, 0, sizeof(key->d));
	memcpy(key->d + PEM_P384_BYTES - len, *p, len);
	*p += len;
	if (*p < seq_end && **p == (MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_ASN1_CONSTRUCTED | 0)) {
		unsigned char *q;

		if (mbedtls_asn1_get_tag(p, seq_end, &len,
					 MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_ASN1_CONSTRUCTED | 0))
			return failf(why, why_len, HUSK_ERR_FORMAT, "bad ECPrivateKey parameters");
		q = *p;
		*p += len;
		if (mbedtls_asn1_get_tag(&q, *p, &len, MBEDTLS_ASN1_OID) || q + len != *p)
			return failf(why, why_len, HUSK_ERR_FORMAT,
				     "ECPrivateKey parameters are not a named curve");
		if (!oid_is(q, len, oid_secp384r1, sizeof(oid_secp384r1)))
			return failf(why, why_len, HUSK_ERR_UNSUPPORTED,
				     "the key is not on curve P-384 (secp384r1)");
		need_curve = false;
	}
	if (need_curve)
		return failf(why, why_len, HUSK_ERR_FORMAT, "the key does not name its curve");
	if (*p < seq_end && **p == (MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_ASN1_CONSTRUCTED | 1)) {
		unsigned char *q;
		size_t blen;

		if (mbedtls_asn1_get_tag(p, seq_end, &len,
					 MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_ASN1_CONSTRUCTED | 1))
			return failf(why, why_len, HUSK_ERR_FORMAT, "bad ECPrivateKey public key");
		q = *p;
		*p += len;
		if (mbedtls_asn1_get_tag(&q, *p, &blen, MBEDTLS_ASN1_BIT_STRING) || q + blen != *p ||
		    blen != 1 + sizeof(key->q) || q[0] != 0 || q[1] != 0x04)
			return failf(why, why_len, HUSK_ERR_FORMAT,
				     "public key is not an uncompressed P-384 point");
		memcpy(key->q, q + 1, sizeof(key->q));
		key->have_public = true;
	}
	if (*p != seq_end)
		return failf(why, why_len, HUSK_ERR_FORMAT, "trailing data in ECPrivateKey");
	return HUSK_OK;
}

static int parse_pkcs8(unsigned char **p, const unsigned char *end, struct pem_ec_key *key,
		       char *why, size_t why_len)
{
	unsigned char *seq_end, *alg_end, *inner;
	size_t len;
	int version, rc;

	if (mbedtls_asn1_get_tag(p, end, &len, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE))
		return failf(why, why_len, HUSK_ERR_FORMAT, "PrivateKeyInfo is not a DER SEQUENCE");
	seq_end = *p + len;
	if (mbedtls_asn1_get_int(p, seq_end, &version) || (version != 0 && version != 1))
		return failf(why, why_len, HUSK_ERR_FORMAT, "PrivateKeyInfo version is not 0 or 1");
	if (mbedtls_asn1_get_tag(p, seq_end, &len, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE))
		return failf(why, why_len, HUSK_ERR_FORMAT, "PrivateKeyInfo has no algorithm");
	alg_end = *p + len;
	if (mbedtls_asn1_get_tag(p, alg_end, &len, MBEDTLS_ASN1_OID) ||
	    !oid_is(*p, len, oid_ec_public_key, sizeof(oid_ec_public_key)))
		return failf(why, why_len, HUSK_ERR_UNSUPPORTED, "the key is not an EC key");
	*p += len;
	if (mbedtls_asn1_get_tag(p, alg_end, &len, MBEDTLS_ASN1_OID) || *p + len != alg_end)
		return failf(why, why_len, HUSK_ERR_FORMAT, "EC key without a named curve");
	if (!oid_is(*p, len, oid_secp384r1, sizeof(oid_secp384r1)))
		return failf(why, why_len, HUSK_ERR_UNSUPPORTED,
			     "the key is not on curve P-384 (secp384r1)");
	*p = alg_end;
	if (mbedtls_asn1_get_tag(p, seq_end, &len, MBEDTLS_ASN1_OCTET_STRING))
		return failf(why, why_len, HUSK_ERR_FORMAT, "PrivateKeyInfo has no private key");
	inner = *p;
	*p += len;
	rc = parse_sec1(&inner, *p, false, key, why, why_len);
	if (rc)
		return rc;
	if (inner != *p)
		return failf(why, why_len, HUSK_ERR_FORMAT, "trailing data in the private key");
	/* Attributes [0] and a v2 public key [1] may follow; they are skipped. */
	while (*p < seq_end) {
		unsigned char tag = **p;

		if (tag != (MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_ASN1_CONSTRUCTED | 0) &&
		    tag != (MBEDTLS_ASN1_CONTEXT_SPECIFIC | 1))
			return failf(why, why_len, HUSK_ERR_FORMAT, "unexpected field in PrivateKeyInfo");
		if (mbedtls_asn1_get_tag(p, seq_end, &len, tag))
			return failf(why, why_len, HUSK_ERR_FORMAT, "bad PrivateKeyInfo field");
		*p += len;
	}
	return HUSK_OK;
}

int pem_parse_ec_key(const char *text, size_t len, struct pem_ec_key *key, char *why,
		     size_t why_len)
{
	uint8_t der[MAX_DER];
	char label[64];
	size_t pos = 0, dlen;
	const char *body, *body_end;
	int rc;

	memset(key, 0, sizeof(*key));
	for (;;) {
		rc = next_block(text, len, &pos, label, sizeof(label), &body, &body_end);
		if (rc == HUSK_ERR_NOTFOUND)
			return failf(why, why_len, rc,
				     "no \"EC PRIVATE KEY\" or \"PRIVATE KEY\" PEM block");
		if (rc)
			return failf(why, why_len, rc, "malformed PEM block (BEGIN/END lines)");
		if (!strcmp(label, "EC PARAMETERS"))
			continue; /* openssl ecparam -genkey writes one first */
		/* PKCS#8 encryption, or a legacy "Proc-Type: 4,ENCRYPTED" header
		 * (':' cannot occur in base64). */
		if (!strcmp(label, "ENCRYPTED PRIVATE KEY") ||
		    memchr(body, ':', (size_t)(body_end - body)))
			return failf(why, why_len, HUSK_ERR_UNSUPPORTED,
				     "encrypted keys are not supported (decrypt with openssl pkey)");
		if (strcmp(label, "EC PRIVATE KEY") && strcmp(label, "PRIVATE KEY"))
			return failf(why, why_len, HUSK_ERR_UNSUPPORTED,
				     "the PEM block is not an EC private key");
		break;
	}
	rc = b64_decode(body, body_end, der, sizeof(der), &dlen);
	if (rc)
		return failf(why, why_len, rc, "bad base64 in the PEM block");
	{
		unsigned char *p = der, *end = der + dlen;

		if (!strcmp(label, "EC PRIVATE KEY"))
			rc = parse_sec1(&p, end, true, key, why, why_len);
		else
			rc = parse_pkcs8(&p, end, key, why, why_len);
		if (!rc && p != end)
			rc = failf(why, why_len, HUSK_ERR_FORMAT, "trailing data after the key");
	}
	memset(der, 0, sizeof(der));
	if (rc)
		memset(key, 0, sizeof(*key));
	return rc;
}

int pem_load_key(const char *path, mbedtls_ecp_keypair *kp,
		 int (*f_rng)(void *, unsigned char *, size_t), void *p_rng)
{
	struct pem_ec_key key;
	uint8_t q[sizeof(key.q) + 1];
	char why[160];
	FILE *f = fopen(path, "rb");
	char *text;
	size_t len, olen;
	int rc;

	if (!f) {
		perror(path);
		return HUSK_ERR_IO;
	}
	text = malloc(65536);
	len = text ? fread(text, 1, 65536, f) : 0;
	fclose(f);
	if (!text || len == 65536) {
		fprintf(stderr, "%s: not a key file (empty or larger than 64 KiB)\n", path);
		free(text);
		return HUSK_ERR_FORMAT;
	}
	rc = pem_parse_ec_key(text, len, &key, why, sizeof(why));
	memset(text, 0, len);
	free(text);
	if (rc) {
		fprintf(stderr, "%s: %s\n", path, why);
		return rc;
	}
	rc = HUSK_ERR_CRYPTO;
	if (mbedtls_ecp_read_key(MBEDTLS_ECP_DP_SECP384R1, kp, key.d, sizeof(key.d))) {
		fprintf(stderr, "%s: the private key is out of range for P-384\n", path);
		goto out;
	}
	if (mbedtls_ecp_keypair_calc_public(kp, f_rng, p_rng) ||
	    mbedtls_ecp_write_public_key(kp, MBEDTLS_ECP_PF_UNCOMPRESSED, &olen, q, sizeof(q)) ||
	    olen != sizeof(key.q)) {
		fprintf(stderr, "%s: cannot compute the public key\n", path);
		goto out;
	}
	if (key.have_public && memcmp(q, key.q, sizeof(key.q))) {
		fprintf(stderr, "%s: the public key in the file does not belong to its private key\n",
			path);
		goto out;
	}
	rc = HUSK_OK;
out:
	memset(&key, 0, sizeof(key));
	return rc;
}
