/*
 * sms_kannel.c - see sms_kannel.h. Everything written goes through one bounded writer
 * (put, put_enc) that stops at the end of the caller's buffer and says so: a query that
 * does not fit is refused whole, never sent cut.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "sms_kannel.h"

#define TIME_DIGITS_MAX 18 /* fits a long long */
#define SIG_BYTES (SMS_KANNEL_SIG_HEX / 2)

static int fail(char *why, const char *text)
{
	if(why)
		snprintf(why, SMS_WHY_MAX, "%s", text);
	return -1;
}

/* The one argument called name: 0 with *v (NULL when absent), or -1 with why when it
 * comes twice. */
static int arg(const sms_pair_t *args, int n, const char *name, const sms_pair_t **v,
		char *why)
{
	char text[SMS_WHY_MAX];
	int i;

	*v = NULL;
	for(i = 0; i < n; i++) {
		if(strcmp(args[i].name, name) != 0)
			continue;
		if(*v) {
			snprintf(text, sizeof(text), "%s given twice", name);
			return fail(why, text);
		}
		*v = &args[i];
	}
	return 0;
}

/* An argument handed out as a C string: NULL when absent or empty; -1 with why when a
 * NUL inside it would hide the rest. */
static int text_arg(const sms_pair_t *args, int n, const char *name, const char **out,
		char *why)
{
	const sms_pair_t *v;
	char text[SMS_WHY_MAX];

	*out = NULL;
	if(arg(args, n, name, &v, why) < 0)
		return -1;
	if(v == NULL || v->value_len == 0)
		return 0;
	if(strlen(v->value) != v->value_len) {
		snprintf(text, sizeof(text), "a NUL in %s", name);
		return fail(why, text);
	}
	*out = v->value;
	return 0;
}

/* 1..max decimal digits and nothing else: the number, or -1 */
static long long number(const char *s, size_t len, int max)
{
	long long n = 0;
	size_t i;

	if(len == 0 || len > (size_t)max)
		return -1;
	for(i = 0; i < len; i++) {
		if(s[i] < '0' || s[i] > '9')
			return -1;
		n = n * 10 + (s[i] - '0');
	}
	return n;
}

int sms_kannel_mo(const sms_pair_t *args, int n, sms_kannel_mo_t *mo, char *why)
{
	const sms_pair_t *v;
	long long c;

	memset(mo, 0, sizeof(*mo));
	mo->time = -1;
	if(text_arg(args, n, "from", &mo->from, why) < 0)
		return -1;
	if(mo->from == NULL)
		return fail(why, "no from");
	if(text_arg(args, n, "to", &mo->to, why) < 0
			|| text_arg(args, n, "smsc", &mo->smsc, why) < 0
			|| text_arg(args, n, "id", &mo->id, why) < 0
			|| text_arg(args, n, "charset", &mo->charset, why) < 0)
		return -1;
	if(arg(args, n, "text", &v, why) < 0)
		return -1;
	if(v == NULL)
		return fail(why, "no text");
	mo->text = v->value;
	mo->text_len = v->value_len;
	if(arg(args, n, "time", &v, why) < 0)
		return -1;
	if(v && v->value_len) {
		if((mo->time = number(v->value, v->value_len, TIME_DIGITS_MAX)) < 0)
			return fail(why, "time is not a number (Unix seconds: %T)");
	}
	if(arg(args, n, "coding", &v, why) < 0)
		return -1;
	if(v && v->value_len) {
		c = number(v->value, v->value_len, 1);
		if(c < SMS_GSM7 || c > SMS_UCS2)
			return fail(why, "coding is not 0, 1 or 2");
		mo->coding = (sms_coding_t)c;
	}
	if(arg(args, n, "udh", &v, why) < 0)
		return -1;
	if(v && v->value_len) {
		if(v->value_len > SMS_KANNEL_UDH_MAX)
			return fail(why, "udh longer than 140 bytes");
		if((size_t)(unsigned char)v->value[0] + 1 != v->value_len)
			return fail(why, "udh's first byte (UDHL) does not count the rest");
		memcpy(mo->udh, v->value, v->value_len);
		mo->udh_len = v->value_len;
	}
	return 0;
}

