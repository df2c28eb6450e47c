/* The model platform for lib/svsm's tests, fuzzer and benchmark; see
 * svsm_model.h. */
#include <stdlib.h>
#include <string.h>

#include "husk/err.h"
#include "svsm/svsm_abi.h"
#include "svsm_model.h"

static const uint32_t model_apic_ids[MODEL_VCPUS] = { 0, 1, 2, 3, 4, 6, 9, 200 };

static void model_lock(struct svsm_model *m)
{
	while (__atomic_exchange_n(&m->lock, 1u, __ATOMIC_ACQUIRE))
		;
}

static void model_unlock(struct svsm_model *m)
{
	__atomic_store_n(&m->lock, 0u, __ATOMIC_RELEASE);
}

static void count(uint32_t *c)
{
	__atomic_fetch_add(c, 1, __ATOMIC_RELAXED);
}

/* [gpa, gpa + len) overlaps [base, base + size) (a range of the model's
 * layout, far from 2^64); [gpa, gpa + len) may run past 2^64 and wrap. */
static bool overlaps(uint64_t gpa, uint64_t len, uint64_t base, uint64_t size)
{
	if (len == 0)
		return false;
	uint64_t last = gpa + (len - 1); /* inclusive; below gpa if it wrapped */

	if (last < gpa) /* [gpa, 2^64) and [0, last] */
		return base + size > gpa || base <= last;
	return gpa < base + size && base <= last;
}

static bool model_is_ram(uint64_t gpa, uint64_t len)
{
	if (len == 0 || gpa >= MODEL_MEM_SIZE || len > MODEL_MEM_SIZE - gpa)
		return false;
	return !overlaps(gpa, len, MODEL_HUSK_BASE, MODEL_HUSK_SIZE) &&
	       !overlaps(gpa, len, MODEL_HOLE_BASE, MODEL_HOLE_SIZE);
}

static bool model_vmsa_held(struct svsm_model *m, uint64_t gpa, uint64_t len)
{
	bool held = false;

	if (__atomic_load_n(&m->n_held, __ATOMIC_ACQUIRE) == 0)
		return false;
	model_lock(m);
	for (uint32_t a = 0; a < MODEL_MAX_APIC && !held; a++)
		held = m->vcpu[a].held && overlaps(gpa, len, m->vcpu[a].vmsa_gpa, 4096);
	model_unlock(m);
	return held;
}

static void lock_check(struct svsm_model *m)
{
	if (m->check_lock && __atomic_load_n(&m->svsm.lock, __ATOMIC_RELAXED) != 0)
		count(&m->lock_held);
}

static void mark_dirty(struct svsm_model *m, uint64_t gpa, uint64_t len)
{
	for (uint64_t p = gpa / 4096; p <= (gpa + len - 1) / 4096; p++)
		__atomic_fetch_or(&m->dirty[p / 8], (uint8_t)(1u << (p % 8)), __ATOMIC_RELAXED);
}

/* ---- the ops ---- */

static __attribute__((noinline)) int svsm_model_op_read(void *ctx, uint64_t gpa, void *buf,
							 size_t len)
{
	struct svsm_model *m = ctx;

	count(&m->n_read);
	lock_check(m);
	if (overlaps(gpa, len, MODEL_HUSK_BASE, MODEL_HUSK_SIZE)) {
		count(&m->husk_touch);
		return HUSK_ERR_RANGE;
	}
	if (len > 4096 || !model_is_ram(gpa, len) || model_vmsa_held(m, gpa, len))
		return HUSK_ERR_RANGE;
	memcpy(buf, m->mem + gpa, len);
	return HUSK_OK;
}

static __attribute__((noinline)) int svsm_model_op_write(void *ctx, uint64_t gpa, const void *buf,
							  size_t len)
{
	struct svsm_model *m = ctx;

	count(&m->n_write);
	lock_check(m);
	if (overlaps(gpa, len, MODEL_HUSK_BASE, MODEL_HUSK_SIZE)) {
		count(&m->husk_touch);
		return HUSK_ERR_RANGE;
	}
	if (len > 4096 || !model_is_ram(gpa, len) || model_vmsa_held(m, gpa, len))
		return HUSK_ERR_RANGE;
	if (m->write_fail_gpa_set && overlaps(gpa, len, m->write_fail_gpa, 4096))
		return HUSK_ERR_IO;
	memcpy(m->mem + gpa, buf, len);
	mark_dirty(m, gpa, len);
	return HUSK_OK;
}

