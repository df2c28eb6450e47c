/* Object commands (TPM 2.0 Part 3, "Object Commands" and CreatePrimary):
 * CreatePrimary, Create, CreateLoaded, Load, LoadExternal, ReadPublic,
 * ObjectChangeAuth, Unseal.  Key material and template checks are
 * tpm_keys.c's, the TPM2B_PRIVATE format tpm_protect.c's; context
 * management and EvictControl are in tpm_context.c. */
#include <string.h>

#include "tpm/tpm_keys.h"

/* TPM2B_DATA: up to sizeof(TPMT_HA). */
#define TPM_MAX_DATA (2 + TPM_MAX_DIGEST)

/* The parameters Create, CreatePrimary and CreateLoaded share. */
struct create_in {
	struct tpm2b_digest auth;
	struct tpm2b_sensitive_data data;
	struct tpm_public pub;
	uint16_t outside_size;
	uint8_t outside[TPM_MAX_DATA];
	struct tpm_pcr_sel pcr;
};

/* TPMS_CREATION_DATA (marshalled), its hash and the creation ticket. */
struct creation {
	uint8_t data[512];
	size_t len;
	struct tpm2b_digest hash;
	struct tpm_ticket ticket;
};

/* inSensitive, inPublic and, with creation, outsideInfo and creationPCR. */
static tpm_rc read_create_in(struct tpm_cmd *c, struct create_in *in, bool creation)
{
	memset(in, 0, sizeof(*in));
	TPM_IN(1, tpm_r_sensitive_create(&c->in, &in->auth, &in->data));
	TPM_IN(2, tpm_r_2b_public(&c->in, &in->pub, false));
	if (creation) {
		TPM_IN(3, tpm_r_2b(&c->in, in->outside, &in->outside_size, sizeof(in->outside)));
		TPM_IN(4, tpm_r_pcr_sel(&c->in, &in->pcr));
	}
	return tpm_in_done(c);
}

/* An authValue may not be longer than nameAlg's digest once its trailing
 * zeros are gone. */
static tpm_rc adjust_auth(struct tpm2b_digest *auth, uint16_t name_alg)
{
	tpm_auth_trim(auth);
	return auth->size > tpm_hash_size(name_alg) ? TPM_RC_SIZE : TPM_RC_SUCCESS;
}

static tpm_rc creation_data(struct tpm_cmd *c, const struct create_in *in, const struct tpm_object *parent,
			    uint32_t hierarchy, struct creation *cr)
{
	struct tpm *t = c->t;
	struct tpm_pcr_sel sel = in->pcr;
	struct tpm2b_digest pcr_digest;
	struct tpm2b_name pname, pqn;
	uint16_t alg = in->pub.name_alg;
	struct tpm_w w;

	tpm_pcr_filter_selection(t, &sel);
	TPM_TRY(tpm_rc_param(tpm_pcr_digest(t, &sel, alg, &pcr_digest), 4));
	if (parent) {
		pname = parent->name;
		pqn = parent->qualified_name;
	} else {
		tpm_hierarchy_qn(hierarchy, &pname);
		pqn = pname;
	}
	tpm_w_init(&w, cr->data, sizeof(cr->data));
	tpm_w_pcr_sel(&w, &sel);
	tpm_w_digest(&w, &pcr_digest);
	tpm_w_u8(&w, (uint8_t)(1u << c->locality)); /* TPMA_LOCALITY */
	tpm_w_u16(&w, parent ? parent->pub.name_alg : TPM_ALG_NULL);
	tpm_w_name(&w, &pname);
	tpm_w_name(&w, &pqn);
	tpm_w_2b(&w, in->outside, in->outside_size);
	if (!tpm_w_ok(&w))
		return TPM_RC_FAILURE;
	cr->len = w.pos;
	return tpm_hash_buf(alg, cr->data, cr->len, &cr->hash);
}

/* TPMT_TK_CREATION: HMAC(proof, TPM_ST_CREATION || Name || creationHash). */
static tpm_rc creation_ticket(struct tpm *t, uint32_t hierarchy, const struct tpm2b_name *name,
			      struct creation *cr)
{
	struct tpm_part parts[2] = { { name->b, name->size }, { cr->hash.b, cr->hash.size } };

