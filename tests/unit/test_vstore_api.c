/* Unit tests for lib/vstore: the API contract and every refusal the design
 * promises (docs/storage.md), against the in-memory device.  Blank and
 * formatted-empty devices, round trips and counters, capacity and buffer
 * limits, wrong key and identity, truncation, swapped and copied slots,
 * replayed images and forked histories, unsupported versions, foreign data,
 * device, RNG and allocation failures.  Power cuts and bit flips are in
 * test_vstore_faults.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../common/alloc_count.h"

#include "crypto/crypto.h"
#include "husk/err.h"
#include "mbedtls/sha256.h"
#include "vstore/vstore.h"
#include "vstore/vstore_memdev.h"

#define SECTOR VSTORE_SECTOR_SIZE
#define CAP 8192u                          /* store capacity in most tests */
#define DEV_SECTORS (VSTORE_DEVICE_SECTORS(CAP) + 5) /* a little spare */

/* ---- Allocator: counts live blocks, can fail the Nth allocation ---- */


/* ---- Fixture ---- */

/* Reproducible stand-in for a random source (tests only). */
struct test_rng {
	uint64_t s;
	int fail_with;
	unsigned long calls;
};

static int test_rng_fill(void *ctx, uint8_t *buf, size_t len)
{
	struct test_rng *r = ctx;
	size_t i;

	r->calls++;
	if (r->fail_with)
		return r->fail_with;
	for (i = 0; i < len; i++) {
		r->s = r->s * 6364136223846793005ull + 1442695040888963407ull;
		buf[i] = (uint8_t)(r->s >> 56);
	}
	return 0;
}

static const uint8_t key1[32] = "husk test root secret number 1!";
static const uint8_t key2[32] = "husk test root secret number 2!";
static const char ident1[] = "family:cafe/instance:0001";
static const char ident2[] = "family:cafe/instance:0002";

static struct test_rng rng = { 0x1234, 0, 0 };
static struct vstore_memdev md;
static struct vstore vs;
static uint8_t blob[VSTORE_CAPACITY_MAX > (1u << 20) ? (1u << 20) : VSTORE_CAPACITY_MAX];
static uint8_t out[sizeof(blob)];

static void fill(uint8_t *p, size_t n, uint32_t seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)((i * 131u + seed * 7u + (i >> 8)) ^ (seed >> 3));
}

static void open_as(const uint8_t *key, const char *ident)
{
	assert_int_equal(vstore_init(&vs, &md.dev, key, 32, ident, strlen(ident), test_rng_fill, &rng),
			 HUSK_OK);
}

static void open_default(void)
{
	open_as(key1, ident1);
}

/* A fresh device of `sectors` and a context on it. */
static void fresh(uint64_t sectors)
{
	vstore_memdev_free(&md);
	assert_true(vstore_memdev_init(&md, sectors, false));
	open_default();
}

static void save_ok(size_t len, uint32_t seed, uint64_t expect_counter)
{
	uint64_t c = 0;

	fill(blob, len, seed);
	assert_int_equal(vstore_save(&vs, blob, len, &c), HUSK_OK);
	assert_int_equal(c, expect_counter);
}

/* Loads in a fresh context (as after a reboot) and checks blob and counter. */
static void load_expect(size_t len, uint32_t seed, uint64_t expect_counter)
{
	size_t got = 99;
	uint64_t c = 99;
	int rc;

	vstore_memdev_reboot(&md);
	open_default();
	rc = vstore_load(&vs, 0, out, sizeof(out), &got, &c);
	if (rc != HUSK_OK)
		fail_msg("load: %s (%s)", husk_strerror(rc), vstore_message(&vs));
	assert_int_equal(c, expect_counter);
	assert_int_equal(got, len);
	fill(blob, len, seed);
	assert_memory_equal(out, blob, len);
	assert_false(md.out_of_range);
}

/* The message of the last load_refused (a refused save overwrites vs's). */
static char last_msg[VSTORE_MSG_MAX];

/* Loads and expects refusal rc with reason r. */
static void load_refused(uint64_t min_counter, int rc, enum vstore_reason r)
{
	size_t got = 99;
	uint64_t c = 99;
	int got_rc;

	vstore_memdev_reboot(&md);
	got_rc = vstore_load(&vs, min_counter, out, sizeof(out), &got, &c);
	if (got_rc != rc || vstore_reason(&vs) != r)
		fail_msg("load: expected %s/%s, got %s/%s (%s)", husk_strerror(rc), vstore_reason_name(r),
			 husk_strerror(got_rc), vstore_reason_name(vstore_reason(&vs)), vstore_message(&vs));
	assert_int_equal(got, 0);
	assert_false(md.out_of_range);
	snprintf(last_msg, sizeof(last_msg), "%s", vstore_message(&vs));
	/* Refused or empty: no save until the caller decides. */
	if (r != VSTORE_R_EMPTY) {
		uint64_t nc;

		assert_int_equal(vstore_save(&vs, blob, 1, &nc), HUSK_ERR_INVAL);
		assert_int_equal(vstore_reason(&vs), VSTORE_R_ARGS);
	}
}

static void formatted(void)
{
	fresh(DEV_SECTORS);
	assert_int_equal(vstore_format(&vs, CAP, 0), HUSK_OK);
}

static uint8_t *sector(uint64_t lba)
{
	return md.disk + lba * SECTOR;
}

static struct vstore_rec *rec_hdr(uint32_t slot)
{
	return (struct vstore_rec *)sector(slot == VSTORE_SLOT_A ? VSTORE_LBA_HDR_A : VSTORE_LBA_HDR_B);
}

static struct vstore_super *super(void)
{
	return (struct vstore_super *)sector(VSTORE_LBA_SUPER);
}

