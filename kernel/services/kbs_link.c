/* husk's link to its KBS proxy: lib/proxy's client over the COM3 UART,
 * polled (husk takes no interrupts).  The proxy on the host forwards each
 * exchange to the KBS; nothing it returns is trusted here — lib/kbs checks
 * the answers (docs/proxy.md). */
#include "arch/x86/cpu.h"
#include "arch/x86/tsc.h"
#include "arch/x86/uart.h"
#include "core/console.h"
#include "core/spinlock.h"
#include "husk/err.h"
#include "platform/platform.h"
#include "proxy/proxy_client.h"
#include "services/kbs_link.h"

static struct proxy_client link; /* ~66 KiB: the frame decoder's buffer */
static bool link_ready;
static struct spinlock link_lock;

static int io_write(void *ctx, const uint8_t *buf, size_t len)
{
	(void)ctx;
	uart_write_raw(UART_COM3, buf, len);
	return HUSK_OK;
}

static uint64_t io_now_ms(void *ctx)
{
	(void)ctx;
	return time_ns() / 1000000u;
}

static int io_read(void *ctx, uint8_t *buf, size_t max, size_t *got, uint32_t wait_ms)
{
	uint64_t end = io_now_ms(ctx) + wait_ms;

	for (;;) {
		*got = uart_read_raw(UART_COM3, buf, max);
		if (*got || io_now_ms(ctx) >= end)
			return HUSK_OK;
		cpu_relax();
	}
}

int kbs_link_init(void)
{
	static const struct proxy_io io = { NULL, io_write, io_read, io_now_ms };
	uint64_t session = 0;
	int err;

	if (!uart_present(UART_COM3))
		return HUSK_ERR_NOTFOUND;
	uart_init(UART_COM3);
	/* A random session number per boot: answers meant for an earlier
	 * boot carry another one and are dropped. */
	while (session == 0) {
		err = platform()->entropy(NULL, (uint8_t *)&session, sizeof(session));
		if (err)
			return err;
	}
	err = proxy_client_init(&link, &io, NULL, session);
	if (err)
		return err;
	link_ready = true;
	return HUSK_OK;
}

int kbs_link_exchange(const char *method, const char *path, const uint8_t *body, size_t body_len,
		      uint16_t *status, uint8_t *rsp, size_t rsp_max, size_t *rsp_len)
{
	int err;

	if (!link_ready)
		return HUSK_ERR_NOTFOUND;
	spin_lock(&link_lock);
	err = proxy_client_exchange(&link, method, path, body, body_len, status, rsp, rsp_max,
				    rsp_len);
	if (err == HUSK_ERR_IO && link.last_error)
		pr_warn("kbs link: the proxy answered error %u: %s", link.last_error,
			link.last_error_text);
	spin_unlock(&link_lock);
	return err;
}
