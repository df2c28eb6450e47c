/* husk-kbs-proxy: the untrusted host process between husk and a Key Broker
 * Service.  husk has no network stack; its KBS client sends HTTP exchanges
 * as frames (include/husk/proxy_wire.h) over its COM3 UART, which QEMU
 * connects to a UNIX socket.  This program reads those frames, performs
 * each request against --url with libcurl, keeps the KBS session cookie in
 * a jar that a HELLO empties, and answers RESPONSE or ERROR.
 *
 * It holds no secret and checks nothing cryptographic: husk verifies what
 * it gets back, so a proxy that lies only makes the exchange fail.  It runs
 * until killed, across husk reboots and QEMU restarts (docs/proxy.md). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "husk/err.h"
#include "proxy/proxy.h"

#include "http.h"

#define PROG "husk-kbs-proxy"
/* How long a write to a VM that does not drain its UART may block. */
#define SEND_TIMEOUT_MS 10000
#define RECONNECT_MS 1000

struct opts {
	const char *socket_path;
	bool connect;
	char url[2048];
	const char *cacert;
	long timeout_s;
	long frame_timeout_ms;
	bool verbose;
};

/* The session: the last HELLO's number, the last sequence number handled
 * and the answer sent to it, resent if the same frame comes again. */
struct session {
	bool active;
	uint64_t id;
	uint32_t last_seq;
	uint16_t cached_for; /* type of the frame the cached answer answers */
	size_t cached_len;
	uint8_t cached[PROXY_FRAME_MAX];
};

static struct opts opt = { .timeout_s = 30, .frame_timeout_ms = 2000 };
static struct session sess;
static struct proxy_decoder dec;
static struct http_result hres;
static uint8_t out[PROXY_FRAME_MAX];
static uint8_t rxbuf[65536];
static volatile sig_atomic_t stop;

static void vlog(const char *fmt, ...) HUSK_PRINTF(1, 2);
static void vlog(const char *fmt, ...)
{
	va_list ap;

	if (!opt.verbose)
		return;
	va_start(ap, fmt);
	fputs(PROG ": ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void on_signal(int sig)
{
	stop = 1;
}

/* ---- socket ---- */

static int unix_addr(struct sockaddr_un *sa, const char *path)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path)) {
		fprintf(stderr, PROG ": socket path too long (max %zu): %s\n",
			sizeof(sa->sun_path) - 1, path);
		return HUSK_ERR_RANGE;
	}
	strcpy(sa->sun_path, path);
	return 0;
}

/* Listen mode: a socket file left by an earlier run is removed only if it
 * is a socket nobody answers on; any other file is left alone. */
static int listen_socket(const char *path, int *fd)
{
	struct sockaddr_un sa;
	struct stat st;
	int s;

	if (unix_addr(&sa, path))
		return HUSK_ERR_RANGE;
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			fprintf(stderr, PROG ": %s exists and is not a socket\n", path);
			return HUSK_ERR_EXISTS;
		}
		s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (s >= 0 && connect(s, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			close(s);
			fprintf(stderr, PROG ": %s is in use by another process\n", path);
			return HUSK_ERR_BUSY;
		}
		if (s >= 0)
			close(s);
		unlink(path);
	}
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(s, 4) != 0) {
		fprintf(stderr, PROG ": cannot listen on %s: %s\n", path, strerror(errno));
		if (s >= 0)
			close(s);
		return HUSK_ERR_IO;
	}
	*fd = s;
	return 0;
}

static int connect_socket(const char *path)
{
	struct sockaddr_un sa;
	int s;

	if (unix_addr(&sa, path))
		return -1;
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -1;
	/* A UNIX socket connects at once or fails at once. */
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(s);
		return -1;
	}
	return s;
}

static int send_all(int fd, const uint8_t *buf, size_t len)
{
	uint64_t deadline = now_ms() + SEND_TIMEOUT_MS;

	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n > 0) {
			buf += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			return HUSK_ERR_IO;
		uint64_t now = now_ms();
		if (now >= deadline)
			return HUSK_ERR_TIMEOUT;
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		(void)poll(&p, 1, (int)(deadline - now));
	}
	return 0;
}

/* ---- frames ---- */

static int send_cached(int fd, uint16_t answers, size_t len)
{
	memcpy(sess.cached, out, len);
	sess.cached_len = len;
	sess.cached_for = answers;
	return send_all(fd, out, len);
}

