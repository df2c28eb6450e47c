/* Socket helpers for husk-tpm-sim: loopback listeners and bounded sends. */
#ifndef HUSK_TPM_SIM_NET_H
#define HUSK_TPM_SIM_NET_H

#include <stddef.h>
#include <stdint.h>

/* How long a send may wait for a client that does not read its replies. */
#define NET_SEND_TIMEOUT_MS 5000

/* A non-blocking TCP listener on 127.0.0.1:port.  HUSK_ERR_IO (reason on
 * stderr) if the port cannot be bound. */
int net_listen(uint16_t port, int *fd);

/* Sends all of buf on the non-blocking socket fd within NET_SEND_TIMEOUT_MS.
 * HUSK_ERR_IO if the peer is gone, HUSK_ERR_TIMEOUT if it stopped reading. */
int net_send_all(int fd, const uint8_t *buf, size_t len);

/* Milliseconds of CLOCK_MONOTONIC. */
uint64_t net_now_ms(void);

#endif