	return tpm_ticket_compute(t, TPM_ST_CREATION, hierarchy, parts, 2, &cr->ticket);
}

/* TPM2B_CREATION_DATA, creationHash, creationTicket */
static void w_creation(struct tpm_w *w, const struct creation *cr)
{
	tpm_w_2b(w, cr->data, (uint16_t)cr->len);
	tpm_w_digest(w, &cr->hash);
	tpm_w_ticket(w, &cr->ticket);
}

/* Name and qualified name of a new or loaded object. */
static tpm_rc name_object(struct tpm_object *o, const struct tpm_object *parent)
{
	struct tpm2b_name hqn;

	TPM_TRY(tpm_object_compute_name(&o->pub, &o->name));
	if (parent)
		return tpm_object_qualify(o, &parent->qualified_name);
	tpm_hierarchy_qn(o->hierarchy, &hqn);
	return tpm_object_qualify(o, &hqn);
}

/* A primary object in o from the checked template, derived from the
 * hierarchy's primary seed (or the same key from the cache of derived
 * primaries). */
static tpm_rc make_primary(struct tpm *t, struct tpm_object *o, const struct create_in *in, uint32_t hierarchy)
{
	o->pub = in->pub;
	o->sens.auth = in->auth;
	TPM_TRY(tpm_key_generate_primary(t, o, &in->data, hierarchy));
	o->has_sensitive = true;
	o->primary = true;
	o->stclear = (o->pub.attributes & TPMA_OBJECT_STCLEAR) != 0;
	o->hierarchy = hierarchy;
	return name_object(o, NULL);
}

/* An ordinary object in o, under parent, from the DRBG. */
static tpm_rc make_child(struct tpm *t, struct tpm_object *o, const struct create_in *in,
			 const struct tpm_object *parent)
{
	o->pub = in->pub;
	o->sens.auth = in->auth;
	TPM_TRY(tpm_key_generate(t, o, &in->data, NULL, 0));
	o->has_sensitive = true;
	o->stclear = parent->stclear || (o->pub.attributes & TPMA_OBJECT_STCLEAR);
	o->hierarchy = parent->hierarchy;
	return name_object(o, parent);
}

TPM_HANDLER(CreatePrimary)
{
	struct tpm *t = c->t;
	uint32_t hierarchy = c->handles[0];
	struct create_in in;
	struct creation cr;
	struct tpm_object *o = NULL;
	tpm_rc rc;

	rc = read_create_in(c, &in, true);
	if (!rc) {
		o = tpm_object_alloc(t);
		if (!o)
			rc = TPM_RC_OBJECT_MEMORY;
	}
	if (!rc)
		rc = tpm_rc_param(tpm_key_check_create(NULL, &in.pub, in.data.size), 2);
	if (!rc)
		rc = tpm_rc_param(adjust_auth(&in.auth, in.pub.name_alg), 1);
	if (!rc)
		rc = creation_data(c, &in, NULL, hierarchy, &cr);
	if (!rc) {
		rc = make_primary(t, o, &in, hierarchy);
		if (!rc)
			rc = creation_ticket(t, hierarchy, &o->name, &cr);
		if (rc) {
			tpm_object_release(t, o);
		} else {
			o->kind = TPM_OBJ_KEY;
			c->out_handle = o->handle;
			tpm_w_2b_public(&c->out, &o->pub);
			w_creation(&c->out, &cr);
			tpm_w_name(&c->out, &o->name);
		}
	}
	crypto_wipe(&in, sizeof(in));
	return rc;
}

