/*
 * test_sms_text.c - SMS text both ways: user data from a gateway in each alphabet decoded
 * to UTF-8 (known PDU vectors, the whole GSM table, broken input), UDHs read, and an
 * agent's reply counted and split as the operator will bill and send it. The expected
 * GSM table here is written as text, apart from the code's table of code points, so a
 * slip in either shows; decoded text must be valid UTF-8 whatever came in, and iconv, not
 * this module's decoder, is the judge of that.
 */

#include "unit.h"
#include "sms_text.h"

#define OUT_MAX 4096

static char out[OUT_MAX];
static size_t out_len;
static char why[SMS_WHY_MAX];

static int dec(sms_coding_t coding, const char *in, size_t len)
{
	why[0] = '\0';
	return sms_decode(coding, (const unsigned char *)in, len, out, sizeof(out), &out_len,
			why);
}

/* 3GPP TS 23.038 §6.2.1 by septet, as text; "\x1b" stands in the escape's slot. */
static const char gsm_table[] = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./"
								"0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿"
								"abcdefghijklmnopqrstuvwxyzäöñüà";

/* The UTF-8 of entry i of gsm_table into c (5 bytes). */
static void table_entry(int i, char c[5])
{
	const unsigned char *p = (const unsigned char *)gsm_table;
	size_t n;

	for(;;) {
		n = *p < 0x80 ? 1 : *p < 0xe0 ? 2 : *p < 0xf0 ? 3 : 4;
		if(i-- == 0)
			break;
		p += n;
	}
	memcpy(c, p, n);
	c[n] = '\0';
}

/* n copies of s into buf (big enough) */
static char *repeat(char *buf, const char *s, int n)
{
	size_t len = strlen(s), at = 0;

	while(n-- > 0) {
		memcpy(buf + at, s, len);
		at += len;
	}
	buf[at] = '\0';
	return buf;
}

#define FFFD "\xef\xbf\xbd"

TEST(sms_packed7_known_vectors)
{
	static const unsigned char hellohello[] = {
			0xe8, 0x32, 0x9b, 0xfd, 0x46, 0x97, 0xd9, 0xec, 0x37};
	static const unsigned char hello[] = {0xc8, 0x32, 0x9b, 0xfd, 0x06};
	unsigned char sept[16], packed[16];
	size_t n;

	why[0] = '\0';
	CHECK_EQ_INT(sms_decode_packed7(hellohello, sizeof(hellohello), 10, 0, out, sizeof(out),
						 &out_len, why),
			0);
	CHECK_EQ_STR(out, "hellohello");
	CHECK_EQ_INT(out_len, 10);
	CHECK_EQ_INT(sms_decode_packed7(hello, sizeof(hello), 5, 0, out, sizeof(out), &out_len,
						 why),
			0);
	CHECK_EQ_STR(out, "Hello");

	/* and the other way */
	CHECK_EQ_INT(sms_gsm_encode("hellohello", sept, sizeof(sept), &n, why), 0);
	CHECK_EQ_INT(n, 10);
	CHECK_EQ_INT(sms_pack7(sept, n, 0, packed, sizeof(packed)), 9);
	CHECK(memcmp(packed, hellohello, 9) == 0);
	CHECK_EQ_INT(sms_gsm_encode("Hello", sept, sizeof(sept), &n, why), 0);
	CHECK_EQ_INT(sms_pack7(sept, n, 0, packed, sizeof(packed)), 5);
	CHECK(memcmp(packed, hello, 5) == 0);
	CHECK_EQ_INT(sms_pack7(sept, n, 0, packed, 4), -1); /* no room */
}

TEST(sms_gsm_default_table_round_trips)
{
	unsigned char s, sept[4] = {0}, all[128], packed[128];
	char c[5], expect[512];
	size_t n, k = 0;
	int i;

	for(i = 0; i < 128; i++) {
		if(i == 0x1b)
			continue;
		table_entry(i, c);
		s = (unsigned char)i;
		CHECK_MSG(dec(SMS_GSM7, (const char *)&s, 1) == 0 && strcmp(out, c) == 0,
				"septet 0x%02x decodes to \"%s\", expected \"%s\"", i, out, c);
		CHECK_MSG(sms_gsm_encode(c, sept, sizeof(sept), &n, why) == 0 && n == 1
						&& sept[0] == i,
				"\"%s\" encodes to %zu septets (0x%02x), expected 0x%02x", c, n, sept[0], i);
		all[k++] = s;
	}
	/* all 127 characters in a row, packed as a PDU carries them */
	CHECK_EQ_INT(k, 127);
	CHECK_EQ_INT(sms_pack7(all, k, 0, packed, sizeof(packed)), 112); /* 127 * 7 / 8 up */
	why[0] = '\0';
	CHECK_EQ_INT(sms_decode_packed7(packed, 112, k, 0, out, sizeof(out), &out_len, why), 0);
	strcpy(expect, gsm_table);
	memmove(strchr(expect, 0x1b), strchr(expect, 0x1b) + 1,
			strlen(strchr(expect, 0x1b))); /* without the escape */
	CHECK_EQ_STR(out, expect);
	CHECK(unit_valid_utf8(out, out_len));
	/* the escape alone is no character */
	CHECK_EQ_INT(sms_gsm_encode("\x1b", sept, sizeof(sept), &n, why), -1);
	CHECK_CONTAINS(why, "U+001B");
}

