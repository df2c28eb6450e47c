/* Names of TPM 2.0 command and response codes; see names.h. */
#include <stdio.h>
#include <string.h>

#include "engine.h"
#include "names.h"
#include "tpm/tpm_defs.h"

#define CC(n) { TPM_CC_##n, #n }
static const struct {
	uint32_t cc;
	const char *name;
} cc_names[] = {
	CC(NV_UndefineSpaceSpecial),
	CC(EvictControl),
	CC(HierarchyControl),
	CC(NV_UndefineSpace),
	CC(ChangeEPS),
	CC(ChangePPS),
	CC(Clear),
	CC(ClearControl),
	CC(ClockSet),
	CC(HierarchyChangeAuth),
	CC(NV_DefineSpace),
	CC(PCR_Allocate),
	CC(PCR_SetAuthPolicy),
	CC(PP_Commands),
	CC(SetPrimaryPolicy),
	CC(FieldUpgradeStart),
	CC(ClockRateAdjust),
	CC(CreatePrimary),
	CC(NV_GlobalWriteLock),
	CC(GetCommandAuditDigest),
	CC(NV_Increment),
	CC(NV_SetBits),
	CC(NV_Extend),
	CC(NV_Write),
	CC(NV_WriteLock),
	CC(DictionaryAttackLockReset),
	CC(DictionaryAttackParameters),
	CC(NV_ChangeAuth),
	CC(PCR_Event),
	CC(PCR_Reset),
	CC(SequenceComplete),
	CC(SetAlgorithmSet),
	CC(SetCommandCodeAuditStatus),
	CC(FieldUpgradeData),
	CC(IncrementalSelfTest),
	CC(SelfTest),
	CC(Startup),
	CC(Shutdown),
	CC(StirRandom),
	CC(ActivateCredential),
	CC(Certify),
	CC(PolicyNV),
	CC(CertifyCreation),
	CC(Duplicate),
	CC(GetTime),
	CC(GetSessionAuditDigest),
	CC(NV_Read),
	CC(NV_ReadLock),
	CC(ObjectChangeAuth),
	CC(PolicySecret),
	CC(Rewrap),
	CC(Create),
	CC(ECDH_ZGen),
	CC(HMAC),
	CC(Import),
	CC(Load),
	CC(Quote),
	CC(RSA_Decrypt),
	CC(HMAC_Start),
	CC(SequenceUpdate),
	CC(Sign),
	CC(Unseal),
	CC(PolicySigned),
	CC(ContextLoad),
	CC(ContextSave),
	CC(ECDH_KeyGen),
	CC(EncryptDecrypt),
	CC(FlushContext),
	CC(LoadExternal),
	CC(MakeCredential),
	CC(NV_ReadPublic),
	CC(PolicyAuthorize),
	CC(PolicyAuthValue),
	CC(PolicyCommandCode),
	CC(PolicyCounterTimer),
	CC(PolicyCpHash),
	CC(PolicyLocality),
	CC(PolicyNameHash),
	CC(PolicyOR),
	CC(PolicyTicket),
	CC(ReadPublic),
	CC(RSA_Encrypt),
	CC(StartAuthSession),
	CC(VerifySignature),
	CC(ECC_Parameters),
	CC(FirmwareRead),
	CC(GetCapability),
	CC(GetRandom),
	CC(GetTestResult),
	CC(Hash),
	CC(PCR_Read),
	CC(PolicyPCR),
	CC(PolicyRestart),
	CC(ReadClock),
	CC(PCR_Extend),
	CC(PCR_SetAuthValue),
	CC(NV_Certify),
	CC(EventSequenceComplete),
	CC(HashSequenceStart),
	CC(PolicyPhysicalPresence),
	CC(PolicyDuplicationSelect),
	CC(PolicyGetDigest),
	CC(TestParms),
	CC(Commit),
	CC(PolicyPassword),
	CC(ZGen_2Phase),
	CC(EC_Ephemeral),
	CC(PolicyNvWritten),
	CC(PolicyTemplate),
	CC(CreateLoaded),
	CC(PolicyAuthorizeNV),
	CC(EncryptDecrypt2),
};

const char *cc_name(uint32_t cc)
{
	static char buf[16];

	for (size_t i = 0; i < sizeof(cc_names) / sizeof(cc_names[0]); i++)
		if (cc_names[i].cc == cc)
			return cc_names[i].name;
	snprintf(buf, sizeof(buf), "0x%08x", cc);
	return buf;
}

