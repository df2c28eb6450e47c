/* libtpms as an in-process reference TPM; see tpm_libtpms.h.  Compiled apart
 * from husk's TPM headers because libtpms's type names collide with them. */
#include <stdlib.h>
#include <string.h>

#include <libtpms/tpm_error.h>
#include <libtpms/tpm_library.h>

#include "tpm_libtpms.h"

/* NV "files" kept in memory, so every run starts from a fresh manufacture
 * and leaves nothing behind. */
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

static TPM_RESULT ref_nv_load(unsigned char **data, uint32_t *length, uint32_t tpm_number, const char *name)
{
	(void)tpm_number;
	for (int i = 0; i < REF_FILES; i++) {
		if (ref_files[i].data && strcmp(ref_files[i].name, name) == 0) {
			/* libtpms frees the buffer it gets */
			*data = malloc(ref_files[i].len);
			if (!*data)
				return TPM_FAIL;
			memcpy(*data, ref_files[i].data, ref_files[i].len);
			*length = ref_files[i].len;
			return TPM_SUCCESS;
		}
	}
	return TPM_RETRY; /* no state yet: libtpms manufactures */
}

static TPM_RESULT ref_nv_store(const unsigned char *data, uint32_t length, uint32_t tpm_number,
			       const char *name)
{
	int free_slot = -1;

	(void)tpm_number;
	for (int i = 0; i < REF_FILES; i++) {
		if (ref_files[i].data && strcmp(ref_files[i].name, name) == 0) {
			free(ref_files[i].data);
			ref_files[i].data = NULL;
			free_slot = i;
			break;
		}
		if (!ref_files[i].data && free_slot < 0)
			free_slot = i;
	}
	if (free_slot < 0 || strlen(name) >= sizeof(ref_files[0].name))
		return TPM_FAIL;
	ref_files[free_slot].data = malloc(length ? length : 1);
	if (!ref_files[free_slot].data)
		return TPM_FAIL;
	memcpy(ref_files[free_slot].data, data, length);
	ref_files[free_slot].len = length;
	strcpy(ref_files[free_slot].name, name);
	return TPM_SUCCESS;
}

static TPM_RESULT ref_nv_delete(uint32_t tpm_number, const char *name, TPM_BOOL must_exist)
{
	(void)tpm_number;
	for (int i = 0; i < REF_FILES; i++) {
		if (ref_files[i].data && strcmp(ref_files[i].name, name) == 0) {
			free(ref_files[i].data);
			ref_files[i].data = NULL;
			return TPM_SUCCESS;
		}
	}
	return must_exist ? TPM_FAIL : TPM_SUCCESS;
}

static TPM_RESULT ref_io_init(void)
{
	return TPM_SUCCESS;
}

static TPM_RESULT ref_locality(TPM_MODIFIER_INDICATOR *loc, uint32_t tpm_number)
{
	(void)tpm_number;
	*loc = 0;
	return TPM_SUCCESS;
}

static TPM_RESULT ref_pp(TPM_BOOL *pp, uint32_t tpm_number)
{
	(void)tpm_number;
	*pp = 0;
	return TPM_SUCCESS;
}

static void ref_files_free(void)
{
	for (int i = 0; i < REF_FILES; i++) {
		free(ref_files[i].data);
		ref_files[i].data = NULL;
	}
}

