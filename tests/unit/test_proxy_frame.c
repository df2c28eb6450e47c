/* Unit tests for lib/proxy's framing: encoders against fixed vectors (made
 * independently with Python's zlib), round trips through the decoder in
 * every chunking, every truncation, garbage before, between and inside
 * frames, CRC and header damage, length limits, and the payload parsers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "husk/err.h"
#include "crc/crc32.h"
#include "proxy/proxy.h"

#define SESSION 0x0123456789abcdefull

/* The decoder is 64 KiB: static, one per test at a time. */
static struct proxy_decoder dec;
static uint8_t big[PROXY_FRAME_MAX + 64];
static uint8_t stream[4 * PROXY_FRAME_MAX];

static const uint8_t hello_vec[] = {
	0x48, 0x4b, 0x50, 0x58, 0x01, 0x00, 0x01, 0x00, 0xef, 0xcd, 0xab,
	0x89, 0x67, 0x45, 0x23, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xd1, 0xe4, 0xcb, 0xc3,
};

/* POST /kbs/v0/auth with body {"a":1}, seq 2. */
static const uint8_t request_vec[] = {
	0x48, 0x4b, 0x50, 0x58, 0x01, 0x00, 0x03, 0x00, 0xef, 0xcd, 0xab, 0x89, 0x67, 0x45,
	0x23, 0x01, 0x02, 0x00, 0x00, 0x00, 0x15, 0x00, 0x00, 0x00, 0xaf, 0x93, 0xb6, 0x1f,
	0xdf, 0xcb, 0x94, 0x7b, 0x02, 0x0c, 0x2f, 0x6b, 0x62, 0x73, 0x2f, 0x76, 0x30, 0x2f,
	0x61, 0x75, 0x74, 0x68, 0x7b, 0x22, 0x61, 0x22, 0x3a, 0x31, 0x7d,
};

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 11);
}

static int setup(void **state)
{
	proxy_decoder_init(&dec);
	rng_state = 0x9e3779b97f4a7c15ull;
	return 0;
}

/* Feeds buf in chunks of `chunk` bytes (0 = random sizes) and collects the
 * frames' sequence numbers; checks the buffer bound after every call. */
static size_t decode_all(const uint8_t *buf, size_t len, size_t chunk, uint32_t *seqs,
			 size_t max)
{
	size_t off = 0, n = 0, used;
	struct proxy_frame f;

	while (off < len) {
		size_t c = chunk ? chunk : 1 + rnd() % 300;
		size_t part = c < len - off ? c : len - off;

		for (size_t p = 0; p < part; p += used) {
			if (proxy_decoder_feed(&dec, buf + off + p, part - p, &used, &f)) {
				assert_true(n < max);
				seqs[n++] = f.seq;
			}
			assert_true(used <= part - p);
			assert_true(dec.off + dec.len <= sizeof(dec.buf));
		}
		/* frames already buffered come out with no further input */
		while (proxy_decoder_feed(&dec, NULL, 0, &used, &f)) {
			assert_true(n < max);
			seqs[n++] = f.seq;
		}
		off += part;
	}
	return n;
}

static void test_vectors(void **state)
{
	uint8_t out[128];
	size_t len;
	struct proxy_frame f;
	struct proxy_request r;

	assert_int_equal(husk_crc32("123456789", 9), 0xcbf43926u);
	assert_int_equal(proxy_encode_hello(out, sizeof(out), SESSION, 1, &len), HUSK_OK);
	assert_int_equal(len, sizeof(hello_vec));
	assert_memory_equal(out, hello_vec, len);
	assert_int_equal(proxy_encode_request(out, sizeof(out), SESSION, 2, PROXY_METHOD_POST,
					      "/kbs/v0/auth", 12, (const uint8_t *)"{\"a\":1}", 7,
					      &len),
			 HUSK_OK);
	assert_int_equal(len, sizeof(request_vec));
	assert_memory_equal(out, request_vec, len);

	assert_int_equal(proxy_frame_from_bytes(request_vec, sizeof(request_vec), &f), HUSK_OK);
	assert_int_equal(f.type, PROXY_T_REQUEST);
	assert_true(f.session == SESSION);
	assert_int_equal(f.seq, 2);
	assert_int_equal(proxy_parse_request(&f, &r), HUSK_OK);
	assert_int_equal(r.method, PROXY_METHOD_POST);
	assert_int_equal(r.path_len, 12);
	assert_memory_equal(r.path, "/kbs/v0/auth", 12);
	assert_int_equal(r.body_len, 7);
	assert_memory_equal(r.body, "{\"a\":1}", 7);
}

