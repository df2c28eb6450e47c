/* SHA-1 and SHA-256 block compression for mbedTLS's PROCESS_ALT hooks in hosted x86-64 builds.
 *
 * mbedTLS 3.6 accelerates SHA-256 only on ARMv8; on x86 it is portable C,
 * about four times slower than the SHA extensions libtpms gets through
 * OpenSSL.  This file supplies the two block functions mbedTLS calls when the
 * PROCESS_ALT macros are set: each block goes to the SHA-NI code if CPUID
 * reports SHA, SSSE3 and SSE4.1 (decided once), else to a portable C
 * implementation.  Written from FIPS 180-4 and Intel's description of the SHA
 * extensions (SDM vol. 2, SHA1RNDS4 ... SHA256MSG2).
 *
 * Hosted builds only (host, hostsan, fuzz): lib/crypto/module.mk puts this
 * object into their libmbedcrypto.a, never into the kernel's, and the config
 * defines the ALT macros only under HUSK_HOSTED on x86-64 (the kernel never
 * enables SSE).  Only the SHA-NI functions are compiled for SSE, through
 * their target attribute; everything else stays baseline x86-64. */
#include "crypto/sha_x86.h"

#include "husk/err.h"

#include "mbedtls/platform_util.h"
#include "mbedtls/sha1.h"
#include "mbedtls/sha256.h"

#if defined(MBEDTLS_SHA256_PROCESS_ALT) || defined(MBEDTLS_SHA1_PROCESS_ALT)

#if !defined(__x86_64__) || !defined(HUSK_HOSTED)
#error "sha_x86.c: the SHA PROCESS_ALT hooks are for hosted x86-64 builds only"
#endif

#include <cpuid.h>
#include <immintrin.h>

/* ================================================================
 * Shared: FIPS 180-4 constants, byte order
 * ================================================================ */

/* FIPS 180-4 4.2.2: the first 32 bits of the fractional parts of the cube
 * roots of the first 64 primes.  16-byte aligned for the SHA-NI loads. */
static const uint32_t sha256_k[64] __attribute__((aligned(16))) = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

/* FIPS 180-4 4.2.1. */
#define SHA1_K0 0x5a827999u
#define SHA1_K1 0x6ed9eba1u
#define SHA1_K2 0x8f1bbcdcu
#define SHA1_K3 0xca62c1d6u

static inline uint32_t load_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* n in 1..31 */
static inline uint32_t rotr32(uint32_t x, unsigned int n)
{
	return (x >> n) | (x << (32 - n));
}

static inline uint32_t rotl32(uint32_t x, unsigned int n)
{
	return (x << n) | (x >> (32 - n));
}

/* ================================================================
 * Portable C (FIPS 180-4 6.1.2 and 6.2.2)
 * ================================================================ */

/* Ch and Maj in forms with one operation fewer, equal to FIPS 180-4 4.1.1. */
#define CH(x, y, z) ((z) ^ ((x) & ((y) ^ (z))))
#define MAJ(x, y, z) (((x) & (y)) | ((z) & ((x) | (y))))
#define PARITY(x, y, z) ((x) ^ (y) ^ (z))

#define BSIG0(x) (rotr32(x, 2) ^ rotr32(x, 13) ^ rotr32(x, 22))
#define BSIG1(x) (rotr32(x, 6) ^ rotr32(x, 11) ^ rotr32(x, 25))
#define SSIG0(x) (rotr32(x, 7) ^ rotr32(x, 18) ^ ((x) >> 3))
#define SSIG1(x) (rotr32(x, 17) ^ rotr32(x, 19) ^ ((x) >> 10))

/* The message schedule lives in a 16-word ring, W[t] in w[t & 15], each word
 * computed just before its round replaces W[t-16] (FIPS 180-4 6.2.2 step 1,
 * 6.1.2 step 1).  With every t a constant (the rounds are unrolled), the
 * indices fold and the ring stays mostly in registers; a separate 64- or
 * 80-word expansion loop was auto-vectorised by gcc into 8-byte loads of
 * words just stored, and store-forwarding stalls made SHA-1 3x slower. */
