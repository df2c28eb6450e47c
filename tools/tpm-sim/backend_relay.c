/* husk-tpm-sim backend that is not an engine but a bridge: TPM commands go
 * to husk's vTPM through husk's test guest in relay mode (guest.mode=relay,
 * docs/guest.md).  QEMU serves the guest's COM2 on a unix socket
 * (-chardev socket,path=PATH,server=on); this backend connects to it, waits
 * for the guest's banner and sends each command as one frame:
 *
 *   to the guest    be32 L, L bytes of TPM command (1..4087)
 *   from the guest  be32 SVSM result, be32 R, R bytes of TPM response
 *
 * L = 0 asks the guest for a power cycle, which husk refuses by design (a
 * guest must not reset its vTPM's PCRs); the backend reports that as a
 * refused power-off (HUSK_ERR_UNSUPPORTED).  L = 0xffffffff ends relay mode.
 * The vTPM's NV state lives in husk: nothing to save, load or manufacture
 * here (struct sim_backend.remote). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "husk/err.h"
#include "svsm/svsm_abi.h"

#include "backend.h"
#include "sim.h"
#include "wire.h"

#define RELAY_BANNER "HUSKRELAY1\n"
#define RELAY_BANNER_LEN (sizeof(RELAY_BANNER) - 1)
#define RELAY_POWER_CYCLE 0u
#define RELAY_END 0xffffffffu
#define RELAY_TPM_RC_COMMAND_SIZE 0x142u
/* Text the guest printed before its banner is logged, up to this much. */
#define RELAY_PREAMBLE_LOG_MAX 4096u
/* How long an exiting server waits for the VM after ending relay mode. */
#define RELAY_END_WAIT_MS 10000u

static const char *relay_path;
static unsigned relay_timeout_s = 300;
static bool relay_end_at_exit;

void sim_backend_relay_configure(const char *path, unsigned timeout_s, bool end_at_exit)
{
	relay_path = path;
	if (timeout_s)
		relay_timeout_s = timeout_s;
	relay_end_at_exit = end_at_exit;
}

struct rb {
	int fd;
	bool broken; /* the link lost sync or closed: every call fails */
	uint8_t frame[4 + SVSM_VTPM_CMD_MAX];
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Reads exactly n bytes before deadline (ms of CLOCK_MONOTONIC). */
static int rb_read(struct rb *rb, uint8_t *buf, size_t n, uint64_t deadline)
{
	while (n > 0) {
		struct pollfd p = { .fd = rb->fd, .events = POLLIN };
		uint64_t now = now_ms();
		ssize_t got;
		int r;

		if (now >= deadline)
			return HUSK_ERR_TIMEOUT;
		r = poll(&p, 1, (int)(deadline - now > 1000 ? 1000 : deadline - now));
		if (r < 0 && errno != EINTR)
			return HUSK_ERR_IO;
		if (r <= 0)
			continue;
		got = read(rb->fd, buf, n);
		if (got < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (got <= 0)
			return HUSK_ERR_IO; /* EOF: QEMU or the guest went away */
		buf += got;
		n -= (size_t)got;
	}
	return 0;
}

static int rb_write(struct rb *rb, const uint8_t *buf, size_t n)
{
	while (n > 0) {
		ssize_t put = write(rb->fd, buf, n);

		if (put < 0 && errno == EINTR)
			continue;
		if (put <= 0)
			return HUSK_ERR_IO;
		buf += put;
		n -= (size_t)put;
	}
	return 0;
}

static int rb_connect(struct rb *rb, uint64_t deadline)
{
	struct sockaddr_un a;
	bool said = false;

	memset(&a, 0, sizeof(a));
	a.sun_family = AF_UNIX;
	if (strlen(relay_path) >= sizeof(a.sun_path)) {
		sim_log("relay: socket path too long: %s", relay_path);
		return HUSK_ERR_INVAL;
	}
	strcpy(a.sun_path, relay_path);
	for (;;) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (fd < 0)
			return HUSK_ERR_IO;
		if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0) {
			rb->fd = fd;
			return 0;
		}
		close(fd);
		if (errno != ENOENT && errno != ECONNREFUSED) {
			sim_log("relay: connect %s: %s", relay_path, strerror(errno));
			return HUSK_ERR_IO;
		}
		if (now_ms() >= deadline) {
			sim_log("relay: nothing listens on %s", relay_path);
			return HUSK_ERR_TIMEOUT;
		}
		if (!said) {
			sim_log("relay: waiting for QEMU to listen on %s", relay_path);
			said = true;
		}
		usleep(100 * 1000);
	}
}

/* Skips what the guest printed before relay mode (logged as text) up to
 * and including the banner. */