static int setup_group(void **state)
{
	(void)state;
	return crypto_init(alloc_count_calloc, alloc_count_free) == HUSK_OK ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	vstore_fini(&vs);
	vstore_memdev_free(&md);
	alloc_fail_at = -1;
	rng.fail_with = 0;
	return alloc_live == 0 ? 0 : -1;
}

/* ---- Arguments ---- */

static void test_init_args(void **state)
{
	struct vstore_dev bad;
	uint8_t big[VSTORE_SECRET_MAX + 1] = { 0 };
	static char long_id[VSTORE_IDENTITY_MAX + 1];

	(void)state;
	assert_true(vstore_memdev_init(&md, 16, false));
	assert_int_equal(vstore_init(NULL, &md.dev, key1, 32, "x", 1, test_rng_fill, &rng), HUSK_ERR_INVAL);
	assert_int_equal(vstore_init(&vs, NULL, key1, 32, "x", 1, test_rng_fill, &rng), HUSK_ERR_INVAL);
	assert_int_equal(vstore_init(&vs, &md.dev, key1, 32, "x", 1, NULL, &rng), HUSK_ERR_INVAL);
	bad = md.dev;
	bad.flush = NULL;
	assert_int_equal(vstore_init(&vs, &bad, key1, 32, "x", 1, test_rng_fill, &rng), HUSK_ERR_INVAL);
	assert_int_equal(vstore_init(&vs, &md.dev, key1, 31, "x", 1, test_rng_fill, &rng), HUSK_ERR_INVAL);
	assert_int_equal(vstore_reason(&vs), VSTORE_R_ARGS);
	assert_non_null(strstr(vstore_message(&vs), "secret"));
	assert_int_equal(vstore_init(&vs, &md.dev, big, sizeof(big), "x", 1, test_rng_fill, &rng),
			 HUSK_ERR_INVAL);
	assert_int_equal(vstore_init(&vs, &md.dev, NULL, 32, "x", 1, test_rng_fill, &rng), HUSK_ERR_INVAL);
	assert_int_equal(vstore_init(&vs, &md.dev, key1, 32, "x", 0, test_rng_fill, &rng), HUSK_ERR_INVAL);
	memset(long_id, 'i', sizeof(long_id));
	assert_int_equal(vstore_init(&vs, &md.dev, key1, 32, long_id, sizeof(long_id), test_rng_fill, &rng),
			 HUSK_ERR_INVAL);
	assert_int_equal(vstore_init(&vs, &md.dev, big, VSTORE_SECRET_MAX, long_id, VSTORE_IDENTITY_MAX,
				     test_rng_fill, &rng),
			 HUSK_OK);

	/* Calls on a context that init refused, or never saw. */
	{
		struct vstore z;
		size_t l;
		uint64_t c;

		memset(&z, 0, sizeof(z));
		assert_int_equal(vstore_load(&z, 0, out, 1, &l, &c), HUSK_ERR_INVAL);
		assert_int_equal(vstore_save(&z, blob, 1, &c), HUSK_ERR_INVAL);
		assert_int_equal(vstore_format(&z, CAP, 0), HUSK_ERR_INVAL);
		assert_int_equal(vstore_load(NULL, 0, out, 1, &l, &c), HUSK_ERR_INVAL);
		assert_int_equal(vstore_save(NULL, blob, 1, &c), HUSK_ERR_INVAL);
		vstore_fini(NULL);
	}
	/* Output arguments. */
	{
		size_t l;
		uint64_t c;

		assert_int_equal(vstore_load(&vs, 0, out, 1, NULL, &c), HUSK_ERR_INVAL);
		assert_int_equal(vstore_load(&vs, 0, out, 1, &l, NULL), HUSK_ERR_INVAL);
		assert_int_equal(vstore_load(&vs, 0, NULL, 1, &l, &c), HUSK_ERR_INVAL);
		assert_int_equal(vstore_save(&vs, NULL, 1, &c), HUSK_ERR_INVAL);
		assert_int_equal(vstore_save(&vs, blob, 1, NULL), HUSK_ERR_INVAL);
	}
}

static void test_reason_names(void **state)
{
	int r;

	(void)state;
	for (r = 0; r < VSTORE_R__COUNT; r++) {
		assert_non_null(vstore_reason_name((enum vstore_reason)r));
		assert_string_not_equal(vstore_reason_name((enum vstore_reason)r), "unknown");
	}
	assert_string_equal(vstore_reason_name(VSTORE_R__COUNT), "unknown");
	assert_string_equal(vstore_message(NULL), "(no message)");
	assert_int_equal(vstore_reason(NULL), VSTORE_R_ARGS);
	assert_false(vstore_fell_back(NULL));
}

/* ---- Blank, formatted, round trips ---- */

static void test_blank_device(void **state)
{
	uint64_t c;

	(void)state;
	fresh(DEV_SECTORS);
	load_refused(0, HUSK_ERR_NOTFOUND, VSTORE_R_BLANK);
	assert_non_null(strstr(last_msg, "blank"));
	assert_int_equal(vstore_save(&vs, blob, 10, &c), HUSK_ERR_INVAL);
	assert_int_equal(md.writes, 0);
	/* A caller that knows a counter refuses an empty device. */
	load_refused(7, HUSK_ERR_RANGE, VSTORE_R_ROLLBACK);
	assert_non_null(strstr(last_msg, "erased"));
}