TEST(sms_gsm_spot_entries)
{
	/* a few by hand, against the table as 23.038 prints it */
	CHECK_EQ_INT(dec(SMS_GSM7, "\x00\x01\x02\x03\x24\x40\x60\x11", 8), 0);
	CHECK_EQ_STR(out, "@£$¥¤¡¿_");
	CHECK_EQ_INT(out_len, strlen("@£$¥¤¡¿_"));
	CHECK_EQ_INT(dec(SMS_GSM7, "\x09\x0b\x0c\x0e\x0f\x1c\x1d\x1e\x1f", 9), 0);
	CHECK_EQ_STR(out, "ÇØøÅåÆæßÉ");
	CHECK_EQ_INT(dec(SMS_GSM7, "\x5b\x5c\x5d\x5e\x5f\x7b\x7c\x7d\x7e\x7f", 10), 0);
	CHECK_EQ_STR(out, "ÄÖÑÜ§äöñüà");
	CHECK_EQ_INT(dec(SMS_GSM7, "a\x0a" "b\x0d" "c", 5), 0);
	CHECK_EQ_STR(out, "a\nb\rc"); /* CR kept: the store sanitises */
	CHECK_EQ_INT(dec(SMS_GSM7, "\x00", 1), 0); /* '@' is septet 0, not a NUL */
	CHECK_EQ_STR(out, "@");
	CHECK_EQ_INT(out_len, 1);
}

TEST(sms_gsm_greek_capitals)
{
	unsigned char sept[4];
	size_t n;

	CHECK_EQ_INT(dec(SMS_GSM7, "\x10\x12\x13\x14\x15\x16\x17\x18\x19\x1a", 10), 0);
	CHECK_EQ_STR(out, "\u0394\u03a6\u0393\u039b\u03a9\u03a0\u03a8\u03a3\u0398\u039e");
	CHECK_EQ_STR(out, "ΔΦΓΛΩΠΨΣΘΞ");
	/* look-alikes have no place: Ohm sign is not Omega, Alpha is not A */
	CHECK_EQ_INT(sms_gsm_encode("\u2126", sept, sizeof(sept), &n, why), -1);
	CHECK_EQ_INT(sms_gsm_encode("\u0391", sept, sizeof(sept), &n, why), -1);
	CHECK_EQ_INT(sms_gsm_encode("Ω", sept, sizeof(sept), &n, why), 0);
	CHECK_EQ_INT(sept[0], 0x15);
}

TEST(sms_gsm_extension_table)
{
	static const char *chars[] = {"\f", "^", "{", "}", "\\", "[", "~", "]", "|", "€"};
	static const unsigned char septs[] = {
			0x0a, 0x14, 0x28, 0x29, 0x2f, 0x3c, 0x3d, 0x3e, 0x40, 0x65};
	unsigned char in[2] = {0x1b, 0}, sept[4];
	size_t i, n;

	for(i = 0; i < sizeof(septs); i++) {
		in[1] = septs[i];
		CHECK_MSG(dec(SMS_GSM7, (const char *)in, 2) == 0 && strcmp(out, chars[i]) == 0,
				"ESC 0x%02x decodes to \"%s\", expected \"%s\"", septs[i], out, chars[i]);
		CHECK_MSG(sms_gsm_encode(chars[i], sept, sizeof(sept), &n, why) == 0 && n == 2
						&& sept[0] == 0x1b && sept[1] == septs[i],
				"\"%s\" encodes to %zu septets, expected ESC 0x%02x", chars[i], n, septs[i]);
	}
	CHECK_EQ_INT(dec(SMS_GSM7, "5\x1b\x65", 3), 0);
	CHECK_EQ_STR(out, "5\xe2\x82\xac");
	CHECK_EQ_INT(sms_gsm_encode("a€b", sept, sizeof(sept), &n, why), 0);
	CHECK_EQ_INT(n, 4);
	CHECK(sept[0] == 0x61 && sept[1] == 0x1b && sept[2] == 0x65 && sept[3] == 0x62);
}

