/* Relay mode (guest.mode=relay): the guest carries TPM commands from the
 * host to husk's vTPM over COM2, so that host tools (husk-tpm-sim's relay
 * backend, tpm2-tools behind it) reach the vTPM the way a guest kernel
 * does.  The protocol is in docs/guest.md:
 *
 *   guest -> host  "HUSKRELAY1\n" once, then one reply per frame
 *   host -> guest  be32 L, L bytes of TPM command (1 <= L <= 4087)
 *   guest -> host  be32 SVSM result (RAX bits 31:0), be32 R, R bytes
 *
 * L = 0 asks for a power cycle (the guest tries platform command 2,
 * POWER_OFF, and answers with its result and R = 0); L = 0xffffffff ends
 * relay mode (no answer; the guest exits with success).  A longer L is
 * read and dropped and answered INVALID_PARAMETER, R = 0.
 *
 * QEMU drops what the guest sends while no host is connected, so the guest
 * repeats its banner every second until the first byte of the first frame
 * arrives; the host skips banners it sees before a reply. */
#include "guest.h"

#define RELAY_BANNER "HUSKRELAY1\n"
#define RELAY_END 0xffffffffu
#define PLATFORM_POWER_OFF 2u
#define BANNER_REPEAT_MS 1000u

static uint8_t relay_cmd[SVSM_VTPM_CMD_MAX];
static uint8_t relay_rsp[SVSM_VTPM_RSP_MAX];

static void banner(void)
{
	serial_write_raw(RELAY_BANNER, sizeof(RELAY_BANNER) - 1);
}

/* Until the host speaks, it may not have heard the banner. */
static void wait_for_host(void)
{
	uint64_t next = rdtsc() + ms_to_tsc(BANNER_REPEAT_MS);

	while (!serial_rx_ready()) {
		if (rdtsc() > next) {
			banner();
			next = rdtsc() + ms_to_tsc(BANNER_REPEAT_MS);
		}
		cpu_relax();
	}
}

static uint32_t read_be32(void)
{
	uint8_t b[4];

	for (unsigned i = 0; i < 4; i++)
		b[i] = serial_getc();
	return get_be32(b);
}

static void reply(uint32_t result, const uint8_t *data, uint32_t len)
{
	uint8_t h[8];

	put_be32(h, result);
	put_be32(h + 4, len);
	serial_write_raw(h, sizeof(h));
	serial_write_raw(data, len);
}

int mode_relay(void)
{
	uint64_t buf = (uint64_t)(uintptr_t)guest_vtpm_buf;

	banner();
	wait_for_host();
	for (;;) {
		uint32_t len = read_be32(), rc, rsp_len = 0;

		if (len == RELAY_END)
			return GUEST_EXIT_PASS;
		if (len == 0) {
			rc = vtpm_send(buf, PLATFORM_POWER_OFF, 0, NULL, 0, NULL, 0, NULL);
			reply(rc, NULL, 0);
			continue;
		}
		if (len > SVSM_VTPM_CMD_MAX) {
			for (uint32_t i = 0; i < len; i++)
				(void)serial_getc();
			reply(SVSM_ERR_INVALID_PARAMETER, NULL, 0);
			continue;
		}
		for (uint32_t i = 0; i < len; i++)
			relay_cmd[i] = serial_getc();
		rc = vtpm_send(buf, SVSM_VTPM_PLATFORM_SEND_COMMAND, 0, relay_cmd, len, relay_rsp,
			       sizeof(relay_rsp), &rsp_len);
		if (rc != SVSM_SUCCESS || rsp_len > sizeof(relay_rsp))
			rsp_len = 0;
		reply(rc, relay_rsp, rsp_len);
	}
}
