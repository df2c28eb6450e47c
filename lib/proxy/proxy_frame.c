/* Frames of the husk <-> husk-kbs-proxy link: encoders, the resynchronising
 * decoder and the payload parsers (docs/proxy.md, "Frames").  Every byte a
 * decoder sees is hostile: the proxy reads what a guest's SVSM wrote, husk
 * reads what the host wrote. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "husk/err.h"
#include "crc/crc32.h"
#include "proxy/proxy.h"

static const uint8_t proxy_magic[PROXY_MAGIC_LEN] = {
	PROXY_MAGIC0, PROXY_MAGIC1, PROXY_MAGIC2, PROXY_MAGIC3,
};

/* Little-endian by bytes, so the code does not depend on the host's order
 * or on the alignment of a field inside a stream buffer. */
static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

/* The payload length each type allows; a header outside it is not a frame,
 * which keeps a receiver from waiting for 64 KiB that a HELLO cannot have. */
static bool proxy_length_ok(uint16_t type, uint32_t len)
{
	switch (type) {
	case PROXY_T_HELLO:
	case PROXY_T_HELLO_ACK:
		return len == 0;
	case PROXY_T_REQUEST:
		return len >= PROXY_REQUEST_PAYLOAD_MIN && len <= PROXY_REQUEST_PAYLOAD_MAX;
	case PROXY_T_RESPONSE:
		return len >= 2 && len <= PROXY_RESPONSE_PAYLOAD_MAX;
	case PROXY_T_ERROR:
		return len >= 2 && len <= PROXY_ERROR_PAYLOAD_MAX;
	default:
		return false;
	}
}

static bool proxy_type_known(uint16_t type)
{
	return type >= PROXY_T_HELLO && type <= PROXY_T_ERROR;
}

/* ---- encoding ---- */

int proxy_encode_header(uint8_t hdr[PROXY_HDR_SIZE], uint16_t type, uint64_t session,
			uint32_t seq, const struct proxy_part *parts, size_t nparts)
{
	uint32_t crc = 0;
	size_t total = 0;

	if (!hdr || !proxy_type_known(type) || session == 0 || (nparts && !parts))
		return HUSK_ERR_INVAL;
	for (size_t i = 0; i < nparts; i++) {
		if (parts[i].len && !parts[i].data)
			return HUSK_ERR_INVAL;
		if (parts[i].len > PROXY_PAYLOAD_MAX - total)
			return HUSK_ERR_RANGE;
		total += parts[i].len;
		crc = husk_crc32_update(crc, parts[i].data, parts[i].len);
	}
	if (!proxy_length_ok(type, (uint32_t)total))
		return HUSK_ERR_RANGE;
	memcpy(hdr, proxy_magic, PROXY_MAGIC_LEN);
	put16(hdr + 4, PROXY_VERSION);
	put16(hdr + 6, type);
	put64(hdr + 8, session);
	put32(hdr + 16, seq);
	put32(hdr + 20, (uint32_t)total);
	put32(hdr + 24, crc);
	put32(hdr + 28, husk_crc32(hdr, PROXY_HDR_CRC_SPAN));
	return HUSK_OK;
}

int proxy_encode(uint8_t *out, size_t out_max, uint16_t type, uint64_t session, uint32_t seq,
		 const struct proxy_part *parts, size_t nparts, size_t *out_len)
{
	size_t off = PROXY_HDR_SIZE;
	int rc;

	if (!out || !out_len)
		return HUSK_ERR_INVAL;
	*out_len = 0;
	if (out_max < PROXY_HDR_SIZE)
		return HUSK_ERR_RANGE;
	rc = proxy_encode_header(out, type, session, seq, parts, nparts);
	if (rc)
		return rc;
	/* The header check bounded the sum, so this cannot overflow. */
	for (size_t i = 0; i < nparts; i++) {
		if (parts[i].len > out_max - off)
			return HUSK_ERR_RANGE;
		if (parts[i].len)
			memcpy(out + off, parts[i].data, parts[i].len);
		off += parts[i].len;
	}
	*out_len = off;
	return HUSK_OK;
}

int proxy_encode_hello(uint8_t *out, size_t out_max, uint64_t session, uint32_t seq,
		       size_t *out_len)
{
	return proxy_encode(out, out_max, PROXY_T_HELLO, session, seq, NULL, 0, out_len);
}

int proxy_encode_hello_ack(uint8_t *out, size_t out_max, uint64_t session, uint32_t seq,
			   size_t *out_len)
{
	return proxy_encode(out, out_max, PROXY_T_HELLO_ACK, session, seq, NULL, 0, out_len);
}

