/* Crypto self-tests at boot (lib/crypto known answers, entropy from the
 * platform). */
#include "core/console.h"
#include "core/selftest.h"
#include "crypto/crypto.h"
#include "husk/err.h"
#include "mm/kheap.h"
#include "platform/platform.h"

static int selftest_entropy(void *ctx, uint8_t *buf, size_t len)
{
	return platform()->entropy(ctx, buf, len);
}

int selftest_crypto(void)
{
	struct crypto_selftest_result results[CRYPTO_SELFTEST_MAX];
	struct crypto_selftest_env env = { selftest_entropy, NULL, 0 };
	size_t n = 0, passed = 0;
	int err;

	err = crypto_init(kcalloc, kfree);
	if (err)
		return err;
	err = crypto_selftest_run(&env, results, HUSK_ARRAY_SIZE(results), &n);
	for (size_t i = 0; i < n; i++) {
		if (results[i].rc == HUSK_OK)
			passed++;
		else
			pr_err("crypto self-test %s: %s", results[i].name, husk_strerror(results[i].rc));
	}
	pr_info("crypto self-test: %zu of %zu passed (mbedTLS 3.6)", passed, n);
	return err;
}
