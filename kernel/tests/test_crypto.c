/* Every crypto known-answer self-test as its own KTAP case, plus a check
 * that the self-tests can fail at all. */
#include "core/ktest.h"
#include "crypto/crypto.h"
#include "husk/err.h"
#include "platform/platform.h"

static int kt_entropy(void *ctx, uint8_t *buf, size_t len)
{
	return platform()->entropy(ctx, buf, len);
}

static void run_case(struct ktest_ctx *t, size_t i)
{
	struct crypto_selftest_env env = { kt_entropy, NULL, 0 };

	KEXPECT_EQ(t, crypto_selftest_run_one(i, &env), HUSK_OK);
}

KTEST_DYN(crypto_kat, crypto_selftest_count, crypto_selftest_name, run_case);

KTEST(crypto, injected_faults_are_detected)
{
	struct crypto_selftest_env env = { kt_entropy, NULL, CRYPTO_SELFTEST_INJECT_FAULT };

	for (size_t i = 0; i < crypto_selftest_count(); i++)
		if (crypto_selftest_run_one(i, &env) == HUSK_OK)
			ktest_fail(t, __FILE__, __LINE__, "case %s passed with a corrupted vector",
				   crypto_selftest_name(i));
}

KTEST(crypto, platform_entropy)
{
	uint8_t a[32] = { 0 }, b[32] = { 0 };
	int same = 1;

	KASSERT_EQ(t, kt_entropy(NULL, a, sizeof(a)), HUSK_OK);
	KASSERT_EQ(t, kt_entropy(NULL, b, sizeof(b)), HUSK_OK);
	for (size_t i = 0; i < sizeof(a); i++)
		same &= a[i] == b[i];
	KEXPECT(t, !same);
}
