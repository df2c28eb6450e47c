/* libFuzzer target: husk's whole TPM engine, as a hostile guest (commands)
 * or a damaged store (NV state blobs) would drive it.
 *
 * One context for the whole run, with deterministic entropy and a fake
 * clock.  Each input starts from the same NV state (loaded from the blob
 * saved after manufacture), powers on and runs Startup(CLEAR), so an input
 * replays alone.  The first byte picks the mode:
 *
 *   mode & 3 == 0, 1   commands: the rest is a list of records
 *                        u16 header: bits 0-11 length, 12-14 locality
 *                                    (5-7 mean 0), bit 15 "patch the
 *                                    command's size field to the length"
 *                        then that many bytes of command
 *   mode & 3 == 2      commands as above, then Shutdown-less power loss,
 *                      save, load, save: the two saves must be identical
 *   mode & 3 == 3      an NV state blob: with mode & 4 fed as is, else with
 *                      its length field and SHA-256 trailer made valid (so
 *                      the fuzzer gets past the checksum); a loaded state
 *                      must save, and the engine must run on it
 *
 * Every response must be well formed: size field == bytes written, 10 <=
 * size <= 4096, a valid tag (TPM_ST_RSP_COMMAND only with TPM_RC_BAD_TAG),
 * error responses exactly 10 bytes, a success answering in the command's
 * tag.  After each input the engine's memory must be back where it was. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../common/tpm_host.h"
#include "husk/err.h"
#include "tpm/tpm_internal.h"

#define MAX_COMMANDS 48

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct tpm_host host;
static uint8_t *base_blob;
static size_t base_len, base_mem;
static bool ready;

#define CHECK(cond)                     \
	do {                            \
		if (!(cond))            \
			__builtin_trap(); \
	} while (0)

/* The engine's allocations with one spare byte: tpm_alloc(0) returns a
 * pointer just past its header, which LeakSanitizer would not count as a
 * reference to the block (libFuzzer checks for leaks after inputs that
 * allocated more than they freed, and the NV state outlives an input). */
static void *fuzz_calloc(void *ctx, size_t n, size_t size)
{
	(void)ctx;
	if (size && n > (SIZE_MAX - 1) / size)
		return NULL;
	return calloc(1, n * size + 1);
}

static void init_once(void)
{
	if (ready)
		return;
	CHECK(tpm_host_init(&host, 0x46555a5a54504dull) == HUSK_OK);
	host.tpm->env.calloc = fuzz_calloc;
	host.use_fake_clock = true;
	host.fake_ms = 1000;
	CHECK(tpm_power_off(host.tpm) == HUSK_OK);
	CHECK(tpm_state_save(host.tpm, &base_blob, &base_len) == HUSK_OK);
	CHECK(tpm_state_load(host.tpm, base_blob, base_len) == HUSK_OK);
	base_mem = tpm_memory_used(host.tpm);
	ready = true;
}

/* Back to the state after manufacture, powered off. */
static void reset_state(void)
{
	(void)tpm_power_off(host.tpm); /* fails only if already off */
	CHECK(tpm_state_load(host.tpm, base_blob, base_len) == HUSK_OK);
	/* Everything volatile is gone: no allocation may be left over. */
	CHECK(tpm_memory_used(host.tpm) == base_mem);
}

static void check_response(const uint8_t *cmd, size_t cmd_len)
{
	const uint8_t *r = host.rsp;
	size_t n = host.rsp_len;
	uint16_t tag;
	uint32_t rc;

	CHECK(n >= 10 && n <= TPM_BUFFER_MAX);
	CHECK(tpm_be32(r + 2) == n);
	tag = tpm_be16(r);
	rc = tpm_be32(r + 6);
	CHECK(tag == TPM_ST_NO_SESSIONS || tag == TPM_ST_SESSIONS || tag == TPM_ST_RSP_COMMAND);
	if (tag == TPM_ST_RSP_COMMAND)
		CHECK(rc == TPM_RC_BAD_TAG);
	if (rc != TPM_RC_SUCCESS) {
		CHECK(n == 10);
		CHECK(tag != TPM_ST_SESSIONS);
	} else {
		/* Success answers in the command's tag. */
		CHECK(cmd_len >= 2 && tag == tpm_be16(cmd));
	}
}

static void send(const uint8_t *cmd, size_t len, uint8_t locality)
{
	host.fake_ms += 7;
	CHECK(tpm_process(host.tpm, cmd, len, locality, host.rsp, sizeof(host.rsp), &host.rsp_len) ==
	      HUSK_OK);
	check_response(cmd, len);
}

