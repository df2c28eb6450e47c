/* The svm platform: husk in AMD-V host mode on an ordinary machine, its
 * guest below it in an SVM guest context with nested paging that leaves
 * husk's region out.  husk boots as on native (the PC pieces are pc.c's);
 * this file checks for SVM, sets up each CPU and prepares the guest: nested
 * page tables, the validated-page model, the information page and the boot
 * calling area (include/husk/svm_guest.h, docs/svm.md). */
#include <string.h>

#include "arch/x86/cpu.h"
#include "arch/x86/cpufeatures.h"
#include "arch/x86/smp_sipi.h"
#include "arch/x86/svm.h"
#include "arch/x86/tsc.h"
#include "core/console.h"
#include "core/panic.h"
#include "core/percpu.h"
#include "husk/err.h"
#include "husk/svm_guest.h"
#include "platform/pc.h"
#include "platform/svm_internal.h"
#include "platform/virtio_blk.h"

static int svm_init(void)
{
	const struct cpu_features *f = cpu_features();
	int err;

	if (!f->svm || !f->npt) {
		pr_err("svm: the CPU has no %s (QEMU: -cpu max, EPYC or qemu64,+svm,+npt)",
		       f->svm ? "nested paging (NPT)" : "AMD-V (SVM)");
		return HUSK_ERR_UNSUPPORTED;
	}
	if (rdmsr(MSR_VM_CR) & VM_CR_SVMDIS) {
		pr_err("svm: SVM is disabled by the firmware or VMM (VM_CR.SVMDIS)");
		return HUSK_ERR_UNSUPPORTED;
	}
	err = pc_init();
	if (!err)
		err = svm_vcpu_cpu_init();
	return err;
}

static void svm_init_ap(void)
{
	int err;

	pc_init_ap();
	err = svm_vcpu_cpu_init();
	if (err)
		panic("svm: CPU %u set-up failed: %s", percpu_index(), husk_strerror(err));
}

/* husk's disk, as on native, plus: once husk has claimed the device, its
 * I/O ports are the guest's no more (docs/storage-device.md). */
static int svm_block_init(void)
{
	uint16_t base, count;
	int err = vblk_init(), ierr;

	if (vblk_ports(&base, &count)) {
		ierr = svm_vcpu_io_intercept(base, count, "husk's disk");
		if (ierr) {
			/* A disk the guest can drive is not husk's to use. */
			pr_err("svm: cannot take husk's disk ports from the guest: %s",
			       husk_strerror(ierr));
			vblk_fini();
			return ierr;
		}
	}
	return err;
}

/* Pages the boot vCPU starts with: validated, as an IGVM loader's pages
 * are on SNP. */
static int validate_range(uint64_t gpa, uint64_t size)
{
	for (uint64_t pg = gpa; pg < gpa + size; pg += HUSK_PAGE_SIZE) {
		bool unchanged;

		if (svm_mem_pvalidate(pg, false, true, &unchanged) != SNP_PVALIDATE_OK)
			return HUSK_ERR_RANGE;
	}
	return HUSK_OK;
}

static int write_info_page(const struct husk_boot_params *bp, const struct guest_launch *gl,
			   const char *guest_args)
{
	static uint8_t page[HUSK_PAGE_SIZE];
	struct husk_svm_info_ext ext;
	uint64_t v;
	uint32_t max_version = 1;

	memset(page, 0, sizeof(page));
	v = bp->region_base;
	memcpy(page + HUSK_SVM_INFO_SVSM_BASE, &v, 8);
	v = bp->region_size;
	memcpy(page + HUSK_SVM_INFO_SVSM_SIZE, &v, 8);
	memcpy(page + HUSK_SVM_INFO_SVSM_CAA, &gl->boot_ca_gpa, 8);
	memcpy(page + HUSK_SVM_INFO_SVSM_MAX_VERSION, &max_version, 4);
	page[HUSK_SVM_INFO_SVSM_GUEST_VMPL] = gl->guest_vmpl;

	memset(&ext, 0, sizeof(ext));
	ext.magic = HUSK_SVM_INFO_EXT_MAGIC;
	ext.size = sizeof(ext);
	ext.vcpu_count = gl->vcpu_count;
	ext.boot_apic_id = gl->boot_apic_id;
	ext.tsc_khz = (uint32_t)tsc_khz();
	memcpy(ext.apic_ids, gl->apic_ids, sizeof(uint32_t) * gl->vcpu_count);
	if (strlen(guest_args) >= sizeof(ext.args))
		return HUSK_ERR_RANGE;
	memcpy(ext.args, guest_args, strlen(guest_args) + 1);
	memcpy(page + HUSK_SVM_INFO_EXT_OFFSET, &ext, sizeof(ext));
	return svm_mem_write(gl->info_gpa, page, sizeof(page));
}

