/* Software model of the SEV-SNP PSP's guest request handling (see
 * snp_psp_model.h).  Message headers are read and written at the ABI's
 * offsets, not through lib/snp's structs, so that a layout mistake on one
 * side shows up as a failure. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snp_psp_model.h"

#include "mbedtls/bignum.h"
#include "mbedtls/ecdsa.h"
#include "mbedtls/ecp.h"
#include "mbedtls/gcm.h"
#include "mbedtls/md.h"
#include "mbedtls/sha512.h"
#include "mbedtls/x509_crt.h"

/* Message header offsets (ABI "message header format"). */
#define H_AUTHTAG   0x00
#define H_SEQNO     0x20
#define H_ALGO      0x30
#define H_HDR_VER   0x31
#define H_HDR_SIZE  0x32
#define H_MSG_TYPE  0x34
#define H_MSG_VER   0x35
#define H_MSG_SIZE  0x36
#define H_MSG_VMPCK 0x3c
#define H_SIZE      0x60

static uint16_t ld16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t ld32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t ld64(const uint8_t *p)
{
	return (uint64_t)ld32(p) | (uint64_t)ld32(p + 4) << 32;
}

static void st16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void st32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void st64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

const char *snp_model_data_dir(void)
{
	const char *d = getenv("HUSK_SNP_TESTDATA");

	return d && *d ? d : "tests/data/snp";
}

