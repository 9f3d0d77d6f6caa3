/*
 * sites.h - each tenant's web chat and app channel: the secret that signs its customers'
 * tokens and where its sessions go. The default tenant's come from the plain modparams
 * (site_secret, chat_skills, chat_queue; app_secret, app_id, app_skills, app_queue,
 * push_url); any other tenant's from
 *
 *   modparam("omniq_ws", "tenant_chat", "tenant=acme;secret=<16..128>[;skills=..][;queue=..]")
 *   modparam("omniq_ws", "tenant_app", "tenant=acme;secret=<16..128>[;app_id=..][;skills=..]
 *                                        [;queue=..][;push_url=..]")
 *
 * (skills, queue and app_id default to the plain modparams' values; push_url never does: a
 * company's customers' replies go to its own backend or nowhere). A tenant without an entry
 * has no web chat (or app channel): a hello naming it is refused. No two tenants may share a
 * secret, or one company's backend could sign the other's customers.
 */
#ifndef OMNIQ_WS_SITES_H
#define OMNIQ_WS_SITES_H

#include <jansson.h>
#include "core/sr_module.h"

typedef struct ws_chat_site {
	const char *secret; /* signs visitor, user and resume tokens */
	const char *skills, *queue;
} ws_chat_site_t;

typedef struct ws_app_site {
	const char *secret; /* the app's backend signs user tokens with it; signs pushes */
	const char *app_id; /* identities are app:<app_id>:<user> */
	const char *skills, *queue;
	const char *push_url; /* NULL: no pushes */
} ws_app_site_t;

int ws_tenant_chat_param(modparam_t type, void *val);
int ws_tenant_app_param(modparam_t type, void *val);
/* mod_init, after binding omniq and checking the plain modparams: the tenants named
 * served, the table built. 0, or -1 (logged). */
int ws_sites_init(void);
/* Tenant t's web chat / app channel, or NULL when it has none. */
const ws_chat_site_t *ws_chat_site(int t);
const ws_app_site_t *ws_app_site(int t);
/* An app id: 1..64 of [a-z0-9_.-] (identities are app:<app_id>:<user>). */
int ws_valid_app_id(const char *id);
/* Whether any tenant has a web chat / an app channel / a push URL. */
int ws_chat_any(void);
int ws_app_any(void);
int ws_push_any(void);
/* The tenant a customer's hello names (its "tenant" member; NULL: the default) made
 * current: its index, or -1 when it is not a string or not served here. */
int ws_hello_tenant(json_t *name);

#endif