static __attribute__((noinline)) int svsm_model_op_zero(void *ctx, uint64_t gpa, uint64_t len)
{
	struct svsm_model *m = ctx;

	count(&m->n_zero);
	lock_check(m);
	if (overlaps(gpa, len, MODEL_HUSK_BASE, MODEL_HUSK_SIZE)) {
		count(&m->husk_touch);
		return HUSK_ERR_RANGE;
	}
	if (model_vmsa_held(m, gpa, len)) {
		count(&m->vmsa_touch);
		return HUSK_ERR_RANGE;
	}
	if ((gpa & 4095) || (len & 4095) || len == 0 || len > (2u << 20))
		return HUSK_ERR_ALIGN;
	if (!model_is_ram(gpa, len))
		return HUSK_ERR_RANGE;
	if (m->zero_fail)
		return HUSK_ERR_IO;
	if (m->check_zero) {
		if (gpa != m->zero_due_gpa || len != m->zero_due_len)
			count(&m->bad_zero);
		m->zero_due_len = 0;
	}
	m->last_zero_gpa = gpa;
	m->last_zero_len = len;
	memset(m->mem + gpa, 0, len);
	mark_dirty(m, gpa, len);
	return HUSK_OK;
}

static __attribute__((noinline)) bool svsm_model_op_guest_ram(void *ctx, uint64_t gpa, uint64_t len)
{
	struct svsm_model *m = ctx;

	count(&m->n_guest_ram);
	lock_check(m);
	return model_is_ram(gpa, len);
}

static __attribute__((noinline)) uint32_t svsm_model_op_pvalidate(void *ctx, uint64_t gpa,
								   bool huge, bool validate,
								   bool *unchanged)
{
	struct svsm_model *m = ctx;
	uint64_t len = huge ? (2u << 20) : 4096;

	count(&m->n_pvalidate);
	lock_check(m);
	if (m->pvalidate_hook)
		m->pvalidate_hook(m, gpa);
	*unchanged = false;
	if (overlaps(gpa, len, MODEL_HUSK_BASE, MODEL_HUSK_SIZE)) {
		count(&m->husk_touch);
		return SNP_PVALIDATE_FAIL_INPUT;
	}
	if (model_vmsa_held(m, gpa, len))
		count(&m->vmsa_touch);
	if (m->pvalidate_force)
		return m->pvalidate_force;

	uint32_t rc = svsm_rmp_pvalidate(&m->rmp, gpa, huge, validate, unchanged);

	if (rc == SNP_PVALIDATE_OK && !*unchanged && m->check_zero) {
		if (validate) {
			if (m->zero_due_len != 0)
				count(&m->bad_zero); /* the previous page was never zeroed */
			m->zero_due_gpa = gpa;
			m->zero_due_len = len;
		} else if (m->zero_due_len != 0 && m->zero_due_gpa == gpa) {
			m->zero_due_len = 0; /* undone */
		}
	}
	return rc;
}

static __attribute__((noinline)) uint32_t svsm_model_op_vcpu_start(void *ctx, uint32_t apic_id,
								    const uint8_t *vmsa,
								    uint64_t vmsa_gpa,
								    uint64_t ca_gpa)
{
	struct svsm_model *m = ctx;

	count(&m->n_start);
	lock_check(m);
	if (m->start_hook)
		m->start_hook(m, apic_id);
	if (overlaps(vmsa_gpa, 4096, MODEL_HUSK_BASE, MODEL_HUSK_SIZE) ||
	    overlaps(ca_gpa, 4096, MODEL_HUSK_BASE, MODEL_HUSK_SIZE))
		count(&m->husk_touch);
	if (m->start_result)
		return m->start_result;
	model_lock(m);
	if (apic_id >= MODEL_MAX_APIC || m->vcpu[apic_id].held) {
		model_unlock(m);
		return SVSM_ERR_BUSY;
	}
	m->vcpu[apic_id].held = true;
	__atomic_fetch_add(&m->n_held, 1, __ATOMIC_RELEASE);
	m->vcpu[apic_id].vmsa_gpa = vmsa_gpa;
	m->vcpu[apic_id].ca_gpa = ca_gpa;
	memcpy(m->last_vmsa, vmsa, sizeof(m->last_vmsa));
	model_unlock(m);
	return SVSM_SUCCESS;
}

/* Takes the vCPU off the platform and writes its "final state" into its
 * VMSA page; false if it was not running. */
