/* The KBS session: auth -> attest -> resource over the caller's transport;
 * see kbs.h and docs/kbs.md, "The client inside husk". */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "husk/err.h"
#include "kbs/kbs.h"
#include "kbs/kbs_internal.h"
#include "kbs/kbs_jwe.h"
#include "kbs/kbs_msg.h"

#include "mbedtls/platform_util.h"

#define KBS_PREFIX          "/kbs/v0"
#define KBS_RESOURCE_PREFIX KBS_PREFIX "/resource/"

HUSK_STATIC_ASSERT(KBS_REQ_MAX > KBS_EVIDENCE_MAX + 1024, "request buffer holds the evidence and the rest");

int kbs_session_init(struct kbs_session *s, const struct kbs_transport *t, kbs_rng_fn f_rng,
		     void *p_rng)
{
	if (!s || !t || !t->exchange || !f_rng)
		return HUSK_ERR_INVAL;
	mbedtls_platform_zeroize(s, sizeof(*s));
	s->transport = *t;
	s->f_rng = f_rng;
	s->p_rng = p_rng;
	return HUSK_OK;
}

void kbs_session_wipe(struct kbs_session *s)
{
	if (s)
		mbedtls_platform_zeroize(s, sizeof(*s));
}

/* A non-200 answer, with the server's RFC 7807 type (its last path
 * segment, e.g. AttestationError) and detail when the body has them. */
static int http_failure(struct kbs_session *s, const char *label, uint16_t status, size_t n,
			struct kbs_error *err)
{
	struct kbs_problem pb;
	int code = status == 404 ? HUSK_ERR_NOTFOUND : HUSK_ERR_IO;

	if (n > 0 && kbs_msg_parse_error((const char *)s->rsp, n, &pb, NULL) == HUSK_OK) {
		const char *type = pb.type;

		/* No strrchr in husk's libc. */
		for (const char *c = pb.type; *c; c++)
			if (*c == '/')
				type = c + 1;
		return kbs_fail(err, code, KBS_E_HTTP, "kbs: %s answered %u: %s%s%s", label, status, type,
				type[0] && pb.detail[0] ? ": " : "", pb.detail);
	}
	return kbs_fail(err, code, KBS_E_HTTP, "kbs: %s answered %u (%s)", label, status,
			n ? "body is not an RFC 7807 error" : "no body");
}

/* One exchange; on success the 200 response body is s->rsp[0..*rsp_len),
 * never empty. */
static int exchange(struct kbs_session *s, const char *method, const char *path, const char *label,
		    const char *body, size_t body_len, size_t *rsp_len, struct kbs_error *err)
{
	uint16_t status = 0;
	size_t n = 0;
	int rc;

	*rsp_len = 0;
	rc = s->transport.exchange(s->transport.ctx, method, path, (const uint8_t *)body, body_len,
				   &status, s->rsp, sizeof(s->rsp), &n);
	if (rc == HUSK_ERR_RANGE)
		return kbs_fail(err, HUSK_ERR_RANGE, KBS_E_RSP_SIZE,
				"kbs: %s: response larger than %d bytes", label, KBS_RSP_MAX);
	if (rc != HUSK_OK)
		return kbs_fail(err, HUSK_ERR_IO, KBS_E_TRANSPORT, "kbs: %s: transport failed: %s", label,
				husk_strerror(rc));
	if (n > sizeof(s->rsp))
		return kbs_fail(err, HUSK_ERR_IO, KBS_E_TRANSPORT,
				"kbs: %s: transport reported %zu bytes for a %d-byte buffer", label, n,
				KBS_RSP_MAX);
	if (status != 200)
		return http_failure(s, label, status, n, err);
	if (n == 0)
		return kbs_fail(err, HUSK_ERR_FORMAT, KBS_E_RSP_SIZE, "kbs: %s: empty response", label);
	*rsp_len = n;
	return HUSK_OK;
}

/* Asks the caller's callback for the evidence, written straight into the
 * request buffer after the Attestation's head. */
static int evidence(struct kbs_session *s, const struct kbs_attest_params *p,
		    const uint8_t digest[KBS_DIGEST_BYTES], size_t *len, struct kbs_error *err)
{
	struct kbs_error cb_err;
	size_t room = sizeof(s->req) - *len - KBS_MSG_ATTESTATION_TAIL_LEN - 1, n = 0;
	char *at = s->req + *len;
	int rc;

	if (room > KBS_EVIDENCE_MAX)
		room = KBS_EVIDENCE_MAX;
	cb_err.code = KBS_E_NONE;
	cb_err.msg[0] = '\0';
	rc = p->evidence(p->evidence_ctx, digest, at, room, &n, &cb_err);
	if (rc != HUSK_OK) {
		cb_err.msg[sizeof(cb_err.msg) - 1] = '\0';
		if (cb_err.msg[0])
			return kbs_fail(err, rc, KBS_E_EVIDENCE, "kbs: evidence: %s", cb_err.msg);
		return kbs_fail(err, rc, KBS_E_EVIDENCE, "kbs: evidence callback failed: %s",
				husk_strerror(rc));
	}
	if (n == 0 || n > room)
		return kbs_fail(err, HUSK_ERR_RANGE, KBS_E_EVIDENCE,
				"kbs: evidence callback wrote %zu bytes into a %zu-byte buffer", n, room);
	if (memchr(at, 0, n))
		return kbs_fail(err, HUSK_ERR_FORMAT, KBS_E_EVIDENCE, "kbs: evidence holds a NUL byte");
	*len += n;
	return HUSK_OK;
}

