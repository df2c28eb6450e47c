/* In-kernel tests of husk's state disk through the platform block ops
 * (kernel/platform/virtio_blk.c): patterns written, flushed and read back,
 * the limits every request is checked against, answers a hostile device
 * could give (virtio_blk.c's test-build fault hook alters what QEMU's
 * device wrote before husk checks it), re-initialisation, and data that
 * outlives a boot.  They need a disk (husk-launch --disk FILE, 1 MiB
 * or more, whose contents they overwrite); without one each test says SKIP
 * and passes.  tests/run.py boots the test image with a disk twice:
 *   ktest.vblk=write:SEED  writes a pattern the host then checks in FILE;
 *   ktest.vblk=check:SEED  reads it back in the next boot, together with a
 *                          sector the host wrote between the boots.
 * The pattern is pattern_byte() below, also in tests/run.py. */
#include <string.h>

#include "arch/x86/cpu.h"
#include "core/cmdline.h"
#include "core/console.h"
#include "core/ktest.h"
#include "husk/err.h"
#include "mm/pages.h"
#include "platform/pci.h"
#include "platform/platform.h"
#include "platform/virtio_blk.h"

#define SECTOR         PLATFORM_BLOCK_SECTOR_SIZE
#define MAXN           PLATFORM_BLOCK_MAX_SECTORS
#define BUF_ORDER      3u /* MAXN sectors */
#define MIN_SECTORS    512u
#define SCRATCH_LBA    16u  /* write_flush_read's area: 16 .. 16 + 4 + MAXN */
#define PERSIST_LBA    256u /* 8 sectors husk writes in one boot and reads in the next */
#define PERSIST_COUNT  8u
#define HOST_LBA       300u /* one sector the host writes between the boots */

HUSK_STATIC_ASSERT((HUSK_PAGE_SIZE << BUF_ORDER) == MAXN * SECTOR, "test buffer holds MAXN sectors");

/* Byte at absolute disk offset off; tests/run.py computes the same. */
static uint8_t pattern_byte(uint64_t off, uint32_t seed)
{
	uint32_t v = (uint32_t)(off * 2654435761u) ^ seed;

	return (uint8_t)((v >> 24) ^ (v >> 8));
}

static void fill(uint8_t *buf, uint64_t lba, uint32_t count, uint32_t seed)
{
	for (uint64_t i = 0; i < (uint64_t)count * SECTOR; i++)
		buf[i] = pattern_byte(lba * SECTOR + i, seed);
}

/* Index of the first byte that differs from the pattern, or -1. */
static long mismatch(const uint8_t *buf, uint64_t lba, uint32_t count, uint32_t seed)
{
	for (uint64_t i = 0; i < (uint64_t)count * SECTOR; i++)
		if (buf[i] != pattern_byte(lba * SECTOR + i, seed))
			return (long)i;
	return -1;
}

struct fixture {
	const struct platform_block_ops *b;
	uint8_t *w, *r; /* MAXN sectors each */
	uint64_t sectors;
	uint32_t seed;
};

/* Brings the disk up; false if the test is over (skipped or failed). */
static bool fixture_up(struct ktest_ctx *t, struct fixture *f)
{
	int err;

	memset(f, 0, sizeof(*f));
	f->b = platform()->block;
	if (!KEXPECT(t, f->b != NULL))
		return false;
	err = f->b->init();
	if (err == HUSK_ERR_NOTFOUND) {
		kprintf("    # %s: SKIP no disk attached (husk-launch --disk FILE)\n", t->name);
		return false;
	}
	if (!KEXPECT_EQ(t, err, HUSK_OK))
		return false;
	f->sectors = f->b->sectors();
	f->w = page_alloc_va(BUF_ORDER);
	f->r = page_alloc_va(BUF_ORDER);
	f->seed = (uint32_t)rdtsc() | 1u;
	if (KEXPECT(t, f->w && f->r) && KEXPECT(t, f->sectors >= MIN_SECTORS))
		return true;
	if (f->w)
		page_free_va(f->w, BUF_ORDER);
	if (f->r)
		page_free_va(f->r, BUF_ORDER);
	f->b->fini();
	return false;
}

