/* husk's end of the proxy link: one HTTP exchange with the KBS at a time,
 * carried as REQUEST/RESPONSE frames over an abstract byte channel (the COM3
 * UART in husk, an in-memory pipe in the tests).  It does the HELLO
 * handshake, ignores garbage and stale frames, retransmits on silence and
 * gives up with HUSK_ERR_TIMEOUT.  Nothing it receives is trusted: the
 * caller (lib/kbs) checks everything that matters cryptographically.
 *
 * Portable, no allocation; struct proxy_client is about 66 KiB (it holds a
 * frame decoder), so it belongs in static or heap memory. */
#ifndef HUSK_PROXY_CLIENT_H
#define HUSK_PROXY_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proxy/proxy.h"

/* The byte channel.  All three are required. */
struct proxy_io {
	void *ctx;
	/* Send all len bytes; 0, or an error code if the channel is dead. */
	int (*write)(void *ctx, const uint8_t *buf, size_t len);
	/* Receive up to max bytes, waiting at most wait_ms for the first one;
	 * *got = 0 when none came in time (not an error). */
	int (*read)(void *ctx, uint8_t *buf, size_t max, size_t *got, uint32_t wait_ms);
	/* A monotonic clock in milliseconds: bounds every wait, also against
	 * a peer that sends an endless stream of garbage. */
	uint64_t (*now_ms)(void *ctx);
};

struct proxy_client_cfg {
	uint32_t hello_timeout_ms;    /* wait for a HELLO_ACK, per HELLO sent */
	uint32_t hello_attempts;      /* HELLOs sent before giving up */
	uint32_t response_timeout_ms; /* wait for the answer, per REQUEST sent */
	uint32_t request_attempts;    /* sends of one REQUEST (same sequence number) */
	uint32_t poll_ms;             /* longest single read wait */
};

/* The answer wait exceeds husk-kbs-proxy's default HTTP timeout (30 s), so
 * that a retransmission means a lost frame, not a slow KBS. */
#define PROXY_CLIENT_CFG_DEFAULT                                                         \
	((struct proxy_client_cfg){ .hello_timeout_ms = 1000, .hello_attempts = 5,       \
				    .response_timeout_ms = 35000, .request_attempts = 3, \
				    .poll_ms = 20 })

struct proxy_client_stats {
	uint64_t hellos;        /* HELLO frames sent */
	uint64_t requests;      /* REQUEST frames sent, retransmissions included */
	uint64_t retransmits;   /* of those, resends after silence */
	uint64_t stale;         /* valid frames ignored: other session, sequence or type */
	uint64_t errors;        /* ERROR answers */
};

struct proxy_client {
	struct proxy_io io;
	struct proxy_client_cfg cfg;
	uint64_t session;
	uint32_t seq;     /* the last sequence number sent */
	bool established; /* the proxy acknowledged a HELLO of this session */
	/* The last ERROR answer, for the caller's log: code (0 if none) and
	 * its text, printable ASCII, NUL-terminated. */
	uint16_t last_error;
	char last_error_text[PROXY_ERROR_TEXT_MAX + 1];
	struct proxy_client_stats stats;
	/* Bytes read but not yet fed, kept so that nothing after an answer
	 * is lost when the answer returns. */
	size_t carry_off, carry_len;
	uint8_t carry[256];
	uint8_t head[PROXY_REQUEST_HEAD_MAX];
	struct proxy_decoder dec;
};

/* session: a random, non-zero number drawn by the caller for this boot; it
 * names every frame, so answers meant for an earlier boot are ignored.
 * cfg NULL = PROXY_CLIENT_CFG_DEFAULT.  HUSK_ERR_INVAL for session 0, a
 * missing callback or a zero timeout or attempt count. */
int proxy_client_init(struct proxy_client *c, const struct proxy_io *io,
		      const struct proxy_client_cfg *cfg, uint64_t session);

/* Starts the session again: the proxy answers with a fresh cookie jar.
 * proxy_client_exchange calls it when no session is established yet, or
 * after the proxy said it had none (it restarted).  HUSK_ERR_TIMEOUT if no
 * HELLO_ACK came, HUSK_ERR_IO if the channel failed or the proxy answered
 * with an ERROR. */
int proxy_client_hello(struct proxy_client *c);

/* One HTTP exchange: method "GET" or "POST", path (NUL-terminated, see
 * proxy_path_valid), body of body_len bytes (POSTs go out with Content-Type
 * application/json).  On HUSK_OK, *status is the HTTP status (100..599, any
 * of them: the caller judges it) and rsp[0..*rsp_len) the body.
 * Errors: HUSK_ERR_INVAL / HUSK_ERR_UNSUPPORTED / HUSK_ERR_RANGE for bad
 * arguments (an unknown method, a path over PROXY_PATH_MAX, a body over
 * PROXY_BODY_MAX); HUSK_ERR_RANGE with *status set if the body exceeds
 * rsp_max, or if the proxy reported an HTTP body over PROXY_BODY_MAX;
 * HUSK_ERR_IO for a dead channel or an ERROR answer (c->last_error says
 * which); HUSK_ERR_FORMAT for an answer whose payload breaks the rules;
 * HUSK_ERR_TIMEOUT when no answer came after every attempt.  After an
 * error the KBS conversation should start over (a new cookie jar may be in
 * use). */
int proxy_client_exchange(struct proxy_client *c, const char *method, const char *path,
			  const uint8_t *body, size_t body_len, uint16_t *status, uint8_t *rsp,
			  size_t rsp_max, size_t *rsp_len);

#endif
