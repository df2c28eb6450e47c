/* husk's end of the proxy link (proxy_client.h; the rules are docs/proxy.md,
 * "Sessions and sequence numbers"): HELLO handshake, one REQUEST at a time,
 * answers matched by session and sequence number, retransmission of the
 * same frame after silence. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "husk/err.h"
#include "proxy/proxy.h"
#include "proxy/proxy_client.h"

int proxy_client_init(struct proxy_client *c, const struct proxy_io *io,
		      const struct proxy_client_cfg *cfg, uint64_t session)
{
	struct proxy_client_cfg k = cfg ? *cfg : PROXY_CLIENT_CFG_DEFAULT;

	if (!c || !io || !io->write || !io->read || !io->now_ms || session == 0)
		return HUSK_ERR_INVAL;
	if (!k.hello_timeout_ms || !k.hello_attempts || !k.response_timeout_ms ||
	    !k.request_attempts || !k.poll_ms)
		return HUSK_ERR_INVAL;
	c->io = *io;
	c->cfg = k;
	c->session = session;
	c->seq = 0;
	c->established = false;
	c->last_error = 0;
	c->last_error_text[0] = '\0';
	c->stats = (struct proxy_client_stats){ 0 };
	c->carry_off = 0;
	c->carry_len = 0;
	proxy_decoder_init(&c->dec);
	return HUSK_OK;
}

/* Before each send: a partial frame held now belongs to an earlier answer,
 * perhaps one cut off by a proxy that restarted; waiting for the rest of it
 * could swallow the answer to come. */
static void proxy_client_flush_rx(struct proxy_client *c)
{
	proxy_decoder_reset(&c->dec);
	c->carry_off = 0;
	c->carry_len = 0;
}

/* Waits up to timeout_ms for the frame answering (session, seq): of type
 * want, or an ERROR.  Every other valid frame is stale and ignored. */
static int proxy_client_wait(struct proxy_client *c, uint32_t seq, uint16_t want,
			     uint32_t timeout_ms, struct proxy_frame *f)
{
	uint64_t start = c->io.now_ms(c->io.ctx);

	for (;;) {
		uint64_t now, elapsed;
		size_t used, got = 0;
		uint32_t wait;

		/* Also with nothing left to feed: the decoder may hold a
		 * frame that followed the last one returned. */
		if (proxy_decoder_feed(&c->dec, c->carry + c->carry_off,
				       c->carry_len - c->carry_off, &used, f)) {
			c->carry_off += used;
			if (f->session == c->session && f->seq == seq &&
			    (f->type == want || f->type == PROXY_T_ERROR))
				return HUSK_OK;
			c->stats.stale++;
			continue;
		}
		c->carry_off = 0;
		c->carry_len = 0;

		now = c->io.now_ms(c->io.ctx);
		elapsed = now > start ? now - start : 0;
		if (elapsed >= timeout_ms)
			return HUSK_ERR_TIMEOUT;
		wait = (uint32_t)HUSK_MIN((uint64_t)c->cfg.poll_ms, timeout_ms - elapsed);
		if (c->io.read(c->io.ctx, c->carry, sizeof(c->carry), &got, wait) != 0)
			return HUSK_ERR_IO;
		if (got > sizeof(c->carry))
			return HUSK_ERR_IO;
		c->carry_len = got;
	}
}

/* An ERROR answer: remember it for the caller's log and map it. */
static int proxy_client_error(struct proxy_client *c, const struct proxy_frame *f)
{
	struct proxy_error e;

	if (proxy_parse_error(f, &e) != 0)
		return HUSK_ERR_FORMAT;
	c->stats.errors++;
	c->last_error = e.code;
	memcpy(c->last_error_text, e.text, e.text_len);
	c->last_error_text[e.text_len] = '\0';
	switch (e.code) {
	case PROXY_ERROR_NO_SESSION:
		/* The proxy restarted and lost our HELLO: the next exchange
		 * starts a new one (and the caller's KBS conversation with it). */
		c->established = false;
		return HUSK_ERR_IO;
	case PROXY_ERROR_TOO_LARGE:
		return HUSK_ERR_RANGE;
	default:
		return HUSK_ERR_IO;
	}
}