static void test_format_empty(void **state)
{
	size_t l = 5;
	uint64_t c = 5;
	uint8_t d1[32], d2[32];

	(void)state;
	formatted();
	assert_int_equal(vstore_record_digest(&vs, d1), HUSK_OK);
	vstore_memdev_reboot(&md);
	open_default();
	assert_int_equal(vstore_record_digest(&vs, d2), HUSK_ERR_INVAL);
	assert_int_equal(vstore_load(&vs, 0, out, sizeof(out), &l, &c), HUSK_ERR_NOTFOUND);
	assert_int_equal(vstore_reason(&vs), VSTORE_R_EMPTY);
	assert_int_equal(l, 0);
	assert_int_equal(c, 0);
	assert_int_equal(vstore_record_digest(&vs, d2), HUSK_OK);
	assert_memory_equal(d1, d2, 32);
	/* Empty: save is allowed without a format. */
	save_ok(100, 1, 1);
	load_expect(100, 1, 1);
	assert_false(vstore_fell_back(&vs));
}

static void test_roundtrip_sizes(void **state)
{
	static const size_t sizes[] = { 0, 1, 15, 16, 17, 511, 512, 513, 1000, 4096, CAP - 1, CAP, 3 };
	uint64_t counter = 0;
	size_t i;

	(void)state;
	formatted();
	for (i = 0; i < HUSK_ARRAY_SIZE(sizes); i++) {
		save_ok(sizes[i], (uint32_t)i, ++counter);
		/* Slots alternate: A for odd counters, B for even. */
		assert_int_equal(rec_hdr(counter & 1 ? VSTORE_SLOT_A : VSTORE_SLOT_B)->counter, counter);
		load_expect(sizes[i], (uint32_t)i, counter);
		assert_false(vstore_fell_back(&vs));
		assert_non_null(strstr(vstore_message(&vs), "loaded counter"));
	}
	/* Saving straight after a load continues the count. */
	save_ok(77, 99, ++counter);
	save_ok(78, 98, ++counter);
	load_expect(78, 98, counter);
}

static void test_realistic_sizes(void **state)
{
	static const uint32_t caps[] = { 256u << 10, 1u << 20 };
	size_t i;

	(void)state;
	for (i = 0; i < HUSK_ARRAY_SIZE(caps); i++) {
		fresh(VSTORE_DEVICE_SECTORS(caps[i]));
		assert_int_equal(vstore_format(&vs, caps[i], 0), HUSK_OK);
		save_ok(70 * 1024 + 3, 5, 1);
		save_ok(caps[i], 6, 2);
		load_expect(caps[i], 6, 2);
		save_ok(70 * 1024 + 3, 7, 3);
		load_expect(70 * 1024 + 3, 7, 3);
	}
}

static void test_base_counter(void **state)
{
	size_t l;
	uint64_t c;

	(void)state;
	fresh(DEV_SECTORS);
	assert_int_equal(vstore_format(&vs, CAP, 41), HUSK_OK);
	vstore_memdev_reboot(&md);
	open_default();
	assert_int_equal(vstore_load(&vs, 41, out, sizeof(out), &l, &c), HUSK_ERR_NOTFOUND);
	assert_int_equal(vstore_reason(&vs), VSTORE_R_EMPTY);
	assert_int_equal(c, 41);
	save_ok(10, 1, 42);
	load_expect(10, 1, 42);
	/* Nothing may follow UINT64_MAX. */
	assert_int_equal(vstore_format(&vs, CAP, UINT64_MAX), HUSK_ERR_INVAL);
	assert_int_equal(vstore_format(&vs, CAP, UINT64_MAX - 1), HUSK_OK);
	save_ok(1, 1, UINT64_MAX);
	assert_int_equal(vstore_save(&vs, blob, 1, &c), HUSK_ERR_RANGE);
	load_expect(1, 1, UINT64_MAX);
}

static void test_digest(void **state)
{
	uint8_t d[32], want[32], prev[32];

	(void)state;
	formatted();
	save_ok(300, 1, 1);
	assert_int_equal(vstore_record_digest(&vs, d), HUSK_OK);
	assert_int_equal(mbedtls_sha256(sector(VSTORE_LBA_HDR_A), SECTOR, want, 0), 0);
	assert_memory_equal(d, want, 32);
	memcpy(prev, d, 32);
	save_ok(300, 1, 2); /* same bytes, new record: new digest */
	assert_int_equal(vstore_record_digest(&vs, d), HUSK_OK);
	assert_memory_not_equal(d, prev, 32);
	assert_int_equal(mbedtls_sha256(sector(VSTORE_LBA_HDR_B), SECTOR, want, 0), 0);
	assert_memory_equal(d, want, 32);
	load_expect(300, 1, 2);
	assert_int_equal(vstore_record_digest(&vs, d), HUSK_OK);
	assert_memory_equal(d, want, 32);
	assert_int_equal(vstore_record_digest(&vs, NULL), HUSK_ERR_INVAL);
}

/* Fresh keys, IVs and ciphertext for every record, even of the same blob. */
static void test_fresh_iv(void **state)
{
	struct vstore_rec a, b;
	uint8_t ca[SECTOR], cb[SECTOR];

	(void)state;
	formatted();
	save_ok(SECTOR, 3, 1);
	save_ok(SECTOR, 3, 2);
	memcpy(&a, rec_hdr(VSTORE_SLOT_A), SECTOR);
	memcpy(&b, rec_hdr(VSTORE_SLOT_B), SECTOR);
	assert_memory_not_equal(a.iv, b.iv, sizeof(a.iv));
	assert_memory_not_equal(a.key_nonce, b.key_nonce, sizeof(a.key_nonce));
	memcpy(ca, sector(VSTORE_LBA_DATA), SECTOR);
	memcpy(cb, sector(VSTORE_LBA_DATA + VSTORE_DATA_SECTORS(CAP)), SECTOR);
	assert_memory_not_equal(ca, cb, SECTOR);
	/* Not plaintext on the disk. */
	fill(blob, SECTOR, 3);
	assert_memory_not_equal(ca, blob, SECTOR);
	/* The state's header fields are as documented. */
	assert_memory_equal(a.magic, VSTORE_REC_MAGIC, 8);
	assert_int_equal(a.slot, VSTORE_SLOT_A);
	assert_int_equal(a.kind, VSTORE_KIND_STATE);
	assert_int_equal(a.blob_len, SECTOR);
	assert_int_equal(a.blob_sectors, 1);
	assert_memory_equal(super()->magic, VSTORE_SUPER_MAGIC, 8);
	assert_int_equal(super()->data_sectors, VSTORE_DATA_SECTORS(CAP));
	assert_int_equal(super()->total_sectors, VSTORE_DEVICE_SECTORS(CAP));
}

