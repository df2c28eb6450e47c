/* svm: the guest's vCPUs.  Each husk CPU runs at most one guest vCPU, the
 * one whose APIC ID it has (the guest sees the VMM's vCPUs one to one).  The
 * boot CPU's vCPU starts at the payload's entry; the others wait, polling,
 * until CREATE_VCPU hands them a VMSA.
 *
 * A CPU's vCPU moves through these states (vcpu.state):
 *   IDLE -> CLAIMED      another CPU is filling in a start request
 *   CLAIMED -> START     the VMSA copy and its GPA are in place
 *   START -> RUNNING     this CPU loaded the VMSA into its VMCB
 *   RUNNING -> STOP      another CPU asks it to stop (DELETE_VCPU)
 *   STOP -> IDLE         this CPU wrote the final state back to the VMSA page
 *   RUNNING -> IDLE      it deleted itself, or shut down
 *   any -> DEAD          it got an INIT: the CPU parks for good
 * Transitions out of IDLE/RUNNING by another CPU are compare-and-swap.
 *
 * Every CPU clears GIF when it enters svm_vcpu_run and never sets it again,
 * and the boot vCPU starts only once all of them have: from then on no
 * interrupt, NMI or INIT is ever taken in husk's own context, so the guest
 * (which owns the local APICs) cannot reset a husk CPU into code of its
 * choosing; an INIT that arrives is intercepted in guest mode instead and
 * ends that vCPU (docs/svm.md). */
#include <string.h>

#include "arch/x86/cpu.h"
#include "arch/x86/lapic.h"
#include "arch/x86/svm.h"
#include "arch/x86/tsc.h"
#include "core/console.h"
#include "core/percpu.h"
#include "core/spinlock.h"
#include "husk/err.h"
#include "husk/svm_guest.h"
#include "mm/kheap.h"
#include "mm/pages.h"
#include "platform/svm_internal.h"

enum vcpu_state {
	VCPU_IDLE = 0,
	VCPU_CLAIMED,
	VCPU_START,
	VCPU_RUNNING,
	VCPU_STOP,
	VCPU_DEAD,
};

struct vcpu {
	uint8_t *vmcb;
	uint64_t vmcb_pa;
	uint64_t host_save_pa;
	struct svm_gprs gprs;
	uint32_t apic_id;
	uint32_t state;      /* enum vcpu_state, atomic */
	uint64_t vmsa_gpa;   /* the VMSA husk holds for this vCPU, 0 if none */
	uint8_t *vmsa;       /* its copy: the start state, then the final state */
	uint64_t seen_gen;   /* NPT generation of the last TLB flush */
	bool ready;          /* set up; may run a vCPU */
	bool boot;
	bool gif_clear;      /* this CPU cleared GIF */
	uint32_t npf_reports;
	uint32_t io_reports;
};

static struct vcpu vcpus[HUSK_MAX_CPUS];
static unsigned gif_clear_cpus; /* CPUs that run with GIF = 0 for good */
static uint64_t iopm_pa, msrpm_pa;
static bool have_nrips;

/* Port ranges husk took from the guest (svm_vcpu_io_intercept), for the
 * reports; the permission map itself is the authority. */
#define IO_RANGES_MAX 8
static struct io_range {
	uint16_t port;
	uint32_t count;
	const char *owner;
} io_ranges[IO_RANGES_MAX];
static unsigned io_range_count;
static struct spinlock io_lock = SPINLOCK_INIT;

#define STOP_WAIT_MS 100
#define NPF_REPORTS_MAX 16 /* per CPU, then one line per 1024 */
#define IO_REPORTS_MAX 16  /* the same for refused port accesses */

/* ---- set-up ---- */

static void msrpm_intercept(uint8_t *msrpm, uint32_t msr, bool read, bool write)
{
	uint32_t base, off;

	if (msr <= 0x1fff) {
		base = 0;
		off = 0x000;
	} else if (msr >= 0xc0000000u && msr <= 0xc0001fffu) {
		base = 0xc0000000u;
		off = 0x800;
	} else {
		base = 0xc0010000u;
		off = 0x1000;
	}
	uint32_t bit = (msr - base) * 2;

	if (read)
		msrpm[off + bit / 8] |= (uint8_t)(1u << (bit % 8));
	if (write)
		msrpm[off + (bit + 1) / 8] |= (uint8_t)(1u << ((bit + 1) % 8));
}

