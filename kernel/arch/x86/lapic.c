/* xAPIC driver.  QEMU 7.2's TCG has no x2APIC, so husk uses the MMIO
 * interface, mapped uncached in husk's device area. */
#include "arch/x86/cpu.h"
#include "arch/x86/desc.h"
#include "arch/x86/lapic.h"
#include "arch/x86/tsc.h"
#include "husk/err.h"
#include "mm/vm.h"

#define APIC_ID      0x020
#define APIC_EOI     0x0b0
#define APIC_SVR     0x0f0
#define APIC_ICR_LO  0x300
#define APIC_ICR_HI  0x310
#define APIC_LVT_TMR 0x320
#define APIC_LVT_LINT0 0x350
#define APIC_LVT_LINT1 0x360
#define APIC_LVT_ERR 0x370
#define LVT_MASKED   (1u << 16)
#define ICR_PENDING  (1u << 12)
#define ICR_ALL_BUT_SELF (3u << 18)
#define ICR_ASSERT   (1u << 14)
#define ICR_INIT     (5u << 8)
#define ICR_STARTUP  (6u << 8)
#define ICR_NMI      (4u << 8)
#define APIC_BASE_ENABLE (1ull << 11)
#define APIC_BASE_X2APIC (1ull << 10)

static volatile uint8_t *lapic_regs;

static uint32_t lapic_read(uint32_t reg)
{
	return *(volatile uint32_t *)(lapic_regs + reg);
}

static void lapic_write(uint32_t reg, uint32_t v)
{
	*(volatile uint32_t *)(lapic_regs + reg) = v;
}

static void lapic_enable_local(void)
{
	lapic_write(APIC_LVT_TMR, LVT_MASKED);
	lapic_write(APIC_LVT_LINT0, LVT_MASKED);
	lapic_write(APIC_LVT_LINT1, LVT_MASKED);
	lapic_write(APIC_LVT_ERR, LVT_MASKED);
	lapic_write(APIC_SVR, 0x100 | VEC_SPURIOUS);
}

int lapic_init(void)
{
	uint64_t base = rdmsr(MSR_APIC_BASE);
	void *va;
	int err;

	if (base & APIC_BASE_X2APIC)
		return HUSK_ERR_UNSUPPORTED;
	if (!(base & APIC_BASE_ENABLE))
		wrmsr(MSR_APIC_BASE, base | APIC_BASE_ENABLE);
	err = vm_map_mmio(base & 0xffffff000ull, HUSK_PAGE_SIZE, &va);
	if (err)
		return err;
	lapic_regs = va;
	lapic_enable_local();
	return HUSK_OK;
}

void lapic_init_ap(void)
{
	uint64_t base = rdmsr(MSR_APIC_BASE);

	if (!(base & APIC_BASE_ENABLE))
		wrmsr(MSR_APIC_BASE, base | APIC_BASE_ENABLE);
	lapic_enable_local();
}

uint32_t lapic_id(void)
{
	return lapic_regs ? lapic_read(APIC_ID) >> 24 : 0;
}

void lapic_eoi(void)
{
	if (lapic_regs)
		lapic_write(APIC_EOI, 0);
}

static int lapic_icr(uint32_t hi, uint32_t lo)
{
	uint64_t start = rdtsc(), limit = tsc_khz() ? tsc_khz() * 100 : 1000000000ull; /* 100 ms */

	lapic_write(APIC_ICR_HI, hi);
	lapic_write(APIC_ICR_LO, lo);
	while (lapic_read(APIC_ICR_LO) & ICR_PENDING)
		if (rdtsc() - start > limit)
			return HUSK_ERR_TIMEOUT;
	return HUSK_OK;
}

static void delay_us(uint64_t us)
{
	uint64_t start = rdtsc(), ticks = tsc_khz() * us / 1000;

	while (rdtsc() - start < ticks)
		cpu_relax();
}

int lapic_start_all_aps(uint8_t vector)
{
	int err;

	if (!lapic_regs)
		return HUSK_ERR_INVAL;
	err = lapic_icr(0, ICR_ALL_BUT_SELF | ICR_ASSERT | ICR_INIT);
	if (err)
		return err;
	delay_us(10000);
	for (int i = 0; i < 2; i++) {
		err = lapic_icr(0, ICR_ALL_BUT_SELF | ICR_ASSERT | ICR_STARTUP | vector);
		if (err)
			return err;
		delay_us(200);
	}
	return HUSK_OK;
}

void lapic_send_nmi(uint32_t apic_id)
{
	if (lapic_regs)
		(void)lapic_icr(apic_id << 24, ICR_ASSERT | ICR_NMI);
}

void lapic_send_init(uint32_t apic_id)
{
	if (lapic_regs)
		(void)lapic_icr(apic_id << 24, ICR_ASSERT | ICR_INIT);
}

void lapic_send_ipi(uint32_t apic_id, uint8_t vector)
{
	if (lapic_regs)
		(void)lapic_icr(apic_id << 24, ICR_ASSERT | vector);
}
