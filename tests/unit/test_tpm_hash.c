/* Unit tests of the TPM engine's hashing commands (tpm_hash.c): Hash, HMAC,
 * hash/HMAC/event sequences and hash-check tickets.  Digests are checked
 * against published vectors (FIPS 180, RFC 2202, RFC 4231) and against
 * mbedTLS; every command also runs on libtpms, in process, and the two
 * must agree on response codes and on every deterministic output byte
 * (tickets are HMACs with per-TPM proofs, so those are recomputed from
 * husk's proof instead). */
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
#define RC_S(rc, n) ((rc) | TPM_RC_S | ((uint32_t)(n) << 8))

static const uint16_t hash_algs[] = { TPM_ALG_SHA1, TPM_ALG_SHA256, TPM_ALG_SHA384, TPM_ALG_SHA512 };

static int setup(void **state)
{
	(void)state;
	return fx_setup(0x4841534855ull, 0);
}

/* ---- sending a command to both TPMs ---- */

static void both(uint32_t cc, const uint32_t *handles, unsigned nh, const char *const *pws, unsigned npw,
		 const struct tb *p, uint32_t rc)
{
	uint8_t cmd[TPM_BUFFER_MAX];

	fx_both_raw(cmd, fx_build(cmd, cc, handles, nh, pws, npw, p), rc);
}

static void husk_only(uint32_t cc, const uint32_t *handles, unsigned nh, const char *const *pws, unsigned npw,
		      const struct tb *p, uint32_t rc)
{
	assert_int_equal(fx_call(&husk, cc, handles, nh, pws, npw, p), rc);
}

static const char *const pw_empty[] = { "" };
static const char *const pw_seq[] = { "seqpw" };

/* ---- expected values computed with mbedTLS ---- */

#define md fx_md

static const uint8_t *proof_of(uint32_t hier)
{
	switch (hier) {
	case TPM_RH_OWNER: return host.tpm->nv.sh_proof;
	case TPM_RH_ENDORSEMENT: return host.tpm->nv.eh_proof;
	case TPM_RH_PLATFORM: return host.tpm->nv.ph_proof;
	default: return host.tpm->null_proof;
	}
}

/* A TPMT_TK_HASHCHECK at p: tag, hierarchy and HMAC-SHA512(proof,
 * TPM_ST_HASHCHECK || hashAlg || digest); or a NULL ticket. */
static void check_hash_ticket(const uint8_t *p, uint32_t hier, uint16_t alg, const uint8_t *digest)
{
	assert_int_equal(tpm_be16(p), TPM_ST_HASHCHECK);
	assert_int_equal(tpm_be32(p + 2), hier);
	if (hier == TPM_RH_NULL) {
		assert_int_equal(tpm_be16(p + 6), 0);
		return;
	}
	{
		uint8_t msg[4 + TPM_MAX_DIGEST], mac[64];
		size_t dlen = mbedtls_md_get_size(md(alg));

		msg[0] = TPM_ST_HASHCHECK >> 8;
		msg[1] = TPM_ST_HASHCHECK & 0xff;
		msg[2] = (uint8_t)(alg >> 8);
		msg[3] = (uint8_t)alg;
		memcpy(msg + 4, digest, dlen);
		assert_int_equal(mbedtls_md_hmac(md(TPM_ALG_SHA512), proof_of(hier), TPM_PROOF_SIZE, msg, 4 + dlen,
						 mac),
				 0);
		assert_int_equal(tpm_be16(p + 6), 64);
		assert_memory_equal(p + 8, mac, 64);
	}
}

/* ---- Hash ---- */

static void hash_params(struct tb *p, const void *data, size_t len, uint16_t alg, uint32_t hier)
{
	tb_reset(p);
	tb_2b(p, data, len);
	tb_u16(p, alg);
	tb_u32(p, hier);
}

/* Hash on both TPMs; the digest and the ticket's framing must be equal,
 * the ticket's HMAC must be the one husk's proof gives. */
static void hash_both(const void *data, size_t len, uint16_t alg, uint32_t hier, uint32_t ticket_hier)
{
	struct tb p;
	uint8_t want[64];
	size_t dlen = mbedtls_md_get_size(md(alg));

	hash_params(&p, data, len, alg, hier);
	both(TPM_CC_Hash, NULL, 0, NULL, 0, &p, TPM_RC_SUCCESS);
	assert_int_equal(mbedtls_md(md(alg), data, len, want), 0);
	assert_int_equal(tpm_be16(host.rsp + 10), dlen);
	assert_memory_equal(host.rsp + 12, want, dlen);
	/* digest, tag and hierarchy of the ticket, and its size */
	assert_memory_equal(host.rsp, ref.rsp, 12 + dlen + 8);
	check_hash_ticket(host.rsp + 12 + dlen, ticket_hier, alg, want);
	if (ticket_hier == TPM_RH_NULL)
		fx_same_response();
}

