/* husk-tpm-sim backend over Debian's libtpms (the TPMLIB_* API), the
 * reference engine for differential tests and for testing the server
 * before husk's own engine exists.
 *
 * libtpms keeps its NV state through callbacks without a context pointer
 * and is one TPM per process, so this backend is a singleton.  The NV
 * callbacks keep every blob libtpms stores ("permall" is the NV state) in
 * memory; the server persists "permall" through save_state/load_state.
 * A missing "permall" makes libtpms manufacture a fresh TPM at power-on. */
#include <stdlib.h>
#include <string.h>

#include <libtpms/tpm_error.h>
#include <libtpms/tpm_library.h>
#include <libtpms/tpm_nvfilename.h>
#include <libtpms/tpm_tis.h>

#include "husk/err.h"

#include "backend.h"
#include "wire.h"

/* Names libtpms stores: permanent, volatile and save state. */
#define LT_NBLOBS 3

struct lt_blob {
	char name[32];
	unsigned char *data;
	uint32_t len;
	bool used;
};

struct lt {
	struct lt_blob blobs[LT_NBLOBS];
	uint8_t locality;
	bool physical_presence;
	bool running;
	unsigned char *rbuf;  /* libtpms's response buffer, reused */
	uint32_t rbuf_size;
	unsigned char cbuf[SIM_CMD_MAX]; /* TPMLIB_Process wants a writable command */
};

static struct lt *lt_only;

static struct lt_blob *lt_blob_find(const char *name)
{
	for (size_t i = 0; i < LT_NBLOBS; i++) {
		if (lt_only->blobs[i].used && strcmp(lt_only->blobs[i].name, name) == 0)
			return &lt_only->blobs[i];
	}
	return NULL;
}

