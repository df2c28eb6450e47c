/* libtpms as an in-process reference TPM; see ref_libtpms.h.
 *
 * NV "files" live in memory, so a run is hermetic: no TPM_PATH, nothing
 * left behind.  A missing "permall" makes libtpms manufacture a fresh TPM
 * in TPMLIB_MainInit. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libtpms/tpm_error.h>
#include <libtpms/tpm_library.h>
#include <libtpms/tpm_nvfilename.h>

#include "ref_libtpms.h"

#define NFILES 4
#define CMD_MAX 4096

struct file {
	char name[32];
	unsigned char *data;
	uint32_t len;
};

static struct {
	struct file files[NFILES];
	unsigned char *snap;     /* permall of ref_snapshot */
	uint32_t snap_len;
	bool running;
	unsigned char *rbuf;     /* libtpms's response buffer, reused */
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

static void file_drop(struct file *f)
{
	free(f->data);
	memset(f, 0, sizeof(*f));
}

static int file_set(const char *name, const unsigned char *data, uint32_t len)
{
	struct file *f = file_find(name);
	unsigned char *copy;

	if (strlen(name) >= sizeof(f->name))
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

static TPM_RESULT cb_nv_init(void)
{
	return TPM_SUCCESS;
}

static TPM_RESULT cb_nv_load(unsigned char **data, uint32_t *length, uint32_t tpm_number,
			     const char *name)
{
	struct file *f = file_find(name);

	(void)tpm_number;
	*data = NULL;
	*length = 0;
	if (!f)
		return TPM_RETRY; /* no such file */
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
	file_drop(f);
	return TPM_SUCCESS;
}

static TPM_RESULT cb_io_init(void)
{
	return TPM_SUCCESS;
}

static TPM_RESULT cb_locality(TPM_MODIFIER_INDICATOR *locality, uint32_t tpm_number)
{
	(void)tpm_number;
	*locality = 0;
	return TPM_SUCCESS;
}

static TPM_RESULT cb_pp(TPM_BOOL *pp, uint32_t tpm_number)
{
	(void)tpm_number;
	*pp = 0;
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
	.tpm_io_getphysicalpresence = cb_pp,
};

int ref_open(void)
{
	if (TPMLIB_RegisterCallbacks(&callbacks) != TPM_SUCCESS ||
	    TPMLIB_ChooseTPMVersion(TPMLIB_TPM_VERSION_2) != TPM_SUCCESS)
		return -1;
	return 0;
}

static void power_off(void)
{
	if (ref.running)
		TPMLIB_Terminate();
	ref.running = false;
}

static int power_on(void)
{
	if (TPMLIB_MainInit() != TPM_SUCCESS)
		return -1;
	ref.running = true;
	return 0;
}

void ref_close(void)
{
	power_off();
	for (int i = 0; i < NFILES; i++)
		file_drop(&ref.files[i]);
	free(ref.snap);
	free(ref.rbuf);
	memset(&ref, 0, sizeof(ref));
}

int ref_manufacture(void)
{
	power_off();
	for (int i = 0; i < NFILES; i++)
		file_drop(&ref.files[i]);
	return power_on();
}

int ref_snapshot(void)
{
	struct file *f = file_find(TPM_PERMANENT_ALL_NAME);
	unsigned char *copy;

	if (!f)
		return -1;
	copy = malloc(f->len);
	if (!copy)
		return -1;
	memcpy(copy, f->data, f->len);
	free(ref.snap);
	ref.snap = copy;
	ref.snap_len = f->len;
	return 0;
}

int ref_restore(void)
{
	if (!ref.snap)
		return -1;
	power_off();
	for (int i = 0; i < NFILES; i++)
		file_drop(&ref.files[i]);
	if (file_set(TPM_PERMANENT_ALL_NAME, ref.snap, ref.snap_len))
		return -1;
	return power_on();
}

int ref_power_cycle(void)
{
	power_off();
	return power_on();
}

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

size_t ref_nv_size(void)
{
	struct file *f = file_find(TPM_PERMANENT_ALL_NAME);

	return f ? f->len : 0;
}

const char *ref_version(void)
{
	static char v[16];
	uint32_t n = TPMLIB_GetVersion();

	snprintf(v, sizeof(v), "%u.%u.%u", (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);
	return v;
}
