# lib/tpm: husk's TPM 2.0 engine (portable: kernel and hosted).
TPM_SRCS := $(sort $(wildcard lib/tpm/*.c))
$(eval $(call portable_lib,tpm,$(TPM_SRCS)))

# What the unit tests and the host tools (tools/tpm-*) share, in tests/common:
# husk's engine hosted and the command builder; libtpms as the reference TPM
# (link -ltpms); the unit tests' fixture with both.
TPM_HOST_SRCS := tests/common/tpm_host.c tests/common/tpmcmd.c
TPM_LIBTPMS_SRCS := tests/common/libtpms_ref.c
TPM_FIXTURE_SRCS := $(TPM_HOST_SRCS) $(TPM_LIBTPMS_SRCS) tests/common/tpm_fixture.c
TPM_TEST_LIBS := tpm crypto mbedcrypto fmt
TPM_HOST_LIBS := $(foreach l,$(TPM_TEST_LIBS),$(BUILD)/host/lib$(l).a)

# A host tool linked with husk's engine and libtpms: $(1) = the binary,
# $(2) = its objects.
define tpm_host_tool
ALL_TARGETS += $(1)
$(1): $(2) $(TPM_HOST_LIBS)
	@mkdir -p $$(@D)
	@echo "  LD      $$@"
	$(Q)$(HOSTCC) -o $$@ $(2) $(TPM_HOST_LIBS) -ltpms
endef

# A unit test of lib/tpm that compares with libtpms: $(1) = the module.
define tpm_fixture_test
$$(eval $$(call unit_test,test_tpm_$(1),tests/unit/test_tpm_$(1).c $(TPM_FIXTURE_SRCS),$(TPM_TEST_LIBS)))
test_tpm_$(1)_LDLIBS := -ltpms
endef

$(eval $(call unit_test,test_tpm_defs,tests/unit/test_tpm_defs.c tests/unit/test_tpm_defs_tss2.c,))
$(eval $(call unit_test,test_tpm_dispatch,tests/unit/test_tpm_dispatch.c $(TPM_HOST_SRCS),$(TPM_TEST_LIBS)))
$(eval $(call unit_test,test_tpm_state,tests/unit/test_tpm_state.c $(TPM_HOST_SRCS),$(TPM_TEST_LIBS)))
$(eval $(call unit_test,test_tpm_primary_cache,tests/unit/test_tpm_primary_cache.c $(TPM_HOST_SRCS),$(TPM_TEST_LIBS)))
$(eval $(call fuzz_target,fuzz_tpm,tests/fuzz/fuzz_tpm.c $(TPM_HOST_SRCS),$(TPM_TEST_LIBS)))
$(foreach t,hash nv asym pcr hier object policy cap attest,$(eval $(call tpm_fixture_test,$(t))))
$(eval $(call unit_test,test_tpm_marshal,tests/unit/test_tpm_marshal.c,$(TPM_TEST_LIBS)))
