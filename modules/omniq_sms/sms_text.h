/*
 * sms_text.h - the text of an SMS: what a gateway hands over turned into UTF-8 for the
 * desk, and what an agent writes counted, costed and cut into the parts it goes out as.
 *
 * Inbound, a gateway (Kannel's `coding`, SMPP's data_coding) gives the user data in one of
 * three alphabets: the GSM 7-bit default alphabet with its extension table (3GPP TS 23.038
 * §6.2.1), 8-bit data (taken as Latin-1) or UCS-2 (in practice UTF-16BE: phones send emoji
 * as surrogate pairs). A long message comes as parts, each opening with a user data header
 * (UDH, 3GPP TS 23.040 §9.2.3.24) that says which message and which part it is.
 * Outbound, the text is sent in the GSM alphabet when every character has a place in it,
 * else in UCS-2, and a text longer than one SMS goes as concatenated parts; the operator
 * bills per part, so an agent sees the count before sending.
 *
 * Pure (no Kamailio, no Redis, no allocation): the unit tests run it alone. Decoding never
 * drops a customer's text for one bad byte: what has no meaning becomes U+FFFD, and so does
 * a NUL (the core refuses NUL in bodies). Other controls (CR, form feed) are kept as they
 * came; the layer that stores a body sanitises them.
 */
#ifndef OMNIQ_SMS_TEXT_H
#define OMNIQ_SMS_TEXT_H

#include <stddef.h>

/* 3GPP TS 23.040 §9.2.3.16: one SMS carries 140 octets of user data, i.e. 160 septets of
 * the GSM alphabet or 70 UCS-2 units. A concatenated part spends 6 of them on its UDH
 * (UDHL, IE 0x00, its length and 3 octets: 8-bit reference, total, sequence; §9.2.3.24.1),
 * leaving 134 octets: 153 septets (the 1 fill bit rounds 153.1 down) or 67 units. A 16-bit
 * reference (IE 0x08) would cost one octet more; these are the sizes of the 8-bit one,
 * which Kannel and most SMSCs use. */
#define SMS_UD_OCTETS 140
#define SMS_GSM_SINGLE 160 /* septets in one SMS */
#define SMS_GSM_PART 153   /* septets in each part of a concatenated SMS */
#define SMS_UCS2_SINGLE 70 /* UTF-16 units in one SMS */
#define SMS_UCS2_PART 67   /* UTF-16 units in each part of a concatenated SMS */
#define SMS_PARTS_MAX 255  /* the UDH's "total" is one octet */
#define SMS_WHY_MAX 96

/* The alphabet of user data: the first three are Kannel's `coding` values (and the
 * alphabet bits of a DCS); SMS_UTF8 is no SMS alphabet but what HTTP gateways that
 * decode for us hand over. */
typedef enum sms_coding {
	SMS_GSM7 = 0, /* GSM 7-bit default alphabet, here unpacked: one septet per byte */
	SMS_8BIT = 1, /* 8-bit data, read as ISO-8859-1 */
	SMS_UCS2 = 2, /* UCS-2 / UTF-16BE */
	SMS_UTF8 = 3  /* already UTF-8: checked, ill-formed sequences become U+FFFD */
} sms_coding_t;

/* The user data in coding (len bytes) as UTF-8, NUL-terminated, into out; its length in
 * *out_len. 0, or -1 with why (SMS_WHY_MAX bytes): an unknown coding, or no room in out;
 * then out holds the whole characters that fitted (never a part of one), so a caller may
 * keep them as a cut text. */
int sms_decode(sms_coding_t coding, const unsigned char *in, size_t len, char *out,
		size_t out_size, size_t *out_len, char *why);

/* The same for the GSM alphabet as it travels in a PDU: septets packed into octets, least
 * significant bit first (3GPP TS 23.038 §6.1.2.1.1). in is the payload after any UDH,
 * fill_bits (0..6) the bits that align it to a septet boundary (sms_concat_t.fill_bits),
 * septets how many characters it holds (TP-UDL less sms_concat_t.udh_septets). -1 with why
 * too when fill_bits is out of range or the octets are fewer than the septets need. */
int sms_decode_packed7(const unsigned char *in, size_t octets, size_t septets,
		int fill_bits, char *out, size_t out_size, size_t *out_len, char *why);