/* ---- Limits ---- */

static void test_capacity(void **state)
{
	uint64_t c;
	size_t l;

	(void)state;
	fresh(VSTORE_DEVICE_SECTORS(CAP));
	assert_int_equal(vstore_format(&vs, 0, 0), HUSK_ERR_INVAL);
	assert_int_equal(vstore_format(&vs, VSTORE_CAPACITY_MAX + 1, 0), HUSK_ERR_INVAL);
	assert_int_equal(vstore_format(&vs, CAP + 1, 0), HUSK_ERR_RANGE); /* one sector short */
	assert_int_equal(vstore_reason(&vs), VSTORE_R_TOO_BIG);
	assert_int_equal(md.writes, 0);
	assert_int_equal(vstore_format(&vs, CAP, 0), HUSK_OK);
	assert_int_equal(vstore_save(&vs, blob, CAP + 1, &c), HUSK_ERR_RANGE);
	assert_int_equal(vstore_reason(&vs), VSTORE_R_TOO_BIG);
	save_ok(CAP, 1, 1); /* the refused save wrote nothing, used no counter */
	/* A buffer too small: refused, and nothing written into it. */
	vstore_memdev_reboot(&md);
	open_default();
	memset(out, 0xa5, CAP);
	assert_int_equal(vstore_load(&vs, 0, out, CAP - 1, &l, &c), HUSK_ERR_RANGE);
	assert_int_equal(vstore_reason(&vs), VSTORE_R_TOO_BIG);
	assert_int_equal(out[0], 0xa5);
	assert_int_equal(out[CAP - 2], 0xa5);
	assert_int_equal(vstore_load(&vs, 0, NULL, 0, &l, &c), HUSK_ERR_RANGE);
	load_expect(CAP, 1, 1);
	/* Odd capacities round up to whole sectors. */
	fresh(VSTORE_DEVICE_SECTORS(1));
	assert_int_equal(vstore_format(&vs, 1, 0), HUSK_OK);
	save_ok(SECTOR, 2, 1);
	load_expect(SECTOR, 2, 1);
}

static void test_truncated(void **state)
{
	uint64_t s, total = VSTORE_DEVICE_SECTORS(CAP);

	(void)state;
	formatted();
	save_ok(CAP, 1, 1);
	save_ok(CAP, 2, 2);
	for (s = 0; s < total; s++) {
		assert_true(vstore_memdev_resize(&md, s));
		open_default();
		load_refused(0, HUSK_ERR_FORMAT, VSTORE_R_TRUNCATED);
	}
	assert_true(vstore_memdev_resize(&md, total));
	load_expect(CAP, 2, 2);
	/* Too small to format at all. */
	fresh(2);
	load_refused(0, HUSK_ERR_FORMAT, VSTORE_R_TRUNCATED);
	assert_int_equal(vstore_format(&vs, 1, 0), HUSK_ERR_RANGE);
}

/* ---- Key, identity, layout ---- */

static void test_wrong_key(void **state)
{
	(void)state;
	formatted();
	save_ok(500, 1, 1);
	vstore_memdev_reboot(&md);
	open_as(key2, ident1);
	load_refused(0, HUSK_ERR_FORMAT, VSTORE_R_KEY);
	assert_non_null(strstr(last_msg, "another key"));
	/* A secret of another length is another key too. */
	{
		uint8_t longer[33];

		memcpy(longer, key1, 32);
		longer[32] = 0;
		assert_int_equal(vstore_init(&vs, &md.dev, longer, 33, ident1, strlen(ident1), test_rng_fill,
					     &rng),
				 HUSK_OK);
		load_refused(0, HUSK_ERR_FORMAT, VSTORE_R_KEY);
	}
	load_expect(500, 1, 1);
}

static void test_wrong_identity(void **state)
{
	(void)state;
	formatted();
	save_ok(500, 1, 1);
	vstore_memdev_reboot(&md);
	open_as(key1, ident2);
	load_refused(0, HUSK_ERR_FORMAT, VSTORE_R_IDENTITY);
	assert_non_null(strstr(last_msg, "identity"));
	/* A host that also rewrites the superblock's identity hash meets the MAC. */
	open_default();
	{
		struct vstore tmp;

		assert_int_equal(vstore_init(&tmp, &md.dev, key1, 32, ident2, strlen(ident2), test_rng_fill,
					     &rng),
				 HUSK_OK);
		memcpy(super()->identity_hash, tmp.identity_hash, VSTORE_ID_HASH_SIZE);
		vstore_fini(&tmp);
	}
	open_as(key1, ident2);
	load_refused(0, HUSK_ERR_FORMAT, VSTORE_R_KEY);
}

static void swap_sectors(uint64_t a, uint64_t b, uint64_t n)
{
	static uint8_t tmp[SECTOR];
	uint64_t i;

	for (i = 0; i < n; i++) {
		memcpy(tmp, sector(a + i), SECTOR);
		memcpy(sector(a + i), sector(b + i), SECTOR);
		memcpy(sector(b + i), tmp, SECTOR);
	}
}

