/* Unit tests for lib/svsm: svsm_init, the calling-area handshake, the
 * dispatch, REMAP_CA, QUERY_PROTOCOL and the unsupported core calls, row by
 * row of docs/svsm.md, against the model platform (tests/common). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "husk/err.h"
#include "svsm/svsm.h"
#include "svsm_fixture.h"

#define CORE(c) SVSM_CALL(SVSM_PROTOCOL_CORE, c)
#define VTPM(c) SVSM_CALL(SVSM_PROTOCOL_VTPM, c)

static int setup_no_vtpm(void **state)
{
	m = svsm_model_new(false);
	return m ? 0 : -1;
}

static uint8_t peek8(uint64_t gpa)
{
	uint8_t v;

	svsm_model_peek(m, gpa, &v, 1);
	return v;
}

static void poke8(uint64_t gpa, uint8_t v)
{
	svsm_model_poke(m, gpa, &v, 1);
}

/* ---- svsm_init ---- */

static void test_init_config(void **state)
{
	struct svsm s;
	struct svsm_config c = m->cfg;
	struct svsm_platform_ops o = m->ops;

	assert_int_equal(svsm_init(&s, &o, &c), HUSK_OK);
	assert_int_equal(svsm_vcpu(&s, 0)->state, SVSM_VCPU_RUNNING);
	assert_true(svsm_vcpu(&s, 0)->boot);
	assert_int_equal(svsm_vcpu(&s, 0)->ca_gpa, MODEL_BOOT_CA);
	assert_int_equal(svsm_vcpu(&s, 0)->vmsa_gpa, 0);
	assert_int_equal(svsm_vcpu(&s, 200)->state, SVSM_VCPU_ABSENT);
	assert_null(svsm_vcpu(&s, 5));

	c.vcpu_count = 0;
	assert_int_equal(svsm_init(&s, &o, &c), HUSK_ERR_INVAL);
	c = m->cfg;
	c.vcpu_count = HUSK_MAX_CPUS + 1;
	assert_int_equal(svsm_init(&s, &o, &c), HUSK_ERR_INVAL);
	c = m->cfg;
	c.boot_apic_id = 5; /* not listed */
	assert_int_equal(svsm_init(&s, &o, &c), HUSK_ERR_INVAL);
	c = m->cfg;
	c.apic_ids[3] = c.apic_ids[1]; /* duplicate */
	assert_int_equal(svsm_init(&s, &o, &c), HUSK_ERR_INVAL);
	c = m->cfg;
	c.guest_vmpl = 0;
	assert_int_equal(svsm_init(&s, &o, &c), HUSK_ERR_INVAL);
	c.guest_vmpl = 4;
	assert_int_equal(svsm_init(&s, &o, &c), HUSK_ERR_INVAL);
	c = m->cfg;
	c.boot_ca_gpa = 0x1008; /* unaligned */
	assert_int_equal(svsm_init(&s, &o, &c), HUSK_ERR_INVAL);
	c.boot_ca_gpa = MODEL_HUSK_BASE; /* not guest RAM */
	assert_int_equal(svsm_init(&s, &o, &c), HUSK_ERR_INVAL);
	c.boot_ca_gpa = 0xfffffffffffff000ull;
	assert_int_equal(svsm_init(&s, &o, &c), HUSK_ERR_INVAL);
	c = m->cfg;
	o.vcpu_stop = NULL;
	assert_int_equal(svsm_init(&s, &o, &c), HUSK_ERR_INVAL);
	o = m->ops;
	o.vtpm_send = NULL; /* allowed: no vTPM */
	assert_int_equal(svsm_init(&s, &o, &c), HUSK_OK);
	assert_int_equal(svsm_init(NULL, &o, &c), HUSK_ERR_INVAL);
	assert_int_equal(svsm_init(&s, NULL, &c), HUSK_ERR_INVAL);
	assert_int_equal(svsm_init(&s, &o, NULL), HUSK_ERR_INVAL);
}

/* ---- the handshake ---- */

static void test_pending_zero_is_spurious(void **state)
{
	struct svsm_regs r = { CORE(SVSM_CORE_QUERY_PROTOCOL), 0x100000001ull, 2, 3, 4 };
	uint32_t writes = m->n_write;

	assert_int_equal(peek8(MODEL_BOOT_CA), 0);
	assert_int_equal(svsm_call(&m->svsm, 0, &r), SVSM_RESUME_SPURIOUS);
	assert_int_equal(r.rax, CORE(SVSM_CORE_QUERY_PROTOCOL));
	assert_int_equal(r.rcx, 0x100000001ull);
	assert_int_equal(r.rdx, 2);
	assert_int_equal(r.r8, 3);
	assert_int_equal(r.r9, 4);
	assert_int_equal(peek8(MODEL_BOOT_CA), 0);
	assert_int_equal(m->n_write, writes);
}