static int shared_init(void)
{
	uint8_t *msrpm;
	int err;

	/* The I/O permission map starts empty: the guest owns the devices,
	 * except ports husk takes for its own (svm_vcpu_io_intercept). */
	HUSK_STATIC_ASSERT(SVM_IOPM_BYTES <= (HUSK_PAGE_SIZE << 2), "IOPM fits 4 pages");
	err = page_alloc(2, &iopm_pa);
	if (!err)
		err = page_alloc(1, &msrpm_pa);
	if (err)
		return err;
	msrpm = pa_to_va(msrpm_pa);
	msrpm_intercept(msrpm, MSR_EFER, false, true);     /* keep EFER.SVME set */
	msrpm_intercept(msrpm, MSR_TSC, false, true);      /* husk's clock is the TSC */
	msrpm_intercept(msrpm, MSR_VM_CR, true, true);     /* no SVM for the guest */
	msrpm_intercept(msrpm, MSR_VM_HSAVE_PA, true, true);
	have_nrips = (cpuid(0x8000000au, 0).edx >> 3) & 1;
	return HUSK_OK;
}

int svm_vcpu_cpu_init(void)
{
	struct vcpu *v = &vcpus[percpu_index()];
	uint64_t hsave;
	int err;

	if (percpu_index() == 0 && !iopm_pa) {
		err = shared_init();
		if (err)
			return err;
	}
	err = page_alloc(0, &hsave);
	if (!err)
		err = page_alloc(0, &v->vmcb_pa);
	if (!err)
		err = page_alloc(0, &v->host_save_pa);
	if (err)
		return err;
	v->vmcb = pa_to_va(v->vmcb_pa);
	v->vmsa = kcalloc(1, VMSA_SIZE);
	if (!v->vmsa)
		return HUSK_ERR_NOMEM;
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SVME);
	wrmsr(MSR_VM_HSAVE_PA, hsave);
	/* husk's FS/GS base, TR, LDTR and syscall MSRs, reloaded after
	 * every #VMEXIT; none of them changes after this point. */
	svm_vmsave(v->host_save_pa);
	v->apic_id = lapic_id();
	__atomic_store_n(&v->ready, true, __ATOMIC_RELEASE);
	return HUSK_OK;
}

static struct vcpu *by_apic_id(uint32_t apic_id)
{
	for (unsigned i = 0; i < HUSK_MAX_CPUS; i++)
		if (__atomic_load_n(&vcpus[i].ready, __ATOMIC_ACQUIRE) && vcpus[i].apic_id == apic_id)
			return &vcpus[i];
	return NULL;
}

static void vmcb_set8(void *vmcb, uint32_t off, uint8_t v)
{
	*(volatile uint8_t *)((uint8_t *)vmcb + off) = v;
}

/* Control area: what husk intercepts (docs/svm.md), nested paging. */
static void vmcb_init_controls(struct vcpu *v)
{
	memset(v->vmcb, 0, HUSK_PAGE_SIZE);
	vmcb_set32(v->vmcb, VMCB_INTERCEPT_MISC1,
		   SVM_I1_INIT | SVM_I1_HLT | SVM_I1_INVLPGA | SVM_I1_IOIO | SVM_I1_MSR |
			   SVM_I1_SHUTDOWN);
	vmcb_set32(v->vmcb, VMCB_INTERCEPT_MISC2,
		   SVM_I2_VMRUN | SVM_I2_VMMCALL | SVM_I2_VMLOAD | SVM_I2_VMSAVE | SVM_I2_STGI |
			   SVM_I2_CLGI | SVM_I2_SKINIT);
	vmcb_set(v->vmcb, VMCB_IOPM_BASE, iopm_pa);
	vmcb_set(v->vmcb, VMCB_MSRPM_BASE, msrpm_pa);
	vmcb_set32(v->vmcb, VMCB_ASID, 1);
	vmcb_set8(v->vmcb, VMCB_TLB_CONTROL, 1);
	vmcb_set(v->vmcb, VMCB_NP_ENABLE, 1);
	vmcb_set(v->vmcb, VMCB_NCR3, svm_npt_root());
	memset(&v->gprs, 0, sizeof(v->gprs));
	v->seen_gen = 0;
}

