/* Unit tests of GetCapability (tpm_cap.c): every capability, paging with
 * moreData, count limits, every error code, and the variable properties
 * following what the TPM holds.  Where husk and libtpms implement the same
 * thing (permanent and PCR handles, PCR properties, algorithm attributes,
 * hierarchy policies, error codes) both run the command in process and
 * must agree. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "../common/tpm_fixture.h"

#define RC_P(rc, n) ((rc) | TPM_RC_P | ((uint32_t)(n) << 8))
#define CAP_AT 15 /* the count of a GetCapability response's list */

static int setup(void **state)
{
	(void)state;
	return fx_setup(0x434150ull, 0);
}

static void cap_params(struct tb *p, uint32_t cap, uint32_t prop, uint32_t count)
{
	tb_reset(p);
	tb_u32(p, cap);
	tb_u32(p, prop);
	tb_u32(p, count);
}

static uint32_t husk_cap(uint32_t cap, uint32_t prop, uint32_t count)
{
	struct tb p;

	cap_params(&p, cap, prop, count);
	return tpm_host_call(&host, TPM_CC_GetCapability, NULL, 0, false, NULL, p.b, p.n);
}

static uint32_t ref_cap(uint32_t cap, uint32_t prop, uint32_t count)
{
	struct tb p;

	cap_params(&p, cap, prop, count);
	return fx_call(&ref, TPM_CC_GetCapability, NULL, 0, NULL, 0, &p);
}

static void both_cap(uint32_t cap, uint32_t prop, uint32_t count, uint32_t rc)
{
	assert_int_equal(husk_cap(cap, prop, count), rc);
	assert_int_equal(ref_cap(cap, prop, count), rc);
}

static bool more_data(void)
{
	return host.rsp[10] != 0;
}

static uint32_t list_count(void)
{
	return tpm_be32(host.rsp + CAP_AT);
}

/* A TPM property from the last response; false if absent. */
static bool find_property(uint32_t pt, uint32_t *v)
{
	uint32_t n = list_count();

	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *e = host.rsp + CAP_AT + 4 + 8 * i;

		if (tpm_be32(e) == pt) {
			*v = tpm_be32(e + 4);
			return true;
		}
	}
	return false;
}

static uint32_t property(uint32_t pt)
{
	uint32_t v = 0;

	assert_int_equal(husk_cap(TPM_CAP_TPM_PROPERTIES, pt, 1), 0);
	assert_true(find_property(pt, &v));
	return v;
}

/* ---- tests ---- */

static void test_errors(void **state)
{
	struct tb p;

	(void)state;
	/* capabilities that do not exist (ACT: husk has none) */
	both_cap(0x0b, 0, 1, RC_P(TPM_RC_VALUE, 1));
	both_cap(0x100, 0, 1, RC_P(TPM_RC_VALUE, 1));
	both_cap(0xffffffff, 0, 1, RC_P(TPM_RC_VALUE, 1));
	assert_int_equal(husk_cap(0x0a, 0, 1), RC_P(TPM_RC_VALUE, 1));
	/* handle types that cannot be listed */
	both_cap(TPM_CAP_HANDLES, 0x05000000, 1, RC_P(TPM_RC_HANDLE, 2));
	both_cap(TPM_CAP_HANDLES, 0xff000000, 1, RC_P(TPM_RC_HANDLE, 2));
	/* PCRS has no property; AUTH_POLICIES takes permanent handles only */
	both_cap(TPM_CAP_PCRS, 1, 1, RC_P(TPM_RC_VALUE, 2));
	both_cap(TPM_CAP_AUTH_POLICIES, 0x81000000, 1, RC_P(TPM_RC_VALUE, 2));
	both_cap(TPM_CAP_AUTH_POLICIES, 0, 1, RC_P(TPM_RC_VALUE, 2));
	/* short and long parameter areas */
	cap_params(&p, TPM_CAP_ALGS, 0, 1);
	assert_int_equal(tpm_host_call(&host, TPM_CC_GetCapability, NULL, 0, false, NULL, p.b, 4),
			 RC_P(TPM_RC_INSUFFICIENT, 2));
	assert_int_equal(tpm_host_call(&host, TPM_CC_GetCapability, NULL, 0, false, NULL, p.b, 10),
			 RC_P(TPM_RC_INSUFFICIENT, 3));
	tb_u8(&p, 0);
	assert_int_equal(tpm_host_call(&host, TPM_CC_GetCapability, NULL, 0, false, NULL, p.b, p.n),
			 TPM_RC_SIZE);
}

