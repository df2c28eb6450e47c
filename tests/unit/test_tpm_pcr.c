/* Unit tests of the TPM engine's PCRs (tpm_pcr.c): startup values, extend
 * and event sequences, PCR_Read's selection and iteration rules, reset and
 * extend localities, PCR_Allocate, Shutdown(STATE)/Startup(STATE).  Every
 * command that libtpms also implements runs on both, in process, and the
 * two must agree on response codes and PCR values (the pcrUpdateCounter
 * differs: libtpms starts it at a different value and does not count PCRs
 * 16, 21-23, so only husk's own counting is checked). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "../common/tpm_fixture.h"
#include "mbedtls/md.h"

#define RC_P(rc, n) ((rc) | TPM_RC_P | ((uint32_t)(n) << 8))
#define RC_H(rc, n) ((rc) | TPM_RC_H | ((uint32_t)(n) << 8))

static const uint16_t banks[] = { TPM_ALG_SHA1, TPM_ALG_SHA256, TPM_ALG_SHA384, TPM_ALG_SHA512 };
static const char *const pw_empty[] = { "" };

static int setup(void **state)
{
	(void)state;
	return fx_setup(0x504352ull, FX_HUSK_BANKS);
}

/* ---- sending commands ---- */

static size_t build(uint8_t *cmd, uint32_t cc, const uint32_t *h, unsigned nh, bool auth, const struct tb *p)
{
	return fx_build(cmd, cc, h, nh, pw_empty, auth ? 1 : 0, p);
}

/* Runs a command on husk and libtpms; both must answer rc. */
static void both(uint32_t cc, const uint32_t *h, unsigned nh, bool auth, const struct tb *p, uint32_t rc)
{
	uint8_t cmd[TPM_BUFFER_MAX];

	fx_both_raw(cmd, build(cmd, cc, h, nh, auth, p), rc);
}

static uint32_t husk_call(uint32_t cc, const uint32_t *h, unsigned nh, bool auth, const struct tb *p)
{
	uint8_t cmd[TPM_BUFFER_MAX];
	size_t n = build(cmd, cc, h, nh, auth, p);

	return tpm_host_cmd(&host, cmd, n);
}

/* At a locality other than 0 (husk only: the libtpms harness is fixed at 0). */
static uint32_t husk_at(uint8_t locality, uint32_t cc, const uint32_t *h, unsigned nh, bool auth,
			const struct tb *p)
{
	uint8_t cmd[TPM_BUFFER_MAX];
	size_t n = build(cmd, cc, h, nh, auth, p);

	assert_int_equal(tpm_process(host.tpm, cmd, n, locality, host.rsp, sizeof(host.rsp), &host.rsp_len), 0);
	return tpm_be32(host.rsp + 6);
}

/* Same response bytes, except the pcrUpdateCounter of PCR_Read. */
static void same_read_response(void)
{
	assert_int_equal(host.rsp_len, ref.rsp_len);
	assert_memory_equal(host.rsp, ref.rsp, 10);
	assert_memory_equal(host.rsp + 14, ref.rsp + 14, host.rsp_len - 14);
}

static void sel_one(struct tb *p, uint16_t alg, uint32_t bits)
{
	tb_u16(p, alg);
	tb_u8(p, 3);
	tb_u8(p, (uint8_t)bits);
	tb_u8(p, (uint8_t)(bits >> 8));
	tb_u8(p, (uint8_t)(bits >> 16));
}

static uint32_t pcr_read1(uint16_t alg, uint32_t bits)
{
	struct tb p;

	tb_reset(&p);
	tb_u32(&p, 1);
	sel_one(&p, alg, bits);
	return husk_call(TPM_CC_PCR_Read, NULL, 0, false, &p);
}

static uint32_t husk_counter(void)
{
	struct tb p;

	tb_reset(&p);
	tb_u32(&p, 0);
	assert_int_equal(husk_call(TPM_CC_PCR_Read, NULL, 0, false, &p), 0);
	return tpm_be32(host.rsp + 10);
}

