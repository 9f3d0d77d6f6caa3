/*
 * email_token.h - the session token a reply's subject carries, "[#omniq-<sid>-<sig>]", so
 * that the customer's answer joins the session it answers: mail clients keep a subject when
 * they reply (adding "Re:", "回复:", "AW:"...), and quote the mail they answer, so the token
 * comes back in the subject or, failing that, in the quoted text. In-Reply-To and
 * References say the same to a client that keeps them; the token survives a client that
 * does not, a forward by the customer's colleague, and a new mail pasted from an old one.
 *
 * The token is only a claim: sid is decimal (the core's session ids, at most 20 digits) and
 * sig hex, EMAIL_SIG_MIN..EMAIL_SIG_MAX digits, which the module checks (an HMAC of the sid
 * under its secret) before it believes the sid. These helpers only find and write it.
 *
 * Pure (no Kamailio, no Redis, no allocation): the unit tests run it alone.
 */
#ifndef OMNIQ_EMAIL_TOKEN_H
#define OMNIQ_EMAIL_TOKEN_H

#include <stddef.h>

#include "omniq/omniq_limits.h"

#define EMAIL_TOKEN_OPEN "[#omniq-"
#define EMAIL_SID_DIGITS_MAX 20 /* the core's SID_DIGITS_MAX (limits.def); fits OMNIQ_SID_MAX */
#define EMAIL_SIG_MIN 8
#define EMAIL_SIG_MAX 64
/* bytes of the longest token and its NUL */
#define EMAIL_TOKEN_MAX (sizeof(EMAIL_TOKEN_OPEN) - 1 + EMAIL_SID_DIGITS_MAX + 1 + EMAIL_SIG_MAX + 2)
#define EMAIL_TOKEN_WHY_MAX 96

typedef struct email_token {
	char sid[OMNIQ_SID_MAX];    /* the digits */
	char sig[EMAIL_SIG_MAX + 1]; /* the hex digits, lower case */
	size_t at, len;              /* where the token is in the text searched, '[' to ']' */
} email_token_t;

/* The first well-formed token in s (len bytes; need not be NUL-terminated) into t: 1, or 0
 * when there is none. "[#omniq-" is matched case-insensitively (a client that shouts the
 * subject shouts it too) and sig lower-cased. To look past a token that does not verify,
 * search again from t->at + t->len. */
int email_token_find(const char *s, size_t len, email_token_t *t);

/* "[#omniq-<sid>-<sig>]" into out (size bytes): its length, or -1 with why (a sid that is
 * not 1..20 digits, a sig that is not EMAIL_SIG_MIN..EMAIL_SIG_MAX hex digits, no room). */
int email_token_format(const char *sid, const char *sig, char *out, size_t size, char *why);

/* The subject of a reply to a mail whose subject is subject (UTF-8; NULL is ""):
 * "Re: <subject> <token>", with the reply prefixes the subject already had ("Re:", "RE:",
 * "Re[2]:", "Re(2):", "AW:", "SV:", "回复:", "答复:", "回覆:", either colon, repeated) and
 * every token it carried (ours or an older one) taken out, so that a long thread's subject
 * does not grow; line breaks and controls as spaces. When it does not fit in out (size
 * bytes), the subject is cut on a character boundary with "…" before the token: the token
 * is never cut. Its length, or -1 with why (token not well-formed, no room for "Re: " and
 * the token). */
int email_reply_subject(const char *subject, const char *token, char *out, size_t size,
		char *why);

#endif
