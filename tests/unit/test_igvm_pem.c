/* Unit tests for husk-igvm's PEM key parser (tools/igvm/pem.c): both key
 * forms openssl writes, the blocks it must skip or refuse, malformed base64
 * and DER, and a key loaded from a file signing an ID block that
 * lib/igvm then verifies.  The keys below were made for this test with
 * openssl (ecparam -genkey, pkcs8 -topk8); they protect nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../tools/igvm/pem.h"
#include "husk/err.h"
#include "igvm/igvm_snp.h"

/* openssl ecparam -name secp384r1 -genkey (with its EC PARAMETERS block). */
static const char sec1_pem[] =
	"-----BEGIN EC PARAMETERS-----\n"
	"BgUrgQQAIg==\n"
	"-----END EC PARAMETERS-----\n"
	"-----BEGIN EC PRIVATE KEY-----\n"
	"MIGkAgEBBDCwr04/A4Q9KrrolEKuovtfWut4SxcI+lXxn5lmBzsr6qqX914EkPBf\n"
	"Ir5fqxi1+rCgBwYFK4EEACKhZANiAASvVQCNhc4NSoL4xjtyuwjBASwWBCXjK98M\n"
	"7+Wq7sui3SBuu7qTKB/SIwR6tRaBJ1HsGoAiInsFHmTGasPUlaVAMrffFNMFcj7L\n"
	"2jhqEXFLZvbugRmSzdlV828aX0r2594=\n"
	"-----END EC PRIVATE KEY-----\n";

