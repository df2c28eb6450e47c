/* libFuzzer target: what lib/ekcert does with input it did not make: the
 * CA's key and certificate (as a KBS would hand them over) and the EK
 * public area.  The first byte chooses what the rest is:
 *   0: a CA key, with a good CA certificate
 *   1: a CA certificate, with its good key
 *   2: u16 key length, key, certificate
 *   3: an EK public area (TPMT_PUBLIC), issued for by a good EC CA
 * Nothing may crash or leak; a refusal must come with a reason, and a
 * certificate that is issued must parse and verify with its CA. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/test_ekcert_fixtures.h"
#include "crypto/crypto.h"
#include "ekcert/ekcert.h"
#include "husk/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fuzz_rng(void *ctx, unsigned char *buf, size_t len)
{
	(void)ctx;
	for (size_t i = 0; i < len; i++)
		buf[i] = (unsigned char)(0x5a ^ i);
	return 0;
}

static void *fuzz_calloc(size_t n, size_t size)
{
	return calloc(n, size);
}

static const struct ekcert_tpm_info info = {
	.manufacturer = 0x4855534b,
	.vendor_string = { 0x6875736b, 0, 0, 0 },
	.firmware_version_1 = 0x00010000,
	.spec_family = 0x322e3000,
	.spec_level = 0,
	.spec_revision = 164,
};

static void load(const uint8_t *key, size_t key_len, const uint8_t *cert, size_t cert_len)
{
	struct ekcert_ca ca;
	const char *why = NULL;
	int err;

	ekcert_ca_init(&ca);
	err = ekcert_ca_load(&ca, key, key_len, cert, cert_len, fuzz_rng, NULL, &why);
	if (err ? (!why || ca.loaded) : !ca.loaded)
		__builtin_trap();
	ekcert_ca_free(&ca);
}

static void issue(const uint8_t *pub, size_t pub_len)
{
	static struct ekcert_ca ca;
	static bool ready;
	static uint8_t der[EKCERT_DER_MAX];
	const char *why = NULL;
	size_t len = 0;
	int err;

	if (!ready) {
		ekcert_ca_init(&ca);
		if (ekcert_ca_load(&ca, ca_ec256_key.p, ca_ec256_key.len, ca_ec256_cert.p, ca_ec256_cert.len,
				   fuzz_rng, NULL, NULL))
			__builtin_trap();
		ready = true;
	}
	err = ekcert_issue(&ca, &info, pub, pub_len, fuzz_rng, NULL, der, sizeof(der), &len, &why);
	if (err) {
		if (!why)
			__builtin_trap();
		return;
	}
	/* ekcert_issue already parsed and verified it; check it is whole. */
	if (len < 100 || len > sizeof(der) || der[0] != 0x30)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool crypto_ready;
	size_t n;

	if (!crypto_ready) {
		if (crypto_init(fuzz_calloc, free))
			__builtin_trap();
		crypto_ready = true;
	}
	if (size < 1)
		return 0;
	switch (data[0] & 3) {
	case 0: load(data + 1, size - 1, ca_ec256_cert.p, ca_ec256_cert.len); break;
	case 1: load(ca_ec256_key.p, ca_ec256_key.len, data + 1, size - 1); break;
	case 2:
		if (size < 3)
			return 0;
		n = (size_t)(data[1] << 8 | data[2]);
		if (n > size - 3)
			n = size - 3;
		load(data + 3, n, data + 3 + n, size - 3 - n);
		break;
	default: issue(data + 1, size - 1); break;
	}
	return 0;
}
