/* SNP guest request messages: sealing requests and opening responses under a
 * VMPCK with AES-256-GCM, with the ABI's sequence-number rules (see
 * snp_guest_msg.h). */
#include <string.h>

#include "crypto/crypto.h"
#include "husk/err.h"
#include "snp/snp_guest_msg.h"
#include "snp/snp_internal.h"

#include "mbedtls/gcm.h"

int snp_guest_msg_init(struct snp_guest_msg_ctx *ctx, const uint8_t vmpck[SNP_VMPCK_SIZE], unsigned vmpck_id,
		       uint64_t last_seqno, struct snp_error *err)
{
	if (!ctx || !vmpck)
		return snp_fail(err, HUSK_ERR_INVAL, "snp_guest_msg_init: NULL argument");
	crypto_wipe(ctx, sizeof(*ctx));
	if (vmpck_id >= SNP_VMPCK_COUNT)
		return snp_fail(err, HUSK_ERR_INVAL, "VMPCK%u does not exist (0 to 3)", vmpck_id);
	if (snp_all_zero(vmpck, SNP_VMPCK_SIZE))
		return snp_fail(err, HUSK_ERR_INVAL, "VMPCK%u is all zero: the key is disabled", vmpck_id);
	memcpy(ctx->vmpck, vmpck, SNP_VMPCK_SIZE);
	ctx->vmpck_id = (uint8_t)vmpck_id;
	ctx->seqno = last_seqno;
	ctx->ready = true;
	snp_ok(err);
	return HUSK_OK;
}

void snp_guest_msg_retire(struct snp_guest_msg_ctx *ctx)
{
	if (!ctx)
		return;
	crypto_wipe(ctx->vmpck, sizeof(ctx->vmpck));
	crypto_wipe(ctx->scratch, sizeof(ctx->scratch));
	ctx->ready = false;
	ctx->pending = false;
}

bool snp_guest_msg_usable(const struct snp_guest_msg_ctx *ctx)
{
	return ctx && ctx->ready;
}

void snp_guest_msg_abandon(struct snp_guest_msg_ctx *ctx)
{
	snp_guest_msg_retire(ctx);
}

static void make_iv(uint8_t iv[SNP_GUEST_MSG_IV_SIZE], uint64_t seqno)
{
	memset(iv, 0, SNP_GUEST_MSG_IV_SIZE);
	snp_put_le64(iv, seqno);
}

/* AES-256-GCM under the context's key: encrypt (tag out) or decrypt (tag in). */
static int gcm_run(const struct snp_guest_msg_ctx *ctx, int mode, uint64_t seqno, const uint8_t *aad,
		   const uint8_t *in, uint8_t *out, size_t len, uint8_t *tag)
{
	mbedtls_gcm_context gcm;
	uint8_t iv[SNP_GUEST_MSG_IV_SIZE];
	int mrc;

	make_iv(iv, seqno);
	mbedtls_gcm_init(&gcm);
	mrc = mbedtls_gcm_setkey(&gcm, MBEDTLS_CIPHER_ID_AES, ctx->vmpck, SNP_VMPCK_SIZE * 8);
	if (mrc == 0) {
		if (mode == MBEDTLS_GCM_ENCRYPT)
			mrc = mbedtls_gcm_crypt_and_tag(&gcm, MBEDTLS_GCM_ENCRYPT, len, iv, sizeof(iv), aad,
							SNP_GUEST_MSG_AAD_SIZE, in, out, SNP_GUEST_MSG_TAG_SIZE, tag);
		else
			mrc = mbedtls_gcm_auth_decrypt(&gcm, len, iv, sizeof(iv), aad, SNP_GUEST_MSG_AAD_SIZE, tag,
						       SNP_GUEST_MSG_TAG_SIZE, in, out);
	}
	mbedtls_gcm_free(&gcm);
	return mrc;
}

static int check_usable(const struct snp_guest_msg_ctx *ctx, struct snp_error *err)
{
	if (!ctx)
		return snp_fail(err, HUSK_ERR_INVAL, "NULL guest message context");
	if (!ctx->ready)
		return snp_fail(err, HUSK_ERR_INVAL, "VMPCK%u has been retired (or was never set up)", ctx->vmpck_id);
	return HUSK_OK;
}

