/* Command builder, response views and code names; see tpmcmd.h. */
#include <stdio.h>
#include <string.h>

#include "tpm/tpm_defs.h"
#include "tpmcmd.h"

uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

uint32_t be32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

void cmd_init(struct cmd *c, uint32_t cc)
{
	memset(c, 0, sizeof(*c));
	c->cc = cc;
}

void cmd_handle(struct cmd *c, uint32_t h)
{
	if (c->nh < 3)
		c->h[c->nh++] = h;
}

void cmd_handle_sym(struct cmd *c, enum sym s)
{
	if (c->nh < 3) {
		c->hsym[c->nh] = (uint8_t)s;
		c->h[c->nh++] = 0;
	}
}

void cmd_pw(struct cmd *c, const char *password)
{
	struct sess *s;
	size_t n = strlen(password);

	if (c->ns >= 4 || n > sizeof(s->hmac))
		return;
	s = &c->s[c->ns++];
	memset(s, 0, sizeof(*s));
	s->handle = TPM_RS_PW;
	s->attrs = 0x01; /* continueSession */
	memcpy(s->hmac, password, n);
	s->hmac_len = (uint16_t)n;
}

/* ---- parameters ---- */

static void add_field(struct params *p, const char *name, uint8_t kind, size_t off, size_t len)
{
	struct field *f;
	char prefix[32] = "";

	if (p->nf >= CMD_MAX_FIELDS)
		return;
	/* Inside a TPM2B the field is named after it: "inPublic.type". */
	if (p->depth) {
		const struct field *outer = &p->f[p->open2b[p->depth - 1]];

		snprintf(prefix, sizeof(prefix), "%s.", outer->name);
	}
	f = &p->f[p->nf++];
	snprintf(f->name, sizeof(f->name), "%s%s", prefix, name);
	f->kind = kind;
	f->off = (uint16_t)off;
	f->len = (uint16_t)len;
}

void p_raw(struct params *p, const void *data, size_t n)
{
	if (p->n + n > sizeof(p->b))
		return;
	memcpy(p->b + p->n, data, n);
	p->n += n;
}

static void p_int(struct params *p, const char *name, uint8_t kind, uint32_t v, size_t bytes)
{
	uint8_t b[4];

	put32(b, v);
	add_field(p, name, kind, p->n, bytes);
	p_raw(p, b + 4 - bytes, bytes);
}

void p_u8(struct params *p, const char *name, uint8_t v)
{
	p_int(p, name, F_U8, v, 1);
}

void p_u16(struct params *p, const char *name, uint16_t v)
{
	p_int(p, name, F_U16, v, 2);
}

void p_u32(struct params *p, const char *name, uint32_t v)
{
	p_int(p, name, F_U32, v, 4);
}

void p_alg(struct params *p, const char *name, uint16_t v)
{
	p_int(p, name, F_ALG, v, 2);
}

void p_handle(struct params *p, const char *name, uint32_t v)
{
	p_int(p, name, F_HANDLE, v, 4);
}

void p_cc(struct params *p, const char *name, uint32_t v)
{
	p_int(p, name, F_CC, v, 4);
}

void p_attr(struct params *p, const char *name, uint32_t v)
{
	p_int(p, name, F_ATTR, v, 4);
}

void p_2b(struct params *p, const char *name, const void *data, size_t n)
{
	uint8_t sz[2];

	put16(sz, (uint16_t)n);
	add_field(p, name, F_2B, p->n, n);
	p_raw(p, sz, 2);
	p_raw(p, data, n);
}

void p_2b_str(struct params *p, const char *name, const char *s)
{
	p_2b(p, name, s, strlen(s));
}

void p_2b_begin(struct params *p, const char *name)
{
	static const uint8_t zero[2];

	if (p->depth >= 4 || p->nf >= CMD_MAX_FIELDS)
		return;
	add_field(p, name, F_2B, p->n, 0);
	p->open2b[p->depth++] = (int)(p->nf - 1);
	p_raw(p, zero, 2);
}

void p_2b_end(struct params *p)
{
	struct field *f;

	if (!p->depth)
		return;
	f = &p->f[p->open2b[--p->depth]];
	f->len = (uint16_t)(p->n - f->off - 2);
	put16(p->b + f->off, f->len);
}

/* ---- encoding ---- */

size_t cmd_encode(const struct cmd *c, const uint32_t *symtab, uint8_t *out, size_t cap)
{
	size_t n = 10;
	uint16_t tag = c->tag ? c->tag : (c->ns || c->auth_size_set ? TPM_ST_SESSIONS : TPM_ST_NO_SESSIONS);

	if (cap < 10)
		return 0;
	for (unsigned i = 0; i < c->nh; i++) {
		uint32_t h = c->h[i];

		if (c->hsym[i]) {
			h = symtab ? symtab[c->hsym[i]] : 0;
			if (!h)
				return 0;
		}
		if (n + 4 > cap)
			return 0;
		put32(out + n, h);
		n += 4;
	}
	if (c->ns || c->auth_size_set) {
		size_t at = n;

		if (n + 4 > cap)
			return 0;
		n += 4;
		for (unsigned i = 0; i < c->ns; i++) {
			const struct sess *s = &c->s[i];
			uint32_t h = s->handle;

			if (s->hsym) {
				h = symtab ? symtab[s->hsym] : 0;
				if (!h)
					return 0;
			}
			if (n + 9 + s->nonce_len + s->hmac_len > cap)
				return 0;
			put32(out + n, h);
			put16(out + n + 4, s->nonce_len);
			memcpy(out + n + 6, s->nonce, s->nonce_len);
			n += 6 + s->nonce_len;
			out[n++] = s->attrs;
			put16(out + n, s->hmac_len);
			memcpy(out + n + 2, s->hmac, s->hmac_len);
			n += 2 + s->hmac_len;
		}
		put32(out + at, c->auth_size_set ? c->auth_size : (uint32_t)(n - at - 4));
	}
	if (n + c->p.n > cap)
		return 0;
	memcpy(out + n, c->p.b, c->p.n);
	n += c->p.n;
	put16(out, tag);
	put32(out + 2, (uint32_t)n);
	put32(out + 6, c->cc);
	return n;
}

/* ---- responses ---- */

uint32_t rsp_handle(const struct eng_rsp *r)
{
	return r->len >= 14 ? be32(r->b + 10) : 0;
}

bool rsp_params(const struct eng_rsp *r, bool out_handle, struct view *v)
{
	size_t off = 10 + (out_handle ? 4 : 0);

	if (r->rc != 0 || r->len < off)
		return false;
	if (r->tag == TPM_ST_SESSIONS) {
		uint32_t size;

		if (r->len < off + 4)
			return false;
		size = be32(r->b + off);
		off += 4;
		if (size > r->len - off)
			return false;
		v->p = r->b + off;
		v->n = size;
		return true;
	}
	v->p = r->b + off;
	v->n = r->len - off;
	return true;
}

/* ---- names ---- */

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
