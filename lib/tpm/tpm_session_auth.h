/* Authorization sessions as the dispatcher uses them (tpm_session.c):
 * checking each session of a command, parameter encryption, and the response
 * session area. */
#ifndef HUSK_TPM_SESSION_AUTH_H
#define HUSK_TPM_SESSION_AUTH_H

#include "tpm/tpm_internal.h"

/* Checks every session against the command: password, HMAC and policy
 * authorizations of the handles that need them, DA, attributes. */
tpm_rc tpm_auth_sessions_check(struct tpm_cmd *c);
/* Decrypts the first command parameter if a session asks for it. */
tpm_rc tpm_auth_decrypt_params(struct tpm_cmd *c);
/* New nonceTPM for every session, then encryption of the first response
 * parameter if a session asks for it. */
tpm_rc tpm_auth_encrypt_params(struct tpm_cmd *c);
/* Writes the response session area (nonces, attributes, HMACs). */
tpm_rc tpm_auth_response_sessions(struct tpm_cmd *c, struct tpm_w *rsp);
/* After a successful command: flush sessions without continueSession,
 * reset used policy sessions. */
void tpm_auth_sessions_finish(struct tpm_cmd *c);
/* cpHash of the command being executed, with the given hash. */
tpm_rc tpm_cp_hash(struct tpm_cmd *c, uint16_t alg, struct tpm2b_digest *out);

#endif
