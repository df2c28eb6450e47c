/* libtpms as an in-process reference TPM; see libtpms_ref.h.  Only
 * libtpms's headers here: husk's TPM names collide with them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libtpms/tpm_error.h>
#include <libtpms/tpm_library.h>
#include <libtpms/tpm_nvfilename.h>

#include "libtpms_ref.h"

#define NFILES 4     /* permanent, volatile and saved state, and a spare */
#define CMD_MAX 4096 /* husk's TPM_BUFFER_MAX */

/* TPM 2.0 response codes that ask the caller to send the command again. */
#define RC_YIELDED 0x908u
#define RC_TESTING 0x90au
#define RC_RETRY 0x922u

struct file {
	char name[32];
	unsigned char *data;
	uint32_t len;
};

static struct {
	struct file files[NFILES];
	bool running;
	uint8_t locality;
	bool physical_presence;
	unsigned char *rbuf;         /* libtpms's response buffer, reused */
	uint32_t rbuf_size;
	unsigned char cbuf[CMD_MAX]; /* TPMLIB_Process wants a writable command */
} ref;

static struct file *file_find(const char *name)
{
	for (int i = 0; i < NFILES; i++)
		if (ref.files[i].data && strcmp(ref.files[i].name, name) == 0)
			return &ref.files[i];
	return NULL;
}

static void files_drop(void)
{
	for (int i = 0; i < NFILES; i++) {
		free(ref.files[i].data);
		memset(&ref.files[i], 0, sizeof(ref.files[i]));
	}
}

static int file_set(const char *name, const unsigned char *data, uint32_t len)
{
	struct file *f = file_find(name);
	unsigned char *copy;

	if (strlen(name) >= sizeof(ref.files[0].name))
		return -1;
	for (int i = 0; i < NFILES && !f; i++)
		if (!ref.files[i].data)
			f = &ref.files[i];
	if (!f)
		return -1;
	copy = malloc(len ? len : 1);
	if (!copy)
		return -1;
	memcpy(copy, data, len);
	free(f->data);
	f->data = copy;
	f->len = len;
	snprintf(f->name, sizeof(f->name), "%s", name);
	return 0;
}

/* ---- libtpms's callbacks ---- */

static TPM_RESULT cb_nv_init(void)
{
	return TPM_SUCCESS;
}

static TPM_RESULT cb_nv_load(unsigned char **data, uint32_t *length, uint32_t tpm_number, const char *name)
{
	struct file *f = file_find(name);

	(void)tpm_number;
	*data = NULL;
	*length = 0;
	if (!f)
		return TPM_RETRY; /* no such file: for permall, libtpms manufactures */
	*data = malloc(f->len ? f->len : 1); /* libtpms frees it */
	if (!*data)
		return TPM_FAIL;
	memcpy(*data, f->data, f->len);
	*length = f->len;
	return TPM_SUCCESS;
}

static TPM_RESULT cb_nv_store(const unsigned char *data, uint32_t length, uint32_t tpm_number,
			      const char *name)
{
	(void)tpm_number;
	return file_set(name, data, length) ? TPM_FAIL : TPM_SUCCESS;
}

static TPM_RESULT cb_nv_delete(uint32_t tpm_number, const char *name, TPM_BOOL must_exist)
{
	struct file *f = file_find(name);

	(void)tpm_number;
	if (!f)
		return must_exist ? TPM_FAIL : TPM_SUCCESS;
	free(f->data);
	memset(f, 0, sizeof(*f));
	return TPM_SUCCESS;
}

static TPM_RESULT cb_io_init(void)
{
	return TPM_SUCCESS;
}

static TPM_RESULT cb_locality(TPM_MODIFIER_INDICATOR *locality, uint32_t tpm_number)
{
	(void)tpm_number;
	*locality = ref.locality;
	return TPM_SUCCESS;
}

static TPM_RESULT cb_physical_presence(TPM_BOOL *pp, uint32_t tpm_number)
{
	(void)tpm_number;
	*pp = ref.physical_presence;
	return TPM_SUCCESS;
}

