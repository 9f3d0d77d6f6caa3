/*
 * caller.h - who calls, as customer identities. The number is taken from P-Asserted-Identity
 * (set by a trusted carrier) or else From, as "phone:<number>" (the core canonicalises it to
 * E.164 with omniq's default_cc and refuses what is not a number); the URI it came from,
 * "sip:<user>@<host>", is the identity of a caller who is no number (sip:alice@example.com,
 * a PBX extension sip:1001@pbx).
 */
#ifndef OS_CALLER_H
#define OS_CALLER_H

#include "core/parser/msg_parser.h"

#define OS_CALLER_OK 0
#define OS_CALLER_NONE -1      /* no header or no user part */
#define OS_CALLER_ANON -2      /* withheld: anonymous caller */
#define OS_CALLER_TOOLONG -3

/* given (may be NULL/empty): a number the cfg passed instead of the headers. phone gets
 * "phone:<user>"; uri gets "sip:<user>@<host>" of the same header, or "" when there is none
 * (a tel: URI, a given number). */
int os_caller_identity(sip_msg_t *msg, const str *given, char *phone, int plen, char *uri,
		int ulen);

#endif