TEST(sms_gsm_escape_oddities)
{
	/* ESC and a code the extension lacks: the default table's character (23.038) */
	CHECK_EQ_INT(dec(SMS_GSM7, "\x1b\x41" "b", 3), 0);
	CHECK_EQ_STR(out, "Ab");
	CHECK_EQ_INT(dec(SMS_GSM7, "\x1b\x0d", 2), 0); /* CR2 */
	CHECK_EQ_STR(out, "\r");
	/* ESC ESC (reserved for a further table) and an escape at the end: a space each */
	CHECK_EQ_INT(dec(SMS_GSM7, "a\x1b\x1b" "b", 4), 0);
	CHECK_EQ_STR(out, "a b");
	CHECK_EQ_INT(dec(SMS_GSM7, "ab\x1b", 3), 0);
	CHECK_EQ_STR(out, "ab ");
	/* no septet at all in unpacked input */
	CHECK_EQ_INT(dec(SMS_GSM7, "a\x80z\xff", 4), 0);
	CHECK_EQ_STR(out, "a" FFFD "z" FFFD);
	CHECK_EQ_INT(dec(SMS_GSM7, "\x1b\xe5" "z", 3), 0); /* one U+FFFD for the broken pair */
	CHECK_EQ_STR(out, FFFD "z");
	CHECK_EQ_INT(dec(SMS_GSM7, "", 0), 0);
	CHECK_EQ_STR(out, "");
	CHECK_EQ_INT(out_len, 0);
}

TEST(sms_ucs2_chinese_and_emoji)
{
	CHECK_EQ_INT(dec(SMS_UCS2, "\x4f\x60\x59\x7d", 4), 0);
	CHECK_EQ_STR(out, "你好");
	CHECK_EQ_INT(out_len, 6);
	CHECK_EQ_INT(dec(SMS_UCS2, "\xd8\x3d\xde\x00", 4), 0);
	CHECK_EQ_STR(out, "\xf0\x9f\x98\x80");
	CHECK_EQ_STR(out, "😀");
	CHECK_EQ_INT(dec(SMS_UCS2, "\x00h\x00i\xd8\x3d\xde\x00\x00!", 10), 0);
	CHECK_EQ_STR(out, "hi😀!");
}

TEST(sms_ucs2_broken_input)
{
	CHECK_EQ_INT(dec(SMS_UCS2, "\xd8\x3d\x00\x41", 4), 0); /* high without low */
	CHECK_EQ_STR(out, FFFD "A");
	CHECK_EQ_INT(dec(SMS_UCS2, "\xde\x00\x00\x41", 4), 0); /* low without high */
	CHECK_EQ_STR(out, FFFD "A");
	CHECK_EQ_INT(dec(SMS_UCS2, "\xde\x00\xd8\x3d", 4), 0); /* the pair reversed */
	CHECK_EQ_STR(out, FFFD FFFD);
	CHECK_EQ_INT(dec(SMS_UCS2, "\x00\x41\xd8\x3d", 4), 0); /* high at the end */
	CHECK_EQ_STR(out, "A" FFFD);
	CHECK_EQ_INT(dec(SMS_UCS2, "\xd8\x3d\xd8\x3d\xde\x00", 6), 0); /* two highs, one low */
	CHECK_EQ_STR(out, FFFD "😀");
	CHECK_EQ_INT(dec(SMS_UCS2, "\x00\x41\x00", 3), 0); /* odd length */
	CHECK_EQ_STR(out, "A" FFFD);
	CHECK_EQ_INT(dec(SMS_UCS2, "\x41", 1), 0);
	CHECK_EQ_STR(out, FFFD);
	CHECK_EQ_INT(dec(SMS_UCS2, "\x00\x41\x00\x00\x00\x42", 6), 0); /* U+0000: no NUL */
	CHECK_EQ_STR(out, "A" FFFD "B");
	CHECK_EQ_INT(out_len, 5);
}

TEST(sms_latin1)
{
	CHECK_EQ_INT(dec(SMS_8BIT, "caf\xe9", 4), 0);
	CHECK_EQ_STR(out, "café");
	CHECK_EQ_INT(out_len, 5);
	CHECK_EQ_INT(dec(SMS_8BIT, "\xa3\xff\x00!", 4), 0);
	CHECK_EQ_STR(out, "£ÿ" FFFD "!");
}

TEST(sms_utf8_passed_through_and_mended)
{
	CHECK_EQ_INT(dec(SMS_UTF8, "café 你好 😀", strlen("café 你好 😀")), 0);
	CHECK_EQ_STR(out, "café 你好 😀");
	CHECK_EQ_INT(dec(SMS_UTF8, "a\xc3(", 3), 0); /* a start without its continuation */
	CHECK_EQ_STR(out, "a" FFFD "(");
	CHECK_EQ_INT(dec(SMS_UTF8, "\xc0\xaf", 2), 0); /* overlong: two bad bytes */
	CHECK_EQ_STR(out, FFFD FFFD);
	CHECK_EQ_INT(dec(SMS_UTF8, "\xed\xa0\x80", 3), 0); /* a surrogate: three */
	CHECK_EQ_STR(out, FFFD FFFD FFFD);
	CHECK_EQ_INT(dec(SMS_UTF8, "\xf0\x9f\x98" "x", 4), 0); /* maximal subpart: one */
	CHECK_EQ_STR(out, FFFD "x");
	CHECK_EQ_INT(dec(SMS_UTF8, "\xf0\x9f\x98", 3), 0); /* cut at the end of the data */
	CHECK_EQ_STR(out, FFFD);
	CHECK_EQ_INT(dec(SMS_UTF8, "\xf4\x90\x80\x80", 4), 0); /* past U+10FFFF */
	CHECK_EQ_STR(out, FFFD FFFD FFFD FFFD);
	CHECK_EQ_INT(dec(SMS_UTF8, "a\0b", 3), 0); /* a NUL inside */
	CHECK_EQ_STR(out, "a" FFFD "b");
}