int snp_guest_msg_seal(struct snp_guest_msg_ctx *ctx, uint8_t msg_type, uint8_t msg_version, const void *payload,
		       size_t len, void *out, size_t out_size, struct snp_error *err)
{
	struct snp_guest_msg_hdr hdr;
	uint8_t *o = out;
	uint64_t seqno;
	int rc, mrc;

	rc = check_usable(ctx, err);
	if (rc != HUSK_OK)
		return rc;
	if (!out || (!payload && len))
		return snp_fail(err, HUSK_ERR_INVAL, "snp_guest_msg_seal: NULL buffer");
	if (ctx->pending)
		return snp_fail(err, HUSK_ERR_BUSY, "a request with sequence number %llu is still outstanding",
				(unsigned long long)(ctx->seqno + 1));
	if (msg_type == 0 || !(msg_type & 1) || msg_type == 0xff)
		return snp_fail(err, HUSK_ERR_INVAL, "message type %u is not a request type", msg_type);
	if (len > SNP_GUEST_MSG_MAX_PAYLOAD)
		return snp_fail(err, HUSK_ERR_RANGE, "payload of %zu bytes (at most %u fit a page)", len,
				SNP_GUEST_MSG_MAX_PAYLOAD);
	if (out_size < SNP_GUEST_MSG_HDR_SIZE + len)
		return snp_fail(err, HUSK_ERR_RANGE, "request buffer of %zu bytes, %zu needed", out_size,
				SNP_GUEST_MSG_HDR_SIZE + len);
	/* The request takes seqno + 1 and its response seqno + 2. */
	if (ctx->seqno > UINT64_MAX - 2)
		return snp_fail(err, HUSK_ERR_RANGE, "VMPCK%u has used up its sequence numbers", ctx->vmpck_id);
	seqno = ctx->seqno + 1;

	memset(&hdr, 0, sizeof(hdr));
	hdr.msg_seqno = seqno;
	hdr.algo = SNP_AEAD_AES_256_GCM;
	hdr.hdr_version = SNP_GUEST_MSG_HDR_VERSION;
	hdr.hdr_size = SNP_GUEST_MSG_HDR_SIZE;
	hdr.msg_type = msg_type;
	hdr.msg_version = msg_version;
	hdr.msg_size = (uint16_t)len;
	hdr.msg_vmpck = ctx->vmpck_id;

	memset(o, 0, out_size);
	mrc = gcm_run(ctx, MBEDTLS_GCM_ENCRYPT, seqno, (const uint8_t *)&hdr + SNP_GUEST_MSG_AAD_OFFSET, payload,
		      o + SNP_GUEST_MSG_HDR_SIZE, len, hdr.authtag);
	if (mrc != 0) {
		memset(o, 0, out_size);
		return snp_fail(err, crypto_err_from_mbedtls(mrc), "AES-GCM encryption failed (mbedTLS -0x%04x)",
				(unsigned)-mrc);
	}
	memcpy(o, &hdr, sizeof(hdr));
	ctx->pending = true;
	ctx->pending_type = msg_type;
	ctx->pending_version = msg_version;
	snp_ok(err);
	return HUSK_OK;
}

/* Fails the outstanding request for good (see "Retiring the key"). */
static int open_fail(struct snp_guest_msg_ctx *ctx, int code)
{
	snp_guest_msg_retire(ctx);
	return code;
}

/* Validates and decrypts the response into ctx->scratch; on HUSK_OK the
 * plaintext is at scratch + 0x60 for *len bytes and the caller must wipe
 * the scratch area when done with it. */
static int open_internal(struct snp_guest_msg_ctx *ctx, const void *rsp, size_t rsp_size, size_t cap, size_t *len,
			 struct snp_error *err)
{
	const size_t scratch_payload = sizeof(ctx->scratch) - SNP_GUEST_MSG_HDR_SIZE;
	struct snp_guest_msg_hdr hdr;
	uint8_t *plain = ctx->scratch + SNP_GUEST_MSG_HDR_SIZE;
	uint64_t expected;
	int rc, mrc;

