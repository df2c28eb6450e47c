# mbedTLS: fetched from Debian sources (scripts/fetch-mbedtls.sh) and built freestanding + hosted.
#
# scripts/fetch-mbedtls.sh puts the pinned source in third_party/ (at parse
# time, once); this file builds the subset of its library/ that husk's config
# (lib/crypto/husk_mbedtls_config.h) uses as the portable library `mbedcrypto`,
# and `make mbedtls-check` proves the kernel build is fit for husk: no
# SSE/x87/MMX instruction, no undefined symbol husk does not provide.
# Details and how to update: docs/crypto.md.

MBEDTLS_VERSION := 3.6.6
MBEDTLS_DIR := third_party/mbedtls-$(MBEDTLS_VERSION)
MBEDTLS_STAMP := third_party/mbedtls-$(MBEDTLS_VERSION).stamp

# Fetch at parse time (after deps.mk made sure curl and bzip2 are there), so
# the sources exist before make computes anything from them.
ifeq ($(filter clean distclean,$(MAKECMDGOALS)),)
ifneq ($(words $(wildcard $(MBEDTLS_STAMP) $(MBEDTLS_DIR)/library/aes.c)),2)
MBEDTLS_FETCH_RC := $(shell scripts/fetch-mbedtls.sh 1>&2; echo $$?)
ifneq ($(MBEDTLS_FETCH_RC),0)
$(error husk: could not fetch mbedTLS $(MBEDTLS_VERSION) (see the message above))
endif
endif
endif

.PHONY: mbedtls-fetch
mbedtls-fetch:
	$(Q)HUSK_MBEDTLS_FORCE=1 scripts/fetch-mbedtls.sh

# Every husk translation unit that includes an mbedTLS header must be compiled
# with the same config, or structure layouts disagree between objects; so the
# include path and config file go into all four builds' flags, not only into
# the library's.  -I (not -isystem): mbedTLS 3.6's headers are clean under
# husk's warnings, and gcc's -MMD then records them and the config file as
# dependencies, so a config change rebuilds everything it affects.
MBEDTLS_CPPFLAGS := -I$(MBEDTLS_DIR)/include \
	-DMBEDTLS_CONFIG_FILE='"crypto/husk_mbedtls_config.h"'
KCFLAGS += $(MBEDTLS_CPPFLAGS)
HOSTCFLAGS += $(MBEDTLS_CPPFLAGS)
HOSTSAN_CFLAGS += $(MBEDTLS_CPPFLAGS)
FUZZ_CFLAGS += $(MBEDTLS_CPPFLAGS)

# The library/ files the config needs (the rest of upstream's OBJS_CRYPTO
# would compile to empty objects).  Enabling a module in the config may need
# a file added here; `make mbedtls-check` then reports its symbols as missing.
MBEDTLS_MODULES := \
	aes asn1parse asn1write base64 bignum bignum_core cipher cipher_wrap \
	constant_time ctr_drbg ecdh ecdsa ecp ecp_curves gcm hkdf hmac_drbg \
	md nist_kw oid pem pk pk_ecc pk_wrap pkparse pkwrite platform \
	platform_util rsa rsa_alt_helpers sha1 sha256 sha512 \
	x509 x509_create x509_crt x509write x509write_crt
MBEDTLS_SRCS := $(patsubst %,$(MBEDTLS_DIR)/library/%.c,$(MBEDTLS_MODULES))

$(eval $(call portable_lib,mbedcrypto,$(MBEDTLS_SRCS)))

# Third-party code: husk's warnings stay on (mbedTLS 3.6.6 builds without any
# under gcc 12 and clang 14) but are not errors, so a compiler or mbedTLS
# update cannot break the build on a warning in code husk does not own.
# Kernel only: -fbuiltin undoes -ffreestanding's -fno-builtin, so that
# mbedTLS' fixed-size memcpy() loads and stores (alignment.h, used in every
# hash and cipher round) are inlined instead of calling lib/libc's byte loop.
# They are still general-register code (-mgeneral-regs-only), and anything
# gcc does not inline stays a call that mbedtls-check accounts for.
MBEDTLS_RELAX := -Wno-error
$(BUILD)/kernel/third_party/%: KCFLAGS_EXTRA += $(MBEDTLS_RELAX) -fbuiltin
$(BUILD)/host/third_party/%: HOSTCFLAGS_EXTRA += $(MBEDTLS_RELAX)
$(BUILD)/hostsan/third_party/%: HOSTCFLAGS_EXTRA += $(MBEDTLS_RELAX)
$(BUILD)/fuzz/third_party/%: HOSTCFLAGS_EXTRA += $(MBEDTLS_RELAX)

