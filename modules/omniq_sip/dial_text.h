/*
 * dial_text.h - the text click-to-dial works out (dial.c): the customer's number from an
 * identity, the gateway URI from `dial_uri`, and the SDP answer that lets an agent's phone
 * go when the customer is not reached. Plain C on purpose (no Kamailio headers): tests/unit
 * checks it directly.
 */
#ifndef OS_DIAL_TEXT_H
#define OS_DIAL_TEXT_H

/* modparam dial_uri: a sip: or sips: URI with {number} exactly once, no '%' nor space, at
 * most 200 bytes. 0, or -1 with the reason in why. */
int os_dial_uri_check(const char *tmpl, char *why, int why_len);

/* tmpl (checked) with {number} replaced by number, into out: its length, or -1 when it
 * does not fit size. */
int os_dial_uri_expand(const char *tmpl, const char *number, char *out, int size);

/* The number of a phone identity: "tel:+8613800000001", "phone:..." or "sms:..." ->
 * "+8613800000001" (a pointer into identity; digits with at most a leading '+'), or NULL
 * for anything else (sip:alice@..., an empty number). */
const char *os_dial_number(const char *identity);

/* An SDP answer to offer (len bytes) that takes none of its streams: every m= line with
 * port 0, connection 0.0.0.0 (RFC 3264 section 6). Its length in out, or -1 when it does
 * not fit size (or the offer has no m= line). */
int os_dial_reject_answer(const char *offer, int len, char *out, int size);

#endif
