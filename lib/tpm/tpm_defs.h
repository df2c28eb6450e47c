/* TPM 2.0 constants (TCG TPM 2.0 Library, Part 2: Structures), under the
 * spec's own names.  Values are facts from the specification; the unit test
 * tests/unit/test_tpm_defs.c checks every one against Debian's tss2 header. */
#ifndef HUSK_TPM_DEFS_H
#define HUSK_TPM_DEFS_H

/* TPM_GENERATED_VALUE: the first word of every structure the TPM signs as
 * its own (TPMS_ATTEST); data starting with it is never signed blindly. */
#define TPM_GENERATED_VALUE 0xff544347u

/* ---- TPM_ST ---- */
#define TPM_ST_RSP_COMMAND          0x00c4
#define TPM_ST_NULL                 0x8000
#define TPM_ST_NO_SESSIONS          0x8001
#define TPM_ST_SESSIONS             0x8002
#define TPM_ST_ATTEST_NV            0x8014
#define TPM_ST_ATTEST_COMMAND_AUDIT 0x8015
#define TPM_ST_ATTEST_SESSION_AUDIT 0x8016
#define TPM_ST_ATTEST_CERTIFY       0x8017
#define TPM_ST_ATTEST_QUOTE         0x8018
#define TPM_ST_ATTEST_TIME          0x8019
#define TPM_ST_ATTEST_CREATION      0x801a
#define TPM_ST_CREATION             0x8021
#define TPM_ST_VERIFIED             0x8022
#define TPM_ST_AUTH_SECRET          0x8023
#define TPM_ST_HASHCHECK            0x8024
#define TPM_ST_AUTH_SIGNED          0x8025

/* ---- TPM_SU, TPM_SE ---- */
#define TPM_SU_CLEAR 0x0000
#define TPM_SU_STATE 0x0001
#define TPM_SE_HMAC   0x00
#define TPM_SE_POLICY 0x01
#define TPM_SE_TRIAL  0x03

/* ---- TPM_ALG_ID ---- */
#define TPM_ALG_ERROR     0x0000
#define TPM_ALG_RSA       0x0001
#define TPM_ALG_SHA1      0x0004
#define TPM_ALG_HMAC      0x0005
#define TPM_ALG_AES       0x0006
#define TPM_ALG_MGF1      0x0007
#define TPM_ALG_KEYEDHASH 0x0008
#define TPM_ALG_XOR       0x000a
#define TPM_ALG_SHA256    0x000b
#define TPM_ALG_SHA384    0x000c
#define TPM_ALG_SHA512    0x000d
#define TPM_ALG_NULL      0x0010
#define TPM_ALG_RSASSA    0x0014
#define TPM_ALG_RSAES     0x0015
#define TPM_ALG_RSAPSS    0x0016
#define TPM_ALG_OAEP      0x0017
#define TPM_ALG_ECDSA     0x0018
#define TPM_ALG_ECDH      0x0019
#define TPM_ALG_ECDAA     0x001a
#define TPM_ALG_SM2       0x001b
#define TPM_ALG_ECSCHNORR 0x001c
#define TPM_ALG_ECMQV     0x001d
#define TPM_ALG_KDF1_SP800_56A 0x0020
#define TPM_ALG_KDF2      0x0021
#define TPM_ALG_KDF1_SP800_108 0x0022
#define TPM_ALG_ECC       0x0023
#define TPM_ALG_SYMCIPHER 0x0025
#define TPM_ALG_CAMELLIA  0x0026
#define TPM_ALG_CMAC      0x003f
#define TPM_ALG_CTR       0x0040
#define TPM_ALG_OFB       0x0041
#define TPM_ALG_CBC       0x0042
#define TPM_ALG_CFB       0x0043
#define TPM_ALG_ECB       0x0044

/* ---- TPM_ECC_CURVE ---- */
#define TPM_ECC_NONE      0x0000
#define TPM_ECC_NIST_P192 0x0001
#define TPM_ECC_NIST_P224 0x0002
#define TPM_ECC_NIST_P256 0x0003
#define TPM_ECC_NIST_P384 0x0004
#define TPM_ECC_NIST_P521 0x0005

