/* Unit tests of the TPM engine's command processing: header checks, the
 * order of response codes for malformed commands, Startup/Shutdown rules,
 * handle and session-area errors with their index bits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "../common/tpm_host.h"
#include "tpm/tpm_defs.h"

static struct tpm_host host;

static int setup(void **state)
{
	return tpm_host_init(&host, 0x1234) ? -1 : 0;
}

static int teardown(void **state)
{
	tpm_host_fini(&host);
	return 0;
}

static void test_header_errors(void **state)
{
	static const uint8_t short_cmd[] = { 0x80, 0x01, 0x00 };
	static const uint8_t bad_tag[] = { 0x00, 0xc1, 0, 0, 0, 10, 0, 0, 0x01, 0x44 };
	static const uint8_t bad_size[] = { 0x80, 0x01, 0, 0, 0, 11, 0, 0, 0x01, 0x44 };
	static const uint8_t unknown_cc[] = { 0x80, 0x01, 0, 0, 0, 10, 0x20, 0, 0, 0 };

	assert_int_equal(tpm_host_cmd(&host, short_cmd, sizeof(short_cmd)), TPM_RC_INSUFFICIENT);
	assert_int_equal(tpm_host_cmd(&host, bad_tag, sizeof(bad_tag)), TPM_RC_BAD_TAG);
	assert_int_equal(host.rsp[0] << 8 | host.rsp[1], TPM_ST_RSP_COMMAND);
	assert_int_equal(tpm_host_cmd(&host, bad_size, sizeof(bad_size)), TPM_RC_COMMAND_SIZE);
	/* The command code is checked before the TPM's state (the reference
	 * implementation's ExecuteCommand): unknown even before Startup. */
	assert_int_equal(tpm_host_cmd(&host, unknown_cc, sizeof(unknown_cc)), TPM_RC_COMMAND_CODE);
	/* Before Startup every other command is refused. */
	{
		static const uint8_t get_random[] = { 0x80, 0x01, 0, 0, 0, 12, 0, 0, 0x01, 0x7b, 0, 8 };

		assert_int_equal(tpm_host_cmd(&host, get_random, sizeof(get_random)), TPM_RC_INITIALIZE);
	}
	assert_int_equal(tpm_host_startup(&host, TPM_SU_CLEAR), TPM_RC_SUCCESS);
	assert_int_equal(tpm_host_cmd(&host, unknown_cc, sizeof(unknown_cc)), TPM_RC_COMMAND_CODE);
	assert_int_equal(host.rsp_len, 10);
}

static void test_startup_rules(void **state)
{
	uint8_t p[2] = { 0, 7 };

	assert_int_equal(tpm_host_call(&host, TPM_CC_Startup, NULL, 0, false, NULL, p, 2),
			 TPM_RC_VALUE | TPM_RC_P | TPM_RC_1);
	/* STATE without a previous Shutdown(STATE) */
	assert_int_equal(tpm_host_startup(&host, TPM_SU_STATE), TPM_RC_VALUE | TPM_RC_P | TPM_RC_1);
	assert_int_equal(tpm_host_startup(&host, TPM_SU_CLEAR), TPM_RC_SUCCESS);
	assert_int_equal(tpm_host_startup(&host, TPM_SU_CLEAR), TPM_RC_INITIALIZE);
	/* A second Startup is refused before its parameters are looked at. */
	assert_int_equal(tpm_host_call(&host, TPM_CC_Startup, NULL, 0, false, NULL, p, 1), TPM_RC_INITIALIZE);
	/* Sessions on Startup are refused. */
	p[1] = 0;
	assert_int_equal(tpm_power_off(host.tpm), 0);
	assert_int_equal(tpm_power_on(host.tpm), 0);
	assert_int_equal(tpm_host_call(&host, TPM_CC_Startup, NULL, 0, true, NULL, p, 2),
			 TPM_RC_AUTH_CONTEXT);
}

