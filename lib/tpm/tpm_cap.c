/* GetCapability: what husk's TPM implements (algorithms, commands, curves,
 * PCR banks and properties, fixed TPM properties) and what it holds now
 * (handles, variable properties, hierarchy policies).
 *
 * Every list starts at the requested property, holds at most the requested
 * number of entries and at most what fits in TPM_MAX_CAP_BUFFER, and sets
 * moreData when entries were left out; TPM properties stay within the group
 * (fixed or variable) the request starts in, as the reference
 * implementation does, so clients page through each group separately. */
#include <string.h>

#include "husk/err.h"
#include "tpm/tpm_internal.h"

/* TPMS_CAPABILITY_DATA without the capability and the list count */
#define CAP_DATA_MAX (TPM_MAX_CAP_BUFFER - 4 - 4)

/* Context blobs (ContextSave): integrity hash and encryption. */
#define CAP_CONTEXT_HASH     TPM_ALG_SHA256 /* as tpm_context.c */
#define CAP_CONTEXT_SYM      TPM_ALG_AES
#define CAP_CONTEXT_SYM_BITS 256
/* Largest TPMS_CONTEXT: sequence, savedHandle, hierarchy, TPM2B_CONTEXT_DATA */
#define CAP_MAX_CONTEXT (8 + 4 + 4 + 2 + TPM_MAX_CONTEXT)

#define TPM_PS_PC 0x00000001 /* PC Client platform-specific family */
#define SPEC_DAY_OF_YEAR 75   /* of TPM 2.0 Library revision 1.64 */
#define SPEC_YEAR 2021

struct cap_list {
	struct tpm_w *w;
	size_t more_at, count_at;
	uint32_t count, max;
	bool more;
};

static void list_begin(struct cap_list *l, struct tpm_w *w, uint32_t cap, uint32_t want, size_t elem)
{
	uint32_t fit = (uint32_t)(CAP_DATA_MAX / elem);

	l->w = w;
	l->more_at = tpm_w_reserve(w, 1);
	tpm_w_u32(w, cap);
	l->count_at = tpm_w_reserve(w, 4);
	l->count = 0;
	l->max = want < fit ? want : fit;
	l->more = false;
}

/* Whether one more entry may be written (it is counted); once the list is
 * full, notes that there is more and says no. */
static bool list_room(struct cap_list *l)
{
	if (l->count < l->max) {
		l->count++;
		return true;
	}
	l->more = true;
	return false;
}

static void list_end(struct cap_list *l)
{
	if (tpm_w_ok(l->w))
		l->w->p[l->more_at] = l->more ? 1 : 0;
	tpm_w_patch_u32(l->w, l->count_at, l->count);
}

/* ---- TPM_CAP_ALGS ---- */

/* What husk implements (sorted by ID), with the attributes Part 2 gives
 * each algorithm.  MGF1 and the SP 800-56A / SP 800-108 KDFs are the ones
 * RSA padding, KDFe and KDFa use inside the TPM. */
