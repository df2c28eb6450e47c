# Compilers and flags for the three builds of portable code:
#   kernel  - freestanding, no SSE, high-half kernel code model (husk itself)
#   host    - hosted, optimised (host tools)
#   hostsan - hosted with ASan + UBSan (unit tests)
# and the libFuzzer build (clang).

KCC      ?= gcc
KLD      ?= ld
HOSTCC   ?= gcc
FUZZCC   ?= clang
AR       ?= ar
OBJCOPY  ?= objcopy
PYTHON   ?= python3

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wvla -Wpointer-arith -Wno-unused-parameter
COMMON_CFLAGS := -std=gnu11 -g $(WARN) -Iinclude -Ilib

# Kernel: no SSE/x87/MMX anywhere (husk never enables OSFXSR), no red zone
# (interrupts use the same stack), frame pointers for backtraces.
KCFLAGS := $(COMMON_CFLAGS) -O2 -ffreestanding -fno-builtin -nostdinc \
	-isystem lib/libc/include -isystem $(shell $(KCC) -print-file-name=include) \
	-mno-red-zone -mgeneral-regs-only -mno-sse -mno-mmx -mno-80387 \
	-mcmodel=kernel -fno-pic -fno-pie -fno-stack-protector \
	-fno-omit-frame-pointer -mno-omit-leaf-frame-pointer \
	-fno-asynchronous-unwind-tables -fno-unwind-tables \
	-ffunction-sections -fdata-sections -fno-common -fno-tree-loop-distribute-patterns \
	-DHUSK_KERNEL=1
KASFLAGS := $(KCFLAGS) -D__ASSEMBLY__

HOSTCFLAGS := $(COMMON_CFLAGS) -O2 -D_GNU_SOURCE -DHUSK_HOSTED=1
HOSTSAN_CFLAGS := $(COMMON_CFLAGS) -O1 -D_GNU_SOURCE -DHUSK_HOSTED=1 \
	-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
HOSTSAN_LDFLAGS := -fsanitize=address,undefined
FUZZ_CFLAGS := $(COMMON_CFLAGS) -O1 -D_GNU_SOURCE -DHUSK_HOSTED=1 -DHUSK_FUZZ=1 \
	-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all \
	-Wno-unknown-warning-option
FUZZ_LDFLAGS := -fsanitize=fuzzer,address,undefined
