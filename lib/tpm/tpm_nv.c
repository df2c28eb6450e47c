/* NV indexes (TPM 2.0 Part 3, "Non-volatile Storage"): the index table in
 * the NV state, Names, Startup and Clear effects, and the NV commands.
 * Index types: ordinary, counter, bit field and extend; PIN indexes are not
 * implemented (NV_DefineSpace refuses them with TPM_RC_ATTRIBUTES).
 *
 * Where the specification leaves the order of checks or a detail open,
 * husk follows the reference implementation as libtpms shows it, so that
 * clients see the same response codes (tests/unit/test_tpm_nv.c compares). */
#include <string.h>

#include "tpm/tpm_internal.h"

/* TPMA_NV bits 8-9 and 20-24 are reserved. */
#define NV_ATTR_RESERVED 0x01f00300u
/* The reference TPM keeps an orderly counter in RAM and saves it only at
 * orderly shutdown; after an unorderly one it sets the low bits, so that the
 * counter never repeats a value it may have reported.  husk does the same,
 * because its caller may persist the NV state less often than every
 * command. */
#define NV_MAX_ORDERLY_COUNT 0xffu
#define NV_PUBLIC_MAX (4 + 2 + 4 + 2 + TPM_MAX_DIGEST + 2)
#define SHUTDOWN_NONE 0xffffu

static unsigned nv_type(uint32_t attributes)
{
	return (attributes & TPMA_NV_TPM_NT_MASK) >> TPMA_NV_TPM_NT_SHIFT;
}

static uint64_t get_be64(const uint8_t *p)
{
	return ((uint64_t)tpm_be32(p) << 32) | tpm_be32(p + 4);
}

static void put_be64(uint8_t *p, uint64_t v)
{
	tpm_put_be32(p, (uint32_t)(v >> 32));
	tpm_put_be32(p + 4, (uint32_t)v);
}

struct tpm_nv_index *tpm_nv_find(struct tpm *t, uint32_t handle)
{
	for (uint32_t i = 0; i < t->nv.nv_count; i++)
		if (t->nv.nv[i].handle == handle)
			return &t->nv.nv[i];
	return NULL;
}

/* TPMS_NV_PUBLIC */
static void w_nv_public(struct tpm_w *w, const struct tpm_nv_index *nv)
{
	tpm_w_u32(w, nv->handle);
	tpm_w_u16(w, nv->name_alg);
	tpm_w_u32(w, nv->attributes);
	tpm_w_digest(w, &nv->auth_policy);
	tpm_w_u16(w, nv->size);
}

void tpm_nv_name(struct tpm_nv_index *nv, struct tpm2b_name *name)
{
	uint8_t buf[NV_PUBLIC_MAX];
	struct tpm_w w;
	struct tpm_part part;

	/* Only the attributes change after NV_DefineSpace. */
	if (nv->name_cached && nv->name_attrs == nv->attributes) {
		*name = nv->name;
		return;
	}
	tpm_w_init(&w, buf, sizeof(buf));
	w_nv_public(&w, nv);
	part = (struct tpm_part){ buf, w.pos };
	tpm_put_be16(name->b, nv->name_alg);
	if (!tpm_w_ok(&w) || tpm_hash_parts(nv->name_alg, &part, 1, name->b + 2)) {
		name->size = 0; /* only an allocation failure in mbedTLS gets here */
		return;
	}
	name->size = (uint16_t)(2 + tpm_hash_size(nv->name_alg));
	nv->name = *name;
	nv->name_attrs = nv->attributes;
	nv->name_cached = true;
}

void tpm_nv_release(struct tpm *t, struct tpm_nv_index *nv)
{
	tpm_free(t, nv->data); /* wipes */
	nv->data = NULL;
	crypto_wipe(&nv->auth, sizeof(nv->auth));
}

/* Removes entry i, keeping the table sorted; a counter's value is
 * remembered so that a new counter starts above it. */
