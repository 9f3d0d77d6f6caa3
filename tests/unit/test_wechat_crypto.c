/*
 * test_wechat_crypto.c - WXBizMsgCrypt as WeChat publishes it: the documentation's
 * vectors (Official Account, WeCom) and what must be refused.
 */
#include "unit.h"
#include "wechat_crypto.h"
#include "wechat_vectors.h"

#define DOC_ENCRYPT                                                                            \
	"D7yzvUNAL930rd28wf21s4hvXhz0L6Uit/p2Di6C5DHyYGpEgdBRnKjBec34JwoQXicwaZC7fOVihW80F4VtsdvE//" \
	"1vr7oAbqjDv8KenVp+ajKYpJnyQ4zMRhIC+a31fCVOMC03FfzV/QuC94kBP55a+Za3sJgvAn+ZbsNqZI5DkyuzkhQN" \
	"8OBqCzFhizGmy0xpM0MEA4agpvE+RuNO1rhHTtuJB5yltw1FiYzecSXJ+y/D2r81VkRn2eYjh2ltsoyfbDR7Is6ookX" \
	"IFxTfyeNyeHxMeT4KN5WpCDmSbTcUYrbBUlkGLJ9n/rU8YOywma6G7aTb7KZKOqCxgfoUlYEZPk4FUL/TK7ShriFDMV" \
	"CLyjQJ15Ob++agDWtcxhfUfe6HIoIpRW8mKNBQiY/Jd1svvuskA1wLef1RTtzKfMpagSCX/laZINmdnX4zrF6kIaR9P" \
	"4xQrWXbsTFHTYe0Mg=="
#define DOC_REPLY_ENCRYPT                                                                       \
	"hE8R6mGXHkJJjU72KxzKUd1GEkKJaEZq7vRL8XgK3o+00k8JGq6+pZJUIlTSyhsX+bxIBQ72g3GyvDdIZcr6+3HAZbSv" \
	"PT9t/o11MI7d6WELwqrGd7jMnV0zv3Zc9Nq7"
static char msg[8192];

TEST(wechat_plain_signature)
{
	char hex[WX_SIG_HEX];
	CHECK_EQ_INT(wx_signature("test", "1410685589", "test", NULL, hex), 0);
	CHECK_EQ_STR(hex, "f21891de399b4e33a1a93c9a7b8a8fffb5a443ff");
	CHECK_EQ_INT(wx_signature("AAAAA", "1715943329", "1590219412", NULL, hex), 0);
	CHECK_EQ_STR(hex, "cc0c594499c1634947d5b502f158ee518947db27");
	CHECK(wx_signature_ok("cc0c594499c1634947d5b502f158ee518947db27", hex));
	CHECK(!wx_signature_ok("cc0c594499c1634947d5b502f158ee518947db28", hex));
	CHECK(!wx_signature_ok("CC0C594499C1634947D5B502F158EE518947DB27", hex));
	CHECK(!wx_signature_ok("cc0c594499c1634947d5b502f158ee518947db2", hex));
	CHECK(!wx_signature_ok("", hex));
	CHECK(!wx_signature_ok(NULL, hex));
}

TEST(wechat_doc_example_decrypts_and_encrypts)
{
	unsigned char key[WX_KEY_LEN];
	char hex[WX_SIG_HEX], why[WX_WHY_MAX], out[512];
	size_t n = 0;
	const char *reply = "<xml><demo_resp>[CDATA[good luck]]</demo_resp></xml>";

	CHECK_EQ_INT(wx_aes_key("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", key, why), 0);
	CHECK_EQ_INT(wx_signature("AAAAA", "1715943329", "1590219412", DOC_ENCRYPT, hex), 0);
	CHECK_EQ_STR(hex, "6c12a4205838198b8fa631b3220723bb07f1015c");
	CHECK_EQ_INT(wx_decrypt(key, DOC_ENCRYPT, strlen(DOC_ENCRYPT), "wx134c8103faa5a59e", msg,
						 sizeof(msg), &n, why),
			0);
	CHECK_EQ_INT((int)n, 292);
	CHECK(strstr(msg, "debug_demo") != NULL);
	CHECK(strstr(msg, "o9AgO5Kd5ggOC-bXrbNODIiE3bGY") != NULL);
	CHECK(strstr(msg, "gh_97417a04a28d") != NULL);
	CHECK_EQ_INT(wx_encrypt(key, (const unsigned char *)"999951349e8ee746", reply, strlen(reply),
						 "wx134c8103faa5a59e", out, sizeof(out), why),
			0);
	CHECK_EQ_STR(out, DOC_REPLY_ENCRYPT);
	CHECK_EQ_INT(wx_signature("AAAAA", "1713424427", "415670741", out, hex), 0);
	CHECK_EQ_STR(hex, "03e0812039325c2712ef5f0f980fd14c70d6e307");
}

