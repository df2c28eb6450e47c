/* swtpm's socket interface as tpm2-tss's swtpm TCTI and swtpm_ioctl use
 * it: the data port takes raw TPM commands (and, as swtpm does, MS-simulator
 * TPM_SEND_COMMAND frames), the control channel takes swtpm's CMD_*
 * requests (tpm_ioctl.h) and answers with the response part of the
 * matching ioctl structure, big-endian, in the sizes swtpm sends.
 *
 * Power: CMD_INIT powers the TPM on (off and on again if it was running:
 * swtpm's re-initialisation), CMD_STOP powers it off, CMD_SHUTDOWN powers
 * it off and ends the process, as in swtpm. */
#include <stdlib.h>
#include <string.h>

#include "husk/err.h"

#include "net.h"
#include "proto.h"

/* What the control channel implements (CMD_GET_CAPABILITY). */
#define SWTPM_CAPS                                                                         \
	(PTM_CAP_INIT | PTM_CAP_SHUTDOWN | PTM_CAP_GET_TPMESTABLISHED | PTM_CAP_SET_LOCALITY | \
	 PTM_CAP_CANCEL_TPM_CMD | PTM_CAP_STORE_VOLATILE | PTM_CAP_RESET_TPMESTABLISHED |     \
	 PTM_CAP_STOP | PTM_CAP_GET_CONFIG | PTM_CAP_SET_BUFFERSIZE | PTM_CAP_GET_INFO |      \
	 PTM_CAP_SEND_COMMAND_HEADER)

static uint8_t swtpm_out[12 + PTM_GETINFO_SIZE + SIM_RSP_MAX];

static enum proto_result swtpm_send(int fd, const uint8_t *p, size_t len)
{
	return net_send_all(fd, p, len) == 0 ? PROTO_DONE : PROTO_CLOSE;
}

/* A bare ptm_res answer. */
static enum proto_result swtpm_res(int fd, uint32_t res)
{
	uint8_t b[4];

	wire_put_be32(b, res);
	return swtpm_send(fd, b, sizeof(b));
}

enum proto_result proto_swtpm_data(struct sim *s, int fd, const uint8_t *buf, size_t len,
				   size_t *used)
{
	uint32_t size;
	size_t rsp_len = 0;

	if (len < 4)
		return PROTO_NEED_MORE;
	/* A TPM command starts with a tag (0x80xx / 0x00c1), so a first word
	 * of 8 or 20 can only be MS-simulator framing. */
	switch (wire_get_be32(buf)) {
	case MSSIM_SEND_COMMAND:
		return proto_mssim_send_command(s, "swtpm", fd, buf, len, used);
	case MSSIM_SESSION_END:
		return PROTO_CLOSE;
	default:
		break;
	}
	if (len < 6)
		return PROTO_NEED_MORE;
	size = wire_get_be32(buf + 2);
	if (size < SIM_TPM_HEADER_SIZE || size > SIM_CMD_MAX) {
		sim_log("swtpm: command with size field %u (must be %u..%u); closing", size,
			SIM_TPM_HEADER_SIZE, SIM_CMD_MAX);
		return PROTO_CLOSE;
	}
	if (len < size)
		return PROTO_NEED_MORE;
	sim_execute(s, "swtpm", buf, size, s->locality, swtpm_out, SIM_RSP_MAX, &rsp_len);
	*used = size;
	return swtpm_send(fd, swtpm_out, rsp_len);
}

static enum proto_result swtpm_get_info(struct sim *s, int fd, const uint8_t *buf)
{
	uint64_t flags = wire_get_be64(buf + 4);
	uint32_t offset = wire_get_be32(buf + 12);
	char *json = NULL;
	size_t total, n;
	enum proto_result r;

	if (s->be->info(s->be_ctx, flags, &json) != 0)
		return swtpm_res(fd, SWTPM_RES_SIZE);
	total = strlen(json) + 1; /* the NUL travels too */
	if (offset >= total - 1) {
		free(json);
		return swtpm_res(fd, SWTPM_RES_BAD_PARAMETER);
	}
	n = total - offset;
	if (n > PTM_GETINFO_SIZE)
		n = PTM_GETINFO_SIZE;
	wire_put_be32(swtpm_out, SWTPM_RES_SUCCESS);
	wire_put_be32(swtpm_out + 4, (uint32_t)total);
	wire_put_be32(swtpm_out + 8, (uint32_t)n);
	memcpy(swtpm_out + 12, json + offset, n);
	free(json);
	r = swtpm_send(fd, swtpm_out, 12 + n);
	return r;
}

