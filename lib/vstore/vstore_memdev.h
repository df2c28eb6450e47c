/* An in-memory block device for vstore's tests and fuzzer, able to fail the
 * way real disks and hostile hosts do: I/O errors at a chosen request, power
 * cut after a chosen number of sector writes (the last one torn), and a
 * volatile write cache that loses, keeps or tears any subset of the sectors
 * written since the last flush.  Hosted only (it allocates); not part of
 * libvstore: tests and the fuzzer compile it in. */
#ifndef HUSK_VSTORE_MEMDEV_H
#define HUSK_VSTORE_MEMDEV_H

#include <stdbool.h>
#include <stdint.h>

#include "vstore/vstore.h"

struct vstore_memdev {
	struct vstore_dev dev;  /* hand &md->dev to vstore_init */
	uint64_t sectors;
	uint8_t *disk;          /* the medium: what survives a power cut */
	uint8_t *cache;         /* what reads see (== disk without a write cache) */
	uint8_t *dirty;         /* per sector: written since the last flush */
	bool write_cache;

	/* Power cut.  Without a write cache: the write of sector number
	 * cut_after (counting every sector written since the last reboot, from
	 * 0) lands only its first torn_bytes bytes, and nothing later lands.
	 * With a write cache: flush number cut_at_flush (from 0) does not
	 * happen; instead each dirty sector independently lands, is lost, or
	 * is torn, as the PRNG seeded with cut_seed decides (cut_seed % 8 + 1
	 * in 8 land; cut_seed % 8 == 7: all of them).  After a cut every
	 * request fails with HUSK_ERR_IO until vstore_memdev_reboot. */
	int64_t cut_after;      /* -1: never */
	uint32_t torn_bytes;
	int64_t cut_at_flush;   /* -1: never */
	uint64_t cut_seed;
	bool dead;

	/* I/O errors: fail the request with this index (from 0), -1: never. */
	int64_t fail_read;
	int64_t fail_write;
	int64_t fail_flush;

	/* What happened. */
	uint64_t reads, writes, flushes; /* requests */
	uint64_t sectors_written;
	bool out_of_range; /* a request reached past the end or had count 0 */
};

/* A zeroed device of `sectors` sectors; write_cache selects the cache model.
 * Returns false if memory is short. */
bool vstore_memdev_init(struct vstore_memdev *md, uint64_t sectors, bool write_cache);
void vstore_memdev_free(struct vstore_memdev *md);

/* Power comes back: the cache is dropped (reads see the medium), faults and
 * counters are cleared. */
void vstore_memdev_reboot(struct vstore_memdev *md);

/* Changes the size the device reports (the medium keeps its bytes; growing
 * beyond the allocation is refused). */
bool vstore_memdev_resize(struct vstore_memdev *md, uint64_t sectors);

#endif
