/* The SEV-SNP guest request message layer: how husk asks the PSP (AMD's
 * security processor) for an attestation report or a derived key.
 *
 * A request is a 0x60-byte header plus a payload encrypted with AES-256-GCM
 * under VMPCKn, a key the PSP put in the guest's secrets page at launch;
 * husk at VMPL0 uses VMPCK0.  The platform layer copies the sealed request
 * to a shared page and issues the GHCB SNP guest request (VMGEXIT
 * 0x8000_0011); the PSP answers in a second shared page, which this layer
 * authenticates, checks and decrypts.
 *
 * Wire rules (AMD SEV-SNP firmware ABI, guest messages; see
 * docs/snp-attestation.md for the offsets):
 *  - IV = MSG_SEQNO as 8 little-endian bytes then 4 zero bytes; AAD = header
 *    bytes 0x30..0x5F; the 16-byte tag goes in AUTHTAG[0..15]; the
 *    ciphertext is as long as the plaintext (MSG_SIZE).
 *  - Sequence numbers count per VMPCK from 0: a request carries last + 1,
 *    its response last + 2, and after a good response last += 2.  The PSP
 *    keeps the same counter and refuses any other number.
 *  - A response must carry MSG_TYPE = request type + 1, the request's
 *    MSG_VERSION and MSG_VMPCK, ALGO 1, HDR_VERSION 1, HDR_SIZE 0x60 and
 *    MSG_SEQNO = request + 1, and its tag must verify.
 *
 * Retiring the key.  Once a sealed request has been handed to the host, an
 * IV (sequence number) has been spent on a plaintext the host has seen.  If
 * no authentic response comes back, husk cannot know whether the PSP
 * consumed that sequence number, and building a different request with the
 * same number would reuse a GCM IV under the same key, which gives away the
 * key stream and lets the host forge messages.  So, as Linux's sev-guest
 * driver does, any failure after the request was exposed retires the
 * context: the key is wiped and every later call fails with
 * HUSK_ERR_INVAL.  The only ways forward are to resend the identical request
 * bytes (when the host answers BUSY, before any response is read) or to live
 * without SNP guest requests until the next boot.  A response whose
 * authenticated payload reports a firmware error (STATUS != 0) is not such a
 * failure: the counters advanced in step and the key stays usable.
 *
 * Return codes of the response functions:
 *   HUSK_OK             authentic response, STATUS 0, output copied;
 *   HUSK_ERR_IO         authentic response whose STATUS is not 0 (*fw_status);
 *                       the key stays usable;
 *   HUSK_ERR_CRYPTO     tag does not verify or MSG_SEQNO is not the expected
 *                       one: forged, replayed or out-of-step; key retired;
 *   HUSK_ERR_FORMAT     malformed header or sizes; key retired (unless the
 *                       defect was inside an authentic payload, when the
 *                       counters are in step and the key stays usable);
 *   HUSK_ERR_INVAL      bad arguments, no request outstanding, or the key
 *                       has been retired.
 *
 * A context is not thread-safe: one caller at a time (husk has one VMPCK0
 * user, the attestation service). */
#ifndef HUSK_SNP_GUEST_MSG_H
#define HUSK_SNP_GUEST_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "husk/compiler.h"
#include "snp/snp_error.h"
#include "snp/snp_report.h"

#define SNP_VMPCK_SIZE            32u
#define SNP_VMPCK_COUNT           4u
#define SNP_GUEST_MSG_HDR_SIZE    0x60u
#define SNP_GUEST_MSG_PAGE_SIZE   4096u
#define SNP_GUEST_MSG_MAX_PAYLOAD (SNP_GUEST_MSG_PAGE_SIZE - SNP_GUEST_MSG_HDR_SIZE)
#define SNP_GUEST_MSG_AAD_OFFSET  0x30u
#define SNP_GUEST_MSG_AAD_SIZE    (SNP_GUEST_MSG_HDR_SIZE - SNP_GUEST_MSG_AAD_OFFSET)
#define SNP_GUEST_MSG_TAG_SIZE    16u
#define SNP_GUEST_MSG_IV_SIZE     12u

