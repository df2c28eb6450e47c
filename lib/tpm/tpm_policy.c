/* Policy commands (TPM 2.0 Part 3, "Enhanced Authorization"): each one
 * extends a policy session's policyDigest and, in a real (not trial)
 * session, first checks its assertion now or records it for the session
 * code to check when the session authorizes a command (command code, PCR
 * counter, locality, cpHash, auth value or password, expiry).
 *
 * Digests follow the reference implementation byte for byte, including its
 * quirks (PolicyPassword extends with TPM_CC_PolicyAuthValue; PolicyPCR
 * hashes the selection after dropping unallocated banks), so policies
 * computed on another TPM or by tpm2-tools match.
 *
 * Tickets (TPMT_TK_AUTH from PolicySigned/PolicySecret, redeemed by
 * PolicyTicket) are husk's own: an HMAC with the hierarchy's proof over the
 * timeout, the boot counters and the length-prefixed cpHash, policyRef and
 * Name, so a ticket dies with the Startup whose Time it refers to. */
#include <string.h>

#include "tpm/tpm_keys.h"

/* TPM_EO, the operations of PolicyNV and PolicyCounterTimer */
#define TPM_EO_EQ          0x0000
#define TPM_EO_NEQ         0x0001
#define TPM_EO_SIGNED_GT   0x0002
#define TPM_EO_UNSIGNED_GT 0x0003
#define TPM_EO_SIGNED_LT   0x0004
#define TPM_EO_UNSIGNED_LT 0x0005
#define TPM_EO_SIGNED_GE   0x0006
#define TPM_EO_UNSIGNED_GE 0x0007
#define TPM_EO_SIGNED_LE   0x0008
#define TPM_EO_UNSIGNED_LE 0x0009
#define TPM_EO_BITSET      0x000a
#define TPM_EO_BITCLEAR    0x000b

#define TIMEOUT_SIZE 8 /* TPM2B_TIMEOUT: a big-endian UINT64 */
#define TIME_INFO_SIZE (8 + 8 + 4 + 4 + 1) /* marshalled TPMS_TIME_INFO */

static struct tpm_session *policy_session(struct tpm_cmd *c, unsigned idx)
{
	/* The dispatcher has checked the handle names a loaded policy or
	 * trial session (TPM_H_POLICY_SESSION). */
	return tpm_session_find(c->t, c->handles[idx]);
}

static bool is_trial(const struct tpm_session *s)
{
	return s->type == TPM_SE_TRIAL;
}

static bool digest_equal(const struct tpm2b_digest *a, const uint8_t *b, size_t len)
{
	return a->size == len && tpm_ct_compare(a->b, b, len) == 0;
}

/* policyDigest' = H(policyDigest || commandCode || p[0..len)) */
static tpm_rc update_cc(struct tpm_session *s, uint32_t cc, const void *p, size_t len)
{
	uint8_t cc_be[4];
	struct tpm_part parts[2] = { { cc_be, 4 }, { p, len } };

	tpm_put_be32(cc_be, cc);
	return tpm_policy_update(s, parts, p ? 2 : 1);
}

/* PolicyContextUpdate: H(policyDigest || cc || name), then, when there is a
 * policyRef (even an empty one), H(policyDigest || policyRef); records
 * cpHash and the earliest expiry. */
static tpm_rc context_update(struct tpm_session *s, uint32_t cc, const struct tpm2b_name *name,
			     const struct tpm2b_digest *ref, const struct tpm2b_digest *cp, uint64_t timeout)
{
	TPM_TRY(update_cc(s, cc, name->b, name->size));
	if (ref) {
		struct tpm_part part = { ref->b, ref->size };

		TPM_TRY(tpm_policy_update(s, &part, 1));
	}
	if (cp && cp->size) {
		s->cp_hash = *cp;
		s->cp_hash_set = true;
	}
	if (timeout && (s->policy_timeout == 0 || s->policy_timeout > timeout))
		s->policy_timeout = timeout;
	return TPM_RC_SUCCESS;
}

/* The absolute expiry (in TPM Time, ms) of an authorization valid for
 * |expiration| seconds: from the start of the session when it is bound to
 * the session's nonce, otherwise from Startup (Time itself); the
 * millisecond part of Time is added so it cannot expire early. */
