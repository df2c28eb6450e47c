/* 16550 UART on an I/O port, polled: husk's console (COM1) and its link
 * to the KBS proxy (COM3). */
#ifndef HUSK_ARCH_X86_UART_H
#define HUSK_ARCH_X86_UART_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UART_COM1 0x3f8
#define UART_COM3 0x3e8

void uart_init(uint16_t port);
void uart_write(uint16_t port, const char *s, size_t n);
/* A 16550 answers at port (its scratch register works). */
bool uart_present(uint16_t port);
/* Bytes as they are, no newline translation. */
void uart_write_raw(uint16_t port, const uint8_t *p, size_t n);
/* What the receiver holds now, up to max bytes; does not wait. */
size_t uart_read_raw(uint16_t port, uint8_t *p, size_t max);

#endif
