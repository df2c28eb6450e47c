/* Object slots: transient objects and sequences in a fixed table, persistent
 * objects in the NV state; lookup, allocation, release, Names. */
#include <string.h>

#include "tpm/tpm_internal.h"

struct tpm_object *tpm_object_find(struct tpm *t, uint32_t handle)
{
	uint8_t ht = (uint8_t)(handle >> TPM_HR_SHIFT);

	if (ht == TPM_HT_TRANSIENT) {
		uint32_t slot = handle - TPM_HR_TRANSIENT;

		if (slot < TPM_MAX_OBJECTS && t->objects[slot].kind != TPM_OBJ_FREE)
			return &t->objects[slot];
		return NULL;
	}
	if (ht == TPM_HT_PERSISTENT) {
		for (uint32_t i = 0; i < t->nv.persistent_count; i++)
			if (t->nv.persistent[i].handle == handle)
				return &t->nv.persistent[i];
	}
	return NULL;
}

struct tpm_object *tpm_object_alloc(struct tpm *t)
{
	for (uint32_t i = 0; i < TPM_MAX_OBJECTS; i++) {
		struct tpm_object *o = &t->objects[i];

		if (o->kind == TPM_OBJ_FREE) {
			memset(o, 0, sizeof(*o));
			o->handle = TPM_HR_TRANSIENT + i;
			return o;
		}
	}
	return NULL;
}

void tpm_object_release(struct tpm *t, struct tpm_object *o)
{
	tpm_key_cache_free(t, o);
	if (o->seq) {
		for (unsigned i = 0; i < TPM_NUM_BANKS; i++)
			tpm_hash_free(&o->seq->h[i]);
		tpm_free(t, o->seq);
	}
	crypto_wipe(o, sizeof(*o));
	o->kind = TPM_OBJ_FREE;
}

tpm_rc tpm_object_compute_name(const struct tpm_public *pub, struct tpm2b_name *name)
{
	uint8_t buf[sizeof(struct tpm_public) + 64];
	struct tpm_w w;
	tpm_rc rc;

	if (pub->name_alg == TPM_ALG_NULL) {
		name->size = 0;
		return TPM_RC_SUCCESS;
	}
	tpm_w_init(&w, buf, sizeof(buf));
	tpm_w_public(&w, pub);
	if (!tpm_w_ok(&w))
		return TPM_RC_FAILURE;
	tpm_put_be16(name->b, pub->name_alg);
	{
		struct tpm_part part = { buf, w.pos };

		rc = tpm_hash_parts(pub->name_alg, &part, 1, name->b + 2);
	}
	name->size = rc ? 0 : (uint16_t)(2 + tpm_hash_size(pub->name_alg));
	return rc;
}

void tpm_objects_flush_all(struct tpm *t)
{
	for (uint32_t i = 0; i < TPM_MAX_OBJECTS; i++)
		if (t->objects[i].kind != TPM_OBJ_FREE)
			tpm_object_release(t, &t->objects[i]);
}

void tpm_objects_flush_hierarchy(struct tpm *t, uint32_t hierarchy)
{
	for (uint32_t i = 0; i < TPM_MAX_OBJECTS; i++)
		if (t->objects[i].kind != TPM_OBJ_FREE && t->objects[i].hierarchy == hierarchy)
			tpm_object_release(t, &t->objects[i]);
}

void tpm_persistent_flush_hierarchy(struct tpm *t, uint32_t hierarchy)
{
	uint32_t out = 0;

	for (uint32_t i = 0; i < t->nv.persistent_count; i++) {
		struct tpm_object *o = &t->nv.persistent[i];

		if (o->hierarchy == hierarchy) {
			tpm_key_cache_free(t, o);
			crypto_wipe(o, sizeof(*o));
			continue;
		}
		if (out != i) {
			t->nv.persistent[out] = *o;
			crypto_wipe(o, sizeof(*o));
		}
		out++;
	}
	if (out != t->nv.persistent_count) {
		t->nv.persistent_count = out;
		tpm_mark_nv(t);
	}
}