static const struct {
	uint16_t alg;
	uint32_t attr;
} algs[] = {
#define ASYM TPMA_ALGORITHM_ASYMMETRIC
#define SYM TPMA_ALGORITHM_SYMMETRIC
#define HASH TPMA_ALGORITHM_HASH
#define OBJ TPMA_ALGORITHM_OBJECT
#define SIGN TPMA_ALGORITHM_SIGNING
#define ENCR TPMA_ALGORITHM_ENCRYPTING
#define METH TPMA_ALGORITHM_METHOD
	{ TPM_ALG_RSA, ASYM | OBJ },
	{ TPM_ALG_SHA1, HASH },
	{ TPM_ALG_HMAC, HASH | SIGN },
	{ TPM_ALG_AES, SYM },
	{ TPM_ALG_MGF1, HASH | METH },
	{ TPM_ALG_KEYEDHASH, HASH | OBJ | SIGN | ENCR },
	{ TPM_ALG_XOR, SYM | HASH },
	{ TPM_ALG_SHA256, HASH },
	{ TPM_ALG_SHA384, HASH },
	{ TPM_ALG_SHA512, HASH },
	{ TPM_ALG_RSASSA, ASYM | SIGN },
	{ TPM_ALG_RSAES, ASYM | ENCR },
	{ TPM_ALG_RSAPSS, ASYM | SIGN },
	{ TPM_ALG_OAEP, ASYM | ENCR },
	{ TPM_ALG_ECDSA, ASYM | SIGN },
	{ TPM_ALG_ECDH, ASYM | METH },
	{ TPM_ALG_KDF1_SP800_56A, HASH | METH },
	{ TPM_ALG_KDF1_SP800_108, HASH | METH },
	{ TPM_ALG_ECC, ASYM | OBJ },
	{ TPM_ALG_SYMCIPHER, OBJ },
	{ TPM_ALG_CTR, SYM | ENCR },
	{ TPM_ALG_OFB, SYM | ENCR },
	{ TPM_ALG_CBC, SYM | ENCR },
	{ TPM_ALG_CFB, SYM | ENCR },
	{ TPM_ALG_ECB, SYM | ENCR },
#undef ASYM
#undef SYM
#undef HASH
#undef OBJ
#undef SIGN
#undef ENCR
#undef METH
};

bool tpm_alg_implemented(uint16_t alg)
{
	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
		if (algs[i].alg == alg)
			return true;
	return false;
}

static void cap_algs(struct tpm_w *w, uint32_t property, uint32_t count)
{
	struct cap_list l;
	/* TPM_ALG_ID is 16 bits; the reference implementation truncates. */
	uint16_t from = (uint16_t)property;

	list_begin(&l, w, TPM_CAP_ALGS, count, 2 + 4);
	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		if (algs[i].alg < from)
			continue;
		if (!list_room(&l))
			break;
		tpm_w_u16(w, algs[i].alg);
		tpm_w_u32(w, algs[i].attr);
	}
	list_end(&l);
}

/* ---- TPM_CAP_HANDLES ---- */

static const uint32_t permanent_handles[] = {
	TPM_RH_OWNER, TPM_RH_NULL, TPM_RS_PW, TPM_RH_LOCKOUT, TPM_RH_ENDORSEMENT, TPM_RH_PLATFORM,
	TPM_RH_PLATFORM_NV,
};

/* The smallest handle >= from in an unordered set; false if none. */
static bool next_persistent(struct tpm *t, uint32_t from, uint32_t *h)
{
	bool found = false;

	for (uint32_t i = 0; i < t->nv.persistent_count && i < TPM_MAX_PERSISTENT; i++) {
		uint32_t v = t->nv.persistent[i].handle;

		if (v >= from && (!found || v < *h)) {
			*h = v;
			found = true;
		}
	}
	return found;
}

static bool next_nv(struct tpm *t, uint32_t from, uint32_t *h)
{
	bool found = false;

	for (uint32_t i = 0; i < t->nv.nv_count && i < TPM_MAX_NV_INDICES; i++) {
		uint32_t v = t->nv.nv[i].handle;

		if (v >= from && (!found || v < *h)) {
			*h = v;
			found = true;
		}
	}
	return found;
}

