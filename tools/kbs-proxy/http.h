/* husk-kbs-proxy's HTTP side: one libcurl handle whose in-memory cookie
 * engine is the session's cookie jar (docs/proxy.md, "The proxy"). */
#ifndef KBS_PROXY_HTTP_H
#define KBS_PROXY_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "husk/proxy_wire.h"

struct http_cfg {
	const char *url;    /* base URL, http:// or https://, no trailing '/' */
	const char *cacert; /* CA bundle for https, NULL = the system's */
	long timeout_s;     /* whole exchange, connect included */
};

/* What one exchange gave: an HTTP answer (error == 0) or a reason it
 * could not (error = enum proxy_error_code, text says more). */
struct http_result {
	uint16_t status;
	size_t body_len;
	uint16_t error;
	char text[PROXY_ERROR_TEXT_MAX + 1];
	uint8_t body[PROXY_BODY_MAX];
};

int http_init(const struct http_cfg *cfg);
void http_fini(void);
/* Forgets every cookie: a new session starts with an empty jar. */
void http_new_jar(void);
/* method: enum proxy_method; path already validated (proxy_path_valid). */
void http_exchange(uint8_t method, const char *path, size_t path_len, const uint8_t *body,
		   size_t body_len, struct http_result *res);

#endif