int sms_kannel_dlr_state(const char *type, const char **state, char *why)
{
	char text[SMS_WHY_MAX];
	long long t;

	*state = NULL;
	if(type == NULL || (t = number(type, strlen(type), 2)) < 0)
		return fail(why, "DLR type is not a number");
	switch(t) {
		case SMS_KANNEL_DLR_DELIVERED:
			*state = "delivered";
			return 0;
		case SMS_KANNEL_DLR_FAILED:
		case SMS_KANNEL_DLR_SMSC_NACK:
			*state = "failed";
			return 0;
		case SMS_KANNEL_DLR_BUFFERED:
		case SMS_KANNEL_DLR_SMSC_ACK:
			*state = "sent";
			return 0;
	}
	snprintf(text, sizeof(text), "DLR type %lld is not one of 1, 2, 4, 8, 16", t);
	return fail(why, text);
}

/* hex of the first SIG_BYTES of HMAC-SHA256(secret, id), NUL-terminated: 0, or -1 */
static int dlr_sig(const char *secret, const char *id, char hex[SMS_KANNEL_SIG_HEX + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	size_t len = 0;
	int i;

	if(EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, secret, strlen(secret),
			   (const unsigned char *)id, strlen(id), md, sizeof(md), &len)
					== NULL
			|| len < SIG_BYTES)
		return -1;
	for(i = 0; i < SIG_BYTES; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	OPENSSL_cleanse(md, sizeof(md));
	return 0;
}

int sms_kannel_dlr(const sms_pair_t *args, int n, const char *secret, sms_kannel_dlr_t *d,
		char *why)
{
	char hex[SMS_KANNEL_SIG_HEX + 1];
	const char *sig, *type;

	memset(d, 0, sizeof(*d));
	if(text_arg(args, n, "id", &d->id, why) < 0 || text_arg(args, n, "sig", &sig, why) < 0
			|| text_arg(args, n, "type", &type, why) < 0
			|| text_arg(args, n, "reply", &d->reply, why) < 0
			|| text_arg(args, n, "fid", &d->fid, why) < 0)
		return -1;
	if(d->id == NULL)
		return fail(why, "no id");
	if(sig == NULL)
		return fail(why, "no sig");
	if(secret == NULL || *secret == '\0' || dlr_sig(secret, d->id, hex) < 0)
		return fail(why, "cannot compute the sig (no secret?)");
	if(strlen(sig) != SMS_KANNEL_SIG_HEX || CRYPTO_memcmp(sig, hex, SMS_KANNEL_SIG_HEX) != 0)
		return fail(why, "wrong sig");
	if(sms_kannel_dlr_state(type, &d->state, why) < 0)
		return -1;
	d->type = (int)number(type, strlen(type), 2);
	return 0;
}

unsigned sms_kannel_dlr_mask(int intermediate)
{
	unsigned final = SMS_KANNEL_DLR_DELIVERED | SMS_KANNEL_DLR_FAILED;

	return intermediate ? final | SMS_KANNEL_DLR_BUFFERED | SMS_KANNEL_DLR_SMSC_ACK
								  | SMS_KANNEL_DLR_SMSC_NACK
						: final;
}

/* The bounded writer: out of room once, out of room for good. */
typedef struct buf {
	char *p;
	size_t len, size;
	int full;
} buf_t;

static void put(buf_t *b, const char *s, size_t n)
{
	if(b->full || b->len + n + 1 > b->size) {
		b->full = 1;
		return;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void put_str(buf_t *b, const char *s)
{
	put(b, s, strlen(s));
}

static int unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
		   || c == '-' || c == '.' || c == '_' || c == '~';
}

/* s (n bytes) percent-encoded, upper-case hex */
static void put_enc(buf_t *b, const char *s, size_t n)
{
	static const char digits[] = "0123456789ABCDEF";
	char esc[3] = {'%', 0, 0};
	size_t i;

	for(i = 0; i < n && !b->full; i++) {
		if(unreserved((unsigned char)s[i])) {
			put(b, s + i, 1);
		} else {
			esc[1] = digits[(unsigned char)s[i] >> 4];
			esc[2] = digits[(unsigned char)s[i] & 15];
			put(b, esc, 3);
		}
	}
}

/* "&name=" + the value encoded (no '&' before the first) */
static void put_param(buf_t *b, const char *name, const char *value, size_t n)
{
	if(b->len)
		put(b, "&", 1);
	put_str(b, name);
	put(b, "=", 1);
	put_enc(b, value, n);
}

static int ascii_text(const char *s)
{
	for(; *s; s++)
		if((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return 0;
	return 1;
}

int sms_kannel_dlr_url(const char *base, const char *secret, const char *id, char *out,
		size_t size, char *why)
{
	buf_t b = {out, 0, size, 0};
	char hex[SMS_KANNEL_SIG_HEX + 1];
	size_t blen;

	if(size)
		out[0] = '\0';
	if(base == NULL || *base == '\0' || !ascii_text(base) || strchr(base, '%')
			|| strchr(base, ' ') || strchr(base, '#'))
		return fail(why, "base must be a URL without '%', '#', spaces or controls");
	if(secret == NULL || *secret == '\0')
		return fail(why, "no secret");
	if(id == NULL || *id == '\0' || !ascii_text(id))
		return fail(why, "id must be printable ASCII");
	if(dlr_sig(secret, id, hex) < 0)
		return fail(why, "HMAC failed");
	blen = strlen(base);
	put(&b, base, blen);
	if(strchr(base, '?') == NULL)
		put(&b, "?", 1);
	else if(base[blen - 1] != '?' && base[blen - 1] != '&')
		put(&b, "&", 1);
	put(&b, "id=", 3);
	put_enc(&b, id, strlen(id));
	put_str(&b, "&sig=");
	put_str(&b, hex);
	put_str(&b, "&type=%d&reply=%A&fid=%F");
	if(b.full) {
		if(size)
			out[0] = '\0';
		return fail(why, "no room for the dlr-url");
	}
	return 0;
}

int sms_kannel_sendsms(const sms_kannel_send_t *s, char *out, size_t size, char *why)
{
	buf_t b = {out, 0, size, 0};
	char num[16];

	if(size)
		out[0] = '\0';
	if(s->username == NULL || *s->username == '\0' || s->password == NULL)
		return fail(why, "no username or password");
	if(s->to == NULL || *s->to == '\0')
		return fail(why, "no to");
	if(s->text == NULL)
		return fail(why, "no text");
	if(s->coding != SMS_GSM7 && s->coding != SMS_UCS2)
		return fail(why, "coding is not 0 (GSM) or 2 (UCS-2)");
	if(s->dlr_mask > 31)
		return fail(why, "dlr_mask over 31");
	if(s->dlr_mask && (s->dlr_url == NULL || *s->dlr_url == '\0'))
		return fail(why, "dlr_mask without a dlr_url");
	put_param(&b, "username", s->username, strlen(s->username));
	put_param(&b, "password", s->password, strlen(s->password));
	if(s->from && *s->from)
		put_param(&b, "from", s->from, strlen(s->from));
	put_param(&b, "to", s->to, strlen(s->to));
	put_param(&b, "text", s->text, s->text_len);
	snprintf(num, sizeof(num), "%d", s->coding);
	put_param(&b, "coding", num, strlen(num));
	put_param(&b, "charset", "UTF-8", 5);
	if(s->smsc && *s->smsc)
		put_param(&b, "smsc", s->smsc, strlen(s->smsc));
	if(s->dlr_mask) {
		snprintf(num, sizeof(num), "%u", s->dlr_mask);
		put_param(&b, "dlr-mask", num, strlen(num));
		put_param(&b, "dlr-url", s->dlr_url, strlen(s->dlr_url));
	}
	if(b.full) {
		if(size)
			out[0] = '\0';
		return fail(why, "no room for the sendsms query");
	}
	return 0;
}