static void nv_delete(struct tpm *t, uint32_t i)
{
	struct tpm_persistent *p = &t->nv;
	struct tpm_nv_index *nv = &p->nv[i];

	if (nv_type(nv->attributes) == TPM_NT_COUNTER && (nv->attributes & TPMA_NV_WRITTEN) &&
	    nv->data && nv->size == 8) {
		uint64_t v = get_be64(nv->data);

		if (v > p->nv_max_counter)
			p->nv_max_counter = v;
	}
	p->nv_bytes -= nv->size;
	tpm_nv_release(t, nv);
	memmove(&p->nv[i], &p->nv[i + 1], (p->nv_count - i - 1) * sizeof(p->nv[0]));
	p->nv_count--;
	memset(&p->nv[p->nv_count], 0, sizeof(p->nv[0]));
	tpm_mark_nv(t);
}

static void nv_delete_index(struct tpm *t, const struct tpm_nv_index *nv)
{
	nv_delete(t, (uint32_t)(nv - t->nv.nv));
}

void tpm_nv_remove(struct tpm *t, struct tpm_nv_index *nv)
{
	nv_delete_index(t, nv);
}

void tpm_nv_startup(struct tpm *t, bool clear)
{
	/* Called by Startup before it records the new shutdown state, so
	 * shutdown_type is still the previous one. */
	bool reset = t->nv.shutdown_type != TPM_SU_STATE;
	bool unorderly = t->nv.shutdown_type == SHUTDOWN_NONE;

	if (!clear)
		return; /* TPM Resume: every index stays as it was */
	for (uint32_t i = 0; i < t->nv.nv_count; i++) {
		struct tpm_nv_index *nv = &t->nv.nv[i];
		uint32_t a = nv->attributes;

		if (a & TPMA_NV_READ_STCLEAR)
			a &= ~TPMA_NV_READLOCKED;
		if (a & TPMA_NV_CLEAR_STCLEAR)
			a &= ~TPMA_NV_WRITTEN;
		if (a & TPMA_NV_ORDERLY) {
			if (nv_type(a) != TPM_NT_COUNTER) {
				/* The data of an orderly index does not survive a TPM Reset. */
				if (reset)
					a &= ~TPMA_NV_WRITTEN;
			} else if (unorderly && (a & TPMA_NV_WRITTEN) && nv->data && nv->size == 8) {
				put_be64(nv->data, get_be64(nv->data) | NV_MAX_ORDERLY_COUNT);
				tpm_mark_nv(t);
			}
		}
		/* Only the lock of a written WRITEDEFINE index is for good; the
		 * STCLEAR and global locks, and locks of unwritten indexes, end
		 * here (as in libtpms). */
		if (!((a & TPMA_NV_WRITEDEFINE) && (a & TPMA_NV_WRITTEN)))
			a &= ~TPMA_NV_WRITELOCKED;
		if (a != nv->attributes) {
			nv->attributes = a;
			tpm_mark_nv(t);
		}
	}
}

void tpm_nv_flush_hierarchy(struct tpm *t, uint32_t hierarchy)
{
	/* Only the owner's indexes go (TPM2_Clear); platform indexes stay. */
	if (hierarchy != TPM_RH_OWNER)
		return;
	for (uint32_t i = t->nv.nv_count; i-- > 0;)
		if (!(t->nv.nv[i].attributes & TPMA_NV_PLATFORMCREATE))
			nv_delete(t, i);
}

static bool is_write_command(uint32_t cc)
{
	switch (cc) {
	case TPM_CC_NV_Write:
	case TPM_CC_NV_Increment:
	case TPM_CC_NV_SetBits:
	case TPM_CC_NV_Extend:
	case TPM_CC_NV_WriteLock:
		return true;
	default:
		return false;
	}
}

static bool is_admin_command(uint32_t cc)
{
	return cc == TPM_CC_NV_ChangeAuth || cc == TPM_CC_NV_UndefineSpaceSpecial;
}

