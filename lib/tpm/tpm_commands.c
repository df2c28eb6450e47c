/* The command table: for each command husk implements, its handles (type
 * and authorization role), flags and handler.  Sorted by command code. */
#include "tpm/tpm_internal.h"

#define N TPM_AUTH_NONE
#define U TPM_AUTH_USER
#define A TPM_AUTH_ADMIN
#define DEC TPM_CMDF_DECRYPT
#define ENC TPM_CMDF_ENCRYPT
#define NV TPM_CMDF_NV
/* Part 3 gives these commands no authorization area at all: a session
 * area is TPM_RC_AUTH_CONTEXT however it is made. */
#define NOSESS TPM_CMDF_NO_SESSIONS

#define CMD(name, hin, hout, flags, t0, t1, t2, r0, r1, r2) \
	{ TPM_CC_##name, hin, hout, flags, { t0, t1, t2 }, { r0, r1, r2 }, tpm_cc_##name }
#define CMD0(name, hout, flags) CMD(name, 0, hout, flags, 0, 0, 0, N, N, N)
#define CMD1(name, hout, flags, t0, r0) CMD(name, 1, hout, flags, t0, 0, 0, r0, N, N)
#define CMD2(name, hout, flags, t0, r0, t1, r1) CMD(name, 2, hout, flags, t0, t1, 0, r0, r1, N)

static const struct tpm_cmd_desc commands[] = {
	CMD2(NV_UndefineSpaceSpecial, 0, NV, TPM_H_NV_INDEX, A, TPM_H_PLATFORM, U),
	CMD2(EvictControl, 0, NV, TPM_H_PROVISION, U, TPM_H_OBJECT, N),
	CMD1(HierarchyControl, 0, NV | TPM_CMDF_EXTENSIVE, TPM_H_HIERARCHY, U),
	CMD2(NV_UndefineSpace, 0, NV, TPM_H_PROVISION, U, TPM_H_NV_INDEX, N),
	CMD1(Clear, 0, NV | TPM_CMDF_EXTENSIVE, TPM_H_CLEAR, U),
	CMD1(ClearControl, 0, NV, TPM_H_CLEAR, U),
	CMD1(HierarchyChangeAuth, 0, NV | DEC, TPM_H_HIER_AUTH, U),
	CMD1(NV_DefineSpace, 0, NV | DEC, TPM_H_PROVISION, U),
	CMD1(PCR_Allocate, 0, NV, TPM_H_PLATFORM, U),
	CMD1(SetPrimaryPolicy, 0, NV | DEC, TPM_H_HIER_POLICY, U),
	CMD1(CreatePrimary, 1, DEC | ENC, TPM_H_PRIMARY, U),
	CMD1(NV_GlobalWriteLock, 0, NV, TPM_H_PROVISION, U),
	CMD2(NV_Increment, 0, NV, TPM_H_NV_AUTH, U, TPM_H_NV_INDEX, N),
	CMD2(NV_SetBits, 0, NV, TPM_H_NV_AUTH, U, TPM_H_NV_INDEX, N),
	CMD2(NV_Extend, 0, NV | DEC, TPM_H_NV_AUTH, U, TPM_H_NV_INDEX, N),
	CMD2(NV_Write, 0, NV | DEC, TPM_H_NV_AUTH, U, TPM_H_NV_INDEX, N),
	CMD2(NV_WriteLock, 0, NV, TPM_H_NV_AUTH, U, TPM_H_NV_INDEX, N),
	CMD1(DictionaryAttackLockReset, 0, NV, TPM_H_LOCKOUT, U),
	CMD1(DictionaryAttackParameters, 0, NV, TPM_H_LOCKOUT, U),
	CMD1(NV_ChangeAuth, 0, NV | DEC, TPM_H_NV_INDEX, A),
	CMD1(PCR_Event, 0, DEC, TPM_H_PCR_NULL, U),
	CMD1(PCR_Reset, 0, 0, TPM_H_PCR, U),
	CMD1(SequenceComplete, 0, DEC | ENC | TPM_CMDF_FLUSHED, TPM_H_OBJECT, U),
	CMD0(IncrementalSelfTest, 0, 0),
	CMD0(SelfTest, 0, 0),
	CMD0(Startup, 0, TPM_CMDF_NO_SESSIONS | TPM_CMDF_ANY_STATE | NV),
	CMD0(Shutdown, 0, NV),
	CMD0(StirRandom, 0, DEC),
	CMD2(Certify, 0, DEC | ENC, TPM_H_OBJECT, A, TPM_H_OBJECT_NULL, U),
	CMD(PolicyNV, 3, 0, DEC, TPM_H_NV_AUTH, TPM_H_NV_INDEX, TPM_H_POLICY_SESSION, U, N, N),
	CMD2(GetTime, 0, DEC | ENC, TPM_H_ENDORSEMENT, U, TPM_H_OBJECT_NULL, U),
	CMD2(NV_Read, 0, ENC, TPM_H_NV_AUTH, U, TPM_H_NV_INDEX, N),
	CMD2(NV_ReadLock, 0, NV, TPM_H_NV_AUTH, U, TPM_H_NV_INDEX, N),
	CMD2(ObjectChangeAuth, 0, DEC | ENC, TPM_H_OBJECT, A, TPM_H_OBJECT, N),
	CMD2(PolicySecret, 0, DEC | ENC, TPM_H_ENTITY, U, TPM_H_POLICY_SESSION, N),
	CMD1(Create, 0, DEC | ENC, TPM_H_OBJECT, U),
	CMD1(ECDH_ZGen, 0, DEC | ENC, TPM_H_OBJECT, U),
	CMD1(HMAC, 0, DEC | ENC, TPM_H_OBJECT, U),
	CMD1(Load, 1, DEC | ENC, TPM_H_OBJECT, U),
	CMD1(Quote, 0, DEC | ENC, TPM_H_OBJECT_NULL, U),
	CMD1(RSA_Decrypt, 0, DEC | ENC, TPM_H_OBJECT, U),
	CMD1(HMAC_Start, 1, DEC, TPM_H_OBJECT, U),
	CMD1(SequenceUpdate, 0, DEC, TPM_H_OBJECT, U),
	CMD1(Sign, 0, DEC, TPM_H_OBJECT, U),
	CMD1(Unseal, 0, ENC, TPM_H_OBJECT, U),
	CMD2(PolicySigned, 0, DEC | ENC, TPM_H_OBJECT, N, TPM_H_POLICY_SESSION, N),
	CMD0(ContextLoad, 1, NOSESS),
	CMD1(ContextSave, 0, NOSESS, TPM_H_CONTEXT, N),
	CMD1(ECDH_KeyGen, 0, ENC, TPM_H_OBJECT, N),
	CMD1(EncryptDecrypt, 0, ENC, TPM_H_OBJECT, U),
	CMD0(FlushContext, 0, NOSESS),
	CMD0(LoadExternal, 1, DEC | ENC),
	CMD1(NV_ReadPublic, 0, ENC, TPM_H_NV_INDEX, N),
	CMD1(PolicyAuthorize, 0, DEC, TPM_H_POLICY_SESSION, N),
	CMD1(PolicyAuthValue, 0, 0, TPM_H_POLICY_SESSION, N),
	CMD1(PolicyCommandCode, 0, 0, TPM_H_POLICY_SESSION, N),
	CMD1(PolicyCounterTimer, 0, DEC, TPM_H_POLICY_SESSION, N),
	CMD1(PolicyCpHash, 0, DEC, TPM_H_POLICY_SESSION, N),
	CMD1(PolicyLocality, 0, 0, TPM_H_POLICY_SESSION, N),
	CMD1(PolicyNameHash, 0, DEC, TPM_H_POLICY_SESSION, N),
	CMD1(PolicyOR, 0, 0, TPM_H_POLICY_SESSION, N),
	CMD1(PolicyTicket, 0, DEC, TPM_H_POLICY_SESSION, N),
	CMD1(ReadPublic, 0, ENC, TPM_H_OBJECT, N),
	CMD1(RSA_Encrypt, 0, DEC | ENC, TPM_H_OBJECT, N),
	CMD2(StartAuthSession, 1, DEC | ENC, TPM_H_OBJECT_NULL, N, TPM_H_ENTITY_NULL, N),
	CMD1(VerifySignature, 0, DEC, TPM_H_OBJECT, N),
	CMD0(GetCapability, 0, 0),
	CMD0(GetRandom, 0, ENC),
	CMD0(GetTestResult, 0, ENC),
	CMD0(Hash, 0, DEC | ENC),
	CMD0(PCR_Read, 0, 0),
	CMD1(PolicyPCR, 0, DEC, TPM_H_POLICY_SESSION, N),
	CMD1(PolicyRestart, 0, 0, TPM_H_POLICY_SESSION, N),
	CMD0(ReadClock, 0, 0),
	CMD1(PCR_Extend, 0, 0, TPM_H_PCR_NULL, U),
	CMD2(EventSequenceComplete, 0, DEC | TPM_CMDF_FLUSHED, TPM_H_PCR_NULL, U, TPM_H_OBJECT, U),
	CMD0(HashSequenceStart, 1, DEC),
	CMD1(PolicyGetDigest, 0, ENC, TPM_H_POLICY_SESSION, N),
	CMD0(TestParms, 0, 0),
	CMD1(PolicyPassword, 0, 0, TPM_H_POLICY_SESSION, N),
	CMD1(CreateLoaded, 1, DEC | ENC, TPM_H_PARENT, U),
	CMD1(EncryptDecrypt2, 0, DEC | ENC, TPM_H_OBJECT, U),
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

const struct tpm_cmd_desc *tpm_cmd_lookup(uint32_t cc)
{
	size_t lo = 0, hi = NCOMMANDS;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (commands[mid].cc == cc)
			return &commands[mid];
		if (commands[mid].cc < cc)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

unsigned tpm_cmd_count(void)
{
	return (unsigned)NCOMMANDS;
}

const struct tpm_cmd_desc *tpm_cmd_at(unsigned i)
{
	return i < NCOMMANDS ? &commands[i] : NULL;
}

uint32_t tpm_cmd_attributes(const struct tpm_cmd_desc *d)
{
	uint32_t a = d->cc & 0xffff;

	if (d->flags & TPM_CMDF_NV)
		a |= TPMA_CC_NV;
	if (d->flags & TPM_CMDF_FLUSHED)
		a |= TPMA_CC_FLUSHED;
	if (d->flags & TPM_CMDF_EXTENSIVE)
		a |= TPMA_CC_EXTENSIVE;
	a |= (uint32_t)d->in_handles << TPMA_CC_CHANDLES_SHIFT;
	if (d->out_handles)
		a |= TPMA_CC_RHANDLE;
	return a;
}