static bool model_release(struct svsm_model *m, uint32_t apic_id)
{
	uint64_t vmsa_gpa = 0;
	bool held = false;

	if (apic_id >= MODEL_MAX_APIC)
		return false;
	model_lock(m);
	if (m->vcpu[apic_id].held) {
		held = true;
		vmsa_gpa = m->vcpu[apic_id].vmsa_gpa;
		m->vcpu[apic_id].held = false;
		__atomic_fetch_sub(&m->n_held, 1, __ATOMIC_RELEASE);
	}
	model_unlock(m);
	if (held)
		svsm_model_poke64(m, vmsa_gpa + VMSA_RIP, MODEL_STOPPED_RIP);
	return held;
}

static __attribute__((noinline)) uint32_t svsm_model_op_vcpu_stop(void *ctx, uint32_t apic_id,
								   uint64_t vmsa_gpa)
{
	struct svsm_model *m = ctx;

	count(&m->n_stop);
	lock_check(m);
	if (m->stop_hook)
		m->stop_hook(m, apic_id);
	if (m->stop_result)
		return m->stop_result;
	if (apic_id < MODEL_MAX_APIC) {
		model_lock(m);
		bool wrong = m->vcpu[apic_id].held && m->vcpu[apic_id].vmsa_gpa != vmsa_gpa;

		model_unlock(m);
		if (wrong)
			return SVSM_ERR_INVALID_PARAMETER;
	}
	(void)model_release(m, apic_id); /* not running any more: stopped already */
	return SVSM_SUCCESS;
}

static __attribute__((noinline)) int svsm_model_op_vtpm_send(void *ctx, const uint8_t *cmd,
							      size_t len, uint8_t locality,
							      uint8_t *rsp, size_t cap,
							      size_t *rsp_len)
{
	struct svsm_model *m = ctx;

	count(&m->n_vtpm);
	lock_check(m);
	if (len > sizeof(m->last_cmd))
		return HUSK_ERR_RANGE;
	memcpy(m->last_cmd, cmd, len);
	m->last_cmd_len = len;
	m->last_locality = locality;
	if (m->vtpm_err)
		return m->vtpm_err;
	size_t n = m->vtpm_rsp_len ? m->vtpm_rsp_len : len;

	/* A response longer than cap is reported, not written (as an engine
	 * would say how much it needed). */
	if (n <= cap) {
		for (size_t i = 0; i < n; i++)
			rsp[i] = m->vtpm_rsp_len ? (uint8_t)(i * 7 + 1) : cmd[i];
	}
	*rsp_len = n;
	return HUSK_OK;
}

static __attribute__((noinline)) int svsm_model_op_vtpm_ek_public(void *ctx, uint8_t *buf,
								   size_t cap, size_t *len)
{
	struct svsm_model *m = ctx;
	size_t n = m->ek_len ? m->ek_len : MODEL_EK_LEN;

	lock_check(m);
	if (m->ek_err)
		return m->ek_err;
	if (n > cap)
		return HUSK_ERR_RANGE;
	for (size_t i = 0; i < n; i++)
		buf[i] = (uint8_t)(i * 5 + 3);
	*len = n;
	return HUSK_OK;
}

static __attribute__((noinline)) uint32_t
svsm_model_op_attest_report(void *ctx, const uint8_t report_data[64], uint8_t *report,
			    uint64_t certs_gpa, uint32_t certs_cap, uint32_t *certs_len)
{
	struct svsm_model *m = ctx;
	uint8_t chunk[4096];

	count(&m->n_attest);
	lock_check(m);
	memcpy(m->last_report_data, report_data, 64);
	if (m->attest_result)
		return m->attest_result;
	*certs_len = 0;
	if (certs_cap && m->certs_len) {
		*certs_len = m->certs_len;
		if (certs_cap < m->certs_len)
			return SVSM_ERR_INVALID_PARAMETER;
		for (uint32_t done = 0; done < m->certs_len;) {
			uint32_t n = m->certs_len - done < 4096 ? m->certs_len - done : 4096;

			for (uint32_t i = 0; i < n; i++)
				chunk[i] = (uint8_t)((done + i) * 3 + 1);
			if (svsm_model_op_write(m, certs_gpa + done, chunk, n) != 0)
				return SVSM_ERR_INVALID_ADDRESS;
			done += n;
		}
	}
	memset(report, MODEL_REPORT_FILL, SVSM_ATTEST_REPORT_BYTES);
	memset(report, 0, 4);
	report[0] = 2;
	report[0x30] = 0;
	memcpy(report + 0x50, report_data, 64);
	return SVSM_SUCCESS;
}