/* ---- TPM_CC ---- */
#define TPM_CC_NV_UndefineSpaceSpecial 0x0000011f
#define TPM_CC_EvictControl            0x00000120
#define TPM_CC_HierarchyControl        0x00000121
#define TPM_CC_NV_UndefineSpace        0x00000122
#define TPM_CC_ChangeEPS               0x00000124
#define TPM_CC_ChangePPS               0x00000125
#define TPM_CC_Clear                   0x00000126
#define TPM_CC_ClearControl            0x00000127
#define TPM_CC_ClockSet                0x00000128
#define TPM_CC_HierarchyChangeAuth     0x00000129
#define TPM_CC_NV_DefineSpace          0x0000012a
#define TPM_CC_PCR_Allocate            0x0000012b
#define TPM_CC_PCR_SetAuthPolicy       0x0000012c
#define TPM_CC_PP_Commands             0x0000012d
#define TPM_CC_SetPrimaryPolicy        0x0000012e
#define TPM_CC_FieldUpgradeStart       0x0000012f
#define TPM_CC_ClockRateAdjust         0x00000130
#define TPM_CC_CreatePrimary           0x00000131
#define TPM_CC_NV_GlobalWriteLock      0x00000132
#define TPM_CC_GetCommandAuditDigest   0x00000133
#define TPM_CC_NV_Increment            0x00000134
#define TPM_CC_NV_SetBits              0x00000135
#define TPM_CC_NV_Extend               0x00000136
#define TPM_CC_NV_Write                0x00000137
#define TPM_CC_NV_WriteLock            0x00000138
#define TPM_CC_DictionaryAttackLockReset 0x00000139
#define TPM_CC_DictionaryAttackParameters 0x0000013a
#define TPM_CC_NV_ChangeAuth           0x0000013b
#define TPM_CC_PCR_Event               0x0000013c
#define TPM_CC_PCR_Reset               0x0000013d
#define TPM_CC_SequenceComplete        0x0000013e
#define TPM_CC_SetAlgorithmSet         0x0000013f
#define TPM_CC_SetCommandCodeAuditStatus 0x00000140
#define TPM_CC_FieldUpgradeData        0x00000141
#define TPM_CC_IncrementalSelfTest     0x00000142
#define TPM_CC_SelfTest                0x00000143
#define TPM_CC_Startup                 0x00000144
#define TPM_CC_Shutdown                0x00000145
#define TPM_CC_StirRandom              0x00000146
#define TPM_CC_ActivateCredential      0x00000147
#define TPM_CC_Certify                 0x00000148
#define TPM_CC_PolicyNV                0x00000149
#define TPM_CC_CertifyCreation         0x0000014a
#define TPM_CC_Duplicate               0x0000014b
#define TPM_CC_GetTime                 0x0000014c
#define TPM_CC_GetSessionAuditDigest   0x0000014d
#define TPM_CC_NV_Read                 0x0000014e
#define TPM_CC_NV_ReadLock             0x0000014f
#define TPM_CC_ObjectChangeAuth        0x00000150
#define TPM_CC_PolicySecret            0x00000151
#define TPM_CC_Rewrap                  0x00000152
#define TPM_CC_Create                  0x00000153
#define TPM_CC_ECDH_ZGen               0x00000154
#define TPM_CC_HMAC                    0x00000155
#define TPM_CC_Import                  0x00000156
#define TPM_CC_Load                    0x00000157
#define TPM_CC_Quote                   0x00000158
#define TPM_CC_RSA_Decrypt             0x00000159
#define TPM_CC_HMAC_Start              0x0000015b
#define TPM_CC_SequenceUpdate          0x0000015c
#define TPM_CC_Sign                    0x0000015d
#define TPM_CC_Unseal                  0x0000015e
#define TPM_CC_PolicySigned            0x00000160
#define TPM_CC_ContextLoad             0x00000161
#define TPM_CC_ContextSave             0x00000162
#define TPM_CC_ECDH_KeyGen             0x00000163
#define TPM_CC_EncryptDecrypt          0x00000164
#define TPM_CC_FlushContext            0x00000165
#define TPM_CC_LoadExternal            0x00000167
#define TPM_CC_MakeCredential          0x00000168
#define TPM_CC_NV_ReadPublic           0x00000169
#define TPM_CC_PolicyAuthorize         0x0000016a
#define TPM_CC_PolicyAuthValue         0x0000016b
#define TPM_CC_PolicyCommandCode       0x0000016c
#define TPM_CC_PolicyCounterTimer      0x0000016d
#define TPM_CC_PolicyCpHash            0x0000016e
#define TPM_CC_PolicyLocality          0x0000016f
#define TPM_CC_PolicyNameHash          0x00000170
#define TPM_CC_PolicyOR                0x00000171
#define TPM_CC_PolicyTicket            0x00000172
#define TPM_CC_ReadPublic              0x00000173
#define TPM_CC_RSA_Encrypt             0x00000174
#define TPM_CC_StartAuthSession        0x00000176
#define TPM_CC_VerifySignature         0x00000177
#define TPM_CC_ECC_Parameters          0x00000178
#define TPM_CC_FirmwareRead            0x00000179
#define TPM_CC_GetCapability           0x0000017a
#define TPM_CC_GetRandom               0x0000017b
#define TPM_CC_GetTestResult           0x0000017c
#define TPM_CC_Hash                    0x0000017d
#define TPM_CC_PCR_Read                0x0000017e
#define TPM_CC_PolicyPCR               0x0000017f
#define TPM_CC_PolicyRestart           0x00000180
#define TPM_CC_ReadClock               0x00000181
#define TPM_CC_PCR_Extend              0x00000182
#define TPM_CC_PCR_SetAuthValue        0x00000183
#define TPM_CC_NV_Certify              0x00000184
#define TPM_CC_EventSequenceComplete   0x00000185
#define TPM_CC_HashSequenceStart       0x00000186
#define TPM_CC_PolicyPhysicalPresence  0x00000187
#define TPM_CC_PolicyDuplicationSelect 0x00000188
#define TPM_CC_PolicyGetDigest         0x00000189
#define TPM_CC_TestParms               0x0000018a
#define TPM_CC_Commit                  0x0000018b
#define TPM_CC_PolicyPassword          0x0000018c
#define TPM_CC_ZGen_2Phase             0x0000018d
#define TPM_CC_EC_Ephemeral            0x0000018e
#define TPM_CC_PolicyNvWritten         0x0000018f
#define TPM_CC_PolicyTemplate          0x00000190
#define TPM_CC_CreateLoaded            0x00000191
#define TPM_CC_PolicyAuthorizeNV       0x00000192
#define TPM_CC_EncryptDecrypt2         0x00000193

