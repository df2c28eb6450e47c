# lib/tpm: husk's TPM 2.0 engine (portable: kernel and hosted).
TPM_SRCS := $(sort $(wildcard lib/tpm/*.c))
$(eval $(call portable_lib,tpm,$(TPM_SRCS)))
$(eval $(call unit_test,test_tpm_defs,tests/unit/test_tpm_defs.c tests/unit/test_tpm_defs_tss2.c,))
TPM_TEST_LIBS := tpm crypto mbedcrypto fmt
$(eval $(call unit_test,test_tpm_dispatch,tests/unit/test_tpm_dispatch.c tests/common/tpm_host.c,$(TPM_TEST_LIBS)))
$(eval $(call unit_test,test_tpm_state,tests/unit/test_tpm_state.c tests/common/tpm_host.c,$(TPM_TEST_LIBS)))
$(eval $(call fuzz_target,fuzz_tpm,tests/fuzz/fuzz_tpm.c tests/common/tpm_host.c,tpm crypto mbedcrypto fmt))
$(eval $(call unit_test,test_tpm_hash,tests/unit/test_tpm_hash.c tests/common/tpm_host.c tests/common/tpm_libtpms.c,$(TPM_TEST_LIBS)))
test_tpm_hash_LDLIBS := -ltpms
$(eval $(call unit_test,test_tpm_nv,tests/unit/test_tpm_nv.c tests/common/tpm_host.c tests/common/tpm_dual.c,$(TPM_TEST_LIBS)))
test_tpm_nv_LDLIBS := -ltpms
$(eval $(call unit_test,test_tpm_asym,tests/unit/test_tpm_asym.c tests/common/tpm_host.c tests/common/tpm_libtpms.c,$(TPM_TEST_LIBS)))
test_tpm_asym_LDLIBS := -ltpms
$(eval $(call unit_test,test_tpm_pcr,tests/unit/test_tpm_pcr.c tests/common/tpm_host.c tests/common/tpm_libtpms.c,$(TPM_TEST_LIBS)))
test_tpm_pcr_LDLIBS := -ltpms
$(eval $(call unit_test,test_tpm_hier,tests/unit/test_tpm_hier.c tests/common/tpm_host.c tests/common/tpm_dual.c,$(TPM_TEST_LIBS)))
test_tpm_hier_LDLIBS := -ltpms
$(eval $(call unit_test,test_tpm_object,tests/unit/test_tpm_object.c tests/common/tpm_host.c tests/common/tpm_libtpms.c,$(TPM_TEST_LIBS)))
test_tpm_object_LDLIBS := -ltpms
$(eval $(call unit_test,test_tpm_policy,tests/unit/test_tpm_policy.c tests/common/tpm_host.c tests/common/tpm_libtpms.c,$(TPM_TEST_LIBS)))
test_tpm_policy_LDLIBS := -ltpms
$(eval $(call unit_test,test_tpm_cap,tests/unit/test_tpm_cap.c tests/common/tpm_host.c tests/common/tpm_libtpms.c,$(TPM_TEST_LIBS)))
test_tpm_cap_LDLIBS := -ltpms
$(eval $(call unit_test,test_tpm_attest,tests/unit/test_tpm_attest.c tests/common/tpm_host.c tests/common/tpm_libtpms.c,$(TPM_TEST_LIBS)))
test_tpm_attest_LDLIBS := -ltpms
$(eval $(call unit_test,test_tpm_marshal,tests/unit/test_tpm_marshal.c,tpm crypto mbedcrypto fmt))