#define SHA256_W(t)                                                                     \
	((t) < 16 ? w[(t) & 15]                                                         \
		  : (w[(t) & 15] += SSIG1(w[((t) - 2) & 15]) + w[((t) - 7) & 15] +      \
				    SSIG0(w[((t) - 15) & 15])))

/* One round.  Instead of moving all eight words, the caller rotates the
 * names: the new a lands in h's variable and the new e in d's. */
#define SHA256_ROUND(a, b, c, d, e, f, g, h, t)                                         \
	do {                                                                            \
		uint32_t t1_ = (h) + BSIG1(e) + CH(e, f, g) + sha256_k[t] + SHA256_W(t); \
		(d) += t1_;                                                             \
		(h) = t1_ + BSIG0(a) + MAJ(a, b, c);                                    \
	} while (0)

#define SHA256_ROUNDS8(t)                                          \
	do {                                                       \
		SHA256_ROUND(a, b, c, d, e, f, g, h, (t) + 0);     \
		SHA256_ROUND(h, a, b, c, d, e, f, g, (t) + 1);     \
		SHA256_ROUND(g, h, a, b, c, d, e, f, (t) + 2);     \
		SHA256_ROUND(f, g, h, a, b, c, d, e, (t) + 3);     \
		SHA256_ROUND(e, f, g, h, a, b, c, d, (t) + 4);     \
		SHA256_ROUND(d, e, f, g, h, a, b, c, (t) + 5);     \
		SHA256_ROUND(c, d, e, f, g, h, a, b, (t) + 6);     \
		SHA256_ROUND(b, c, d, e, f, g, h, a, (t) + 7);     \
	} while (0)

void crypto_sha256_blocks_portable(uint32_t state[8], const uint8_t *data, size_t nblocks)
{
	uint32_t w[16];
	uint32_t a, b, c, d, e, f, g, h;
	unsigned int t;

	for (; nblocks; nblocks--, data += 64) {
		for (t = 0; t < 16; t++)
			w[t] = load_be32(data + 4 * t);
		a = state[0], b = state[1], c = state[2], d = state[3];
		e = state[4], f = state[5], g = state[6], h = state[7];
		SHA256_ROUNDS8(0);
		SHA256_ROUNDS8(8);
		SHA256_ROUNDS8(16);
		SHA256_ROUNDS8(24);
		SHA256_ROUNDS8(32);
		SHA256_ROUNDS8(40);
		SHA256_ROUNDS8(48);
		SHA256_ROUNDS8(56);
		state[0] += a, state[1] += b, state[2] += c, state[3] += d;
		state[4] += e, state[5] += f, state[6] += g, state[7] += h;
	}
	/* The schedule is derived from the message (an HMAC key, say). */
	mbedtls_platform_zeroize(w, sizeof(w));
}

#define SHA1_W(t)                                                                        \
	((t) < 16 ? w[(t) & 15]                                                          \
		  : (w[(t) & 15] = rotl32(w[((t) - 3) & 15] ^ w[((t) - 8) & 15] ^        \
					  w[((t) - 14) & 15] ^ w[(t) & 15], 1)))

/* One round, names rotated as for SHA-256: the new a lands in e's
 * variable, and b's becomes the new c (ROTL30). */
#define SHA1_ROUND(a, b, c, d, e, fn, k, t)                                   \
	do {                                                                  \
		(e) += rotl32(a, 5) + fn(b, c, d) + (k) + SHA1_W(t);          \
		(b) = rotl32(b, 30);                                          \
	} while (0)