static int proxy_request_parts(struct proxy_part parts[3], uint8_t fixed[2], uint8_t method,
			       const char *path, size_t path_len, const uint8_t *body,
			       size_t body_len)
{
	if (!proxy_method_name(method) || !path || !proxy_path_valid(path, path_len))
		return HUSK_ERR_INVAL;
	if (body_len > PROXY_BODY_MAX)
		return HUSK_ERR_RANGE;
	if (body_len && !body)
		return HUSK_ERR_INVAL;
	fixed[0] = method;
	fixed[1] = (uint8_t)path_len;
	parts[0] = (struct proxy_part){ fixed, 2 };
	parts[1] = (struct proxy_part){ path, path_len };
	parts[2] = (struct proxy_part){ body, body_len };
	return HUSK_OK;
}

int proxy_encode_request_head(uint8_t *out, size_t out_max, uint64_t session, uint32_t seq,
			      uint8_t method, const char *path, size_t path_len,
			      const uint8_t *body, size_t body_len, size_t *out_len)
{
	struct proxy_part parts[3];
	uint8_t fixed[2];
	int rc;

	if (!out || !out_len)
		return HUSK_ERR_INVAL;
	*out_len = 0;
	rc = proxy_request_parts(parts, fixed, method, path, path_len, body, body_len);
	if (rc)
		return rc;
	if (out_max < PROXY_HDR_SIZE + 2 + path_len)
		return HUSK_ERR_RANGE;
	rc = proxy_encode_header(out, PROXY_T_REQUEST, session, seq, parts, 3);
	if (rc)
		return rc;
	memcpy(out + PROXY_HDR_SIZE, fixed, 2);
	memcpy(out + PROXY_HDR_SIZE + 2, path, path_len);
	*out_len = PROXY_HDR_SIZE + 2 + path_len;
	return HUSK_OK;
}

int proxy_encode_request(uint8_t *out, size_t out_max, uint64_t session, uint32_t seq,
			 uint8_t method, const char *path, size_t path_len, const uint8_t *body,
			 size_t body_len, size_t *out_len)
{
	struct proxy_part parts[3];
	uint8_t fixed[2];
	int rc;

	if (!out_len)
		return HUSK_ERR_INVAL;
	*out_len = 0;
	rc = proxy_request_parts(parts, fixed, method, path, path_len, body, body_len);
	if (rc)
		return rc;
	return proxy_encode(out, out_max, PROXY_T_REQUEST, session, seq, parts, 3, out_len);
}

int proxy_encode_response(uint8_t *out, size_t out_max, uint64_t session, uint32_t seq,
			  uint16_t status, const uint8_t *body, size_t body_len, size_t *out_len)
{
	struct proxy_part parts[2];
	uint8_t fixed[2];

	if (!out_len)
		return HUSK_ERR_INVAL;
	*out_len = 0;
	if (status < 100 || status > 599 || (body_len && !body))
		return HUSK_ERR_INVAL;
	if (body_len > PROXY_BODY_MAX)
		return HUSK_ERR_RANGE;
	put16(fixed, status);
	parts[0] = (struct proxy_part){ fixed, 2 };
	parts[1] = (struct proxy_part){ body, body_len };
	return proxy_encode(out, out_max, PROXY_T_RESPONSE, session, seq, parts, 2, out_len);
}

static bool proxy_text_valid(const char *text, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if ((uint8_t)text[i] < 0x20 || (uint8_t)text[i] > 0x7e)
			return false;
	}
	return true;
}

int proxy_encode_error(uint8_t *out, size_t out_max, uint64_t session, uint32_t seq,
		       uint16_t code, const char *text, size_t text_len, size_t *out_len)
{
	struct proxy_part parts[2];
	uint8_t fixed[2];

	if (!out_len)
		return HUSK_ERR_INVAL;
	*out_len = 0;
	if (code == 0 || (text_len && !text))
		return HUSK_ERR_INVAL;
	if (text_len > PROXY_ERROR_TEXT_MAX)
		return HUSK_ERR_RANGE;
	if (!proxy_text_valid(text, text_len))
		return HUSK_ERR_INVAL;
	put16(fixed, code);
	parts[0] = (struct proxy_part){ fixed, 2 };
	parts[1] = (struct proxy_part){ text, text_len };
	return proxy_encode(out, out_max, PROXY_T_ERROR, session, seq, parts, 2, out_len);
}

