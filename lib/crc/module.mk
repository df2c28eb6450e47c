# lib/crc: CRC-32 (IGVM checksums, the KBS proxy's frames).  Portable.
$(eval $(call portable_lib,crc,lib/crc/crc32.c))