uint8_t *snp_model_read_file(const char *name, size_t *len)
{
	char path[512];
	FILE *f;
	long n;
	uint8_t *buf;

	snprintf(path, sizeof(path), "%s/%s", snp_model_data_dir(), name);
	f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "snp model: cannot open %s (run from the repository root or set HUSK_SNP_TESTDATA)\n",
			path);
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		return NULL;
	}
	buf = malloc((size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	if (buf) {
		buf[n] = 0;
		*len = (size_t)n;
	}
	return buf;
}

uint8_t *snp_model_pem_cert(const char *name, unsigned index, size_t *len)
{
	size_t pem_len = 0;
	uint8_t *pem = snp_model_read_file(name, &pem_len), *der = NULL;
	mbedtls_x509_crt chain, *c;

	if (!pem)
		return NULL;
	mbedtls_x509_crt_init(&chain);
	/* mbedtls_x509_crt_parse wants the PEM's terminating NUL counted. */
	if (mbedtls_x509_crt_parse(&chain, pem, pem_len + 1) == 0) {
		c = &chain;
		for (unsigned i = 0; c && i < index; i++)
			c = c->next;
		if (c && c->raw.len) {
			der = malloc(c->raw.len);
			if (der) {
				memcpy(der, c->raw.p, c->raw.len);
				*len = c->raw.len;
			}
		}
	}
	mbedtls_x509_crt_free(&chain);
	free(pem);
	return der;
}

/* Deterministic bytes for ECDSA blinding (not a secret here). */
static int model_rng(void *p, unsigned char *out, size_t len)
{
	struct snp_psp_model *m = p;

	for (size_t i = 0; i < len; i++) {
		m->rng_state ^= m->rng_state << 13;
		m->rng_state ^= m->rng_state >> 7;
		m->rng_state ^= m->rng_state << 17;
		out[i] = (uint8_t)m->rng_state;
	}
	return 0;
}

static int load_key(struct snp_psp_model *m, mbedtls_pk_context *pk, const char *name)
{
	size_t len = 0;
	uint8_t *der = snp_model_read_file(name, &len);
	int rc;

	if (!der)
		return -1;
	rc = mbedtls_pk_parse_key(pk, der, len, NULL, 0, model_rng, m);
	free(der);
	return rc == 0 ? 0 : -1;
}

static void default_template(struct snp_psp_model *m)
{
	struct snp_report *t = &m->tmpl;
	struct snp_tcb tcb = { .bootloader = SNP_MODEL_TCB_BL,
			       .tee = SNP_MODEL_TCB_TEE,
			       .snp = SNP_MODEL_TCB_SNP,
			       .microcode = SNP_MODEL_TCB_UCODE };
	uint64_t raw = snp_tcb_encode(&tcb, SNP_TCB_LAYOUT_MILAN_GENOA);

	memset(t, 0, sizeof(*t));
	t->version = 3;
	t->guest_svn = 1;
	t->policy = 0x30000; /* SMT allowed, reserved bit 17 */
	t->signature_algo = SNP_REPORT_SIG_ALGO_ECDSA_P384_SHA384;
	t->current_tcb = t->reported_tcb = t->committed_tcb = t->launch_tcb = raw;
	t->platform_info = 0x25; /* SMT, ECC, alias check complete */
	for (unsigned i = 0; i < SNP_MEASUREMENT_SIZE; i++)
		t->measurement[i] = (uint8_t)(0xa0 + i);
	for (unsigned i = 0; i < SNP_HOST_DATA_SIZE; i++)
		t->host_data[i] = (uint8_t)(0x10 + i);
	for (int i = 0; i < 32; i++) {
		t->report_id[i] = (uint8_t)(0x77 ^ i);
		t->report_id_ma[i] = 0xff;
	}
	t->cpuid_fam_id = 0x19;
	t->cpuid_mod_id = 0x11; /* Genoa */
	t->cpuid_step = 1;
	for (unsigned i = 0; i < SNP_CHIP_ID_SIZE; i++)
		t->chip_id[i] = SNP_MODEL_CHIP_ID_BYTE(i);
	t->current_major = t->committed_major = 1;
	t->current_minor = t->committed_minor = 55;
	t->current_build = t->committed_build = 21;
}

int snp_psp_model_init(struct snp_psp_model *m)
{
	memset(m, 0, sizeof(*m));
	mbedtls_pk_init(&m->vcek_key);
	mbedtls_pk_init(&m->vlek_key);
	m->rng_state = 0x9e3779b97f4a7c15ull;
	for (unsigned n = 0; n < SNP_VMPCK_COUNT; n++)
		for (unsigned i = 0; i < SNP_VMPCK_SIZE; i++)
			m->vmpck[n][i] = (uint8_t)(0x11u * (n + 1) ^ (i * 7u));
	for (unsigned i = 0; i < sizeof(m->vmrk_secret); i++)
		m->vmrk_secret[i] = (uint8_t)(0x5a ^ i);
	default_template(m);

	m->ark = snp_model_read_file("model-ark.der", &m->ark_len);
	m->ask = snp_model_read_file("model-ask.der", &m->ask_len);
	m->asvk = snp_model_read_file("model-asvk.der", &m->asvk_len);
	m->vcek = snp_model_read_file("model-vcek.der", &m->vcek_len);
	m->vcek_turin = snp_model_read_file("model-vcek-turin.der", &m->vcek_turin_len);
	m->vlek = snp_model_read_file("model-vlek.der", &m->vlek_len);
	if (!m->ark || !m->ask || !m->asvk || !m->vcek || !m->vcek_turin || !m->vlek ||
	    load_key(m, &m->vcek_key, "model-vcek-key.der") != 0 ||
	    load_key(m, &m->vlek_key, "model-vlek-key.der") != 0) {
		snp_psp_model_free(m);
		return -1;
	}
	return 0;
}

void snp_psp_model_free(struct snp_psp_model *m)
{
	mbedtls_pk_free(&m->vcek_key);
	mbedtls_pk_free(&m->vlek_key);
	free(m->ark);
	free(m->ask);
	free(m->asvk);
	free(m->vcek);
	free(m->vcek_turin);
	free(m->vlek);
	m->ark = m->ask = m->asvk = m->vcek = m->vcek_turin = m->vlek = NULL;
}

void snp_psp_model_set_turin(struct snp_psp_model *m)
{
	struct snp_tcb tcb = { .has_fmc = true,
			       .fmc = SNP_MODEL_TCB_FMC,
			       .bootloader = SNP_MODEL_TCB_BL,
			       .tee = SNP_MODEL_TCB_TEE,
			       .snp = SNP_MODEL_TCB_SNP,
			       .microcode = SNP_MODEL_TCB_UCODE };

	m->tmpl.cpuid_fam_id = 0x1a;
	m->tmpl.cpuid_mod_id = 0x02;
	m->tmpl.cpuid_step = 0;
	memset(m->tmpl.chip_id + 8, 0, SNP_CHIP_ID_SIZE - 8);
	snp_psp_model_set_tcb(m, snp_tcb_encode(&tcb, SNP_TCB_LAYOUT_TURIN));
}

void snp_psp_model_set_tcb(struct snp_psp_model *m, uint64_t tcb)
{
	m->tmpl.current_tcb = m->tmpl.reported_tcb = m->tmpl.committed_tcb = m->tmpl.launch_tcb = tcb;
}

void snp_psp_model_inject(struct snp_psp_model *m, enum snp_model_fault fault)
{
	m->fault = fault;
}

/* AES-256-GCM under VMPCKn. */
static int gcm(const uint8_t key[SNP_VMPCK_SIZE], int mode, uint64_t seqno, const uint8_t *aad, const uint8_t *in,
	       uint8_t *out, size_t len, uint8_t *tag)
{
	mbedtls_gcm_context g;
	uint8_t iv[12] = { 0 };
	int rc;

	st64(iv, seqno);
	mbedtls_gcm_init(&g);
	rc = mbedtls_gcm_setkey(&g, MBEDTLS_CIPHER_ID_AES, key, 256);
	if (rc == 0 && mode == MBEDTLS_GCM_ENCRYPT)
		rc = mbedtls_gcm_crypt_and_tag(&g, mode, len, iv, 12, aad, H_SIZE - H_ALGO, in, out, 16, tag);
	else if (rc == 0)
		rc = mbedtls_gcm_auth_decrypt(&g, len, iv, 12, aad, H_SIZE - H_ALGO, tag, 16, in, out);
	mbedtls_gcm_free(&g);
	return rc;
}

static int sign_report(struct snp_psp_model *m, mbedtls_pk_context *pk, struct snp_report *r)
{
	uint8_t hash[48];
	mbedtls_ecp_group grp;
	mbedtls_ecp_point q;
	mbedtls_mpi d, sr, ss;
	int rc;

	mbedtls_ecp_group_init(&grp);
	mbedtls_ecp_point_init(&q);
	mbedtls_mpi_init(&d);
	mbedtls_mpi_init(&sr);
	mbedtls_mpi_init(&ss);
	rc = mbedtls_sha512((const unsigned char *)r, SNP_REPORT_SIGNED_SIZE, hash, 1);
	if (rc == 0)
		rc = mbedtls_ecp_export(mbedtls_pk_ec(*pk), &grp, &d, &q);
	if (rc == 0)
		rc = mbedtls_ecdsa_sign_det_ext(&grp, &sr, &ss, &d, hash, sizeof(hash), MBEDTLS_MD_SHA384, model_rng,
						m);
	if (rc == 0)
		rc = mbedtls_mpi_write_binary_le(&sr, r->signature.r, sizeof(r->signature.r));
	if (rc == 0)
		rc = mbedtls_mpi_write_binary_le(&ss, r->signature.s, sizeof(r->signature.s));
	mbedtls_mpi_free(&ss);
	mbedtls_mpi_free(&sr);
	mbedtls_mpi_free(&d);
	mbedtls_ecp_point_free(&q);
	mbedtls_ecp_group_free(&grp);
	return rc;
}

void snp_psp_model_derive_key(const struct snp_psp_model *m, const struct snp_msg_key_req *req,
			      uint8_t key[SNP_DERIVED_KEY_SIZE])
{
	/* A stand-in for the PSP's real derivation (which the ABI does not let
	 * a guest reproduce): HMAC-SHA-256 over the request and the report
	 * fields it selects, so that every selector changes the key. */
	const struct snp_report *t = &m->tmpl;
	mbedtls_md_context_t md;
	uint8_t buf[8];

	mbedtls_md_init(&md);
	mbedtls_md_setup(&md, mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), 1);
	mbedtls_md_hmac_starts(&md, m->vmrk_secret, sizeof(m->vmrk_secret));
	mbedtls_md_hmac_update(&md, (const unsigned char *)req, sizeof(*req));
	if (req->guest_field_select & SNP_KEY_FIELD_POLICY) {
		st64(buf, t->policy);
		mbedtls_md_hmac_update(&md, buf, 8);
	}
	if (req->guest_field_select & SNP_KEY_FIELD_IMAGE_ID)
		mbedtls_md_hmac_update(&md, t->image_id, sizeof(t->image_id));
	if (req->guest_field_select & SNP_KEY_FIELD_FAMILY_ID)
		mbedtls_md_hmac_update(&md, t->family_id, sizeof(t->family_id));
	if (req->guest_field_select & SNP_KEY_FIELD_MEASUREMENT)
		mbedtls_md_hmac_update(&md, t->measurement, sizeof(t->measurement));
	mbedtls_md_hmac_finish(&md, key);
	mbedtls_md_free(&md);
}

