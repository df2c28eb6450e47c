/* The husk <-> husk-kbs-proxy framing (include/husk/proxy_wire.h,
 * docs/proxy.md): frame encoders, an incremental decoder that finds validated
 * frames in a byte stream carrying garbage, and the payload parsers.
 *
 * Portable: husk links the freestanding build, husk-kbs-proxy and the tests
 * the hosted ones.  No allocation: the decoder holds its one frame buffer
 * (PROXY_FRAME_MAX bytes) inside its struct, so callers place it in static
 * or heap memory, not on a small stack.  CRC-32 comes from lib/igvm, so a
 * program that links libproxy.a links libigvm.a after it. */
#ifndef HUSK_PROXY_H
#define HUSK_PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "husk/proxy_wire.h"

/* A validated frame.  payload points into the decoder (or the caller's
 * buffer for proxy_frame_from_bytes) and is valid until the next feed. */
struct proxy_frame {
	uint16_t type;
	uint64_t session;
	uint32_t seq;
	uint32_t length;
	const uint8_t *payload;
};

/* One piece of a payload; a payload may be given in several. */
struct proxy_part {
	const void *data;
	size_t len;
};

/* ---- encoding ---- */

/* Writes the 32-byte header of a frame whose payload is the concatenation of
 * parts, so that a sender can write the payload from where it lies.
 * HUSK_ERR_INVAL for an unknown type, session 0 or a NULL part with a
 * length; HUSK_ERR_RANGE if the payload length is outside the type's limits.
 * The payload's inner structure is the caller's (see the typed encoders). */
int proxy_encode_header(uint8_t hdr[PROXY_HDR_SIZE], uint16_t type, uint64_t session,
			uint32_t seq, const struct proxy_part *parts, size_t nparts);

/* Header + payload into out; *out_len = frame size.  HUSK_ERR_RANGE if it
 * does not fit in out_max. */
int proxy_encode(uint8_t *out, size_t out_max, uint16_t type, uint64_t session, uint32_t seq,
		 const struct proxy_part *parts, size_t nparts, size_t *out_len);

/* Typed encoders; they check what the receiver's parser will check. */
int proxy_encode_hello(uint8_t *out, size_t out_max, uint64_t session, uint32_t seq,
		       size_t *out_len);
int proxy_encode_hello_ack(uint8_t *out, size_t out_max, uint64_t session, uint32_t seq,
			   size_t *out_len);
int proxy_encode_request(uint8_t *out, size_t out_max, uint64_t session, uint32_t seq,
			 uint8_t method, const char *path, size_t path_len, const uint8_t *body,
			 size_t body_len, size_t *out_len);
int proxy_encode_response(uint8_t *out, size_t out_max, uint64_t session, uint32_t seq,
			  uint16_t status, const uint8_t *body, size_t body_len, size_t *out_len);
int proxy_encode_error(uint8_t *out, size_t out_max, uint64_t session, uint32_t seq,
		       uint16_t code, const char *text, size_t text_len, size_t *out_len);

/* A REQUEST frame without its body: header, method, path_len and path
 * (at most PROXY_REQUEST_HEAD_MAX bytes), with both CRCs already covering
 * the body.  The sender writes head then body, and can write both again to
 * retransmit without a 64 KiB copy of the body. */
#define PROXY_REQUEST_HEAD_MAX (PROXY_HDR_SIZE + 2u + PROXY_PATH_MAX)
int proxy_encode_request_head(uint8_t *out, size_t out_max, uint64_t session, uint32_t seq,
			      uint8_t method, const char *path, size_t path_len,
			      const uint8_t *body, size_t body_len, size_t *out_len);

/* ---- decoding ---- */

struct proxy_decoder_stats {
	uint64_t frames;       /* valid frames returned */
	uint64_t garbage;      /* bytes skipped while looking for a frame */
	uint64_t bad_headers;  /* magic found, header rejected */
	uint64_t bad_payloads; /* header accepted, payload CRC wrong */
};

struct proxy_decoder {
	size_t off;     /* the held bytes are buf[off .. off + len) */
	size_t len;
	size_t pending; /* size of the frame returned last, dropped on the next feed */
	struct proxy_decoder_stats stats;
	uint8_t buf[PROXY_FRAME_MAX];
};

void proxy_decoder_init(struct proxy_decoder *d);

/* Forgets any partial frame (counted as garbage): the sender went away
 * mid-frame, or the caller starts over. */
void proxy_decoder_reset(struct proxy_decoder *d);

/* Bytes held towards a frame not yet complete (0 when idle). */
size_t proxy_decoder_buffered(const struct proxy_decoder *d);

/* Takes bytes from data[0..n) until a frame is complete or they run out;
 * *used says how many were taken.  Returns true with *f filled when a frame
 * is complete; the caller then feeds data + *used (possibly with n - *used
 * == 0, which still returns frames already buffered) before the frame
 * counts as consumed.  Garbage, false magics, bad headers, oversized lengths
 * and CRC failures are skipped, resynchronising on the next magic, also one
 * inside a rejected frame.  Never holds more than PROXY_FRAME_MAX bytes. */
bool proxy_decoder_feed(struct proxy_decoder *d, const uint8_t *data, size_t n, size_t *used,
			struct proxy_frame *f);

/* Validates one whole frame in buf[0..len) exactly (no garbage, nothing
 * after it): HUSK_ERR_FORMAT if it is not one. */
int proxy_frame_from_bytes(const uint8_t *buf, size_t len, struct proxy_frame *f);

/* ---- payloads ---- */

struct proxy_request {
	uint8_t method; /* enum proxy_method */
	const char *path;
	size_t path_len;
	const uint8_t *body;
	size_t body_len;
};

struct proxy_response {
	uint16_t status;
	const uint8_t *body;
	size_t body_len;
};

struct proxy_error {
	uint16_t code;
	const char *text; /* printable ASCII, not NUL-terminated */
	size_t text_len;
};

/* HUSK_ERR_INVAL if the frame is of another type, HUSK_ERR_FORMAT if its
 * payload breaks the rules of docs/proxy.md. */
int proxy_parse_request(const struct proxy_frame *f, struct proxy_request *r);
int proxy_parse_response(const struct proxy_frame *f, struct proxy_response *r);
int proxy_parse_error(const struct proxy_frame *f, struct proxy_error *e);

/* A path the REQUEST may carry: 1..PROXY_PATH_MAX bytes, starting with '/',
 * each byte 0x21..0x7e. */
bool proxy_path_valid(const char *path, size_t len);

/* "GET" / "POST" <-> enum proxy_method.  HUSK_ERR_UNSUPPORTED for others. */
int proxy_method_from_name(const char *name, uint8_t *method);
const char *proxy_method_name(uint8_t method); /* NULL if unknown */

#endif
