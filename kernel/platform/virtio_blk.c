/* husk's state disk: polled virtio-blk over the legacy PCI interface; see
 * virtio_blk.h and docs/storage-device.md.
 *
 * Why the legacy interface (device 1af4:1001, QEMU's
 * `virtio-blk-pci,disable-modern=on`) and not the modern one (1af4:1042):
 *  - its registers are one small I/O BAR, which the svm platform can take
 *    away from the guest port by port in the I/O permission map; a modern
 *    device's registers are memory BARs that nested paging would have to
 *    hide page by page (and 64-bit BARs above 4 GiB are not even mapped);
 *  - husk needs no MMIO mapping and parses no PCI capability list (one
 *    structure fewer that the host writes and husk must walk);
 *  - it is what QEMU, husk's only VMM so far, offers on every machine type.
 * What it costs: legacy is deprecated (virtio 1.x keeps it as "transitional"),
 * the queue size is the device's choice (checked and bounded here), the
 * queue must sit below 16 TiB (a 32-bit page number), and VMMs that offer
 * only modern devices need a second transport.  On SNP, I/O ports go
 * through the GHCB either way.
 *
 * One request at a time: three descriptors (header, data, status) at fixed
 * indices 0-2, rewritten in full before every request, so nothing the
 * device may have written into the ring is ever read back except the used
 * ring's index and the one element it announces.  Data moves through one
 * bounce buffer of PLATFORM_BLOCK_MAX_SECTORS sectors, so the device is
 * only ever told about husk pages that hold nothing else. */
#include <string.h>

#include "arch/x86/cpu.h"
#include "arch/x86/tsc.h"
#include "core/cmdline.h"
#include "core/console.h"
#include "core/spinlock.h"
#include "husk/bootinfo.h"
#include "husk/compiler.h"
#include "husk/err.h"
#include "mm/pages.h"
#include "platform/pc.h"
#include "platform/pci.h"
#include "platform/platform.h"
#include "platform/virtio_blk.h"

/* PCI identity of a legacy (transitional) virtio block device: virtio 1.x,
 * 4.1.2 "PCI Device Discovery": vendor 0x1af4, device 0x1000 + (type - 1)
 * for transitional devices, subsystem device ID = the virtio type,
 * revision 0. */
#define VIRTIO_PCI_VENDOR        0x1af4u
#define VIRTIO_PCI_DEV_BLK_LEGACY 0x1001u
#define VIRTIO_PCI_DEV_BLK_MODERN 0x1042u
#define VIRTIO_ID_BLOCK          2u

/* Legacy PCI register layout (virtio 1.x, 4.1.4.8), offsets in the I/O BAR.
 * Device-specific configuration follows at 0x14 while MSI-X is off, which
 * husk never turns on. */
#define VIO_DEVICE_FEATURES 0x00u /* u32 */
#define VIO_DRIVER_FEATURES 0x04u /* u32 */
#define VIO_QUEUE_PFN       0x08u /* u32: queue address >> 12 */
#define VIO_QUEUE_SIZE      0x0cu /* u16 */
#define VIO_QUEUE_SELECT    0x0eu /* u16 */
#define VIO_QUEUE_NOTIFY    0x10u /* u16 */
#define VIO_DEVICE_STATUS   0x12u /* u8 */
#define VIO_ISR_STATUS      0x13u /* u8 */
#define VIO_CONFIG          0x14u
#define VIO_QUEUE_ALIGN     4096u
#define VIO_PFN_SHIFT       12u

/* struct virtio_blk_config (virtio 1.x, 5.2.4), offsets from VIO_CONFIG. */
#define VBLK_CFG_CAPACITY 0x00u /* le64, 512-byte sectors */
#define VBLK_CFG_BLK_SIZE 0x14u /* le32, if VIRTIO_BLK_F_BLK_SIZE */
#define VBLK_CFG_END      0x18u /* the last byte husk reads, exclusive */

