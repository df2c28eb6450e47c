/* Unit tests for lib/vstore under faults: a power cut after every number of
 * sector writes of a save or a format (the last sector torn at several
 * points), a write cache that keeps, loses or tears any subset of the
 * unflushed sectors, and a bit flip at every byte of a small device (and at
 * sampled bytes of a large one).  After each, a load in a fresh context must
 * give exactly the old or the new state (never neither, never a mix, never
 * another blob), and the device must go on working. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/crypto.h"
#include "husk/err.h"
#include "vstore/vstore.h"
#include "vstore/vstore_memdev.h"

#define SECTOR VSTORE_SECTOR_SIZE

/* ---- Fixture ---- */

struct test_rng {
	uint64_t s;
};

static int test_rng_fill(void *ctx, uint8_t *buf, size_t len)
{
	struct test_rng *r = ctx;
	size_t i;

	for (i = 0; i < len; i++) {
		r->s = r->s * 6364136223846793005ull + 1442695040888963407ull;
		buf[i] = (uint8_t)(r->s >> 56);
	}
	return 0;
}

static const uint8_t key1[32] = "husk test root secret number 1!";
static const char ident1[] = "family:cafe/instance:0001";

static struct test_rng rng = { 0x77 };
static struct vstore_memdev md;
static struct vstore vs;
static uint8_t blob[300 * 1024];
static uint8_t out[sizeof(blob)];
static uint8_t *image;        /* the device before the operation under test */
static size_t image_bytes;

/* What a state is: its counter and the seed and length of its bytes. */
struct state {
	uint64_t counter;
	size_t len;
	uint32_t seed;
	bool empty; /* the formatted store's empty record (NOTFOUND/EMPTY) */
	bool none;  /* no store at all (NOTFOUND/BLANK or INCOMPLETE) */
};

static void fill(uint8_t *p, size_t n, uint32_t seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)((i * 151u + seed * 11u + (i >> 9)) ^ (seed >> 2));
}

static void open_ctx(void)
{
	assert_int_equal(vstore_init(&vs, &md.dev, key1, 32, ident1, strlen(ident1), test_rng_fill, &rng),
			 HUSK_OK);
}

static void device(uint64_t sectors, bool write_cache)
{
	vstore_memdev_free(&md);
	assert_true(vstore_memdev_init(&md, sectors, write_cache));
	free(image);
	image_bytes = (size_t)sectors * SECTOR;
	image = malloc(image_bytes);
	assert_non_null(image);
	open_ctx();
}

static void save(size_t len, uint32_t seed, struct state *st)
{
	uint64_t c;

	fill(blob, len, seed);
	assert_int_equal(vstore_save(&vs, blob, len, &c), HUSK_OK);
	st->counter = c;
	st->len = len;
	st->seed = seed;
	st->empty = st->none = false;
}

static bool is_state(const struct state *st, int rc, size_t len, uint64_t counter)
{
	if (st->none)
		return rc == HUSK_ERR_NOTFOUND &&
		       (vstore_reason(&vs) == VSTORE_R_BLANK || vstore_reason(&vs) == VSTORE_R_INCOMPLETE);
	if (st->empty)
		return rc == HUSK_ERR_NOTFOUND && vstore_reason(&vs) == VSTORE_R_EMPTY &&
		       counter == st->counter;
	if (rc != HUSK_OK || counter != st->counter || len != st->len)
		return false;
	fill(blob, len, st->seed);
	return memcmp(out, blob, len) == 0;
}

/* After a reboot: a fresh context must load exactly old or new.  Returns
 * which (0 old, 1 new). */
static int load_old_or_new(const struct state *old, const struct state *new, const char *what)
{
	size_t len = 0;
	uint64_t counter = 0;
	int rc;

	vstore_memdev_reboot(&md);
	open_ctx();
	rc = vstore_load(&vs, 0, out, sizeof(out), &len, &counter);
	assert_false(md.out_of_range);
	if (is_state(new, rc, len, counter))
		return 1;
	if (is_state(old, rc, len, counter))
		return 0;
	fail_msg("%s: neither old (counter %llu) nor new (counter %llu): %s, %s, counter %llu: %s", what,
		 (unsigned long long)old->counter, (unsigned long long)new->counter, husk_strerror(rc),
		 vstore_reason_name(vstore_reason(&vs)), (unsigned long long)counter, vstore_message(&vs));
	return -1;
}