TEST(wechat_official_account_sample)
{
	unsigned char key[WX_KEY_LEN];
	char hex[WX_SIG_HEX], why[WX_WHY_MAX];
	size_t n = 0;

	CHECK_EQ_INT(wx_aes_key("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", key, why), 0);
	CHECK_EQ_INT(wx_signature("spamtest", "1409735669", "1320562132", OA_ENCRYPT, hex), 0);
	CHECK_EQ_STR(hex, "5d197aaffba7e9b25a30732f161a50dee96bd5fa");
	CHECK_EQ_INT(wx_decrypt(key, OA_ENCRYPT, strlen(OA_ENCRYPT), "wx2c2769f8efd9abc2", msg,
						 sizeof(msg), &n, why),
			0);
	CHECK_EQ_INT((int)n, 280);
	CHECK(strstr(msg, "<![CDATA[abcdteT]]>") != NULL);
	CHECK(strstr(msg, "<MsgId>6054768590064713728</MsgId>") != NULL);
}

TEST(wechat_wecom_url_verification_sample)
{
	const char *echo = "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==";
	unsigned char key[WX_KEY_LEN];
	char hex[WX_SIG_HEX], why[WX_WHY_MAX];
	size_t n = 0;

	CHECK_EQ_INT(wx_aes_key("jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", key, why), 0);
	CHECK_EQ_INT(wx_signature("QDG6eK", "1409659589", "263014780", echo, hex), 0);
	CHECK_EQ_STR(hex, "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3");
	CHECK_EQ_INT(wx_decrypt(key, echo, strlen(echo), "wx5823bf96d3bd56c7", msg, sizeof(msg), &n,
						 why),
			0);
	CHECK_EQ_STR(msg, "1616140317555161061");
}

TEST(wechat_refusals_say_why)
{
	unsigned char key[WX_KEY_LEN], other[WX_KEY_LEN];
	char why[WX_WHY_MAX], bad[sizeof(OA_ENCRYPT)], small[8];
	size_t n = 0;

	CHECK_EQ_INT(wx_aes_key("tooshort", key, why), -1);
	CHECK_EQ_STR(why, "EncodingAESKey must be 43 characters");
	CHECK_EQ_INT(wx_aes_key("abcdefghijklmnopqrstuvwxyz0123456789ABCDE!G", key, why), -1);
	CHECK_EQ_STR(why, "EncodingAESKey is not Base64 of 32 bytes");
	CHECK_EQ_INT(wx_aes_key(NULL, key, why), -1);
	CHECK_EQ_INT(wx_aes_key("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", key, why), 0);
	/* the wrong AppID */
	CHECK_EQ_INT(wx_decrypt(key, OA_ENCRYPT, strlen(OA_ENCRYPT), "wx0000000000000000", msg,
						 sizeof(msg), &n, why),
			-1);
	CHECK_EQ_STR(why, "not for this AppID / CorpID");
	/* another key: the padding does not check out (or, rarely, the length) */
	CHECK_EQ_INT(wx_aes_key("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", other, why), 0);
	CHECK_EQ_INT(wx_decrypt(other, OA_ENCRYPT, strlen(OA_ENCRYPT), "wx2c2769f8efd9abc2", msg,
						 sizeof(msg), &n, why),
			-1);
	/* truncated Base64, a character outside the alphabet, not whole blocks */
	CHECK_EQ_INT(wx_decrypt(key, OA_ENCRYPT, strlen(OA_ENCRYPT) - 3, "wx2c2769f8efd9abc2", msg,
						 sizeof(msg), &n, why),
			-1);
	CHECK_EQ_STR(why, "Encrypt is not Base64");
	memcpy(bad, OA_ENCRYPT, sizeof(OA_ENCRYPT));
	bad[10] = '*';
	CHECK_EQ_INT(wx_decrypt(key, bad, strlen(bad), "wx2c2769f8efd9abc2", msg, sizeof(msg), &n, why),
			-1);
	CHECK_EQ_STR(why, "Encrypt is not Base64");
	CHECK_EQ_INT(wx_decrypt(key, "QUJDRA==", 8, "x", msg, sizeof(msg), &n, why), -1);
	CHECK_EQ_STR(why, "Encrypt is not a whole number of 32-byte blocks");
	CHECK_EQ_INT(wx_decrypt(key, "", 0, "x", msg, sizeof(msg), &n, why), -1);
	/* no room for the message */
	CHECK_EQ_INT(wx_decrypt(key, OA_ENCRYPT, strlen(OA_ENCRYPT), "wx2c2769f8efd9abc2", small,
						 sizeof(small), &n, why),
			-1);
	CHECK_EQ_STR(why, "message too long");
	CHECK_EQ_INT(wx_encrypt(key, (const unsigned char *)"0123456789abcdef", "hi", 2, "id", small,
						 sizeof(small), why),
			-1);
	CHECK_EQ_STR(why, "no room for the Encrypt text");
}

TEST(wechat_round_trip_every_length_of_the_last_block)
{
	unsigned char key[WX_KEY_LEN];
	char why[WX_WHY_MAX], enc[512], text[80];
	size_t n, len;
	int all = 1;

	CHECK_EQ_INT(wx_aes_key("jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", key, why), 0);
	for(len = 0; len < sizeof(text); len++) { /* the padding from 1 to 32 bytes */
		memset(text, 'a' + (int)(len % 26), len);
		if(wx_encrypt(key, (const unsigned char *)"0123456789abcdef", text, len, "corp", enc,
				   sizeof(enc), why)
						< 0
				|| wx_decrypt(key, enc, strlen(enc), "corp", msg, sizeof(msg), &n, why) < 0
				|| n != len || memcmp(msg, text, len))
			all = 0;
	}
	CHECK(all);
}

UNIT_MAIN()