static tpm_rc cap_handles(struct tpm *t, struct tpm_w *w, uint32_t property, uint32_t count)
{
	uint8_t type = (uint8_t)(property >> TPM_HR_SHIFT);
	uint32_t index = property & TPM_HR_HANDLE_MASK;
	struct cap_list l;
	uint32_t h = 0;

	switch (type) {
	case TPM_HT_PCR:
	case TPM_HT_TRANSIENT:
	case TPM_HT_PERSISTENT:
	case TPM_HT_NV_INDEX:
	case TPM_HT_HMAC_SESSION:
	case TPM_HT_POLICY_SESSION:
	case TPM_HT_PERMANENT:
		break;
	default:
		return tpm_rc_param(TPM_RC_HANDLE, 2);
	}
	list_begin(&l, w, TPM_CAP_HANDLES, count, 4);
	switch (type) {
	case TPM_HT_PCR:
		for (uint32_t p = index; p < TPM_PCR_COUNT && list_room(&l); p++)
			tpm_w_u32(w, p);
		break;
	case TPM_HT_TRANSIENT:
		for (uint32_t i = index; i < TPM_MAX_OBJECTS; i++)
			if (t->objects[i].kind != TPM_OBJ_FREE) {
				if (!list_room(&l))
					break;
				tpm_w_u32(w, t->objects[i].handle);
			}
		break;
	case TPM_HT_PERSISTENT:
		for (uint32_t from = property; next_persistent(t, from, &h); from = h + 1) {
			if (!list_room(&l))
				break;
			tpm_w_u32(w, h);
			if (h == UINT32_MAX)
				break;
		}
		break;
	case TPM_HT_NV_INDEX:
		for (uint32_t from = property; next_nv(t, from, &h); from = h + 1) {
			if (!list_room(&l))
				break;
			tpm_w_u32(w, h);
			if (h == UINT32_MAX)
				break;
		}
		break;
	case TPM_HT_HMAC_SESSION:   /* TPM_HT_LOADED_SESSION: loaded sessions */
	case TPM_HT_POLICY_SESSION: /* TPM_HT_SAVED_SESSION: saved contexts */
		for (uint32_t i = index; i < TPM_MAX_SESSIONS; i++) {
			const struct tpm_session *s = &t->sessions[i];
			uint8_t want = type == TPM_HT_HMAC_SESSION ? TPM_SESSION_LOADED : TPM_SESSION_SAVED;

			if (s->state != want)
				continue;
			if (!list_room(&l))
				break;
			tpm_w_u32(w, s->handle);
		}
		break;
	default: /* TPM_HT_PERMANENT */
		for (size_t i = 0; i < sizeof(permanent_handles) / sizeof(permanent_handles[0]); i++) {
			if (permanent_handles[i] < property)
				continue;
			if (!list_room(&l))
				break;
			tpm_w_u32(w, permanent_handles[i]);
		}
		break;
	}
	list_end(&l);
	return TPM_RC_SUCCESS;
}

/* ---- TPM_CAP_COMMANDS, _PP_COMMANDS, _AUDIT_COMMANDS ---- */

static void cap_commands(struct tpm_w *w, uint32_t property, uint32_t count)
{
	struct cap_list l;

	list_begin(&l, w, TPM_CAP_COMMANDS, count, 4);
	for (unsigned i = 0; i < tpm_cmd_count(); i++) {
		const struct tpm_cmd_desc *d = tpm_cmd_at(i);

		if (d->cc < property)
			continue;
		if (!list_room(&l))
			break;
		tpm_w_u32(w, tpm_cmd_attributes(d));
	}
	list_end(&l);
}

/* No physical presence and no command audit: always empty lists. */
static void cap_empty(struct tpm_w *w, uint32_t cap)
{
	tpm_w_u8(w, 0);
	tpm_w_u32(w, cap);
	tpm_w_u32(w, 0);
}

/* ---- TPM_CAP_PCRS, _PCR_PROPERTIES ---- */

static tpm_rc cap_pcrs(struct tpm *t, struct tpm_w *w, uint32_t property, uint32_t count)
{
	if (property != 0)
		return tpm_rc_param(TPM_RC_VALUE, 2);
	tpm_w_u8(w, count == 0 ? 1 : 0);
	tpm_w_u32(w, TPM_CAP_PCRS);
	if (count == 0) {
		tpm_w_u32(w, 0);
		return TPM_RC_SUCCESS;
	}
	/* Every bank husk implements; the unallocated ones with no PCRs, so
	 * a client sees what PCR_Allocate could enable. */
	tpm_w_u32(w, TPM_NUM_BANKS);
	for (unsigned b = 0; b < TPM_NUM_BANKS; b++) {
		uint8_t bits = (t->nv.pcr_banks & (1u << b)) ? 0xff : 0;

		tpm_w_u16(w, tpm_bank_alg(b));
		tpm_w_u8(w, TPM_PCR_SELECT_MAX);
		for (unsigned i = 0; i < TPM_PCR_SELECT_MAX; i++)
			tpm_w_u8(w, bits);
	}
	return TPM_RC_SUCCESS;
}