static void fixture_down(struct fixture *f)
{
	page_free_va(f->w, BUF_ORDER);
	page_free_va(f->r, BUF_ORDER);
	f->b->fini();
}

/* A test with the disk up and two buffers; skipped without a disk. */
#define VBLK_TEST(name)                                                        \
	static void vblk_body_##name(struct ktest_ctx *t, struct fixture *f);   \
	KTEST(vblk, name)                                                      \
	{                                                                      \
		struct fixture f;                                              \
		if (fixture_up(t, &f)) {                                       \
			vblk_body_##name(t, &f);                               \
			fixture_down(&f);                                      \
		}                                                              \
	}                                                                      \
	static void vblk_body_##name(struct ktest_ctx *t, struct fixture *f)

VBLK_TEST(init_is_idempotent)
{
	KEXPECT_EQ(t, f->b->init(), HUSK_OK);
	KEXPECT_EQ(t, f->b->sectors(), f->sectors);
	kprintf("    # %s: %llu sectors\n", t->name, (unsigned long long)f->sectors);
}

/* Requests of 1, 3 and MAXN sectors; read back whole, in parts and across
 * the boundaries between separate writes. */
VBLK_TEST(write_flush_read)
{
	static const struct {
		uint64_t lba;
		uint32_t count;
	} w[] = { { SCRATCH_LBA, 1 }, { SCRATCH_LBA + 1, 3 }, { SCRATCH_LBA + 4, MAXN } };
	long bad;

	for (unsigned i = 0; i < HUSK_ARRAY_SIZE(w); i++) {
		fill(f->w, w[i].lba, w[i].count, f->seed);
		KASSERT_EQ(t, f->b->write(w[i].lba, w[i].count, f->w), HUSK_OK);
	}
	KASSERT_EQ(t, f->b->flush(), HUSK_OK);
	for (unsigned i = 0; i < HUSK_ARRAY_SIZE(w); i++) {
		memset(f->r, 0, MAXN * SECTOR);
		KASSERT_EQ(t, f->b->read(w[i].lba, w[i].count, f->r), HUSK_OK);
		bad = mismatch(f->r, w[i].lba, w[i].count, f->seed);
		if (bad >= 0)
			ktest_fail(t, __FILE__, __LINE__, "LBA %llu+%u: byte %ld differs",
				   (unsigned long long)w[i].lba, w[i].count, bad);
	}
	/* One read over all three writes' first sectors. */
	memset(f->r, 0, MAXN * SECTOR);
	KASSERT_EQ(t, f->b->read(SCRATCH_LBA, MAXN, f->r), HUSK_OK);
	KEXPECT_EQ(t, mismatch(f->r, SCRATCH_LBA, MAXN, f->seed), -1);
	/* Overwrite one sector in the middle; its neighbours stay. */
	fill(f->w, SCRATCH_LBA + 2, 1, f->seed ^ 0xffffffffu);
	KASSERT_EQ(t, f->b->write(SCRATCH_LBA + 2, 1, f->w), HUSK_OK);
	KASSERT_EQ(t, f->b->flush(), HUSK_OK);
	KASSERT_EQ(t, f->b->read(SCRATCH_LBA + 1, 3, f->r), HUSK_OK);
	KEXPECT_EQ(t, mismatch(f->r, SCRATCH_LBA + 1, 1, f->seed), -1);
	KEXPECT_EQ(t, mismatch(f->r + SECTOR, SCRATCH_LBA + 2, 1, f->seed ^ 0xffffffffu), -1);
	KEXPECT_EQ(t, mismatch(f->r + 2 * SECTOR, SCRATCH_LBA + 3, 1, f->seed), -1);
}

VBLK_TEST(last_sector)
{
	uint64_t last = f->sectors - 1;

	fill(f->w, last, 1, f->seed);
	KASSERT_EQ(t, f->b->write(last, 1, f->w), HUSK_OK);
	KASSERT_EQ(t, f->b->read(last, 1, f->r), HUSK_OK);
	KEXPECT_EQ(t, mismatch(f->r, last, 1, f->seed), -1);
	KASSERT_EQ(t, f->b->read(f->sectors - MAXN, MAXN, f->r), HUSK_OK);
	KEXPECT_EQ(t, mismatch(f->r + (MAXN - 1) * SECTOR, last, 1, f->seed), -1);
}