static void test_hash_vectors(void **state)
{
	/* FIPS 180-2 "abc" */
	static const char *const abc[] = {
		"a9993e364706816aba3e25717850c26c9cd0d89d",
		"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
		"cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed"
		"8086072ba1e7cc2358baeca134c825a7",
		"ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
		"2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
	};
	uint8_t big[TPM_MAX_BUFFER];
	struct tb p;

	(void)state;
	for (unsigned i = 0; i < 4; i++) {
		uint8_t want[64];
		size_t dlen = mbedtls_md_get_size(md(hash_algs[i]));

		for (size_t k = 0; k < dlen; k++) {
			unsigned v;

			assert_int_equal(sscanf(abc[i] + 2 * k, "%2x", &v), 1);
			want[k] = (uint8_t)v;
		}
		hash_params(&p, "abc", 3, hash_algs[i], TPM_RH_NULL);
		both(TPM_CC_Hash, NULL, 0, NULL, 0, &p, 0);
		assert_memory_equal(host.rsp + 12, want, dlen);
		fx_same_response();

		/* Short data still gets a ticket from Hash (it cannot hold
		 * TPM_GENERATED_VALUE). */
		hash_both("abc", 3, hash_algs[i], TPM_RH_OWNER, TPM_RH_OWNER);
		hash_both("", 0, hash_algs[i], TPM_RH_OWNER, TPM_RH_OWNER);
		for (size_t k = 0; k < sizeof(big); k++)
			big[k] = (uint8_t)(k * 7 + i);
		hash_both(big, sizeof(big), hash_algs[i], TPM_RH_ENDORSEMENT, TPM_RH_ENDORSEMENT);
		hash_both(big, 333, hash_algs[i], TPM_RH_PLATFORM, TPM_RH_PLATFORM);
	}
}

static void test_hash_null_tickets(void **state)
{
	static const uint8_t gen[] = { 0xff, 0x54, 0x43, 0x47, 1, 2, 3 };
	static const uint8_t almost[] = { 0xff, 0x54, 0x43, 0x46, 1, 2, 3 };

	(void)state;
	/* Data that starts with TPM_GENERATED_VALUE gets no ticket. */
	hash_both(gen, sizeof(gen), TPM_ALG_SHA256, TPM_RH_OWNER, TPM_RH_NULL);
	hash_both(gen, 4, TPM_ALG_SHA1, TPM_RH_ENDORSEMENT, TPM_RH_NULL);
	hash_both(almost, sizeof(almost), TPM_ALG_SHA256, TPM_RH_OWNER, TPM_RH_OWNER);
	hash_both(gen, 3, TPM_ALG_SHA256, TPM_RH_OWNER, TPM_RH_OWNER);
	/* Nor does the NULL hierarchy. */
	hash_both("abcd", 4, TPM_ALG_SHA384, TPM_RH_NULL, TPM_RH_NULL);
}

static void test_hash_errors(void **state)
{
	uint8_t big[TPM_MAX_BUFFER + 1] = { 0 };
	struct tb p;

	(void)state;
	hash_params(&p, "abc", 3, TPM_ALG_NULL, TPM_RH_OWNER);
	both(TPM_CC_Hash, NULL, 0, NULL, 0, &p, RC_P(TPM_RC_HASH, 2));
	hash_params(&p, "abc", 3, 0x0099, TPM_RH_OWNER);
	both(TPM_CC_Hash, NULL, 0, NULL, 0, &p, RC_P(TPM_RC_HASH, 2));
	hash_params(&p, "abc", 3, TPM_ALG_SHA256, TPM_RH_LOCKOUT);
	both(TPM_CC_Hash, NULL, 0, NULL, 0, &p, RC_P(TPM_RC_VALUE, 3));
	hash_params(&p, "abc", 3, TPM_ALG_SHA256, 0x80000000);
	both(TPM_CC_Hash, NULL, 0, NULL, 0, &p, RC_P(TPM_RC_VALUE, 3));
	hash_params(&p, big, sizeof(big), TPM_ALG_SHA256, TPM_RH_OWNER);
	both(TPM_CC_Hash, NULL, 0, NULL, 0, &p, RC_P(TPM_RC_SIZE, 1));
	/* truncated parameters and trailing bytes */
	hash_params(&p, "abc", 3, TPM_ALG_SHA256, TPM_RH_OWNER);
	p.n -= 1;
	both(TPM_CC_Hash, NULL, 0, NULL, 0, &p, RC_P(TPM_RC_INSUFFICIENT, 3));
	p.n = 6;
	both(TPM_CC_Hash, NULL, 0, NULL, 0, &p, RC_P(TPM_RC_INSUFFICIENT, 2));
	p.n = 1;
	both(TPM_CC_Hash, NULL, 0, NULL, 0, &p, RC_P(TPM_RC_INSUFFICIENT, 1));
	tb_reset(&p);
	tb_u16(&p, 10);
	tb_bytes(&p, "abc", 3);
	both(TPM_CC_Hash, NULL, 0, NULL, 0, &p, RC_P(TPM_RC_INSUFFICIENT, 1));
	hash_params(&p, "abc", 3, TPM_ALG_SHA256, TPM_RH_OWNER);
	tb_u8(&p, 0);
	both(TPM_CC_Hash, NULL, 0, NULL, 0, &p, TPM_RC_SIZE);
}

/* ---- sequences ---- */

static uint32_t seq_start(const char *auth, uint16_t alg)
{
	struct tb p;
	uint32_t h;

	tb_reset(&p);
	tb_2b(&p, auth, strlen(auth));
	tb_u16(&p, alg);
	both(TPM_CC_HashSequenceStart, NULL, 0, NULL, 0, &p, 0);
	h = tpm_be32(host.rsp + 10);
	assert_int_equal(h, tpm_be32(ref.rsp + 10)); /* both hand out the lowest free slot */
	assert_int_equal(h >> 24, TPM_HT_TRANSIENT);
	return h;
}

