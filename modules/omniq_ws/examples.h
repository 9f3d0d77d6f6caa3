/*
 * examples.h - secrets that anyone can know. cfg/omniq.cfg ships example secrets
 * ("example-site-secret-change-me", ...) so that `make run` works out of the box; a server
 * that keeps one lets anyone sign visitor, user or desk tokens, or call the REST API. A
 * secret that starts with "example-" or holds "change-me" is such an example: each secret
 * modparam is noted as it is read, and at mod_init kamailio refuses to start with one unless
 * omniq_ws listens on loopback only (then a warning says which).
 */
#ifndef OMNIQ_WS_EXAMPLES_H
#define OMNIQ_WS_EXAMPLES_H

/* what: the modparam (e.g. "site_secret", "api_key crm"); s, len: its secret. */
void ws_example_note(const char *what, const char *s, int len);

/* mod_init, once every secret was noted: 0, or -1 logged (an example off loopback). */
int ws_examples_check(const char *listen_addr);

#endif
