# lib/crypto: portable glue around mbedTLS (allocator, DRBG, known-answer self-tests).
# mbedTLS itself is the portable library `mbedcrypto` (mk/mbedtls.mk).
$(eval $(call portable_lib,crypto,lib/crypto/crypto.c lib/crypto/selftest.c))

$(eval $(call unit_test,test_crypto,tests/unit/test_crypto.c,crypto mbedcrypto))
