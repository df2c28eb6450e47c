/* Malformed and mutated commands: every template (a valid command and the
 * fixtures it needs) is sent as is and then in every mutation — truncated
 * at each length, wrong header sizes, tags and command codes, trailing
 * bytes, bad handles of every type in each handle slot, broken session
 * areas, and out-of-range values and sizes in each parameter field — to
 * both TPMs, whose response codes must agree. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "diff.h"
#include "tpm/tpm_defs.h"

#define T_SMOKE   0x01 /* part of --smoke: commands husk implements today */
#define T_NOSTART 0x02 /* sent before Startup */

struct tmpl {
	const char *name;
	uint32_t fx;
	uint8_t flags;
	void (*build)(struct cmd *c);
};

/* ---- templates ---- */

static const uint8_t digest32[32] = {
	0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10,
	0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20,
};

static void pcr_selection(struct tb *p, uint16_t alg, uint8_t b0, uint8_t b1, uint8_t b2)
{
	p_u32(p, "pcrSelection.count", 1);
	p_alg(p, "pcrSelection.hash", alg);
	p_u8(p, "pcrSelection.sizeofSelect", 3);
	p_u8(p, "pcrSelection.select0", b0);
	p_u8(p, "pcrSelection.select1", b1);
	p_u8(p, "pcrSelection.select2", b2);
}

static void b_startup(struct cmd *c)
{
	cmd_init(c, TPM_CC_Startup);
	p_u16(&c->p, "startupType", TPM_SU_CLEAR);
}

static void b_shutdown(struct cmd *c)
{
	cmd_init(c, TPM_CC_Shutdown);
	p_u16(&c->p, "shutdownType", TPM_SU_CLEAR);
}

static void b_selftest(struct cmd *c)
{
	cmd_init(c, TPM_CC_SelfTest);
	p_u8(&c->p, "fullTest", 1);
}

static void b_incremental(struct cmd *c)
{
	cmd_init(c, TPM_CC_IncrementalSelfTest);
	p_u32(&c->p, "toTest.count", 1);
	p_alg(&c->p, "toTest.alg", TPM_ALG_SHA256);
}

static void b_gettestresult(struct cmd *c)
{
	cmd_init(c, TPM_CC_GetTestResult);
}

static void b_getrandom(struct cmd *c)
{
	cmd_init(c, TPM_CC_GetRandom);
	p_u16(&c->p, "bytesRequested", 16);
}

static void b_stirrandom(struct cmd *c)
{
	cmd_init(c, TPM_CC_StirRandom);
	p_2b(&c->p, "inData", digest32, 16);
}

static void b_readclock(struct cmd *c)
{
	cmd_init(c, TPM_CC_ReadClock);
}

static void b_testparms(struct cmd *c)
{
	cmd_init(c, TPM_CC_TestParms);
	p_alg(&c->p, "type", TPM_ALG_ECC);
	p_alg(&c->p, "symmetric", TPM_ALG_NULL);
	p_alg(&c->p, "scheme", TPM_ALG_ECDSA);
	p_alg(&c->p, "scheme.hash", TPM_ALG_SHA256);
	p_u16(&c->p, "curveID", TPM_ECC_NIST_P256);
	p_alg(&c->p, "kdf", TPM_ALG_NULL);
}

static void b_getcapability(struct cmd *c)
{
	cmd_init(c, TPM_CC_GetCapability);
	p_u32(&c->p, "capability", TPM_CAP_TPM_PROPERTIES);
	p_u32(&c->p, "property", 0x100);
	p_u32(&c->p, "propertyCount", 8);
}

static void b_pcr_read(struct cmd *c)
{
	cmd_init(c, TPM_CC_PCR_Read);
	pcr_selection(&c->p, TPM_ALG_SHA256, 0xff, 0, 0);
}

static void b_pcr_extend(struct cmd *c)
{
	cmd_init(c, TPM_CC_PCR_Extend);
	cmd_handle(c, 1);
	cmd_pw(c, "");
	p_u32(&c->p, "digests.count", 1);
	p_alg(&c->p, "digests.hashAlg", TPM_ALG_SHA256);
	p_raw(&c->p, digest32, 32);
}

static void b_pcr_event(struct cmd *c)
{
	cmd_init(c, TPM_CC_PCR_Event);
	cmd_handle(c, 2);
	cmd_pw(c, "");
	p_2b_str(&c->p, "eventData", "event");
}

static void b_pcr_reset(struct cmd *c)
{
	cmd_init(c, TPM_CC_PCR_Reset);
	cmd_handle(c, 16);
	cmd_pw(c, "");
}

static void b_pcr_allocate(struct cmd *c)
{
	cmd_init(c, TPM_CC_PCR_Allocate);
	cmd_handle(c, TPM_RH_PLATFORM);
	cmd_pw(c, "");
	p_u32(&c->p, "pcrAllocation.count", 2);
	p_alg(&c->p, "pcrAllocation.hash", TPM_ALG_SHA1);
	p_u8(&c->p, "pcrAllocation.sizeofSelect", 3);
	p_raw(&c->p, "\xff\xff\xff", 3);
	p_alg(&c->p, "pcrAllocation.hash2", TPM_ALG_SHA256);
	p_u8(&c->p, "pcrAllocation.sizeofSelect2", 3);
	p_raw(&c->p, "\xff\xff\xff", 3);
}

