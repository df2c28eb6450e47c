/* libFuzzer target: the proxy link's decoder in both directions.
 *
 * Byte 0 picks the mode:
 *   bit 0 = 0  proxy side: the stream goes through the decoder in chunks and
 *              every frame through the parser of its type, as husk-kbs-proxy
 *              does; each frame must re-encode to exactly its own bytes.
 *   bit 0 = 1  husk side: the stream is what the proxy sends back while
 *              proxy_client_exchange does its HELLO and one POST (session
 *              PROXY_FUZZ_SESSION, HELLO seq 1, REQUEST seq 2).
 *   bit 1 = 1  before use, every "HKPX" with room for a header gets correct
 *              CRCs (innermost first), so that mutations reach the payload
 *              parsers instead of dying at a checksum.
 *   bits 2-7   read/feed chunk size - 1 (64 = everything at once).
 * The seed corpus (tests/fuzz/corpus/fuzz_proxy_frame) holds valid
 * conversations for both sides. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "husk/err.h"
#include "crc/crc32.h"
#include "proxy/proxy.h"
#include "proxy/proxy_client.h"

#define PROXY_FUZZ_SESSION 0x1122334455667788ull
#define PROXY_FUZZ_MAX (1u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t input[PROXY_FUZZ_MAX];
static uint8_t again[PROXY_FRAME_MAX];
static uint8_t rsp[PROXY_BODY_MAX];
static struct proxy_decoder dec;
static struct proxy_client client;

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4); /* x86: little-endian */
}

static void fix_crcs(uint8_t *b, size_t n)
{
	for (size_t i = n; i-- > 0;) {
		uint32_t len;

		if (n - i < PROXY_HDR_SIZE || memcmp(b + i, "HKPX", 4) != 0)
			continue;
		memcpy(&len, b + i + 20, 4);
		if (len <= n - i - PROXY_HDR_SIZE)
			put32(b + i + 24, husk_crc32(b + i + PROXY_HDR_SIZE, len));
		put32(b + i + 28, husk_crc32(b + i, PROXY_HDR_CRC_SPAN));
	}
}

static void check_frame(const struct proxy_frame *f)
{
	const uint8_t *bytes = f->payload - PROXY_HDR_SIZE;
	struct proxy_part part = { f->payload, f->length };
	struct proxy_request rq;
	struct proxy_response rs;
	struct proxy_error er;
	size_t len;

	/* the decoder returns only what the encoder makes, byte for byte */
	if (proxy_encode(again, sizeof(again), f->type, f->session, f->seq, &part, 1, &len) != 0 ||
	    len != PROXY_HDR_SIZE + f->length || memcmp(again, bytes, len) != 0)
		__builtin_trap();
	if (proxy_frame_from_bytes(bytes, len, &(struct proxy_frame){ 0 }) != 0)
		__builtin_trap();

	switch (f->type) {
	case PROXY_T_REQUEST:
		if (proxy_parse_request(f, &rq) == 0) {
			if (!proxy_path_valid(rq.path, rq.path_len) || rq.body_len > PROXY_BODY_MAX ||
			    !proxy_method_name(rq.method))
				__builtin_trap();
			/* what the proxy answers with must encode */
			if (proxy_encode_request(again, sizeof(again), f->session, f->seq, rq.method,
						 rq.path, rq.path_len, rq.body, rq.body_len,
						 &len) != 0 ||
			    memcmp(again, bytes, len) != 0)
				__builtin_trap();
		}
		break;
	case PROXY_T_RESPONSE:
		if (proxy_parse_response(f, &rs) == 0 &&
		    (rs.status < 100 || rs.status > 599 || rs.body_len > PROXY_BODY_MAX))
			__builtin_trap();
		break;
	case PROXY_T_ERROR:
		if (proxy_parse_error(f, &er) == 0 && er.text_len > PROXY_ERROR_TEXT_MAX)
			__builtin_trap();
		break;
	default:
		if (f->length != 0)
			__builtin_trap();
	}
}

static void proxy_side(const uint8_t *b, size_t n, size_t chunk)
{
	struct proxy_frame f;
	size_t used;

	proxy_decoder_init(&dec);
	for (size_t off = 0; off < n;) {
		size_t part = HUSK_MIN(chunk, n - off);

		for (size_t p = 0; p < part; p += used) {
			if (proxy_decoder_feed(&dec, b + off + p, part - p, &used, &f))
				check_frame(&f);
			if (dec.off + dec.len > sizeof(dec.buf))
				__builtin_trap();
		}
		while (proxy_decoder_feed(&dec, NULL, 0, &used, &f))
			check_frame(&f);
		off += part;
	}
}

struct fuzz_io {
	const uint8_t *b;
	size_t n, off, chunk;
	uint64_t now;
};

static int fz_write(void *ctx, const uint8_t *buf, size_t len)
{
	return 0;
}

static int fz_read(void *ctx, uint8_t *buf, size_t max, size_t *got, uint32_t wait_ms)
{
	struct fuzz_io *io = ctx;
	size_t n = HUSK_MIN(HUSK_MIN(max, io->chunk), io->n - io->off);

	if (n == 0)
		io->now += wait_ms;
	memcpy(buf, io->b + io->off, n);
	io->off += n;
	*got = n;
	return 0;
}

static uint64_t fz_now(void *ctx)
{
	return ((struct fuzz_io *)ctx)->now;
}

static void husk_side(const uint8_t *b, size_t n, size_t chunk)
{
	struct fuzz_io fio = { b, n, 0, chunk, 0 };
	const struct proxy_io io = { &fio, fz_write, fz_read, fz_now };
	const struct proxy_client_cfg cfg = { 50, 2, 50, 2, 10 };
	uint16_t status;
	size_t len;
	int rc;

	if (proxy_client_init(&client, &io, &cfg, PROXY_FUZZ_SESSION) != 0)
		__builtin_trap();
	rc = proxy_client_exchange(&client, "POST", "/kbs/v0/auth", (const uint8_t *)"{}", 2,
				   &status, rsp, sizeof(rsp), &len);
	if (rc == HUSK_OK && (status < 100 || status > 599 || len > sizeof(rsp)))
		__builtin_trap();
	if (rc != HUSK_OK && len != 0)
		__builtin_trap();
	if (strnlen(client.last_error_text, sizeof(client.last_error_text)) >=
	    sizeof(client.last_error_text))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t mode;
	size_t chunk;

	if (size < 1)
		return 0;
	mode = data[0];
	size = HUSK_MIN(size - 1, sizeof(input));
	memcpy(input, data + 1, size);
	if (mode & 2)
		fix_crcs(input, size);
	chunk = (size_t)(mode >> 2) + 1;
	if (chunk == 64)
		chunk = SIZE_MAX;
	if (mode & 1)
		husk_side(input, size, chunk);
	else
		proxy_side(input, size, chunk);
	return 0;
}
