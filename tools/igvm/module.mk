# tools/igvm: husk-igvm, the IGVM builder (and later measure/sign/dump/check).
HUSK_IGVM_SRCS := tools/igvm/main.c tools/igvm/config.c tools/igvm/elf.c \
	tools/igvm/layout.c tools/igvm/emit.c
HUSK_IGVM := $(BUILD)/host/tools/husk-igvm

$(HUSK_IGVM): $(patsubst %.c,$(BUILD)/host/%.o,$(HUSK_IGVM_SRCS)) $(BUILD)/host/libigvm.a \
		$(BUILD)/host/libpt.a $(BUILD)/host/libfmt.a
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(HOSTCC) -o $@ $^

# The IGVM files: production and test kernels for each target description.
IGVM_TARGETS := native
define igvm_image
$(BUILD)/husk-$(1).igvm: $(HUSK_IGVM) $(BUILD)/kernel/husk.elf configs/$(1).conf $(VERSION_FILE)
	@echo "  IGVM    $$@"
	$(Q)$(HUSK_IGVM) build --config configs/$(1).conf --kernel $(BUILD)/kernel/husk.elf \
		--version "$$$$(cat $(VERSION_FILE))" -o $$@ >$$@.log
$(BUILD)/husk-test-$(1).igvm: $(HUSK_IGVM) $(BUILD)/kernel-test/husk.elf configs/$(1).conf $(VERSION_FILE)
	@echo "  IGVM    $$@"
	$(Q)$(HUSK_IGVM) build --config configs/$(1).conf --kernel $(BUILD)/kernel-test/husk.elf \
		--version "$$$$(cat $(VERSION_FILE)) test" -o $$@ >$$@.log
ALL_TARGETS += $(BUILD)/husk-$(1).igvm $(BUILD)/husk-test-$(1).igvm
endef
$(foreach t,$(IGVM_TARGETS),$(eval $(call igvm_image,$(t))))
ALL_TARGETS += $(HUSK_IGVM)