/* ---- decoding ---- */

/* Everything but the payload CRC: what can be judged from 32 bytes. */
static bool proxy_header_ok(const uint8_t *h, uint32_t *length)
{
	uint16_t type = get16(h + 6);
	uint32_t len = get32(h + 20);

	if (memcmp(h, proxy_magic, PROXY_MAGIC_LEN) != 0 || get16(h + 4) != PROXY_VERSION)
		return false;
	if (get64(h + 8) == 0 || !proxy_length_ok(type, len))
		return false;
	if (get32(h + 28) != husk_crc32(h, PROXY_HDR_CRC_SPAN))
		return false;
	*length = len;
	return true;
}

static void proxy_fill_frame(const uint8_t *h, uint32_t length, struct proxy_frame *f)
{
	f->type = get16(h + 6);
	f->session = get64(h + 8);
	f->seq = get32(h + 16);
	f->length = length;
	f->payload = h + PROXY_HDR_SIZE;
}

void proxy_decoder_init(struct proxy_decoder *d)
{
	d->off = 0;
	d->len = 0;
	d->pending = 0;
	d->stats = (struct proxy_decoder_stats){ 0 };
}

/* Dropping only moves the start: a run of false magics then costs one
 * pass, not a memmove of the whole buffer per candidate. */
static void proxy_drop(struct proxy_decoder *d, size_t n)
{
	if (n >= d->len) {
		d->off = 0;
		d->len = 0;
		return;
	}
	d->off += n;
	d->len -= n;
}

void proxy_decoder_reset(struct proxy_decoder *d)
{
	if (d->len > d->pending)
		d->stats.garbage += d->len - d->pending;
	d->off = 0;
	d->len = 0;
	d->pending = 0;
}

size_t proxy_decoder_buffered(const struct proxy_decoder *d)
{
	return d->len - d->pending;
}

/* Offset of the first byte that may begin a frame: a full magic, or a
 * prefix of one cut off by the end of the data. */
static size_t proxy_magic_scan(const uint8_t *b, size_t len)
{
	size_t i = 0;

	while (i < len) {
		const uint8_t *h = memchr(b + i, PROXY_MAGIC0, len - i);
		size_t k;

		if (!h)
			return len;
		i = (size_t)(h - b);
		k = HUSK_MIN(len - i, (size_t)PROXY_MAGIC_LEN);
		if (memcmp(b + i, proxy_magic, k) == 0)
			return i;
		i++;
	}
	return len;
}

/* One step over the held bytes: true with *f when they start with a valid
 * frame, else false with *want = how many more bytes the candidate needs
 * (never more than fit). */
static bool proxy_decode_step(struct proxy_decoder *d, struct proxy_frame *f, size_t *want)
{
	for (;;) {
		size_t skip = proxy_magic_scan(d->buf + d->off, d->len);
		uint32_t length;
		size_t total;

		if (skip) {
			d->stats.garbage += skip;
			proxy_drop(d, skip);
		}
		if (d->len < PROXY_HDR_SIZE) {
			*want = PROXY_HDR_SIZE - d->len;
			return false;
		}
		if (!proxy_header_ok(d->buf + d->off, &length)) {
			/* A false magic, or a real header hit by noise: resume the
			 * scan one byte on, in case a frame starts inside it. */
			d->stats.bad_headers++;
			d->stats.garbage++;
			proxy_drop(d, 1);
			continue;
		}
		total = PROXY_HDR_SIZE + (size_t)length;
		if (d->len < total) {
			*want = total - d->len;
			return false;
		}
		if (husk_crc32(d->buf + d->off + PROXY_HDR_SIZE, length) !=
		    get32(d->buf + d->off + 24)) {
			/* Damaged, or cut short by a sender that restarted and
			 * whose next frame is now inside this one: rescan. */
			d->stats.bad_payloads++;
			d->stats.garbage++;
			proxy_drop(d, 1);
			continue;
		}
		proxy_fill_frame(d->buf + d->off, length, f);
		d->pending = total;
		d->stats.frames++;
		return true;
	}
}

bool proxy_decoder_feed(struct proxy_decoder *d, const uint8_t *data, size_t n, size_t *used,
			struct proxy_frame *f)
{
	size_t taken = 0;