#define SNP_AEAD_AES_256_GCM      1u /* ALGO */
#define SNP_GUEST_MSG_HDR_VERSION 1u

/* MSG_TYPE values (responses are request + 1). */
#define SNP_MSG_CPUID_REQ  1u
#define SNP_MSG_CPUID_RSP  2u
#define SNP_MSG_KEY_REQ    3u
#define SNP_MSG_KEY_RSP    4u
#define SNP_MSG_REPORT_REQ 5u
#define SNP_MSG_REPORT_RSP 6u
#define SNP_MSG_EXPORT_REQ 7u
#define SNP_MSG_EXPORT_RSP 8u
#define SNP_MSG_IMPORT_REQ 9u
#define SNP_MSG_IMPORT_RSP 10u
#define SNP_MSG_ABSORB_REQ 11u
#define SNP_MSG_ABSORB_RSP 12u
#define SNP_MSG_VMRK_REQ   13u
#define SNP_MSG_VMRK_RSP   14u
#define SNP_MSG_TSC_INFO_REQ 17u
#define SNP_MSG_TSC_INFO_RSP 18u

/* The MSG_VERSION husk speaks for reports and keys. */
#define SNP_MSG_REPORT_VERSION 1u
#define SNP_MSG_KEY_VERSION    1u

/* Firmware status codes husk names (AMD SEV firmware status table). */
#define SNP_FW_SUCCESS       0x00u
#define SNP_FW_INVALID_PARAM 0x16u
#define SNP_FW_AEAD_OFLOW    0x1Du
#define SNP_FW_INVALID_KEY   0x27u

/* Message header (ABI "message header format"). */
struct snp_guest_msg_hdr {
	uint8_t authtag[32];     /* 0x00: GCM tag in bytes 0..15 */
	uint64_t msg_seqno;      /* 0x20 */
	uint8_t reserved_28[8];  /* 0x28 */
	uint8_t algo;            /* 0x30: first AAD byte */
	uint8_t hdr_version;     /* 0x31 */
	uint16_t hdr_size;       /* 0x32 */
	uint8_t msg_type;        /* 0x34 */
	uint8_t msg_version;     /* 0x35 */
	uint16_t msg_size;       /* 0x36: plaintext (= ciphertext) payload bytes */
	uint32_t reserved_38;    /* 0x38 */
	uint8_t msg_vmpck;       /* 0x3C */
	uint8_t reserved_3d[35]; /* 0x3D .. 0x5F */
} HUSK_PACKED;
HUSK_STATIC_ASSERT(sizeof(struct snp_guest_msg_hdr) == SNP_GUEST_MSG_HDR_SIZE, "guest message header");
HUSK_STATIC_ASSERT(offsetof(struct snp_guest_msg_hdr, msg_seqno) == 0x20, "msg_seqno");
HUSK_STATIC_ASSERT(offsetof(struct snp_guest_msg_hdr, algo) == SNP_GUEST_MSG_AAD_OFFSET, "algo");
HUSK_STATIC_ASSERT(offsetof(struct snp_guest_msg_hdr, msg_size) == 0x36, "msg_size");
HUSK_STATIC_ASSERT(offsetof(struct snp_guest_msg_hdr, msg_vmpck) == 0x3C, "msg_vmpck");

/* MSG_REPORT_REQ payload. */
#define SNP_REPORT_KEY_SEL_DEFAULT 0u /* VLEK if the host installed one, else VCEK */
#define SNP_REPORT_KEY_SEL_VCEK    1u
#define SNP_REPORT_KEY_SEL_VLEK    2u
#define SNP_REPORT_REQ_KEY_SEL_MASK 3u
struct snp_msg_report_req {
	uint8_t report_data[SNP_REPORT_DATA_SIZE]; /* 0x00 */
	uint32_t vmpl;                             /* 0x40: >= the requester's VMPL */
	uint32_t flags;                            /* 0x44: bits 1:0 KEY_SEL */
	uint8_t reserved[24];                      /* 0x48 */
} HUSK_PACKED;
HUSK_STATIC_ASSERT(sizeof(struct snp_msg_report_req) == 0x60, "MSG_REPORT_REQ");

