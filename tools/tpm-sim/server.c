/* husk-tpm-sim's event loop (see server.h). */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "husk/err.h"

#include "net.h"
#include "proto.h"
#include "server.h"

struct conn {
	int fd; /* -1: slot free */
	proto_handler handler;
	const char *chan;
	uint64_t last_active_ms;
	uint64_t partial_since_ms; /* 0: no incomplete message buffered */
	size_t len;
	uint8_t buf[PROTO_MSG_MAX];
};

struct listener {
	int fd;
	uint16_t port;
	proto_handler handler;
	const char *chan;
};

struct server {
	struct sim *sim;
	const char *pidfile; /* set once written */
	struct listener listeners[2];
	struct conn conns[SERVER_MAX_CONNS];
};

static void conn_close(struct conn *c, const char *why)
{
	if (why)
		sim_log("%s: %s; connection closed", c->chan, why);
	close(c->fd);
	c->fd = -1;
	c->len = 0;
	c->partial_since_ms = 0;
}

static void server_accept(struct server *srv, struct listener *l)
{
	struct conn *slot = NULL;
	int one = 1;
	int fd;

	fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return; /* EAGAIN, or a client that already left */
	for (size_t i = 0; i < SERVER_MAX_CONNS; i++) {
		struct conn *c = &srv->conns[i];

		if (c->fd < 0) {
			slot = c;
			break;
		}
		if (!slot || c->last_active_ms < slot->last_active_ms)
			slot = c;
	}
	if (slot->fd >= 0)
		conn_close(slot, "too many connections, dropping the least recently active");
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	slot->fd = fd;
	slot->handler = l->handler;
	slot->chan = l->chan;
	slot->len = 0;
	slot->partial_since_ms = 0;
	slot->last_active_ms = net_now_ms();
}

/* Hands complete messages to the channel's handler until only a partial
 * one (or nothing) is left. */
static void conn_dispatch(struct server *srv, struct conn *c)
{
	while (c->len > 0 && !srv->sim->stop_requested) {
		size_t used = 0;
		enum proto_result r = c->handler(srv->sim, c->fd, c->buf, c->len, &used);

		if (r == PROTO_CLOSE) {
			conn_close(c, NULL);
			return;
		}
		if (r == PROTO_NEED_MORE) {
			if (c->len >= sizeof(c->buf)) {
				/* Cannot happen with the handlers' limits; stay safe. */
				conn_close(c, "message larger than the buffer");
				return;
			}
			if (!c->partial_since_ms)
				c->partial_since_ms = net_now_ms();
			return;
		}
		if (used == 0 || used > c->len) {
			conn_close(c, "internal: handler consumed nothing");
			return;
		}
		memmove(c->buf, c->buf + used, c->len - used);
		c->len -= used;
		c->partial_since_ms = c->len ? net_now_ms() : 0;
	}
}

static void conn_readable(struct server *srv, struct conn *c)
{
	ssize_t n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);

	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		conn_close(c, strerror(errno));
		return;
	}
	if (n == 0) {
		if (c->len > 0) {
			char why[64];

			snprintf(why, sizeof(why), "client left inside a message (%zu bytes)",
				 c->len);
			conn_close(c, why);
		} else {
			conn_close(c, NULL);
		}
		return;
	}
	c->len += (size_t)n;
	c->last_active_ms = net_now_ms();
	conn_dispatch(srv, c);
}

/* Closes connections stuck inside a message; returns the poll timeout. */
static int server_expire(struct server *srv)
{
	uint64_t now = net_now_ms();
	uint64_t next = UINT64_MAX;

	for (size_t i = 0; i < SERVER_MAX_CONNS; i++) {
		struct conn *c = &srv->conns[i];
		uint64_t deadline;

		if (c->fd < 0 || !c->partial_since_ms)
			continue;
		deadline = c->partial_since_ms + SERVER_FRAME_TIMEOUT_MS;
		if (now >= deadline) {
			conn_close(c, "incomplete message timed out");
			continue;
		}
		if (deadline < next)
			next = deadline;
	}
	return next == UINT64_MAX ? -1 : (int)(next - now);
}