static int rb_wait_banner(struct rb *rb, uint64_t deadline)
{
	char log[RELAY_PREAMBLE_LOG_MAX + 1];
	size_t matched = 0, logged = 0;
	uint8_t c;
	int rc;

	while (matched < RELAY_BANNER_LEN) {
		rc = rb_read(rb, &c, 1, deadline);
		if (rc != 0) {
			log[logged] = 0;
			sim_log("relay: no banner from the guest (%s)%s%s", husk_strerror(rc),
				logged ? "; it sent: " : "", logged ? log : "");
			return rc;
		}
		if (c == (uint8_t)RELAY_BANNER[matched]) {
			matched++;
			continue;
		}
		for (size_t i = 0; i < matched && logged < RELAY_PREAMBLE_LOG_MAX; i++)
			log[logged++] = RELAY_BANNER[i];
		matched = c == (uint8_t)RELAY_BANNER[0];
		if (!matched && logged < RELAY_PREAMBLE_LOG_MAX)
			log[logged++] = (char)c;
	}
	if (logged) {
		log[logged] = 0;
		sim_log("relay: the guest printed before its banner: %s", log);
	}
	return 0;
}

/* One frame out, the reply in.  The guest repeats its banner until its
 * first frame arrives; a repeat may precede the first reply (a reply
 * starts with 0x00 or 0x80, never 'H'). */
static int rb_exchange(struct rb *rb, const uint8_t *frame, size_t frame_len, uint32_t *result,
		       uint8_t *rsp, size_t rsp_cap, size_t *rsp_len)
{
	uint64_t deadline = now_ms() + (uint64_t)relay_timeout_s * 1000u;
	uint8_t h[8], rest[RELAY_BANNER_LEN - 1];
	uint32_t r;
	int rc;

	if (rb->broken)
		return HUSK_ERR_IO;
	rc = rb_write(rb, frame, frame_len);
	if (rc == 0)
		rc = rb_read(rb, h, 1, deadline);
	while (rc == 0 && h[0] == (uint8_t)RELAY_BANNER[0]) {
		rc = rb_read(rb, rest, sizeof(rest), deadline);
		if (rc == 0 && memcmp(rest, RELAY_BANNER + 1, sizeof(rest)) != 0) {
			sim_log("relay: garbage from the guest instead of a reply");
			rc = HUSK_ERR_FORMAT;
		}
		if (rc == 0)
			rc = rb_read(rb, h, 1, deadline);
	}
	if (rc == 0)
		rc = rb_read(rb, h + 1, 7, deadline);
	if (rc == 0) {
		*result = wire_get_be32(h);
		r = wire_get_be32(h + 4);
		if (r > SVSM_VTPM_RSP_MAX || r > rsp_cap) {
			sim_log("relay: reply of %u bytes (at most %u)", r, SVSM_VTPM_RSP_MAX);
			rc = HUSK_ERR_FORMAT;
		} else {
			rc = rb_read(rb, rsp, r, deadline);
			*rsp_len = r;
		}
	}
	if (rc != 0) {
		sim_log("relay: the link to the guest failed (%s); no more commands",
			husk_strerror(rc));
		rb->broken = true;
	}
	return rc;
}

static int rb_init(void **ctx)
{
	uint64_t deadline;
	struct rb *rb;
	int rc;

	if (!relay_path) {
		sim_log("relay: no socket (--relay PATH)");
		return HUSK_ERR_INVAL;
	}
	rb = calloc(1, sizeof(*rb));
	if (!rb)
		return HUSK_ERR_NOMEM;
	rb->fd = -1;
	deadline = now_ms() + (uint64_t)relay_timeout_s * 1000u;
	rc = rb_connect(rb, deadline);
	if (rc == 0) {
		sim_log("relay: connected to %s; waiting for the guest", relay_path);
		rc = rb_wait_banner(rb, deadline);
	}
	if (rc != 0) {
		if (rb->fd >= 0)
			close(rb->fd);
		free(rb);
		return rc;
	}
	sim_log("relay: the guest is ready");
	*ctx = rb;
	return 0;
}

/* Sends the end frame and waits for the VM to go away.  Closing at once
 * would lose the frame: QEMU drops a client on hang-up without reading
 * what it left in the socket.  A half-close leaves the bytes in front of
 * the end-of-file, and QEMU closes its side when the guest ends the VM. */
static void rb_end_relay(struct rb *rb)
{
	uint64_t deadline = now_ms() + RELAY_END_WAIT_MS;
	uint8_t end[4], sink[256];
	int rc;

	wire_put_be32(end, RELAY_END);
	if (rb_write(rb, end, sizeof(end)) != 0 || shutdown(rb->fd, SHUT_WR) != 0) {
		sim_log("relay: could not send the end of relay mode");
		return;
	}
	do
		rc = rb_read(rb, sink, 1, deadline);
	while (rc == 0);
	if (rc == HUSK_ERR_IO)
		sim_log("relay: the guest ended relay mode and the VM closed the link");
	else
		sim_log("relay: the end of relay mode was sent; the VM still runs after %u ms",
			RELAY_END_WAIT_MS);
}

static void rb_destroy(void *ctx)
{
	struct rb *rb = ctx;

	if (!rb)
		return;
	if (relay_end_at_exit && !rb->broken)
		rb_end_relay(rb);
	close(rb->fd);
	free(rb);
}

static int rb_manufacture(void *ctx)
{
	(void)ctx;
	return HUSK_ERR_UNSUPPORTED; /* husk's vTPM is manufactured by husk */
}