/* Device status bits (2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE 0x01u
#define VIRTIO_STATUS_DRIVER      0x02u
#define VIRTIO_STATUS_DRIVER_OK   0x04u
#define VIRTIO_STATUS_NEEDS_RESET 0x40u
#define VIRTIO_STATUS_FAILED      0x80u

/* Feature bits husk may accept (5.2.3); legacy devices have 32. */
#define VIRTIO_BLK_F_RO       (1u << 5)
#define VIRTIO_BLK_F_BLK_SIZE (1u << 6)
#define VIRTIO_BLK_F_FLUSH    (1u << 9)
#define VBLK_FEATURES_WANTED  (VIRTIO_BLK_F_RO | VIRTIO_BLK_F_BLK_SIZE | VIRTIO_BLK_F_FLUSH)

/* Request types and status values (5.2.6). */
#define VIRTIO_BLK_T_IN     0u
#define VIRTIO_BLK_T_OUT    1u
#define VIRTIO_BLK_T_FLUSH  4u
#define VIRTIO_BLK_T_GET_ID 8u
#define VIRTIO_BLK_S_OK     0u
#define VIRTIO_BLK_S_IOERR  1u
#define VIRTIO_BLK_S_UNSUPP 2u
#define VIRTIO_BLK_ID_BYTES 20u

/* Split virtqueue (2.7). */
#define VIRTQ_DESC_F_NEXT  1u
#define VIRTQ_DESC_F_WRITE 2u /* device writes this buffer */
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1u

struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
} HUSK_PACKED;
HUSK_STATIC_ASSERT(sizeof(struct virtq_desc) == 16, "virtq_desc is 16 bytes");

struct virtq_used_elem {
	uint32_t id;
	uint32_t len;
} HUSK_PACKED;
HUSK_STATIC_ASSERT(sizeof(struct virtq_used_elem) == 8, "virtq_used_elem is 8 bytes");

struct virtio_blk_req_hdr {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
} HUSK_PACKED;
HUSK_STATIC_ASSERT(sizeof(struct virtio_blk_req_hdr) == 16, "virtio_blk_req header is 16 bytes");

/* Ring offsets: avail and used rings are flags (u16), idx (u16), ring[]. */
#define VRING_FLAGS 0u
#define VRING_IDX   2u
#define VRING_RING  4u

/* Queue sizes husk accepts: legacy sizes are the device's choice and a
 * power of two; more than 1024 would only cost husk memory. */
#define VBLK_QSIZE_MIN 4u
#define VBLK_QSIZE_MAX 1024u
/* What the I/O BAR must cover: the registers and the config bytes husk
 * reads, at most the 256 ports an I/O BAR can have. */
#define VBLK_BAR_MIN 0x40u
#define VBLK_BAR_MAX 0x100u

/* The request page: header, status byte. */
#define REQ_HDR_OFF    0u
#define REQ_STATUS_OFF 64u
#define STATUS_UNSET   0xffu /* what the status byte holds until the device writes it */

#define VBLK_BUF_BYTES  (PLATFORM_BLOCK_MAX_SECTORS * PLATFORM_BLOCK_SECTOR_SIZE)
#define VBLK_BUF_ORDER  3u /* 8 pages */
HUSK_STATIC_ASSERT(VBLK_BUF_BYTES == (HUSK_PAGE_SIZE << VBLK_BUF_ORDER), "bounce buffer size");

/* Bounds on every wait.  Generous: under TCG a flush is an fsync on the
 * host. */
#define VBLK_IO_TIMEOUT_NS    (10ull * 1000 * 1000 * 1000)
#define VBLK_RESET_TIMEOUT_NS (100ull * 1000 * 1000)
#define VBLK_REPORTS_MAX 16u /* failures logged, then one per 1024 */

struct vblk {
	struct spinlock lock;
	bool up;        /* requests may go out */
	bool claimed;   /* husk owns the device's ports (vblk_ports) */
	struct pci_addr addr;
	uint32_t old_bar; /* BAR0 and command register as husk found them, put */
	uint16_t old_cmd; /* back if the device turns out not to be husk's */
	uint16_t io;    /* I/O BAR base */
	uint16_t io_size;
	uint32_t features; /* negotiated */
	uint64_t sectors;
	uint32_t blk_size;
	uint16_t qsize;
	uint16_t avail_idx; /* husk's own copies: never read back from memory */
	uint16_t used_idx;
	uint64_t ring_pa, req_pa, buf_pa;
	unsigned ring_order;
	uint8_t *ring, *req, *buf;
	struct virtq_desc *desc;
	uint8_t *avail, *used;
	unsigned failures;
	bool announced; /* the disk's description was logged once */
#ifdef HUSK_KTEST
	enum vblk_fault fault;
	uint64_t fault_timeout_ns;
#endif
};