	rc = check_usable(ctx, err);
	if (rc != HUSK_OK)
		return rc;
	if (!ctx->pending)
		return snp_fail(err, HUSK_ERR_INVAL, "no request is outstanding");
	if (!rsp || rsp_size < SNP_GUEST_MSG_HDR_SIZE)
		return snp_fail(err, HUSK_ERR_INVAL, "response buffer of %zu bytes cannot hold a header", rsp_size);
	if (rsp_size > SNP_GUEST_MSG_PAGE_SIZE)
		rsp_size = SNP_GUEST_MSG_PAGE_SIZE;
	if (cap > scratch_payload)
		cap = scratch_payload;
	expected = ctx->seqno + 2;

	/* One read of the header from shared memory, then checks on the copy. */
	memcpy(ctx->scratch, rsp, SNP_GUEST_MSG_HDR_SIZE);
	memcpy(&hdr, ctx->scratch, sizeof(hdr));
	if (hdr.msg_seqno != expected)
		return open_fail(ctx, snp_fail(err, HUSK_ERR_CRYPTO,
					       "response sequence number %llu, expected %llu: VMPCK%u retired",
					       (unsigned long long)hdr.msg_seqno, (unsigned long long)expected,
					       ctx->vmpck_id));
	if (hdr.algo != SNP_AEAD_AES_256_GCM)
		return open_fail(ctx, snp_fail(err, HUSK_ERR_FORMAT, "response ALGO %u (expected 1, AES-256-GCM)",
					       hdr.algo));
	if (hdr.hdr_version != SNP_GUEST_MSG_HDR_VERSION || hdr.hdr_size != SNP_GUEST_MSG_HDR_SIZE)
		return open_fail(ctx, snp_fail(err, HUSK_ERR_FORMAT,
					       "response header version %u size 0x%x (expected 1, 0x60)",
					       hdr.hdr_version, hdr.hdr_size));
	if (hdr.msg_type != ctx->pending_type + 1)
		return open_fail(ctx, snp_fail(err, HUSK_ERR_FORMAT, "response MSG_TYPE %u to a request of type %u",
					       hdr.msg_type, ctx->pending_type));
	if (hdr.msg_version != ctx->pending_version)
		return open_fail(ctx, snp_fail(err, HUSK_ERR_FORMAT, "response MSG_VERSION %u, request had %u",
					       hdr.msg_version, ctx->pending_version));
	if (hdr.msg_vmpck != ctx->vmpck_id)
		return open_fail(ctx, snp_fail(err, HUSK_ERR_FORMAT, "response MSG_VMPCK %u, request used VMPCK%u",
					       hdr.msg_vmpck, ctx->vmpck_id));
	if (hdr.msg_size > cap)
		return open_fail(ctx, snp_fail(err, HUSK_ERR_FORMAT, "response MSG_SIZE %u exceeds the %zu expected",
					       hdr.msg_size, cap));
	if (SNP_GUEST_MSG_HDR_SIZE + (size_t)hdr.msg_size > rsp_size)
		return open_fail(ctx, snp_fail(err, HUSK_ERR_FORMAT,
					       "response MSG_SIZE %u does not fit the %zu-byte response buffer",
					       hdr.msg_size, rsp_size));

	/* One read of the ciphertext, decrypted in place in private memory. */
	memcpy(plain, (const uint8_t *)rsp + SNP_GUEST_MSG_HDR_SIZE, hdr.msg_size);
	mrc = gcm_run(ctx, MBEDTLS_GCM_DECRYPT, expected, ctx->scratch + SNP_GUEST_MSG_AAD_OFFSET, plain, plain,
		      hdr.msg_size, ctx->scratch);
	if (mrc == MBEDTLS_ERR_GCM_AUTH_FAILED)
		return open_fail(ctx, snp_fail(err, HUSK_ERR_CRYPTO,
					       "response does not authenticate under VMPCK%u: VMPCK%u retired",
					       ctx->vmpck_id, ctx->vmpck_id));
	if (mrc != 0)
		return open_fail(ctx, snp_fail(err, crypto_err_from_mbedtls(mrc),
					       "AES-GCM decryption failed (mbedTLS -0x%04x)", (unsigned)-mrc));

	ctx->seqno = expected;
	ctx->pending = false;
	*len = hdr.msg_size;
	return HUSK_OK;
}

