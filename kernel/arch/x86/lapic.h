/* Local APIC (xAPIC, memory-mapped): IDs, EOI, and the IPIs husk sends. */
#ifndef HUSK_ARCH_X86_LAPIC_H
#define HUSK_ARCH_X86_LAPIC_H

#include <stdint.h>

/* Maps the registers (once) and enables this CPU's APIC with all local
 * interrupt sources masked. */
int lapic_init(void);
void lapic_init_ap(void);
uint32_t lapic_id(void);
void lapic_eoi(void);
/* INIT, then two STARTUPs at vector (page number of the start-up code),
 * to all CPUs but this one. */
int lapic_start_all_aps(uint8_t vector);
void lapic_send_ipi(uint32_t apic_id, uint8_t vector);
void lapic_send_nmi(uint32_t apic_id);
/* INIT to one CPU: back to the wait-for-SIPI state, where it runs nothing. */
void lapic_send_init(uint32_t apic_id);

#endif