static void set_segment(struct vcpu *v, uint32_t off, uint16_t sel, uint16_t attrib, uint32_t limit)
{
	struct vmsa_segment s = { .selector = sel, .attrib = attrib, .limit = limit, .base = 0 };

	memcpy(v->vmcb + VMCB_SAVE + off, &s, sizeof(s));
}

void svm_vcpu_set_boot(uint64_t entry, uint64_t info_gpa)
{
	struct vcpu *v = &vcpus[percpu_index()];

	/* 32-bit protected mode, flat, paging off (include/husk/svm_guest.h). */
	vmcb_init_controls(v);
	set_segment(v, VMSA_CS, HUSK_SVM_ENTRY_CS, 0xc9b, 0xffffffff);
	for (uint32_t off = VMSA_ES; off <= VMSA_GS; off += 16)
		if (off != VMSA_CS)
			set_segment(v, off, HUSK_SVM_ENTRY_DS, 0xc93, 0xffffffff);
	set_segment(v, VMSA_GDTR, 0, 0, 0);
	set_segment(v, VMSA_IDTR, 0, 0, 0);
	set_segment(v, VMSA_LDTR, 0, 0x82, 0xffff);
	set_segment(v, VMSA_TR, 0, 0x8b, 0xffff);
	vmcb_set(v->vmcb, VMCB_SAVE + VMSA_EFER, VMSA_EFER_SVME);
	vmcb_set(v->vmcb, VMCB_SAVE + VMSA_CR0, 0x31); /* PE | ET | NE */
	vmcb_set(v->vmcb, VMCB_SAVE + VMSA_DR6, 0xffff0ff0);
	vmcb_set(v->vmcb, VMCB_SAVE + VMSA_DR7, 0x400);
	vmcb_set(v->vmcb, VMCB_SAVE + VMSA_RFLAGS, 0x2);
	vmcb_set(v->vmcb, VMCB_SAVE + VMSA_RIP, entry);
	vmcb_set(v->vmcb, VMCB_SAVE + VMSA_RAX, HUSK_SVM_ENTRY_MAGIC);
	vmcb_set(v->vmcb, VMCB_SAVE + VMSA_G_PAT, 0x0007040600070406ull);
	v->gprs.rbx = info_gpa;
	v->boot = true;
}

/* Once per CPU, on its way into the run loop. */
static void gif_clear(struct vcpu *v)
{
	irq_disable();
	svm_clgi();
	v->gif_clear = true;
	__atomic_add_fetch(&gif_clear_cpus, 1, __ATOMIC_RELEASE);
}

void svm_vcpu_launch(void)
{
	unsigned want = 0;
	uint64_t t0 = rdtsc();

	gif_clear(&vcpus[percpu_index()]);
	for (unsigned i = 0; i < HUSK_MAX_CPUS; i++)
		if (__atomic_load_n(&vcpus[i].ready, __ATOMIC_ACQUIRE))
			want++;
	/* No guest code runs until no husk CPU can take an INIT. */
	while (__atomic_load_n(&gif_clear_cpus, __ATOMIC_ACQUIRE) < want) {
		if (rdtsc() - t0 > tsc_khz() * 1000) {
			pr_err("svm: %u of %u CPUs entered the run loop; not starting the guest",
			       __atomic_load_n(&gif_clear_cpus, __ATOMIC_ACQUIRE), want);
			platform_exit(false);
		}
		cpu_relax();
	}
	__atomic_store_n(&vcpus[percpu_index()].state, VCPU_RUNNING, __ATOMIC_RELEASE);
}

/* ---- VMSA <-> VMCB ---- */

/* Save-area fields at the same offset in a VMSA and a VMCB save area. */
static const struct {
	uint16_t off, len;
} vmsa_fields[] = {
	{ VMSA_ES, 10 * 16 },            /* ES CS SS DS FS GS GDTR LDTR IDTR TR */
	{ VMSA_CPL, 1 },
	{ VMSA_EFER, 8 },
	{ VMSA_CR4, 8 * 6 },             /* CR4 CR3 CR0 DR7 DR6 RFLAGS */
	{ VMSA_RIP, 8 },
	{ VMSA_RSP, 8 },
	{ VMSA_RAX, 8 },
	{ VMSA_STAR, 8 * 8 },            /* STAR LSTAR CSTAR SFMASK KERNEL_GS_BASE SYSENTER_CS/ESP/EIP */
	{ VMSA_CR2, 8 },
	{ VMSA_G_PAT, 8 },
};

