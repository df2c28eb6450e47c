/* Unit tests for lib/svsm's vTPM protocol: VTPM_QUERY and every row of
 * VTPM_CMD in docs/svsm.md, with the model platform's fake vTPM (it echoes
 * the command, or answers a given length). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "husk/err.h"
#include "svsm/svsm.h"
#include "svsm_fixture.h"

#define VTPM(c) SVSM_CALL(SVSM_PROTOCOL_VTPM, c)
#define CMD     VTPM(SVSM_VTPM_CMD)
#define BUF     0x40000ull

/* Writes a request at gpa: platform command, locality, size, and size
 * bytes of command (i * 3 + 5), the rest of the 4096 bytes 0xee. */
static void put_req(uint64_t gpa, uint32_t cmd, uint8_t loc, uint32_t size)
{
	uint8_t b[4096];

	memset(b, 0xee, sizeof(b));
	memcpy(b, &cmd, 4);
	b[4] = loc;
	memcpy(b + 5, &size, 4);
	for (uint32_t i = 0; i < size && 9 + i < sizeof(b); i++)
		b[9 + i] = (uint8_t)(i * 3 + 5);
	svsm_model_poke(m, gpa, b, sizeof(b));
}

static uint32_t send(uint64_t gpa)
{
	return svsm_model_rc(m, 0, CMD, gpa, 0, 0);
}

static uint32_t rsp_size(uint64_t gpa)
{
	uint32_t r;

	svsm_model_peek(m, gpa, &r, 4);
	return r;
}

static void test_query(void **state)
{
	struct svsm_regs r;

	assert_int_equal(svsm_model_call(m, 0, VTPM(SVSM_VTPM_QUERY), 5, 6, 7, 8, &r), SVSM_RESUME);
	assert_int_equal(r.rax, SVSM_SUCCESS);
	assert_int_equal(r.rcx, 0x100);
	assert_int_equal(r.rdx, 0);
	assert_int_equal(r.r8, 7);
	assert_int_equal(r.r9, 8);
}

static void test_gpa_zero(void **state)
{
	put_req(0, SVSM_VTPM_PLATFORM_SEND_COMMAND, 0, 10); /* GPA 0 is RAM */
	assert_int_equal(send(0), SVSM_ERR_INVALID_PARAMETER);
	assert_int_equal(m->n_vtpm, 0);
}

static void test_not_ram(void **state)
{
	static const uint64_t bad[] = {
		MODEL_HUSK_BASE, MODEL_HUSK_BASE - 4095, MODEL_HUSK_BASE - 100,
		MODEL_HOLE_BASE - 1, MODEL_HOLE_BASE + 0x800, MODEL_MEM_SIZE - 4095,
		MODEL_MEM_SIZE, 0xfffffffffffff001ull, 0xfffffffffffffff0ull,
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(send(bad[i]), SVSM_ERR_INVALID_ADDRESS);
	/* The last page of a buffer is a VMSA husk holds. */
	assert_int_equal(svsm_model_create(m, 0, 1, BUF + 0x1000, 0x21000), SVSM_SUCCESS);
	put_req(BUF + 0x10, SVSM_VTPM_PLATFORM_SEND_COMMAND, 0, 10);
	assert_int_equal(send(BUF + 0x10), SVSM_ERR_INVALID_ADDRESS);
	assert_int_equal(m->n_vtpm, 0);
	/* Right below husk's region and the hole: fine. */
	put_req(MODEL_HUSK_BASE - 4096, SVSM_VTPM_PLATFORM_SEND_COMMAND, 0, 10);
	assert_int_equal(send(MODEL_HUSK_BASE - 4096), SVSM_SUCCESS);
	put_req(MODEL_MEM_SIZE - 4096, SVSM_VTPM_PLATFORM_SEND_COMMAND, 0, 10);
	assert_int_equal(send(MODEL_MEM_SIZE - 4096), SVSM_SUCCESS);
}

static void test_other_platform_commands(void **state)
{
	for (uint32_t c = 0; c < 64; c++) {
		bool known = (c >= 1 && c <= 18) || c == 20 || c == 21 || c == 25 || c == 26 ||
			     c == 30 || c == 35 || c == 36;

		if (c == SVSM_VTPM_PLATFORM_SEND_COMMAND)
			continue;
		put_req(BUF, c, 0, 10);
		assert_int_equal(send(BUF), known ? SVSM_ERR_UNSUPPORTED_CALL
						  : SVSM_ERR_INVALID_PARAMETER);
		assert_int_equal(rsp_size(BUF), c); /* buffer untouched */
	}
	static const uint32_t unknown[] = { 0x8000, 0x80000008u, 0xffffffffu, 0x108 };

	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		put_req(BUF, unknown[i], 0, 10);
		assert_int_equal(send(BUF), SVSM_ERR_INVALID_PARAMETER);
	}
	/* The command is checked before locality and size. */
	put_req(BUF, 1, 3, 5000);
	assert_int_equal(send(BUF), SVSM_ERR_UNSUPPORTED_CALL);
	put_req(BUF, 19, 3, 5000);
	assert_int_equal(send(BUF), SVSM_ERR_INVALID_PARAMETER);
	assert_int_equal(m->n_vtpm, 0);
}

