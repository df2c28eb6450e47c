/* libFuzzer target for lib/vstore: device contents a hostile host could
 * present, loaded with a fixed key and identity.  Never a crash, never a
 * request outside the device, and the answers must make sense:
 *
 * Byte 0 picks the mode and the load's parameters:
 *   bit 0 = 0  raw: the rest of the input is the device, sector by sector
 *              (the last one zero-padded).  Whatever load says, a device it
 *              accepts (HUSK_OK or "empty") must take a save and load it
 *              back; one it refuses must refuse a save.
 *   bit 0 = 1  mutated: a valid device is built (format for 1 KiB, then
 *              byte 1 % 4 saves of known blobs), then the rest of the input
 *              is edits {u16 offset, u8 xor}.  A load must return one of
 *              the blobs written, with its own counter, or refuse.
 *   bits 1-2   the load's buffer: all of it, 0, 100 or 600 bytes.
 *   bits 3-4   min_counter: 0, 1, 2 or UINT64_MAX. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "husk/err.h"
#include "vstore/vstore.h"
#include "vstore/vstore_memdev.h"

#define SECTOR VSTORE_SECTOR_SIZE
#define MAX_SECTORS 64u
#define CAP 1024u
#define MAX_SAVES 3u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t key[32] = "husk fuzz root secret, fixed...";
static const char ident[] = "fuzz-identity";

static int fuzz_rng(void *ctx, uint8_t *buf, size_t len)
{
	uint64_t *s = ctx;
	size_t i;

	for (i = 0; i < len; i++) {
		*s = *s * 6364136223846793005ull + 1442695040888963407ull;
		buf[i] = (uint8_t)(*s >> 56);
	}
	return 0;
}

static void blob_for(uint8_t *p, size_t n, unsigned int which)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 29u + which * 101u);
}

static size_t blob_len(unsigned int which)
{
	static const size_t lens[MAX_SAVES] = { 600, 1024, 77 };

	return lens[which];
}

static void check(bool ok)
{
	if (!ok)
		__builtin_trap();
}

/* A device load accepted must go on working: save, then load it back. */
static void save_and_reload(struct vstore *vs, struct vstore_memdev *md, uint64_t *rng)
{
	static uint8_t in[SECTOR * MAX_SECTORS], out[SECTOR * MAX_SECTORS];
	uint64_t c1 = 0, c2 = 0;
	size_t len = vs->data_sectors * (size_t)SECTOR / 2 + 3, got = 0;
	int rc;

	if (len > vs->data_sectors * (size_t)SECTOR)
		len = vs->data_sectors * (size_t)SECTOR;
	blob_for(in, len, 7);
	rc = vstore_save(vs, in, len, &c1);
	check(rc == HUSK_OK);
	check(!md->out_of_range);
	check(vstore_init(vs, &md->dev, key, sizeof(key), ident, strlen(ident), fuzz_rng, rng) == HUSK_OK);
	rc = vstore_load(vs, c1, out, sizeof(out), &got, &c2);
	check(rc == HUSK_OK && c2 == c1 && got == len && memcmp(in, out, len) == 0);
	check(!md->out_of_range);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool inited;
	static uint8_t out[SECTOR * MAX_SECTORS], want[CAP];
	static const size_t maxes[4] = { sizeof(out), 0, 100, 600 };
	static const uint64_t mins[4] = { 0, 1, 2, UINT64_MAX };
	static struct vstore vs;
	struct vstore_memdev md;
	uint64_t rng = 0x5eed, counter = 0, c, written[MAX_SAVES];
	size_t max, len = 0, i;
	uint64_t min_counter;
	unsigned int saves = 0;
	int rc;

	if (!inited) {
		if (crypto_init(calloc, free) != HUSK_OK)
			abort();
		inited = true;
	}
	if (size < 1)
		return 0;
	max = maxes[(data[0] >> 1) & 3];
	min_counter = mins[(data[0] >> 3) & 3];

	if ((data[0] & 1) == 0) {
		size_t bytes = size - 1;
		uint64_t sectors = (bytes + SECTOR - 1) / SECTOR;

		if (sectors > MAX_SECTORS)
			return 0;
		if (!vstore_memdev_init(&md, sectors, false))
			return 0;
		memcpy(md.disk, data + 1, bytes);
	} else {
		if (size < 2 || !vstore_memdev_init(&md, VSTORE_DEVICE_SECTORS(CAP), false))
			return 0;
		check(vstore_init(&vs, &md.dev, key, sizeof(key), ident, strlen(ident), fuzz_rng, &rng) ==
		      HUSK_OK);
		check(vstore_format(&vs, CAP, 0) == HUSK_OK);
		saves = data[1] % (MAX_SAVES + 1);
		for (i = 0; i < saves; i++) {
			blob_for(want, blob_len((unsigned int)i), (unsigned int)i);
			check(vstore_save(&vs, want, blob_len((unsigned int)i), &written[i]) == HUSK_OK);
		}
		for (i = 2; i + 3 <= size; i += 3) {
			size_t at = ((size_t)data[i] | (size_t)data[i + 1] << 8) % (md.sectors * SECTOR);

			md.disk[at] ^= data[i + 2];
		}
	}

	check(vstore_init(&vs, &md.dev, key, sizeof(key), ident, strlen(ident), fuzz_rng, &rng) == HUSK_OK);
	rc = vstore_load(&vs, min_counter, out, max, &len, &counter);
	check(!md.out_of_range);
	check(vstore_message(&vs)[0] != 0);
	/* Untouched and asked for everything: the newest state, exactly. */
	if ((data[0] & 1) && size < 5 && max == sizeof(out) &&
	    min_counter <= (saves ? written[saves - 1] : 0)) {
		if (saves == 0)
			check(rc == HUSK_ERR_NOTFOUND && vstore_reason(&vs) == VSTORE_R_EMPTY &&
			      counter == 0);
		else
			check(rc == HUSK_OK && counter == written[saves - 1]);
	}
	if (rc == HUSK_OK) {
		check(len <= max && counter >= min_counter);
		if (data[0] & 1) {
			/* One of the blobs written, under its own counter. */
			bool found = false;

			for (i = 0; i < saves; i++) {
				if (written[i] != counter)
					continue;
				blob_for(want, blob_len((unsigned int)i), (unsigned int)i);
				found = len == blob_len((unsigned int)i) && memcmp(out, want, len) == 0;
			}
			check(found);
		}
		save_and_reload(&vs, &md, &rng);
	} else if (rc == HUSK_ERR_NOTFOUND && vstore_reason(&vs) == VSTORE_R_EMPTY) {
		check(len == 0 && counter >= min_counter);
		save_and_reload(&vs, &md, &rng);
	} else {
		check(len == 0);
		if (rc == HUSK_ERR_NOTFOUND)
			check(vstore_reason(&vs) == VSTORE_R_BLANK ||
			      vstore_reason(&vs) == VSTORE_R_INCOMPLETE);
		check(vstore_save(&vs, out, 1, &c) == HUSK_ERR_INVAL);
	}
	vstore_fini(&vs);
	vstore_memdev_free(&md);
	return 0;
}
