/* Freestanding <stdio.h>: husk has no stdio; formatting is in lib/fmt. */
#ifndef HUSK_LIBC_STDIO_H
#define HUSK_LIBC_STDIO_H
#include <stddef.h>
#include <stdarg.h>
#endif