# ---- mbedtls-check: is the kernel build of the crypto stack fit for husk? ----

# What husk's kernel provides to these archives: lib/libc and lib/fmt.
# (Symbols one of the checked archives defines for the other are resolved
# by the `ld -r` below and never show up as undefined.)
MBEDTLS_KERNEL_PROVIDED := memcpy memmove memset memcmp memchr strlen strnlen \
	strcmp strncmp strchr strstr strncpy explicit_bzero fmt_snprintf
MBEDTLS_CHECK_LIBS := $(BUILD)/kernel/libmbedcrypto.a $(BUILD)/kernel/libcrypto.a

# Instructions that need FPU/SSE state: any x87/MMX/SSE/AVX register operand,
# and the x87 / state-management mnemonics that take no register operand.
MBEDTLS_FP_REGS := %(x|y|z)mm[0-9]|%mm[0-7]|%st(\(|$$|,)|%k[0-7]
MBEDTLS_FP_MNEMONICS := ^(f[a-z0-9]*|emms|ldmxcsr|stmxcsr|vldmxcsr|vstmxcsr|vzeroupper|vzeroall|xsave[a-z0-9]*|xrstor[a-z0-9]*)$$

.PHONY: mbedtls-check
mbedtls-check: $(MBEDTLS_CHECK_LIBS)
	@echo "  CHECK   $^"
	$(Q)set -e; tmp=$(BUILD)/kernel/.mbedtls-check; rm -rf $$tmp; mkdir -p $$tmp; \
	objdump -d --no-show-raw-insn $^ > $$tmp/dis.txt; \
	awk -F'\t' '/file format/ { obj = $$1; sub(/:.*/, "", obj) } \
		/^[0-9a-f]+ <.*>:$$/ { fn = $$0; sub(/^[0-9a-f]+ /, "", fn); sub(/:$$/, "", fn) } \
		NF >= 2 && $$1 ~ /^ *[0-9a-f]+:$$/ { \
		n = split($$2, w, " "); m = w[1]; \
		i = 1; while (i < n && m ~ /^(rep|repz|repnz|repe|repne|lock|data16|addr32|notrack|bnd|cs|ds|es|ss|fs|gs|rex(\..*)?)$$/) m = w[++i]; \
		if ((m ~ /$(MBEDTLS_FP_MNEMONICS)/ && m != "fs") || $$2 ~ /$(MBEDTLS_FP_REGS)/) \
			print "  " obj " " fn ": " $$2; }' \
		$$tmp/dis.txt > $$tmp/fp.txt; \
	if [ -s $$tmp/fp.txt ]; then \
		echo "mbedtls-check: FAIL: $$(wc -l < $$tmp/fp.txt) SSE/x87/MMX instruction(s) in the kernel build:"; \
		head -n 20 $$tmp/fp.txt; exit 1; \
	fi; \
	$(KLD) -r -o $$tmp/all.o --whole-archive $^; \
	nm -u $$tmp/all.o | awk '{print $$2}' | sort -u > $$tmp/undef.txt; \
	printf '%s\n' $(MBEDTLS_KERNEL_PROVIDED) | sort -u > $$tmp/provided.txt; \
	comm -23 $$tmp/undef.txt $$tmp/provided.txt > $$tmp/extra.txt; \
	if [ -s $$tmp/extra.txt ]; then \
		echo "mbedtls-check: FAIL: undefined symbols husk's kernel does not provide:"; \
		cat $$tmp/extra.txt; exit 1; \
	fi; \
	size -A $$tmp/all.o | awk '$$1 ~ /^\.text/ {t += $$2} $$1 ~ /^\.rodata/ {r += $$2} \
		$$1 ~ /^\.data/ {d += $$2} $$1 ~ /^\.bss/ {b += $$2} \
		END {printf "mbedtls-check: OK: no SSE/x87/MMX; text %d rodata %d data %d bss %d bytes (before --gc-sections)\n", t, r, d, b}'; \
	echo "mbedtls-check: undefined symbols (all provided by husk): $$(tr '\n' ' ' < $$tmp/undef.txt)"