#define SHA1_ROUNDS5(fn, k, t)                                \
	do {                                                  \
		SHA1_ROUND(a, b, c, d, e, fn, k, (t) + 0);    \
		SHA1_ROUND(e, a, b, c, d, fn, k, (t) + 1);    \
		SHA1_ROUND(d, e, a, b, c, fn, k, (t) + 2);    \
		SHA1_ROUND(c, d, e, a, b, fn, k, (t) + 3);    \
		SHA1_ROUND(b, c, d, e, a, fn, k, (t) + 4);    \
	} while (0)

void crypto_sha1_blocks_portable(uint32_t state[5], const uint8_t *data, size_t nblocks)
{
	uint32_t w[16];
	uint32_t a, b, c, d, e;
	unsigned int t;

	for (; nblocks; nblocks--, data += 64) {
		for (t = 0; t < 16; t++)
			w[t] = load_be32(data + 4 * t);
		a = state[0], b = state[1], c = state[2], d = state[3], e = state[4];
		SHA1_ROUNDS5(CH, SHA1_K0, 0);
		SHA1_ROUNDS5(CH, SHA1_K0, 5);
		SHA1_ROUNDS5(CH, SHA1_K0, 10);
		SHA1_ROUNDS5(CH, SHA1_K0, 15);
		SHA1_ROUNDS5(PARITY, SHA1_K1, 20);
		SHA1_ROUNDS5(PARITY, SHA1_K1, 25);
		SHA1_ROUNDS5(PARITY, SHA1_K1, 30);
		SHA1_ROUNDS5(PARITY, SHA1_K1, 35);
		SHA1_ROUNDS5(MAJ, SHA1_K2, 40);
		SHA1_ROUNDS5(MAJ, SHA1_K2, 45);
		SHA1_ROUNDS5(MAJ, SHA1_K2, 50);
		SHA1_ROUNDS5(MAJ, SHA1_K2, 55);
		SHA1_ROUNDS5(PARITY, SHA1_K3, 60);
		SHA1_ROUNDS5(PARITY, SHA1_K3, 65);
		SHA1_ROUNDS5(PARITY, SHA1_K3, 70);
		SHA1_ROUNDS5(PARITY, SHA1_K3, 75);
		state[0] += a, state[1] += b, state[2] += c, state[3] += d, state[4] += e;
	}
	mbedtls_platform_zeroize(w, sizeof(w));
}

/* ================================================================
 * SHA extensions
 * ================================================================
 *
 * Lane numbers below count 32-bit lanes from the least significant. */

#define SHANI_TARGET __attribute__((target("sha,sse4.1,ssse3")))

/* SHA256RNDS2 keeps the eight working variables in two registers, {A,B,E,F}
 * and {C,D,G,H}, A and C in lane 3, and does two rounds with W+K from lanes
 * 0 and 1 of XMM0.  After two rounds the old {A,B,E,F} is the new {C,D,G,H},
 * so two calls with the registers' roles swapped make four rounds. */
#define SHANI256_ROUNDS4(m, i)                                                               \
	do {                                                                                 \
		__m128i wk_ = _mm_add_epi32(m, _mm_load_si128((const __m128i *)&sha256_k[4 * (i)])); \
		cdgh = _mm_sha256rnds2_epu32(cdgh, abef, wk_);                               \
		abef = _mm_sha256rnds2_epu32(abef, cdgh, _mm_shuffle_epi32(wk_, 0x0e));     \
	} while (0)

/* W[t..t+3] from m0 = W[t-16..t-13], m1 = W[t-12..t-9], m2 = W[t-8..t-5],
 * m3 = W[t-4..t-1] (W[t-16] in lane 0): SHA256MSG1 adds sigma0(W[t-15..t-12])
 * to m0, the add brings in W[t-7..t-4] (lanes 1..3 of m2, lane 0 of m3), and
 * SHA256MSG2 adds sigma1 of W[t-2..t+1], two of which it computes itself. */
