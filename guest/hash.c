/* Hashes for the guest's checks (the PCR values it expects the vTPM to
 * report, the REPORT_DATA of attestation reports): mbedTLS's SHA-256 and
 * SHA-512, compiled again with the guest's flags (guest/module.mk), so the
 * guest checks husk with a hash implementation it does not share at run
 * time. */
#include "guest.h"
#include "mbedtls/sha256.h"
#include "mbedtls/sha512.h"

void sha256(const void *data, size_t len, uint8_t out[32])
{
	/* The one-shot functions fail only on bad arguments. */
	(void)mbedtls_sha256(data, len, out, 0);
}

void sha512_2(const void *a, size_t a_len, const void *b, size_t b_len, uint8_t out[64])
{
	mbedtls_sha512_context h;

	mbedtls_sha512_init(&h);
	(void)mbedtls_sha512_starts(&h, 0);
	(void)mbedtls_sha512_update(&h, a, a_len);
	(void)mbedtls_sha512_update(&h, b, b_len);
	(void)mbedtls_sha512_finish(&h, out);
	mbedtls_sha512_free(&h);
}