static void test_slot_swap(void **state)
{
	uint64_t d = VSTORE_DATA_SECTORS(CAP);

	(void)state;
	formatted();
	save_ok(700, 1, 1);
	save_ok(900, 2, 2);
	/* Headers and data swapped together. */
	swap_sectors(VSTORE_LBA_HDR_A, VSTORE_LBA_HDR_B, 1);
	swap_sectors(VSTORE_LBA_DATA, VSTORE_LBA_DATA + d, d);
	open_default();
	load_refused(0, HUSK_ERR_FORMAT, VSTORE_R_NO_RECORD);
	assert_non_null(strstr(last_msg, "swapped"));
	/* Even with the slot byte rewritten: the slot is in the AAD. */
	rec_hdr(VSTORE_SLOT_A)->slot = VSTORE_SLOT_A;
	rec_hdr(VSTORE_SLOT_B)->slot = VSTORE_SLOT_B;
	load_refused(0, HUSK_ERR_FORMAT, VSTORE_R_NO_RECORD);
	assert_non_null(strstr(last_msg, "does not authenticate"));
	/* Swapped back: fine. */
	rec_hdr(VSTORE_SLOT_A)->slot = VSTORE_SLOT_B;
	rec_hdr(VSTORE_SLOT_B)->slot = VSTORE_SLOT_A;
	swap_sectors(VSTORE_LBA_HDR_A, VSTORE_LBA_HDR_B, 1);
	swap_sectors(VSTORE_LBA_DATA, VSTORE_LBA_DATA + d, d);
	load_expect(900, 2, 2);
}

/* The older record copied over the newer slot: the copy is refused, the
 * original older record loads (one save back), and min_counter refuses that. */
static void test_slot_copy(void **state)
{
	uint64_t d = VSTORE_DATA_SECTORS(CAP);

	(void)state;
	formatted();
	save_ok(700, 1, 1);
	save_ok(900, 2, 2);
	memcpy(sector(VSTORE_LBA_HDR_B), sector(VSTORE_LBA_HDR_A), SECTOR);
	memcpy(sector(VSTORE_LBA_DATA + d), sector(VSTORE_LBA_DATA), d * SECTOR);
	load_expect(700, 1, 1);
	assert_true(vstore_fell_back(&vs));
	assert_non_null(strstr(vstore_message(&vs), "swapped or copied"));
	load_refused(2, HUSK_ERR_RANGE, VSTORE_R_ROLLBACK);
	assert_non_null(strstr(last_msg, "rolled back"));
}

/* A whole older image put back: consistent, so only min_counter tells. */
static void test_replay_image(void **state)
{
	size_t bytes = (size_t)DEV_SECTORS * SECTOR;
	static uint8_t snap[DEV_SECTORS * SECTOR];
	size_t l;
	uint64_t c;

	(void)state;
	formatted();
	save_ok(100, 1, 1);
	save_ok(200, 2, 2);
	memcpy(snap, md.disk, bytes);
	save_ok(300, 3, 3);
	save_ok(400, 4, 4);
	memcpy(md.disk, snap, bytes);
	load_expect(200, 2, 2); /* what vstore alone cannot tell */
	load_refused(4, HUSK_ERR_RANGE, VSTORE_R_ROLLBACK);
	assert_int_equal(vstore_load(&vs, 2, out, sizeof(out), &l, &c), HUSK_OK);
	assert_int_equal(c, 2);
	/* The freshly formatted image replayed. */
	formatted();
	memcpy(snap, md.disk, bytes);
	save_ok(100, 1, 1);
	memcpy(md.disk, snap, bytes);
	load_refused(1, HUSK_ERR_RANGE, VSTORE_R_ROLLBACK);
}

/* A record of an earlier format of the same device (same key, identity)
 * does not authenticate under the new one. */
static void test_old_format_record(void **state)
{
	uint64_t d = VSTORE_DATA_SECTORS(CAP);
	static uint8_t old_hdr[SECTOR], old_data[2 * SECTOR];

	(void)state;
	formatted();
	save_ok(700, 1, 1);
	memcpy(old_hdr, sector(VSTORE_LBA_HDR_A), SECTOR);
	memcpy(old_data, sector(VSTORE_LBA_DATA), sizeof(old_data));
	/* Counters never go back within a context, even across a format. */
	assert_int_equal(vstore_format(&vs, CAP, 0), HUSK_OK);
	save_ok(800, 2, 2);
	save_ok(900, 3, 3); /* B */
	memcpy(sector(VSTORE_LBA_HDR_A), old_hdr, SECTOR);
	memcpy(sector(VSTORE_LBA_DATA), old_data, sizeof(old_data));
	load_expect(900, 3, 3);
	assert_true(vstore_fell_back(&vs));
	/* ... nor with the new format id written into it. */
	memcpy(rec_hdr(VSTORE_SLOT_A)->format_id, super()->format_id, VSTORE_FORMAT_ID_SIZE);
	rec_hdr(VSTORE_SLOT_A)->counter = 4;
	load_expect(900, 3, 3);
	assert_true(vstore_fell_back(&vs));
	(void)d;
}

/* Two records with one counter: histories forked (a retry after a failed
 * save moves the counter to the other parity; a host splices two images). */
static void test_fork(void **state)
{
	size_t bytes = (size_t)DEV_SECTORS * SECTOR;
	static uint8_t s1[DEV_SECTORS * SECTOR], t1[DEV_SECTORS * SECTOR];
	uint64_t d = VSTORE_DATA_SECTORS(CAP), c;

	(void)state;
	formatted();
	save_ok(100, 1, 1);       /* A1 */
	memcpy(s1, md.disk, bytes);
	save_ok(200, 2, 2);       /* B2 */
	save_ok(300, 3, 3);       /* A3 */
	memcpy(t1, md.disk, bytes);
	memcpy(md.disk, s1, bytes);
	load_expect(100, 1, 1);
	md.fail_write = 0;
	fill(blob, 400, 4);
	assert_int_equal(vstore_save(&vs, blob, 400, &c), HUSK_ERR_IO);
	assert_int_equal(vstore_reason(&vs), VSTORE_R_IO);
	save_ok(400, 4, 3);       /* B3 */
	/* Splice: slot A of t1 beside slot B of this history. */
	memcpy(sector(VSTORE_LBA_HDR_A), t1 + VSTORE_LBA_HDR_A * SECTOR, SECTOR);
	memcpy(sector(VSTORE_LBA_DATA), t1 + VSTORE_LBA_DATA * SECTOR, d * SECTOR);
	open_default();
	load_refused(0, HUSK_ERR_FORMAT, VSTORE_R_FORK);
	assert_non_null(strstr(last_msg, "forked"));
}