/* utf8 in the GSM alphabet, unpacked (one septet per byte; an extension character is
 * ESC 0x1B and its septet), into out; the septet count in *septets. 0, or -1 with why
 * when a character has no place in the alphabet, utf8 is ill-formed, or out is too small.
 * For gateways that take septets, and the tests' round trips. */
int sms_gsm_encode(const char *utf8, unsigned char *out, size_t out_size, size_t *septets,
		char *why);

/* Septets (values 0..0x7f) packed as sms_decode_packed7 reads them, after fill_bits zero
 * bits, into out: the octets written, or -1 when out_size is too small, fill_bits out of
 * range or a septet above 0x7f. */
int sms_pack7(const unsigned char *septets, size_t n, int fill_bits, unsigned char *out,
		size_t out_size);

/* What a UDH says about concatenation. */
typedef struct sms_concat {
	unsigned int ref;   /* the message's reference: the same in all its parts */
	int ref_bits;       /* 8 (IE 0x00) or 16 (IE 0x08); 0 without a concatenation IE */
	unsigned int total; /* parts in the message (1..255); 0: the UDH has no concatenation IE */
	unsigned int seq;   /* this part, 1..total */
	int fill_bits;      /* bits after the UDH before a 7-bit payload's first septet: 0..6 */
	size_t udh_septets; /* septets TP-UDL counts for the UDH and its fill bits */
} sms_concat_t;

/* The UDH at the start of ud (len octets of user data, UDHI set): its length UDHL + 1 in
 * *udh_len, so the caller skips it, and the concatenation it holds in out (the last one
 * when there are several, as 23.040 says). 0, with out->total 0 when there is no
 * concatenation IE; -1 with why for a malformed UDH: none at all (len 0), UDHL past the
 * data, an IE past UDHL, a concatenation IE of the wrong length, total 0, seq 0 or
 * seq > total. (23.040 would have a receiver ignore such an IE; refusing it lets the
 * caller decide, and a caller that wants the text anyway can skip *udh_len, which is set
 * whenever UDHL fits the data.) */
int sms_udh_concat(const unsigned char *ud, size_t len, sms_concat_t *out, size_t *udh_len,
		char *why);

/* Whether every character of utf8 has a place in the GSM alphabet (default table or
 * extension table): 1, or 0 (also for ill-formed UTF-8 or NULL). "" is encodable. */
int sms_gsm_encodable(const char *utf8);

/* How a text goes out. */
typedef struct sms_plan {
	sms_coding_t coding; /* SMS_GSM7 when encodable, else SMS_UCS2 */
	size_t units;        /* septets (an extension character counts 2) or UTF-16 units (a
							character above U+FFFF counts 2) */
	size_t parts;        /* SMS the operator bills: 1, or parts of a concatenated SMS */
	size_t per_part;     /* the units a part holds: SMS_GSM_SINGLE, SMS_GSM_PART,
							SMS_UCS2_SINGLE or SMS_UCS2_PART */
} sms_plan_t;

/* The plan for utf8: 0, or -1 for an empty text (0 parts), ill-formed UTF-8 (0 parts) or
 * one longer than SMS_PARTS_MAX parts (the plan filled in, so the caller can say how many).
 * Parts are filled a character at a time and a character that does not fit begins the
 * next one: an extension character's two septets and a surrogate pair are never split,
 * so a part may hold one unit less than per_part. */
int sms_parts(const char *utf8, sms_plan_t *plan);

/* Part part_no (0-based) of utf8 under plan (sms_parts' for this very text), as UTF-8,
 * NUL-terminated, into out: its length in bytes, or -1 (part_no past the plan, out too
 * small: then out is "", or a plan not of this text). Parts concatenated are utf8. */
int sms_split(const char *utf8, const sms_plan_t *plan, size_t part_no, char *out,
		size_t out_size);

/* The GSM tables, for whoever must count as this file does (the desk's part counter is
 * made from them): the default alphabet's character of septet 0..127 (0 for 0x1B, the
 * escape, and past 127), and the extension table's i-th entry (its septet after ESC and its
 * character): 0, or -1 past the last. */
unsigned sms_gsm_default_cp(unsigned septet);
int sms_gsm_ext_at(size_t i, unsigned *septet, unsigned *cp);

#endif
