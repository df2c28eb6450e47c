/* AP bring-up with INIT-SIPI-SIPI.  The trampoline (ap_tramp.S) and its
 * hand-off page are written into two pages of guest memory below 1 MiB
 * through temporary mappings, mapped 1:1 for the mode switch, and restored
 * afterwards so that the guest's memory is left as it was. */
#include <stdbool.h>
#include <string.h>

#include "arch/x86/cpu.h"
#include "arch/x86/lapic.h"
#include "arch/x86/smp_sipi.h"
#include "arch/x86/tsc.h"
#include "core/console.h"
#include "core/percpu.h"
#include "husk/err.h"
#include "husk/layout.h"
#include "mm/kheap.h"
#include "mm/tmpmap.h"
#include "mm/vm.h"

extern const char ap_tramp_start[], ap_tramp_end[];
extern const char ap_entry[], ap_park[];

#define AP_WAIT_MS 2000u
/* Quiet time after the last AP took a ticket before the start-up pages are
 * given back; longer once the VMM is known to have under-reported CPUs. */
#define AP_SETTLE_MS 20u
#define AP_SETTLE_SURPLUS_MS 200u

/* Written by ap_park (entry.S) for each AP beyond what the VMM reported:
 * a slot index, the APIC ID + 1 in that slot, then the count. */
volatile uint32_t ap_park_slot;
volatile uint32_t ap_parked_count;
volatile uint32_t ap_parked_apic[HUSK_MAX_CPUS];

static int wait_online(unsigned total)
{
	uint64_t start = rdtsc(), limit = tsc_khz() * AP_WAIT_MS;

	while (percpu_count_online() < total) {
		if (rdtsc() - start > limit)
			return HUSK_ERR_TIMEOUT;
		cpu_relax();
	}
	return HUSK_OK;
}

/* Every AP that took a ticket is online or parked, and no new one arrived
 * for AP_SETTLE_MS: only then may the start-up pages be given back. */
static bool all_left_trampoline(const struct husk_ap_handoff *h, unsigned prepared)
{
	uint64_t start = rdtsc(), limit = tsc_khz() * AP_SETTLE_MS;
	uint32_t seen = __atomic_load_n(&h->ticket, __ATOMIC_SEQ_CST);

	while (rdtsc() - start < limit) {
		uint32_t now = __atomic_load_n(&h->ticket, __ATOMIC_SEQ_CST);

		if (now != seen) {
			seen = now;
			start = rdtsc();
		}
		if (now > prepared - 1)
			limit = tsc_khz() * AP_SETTLE_SURPLUS_MS;
		cpu_relax();
	}
	return seen == (prepared - 1) + __atomic_load_n(&ap_parked_count, __ATOMIC_SEQ_CST);
}

/* Parked APs halt with the trampoline's GDT and no IDT: an NMI would take
 * the VM down.  INIT puts them back into wait-for-SIPI, where they run
 * nothing. */
static void reset_parked_aps(void)
{
	uint32_t n = __atomic_load_n(&ap_parked_count, __ATOMIC_SEQ_CST);
	uint32_t self = lapic_id();

	for (uint32_t i = 0; i < n && i < HUSK_MAX_CPUS; i++) {
		uint32_t id = ap_parked_apic[i];

		if (id && id - 1 != self)
			lapic_send_init(id - 1);
	}
}

