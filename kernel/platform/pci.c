/* PCI configuration access on bus 0 through ports 0xCF8/0xCFC; see pci.h. */
#include <string.h>

#include "arch/x86/cpu.h"
#include "core/spinlock.h"
#include "husk/err.h"
#include "platform/pc.h"
#include "platform/pci.h"

#define PCI_CONFIG_ADDRESS 0xcf8u
#define PCI_CONFIG_DATA    0xcfcu
#define PCI_CONFIG_ENABLE  0x80000000u

#define PCI_BAR_IO         0x1u
#define PCI_BAR_MEM_TYPE   0x6u
#define PCI_BAR_MEM_64     0x4u
#define PCI_BAR_PREFETCH   0x8u

static struct spinlock pci_lock = SPINLOCK_INIT;

static uint32_t cfg_addr(struct pci_addr a, uint8_t off)
{
	return PCI_CONFIG_ENABLE | (uint32_t)a.bus << 16 | (uint32_t)(a.dev & 0x1f) << 11 |
	       (uint32_t)(a.fn & 7) << 8 | (off & 0xfcu);
}

int pci_init(void)
{
	uint32_t old, probe;

	/* Mechanism #1 keeps the enable bit and register number written to
	 * the address port; nothing else at 0xCF8 does. */
	spin_lock(&pci_lock);
	old = pc_inl(PCI_CONFIG_ADDRESS);
	outl(PCI_CONFIG_ADDRESS, PCI_CONFIG_ENABLE);
	probe = pc_inl(PCI_CONFIG_ADDRESS);
	outl(PCI_CONFIG_ADDRESS, old);
	spin_unlock(&pci_lock);
	return probe == PCI_CONFIG_ENABLE ? HUSK_OK : HUSK_ERR_NOTFOUND;
}

uint32_t pci_read32(struct pci_addr a, uint8_t off)
{
	uint32_t v;

	spin_lock(&pci_lock);
	outl(PCI_CONFIG_ADDRESS, cfg_addr(a, off));
	v = pc_inl(PCI_CONFIG_DATA);
	spin_unlock(&pci_lock);
	return v;
}

uint16_t pci_read16(struct pci_addr a, uint8_t off)
{
	uint16_t v;

	spin_lock(&pci_lock);
	outl(PCI_CONFIG_ADDRESS, cfg_addr(a, off));
	v = pc_inw((uint16_t)(PCI_CONFIG_DATA + (off & 2u)));
	spin_unlock(&pci_lock);
	return v;
}

uint8_t pci_read8(struct pci_addr a, uint8_t off)
{
	uint8_t v;

	spin_lock(&pci_lock);
	outl(PCI_CONFIG_ADDRESS, cfg_addr(a, off));
	v = inb((uint16_t)(PCI_CONFIG_DATA + (off & 3u)));
	spin_unlock(&pci_lock);
	return v;
}

void pci_write32(struct pci_addr a, uint8_t off, uint32_t v)
{
	spin_lock(&pci_lock);
	outl(PCI_CONFIG_ADDRESS, cfg_addr(a, off));
	outl(PCI_CONFIG_DATA, v);
	spin_unlock(&pci_lock);
}

void pci_write16(struct pci_addr a, uint8_t off, uint16_t v)
{
	spin_lock(&pci_lock);
	outl(PCI_CONFIG_ADDRESS, cfg_addr(a, off));
	outw((uint16_t)(PCI_CONFIG_DATA + (off & 2u)), v);
	spin_unlock(&pci_lock);
}

bool pci_present(struct pci_addr a)
{
	return pci_read16(a, PCI_VENDOR_ID) != 0xffffu;
}