TPM_HANDLER(Create)
{
	struct tpm *t = c->t;
	struct tpm_object *parent = tpm_object_find(t, c->handles[0]);
	struct create_in in;
	struct creation cr;
	struct tpm_object child;
	tpm_rc rc;

	memset(&child, 0, sizeof(child));
	rc = read_create_in(c, &in, true);
	if (!rc && !tpm_key_is_parent(parent))
		rc = tpm_rc_handle(TPM_RC_TYPE, 1);
	if (!rc)
		rc = tpm_rc_param(tpm_key_check_create(parent, &in.pub, in.data.size), 2);
	if (!rc)
		rc = tpm_rc_param(adjust_auth(&in.auth, in.pub.name_alg), 1);
	if (!rc)
		rc = creation_data(c, &in, parent, parent->hierarchy, &cr);
	if (!rc)
		rc = make_child(t, &child, &in, parent);
	if (!rc)
		rc = creation_ticket(t, parent->hierarchy, &child.name, &cr);
	if (!rc)
		rc = tpm_private_seal(t, parent, &child.sens, &child.name, &c->out);
	if (!rc) {
		tpm_w_2b_public(&c->out, &child.pub);
		w_creation(&c->out, &cr);
	}
	tpm_key_cache_free(t, &child);
	crypto_wipe(&child, sizeof(child));
	crypto_wipe(&in, sizeof(in));
	return rc;
}

TPM_HANDLER(CreateLoaded)
{
	struct tpm *t = c->t;
	uint32_t ph = c->handles[0];
	uint8_t ht = (uint8_t)(ph >> TPM_HR_SHIFT);
	struct tpm_object *parent = NULL, *o = NULL;
	struct create_in in;
	tpm_rc rc;

	if (ht == TPM_HT_TRANSIENT || ht == TPM_HT_PERSISTENT)
		parent = tpm_object_find(t, ph);
	rc = read_create_in(c, &in, false);
	/* Derivation parents (restricted keyed-hash) are not implemented. */
	if (!rc && parent && !tpm_key_is_parent(parent))
		rc = tpm_rc_handle(TPM_RC_TYPE, 1);
	if (!rc) {
		o = tpm_object_alloc(t);
		if (!o)
			rc = TPM_RC_OBJECT_MEMORY;
	}
	if (!rc)
		rc = tpm_rc_param(adjust_auth(&in.auth, in.pub.name_alg), 1);
	if (!rc)
		rc = tpm_rc_param(tpm_key_check_create(parent, &in.pub, in.data.size), 2);
	if (!rc)
		rc = parent ? make_child(t, o, &in, parent) : make_primary(t, o, &in, ph);
	if (!rc) {
		c->out_handle = o->handle;
		/* A primary object has no private area to return. */
		if (parent)
			rc = tpm_private_seal(t, parent, &o->sens, &o->name, &c->out);
		else
			tpm_w_u16(&c->out, 0);
	}
	if (!rc) {
		o->kind = TPM_OBJ_KEY;
		tpm_w_2b_public(&c->out, &o->pub);
		tpm_w_name(&c->out, &o->name);
	} else if (o) {
		tpm_object_release(t, o);
	}
	crypto_wipe(&in, sizeof(in));
	return rc;
}

/* Part 3 ObjectLoad: the checks of a public area with a sensitive area,
 * then the key pair itself (blame: parameter numbers of each). */
static tpm_rc load_checks(struct tpm *t, struct tpm_object *o, const struct tpm_object *parent,
			  unsigned pub_param, unsigned sens_param)
{
	/* Under a parent, the private area passed this TPM's integrity check. */
	bool authenticated = parent != NULL;

	uint16_t dsize = tpm_hash_size(o->pub.name_alg);

	if (!o->has_sensitive || o->pub.name_alg == TPM_ALG_NULL) {
		TPM_TRY(tpm_rc_param(tpm_key_check_schemes(NULL, &o->pub), pub_param));
	} else {
		if (o->sens.seed.size > dsize)
			return tpm_rc_param(TPM_RC_KEY_SIZE, sens_param);
		TPM_TRY(tpm_rc_param(tpm_key_check_attributes(parent, &o->pub), pub_param));
	}
	return tpm_key_check_pair_blame(t, o, pub_param, sens_param, authenticated);
}