/* The device goes on working after the recovery: a save and a load. */
static void still_works(const struct state *loaded, bool needs_format)
{
	struct state next;

	if (needs_format)
		assert_int_equal(vstore_format(&vs, 4 * SECTOR, 0), HUSK_OK);
	save(333, 0xabc, &next);
	assert_true(next.counter > loaded->counter || needs_format);
	load_old_or_new(&next, &next, "save after recovery");
}

static int setup_group(void **state)
{
	(void)state;
	return crypto_init(calloc, free) == HUSK_OK ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	vstore_fini(&vs);
	vstore_memdev_free(&md);
	free(image);
	image = NULL;
	return 0;
}

/* ---- Power cuts during a save ---- */

static const uint32_t torn_points[] = { 0, 1, 8, 100, 256, 496, 511 };

/* A context that has loaded `old` from `image`, kept so that each trial
 * starts from it without another load. */
static struct vstore loaded_ctx;

static void prepare(const struct state *old)
{
	memcpy(md.disk, image, image_bytes);
	load_old_or_new(old, old, "before");
	loaded_ctx = vs;
}

static void restore(void)
{
	memcpy(md.disk, image, image_bytes);
	vstore_memdev_reboot(&md);
	vs = loaded_ctx;
}

/* The device holds `old` (its image in `image`).  A save of new_len bytes is
 * cut after every number k of sector writes, the k-th sector torn at the
 * first torn_n torn_points, and then at its flush (all writes landed).
 * Returns the new state (for the next scenario). */
static struct state cut_every_write(const struct state *old, size_t new_len, uint32_t new_seed,
				    size_t torn_n)
{
	struct state new = { 0 };
	uint64_t total, k, c;
	size_t t;
	int seen[2] = { 0, 0 };

	prepare(old);
	save(new_len, new_seed, &new);
	total = md.sectors_written;
	assert_true(total >= 1);

	for (k = 0; k <= total; k++) {
		for (t = 0; t < (k < total ? torn_n : 1); t++) {
			int which;

			restore();
			if (k < total) {
				md.cut_after = (int64_t)k;
				md.torn_bytes = torn_points[t];
			} else {
				md.fail_flush = 0;
			}
			fill(blob, new_len, new_seed);
			assert_int_equal(vstore_save(&vs, blob, new_len, &c), HUSK_ERR_IO);
			which = load_old_or_new(old, &new, "cut save");
			seen[which]++;
			/* The header is written last: before any of it lands the
			 * state is the old one; once all has landed, the new. */
			if (k + 1 < total || (k + 1 == total && torn_points[t] == 0))
				assert_int_equal(which, 0);
			if (k == total)
				assert_int_equal(which, 1);
			if (k == total / 2 && t == 0)
				still_works(which ? &new : old, old->none);
		}
	}
	assert_true(seen[0] > 0 && seen[1] > 0);
	/* Leave the device holding the new state, as the next scenario's old. */
	memcpy(md.disk, image, image_bytes);
	vstore_memdev_reboot(&md);
	vs = loaded_ctx;
	fill(blob, new_len, new_seed);
	assert_int_equal(vstore_save(&vs, blob, new_len, &c), HUSK_OK);
	assert_int_equal(c, new.counter);
	memcpy(image, md.disk, image_bytes);
	return new;
}

static void test_cut_save_small(void **state)
{
	struct state st = { .counter = 0, .empty = true };

	(void)state;
	device(VSTORE_DEVICE_SECTORS(4096), false);
	assert_int_equal(vstore_format(&vs, 4096, 0), HUSK_OK);
	memcpy(image, md.disk, image_bytes);
	/* First save (target A blank), second (target B holds the empty
	 * record), then over older states: growing, shrinking, full, empty,
	 * sector-aligned and not. */
	st = cut_every_write(&st, 1500, 1, HUSK_ARRAY_SIZE(torn_points));
	st = cut_every_write(&st, 2600, 2, HUSK_ARRAY_SIZE(torn_points));
	st = cut_every_write(&st, 4096, 3, HUSK_ARRAY_SIZE(torn_points));
	st = cut_every_write(&st, 100, 4, HUSK_ARRAY_SIZE(torn_points));
	st = cut_every_write(&st, 0, 5, HUSK_ARRAY_SIZE(torn_points));
	st = cut_every_write(&st, 512, 6, HUSK_ARRAY_SIZE(torn_points));
	st = cut_every_write(&st, 4095, 7, HUSK_ARRAY_SIZE(torn_points));
	assert_int_equal(st.counter, 7);
}