static void b_hash(struct cmd *c)
{
	cmd_init(c, TPM_CC_Hash);
	p_2b_str(&c->p, "data", "abc");
	p_alg(&c->p, "hashAlg", TPM_ALG_SHA256);
	p_handle(&c->p, "hierarchy", TPM_RH_NULL);
}

static void b_hmac(struct cmd *c)
{
	cmd_init(c, TPM_CC_HMAC);
	cmd_handle_sym(c, SYM_HMACKEY);
	cmd_pw(c, "hk");
	p_2b_str(&c->p, "buffer", "data");
	p_alg(&c->p, "hashAlg", TPM_ALG_SHA256);
}

static void b_hash_seq_start(struct cmd *c)
{
	cmd_init(c, TPM_CC_HashSequenceStart);
	p_2b_str(&c->p, "auth", "seq");
	p_alg(&c->p, "hashAlg", TPM_ALG_SHA256);
}

static void b_seq_update(struct cmd *c)
{
	cmd_init(c, TPM_CC_SequenceUpdate);
	cmd_handle_sym(c, SYM_SEQ);
	cmd_pw(c, "seq");
	p_2b_str(&c->p, "buffer", "data");
}

static void b_seq_complete(struct cmd *c)
{
	cmd_init(c, TPM_CC_SequenceComplete);
	cmd_handle_sym(c, SYM_SEQ);
	cmd_pw(c, "seq");
	p_2b_str(&c->p, "buffer", "end");
	p_handle(&c->p, "hierarchy", TPM_RH_NULL);
}

static void b_hmac_complete(struct cmd *c)
{
	cmd_init(c, TPM_CC_SequenceComplete);
	cmd_handle_sym(c, SYM_HSEQ);
	cmd_pw(c, "seq");
	p_2b_str(&c->p, "buffer", "end");
	p_handle(&c->p, "hierarchy", TPM_RH_NULL);
}

static void b_hmac_start(struct cmd *c)
{
	cmd_init(c, TPM_CC_HMAC_Start);
	cmd_handle_sym(c, SYM_HMACKEY);
	cmd_pw(c, "hk");
	p_2b_str(&c->p, "auth", "seq");
	p_alg(&c->p, "hashAlg", TPM_ALG_SHA256);
}

static void b_create_primary(struct cmd *c)
{
	cmd_create_primary(c, TPM_RH_OWNER, "", tmpl_ecc_sign);
}

static void b_create(struct cmd *c)
{
	cmd_create_primary(c, TPM_RH_OWNER, "child", tmpl_ecc_sign);
	c->cc = TPM_CC_Create;
	c->h[0] = 0;
	c->hsym[0] = SYM_STORAGE;
}

static void b_load(struct cmd *c)
{
	uint8_t junk[48];

	memset(junk, 0x5a, sizeof(junk));
	cmd_init(c, TPM_CC_Load);
	cmd_handle_sym(c, SYM_STORAGE);
	cmd_pw(c, "");
	p_2b(&c->p, "inPrivate", junk, sizeof(junk));
	p_2b_begin(&c->p, "inPublic");
	tmpl_ecc_sign(&c->p);
	p_2b_end(&c->p);
}

static void b_load_external(struct cmd *c)
{
	cmd_init(c, TPM_CC_LoadExternal);
	p_2b(&c->p, "inPrivate", NULL, 0);
	p_2b_begin(&c->p, "inPublic");
	tmpl_ecc_public(&c->p, TPM_ECC_NIST_P256);
	p_2b_end(&c->p);
	p_handle(&c->p, "hierarchy", TPM_RH_NULL);
}

static void b_read_public(struct cmd *c)
{
	cmd_init(c, TPM_CC_ReadPublic);
	cmd_handle_sym(c, SYM_EXTECC);
}

static void b_flush(struct cmd *c)
{
	cmd_init(c, TPM_CC_FlushContext);
	p_handle(&c->p, "flushHandle", 0x80000000); /* the only object: ext-ecc */
}

static void b_context_save(struct cmd *c)
{
	cmd_init(c, TPM_CC_ContextSave);
	cmd_handle_sym(c, SYM_EXTECC);
}

static void b_context_load(struct cmd *c)
{
	uint8_t junk[64];

	memset(junk, 0x55, sizeof(junk));
	cmd_init(c, TPM_CC_ContextLoad);
	p_u32(&c->p, "sequence.hi", 0);
	p_u32(&c->p, "sequence.lo", 1);
	p_handle(&c->p, "savedHandle", 0x80000000);
	p_handle(&c->p, "hierarchy", TPM_RH_NULL);
	p_2b(&c->p, "contextBlob", junk, sizeof(junk));
}

static void b_evict(struct cmd *c)
{
	cmd_init(c, TPM_CC_EvictControl);
	cmd_handle(c, TPM_RH_OWNER);
	cmd_handle_sym(c, SYM_SIGN);
	cmd_pw(c, "");
	p_handle(&c->p, "persistentHandle", 0x81000100);
}

