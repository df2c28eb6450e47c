/* 16550 UART on an I/O port (COM1), polled: husk's console device. */
#ifndef HUSK_ARCH_X86_UART_H
#define HUSK_ARCH_X86_UART_H

#include <stddef.h>
#include <stdint.h>

#define UART_COM1 0x3f8

void uart_init(uint16_t port);
void uart_write(uint16_t port, const char *s, size_t n);

#endif