static void test_same_as_libtpms(void **state)
{
	static const uint32_t permanent[] = { 0x40000000, 0x40000001, 0x40000008, 0x4000000c, 0x4000000e,
					      0x40ffffff };
	static const uint32_t pcr_props[] = { 0x0, 0x1, 0x2, 0x3, 0x4, 0x5, 0x6, 0x7, 0x8, 0x9, 0xa };

	(void)state;
	/* Permanent and PCR handles, from any start and with any count. */
	for (size_t i = 0; i < sizeof(permanent) / sizeof(permanent[0]); i++)
		for (uint32_t count = 0; count < 9; count++) {
			both_cap(TPM_CAP_HANDLES, permanent[i], count, 0);
			fx_same_response();
		}
	for (uint32_t first = 0; first < 26; first += 5)
		for (uint32_t count = 0; count < 30; count += 7) {
			both_cap(TPM_CAP_HANDLES, first, count, 0);
			fx_same_response();
		}
	both_cap(TPM_CAP_HANDLES, 0, 0xffffffff, 0);
	fx_same_response();
	/* PCR properties husk defines, one at a time */
	for (size_t i = 0; i < sizeof(pcr_props) / sizeof(pcr_props[0]); i++) {
		both_cap(TPM_CAP_PCR_PROPERTIES, pcr_props[i], 1, 0);
		fx_same_response();
	}
	/* Hierarchy policies, none set */
	both_cap(TPM_CAP_AUTH_POLICIES, 0x40000000, 10, 0);
	fx_same_response();
	both_cap(TPM_CAP_AUTH_POLICIES, 0x4000000b, 1, 0);
	fx_same_response();
	both_cap(TPM_CAP_AUTH_POLICIES, 0x40000000, 0, 0);
	fx_same_response();
	/* Empty lists: transient, persistent, NV handles on fresh TPMs */
	both_cap(TPM_CAP_HANDLES, TPM_HR_TRANSIENT, 10, 0);
	fx_same_response();
	both_cap(TPM_CAP_HANDLES, TPM_HR_PERSISTENT, 10, 0);
	fx_same_response();
	both_cap(TPM_CAP_HANDLES, TPM_HR_NV_INDEX, 10, 0);
	fx_same_response();
	both_cap(TPM_CAP_HANDLES, TPM_HR_HMAC_SESSION, 10, 0);
	fx_same_response();
	/* PCRS with count 0 */
	both_cap(TPM_CAP_PCRS, 0, 0, 0);
	fx_same_response();
	/* TPM properties beyond the groups */
	both_cap(TPM_CAP_TPM_PROPERTIES, TPM_PT_MAX_CAP_BUFFER + 1, 5, 0);
	fx_same_response();
	both_cap(TPM_CAP_TPM_PROPERTIES, 0x215, 5, 0);
	fx_same_response();
}

