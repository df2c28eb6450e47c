/* Test client for husk's TPM engine and libtpms; see tpm_dual.h. */
#include <stdlib.h>
#include <string.h>

#include <libtpms/tpm_error.h>
#include <libtpms/tpm_library.h>
#include <libtpms/tpm_nvfilename.h>

#include "tpm/tpm_crypto.h"
#include "tpm/tpm_defs.h"
#include "tpm_dual.h"

/* ---- libtpms with in-memory NVRAM ---- */

#define REF_FILES 4

static struct {
	char name[32];
	unsigned char *data;
	uint32_t len;
} ref_files[REF_FILES];

static TPM_RESULT ref_nv_init(void)
{
	return TPM_SUCCESS;
}

static int ref_file(const char *name, bool create)
{
	for (int i = 0; i < REF_FILES; i++)
		if (ref_files[i].name[0] && strcmp(ref_files[i].name, name) == 0)
			return i;
	if (!create)
		return -1;
	for (int i = 0; i < REF_FILES; i++)
		if (!ref_files[i].name[0]) {
			strncpy(ref_files[i].name, name, sizeof(ref_files[i].name) - 1);
			return i;
		}
	return -1;
}

static TPM_RESULT ref_nv_load(unsigned char **data, uint32_t *length, uint32_t tpm_number,
			      const char *name)
{
	int i = ref_file(name, false);

	(void)tpm_number;
	if (i < 0 || !ref_files[i].data)
		return TPM_RETRY; /* nothing stored: libtpms manufactures */
	*data = malloc(ref_files[i].len);
	if (!*data)
		return TPM_FAIL;
	memcpy(*data, ref_files[i].data, ref_files[i].len);
	*length = ref_files[i].len;
	return TPM_SUCCESS;
}

static TPM_RESULT ref_nv_store(const unsigned char *data, uint32_t length, uint32_t tpm_number,
			       const char *name)
{
	int i = ref_file(name, true);

	(void)tpm_number;
	if (i < 0)
		return TPM_FAIL;
	free(ref_files[i].data);
	ref_files[i].data = malloc(length ? length : 1);
	if (!ref_files[i].data)
		return TPM_FAIL;
	memcpy(ref_files[i].data, data, length);
	ref_files[i].len = length;
	return TPM_SUCCESS;
}

static TPM_RESULT ref_nv_delete(uint32_t tpm_number, const char *name, TPM_BOOL must_exist)
{
	int i = ref_file(name, false);

	(void)tpm_number;
	if (i < 0)
		return must_exist ? TPM_FAIL : TPM_SUCCESS;
	free(ref_files[i].data);
	memset(&ref_files[i], 0, sizeof(ref_files[i]));
	return TPM_SUCCESS;
}

static void ref_files_free(void)
{
	for (int i = 0; i < REF_FILES; i++) {
		free(ref_files[i].data);
		memset(&ref_files[i], 0, sizeof(ref_files[i]));
	}
}

int ref_init(struct tgt *t)
{
	static struct libtpms_callbacks cbs = {
		.sizeOfStruct = sizeof(struct libtpms_callbacks),
		.tpm_nvram_init = ref_nv_init,
		.tpm_nvram_loaddata = ref_nv_load,
		.tpm_nvram_storedata = ref_nv_store,
		.tpm_nvram_deletename = ref_nv_delete,
	};

	memset(t, 0, sizeof(*t));
	t->ref = true;
	ref_files_free();
	if (TPMLIB_ChooseTPMVersion(TPMLIB_TPM_VERSION_2) != TPM_SUCCESS)
		return -1;
	if (TPMLIB_RegisterCallbacks(&cbs) != TPM_SUCCESS)
		return -1;
	return TPMLIB_MainInit() == TPM_SUCCESS ? 0 : -1;
}

void ref_fini(struct tgt *t)
{
	(void)t;
	TPMLIB_Terminate();
	ref_files_free();
}

void tgt_husk(struct tgt *t, struct tpm_host *h)
{
	memset(t, 0, sizeof(*t));
	t->h = h;
}

int tgt_power_cycle(struct tgt *t)
{
	if (t->ref) {
		TPMLIB_Terminate();
		return TPMLIB_MainInit() == TPM_SUCCESS ? 0 : -1;
	}
	if (tpm_power_off(t->h->tpm))
		return -1;
	return tpm_power_on(t->h->tpm) ? -1 : 0;
}

