/* husk's mbedTLS 3.6 configuration, the same for every build (kernel, host, hostsan, fuzz).
 *
 * Every translation unit that includes an mbedTLS header must see this file
 * (mk/mbedtls.mk passes -DMBEDTLS_CONFIG_FILE to all of husk's builds), because
 * mbedTLS' structure layouts depend on it.  Only the platform glue differs
 * between the freestanding kernel build (HUSK_KERNEL) and the hosted builds
 * (HUSK_HOSTED); the set of algorithms is identical, so a host unit test
 * exercises the code the kernel runs, except for the SHA-1/SHA-256 block
 * function, which hosted x86-64 builds take from lib/crypto/sha_x86.c (see
 * the PROCESS_ALT defines below).  Rationale: docs/crypto.md. */
#ifndef HUSK_MBEDTLS_CONFIG_H
#define HUSK_MBEDTLS_CONFIG_H

#if !defined(HUSK_KERNEL) && !defined(HUSK_HOSTED)
#error "husk_mbedtls_config.h: build with -DHUSK_KERNEL=1 or -DHUSK_HOSTED=1"
#endif

/* ---- System support ---- */

/* bn_mul.h's x86-64 inline asm (mul/adc on general registers, no SSE). */
#define MBEDTLS_HAVE_ASM
/* No clock in husk: nothing may depend on time. */
#undef MBEDTLS_HAVE_TIME
#undef MBEDTLS_HAVE_TIME_DATE

#define MBEDTLS_DEPRECATED_REMOVED

/* ---- Platform glue ---- */

#define MBEDTLS_PLATFORM_C
/* calloc/free are set at run time by crypto_init() (mbedtls_platform_set_calloc_free). */
#define MBEDTLS_PLATFORM_MEMORY

#if defined(HUSK_KERNEL)
/* No libc: until crypto_init() runs, every allocation fails (mbedTLS returns
 * its ALLOC_FAILED errors).  snprintf (used only by oid.c's numeric-string
 * helper) is lib/fmt's. */
#define MBEDTLS_PLATFORM_NO_STD_FUNCTIONS
#define MBEDTLS_PLATFORM_SNPRINTF_MACRO fmt_snprintf
#include <stddef.h>
int fmt_snprintf(char *buf, size_t size, const char *fmt, ...);
/* bignum.c would divide 128 by 64 bits with __udivti3 from libgcc, which the
 * kernel does not link; this selects mbedTLS' own long division instead. */
#define MBEDTLS_NO_UDBL_DIVISION
#else
/* Hosted: libc's calloc/free until crypto_init() replaces them, libc's snprintf. */
#define MBEDTLS_PLATFORM_SNPRINTF_MACRO snprintf
#include <stdio.h>
#endif

/* ---- Hashes, MAC, KDF ---- */

#define MBEDTLS_MD_C
#define MBEDTLS_SHA1_C
#define MBEDTLS_SHA224_C
#define MBEDTLS_SHA256_C
#define MBEDTLS_SHA384_C
#define MBEDTLS_SHA512_C
#define MBEDTLS_HKDF_C

#if defined(HUSK_HOSTED) && defined(__x86_64__)
/* Hosted x86-64 builds (tools, unit tests, fuzzers): SHA-1 and SHA-256 block
 * compression comes from lib/crypto/sha_x86.c, which uses the CPU's SHA
 * extensions when CPUID reports them (mbedTLS accelerates SHA-256 only on
 * ARMv8; its C SHA-256 is about 5x slower than SHA-NI) and falls back to its own
 * portable C.  Same algorithms, same context layout; only the block function
 * differs.  Never in the kernel: SHA-NI needs XMM registers, which husk's
 * kernel never enables, so it keeps mbedTLS' own C code. */
#define MBEDTLS_SHA1_PROCESS_ALT
#define MBEDTLS_SHA256_PROCESS_ALT
#endif

