/*
 * test_sms_cpim.c - message/cpim bodies as SMS gateways send them in a SIP MESSAGE
 * (RFC 3862's shape: CPIM headers, a blank line, MIME headers, a blank line, the text),
 * the number taken out of a From value, and what must be refused.
 */
#include "unit.h"
#include "sms_cpim.h"

#define ZH "\xe4\xbd\xa0\xe5\xa5\xbd\xef\xbc\x8c\xe6\x88\x91\xe7\x9a\x84\xe5\x8c\x85\xe8\xa3\xb9" \
		   "\xe5\x88\xb0\xe4\xba\x86\xe5\x90\x97\xef\xbc\x9f" /* 你好，我的包裹到了吗？ */

static char big[20000];

static int parse(const char *in, sms_cpim_t *c, char *why)
{
	return sms_cpim_parse(in, strlen(in), c, why);
}

TEST(cpim_chinese_text_plain_utf8)
{
	static const char in[] = "From: \"Zhang San\" <sip:+8613800000001@carrier.example>\r\n"
							 "To: <sip:+8610086@omniq.example>\r\n"
							 "DateTime: 2024-05-01T08:00:00+08:00\r\n"
							 "NS: MyFeatures <mid:MessageFeatures@id.foo.com>\r\n"
							 "\r\n"
							 "Content-Type: text/plain;charset=UTF-8\r\n"
							 "Content-ID: <1234567890@carrier.example>\r\n"
							 "\r\n" ZH;
	sms_cpim_t c;
	char why[SMS_CPIM_WHY_MAX] = "", num[32];

	CHECK_EQ_INT(parse(in, &c, why), 0);
	CHECK_EQ_STR(c.from, "\"Zhang San\" <sip:+8613800000001@carrier.example>");
	CHECK_EQ_STR(c.to, "<sip:+8610086@omniq.example>");
	CHECK_EQ_STR(c.datetime, "2024-05-01T08:00:00+08:00");
	CHECK_EQ_STR(c.content_type, "text/plain");
	CHECK_EQ_STR(c.charset, "UTF-8");
	CHECK_EQ_INT(c.body_len, strlen(ZH));
	CHECK(c.body_len == strlen(ZH) && memcmp(c.body, ZH, c.body_len) == 0);
	CHECK(c.body == in + strlen(in) - strlen(ZH));
	CHECK_EQ_INT(sms_cpim_number(c.from, num, sizeof(num), why), 0);
	CHECK_EQ_STR(num, "+8613800000001");
	CHECK_EQ_INT(sms_cpim_number(c.to, num, sizeof(num), why), 0);
	CHECK_EQ_STR(num, "+8610086");
}

TEST(cpim_bare_lf_case_and_content_length)
{
	static const char in[] = "from: <tel:+8613800000002>\n"
							 "TO: <sip:10086@omniq>\n"
							 "\n"
							 "content-type: Text/Plain ; Charset=\"gb2312\"\n"
							 "CONTENT-LENGTH: 5\n"
							 "\n"
							 "hello, and what follows Content-Length";
	sms_cpim_t c;
	char why[SMS_CPIM_WHY_MAX] = "", num[32];

	CHECK_EQ_INT(parse(in, &c, why), 0);
	CHECK_EQ_STR(c.from, "<tel:+8613800000002>");
	CHECK_EQ_STR(c.content_type, "Text/Plain");
	CHECK_EQ_STR(c.charset, "gb2312");
	CHECK_EQ_INT(c.body_len, 5);
	CHECK(memcmp(c.body, "hello", 5) == 0);
	CHECK(c.datetime == NULL);
	CHECK_EQ_INT(sms_cpim_number(c.from, num, sizeof(num), why), 0);
	CHECK_EQ_STR(num, "+8613800000002");
	/* Content-Length 0, and exactly what remains */
	CHECK_EQ_INT(parse("From: <sip:a@b>\n\nContent-Type: text/plain\nContent-Length: 0\n\n", &c,
						 why),
			0);
	CHECK_EQ_INT(c.body_len, 0);
	CHECK(c.charset == NULL);
	CHECK_EQ_INT(parse("\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok", &c, why), 0);
	CHECK_EQ_INT(c.body_len, 2);
	CHECK(c.from == NULL && c.to == NULL);
}