/* ---- TPM_RC ---- */
#define TPM_RC_SUCCESS        0x000
#define TPM_RC_BAD_TAG        0x01e
#define TPM_RC_VER1           0x100
#define TPM_RC_INITIALIZE     (TPM_RC_VER1 + 0x000)
#define TPM_RC_FAILURE        (TPM_RC_VER1 + 0x001)
#define TPM_RC_SEQUENCE       (TPM_RC_VER1 + 0x003)
#define TPM_RC_PRIVATE        (TPM_RC_VER1 + 0x00b)
#define TPM_RC_HMAC           (TPM_RC_VER1 + 0x019)
#define TPM_RC_DISABLED       (TPM_RC_VER1 + 0x020)
#define TPM_RC_EXCLUSIVE      (TPM_RC_VER1 + 0x021)
#define TPM_RC_AUTH_TYPE      (TPM_RC_VER1 + 0x024)
#define TPM_RC_AUTH_MISSING   (TPM_RC_VER1 + 0x025)
#define TPM_RC_POLICY         (TPM_RC_VER1 + 0x026)
#define TPM_RC_PCR            (TPM_RC_VER1 + 0x027)
#define TPM_RC_PCR_CHANGED    (TPM_RC_VER1 + 0x028)
#define TPM_RC_UPGRADE        (TPM_RC_VER1 + 0x02d)
#define TPM_RC_TOO_MANY_CONTEXTS (TPM_RC_VER1 + 0x02e)
#define TPM_RC_AUTH_UNAVAILABLE (TPM_RC_VER1 + 0x02f)
#define TPM_RC_REBOOT         (TPM_RC_VER1 + 0x030)
#define TPM_RC_UNBALANCED     (TPM_RC_VER1 + 0x031)
#define TPM_RC_COMMAND_SIZE   (TPM_RC_VER1 + 0x042)
#define TPM_RC_COMMAND_CODE   (TPM_RC_VER1 + 0x043)
#define TPM_RC_AUTHSIZE       (TPM_RC_VER1 + 0x044)
#define TPM_RC_AUTH_CONTEXT   (TPM_RC_VER1 + 0x045)
#define TPM_RC_NV_RANGE       (TPM_RC_VER1 + 0x046)
#define TPM_RC_NV_SIZE        (TPM_RC_VER1 + 0x047)
#define TPM_RC_NV_LOCKED      (TPM_RC_VER1 + 0x048)
#define TPM_RC_NV_AUTHORIZATION (TPM_RC_VER1 + 0x049)
#define TPM_RC_NV_UNINITIALIZED (TPM_RC_VER1 + 0x04a)
#define TPM_RC_NV_SPACE       (TPM_RC_VER1 + 0x04b)
#define TPM_RC_NV_DEFINED     (TPM_RC_VER1 + 0x04c)
#define TPM_RC_BAD_CONTEXT    (TPM_RC_VER1 + 0x050)
#define TPM_RC_CPHASH         (TPM_RC_VER1 + 0x051)
#define TPM_RC_PARENT         (TPM_RC_VER1 + 0x052)
#define TPM_RC_NEEDS_TEST     (TPM_RC_VER1 + 0x053)
#define TPM_RC_NO_RESULT      (TPM_RC_VER1 + 0x054)
#define TPM_RC_SENSITIVE      (TPM_RC_VER1 + 0x055)
#define TPM_RC_FMT1           0x080
#define TPM_RC_ASYMMETRIC     (TPM_RC_FMT1 + 0x001)
#define TPM_RC_ATTRIBUTES     (TPM_RC_FMT1 + 0x002)
#define TPM_RC_HASH           (TPM_RC_FMT1 + 0x003)
#define TPM_RC_VALUE          (TPM_RC_FMT1 + 0x004)
#define TPM_RC_HIERARCHY      (TPM_RC_FMT1 + 0x005)
#define TPM_RC_KEY_SIZE       (TPM_RC_FMT1 + 0x007)
#define TPM_RC_MGF            (TPM_RC_FMT1 + 0x008)
#define TPM_RC_MODE           (TPM_RC_FMT1 + 0x009)
#define TPM_RC_TYPE           (TPM_RC_FMT1 + 0x00a)
#define TPM_RC_HANDLE         (TPM_RC_FMT1 + 0x00b)
#define TPM_RC_KDF            (TPM_RC_FMT1 + 0x00c)
#define TPM_RC_RANGE          (TPM_RC_FMT1 + 0x00d)
#define TPM_RC_AUTH_FAIL      (TPM_RC_FMT1 + 0x00e)
#define TPM_RC_NONCE          (TPM_RC_FMT1 + 0x00f)
#define TPM_RC_PP             (TPM_RC_FMT1 + 0x010)
#define TPM_RC_SCHEME         (TPM_RC_FMT1 + 0x012)
#define TPM_RC_SIZE           (TPM_RC_FMT1 + 0x015)
#define TPM_RC_SYMMETRIC      (TPM_RC_FMT1 + 0x016)
#define TPM_RC_TAG            (TPM_RC_FMT1 + 0x017)
#define TPM_RC_SELECTOR       (TPM_RC_FMT1 + 0x018)
#define TPM_RC_INSUFFICIENT   (TPM_RC_FMT1 + 0x01a)
#define TPM_RC_SIGNATURE      (TPM_RC_FMT1 + 0x01b)
#define TPM_RC_KEY            (TPM_RC_FMT1 + 0x01c)
#define TPM_RC_POLICY_FAIL    (TPM_RC_FMT1 + 0x01d)
#define TPM_RC_INTEGRITY      (TPM_RC_FMT1 + 0x01f)
#define TPM_RC_TICKET         (TPM_RC_FMT1 + 0x020)
#define TPM_RC_RESERVED_BITS  (TPM_RC_FMT1 + 0x021)
#define TPM_RC_BAD_AUTH       (TPM_RC_FMT1 + 0x022)
#define TPM_RC_EXPIRED        (TPM_RC_FMT1 + 0x023)
#define TPM_RC_POLICY_CC      (TPM_RC_FMT1 + 0x024)
#define TPM_RC_BINDING        (TPM_RC_FMT1 + 0x025)
#define TPM_RC_CURVE          (TPM_RC_FMT1 + 0x026)
#define TPM_RC_ECC_POINT      (TPM_RC_FMT1 + 0x027)
#define TPM_RC_WARN           0x900
#define TPM_RC_CONTEXT_GAP    (TPM_RC_WARN + 0x001)
#define TPM_RC_OBJECT_MEMORY  (TPM_RC_WARN + 0x002)
#define TPM_RC_SESSION_MEMORY (TPM_RC_WARN + 0x003)
#define TPM_RC_MEMORY         (TPM_RC_WARN + 0x004)
#define TPM_RC_SESSION_HANDLES (TPM_RC_WARN + 0x005)
#define TPM_RC_OBJECT_HANDLES (TPM_RC_WARN + 0x006)
#define TPM_RC_LOCALITY       (TPM_RC_WARN + 0x007)
#define TPM_RC_YIELDED        (TPM_RC_WARN + 0x008)
#define TPM_RC_CANCELED       (TPM_RC_WARN + 0x009)
#define TPM_RC_TESTING        (TPM_RC_WARN + 0x00a)
#define TPM_RC_REFERENCE_H0   (TPM_RC_WARN + 0x010)
#define TPM_RC_REFERENCE_S0   (TPM_RC_WARN + 0x018)
#define TPM_RC_NV_RATE        (TPM_RC_WARN + 0x020)
#define TPM_RC_LOCKOUT        (TPM_RC_WARN + 0x021)
#define TPM_RC_RETRY          (TPM_RC_WARN + 0x022)
#define TPM_RC_NV_UNAVAILABLE (TPM_RC_WARN + 0x023)
/* Format-1 qualifiers: which handle, parameter or session an error is about. */
#define TPM_RC_H 0x000
#define TPM_RC_P 0x040
#define TPM_RC_S 0x800
#define TPM_RC_1 0x100
#define TPM_RC_2 0x200
#define TPM_RC_3 0x300
#define TPM_RC_4 0x400
#define TPM_RC_5 0x500
#define TPM_RC_6 0x600
#define TPM_RC_7 0x700
#define TPM_RC_8 0x800
#define TPM_RC_9 0x900
#define TPM_RC_A 0xa00
#define TPM_RC_B 0xb00
#define TPM_RC_C 0xc00
#define TPM_RC_D 0xd00
#define TPM_RC_E 0xe00
#define TPM_RC_F 0xf00