static void test_algorithms(void **state)
{
	uint32_t n;
	uint8_t husk_list[TPM_MAX_CAP_BUFFER];

	(void)state;
	assert_int_equal(husk_cap(TPM_CAP_ALGS, 0, 1000), 0);
	assert_false(more_data());
	n = list_count();
	assert_true(n > 20);
	memcpy(husk_list, host.rsp + CAP_AT + 4, 6 * n);
	assert_int_equal(ref_cap(TPM_CAP_ALGS, 0, 1000), 0);
	/* In ascending order, each with libtpms's attributes. */
	for (uint32_t i = 0; i < n; i++) {
		uint16_t alg = tpm_be16(husk_list + 6 * i);
		uint32_t rn = tpm_be32(ref.rsp + CAP_AT);
		bool found = false;

		if (i)
			assert_true(alg > tpm_be16(husk_list + 6 * (i - 1)));
		for (uint32_t k = 0; k < rn; k++)
			if (tpm_be16(ref.rsp + CAP_AT + 4 + 6 * k) == alg) {
				assert_int_equal(tpm_be32(husk_list + 6 * i + 2),
						 tpm_be32(ref.rsp + CAP_AT + 4 + 6 * k + 2));
				found = true;
			}
		assert_true(found);
	}
	/* Paging: from each algorithm, one at a time. */
	for (uint32_t i = 0; i < n; i++) {
		uint16_t alg = tpm_be16(husk_list + 6 * i);

		assert_int_equal(husk_cap(TPM_CAP_ALGS, alg, 1), 0);
		assert_int_equal(list_count(), 1);
		assert_memory_equal(host.rsp + CAP_AT + 4, husk_list + 6 * i, 6);
		assert_int_equal(more_data(), i + 1 < n);
	}
	/* TPM_ALG_ID is 16 bits: the property is cut to them, as libtpms does. */
	assert_int_equal(husk_cap(TPM_CAP_ALGS, 0x10000 | TPM_ALG_SHA256, 1), 0);
	assert_int_equal(tpm_be16(host.rsp + CAP_AT + 4), TPM_ALG_SHA256);
	assert_int_equal(husk_cap(TPM_CAP_ALGS, 0xffff, 10), 0);
	assert_int_equal(list_count(), 0);
	assert_false(more_data());
}

static void test_commands(void **state)
{
	uint32_t all[256], n, got = 0, next = 0;

	(void)state;
	assert_int_equal(husk_cap(TPM_CAP_COMMANDS, 0, 1000), 0);
	assert_false(more_data());
	n = list_count();
	assert_int_equal(n, tpm_cmd_count());
	assert_true(n <= 256);
	for (uint32_t i = 0; i < n; i++) {
		const struct tpm_cmd_desc *d = tpm_cmd_at(i);

		all[i] = tpm_be32(host.rsp + CAP_AT + 4 + 4 * i);
		assert_int_equal(all[i], tpm_cmd_attributes(d));
		assert_int_equal(all[i] & 0xffff, d->cc);
		assert_int_equal((all[i] >> TPMA_CC_CHANDLES_SHIFT) & 7, d->in_handles);
		/* The table is searched by bisection: strictly ascending. */
		if (i)
			assert_true((all[i] & 0xffff) > (all[i - 1] & 0xffff));
		assert_ptr_equal(tpm_cmd_lookup(d->cc), d);
	}
	assert_true(property(TPM_PT_TOTAL_COMMANDS) == n);
	assert_true(property(TPM_PT_LIBRARY_COMMANDS) == n);
	/* Paging by 7 gives the same list. */
	for (;;) {
		uint32_t k;

		assert_int_equal(husk_cap(TPM_CAP_COMMANDS, next, 7), 0);
		k = list_count();
		for (uint32_t i = 0; i < k; i++)
			assert_int_equal(tpm_be32(host.rsp + CAP_AT + 4 + 4 * i), all[got + i]);
		got += k;
		if (!more_data())
			break;
		assert_int_equal(k, 7);
		next = (all[got - 1] & 0xffff) + 1;
	}
	assert_int_equal(got, n);
	/* Nothing from vendor or out-of-range codes; count 0 */
	assert_int_equal(husk_cap(TPM_CAP_COMMANDS, 0x20000000, 10), 0);
	assert_int_equal(list_count(), 0);
	assert_int_equal(husk_cap(TPM_CAP_COMMANDS, 0x10000, 10), 0);
	assert_int_equal(list_count(), 0);
	assert_int_equal(husk_cap(TPM_CAP_COMMANDS, 0, 0), 0);
	assert_int_equal(list_count(), 0);
	assert_true(more_data());
	/* No physical presence or audited commands. */
	assert_int_equal(husk_cap(TPM_CAP_PP_COMMANDS, 0, 10), 0);
	assert_int_equal(tpm_be32(host.rsp + 11), TPM_CAP_PP_COMMANDS);
	assert_int_equal(list_count(), 0);
	assert_int_equal(husk_cap(TPM_CAP_AUDIT_COMMANDS, 0, 10), 0);
	assert_int_equal(list_count(), 0);
}