static void test_roundtrip_types(void **state)
{
	static uint8_t body[PROXY_BODY_MAX];
	char path[PROXY_PATH_MAX + 1];
	struct proxy_frame f;
	struct proxy_request rq;
	struct proxy_response rs;
	struct proxy_error er;
	size_t len, used;

	for (size_t i = 0; i < sizeof(body); i++)
		body[i] = (uint8_t)(i * 7 + 3);
	path[0] = '/';
	for (size_t i = 1; i < PROXY_PATH_MAX; i++)
		path[i] = (char)(0x21 + i % 94);

	/* the largest REQUEST: longest path and body */
	assert_int_equal(proxy_encode_request(big, sizeof(big), SESSION, 7, PROXY_METHOD_GET, path,
					      PROXY_PATH_MAX, body, PROXY_BODY_MAX, &len),
			 HUSK_OK);
	assert_int_equal(len, PROXY_FRAME_MAX);
	assert_true(proxy_decoder_feed(&dec, big, len, &used, &f));
	assert_int_equal(used, len);
	assert_int_equal(proxy_parse_request(&f, &rq), HUSK_OK);
	assert_int_equal(rq.method, PROXY_METHOD_GET);
	assert_int_equal(rq.path_len, PROXY_PATH_MAX);
	assert_memory_equal(rq.path, path, PROXY_PATH_MAX);
	assert_int_equal(rq.body_len, PROXY_BODY_MAX);
	assert_memory_equal(rq.body, body, PROXY_BODY_MAX);

	assert_int_equal(proxy_encode_response(big, sizeof(big), SESSION, 8, 401, body,
					       PROXY_BODY_MAX, &len),
			 HUSK_OK);
	assert_true(proxy_decoder_feed(&dec, big, len, &used, &f));
	assert_int_equal(f.type, PROXY_T_RESPONSE);
	assert_int_equal(f.seq, 8);
	assert_int_equal(proxy_parse_response(&f, &rs), HUSK_OK);
	assert_int_equal(rs.status, 401);
	assert_int_equal(rs.body_len, PROXY_BODY_MAX);
	assert_memory_equal(rs.body, body, PROXY_BODY_MAX);

	/* empty body */
	assert_int_equal(proxy_encode_response(big, sizeof(big), SESSION, 9, 204, NULL, 0, &len),
			 HUSK_OK);
	assert_true(proxy_decoder_feed(&dec, big, len, &used, &f));
	assert_int_equal(proxy_parse_response(&f, &rs), HUSK_OK);
	assert_int_equal(rs.status, 204);
	assert_int_equal(rs.body_len, 0);

	assert_int_equal(proxy_encode_error(big, sizeof(big), SESSION, 10, PROXY_ERROR_TRANSPORT,
					    "connect refused", 15, &len),
			 HUSK_OK);
	assert_true(proxy_decoder_feed(&dec, big, len, &used, &f));
	assert_int_equal(proxy_parse_error(&f, &er), HUSK_OK);
	assert_int_equal(er.code, PROXY_ERROR_TRANSPORT);
	assert_int_equal(er.text_len, 15);
	assert_memory_equal(er.text, "connect refused", 15);

	assert_int_equal(proxy_encode_hello_ack(big, sizeof(big), SESSION, 11, &len), HUSK_OK);
	assert_true(proxy_decoder_feed(&dec, big, len, &used, &f));
	assert_int_equal(f.type, PROXY_T_HELLO_ACK);
	assert_int_equal(f.length, 0);
	assert_int_equal(dec.stats.frames, 5);
	assert_int_equal(dec.stats.garbage, 0);
}