/* ---- handles ---- */
#define TPM_HT_PCR            0x00
#define TPM_HT_NV_INDEX       0x01
#define TPM_HT_HMAC_SESSION   0x02
#define TPM_HT_POLICY_SESSION 0x03
#define TPM_HT_PERMANENT      0x40
#define TPM_HT_TRANSIENT      0x80
#define TPM_HT_PERSISTENT     0x81
#define TPM_HR_SHIFT          24
#define TPM_HR_HANDLE_MASK    0x00ffffff
#define TPM_RH_OWNER       0x40000001
#define TPM_RH_NULL        0x40000007
#define TPM_RS_PW          0x40000009
#define TPM_RH_LOCKOUT     0x4000000a
#define TPM_RH_ENDORSEMENT 0x4000000b
#define TPM_RH_PLATFORM    0x4000000c
#define TPM_RH_PLATFORM_NV 0x4000000d
#define TPM_HR_PCR        0x00000000
#define TPM_HR_NV_INDEX   0x01000000
#define TPM_HR_HMAC_SESSION 0x02000000
#define TPM_HR_POLICY_SESSION 0x03000000
#define TPM_HR_TRANSIENT  0x80000000
#define TPM_HR_PERSISTENT 0x81000000

/* ---- TPMA_OBJECT ---- */
#define TPMA_OBJECT_FIXEDTPM             0x00000002
#define TPMA_OBJECT_STCLEAR              0x00000004
#define TPMA_OBJECT_FIXEDPARENT          0x00000010
#define TPMA_OBJECT_SENSITIVEDATAORIGIN  0x00000020
#define TPMA_OBJECT_USERWITHAUTH         0x00000040
#define TPMA_OBJECT_ADMINWITHPOLICY      0x00000080
#define TPMA_OBJECT_NODA                 0x00000400
#define TPMA_OBJECT_ENCRYPTEDDUPLICATION 0x00000800
#define TPMA_OBJECT_RESTRICTED           0x00010000
#define TPMA_OBJECT_DECRYPT              0x00020000
#define TPMA_OBJECT_SIGN_ENCRYPT         0x00040000
#define TPMA_OBJECT_X509SIGN             0x00080000
#define TPMA_OBJECT_RESERVED_MASK        0xfff0f309

