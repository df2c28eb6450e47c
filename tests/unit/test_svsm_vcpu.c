/* Unit tests for lib/svsm's vCPU calls: every row of CREATE_VCPU and
 * DELETE_VCPU in docs/svsm.md, each rule of svsm_vmsa_check, the platform's
 * svsm_vcpu_stopped, races between vCPUs (pthreads: one thread per guest
 * vCPU, as the kernel runs svsm_call on several CPUs), and the rule that no
 * op runs with the registry lock held. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "svsm/svsm.h"
#include "svsm_fixture.h"

#define CORE(c) SVSM_CALL(SVSM_PROTOCOL_CORE, c)
#define CREATE  CORE(SVSM_CORE_CREATE_VCPU)
#define DELETE  CORE(SVSM_CORE_DELETE_VCPU)
#define QUERY   CORE(SVSM_CORE_QUERY_PROTOCOL)

static uint8_t good[4096];

static int setup_vcpu(void **state)
{
	svsm_model_vmsa(good);
	return setup(state);
}

static uint32_t create_raw(uint32_t caller, uint64_t vmsa, uint64_t ca, uint64_t r8)
{
	return svsm_model_rc(m, caller, CREATE, vmsa, ca, r8);
}

static uint32_t del(uint32_t caller, uint64_t vmsa)
{
	return svsm_model_rc(m, caller, DELETE, vmsa, 0, 0);
}

static uint32_t state_of(uint32_t apic_id)
{
	return svsm_vcpu(&m->svsm, apic_id)->state;
}

static void set64(uint8_t *v, unsigned off, uint64_t x)
{
	memcpy(v + off, &x, 8);
}

static uint64_t get64(const uint8_t *v, unsigned off)
{
	uint64_t x;

	memcpy(&x, v + off, 8);
	return x;
}

/* ---- CREATE_VCPU, row by row ---- */

static void test_create_unaligned(void **state)
{
	svsm_model_poke(m, 0x20000, good, sizeof(good));
	assert_int_equal(create_raw(0, 0x20008, 0x21000, 1), SVSM_ERR_INVALID_PARAMETER);
	assert_int_equal(create_raw(0, 0x20000, 0x21800, 1), SVSM_ERR_INVALID_PARAMETER);
	assert_int_equal(create_raw(0, MODEL_HUSK_BASE + 1, 0x21000, 1),
			 SVSM_ERR_INVALID_PARAMETER);
	assert_int_equal(create_raw(0, 0x20000, 0x21000, 5 /* not the guest's */ | 0),
			 SVSM_ERR_INVALID_PARAMETER);
	assert_int_equal(m->n_start, 0);
}

static void test_create_not_ram(void **state)
{
	static const uint64_t bad[] = { MODEL_HUSK_BASE, MODEL_HOLE_BASE, MODEL_MEM_SIZE,
					0xfffffffffffff000ull };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(create_raw(0, bad[i], 0x21000, 1), SVSM_ERR_INVALID_ADDRESS);
		assert_int_equal(create_raw(0, 0x20000, bad[i], 1), SVSM_ERR_INVALID_ADDRESS);
		/* Address rows come before the APIC ID rows. */
		assert_int_equal(create_raw(0, bad[i], 0x21000, 5), SVSM_ERR_INVALID_ADDRESS);
	}
	svsm_model_poke(m, 0x20000, good, sizeof(good));
	assert_int_equal(create_raw(0, 0x20000, 0x20000, 1), SVSM_ERR_INVALID_ADDRESS);
	assert_int_equal(m->n_start, 0);
	assert_int_equal(state_of(1), SVSM_VCPU_ABSENT);
}

static void test_create_pages_in_use(void **state)
{
	assert_int_equal(svsm_model_create(m, 0, 1, 0x20000, 0x21000), SVSM_SUCCESS);
	svsm_model_poke(m, 0x30000, good, sizeof(good));
	/* Boot CA, another CA, a VMSA husk holds, as either page. */
	assert_int_equal(create_raw(0, MODEL_BOOT_CA, 0x31000, 2), SVSM_ERR_INVALID_ADDRESS);
	assert_int_equal(create_raw(0, 0x30000, MODEL_BOOT_CA, 2), SVSM_ERR_INVALID_ADDRESS);
	assert_int_equal(create_raw(0, 0x21000, 0x31000, 2), SVSM_ERR_INVALID_ADDRESS);
	assert_int_equal(create_raw(0, 0x30000, 0x21000, 2), SVSM_ERR_INVALID_ADDRESS);
	assert_int_equal(create_raw(0, 0x20000, 0x31000, 2), SVSM_ERR_INVALID_ADDRESS);
	assert_int_equal(create_raw(0, 0x30000, 0x20000, 2), SVSM_ERR_INVALID_ADDRESS);
	/* Before the APIC ID rows: in use and an unknown or running APIC ID. */
	assert_int_equal(create_raw(0, 0x20000, 0x31000, 5), SVSM_ERR_INVALID_ADDRESS);
	assert_int_equal(create_raw(0, 0x20000, 0x31000, 1), SVSM_ERR_INVALID_ADDRESS);
	assert_int_equal(m->n_start, 1);
	assert_int_equal(state_of(2), SVSM_VCPU_ABSENT);
}

static void test_create_apic_id(void **state)
{
	svsm_model_poke(m, 0x20000, good, sizeof(good));
	assert_int_equal(create_raw(0, 0x20000, 0x21000, 5), SVSM_ERR_INVALID_PARAMETER);
	assert_int_equal(create_raw(0, 0x20000, 0x21000, 0xffffffffull), SVSM_ERR_INVALID_PARAMETER);
	assert_int_equal(create_raw(0, 0x20000, 0x21000, 255), SVSM_ERR_INVALID_PARAMETER);
	/* Already running, the caller included. */
	assert_int_equal(create_raw(0, 0x20000, 0x21000, 0), SVSM_ERR_INVALID_PARAMETER);
	assert_int_equal(create_raw(0, 0x20000, 0x21000, 1), SVSM_SUCCESS);
	svsm_model_poke(m, 0x30000, good, sizeof(good));
	assert_int_equal(create_raw(0, 0x30000, 0x31000, 1), SVSM_ERR_INVALID_PARAMETER);
	assert_int_equal(create_raw(1, 0x30000, 0x31000, 1), SVSM_ERR_INVALID_PARAMETER);
	/* R8 bits 63:32 are not part of the APIC ID. */
	assert_int_equal(create_raw(1, 0x30000, 0x31000, 0xdead00000000ull | 200), SVSM_SUCCESS);
	assert_int_equal(state_of(200), SVSM_VCPU_RUNNING);
	assert_int_equal(m->n_start, 2);
}

