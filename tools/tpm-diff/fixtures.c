/* Fixtures: what a case needs besides a started TPM, made by the same
 * commands on both TPMs; key templates shared with the benchmark. */
#include <stdio.h>
#include <string.h>

#include "diff.h"
#include "tpm/tpm_crypto.h"
#include "tpm/tpm_defs.h"

static const char *const fx_names[FX_COUNT] = {
	"sign-key", "storage-key", "hmac-key", "ext-ecc", "ext-rsa", "hash-seq",
	"hmac-seq", "trial-session", "nv-ordinary", "nv-counter", "nv-bits", "nv-extend",
};

const char *fx_name(unsigned i)
{
	return i < FX_COUNT ? fx_names[i] : "?";
}

/* P-256 base point: a valid public key anyone can name. */
const uint8_t p256_gx[32] = {
	0x6b, 0x17, 0xd1, 0xf2, 0xe1, 0x2c, 0x42, 0x47, 0xf8, 0xbc, 0xe6, 0xe5, 0x63, 0xa4, 0x40, 0xf2,
	0x77, 0x03, 0x7d, 0x81, 0x2d, 0xeb, 0x33, 0xa0, 0xf4, 0xa1, 0x39, 0x45, 0xd8, 0x98, 0xc2, 0x96,
};
const uint8_t p256_gy[32] = {
	0x4f, 0xe3, 0x42, 0xe2, 0xfe, 0x1a, 0x7f, 0x9b, 0x8e, 0xe7, 0xeb, 0x4a, 0x7c, 0x0f, 0x9e, 0x16,
	0x2b, 0xce, 0x33, 0x57, 0x6b, 0x31, 0x5e, 0xce, 0xcb, 0xb6, 0x40, 0x68, 0x37, 0xbf, 0x51, 0xf5,
};
/* P-384 base point */
static const uint8_t p384_gx[48] = {
	0xaa, 0x87, 0xca, 0x22, 0xbe, 0x8b, 0x05, 0x37, 0x8e, 0xb1, 0xc7, 0x1e, 0xf3, 0x20, 0xad, 0x74,
	0x6e, 0x1d, 0x3b, 0x62, 0x8b, 0xa7, 0x9b, 0x98, 0x59, 0xf7, 0x41, 0xe0, 0x82, 0x54, 0x2a, 0x38,
	0x55, 0x02, 0xf2, 0x5d, 0xbf, 0x55, 0x29, 0x6c, 0x3a, 0x54, 0x5e, 0x38, 0x72, 0x76, 0x0a, 0xb7,
};
static const uint8_t p384_gy[48] = {
	0x36, 0x17, 0xde, 0x4a, 0x96, 0x26, 0x2c, 0x6f, 0x5d, 0x9e, 0x98, 0xbf, 0x92, 0x92, 0xdc, 0x29,
	0xf8, 0xf4, 0x1d, 0xbd, 0x28, 0x9a, 0x14, 0x7c, 0xe9, 0xda, 0x31, 0x13, 0xb5, 0xf0, 0xb8, 0xc0,
	0x0a, 0x60, 0xb1, 0xce, 0x1d, 0x7e, 0x81, 0x9d, 0x7a, 0x43, 0x1d, 0x7c, 0x90, 0xea, 0x0e, 0x5f,
};

#define ATTR_SIGN_KEY 0x00040072u    /* fixedTPM fixedParent sensitiveDataOrigin userWithAuth sign */
#define ATTR_STORAGE_KEY 0x00030472u /* ... noDA restricted decrypt */
#define ATTR_EXTERNAL 0x00040440u    /* userWithAuth noDA sign */
#define ATTR_EXTERNAL_RSA 0x00060440u /* userWithAuth noDA decrypt sign */

static void ecc_head(struct tb *p, uint32_t attrs)
{
	p_alg(p, "type", TPM_ALG_ECC);
	p_alg(p, "nameAlg", TPM_ALG_SHA256);
	p_attr(p, "objectAttributes", attrs);
	p_2b(p, "authPolicy", NULL, 0);
}

void tmpl_ecc_sign(struct tb *p)
{
	ecc_head(p, ATTR_SIGN_KEY);
	p_alg(p, "symmetric", TPM_ALG_NULL);
	p_alg(p, "scheme", TPM_ALG_ECDSA);
	p_alg(p, "scheme.hash", TPM_ALG_SHA256);
	p_u16(p, "curveID", TPM_ECC_NIST_P256);
	p_alg(p, "kdf", TPM_ALG_NULL);
	p_2b(p, "unique.x", NULL, 0);
	p_2b(p, "unique.y", NULL, 0);
}

