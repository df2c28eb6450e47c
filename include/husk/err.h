/* Error codes shared by husk's kernel, portable libraries and host tools.
 * Functions that can fail return int: 0 (HUSK_OK) or one of these positive codes. */
#ifndef HUSK_ERR_H
#define HUSK_ERR_H

enum husk_err {
	HUSK_OK = 0,
	HUSK_ERR_NOMEM,       /* allocation failed */
	HUSK_ERR_INVAL,       /* malformed or out-of-range argument */
	HUSK_ERR_RANGE,       /* address or size outside what is allowed */
	HUSK_ERR_OVERLAP,     /* two ranges overlap that must not */
	HUSK_ERR_ALIGN,       /* misaligned address or size */
	HUSK_ERR_FORMAT,      /* bad magic, version, checksum or structure */
	HUSK_ERR_NOTFOUND,    /* no such item */
	HUSK_ERR_EXISTS,      /* item already present */
	HUSK_ERR_BUSY,        /* resource in use */
	HUSK_ERR_UNSUPPORTED, /* valid request husk does not implement */
	HUSK_ERR_CRYPTO,      /* a cryptographic operation failed */
	HUSK_ERR_IO,          /* device or file I/O failed */
	HUSK_ERR_TIMEOUT,     /* gave up waiting */
	HUSK_ERR__COUNT
};

static inline const char *husk_strerror(int err)
{
	static const char *const names[HUSK_ERR__COUNT] = {
		"ok", "out of memory", "invalid argument", "out of range",
		"overlap", "misaligned", "bad format", "not found", "exists",
		"busy", "unsupported", "crypto failure", "I/O error", "timeout",
	};
	if (err < 0 || err >= HUSK_ERR__COUNT)
		return "unknown error";
	return names[err];
}

#endif