static void power_up(void)
{
	static const uint8_t startup[] = { 0x80, 0x01, 0, 0, 0, 12, 0, 0, 0x01, 0x44, 0, 0 };

	CHECK(tpm_power_on(host.tpm) == HUSK_OK);
	send(startup, sizeof(startup), 0);
	CHECK(tpm_be32(host.rsp + 6) == TPM_RC_SUCCESS);
}

static void run_commands(const uint8_t *p, size_t n)
{
	for (unsigned i = 0; i < MAX_COMMANDS && n >= 2; i++) {
		uint16_t hdr = tpm_be16(p);
		size_t len = hdr & 0x0fff;
		uint8_t loc = (hdr >> 12) & 7;
		uint8_t *cmd;

		p += 2;
		n -= 2;
		if (len > n)
			len = n;
		/* An exact-size copy, so that ASan sees any read beyond it. */
		cmd = malloc(len ? len : 1);
		CHECK(cmd != NULL);
		memcpy(cmd, p, len);
		if ((hdr & 0x8000) && len >= 6)
			tpm_put_be32(cmd + 2, (uint32_t)len);
		send(cmd, len, loc > 4 ? 0 : loc);
		free(cmd);
		p += len;
		n -= len;
	}
}

/* After any command sequence the NV state must save, load back and save
 * to the same bytes. */
static void state_round_trip(void)
{
	uint8_t *a, *b;
	size_t alen, blen;

	(void)tpm_power_off(host.tpm);
	CHECK(tpm_state_save(host.tpm, &a, &alen) == HUSK_OK);
	CHECK(tpm_state_load(host.tpm, a, alen) == HUSK_OK);
	CHECK(tpm_state_save(host.tpm, &b, &blen) == HUSK_OK);
	CHECK(alen == blen && memcmp(a, b, alen) == 0);
	tpm_state_free(host.tpm, a, alen);
	tpm_state_free(host.tpm, b, blen);
}

/* Commands that touch every NV index and persistent object of a loaded
 * state: a strange but loadable state must not upset the engine. */
static void exercise_loaded_state(void)
{
	struct tpm_persistent *nv = &host.tpm->nv;
	uint32_t handles[TPM_MAX_NV_INDICES + TPM_MAX_PERSISTENT];
	unsigned count = 0;

	for (uint32_t i = 0; i < nv->nv_count; i++)
		handles[count++] = nv->nv[i].handle;
	for (uint32_t i = 0; i < nv->persistent_count; i++)
		handles[count++] = nv->persistent[i].handle;
	for (unsigned i = 0; i < count; i++) {
		uint8_t cmd[14] = { 0x80, 0x01, 0, 0, 0, 14, 0, 0, 0x01, 0x73 }; /* ReadPublic */

		tpm_put_be32(cmd + 10, handles[i]);
		if ((handles[i] >> TPM_HR_SHIFT) == TPM_HT_NV_INDEX)
			cmd[9] = 0x69; /* NV_ReadPublic */
		send(cmd, sizeof(cmd), 0);
	}
}

static void run_state(const uint8_t *p, size_t n, bool raw)
{
	uint8_t *blob;
	size_t len;
	int err;

	(void)tpm_power_off(host.tpm);
	if (raw) {
		len = n;
		blob = malloc(len ? len : 1);
		CHECK(blob != NULL);
		memcpy(blob, p, n);
	} else {
		struct tpm_part part = { NULL, n };

		len = n + 32;
		blob = malloc(len);
		CHECK(blob != NULL);
		memcpy(blob, p, n);
		if (n >= 16)
			tpm_put_be32(blob + 12, (uint32_t)len);
		part.p = blob;
		CHECK(tpm_hash_parts(TPM_ALG_SHA256, &part, 1, blob + n) == TPM_RC_SUCCESS);
	}
	err = tpm_state_load(host.tpm, blob, len);
	free(blob);
	if (err) {
		CHECK(err == HUSK_ERR_FORMAT);
		return;
	}
	state_round_trip();
	power_up();
	exercise_loaded_state();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t mode;

	init_once();
	reset_state();
	if (size == 0)
		return 0;
	mode = data[0];
	if ((mode & 3) == 3) {
		run_state(data + 1, size - 1, mode & 4);
		return 0;
	}
	power_up();
	run_commands(data + 1, size - 1);
	if ((mode & 3) == 2)
		state_round_trip();
	return 0;
}