/* ---- TPMA_SESSION ---- */
#define TPMA_SESSION_CONTINUESESSION 0x01
#define TPMA_SESSION_AUDITEXCLUSIVE  0x02
#define TPMA_SESSION_AUDITRESET      0x04
#define TPMA_SESSION_DECRYPT         0x20
#define TPMA_SESSION_ENCRYPT         0x40
#define TPMA_SESSION_AUDIT           0x80
#define TPMA_SESSION_RESERVED_MASK   0x18

/* ---- TPMA_NV ---- */
#define TPMA_NV_PPWRITE        0x00000001
#define TPMA_NV_OWNERWRITE     0x00000002
#define TPMA_NV_AUTHWRITE      0x00000004
#define TPMA_NV_POLICYWRITE    0x00000008
#define TPMA_NV_TPM_NT_MASK    0x000000f0
#define TPMA_NV_TPM_NT_SHIFT   4
#define TPM_NT_ORDINARY 0x0
#define TPM_NT_COUNTER  0x1
#define TPM_NT_BITS     0x2
#define TPM_NT_EXTEND   0x4
#define TPM_NT_PIN_FAIL 0x8
#define TPM_NT_PIN_PASS 0x9
#define TPMA_NV_POLICY_DELETE  0x00000400
#define TPMA_NV_WRITELOCKED    0x00000800
#define TPMA_NV_WRITEALL       0x00001000
#define TPMA_NV_WRITEDEFINE    0x00002000
#define TPMA_NV_WRITE_STCLEAR  0x00004000
#define TPMA_NV_GLOBALLOCK     0x00008000
#define TPMA_NV_PPREAD         0x00010000
#define TPMA_NV_OWNERREAD      0x00020000
#define TPMA_NV_AUTHREAD       0x00040000
#define TPMA_NV_POLICYREAD     0x00080000
#define TPMA_NV_NO_DA          0x02000000
#define TPMA_NV_ORDERLY        0x04000000
#define TPMA_NV_CLEAR_STCLEAR  0x08000000
#define TPMA_NV_READLOCKED     0x10000000
#define TPMA_NV_WRITTEN        0x20000000
#define TPMA_NV_PLATFORMCREATE 0x40000000
#define TPMA_NV_READ_STCLEAR   0x80000000