static void test_pending_one_runs_the_call(void **state)
{
	struct svsm_regs r;

	poke8(MODEL_BOOT_CA + 1, 0x77); /* mem_available and beyond: not husk's to touch */
	assert_int_equal(svsm_model_call(m, 0, CORE(SVSM_CORE_QUERY_PROTOCOL), 1, 2, 3, 4, &r),
			 SVSM_RESUME);
	assert_int_equal(r.rax, SVSM_SUCCESS);
	assert_int_equal(r.rcx, 0x100000001ull);
	assert_int_equal(r.rdx, 2);
	assert_int_equal(r.r8, 3);
	assert_int_equal(r.r9, 4);
	assert_int_equal(peek8(MODEL_BOOT_CA), 0);
	assert_int_equal(peek8(MODEL_BOOT_CA + 1), 0x77);
}

static void test_pending_reserved_values(void **state)
{
	static const uint8_t values[] = { 2, 3, 0x80, 0xfe, 0xff };

	for (size_t i = 0; i < sizeof(values); i++) {
		struct svsm_regs r = { CORE(SVSM_CORE_REMAP_CA), 0x5000, 6, 7, 8 };
		uint32_t ram_checks = m->n_guest_ram;

		poke8(MODEL_BOOT_CA, values[i]);
		assert_int_equal(svsm_call(&m->svsm, 0, &r), SVSM_RESUME);
		assert_int_equal(r.rax, SVSM_ERR_INVALID_FORMAT);
		assert_int_equal(r.rcx, 0x5000);
		assert_int_equal(r.rdx, 6);
		assert_int_equal(r.r8, 7);
		assert_int_equal(r.r9, 8);
		assert_int_equal(peek8(MODEL_BOOT_CA), 0);
		assert_int_equal(m->n_guest_ram, ram_checks); /* the call did not run */
		assert_int_equal(svsm_vcpu(&m->svsm, 0)->ca_gpa, MODEL_BOOT_CA);
	}
}

static void test_ca_write_fails(void **state)
{
	struct svsm_regs r = { CORE(SVSM_CORE_QUERY_PROTOCOL), 1, 0, 0, 0 };

	/* husk cannot clear call_pending: it takes no call (the guest sees
	 * call_pending still set). */
	m->write_fail_gpa_set = 1;
	m->write_fail_gpa = MODEL_BOOT_CA;
	poke8(MODEL_BOOT_CA, 1);
	assert_int_equal(svsm_call(&m->svsm, 0, &r), SVSM_RESUME_SPURIOUS);
	assert_int_equal(r.rax, CORE(SVSM_CORE_QUERY_PROTOCOL));
	assert_int_equal(peek8(MODEL_BOOT_CA), 1);
	m->write_fail_gpa_set = 0;
	assert_int_equal(svsm_call(&m->svsm, 0, &r), SVSM_RESUME);
	assert_int_equal(r.rax, SVSM_SUCCESS);
}

static void test_caller_without_ca(void **state)
{
	struct svsm_regs r = { CORE(SVSM_CORE_QUERY_PROTOCOL), 0, 0, 0, 0 };

	/* An APIC ID that is not the guest's, and one with no vCPU running. */
	assert_int_equal(svsm_call(&m->svsm, 5, &r), SVSM_RESUME_SPURIOUS);
	assert_int_equal(svsm_call(&m->svsm, 1, &r), SVSM_RESUME_SPURIOUS);
	assert_int_equal(r.rax, CORE(SVSM_CORE_QUERY_PROTOCOL));
}

static void test_result_in_rax_low_half(void **state)
{
	struct svsm_regs r;

	/* RAX on return is the 32-bit code, zero-extended. */
	svsm_model_call(m, 0, 0xffffffff00000000ull | 9, 0, 0, 0, 0, &r);
	assert_int_equal(r.rax, SVSM_ERR_UNSUPPORTED_PROTOCOL);
	svsm_model_call(m, 0, CORE(SVSM_CORE_QUERY_PROTOCOL), 0, 0, 0, 0, &r);
	assert_int_equal(r.rax, 0);
}

/* ---- dispatch ---- */

