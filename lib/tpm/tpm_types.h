/* In-memory forms of the TPM 2.0 structures husk's engine handles, and
 * their (un)marshalling (tpm_marshal.c).  Sizes are husk's implementation
 * limits; unmarshalling enforces them and every value constraint the spec
 * gives, returning the spec's response code (TPM_RC_SIZE, TPM_RC_VALUE,
 * TPM_RC_HASH, ...) without the parameter-number bits, which the caller
 * adds. */
#ifndef HUSK_TPM_TYPES_H
#define HUSK_TPM_TYPES_H

#include <stdbool.h>
#include <stdint.h>

#include "tpm/tpm_buf.h"
#include "tpm/tpm_defs.h"

#define TPM_MAX_DIGEST      64   /* SHA-512 */
#define TPM_MAX_HASH_BLOCK  128
#define TPM_MAX_RSA_BYTES   384  /* RSA-3072 */
#define TPM_MAX_ECC_BYTES   66   /* P-521 */
#define TPM_MAX_SYM_KEY     32   /* AES-256 */
#define TPM_MAX_SYM_BLOCK   16
#define TPM_MAX_SYM_DATA    128  /* TPM2B_SENSITIVE_DATA */
#define TPM_MAX_SENSITIVE   192  /* RSA-3072 prime is the largest */
#define TPM_MAX_NAME        (2 + TPM_MAX_DIGEST)
#define TPM_MAX_BUFFER      1024 /* TPM2B_MAX_BUFFER, TPM2B_MAX_NV_BUFFER */
#define TPM_MAX_EVENT       1024 /* TPM2B_EVENT */
#define TPM_MAX_LABEL       32
#define TPM_PCR_COUNT       24
#define TPM_PCR_SELECT_MAX  3    /* bytes of a PCR bitmap */
#define TPM_MAX_BANKS       4
#define TPM_MAX_PCR_DIGESTS 8    /* TPML_DIGEST from PCR_Read */
#define TPM_MAX_CAP_BUFFER  1024
#define TPM_MAX_ATTEST      1024 /* TPM2B_ATTEST */
#define TPM_MAX_PRIVATE     1024 /* TPM2B_PRIVATE */
#define TPM_MAX_ID_OBJECT   (TPM_MAX_DIGEST + 2 + TPM_MAX_DIGEST + 2)
#define TPM_MAX_CONTEXT     2048 /* TPM2B_CONTEXT_DATA */

struct tpm2b_digest {
	uint16_t size;
	uint8_t b[TPM_MAX_DIGEST];
};

struct tpm2b_name {
	uint16_t size;
	uint8_t b[TPM_MAX_NAME];
};

struct tpm2b_ecc {
	uint16_t size;
	uint8_t b[TPM_MAX_ECC_BYTES];
};

struct tpm2b_rsa {
	uint16_t size;
	uint8_t b[TPM_MAX_RSA_BYTES];
};

struct tpm2b_sensitive_data {
	uint16_t size;
	uint8_t b[TPM_MAX_SENSITIVE];
};

struct tpm2b_buffer {
	uint16_t size;
	uint8_t b[TPM_MAX_BUFFER];
};

/* TPMT_SYM_DEF(_OBJECT); mode is TPM_ALG_NULL for XOR. */
struct tpm_sym_def {
	uint16_t alg;
	uint16_t key_bits;
	uint16_t mode;
};

/* A scheme with its hash (TPMT_SIG_SCHEME, TPMT_RSA_SCHEME, TPMT_ECC_SCHEME,
 * TPMT_KEYEDHASH_SCHEME, TPMT_KDF_SCHEME); count only for ECDAA. */
struct tpm_scheme {
	uint16_t alg;
	uint16_t hash;
	uint16_t count;
	uint16_t kdf; /* keyedhash XOR only */
};

/* TPMT_PUBLIC */
struct tpm_public {
	uint16_t type; /* TPM_ALG_RSA, _ECC, _KEYEDHASH, _SYMCIPHER */
	uint16_t name_alg;
	uint32_t attributes;
	struct tpm2b_digest auth_policy;
	struct tpm_sym_def symmetric; /* RSA, ECC, SYMCIPHER */
	struct tpm_scheme scheme;     /* RSA, ECC, KEYEDHASH */
	struct tpm_scheme kdf;        /* ECC */
	uint16_t rsa_bits;
	uint32_t rsa_exponent;        /* 0 means 65537 */
	uint16_t curve;
	/* unique: RSA modulus, ECC point, or a digest for KEYEDHASH/SYMCIPHER */
	struct tpm2b_rsa rsa_n;
	struct tpm2b_ecc ecc_x, ecc_y;
	struct tpm2b_digest sym_unique;
};

/* TPMT_SENSITIVE */
struct tpm_sensitive {
	uint16_t type;
	struct tpm2b_digest auth;
	struct tpm2b_digest seed;              /* seedValue (obfuscation / storage seed) */
	struct tpm2b_sensitive_data secret;    /* RSA prime, ECC d, key or sealed data */
};

