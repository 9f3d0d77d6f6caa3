/*
 * caller.h - the caller's number of an INVITE, as the customer identity "phone:<number>".
 * The number is taken from P-Asserted-Identity (set by a trusted carrier) or else From; the
 * core canonicalises it to E.164 with omniq's default_cc and refuses what is not a number.
 */
#ifndef OS_CALLER_H
#define OS_CALLER_H

#include "core/parser/msg_parser.h"

#define OS_CALLER_OK 0
#define OS_CALLER_NONE -1      /* no header or no user part */
#define OS_CALLER_ANON -2      /* withheld: anonymous caller */
#define OS_CALLER_TOOLONG -3

/* given (may be NULL/empty): a number the cfg passed instead of the headers. */
int os_caller_identity(sip_msg_t *msg, const str *given, char *out, int outlen);

#endif
