/* husk's link to its KBS proxy (kernel/services/kbs_link.c): HTTP exchanges
 * with the KBS, carried over the COM3 UART by lib/proxy. */
#ifndef HUSK_SERVICES_KBS_LINK_H
#define HUSK_SERVICES_KBS_LINK_H

#include <stddef.h>
#include <stdint.h>

/* HUSK_ERR_NOTFOUND if there is no COM3 (the VMM attached no proxy). */
int kbs_link_init(void);
/* One exchange (lib/proxy/proxy_client.h, proxy_client_exchange); the
 * caller judges status and body.  Serialised: one exchange at a time. */
int kbs_link_exchange(const char *method, const char *path, const uint8_t *body, size_t body_len,
		      uint16_t *status, uint8_t *rsp, size_t rsp_max, size_t *rsp_len);

#endif