static void test_unsupported_protocol(void **state)
{
	static const uint32_t protos[] = { 3, 4, 5, 0x80000000u, 0xffffffffu };

	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++) {
		assert_int_equal(svsm_model_rc(m, 0, SVSM_CALL(protos[i], 0), 0, 0, 0),
				 SVSM_ERR_UNSUPPORTED_PROTOCOL);
		assert_int_equal(svsm_model_rc(m, 0, SVSM_CALL(protos[i], 1), 0, 0, 0),
				 SVSM_ERR_UNSUPPORTED_PROTOCOL);
	}
	/* A platform without attestation reports: protocol 1 is absent. */
	m->ops.attest_report = NULL;
	assert_int_equal(svsm_model_rc(m, 0, SVSM_CALL(1, 0), 0, 0, 0),
			 SVSM_ERR_UNSUPPORTED_PROTOCOL);
	assert_int_equal(svsm_model_rc(m, 0, SVSM_CALL(1, 1), 0, 0, 0),
			 SVSM_ERR_UNSUPPORTED_PROTOCOL);
}

static void test_unsupported_call(void **state)
{
	assert_int_equal(svsm_model_rc(m, 0, CORE(8), 0, 0, 0), SVSM_ERR_UNSUPPORTED_CALL);
	assert_int_equal(svsm_model_rc(m, 0, CORE(0xffffffffu), 0, 0, 0), SVSM_ERR_UNSUPPORTED_CALL);
	assert_int_equal(svsm_model_rc(m, 0, VTPM(2), 0, 0, 0), SVSM_ERR_UNSUPPORTED_CALL);
	assert_int_equal(svsm_model_rc(m, 0, VTPM(0x80000000u), 0, 0, 0),
			 SVSM_ERR_UNSUPPORTED_CALL);
}

static void test_deposit_withdraw(void **state)
{
	struct svsm_regs r;

	svsm_model_call(m, 0, CORE(SVSM_CORE_DEPOSIT_MEM), 0x5000, 1, 2, 3, &r);
	assert_int_equal(r.rax, SVSM_ERR_UNSUPPORTED_CALL);
	assert_int_equal(r.rcx, 0x5000);
	svsm_model_call(m, 0, CORE(SVSM_CORE_WITHDRAW_MEM), 0x5000, 1, 2, 3, &r);
	assert_int_equal(r.rax, SVSM_ERR_UNSUPPORTED_CALL);
	assert_int_equal(r.rcx, 0x5000);
}

static void test_configure_vtom(void **state)
{
	struct svsm_regs r;

	svsm_model_call(m, 0, CORE(SVSM_CORE_CONFIGURE_VTOM), 1, 5, 6, 7, &r);
	assert_int_equal(r.rax, SVSM_SUCCESS);
	assert_int_equal(r.rcx, 0);
	assert_int_equal(r.rdx, 5);
	assert_int_equal(r.r8, 6);
	svsm_model_call(m, 0, CORE(SVSM_CORE_CONFIGURE_VTOM), 0xfffffffffffff003ull, 5, 6, 7, &r);
	assert_int_equal(r.rax, SVSM_SUCCESS);
	assert_int_equal(r.rcx, 0);
	svsm_model_call(m, 0, CORE(SVSM_CORE_CONFIGURE_VTOM), 0, 5, 6, 7, &r);
	assert_int_equal(r.rax, SVSM_ERR_INVALID_REQUEST);
	assert_int_equal(r.rcx, 0);
	svsm_model_call(m, 0, CORE(SVSM_CORE_CONFIGURE_VTOM), 0x40000002ull, 5, 6, 7, &r);
	assert_int_equal(r.rax, SVSM_ERR_INVALID_REQUEST);
	assert_int_equal(r.rcx, 0x40000002ull);
}

/* ---- QUERY_PROTOCOL ---- */

static uint64_t query(uint32_t proto, uint32_t version)
{
	struct svsm_regs r;

	svsm_model_call(m, 0, CORE(SVSM_CORE_QUERY_PROTOCOL), (uint64_t)proto << 32 | version, 11,
			12, 13, &r);
	assert_int_equal(r.rax, SVSM_SUCCESS);
	assert_int_equal(r.rdx, 11);
	assert_int_equal(r.r8, 12);
	assert_int_equal(r.r9, 13);
	return r.rcx;
}

