/* PCI configuration space on bus 0 through the legacy 0xCF8/0xCFC ports
 * (configuration mechanism #1, which q35 keeps beside its MMCONFIG window):
 * enumeration, BARs (I/O and memory, with their sizes), the command
 * register.  husk runs before any firmware, so nothing has assigned BARs:
 * a driver that wants a device's I/O BAR assigns it (pci_io_assign).
 *
 * Everything read here comes from the VMM's device models and is checked
 * by the caller.  Configuration accesses take pci_lock: the address/data
 * port pair is one shared register file per machine.  On svm the guest can
 * use the same ports at any time (docs/svm.md: the configuration-space
 * gap); husk's accesses happen before the guest runs. */
#ifndef HUSK_PLATFORM_PCI_H
#define HUSK_PLATFORM_PCI_H

#include <stdbool.h>
#include <stdint.h>

/* Configuration header offsets (type 0). */
#define PCI_VENDOR_ID      0x00u /* u16 */
#define PCI_DEVICE_ID      0x02u /* u16 */
#define PCI_COMMAND        0x04u /* u16 */
#define PCI_STATUS         0x06u /* u16 */
#define PCI_REVISION_ID    0x08u /* u8 */
#define PCI_CLASS_PROG     0x09u /* u8; then subclass, class */
#define PCI_HEADER_TYPE    0x0eu /* u8 */
#define PCI_BAR0           0x10u /* six u32 BARs */
#define PCI_SUBSYS_VENDOR  0x2cu /* u16 */
#define PCI_SUBSYS_ID      0x2eu /* u16 */

#define PCI_COMMAND_IO           (1u << 0)
#define PCI_COMMAND_MEMORY       (1u << 1)
#define PCI_COMMAND_MASTER       (1u << 2)
#define PCI_COMMAND_INTX_DISABLE (1u << 10)

#define PCI_HEADER_MULTIFUNCTION 0x80u
#define PCI_HEADER_LAYOUT_MASK   0x7fu /* 0 = device, 1 = PCI bridge */

#define PCI_BAR_COUNT 6u
#define PCI_MAX_DEV   32u
#define PCI_MAX_FN    8u

/* I/O ports husk hands out to devices it drives (pci_io_assign): above the
 * ISA and chipset ranges, where PC firmware puts PCI I/O too. */
#define PCI_IO_WINDOW_BASE 0xc000u
#define PCI_IO_WINDOW_END  0x10000u /* exclusive */

/* A function on bus 0 (the only bus husk looks at). */
struct pci_addr {
	uint8_t bus, dev, fn;
};

struct pci_bar {
	uint64_t base; /* as programmed (0: unassigned) */
	uint64_t size; /* from the sizing probe; 0: the BAR is not implemented */
	bool io;
	bool is64;     /* memory BAR taking two slots */
	bool prefetch;
};

/* HUSK_ERR_NOTFOUND if the machine has no configuration mechanism #1 (the
 * address port does not hold what is written to it). */
int pci_init(void);

uint32_t pci_read32(struct pci_addr a, uint8_t off);
uint16_t pci_read16(struct pci_addr a, uint8_t off);
uint8_t pci_read8(struct pci_addr a, uint8_t off);
void pci_write32(struct pci_addr a, uint8_t off, uint32_t v);
void pci_write16(struct pci_addr a, uint8_t off, uint16_t v);

/* True if a function answers at a (vendor ID not 0xffff). */
bool pci_present(struct pci_addr a);

/* Calls fn for every function present on bus 0, in slot order, until fn
 * returns true; returns that function's address in *found.  false if fn
 * never returned true. */
bool pci_find(bool (*fn)(struct pci_addr a, void *ctx), void *ctx, struct pci_addr *found);

/* Reads BAR index of a type-0 function, and sizes it: decoding of that
 * kind is off during the probe and the BAR is written back as it was.
 * HUSK_ERR_INVAL for a bad index, the upper half of a 64-bit BAR or a
 * bridge; HUSK_ERR_FORMAT for a BAR whose probe makes no sense. */
int pci_bar_read(struct pci_addr a, unsigned index, struct pci_bar *out);

/* Gives I/O BAR index of a (size from pci_bar_read, a power of two) a base
 * in [PCI_IO_WINDOW_BASE, PCI_IO_WINDOW_END) that no other function on bus
 * 0 with I/O decoding on claims, and checks that the BAR took it.  I/O
 * decoding of a must be off.  *base gets the port. */
int pci_io_assign(struct pci_addr a, unsigned index, uint32_t size, uint16_t *base);

/* Sets and clears bits of the command register. */
void pci_command(struct pci_addr a, uint16_t set, uint16_t clear);

/* "pci:BB:DD.F" (hex, as lspci prints it; an optional "0000:" segment) ->
 * address.  HUSK_ERR_INVAL if malformed, HUSK_ERR_UNSUPPORTED for a bus
 * other than 0 or a segment other than 0. */
int pci_parse_addr(const char *s, struct pci_addr *out);

#endif