static uint64_t auth_timeout(const struct tpm *t, const struct tpm_session *s, int32_t expiration,
			     bool have_nonce)
{
	uint64_t secs;

	if (expiration == 0)
		return 0;
	secs = expiration < 0 ? (uint64_t)(-(int64_t)expiration) : (uint64_t)expiration;
	return secs * 1000u + (have_nonce ? s->start_ms : t->time_ms % 1000u);
}

/* PolicyParameterChecks: nonceTPM (if given) is the session's, the expiry
 * has not passed, cpHashA (if given) has the session's digest size and
 * agrees with a cpHash already recorded. */
static tpm_rc parameter_checks(const struct tpm *t, const struct tpm_session *s, uint64_t timeout,
			       const struct tpm2b_digest *cp, const struct tpm2b_digest *nonce,
			       unsigned p_nonce, unsigned p_cp, unsigned p_exp)
{
	if (nonce && nonce->size && !digest_equal(nonce, s->nonce_tpm.b, s->nonce_tpm.size))
		return tpm_rc_param(TPM_RC_NONCE, p_nonce);
	if (timeout && timeout < t->time_ms)
		return tpm_rc_param(TPM_RC_EXPIRED, p_exp);
	if (cp && cp->size) {
		if (cp->size != s->policy_digest.size)
			return tpm_rc_param(TPM_RC_SIZE, p_cp);
		if ((s->cp_hash_set || s->name_hash_set) &&
		    (!s->cp_hash_set || !digest_equal(cp, s->cp_hash.b, s->cp_hash.size)))
			return TPM_RC_CPHASH;
	}
	return TPM_RC_SUCCESS;
}

/* The hierarchy an authorizing entity belongs to: its tickets are keyed
 * with that hierarchy's proof. */
static uint32_t entity_hierarchy(struct tpm *t, uint32_t h)
{
	uint8_t ht = (uint8_t)(h >> TPM_HR_SHIFT);

	switch (h) {
	case TPM_RH_ENDORSEMENT:
	case TPM_RH_PLATFORM:
	case TPM_RH_NULL:
		return h;
	default:
		break;
	}
	if (ht == TPM_HT_TRANSIENT || ht == TPM_HT_PERSISTENT) {
		struct tpm_object *o = tpm_object_find(t, h);

		return o ? o->hierarchy : TPM_RH_NULL;
	}
	if (ht == TPM_HT_NV_INDEX) {
		struct tpm_nv_index *nv = tpm_nv_find(t, h);

		if (nv && (nv->attributes & TPMA_NV_PLATFORMCREATE))
			return TPM_RH_PLATFORM;
	}
	return TPM_RH_OWNER; /* owner, lockout, owner's NV indexes, PCRs */
}

/* TPMT_TK_AUTH for PolicySigned/PolicySecret, checked by PolicyTicket. */
static tpm_rc auth_ticket(struct tpm *t, uint16_t tag, uint32_t hierarchy, uint64_t timeout,
			  const struct tpm2b_digest *cp, const struct tpm2b_digest *ref,
			  const struct tpm2b_name *name, struct tpm_ticket *tk, bool check)
{
	uint8_t fixed[8 + 4 + 4], cp_len[2], ref_len[2], name_len[2];
	struct tpm_part parts[7] = {
		{ fixed, sizeof(fixed) },
		{ cp_len, 2 }, { cp->b, cp->size },
		{ ref_len, 2 }, { ref->b, ref->size },
		{ name_len, 2 }, { name->b, name->size },
	};

	tpm_put_be32(fixed, (uint32_t)(timeout >> 32));
	tpm_put_be32(fixed + 4, (uint32_t)timeout);
	tpm_put_be32(fixed + 8, t->nv.reset_count);
	tpm_put_be32(fixed + 12, t->nv.restart_count);
	tpm_put_be16(cp_len, cp->size);
	tpm_put_be16(ref_len, ref->size);
	tpm_put_be16(name_len, name->size);
	if (check)
		return tpm_ticket_check(t, tk, tag, parts, 7) ? TPM_RC_SUCCESS : TPM_RC_TICKET;
	return tpm_ticket_compute(t, tag, hierarchy, parts, 7, tk);
}

