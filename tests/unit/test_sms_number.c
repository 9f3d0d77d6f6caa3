/*
 * test_sms_number.c - a customer's number as omniq keys it whatever form a gateway wrote it
 * in (so texts and calls of one phone meet), the opt-out keywords, and a text/plain body's
 * charset turned into UTF-8 without losing the rest for one bad byte.
 */
#include "unit.h"
#include "sms_charset.h"
#include "sms_number.h"

static int num(const char *in, const char *cc, char *out, size_t size)
{
	char why[96];

	return sms_number(in, strlen(in), cc, out, size, why, sizeof(why));
}

TEST(number_forms_meet_in_e164)
{
	static const char *const same[] = {"+8613800138000", "+86 138-0013.8000", "(+86)13800138000",
			"008613800138000", "8613800138000", " +86 13800138000 "};
	char out[32];
	size_t i;

	for(i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
		CHECK_EQ_INT(num(same[i], NULL, out, sizeof(out)), 0);
		CHECK_EQ_STR(out, "+8613800138000");
	}
	/* a national number with the trunk 0, given the country */
	CHECK_EQ_INT(num("013800138000", "86", out, sizeof(out)), 0);
	CHECK_EQ_STR(out, "+8613800138000");
	/* without the country it is taken as it stands */
	CHECK_EQ_INT(num("013800138000", "", out, sizeof(out)), 0);
	CHECK_EQ_STR(out, "+013800138000");
	/* a sender id stays a sender id */
	CHECK_EQ_INT(num("95588-Bank", "86", out, sizeof(out)), 0);
	CHECK_EQ_STR(out, "95588-Bank");
	sms_number_key("+8613800138000", out, sizeof(out));
	CHECK_EQ_STR(out, "8613800138000");
	sms_number_key("ACME Co", out, sizeof(out));
	CHECK_EQ_STR(out, "ACME_Co");
}

TEST(number_refusals)
{
	char out[32], small[8];

	CHECK_EQ_INT(num("", NULL, out, sizeof(out)), -1);
	CHECK_EQ_INT(num(" - ", NULL, out, sizeof(out)), -1);
	CHECK_EQ_INT(num("+86138+00", NULL, out, sizeof(out)), -1);
	CHECK_EQ_INT(num("1234567890123456", NULL, out, sizeof(out)), -1); /* 16 digits */
	CHECK_EQ_INT(num("123456789012345", NULL, out, sizeof(out)), 0);   /* 15: E.164's most */
	CHECK_EQ_INT(num("+861380013800\x01", NULL, out, sizeof(out)), -1);
	CHECK_EQ_INT(num("ACME<script>", NULL, out, sizeof(out)), -1);
	CHECK_EQ_INT(num("TwelveChars1", NULL, out, sizeof(out)), -1);     /* a sender id is 11 */
	CHECK_EQ_INT(num("\xe4\xbd\xa0\xe5\xa5\xbd", NULL, out, sizeof(out)), -1);
	CHECK_EQ_INT(num("+8613800138000", NULL, small, sizeof(small)), -1);
	CHECK_EQ_INT(num("0999999999999999", "86", out, sizeof(out)), -1); /* 17 with the cc */
}

TEST(optout_keywords_alone_only)
{
	CHECK_EQ_INT(sms_optout_keyword("STOP", 4), 1);
	CHECK_EQ_INT(sms_optout_keyword(" stop. ", 7), 1);
	CHECK_EQ_INT(sms_optout_keyword("Unsubscribe!", 12), 1);
	CHECK_EQ_INT(sms_optout_keyword("TD", 2), 1);
	CHECK_EQ_INT(sms_optout_keyword("\xe9\x80\x80\xe8\xae\xa2\xe3\x80\x82", 9), 1); /* 退订。 */
	CHECK_EQ_INT(sms_optout_keyword("start", 5), -1);
	CHECK_EQ_INT(sms_optout_keyword("\xe8\xae\xa2\xe9\x98\x85", 6), -1);          /* 订阅 */
	CHECK_EQ_INT(sms_optout_keyword("please stop", 11), 0);
	CHECK_EQ_INT(sms_optout_keyword("stopp", 5), 0);
	CHECK_EQ_INT(sms_optout_keyword("", 0), 0);
	CHECK_EQ_INT(sms_optout_keyword(" .", 2), 0);
}

TEST(charset_to_utf8)
{
	char out[64], why[96];
	size_t n;

	/* 你好 in GBK and in Big5; café in Latin-1; UTF-16BE with a BOM-less surrogate pair */
	CHECK_EQ_INT(sms_to_utf8("GBK", "\xc4\xe3\xba\xc3", 4, out, sizeof(out), &n, why, 96), 0);
	CHECK_EQ_STR(out, "\xe4\xbd\xa0\xe5\xa5\xbd");
	CHECK_EQ_INT(sms_to_utf8("big5", "\xa7\x41\xa6\x6e", 4, out, sizeof(out), &n, why, 96), 0);
	CHECK_EQ_STR(out, "\xe4\xbd\xa0\xe5\xa5\xbd");
	CHECK_EQ_INT(sms_to_utf8("iso-8859-1", "caf\xe9", 4, out, sizeof(out), &n, why, 96), 0);
	CHECK_EQ_STR(out, "caf\xc3\xa9");
	CHECK_EQ_INT(sms_to_utf8("UTF-16BE", "\xd8\x3d\xde\x00", 4, out, sizeof(out), &n, why, 96), 0);
	CHECK_EQ_STR(out, "\xf0\x9f\x98\x80");
	/* a byte GB2312 gives no meaning: U+FFFD, and the rest kept */
	CHECK_EQ_INT(sms_to_utf8("GB2312", "\xff" "ok", 3, out, sizeof(out), &n, why, 96), 0);
	CHECK_EQ_STR(out, "\xef\xbf\xbd" "ok");
	CHECK(unit_valid_utf8(out, n));
	/* UTF-8 (and no charset) checked the same way */
	CHECK_EQ_INT(sms_to_utf8(NULL, "a\xc3", 2, out, sizeof(out), &n, why, 96), 0);
	CHECK_EQ_STR(out, "a\xef\xbf\xbd");
	/* unknown, or no charset name at all */
	CHECK_EQ_INT(sms_to_utf8("x-klingon", "a", 1, out, sizeof(out), &n, why, 96), -2);
	CHECK_EQ_INT(sms_to_utf8("gbk;drop", "a", 1, out, sizeof(out), &n, why, 96), -2);
	/* no room: whole characters only */
	CHECK_EQ_INT(sms_to_utf8("GBK", "\xc4\xe3\xba\xc3", 4, out, 5, &n, why, 96), -1);
	CHECK_EQ_STR(out, "\xe4\xbd\xa0");
}

UNIT_MAIN()