/* A VMSA refused by the checks: INVALID_PARAMETER, nothing started, APIC ID
 * and pages free again. */
static void expect_refused(const uint8_t *vmsa)
{
	uint32_t starts = m->n_start;

	svsm_model_poke(m, 0x20000, vmsa, 4096);
	assert_int_equal(create_raw(0, 0x20000, 0x21000, 1), SVSM_ERR_INVALID_PARAMETER);
	assert_int_equal(m->n_start, starts);
	assert_int_equal(state_of(1), SVSM_VCPU_ABSENT);
}

static void test_create_vmsa_checked(void **state)
{
	uint8_t v[4096];

	memcpy(v, good, sizeof(v));
	v[VMSA_VMPL] = 0;
	expect_refused(v);
	v[VMSA_VMPL] = 2;
	expect_refused(v);
	v[VMSA_VMPL] = 3;
	expect_refused(v);
	memcpy(v, good, sizeof(v));
	set64(v, VMSA_EFER, get64(good, VMSA_EFER) & ~VMSA_EFER_SVME);
	expect_refused(v);
	memcpy(v, good, sizeof(v));
	set64(v, VMSA_SEV_FEATURES, MODEL_SEV_FEATURES | 1u << 5);
	expect_refused(v);
	set64(v, VMSA_SEV_FEATURES, 0);
	expect_refused(v);
	memcpy(v, good, sizeof(v));
	set64(v, VMSA_CR0, get64(good, VMSA_CR0) | VMSA_CR0_NW);
	expect_refused(v);
	memcpy(v, good, sizeof(v));
	set64(v, VMSA_CR4, 0);
	expect_refused(v); /* long mode without PAE */
	memcpy(v, good, sizeof(v));
	v[VMSA_CS + 3] |= VMSA_SEG_ATTR_DB >> 8;
	expect_refused(v); /* CS.L and CS.D */

	/* Then a good one on the same pages and APIC ID. */
	svsm_model_poke(m, 0x20000, good, sizeof(good));
	assert_int_equal(create_raw(0, 0x20000, 0x21000, 1), SVSM_SUCCESS);
}

static void test_create_success(void **state)
{
	struct svsm_regs r;

	assert_int_equal(svsm_model_create(m, 0, 9, 0x20000, 0x21000), SVSM_SUCCESS);
	const struct svsm_vcpu *v = svsm_vcpu(&m->svsm, 9);

	assert_int_equal(v->state, SVSM_VCPU_RUNNING);
	assert_int_equal(v->vmsa_gpa, 0x20000);
	assert_int_equal(v->ca_gpa, 0x21000);
	assert_false(v->boot);
	assert_true(m->vcpu[9].held);
	assert_int_equal(m->vcpu[9].vmsa_gpa, 0x20000);
	assert_int_equal(m->vcpu[9].ca_gpa, 0x21000);
	assert_memory_equal(m->last_vmsa, good, sizeof(good));
	/* The new vCPU calls with its own CA. */
	assert_int_equal(svsm_model_call(m, 9, QUERY, 1ull << 32 | 0 /* core v0 */, 0, 0, 0, &r),
			 SVSM_RESUME);
	assert_int_equal(r.rax, SVSM_SUCCESS);
	assert_int_equal(r.rcx, 0);
	/* The new vCPU creates another. */
	assert_int_equal(svsm_model_create(m, 9, 6, 0x22000, 0x23000), SVSM_SUCCESS);
}

/* The VMSA is copied once: the guest changing the page while husk starts
 * the vCPU changes nothing the platform gets. */
static void scribble_vmsa(struct svsm_model *mm, uint32_t apic_id)
{
	svsm_model_poke64(mm, 0x20000 + VMSA_EFER, 0);
	svsm_model_poke64(mm, 0x20000 + VMSA_RIP, 0xbad);
}

static void test_create_vmsa_read_once(void **state)
{
	uint32_t reads;

	svsm_model_poke(m, 0x20000, good, sizeof(good));
	m->start_hook = scribble_vmsa;
	reads = m->n_read;
	assert_int_equal(create_raw(0, 0x20000, 0x21000, 1), SVSM_SUCCESS);
	m->start_hook = NULL;
	assert_int_equal(m->n_read, reads + 2); /* call_pending, the VMSA */
	assert_memory_equal(m->last_vmsa, good, sizeof(good));
}

static void test_create_start_fails(void **state)
{
	m->start_result = SVSM_ERR_BUSY;
	assert_int_equal(svsm_model_create(m, 0, 1, 0x20000, 0x21000), SVSM_ERR_BUSY);
	assert_int_equal(state_of(1), SVSM_VCPU_ABSENT);
	m->start_result = 0;
	/* Nothing kept: same pages, same APIC ID. */
	assert_int_equal(svsm_model_create(m, 0, 1, 0x20000, 0x21000), SVSM_SUCCESS);
}

/* ---- DELETE_VCPU, row by row ---- */

static void test_delete_bad(void **state)
{
	assert_int_equal(svsm_model_create(m, 0, 1, 0x20000, 0x21000), SVSM_SUCCESS);
	assert_int_equal(del(0, 0x20008), SVSM_ERR_INVALID_PARAMETER);
	assert_int_equal(del(0, 0x20800), SVSM_ERR_INVALID_PARAMETER);
	assert_int_equal(del(0, 0x21000), SVSM_ERR_INVALID_PARAMETER); /* a CA */
	assert_int_equal(del(0, 0x30000), SVSM_ERR_INVALID_PARAMETER);
	assert_int_equal(del(0, MODEL_HUSK_BASE), SVSM_ERR_INVALID_PARAMETER);
	assert_int_equal(del(0, 0), SVSM_ERR_INVALID_PARAMETER); /* the boot vCPU's "VMSA" */
	assert_int_equal(del(1, 0), SVSM_ERR_INVALID_PARAMETER);
	assert_int_equal(del(1, MODEL_BOOT_CA), SVSM_ERR_INVALID_PARAMETER);
	assert_int_equal(m->n_stop, 0);
	assert_int_equal(state_of(0), SVSM_VCPU_RUNNING);
	assert_int_equal(state_of(1), SVSM_VCPU_RUNNING);
}

