/* SHA-1 and SHA-256 block compression for mbedTLS in husk's hosted x86-64 builds (sha_x86.c).
 *
 * husk_mbedtls_config.h defines MBEDTLS_SHA1_PROCESS_ALT and
 * MBEDTLS_SHA256_PROCESS_ALT in hosted x86-64 builds (host, hostsan, fuzz),
 * so mbedTLS calls sha_x86.c's mbedtls_internal_sha{1,256}_process for every
 * 64-byte block.  Those pick, once, by CPUID, the SHA extensions (SHA-NI) or
 * a portable C implementation.  The kernel build keeps mbedTLS' own C code
 * and never sees this file's code (it would need SSE).  See docs/crypto.md.
 *
 * The block functions are exported so tests and benchmarks can call each
 * path directly. */
#ifndef HUSK_CRYPTO_SHA_X86_H
#define HUSK_CRYPTO_SHA_X86_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Which compression the mbedTLS hooks use. */
enum crypto_sha_impl {
	CRYPTO_SHA_IMPL_AUTO = 0, /* SHA-NI if the CPU has it, else portable */
	CRYPTO_SHA_IMPL_PORTABLE, /* FIPS 180-4 in plain C */
	CRYPTO_SHA_IMPL_SHANI,    /* x86 SHA extensions (SHA-NI, SSSE3, SSE4.1) */
};

/* True if CPUID reports SHA (leaf 7 EBX bit 29), SSSE3 and SSE4.1. */
bool crypto_sha_x86_cpu_has_shani(void);

/* Forces the implementation the mbedTLS hooks use, for tests and
 * benchmarks: AUTO re-runs the CPUID choice.  Returns HUSK_OK,
 * HUSK_ERR_UNSUPPORTED for SHANI on a CPU without it (nothing changes), or
 * HUSK_ERR_INVAL.  Not meant to be called while another thread hashes (each
 * block would still be computed correctly by one of the two). */
int crypto_sha_x86_select(enum crypto_sha_impl impl);

/* The implementation in use now (PORTABLE or SHANI; chooses it if no hash
 * has run yet). */
enum crypto_sha_impl crypto_sha_x86_active(void);

/* Compress nblocks 64-byte blocks into state (FIPS 180-4 H0..H7 / H0..H4,
 * host-endian words, as in mbedTLS' contexts).  The _shani versions execute
 * SHA-NI instructions unconditionally: call them only when
 * crypto_sha_x86_cpu_has_shani() is true. */
void crypto_sha256_blocks_portable(uint32_t state[8], const uint8_t *data, size_t nblocks);
void crypto_sha256_blocks_shani(uint32_t state[8], const uint8_t *data, size_t nblocks);
void crypto_sha1_blocks_portable(uint32_t state[5], const uint8_t *data, size_t nblocks);
void crypto_sha1_blocks_shani(uint32_t state[5], const uint8_t *data, size_t nblocks);

#endif