TEST(cpim_folded_headers_are_joined)
{
	static const char in[] = "From: \"A very long\r\n"
							 "\t display name\" <sip:+8613800000003@carrier>\r\n"
							 "To: <sip:+8610086@omniq>\r\n"
							 "\r\n"
							 "Content-Type: text/plain;\r\n"
							 "   charset=UTF-8\r\n"
							 "\r\n"
							 "hi";
	sms_cpim_t c;
	char why[SMS_CPIM_WHY_MAX] = "", num[32];

	CHECK_EQ_INT(parse(in, &c, why), 0);
	CHECK_EQ_STR(c.from, "\"A very long display name\" <sip:+8613800000003@carrier>");
	CHECK_EQ_STR(c.content_type, "text/plain");
	CHECK_EQ_STR(c.charset, "UTF-8");
	CHECK_EQ_INT(sms_cpim_number(c.from, num, sizeof(num), why), 0);
	CHECK_EQ_STR(num, "+8613800000003");
	/* the first of a repeated header counts; a fold of one we do not keep is passed over */
	CHECK_EQ_INT(parse("To: <sip:1@a>\nTo: <sip:2@a>\nSubject: x\n y\n\nContent-Type: t/p\n\n.",
						 &c, why),
			0);
	CHECK_EQ_STR(c.to, "<sip:1@a>");
}

TEST(cpim_refusals_say_why)
{
	static const struct {
		const char *in, *why;
	} cases[] = {
			{"", "no blank line after the CPIM headers"},
			{"From: <sip:a@b>\r\nContent-Type: text/plain\r\nhi",
					"no blank line after the CPIM headers"},
			{"From: <sip:a@b>\r\n\r\nContent-Type: text/plain\r\nhi",
					"no blank line after the MIME headers"},
			{"From: <sip:a@b>\r\n\r\nContent-ID: <x@y>\r\n\r\nhi", "no inner Content-Type"},
			{"From: <sip:a@b>\r\n\r\n\r\nhi", "no inner Content-Type"},
			{"From: <sip:a@b>\r\n\r\nContent-Type:  \r\n\r\nhi", "no inner Content-Type"},
			{"From: <sip:a@b>\r\n\r\nContent-Type: ;charset=UTF-8\r\n\r\nhi",
					"no inner Content-Type"},
			{"From: <sip:a@b>\r\n\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nhi",
					"Content-Length larger than what remains"},
			{"From: <sip:a@b>\r\n\r\nContent-Type: text/plain\r\nContent-Length: 2x\r\n\r\nhi",
					"Content-Length is not a number"},
			{"From: <sip:a@b>\r\n\r\nContent-Type: text/plain\r\nContent-Length: -1\r\n\r\nhi",
					"Content-Length is not a number"},
			{"From: <sip:a@b>\r\n\r\nContent-Type: text/plain\r\nContent-Length: 99999999999\r\n\r\nhi",
					"Content-Length is not a number"},
			{"From <sip:a@b>\r\n\r\nContent-Type: text/plain\r\n\r\nhi",
					"a header name with a space or separator"},
			{"From\r\n\r\nContent-Type: text/plain\r\n\r\nhi", "a header line without ':'"},
			{"From: <sip:a@b>\r\n\r\nContent-Type: text/plain\r\nhello\r\n\r\nhi",
					"a header line without ':'"},
			{" folded: first\r\n\r\nContent-Type: text/plain\r\n\r\nhi",
					"a continuation line with no header before it"},
			{"From: <sip:a@b>\r\n\r\n\tContent-Type: text/plain\r\n\r\nhi",
					"a continuation line with no header before it"},
			{": x\r\n\r\nContent-Type: text/plain\r\n\r\nhi", "a header without a name"},
	};
	sms_cpim_t c;
	char why[SMS_CPIM_WHY_MAX];
	size_t i;

	for(i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		why[0] = '\0';
		CHECK_MSG(parse(cases[i].in, &c, why) == -1, "case %zu was taken", i);
		CHECK_MSG(strcmp(why, cases[i].why) == 0, "case %zu: why is \"%s\", expected \"%s\"",
				i, why, cases[i].why);
	}
}

/* 8192 bytes of headers, blank lines included, pass; one more does not, and a body with
 * no line break at all is refused within the limit. */