TPM_HANDLER(Load)
{
	struct tpm *t = c->t;
	struct tpm_object *parent = tpm_object_find(t, c->handles[0]);
	uint8_t priv[TPM_MAX_PRIVATE];
	uint16_t priv_size;
	struct tpm_object *o;
	struct tpm_public pub;
	tpm_rc rc;

	TPM_IN(1, tpm_r_2b(&c->in, priv, &priv_size, sizeof(priv)));
	TPM_IN(2, tpm_r_2b_public(&c->in, &pub, false));
	TPM_IN_DONE(c);
	o = tpm_object_alloc(t);
	if (!o)
		return TPM_RC_OBJECT_MEMORY;
	if (priv_size == 0)
		return tpm_rc_param(TPM_RC_SIZE, 1);
	if (!tpm_key_is_parent(parent))
		return tpm_rc_handle(TPM_RC_TYPE, 1);
	o->pub = pub;
	rc = tpm_rc_param(tpm_object_compute_name(&o->pub, &o->name), 2);
	if (!rc)
		rc = tpm_rc_param(tpm_private_open(t, parent, &o->name, priv, priv_size, &o->sens), 1);
	if (!rc) {
		o->has_sensitive = true;
		o->stclear = parent->stclear || (o->pub.attributes & TPMA_OBJECT_STCLEAR);
		o->hierarchy = parent->hierarchy;
		rc = load_checks(t, o, parent, 2, 1);
	}
	if (!rc)
		rc = tpm_object_qualify(o, &parent->qualified_name);
	crypto_wipe(priv, sizeof(priv));
	if (rc) {
		tpm_object_release(t, o);
		return rc;
	}
	o->kind = TPM_OBJ_KEY;
	c->out_handle = o->handle;
	tpm_w_name(&c->out, &o->name);
	return TPM_RC_SUCCESS;
}

/* TPM2B_SENSITIVE: empty, or a TPMT_SENSITIVE filling its size exactly
 * (read as the reference implementation reads it: see tpm_r_2b_begin). */
static tpm_rc r_2b_sensitive(struct tpm_r *r, struct tpm_sensitive *s, bool *present)
{
	uint16_t size;
	size_t start;

	memset(s, 0, sizeof(*s));
	TPM_TRY(tpm_r_u16(r, &size));
	*present = size != 0;
	if (!size)
		return TPM_RC_SUCCESS;
	start = r->pos;
	TPM_TRY(tpm_r_sensitive(r, s));
	return tpm_r_2b_end(r, size, start);
}

TPM_HANDLER(LoadExternal)
{
	struct tpm *t = c->t;
	struct tpm_sensitive sens;
	struct tpm_public pub;
	struct tpm_object *o;
	uint32_t hierarchy;
	bool has_sens;
	tpm_rc rc;

	rc = r_2b_sensitive(&c->in, &sens, &has_sens);
	if (!rc)
		rc = tpm_rc_param(tpm_r_2b_public(&c->in, &pub, true), 2);
	else
		rc = tpm_rc_param(rc, 1);
	if (!rc) {
		rc = tpm_rc_param(tpm_r_u32(&c->in, &hierarchy), 3);
		if (!rc && hierarchy != TPM_RH_OWNER && hierarchy != TPM_RH_ENDORSEMENT &&
		    hierarchy != TPM_RH_PLATFORM && hierarchy != TPM_RH_NULL)
			rc = tpm_rc_param(TPM_RC_VALUE, 3);
	}
	if (!rc)
		rc = tpm_in_done(c);
	if (rc) {
		crypto_wipe(&sens, sizeof(sens));
		return rc;
	}
	o = tpm_object_alloc(t);
	if (!o)
		rc = TPM_RC_OBJECT_MEMORY;
	else if (!tpm_hierarchy_enabled(t, hierarchy))
		rc = tpm_rc_param(TPM_RC_HIERARCHY, 3);
	else if (has_sens && hierarchy != TPM_RH_NULL)
		/* A key whose private part the caller knows stays out of the
		 * hierarchies, and must not look like one the TPM made. */
		rc = tpm_rc_param(TPM_RC_HIERARCHY, 3);
	else if (has_sens && (pub.attributes & (TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
						 TPMA_OBJECT_RESTRICTED)))
		rc = tpm_rc_param(TPM_RC_ATTRIBUTES, 2);
	if (!rc) {
		o->pub = pub;
		o->sens = sens;
		o->has_sensitive = has_sens;
		o->external = true;
		o->stclear = (pub.attributes & TPMA_OBJECT_STCLEAR) != 0;
		o->hierarchy = hierarchy;
		rc = load_checks(t, o, NULL, 2, 1);
	}
	/* An external object belongs to no parent: its qualified name is its
	 * Name (as in the reference implementation). */
	if (!rc)
		rc = tpm_object_compute_name(&o->pub, &o->name);
	if (!rc)
		o->qualified_name = o->name;
	crypto_wipe(&sens, sizeof(sens));
	if (rc) {
		if (o)
			tpm_object_release(t, o);
		return rc;
	}
	o->kind = TPM_OBJ_KEY;
	c->out_handle = o->handle;
	tpm_w_name(&c->out, &o->name);
	return TPM_RC_SUCCESS;
}