void tmpl_ecc_storage(struct tb *p)
{
	ecc_head(p, ATTR_STORAGE_KEY);
	p_alg(p, "symmetric", TPM_ALG_AES);
	p_u16(p, "symmetric.keyBits", 128);
	p_alg(p, "symmetric.mode", TPM_ALG_CFB);
	p_alg(p, "scheme", TPM_ALG_NULL);
	p_u16(p, "curveID", TPM_ECC_NIST_P256);
	p_alg(p, "kdf", TPM_ALG_NULL);
	p_2b(p, "unique.x", NULL, 0);
	p_2b(p, "unique.y", NULL, 0);
}

void tmpl_rsa_sign(struct tb *p)
{
	p_alg(p, "type", TPM_ALG_RSA);
	p_alg(p, "nameAlg", TPM_ALG_SHA256);
	p_attr(p, "objectAttributes", ATTR_SIGN_KEY);
	p_2b(p, "authPolicy", NULL, 0);
	p_alg(p, "symmetric", TPM_ALG_NULL);
	p_alg(p, "scheme", TPM_ALG_RSASSA);
	p_alg(p, "scheme.hash", TPM_ALG_SHA256);
	p_u16(p, "keyBits", 2048);
	p_u32(p, "exponent", 0);
	p_2b(p, "unique", NULL, 0);
}

void tmpl_ecc_public(struct tb *p, uint16_t curve)
{
	bool p384 = curve == TPM_ECC_NIST_P384;

	ecc_head(p, ATTR_EXTERNAL);
	p_alg(p, "symmetric", TPM_ALG_NULL);
	p_alg(p, "scheme", TPM_ALG_ECDSA);
	p_alg(p, "scheme.hash", p384 ? TPM_ALG_SHA384 : TPM_ALG_SHA256);
	p_u16(p, "curveID", curve);
	p_alg(p, "kdf", TPM_ALG_NULL);
	p_2b(p, "unique.x", p384 ? p384_gx : p256_gx, p384 ? 48 : 32);
	p_2b(p, "unique.y", p384 ? p384_gy : p256_gy, p384 ? 48 : 32);
}

/* An RSA-2048 public key: any odd 2048-bit number serves as a modulus for
 * loading, naming and public-key operations. */
void tmpl_rsa_public(struct tb *p)
{
	uint8_t n[256];
	uint32_t x = 0x12345678;

	for (size_t i = 0; i < sizeof(n); i++) {
		x = x * 1103515245u + 12345u;
		n[i] = (uint8_t)(x >> 16);
	}
	n[0] |= 0x80;
	n[255] |= 1;
	p_alg(p, "type", TPM_ALG_RSA);
	p_alg(p, "nameAlg", TPM_ALG_SHA256);
	p_attr(p, "objectAttributes", ATTR_EXTERNAL_RSA);
	p_2b(p, "authPolicy", NULL, 0);
	p_alg(p, "symmetric", TPM_ALG_NULL);
	p_alg(p, "scheme", TPM_ALG_NULL);
	p_u16(p, "keyBits", 2048);
	p_u32(p, "exponent", 0);
	p_2b(p, "unique", n, sizeof(n));
}

void cmd_create_primary(struct cmd *c, uint32_t hierarchy, const char *user_auth,
			void (*tmpl)(struct tb *p))
{
	cmd_init(c, TPM_CC_CreatePrimary);
	cmd_handle(c, hierarchy);
	cmd_pw(c, "");
	p_2b_begin(&c->p, "inSensitive");
	p_2b_str(&c->p, "userAuth", user_auth);
	p_2b(&c->p, "data", NULL, 0);
	p_2b_end(&c->p);
	p_2b_begin(&c->p, "inPublic");
	tmpl(&c->p);
	p_2b_end(&c->p);
	p_2b(&c->p, "outsideInfo", NULL, 0);
	p_u32(&c->p, "creationPCR.count", 0);
}

void cmd_nv_define(struct cmd *c, uint32_t index, uint32_t attributes, uint16_t size)
{
	cmd_init(c, TPM_CC_NV_DefineSpace);
	cmd_handle(c, TPM_RH_OWNER);
	cmd_pw(c, "");
	p_2b_str(&c->p, "auth", "nv");
	p_2b_begin(&c->p, "publicInfo");
	p_handle(&c->p, "nvIndex", index);
	p_alg(&c->p, "nameAlg", TPM_ALG_SHA256);
	p_attr(&c->p, "attributes", attributes);
	p_2b(&c->p, "authPolicy", NULL, 0);
	p_u16(&c->p, "dataSize", size);
	p_2b_end(&c->p);
}

