/*
 * test_wechat_message.c - WeChat callbacks (the samples of WeChat's and WeCom's docs) mapped
 * to what omniq stores: the kind, the de-duplication id, the body an agent reads, and the
 * callbacks refused. Bodies must come out valid UTF-8 whatever came in; iconv, not this
 * module's decoder, is the judge of that.
 */

#include "unit.h"
#include "wechat_message.h"

static wx_xml_t x;
static wx_inbound_t m;
static char why[WX_WHY_MAX];

/* A sample through the real parser, then the mapping. */
static int map(const char *xml)
{
	char xwhy[WX_XML_WHY];

	if(wx_xml_parse(xml, strlen(xml), &x, xwhy) < 0) {
		fprintf(stderr, "sample does not parse: %s\n", xwhy);
		return -2;
	}
	why[0] = '\0';
	return wx_message(&x, &m, why);
}

/* A callback expat would refuse (invalid UTF-8, C0 controls), built by hand: the mapping
 * must hold even if what is in front of it changes. kv: name, value, ..., NULL. */
static int map_fields(const char *const *kv)
{
	x.n = 0;
	for(; kv[0]; kv += 2) {
		x.f[x.n].name = kv[0];
		x.f[x.n].value = kv[1];
		x.f[x.n].len = strlen(kv[1]);
		x.n++;
	}
	why[0] = '\0';
	return wx_message(&x, &m, why);
}

/* The body as the core would take it: its length right, valid UTF-8, no control but \n
 * and \t, within WX_BODY_MAX. */