bool tpm_nv_auth_available(const struct tpm_nv_index *nv, uint32_t cc, bool policy)
{
	if (is_admin_command(cc))
		return policy;
	if (is_write_command(cc))
		return nv->attributes & (policy ? TPMA_NV_POLICYWRITE : TPMA_NV_AUTHWRITE);
	/* Reads, and every other use of the index's authorization
	 * (PolicySecret, ...), count as reads. */
	return nv->attributes & (policy ? TPMA_NV_POLICYREAD : TPMA_NV_AUTHREAD);
}

/* ---- access checks shared by the commands ---- */

/* Whether an index's data fits its type.  Indexes come from
 * NV_DefineSpace, which ensures it, or from a state blob, which might not. */
static bool nv_sane(const struct tpm_nv_index *nv)
{
	if (nv->size && !nv->data)
		return false;
	switch (nv_type(nv->attributes)) {
	case TPM_NT_ORDINARY: return nv->size <= TPM_NV_INDEX_MAX;
	case TPM_NT_COUNTER:
	case TPM_NT_BITS: return nv->size == 8;
	case TPM_NT_EXTEND: return nv->size == tpm_hash_size(nv->name_alg);
	default: return false;
	}
}

/* The index named by handle number h (0-based) of the command; with
 * data, one whose data may be used. */
static tpm_rc find_index(struct tpm_cmd *c, unsigned h, bool data, struct tpm_nv_index **out)
{
	*out = tpm_nv_find(c->t, c->handles[h]);
	if (!*out)
		return tpm_rc_handle(TPM_RC_HANDLE, h + 1); /* the dispatcher checked it */
	return !data || nv_sane(*out) ? TPM_RC_SUCCESS : TPM_RC_FAILURE;
}

static tpm_rc cmd_index(struct tpm_cmd *c, unsigned h, struct tpm_nv_index **out)
{
	return find_index(c, h, true, out);
}

/* An index authorizing with a method its attributes do not allow for this
 * command.  The session layer should refuse that before it checks the
 * authorization (see tpm_nv_auth_available); this catches it if not. */
static tpm_rc self_auth_check(struct tpm_cmd *c)
{
	const struct tpm_nv_index *by;

	if ((c->handles[0] >> TPM_HR_SHIFT) != TPM_HT_NV_INDEX)
		return TPM_RC_SUCCESS;
	by = tpm_nv_find(c->t, c->handles[0]);
	if (by && tpm_nv_auth_available(by, c->cc, tpm_cmd_auth_is_policy(c, 0)))
		return TPM_RC_SUCCESS;
	return TPM_RC_AUTH_UNAVAILABLE;
}

/* Write access: the write lock first, then whether the authorizing entity
 * may write (OWNERWRITE, PPWRITE, or the index itself). */
static tpm_rc write_access(struct tpm_cmd *c, const struct tpm_nv_index *nv)
{
	uint32_t auth = c->handles[0];

	TPM_TRY(self_auth_check(c));
	if (nv->attributes & TPMA_NV_WRITELOCKED)
		return TPM_RC_NV_LOCKED;
	if (auth == TPM_RH_OWNER)
		return (nv->attributes & TPMA_NV_OWNERWRITE) ? TPM_RC_SUCCESS : TPM_RC_NV_AUTHORIZATION;
	if (auth == TPM_RH_PLATFORM)
		return (nv->attributes & TPMA_NV_PPWRITE) ? TPM_RC_SUCCESS : TPM_RC_NV_AUTHORIZATION;
	return auth == nv->handle ? TPM_RC_SUCCESS : TPM_RC_NV_AUTHORIZATION;
}

/* Read access: the read lock, whether the authorizing entity may read,
 * then whether the index was written (last, so that NV_ReadLock can lock
 * an index never written). */