/* The HMAC key: KEYEDHASH with a known key, so HMAC results can be
 * compared.  unique = H(seedValue || key), as TPM 2.0 Part 1 requires. */
static void cmd_load_hmac_key(struct cmd *c)
{
	static const char key[] = "husk-tpm-diff hmac key";
	uint8_t seed[32], unique[32];
	struct tpm_part parts[2] = { { seed, sizeof(seed) }, { key, sizeof(key) - 1 } };

	for (size_t i = 0; i < sizeof(seed); i++)
		seed[i] = (uint8_t)(0xa0 + i);
	tpm_hash_parts(TPM_ALG_SHA256, parts, 2, unique);
	cmd_init(c, TPM_CC_LoadExternal);
	p_2b_begin(&c->p, "inPrivate");
	p_alg(&c->p, "sensitiveType", TPM_ALG_KEYEDHASH);
	p_2b_str(&c->p, "authValue", "hk");
	p_2b(&c->p, "seedValue", seed, sizeof(seed));
	p_2b(&c->p, "sensitive", key, sizeof(key) - 1);
	p_2b_end(&c->p);
	p_2b_begin(&c->p, "inPublic");
	p_alg(&c->p, "type", TPM_ALG_KEYEDHASH);
	p_alg(&c->p, "nameAlg", TPM_ALG_SHA256);
	p_attr(&c->p, "objectAttributes", ATTR_EXTERNAL);
	p_2b(&c->p, "authPolicy", NULL, 0);
	p_alg(&c->p, "scheme", TPM_ALG_HMAC);
	p_alg(&c->p, "scheme.hash", TPM_ALG_SHA256);
	p_2b(&c->p, "unique", unique, sizeof(unique));
	p_2b_end(&c->p);
	p_handle(&c->p, "hierarchy", TPM_RH_NULL);
}

uint32_t fixture_hmac_key(int e, uint32_t *handle)
{
	static struct cmd c;
	struct eng_rsp r;

	cmd_load_hmac_key(&c);
	if (eng_send_cmd(e, &c, NULL, &r))
		return r.rc;
	*handle = rsp_handle(r.b, r.len);
	return 0;
}

static void cmd_load_public(struct cmd *c, bool rsa)
{
	cmd_init(c, TPM_CC_LoadExternal);
	p_2b(&c->p, "inPrivate", NULL, 0);
	p_2b_begin(&c->p, "inPublic");
	if (rsa)
		tmpl_rsa_public(&c->p);
	else
		tmpl_ecc_public(&c->p, TPM_ECC_NIST_P256);
	p_2b_end(&c->p);
	p_handle(&c->p, "hierarchy", TPM_RH_NULL);
}

void cmd_start_session(struct cmd *c, uint8_t type, uint8_t nonce_byte, bool aes)
{
	uint8_t nonce[16];

	memset(nonce, nonce_byte, sizeof(nonce));
	cmd_init(c, TPM_CC_StartAuthSession);
	cmd_handle(c, TPM_RH_NULL);
	cmd_handle(c, TPM_RH_NULL);
	p_2b(&c->p, "nonceCaller", nonce, sizeof(nonce));
	p_2b(&c->p, "encryptedSalt", NULL, 0);
	p_u8(&c->p, "sessionType", type);
	if (aes) {
		p_alg(&c->p, "symmetric", TPM_ALG_AES);
		p_u16(&c->p, "symmetric.keyBits", 128);
		p_alg(&c->p, "symmetric.mode", TPM_ALG_CFB);
	} else {
		p_alg(&c->p, "symmetric", TPM_ALG_NULL);
	}
	p_alg(&c->p, "authHash", TPM_ALG_SHA256);
}

static void nv_write_cmd(struct cmd *c, uint32_t index, uint16_t size)
{
	uint8_t data[64];

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 3);
	cmd_init(c, TPM_CC_NV_Write);
	cmd_handle(c, index);
	cmd_handle(c, index);
	cmd_pw(c, "nv");
	p_2b(&c->p, "data", data, size);
	p_u16(&c->p, "offset", 0);
}