/* Response of PolicySigned/PolicySecret: a timeout and ticket only for a
 * negative expiration in a real session. */
static tpm_rc write_ticket(struct tpm_cmd *c, bool want, uint16_t tag, uint32_t entity, uint64_t timeout,
			   const struct tpm2b_digest *cp, const struct tpm2b_digest *ref,
			   const struct tpm2b_name *name)
{
	struct tpm_ticket tk;

	if (!want) {
		tpm_w_u16(&c->out, 0);
		tpm_ticket_null(tag, &tk);
	} else {
		uint8_t be[TIMEOUT_SIZE];

		TPM_TRY(auth_ticket(c->t, tag, entity_hierarchy(c->t, entity), timeout, cp, ref, name, &tk,
				    false));
		tpm_put_be32(be, (uint32_t)(timeout >> 32));
		tpm_put_be32(be + 4, (uint32_t)timeout);
		tpm_w_2b(&c->out, be, TIMEOUT_SIZE);
	}
	tpm_w_ticket(&c->out, &tk);
	return TPM_RC_SUCCESS;
}

/* PolicySptCheckCondition: a (from the TPM) OP b (from the caller), both
 * big-endian numbers of len bytes. */
static int compare_unsigned(const uint8_t *a, const uint8_t *b, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (a[i] != b[i])
			return a[i] < b[i] ? -1 : 1;
	return 0;
}

static int compare_signed(const uint8_t *a, const uint8_t *b, size_t len)
{
	bool na = len && (a[0] & 0x80), nb = len && (b[0] & 0x80);

	if (na != nb)
		return na ? -1 : 1;
	return compare_unsigned(a, b, len);
}

static bool eo_holds(uint16_t op, const uint8_t *a, const uint8_t *b, size_t len)
{
	switch (op) {
	case TPM_EO_EQ: return compare_unsigned(a, b, len) == 0;
	case TPM_EO_NEQ: return compare_unsigned(a, b, len) != 0;
	case TPM_EO_SIGNED_GT: return compare_signed(a, b, len) > 0;
	case TPM_EO_UNSIGNED_GT: return compare_unsigned(a, b, len) > 0;
	case TPM_EO_SIGNED_LT: return compare_signed(a, b, len) < 0;
	case TPM_EO_UNSIGNED_LT: return compare_unsigned(a, b, len) < 0;
	case TPM_EO_SIGNED_GE: return compare_signed(a, b, len) >= 0;
	case TPM_EO_UNSIGNED_GE: return compare_unsigned(a, b, len) >= 0;
	case TPM_EO_SIGNED_LE: return compare_signed(a, b, len) <= 0;
	case TPM_EO_UNSIGNED_LE: return compare_unsigned(a, b, len) <= 0;
	case TPM_EO_BITSET:
		for (size_t i = 0; i < len; i++)
			if ((a[i] & b[i]) != b[i])
				return false;
		return true;
	case TPM_EO_BITCLEAR:
		for (size_t i = 0; i < len; i++)
			if (a[i] & b[i])
				return false;
		return true;
	default:
		return false;
	}
}

/* operandB, offset, operation of PolicyNV / PolicyCounterTimer. */
struct eo_args {
	struct tpm2b_digest operand; /* TPM2B_OPERAND: at most sizeof(TPMU_HA) */
	uint16_t offset;
	uint16_t op;
};

static tpm_rc read_eo_args(struct tpm_cmd *c, struct eo_args *a)
{
	TPM_IN(1, tpm_r_digest(&c->in, &a->operand));
	TPM_IN(2, tpm_r_u16(&c->in, &a->offset));
	TPM_IN(3, tpm_r_u16(&c->in, &a->op));
	if (a->op > TPM_EO_BITCLEAR)
		return tpm_rc_param(TPM_RC_VALUE, 3);
	TPM_IN_DONE(c);
	return TPM_RC_SUCCESS;
}

/* args = H(operandB || offset || operation) */
static tpm_rc eo_args_hash(const struct tpm_session *s, const struct eo_args *a, struct tpm2b_digest *out)
{
	uint8_t tail[4];
	struct tpm_part parts[2] = { { a->operand.b, a->operand.size }, { tail, 4 } };

	tpm_put_be16(tail, a->offset);
	tpm_put_be16(tail + 2, a->op);
	out->size = tpm_hash_size(s->hash_alg);
	return tpm_hash_parts(s->hash_alg, parts, 2, out->b);
}