/* General registers in a VMSA, in struct svm_gprs order. */
static const uint16_t vmsa_gpr_off[] = {
	VMSA_RBX, VMSA_RCX, VMSA_RDX, VMSA_RSI, VMSA_RDI, VMSA_RBP,
	VMSA_R8, VMSA_R8 + 8, VMSA_R8 + 16, VMSA_R8 + 24, VMSA_R8 + 32, VMSA_R8 + 40,
	VMSA_R8 + 48, VMSA_R15,
};
HUSK_STATIC_ASSERT(sizeof(vmsa_gpr_off) / sizeof(vmsa_gpr_off[0]) ==
			   sizeof(struct svm_gprs) / sizeof(uint64_t), "one VMSA offset per register");

static void vmsa_to_vmcb(struct vcpu *v)
{
	uint64_t *g = (uint64_t *)&v->gprs;

	vmcb_init_controls(v);
	for (unsigned i = 0; i < HUSK_ARRAY_SIZE(vmsa_fields); i++)
		memcpy(v->vmcb + VMCB_SAVE + vmsa_fields[i].off, v->vmsa + vmsa_fields[i].off,
		       vmsa_fields[i].len);
	for (unsigned i = 0; i < HUSK_ARRAY_SIZE(vmsa_gpr_off); i++)
		memcpy(&g[i], v->vmsa + vmsa_gpr_off[i], 8);
}

static void vmcb_to_vmsa(struct vcpu *v)
{
	const uint64_t *g = (const uint64_t *)&v->gprs;

	for (unsigned i = 0; i < HUSK_ARRAY_SIZE(vmsa_fields); i++)
		memcpy(v->vmsa + vmsa_fields[i].off, v->vmcb + VMCB_SAVE + vmsa_fields[i].off,
		       vmsa_fields[i].len);
	for (unsigned i = 0; i < HUSK_ARRAY_SIZE(vmsa_gpr_off); i++)
		memcpy(v->vmsa + vmsa_gpr_off[i], &g[i], 8);
}

/* Gives the VMSA page back to the guest with the vCPU's final state. */
static void release_vmsa(struct vcpu *v)
{
	uint64_t gpa = v->vmsa_gpa;

	if (!gpa)
		return;
	/* The final state is in the page before the guest can see it. */
	vmcb_to_vmsa(v);
	if (svm_mem_write_vmsa(gpa, v->vmsa) || svm_npt_unhide(gpa))
		pr_err("svm: could not give VMSA page 0x%llx back to the guest",
		       (unsigned long long)gpa);
	__atomic_store_n(&v->vmsa_gpa, 0, __ATOMIC_RELEASE);
}

bool svm_vcpu_holds(uint64_t gpa, uint64_t len)
{
	for (unsigned i = 0; i < HUSK_MAX_CPUS; i++) {
		uint64_t v = __atomic_load_n(&vcpus[i].vmsa_gpa, __ATOMIC_ACQUIRE);

		if (v && v < gpa + len && gpa < v + VMSA_SIZE)
			return true;
	}
	return false;
}

/* ---- starting and stopping, from another CPU ---- */

static bool gpat_valid(uint64_t pat)
{
	for (int i = 0; i < 8; i++) {
		uint8_t t = (uint8_t)(pat >> (8 * i));

		if (t > 7 || t == 2 || t == 3)
			return false;
	}
	return true;
}

uint32_t svm_vcpu_start(uint32_t apic_id, const uint8_t *vmsa, uint64_t vmsa_gpa, uint64_t ca_gpa)
{
	struct vcpu *v = by_apic_id(apic_id);
	uint32_t idle = VCPU_IDLE;
	uint64_t pat;

	(void)ca_gpa;
	if (!v || v == &vcpus[percpu_index()])
		return SVSM_ERR_INVALID_PARAMETER;
	/* VMRUN refuses a guest PAT with reserved memory types when nested
	 * paging is on; lib/svsm checked the rest of the state. */
	memcpy(&pat, vmsa + VMSA_G_PAT, sizeof(pat));
	if (!gpat_valid(pat))
		return SVSM_ERR_INVALID_PARAMETER;
	if (!__atomic_compare_exchange_n(&v->state, &idle, VCPU_CLAIMED, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE))
		return SVSM_ERR_INVALID_PARAMETER; /* runs, or is dead */
	memcpy(v->vmsa, vmsa, VMSA_SIZE);
	__atomic_store_n(&v->vmsa_gpa, vmsa_gpa, __ATOMIC_RELEASE);
	if (svm_npt_hide(vmsa_gpa)) {
		__atomic_store_n(&v->vmsa_gpa, 0, __ATOMIC_RELEASE);
		__atomic_store_n(&v->state, VCPU_IDLE, __ATOMIC_RELEASE);
		return SVSM_ERR_INVALID_ADDRESS;
	}
	__atomic_store_n(&v->state, VCPU_START, __ATOMIC_RELEASE);
	return SVSM_SUCCESS;
}