/* One fixture on one engine; the response code. */
static uint32_t make_fixture(int e, struct world *w, unsigned i)
{
	static struct cmd c;  /* large; fixtures run one at a time */
	static struct eng_rsp r;
	uint32_t rc;
	enum sym out = SYM_NONE;

	switch (1u << i) {
	case FX_SIGN:
		cmd_create_primary(&c, TPM_RH_OWNER, "sign", tmpl_ecc_sign);
		out = SYM_SIGN;
		break;
	case FX_STORAGE:
		cmd_create_primary(&c, TPM_RH_OWNER, "", tmpl_ecc_storage);
		out = SYM_STORAGE;
		break;
	case FX_HMACKEY:
		cmd_load_hmac_key(&c);
		out = SYM_HMACKEY;
		break;
	case FX_EXTECC:
		cmd_load_public(&c, false);
		out = SYM_EXTECC;
		break;
	case FX_EXTRSA:
		cmd_load_public(&c, true);
		out = SYM_EXTRSA;
		break;
	case FX_SEQ:
		cmd_init(&c, TPM_CC_HashSequenceStart);
		p_2b_str(&c.p, "auth", "seq");
		p_alg(&c.p, "hashAlg", TPM_ALG_SHA256);
		out = SYM_SEQ;
		break;
	case FX_HSEQ:
		cmd_init(&c, TPM_CC_HMAC_Start);
		cmd_handle_sym(&c, SYM_HMACKEY);
		cmd_pw(&c, "hk");
		p_2b_str(&c.p, "auth", "seq");
		p_alg(&c.p, "hashAlg", TPM_ALG_SHA256);
		out = SYM_HSEQ;
		break;
	case FX_POLICY:
		cmd_start_session(&c, TPM_SE_TRIAL, 0x11, false);
		out = SYM_POLICY;
		break;
	case FX_NV:
		cmd_nv_define(&c, NV_ORD, TPMA_NV_AUTHWRITE | TPMA_NV_AUTHREAD | TPMA_NV_NO_DA, 64);
		if ((rc = eng_send_cmd(e, &c, w->sym[e], &r)))
			return rc;
		nv_write_cmd(&c, NV_ORD, 64);
		break;
	case FX_NVCTR:
		cmd_nv_define(&c, NV_CTR, (TPM_NT_COUNTER << TPMA_NV_TPM_NT_SHIFT) | TPMA_NV_AUTHWRITE |
						  TPMA_NV_AUTHREAD | TPMA_NV_NO_DA, 8);
		if ((rc = eng_send_cmd(e, &c, w->sym[e], &r)))
			return rc;
		cmd_init(&c, TPM_CC_NV_Increment);
		cmd_handle(&c, NV_CTR);
		cmd_handle(&c, NV_CTR);
		cmd_pw(&c, "nv");
		break;
	case FX_NVBITS:
		cmd_nv_define(&c, NV_BITS, (TPM_NT_BITS << TPMA_NV_TPM_NT_SHIFT) | TPMA_NV_AUTHWRITE |
						   TPMA_NV_AUTHREAD | TPMA_NV_NO_DA, 8);
		break;
	case FX_NVEXT:
		cmd_nv_define(&c, NV_EXT, (TPM_NT_EXTEND << TPMA_NV_TPM_NT_SHIFT) | TPMA_NV_AUTHWRITE |
						  TPMA_NV_AUTHREAD | TPMA_NV_NO_DA, 32);
		break;
	default:
		return ENG_BROKEN;
	}
	rc = eng_send_cmd(e, &c, w->sym[e], &r);
	if (rc == 0 && out != SYM_NONE)
		w->sym[e][out] = rsp_handle(r.b, r.len);
	return rc;
}

int world_prepare(struct world *w, uint32_t fx, bool startup)
{
	static const uint8_t su[] = { 0x80, 0x01, 0, 0, 0, 12, 0, 0, 0x01, 0x44, 0, 0 };

	memset(w, 0, sizeof(*w));
	if (fx & FX_HSEQ)
		fx |= FX_HMACKEY;
	for (int e = 0; e < ENG_N; e++) {
		struct eng_rsp r;

		if (eng_fresh(e))
			return -1;
		if (!startup)
			continue;
		if (eng_send(e, su, sizeof(su), &r)) {
			snprintf(w->failure, sizeof(w->failure), "%s: Startup failed", eng_name(e));
			return -1;
		}
		for (unsigned i = 0; i < FX_COUNT; i++) {
			uint32_t rc;

			if (!(fx & (1u << i)))
				continue;
			rc = make_fixture(e, w, i);
			if (rc) {
				char name[48];

				w->failed[e] |= 1u << i;
				w->fx_rc[e][i] = rc;
				if (!w->failure[0])
					snprintf(w->failure, sizeof(w->failure), "%s: fixture %s failed: %s",
						 eng_name(e), fx_name(i), rc_name(rc, name, sizeof(name)));
			}
		}
	}
	return 0;
}