/* Builds n frames of assorted types with sequence numbers base.. into buf. */
static size_t build_frames(uint8_t *buf, size_t max, uint32_t base, size_t n)
{
	size_t off = 0;

	for (size_t i = 0; i < n; i++) {
		uint8_t body[600];
		size_t blen = rnd() % sizeof(body), len = 0;
		uint32_t seq = base + (uint32_t)i;

		for (size_t k = 0; k < blen; k++)
			body[k] = (uint8_t)rnd();
		switch (i % 5) {
		case 0:
			assert_int_equal(proxy_encode_hello(buf + off, max - off, SESSION, seq, &len), 0);
			break;
		case 1:
			assert_int_equal(proxy_encode_request(buf + off, max - off, SESSION, seq,
							      PROXY_METHOD_POST, "/kbs/v0/attest", 14,
							      body, blen, &len),
					 0);
			break;
		case 2:
			assert_int_equal(proxy_encode_response(buf + off, max - off, SESSION, seq, 200,
							       body, blen, &len),
					 0);
			break;
		case 3:
			assert_int_equal(proxy_encode_error(buf + off, max - off, SESSION, seq, 3,
							    "timeout", 7, &len),
					 0);
			break;
		default:
			assert_int_equal(proxy_encode_hello_ack(buf + off, max - off, SESSION, seq,
								&len),
					 0);
		}
		off += len;
	}
	return off;
}

static void test_chunkings(void **state)
{
	size_t chunks[] = { 1, 2, 3, 31, 32, 33, 4096, 0, 0, 0 };
	uint32_t seqs[64];
	size_t len = build_frames(stream, sizeof(stream), 100, 40);

	for (size_t c = 0; c < HUSK_ARRAY_SIZE(chunks); c++) {
		proxy_decoder_init(&dec);
		assert_int_equal(decode_all(stream, len, chunks[c], seqs, 64), 40);
		for (uint32_t i = 0; i < 40; i++)
			assert_int_equal(seqs[i], 100 + i);
		assert_int_equal(dec.stats.garbage, 0);
		assert_int_equal(proxy_decoder_buffered(&dec), 0);
	}
}

/* Every prefix of a frame, alone: no frame and nothing lost; completed by
 * its rest: the frame.  Then the prefix followed by another whole frame (the
 * sender restarted mid-frame): only the whole one comes out. */
static void test_every_truncation(void **state)
{
	uint8_t a[256], b[256];
	size_t alen, blen;
	uint8_t body[100];
	struct proxy_frame f;

	memset(body, 'x', sizeof(body));
	assert_int_equal(proxy_encode_request(a, sizeof(a), SESSION, 1, PROXY_METHOD_POST, "/p", 2,
					      body, sizeof(body), &alen),
			 0);
	assert_int_equal(proxy_encode_request(b, sizeof(b), SESSION, 2, PROXY_METHOD_POST, "/p", 2,
					      body, sizeof(body), &blen),
			 0);
	assert_int_equal(alen, blen);
	for (size_t k = 0; k < alen; k++) {
		uint32_t seqs[4];
		size_t used;

		proxy_decoder_init(&dec);
		assert_false(proxy_decoder_feed(&dec, a, k, &used, &f));
		assert_int_equal(used, k);
		assert_int_equal(proxy_decoder_buffered(&dec), k);
		assert_true(proxy_decoder_feed(&dec, a + k, alen - k, &used, &f));
		assert_int_equal(used, alen - k);
		assert_int_equal(f.seq, 1);

		proxy_decoder_init(&dec);
		memcpy(stream, a, k);
		memcpy(stream + k, b, blen);
		assert_int_equal(decode_all(stream, k + blen, 1 + k % 40, seqs, 4), 1);
		assert_int_equal(seqs[0], 2);
		if (k)
			assert_true(dec.stats.garbage > 0);
	}
}

static void test_garbage_around(void **state)
{
	static const char *const noise[] = { "H", "HK", "HKP", "HKPX", "HKPXHKP", "xxHKPXHK",
					     "HHKPX\x01\x00", "" };
	uint8_t frame[256];
	uint32_t seqs[64];
	size_t off = 0, flen, n = 0;

	for (size_t i = 0; i < 30; i++) {
		const char *g = noise[i % HUSK_ARRAY_SIZE(noise)];

		/* random garbage with no 'H' in it, then a magic-looking piece */
		for (size_t k = rnd() % 50; k > 0; k--) {
			uint8_t c = (uint8_t)rnd();

			stream[off++] = c == 'H' ? 'h' : c;
		}
		memcpy(stream + off, g, strlen(g));
		off += strlen(g);
		assert_int_equal(proxy_encode_response(frame, sizeof(frame), SESSION, (uint32_t)i, 200,
						       (const uint8_t *)"HKPX in a body", 14, &flen),
				 0);
		memcpy(stream + off, frame, flen);
		off += flen;
		n++;
	}
	assert_int_equal(decode_all(stream, off, 0, seqs, 64), n);
	for (uint32_t i = 0; i < n; i++)
		assert_int_equal(seqs[i], i);
	assert_true(dec.stats.garbage > 0);
}

