# lib/snp: SEV-SNP attestation - the ATTESTATION_REPORT (parse, accessors),
# its verification by a relying party (ECDSA P-384 signature, AMD chain
# ARK -> ASK/ASVK -> VCEK/VLEK, TCB and chip-ID binding), the SNP guest
# request message layer (MSG_REPORT_REQ/RSP, MSG_KEY_REQ/RSP under a VMPCK
# with AES-256-GCM), the report channel over the platform's guest request
# exit (snp_attest.c) and Trustee's `snp` evidence JSON.  Portable; needs
# lib/crypto, mbedTLS and lib/fmt.  docs/snp-attestation.md.
SNP_SRCS := lib/snp/snp_error.c lib/snp/snp_report.c lib/snp/snp_verify.c \
	lib/snp/snp_guest_msg.c lib/snp/snp_evidence.c lib/snp/snp_attest.c
$(eval $(call portable_lib,snp,$(SNP_SRCS)))
# Built with `all` in its kernel flavour so the freestanding build stays checked.
ALL_TARGETS += $(BUILD)/kernel/libsnp.a

# Tests: AMD's upstream reports and certificates and the software PSP model
# (tests/common/snp_psp_model.c) with its test chain, all in tests/data/snp.
SNP_TEST_LIBS := snp crypto mbedcrypto fmt
SNP_MODEL_SRCS := tests/common/snp_psp_model.c
$(eval $(call unit_test,test_snp_report,tests/unit/test_snp_report.c $(SNP_MODEL_SRCS),$(SNP_TEST_LIBS)))
$(eval $(call unit_test,test_snp_guest_msg,tests/unit/test_snp_guest_msg.c $(SNP_MODEL_SRCS),$(SNP_TEST_LIBS)))
$(eval $(call unit_test,test_snp_evidence,tests/unit/test_snp_evidence.c $(SNP_MODEL_SRCS),$(SNP_TEST_LIBS)))
# The report channel against the PSP model, alone and as the attest_report
# op of lib/svsm's model platform (the whole ATTEST_SERVICES path).
$(eval $(call unit_test,test_snp_attest,tests/unit/test_snp_attest.c $(SNP_MODEL_SRCS) tests/common/svsm_model.c,svsm $(SNP_TEST_LIBS)))
$(eval $(call fuzz_target,fuzz_snp_report,tests/fuzz/fuzz_snp_report.c,$(SNP_TEST_LIBS)))
$(eval $(call fuzz_target,fuzz_snp_guest_msg,tests/fuzz/fuzz_snp_guest_msg.c,$(SNP_TEST_LIBS)))