static int server_write_pidfile(const char *path)
{
	char tmp[4096];
	FILE *f;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return HUSK_ERR_INVAL;
	f = fopen(tmp, "w");
	if (!f || fprintf(f, "%ld\n", (long)getpid()) < 0 || fclose(f) != 0 ||
	    rename(tmp, path) != 0) {
		sim_log("cannot write pidfile %s: %s", path, strerror(errno));
		return HUSK_ERR_IO;
	}
	return 0;
}

int server_open(struct server **out, struct sim *s, const struct server_config *cfg)
{
	struct server *srv;
	int rc;

	srv = calloc(1, sizeof(*srv));
	if (!srv)
		return HUSK_ERR_NOMEM;
	srv->sim = s;
	for (size_t i = 0; i < SERVER_MAX_CONNS; i++)
		srv->conns[i].fd = -1;
	if (cfg->protocol == SERVER_SWTPM) {
		srv->listeners[0] = (struct listener){ -1, cfg->port, proto_swtpm_data, "swtpm" };
		srv->listeners[1] = (struct listener){ -1, cfg->port2, proto_swtpm_ctrl,
						       "swtpm-ctrl" };
	} else {
		srv->listeners[0] = (struct listener){ -1, cfg->port, proto_mssim_cmd, "mssim" };
		srv->listeners[1] = (struct listener){ -1, cfg->port2, proto_mssim_platform,
						       "mssim-platform" };
	}
	for (size_t i = 0; i < 2; i++) {
		rc = net_listen(srv->listeners[i].port, &srv->listeners[i].fd);
		if (rc != 0)
			goto fail;
	}
	if (cfg->pidfile) {
		rc = server_write_pidfile(cfg->pidfile);
		if (rc != 0)
			goto fail;
		srv->pidfile = cfg->pidfile;
	}
	*out = srv;
	return 0;

fail:
	server_close(srv);
	return rc;
}

void server_close(struct server *srv)
{
	if (!srv)
		return;
	for (size_t i = 0; i < SERVER_MAX_CONNS; i++) {
		if (srv->conns[i].fd >= 0)
			close(srv->conns[i].fd);
	}
	for (size_t i = 0; i < 2; i++) {
		if (srv->listeners[i].fd >= 0)
			close(srv->listeners[i].fd);
	}
	if (srv->pidfile)
		(void)unlink(srv->pidfile);
	free(srv);
}

int server_run(struct server *srv, volatile sig_atomic_t *quit, const sigset_t *wait_mask)
{
	struct pollfd pfd[2 + SERVER_MAX_CONNS];
	struct conn *pconn[2 + SERVER_MAX_CONNS];
	struct sim *s = srv->sim;

	sim_log("listening on 127.0.0.1:%u (%s) and 127.0.0.1:%u (%s), %s engine",
		srv->listeners[0].port, srv->listeners[0].chan, srv->listeners[1].port,
		srv->listeners[1].chan, s->be->name);

	while (!*quit && !s->stop_requested) {
		struct timespec ts, *tsp = NULL;
		nfds_t n = 0;
		int timeout = server_expire(srv);
		int ready;

		for (size_t i = 0; i < 2; i++) {
			pfd[n] = (struct pollfd){ .fd = srv->listeners[i].fd, .events = POLLIN };
			pconn[n++] = NULL;
		}
		for (size_t i = 0; i < SERVER_MAX_CONNS; i++) {
			if (srv->conns[i].fd < 0)
				continue;
			pfd[n] = (struct pollfd){ .fd = srv->conns[i].fd, .events = POLLIN };
			pconn[n++] = &srv->conns[i];
		}
		if (timeout >= 0) {
			ts.tv_sec = timeout / 1000;
			ts.tv_nsec = (long)(timeout % 1000) * 1000000L;
			tsp = &ts;
		}
		ready = ppoll(pfd, n, tsp, wait_mask);
		if (ready < 0) {
			if (errno == EINTR)
				continue;
			sim_log("poll: %s", strerror(errno));
			return HUSK_ERR_IO;
		}
		for (nfds_t i = 0; i < n && !s->stop_requested; i++) {
			if (!pfd[i].revents)
				continue;
			if (!pconn[i])
				server_accept(srv, &srv->listeners[i]);
			else if (pconn[i]->fd == pfd[i].fd)
				conn_readable(srv, pconn[i]);
		}
	}
	return 0;
}