/* ---- TPMA_ALGORITHM ---- */
#define TPMA_ALGORITHM_ASYMMETRIC 0x00000001
#define TPMA_ALGORITHM_SYMMETRIC  0x00000002
#define TPMA_ALGORITHM_HASH       0x00000004
#define TPMA_ALGORITHM_OBJECT     0x00000008
#define TPMA_ALGORITHM_SIGNING    0x00000100
#define TPMA_ALGORITHM_ENCRYPTING 0x00000200
#define TPMA_ALGORITHM_METHOD     0x00000400

/* ---- TPMA_PERMANENT, TPMA_STARTUP_CLEAR ---- */
#define TPMA_PERMANENT_OWNERAUTHSET       0x00000001
#define TPMA_PERMANENT_ENDORSEMENTAUTHSET 0x00000002
#define TPMA_PERMANENT_LOCKOUTAUTHSET     0x00000004
#define TPMA_PERMANENT_DISABLECLEAR       0x00000100
#define TPMA_PERMANENT_INLOCKOUT          0x00000200
#define TPMA_PERMANENT_TPMGENERATEDEPS    0x00000400
#define TPMA_STARTUP_CLEAR_PHENABLE   0x00000001
#define TPMA_STARTUP_CLEAR_SHENABLE   0x00000002
#define TPMA_STARTUP_CLEAR_EHENABLE   0x00000004
#define TPMA_STARTUP_CLEAR_PHENABLENV 0x00000008
#define TPMA_STARTUP_CLEAR_ORDERLY    0x80000000

/* ---- TPMA_CC ---- */
#define TPMA_CC_NV        0x00400000
#define TPMA_CC_EXTENSIVE 0x00800000
#define TPMA_CC_FLUSHED   0x01000000
#define TPMA_CC_CHANDLES_SHIFT 25
#define TPMA_CC_RHANDLE   0x10000000

