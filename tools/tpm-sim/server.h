/* husk-tpm-sim's event loop: two loopback listeners (swtpm data + control,
 * or MS-simulator command + platform) and their connections, served from
 * one thread with poll(2) so that no client, idle or hostile, holds up
 * another. */
#ifndef HUSK_TPM_SIM_SERVER_H
#define HUSK_TPM_SIM_SERVER_H

#include <signal.h>
#include <stdint.h>

#include "sim.h"

enum server_protocol {
	SERVER_SWTPM,
	SERVER_MSSIM,
};

/* Connections open at once; the least recently active one is dropped to
 * make room for a new one. */
#define SERVER_MAX_CONNS 16
/* A message that started arriving must be complete within this time. */
#define SERVER_FRAME_TIMEOUT_MS 5000

struct server_config {
	enum server_protocol protocol;
	uint16_t port;      /* swtpm data port / MS-simulator command port */
	uint16_t port2;     /* swtpm control port / MS-simulator platform port */
	const char *pidfile; /* written once listening; may be NULL */
};

struct server;

/* Binds both ports (HUSK_ERR_IO if either cannot be bound) and writes the
 * pidfile.  Nothing is served until server_run. */
int server_open(struct server **out, struct sim *s, const struct server_config *cfg);

/* Serves until *quit becomes non-zero or a client asks the server to stop.
 * Signals that set *quit must be blocked by the caller; they are let
 * through only while waiting (ppoll with wait_mask). */
int server_run(struct server *srv, volatile sig_atomic_t *quit, const sigset_t *wait_mask);

/* Closes every socket and removes the pidfile if server_open wrote it. */
void server_close(struct server *srv);

#endif
