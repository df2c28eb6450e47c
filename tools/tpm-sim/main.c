/* husk-tpm-sim: serves a TPM 2.0 engine (husk's, or libtpms as the
 * reference) on loopback so that unmodified TPM clients reach it, e.g.
 * tpm2-tools with -T swtpm:port=N or -T mssim:port=N.  See docs/tpm-sim.md. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "husk/err.h"

#include "backend.h"
#include "server.h"
#include "sim.h"

static volatile sig_atomic_t quit_signal;

static void on_signal(int sig)
{
	quit_signal = sig;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: husk-tpm-sim [options]\n"
		"Serves a TPM 2.0 on 127.0.0.1 for tpm2-tss clients (tpm2-tools -T swtpm:port=N\n"
		"or -T mssim:port=N).\n"
		"\n"
		"  --protocol swtpm|mssim  wire protocol (default swtpm):\n"
		"                          swtpm: TPM commands on --port, swtpm control channel\n"
		"                                 on --ctrl-port; the TPM starts powered on\n"
		"                          mssim: MS-simulator command port on --port, platform\n"
		"                                 port on --ctrl-port; the TPM starts powered off\n"
		"  --port N                TPM command port (default 2321)\n"
		"  --ctrl-port N           control / platform port (default: --port + 1)\n"
		"  --backend husk|libtpms|relay\n"
		"                          TPM engine (default husk); relay: husk's vTPM, through\n"
		"                          husk's test guest in relay mode (docs/guest.md)\n"
		"  --relay PATH            the guest's COM2 socket (QEMU -chardev socket,path=PATH,\n"
		"                          server=on); implies --backend relay\n"
		"  --relay-timeout SEC     wait this long for the socket, the guest and each reply\n"
		"                          (default 300)\n"
		"  --relay-end             end the guest's relay mode when the server exits (the\n"
		"                          guest then ends the VM with success)\n"
		"  --state FILE            NV state file: loaded at start and at each power-on,\n"
		"                          written at power-off, SIGTERM/SIGINT and exit\n"
		"  --manufacture           start from a fresh TPM even if FILE exists (FILE is\n"
		"                          overwritten at the first power-off)\n"
		"  --pidfile FILE          write the process id to FILE once listening\n"
		"  --log-commands          log command code and response code of each command\n"
		"  --ek-ca-key FILE        with --ek-ca-cert (husk backend): issue EK certificates\n"
		"  --ek-ca-cert FILE       for the RSA and ECC EKs with this CA (PEM or DER) and\n"
		"                          store them in NV 0x01c00002 / 0x01c0000a at start and\n"
		"                          at every power-on, as husk's vTPM does at boot\n"
		"  --help                  this text\n");
}

static int parse_port(const char *opt, const char *arg, uint16_t *port)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno || end == arg || *end || v == 0 || v > 65535) {
		fprintf(stderr, "husk-tpm-sim: %s: '%s' is not a port number (1-65535)\n", opt,
			arg);
		return HUSK_ERR_INVAL;
	}
	*port = (uint16_t)v;
	return 0;
}

enum {
	OPT_PROTOCOL = 256,
	OPT_PORT,
	OPT_CTRL_PORT,
	OPT_BACKEND,
	OPT_STATE,
	OPT_MANUFACTURE,
	OPT_PIDFILE,
	OPT_LOG_COMMANDS,
	OPT_RELAY,
	OPT_RELAY_TIMEOUT,
	OPT_RELAY_END,
	OPT_EK_CA_KEY,
	OPT_EK_CA_CERT,
	OPT_HELP,
};

static const struct option options[] = {
	{ "protocol", required_argument, NULL, OPT_PROTOCOL },
	{ "port", required_argument, NULL, OPT_PORT },
	{ "ctrl-port", required_argument, NULL, OPT_CTRL_PORT },
	{ "backend", required_argument, NULL, OPT_BACKEND },
	{ "state", required_argument, NULL, OPT_STATE },
	{ "manufacture", no_argument, NULL, OPT_MANUFACTURE },
	{ "pidfile", required_argument, NULL, OPT_PIDFILE },
	{ "log-commands", no_argument, NULL, OPT_LOG_COMMANDS },
	{ "relay", required_argument, NULL, OPT_RELAY },
	{ "relay-timeout", required_argument, NULL, OPT_RELAY_TIMEOUT },
	{ "relay-end", no_argument, NULL, OPT_RELAY_END },
	{ "ek-ca-key", required_argument, NULL, OPT_EK_CA_KEY },
	{ "ek-ca-cert", required_argument, NULL, OPT_EK_CA_CERT },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

/* A whole small file (a CA key or certificate) into memory from malloc(). */
static int read_small_file(const char *opt, const char *path, uint8_t **data, size_t *len)
{
	enum { MAX = 65536 };
	uint8_t *buf = malloc(MAX + 1);
	FILE *f = fopen(path, "rb");
	size_t n = 0;

	if (!buf || !f) {
		fprintf(stderr, "husk-tpm-sim: %s: cannot read %s: %s\n", opt, path, strerror(errno));
		free(buf);
		if (f)
			fclose(f);
		return HUSK_ERR_IO;
	}
	n = fread(buf, 1, MAX + 1, f);
	if (ferror(f) || n == 0 || n > MAX) {
		fprintf(stderr, "husk-tpm-sim: %s: %s is %s\n", opt, path,
			ferror(f) ? "unreadable" : n ? "larger than 64 KiB" : "empty");
		fclose(f);
		free(buf);
		return HUSK_ERR_IO;
	}
	fclose(f);
	*data = buf;
	*len = n;
	return 0;
}