/* ---- commands ---- */

TPM_HANDLER(PolicyGetDigest)
{
	struct tpm_session *s = policy_session(c, 0);

	TPM_IN_DONE(c);
	tpm_w_digest(&c->out, &s->policy_digest);
	return TPM_RC_SUCCESS;
}

TPM_HANDLER(PolicyRestart)
{
	struct tpm_session *s = policy_session(c, 0);

	TPM_IN_DONE(c);
	tpm_policy_reset(s);
	s->policy_timeout = 0;
	return TPM_RC_SUCCESS;
}

TPM_HANDLER(PolicyAuthValue)
{
	struct tpm_session *s = policy_session(c, 0);

	TPM_IN_DONE(c);
	TPM_TRY(update_cc(s, TPM_CC_PolicyAuthValue, NULL, 0));
	s->need_auth_value = true;
	s->need_password = false;
	return TPM_RC_SUCCESS;
}

TPM_HANDLER(PolicyPassword)
{
	struct tpm_session *s = policy_session(c, 0);

	TPM_IN_DONE(c);
	/* Same digest as PolicyAuthValue (Part 3): the policy does not say
	 * how the auth value is proven, only that it is. */
	TPM_TRY(update_cc(s, TPM_CC_PolicyAuthValue, NULL, 0));
	s->need_password = true;
	s->need_auth_value = false;
	return TPM_RC_SUCCESS;
}

TPM_HANDLER(PolicyCommandCode)
{
	struct tpm_session *s = policy_session(c, 0);
	uint32_t code;
	uint8_t be[4];

	TPM_IN(1, tpm_r_u32(&c->in, &code));
	TPM_IN_DONE(c);
	if (s->command_code && s->command_code != code)
		return tpm_rc_param(TPM_RC_VALUE, 1);
	if (!tpm_cmd_lookup(code))
		return tpm_rc_param(TPM_RC_POLICY_CC, 1);
	tpm_put_be32(be, code);
	TPM_TRY(update_cc(s, TPM_CC_PolicyCommandCode, be, 4));
	s->command_code = code;
	return TPM_RC_SUCCESS;
}

TPM_HANDLER(PolicyPCR)
{
	struct tpm *t = c->t;
	struct tpm_session *s = policy_session(c, 0);
	struct tpm2b_digest given, digest;
	struct tpm_pcr_sel sel;
	uint8_t selbuf[4 + TPM_MAX_BANKS * (2 + 1 + TPM_PCR_SELECT_MAX)];
	struct tpm_w w;

	TPM_IN(1, tpm_r_digest(&c->in, &given));
	TPM_IN(2, tpm_r_pcr_sel(&c->in, &sel));
	TPM_IN_DONE(c);

	/* Banks that are not allocated drop out of the selection, and of the
	 * policy digest too (as in the reference implementation). */
	tpm_pcr_filter_selection(t, &sel);
	TPM_TRY(tpm_pcr_digest(t, &sel, s->hash_alg, &digest));
	if (!is_trial(s)) {
		/* The PCRs must not have changed since an earlier PolicyPCR. */
		if (s->pcr_check && s->pcr_counter != t->pcr_counter)
			return TPM_RC_PCR_CHANGED;
		if (given.size && !digest_equal(&given, digest.b, digest.size))
			return tpm_rc_param(TPM_RC_VALUE, 1);
	} else if (given.size) {
		digest = given;
	}
	tpm_w_init(&w, selbuf, sizeof(selbuf));
	tpm_w_pcr_sel(&w, &sel);
	if (!tpm_w_ok(&w))
		return TPM_RC_FAILURE;
	{
		uint8_t cc[4];
		struct tpm_part parts[3] = { { cc, 4 }, { selbuf, w.pos }, { digest.b, digest.size } };

		tpm_put_be32(cc, TPM_CC_PolicyPCR);
		TPM_TRY(tpm_policy_update(s, parts, 3));
	}
	if (!is_trial(s)) {
		s->pcr_check = true;
		s->pcr_counter = t->pcr_counter;
	}
	return TPM_RC_SUCCESS;
}

