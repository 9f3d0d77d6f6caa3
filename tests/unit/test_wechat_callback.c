/*
 * test_wechat_callback.c - the callback URL as WeChat's servers use it, in every mode, with
 * WeChat's published samples; and what a forger or a replayer gets.
 */
#include "unit.h"
#include "wechat_callback.h"
#include "wechat_vectors.h"

static wx_xml_t msg;

static wx_account_t account(const char *token, const char *aeskey, const char *id, int wecom)
{
	wx_account_t a;
	char why[WX_WHY_MAX];
	memset(&a, 0, sizeof(a));
	a.token = token;
	a.receive_id = id;
	a.wecom = wecom;
	a.replay_s = 300;
	a.has_key = aeskey && wx_aes_key(aeskey, a.key, why) == 0;
	return a;
}

TEST(wechat_callback_url_verification)
{
	wx_account_t oa = account("test", NULL, "wx0", 0);
	wx_account_t wc = account("QDG6eK", "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", "wx5823bf96d3bd56c7", 1);
	wx_query_t q = {0};
	char echo[128], why[WX_WHY_MAX];

	q.signature = "f21891de399b4e33a1a93c9a7b8a8fffb5a443ff";
	q.timestamp = "1410685589";
	q.nonce = "test";
	q.echostr = "5577245612";
	CHECK_EQ_INT(wx_verify_url(&oa, &q, 1410685600, echo, sizeof(echo), why), 200);
	CHECK_EQ_STR(echo, "5577245612");
	q.signature = "f21891de399b4e33a1a93c9a7b8a8fffb5a443fe";
	CHECK_EQ_INT(wx_verify_url(&oa, &q, 1410685600, echo, sizeof(echo), why), 403);
	CHECK_EQ_STR(why, "signature does not match");
	q.signature = "f21891de399b4e33a1a93c9a7b8a8fffb5a443ff";
	CHECK_EQ_INT(wx_verify_url(&oa, &q, 1410685589 + 301, echo, sizeof(echo), why), 403);
	CHECK(strstr(why, "refused as a replay") != NULL);
	q.echostr = NULL;
	CHECK_EQ_INT(wx_verify_url(&oa, &q, 1410685600, echo, sizeof(echo), why), 400);
	CHECK_EQ_STR(why, "echostr missing");

	memset(&q, 0, sizeof(q));
	q.msg_signature = "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3";
	q.timestamp = "1409659589";
	q.nonce = "263014780";
	q.echostr = "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==";
	CHECK_EQ_INT(wx_verify_url(&wc, &q, 1409659600, echo, sizeof(echo), why), 200);
	CHECK_EQ_STR(echo, "1616140317555161061");
	wc.receive_id = "wx0000000000000000";           /* another corp's echo */
	CHECK_EQ_INT(wx_verify_url(&wc, &q, 1409659600, echo, sizeof(echo), why), 400);
	CHECK_EQ_STR(why, "not for this AppID / CorpID");
}

TEST(wechat_callback_safe_mode_sample)
{
	wx_account_t a = account("spamtest", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "wx2c2769f8efd9abc2", 0);
	wx_query_t q = {0};
	char why[WX_WHY_MAX];
	const char *body = "<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName><Encrypt><![CDATA["
					   OA_ENCRYPT "]]></Encrypt></xml>";
	int enc = 0;

	q.timestamp = "1409735669";
	q.nonce = "1320562132";
	q.encrypt_type = "aes";
	q.signature = "ignored in aes mode";
	q.msg_signature = "5d197aaffba7e9b25a30732f161a50dee96bd5fa";
	CHECK_EQ_INT(wx_open_callback(&a, &q, body, strlen(body), 1409735670, &msg, &enc, why), 200);
	CHECK(enc);
	CHECK_EQ_STR(wx_xml_get(&msg, "MsgType"), "text");
	CHECK_EQ_STR(wx_xml_get(&msg, "Content"), "abcdteT");
	CHECK_EQ_STR(wx_xml_get(&msg, "MsgId"), "6054768590064713728");
	CHECK(wx_xml_get(&msg, "Encrypt") == NULL);     /* the inner message only */
	/* a forged msg_signature, a stale timestamp, no key, an account that is not this one */
	q.msg_signature = "5d197aaffba7e9b25a30732f161a50dee96bd5fb";
	CHECK_EQ_INT(wx_open_callback(&a, &q, body, strlen(body), 1409735670, &msg, &enc, why), 403);
	CHECK_EQ_STR(why, "msg_signature does not match");
	q.msg_signature = "5d197aaffba7e9b25a30732f161a50dee96bd5fa";
	CHECK_EQ_INT(wx_open_callback(&a, &q, body, strlen(body), 1409735669 + 3600, &msg, &enc, why), 403);
	a.receive_id = "wx0000000000000000";
	CHECK_EQ_INT(wx_open_callback(&a, &q, body, strlen(body), 1409735670, &msg, &enc, why), 400);
	a.has_key = 0;
	CHECK_EQ_INT(wx_open_callback(&a, &q, body, strlen(body), 1409735670, &msg, &enc, why), 403);
	CHECK_EQ_STR(why, "an encrypted callback, and this account has no EncodingAESKey");
}

TEST(wechat_callback_plaintext_mode)
{
	wx_account_t a = account("test", NULL, "wx0", 0);
	wx_query_t q = {0};
	char why[WX_WHY_MAX];
	const char *body = "<xml><FromUserName>o1</FromUserName><MsgType>text</MsgType><Content>hi</Content></xml>";
	int enc = 1;

	q.signature = "f21891de399b4e33a1a93c9a7b8a8fffb5a443ff";
	q.timestamp = "1410685589";
	q.nonce = "test";
	CHECK_EQ_INT(wx_open_callback(&a, &q, body, strlen(body), 1410685590, &msg, &enc, why), 200);
	CHECK(!enc);
	CHECK_EQ_STR(wx_xml_get(&msg, "Content"), "hi");
	CHECK_EQ_INT(wx_open_callback(&a, &q, "<xml><a>", 8, 1410685590, &msg, &enc, why), 400);
	q.encrypt_type = "rot13";
	CHECK_EQ_INT(wx_open_callback(&a, &q, body, strlen(body), 1410685590, &msg, &enc, why), 400);
	CHECK_EQ_STR(why, "encrypt_type must be aes or raw");
	q.encrypt_type = NULL;
	a.safe_only = 1;
	CHECK_EQ_INT(wx_open_callback(&a, &q, body, strlen(body), 1410685590, &msg, &enc, why), 403);
	CHECK_EQ_STR(why, "this account takes encrypted callbacks only");
	a.safe_only = 0;
	q.timestamp = "14106855x9";
	CHECK_EQ_INT(wx_open_callback(&a, &q, body, strlen(body), 1410685590, &msg, &enc, why), 400);
	CHECK_EQ_STR(why, "timestamp is not a number");
	q.timestamp = "1410685589";
	q.signature = NULL;
	CHECK_EQ_INT(wx_open_callback(&a, &q, body, strlen(body), 1410685590, &msg, &enc, why), 400);
	CHECK_EQ_STR(why, "signature missing");
}

UNIT_MAIN()
