/* TSC calibration against PIT channel 2 (gated through port 0x61), the one
 * timer every PC-compatible VMM provides without firmware or ACPI. */
#include "arch/x86/cpu.h"
#include "arch/x86/tsc.h"

#define PIT_HZ       1193182u
#define PIT_CH2      0x42
#define PIT_CMD      0x43
#define PIT_GATE     0x61
#define CAL_MS       10u

static uint64_t tsc_khz_value;
static uint64_t tsc_at_reset;

void tsc_set_reset(uint64_t reset_tsc)
{
	tsc_at_reset = reset_tsc;
}

uint64_t tsc_reset(void)
{
	return tsc_at_reset;
}

uint64_t tsc_calibrate(void)
{
	uint32_t count = PIT_HZ * CAL_MS / 1000;
	uint64_t t0, t1;
	uint8_t gate;
	uint32_t spins = 0;

	/* Channel 2, lobyte/hibyte, mode 0 (interrupt on terminal count). */
	gate = inb(PIT_GATE);
	outb(PIT_GATE, (uint8_t)((gate & ~0x02) | 0x01)); /* gate on, speaker off */
	outb(PIT_CMD, 0xb0);
	outb(PIT_CH2, (uint8_t)(count & 0xff));
	outb(PIT_CH2, (uint8_t)(count >> 8));
	t0 = rdtsc();
	/* OUT2 (bit 5) goes high at terminal count. */
	while (!(inb(PIT_GATE) & 0x20)) {
		if (++spins > 100000000u) {
			outb(PIT_GATE, gate);
			return 0;
		}
	}
	t1 = rdtsc();
	outb(PIT_GATE, gate);
	tsc_khz_value = (t1 - t0) / CAL_MS;
	return tsc_khz_value;
}

uint64_t tsc_khz(void)
{
	return tsc_khz_value;
}

uint64_t tsc_to_ns(uint64_t ticks)
{
	if (!tsc_khz_value)
		return 0;
	/* ticks * 1e6 / khz without overflowing for ~days of uptime */
	return (ticks / tsc_khz_value) * 1000000u + (ticks % tsc_khz_value) * 1000000u / tsc_khz_value;
}

uint64_t time_ns(void)
{
	return tsc_to_ns(rdtsc() - tsc_at_reset);
}