static void b_sign(struct cmd *c)
{
	cmd_init(c, TPM_CC_Sign);
	cmd_handle_sym(c, SYM_SIGN);
	cmd_pw(c, "sign");
	p_2b(&c->p, "digest", digest32, 32);
	p_alg(&c->p, "inScheme", TPM_ALG_ECDSA);
	p_alg(&c->p, "inScheme.hash", TPM_ALG_SHA256);
	p_u16(&c->p, "validation.tag", TPM_ST_HASHCHECK);
	p_handle(&c->p, "validation.hierarchy", TPM_RH_NULL);
	p_2b(&c->p, "validation.digest", NULL, 0);
}

static void b_verify(struct cmd *c)
{
	cmd_init(c, TPM_CC_VerifySignature);
	cmd_handle_sym(c, SYM_EXTECC);
	p_2b(&c->p, "digest", digest32, 32);
	p_alg(&c->p, "signature.sigAlg", TPM_ALG_ECDSA);
	p_alg(&c->p, "signature.hash", TPM_ALG_SHA256);
	p_2b(&c->p, "signature.r", digest32, 32);
	p_2b(&c->p, "signature.s", digest32, 32);
}

static void b_rsa_encrypt(struct cmd *c)
{
	cmd_init(c, TPM_CC_RSA_Encrypt);
	cmd_handle_sym(c, SYM_EXTRSA);
	p_2b(&c->p, "message", digest32, 16);
	p_alg(&c->p, "inScheme", TPM_ALG_OAEP);
	p_alg(&c->p, "inScheme.hash", TPM_ALG_SHA256);
	p_2b(&c->p, "label", NULL, 0);
}

static void b_ecdh_keygen(struct cmd *c)
{
	cmd_init(c, TPM_CC_ECDH_KeyGen);
	cmd_handle_sym(c, SYM_EXTECC);
}

static void b_ecdh_zgen(struct cmd *c)
{
	cmd_init(c, TPM_CC_ECDH_ZGen);
	cmd_handle_sym(c, SYM_STORAGE);
	cmd_pw(c, "");
	p_2b_begin(&c->p, "inPoint");
	p_2b(&c->p, "x", p256_gx, 32);
	p_2b(&c->p, "y", p256_gy, 32);
	p_2b_end(&c->p);
}

static void b_quote(struct cmd *c)
{
	cmd_init(c, TPM_CC_Quote);
	cmd_handle_sym(c, SYM_SIGN);
	cmd_pw(c, "sign");
	p_2b(&c->p, "qualifyingData", digest32, 8);
	p_alg(&c->p, "inScheme", TPM_ALG_NULL);
	pcr_selection(&c->p, TPM_ALG_SHA256, 0x07, 0, 0);
}

static void b_gettime(struct cmd *c)
{
	cmd_init(c, TPM_CC_GetTime);
	cmd_handle(c, TPM_RH_ENDORSEMENT);
	cmd_handle_sym(c, SYM_SIGN);
	cmd_pw(c, "");
	cmd_pw(c, "sign");
	p_2b(&c->p, "qualifyingData", digest32, 8);
	p_alg(&c->p, "inScheme", TPM_ALG_NULL);
}

static void b_certify(struct cmd *c)
{
	cmd_init(c, TPM_CC_Certify);
	cmd_handle_sym(c, SYM_EXTECC);
	cmd_handle_sym(c, SYM_SIGN);
	cmd_pw(c, "");
	cmd_pw(c, "sign");
	p_2b(&c->p, "qualifyingData", digest32, 8);
	p_alg(&c->p, "inScheme", TPM_ALG_NULL);
}

static void b_unseal(struct cmd *c)
{
	cmd_init(c, TPM_CC_Unseal);
	cmd_handle_sym(c, SYM_SIGN);
	cmd_pw(c, "sign");
}

static void b_change_auth(struct cmd *c)
{
	cmd_init(c, TPM_CC_ObjectChangeAuth);
	cmd_handle_sym(c, SYM_SIGN);
	cmd_handle_sym(c, SYM_STORAGE);
	cmd_pw(c, "sign");
	p_2b_str(&c->p, "newAuth", "new");
}

static void b_nv_define(struct cmd *c)
{
	cmd_nv_define(c, 0x01000020, TPMA_NV_AUTHWRITE | TPMA_NV_AUTHREAD | TPMA_NV_NO_DA, 32);
}

static void b_nv_undefine(struct cmd *c)
{
	cmd_init(c, TPM_CC_NV_UndefineSpace);
	cmd_handle(c, TPM_RH_OWNER);
	cmd_handle(c, NV_ORD);
	cmd_pw(c, "");
}

static void nv_handles(struct cmd *c, uint32_t cc, uint32_t index)
{
	cmd_init(c, cc);
	cmd_handle(c, index);
	cmd_handle(c, index);
	cmd_pw(c, "nv");
}

static void b_nv_write(struct cmd *c)
{
	nv_handles(c, TPM_CC_NV_Write, NV_ORD);
	p_2b(&c->p, "data", digest32, 8);
	p_u16(&c->p, "offset", 4);
}

static void b_nv_read(struct cmd *c)
{
	nv_handles(c, TPM_CC_NV_Read, NV_ORD);
	p_u16(&c->p, "size", 8);
	p_u16(&c->p, "offset", 4);
}

static void b_nv_read_public(struct cmd *c)
{
	cmd_init(c, TPM_CC_NV_ReadPublic);
	cmd_handle(c, NV_ORD);
}