static void test_properties(void **state)
{
	uint32_t fixed[64][2], nfixed = 0, v, pt = 0;

	(void)state;
	/* The fixed group in one go, then a page at a time. */
	assert_int_equal(husk_cap(TPM_CAP_TPM_PROPERTIES, 0, 1000), 0);
	assert_false(more_data());
	nfixed = list_count();
	assert_true(nfixed > 40 && nfixed <= 64);
	for (uint32_t i = 0; i < nfixed; i++) {
		fixed[i][0] = tpm_be32(host.rsp + CAP_AT + 4 + 8 * i);
		fixed[i][1] = tpm_be32(host.rsp + CAP_AT + 4 + 8 * i + 4);
		assert_true(fixed[i][0] >= TPM_PT_FIXED && fixed[i][0] < TPM_PT_VAR);
	}
	for (uint32_t i = 0, start = TPM_PT_FIXED; i < nfixed; i += 3) {
		uint32_t k;

		assert_int_equal(husk_cap(TPM_CAP_TPM_PROPERTIES, start, 3), 0);
		k = list_count();
		assert_int_equal(k, nfixed - i < 3 ? nfixed - i : 3);
		assert_int_equal(more_data(), i + k < nfixed);
		for (uint32_t j = 0; j < k; j++)
			assert_int_equal(tpm_be32(host.rsp + CAP_AT + 4 + 8 * j), fixed[i + j][0]);
		start = fixed[i + k - 1][0] + 1;
	}
	/* Values */
	assert_int_equal(property(TPM_PT_FAMILY_INDICATOR), 0x322e3000);
	assert_int_equal(property(TPM_PT_LEVEL), 0);
	assert_int_equal(property(TPM_PT_REVISION), HUSK_TPM_SPEC_REVISION);
	assert_int_equal(property(TPM_PT_MANUFACTURER), TPM_MANUFACTURER_HUSK);
	assert_int_equal(property(TPM_PT_VENDOR_STRING_1), 0x6875736b);
	assert_int_equal(property(TPM_PT_FIRMWARE_VERSION_1), TPM_FIRMWARE_V1);
	assert_int_equal(property(TPM_PT_INPUT_BUFFER), 1024);
	assert_int_equal(property(TPM_PT_HR_TRANSIENT_MIN), TPM_MAX_OBJECTS);
	assert_int_equal(property(TPM_PT_HR_PERSISTENT_MIN), TPM_MAX_PERSISTENT);
	assert_int_equal(property(TPM_PT_HR_LOADED_MIN), TPM_MAX_SESSIONS);
	assert_int_equal(property(TPM_PT_PCR_COUNT), 24);
	assert_int_equal(property(TPM_PT_PCR_SELECT_MIN), 3);
	assert_int_equal(property(TPM_PT_NV_INDEX_MAX), TPM_NV_INDEX_MAX);
	assert_int_equal(property(TPM_PT_MAX_COMMAND_SIZE), 4096);
	assert_int_equal(property(TPM_PT_MAX_RESPONSE_SIZE), 4096);
	assert_int_equal(property(TPM_PT_MAX_DIGEST), 64);
	assert_int_equal(property(TPM_PT_NV_BUFFER_MAX), 1024);
	assert_int_equal(property(TPM_PT_MAX_CAP_BUFFER), 1024);
	assert_int_equal(property(TPM_PT_CONTEXT_SYM), TPM_ALG_AES);
	/* A property husk does not define: the next one comes back. */
	assert_int_equal(husk_cap(TPM_CAP_TPM_PROPERTIES, TPM_PT_CONTEXT_GAP_MAX + 1, 1), 0);
	assert_int_equal(tpm_be32(host.rsp + CAP_AT + 4), TPM_PT_NV_COUNTERS_MAX);
	/* The variable group is separate: the fixed one ends without moreData. */
	assert_int_equal(husk_cap(TPM_CAP_TPM_PROPERTIES, TPM_PT_MAX_CAP_BUFFER, 5), 0);
	assert_int_equal(list_count(), 1);
	assert_false(more_data());
	assert_int_equal(husk_cap(TPM_CAP_TPM_PROPERTIES, TPM_PT_VAR, 1000), 0);
	assert_false(more_data());
	assert_int_equal(list_count(), TPM_PT_AUDIT_COUNTER_1 - TPM_PT_VAR + 1);
	while (pt <= TPM_PT_AUDIT_COUNTER_1 - TPM_PT_VAR) {
		assert_true(find_property(TPM_PT_VAR + pt, &v));
		pt++;
	}
	assert_int_equal(husk_cap(TPM_CAP_TPM_PROPERTIES, TPM_PT_VAR, 0), 0);
	assert_int_equal(list_count(), 0);
	assert_true(more_data());
}

