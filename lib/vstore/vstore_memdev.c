/* In-memory block device with fault injection for vstore's tests and fuzzer
 * (see vstore_memdev.h).  Hosted only. */
#include <stdlib.h>
#include <string.h>

#include "husk/err.h"
#include "vstore/vstore_memdev.h"

#define SECTOR VSTORE_SECTOR_SIZE

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static bool in_range(struct vstore_memdev *md, uint64_t lba, uint32_t count)
{
	if (count == 0 || lba >= md->dev.sectors || count > md->dev.sectors - lba) {
		md->out_of_range = true;
		return false;
	}
	return true;
}

static int md_read(void *ctx, uint64_t lba, uint32_t count, void *buf)
{
	struct vstore_memdev *md = ctx;
	uint64_t idx = md->reads++;

	if (md->dead || (md->fail_read >= 0 && idx == (uint64_t)md->fail_read))
		return HUSK_ERR_IO;
	if (!in_range(md, lba, count))
		return HUSK_ERR_RANGE;
	memcpy(buf, md->cache + lba * SECTOR, (size_t)count * SECTOR);
	return HUSK_OK;
}

static int md_write(void *ctx, uint64_t lba, uint32_t count, const void *buf)
{
	struct vstore_memdev *md = ctx;
	const uint8_t *src = buf;
	uint64_t idx = md->writes++;
	uint32_t i;

	if (md->dead || (md->fail_write >= 0 && idx == (uint64_t)md->fail_write))
		return HUSK_ERR_IO;
	if (!in_range(md, lba, count))
		return HUSK_ERR_RANGE;
	for (i = 0; i < count; i++) {
		uint8_t *dst = md->cache + (lba + i) * SECTOR;

		if (!md->write_cache && md->cut_after >= 0 &&
		    md->sectors_written == (uint64_t)md->cut_after) {
			memcpy(dst, src + (size_t)i * SECTOR, HUSK_MIN(md->torn_bytes, SECTOR));
			md->dead = true;
			return HUSK_ERR_IO;
		}
		memcpy(dst, src + (size_t)i * SECTOR, SECTOR);
		if (md->write_cache)
			md->dirty[lba + i] = 1;
		md->sectors_written++;
	}
	return HUSK_OK;
}

static int md_flush(void *ctx)
{
	struct vstore_memdev *md = ctx;
	uint64_t idx = md->flushes++;
	uint64_t s, seed = md->cut_seed;
	uint64_t level = 1 + md->cut_seed % 8; /* in 8ths: how likely a sector lands */

	if (md->dead || (md->fail_flush >= 0 && idx == (uint64_t)md->fail_flush))
		return HUSK_ERR_IO;
	if (!md->write_cache)
		return HUSK_OK;
	for (s = 0; s < md->sectors; s++) {
		uint8_t *src = md->cache + s * SECTOR, *dst = md->disk + s * SECTOR;

		if (!md->dirty[s])
			continue;
		md->dirty[s] = 0;
		if (md->cut_at_flush >= 0 && idx == (uint64_t)md->cut_at_flush) {
			uint64_t r = splitmix(&seed);

			if ((r & 7) < level)
				memcpy(dst, src, SECTOR);
			else if (r & 8)
				memcpy(dst, src, (size_t)((r >> 8) % SECTOR));
			continue;
		}
		memcpy(dst, src, SECTOR);
	}
	if (md->cut_at_flush >= 0 && idx == (uint64_t)md->cut_at_flush) {
		md->dead = true;
		return HUSK_ERR_IO;
	}
	return HUSK_OK;
}

bool vstore_memdev_init(struct vstore_memdev *md, uint64_t sectors, bool write_cache)
{
	memset(md, 0, sizeof(*md));
	md->disk = calloc((size_t)sectors ? (size_t)sectors : 1, SECTOR);
	md->dirty = calloc((size_t)sectors ? (size_t)sectors : 1, 1);
	md->cache = write_cache ? calloc((size_t)sectors ? (size_t)sectors : 1, SECTOR) : md->disk;
	if (!md->disk || !md->dirty || !md->cache) {
		vstore_memdev_free(md);
		return false;
	}
	md->sectors = sectors;
	md->write_cache = write_cache;
	md->dev.read = md_read;
	md->dev.write = md_write;
	md->dev.flush = md_flush;
	md->dev.sectors = sectors;
	md->dev.ctx = md;
	vstore_memdev_reboot(md);
	return true;
}

void vstore_memdev_free(struct vstore_memdev *md)
{
	if (md->cache != md->disk)
		free(md->cache);
	free(md->disk);
	free(md->dirty);
	memset(md, 0, sizeof(*md));
}

void vstore_memdev_reboot(struct vstore_memdev *md)
{
	if (md->write_cache)
		memcpy(md->cache, md->disk, (size_t)md->sectors * SECTOR);
	memset(md->dirty, 0, (size_t)md->sectors);
	md->cut_after = -1;
	md->torn_bytes = 0;
	md->cut_at_flush = -1;
	md->cut_seed = 0;
	md->dead = false;
	md->fail_read = md->fail_write = md->fail_flush = -1;
	md->reads = md->writes = md->flushes = md->sectors_written = 0;
	md->out_of_range = false;
}

bool vstore_memdev_resize(struct vstore_memdev *md, uint64_t sectors)
{
	if (sectors > md->sectors)
		return false;
	md->dev.sectors = sectors;
	return true;
}