uint32_t svm_vcpu_stop(uint32_t apic_id, uint64_t vmsa_gpa)
{
	struct vcpu *v = by_apic_id(apic_id);
	uint64_t t0 = rdtsc(), limit = tsc_khz() * STOP_WAIT_MS;
	uint32_t expect;

	if (!v || v == &vcpus[percpu_index()] ||
	    __atomic_load_n(&v->vmsa_gpa, __ATOMIC_ACQUIRE) != vmsa_gpa)
		return SVSM_ERR_INVALID_PARAMETER;
	expect = VCPU_START;
	if (__atomic_compare_exchange_n(&v->state, &expect, VCPU_CLAIMED, false, __ATOMIC_ACQ_REL,
					__ATOMIC_ACQUIRE)) {
		/* Never ran: the page comes back untouched. */
		__atomic_store_n(&v->vmsa_gpa, 0, __ATOMIC_RELEASE);
		svm_npt_unhide(vmsa_gpa);
		__atomic_store_n(&v->state, VCPU_IDLE, __ATOMIC_RELEASE);
		return SVSM_SUCCESS;
	}
	expect = VCPU_RUNNING;
	if (!__atomic_compare_exchange_n(&v->state, &expect, VCPU_STOP, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE))
		return SVSM_ERR_INVALID_PARAMETER;
	/* It stops at its next exit (an SVSM call, HLT, a fault...). */
	while (__atomic_load_n(&v->state, __ATOMIC_ACQUIRE) == VCPU_STOP) {
		if (rdtsc() - t0 > limit) {
			expect = VCPU_STOP;
			if (__atomic_compare_exchange_n(&v->state, &expect, VCPU_RUNNING, false,
							__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
				return SVSM_ERR_BUSY;
			break;
		}
		cpu_relax();
	}
	return __atomic_load_n(&v->state, __ATOMIC_ACQUIRE) == VCPU_IDLE ? SVSM_SUCCESS
									 : SVSM_ERR_BUSY;
}

/* ---- the run loop and its exits ---- */

static void advance_rip(struct vcpu *v, unsigned len)
{
	uint64_t nrip = vmcb_get(v->vmcb, VMCB_NRIP);

	/* Real hardware gives the next RIP (NRIPS); QEMU's TCG does not, so
	 * husk uses the length of the instruction it intercepted. */
	if (have_nrips && nrip)
		vmcb_set(v->vmcb, VMCB_SAVE + VMSA_RIP, nrip);
	else
		vmcb_set(v->vmcb, VMCB_SAVE + VMSA_RIP, vmcb_get(v->vmcb, VMCB_SAVE + VMSA_RIP) + len);
}

static void inject(struct vcpu *v, uint8_t vector, bool has_error)
{
	uint64_t intinfo = vmcb_get(v->vmcb, VMCB_EXITINTINFO);

	/* A fault while the CPU was delivering another event is a double
	 * fault, as it would be on hardware. */
	if (intinfo & SVM_EVT_VALID) {
		vector = SVM_EVT_VEC_DF;
		has_error = true;
	}
	vmcb_set(v->vmcb, VMCB_EVENTINJ,
		 SVM_EVT_VALID | SVM_EVT_TYPE_EXC | vector | (has_error ? SVM_EVT_ERR_VALID : 0));
}

static void handle_npf(struct vcpu *v)
{
	uint64_t info = vmcb_get(v->vmcb, VMCB_EXITINFO1), gpa = vmcb_get(v->vmcb, VMCB_EXITINFO2);
	const char *what = svm_mem_in_husk(gpa, 1)      ? "husk's memory"
			   : svm_vcpu_holds(gpa, 1)      ? "a VMSA page husk holds"
			   : gpa >= svm_mem_top()        ? "beyond guest memory"
							 : "an unmapped page";
	const char *how = (info & SVM_NPF_FETCH) ? "fetch from" : (info & SVM_NPF_WRITE) ? "write to" : "read of";

	v->npf_reports++;
	if (v->npf_reports <= NPF_REPORTS_MAX || (v->npf_reports & 1023) == 0)
		pr_warn("guest vCPU %u: %s GPA 0x%llx (%s%s) at RIP 0x%llx refused: #GP injected "
			"(%u so far on this vCPU)", v->apic_id, how, (unsigned long long)gpa, what,
			(info & SVM_NPF_FINAL) ? "" : ", in a guest page-table walk",
			(unsigned long long)vmcb_get(v->vmcb, VMCB_SAVE + VMSA_RIP), v->npf_reports);
	inject(v, SVM_EVT_VEC_GP, true);
}

int svm_vcpu_io_intercept(uint16_t port, uint32_t count, const char *owner)
{
	uint8_t *iopm = iopm_pa ? pa_to_va(iopm_pa) : NULL;
	bool known = false;

	if (!iopm)
		return HUSK_ERR_BUSY;
	if (count == 0 || (uint32_t)port + count > 0x10000u)
		return HUSK_ERR_RANGE;
	/* Bits only ever get set; a vCPU running meanwhile sees each port
	 * either still open or already closed. */
	for (uint32_t p = port; p < (uint32_t)port + count; p++)
		__atomic_fetch_or(&iopm[p / 8], (uint8_t)(1u << (p % 8)), __ATOMIC_SEQ_CST);
	spin_lock(&io_lock);
	for (unsigned i = 0; i < io_range_count; i++)
		known |= io_ranges[i].port == port && io_ranges[i].count == count;
	if (!known && io_range_count < IO_RANGES_MAX)
		io_ranges[io_range_count++] = (struct io_range){ port, count, owner };
	spin_unlock(&io_lock);
	if (!known)
		pr_info("svm: guest I/O to ports 0x%x-0x%x (%s) is intercepted and refused", port,
			port + count - 1, owner);
	return HUSK_OK;
}

static const char *io_owner(uint16_t port, unsigned size)
{
	const char *owner = "a port husk owns";

	spin_lock(&io_lock);
	for (unsigned i = 0; i < io_range_count; i++)
		if (port < io_ranges[i].port + io_ranges[i].count &&
		    io_ranges[i].port < (uint32_t)port + size)
			owner = io_ranges[i].owner;
	spin_unlock(&io_lock);
	return owner;
}

/* IN/OUT (and INS/OUTS) touching a port husk took from the guest: refused
 * as the CPU refuses a port the I/O permission bitmap denies, with #GP(0),
 * and nothing reaches the device. */
static void handle_ioio(struct vcpu *v)
{
	uint64_t info = vmcb_get(v->vmcb, VMCB_EXITINFO1);
	uint16_t port = SVM_IOIO_PORT(info);
	unsigned size = (info >> SVM_IOIO_SZ_SHIFT) & 7; /* 1, 2 or 4 */

	if (size == 0)
		size = 1;
	v->io_reports++;
	if (v->io_reports <= IO_REPORTS_MAX || (v->io_reports & 1023) == 0)
		pr_warn("guest vCPU %u: %s%s of I/O port 0x%x (%u byte%s, %s) at RIP 0x%llx refused: "
			"#GP injected (%u so far on this vCPU)", v->apic_id,
			(info & SVM_IOIO_REP) ? "rep " : "",
			(info & SVM_IOIO_STR) ? ((info & SVM_IOIO_IN) ? "ins" : "outs")
					      : ((info & SVM_IOIO_IN) ? "in" : "out"),
			port, size, size == 1 ? "" : "s", io_owner(port, size),
			(unsigned long long)vmcb_get(v->vmcb, VMCB_SAVE + VMSA_RIP), v->io_reports);
	inject(v, SVM_EVT_VEC_GP, true);
}

/* RDMSR/WRMSR of the few MSRs husk intercepts, and of MSRs outside the
 * ranges the permission map covers (always intercepted): #GP unless
 * emulated here. */
static void handle_msr(struct vcpu *v)
{
	bool write = vmcb_get(v->vmcb, VMCB_EXITINFO1) & 1;
	uint32_t msr = (uint32_t)v->gprs.rcx;
	uint64_t val = (vmcb_get(v->vmcb, VMCB_SAVE + VMSA_RAX) & 0xffffffffu) | (v->gprs.rdx << 32);
	uint64_t efer = vmcb_get(v->vmcb, VMCB_SAVE + VMSA_EFER);

	if (!write && msr == MSR_VM_CR) {
		val = VM_CR_LOCK | VM_CR_SVMDIS; /* SVM is not the guest's to use */
	} else if (!write && msr == MSR_VM_HSAVE_PA) {
		val = 0;
	} else if (write && msr == MSR_EFER) {
		const uint64_t writable = VMSA_EFER_SCE | VMSA_EFER_LME | VMSA_EFER_NXE |
					  VMSA_EFER_SVME | VMSA_EFER_LMSLE | VMSA_EFER_FFXSR |
					  VMSA_EFER_TCE | VMSA_EFER_LMA;
		bool paging = vmcb_get(v->vmcb, VMCB_SAVE + VMSA_CR0) & (1ull << 31);

		if ((val & ~writable) || (paging && ((val ^ efer) & VMSA_EFER_LME))) {
			inject(v, SVM_EVT_VEC_GP, true);
			return;
		}
		/* SVME stays set (VMRUN needs it; on SNP the guest sees it
		 * set too); LMA is the CPU's, not the writer's. */
		vmcb_set(v->vmcb, VMCB_SAVE + VMSA_EFER,
			 (val & ~VMSA_EFER_LMA) | VMSA_EFER_SVME | (efer & VMSA_EFER_LMA));
	} else if (write && msr == MSR_TSC) {
		vmcb_set(v->vmcb, VMCB_TSC_OFFSET, val - rdtsc());
	} else {
		inject(v, SVM_EVT_VEC_GP, true);
		return;
	}
	if (!write) {
		vmcb_set(v->vmcb, VMCB_SAVE + VMSA_RAX, (uint32_t)val);
		v->gprs.rdx = val >> 32;
	}
	advance_rip(v, 2);
}

/* The vCPU on this CPU is over: give its VMSA back, free the CPU. */
static void vcpu_gone(struct vcpu *v, struct guest_exit *ex, const char *why)
{
	pr_warn("guest vCPU %u (%s) stopped: %s at RIP 0x%llx", v->apic_id,
		v->boot ? "boot vCPU" : "created by the guest", why,
		(unsigned long long)vmcb_get(v->vmcb, VMCB_SAVE + VMSA_RIP));
	if (v->boot) {
		/* There is no one to restart it: the VM is over, as a
		 * triple fault ends (resets) a VM on real hardware. */
		pr_err("the guest's boot vCPU cannot continue; ending the VM");
		platform_exit(false);
	}
	release_vmsa(v);
	__atomic_store_n(&v->state, VCPU_IDLE, __ATOMIC_RELEASE);
	ex->kind = GUEST_EXIT_VCPU_GONE;
	ex->apic_id = v->apic_id;
}

/* Returns true if the exit needs the layer above (ex filled in). */
static bool handle_exit(struct vcpu *v, struct guest_exit *ex)
{
	uint64_t code = vmcb_get(v->vmcb, VMCB_EXITCODE);
	uint64_t intinfo = vmcb_get(v->vmcb, VMCB_EXITINTINFO);

	vmcb_set(v->vmcb, VMCB_EVENTINJ, 0);
	switch (code) {
	case SVM_EXIT_VMMCALL:
		ex->kind = GUEST_EXIT_SVSM_CALL;
		ex->apic_id = v->apic_id;
		ex->regs.rax = vmcb_get(v->vmcb, VMCB_SAVE + VMSA_RAX);
		ex->regs.rcx = v->gprs.rcx;
		ex->regs.rdx = v->gprs.rdx;
		ex->regs.r8 = v->gprs.r8;
		ex->regs.r9 = v->gprs.r9;
		return true;
	case SVM_EXIT_NPF:
		handle_npf(v);
		break;
	case SVM_EXIT_MSR:
		handle_msr(v);
		break;
	case SVM_EXIT_IOIO:
		handle_ioio(v);
		break;
	case SVM_EXIT_HLT:
		/* A pause, not a halt: husk must see every vCPU again soon
		 * (DELETE_VCPU), and cannot see the guest's interrupts. */
		advance_rip(v, 1);
		break;
	case SVM_EXIT_VMRUN:
	case SVM_EXIT_VMLOAD:
	case SVM_EXIT_VMSAVE:
	case SVM_EXIT_STGI:
	case SVM_EXIT_CLGI:
	case SVM_EXIT_SKINIT:
	case SVM_EXIT_INVLPGA:
		inject(v, SVM_EVT_VEC_UD, false);
		break;
	case SVM_EXIT_INIT:
		/* The INIT stays pending: taking it would reset this CPU out
		 * of husk.  The CPU parks with GIF = 0 for good. */
		pr_err("guest vCPU %u received INIT: the CPU stops for good", v->apic_id);
		release_vmsa(v);
		__atomic_store_n(&v->state, VCPU_DEAD, __ATOMIC_RELEASE);
		ex->kind = GUEST_EXIT_VCPU_GONE;
		ex->apic_id = v->apic_id;
		return true;
	case SVM_EXIT_SHUTDOWN:
		vcpu_gone(v, ex, "shutdown (triple fault)");
		return true;
	case SVM_EXIT_INVALID:
		vcpu_gone(v, ex, "VMRUN refused its state");
		return true;
	default:
		pr_err("guest vCPU %u: unexpected exit 0x%llx", v->apic_id, (unsigned long long)code);
		vcpu_gone(v, ex, "unexpected exit");
		return true;
	}
	/* An event the exit interrupted is delivered again, unless a fault
	 * injected above replaced it (with #DF). */
	if ((intinfo & SVM_EVT_VALID) && !(vmcb_get(v->vmcb, VMCB_EVENTINJ) & SVM_EVT_VALID))
		vmcb_set(v->vmcb, VMCB_EVENTINJ, intinfo);
	return false;
}

static HUSK_NORETURN void park(void)
{
	for (;;) {
		irq_disable();
		cpu_halt();
	}
}

void svm_vcpu_run(struct guest_exit *ex)
{
	struct vcpu *v = &vcpus[percpu_index()];

	if (!v->gif_clear)
		gif_clear(v);

	for (;;) {
		uint32_t st = __atomic_load_n(&v->state, __ATOMIC_ACQUIRE);
		uint64_t gen;

		switch (st) {
		case VCPU_IDLE:
		case VCPU_CLAIMED:
			cpu_relax();
			continue;
		case VCPU_DEAD:
			park();
		case VCPU_START:
			vmsa_to_vmcb(v);
			v->boot = false;
			v->npf_reports = 0;
			v->io_reports = 0;
			__atomic_store_n(&v->state, VCPU_RUNNING, __ATOMIC_RELEASE);
			pr_info("guest vCPU %u starts at RIP 0x%llx (VMSA 0x%llx)", v->apic_id,
				(unsigned long long)vmcb_get(v->vmcb, VMCB_SAVE + VMSA_RIP),
				(unsigned long long)v->vmsa_gpa);
			continue;
		case VCPU_STOP:
			release_vmsa(v);
			__atomic_store_n(&v->state, VCPU_IDLE, __ATOMIC_RELEASE);
			continue;
		default:
			break;
		}
		gen = svm_npt_generation();
		if (gen != v->seen_gen) {
			vmcb_set8(v->vmcb, VMCB_TLB_CONTROL, 1);
			v->seen_gen = gen;
		} else {
			vmcb_set8(v->vmcb, VMCB_TLB_CONTROL, 0);
		}
		svm_vmrun(v->vmcb_pa, &v->gprs, v->host_save_pa);
		if (handle_exit(v, ex))
			return;
	}
}

void svm_vcpu_complete(const struct guest_exit *ex, enum svsm_outcome outcome)
{
	struct vcpu *v = &vcpus[percpu_index()];

	advance_rip(v, 3); /* VMMCALL */
	switch (outcome) {
	case SVSM_RESUME:
		vmcb_set(v->vmcb, VMCB_SAVE + VMSA_RAX, ex->regs.rax);
		v->gprs.rcx = ex->regs.rcx;
		v->gprs.rdx = ex->regs.rdx;
		v->gprs.r8 = ex->regs.r8;
		break;
	case SVSM_RESUME_SPURIOUS:
		break;
	case SVSM_STOP_SELF:
		release_vmsa(v);
		__atomic_store_n(&v->state, VCPU_IDLE, __ATOMIC_RELEASE);
		break;
	}
}
