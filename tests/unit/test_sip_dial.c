/*
 * test_sip_dial.c - click-to-dial's text (omniq_sip dial_text.c): which dial_uri templates
 * start, the gateway URI made of one, the number of an identity, and the SDP answer that
 * lets the agent's phone go when the customer is not reached.
 */
#include "unit.h"
#include "dial_text.h"

static char why[320], out[512];

TEST(dial_uri_templates)
{
	CHECK_EQ_INT(os_dial_uri_check("sip:{number}@gw.example.com", why, sizeof why), 0);
	CHECK_EQ_INT(os_dial_uri_check("sips:{number}@gw.example.com;user=phone", why, sizeof why), 0);
	CHECK_EQ_INT(os_dial_uri_check("sip:9{number}@10.0.0.9:5080", why, sizeof why), 0);
	CHECK_EQ_INT(os_dial_uri_check("tel:{number}", why, sizeof why), -1);
	CHECK(strstr(why, "must be a sip: or sips: URI") != NULL);
	CHECK_EQ_INT(os_dial_uri_check("sip:gw.example.com", why, sizeof why), -1);
	CHECK(strstr(why, "{number} (the customer's number) exactly once") != NULL);
	CHECK_EQ_INT(os_dial_uri_check("sip:{number}@gw;x={number}", why, sizeof why), -1);
	CHECK_EQ_INT(os_dial_uri_check("sip:%s@gw", why, sizeof why), -1);
	CHECK_EQ_INT(os_dial_uri_check("sip:{number}@gw x", why, sizeof why), -1);
}

TEST(dial_uri_expanded)
{
	CHECK_EQ_INT(os_dial_uri_expand("sip:{number}@gw;user=phone", "+8613800000001", out,
						 sizeof out),
			(int)strlen("sip:+8613800000001@gw;user=phone"));
	CHECK_EQ_STR(out, "sip:+8613800000001@gw;user=phone");
	CHECK_EQ_INT(os_dial_uri_expand("sip:{number}@gw", "+8613800000001", out, 10), -1);
}

TEST(dial_number_of_an_identity)
{
	CHECK_EQ_STR(os_dial_number("tel:+8613800000001"), "+8613800000001");
	CHECK_EQ_STR(os_dial_number("phone:+8613800000001"), "+8613800000001");
	CHECK_EQ_STR(os_dial_number("sms:10086"), "10086");
	CHECK(os_dial_number("sip:alice@example.com") == NULL);
	CHECK(os_dial_number("tel:+") == NULL);
	CHECK(os_dial_number("tel:") == NULL);
	CHECK(os_dial_number("tel:+86 138") == NULL);
	CHECK(os_dial_number("wechat:app:openid") == NULL);
}

TEST(dial_reject_answer_takes_no_stream)
{
	const char *offer = "v=0\r\no=agent 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
						"t=0 0\r\nm=audio 6004 RTP/AVP 0 8\r\na=rtpmap:0 PCMU/8000\r\n"
						"m=video 6006 RTP/AVP 96\n";
	int n = os_dial_reject_answer(offer, (int)strlen(offer), out, sizeof out);

	CHECK(n > 0);
	CHECK_EQ_INT(n, (int)strlen(out));
	CHECK(strstr(out, "m=audio 0 RTP/AVP 0 8\r\n") != NULL);
	CHECK(strstr(out, "m=video 0 RTP/AVP 96\r\n") != NULL);
	CHECK(strstr(out, "c=IN IP4 0.0.0.0\r\n") != NULL);
	CHECK(strstr(out, "6004") == NULL && strstr(out, "rtpmap") == NULL);
	/* no m= line: no answer; too small a buffer: none either */
	CHECK_EQ_INT(os_dial_reject_answer("v=0\r\n", 5, out, sizeof out), -1);
	CHECK_EQ_INT(os_dial_reject_answer(offer, (int)strlen(offer), out, 40), -1);
}

UNIT_MAIN()
