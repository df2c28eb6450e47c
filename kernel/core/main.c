/* Boot sequence of the BSP (kmain) and the APs (ap_main). */
#include <string.h>

#include "arch/x86/cpu.h"
#include "arch/x86/cpufeatures.h"
#include "arch/x86/lapic.h"
#include "arch/x86/tsc.h"
#include "bootparams/bootparams.h"
#include "core/cmdline.h"
#include "core/console.h"
#include "core/ktest.h"
#include "core/panic.h"
#include "core/percpu.h"
#include "core/selftest.h"
#include "core/symbols.h"
#include "husk/err.h"
#include "husk/layout.h"
#include "mm/kheap.h"
#include "mm/pages.h"
#include "mm/vm.h"
#include "platform/platform.h"
#include "protocols/request.h"

#ifndef HUSK_VERSION
#define HUSK_VERSION "unknown"
#endif

void kmain(const struct husk_boot_params *bp_in, uint64_t reset_tsc);
void ap_main(unsigned index);

static struct husk_boot_params boot_params;
static struct bp_info vmm_info;
static volatile bool boot_done;
static volatile unsigned aps_flushed;

static HUSK_NORETURN void boot_fail(const char *what, int err)
{
	pr_err("boot failed: %s: %s", what, husk_strerror(err));
	platform_exit(false);
}

static void log_memmap(const struct bp_info *info)
{
	pr_info("VMM memory map: %u entries, %llu MiB RAM", info->memmap_count,
		(unsigned long long)(info->ram_bytes >> 20));
	for (uint32_t i = 0; i < info->memmap_count; i++) {
		const struct husk_memmap_entry *e = &info->memmap[i];

		pr_info("  [0x%012llx-0x%012llx) %s", (unsigned long long)(e->start_page << 12),
			(unsigned long long)((e->start_page + e->page_count) << 12),
			bp_memmap_type_name(e->type));
	}
}

static uint64_t range_bytes(const struct husk_boot_params *bp, uint32_t kind)
{
	uint64_t sum = 0;

	for (uint32_t i = 0; i < bp->nranges; i++)
		if (bp->ranges[i].kind == kind)
			sum += bp->ranges[i].size;
	return sum;
}

static void log_region(const struct husk_boot_params *bp, const char *when)
{
	struct pages_stats ps;
	struct heap_stats hs;

	pages_get_stats(&ps);
	kheap_get_stats(&hs);
	pr_info("husk region [0x%llx-0x%llx) %llu KiB %s: image %llu KiB, page tables %llu KiB, "
		"params %llu KiB, allocated %llu KiB (heap %zu KiB in use), free %llu KiB",
		(unsigned long long)bp->region_base,
		(unsigned long long)(bp->region_base + bp->region_size),
		(unsigned long long)(bp->region_size >> 10), when,
		(unsigned long long)(range_bytes(bp, HUSK_RANGE_IMAGE) >> 10),
		(unsigned long long)(range_bytes(bp, HUSK_RANGE_PAGETABLES) >> 10),
		(unsigned long long)((range_bytes(bp, HUSK_RANGE_BOOTPARAMS) +
				      range_bytes(bp, HUSK_RANGE_VMM_PARAMS)) >> 10),
		(unsigned long long)(ps.used_pages * 4), hs.bytes_in_use >> 10,
		(unsigned long long)(ps.free_pages * 4));
}

static void apply_cmdline(void)
{
	char val[16];
	enum log_level level;

	if (cmdline_get("loglevel", val, sizeof(val))) {
		if (console_parse_level(val, &level) == 0)
			console_set_level(level);
		else
			pr_warn("unknown loglevel '%s' ignored", val);
	}
}

/* Called by vm_drop_low_half between unmapping and freeing the tables: lets
 * the APs forget their TLB entries for the identity mappings first. */
static void wait_aps_flushed(void)
{
	unsigned others = percpu_count_online() - 1;
	uint64_t start = rdtsc(), limit = tsc_khz() * 1000;

	__atomic_store_n(&boot_done, true, __ATOMIC_RELEASE);
	while (__atomic_load_n(&aps_flushed, __ATOMIC_ACQUIRE) < others)
		if (rdtsc() - start > limit)
			boot_fail("APs did not acknowledge the TLB flush", HUSK_ERR_TIMEOUT);
}

static void start_cpus(bool *keep_boot_mappings)
{
	unsigned want = vmm_info.vp_count, up;
	int err;

	err = platform()->start_aps(want, &vmm_info, keep_boot_mappings);
	if (err)
		pr_err("starting APs failed: %s", husk_strerror(err));
	up = percpu_count_online();
	pr_info("vCPUs: %u of %u up", up, want);
	for (unsigned i = 0; i < HUSK_MAX_CPUS; i++) {
		struct percpu *p = percpu_get(i);

		if (p && p->online)
			pr_debug("  CPU %u: APIC ID %u", i, p->apic_id);
	}
	if (up != want)
		boot_fail("not every vCPU came up", HUSK_ERR_TIMEOUT);
}