/* ---- Symmetric ciphers ---- */

#define MBEDTLS_AES_C
/* Constant tables in .rodata instead of tables computed on first use into
 * .bss: read-only after boot, and no first-use race between CPUs. */
#define MBEDTLS_AES_ROM_TABLES
/* No AES-NI (needs XMM registers, which the kernel never enables) and no VIA
 * PadLock: the portable table implementation everywhere. */
#undef MBEDTLS_AESNI_C
#undef MBEDTLS_PADLOCK_C
#define MBEDTLS_CIPHER_C
#define MBEDTLS_CIPHER_MODE_CBC
#define MBEDTLS_CIPHER_MODE_CFB
#define MBEDTLS_CIPHER_MODE_CTR
#define MBEDTLS_GCM_C
#define MBEDTLS_NIST_KW_C

/* ---- Random bit generators (seeded by the caller, see crypto.h) ---- */

#define MBEDTLS_CTR_DRBG_C
#define MBEDTLS_HMAC_DRBG_C
/* No MBEDTLS_ENTROPY_C: husk has no mbedTLS entropy pool; crypto_drbg seeds
 * CTR_DRBG straight from the caller's entropy callback. */

/* ---- Public key ---- */

#define MBEDTLS_BIGNUM_C
#define MBEDTLS_GENPRIME
#define MBEDTLS_RSA_C
#define MBEDTLS_PKCS1_V15
#define MBEDTLS_PKCS1_V21

#define MBEDTLS_ECP_C
#define MBEDTLS_ECP_DP_SECP256R1_ENABLED
#define MBEDTLS_ECP_DP_SECP384R1_ENABLED
#define MBEDTLS_ECP_DP_SECP521R1_ENABLED
#define MBEDTLS_ECP_NIST_OPTIM
#define MBEDTLS_ECDSA_C
#define MBEDTLS_ECDSA_DETERMINISTIC
#define MBEDTLS_ECDH_C

#define MBEDTLS_ASN1_PARSE_C
#define MBEDTLS_ASN1_WRITE_C
#define MBEDTLS_OID_C

/* ---- Keys, certificates and encodings (attestation, KBS, EK certificate) ---- */
/* base64 for the KBS protocol's JSON members; PK to read the keys and
 * certificates a KBS releases (DER or PEM) and to write the EK certificate
 * husk issues; X.509 parsing for the CA certificate and, on the host, for
 * the AMD chain that signs SNP reports (the VCEK is signed RSASSA-PSS). No
 * time: husk cannot check validity periods (MBEDTLS_HAVE_TIME_DATE unset),
 * a relying party must. */
#define MBEDTLS_BASE64_C
#define MBEDTLS_PEM_PARSE_C
#define MBEDTLS_PEM_WRITE_C
#define MBEDTLS_PK_C
#define MBEDTLS_PK_PARSE_C
#define MBEDTLS_PK_WRITE_C
#define MBEDTLS_X509_USE_C
#define MBEDTLS_X509_CRT_PARSE_C
#define MBEDTLS_X509_RSASSA_PSS_SUPPORT
#define MBEDTLS_X509_CREATE_C
#define MBEDTLS_X509_CRT_WRITE_C

/* Deliberately absent: PSA_CRYPTO_C (its key store and driver layers are
 * bulk husk does not use), ENTROPY_C, FS_IO, NET_C, TIMING_C, THREADING_C,
 * SELF_TEST (husk runs its own known-answer tests, lib/crypto/selftest.c),
 * ERROR_C, TLS, X.509 CRLs/CSRs, PKCS#5/#7/#12. */

/* No #include "mbedtls/check_config.h" here: mbedtls/build_info.h includes
 * it itself, after its config_adjust_*.h headers have derived the macros
 * (MBEDTLS_MD_CAN_*, ...) that the checks rely on.  Including it from here
 * would run the checks early, and its include guard would skip the real run. */

#endif