/* Compares every PCR of every bank of husk and libtpms. */
static void compare_all_pcrs(void)
{
	for (size_t b = 0; b < sizeof(banks) / sizeof(banks[0]); b++)
		for (uint32_t first = 0; first < 24; first += 8) {
			struct tb p;

			tb_reset(&p);
			tb_u32(&p, 1);
			sel_one(&p, banks[b], 0xffu << first);
			both(TPM_CC_PCR_Read, NULL, 0, false, &p, 0);
			same_read_response();
		}
}

static void digest_values(struct tb *p, uint32_t count, const uint16_t *algs, uint8_t fill)
{
	tb_u32(p, count);
	for (uint32_t i = 0; i < count; i++) {
		uint8_t d[TPM_MAX_DIGEST];

		memset(d, fill + (uint8_t)i, sizeof(d));
		tb_u16(p, algs[i]);
		tb_bytes(p, d, tpm_hash_size(algs[i]));
	}
}

/* ---- rebooting both TPMs ---- */

static void ref_reboot(uint16_t type)
{
	assert_int_equal(tgt_reboot(&ref, -1, type), 0);
}

static void husk_reboot(uint16_t type)
{
	assert_int_equal(tgt_reboot(&husk, -1, type), 0);
}

/* ---- tests ---- */

static void test_startup_values(void **state)
{
	(void)state;
	compare_all_pcrs();
	/* PCRs 17-22 (D-RTM) start at all ones, the others at zero. */
	assert_int_equal(pcr_read1(TPM_ALG_SHA256, 1u << 17 | 1u << 16), 0);
	assert_int_equal(tpm_be32(host.rsp + 10 + 4 + 4 + 6), 2);
	assert_int_equal(tpm_be16(host.rsp + 28), 32);
	assert_int_equal(host.rsp[30], 0);
	assert_int_equal(host.rsp[30 + 32 + 2], 0xff);
	assert_int_equal(husk_counter(), 0);
}

static void test_extend_sequences(void **state)
{
	uint32_t h;
	struct tb p;

	(void)state;
	/* Extends of every bank and PCR libtpms lets locality 0 extend. */
	for (unsigned round = 0; round < 3; round++)
		for (uint32_t pcr = 0; pcr < 24; pcr++) {
			uint16_t algs[4];
			uint32_t n = 0;

			if (pcr >= 17 && pcr <= 22)
				continue;
			for (unsigned b = 0; b < 4; b++)
				if ((pcr + round + b) % 3 != 0)
					algs[n++] = banks[(b + pcr) % 4];
			tb_reset(&p);
			digest_values(&p, n, algs, (uint8_t)(pcr * 7 + round));
			h = pcr;
			both(TPM_CC_PCR_Extend, &h, 1, true, &p, 0);
		}
	compare_all_pcrs();

	/* The well-known value: PCR 0 SHA-256 extended with 32 bytes 0xaa. */
	tpm_host_fini(&host);
	assert_int_equal(tpm_host_init(&host, 7), 0);
	assert_int_equal(tpm_host_startup(&host, TPM_SU_CLEAR), 0);
	{
		static const uint16_t sha256[] = { TPM_ALG_SHA256 };
		uint8_t want[32];

		tb_reset(&p);
		tb_u32(&p, 1);
		tb_u16(&p, TPM_ALG_SHA256);
		for (int i = 0; i < 32; i++)
			tb_u8(&p, 0xaa);
		h = 0;
		assert_int_equal(husk_call(TPM_CC_PCR_Extend, &h, 1, true, &p), 0);
		assert_int_equal(pcr_read1(sha256[0], 1), 0);
		fx_hex("9ef814b42fa0be12d197c44d3e8e03441a4b1118237658368ba1351090e556ed", want, 32);
		assert_memory_equal(host.rsp + 10 + 4 + 4 + 6 + 4 + 2, want, 32);
	}
}