TEST(sms_decode_no_room)
{
	char small[8];
	size_t len = 99;

	why[0] = '\0';
	memset(small, 'x', sizeof(small));
	/* "你好" needs 7 bytes with the NUL: with 6, only the first character, whole */
	CHECK_EQ_INT(sms_decode(SMS_UCS2, (const unsigned char *)"\x4f\x60\x59\x7d", 4, small,
						 6, &len, why),
			-1);
	CHECK_CONTAINS(why, "no room");
	CHECK_EQ_STR(small, "你");
	CHECK_EQ_INT(len, 3);
	CHECK_EQ_INT(sms_decode(SMS_UCS2, (const unsigned char *)"\x4f\x60\x59\x7d", 4, small,
						 7, &len, why),
			0);
	CHECK_EQ_STR(small, "你好");
	/* € needs 4 with the NUL: with 3, nothing */
	CHECK_EQ_INT(sms_decode(SMS_GSM7, (const unsigned char *)"\x1b\x65", 2, small, 3, &len,
						 why),
			-1);
	CHECK_EQ_STR(small, "");
	CHECK_EQ_INT(len, 0);
	CHECK_EQ_INT(sms_decode(SMS_8BIT, (const unsigned char *)"caf\xe9", 4, small, 5, &len,
						 why),
			-1);
	CHECK_EQ_STR(small, "caf");
	/* nothing at all: out is not written */
	small[0] = 'x';
	CHECK_EQ_INT(sms_decode(SMS_8BIT, (const unsigned char *)"a", 1, small, 0, &len, why),
			-1);
	CHECK_EQ_INT(small[0], 'x');
	CHECK_EQ_INT(sms_decode(SMS_8BIT, (const unsigned char *)"", 0, small, 1, &len, why), 0);
	CHECK_EQ_STR(small, "");
}

TEST(sms_decode_refuses_what_makes_no_sense)
{
	static const unsigned char packed[] = {0xc8, 0x32, 0x9b, 0xfd, 0x06};

	CHECK_EQ_INT(dec((sms_coding_t)7, "a", 1), -1);
	CHECK_CONTAINS(why, "coding");
	CHECK_EQ_STR(out, "");
	why[0] = '\0';
	CHECK_EQ_INT(sms_decode_packed7(packed, 5, 5, 7, out, sizeof(out), &out_len, why), -1);
	CHECK_CONTAINS(why, "fill");
	CHECK_EQ_INT(sms_decode_packed7(packed, 5, 5, -1, out, sizeof(out), &out_len, why), -1);
	CHECK_EQ_INT(sms_decode_packed7(packed, 4, 5, 0, out, sizeof(out), &out_len, why), -1);
	CHECK_CONTAINS(why, "5 septets");
	CHECK_EQ_INT(sms_decode_packed7(packed, 5, 6, 0, out, sizeof(out), &out_len, why), -1);
	CHECK_EQ_INT(sms_decode_packed7(packed, 5, 5, 6, out, sizeof(out), &out_len, why), -1);
	CHECK_CONTAINS(why, "5 septets need 6 octets, got 5");
	CHECK_EQ_INT(sms_decode_packed7(packed, 5, 5, 5, out, sizeof(out), &out_len, why), 0);
	CHECK_EQ_INT(sms_decode_packed7(packed, 5, (size_t)-1, 0, out, sizeof(out), &out_len,
						 why),
			-1);
	CHECK_EQ_INT(sms_decode_packed7(packed, 0, 0, 0, out, sizeof(out), &out_len, why), 0);
	CHECK_EQ_STR(out, "");
}

TEST(sms_udh_8bit_reference)
{
	static const unsigned char ud[] = {0x05, 0x00, 0x03, 0x2a, 0x02, 0x01, 0xd0};
	sms_concat_t c;
	size_t hl = 0;

	CHECK_EQ_INT(sms_udh_concat(ud, sizeof(ud), &c, &hl, why), 0);
	CHECK_EQ_INT(hl, 6);
	CHECK_EQ_INT(c.ref_bits, 8);
	CHECK_EQ_INT(c.ref, 0x2a);
	CHECK_EQ_INT(c.total, 2);
	CHECK_EQ_INT(c.seq, 1);
	CHECK_EQ_INT(c.fill_bits, 1);   /* 48 bits, 1 more to 49 = 7 septets */
	CHECK_EQ_INT(c.udh_septets, 7);
}

