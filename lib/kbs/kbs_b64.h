/* Strict base64 for the KBS protocol: the standard alphabet with padding
 * (the challenge nonce, the sample evidence's report_data) and base64url
 * without padding (JWK coordinates, every JWE member), on top of
 * mbedtls_base64 with the alphabet translated.
 *
 * Decoding accepts exactly one spelling of each byte string: no whitespace
 * or line breaks, no padding in the url form and mandatory padding in the
 * standard form, no stray length (4k+1 characters), and the unused low bits
 * of the last character must be zero. */
#ifndef HUSK_KBS_B64_H
#define HUSK_KBS_B64_H

#include <stddef.h>
#include <stdint.h>

/* Encoded lengths, without the NUL the encoders also write. */
size_t kbs_b64_encoded_len(size_t n);    /* 4 * ceil(n / 3) */
size_t kbs_b64url_encoded_len(size_t n); /* no padding */

/* Decoded lengths of a well-formed input of that many characters, or
 * SIZE_MAX if no well-formed input has that length. */
size_t kbs_b64_decoded_len(const char *in, size_t n);
size_t kbs_b64url_decoded_len(size_t n);

/* Encoders write the text and a NUL into out[0..out_max) and set *out_len
 * (without the NUL).  HUSK_ERR_RANGE if out_max is too small. */
int kbs_b64_encode(const uint8_t *in, size_t n, char *out, size_t out_max, size_t *out_len);
int kbs_b64url_encode(const uint8_t *in, size_t n, char *out, size_t out_max, size_t *out_len);

/* Decoders: HUSK_ERR_FORMAT if the text is not in the strict form above,
 * HUSK_ERR_RANGE if the result does not fit in out_max bytes. */
int kbs_b64_decode(const char *in, size_t n, uint8_t *out, size_t out_max, size_t *out_len);
int kbs_b64url_decode(const char *in, size_t n, uint8_t *out, size_t out_max, size_t *out_len);

#endif
