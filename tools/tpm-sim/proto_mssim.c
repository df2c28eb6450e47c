/* The MS/TCG reference simulator's TCP protocol (TpmTcpProtocol.h) as
 * tpm2-tss's mssim TCTI speaks it: TPM commands on the command port,
 * platform signals on the platform port (command port + 1).
 *
 * Acknowledgements follow the reference simulator (TcpServer.c): every
 * handled request is answered with a be32 0 after its own reply, if any;
 * TPM_SESSION_END and TPM_STOP close the connection without an answer; an
 * unknown request closes it too (on the platform port after a be32 1). */
#include <string.h>

#include "husk/err.h"

#include "net.h"
#include "proto.h"

/* Reply buffer: be32 length, response, be32 acknowledgement. */
static uint8_t mssim_out[4 + SIM_RSP_MAX + 4];

static enum proto_result mssim_reply(int fd, const uint8_t *p, size_t len)
{
	return net_send_all(fd, p, len) == 0 ? PROTO_DONE : PROTO_CLOSE;
}

/* The be32 `value` answer most requests get. */
static enum proto_result mssim_ack(int fd, uint32_t value)
{
	uint8_t b[4];

	wire_put_be32(b, value);
	return mssim_reply(fd, b, sizeof(b));
}

enum proto_result proto_mssim_send_command(struct sim *s, const char *chan, int fd,
					   const uint8_t *buf, size_t len, size_t *used)
{
	uint32_t n;
	size_t rsp_len = 0;

	if (len < MSSIM_SEND_HEADER_SIZE)
		return PROTO_NEED_MORE;
	n = wire_get_be32(buf + 5);
	if (n > SIM_CMD_MAX) {
		sim_log("%s: TPM_SEND_COMMAND of %u bytes (max %u); closing", chan, n,
			SIM_CMD_MAX);
		return PROTO_CLOSE;
	}
	if (len < MSSIM_SEND_HEADER_SIZE + n)
		return PROTO_NEED_MORE;

	sim_execute(s, chan, buf + MSSIM_SEND_HEADER_SIZE, n, buf[4], mssim_out + 4,
		    SIM_RSP_MAX, &rsp_len);
	wire_put_be32(mssim_out, (uint32_t)rsp_len);
	wire_put_be32(mssim_out + 4 + rsp_len, 0);
	*used = MSSIM_SEND_HEADER_SIZE + n;
	return mssim_reply(fd, mssim_out, 4 + rsp_len + 4);
}

enum proto_result proto_mssim_cmd(struct sim *s, int fd, const uint8_t *buf, size_t len,
				  size_t *used)
{
	uint8_t b[12];
	uint32_t code;

	if (len < 4)
		return PROTO_NEED_MORE;
	code = wire_get_be32(buf);
	switch (code) {
	case MSSIM_SEND_COMMAND:
		return proto_mssim_send_command(s, "mssim", fd, buf, len, used);

	case MSSIM_REMOTE_HANDSHAKE: /* be32 client version -> server version, endpoint info */
		if (len < 8)
			return PROTO_NEED_MORE;
		if (wire_get_be32(buf + 4) == 0)
			return PROTO_CLOSE;
		wire_put_be32(b, MSSIM_SERVER_VERSION);
		wire_put_be32(b + 4, MSSIM_ENDPOINT_INFO);
		wire_put_be32(b + 8, 0);
		*used = 8;
		return mssim_reply(fd, b, sizeof(b));

	case MSSIM_SET_ALTERNATIVE_RESULT: /* be32 result, ignored as by the reference */
		if (len < 8)
			return PROTO_NEED_MORE;
		*used = 8;
		return mssim_ack(fd, 0);

	case MSSIM_SESSION_END:
		return PROTO_CLOSE;

	case MSSIM_STOP:
		sim_log("mssim: TPM_STOP on the command port; exiting");
		s->stop_requested = true;
		return PROTO_CLOSE;

	default:
		/* Includes the _TPM_Hash_* signals: no DRTM here. */
		sim_log("mssim: unsupported command-port request %u; closing", code);
		return PROTO_CLOSE;
	}
}

