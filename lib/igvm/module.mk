# lib/igvm: IGVM file format - on-disk definitions, validating reader,
# deterministic writer, whole-file checks, SEV-SNP launch digest and ID block,
# TDX MRTD (image builder, launcher, measure/sign/check tools).
$(eval $(call portable_lib,igvm,lib/igvm/igvm_check.c lib/igvm/igvm_reader.c \
	lib/igvm/igvm_writer.c lib/igvm/igvm_lint.c lib/igvm/igvm_snp.c lib/igvm/igvm_snp_id.c \
	lib/igvm/igvm_tdx.c))
$(eval $(call unit_test,test_igvm,tests/unit/test_igvm.c,igvm crc fmt))
$(eval $(call unit_test,test_igvm_measure,tests/unit/test_igvm_measure.c,igvm crc fmt mbedcrypto))
$(eval $(call fuzz_target,fuzz_igvm_reader,tests/fuzz/fuzz_igvm_reader.c,igvm crc fmt))
$(eval $(call fuzz_target,fuzz_igvm_measure,tests/fuzz/fuzz_igvm_measure.c,igvm crc fmt mbedcrypto))
