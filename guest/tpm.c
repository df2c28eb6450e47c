/* The vTPM from the guest's side: the VTPM_CMD request/response buffer and
 * the few TPM 2.0 commands the guest builds itself (big-endian, no
 * sessions except the empty password session PCR commands need). */
#include <string.h>

#include "guest.h"

/* Three pages, so that a 4096-byte buffer can start anywhere in the first
 * two and cross a page boundary. */
uint8_t guest_vtpm_buf[3 * PAGE_SIZE] HUSK_ALIGNED(4096);

#define TPM_ST_NO_SESSIONS 0x8001u
#define TPM_ST_SESSIONS    0x8002u
#define TPM_CC_PCR_EXTEND  0x182u
#define TPM_CC_PCR_RESET   0x13du
#define TPM_CC_PCR_READ    0x17eu
#define TPM_CC_GET_RANDOM  0x17bu
#define TPM_CC_STARTUP     0x144u
#define TPM_CC_NV_READ     0x14eu
#define TPM_CC_NV_DEFINE_SPACE 0x12au
#define TPM_CC_NV_INCREMENT 0x134u
#define TPM_RH_OWNER       0x40000001u
#define TPM_CC_NV_READ_PUBLIC 0x169u
#define TPM_SU_CLEAR       0x0000u
#define TPM_RS_PW          0x40000009u
#define TPM_ALG_SHA256     0x000bu

uint32_t vtpm_send(uint64_t buf_gpa, uint32_t platform_cmd, uint8_t locality, const uint8_t *cmd,
		   uint32_t cmd_len, uint8_t *rsp, uint32_t rsp_cap, uint32_t *rsp_len)
{
	uint8_t *b = (uint8_t *)(uintptr_t)buf_gpa;
	uint32_t copy = cmd_len > SVSM_VTPM_CMD_MAX ? SVSM_VTPM_CMD_MAX : cmd_len;
	uint32_t rc, r;

	memcpy(b + SVSM_VTPM_REQ_CMD_OFFSET, &platform_cmd, 4);
	b[SVSM_VTPM_REQ_LOC_OFFSET] = locality;
	memcpy(b + SVSM_VTPM_REQ_SIZE_OFFSET, &cmd_len, 4);
	if (copy)
		memcpy(b + SVSM_VTPM_REQ_DATA_OFFSET, cmd, copy);
	rc = svsm_call(SVSM_CALL(SVSM_PROTOCOL_VTPM, SVSM_VTPM_CMD), buf_gpa, 0, 0, NULL);
	if (rsp_len)
		*rsp_len = 0;
	if (rc != SVSM_SUCCESS || !rsp)
		return rc;
	memcpy(&r, b + SVSM_VTPM_RSP_SIZE_OFFSET, 4);
	if (rsp_len)
		*rsp_len = r;
	if (r > SVSM_VTPM_RSP_MAX)
		r = SVSM_VTPM_RSP_MAX;
	if (r > rsp_cap)
		r = rsp_cap;
	memcpy(rsp, b + SVSM_VTPM_RSP_DATA_OFFSET, r);
	return rc;
}

uint32_t vtpm_cmd(const uint8_t *cmd, uint32_t cmd_len, uint8_t *rsp, uint32_t rsp_cap,
		  uint32_t *rsp_len)
{
	return vtpm_send((uint64_t)(uintptr_t)guest_vtpm_buf, SVSM_VTPM_PLATFORM_SEND_COMMAND, 0, cmd,
			 cmd_len, rsp, rsp_cap, rsp_len);
}

static uint32_t put_header(uint8_t *buf, uint16_t tag, uint32_t size, uint32_t cc)
{
	put_be16(buf, tag);
	put_be32(buf + 2, size);
	put_be32(buf + 6, cc);
	return 10;
}

/* The empty password session: handle, nonce size 0, attributes 0, hmac size 0. */
static uint32_t put_pw_session(uint8_t *p)
{
	put_be32(p, 9); /* authorizationSize */
	put_be32(p + 4, TPM_RS_PW);
	put_be16(p + 8, 0);
	p[10] = 0;
	put_be16(p + 11, 0);
	return 13;
}

uint32_t tpm_build_startup_clear(uint8_t *buf)
{
	uint32_t n = put_header(buf, TPM_ST_NO_SESSIONS, 12, TPM_CC_STARTUP);

	put_be16(buf + n, TPM_SU_CLEAR);
	return 12;
}

uint32_t tpm_build_get_random(uint8_t *buf, uint16_t count)
{
	uint32_t n = put_header(buf, TPM_ST_NO_SESSIONS, 12, TPM_CC_GET_RANDOM);

	put_be16(buf + n, count);
	return 12;
}

uint32_t tpm_build_pcr_reset(uint8_t *buf, uint32_t pcr)
{
	uint32_t n = 10;

	put_be32(buf + n, pcr);
	n += 4;
	n += put_pw_session(buf + n);
	put_header(buf, TPM_ST_SESSIONS, n, TPM_CC_PCR_RESET);
	return n;
}