TPM_HANDLER(PolicyLocality)
{
	struct tpm_session *s = policy_session(c, 0);
	uint8_t loc, now;

	TPM_IN(1, tpm_r_u8(&c->in, &loc));
	TPM_IN_DONE(c);
	if (loc == 0)
		return tpm_rc_param(TPM_RC_RANGE, 1);
	now = s->locality;
	/* Localities 0-4 are a bitmap that narrows; an extended locality
	 * (32-255) is one value and cannot be mixed with the bitmap. */
	if (now && (now < 32) != (loc < 32))
		return tpm_rc_param(TPM_RC_RANGE, 1);
	if (loc < 32) {
		now = (uint8_t)((now ? now : 0x1f) & loc);
		if (now == 0)
			return tpm_rc_param(TPM_RC_RANGE, 1);
	} else {
		if (now && now != loc)
			return tpm_rc_param(TPM_RC_RANGE, 1);
		now = loc;
	}
	TPM_TRY(update_cc(s, TPM_CC_PolicyLocality, &loc, 1));
	s->locality = now;
	return TPM_RC_SUCCESS;
}

TPM_HANDLER(PolicyCpHash)
{
	struct tpm_session *s = policy_session(c, 0);
	struct tpm2b_digest cp;

	TPM_IN(1, tpm_r_digest(&c->in, &cp));
	TPM_IN_DONE(c);
	if (cp.size != tpm_hash_size(s->hash_alg))
		return tpm_rc_param(TPM_RC_SIZE, 1);
	if ((s->cp_hash_set || s->name_hash_set) &&
	    (!s->cp_hash_set || !digest_equal(&cp, s->cp_hash.b, s->cp_hash.size)))
		return TPM_RC_CPHASH;
	TPM_TRY(update_cc(s, TPM_CC_PolicyCpHash, cp.b, cp.size));
	s->cp_hash = cp;
	s->cp_hash_set = true;
	return TPM_RC_SUCCESS;
}

TPM_HANDLER(PolicyNameHash)
{
	struct tpm_session *s = policy_session(c, 0);
	struct tpm2b_digest nh;

	TPM_IN(1, tpm_r_digest(&c->in, &nh));
	TPM_IN_DONE(c);
	if (nh.size != tpm_hash_size(s->hash_alg))
		return tpm_rc_param(TPM_RC_SIZE, 1);
	if (s->cp_hash_set || s->name_hash_set)
		return TPM_RC_CPHASH;
	TPM_TRY(update_cc(s, TPM_CC_PolicyNameHash, nh.b, nh.size));
	s->cp_hash = nh;
	s->name_hash_set = true;
	return TPM_RC_SUCCESS;
}

TPM_HANDLER(PolicyOR)
{
	struct tpm_session *s = policy_session(c, 0);
	const uint8_t *d[8];
	uint16_t len[8];
	uint32_t count;
	bool match = is_trial(s);
	struct tpm_hash h;
	uint8_t cc[4];
	uint16_t size = s->policy_digest.size;

	/* TPML_DIGEST with at least two entries (Part 2, for PolicyOR). */
	TPM_IN(1, tpm_r_u32(&c->in, &count));
	if (count < 2 || count > 8)
		return tpm_rc_param(TPM_RC_SIZE, 1);
	for (uint32_t i = 0; i < count; i++) {
		TPM_IN(1, tpm_r_u16(&c->in, &len[i]));
		if (len[i] > TPM_MAX_DIGEST)
			return tpm_rc_param(TPM_RC_SIZE, 1);
		TPM_IN(1, tpm_r_view(&c->in, &d[i], len[i]));
	}
	TPM_IN_DONE(c);

	for (uint32_t i = 0; i < count && !match; i++)
		match = digest_equal(&s->policy_digest, d[i], len[i]);
	if (!match)
		return tpm_rc_param(TPM_RC_VALUE, 1);
	/* policyDigest' = H(0...0 || TPM_CC_PolicyOR || digests) */
	TPM_TRY(tpm_hash_start(&h, s->hash_alg));
	memset(s->policy_digest.b, 0, sizeof(s->policy_digest.b));
	tpm_hash_update(&h, s->policy_digest.b, size);
	tpm_put_be32(cc, TPM_CC_PolicyOR);
	tpm_hash_update(&h, cc, 4);
	for (uint32_t i = 0; i < count; i++)
		tpm_hash_update(&h, d[i], len[i]);
	tpm_hash_finish(&h, s->policy_digest.b);
	return TPM_RC_SUCCESS;
}