/* Nothing to do: husk powered its vTPM on before the guest started. */
static int rb_power_on(void *ctx)
{
	struct rb *rb = ctx;

	return rb->broken ? HUSK_ERR_IO : 0;
}

static int rb_power_off(void *ctx)
{
	struct rb *rb = ctx;
	uint8_t frame[4], rsp[16];
	size_t rsp_len = 0;
	uint32_t result = 0;
	int rc;

	wire_put_be32(frame, RELAY_POWER_CYCLE);
	rc = rb_exchange(rb, frame, sizeof(frame), &result, rsp, sizeof(rsp), &rsp_len);
	if (rc != 0)
		return rc;
	if (result == SVSM_SUCCESS)
		return 0;
	sim_log("relay: husk refused the power cycle (0x%08x); the vTPM stays on", result);
	return HUSK_ERR_UNSUPPORTED;
}

static void rb_error_response(uint32_t rc, uint8_t *rsp, size_t *rsp_len)
{
	wire_put_be16(rsp, SIM_TPM_ST_NO_SESSIONS);
	wire_put_be32(rsp + 2, SIM_TPM_HEADER_SIZE);
	wire_put_be32(rsp + 6, rc);
	*rsp_len = SIM_TPM_HEADER_SIZE;
}

static int rb_process(void *ctx, const uint8_t *cmd, size_t cmd_len, uint8_t locality,
		      uint8_t *rsp, size_t rsp_cap, size_t *rsp_len)
{
	struct rb *rb = ctx;
	uint32_t result = 0;
	int rc;

	/* What the relay cannot carry, answered here as the vTPM would. */
	if (locality != 0) {
		rb_error_response(SIM_TPM_RC_LOCALITY, rsp, rsp_len);
		return 0;
	}
	if (cmd_len == 0 || cmd_len > SVSM_VTPM_CMD_MAX) {
		rb_error_response(RELAY_TPM_RC_COMMAND_SIZE, rsp, rsp_len);
		return 0;
	}
	wire_put_be32(rb->frame, (uint32_t)cmd_len);
	memcpy(rb->frame + 4, cmd, cmd_len);
	rc = rb_exchange(rb, rb->frame, 4 + cmd_len, &result, rsp, rsp_cap, rsp_len);
	if (rc != 0)
		return rc;
	if (result != SVSM_SUCCESS) {
		sim_log("relay: VTPM_CMD failed in husk: 0x%08x", result);
		return HUSK_ERR_INVAL;
	}
	return 0;
}

static int rb_save_state(void *ctx, uint8_t **blob, size_t *len)
{
	(void)ctx;
	(void)blob;
	(void)len;
	return HUSK_ERR_NOTFOUND; /* the state is husk's */
}

static int rb_load_state(void *ctx, const uint8_t *blob, size_t len)
{
	(void)ctx;
	(void)blob;
	(void)len;
	return HUSK_ERR_UNSUPPORTED;
}

static int rb_established_get(void *ctx, bool *bit)
{
	(void)ctx;
	*bit = false;
	return 0;
}

static int rb_established_reset(void *ctx, uint8_t locality)
{
	(void)ctx;
	(void)locality;
	return 0;
}

static int rb_buffer_size(void *ctx, uint32_t wanted, uint32_t *used, uint32_t *min, uint32_t *max)
{
	(void)ctx;
	(void)wanted;
	*used = *min = *max = SVSM_VTPM_CMD_MAX;
	return 0;
}

static int rb_info(void *ctx, uint64_t flags, char **json)
{
	char buf[512];
	size_t off;

	(void)ctx;
	off = (size_t)snprintf(buf, sizeof(buf), "{");
	if (flags & 1u)
		off += (size_t)snprintf(buf + off, sizeof(buf) - off,
					"\"TPMSpecification\":{\"family\":\"2.0\",\"level\":0,"
					"\"revision\":164}");
	if (flags & 2u)
		off += (size_t)snprintf(buf + off, sizeof(buf) - off,
					"%s\"TPMAttributes\":{\"manufacturer\":\"id:4855534B\","
					"\"version\":\"id:00000000\",\"model\":\"husk-relay\"}",
					(flags & 1u) ? "," : "");
	snprintf(buf + off, sizeof(buf) - off, "}");
	*json = strdup(buf);
	return *json ? 0 : HUSK_ERR_NOMEM;
}

static void rb_set_physical_presence(void *ctx, bool on)
{
	(void)ctx;
	(void)on;
}

const struct sim_backend sim_backend_relay = {
	.name = "relay",
	.remote = true,
	.init = rb_init,
	.destroy = rb_destroy,
	.manufacture = rb_manufacture,
	.power_on = rb_power_on,
	.power_off = rb_power_off,
	.process = rb_process,
	.save_state = rb_save_state,
	.load_state = rb_load_state,
	.established_get = rb_established_get,
	.established_reset = rb_established_reset,
	.buffer_size = rb_buffer_size,
	.info = rb_info,
	.set_physical_presence = rb_set_physical_presence,
};
