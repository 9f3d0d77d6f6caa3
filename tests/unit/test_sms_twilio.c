/*
 * test_sms_twilio.c - a Twilio-compatible webhook: the form body as it is written on the
 * wire, X-Twilio-Signature against Twilio's published vector and what must not verify,
 * and the inbound message and status callback mappings with their refusals.
 */
#include "unit.h"
#include "sms_twilio.h"

#define DOC_URL "https://mycompany.com/myapp.php?foo=1&bar=2"
#define DOC_BODY                                                                      \
	"CallSid=CA1234567890ABCDE&Caller=%2B14158675309&Digits=1234&From=%2B14158675309" \
	"&To=%2B18005551212"
#define DOC_SIG "RSOYDt4T1cUTdK1PDd93/VVr8B8="

static char scratch[128 * 1024];
static char big[600 * 1024];

static int parse(const char *body, sms_form_t *f, char *why)
{
	return sms_form_parse(body, strlen(body), scratch, sizeof(scratch), f, why);
}

TEST(twilio_form_decodes_plus_escapes_and_utf8)
{
	sms_form_t f;
	char why[SMS_WHY_MAX] = "";

	CHECK_EQ_INT(parse("Body=a+b%2Bc&To=%E4%BD%A0&Empty=&Bare&&x%3Dy=1%261&", &f, why), 0);
	CHECK_EQ_INT(f.n, 5);
	CHECK_EQ_STR(f.p[0].name, "Body");
	CHECK_EQ_STR(f.p[0].value, "a b+c");
	CHECK_EQ_INT(f.p[0].value_len, 5);
	CHECK_EQ_STR(f.p[1].value, "你");
	CHECK_EQ_INT(f.p[1].value_len, 3);
	CHECK_EQ_STR(f.p[2].name, "Empty");
	CHECK_EQ_STR(f.p[2].value, "");
	CHECK_EQ_STR(f.p[3].name, "Bare");
	CHECK_EQ_STR(f.p[3].value, "");
	CHECK_EQ_STR(f.p[4].name, "x=y");
	CHECK_EQ_STR(f.p[4].value, "1&1");
	CHECK_EQ_STR(sms_form_get(&f, "To")->value, "你");
	CHECK(sms_form_get(&f, "to") == NULL);
	/* lower-case hex, a NUL inside a value (its length still counts it) */
	CHECK_EQ_INT(parse("a=%e4%bd%a0&b=x%00y", &f, why), 0);
	CHECK_EQ_STR(f.p[0].value, "你");
	CHECK_EQ_INT(f.p[1].value_len, 3);
	/* the body need not be NUL-terminated: only len bytes are read */
	CHECK_EQ_INT(sms_form_parse("a=1&b=2", 3, scratch, sizeof(scratch), &f, why), 0);
	CHECK_EQ_INT(f.n, 1);
	CHECK_EQ_INT(sms_form_parse("", 0, scratch, sizeof(scratch), &f, why), 0);
	CHECK_EQ_INT(f.n, 0);
}

