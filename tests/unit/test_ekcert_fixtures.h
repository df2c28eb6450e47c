/* Test CAs for the EK certificate tests; see test_ekcert_fixtures.c. */
#ifndef HUSK_TEST_EKCERT_FIXTURES_H
#define HUSK_TEST_EKCERT_FIXTURES_H

#include <stddef.h>
#include <stdint.h>

struct ekcert_fixture {
	const uint8_t *p;
	size_t len;
};
extern const struct ekcert_fixture ca_ec256_key;
extern const struct ekcert_fixture ca_ec256_cert;
extern const struct ekcert_fixture ca_ec384_key;
extern const struct ekcert_fixture ca_ec384_cert;
extern const struct ekcert_fixture ca_rsa_key;
extern const struct ekcert_fixture ca_rsa_cert;
extern const struct ekcert_fixture ca_noski_cert;
extern const struct ekcert_fixture ca_nonca_cert;
extern const struct ekcert_fixture ca_noku_cert;
extern const struct ekcert_fixture ca_multi_cert;
extern const struct ekcert_fixture ca_ec256_enc_key;
extern const struct ekcert_fixture ed25519_key;
extern const struct ekcert_fixture ca_rsa1024_key;
extern const struct ekcert_fixture ca_rsa1024_cert;

#endif