static void test_variable_properties(void **state)
{
	uint32_t owner = TPM_RH_OWNER;
	struct tb p;

	(void)state;
	assert_int_equal(property(TPM_PT_PERMANENT), TPMA_PERMANENT_TPMGENERATEDEPS);
	assert_int_equal(property(TPM_PT_STARTUP_CLEAR),
			 TPMA_STARTUP_CLEAR_PHENABLE | TPMA_STARTUP_CLEAR_SHENABLE | TPMA_STARTUP_CLEAR_EHENABLE |
				 TPMA_STARTUP_CLEAR_PHENABLENV | TPMA_STARTUP_CLEAR_ORDERLY);
	assert_int_equal(property(TPM_PT_HR_TRANSIENT_AVAIL), TPM_MAX_OBJECTS);
	assert_int_equal(property(TPM_PT_HR_LOADED), 0);
	assert_int_equal(property(TPM_PT_HR_LOADED_AVAIL), TPM_MAX_SESSIONS);
	assert_int_equal(property(TPM_PT_HR_ACTIVE_AVAIL), TPM_MAX_SESSIONS);
	assert_int_equal(property(TPM_PT_HR_PERSISTENT_AVAIL), TPM_MAX_PERSISTENT);
	assert_int_equal(property(TPM_PT_MAX_AUTH_FAIL), TPM_DA_DEFAULT_MAX_TRIES);
	assert_int_equal(property(TPM_PT_LOCKOUT_INTERVAL), TPM_DA_DEFAULT_RECOVERY);
	assert_int_equal(property(TPM_PT_LOCKOUT_RECOVERY), TPM_DA_DEFAULT_LOCKOUT_REC);
	assert_int_equal(property(TPM_PT_LOCKOUT_COUNTER), 0);

	/* An owner auth value shows in TPMA_PERMANENT. */
	tb_reset(&p);
	tb_2b(&p, "owner", 5);
	assert_int_equal(tpm_host_call(&host, TPM_CC_HierarchyChangeAuth, &owner, 1, true, "", p.b, p.n), 0);
	assert_int_equal(property(TPM_PT_PERMANENT), TPMA_PERMANENT_TPMGENERATEDEPS | TPMA_PERMANENT_OWNERAUTHSET);

	/* Sessions: loaded, then one saved. */
	{
		uint32_t h[2] = { TPM_RH_NULL, TPM_RH_NULL }, s1, s2;

		tb_reset(&p);
		tb_2b(&p, "0123456789abcdef", 16);
		tb_u16(&p, 0);
		tb_u8(&p, TPM_SE_HMAC);
		tb_u16(&p, TPM_ALG_NULL);
		tb_u16(&p, TPM_ALG_SHA256);
		assert_int_equal(tpm_host_call(&host, TPM_CC_StartAuthSession, h, 2, false, NULL, p.b, p.n), 0);
		s1 = tpm_be32(host.rsp + 10);
		p.b[2 + 16 + 2] = TPM_SE_POLICY;
		assert_int_equal(tpm_host_call(&host, TPM_CC_StartAuthSession, h, 2, false, NULL, p.b, p.n), 0);
		s2 = tpm_be32(host.rsp + 10);
		assert_int_equal(property(TPM_PT_HR_LOADED), 2);
		assert_int_equal(property(TPM_PT_HR_LOADED_AVAIL), TPM_MAX_SESSIONS - 2);
		assert_int_equal(property(TPM_PT_HR_ACTIVE), 2);
		assert_int_equal(husk_cap(TPM_CAP_HANDLES, TPM_HR_HMAC_SESSION, 10), 0);
		assert_int_equal(list_count(), 2);
		assert_int_equal(tpm_be32(host.rsp + CAP_AT + 4), s1);
		assert_int_equal(tpm_be32(host.rsp + CAP_AT + 8), s2);
		assert_int_equal(husk_cap(TPM_CAP_HANDLES, TPM_HR_HMAC_SESSION, 1), 0);
		assert_int_equal(list_count(), 1);
		assert_true(more_data());
		tb_reset(&p);
		assert_int_equal(tpm_host_call(&host, TPM_CC_ContextSave, &s2, 1, false, NULL, NULL, 0), 0);
		assert_int_equal(husk_cap(TPM_CAP_HANDLES, TPM_HR_POLICY_SESSION, 10), 0);
		assert_int_equal(list_count(), 1);
		assert_int_equal(tpm_be32(host.rsp + CAP_AT + 4), s2);
		assert_int_equal(husk_cap(TPM_CAP_HANDLES, TPM_HR_HMAC_SESSION, 10), 0);
		assert_int_equal(list_count(), 1);
		assert_int_equal(property(TPM_PT_HR_ACTIVE), 2);
		assert_int_equal(property(TPM_PT_HR_LOADED), 1);
	}
	/* An NV counter index */
	{
		tb_reset(&p);
		tb_2b(&p, "", 0);
		tb_begin(&p);
		tb_u32(&p, 0x01000100);
		tb_u16(&p, TPM_ALG_SHA256);
		tb_u32(&p, TPMA_NV_OWNERWRITE | TPMA_NV_OWNERREAD | TPMA_NV_NO_DA |
				   (TPM_NT_COUNTER << TPMA_NV_TPM_NT_SHIFT));
		tb_2b(&p, "", 0);
		tb_u16(&p, 8);
		tb_end(&p);
		assert_int_equal(tpm_host_call(&host, TPM_CC_NV_DefineSpace, &owner, 1, true, "owner", p.b, p.n), 0);
		tb_reset(&p);
		tb_2b(&p, "", 0);
		tb_begin(&p);
		tb_u32(&p, 0x01000080);
		tb_u16(&p, TPM_ALG_SHA256);
		tb_u32(&p, TPMA_NV_OWNERWRITE | TPMA_NV_OWNERREAD | TPMA_NV_NO_DA);
		tb_2b(&p, "", 0);
		tb_u16(&p, 8);
		tb_end(&p);
		assert_int_equal(tpm_host_call(&host, TPM_CC_NV_DefineSpace, &owner, 1, true, "owner", p.b, p.n), 0);
		assert_int_equal(property(TPM_PT_HR_NV_INDEX), 2);
		assert_int_equal(property(TPM_PT_NV_COUNTERS), 1);
		assert_int_equal(property(TPM_PT_NV_COUNTERS_AVAIL), TPM_MAX_NV_INDICES - 2);
		/* listed in ascending order, from any start */
		assert_int_equal(husk_cap(TPM_CAP_HANDLES, TPM_HR_NV_INDEX, 10), 0);
		assert_int_equal(list_count(), 2);
		assert_int_equal(tpm_be32(host.rsp + CAP_AT + 4), 0x01000080);
		assert_int_equal(tpm_be32(host.rsp + CAP_AT + 8), 0x01000100);
		assert_int_equal(husk_cap(TPM_CAP_HANDLES, 0x01000081, 10), 0);
		assert_int_equal(list_count(), 1);
		assert_int_equal(tpm_be32(host.rsp + CAP_AT + 4), 0x01000100);
		assert_int_equal(husk_cap(TPM_CAP_HANDLES, TPM_HR_NV_INDEX, 1), 0);
		assert_true(more_data());
	}
	/* Transient and persistent objects */
	{
		struct tb k;
		uint32_t obj, evict[2] = { TPM_RH_OWNER, 0 };
		uint8_t key[16] = { 1, 2, 3 };

		fx_keyedhash(&k, key, sizeof(key), TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_SIGN_ENCRYPT,
				   TPM_ALG_HMAC, TPM_ALG_SHA256, TPM_RH_NULL, true);
		assert_int_equal(tpm_host_call(&host, TPM_CC_LoadExternal, NULL, 0, false, NULL, k.b, k.n), 0);
		obj = tpm_be32(host.rsp + 10);
		assert_int_equal(property(TPM_PT_HR_TRANSIENT_AVAIL), TPM_MAX_OBJECTS - 1);
		assert_int_equal(husk_cap(TPM_CAP_HANDLES, TPM_HR_TRANSIENT, 10), 0);
		assert_int_equal(list_count(), 1);
		assert_int_equal(tpm_be32(host.rsp + CAP_AT + 4), obj);
		assert_int_equal(husk_cap(TPM_CAP_HANDLES, obj + 1, 10), 0);
		assert_int_equal(list_count(), 0);
		/* A primary key made persistent */
		{
			tb_reset(&p);
			tb_u16(&p, 4);
			tb_u32(&p, 0);
			tb_begin(&p);
			tb_u16(&p, TPM_ALG_KEYEDHASH);
			tb_u16(&p, TPM_ALG_SHA256);
			tb_u32(&p, TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN |
					   TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_SIGN_ENCRYPT);
			tb_u16(&p, 0);
			tb_u16(&p, TPM_ALG_HMAC);
			tb_u16(&p, TPM_ALG_SHA256);
			tb_u16(&p, 0);
			tb_end(&p);
			tb_u16(&p, 0);
			tb_u32(&p, 0);
			assert_int_equal(tpm_host_call(&host, TPM_CC_CreatePrimary, &owner, 1, true, "owner", p.b, p.n), 0);
			evict[1] = tpm_be32(host.rsp + 10);
		}
		tb_reset(&p);
		tb_u32(&p, 0x81000005);
		assert_int_equal(tpm_host_call(&host, TPM_CC_EvictControl, evict, 2, true, "owner", p.b, p.n), 0);
		assert_int_equal(property(TPM_PT_HR_PERSISTENT), 1);
		assert_int_equal(property(TPM_PT_HR_PERSISTENT_AVAIL), TPM_MAX_PERSISTENT - 1);
		assert_int_equal(husk_cap(TPM_CAP_HANDLES, TPM_HR_PERSISTENT, 10), 0);
		assert_int_equal(list_count(), 1);
		assert_int_equal(tpm_be32(host.rsp + CAP_AT + 4), 0x81000005);
		assert_int_equal(husk_cap(TPM_CAP_HANDLES, 0x81000006, 10), 0);
		assert_int_equal(list_count(), 0);
	}
	/* Hierarchy policies: an owner policy appears with its hash. */
	{
		uint8_t pol[32];

		memset(pol, 0xab, sizeof(pol));
		tb_reset(&p);
		tb_2b(&p, pol, 32);
		tb_u16(&p, TPM_ALG_SHA256);
		assert_int_equal(tpm_host_call(&host, TPM_CC_SetPrimaryPolicy, &owner, 1, true, "owner", p.b, p.n), 0);
		assert_int_equal(husk_cap(TPM_CAP_AUTH_POLICIES, TPM_RH_OWNER, 1), 0);
		assert_int_equal(list_count(), 1);
		assert_true(more_data());
		assert_int_equal(tpm_be32(host.rsp + CAP_AT + 4), TPM_RH_OWNER);
		assert_int_equal(tpm_be16(host.rsp + CAP_AT + 8), TPM_ALG_SHA256);
		assert_memory_equal(host.rsp + CAP_AT + 10, pol, 32);
	}
}

