/* The attestation protocol (docs/svsm.md, "Attestation protocol"):
 * ATTEST_SERVICES and ATTEST_SINGLE_SERVICE.  husk builds the manifest
 * (the services manifest, or one service's own manifest), binds it and the
 * guest's nonce into REPORT_DATA = SHA-512(nonce || manifest), asks the
 * platform for a report at VMPL 0 with that REPORT_DATA, and writes report
 * and manifest into the guest's buffers.
 *
 * The request is copied into husk once and checked before anything else;
 * the nonce is read once, hashed as it is read.  RCX (manifest), RDX
 * (certificates) and R8 (report) carry the sizes husk needs or wrote, on
 * success and on INVALID_PARAMETER alike, so that a guest with buffers too
 * small can call again with larger ones (Linux retries so). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mbedtls/sha512.h"
#include "svsm/svsm.h"
#include "svsm/svsm_internal.h"

/* Room for the manifest: header, one entry and an EK public area (an
 * RSA-2048 TPMT_PUBLIC is 310 bytes; the largest husk's engine makes, RSA
 * 4096 with a SHA-512 policy, is under 600). */
#define ATTEST_MANIFEST_MAX 1024u
#define ATTEST_NONCE_CHUNK  256u

static const uint8_t guid_services[16] = SVSM_GUID_SERVICES_MANIFEST;
static const uint8_t guid_vtpm[16] = SVSM_GUID_VTPM_SERVICE;

struct attest_req {
	uint64_t report_gpa, nonce_gpa, manifest_gpa, certs_gpa;
	uint32_t report_size, manifest_size, certs_size;
	uint16_t nonce_size;
};

/* Decodes and checks the reserved bytes of the request block. */
static bool attest_decode(const uint8_t *b, bool single, struct attest_req *q)
{
	static const uint8_t zero[6];

	q->report_gpa = svsm_le64(b + SVSM_ATTEST_REPORT_GPA);
	q->report_size = svsm_le32(b + SVSM_ATTEST_REPORT_SIZE_OFF);
	q->nonce_gpa = svsm_le64(b + SVSM_ATTEST_NONCE_GPA);
	q->nonce_size = svsm_le16(b + SVSM_ATTEST_NONCE_SIZE_OFF);
	q->manifest_gpa = svsm_le64(b + SVSM_ATTEST_MANIFEST_GPA);
	q->manifest_size = svsm_le32(b + SVSM_ATTEST_MANIFEST_SIZE_OFF);
	q->certs_gpa = svsm_le64(b + SVSM_ATTEST_CERTS_GPA);
	q->certs_size = svsm_le32(b + SVSM_ATTEST_CERTS_SIZE_OFF);
	return memcmp(b + SVSM_ATTEST_REPORT_SIZE_OFF + 4, zero, 4) == 0 &&
	       memcmp(b + SVSM_ATTEST_NONCE_SIZE_OFF + 2, zero, 6) == 0 &&
	       memcmp(b + SVSM_ATTEST_MANIFEST_SIZE_OFF + 4, zero, 4) == 0 &&
	       memcmp(b + SVSM_ATTEST_CERTS_SIZE_OFF + 4, zero, 4) == 0 &&
	       (!single || memcmp(b + SVSM_ATTEST_MANIFEST_VER + 4, zero, 4) == 0);
}

/* The vTPM service's own manifest (the EK public area) at out. */
static uint32_t attest_vtpm_manifest(const struct svsm *s, uint8_t *out, size_t cap, size_t *len)
{
	const struct svsm_platform_ops *ops = s->ops;

	if (ops->vtpm_ek_public(ops->ctx, out, cap, len) != 0 || *len > cap)
		return SVSM_ERR_ATTEST_FAILED;
	return SVSM_SUCCESS;
}

/* The services manifest: every service husk runs, each with its manifest. */
static uint32_t attest_services_manifest(const struct svsm *s, uint8_t *m, size_t *len)
{
	bool vtpm = s->ops->vtpm_ek_public != NULL;
	uint32_t n = vtpm ? 1 : 0;
	size_t off = SVSM_MANIFEST_HDR_SIZE + (size_t)n * SVSM_MANIFEST_ENTRY_SIZE;
	size_t data = 0;
	uint8_t *e = m + SVSM_MANIFEST_HDR_SIZE;

	if (vtpm) {
		uint32_t rc = attest_vtpm_manifest(s, m + off, ATTEST_MANIFEST_MAX - off, &data);

		if (rc != SVSM_SUCCESS)
			return rc;
		memcpy(e, guid_vtpm, 16);
		svsm_put_le32(e + 16, (uint32_t)off);
		svsm_put_le32(e + 20, (uint32_t)data);
	}
	memcpy(m, guid_services, 16);
	svsm_put_le32(m + 16, (uint32_t)(off + data));
	svsm_put_le32(m + 20, n);
	*len = off + data;
	return SVSM_SUCCESS;
}

