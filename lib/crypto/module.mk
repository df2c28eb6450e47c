# lib/crypto: portable glue around mbedTLS (allocator, DRBG, known-answer self-tests).
# mbedTLS itself is the portable library `mbedcrypto` (mk/mbedtls.mk).
$(eval $(call portable_lib,crypto,lib/crypto/crypto.c lib/crypto/selftest.c))

# SHA-1/SHA-256 block functions for mbedTLS (MBEDTLS_SHA{1,256}_PROCESS_ALT,
# set by husk_mbedtls_config.h in hosted x86-64 builds): SHA-NI with a
# portable fallback.  The object goes into the hosted libmbedcrypto.a itself,
# so mbedTLS' sha1.o/sha256.o find it whatever the link order; the kernel's
# archive never gets it (no SSE in the kernel; `make mbedtls-check`).
# On other architectures the file compiles to an empty object.
$(foreach v,host hostsan fuzz,$(eval $(BUILD)/$(v)/libmbedcrypto.a: $(BUILD)/$(v)/lib/crypto/sha_x86.o))

$(eval $(call unit_test,test_crypto,tests/unit/test_crypto.c,crypto mbedcrypto))
$(eval $(call unit_test,test_sha_x86,tests/unit/test_sha_x86.c,crypto mbedcrypto))