static void test_extend_errors(void **state)
{
	static const uint16_t two[] = { TPM_ALG_SHA256, TPM_ALG_SHA1 };
	uint32_t h = 0, before;
	struct tb p;

	(void)state;
	/* count beyond the number of hashes */
	tb_reset(&p);
	tb_u32(&p, 5);
	both(TPM_CC_PCR_Extend, &h, 1, true, &p, RC_P(TPM_RC_SIZE, 1));
	/* TPM_ALG_NULL and unknown hashes */
	tb_reset(&p);
	tb_u32(&p, 1);
	tb_u16(&p, TPM_ALG_NULL);
	both(TPM_CC_PCR_Extend, &h, 1, true, &p, RC_P(TPM_RC_HASH, 1));
	tb_reset(&p);
	tb_u32(&p, 1);
	tb_u16(&p, 0x0012); /* SM3 */
	both(TPM_CC_PCR_Extend, &h, 1, true, &p, RC_P(TPM_RC_HASH, 1));
	/* a digest cut short */
	tb_reset(&p);
	tb_u32(&p, 1);
	tb_u16(&p, TPM_ALG_SHA256);
	tb_bytes(&p, "short", 5);
	both(TPM_CC_PCR_Extend, &h, 1, true, &p, RC_P(TPM_RC_INSUFFICIENT, 1));
	/* trailing bytes */
	tb_reset(&p);
	digest_values(&p, 1, two, 1);
	tb_u8(&p, 0);
	both(TPM_CC_PCR_Extend, &h, 1, true, &p, TPM_RC_SIZE);
	/* D-RTM PCRs are not extended at locality 0 */
	tb_reset(&p);
	digest_values(&p, 2, two, 1);
	h = 17;
	both(TPM_CC_PCR_Extend, &h, 1, true, &p, TPM_RC_LOCALITY);
	h = 22;
	both(TPM_CC_PCR_Extend, &h, 1, true, &p, TPM_RC_LOCALITY);
	compare_all_pcrs();
	/* ... but at 2 */
	assert_int_equal(husk_at(2, TPM_CC_PCR_Extend, &h, 1, true, &p), 0);
	h = 18;
	assert_int_equal(husk_at(1, TPM_CC_PCR_Extend, &h, 1, true, &p), TPM_RC_LOCALITY);
	assert_int_equal(husk_at(4, TPM_CC_PCR_Extend, &h, 1, true, &p), 0);
	/* TPM_RH_NULL: accepted, nothing changes */
	before = husk_counter();
	h = TPM_RH_NULL;
	both(TPM_CC_PCR_Extend, &h, 1, true, &p, 0);
	assert_int_equal(husk_counter(), before);
	/* A zero-length list changes nothing either. */
	tb_reset(&p);
	tb_u32(&p, 0);
	h = 3;
	both(TPM_CC_PCR_Extend, &h, 1, true, &p, 0);
	assert_int_equal(husk_counter(), before);
	/* The counter counts every bank extended. */
	tb_reset(&p);
	digest_values(&p, 2, two, 9);
	both(TPM_CC_PCR_Extend, &h, 1, true, &p, 0);
	assert_int_equal(husk_counter(), before + 2);
	h = 23;
	assert_int_equal(husk_call(TPM_CC_PCR_Extend, &h, 1, true, &p), 0);
	assert_int_equal(husk_counter(), before + 4);
	/* Handles outside TPMI_DH_PCR+ and a missing authorization. */
	h = 24;
	both(TPM_CC_PCR_Extend, &h, 1, true, &p, RC_H(TPM_RC_VALUE, 1));
	h = TPM_RH_OWNER;
	both(TPM_CC_PCR_Extend, &h, 1, true, &p, RC_H(TPM_RC_VALUE, 1));
	h = 0;
	both(TPM_CC_PCR_Extend, &h, 1, false, &p, TPM_RC_AUTH_MISSING);
}