TPM_HANDLER(PolicySecret)
{
	struct tpm *t = c->t;
	uint32_t entity = c->handles[0];
	struct tpm_session *s = policy_session(c, 1);
	struct tpm2b_digest nonce, cp, ref;
	uint32_t exp_u;
	int32_t expiration;
	uint64_t timeout = 0;
	bool ticket;

	TPM_IN(1, tpm_r_digest(&c->in, &nonce));
	TPM_IN(2, tpm_r_digest(&c->in, &cp));
	TPM_IN(3, tpm_r_digest(&c->in, &ref));
	TPM_IN(4, tpm_r_u32(&c->in, &exp_u));
	TPM_IN_DONE(c);
	expiration = (int32_t)exp_u;
	/* TPMI_DH_ENTITY has no TPM_RH_NULL. */
	if (entity == TPM_RH_NULL)
		return tpm_rc_handle(TPM_RC_VALUE, 1);

	if (!is_trial(s)) {
		timeout = auth_timeout(t, s, expiration, nonce.size != 0);
		TPM_TRY(parameter_checks(t, s, timeout, &cp, &nonce, 1, 2, 4));
	}
	TPM_TRY(context_update(s, TPM_CC_PolicySecret, &c->names[0], &ref, &cp, timeout));
	ticket = expiration < 0 && !is_trial(s);
	if (ticket && (entity >> TPM_HR_SHIFT) == TPM_HT_NV_INDEX) {
		/* A PIN Pass index proves nothing beyond this use. */
		struct tpm_nv_index *nv = tpm_nv_find(t, entity);

		if (nv && ((nv->attributes & TPMA_NV_TPM_NT_MASK) >> TPMA_NV_TPM_NT_SHIFT) == TPM_NT_PIN_PASS)
			ticket = false;
	}
	return write_ticket(c, ticket, TPM_ST_AUTH_SECRET, entity, timeout, &cp, &ref, &c->names[0]);
}

TPM_HANDLER(PolicySigned)
{
	struct tpm *t = c->t;
	uint32_t key_handle = c->handles[0];
	struct tpm_session *s = policy_session(c, 1);
	struct tpm2b_digest nonce, cp, ref;
	struct tpm_signature sig;
	uint32_t exp_u;
	int32_t expiration;
	uint64_t timeout = 0;

	TPM_IN(1, tpm_r_digest(&c->in, &nonce));
	TPM_IN(2, tpm_r_digest(&c->in, &cp));
	TPM_IN(3, tpm_r_digest(&c->in, &ref));
	TPM_IN(4, tpm_r_u32(&c->in, &exp_u));
	TPM_IN(5, tpm_r_signature(&c->in, &sig));
	TPM_IN_DONE(c);
	expiration = (int32_t)exp_u;

	if (!is_trial(s)) {
		struct tpm_object *key = tpm_object_find(t, key_handle);
		struct tpm2b_digest ahash;
		uint8_t exp_be[4];
		tpm_rc rc;

		timeout = auth_timeout(t, s, expiration, nonce.size != 0);
		TPM_TRY(parameter_checks(t, s, timeout, &cp, &nonce, 1, 2, 4));
		if (sig.alg == TPM_ALG_NULL || !tpm_hash_size(sig.hash))
			return tpm_rc_param(TPM_RC_SCHEME, 5);
		if (!key || key->kind != TPM_OBJ_KEY)
			return tpm_rc_handle(TPM_RC_HANDLE, 1);
		/* aHash = H(nonceTPM || expiration || cpHashA || policyRef),
		 * with the signature's hash. */
		tpm_put_be32(exp_be, exp_u);
		{
			struct tpm_part parts[4] = {
				{ nonce.b, nonce.size }, { exp_be, 4 }, { cp.b, cp.size }, { ref.b, ref.size },
			};

			ahash.size = tpm_hash_size(sig.hash);
			TPM_TRY(tpm_hash_parts(sig.hash, parts, 4, ahash.b));
		}
		rc = tpm_key_verify(t, key, ahash.b, ahash.size, &sig);
		if (rc)
			return tpm_rc_param(rc, 5);
	}
	TPM_TRY(context_update(s, TPM_CC_PolicySigned, &c->names[0], &ref, &cp, timeout));
	return write_ticket(c, expiration < 0 && !is_trial(s), TPM_ST_AUTH_SIGNED, key_handle, timeout, &cp,
			    &ref, &c->names[0]);
}