static void seq_update(uint32_t h, const void *data, size_t len)
{
	struct tb p;

	tb_reset(&p);
	tb_2b(&p, data, len);
	both(TPM_CC_SequenceUpdate, &h, 1, pw_seq, 1, &p, 0);
	fx_same_response();
}

/* SequenceComplete; checks the digest and the ticket. */
static void seq_complete(uint32_t h, const void *data, size_t len, uint32_t hier, uint16_t alg,
			 const uint8_t *digest, uint32_t ticket_hier)
{
	struct tb p;
	size_t dlen = mbedtls_md_get_size(md(alg)), at;

	tb_reset(&p);
	tb_2b(&p, data, len);
	tb_u32(&p, hier);
	both(TPM_CC_SequenceComplete, &h, 1, pw_seq, 1, &p, 0);
	at = rsp_params_at(host.rsp, false);
	assert_int_equal(tpm_be16(host.rsp + at), dlen);
	assert_memory_equal(host.rsp + at + 2, digest, dlen);
	assert_memory_equal(host.rsp + at, ref.rsp + at, 2 + dlen + 6);
	check_hash_ticket(host.rsp + at + 2 + dlen, ticket_hier, alg, digest);
	if (ticket_hier == TPM_RH_NULL)
		fx_same_response();
	/* The sequence is gone. */
	tb_reset(&p);
	tb_2b(&p, "", 0);
	husk_only(TPM_CC_SequenceUpdate, &h, 1, pw_seq, 1, &p, TPM_RC_REFERENCE_H0);
}

static void test_hash_sequence(void **state)
{
	uint8_t data[3000], want[64];

	(void)state;
	for (size_t k = 0; k < sizeof(data); k++)
		data[k] = (uint8_t)(k ^ (k >> 8));
	for (unsigned i = 0; i < 4; i++) {
		uint16_t alg = hash_algs[i];
		uint32_t h;

		/* Split over several updates, the last piece in Complete. */
		assert_int_equal(mbedtls_md(md(alg), data, sizeof(data), want), 0);
		h = seq_start("seqpw", alg);
		seq_update(h, data, 1000);
		seq_update(h, data + 1000, 1);
		seq_update(h, data + 1001, 0);
		seq_update(h, data + 1001, 1024);
		seq_complete(h, data + 2025, sizeof(data) - 2025, TPM_RH_OWNER, alg, want, TPM_RH_OWNER);

		/* Everything in Complete; NULL hierarchy */
		assert_int_equal(mbedtls_md(md(alg), data, 700, want), 0);
		h = seq_start("seqpw", alg);
		seq_complete(h, data, 700, TPM_RH_NULL, alg, want, TPM_RH_NULL);

		/* No data at all: the empty first block is too short to vouch for. */
		assert_int_equal(mbedtls_md(md(alg), data, 0, want), 0);
		h = seq_start("seqpw", alg);
		seq_complete(h, "", 0, TPM_RH_ENDORSEMENT, alg, want, TPM_RH_NULL);
	}
}

static void test_sequence_ticket_rules(void **state)
{
	static const uint8_t gen[] = { 0xff, 0x54, 0x43, 0x47, 0xaa };
	uint8_t want[64], all[16];
	uint32_t h;

	(void)state;
	/* A first block shorter than TPM_GENERATED_VALUE: no ticket, even if
	 * the rest is harmless. */
	memcpy(all, "abcdef", 6);
	assert_int_equal(mbedtls_md(md(TPM_ALG_SHA256), all, 6, want), 0);
	h = seq_start("seqpw", TPM_ALG_SHA256);
	seq_update(h, "ab", 2);
	seq_complete(h, "cdef", 4, TPM_RH_OWNER, TPM_ALG_SHA256, want, TPM_RH_NULL);
	/* The same data split at 4 bytes does get one. */
	h = seq_start("seqpw", TPM_ALG_SHA256);
	seq_update(h, "abcd", 4);
	seq_complete(h, "ef", 2, TPM_RH_OWNER, TPM_ALG_SHA256, want, TPM_RH_OWNER);
	/* An empty first update counts as the first block. */
	h = seq_start("seqpw", TPM_ALG_SHA256);
	seq_update(h, "", 0);
	seq_complete(h, "abcdef", 6, TPM_RH_OWNER, TPM_ALG_SHA256, want, TPM_RH_NULL);
	/* Only Complete: its data is the first block. */
	assert_int_equal(mbedtls_md(md(TPM_ALG_SHA1), all, 3, want), 0);
	h = seq_start("seqpw", TPM_ALG_SHA1);
	seq_complete(h, "abc", 3, TPM_RH_OWNER, TPM_ALG_SHA1, want, TPM_RH_NULL);
	/* TPM_GENERATED_VALUE first: no ticket; later: ticket. */
	assert_int_equal(mbedtls_md(md(TPM_ALG_SHA256), gen, sizeof(gen), want), 0);
	h = seq_start("seqpw", TPM_ALG_SHA256);
	seq_update(h, gen, sizeof(gen));
	seq_complete(h, "", 0, TPM_RH_OWNER, TPM_ALG_SHA256, want, TPM_RH_NULL);
	h = seq_start("seqpw", TPM_ALG_SHA256);
	seq_complete(h, gen, sizeof(gen), TPM_RH_PLATFORM, TPM_ALG_SHA256, want, TPM_RH_NULL);
	memcpy(all, "wxyz", 4);
	memcpy(all + 4, gen, sizeof(gen));
	assert_int_equal(mbedtls_md(md(TPM_ALG_SHA256), all, 4 + sizeof(gen), want), 0);
	h = seq_start("seqpw", TPM_ALG_SHA256);
	seq_update(h, "wxyz", 4);
	seq_complete(h, gen, sizeof(gen), TPM_RH_OWNER, TPM_ALG_SHA256, want, TPM_RH_OWNER);
}

