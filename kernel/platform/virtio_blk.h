/* husk's state disk: a polled driver for QEMU's virtio-blk-pci through the
 * legacy (virtio 0.9.5 / "transitional") PCI interface, one virtqueue, one
 * request at a time, no interrupts.  These functions are the PC platforms'
 * struct platform_block_ops (platform.h), where the contract is; the
 * design, the selection of the device and what is validated are in
 * docs/storage-device.md.
 *
 * The device is the host's and hostile: it sees only husk's bounce buffer,
 * request header and ring pages, every value it returns is checked, every
 * wait is bounded, and a device that breaks the protocol is reset and
 * dropped (requests fail with HUSK_ERR_IO until init is called again).
 * Nothing here makes the data confidential or authentic: lib/vstore does. */
#ifndef HUSK_PLATFORM_VIRTIO_BLK_H
#define HUSK_PLATFORM_VIRTIO_BLK_H

#include <stdbool.h>
#include <stdint.h>

/* Command-line option that names husk's disk: disk=pci:00:05.0 (bus 0
 * only) or disk=none.  Without it husk takes the legacy virtio-blk device
 * on bus 0 whose serial number (VIRTIO_BLK_T_GET_ID) is VBLK_SERIAL. */
#define VBLK_CMDLINE_KEY "disk"
#define VBLK_SERIAL      "husk-state"

int vblk_init(void);
void vblk_fini(void);
uint64_t vblk_sectors(void);
int vblk_read(uint64_t lba, uint32_t count, void *buf);
int vblk_write(uint64_t lba, uint32_t count, const void *buf);
int vblk_flush(void);

/* The I/O ports of husk's disk once husk has claimed it (its BAR assigned
 * by husk), whether or not init then succeeded: what the svm platform
 * keeps the guest away from.  false if husk has no disk. */
bool vblk_ports(uint16_t *base, uint16_t *count);

#ifdef HUSK_KTEST
/* Test build only: the next request meets a device that misbehaves in
 * this way (husk alters what the real device wrote before checking it, or
 * never notifies it), and waits at most timeout_ns (0: the usual bound). */
enum vblk_fault {
	VBLK_FAULT_NONE = 0,
	VBLK_FAULT_USED_ID,    /* completes a descriptor husk never sent */
	VBLK_FAULT_LEN_LONG,   /* claims more bytes than the request could take */
	VBLK_FAULT_LEN_SHORT,  /* claims a short transfer */
	VBLK_FAULT_STATUS,     /* a status byte that is no status */
	VBLK_FAULT_NO_STATUS,  /* leaves the status byte unwritten */
	VBLK_FAULT_IOERR,      /* VIRTIO_BLK_S_IOERR */
	VBLK_FAULT_IDX_JUMP,   /* moves the used index by two */
	VBLK_FAULT_SILENT,     /* never answers */
};
void vblk_test_fault(enum vblk_fault fault, uint64_t timeout_ns);
#endif

#endif