static void test_get_random(void **state)
{
	uint8_t p[2] = { 0, 16 };

	assert_int_equal(tpm_host_startup(&host, TPM_SU_CLEAR), 0);
	assert_int_equal(tpm_host_call(&host, TPM_CC_GetRandom, NULL, 0, false, NULL, p, 2), 0);
	assert_int_equal(host.rsp_len, 10 + 2 + 16);
	assert_int_equal(host.rsp[10] << 8 | host.rsp[11], 16);
	/* More than a digest's worth is cut to 64 bytes. */
	p[0] = 0x10;
	assert_int_equal(tpm_host_call(&host, TPM_CC_GetRandom, NULL, 0, false, NULL, p, 2), 0);
	assert_int_equal(host.rsp[10] << 8 | host.rsp[11], 64);
	/* Trailing bytes */
	{
		uint8_t q[3] = { 0, 1, 0 };

		assert_int_equal(tpm_host_call(&host, TPM_CC_GetRandom, NULL, 0, false, NULL, q, 3),
				 TPM_RC_SIZE);
	}
	/* Missing parameter */
	assert_int_equal(tpm_host_call(&host, TPM_CC_GetRandom, NULL, 0, false, NULL, p, 1),
			 TPM_RC_INSUFFICIENT | TPM_RC_P | TPM_RC_1);
}

static void test_session_area_errors(void **state)
{
	uint8_t cmd[64];
	size_t n = 0;

	assert_int_equal(tpm_host_startup(&host, TPM_SU_CLEAR), 0);
	/* GetRandom with a session area whose size runs past the end. */
	memcpy(cmd, (uint8_t[]){ 0x80, 0x02, 0, 0, 0, 0, 0, 0, 0x01, 0x7b, 0, 0, 0, 50 }, 14);
	n = 14;
	cmd[5] = (uint8_t)n;
	assert_int_equal(tpm_host_cmd(&host, cmd, n), TPM_RC_SIZE);
	/* authSize itself missing */
	n = 12;
	cmd[5] = (uint8_t)n;
	assert_int_equal(tpm_host_cmd(&host, cmd, n), TPM_RC_INSUFFICIENT);
	/* A session handle that is not a session: a bad TPMI_SH_AUTH_SESSION. */
	memcpy(cmd + 10, (uint8_t[]){ 0, 0, 0, 9, 0x80, 0, 0, 0, 0, 0, 1, 0, 0, 0, 8 }, 15);
	n = 25;
	cmd[5] = (uint8_t)n;
	assert_int_equal(tpm_host_cmd(&host, cmd, n), TPM_RC_VALUE | TPM_RC_S | TPM_RC_1);
	/* A password session on a command without an authorization handle. */
	memcpy(cmd + 10, (uint8_t[]){ 0, 0, 0, 9, 0x40, 0, 0, 9, 0, 0, 1, 0, 0, 0, 8 }, 15);
	assert_int_equal(tpm_host_cmd(&host, cmd, n), TPM_RC_HANDLE | TPM_RC_S | TPM_RC_1);
	/* An authorization area cut inside a session. */
	cmd[13] = 8;
	memcpy(cmd + 14, (uint8_t[]){ 0x40, 0, 0, 9, 0, 0, 1, 0 }, 8);
	memcpy(cmd + 22, (uint8_t[]){ 0, 8 }, 2);
	n = 24;
	cmd[5] = (uint8_t)n;
	assert_int_equal(tpm_host_cmd(&host, cmd, n), TPM_RC_SIZE);
	cmd[13] = 10;
	memcpy(cmd + 14, (uint8_t[]){ 0x40, 0, 0, 9, 0, 0, 1, 0, 2, 0xaa }, 10); /* hmac: 1 of 2 bytes */
	memcpy(cmd + 24, (uint8_t[]){ 0, 8 }, 2);
	n = 26;
	cmd[5] = (uint8_t)n;
	assert_int_equal(tpm_host_cmd(&host, cmd, n), TPM_RC_INSUFFICIENT | TPM_RC_S | TPM_RC_1);
	/* A password session with a nonce. */
	memcpy(cmd + 10, (uint8_t[]){ 0, 0, 0, 10, 0x40, 0, 0, 9, 0, 1, 0xaa, 1, 0, 0, 0, 8 }, 16);
	n = 26;
	cmd[5] = (uint8_t)n;
	assert_int_equal(tpm_host_cmd(&host, cmd, n), TPM_RC_NONCE | TPM_RC_S | TPM_RC_1);
	/* A session handle of an HMAC session that does not exist. */
	memcpy(cmd + 10, (uint8_t[]){ 0, 0, 0, 9, 0x02, 0, 0, 5, 0, 0, 1, 0, 0, 0, 8 }, 15);
	n = 25;
	cmd[5] = (uint8_t)n;
	assert_int_equal(tpm_host_cmd(&host, cmd, n), TPM_RC_REFERENCE_S0);
}