#define SHANI256_SCHED(m0, m1, m2, m3)                                                        \
	_mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32(m0, m1), _mm_alignr_epi8(m3, m2, 4)), \
			     m3)

SHANI_TARGET
void crypto_sha256_blocks_shani(uint32_t state[8], const uint8_t *data, size_t nblocks)
{
	/* Big-endian words to lanes: byte-reverse each 32-bit lane. */
	const __m128i bswap32 = _mm_set_epi8(12, 13, 14, 15, 8, 9, 10, 11, 4, 5, 6, 7, 0, 1, 2, 3);
	__m128i abef, cdgh, abef0, cdgh0, m0, m1, m2, m3, lo, hi;
	unsigned int i;

	lo = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&state[0]), 0x1b); /* D C B A */
	hi = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&state[4]), 0x1b); /* H G F E */
	abef = _mm_unpackhi_epi64(hi, lo); /* lanes 0..3: F E B A */
	cdgh = _mm_unpacklo_epi64(hi, lo); /* lanes 0..3: H G D C */

	for (; nblocks; nblocks--, data += 64) {
		abef0 = abef;
		cdgh0 = cdgh;
		m0 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 0)), bswap32);
		m1 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 16)), bswap32);
		m2 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 32)), bswap32);
		m3 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 48)), bswap32);

		SHANI256_ROUNDS4(m0, 0);
		SHANI256_ROUNDS4(m1, 1);
		SHANI256_ROUNDS4(m2, 2);
		SHANI256_ROUNDS4(m3, 3);
		for (i = 4; i < 16; i += 4) {
			m0 = SHANI256_SCHED(m0, m1, m2, m3);
			SHANI256_ROUNDS4(m0, i + 0);
			m1 = SHANI256_SCHED(m1, m2, m3, m0);
			SHANI256_ROUNDS4(m1, i + 1);
			m2 = SHANI256_SCHED(m2, m3, m0, m1);
			SHANI256_ROUNDS4(m2, i + 2);
			m3 = SHANI256_SCHED(m3, m0, m1, m2);
			SHANI256_ROUNDS4(m3, i + 3);
		}
		abef = _mm_add_epi32(abef, abef0);
		cdgh = _mm_add_epi32(cdgh, cdgh0);
	}

	lo = _mm_unpackhi_epi64(cdgh, abef); /* D C B A */
	hi = _mm_unpacklo_epi64(cdgh, abef); /* H G F E */
	_mm_storeu_si128((__m128i *)&state[0], _mm_shuffle_epi32(lo, 0x1b));
	_mm_storeu_si128((__m128i *)&state[4], _mm_shuffle_epi32(hi, 0x1b));
}

/* SHA1RNDS4 does four rounds on {A,B,C,D} (A in lane 3) with W[t..t+3] in
 * lanes 3..0 and E already added to lane 3.  E for the next four rounds is
 * ROTL30 of this group's starting A, which SHA1NEXTE adds to lane 3 of the
 * next group's message words.  fn (0..3) picks f and K for rounds 20*fn ..
 * 20*fn+19. */
#define SHANI1_ROUNDS4(m, fn)                                 \
	do {                                                  \
		e = _mm_sha1nexte_epu32(prev, m);             \
		prev = abcd;                                  \
		abcd = _mm_sha1rnds4_epu32(abcd, e, fn);      \
	} while (0)

/* W[t..t+3] from the previous sixteen words, oldest first (m0 = W[t-16..
 * t-13]): SHA1MSG1 XORs in W[t-14..t-11], the XOR brings W[t-8..t-5], and
 * SHA1MSG2 XORs in W[t-3..t] (computing W[t] itself) and rotates. */
#define SHANI1_SCHED(m0, m1, m2, m3) \
	_mm_sha1msg2_epu32(_mm_xor_si128(_mm_sha1msg1_epu32(m0, m1), m2), m3)

