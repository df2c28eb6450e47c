/* The cache of derived primary keys.  A primary key is a deterministic
 * function of its hierarchy's seed, the template and the caller's sensitive
 * data (tpm_key_generate), and deriving an RSA key is a prime search that
 * costs about a second in the kernel under emulation.  Clients create the
 * same primaries (EK, SRK) over and over, so the last few RSA derivations
 * are kept here and a repeated CreatePrimary / CreateLoaded copies the
 * result instead of searching again.
 *
 * An entry is found by
 *   id = SHA-256("husk primary cache" || hierarchy || seed || template || data)
 * (template: the TPMT_PUBLIC as the derivation hashes it, data as a TPM2B),
 * so that the cache holds no templates and the seed itself is part of the
 * lookup: even an entry that outlived its seed could not be returned for the
 * new one.  Entries are dropped anyway whenever a seed changes
 * (tpm_primary_cache_drop: manufacture, state load, Clear, Startup for the
 * NULL seed) and when the context is destroyed.  They hold what the
 * derivation produced: the modulus, the stored prime and the seedValue;
 * the parsed mbedTLS key is rebuilt from them on first use, as for a
 * loaded key.  TPM_PRIMARY_CACHE_SLOTS entries at most, replaced least
 * recently used first, allocated with tpm_alloc (so tpm_memory_used counts
 * them) and wiped when freed (tpm_free).  Not NV state: tpm_state_save
 * never sees them. */
#include <string.h>

#include "tpm/tpm_keys.h"

#define ID_SIZE 32 /* SHA-256 */

struct tpm_primary_entry {
	uint8_t id[ID_SIZE];
	uint32_t hierarchy;
	uint64_t last_use;           /* t->primary_cache_clock at the last hit or store */
	struct tpm2b_rsa n;          /* the unique field: the modulus */
	struct tpm2b_sensitive_data prime; /* sensitive.secret: the first prime */
	struct tpm2b_digest seed_value;    /* sensitive.seed: empty unless a parent */
};

size_t tpm_primary_cache_entry_size(void)
{
	return sizeof(struct tpm_primary_entry);
}

static void entry_free(struct tpm *t, unsigned i)
{
	tpm_free(t, t->primary_cache[i]); /* wipes */
	t->primary_cache[i] = NULL;
}

void tpm_primary_cache_drop(struct tpm *t, uint32_t hierarchy)
{
	for (unsigned i = 0; i < TPM_PRIMARY_CACHE_SLOTS; i++) {
		struct tpm_primary_entry *e = t->primary_cache[i];

		if (e && (hierarchy == TPM_PRIMARY_CACHE_ALL || e->hierarchy == hierarchy))
			entry_free(t, i);
	}
}

unsigned tpm_primary_cache_count(const struct tpm *t)
{
	unsigned n = 0;

	for (unsigned i = 0; i < TPM_PRIMARY_CACHE_SLOTS; i++)
		n += t->primary_cache[i] != NULL;
	return n;
}

/* The entry's id: everything the derivation depends on. */
static tpm_rc cache_id(uint32_t hierarchy, const uint8_t *seed, size_t seed_len, const struct tpm_public *tmpl,
		       const struct tpm2b_sensitive_data *data, uint8_t id[ID_SIZE])
{
	static const char label[] = "husk primary cache";
	uint8_t buf[sizeof(struct tpm_public) + 64];
	uint8_t hier[4], dsize[2];
	struct tpm_w w;
	tpm_rc rc;

	tpm_w_init(&w, buf, sizeof(buf));
	tpm_w_public(&w, tmpl);
	if (!tpm_w_ok(&w))
		return TPM_RC_FAILURE;
	tpm_put_be32(hier, hierarchy);
	tpm_put_be16(dsize, data->size);
	{
		struct tpm_part parts[] = {
			{ label, sizeof(label) }, { hier, sizeof(hier) }, { seed, seed_len },
			{ buf, w.pos },           { dsize, sizeof(dsize) }, { data->b, data->size },
		};

		rc = tpm_hash_parts(TPM_ALG_SHA256, parts, sizeof(parts) / sizeof(parts[0]), id);
	}
	crypto_wipe(buf, sizeof(buf));
	return rc;
}

