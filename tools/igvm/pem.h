/* P-384 private keys from PEM files, for `husk-igvm sign`: the SEC1 form
 * ("EC PRIVATE KEY", what `openssl ecparam -genkey` writes) and the PKCS#8
 * form ("PRIVATE KEY", what `openssl genpkey` writes), unencrypted.  The
 * file is untrusted input: base64 and DER are parsed strictly and every
 * length checked (tests/fuzz/fuzz_igvm_pem.c).  Parsing only: no curve
 * arithmetic happens here. */
#ifndef HUSK_TOOLS_IGVM_PEM_H
#define HUSK_TOOLS_IGVM_PEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mbedtls/ecp.h"

#define PEM_P384_BYTES 48u

struct pem_ec_key {
	uint8_t d[PEM_P384_BYTES];            /* private scalar, big-endian */
	bool have_public;                     /* the file also holds the public key */
	uint8_t q[1 + 2 * PEM_P384_BYTES];    /* 04 || X || Y, big-endian */
};

/* HUSK_OK, or an error code with a one-line reason in why. */
int pem_parse_ec_key(const char *text, size_t len, struct pem_ec_key *key, char *why,
		     size_t why_len);

/* Reads path, parses it, and sets kp up (private scalar in range, public key
 * computed and, if the file has one, equal to it).  f_rng blinds the scalar
 * multiplication.  Prints "path: reason" on failure. */
int pem_load_key(const char *path, mbedtls_ecp_keypair *kp,
		 int (*f_rng)(void *, unsigned char *, size_t), void *p_rng);

#endif