/* The same key as PKCS#8 (openssl pkcs8 -topk8 -nocrypt). */
static const char pkcs8_pem[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIG2AgEAMBAGByqGSM49AgEGBSuBBAAiBIGeMIGbAgEBBDCwr04/A4Q9KrrolEKu\n"
	"ovtfWut4SxcI+lXxn5lmBzsr6qqX914EkPBfIr5fqxi1+rChZANiAASvVQCNhc4N\n"
	"SoL4xjtyuwjBASwWBCXjK98M7+Wq7sui3SBuu7qTKB/SIwR6tRaBJ1HsGoAiInsF\n"
	"HmTGasPUlaVAMrffFNMFcj7L2jhqEXFLZvbugRmSzdlV828aX0r2594=\n"
	"-----END PRIVATE KEY-----\n";

static const char p256_pem[] =
	"-----BEGIN EC PRIVATE KEY-----\n"
	"MHcCAQEEIDTgfT7GcVKNthQiTSAqtrlL917hrHpioLnY2DK0XsJaoAoGCCqGSM49\n"
	"AwEHoUQDQgAE3QxlVahlQxt05bQOKPVmc/nv2/NkPmTgs5MzTKtAHyO8uB4nw77e\n"
	"g/l8ry26i6g1uSJbD8GKcHglpvdy1VI5Uw==\n"
	"-----END EC PRIVATE KEY-----\n";

static const char legacy_encrypted_pem[] =
	"-----BEGIN EC PRIVATE KEY-----\n"
	"Proc-Type: 4,ENCRYPTED\n"
	"DEK-Info: AES-128-CBC,F91C61B0086CA4EF34FF05219DFB0130\n"
	"\n"
	"DcBVJwWGmw5Xi04PD7HTFRoN8T9uowehA+uMzIsJ8u302iRuNTW9GTwLzfWOC8Ts\n"
	"5ADh3hCez/fo1yvDtGfbcIdDWPndF7yabqE3hhH1AR9+qvcIUluNf4SuXq0TG2iF\n"
	"ryDMAPgQxa0pRAutmfiDAbkoPXn8ygDNl1G0MSakf05pKtmNPU4nPId4IhjbKUHK\n"
	"Q0s/3pFbOi1synEctAF2tQUb0yhXD08aOQlPEI6SeSE=\n"
	"-----END EC PRIVATE KEY-----\n";

static const char pkcs8_encrypted_pem[] =
	"-----BEGIN ENCRYPTED PRIVATE KEY-----\n"
	"MIIBHDBXBgkqhkiG9w0BBQ0wSjApBgkqhkiG9w0BBQwwHAQIG0wWuPJl67YCAggA\n"
	"-----END ENCRYPTED PRIVATE KEY-----\n";

/* openssl ec -text: the private scalar and public point of the key above. */
static const uint8_t want_d[48] = {
	0xb0, 0xaf, 0x4e, 0x3f, 0x03, 0x84, 0x3d, 0x2a, 0xba, 0xe8, 0x94, 0x42, 0xae, 0xa2, 0xfb, 0x5f,
	0x5a, 0xeb, 0x78, 0x4b, 0x17, 0x08, 0xfa, 0x55, 0xf1, 0x9f, 0x99, 0x66, 0x07, 0x3b, 0x2b, 0xea,
	0xaa, 0x97, 0xf7, 0x5e, 0x04, 0x90, 0xf0, 0x5f, 0x22, 0xbe, 0x5f, 0xab, 0x18, 0xb5, 0xfa, 0xb0,
};
static const char want_q_hex[] =
	"af55008d85ce0d4a82f8c63b72bb08c1012c160425e32bdf0cefe5aaeecba2dd206ebbba93281fd22304"
	"7ab516812751ec1a8022227b051e64c66ac3d495a54032b7df14d305723ecbda386a11714b66f6ee8119"
	"92cdd955f36f1a5f4af6e7de";

static void unhex(const char *s, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned v;

		assert_int_equal(sscanf(s + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
}

static int parse(const char *text, struct pem_ec_key *k, char *why)
{
	return pem_parse_ec_key(text, strlen(text), k, why, 160);
}

static void expect_fail(const char *text, int code, const char *substr)
{
	struct pem_ec_key k;
	char why[160];
	int rc = parse(text, &k, why);

	if (rc != code || !strstr(why, substr))
		fail_msg("got %d '%s', want %d '%s'", rc, why, code, substr);
	for (size_t i = 0; i < sizeof(k.d); i++)
		assert_int_equal(k.d[i], 0); /* nothing half-parsed left behind */
}

static void test_both_forms(void **state)
{
	struct pem_ec_key a, b;
	uint8_t q[96];
	char why[160];

	(void)state;
	unhex(want_q_hex, q, sizeof(q));
	assert_int_equal(parse(sec1_pem, &a, why), HUSK_OK);
	assert_memory_equal(a.d, want_d, sizeof(want_d));
	assert_true(a.have_public);
	assert_int_equal(a.q[0], 0x04);
	assert_memory_equal(a.q + 1, q, sizeof(q));
	assert_int_equal(parse(pkcs8_pem, &b, why), HUSK_OK);
	assert_memory_equal(b.d, want_d, sizeof(want_d));
	assert_true(b.have_public);
	assert_memory_equal(b.q, a.q, sizeof(a.q));
}

static char *replace(const char *text, const char *from, const char *to)
{
	const char *at = strstr(text, from);
	size_t n = strlen(text) - strlen(from) + strlen(to) + 1;
	char *out = malloc(n);

	assert_non_null(at);
	assert_non_null(out);
	snprintf(out, n, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
	return out;
}

static void test_refusals(void **state)
{
	char *t;

	(void)state;
	expect_fail("", HUSK_ERR_NOTFOUND, "no \"EC PRIVATE KEY\"");
	expect_fail("-----BEGIN EC PARAMETERS-----\nBgUrgQQAIg==\n-----END EC PARAMETERS-----\n",
		    HUSK_ERR_NOTFOUND, "no \"EC PRIVATE KEY\"");
	expect_fail(p256_pem, HUSK_ERR_UNSUPPORTED, "not on curve P-384");
	expect_fail(legacy_encrypted_pem, HUSK_ERR_UNSUPPORTED, "encrypted keys are not supported");
	expect_fail(pkcs8_encrypted_pem, HUSK_ERR_UNSUPPORTED, "encrypted keys are not supported");
	expect_fail("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
		    HUSK_ERR_UNSUPPORTED, "not an EC private key");
	expect_fail("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n",
		    HUSK_ERR_FORMAT, "malformed PEM block");
	/* Base64: a character outside the alphabet, a missing character,
	 * data after padding. */
	t = replace(pkcs8_pem, "MIG2", "MI*2");
	expect_fail(t, HUSK_ERR_FORMAT, "bad base64");
	free(t);
	t = replace(pkcs8_pem, "MIG2", "MIG");
	expect_fail(t, HUSK_ERR_FORMAT, "bad base64");
	free(t);
	t = replace(pkcs8_pem, "2594=\n", "2594=AAAA\n");
	expect_fail(t, HUSK_ERR_FORMAT, "bad base64");
	free(t);
	/* DER: the outer length one too long (MIG2 = 30 81 b6 -> 30 81 b7). */
	t = replace(pkcs8_pem, "MIG2", "MIG3");
	expect_fail(t, HUSK_ERR_FORMAT, "PrivateKeyInfo is not a DER SEQUENCE");
	free(t);
	/* Version 2 in the SEC1 structure (AgEB = INTEGER 1 -> AgEC). */
	t = replace(sec1_pem, "MIGkAgEB", "MIGkAgEC");
	expect_fail(t, HUSK_ERR_FORMAT, "version is not 1");
	free(t);
}

static int test_rng(void *ctx, unsigned char *out, size_t len)
{
	(void)ctx;
	for (size_t i = 0; i < len; i++)
		out[i] = (unsigned char)(i * 131 + 7);
	return 0;
}

static void test_load_and_sign(void **state)
{
	char path[] = "/tmp/husk-test-pem.XXXXXX";
	mbedtls_ecp_keypair kp;
	struct igvm_snp_id_block_public_key pub;
	struct igvm_snp_id_block_signature sig, sig2;
	static const char msg[] = "an ID block";
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, pkcs8_pem, strlen(pkcs8_pem)), (ssize_t)strlen(pkcs8_pem));
	close(fd);
	mbedtls_ecp_keypair_init(&kp);
	assert_int_equal(pem_load_key(path, &kp, test_rng, NULL), HUSK_OK);
	assert_int_equal(igvm_snp_public_key(&kp, &pub), HUSK_OK);
	/* The IGVM form is little-endian: qx[0] is X's last byte. */
	assert_int_equal(pub.curve, 2);
	assert_int_equal(pub.qx[0], 0x51);
	assert_int_equal(pub.qx[47], 0xaf);
	assert_int_equal(igvm_snp_sign(&kp, msg, sizeof(msg), &sig, test_rng, NULL), HUSK_OK);
	assert_int_equal(igvm_snp_verify(&pub, msg, sizeof(msg), &sig), HUSK_OK);
	/* RFC 6979: the same signature every time, whatever the blinding. */
	assert_int_equal(igvm_snp_sign(&kp, msg, sizeof(msg), &sig2, test_rng, NULL), HUSK_OK);
	assert_memory_equal(&sig, &sig2, sizeof(sig));
	sig.r[3] ^= 1;
	assert_int_equal(igvm_snp_verify(&pub, msg, sizeof(msg), &sig), HUSK_ERR_CRYPTO);
	mbedtls_ecp_keypair_free(&kp);

	/* A public key that does not belong to the private key is refused. */
	{
		char *t = replace(sec1_pem, "AASvVQCN", "AASvVQCM");
		FILE *f = fopen(path, "w");

		assert_non_null(f);
		fputs(t, f);
		fclose(f);
		free(t);
		mbedtls_ecp_keypair_init(&kp);
		assert_int_not_equal(pem_load_key(path, &kp, test_rng, NULL), HUSK_OK);
		mbedtls_ecp_keypair_free(&kp);
	}
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_both_forms),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_load_and_sign),
	};

	return cmocka_run_group_tests_name("igvm-pem", tests, NULL, NULL);
}