static void b_nv_increment(struct cmd *c)
{
	nv_handles(c, TPM_CC_NV_Increment, NV_CTR);
}

static void b_nv_extend(struct cmd *c)
{
	nv_handles(c, TPM_CC_NV_Extend, NV_EXT);
	p_2b(&c->p, "data", digest32, 16);
}

static void b_nv_setbits(struct cmd *c)
{
	nv_handles(c, TPM_CC_NV_SetBits, NV_BITS);
	p_u32(&c->p, "bits.hi", 0x80000000u);
	p_u32(&c->p, "bits.lo", 0x00000101u);
}

static void b_nv_writelock(struct cmd *c)
{
	nv_handles(c, TPM_CC_NV_WriteLock, NV_ORD);
}

static void b_nv_readlock(struct cmd *c)
{
	nv_handles(c, TPM_CC_NV_ReadLock, NV_ORD);
}

static void b_start_session(struct cmd *c)
{
	cmd_start_session(c, TPM_SE_TRIAL, 0x22, false);
}

static void b_start_hmac_session(struct cmd *c)
{
	cmd_start_session(c, TPM_SE_HMAC, 0x22, true);
}

static void policy(struct cmd *c, uint32_t cc)
{
	cmd_init(c, cc);
	cmd_handle_sym(c, SYM_POLICY);
}

static void b_policy_cc(struct cmd *c)
{
	policy(c, TPM_CC_PolicyCommandCode);
	p_cc(&c->p, "code", TPM_CC_Unseal);
}

static void b_policy_authvalue(struct cmd *c)
{
	policy(c, TPM_CC_PolicyAuthValue);
}

static void b_policy_password(struct cmd *c)
{
	policy(c, TPM_CC_PolicyPassword);
}

static void b_policy_restart(struct cmd *c)
{
	policy(c, TPM_CC_PolicyRestart);
}

static void b_policy_getdigest(struct cmd *c)
{
	policy(c, TPM_CC_PolicyGetDigest);
}

static void b_policy_pcr(struct cmd *c)
{
	policy(c, TPM_CC_PolicyPCR);
	p_2b(&c->p, "pcrDigest", NULL, 0);
	pcr_selection(&c->p, TPM_ALG_SHA256, 0x03, 0, 0);
}

static void b_hier_change_auth(struct cmd *c)
{
	cmd_init(c, TPM_CC_HierarchyChangeAuth);
	cmd_handle(c, TPM_RH_OWNER);
	cmd_pw(c, "");
	p_2b_str(&c->p, "newAuth", "owner");
}

static void b_hier_control(struct cmd *c)
{
	cmd_init(c, TPM_CC_HierarchyControl);
	cmd_handle(c, TPM_RH_PLATFORM);
	cmd_pw(c, "");
	p_handle(&c->p, "enable", TPM_RH_OWNER);
	p_u8(&c->p, "state", 1);
}

static void b_set_primary_policy(struct cmd *c)
{
	cmd_init(c, TPM_CC_SetPrimaryPolicy);
	cmd_handle(c, TPM_RH_OWNER);
	cmd_pw(c, "");
	p_2b(&c->p, "authPolicy", digest32, 32);
	p_alg(&c->p, "hashAlg", TPM_ALG_SHA256);
}

static void b_clear(struct cmd *c)
{
	cmd_init(c, TPM_CC_Clear);
	cmd_handle(c, TPM_RH_LOCKOUT);
	cmd_pw(c, "");
}

static void b_clear_control(struct cmd *c)
{
	cmd_init(c, TPM_CC_ClearControl);
	cmd_handle(c, TPM_RH_PLATFORM);
	cmd_pw(c, "");
	p_u8(&c->p, "disable", 0);
}

static void b_da_reset(struct cmd *c)
{
	cmd_init(c, TPM_CC_DictionaryAttackLockReset);
	cmd_handle(c, TPM_RH_LOCKOUT);
	cmd_pw(c, "");
}

static void b_da_params(struct cmd *c)
{
	cmd_init(c, TPM_CC_DictionaryAttackParameters);
	cmd_handle(c, TPM_RH_LOCKOUT);
	cmd_pw(c, "");
	p_u32(&c->p, "newMaxTries", 32);
	p_u32(&c->p, "newRecoveryTime", 600);
	p_u32(&c->p, "lockoutRecovery", 1800);
}