/* ---- set-up ---- */

static void *model_calloc(void *ctx, size_t n, size_t size)
{
	struct svsm_model *m = ctx;

	return m->alloc_fail ? NULL : calloc(n, size);
}

static void model_free(void *ctx, void *p)
{
	free(p);
}

void svsm_model_vmsa(uint8_t vmsa[4096])
{
	static const struct vmsa_segment code = { 0x08, 0x29b, 0xffffffff, 0 };
	static const struct vmsa_segment data = { 0x10, 0x093, 0xffffffff, 0 };

	memset(vmsa, 0, 4096);
	for (unsigned off = VMSA_ES; off <= VMSA_GS; off += 16)
		memcpy(vmsa + off, off == VMSA_CS ? &code : &data, sizeof(code));
	vmsa[VMSA_VMPL] = 1;
	uint64_t efer = VMSA_EFER_SVME | VMSA_EFER_LME | VMSA_EFER_LMA | VMSA_EFER_NXE;
	uint64_t cr0 = VMSA_CR0_PE | VMSA_CR0_ET | VMSA_CR0_NE | VMSA_CR0_PG;
	uint64_t cr4 = VMSA_CR4_PAE | (1u << 7);
	uint64_t cr3 = 0x100000, rip = 0x100000, rflags = 2, dr7 = 0x400, dr6 = 0xffff0ff0;
	uint64_t pat = 0x0007040600070406ull, xcr0 = 1, sev = MODEL_SEV_FEATURES;

	memcpy(vmsa + VMSA_EFER, &efer, 8);
	memcpy(vmsa + VMSA_CR0, &cr0, 8);
	memcpy(vmsa + VMSA_CR3, &cr3, 8);
	memcpy(vmsa + VMSA_CR4, &cr4, 8);
	memcpy(vmsa + VMSA_DR6, &dr6, 8);
	memcpy(vmsa + VMSA_DR7, &dr7, 8);
	memcpy(vmsa + VMSA_RIP, &rip, 8);
	memcpy(vmsa + VMSA_RFLAGS, &rflags, 8);
	memcpy(vmsa + VMSA_G_PAT, &pat, 8);
	memcpy(vmsa + VMSA_XCR0, &xcr0, 8);
	memcpy(vmsa + VMSA_SEV_FEATURES, &sev, 8);
}

static int model_setup(struct svsm_model *m, bool vtpm)
{
	struct svsm_rmp_alloc a = { model_calloc, model_free, m };
	int err;

	m->ops = (struct svsm_platform_ops){
		.read = svsm_model_op_read,
		.write = svsm_model_op_write,
		.zero = svsm_model_op_zero,
		.guest_ram = svsm_model_op_guest_ram,
		.pvalidate = svsm_model_op_pvalidate,
		.vcpu_start = svsm_model_op_vcpu_start,
		.vcpu_stop = svsm_model_op_vcpu_stop,
		.vtpm_send = vtpm ? svsm_model_op_vtpm_send : NULL,
		.vtpm_ek_public = vtpm ? svsm_model_op_vtpm_ek_public : NULL,
		.attest_report = svsm_model_op_attest_report,
		.ctx = m,
	};
	m->cfg = (struct svsm_config){
		.vcpu_count = MODEL_VCPUS,
		.boot_apic_id = 0,
		.boot_ca_gpa = MODEL_BOOT_CA,
		.sev_features = MODEL_SEV_FEATURES,
		.guest_vmpl = 1,
	};
	memcpy(m->cfg.apic_ids, model_apic_ids, sizeof(model_apic_ids));
	/* Nothing validated, not even the boot CA (lib/svsm does not care),
	 * so that the RMP model's one bitmap block for these 16 MiB is still
	 * to be allocated (and may fail). */
	err = svsm_rmp_init(&m->rmp, &a, MODEL_MEM_SIZE);
	if (err)
		return err;
	err = svsm_init(&m->svsm, &m->ops, &m->cfg);
	if (err)
		return err;
	m->check_lock = true;
	m->check_zero = true;
	return HUSK_OK;
}