enum proto_result proto_swtpm_ctrl(struct sim *s, int fd, const uint8_t *buf, size_t len,
				   size_t *used)
{
	uint8_t b[16];
	uint32_t cmd, a, used_size, min_size, max_size;
	bool bit = false;
	int rc;

	if (len < 4)
		return PROTO_NEED_MORE;
	cmd = wire_get_be32(buf);
	*used = SWTPM_REQ_BARE;
	switch (cmd) {
	case SWTPM_CMD_GET_CAPABILITY: /* -> be64 caps */
		wire_put_be64(b, SWTPM_CAPS);
		return swtpm_send(fd, b, 8);

	case SWTPM_CMD_INIT: /* be32 init_flags -> ptm_res */
		if (len < SWTPM_REQ_INIT)
			return PROTO_NEED_MORE;
		*used = SWTPM_REQ_INIT;
		/* PTM_INIT_FLAG_DELETE_VOLATILE: there is no volatile state file. */
		if (s->powered) {
			rc = sim_power_off(s);
			if (rc == HUSK_ERR_UNSUPPORTED)
				return swtpm_res(fd, SWTPM_RES_FAIL); /* no re-initialisation */
			if (rc != 0)
				sim_log("swtpm: CMD_INIT: saving the NV state failed");
		}
		return swtpm_res(fd, sim_power_on(s) == 0 ? SWTPM_RES_SUCCESS : SWTPM_RES_FAIL);

	case SWTPM_CMD_STOP:
		rc = sim_power_off(s);
		if (rc == HUSK_ERR_UNSUPPORTED)
			return swtpm_res(fd, SWTPM_RES_FAIL); /* refused: still on */
		return swtpm_res(fd, rc == 0 ? SWTPM_RES_SUCCESS : SWTPM_RES_IOERROR);

	case SWTPM_CMD_SHUTDOWN:
		rc = sim_power_off(s);
		sim_log("swtpm: CMD_SHUTDOWN; exiting");
		s->stop_requested = true;
		return swtpm_res(fd, rc == 0 ? SWTPM_RES_SUCCESS : SWTPM_RES_IOERROR);

	case SWTPM_CMD_GET_TPMESTABLISHED: /* -> be32 res, u8 bit, 3 bytes padding */
		if (!s->powered)
			return swtpm_res(fd, SWTPM_RES_BAD_ORDINAL);
		rc = s->be->established_get(s->be_ctx, &bit);
		memset(b, 0, 8);
		wire_put_be32(b, rc == 0 ? SWTPM_RES_SUCCESS : SWTPM_RES_FAIL);
		b[4] = bit ? 1 : 0;
		return swtpm_send(fd, b, 8);

	case SWTPM_CMD_SET_LOCALITY: /* u8 loc -> ptm_res */
		if (len < SWTPM_REQ_LOC)
			return PROTO_NEED_MORE;
		*used = SWTPM_REQ_LOC;
		if (buf[4] > 4)
			return swtpm_res(fd, SWTPM_RES_BAD_LOCALITY);
		s->locality = buf[4];
		return swtpm_res(fd, SWTPM_RES_SUCCESS);

	case SWTPM_CMD_RESET_TPMESTABLISHED: /* u8 loc -> ptm_res */
		if (len < SWTPM_REQ_LOC)
			return PROTO_NEED_MORE;
		*used = SWTPM_REQ_LOC;
		if (!s->powered)
			return swtpm_res(fd, SWTPM_RES_BAD_ORDINAL);
		if (buf[4] > 4)
			return swtpm_res(fd, SWTPM_RES_BAD_LOCALITY);
		rc = s->be->established_reset(s->be_ctx, buf[4]);
		return swtpm_res(fd, rc == 0 ? SWTPM_RES_SUCCESS : SWTPM_RES_BAD_LOCALITY);

	case SWTPM_CMD_CANCEL_TPM_CMD:
		/* Commands run to completion before the next request is read. */
		if (!s->powered)
			return swtpm_res(fd, SWTPM_RES_BAD_ORDINAL);
		return swtpm_res(fd, SWTPM_RES_SUCCESS);

	case SWTPM_CMD_STORE_VOLATILE:
		/* The closest thing husk-tpm-sim has: write the NV state now. */
		if (!s->powered)
			return swtpm_res(fd, SWTPM_RES_BAD_ORDINAL);
		return swtpm_res(fd, sim_save(s) == 0 ? SWTPM_RES_SUCCESS : SWTPM_RES_IOERROR);

	case SWTPM_CMD_GET_CONFIG: /* -> be32 res, be32 flags (no file or migration key) */
		memset(b, 0, 8);
		return swtpm_send(fd, b, 8);

	case SWTPM_CMD_SET_BUFFERSIZE: /* be32 size -> be32 res, size, min, max */
		if (len < SWTPM_REQ_SET_BUFFERSIZE)
			return PROTO_NEED_MORE;
		*used = SWTPM_REQ_SET_BUFFERSIZE;
		a = wire_get_be32(buf + 4);
		if (a != 0 && s->powered)
			return swtpm_res(fd, SWTPM_RES_BAD_ORDINAL);
		if (s->be->buffer_size(s->be_ctx, a, &used_size, &min_size, &max_size) != 0)
			return swtpm_res(fd, SWTPM_RES_FAIL);
		wire_put_be32(b, SWTPM_RES_SUCCESS);
		wire_put_be32(b + 4, used_size);
		wire_put_be32(b + 8, min_size);
		wire_put_be32(b + 12, max_size);
		return swtpm_send(fd, b, 16);

	case SWTPM_CMD_GET_INFO: /* be64 flags, be32 offset, be32 pad -> res, total, n, data */
		if (len < SWTPM_REQ_GET_INFO)
			return PROTO_NEED_MORE;
		*used = SWTPM_REQ_GET_INFO;
		return swtpm_get_info(s, fd, buf);

	case SWTPM_CMD_HASH_START:
	case SWTPM_CMD_HASH_END:
	case SWTPM_CMD_SET_DATAFD:
		/* Known, fixed size, not implemented (no DRTM; TCP only). */
		return swtpm_res(fd, SWTPM_RES_BAD_ORDINAL);

	case SWTPM_CMD_GET_STATEBLOB:
		if (len < SWTPM_REQ_GET_STATEBLOB)
			return PROTO_NEED_MORE;
		*used = SWTPM_REQ_GET_STATEBLOB;
		return swtpm_res(fd, SWTPM_RES_BAD_ORDINAL);

	default:
		/* Unknown, or variable-sized and not implemented (HASH_DATA,
		 * SET_STATEBLOB): swtpm's error answer.  swtpm treats one read as
		 * one request, so drop what else arrived with it. */
		sim_log("swtpm: control command 0x%08x not implemented", cmd);
		*used = len;
		return swtpm_res(fd, SWTPM_RES_BAD_ORDINAL);
	}
}