static int body_ok(void)
{
	size_t i;

	if(m.body_len != strlen(m.body) || m.body_len == 0 || m.body_len > WX_BODY_MAX)
		return 0;
	for(i = 0; i < m.body_len; i++) {
		unsigned char c = (unsigned char)m.body[i];
		if((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
			return 0;
	}
	return unit_valid_utf8(m.body, m.body_len);
}

#define HEAD(type) \
	"<xml><ToUserName><![CDATA[gh_97417a04a28d]]></ToUserName>" \
	"<FromUserName><![CDATA[oLVPpjqs9BhvzwPj5A-vTYAX3GLc]]></FromUserName>" \
	"<CreateTime>1348831860</CreateTime><MsgType><![CDATA[" type "]]></MsgType>"
#define EVENT(ev) HEAD("event") "<Event><![CDATA[" ev "]]></Event>"

TEST(wechat_message_text)
{
	CHECK_EQ_INT(map(HEAD("text") "<Content><![CDATA[你好，我的订单 #42 还没到 😀 <b>&amp;\n"
									"第二行\tend]]></Content><MsgId>6054768590064713728</MsgId>"
									"<MsgDataId>xxxx</MsgDataId><Idx>xxxx</Idx></xml>"),
			0);
	CHECK_EQ_INT(m.kind, WX_MESSAGE);
	CHECK_EQ_STR(m.type, "text");
	CHECK(m.event == NULL);
	CHECK_EQ_STR(m.openid, "oLVPpjqs9BhvzwPj5A-vTYAX3GLc");
	CHECK_EQ_STR(m.to, "gh_97417a04a28d");
	CHECK(m.unionid == NULL);
	CHECK_EQ_STR(m.cid, "m:6054768590064713728");
	CHECK_EQ_STR(m.body, "你好，我的订单 #42 还没到 😀 <b>&amp;\n第二行\tend");
	CHECK_EQ_INT(m.body_len, strlen("你好，我的订单 #42 还没到 😀 <b>&amp;\n第二行\tend"));
	CHECK(m.media_id == NULL && m.scene == NULL && m.report_msgid == NULL && m.kf_token == NULL);
	CHECK(body_ok());
}

TEST(wechat_message_unionid_either_spelling)
{
	CHECK_EQ_INT(map(HEAD("text") "<Content>hi</Content><MsgId>1</MsgId>"
								  "<UnionId>o6_bmasdasdsad6_2sgVt7hMZOPfL</UnionId></xml>"),
			0);
	CHECK_EQ_STR(m.unionid, "o6_bmasdasdsad6_2sgVt7hMZOPfL");
	CHECK_EQ_INT(map(HEAD("text") "<Content>hi</Content><MsgId>1</MsgId>"
								  "<UnionID>o6_UNIONID</UnionID></xml>"),
			0);
	CHECK_EQ_STR(m.unionid, "o6_UNIONID");
	CHECK_EQ_INT(map(HEAD("text") "<Content>hi</Content><MsgId>1</MsgId><UnionId></UnionId></xml>"),
			0);
	CHECK(m.unionid == NULL);
}

TEST(wechat_message_media)
{
	CHECK_EQ_INT(map(HEAD("image") "<PicUrl><![CDATA[http://mmbiz.qpic.cn/mmbiz_jpg/abc/0]]>"
								   "</PicUrl><MediaId><![CDATA[media_id_img]]></MediaId>"
								   "<MsgId>1234567890123456</MsgId></xml>"),
			0);
	CHECK_EQ_INT(m.kind, WX_MESSAGE);
	CHECK_EQ_STR(m.body, "[image] http://mmbiz.qpic.cn/mmbiz_jpg/abc/0");
	CHECK_EQ_STR(m.media_id, "media_id_img");
	CHECK_EQ_STR(m.cid, "m:1234567890123456");

	CHECK_EQ_INT(map(HEAD("voice") "<MediaId><![CDATA[media_id_v]]></MediaId>"
								   "<Format><![CDATA[amr]]></Format>"
								   "<Recognition><![CDATA[腾讯微信团队]]></Recognition>"
								   "<MsgId>1234567890123456</MsgId></xml>"),
			0);
	CHECK_EQ_STR(m.body, "[voice] 腾讯微信团队");
	CHECK_EQ_STR(m.media_id, "media_id_v");
	CHECK_EQ_INT(map(HEAD("voice") "<MediaId>media_id_v</MediaId><Format>amr</Format>"
								   "<Recognition></Recognition><MsgId>1</MsgId></xml>"),
			0);
	CHECK_EQ_STR(m.body, "[voice message]");
	CHECK_EQ_INT(map(HEAD("voice") "<MediaId>media_id_v</MediaId><Format>amr</Format>"
								   "<MsgId>1</MsgId></xml>"),
			0);
	CHECK_EQ_STR(m.body, "[voice message]");

	CHECK_EQ_INT(map(HEAD("video") "<MediaId><![CDATA[media_id_vid]]></MediaId>"
								   "<ThumbMediaId><![CDATA[thumb_media_id]]></ThumbMediaId>"
								   "<MsgId>1234567890123456</MsgId></xml>"),
			0);
	CHECK_EQ_STR(m.body, "[video]");
	CHECK_EQ_STR(m.media_id, "media_id_vid");
	CHECK_EQ_INT(map(HEAD("shortvideo") "<MediaId><![CDATA[media_id_sv]]></MediaId>"
										"<ThumbMediaId><![CDATA[thumb_media_id]]></ThumbMediaId>"
										"<MsgId>1234567890123456</MsgId></xml>"),
			0);
	CHECK_EQ_STR(m.type, "shortvideo");
	CHECK_EQ_STR(m.body, "[short video]");
	CHECK_EQ_STR(m.media_id, "media_id_sv");

	CHECK_EQ_INT(map(HEAD("file") "<Title><![CDATA[合同.pdf]]></Title>"
								  "<MediaId>media_id_f</MediaId><MsgId>77</MsgId></xml>"),
			0);
	CHECK_EQ_STR(m.body, "[file] 合同.pdf");
	CHECK_EQ_STR(m.media_id, "media_id_f");
}

TEST(wechat_message_location_and_link)
{
	CHECK_EQ_INT(map(HEAD("location") "<Location_X>23.134521</Location_X>"
									  "<Location_Y>113.358803</Location_Y><Scale>20</Scale>"
									  "<Label><![CDATA[位置信息]]></Label>"
									  "<MsgId>1234567890123456</MsgId></xml>"),
			0);
	CHECK_EQ_INT(m.kind, WX_MESSAGE);
	CHECK_EQ_STR(m.body, "[location] 位置信息 (23.134521, 113.358803)");
	CHECK_EQ_INT(map(HEAD("location") "<Location_X>23.134521</Location_X>"
									  "<Location_Y>113.358803</Location_Y><Scale>20</Scale>"
									  "<Label><![CDATA[]]></Label><MsgId>1</MsgId></xml>"),
			0);
	CHECK_EQ_STR(m.body, "[location] (23.134521, 113.358803)");

	CHECK_EQ_INT(map(HEAD("link") "<Title><![CDATA[公众平台官网链接]]></Title>"
								  "<Description><![CDATA[公众平台官网链接描述]]></Description>"
								  "<Url><![CDATA[https://mp.weixin.qq.com/]]></Url>"
								  "<MsgId>1234567890123456</MsgId></xml>"),
			0);
	CHECK_EQ_STR(m.body, "[link] 公众平台官网链接 — 公众平台官网链接描述 https://mp.weixin.qq.com/");
	CHECK(body_ok());
}

TEST(wechat_message_follow_events)
{
	CHECK_EQ_INT(map(EVENT("subscribe") "<EventKey><![CDATA[qrscene_123123]]></EventKey>"
										"<Ticket><![CDATA[TICKET]]></Ticket></xml>"),
			0);
	CHECK_EQ_INT(m.kind, WX_CUSTOMER);
	CHECK_EQ_STR(m.type, "event");
	CHECK_EQ_STR(m.event, "subscribe");
	CHECK_EQ_STR(m.scene, "123123");
	CHECK_EQ_STR(m.body, "[followed the account, scene 123123]");
	CHECK_EQ_STR(m.cid, "e:oLVPpjqs9BhvzwPj5A-vTYAX3GLc:1348831860:subscribe");

	CHECK_EQ_INT(map(EVENT("subscribe") "<EventKey><![CDATA[]]></EventKey></xml>"), 0);
	CHECK_EQ_INT(m.kind, WX_CUSTOMER);
	CHECK(m.scene == NULL);
	CHECK_EQ_STR(m.body, "[followed the account]");
	CHECK_EQ_INT(map(EVENT("Subscribe") "</xml>"), 0);
	CHECK_EQ_INT(m.kind, WX_CUSTOMER);
	CHECK_EQ_STR(m.body, "[followed the account]");

	CHECK_EQ_INT(map(EVENT("unsubscribe") "</xml>"), 0);
	CHECK_EQ_INT(m.kind, WX_CUSTOMER);
	CHECK_EQ_STR(m.body, "[unfollowed the account]");
	CHECK_EQ_STR(m.cid, "e:oLVPpjqs9BhvzwPj5A-vTYAX3GLc:1348831860:unsubscribe");
}

TEST(wechat_message_customer_events)
{
	CHECK_EQ_INT(map(EVENT("SCAN") "<EventKey><![CDATA[SCENE_VALUE]]></EventKey>"
								   "<Ticket><![CDATA[TICKET]]></Ticket></xml>"),
			0);
	CHECK_EQ_INT(m.kind, WX_CUSTOMER);
	CHECK_EQ_STR(m.scene, "SCENE_VALUE");
	CHECK_EQ_STR(m.body, "[scanned QR code SCENE_VALUE]");
	CHECK_EQ_INT(map(EVENT("scan") "<EventKey>7</EventKey></xml>"), 0);
	CHECK_EQ_INT(m.kind, WX_CUSTOMER);
	CHECK_EQ_STR(m.body, "[scanned QR code 7]");

	CHECK_EQ_INT(map(EVENT("LOCATION") "<Latitude>23.137466</Latitude>"
									   "<Longitude>113.352425</Longitude>"
									   "<Precision>119.385040</Precision></xml>"),
			0);
	CHECK_EQ_INT(m.kind, WX_CUSTOMER);
	CHECK_EQ_STR(m.body, "[location report 23.137466, 113.352425 ±119.385040]");

	CHECK_EQ_INT(map(EVENT("VIEW") "<EventKey><![CDATA[https://www.qq.com/]]></EventKey>"
								   "<MenuId>MENUID</MenuId></xml>"),
			0);
	CHECK_EQ_INT(m.kind, WX_CUSTOMER);
	CHECK_EQ_STR(m.body, "[opened menu link https://www.qq.com/]");
	CHECK_EQ_STR(m.cid, "e:oLVPpjqs9BhvzwPj5A-vTYAX3GLc:1348831860:VIEW");
}

TEST(wechat_message_click_opens_a_session)
{
	CHECK_EQ_INT(map(EVENT("CLICK") "<EventKey><![CDATA[V1001_TODAY_MUSIC]]></EventKey></xml>"), 0);
	CHECK_EQ_INT(m.kind, WX_MESSAGE);
	CHECK_EQ_STR(m.body, "[menu: V1001_TODAY_MUSIC]");
	CHECK_EQ_STR(m.event, "CLICK");
	CHECK_EQ_STR(m.cid, "e:oLVPpjqs9BhvzwPj5A-vTYAX3GLc:1348831860:CLICK");
}

TEST(wechat_message_template_report)
{
	CHECK_EQ_INT(map("<xml><ToUserName><![CDATA[gh_7f083739789a]]></ToUserName>"
					 "<FromUserName><![CDATA[oia2TjuEGTNoeX76QEjQNrcURxG8]]></FromUserName>"
					 "<CreateTime>1395658920</CreateTime><MsgType><![CDATA[event]]></MsgType>"
					 "<Event><![CDATA[TEMPLATESENDJOBFINISH]]></Event><MsgID>200163836</MsgID>"
					 "<Status><![CDATA[failed:user block]]></Status></xml>"),
			0);
	CHECK_EQ_INT(m.kind, WX_REPORT);
	CHECK_EQ_STR(m.report_msgid, "200163836");
	CHECK_EQ_STR(m.report_status, "failed:user block");
	CHECK_EQ_STR(m.body, "[template message 200163836: failed:user block]");
	CHECK_EQ_STR(m.cid, "e:oia2TjuEGTNoeX76QEjQNrcURxG8:1395658920:TEMPLATESENDJOBFINISH");
	CHECK(body_ok());
	CHECK_EQ_INT(map(EVENT("TEMPLATESENDJOBFINISH") "<Status>success</Status></xml>"), -1);
	CHECK_EQ_STR(why, "TEMPLATESENDJOBFINISH without a numeric MsgID");
}

#define KF(token) \
	"<xml><ToUserName><![CDATA[ww12345678910]]></ToUserName>" \
	"<CreateTime>1348831860</CreateTime><MsgType><![CDATA[event]]></MsgType>" \
	"<Event><![CDATA[kf_msg_or_event]]></Event><Token><![CDATA[" token "]]></Token>" \
	"<OpenKfId><![CDATA[wkAJ2GCAAAZSfhHCt7IFSvLKtMPxyJTw]]></OpenKfId></xml>"

TEST(wechat_message_wecom_kf_wake)
{
	char first[WX_CID_MAX + 1];

	CHECK_EQ_INT(map(KF("ENCApHxnGDNAVNY4AaSJKj4Tb5mwsEMzxhFmHVGcra996NR")), 0);
	CHECK_EQ_INT(m.kind, WX_KF_WAKE);
	CHECK_EQ_STR(m.openid, "");
	CHECK_EQ_STR(m.to, "ww12345678910");
	CHECK_EQ_STR(m.kf_token, "ENCApHxnGDNAVNY4AaSJKj4Tb5mwsEMzxhFmHVGcra996NR");
	CHECK_EQ_STR(m.kf_open_kfid, "wkAJ2GCAAAZSfhHCt7IFSvLKtMPxyJTw");
	CHECK_EQ_STR(m.body, "[customer service messages waiting for wkAJ2GCAAAZSfhHCt7IFSvLKtMPxyJTw]");
	/* SHA-1 of ":1348831860:kf_msg_or_event:<Token>" (Python's hashlib) */
	CHECK_EQ_STR(m.cid, "e:7d3dd828c0ec9cd4d5137f89c155fe3d6df3ef7c");
	snprintf(first, sizeof(first), "%s", m.cid);
	/* another wake in the same second is not taken for a retry of the first */
	CHECK_EQ_INT(map(KF("ENCBpHxnGDNAVNY4AaSJKj4Tb5mwsEMzxhFmHVGcra996NR")), 0);
	CHECK(strcmp(m.cid, first) != 0);
	CHECK_EQ_INT(map(KF("ENCApHxnGDNAVNY4AaSJKj4Tb5mwsEMzxhFmHVGcra996NR")), 0);
	CHECK_EQ_STR(m.cid, first);
}

TEST(wechat_message_refusals)
{
	CHECK_EQ_INT(map("<xml><ToUserName>gh_1</ToUserName><FromUserName>o1</FromUserName>"
					 "<CreateTime>1</CreateTime><Content>hi</Content><MsgId>1</MsgId></xml>"),
			-1);
	CHECK_EQ_STR(why, "no MsgType");
	CHECK_EQ_INT(map("<xml><FromUserName>o1</FromUserName><CreateTime>1</CreateTime>"
					 "<MsgType></MsgType><MsgId>1</MsgId></xml>"),
			-1);
	CHECK_EQ_STR(why, "no MsgType");
	CHECK_EQ_INT(map("<xml><ToUserName>gh_1</ToUserName><CreateTime>1</CreateTime>"
					 "<MsgType>text</MsgType><Content>hi</Content><MsgId>1</MsgId></xml>"),
			-1);
	CHECK_EQ_STR(why, "no FromUserName");
	/* only the kf wake may come without a sender */
	CHECK_EQ_INT(map("<xml><ToUserName>gh_1</ToUserName><CreateTime>1</CreateTime>"
					 "<MsgType>event</MsgType><Event>subscribe</Event></xml>"),
			-1);
	CHECK_EQ_STR(why, "no FromUserName");
	CHECK_EQ_INT(map("<xml><FromUserName>o1</FromUserName><CreateTime>13488x1860</CreateTime>"
					 "<MsgType>text</MsgType><Content>hi</Content><MsgId>1</MsgId></xml>"),
			-1);
	CHECK_EQ_STR(why, "CreateTime is not 1..20 decimal digits");
	CHECK_EQ_INT(map("<xml><FromUserName>o1</FromUserName><MsgType>text</MsgType>"
					 "<Content>hi</Content><MsgId>1</MsgId></xml>"),
			-1);
	CHECK_EQ_STR(why, "CreateTime is not 1..20 decimal digits");
	CHECK_EQ_INT(map("<xml><FromUserName>o1</FromUserName><CreateTime>-1</CreateTime>"
					 "<MsgType>text</MsgType><Content>hi</Content><MsgId>1</MsgId></xml>"),
			-1);
	CHECK_EQ_STR(why, "CreateTime is not 1..20 decimal digits");
	CHECK_EQ_INT(map(HEAD("text") "<Content>hi</Content><MsgId>12a</MsgId></xml>"), -1);
	CHECK_EQ_STR(why, "MsgId is not 1..20 decimal digits");
	CHECK_EQ_INT(map(HEAD("text") "<Content>hi</Content><MsgId></MsgId></xml>"), -1);
	CHECK_EQ_STR(why, "MsgId is not 1..20 decimal digits");
	CHECK_EQ_INT(map(HEAD("text") "<Content>hi</Content><MsgId>123456789012345678901</MsgId></xml>"),
			-1);
	CHECK_EQ_STR(why, "MsgId is not 1..20 decimal digits");
	CHECK_EQ_INT(map(HEAD("text") "<Content>hi</Content><MsgId>12345678901234567890</MsgId></xml>"),
			0);
	CHECK_EQ_STR(m.cid, "m:12345678901234567890");
	CHECK_EQ_INT(map(HEAD("text") "<Content><![CDATA[]]></Content><MsgId>1</MsgId></xml>"), -1);
	CHECK_EQ_STR(why, "text message without Content");
	CHECK_EQ_INT(map(HEAD("text") "<MsgId>1</MsgId></xml>"), -1);
	CHECK_EQ_STR(why, "text message without Content");
	CHECK_EQ_INT(map(HEAD("event") "<EventKey>x</EventKey></xml>"), -1);
	CHECK_EQ_STR(why, "event without Event");
	CHECK_EQ_INT(map(HEAD("event") "<Event></Event></xml>"), -1);
	CHECK_EQ_STR(why, "event without Event");
}

TEST(wechat_message_long_chinese_cut_on_a_character)
{
	static char xml[16384], content[10001];
	const char *zh = "中"; /* 3 bytes */
	size_t i, keep = (WX_BODY_MAX - 3) / 3;

	for(i = 0; i < 3333; i++)
		memcpy(content + 3 * i, zh, 3);
	content[9999] = '!';
	content[10000] = '\0';
	snprintf(xml, sizeof(xml), HEAD("text") "<Content><![CDATA[%s]]></Content><MsgId>9</MsgId></xml>",
			content);
	CHECK_EQ_INT(map(xml), 0);
	CHECK_EQ_INT(strlen(wx_xml_get(&x, "Content")), 10000);
	CHECK(m.body_len <= WX_BODY_MAX);
	/* as many whole characters as leave room for the ellipsis: 1364 of them, then "…" */
	CHECK_EQ_INT(m.body_len, 3 * keep + 3);
	CHECK(memcmp(m.body, content, 3 * keep) == 0);
	CHECK_EQ_STR(m.body + 3 * keep, "…");
	CHECK(body_ok());
}

TEST(wechat_message_cut_keeps_emoji_whole)
{
	static char xml[16384], content[10003];
	size_t i, at;

	/* "ab" first puts the 4-byte characters off the cut's natural boundary */
	memcpy(content, "ab", 2);
	for(i = 0, at = 2; i < 2500; i++, at += 4)
		memcpy(content + at, "😀", 4);
	content[at] = '\0';
	snprintf(xml, sizeof(xml), HEAD("text") "<Content>%s</Content><MsgId>9</MsgId></xml>", content);
	CHECK_EQ_INT(map(xml), 0);
	CHECK_EQ_INT(m.body_len, 2 + 4 * 1022 + 3);
	CHECK(memcmp(m.body, content, 2 + 4 * 1022) == 0);
	CHECK_EQ_STR(m.body + 2 + 4 * 1022, "…");
	CHECK(body_ok());
}

TEST(wechat_message_cut_only_past_the_limit)
{
	static char xml[16384], content[WX_BODY_MAX + 2];

	memset(content, 'a', WX_BODY_MAX);
	content[WX_BODY_MAX] = '\0';
	snprintf(xml, sizeof(xml), HEAD("text") "<Content>%s</Content><MsgId>9</MsgId></xml>", content);
	CHECK_EQ_INT(map(xml), 0);
	CHECK_EQ_INT(m.body_len, WX_BODY_MAX);
	CHECK_EQ_STR(m.body, content);

	content[WX_BODY_MAX] = 'b';
	content[WX_BODY_MAX + 1] = '\0';
	snprintf(xml, sizeof(xml), HEAD("text") "<Content>%s</Content><MsgId>9</MsgId></xml>", content);
	CHECK_EQ_INT(map(xml), 0);
	CHECK_EQ_INT(m.body_len, WX_BODY_MAX);
	CHECK(memcmp(m.body, content, WX_BODY_MAX - 3) == 0);
	CHECK_EQ_STR(m.body + WX_BODY_MAX - 3, "…");

	/* a long field in a formatted body is cut the same way */
	content[WX_BODY_MAX] = '\0';
	snprintf(xml, sizeof(xml), HEAD("image") "<PicUrl>%s</PicUrl><MsgId>9</MsgId></xml>", content);
	CHECK_EQ_INT(map(xml), 0);
	CHECK_EQ_INT(m.body_len, WX_BODY_MAX);
	CHECK(strncmp(m.body, "[image] aaa", 11) == 0);
	CHECK_EQ_STR(m.body + WX_BODY_MAX - 3, "…");
}

TEST(wechat_message_invalid_utf8_replaced)
{
	/* each ill-formed sequence and the U+FFFDs Unicode's "maximal subpart" practice gives */
	static const struct {
		const char *in, *out;
	} cases[] = {
		{"a\xff" "b", "a\xef\xbf\xbd" "b"},
		{"end\xc3", "end\xef\xbf\xbd"},
		{"\xe4\xb8x", "\xef\xbf\xbdx"},                          /* "中" missing its last byte */
		{"\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd"},                /* overlong "/" */
		{"\xe0\x80\xaf", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"}, /* overlong, 3 bytes */
		{"\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"}, /* a surrogate */
		{"\xf4\x90\x80\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"}, /* > U+10FFFF */
		{"\xf0\x9f\x98!", "\xef\xbf\xbd!"},                      /* an emoji cut short */
		{"\x80\xbf", "\xef\xbf\xbd\xef\xbf\xbd"},                /* stray continuations */
		{"ok \xf0\x9f\x98\x80 \xe4\xb8\xad", "ok \xf0\x9f\x98\x80 \xe4\xb8\xad"}, /* valid stays */
	};
	size_t i;

	for(i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *kv[] = {"ToUserName", "gh_1", "FromUserName", "o1", "CreateTime", "1",
				"MsgType", "text", "Content", cases[i].in, "MsgId", "5", NULL};
		CHECK_EQ_INT(map_fields(kv), 0);
		CHECK_MSG(!strcmp(m.body, cases[i].out), "case %zu gave %s", i, m.body);
		CHECK_MSG(body_ok(), "case %zu: body not as the core takes it", i);
	}
}

TEST(wechat_message_control_characters_replaced)
{
	const char *kv[] = {"FromUserName", "o1", "CreateTime", "1", "MsgType", "text",
			"Content", "a\x01" "b\x1b[31mc\rd\x7f" "e\nf\tg", "MsgId", "5", NULL};

	CHECK_EQ_INT(map_fields(kv), 0);
	CHECK_EQ_STR(m.body, "a b [31mc d e\nf\tg");
	CHECK(body_ok());
	/* what XML lets through: a character reference to CR, DEL, a C1 control (U+0085) */
	CHECK_EQ_INT(map(HEAD("text") "<Content>x&#13;y\x7fz\xc2\x85w\xc2\xa0v</Content>"
								  "<MsgId>1</MsgId></xml>"),
			0);
	CHECK_EQ_STR(m.body, "x y z w\xc2\xa0v"); /* U+00A0 is no control: kept */
	CHECK(body_ok());
}

TEST(wechat_message_unknown_type_lists_its_fields)
{
	CHECK_EQ_INT(map(HEAD("miniprogrampage") "<Title><![CDATA[订单详情]]></Title>"
											 "<AppId>wx1234</AppId><PagePath>pages/o?id=1</PagePath>"
											 "<MsgId>42</MsgId></xml>"),
			0);
	CHECK_EQ_INT(m.kind, WX_MESSAGE);
	CHECK_EQ_STR(m.type, "miniprogrampage");
	CHECK_EQ_STR(m.body, "[miniprogrampage] Title=订单详情; AppId=wx1234; PagePath=pages/o?id=1");
	CHECK_EQ_STR(m.cid, "m:42");

	CHECK_EQ_INT(map(EVENT("scancode_push") "<EventKey>rselfmenu_0_1</EventKey>"
											"<ScanCodeInfo><ScanType>qrcode</ScanType>"
											"<ScanResult>1</ScanResult></ScanCodeInfo></xml>"),
			0);
	CHECK_EQ_INT(m.kind, WX_MESSAGE);
	CHECK_EQ_STR(m.event, "scancode_push");
	CHECK_EQ_STR(m.body, "[event scancode_push] EventKey=rselfmenu_0_1; "
						 "ScanCodeInfo.ScanType=qrcode; ScanCodeInfo.ScanResult=1");

	CHECK_EQ_INT(map(HEAD("hologram") "<MsgId>43</MsgId></xml>"), 0);
	CHECK_EQ_STR(m.body, "[hologram]");
	CHECK(body_ok());
}

TEST(wechat_message_cid_message_vs_event)
{
	CHECK_EQ_INT(map(HEAD("text") "<Content>hi</Content><MsgId>6054768590064713728</MsgId></xml>"), 0);
	CHECK_EQ_STR(m.cid, "m:6054768590064713728");
	/* a message without MsgId falls back on the event rule, Event empty */
	CHECK_EQ_INT(map(HEAD("text") "<Content>hi</Content></xml>"), 0);
	CHECK_EQ_STR(m.cid, "e:oLVPpjqs9BhvzwPj5A-vTYAX3GLc:1348831860:");
	CHECK_EQ_INT(map(EVENT("CLICK") "<EventKey>K</EventKey></xml>"), 0);
	CHECK_EQ_STR(m.cid, "e:oLVPpjqs9BhvzwPj5A-vTYAX3GLc:1348831860:CLICK");
}

#define FROM41 "oLVPpjqs9BhvzwPj5A-vTYAX3GLcxxxxxxxxxxxxx"
#define FROM88 "oLVPpjqs9BhvzwPj5A-vTYAX3GLcxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
#define SUB(from) \
	"<xml><ToUserName>gh_1</ToUserName><FromUserName>" from "</FromUserName>" \
	"<CreateTime>1348831860</CreateTime><MsgType>event</MsgType>" \
	"<Event>subscribe</Event></xml>"

TEST(wechat_message_cid_hashed_when_long)
{
	/* "e:" + 41 + ":1348831860:subscribe" is exactly WX_CID_MAX: still readable */
	CHECK_EQ_INT(map(SUB(FROM41)), 0);
	CHECK_EQ_STR(m.cid, "e:" FROM41 ":1348831860:subscribe");
	CHECK_EQ_INT(strlen(m.cid), WX_CID_MAX);
	/* one byte more: the SHA-1 of "<from>:<CreateTime>:<Event>" (Python's hashlib) */
	CHECK_EQ_INT(map(SUB(FROM41 "x")), 0);
	CHECK_EQ_INT(strlen(m.cid), 42);
	CHECK(strncmp(m.cid, "e:", 2) == 0);
	CHECK_EQ_INT(map(SUB(FROM88)), 0);
	CHECK_EQ_STR(m.cid, "e:d2a46d39cdd3c9faa722592b5366b1f10fb48131");
	CHECK_EQ_INT(map(SUB(FROM88)), 0);
	CHECK_EQ_STR(m.cid, "e:d2a46d39cdd3c9faa722592b5366b1f10fb48131");
	CHECK_EQ_STR(m.openid, FROM88);
	/* short but not printable ASCII: hashed, so the core's id rules hold */
	CHECK_EQ_INT(map("<xml><FromUserName>o中</FromUserName><CreateTime>1</CreateTime>"
					 "<MsgType>event</MsgType><Event>CLICK</Event></xml>"),
			0);
	CHECK_EQ_STR(m.cid, "e:0f31a325f8088215bf0fdb98568e97e978a1ed1d");
}

UNIT_MAIN()
