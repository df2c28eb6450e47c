/* Unit tests for lib/proxy's client end (proxy_client_exchange) over an
 * in-memory pipe with a scripted peer standing in for husk-kbs-proxy: the
 * handshake, matching by session and sequence number, garbage, stale and
 * late frames, retransmission, timeouts, ERROR answers and bad arguments.
 * Time is a fake clock that a read without data advances by its wait. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "husk/err.h"
#include "proxy/proxy.h"
#include "proxy/proxy_client.h"

#define SESSION 0x5eed5eed12345678ull

/* What the peer does with the frames husk sends. */
struct peer {
	uint64_t now;
	size_t chunk;       /* most bytes one read returns */
	bool write_fails;
	bool trickle;       /* with nothing queued, hand out one garbage byte per read */
	int ignore_hellos;  /* HELLOs to leave unanswered */
	int ignore_requests;
	int truncate_requests; /* answers to send only half of, then fall silent */
	bool late_ack;      /* with a HELLO's ACK, first the ACK of the HELLO before */
	bool stale_first;   /* before each answer: other session, older seq, wrong type */
	bool garbage_first; /* before each answer: noise and a damaged frame */
	bool twice;         /* send every answer twice */
	uint16_t error_code; /* answer REQUESTs with this ERROR (0: RESPONSE) */
	bool error_on_hello;
	uint16_t status;
	size_t body_len;    /* answer body size (0: echo the path and body) */
	bool bad_status;    /* a RESPONSE with status 700 */
	/* what the peer saw */
	int hellos, requests;
	uint32_t seqs[64];
	uint16_t types[64];
	int nframes;
	size_t last_body_len;
	/* husk-bound bytes */
	size_t q_off, q_len;
	uint8_t q[4 * PROXY_FRAME_MAX];
};

static struct peer peer;
static struct proxy_decoder peer_dec;
static struct proxy_client client;
static uint8_t rsp[PROXY_BODY_MAX + 16];
static uint8_t body[PROXY_BODY_MAX + 1];
static uint8_t tmp[PROXY_FRAME_MAX];

static void queue(const void *data, size_t len)
{
	if (peer.q_off == peer.q_len)
		peer.q_off = peer.q_len = 0;
	assert_true(peer.q_len + len <= sizeof(peer.q));
	memcpy(peer.q + peer.q_len, data, len);
	peer.q_len += len;
}

static void queue_ack(uint64_t session, uint32_t seq)
{
	size_t len;

	assert_int_equal(proxy_encode_hello_ack(tmp, sizeof(tmp), session, seq, &len), 0);
	queue(tmp, len);
}

static void queue_noise(void)
{
	uint8_t ack[PROXY_HDR_SIZE];
	size_t len;

	queue("\x00\xffHKP\x13HK", 8);
	assert_int_equal(proxy_encode_hello_ack(ack, sizeof(ack), SESSION, 1, &len), 0);
	ack[10] ^= 4; /* damaged header */
	queue(ack, len);
	queue("HKPX", 4);
}

static void answer_request(const struct proxy_frame *f)
{
	struct proxy_request r;
	size_t len;

	assert_int_equal(proxy_parse_request(f, &r), 0);
	peer.last_body_len = r.body_len;
	if (peer.error_code) {
		assert_int_equal(proxy_encode_error(tmp, sizeof(tmp), f->session, f->seq,
						    peer.error_code, "no route to KBS", 15, &len),
				 0);
	} else if (peer.bad_status) {
		/* valid framing, a status no HTTP server sends */
		uint8_t p[2] = { 700 & 0xff, 700 >> 8 };
		struct proxy_part part = { p, 2 };
		assert_int_equal(proxy_encode(tmp, sizeof(tmp), PROXY_T_RESPONSE, f->session,
					      f->seq, &part, 1, &len),
				 0);
	} else if (peer.body_len) {
		static uint8_t out[PROXY_BODY_MAX];

		for (size_t i = 0; i < peer.body_len; i++)
			out[i] = (uint8_t)(i ^ 0xa5);
		assert_int_equal(proxy_encode_response(tmp, sizeof(tmp), f->session, f->seq,
						       peer.status, out, peer.body_len, &len),
				 0);
	} else {
		/* echo: method name, path, body */
		static uint8_t out[2 * PROXY_BODY_MAX];
		const char *m = proxy_method_name(r.method);
		size_t n = 0;

		memcpy(out, m, strlen(m));
		n += strlen(m);
		out[n++] = ' ';
		memcpy(out + n, r.path, r.path_len);
		n += r.path_len;
		out[n++] = ' ';
		size_t b = HUSK_MIN(r.body_len, (size_t)PROXY_BODY_MAX - n);
		memcpy(out + n, r.body, b);
		n += b;
		assert_int_equal(proxy_encode_response(tmp, sizeof(tmp), f->session, f->seq,
						       peer.status, out, n, &len),
				 0);
	}
	if (peer.stale_first) {
		static uint8_t s[PROXY_FRAME_MAX];
		size_t sl;

		assert_int_equal(proxy_encode_response(s, sizeof(s), SESSION + 1, f->seq, 200,
						       (const uint8_t *)"old boot", 8, &sl),
				 0);
		queue(s, sl);
		assert_int_equal(proxy_encode_response(s, sizeof(s), SESSION, f->seq - 1, 200,
						       (const uint8_t *)"old seq", 7, &sl),
				 0);
		queue(s, sl);
		assert_int_equal(proxy_encode_hello_ack(s, sizeof(s), SESSION, f->seq, &sl), 0);
		queue(s, sl);
	}
	if (peer.garbage_first)
		queue_noise();
	if (peer.truncate_requests > 0) {
		peer.truncate_requests--;
		queue(tmp, len / 2);
		return;
	}
	queue(tmp, len);
	if (peer.twice)
		queue(tmp, len);
}