/* POWER_OFF then POWER_ON, as RESET and RESTART do when powered. */
static int mssim_power_cycle(struct sim *s)
{
	int rc;

	if (!s->powered)
		return 0;
	rc = sim_power_off(s);
	if (rc == HUSK_ERR_UNSUPPORTED)
		return rc; /* refused: the TPM was not reset */
	if (rc != 0)
		sim_log("power cycle: saving the NV state failed; powering on anyway");
	return sim_power_on(s);
}

enum proto_result proto_mssim_platform(struct sim *s, int fd, const uint8_t *buf, size_t len,
				       size_t *used)
{
	uint8_t b[4 + 16 + 4];
	uint32_t code;
	int rc = 0;

	if (len < 4)
		return PROTO_NEED_MORE;
	code = wire_get_be32(buf);
	*used = 4;
	switch (code) {
	case MSSIM_SIGNAL_POWER_ON:
		/* Already on: nothing happens (each TCTI init sends it). */
		rc = sim_power_on(s);
		break;
	case MSSIM_SIGNAL_POWER_OFF:
		rc = sim_power_off(s);
		break;
	case MSSIM_SIGNAL_RESET:
	case MSSIM_SIGNAL_RESTART:
		rc = mssim_power_cycle(s);
		break;
	case MSSIM_SIGNAL_PHYS_PRES_ON:
	case MSSIM_SIGNAL_PHYS_PRES_OFF:
		s->physical_presence = code == MSSIM_SIGNAL_PHYS_PRES_ON;
		s->be->set_physical_presence(s->be_ctx, s->physical_presence);
		break;
	case MSSIM_SIGNAL_CANCEL_ON:
	case MSSIM_SIGNAL_CANCEL_OFF:
		/* Commands run to completion before the next signal is read. */
		s->cancel = code == MSSIM_SIGNAL_CANCEL_ON;
		break;
	case MSSIM_SIGNAL_NV_ON:
	case MSSIM_SIGNAL_NV_OFF:
		s->nv_on = code == MSSIM_SIGNAL_NV_ON;
		break;
	case MSSIM_SESSION_END:
		return PROTO_CLOSE;
	case MSSIM_STOP:
		sim_log("mssim: TPM_STOP on the platform port; exiting");
		s->stop_requested = true;
		return PROTO_CLOSE;
	case MSSIM_GET_COMMAND_RESPONSE_SIZES:
		/* The reference sends its C structure as it lies in memory: sizes
		 * in host order (little-endian on x86), codes as the bytes taken
		 * from the buffers (big-endian); then clears it. */
		wire_put_be32(b, 16);
		memcpy(b + 4, &s->largest_cmd_size, 4);
		wire_put_be32(b + 8, s->largest_cmd_code);
		memcpy(b + 12, &s->largest_rsp_size, 4);
		wire_put_be32(b + 16, s->largest_rsp_code);
		wire_put_be32(b + 20, 0);
		s->largest_cmd_size = s->largest_cmd_code = 0;
		s->largest_rsp_size = s->largest_rsp_code = 0;
		return mssim_reply(fd, b, sizeof(b));
	case MSSIM_ACT_GET_SIGNALED: /* be32 ACT handle -> be32 signaled; no ACTs here */
		if (len < 8)
			return PROTO_NEED_MORE;
		*used = 8;
		wire_put_be32(b, 0);
		wire_put_be32(b + 4, 0);
		return mssim_reply(fd, b, 8);
	default:
		/* Includes KEY_CACHE_*, TEST_FAILURE_MODE: not in husk's model. */
		sim_log("mssim: unsupported platform signal %u; closing", code);
		(void)mssim_ack(fd, 1);
		return PROTO_CLOSE;
	}
	/* The reference always acknowledges 0; a power-on that failed answers
	 * 1 so that the TCTI reports it at once instead of at the first command. */
	return mssim_ack(fd, rc == 0 ? 0 : 1);
}