TEST(twilio_form_refusals_say_why)
{
	sms_form_t f;
	char why[SMS_WHY_MAX] = "", small[8];
	size_t n, i;

	CHECK_EQ_INT(parse("Body=%G1", &f, why), -1);
	CHECK_EQ_STR(why, "malformed %-escape");
	CHECK_EQ_INT(parse("Body=abc%4", &f, why), -1);
	CHECK_EQ_STR(why, "malformed %-escape");
	CHECK_EQ_INT(parse("Body=%", &f, why), -1);
	CHECK_EQ_STR(why, "malformed %-escape");
	CHECK_EQ_INT(parse("=x", &f, why), -1);
	CHECK_EQ_STR(why, "a parameter without a name");
	CHECK_EQ_INT(parse("a%00b=x", &f, why), -1);
	CHECK_EQ_STR(why, "a NUL in a parameter name");
	/* 64 pairs pass, 65 do not */
	for(n = 0, i = 0; i < 65; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "%sp%zu=v", i ? "&" : "", i);
	CHECK_EQ_INT(parse(big, &f, why), -1);
	CHECK_EQ_STR(why, "more than 64 parameters");
	big[strlen(big) - strlen("&p64=v")] = '\0';
	CHECK_EQ_INT(parse(big, &f, why), 0);
	CHECK_EQ_INT(f.n, 64);
	/* names of 64 bytes pass, 65 do not; the same for values of 8192 and 8193 */
	memset(big, 'n', 64);
	strcpy(big + 64, "=v");
	CHECK_EQ_INT(parse(big, &f, why), 0);
	memset(big, 'n', 65);
	strcpy(big + 65, "=v");
	CHECK_EQ_INT(parse(big, &f, why), -1);
	CHECK_EQ_STR(why, "a parameter name longer than 64 bytes");
	strcpy(big, "v=");
	memset(big + 2, 'x', 8192);
	big[2 + 8192] = '\0';
	CHECK_EQ_INT(parse(big, &f, why), 0);
	CHECK_EQ_INT(f.p[0].value_len, 8192);
	strcpy(big, "v=");
	for(i = 0; i < 8193; i++) /* encoded: 3 bytes each, 8193 decoded */
		memcpy(big + 2 + 3 * i, "%41", 3);
	big[2 + 3 * 8193] = '\0';
	CHECK_EQ_INT(parse(big, &f, why), -1);
	CHECK_EQ_STR(why, "a parameter value longer than 8192 bytes");
	/* a scratch buffer too small is said, not overrun */
	CHECK_EQ_INT(sms_form_parse("Body=0123456789", 15, small, sizeof(small), &f, why), -1);
	CHECK_EQ_STR(why, "no room to decode the body");
	CHECK_EQ_INT(sms_form_parse("a", 1, small, 0, &f, why), -1);
	CHECK_EQ_STR(why, "no room to decode the body");
	CHECK_EQ_INT(sms_form_parse("a=", 2, small, 2, &f, why), -1); /* the value's NUL */
	CHECK_EQ_STR(why, "no room to decode the body");
	CHECK_EQ_INT(sms_form_parse("a=", 2, small, 3, &f, why), 0);
	CHECK_EQ_INT(sms_form_parse("Body=0123456789", 15, scratch, 16, &f, why), 0);
}

TEST(twilio_published_signature_vector)
{
	sms_form_t f;
	char why[SMS_WHY_MAX] = "", sig[SMS_TWILIO_SIG_LEN + 1];

	CHECK_EQ_INT(parse(DOC_BODY, &f, why), 0);
	CHECK_EQ_STR(sms_form_get(&f, "Caller")->value, "+14158675309");
	CHECK_EQ_INT(sms_twilio_signature("12345", DOC_URL, &f, sig), 0);
	CHECK_EQ_STR(sig, DOC_SIG);
	CHECK(sms_twilio_verify("12345", DOC_URL, &f, DOC_SIG));
	/* the order parameters come in does not matter: they are sorted by name */
	CHECK_EQ_INT(parse("To=%2B18005551212&From=%2B14158675309&Digits=1234"
					   "&Caller=%2B14158675309&CallSid=CA1234567890ABCDE",
						 &f, why),
			0);
	CHECK(sms_twilio_verify("12345", DOC_URL, &f, DOC_SIG));
}

