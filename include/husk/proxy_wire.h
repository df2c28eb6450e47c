/* Wire format between husk and husk-kbs-proxy, the untrusted host process that
 * forwards husk's KBS HTTP exchanges (docs/proxy.md is the specification; this
 * header and tests/kbs/proxy_frames.py must agree with it).
 *
 * The link is a byte stream (husk's COM3 UART <-> QEMU chardev <-> UNIX
 * socket) that may start mid-frame or carry garbage, so every frame starts
 * with a magic, protects its header and its payload with CRC-32s and names
 * the session (a random number per husk boot) and the sequence number it
 * belongs to.  All integers are little-endian. */
#ifndef HUSK_PROXY_WIRE_H
#define HUSK_PROXY_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "husk/compiler.h"

#define PROXY_MAGIC0 0x48 /* 'H' */
#define PROXY_MAGIC1 0x4b /* 'K' */
#define PROXY_MAGIC2 0x50 /* 'P' */
#define PROXY_MAGIC3 0x58 /* 'X' */
#define PROXY_MAGIC_LEN 4u
#define PROXY_VERSION 1u

/* Frame types.  Direction: husk -> proxy for HELLO and REQUEST, proxy -> husk
 * for the others; each answer echoes the session and sequence number of the
 * frame it answers. */
enum proxy_type {
	PROXY_T_HELLO = 1,     /* empty: start (or restart) a session, fresh cookie jar */
	PROXY_T_HELLO_ACK = 2, /* empty */
	PROXY_T_REQUEST = 3,   /* struct proxy_request_fixed, path, body */
	PROXY_T_RESPONSE = 4,  /* struct proxy_response_fixed, body */
	PROXY_T_ERROR = 5,     /* struct proxy_error_fixed, text */
};

enum proxy_method {
	PROXY_METHOD_GET = 1,
	PROXY_METHOD_POST = 2,
};

/* Why the proxy could not give an HTTP answer (ERROR payload). */
enum proxy_error_code {
	PROXY_ERROR_NO_SESSION = 1,  /* REQUEST for a session the proxy has no HELLO for */
	PROXY_ERROR_BAD_REQUEST = 2, /* REQUEST payload malformed (method, path) */
	PROXY_ERROR_TRANSPORT = 3,   /* HTTP failed: connect, TLS, timeout, protocol */
	PROXY_ERROR_TOO_LARGE = 4,   /* HTTP response body over PROXY_BODY_MAX */
};

/* Limits.  64 KiB of body is ample for the KBS protocol: Trustee's SNP
 * evidence JSON with a VCEK is about 7 KB, an attestation token a few KB, the
 * JWE of a key under 1 KB.  Nothing is ever truncated to fit: an oversized
 * response becomes an ERROR. */
#define PROXY_PATH_MAX 255u
#define PROXY_BODY_MAX 65536u
#define PROXY_ERROR_TEXT_MAX 255u

/* Header, 32 bytes.  payload_crc is the CRC-32 of the payload (0 when the
 * payload is empty); header_crc is the CRC-32 of bytes 0..27, so it covers
 * payload_crc as well and the two together protect the whole frame.  The
 * header CRC lets a receiver reject a false magic in garbage after 32 bytes
 * instead of waiting for a payload length the garbage made up.
 * CRC-32 = the reflected 0xEDB88320 one of zlib ("123456789" -> 0xCBF43926). */
struct proxy_hdr {
	uint8_t magic[4];     /* "HKPX" */
	uint16_t version;     /* PROXY_VERSION */
	uint16_t type;        /* enum proxy_type */
	uint64_t session;     /* husk's random per-boot session number, never 0 */
	uint32_t seq;         /* husk's sequence number, echoed in the answer */
	uint32_t length;      /* payload bytes after the header */
	uint32_t payload_crc; /* CRC-32 of the payload */
	uint32_t header_crc;  /* CRC-32 of bytes 0..27 */
} HUSK_PACKED;
HUSK_STATIC_ASSERT(sizeof(struct proxy_hdr) == 32, "proxy header is 32 bytes");
HUSK_STATIC_ASSERT(offsetof(struct proxy_hdr, session) == 8, "session at 8");
HUSK_STATIC_ASSERT(offsetof(struct proxy_hdr, seq) == 16, "seq at 16");
HUSK_STATIC_ASSERT(offsetof(struct proxy_hdr, length) == 20, "length at 20");
HUSK_STATIC_ASSERT(offsetof(struct proxy_hdr, payload_crc) == 24, "payload_crc at 24");
HUSK_STATIC_ASSERT(offsetof(struct proxy_hdr, header_crc) == 28, "header_crc at 28");

#define PROXY_HDR_SIZE 32u
#define PROXY_HDR_CRC_SPAN 28u /* bytes covered by header_crc */

/* REQUEST payload: this, then path_len bytes of path (starts with '/', bytes
 * 0x21..0x7e only, so it cannot split an HTTP request line), then the body
 * (the rest of the payload, 0..PROXY_BODY_MAX bytes). */
struct proxy_request_fixed {
	uint8_t method;   /* enum proxy_method */
	uint8_t path_len; /* 1..PROXY_PATH_MAX */
} HUSK_PACKED;
HUSK_STATIC_ASSERT(sizeof(struct proxy_request_fixed) == 2, "request fixed part is 2 bytes");

/* RESPONSE payload: this, then the HTTP body exactly as received. */
struct proxy_response_fixed {
	uint16_t status; /* HTTP status, 100..599 */
} HUSK_PACKED;
HUSK_STATIC_ASSERT(sizeof(struct proxy_response_fixed) == 2, "response fixed part is 2 bytes");

/* ERROR payload: this, then 0..PROXY_ERROR_TEXT_MAX bytes of printable ASCII
 * (0x20..0x7e) saying what went wrong, for logs only. */
struct proxy_error_fixed {
	uint16_t code; /* enum proxy_error_code */
} HUSK_PACKED;
HUSK_STATIC_ASSERT(sizeof(struct proxy_error_fixed) == 2, "error fixed part is 2 bytes");

#define PROXY_REQUEST_PAYLOAD_MIN (2u + 1u)
#define PROXY_REQUEST_PAYLOAD_MAX (2u + PROXY_PATH_MAX + PROXY_BODY_MAX)
#define PROXY_RESPONSE_PAYLOAD_MAX (2u + PROXY_BODY_MAX)
#define PROXY_ERROR_PAYLOAD_MAX (2u + PROXY_ERROR_TEXT_MAX)
/* The largest payload and frame of any type: what a receiver must buffer. */
#define PROXY_PAYLOAD_MAX PROXY_REQUEST_PAYLOAD_MAX
#define PROXY_FRAME_MAX (PROXY_HDR_SIZE + PROXY_PAYLOAD_MAX)

#endif