static void peer_frame(const struct proxy_frame *f)
{
	size_t len;

	assert_true(peer.nframes < 64);
	assert_true(f->session == SESSION);
	peer.seqs[peer.nframes] = f->seq;
	peer.types[peer.nframes++] = f->type;
	if (f->type == PROXY_T_HELLO) {
		peer.hellos++;
		if (peer.ignore_hellos > 0) {
			peer.ignore_hellos--;
			return;
		}
		if (peer.error_on_hello) {
			assert_int_equal(proxy_encode_error(tmp, sizeof(tmp), f->session, f->seq, 9,
							    "", 0, &len),
					 0);
			queue(tmp, len);
			return;
		}
		if (peer.garbage_first)
			queue_noise();
		if (peer.late_ack && f->seq > 1)
			queue_ack(f->session, f->seq - 1);
		queue_ack(f->session, f->seq);
		return;
	}
	assert_int_equal(f->type, PROXY_T_REQUEST);
	peer.requests++;
	if (peer.ignore_requests > 0) {
		peer.ignore_requests--;
		return;
	}
	answer_request(f);
}

static int io_write(void *ctx, const uint8_t *buf, size_t len)
{
	struct proxy_frame f;
	size_t used;

	assert_ptr_equal(ctx, &peer);
	if (peer.write_fails)
		return HUSK_ERR_IO;
	while (len > 0 || proxy_decoder_feed(&peer_dec, NULL, 0, &used, &f)) {
		if (len == 0) {
			peer_frame(&f);
			continue;
		}
		if (proxy_decoder_feed(&peer_dec, buf, len, &used, &f))
			peer_frame(&f);
		buf += used;
		len -= used;
	}
	return 0;
}

static int io_read(void *ctx, uint8_t *buf, size_t max, size_t *got, uint32_t wait_ms)
{
	size_t n = HUSK_MIN(max, peer.chunk);

	assert_true(wait_ms > 0);
	if (peer.q_off == peer.q_len) {
		if (peer.trickle) {
			buf[0] = 'H';
			*got = 1;
			peer.now += 1;
			return 0;
		}
		peer.now += wait_ms;
		*got = 0;
		return 0;
	}
	n = HUSK_MIN(n, peer.q_len - peer.q_off);
	memcpy(buf, peer.q + peer.q_off, n);
	peer.q_off += n;
	*got = n;
	return 0;
}

static uint64_t io_now(void *ctx)
{
	return peer.now;
}

static const struct proxy_io io = { &peer, io_write, io_read, io_now };

static const struct proxy_client_cfg cfg = {
	.hello_timeout_ms = 500,
	.hello_attempts = 3,
	.response_timeout_ms = 2000,
	.request_attempts = 2,
	.poll_ms = 20,
};

static int setup(void **state)
{
	memset(&peer, 0, offsetof(struct peer, q));
	peer.chunk = 256;
	peer.status = 200;
	peer.now = 1000;
	proxy_decoder_init(&peer_dec);
	assert_int_equal(proxy_client_init(&client, &io, &cfg, SESSION), HUSK_OK);
	return 0;
}

static int exchange(const char *method, const char *path, const void *b, size_t blen,
		    uint16_t *status, size_t *len)
{
	return proxy_client_exchange(&client, method, path, b, blen, status, rsp, sizeof(rsp), len);
}

