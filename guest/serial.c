/* COM2 (0x2f8), a polled 16550 at 115200 8N1 with the FIFO on: the guest's
 * console and, in relay mode, its channel to the host. */
#include "guest.h"

#define UART_RBR 0
#define UART_THR 0
#define UART_IER 1
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define LSR_DR   0x01
#define LSR_THRE 0x20

void serial_init(void)
{
	outb(GUEST_COM2 + UART_IER, 0x00);
	outb(GUEST_COM2 + UART_LCR, 0x80); /* DLAB */
	outb(GUEST_COM2 + 0, 0x01);        /* divisor 1: 115200 baud */
	outb(GUEST_COM2 + 1, 0x00);
	outb(GUEST_COM2 + UART_LCR, 0x03); /* 8N1 */
	outb(GUEST_COM2 + UART_FCR, 0x07); /* FIFO on, both cleared */
	outb(GUEST_COM2 + UART_MCR, 0x03); /* DTR, RTS */
}

void serial_putc_raw(uint8_t c)
{
	/* Bounded: a wedged UART must not hang a failure report forever. */
	for (unsigned i = 0; i < 1000000 && !(inb(GUEST_COM2 + UART_LSR) & LSR_THRE); i++)
		cpu_relax();
	outb(GUEST_COM2 + UART_THR, c);
}

void serial_write_raw(const void *buf, size_t len)
{
	const uint8_t *p = buf;

	for (size_t i = 0; i < len; i++)
		serial_putc_raw(p[i]);
}

bool serial_rx_ready(void)
{
	return inb(GUEST_COM2 + UART_LSR) & LSR_DR;
}

uint8_t serial_getc(void)
{
	while (!serial_rx_ready())
		cpu_relax();
	return inb(GUEST_COM2 + UART_RBR);
}