static bool husk_has_pcr_read(void)
{
	static const uint8_t cmd[] = { 0x80, 0x01, 0, 0, 0, 20, 0, 0, 0x01, 0x7e, 0, 0, 0, 1, 0, 0x0b, 3, 0, 0, 1 };

	return tpm_host_cmd(&host, cmd, sizeof(cmd)) != TPM_RC_COMMAND_CODE;
}

static void test_event_sequence(void **state)
{
	uint8_t data[1500];
	uint32_t h[2];
	struct tb p;
	static const char *const pws[] = { "", "seqpw" };

	(void)state;
	for (size_t k = 0; k < sizeof(data); k++)
		data[k] = (uint8_t)(k * 13);
	h[0] = TPM_RH_NULL;
	h[1] = seq_start("seqpw", TPM_ALG_NULL);
	seq_update(h[1], data, 1000);
	tb_reset(&p);
	tb_2b(&p, data + 1000, 500);
	both(TPM_CC_EventSequenceComplete, h, 2, pws, 2, &p, 0);
	/* TPML_DIGEST_VALUES of SHA-1, -256, -384, -512: equal bytes */
	assert_int_equal(tpm_be32(host.rsp + 14), 4);
	fx_same_response();
	{
		const uint8_t *q = host.rsp + 18;

		for (unsigned i = 0; i < 4; i++) {
			uint8_t want[64];
			size_t dlen = mbedtls_md_get_size(md(hash_algs[i]));

			assert_int_equal(tpm_be16(q), hash_algs[i]);
			assert_int_equal(mbedtls_md(md(hash_algs[i]), data, sizeof(data), want), 0);
			assert_memory_equal(q + 2, want, dlen);
			q += 2 + dlen;
		}
	}

	/* Extending a PCR: every allocated bank, as libtpms does. */
	if (!husk_has_pcr_read()) {
		print_message("# PCR_Read not implemented yet: PCR extension not checked\n");
		return;
	}
	h[0] = 16;
	h[1] = seq_start("seqpw", TPM_ALG_NULL);
	tb_reset(&p);
	tb_2b(&p, "event", 5);
	both(TPM_CC_EventSequenceComplete, h, 2, pws, 2, &p, 0);
	fx_same_response();
	tb_reset(&p);
	tb_u32(&p, 3);
	for (unsigned i = 0; i < 3; i++) {
		tb_u16(&p, hash_algs[i]);
		tb_u8(&p, 3);
		tb_u8(&p, 0);
		tb_u8(&p, 0);
		tb_u8(&p, 1); /* PCR 16 */
	}
	both(TPM_CC_PCR_Read, NULL, 0, NULL, 0, &p, 0);
	/* pcrUpdateCounter may differ; selection and values must not */
	assert_int_equal(host.rsp_len, ref.rsp_len);
	assert_memory_equal(host.rsp + 14, ref.rsp + 14, host.rsp_len - 14);
}