uint32_t tgt_rsp_u32(const struct tgt *t, size_t at)
{
	if (at + 4 > t->rsp_len)
		return 0xffffffffu;
	return ((uint32_t)t->rsp[at] << 24) | ((uint32_t)t->rsp[at + 1] << 16) |
	       ((uint32_t)t->rsp[at + 2] << 8) | t->rsp[at + 3];
}

uint16_t tgt_rsp_u16(const struct tgt *t, size_t at)
{
	if (at + 2 > t->rsp_len)
		return 0xffffu;
	return (uint16_t)((t->rsp[at] << 8) | t->rsp[at + 1]);
}

uint32_t tgt_send(struct tgt *t, const uint8_t *cmd, size_t len)
{
	if (t->ref) {
		unsigned char *rbuf = NULL;
		uint32_t rlen = 0, rtotal = 0;

		for (int tries = 0; tries < 2; tries++) {
			if (TPMLIB_Process(&rbuf, &rlen, &rtotal, (unsigned char *)cmd, (uint32_t)len) !=
			    TPM_SUCCESS || rlen > sizeof(t->rsp)) {
				free(rbuf);
				t->rsp_len = 0;
				return 0xffffffffu;
			}
			memcpy(t->rsp, rbuf, rlen);
			t->rsp_len = rlen;
			/* libtpms answers TPM_RC_RETRY to the first DA-protected
			 * authorization after Startup (it must record in NV that
			 * DA was used); clients simply resend. */
			if (tgt_rsp_u32(t, 6) != TPM_RC_RETRY)
				break;
		}
		free(rbuf);
	} else {
		uint32_t rc = tpm_host_cmd(t->h, cmd, len);

		memcpy(t->rsp, t->h->rsp, t->h->rsp_len);
		t->rsp_len = t->h->rsp_len;
		if (rc >= 0xfffffffeu)
			return rc;
	}
	return tgt_rsp_u32(t, 6);
}

/* ---- command builder ---- */

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

void tcb_init(struct tcb *b, uint32_t cc)
{
	memset(b, 0, sizeof(*b));
	b->cc = cc;
}

void tcb_handle(struct tcb *b, uint32_t h)
{
	if (b->nh < 3)
		b->handles[b->nh++] = h;
}

void tcb_pw_bytes(struct tcb *b, const uint8_t *pw, size_t len)
{
	struct tcb_sess *s;

	if (b->ns >= 3 || len > sizeof(s->pw))
		return;
	s = &b->sess[b->ns++];
	s->handle = TPM_RS_PW;
	s->attrs = TPMA_SESSION_CONTINUESESSION;
	memcpy(s->pw, pw, len);
	s->pw_len = len;
}

void tcb_pw(struct tcb *b, const char *pw)
{
	tcb_pw_bytes(b, (const uint8_t *)(pw ? pw : ""), pw ? strlen(pw) : 0);
}

void tcb_policy(struct tcb *b, uint32_t handle, const uint8_t *nonce_tpm, uint16_t nonce_len,
		const char *auth)
{
	struct tcb_sess *s;

	if (b->ns >= 3 || nonce_len > sizeof(s->nonce_tpm))
		return;
	s = &b->sess[b->ns++];
	s->handle = handle;
	s->attrs = 0; /* the session ends with the command */
	s->policy_hmac = true;
	memcpy(s->nonce_tpm, nonce_tpm, nonce_len);
	s->nonce_len = nonce_len;
	if (auth) {
		s->key_len = strlen(auth);
		memcpy(s->key, auth, s->key_len);
	}
}

void tcb_bytes(struct tcb *b, const void *p, size_t n)
{
	if (n && b->pn + n <= sizeof(b->p)) {
		memcpy(b->p + b->pn, p, n);
		b->pn += n;
	}
}

void tcb_u8(struct tcb *b, uint8_t v)
{
	tcb_bytes(b, &v, 1);
}

void tcb_u16(struct tcb *b, uint16_t v)
{
	uint8_t x[2];

	put16(x, v);
	tcb_bytes(b, x, 2);
}

void tcb_u32(struct tcb *b, uint32_t v)
{
	uint8_t x[4];

	put32(x, v);
	tcb_bytes(b, x, 4);
}

void tcb_u64(struct tcb *b, uint64_t v)
{
	tcb_u32(b, (uint32_t)(v >> 32));
	tcb_u32(b, (uint32_t)v);
}

void tcb_2b(struct tcb *b, const void *p, uint16_t n)
{
	tcb_u16(b, n);
	tcb_bytes(b, p, n);
}