static void test_event(void **state)
{
	uint8_t big[TPM_MAX_EVENT + 1];
	uint32_t h = 5, before;
	struct tb p;

	(void)state;
	tb_reset(&p);
	tb_2b(&p, "abc", 3);
	both(TPM_CC_PCR_Event, &h, 1, true, &p, 0);
	fx_same_response();
	/* TPML_DIGEST_VALUES of the four hashes: SHA-1("abc") first. */
	assert_int_equal(tpm_be32(host.rsp + 14), 4);
	assert_int_equal(tpm_be16(host.rsp + 18), TPM_ALG_SHA1);
	assert_int_equal(host.rsp[20], 0xa9);
	before = husk_counter();
	h = TPM_RH_NULL;
	both(TPM_CC_PCR_Event, &h, 1, true, &p, 0);
	fx_same_response();
	assert_int_equal(husk_counter(), before);
	/* Empty and maximal events; one byte more is too much. */
	memset(big, 0x5a, sizeof(big));
	h = 6;
	tb_reset(&p);
	tb_2b(&p, big, 0);
	both(TPM_CC_PCR_Event, &h, 1, true, &p, 0);
	fx_same_response();
	tb_reset(&p);
	tb_2b(&p, big, TPM_MAX_EVENT);
	both(TPM_CC_PCR_Event, &h, 1, true, &p, 0);
	fx_same_response();
	tb_reset(&p);
	tb_2b(&p, big, TPM_MAX_EVENT + 1);
	both(TPM_CC_PCR_Event, &h, 1, true, &p, RC_P(TPM_RC_SIZE, 1));
	h = 20;
	tb_reset(&p);
	tb_2b(&p, "x", 1);
	both(TPM_CC_PCR_Event, &h, 1, true, &p, TPM_RC_LOCALITY);
	compare_all_pcrs();
	assert_int_equal(husk_at(1, TPM_CC_PCR_Event, &h, 1, true, &p), 0);
}

static void test_reset(void **state)
{
	static const uint16_t one[] = { TPM_ALG_SHA256 };
	uint32_t h, before;
	struct tb p;

	(void)state;
	tb_reset(&p);
	digest_values(&p, 1, one, 3);
	for (h = 0; h < 24; h++)
		if (h < 17 || h > 22)
			both(TPM_CC_PCR_Extend, &h, 1, true, &p, 0);
	/* Locality 0 resets 16 and 23 only. */
	for (h = 0; h < 24; h++)
		both(TPM_CC_PCR_Reset, &h, 1, true, NULL, h == 16 || h == 23 ? 0 : TPM_RC_LOCALITY);
	compare_all_pcrs();
	h = TPM_RH_NULL;
	both(TPM_CC_PCR_Reset, &h, 1, true, NULL, RC_H(TPM_RC_VALUE, 1));
	h = 16;
	tb_reset(&p);
	tb_u8(&p, 0);
	both(TPM_CC_PCR_Reset, &h, 1, true, &p, TPM_RC_SIZE);
	/* The D-RTM PCRs: locality 4 resets 17-22 to zero, 2 resets 20-22. */
	before = husk_counter();
	h = 17;
	assert_int_equal(husk_at(2, TPM_CC_PCR_Reset, &h, 1, true, NULL), TPM_RC_LOCALITY);
	assert_int_equal(husk_at(4, TPM_CC_PCR_Reset, &h, 1, true, NULL), 0);
	assert_int_equal(husk_counter(), before + 1);
	assert_int_equal(pcr_read1(TPM_ALG_SHA384, 1u << 17), 0);
	for (int i = 0; i < 48; i++)
		assert_int_equal(host.rsp[10 + 4 + 4 + 6 + 4 + 2 + i], 0);
	h = 21;
	assert_int_equal(husk_at(2, TPM_CC_PCR_Reset, &h, 1, true, NULL), 0);
	h = 16;
	assert_int_equal(husk_at(4, TPM_CC_PCR_Reset, &h, 1, true, NULL), TPM_RC_LOCALITY);
	assert_int_equal(husk_at(3, TPM_CC_PCR_Reset, &h, 1, true, NULL), 0);
}