static void cap_pcr_properties(struct tpm_w *w, uint32_t property, uint32_t count)
{
	struct cap_list l;
	uint32_t bitmap;

	list_begin(&l, w, TPM_CAP_PCR_PROPERTIES, count, 4 + 1 + TPM_PCR_SELECT_MAX);
	for (uint32_t tag = property; tag <= TPM_PT_PCR_AUTH; tag++) {
		if (!tpm_pcr_property(tag, &bitmap))
			continue;
		if (!list_room(&l))
			break;
		tpm_w_u32(w, tag);
		tpm_w_u8(w, TPM_PCR_SELECT_MAX);
		tpm_w_u8(w, (uint8_t)bitmap);
		tpm_w_u8(w, (uint8_t)(bitmap >> 8));
		tpm_w_u8(w, (uint8_t)(bitmap >> 16));
	}
	list_end(&l);
}

/* ---- TPM_CAP_TPM_PROPERTIES ---- */

static uint32_t be_chars(const char *s)
{
	return (uint32_t)(uint8_t)s[0] << 24 | (uint32_t)(uint8_t)s[1] << 16 | (uint32_t)(uint8_t)s[2] << 8 |
	       (uint8_t)s[3];
}

static bool fixed_property(uint32_t pt, uint32_t *v)
{
	switch (pt) {
	case TPM_PT_FAMILY_INDICATOR: *v = HUSK_TPM_SPEC_FAMILY; return true;
	case TPM_PT_LEVEL: *v = HUSK_TPM_SPEC_LEVEL; return true;
	case TPM_PT_REVISION: *v = HUSK_TPM_SPEC_REVISION; return true;
	case TPM_PT_DAY_OF_YEAR: *v = SPEC_DAY_OF_YEAR; return true;
	case TPM_PT_YEAR: *v = SPEC_YEAR; return true;
	case TPM_PT_MANUFACTURER: *v = TPM_MANUFACTURER_HUSK; return true;
	case TPM_PT_VENDOR_STRING_1: *v = be_chars("husk"); return true;
	case TPM_PT_VENDOR_STRING_2:
	case TPM_PT_VENDOR_STRING_3:
	case TPM_PT_VENDOR_STRING_4: *v = 0; return true;
	case TPM_PT_VENDOR_TPM_TYPE: *v = 1; return true;
	case TPM_PT_FIRMWARE_VERSION_1: *v = TPM_FIRMWARE_V1; return true;
	case TPM_PT_FIRMWARE_VERSION_2: *v = TPM_FIRMWARE_V2; return true;
	case TPM_PT_INPUT_BUFFER: *v = TPM_MAX_BUFFER; return true;
	case TPM_PT_HR_TRANSIENT_MIN: *v = TPM_MAX_OBJECTS; return true;
	case TPM_PT_HR_PERSISTENT_MIN: *v = TPM_MAX_PERSISTENT; return true;
	case TPM_PT_HR_LOADED_MIN: *v = TPM_MAX_SESSIONS; return true;
	case TPM_PT_ACTIVE_SESSIONS_MAX: *v = TPM_MAX_SESSIONS; return true;
	case TPM_PT_PCR_COUNT: *v = TPM_PCR_COUNT; return true;
	case TPM_PT_PCR_SELECT_MIN: *v = TPM_PCR_SELECT_MAX; return true;
	case TPM_PT_CONTEXT_GAP_MAX: *v = TPM_CONTEXT_GAP_MAX; return true;
	case TPM_PT_NV_COUNTERS_MAX: *v = 0; return true; /* no separate limit */
	case TPM_PT_NV_INDEX_MAX: *v = TPM_NV_INDEX_MAX; return true;
	/* Sessions, objects and NV each have their own slots: nothing shared,
	 * persistent objects are used in place. */
	case TPM_PT_MEMORY: *v = 0; return true;
	case TPM_PT_CLOCK_UPDATE: *v = 1u << 22; return true;
	case TPM_PT_CONTEXT_HASH: *v = CAP_CONTEXT_HASH; return true;
	case TPM_PT_CONTEXT_SYM: *v = CAP_CONTEXT_SYM; return true;
	case TPM_PT_CONTEXT_SYM_SIZE: *v = CAP_CONTEXT_SYM_BITS; return true;
	case TPM_PT_ORDERLY_COUNT: *v = 0xff; return true;
	case TPM_PT_MAX_COMMAND_SIZE: *v = TPM_BUFFER_MAX; return true;
	case TPM_PT_MAX_RESPONSE_SIZE: *v = TPM_BUFFER_MAX; return true;
	case TPM_PT_MAX_DIGEST: *v = TPM_MAX_DIGEST; return true;
	case TPM_PT_MAX_OBJECT_CONTEXT: *v = CAP_MAX_CONTEXT; return true;
	case TPM_PT_MAX_SESSION_CONTEXT: *v = CAP_MAX_CONTEXT; return true;
	case TPM_PT_PS_FAMILY_INDICATOR: *v = TPM_PS_PC; return true;
	case TPM_PT_PS_LEVEL: *v = 0; return true;
	case TPM_PT_PS_REVISION: *v = 105; return true; /* PC Client PTP 1.05 */
	case TPM_PT_PS_DAY_OF_YEAR: *v = 0; return true;
	case TPM_PT_PS_YEAR: *v = 0; return true;
	case TPM_PT_SPLIT_MAX: *v = 0; return true; /* no ECDAA/Commit */
	case TPM_PT_TOTAL_COMMANDS: *v = tpm_cmd_count(); return true;
	case TPM_PT_LIBRARY_COMMANDS: *v = tpm_cmd_count(); return true;
	case TPM_PT_VENDOR_COMMANDS: *v = 0; return true;
	case TPM_PT_NV_BUFFER_MAX: *v = TPM_MAX_BUFFER; return true;
	case TPM_PT_MODES: *v = 0; return true;
	case TPM_PT_MAX_CAP_BUFFER: *v = TPM_MAX_CAP_BUFFER; return true;
	default: return false;
	}
}