/* A byte inserted into, removed from or changed in a frame kills that frame
 * only: the next one is found. */
static void test_damage_inside(void **state)
{
	uint8_t a[128], b[128];
	size_t alen, blen;

	assert_int_equal(proxy_encode_request(a, sizeof(a), SESSION, 1, PROXY_METHOD_GET,
					      "/kbs/v0/resource/a/b/c", 22, NULL, 0, &alen),
			 0);
	assert_int_equal(proxy_encode_hello_ack(b, sizeof(b), SESSION, 2, &blen), 0);
	for (size_t pos = 0; pos < alen; pos++) {
		for (int kind = 0; kind < 3; kind++) {
			uint32_t seqs[4];
			size_t len = 0;

			memcpy(stream, a, pos);
			len = pos;
			if (kind == 0) { /* flip one bit */
				stream[len++] = a[pos] ^ (uint8_t)(1u << (pos % 8));
				memcpy(stream + len, a + pos + 1, alen - pos - 1);
				len += alen - pos - 1;
			} else if (kind == 1) { /* insert a byte */
				stream[len++] = 0x5a;
				memcpy(stream + len, a + pos, alen - pos);
				len += alen - pos;
			} else { /* drop a byte */
				memcpy(stream + len, a + pos + 1, alen - pos - 1);
				len += alen - pos - 1;
			}
			/* a length grown by the damage must be satisfiable */
			memset(stream + len, 0, 300);
			len += 300;
			memcpy(stream + len, b, blen);
			len += blen;
			proxy_decoder_init(&dec);
			if (kind == 1 && pos == 0) { /* a itself is intact behind the byte */
				assert_int_equal(decode_all(stream, len, 0, seqs, 4), 2);
				assert_int_equal(seqs[1], 2);
				continue;
			}
			assert_int_equal(decode_all(stream, len, 0, seqs, 4), 1);
			assert_int_equal(seqs[0], 2);
		}
	}
}

/* Writes a header with a correct header CRC around whatever fields. */
static void raw_header(uint8_t *h, uint16_t version, uint16_t type, uint64_t session,
		       uint32_t length, uint32_t payload_crc)
{
	memcpy(h, "HKPX", 4);
	memcpy(h + 4, &version, 2);
	memcpy(h + 6, &type, 2);
	memcpy(h + 8, &session, 8);
	memset(h + 16, 0, 4);
	memcpy(h + 20, &length, 4);
	memcpy(h + 24, &payload_crc, 4);
	uint32_t crc = husk_crc32(h, 28);
	memcpy(h + 28, &crc, 4);
}

/* Headers a receiver must refuse after 32 bytes, without waiting for the
 * payload they announce; the valid frame right after is returned at once. */
static void test_bad_headers(void **state)
{
	struct {
		uint16_t version, type;
		uint64_t session;
		uint32_t length;
	} bad[] = {
		{ 2, PROXY_T_HELLO, SESSION, 0 },
		{ 0, PROXY_T_HELLO, SESSION, 0 },
		{ 1, 0, SESSION, 0 },
		{ 1, 6, SESSION, 0 },
		{ 1, PROXY_T_HELLO, 0, 0 },
		{ 1, PROXY_T_HELLO, SESSION, 1 },
		{ 1, PROXY_T_HELLO_ACK, SESSION, 4 },
		{ 1, PROXY_T_REQUEST, SESSION, 2 },
		{ 1, PROXY_T_REQUEST, SESSION, PROXY_REQUEST_PAYLOAD_MAX + 1 },
		{ 1, PROXY_T_RESPONSE, SESSION, 1 },
		{ 1, PROXY_T_RESPONSE, SESSION, PROXY_RESPONSE_PAYLOAD_MAX + 1 },
		{ 1, PROXY_T_ERROR, SESSION, PROXY_ERROR_PAYLOAD_MAX + 1 },
		{ 1, PROXY_T_RESPONSE, SESSION, 0xffffffffu },
	};
	uint8_t good[64];
	size_t glen, used;
	struct proxy_frame f;

	assert_int_equal(proxy_encode_hello(good, sizeof(good), SESSION, 5, &glen), 0);
	for (size_t i = 0; i < HUSK_ARRAY_SIZE(bad); i++) {
		proxy_decoder_init(&dec);
		raw_header(stream, bad[i].version, bad[i].type, bad[i].session, bad[i].length, 0);
		memcpy(stream + 32, good, glen);
		assert_true(proxy_decoder_feed(&dec, stream, 32 + glen, &used, &f));
		assert_int_equal(used, 32 + glen);
		assert_int_equal(f.seq, 5);
		assert_int_equal(dec.stats.bad_headers, 1);
		assert_int_equal(proxy_frame_from_bytes(stream, 32, &f), HUSK_ERR_FORMAT);
	}
	/* header CRC wrong: same */
	proxy_decoder_init(&dec);
	memcpy(stream, good, glen);
	stream[28] ^= 1;
	memcpy(stream + glen, good, glen);
	assert_true(proxy_decoder_feed(&dec, stream, 2 * glen, &used, &f));
	assert_int_equal(dec.stats.bad_headers, 1);
}

