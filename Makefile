# husk — top-level build.  `make` builds everything, `make run` boots husk,
# `make test` runs every test level.  See README.md and docs/build.md.

BUILD ?= build
V ?= 0
ifeq ($(V),0)
Q := @
else
Q :=
endif

.DEFAULT_GOAL := all
.DELETE_ON_ERROR:
.SUFFIXES:

include mk/toolchain.mk
include mk/rules.mk
include mk/deps.mk
include mk/mbedtls.mk
include $(sort $(wildcard lib/*/module.mk))
include kernel/module.mk
include guest/module.mk
include $(sort $(wildcard tools/*/module.mk))
include tests/module.mk

.PHONY: all clean distclean
all: $(ALL_TARGETS)

clean:
	rm -rf $(BUILD)

distclean: clean
	rm -rf third_party/mbedtls-* third_party/*.tar.* third_party/*.stamp

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
