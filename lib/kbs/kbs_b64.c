/* Strict base64 / base64url over mbedtls_base64; see kbs_b64.h.  The
 * strictness checks run first, on the caller's text, so that mbedTLS (which
 * would accept line breaks and non-zero trailing bits) only ever sees
 * canonical standard base64. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "husk/err.h"
#include "kbs/kbs_b64.h"

#include "mbedtls/base64.h"

#define B64_CHUNK 252 /* characters translated per step of the url decoder: 63 groups */

static int b64_value(char c, bool url)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == (url ? '-' : '+'))
		return 62;
	if (c == (url ? '_' : '/'))
		return 63;
	return -1;
}

size_t kbs_b64_encoded_len(size_t n)
{
	if (n / 3 >= SIZE_MAX / 4 - 1)
		return SIZE_MAX;
	return (n / 3 + (n % 3 != 0)) * 4;
}

size_t kbs_b64url_encoded_len(size_t n)
{
	if (n / 3 >= SIZE_MAX / 4 - 1)
		return SIZE_MAX;
	return n / 3 * 4 + (n % 3 == 0 ? 0 : n % 3 + 1);
}

static size_t std_padding(const char *in, size_t n)
{
	if (n >= 2 && in[n - 1] == '=' && in[n - 2] == '=')
		return 2;
	if (n >= 1 && in[n - 1] == '=')
		return 1;
	return 0;
}

size_t kbs_b64_decoded_len(const char *in, size_t n)
{
	if (n % 4 != 0)
		return SIZE_MAX;
	return n / 4 * 3 - std_padding(in, n);
}

size_t kbs_b64url_decoded_len(size_t n)
{
	static const size_t tail[4] = { 0, SIZE_MAX, 1, 2 };

	if (n % 4 == 1)
		return SIZE_MAX;
	return n / 4 * 3 + tail[n % 4];
}

int kbs_b64_encode(const uint8_t *in, size_t n, char *out, size_t out_max, size_t *out_len)
{
	size_t need = kbs_b64_encoded_len(n), got = 0;

	*out_len = 0;
	if (need == SIZE_MAX || need >= out_max)
		return HUSK_ERR_RANGE;
	if (mbedtls_base64_encode((unsigned char *)out, out_max, &got, in, n) != 0 || got != need)
		return HUSK_ERR_RANGE;
	out[need] = '\0';
	*out_len = need;
	return HUSK_OK;
}

int kbs_b64url_encode(const uint8_t *in, size_t n, char *out, size_t out_max, size_t *out_len)
{
	size_t need = kbs_b64url_encoded_len(n), o = 0;
	char tmp[68]; /* 48 bytes encode to 64 characters, plus NUL */

	*out_len = 0;
	if (need == SIZE_MAX || need >= out_max)
		return HUSK_ERR_RANGE;
	for (size_t i = 0; i < n; i += 48) {
		size_t take = n - i < 48 ? n - i : 48, got = 0;

		if (mbedtls_base64_encode((unsigned char *)tmp, sizeof(tmp), &got, in + i, take) != 0)
			return HUSK_ERR_RANGE;
		for (size_t k = 0; k < got && tmp[k] != '='; k++) {
			if (o >= need)
				return HUSK_ERR_RANGE;
			out[o++] = tmp[k] == '+' ? '-' : tmp[k] == '/' ? '_' : tmp[k];
		}
	}
	if (o != need)
		return HUSK_ERR_RANGE;
	out[o] = '\0';
	*out_len = o;
	return HUSK_OK;
}

/* The unused low bits of the last character before padding: 4 bits when
 * it ends a 1-byte tail, 2 bits for a 2-byte tail. */
static bool tail_bits_zero(char last, size_t tail_bytes, bool url)
{
	int v = b64_value(last, url);

	if (tail_bytes == 1)
		return (v & 0x0f) == 0;
	if (tail_bytes == 2)
		return (v & 0x03) == 0;
	return true;
}

int kbs_b64_decode(const char *in, size_t n, uint8_t *out, size_t out_max, size_t *out_len)
{
	size_t pad, need, got = 0;

	*out_len = 0;
	if (n % 4 != 0)
		return HUSK_ERR_FORMAT;
	pad = std_padding(in, n);
	for (size_t i = 0; i < n - pad; i++)
		if (b64_value(in[i], false) < 0)
			return HUSK_ERR_FORMAT;
	if (pad && !tail_bits_zero(in[n - pad - 1], 3 - pad, false))
		return HUSK_ERR_FORMAT;
	need = n / 4 * 3 - pad;
	if (need > out_max)
		return HUSK_ERR_RANGE;
	if (n == 0)
		return HUSK_OK;
	if (mbedtls_base64_decode(out, out_max, &got, (const unsigned char *)in, n) != 0 || got != need)
		return HUSK_ERR_FORMAT;
	*out_len = got;
	return HUSK_OK;
}

int kbs_b64url_decode(const char *in, size_t n, uint8_t *out, size_t out_max, size_t *out_len)
{
	size_t need = kbs_b64url_decoded_len(n), o = 0;
	char chunk[B64_CHUNK + 4];

	*out_len = 0;
	if (need == SIZE_MAX)
		return HUSK_ERR_FORMAT;
	for (size_t i = 0; i < n; i++)
		if (b64_value(in[i], true) < 0)
			return HUSK_ERR_FORMAT;
	if (n % 4 != 0 && !tail_bits_zero(in[n - 1], n % 4 - 1, true))
		return HUSK_ERR_FORMAT;
	if (need > out_max)
		return HUSK_ERR_RANGE;
	/* Translate to the standard alphabet a chunk at a time (whole groups of
	 * four; only the last one gets padding), so no buffer of the input's
	 * size is needed. */
	for (size_t i = 0; i < n;) {
		size_t take = n - i < B64_CHUNK ? n - i : B64_CHUNK, clen = take, got = 0;

		for (size_t k = 0; k < take; k++) {
			char c = in[i + k];

			chunk[k] = c == '-' ? '+' : c == '_' ? '/' : c;
		}
		while (clen % 4 != 0)
			chunk[clen++] = '=';
		if (mbedtls_base64_decode(out + o, out_max - o, &got, (const unsigned char *)chunk, clen) != 0)
			return HUSK_ERR_FORMAT;
		o += got;
		i += take;
	}
	if (o != need)
		return HUSK_ERR_FORMAT;
	*out_len = o;
	return HUSK_OK;
}