static void test_sequence_errors(void **state)
{
	static const char *const pws[] = { "", "seqpw" };
	static const char *const bad[] = { "wrong" };
	uint32_t hs, he, h2[2];
	struct tb p;

	(void)state;
	hs = seq_start("seqpw", TPM_ALG_SHA256);
	he = seq_start("seqpw", TPM_ALG_NULL);
	/* Complete of the wrong kind of sequence */
	tb_reset(&p);
	tb_2b(&p, "", 0);
	tb_u32(&p, TPM_RH_OWNER);
	both(TPM_CC_SequenceComplete, &he, 1, pw_seq, 1, &p, RC_H(TPM_RC_MODE, 1));
	h2[0] = TPM_RH_NULL;
	h2[1] = hs;
	tb_reset(&p);
	tb_2b(&p, "", 0);
	both(TPM_CC_EventSequenceComplete, h2, 2, pws, 2, &p, RC_H(TPM_RC_MODE, 2));
	/* PCR 17 cannot be extended from locality 0; the sequence survives. */
	h2[0] = 17;
	h2[1] = he;
	both(TPM_CC_EventSequenceComplete, h2, 2, pws, 2, &p, TPM_RC_LOCALITY);
	/* A wrong auth value: not DA-protected */
	tb_reset(&p);
	tb_2b(&p, "x", 1);
	both(TPM_CC_SequenceUpdate, &hs, 1, bad, 1, &p, RC_S(TPM_RC_BAD_AUTH, 1));
	/* Authorization missing */
	both(TPM_CC_SequenceUpdate, &hs, 1, NULL, 0, &p, TPM_RC_AUTH_MISSING);
	/* Bad hierarchy, oversized data, trailing bytes */
	tb_reset(&p);
	tb_2b(&p, "", 0);
	tb_u32(&p, TPM_RH_LOCKOUT);
	both(TPM_CC_SequenceComplete, &hs, 1, pw_seq, 1, &p, RC_P(TPM_RC_VALUE, 2));
	{
		uint8_t big[TPM_MAX_BUFFER + 1] = { 0 };

		tb_reset(&p);
		tb_2b(&p, big, sizeof(big));
		both(TPM_CC_SequenceUpdate, &hs, 1, pw_seq, 1, &p, RC_P(TPM_RC_SIZE, 1));
	}
	tb_reset(&p);
	tb_2b(&p, "", 0);
	tb_u8(&p, 0);
	both(TPM_CC_SequenceUpdate, &hs, 1, pw_seq, 1, &p, TPM_RC_SIZE);
	/* HashSequenceStart: bad hash, oversized auth */
	tb_reset(&p);
	tb_2b(&p, "", 0);
	tb_u16(&p, 0x0099);
	both(TPM_CC_HashSequenceStart, NULL, 0, NULL, 0, &p, RC_P(TPM_RC_HASH, 2));
	{
		uint8_t auth[65] = { 0 };

		tb_reset(&p);
		tb_2b(&p, auth, sizeof(auth));
		tb_u16(&p, TPM_ALG_SHA256);
		both(TPM_CC_HashSequenceStart, NULL, 0, NULL, 0, &p, RC_P(TPM_RC_SIZE, 1));
	}
	/* The sequences still work after all that. */
	{
		uint8_t want[32];

		assert_int_equal(mbedtls_md(md(TPM_ALG_SHA256), (const uint8_t *)"", 0, want), 0);
		seq_complete(hs, "", 0, TPM_RH_NULL, TPM_ALG_SHA256, want, TPM_RH_NULL);
		h2[0] = TPM_RH_NULL;
		h2[1] = he;
		tb_reset(&p);
		tb_2b(&p, "", 0);
		both(TPM_CC_EventSequenceComplete, h2, 2, pws, 2, &p, 0);
		fx_same_response();
	}
	/* Object memory: husk has 8 slots (libtpms 3). */
	{
		uint32_t hh[TPM_MAX_OBJECTS];

		tb_reset(&p);
		tb_2b(&p, "", 0);
		tb_u16(&p, TPM_ALG_SHA1);
		for (unsigned i = 0; i < TPM_MAX_OBJECTS; i++) {
			husk_only(TPM_CC_HashSequenceStart, NULL, 0, NULL, 0, &p, 0);
			hh[i] = tpm_be32(host.rsp + 10);
		}
		husk_only(TPM_CC_HashSequenceStart, NULL, 0, NULL, 0, &p, TPM_RC_OBJECT_MEMORY);
		/* Flushing (through SequenceComplete) frees a slot. */
		tb_reset(&p);
		tb_2b(&p, "", 0);
		tb_u32(&p, TPM_RH_NULL);
		husk_only(TPM_CC_SequenceComplete, &hh[0], 1, pw_empty, 1, &p, 0);
		tb_reset(&p);
		tb_2b(&p, "", 0);
		tb_u16(&p, TPM_ALG_SHA1);
		husk_only(TPM_CC_HashSequenceStart, NULL, 0, NULL, 0, &p, 0);
		assert_int_equal(tpm_be32(host.rsp + 10), hh[0]);
	}
}

/* ---- HMAC ---- */

#define SIGN TPMA_OBJECT_SIGN_ENCRYPT
#define DECRYPT TPMA_OBJECT_DECRYPT
#define UWA TPMA_OBJECT_USERWITHAUTH

static void keyedhash_params(struct tb *p, const void *key, size_t klen, uint32_t attrs, uint16_t scheme,
			     uint16_t hash)
{
	fx_keyedhash(p, key, klen, attrs, scheme, hash, TPM_RH_NULL, true);
}

/* An ECC P-256 key pair (RFC 6979 A.2.5) for "not a MAC key" checks. */
static void ecc_params(struct tb *p, uint32_t attrs)
{
	uint8_t d[32], x[32], y[32];

	fx_hex("c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721", d, 32);
	fx_hex("60fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6", x, 32);
	fx_hex("7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299", y, 32);
	fx_ecc(p, TPM_ECC_NIST_P256, d, x, y, 32, attrs, TPM_ALG_NULL, 0, TPM_RH_NULL);
}

/* LoadExternal into both; the handles and Names are equal. */
static uint32_t load_both(const struct tb *p)
{
	both(TPM_CC_LoadExternal, NULL, 0, NULL, 0, p, 0);
	fx_same_response();
	return tpm_be32(host.rsp + 10);
}

static void flush_husk(uint32_t h)
{
	struct tpm_object *o = tpm_object_find(host.tpm, h);

	assert_non_null(o);
	tpm_object_release(host.tpm, o);
}

static void flush_both(uint32_t h)
{
	struct tb p;

	tb_reset(&p);
	tb_u32(&p, h);
	both(TPM_CC_FlushContext, NULL, 0, NULL, 0, &p, 0);
}

static void hmac_params(struct tb *p, const void *data, size_t len, uint16_t alg)
{
	tb_reset(p);
	tb_2b(p, data, len);
	tb_u16(p, alg);
}