static void test_query_protocol(void **state)
{
	assert_int_equal(query(0, 1), 0x100000001ull);
	assert_int_equal(query(0, 0), 0);
	assert_int_equal(query(0, 2), 0);
	assert_int_equal(query(0, 0xffffffffu), 0);
	assert_int_equal(query(2, 1), 0x100000001ull);
	assert_int_equal(query(2, 0), 0);
	assert_int_equal(query(2, 2), 0);
	assert_int_equal(query(1, 1), 0x100000001ull);
	assert_int_equal(query(1, 0), 0);
	assert_int_equal(query(1, 2), 0);
	m->ops.attest_report = NULL;
	assert_int_equal(query(1, 1), 0);
	assert_int_equal(query(3, 1), 0);
	assert_int_equal(query(0xffffffffu, 1), 0);
}

static void test_no_vtpm(void **state)
{
	assert_int_equal(query(2, 1), 0);
	assert_int_equal(query(0, 1), 0x100000001ull);
	assert_int_equal(svsm_model_rc(m, 0, VTPM(SVSM_VTPM_QUERY), 0, 0, 0),
			 SVSM_ERR_UNSUPPORTED_PROTOCOL);
	assert_int_equal(svsm_model_rc(m, 0, VTPM(SVSM_VTPM_CMD), 0x5000, 0, 0),
			 SVSM_ERR_UNSUPPORTED_PROTOCOL);
	assert_int_equal(svsm_model_rc(m, 0, VTPM(7), 0, 0, 0), SVSM_ERR_UNSUPPORTED_PROTOCOL);
}

/* ---- REMAP_CA ---- */

static uint32_t remap(uint32_t apic_id, uint64_t gpa)
{
	return svsm_model_rc(m, apic_id, CORE(SVSM_CORE_REMAP_CA), gpa, 0, 0);
}

static void test_remap_unaligned(void **state)
{
	assert_int_equal(remap(0, 0x5001), SVSM_ERR_INVALID_PARAMETER);
	assert_int_equal(remap(0, 0x5008), SVSM_ERR_INVALID_PARAMETER);
	assert_int_equal(remap(0, 0x5800), SVSM_ERR_INVALID_PARAMETER);
	/* Misaligned and not RAM: alignment is checked first. */
	assert_int_equal(remap(0, MODEL_HUSK_BASE + 8), SVSM_ERR_INVALID_PARAMETER);
	assert_int_equal(svsm_vcpu(&m->svsm, 0)->ca_gpa, MODEL_BOOT_CA);
}

static void test_remap_not_ram(void **state)
{
	assert_int_equal(remap(0, MODEL_HUSK_BASE), SVSM_ERR_INVALID_ADDRESS);
	assert_int_equal(remap(0, MODEL_HUSK_BASE + MODEL_HUSK_SIZE - 4096), SVSM_ERR_INVALID_ADDRESS);
	assert_int_equal(remap(0, MODEL_HOLE_BASE), SVSM_ERR_INVALID_ADDRESS);
	assert_int_equal(remap(0, MODEL_MEM_SIZE), SVSM_ERR_INVALID_ADDRESS);
	assert_int_equal(remap(0, 0xfffffffffffff000ull), SVSM_ERR_INVALID_ADDRESS);
	assert_int_equal(svsm_vcpu(&m->svsm, 0)->ca_gpa, MODEL_BOOT_CA);
}

static void test_remap_same(void **state)
{
	uint64_t junk = 0x1122334455667700ull; /* byte 0 (call_pending) is set by the call */
	uint32_t writes;

	svsm_model_poke64(m, MODEL_BOOT_CA, junk);
	writes = m->n_write;
	assert_int_equal(remap(0, MODEL_BOOT_CA), SVSM_SUCCESS);
	/* Only the handshake's write of call_pending. */
	assert_int_equal(m->n_write, writes + 1);
	assert_int_equal(svsm_model_peek64(m, MODEL_BOOT_CA), junk);
}

static void test_remap_taken(void **state)
{
	assert_int_equal(svsm_model_create(m, 0, 1, 0x20000, 0x21000), SVSM_SUCCESS);
	/* Another vCPU's CA, a VMSA husk holds. */
	assert_int_equal(remap(0, 0x21000), SVSM_ERR_INVALID_ADDRESS);
	assert_int_equal(remap(0, 0x20000), SVSM_ERR_INVALID_ADDRESS);
	assert_int_equal(remap(1, MODEL_BOOT_CA), SVSM_ERR_INVALID_ADDRESS);
	assert_int_equal(remap(1, 0x20000), SVSM_ERR_INVALID_ADDRESS); /* its own VMSA */
	assert_int_equal(svsm_vcpu(&m->svsm, 0)->ca_gpa, MODEL_BOOT_CA);
	assert_int_equal(svsm_vcpu(&m->svsm, 1)->ca_gpa, 0x21000);
}