int snp_guest_msg_open(struct snp_guest_msg_ctx *ctx, const void *rsp, size_t rsp_size, void *payload, size_t cap,
		       size_t *len, struct snp_error *err)
{
	size_t n = 0;
	int rc;

	if (!len || (!payload && cap))
		return snp_fail(err, HUSK_ERR_INVAL, "snp_guest_msg_open: NULL argument");
	*len = 0;
	rc = open_internal(ctx, rsp, rsp_size, cap, &n, err);
	if (rc != HUSK_OK)
		return rc;
	memcpy(payload, ctx->scratch + SNP_GUEST_MSG_HDR_SIZE, n);
	crypto_wipe(ctx->scratch, sizeof(ctx->scratch));
	*len = n;
	snp_ok(err);
	return HUSK_OK;
}

int snp_guest_msg_report_req(struct snp_guest_msg_ctx *ctx, const uint8_t report_data[SNP_REPORT_DATA_SIZE],
			     uint32_t vmpl, uint32_t key_sel, void *out, size_t out_size, struct snp_error *err)
{
	struct snp_msg_report_req req;
	int rc;

	if (!report_data)
		return snp_fail(err, HUSK_ERR_INVAL, "snp_guest_msg_report_req: NULL REPORT_DATA");
	if (vmpl > 3)
		return snp_fail(err, HUSK_ERR_INVAL, "report VMPL %u (0 to 3)", vmpl);
	if (key_sel > SNP_REPORT_KEY_SEL_VLEK)
		return snp_fail(err, HUSK_ERR_INVAL, "KEY_SEL %u is reserved", key_sel);
	memset(&req, 0, sizeof(req));
	memcpy(req.report_data, report_data, SNP_REPORT_DATA_SIZE);
	req.vmpl = vmpl;
	req.flags = key_sel;
	rc = snp_guest_msg_seal(ctx, SNP_MSG_REPORT_REQ, SNP_MSG_REPORT_VERSION, &req, sizeof(req), out, out_size,
				err);
	crypto_wipe(&req, sizeof(req));
	return rc;
}

static const char *fw_status_name(uint32_t status)
{
	switch (status) {
	case SNP_FW_INVALID_PARAM: return "INVALID_PARAM";
	case SNP_FW_INVALID_KEY: return "INVALID_KEY";
	case SNP_FW_AEAD_OFLOW: return "AEAD_OFLOW";
	default: return "firmware error";
	}
}

/* Common start of the typed responses: open, then read STATUS. */
static int open_with_status(struct snp_guest_msg_ctx *ctx, const void *rsp, size_t rsp_size, size_t cap,
			    const char *what, size_t *len, uint32_t *fw_status, struct snp_error *err)
{
	uint32_t status;
	int rc;

	if (fw_status)
		*fw_status = 0;
	rc = open_internal(ctx, rsp, rsp_size, cap, len, err);
	if (rc != HUSK_OK)
		return rc;
	/* From here on the payload is authentic and the counters are in step,
	 * so a defect is the PSP's answer, not an attack: the key stays. */
	if (*len < 4) {
		crypto_wipe(ctx->scratch, sizeof(ctx->scratch));
		return snp_fail(err, HUSK_ERR_FORMAT, "%s of %zu bytes has no STATUS", what, *len);
	}
	status = snp_le32(ctx->scratch + SNP_GUEST_MSG_HDR_SIZE);
	if (fw_status)
		*fw_status = status;
	if (status != SNP_FW_SUCCESS) {
		crypto_wipe(ctx->scratch, sizeof(ctx->scratch));
		return snp_fail(err, HUSK_ERR_IO, "PSP answered %s with status 0x%x (%s)", what, status,
				fw_status_name(status));
	}
	return HUSK_OK;
}

