/* Monotonic time from the TSC, calibrated once against the PIT. */
#ifndef HUSK_ARCH_X86_TSC_H
#define HUSK_ARCH_X86_TSC_H

#include <stdint.h>

/* Measures the TSC frequency; returns it in kHz (0 if calibration failed). */
uint64_t tsc_calibrate(void);
uint64_t tsc_khz(void);
/* TSC value at reset (recorded by the loader) and at kernel entry. */
void tsc_set_reset(uint64_t reset_tsc);
uint64_t tsc_reset(void);
/* Nanoseconds since the reset-vector loader ran. */
uint64_t time_ns(void);
uint64_t tsc_to_ns(uint64_t ticks);

#endif