static void test_handle_errors(void **state)
{
	uint32_t h = 0x80000005; /* transient object not loaded */
	uint8_t p[2 + 2 + 2 + 10] = { 0 };

	assert_int_equal(tpm_host_startup(&host, TPM_SU_CLEAR), 0);
	assert_int_equal(tpm_host_call(&host, TPM_CC_ReadPublic, &h, 1, false, NULL, NULL, 0),
			 TPM_RC_REFERENCE_H0);
	h = 0x81000001; /* persistent handle not present */
	assert_int_equal(tpm_host_call(&host, TPM_CC_ReadPublic, &h, 1, false, NULL, NULL, 0),
			 TPM_RC_HANDLE | TPM_RC_H | TPM_RC_1);
	h = 0x40000001; /* owner: not an object */
	assert_int_equal(tpm_host_call(&host, TPM_CC_ReadPublic, &h, 1, false, NULL, NULL, 0),
			 TPM_RC_VALUE | TPM_RC_H | TPM_RC_1);
	/* PCR handle out of range */
	h = 24;
	assert_int_equal(tpm_host_call(&host, TPM_CC_PCR_Extend, &h, 1, true, NULL, p, 4),
			 TPM_RC_VALUE | TPM_RC_H | TPM_RC_1);
	/* Authorization missing */
	h = 0;
	assert_int_equal(tpm_host_call(&host, TPM_CC_PCR_Extend, &h, 1, false, NULL, p, 4),
			 TPM_RC_AUTH_MISSING);
}

static void test_shutdown_state_resume(void **state)
{
	uint8_t p[2] = { 0, TPM_SU_STATE };

	assert_int_equal(tpm_host_startup(&host, TPM_SU_CLEAR), 0);
	assert_int_equal(tpm_host_call(&host, TPM_CC_Shutdown, NULL, 0, false, NULL, p, 2), 0);
	assert_int_equal(tpm_power_off(host.tpm), 0);
	assert_int_equal(tpm_power_on(host.tpm), 0);
	assert_int_equal(tpm_host_startup(&host, TPM_SU_STATE), 0);
	/* A second resume needs another orderly Shutdown(STATE). */
	assert_int_equal(tpm_power_off(host.tpm), 0);
	assert_int_equal(tpm_power_on(host.tpm), 0);
	assert_int_equal(tpm_host_startup(&host, TPM_SU_STATE), TPM_RC_VALUE | TPM_RC_P | TPM_RC_1);
	assert_int_equal(tpm_host_startup(&host, TPM_SU_CLEAR), 0);
}

static void test_read_clock(void **state)
{
	assert_int_equal(tpm_host_startup(&host, TPM_SU_CLEAR), 0);
	assert_int_equal(tpm_host_call(&host, TPM_CC_ReadClock, NULL, 0, false, NULL, NULL, 0), 0);
	/* time u64, clock u64, resetCount u32, restartCount u32, safe u8 */
	assert_int_equal(host.rsp_len, 10 + 8 + 8 + 4 + 4 + 1);
	assert_int_equal(host.rsp[10 + 16 + 3], 1); /* resetCount after the first Startup */
}

