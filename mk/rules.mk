# Generic compile rules and the templates modules use to declare themselves.
#
# A portable library lib/NAME declares itself in lib/NAME/module.mk with
#   $(eval $(call portable_lib,NAME,SOURCES))
# and gets build/{kernel,host,hostsan,fuzz}/libNAME.a.
# A unit test declares itself with
#   $(eval $(call unit_test,TESTNAME,SOURCES,LIBS))
# (cmocka, ASan+UBSan) and a fuzz target with
#   $(eval $(call fuzz_target,NAME,SOURCES,LIBS))

ALL_TARGETS :=
PORTABLE_LIBS :=
UNIT_TESTS :=
FUZZ_TARGETS :=

$(BUILD)/kernel/%.o: %.c
	@mkdir -p $(@D)
	@echo "  KCC     $<"
	$(Q)$(KCC) $(KCFLAGS) $(KCFLAGS_EXTRA) -MMD -MP -c $< -o $@

$(BUILD)/kernel/%.o: %.S
	@mkdir -p $(@D)
	@echo "  KAS     $<"
	$(Q)$(KCC) $(KASFLAGS) $(KCFLAGS_EXTRA) -MMD -MP -c $< -o $@

$(BUILD)/host/%.o: %.c
	@mkdir -p $(@D)
	@echo "  HOSTCC  $<"
	$(Q)$(HOSTCC) $(HOSTCFLAGS) $(HOSTCFLAGS_EXTRA) -MMD -MP -c $< -o $@

$(BUILD)/hostsan/%.o: %.c
	@mkdir -p $(@D)
	@echo "  SANCC   $<"
	$(Q)$(HOSTCC) $(HOSTSAN_CFLAGS) $(HOSTCFLAGS_EXTRA) -MMD -MP -c $< -o $@

$(BUILD)/fuzz/%.o: %.c
	@mkdir -p $(@D)
	@echo "  FUZZCC  $<"
	$(Q)$(FUZZCC) $(FUZZ_CFLAGS) $(HOSTCFLAGS_EXTRA) -MMD -MP -c $< -o $@

%.a:
	@mkdir -p $(@D)
	@echo "  AR      $@"
	$(Q)rm -f $@ && $(AR) rcs $@ $^

# $(1) = name, $(2) = sources
define portable_lib
PORTABLE_LIBS += $(1)
$(1)_SRCS := $(2)
$(BUILD)/kernel/lib$(1).a: $$(patsubst %.c,$(BUILD)/kernel/%.o,$(2))
$(BUILD)/host/lib$(1).a: $$(patsubst %.c,$(BUILD)/host/%.o,$(2))
$(BUILD)/hostsan/lib$(1).a: $$(patsubst %.c,$(BUILD)/hostsan/%.o,$(2))
$(BUILD)/fuzz/lib$(1).a: $$(patsubst %.c,$(BUILD)/fuzz/%.o,$(2))
endef

# $(1) = test name, $(2) = sources, $(3) = portable libs (link order)
define unit_test
UNIT_TESTS += $(1)
ALL_TARGETS += $(BUILD)/hostsan/tests/$(1)
$(BUILD)/hostsan/tests/$(1): $$(patsubst %.c,$(BUILD)/hostsan/%.o,$(2)) $$(foreach l,$(3),$(BUILD)/hostsan/lib$$(l).a)
	@mkdir -p $$(@D)
	@echo "  LD      $$@"
	$(Q)$(HOSTCC) $(HOSTSAN_LDFLAGS) -o $$@ $$^ $$($(1)_LDLIBS) -lcmocka
endef

# $(1) = fuzz target name, $(2) = sources, $(3) = portable libs
define fuzz_target
FUZZ_TARGETS += $(1)
$(BUILD)/fuzz/$(1): $$(patsubst %.c,$(BUILD)/fuzz/%.o,$(2)) $$(foreach l,$(3),$(BUILD)/fuzz/lib$$(l).a)
	@mkdir -p $$(@D)
	@echo "  FUZZLD  $$@"
	$(Q)$(FUZZCC) $(FUZZ_LDFLAGS) -o $$@ $$^ $$($(1)_LDLIBS)
endef
