/*
 * sms_cpim.h - a message/cpim body (RFC 3862) unwrapped: some SMS gateways send a mobile's
 * message as a SIP MESSAGE whose body wraps the text in CPIM, with the numbers in the
 * CPIM headers rather than (or besides) the SIP ones.
 *
 *   From: "Name" <sip:+8613800000001@carrier>       CPIM message headers
 *   To: <sip:+8610086@omniq>
 *   DateTime: 2024-05-01T08:00:00+08:00
 *                                                    a blank line
 *   Content-Type: text/plain;charset=UTF-8           MIME content headers
 *   Content-Length: 6
 *                                                    a blank line
 *   你好                                             the inner body
 *
 * Lines end in CRLF or a bare LF; header names are matched case-insensitively; a line
 * starting with a space or tab continues the header before it (the line break and the
 * whitespace around it become one space). Of several headers of the same name the first
 * counts. Without Content-Length the inner body is everything after the second blank line;
 * with it, exactly that many bytes.
 *
 * Pure (no Kamailio, no Redis, no allocation): the header values the caller gets are
 * copied, unfolded, into the result itself; the inner body points into the input.
 */
#ifndef OMNIQ_SMS_CPIM_H
#define OMNIQ_SMS_CPIM_H

#include <stddef.h>

#define SMS_CPIM_HDR_MAX 8192 /* bytes of both header sections, blank lines included */
#define SMS_CPIM_WHY_MAX 96

typedef struct sms_cpim {
	const char *from;         /* CPIM From value, or NULL when absent */
	const char *to;           /* the first CPIM To value, or NULL */
	const char *datetime;     /* DateTime, or NULL */
	const char *content_type; /* the inner media type without parameters ("text/plain"),
								 as it came (compare it case-insensitively) */
	const char *charset;      /* its charset parameter, unquoted ("UTF-8"), or NULL */
	const char *body;         /* the inner body: points into the input */
	size_t body_len;
	char store[SMS_CPIM_HDR_MAX + 8]; /* where the strings above live */
} sms_cpim_t;

/* Unwraps in (len bytes) into c. 0, or -1 with why (SMS_CPIM_WHY_MAX bytes): no blank
 * line after either header section, no inner Content-Type, a Content-Length that is no
 * number or larger than what remains, headers over SMS_CPIM_HDR_MAX bytes in all, a header
 * line without ':' or whose name is no token ("From <sip:...>"), a continuation line with
 * no header before it. */
int sms_cpim_parse(const char *in, size_t len, sms_cpim_t *c, char *why);

/* The number (the user part) in a From or To value: "sip:+86138...@host",
 * "sips:...", "tel:+86138...;phone-context=...", in <...> or not, with a display name
 * (quoted or not) or without. URI parameters (";...") are left out; the user part is not
 * otherwise checked (an alphanumeric sender id comes back as it is). Into out
 * (NUL-terminated, size bytes): 0, or -1 with why (no URI, a scheme other than sip, sips
 * or tel, no user part, no room). */
int sms_cpim_number(const char *value, char *out, size_t size, char *why);

#endif
