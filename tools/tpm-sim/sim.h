/* The simulated TPM device behind husk-tpm-sim's sockets: one backend
 * engine, its power state, the NV state file, the platform signals the
 * protocols carry, and command execution with logging.
 *
 * Power and state file: power_off saves the NV state to the state file (if
 * any); power_on reloads it from there (once something was saved, or if it
 * was loaded at start), so what survives a simulated power cycle is exactly
 * what is in the file.  Without a state file the NV state lives in memory
 * for the life of the process. */
#ifndef HUSK_TPM_SIM_SIM_H
#define HUSK_TPM_SIM_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend.h"

struct sim {
	const struct sim_backend *be;
	void *be_ctx;
	const char *state_path;   /* NULL: no state file */
	bool reload_on_power_on;  /* state_path holds the state to boot from */
	bool powered;
	bool log_commands;
	bool stop_requested;      /* a client asked the server to exit */
	uint8_t locality;         /* swtpm CMD_SET_LOCALITY, for raw commands */
	bool physical_presence, cancel, nv_on; /* MS-simulator platform signals */
	/* MS-simulator TPM_GET_COMMAND_RESPONSE_SIZES: largest since last asked */
	uint32_t largest_cmd_size, largest_cmd_code, largest_rsp_size, largest_rsp_code;
	/* EK certificate CA (sim_set_ek_ca): provisioned at every power-on */
	const uint8_t *ek_ca_key, *ek_ca_cert;
	size_t ek_ca_key_len, ek_ca_cert_len;
};

/* Creates the engine and gives it its NV state: the state file's if it
 * exists and manufacture is false, else a fresh TPM.  The device starts
 * powered off.  An unreadable or foreign state file is an error. */
int sim_init(struct sim *s, const struct sim_backend *be, const char *state_path,
	     bool manufacture, bool log_commands);
/* Has the engine issue EK certificates with this CA (key and certificate,
 * PEM or DER; the buffers must outlive s) and store them in the TCG NV
 * indexes, now and after every reload at power-on, as a vTPM does at every
 * boot; a no-op when they are there already.  Only while powered off;
 * HUSK_ERR_UNSUPPORTED for engines other than husk's. */
int sim_set_ek_ca(struct sim *s, const uint8_t *key, size_t key_len, const uint8_t *cert, size_t cert_len);
/* Powers off (which saves) and destroys the engine. */
void sim_fini(struct sim *s);

int sim_power_on(struct sim *s);
/* HUSK_ERR_UNSUPPORTED: the engine refused (struct sim_backend.remote);
 * the TPM is still on and nothing changed. */
int sim_power_off(struct sim *s);
/* Writes the NV state to the state file now (no-op without one). */
int sim_save(struct sim *s);

/* Executes one TPM command from a client at locality; always leaves a
 * well-formed response in rsp (TPM_RC_FAILURE while powered off or if the
 * engine fails, TPM_RC_LOCALITY for a locality above 4).  rsp_cap must be
 * at least SIM_RSP_MAX.  chan names the source for the log. */
void sim_execute(struct sim *s, const char *chan, const uint8_t *cmd, size_t cmd_len,
		 uint8_t locality, uint8_t *rsp, size_t rsp_cap, size_t *rsp_len);

/* Messages to stderr, prefixed with the program name. */
void sim_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
