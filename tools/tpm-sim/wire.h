/* Wire constants and big-endian helpers for husk-tpm-sim's two protocols:
 * swtpm's socket interface (data port + control channel, swtpm tpm_ioctl.h
 * CMD_*) and the MS/TCG reference simulator's TCP protocol (TpmTcpProtocol.h).
 * Values are protocol facts; the names follow the documents they come from. */
#ifndef HUSK_TPM_SIM_WIRE_H
#define HUSK_TPM_SIM_WIRE_H

#include <stdint.h>

/* ---- TPM 2.0 framing (TCG TPM 2.0 Part 1/2) ---- */
#define SIM_TPM_HEADER_SIZE 10u     /* tag(2) size(4) code(4) */
#define SIM_TPM_ST_NO_SESSIONS 0x8001u
#define SIM_TPM_RC_SUCCESS 0x000u
#define SIM_TPM_RC_FAILURE 0x101u   /* answer while the TPM is powered off */
#define SIM_TPM_RC_LOCALITY 0x907u  /* RC_WARN + 0x007: locality outside 0-4 */

/* ---- MS-simulator (TpmTcpProtocol.h) ----
 * Every request starts with a be32 code.  Most are acknowledged with a
 * be32 0; TPM_SEND_COMMAND carries {u8 locality, be32 n, n bytes} and is
 * answered {be32 n, n bytes} then the be32 0 acknowledgement. */
#define MSSIM_SIGNAL_POWER_ON 1u
#define MSSIM_SIGNAL_POWER_OFF 2u
#define MSSIM_SIGNAL_PHYS_PRES_ON 3u
#define MSSIM_SIGNAL_PHYS_PRES_OFF 4u
#define MSSIM_SIGNAL_HASH_START 5u
#define MSSIM_SIGNAL_HASH_DATA 6u
#define MSSIM_SIGNAL_HASH_END 7u
#define MSSIM_SEND_COMMAND 8u
#define MSSIM_SIGNAL_CANCEL_ON 9u
#define MSSIM_SIGNAL_CANCEL_OFF 10u
#define MSSIM_SIGNAL_NV_ON 11u
#define MSSIM_SIGNAL_NV_OFF 12u
#define MSSIM_SIGNAL_KEY_CACHE_ON 13u
#define MSSIM_SIGNAL_KEY_CACHE_OFF 14u
#define MSSIM_REMOTE_HANDSHAKE 15u
#define MSSIM_SET_ALTERNATIVE_RESULT 16u
#define MSSIM_SIGNAL_RESET 17u
#define MSSIM_SIGNAL_RESTART 18u
#define MSSIM_SESSION_END 20u
#define MSSIM_STOP 21u
#define MSSIM_GET_COMMAND_RESPONSE_SIZES 25u
#define MSSIM_ACT_GET_SIGNALED 26u
#define MSSIM_TEST_FAILURE_MODE 30u

#define MSSIM_SEND_HEADER_SIZE 9u   /* be32 code, u8 locality, be32 n */
#define MSSIM_SERVER_VERSION 1u     /* TPM_REMOTE_HANDSHAKE answer */
/* TpmEndPointInfo: tpmPlatformAvailable | tpmInRawMode | tpmSupportsPP */
#define MSSIM_ENDPOINT_INFO (0x01u | 0x04u | 0x08u)

/* ---- swtpm control channel (tpm_ioctl.h, "commands used by the non-CUSE
 * TPMs"): a be32 command code and the request part of the ioctl
 * structure in; the response part out, big-endian. ---- */
