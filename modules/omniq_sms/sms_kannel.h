/*
 * sms_kannel.h - omniq's side of a Kannel SMS gateway: the mobile-originated message an
 * sms-service hands over, the delivery reports (DLR) of what we sent, and the sendsms
 * request that sends it.
 *
 * Inbound, kannel.conf's sms-service calls us with its placeholders filled in, each value
 * URL-encoded by Kannel; recommended:
 *
 *   group = sms-service
 *   keyword = default
 *   get-url = "http://omniq:8080/hooks/sms/kannel?secret=...&from=%p&to=%P&text=%b
 *              &time=%T&smsc=%i&id=%I&coding=%c&charset=%C&udh=%u"   (one line)
 *   max-messages = 0
 *   # and in group = smsbox: mo-recode = yes
 *
 *   %p / %P  sender / receiver number          %i  the smsc-id it came in on
 *   %b       the message text, whole           %I  Kannel's id of the message (a UUID)
 *   %a       the text split into words and joined with single spaces: line breaks and
 *            runs of spaces are lost, so %b is recommended for a conversation
 *   %T       when it was sent, Unix seconds (%t is a formatted date, no number)
 *   %c       coding: 0 7-bit (GSM), 1 8-bit (binary), 2 UCS-2
 *   %C       the charset of the text: with mo-recode = yes Kannel recodes UCS-2 text to
 *            UTF-8 and says "UTF-8"; without it the text is UTF-16BE bytes ("UTF-16BE")
 *   %u       the User Data Header, binary (the UDHL byte first), URL-encoded
 * Both %a and %b carry the message as Kannel holds it, after mo-recode (Kannel's
 * urltrans_fill_escape_codes reads the same sms.msgdata for both).
 *
 * Outbound, GET http://kannel:13013/cgi-bin/sendsms?<the query sms_kannel_sendsms builds>,
 * with a dlr-url (sms_kannel_dlr_url) that Kannel calls for every report dlr-mask asks
 * for, filling in %d (the report type: 1 delivered to the phone, 2 not delivered to the
 * phone, 4 buffered at the SMSC, 8 accepted by the SMSC, 16 rejected by the SMSC), %A (the
 * SMSC's reply text) and %F (the SMSC's id of the message).
 *
 * The dlr-url does not carry the secret: it carries our delivery id and sig, an HMAC of the
 * id under the secret, so a dlr-url read in Kannel's store or logs can forge no report for
 * any other delivery and no inbound message.
 *
 * Arguments arrive as name/value pairs (sms_pair_t, sms_form_parse's: the query of the
 * request, URL-decoded once, values binary-safe). Pure (no Kamailio, no Redis, no
 * allocation); the caller owns every buffer.
 */
#ifndef OMNIQ_SMS_KANNEL_H
#define OMNIQ_SMS_KANNEL_H

#include <stddef.h>

#include "sms_text.h"   /* sms_coding_t: Kannel's coding values are its first three */
#include "sms_twilio.h" /* sms_pair_t, sms_form_parse(), SMS_WHY_MAX */

#define SMS_KANNEL_UDH_MAX SMS_UD_OCTETS /* a UDH never exceeds the user data it is in */
#define SMS_KANNEL_SIG_HEX 32  /* the dlr-url's sig: 16 bytes of HMAC-SHA256, hex */

/* dlr-mask bits, which are also the values of %d */
#define SMS_KANNEL_DLR_DELIVERED 1  /* delivered to the phone */
#define SMS_KANNEL_DLR_FAILED 2     /* not delivered to the phone */
#define SMS_KANNEL_DLR_BUFFERED 4   /* queued at the SMSC */
#define SMS_KANNEL_DLR_SMSC_ACK 8   /* accepted by the SMSC */
#define SMS_KANNEL_DLR_SMSC_NACK 16 /* rejected by the SMSC */

/* A mobile-originated message. Pointers point into the pairs' values. */
typedef struct sms_kannel_mo {
	const char *from;     /* %p */
	const char *to;       /* %P, or NULL */
	const char *text;     /* %b / %a: text_len bytes in the charset below (may hold NULs
							 when it is UTF-16BE or binary) */
	size_t text_len;
	long long time;       /* %T, Unix seconds, or -1 when absent */
	const char *smsc;     /* %i, or NULL */
	const char *id;       /* %I, or NULL */
	sms_coding_t coding;  /* %c: SMS_GSM7, SMS_8BIT or SMS_UCS2; SMS_GSM7 when absent.
							 With charset "UTF-8" (mo-recode) the text is UTF-8 whatever
							 coding says: sms_decode(SMS_UTF8, ...) it then */
	const char *charset;  /* %C, or NULL */
	unsigned char udh[SMS_KANNEL_UDH_MAX];
	size_t udh_len;       /* 0: no UDH */
} sms_kannel_mo_t;