/* MSG_REPORT_RSP payload. */
struct snp_msg_report_rsp {
	uint32_t status;      /* 0x00 */
	uint32_t report_size; /* 0x04 */
	uint8_t reserved[24]; /* 0x08 */
	uint8_t report[SNP_REPORT_SIZE]; /* 0x20 */
} HUSK_PACKED;
HUSK_STATIC_ASSERT(sizeof(struct snp_msg_report_rsp) == 0x4C0, "MSG_REPORT_RSP");
#define SNP_MSG_REPORT_RSP_FIXED 0x20u /* status, size, reserved */

/* MSG_KEY_REQ payload (version 1). */
#define SNP_KEY_ROOT_VCEK 0u
#define SNP_KEY_ROOT_VMRK 1u
#define SNP_KEY_FIELD_POLICY      (1ull << 0)
#define SNP_KEY_FIELD_IMAGE_ID    (1ull << 1)
#define SNP_KEY_FIELD_FAMILY_ID   (1ull << 2)
#define SNP_KEY_FIELD_MEASUREMENT (1ull << 3)
#define SNP_KEY_FIELD_GUEST_SVN   (1ull << 4)
#define SNP_KEY_FIELD_TCB_VERSION (1ull << 5)
#define SNP_KEY_FIELD_DEFINED     0x3full
struct snp_msg_key_req {
	uint32_t root_key_select;    /* 0x00: bit 0, VCEK (0) or VMRK (1) */
	uint32_t reserved_04;        /* 0x04 */
	uint64_t guest_field_select; /* 0x08: SNP_KEY_FIELD_* mixed into the key */
	uint32_t vmpl;               /* 0x10 */
	uint32_t guest_svn;          /* 0x14 */
	uint64_t tcb_version;        /* 0x18 */
} HUSK_PACKED;
HUSK_STATIC_ASSERT(sizeof(struct snp_msg_key_req) == 0x20, "MSG_KEY_REQ");

/* MSG_KEY_RSP payload. */
#define SNP_DERIVED_KEY_SIZE 32u
struct snp_msg_key_rsp {
	uint32_t status;                          /* 0x00 */
	uint8_t reserved[28];                     /* 0x04 */
	uint8_t derived_key[SNP_DERIVED_KEY_SIZE]; /* 0x20 */
} HUSK_PACKED;
HUSK_STATIC_ASSERT(sizeof(struct snp_msg_key_rsp) == 0x40, "MSG_KEY_RSP");

/* One VMPCK's sender state. */
struct snp_guest_msg_ctx {
	uint8_t vmpck[SNP_VMPCK_SIZE];
	uint8_t vmpck_id;      /* 0..3, MSG_VMPCK */
	bool ready;            /* initialised and not retired */
	bool pending;          /* a sealed request awaits its response */
	uint8_t pending_type;
	uint8_t pending_version;
	uint64_t seqno;        /* last sequence number used; next request seqno + 1 */
	/* Private copy of a response: the shared page is read exactly once,
	 * and decrypted here, so the host cannot change the ciphertext between
	 * the tag check and the decryption. */
	uint8_t scratch[SNP_GUEST_MSG_HDR_SIZE + sizeof(struct snp_msg_report_rsp)];
};

/* Initialises ctx for VMPCK vmpck_id (0..3).  last_seqno is the last
 * sequence number already used with this key (0 if none was: the normal
 * case at husk's boot).  An all-zero key is refused: the secrets page
 * zeroes a VMPCK to disable it.  HUSK_OK or HUSK_ERR_INVAL. */
int snp_guest_msg_init(struct snp_guest_msg_ctx *ctx, const uint8_t vmpck[SNP_VMPCK_SIZE], unsigned vmpck_id,
		       uint64_t last_seqno, struct snp_error *err);

/* Wipes the key; the context refuses every later call.  Idempotent. */
void snp_guest_msg_retire(struct snp_guest_msg_ctx *ctx);

/* True while the context can still send requests. */
bool snp_guest_msg_usable(const struct snp_guest_msg_ctx *ctx);