static void test_hmac_vectors(void **state)
{
	/* RFC 2202 test case 2 (SHA-1) and RFC 4231 test case 2 */
	static const char *const want[] = {
		"effcdf6ae5eb2fa2d27416d5f184df9c259a7c79",
		"5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
		"af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e"
		"8e2240ca5e69e2c78b3239ecfab21649",
		"164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
		"9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737",
	};
	static const char data[] = "what do ya want for nothing?";
	struct tb p;

	(void)state;
	for (unsigned i = 0; i < 4; i++) {
		uint8_t w[64];
		size_t dlen = mbedtls_md_get_size(md(hash_algs[i])), at;
		uint32_t h, seq;

		for (size_t k = 0; k < dlen; k++) {
			unsigned v;

			assert_int_equal(sscanf(want[i] + 2 * k, "%2x", &v), 1);
			w[k] = (uint8_t)v;
		}
		keyedhash_params(&p, "Jefe", 4, SIGN | UWA, TPM_ALG_HMAC, hash_algs[i]);
		h = load_both(&p);
		/* The key's hash, named or not */
		hmac_params(&p, data, strlen(data), TPM_ALG_NULL);
		both(TPM_CC_HMAC, &h, 1, pw_empty, 1, &p, 0);
		at = rsp_params_at(host.rsp, false);
		assert_int_equal(tpm_be16(host.rsp + at), dlen);
		assert_memory_equal(host.rsp + at + 2, w, dlen);
		fx_same_response();
		hmac_params(&p, data, strlen(data), hash_algs[i]);
		both(TPM_CC_HMAC, &h, 1, pw_empty, 1, &p, 0);
		fx_same_response();

		/* The same as a sequence, in pieces */
		tb_reset(&p);
		tb_2b(&p, "seqpw", 5);
		tb_u16(&p, TPM_ALG_NULL);
		both(TPM_CC_HMAC_Start, &h, 1, pw_empty, 1, &p, 0);
		seq = tpm_be32(host.rsp + 10);
		assert_int_equal(seq, tpm_be32(ref.rsp + 10));
		seq_update(seq, data, 4);
		seq_update(seq, data + 4, 0);
		seq_update(seq, data + 4, 10);
		tb_reset(&p);
		tb_2b(&p, data + 14, strlen(data) - 14);
		tb_u32(&p, TPM_RH_OWNER); /* HMACs never get a ticket */
		both(TPM_CC_SequenceComplete, &seq, 1, pw_seq, 1, &p, 0);
		at = rsp_params_at(host.rsp, false);
		assert_memory_equal(host.rsp + at + 2, w, dlen);
		check_hash_ticket(host.rsp + at + 2 + dlen, TPM_RH_NULL, hash_algs[i], w);
		fx_same_response();
		flush_both(h);
	}
}

static void test_hmac_long_key(void **state)
{
	uint8_t key[128], data[TPM_MAX_BUFFER], w[64];
	struct tb p;
	uint32_t h;

	(void)state;
	/* Keys longer than the block are hashed first (RFC 2104). */
	for (size_t k = 0; k < sizeof(key); k++)
		key[k] = (uint8_t)(0xa0 + k);
	for (size_t k = 0; k < sizeof(data); k++)
		data[k] = (uint8_t)k;
	keyedhash_params(&p, key, sizeof(key), SIGN | DECRYPT | UWA, TPM_ALG_NULL, 0);
	h = load_both(&p);
	for (unsigned i = 0; i < 4; i++) {
		size_t dlen = mbedtls_md_get_size(md(hash_algs[i])), at;

		assert_int_equal(mbedtls_md_hmac(md(hash_algs[i]), key, sizeof(key), data, sizeof(data), w), 0);
		hmac_params(&p, data, sizeof(data), hash_algs[i]);
		both(TPM_CC_HMAC, &h, 1, pw_empty, 1, &p, 0);
		at = rsp_params_at(host.rsp, false);
		assert_memory_equal(host.rsp + at + 2, w, dlen);
		fx_same_response();
	}
	flush_both(h);
}

/* HMAC and HMAC_Start refuse the same things with the same codes. */
static void hmac_refused(uint32_t h, uint16_t alg, uint32_t rc)
{
	struct tb p;

	hmac_params(&p, "data", 4, alg);
	both(TPM_CC_HMAC, &h, 1, pw_empty, 1, &p, rc);
	tb_reset(&p);
	tb_2b(&p, "", 0);
	tb_u16(&p, alg);
	both(TPM_CC_HMAC_Start, &h, 1, pw_empty, 1, &p, rc);
}