struct svsm_model *svsm_model_new(bool vtpm)
{
	struct svsm_model *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->mem = calloc(1, MODEL_MEM_SIZE);
	if (!m->mem) {
		free(m);
		return NULL;
	}
	memset(m->mem + MODEL_HUSK_BASE, MODEL_HUSK_FILL, MODEL_HUSK_SIZE);
	if (model_setup(m, vtpm) != HUSK_OK) {
		svsm_model_free(m);
		return NULL;
	}
	return m;
}

void svsm_model_free(struct svsm_model *m)
{
	if (!m)
		return;
	svsm_rmp_destroy(&m->rmp);
	free(m->mem);
	free(m);
}

int svsm_model_reset(struct svsm_model *m, bool vtpm)
{
	uint8_t *mem = m->mem;

	for (uint64_t p = 0; p < MODEL_PAGES; p++) {
		uint64_t gpa = p * 4096;

		/* Husk's region is never written (a poke that reached into it
		 * marked its pages but skipped them). */
		if ((m->dirty[p / 8] & (1u << (p % 8))) &&
		    (gpa < MODEL_HUSK_BASE || gpa >= MODEL_HUSK_BASE + MODEL_HUSK_SIZE))
			memset(mem + gpa, 0, 4096);
	}
	svsm_rmp_destroy(&m->rmp);
	memset(m, 0, sizeof(*m));
	m->mem = mem;
	return model_setup(m, vtpm);
}

/* ---- the guest's side ---- */

void svsm_model_poke(struct svsm_model *m, uint64_t gpa, const void *p, size_t len)
{
	if (len == 0 || gpa >= MODEL_MEM_SIZE || len > MODEL_MEM_SIZE - gpa)
		return;
	/* The guest cannot write husk's region; skip what falls into it. */
	for (size_t i = 0; i < len; i++) {
		uint64_t a = gpa + i;

		if (a < MODEL_HUSK_BASE || a >= MODEL_HUSK_BASE + MODEL_HUSK_SIZE)
			m->mem[a] = ((const uint8_t *)p)[i];
	}
	mark_dirty(m, gpa, len);
}

void svsm_model_peek(const struct svsm_model *m, uint64_t gpa, void *p, size_t len)
{
	if (gpa >= MODEL_MEM_SIZE || len > MODEL_MEM_SIZE - gpa) {
		memset(p, 0xff, len);
		return;
	}
	memcpy(p, m->mem + gpa, len);
}

void svsm_model_poke64(struct svsm_model *m, uint64_t gpa, uint64_t v)
{
	svsm_model_poke(m, gpa, &v, 8);
}

uint64_t svsm_model_peek64(const struct svsm_model *m, uint64_t gpa)
{
	uint64_t v;

	svsm_model_peek(m, gpa, &v, 8);
	return v;
}

bool svsm_model_husk_intact(const struct svsm_model *m)
{
	static uint8_t fill[4096];

	if (fill[0] != MODEL_HUSK_FILL)
		memset(fill, MODEL_HUSK_FILL, sizeof(fill));
	for (uint64_t off = 0; off < MODEL_HUSK_SIZE; off += sizeof(fill)) {
		if (memcmp(m->mem + MODEL_HUSK_BASE + off, fill, sizeof(fill)) != 0)
			return false;
	}
	return true;
}

void svsm_model_crash(struct svsm_model *m, uint32_t apic_id)
{
	(void)model_release(m, apic_id);
	svsm_vcpu_stopped(&m->svsm, apic_id);
}

enum svsm_outcome svsm_model_call_pending(struct svsm_model *m, uint32_t apic_id, uint8_t pending,
					  struct svsm_regs *regs)
{
	const struct svsm_vcpu *v = svsm_vcpu(&m->svsm, apic_id);
	enum svsm_outcome o;

	if (v && __atomic_load_n(&v->state, __ATOMIC_ACQUIRE) != SVSM_VCPU_ABSENT)
		svsm_model_poke(m, __atomic_load_n(&v->ca_gpa, __ATOMIC_ACQUIRE), &pending, 1);
	o = svsm_call(&m->svsm, apic_id, regs);
	if (o == SVSM_STOP_SELF)
		svsm_model_crash(m, apic_id); /* the platform's part of a self-delete */
	if (m->check_zero && m->zero_due_len != 0 && svsm_rmp_validated(&m->rmp, m->zero_due_gpa))
		count(&m->bad_zero); /* validated and left as the host wrote it */
	return o;
}

