/* The simulated TPM device: power, NV state file and command execution
 * (see sim.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "husk/err.h"
#include "tpm/tpm_names.h"

#include "sim.h"
#include "statefile.h"
#include "wire.h"

void sim_log(const char *fmt, ...)
{
	va_list ap;

	fputs("husk-tpm-sim: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int sim_init(struct sim *s, const struct sim_backend *be, const char *state_path,
	     bool manufacture, bool log_commands)
{
	uint8_t *blob = NULL;
	size_t len = 0;
	int rc;

	memset(s, 0, sizeof(*s));
	s->be = be;
	s->state_path = state_path;
	s->log_commands = log_commands;
	s->nv_on = true;

	if (be->remote && (state_path || manufacture)) {
		sim_log("the %s backend keeps its state elsewhere: no --state or --manufacture",
			be->name);
		return HUSK_ERR_INVAL;
	}
	rc = be->init(&s->be_ctx);
	if (rc != 0) {
		sim_log("cannot create the %s engine: %s", be->name, husk_strerror(rc));
		return rc;
	}
	if (be->remote)
		return 0;
	if (state_path && !manufacture) {
		rc = statefile_read(state_path, be->name, &blob, &len);
		if (rc == 0) {
			rc = be->load_state(s->be_ctx, blob, len);
			free(blob);
			if (rc != 0) {
				sim_log("%s: the %s engine refused the state: %s", state_path,
					be->name, husk_strerror(rc));
				goto fail;
			}
			s->reload_on_power_on = true;
			sim_log("NV state loaded from %s (%zu bytes)", state_path, len);
			return 0;
		}
		if (rc != HUSK_ERR_NOTFOUND)
			goto fail;
	}
	rc = be->manufacture(s->be_ctx);
	if (rc != 0) {
		sim_log("cannot manufacture the %s engine: %s", be->name, husk_strerror(rc));
		goto fail;
	}
	sim_log("fresh TPM (%s engine)%s", be->name,
		state_path ? ", state file written at first power-off"
			   : ", NV state in memory only");
	return 0;

fail:
	be->destroy(s->be_ctx);
	s->be_ctx = NULL;
	return rc;
}

void sim_fini(struct sim *s)
{
	if (!s->be_ctx)
		return;
	if (!s->be->remote)
		(void)sim_power_off(s);
	s->be->destroy(s->be_ctx);
	s->be_ctx = NULL;
}

int sim_save(struct sim *s)
{
	uint8_t *blob = NULL;
	size_t len = 0;
	int rc;

	if (!s->state_path)
		return 0;
	rc = s->be->save_state(s->be_ctx, &blob, &len);
	if (rc == HUSK_ERR_NOTFOUND)
		return 0; /* never powered on since manufacture: nothing to keep */
	if (rc != 0) {
		sim_log("cannot get the NV state from the engine: %s", husk_strerror(rc));
		return rc;
	}
	rc = statefile_write(s->state_path, s->be->name, blob, len);
	free(blob);
	if (rc != 0)
		return rc;
	s->reload_on_power_on = true;
	return 0;
}

/* The EK certificates, if a CA was given: provisioned on the state the
 * engine boots from. */
static int sim_provision(struct sim *s)
{
	const char *why = NULL;
	bool changed = false;
	int rc;

	if (!s->ek_ca_key)
		return 0;
	rc = s->be->provision_ek_certs(s->be_ctx, s->ek_ca_key, s->ek_ca_key_len, s->ek_ca_cert,
				       s->ek_ca_cert_len, &changed, &why);
	if (rc != 0) {
		sim_log("EK certificates: %s (%s)", why ? why : "provisioning failed", husk_strerror(rc));
		return rc;
	}
	sim_log("EK certificates %s in NV indexes 0x01c00002 (RSA 2048) and 0x01c0000a (ECC P-256)",
		changed ? "written" : "already");
	return 0;
}

int sim_set_ek_ca(struct sim *s, const uint8_t *key, size_t key_len, const uint8_t *cert, size_t cert_len)
{
	if (!s->be->provision_ek_certs) {
		sim_log("the %s engine cannot provision EK certificates", s->be->name);
		return HUSK_ERR_UNSUPPORTED;
	}
	if (s->powered)
		return HUSK_ERR_BUSY;
	s->ek_ca_key = key;
	s->ek_ca_key_len = key_len;
	s->ek_ca_cert = cert;
	s->ek_ca_cert_len = cert_len;
	return sim_provision(s);
}