/* Seals payload into rsp with the given header values. */
static void seal(uint8_t *rsp, size_t rsp_len, const uint8_t key[SNP_VMPCK_SIZE], uint64_t seqno, uint8_t type,
		 uint8_t version, uint8_t vmpck_id, uint16_t hdr_size, const uint8_t *payload, size_t len)
{
	memset(rsp, 0, rsp_len);
	st64(rsp + H_SEQNO, seqno);
	rsp[H_ALGO] = SNP_AEAD_AES_256_GCM;
	rsp[H_HDR_VER] = 1;
	st16(rsp + H_HDR_SIZE, hdr_size);
	rsp[H_MSG_TYPE] = type;
	rsp[H_MSG_VER] = version;
	st16(rsp + H_MSG_SIZE, (uint16_t)len);
	rsp[H_MSG_VMPCK] = vmpck_id;
	gcm(key, MBEDTLS_GCM_ENCRYPT, seqno, rsp + H_ALGO, payload, rsp + H_SIZE, len, rsp + H_AUTHTAG);
}

/* Builds the MSG_REPORT_RSP payload (0x4C0 bytes) for an authentic request. */
static void answer_report(struct snp_psp_model *m, unsigned requester_vmpl, const uint8_t *req, size_t req_size,
			  uint8_t *out)
{
	struct snp_report r;
	uint32_t vmpl, flags, key_sel, status = SNP_FW_SUCCESS;
	mbedtls_pk_context *key = NULL;
	uint32_t signing_key = SNP_SIGNING_KEY_VCEK;

	memset(out, 0, sizeof(struct snp_msg_report_rsp));
	vmpl = ld32(req + 0x40);
	flags = ld32(req + 0x44);
	key_sel = flags & 3;
	if (req_size != 0x60 || (flags & ~3u) || key_sel == 3 || vmpl > 3 || vmpl < requester_vmpl) {
		status = SNP_FW_INVALID_PARAM;
	} else {
		for (int i = 0x48; i < 0x60; i++)
			if (req[i])
				status = SNP_FW_INVALID_PARAM;
	}
	if (status == SNP_FW_SUCCESS) {
		if (key_sel == SNP_REPORT_KEY_SEL_VLEK && !m->vlek_installed)
			status = SNP_FW_INVALID_KEY;
		else if (key_sel == SNP_REPORT_KEY_SEL_VLEK ||
			 (key_sel == SNP_REPORT_KEY_SEL_DEFAULT && m->vlek_installed)) {
			key = &m->vlek_key;
			signing_key = SNP_SIGNING_KEY_VLEK;
		} else {
			key = &m->vcek_key;
		}
	}
	st32(out, status);
	if (status != SNP_FW_SUCCESS)
		return;

	r = m->tmpl;
	memcpy(r.report_data, req, SNP_REPORT_DATA_SIZE);
	r.vmpl = vmpl;
	memset(&r.signature, 0, sizeof(r.signature));
	if (signing_key == SNP_SIGNING_KEY_VLEK) {
		struct snp_tcb t = { .bootloader = SNP_MODEL_VLEK_TCB_BL,
				     .tee = SNP_MODEL_VLEK_TCB_TEE,
				     .snp = SNP_MODEL_VLEK_TCB_SNP,
				     .microcode = SNP_MODEL_VLEK_TCB_UCODE };

		r.reported_tcb = snp_tcb_encode(&t, SNP_TCB_LAYOUT_MILAN_GENOA);
	}
	if (m->mask_chip_key) {
		r.key_info = (r.key_info & ~SNP_KEY_INFO_SIGNING_KEY_MASK) | SNP_KEY_INFO_MASK_CHIP_KEY |
			     SNP_SIGNING_KEY_NONE << SNP_KEY_INFO_SIGNING_KEY_SHIFT;
	} else {
		r.key_info = (r.key_info & ~SNP_KEY_INFO_SIGNING_KEY_MASK) |
			     signing_key << SNP_KEY_INFO_SIGNING_KEY_SHIFT;
		if (sign_report(m, key, &r) != 0) {
			st32(out, SNP_FW_INVALID_PARAM);
			return;
		}
	}
	st32(out + 4, SNP_REPORT_SIZE);
	memcpy(out + 0x20, &r, SNP_REPORT_SIZE);
}