TPM_HANDLER(ReadPublic)
{
	struct tpm_object *o = tpm_object_find(c->t, c->handles[0]);

	TPM_IN_DONE(c);
	if (o->kind != TPM_OBJ_KEY)
		return TPM_RC_SEQUENCE;
	tpm_w_2b_public(&c->out, &o->pub);
	tpm_w_name(&c->out, &o->name);
	tpm_w_name(&c->out, &o->qualified_name);
	return TPM_RC_SUCCESS;
}

TPM_HANDLER(ObjectChangeAuth)
{
	struct tpm *t = c->t;
	struct tpm_object *o = tpm_object_find(t, c->handles[0]);
	struct tpm_object *parent = tpm_object_find(t, c->handles[1]);
	struct tpm2b_digest auth;
	struct tpm_sensitive sens;
	struct tpm_object check;
	tpm_rc rc;

	TPM_IN(1, tpm_r_digest(&c->in, &auth));
	TPM_IN_DONE(c);
	if (o->kind != TPM_OBJ_KEY || !o->has_sensitive)
		return tpm_rc_handle(TPM_RC_TYPE, 1);
	rc = tpm_rc_param(adjust_auth(&auth, o->pub.name_alg), 1);
	if (rc)
		return rc;
	/* parentHandle must be the object's parent: its qualified name must
	 * lead to the object's. */
	if (!tpm_key_is_parent(parent))
		return tpm_rc_handle(TPM_RC_TYPE, 2);
	memset(&check, 0, sizeof(check));
	check.pub.name_alg = o->pub.name_alg;
	check.name = o->name;
	TPM_TRY(tpm_object_qualify(&check, &parent->qualified_name));
	if (check.qualified_name.size != o->qualified_name.size ||
	    memcmp(check.qualified_name.b, o->qualified_name.b, check.qualified_name.size))
		return tpm_rc_handle(TPM_RC_TYPE, 2);
	sens = o->sens;
	sens.auth = auth;
	rc = tpm_private_seal(t, parent, &sens, &o->name, &c->out);
	crypto_wipe(&sens, sizeof(sens));
	crypto_wipe(&auth, sizeof(auth));
	return rc;
}

TPM_HANDLER(Unseal)
{
	struct tpm_object *o = tpm_object_find(c->t, c->handles[0]);

	TPM_IN_DONE(c);
	if (o->kind != TPM_OBJ_KEY || o->pub.type != TPM_ALG_KEYEDHASH)
		return tpm_rc_handle(TPM_RC_TYPE, 1);
	if (o->pub.attributes & (TPMA_OBJECT_DECRYPT | TPMA_OBJECT_SIGN_ENCRYPT | TPMA_OBJECT_RESTRICTED))
		return tpm_rc_handle(TPM_RC_ATTRIBUTES, 1);
	if (!o->has_sensitive)
		return TPM_RC_AUTH_UNAVAILABLE;
	tpm_w_2b(&c->out, o->sens.secret.b, o->sens.secret.size);
	return TPM_RC_SUCCESS;
}