/* ---- TPM_CAP ---- */
#define TPM_CAP_ALGS           0x00000000
#define TPM_CAP_HANDLES        0x00000001
#define TPM_CAP_COMMANDS       0x00000002
#define TPM_CAP_PP_COMMANDS    0x00000003
#define TPM_CAP_AUDIT_COMMANDS 0x00000004
#define TPM_CAP_PCRS           0x00000005
#define TPM_CAP_TPM_PROPERTIES 0x00000006
#define TPM_CAP_PCR_PROPERTIES 0x00000007
#define TPM_CAP_ECC_CURVES     0x00000008
#define TPM_CAP_AUTH_POLICIES  0x00000009
/* (TPM_CAP_ACT, 0xa, is not implemented.) */

/* ---- TPM_PT ---- */
#define TPM_PT_FIXED 0x100
#define TPM_PT_FAMILY_INDICATOR   (TPM_PT_FIXED + 0)
#define TPM_PT_LEVEL              (TPM_PT_FIXED + 1)
#define TPM_PT_REVISION           (TPM_PT_FIXED + 2)
#define TPM_PT_DAY_OF_YEAR        (TPM_PT_FIXED + 3)
#define TPM_PT_YEAR               (TPM_PT_FIXED + 4)
#define TPM_PT_MANUFACTURER       (TPM_PT_FIXED + 5)
#define TPM_PT_VENDOR_STRING_1    (TPM_PT_FIXED + 6)
#define TPM_PT_VENDOR_STRING_2    (TPM_PT_FIXED + 7)
#define TPM_PT_VENDOR_STRING_3    (TPM_PT_FIXED + 8)
#define TPM_PT_VENDOR_STRING_4    (TPM_PT_FIXED + 9)
#define TPM_PT_VENDOR_TPM_TYPE    (TPM_PT_FIXED + 10)
#define TPM_PT_FIRMWARE_VERSION_1 (TPM_PT_FIXED + 11)
#define TPM_PT_FIRMWARE_VERSION_2 (TPM_PT_FIXED + 12)
#define TPM_PT_INPUT_BUFFER       (TPM_PT_FIXED + 13)
#define TPM_PT_HR_TRANSIENT_MIN   (TPM_PT_FIXED + 14)
#define TPM_PT_HR_PERSISTENT_MIN  (TPM_PT_FIXED + 15)
#define TPM_PT_HR_LOADED_MIN      (TPM_PT_FIXED + 16)
#define TPM_PT_ACTIVE_SESSIONS_MAX (TPM_PT_FIXED + 17)
#define TPM_PT_PCR_COUNT          (TPM_PT_FIXED + 18)
#define TPM_PT_PCR_SELECT_MIN     (TPM_PT_FIXED + 19)
#define TPM_PT_CONTEXT_GAP_MAX    (TPM_PT_FIXED + 20)
#define TPM_PT_NV_COUNTERS_MAX    (TPM_PT_FIXED + 22)
#define TPM_PT_NV_INDEX_MAX       (TPM_PT_FIXED + 23)
#define TPM_PT_MEMORY             (TPM_PT_FIXED + 24)
#define TPM_PT_CLOCK_UPDATE       (TPM_PT_FIXED + 25)
#define TPM_PT_CONTEXT_HASH       (TPM_PT_FIXED + 26)
#define TPM_PT_CONTEXT_SYM        (TPM_PT_FIXED + 27)
#define TPM_PT_CONTEXT_SYM_SIZE   (TPM_PT_FIXED + 28)
#define TPM_PT_ORDERLY_COUNT      (TPM_PT_FIXED + 29)
#define TPM_PT_MAX_COMMAND_SIZE   (TPM_PT_FIXED + 30)
#define TPM_PT_MAX_RESPONSE_SIZE  (TPM_PT_FIXED + 31)
#define TPM_PT_MAX_DIGEST         (TPM_PT_FIXED + 32)
#define TPM_PT_MAX_OBJECT_CONTEXT (TPM_PT_FIXED + 33)
#define TPM_PT_MAX_SESSION_CONTEXT (TPM_PT_FIXED + 34)
#define TPM_PT_PS_FAMILY_INDICATOR (TPM_PT_FIXED + 35)
#define TPM_PT_PS_LEVEL           (TPM_PT_FIXED + 36)
#define TPM_PT_PS_REVISION        (TPM_PT_FIXED + 37)
#define TPM_PT_PS_DAY_OF_YEAR     (TPM_PT_FIXED + 38)
#define TPM_PT_PS_YEAR            (TPM_PT_FIXED + 39)
#define TPM_PT_SPLIT_MAX          (TPM_PT_FIXED + 40)
#define TPM_PT_TOTAL_COMMANDS     (TPM_PT_FIXED + 41)
#define TPM_PT_LIBRARY_COMMANDS   (TPM_PT_FIXED + 42)
#define TPM_PT_VENDOR_COMMANDS    (TPM_PT_FIXED + 43)
#define TPM_PT_NV_BUFFER_MAX      (TPM_PT_FIXED + 44)
#define TPM_PT_MODES              (TPM_PT_FIXED + 45)
#define TPM_PT_MAX_CAP_BUFFER     (TPM_PT_FIXED + 46)
#define TPM_PT_VAR 0x200
#define TPM_PT_PERMANENT          (TPM_PT_VAR + 0)
#define TPM_PT_STARTUP_CLEAR      (TPM_PT_VAR + 1)
#define TPM_PT_HR_NV_INDEX        (TPM_PT_VAR + 2)
#define TPM_PT_HR_LOADED          (TPM_PT_VAR + 3)
#define TPM_PT_HR_LOADED_AVAIL    (TPM_PT_VAR + 4)
#define TPM_PT_HR_ACTIVE          (TPM_PT_VAR + 5)
#define TPM_PT_HR_ACTIVE_AVAIL    (TPM_PT_VAR + 6)
#define TPM_PT_HR_TRANSIENT_AVAIL (TPM_PT_VAR + 7)
#define TPM_PT_HR_PERSISTENT      (TPM_PT_VAR + 8)
#define TPM_PT_HR_PERSISTENT_AVAIL (TPM_PT_VAR + 9)
#define TPM_PT_NV_COUNTERS        (TPM_PT_VAR + 10)
#define TPM_PT_NV_COUNTERS_AVAIL  (TPM_PT_VAR + 11)
#define TPM_PT_ALGORITHM_SET      (TPM_PT_VAR + 12)
#define TPM_PT_LOADED_CURVES      (TPM_PT_VAR + 13)
#define TPM_PT_LOCKOUT_COUNTER    (TPM_PT_VAR + 14)
#define TPM_PT_MAX_AUTH_FAIL      (TPM_PT_VAR + 15)
#define TPM_PT_LOCKOUT_INTERVAL   (TPM_PT_VAR + 16)
#define TPM_PT_LOCKOUT_RECOVERY   (TPM_PT_VAR + 17)
#define TPM_PT_NV_WRITE_RECOVERY  (TPM_PT_VAR + 18)
#define TPM_PT_AUDIT_COUNTER_0    (TPM_PT_VAR + 19)
#define TPM_PT_AUDIT_COUNTER_1    (TPM_PT_VAR + 20)

