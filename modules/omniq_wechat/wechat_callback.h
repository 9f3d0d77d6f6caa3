/*
 * wechat_callback.h - what WeChat's servers send an account's callback URL, checked and
 * opened: the GET that verifies the URL, and the POSTs in each mode. Pure (no Kamailio, no
 * Redis): the HTTP route hands the query and the body in and answers with the status.
 *
 *   Official Account, plaintext   ?signature&timestamp&nonce       body: the message
 *   Official Account, compatible  ...&encrypt_type=aes&msg_signature body: the message's
 *                                 fields and <Encrypt>
 *   Official Account, safe        as compatible, body: <Encrypt> only
 *   WeCom                         ?msg_signature&timestamp&nonce   body: <Encrypt>
 * With encrypt_type=aes (and always for WeCom) the message is the decrypted <Encrypt>,
 * checked with msg_signature; the plaintext fields of the compatible mode are not trusted.
 * A timestamp further than replay_s from now is refused (a replayed callback).
 */
#ifndef OMNIQ_WECHAT_CALLBACK_H
#define OMNIQ_WECHAT_CALLBACK_H

#include "wechat_crypto.h"
#include "wechat_xml.h"

typedef struct wx_account {
	const char *token;
	const char *receive_id;        /* the AppID, or for WeCom the CorpID */
	unsigned char key[WX_KEY_LEN];
	int has_key;                   /* an EncodingAESKey was given (safe/compatible, WeCom) */
	int wecom;
	int safe_only;                 /* plaintext callbacks refused (the account runs safe mode) */
	int replay_s;                  /* how far a timestamp may be from now */
} wx_account_t;

typedef struct wx_query {
	const char *signature, *msg_signature, *timestamp, *nonce, *echostr, *encrypt_type;
} wx_query_t;

/* The URL verification (GET): 200 with the text to answer in echo (echostr as it came, or
 * for WeCom decrypted), else 403 (a signature or timestamp that does not check out) or 400
 * (parameters missing or malformed), with why. */
int wx_verify_url(const wx_account_t *a, const wx_query_t *q, long long now, char *echo,
		size_t size, char *why);

/* A callback (POST): 200 with the message in msg (and *encrypted whether the answer must be
 * encrypted too), else 403 or 400 with why. */
int wx_open_callback(const wx_account_t *a, const wx_query_t *q, const char *body, size_t len,
		long long now, wx_xml_t *msg, int *encrypted, char *why);

#endif