static void test_delete_other(void **state)
{
	assert_int_equal(svsm_model_create(m, 0, 1, 0x20000, 0x21000), SVSM_SUCCESS);
	assert_int_equal(del(0, 0x20000), SVSM_SUCCESS);
	assert_int_equal(state_of(1), SVSM_VCPU_ABSENT);
	assert_false(m->vcpu[1].held);
	/* Its final state is in the page, which is the guest's again. */
	assert_int_equal(svsm_model_peek64(m, 0x20000 + VMSA_RIP), MODEL_STOPPED_RIP);
	assert_int_equal(del(0, 0x20000), SVSM_ERR_INVALID_PARAMETER);
	assert_int_equal(svsm_model_rc(m, 0, CORE(SVSM_CORE_REMAP_CA), 0x20000, 0, 0),
			 SVSM_SUCCESS);
	/* The APIC ID can be created again. */
	assert_int_equal(svsm_model_create(m, 0, 1, 0x30000, 0x21000), SVSM_SUCCESS);
}

static void test_delete_busy(void **state)
{
	assert_int_equal(svsm_model_create(m, 0, 1, 0x20000, 0x21000), SVSM_SUCCESS);
	m->stop_result = SVSM_ERR_BUSY;
	assert_int_equal(del(0, 0x20000), SVSM_ERR_BUSY);
	assert_int_equal(state_of(1), SVSM_VCPU_RUNNING);
	assert_true(m->vcpu[1].held);
	/* Nothing changed: the page is still husk's, the vCPU still calls. */
	assert_int_equal(svsm_model_rc(m, 0, CORE(SVSM_CORE_REMAP_CA), 0x20000, 0, 0),
			 SVSM_ERR_INVALID_ADDRESS);
	assert_int_equal(svsm_model_rc(m, 1, QUERY, 0, 0, 0), SVSM_SUCCESS);
	m->stop_result = 0;
	assert_int_equal(del(0, 0x20000), SVSM_SUCCESS);
}

static void test_delete_self(void **state)
{
	struct svsm_regs r;

	assert_int_equal(svsm_model_create(m, 0, 1, 0x20000, 0x21000), SVSM_SUCCESS);
	assert_int_equal(svsm_model_call(m, 1, DELETE, 0x20000, 7, 8, 9, &r), SVSM_STOP_SELF);
	/* No results: the call does not return to the guest. */
	assert_int_equal(r.rax, DELETE);
	assert_int_equal(r.rcx, 0x20000);
	assert_int_equal(m->n_stop, 0);
	/* The model did the platform's part (state written back, stopped). */
	assert_int_equal(state_of(1), SVSM_VCPU_ABSENT);
	assert_int_equal(svsm_model_peek64(m, 0x20000 + VMSA_RIP), MODEL_STOPPED_RIP);
	assert_int_equal(svsm_model_create(m, 0, 1, 0x20000, 0x21000), SVSM_SUCCESS);
}

static void test_delete_self_pending(void **state)
{
	struct svsm_regs r = { DELETE, 0x20000, 0, 0, 0 };

	/* Between SVSM_STOP_SELF and svsm_vcpu_stopped the vCPU is STOPPING:
	 * nobody deletes it again or takes its APIC ID or pages. */
	assert_int_equal(svsm_model_create(m, 0, 1, 0x20000, 0x21000), SVSM_SUCCESS);
	svsm_model_poke(m, 0x21000, (uint8_t[]){ 1 }, 1);
	assert_int_equal(svsm_call(&m->svsm, 1, &r), SVSM_STOP_SELF);
	assert_int_equal(state_of(1), SVSM_VCPU_STOPPING);
	assert_int_equal(del(0, 0x20000), SVSM_ERR_INVALID_PARAMETER);
	svsm_model_poke(m, 0x30000, good, sizeof(good));
	assert_int_equal(create_raw(0, 0x30000, 0x31000, 1), SVSM_ERR_INVALID_PARAMETER);
	assert_int_equal(create_raw(0, 0x20000, 0x31000, 2), SVSM_ERR_INVALID_ADDRESS);
	assert_int_equal(create_raw(0, 0x30000, 0x21000, 2), SVSM_ERR_INVALID_ADDRESS);
	svsm_model_crash(m, 1); /* the platform's part */
	assert_int_equal(state_of(1), SVSM_VCPU_ABSENT);
	assert_int_equal(create_raw(0, 0x30000, 0x31000, 1), SVSM_SUCCESS);
}

static void test_delete_vmsa_at_zero(void **state)
{
	/* A created vCPU may have its VMSA at GPA 0; the boot vCPU, whose
	 * vmsa_gpa is also 0, still cannot be deleted. */
	assert_int_equal(svsm_model_create(m, 0, 1, 0, 0x21000), SVSM_SUCCESS);
	assert_int_equal(del(0, 0), SVSM_SUCCESS);
	assert_int_equal(state_of(1), SVSM_VCPU_ABSENT);
	assert_int_equal(state_of(0), SVSM_VCPU_RUNNING);
	assert_int_equal(del(1 /* absent now */, 0), 0xdeadbeefu);
	assert_int_equal(del(0, 0), SVSM_ERR_INVALID_PARAMETER);
}

/* ---- the platform's svsm_vcpu_stopped ---- */

static void test_stopped(void **state)
{
	assert_int_equal(svsm_model_create(m, 0, 1, 0x20000, 0x21000), SVSM_SUCCESS);
	svsm_vcpu_stopped(&m->svsm, 5);   /* not the guest's: ignored */
	svsm_vcpu_stopped(&m->svsm, 200); /* absent: ignored */
	svsm_model_crash(m, 1);           /* triple fault */
	assert_int_equal(state_of(1), SVSM_VCPU_ABSENT);
	assert_int_equal(svsm_model_peek64(m, 0x20000 + VMSA_RIP), MODEL_STOPPED_RIP);
	/* Even the boot vCPU: then its CA is free and its APIC ID can be
	 * created from a VMSA (and deleted, being no longer the boot vCPU). */
	svsm_model_crash(m, 0);
	assert_int_equal(state_of(0), SVSM_VCPU_ABSENT);
	assert_int_equal(svsm_model_create(m, 2, 0, 0x30000, MODEL_BOOT_CA), 0xdeadbeefu);
	assert_int_equal(svsm_model_create(m, 1, 0, 0x30000, MODEL_BOOT_CA), 0xdeadbeefu);
	assert_int_equal(svsm_model_create(m, 0, 0, 0x30000, MODEL_BOOT_CA), 0xdeadbeefu);
	/* Nobody is left to call: bring one back the way the kernel never
	 * would, by a fresh svsm_init, to check a created APIC 0 deletes. */
	assert_int_equal(svsm_init(&m->svsm, &m->ops, &m->cfg), 0);
	assert_int_equal(svsm_model_create(m, 0, 1, 0x40000, 0x41000), SVSM_SUCCESS);
	svsm_model_crash(m, 0);
	assert_int_equal(svsm_model_create(m, 1, 0, 0x30000, MODEL_BOOT_CA), SVSM_SUCCESS);
	assert_false(svsm_vcpu(&m->svsm, 0)->boot);
	assert_int_equal(del(1, 0x30000), SVSM_SUCCESS);
}

