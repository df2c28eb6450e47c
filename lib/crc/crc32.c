/* CRC-32 for the IGVM checksum, the writer's page dedup hash and the KBS
 * proxy frames.  A 16-entry
 * (nibble) table keeps it small enough for the kernel build while still far
 * faster than bit-at-a-time; IGVM only checksums its headers, so speed is
 * not critical. */
#include "crc/crc32.h"

/* crc_table[i] = CRC register after shifting the 4 bits of i through the
 * reflected polynomial 0xEDB88320. */
static const uint32_t crc_table[16] = {
	0x00000000, 0x1db71064, 0x3b6e20c8, 0x26d930ac, 0x76dc4190, 0x6b6b51f4,
	0x4db26158, 0x5005713c, 0xedb88320, 0xf00f9344, 0xd6d6a3e8, 0xcb61b38c,
	0x9b64c2b0, 0x86d3d2d4, 0xa00ae278, 0xbdbdf21c,
};

uint32_t husk_crc32_update(uint32_t crc, const void *data, size_t len)
{
	const uint8_t *p = data;

	/* Undo the previous call's final xor to get the running register back. */
	crc = ~crc;
	for (size_t i = 0; i < len; i++) {
		crc ^= p[i];
		crc = (crc >> 4) ^ crc_table[crc & 0xf];
		crc = (crc >> 4) ^ crc_table[crc & 0xf];
	}
	return ~crc;
}