/* Refused before anything reaches the device; a refused read leaves the
 * buffer as it was. */
VBLK_TEST(requests_out_of_bounds_refused)
{
	uint64_t n = f->sectors;

	memset(f->r, 0x5a, MAXN * SECTOR);
	KEXPECT_EQ(t, f->b->read(n, 1, f->r), HUSK_ERR_RANGE);
	KEXPECT_EQ(t, f->b->read(n - 1, 2, f->r), HUSK_ERR_RANGE);
	KEXPECT_EQ(t, f->b->read(n - MAXN + 1, MAXN, f->r), HUSK_ERR_RANGE);
	KEXPECT_EQ(t, f->b->read(UINT64_MAX, 1, f->r), HUSK_ERR_RANGE);
	KEXPECT_EQ(t, f->b->read(UINT64_MAX - 1, 4, f->r), HUSK_ERR_RANGE);
	KEXPECT_EQ(t, f->b->write(n, 1, f->w), HUSK_ERR_RANGE);
	KEXPECT_EQ(t, f->b->write(UINT64_MAX, MAXN, f->w), HUSK_ERR_RANGE);
	for (unsigned i = 0; i < MAXN * SECTOR; i++)
		if (f->r[i] != 0x5a) {
			ktest_fail(t, __FILE__, __LINE__, "refused read changed byte %u", i);
			break;
		}
}

VBLK_TEST(zero_and_oversized_requests_refused)
{
	KEXPECT_EQ(t, f->b->read(0, 0, f->r), HUSK_ERR_INVAL);
	KEXPECT_EQ(t, f->b->write(0, 0, f->w), HUSK_ERR_INVAL);
	KEXPECT_EQ(t, f->b->read(0, MAXN + 1, f->r), HUSK_ERR_INVAL);
	KEXPECT_EQ(t, f->b->write(0, MAXN + 1, f->w), HUSK_ERR_INVAL);
	KEXPECT_EQ(t, f->b->read(0, UINT32_MAX, f->r), HUSK_ERR_INVAL);
	KEXPECT_EQ(t, f->b->read(0, 1, NULL), HUSK_ERR_INVAL);
	KEXPECT_EQ(t, f->b->write(0, 1, NULL), HUSK_ERR_INVAL);
	/* The device still works after the refusals. */
	KEXPECT_EQ(t, f->b->read(0, 1, f->r), HUSK_OK);
}

/* After fini nothing goes out; init brings the same disk back. */
VBLK_TEST(fini_then_init_again)
{
	fill(f->w, SCRATCH_LBA, 2, f->seed);
	KASSERT_EQ(t, f->b->write(SCRATCH_LBA, 2, f->w), HUSK_OK);
	KASSERT_EQ(t, f->b->flush(), HUSK_OK);
	f->b->fini();
	KEXPECT_EQ(t, f->b->sectors(), 0);
	KEXPECT_EQ(t, f->b->read(SCRATCH_LBA, 1, f->r), HUSK_ERR_IO);
	KEXPECT_EQ(t, f->b->write(SCRATCH_LBA, 1, f->w), HUSK_ERR_IO);
	KEXPECT_EQ(t, f->b->flush(), HUSK_ERR_IO);
	KASSERT_EQ(t, f->b->init(), HUSK_OK);
	KEXPECT_EQ(t, f->b->sectors(), f->sectors);
	KASSERT_EQ(t, f->b->read(SCRATCH_LBA, 2, f->r), HUSK_OK);
	KEXPECT_EQ(t, mismatch(f->r, SCRATCH_LBA, 2, f->seed), -1);
}

static bool unchanged(const uint8_t *buf, uint8_t v)
{
	for (unsigned i = 0; i < MAXN * SECTOR; i++)
		if (buf[i] != v)
			return false;
	return true;
}

/* Each of these fails the one request it meets; the caller's buffer is not
 * touched, and the device goes on working. */