static struct vblk vb = { .lock = SPINLOCK_INIT };

#ifdef HUSK_KTEST
void vblk_test_fault(enum vblk_fault fault, uint64_t timeout_ns)
{
	spin_lock(&vb.lock);
	vb.fault = fault;
	vb.fault_timeout_ns = timeout_ns;
	spin_unlock(&vb.lock);
}

/* What a misbehaving device would have written by now. */
static void fault_apply(enum vblk_fault f, uint16_t *idx, uint32_t writable)
{
	uint8_t *e = vb.used + VRING_RING + sizeof(struct virtq_used_elem) *
						    (vb.used_idx & (vb.qsize - 1));
	uint32_t v;

	switch (f) {
	case VBLK_FAULT_USED_ID:
		v = 1;
		memcpy(e, &v, 4);
		break;
	case VBLK_FAULT_LEN_LONG:
		v = writable + HUSK_PAGE_SIZE;
		memcpy(e + 4, &v, 4);
		break;
	case VBLK_FAULT_LEN_SHORT:
		v = writable / 2;
		memcpy(e + 4, &v, 4);
		break;
	case VBLK_FAULT_STATUS:
		vb.req[REQ_STATUS_OFF] = 0x7f;
		break;
	case VBLK_FAULT_NO_STATUS:
		vb.req[REQ_STATUS_OFF] = STATUS_UNSET;
		break;
	case VBLK_FAULT_IOERR:
		vb.req[REQ_STATUS_OFF] = VIRTIO_BLK_S_IOERR;
		break;
	case VBLK_FAULT_IDX_JUMP:
		(*idx)++;
		break;
	default:
		break;
	}
}
#endif

/* ---- registers ---- */

static uint8_t reg_r8(uint16_t off) { return inb((uint16_t)(vb.io + off)); }
static uint16_t reg_r16(uint16_t off) { return pc_inw((uint16_t)(vb.io + off)); }
static uint32_t reg_r32(uint16_t off) { return pc_inl((uint16_t)(vb.io + off)); }
static void reg_w8(uint16_t off, uint8_t v) { outb((uint16_t)(vb.io + off), v); }
static void reg_w16(uint16_t off, uint16_t v) { outw((uint16_t)(vb.io + off), v); }
static void reg_w32(uint16_t off, uint32_t v) { outl((uint16_t)(vb.io + off), v); }

static void report(const char *fmt, uint64_t a, uint64_t b)
{
	/* The host can fail every request: say so, but not endlessly. */
	vb.failures++;
	if (vb.failures <= VBLK_REPORTS_MAX || (vb.failures & 1023) == 0)
		pr_warn(fmt, (unsigned long long)a, (unsigned long long)b);
}

/* Writing 0 resets a legacy device; it reads 0 once the reset is done. */
static bool device_reset(void)
{
	uint64_t t0 = time_ns();

	reg_w8(VIO_DEVICE_STATUS, 0);
	while (reg_r8(VIO_DEVICE_STATUS) != 0) {
		if (time_ns() - t0 > VBLK_RESET_TIMEOUT_NS)
			return false;
		cpu_relax();
	}
	return true;
}

/* Stops the device and gives its memory back.  A device that does not
 * confirm the reset may still write to its pages: they stay allocated
 * (leaked on purpose) so that husk never reuses them. */