static void lt_blob_drop(struct lt_blob *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

static int lt_blob_set(const char *name, const unsigned char *data, uint32_t len)
{
	struct lt_blob *b = lt_blob_find(name);
	unsigned char *copy;

	if (strlen(name) >= sizeof(b->name))
		return HUSK_ERR_INVAL;
	if (!b) {
		for (size_t i = 0; i < LT_NBLOBS && !b; i++) {
			if (!lt_only->blobs[i].used)
				b = &lt_only->blobs[i];
		}
		if (!b)
			return HUSK_ERR_NOMEM;
	}
	copy = malloc(len ? len : 1);
	if (!copy)
		return HUSK_ERR_NOMEM;
	memcpy(copy, data, len);
	free(b->data);
	b->data = copy;
	b->len = len;
	b->used = true;
	strcpy(b->name, name);
	return 0;
}

/* ---- libtpms callbacks ---- */

static TPM_RESULT lt_nvram_init(void)
{
	return TPM_SUCCESS;
}

static TPM_RESULT lt_nvram_loaddata(unsigned char **data, uint32_t *length, uint32_t tpm_number,
				    const char *name)
{
	struct lt_blob *b = lt_blob_find(name);

	*data = NULL;
	*length = 0;
	if (!b)
		return TPM_RETRY; /* "no such blob": libtpms manufactures for permall */
	/* libtpms frees what it loads with free(). */
	*data = malloc(b->len ? b->len : 1);
	if (!*data)
		return TPM_FAIL;
	memcpy(*data, b->data, b->len);
	*length = b->len;
	return TPM_SUCCESS;
}

static TPM_RESULT lt_nvram_storedata(const unsigned char *data, uint32_t length,
				     uint32_t tpm_number, const char *name)
{
	return lt_blob_set(name, data, length) == 0 ? TPM_SUCCESS : TPM_FAIL;
}

static TPM_RESULT lt_nvram_deletename(uint32_t tpm_number, const char *name, TPM_BOOL must_exist)
{
	struct lt_blob *b = lt_blob_find(name);

	if (!b)
		return must_exist ? TPM_FAIL : TPM_SUCCESS;
	lt_blob_drop(b);
	return TPM_SUCCESS;
}

static TPM_RESULT lt_io_init(void)
{
	return TPM_SUCCESS;
}

static TPM_RESULT lt_io_getlocality(TPM_MODIFIER_INDICATOR *locality, uint32_t tpm_number)
{
	*locality = lt_only->locality;
	return TPM_SUCCESS;
}

static TPM_RESULT lt_io_getphysicalpresence(TPM_BOOL *pp, uint32_t tpm_number)
{
	*pp = lt_only->physical_presence;
	return TPM_SUCCESS;
}

static struct libtpms_callbacks lt_callbacks = {
	.sizeOfStruct = sizeof(struct libtpms_callbacks),
	.tpm_nvram_init = lt_nvram_init,
	.tpm_nvram_loaddata = lt_nvram_loaddata,
	.tpm_nvram_storedata = lt_nvram_storedata,
	.tpm_nvram_deletename = lt_nvram_deletename,
	.tpm_io_init = lt_io_init,
	.tpm_io_getlocality = lt_io_getlocality,
	.tpm_io_getphysicalpresence = lt_io_getphysicalpresence,
};

/* ---- backend ---- */

static int lt_init(void **ctx)
{
	struct lt *lt;

	if (lt_only)
		return HUSK_ERR_BUSY;
	lt = calloc(1, sizeof(*lt));
	if (!lt)
		return HUSK_ERR_NOMEM;
	lt_only = lt;
	if (TPMLIB_RegisterCallbacks(&lt_callbacks) != TPM_SUCCESS ||
	    TPMLIB_ChooseTPMVersion(TPMLIB_TPM_VERSION_2) != TPM_SUCCESS) {
		lt_only = NULL;
		free(lt);
		return HUSK_ERR_UNSUPPORTED;
	}
	*ctx = lt;
	return 0;
}

static void lt_destroy(void *ctx)
{
	struct lt *lt = ctx;

	if (!lt)
		return;
	if (lt->running)
		TPMLIB_Terminate();
	for (size_t i = 0; i < LT_NBLOBS; i++)
		lt_blob_drop(&lt->blobs[i]);
	free(lt->rbuf);
	free(lt);
	lt_only = NULL;
}

static int lt_manufacture(void *ctx)
{
	struct lt *lt = ctx;

	if (lt->running)
		return HUSK_ERR_BUSY;
	for (size_t i = 0; i < LT_NBLOBS; i++)
		lt_blob_drop(&lt->blobs[i]);
	return 0;
}

static int lt_power_on(void *ctx)
{
	struct lt *lt = ctx;

	if (lt->running)
		return 0;
	if (TPMLIB_MainInit() != TPM_SUCCESS)
		return HUSK_ERR_FORMAT; /* most likely a permall blob libtpms refused */
	lt->running = true;
	return 0;
}

static int lt_power_off(void *ctx)
{
	struct lt *lt = ctx;

	if (lt->running)
		TPMLIB_Terminate();
	lt->running = false;
	return 0;
}

static int lt_process(void *ctx, const uint8_t *cmd, size_t cmd_len, uint8_t locality,
		      uint8_t *rsp, size_t rsp_cap, size_t *rsp_len)
{
	struct lt *lt = ctx;
	uint32_t rlen = 0;

	if (!lt->running || cmd_len > sizeof(lt->cbuf) || locality > 4)
		return HUSK_ERR_INVAL;
	memcpy(lt->cbuf, cmd, cmd_len);
	lt->locality = locality;
	if (TPMLIB_Process(&lt->rbuf, &rlen, &lt->rbuf_size, lt->cbuf, (uint32_t)cmd_len) !=
	    TPM_SUCCESS)
		return HUSK_ERR_IO;
	if (rlen < SIM_TPM_HEADER_SIZE || rlen > rsp_cap || !lt->rbuf)
		return HUSK_ERR_RANGE;
	memcpy(rsp, lt->rbuf, rlen);
	*rsp_len = rlen;
	return 0;
}

static int lt_save_state(void *ctx, uint8_t **blob, size_t *len)
{
	struct lt_blob *b = lt_blob_find(TPM_PERMANENT_ALL_NAME);
	uint8_t *copy;

	(void)ctx;
	if (!b)
		return HUSK_ERR_NOTFOUND;
	copy = malloc(b->len ? b->len : 1);
	if (!copy)
		return HUSK_ERR_NOMEM;
	memcpy(copy, b->data, b->len);
	*blob = copy;
	*len = b->len;
	return 0;
}

static int lt_load_state(void *ctx, const uint8_t *blob, size_t len)
{
	struct lt *lt = ctx;

	if (lt->running)
		return HUSK_ERR_BUSY;
	if (len == 0 || len > UINT32_MAX)
		return HUSK_ERR_FORMAT;
	/* Volatile and save state belong to the NV state they came with. */
	for (size_t i = 0; i < LT_NBLOBS; i++)
		lt_blob_drop(&lt->blobs[i]);
	return lt_blob_set(TPM_PERMANENT_ALL_NAME, blob, (uint32_t)len);
}

static int lt_established_get(void *ctx, bool *bit)
{
	TPM_BOOL b = 0;

	(void)ctx;
	if (TPM_IO_TpmEstablished_Get(&b) != TPM_SUCCESS)
		return HUSK_ERR_IO;
	*bit = b != 0;
	return 0;
}

static int lt_established_reset(void *ctx, uint8_t locality)
{
	struct lt *lt = ctx;
	uint8_t saved = lt->locality;
	TPM_RESULT res;

	/* libtpms reads the locality through lt_io_getlocality. */
	lt->locality = locality;
	res = TPM_IO_TpmEstablished_Reset();
	lt->locality = saved;
	return res == TPM_SUCCESS ? 0 : HUSK_ERR_INVAL;
}

static int lt_buffer_size(void *ctx, uint32_t wanted, uint32_t *used, uint32_t *min, uint32_t *max)
{
	(void)ctx;
	/* The servers never take a command above SIM_CMD_MAX. */
	if (wanted > SIM_CMD_MAX)
		wanted = SIM_CMD_MAX;
	*used = TPMLIB_SetBufferSize(wanted, min, max);
	if (*max > SIM_CMD_MAX)
		*max = SIM_CMD_MAX;
	if (*min > *max)
		*min = *max;
	if (*used > *max)
		*used = *max;
	return 0;
}

static int lt_info(void *ctx, uint64_t flags, char **json)
{
	(void)ctx;
	*json = TPMLIB_GetInfo((enum TPMLIB_InfoFlags)flags);
	return *json ? 0 : HUSK_ERR_NOMEM;
}

static void lt_set_physical_presence(void *ctx, bool on)
{
	struct lt *lt = ctx;

	lt->physical_presence = on;
}

const struct sim_backend sim_backend_libtpms = {
	.name = "libtpms",
	.init = lt_init,
	.destroy = lt_destroy,
	.manufacture = lt_manufacture,
	.power_on = lt_power_on,
	.power_off = lt_power_off,
	.process = lt_process,
	.save_state = lt_save_state,
	.load_state = lt_load_state,
	.established_get = lt_established_get,
	.established_reset = lt_established_reset,
	.buffer_size = lt_buffer_size,
	.info = lt_info,
	.set_physical_presence = lt_set_physical_presence,
};
