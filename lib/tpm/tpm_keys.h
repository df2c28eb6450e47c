/* Key material of objects (tpm_keys.c): generation (random, or derived from
 * a primary seed and the template as TPM 2.0 Part 1 prescribes, so a
 * primary key is the same for the same seed and template), consistency
 * checks of templates and loaded keys, and the asymmetric operations other
 * modules use.  Parsed mbedTLS keys are cached in tpm_object.key and freed
 * with the object (tpm_key_cache_free).
 *
 * Also the protection of objects outside the TPM (tpm_protect.c): the
 * TPM2B_PRIVATE of a child under its storage parent, and qualified names. */
#ifndef HUSK_TPM_KEYS_H
#define HUSK_TPM_KEYS_H

#include "mbedtls/ecp.h"
#include "mbedtls/md.h"
#include "mbedtls/rsa.h"
#include "tpm/tpm_internal.h"

/* Fills o->sens (and the unique field of o->pub) for a new object whose
 * o->pub is the validated template.  data is the caller's sensitive data
 * (sealed data or a key for KEYEDHASH/SYMCIPHER; ignored when the template
 * has sensitiveDataOrigin).  With seed != NULL everything is derived from
 * an HMAC_DRBG seeded with KDFa(nameAlg, seed, "husk primary",
 * H_nameAlg(template), data) (a primary key: the same seed, template and
 * data give the same key); otherwise it comes from the TPM's DRBG.
 * seedValue: nameAlg-sized for parents and symmetric objects (unique =
 * H_nameAlg(seedValue || key) for those), empty for other asymmetric keys.
 * RSA exponents: 0 (65537) or a prime from 65537 to 2^31 (TPM_RC_RANGE).
 * o->sens.auth is left as it is (the caller sets it).  The generated key
 * stays cached in o->key: a caller that discards o must call
 * tpm_key_cache_free.  Derived keys depend on mbedTLS's key generation:
 * an mbedTLS update that changes it changes primary keys. */
tpm_rc tpm_key_generate(struct tpm *t, struct tpm_object *o, const struct tpm2b_sensitive_data *data,
			const uint8_t *seed, size_t seed_len);

/* tpm_key_generate for a primary object of hierarchy, from that
 * hierarchy's seed (TPM_RC_HIERARCHY if it has none), with the same result;
 * an RSA key derived before from the same hierarchy, seed, template and
 * data comes from the cache of derived primary keys (tpm_primary_cache.c)
 * instead of a new prime search.  The parsed key (o->key) is then made on
 * first use. */
tpm_rc tpm_key_generate_primary(struct tpm *t, struct tpm_object *o, const struct tpm2b_sensitive_data *data,
				uint32_t hierarchy);

/* Checks that o->pub and (if present) o->sens belong together and are
 * well formed (Load, LoadExternal, ContextLoad), and caches the parsed key.
 * Codes without parameter numbers. */
tpm_rc tpm_key_check_pair(struct tpm *t, struct tpm_object *o);
/* The same with the parameter numbers of the public and the sensitive area
 * added to the codes that concern them (0: none).  authenticated: the pair
 * came out of a TPM2B_PRIVATE whose integrity HMAC this TPM verified, so
 * it was consistent when this TPM made it; the structural checks run, the
 * costly key parse and pair check (a scalar multiplication for ECC) are
 * left to the first use of the key. */
tpm_rc tpm_key_check_pair_blame(struct tpm *t, struct tpm_object *o, unsigned pub_param,
				unsigned sens_param, bool authenticated);

/* Template checks (Part 1 "Object Attributes", Part 3 Create), codes
 * without parameter numbers (the caller blames inPublic).  parent is NULL
 * for a primary object or an external object with a sensitive area.
 *  - schemes: scheme, symmetric and KDF consistent with the attributes;
 *  - attributes: nameAlg, authPolicy size, fixedTPM/fixedParent, sign and
 *    decrypt, encryptedDuplication, then the schemes;
 *  - create: what only creation requires (sensitiveDataOrigin against the
 *    caller's data_size), then the attributes. */