static void teardown(bool release_bar)
{
	bool reset = device_reset();

	pci_command(vb.addr, PCI_COMMAND_INTX_DISABLE, PCI_COMMAND_IO | PCI_COMMAND_MASTER);
	if (!reset)
		pr_warn("vblk: the device did not confirm its reset; its pages stay set aside");
	if (reset && vb.ring_pa)
		page_free(vb.ring_pa, vb.ring_order);
	if (reset && vb.req_pa)
		page_free(vb.req_pa, 0);
	if (reset && vb.buf_pa)
		page_free(vb.buf_pa, VBLK_BUF_ORDER);
	vb.ring_pa = vb.req_pa = vb.buf_pa = 0;
	vb.ring = vb.req = vb.buf = NULL;
	if (release_bar) {
		pci_write32(vb.addr, PCI_BAR0, vb.old_bar);
		pci_write16(vb.addr, PCI_COMMAND, vb.old_cmd);
		vb.claimed = false;
	}
	vb.up = false;
}

/* ---- requests ---- */

/* One request: header, optional data (dlen bytes of the bounce buffer,
 * device-writable if dev_writes), status.  Caller holds vb.lock. */
static int do_request(uint32_t type, uint64_t sector, uint32_t dlen, bool dev_writes)
{
	struct virtio_blk_req_hdr hdr = { type, 0, sector };
	uint32_t writable = (dev_writes ? dlen : 0) + 1, nd = 0;
	volatile uint8_t *status = vb.req + REQ_STATUS_OFF;
	struct virtq_used_elem e;
	uint16_t idx, slot;
	uint64_t t0, limit = VBLK_IO_TIMEOUT_NS;
	uint8_t st;
	bool notify = true;
#ifdef HUSK_KTEST
	enum vblk_fault fault = vb.fault;

	vb.fault = VBLK_FAULT_NONE;
	if (vb.fault_timeout_ns)
		limit = vb.fault_timeout_ns;
	vb.fault_timeout_ns = 0;
	notify = fault != VBLK_FAULT_SILENT;
#endif

	memcpy(vb.req + REQ_HDR_OFF, &hdr, sizeof(hdr));
	*status = STATUS_UNSET;
	vb.desc[nd] = (struct virtq_desc){ vb.req_pa + REQ_HDR_OFF, sizeof(hdr), VIRTQ_DESC_F_NEXT,
					   (uint16_t)(nd + 1) };
	nd++;
	if (dlen) {
		vb.desc[nd] = (struct virtq_desc){ vb.buf_pa, dlen,
						   (uint16_t)(VIRTQ_DESC_F_NEXT |
							      (dev_writes ? VIRTQ_DESC_F_WRITE : 0)),
						   (uint16_t)(nd + 1) };
		nd++;
	}
	vb.desc[nd] = (struct virtq_desc){ vb.req_pa + REQ_STATUS_OFF, 1, VIRTQ_DESC_F_WRITE, 0 };

	/* Descriptors, then the ring entry, then the index, then the notify:
	 * stores are ordered on x86 and the OUT waits for them all. */
	slot = (uint16_t)(vb.avail_idx & (vb.qsize - 1));
	__atomic_store_n((uint16_t *)(vb.avail + VRING_RING + 2u * slot), 0, __ATOMIC_RELEASE);
	vb.avail_idx++;
	__atomic_store_n((uint16_t *)(vb.avail + VRING_IDX), vb.avail_idx, __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (notify)
		reg_w16(VIO_QUEUE_NOTIFY, 0);

	t0 = time_ns();
	for (;;) {
		idx = __atomic_load_n((uint16_t *)(vb.used + VRING_IDX), __ATOMIC_ACQUIRE);
		if (idx != vb.used_idx)
			break;
		if (time_ns() - t0 > limit) {
			report("vblk: request type %llu for sector %llu timed out; dropping the device",
			       type, sector);
			teardown(false);
			return HUSK_ERR_TIMEOUT;
		}
		cpu_relax();
	}
#ifdef HUSK_KTEST
	fault_apply(fault, &idx, writable);
#endif
	/* Exactly one request was outstanding: the index moves by one, or
	 * the ring is no longer in a state husk can account for. */
	if ((uint16_t)(idx - vb.used_idx) != 1) {
		report("vblk: used index jumped by %llu (one request outstanding, type %llu); "
		       "dropping the device",
		       (uint16_t)(idx - vb.used_idx), type);
		teardown(false);
		return HUSK_ERR_IO;
	}
	slot = (uint16_t)(vb.used_idx & (vb.qsize - 1));
	memcpy(&e, vb.used + VRING_RING + sizeof(e) * slot, sizeof(e));
	vb.used_idx++;
	st = *status;
	if (e.id != 0) {
		report("vblk: the device completed descriptor %llu, husk sent 0 (type %llu)", e.id,
		       type);
		return HUSK_ERR_IO;
	}
	/* QEMU reports every byte it was allowed to write (data and status);
	 * anything else is a short or impossible transfer.  (The legacy spec
	 * tolerates devices that get len wrong; husk does not.) */
	if (e.len != writable) {
		report("vblk: the device wrote %llu bytes, the request had %llu writable", e.len,
		       writable);
		return HUSK_ERR_IO;
	}
	if (st == VIRTIO_BLK_S_OK)
		return HUSK_OK;
	if (st == VIRTIO_BLK_S_UNSUPP)
		return HUSK_ERR_UNSUPPORTED;
	report("vblk: request type %llu failed with status %llu", type, st);
	return HUSK_ERR_IO;
}

static int check_request(uint64_t lba, uint32_t count, const void *buf)
{
	if (!buf || count == 0 || count > PLATFORM_BLOCK_MAX_SECTORS)
		return HUSK_ERR_INVAL;
	if (!vb.up)
		return HUSK_ERR_IO;
	if (lba >= vb.sectors || count > vb.sectors - lba)
		return HUSK_ERR_RANGE;
	return HUSK_OK;
}

int vblk_read(uint64_t lba, uint32_t count, void *buf)
{
	int err;

	spin_lock(&vb.lock);
	err = check_request(lba, count, buf);
	if (!err)
		err = do_request(VIRTIO_BLK_T_IN, lba, count * PLATFORM_BLOCK_SECTOR_SIZE, true);
	/* The copy has a length husk chose, whatever the device said. */
	if (!err)
		memcpy(buf, vb.buf, count * PLATFORM_BLOCK_SECTOR_SIZE);
	spin_unlock(&vb.lock);
	return err;
}

int vblk_write(uint64_t lba, uint32_t count, const void *buf)
{
	int err;

	spin_lock(&vb.lock);
	err = check_request(lba, count, buf);
	if (!err && (vb.features & VIRTIO_BLK_F_RO))
		err = HUSK_ERR_UNSUPPORTED;
	if (!err) {
		memcpy(vb.buf, buf, count * PLATFORM_BLOCK_SECTOR_SIZE);
		err = do_request(VIRTIO_BLK_T_OUT, lba, count * PLATFORM_BLOCK_SECTOR_SIZE, false);
	}
	spin_unlock(&vb.lock);
	return err;
}

int vblk_flush(void)
{
	int err = HUSK_OK;

	spin_lock(&vb.lock);
	if (!vb.up) {
		err = HUSK_ERR_IO;
	} else if (vb.features & VIRTIO_BLK_F_FLUSH) {
		err = do_request(VIRTIO_BLK_T_FLUSH, 0, 0, false);
	}
	/* Without a flush command there is nothing to ask: the device is
	 * taken at its word that it writes through (logged at init). */
	spin_unlock(&vb.lock);
	return err;
}

uint64_t vblk_sectors(void)
{
	uint64_t n;

	spin_lock(&vb.lock);
	n = vb.up ? vb.sectors : 0;
	spin_unlock(&vb.lock);
	return n;
}

bool vblk_ports(uint16_t *base, uint16_t *count)
{
	bool claimed;

	spin_lock(&vb.lock);
	claimed = vb.claimed;
	*base = vb.io;
	*count = vb.io_size;
	spin_unlock(&vb.lock);
	return claimed;
}

/* ---- set-up ---- */

static bool is_legacy_blk(struct pci_addr a)
{
	return pci_read16(a, PCI_VENDOR_ID) == VIRTIO_PCI_VENDOR &&
	       pci_read16(a, PCI_DEVICE_ID) == VIRTIO_PCI_DEV_BLK_LEGACY &&
	       pci_read16(a, PCI_SUBSYS_ID) == VIRTIO_ID_BLOCK &&
	       pci_read8(a, PCI_REVISION_ID) == 0 &&
	       (pci_read8(a, PCI_HEADER_TYPE) & PCI_HEADER_LAYOUT_MASK) == 0;
}

/* A 64-bit config field read as two 32-bit halves: read until two reads
 * agree, so that a change between the halves cannot tear it. */
static int read_capacity(uint64_t *out)
{
	uint64_t prev = ~0ull;

	for (int i = 0; i < 4; i++) {
		uint64_t v = reg_r32(VIO_CONFIG + VBLK_CFG_CAPACITY) |
			     (uint64_t)reg_r32(VIO_CONFIG + VBLK_CFG_CAPACITY + 4) << 32;

		if (v == prev) {
			*out = v;
			return HUSK_OK;
		}
		prev = v;
	}
	return HUSK_ERR_IO;
}

/* The queue: legacy layout (2.7 and 4.1.4.8) with QUEUE_ALIGN 4096:
 * descriptors, avail ring, padding to 4096, used ring. */
static uint32_t ring_bytes(uint16_t n, uint32_t *used_off)
{
	*used_off = HUSK_ALIGN_UP(16u * n + 6u + 2u * n, VIO_QUEUE_ALIGN);
	return *used_off + 6u + 8u * n;
}

static int setup_queue(void)
{
	uint32_t used_off, bytes, pfn;
	uint16_t n;
	int err;

	reg_w16(VIO_QUEUE_SELECT, 0);
	n = reg_r16(VIO_QUEUE_SIZE);
	if (n < VBLK_QSIZE_MIN || n > VBLK_QSIZE_MAX || (n & (n - 1)) != 0) {
		pr_warn("vblk: queue 0 has size %u (want a power of two in %u..%u)", n,
			VBLK_QSIZE_MIN, VBLK_QSIZE_MAX);
		return HUSK_ERR_FORMAT;
	}
	if (reg_r32(VIO_QUEUE_PFN) != 0) {
		pr_warn("vblk: queue 0 is already in use after a reset");
		return HUSK_ERR_IO;
	}
	bytes = ring_bytes(n, &used_off);
	vb.ring_order = 0;
	while ((HUSK_PAGE_SIZE << vb.ring_order) < bytes)
		vb.ring_order++;
	err = page_alloc(vb.ring_order, &vb.ring_pa);
	if (!err)
		err = page_alloc(0, &vb.req_pa);
	if (!err)
		err = page_alloc(VBLK_BUF_ORDER, &vb.buf_pa);
	if (err)
		return err;
	vb.ring = pa_to_va(vb.ring_pa);
	vb.req = pa_to_va(vb.req_pa);
	vb.buf = pa_to_va(vb.buf_pa);
	if (!vb.ring || !vb.req || !vb.buf || (vb.ring_pa >> VIO_PFN_SHIFT) > 0xffffffffull)
		return HUSK_ERR_RANGE;
	vb.qsize = n;
	vb.desc = (struct virtq_desc *)vb.ring;
	vb.avail = vb.ring + 16u * n;
	vb.used = vb.ring + used_off;
	vb.avail_idx = vb.used_idx = 0;
	/* husk polls; the device need not interrupt anyone. */
	__atomic_store_n((uint16_t *)(vb.avail + VRING_FLAGS), VIRTQ_AVAIL_F_NO_INTERRUPT,
			 __ATOMIC_RELEASE);
	pfn = (uint32_t)(vb.ring_pa >> VIO_PFN_SHIFT);
	reg_w32(VIO_QUEUE_PFN, pfn);
	if (reg_r32(VIO_QUEUE_PFN) != pfn) {
		pr_warn("vblk: the device did not take the queue address");
		return HUSK_ERR_IO;
	}
	return HUSK_OK;
}

/* Reads the serial number (GET_ID) into id (NUL-terminated).  Caller holds
 * the lock, device up. */
static int get_id(char id[VIRTIO_BLK_ID_BYTES + 1])
{
	int err = do_request(VIRTIO_BLK_T_GET_ID, 0, VIRTIO_BLK_ID_BYTES, true);
	uint8_t raw[VIRTIO_BLK_ID_BYTES];

	memset(id, 0, VIRTIO_BLK_ID_BYTES + 1);
	if (err)
		return err;
	/* One copy out of the device's buffer, then only the copy is read.  A
	 * serial shorter than 20 bytes ends with a NUL; keep printable bytes
	 * only, it goes into the log. */
	memcpy(raw, vb.buf, sizeof(raw));
	for (unsigned i = 0; i < VIRTIO_BLK_ID_BYTES && raw[i]; i++)
		id[i] = (raw[i] >= 0x20 && raw[i] < 0x7f) ? (char)raw[i] : '?';
	return HUSK_OK;
}

/* Sets up the legacy virtio-blk function at a.  want_serial: it must also
 * answer GET_ID with VBLK_SERIAL, or it is left as it was found.  Caller
 * holds the lock. */
static int setup(struct pci_addr a, bool want_serial)
{
	struct pci_bar bar;
	uint32_t offered, old_bar = pci_read32(a, PCI_BAR0);
	uint8_t st;
	char id[VIRTIO_BLK_ID_BYTES + 1];
	int err;

	vb.addr = a;
	vb.old_bar = old_bar;
	vb.old_cmd = pci_read16(a, PCI_COMMAND);
	vb.up = false;
	vb.ring_pa = vb.req_pa = vb.buf_pa = 0;
	/* No decoding or DMA until husk has placed the BAR. */
	pci_command(a, PCI_COMMAND_INTX_DISABLE,
		    PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	err = pci_bar_read(a, 0, &bar);
	if (err || !bar.io || bar.size < VBLK_BAR_MIN || bar.size > VBLK_BAR_MAX) {
		pr_warn("vblk: pci:00:%02x.%u: BAR0 is not an I/O BAR of 0x%x-0x%x ports", a.dev,
			a.fn, VBLK_BAR_MIN, VBLK_BAR_MAX);
		pci_write16(a, PCI_COMMAND, vb.old_cmd);
		return err ? err : HUSK_ERR_FORMAT;
	}
	err = pci_io_assign(a, 0, (uint32_t)bar.size, &vb.io);
	if (err) {
		pr_warn("vblk: no free I/O ports for the device's BAR: %s", husk_strerror(err));
		pci_write32(a, PCI_BAR0, old_bar);
		pci_write16(a, PCI_COMMAND, vb.old_cmd);
		return err;
	}
	vb.io_size = (uint16_t)bar.size;
	vb.claimed = !want_serial;
	pci_command(a, PCI_COMMAND_IO | PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE, 0);

	if (!device_reset()) {
		pr_warn("vblk: the device does not reset");
		err = HUSK_ERR_IO;
		goto fail;
	}
	reg_w8(VIO_DEVICE_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
	reg_w8(VIO_DEVICE_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	offered = reg_r32(VIO_DEVICE_FEATURES);
	vb.features = offered & VBLK_FEATURES_WANTED;
	reg_w32(VIO_DRIVER_FEATURES, vb.features);

	err = setup_queue();
	if (err)
		goto fail;
	err = read_capacity(&vb.sectors);
	if (err || vb.sectors == 0 || vb.sectors > UINT64_MAX / PLATFORM_BLOCK_SECTOR_SIZE) {
		pr_warn("vblk: capacity %llu sectors is not usable", (unsigned long long)vb.sectors);
		err = HUSK_ERR_FORMAT;
		goto fail;
	}
	vb.blk_size = PLATFORM_BLOCK_SECTOR_SIZE;
	if (vb.features & VIRTIO_BLK_F_BLK_SIZE) {
		uint32_t bs = reg_r32(VIO_CONFIG + VBLK_CFG_BLK_SIZE);

		/* Informational: legacy requests count 512-byte sectors
		 * whatever the block size.  Nonsense is ignored. */
		if (bs >= 512 && bs <= 65536 && (bs & (bs - 1)) == 0)
			vb.blk_size = bs;
	}
	reg_w8(VIO_DEVICE_STATUS,
	       VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_DRIVER_OK);
	st = reg_r8(VIO_DEVICE_STATUS);
	if (st & (VIRTIO_STATUS_NEEDS_RESET | VIRTIO_STATUS_FAILED) ||
	    !(st & VIRTIO_STATUS_DRIVER_OK)) {
		pr_warn("vblk: the device refused to start (status 0x%02x)", st);
		err = HUSK_ERR_IO;
		goto fail;
	}
	vb.up = true;

	err = get_id(id);
	if (want_serial && (err || strcmp(id, VBLK_SERIAL) != 0)) {
		pr_debug("vblk: pci:00:%02x.%u has serial '%s'%s: not husk's", a.dev, a.fn, id,
			 err ? " (GET_ID failed)" : "");
		teardown(true);
		return HUSK_ERR_NOTFOUND;
	}
	if (!vb.up) { /* GET_ID broke the device */
		err = HUSK_ERR_IO;
		goto fail;
	}
	vb.claimed = true;
	/* Once per boot: tests and recoveries set the disk up again. */
	klog(vb.announced ? LOG_DEBUG : LOG_INFO,
	     "vblk: husk's disk is pci:00:%02x.%u, serial '%s': legacy virtio-blk at ports "
	     "0x%x-0x%x, %llu sectors (%llu MiB), block size %u, queue %u, %s%s",
	     a.dev, a.fn, id, vb.io, vb.io + vb.io_size - 1, (unsigned long long)vb.sectors,
	     (unsigned long long)(vb.sectors >> 11), vb.blk_size, vb.qsize,
	     (vb.features & VIRTIO_BLK_F_FLUSH) ? "flush" : "no flush command",
	     (vb.features & VIRTIO_BLK_F_RO) ? ", read-only" : "");
	if (!(vb.features & VIRTIO_BLK_F_FLUSH) && !vb.announced)
		pr_warn("vblk: the device offers no flush command: flush does nothing and "
			"writes may stay in the host's cache");
	vb.announced = true;
	return HUSK_OK;

fail:
	teardown(want_serial);
	return err;
}

struct scan {
	int err; /* of the last candidate that was husk's serial but failed */
};

static bool try_candidate(struct pci_addr a, void *ctx)
{
	struct scan *s = ctx;
	int err;

	if (!is_legacy_blk(a))
		return false;
	err = setup(a, true);
	if (err == HUSK_OK)
		return true;
	if (err != HUSK_ERR_NOTFOUND)
		s->err = err;
	return false;
}

int vblk_init(void)
{
	/* The whole value, so that a long one is refused rather than taken
	 * as absent; static, under vb.lock. */
	static char opt[HUSK_VMM_CMDLINE_MAX];
	struct pci_addr a;
	int err;

	spin_lock(&vb.lock);
	if (vb.up) {
		spin_unlock(&vb.lock);
		return HUSK_OK;
	}
	err = pci_init();
	if (err) {
		spin_unlock(&vb.lock);
		return HUSK_ERR_NOTFOUND;
	}
	if (cmdline_get(VBLK_CMDLINE_KEY, opt, sizeof(opt))) {
		if (strcmp(opt, "none") == 0) {
			err = HUSK_ERR_NOTFOUND;
		} else if ((err = pci_parse_addr(opt, &a)) != HUSK_OK) {
			pr_err("vblk: %s=%s: want pci:00:DD.F (bus 0) or none", VBLK_CMDLINE_KEY, opt);
		} else if (!pci_present(a) || !is_legacy_blk(a)) {
			bool modern = pci_present(a) &&
				      pci_read16(a, PCI_VENDOR_ID) == VIRTIO_PCI_VENDOR &&
				      pci_read16(a, PCI_DEVICE_ID) == VIRTIO_PCI_DEV_BLK_MODERN;

			pr_err("vblk: %s=%s: no legacy virtio-blk device there%s", VBLK_CMDLINE_KEY,
			       opt, modern ? " (a modern-only one: QEMU needs disable-modern=on)" : "");
			err = HUSK_ERR_NOTFOUND;
		} else {
			err = setup(a, false);
		}
	} else {
		struct scan s = { HUSK_ERR_NOTFOUND };

		err = pci_find(try_candidate, &s, &a) ? HUSK_OK : s.err;
	}
	spin_unlock(&vb.lock);
	return err;
}

void vblk_fini(void)
{
	spin_lock(&vb.lock);
	if (vb.up || vb.ring_pa)
		teardown(false);
	spin_unlock(&vb.lock);
}