VBLK_TEST(garbage_answers_refused)
{
	static const struct {
		enum vblk_fault fault;
		int err;
		const char *what;
	} cases[] = {
		{ VBLK_FAULT_USED_ID, HUSK_ERR_IO, "foreign descriptor id" },
		{ VBLK_FAULT_LEN_LONG, HUSK_ERR_IO, "length beyond the request" },
		{ VBLK_FAULT_LEN_SHORT, HUSK_ERR_IO, "short length" },
		{ VBLK_FAULT_STATUS, HUSK_ERR_IO, "status 0x7f" },
		{ VBLK_FAULT_NO_STATUS, HUSK_ERR_IO, "status never written" },
		{ VBLK_FAULT_IOERR, HUSK_ERR_IO, "VIRTIO_BLK_S_IOERR" },
	};

	fill(f->w, SCRATCH_LBA, 4, f->seed);
	KASSERT_EQ(t, f->b->write(SCRATCH_LBA, 4, f->w), HUSK_OK);
	for (unsigned i = 0; i < HUSK_ARRAY_SIZE(cases); i++) {
		int err;

		memset(f->r, 0x5a, MAXN * SECTOR);
		vblk_test_fault(cases[i].fault, 0);
		err = f->b->read(SCRATCH_LBA, 4, f->r);
		if (err != cases[i].err)
			ktest_fail(t, __FILE__, __LINE__, "read, %s: %d", cases[i].what, err);
		if (!unchanged(f->r, 0x5a))
			ktest_fail(t, __FILE__, __LINE__, "read, %s: buffer changed", cases[i].what);
		vblk_test_fault(cases[i].fault, 0);
		err = f->b->write(SCRATCH_LBA + 8, 1, f->w);
		if (err != cases[i].err)
			ktest_fail(t, __FILE__, __LINE__, "write, %s: %d", cases[i].what, err);
		vblk_test_fault(cases[i].fault, 0);
		err = f->b->flush();
		if (err != cases[i].err)
			ktest_fail(t, __FILE__, __LINE__, "flush, %s: %d", cases[i].what, err);
		KASSERT_EQ(t, f->b->read(SCRATCH_LBA, 4, f->r), HUSK_OK);
		KEXPECT_EQ(t, mismatch(f->r, SCRATCH_LBA, 4, f->seed), -1);
	}
}

/* A ring husk can no longer account for, or no answer at all: the device
 * is reset and dropped; init brings it back. */
VBLK_TEST(broken_device_dropped)
{
	static const struct {
		enum vblk_fault fault;
		int err;
	} cases[] = {
		{ VBLK_FAULT_IDX_JUMP, HUSK_ERR_IO },
		{ VBLK_FAULT_SILENT, HUSK_ERR_TIMEOUT },
	};

	fill(f->w, SCRATCH_LBA, 1, f->seed);
	KASSERT_EQ(t, f->b->write(SCRATCH_LBA, 1, f->w), HUSK_OK);
	for (unsigned i = 0; i < HUSK_ARRAY_SIZE(cases); i++) {
		memset(f->r, 0x5a, MAXN * SECTOR);
		vblk_test_fault(cases[i].fault, 100ull * 1000 * 1000);
		KEXPECT_EQ(t, f->b->read(SCRATCH_LBA, 1, f->r), cases[i].err);
		KEXPECT(t, unchanged(f->r, 0x5a));
		KEXPECT_EQ(t, f->b->sectors(), 0);
		KEXPECT_EQ(t, f->b->read(SCRATCH_LBA, 1, f->r), HUSK_ERR_IO);
		KASSERT_EQ(t, f->b->init(), HUSK_OK);
		KASSERT_EQ(t, f->b->read(SCRATCH_LBA, 1, f->r), HUSK_OK);
		KEXPECT_EQ(t, mismatch(f->r, SCRATCH_LBA, 1, f->seed), -1);
	}
}

