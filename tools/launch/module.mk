# tools/launch: husk-launch, the QEMU launcher that acts as husk's IGVM loader.
HUSK_LAUNCH := $(BUILD)/host/tools/husk-launch

$(HUSK_LAUNCH): $(BUILD)/host/tools/launch/husk-launch.o $(BUILD)/host/libigvm.a $(BUILD)/host/libcrc.a $(BUILD)/host/libfmt.a
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(HOSTCC) -o $@ $^

ALL_TARGETS += $(HUSK_LAUNCH)