static int attest(struct kbs_session *s, const struct kbs_attest_params *p, struct kbs_error *err)
{
	uint8_t digest[KBS_DIGEST_BYTES];
	size_t n = 0, rsp_len = 0, token_len = 0;
	int rc;

	rc = kbs_msg_request(p->tee, s->req, sizeof(s->req), &n, err);
	if (rc == HUSK_OK)
		rc = exchange(s, "POST", KBS_PREFIX "/auth", "/auth", s->req, n, &rsp_len, err);
	if (rc == HUSK_OK)
		rc = kbs_msg_parse_challenge((const char *)s->rsp, rsp_len, s->nonce, err);
	/* A fresh key for every attestation: resources are encrypted to it. */
	if (rc == HUSK_OK)
		rc = kbs_key_generate(&s->key, p->curve, s->f_rng, s->p_rng, err);
	if (rc == HUSK_OK)
		rc = kbs_runtime_digest(s->nonce, &s->key, digest, err);
	if (rc == HUSK_OK)
		rc = kbs_msg_attestation_head(s->nonce, &s->key, s->req, sizeof(s->req), &n, err);
	if (rc == HUSK_OK)
		rc = evidence(s, p, digest, &n, err);
	if (rc == HUSK_OK)
		rc = kbs_msg_attestation_tail(s->req, sizeof(s->req), &n, err);
	if (rc == HUSK_OK)
		rc = exchange(s, "POST", KBS_PREFIX "/attest", "/attest", s->req, n, &rsp_len, err);
	if (rc == HUSK_OK)
		rc = kbs_msg_parse_attest_response((const char *)s->rsp, rsp_len, &token_len, err);
	return rc;
}

int kbs_attest(struct kbs_session *s, const struct kbs_attest_params *p, struct kbs_error *err)
{
	int rc;

	if (!s || !s->transport.exchange || !s->f_rng || !p || !p->evidence)
		return kbs_fail(err, HUSK_ERR_INVAL, KBS_E_ARG, "kbs: attest: bad arguments");
	s->attested = false;
	kbs_key_wipe(&s->key);
	memset(s->nonce, 0, sizeof(s->nonce));
	if (!kbs_curve_name(p->curve))
		return kbs_fail(err, HUSK_ERR_INVAL, KBS_E_ARG, "kbs: attest: unknown curve");
	rc = kbs_tee_check(p->tee, err);
	if (rc == HUSK_OK)
		rc = attest(s, p, err);
	if (rc != HUSK_OK) {
		kbs_key_wipe(&s->key);
		return rc;
	}
	s->attested = true;
	return HUSK_OK;
}

/* repository/type/tag, each segment [A-Za-z0-9_-][A-Za-z0-9_.-]* (Trustee's
 * resource backend): no empty segment, no leading dot, so no "..". */
static bool path_char(char c, bool first)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
	       c == '-' || (c == '.' && !first);
}

static int check_path(const char *path, struct kbs_error *err)
{
	char shown[64];
	size_t n, seg = 0;
	int segments = 1;
	bool ok = true;

	if (!path)
		return kbs_fail(err, HUSK_ERR_INVAL, KBS_E_RESOURCE_PATH, "kbs: no resource path");
	n = strnlen(path, KBS_RESOURCE_PATH_MAX + 1);
	if (n == 0 || n > KBS_RESOURCE_PATH_MAX)
		return kbs_fail(err, HUSK_ERR_INVAL, KBS_E_RESOURCE_PATH,
				"kbs: resource path must be 1 to %d characters", KBS_RESOURCE_PATH_MAX);
	for (size_t i = 0; i < n && ok; i++) {
		if (path[i] == '/') {
			ok = seg > 0;
			segments++;
			seg = 0;
		} else {
			ok = path_char(path[i], seg == 0);
			seg++;
		}
	}
	if (ok && seg > 0 && segments == 3)
		return HUSK_OK;
	kbs_sanitize(shown, sizeof(shown), path, n);
	return kbs_fail(err, HUSK_ERR_INVAL, KBS_E_RESOURCE_PATH,
			"kbs: resource path \"%s\" is not repository/type/tag of [A-Za-z0-9_.-] "
			"(no empty segment, no leading '.')",
			shown);
}

int kbs_get_resource(struct kbs_session *s, const char *path, uint8_t *out, size_t out_max,
		     size_t *out_len, struct kbs_error *err)
{
	char url[sizeof(KBS_RESOURCE_PREFIX) + KBS_RESOURCE_PATH_MAX];
	char label[sizeof("/resource/") + KBS_RESOURCE_PATH_MAX];
	size_t rsp_len = 0;
	int rc;

	if (!out_len)
		return kbs_fail(err, HUSK_ERR_INVAL, KBS_E_ARG, "kbs: resource: bad arguments");
	*out_len = 0;
	if (!s || (!out && out_max))
		return kbs_fail(err, HUSK_ERR_INVAL, KBS_E_ARG, "kbs: resource: bad arguments");
	if (!s->attested || !s->key.valid)
		return kbs_fail(err, HUSK_ERR_INVAL, KBS_E_STATE, "kbs: resource requested before attestation");
	rc = check_path(path, err);
	if (rc != HUSK_OK)
		return rc;
	memcpy(url, KBS_RESOURCE_PREFIX, sizeof(KBS_RESOURCE_PREFIX) - 1);
	memcpy(url + sizeof(KBS_RESOURCE_PREFIX) - 1, path, strlen(path) + 1);
	memcpy(label, "/resource/", sizeof("/resource/") - 1);
	memcpy(label + sizeof("/resource/") - 1, path, strlen(path) + 1);
	rc = exchange(s, "GET", url, label, NULL, 0, &rsp_len, err);
	if (rc != HUSK_OK)
		return rc;
	return kbs_jwe_decrypt(&s->key, s->f_rng, s->p_rng, (const char *)s->rsp, rsp_len, out, out_max,
			       out_len, err);
}