TEST(twilio_signature_mismatches)
{
	sms_form_t f;
	char why[SMS_WHY_MAX] = "", sig[SMS_TWILIO_SIG_LEN + 2];

	CHECK_EQ_INT(parse(DOC_BODY, &f, why), 0);
	CHECK(!sms_twilio_verify("12346", DOC_URL, &f, DOC_SIG));                 /* token */
	CHECK(!sms_twilio_verify("12345", DOC_URL "&baz=3", &f, DOC_SIG));        /* URL */
	CHECK(!sms_twilio_verify("12345", "http://mycompany.com/myapp.php?foo=1&bar=2", &f,
			DOC_SIG));
	/* the signature: one character changed, cut, lengthened, lower-cased, absent */
	CHECK(!sms_twilio_verify("12345", DOC_URL, &f, "RSOYDt4T1cUTdK1PDd93/VVr8B9="));
	CHECK(!sms_twilio_verify("12345", DOC_URL, &f, "RSOYDt4T1cUTdK1PDd93/VVr8B8A"));
	CHECK(!sms_twilio_verify("12345", DOC_URL, &f, "SSOYDt4T1cUTdK1PDd93/VVr8B8="));
	CHECK(!sms_twilio_verify("12345", DOC_URL, &f, "RSOYDt4T1cUTdK1PDd93/VVr8B8"));
	snprintf(sig, sizeof(sig), "%s=", DOC_SIG);
	CHECK(!sms_twilio_verify("12345", DOC_URL, &f, sig));
	CHECK(!sms_twilio_verify("12345", DOC_URL, &f, "rsoydt4t1cutdk1pdd93/vvr8b8="));
	CHECK(!sms_twilio_verify("12345", DOC_URL, &f, ""));
	CHECK(!sms_twilio_verify("12345", DOC_URL, &f, NULL));
	CHECK(!sms_twilio_verify("", DOC_URL, &f, DOC_SIG));
	CHECK(!sms_twilio_verify(NULL, DOC_URL, &f, DOC_SIG));
	/* one parameter changed, one added, one left out */
	CHECK_EQ_INT(parse("CallSid=CA1234567890ABCDE&Caller=%2B14158675309&Digits=1235"
					   "&From=%2B14158675309&To=%2B18005551212",
						 &f, why),
			0);
	CHECK(!sms_twilio_verify("12345", DOC_URL, &f, DOC_SIG));
	CHECK_EQ_INT(parse(DOC_BODY "&Extra=", &f, why), 0);
	CHECK(!sms_twilio_verify("12345", DOC_URL, &f, DOC_SIG));
	CHECK_EQ_INT(parse("CallSid=CA1234567890ABCDE&Caller=%2B14158675309&Digits=1234"
					   "&From=%2B14158675309",
						 &f, why),
			0);
	CHECK(!sms_twilio_verify("12345", DOC_URL, &f, DOC_SIG));
	/* '+' decoded to a space is another value than %2B */
	CHECK_EQ_INT(parse("CallSid=CA1234567890ABCDE&Caller=+14158675309&Digits=1234"
					   "&From=%2B14158675309&To=%2B18005551212",
						 &f, why),
			0);
	CHECK(!sms_twilio_verify("12345", DOC_URL, &f, DOC_SIG));
}

/* Byte order (upper case before lower case) and a stable sort for repeated names; the
 * expected values were computed apart: HMAC-SHA1 of the string spelled out here. */
TEST(twilio_signature_sorts_by_bytes_and_keeps_repeats_in_order)
{
	sms_form_t f;
	char why[SMS_WHY_MAX] = "", a[SMS_TWILIO_SIG_LEN + 1], b[SMS_TWILIO_SIG_LEN + 1];

	/* "https://x/" + "B2" + "a1" + "m2" + "m1": B (0x42) sorts before a (0x61) */
	CHECK_EQ_INT(parse("a=1&m=2&B=2&m=1", &f, why), 0);
	CHECK_EQ_INT(sms_twilio_signature("k", "https://x/", &f, a), 0);
	CHECK_EQ_STR(a, "wkI/5q2u++FXeHuhKMOyaHSTM1A=");
	/* the repeats the other way round sign another string */
	CHECK_EQ_INT(parse("a=1&m=1&B=2&m=2", &f, why), 0);
	CHECK_EQ_INT(sms_twilio_signature("k", "https://x/", &f, b), 0);
	CHECK_EQ_STR(b, "bFSMpXsQ9MMUIn6Yt+vLIJZr71E=");
	/* a value's NUL is signed too */
	CHECK_EQ_INT(parse("a=x%00y", &f, why), 0);
	CHECK_EQ_INT(sms_twilio_signature("k", "https://x/", &f, a), 0);
	CHECK_EQ_INT(parse("a=x", &f, why), 0);
	CHECK_EQ_INT(sms_twilio_signature("k", "https://x/", &f, b), 0);
	CHECK(strcmp(a, b) != 0);
}