static void expect_echo(const char *want, size_t len)
{
	assert_int_equal(len, strlen(want));
	assert_memory_equal(rsp, want, len);
}

static void test_hello_then_exchange(void **state)
{
	uint16_t status;
	size_t len;

	assert_int_equal(exchange("POST", "/kbs/v0/auth", "{\"version\":\"0.4.0\"}", 19, &status,
				  &len),
			 HUSK_OK);
	assert_int_equal(status, 200);
	expect_echo("POST /kbs/v0/auth {\"version\":\"0.4.0\"}", len);
	assert_int_equal(peer.nframes, 2);
	assert_int_equal(peer.types[0], PROXY_T_HELLO);
	assert_int_equal(peer.seqs[0], 1);
	assert_int_equal(peer.types[1], PROXY_T_REQUEST);
	assert_int_equal(peer.seqs[1], 2);
	assert_true(client.established);

	/* no second HELLO within the session */
	assert_int_equal(exchange("GET", "/kbs/v0/resource/default/key/1", NULL, 0, &status, &len),
			 HUSK_OK);
	expect_echo("GET /kbs/v0/resource/default/key/1 ", len);
	assert_int_equal(peer.hellos, 1);
	assert_int_equal(peer.seqs[2], 3);

	/* statuses pass through: the caller judges them */
	peer.status = 401;
	assert_int_equal(exchange("GET", "/x", NULL, 0, &status, &len), HUSK_OK);
	assert_int_equal(status, 401);
	peer.status = 599;
	assert_int_equal(exchange("GET", "/x", NULL, 0, &status, &len), HUSK_OK);
	assert_int_equal(status, 599);
	assert_int_equal(client.stats.stale, 0);
	assert_int_equal(client.stats.retransmits, 0);
}

static void test_largest_bodies(void **state)
{
	uint16_t status;
	size_t len;

	for (size_t i = 0; i < PROXY_BODY_MAX; i++)
		body[i] = (uint8_t)(i * 13);
	peer.body_len = PROXY_BODY_MAX;
	peer.status = 200;
	for (size_t chunk = 1; chunk <= 256; chunk *= 16) {
		peer.chunk = chunk;
		assert_int_equal(exchange("POST", "/big", body, PROXY_BODY_MAX, &status, &len), 0);
		assert_int_equal(peer.last_body_len, PROXY_BODY_MAX);
		assert_int_equal(len, PROXY_BODY_MAX);
		for (size_t i = 0; i < len; i++)
			assert_int_equal(rsp[i], (uint8_t)(i ^ 0xa5));
	}
	/* a body exactly rsp_max long fits; one byte less room does not */
	assert_int_equal(proxy_client_exchange(&client, "GET", "/big", NULL, 0, &status, rsp,
					       PROXY_BODY_MAX, &len),
			 HUSK_OK);
	assert_int_equal(proxy_client_exchange(&client, "GET", "/big", NULL, 0, &status, rsp,
					       PROXY_BODY_MAX - 1, &len),
			 HUSK_ERR_RANGE);
	assert_int_equal(status, 200);
	assert_int_equal(len, 0);
}

static void test_garbage_and_stale(void **state)
{
	uint16_t status;
	size_t len;

	/* what a previous boot left in the UART: answers of another session */
	queue_ack(SESSION ^ 1, 1);
	queue_ack(SESSION ^ 1, 2);
	queue("\x01\x02\x03HKPXjunk", 11);
	peer.garbage_first = true;
	peer.stale_first = true;
	peer.chunk = 7;
	assert_int_equal(exchange("POST", "/a", "{}", 2, &status, &len), HUSK_OK);
	expect_echo("POST /a {}", len);
	/* two old ACKs, then per answer: other session, older seq, wrong type */
	assert_int_equal(client.stats.stale, 2 + 3);
	assert_true(client.dec.stats.garbage > 0);
	assert_int_equal(client.stats.retransmits, 0);
}

/* Every answer twice (a proxy that answered a retransmission too): the
 * copy, read whole or in part, never passes for the next answer. */
static void test_duplicate_answers(void **state)
{
	uint16_t status;
	size_t len;

	peer.twice = true;
	for (size_t chunk = 1; chunk <= 256; chunk *= 2) {
		peer.chunk = chunk;
		for (int i = 0; i < 5; i++) {
			char path[16] = "/n/0";

			path[3] = (char)('0' + i);
			assert_int_equal(exchange("GET", path, NULL, 0, &status, &len), HUSK_OK);
			assert_int_equal(len, 9);
			assert_memory_equal(rsp + 4, path, 4);
		}
	}
	assert_int_equal(client.stats.retransmits, 0);
}