static int answer_error(int fd, const struct proxy_frame *f, uint16_t code, const char *text,
			bool cache)
{
	size_t len;

	if (proxy_encode_error(out, sizeof(out), f->session, f->seq, code, text, strlen(text),
			       &len) != 0)
		return HUSK_ERR_INVAL;
	return cache ? send_cached(fd, f->type, len) : send_all(fd, out, len);
}

static const char *error_name(uint16_t code)
{
	switch (code) {
	case PROXY_ERROR_NO_SESSION:
		return "no-session";
	case PROXY_ERROR_BAD_REQUEST:
		return "bad-request";
	case PROXY_ERROR_TRANSPORT:
		return "transport";
	case PROXY_ERROR_TOO_LARGE:
		return "too-large";
	default:
		return "error";
	}
}

/* Where a frame stands against the session: new, the one just answered
 * (a retransmission), or older than that (stale, dropped). */
enum seq_verdict { SEQ_NEW, SEQ_DUPLICATE, SEQ_STALE };

static enum seq_verdict seq_check(const struct proxy_frame *f)
{
	if (f->seq == sess.last_seq)
		return sess.cached_for == f->type ? SEQ_DUPLICATE : SEQ_STALE;
	return f->seq > sess.last_seq ? SEQ_NEW : SEQ_STALE;
}

static int on_hello(int fd, const struct proxy_frame *f)
{
	size_t len;

	if (sess.active && sess.id == f->session) {
		enum seq_verdict v = seq_check(f);

		if (v == SEQ_DUPLICATE) {
			vlog("HELLO seq %" PRIu32 " again: same answer", f->seq);
			return send_all(fd, sess.cached, sess.cached_len);
		}
		if (v == SEQ_STALE) {
			vlog("stale HELLO seq %" PRIu32 " dropped", f->seq);
			return 0;
		}
	}
	/* A new boot of husk, or husk starting its KBS conversation over:
	 * whatever session cookie the jar held must not leak into it. */
	http_new_jar();
	sess.active = true;
	sess.id = f->session;
	sess.last_seq = f->seq;
	fprintf(stderr, PROG ": HELLO session %016" PRIx64 " seq %" PRIu32 ": new cookie jar\n",
		f->session, f->seq);
	if (proxy_encode_hello_ack(out, sizeof(out), f->session, f->seq, &len) != 0)
		return HUSK_ERR_INVAL;
	return send_cached(fd, f->type, len);
}

static int on_request(int fd, const struct proxy_frame *f)
{
	struct proxy_request r;
	uint64_t t0 = now_ms();
	const char *m;
	size_t len;
	int rc;

	if (!sess.active || sess.id != f->session) {
		/* Not cached and no state change: it may be a frame of a
		 * previous boot, and husk starts over when it gets this. */
		fprintf(stderr, PROG ": REQUEST of unknown session %016" PRIx64 ": no-session\n",
			f->session);
		return answer_error(fd, f, PROXY_ERROR_NO_SESSION, "no session: send HELLO", false);
	}
	switch (seq_check(f)) {
	case SEQ_DUPLICATE:
		vlog("REQUEST seq %" PRIu32 " again: same answer, no new HTTP request", f->seq);
		return send_all(fd, sess.cached, sess.cached_len);
	case SEQ_STALE:
		vlog("stale REQUEST seq %" PRIu32 " dropped", f->seq);
		return 0;
	case SEQ_NEW:
		break;
	}
	sess.last_seq = f->seq;
	if (proxy_parse_request(f, &r) != 0) {
		fprintf(stderr, PROG ": malformed REQUEST seq %" PRIu32 ": bad-request\n", f->seq);
		return answer_error(fd, f, PROXY_ERROR_BAD_REQUEST, "malformed request", true);
	}
	m = proxy_method_name(r.method);
	http_exchange(r.method, r.path, r.path_len, r.body, r.body_len, &hres);
	if (hres.error) {
		fprintf(stderr, PROG ": %s %.*s -> ERROR %s (%s), 0 bytes, %" PRIu64 " ms\n", m,
			(int)r.path_len, r.path, error_name(hres.error), hres.text, now_ms() - t0);
		return answer_error(fd, f, hres.error, hres.text, true);
	}
	fprintf(stderr, PROG ": %s %.*s -> %u, %zu bytes, %" PRIu64 " ms\n", m, (int)r.path_len,
		r.path, hres.status, hres.body_len, now_ms() - t0);
	rc = proxy_encode_response(out, sizeof(out), f->session, f->seq, hres.status, hres.body,
				   hres.body_len, &len);
	if (rc)
		return rc;
	return send_cached(fd, f->type, len);
}