SHANI_TARGET
void crypto_sha1_blocks_shani(uint32_t state[5], const uint8_t *data, size_t nblocks)
{
	/* Big-endian words to lanes, first word in lane 3: reverse all 16 bytes. */
	const __m128i bswap128 = _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
	__m128i abcd, abcd0, e0, e, prev, m0, m1, m2, m3;

	abcd = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)state), 0x1b); /* lane 3: A */
	e0 = _mm_set_epi32((int)state[4], 0, 0, 0);

	for (; nblocks; nblocks--, data += 64) {
		abcd0 = abcd;
		m0 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 0)), bswap128);
		m1 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 16)), bswap128);
		m2 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 32)), bswap128);
		m3 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 48)), bswap128);

		/* Rounds 0-3: E is the block's initial E. */
		e = _mm_add_epi32(e0, m0);
		prev = abcd;
		abcd = _mm_sha1rnds4_epu32(abcd, e, 0);
		SHANI1_ROUNDS4(m1, 0);
		SHANI1_ROUNDS4(m2, 0);
		SHANI1_ROUNDS4(m3, 0);
		m0 = SHANI1_SCHED(m0, m1, m2, m3);
		SHANI1_ROUNDS4(m0, 0); /* 16-19 */
		m1 = SHANI1_SCHED(m1, m2, m3, m0);
		SHANI1_ROUNDS4(m1, 1);
		m2 = SHANI1_SCHED(m2, m3, m0, m1);
		SHANI1_ROUNDS4(m2, 1);
		m3 = SHANI1_SCHED(m3, m0, m1, m2);
		SHANI1_ROUNDS4(m3, 1);
		m0 = SHANI1_SCHED(m0, m1, m2, m3);
		SHANI1_ROUNDS4(m0, 1);
		m1 = SHANI1_SCHED(m1, m2, m3, m0);
		SHANI1_ROUNDS4(m1, 1); /* 36-39 */
		m2 = SHANI1_SCHED(m2, m3, m0, m1);
		SHANI1_ROUNDS4(m2, 2);
		m3 = SHANI1_SCHED(m3, m0, m1, m2);
		SHANI1_ROUNDS4(m3, 2);
		m0 = SHANI1_SCHED(m0, m1, m2, m3);
		SHANI1_ROUNDS4(m0, 2);
		m1 = SHANI1_SCHED(m1, m2, m3, m0);
		SHANI1_ROUNDS4(m1, 2);
		m2 = SHANI1_SCHED(m2, m3, m0, m1);
		SHANI1_ROUNDS4(m2, 2); /* 56-59 */
		m3 = SHANI1_SCHED(m3, m0, m1, m2);
		SHANI1_ROUNDS4(m3, 3);
		m0 = SHANI1_SCHED(m0, m1, m2, m3);
		SHANI1_ROUNDS4(m0, 3);
		m1 = SHANI1_SCHED(m1, m2, m3, m0);
		SHANI1_ROUNDS4(m1, 3);
		m2 = SHANI1_SCHED(m2, m3, m0, m1);
		SHANI1_ROUNDS4(m2, 3);
		m3 = SHANI1_SCHED(m3, m0, m1, m2);
		SHANI1_ROUNDS4(m3, 3); /* 76-79 */

		/* E after round 79 is ROTL30 of the last group's starting A;
		 * SHA1NEXTE adds it to the block's initial E (lanes 0-2 stay 0). */
		e0 = _mm_sha1nexte_epu32(prev, e0);
		abcd = _mm_add_epi32(abcd, abcd0);
	}

	_mm_storeu_si128((__m128i *)state, _mm_shuffle_epi32(abcd, 0x1b));
	state[4] = (uint32_t)_mm_extract_epi32(e0, 3);
}

/* ================================================================
 * Run-time choice and the mbedTLS hooks
 * ================================================================ */