/* A state of a realistic size (the TPM engine's blob is about 70 KiB). */
static void test_cut_save_large(void **state)
{
	struct state st = { .counter = 5, .empty = true };

	(void)state;
	device(VSTORE_DEVICE_SECTORS(256 * 1024), false);
	assert_int_equal(vstore_format(&vs, 256 * 1024, 5), HUSK_OK);
	memcpy(image, md.disk, image_bytes);
	st = cut_every_write(&st, 70 * 1024 + 11, 1, 1);
	st = cut_every_write(&st, 72 * 1024, 2, 2);
	assert_int_equal(st.counter, 7);
}

/* A write cache loses, keeps or tears any subset of a save's sectors. */
static void test_cut_save_write_cache(void **state)
{
	static const size_t lens[] = { 1500, 2600, 4096, 100, 0, 3000 };
	struct state old = { .counter = 0, .empty = true }, new;
	size_t i;
	uint64_t seed, c;

	(void)state;
	device(VSTORE_DEVICE_SECTORS(4096), true);
	assert_int_equal(vstore_format(&vs, 4096, 0), HUSK_OK);
	memcpy(image, md.disk, image_bytes); /* format flushed: the medium holds it */
	for (i = 0; i < HUSK_ARRAY_SIZE(lens); i++) {
		int seen[2] = { 0, 0 };

		prepare(&old);
		save(lens[i], (uint32_t)i + 10, &new);
		for (seed = 0; seed < 150; seed++) {
			restore();
			md.cut_at_flush = 0;
			md.cut_seed = seed * 7919 + i;
			fill(blob, lens[i], (uint32_t)i + 10);
			assert_int_equal(vstore_save(&vs, blob, lens[i], &c), HUSK_ERR_IO);
			seen[load_old_or_new(&old, &new, "write cache cut")]++;
		}
		if (!(seen[0] > 0 && seen[1] > 0))
			fail_msg("write cache, length %zu: old %d, new %d", lens[i], seen[0], seen[1]);
		restore();
		fill(blob, lens[i], (uint32_t)i + 10);
		assert_int_equal(vstore_save(&vs, blob, lens[i], &c), HUSK_OK);
		memcpy(image, md.disk, image_bytes);
		old = new;
	}
}

/* ---- Power cuts during a format ---- */

/* A cut format leaves the old state or "no state", never a store that
 * reads as damaged, nor an older state. */
static void cut_format(const struct state *old, bool write_cache)
{
	uint64_t total, k, flushes, seed;
	size_t t;
	int seen[2] = { 0, 0 };

	memcpy(md.disk, image, image_bytes);
	vstore_memdev_reboot(&md);
	open_ctx();
	assert_int_equal(vstore_format(&vs, 2048, 100), HUSK_OK);
	total = md.sectors_written;
	flushes = md.flushes;
	assert_int_equal(total, 5);
	assert_int_equal(flushes, 4);

	for (k = 0; k < total + flushes; k++) {
		size_t tn = k < total && !write_cache ? HUSK_ARRAY_SIZE(torn_points) : 1;
		uint64_t seeds = write_cache ? 60 : 1;

		if (write_cache && k >= flushes)
			break;
		for (t = 0; t < tn; t++) {
			for (seed = 0; seed < seeds; seed++) {
				struct state empty = { .counter = 100, .empty = true };
				struct state none = { .none = true };
				size_t len = 0;
				uint64_t counter = 0;
				int rc;

				memcpy(md.disk, image, image_bytes);
				vstore_memdev_reboot(&md);
				open_ctx();
				if (write_cache) {
					md.cut_at_flush = (int64_t)k;
					md.cut_seed = seed;
				} else if (k < total) {
					md.cut_after = (int64_t)k;
					md.torn_bytes = torn_points[t];
				} else {
					md.fail_flush = (int64_t)(k - total);
				}
				assert_int_equal(vstore_format(&vs, 2048, 100), HUSK_ERR_IO);
				vstore_memdev_reboot(&md);
				open_ctx();
				rc = vstore_load(&vs, 0, out, sizeof(out), &len, &counter);
				assert_false(md.out_of_range);
				if (is_state(old, rc, len, counter)) {
					seen[0]++;
					still_works(old, old->none || old->empty);
					continue;
				}
				if (is_state(&empty, rc, len, counter) || is_state(&none, rc, len, counter)) {
					seen[1]++;
					still_works(&empty, vstore_reason(&vs) != VSTORE_R_EMPTY);
					continue;
				}
				fail_msg("cut format (k %llu torn %u seed %llu): %s, %s: %s",
					 (unsigned long long)k, torn_points[t], (unsigned long long)seed,
					 husk_strerror(rc),
					 vstore_reason_name(vstore_reason(&vs)), vstore_message(&vs));
			}
		}
	}
	assert_true(seen[1] > 0);
}