TPM_HANDLER(PolicyTicket)
{
	struct tpm *t = c->t;
	struct tpm_session *s = policy_session(c, 0);
	struct tpm2b_digest cp, ref;
	struct tpm2b_name name;
	struct tpm_ticket tk;
	uint8_t tbuf[TIMEOUT_SIZE];
	uint16_t tsize;
	uint64_t timeout;

	TPM_IN(1, tpm_r_2b(&c->in, tbuf, &tsize, sizeof(tbuf)));
	TPM_IN(2, tpm_r_digest(&c->in, &cp));
	TPM_IN(3, tpm_r_digest(&c->in, &ref));
	TPM_IN(4, tpm_r_name(&c->in, &name));
	TPM_IN(5, tpm_r_ticket(&c->in, &tk, TPM_ST_AUTH_SIGNED, TPM_ST_AUTH_SECRET));
	TPM_IN_DONE(c);

	/* A trial session proves nothing, so it has nothing to redeem. */
	if (is_trial(s))
		return tpm_rc_handle(TPM_RC_ATTRIBUTES, 1);
	if (tsize != TIMEOUT_SIZE)
		return tpm_rc_param(TPM_RC_SIZE, 1);
	timeout = (uint64_t)tpm_be32(tbuf) << 32 | tpm_be32(tbuf + 4);
	TPM_TRY(parameter_checks(t, s, timeout, &cp, NULL, 0, 2, 1));
	if (auth_ticket(t, tk.tag, tk.hierarchy, timeout, &cp, &ref, &name, &tk, true))
		return tpm_rc_param(TPM_RC_TICKET, 5);
	return context_update(s, tk.tag == TPM_ST_AUTH_SIGNED ? TPM_CC_PolicySigned : TPM_CC_PolicySecret,
			      &name, &ref, &cp, timeout);
}

TPM_HANDLER(PolicyAuthorize)
{
	struct tpm *t = c->t;
	struct tpm_session *s = policy_session(c, 0);
	struct tpm2b_digest approved, ref;
	struct tpm2b_name key;
	struct tpm_ticket tk;
	uint16_t alg;

	TPM_IN(1, tpm_r_digest(&c->in, &approved));
	TPM_IN(2, tpm_r_digest(&c->in, &ref));
	TPM_IN(3, tpm_r_name(&c->in, &key));
	TPM_IN(4, tpm_r_ticket(&c->in, &tk, TPM_ST_VERIFIED, TPM_ST_VERIFIED));
	TPM_IN_DONE(c);

	/* keySign is the Name of a key: its hash algorithm and digest (a
	 * Name too short to hold the algorithm names none). */
	alg = key.size >= 2 ? tpm_be16(key.b) : TPM_ALG_NULL;
	if (!tpm_alg_is_hash(alg))
		return tpm_rc_param(TPM_RC_HASH, 3);
	if (key.size - 2 != tpm_hash_size(alg))
		return tpm_rc_param(TPM_RC_SIZE, 3);
	if (!is_trial(s)) {
		struct tpm2b_digest ahash;

		if (!digest_equal(&approved, s->policy_digest.b, s->policy_digest.size))
			return tpm_rc_param(TPM_RC_VALUE, 1);
		/* The key signed aHash = H(approvedPolicy || policyRef), and
		 * VerifySignature vouched for it with this ticket. */
		{
			struct tpm_part parts[2] = { { approved.b, approved.size }, { ref.b, ref.size } };

			ahash.size = tpm_hash_size(alg);
			TPM_TRY(tpm_hash_parts(alg, parts, 2, ahash.b));
		}
		{
			struct tpm_part parts[2] = { { ahash.b, ahash.size }, { key.b, key.size } };

			if (!tpm_ticket_check(t, &tk, TPM_ST_VERIFIED, parts, 2))
				return tpm_rc_param(TPM_RC_VALUE, 4);
		}
	}
	memset(s->policy_digest.b, 0, sizeof(s->policy_digest.b));
	return context_update(s, TPM_CC_PolicyAuthorize, &key, &ref, NULL, 0);
}

