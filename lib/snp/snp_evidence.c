/* Trustee `snp` evidence JSON writer (see snp_evidence.h). */
#include <string.h>

#include "husk/err.h"
#include "snp/snp_evidence.h"
#include "snp/snp_internal.h"

/* Appends to a bounded buffer, counting what would have been written past
 * its end, so one pass both writes and measures. */
struct jw {
	char *buf;
	size_t cap; /* usable bytes, excluding the NUL's */
	size_t len;
};

static void jw_raw(struct jw *w, const char *s, size_t n)
{
	if (w->len < w->cap) {
		size_t room = w->cap - w->len;

		memcpy(w->buf + w->len, s, n < room ? n : room);
	}
	w->len += n;
}

static void jw_str(struct jw *w, const char *s)
{
	jw_raw(w, s, strlen(s));
}

static void jw_u64(struct jw *w, uint64_t v)
{
	char tmp[20];
	size_t n = 0;

	do {
		tmp[sizeof(tmp) - 1 - n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	jw_raw(w, tmp + sizeof(tmp) - n, n);
}

/* "name": */
static void jw_key(struct jw *w, const char *name)
{
	jw_str(w, "\"");
	jw_str(w, name);
	jw_str(w, "\":");
}

static void jw_bytes(struct jw *w, const uint8_t *p, size_t n)
{
	jw_str(w, "[");
	for (size_t i = 0; i < n; i++) {
		if (i)
			jw_str(w, ",");
		jw_u64(w, p[i]);
	}
	jw_str(w, "]");
}

static void jw_member_u64(struct jw *w, const char *name, uint64_t v)
{
	jw_key(w, name);
	jw_u64(w, v);
	jw_str(w, ",");
}

static void jw_member_bytes(struct jw *w, const char *name, const uint8_t *p, size_t n)
{
	jw_key(w, name);
	jw_bytes(w, p, n);
	jw_str(w, ",");
}

static void jw_member_opt_u64(struct jw *w, const char *name, int present, uint64_t v)
{
	jw_key(w, name);
	if (present)
		jw_u64(w, v);
	else
		jw_str(w, "null");
	jw_str(w, ",");
}

static void jw_member_tcb(struct jw *w, const char *name, uint64_t raw, enum snp_tcb_layout layout)
{
	struct snp_tcb t;

	snp_tcb_decode(raw, layout, &t);
	jw_key(w, name);
	jw_str(w, "{");
	jw_member_opt_u64(w, "fmc", t.has_fmc, t.fmc);
	jw_member_u64(w, "bootloader", t.bootloader);
	jw_member_u64(w, "tee", t.tee);
	jw_member_u64(w, "snp", t.snp);
	jw_key(w, "microcode");
	jw_u64(w, t.microcode);
	jw_str(w, "},");
}

static void jw_member_version(struct jw *w, const char *name, uint8_t major, uint8_t minor, uint8_t build)
{
	jw_key(w, name);
	jw_str(w, "{");
	jw_member_u64(w, "major", major);
	jw_member_u64(w, "minor", minor);
	jw_key(w, "build");
	jw_u64(w, build);
	jw_str(w, "},");
}

static void write_report(struct jw *w, const struct snp_report *r, enum snp_tcb_layout layout)
{
	int v3 = r->version >= 3, v5 = r->version >= 5;

	jw_str(w, "{");
	jw_member_u64(w, "version", r->version);
	jw_member_u64(w, "guest_svn", r->guest_svn);
	jw_member_u64(w, "policy", r->policy);
	jw_member_bytes(w, "family_id", r->family_id, sizeof(r->family_id));
	jw_member_bytes(w, "image_id", r->image_id, sizeof(r->image_id));
	jw_member_u64(w, "vmpl", r->vmpl);
	jw_member_u64(w, "sig_algo", r->signature_algo);
	jw_member_tcb(w, "current_tcb", r->current_tcb, layout);
	jw_member_u64(w, "plat_info", r->platform_info);
	jw_member_u64(w, "key_info", r->key_info);
	jw_member_bytes(w, "report_data", r->report_data, sizeof(r->report_data));
	jw_member_bytes(w, "measurement", r->measurement, sizeof(r->measurement));
	jw_member_bytes(w, "host_data", r->host_data, sizeof(r->host_data));
	jw_member_bytes(w, "id_key_digest", r->id_key_digest, sizeof(r->id_key_digest));
	jw_member_bytes(w, "author_key_digest", r->author_key_digest, sizeof(r->author_key_digest));
	jw_member_bytes(w, "report_id", r->report_id, sizeof(r->report_id));
	jw_member_bytes(w, "report_id_ma", r->report_id_ma, sizeof(r->report_id_ma));
	jw_member_tcb(w, "reported_tcb", r->reported_tcb, layout);
	jw_member_opt_u64(w, "cpuid_fam_id", v3, r->cpuid_fam_id);
	jw_member_opt_u64(w, "cpuid_mod_id", v3, r->cpuid_mod_id);
	jw_member_opt_u64(w, "cpuid_step", v3, r->cpuid_step);
	jw_member_bytes(w, "chip_id", r->chip_id, sizeof(r->chip_id));
	jw_member_tcb(w, "committed_tcb", r->committed_tcb, layout);
	jw_member_version(w, "current", r->current_major, r->current_minor, r->current_build);
	jw_member_version(w, "committed", r->committed_major, r->committed_minor, r->committed_build);
	jw_member_tcb(w, "launch_tcb", r->launch_tcb, layout);
	jw_member_opt_u64(w, "launch_mit_vector", v5, r->launch_mit_vector);
	jw_member_opt_u64(w, "current_mit_vector", v5, r->current_mit_vector);
	jw_key(w, "signature");
	jw_str(w, "{");
	jw_key(w, "r");
	jw_bytes(w, r->signature.r, sizeof(r->signature.r));
	jw_str(w, ",");
	jw_key(w, "s");
	jw_bytes(w, r->signature.s, sizeof(r->signature.s));
	jw_str(w, "}}");
}

int snp_evidence_write(const struct snp_report *r, const uint8_t *vek_der, size_t vek_len,
		       enum snp_vek_kind kind, char *buf, size_t buf_size, size_t *out_len, struct snp_error *err)
{
	static const char *const tcb_names[] = { "CURRENT_TCB", "REPORTED_TCB", "COMMITTED_TCB", "LAUNCH_TCB" };
	enum snp_tcb_layout layout;
	uint64_t tcbs[4];
	struct jw w;
	int rc;

	if (!r || !out_len || (!buf && buf_size) || (!vek_der && vek_len))
		return snp_fail(err, HUSK_ERR_INVAL, "snp_evidence_write: NULL argument");
	*out_len = 0;
	if (vek_der && (vek_len == 0 || vek_len > SNP_VEK_MAX_DER_SIZE))
		return snp_fail(err, HUSK_ERR_RANGE, "certificate of %zu bytes (1 to %u)", vek_len,
				SNP_VEK_MAX_DER_SIZE);
	if (kind != SNP_VEK_VCEK && kind != SNP_VEK_VLEK)
		return snp_fail(err, HUSK_ERR_INVAL, "unknown certificate kind %d", (int)kind);
	rc = snp_report_validate(r, err);
	if (rc != HUSK_OK)
		return rc;
	layout = snp_report_tcb_layout(r);
	tcbs[0] = r->current_tcb;
	tcbs[1] = r->reported_tcb;
	tcbs[2] = r->committed_tcb;
	tcbs[3] = r->launch_tcb;
	for (size_t i = 0; i < HUSK_ARRAY_SIZE(tcbs); i++)
		if (snp_tcb_has_reserved_bits(tcbs[i], layout))
			return snp_fail(err, HUSK_ERR_UNSUPPORTED,
					"%s 0x%016llx has reserved bytes set; Trustee's JSON cannot carry them",
					tcb_names[i], (unsigned long long)tcbs[i]);

	w.buf = buf;
	w.cap = buf_size ? buf_size - 1 : 0;
	w.len = 0;
	jw_str(&w, "{");
	jw_key(&w, "attestation_report");
	write_report(&w, r, layout);
	jw_str(&w, ",");
	jw_key(&w, "cert_chain");
	if (vek_der) {
		jw_str(&w, "[{");
		jw_key(&w, "cert_type");
		jw_str(&w, kind == SNP_VEK_VCEK ? "\"VCEK\"," : "\"VLEK\",");
		jw_key(&w, "data");
		jw_bytes(&w, vek_der, vek_len);
		jw_str(&w, "}]");
	} else {
		jw_str(&w, "null");
	}
	jw_str(&w, "}");

	*out_len = w.len;
	if (w.len > w.cap || buf_size == 0) {
		if (buf && buf_size)
			buf[0] = '\0';
		return snp_fail(err, HUSK_ERR_RANGE, "evidence needs %zu bytes plus a NUL, the buffer has %zu", w.len,
				buf_size);
	}
	buf[w.len] = '\0';
	snp_ok(err);
	return HUSK_OK;
}