static int svm_prepare(const struct husk_boot_params *bp, const struct bp_info *vmm,
		       const char *guest_args, struct guest_launch *gl)
{
	uint64_t info = bp->region_base - 2 * HUSK_PAGE_SIZE, ca = bp->region_base - HUSK_PAGE_SIZE;
	int err;

	if (!bp->payload_size) {
		pr_err("svm: the IGVM file has no guest payload to run");
		return HUSK_ERR_NOTFOUND;
	}
	err = svm_mem_init(bp, vmm);
	if (!err)
		err = svm_npt_init(vmm, bp->region_base, bp->region_size, svm_mem_top());
	if (err)
		return err;
	/* The information page and the boot calling area: the two pages just
	 * below husk's region (where the SNP build puts its CPUID and secrets
	 * pages). */
	if (!svm_mem_is_ram(info, 2 * HUSK_PAGE_SIZE) ||
	    !svm_mem_is_ram(bp->payload_gpa, bp->payload_size) ||
	    (info < bp->payload_gpa + bp->payload_size && bp->payload_gpa < info + 2 * HUSK_PAGE_SIZE)) {
		pr_err("svm: payload [0x%llx+0x%llx) and pages 0x%llx-0x%llx must be distinct guest RAM",
		       (unsigned long long)bp->payload_gpa, (unsigned long long)bp->payload_size,
		       (unsigned long long)info, (unsigned long long)bp->region_base);
		return HUSK_ERR_RANGE;
	}
	memset(gl, 0, sizeof(*gl));
	gl->info_gpa = info;
	gl->boot_ca_gpa = ca;
	gl->boot_apic_id = this_cpu()->apic_id;
	gl->guest_vmpl = HUSK_SVM_GUEST_VMPL;
	gl->sev_features = 0;
	for (unsigned i = 0; i < HUSK_MAX_CPUS; i++) {
		struct percpu *p = percpu_get(i);

		if (p && p->online)
			gl->apic_ids[gl->vcpu_count++] = p->apic_id;
	}
	/* husk's disk is claimed before the guest's first instruction, used
	 * or not: its ports are intercepted from the start. */
	err = svm_block_init();
	if (err && err != HUSK_ERR_NOTFOUND)
		pr_warn("svm: husk's disk is unusable (%s): no persistence until it is set up",
			husk_strerror(err));
	err = validate_range(bp->payload_gpa, bp->payload_size);
	if (!err)
		err = svm_attest_init(bp);
	if (!err)
		err = validate_range(info, 2 * HUSK_PAGE_SIZE);
	if (!err)
		err = svm_mem_zero(ca, HUSK_PAGE_SIZE);
	if (!err)
		err = write_info_page(bp, gl, guest_args);
	if (err)
		return err;
	svm_vcpu_set_boot(bp->payload_entry, info);
	pr_info("svm: guest payload [0x%llx+0x%llx) entry 0x%llx; info page 0x%llx, calling area "
		"0x%llx; nested paging up to 0x%llx without husk's region",
		(unsigned long long)bp->payload_gpa, (unsigned long long)bp->payload_size,
		(unsigned long long)bp->payload_entry, (unsigned long long)info,
		(unsigned long long)ca, (unsigned long long)svm_mem_top());
	return HUSK_OK;
}

static void svm_run(struct guest_exit *ex)
{
	static bool launched;

	/* The boot CPU's first call starts the guest. */
	if (percpu_index() == 0 && !launched) {
		launched = true;
		svm_vcpu_launch();
	}
	svm_vcpu_run(ex);
}

static const struct platform_guest_ops svm_guest_ops = {
	.prepare = svm_prepare,
	.run = svm_run,
	.complete = svm_vcpu_complete,
	.read = svm_mem_read,
	.write = svm_mem_write,
	.zero = svm_mem_zero,
	.guest_ram = svm_mem_guest_ram,
	.pvalidate = svm_mem_pvalidate,
	.vcpu_start = svm_vcpu_start,
	.vcpu_stop = svm_vcpu_stop,
	.attest_report = svm_attest_report,
};

static const struct platform_block_ops svm_block_ops = {
	.init = svm_block_init,
	.fini = vblk_fini,
	.sectors = vblk_sectors,
	.read = vblk_read,
	.write = vblk_write,
	.flush = vblk_flush,
};

const struct platform_ops platform_svm = {
	.name = "svm",
	.type = HUSK_PLATFORM_SVM,
	.console_write = pc_console_write,
	.init = svm_init,
	.init_ap = svm_init_ap,
	.start_aps = smp_sipi_start,
	.entropy = pc_entropy,
	.exit = pc_exit,
	.guest = &svm_guest_ops,
	.block = &svm_block_ops,
};