static void test_bad_payload_crc(void **state)
{
	uint8_t a[64];
	size_t alen, used;
	struct proxy_frame f;

	assert_int_equal(proxy_encode_response(a, sizeof(a), SESSION, 1, 200,
					       (const uint8_t *)"hello", 5, &alen),
			 0);
	a[alen - 1] ^= 0x80;
	assert_false(proxy_decoder_feed(&dec, a, alen, &used, &f));
	assert_int_equal(used, alen);
	assert_int_equal(dec.stats.bad_payloads, 1);
	assert_int_equal(dec.stats.frames, 0);
	assert_int_equal(proxy_frame_from_bytes(a, alen, &f), HUSK_ERR_FORMAT);
	/* the CRC fields themselves */
	a[alen - 1] ^= 0x80;
	assert_int_equal(proxy_frame_from_bytes(a, alen, &f), HUSK_OK);
	assert_int_equal(proxy_frame_from_bytes(a, alen - 1, &f), HUSK_ERR_FORMAT);
	a[24] ^= 1; /* payload CRC field: the header CRC catches it */
	assert_int_equal(proxy_frame_from_bytes(a, alen, &f), HUSK_ERR_FORMAT);
}

/* A damaged frame whose payload holds two whole frames: after the rescan
 * both come out, the second from what is already buffered (no new input). */
static void test_frames_inside_rejected_frame(void **state)
{
	uint8_t inner[128], outer[256];
	size_t l1, l2, olen, used;
	struct proxy_frame f;

	assert_int_equal(proxy_encode_hello_ack(inner, sizeof(inner), SESSION, 1, &l1), 0);
	assert_int_equal(proxy_encode_hello_ack(inner + l1, sizeof(inner) - l1, SESSION, 2, &l2), 0);
	memcpy(inner + l1 + l2, "pad", 3);
	assert_int_equal(proxy_encode_response(outer, sizeof(outer), SESSION, 9, 200, inner,
					       l1 + l2 + 3, &olen),
			 0);
	outer[olen - 1] ^= 1; /* break the outer payload CRC, not the inner frames */
	assert_true(proxy_decoder_feed(&dec, outer, olen, &used, &f));
	assert_int_equal(used, olen);
	assert_int_equal(f.seq, 1);
	assert_true(proxy_decoder_feed(&dec, NULL, 0, &used, &f));
	assert_int_equal(used, 0);
	assert_int_equal(f.seq, 2);
	assert_false(proxy_decoder_feed(&dec, NULL, 0, &used, &f));
	assert_int_equal(dec.stats.bad_payloads, 1);
}

/* A frame cut off and never completed holds the decoder until reset. */
static void test_reset(void **state)
{
	uint8_t a[256], b[64], body[150];
	size_t alen, blen, used;
	struct proxy_frame f;

	memset(body, 'b', sizeof(body));
	assert_int_equal(proxy_encode_response(a, sizeof(a), SESSION, 1, 200, body, sizeof(body),
					       &alen),
			 0);
	assert_int_equal(proxy_encode_hello_ack(b, sizeof(b), SESSION, 2, &blen), 0);
	assert_false(proxy_decoder_feed(&dec, a, 40, &used, &f));
	assert_false(proxy_decoder_feed(&dec, b, blen, &used, &f)); /* swallowed as payload */
	assert_int_equal(proxy_decoder_buffered(&dec), 40 + blen);
	proxy_decoder_reset(&dec);
	assert_int_equal(proxy_decoder_buffered(&dec), 0);
	assert_int_equal(dec.stats.garbage, 40 + blen);
	assert_true(proxy_decoder_feed(&dec, b, blen, &used, &f));
	assert_int_equal(f.seq, 2);
}

