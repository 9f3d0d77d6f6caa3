/*
 * xfer_token.h - the token that lets a transfer cross nodes (xfer.h).
 *
 * A REFER kept on this node is also noted in Redis under a random token (api.xfer_note),
 * and the token rides in the Refer-To's URI as parameter `oqx`: the caller's phone INVITEs
 * that URI, so whichever node its INVITE reaches reads the token from its Request-URI and
 * moves the session with it (api.transfer_token). Unguessable (from getrandom), so a
 * caller cannot take another's transfer; useless after the transfer's wait.
 */
#ifndef OS_XFER_TOKEN_H
#define OS_XFER_TOKEN_H

#include "core/str.h"
#include "core/parser/msg_parser.h"
#include "omniq/omniq_limits.h"

/* The Refer-To URI's parameter that carries it. */
#define OS_XFER_TOKEN_PARAM "oqx"
/* The token's length: 20 letters and digits (119 bits). */
#define OS_XFER_TOKEN_LEN 20

/* A new token into out (OS_XFER_TOKEN_LEN + 1 bytes): 0, or -1 (no random bytes: logged). */
int os_xfer_token_new(char *out);

/* The REFER req's Refer-To URI (uri: its parsed one, in req's buffer) carries token from
 * now on: ";oqx=<token>" goes in before its headers (a Replaces) when req is relayed. Only
 * a URI in angle brackets (a name-addr: in an addr-spec the parameter would be the
 * header's, not the URI's) - 0, else -1 (nothing changed). */
int os_xfer_token_put(sip_msg_t *req, const str *uri, const char *token);

/* The token of msg's Request-URI into out (OMNIQ_XFER_TOKEN_MAX + 1 bytes): 1, or 0 when it
 * has none (or not one of letters and digits of a token's length). */
int os_xfer_token_of(sip_msg_t *msg, char *out);

#endif