static void test_read_rules(void **state)
{
	struct tb p;

	(void)state;
	/* 48 PCRs asked: the first 8 come back, the selection says which. */
	tb_reset(&p);
	tb_u32(&p, 2);
	sel_one(&p, TPM_ALG_SHA1, 0xffffff);
	sel_one(&p, TPM_ALG_SHA256, 0xffffff);
	both(TPM_CC_PCR_Read, NULL, 0, false, &p, 0);
	same_read_response();
	assert_int_equal(tpm_be32(host.rsp + 14), 2);
	assert_int_equal(host.rsp[14 + 4 + 3], 0xff);
	assert_int_equal(host.rsp[14 + 4 + 4], 0);
	assert_int_equal(host.rsp[14 + 4 + 6 + 3], 0);
	/* Entries in request order, a bank named twice, empty bitmaps. */
	tb_reset(&p);
	tb_u32(&p, 4);
	sel_one(&p, TPM_ALG_SHA256, 1);
	sel_one(&p, TPM_ALG_SHA1, 0x800002);
	sel_one(&p, TPM_ALG_SHA512, 0);
	sel_one(&p, TPM_ALG_SHA256, 0x100004);
	both(TPM_CC_PCR_Read, NULL, 0, false, &p, 0);
	same_read_response();
	/* Exactly 8 and 9 selected. */
	tb_reset(&p);
	tb_u32(&p, 1);
	sel_one(&p, TPM_ALG_SHA384, 0x0000ff);
	both(TPM_CC_PCR_Read, NULL, 0, false, &p, 0);
	same_read_response();
	tb_reset(&p);
	tb_u32(&p, 2);
	sel_one(&p, TPM_ALG_SHA384, 0x0000ff);
	sel_one(&p, TPM_ALG_SHA512, 0x800000);
	both(TPM_CC_PCR_Read, NULL, 0, false, &p, 0);
	same_read_response();
	/* No selection */
	tb_reset(&p);
	tb_u32(&p, 0);
	both(TPM_CC_PCR_Read, NULL, 0, false, &p, 0);
	same_read_response();
	/* Errors: sizeofSelect other than 3, too many entries, bad hashes,
	 * short input, trailing bytes. */
	for (uint8_t size = 0; size <= 4; size++) {
		if (size == 3)
			continue;
		tb_reset(&p);
		tb_u32(&p, 1);
		tb_u16(&p, TPM_ALG_SHA256);
		tb_u8(&p, size);
		for (uint8_t i = 0; i < size; i++)
			tb_u8(&p, 1);
		both(TPM_CC_PCR_Read, NULL, 0, false, &p, RC_P(TPM_RC_VALUE, 1));
	}
	tb_reset(&p);
	tb_u32(&p, 5);
	for (int i = 0; i < 5; i++)
		sel_one(&p, TPM_ALG_SHA256, 1);
	both(TPM_CC_PCR_Read, NULL, 0, false, &p, RC_P(TPM_RC_SIZE, 1));
	tb_reset(&p);
	tb_u32(&p, 1);
	sel_one(&p, TPM_ALG_NULL, 1);
	both(TPM_CC_PCR_Read, NULL, 0, false, &p, RC_P(TPM_RC_HASH, 1));
	tb_reset(&p);
	tb_u32(&p, 1);
	tb_u16(&p, TPM_ALG_SHA256);
	both(TPM_CC_PCR_Read, NULL, 0, false, &p, RC_P(TPM_RC_INSUFFICIENT, 1));
	tb_reset(&p);
	tb_u32(&p, 1);
	sel_one(&p, TPM_ALG_SHA256, 1);
	tb_u8(&p, 0);
	both(TPM_CC_PCR_Read, NULL, 0, false, &p, TPM_RC_SIZE);
}

