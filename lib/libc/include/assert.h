/* Freestanding <assert.h>: assertions compile away; husk uses explicit checks. */
#ifndef HUSK_LIBC_ASSERT_H
#define HUSK_LIBC_ASSERT_H
#define assert(x) ((void)0)
#endif
