/* Evidence for the `sample` TEE (Trustee's sample verifier): the runtime
 * data digest in report_data, no signature.  For tests without
 * confidential hardware, and for husk on svm, where it may carry husk's
 * self-reported measurement as an extra member. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "husk/err.h"
#include "kbs/kbs.h"
#include "kbs/kbs_internal.h"

#define SAMPLE_NAME_MAX 64

static int check_extra(const struct kbs_sample_evidence *se, struct kbs_error *err)
{
	size_t n, v;

	if (!se->extra_name || !se->extra_value)
		return kbs_fail(err, HUSK_ERR_INVAL, KBS_E_ARG,
				"kbs: sample evidence: extra member needs a name and a value");
	n = strnlen(se->extra_name, SAMPLE_NAME_MAX + 1);
	if (n == 0 || n > SAMPLE_NAME_MAX)
		return kbs_fail(err, HUSK_ERR_INVAL, KBS_E_ARG,
				"kbs: sample evidence: extra member name must be 1 to %d characters",
				SAMPLE_NAME_MAX);
	for (size_t i = 0; i < n; i++) {
		char c = se->extra_name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-' || c == '.'))
			return kbs_fail(err, HUSK_ERR_INVAL, KBS_E_ARG,
					"kbs: sample evidence: extra member name may hold only A-Z a-z 0-9 _ - .");
	}
	if (!strcmp(se->extra_name, "svn") || !strcmp(se->extra_name, "report_data"))
		return kbs_fail(err, HUSK_ERR_INVAL, KBS_E_ARG,
				"kbs: sample evidence: extra member may not replace %s", se->extra_name);
	v = strnlen(se->extra_value, KBS_SAMPLE_EXTRA_MAX + 1);
	if (v > KBS_SAMPLE_EXTRA_MAX)
		return kbs_fail(err, HUSK_ERR_INVAL, KBS_E_ARG,
				"kbs: sample evidence: extra member value longer than %d bytes",
				KBS_SAMPLE_EXTRA_MAX);
	for (size_t i = 0; i < v; i++) {
		unsigned char c = (unsigned char)se->extra_value[i];

		if (c < 0x20 || c >= 0x7f)
			return kbs_fail(err, HUSK_ERR_INVAL, KBS_E_ARG,
					"kbs: sample evidence: extra member value must be printable ASCII");
	}
	return HUSK_OK;
}

int kbs_evidence_sample(void *ctx, const uint8_t digest[KBS_DIGEST_BYTES], char *out, size_t out_max,
			size_t *out_len, struct kbs_error *err)
{
	const struct kbs_sample_evidence *se = ctx;
	bool extra = se && (se->extra_name || se->extra_value);
	struct kbs_out o;
	int rc;

	if (!out_len)
		return kbs_fail(err, HUSK_ERR_INVAL, KBS_E_ARG, "kbs: sample evidence: bad arguments");
	*out_len = 0;
	if (!digest || !out)
		return kbs_fail(err, HUSK_ERR_INVAL, KBS_E_ARG, "kbs: sample evidence: bad arguments");
	if (extra) {
		rc = check_extra(se, err);
		if (rc != HUSK_OK)
			return rc;
	}
	kbs_out_init(&o, out, out_max);
	/* The sample verifier base64-decodes report_data (standard alphabet)
	 * and compares it with exactly the 48 digest bytes: no padding to 64. */
	kbs_out_str(&o, "{\"svn\":\"1\",\"report_data\":\"");
	kbs_out_b64(&o, digest, KBS_DIGEST_BYTES, false);
	kbs_out_str(&o, "\"");
	if (extra) {
		kbs_out_str(&o, ",");
		kbs_out_json_string(&o, se->extra_name, strlen(se->extra_name));
		kbs_out_str(&o, ":");
		kbs_out_json_string(&o, se->extra_value, strlen(se->extra_value));
	}
	kbs_out_str(&o, "}");
	if (kbs_out_finish(&o) != HUSK_OK)
		return kbs_fail(err, HUSK_ERR_RANGE, KBS_E_REQ_SIZE,
				"kbs: sample evidence does not fit %zu bytes", out_max);
	*out_len = o.len;
	return HUSK_OK;
}