static void test_locality(void **state)
{
	static const uint8_t loc[] = { 1, 2, 3, 4, 0x20, 0xff };

	for (size_t i = 0; i < sizeof(loc); i++) {
		put_req(BUF, SVSM_VTPM_PLATFORM_SEND_COMMAND, loc[i], 10);
		assert_int_equal(send(BUF), SVSM_ERR_INVALID_PARAMETER);
	}
	assert_int_equal(m->n_vtpm, 0);
}

static void test_size(void **state)
{
	static const uint32_t bad[] = { SVSM_VTPM_CMD_MAX + 1, 4096, 0x10000, 0xffffffffu };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		put_req(BUF, SVSM_VTPM_PLATFORM_SEND_COMMAND, 0, bad[i]);
		assert_int_equal(send(BUF), SVSM_ERR_INVALID_PARAMETER);
	}
	assert_int_equal(m->n_vtpm, 0);
	/* The largest: 4087 bytes, all passed on. */
	put_req(BUF, SVSM_VTPM_PLATFORM_SEND_COMMAND, 0, SVSM_VTPM_CMD_MAX);
	m->vtpm_rsp_len = 10;
	assert_int_equal(send(BUF), SVSM_SUCCESS);
	assert_int_equal(m->last_cmd_len, SVSM_VTPM_CMD_MAX);
	assert_int_equal(m->last_cmd[SVSM_VTPM_CMD_MAX - 1], (uint8_t)((SVSM_VTPM_CMD_MAX - 1) * 3 + 5));
	/* And none at all (the TPM answers that with an error of its own). */
	put_req(BUF, SVSM_VTPM_PLATFORM_SEND_COMMAND, 0, 0);
	m->vtpm_rsp_len = 0;
	assert_int_equal(send(BUF), SVSM_SUCCESS);
	assert_int_equal(m->last_cmd_len, 0);
	assert_int_equal(rsp_size(BUF), 0);
}

static void test_command(void **state)
{
	struct svsm_regs r;
	uint8_t got[4096];
	uint64_t gpa = BUF + 0xff3; /* unaligned, across a page boundary */

	put_req(gpa, SVSM_VTPM_PLATFORM_SEND_COMMAND, 0, 22);
	assert_int_equal(svsm_model_call(m, 0, CMD, gpa, 1, 2, 3, &r), SVSM_RESUME);
	assert_int_equal(r.rax, SVSM_SUCCESS);
	assert_int_equal(r.rcx, gpa);
	assert_int_equal(r.rdx, 1);
	assert_int_equal(r.r8, 2);
	assert_int_equal(m->n_vtpm, 1);
	assert_int_equal(m->last_locality, 0);
	assert_int_equal(m->last_cmd_len, 22);
	for (unsigned i = 0; i < 22; i++)
		assert_int_equal(m->last_cmd[i], (uint8_t)(i * 3 + 5));
	/* Response: u32 size, then the bytes (the fake echoes); the rest of
	 * the buffer as the guest left it. */
	svsm_model_peek(m, gpa, got, sizeof(got));
	assert_int_equal(rsp_size(gpa), 22);
	for (unsigned i = 0; i < 22; i++)
		assert_int_equal(got[4 + i], (uint8_t)(i * 3 + 5));
	for (unsigned i = 4 + 22; i < 9 + 22; i++)
		assert_int_equal(got[i], (uint8_t)((i - 9) * 3 + 5));
	for (unsigned i = 9 + 22; i < sizeof(got); i++)
		assert_int_equal(got[i], 0xee);
}