static int on_frame(int fd, const struct proxy_frame *f)
{
	switch (f->type) {
	case PROXY_T_HELLO:
		return on_hello(fd, f);
	case PROXY_T_REQUEST:
		return on_request(fd, f);
	default:
		/* Frames of the other direction: an echo or a confused peer. */
		vlog("frame of type %u ignored", f->type);
		return 0;
	}
}

/* Feeds what arrived; an error means the connection is no use any more. */
static int on_bytes(int fd, const uint8_t *buf, size_t n)
{
	struct proxy_frame f;
	size_t used;
	uint64_t garbage = dec.stats.garbage;

	for (;;) {
		bool got = proxy_decoder_feed(&dec, buf, n, &used, &f);

		buf += used;
		n -= used;
		if (!got)
			break;
		if (on_frame(fd, &f) != 0)
			return HUSK_ERR_IO;
	}
	if (dec.stats.garbage != garbage)
		vlog("%" PRIu64 " bytes of garbage skipped", dec.stats.garbage - garbage);
	return 0;
}

/* ---- main loop ---- */

static void drop_conn(int *conn, const char *why)
{
	fprintf(stderr, PROG ": connection closed (%s)\n", why);
	close(*conn);
	*conn = -1;
	/* A new connection is a new byte stream: no partial frame carries over.
	 * The session stays: it belongs to the HELLO, not to the connection. */
	proxy_decoder_reset(&dec);
}

static int serve(void)
{
	int lfd = -1, conn = -1;
	uint64_t last_rx = 0, next_try = 0;
	bool waiting_logged = false;

	if (!opt.connect) {
		if (listen_socket(opt.socket_path, &lfd))
			return 1;
		fprintf(stderr, PROG ": listening on %s, forwarding to %s\n", opt.socket_path, opt.url);
	} else {
		fprintf(stderr, PROG ": connecting to %s, forwarding to %s\n", opt.socket_path,
			opt.url);
	}

	while (!stop) {
		struct pollfd p[2];
		int np = 0, timeout = 250;

		if (opt.connect && conn < 0 && now_ms() >= next_try) {
			conn = connect_socket(opt.socket_path);
			if (conn >= 0) {
				fprintf(stderr, PROG ": connected to %s\n", opt.socket_path);
				waiting_logged = false;
			} else {
				if (!waiting_logged)
					fprintf(stderr, PROG ": waiting for %s\n", opt.socket_path);
				waiting_logged = true;
				next_try = now_ms() + RECONNECT_MS;
			}
		}
		if (lfd >= 0)
			p[np++] = (struct pollfd){ .fd = lfd, .events = POLLIN };
		if (conn >= 0)
			p[np++] = (struct pollfd){ .fd = conn, .events = POLLIN };
		if (np == 0) {
			usleep(100 * 1000);
			continue;
		}
		if (poll(p, (nfds_t)np, timeout) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, PROG ": poll: %s\n", strerror(errno));
			break;
		}
		for (int i = 0; i < np; i++) {
			if (p[i].fd == lfd && (p[i].revents & POLLIN)) {
				int c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

				if (c < 0)
					continue;
				/* One VM per socket: a new connection means the
				 * VM's QEMU came back; the old one is dead. */
				if (conn >= 0)
					drop_conn(&conn, "replaced by a new connection");
				conn = c;
				fprintf(stderr, PROG ": connection accepted\n");
			} else if (p[i].fd == conn && (p[i].revents & (POLLIN | POLLHUP | POLLERR))) {
				ssize_t n = recv(conn, rxbuf, sizeof(rxbuf), 0);

				if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
					drop_conn(&conn, n == 0 ? "end of stream" : strerror(errno));
					continue;
				}
				if (n < 0)
					continue;
				last_rx = now_ms();
				if (on_bytes(conn, rxbuf, (size_t)n) != 0)
					drop_conn(&conn, "write failed");
			}
		}
		/* A frame started and never finished: its sender restarted.
		 * Waiting for the rest would swallow the frames that follow. */
		if (proxy_decoder_buffered(&dec) &&
		    now_ms() - last_rx >= (uint64_t)opt.frame_timeout_ms) {
			vlog("partial frame of %zu bytes dropped after %ld ms of silence",
			     proxy_decoder_buffered(&dec), opt.frame_timeout_ms);
			proxy_decoder_reset(&dec);
		}
	}
	if (conn >= 0)
		close(conn);
	if (lfd >= 0) {
		close(lfd);
		unlink(opt.socket_path);
	}
	fprintf(stderr, PROG ": stopped\n");
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: " PROG " --socket PATH --url URL [options]\n"
		"Forwards husk's KBS HTTP exchanges (framed on husk's COM3 serial port)\n"
		"to a Key Broker Service.  See docs/proxy.md.\n"
		"  --socket PATH       UNIX socket of the link; listened on (QEMU connects:\n"
		"                      -chardev socket,id=kbs,path=PATH,reconnect=1)\n"
		"  --connect           connect to PATH instead (QEMU listens: server=on,wait=off);\n"
		"                      retried every second while it is absent\n"
		"  --url URL           the KBS base URL, http:// or https://\n"
		"                      (request paths such as /kbs/v0/auth are appended)\n"
		"  --cacert FILE       CA certificates for an https KBS (default: the system's)\n"
		"  --timeout S         limit per HTTP exchange, seconds (default 30)\n"
		"  --frame-timeout MS  drop a partial frame after MS ms of silence (default 2000)\n"
		"  -v, --verbose       log frames, duplicates and garbage too\n"
		"  -h, --help          this text\n");
}