TEST(cpim_headers_limited_to_8k)
{
	static const char head[] = "From: <sip:a@b>\r\nX: ", tail[] = "\r\n\r\nContent-Type: t/p\r\n\r\n";
	sms_cpim_t c;
	char why[SMS_CPIM_WHY_MAX] = "";
	size_t pad = SMS_CPIM_HDR_MAX - strlen(head) - strlen(tail);

	memcpy(big, head, strlen(head));
	memset(big + strlen(head), 'x', pad);
	memcpy(big + strlen(head) + pad, tail, sizeof(tail));
	strcat(big, "body");
	CHECK_EQ_INT(parse(big, &c, why), 0);
	CHECK_EQ_INT(c.body_len, 4);
	memcpy(big, head, strlen(head));
	memset(big + strlen(head), 'x', pad + 1);
	memcpy(big + strlen(head) + pad + 1, tail, sizeof(tail));
	strcat(big, "body");
	CHECK_EQ_INT(parse(big, &c, why), -1);
	CHECK_EQ_STR(why, "headers over 8192 bytes");
	/* a From value that fills the limit is kept whole */
	pad = SMS_CPIM_HDR_MAX - 6 - strlen(tail);
	memcpy(big, "From: ", 6);
	memset(big + 6, 'f', pad);
	strcpy(big + 6 + pad, tail);
	CHECK_EQ_INT(parse(big, &c, why), 0);
	CHECK_EQ_INT(strlen(c.from), pad);
	CHECK_EQ_INT(c.body_len, 0);
	memset(big, 'y', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK_EQ_INT(parse(big, &c, why), -1);
	CHECK_EQ_STR(why, "headers over 8192 bytes");
}

TEST(cpim_number_from_every_shape)
{
	static const struct {
		const char *in, *num;
	} cases[] = {
			{"sip:+8613800000001@carrier", "+8613800000001"},
			{"<sip:+8613800000001@carrier>", "+8613800000001"},
			{"  <sip:+8613800000001@carrier;transport=tcp>;tag=1", "+8613800000001"},
			{"\"Zhang <San>\" <sip:+8613800000001@carrier>", "+8613800000001"},
			{"\"Q \\\" <x>\" <sips:8613800000001@carrier>", "8613800000001"},
			{"Zhang San <SIP:+8613800000001@carrier>", "+8613800000001"},
			{"\"\xe5\xbc\xa0\xe4\xb8\x89\" <tel:+8613800000001>", "+8613800000001"},
			{"tel:+86-138-0000-0001;phone-context=+86", "+86-138-0000-0001"},
			{"<TEL:+8613800000001>", "+8613800000001"},
			{"<Sips:8613800000001@carrier>", "8613800000001"},
			{"<sip:+8613800000001;npdi@carrier>", "+8613800000001"},
			{"<sip:CMBCHINA@sms.example>", "CMBCHINA"},
	};
	static const struct {
		const char *in, *why;
	} bad[] = {
			{"<im:alice@example.com>", "not a sip:, sips: or tel: URI"},
			{"Alice", "not a sip:, sips: or tel: URI"},
			{"", "not a sip:, sips: or tel: URI"},
			{"<sip:carrier.example>", "no user part"},
			{"<sip:@carrier.example>", "no user part"},
			{"<tel:;phone-context=x>", "no user part"},
			{"<sip:+86@x", "'<' without '>'"},
			{"\"Zhang <sip:+86@x>", "an unterminated quoted display name"},
	};
	char why[SMS_CPIM_WHY_MAX], num[32], small[4];
	size_t i;

	for(i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		num[0] = '\0';
		CHECK_MSG(sms_cpim_number(cases[i].in, num, sizeof(num), why) == 0, "%s: %s",
				cases[i].in, why);
		CHECK_MSG(strcmp(num, cases[i].num) == 0, "%s gave \"%s\"", cases[i].in, num);
	}
	for(i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		CHECK_MSG(sms_cpim_number(bad[i].in, num, sizeof(num), why) == -1, "%s was taken",
				bad[i].in);
		CHECK_MSG(strcmp(why, bad[i].why) == 0, "%s: why is \"%s\", expected \"%s\"", bad[i].in,
				why, bad[i].why);
	}
	CHECK_EQ_INT(sms_cpim_number("<tel:+8613800000001>", small, sizeof(small), why), -1);
	CHECK_EQ_STR(why, "no room for the number");
	CHECK_EQ_INT(sms_cpim_number("<tel:+861>", small, sizeof(small), why), -1);
	CHECK_EQ_INT(sms_cpim_number("<tel:+86>", small, sizeof(small), why), 0);
	CHECK_EQ_STR(small, "+86");
	CHECK_EQ_INT(sms_cpim_number(NULL, num, sizeof(num), why), -1);
}

UNIT_MAIN()