void kmain(const struct husk_boot_params *bp_in, uint64_t reset_tsc)
{
	struct bp_error berr;
	bool calibrated, keep_boot_mappings = false;
	char buf[128];
	int err;

	tsc_set_reset(reset_tsc);
	percpu_early_bsp();
	memcpy(&boot_params, bp_in, sizeof(boot_params));
	/* The platform decides where the console is, so pick it first; the
	 * builder's page is measured, a bad one is a build error. */
	if (platform_select(boot_params.platform) != HUSK_OK)
		platform_select(HUSK_PLATFORM_NATIVE);
	console_set_sink(platform()->console_write);
	calibrated = tsc_calibrate() != 0;
	kprintf("\n");
	pr_info("husk %s booting on platform %s", HUSK_VERSION, platform()->name);
	/* Every timeout in husk (AP start-up, INIT-SIPI delays) counts TSC ticks. */
	if (!calibrated)
		boot_fail("TSC calibration against the PIT failed", HUSK_ERR_TIMEOUT);
	if (bp_check_boot_params(&boot_params, &berr) != HUSK_OK) {
		pr_err("%s", berr.msg);
		boot_fail("bad boot parameter page", HUSK_ERR_FORMAT);
	}
	pr_info("IGVM image '%s'; TSC %llu kHz (calibrated against the PIT)", boot_params.version_string,
		(unsigned long long)tsc_khz());

	err = pages_init(&boot_params);
	if (err)
		boot_fail("page allocator", err);
	err = bp_parse_vmm(&boot_params, pa_to_va(boot_params.region_base + boot_params.vmm_params_offset),
			   pa_to_va(boot_params.region_base + boot_params.memmap_offset), &vmm_info, &berr);
	if (err) {
		pr_err("%s", berr.msg);
		boot_fail("VMM parameters rejected", err);
	}
	cmdline_set(vmm_info.cmdline);
	apply_cmdline();
	pr_info("command line: \"%s\"", cmdline_raw());
	log_memmap(&vmm_info);

	err = kheap_init();
	if (!err)
		err = vm_init(&boot_params);
	if (err)
		boot_fail("memory management", err);
	cpu_features_detect();
	if (!cpu_features()->nx)
		boot_fail("CPU lacks NX", HUSK_ERR_UNSUPPORTED);
	cpu_enable_protections();
	cpu_features_string(buf, sizeof(buf));
	pr_info("CPU: %s", buf);
	err = percpu_finish_bsp();
	if (err)
		boot_fail("BSP per-CPU set-up", err);
	err = platform()->init();
	if (err)
		boot_fail("platform init", err);
	this_cpu()->apic_id = lapic_id();
	start_cpus(&keep_boot_mappings);
	if (keep_boot_mappings) {
		pr_warn("AP start-up pages stay mapped: a CPU may still be starting");
		__atomic_store_n(&boot_done, true, __ATOMIC_RELEASE);
	} else {
		vm_drop_low_half(wait_aps_flushed);
	}

	err = selftest_crypto();
	if (err)
		boot_fail("crypto self-test", err);
	log_region(&boot_params, "after boot");
	{
		uint64_t us = time_ns() / 1000;

		pr_info("ready: %llu.%03llu ms after the reset vector (TSC); %llu kernel symbols",
			(unsigned long long)(us / 1000), (unsigned long long)(us % 1000),
			(unsigned long long)ksym_count());
	}

#ifdef HUSK_KTEST
	{
		char guard[32];

		if (cmdline_get("ktest.guard", guard, sizeof(guard)))
			ktest_run_guard(guard);
		platform_exit(ktest_run_all());
	}
#else
	if (platform()->guest) {
		err = request_init(&boot_params, &vmm_info);
		if (err)
			boot_fail("guest set-up", err);
		request_loop();
	}
	pr_info("platform %s runs no guest; husk is done", platform()->name);
	platform_exit(true);
#endif
}

void ap_main(unsigned index)
{
	percpu_enter_ap(index);
	cpu_enable_protections();
	platform()->init_ap();
	/* Wait for the BSP to drop the boot identity mappings, then forget
	 * any TLB entries for them. */
	while (!__atomic_load_n(&boot_done, __ATOMIC_ACQUIRE))
		cpu_relax();
	tlb_flush_local();
	__atomic_fetch_add(&aps_flushed, 1, __ATOMIC_RELEASE);
	if (platform()->guest)
		request_loop();
	for (;;)
		irq_enable_and_halt();
}