uint32_t cc_by_name(const char *name)
{
	for (size_t i = 0; i < sizeof(cc_names) / sizeof(cc_names[0]); i++)
		if (strcmp(cc_names[i].name, name) == 0)
			return cc_names[i].cc;
	return 0;
}

#define RC(n) { TPM_RC_##n, #n }
static const struct {
	uint32_t rc;
	const char *name;
} rc_names[] = {
	RC(SUCCESS), RC(BAD_TAG),
	RC(INITIALIZE), RC(FAILURE), RC(SEQUENCE), RC(PRIVATE), RC(HMAC), RC(DISABLED),
	RC(EXCLUSIVE), RC(AUTH_TYPE), RC(AUTH_MISSING), RC(POLICY), RC(PCR), RC(PCR_CHANGED),
	RC(UPGRADE), RC(TOO_MANY_CONTEXTS), RC(AUTH_UNAVAILABLE), RC(REBOOT), RC(UNBALANCED),
	RC(COMMAND_SIZE), RC(COMMAND_CODE), RC(AUTHSIZE), RC(AUTH_CONTEXT), RC(NV_RANGE),
	RC(NV_SIZE), RC(NV_LOCKED), RC(NV_AUTHORIZATION), RC(NV_UNINITIALIZED), RC(NV_SPACE),
	RC(NV_DEFINED), RC(BAD_CONTEXT), RC(CPHASH), RC(PARENT), RC(NEEDS_TEST), RC(NO_RESULT),
	RC(SENSITIVE),
	RC(ASYMMETRIC), RC(ATTRIBUTES), RC(HASH), RC(VALUE), RC(HIERARCHY), RC(KEY_SIZE), RC(MGF),
	RC(MODE), RC(TYPE), RC(HANDLE), RC(KDF), RC(RANGE), RC(AUTH_FAIL), RC(NONCE), RC(PP),
	RC(SCHEME), RC(SIZE), RC(SYMMETRIC), RC(TAG), RC(SELECTOR), RC(INSUFFICIENT),
	RC(SIGNATURE), RC(KEY), RC(POLICY_FAIL), RC(INTEGRITY), RC(TICKET), RC(RESERVED_BITS),
	RC(BAD_AUTH), RC(EXPIRED), RC(POLICY_CC), RC(BINDING), RC(CURVE), RC(ECC_POINT),
	RC(CONTEXT_GAP), RC(OBJECT_MEMORY), RC(SESSION_MEMORY), RC(MEMORY), RC(SESSION_HANDLES),
	RC(OBJECT_HANDLES), RC(LOCALITY), RC(YIELDED), RC(CANCELED), RC(TESTING), RC(NV_RATE),
	RC(LOCKOUT), RC(RETRY), RC(NV_UNAVAILABLE),
};

static const char *rc_base_name(uint32_t rc)
{
	for (size_t i = 0; i < sizeof(rc_names) / sizeof(rc_names[0]); i++)
		if (rc_names[i].rc == rc)
			return rc_names[i].name;
	return NULL;
}

const char *rc_name(uint32_t rc, char *buf, size_t cap)
{
	const char *base;

	if (rc == ENG_BROKEN) {
		snprintf(buf, cap, "(no response)");
		return buf;
	}
	if (rc >= TPM_RC_REFERENCE_H0 && rc < TPM_RC_REFERENCE_H0 + 7) {
		snprintf(buf, cap, "REFERENCE_H%u", rc - TPM_RC_REFERENCE_H0);
		return buf;
	}
	if (rc >= TPM_RC_REFERENCE_S0 && rc < TPM_RC_REFERENCE_S0 + 7) {
		snprintf(buf, cap, "REFERENCE_S%u", rc - TPM_RC_REFERENCE_S0);
		return buf;
	}
	if (rc & TPM_RC_FMT1) {
		unsigned n = (rc >> 8) & 0xf;

		base = rc_base_name(TPM_RC_FMT1 | (rc & 0x3f));
		if (!base || rc > 0xfff)
			snprintf(buf, cap, "0x%x", rc);
		else if (rc & TPM_RC_P)
			snprintf(buf, cap, "%s+P%u", base, n);
		else if (n & 8)
			snprintf(buf, cap, "%s+S%u", base, n & 7);
		else if (n)
			snprintf(buf, cap, "%s+H%u", base, n);
		else
			snprintf(buf, cap, "%s", base);
		return buf;
	}
	base = rc_base_name(rc);
	if (base)
		snprintf(buf, cap, "%s", base);
	else
		snprintf(buf, cap, "0x%x", rc);
	return buf;
}
