# tools/igvm: husk-igvm (build, measure, sign, dump, check) and the IGVM files
# of every target in configs/.
HUSK_IGVM_SRCS := tools/igvm/main.c tools/igvm/build.c tools/igvm/config.c tools/igvm/elf.c \
	tools/igvm/layout.c tools/igvm/emit.c tools/igvm/measure.c tools/igvm/dump.c \
	tools/igvm/check.c tools/igvm/pem.c tools/igvm/json.c tools/igvm/util.c
HUSK_IGVM := $(BUILD)/host/tools/husk-igvm

$(HUSK_IGVM): $(patsubst %.c,$(BUILD)/host/%.o,$(HUSK_IGVM_SRCS)) $(BUILD)/host/libigvm.a \
		$(BUILD)/host/libcrc.a $(BUILD)/host/libpt.a $(BUILD)/host/libfmt.a $(BUILD)/host/libmbedcrypto.a
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(HOSTCC) -o $@ $^

# The IGVM files: one per target description.  native also gets a test-kernel
# image (what the in-kernel tests boot); svm carries the test guest (guest/)
# as its payload; snp and tdx are built, checked and measured but husk has
# no platform code for them yet.
IGVM_TARGETS := native svm snp tdx multi
IGVM_PAYLOAD_svm := $(GUEST_BIN)
define igvm_image
$(BUILD)/husk-$(1).igvm: $(HUSK_IGVM) $(BUILD)/kernel/husk.elf configs/$(1).conf $(VERSION_FILE) \
		$(IGVM_PAYLOAD_$(1))
	@echo "  IGVM    $$@"
	$(Q)$(HUSK_IGVM) build --config configs/$(1).conf --kernel $(BUILD)/kernel/husk.elf \
		$(if $(IGVM_PAYLOAD_$(1)),--payload $(IGVM_PAYLOAD_$(1))) \
		--version "$$$$(cat $(VERSION_FILE))" -o $$@ >$$@.log
	$(Q)sed -n 's/^svm self-measurement: //p' $$@.log >$(BUILD)/husk-$(1).measurement
ALL_TARGETS += $(BUILD)/husk-$(1).igvm
endef
$(foreach t,$(IGVM_TARGETS),$(eval $(call igvm_image,$(t))))

$(BUILD)/husk-test-native.igvm: $(HUSK_IGVM) $(BUILD)/kernel-test/husk.elf configs/native.conf $(VERSION_FILE)
	@echo "  IGVM    $@"
	$(Q)$(HUSK_IGVM) build --config configs/native.conf --kernel $(BUILD)/kernel-test/husk.elf \
		--version "$$(cat $(VERSION_FILE)) test" -o $@ >$@.log
ALL_TARGETS += $(BUILD)/husk-test-native.igvm

# husk's SEV-SNP launch digest, as a KVM/QEMU host computes it, for 1 and 4
# vCPUs (EPYC vCPU model, upstream KVM's reset-state VMSAs for the APs).
$(BUILD)/husk-snp.digest: $(BUILD)/husk-snp.igvm $(HUSK_IGVM)
	$(Q){ echo "1 $$($(HUSK_IGVM) measure --check-kvm --quiet --vcpus 1 $<)"; \
	      echo "4 $$($(HUSK_IGVM) measure --check-kvm --quiet --vcpus 4 $<)"; } >$@.tmp
	$(Q)! grep -qv '^[14] [0-9a-f]\{96\}$$' $@.tmp && mv $@.tmp $@
.PHONY: snp-digest
snp-digest: $(BUILD)/husk-snp.digest
	@while read n d; do echo "  SNP     husk-snp.igvm launch digest ($$n vCPU): $$d"; done <$<
ALL_TARGETS += snp-digest

ALL_TARGETS += $(HUSK_IGVM)

# Unit tests and fuzz target of the PEM key parser (a parser of files the
# user hands to `sign`).
$(eval $(call unit_test,test_igvm_pem,tests/unit/test_igvm_pem.c tools/igvm/pem.c,igvm fmt mbedcrypto))
$(eval $(call fuzz_target,fuzz_igvm_pem,tests/fuzz/fuzz_igvm_pem.c tools/igvm/pem.c,mbedcrypto))