/* Maps the arguments of an sms-service call (names as in the get-url above: from, to,
 * text, time, smsc, id, coding, charset, udh; others, such as secret, are the caller's).
 * 0, or -1 with why (SMS_WHY_MAX bytes): from missing or empty, text missing, a NUL in
 * from, to, smsc, id or charset, time not a number, coding not 0, 1 or 2, a UDH longer
 * than 140 bytes or whose first byte (UDHL) does not count the rest. An empty time, coding
 * or udh is taken as absent (Kannel fills an undefined one with nothing). */
int sms_kannel_mo(const sms_pair_t *args, int n, sms_kannel_mo_t *mo, char *why);

/* %d to omniq's report state: 1 "delivered", 2 "failed", 4 "sent" (buffered: still on its
 * way), 8 "sent", 16 "failed". 0, or -1 with why for anything else: 0, a combination of
 * bits, more than 31, not a number. */
int sms_kannel_dlr_state(const char *type, const char **state, char *why);

/* A delivery report as the dlr-url below brings it. */
typedef struct sms_kannel_dlr {
	const char *id;    /* our delivery id */
	int type;          /* %d */
	const char *state; /* sms_kannel_dlr_state() of it */
	const char *reply; /* %A, or NULL */
	const char *fid;   /* %F, or NULL */
} sms_kannel_dlr_t;

/* Checks and maps the arguments of a dlr-url call (id, sig, type, reply, fid): sig must
 * be the HMAC of id under secret (compared in constant time). 0, or -1 with why: id or
 * sig missing, a NUL in a value, a wrong sig, a type sms_kannel_dlr_state() refuses. */
int sms_kannel_dlr(const sms_pair_t *args, int n, const char *secret, sms_kannel_dlr_t *d,
		char *why);

/* The dlr-mask to ask for: every report (31) when intermediate, else only the final ones
 * (delivered or not: 3). */
unsigned sms_kannel_dlr_mask(int intermediate);

/* The dlr-url for delivery id: base (our DLR route, "http://omniq:8080/hooks/sms/kannel/dlr",
 * a query of its own allowed) + "?id=<id>&sig=<hmac>&type=%d&reply=%A&fid=%F", into out
 * (NUL-terminated). Kannel fills in every %<letter> of it, and %A..%F are among its
 * placeholders, so no %-escape of ours may start with a letter: id must be ASCII without
 * controls (its escapes are then %2x..%7x); base must hold no '%', '#', space or control.
 * 0, or -1 with why (those, an empty secret or id, no room). */
int sms_kannel_dlr_url(const char *base, const char *secret, const char *id, char *out,
		size_t size, char *why);

/* What to send. */
typedef struct sms_kannel_send {
	const char *username, *password; /* a sendsms-user's */
	const char *from;                /* NULL or "": Kannel's default sender */
	const char *to;
	const char *text;                /* UTF-8 */
	size_t text_len;
	int coding;                      /* 0 GSM 7-bit, 2 UCS-2 (the text layer decides) */
	const char *smsc;                /* NULL or "": Kannel routes it */
	unsigned dlr_mask;               /* 0: no reports, no dlr-url */
	const char *dlr_url;             /* sms_kannel_dlr_url()'s, when dlr_mask */
} sms_kannel_send_t;

/* The sendsms query (without '?'): username, password, [from], to, text, coding,
 * charset=UTF-8, [smsc], [dlr-mask, dlr-url], each value percent-encoded (all but
 * A-Z a-z 0-9 - . _ ~; a space is %20, a '+' %2B), into out, NUL-terminated. 0, or -1 with
 * why (username, password, to or text missing, coding not 0 or 2 (text goes as GSM or
 * UCS-2; Kannel converts it from charset=UTF-8), a dlr_mask over 31 or
 * without a dlr_url, no room in out). */
int sms_kannel_sendsms(const sms_kannel_send_t *s, char *out, size_t size, char *why);

#endif