static tpm_rc read_access(struct tpm_cmd *c, const struct tpm_nv_index *nv)
{
	uint32_t auth = c->handles[0];

	TPM_TRY(self_auth_check(c));
	if (nv->attributes & TPMA_NV_READLOCKED)
		return TPM_RC_NV_LOCKED;
	if (auth == TPM_RH_OWNER) {
		if (!(nv->attributes & TPMA_NV_OWNERREAD))
			return TPM_RC_NV_AUTHORIZATION;
	} else if (auth == TPM_RH_PLATFORM) {
		if (!(nv->attributes & TPMA_NV_PPREAD))
			return TPM_RC_NV_AUTHORIZATION;
	} else if (auth != nv->handle) {
		return TPM_RC_NV_AUTHORIZATION;
	}
	return (nv->attributes & TPMA_NV_WRITTEN) ? TPM_RC_SUCCESS : TPM_RC_NV_UNINITIALIZED;
}

/* The ADMIN role of an NV index needs a policy session. */
static tpm_rc admin_auth_check(struct tpm_cmd *c)
{
	return tpm_cmd_auth_is_policy(c, 0) ? TPM_RC_SUCCESS : TPM_RC_AUTH_TYPE;
}

/* Stores new data and sets TPMA_NV_WRITTEN (which changes the Name). */
static void nv_store(struct tpm *t, struct tpm_nv_index *nv, uint16_t offset, const uint8_t *p,
		     uint16_t len)
{
	if (len)
		memcpy(nv->data + offset, p, len);
	nv->attributes |= TPMA_NV_WRITTEN;
	tpm_mark_nv(t);
}

/* TPM2B_MAX_NV_BUFFER, without copying. */
static tpm_rc r_nv_buffer(struct tpm_r *r, const uint8_t **p, uint16_t *len)
{
	size_t start = r->pos;
	tpm_rc rc = tpm_r_u16(r, len);

	if (rc)
		return rc;
	if (*len > TPM_MAX_BUFFER) {
		r->pos = start;
		return TPM_RC_SIZE;
	}
	rc = tpm_r_view(r, p, *len);
	if (rc)
		r->pos = start;
	return rc;
}

/* TPM2B_NV_PUBLIC with the checks of its unmarshalling.  As in the
 * reference TPM, the structure is read first and its size compared after
 * (so a size beyond the command is TPM_RC_SIZE, not _INSUFFICIENT). */
static tpm_rc r_nv_public(struct tpm_r *r, struct tpm_nv_index *nv)
{
	uint16_t size;
	size_t start;

	TPM_TRY(tpm_r_u16(r, &size));
	if (size == 0)
		return TPM_RC_SIZE;
	start = r->pos;
	TPM_TRY(tpm_r_u32(r, &nv->handle));
	if ((nv->handle >> TPM_HR_SHIFT) != TPM_HT_NV_INDEX)
		return TPM_RC_VALUE;
	TPM_TRY(tpm_r_hash_alg(r, &nv->name_alg, false));
	TPM_TRY(tpm_r_u32(r, &nv->attributes));
	if (nv->attributes & NV_ATTR_RESERVED)
		return TPM_RC_RESERVED_BITS;
	TPM_TRY(tpm_r_digest(r, &nv->auth_policy));
	TPM_TRY(tpm_r_u16(r, &nv->size));
	if (nv->size > TPM_NV_INDEX_MAX)
		return TPM_RC_SIZE;
	return r->pos - start == size ? TPM_RC_SUCCESS : TPM_RC_SIZE;
}

/* ---- NV_DefineSpace ---- */

/* The consistency rules of TPMS_NV_PUBLIC, in the reference order.
 * Returns the code with its parameter or handle number. */