	if (!data)
		n = 0;
	if (d->pending) {
		proxy_drop(d, d->pending);
		d->pending = 0;
	}
	for (;;) {
		size_t want, take;

		if (proxy_decode_step(d, f, &want)) {
			*used = taken;
			return true;
		}
		if (taken == n) {
			*used = taken;
			return false;
		}
		/* Only what the candidate needs: the buffer then never holds
		 * more than one frame's worth, and nothing beyond a frame's
		 * end is taken from the caller. */
		take = HUSK_MIN(want, n - taken);
		if (d->off + d->len + take > sizeof(d->buf)) {
			memmove(d->buf, d->buf + d->off, d->len);
			d->off = 0;
		}
		memcpy(d->buf + d->off + d->len, data + taken, take);
		d->len += take;
		taken += take;
	}
}

int proxy_frame_from_bytes(const uint8_t *buf, size_t len, struct proxy_frame *f)
{
	uint32_t length;

	if (!buf || !f || len < PROXY_HDR_SIZE || !proxy_header_ok(buf, &length))
		return HUSK_ERR_FORMAT;
	if (len != PROXY_HDR_SIZE + (size_t)length ||
	    husk_crc32(buf + PROXY_HDR_SIZE, length) != get32(buf + 24))
		return HUSK_ERR_FORMAT;
	proxy_fill_frame(buf, length, f);
	return HUSK_OK;
}

/* ---- payloads ---- */

bool proxy_path_valid(const char *path, size_t len)
{
	if (!path || len == 0 || len > PROXY_PATH_MAX || path[0] != '/')
		return false;
	for (size_t i = 0; i < len; i++) {
		if ((uint8_t)path[i] < 0x21 || (uint8_t)path[i] > 0x7e)
			return false;
	}
	return true;
}

int proxy_method_from_name(const char *name, uint8_t *method)
{
	if (!name || !method)
		return HUSK_ERR_INVAL;
	if (strcmp(name, "GET") == 0)
		*method = PROXY_METHOD_GET;
	else if (strcmp(name, "POST") == 0)
		*method = PROXY_METHOD_POST;
	else
		return HUSK_ERR_UNSUPPORTED;
	return HUSK_OK;
}

const char *proxy_method_name(uint8_t method)
{
	switch (method) {
	case PROXY_METHOD_GET:
		return "GET";
	case PROXY_METHOD_POST:
		return "POST";
	default:
		return NULL;
	}
}

int proxy_parse_request(const struct proxy_frame *f, struct proxy_request *r)
{
	size_t path_len;

	if (!f || !r || f->type != PROXY_T_REQUEST)
		return HUSK_ERR_INVAL;
	if (f->length < PROXY_REQUEST_PAYLOAD_MIN || f->length > PROXY_REQUEST_PAYLOAD_MAX)
		return HUSK_ERR_FORMAT;
	path_len = f->payload[1];
	if (!proxy_method_name(f->payload[0]) || 2 + path_len > f->length ||
	    !proxy_path_valid((const char *)f->payload + 2, path_len))
		return HUSK_ERR_FORMAT;
	if (f->length - 2 - path_len > PROXY_BODY_MAX)
		return HUSK_ERR_FORMAT;
	r->method = f->payload[0];
	r->path = (const char *)f->payload + 2;
	r->path_len = path_len;
	r->body = f->payload + 2 + path_len;
	r->body_len = f->length - 2 - path_len;
	return HUSK_OK;
}

int proxy_parse_response(const struct proxy_frame *f, struct proxy_response *r)
{
	uint16_t status;

	if (!f || !r || f->type != PROXY_T_RESPONSE)
		return HUSK_ERR_INVAL;
	if (f->length < 2 || f->length > PROXY_RESPONSE_PAYLOAD_MAX)
		return HUSK_ERR_FORMAT;
	status = get16(f->payload);
	if (status < 100 || status > 599)
		return HUSK_ERR_FORMAT;
	r->status = status;
	r->body = f->payload + 2;
	r->body_len = f->length - 2;
	return HUSK_OK;
}

int proxy_parse_error(const struct proxy_frame *f, struct proxy_error *e)
{
	uint16_t code;

	if (!f || !e || f->type != PROXY_T_ERROR)
		return HUSK_ERR_INVAL;
	if (f->length < 2 || f->length > PROXY_ERROR_PAYLOAD_MAX)
		return HUSK_ERR_FORMAT;
	code = get16(f->payload);
	if (code == 0 || !proxy_text_valid((const char *)f->payload + 2, f->length - 2))
		return HUSK_ERR_FORMAT;
	e->code = code;
	e->text = (const char *)f->payload + 2;
	e->text_len = f->length - 2;
	return HUSK_OK;
}
