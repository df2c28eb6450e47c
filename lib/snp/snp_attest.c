/* The SNP report channel (see snp_attest.h): MSG_REPORT_REQ sealed by
 * lib/snp's message layer, carried by the platform's guest request exit,
 * MSG_REPORT_RSP opened and checked by the same layer.  This file adds only
 * the exchange around them: BUSY resends, the exit's errors, and retiring
 * the key (through snp_guest_msg_abandon) whenever a request reached the
 * host without an authentic answer. */
#include <string.h>

#include "crypto/crypto.h"
#include "husk/err.h"
#include "snp/snp_attest.h"
#include "snp/snp_internal.h"

int snp_attest_init(struct snp_attest_chan *chan, const uint8_t vmpck[SNP_VMPCK_SIZE], unsigned vmpck_id,
		    uint64_t last_seqno, uint32_t key_sel, snp_attest_transport_fn guest_request, void *ctx,
		    struct snp_error *err)
{
	if (!chan)
		return snp_fail(err, HUSK_ERR_INVAL, "snp_attest_init: NULL channel");
	crypto_wipe(chan, sizeof(*chan));
	if (!guest_request)
		return snp_fail(err, HUSK_ERR_INVAL, "snp_attest_init: no guest request transport");
	if (key_sel > SNP_REPORT_KEY_SEL_VLEK)
		return snp_fail(err, HUSK_ERR_INVAL, "KEY_SEL %u is reserved", key_sel);
	chan->key_sel = key_sel;
	chan->busy_retries = SNP_ATTEST_BUSY_RETRIES;
	chan->guest_request = guest_request;
	chan->ctx = ctx;
	return snp_guest_msg_init(&chan->msg, vmpck, vmpck_id, last_seqno, err);
}

bool snp_attest_usable(const struct snp_attest_chan *chan)
{
	return chan && chan->guest_request && snp_guest_msg_usable(&chan->msg);
}

void snp_attest_close(struct snp_attest_chan *chan)
{
	if (!chan)
		return;
	snp_guest_msg_retire(&chan->msg);
	crypto_wipe(chan->req, sizeof(chan->req));
	crypto_wipe(chan->rsp, sizeof(chan->rsp));
}

/* The request is out and no authentic response will come: retire the key
 * (lib/snp's rule) and fail with code. */
static int give_up(struct snp_attest_chan *chan, int code)
{
	snp_guest_msg_abandon(&chan->msg);
	return code;
}

/* Hands the sealed request to the transport until the host stops answering
 * BUSY; on HUSK_OK the response is in chan->rsp[0 .. *rsp_len). */
static int send_request(struct snp_attest_chan *chan, size_t *rsp_len, struct snp_error *err)
{
	const unsigned id = chan->msg.vmpck_id;

	for (;;) {
		uint64_t exitinfo2 = ~0ull;
		int rc;

		*rsp_len = 0;
		memset(chan->rsp, 0, sizeof(chan->rsp));
		/* The same private bytes every time: a BUSY resend is identical. */
		rc = chan->guest_request(chan->ctx, chan->req, sizeof(chan->req), chan->rsp, sizeof(chan->rsp),
					 rsp_len, &exitinfo2);
		if (rc != HUSK_OK)
			return give_up(chan, snp_fail(err, HUSK_ERR_IO,
						      "SNP guest request exit failed (%s): VMPCK%u retired",
						      husk_strerror(rc), id));
		chan->last_exitinfo2 = exitinfo2;
		switch (snp_ghcb_greq_classify(exitinfo2)) {
		case SNP_GHCB_GREQ_OK:
			return HUSK_OK;
		case SNP_GHCB_GREQ_BUSY:
			if (chan->last_busy < chan->busy_retries) {
				chan->last_busy++;
				continue;
			}
			return give_up(chan, snp_fail(err, HUSK_ERR_TIMEOUT,
						      "host answered BUSY %u times: VMPCK%u retired",
						      chan->last_busy + 1, id));
		case SNP_GHCB_GREQ_FW_ERROR:
			return give_up(chan, snp_fail(err, HUSK_ERR_IO,
						      "PSP refused the request with firmware status 0x%x: VMPCK%u retired",
						      (unsigned)(uint32_t)exitinfo2, id));
		case SNP_GHCB_GREQ_INVALID_LEN:
		case SNP_GHCB_GREQ_VMM_ERROR:
		default:
			return give_up(chan, snp_fail(err, HUSK_ERR_IO,
						      "host answered the request with VMM error %u: VMPCK%u retired",
						      (unsigned)(exitinfo2 >> 32), id));
		}
	}
}

static int exchange(struct snp_attest_chan *chan, const uint8_t report_data[SNP_REPORT_DATA_SIZE],
		    uint8_t report[SNP_REPORT_SIZE], struct snp_error *err)
{
	const unsigned id = chan->msg.vmpck_id;
	uint32_t fw_status = 0;
	size_t rsp_len = 0;
	int rc;

	chan->last_exitinfo2 = 0;
	chan->last_fw_status = 0;
	chan->last_busy = 0;
	if (!chan->guest_request)
		return snp_fail(err, HUSK_ERR_INVAL, "report channel has no transport (never set up)");

	/* Refused here (retired key, used-up numbers) nothing has left husk. */
	rc = snp_guest_msg_report_req(&chan->msg, report_data, SNP_ATTEST_VMPL, chan->key_sel, chan->req,
				      sizeof(chan->req), err);
	if (rc != HUSK_OK)
		return rc;

	rc = send_request(chan, &rsp_len, err);
	if (rc != HUSK_OK)
		return rc;
	if (rsp_len > sizeof(chan->rsp))
		return give_up(chan, snp_fail(err, HUSK_ERR_IO,
					      "transport delivered %zu bytes into a %zu-byte buffer: VMPCK%u retired",
					      rsp_len, sizeof(chan->rsp), id));
	if (rsp_len < SNP_GUEST_MSG_HDR_SIZE)
		return give_up(chan, snp_fail(err, HUSK_ERR_FORMAT,
					      "response of %zu bytes cannot hold a header: VMPCK%u retired", rsp_len,
					      id));

	rc = snp_guest_msg_report_rsp(&chan->msg, chan->rsp, rsp_len, report, &fw_status, err);
	chan->last_fw_status = fw_status;
	/* lib/snp retires the key itself for every failure before the response
	 * authenticated; this only guards against a request left outstanding. */
	if (rc != HUSK_OK && chan->msg.pending)
		give_up(chan, rc);
	return rc;
}

int snp_attest_report(struct snp_attest_chan *chan, const uint8_t report_data[SNP_REPORT_DATA_SIZE],
		      uint8_t report[SNP_REPORT_SIZE], struct snp_error *err)
{
	int rc;

	if (!chan || !report_data || !report)
		return snp_fail(err, HUSK_ERR_INVAL, "snp_attest_report: NULL argument");
	if (__atomic_exchange_n(&chan->in_use, 1u, __ATOMIC_ACQUIRE) != 0)
		return snp_fail(err, HUSK_ERR_BUSY, "another report request is in progress on this channel");
	rc = exchange(chan, report_data, report, err);
	/* Ciphertexts only (lib/snp wipes the plaintexts), but nothing of an
	 * exchange stays behind. */
	crypto_wipe(chan->req, sizeof(chan->req));
	crypto_wipe(chan->rsp, sizeof(chan->rsp));
	__atomic_store_n(&chan->in_use, 0u, __ATOMIC_RELEASE);
	return rc;
}