static void test_hmac_errors(void **state)
{
	static const uint8_t aes[16] = { 1, 2, 3 };
	struct tb p;
	uint32_t h;

	(void)state;
	/* A key with an HMAC-SHA256 scheme: another hash is TPM_RC_VALUE,
	 * something that is not a MAC scheme TPM_RC_SYMMETRIC. */
	keyedhash_params(&p, "key", 3, SIGN | UWA, TPM_ALG_HMAC, TPM_ALG_SHA256);
	h = load_both(&p);
	hmac_refused(h, TPM_ALG_SHA1, RC_P(TPM_RC_VALUE, 2));
	hmac_refused(h, TPM_ALG_SHA512, RC_P(TPM_RC_VALUE, 2));
	hmac_refused(h, 0x0099, RC_P(TPM_RC_SYMMETRIC, 2));
	hmac_refused(h, TPM_ALG_CFB, RC_P(TPM_RC_SYMMETRIC, 2));
	{
		uint8_t big[TPM_MAX_BUFFER + 1] = { 0 };

		hmac_params(&p, big, sizeof(big), TPM_ALG_SHA256);
		both(TPM_CC_HMAC, &h, 1, pw_empty, 1, &p, RC_P(TPM_RC_SIZE, 1));
		hmac_params(&p, "", 0, TPM_ALG_SHA256);
		tb_u8(&p, 0);
		both(TPM_CC_HMAC, &h, 1, pw_empty, 1, &p, TPM_RC_SIZE);
	}
	flush_both(h);
	/* No scheme in the key and none asked for */
	keyedhash_params(&p, "key", 3, SIGN | DECRYPT | UWA, TPM_ALG_NULL, 0);
	h = load_both(&p);
	hmac_refused(h, TPM_ALG_NULL, RC_P(TPM_RC_VALUE, 2));
	flush_both(h);
	/* Sealed data (neither sign nor decrypt) is not an HMAC key. */
	keyedhash_params(&p, "key", 3, UWA, TPM_ALG_NULL, 0);
	h = load_both(&p);
	hmac_refused(h, TPM_ALG_SHA256, RC_H(TPM_RC_KEY, 1));
	flush_both(h);
	/* Symmetric keys have no HMAC: the MAC scheme does not fit them. */
	fx_symcipher(&p, aes, sizeof(aes), SIGN | DECRYPT | UWA, TPM_ALG_NULL);
	h = load_both(&p);
	hmac_refused(h, TPM_ALG_SHA256, RC_P(TPM_RC_SCHEME, 2));
	flush_both(h);
	fx_symcipher(&p, aes, sizeof(aes), SIGN | DECRYPT | UWA, TPM_ALG_CFB);
	h = load_both(&p);
	hmac_refused(h, TPM_ALG_SHA256, RC_P(TPM_RC_VALUE, 2));
	hmac_refused(h, TPM_ALG_NULL, RC_P(TPM_RC_SCHEME, 2));
	flush_both(h);
	/* Asymmetric keys are the wrong type. */
	ecc_params(&p, SIGN | DECRYPT | UWA);
	h = load_both(&p);
	hmac_refused(h, TPM_ALG_SHA256, RC_H(TPM_RC_TYPE, 1));
	flush_both(h);
	/* A sequence is not a key either. */
	h = seq_start("", TPM_ALG_SHA256);
	hmac_refused(h, TPM_ALG_SHA256, RC_H(TPM_RC_TYPE, 1));
	flush_both(h);
}

/* Restricted HMAC keys cannot be loaded externally (libtpms refuses), so
 * this one goes straight into a husk slot. */
static void test_hmac_restricted(void **state)
{
	struct tb p;
	uint32_t h;

	(void)state;
	keyedhash_params(&p, "key", 3, SIGN | UWA | TPMA_OBJECT_RESTRICTED, TPM_ALG_HMAC, TPM_ALG_SHA256);
	h = fx_inject(host.tpm, p.b, p.n);
	hmac_params(&p, "data", 4, TPM_ALG_SHA256);
	husk_only(TPM_CC_HMAC, &h, 1, pw_empty, 1, &p, RC_H(TPM_RC_ATTRIBUTES, 1));
	tb_reset(&p);
	tb_2b(&p, "", 0);
	tb_u16(&p, TPM_ALG_NULL);
	husk_only(TPM_CC_HMAC_Start, &h, 1, pw_empty, 1, &p, RC_H(TPM_RC_ATTRIBUTES, 1));
	flush_husk(h);
}

/* The same with a restricted HMAC key made by both TPMs (CreatePrimary of
 * an ECC storage key, Create, Load): refused for HMAC, but it signs a
 * digest the TPM hashed itself (a hash ticket), and nothing else. */