static int install_signals(sigset_t *wait_mask)
{
	struct sigaction sa;
	sigset_t block;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGPIPE, &sa, NULL) != 0)
		return HUSK_ERR_IO;
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) != 0 || sigaction(SIGINT, &sa, NULL) != 0 ||
	    sigaction(SIGHUP, &sa, NULL) != 0)
		return HUSK_ERR_IO;
	/* Delivered only inside ppoll, so a signal cannot slip in between the
	 * loop's check of quit_signal and the wait. */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &block, wait_mask) != 0)
		return HUSK_ERR_IO;
	sigdelset(wait_mask, SIGTERM);
	sigdelset(wait_mask, SIGINT);
	sigdelset(wait_mask, SIGHUP);
	return 0;
}

int main(int argc, char **argv)
{
	struct server_config cfg = { .protocol = SERVER_SWTPM, .port = 2321 };
	const char *backend_name = NULL;
	const char *state_path = NULL, *relay_path = NULL;
	unsigned long relay_timeout = 0;
	bool relay_end = false;
	const char *ek_ca_key_path = NULL, *ek_ca_cert_path = NULL;
	uint8_t *ek_ca_key = NULL, *ek_ca_cert = NULL;
	size_t ek_ca_key_len = 0, ek_ca_cert_len = 0;
	char *end;
	const struct sim_backend *be;
	bool manufacture = false, log_commands = false, ctrl_port_set = false;
	struct server *srv = NULL;
	struct sim sim;
	sigset_t wait_mask;
	int opt, rc;

	while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (opt) {
		case OPT_PROTOCOL:
			if (strcmp(optarg, "swtpm") == 0) {
				cfg.protocol = SERVER_SWTPM;
			} else if (strcmp(optarg, "mssim") == 0) {
				cfg.protocol = SERVER_MSSIM;
			} else {
				fprintf(stderr, "husk-tpm-sim: --protocol: swtpm or mssim\n");
				return 2;
			}
			break;
		case OPT_PORT:
			if (parse_port("--port", optarg, &cfg.port) != 0)
				return 2;
			break;
		case OPT_CTRL_PORT:
			if (parse_port("--ctrl-port", optarg, &cfg.port2) != 0)
				return 2;
			ctrl_port_set = true;
			break;
		case OPT_BACKEND:
			backend_name = optarg;
			break;
		case OPT_STATE:
			state_path = optarg;
			break;
		case OPT_MANUFACTURE:
			manufacture = true;
			break;
		case OPT_PIDFILE:
			cfg.pidfile = optarg;
			break;
		case OPT_LOG_COMMANDS:
			log_commands = true;
			break;
		case OPT_RELAY:
			relay_path = optarg;
			break;
		case OPT_RELAY_TIMEOUT:
			errno = 0;
			relay_timeout = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end || relay_timeout == 0 ||
			    relay_timeout > 86400) {
				fprintf(stderr, "husk-tpm-sim: --relay-timeout: seconds, 1-86400\n");
				return 2;
			}
			break;
		case OPT_RELAY_END:
			relay_end = true;
			break;
		case OPT_EK_CA_KEY:
			ek_ca_key_path = optarg;
			break;
		case OPT_EK_CA_CERT:
			ek_ca_cert_path = optarg;
			break;
		case OPT_HELP:
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "husk-tpm-sim: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (!ctrl_port_set) {
		if (cfg.port == 65535) {
			fprintf(stderr, "husk-tpm-sim: --port 65535 leaves no port + 1; "
					"give --ctrl-port\n");
			return 2;
		}
		cfg.port2 = (uint16_t)(cfg.port + 1);
	}
	if (cfg.port2 == cfg.port) {
		fprintf(stderr, "husk-tpm-sim: --port and --ctrl-port must differ\n");
		return 2;
	}
	if (!backend_name)
		backend_name = relay_path ? "relay" : "husk";
	be = sim_backend_find(backend_name);
	if (!be) {
		fprintf(stderr, "husk-tpm-sim: --backend: husk, libtpms or relay\n");
		return 2;
	}
	if ((be == &sim_backend_relay) != (relay_path != NULL)) {
		fprintf(stderr, "husk-tpm-sim: --relay PATH and --backend relay go together\n");
		return 2;
	}
	if (be->remote && (state_path || manufacture)) {
		fprintf(stderr, "husk-tpm-sim: the %s backend keeps its state in husk: no --state "
				"or --manufacture\n", be->name);
		return 2;
	}
	if (!ek_ca_key_path != !ek_ca_cert_path) {
		fprintf(stderr, "husk-tpm-sim: --ek-ca-key and --ek-ca-cert go together\n");
		return 2;
	}
	if (ek_ca_key_path && !be->provision_ek_certs) {
		fprintf(stderr, "husk-tpm-sim: EK certificates need the husk backend\n");
		return 2;
	}
	sim_backend_relay_configure(relay_path, (unsigned)relay_timeout, relay_end);
	if (ek_ca_key_path &&
	    (read_small_file("--ek-ca-key", ek_ca_key_path, &ek_ca_key, &ek_ca_key_len) != 0 ||
	     read_small_file("--ek-ca-cert", ek_ca_cert_path, &ek_ca_cert, &ek_ca_cert_len) != 0)) {
		free(ek_ca_key);
		return 1;
	}

	setvbuf(stderr, NULL, _IOLBF, 0);
	if (install_signals(&wait_mask) != 0) {
		fprintf(stderr, "husk-tpm-sim: cannot set up signal handling\n");
		free(ek_ca_key);
		free(ek_ca_cert);
		return 1;
	}
	if (sim_init(&sim, be, state_path, manufacture, log_commands) != 0) {
		free(ek_ca_key);
		free(ek_ca_cert);
		return 1;
	}
	/* Before the ports open: a CA that cannot issue ends the start. */
	if (ek_ca_key && sim_set_ek_ca(&sim, ek_ca_key, ek_ca_key_len, ek_ca_cert, ek_ca_cert_len) != 0) {
		sim_fini(&sim);
		free(ek_ca_key);
		free(ek_ca_cert);
		return 1;
	}
	/* Bind before powering on: a failed start must not touch the state file. */
	if (server_open(&srv, &sim, &cfg) != 0) {
		sim_fini(&sim);
		free(ek_ca_key);
		free(ek_ca_cert);
		return 1;
	}
	/* swtpm runs as with --flags not-need-init: clients (the swtpm TCTI)
	 * send no CMD_INIT.  The MS-simulator TCTI sends POWER_ON itself. */
	if (cfg.protocol == SERVER_SWTPM && sim_power_on(&sim) != 0) {
		server_close(srv);
		sim_fini(&sim);
		free(ek_ca_key);
		free(ek_ca_cert);
		return 1;
	}
	rc = server_run(srv, &quit_signal, &wait_mask);
	if (quit_signal)
		sim_log("signal %d; shutting down", (int)quit_signal);
	/* Power off (saving the state) before the pidfile goes, so a script
	 * waiting for the pidfile to vanish finds the state file complete. */
	sim_fini(&sim);
	server_close(srv);
	free(ek_ca_key);
	free(ek_ca_cert);
	return rc == 0 ? 0 : 1;
}