#define T(name, fx, flags, fn) { name, fx, flags, fn }
static const struct tmpl templates[] = {
	T("Startup", 0, T_SMOKE | T_NOSTART, b_startup),
	T("Shutdown", 0, T_SMOKE, b_shutdown),
	T("SelfTest", 0, T_SMOKE, b_selftest),
	T("IncrementalSelfTest", 0, T_SMOKE, b_incremental),
	T("GetTestResult", 0, T_SMOKE, b_gettestresult),
	T("GetRandom", 0, T_SMOKE, b_getrandom),
	T("StirRandom", 0, T_SMOKE, b_stirrandom),
	T("ReadClock", 0, T_SMOKE, b_readclock),
	T("TestParms", 0, T_SMOKE, b_testparms),
	T("GetCapability", 0, 0, b_getcapability),
	T("PCR_Read", 0, 0, b_pcr_read),
	T("PCR_Extend", 0, 0, b_pcr_extend),
	T("PCR_Event", 0, 0, b_pcr_event),
	T("PCR_Reset", 0, 0, b_pcr_reset),
	T("PCR_Allocate", 0, 0, b_pcr_allocate),
	T("Hash", 0, 0, b_hash),
	T("HMAC", FX_HMACKEY, 0, b_hmac),
	T("HashSequenceStart", 0, 0, b_hash_seq_start),
	T("SequenceUpdate", FX_SEQ, 0, b_seq_update),
	T("SequenceComplete", FX_SEQ, 0, b_seq_complete),
	T("SequenceComplete-hmac", FX_HSEQ, 0, b_hmac_complete),
	T("HMAC_Start", FX_HMACKEY, 0, b_hmac_start),
	T("CreatePrimary", 0, 0, b_create_primary),
	T("Create", FX_STORAGE, 0, b_create),
	T("Load", FX_STORAGE, 0, b_load),
	T("LoadExternal", 0, 0, b_load_external),
	T("ReadPublic", FX_EXTECC, 0, b_read_public),
	T("FlushContext", FX_EXTECC, 0, b_flush),
	T("ContextSave", FX_EXTECC, 0, b_context_save),
	T("ContextLoad", 0, 0, b_context_load),
	T("EvictControl", FX_SIGN, 0, b_evict),
	T("Sign", FX_SIGN, 0, b_sign),
	T("VerifySignature", FX_EXTECC, 0, b_verify),
	T("RSA_Encrypt", FX_EXTRSA, 0, b_rsa_encrypt),
	T("ECDH_KeyGen", FX_EXTECC, 0, b_ecdh_keygen),
	T("ECDH_ZGen", FX_STORAGE, 0, b_ecdh_zgen),
	T("Quote", FX_SIGN, 0, b_quote),
	T("GetTime", FX_SIGN, 0, b_gettime),
	T("Certify", FX_SIGN | FX_EXTECC, 0, b_certify),
	T("Unseal", FX_SIGN, 0, b_unseal),
	T("ObjectChangeAuth", FX_SIGN | FX_STORAGE, 0, b_change_auth),
	T("NV_DefineSpace", 0, 0, b_nv_define),
	T("NV_UndefineSpace", FX_NV, 0, b_nv_undefine),
	T("NV_Write", FX_NV, 0, b_nv_write),
	T("NV_Read", FX_NV, 0, b_nv_read),
	T("NV_ReadPublic", FX_NV, 0, b_nv_read_public),
	T("NV_Increment", FX_NVCTR, 0, b_nv_increment),
	T("NV_Extend", FX_NVEXT, 0, b_nv_extend),
	T("NV_SetBits", FX_NVBITS, 0, b_nv_setbits),
	T("NV_WriteLock", FX_NV, 0, b_nv_writelock),
	T("NV_ReadLock", FX_NV, 0, b_nv_readlock),
	T("StartAuthSession", 0, 0, b_start_session),
	T("StartAuthSession-hmac", 0, 0, b_start_hmac_session),
	T("PolicyCommandCode", FX_POLICY, 0, b_policy_cc),
	T("PolicyAuthValue", FX_POLICY, 0, b_policy_authvalue),
	T("PolicyPassword", FX_POLICY, 0, b_policy_password),
	T("PolicyRestart", FX_POLICY, 0, b_policy_restart),
	T("PolicyGetDigest", FX_POLICY, 0, b_policy_getdigest),
	T("PolicyPCR", FX_POLICY, 0, b_policy_pcr),
	T("HierarchyChangeAuth", 0, 0, b_hier_change_auth),
	T("HierarchyControl", 0, 0, b_hier_control),
	T("SetPrimaryPolicy", 0, 0, b_set_primary_policy),
	T("Clear", 0, 0, b_clear),
	T("ClearControl", 0, 0, b_clear_control),
	T("DictionaryAttackLockReset", 0, 0, b_da_reset),
	T("DictionaryAttackParameters", 0, 0, b_da_params),
};

/* ---- mutations ---- */

enum mkind {
	M_VALID,
	M_TRUNC,      /* a: length, header size patched to it */
	M_SIZE,       /* a: header size field */
	M_TAG,        /* a: tag */
	M_CC,         /* a: command code */
	M_TRAIL,      /* a: bytes appended (size field follows) */
	M_HANDLE,     /* a: slot, b: value */
	M_NOSESS,     /* sessions removed */
	M_ADDSESS,    /* a: password sessions appended */
	M_AUTHSIZE,   /* b: authSize value */
	M_SESS_HANDLE,/* b: session handle */
	M_SESS_NONCE, /* b: nonce length */
	M_SESS_ATTR,  /* b: attributes */
	M_SESS_HMAC,  /* b: hmac length; 0xffff: wrong password */
	M_FIELD,      /* a: field, b: value */
	M_2B,         /* a: field, b: op */
};

enum { OP_PLUS1, OP_MINUS1, OP_ZERO, OP_FFFF, OP_GROW65, OP_GROW1025 };
static const char *const op_names[] = { "size+1", "size-1", "size=0", "size=0xffff", "len=65",
					"len=1025" };

struct mut {
	char name[64];
	uint8_t kind;
	uint32_t a, b;
};

#define MAX_MUTS 2048

