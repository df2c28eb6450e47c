/* The SNP report channel: one attestation report from the PSP, end to end.
 *
 * It joins lib/snp's message layer (snp_guest_msg.h) to the platform's SNP
 * guest request exit: it seals MSG_REPORT_REQ (REPORT_DATA as given, VMPL 0,
 * the channel's KEY_SEL) under the channel's VMPCK with the next sequence
 * number, hands the sealed bytes to the platform's transport (which stands
 * for the GHCB SNP_GUEST_REQUEST exit, VMGEXIT 0x8000_0011), resends the
 * identical bytes while the host answers BUSY, then authenticates and checks
 * MSG_REPORT_RSP and returns the raw 0x4A0-byte ATTESTATION_REPORT.  This is
 * what the SVSM attestation protocol's attest_report op does on SNP
 * (docs/snp-attestation.md, "From the guest's ATTEST_SERVICES to the PSP and
 * back").
 *
 * Everything lives in struct snp_attest_chan, which the caller allocates
 * (statically, in husk): the VMPCK and sequence number (a struct
 * snp_guest_msg_ctx, whose retirement rules apply unchanged), the private
 * request and response buffers, and the transport.  Nothing is allocated;
 * the sealed request and the copied response are wiped after every call,
 * and lib/snp wipes the plaintexts it handles.
 *
 * The transport, guest_request(ctx, req, req_len, rsp, rsp_max, rsp_len,
 * fw_err): copies req[0 .. req_len) into the shared request page (the rest
 * of that page zeroed), issues the exit, and copies the shared response page
 * into rsp (at most rsp_max bytes, *rsp_len = how many).  It returns HUSK_OK
 * when the exit was made, with *fw_err = the GHCB's SW_EXITINFO2 (0: the
 * response is in rsp; 2 << 32: BUSY, nothing forwarded; otherwise a VMM
 * error in bits 63:32 or a firmware status in bits 31:0), and any other
 * code when it could not make the exit.  It may wait before returning BUSY;
 * the channel resends at most busy_retries times.
 *
 * Return codes of snp_attest_report (err, if given, says exactly what):
 *   HUSK_OK          the report is in report[];
 *   HUSK_ERR_IO      the PSP answered with STATUS != 0 (channel kept), or
 *                    the exit failed: the transport's error, a VMM or
 *                    firmware error in SW_EXITINFO2 (channel retired);
 *   HUSK_ERR_TIMEOUT the host answered BUSY busy_retries + 1 times in a row
 *                    (channel retired);
 *   HUSK_ERR_CRYPTO  the response does not authenticate or carries another
 *                    sequence number: forged, replayed, dropped (retired);
 *   HUSK_ERR_FORMAT  malformed response: retired when the defect is in the
 *                    header, kept when it is inside an authentic payload;
 *   HUSK_ERR_RANGE   the VMPCK's sequence numbers are used up;
 *   HUSK_ERR_BUSY    another call on this channel is in progress (nothing
 *                    done; the platform should serialise callers);
 *   HUSK_ERR_INVAL   bad arguments, or the channel is retired or was never
 *                    set up.
 * Whether the channel still works after a failure: snp_attest_usable.
 * "Retired" is lib/snp's key retirement (snp_guest_msg.h): once a request
 * has reached the host without an authentic answer, its sequence number may
 * be spent, and sealing anything else under it would reuse a GCM IV, so the
 * VMPCK is wiped and no SNP guest request is made until the next boot.
 * report[] is written only on HUSK_OK. */
#ifndef HUSK_SNP_ATTEST_H
#define HUSK_SNP_ATTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "snp/snp_error.h"
#include "snp/snp_guest_msg.h"
#include "snp/snp_report.h"

/* The sealed MSG_REPORT_REQ and the largest MSG_REPORT_RSP husk reads. */
#define SNP_ATTEST_REQ_SIZE (SNP_GUEST_MSG_HDR_SIZE + sizeof(struct snp_msg_report_req))
#define SNP_ATTEST_RSP_SIZE (SNP_GUEST_MSG_HDR_SIZE + sizeof(struct snp_msg_report_rsp))
/* BUSY answers resent before giving up (the transport may wait in between). */
#define SNP_ATTEST_BUSY_RETRIES 16u
/* The VMPL husk asks for: a report at VMPL 0 vouches for husk itself. */
#define SNP_ATTEST_VMPL 0u

typedef int (*snp_attest_transport_fn)(void *ctx, const uint8_t *req_page, size_t req_len, uint8_t *rsp_page,
				       size_t rsp_max, size_t *rsp_len, uint64_t *fw_err);

struct snp_attest_chan {
	struct snp_guest_msg_ctx msg; /* VMPCK, id, sequence number, retirement */
	uint32_t key_sel;             /* SNP_REPORT_KEY_SEL_* of every request */
	unsigned busy_retries;        /* SNP_ATTEST_BUSY_RETRIES after init */
	snp_attest_transport_fn guest_request;
	void *ctx;                    /* the transport's */
	uint32_t in_use;              /* a call is running (atomic) */
	/* What the last exchange saw, for diagnostics. */
	uint64_t last_exitinfo2; /* SW_EXITINFO2 of the last exit */
	uint32_t last_fw_status; /* STATUS of the last authentic response */
	unsigned last_busy;      /* BUSY answers during the last call */
	/* Private copies: the sealed request (resent unchanged on BUSY) and the
	 * response as the transport delivered it. */
	uint8_t req[SNP_ATTEST_REQ_SIZE];
	uint8_t rsp[SNP_ATTEST_RSP_SIZE];
};

/* Sets up chan for VMPCK vmpck_id (husk at VMPL 0: VMPCK0 from the secrets
 * page) whose last used sequence number is last_seqno (0 at boot), with
 * KEY_SEL key_sel (SNP_REPORT_KEY_SEL_*) and the transport.  The caller
 * should wipe its own copy of the key afterwards.  HUSK_OK or
 * HUSK_ERR_INVAL (bad id, all-zero key, reserved KEY_SEL, no transport); on
 * failure the channel is unusable. */
int snp_attest_init(struct snp_attest_chan *chan, const uint8_t vmpck[SNP_VMPCK_SIZE], unsigned vmpck_id,
		    uint64_t last_seqno, uint32_t key_sel, snp_attest_transport_fn guest_request, void *ctx,
		    struct snp_error *err);

/* One report with this REPORT_DATA at VMPL 0; see above for the codes. */
int snp_attest_report(struct snp_attest_chan *chan, const uint8_t report_data[SNP_REPORT_DATA_SIZE],
		      uint8_t report[SNP_REPORT_SIZE], struct snp_error *err);

/* True while the channel can still make requests (its VMPCK not retired). */
bool snp_attest_usable(const struct snp_attest_chan *chan);

/* Retires the channel (wipes the key and the buffers).  Idempotent. */
void snp_attest_close(struct snp_attest_chan *chan);

#endif