/* A rejected candidate every 4 bytes over a whole buffer: linear work (the
 * test's time limit would notice a quadratic one), and the decoder recovers. */
static void test_magic_flood(void **state)
{
	uint8_t body[PROXY_BODY_MAX];
	uint8_t b[64];
	size_t len, blen, used;
	struct proxy_frame f;

	for (size_t i = 0; i < sizeof(body); i += 4)
		memcpy(body + i, "HKPX", 4);
	assert_int_equal(proxy_encode_response(big, sizeof(big), SESSION, 1, 200, body,
					       sizeof(body), &len),
			 0);
	big[len - 1] ^= 1;
	assert_int_equal(proxy_encode_hello_ack(b, sizeof(b), SESSION, 2, &blen), 0);
	for (int round = 0; round < 20; round++) {
		assert_false(proxy_decoder_feed(&dec, big, len, &used, &f));
		assert_int_equal(used, len);
	}
	assert_true(proxy_decoder_feed(&dec, b, blen, &used, &f));
	assert_int_equal(f.seq, 2);
	assert_true(dec.stats.bad_headers >= 20 * (PROXY_BODY_MAX / 4 - 1));
}

/* Random frames with random damage: whatever comes out is one of the frames
 * sent, undamaged; undamaged frames after clean gaps all come out. */
static void test_random_streams(void **state)
{
	for (int round = 0; round < 200; round++) {
		size_t len = build_frames(stream, sizeof(stream) / 2, 1000, 12);
		uint32_t seqs[64];
		size_t n;

		for (int k = rnd() % 4; k > 0; k--)
			stream[rnd() % len] ^= (uint8_t)(1 + rnd() % 255);
		proxy_decoder_init(&dec);
		n = decode_all(stream, len, 0, seqs, 64);
		assert_true(n <= 12);
		for (size_t i = 1; i < n; i++)
			assert_true(seqs[i] > seqs[i - 1]);
		for (size_t i = 0; i < n; i++)
			assert_true(seqs[i] >= 1000 && seqs[i] < 1012);
	}
}