/* ---- transient states and ops without the lock ---- */

static uint32_t hook_rc[4];

static void during_stop(struct svsm_model *mm, uint32_t apic_id)
{
	/* vCPU 1 is being deleted by vCPU 0. */
	assert_int_equal(svsm_vcpu(&mm->svsm, 1)->state, SVSM_VCPU_STOPPING);
	hook_rc[0] = svsm_model_rc(mm, 2, DELETE, 0x20000, 0, 0);
	hook_rc[1] = svsm_model_create(mm, 2, 1, 0x30000, 0x31000);
	hook_rc[2] = svsm_model_create(mm, 2, 3, 0x20000, 0x31000);
	hook_rc[3] = svsm_model_create(mm, 2, 3, 0x30000, 0x21000);
}

static void test_delete_in_progress(void **state)
{
	assert_int_equal(svsm_model_create(m, 0, 1, 0x20000, 0x21000), SVSM_SUCCESS);
	assert_int_equal(svsm_model_create(m, 0, 2, 0x22000, 0x23000), SVSM_SUCCESS);
	m->stop_hook = during_stop;
	assert_int_equal(del(0, 0x20000), SVSM_SUCCESS);
	m->stop_hook = NULL;
	assert_int_equal(hook_rc[0], SVSM_ERR_INVALID_PARAMETER);
	assert_int_equal(hook_rc[1], SVSM_ERR_INVALID_PARAMETER);
	assert_int_equal(hook_rc[2], SVSM_ERR_INVALID_ADDRESS);
	assert_int_equal(hook_rc[3], SVSM_ERR_INVALID_ADDRESS);
}

static void during_create(struct svsm_model *mm, uint32_t apic_id)
{
	if (apic_id != 3)
		return;
	assert_int_equal(svsm_vcpu(&mm->svsm, 3)->state, SVSM_VCPU_STARTING);
	hook_rc[0] = svsm_model_create(mm, 2, 3, 0x30000, 0x31000);
	hook_rc[1] = svsm_model_create(mm, 2, 4, 0x40000, 0x31000);
	hook_rc[2] = svsm_model_create(mm, 2, 4, 0x31000, 0x41000);
	hook_rc[3] = svsm_model_rc(mm, 2, DELETE, 0x40000, 0, 0);
}

static void test_create_in_progress(void **state)
{
	assert_int_equal(svsm_model_create(m, 0, 2, 0x22000, 0x23000), SVSM_SUCCESS);
	m->start_hook = during_create;
	assert_int_equal(svsm_model_create(m, 0, 3, 0x40000, 0x41000), SVSM_SUCCESS);
	m->start_hook = NULL;
	assert_int_equal(hook_rc[0], SVSM_ERR_INVALID_PARAMETER); /* APIC ID starting */
	assert_int_equal(hook_rc[1], SVSM_ERR_INVALID_ADDRESS);   /* its VMSA */
	assert_int_equal(hook_rc[2], SVSM_ERR_INVALID_ADDRESS);   /* its CA */
	assert_int_equal(hook_rc[3], SVSM_ERR_INVALID_PARAMETER); /* not running yet */
	assert_int_equal(state_of(3), SVSM_VCPU_RUNNING);
}

/* The vCPU stops on its own while another deletes it, and its APIC ID is
 * created again before the delete finishes: the late delete must leave the
 * new vCPU alone. */
static void crash_and_recreate(struct svsm_model *mm, uint32_t apic_id)
{
	mm->stop_hook = NULL;
	svsm_model_crash(mm, 1);
	hook_rc[0] = svsm_model_create(mm, 2, 1, 0x30000, 0x31000);
}

static void test_delete_races_stop_and_recreate(void **state)
{
	assert_int_equal(svsm_model_create(m, 0, 1, 0x20000, 0x21000), SVSM_SUCCESS);
	assert_int_equal(svsm_model_create(m, 0, 2, 0x22000, 0x23000), SVSM_SUCCESS);
	m->stop_hook = crash_and_recreate;
	m->stop_result = SVSM_ERR_BUSY;
	assert_int_equal(del(0, 0x20000), SVSM_SUCCESS); /* it is gone */
	m->stop_result = 0;
	assert_int_equal(hook_rc[0], SVSM_SUCCESS);
	assert_int_equal(state_of(1), SVSM_VCPU_RUNNING);
	assert_int_equal(svsm_vcpu(&m->svsm, 1)->vmsa_gpa, 0x30000);
	assert_int_equal(del(0, 0x30000), SVSM_SUCCESS);
}

static void crash_during_start(struct svsm_model *mm, uint32_t apic_id)
{
	svsm_vcpu_stopped(&mm->svsm, apic_id);
}

static void test_create_races_stop(void **state)
{
	m->start_hook = crash_during_start;
	assert_int_equal(svsm_model_create(m, 0, 1, 0x20000, 0x21000), SVSM_SUCCESS);
	m->start_hook = NULL;
	assert_int_equal(state_of(1), SVSM_VCPU_ABSENT); /* not revived */
	svsm_model_crash(m, 1); /* the model's own bookkeeping */
}

/* While vCPU 0's PVALIDATE works on a page, other vCPUs cannot make it a
 * VMSA or CA (the platform would then validate or zero a page it holds). */
static void take_page_during_pvalidate(struct svsm_model *mm, uint64_t gpa)
{
	mm->pvalidate_hook = NULL;
	hook_rc[0] = svsm_model_create(mm, 2, 3, gpa, 0x31000);
	hook_rc[1] = svsm_model_create(mm, 2, 3, 0x30000, gpa);
	hook_rc[2] = svsm_model_rc(mm, 2, CORE(SVSM_CORE_REMAP_CA), gpa, 0, 0);
	/* Another PVALIDATE of the same page is not refused. */
	uint64_t list[2] = { 1, gpa | SVSM_PVAL_VALIDATE | SVSM_PVAL_IGNORE_CF };

	mm->check_zero = false; /* two PVALIDATEs at once */
	svsm_model_poke(mm, 0x23800, list, sizeof(list));
	hook_rc[3] = svsm_model_rc(mm, 2, CORE(SVSM_CORE_PVALIDATE), 0x23800, 0, 0);
}