static tpm_rc define_checks(struct tpm_cmd *c, const struct tpm_nv_index *nv, struct tpm2b_digest *auth)
{
	uint32_t a = nv->attributes, by = c->handles[0];
	uint16_t digest = tpm_hash_size(nv->name_alg);
	const uint32_t p2 = 2;

	if (nv->auth_policy.size != 0 && nv->auth_policy.size != digest)
		return tpm_rc_param(TPM_RC_SIZE, p2);
	tpm_auth_trim(auth);
	if (auth->size > digest)
		return tpm_rc_param(TPM_RC_SIZE, 1);
	if (by == TPM_RH_PLATFORM && !c->t->ph_enable_nv)
		return tpm_rc_handle(TPM_RC_HIERARCHY, 1);
	switch (nv_type(a)) {
	case TPM_NT_ORDINARY:
		if (nv->size > TPM_NV_INDEX_MAX)
			return tpm_rc_param(TPM_RC_SIZE, p2);
		break;
	case TPM_NT_EXTEND:
		if (nv->size != digest)
			return tpm_rc_param(TPM_RC_SIZE, p2);
		break;
	case TPM_NT_COUNTER:
	case TPM_NT_BITS:
		if (nv->size != 8)
			return tpm_rc_param(TPM_RC_SIZE, p2);
		break;
	default: /* PIN indexes are not implemented; other values are reserved */
		return tpm_rc_param(TPM_RC_ATTRIBUTES, p2);
	}
	/* Counters are never cleared. */
	if (nv_type(a) == TPM_NT_COUNTER && (a & TPMA_NV_CLEAR_STCLEAR))
		return tpm_rc_param(TPM_RC_ATTRIBUTES, p2);
	/* State bits are the TPM's to set. */
	if (a & (TPMA_NV_WRITTEN | TPMA_NV_WRITELOCKED | TPMA_NV_READLOCKED))
		return tpm_rc_param(TPM_RC_ATTRIBUTES, p2);
	if (!(a & (TPMA_NV_OWNERREAD | TPMA_NV_PPREAD | TPMA_NV_AUTHREAD | TPMA_NV_POLICYREAD)))
		return tpm_rc_param(TPM_RC_ATTRIBUTES, p2);
	if (!(a & (TPMA_NV_OWNERWRITE | TPMA_NV_PPWRITE | TPMA_NV_AUTHWRITE | TPMA_NV_POLICYWRITE)))
		return tpm_rc_param(TPM_RC_ATTRIBUTES, p2);
	if ((a & TPMA_NV_CLEAR_STCLEAR) && (a & TPMA_NV_WRITEDEFINE))
		return tpm_rc_param(TPM_RC_ATTRIBUTES, p2);
	/* The creator must be able to delete it. */
	if (!!(a & TPMA_NV_PLATFORMCREATE) != (by == TPM_RH_PLATFORM))
		return tpm_rc_handle(TPM_RC_ATTRIBUTES, 1);
	if ((a & TPMA_NV_POLICY_DELETE) && by != TPM_RH_PLATFORM)
		return tpm_rc_param(TPM_RC_ATTRIBUTES, p2);
	if ((a & TPMA_NV_WRITEALL) && nv->size > TPM_MAX_BUFFER)
		return tpm_rc_param(TPM_RC_SIZE, p2);
	return TPM_RC_SUCCESS;
}

