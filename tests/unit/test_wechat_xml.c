/*
 * test_wechat_xml.c - WeChat's callback XML read with expat: what is kept, what is refused.
 */
#include "unit.h"
#include "wechat_xml.h"

static wx_xml_t x;

#define PARSE(s) wx_xml_parse((s), strlen(s), &x, why)

TEST(wechat_xml_text_message)
{
	char why[WX_XML_WHY];
	const char *m = "<xml><ToUserName><![CDATA[gh_97417a04a28d]]></ToUserName>\n"
					"<FromUserName><![CDATA[o9AgO5Kd5ggOC-bXrbNODIiE3bGY]]></FromUserName>\n"
					"<CreateTime>1409735668</CreateTime><MsgType><![CDATA[text]]></MsgType>\n"
					"<Content><![CDATA[你好 <b>&amp; ]]]]><![CDATA[>]]></Content>"
					"<MsgId>6054768590064713728</MsgId></xml>";
	CHECK_EQ_INT(PARSE(m), 0);
	CHECK_EQ_STR(wx_xml_get(&x, "ToUserName"), "gh_97417a04a28d");
	CHECK_EQ_STR(wx_xml_get(&x, "FromUserName"), "o9AgO5Kd5ggOC-bXrbNODIiE3bGY");
	CHECK_EQ_STR(wx_xml_get(&x, "MsgType"), "text");
	CHECK_EQ_STR(wx_xml_get(&x, "Content"), "你好 <b>&amp; ]]>");
	CHECK_EQ_STR(wx_xml_get(&x, "MsgId"), "6054768590064713728");
	CHECK_EQ_STR(wx_xml_get(&x, "CreateTime"), "1409735668");
	CHECK(wx_xml_get(&x, "Event") == NULL);
}

TEST(wechat_xml_events_nested_and_unknown_kept)
{
	char why[WX_XML_WHY];
	CHECK_EQ_INT(PARSE("<xml><MsgType>event</MsgType><Event>scancode_push</Event>"
					   "<ScanCodeInfo><ScanType>qrcode</ScanType><ScanResult>1</ScanResult>"
					   "</ScanCodeInfo><EventKey>qrscene_42</EventKey></xml>"),
			0);
	CHECK_EQ_STR(wx_xml_get(&x, "ScanCodeInfo.ScanType"), "qrcode");
	CHECK_EQ_STR(wx_xml_get(&x, "ScanCodeInfo.ScanResult"), "1");
	CHECK_EQ_STR(wx_xml_get(&x, "EventKey"), "qrscene_42");
	CHECK(wx_xml_get(&x, "ScanCodeInfo") == NULL);
	CHECK_EQ_INT(PARSE("<xml><MsgType>hologram</MsgType><Depth>3</Depth></xml>"), 0);
	CHECK_EQ_STR(wx_xml_get(&x, "MsgType"), "hologram");
	CHECK_EQ_STR(wx_xml_get(&x, "Depth"), "3");
}

TEST(wechat_xml_refusals)
{
	char why[WX_XML_WHY], big[WX_XML_MAX + 64];
	int i, at;

	CHECK_EQ_INT(PARSE("<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">"
					   "<!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;\">]><xml><Content>&lol2;</Content></xml>"),
			-1);
	CHECK_EQ_STR(why, "a DOCTYPE is not taken");
	CHECK_EQ_INT(PARSE("<!DOCTYPE x SYSTEM \"file:///etc/passwd\"><xml><a>&x;</a></xml>"), -1);
	CHECK_EQ_STR(why, "a DOCTYPE is not taken");
	CHECK_EQ_INT(PARSE("<root><a>1</a></root>"), -1);
	CHECK_EQ_STR(why, "the root element is not <xml>");
	CHECK_EQ_INT(PARSE("<xml><a>1</b></xml>"), -1);
	CHECK(strncmp(why, "not well-formed XML (line 1: ", 29) == 0);
	CHECK_EQ_INT(PARSE("<xml><a>1</a>"), -1);
	CHECK_EQ_INT(PARSE("<xml><a><b><c>deep</c></b></a></xml>"), -1);
	CHECK_EQ_STR(why, "nested too deep");
	CHECK_EQ_INT(wx_xml_parse("", 0, &x, why), -1);
	CHECK_EQ_STR(why, "empty callback");
	at = snprintf(big, sizeof(big), "<xml>");
	for(i = 0; i < WX_XML_FIELDS + 1; i++)
		at += snprintf(big + at, sizeof(big) - (size_t)at, "<f%d>v</f%d>", i, i);
	snprintf(big + at, sizeof(big) - (size_t)at, "</xml>");
	CHECK_EQ_INT(PARSE(big), -1);
	CHECK_EQ_STR(why, "too many elements");
	memset(big, 'a', sizeof(big));
	memcpy(big, "<xml><a>", 8);
	CHECK_EQ_INT(wx_xml_parse(big, WX_XML_MAX + 1, &x, why), -1);
	CHECK_EQ_STR(why, "callback too large");
	CHECK_EQ_INT(x.n, 0);
}

TEST(wechat_xml_envelope_reads_back)
{
	char why[WX_XML_WHY], out[512];
	int n = wx_xml_envelope("hE8R6mGX+/==", "03e0812039325c2712ef5f0f980fd14c70d6e307", "1713424427",
			"41]]>5670741", out, sizeof(out));
	CHECK(n > 0 && (size_t)n == strlen(out));
	CHECK_EQ_INT(wx_xml_parse(out, (size_t)n, &x, why), 0);
	CHECK_EQ_STR(wx_xml_get(&x, "Encrypt"), "hE8R6mGX+/==");
	CHECK_EQ_STR(wx_xml_get(&x, "MsgSignature"), "03e0812039325c2712ef5f0f980fd14c70d6e307");
	CHECK_EQ_STR(wx_xml_get(&x, "TimeStamp"), "1713424427");
	CHECK_EQ_STR(wx_xml_get(&x, "Nonce"), "41]]>5670741");
	CHECK_EQ_INT(wx_xml_envelope("a", "b", "1", "c", out, 20), -1);
}

UNIT_MAIN()
