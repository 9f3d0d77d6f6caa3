/*
 * wechat_crypto.h - WeChat's message signing and encryption (WXBizMsgCrypt), for the
 * Official Account (公众号) and WeCom (企业微信) server callbacks and their replies.
 *
 * Pure C over OpenSSL (SHA-1, AES-256-CBC, Base64): nothing here talks to Kamailio or
 * Redis, so the unit tests run it against WeChat's published vectors as it is.
 *
 *   signature      lower-case hex SHA-1 of the sorted, concatenated token, timestamp, nonce
 *                  (and, for msg_signature, the Encrypt text)
 *   key            Base64(EncodingAESKey + "="): 43 characters give exactly 32 bytes
 *   Encrypt        Base64(AES-256-CBC(key, IV = key[0..15], PKCS#7 to 32-byte blocks,
 *                  16 random bytes + 4-byte big-endian length + message + receive id))
 * The receive id is the AppID of an Official Account, the CorpID of WeCom.
 */
#ifndef OMNIQ_WECHAT_CRYPTO_H
#define OMNIQ_WECHAT_CRYPTO_H

#include <stddef.h>

#define WX_KEY_LEN 32
#define WX_AESKEY_CHARS 43       /* an EncodingAESKey */
#define WX_SIG_HEX 41            /* 40 hex digits and a NUL */
#define WX_WHY_MAX 96

/* signature of token, timestamp, nonce and, when not NULL, encrypt, into hex (41 bytes).
 * 0, or -1 (too long, or OpenSSL failed). */
int wx_signature(const char *token, const char *timestamp, const char *nonce,
		const char *encrypt, char hex[WX_SIG_HEX]);

/* Whether the hex signature a callback carries equals the one computed (constant time over
 * its 40 digits; any other length is not equal). */
int wx_signature_ok(const char *given, const char computed[WX_SIG_HEX]);

/* The AES key of an EncodingAESKey of exactly 43 Base64 characters: 0, or -1 with why. */
int wx_aes_key(const char *encoding_aes_key, unsigned char key[WX_KEY_LEN], char *why);

/* Decrypts an Encrypt value (b64, b64_len bytes) and checks what it holds: the message
 * into out (NUL-terminated; its length in *msg_len), which must fit out_size - 1 bytes,
 * and the receive id that follows it must be receive_id. 0, or -1 with why (bad Base64, a
 * length that is no multiple of the block, bad padding, a length field past the end, the
 * wrong receive id, no room in out). */
int wx_decrypt(const unsigned char key[WX_KEY_LEN], const char *b64, size_t b64_len,
		const char *receive_id, char *out, size_t out_size, size_t *msg_len, char *why);

/* Encrypts msg for a reply: random16 the 16 random bytes (the caller's: tests pass fixed
 * ones), the Base64 result NUL-terminated into out. 0, or -1 with why (out too small). */
int wx_encrypt(const unsigned char key[WX_KEY_LEN], const unsigned char random16[16],
		const char *msg, size_t msg_len, const char *receive_id, char *out,
		size_t out_size, char *why);

#endif
