/*
 * sms_twilio.h - what a Twilio-compatible provider POSTs to our SMS webhook, checked before
 * anything in it is believed: the form body parsed, X-Twilio-Signature verified, and the
 * inbound message or the status callback mapped to what omniq stores.
 *
 * Pure C over OpenSSL (HMAC-SHA1 through EVP_MAC, Base64): no Kamailio, no Redis, no
 * allocation. The caller owns every buffer; pointers handed back point into them.
 *
 *   body       application/x-www-form-urlencoded: name=value&name=value, '+' a space,
 *              %XX a byte; at most SMS_FORM_PAIRS pairs, names of SMS_FORM_NAME_MAX
 *              bytes, values of SMS_FORM_VALUE_MAX bytes (decoded)
 *   signature  Base64(HMAC-SHA1(auth token, URL + name1 + value1 + name2 + value2 ...))
 *              with the URL exactly as the provider was told it (scheme, host, port, path
 *              and query), the POST parameters sorted by name in byte order (strcmp);
 *              parameters of the same name keep the order they came in (a stable sort;
 *              Twilio's messaging webhooks never repeat a name). Twilio's own libraries
 *              also try the URL with and without an explicit :443/:80: a caller behind a
 *              proxy that rewrites the port verifies both.
 *
 * Values may hold any byte, NUL included (value_len says how many); names may not. The
 * message fields refuse a NUL in what they use, so the C strings they hand out are whole.
 */
#ifndef OMNIQ_SMS_TWILIO_H
#define OMNIQ_SMS_TWILIO_H

#include <stddef.h>

#define SMS_FORM_PAIRS 64
#define SMS_FORM_NAME_MAX 64     /* bytes, decoded, without the NUL */
#define SMS_FORM_VALUE_MAX 8192  /* bytes, decoded, without the NUL */
#define SMS_TWILIO_SIG_LEN 28    /* Base64 of the 20 bytes of an HMAC-SHA1 */
#define SMS_TWILIO_MEDIA_MAX 10  /* NumMedia is 0..10 */
#define SMS_WHY_MAX 96

/* One parameter: name and value NUL-terminated, in the caller's scratch buffer. */
typedef struct sms_pair {
	const char *name;
	const char *value;
	size_t value_len; /* bytes of value, without its NUL (a %00 counts) */
} sms_pair_t;

typedef struct sms_form {
	sms_pair_t p[SMS_FORM_PAIRS];
	int n;
} sms_form_t;

/* Parses body (len bytes; it need not be NUL-terminated) into f, decoding into scratch
 * (size bytes; len + 1 always suffice: nothing decodes longer than it was written).
 * Empty parts ("a=1&&b=2", a trailing '&') are skipped; a part without '=' is a name with
 * an empty value. 0, or -1 with why (SMS_WHY_MAX bytes): a malformed %-escape, an empty
 * name, a NUL in a name, more than SMS_FORM_PAIRS pairs, a name or value too long, no
 * room in scratch. */
int sms_form_parse(const char *body, size_t len, char *scratch, size_t size, sms_form_t *f,
		char *why);

/* The value of the first parameter called name, or NULL. */
const sms_pair_t *sms_form_get(const sms_form_t *f, const char *name);

/* The signature of url and f's parameters under token, Base64 and NUL-terminated into sig.
 * 0, or -1 (a NULL argument, HMAC failed). */
int sms_twilio_signature(const char *token, const char *url, const sms_form_t *f,
		char sig[SMS_TWILIO_SIG_LEN + 1]);

/* Whether given (the X-Twilio-Signature header, NULL when absent) is the signature of url
 * and f under token: a constant-time comparison of all 28 characters; any other length,
 * or a failure to compute, is no. */
int sms_twilio_verify(const char *token, const char *url, const sms_form_t *f,
		const char *given);

/* An inbound message (SMS or MMS). Pointers point into the form's scratch buffer. */
typedef struct sms_twilio_msg {
	const char *sid;          /* MessageSid (SM... / MM...) */
	const char *from, *to;    /* E.164 numbers as the provider wrote them */
	const char *body;         /* Body, "" when absent (an MMS without text) */
	size_t body_len;
	int num_media;            /* NumMedia, 0 when absent */
	int num_segments;         /* NumSegments, 0 when absent */
	const char *media_url[SMS_TWILIO_MEDIA_MAX];  /* MediaUrlN, N < num_media */
	const char *media_type[SMS_TWILIO_MEDIA_MAX]; /* MediaContentTypeN, or NULL */
} sms_twilio_msg_t;

/* Maps a parsed (and verified) inbound message. 0, or -1 with why: MessageSid, From or To
 * missing, empty or given twice, NumMedia not a number 0..10, NumSegments not a number,
 * a MediaUrlN missing for N < NumMedia, a NUL inside a field it hands out. */
int sms_twilio_message(const sms_form_t *f, sms_twilio_msg_t *m, char *why);

/* A status callback about a message we sent. */
typedef struct sms_twilio_status {
	const char *sid;        /* MessageSid */
	const char *status;     /* MessageStatus as it came */
	const char *error_code; /* ErrorCode (digits), or NULL when absent or empty */
	const char *state;      /* omniq's report state: "sent", "delivered", "failed", or
							   "ignore" for the states of an inbound message (receiving,
							   received) that say nothing about what we sent */
} sms_twilio_status_t;

/* Maps MessageStatus:
 *   accepted, scheduled, queued, sending, sent  -> "sent"
 *   delivered, read                             -> "delivered"
 *   undelivered, failed, canceled               -> "failed"
 *   receiving, received                         -> "ignore"
 * 0, or -1 with why: MessageSid or MessageStatus missing, an unknown status, an ErrorCode
 * that is not a number. */
int sms_twilio_status(const sms_form_t *f, sms_twilio_status_t *s, char *why);

#endif
