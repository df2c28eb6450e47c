/* The vTPM's persistent state: the TPM engine's NV blob, encrypted and
 * authenticated by lib/vstore, on husk's block device (platform block
 * ops: a virtio-blk disk the VMM attaches).  The root secret is the
 * storage key the KBS released to this attested boot; the store is bound
 * to the identity "husk vtpm <vtpm.identity>" (command line, default
 * "default"), so one key cannot open another instance's state.
 *
 * A state that is there but refused (another key, tampered, older than
 * the disk says, a torn format) is never replaced: husk stops instead, and
 * says why.  What remains possible without a trusted counter (replay of a
 * whole older disk) is in docs/storage.md. */
#include <string.h>

#include "core/cmdline.h"
#include "core/console.h"
#include "husk/err.h"
#include "platform/platform.h"
#include "services/vtpm_store.h"
#include "vstore/vstore.h"

static struct vstore store; /* ~10 KiB */
static bool opened, loaded;
/* The load found no state (blank, formatted empty, or a format cut short):
 * the first save may format (unless EMPTY) and create one. */
static bool may_create, needs_format;

static int dev_read(void *ctx, uint64_t lba, uint32_t count, void *buf)
{
	(void)ctx;
	return platform()->block->read(lba, count, buf);
}

static int dev_write(void *ctx, uint64_t lba, uint32_t count, const void *buf)
{
	(void)ctx;
	return platform()->block->write(lba, count, buf);
}

static int dev_flush(void *ctx)
{
	(void)ctx;
	return platform()->block->flush();
}

static int rng(void *ctx, uint8_t *buf, size_t len)
{
	return platform()->entropy(ctx, buf, len);
}

int vtpm_store_open(const uint8_t *secret, size_t secret_len)
{
	const struct platform_block_ops *b = platform()->block;
	char name[64], identity[80] = "husk vtpm ";
	struct vstore_dev dev;
	int err;

	if (!b)
		return HUSK_ERR_NOTFOUND;
	err = b->init();
	if (err) {
		if (err != HUSK_ERR_NOTFOUND)
			pr_err("vTPM store: the disk is unusable: %s", husk_strerror(err));
		return err;
	}
	err = cmdline_lookup("vtpm.identity", name, sizeof(name));
	if (err == HUSK_ERR_NOTFOUND)
		memcpy(name, "default", sizeof("default"));
	else if (err) {
		pr_err("vTPM store: vtpm.identity= is longer than %u characters",
		       (unsigned)sizeof(name) - 1);
		return err;
	}
	memcpy(identity + strlen(identity), name, strlen(name) + 1);
	dev = (struct vstore_dev){ dev_read, dev_write, dev_flush, b->sectors(), NULL };
	err = vstore_init(&store, &dev, secret, secret_len, identity, strlen(identity), rng, NULL);
	if (err) {
		pr_err("vTPM store: %s", husk_strerror(err));
		return err;
	}
	opened = true;
	pr_info("vTPM store: disk of %llu KiB, identity \"%s\"",
		(unsigned long long)(dev.sectors / 2), identity);
	return HUSK_OK;
}

int vtpm_store_reopen(void)
{
	const struct platform_block_ops *b = platform()->block;
	uint64_t before;
	int err;

	if (!opened)
		return HUSK_ERR_NOTFOUND;
	before = b->sectors();
	b->fini();
	err = b->init();
	if (!err && b->sectors() != before)
		err = HUSK_ERR_IO;
	if (err)
		pr_err("vTPM store: the disk could not be set up again: %s", husk_strerror(err));
	else
		pr_warn("vTPM store: the disk was set up again after a failure");
	return err;
}

bool vtpm_store_ready(void)
{
	return opened;
}

int vtpm_store_load(uint8_t *buf, size_t max, size_t *len)
{
	uint64_t counter = 0;
	int err;

	if (!opened)
		return HUSK_ERR_NOTFOUND;
	err = vstore_load(&store, 0, buf, max, len, &counter);
	if (err == HUSK_ERR_NOTFOUND) {
		may_create = true;
		needs_format = vstore_reason(&store) != VSTORE_R_EMPTY;
		pr_info("vTPM store: no state yet (%s)", vstore_message(&store));
		return err;
	}
	if (err) {
		pr_err("vTPM store: the state on the disk is refused: %s", vstore_message(&store));
		return err;
	}
	loaded = true;
	pr_info("vTPM store: state loaded, version %llu, %zu KiB%s", (unsigned long long)counter,
		*len >> 10,
		vstore_fell_back(&store) ? " (the other slot was damaged: a cut write, or tampering)"
					 : "");
	return HUSK_OK;
}

/* The capacity a blank disk is formatted for: room for the state to grow
 * (NV indexes the guest defines), as much as the disk holds up to
 * VTPM_STATE_MAX. */
static int format(void)
{
	uint64_t sectors = platform()->block->sectors();
	int err = HUSK_ERR_RANGE;

	for (uint32_t cap = VTPM_STATE_MAX; cap >= (128u << 10); cap >>= 1) {
		if (VSTORE_DEVICE_SECTORS(cap) > sectors)
			continue;
		err = vstore_format(&store, cap, 0);
		if (!err)
			pr_info("vTPM store: disk formatted for states up to %u KiB", cap >> 10);
		break;
	}
	if (err)
		pr_err("vTPM store: cannot format: %s", vstore_message(&store));
	return err;
}

int vtpm_store_save(const uint8_t *blob, size_t len)
{
	uint64_t counter;
	int err;

	if (!opened)
		return HUSK_ERR_NOTFOUND;
	if (!loaded) {
		/* Only after a load that found nothing: never over a refused state. */
		if (!may_create)
			return HUSK_ERR_INVAL;
		if (needs_format) {
			err = format();
			if (err)
				return err;
			needs_format = false;
		}
		loaded = true;
	}
	err = vstore_save(&store, blob, len, &counter);
	if (err) {
		pr_err("vTPM store: save failed: %s", vstore_message(&store));
		return err;
	}
	pr_debug("vTPM store: state version %llu saved (%zu KiB)", (unsigned long long)counter,
		 len >> 10);
	return HUSK_OK;
}