static void test_unsupported(void **state)
{
	(void)state;
	formatted();
	save_ok(10, 1, 1);
	super()->version = 2;
	open_default();
	load_refused(0, HUSK_ERR_UNSUPPORTED, VSTORE_R_UNSUPPORTED);
	assert_non_null(strstr(last_msg, "version 2"));
	super()->version = VSTORE_LAYOUT_VERSION;
	super()->aead_alg = 2;
	load_refused(0, HUSK_ERR_UNSUPPORTED, VSTORE_R_UNSUPPORTED);
	super()->aead_alg = VSTORE_AEAD_AES256_GCM;
	super()->sector_size = 4096;
	load_refused(0, HUSK_ERR_FORMAT, VSTORE_R_CORRUPT);
	super()->sector_size = SECTOR;
	super()->reserved2[7] = 1;
	load_refused(0, HUSK_ERR_FORMAT, VSTORE_R_CORRUPT);
	super()->reserved2[7] = 0;
	super()->data_sectors = 0;
	load_refused(0, HUSK_ERR_FORMAT, VSTORE_R_CORRUPT);
	super()->data_sectors = UINT32_MAX;
	load_refused(0, HUSK_ERR_FORMAT, VSTORE_R_CORRUPT);
	/* A consistent but smaller geometry fails the MAC. */
	super()->data_sectors = 2;
	super()->total_sectors = VSTORE_LBA_DATA + 4;
	load_refused(0, HUSK_ERR_FORMAT, VSTORE_R_KEY);
	super()->data_sectors = (uint32_t)VSTORE_DATA_SECTORS(CAP);
	super()->total_sectors = VSTORE_DEVICE_SECTORS(CAP);
	load_expect(10, 1, 1);
	/* A record header with an unknown version or kind is not a record. */
	rec_hdr(VSTORE_SLOT_A)->version = 9;
	load_refused(0, HUSK_ERR_NOTFOUND, VSTORE_R_EMPTY);
	assert_true(vstore_fell_back(&vs));
	rec_hdr(VSTORE_SLOT_A)->version = VSTORE_LAYOUT_VERSION;
	rec_hdr(VSTORE_SLOT_A)->kind = 7;
	load_refused(0, HUSK_ERR_NOTFOUND, VSTORE_R_EMPTY);
	rec_hdr(VSTORE_SLOT_A)->kind = VSTORE_KIND_STATE;
	load_expect(10, 1, 1);
}

/* Header fields checked one by one (each also fails the tag). */
static void test_record_fields(void **state)
{
	struct vstore_rec saved;
	struct vstore_rec *h;
	size_t i;

	(void)state;
	formatted();
	save_ok(10, 1, 1);
	save_ok(700, 2, 2); /* B is the newest */
	h = rec_hdr(VSTORE_SLOT_B);
	memcpy(&saved, h, SECTOR);
	for (i = 0; i < 11; i++) {
		memcpy(h, &saved, SECTOR);
		switch (i) {
		case 0: h->magic[0] ^= 1; break;
		case 1: h->kdf_alg = 2; break;
		case 2: h->reserved1 = 1; break;
		case 3: h->format_id[3] ^= 1; break;
		case 4: h->identity_hash[0] ^= 1; break;
		case 5:
			h->blob_len = CAP + 1;
			h->blob_sectors = (uint32_t)VSTORE_DATA_SECTORS(CAP + 1);
			break;
		case 6: h->blob_sectors = 3; break;
		case 7: h->kind = VSTORE_KIND_EMPTY; break;
		case 8: h->counter = 1; break;
		case 9: h->slot = 5; break;
		case 10: h->blob_len = 699; break;
		}
		load_expect(10, 1, 1);
		assert_true(vstore_fell_back(&vs));
	}
	memcpy(h, &saved, SECTOR);
	load_expect(700, 2, 2);
	assert_false(vstore_fell_back(&vs));
	/* Non-zero bytes after the blob in its last sector are not tolerated. */
	sector(VSTORE_LBA_DATA + VSTORE_DATA_SECTORS(CAP) + 1)[SECTOR - 1] = 1;
	load_expect(10, 1, 1);
	assert_true(vstore_fell_back(&vs));
}

static void test_not_vstore(void **state)
{
	(void)state;
	/* Foreign data in LBA 0 (an MBR, say), nothing in LBAs 1-2. */
	fresh(DEV_SECTORS);
	memset(sector(0), 0x33, SECTOR);
	load_refused(0, HUSK_ERR_FORMAT, VSTORE_R_NOT_VSTORE);
	/* Foreign data everywhere. */
	memset(md.disk, 0x5a, (size_t)DEV_SECTORS * SECTOR);
	load_refused(0, HUSK_ERR_FORMAT, VSTORE_R_NOT_VSTORE);
	/* A superblock zeroed under live slots. */
	formatted();
	save_ok(10, 1, 1);
	memset(sector(0), 0, SECTOR);
	load_refused(0, HUSK_ERR_FORMAT, VSTORE_R_CORRUPT);
	assert_non_null(strstr(last_msg, "erased"));
	/* Both slots damaged: state present, unreadable. */
	formatted();
	save_ok(10, 1, 1);
	save_ok(10, 2, 2);
	rec_hdr(VSTORE_SLOT_A)->tag[0] ^= 1;
	rec_hdr(VSTORE_SLOT_B)->tag[0] ^= 1;
	load_refused(0, HUSK_ERR_FORMAT, VSTORE_R_NO_RECORD);
	assert_non_null(strstr(last_msg, "slot A: counter 1 does not authenticate"));
	assert_non_null(strstr(last_msg, "slot B: counter 2 does not authenticate"));
}

