/* Polled 16550 driver: 115200 8N1, FIFO on, no interrupts.  The console
 * (uart_write) turns "\n" into "\r\n"; the raw functions move bytes as they
 * are, for husk's link to the KBS proxy (COM3). */
#include "arch/x86/cpu.h"
#include "arch/x86/uart.h"

#define UART_THR 0
#define UART_IER 1
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_SCR 7
#define LSR_DR   0x01
#define LSR_THRE 0x20

void uart_init(uint16_t port)
{
	outb(port + UART_IER, 0x00);
	outb(port + UART_LCR, 0x80); /* DLAB */
	outb(port + 0, 0x01);        /* divisor 1: 115200 baud */
	outb(port + 1, 0x00);
	outb(port + UART_LCR, 0x03); /* 8N1 */
	outb(port + UART_FCR, 0x07); /* FIFO on, cleared */
	outb(port + UART_MCR, 0x03); /* DTR, RTS */
}

static void uart_putc(uint16_t port, char c)
{
	/* Bounded wait: a wedged UART must not hang the panic path forever. */
	for (unsigned i = 0; i < 100000 && !(inb(port + UART_LSR) & LSR_THRE); i++)
		cpu_relax();
	outb(port + UART_THR, (uint8_t)c);
}

void uart_write(uint16_t port, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			uart_putc(port, '\r');
		uart_putc(port, s[i]);
	}
}

bool uart_present(uint16_t port)
{
	/* The scratch register keeps what is written to it; an absent port
	 * reads 0xff whatever was written. */
	outb(port + UART_SCR, 0x5a);
	if (inb(port + UART_SCR) != 0x5a)
		return false;
	outb(port + UART_SCR, 0xa5);
	return inb(port + UART_SCR) == 0xa5;
}

void uart_write_raw(uint16_t port, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		uart_putc(port, (char)p[i]);
}

size_t uart_read_raw(uint16_t port, uint8_t *p, size_t max)
{
	size_t n = 0;

	while (n < max && (inb(port + UART_LSR) & LSR_DR))
		p[n++] = inb(port + UART_THR); /* RBR: the same offset as THR */
	return n;
}
