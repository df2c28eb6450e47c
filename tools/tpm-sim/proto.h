/* Message handlers of husk-tpm-sim's protocols.
 *
 * The server keeps, per connection, the bytes received and not yet
 * consumed, and hands them to the handler of the connection's channel.  A
 * handler looks only at buf[0..len): if a whole message is there it
 * executes it, sends the reply on fd and reports how many bytes it used;
 * otherwise it asks for more.  A handler never needs more than
 * PROTO_MSG_MAX bytes to decide, so a bounded buffer suffices: anything
 * longer is malformed and closes the connection. */
#ifndef HUSK_TPM_SIM_PROTO_H
#define HUSK_TPM_SIM_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "backend.h"
#include "sim.h"
#include "wire.h"

/* The largest message: an MS-simulator TPM_SEND_COMMAND of SIM_CMD_MAX. */
#define PROTO_MSG_MAX (MSSIM_SEND_HEADER_SIZE + SIM_CMD_MAX)

enum proto_result {
	PROTO_NEED_MORE, /* incomplete message: wait for more bytes */
	PROTO_DONE,      /* one message handled; *used bytes consumed */
	PROTO_CLOSE,     /* close the connection (end of session, malformed, send failed) */
};

typedef enum proto_result (*proto_handler)(struct sim *s, int fd, const uint8_t *buf,
					   size_t len, size_t *used);

/* swtpm data port: raw TPM commands, or MS-simulator framed ones. */
enum proto_result proto_swtpm_data(struct sim *s, int fd, const uint8_t *buf, size_t len,
				   size_t *used);
/* swtpm control channel (CMD_*). */
enum proto_result proto_swtpm_ctrl(struct sim *s, int fd, const uint8_t *buf, size_t len,
				   size_t *used);
/* MS-simulator command port. */
enum proto_result proto_mssim_cmd(struct sim *s, int fd, const uint8_t *buf, size_t len,
				  size_t *used);
/* MS-simulator platform port (signals). */
enum proto_result proto_mssim_platform(struct sim *s, int fd, const uint8_t *buf, size_t len,
				       size_t *used);

/* TPM_SEND_COMMAND framing, shared by the MS-simulator command port and
 * the swtpm data port; buf starts with the be32 8.  chan names the source
 * for the log. */
enum proto_result proto_mssim_send_command(struct sim *s, const char *chan, int fd,
					   const uint8_t *buf, size_t len, size_t *used);

#endif
