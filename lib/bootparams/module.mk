# lib/bootparams: validation of the boot parameter page and VMM-provided parameters.
$(eval $(call portable_lib,bootparams,lib/bootparams/bootparams.c))
$(eval $(call unit_test,test_bootparams,tests/unit/test_bootparams.c,bootparams fmt))
$(eval $(call fuzz_target,fuzz_bootparams,tests/fuzz/fuzz_bootparams.c,bootparams fmt))
