/*
 * wechat_callback.c - see wechat_callback.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wechat_callback.h"

#define WHY(...) snprintf(why, WX_WHY_MAX, __VA_ARGS__)

/* 0 when the timestamp is digits within replay_s of now, else the status with why */
static int fresh(const wx_account_t *a, const char *ts, long long now, char *why)
{
	char *end;
	long long t;

	if(ts == NULL || *ts == '\0' || strlen(ts) > 12) {
		WHY("timestamp missing");
		return 400;
	}
	t = strtoll(ts, &end, 10);
	if(*end != '\0' || t < 0) {
		WHY("timestamp is not a number");
		return 400;
	}
	if(t > now + a->replay_s || t < now - a->replay_s) {
		WHY("timestamp %lld is more than %d s from now: refused as a replay", t, a->replay_s);
		return 403;
	}
	return 0;
}

/* 0 when sig is the signature of token, timestamp, nonce (and extra), else 403/400 */
static int signed_ok(const wx_account_t *a, const wx_query_t *q, const char *sig,
		const char *extra, char *why)
{
	char hex[WX_SIG_HEX];

	if(sig == NULL || q->nonce == NULL) {
		WHY("%s missing", sig ? "nonce" : extra ? "msg_signature" : "signature");
		return 400;
	}
	if(wx_signature(a->token, q->timestamp, q->nonce, extra, hex) < 0) {
		WHY("parameters too long");
		return 400;
	}
	if(!wx_signature_ok(sig, hex)) {
		WHY("%s does not match", extra ? "msg_signature" : "signature");
		return 403;
	}
	return 0;
}

int wx_verify_url(const wx_account_t *a, const wx_query_t *q, long long now, char *echo,
		size_t size, char *why)
{
	size_t n;
	int rc;

	if(q->echostr == NULL || *q->echostr == '\0') {
		WHY("echostr missing");
		return 400;
	}
	if((rc = fresh(a, q->timestamp, now, why)) != 0)
		return rc;
	if(a->wecom) {
		if(!a->has_key) {
			WHY("this WeCom account has no EncodingAESKey");
			return 403;
		}
		if((rc = signed_ok(a, q, q->msg_signature, q->echostr, why)) != 0)
			return rc;
		if(wx_decrypt(a->key, q->echostr, strlen(q->echostr), a->receive_id, echo, size, &n, why)
				< 0)
			return 400;
		return 200;
	}
	if((rc = signed_ok(a, q, q->signature, NULL, why)) != 0)
		return rc;
	if(strlen(q->echostr) >= size) {
		WHY("echostr too long");
		return 400;
	}
	memcpy(echo, q->echostr, strlen(q->echostr) + 1);
	return 200;
}

int wx_open_callback(const wx_account_t *a, const wx_query_t *q, const char *body, size_t len,
		long long now, wx_xml_t *msg, int *encrypted, char *why)
{
	char *plain;
	const char *enc;
	char xwhy[WX_XML_WHY];
	size_t n;
	int rc, aes = a->wecom || (q->encrypt_type && !strcmp(q->encrypt_type, "aes"));

	*encrypted = aes;
	if((rc = fresh(a, q->timestamp, now, why)) != 0)
		return rc;
	if(q->encrypt_type && strcmp(q->encrypt_type, "aes") && strcmp(q->encrypt_type, "raw")) {
		WHY("encrypt_type must be aes or raw");
		return 400;
	}
	if(!aes) {
		if(a->safe_only) {
			WHY("this account takes encrypted callbacks only");
			return 403;
		}
		if((rc = signed_ok(a, q, q->signature, NULL, why)) != 0)
			return rc;
		if(wx_xml_parse(body, len, msg, xwhy) < 0) {
			WHY("%s", xwhy);
			return 400;
		}
		return 200;
	}
	if(!a->has_key) {
		WHY("an encrypted callback, and this account has no EncodingAESKey");
		return 403;
	}
	/* the outer XML only carries Encrypt (and, compatible, untrusted plaintext fields) */
	if(wx_xml_parse(body, len, msg, xwhy) < 0) {
		WHY("%s", xwhy);
		return 400;
	}
	if((enc = wx_xml_get(msg, "Encrypt")) == NULL || *enc == '\0') {
		WHY("no Encrypt in an encrypted callback");
		return 400;
	}
	if((rc = signed_ok(a, q, q->msg_signature, enc, why)) != 0)
		return rc;
	if((plain = malloc(WX_XML_MAX + 1)) == NULL) {
		WHY("out of memory");
		return 500;
	}
	/* msg keeps copies: the outer XML's Encrypt is not read again once decrypted */
	rc = wx_decrypt(a->key, enc, strlen(enc), a->receive_id, plain, WX_XML_MAX + 1, &n, why) < 0
				 ? 400
				 : wx_xml_parse(plain, n, msg, xwhy) < 0 ? (WHY("inside Encrypt: %.70s", xwhy), 400)
													   : 200;
	free(plain);
	return rc;
}