static const uint32_t bad_handles[] = {
	0x00000000, 0x00000017, 0x00000018, 0x000000ff, /* PCRs: 0, 23, 24, 255 */
	0x01000000, 0x01ffffff,                         /* NV indexes, undefined */
	0x02000000, 0x02ffffff, 0x03000000,             /* sessions, none loaded */
	0x40000000, 0x40000001, 0x40000007, 0x40000009, 0x4000000a, 0x4000000b, 0x4000000c,
	0x4000000d, 0x4000000f, 0x40000100,             /* permanent handles */
	0x80000000, 0x80000007, 0x80ffffff,             /* transient */
	0x81000000, 0x81800000,                         /* persistent, absent */
	0x7f000000, 0xffffffff,
};

static const uint16_t bad_algs[] = { 0x0000, 0x0001, 0x0004, 0x0006, 0x0008, 0x000b, 0x000d,
				     0x0010, 0x0014, 0x0018, 0x0023, 0x0027, 0x00ff, 0xffff };
static const uint32_t bad_ccs[] = { 0x00000000, 0x0000011f, 0x00000144, 0x0000017b, 0x20000000,
				    0xffffffff };

static void add(struct mut *m, unsigned *n, uint8_t kind, uint32_t a, uint32_t b, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

static void add(struct mut *m, unsigned *n, uint8_t kind, uint32_t a, uint32_t b, const char *fmt, ...)
{
	va_list ap;

	if (*n >= MAX_MUTS)
		return;
	m[*n].kind = kind;
	m[*n].a = a;
	m[*n].b = b;
	va_start(ap, fmt);
	vsnprintf(m[*n].name, sizeof(m[*n].name), fmt, ap);
	va_end(ap);
	(*n)++;
}

static uint32_t field_value(const struct cmd *c, const struct tb_field *f)
{
	uint32_t v = 0;

	for (unsigned i = 0; i < f->len && i < 4; i++)
		v = v << 8 | c->p.b[f->off + i];
	return v;
}

static void field_mutations(const struct cmd *c, unsigned fi, struct mut *m, unsigned *n)
{
	const struct tb_field *f = &c->p.f[fi];
	uint32_t v = f->kind == F_2B ? 0 : field_value(c, f);
	uint32_t vals[32];
	unsigned nv = 0;

	switch (f->kind) {
	case F_U8:
		vals[nv++] = 0, vals[nv++] = 1, vals[nv++] = 2, vals[nv++] = 0x7f, vals[nv++] = 0xff;
		break;
	case F_U16:
		vals[nv++] = 0, vals[nv++] = 1, vals[nv++] = 0x7fff, vals[nv++] = 0xffff;
		vals[nv++] = (v + 1) & 0xffff;
		break;
	case F_U32:
		vals[nv++] = 0, vals[nv++] = 1, vals[nv++] = 0x7fffffff, vals[nv++] = 0xffffffff;
		vals[nv++] = v + 1;
		break;
	case F_ALG:
		for (size_t i = 0; i < sizeof(bad_algs) / sizeof(bad_algs[0]); i++)
			vals[nv++] = bad_algs[i];
		break;
	case F_HANDLE:
		for (size_t i = 0; i < sizeof(bad_handles) / sizeof(bad_handles[0]); i++)
			vals[nv++] = bad_handles[i];
		break;
	case F_CC:
		for (size_t i = 0; i < sizeof(bad_ccs) / sizeof(bad_ccs[0]); i++)
			vals[nv++] = bad_ccs[i];
		break;
	case F_ATTR:
		for (unsigned bit = 0; bit < 32; bit++)
			add(m, n, M_FIELD, fi, v ^ (1u << bit), "%s^bit%u", f->name, bit);
		return;
	case F_2B:
		for (unsigned op = 0; op < sizeof(op_names) / sizeof(op_names[0]); op++) {
			if ((op == OP_MINUS1 || op == OP_ZERO) && f->len == 0)
				continue;
			add(m, n, M_2B, fi, op, "%s/%s", f->name, op_names[op]);
		}
		return;
	}
	for (unsigned i = 0; i < nv; i++) {
		bool dup = vals[i] == v;

		for (unsigned j = 0; j < i; j++)
			dup |= vals[j] == vals[i];
		if (!dup)
			add(m, n, M_FIELD, fi, vals[i], "%s=0x%x", f->name, vals[i]);
	}
}

static unsigned gen(const struct cmd *c, size_t len, struct mut *m)
{
	unsigned n = 0;
	static const uint16_t tags[] = { 0x0000, 0x00c1, 0x8000, 0x8003, 0xffff };
	static const uint8_t sess_attrs[] = { 0x00, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0x61 };
	static const uint32_t sess_handles[] = { 0x00000000, 0x02000000, 0x02ffffff, 0x03000000,
						 0x40000001, 0x40000007, 0x80000000, 0xffffffff };

	add(m, &n, M_VALID, 0, 0, "valid");
	for (size_t i = 0; i < len; i++)
		add(m, &n, M_TRUNC, (uint32_t)i, 0, "trunc/%zu", i);
	add(m, &n, M_SIZE, (uint32_t)len + 1, 0, "size/+1");
	add(m, &n, M_SIZE, (uint32_t)len - 1, 0, "size/-1");
	add(m, &n, M_SIZE, 0, 0, "size/0");
	add(m, &n, M_SIZE, 9, 0, "size/9");
	add(m, &n, M_SIZE, 10, 0, "size/10");
	add(m, &n, M_SIZE, 4097, 0, "size/4097");
	add(m, &n, M_SIZE, 0xffffffff, 0, "size/0xffffffff");
	add(m, &n, M_TAG, c->ns ? TPM_ST_NO_SESSIONS : TPM_ST_SESSIONS, 0, "tag/swapped");
	for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++)
		add(m, &n, M_TAG, tags[i], 0, "tag/0x%04x", tags[i]);
	add(m, &n, M_CC, c->cc | 0x20000000, 0, "cc/vendor-bit");
	add(m, &n, M_CC, c->cc | 0x00010000, 0, "cc/reserved-bit");
	add(m, &n, M_TRAIL, 1, 0, "trailing/1");
	add(m, &n, M_TRAIL, 2, 0, "trailing/2");
	add(m, &n, M_TRAIL, 16, 0, "trailing/16");
	for (unsigned slot = 0; slot < c->nh; slot++)
		for (size_t i = 0; i < sizeof(bad_handles) / sizeof(bad_handles[0]); i++)
			if (c->hsym[slot] || c->h[slot] != bad_handles[i])
				add(m, &n, M_HANDLE, slot, bad_handles[i], "handle%u=0x%08x", slot + 1,
				    bad_handles[i]);
	if (c->ns) {
		add(m, &n, M_NOSESS, 0, 0, "sessions/none");
		add(m, &n, M_AUTHSIZE, 0, 0, "authSize/0");
		add(m, &n, M_AUTHSIZE, 0, 8, "authSize/8");
		add(m, &n, M_AUTHSIZE, 0, 0xfffffffe, "authSize/-1");
		add(m, &n, M_AUTHSIZE, 0, 0xffffffff, "authSize/+1");
		add(m, &n, M_AUTHSIZE, 0, 0x7fffffff, "authSize/huge");
		for (size_t i = 0; i < sizeof(sess_handles) / sizeof(sess_handles[0]); i++)
			add(m, &n, M_SESS_HANDLE, 0, sess_handles[i], "session1/handle=0x%08x",
			    sess_handles[i]);
		add(m, &n, M_SESS_NONCE, 0, 1, "session1/nonce=1");
		add(m, &n, M_SESS_NONCE, 0, 32, "session1/nonce=32");
		add(m, &n, M_SESS_NONCE, 0, 65, "session1/nonce=65");
		for (size_t i = 0; i < sizeof(sess_attrs) / sizeof(sess_attrs[0]); i++)
			add(m, &n, M_SESS_ATTR, 0, sess_attrs[i], "session1/attrs=0x%02x", sess_attrs[i]);
		add(m, &n, M_SESS_HMAC, 0, 0xffff, "session1/wrong-password");
		add(m, &n, M_SESS_HMAC, 0, 65, "session1/hmac=65");
		add(m, &n, M_ADDSESS, 1, 0, "sessions/+1");
		add(m, &n, M_ADDSESS, 3, 0, "sessions/+3");
	} else {
		add(m, &n, M_ADDSESS, 1, 0, "sessions/password");
		add(m, &n, M_AUTHSIZE, 0, 0, "sessions/empty-area");
		add(m, &n, M_ADDSESS, 4, 0, "sessions/4");
	}
	for (unsigned fi = 0; fi < c->p.nf; fi++)
		field_mutations(c, fi, m, &n);
	return n;
}