static void test_pvalidate_page_reserved(void **state)
{
	/* Bit 3: the PVALIDATE inside the hook validates the page first. */
	uint64_t list[2] = { 1, 0x50000 | SVSM_PVAL_VALIDATE | SVSM_PVAL_IGNORE_CF };

	assert_int_equal(svsm_model_create(m, 0, 2, 0x22000, 0x23000), SVSM_SUCCESS);
	svsm_model_poke(m, 0x3000, list, sizeof(list));
	m->pvalidate_hook = take_page_during_pvalidate;
	assert_int_equal(svsm_model_rc(m, 0, CORE(SVSM_CORE_PVALIDATE), 0x3000, 0, 0),
			 SVSM_SUCCESS);
	m->check_zero = true;
	m->zero_due_len = 0;
	assert_int_equal(hook_rc[0], SVSM_ERR_INVALID_ADDRESS);
	assert_int_equal(hook_rc[1], SVSM_ERR_INVALID_ADDRESS);
	assert_int_equal(hook_rc[2], SVSM_ERR_INVALID_ADDRESS);
	assert_int_equal(hook_rc[3], SVSM_SUCCESS);
	/* Released at the end of the call. */
	assert_int_equal(svsm_model_create(m, 2, 3, 0x50000, 0x31000), SVSM_SUCCESS);
	assert_int_equal(svsm_vcpu(&m->svsm, 0)->pval_len, 0);
}

/* ABA on another CPU: while vCPU 0's CREATE (or DELETE) of APIC ID 1 is
 * inside its op, the vCPU stops on its own and another CPU starts a new
 * CREATE (or DELETE) of APIC ID 1 that is still in its op when vCPU 0's
 * finishes.  vCPU 0's call must leave the other's transient state alone. */
static pthread_t main_thread;
static sem_t other_in_op, other_go;

struct other_arg {
	uint32_t rc;
	bool delete;
};

static void *other_cpu(void *p)
{
	struct other_arg *a = p;

	if (a->delete)
		a->rc = svsm_model_rc(m, 2, DELETE, 0x30000, 0, 0);
	else
		a->rc = svsm_model_create(m, 2, 1, 0x30000, 0x31000);
	return NULL;
}

static void hold_other_cpu(void)
{
	sem_post(&other_in_op);
	sem_wait(&other_go);
}

static pthread_t other;
static struct other_arg other_arg;

static void aba_start_hook(struct svsm_model *mm, uint32_t apic_id)
{
	if (!pthread_equal(pthread_self(), main_thread)) {
		hold_other_cpu();
		return;
	}
	svsm_vcpu_stopped(&mm->svsm, 1);
	other_arg = (struct other_arg){ 0, false };
	assert_int_equal(pthread_create(&other, NULL, other_cpu, &other_arg), 0);
	sem_wait(&other_in_op);
}

static void test_create_aba(void **state)
{
	m->check_lock = false;
	assert_int_equal(svsm_model_create(m, 0, 2, 0x22000, 0x23000), SVSM_SUCCESS);
	main_thread = pthread_self();
	sem_init(&other_in_op, 0, 0);
	sem_init(&other_go, 0, 0);
	m->start_hook = aba_start_hook;
	assert_int_equal(svsm_model_create(m, 0, 1, 0x20000, 0x21000), SVSM_SUCCESS);
	/* The other CREATE is still starting its vCPU: untouched. */
	assert_int_equal(state_of(1), SVSM_VCPU_STARTING);
	assert_int_equal(svsm_vcpu(&m->svsm, 1)->vmsa_gpa, 0x30000);
	sem_post(&other_go);
	assert_int_equal(pthread_join(other, NULL), 0);
	m->start_hook = NULL;
	/* The platform had the APIC ID running already (vCPU 0's): BUSY. */
	assert_int_equal(other_arg.rc, SVSM_ERR_BUSY);
	assert_int_equal(state_of(1), SVSM_VCPU_ABSENT);
	svsm_model_crash(m, 1);
	sem_destroy(&other_in_op);
	sem_destroy(&other_go);
	m->check_lock = true;
}

static void aba_stop_hook(struct svsm_model *mm, uint32_t apic_id)
{
	if (!pthread_equal(pthread_self(), main_thread)) {
		hold_other_cpu();
		return;
	}
	svsm_model_crash(mm, 1);
	assert_int_equal(svsm_model_create(mm, 2, 1, 0x30000, 0x31000), SVSM_SUCCESS);
	other_arg = (struct other_arg){ 0, true };
	assert_int_equal(pthread_create(&other, NULL, other_cpu, &other_arg), 0);
	sem_wait(&other_in_op);
}

static void test_delete_aba(void **state)
{
	m->check_lock = false;
	assert_int_equal(svsm_model_create(m, 0, 2, 0x22000, 0x23000), SVSM_SUCCESS);
	assert_int_equal(svsm_model_create(m, 0, 1, 0x20000, 0x21000), SVSM_SUCCESS);
	main_thread = pthread_self();
	sem_init(&other_in_op, 0, 0);
	sem_init(&other_go, 0, 0);
	m->stop_hook = aba_stop_hook;
	assert_int_equal(del(0, 0x20000), SVSM_SUCCESS); /* its vCPU is gone */
	/* The other DELETE, of the new vCPU, is still in vcpu_stop. */
	assert_int_equal(state_of(1), SVSM_VCPU_STOPPING);
	assert_int_equal(svsm_vcpu(&m->svsm, 1)->vmsa_gpa, 0x30000);
	sem_post(&other_go);
	assert_int_equal(pthread_join(other, NULL), 0);
	m->stop_hook = NULL;
	assert_int_equal(other_arg.rc, SVSM_SUCCESS);
	assert_int_equal(state_of(1), SVSM_VCPU_ABSENT);
	sem_destroy(&other_in_op);
	sem_destroy(&other_go);
	m->check_lock = true;
}

/* vcpu_stop may wait for another CPU that needs the registry lock: here it
 * waits (up to 5 s) for a thread that makes an SVSM call. */
struct call_arg {
	struct svsm_model *m;
	uint32_t apic_id, rc;
};

static void *call_thread(void *p)
{
	struct call_arg *a = p;

	a->rc = svsm_model_rc(a->m, a->apic_id, QUERY, 1ull << 32 | 1, 0, 0);
	return NULL;
}

static int join_within(pthread_t t, int seconds)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += seconds;
	return pthread_timedjoin_np(t, NULL, &ts);
}

static struct call_arg waiter;
static int waiter_join;

