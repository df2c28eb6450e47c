/* Compiler helpers used everywhere (kernel, portable libraries, host tools). */
#ifndef HUSK_COMPILER_H
#define HUSK_COMPILER_H

#define HUSK_PACKED      __attribute__((packed))
#define HUSK_ALIGNED(n)  __attribute__((aligned(n)))
#define HUSK_NORETURN    __attribute__((noreturn))
#define HUSK_UNUSED      __attribute__((unused))
#define HUSK_SECTION(s)  __attribute__((section(s)))
#define HUSK_USED        __attribute__((used))
#define HUSK_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define HUSK_WARN_UNUSED __attribute__((warn_unused_result))
#define HUSK_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define HUSK_STATIC_ASSERT(c, m) _Static_assert(c, m)
#define HUSK_ALIGN_UP(x, a)   (((x) + ((a) - 1)) & ~((__typeof__(x))(a) - 1))
#define HUSK_ALIGN_DOWN(x, a) ((x) & ~((__typeof__(x))(a) - 1))
#define HUSK_IS_ALIGNED(x, a) (((x) & ((__typeof__(x))(a) - 1)) == 0)
#define HUSK_MIN(a, b) ((a) < (b) ? (a) : (b))
#define HUSK_MAX(a, b) ((a) > (b) ? (a) : (b))
#define HUSK_LIKELY(x)   __builtin_expect(!!(x), 1)
#define HUSK_UNLIKELY(x) __builtin_expect(!!(x), 0)

#define HUSK_PAGE_SIZE  4096u
#define HUSK_PAGE_SHIFT 12

#endif