/* Applies a mutation and encodes the command for engine e; 0 if the
 * mutation does not apply. */
static size_t apply(const struct cmd *base, const struct mut *m, const uint32_t *symtab, uint8_t *out,
		    size_t cap)
{
	static struct cmd c;
	size_t n;

	c = *base;
	switch (m->kind) {
	case M_HANDLE:
		c.h[m->a] = m->b;
		c.hsym[m->a] = SYM_NONE;
		break;
	case M_NOSESS:
		c.ns = 0;
		break;
	case M_ADDSESS:
		for (uint32_t i = 0; i < m->a; i++)
			cmd_pw(&c, "");
		break;
	case M_AUTHSIZE: {
		uint32_t actual = 0;

		for (unsigned i = 0; i < c.ns; i++)
			actual += 9 + c.s[i].nonce_len + c.s[i].hmac_len;
		c.auth_size_set = true;
		c.auth_size = m->b == 0xffffffff ? actual + 1 : m->b == 0xfffffffe ? actual - 1 : m->b;
		break;
	}
	case M_SESS_HANDLE:
		c.s[m->a].handle = m->b;
		c.s[m->a].hsym = SYM_NONE;
		break;
	case M_SESS_NONCE:
		c.s[m->a].nonce_len = (uint16_t)m->b;
		memset(c.s[m->a].nonce, 0x33, m->b);
		break;
	case M_SESS_ATTR:
		c.s[m->a].attrs = (uint8_t)m->b;
		break;
	case M_SESS_HMAC:
		if (m->b == 0xffff) {
			memcpy(c.s[m->a].hmac, "wrong", 5);
			c.s[m->a].hmac_len = 5;
		} else {
			memset(c.s[m->a].hmac, 0x44, m->b);
			c.s[m->a].hmac_len = (uint16_t)m->b;
		}
		break;
	case M_FIELD: {
		const struct tb_field *f = &c.p.f[m->a];

		for (unsigned i = 0; i < f->len; i++)
			c.p.b[f->off + i] = (uint8_t)(m->b >> (8 * (f->len - 1 - i)));
		break;
	}
	case M_2B: {
		const struct tb_field *f = &c.p.f[m->a];
		uint16_t size = f->len;
		size_t grow = 0;

		switch (m->b) {
		case OP_PLUS1: size++; break;
		case OP_MINUS1: size--; break;
		case OP_ZERO: size = 0; break;
		case OP_FFFF: size = 0xffff; break;
		case OP_GROW65: grow = 65 > f->len ? 65 - f->len : 0; size = (uint16_t)(f->len + grow); break;
		default: grow = 1025 > f->len ? 1025 - f->len : 0; size = (uint16_t)(f->len + grow); break;
		}
		if (grow) {
			size_t at = f->off + 2 + f->len;

			if (c.p.n + grow > sizeof(c.p.b))
				return 0;
			memmove(c.p.b + at + grow, c.p.b + at, c.p.n - at);
			memset(c.p.b + at, 0x66, grow);
			c.p.n += grow;
		}
		tpm_put_be16(c.p.b + f->off, size);
		break;
	}
	default:
		break;
	}
	n = cmd_encode(&c, symtab, NULL, out, cap);
	if (!n)
		return 0;
	switch (m->kind) {
	case M_TRUNC:
		if (m->a >= 6)
			tpm_put_be32(out + 2, m->a);
		return m->a ? m->a : (size_t)-1; /* -1: the empty command */
	case M_SIZE:
		tpm_put_be32(out + 2, m->a);
		break;
	case M_TAG:
		tpm_put_be16(out, (uint16_t)m->a);
		break;
	case M_CC:
		tpm_put_be32(out + 6, m->a);
		break;
	case M_TRAIL:
		if (n + m->a > cap)
			return 0;
		memset(out + n, 0, m->a);
		n += m->a;
		tpm_put_be32(out + 2, (uint32_t)n);
		break;
	default:
		break;
	}
	return n;
}