static void allocate(uint32_t n, const uint16_t *algs, const uint32_t *bits, uint32_t rc)
{
	uint32_t h = TPM_RH_PLATFORM;
	struct tb p;

	tb_reset(&p);
	tb_u32(&p, n);
	for (uint32_t i = 0; i < n; i++)
		sel_one(&p, algs[i], bits[i]);
	both(TPM_CC_PCR_Allocate, &h, 1, true, &p, rc);
}

static void test_allocate(void **state)
{
	static const uint16_t algs[] = { TPM_ALG_SHA1, TPM_ALG_SHA384, TPM_ALG_SHA512, TPM_ALG_SHA256 };
	static const uint32_t none[] = { 0, 0, 0, 0 };
	static const uint32_t all[] = { 0xffffff, 0xffffff, 0xffffff, 0xffffff };
	static const uint16_t sha1[] = { TPM_ALG_SHA1 };
	uint32_t h = TPM_RH_OWNER;
	uint8_t cap_pcrs[] = { 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 8 };
	struct tb p;

	(void)state;
	/* Everything off: no PCR 0 or 17 left. */
	allocate(4, algs, none, TPM_RC_PCR);
	/* Only the platform may allocate. */
	tb_reset(&p);
	tb_u32(&p, 0);
	both(TPM_CC_PCR_Allocate, &h, 1, true, &p, RC_H(TPM_RC_VALUE, 1));
	/* SHA-256 only: done at the next TPM Reset. */
	allocate(3, algs, none, 0);
	fx_same_response();
	assert_int_equal(host.rsp[14], 1);                      /* allocationSuccess */
	assert_int_equal(tpm_be32(host.rsp + 15), 24);              /* maxPCR */
	assert_int_equal(tpm_be32(host.rsp + 19), 24 * 32);         /* sizeNeeded */
	assert_int_equal(tpm_be32(host.rsp + 23), 24 * (20 + 32 + 48 + 64));
	assert_true(tpm_nv_dirty(host.tpm));
	/* Until then everything stays as it was. */
	tb_reset(&p);
	tb_bytes(&p, cap_pcrs, sizeof(cap_pcrs));
	both(TPM_CC_GetCapability, NULL, 0, false, &p, 0);
	fx_same_response();
	husk_reboot(TPM_SU_CLEAR);
	ref_reboot(TPM_SU_CLEAR);
	both(TPM_CC_GetCapability, NULL, 0, false, &p, 0);
	fx_same_response();
	/* Unallocated banks: read as empty selections, extends ignored. */
	tb_reset(&p);
	tb_u32(&p, 3);
	sel_one(&p, TPM_ALG_SHA1, 0xffffff);
	sel_one(&p, TPM_ALG_SHA256, 0x00000f);
	sel_one(&p, TPM_ALG_SHA512, 0x000001);
	both(TPM_CC_PCR_Read, NULL, 0, false, &p, 0);
	same_read_response();
	tb_reset(&p);
	digest_values(&p, 1, sha1, 4);
	h = 1;
	both(TPM_CC_PCR_Extend, &h, 1, true, &p, 0);
	tb_reset(&p);
	tb_2b(&p, "event", 5);
	both(TPM_CC_PCR_Event, &h, 1, true, &p, 0);
	fx_same_response();
	compare_all_pcrs();
	/* A partial bank: husk allocates whole banks only and says no. */
	{
		static const uint16_t a256[] = { TPM_ALG_SHA256 };
		static const uint32_t low[] = { 0x0300ff };
		uint32_t hp = TPM_RH_PLATFORM;

		tb_reset(&p);
		tb_u32(&p, 1);
		sel_one(&p, a256[0], low[0]);
		assert_int_equal(husk_call(TPM_CC_PCR_Allocate, &hp, 1, true, &p), 0);
		assert_int_equal(host.rsp[14], 0);
		assert_int_equal(tpm_be32(host.rsp + 19), 10 * 32);
	}
	/* Back to all four banks; the last entry for a bank wins. */
	allocate(4, algs, all, 0);
	fx_same_response();
	{
		static const uint16_t twice[] = { TPM_ALG_SHA1, TPM_ALG_SHA1 };
		static const uint32_t on_off[] = { 0xffffff, 0 };

		allocate(2, twice, on_off, 0);
		fx_same_response();
		assert_int_equal(tpm_be32(host.rsp + 19), 24 * 32); /* based on the active banks */
	}
	allocate(4, algs, all, 0);
	husk_reboot(TPM_SU_CLEAR);
	ref_reboot(TPM_SU_CLEAR);
	tb_reset(&p);
	tb_bytes(&p, cap_pcrs, sizeof(cap_pcrs));
	both(TPM_CC_GetCapability, NULL, 0, false, &p, 0);
	fx_same_response();
	compare_all_pcrs();
}