static void test_parsers(void **state)
{
	uint8_t p[400];
	struct proxy_frame f = { .type = PROXY_T_REQUEST, .session = SESSION, .payload = p };
	struct proxy_request rq;
	struct proxy_response rs;
	struct proxy_error er;

	/* request: method, path_len, path rules */
	memcpy(p, "\x01\x02/a", 4);
	f.length = 4;
	assert_int_equal(proxy_parse_request(&f, &rq), HUSK_OK);
	assert_int_equal(rq.body_len, 0);
	p[0] = 3;
	assert_int_equal(proxy_parse_request(&f, &rq), HUSK_ERR_FORMAT);
	p[0] = 0;
	assert_int_equal(proxy_parse_request(&f, &rq), HUSK_ERR_FORMAT);
	p[0] = 2;
	p[1] = 0;
	assert_int_equal(proxy_parse_request(&f, &rq), HUSK_ERR_FORMAT);
	p[1] = 3; /* beyond the payload */
	assert_int_equal(proxy_parse_request(&f, &rq), HUSK_ERR_FORMAT);
	p[1] = 2;
	p[2] = 'a'; /* no leading slash */
	assert_int_equal(proxy_parse_request(&f, &rq), HUSK_ERR_FORMAT);
	p[2] = '/';
	static const uint8_t badc[] = { ' ', '\r', '\n', 0, 0x7f, 0x80, 0xff, '\t' };
	for (size_t i = 0; i < sizeof(badc); i++) {
		p[3] = badc[i];
		assert_int_equal(proxy_parse_request(&f, &rq), HUSK_ERR_FORMAT);
	}
	p[3] = '~';
	assert_int_equal(proxy_parse_request(&f, &rq), HUSK_OK);
	f.length = 2;
	assert_int_equal(proxy_parse_request(&f, &rq), HUSK_ERR_FORMAT);
	/* a body one over the limit with a short path fits the frame limit */
	f.length = 2 + 2 + PROXY_BODY_MAX + 1;
	assert_true(f.length <= PROXY_REQUEST_PAYLOAD_MAX);
	f.payload = big;
	memcpy(big, "\x01\x02/a", 4);
	assert_int_equal(proxy_parse_request(&f, &rq), HUSK_ERR_FORMAT);
	f.length--;
	assert_int_equal(proxy_parse_request(&f, &rq), HUSK_OK);
	assert_int_equal(rq.body_len, PROXY_BODY_MAX);
	f.payload = p;
	f.type = PROXY_T_RESPONSE;
	assert_int_equal(proxy_parse_request(&f, &rq), HUSK_ERR_INVAL);

	/* response: status range */
	uint16_t st[] = { 99, 100, 599, 600, 0, 65535 };
	int want[] = { HUSK_ERR_FORMAT, HUSK_OK, HUSK_OK, HUSK_ERR_FORMAT, HUSK_ERR_FORMAT,
		       HUSK_ERR_FORMAT };
	f.length = 2;
	for (size_t i = 0; i < HUSK_ARRAY_SIZE(st); i++) {
		memcpy(p, &st[i], 2);
		assert_int_equal(proxy_parse_response(&f, &rs), want[i]);
	}
	f.length = 1;
	assert_int_equal(proxy_parse_response(&f, &rs), HUSK_ERR_FORMAT);
	f.type = PROXY_T_ERROR;
	assert_int_equal(proxy_parse_response(&f, &rs), HUSK_ERR_INVAL);

	/* error: code and text */
	memcpy(p, "\x03\x00oops", 6);
	f.length = 6;
	assert_int_equal(proxy_parse_error(&f, &er), HUSK_OK);
	assert_int_equal(er.code, 3);
	assert_int_equal(er.text_len, 4);
	p[3] = '\n';
	assert_int_equal(proxy_parse_error(&f, &er), HUSK_ERR_FORMAT);
	p[3] = 'o';
	p[0] = 0;
	assert_int_equal(proxy_parse_error(&f, &er), HUSK_ERR_FORMAT);
	p[0] = 77; /* unknown codes are passed on */
	assert_int_equal(proxy_parse_error(&f, &er), HUSK_OK);
	f.length = 2 + PROXY_ERROR_TEXT_MAX + 1;
	memset(p + 2, 'a', PROXY_ERROR_TEXT_MAX + 1);
	assert_int_equal(proxy_parse_error(&f, &er), HUSK_ERR_FORMAT);
}