int sim_power_on(struct sim *s)
{
	uint8_t *blob = NULL;
	size_t len = 0;
	int rc;

	if (s->powered)
		return 0;
	if (s->state_path && s->reload_on_power_on) {
		rc = statefile_read(s->state_path, s->be->name, &blob, &len);
		if (rc == 0) {
			rc = s->be->load_state(s->be_ctx, blob, len);
			free(blob);
		}
		if (rc == HUSK_ERR_NOTFOUND) {
			/* Removed behind our back: keep the state in memory. */
			sim_log("%s is gone; powering on with the NV state in memory",
				s->state_path);
		} else if (rc != 0) {
			sim_log("power-on: cannot load %s: %s; TPM stays off", s->state_path,
				husk_strerror(rc));
			return rc;
		}
	}
	rc = sim_provision(s);
	if (rc != 0) {
		sim_log("power-on: no EK certificates; TPM stays off");
		return rc;
	}
	rc = s->be->power_on(s->be_ctx);
	if (rc != 0) {
		sim_log("power-on failed in the %s engine: %s", s->be->name, husk_strerror(rc));
		return rc;
	}
	s->powered = true;
	sim_log("power on");
	return 0;
}

int sim_power_off(struct sim *s)
{
	int rc, save_rc;

	if (!s->powered)
		return 0;
	rc = s->be->power_off(s->be_ctx);
	if (rc == HUSK_ERR_UNSUPPORTED) {
		sim_log("power-off refused by the %s engine; the TPM stays on", s->be->name);
		return rc;
	}
	s->powered = false;
	if (rc != 0)
		sim_log("power-off failed in the %s engine: %s", s->be->name, husk_strerror(rc));
	save_rc = sim_save(s);
	if (save_rc == 0 && s->state_path)
		sim_log("power off; NV state saved to %s", s->state_path);
	else if (save_rc == 0)
		sim_log("power off");
	return rc != 0 ? rc : save_rc;
}

static void sim_error_response(uint32_t rc, uint8_t *rsp, size_t *rsp_len)
{
	wire_put_be16(rsp, SIM_TPM_ST_NO_SESSIONS);
	wire_put_be32(rsp + 2, SIM_TPM_HEADER_SIZE);
	wire_put_be32(rsp + 6, rc);
	*rsp_len = SIM_TPM_HEADER_SIZE;
}

void sim_execute(struct sim *s, const char *chan, const uint8_t *cmd, size_t cmd_len,
		 uint8_t locality, uint8_t *rsp, size_t rsp_cap, size_t *rsp_len)
{
	uint32_t cc = cmd_len >= SIM_TPM_HEADER_SIZE ? wire_get_be32(cmd + 6) : 0;
	uint32_t rc;
	int err;

	if (!s->powered) {
		sim_error_response(SIM_TPM_RC_FAILURE, rsp, rsp_len);
	} else if (locality > 4) {
		sim_error_response(SIM_TPM_RC_LOCALITY, rsp, rsp_len);
	} else {
		*rsp_len = 0;
		err = s->be->process(s->be_ctx, cmd, cmd_len, locality, rsp, rsp_cap, rsp_len);
		if (err != 0 || *rsp_len < SIM_TPM_HEADER_SIZE || *rsp_len > rsp_cap) {
			sim_log("the %s engine failed a command (cc 0x%08x): %s", s->be->name, cc,
				err ? husk_strerror(err) : "bad response length");
			sim_error_response(SIM_TPM_RC_FAILURE, rsp, rsp_len);
		}
	}
	rc = wire_get_be32(rsp + 6);

	if (cmd_len > s->largest_cmd_size) {
		s->largest_cmd_size = (uint32_t)cmd_len;
		s->largest_cmd_code = cc;
	}
	if (*rsp_len > s->largest_rsp_size) {
		s->largest_rsp_size = (uint32_t)*rsp_len;
		s->largest_rsp_code = rc;
	}
	if (s->log_commands) {
		if (cmd_len >= SIM_TPM_HEADER_SIZE)
			sim_log("%s loc %u cc 0x%08x %-18s len %4zu -> rc 0x%08x len %4zu", chan,
				locality, cc, tpm_cc_name(cc) ? tpm_cc_name(cc) : "?", cmd_len, rc, *rsp_len);
		else
			sim_log("%s loc %u short command, len %zu -> rc 0x%08x len %zu", chan,
				locality, cmd_len, rc, *rsp_len);
	}
}
