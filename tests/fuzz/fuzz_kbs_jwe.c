/* libFuzzer target: the resource JWE parser and decryptor (kbs_jwe) on
 * arbitrary text, with the fixed recipient keys of the unit-test vectors
 * (tests/data/kbs/kbs_vectors.h; the seeds are those vectors).  The first
 * byte picks the key (P-256 or P-521) or parsing alone.  Nothing may crash
 * or read out of bounds; a refusal must leave no plaintext and carry a
 * message; an accepted message has as many plaintext bytes as its
 * ciphertext. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "husk/err.h"
#include "kbs/kbs.h"
#include "kbs/kbs_b64.h"
#include "kbs/kbs_jwe.h"

#include "../data/kbs/kbs_vectors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok)
{
	if (!ok)
		__builtin_trap();
}

/* Reproducible bytes for mbedTLS' blinding (fuzzing only, not entropy). */
static int fuzz_rng(void *ctx, unsigned char *out, size_t len)
{
	static uint64_t s = 0x6a09e667f3bcc909ull;

	(void)ctx;
	for (size_t i = 0; i < len; i++) {
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		out[i] = (unsigned char)s;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct kbs_key keys[2];
	static bool ready;
	static uint8_t out[KBS_RSP_MAX];
	static struct kbs_jwe_parts parts;
	struct kbs_error err;
	size_t len, n;
	char *text;
	int rc;

	if (!ready) {
		check(kbs_key_load(&keys[0], KBS_CURVE_P256, vec_p256_d, 32, fuzz_rng, NULL, &err) == HUSK_OK);
		check(kbs_key_load(&keys[1], KBS_CURVE_P521, vec_p521_d, 66, fuzz_rng, NULL, &err) == HUSK_OK);
		ready = true;
	}
	if (size < 1 || size > KBS_RSP_MAX + 1)
		return 0;
	len = size - 1;
	text = malloc(len ? len : 1);
	if (!text)
		return 0;
	memcpy(text, data + 1, len);
	memset(&err, 0, sizeof(err));
	if (data[0] % 3 == 2) {
		rc = kbs_jwe_parse(text, len, &parts, &err);
		if (rc == HUSK_OK)
			check(parts.header_len <= KBS_JWE_HEADER_MAX && parts.protected_b64 >= text &&
			      parts.protected_b64 + parts.protected_len <= text + len);
	} else {
		const struct kbs_key *key = &keys[data[0] % 3];

		memset(out, 0, sizeof(out));
		rc = kbs_jwe_decrypt(key, fuzz_rng, NULL, text, len, out, sizeof(out), &n, &err);
		if (rc == HUSK_OK) {
			check(kbs_jwe_parse(text, len, &parts, &err) == HUSK_OK);
			check(n == kbs_b64url_decoded_len(parts.ct_len));
		} else {
			check(n == 0);
			/* Decryption writes at most as many bytes as the text has. */
			for (size_t i = 0; i < len && i < sizeof(out); i++)
				check(out[i] == 0);
		}
	}
	if (rc != HUSK_OK)
		check(err.code != KBS_E_NONE && !strncmp(err.msg, "kbs: ", 5) && memchr(err.msg, 0, sizeof(err.msg)));
	free(text);
	return 0;
}
