/* libFuzzer target: lib/snp's guest request response checks with a fixed
 * VMPCK0 (the PSP model's).  Input: byte 0 picks the outstanding request
 * (bits 1:0: 0 report, 1 key, 2 generic open of a report request, 3 key
 * request with a response buffer of 0x60 + 2 * (byte 0 >> 2) bytes), byte 1
 * is the sequence number last used, the rest the response page the host
 * hands back.  Nothing may crash or read beyond the page; an error must
 * carry a terminated message; a forged or out-of-step response must retire
 * the key (wiped); an accepted one must advance the sequence number by
 * exactly 2.  Seeds: tests/unit/test_snp_guest_msg.c writes them from the
 * PSP model (HUSK_SNP_WRITE_SEEDS=tests/fuzz/corpus). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "husk/err.h"
#include "snp/snp_guest_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct snp_guest_msg_ctx ctx;
static uint8_t req[SNP_GUEST_MSG_PAGE_SIZE], page[SNP_GUEST_MSG_PAGE_SIZE];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t zero[SNP_VMPCK_SIZE];
	uint8_t vmpck[SNP_VMPCK_SIZE], rd[SNP_REPORT_DATA_SIZE] = { 0 }, out[sizeof(struct snp_msg_report_rsp)];
	struct snp_msg_key_req kr = { .guest_field_select = SNP_KEY_FIELD_MEASUREMENT };
	struct snp_error err;
	uint32_t fw = 0;
	size_t page_len, len = 0;
	uint64_t seq;
	int rc;

	if (size < 2)
		return 0;
	for (unsigned i = 0; i < SNP_VMPCK_SIZE; i++)
		vmpck[i] = (uint8_t)(0x11u ^ (i * 7u));
	if (snp_guest_msg_init(&ctx, vmpck, 0, data[1], NULL) != HUSK_OK)
		__builtin_trap();
	seq = ctx.seqno;
	switch (data[0] & 3) {
	case 0:
	case 2:
		rc = snp_guest_msg_report_req(&ctx, rd, 0, 0, req, sizeof(req), NULL);
		break;
	default:
		rc = snp_guest_msg_key_req(&ctx, &kr, req, sizeof(req), NULL);
		break;
	}
	if (rc != HUSK_OK)
		__builtin_trap();

	/* The page as the host left it: the input, zero-filled to a page. */
	page_len = size - 2 < sizeof(page) ? size - 2 : sizeof(page);
	memset(page, 0, sizeof(page));
	memcpy(page, data + 2, page_len);
	memset(&err, 'x', sizeof(err));
	switch (data[0] & 3) {
	case 0:
		rc = snp_guest_msg_report_rsp(&ctx, page, sizeof(page), out, &fw, &err);
		break;
	case 1:
		rc = snp_guest_msg_key_rsp(&ctx, page, sizeof(page), out, &fw, &err);
		break;
	case 2:
		rc = snp_guest_msg_open(&ctx, page, sizeof(page), out, sizeof(out), &len, &err);
		if (rc == HUSK_OK && len > sizeof(out))
			__builtin_trap();
		break;
	default:
		rc = snp_guest_msg_key_rsp(&ctx, page, 0x60 + 2u * (data[0] >> 2), out, &fw, &err);
		break;
	}
	if (err.code != rc || !memchr(err.message, 0, sizeof(err.message)))
		__builtin_trap();
	if (rc == HUSK_OK || rc == HUSK_ERR_IO) {
		if (ctx.seqno != seq + 2 || ctx.pending || !snp_guest_msg_usable(&ctx))
			__builtin_trap();
	} else if (rc == HUSK_ERR_CRYPTO) {
		if (snp_guest_msg_usable(&ctx) || memcmp(ctx.vmpck, zero, sizeof(zero)) != 0)
			__builtin_trap();
	} else if (rc == HUSK_ERR_FORMAT && snp_guest_msg_usable(&ctx) && ctx.seqno != seq + 2) {
		__builtin_trap(); /* a malformed response keeps the key only if it was authentic */
	}
	snp_guest_msg_retire(&ctx);
	return 0;
}
