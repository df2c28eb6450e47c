/* CRC-32 as the IGVM checksum and the KBS proxy frames use it: the common
 * reflected CRC-32 (poly
 * 0xEDB88320, initial value and final xor 0xFFFFFFFF; zlib's and crc32fast's),
 * which checks "123456789" to 0xCBF43926. */
#ifndef HUSK_CRC_CRC32_H
#define HUSK_CRC_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* Incremental, zlib-style: start with crc = 0 and feed the result of one call
 * into the next; the value returned is always the finished CRC of everything
 * fed so far, so no separate init or final step exists. */
uint32_t husk_crc32_update(uint32_t crc, const void *data, size_t len);

/* The CRC of one buffer. */
static inline uint32_t husk_crc32(const void *data, size_t len)
{
	return husk_crc32_update(0, data, len);
}

#endif
