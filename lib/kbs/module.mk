# lib/kbs: the KBS client core (Trustee's KBS protocol 0.4.0 through an
# abstract transport): JSON over jsmn, strict base64, the messages, the
# runtime-data binding, the ephemeral key, JWE decryption and the session.
# Portable; docs/kbs.md.
KBS_SRCS := lib/kbs/kbs_util.c lib/kbs/kbs_b64.c lib/kbs/kbs_json.c lib/kbs/kbs_jcs.c \
	lib/kbs/kbs_msg.c lib/kbs/kbs_evidence.c lib/kbs/kbs_jwe.c lib/kbs/kbs_session.c
$(eval $(call portable_lib,kbs,$(KBS_SRCS)))
# Built with `all` in its kernel flavour whether or not an image links it,
# so that the freestanding build stays warning-free.
ALL_TARGETS += $(BUILD)/kernel/libkbs.a

# jsmn is header-only (Debian's libjsmn-dev).  The kernel build cannot use
# -I/usr/include (it would pull in glibc's headers), so the one header is
# copied into the build tree and only lib/kbs's objects, and the tests and
# fuzzers that include lib/kbs/kbs_json.h, get that directory on their
# include path.
KBS_JSMN_SRC := /usr/include/jsmn.h
KBS_JSMN_DIR := $(BUILD)/include-jsmn
KBS_JSMN_H := $(KBS_JSMN_DIR)/jsmn.h

$(KBS_JSMN_H): $(KBS_JSMN_SRC)
	@mkdir -p $(@D)
	@echo "  CP      $@"
	$(Q)cp $< $@

$(BUILD)/kernel/lib/kbs/%: KCFLAGS_EXTRA += -I$(KBS_JSMN_DIR)
$(foreach v,host hostsan fuzz,$(eval $(BUILD)/$(v)/lib/kbs/%: HOSTCFLAGS_EXTRA += -I$(KBS_JSMN_DIR)))
$(BUILD)/hostsan/tests/unit/test_kbs_%: HOSTCFLAGS_EXTRA += -I$(KBS_JSMN_DIR)
$(BUILD)/fuzz/tests/fuzz/fuzz_kbs_%: HOSTCFLAGS_EXTRA += -I$(KBS_JSMN_DIR)

KBS_TEST_SRCS := $(wildcard tests/unit/test_kbs_*.c)
KBS_FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_kbs_*.c)
$(foreach v,kernel host hostsan fuzz,$(patsubst %.c,$(BUILD)/$(v)/%.o,$(KBS_SRCS))): | $(KBS_JSMN_H)
$(patsubst %.c,$(BUILD)/hostsan/%.o,$(KBS_TEST_SRCS)) $(patsubst %.c,$(BUILD)/fuzz/%.o,$(KBS_FUZZ_SRCS)): | $(KBS_JSMN_H)

KBS_LIBS := kbs mbedcrypto fmt
$(eval $(call unit_test,test_kbs_json,tests/unit/test_kbs_json.c,$(KBS_LIBS)))
$(eval $(call unit_test,test_kbs_msg,tests/unit/test_kbs_msg.c,$(KBS_LIBS)))
$(eval $(call unit_test,test_kbs_jwe,tests/unit/test_kbs_jwe.c,$(KBS_LIBS)))
$(eval $(call unit_test,test_kbs_session,tests/unit/test_kbs_session.c,$(KBS_LIBS)))
$(eval $(call fuzz_target,fuzz_kbs_json,tests/fuzz/fuzz_kbs_json.c,$(KBS_LIBS)))
$(eval $(call fuzz_target,fuzz_kbs_jwe,tests/fuzz/fuzz_kbs_jwe.c,$(KBS_LIBS)))