static size_t put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
	return 4;
}

/* A command with sessions: tag, size, cc, handles, the session area as
 * given, parameters. */
static size_t sess_cmd(uint8_t *cmd, uint32_t cc, const uint32_t *h, unsigned nh, const uint8_t *area,
		       size_t alen, const uint8_t *params, size_t plen)
{
	size_t n = 10;

	cmd[0] = 0x80;
	cmd[1] = 0x02;
	put_u32(cmd + 6, cc);
	for (unsigned i = 0; i < nh; i++)
		n += put_u32(cmd + n, h[i]);
	n += put_u32(cmd + n, (uint32_t)alen);
	memcpy(cmd + n, area, alen);
	n += alen;
	if (plen)
		memcpy(cmd + n, params, plen);
	n += plen;
	put_u32(cmd + 2, (uint32_t)n);
	return n;
}

/* StartAuthSession(tpmKey NULL, bind), unsalted, SHA-256; returns the
 * response code, the handle in *sh. */
static uint32_t start_session(uint32_t bind, uint8_t type, bool aes, uint32_t *sh)
{
	uint32_t h[2] = { TPM_RH_NULL, bind };
	uint8_t p[32] = { 0, 16 };
	size_t n = 2 + 16;
	uint32_t rc;

	memset(p + 2, 0x22, 16);
	p[n++] = 0, p[n++] = 0; /* encryptedSalt */
	p[n++] = type;
	if (aes) {
		memcpy(p + n, (uint8_t[]){ 0x00, 0x06, 0x00, 0x80, 0x00, 0x43 }, 6); /* AES-128-CFB */
		n += 6;
	} else {
		p[n++] = 0x00, p[n++] = 0x10;
	}
	p[n++] = 0x00, p[n++] = 0x0b;
	rc = tpm_host_call(&host, TPM_CC_StartAuthSession, h, 2, false, NULL, p, n);
	if (!rc && sh)
		*sh = (uint32_t)host.rsp[10] << 24 | (uint32_t)host.rsp[11] << 16 | host.rsp[12] << 8 | host.rsp[13];
	return rc;
}

/* The order and codes of the reference implementation (ExecuteCommand,
 * ParseHandleBuffer, ParseSessionBuffer and the types' unmarshaling), as
 * tools/tpm-diff checks against libtpms. */