/* CPUID.1:ECX bit 9 SSSE3, bit 19 SSE4.1 */
#define CPUID1_ECX_SSSE3 (1u << 9)
#define CPUID1_ECX_SSE41 (1u << 19)
/* CPUID.(EAX=7,ECX=0):EBX bit 29 SHA */
#define CPUID7_EBX_SHA (1u << 29)

bool crypto_sha_x86_cpu_has_shani(void)
{
	unsigned int eax, ebx, ecx, edx;

	if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx))
		return false;
	if ((ecx & (CPUID1_ECX_SSSE3 | CPUID1_ECX_SSE41)) != (CPUID1_ECX_SSSE3 | CPUID1_ECX_SSE41))
		return false;
	if (__get_cpuid_max(0, NULL) < 7)
		return false;
	__cpuid_count(7, 0, eax, ebx, ecx, edx);
	return (ebx & CPUID7_EBX_SHA) != 0;
}

/* CRYPTO_SHA_IMPL_AUTO until the first hash (or crypto_sha_x86_select)
 * decides.  Racing first users all compute and store the same value, so a
 * relaxed atomic suffices. */
static int sha_impl = CRYPTO_SHA_IMPL_AUTO;

static int sha_impl_detect(void)
{
	return crypto_sha_x86_cpu_has_shani() ? CRYPTO_SHA_IMPL_SHANI : CRYPTO_SHA_IMPL_PORTABLE;
}

static inline int sha_impl_get(void)
{
	int impl = __atomic_load_n(&sha_impl, __ATOMIC_RELAXED);

	if (__builtin_expect(impl == CRYPTO_SHA_IMPL_AUTO, 0)) {
		impl = sha_impl_detect();
		__atomic_store_n(&sha_impl, impl, __ATOMIC_RELAXED);
	}
	return impl;
}

int crypto_sha_x86_select(enum crypto_sha_impl impl)
{
	switch (impl) {
	case CRYPTO_SHA_IMPL_AUTO:
		__atomic_store_n(&sha_impl, sha_impl_detect(), __ATOMIC_RELAXED);
		return HUSK_OK;
	case CRYPTO_SHA_IMPL_PORTABLE:
		__atomic_store_n(&sha_impl, CRYPTO_SHA_IMPL_PORTABLE, __ATOMIC_RELAXED);
		return HUSK_OK;
	case CRYPTO_SHA_IMPL_SHANI:
		if (!crypto_sha_x86_cpu_has_shani())
			return HUSK_ERR_UNSUPPORTED;
		__atomic_store_n(&sha_impl, CRYPTO_SHA_IMPL_SHANI, __ATOMIC_RELAXED);
		return HUSK_OK;
	}
	return HUSK_ERR_INVAL;
}

enum crypto_sha_impl crypto_sha_x86_active(void)
{
	return (enum crypto_sha_impl)sha_impl_get();
}

#if defined(MBEDTLS_SHA256_PROCESS_ALT)
int mbedtls_internal_sha256_process(mbedtls_sha256_context *ctx, const unsigned char data[64])
{
	if (sha_impl_get() == CRYPTO_SHA_IMPL_SHANI)
		crypto_sha256_blocks_shani(ctx->MBEDTLS_PRIVATE(state), data, 1);
	else
		crypto_sha256_blocks_portable(ctx->MBEDTLS_PRIVATE(state), data, 1);
	return 0;
}
#endif

#if defined(MBEDTLS_SHA1_PROCESS_ALT)
int mbedtls_internal_sha1_process(mbedtls_sha1_context *ctx, const unsigned char data[64])
{
	if (sha_impl_get() == CRYPTO_SHA_IMPL_SHANI)
		crypto_sha1_blocks_shani(ctx->MBEDTLS_PRIVATE(state), data, 1);
	else
		crypto_sha1_blocks_portable(ctx->MBEDTLS_PRIVATE(state), data, 1);
	return 0;
}
#endif

#endif /* MBEDTLS_SHA256_PROCESS_ALT || MBEDTLS_SHA1_PROCESS_ALT */
