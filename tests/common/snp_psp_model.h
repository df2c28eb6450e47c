/* A software model of the SEV-SNP PSP's guest-request side, for tests: it
 * holds VMPCK0..3 and their sequence counters, a VCEK (and optionally a
 * VLEK) key with certificates from a made-up "AMD" chain
 * (tests/data/snp/model-*.der, see gen-model-chain.sh), and answers SNP guest
 * requests the way the firmware does: it checks the request header,
 * sequence number and tag under the VMPCK, builds and signs an
 * ATTESTATION_REPORT (or derives a key), and seals the response.
 *
 * It is written from the ABI independently of lib/snp's message code
 * (header fields at explicit offsets, its own AES-GCM calls), so that the
 * two check each other.  What it cannot tell us is how the real PSP behaves
 * where the ABI is silent; docs/snp-attestation.md lists those choices
 * (which firmware status a bad request gets, the size of an error response,
 * the key derivation, which is a stand-in).
 *
 * Faults can be injected to exercise husk's response checks: each applies
 * to the next request only. */
#ifndef HUSK_TESTS_SNP_PSP_MODEL_H
#define HUSK_TESTS_SNP_PSP_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mbedtls/pk.h"
#include "snp/snp_guest_msg.h"
#include "snp/snp_report.h"

/* Defaults, matching tests/data/snp/gen-model-chain.sh. */
#define SNP_MODEL_TCB_BL    10u
#define SNP_MODEL_TCB_TEE   1u
#define SNP_MODEL_TCB_SNP   23u
#define SNP_MODEL_TCB_UCODE 213u
#define SNP_MODEL_TCB_FMC   2u /* Turin certificate only */
#define SNP_MODEL_VLEK_TCB_BL    11u
#define SNP_MODEL_VLEK_TCB_TEE   2u
#define SNP_MODEL_VLEK_TCB_SNP   24u
#define SNP_MODEL_VLEK_TCB_UCODE 217u
#define SNP_MODEL_CHIP_ID_BYTE(i) ((uint8_t)(0x40u + 3u * (unsigned)(i)))

enum snp_model_fault {
	SNP_MODEL_FAULT_NONE = 0,
	SNP_MODEL_FAULT_BUSY,              /* host answers BUSY, request not forwarded */
	SNP_MODEL_FAULT_BAD_TAG,           /* one bit of the response tag flipped */
	SNP_MODEL_FAULT_BAD_CIPHERTEXT,    /* one bit of the response ciphertext flipped */
	SNP_MODEL_FAULT_BAD_AAD,           /* a reserved AAD byte changed after sealing */
	SNP_MODEL_FAULT_WRONG_SEQNO,       /* response sealed with request + 3 */
	SNP_MODEL_FAULT_WRONG_MSG_TYPE,    /* response MSG_TYPE request + 3 (sealed so) */
	SNP_MODEL_FAULT_WRONG_MSG_VERSION, /* response MSG_VERSION + 1 (sealed so) */
	SNP_MODEL_FAULT_WRONG_VMPCK_ID,    /* response names another VMPCK (sealed so) */
	SNP_MODEL_FAULT_WRONG_KEY,         /* response sealed under another VMPCK */
	SNP_MODEL_FAULT_BAD_HEADER,        /* HDR_SIZE 0x50 (sealed so) */
	SNP_MODEL_FAULT_SHORT_PAYLOAD,     /* authentic MSG_REPORT_RSP of 0x20 + 0x100 bytes */
	SNP_MODEL_FAULT_TINY_PAYLOAD,      /* authentic response of 2 bytes (no STATUS) */
	SNP_MODEL_FAULT_BAD_REPORT_SIZE,   /* authentic REPORT_SIZE 0x400 */
	SNP_MODEL_FAULT_OVERSIZE,          /* MSG_SIZE beyond the page (unsealed header) */
	SNP_MODEL_FAULT_FW_STATUS,         /* authentic response with STATUS INVALID_PARAM */
	SNP_MODEL_FAULT_REPLAY,            /* the previous response, again */
	SNP_MODEL_FAULT_DROP,              /* request consumed, response page left as it was */
};

struct snp_psp_model {
	uint8_t vmpck[SNP_VMPCK_COUNT][SNP_VMPCK_SIZE];
	uint64_t seqno[SNP_VMPCK_COUNT]; /* last sequence number used per VMPCK */

	/* The report the model signs: every field except REPORT_DATA, VMPL,
	 * KEY_INFO.SIGNING_KEY and the signature is taken from here. */
	struct snp_report tmpl;
	bool mask_chip_key; /* report unsigned (SIGNING_KEY none) */
	bool vlek_installed;

	mbedtls_pk_context vcek_key, vlek_key;
	uint8_t vmrk_secret[32]; /* stand-in root for MSG_KEY_REQ derivations */
	uint64_t rng_state;      /* ECDSA blinding, deterministic */

	/* Certificates (DER), as the tests need them. */
	uint8_t *ark, *ask, *asvk, *vcek, *vcek_turin, *vlek;
	size_t ark_len, ask_len, asvk_len, vcek_len, vcek_turin_len, vlek_len;

	enum snp_model_fault fault;
	uint8_t last_rsp[SNP_GUEST_MSG_PAGE_SIZE]; /* for SNP_MODEL_FAULT_REPLAY */
	size_t last_rsp_len;
	unsigned requests; /* answered requests, for tests */
};

/* Directory of the test data: $HUSK_SNP_TESTDATA or "tests/data/snp". */
const char *snp_model_data_dir(void);

/* Reads a whole file of the test data directory into a malloc'ed buffer;
 * NULL (and a message on stderr) if it cannot. */
uint8_t *snp_model_read_file(const char *name, size_t *len);

/* The DER bytes of the index-th certificate (0-based) of a PEM file in the
 * test data directory (AMD's files hold ASK, ARK, ASVK in that order), in a
 * malloc'ed buffer; NULL if there is no such certificate. */
uint8_t *snp_model_pem_cert(const char *name, unsigned index, size_t *len);

/* Loads keys and certificates, sets VMPCKn to a fixed pattern, counters to
 * 0, and a v3 Genoa report template with the default TCB and chip ID.
 * Returns 0 or -1. */
int snp_psp_model_init(struct snp_psp_model *m);
void snp_psp_model_free(struct snp_psp_model *m);

/* Switches the template to a Turin (family 0x1A) v3 report: Turin TCB layout
 * with FMC, chip ID bytes 8..63 zero (model-vcek-turin.der matches). */
void snp_psp_model_set_turin(struct snp_psp_model *m);

/* Sets all four TCB fields of the template (raw TCB_VERSION value). */
void snp_psp_model_set_tcb(struct snp_psp_model *m, uint64_t tcb);

void snp_psp_model_inject(struct snp_psp_model *m, enum snp_model_fault fault);

/* One SNP guest request: reads req (req_len bytes, the request page),
 * writes the response page rsp (rsp_len bytes) and returns what the GHCB's
 * SW_EXITINFO2 would hold: 0, a firmware status in bits 31:0 (bad request
 * header, tag or sequence number: INVALID_PARAM; counter overflow:
 * AEAD_OFLOW), or 2 << 32 for BUSY. */
uint64_t snp_psp_model_guest_request(struct snp_psp_model *m, const void *req, size_t req_len, void *rsp,
				     size_t rsp_len);

/* The derived key the model returns for req under VMPCKvmpck (for tests). */
void snp_psp_model_derive_key(const struct snp_psp_model *m, const struct snp_msg_key_req *req,
			      uint8_t key[SNP_DERIVED_KEY_SIZE]);

#endif