TEST(twilio_inbound_sms_and_mms)
{
	sms_form_t f;
	sms_twilio_msg_t m;
	char why[SMS_WHY_MAX] = "";

	CHECK_EQ_INT(parse("ToCountry=US&SmsMessageSid=SM1&NumMedia=0&MessageSid=SM1"
					   "&From=%2B8613800000001&To=%2B15005550006&Body=%E4%BD%A0%E5%A5%BD+there"
					   "&NumSegments=1&AccountSid=AC1",
						 &f, why),
			0);
	CHECK_EQ_INT(sms_twilio_message(&f, &m, why), 0);
	CHECK_EQ_STR(m.sid, "SM1");
	CHECK_EQ_STR(m.from, "+8613800000001");
	CHECK_EQ_STR(m.to, "+15005550006");
	CHECK_EQ_STR(m.body, "你好 there");
	CHECK_EQ_INT(m.body_len, strlen("你好 there"));
	CHECK_EQ_INT(m.num_media, 0);
	CHECK_EQ_INT(m.num_segments, 1);
	CHECK(m.media_url[0] == NULL);
	/* an MMS without text: Body "", two media, the second without a content type */
	CHECK_EQ_INT(parse("MessageSid=MM2&From=%2B1&To=%2B2&NumMedia=2"
					   "&MediaUrl0=https%3A%2F%2Fapi.twilio.com%2Fm0&MediaContentType0=image%2Fjpeg"
					   "&MediaUrl1=https%3A%2F%2Fapi.twilio.com%2Fm1",
						 &f, why),
			0);
	CHECK_EQ_INT(sms_twilio_message(&f, &m, why), 0);
	CHECK_EQ_STR(m.body, "");
	CHECK_EQ_INT(m.num_media, 2);
	CHECK_EQ_STR(m.media_url[0], "https://api.twilio.com/m0");
	CHECK_EQ_STR(m.media_type[0], "image/jpeg");
	CHECK_EQ_STR(m.media_url[1], "https://api.twilio.com/m1");
	CHECK(m.media_type[1] == NULL);
	CHECK_EQ_INT(m.num_segments, 0);
	/* NumMedia 10 is the most */
	CHECK_EQ_INT(parse("MessageSid=MM3&From=a&To=b&NumMedia=10&MediaUrl0=u&MediaUrl1=u"
					   "&MediaUrl2=u&MediaUrl3=u&MediaUrl4=u&MediaUrl5=u&MediaUrl6=u"
					   "&MediaUrl7=u&MediaUrl8=u&MediaUrl9=u9",
						 &f, why),
			0);
	CHECK_EQ_INT(sms_twilio_message(&f, &m, why), 0);
	CHECK_EQ_STR(m.media_url[9], "u9");
}

TEST(twilio_inbound_refusals_say_why)
{
	static const struct {
		const char *body, *why;
	} cases[] = {
			{"From=a&To=b&Body=x", "no MessageSid"},
			{"MessageSid=&From=a&To=b", "no MessageSid"},
			{"MessageSid=S&To=b", "no From"},
			{"MessageSid=S&From=a", "no To"},
			{"MessageSid=S&From=a&From=c&To=b", "From given twice"},
			{"MessageSid=S&From=a%00b&To=b", "a NUL in From"},
			{"MessageSid=S&From=a&To=b&Body=x%00y", "a NUL in Body"},
			{"MessageSid=S&From=a&To=b&NumMedia=11", "NumMedia is not a number 0..10"},
			{"MessageSid=S&From=a&To=b&NumMedia=-1", "NumMedia is not a number 0..10"},
			{"MessageSid=S&From=a&To=b&NumMedia=", "NumMedia is not a number 0..10"},
			{"MessageSid=S&From=a&To=b&NumMedia=1x", "NumMedia is not a number 0..10"},
			{"MessageSid=S&From=a&To=b&NumMedia=00001", "NumMedia is not a number 0..10"},
			{"MessageSid=S&From=a&To=b&NumSegments=two", "NumSegments is not a number"},
			{"MessageSid=S&From=a&To=b&NumMedia=1", "no MediaUrl0 (NumMedia is 1)"},
			{"MessageSid=S&From=a&To=b&NumMedia=2&MediaUrl0=u&MediaUrl2=u",
					"no MediaUrl1 (NumMedia is 2)"},
			{"MessageSid=S&From=a&To=b&NumMedia=1&MediaUrl0=", "no MediaUrl0 (NumMedia is 1)"},
	};
	sms_form_t f;
	sms_twilio_msg_t m;
	char why[SMS_WHY_MAX];
	size_t i;

	for(i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		why[0] = '\0';
		CHECK_EQ_INT(parse(cases[i].body, &f, why), 0);
		CHECK_MSG(sms_twilio_message(&f, &m, why) == -1, "%s was taken", cases[i].body);
		CHECK_MSG(strcmp(why, cases[i].why) == 0, "%s: why is \"%s\", expected \"%s\"",
				cases[i].body, why, cases[i].why);
	}
}