tpm_rc tpm_key_check_schemes(const struct tpm_object *parent, const struct tpm_public *pub);
tpm_rc tpm_key_check_attributes(const struct tpm_object *parent, const struct tpm_public *pub);
tpm_rc tpm_key_check_create(const struct tpm_object *parent, const struct tpm_public *pub,
			    uint16_t data_size);

/* A storage parent: a loaded key with its sensitive area, restricted,
 * decrypt, not sign, RSA/ECC/SYMCIPHER with an AES symmetric definition. */
bool tpm_key_is_parent(const struct tpm_object *o);

/* The signing scheme to use: the key's own scheme if it has one (then the
 * requested one must be NULL or equal: TPM_RC_SCHEME), else the requested
 * one (TPM_RC_SCHEME if NULL or unsuitable for the key). */
tpm_rc tpm_key_sign_scheme(const struct tpm_object *key, const struct tpm_scheme *in,
			   struct tpm_scheme *out);

/* Signs a digest with a signing key under scheme (from tpm_key_sign_scheme):
 * RSASSA and RSAPSS (salt of the hash's size, or less if the key is too
 * small), ECDSA (r and s of the curve's size), HMAC for keyed-hash keys.
 * For RSA the digest must have the size of the scheme's hash (TPM_RC_SIZE);
 * TPM_RC_KEY for a key without a private part or of the wrong type. */
tpm_rc tpm_key_sign(struct tpm *t, struct tpm_object *key, const struct tpm_scheme *scheme,
		    const uint8_t *digest, uint16_t len, struct tpm_signature *sig);
/* TPM_RC_SIGNATURE if the signature does not verify, TPM_RC_SCHEME if its
 * scheme does not suit the key. */
tpm_rc tpm_key_verify(struct tpm *t, struct tpm_object *key, const uint8_t *digest, uint16_t len,
		      const struct tpm_signature *sig);

/* Parsed mbedTLS keys (cached); private parts only if the object has them.
 * The cached context is shared: set the RSA padding (mbedtls_rsa_set_padding)
 * before every operation.  Private-key operations need an RNG (blinding):
 * crypto_drbg_rng with &t->drbg. */
tpm_rc tpm_key_rsa(struct tpm *t, struct tpm_object *o, mbedtls_rsa_context **rsa);
tpm_rc tpm_key_ecc(struct tpm *t, struct tpm_object *o, mbedtls_ecp_keypair **ecc);
/* mbedTLS group id of a TPM curve, MBEDTLS_ECP_DP_NONE if unsupported. */
mbedtls_ecp_group_id tpm_curve_group(uint16_t curve);
/* mbedTLS digest of a TPM hash algorithm, MBEDTLS_MD_NONE if unsupported. */
mbedtls_md_type_t tpm_md_type(uint16_t hash_alg);

/* ---- protection of objects (tpm_protect.c) ---- */

/* Writes the TPM2B_PRIVATE of sens (a child with Name name) under parent,
 * a storage parent: integrity HMAC || AES-CFB(TPM2B_SENSITIVE), keys from
 * KDFa over the parent's seedValue ("STORAGE", "INTEGRITY"). */
tpm_rc tpm_private_seal(struct tpm *t, const struct tpm_object *parent, const struct tpm_sensitive *sens,
			const struct tpm2b_name *name, struct tpm_w *w);
/* The reverse (the TPM2B_PRIVATE's buffer, without its size): checks the
 * integrity (TPM_RC_INTEGRITY), then decrypts and unmarshals
 * (TPM_RC_SENSITIVE).  Codes without parameter numbers. */
tpm_rc tpm_private_open(struct tpm *t, const struct tpm_object *parent, const struct tpm2b_name *name,
			const uint8_t *priv, size_t len, struct tpm_sensitive *sens);
/* o->qualified_name from its parent's qualified name (for a hierarchy, the
 * 4-byte handle): H_nameAlg(parentQN || Name), with nameAlg as its prefix. */
tpm_rc tpm_object_qualify(struct tpm_object *o, const struct tpm2b_name *parent_qn);
/* A hierarchy's qualified name: its handle. */
void tpm_hierarchy_qn(uint32_t hierarchy, struct tpm2b_name *qn);

#endif
