/* Secrets from the Key Broker Service (kernel/services/kbs.c): husk attests
 * to a Trustee KBS through its proxy at boot and receives the keys it
 * needs, or fails closed. */
#ifndef HUSK_SERVICES_KBS_H
#define HUSK_SERVICES_KBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KBS_SECRET_MAX 8192u

struct kbs_secret {
	bool requested; /* its path was not "none" */
	bool present;   /* the KBS released it */
	size_t len;
	uint8_t data[KBS_SECRET_MAX];
};

/* What the KBS released to this boot.  Wiped by kbs_secrets_wipe. */
struct kbs_secrets {
	struct kbs_secret storage_key; /* root of the vTPM state's keys */
	struct kbs_secret ca_key;      /* signs the EK certificates */
	struct kbs_secret ca_cert;
};

/* HUSK_ERR_NOTFOUND: no proxy link (no COM3), nothing fetched — husk runs
 * without secrets.  HUSK_OK: attested; each secret present if the KBS
 * released it.  Any other error: the attestation itself failed (refused,
 * tampered with, unreachable), logged; the caller must not go on as if
 * there were no KBS. */
int kbs_fetch_secrets(struct kbs_secrets *out);
void kbs_secrets_wipe(struct kbs_secrets *s);

#endif
