/* Attestation report signature, AMD certificate chain and VCEK/VLEK binding
 * checks (see snp_verify.h). */
#include <string.h>

#include "crypto/crypto.h"
#include "fmt/fmt.h"
#include "husk/err.h"
#include "snp/snp_internal.h"
#include "snp/snp_verify.h"

#include "mbedtls/asn1.h"
#include "mbedtls/bignum.h"
#include "mbedtls/ecdsa.h"
#include "mbedtls/ecp.h"
#include "mbedtls/pk.h"
#include "mbedtls/sha512.h"
#include "mbedtls/x509_crt.h"

/* ---- AMD's VCEK/VLEK extensions ------------------------------------------ */

/* 1.3.6.1.4.1.3704.1 in DER (3704 = 0x9c 0x78 in base 128). */
static const uint8_t amd_snp_oid_prefix[] = { 0x2b, 0x06, 0x01, 0x04, 0x01, 0x9c, 0x78, 0x01 };

enum amd_ext {
	EXT_STRUCT_VERSION, /* .1 */
	EXT_PRODUCT_NAME,   /* .2 */
	EXT_BL_SPL,         /* .3.1 */
	EXT_TEE_SPL,        /* .3.2 */
	EXT_SNP_SPL,        /* .3.3 */
	EXT_UCODE_SPL,      /* .3.8 */
	EXT_FMC_SPL,        /* .3.9 */
	EXT_HWID,           /* .4 */
	EXT_CSP_ID,         /* .5 */
	EXT__OTHER,
};

static const char *const amd_ext_names[] = {
	"structVersion", "productName", "blSPL", "teeSPL", "snpSPL", "ucodeSPL", "fmcSPL", "hwID", "CSP ID",
};

struct vek_parse_ctx {
	struct snp_vek_info *info;
	struct snp_error *err;
	uint32_t seen; /* bit per enum amd_ext */
	int rc;        /* first failure, or 0 */
};

static enum amd_ext classify_oid(const mbedtls_x509_buf *oid)
{
	size_t n = sizeof(amd_snp_oid_prefix);

	if (oid->len < n + 1 || memcmp(oid->p, amd_snp_oid_prefix, n) != 0)
		return EXT__OTHER;
	if (oid->len == n + 1) {
		switch (oid->p[n]) {
		case 1: return EXT_STRUCT_VERSION;
		case 2: return EXT_PRODUCT_NAME;
		case 4: return EXT_HWID;
		case 5: return EXT_CSP_ID;
		default: return EXT__OTHER;
		}
	}
	if (oid->len == n + 2 && oid->p[n] == 3) {
		switch (oid->p[n + 1]) {
		case 1: return EXT_BL_SPL;
		case 2: return EXT_TEE_SPL;
		case 3: return EXT_SNP_SPL;
		case 8: return EXT_UCODE_SPL;
		case 9: return EXT_FMC_SPL;
		default: return EXT__OTHER; /* 3.4 .. 3.7: reserved SPLs, ignored */
		}
	}
	return EXT__OTHER;
}

/* A DER INTEGER filling exactly [p, end), non-negative, minimally encoded,
 * at most max_value. */
