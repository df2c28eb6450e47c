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
/* NMI to every other CPU (panic); a no-op before lapic_init. */
void lapic_stop_others(void);
void lapic_send_ipi(uint32_t apic_id, uint8_t vector);

#endif