TEST(sms_udh_16bit_reference)
{
	static const unsigned char ud[] = {0x06, 0x08, 0x04, 0x12, 0x34, 0x03, 0x02};
	sms_concat_t c;
	size_t hl = 0;

	CHECK_EQ_INT(sms_udh_concat(ud, sizeof(ud), &c, &hl, why), 0);
	CHECK_EQ_INT(hl, 7);
	CHECK_EQ_INT(c.ref_bits, 16);
	CHECK_EQ_INT(c.ref, 0x1234);
	CHECK_EQ_INT(c.total, 3);
	CHECK_EQ_INT(c.seq, 2);
	CHECK_EQ_INT(c.fill_bits, 0); /* 56 bits are 8 septets */
	CHECK_EQ_INT(c.udh_septets, 8);
}

TEST(sms_udh_other_ies)
{
	/* application ports (IE 0x05) only: no concatenation */
	static const unsigned char ports[] = {0x06, 0x05, 0x04, 0x0b, 0x84, 0x23, 0xf0, 0x41};
	/* ports, then the concatenation */
	static const unsigned char both[] = {
			0x0b, 0x05, 0x04, 0x0b, 0x84, 0x23, 0xf0, 0x00, 0x03, 0x7f, 0x04, 0x04};
	static const unsigned char empty[] = {0x00, 0x41};
	/* the concatenation twice: the last one counts (23.040 §9.2.3.24) */
	static const unsigned char twice[] = {
			0x0b, 0x00, 0x03, 0x01, 0x02, 0x01, 0x08, 0x04, 0x02, 0x22, 0x03, 0x03};
	sms_concat_t c;
	size_t hl = 0;

	CHECK_EQ_INT(sms_udh_concat(ports, sizeof(ports), &c, &hl, why), 0);
	CHECK_EQ_INT(c.total, 0);
	CHECK_EQ_INT(c.ref_bits, 0);
	CHECK_EQ_INT(hl, 7);
	CHECK_EQ_INT(sms_udh_concat(both, sizeof(both), &c, &hl, why), 0);
	CHECK_EQ_INT(hl, 12);
	CHECK_EQ_INT(c.ref, 0x7f);
	CHECK_EQ_INT(c.total, 4);
	CHECK_EQ_INT(c.seq, 4);
	CHECK_EQ_INT(c.fill_bits, 2); /* 96 bits + 2 = 98 = 14 septets */
	CHECK_EQ_INT(c.udh_septets, 14);
	CHECK_EQ_INT(sms_udh_concat(twice, sizeof(twice), &c, &hl, why), 0);
	CHECK_EQ_INT(c.ref_bits, 16);
	CHECK_EQ_INT(c.ref, 0x0222);
	CHECK_EQ_INT(c.total, 3);
	CHECK_EQ_INT(c.seq, 3);
	CHECK_EQ_INT(sms_udh_concat(empty, sizeof(empty), &c, &hl, why), 0);
	CHECK_EQ_INT(hl, 1);
	CHECK_EQ_INT(c.total, 0);
	CHECK_EQ_INT(c.fill_bits, 6);
	CHECK_EQ_INT(c.udh_septets, 2);
}

TEST(sms_udh_malformed_refused)
{
	static const struct {
		const char *ud;
		size_t len;
		const char *says;
	} bad[] = {
			{"", 0, "empty"},
			{"\x05\x00\x03\x2a\x02", 5, "UDHL 5 is past the 5 octets"},
			{"\x04\x00\x03\x2a\x02\x01", 6, "runs past"},       /* IE past UDHL */
			{"\x01\x00", 2, "runs past"},                       /* an IEI and no length */
			{"\x05\x00\x03\x2a\x00\x00", 6, "part 0 of 0"},     /* total 0 */
			{"\x05\x00\x03\x2a\x02\x00", 6, "part 0 of 2"},     /* seq 0 */
			{"\x05\x00\x03\x2a\x02\x03", 6, "part 3 of 2"},     /* seq > total */
			{"\x06\x08\x04\x12\x34\x00\x01", 7, "part 1 of 0"}, /* 16-bit, total 0 */
			{"\x04\x00\x02\x2a\x02", 5, "length 2"},            /* 8-bit IE of 2 octets */
			{"\x06\x08\x03\x12\x03\x01\x00", 7, "length 3"},    /* 16-bit IE of 3 octets */
	};
	sms_concat_t c;
	size_t i, hl;

	for(i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		CHECK_MSG(sms_udh_concat((const unsigned char *)bad[i].ud, bad[i].len, &c, &hl, why)
								== -1
						&& strstr(why, bad[i].says) != NULL && c.total == 0,
				"malformed UDH %zu accepted or said \"%s\"", i, why);
	}
}