static void test_cut_format(void **state)
{
	struct state none = { .none = true }, st = { 0 };

	(void)state;
	/* A blank device. */
	device(VSTORE_DEVICE_SECTORS(4096), false);
	memcpy(image, md.disk, image_bytes);
	cut_format(&none, false);
	/* A device holding state in both slots. */
	device(VSTORE_DEVICE_SECTORS(4096), false);
	assert_int_equal(vstore_format(&vs, 4096, 0), HUSK_OK);
	save(3000, 1, &st);
	save(2000, 2, &st);
	memcpy(image, md.disk, image_bytes);
	cut_format(&st, false);
	/* The same with a write cache. */
	device(VSTORE_DEVICE_SECTORS(4096), true);
	memcpy(image, md.disk, image_bytes);
	cut_format(&none, true);
	device(VSTORE_DEVICE_SECTORS(4096), true);
	assert_int_equal(vstore_format(&vs, 4096, 0), HUSK_OK);
	save(3000, 1, &st);
	save(2000, 2, &st);
	memcpy(image, md.disk, image_bytes);
	cut_format(&st, true);
}

/* ---- Bit flips ---- */

enum expect { REFUSED, NEWEST, OLDER };

/* Flips bit `bit` at byte offset o of the saved image and checks the load. */
static void flip_bit_and_load(size_t o, unsigned int bit, enum expect e, const struct state *older,
			      const struct state *newest)
{
	size_t len = 0;
	uint64_t counter = 0;
	int rc;

	memcpy(md.disk, image, image_bytes);
	md.disk[o] ^= (uint8_t)(1u << bit);
	vstore_memdev_reboot(&md);
	vs = loaded_ctx;
	vs.phase = VSTORE_UNKNOWN;
	rc = vstore_load(&vs, 0, out, sizeof(out), &len, &counter);
	assert_false(md.out_of_range);
	switch (e) {
	case REFUSED:
		if (rc == HUSK_OK || rc == HUSK_ERR_NOTFOUND)
			fail_msg("flip at %zu: accepted (%s)", o, vstore_message(&vs));
		assert_int_equal(len, 0);
		break;
	case NEWEST:
		if (!is_state(newest, rc, len, counter))
			fail_msg("flip at %zu: newest expected: %s", o, vstore_message(&vs));
		break;
	case OLDER:
		if (!is_state(older, rc, len, counter))
			fail_msg("flip at %zu: older expected: %s", o, vstore_message(&vs));
		/* Falling back is a rollback by one save: min_counter refuses it. */
		vstore_memdev_reboot(&md);
		rc = vstore_load(&vs, newest->counter, out, sizeof(out), &len, &counter);
		assert_int_equal(rc, HUSK_ERR_RANGE);
		assert_int_equal(vstore_reason(&vs), VSTORE_R_ROLLBACK);
		break;
	}
}

static void flip_and_load(size_t o, enum expect e, const struct state *older, const struct state *newest)
{
	flip_bit_and_load(o, (unsigned int)(o % 8), e, older, newest);
}

/* Which state a flip at byte o must leave, from the layout: every byte of
 * the superblock is covered by its MAC; every header byte and every byte
 * of a record's sectors by its tag (or the zero-padding check); bytes no
 * record covers do not matter. */
static enum expect expect_at(size_t o, uint32_t d, const struct vstore_rec *a, const struct vstore_rec *b)
{
	uint64_t lba = o / SECTOR;

	if (lba == VSTORE_LBA_SUPER)
		return REFUSED;
	if (lba == VSTORE_LBA_HDR_A)
		return NEWEST; /* A holds the older record */
	if (lba == VSTORE_LBA_HDR_B)
		return OLDER;
	if (lba < VSTORE_LBA_DATA + d)
		return NEWEST;
	if (lba < VSTORE_LBA_DATA + d + b->blob_sectors)
		return OLDER;
	(void)a;
	return NEWEST;
}

static void flip_setup(uint32_t cap, size_t older_len, size_t newest_len, struct state *older,
		       struct state *newest)
{
	device(VSTORE_DEVICE_SECTORS(cap), false);
	assert_int_equal(vstore_format(&vs, cap, 0), HUSK_OK);
	save(older_len, 21, older);  /* slot A */
	save(newest_len, 22, newest); /* slot B */
	memcpy(image, md.disk, image_bytes);
	load_old_or_new(newest, newest, "flip setup");
	loaded_ctx = vs;
}