TEST(twilio_status_callbacks_map_to_report_states)
{
	static const struct {
		const char *status, *state;
	} cases[] = {
			{"accepted", "sent"},
			{"scheduled", "sent"},
			{"queued", "sent"},
			{"sending", "sent"},
			{"sent", "sent"},
			{"delivered", "delivered"},
			{"read", "delivered"},
			{"undelivered", "failed"},
			{"failed", "failed"},
			{"canceled", "failed"},
			{"receiving", "ignore"},
			{"received", "ignore"},
	};
	sms_form_t f;
	sms_twilio_status_t s;
	char why[SMS_WHY_MAX] = "", body[128];
	size_t i;

	for(i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(body, sizeof(body), "MessageSid=SM9&MessageStatus=%s", cases[i].status);
		CHECK_EQ_INT(parse(body, &f, why), 0);
		CHECK_EQ_INT(sms_twilio_status(&f, &s, why), 0);
		CHECK_MSG(s.state && strcmp(s.state, cases[i].state) == 0, "%s became %s",
				cases[i].status, s.state ? s.state : "(null)");
	}
	CHECK_EQ_STR(s.sid, "SM9");
	CHECK_EQ_STR(s.status, "received");
	CHECK(s.error_code == NULL);
	CHECK_EQ_INT(parse("MessageSid=SM9&MessageStatus=undelivered&ErrorCode=30003", &f, why), 0);
	CHECK_EQ_INT(sms_twilio_status(&f, &s, why), 0);
	CHECK_EQ_STR(s.state, "failed");
	CHECK_EQ_STR(s.error_code, "30003");
	CHECK_EQ_INT(parse("MessageSid=SM9&MessageStatus=sent&ErrorCode=", &f, why), 0);
	CHECK_EQ_INT(sms_twilio_status(&f, &s, why), 0);
	CHECK(s.error_code == NULL);
	/* refusals */
	CHECK_EQ_INT(parse("MessageSid=SM9&MessageStatus=Delivered", &f, why), 0);
	CHECK_EQ_INT(sms_twilio_status(&f, &s, why), -1);
	CHECK_EQ_STR(why, "unknown MessageStatus");
	CHECK_EQ_INT(parse("MessageSid=SM9&MessageStatus=lost", &f, why), 0);
	CHECK_EQ_INT(sms_twilio_status(&f, &s, why), -1);
	CHECK_EQ_STR(why, "unknown MessageStatus");
	CHECK_EQ_INT(parse("MessageSid=SM9", &f, why), 0);
	CHECK_EQ_INT(sms_twilio_status(&f, &s, why), -1);
	CHECK_EQ_STR(why, "no MessageStatus");
	CHECK_EQ_INT(parse("MessageStatus=sent", &f, why), 0);
	CHECK_EQ_INT(sms_twilio_status(&f, &s, why), -1);
	CHECK_EQ_STR(why, "no MessageSid");
	CHECK_EQ_INT(parse("MessageSid=SM9&MessageStatus=failed&ErrorCode=30x", &f, why), 0);
	CHECK_EQ_INT(sms_twilio_status(&f, &s, why), -1);
	CHECK_EQ_STR(why, "ErrorCode is not a number");
}

UNIT_MAIN()