int proxy_client_hello(struct proxy_client *c)
{
	if (!c)
		return HUSK_ERR_INVAL;
	c->established = false;
	for (uint32_t attempt = 0; attempt < c->cfg.hello_attempts; attempt++) {
		struct proxy_frame f;
		size_t len;
		uint32_t seq;
		int rc;

		/* A new sequence number per HELLO: a late ACK of an earlier
		 * one is then told apart, as the rules want. */
		if (c->seq == UINT32_MAX)
			return HUSK_ERR_RANGE;
		seq = ++c->seq;
		rc = proxy_encode_hello(c->head, sizeof(c->head), c->session, seq, &len);
		if (rc)
			return rc;
		proxy_client_flush_rx(c);
		c->stats.hellos++;
		if (c->io.write(c->io.ctx, c->head, len) != 0)
			return HUSK_ERR_IO;
		rc = proxy_client_wait(c, seq, PROXY_T_HELLO_ACK, c->cfg.hello_timeout_ms, &f);
		if (rc == HUSK_ERR_TIMEOUT)
			continue;
		if (rc)
			return rc;
		if (f.type == PROXY_T_ERROR) {
			rc = proxy_client_error(c, &f);
			return rc == HUSK_ERR_FORMAT ? rc : HUSK_ERR_IO;
		}
		c->established = true;
		return HUSK_OK;
	}
	return HUSK_ERR_TIMEOUT;
}

int proxy_client_exchange(struct proxy_client *c, const char *method, const char *path,
			  const uint8_t *body, size_t body_len, uint16_t *status, uint8_t *rsp,
			  size_t rsp_max, size_t *rsp_len)
{
	size_t path_len, head_len;
	uint8_t m;
	uint32_t seq;
	int rc;

	if (!c || !method || !path || !status || !rsp_len || (body_len && !body) ||
	    (rsp_max && !rsp))
		return HUSK_ERR_INVAL;
	*status = 0;
	*rsp_len = 0;
	rc = proxy_method_from_name(method, &m);
	if (rc)
		return rc;
	path_len = strnlen(path, PROXY_PATH_MAX + 1);
	if (path_len > PROXY_PATH_MAX || body_len > PROXY_BODY_MAX)
		return HUSK_ERR_RANGE;
	if (!proxy_path_valid(path, path_len))
		return HUSK_ERR_INVAL;

	if (!c->established) {
		rc = proxy_client_hello(c);
		if (rc)
			return rc;
	}
	if (c->seq == UINT32_MAX)
		return HUSK_ERR_RANGE;
	seq = ++c->seq;
	rc = proxy_encode_request_head(c->head, sizeof(c->head), c->session, seq, m, path,
				       path_len, body, body_len, &head_len);
	if (rc)
		return rc;

	/* Resends carry the same sequence number: the proxy answers a
	 * duplicate from its cache instead of asking the KBS twice. */
	for (uint32_t attempt = 0; attempt < c->cfg.request_attempts; attempt++) {
		struct proxy_response r;
		struct proxy_frame f;

		proxy_client_flush_rx(c);
		c->stats.requests++;
		if (attempt)
			c->stats.retransmits++;
		if (c->io.write(c->io.ctx, c->head, head_len) != 0 ||
		    (body_len && c->io.write(c->io.ctx, body, body_len) != 0))
			return HUSK_ERR_IO;
		rc = proxy_client_wait(c, seq, PROXY_T_RESPONSE, c->cfg.response_timeout_ms, &f);
		if (rc == HUSK_ERR_TIMEOUT)
			continue;
		if (rc)
			return rc;
		if (f.type == PROXY_T_ERROR)
			return proxy_client_error(c, &f);
		if (proxy_parse_response(&f, &r) != 0)
			return HUSK_ERR_FORMAT;
		*status = r.status;
		if (r.body_len > rsp_max)
			return HUSK_ERR_RANGE;
		if (r.body_len)
			memcpy(rsp, r.body, r.body_len);
		*rsp_len = r.body_len;
		return HUSK_OK;
	}
	return HUSK_ERR_TIMEOUT;
}