/* TPMS_PCR_SELECTION list (TPML_PCR_SELECTION) */
struct tpm_pcr_sel {
	uint32_t count;
	struct {
		uint16_t hash;
		uint8_t size;
		uint8_t bits[TPM_PCR_SELECT_MAX];
	} sel[TPM_MAX_BANKS];
};

/* TPMT_SIGNATURE */
struct tpm_signature {
	uint16_t alg;  /* TPM_ALG_RSASSA, _RSAPSS, _ECDSA, _HMAC, _NULL */
	uint16_t hash;
	struct tpm2b_rsa rsa;      /* RSA */
	struct tpm2b_ecc r, s;     /* ECC */
	struct tpm2b_digest hmac;  /* HMAC: digest of size(hash) */
};

/* TPMT_TK_CREATION / VERIFIED / HASHCHECK / AUTH */
struct tpm_ticket {
	uint16_t tag;
	uint32_t hierarchy;
	struct tpm2b_digest digest;
};

/* ---- algorithm predicates ---- */
bool tpm_alg_is_hash(uint16_t alg);
/* Digest size of a hash algorithm husk implements, 0 otherwise. */
uint16_t tpm_hash_size(uint16_t alg);
uint16_t tpm_hash_block_size(uint16_t alg);
/* Bytes of a curve's coordinates, 0 if husk does not implement it. */
uint16_t tpm_curve_bytes(uint16_t curve);

/* ---- primitives with value checks ---- */
/* TPMI_ALG_HASH: a hash husk implements, or TPM_ALG_NULL if null_ok. */
tpm_rc tpm_r_hash_alg(struct tpm_r *r, uint16_t *alg, bool null_ok);
tpm_rc tpm_r_digest(struct tpm_r *r, struct tpm2b_digest *d);   /* TPM2B_DIGEST/NONCE/AUTH */
tpm_rc tpm_r_name(struct tpm_r *r, struct tpm2b_name *n);
tpm_rc tpm_r_buffer(struct tpm_r *r, struct tpm2b_buffer *b, size_t max);
tpm_rc tpm_r_ecc_param(struct tpm_r *r, struct tpm2b_ecc *e);
tpm_rc tpm_r_pcr_sel(struct tpm_r *r, struct tpm_pcr_sel *s);
tpm_rc tpm_r_sym_def(struct tpm_r *r, struct tpm_sym_def *d, bool object, bool null_ok);
tpm_rc tpm_r_sig_scheme(struct tpm_r *r, struct tpm_scheme *s); /* TPMT_SIG_SCHEME */
tpm_rc tpm_r_signature(struct tpm_r *r, struct tpm_signature *sig);
/* TPMT_TK_*: the tag must be tag or tag2 (TPM_RC_TAG), the hierarchy a
 * TPMI_RH_HIERARCHY+ (TPM_RC_VALUE), checked as they are read. */
tpm_rc tpm_r_ticket(struct tpm_r *r, struct tpm_ticket *tk, uint16_t tag, uint16_t tag2);
/* TPMT_PUBLIC_PARMS: type and the type's parameters (TestParms). */
tpm_rc tpm_r_public_parms(struct tpm_r *r, struct tpm_public *pub);
/* TPMT_PUBLIC as sent in TPM2B_PUBLIC (the caller reads the size);
 * checks the type-specific consistency rules. */
tpm_rc tpm_r_public(struct tpm_r *r, struct tpm_public *pub, bool allow_null_name_alg);
/* A TPM2B around a structure, as the reference implementation reads it:
 * begin reads the size (0: TPM_RC_SIZE); the caller reads the structure
 * from r itself; end checks that it took exactly size bytes (TPM_RC_SIZE). */
tpm_rc tpm_r_2b_begin(struct tpm_r *r, uint16_t *size, size_t *start);
tpm_rc tpm_r_2b_end(const struct tpm_r *r, uint16_t size, size_t start);
/* TPM2B_PUBLIC: size + TPMT_PUBLIC, the size must match exactly. */
tpm_rc tpm_r_2b_public(struct tpm_r *r, struct tpm_public *pub, bool allow_null_name_alg);
tpm_rc tpm_r_sensitive(struct tpm_r *r, struct tpm_sensitive *s);
/* TPM2B_SENSITIVE_CREATE: userAuth and data. */
tpm_rc tpm_r_sensitive_create(struct tpm_r *r, struct tpm2b_digest *auth, struct tpm2b_sensitive_data *data);

void tpm_w_digest(struct tpm_w *w, const struct tpm2b_digest *d);
void tpm_w_name(struct tpm_w *w, const struct tpm2b_name *n);
void tpm_w_pcr_sel(struct tpm_w *w, const struct tpm_pcr_sel *s);
void tpm_w_sym_def(struct tpm_w *w, const struct tpm_sym_def *d);
void tpm_w_public(struct tpm_w *w, const struct tpm_public *pub);
/* TPM2B_PUBLIC */
void tpm_w_2b_public(struct tpm_w *w, const struct tpm_public *pub);
void tpm_w_sensitive(struct tpm_w *w, const struct tpm_sensitive *s);
void tpm_w_signature(struct tpm_w *w, const struct tpm_signature *sig);
void tpm_w_ticket(struct tpm_w *w, const struct tpm_ticket *tk);

#endif