bool pci_find(bool (*fn)(struct pci_addr a, void *ctx), void *ctx, struct pci_addr *found)
{
	for (uint8_t dev = 0; dev < PCI_MAX_DEV; dev++) {
		struct pci_addr a = { 0, dev, 0 };
		uint8_t fns;

		if (!pci_present(a))
			continue;
		/* Functions 1-7 exist only behind a multi-function header. */
		fns = (pci_read8(a, PCI_HEADER_TYPE) & PCI_HEADER_MULTIFUNCTION) ? PCI_MAX_FN : 1;
		for (uint8_t f = 0; f < fns; f++) {
			a.fn = f;
			if (!pci_present(a))
				continue;
			if (fn(a, ctx)) {
				*found = a;
				return true;
			}
		}
	}
	return false;
}

int pci_bar_read(struct pci_addr a, unsigned index, struct pci_bar *out)
{
	uint8_t off = (uint8_t)(PCI_BAR0 + 4 * index);
	uint16_t cmd;
	uint32_t lo, lo_mask, hi = 0, hi_mask = 0;

	memset(out, 0, sizeof(*out));
	if (index >= PCI_BAR_COUNT ||
	    (pci_read8(a, PCI_HEADER_TYPE) & PCI_HEADER_LAYOUT_MASK) != 0)
		return HUSK_ERR_INVAL;
	lo = pci_read32(a, off);
	out->io = lo & PCI_BAR_IO;
	if (!out->io) {
		if ((lo & PCI_BAR_MEM_TYPE) == PCI_BAR_MEM_64) {
			if (index + 1 >= PCI_BAR_COUNT)
				return HUSK_ERR_FORMAT;
			out->is64 = true;
			hi = pci_read32(a, (uint8_t)(off + 4));
		} else if ((lo & PCI_BAR_MEM_TYPE) != 0) {
			return HUSK_ERR_FORMAT; /* reserved type (or "below 1 MiB") */
		}
		out->prefetch = lo & PCI_BAR_PREFETCH;
	}
	/* Size: write all ones with decoding of that kind off, read back the
	 * bits that stick, restore. */
	cmd = pci_read16(a, PCI_COMMAND);
	pci_write16(a, PCI_COMMAND,
		    (uint16_t)(cmd & ~(out->io ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY)));
	pci_write32(a, off, 0xffffffffu);
	lo_mask = pci_read32(a, off);
	pci_write32(a, off, lo);
	if (out->is64) {
		pci_write32(a, (uint8_t)(off + 4), 0xffffffffu);
		hi_mask = pci_read32(a, (uint8_t)(off + 4));
		pci_write32(a, (uint8_t)(off + 4), hi);
	}
	pci_write16(a, PCI_COMMAND, cmd);

	if (out->io) {
		uint32_t m = lo_mask & ~3u;

		out->base = lo & ~3u;
		if (m == 0)
			return HUSK_OK; /* not implemented */
		/* A 16-bit I/O decoder reads back zeros above bit 15. */
		if ((m & 0xffff0000u) == 0)
			m |= 0xffff0000u;
		out->size = (uint32_t)(~m + 1u);
	} else {
		uint64_t m = ((uint64_t)hi_mask << 32 | (lo_mask & ~0xfu));

		if (!out->is64)
			m |= 0xffffffff00000000ull;
		out->base = ((uint64_t)hi << 32 | (lo & ~0xfu));
		if ((lo_mask & ~0xfu) == 0 && hi_mask == 0)
			return HUSK_OK; /* not implemented */
		out->size = ~m + 1u;
	}
	/* The bits that stick must be a run of ones from the top: the size is
	 * a power of two. */
	if (out->size == 0 || (out->size & (out->size - 1)) != 0) {
		out->size = 0;
		return HUSK_ERR_FORMAT;
	}
	return HUSK_OK;
}

struct io_claim {
	struct pci_addr self;
	uint32_t lo, hi; /* candidate [lo, hi) */
	bool clash;
};

static bool same_fn(struct pci_addr a, struct pci_addr b)
{
	return a.bus == b.bus && a.dev == b.dev && a.fn == b.fn;
}