static uint32_t count_sessions(const struct tpm *t, uint8_t state)
{
	uint32_t n = 0;

	for (unsigned i = 0; i < TPM_MAX_SESSIONS; i++)
		n += t->sessions[i].state == state;
	return n;
}

static uint32_t count_nv_counters(const struct tpm *t)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < t->nv.nv_count && i < TPM_MAX_NV_INDICES; i++)
		n += ((t->nv.nv[i].attributes & TPMA_NV_TPM_NT_MASK) >> TPMA_NV_TPM_NT_SHIFT) == TPM_NT_COUNTER;
	return n;
}

static bool var_property(struct tpm *t, uint32_t pt, uint32_t *v)
{
	uint32_t free_sessions = count_sessions(t, TPM_SESSION_FREE);

	switch (pt) {
	case TPM_PT_PERMANENT:
		*v = TPMA_PERMANENT_TPMGENERATEDEPS;
		*v |= t->nv.owner.auth.size ? TPMA_PERMANENT_OWNERAUTHSET : 0;
		*v |= t->nv.endorsement.auth.size ? TPMA_PERMANENT_ENDORSEMENTAUTHSET : 0;
		*v |= t->nv.lockout.auth.size ? TPMA_PERMANENT_LOCKOUTAUTHSET : 0;
		*v |= t->nv.disable_clear ? TPMA_PERMANENT_DISABLECLEAR : 0;
		*v |= tpm_da_locked_out(t) ? TPMA_PERMANENT_INLOCKOUT : 0;
		return true;
	case TPM_PT_STARTUP_CLEAR:
		*v = (t->ph_enable ? TPMA_STARTUP_CLEAR_PHENABLE : 0) |
		     (t->sh_enable ? TPMA_STARTUP_CLEAR_SHENABLE : 0) |
		     (t->eh_enable ? TPMA_STARTUP_CLEAR_EHENABLE : 0) |
		     (t->ph_enable_nv ? TPMA_STARTUP_CLEAR_PHENABLENV : 0) |
		     /* Startup found an orderly shutdown (Startup sets
		      * clock_safe exactly then). */
		     (t->clock_safe ? TPMA_STARTUP_CLEAR_ORDERLY : 0);
		return true;
	case TPM_PT_HR_NV_INDEX: *v = t->nv.nv_count; return true;
	case TPM_PT_HR_LOADED: *v = count_sessions(t, TPM_SESSION_LOADED); return true;
	/* A saved session keeps its slot: new sessions need a free one. */
	case TPM_PT_HR_LOADED_AVAIL: *v = free_sessions; return true;
	case TPM_PT_HR_ACTIVE: *v = TPM_MAX_SESSIONS - free_sessions; return true;
	case TPM_PT_HR_ACTIVE_AVAIL: *v = free_sessions; return true;
	case TPM_PT_HR_TRANSIENT_AVAIL: {
		uint32_t n = 0;

		for (unsigned i = 0; i < TPM_MAX_OBJECTS; i++)
			n += t->objects[i].kind == TPM_OBJ_FREE;
		*v = n;
		return true;
	}
	case TPM_PT_HR_PERSISTENT: *v = t->nv.persistent_count; return true;
	case TPM_PT_HR_PERSISTENT_AVAIL: *v = TPM_MAX_PERSISTENT - t->nv.persistent_count; return true;
	case TPM_PT_NV_COUNTERS: *v = count_nv_counters(t); return true;
	case TPM_PT_NV_COUNTERS_AVAIL: *v = TPM_MAX_NV_INDICES - t->nv.nv_count; return true;
	case TPM_PT_ALGORITHM_SET: *v = 0; return true;
	case TPM_PT_LOADED_CURVES: *v = 3; return true;
	case TPM_PT_LOCKOUT_COUNTER: *v = t->nv.da_failed_tries; return true;
	case TPM_PT_MAX_AUTH_FAIL: *v = t->nv.da_max_tries; return true;
	case TPM_PT_LOCKOUT_INTERVAL: *v = t->nv.da_recovery_time; return true;
	case TPM_PT_LOCKOUT_RECOVERY: *v = t->nv.da_lockout_recovery; return true;
	case TPM_PT_NV_WRITE_RECOVERY: *v = 0; return true;
	case TPM_PT_AUDIT_COUNTER_0:
	case TPM_PT_AUDIT_COUNTER_1: *v = 0; return true; /* no command audit */
	default: return false;
	}
}