int tpm_ref_init(void)
{
	static struct libtpms_callbacks cbs = {
		.sizeOfStruct = sizeof(struct libtpms_callbacks),
		.tpm_nvram_init = ref_nv_init,
		.tpm_nvram_loaddata = ref_nv_load,
		.tpm_nvram_storedata = ref_nv_store,
		.tpm_nvram_deletename = ref_nv_delete,
		.tpm_io_init = ref_io_init,
		.tpm_io_getlocality = ref_locality,
		.tpm_io_getphysicalpresence = ref_pp,
	};
	static const uint8_t startup[] = { 0x80, 0x01, 0, 0, 0, 12, 0, 0, 0x01, 0x44, 0, 0 };
	struct tpm_ref r;

	ref_files_free();
	if (TPMLIB_RegisterCallbacks(&cbs) != TPM_SUCCESS ||
	    TPMLIB_ChooseTPMVersion(TPMLIB_TPM_VERSION_2) != TPM_SUCCESS || TPMLIB_MainInit() != TPM_SUCCESS)
		return -1;
	return tpm_ref_cmd(&r, startup, sizeof(startup)) == 0 ? 0 : -1;
}

void tpm_ref_fini(void)
{
	TPMLIB_Terminate();
	ref_files_free();
}

static uint32_t ref_cmd_once(struct tpm_ref *r, const uint8_t *cmd, size_t len)
{
	unsigned char *rbuf = NULL, copy[4096];
	uint32_t rlen = 0, rtotal = 0;

	if (len > sizeof(copy))
		return 0xffffffffu;
	memcpy(copy, cmd, len);
	if (TPMLIB_Process(&rbuf, &rlen, &rtotal, copy, (uint32_t)len) != TPM_SUCCESS || rlen < 10 ||
	    rlen > sizeof(r->rsp)) {
		free(rbuf);
		return 0xffffffffu;
	}
	memcpy(r->rsp, rbuf, rlen);
	r->rsp_len = rlen;
	free(rbuf);
	return ((uint32_t)r->rsp[6] << 24) | ((uint32_t)r->rsp[7] << 16) | ((uint32_t)r->rsp[8] << 8) | r->rsp[9];
}

uint32_t tpm_ref_cmd(struct tpm_ref *r, const uint8_t *cmd, size_t len)
{
	uint32_t rc = 0;

	/* libtpms self-tests an algorithm on its first use and answers
	 * TPM_RC_TESTING or TPM_RC_RETRY; a client simply resends. */
	for (int i = 0; i < 4; i++) {
		rc = ref_cmd_once(r, cmd, len);
		if (rc != 0x90a && rc != 0x922)
			break;
	}
	return rc;
}

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

size_t tpm_ref_build(uint8_t *cmd, size_t cap, uint32_t cc, const uint32_t *handles, unsigned nhandles,
		     bool pw_session, const char *password, const uint8_t *params, size_t plen)
{
	size_t pwlen = password ? strlen(password) : 0;
	size_t need = 10 + 4 * (size_t)nhandles + (pw_session ? 13 + pwlen : 0) + plen;
	size_t n = 10;

	if (need > cap || pwlen > 0xffff)
		return 0;
	for (unsigned i = 0; i < nhandles; i++, n += 4)
		put32(cmd + n, handles[i]);
	if (pw_session) {
		put32(cmd + n, (uint32_t)(9 + pwlen));
		put32(cmd + n + 4, 0x40000009u); /* TPM_RS_PW */
		put16(cmd + n + 8, 0);
		cmd[n + 10] = 0x01; /* continueSession */
		put16(cmd + n + 11, (uint16_t)pwlen);
		n += 13;
		memcpy(cmd + n, password, pwlen);
		n += pwlen;
	}
	if (plen)
		memcpy(cmd + n, params, plen);
	n += plen;
	put16(cmd, pw_session ? 0x8002 : 0x8001);
	put32(cmd + 2, (uint32_t)n);
	put32(cmd + 6, cc);
	return n;
}

uint32_t tpm_ref_call(struct tpm_ref *r, uint32_t cc, const uint32_t *handles, unsigned nhandles,
		      bool pw_session, const char *password, const uint8_t *params, size_t plen)
{
	uint8_t cmd[4096];
	size_t n = tpm_ref_build(cmd, sizeof(cmd), cc, handles, nhandles, pw_session, password, params, plen);

	return n ? tpm_ref_cmd(r, cmd, n) : 0xffffffffu;
}