/* The caller gives up on the outstanding request (the host returned an
 * error other than BUSY, or no response came): retires the key, see above. */
void snp_guest_msg_abandon(struct snp_guest_msg_ctx *ctx);

/* Seals a request: header plus encrypted payload, written to out[0 ..
 * 0x60 + len), the rest of out_size zeroed.  out should be private memory
 * that the caller then copies to the shared request page, so the identical
 * bytes can be sent again if the host answers BUSY.  msg_type must be a
 * request type (odd); len at most SNP_GUEST_MSG_MAX_PAYLOAD.  HUSK_ERR_BUSY
 * if a request is already outstanding, HUSK_ERR_RANGE if the sequence
 * numbers are exhausted. */
int snp_guest_msg_seal(struct snp_guest_msg_ctx *ctx, uint8_t msg_type, uint8_t msg_version, const void *payload,
		       size_t len, void *out, size_t out_size, struct snp_error *err);

/* Opens the response to the outstanding request: copies rsp[0 .. rsp_size)
 * (rsp_size at least the header; at most a page is read) into the context,
 * checks the header, authenticates and decrypts into payload (at most cap
 * bytes; a larger MSG_SIZE is HUSK_ERR_FORMAT) and sets *len.  On success
 * the sequence number advances by 2.  Return codes as above (never
 * HUSK_ERR_IO: the payload is not interpreted here). */
int snp_guest_msg_open(struct snp_guest_msg_ctx *ctx, const void *rsp, size_t rsp_size, void *payload, size_t cap,
		       size_t *len, struct snp_error *err);

/* MSG_REPORT_REQ: report_data becomes the report's REPORT_DATA; vmpl
 * (0..3) its VMPL (husk asks for 0); key_sel one of SNP_REPORT_KEY_SEL_*. */
int snp_guest_msg_report_req(struct snp_guest_msg_ctx *ctx, const uint8_t report_data[SNP_REPORT_DATA_SIZE],
			     uint32_t vmpl, uint32_t key_sel, void *out, size_t out_size, struct snp_error *err);

/* MSG_REPORT_RSP: on HUSK_OK copies the raw 0x4A0-byte report to report
 * (parse it with snp_report_parse); *fw_status (may be NULL) gets STATUS
 * whenever the payload was authentic.  A REPORT_SIZE other than 0x4A0, or a
 * MSG_SIZE too short for it, is HUSK_ERR_FORMAT. */
int snp_guest_msg_report_rsp(struct snp_guest_msg_ctx *ctx, const void *rsp, size_t rsp_size,
			     uint8_t report[SNP_REPORT_SIZE], uint32_t *fw_status, struct snp_error *err);

/* MSG_KEY_REQ (version 1).  Reserved bits of root_key_select and
 * guest_field_select must be zero; vmpl 0..3. */
int snp_guest_msg_key_req(struct snp_guest_msg_ctx *ctx, const struct snp_msg_key_req *req, void *out,
			  size_t out_size, struct snp_error *err);

/* MSG_KEY_RSP: on HUSK_OK copies the 32-byte derived key to key. */
int snp_guest_msg_key_rsp(struct snp_guest_msg_ctx *ctx, const void *rsp, size_t rsp_size,
			  uint8_t key[SNP_DERIVED_KEY_SIZE], uint32_t *fw_status, struct snp_error *err);

/* What the GHCB's SW_EXITINFO2 says after an SNP guest request VMGEXIT. */
enum snp_ghcb_greq_result {
	SNP_GHCB_GREQ_OK,          /* 0: read the response page */
	SNP_GHCB_GREQ_BUSY,        /* VMM error 2: send the identical request again */
	SNP_GHCB_GREQ_INVALID_LEN, /* VMM error 1: extended request needs more certificate pages */
	SNP_GHCB_GREQ_FW_ERROR,    /* firmware status in bits 31:0 */
	SNP_GHCB_GREQ_VMM_ERROR,   /* any other VMM error in bits 63:32 */
};

enum snp_ghcb_greq_result snp_ghcb_greq_classify(uint64_t exitinfo2);

#endif