/* Read access of PolicyNV: the rules of NV_Read. */
static tpm_rc nv_read_access(struct tpm_cmd *c, uint32_t auth, const struct tpm_nv_index *nv)
{
	uint32_t a = nv->attributes;

	if (a & TPMA_NV_READLOCKED)
		return TPM_RC_NV_LOCKED;
	if (auth == TPM_RH_OWNER) {
		if (!(a & TPMA_NV_OWNERREAD))
			return TPM_RC_NV_AUTHORIZATION;
	} else if (auth == TPM_RH_PLATFORM) {
		if (!(a & TPMA_NV_PPREAD))
			return TPM_RC_NV_AUTHORIZATION;
	} else if (auth != nv->handle) {
		return TPM_RC_NV_AUTHORIZATION;
	} else if (!(a & (tpm_cmd_auth_is_policy(c, 0) ? TPMA_NV_POLICYREAD : TPMA_NV_AUTHREAD))) {
		return TPM_RC_AUTH_UNAVAILABLE;
	}
	if (!(a & TPMA_NV_WRITTEN))
		return TPM_RC_NV_UNINITIALIZED;
	return TPM_RC_SUCCESS;
}

TPM_HANDLER(PolicyNV)
{
	struct tpm *t = c->t;
	struct tpm_session *s = policy_session(c, 2);
	struct eo_args a;
	struct tpm2b_digest args;

	TPM_TRY(read_eo_args(c, &a));
	if (!is_trial(s)) {
		struct tpm_nv_index *nv = tpm_nv_find(t, c->handles[1]);

		if (!nv)
			return tpm_rc_handle(TPM_RC_HANDLE, 2);
		TPM_TRY(nv_read_access(c, c->handles[0], nv));
		if (a.offset > nv->size)
			return tpm_rc_param(TPM_RC_VALUE, 2);
		if (nv->size - a.offset < a.operand.size)
			return tpm_rc_param(TPM_RC_SIZE, 1);
		if (!nv->data && a.operand.size)
			return TPM_RC_FAILURE;
		if (!eo_holds(a.op, nv->data + a.offset, a.operand.b, a.operand.size))
			return TPM_RC_POLICY;
	}
	TPM_TRY(eo_args_hash(s, &a, &args));
	{
		uint8_t cc[4];
		struct tpm_part parts[3] = {
			{ cc, 4 }, { args.b, args.size }, { c->names[1].b, c->names[1].size },
		};

		tpm_put_be32(cc, TPM_CC_PolicyNV);
		return tpm_policy_update(s, parts, 3);
	}
}

TPM_HANDLER(PolicyCounterTimer)
{
	struct tpm *t = c->t;
	struct tpm_session *s = policy_session(c, 0);
	struct eo_args a;
	struct tpm2b_digest args;

	TPM_TRY(read_eo_args(c, &a));
	if (!is_trial(s)) {
		uint8_t info[TIME_INFO_SIZE];
		struct tpm_w w;

		/* TPMS_TIME_INFO as it would be marshalled. */
		tpm_w_init(&w, info, sizeof(info));
		tpm_w_u64(&w, t->time_ms);
		tpm_w_clock_info(&w, t);
		if (!tpm_w_ok(&w) || w.pos != sizeof(info))
			return TPM_RC_FAILURE;
		if (a.offset > sizeof(info))
			return tpm_rc_param(TPM_RC_VALUE, 2);
		if ((size_t)a.offset + a.operand.size > sizeof(info))
			return TPM_RC_RANGE;
		if (!eo_holds(a.op, info + a.offset, a.operand.b, a.operand.size))
			return TPM_RC_POLICY;
	}
	TPM_TRY(eo_args_hash(s, &a, &args));
	return update_cc(s, TPM_CC_PolicyCounterTimer, args.b, args.size);
}