TEST(sms_udh_then_packed_payload)
{
	/* a whole TP-UD: UDH 05 00 03 2a 02 01, 1 fill bit, "hellohello" packed after it;
	 * TP-UDL counts 7 septets for the header and fill plus 10 */
	static const unsigned char ud[] = {0x05, 0x00, 0x03, 0x2a, 0x02, 0x01, 0xd0, 0x65,
			0x36, 0xfb, 0x8d, 0x2e, 0xb3, 0xd9, 0x6f};
	unsigned char sept[16], packed[16];
	size_t hl, udl = 17, n;
	sms_concat_t c;

	CHECK_EQ_INT(sms_udh_concat(ud, sizeof(ud), &c, &hl, why), 0);
	CHECK_EQ_INT(c.seq, 1);
	why[0] = '\0';
	CHECK_EQ_INT(sms_decode_packed7(ud + hl, sizeof(ud) - hl, udl - c.udh_septets,
						 c.fill_bits, out, sizeof(out), &out_len, why),
			0);
	CHECK_EQ_STR(out, "hellohello");
	/* the fill bit matters */
	CHECK_EQ_INT(sms_decode_packed7(ud + hl, sizeof(ud) - hl, 10, 0, out, sizeof(out),
						 &out_len, why),
			0);
	CHECK(strcmp(out, "hellohello") != 0);
	/* and packing after a fill bit gives those octets */
	CHECK_EQ_INT(sms_gsm_encode("hellohello", sept, sizeof(sept), &n, why), 0);
	CHECK_EQ_INT(sms_pack7(sept, n, 1, packed, sizeof(packed)), 9);
	CHECK(memcmp(packed, ud + 6, 9) == 0);
}

TEST(sms_gsm_encodable)
{
	CHECK_EQ_INT(sms_gsm_encodable("Hello {world} [1] ~ €5 | ^ \\ @£$¥ èé ÄÖÑÜ ΔΩ"), 1);
	CHECK_EQ_INT(sms_gsm_encodable("café"), 1);   /* é is 0x05 */
	CHECK_EQ_INT(sms_gsm_encodable("ça va"), 0);  /* only Ç has a place */
	CHECK_EQ_INT(sms_gsm_encodable("naïve"), 0);
	CHECK_EQ_INT(sms_gsm_encodable("你好"), 0);
	CHECK_EQ_INT(sms_gsm_encodable("ok 😀"), 0);
	CHECK_EQ_INT(sms_gsm_encodable("a\tb"), 0);   /* no tab in the alphabet */
	CHECK_EQ_INT(sms_gsm_encodable("\u2019"), 0); /* Word's apostrophe */
	CHECK_EQ_INT(sms_gsm_encodable("a\xff"), 0);  /* ill-formed */
	CHECK_EQ_INT(sms_gsm_encodable(""), 1);
	CHECK_EQ_INT(sms_gsm_encodable(NULL), 0);
}

TEST(sms_gsm_encode_refusals)
{
	unsigned char sept[4];
	size_t n = 99;

	CHECK_EQ_INT(sms_gsm_encode("ça", sept, sizeof(sept), &n, why), -1);
	CHECK_CONTAINS(why, "U+00E7");
	CHECK_EQ_INT(n, 0);
	CHECK_EQ_INT(sms_gsm_encode("ab\xc3", sept, sizeof(sept), &n, why), -1);
	CHECK_CONTAINS(why, "byte 2");
	CHECK_EQ_INT(sms_gsm_encode("abc€", sept, sizeof(sept), &n, why), -1); /* 5 septets */
	CHECK_CONTAINS(why, "no room");
	CHECK_EQ_INT(sms_gsm_encode("ab€", sept, sizeof(sept), &n, why), 0);
	CHECK_EQ_INT(n, 4);
}

/* All parts of text under its plan, concatenated, must be text, each part within the
 * plan's units. */
static int parts_rebuild(const char *text, const sms_plan_t *p)
{
	static char all[8192];
	char part[2048];
	size_t i;
	int n;

	all[0] = '\0';
	for(i = 0; i < p->parts; i++) {
		if((n = sms_split(text, p, i, part, sizeof(part))) <= 0 || (size_t)n != strlen(part))
			return 0;
		strcat(all, part);
	}
	return strcmp(all, text) == 0
		   && sms_split(text, p, p->parts, part, sizeof(part)) == -1;
}

TEST(sms_parts_gsm)
{
	char text[1024];
	sms_plan_t p;

	CHECK_EQ_INT(sms_parts(repeat(text, "a", 160), &p), 0);
	CHECK_EQ_INT(p.coding, SMS_GSM7);
	CHECK_EQ_INT(p.units, 160);
	CHECK_EQ_INT(p.parts, 1);
	CHECK_EQ_INT(p.per_part, SMS_GSM_SINGLE);
	CHECK(parts_rebuild(text, &p));
	CHECK_EQ_INT(sms_parts(repeat(text, "a", 161), &p), 0);
	CHECK_EQ_INT(p.parts, 2);
	CHECK_EQ_INT(p.per_part, SMS_GSM_PART);
	CHECK(parts_rebuild(text, &p));
	CHECK_EQ_INT(sms_parts(repeat(text, "a", 306), &p), 0);
	CHECK_EQ_INT(p.parts, 2);
	CHECK(parts_rebuild(text, &p));
	CHECK_EQ_INT(sms_parts(repeat(text, "a", 307), &p), 0);
	CHECK_EQ_INT(p.parts, 3);
	CHECK_EQ_INT(sms_split(text, &p, 2, out, sizeof(out)), 1);
	CHECK(parts_rebuild(text, &p));
	/* an extension character costs 2: 80 € are 160 septets, 1 part; 81 are 2 */
	CHECK_EQ_INT(sms_parts(repeat(text, "€", 80), &p), 0);
	CHECK_EQ_INT(p.units, 160);
	CHECK_EQ_INT(p.parts, 1);
	CHECK_EQ_INT(sms_parts(repeat(text, "€", 81), &p), 0);
	CHECK_EQ_INT(p.units, 162);
	CHECK_EQ_INT(p.parts, 2);
	CHECK(parts_rebuild(text, &p));
}