static void handle_name(struct tgt *t, uint32_t h, uint8_t *name, uint16_t *len)
{
	if ((h >> 24) == TPM_HT_NV_INDEX) {
		struct tgt tmp = *t; /* keep t->rsp of the caller untouched */

		if (tgt_nv_public(&tmp, h, NULL, NULL, name, len) == 0)
			return;
	}
	put32(name, h);
	*len = 4;
}

uint32_t tcb_send(struct tcb *b, struct tgt *t)
{
	uint8_t cmd[TPM_BUFFER_MAX];
	size_t n = 10;
	uint8_t cp[32];
	bool have_cp = false;

	for (unsigned i = 0; i < b->nh; i++, n += 4)
		put32(cmd + n, b->handles[i]);
	for (unsigned i = 0; i < b->ns; i++) {
		if (b->sess[i].policy_hmac && !have_cp) {
			uint8_t names[3][2 + 64], ccb[4];
			uint16_t nlen[3];
			struct tpm_part parts[5];
			size_t np = 0;

			put32(ccb, b->cc);
			parts[np++] = (struct tpm_part){ ccb, 4 };
			for (unsigned k = 0; k < b->nh; k++) {
				handle_name(t, b->handles[k], names[k], &nlen[k]);
				parts[np++] = (struct tpm_part){ names[k], nlen[k] };
			}
			parts[np++] = (struct tpm_part){ b->p, b->pn };
			tpm_hash_parts(TPM_ALG_SHA256, parts, np, cp);
			have_cp = true;
		}
	}
	if (b->ns) {
		size_t at = n;

		n += 4;
		for (unsigned i = 0; i < b->ns; i++) {
			struct tcb_sess *s = &b->sess[i];

			put32(cmd + n, s->handle);
			n += 4;
			if (s->policy_hmac) {
				static const uint8_t nonce_caller[16] = { 1, 2, 3, 4, 5, 6, 7, 8,
									  9, 10, 11, 12, 13, 14, 15, 16 };
				struct tpm_part parts[] = {
					{ cp, 32 },
					{ nonce_caller, 16 },
					{ s->nonce_tpm, s->nonce_len },
					{ &s->attrs, 1 },
				};
				uint8_t mac[32];

				put16(cmd + n, 16);
				memcpy(cmd + n + 2, nonce_caller, 16);
				n += 18;
				cmd[n++] = s->attrs;
				tpm_hmac_parts(TPM_ALG_SHA256, s->key, s->key_len, parts, 4, mac);
				put16(cmd + n, 32);
				memcpy(cmd + n + 2, mac, 32);
				n += 34;
			} else {
				put16(cmd + n, 0);
				n += 2;
				cmd[n++] = s->attrs;
				put16(cmd + n, (uint16_t)s->pw_len);
				memcpy(cmd + n + 2, s->pw, s->pw_len);
				n += 2 + s->pw_len;
			}
		}
		put32(cmd + at, (uint32_t)(n - at - 4));
	}
	if (n + b->pn > sizeof(cmd))
		return 0xffffffffu;
	memcpy(cmd + n, b->p, b->pn);
	n += b->pn;
	put16(cmd, b->ns ? TPM_ST_SESSIONS : TPM_ST_NO_SESSIONS);
	put32(cmd + 2, (uint32_t)n);
	put32(cmd + 6, b->cc);
	return tgt_send(t, cmd, n);
}

/* ---- helpers ---- */

uint32_t tgt_startup(struct tgt *t, uint16_t type)
{
	struct tcb b;

	tcb_init(&b, TPM_CC_Startup);
	tcb_u16(&b, type);
	return tcb_send(&b, t);
}

uint32_t tgt_shutdown(struct tgt *t, uint16_t type)
{
	struct tcb b;

	tcb_init(&b, TPM_CC_Shutdown);
	tcb_u16(&b, type);
	return tcb_send(&b, t);
}

uint32_t tgt_nv_define(struct tgt *t, uint32_t auth_handle, const char *hier_pw, const char *auth,
		       uint32_t index, uint16_t name_alg, uint32_t attrs, const uint8_t *policy,
		       uint16_t policy_len, uint16_t size)
{
	struct tcb b;

	tcb_init(&b, TPM_CC_NV_DefineSpace);
	tcb_handle(&b, auth_handle);
	tcb_pw(&b, hier_pw);
	tcb_2b(&b, auth, auth ? (uint16_t)strlen(auth) : 0);
	tcb_u16(&b, (uint16_t)(4 + 2 + 4 + 2 + policy_len + 2));
	tcb_u32(&b, index);
	tcb_u16(&b, name_alg);
	tcb_u32(&b, attrs);
	tcb_2b(&b, policy, policy_len);
	tcb_u16(&b, size);
	return tcb_send(&b, t);
}

