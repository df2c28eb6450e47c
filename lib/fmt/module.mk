# lib/fmt: printf-style formatter (kernel console, mbedTLS's snprintf).
$(eval $(call portable_lib,fmt,lib/fmt/fmt.c))
$(eval $(call unit_test,test_fmt,tests/unit/test_fmt.c,fmt))