static void test_bit_flip_every_byte(void **state)
{
	struct state older, newest;
	const struct vstore_rec *a, *b;
	size_t o;

	(void)state;
	flip_setup(1024, 600, 900, &older, &newest);
	a = (const struct vstore_rec *)(image + VSTORE_LBA_HDR_A * SECTOR);
	b = (const struct vstore_rec *)(image + VSTORE_LBA_HDR_B * SECTOR);
	for (o = 0; o < image_bytes; o++)
		flip_and_load(o, expect_at(o, 2, a, b), &older, &newest);
	/* Every bit of the superblock: none turns it into "no state" (the
	 * tombstone is eight flips away) or into another valid superblock. */
	for (o = 0; o < SECTOR; o++) {
		unsigned int bit;

		for (bit = 0; bit < 8; bit++)
			flip_bit_and_load(o, bit, REFUSED, &older, &newest);
	}
}

static void test_bit_flip_sampled_large(void **state)
{
	struct state older, newest;
	const struct vstore_rec *a, *b;
	uint32_t d = (uint32_t)VSTORE_DATA_SECTORS(128 * 1024);
	uint64_t s = 0x5eed;
	size_t i, o;

	(void)state;
	flip_setup(128 * 1024, 70 * 1024, 72 * 1024 + 5, &older, &newest);
	a = (const struct vstore_rec *)(image + VSTORE_LBA_HDR_A * SECTOR);
	b = (const struct vstore_rec *)(image + VSTORE_LBA_HDR_B * SECTOR);
	/* Every 9th byte of the three fixed sectors (test_bit_flip_every_byte
	 * has them all, the same fields), then a deterministic sample. */
	for (o = 0; o < VSTORE_LBA_DATA * SECTOR; o += 9)
		flip_and_load(o, expect_at(o, d, a, b), &older, &newest);
	for (i = 0; i < 100; i++) {
		s = s * 6364136223846793005ull + 1442695040888963407ull;
		o = (size_t)((s >> 17) % image_bytes);
		flip_and_load(o, expect_at(o, d, a, b), &older, &newest);
	}
	/* The first and last byte of the newest record's data and padding. */
	o = (VSTORE_LBA_DATA + d) * SECTOR;
	flip_and_load(o, OLDER, &older, &newest);
	flip_and_load(o + b->blob_len - 1, OLDER, &older, &newest);
	flip_and_load(o + b->blob_len, OLDER, &older, &newest);
	flip_and_load(o + (size_t)b->blob_sectors * SECTOR - 1, OLDER, &older, &newest);
	flip_and_load(o + (size_t)b->blob_sectors * SECTOR, NEWEST, &older, &newest);
}

/* A whole sector of garbage at every sector of a small device. */
static void test_garbage_sectors(void **state)
{
	struct state older, newest;
	const struct vstore_rec *a, *b;
	size_t lba, i;
	uint64_t s = 99;

	(void)state;
	flip_setup(1024, 600, 900, &older, &newest);
	a = (const struct vstore_rec *)(image + VSTORE_LBA_HDR_A * SECTOR);
	b = (const struct vstore_rec *)(image + VSTORE_LBA_HDR_B * SECTOR);
	for (lba = 0; lba < image_bytes / SECTOR; lba++) {
		size_t len = 0;
		uint64_t counter = 0;
		enum expect e = expect_at(lba * SECTOR, 2, a, b);
		int rc;

		memcpy(md.disk, image, image_bytes);
		for (i = 0; i < SECTOR; i++) {
			s = s * 6364136223846793005ull + 1442695040888963407ull;
			md.disk[lba * SECTOR + i] = (uint8_t)(s >> 56);
		}
		vstore_memdev_reboot(&md);
		open_ctx();
		rc = vstore_load(&vs, 0, out, sizeof(out), &len, &counter);
		if (e == REFUSED)
			assert_int_equal(rc, HUSK_ERR_FORMAT);
		else
			assert_true(is_state(e == NEWEST ? &newest : &older, rc, len, counter));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_cut_save_small, teardown),
		cmocka_unit_test_teardown(test_cut_save_large, teardown),
		cmocka_unit_test_teardown(test_cut_save_write_cache, teardown),
		cmocka_unit_test_teardown(test_cut_format, teardown),
		cmocka_unit_test_teardown(test_bit_flip_every_byte, teardown),
		cmocka_unit_test_teardown(test_bit_flip_sampled_large, teardown),
		cmocka_unit_test_teardown(test_garbage_sectors, teardown),
	};

	/* VSTORE_TEST=name runs one test (for timing one of them). */
	if (getenv("VSTORE_TEST"))
		cmocka_set_test_filter(getenv("VSTORE_TEST"));
	return cmocka_run_group_tests_name("vstore_faults", tests, setup_group, NULL);
}