static void test_lost_request(void **state)
{
	uint16_t status;
	size_t len;

	peer.ignore_requests = 1;
	assert_int_equal(exchange("POST", "/kbs/v0/attest", "{}", 2, &status, &len), HUSK_OK);
	assert_int_equal(peer.requests, 2);
	/* both sends carried the same sequence number */
	assert_int_equal(peer.seqs[1], 2);
	assert_int_equal(peer.seqs[2], 2);
	assert_int_equal(client.stats.retransmits, 1);
	assert_int_equal(client.stats.requests, 2);
}

static void test_truncated_answer(void **state)
{
	uint16_t status;
	size_t len;

	/* half an answer, then silence (the proxy died mid-frame): the client
	 * must not keep waiting for the rest after it retransmits */
	peer.body_len = 3000;
	peer.truncate_requests = 1;
	assert_int_equal(exchange("GET", "/t", NULL, 0, &status, &len), HUSK_OK);
	assert_int_equal(len, 3000);
	assert_int_equal(client.stats.retransmits, 1);
}

static void test_lost_hello(void **state)
{
	uint16_t status;
	size_t len;

	peer.ignore_hellos = 1;
	peer.late_ack = true;
	assert_int_equal(exchange("GET", "/h", NULL, 0, &status, &len), HUSK_OK);
	assert_int_equal(peer.hellos, 2);
	assert_int_equal(peer.seqs[0], 1);
	assert_int_equal(peer.seqs[1], 2); /* each HELLO has its own number */
	assert_int_equal(peer.seqs[2], 3);
	assert_int_equal(client.stats.stale, 1); /* the late ACK of HELLO 1 */
}

static void test_timeouts(void **state)
{
	uint16_t status;
	size_t len;
	uint64_t t0;

	/* no proxy at all */
	peer.ignore_hellos = 100;
	t0 = peer.now;
	assert_int_equal(exchange("GET", "/x", NULL, 0, &status, &len), HUSK_ERR_TIMEOUT);
	assert_int_equal(peer.hellos, 3);
	assert_true(peer.now - t0 >= 3 * 500 && peer.now - t0 < 3 * 500 + 100);
	assert_false(client.established);

	/* a proxy that acknowledges but never answers */
	peer.ignore_hellos = 0;
	peer.ignore_requests = 100;
	t0 = peer.now;
	assert_int_equal(exchange("GET", "/x", NULL, 0, &status, &len), HUSK_ERR_TIMEOUT);
	assert_int_equal(peer.requests, 2);
	assert_true(peer.now - t0 >= 2 * 2000 && peer.now - t0 < 2 * 2000 + 200);
}

/* An endless stream of bytes that never make a frame still ends in time. */
static void test_garbage_forever(void **state)
{
	uint16_t status;
	size_t len;

	peer.trickle = true;
	peer.ignore_hellos = 100;
	assert_int_equal(exchange("GET", "/x", NULL, 0, &status, &len), HUSK_ERR_TIMEOUT);
	assert_int_equal(peer.hellos, 3);
}

static void test_error_answers(void **state)
{
	uint16_t status;
	size_t len;

	peer.error_code = PROXY_ERROR_TRANSPORT;
	assert_int_equal(exchange("GET", "/e", NULL, 0, &status, &len), HUSK_ERR_IO);
	assert_int_equal(client.last_error, PROXY_ERROR_TRANSPORT);
	assert_string_equal(client.last_error_text, "no route to KBS");
	assert_true(client.established);

	peer.error_code = PROXY_ERROR_TOO_LARGE;
	assert_int_equal(exchange("GET", "/e", NULL, 0, &status, &len), HUSK_ERR_RANGE);
	assert_int_equal(client.last_error, PROXY_ERROR_TOO_LARGE);

	/* the proxy restarted and knows no session: the next exchange says
	 * HELLO again before its REQUEST */
	peer.error_code = PROXY_ERROR_NO_SESSION;
	assert_int_equal(exchange("GET", "/e", NULL, 0, &status, &len), HUSK_ERR_IO);
	assert_false(client.established);
	peer.error_code = 0;
	assert_int_equal(exchange("GET", "/e", NULL, 0, &status, &len), HUSK_OK);
	assert_int_equal(peer.hellos, 2);
	assert_int_equal(client.stats.errors, 3);

	peer.bad_status = true;
	assert_int_equal(exchange("GET", "/e", NULL, 0, &status, &len), HUSK_ERR_FORMAT);
}

static void test_error_on_hello(void **state)
{
	uint16_t status;
	size_t len;

	peer.error_on_hello = true;
	assert_int_equal(exchange("GET", "/e", NULL, 0, &status, &len), HUSK_ERR_IO);
	assert_int_equal(client.last_error, 9);
	assert_false(client.established);
	assert_int_equal(peer.requests, 0);
}

