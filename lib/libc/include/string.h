/* Freestanding <string.h> for husk's kernel build (and mbedTLS inside it). */
#ifndef HUSK_LIBC_STRING_H
#define HUSK_LIBC_STRING_H
#include <stddef.h>

void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
void *memchr(const void *s, int c, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
char *strstr(const char *haystack, const char *needle);
char *strncpy(char *restrict dst, const char *restrict src, size_t n);
/* Zeroes memory in a way the compiler may not elide (for secrets). */
void explicit_bzero(void *p, size_t n);

#endif
