/* Building and reading the KBS protocol 0.4.0 messages; see kbs_msg.h and
 * docs/kbs.md for the exact texts. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "husk/err.h"
#include "kbs/kbs_b64.h"
#include "kbs/kbs_internal.h"
#include "kbs/kbs_json.h"
#include "kbs/kbs_msg.h"

#include "mbedtls/sha512.h"

/* Longest runtime-data text: the fixed part (about 120 bytes), the nonce
 * and two P-521 coordinates in base64url (88 each). */
#define KBS_RUNTIME_DATA_MAX 512

HUSK_STATIC_ASSERT(sizeof(",\"additional_evidence\":\"\"}}") - 1 == KBS_MSG_ATTESTATION_TAIL_LEN,
		   "attestation tail length");

int kbs_tee_check(const char *tee, struct kbs_error *err)
{
	size_t n;

	if (!tee)
		return kbs_fail(err, HUSK_ERR_INVAL, KBS_E_ARG, "kbs: no tee name");
	n = strnlen(tee, KBS_TEE_NAME_MAX + 1);
	if (n == 0 || n > KBS_TEE_NAME_MAX)
		return kbs_fail(err, HUSK_ERR_INVAL, KBS_E_ARG, "kbs: tee name must be 1 to %d characters",
				KBS_TEE_NAME_MAX);
	for (size_t i = 0; i < n; i++) {
		char c = tee[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
			return kbs_fail(err, HUSK_ERR_INVAL, KBS_E_ARG,
					"kbs: tee name may hold only a-z, 0-9 and '-'");
	}
	return HUSK_OK;
}

int kbs_msg_request(const char *tee, char *out, size_t out_max, size_t *out_len,
		    struct kbs_error *err)
{
	struct kbs_out o;
	int rc;

	*out_len = 0;
	rc = kbs_tee_check(tee, err);
	if (rc != HUSK_OK)
		return rc;
	kbs_out_init(&o, out, out_max);
	kbs_out_str(&o, "{\"version\":\"" KBS_PROTOCOL_VERSION "\",\"tee\":");
	kbs_out_json_string(&o, tee, strlen(tee));
	kbs_out_str(&o, ",\"extra-params\":\"\"}");
	if (kbs_out_finish(&o) != HUSK_OK)
		return kbs_fail(err, HUSK_ERR_RANGE, KBS_E_REQ_SIZE, "kbs: request does not fit %zu bytes",
				out_max);
	*out_len = o.len;
	return HUSK_OK;
}

/* extra-params: Trustee sends "" for every TEE but IBM se, whose object
 * names the hash to use; husk hashes with SHA-384 only. */
static int check_extra_params(const struct kbs_json *doc, int root, struct kbs_error *err)
{
	char alg[16];
	size_t n;
	int ep = kbs_json_find(doc, root, "extra-params"), v, rc;

	if (ep < 0 || kbs_json_type(doc, ep) != KBS_JSON_OBJECT)
		return HUSK_OK;
	rc = kbs_json_object(doc, ep, "extra-params", err);
	if (rc != HUSK_OK)
		return rc;
	v = kbs_json_find(doc, ep, "selected-hash-algorithm");
	if (v < 0)
		return HUSK_OK;
	if (kbs_json_string(doc, v, "selected-hash-algorithm", alg, sizeof(alg), &n, NULL) != HUSK_OK ||
	    strcmp(alg, "sha384") != 0)
		return kbs_fail(err, HUSK_ERR_UNSUPPORTED, KBS_E_HASH_ALG,
				"kbs: challenge selects a hash algorithm other than sha384");
	return HUSK_OK;
}

int kbs_msg_parse_challenge(const char *body, size_t len, char nonce[KBS_NONCE_B64_LEN + 1],
			    struct kbs_error *err)
{
	struct kbs_json doc;
	uint8_t raw[KBS_NONCE_BYTES];
	char text[KBS_NONCE_B64_LEN + 2];
	size_t n = 0, rawlen = 0;
	int v, rc;

	nonce[0] = '\0';
	rc = kbs_json_parse(&doc, "challenge", body, len, err);
	if (rc == HUSK_OK)
		rc = kbs_json_object(&doc, 0, "challenge", err);
	if (rc == HUSK_OK)
		rc = kbs_json_member(&doc, 0, "nonce", &v, err);
	if (rc != HUSK_OK)
		return rc;
	if (kbs_json_type(&doc, v) != KBS_JSON_STRING)
		return kbs_fail(err, HUSK_ERR_FORMAT, KBS_E_SCHEMA, "kbs: challenge: nonce is not a string");
	/* One byte more than a good nonce, so that a longer one is seen as such. */
	if (kbs_json_string(&doc, v, "nonce", text, sizeof(text), &n, NULL) != HUSK_OK ||
	    n != KBS_NONCE_B64_LEN || kbs_b64_decode(text, n, raw, sizeof(raw), &rawlen) != HUSK_OK ||
	    rawlen != KBS_NONCE_BYTES)
		return kbs_fail(err, HUSK_ERR_FORMAT, KBS_E_NONCE,
				"kbs: challenge: nonce is not %d bytes of standard base64 (%d characters)",
				KBS_NONCE_BYTES, KBS_NONCE_B64_LEN);
	rc = check_extra_params(&doc, 0, err);
	if (rc != HUSK_OK)
		return rc;
	memcpy(nonce, text, n + 1);
	return HUSK_OK;
}

static int key_check(const struct kbs_key *key, struct kbs_error *err)
{
	if (!key || !key->valid || !kbs_curve_name(key->curve))
		return kbs_fail(err, HUSK_ERR_INVAL, KBS_E_ARG, "kbs: no valid key");
	return HUSK_OK;
}

/* The JWK in JCS member order; the Attestation uses the same text. */
static void put_pubkey(struct kbs_out *o, const struct kbs_key *key)
{
	size_t fl = kbs_curve_bytes(key->curve);

	kbs_out_str(o, "{\"alg\":\"" KBS_JWE_ALG "\",\"crv\":\"");
	kbs_out_str(o, kbs_curve_name(key->curve));
	kbs_out_str(o, "\",\"kty\":\"EC\",\"x\":\"");
	kbs_out_b64(o, key->x, fl, true);
	kbs_out_str(o, "\",\"y\":\"");
	kbs_out_b64(o, key->y, fl, true);
	kbs_out_str(o, "\"}");
}

int kbs_runtime_data(const char *nonce, const struct kbs_key *key, char *out, size_t out_max,
		     size_t *out_len, struct kbs_error *err)
{
	struct kbs_out o;
	int rc;

	*out_len = 0;
	rc = key_check(key, err);
	if (rc != HUSK_OK)
		return rc;
	if (!nonce || strnlen(nonce, KBS_NONCE_B64_LEN + 1) > KBS_NONCE_B64_LEN)
		return kbs_fail(err, HUSK_ERR_INVAL, KBS_E_ARG, "kbs: runtime data: bad nonce");
	kbs_out_init(&o, out, out_max);
	/* Keys in JCS order (additional-evidence, nonce, tee-pubkey), no
	 * whitespace; the nonce is escaped as JCS would (it is base64, so
	 * nothing needs escaping in practice). */
	kbs_out_str(&o, "{\"additional-evidence\":\"\",\"nonce\":");
	kbs_out_json_string(&o, nonce, strlen(nonce));
	kbs_out_str(&o, ",\"tee-pubkey\":");
	put_pubkey(&o, key);
	kbs_out_str(&o, "}");
	if (kbs_out_finish(&o) != HUSK_OK)
		return kbs_fail(err, HUSK_ERR_RANGE, KBS_E_REQ_SIZE,
				"kbs: runtime data does not fit %zu bytes", out_max);
	*out_len = o.len;
	return HUSK_OK;
}

int kbs_runtime_digest(const char *nonce, const struct kbs_key *key,
		       uint8_t digest[KBS_DIGEST_BYTES], struct kbs_error *err)
{
	char text[KBS_RUNTIME_DATA_MAX];
	size_t n;
	int rc;

	memset(digest, 0, KBS_DIGEST_BYTES);
	rc = kbs_runtime_data(nonce, key, text, sizeof(text), &n, err);
	if (rc != HUSK_OK)
		return rc;
	if (mbedtls_sha512((const unsigned char *)text, n, digest, 1 /* SHA-384 */) != 0)
		return kbs_fail(err, HUSK_ERR_CRYPTO, KBS_E_CRYPTO, "kbs: SHA-384 failed");
	return HUSK_OK;
}

int kbs_msg_attestation_head(const char *nonce, const struct kbs_key *key, char *out,
			     size_t out_max, size_t *len, struct kbs_error *err)
{
	struct kbs_out o;
	int rc;

	*len = 0;
	rc = key_check(key, err);
	if (rc != HUSK_OK)
		return rc;
	if (!nonce || strnlen(nonce, KBS_NONCE_B64_LEN + 1) > KBS_NONCE_B64_LEN)
		return kbs_fail(err, HUSK_ERR_INVAL, KBS_E_ARG, "kbs: attestation: bad nonce");
	kbs_out_init(&o, out, out_max);
	kbs_out_str(&o, "{\"runtime-data\":{\"nonce\":");
	kbs_out_json_string(&o, nonce, strlen(nonce));
	kbs_out_str(&o, ",\"tee-pubkey\":");
	put_pubkey(&o, key);
	kbs_out_str(&o, "},\"tee-evidence\":{\"primary_evidence\":");
	if (kbs_out_finish(&o) != HUSK_OK)
		return kbs_fail(err, HUSK_ERR_RANGE, KBS_E_REQ_SIZE,
				"kbs: attestation does not fit %zu bytes", out_max);
	*len = o.len;
	return HUSK_OK;
}

int kbs_msg_attestation_tail(char *out, size_t out_max, size_t *len, struct kbs_error *err)
{
	static const char tail[] = ",\"additional_evidence\":\"\"}}";

	if (*len >= out_max || sizeof(tail) > out_max - *len)
		return kbs_fail(err, HUSK_ERR_RANGE, KBS_E_REQ_SIZE,
				"kbs: attestation does not fit %zu bytes", out_max);
	memcpy(out + *len, tail, sizeof(tail));
	*len += sizeof(tail) - 1;
	return HUSK_OK;
}

int kbs_msg_parse_attest_response(const char *body, size_t len, size_t *token_len,
				  struct kbs_error *err)
{
	struct kbs_json doc;
	struct kbs_json_iter it;
	size_t n = 0;
	int v, rc;

	*token_len = 0;
	rc = kbs_json_parse(&doc, "attestation result", body, len, err);
	if (rc == HUSK_OK)
		rc = kbs_json_object(&doc, 0, "attestation result", err);
	if (rc != HUSK_OK)
		return rc;
	v = kbs_json_find(&doc, 0, "token");
	if (v < 0 || kbs_json_type(&doc, v) != KBS_JSON_STRING)
		return kbs_fail(err, HUSK_ERR_FORMAT, KBS_E_TOKEN,
				"kbs: attestation result: no string member \"token\"");
	kbs_json_iter_init(&it, &doc, v);
	for (int32_t cp; (cp = kbs_json_iter_next(&it)) >= 0;) {
		char u[4];

		n += kbs_json_utf8_put((uint32_t)cp, u);
	}
	if (n == 0)
		return kbs_fail(err, HUSK_ERR_FORMAT, KBS_E_TOKEN, "kbs: attestation result: empty token");
	*token_len = n;
	return HUSK_OK;
}

/* A string token reduced to printable ASCII ('?' for anything else),
 * "..." when cut. */
static void sanitize_token(const struct kbs_json *doc, int idx, char *out, size_t max)
{
	struct kbs_json_iter it;
	char tmp[KBS_ERR_TEXT_MAX + 1];
	size_t n = 0;
	int32_t cp;

	kbs_json_iter_init(&it, doc, idx);
	while (n < sizeof(tmp) && (cp = kbs_json_iter_next(&it)) >= 0)
		tmp[n++] = (cp >= 0x20 && cp < 0x7f) ? (char)cp : '?';
	kbs_sanitize(out, max, tmp, n);
}

int kbs_msg_parse_error(const char *body, size_t len, struct kbs_problem *pb,
			struct kbs_error *err)
{
	struct kbs_json doc;
	int t, d, rc;

	pb->type[0] = '\0';
	pb->detail[0] = '\0';
	rc = kbs_json_parse(&doc, "error body", body, len, err);
	if (rc == HUSK_OK)
		rc = kbs_json_object(&doc, 0, "error body", err);
	if (rc != HUSK_OK)
		return rc;
	t = kbs_json_find(&doc, 0, "type");
	d = kbs_json_find(&doc, 0, "detail");
	if ((t < 0 && d < 0) || (t >= 0 && kbs_json_type(&doc, t) != KBS_JSON_STRING) ||
	    (d >= 0 && kbs_json_type(&doc, d) != KBS_JSON_STRING))
		return kbs_fail(err, HUSK_ERR_FORMAT, KBS_E_SCHEMA,
				"kbs: error body: no string \"type\" or \"detail\"");
	if (t >= 0)
		sanitize_token(&doc, t, pb->type, sizeof(pb->type));
	if (d >= 0)
		sanitize_token(&doc, d, pb->detail, sizeof(pb->detail));
	return HUSK_OK;
}