static void test_pcrs_and_curves(void **state)
{
	(void)state;
	/* All four banks, SHA-512 not allocated */
	assert_int_equal(husk_cap(TPM_CAP_PCRS, 0, 1), 0);
	assert_false(more_data());
	assert_int_equal(list_count(), 4);
	for (unsigned b = 0; b < 4; b++) {
		const uint8_t *e = host.rsp + CAP_AT + 4 + 6 * b;
		uint8_t want = b < 3 ? 0xff : 0;

		assert_int_equal(tpm_be16(e), tpm_bank_alg(b));
		assert_int_equal(e[2], 3);
		assert_int_equal(e[3], want);
		assert_int_equal(e[4], want);
		assert_int_equal(e[5], want);
	}
	/* PCR properties from an undefined tag: the next defined ones */
	assert_int_equal(husk_cap(TPM_CAP_PCR_PROPERTIES, 0x0b, 10), 0);
	assert_int_equal(list_count(), 1);
	assert_int_equal(tpm_be32(host.rsp + CAP_AT + 4), TPM_PT_PCR_NO_INCREMENT);
	assert_int_equal(husk_cap(TPM_CAP_PCR_PROPERTIES, 0, 100), 0);
	assert_int_equal(list_count(), 12);
	assert_false(more_data());
	assert_int_equal(husk_cap(TPM_CAP_PCR_PROPERTIES, 0, 3), 0);
	assert_true(more_data());
	assert_int_equal(husk_cap(TPM_CAP_PCR_PROPERTIES, 0x12, 3), 0);
	assert_int_equal(list_count(), 0);
	/* Curves */
	assert_int_equal(husk_cap(TPM_CAP_ECC_CURVES, 0, 10), 0);
	assert_int_equal(list_count(), 3);
	assert_int_equal(tpm_be16(host.rsp + CAP_AT + 4), TPM_ECC_NIST_P256);
	assert_int_equal(tpm_be16(host.rsp + CAP_AT + 8), TPM_ECC_NIST_P521);
	assert_int_equal(husk_cap(TPM_CAP_ECC_CURVES, TPM_ECC_NIST_P384, 1), 0);
	assert_int_equal(list_count(), 1);
	assert_true(more_data());
	assert_int_equal(tpm_be16(host.rsp + CAP_AT + 4), TPM_ECC_NIST_P384);
	assert_int_equal(husk_cap(TPM_CAP_ECC_CURVES, 0x10000 | TPM_ECC_NIST_P521, 5), 0);
	assert_int_equal(list_count(), 1);
	assert_int_equal(property(TPM_PT_LOADED_CURVES), 3);
}

static void test_response_sizes(void **state)
{
	(void)state;
	/* Whatever is asked, capabilityData stays within TPM_MAX_CAP_BUFFER. */
	for (uint32_t cap = 0; cap <= TPM_CAP_AUTH_POLICIES; cap++) {
		uint32_t prop = cap == TPM_CAP_HANDLES || cap == TPM_CAP_AUTH_POLICIES ? 0x40000000 : 0;

		if (cap == TPM_CAP_TPM_PROPERTIES)
			prop = TPM_PT_FIXED;
		assert_int_equal(husk_cap(cap, prop, 0xffffffff), 0);
		assert_true(host.rsp_len - 11 <= TPM_MAX_CAP_BUFFER);
		assert_int_equal(tpm_be32(host.rsp + 11), cap);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_errors, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_same_as_libtpms, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_algorithms, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_commands, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_properties, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_variable_properties, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_pcrs_and_curves, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_response_sizes, setup, fx_teardown),
	};
	return cmocka_run_group_tests_name("tpm_cap", tests, NULL, NULL);
}