#define SWTPM_CMD_GET_CAPABILITY 0x01u
#define SWTPM_CMD_INIT 0x02u
#define SWTPM_CMD_SHUTDOWN 0x03u
#define SWTPM_CMD_GET_TPMESTABLISHED 0x04u
#define SWTPM_CMD_SET_LOCALITY 0x05u
#define SWTPM_CMD_HASH_START 0x06u
#define SWTPM_CMD_HASH_DATA 0x07u
#define SWTPM_CMD_HASH_END 0x08u
#define SWTPM_CMD_CANCEL_TPM_CMD 0x09u
#define SWTPM_CMD_STORE_VOLATILE 0x0au
#define SWTPM_CMD_RESET_TPMESTABLISHED 0x0bu
#define SWTPM_CMD_GET_STATEBLOB 0x0cu
#define SWTPM_CMD_SET_STATEBLOB 0x0du
#define SWTPM_CMD_STOP 0x0eu
#define SWTPM_CMD_GET_CONFIG 0x0fu
#define SWTPM_CMD_SET_DATAFD 0x10u
#define SWTPM_CMD_SET_BUFFERSIZE 0x11u
#define SWTPM_CMD_GET_INFO 0x12u

/* PTM_CAP_* bits of the be64 CMD_GET_CAPABILITY answer */
#define PTM_CAP_INIT (1u << 0)
#define PTM_CAP_SHUTDOWN (1u << 1)
#define PTM_CAP_GET_TPMESTABLISHED (1u << 2)
#define PTM_CAP_SET_LOCALITY (1u << 3)
#define PTM_CAP_HASHING (1u << 4)
#define PTM_CAP_CANCEL_TPM_CMD (1u << 5)
#define PTM_CAP_STORE_VOLATILE (1u << 6)
#define PTM_CAP_RESET_TPMESTABLISHED (1u << 7)
#define PTM_CAP_GET_STATEBLOB (1u << 8)
#define PTM_CAP_SET_STATEBLOB (1u << 9)
#define PTM_CAP_STOP (1u << 10)
#define PTM_CAP_GET_CONFIG (1u << 11)
#define PTM_CAP_SET_DATAFD (1u << 12)
#define PTM_CAP_SET_BUFFERSIZE (1u << 13)
#define PTM_CAP_GET_INFO (1u << 14)
#define PTM_CAP_SEND_COMMAND_HEADER (1u << 15) /* MS-sim framing on the data port */

#define PTM_INIT_FLAG_DELETE_VOLATILE (1u << 0)
#define PTM_GETINFO_SIZE 3072u  /* most JSON bytes one CMD_GET_INFO answer carries */

/* Request sizes, command code included (tpm_ioctl.h request structures). */
#define SWTPM_REQ_BARE 4u         /* code only */
#define SWTPM_REQ_INIT 8u         /* + be32 init_flags */
#define SWTPM_REQ_LOC 5u          /* + u8 loc (SET_LOCALITY, RESET_TPMESTABLISHED) */
#define SWTPM_REQ_GET_STATEBLOB 16u /* + be32 flags, type, offset */
#define SWTPM_REQ_SET_BUFFERSIZE 8u /* + be32 buffersize */
#define SWTPM_REQ_GET_INFO 20u    /* + be64 flags, be32 offset, be32 pad */

/* ptm_res values: TPM 1.2 result codes, as swtpm answers them. */
#define SWTPM_RES_SUCCESS 0x00u
#define SWTPM_RES_BAD_PARAMETER 0x03u
#define SWTPM_RES_FAIL 0x09u
#define SWTPM_RES_BAD_ORDINAL 0x0au
#define SWTPM_RES_SIZE 0x17u
#define SWTPM_RES_IOERROR 0x1fu
#define SWTPM_RES_BAD_LOCALITY 0x3du

static inline uint16_t wire_get_be16(const uint8_t *p)
{
	return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}

static inline uint32_t wire_get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t wire_get_be64(const uint8_t *p)
{
	return (uint64_t)wire_get_be32(p) << 32 | wire_get_be32(p + 4);
}

static inline void wire_put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void wire_put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline void wire_put_be64(uint8_t *p, uint64_t v)
{
	wire_put_be32(p, (uint32_t)(v >> 32));
	wire_put_be32(p + 4, (uint32_t)v);
}

#endif