TPM_HANDLER(NV_DefineSpace)
{
	struct tpm *t = c->t;
	struct tpm_persistent *p = &t->nv;
	struct tpm2b_digest auth;
	struct tpm_nv_index pub;
	uint32_t at;
	tpm_rc rc;

	memset(&pub, 0, sizeof(pub));
	TPM_IN(1, tpm_r_digest(&c->in, &auth));
	rc = tpm_rc_param(r_nv_public(&c->in, &pub), 2);
	if (!rc)
		rc = tpm_in_done(c);
	if (!rc)
		rc = define_checks(c, &pub, &auth);
	if (!rc && tpm_nv_find(t, pub.handle))
		rc = TPM_RC_NV_DEFINED;
	if (!rc && (p->nv_count >= TPM_MAX_NV_INDICES || p->nv_bytes + pub.size > TPM_NV_TOTAL_MAX))
		rc = TPM_RC_NV_SPACE;
	if (!rc) {
		pub.data = tpm_alloc(t, pub.size);
		if (!pub.data)
			rc = TPM_RC_NV_SPACE;
		else /* unwritten bytes read as erased flash, as in libtpms */
			memset(pub.data, 0xff, pub.size);
	}
	if (rc) {
		crypto_wipe(&auth, sizeof(auth));
		return rc;
	}
	pub.auth = auth;
	crypto_wipe(&auth, sizeof(auth));
	/* Keep the table sorted by handle (GetCapability lists it in order). */
	for (at = 0; at < p->nv_count && p->nv[at].handle < pub.handle; at++)
		;
	memmove(&p->nv[at + 1], &p->nv[at], (p->nv_count - at) * sizeof(p->nv[0]));
	p->nv[at] = pub;
	crypto_wipe(&pub, sizeof(pub));
	p->nv_count++;
	p->nv_bytes += p->nv[at].size;
	tpm_mark_nv(t);
	return TPM_RC_SUCCESS;
}

/* ---- NV_UndefineSpace, NV_UndefineSpaceSpecial ---- */

TPM_HANDLER(NV_UndefineSpace)
{
	struct tpm_nv_index *nv;

	TPM_IN_DONE(c);
	TPM_TRY(find_index(c, 1, false, &nv));
	/* Such an index goes only with its policy (NV_UndefineSpaceSpecial). */
	if (nv->attributes & TPMA_NV_POLICY_DELETE)
		return tpm_rc_handle(TPM_RC_ATTRIBUTES, 2);
	/* The owner may delete only its own indexes; the platform any. */
	if (c->handles[0] == TPM_RH_OWNER && (nv->attributes & TPMA_NV_PLATFORMCREATE))
		return TPM_RC_NV_AUTHORIZATION;
	nv_delete_index(c->t, nv);
	return TPM_RC_SUCCESS;
}

TPM_HANDLER(NV_UndefineSpaceSpecial)
{
	struct tpm_nv_index *nv;

	TPM_IN_DONE(c);
	TPM_TRY(find_index(c, 0, false, &nv));
	TPM_TRY(admin_auth_check(c));
	if (!(nv->attributes & TPMA_NV_POLICY_DELETE))
		return tpm_rc_handle(TPM_RC_ATTRIBUTES, 1);
	nv_delete_index(c->t, nv);
	/* The index is gone: the response HMAC uses no authValue for it. */
	for (unsigned i = 0; i < c->nsessions; i++)
		if (c->sessions[i].auth_handle == c->handles[0])
			crypto_wipe(&c->sessions[i].auth_value, sizeof(c->sessions[i].auth_value));
	return TPM_RC_SUCCESS;
}

/* ---- NV_Write, NV_Increment, NV_Extend, NV_SetBits ---- */

TPM_HANDLER(NV_Write)
{
	struct tpm_nv_index *nv;
	const uint8_t *data;
	uint16_t len, offset;

	TPM_IN(1, r_nv_buffer(&c->in, &data, &len));
	TPM_IN(2, tpm_r_u16(&c->in, &offset));
	TPM_IN_DONE(c);
	TPM_TRY(cmd_index(c, 1, &nv));
	TPM_TRY(write_access(c, nv));
	/* Counters, bit fields and extend indexes have their own commands. */
	if (nv_type(nv->attributes) != TPM_NT_ORDINARY)
		return TPM_RC_ATTRIBUTES;
	if (offset > nv->size)
		return tpm_rc_param(TPM_RC_VALUE, 2);
	if (len > nv->size - offset)
		return TPM_RC_NV_RANGE;
	if ((nv->attributes & TPMA_NV_WRITEALL) && len < nv->size)
		return TPM_RC_NV_RANGE;
	nv_store(c->t, nv, offset, data, len);
	return TPM_RC_SUCCESS;
}