int snp_guest_msg_report_rsp(struct snp_guest_msg_ctx *ctx, const void *rsp, size_t rsp_size,
			     uint8_t report[SNP_REPORT_SIZE], uint32_t *fw_status, struct snp_error *err)
{
	const uint8_t *p;
	uint32_t report_size;
	size_t len = 0;
	int rc;

	if (!report)
		return snp_fail(err, HUSK_ERR_INVAL, "snp_guest_msg_report_rsp: NULL report buffer");
	rc = open_with_status(ctx, rsp, rsp_size, sizeof(struct snp_msg_report_rsp), "MSG_REPORT_RSP", &len,
			      fw_status, err);
	if (rc != HUSK_OK)
		return rc;
	p = ctx->scratch + SNP_GUEST_MSG_HDR_SIZE;
	rc = HUSK_OK;
	if (len < SNP_MSG_REPORT_RSP_FIXED) {
		rc = snp_fail(err, HUSK_ERR_FORMAT, "MSG_REPORT_RSP of %zu bytes is shorter than its 0x20-byte head",
			      len);
	} else if ((report_size = snp_le32(p + 4)) != SNP_REPORT_SIZE) {
		rc = snp_fail(err, HUSK_ERR_FORMAT, "MSG_REPORT_RSP REPORT_SIZE 0x%x (expected 0x%x)", report_size,
			      SNP_REPORT_SIZE);
	} else if (len < SNP_MSG_REPORT_RSP_FIXED + SNP_REPORT_SIZE) {
		rc = snp_fail(err, HUSK_ERR_FORMAT, "MSG_REPORT_RSP of %zu bytes cannot hold a 0x%x-byte report", len,
			      SNP_REPORT_SIZE);
	} else {
		memcpy(report, p + SNP_MSG_REPORT_RSP_FIXED, SNP_REPORT_SIZE);
		snp_ok(err);
	}
	crypto_wipe(ctx->scratch, sizeof(ctx->scratch));
	return rc;
}

int snp_guest_msg_key_req(struct snp_guest_msg_ctx *ctx, const struct snp_msg_key_req *req, void *out,
			  size_t out_size, struct snp_error *err)
{
	struct snp_msg_key_req copy;
	int rc;

	if (!req)
		return snp_fail(err, HUSK_ERR_INVAL, "snp_guest_msg_key_req: NULL request");
	memcpy(&copy, req, sizeof(copy));
	if (copy.root_key_select & ~1u)
		return snp_fail(err, HUSK_ERR_INVAL, "ROOT_KEY_SELECT 0x%x has reserved bits", copy.root_key_select);
	if (copy.reserved_04)
		return snp_fail(err, HUSK_ERR_INVAL, "MSG_KEY_REQ reserved field is not zero");
	if (copy.guest_field_select & ~SNP_KEY_FIELD_DEFINED)
		return snp_fail(err, HUSK_ERR_INVAL, "GUEST_FIELD_SELECT 0x%llx has reserved bits",
				(unsigned long long)copy.guest_field_select);
	if (copy.vmpl > 3)
		return snp_fail(err, HUSK_ERR_INVAL, "key VMPL %u (0 to 3)", copy.vmpl);
	rc = snp_guest_msg_seal(ctx, SNP_MSG_KEY_REQ, SNP_MSG_KEY_VERSION, &copy, sizeof(copy), out, out_size, err);
	crypto_wipe(&copy, sizeof(copy));
	return rc;
}

int snp_guest_msg_key_rsp(struct snp_guest_msg_ctx *ctx, const void *rsp, size_t rsp_size,
			  uint8_t key[SNP_DERIVED_KEY_SIZE], uint32_t *fw_status, struct snp_error *err)
{
	size_t len = 0;
	int rc;

	if (!key)
		return snp_fail(err, HUSK_ERR_INVAL, "snp_guest_msg_key_rsp: NULL key buffer");
	rc = open_with_status(ctx, rsp, rsp_size, sizeof(struct snp_msg_key_rsp), "MSG_KEY_RSP", &len, fw_status,
			      err);
	if (rc != HUSK_OK)
		return rc;
	if (len < sizeof(struct snp_msg_key_rsp)) {
		rc = snp_fail(err, HUSK_ERR_FORMAT, "MSG_KEY_RSP of %zu bytes cannot hold a derived key", len);
	} else {
		memcpy(key, ctx->scratch + SNP_GUEST_MSG_HDR_SIZE + 0x20, SNP_DERIVED_KEY_SIZE);
		snp_ok(err);
	}
	crypto_wipe(ctx->scratch, sizeof(ctx->scratch));
	return rc;
}

enum snp_ghcb_greq_result snp_ghcb_greq_classify(uint64_t exitinfo2)
{
	uint32_t vmm = (uint32_t)(exitinfo2 >> 32), fw = (uint32_t)exitinfo2;

	if (vmm == 1)
		return SNP_GHCB_GREQ_INVALID_LEN;
	if (vmm == 2)
		return SNP_GHCB_GREQ_BUSY;
	if (vmm != 0)
		return SNP_GHCB_GREQ_VMM_ERROR;
	return fw ? SNP_GHCB_GREQ_FW_ERROR : SNP_GHCB_GREQ_OK;
}
