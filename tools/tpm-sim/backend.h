/* The interface between husk-tpm-sim's servers and a TPM 2.0 engine.
 *
 * A backend is a table of functions over an opaque context.  Three exist:
 * `husk` (husk's own engine, lib/tpm/tpm.h; compiled in once lib/tpm is a
 * library), `libtpms` (Debian's libtpms, the reference) and `relay` (no
 * engine: a bridge to husk's vTPM through the test guest's relay mode,
 * backend_relay.c).  The server owns the state file: backends only turn
 * their NV state into a blob and back (save_state/load_state).  Every function that can fail returns 0 or
 * a husk_err code (husk/err.h).  Single-threaded: the server calls one
 * function at a time. */
#ifndef HUSK_TPM_SIM_BACKEND_H
#define HUSK_TPM_SIM_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest TPM command the servers accept (husk's TPM_BUFFER_MAX). */
#define SIM_CMD_MAX 4096u
/* Room for a response: backends must fit theirs in this. */
#define SIM_RSP_MAX 8192u

struct sim_backend {
	const char *name;
	/* The engine runs elsewhere and keeps its own NV state (relay): the
	 * server gives it no state file, never manufactures it and leaves it
	 * on when the server exits.  Its power_off may refuse: it returns
	 * HUSK_ERR_UNSUPPORTED, and the TPM stays on with nothing changed. */
	bool remote;

	/* Creates the engine: not manufactured, powered off. */
	int (*init)(void **ctx);
	void (*destroy)(void *ctx);

	/* Forgets all NV state: the next power_on finds a TPM fresh from the
	 * factory (new seeds, empty NV).  Only while powered off. */
	int (*manufacture)(void *ctx);
	/* _TPM_Init after power-up; TPM2_Startup must follow. */
	int (*power_on)(void *ctx);
	/* Power loss; NV state survives in the context. */
	int (*power_off)(void *ctx);

	/* Executes one command at locality 0-4.  On success rsp[0..*rsp_len)
	 * holds a well-formed TPM response (possibly an error response) of at
	 * least 10 bytes.  rsp_cap is at least SIM_RSP_MAX. */
	int (*process)(void *ctx, const uint8_t *cmd, size_t cmd_len, uint8_t locality,
		       uint8_t *rsp, size_t rsp_cap, size_t *rsp_len);

	/* The NV state as an opaque blob in memory from malloc() (the caller
	 * frees it); HUSK_ERR_NOTFOUND if there is none yet. */
	int (*save_state)(void *ctx, uint8_t **blob, size_t *len);
	/* Replaces the NV state with a blob from save_state.  Only while
	 * powered off.  A bad blob is refused and the old state kept, or, if
	 * the engine can tell only at power_on, power_on fails. */
	int (*load_state)(void *ctx, const uint8_t *blob, size_t len);

	/* swtpm control-channel services. */
	int (*established_get)(void *ctx, bool *bit);
	int (*established_reset)(void *ctx, uint8_t locality);
	/* CMD_SET_BUFFERSIZE: wanted 0 only asks. */
	int (*buffer_size)(void *ctx, uint32_t wanted, uint32_t *used, uint32_t *min,
			   uint32_t *max);
	/* CMD_GET_INFO: a JSON string from malloc() (TPMLIB_GetInfo's format). */
	int (*info)(void *ctx, uint64_t flags, char **json);

	/* MS-simulator platform signal; engines without the notion ignore it. */
	void (*set_physical_presence)(void *ctx, bool on);

	/* Manufacturer provisioning of EK certificates (docs/ekcert.md):
	 * certificates for the TPM's default EKs (RSA 2048, ECC P-256),
	 * issued with the CA whose key and certificate (PEM or DER) are
	 * given, in the TCG NV indexes 0x01C00002 and 0x01C0000A; indexes
	 * that already hold them are left alone (*changed false).  Only while
	 * powered off.  NULL for engines that cannot (libtpms, relay); *why
	 * gets a reason on failure. */
	int (*provision_ek_certs)(void *ctx, const uint8_t *key, size_t key_len, const uint8_t *cert,
				  size_t cert_len, bool *changed, const char **why);
};

extern const struct sim_backend sim_backend_libtpms;
extern const struct sim_backend sim_backend_husk;
extern const struct sim_backend sim_backend_relay;

/* The relay backend's unix socket (QEMU's chardev for the guest's COM2),
 * how long to wait for it, for the guest and for each reply (0: 300 s), and
 * whether to end the guest's relay mode when the server exits. */
void sim_backend_relay_configure(const char *path, unsigned timeout_s, bool end_at_exit);

/* The backend called name, or NULL. */
const struct sim_backend *sim_backend_find(const char *name);

#endif
