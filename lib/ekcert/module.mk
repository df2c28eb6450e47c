# lib/ekcert: EK certificates issued inside husk (TCG EK Credential Profile)
# for the vTPM's endorsement keys, signed by a CA husk is given, and their
# provisioning into the TPM's NV indexes.  Portable; uses mbedTLS's X.509
# writer and lib/tpm (TPMT_PUBLIC unmarshalling, EK derivation, NV).
# docs/ekcert.md.
EKCERT_SRCS := lib/ekcert/ekcert.c lib/ekcert/ekcert_tpm.c
$(eval $(call portable_lib,ekcert,$(EKCERT_SRCS)))
# Built with `all` in its kernel flavour whether or not an image links it,
# so that the freestanding build stays warning-free.
ALL_TARGETS += $(BUILD)/kernel/libekcert.a

# The tests drive husk's engine hosted (tests/common; lib/tpm/module.mk's
# TPM_HOST_SRCS, which is not defined yet when this file is read).
EKCERT_TEST_LIBS := ekcert tpm crypto mbedcrypto fmt
EKCERT_TEST_SRCS := tests/unit/test_ekcert_fixtures.c tests/common/tpm_host.c tests/common/tpmcmd.c
$(eval $(call unit_test,test_ekcert,tests/unit/test_ekcert.c $(EKCERT_TEST_SRCS),$(EKCERT_TEST_LIBS)))
$(eval $(call unit_test,test_ekcert_provision,tests/unit/test_ekcert_provision.c $(EKCERT_TEST_SRCS),$(EKCERT_TEST_LIBS)))
$(eval $(call fuzz_target,fuzz_ekcert,tests/fuzz/fuzz_ekcert.c tests/unit/test_ekcert_fixtures.c,$(EKCERT_TEST_LIBS)))