/* After a case that may have changed either TPM, both start afresh. */
static bool changes_state(uint32_t rc)
{
	uint32_t base = (rc & TPM_RC_FMT1) ? (rc & 0xbf) : rc;

	return rc == TPM_RC_SUCCESS || rc == ENG_BROKEN || base == TPM_RC_AUTH_FAIL ||
	       base == TPM_RC_BAD_AUTH || base == TPM_RC_POLICY_FAIL || rc == TPM_RC_LOCKOUT;
}

int run_mutations(void)
{
	static struct mut muts[MAX_MUTS];
	static struct world w;
	static struct cmd base;

	for (size_t t = 0; t < sizeof(templates) / sizeof(templates[0]); t++) {
		const struct tmpl *tp = &templates[t];
		uint8_t enc[TPM_BUFFER_MAX];
		uint32_t fake[SYM_COUNT];
		size_t len;
		unsigned nm;
		bool dirty = true;

		if (smoke_mode() && !(tp->flags & T_SMOKE))
			continue;
		tp->build(&base);
		for (unsigned s = 0; s < SYM_COUNT; s++)
			fake[s] = 0x80000000;
		len = cmd_encode(&base, fake, NULL, enc, sizeof(enc));
		nm = gen(&base, len, muts);
		for (unsigned i = 0; i < nm; i++) {
			struct result res;
			struct eng_rsp r[ENG_N];
			bool skip = false;

			memset(&res, 0, sizeof(res));
			snprintf(res.id, sizeof(res.id), "%.40s/%.63s", tp->name, muts[i].name);
			res.cc = base.cc;
			if (!case_selected(res.id))
				continue;
			if (list_mode()) {
				printf("%s\n", res.id);
				continue;
			}
			if (dirty) {
				if (world_prepare(&w, tp->fx, !(tp->flags & T_NOSTART))) {
					fprintf(stderr, "husk-tpm-diff: %s\n",
						w.failure[0] ? w.failure : "cannot reset the TPMs");
					return -1;
				}
				dirty = false;
			}
			if (w.failed[ENG_HUSK] || w.failed[ENG_REF]) {
				/* The template cannot run: one result for all its cases. */
				snprintf(res.id, sizeof(res.id), "%.40s/fixtures", tp->name);
				res.kind = R_SETUP;
				res.equal = false;
				for (int e = 0; e < ENG_N; e++)
					for (unsigned f = FX_COUNT; f-- > 0;)
						if (w.failed[e] & (1u << f))
							res.rc[e] = w.fx_rc[e][f];
				snprintf(res.detail, sizeof(res.detail), "%s", w.failure);
				record(&res);
				break;
			}
			for (int e = 0; e < ENG_N; e++) {
				size_t n = apply(&base, &muts[i], w.sym[e], enc, sizeof(enc));

				if (!n) {
					skip = true;
					break;
				}
				eng_send(e, enc, n == (size_t)-1 ? 0 : n, &r[e]);
			}
			if (skip)
				continue;
			res.kind = R_RC;
			compare_rc(&res, r);
			record(&res);
			dirty = changes_state(r[ENG_HUSK].rc) || changes_state(r[ENG_REF].rc);
		}
	}
	return 0;
}
