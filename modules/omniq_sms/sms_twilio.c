/*
 * sms_twilio.c - see sms_twilio.h. The body is decoded once, into the caller's scratch
 * buffer, with every limit checked as the bytes are written; the signature is computed
 * over those decoded bytes, so what is verified is exactly what the mapping then reads.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "omniq/omniq_urlenc.h"

#include "sms_twilio.h"

#define SHA1_LEN 20
#define COUNT_DIGITS_MAX 4 /* NumMedia, NumSegments: small numbers */
#define ERROR_CODE_DIGITS_MAX 10

static int fail(char *why, const char *text)
{
	if(why)
		snprintf(why, SMS_WHY_MAX, "%s", text);
	return -1;
}

/* Decodes s..end into out (at most max bytes, room checked against *left), NUL-terminated.
 * Its length, or -1 with why; -2 when it is longer than max. */
static long decode(const char *s, const char *end, char *out, size_t *left, size_t max,
		char *why)
{
	size_t n = 0;
	int hi, lo;

	if(*left == 0)
		return fail(why, "no room to decode the body");
	for(; s < end; s++) {
		if(n == max)
			return -2;
		if(n + 1 >= *left)
			return fail(why, "no room to decode the body");
		if(*s == '+') {
			out[n++] = ' ';
		} else if(*s == '%') {
			if(end - s < 3 || (hi = omniq_hex_digit(s[1])) < 0 || (lo = omniq_hex_digit(s[2])) < 0)
				return fail(why, "malformed %-escape");
			out[n++] = (char)(hi << 4 | lo);
			s += 2;
		} else {
			out[n++] = *s;
		}
	}
	out[n] = '\0';
	*left -= n + 1;
	return (long)n;
}

int sms_form_parse(const char *body, size_t len, char *scratch, size_t size, sms_form_t *f,
		char *why)
{
	const char *p = body, *end = body + len, *amp, *eq;
	size_t left = size;
	char *out = scratch;
	long n;

	f->n = 0;
	if(body == NULL && len > 0)
		return fail(why, "no body");
	while(p < end) {
		amp = memchr(p, '&', (size_t)(end - p));
		if(amp == NULL)
			amp = end;
		if(amp == p) { /* "&&", a leading or trailing '&' */
			p++;
			continue;
		}
		if(f->n == SMS_FORM_PAIRS)
			return fail(why, "more than 64 parameters");
		eq = memchr(p, '=', (size_t)(amp - p));
		if(eq == NULL)
			eq = amp;
		if(eq == p)
			return fail(why, "a parameter without a name");
		n = decode(p, eq, out, &left, SMS_FORM_NAME_MAX, why);
		if(n == -2)
			return fail(why, "a parameter name longer than 64 bytes");
		if(n < 0)
			return -1;
		if(strlen(out) != (size_t)n)
			return fail(why, "a NUL in a parameter name");
		f->p[f->n].name = out;
		out += n + 1;
		if(eq == amp) {
			f->p[f->n].value = out - 1; /* the name's NUL: "" */
			f->p[f->n].value_len = 0;
		} else {
			n = decode(eq + 1, amp, out, &left, SMS_FORM_VALUE_MAX, why);
			if(n == -2)
				return fail(why, "a parameter value longer than 8192 bytes");
			if(n < 0)
				return -1;
			f->p[f->n].value = out;
			f->p[f->n].value_len = (size_t)n;
			out += n + 1;
		}
		f->n++;
		p = amp;
	}
	return 0;
}

const sms_pair_t *sms_form_get(const sms_form_t *f, const char *name)
{
	int i;

	for(i = 0; i < f->n; i++)
		if(strcmp(f->p[i].name, name) == 0)
			return &f->p[i];
	return NULL;
}