static void test_reference_order(void **state)
{
	static const uint8_t pw[9] = { 0x40, 0, 0, 9, 0, 0, 1, 0, 0 };
	static const uint8_t no_digests[4] = { 0 };
	uint8_t cmd[256], area[64];
	uint32_t h, sh;
	size_t n;

	assert_int_equal(tpm_host_startup(&host, TPM_SU_CLEAR), 0);
	/* Transient handles beyond husk's eight slots are outside
	 * TPMI_DH_OBJECT. */
	h = 0x80ffffff;
	assert_int_equal(tpm_host_call(&host, TPM_CC_ReadPublic, &h, 1, false, NULL, NULL, 0),
			 TPM_RC_VALUE | TPM_RC_H | TPM_RC_1);
	h = 0x80000008;
	assert_int_equal(tpm_host_call(&host, TPM_CC_ReadPublic, &h, 1, false, NULL, NULL, 0),
			 TPM_RC_VALUE | TPM_RC_H | TPM_RC_1);

	/* Four sessions: TPM_RC_SIZE for session 4. */
	h = 0;
	for (unsigned i = 0; i < 4; i++)
		memcpy(area + 9 * i, pw, 9);
	n = sess_cmd(cmd, TPM_CC_PCR_Extend, &h, 1, area, 36, no_digests, 4);
	assert_int_equal(tpm_host_cmd(&host, cmd, n), TPM_RC_SIZE | TPM_RC_S | TPM_RC_4);
	/* A password session that authorizes no handle. */
	n = sess_cmd(cmd, TPM_CC_PCR_Extend, &h, 1, area, 18, no_digests, 4);
	assert_int_equal(tpm_host_cmd(&host, cmd, n), TPM_RC_HANDLE | TPM_RC_S | TPM_RC_2);
	/* A session handle beyond husk's eight session slots. */
	memcpy(area, (uint8_t[]){ 0x02, 0, 0, 8 }, 4);
	n = sess_cmd(cmd, TPM_CC_PCR_Extend, &h, 1, area, 9, no_digests, 4);
	assert_int_equal(tpm_host_cmd(&host, cmd, n), TPM_RC_VALUE | TPM_RC_S | TPM_RC_1);

	/* StartAuthSession's bind is a TPMI_DH_ENTITY+. */
	assert_int_equal(start_session(24, TPM_SE_HMAC, false, NULL), TPM_RC_VALUE | TPM_RC_H | TPM_RC_2);
	assert_int_equal(start_session(0x40000000, TPM_SE_HMAC, false, NULL), TPM_RC_VALUE | TPM_RC_H | TPM_RC_2);
	assert_int_equal(start_session(0x02000000, TPM_SE_HMAC, false, NULL), TPM_RC_VALUE | TPM_RC_H | TPM_RC_2);
	assert_int_equal(start_session(0x01000000, TPM_SE_HMAC, false, NULL), TPM_RC_HANDLE | TPM_RC_H | TPM_RC_2);
	assert_int_equal(start_session(0x81000000, TPM_SE_HMAC, false, NULL), TPM_RC_HANDLE | TPM_RC_H | TPM_RC_2);
	assert_int_equal(start_session(TPM_RH_OWNER, TPM_SE_HMAC, false, &sh), 0);
	assert_int_equal(sh, 0x02000000);

	/* That slot's handle as a policy session: the wrong kind. */
	memcpy(area, (uint8_t[]){ 0x03, 0, 0, 0 }, 4);
	n = sess_cmd(cmd, TPM_CC_PCR_Extend, &h, 1, area, 9, no_digests, 4);
	assert_int_equal(tpm_host_cmd(&host, cmd, n), TPM_RC_HANDLE | TPM_RC_S | TPM_RC_1);

	/* A session that only encrypts has its HMAC checked too; unbound and
	 * unsalted, its key is empty, and an empty HMAC is accepted. */
	assert_int_equal(start_session(TPM_RH_NULL, TPM_SE_HMAC, true, &sh), 0);
	{
		uint8_t a[64], want[2] = { 0, 8 };
		size_t an = 0;

		an += put_u32(a, sh);
		a[an++] = 0, a[an++] = 0; /* nonceCaller */
		a[an++] = TPMA_SESSION_CONTINUESESSION | TPMA_SESSION_ENCRYPT;
		a[an++] = 0, a[an++] = 32;
		memset(a + an, 0x44, 32);
		an += 32;
		n = sess_cmd(cmd, TPM_CC_GetRandom, NULL, 0, a, an, want, 2);
		assert_int_equal(tpm_host_cmd(&host, cmd, n), TPM_RC_BAD_AUTH | TPM_RC_S | TPM_RC_1);
		a[8] = 0; /* empty HMAC */
		n = sess_cmd(cmd, TPM_CC_GetRandom, NULL, 0, a, 9, want, 2);
		assert_int_equal(tpm_host_cmd(&host, cmd, n), 0);
		/* ... and the response HMAC is empty too. */
		assert_int_equal(host.rsp[host.rsp_len - 2] << 8 | host.rsp[host.rsp_len - 1], 0);
		/* Encryption with a command that cannot encrypt. */
		n = sess_cmd(cmd, TPM_CC_ReadClock, NULL, 0, a, 9, NULL, 0);
		assert_int_equal(tpm_host_cmd(&host, cmd, n), TPM_RC_ATTRIBUTES | TPM_RC_S | TPM_RC_1);
	}
}