static void test_response_sizes(void **state)
{
	uint8_t got[4096];
	static const uint8_t failure[10] = { 0x80, 0x01, 0, 0, 0, 0x0a, 0, 0, 1, 1 };

	/* The largest that fits: 4092 bytes. */
	put_req(BUF, SVSM_VTPM_PLATFORM_SEND_COMMAND, 0, 12);
	m->vtpm_rsp_len = SVSM_VTPM_RSP_MAX;
	assert_int_equal(send(BUF), SVSM_SUCCESS);
	svsm_model_peek(m, BUF, got, sizeof(got));
	assert_int_equal(rsp_size(BUF), SVSM_VTPM_RSP_MAX);
	assert_int_equal(got[4095], (uint8_t)((SVSM_VTPM_RSP_MAX - 1) * 7 + 1));
	/* Longer: TPM_RC_FAILURE instead. */
	put_req(BUF, SVSM_VTPM_PLATFORM_SEND_COMMAND, 0, 12);
	m->vtpm_rsp_len = SVSM_VTPM_RSP_MAX + 1;
	assert_int_equal(send(BUF), SVSM_SUCCESS);
	svsm_model_peek(m, BUF, got, sizeof(got));
	assert_int_equal(rsp_size(BUF), 10);
	assert_memory_equal(got + 4, failure, sizeof(failure));
	/* The vTPM fails: the same. */
	put_req(BUF, SVSM_VTPM_PLATFORM_SEND_COMMAND, 0, 12);
	m->vtpm_rsp_len = 0;
	m->vtpm_err = HUSK_ERR_NOMEM;
	assert_int_equal(send(BUF), SVSM_SUCCESS);
	svsm_model_peek(m, BUF, got, sizeof(got));
	assert_int_equal(rsp_size(BUF), 10);
	assert_memory_equal(got + 4, failure, sizeof(failure));
}

static void test_response_write_fails(void **state)
{
	put_req(BUF, SVSM_VTPM_PLATFORM_SEND_COMMAND, 0, 12);
	m->write_fail_gpa_set = 1;
	m->write_fail_gpa = BUF;
	assert_int_equal(send(BUF), SVSM_ERR_INVALID_ADDRESS);
	assert_int_equal(m->n_vtpm, 1);
}

static void test_other_vcpu(void **state)
{
	/* Any vCPU may use the vTPM, with its own buffer. */
	assert_int_equal(svsm_model_create(m, 0, 200, 0x20000, 0x21000), SVSM_SUCCESS);
	put_req(BUF, SVSM_VTPM_PLATFORM_SEND_COMMAND, 0, 12);
	assert_int_equal(svsm_model_rc(m, 200, CMD, BUF, 0, 0), SVSM_SUCCESS);
	assert_int_equal(rsp_size(BUF), 12);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_query, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gpa_zero, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_ram, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_platform_commands, setup, teardown),
		cmocka_unit_test_setup_teardown(test_locality, setup, teardown),
		cmocka_unit_test_setup_teardown(test_size, setup, teardown),
		cmocka_unit_test_setup_teardown(test_command, setup, teardown),
		cmocka_unit_test_setup_teardown(test_response_sizes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_response_write_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_vcpu, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