/* The same table GetCapability reads, so that what a certificate says of
 * this TPM (docs/ekcert.md) is what the TPM says of itself. */
int tpm_get_property(struct tpm *t, uint32_t property, uint32_t *value)
{
	bool defined;

	if (!t || !value)
		return HUSK_ERR_INVAL;
	defined = property < TPM_PT_VAR ? fixed_property(property, value) : var_property(t, property, value);
	return defined ? HUSK_OK : HUSK_ERR_NOTFOUND;
}

static void cap_tpm_properties(struct tpm *t, struct tpm_w *w, uint32_t property, uint32_t count)
{
	struct cap_list l;
	uint32_t first, end;

	list_begin(&l, w, TPM_CAP_TPM_PROPERTIES, count, 4 + 4);
	if (property < TPM_PT_VAR) {
		first = property < TPM_PT_FIXED ? TPM_PT_FIXED : property;
		end = TPM_PT_VAR;
	} else {
		first = property;
		end = TPM_PT_VAR + 0x100;
	}
	for (uint32_t pt = first; pt < end; pt++) {
		uint32_t v;
		bool defined = pt < TPM_PT_VAR ? fixed_property(pt, &v) : var_property(t, pt, &v);

		if (!defined)
			continue;
		if (!list_room(&l))
			break;
		tpm_w_u32(w, pt);
		tpm_w_u32(w, v);
	}
	list_end(&l);
}