TEST(sms_parts_extension_not_split)
{
	char text[1024], first[512];
	sms_plan_t p;

	/* 152 + € (2): the € would straddle septets 153/154, so it begins part 2 */
	repeat(text, "a", 152);
	strcat(text, "€bbbbbbbbbb");
	CHECK_EQ_INT(sms_parts(text, &p), 0);
	CHECK_EQ_INT(p.units, 164);
	CHECK_EQ_INT(p.parts, 2);
	CHECK_EQ_INT(sms_split(text, &p, 0, out, sizeof(out)), 152);
	CHECK_EQ_STR(out, repeat(first, "a", 152));
	CHECK_EQ_INT(sms_split(text, &p, 1, out, sizeof(out)), strlen("€bbbbbbbbbb"));
	CHECK_EQ_STR(out, "€bbbbbbbbbb");
	CHECK(parts_rebuild(text, &p));
	/* 151 + € is 153 exactly: it stays */
	repeat(text, "a", 151);
	strcat(text, "€bbbbbbbbbb");
	CHECK_EQ_INT(sms_parts(text, &p), 0);
	CHECK_EQ_INT(sms_split(text, &p, 0, out, sizeof(out)), 151 + 3);
	CHECK_EQ_STR(out + 151, "€");
	/* 306 septets that a naive count calls 2 parts need 3 when the € is kept whole */
	repeat(text, "a", 152);
	strcat(text, "€");
	strcat(text, repeat(first, "b", 152));
	CHECK_EQ_INT(sms_parts(text, &p), 0);
	CHECK_EQ_INT(p.units, 306);
	CHECK_EQ_INT(p.parts, 3);
	CHECK_EQ_INT(sms_split(text, &p, 2, out, sizeof(out)), 1);
	CHECK_EQ_STR(out, "b");
	CHECK(parts_rebuild(text, &p));
}

TEST(sms_parts_ucs2)
{
	char text[2048], want[1024];
	sms_plan_t p;

	CHECK_EQ_INT(sms_parts(repeat(text, "你", 70), &p), 0);
	CHECK_EQ_INT(p.coding, SMS_UCS2);
	CHECK_EQ_INT(p.units, 70);
	CHECK_EQ_INT(p.parts, 1);
	CHECK_EQ_INT(p.per_part, SMS_UCS2_SINGLE);
	CHECK(parts_rebuild(text, &p));
	CHECK_EQ_INT(sms_parts(repeat(text, "你", 71), &p), 0);
	CHECK_EQ_INT(p.parts, 2);
	CHECK_EQ_INT(p.per_part, SMS_UCS2_PART);
	CHECK_EQ_INT(sms_split(text, &p, 0, out, sizeof(out)), 67 * 3);
	CHECK_EQ_STR(out, repeat(want, "你", 67));
	CHECK_EQ_INT(sms_split(text, &p, 1, out, sizeof(out)), 4 * 3);
	CHECK_EQ_STR(out, repeat(want, "你", 4));
	CHECK(parts_rebuild(text, &p));
	/* one character outside the GSM alphabet makes the whole text UCS-2 */
	repeat(text, "a", 100);
	strcat(text, "ç");
	CHECK_EQ_INT(sms_parts(text, &p), 0);
	CHECK_EQ_INT(p.coding, SMS_UCS2);
	CHECK_EQ_INT(p.units, 101);
	CHECK_EQ_INT(p.parts, 2);
	CHECK(parts_rebuild(text, &p));
	/* an emoji is 2 units: 35 of them fill one SMS, 36 do not */
	CHECK_EQ_INT(sms_parts(repeat(text, "😀", 35), &p), 0);
	CHECK_EQ_INT(p.units, 70);
	CHECK_EQ_INT(p.parts, 1);
	CHECK_EQ_INT(sms_parts(repeat(text, "😀", 36), &p), 0);
	CHECK_EQ_INT(p.units, 72);
	CHECK_EQ_INT(p.parts, 2);
	CHECK(parts_rebuild(text, &p));
}