static void stop_waits_for_cpu(struct svsm_model *mm, uint32_t apic_id)
{
	pthread_t t;

	waiter = (struct call_arg){ mm, 2, 0 };
	mm->check_lock = false; /* the other thread takes the lock for real */
	if (pthread_create(&t, NULL, call_thread, &waiter) != 0) {
		waiter_join = -1;
		return;
	}
	waiter_join = join_within(t, 5);
	if (waiter_join == ETIMEDOUT)
		fail_msg("vcpu_stop ran with the registry lock held (deadlock)");
}

static void test_stop_waits_for_another_cpu(void **state)
{
	assert_int_equal(svsm_model_create(m, 0, 1, 0x20000, 0x21000), SVSM_SUCCESS);
	assert_int_equal(svsm_model_create(m, 0, 2, 0x22000, 0x23000), SVSM_SUCCESS);
	m->stop_hook = stop_waits_for_cpu;
	assert_int_equal(del(0, 0x20000), SVSM_SUCCESS);
	m->stop_hook = NULL;
	m->check_lock = true;
	assert_int_equal(waiter_join, 0);
	assert_int_equal(waiter.rc, SVSM_SUCCESS);
}

/* ---- svsm_vmsa_check, rule by rule ---- */

static uint32_t check(const uint8_t *v)
{
	return svsm_vmsa_check(v, 1, MODEL_SEV_FEATURES);
}

static uint32_t check_with(unsigned off, uint64_t value)
{
	uint8_t v[4096];

	memcpy(v, good, sizeof(v));
	set64(v, off, value);
	return check(v);
}

#define BAD SVSM_ERR_INVALID_PARAMETER
#define OK  SVSM_SUCCESS

static void test_vmsa_basics(void **state)
{
	uint8_t v[4096];

	assert_int_equal(check(good), OK);
	assert_int_equal(svsm_vmsa_check(good, 2, MODEL_SEV_FEATURES), BAD);
	assert_int_equal(svsm_vmsa_check(good, 1, 0), BAD);
	memcpy(v, good, sizeof(v));
	v[VMSA_VMPL] = 2;
	assert_int_equal(check(v), BAD);
	assert_int_equal(svsm_vmsa_check(v, 2, MODEL_SEV_FEATURES), OK);
	uint64_t efer = get64(good, VMSA_EFER);

	assert_int_equal(check_with(VMSA_EFER, efer & ~VMSA_EFER_SVME), BAD);
	assert_int_equal(check_with(VMSA_SEV_FEATURES, MODEL_SEV_FEATURES << 1), BAD);
	assert_int_equal(check_with(VMSA_SEV_FEATURES, MODEL_SEV_FEATURES | 1ull << 63), BAD);

	/* 32-bit protected mode, paging off, as the svm platform's boot
	 * vCPU starts: valid. */
	memcpy(v, good, sizeof(v));
	set64(v, VMSA_EFER, VMSA_EFER_SVME);
	set64(v, VMSA_CR0, VMSA_CR0_PE | VMSA_CR0_ET | VMSA_CR0_NE);
	set64(v, VMSA_CR4, 0);
	set64(v, VMSA_CR3, 0);
	v[VMSA_CS + 2] = 0x9b;
	v[VMSA_CS + 3] = 0x0c;
	assert_int_equal(check(v), OK);
	/* Real mode: valid too. */
	set64(v, VMSA_CR0, VMSA_CR0_ET);
	v[VMSA_CS + 3] = 0;
	assert_int_equal(check(v), OK);
}

static void test_vmsa_cr0(void **state)
{
	uint64_t cr0 = get64(good, VMSA_CR0);

	/* 1. CD = 0 with NW = 1; CD = 1 with NW = 1 and CD alone are fine. */
	assert_int_equal(check_with(VMSA_CR0, cr0 | VMSA_CR0_NW), BAD);
	assert_int_equal(check_with(VMSA_CR0, cr0 | VMSA_CR0_NW | VMSA_CR0_CD), OK);
	assert_int_equal(check_with(VMSA_CR0, cr0 | VMSA_CR0_CD), OK);
	/* 2. CR0[63:32]. */
	for (unsigned b = 32; b < 64; b++)
		assert_int_equal(check_with(VMSA_CR0, cr0 | 1ull << b), BAD);
	/* Other low bits (WP, AM, MP, EM, TS) are not VMRUN's business. */
	assert_int_equal(check_with(VMSA_CR0, cr0 | 1u << 16 | 1u << 18 | 0xe), OK);
}

static void test_vmsa_cr3(void **state)
{
	/* 3. CR3[63:52]. */
	for (unsigned b = 52; b < 64; b++)
		assert_int_equal(check_with(VMSA_CR3, 0x100000ull | 1ull << b), BAD);
	assert_int_equal(check_with(VMSA_CR3, 0x000ffffffffff000ull), OK);
	assert_int_equal(check_with(VMSA_CR3, 0x100018ull), OK); /* PWT, PCD */
}

static void test_vmsa_cr4(void **state)
{
	static const unsigned defined[] = { 0, 1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12,
					    16, 17, 18, 20, 21, 22, 23 };
	uint64_t cr4 = get64(good, VMSA_CR4), all = cr4;

	/* 4. Reserved bits: 13 (VMXE), 14 (SMXE), 15, 19 (KL), 24 (PKS),
	 * 25 (UINTR), 28 (LAM_SUP), 32 (FRED) and everything else above 23. */
	for (unsigned b = 0; b < 64; b++) {
		bool def = b == 5; /* PAE, already set */

		for (size_t i = 0; i < sizeof(defined) / sizeof(defined[0]); i++)
			def = def || defined[i] == b;
		assert_int_equal(check_with(VMSA_CR4, cr4 | 1ull << b), def ? OK : BAD);
		if (def)
			all |= 1ull << b;
	}
	assert_int_equal(check_with(VMSA_CR4, all), OK);
}

static void test_vmsa_dr6_dr7(void **state)
{
	/* 5, 6. DR6[63:32], DR7[63:32]. */
	for (unsigned b = 32; b < 64; b++) {
		assert_int_equal(check_with(VMSA_DR6, 0xffff0ff0ull | 1ull << b), BAD);
		assert_int_equal(check_with(VMSA_DR7, 0x400ull | 1ull << b), BAD);
	}
	assert_int_equal(check_with(VMSA_DR6, 0xffffffffull), OK);
	assert_int_equal(check_with(VMSA_DR7, 0xffffffffull), OK);
}