enum svsm_outcome svsm_model_call(struct svsm_model *m, uint32_t apic_id, uint64_t rax,
				  uint64_t rcx, uint64_t rdx, uint64_t r8, uint64_t r9,
				  struct svsm_regs *out)
{
	struct svsm_regs r = { rax, rcx, rdx, r8, r9 };
	enum svsm_outcome o = svsm_model_call_pending(m, apic_id, 1, &r);

	if (out)
		*out = r;
	return o;
}

uint32_t svsm_model_rc(struct svsm_model *m, uint32_t apic_id, uint64_t rax, uint64_t rcx,
		       uint64_t rdx, uint64_t r8)
{
	struct svsm_regs r;

	if (svsm_model_call(m, apic_id, rax, rcx, rdx, r8, 0, &r) != SVSM_RESUME)
		return 0xdeadbeefu;
	return (uint32_t)r.rax;
}

uint32_t svsm_model_create(struct svsm_model *m, uint32_t caller, uint32_t apic_id,
			   uint64_t vmsa_gpa, uint64_t ca_gpa)
{
	uint8_t vmsa[4096];

	svsm_model_vmsa(vmsa);
	svsm_model_poke(m, vmsa_gpa, vmsa, sizeof(vmsa));
	return svsm_model_rc(m, caller, SVSM_CALL(SVSM_PROTOCOL_CORE, SVSM_CORE_CREATE_VCPU),
			     vmsa_gpa, ca_gpa, apic_id);
}

/* ---- the registry against the platform ---- */

static bool model_page_ok(uint64_t gpa)
{
	return (gpa & 4095) == 0 && model_is_ram(gpa, 4096);
}

const char *svsm_model_check_registry(struct svsm_model *m, bool transient_ok)
{
	const struct svsm *s = &m->svsm;
	uint64_t pages[2 * HUSK_MAX_CPUS];
	unsigned np = 0;
	bool boot_seen = false;

	if (__atomic_load_n(&s->lock, __ATOMIC_ACQUIRE) != 0 && !transient_ok)
		return "registry lock left held";
	for (uint32_t i = 0; i < s->cfg.vcpu_count; i++) {
		const struct svsm_vcpu *v = &s->vcpus[i];
		uint32_t a = v->apic_id;
		bool held = a < MODEL_MAX_APIC && m->vcpu[a].held;

		if (v->apic_id != s->cfg.apic_ids[i])
			return "slot APIC ID changed";
		if (v->state > SVSM_VCPU_STOPPING)
			return "unknown vCPU state";
		if (!transient_ok &&
		    (v->state == SVSM_VCPU_STARTING || v->state == SVSM_VCPU_STOPPING))
			return "vCPU left in a transient state";
		if (v->state == SVSM_VCPU_ABSENT) {
			if (held)
				return "platform runs a vCPU the registry says is absent";
			continue;
		}
		if (v->boot) {
			if (boot_seen || a != s->cfg.boot_apic_id)
				return "boot flag on a vCPU other than the boot vCPU";
			boot_seen = true;
			if (held)
				return "platform holds a VMSA for the boot vCPU";
		} else {
			if (!model_page_ok(v->vmsa_gpa))
				return "VMSA not a guest RAM page";
			pages[np++] = v->vmsa_gpa;
			if (v->state == SVSM_VCPU_RUNNING &&
			    (!held || m->vcpu[a].vmsa_gpa != v->vmsa_gpa))
				return "running vCPU whose VMSA the platform does not hold";
		}
		if (!model_page_ok(v->ca_gpa))
			return "CA not a guest RAM page";
		pages[np++] = v->ca_gpa;
	}
	for (unsigned i = 0; i < np; i++) {
		for (unsigned j = 0; j < i; j++) {
			if (pages[i] == pages[j])
				return "two CA/VMSA pages coincide";
		}
	}
	return NULL;
}

const char *svsm_model_check(struct svsm_model *m, bool full)
{
	const char *e;

	if (m->husk_touch)
		return "an op was asked to touch husk's region";
	if (m->vmsa_touch)
		return "an op was asked to zero or validate a VMSA page the platform holds";
	if (m->lock_held)
		return "an op ran with the registry lock held";
	if (m->bad_zero)
		return "a zero of a page that did not just become validated, "
		       "or a validated page not zeroed";
	e = svsm_model_check_registry(m, false);
	if (e)
		return e;
	if (!svsm_rmp_check(&m->rmp))
		return "RMP model inconsistent";
	if (full && !svsm_model_husk_intact(m))
		return "husk's region changed";
	return NULL;
}