static void answer_key(struct snp_psp_model *m, unsigned requester_vmpl, const uint8_t *req, size_t req_size,
		       uint8_t *out)
{
	struct snp_msg_key_req k;
	uint32_t status = SNP_FW_SUCCESS;

	memset(out, 0, sizeof(struct snp_msg_key_rsp));
	memset(&k, 0, sizeof(k));
	if (req_size != sizeof(k)) {
		status = SNP_FW_INVALID_PARAM;
	} else {
		k.root_key_select = ld32(req);
		k.reserved_04 = ld32(req + 4);
		k.guest_field_select = ld64(req + 8);
		k.vmpl = ld32(req + 0x10);
		k.guest_svn = ld32(req + 0x14);
		k.tcb_version = ld64(req + 0x18);
		if ((k.root_key_select & ~1u) || k.reserved_04 || (k.guest_field_select & ~SNP_KEY_FIELD_DEFINED) ||
		    k.vmpl > 3 || k.vmpl < requester_vmpl || k.guest_svn > m->tmpl.guest_svn)
			status = SNP_FW_INVALID_PARAM;
		else if (k.root_key_select == SNP_KEY_ROOT_VMRK)
			status = SNP_FW_INVALID_KEY; /* the model's guests have no VMRK */
	}
	st32(out, status);
	if (status == SNP_FW_SUCCESS)
		snp_psp_model_derive_key(m, &k, out + 0x20);
}