static void test_vmsa_efer(void **state)
{
	uint64_t efer = get64(good, VMSA_EFER);

	/* 7. Reserved bits: all but SCE, LME, LMA, NXE, SVME, LMSLE, FFXSR, TCE. */
	for (unsigned b = 0; b < 64; b++) {
		bool def = b == 0 || b == 8 || b == 10 || b == 11 || b == 12 || b == 13 ||
			   b == 14 || b == 15;

		assert_int_equal(check_with(VMSA_EFER, efer | 1ull << b), def ? OK : BAD);
	}
	assert_int_equal(check_with(VMSA_EFER, 0xfd01), OK);
}

static void test_vmsa_long_mode(void **state)
{
	uint8_t v[4096];
	uint64_t efer = get64(good, VMSA_EFER), cr0 = get64(good, VMSA_CR0);

	/* 8. LME and PG without PAE. */
	assert_int_equal(check_with(VMSA_CR4, 0), BAD);
	/* ... fine without LME (32-bit paging) or without PG. */
	memcpy(v, good, sizeof(v));
	set64(v, VMSA_CR4, 0);
	set64(v, VMSA_EFER, VMSA_EFER_SVME);
	assert_int_equal(check(v), OK);
	set64(v, VMSA_EFER, efer);
	set64(v, VMSA_CR0, cr0 & ~VMSA_CR0_PG);
	assert_int_equal(check(v), OK);

	/* 9. LME and PG without PE. */
	assert_int_equal(check_with(VMSA_CR0, cr0 & ~VMSA_CR0_PE), BAD);
	memcpy(v, good, sizeof(v));
	set64(v, VMSA_CR0, cr0 & ~VMSA_CR0_PE);
	set64(v, VMSA_EFER, VMSA_EFER_SVME);
	assert_int_equal(check(v), OK); /* not VMRUN's rule without LME */

	/* 10. LME, PG, PAE, CS.L and CS.D. */
	memcpy(v, good, sizeof(v));
	v[VMSA_CS + 3] |= VMSA_SEG_ATTR_DB >> 8;
	assert_int_equal(check(v), BAD);
	v[VMSA_CS + 3] &= (uint8_t)~(VMSA_SEG_ATTR_L >> 8);
	assert_int_equal(check(v), OK); /* compatibility mode */
	v[VMSA_CS + 3] |= VMSA_SEG_ATTR_L >> 8;
	set64(v, VMSA_EFER, VMSA_EFER_SVME); /* not long mode: L and D are ignored */
	set64(v, VMSA_CR4, 0);
	assert_int_equal(check(v), OK);
}

/* ---- races: one thread per guest vCPU ---- */

#define RACERS 5 /* callers: APIC IDs 0-4 */
#define ROUNDS 200

static pthread_barrier_t barrier;

struct racer {
	uint32_t apic_id;
	int kind;
	unsigned round;
	uint32_t rc;
};

enum { RACE_SAME_APIC, RACE_SAME_VMSA, RACE_SAME_CA, RACE_DELETE };

static void *racer_main(void *p)
{
	struct racer *r = p;
	uint64_t mine = 0x100000ull + 0x10000ull * r->apic_id; /* this thread's pages */
	static const uint32_t targets[RACERS] = { 6, 9, 200, 6, 9 };

	pthread_barrier_wait(&barrier);
	switch (r->kind) {
	case RACE_SAME_APIC:
		r->rc = svsm_model_create(m, r->apic_id, 200, mine, mine + 0x1000);
		break;
	case RACE_SAME_VMSA: /* different APIC IDs, one VMSA page */
		r->rc = svsm_model_create(m, r->apic_id, targets[r->apic_id], 0x400000,
					  mine + 0x1000);
		break;
	case RACE_SAME_CA:
		r->rc = svsm_model_rc(m, r->apic_id, CORE(SVSM_CORE_REMAP_CA),
				      0x500000ull + 0x1000ull * (r->round % 2), 0, 0);
		break;
	case RACE_DELETE:
		r->rc = svsm_model_rc(m, r->apic_id, DELETE, 0x600000, 0, 0);
		break;
	}
	return NULL;
}