/* Parameters: the codes Part 2 gives the types. */
static void test_parameter_codes(void **state)
{
	/* TestParms: RSA, symmetric NULL, scheme, 2048 bits, exponent 0 */
	uint8_t rsa[] = { 0x00, 0x01, 0x00, 0x10, 0x00, 0x18, 0x00, 0x0b, 0x08, 0x00, 0, 0, 0, 0 };
	uint8_t ecc[] = { 0x00, 0x23, 0x00, 0x10, 0x00, 0x14, 0x00, 0x0b, 0x00, 0x03, 0x00, 0x10 };
	uint8_t kh[] = { 0x00, 0x08, 0x00, 0x18, 0x00, 0x0b };
	uint8_t ist[] = { 0, 0, 0, 1, 0x00, 0x0b };
	uint32_t owner = TPM_RH_OWNER;

	assert_int_equal(tpm_host_startup(&host, TPM_SU_CLEAR), 0);
	/* TPMI_ALG_RSA_SCHEME and TPMI_ALG_KEYEDHASH_SCHEME: TPM_RC_VALUE;
	 * TPMI_ALG_ECC_SCHEME: TPM_RC_SCHEME. */
	assert_int_equal(tpm_host_call(&host, TPM_CC_TestParms, NULL, 0, false, NULL, rsa, sizeof(rsa)),
			 TPM_RC_VALUE | TPM_RC_P | TPM_RC_1);
	rsa[5] = 0x14; /* RSAPSS */
	assert_int_equal(tpm_host_call(&host, TPM_CC_TestParms, NULL, 0, false, NULL, rsa, sizeof(rsa)), 0);
	assert_int_equal(tpm_host_call(&host, TPM_CC_TestParms, NULL, 0, false, NULL, ecc, sizeof(ecc)),
			 TPM_RC_SCHEME | TPM_RC_P | TPM_RC_1);
	assert_int_equal(tpm_host_call(&host, TPM_CC_TestParms, NULL, 0, false, NULL, kh, sizeof(kh)),
			 TPM_RC_VALUE | TPM_RC_P | TPM_RC_1);

	/* IncrementalSelfTest: implemented algorithms only. */
	assert_int_equal(tpm_host_call(&host, TPM_CC_IncrementalSelfTest, NULL, 0, false, NULL, ist, sizeof(ist)), 0);
	ist[5] = 0x10; /* TPM_ALG_NULL */
	assert_int_equal(tpm_host_call(&host, TPM_CC_IncrementalSelfTest, NULL, 0, false, NULL, ist, sizeof(ist)),
			 TPM_RC_VALUE | TPM_RC_P | TPM_RC_1);
	ist[5] = 0x27; /* SHA3-512 */
	assert_int_equal(tpm_host_call(&host, TPM_CC_IncrementalSelfTest, NULL, 0, false, NULL, ist, sizeof(ist)),
			 TPM_RC_VALUE | TPM_RC_P | TPM_RC_1);

	/* A TPM2B around a structure whose size disagrees with what the
	 * structure takes: TPM_RC_SIZE, not a short read (inSensitive says 3
	 * bytes and holds two empty TPM2Bs). */
	{
		uint8_t p[] = { 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 };

		assert_int_equal(tpm_host_call(&host, TPM_CC_CreatePrimary, &owner, 1, true, "", p, sizeof(p)),
				 TPM_RC_SIZE | TPM_RC_P | TPM_RC_1);
		p[1] = 0x40; /* larger than the rest of the command */
		assert_int_equal(tpm_host_call(&host, TPM_CC_CreatePrimary, &owner, 1, true, "", p, sizeof(p)),
				 TPM_RC_SIZE | TPM_RC_P | TPM_RC_1);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_header_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_startup_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_get_random, setup, teardown),
		cmocka_unit_test_setup_teardown(test_session_area_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_handle_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shutdown_state_resume, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_clock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reference_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parameter_codes, setup, teardown),
	};
	return cmocka_run_group_tests_name("tpm_dispatch", tests, NULL, NULL);
}