TPM_HANDLER(NV_Increment)
{
	struct tpm_nv_index *nv;
	uint8_t v[8];
	uint64_t count;

	TPM_IN_DONE(c);
	TPM_TRY(cmd_index(c, 1, &nv));
	TPM_TRY(write_access(c, nv));
	if (nv_type(nv->attributes) != TPM_NT_COUNTER)
		return tpm_rc_handle(TPM_RC_ATTRIBUTES, 2);
	/* A new counter continues above every counter deleted so far
	 * (libtpms: not above the counters still defined). */
	count = (nv->attributes & TPMA_NV_WRITTEN) ? get_be64(nv->data) : c->t->nv.nv_max_counter;
	put_be64(v, count + 1);
	nv_store(c->t, nv, 0, v, 8);
	return TPM_RC_SUCCESS;
}

TPM_HANDLER(NV_Extend)
{
	struct tpm_nv_index *nv;
	const uint8_t *data;
	uint16_t len, size;
	uint8_t digest[TPM_MAX_DIGEST];
	struct tpm_part parts[2];

	TPM_IN(1, r_nv_buffer(&c->in, &data, &len));
	TPM_IN_DONE(c);
	TPM_TRY(cmd_index(c, 1, &nv));
	TPM_TRY(write_access(c, nv));
	if (nv_type(nv->attributes) != TPM_NT_EXTEND)
		return tpm_rc_handle(TPM_RC_ATTRIBUTES, 2);
	size = nv->size; /* the digest's size */
	/* The value before the first extend is all zero (the data is
	 * zeroed at definition, and written only by extends). */
	if (!(nv->attributes & TPMA_NV_WRITTEN))
		memset(nv->data, 0, size);
	parts[0] = (struct tpm_part){ nv->data, size };
	parts[1] = (struct tpm_part){ data, len };
	TPM_TRY(tpm_hash_parts(nv->name_alg, parts, 2, digest));
	nv_store(c->t, nv, 0, digest, size);
	return TPM_RC_SUCCESS;
}

TPM_HANDLER(NV_SetBits)
{
	struct tpm_nv_index *nv;
	uint64_t bits, old;
	uint8_t v[8];

	TPM_IN(1, tpm_r_u64(&c->in, &bits));
	TPM_IN_DONE(c);
	TPM_TRY(cmd_index(c, 1, &nv));
	TPM_TRY(write_access(c, nv));
	if (nv_type(nv->attributes) != TPM_NT_BITS)
		return tpm_rc_handle(TPM_RC_ATTRIBUTES, 2);
	old = (nv->attributes & TPMA_NV_WRITTEN) ? get_be64(nv->data) : 0;
	if ((nv->attributes & TPMA_NV_WRITTEN) && (old | bits) == old)
		return TPM_RC_SUCCESS; /* nothing changes */
	put_be64(v, old | bits);
	nv_store(c->t, nv, 0, v, 8);
	return TPM_RC_SUCCESS;
}

/* ---- NV_Read, NV_ReadPublic ---- */

TPM_HANDLER(NV_Read)
{
	struct tpm_nv_index *nv;
	uint16_t size, offset;

	TPM_IN(1, tpm_r_u16(&c->in, &size));
	TPM_IN(2, tpm_r_u16(&c->in, &offset));
	TPM_IN_DONE(c);
	TPM_TRY(cmd_index(c, 1, &nv));
	TPM_TRY(read_access(c, nv));
	if (size > TPM_MAX_BUFFER)
		return tpm_rc_param(TPM_RC_VALUE, 1);
	if (offset > nv->size)
		return tpm_rc_param(TPM_RC_VALUE, 2);
	if (size > nv->size - offset)
		return TPM_RC_NV_RANGE;
	tpm_w_2b(&c->out, nv->data + offset, size);
	return TPM_RC_SUCCESS;
}

