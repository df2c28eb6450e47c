/* husk-tpm-sim backend over Debian's libtpms, the reference engine for
 * differential tests and for testing the server apart from husk's engine.
 *
 * The engine is tests/common/libtpms_ref (libtpms in process, its NV state
 * in memory), one TPM per process, so this backend is a singleton; the
 * server persists the NV state ("permall") through save_state/load_state.
 * A TPM without NV state is manufactured at power-on.  The swtpm control
 * channel's services go to libtpms directly. */
#include <libtpms/tpm_error.h>
#include <libtpms/tpm_library.h>
#include <libtpms/tpm_tis.h>

#include "husk/err.h"

#include "../../tests/common/libtpms_ref.h"
#include "backend.h"
#include "wire.h"

static bool lt_open; /* the context is &lt_open */

static int lt_init(void **ctx)
{
	if (lt_open)
		return HUSK_ERR_BUSY;
	if (ref_open())
		return HUSK_ERR_UNSUPPORTED;
	lt_open = true;
	*ctx = &lt_open;
	return 0;
}

static void lt_destroy(void *ctx)
{
	if (!ctx)
		return;
	ref_close();
	lt_open = false;
}

static int lt_manufacture(void *ctx)
{
	(void)ctx;
	/* No NV state: the next power-on manufactures. */
	return ref_nv_set(NULL, 0) ? HUSK_ERR_BUSY : 0;
}

static int lt_power_on(void *ctx)
{
	(void)ctx;
	return ref_power_on() ? HUSK_ERR_FORMAT : 0; /* most likely a permall blob libtpms refused */
}

static int lt_power_off(void *ctx)
{
	(void)ctx;
	ref_power_off();
	return 0;
}

static int lt_process(void *ctx, const uint8_t *cmd, size_t cmd_len, uint8_t locality,
		      uint8_t *rsp, size_t rsp_cap, size_t *rsp_len)
{
	(void)ctx;
	if (!ref_powered() || cmd_len > SIM_CMD_MAX || locality > 4)
		return HUSK_ERR_INVAL;
	ref_set_locality(locality);
	if (ref_process(cmd, cmd_len, rsp, rsp_cap, rsp_len))
		return HUSK_ERR_IO;
	return *rsp_len < SIM_TPM_HEADER_SIZE ? HUSK_ERR_RANGE : 0;
}

static int lt_save_state(void *ctx, uint8_t **blob, size_t *len)
{
	(void)ctx;
	return ref_nv_get(blob, len) ? HUSK_ERR_NOTFOUND : 0;
}

static int lt_load_state(void *ctx, const uint8_t *blob, size_t len)
{
	(void)ctx;
	if (ref_powered())
		return HUSK_ERR_BUSY;
	if (len == 0 || len > UINT32_MAX)
		return HUSK_ERR_FORMAT;
	/* Volatile and save state belong to the NV state they came with. */
	return ref_nv_set(blob, len) ? HUSK_ERR_NOMEM : 0;
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
	TPM_RESULT res;

	(void)ctx;
	/* libtpms asks for the locality through libtpms_ref's callback. */
	ref_set_locality(locality);
	res = TPM_IO_TpmEstablished_Reset();
	ref_set_locality(0);
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
	(void)ctx;
	ref_set_physical_presence(on);
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
