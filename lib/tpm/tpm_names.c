/* Names of TPM 2.0 command codes, for logs and tools (the TPM_CC_ list of
 * tpm_defs.h). */
#include <stddef.h>

#include "tpm/tpm_defs.h"
#include "tpm/tpm_names.h"

static const struct {
	uint32_t cc;
	const char *name;
} cc_names[] = {
	{ TPM_CC_NV_UndefineSpaceSpecial, "NV_UndefineSpaceSpecial" },
	{ TPM_CC_EvictControl, "EvictControl" },
	{ TPM_CC_HierarchyControl, "HierarchyControl" },
	{ TPM_CC_NV_UndefineSpace, "NV_UndefineSpace" },
	{ TPM_CC_ChangeEPS, "ChangeEPS" },
	{ TPM_CC_ChangePPS, "ChangePPS" },
	{ TPM_CC_Clear, "Clear" },
	{ TPM_CC_ClearControl, "ClearControl" },
	{ TPM_CC_ClockSet, "ClockSet" },
	{ TPM_CC_HierarchyChangeAuth, "HierarchyChangeAuth" },
	{ TPM_CC_NV_DefineSpace, "NV_DefineSpace" },
	{ TPM_CC_PCR_Allocate, "PCR_Allocate" },
	{ TPM_CC_PCR_SetAuthPolicy, "PCR_SetAuthPolicy" },
	{ TPM_CC_PP_Commands, "PP_Commands" },
	{ TPM_CC_SetPrimaryPolicy, "SetPrimaryPolicy" },
	{ TPM_CC_FieldUpgradeStart, "FieldUpgradeStart" },
	{ TPM_CC_ClockRateAdjust, "ClockRateAdjust" },
	{ TPM_CC_CreatePrimary, "CreatePrimary" },
	{ TPM_CC_NV_GlobalWriteLock, "NV_GlobalWriteLock" },
	{ TPM_CC_GetCommandAuditDigest, "GetCommandAuditDigest" },
	{ TPM_CC_NV_Increment, "NV_Increment" },
	{ TPM_CC_NV_SetBits, "NV_SetBits" },
	{ TPM_CC_NV_Extend, "NV_Extend" },
	{ TPM_CC_NV_Write, "NV_Write" },
	{ TPM_CC_NV_WriteLock, "NV_WriteLock" },
	{ TPM_CC_DictionaryAttackLockReset, "DictionaryAttackLockReset" },
	{ TPM_CC_DictionaryAttackParameters, "DictionaryAttackParameters" },
	{ TPM_CC_NV_ChangeAuth, "NV_ChangeAuth" },
	{ TPM_CC_PCR_Event, "PCR_Event" },
	{ TPM_CC_PCR_Reset, "PCR_Reset" },
	{ TPM_CC_SequenceComplete, "SequenceComplete" },
	{ TPM_CC_SetAlgorithmSet, "SetAlgorithmSet" },
	{ TPM_CC_SetCommandCodeAuditStatus, "SetCommandCodeAuditStatus" },
	{ TPM_CC_FieldUpgradeData, "FieldUpgradeData" },
	{ TPM_CC_IncrementalSelfTest, "IncrementalSelfTest" },
	{ TPM_CC_SelfTest, "SelfTest" },
	{ TPM_CC_Startup, "Startup" },
	{ TPM_CC_Shutdown, "Shutdown" },
	{ TPM_CC_StirRandom, "StirRandom" },
	{ TPM_CC_ActivateCredential, "ActivateCredential" },
	{ TPM_CC_Certify, "Certify" },
	{ TPM_CC_PolicyNV, "PolicyNV" },
	{ TPM_CC_CertifyCreation, "CertifyCreation" },
	{ TPM_CC_Duplicate, "Duplicate" },
	{ TPM_CC_GetTime, "GetTime" },
	{ TPM_CC_GetSessionAuditDigest, "GetSessionAuditDigest" },
	{ TPM_CC_NV_Read, "NV_Read" },
	{ TPM_CC_NV_ReadLock, "NV_ReadLock" },
	{ TPM_CC_ObjectChangeAuth, "ObjectChangeAuth" },
	{ TPM_CC_PolicySecret, "PolicySecret" },
	{ TPM_CC_Rewrap, "Rewrap" },
	{ TPM_CC_Create, "Create" },
	{ TPM_CC_ECDH_ZGen, "ECDH_ZGen" },
	{ TPM_CC_HMAC, "HMAC" },
	{ TPM_CC_Import, "Import" },
	{ TPM_CC_Load, "Load" },
	{ TPM_CC_Quote, "Quote" },
	{ TPM_CC_RSA_Decrypt, "RSA_Decrypt" },
	{ TPM_CC_HMAC_Start, "HMAC_Start" },
	{ TPM_CC_SequenceUpdate, "SequenceUpdate" },
	{ TPM_CC_Sign, "Sign" },
	{ TPM_CC_Unseal, "Unseal" },
	{ TPM_CC_PolicySigned, "PolicySigned" },
	{ TPM_CC_ContextLoad, "ContextLoad" },
	{ TPM_CC_ContextSave, "ContextSave" },
	{ TPM_CC_ECDH_KeyGen, "ECDH_KeyGen" },
	{ TPM_CC_EncryptDecrypt, "EncryptDecrypt" },
	{ TPM_CC_FlushContext, "FlushContext" },
	{ TPM_CC_LoadExternal, "LoadExternal" },
	{ TPM_CC_MakeCredential, "MakeCredential" },
	{ TPM_CC_NV_ReadPublic, "NV_ReadPublic" },
	{ TPM_CC_PolicyAuthorize, "PolicyAuthorize" },
	{ TPM_CC_PolicyAuthValue, "PolicyAuthValue" },
	{ TPM_CC_PolicyCommandCode, "PolicyCommandCode" },
	{ TPM_CC_PolicyCounterTimer, "PolicyCounterTimer" },
	{ TPM_CC_PolicyCpHash, "PolicyCpHash" },
	{ TPM_CC_PolicyLocality, "PolicyLocality" },
	{ TPM_CC_PolicyNameHash, "PolicyNameHash" },
	{ TPM_CC_PolicyOR, "PolicyOR" },
	{ TPM_CC_PolicyTicket, "PolicyTicket" },
	{ TPM_CC_ReadPublic, "ReadPublic" },
	{ TPM_CC_RSA_Encrypt, "RSA_Encrypt" },
	{ TPM_CC_StartAuthSession, "StartAuthSession" },
	{ TPM_CC_VerifySignature, "VerifySignature" },
	{ TPM_CC_ECC_Parameters, "ECC_Parameters" },
	{ TPM_CC_FirmwareRead, "FirmwareRead" },
	{ TPM_CC_GetCapability, "GetCapability" },
	{ TPM_CC_GetRandom, "GetRandom" },
	{ TPM_CC_GetTestResult, "GetTestResult" },
	{ TPM_CC_Hash, "Hash" },
	{ TPM_CC_PCR_Read, "PCR_Read" },
	{ TPM_CC_PolicyPCR, "PolicyPCR" },
	{ TPM_CC_PolicyRestart, "PolicyRestart" },
	{ TPM_CC_ReadClock, "ReadClock" },
	{ TPM_CC_PCR_Extend, "PCR_Extend" },
	{ TPM_CC_PCR_SetAuthValue, "PCR_SetAuthValue" },
	{ TPM_CC_NV_Certify, "NV_Certify" },
	{ TPM_CC_EventSequenceComplete, "EventSequenceComplete" },
	{ TPM_CC_HashSequenceStart, "HashSequenceStart" },
	{ TPM_CC_PolicyPhysicalPresence, "PolicyPhysicalPresence" },
	{ TPM_CC_PolicyDuplicationSelect, "PolicyDuplicationSelect" },
	{ TPM_CC_PolicyGetDigest, "PolicyGetDigest" },
	{ TPM_CC_TestParms, "TestParms" },
	{ TPM_CC_Commit, "Commit" },
	{ TPM_CC_PolicyPassword, "PolicyPassword" },
	{ TPM_CC_ZGen_2Phase, "ZGen_2Phase" },
	{ TPM_CC_EC_Ephemeral, "EC_Ephemeral" },
	{ TPM_CC_PolicyNvWritten, "PolicyNvWritten" },
	{ TPM_CC_PolicyTemplate, "PolicyTemplate" },
	{ TPM_CC_CreateLoaded, "CreateLoaded" },
	{ TPM_CC_PolicyAuthorizeNV, "PolicyAuthorizeNV" },
	{ TPM_CC_EncryptDecrypt2, "EncryptDecrypt2" },
};

const char *tpm_cc_name(uint32_t cc)
{
	size_t lo = 0, hi = sizeof(cc_names) / sizeof(cc_names[0]);

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cc_names[mid].cc == cc)
			return cc_names[mid].name;
		if (cc_names[mid].cc < cc)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}