uint32_t tgt_nv_public(struct tgt *t, uint32_t index, uint32_t *attrs, uint16_t *size,
		       uint8_t *name, uint16_t *name_len)
{
	struct tcb b;
	uint32_t rc;
	size_t at;
	uint16_t psize;

	tcb_init(&b, TPM_CC_NV_ReadPublic);
	tcb_handle(&b, index);
	rc = tcb_send(&b, t);
	if (rc)
		return rc;
	/* TPM2B_NV_PUBLIC { index, nameAlg, attributes, authPolicy, dataSize } */
	psize = tgt_rsp_u16(t, 10);
	at = 12 + 4 + 2;
	if (attrs)
		*attrs = tgt_rsp_u32(t, at);
	at += 4;
	at += 2 + tgt_rsp_u16(t, at);
	if (size)
		*size = tgt_rsp_u16(t, at);
	at = 12 + psize;
	if (name && name_len) {
		*name_len = tgt_rsp_u16(t, at);
		if (at + 2 + *name_len > t->rsp_len || *name_len > 66)
			return 0xfffffffdu;
		memcpy(name, t->rsp + at + 2, *name_len);
	}
	return 0;
}

uint32_t tgt_nv_write(struct tgt *t, uint32_t auth_handle, uint32_t index, const char *pw,
		      const void *data, uint16_t len, uint16_t offset)
{
	struct tcb b;

	tcb_init(&b, TPM_CC_NV_Write);
	tcb_handle(&b, auth_handle);
	tcb_handle(&b, index);
	tcb_pw(&b, pw);
	tcb_2b(&b, data, len);
	tcb_u16(&b, offset);
	return tcb_send(&b, t);
}

uint32_t tgt_nv_read(struct tgt *t, uint32_t auth_handle, uint32_t index, const char *pw, void *out,
		     uint16_t len, uint16_t offset)
{
	struct tcb b;
	uint32_t rc;

	tcb_init(&b, TPM_CC_NV_Read);
	tcb_handle(&b, auth_handle);
	tcb_handle(&b, index);
	tcb_pw(&b, pw);
	tcb_u16(&b, len);
	tcb_u16(&b, offset);
	rc = tcb_send(&b, t);
	if (rc)
		return rc;
	/* parameterSize, TPM2B data */
	if (tgt_rsp_u16(t, 14) != len || 16u + len > t->rsp_len)
		return 0xfffffffdu;
	if (out)
		memcpy(out, t->rsp + 16, len);
	return 0;
}

uint32_t tgt_policy_session(struct tgt *t, uint32_t *handle, uint8_t *nonce_tpm, uint16_t *nonce_len)
{
	static const uint8_t nonce[16] = { 0xa5 };
	struct tcb b;
	uint32_t rc;

	tcb_init(&b, TPM_CC_StartAuthSession);
	tcb_handle(&b, TPM_RH_NULL);
	tcb_handle(&b, TPM_RH_NULL);
	tcb_2b(&b, nonce, sizeof(nonce));
	tcb_2b(&b, NULL, 0);
	tcb_u8(&b, TPM_SE_POLICY);
	tcb_u16(&b, TPM_ALG_NULL);
	tcb_u16(&b, TPM_ALG_SHA256);
	rc = tcb_send(&b, t);
	if (rc)
		return rc;
	*handle = tgt_rsp_u32(t, 10);
	*nonce_len = tgt_rsp_u16(t, 14);
	if (*nonce_len > 64 || 16u + *nonce_len > t->rsp_len)
		return 0xfffffffdu;
	memcpy(nonce_tpm, t->rsp + 16, *nonce_len);
	return 0;
}

uint32_t tgt_property(struct tgt *t, uint32_t prop)
{
	struct tcb b;

	tcb_init(&b, TPM_CC_GetCapability);
	tcb_u32(&b, TPM_CAP_TPM_PROPERTIES);
	tcb_u32(&b, prop);
	tcb_u32(&b, 1);
	if (tcb_send(&b, t))
		return 0xffffffffu;
	/* moreData, capability, count, { property, value } */
	if (tgt_rsp_u32(t, 15) != 1 || tgt_rsp_u32(t, 19) != prop)
		return 0xffffffffu;
	return tgt_rsp_u32(t, 23);
}
