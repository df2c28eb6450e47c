# Host dependencies: Debian packages (scripts/deps.sh) and the mbedTLS source
# (scripts/fetch-mbedtls.sh).  Both run once per build tree; `make deps` forces.

DEPS_STAMP := $(BUILD)/.deps.stamp

$(DEPS_STAMP): scripts/deps.sh
	@mkdir -p $(@D)
	$(Q)scripts/deps.sh
	@touch $@

.PHONY: deps
deps:
	$(Q)scripts/deps.sh
	@mkdir -p $(BUILD) && touch $(DEPS_STAMP)

# Check once per build tree, at parse time, so that a fresh machine gets its
# packages before anything compiles (and before mbedtls.mk looks for sources).
ifeq ($(filter clean distclean deps,$(MAKECMDGOALS)),)
ifeq ($(wildcard $(DEPS_STAMP)),)
DEPS_RC := $(shell scripts/deps.sh 1>&2; echo $$?)
ifneq ($(DEPS_RC),0)
$(error husk: host dependencies are missing (see the message above))
endif
$(shell mkdir -p $(BUILD) && touch $(DEPS_STAMP))
endif
endif