static bool url_ok(const char *u)
{
	size_t n = strlen(u);

	if (strncmp(u, "http://", 7) != 0 && strncmp(u, "https://", 8) != 0)
		return false;
	if (n >= sizeof(opt.url) - PROXY_PATH_MAX - 1)
		return false;
	for (size_t i = 0; i < n; i++) {
		if ((unsigned char)u[i] <= 0x20 || (unsigned char)u[i] >= 0x7f)
			return false;
	}
	return true;
}

static bool parse_long(const char *s, long lo, long hi, long *v)
{
	char *end;
	long x;

	errno = 0;
	x = strtol(s, &end, 10);
	if (errno || end == s || *end || x < lo || x > hi)
		return false;
	*v = x;
	return true;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "connect", no_argument, NULL, 'c' },
		{ "url", required_argument, NULL, 'u' },
		{ "cacert", required_argument, NULL, 'a' },
		{ "timeout", required_argument, NULL, 't' },
		{ "frame-timeout", required_argument, NULL, 'f' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *url = NULL;
	struct http_cfg hcfg;
	struct sigaction sa;
	int c, rc;

	while ((c = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			opt.socket_path = optarg;
			break;
		case 'c':
			opt.connect = true;
			break;
		case 'u':
			url = optarg;
			break;
		case 'a':
			opt.cacert = optarg;
			break;
		case 't':
			if (!parse_long(optarg, 1, 3600, &opt.timeout_s)) {
				fprintf(stderr, PROG ": --timeout wants 1..3600 seconds\n");
				return 2;
			}
			break;
		case 'f':
			if (!parse_long(optarg, 10, 600000, &opt.frame_timeout_ms)) {
				fprintf(stderr, PROG ": --frame-timeout wants 10..600000 ms\n");
				return 2;
			}
			break;
		case 'v':
			opt.verbose = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || !opt.socket_path || !url) {
		usage(stderr);
		return 2;
	}
	if (!url_ok(url)) {
		fprintf(stderr, PROG ": --url must be http:// or https:// without spaces: %s\n", url);
		return 2;
	}
	/* Paths start with '/': the base keeps none of its own at the end. */
	strcpy(opt.url, url);
	while (strlen(opt.url) > 8 && opt.url[strlen(opt.url) - 1] == '/')
		opt.url[strlen(opt.url) - 1] = '\0';

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	hcfg = (struct http_cfg){ .url = opt.url, .cacert = opt.cacert, .timeout_s = opt.timeout_s };
	if (http_init(&hcfg) != 0) {
		fprintf(stderr, PROG ": libcurl setup failed\n");
		http_fini();
		return 1;
	}
	proxy_decoder_init(&dec);
	rc = serve();
	http_fini();
	return rc;
}