static void test_remap_success(void **state)
{
	struct svsm_regs r = { CORE(SVSM_CORE_QUERY_PROTOCOL), 1ull << 32 | 1, 0, 0, 0 };
	uint8_t ff[16];

	memset(ff, 0xff, sizeof(ff));
	svsm_model_poke(m, 0x30000, ff, sizeof(ff));
	assert_int_equal(remap(0, 0x30000), SVSM_SUCCESS);
	assert_int_equal(svsm_vcpu(&m->svsm, 0)->ca_gpa, 0x30000);
	/* The first 8 bytes are zeroed, the buffer is not touched. */
	assert_int_equal(svsm_model_peek64(m, 0x30000), 0);
	assert_int_equal(svsm_model_peek64(m, 0x30008), UINT64_MAX);

	/* From now on the old CA's call_pending means nothing. */
	poke8(MODEL_BOOT_CA, 1);
	assert_int_equal(svsm_call(&m->svsm, 0, &r), SVSM_RESUME_SPURIOUS);
	assert_int_equal(peek8(MODEL_BOOT_CA), 1);
	poke8(MODEL_BOOT_CA, 0);
	poke8(0x30000, 1);
	assert_int_equal(svsm_call(&m->svsm, 0, &r), SVSM_RESUME);
	assert_int_equal(r.rax, SVSM_SUCCESS);
	assert_int_equal(peek8(0x30000), 0);

	/* The old CA is free again: another vCPU may take it. */
	assert_int_equal(svsm_model_create(m, 0, 2, 0x22000, MODEL_BOOT_CA), SVSM_SUCCESS);
	/* Remap at the top of RAM below the hole, and back. */
	assert_int_equal(remap(0, MODEL_HOLE_BASE - 4096), SVSM_SUCCESS);
	assert_int_equal(remap(0, 0x30000), SVSM_SUCCESS);
}

static void test_remap_write_fails(void **state)
{
	m->write_fail_gpa_set = 1;
	m->write_fail_gpa = 0x30000;
	assert_int_equal(remap(0, 0x30000), SVSM_ERR_INVALID_ADDRESS);
	assert_int_equal(svsm_vcpu(&m->svsm, 0)->ca_gpa, MODEL_BOOT_CA);
	m->write_fail_gpa_set = 0;
	assert_int_equal(remap(0, 0x30000), SVSM_SUCCESS);
}

/* A vCPU being created (STARTING) already owns its pages: a hook inside
 * vcpu_start (no lock held) lets another vCPU try to take them. */
static uint32_t hook_results[2];

static void remap_during_start(struct svsm_model *mm, uint32_t apic_id)
{
	if (apic_id != 3)
		return;
	assert_int_equal(svsm_vcpu(&mm->svsm, 3)->state, SVSM_VCPU_STARTING);
	hook_results[0] = remap(1, 0x41000); /* the new vCPU's CA */
	hook_results[1] = remap(1, 0x40000); /* its VMSA */
}

static void test_remap_starting_vcpu_pages(void **state)
{
	assert_int_equal(svsm_model_create(m, 0, 1, 0x20000, 0x21000), SVSM_SUCCESS);
	m->start_hook = remap_during_start;
	assert_int_equal(svsm_model_create(m, 0, 3, 0x40000, 0x41000), SVSM_SUCCESS);
	m->start_hook = NULL;
	assert_int_equal(hook_results[0], SVSM_ERR_INVALID_ADDRESS);
	assert_int_equal(hook_results[1], SVSM_ERR_INVALID_ADDRESS);
	assert_int_equal(svsm_vcpu(&m->svsm, 1)->ca_gpa, 0x21000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_init_config, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pending_zero_is_spurious, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pending_one_runs_the_call, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pending_reserved_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ca_write_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_caller_without_ca, setup, teardown),
		cmocka_unit_test_setup_teardown(test_result_in_rax_low_half, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unsupported_protocol, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unsupported_call, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deposit_withdraw, setup, teardown),
		cmocka_unit_test_setup_teardown(test_configure_vtom, setup, teardown),
		cmocka_unit_test_setup_teardown(test_query_protocol, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_vtpm, setup_no_vtpm, teardown),
		cmocka_unit_test_setup_teardown(test_remap_unaligned, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remap_not_ram, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remap_same, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remap_taken, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remap_success, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remap_write_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remap_starting_vcpu_pages, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