/* ---- TPM_PT_PCR ---- */
#define TPM_PT_PCR_SAVE        0x00000000
#define TPM_PT_PCR_EXTEND_L0   0x00000001
#define TPM_PT_PCR_RESET_L0    0x00000002
#define TPM_PT_PCR_EXTEND_L1   0x00000003
#define TPM_PT_PCR_RESET_L1    0x00000004
#define TPM_PT_PCR_EXTEND_L2   0x00000005
#define TPM_PT_PCR_RESET_L2    0x00000006
#define TPM_PT_PCR_EXTEND_L3   0x00000007
#define TPM_PT_PCR_RESET_L3    0x00000008
#define TPM_PT_PCR_EXTEND_L4   0x00000009
#define TPM_PT_PCR_RESET_L4    0x0000000a
#define TPM_PT_PCR_NO_INCREMENT 0x00000011
#define TPM_PT_PCR_DRTM_RESET  0x00000012
#define TPM_PT_PCR_POLICY      0x00000013
#define TPM_PT_PCR_AUTH        0x00000014

#define HUSK_TPM_SPEC_FAMILY   0x322e3000 /* "2.0" */
#define HUSK_TPM_SPEC_LEVEL    0
#define HUSK_TPM_SPEC_REVISION 164 /* 1.64 */

#endif