static struct libtpms_callbacks callbacks = {
	.sizeOfStruct = sizeof(struct libtpms_callbacks),
	.tpm_nvram_init = cb_nv_init,
	.tpm_nvram_loaddata = cb_nv_load,
	.tpm_nvram_storedata = cb_nv_store,
	.tpm_nvram_deletename = cb_nv_delete,
	.tpm_io_init = cb_io_init,
	.tpm_io_getlocality = cb_locality,
	.tpm_io_getphysicalpresence = cb_physical_presence,
};

/* ---- life cycle ---- */

int ref_open(void)
{
	if (TPMLIB_RegisterCallbacks(&callbacks) != TPM_SUCCESS ||
	    TPMLIB_ChooseTPMVersion(TPMLIB_TPM_VERSION_2) != TPM_SUCCESS)
		return -1;
	return 0;
}

void ref_close(void)
{
	ref_power_off();
	files_drop();
	free(ref.rbuf);
	memset(&ref, 0, sizeof(ref));
}

int ref_power_on(void)
{
	if (ref.running)
		return 0;
	if (TPMLIB_MainInit() != TPM_SUCCESS)
		return -1;
	ref.running = true;
	return 0;
}

void ref_power_off(void)
{
	if (ref.running)
		TPMLIB_Terminate();
	ref.running = false;
}

bool ref_powered(void)
{
	return ref.running;
}

int ref_power_cycle(void)
{
	ref_power_off();
	return ref_power_on();
}

int ref_manufacture(void)
{
	ref_power_off();
	files_drop();
	return ref_power_on();
}

/* ---- commands ---- */

int ref_process(const uint8_t *cmd, size_t len, uint8_t *rsp, size_t cap, size_t *rsp_len)
{
	uint32_t rlen = 0;

	if (!ref.running || len > sizeof(ref.cbuf))
		return -1;
	memcpy(ref.cbuf, cmd, len);
	if (TPMLIB_Process(&ref.rbuf, &rlen, &ref.rbuf_size, ref.cbuf, (uint32_t)len) != TPM_SUCCESS ||
	    !ref.rbuf || rlen > cap)
		return -1;
	memcpy(rsp, ref.rbuf, rlen);
	*rsp_len = rlen;
	return 0;
}

uint32_t ref_send(const uint8_t *cmd, size_t len, uint8_t *rsp, size_t cap, size_t *rsp_len)
{
	uint32_t rc = REF_NO_RESPONSE;

	for (int attempt = 0; attempt < 4; attempt++) {
		if (ref_process(cmd, len, rsp, cap, rsp_len) || *rsp_len < 10) {
			*rsp_len = 0;
			return REF_NO_RESPONSE;
		}
		rc = (uint32_t)rsp[6] << 24 | (uint32_t)rsp[7] << 16 | (uint32_t)rsp[8] << 8 | rsp[9];
		if (rc != RC_RETRY && rc != RC_YIELDED && rc != RC_TESTING)
			break;
	}
	return rc;
}

/* ---- NV state ---- */

int ref_nv_get(uint8_t **blob, size_t *len)
{
	struct file *f = file_find(TPM_PERMANENT_ALL_NAME);

	if (!f)
		return -1;
	*blob = malloc(f->len ? f->len : 1);
	if (!*blob)
		return -1;
	memcpy(*blob, f->data, f->len);
	*len = f->len;
	return 0;
}

int ref_nv_set(const uint8_t *blob, size_t len)
{
	if (ref.running || len > UINT32_MAX)
		return -1;
	files_drop();
	return blob ? file_set(TPM_PERMANENT_ALL_NAME, blob, (uint32_t)len) : 0;
}

void ref_set_locality(uint8_t locality)
{
	ref.locality = locality;
}

void ref_set_physical_presence(bool on)
{
	ref.physical_presence = on;
}

const char *ref_version(void)
{
	static char v[16];
	uint32_t n = TPMLIB_GetVersion();

	snprintf(v, sizeof(v), "%u.%u.%u", (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);
	return v;
}