/* The entry with this id for a key of nbytes (the modulus), NULL if none. */
static struct tpm_primary_entry *cache_find(struct tpm *t, uint32_t hierarchy, const uint8_t id[ID_SIZE],
					    uint16_t nbytes)
{
	for (unsigned i = 0; i < TPM_PRIMARY_CACHE_SLOTS; i++) {
		struct tpm_primary_entry *e = t->primary_cache[i];

		/* The whole id, not a prefix of it. */
		if (!e || e->hierarchy != hierarchy || tpm_ct_compare(e->id, id, ID_SIZE))
			continue;
		/* An entry that does not fit its template cannot happen; should
		 * it, it goes and the key is derived again. */
		if (e->n.size != nbytes || e->prime.size != nbytes / 2u) {
			entry_free(t, i);
			return NULL;
		}
		return e;
	}
	return NULL;
}

/* o as tpm_key_generate leaves an RSA primary: the template with its
 * modulus, the sensitive area with the prime and seedValue (the rest of
 * those buffers zero), no parsed key yet. */
static void cache_restore(struct tpm *t, struct tpm_object *o, const struct tpm_primary_entry *e)
{
	tpm_key_cache_free(t, o);
	crypto_wipe(&o->sens.seed, sizeof(o->sens.seed));
	crypto_wipe(&o->sens.secret, sizeof(o->sens.secret));
	o->sens.type = o->pub.type;
	memcpy(o->pub.rsa_n.b, e->n.b, e->n.size);
	o->pub.rsa_n.size = e->n.size;
	memcpy(o->sens.secret.b, e->prime.b, e->prime.size);
	o->sens.secret.size = e->prime.size;
	memcpy(o->sens.seed.b, e->seed_value.b, e->seed_value.size);
	o->sens.seed.size = e->seed_value.size;
}

/* Keeps o's derived key under id: in a free slot, else in place of the
 * least recently used entry (wiped).  Without memory, nothing is kept. */
static void cache_store(struct tpm *t, uint32_t hierarchy, const uint8_t id[ID_SIZE], const struct tpm_object *o)
{
	struct tpm_primary_entry *e;
	unsigned slot = 0;

	for (unsigned i = 0; i < TPM_PRIMARY_CACHE_SLOTS; i++) {
		if (!t->primary_cache[i]) {
			slot = i;
			break;
		}
		if (t->primary_cache[i]->last_use < t->primary_cache[slot]->last_use)
			slot = i;
	}
	if (t->primary_cache[slot])
		entry_free(t, slot);
	e = tpm_alloc(t, sizeof(*e));
	if (!e)
		return;
	memcpy(e->id, id, ID_SIZE);
	e->hierarchy = hierarchy;
	e->last_use = ++t->primary_cache_clock;
	memcpy(e->n.b, o->pub.rsa_n.b, o->pub.rsa_n.size);
	e->n.size = o->pub.rsa_n.size;
	memcpy(e->prime.b, o->sens.secret.b, o->sens.secret.size);
	e->prime.size = o->sens.secret.size;
	memcpy(e->seed_value.b, o->sens.seed.b, o->sens.seed.size);
	e->seed_value.size = o->sens.seed.size;
	t->primary_cache[slot] = e;
}

tpm_rc tpm_key_generate_primary(struct tpm *t, struct tpm_object *o, const struct tpm2b_sensitive_data *data,
				uint32_t hierarchy)
{
	static const struct tpm2b_sensitive_data none;
	const uint8_t *seed = tpm_hierarchy_seed(t, hierarchy);
	struct tpm_primary_entry *e;
	uint8_t id[ID_SIZE];
	tpm_rc rc;

	if (!seed)
		return TPM_RC_HIERARCHY;
	/* Only RSA is worth it: ECC, symmetric and keyed-hash keys cost a
	 * scalar multiplication or a few hashes. */
	if (o->pub.type != TPM_ALG_RSA || !tpm_hash_size(o->pub.name_alg))
		return tpm_key_generate(t, o, data, seed, TPM_SEED_SIZE);
	rc = cache_id(hierarchy, seed, TPM_SEED_SIZE, &o->pub, data ? data : &none, id);
	if (rc)
		return rc;
	e = cache_find(t, hierarchy, id, (uint16_t)(o->pub.rsa_bits / 8u));
	if (e) {
		cache_restore(t, o, e);
		e->last_use = ++t->primary_cache_clock;
		t->primary_cache_hits++;
		crypto_wipe(id, sizeof(id));
		return TPM_RC_SUCCESS;
	}
	rc = tpm_key_generate(t, o, data, seed, TPM_SEED_SIZE);
	if (!rc)
		cache_store(t, hierarchy, id, o);
	crypto_wipe(id, sizeof(id));
	return rc;
}