static void test_write_fails(void **state)
{
	uint16_t status;
	size_t len;

	peer.write_fails = true;
	assert_int_equal(exchange("GET", "/w", NULL, 0, &status, &len), HUSK_ERR_IO);
	peer.write_fails = false;
	assert_int_equal(proxy_client_hello(&client), HUSK_OK);
	peer.write_fails = true;
	assert_int_equal(exchange("GET", "/w", NULL, 0, &status, &len), HUSK_ERR_IO);
}

static void test_bad_arguments(void **state)
{
	char path[PROXY_PATH_MAX + 2];
	struct proxy_client_cfg k = cfg;
	struct proxy_io bad = io;
	uint16_t status;
	size_t len;

	memset(path, 'p', sizeof(path));
	path[0] = '/';
	path[PROXY_PATH_MAX + 1] = '\0';
	assert_int_equal(exchange("GET", path, NULL, 0, &status, &len), HUSK_ERR_RANGE);
	path[PROXY_PATH_MAX] = '\0';
	assert_int_equal(exchange("GET", path, NULL, 0, &status, &len), HUSK_OK);
	assert_int_equal(exchange("PUT", "/x", NULL, 0, &status, &len), HUSK_ERR_UNSUPPORTED);
	assert_int_equal(exchange("GET", "x", NULL, 0, &status, &len), HUSK_ERR_INVAL);
	assert_int_equal(exchange("GET", "", NULL, 0, &status, &len), HUSK_ERR_INVAL);
	assert_int_equal(exchange("GET", "/a b", NULL, 0, &status, &len), HUSK_ERR_INVAL);
	assert_int_equal(exchange("GET", "/a\r\nX: y", NULL, 0, &status, &len), HUSK_ERR_INVAL);
	assert_int_equal(exchange("POST", "/x", body, PROXY_BODY_MAX + 1, &status, &len),
			 HUSK_ERR_RANGE);
	assert_int_equal(exchange("POST", "/x", NULL, 3, &status, &len), HUSK_ERR_INVAL);
	assert_int_equal(exchange(NULL, "/x", NULL, 0, &status, &len), HUSK_ERR_INVAL);
	assert_int_equal(exchange("GET", NULL, NULL, 0, &status, &len), HUSK_ERR_INVAL);
	assert_int_equal(exchange("GET", "/x", NULL, 0, NULL, &len), HUSK_ERR_INVAL);
	assert_int_equal(exchange("GET", "/x", NULL, 0, &status, NULL), HUSK_ERR_INVAL);
	assert_int_equal(proxy_client_exchange(&client, "GET", "/x", NULL, 0, &status, NULL, 5,
					       &len),
			 HUSK_ERR_INVAL);
	/* none of the refused calls reached the peer */
	assert_int_equal(peer.requests, 1);

	assert_int_equal(proxy_client_init(&client, &io, &cfg, 0), HUSK_ERR_INVAL);
	bad.now_ms = NULL;
	assert_int_equal(proxy_client_init(&client, &bad, &cfg, SESSION), HUSK_ERR_INVAL);
	k.poll_ms = 0;
	assert_int_equal(proxy_client_init(&client, &io, &k, SESSION), HUSK_ERR_INVAL);
	k = cfg;
	k.request_attempts = 0;
	assert_int_equal(proxy_client_init(&client, &io, &k, SESSION), HUSK_ERR_INVAL);
	assert_int_equal(proxy_client_init(&client, &io, NULL, SESSION), HUSK_OK);
	assert_int_equal(client.cfg.response_timeout_ms, 35000);
	assert_int_equal(proxy_client_hello(NULL), HUSK_ERR_INVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_hello_then_exchange, setup),
		cmocka_unit_test_setup(test_largest_bodies, setup),
		cmocka_unit_test_setup(test_garbage_and_stale, setup),
		cmocka_unit_test_setup(test_duplicate_answers, setup),
		cmocka_unit_test_setup(test_lost_request, setup),
		cmocka_unit_test_setup(test_truncated_answer, setup),
		cmocka_unit_test_setup(test_lost_hello, setup),
		cmocka_unit_test_setup(test_timeouts, setup),
		cmocka_unit_test_setup(test_garbage_forever, setup),
		cmocka_unit_test_setup(test_error_answers, setup),
		cmocka_unit_test_setup(test_error_on_hello, setup),
		cmocka_unit_test_setup(test_write_fails, setup),
		cmocka_unit_test_setup(test_bad_arguments, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