static void test_incomplete(void **state)
{
	(void)state;
	formatted();
	/* Superblock in place, both headers blank (cut before the empty record). */
	memset(sector(VSTORE_LBA_HDR_A), 0, 2 * SECTOR);
	open_default();
	load_refused(0, HUSK_ERR_NOTFOUND, VSTORE_R_INCOMPLETE);
	load_refused(1, HUSK_ERR_RANGE, VSTORE_R_ROLLBACK);
	/* Only a torn empty record in B. */
	formatted();
	rec_hdr(VSTORE_SLOT_B)->tag[5] ^= 0x40;
	load_refused(0, HUSK_ERR_NOTFOUND, VSTORE_R_INCOMPLETE);
	/* A tombstone over the superblock: whatever the slots hold. */
	formatted();
	save_ok(5, 5, 1);
	super()->version = VSTORE_TOMBSTONE_VERSION;
	load_refused(0, HUSK_ERR_NOTFOUND, VSTORE_R_INCOMPLETE);
	/* Part of the magic, then zeros (a torn first write of a blank device). */
	fresh(DEV_SECTORS);
	memcpy(sector(0), "HUS", 3);
	load_refused(0, HUSK_ERR_NOTFOUND, VSTORE_R_INCOMPLETE);
	sector(0)[100] = 1;
	load_refused(0, HUSK_ERR_FORMAT, VSTORE_R_NOT_VSTORE);
	/* A caller may format and go on. */
	assert_int_equal(vstore_format(&vs, CAP, 0), HUSK_OK);
	save_ok(5, 5, 1);
	load_expect(5, 5, 1);
}

/* Format destroys: the old state is gone, the device reads as empty. */
static void test_format_over_state(void **state)
{
	(void)state;
	formatted();
	save_ok(10, 1, 1);
	save_ok(10, 2, 2);
	open_default();
	assert_int_equal(vstore_format(&vs, CAP / 2, 10), HUSK_OK);
	load_refused(0, HUSK_ERR_NOTFOUND, VSTORE_R_EMPTY);
	save_ok(CAP / 2, 3, 11);
	load_expect(CAP / 2, 3, 11);
}

/* ---- Device, RNG and allocation failures ---- */

static void test_read_errors(void **state)
{
	int64_t i, n;
	size_t l;
	uint64_t c;

	(void)state;
	formatted();
	save_ok(CAP, 1, 1);
	save_ok(CAP, 2, 2);
	/* Break the newest slot so that load reads both. */
	rec_hdr(VSTORE_SLOT_B)->tag[0] ^= 1;
	vstore_memdev_reboot(&md);
	open_default();
	assert_int_equal(vstore_load(&vs, 0, out, sizeof(out), &l, &c), HUSK_OK);
	n = (int64_t)md.reads;
	assert_true(n >= 3);
	for (i = 0; i < n; i++) {
		vstore_memdev_reboot(&md);
		md.fail_read = i;
		open_default();
		/* An I/O error never makes load fall back or report "no state". */
		assert_int_equal(vstore_load(&vs, 0, out, sizeof(out), &l, &c), HUSK_ERR_IO);
		assert_int_equal(vstore_reason(&vs), VSTORE_R_IO);
		assert_non_null(strstr(vstore_message(&vs), "read"));
		assert_int_equal(vstore_save(&vs, blob, 1, &c), HUSK_ERR_INVAL);
	}
	load_expect(CAP, 1, 1);
}

static void test_write_errors(void **state)
{
	int64_t i, n;
	uint64_t c;

	(void)state;
	formatted();
	save_ok(CAP, 1, 1);
	vstore_memdev_reboot(&md);
	save_ok(CAP, 2, 2);
	n = (int64_t)md.writes;
	assert_int_equal(md.flushes, 1);
	for (i = 0; i < n + 1; i++) {
		/* Each round starts from a context that loaded counter 2. */
		load_expect(CAP, 2, 2);
		if (i < n)
			md.fail_write = i;
		else
			md.fail_flush = 0;
		fill(blob, CAP, 3);
		assert_int_equal(vstore_save(&vs, blob, CAP, &c), HUSK_ERR_IO);
		assert_int_equal(vstore_reason(&vs), VSTORE_R_IO);
		assert_non_null(strstr(vstore_message(&vs), i < n ? "write" : "flush"));
		if (i < n)
			continue;
		/* A failed flush (this device writes through) may leave the new
		 * state: also acceptable, the caller was not told it was saved. */
		load_expect(CAP, 3, 3);
	}
	save_ok(10, 4, 4);
	load_expect(10, 4, 4);
}

/* A save that failed is retried in the same context: the target slot stays
 * the same (the newest durable record is never overwritten) and the counter
 * moves on. */
static void test_retry_same_context(void **state)
{
	uint64_t c;

	(void)state;
	formatted();
	save_ok(100, 1, 1); /* A */
	md.fail_write = md.writes + 1;
	fill(blob, 2000, 2);
	assert_int_equal(vstore_save(&vs, blob, 2000, &c), HUSK_ERR_IO);
	md.fail_write = -1;
	save_ok(2000, 2, 3); /* B again, counter 3 */
	assert_int_equal(rec_hdr(VSTORE_SLOT_B)->counter, 3);
	assert_int_equal(rec_hdr(VSTORE_SLOT_A)->counter, 1);
	load_expect(2000, 2, 3);
}

