# lib/libc: freestanding string functions and shim headers for the kernel build.
# (Only the kernel archive is used; hosted builds use the system libc.)
$(eval $(call portable_lib,libc,lib/libc/string.c))