int sms_twilio_signature(const char *token, const char *url, const sms_form_t *f,
		char sig[SMS_TWILIO_SIG_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	char digest[] = "SHA1";
	OSSL_PARAM params[2];
	EVP_MAC *mac = NULL;
	EVP_MAC_CTX *ctx = NULL;
	int order[SMS_FORM_PAIRS], i, j, t, ok;
	size_t md_len = 0;

	if(token == NULL || *token == '\0' || url == NULL || f == NULL || f->n < 0
			|| f->n > SMS_FORM_PAIRS)
		return -1;
	/* by name in byte order; insertion sort, so equal names keep their order */
	for(i = 0; i < f->n; i++) {
		t = i;
		for(j = i; j > 0 && strcmp(f->p[order[j - 1]].name, f->p[t].name) > 0; j--)
			order[j] = order[j - 1];
		order[j] = t;
	}
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	ok = (mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) != NULL
		 && (ctx = EVP_MAC_CTX_new(mac)) != NULL
		 && EVP_MAC_init(ctx, (const unsigned char *)token, strlen(token), params) == 1
		 && EVP_MAC_update(ctx, (const unsigned char *)url, strlen(url)) == 1;
	for(i = 0; ok && i < f->n; i++)
		ok = EVP_MAC_update(ctx, (const unsigned char *)f->p[order[i]].name,
					 strlen(f->p[order[i]].name)) == 1
			 && EVP_MAC_update(ctx, (const unsigned char *)f->p[order[i]].value,
						f->p[order[i]].value_len) == 1;
	ok = ok && EVP_MAC_final(ctx, md, &md_len, sizeof(md)) == 1 && md_len == SHA1_LEN;
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	if(!ok)
		return -1;
	EVP_EncodeBlock((unsigned char *)sig, md, SHA1_LEN);
	return 0;
}

int sms_twilio_verify(const char *token, const char *url, const sms_form_t *f,
		const char *given)
{
	char sig[SMS_TWILIO_SIG_LEN + 1];

	if(given == NULL || strlen(given) != SMS_TWILIO_SIG_LEN)
		return 0;
	if(sms_twilio_signature(token, url, f, sig) < 0)
		return 0;
	return CRYPTO_memcmp(given, sig, SMS_TWILIO_SIG_LEN) == 0;
}

/* The one parameter called name: 0 with *v (NULL when absent), or -1 with why when it
 * comes twice or holds a NUL (the C string handed out would hide the rest). */
static int field(const sms_form_t *f, const char *name, const sms_pair_t **v, char *why)
{
	char text[SMS_WHY_MAX];
	int i;

	*v = NULL;
	for(i = 0; i < f->n; i++) {
		if(strcmp(f->p[i].name, name) != 0)
			continue;
		if(*v) {
			snprintf(text, sizeof(text), "%s given twice", name);
			return fail(why, text);
		}
		*v = &f->p[i];
	}
	if(*v && strlen((*v)->value) != (*v)->value_len) {
		snprintf(text, sizeof(text), "a NUL in %s", name);
		return fail(why, text);
	}
	return 0;
}

static int required(const sms_form_t *f, const char *name, const char **out, char *why)
{
	const sms_pair_t *v;
	char text[SMS_WHY_MAX];

	if(field(f, name, &v, why) < 0)
		return -1;
	if(v == NULL || v->value_len == 0) {
		snprintf(text, sizeof(text), "no %s", name);
		return fail(why, text);
	}
	*out = v->value;
	return 0;
}

/* 1..max decimal digits, nothing else: the number, or -1 */
static long number(const char *s, int max)
{
	long n = 0;
	int i;

	for(i = 0; s[i] >= '0' && s[i] <= '9'; i++) {
		if(i == max)
			return -1;
		n = n * 10 + (s[i] - '0');
	}
	return i > 0 && s[i] == '\0' ? n : -1;
}

int sms_twilio_message(const sms_form_t *f, sms_twilio_msg_t *m, char *why)
{
	const sms_pair_t *v;
	char name[32], text[SMS_WHY_MAX];
	long n;
	int i;

	memset(m, 0, sizeof(*m));
	if(required(f, "MessageSid", &m->sid, why) < 0 || required(f, "From", &m->from, why) < 0
			|| required(f, "To", &m->to, why) < 0)
		return -1;
	if(field(f, "Body", &v, why) < 0)
		return -1;
	m->body = v ? v->value : "";
	m->body_len = v ? v->value_len : 0;
	if(field(f, "NumMedia", &v, why) < 0)
		return -1;
	if(v) {
		n = number(v->value, COUNT_DIGITS_MAX);
		if(n < 0 || n > SMS_TWILIO_MEDIA_MAX)
			return fail(why, "NumMedia is not a number 0..10");
		m->num_media = (int)n;
	}
	if(field(f, "NumSegments", &v, why) < 0)
		return -1;
	if(v) {
		if((n = number(v->value, COUNT_DIGITS_MAX)) < 0)
			return fail(why, "NumSegments is not a number");
		m->num_segments = (int)n;
	}
	for(i = 0; i < m->num_media; i++) {
		snprintf(name, sizeof(name), "MediaUrl%d", i);
		if(field(f, name, &v, why) < 0)
			return -1;
		if(v == NULL || v->value_len == 0) {
			snprintf(text, sizeof(text), "no %s (NumMedia is %d)", name, m->num_media);
			return fail(why, text);
		}
		m->media_url[i] = v->value;
		snprintf(name, sizeof(name), "MediaContentType%d", i);
		if(field(f, name, &v, why) < 0)
			return -1;
		m->media_type[i] = v && v->value_len ? v->value : NULL;
	}
	return 0;
}

static const struct {
	const char *status, *state;
} states[] = {
		{"accepted", "sent"},
		{"scheduled", "sent"},
		{"queued", "sent"},
		{"sending", "sent"},
		{"sent", "sent"},
		{"delivered", "delivered"},
		{"read", "delivered"},
		{"undelivered", "failed"},
		{"failed", "failed"},
		{"canceled", "failed"},
		{"receiving", "ignore"},
		{"received", "ignore"},
};

int sms_twilio_status(const sms_form_t *f, sms_twilio_status_t *s, char *why)
{
	const sms_pair_t *v;
	size_t i;

	memset(s, 0, sizeof(*s));
	if(required(f, "MessageSid", &s->sid, why) < 0
			|| required(f, "MessageStatus", &s->status, why) < 0)
		return -1;
	for(i = 0; i < sizeof(states) / sizeof(states[0]); i++)
		if(strcmp(s->status, states[i].status) == 0)
			s->state = states[i].state;
	if(s->state == NULL)
		return fail(why, "unknown MessageStatus");
	if(field(f, "ErrorCode", &v, why) < 0)
		return -1;
	if(v && v->value_len) {
		if(number(v->value, ERROR_CODE_DIGITS_MAX) < 0)
			return fail(why, "ErrorCode is not a number");
		s->error_code = v->value;
	}
	return 0;
}