/* pci_find callback: does a decode any port of the candidate range? */
static bool io_clashes(struct pci_addr a, void *ctx)
{
	struct io_claim *c = ctx;

	if (same_fn(a, c->self) || !(pci_read16(a, PCI_COMMAND) & PCI_COMMAND_IO) ||
	    (pci_read8(a, PCI_HEADER_TYPE) & PCI_HEADER_LAYOUT_MASK) != 0)
		return false;
	for (unsigned i = 0; i < PCI_BAR_COUNT; i++) {
		uint32_t v = pci_read32(a, (uint8_t)(PCI_BAR0 + 4 * i)), base;

		if (!(v & PCI_BAR_IO)) {
			if ((v & PCI_BAR_MEM_TYPE) == PCI_BAR_MEM_64)
				i++;
			continue;
		}
		base = v & 0xfffcu;
		/* Without sizing another device's BAR (which would disturb a
		 * device that decodes), assume the largest I/O BAR, 256
		 * ports. */
		if (base && base < c->hi && c->lo < base + 256u)
			return c->clash = true;
	}
	return false;
}

int pci_io_assign(struct pci_addr a, unsigned index, uint32_t size, uint16_t *base)
{
	uint8_t off = (uint8_t)(PCI_BAR0 + 4 * index);

	if (index >= PCI_BAR_COUNT || size < 4 || size > 256 || (size & (size - 1)) != 0)
		return HUSK_ERR_INVAL;
	if (pci_read16(a, PCI_COMMAND) & PCI_COMMAND_IO)
		return HUSK_ERR_BUSY;
	for (uint32_t lo = PCI_IO_WINDOW_BASE; lo + size <= PCI_IO_WINDOW_END; lo += 256) {
		struct io_claim c = { a, lo, lo + size, false };
		struct pci_addr dummy;

		if (pci_find(io_clashes, &c, &dummy))
			continue;
		pci_write32(a, off, lo);
		if ((pci_read32(a, off) & 0xfffcu) != lo)
			return HUSK_ERR_IO; /* the BAR did not take it */
		*base = (uint16_t)lo;
		return HUSK_OK;
	}
	return HUSK_ERR_NOTFOUND;
}

void pci_command(struct pci_addr a, uint16_t set, uint16_t clear)
{
	uint16_t cmd = pci_read16(a, PCI_COMMAND);

	pci_write16(a, PCI_COMMAND, (uint16_t)((cmd & ~clear) | set));
}

/* Parses 1..max hex digits ending at one of the stop characters (or the
 * end of the string when stop contains '\0'). */
static const char *parse_hex(const char *s, unsigned max, const char *stop, uint32_t *v)
{
	unsigned n = 0;

	*v = 0;
	for (; n < max; n++, s++) {
		char c = *s;
		uint32_t d;

		if (c >= '0' && c <= '9')
			d = (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (uint32_t)(c - 'A' + 10);
		else
			break;
		*v = *v << 4 | d;
	}
	if (n == 0 || !memchr(stop, *s, strlen(stop) + 1))
		return NULL;
	return s;
}

int pci_parse_addr(const char *s, struct pci_addr *out)
{
	uint32_t seg = 0, bus, dev, fn;
	const char *p;

	if (strncmp(s, "pci:", 4) != 0)
		return HUSK_ERR_INVAL;
	s += 4;
	/* With a segment there are two colons before the dot. */
	p = strchr(s, ':');
	if (p && strchr(p + 1, ':')) {
		s = parse_hex(s, 4, ":", &seg);
		if (!s)
			return HUSK_ERR_INVAL;
		s++;
	}
	s = parse_hex(s, 2, ":", &bus);
	if (!s)
		return HUSK_ERR_INVAL;
	s = parse_hex(s + 1, 2, ".", &dev);
	if (!s)
		return HUSK_ERR_INVAL;
	s = parse_hex(s + 1, 1, "", &fn);
	if (!s || dev >= PCI_MAX_DEV || fn >= PCI_MAX_FN)
		return HUSK_ERR_INVAL;
	if (seg != 0 || bus != 0)
		return HUSK_ERR_UNSUPPORTED;
	out->bus = 0;
	out->dev = (uint8_t)dev;
	out->fn = (uint8_t)fn;
	return HUSK_OK;
}