/* REPORT_DATA = SHA-512(nonce || manifest); the nonce is read from the
 * guest in chunks, each byte once. */
static uint32_t attest_report_data(const struct svsm *s, const struct attest_req *q,
				   const uint8_t *manifest, size_t man_len, uint8_t out[64])
{
	const struct svsm_platform_ops *ops = s->ops;
	mbedtls_sha512_context h;
	uint8_t chunk[ATTEST_NONCE_CHUNK];
	uint32_t rc = SVSM_SUCCESS;

	mbedtls_sha512_init(&h);
	if (mbedtls_sha512_starts(&h, 0) != 0)
		rc = SVSM_ERR_ATTEST_FAILED;
	for (size_t done = 0; rc == SVSM_SUCCESS && done < q->nonce_size;) {
		size_t n = q->nonce_size - done < sizeof(chunk) ? q->nonce_size - done : sizeof(chunk);

		if (ops->read(ops->ctx, q->nonce_gpa + done, chunk, n) != 0)
			rc = SVSM_ERR_INVALID_ADDRESS;
		else if (mbedtls_sha512_update(&h, chunk, n) != 0)
			rc = SVSM_ERR_ATTEST_FAILED;
		done += n;
	}
	if (rc == SVSM_SUCCESS &&
	    (mbedtls_sha512_update(&h, manifest, man_len) != 0 || mbedtls_sha512_finish(&h, out) != 0))
		rc = SVSM_ERR_ATTEST_FAILED;
	mbedtls_sha512_free(&h);
	return rc;
}

uint32_t __attribute__((noinline)) svsm_attest(struct svsm *s, struct svsm_regs *r, bool single)
{
	const struct svsm_platform_ops *ops = s->ops;
	uint8_t req[SVSM_ATTEST_SINGLE_REQ_SIZE];
	uint8_t manifest[ATTEST_MANIFEST_MAX];
	uint8_t report[SVSM_ATTEST_REPORT_BYTES];
	uint8_t report_data[64];
	size_t req_size = single ? SVSM_ATTEST_SINGLE_REQ_SIZE : SVSM_ATTEST_REQ_SIZE;
	size_t man_len = 0;
	uint32_t certs_len = 0, rc;
	struct attest_req q;

	if (!svsm_guest_ram(s, r->rcx, req_size) || ops->read(ops->ctx, r->rcx, req, req_size) != 0)
		return SVSM_ERR_INVALID_ADDRESS;
	if (!attest_decode(req, single, &q))
		return SVSM_ERR_INVALID_PARAMETER;

	if (single) {
		if (memcmp(req + SVSM_ATTEST_GUID, guid_vtpm, 16) != 0 || !ops->vtpm_ek_public ||
		    svsm_le32(req + SVSM_ATTEST_MANIFEST_VER) != 0)
			return SVSM_ERR_INVALID_PARAMETER;
		rc = attest_vtpm_manifest(s, manifest, sizeof(manifest), &man_len);
	} else {
		rc = attest_services_manifest(s, manifest, &man_len);
	}
	if (rc != SVSM_SUCCESS)
		return rc;

	/* From here on the guest learns the sizes, whatever the outcome. */
	r->rcx = man_len;
	r->rdx = 0;
	r->r8 = SVSM_ATTEST_REPORT_BYTES;
	if ((q.report_gpa | q.manifest_gpa) & (SVSM_PAGE_4K - 1) ||
	    (q.certs_size != 0 && (q.certs_gpa & (SVSM_PAGE_4K - 1))) ||
	    q.nonce_size > SVSM_ATTEST_NONCE_MAX || q.report_size < SVSM_ATTEST_REPORT_BYTES ||
	    q.manifest_size < man_len)
		return SVSM_ERR_INVALID_PARAMETER;
	if (!svsm_guest_ram(s, q.report_gpa, SVSM_ATTEST_REPORT_BYTES) ||
	    (man_len && !svsm_guest_ram(s, q.manifest_gpa, man_len)) ||
	    (q.nonce_size && !svsm_guest_ram(s, q.nonce_gpa, q.nonce_size)) ||
	    (q.certs_size && !svsm_guest_ram(s, q.certs_gpa, q.certs_size)))
		return SVSM_ERR_INVALID_ADDRESS;

	rc = attest_report_data(s, &q, manifest, man_len, report_data);
	if (rc == SVSM_SUCCESS)
		rc = ops->attest_report(ops->ctx, report_data, report, q.certs_gpa, q.certs_size,
					&certs_len);
	if (rc == SVSM_SUCCESS || rc == SVSM_ERR_INVALID_PARAMETER)
		r->rdx = certs_len;
	if (rc == SVSM_SUCCESS && (ops->write(ops->ctx, q.report_gpa, report, sizeof(report)) != 0 ||
				   (man_len && ops->write(ops->ctx, q.manifest_gpa, manifest, man_len) != 0)))
		rc = SVSM_ERR_INVALID_ADDRESS;
	return rc;
}
