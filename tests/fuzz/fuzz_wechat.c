/*
 * fuzz_wechat.c - libFuzzer on what reaches a WeChat callback URL from the network: the
 * body as XML, as an Encrypt value to decrypt and parse, and as a whole safe-mode callback
 * whose msg_signature is made to match (so the fuzzer gets past the signature check to the
 * decryption and the inner parse, where a forger with the token would be); whatever parses
 * is then mapped to what omniq stores (wechat_message.c), and the raw bytes made a body as
 * a WeCom message's text is. Any crash,
 * sanitizer report or hang is a failure; refusals are what is expected.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wechat_callback.h"
#include "wechat_message.h"

static wx_xml_t x;
static wx_inbound_t in;
static char text[WX_BODY_MAX + 1];
static char out[WX_XML_MAX + 1];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static wx_account_t a;
	static int ready;
	char why[WX_WHY_MAX], sig[WX_SIG_HEX], *body;
	wx_query_t q = {0};
	const char *enc;
	size_t n;
	int encrypted;

	if(!ready) {
		a.token = "spamtest";
		a.receive_id = "wx2c2769f8efd9abc2";
		a.replay_s = 300;
		a.has_key = wx_aes_key("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", a.key, why) == 0;
		ready = 1;
	}
	if(size > WX_XML_MAX)
		return 0;
	if(wx_xml_parse((const char *)data, size, &x, why) == 0)
		wx_message(&x, &in, why);
	if(wx_decrypt(a.key, (const char *)data, size, a.receive_id, out, sizeof(out), &n, why) == 0
			&& wx_xml_parse(out, n, &x, why) == 0)
		wx_message(&x, &in, why);
	/* the body as a safe-mode callback, signed as WeChat would sign it */
	if((body = malloc(size + 1)) == NULL)
		return 0;
	memcpy(body, data, size);
	body[size] = '\0';
	wx_body_text(text, "[x] ", body);
	q.timestamp = "1409735669";
	q.nonce = "1320562132";
	q.encrypt_type = "aes";
	if(wx_xml_parse(body, size, &x, why) == 0 && (enc = wx_xml_get(&x, "Encrypt")) != NULL
			&& wx_signature(a.token, q.timestamp, q.nonce, enc, sig) == 0) {
		q.msg_signature = sig;
		if(wx_open_callback(&a, &q, body, size, 1409735669, &x, &encrypted, why) == 200)
			wx_message(&x, &in, why);
	}
	free(body);
	return 0;
}