/* ---- TPM_CAP_ECC_CURVES, _AUTH_POLICIES ---- */

static void cap_ecc_curves(struct tpm_w *w, uint32_t property, uint32_t count)
{
	static const uint16_t curves[] = { TPM_ECC_NIST_P256, TPM_ECC_NIST_P384, TPM_ECC_NIST_P521 };
	struct cap_list l;
	uint16_t from = (uint16_t)property; /* TPM_ECC_CURVE is 16 bits */

	list_begin(&l, w, TPM_CAP_ECC_CURVES, count, 2);
	for (size_t i = 0; i < sizeof(curves) / sizeof(curves[0]); i++) {
		if (curves[i] < from)
			continue;
		if (!list_room(&l))
			break;
		tpm_w_u16(w, curves[i]);
	}
	list_end(&l);
}

static tpm_rc cap_auth_policies(struct tpm *t, struct tpm_w *w, uint32_t property, uint32_t count)
{
	static const uint32_t handles[] = { TPM_RH_OWNER, TPM_RH_LOCKOUT, TPM_RH_ENDORSEMENT, TPM_RH_PLATFORM };
	struct cap_list l;

	if ((property >> TPM_HR_SHIFT) != TPM_HT_PERMANENT)
		return tpm_rc_param(TPM_RC_VALUE, 2);
	/* TPMS_TAGGED_POLICY: handle and TPMT_HA */
	list_begin(&l, w, TPM_CAP_AUTH_POLICIES, count, 4 + 2 + TPM_MAX_DIGEST);
	for (size_t i = 0; i < sizeof(handles) / sizeof(handles[0]); i++) {
		struct tpm2b_digest policy;
		uint16_t alg;

		if (handles[i] < property)
			continue;
		if (!list_room(&l))
			break;
		if (!tpm_entity_policy(t, handles[i], &policy, &alg) || !tpm_alg_is_hash(alg)) {
			alg = TPM_ALG_NULL;
			policy.size = 0;
		}
		tpm_w_u32(w, handles[i]);
		tpm_w_u16(w, alg);
		tpm_w_bytes(w, policy.b, alg == TPM_ALG_NULL ? 0 : tpm_hash_size(alg));
	}
	list_end(&l);
	return TPM_RC_SUCCESS;
}

TPM_HANDLER(GetCapability)
{
	struct tpm *t = c->t;
	uint32_t cap, property, count;

	TPM_IN(1, tpm_r_u32(&c->in, &cap));
	TPM_IN(2, tpm_r_u32(&c->in, &property));
	TPM_IN(3, tpm_r_u32(&c->in, &count));
	TPM_IN_DONE(c);

	switch (cap) {
	case TPM_CAP_ALGS:
		cap_algs(&c->out, property, count);
		return TPM_RC_SUCCESS;
	case TPM_CAP_HANDLES:
		return cap_handles(t, &c->out, property, count);
	case TPM_CAP_COMMANDS:
		cap_commands(&c->out, property, count);
		return TPM_RC_SUCCESS;
	case TPM_CAP_PP_COMMANDS:
	case TPM_CAP_AUDIT_COMMANDS:
		cap_empty(&c->out, cap);
		return TPM_RC_SUCCESS;
	case TPM_CAP_PCRS:
		return cap_pcrs(t, &c->out, property, count);
	case TPM_CAP_TPM_PROPERTIES:
		cap_tpm_properties(t, &c->out, property, count);
		return TPM_RC_SUCCESS;
	case TPM_CAP_PCR_PROPERTIES:
		cap_pcr_properties(&c->out, property, count);
		return TPM_RC_SUCCESS;
	case TPM_CAP_ECC_CURVES:
		cap_ecc_curves(&c->out, property, count);
		return TPM_RC_SUCCESS;
	case TPM_CAP_AUTH_POLICIES:
		return cap_auth_policies(t, &c->out, property, count);
	default: /* including TPM_CAP_ACT and vendor properties */
		return tpm_rc_param(TPM_RC_VALUE, 1);
	}
}