TEST(sms_parts_surrogate_pair_not_split)
{
	char text[2048], want[1024];
	sms_plan_t p;

	/* 66 units, then 😀 would take units 67 and 68: it begins part 2 */
	repeat(text, "你", 66);
	strcat(text, "😀好好好好好");
	CHECK_EQ_INT(sms_parts(text, &p), 0);
	CHECK_EQ_INT(p.units, 73);
	CHECK_EQ_INT(p.parts, 2);
	CHECK_EQ_INT(sms_split(text, &p, 0, out, sizeof(out)), 66 * 3);
	CHECK_EQ_STR(out, repeat(want, "你", 66));
	CHECK_EQ_INT(sms_split(text, &p, 1, out, sizeof(out)), strlen("😀好好好好好"));
	CHECK_EQ_STR(out, "😀好好好好好");
	CHECK(parts_rebuild(text, &p));
	/* 65 units and 😀 are 67 exactly: it stays */
	repeat(text, "你", 65);
	strcat(text, "😀好好好好好");
	CHECK_EQ_INT(sms_parts(text, &p), 0);
	CHECK_EQ_INT(sms_split(text, &p, 0, out, sizeof(out)), 65 * 3 + 4);
	CHECK_EQ_STR(out + 65 * 3, "😀");
	CHECK(parts_rebuild(text, &p));
}

TEST(sms_parts_refusals)
{
	static char text[300 * 160];
	char part[8];
	sms_plan_t p, q;

	CHECK_EQ_INT(sms_parts("", &p), -1);
	CHECK_EQ_INT(p.parts, 0);
	CHECK_EQ_INT(sms_parts(NULL, &p), -1);
	CHECK_EQ_INT(p.parts, 0);
	CHECK_EQ_INT(sms_parts("ok\xc3", &p), -1); /* ill-formed */
	CHECK_EQ_INT(p.parts, 0);
	/* 255 parts are the most a UDH can number */
	CHECK_EQ_INT(sms_parts(repeat(text, "a", 255 * 153), &p), 0);
	CHECK_EQ_INT(p.parts, 255);
	CHECK_EQ_INT(sms_parts(repeat(text, "a", 255 * 153 + 1), &p), -1);
	CHECK_EQ_INT(p.parts, 256);
	/* splitting: past the last part, no room, a plan of another text */
	CHECK_EQ_INT(sms_parts("hello", &p), 0);
	CHECK_EQ_INT(sms_split("hello", &p, 1, out, sizeof(out)), -1);
	CHECK_EQ_INT(sms_split("hello", &p, 0, part, 5), -1);
	CHECK_EQ_STR(part, "");
	CHECK_EQ_INT(sms_split("hello", &p, 0, part, 6), 5);
	CHECK_EQ_STR(part, "hello");
	CHECK_EQ_INT(sms_split("hellO!", &p, 0, out, sizeof(out)), -1); /* 6 septets, not 5 */
	CHECK_EQ_INT(sms_parts(repeat(text, "a", 200), &q), 0);
	CHECK_EQ_INT(sms_split(repeat(text, "a", 400), &q, 0, out, sizeof(out)), -1);
	q.per_part = SMS_GSM_SINGLE; /* a plan that does not hang together */
	CHECK_EQ_INT(sms_split(repeat(text, "a", 200), &q, 0, out, sizeof(out)), -1);
}

/* Whatever bytes come, in whatever coding and whatever room: valid UTF-8, no NUL inside,
 * the length told right, never past out (ASan and valgrind watch that). */
TEST(sms_decode_any_bytes)
{
	static const size_t sizes[] = {0, 1, 2, 3, 4, 5, 7, 16, 64, OUT_MAX};
	unsigned char in[96];
	unsigned int seed = 12345, bad = 0, runs = 0;
	size_t i, k, len, n;
	int c, rc;

	for(i = 0; i < 3000; i++) {
		len = i % sizeof(in);
		for(k = 0; k < len; k++) {
			seed = seed * 1103515245u + 12345u;
			in[k] = (unsigned char)(seed >> 16);
			if(i % 3 == 0)
				in[k] &= 0x7f; /* mostly septets */
		}
		for(c = 0; c < 5; c++) {
			n = sizes[(i + (size_t)c) % (sizeof(sizes) / sizeof(sizes[0]))];
			memset(out, 'Z', sizeof(out));
			rc = c < 4 ? sms_decode((sms_coding_t)c, in, len, out, n, &out_len, why)
					   : sms_decode_packed7(in, len, len * 8 / 7, (int)(i % 7), out, n,
								 &out_len, why);
			runs++;
			if(n == 0) {
				bad += rc != -1 || out[0] != 'Z';
				continue;
			}
			if(out_len >= n || strlen(out) != out_len || !unit_valid_utf8(out, out_len)
					|| (n < sizeof(out) && out[n] != 'Z') || (rc == 0 && n == OUT_MAX && out_len == 0 && len > 1))
				bad++;
		}
	}
	CHECK_EQ_INT(runs, 15000);
	CHECK_EQ_INT(bad, 0);
}

UNIT_MAIN()