static int der_small_uint(const unsigned char *p, const unsigned char *end, uint32_t max_value,
			  uint32_t *out)
{
	unsigned char *q = (unsigned char *)p;
	size_t len;
	uint64_t v = 0;

	if (mbedtls_asn1_get_tag(&q, end, &len, MBEDTLS_ASN1_INTEGER) != 0 || q + len != end)
		return -1;
	if (len == 0 || len > 5 || (q[0] & 0x80))
		return -1;
	if (len > 1 && q[0] == 0 && !(q[1] & 0x80))
		return -1; /* not minimal */
	for (size_t i = 0; i < len; i++)
		v = v << 8 | q[i];
	if (v > max_value)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static int ia5_string(const unsigned char *p, const unsigned char *end, char *out, size_t cap)
{
	unsigned char *q = (unsigned char *)p;
	size_t len;

	if (mbedtls_asn1_get_tag(&q, end, &len, MBEDTLS_ASN1_IA5_STRING) != 0 || q + len != end)
		return -1;
	if (len >= cap)
		return -1;
	for (size_t i = 0; i < len; i++)
		if (q[i] < 0x20 || q[i] > 0x7e)
			return -1;
	if (out) {
		memcpy(out, q, len);
		out[len] = '\0';
	}
	return 0;
}

/* mbedTLS calls this for every extension it does not know.  A failure of a
 * non-critical extension would be skipped silently by mbedTLS, so failures
 * are recorded in the context and the callback always returns 0 for AMD's
 * extensions; other unknown extensions are refused only if critical. */
static int vek_ext_cb(void *p_ctx, mbedtls_x509_crt const *crt, mbedtls_x509_buf const *oid, int critical,
		      const unsigned char *p, const unsigned char *end)
{
	struct vek_parse_ctx *ctx = p_ctx;
	struct snp_vek_info *info = ctx->info;
	enum amd_ext ext = classify_oid(oid);
	uint32_t v;
	int bad = 0;

	(void)crt;
	if (ext == EXT__OTHER)
		return critical ? MBEDTLS_ERR_X509_INVALID_EXTENSIONS : 0;
	if (ctx->rc)
		return 0;
	if (ctx->seen & (1u << ext)) {
		ctx->rc = snp_fail(ctx->err, HUSK_ERR_FORMAT, "VCEK/VLEK certificate has the %s extension twice",
				   amd_ext_names[ext]);
		return 0;
	}
	ctx->seen |= 1u << ext;

	switch (ext) {
	case EXT_STRUCT_VERSION:
		bad = der_small_uint(p, end, 0xffffffffu, &v);
		if (!bad) {
			info->has_struct_version = true;
			info->struct_version = v;
		}
		break;
	case EXT_PRODUCT_NAME:
		bad = ia5_string(p, end, info->product_name, sizeof(info->product_name));
		break;
	case EXT_BL_SPL:
	case EXT_TEE_SPL:
	case EXT_SNP_SPL:
	case EXT_UCODE_SPL:
	case EXT_FMC_SPL:
		bad = der_small_uint(p, end, 0xff, &v);
		if (bad)
			break;
		if (ext == EXT_BL_SPL)
			info->tcb.bootloader = (uint8_t)v;
		else if (ext == EXT_TEE_SPL)
			info->tcb.tee = (uint8_t)v;
		else if (ext == EXT_SNP_SPL)
			info->tcb.snp = (uint8_t)v;
		else if (ext == EXT_UCODE_SPL)
			info->tcb.microcode = (uint8_t)v;
		else {
			info->tcb.has_fmc = true;
			info->tcb.fmc = (uint8_t)v;
		}
		break;
	case EXT_HWID:
		/* AMD puts the raw chip ID in extnValue, without an inner DER tag. */
		if ((size_t)(end - p) != SNP_CHIP_ID_SIZE && (size_t)(end - p) != 8) {
			bad = 1;
			break;
		}
		info->hwid_len = (size_t)(end - p);
		memcpy(info->hwid, p, info->hwid_len);
		break;
	case EXT_CSP_ID:
		bad = ia5_string(p, end, NULL, 256);
		break;
	default:
		break;
	}
	if (bad)
		ctx->rc = snp_fail(ctx->err, HUSK_ERR_FORMAT, "VCEK/VLEK certificate: malformed %s extension (%zu bytes)",
				   amd_ext_names[ext], (size_t)(end - p));
	return 0;
}

/* Parses a VEK certificate into crt (caller frees) and checks its key. */
static int vek_load(mbedtls_x509_crt *crt, const uint8_t *der, size_t der_len, struct vek_parse_ctx *ctx,
		    struct snp_error *err)
{
	int rc;

	if (!der || der_len == 0)
		return snp_fail(err, HUSK_ERR_INVAL, "no VCEK/VLEK certificate given");
	if (der_len > SNP_VEK_MAX_DER_SIZE)
		return snp_fail(err, HUSK_ERR_FORMAT, "VCEK/VLEK certificate of %zu bytes (limit %u)", der_len,
				SNP_VEK_MAX_DER_SIZE);
	if (ctx)
		rc = mbedtls_x509_crt_parse_der_with_ext_cb(crt, der, der_len, 1, vek_ext_cb, ctx);
	else
		rc = mbedtls_x509_crt_parse_der(crt, der, der_len);
	if (rc != 0) {
		int code = crypto_err_from_mbedtls(rc);

		return snp_fail(err, code == HUSK_ERR_NOMEM ? code : HUSK_ERR_FORMAT,
				"VCEK/VLEK certificate does not parse as X.509 (mbedTLS -0x%04x)", (unsigned)-rc);
	}
	if (mbedtls_pk_get_type(&crt->pk) != MBEDTLS_PK_ECKEY ||
	    mbedtls_ecp_keypair_get_group_id(mbedtls_pk_ec(crt->pk)) != MBEDTLS_ECP_DP_SECP384R1)
		return snp_fail(err, HUSK_ERR_FORMAT, "VCEK/VLEK certificate key is not an ECDSA P-384 key");
	return HUSK_OK;
}

int snp_vek_parse(const uint8_t *der, size_t der_len, struct snp_vek_info *out, struct snp_error *err)
{
	const uint32_t spls = 1u << EXT_BL_SPL | 1u << EXT_TEE_SPL | 1u << EXT_SNP_SPL | 1u << EXT_UCODE_SPL;
	struct vek_parse_ctx ctx;
	mbedtls_x509_crt crt;
	int rc;

	if (!out)
		return snp_fail(err, HUSK_ERR_INVAL, "snp_vek_parse: NULL argument");
	memset(out, 0, sizeof(*out));
	memset(&ctx, 0, sizeof(ctx));
	ctx.info = out;
	ctx.err = err;
	mbedtls_x509_crt_init(&crt);
	rc = vek_load(&crt, der, der_len, &ctx, err);
	if (rc == HUSK_OK && ctx.rc)
		rc = ctx.rc;
	if (rc == HUSK_OK && (ctx.seen & spls) != spls) {
		for (unsigned i = EXT_BL_SPL; i <= EXT_UCODE_SPL; i++)
			if (!(ctx.seen & (1u << i))) {
				rc = snp_fail(err, HUSK_ERR_FORMAT, "VCEK/VLEK certificate has no %s extension",
					      amd_ext_names[i]);
				break;
			}
	}
	if (rc == HUSK_OK) {
		bool hwid = ctx.seen & (1u << EXT_HWID), csp = ctx.seen & (1u << EXT_CSP_ID);

		if (hwid == csp)
			rc = snp_fail(err, HUSK_ERR_FORMAT,
				      hwid ? "certificate has both hwID (VCEK) and CSP ID (VLEK) extensions"
					   : "certificate has neither hwID (VCEK) nor CSP ID (VLEK) extension");
		else
			out->kind = hwid ? SNP_VEK_VCEK : SNP_VEK_VLEK;
	}
	mbedtls_x509_crt_free(&crt);
	if (rc != HUSK_OK) {
		memset(out, 0, sizeof(*out));
		return rc;
	}
	snp_ok(err);
	return HUSK_OK;
}

/* ---- Report signature ---------------------------------------------------- */

int snp_verify_report_signature(const struct snp_report *r, const uint8_t *vek_der, size_t vek_len,
				struct snp_error *err)
{
	uint8_t hash[48];
	mbedtls_x509_crt crt;
	mbedtls_ecp_group grp;
	mbedtls_ecp_point q;
	mbedtls_mpi d, sig_r, sig_s;
	int rc, mrc;

	if (!r)
		return snp_fail(err, HUSK_ERR_INVAL, "snp_verify_report_signature: NULL report");
	if (snp_report_signing_key(r) == SNP_SIGNING_KEY_NONE)
		return snp_fail(err, HUSK_ERR_UNSUPPORTED,
				"report is not signed (SIGNING_KEY none: the platform masks its chip key)");
	/* R and S are 384-bit scalars in 72-byte fields; anything above is not
	 * a signature (and would otherwise be reduced silently by nobody). */
	if (!snp_all_zero(r->signature.r + SNP_ECDSA_P384_SCALAR_SIZE,
			  SNP_ECDSA_SIG_COMPONENT_SIZE - SNP_ECDSA_P384_SCALAR_SIZE) ||
	    !snp_all_zero(r->signature.s + SNP_ECDSA_P384_SCALAR_SIZE,
			  SNP_ECDSA_SIG_COMPONENT_SIZE - SNP_ECDSA_P384_SCALAR_SIZE))
		return snp_fail(err, HUSK_ERR_CRYPTO, "report signature R or S has bytes above 384 bits");

	mbedtls_x509_crt_init(&crt);
	mbedtls_ecp_group_init(&grp);
	mbedtls_ecp_point_init(&q);
	mbedtls_mpi_init(&d);
	mbedtls_mpi_init(&sig_r);
	mbedtls_mpi_init(&sig_s);

	rc = vek_load(&crt, vek_der, vek_len, NULL, err);
	if (rc != HUSK_OK)
		goto out;
	mrc = mbedtls_sha512((const unsigned char *)r, SNP_REPORT_SIGNED_SIZE, hash, 1);
	if (mrc == 0)
		mrc = mbedtls_ecp_export(mbedtls_pk_ec(crt.pk), &grp, &d, &q);
	if (mrc == 0)
		mrc = mbedtls_mpi_read_binary_le(&sig_r, r->signature.r, SNP_ECDSA_P384_SCALAR_SIZE);
	if (mrc == 0)
		mrc = mbedtls_mpi_read_binary_le(&sig_s, r->signature.s, SNP_ECDSA_P384_SCALAR_SIZE);
	if (mrc != 0) {
		rc = snp_fail(err, crypto_err_from_mbedtls(mrc), "report signature check could not run (mbedTLS -0x%04x)",
			      (unsigned)-mrc);
		goto out;
	}
	mrc = mbedtls_ecdsa_verify(&grp, hash, sizeof(hash), &q, &sig_r, &sig_s);
	if (mrc != 0) {
		rc = snp_fail(err, mrc == MBEDTLS_ERR_ECP_VERIFY_FAILED ? HUSK_ERR_CRYPTO : crypto_err_from_mbedtls(mrc),
			      "report signature does not verify with the VCEK/VLEK public key");
		goto out;
	}
	snp_ok(err);
	rc = HUSK_OK;
out:
	mbedtls_mpi_free(&sig_s);
	mbedtls_mpi_free(&sig_r);
	mbedtls_mpi_free(&d);
	mbedtls_ecp_point_free(&q);
	mbedtls_ecp_group_free(&grp);
	mbedtls_x509_crt_free(&crt);
	return rc;
}

/* ---- Certificate chain --------------------------------------------------- */

/* SHA-384 only (AMD signs everything with it); RSA (PKCS#1 v1.5 or PSS) or
 * ECDSA; P-384 for EC keys. */
static const mbedtls_x509_crt_profile snp_chain_profile = {
	.allowed_mds = MBEDTLS_X509_ID_FLAG(MBEDTLS_MD_SHA384),
	.allowed_pks = MBEDTLS_X509_ID_FLAG(MBEDTLS_PK_RSA) | MBEDTLS_X509_ID_FLAG(MBEDTLS_PK_RSASSA_PSS) |
		       MBEDTLS_X509_ID_FLAG(MBEDTLS_PK_ECKEY) | MBEDTLS_X509_ID_FLAG(MBEDTLS_PK_ECDSA),
	.allowed_curves = MBEDTLS_X509_ID_FLAG(MBEDTLS_ECP_DP_SECP384R1),
	.rsa_min_bitlen = 2048,
};

static const char *verify_flags_reason(uint32_t flags)
{
	if (flags & MBEDTLS_X509_BADCERT_BAD_MD)
		return "signed with a hash other than SHA-384";
	if (flags & MBEDTLS_X509_BADCERT_BAD_PK)
		return "signed with an unacceptable algorithm";
	if (flags & MBEDTLS_X509_BADCERT_BAD_KEY)
		return "unacceptable key (RSA below 2048 bits or a curve other than P-384)";
	if (flags & MBEDTLS_X509_BADCERT_KEY_USAGE)
		return "issuer's key usage does not allow certificate signing";
	if (flags & MBEDTLS_X509_BADCERT_NOT_TRUSTED)
		return "not signed by the expected issuer (wrong issuer, not a CA, or bad signature)";
	return "rejected by X.509 path validation";
}

static int parse_ca(mbedtls_x509_crt *crt, const uint8_t *der, size_t len, const char *what,
		    struct snp_error *err)
{
	int rc;

	if (!der || len == 0)
		return snp_fail(err, HUSK_ERR_INVAL, "no %s certificate given", what);
	if (len > SNP_VEK_MAX_DER_SIZE)
		return snp_fail(err, HUSK_ERR_FORMAT, "%s certificate of %zu bytes (limit %u)", what, len,
				SNP_VEK_MAX_DER_SIZE);
	rc = mbedtls_x509_crt_parse_der(crt, der, len);
	if (rc != 0) {
		int code = crypto_err_from_mbedtls(rc);

		return snp_fail(err, code == HUSK_ERR_NOMEM ? code : HUSK_ERR_FORMAT,
				"%s certificate does not parse as X.509 (mbedTLS -0x%04x)", what, (unsigned)-rc);
	}
	return HUSK_OK;
}

/* Verifies that child is signed by trust (a CA), nothing else in between. */
static int verify_link(mbedtls_x509_crt *child, mbedtls_x509_crt *trust, const char *child_name,
		       const char *trust_name, struct snp_error *err)
{
	uint32_t flags = 0;
	int mrc;

	mrc = mbedtls_x509_crt_verify_with_profile(child, trust, NULL, &snp_chain_profile, NULL, &flags, NULL,
						   NULL);
	if (mrc == 0)
		return HUSK_OK;
	if (mrc == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED)
		return snp_fail(err, HUSK_ERR_CRYPTO, "%s does not chain to %s: %s (flags 0x%x)", child_name,
				trust_name, verify_flags_reason(flags), flags);
	return snp_fail(err, crypto_err_from_mbedtls(mrc), "%s -> %s verification failed (mbedTLS -0x%04x)",
			trust_name, child_name, (unsigned)-mrc);
}

int snp_verify_chain(const uint8_t *ark_der, size_t ark_len, const uint8_t *ask_der, size_t ask_len,
		     const uint8_t *vek_der, size_t vek_len, struct snp_error *err)
{
	mbedtls_x509_crt ark, ask, vek;
	int rc;

	mbedtls_x509_crt_init(&ark);
	mbedtls_x509_crt_init(&ask);
	mbedtls_x509_crt_init(&vek);
	rc = parse_ca(&ark, ark_der, ark_len, "ARK", err);
	if (rc == HUSK_OK)
		rc = parse_ca(&ask, ask_der, ask_len, "ASK/ASVK", err);
	if (rc == HUSK_OK)
		rc = parse_ca(&vek, vek_der, vek_len, "VCEK/VLEK", err);
	/* Two links checked separately rather than one path search, so that the
	 * chain is exactly ARK -> ASK -> VEK: mbedTLS would otherwise accept a
	 * VEK signed by the ARK itself and ignore the ASK. */
	if (rc == HUSK_OK)
		rc = verify_link(&ask, &ark, "ASK/ASVK", "ARK", err);
	if (rc == HUSK_OK)
		rc = verify_link(&vek, &ask, "VCEK/VLEK", "ASK/ASVK", err);
	mbedtls_x509_crt_free(&vek);
	mbedtls_x509_crt_free(&ask);
	mbedtls_x509_crt_free(&ark);
	if (rc == HUSK_OK)
		snp_ok(err);
	return rc;
}

/* ---- Binding of the report to the certificate ---------------------------- */

static void tcb_text(char *buf, size_t n, const struct snp_tcb *t)
{
	if (t->has_fmc)
		fmt_snprintf(buf, n, "fmc %u bl %u tee %u snp %u ucode %u", t->fmc, t->bootloader, t->tee, t->snp,
			     t->microcode);
	else
		fmt_snprintf(buf, n, "bl %u tee %u snp %u ucode %u", t->bootloader, t->tee, t->snp, t->microcode);
}

int snp_verify_vek_binding(const struct snp_report *r, const struct snp_vek_info *vek, struct snp_error *err)
{
	enum snp_tcb_layout layout;
	uint32_t signing_key;
	uint64_t expected;

	if (!r || !vek)
		return snp_fail(err, HUSK_ERR_INVAL, "snp_verify_vek_binding: NULL argument");
	signing_key = snp_report_signing_key(r);
	if (signing_key == SNP_SIGNING_KEY_NONE)
		return snp_fail(err, HUSK_ERR_UNSUPPORTED, "report is not signed (SIGNING_KEY none)");
	if ((signing_key == SNP_SIGNING_KEY_VCEK) != (vek->kind == SNP_VEK_VCEK))
		return snp_fail(err, HUSK_ERR_CRYPTO, "report says it is signed by the %s, the certificate is a %s",
				signing_key == SNP_SIGNING_KEY_VCEK ? "VCEK" : "VLEK",
				vek->kind == SNP_VEK_VCEK ? "VCEK" : "VLEK");

	layout = vek->tcb.has_fmc ? SNP_TCB_LAYOUT_TURIN : SNP_TCB_LAYOUT_MILAN_GENOA;
	if (layout != snp_report_tcb_layout(r))
		return snp_fail(err, HUSK_ERR_CRYPTO, "certificate is for a %s TCB layout, the report has the other",
				layout == SNP_TCB_LAYOUT_TURIN ? "Turin" : "Milan/Genoa");
	expected = snp_tcb_encode(&vek->tcb, layout);
	if (r->reported_tcb != expected) {
		struct snp_tcb got;
		char want_s[64], got_s[64];

		snp_tcb_decode(r->reported_tcb, layout, &got);
		tcb_text(want_s, sizeof(want_s), &vek->tcb);
		tcb_text(got_s, sizeof(got_s), &got);
		return snp_fail(err, HUSK_ERR_CRYPTO,
				"REPORTED_TCB 0x%016llx (%s) differs from the certificate's TCB (%s)",
				(unsigned long long)r->reported_tcb, got_s, want_s);
	}
	if (vek->kind == SNP_VEK_VCEK) {
		if (snp_report_chip_id_masked(r))
			return snp_fail(err, HUSK_ERR_CRYPTO,
					"CHIP_ID is masked (all zero), so the report cannot be bound to a VCEK");
		if (vek->hwid_len != SNP_CHIP_ID_SIZE && vek->hwid_len != 8)
			return snp_fail(err, HUSK_ERR_INVAL, "VCEK info without a hwID");
		if (memcmp(r->chip_id, vek->hwid, vek->hwid_len) != 0)
			return snp_fail(err, HUSK_ERR_CRYPTO, "CHIP_ID differs from the VCEK's hwID");
	}
	snp_ok(err);
	return HUSK_OK;
}

int snp_verify_report(const struct snp_report *r, const uint8_t *ark_der, size_t ark_len,
		      const uint8_t *ask_der, size_t ask_len, const uint8_t *vek_der, size_t vek_len,
		      struct snp_error *err)
{
	struct snp_vek_info info;
	int rc;

	if (!r)
		return snp_fail(err, HUSK_ERR_INVAL, "snp_verify_report: NULL report");
	rc = snp_vek_parse(vek_der, vek_len, &info, err);
	if (rc == HUSK_OK)
		rc = snp_verify_chain(ark_der, ark_len, ask_der, ask_len, vek_der, vek_len, err);
	if (rc == HUSK_OK)
		rc = snp_verify_vek_binding(r, &info, err);
	if (rc == HUSK_OK)
		rc = snp_verify_report_signature(r, vek_der, vek_len, err);
	return rc;
}
