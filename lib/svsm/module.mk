# lib/svsm: the SVSM protocols (calling-area handshake, core and vTPM
# and attestation protocols, vCPU registry) and the software RMP model of the svm platform.
# Portable: the kernel links build/kernel/libsvsm.a; the unit tests, the
# fuzzer and tools/svsm-bench share the model platform in tests/common.
SVSM_SRCS := lib/svsm/svsm_call.c lib/svsm/svsm_core.c lib/svsm/svsm_pvalidate.c \
	lib/svsm/svsm_vcpu.c lib/svsm/svsm_vtpm.c lib/svsm/svsm_attest.c lib/svsm/svsm_rmp.c
$(eval $(call portable_lib,svsm,$(SVSM_SRCS)))
# Built with `all` in its kernel flavour whether or not an image links it,
# so that the freestanding build stays warning-free.
ALL_TARGETS += $(BUILD)/kernel/libsvsm.a

SVSM_MODEL_SRCS := tests/common/svsm_model.c
$(eval $(call unit_test,test_svsm_core,tests/unit/test_svsm_core.c $(SVSM_MODEL_SRCS),svsm mbedcrypto))
$(eval $(call unit_test,test_svsm_pvalidate,tests/unit/test_svsm_pvalidate.c $(SVSM_MODEL_SRCS),svsm mbedcrypto))
$(eval $(call unit_test,test_svsm_vcpu,tests/unit/test_svsm_vcpu.c $(SVSM_MODEL_SRCS),svsm mbedcrypto))
test_svsm_vcpu_LDLIBS := -lpthread
$(eval $(call unit_test,test_svsm_vtpm,tests/unit/test_svsm_vtpm.c $(SVSM_MODEL_SRCS),svsm mbedcrypto))
$(eval $(call unit_test,test_svsm_attest,tests/unit/test_svsm_attest.c $(SVSM_MODEL_SRCS),svsm mbedcrypto))
$(eval $(call unit_test,test_svsm_rmp,tests/unit/test_svsm_rmp.c,svsm mbedcrypto))
test_svsm_rmp_LDLIBS := -lpthread
$(eval $(call fuzz_target,fuzz_svsm,tests/fuzz/fuzz_svsm.c $(SVSM_MODEL_SRCS),svsm mbedcrypto))