TPM_HANDLER(NV_ReadPublic)
{
	struct tpm_nv_index *nv;
	struct tpm2b_name name;
	size_t at;

	TPM_IN_DONE(c);
	TPM_TRY(find_index(c, 0, false, &nv));
	at = tpm_w_reserve(&c->out, 2);
	w_nv_public(&c->out, nv);
	tpm_w_patch_u16(&c->out, at, (uint16_t)(c->out.pos - at - 2));
	tpm_nv_name(nv, &name);
	tpm_w_name(&c->out, &name);
	return TPM_RC_SUCCESS;
}

/* ---- locks ---- */

TPM_HANDLER(NV_WriteLock)
{
	struct tpm_nv_index *nv;
	tpm_rc rc;

	TPM_IN_DONE(c);
	TPM_TRY(cmd_index(c, 1, &nv));
	rc = write_access(c, nv);
	if (rc == TPM_RC_NV_LOCKED)
		return TPM_RC_SUCCESS; /* already locked */
	if (rc)
		return rc;
	if (!(nv->attributes & (TPMA_NV_WRITEDEFINE | TPMA_NV_WRITE_STCLEAR)))
		return tpm_rc_handle(TPM_RC_ATTRIBUTES, 2);
	nv->attributes |= TPMA_NV_WRITELOCKED;
	tpm_mark_nv(c->t);
	return TPM_RC_SUCCESS;
}

TPM_HANDLER(NV_ReadLock)
{
	struct tpm_nv_index *nv;
	tpm_rc rc;

	TPM_IN_DONE(c);
	TPM_TRY(cmd_index(c, 1, &nv));
	rc = read_access(c, nv);
	if (rc == TPM_RC_NV_LOCKED)
		return TPM_RC_SUCCESS; /* already locked */
	/* An index that was never written may be locked all the same. */
	if (rc && rc != TPM_RC_NV_UNINITIALIZED)
		return rc;
	if (!(nv->attributes & TPMA_NV_READ_STCLEAR))
		return tpm_rc_handle(TPM_RC_ATTRIBUTES, 2);
	nv->attributes |= TPMA_NV_READLOCKED;
	tpm_mark_nv(c->t);
	return TPM_RC_SUCCESS;
}

TPM_HANDLER(NV_GlobalWriteLock)
{
	struct tpm *t = c->t;

	TPM_IN_DONE(c);
	for (uint32_t i = 0; i < t->nv.nv_count; i++) {
		struct tpm_nv_index *nv = &t->nv.nv[i];

		if ((nv->attributes & TPMA_NV_GLOBALLOCK) && !(nv->attributes & TPMA_NV_WRITELOCKED)) {
			nv->attributes |= TPMA_NV_WRITELOCKED;
			tpm_mark_nv(t);
		}
	}
	return TPM_RC_SUCCESS;
}

/* ---- NV_ChangeAuth ---- */

TPM_HANDLER(NV_ChangeAuth)
{
	struct tpm_nv_index *nv;
	struct tpm2b_digest auth;

	TPM_IN(1, tpm_r_digest(&c->in, &auth));
	TPM_IN_DONE(c);
	TPM_TRY(cmd_index(c, 0, &nv));
	TPM_TRY(admin_auth_check(c));
	tpm_auth_trim(&auth);
	if (auth.size > tpm_hash_size(nv->name_alg)) {
		crypto_wipe(&auth, sizeof(auth));
		return tpm_rc_param(TPM_RC_SIZE, 1);
	}
	nv->auth = auth;
	/* The response HMAC uses the new authValue, as in the reference TPM. */
	for (unsigned i = 0; i < c->nsessions; i++)
		if (c->sessions[i].auth_handle == nv->handle)
			c->sessions[i].auth_value = auth;
	crypto_wipe(&auth, sizeof(auth));
	tpm_mark_nv(c->t);
	return TPM_RC_SUCCESS;
}