int smp_sipi_start(unsigned total, const struct bp_info *info, bool *keep_boot_mappings)
{
	size_t code_len = (size_t)(ap_tramp_end - ap_tramp_start);
	struct husk_ap_handoff *h;
	unsigned prepared = 1;
	uint8_t *saved, *pages;
	int err;

	if (total <= 1)
		return HUSK_OK;
	if (code_len > HUSK_AP_HANDOFF_OFFSET)
		return HUSK_ERR_RANGE;
	if (!bp_range_is_ram(info, HUSK_AP_PAGE_GPA, 2 * HUSK_PAGE_SIZE)) {
		pr_err("smp: AP start-up pages at 0x%llx are not RAM; not starting APs",
		       (unsigned long long)HUSK_AP_PAGE_GPA);
		return HUSK_ERR_RANGE;
	}
	for (unsigned i = 1; i < total; i++, prepared++) {
		err = percpu_prepare_ap(i);
		if (err) {
			pr_err("smp: cannot prepare CPU %u: %s", i, husk_strerror(err));
			break;
		}
	}

	saved = kmalloc(2 * HUSK_PAGE_SIZE);
	if (!saved)
		return HUSK_ERR_NOMEM;
	err = tmpmap_map(HUSK_AP_PAGE_GPA, 2, (void **)&pages);
	if (err) {
		kfree(saved);
		return err;
	}
	memcpy(saved, pages, 2 * HUSK_PAGE_SIZE);
	memset(pages, 0, 2 * HUSK_PAGE_SIZE);
	memcpy(pages, ap_tramp_start, code_len);
	h = (struct husk_ap_handoff *)(pages + HUSK_AP_HANDOFF_OFFSET);
	h->magic = HUSK_AP_MAGIC;
	h->cr3 = read_cr3();
	h->entry = (uint64_t)ap_entry;
	h->park = (uint64_t)ap_park;
	h->ticket = 0;
	h->max_aps = prepared - 1;
	for (unsigned i = 1; i < prepared; i++)
		h->stack_top[i] = percpu_get(i)->stack_top;

	err = vm_map(HUSK_AP_PAGE_GPA, HUSK_AP_PAGE_GPA, 1, PT_P);
	if (!err) {
		err = vm_map(HUSK_AP_PAGE_GPA + HUSK_PAGE_SIZE, HUSK_AP_PAGE_GPA + HUSK_PAGE_SIZE, 1,
			     PT_P | PT_W | PT_NX);
		if (err)
			vm_unmap(HUSK_AP_PAGE_GPA, 1);
	}
	if (err) {
		/* Nothing was sent: give the guest its pages back. */
		memcpy(pages, saved, 2 * HUSK_PAGE_SIZE);
		tmpmap_unmap(pages, 2);
		kfree(saved);
		return err;
	}
	/* From here on a STARTUP may be out. */
	err = lapic_start_all_aps((uint8_t)(HUSK_AP_PAGE_GPA >> 12));
	if (!err && wait_online(prepared) != HUSK_OK) {
		pr_err("smp: only %u of %u CPUs came up within %u ms", percpu_count_online(), prepared,
		       AP_WAIT_MS);
		err = HUSK_ERR_TIMEOUT;
	}
	if (!err && !all_left_trampoline(h, prepared)) {
		pr_warn("smp: CPUs beyond the %u the VMM reported are still starting", prepared);
		err = HUSK_ERR_BUSY;
	}
	if (err) {
		/* A STARTUP may have gone out and an AP may still be on its way
		 * into the pages: park late arrivals and leave pages and
		 * identity mappings as they are (guest memory at 0x8000-0x9fff
		 * is not restored). */
		__atomic_store_n(&h->max_aps, 0, __ATOMIC_SEQ_CST);
		reset_parked_aps();
		*keep_boot_mappings = true;
		tmpmap_unmap(pages, 2);
		kfree(saved);
		return err == HUSK_ERR_TIMEOUT || err == HUSK_ERR_BUSY ? HUSK_OK : err;
	}
	if (ap_parked_count) {
		pr_warn("smp: %u more CPUs answered than the VMM reported; they are reset to "
			"wait-for-SIPI", ap_parked_count);
		reset_parked_aps();
	}

	vm_unmap(HUSK_AP_PAGE_GPA, 2);
	memcpy(pages, saved, 2 * HUSK_PAGE_SIZE);
	tmpmap_unmap(pages, 2);
	kfree(saved);
	return err;
}
