/* Freestanding <limits.h>: gcc's own limits.h would #include_next a libc one. */
#ifndef HUSK_LIBC_LIMITS_H
#define HUSK_LIBC_LIMITS_H
#define _LIBC_LIMITS_H_ 1
#include_next <limits.h>
#endif
