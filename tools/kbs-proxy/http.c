/* husk-kbs-proxy's HTTP side over libcurl (http.h).  The proxy is a plain
 * forwarder: no redirects followed, no content decoding, the body passed on
 * byte for byte, and nothing cut to fit: a body over PROXY_BODY_MAX becomes
 * an ERROR, never a truncated RESPONSE. */
#include <curl/curl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "husk/err.h"
#include "proxy/proxy.h"

#include "http.h"

static CURL *http_curl;
static struct curl_slist *http_json_headers;
static const struct http_cfg *http_cfg;

struct http_sink {
	struct http_result *res;
	bool overflow;
};

static size_t http_write(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct http_sink *sink = ctx;
	size_t n = size * nmemb;

	if (n > PROXY_BODY_MAX - sink->res->body_len) {
		sink->overflow = true;
		return 0; /* makes curl stop with CURLE_WRITE_ERROR */
	}
	memcpy(sink->res->body + sink->res->body_len, data, n);
	sink->res->body_len += n;
	return n;
}

int http_init(const struct http_cfg *cfg)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return HUSK_ERR_IO;
	http_curl = curl_easy_init();
	if (!http_curl)
		return HUSK_ERR_NOMEM;
	http_cfg = cfg;
	/* "Expect:" off: no 100-continue round trip before larger bodies. */
	http_json_headers = curl_slist_append(NULL, "Content-Type: application/json");
	if (http_json_headers)
		http_json_headers = curl_slist_append(http_json_headers, "Expect:");
	if (!http_json_headers)
		return HUSK_ERR_NOMEM;
	/* An empty cookie file name turns on the in-memory cookie engine
	 * without reading any file: the jar lives and dies with the session. */
	if (curl_easy_setopt(http_curl, CURLOPT_COOKIEFILE, "") != CURLE_OK ||
	    curl_easy_setopt(http_curl, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(http_curl, CURLOPT_TIMEOUT, cfg->timeout_s) != CURLE_OK ||
	    curl_easy_setopt(http_curl, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
	    curl_easy_setopt(http_curl, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
	    curl_easy_setopt(http_curl, CURLOPT_MAXFILESIZE_LARGE,
			     (curl_off_t)PROXY_BODY_MAX) != CURLE_OK ||
	    curl_easy_setopt(http_curl, CURLOPT_USERAGENT, "husk-kbs-proxy/1") != CURLE_OK ||
	    curl_easy_setopt(http_curl, CURLOPT_WRITEFUNCTION, http_write) != CURLE_OK)
		return HUSK_ERR_IO;
	if (cfg->cacert && curl_easy_setopt(http_curl, CURLOPT_CAINFO, cfg->cacert) != CURLE_OK)
		return HUSK_ERR_IO;
	return HUSK_OK;
}

void http_fini(void)
{
	if (http_curl)
		curl_easy_cleanup(http_curl);
	curl_slist_free_all(http_json_headers);
	http_curl = NULL;
	http_json_headers = NULL;
	curl_global_cleanup();
}

void http_new_jar(void)
{
	curl_easy_setopt(http_curl, CURLOPT_COOKIELIST, "ALL");
}

/* The text of an ERROR: printable ASCII only, within the limit. */
static void http_fail(struct http_result *res, uint16_t code, const char *what)
{
	size_t n = 0;

	res->error = code;
	res->status = 0;
	res->body_len = 0;
	for (; what[n] && n < PROXY_ERROR_TEXT_MAX; n++)
		res->text[n] = (what[n] >= 0x20 && what[n] <= 0x7e) ? what[n] : '?';
	res->text[n] = '\0';
}

void http_exchange(uint8_t method, const char *path, size_t path_len, const uint8_t *body,
		   size_t body_len, struct http_result *res)
{
	static const char empty[1];
	struct http_sink sink = { res, false };
	char url[4096], err[CURL_ERROR_SIZE];
	size_t base = strlen(http_cfg->url);
	long code = 0;
	CURLcode rc;

	res->status = 0;
	res->body_len = 0;
	res->error = 0;
	res->text[0] = '\0';
	if (base + path_len >= sizeof(url)) {
		http_fail(res, PROXY_ERROR_BAD_REQUEST, "URL too long");
		return;
	}
	memcpy(url, http_cfg->url, base);
	memcpy(url + base, path, path_len);
	url[base + path_len] = '\0';
	err[0] = '\0';

	curl_easy_setopt(http_curl, CURLOPT_URL, url);
	curl_easy_setopt(http_curl, CURLOPT_WRITEDATA, &sink);
	curl_easy_setopt(http_curl, CURLOPT_ERRORBUFFER, err);
	curl_easy_setopt(http_curl, CURLOPT_CUSTOMREQUEST, NULL);
	if (method == PROXY_METHOD_GET && body_len == 0) {
		curl_easy_setopt(http_curl, CURLOPT_HTTPGET, 1L);
		curl_easy_setopt(http_curl, CURLOPT_HTTPHEADER, NULL);
	} else {
		/* POST, or a GET with a body (Trustee's pkcs11 unwrap is one):
		 * the body goes out as given, declared JSON like every KBS body.
		 * A zero-length POST needs a non-NULL pointer and size 0. */
		curl_easy_setopt(http_curl, CURLOPT_POST, 1L);
		curl_easy_setopt(http_curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
		curl_easy_setopt(http_curl, CURLOPT_POSTFIELDS, body_len ? (const char *)body : empty);
		curl_easy_setopt(http_curl, CURLOPT_HTTPHEADER, http_json_headers);
		if (method == PROXY_METHOD_GET)
			curl_easy_setopt(http_curl, CURLOPT_CUSTOMREQUEST, "GET");
	}

	rc = curl_easy_perform(http_curl);
	curl_easy_setopt(http_curl, CURLOPT_ERRORBUFFER, NULL);
	if (sink.overflow || rc == CURLE_FILESIZE_EXCEEDED) {
		char text[96];

		snprintf(text, sizeof(text), "response body over %u bytes", PROXY_BODY_MAX);
		http_fail(res, PROXY_ERROR_TOO_LARGE, text);
		return;
	}
	if (rc != CURLE_OK) {
		http_fail(res, PROXY_ERROR_TRANSPORT, err[0] ? err : curl_easy_strerror(rc));
		return;
	}
	curl_easy_getinfo(http_curl, CURLINFO_RESPONSE_CODE, &code);
	if (code < 100 || code > 599) {
		http_fail(res, PROXY_ERROR_TRANSPORT, "no valid HTTP status");
		return;
	}
	res->status = (uint16_t)code;
}