uint32_t tpm_build_pcr_extend_sha256(uint8_t *buf, uint32_t pcr, const uint8_t digest[32])
{
	uint32_t n = 10;

	put_be32(buf + n, pcr);
	n += 4;
	n += put_pw_session(buf + n);
	put_be32(buf + n, 1); /* TPML_DIGEST_VALUES.count */
	put_be16(buf + n + 4, TPM_ALG_SHA256);
	memcpy(buf + n + 6, digest, 32);
	n += 38;
	put_header(buf, TPM_ST_SESSIONS, n, TPM_CC_PCR_EXTEND);
	return n;
}

uint32_t tpm_build_pcr_read_sha256(uint8_t *buf, uint32_t pcr)
{
	uint32_t n = 10;

	put_be32(buf + n, 1); /* TPML_PCR_SELECTION.count */
	put_be16(buf + n + 4, TPM_ALG_SHA256);
	buf[n + 6] = 3; /* sizeofSelect */
	buf[n + 7] = 0;
	buf[n + 8] = 0;
	buf[n + 9] = 0;
	buf[n + 7 + pcr / 8] = (uint8_t)(1u << (pcr % 8));
	n += 10;
	put_header(buf, TPM_ST_NO_SESSIONS, n, TPM_CC_PCR_READ);
	return n;
}

uint32_t tpm_rsp_rc(const uint8_t *rsp, uint32_t len)
{
	if (len < 10 || get_be32(rsp + 2) != len)
		return ~0u;
	return get_be32(rsp + 6);
}

/* header, pcrUpdateCounter, TPML_PCR_SELECTION (count 1, alg, 3, 3 bytes),
 * TPML_DIGEST (count 1, size 32, digest). */
bool tpm_pcr_read_digest(const uint8_t *rsp, uint32_t len, uint8_t out[32])
{
	const uint32_t off = 10 + 4 + 10;

	if (tpm_rsp_rc(rsp, len) != TPM_RC_SUCCESS || len < off + 4 + 2 + 32)
		return false;
	if (get_be32(rsp + 14) != 1 || get_be32(rsp + off) != 1 || get_be16(rsp + off + 4) != 32)
		return false;
	memcpy(out, rsp + off + 6, 32);
	return true;
}

uint32_t tpm_build_nv_read_public(uint8_t *buf, uint32_t index)
{
	put_header(buf, TPM_ST_NO_SESSIONS, 14, TPM_CC_NV_READ_PUBLIC);
	put_be32(buf + 10, index);
	return 14;
}

/* TPM2_NV_Read authorized by auth (the owner, or the index itself with
 * AUTHREAD), empty password. */
uint32_t tpm_build_nv_read(uint8_t *buf, uint32_t auth, uint32_t index, uint16_t size,
			   uint16_t offset)
{
	uint32_t n = 10;

	put_be32(buf + n, auth);
	put_be32(buf + n + 4, index);
	n += 8;
	n += put_pw_session(buf + n);
	put_be16(buf + n, size);
	put_be16(buf + n + 2, offset);
	n += 4;
	put_header(buf, TPM_ST_SESSIONS, n, TPM_CC_NV_READ);
	return n;
}

/* TPM2_NV_DefineSpace by the owner (empty password) of an 8-byte counter
 * the owner reads and increments: TPM_NT_COUNTER, OWNERWRITE, OWNERREAD,
 * NO_DA; name algorithm SHA-256, no policy, empty auth. */
uint32_t tpm_build_nv_define_counter(uint8_t *buf, uint32_t index)
{
	uint32_t n = 10;

	put_be32(buf + n, TPM_RH_OWNER);
	n += 4;
	n += put_pw_session(buf + n);
	put_be16(buf + n, 0); /* auth */
	put_be16(buf + n + 2, 14); /* TPM2B_NV_PUBLIC size */
	put_be32(buf + n + 4, index);
	put_be16(buf + n + 8, TPM_ALG_SHA256);
	put_be32(buf + n + 10, 0x00000010u | 0x00000002u | 0x00020000u | 0x02000000u);
	put_be16(buf + n + 14, 0); /* authPolicy */
	put_be16(buf + n + 16, 8); /* dataSize */
	n += 18;
	put_header(buf, TPM_ST_SESSIONS, n, TPM_CC_NV_DEFINE_SPACE);
	return n;
}

uint32_t tpm_build_nv_increment(uint8_t *buf, uint32_t index)
{
	uint32_t n = 10;

	put_be32(buf + n, TPM_RH_OWNER);
	put_be32(buf + n + 4, index);
	n += 8;
	n += put_pw_session(buf + n);
	put_header(buf, TPM_ST_SESSIONS, n, TPM_CC_NV_INCREMENT);
	return n;
}