static void race(int kind, unsigned round, struct racer *rs)
{
	pthread_t t[RACERS];

	for (uint32_t i = 0; i < RACERS; i++) {
		rs[i] = (struct racer){ i, kind, round, 0 };
		assert_int_equal(pthread_create(&t[i], NULL, racer_main, &rs[i]), 0);
	}
	for (uint32_t i = 0; i < RACERS; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
}

static unsigned count_rc(const struct racer *rs, uint32_t rc)
{
	unsigned n = 0;

	for (unsigned i = 0; i < RACERS; i++)
		n += rs[i].rc == rc;
	return n;
}

static void test_races(void **state)
{
	struct racer rs[RACERS];

	/* Racing with real threads: ops see the lock taken by others, and the
	 * zero check assumes one call at a time. */
	m->check_lock = false;
	m->check_zero = false;
	for (uint32_t a = 1; a < RACERS; a++)
		assert_int_equal(svsm_model_create(m, 0, a, 0x700000 + 0x2000 * a,
						   0x701000 + 0x2000 * a), SVSM_SUCCESS);
	assert_int_equal(pthread_barrier_init(&barrier, NULL, RACERS), 0);
	for (unsigned round = 0; round < ROUNDS; round++) {
		/* One APIC ID, five CREATEs: exactly one wins. */
		race(RACE_SAME_APIC, round, rs);
		assert_int_equal(count_rc(rs, SVSM_SUCCESS), 1);
		assert_int_equal(count_rc(rs, SVSM_ERR_INVALID_PARAMETER), RACERS - 1);
		assert_null(svsm_model_check_registry(m, false));
		assert_int_equal(del(0, svsm_vcpu(&m->svsm, 200)->vmsa_gpa), SVSM_SUCCESS);

		/* One VMSA page for three APIC IDs: exactly one wins. */
		race(RACE_SAME_VMSA, round, rs);
		assert_int_equal(count_rc(rs, SVSM_SUCCESS), 1);
		assert_null(svsm_model_check_registry(m, false));
		assert_int_equal(del(0, 0x400000), SVSM_SUCCESS);

		/* One new CA page for five vCPUs: exactly one wins. */
		race(RACE_SAME_CA, round, rs);
		assert_int_equal(count_rc(rs, SVSM_SUCCESS), 1);
		assert_int_equal(count_rc(rs, SVSM_ERR_INVALID_ADDRESS), RACERS - 1);
		assert_null(svsm_model_check_registry(m, false));

		/* Five DELETEs of one vCPU: exactly one wins. */
		assert_int_equal(svsm_model_create(m, 0, 6, 0x600000, 0x601000), SVSM_SUCCESS);
		race(RACE_DELETE, round, rs);
		assert_int_equal(count_rc(rs, SVSM_SUCCESS), 1);
		assert_int_equal(count_rc(rs, SVSM_ERR_INVALID_PARAMETER), RACERS - 1);
		assert_int_equal(state_of(6), SVSM_VCPU_ABSENT);
		assert_null(svsm_model_check_registry(m, false));
	}
	pthread_barrier_destroy(&barrier);
	m->check_lock = true;
	m->check_zero = true;
}

/* Everything at once for a while: PVALIDATE, REMAP_CA, CREATE and DELETE
 * from five vCPUs on overlapping pages; the registry must end consistent. */
static void *stress_main(void *p)
{
	struct racer *r = p;
	uint64_t x = 0x9e3779b97f4a7c15ull * (r->apic_id + 1);

	pthread_barrier_wait(&barrier);
	for (unsigned i = 0; i < 3000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		uint64_t page = 0x800000ull + 0x1000ull * (x % 24); /* 24 shared pages */
		uint32_t target = (uint32_t[]){ 6, 9, 200 }[(x >> 8) % 3];
		uint8_t list[24] = { 2, 0 };

		switch ((x >> 16) % 4) {
		case 0: { /* the list in this vCPU's CA buffer */
			uint64_t e0 = page | SVSM_PVAL_VALIDATE | SVSM_PVAL_IGNORE_CF;
			uint64_t e1 = (page ^ 0x1000) | SVSM_PVAL_IGNORE_CF;
			uint64_t ca = svsm_vcpu(&m->svsm, r->apic_id)->ca_gpa;

			memcpy(list + 8, &e0, 8);
			memcpy(list + 16, &e1, 8);
			svsm_model_poke(m, ca + 0x800, list, sizeof(list));
			svsm_model_rc(m, r->apic_id, CORE(SVSM_CORE_PVALIDATE), ca + 0x800, 0, 0);
			break;
		}
		case 1:
			svsm_model_rc(m, r->apic_id, CORE(SVSM_CORE_REMAP_CA), page, 0, 0);
			break;
		case 2:
			svsm_model_create(m, r->apic_id, target, page, page ^ 0x2000);
			break;
		case 3:
			svsm_model_rc(m, r->apic_id, DELETE, page, 0, 0);
			break;
		}
	}
	return NULL;
}

/* Widens the window between husk's checks and the platform's work. */
static void yield_hook(struct svsm_model *mm, uint64_t gpa)
{
	sched_yield();
}

static void test_stress(void **state)
{
	struct racer rs[RACERS];
	pthread_t t[RACERS];

	m->check_lock = false;
	m->check_zero = false;
	m->pvalidate_hook = yield_hook;
	for (uint32_t a = 1; a < RACERS; a++)
		assert_int_equal(svsm_model_create(m, 0, a, 0x700000 + 0x2000 * a,
						   0x701000 + 0x2000 * a), SVSM_SUCCESS);
	assert_int_equal(pthread_barrier_init(&barrier, NULL, RACERS), 0);
	for (uint32_t i = 0; i < RACERS; i++) {
		rs[i] = (struct racer){ i, 0, 0, 0 };
		assert_int_equal(pthread_create(&t[i], NULL, stress_main, &rs[i]), 0);
	}
	for (uint32_t i = 0; i < RACERS; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	pthread_barrier_destroy(&barrier);
	assert_null(svsm_model_check_registry(m, false));
	assert_true(svsm_rmp_check(&m->rmp));
	m->check_lock = true;
	m->check_zero = true;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_unaligned, setup_vcpu, teardown),
		cmocka_unit_test_setup_teardown(test_create_not_ram, setup_vcpu, teardown),
		cmocka_unit_test_setup_teardown(test_create_pages_in_use, setup_vcpu, teardown),
		cmocka_unit_test_setup_teardown(test_create_apic_id, setup_vcpu, teardown),
		cmocka_unit_test_setup_teardown(test_create_vmsa_checked, setup_vcpu, teardown),
		cmocka_unit_test_setup_teardown(test_create_success, setup_vcpu, teardown),
		cmocka_unit_test_setup_teardown(test_create_vmsa_read_once, setup_vcpu, teardown),
		cmocka_unit_test_setup_teardown(test_create_start_fails, setup_vcpu, teardown),
		cmocka_unit_test_setup_teardown(test_delete_bad, setup_vcpu, teardown),
		cmocka_unit_test_setup_teardown(test_delete_other, setup_vcpu, teardown),
		cmocka_unit_test_setup_teardown(test_delete_busy, setup_vcpu, teardown),
		cmocka_unit_test_setup_teardown(test_delete_self, setup_vcpu, teardown),
		cmocka_unit_test_setup_teardown(test_delete_self_pending, setup_vcpu, teardown),
		cmocka_unit_test_setup_teardown(test_delete_vmsa_at_zero, setup_vcpu, teardown),
		cmocka_unit_test_setup_teardown(test_stopped, setup_vcpu, teardown),
		cmocka_unit_test_setup_teardown(test_delete_in_progress, setup_vcpu, teardown),
		cmocka_unit_test_setup_teardown(test_create_in_progress, setup_vcpu, teardown),
		cmocka_unit_test_setup_teardown(test_delete_races_stop_and_recreate, setup_vcpu, teardown),
		cmocka_unit_test_setup_teardown(test_create_races_stop, setup_vcpu, teardown),
		cmocka_unit_test_setup_teardown(test_stop_waits_for_another_cpu, setup_vcpu, teardown),
		cmocka_unit_test_setup_teardown(test_pvalidate_page_reserved, setup_vcpu, teardown),
		cmocka_unit_test_setup_teardown(test_create_aba, setup_vcpu, teardown),
		cmocka_unit_test_setup_teardown(test_delete_aba, setup_vcpu, teardown),
		cmocka_unit_test_setup_teardown(test_vmsa_basics, setup_vcpu, teardown),
		cmocka_unit_test_setup_teardown(test_vmsa_cr0, setup_vcpu, teardown),
		cmocka_unit_test_setup_teardown(test_vmsa_cr3, setup_vcpu, teardown),
		cmocka_unit_test_setup_teardown(test_vmsa_cr4, setup_vcpu, teardown),
		cmocka_unit_test_setup_teardown(test_vmsa_dr6_dr7, setup_vcpu, teardown),
		cmocka_unit_test_setup_teardown(test_vmsa_efer, setup_vcpu, teardown),
		cmocka_unit_test_setup_teardown(test_vmsa_long_mode, setup_vcpu, teardown),
		cmocka_unit_test_setup_teardown(test_races, setup_vcpu, teardown),
		cmocka_unit_test_setup_teardown(test_stress, setup_vcpu, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