static void test_hmac_restricted_created(void **state)
{
	static const char *const pws[] = { "" };
	uint32_t parent, key, owner = TPM_RH_OWNER;
	uint8_t digest[32], ticket[8 + 64], blob[TPM_BUFFER_MAX];
	size_t blob_len;
	struct tb p;

	(void)state;
	/* CreatePrimary: ECC P-256 storage key, AES-128-CFB */
	tb_reset(&p);
	tb_u16(&p, 4);
	tb_u16(&p, 0);
	tb_u16(&p, 0);
	tb_begin(&p);
	tb_u16(&p, TPM_ALG_ECC);
	tb_u16(&p, TPM_ALG_SHA256);
	tb_u32(&p, TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN | UWA |
			   TPMA_OBJECT_RESTRICTED | DECRYPT);
	tb_2b(&p, "", 0);
	tb_u16(&p, TPM_ALG_AES);
	tb_u16(&p, 128);
	tb_u16(&p, TPM_ALG_CFB);
	tb_u16(&p, TPM_ALG_NULL);
	tb_u16(&p, TPM_ECC_NIST_P256);
	tb_u16(&p, TPM_ALG_NULL);
	tb_2b(&p, "", 0);
	tb_2b(&p, "", 0);
	tb_end(&p);
	tb_2b(&p, "", 0);
	tb_u32(&p, 0);
	both(TPM_CC_CreatePrimary, &owner, 1, pws, 1, &p, 0);
	parent = tpm_be32(host.rsp + 10);
	assert_int_equal(parent, tpm_be32(ref.rsp + 10));
	/* Create: restricted HMAC-SHA256 signing key */
	tb_reset(&p);
	tb_u16(&p, 4);
	tb_u16(&p, 0);
	tb_u16(&p, 0);
	tb_begin(&p);
	tb_u16(&p, TPM_ALG_KEYEDHASH);
	tb_u16(&p, TPM_ALG_SHA256);
	tb_u32(&p, TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN | UWA |
			   TPMA_OBJECT_RESTRICTED | SIGN);
	tb_2b(&p, "", 0);
	tb_u16(&p, TPM_ALG_HMAC);
	tb_u16(&p, TPM_ALG_SHA256);
	tb_2b(&p, "", 0);
	tb_end(&p);
	tb_2b(&p, "", 0);
	tb_u32(&p, 0);
	both(TPM_CC_Create, &parent, 1, pws, 1, &p, 0);
	/* Load each TPM's own outPrivate and outPublic */
	{
		struct tpm_host *hh = &host;
		const uint8_t *rsps[2] = { host.rsp, ref.rsp };
		uint32_t handles[2];

		for (int i = 0; i < 2; i++) {
			const uint8_t *q = rsps[i] + rsp_params_at(rsps[i], false);
			size_t priv = 2 + tpm_be16(q), pub = 2 + tpm_be16(q + priv);
			uint8_t cmd[TPM_BUFFER_MAX];
			size_t n;

			memcpy(blob, q, priv + pub);
			blob_len = priv + pub;
			n = cmd_build(cmd, sizeof(cmd), TPM_CC_Load, &parent, 1, pws, 1, blob, blob_len);
			if (i == 0)
				assert_int_equal(tpm_host_cmd(hh, cmd, n), 0);
			else
				assert_int_equal(tgt_send(&ref, cmd, n), 0);
			handles[i] = tpm_be32((i == 0 ? host.rsp : ref.rsp) + 10);
		}
		assert_int_equal(handles[0], handles[1]);
		key = handles[0];
	}
	hmac_refused(key, TPM_ALG_SHA256, RC_H(TPM_RC_ATTRIBUTES, 1));
	hmac_refused(key, TPM_ALG_NULL, RC_H(TPM_RC_ATTRIBUTES, 1));
	hmac_refused(key, TPM_ALG_SHA1, RC_P(TPM_RC_VALUE, 2));
	/* Sign: only with a ticket (each TPM its own) */
	hash_params(&p, "message", 7, TPM_ALG_SHA256, TPM_RH_OWNER);
	for (int i = 0; i < 2; i++) {
		uint8_t cmd[TPM_BUFFER_MAX];
		const uint8_t *r;
		size_t n = cmd_build(cmd, sizeof(cmd), TPM_CC_Hash, NULL, 0, NULL, 0, p.b, p.n);
		uint32_t rc = i == 0 ? tpm_host_cmd(&host, cmd, n) : tgt_send(&ref, cmd, n);
		struct tb s;

		assert_int_equal(rc, 0);
		r = i == 0 ? host.rsp : ref.rsp;
		memcpy(digest, r + 12, 32);
		memcpy(ticket, r + 12 + 32, sizeof(ticket));
		tb_reset(&s);
		tb_2b(&s, digest, 32);
		tb_u16(&s, TPM_ALG_NULL);
		tb_bytes(&s, ticket, sizeof(ticket));
		n = cmd_build(cmd, sizeof(cmd), TPM_CC_Sign, &key, 1, pws, 1, s.b, s.n);
		rc = i == 0 ? tpm_host_cmd(&host, cmd, n) : tgt_send(&ref, cmd, n);
		assert_int_equal(rc, 0);
	}
	tb_reset(&p);
	tb_2b(&p, digest, 32);
	tb_u16(&p, TPM_ALG_NULL);
	tb_u16(&p, TPM_ST_HASHCHECK);
	tb_u32(&p, TPM_RH_NULL);
	tb_u16(&p, 0);
	both(TPM_CC_Sign, &key, 1, pws, 1, &p, RC_P(TPM_RC_TICKET, 3));
	flush_both(key);
	flush_both(parent);
}

/* HMAC_Start takes an object slot; with none free, TPM_RC_OBJECT_MEMORY
 * and nothing leaks. */
static void test_hmac_start_memory(void **state)
{
	struct tb p;
	uint32_t key, seqs[TPM_MAX_OBJECTS];
	size_t before;

	(void)state;
	keyedhash_params(&p, "key", 3, SIGN | UWA, TPM_ALG_HMAC, TPM_ALG_SHA384);
	key = fx_inject(host.tpm, p.b, p.n);
	before = tpm_memory_used(host.tpm);
	tb_reset(&p);
	tb_2b(&p, "a", 1);
	tb_u16(&p, TPM_ALG_NULL);
	for (unsigned i = 0; i < TPM_MAX_OBJECTS - 1; i++) {
		husk_only(TPM_CC_HMAC_Start, &key, 1, pw_empty, 1, &p, 0);
		seqs[i] = tpm_be32(host.rsp + 10);
	}
	husk_only(TPM_CC_HMAC_Start, &key, 1, pw_empty, 1, &p, TPM_RC_OBJECT_MEMORY);
	for (unsigned i = 0; i < TPM_MAX_OBJECTS - 1; i++)
		flush_husk(seqs[i]);
	assert_int_equal(tpm_memory_used(host.tpm), before);
	flush_husk(key);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hash_vectors, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_hash_null_tickets, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_hash_errors, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_hash_sequence, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_sequence_ticket_rules, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_event_sequence, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_sequence_errors, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_hmac_vectors, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_hmac_long_key, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_hmac_errors, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_hmac_restricted, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_hmac_restricted_created, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_hmac_start_memory, setup, fx_teardown),
	};

	return cmocka_run_group_tests_name("tpm_hash", tests, NULL, NULL);
}