static void test_format_errors(void **state)
{
	int64_t i;
	size_t l;
	uint64_t c;

	(void)state;
	for (i = 0; i < 4; i++) {
		fresh(DEV_SECTORS);
		md.fail_write = i;
		assert_int_equal(vstore_format(&vs, CAP, 0), HUSK_ERR_IO);
		assert_int_equal(vstore_save(&vs, blob, 1, &c), HUSK_ERR_INVAL);
	}
	for (i = 0; i < 4; i++) {
		fresh(DEV_SECTORS);
		md.fail_flush = i;
		assert_int_equal(vstore_format(&vs, CAP, 0), HUSK_ERR_IO);
	}
	/* The RNG fails: nothing written. */
	fresh(DEV_SECTORS);
	rng.fail_with = HUSK_ERR_TIMEOUT;
	assert_int_equal(vstore_format(&vs, CAP, 0), HUSK_ERR_TIMEOUT);
	assert_int_equal(vstore_reason(&vs), VSTORE_R_RNG);
	assert_int_equal(md.writes, 0);
	rng.fail_with = -5; /* not a husk_err */
	assert_int_equal(vstore_format(&vs, CAP, 0), HUSK_ERR_CRYPTO);
	rng.fail_with = 0;
	assert_int_equal(vstore_format(&vs, CAP, 0), HUSK_OK);
	save_ok(10, 1, 1);
	rng.fail_with = HUSK_ERR_IO;
	md.writes = 0;
	assert_int_equal(vstore_save(&vs, blob, 10, &c), HUSK_ERR_IO);
	assert_int_equal(vstore_reason(&vs), VSTORE_R_RNG);
	assert_int_equal(md.writes, 0);
	rng.fail_with = 0;
	save_ok(10, 2, 3);
	open_default();
	assert_int_equal(vstore_load(&vs, 0, out, sizeof(out), &l, &c), HUSK_OK);
	assert_int_equal(c, 3);
}

/* mbedTLS allocation failures anywhere: an error, no crash, no leak, and
 * never a wrong answer. */
static void test_alloc_failures(void **state)
{
	long i, n_load, n_save;
	size_t l;
	uint64_t c;
	int rc;

	(void)state;
	formatted();
	save_ok(600, 1, 1);
	save_ok(900, 2, 2);
	rec_hdr(VSTORE_SLOT_B)->tag[1] ^= 1; /* load must try both slots */

	open_default();
	alloc_calls = 0;
	assert_int_equal(vstore_load(&vs, 0, out, sizeof(out), &l, &c), HUSK_OK);
	n_load = alloc_calls;
	assert_true(n_load > 0);
	for (i = 0; i < n_load; i++) {
		open_default();
		alloc_calls = 0;
		alloc_fail_at = i;
		rc = vstore_load(&vs, 0, out, sizeof(out), &l, &c);
		alloc_fail_at = -1;
		assert_true(rc == HUSK_ERR_NOMEM || rc == HUSK_ERR_CRYPTO);
		assert_int_equal(vstore_reason(&vs), VSTORE_R_CRYPTO);
		assert_int_equal(l, 0);
	}
	load_expect(600, 1, 1);
	alloc_calls = 0;
	save_ok(300, 3, 2);
	n_save = alloc_calls;
	for (i = 0; i < n_save; i++) {
		uint64_t before = vs.counter;

		alloc_calls = 0;
		alloc_fail_at = i;
		fill(blob, 300, 4);
		rc = vstore_save(&vs, blob, 300, &c);
		alloc_fail_at = -1;
		assert_true(rc == HUSK_ERR_NOMEM || rc == HUSK_ERR_CRYPTO);
		assert_int_equal(vs.counter, before);
	}
	load_expect(300, 3, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_init_args, teardown),
		cmocka_unit_test_teardown(test_reason_names, teardown),
		cmocka_unit_test_teardown(test_blank_device, teardown),
		cmocka_unit_test_teardown(test_format_empty, teardown),
		cmocka_unit_test_teardown(test_roundtrip_sizes, teardown),
		cmocka_unit_test_teardown(test_realistic_sizes, teardown),
		cmocka_unit_test_teardown(test_base_counter, teardown),
		cmocka_unit_test_teardown(test_digest, teardown),
		cmocka_unit_test_teardown(test_fresh_iv, teardown),
		cmocka_unit_test_teardown(test_capacity, teardown),
		cmocka_unit_test_teardown(test_truncated, teardown),
		cmocka_unit_test_teardown(test_wrong_key, teardown),
		cmocka_unit_test_teardown(test_wrong_identity, teardown),
		cmocka_unit_test_teardown(test_slot_swap, teardown),
		cmocka_unit_test_teardown(test_slot_copy, teardown),
		cmocka_unit_test_teardown(test_replay_image, teardown),
		cmocka_unit_test_teardown(test_old_format_record, teardown),
		cmocka_unit_test_teardown(test_fork, teardown),
		cmocka_unit_test_teardown(test_unsupported, teardown),
		cmocka_unit_test_teardown(test_record_fields, teardown),
		cmocka_unit_test_teardown(test_not_vstore, teardown),
		cmocka_unit_test_teardown(test_incomplete, teardown),
		cmocka_unit_test_teardown(test_format_over_state, teardown),
		cmocka_unit_test_teardown(test_read_errors, teardown),
		cmocka_unit_test_teardown(test_write_errors, teardown),
		cmocka_unit_test_teardown(test_retry_same_context, teardown),
		cmocka_unit_test_teardown(test_format_errors, teardown),
		cmocka_unit_test_teardown(test_alloc_failures, teardown),
	};

	return cmocka_run_group_tests_name("vstore_api", tests, setup_group, NULL);
}
