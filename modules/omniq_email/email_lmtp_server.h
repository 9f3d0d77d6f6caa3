/*
 * email_lmtp_server.h - the process that takes mail from the site's MTA over LMTP
 * (email_lmtp.h) and stores it (email_inbound.h): one poll loop, EMAIL_LMTP_CONNS
 * connections at most (one more is told 421 and closed), each closed after
 * EMAIL_LMTP_IDLE_S without a byte (421, RFC 5321 4.5.3.2's five minutes). A mail is
 * stored while the others wait: the MTA's own timeouts (Postfix: lmtp_data_done_timeout,
 * 600 s) are far above the few Redis round trips one mail takes.
 *
 * LMTP has no authentication: the listener takes what its address lets reach it, so it
 * belongs on loopback or a private address the MTA alone reaches (docs/admin-email.md).
 */
#ifndef OMNIQ_EMAIL_LMTP_SERVER_H
#define OMNIQ_EMAIL_LMTP_SERVER_H

#include <stddef.h>

#define EMAIL_LMTP_CONNS 32
#define EMAIL_LMTP_IDLE_S 300

/* From mod_init: "host:port" (an IPv4 address or a name, or "[v6]:port") bound and
 * listening, so that a taken port stops kamailio's start. 0, or -1 logged. */
int email_lmtp_listen(const char *addr);

/* The process' loop (never returns). max_msg: bytes of one mail; turn() first in each of
 * its turns (api.stop_check). */
void email_lmtp_serve(const char *host, size_t max_msg, void (*turn)(void));

#endif
