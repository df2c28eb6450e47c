# lib/igvm: IGVM file format - on-disk definitions, CRC-32, validating reader
# and deterministic writer (image builder, launcher, measure/sign/check tools).
$(eval $(call portable_lib,igvm,lib/igvm/crc32.c lib/igvm/igvm_check.c lib/igvm/igvm_reader.c lib/igvm/igvm_writer.c))
$(eval $(call unit_test,test_igvm,tests/unit/test_igvm.c,igvm fmt))
$(eval $(call fuzz_target,fuzz_igvm_reader,tests/fuzz/fuzz_igvm_reader.c,igvm fmt))