static void test_shutdown_state(void **state)
{
	static const uint16_t all4[] = { TPM_ALG_SHA1, TPM_ALG_SHA256, TPM_ALG_SHA384, TPM_ALG_SHA512 };
	uint32_t h, counter;
	struct tb p, sd;

	(void)state;
	tb_reset(&p);
	digest_values(&p, 4, all4, 0x31);
	for (h = 0; h < 24; h++)
		if (h < 17 || h > 22)
			both(TPM_CC_PCR_Extend, &h, 1, true, &p, 0);
	counter = husk_counter();
	tb_reset(&sd);
	tb_u16(&sd, TPM_SU_STATE);
	both(TPM_CC_Shutdown, NULL, 0, false, &sd, 0);
	husk_reboot(TPM_SU_STATE);
	ref_reboot(TPM_SU_STATE);
	/* 0-15 come back; 16 and 23 start over; the counter is restored. */
	compare_all_pcrs();
	assert_int_equal(husk_counter(), counter);
	assert_int_equal(pcr_read1(TPM_ALG_SHA1, 1u << 16 | 1u << 15), 0);
	{
		static const uint8_t zero[20];

		assert_memory_not_equal(host.rsp + 30, zero, 20); /* PCR 15 */
		assert_memory_equal(host.rsp + 52, zero, 20);     /* PCR 16 */
	}
	/* Restart (Startup(CLEAR) after Shutdown(STATE)) resets them all. */
	both(TPM_CC_Shutdown, NULL, 0, false, &sd, 0);
	husk_reboot(TPM_SU_CLEAR);
	ref_reboot(TPM_SU_CLEAR);
	compare_all_pcrs();
	assert_int_equal(husk_counter(), 0);
}

static void test_startup_locality3(void **state)
{
	uint8_t cmd[12] = { 0x80, 0x01, 0, 0, 0, 12, 0, 0, 0x01, 0x44, 0, 0 };

	(void)state;
	assert_int_equal(tpm_power_off(host.tpm), 0);
	assert_int_equal(tpm_power_on(host.tpm), 0);
	assert_int_equal(tpm_process(host.tpm, cmd, sizeof(cmd), 3, host.rsp, sizeof(host.rsp), &host.rsp_len), 0);
	assert_int_equal(tpm_be32(host.rsp + 6), 0);
	/* PC Client: a Startup at locality 3 leaves 3 in PCR 0. */
	assert_int_equal(pcr_read1(TPM_ALG_SHA256, 1), 0);
	assert_int_equal(host.rsp[10 + 4 + 4 + 6 + 4 + 2 + 31], 3);
	assert_int_equal(host.rsp[10 + 4 + 4 + 6 + 4 + 2 + 30], 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_startup_values, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_extend_sequences, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_extend_errors, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_event, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_reset, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_read_rules, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_allocate, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_shutdown_state, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_startup_locality3, setup, fx_teardown),
	};
	return cmocka_run_group_tests_name("tpm_pcr", tests, NULL, NULL);
}
