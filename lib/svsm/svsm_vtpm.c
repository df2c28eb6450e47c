/* The vTPM protocol (docs/svsm.md, "vTPM protocol"): VTPM_QUERY and
 * VTPM_CMD with TPM_SEND_COMMAND, the only platform command the guest may
 * send.
 *
 * VTPM_CMD copies the guest's 4096-byte buffer once into a stack buffer and
 * builds the response in a second one (8 KiB of stack in all, in this
 * function only; the kernel stack is 32 KiB).  A shared buffer would need a
 * lock held across the TPM command, serialising every vCPU behind it for
 * nothing: the vTPM service orders commands itself.  After a TPM command
 * the parts of both that held it and its response are wiped (a response may
 * carry unsealed secrets); a refused request leaves only the guest's own
 * bytes, which stay. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "svsm/svsm.h"
#include "svsm/svsm_internal.h"

/* The TCG reference simulator's platform commands (TpmTcpProtocol.h) other
 * than TPM_SEND_COMMAND: known, but not for the guest. */
static bool vtpm_known_command(uint32_t cmd)
{
	return (cmd >= 1 && cmd <= 18) || cmd == 20 || cmd == 21 || cmd == 25 || cmd == 26 ||
	       cmd == 30 || cmd == 35 || cmd == 36;
}

/* TPM_RC_FAILURE with no sessions: what the guest gets when the vTPM could
 * not answer, or answered more than the buffer holds. */
static const uint8_t vtpm_failure_rsp[10] = { 0x80, 0x01, 0x00, 0x00, 0x00, 0x0a,
					      0x00, 0x00, 0x01, 0x01 };

uint32_t svsm_vtpm_query(struct svsm_regs *r)
{
	r->rcx = 1ull << SVSM_VTPM_PLATFORM_SEND_COMMAND;
	r->rdx = 0;
	return SVSM_SUCCESS;
}

uint32_t __attribute__((noinline)) svsm_vtpm_cmd(struct svsm *s, const struct svsm_regs *r)
{
	const struct svsm_platform_ops *ops = s->ops;
	uint8_t req[SVSM_VTPM_BUFFER_SIZE];
	uint8_t rsp[SVSM_VTPM_RSP_DATA_OFFSET + SVSM_VTPM_RSP_MAX];
	uint64_t gpa = r->rcx;
	size_t rsp_len = 0;
	uint32_t rc = SVSM_SUCCESS;

	if (gpa == 0)
		return SVSM_ERR_INVALID_PARAMETER;
	if (!svsm_guest_ram(s, gpa, SVSM_VTPM_BUFFER_SIZE) ||
	    ops->read(ops->ctx, gpa, req, sizeof(req)) != 0)
		return SVSM_ERR_INVALID_ADDRESS;

	uint32_t cmd = svsm_le32(req + SVSM_VTPM_REQ_CMD_OFFSET);
	uint8_t locality = req[SVSM_VTPM_REQ_LOC_OFFSET];
	uint32_t size = svsm_le32(req + SVSM_VTPM_REQ_SIZE_OFFSET);

	if (cmd != SVSM_VTPM_PLATFORM_SEND_COMMAND)
		rc = vtpm_known_command(cmd) ? SVSM_ERR_UNSUPPORTED_CALL
					     : SVSM_ERR_INVALID_PARAMETER;
	else if (locality != 0 || size > SVSM_VTPM_CMD_MAX)
		rc = SVSM_ERR_INVALID_PARAMETER;
	if (rc != SVSM_SUCCESS)
		return rc; /* req holds only the guest's own bytes */

	if (ops->vtpm_send(ops->ctx, req + SVSM_VTPM_REQ_DATA_OFFSET, size, locality,
			   rsp + SVSM_VTPM_RSP_DATA_OFFSET, SVSM_VTPM_RSP_MAX, &rsp_len) != 0 ||
	    rsp_len > SVSM_VTPM_RSP_MAX) {
		/* It may have written part of a response before failing. */
		explicit_bzero(rsp, sizeof(rsp));
		rsp_len = sizeof(vtpm_failure_rsp);
		memcpy(rsp + SVSM_VTPM_RSP_DATA_OFFSET, vtpm_failure_rsp, rsp_len);
	}
	explicit_bzero(req, SVSM_VTPM_REQ_DATA_OFFSET + size);
	svsm_put_le32(rsp + SVSM_VTPM_RSP_SIZE_OFFSET, (uint32_t)rsp_len);
	if (ops->write(ops->ctx, gpa, rsp, SVSM_VTPM_RSP_DATA_OFFSET + rsp_len) != 0)
		rc = SVSM_ERR_INVALID_ADDRESS;
	explicit_bzero(rsp, SVSM_VTPM_RSP_DATA_OFFSET + rsp_len);
	return rc;
}
