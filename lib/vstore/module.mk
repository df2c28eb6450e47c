# lib/vstore: the vTPM state sealed (HKDF-SHA-256, AES-256-GCM, A/B slots with a
# version counter) onto an untrusted block device.  Portable: the kernel links
# build/kernel/libvstore.a.  vstore_memdev.c (an in-memory device with fault
# injection) is not in the library; the tests and the fuzzer compile it in.
# See docs/storage.md.
$(eval $(call portable_lib,vstore,lib/vstore/vstore.c))
# Built with `all` in its kernel flavour whether or not an image links it,
# so that the freestanding build stays warning-free.
ALL_TARGETS += $(BUILD)/kernel/libvstore.a

VSTORE_TEST_SRCS := lib/vstore/vstore_memdev.c
VSTORE_TEST_LIBS := vstore crypto mbedcrypto fmt
$(eval $(call unit_test,test_vstore_api,tests/unit/test_vstore_api.c $(VSTORE_TEST_SRCS),$(VSTORE_TEST_LIBS)))
$(eval $(call unit_test,test_vstore_faults,tests/unit/test_vstore_faults.c $(VSTORE_TEST_SRCS),$(VSTORE_TEST_LIBS)))
$(eval $(call fuzz_target,fuzz_vstore,tests/fuzz/fuzz_vstore.c $(VSTORE_TEST_SRCS),$(VSTORE_TEST_LIBS)))