uint64_t snp_psp_model_guest_request(struct snp_psp_model *m, const void *req_page, size_t req_len, void *rsp_page,
				     size_t rsp_len)
{
	uint8_t req[SNP_GUEST_MSG_PAGE_SIZE], plain[SNP_GUEST_MSG_PAGE_SIZE];
	uint8_t payload[sizeof(struct snp_msg_report_rsp)];
	uint8_t *rsp = rsp_page;
	enum snp_model_fault fault = m->fault;
	uint64_t seqno;
	uint16_t msg_size, rsp_size;
	uint8_t id, type, version, rsp_type;
	const uint8_t *seal_key;

	m->fault = SNP_MODEL_FAULT_NONE;
	if (fault == SNP_MODEL_FAULT_BUSY)
		return 2ull << 32;
	if (req_len < H_SIZE || req_len > sizeof(req) || rsp_len < H_SIZE || rsp_len > SNP_GUEST_MSG_PAGE_SIZE)
		return SNP_FW_INVALID_PARAM;
	memcpy(req, req_page, req_len);

	/* The request header and its authentication. */
	seqno = ld64(req + H_SEQNO);
	msg_size = ld16(req + H_MSG_SIZE);
	id = req[H_MSG_VMPCK];
	type = req[H_MSG_TYPE];
	version = req[H_MSG_VER];
	if (req[H_ALGO] != SNP_AEAD_AES_256_GCM || req[H_HDR_VER] != 1 || ld16(req + H_HDR_SIZE) != H_SIZE ||
	    id >= SNP_VMPCK_COUNT || H_SIZE + (size_t)msg_size > req_len)
		return SNP_FW_INVALID_PARAM;
	if (m->seqno[id] > UINT64_MAX - 2)
		return SNP_FW_AEAD_OFLOW;
	if (seqno != m->seqno[id] + 1)
		return SNP_FW_INVALID_PARAM;
	if (gcm(m->vmpck[id], MBEDTLS_GCM_DECRYPT, seqno, req + H_ALGO, req + H_SIZE, plain, msg_size,
		req + H_AUTHTAG) != 0)
		return SNP_FW_INVALID_PARAM;
	if (!((type == SNP_MSG_REPORT_REQ && version == SNP_MSG_REPORT_VERSION) ||
	      (type == SNP_MSG_KEY_REQ && version == SNP_MSG_KEY_VERSION)))
		return SNP_FW_INVALID_PARAM;
	m->seqno[id] = seqno + 1;
	m->requests++;

	if (fault == SNP_MODEL_FAULT_DROP)
		return 0;
	if (fault == SNP_MODEL_FAULT_REPLAY && m->last_rsp_len) {
		memset(rsp, 0, rsp_len);
		memcpy(rsp, m->last_rsp, m->last_rsp_len < rsp_len ? m->last_rsp_len : rsp_len);
		return 0;
	}

	/* The VMPCK used decides the lowest VMPL the requester may ask for. */
	if (type == SNP_MSG_REPORT_REQ) {
		answer_report(m, id, plain, msg_size, payload);
		rsp_size = sizeof(struct snp_msg_report_rsp);
	} else {
		answer_key(m, id, plain, msg_size, payload);
		rsp_size = sizeof(struct snp_msg_key_rsp);
	}
	rsp_type = (uint8_t)(type + 1);
	seal_key = m->vmpck[id];

	switch (fault) {
	case SNP_MODEL_FAULT_FW_STATUS:
		memset(payload, 0, sizeof(payload));
		st32(payload, SNP_FW_INVALID_PARAM);
		break;
	case SNP_MODEL_FAULT_SHORT_PAYLOAD:
		rsp_size = 0x20 + 0x100;
		break;
	case SNP_MODEL_FAULT_TINY_PAYLOAD:
		rsp_size = 2;
		break;
	case SNP_MODEL_FAULT_BAD_REPORT_SIZE:
		st32(payload + 4, 0x400);
		break;
	case SNP_MODEL_FAULT_WRONG_SEQNO:
		seqno += 2; /* sealed with request + 3 */
		break;
	case SNP_MODEL_FAULT_WRONG_MSG_TYPE:
		rsp_type = (uint8_t)(type + 3);
		break;
	case SNP_MODEL_FAULT_WRONG_MSG_VERSION:
		version++;
		break;
	case SNP_MODEL_FAULT_WRONG_VMPCK_ID:
		id = (uint8_t)((id + 1) % SNP_VMPCK_COUNT);
		break;
	case SNP_MODEL_FAULT_WRONG_KEY:
		seal_key = m->vmpck[(id + 1) % SNP_VMPCK_COUNT];
		break;
	default:
		break;
	}
	seal(rsp, rsp_len, seal_key, seqno + 1, rsp_type, version, id,
	     fault == SNP_MODEL_FAULT_BAD_HEADER ? 0x50 : H_SIZE, payload, rsp_size);

	switch (fault) {
	case SNP_MODEL_FAULT_BAD_TAG:
		rsp[H_AUTHTAG + 5] ^= 0x10;
		break;
	case SNP_MODEL_FAULT_BAD_CIPHERTEXT:
		rsp[H_SIZE + 0x30] ^= 0x01;
		break;
	case SNP_MODEL_FAULT_BAD_AAD:
		rsp[0x50] = 0x01;
		break;
	case SNP_MODEL_FAULT_OVERSIZE:
		st16(rsp + H_MSG_SIZE, (uint16_t)(SNP_GUEST_MSG_PAGE_SIZE - H_SIZE + 1));
		break;
	default:
		break;
	}
	m->last_rsp_len = rsp_len < sizeof(m->last_rsp) ? rsp_len : sizeof(m->last_rsp);
	memcpy(m->last_rsp, rsp, m->last_rsp_len);
	return 0;
}