static void test_encoder_checks(void **state)
{
	uint8_t out[512], head[PROXY_REQUEST_HEAD_MAX];
	char path[PROXY_PATH_MAX + 2];
	size_t len, hlen;
	uint8_t m;

	assert_int_equal(proxy_encode_hello(out, sizeof(out), 0, 1, &len), HUSK_ERR_INVAL);
	assert_int_equal(proxy_encode_hello(out, 31, SESSION, 1, &len), HUSK_ERR_RANGE);
	assert_int_equal(proxy_encode(out, sizeof(out), 9, SESSION, 1, NULL, 0, &len),
			 HUSK_ERR_INVAL);
	/* a type's length limit holds in the generic encoder too */
	struct proxy_part one = { "x", 1 };
	assert_int_equal(proxy_encode(out, sizeof(out), PROXY_T_HELLO, SESSION, 1, &one, 1, &len),
			 HUSK_ERR_RANGE);
	struct proxy_part nul = { NULL, 3 };
	assert_int_equal(proxy_encode(out, sizeof(out), PROXY_T_RESPONSE, SESSION, 1, &nul, 1, &len),
			 HUSK_ERR_INVAL);

	memset(path, 'a', sizeof(path));
	path[0] = '/';
	assert_int_equal(proxy_encode_request(out, sizeof(out), SESSION, 1, PROXY_METHOD_GET, path,
					      PROXY_PATH_MAX + 1, NULL, 0, &len),
			 HUSK_ERR_INVAL);
	assert_int_equal(proxy_encode_request(out, sizeof(out), SESSION, 1, PROXY_METHOD_GET, "x",
					      1, NULL, 0, &len),
			 HUSK_ERR_INVAL);
	assert_int_equal(proxy_encode_request(out, sizeof(out), SESSION, 1, PROXY_METHOD_GET, "/",
					      0, NULL, 0, &len),
			 HUSK_ERR_INVAL);
	assert_int_equal(proxy_encode_request(out, sizeof(out), SESSION, 1, 3, "/", 1, NULL, 0,
					      &len),
			 HUSK_ERR_INVAL);
	assert_int_equal(proxy_encode_request(big, sizeof(big), SESSION, 1, PROXY_METHOD_POST, "/",
					      1, big, PROXY_BODY_MAX + 1, &len),
			 HUSK_ERR_RANGE);
	assert_int_equal(proxy_encode_request(out, sizeof(out), SESSION, 1, PROXY_METHOD_POST, "/",
					      1, out, sizeof(out), &len),
			 HUSK_ERR_RANGE); /* does not fit in out */
	assert_int_equal(proxy_encode_response(out, sizeof(out), SESSION, 1, 99, NULL, 0, &len),
			 HUSK_ERR_INVAL);
	assert_int_equal(proxy_encode_response(out, sizeof(out), SESSION, 1, 600, NULL, 0, &len),
			 HUSK_ERR_INVAL);
	assert_int_equal(proxy_encode_response(big, sizeof(big), SESSION, 1, 200, big,
					       PROXY_BODY_MAX + 1, &len),
			 HUSK_ERR_RANGE);
	assert_int_equal(proxy_encode_error(out, sizeof(out), SESSION, 1, 0, "", 0, &len),
			 HUSK_ERR_INVAL);
	assert_int_equal(proxy_encode_error(out, sizeof(out), SESSION, 1, 1, "a\nb", 3, &len),
			 HUSK_ERR_INVAL);
	assert_int_equal(proxy_encode_error(out, sizeof(out), SESSION, 1, 1, path,
					    PROXY_ERROR_TEXT_MAX + 1, &len),
			 HUSK_ERR_RANGE);

	/* head + body is the same frame as the whole encoder makes */
	assert_int_equal(proxy_encode_request(out, sizeof(out), SESSION, 4, PROXY_METHOD_POST,
					      "/kbs/v0/attest", 14, (const uint8_t *)"{}", 2, &len),
			 HUSK_OK);
	assert_int_equal(proxy_encode_request_head(head, sizeof(head), SESSION, 4,
						   PROXY_METHOD_POST, "/kbs/v0/attest", 14,
						   (const uint8_t *)"{}", 2, &hlen),
			 HUSK_OK);
	assert_int_equal(hlen + 2, len);
	assert_memory_equal(head, out, hlen);
	assert_memory_equal(out + hlen, "{}", 2);
	assert_int_equal(proxy_encode_request_head(head, 40, SESSION, 4, PROXY_METHOD_POST,
						   "/kbs/v0/attest", 14, NULL, 0, &hlen),
			 HUSK_ERR_RANGE);

	assert_int_equal(proxy_method_from_name("GET", &m), HUSK_OK);
	assert_int_equal(m, PROXY_METHOD_GET);
	assert_int_equal(proxy_method_from_name("POST", &m), HUSK_OK);
	assert_int_equal(m, PROXY_METHOD_POST);
	assert_int_equal(proxy_method_from_name("get", &m), HUSK_ERR_UNSUPPORTED);
	assert_int_equal(proxy_method_from_name("PUT", &m), HUSK_ERR_UNSUPPORTED);
	assert_null(proxy_method_name(0));
	assert_string_equal(proxy_method_name(PROXY_METHOD_POST), "POST");
	assert_false(proxy_path_valid(NULL, 1));
	assert_true(proxy_path_valid("/", 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_vectors, setup),
		cmocka_unit_test_setup(test_roundtrip_types, setup),
		cmocka_unit_test_setup(test_chunkings, setup),
		cmocka_unit_test_setup(test_every_truncation, setup),
		cmocka_unit_test_setup(test_garbage_around, setup),
		cmocka_unit_test_setup(test_damage_inside, setup),
		cmocka_unit_test_setup(test_bad_headers, setup),
		cmocka_unit_test_setup(test_bad_payload_crc, setup),
		cmocka_unit_test_setup(test_frames_inside_rejected_frame, setup),
		cmocka_unit_test_setup(test_reset, setup),
		cmocka_unit_test_setup(test_magic_flood, setup),
		cmocka_unit_test_setup(test_random_streams, setup),
		cmocka_unit_test_setup(test_parsers, setup),
		cmocka_unit_test_setup(test_encoder_checks, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