/* The disk= option's syntax (kernel/platform/pci.c); no disk needed. */
KTEST(vblk, pci_address_parsing)
{
	static const struct {
		const char *s;
		int err;
		uint8_t dev, fn;
	} cases[] = {
		{ "pci:00:05.0", HUSK_OK, 5, 0 },
		{ "pci:0:1f.7", HUSK_OK, 0x1f, 7 },
		{ "pci:0000:00:05.0", HUSK_OK, 5, 0 },
		{ "pci:00:1F.3", HUSK_OK, 0x1f, 3 },
		{ "pci:00:05", HUSK_ERR_INVAL, 0, 0 },
		{ "pci:00:20.0", HUSK_ERR_INVAL, 0, 0 },
		{ "pci:00:05.8", HUSK_ERR_INVAL, 0, 0 },
		{ "pci:00:05.0x", HUSK_ERR_INVAL, 0, 0 },
		{ "pci::05.0", HUSK_ERR_INVAL, 0, 0 },
		{ "pci:000:05.0", HUSK_ERR_INVAL, 0, 0 },
		{ "00:05.0", HUSK_ERR_INVAL, 0, 0 },
		{ "pci:00:05.0 ", HUSK_ERR_INVAL, 0, 0 },
		{ "", HUSK_ERR_INVAL, 0, 0 },
		{ "pci:01:00.0", HUSK_ERR_UNSUPPORTED, 0, 0 },
		{ "pci:0001:00:05.0", HUSK_ERR_UNSUPPORTED, 0, 0 },
	};

	for (unsigned i = 0; i < HUSK_ARRAY_SIZE(cases); i++) {
		struct pci_addr a = { 0xff, 0xff, 0xff };
		int err = pci_parse_addr(cases[i].s, &a);

		if (err != cases[i].err)
			ktest_fail(t, __FILE__, __LINE__, "'%s': %d, want %d", cases[i].s, err,
				   cases[i].err);
		else if (!err && (a.bus != 0 || a.dev != cases[i].dev || a.fn != cases[i].fn))
			ktest_fail(t, __FILE__, __LINE__, "'%s': %02x:%02x.%x", cases[i].s, a.bus,
				   a.dev, a.fn);
	}
}

/* ktest.vblk=write:SEED or check:SEED (SEED in hex). */
static bool persist_mode(bool *write, uint32_t *seed)
{
	char v[32];
	const char *p;

	if (!cmdline_get("ktest.vblk", v, sizeof(v)))
		return false;
	if (strncmp(v, "write:", 6) == 0)
		*write = true;
	else if (strncmp(v, "check:", 6) == 0)
		*write = false;
	else
		return false;
	*seed = 0;
	for (p = v + 6; *p; p++) {
		char c = *p;

		*seed = *seed << 4 |
			(uint32_t)(c >= 'a' ? c - 'a' + 10 : c >= 'A' ? c - 'A' + 10 : c - '0');
	}
	return true;
}

VBLK_TEST(persists_across_boots)
{
	bool write;
	uint32_t seed;
	long bad;

	if (!persist_mode(&write, &seed)) {
		kprintf("    # %s: SKIP no ktest.vblk=write:SEED or check:SEED\n", t->name);
		return;
	}
	if (write) {
		fill(f->w, PERSIST_LBA, PERSIST_COUNT, seed);
		KASSERT_EQ(t, f->b->write(PERSIST_LBA, PERSIST_COUNT, f->w), HUSK_OK);
		KASSERT_EQ(t, f->b->flush(), HUSK_OK);
		kprintf("    # %s: wrote LBA %u+%u\n", t->name, PERSIST_LBA, PERSIST_COUNT);
		return;
	}
	KASSERT_EQ(t, f->b->read(PERSIST_LBA, PERSIST_COUNT, f->r), HUSK_OK);
	bad = mismatch(f->r, PERSIST_LBA, PERSIST_COUNT, seed);
	if (bad >= 0)
		ktest_fail(t, __FILE__, __LINE__, "what the last boot wrote differs at byte %ld", bad);
	/* The host's sector: the pattern with the seed inverted. */
	KASSERT_EQ(t, f->b->read(HOST_LBA, 1, f->r), HUSK_OK);
	bad = mismatch(f->r, HOST_LBA, 1, ~seed);
	if (bad >= 0)
		ktest_fail(t, __FILE__, __LINE__, "the host's sector differs at byte %ld", bad);
}
