/*
 * sms_number.c - see sms_number.h.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sms_number.h"

#define E164_DIGITS 15
#define SENDER_ID_MAX 11

static int sep(char c)
{
	return c == ' ' || c == '-' || c == '.' || c == '(' || c == ')' || c == '\t';
}

static int fail(char *why, size_t wsize, const char *what)
{
	snprintf(why, wsize, "%s", what);
	return -1;
}

int sms_number(const char *in, size_t len, const char *country, char *out, size_t size,
		char *why, size_t wsize)
{
	char d[E164_DIGITS + 4];
	size_t i, n = 0, letters = 0;
	int plus = 0, any = 0;

	for(i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];
		if(c < ' ' || c == 0x7f)
			return fail(why, wsize, "the number holds a control character");
		if(c >= 0x80 || (c != '+' && !sep((char)c) && !(c >= '0' && c <= '9')))
			letters++;
		if(!sep((char)c))
			any = 1;
	}
	if(!any)
		return fail(why, wsize, "no number");
	if(letters) { /* an alphanumeric sender id, as it came (trimmed) */
		while(len && sep(in[len - 1]))
			len--;
		while(len && sep(in[0]))
			in++, len--;
		for(i = 0; i < len; i++)
			if((unsigned char)in[i] >= 0x80 || !(in[i] == ' ' || in[i] == '-' || in[i] == '.'
						|| in[i] == '_' || (in[i] >= '0' && in[i] <= '9')
						|| (in[i] >= 'a' && in[i] <= 'z') || (in[i] >= 'A' && in[i] <= 'Z')))
				return fail(why, wsize, "a sender id holds letters, digits, blank, - . _ only");
		if(len > SENDER_ID_MAX)
			return fail(why, wsize, "a sender id is at most 11 characters");
		if(len + 1 > size)
			return fail(why, wsize, "no room for the number");
		memcpy(out, in, len);
		out[len] = '\0';
		return 0;
	}
	for(i = 0; i < len; i++) {
		if(sep(in[i]))
			continue;
		if(in[i] == '+') {
			if(plus || n)
				return fail(why, wsize, "a '+' inside the number");
			plus = 1;
			continue;
		}
		if(n == sizeof(d) - 1)
			return fail(why, wsize, "more than 15 digits");
		d[n++] = in[i];
	}
	d[n] = '\0';
	if(n == 0)
		return fail(why, wsize, "no digits");
	if(!plus && n > 2 && d[0] == '0' && d[1] == '0') { /* 00 <country> ... */
		memmove(d, d + 2, n - 1);
		n -= 2;
	} else if(!plus && d[0] == '0' && country && country[0]) { /* trunk 0 <national> */
		size_t c = strlen(country);
		if(c + n - 1 >= sizeof(d))
			return fail(why, wsize, "more than 15 digits");
		memmove(d + c, d + 1, n);
		memcpy(d, country, c);
		n += c - 1;
	}
	if(n > E164_DIGITS)
		return fail(why, wsize, "more than 15 digits");
	if(n + 2 > size)
		return fail(why, wsize, "no room for the number");
	out[0] = '+';
	memcpy(out + 1, d, n + 1);
	return 0;
}

void sms_number_key(const char *e164, char *out, size_t size)
{
	size_t n = 0;

	for(; *e164 && n + 1 < size; e164++)
		if(*e164 != '+')
			out[n++] = (*e164 == ' ') ? '_' : *e164;
	out[n] = '\0';
}

static const char *const stop_words[] = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END",
		"QUIT", "TD", "\xe9\x80\x80\xe8\xae\xa2" /* 退订 */,
		"\xe9\x80\x80\xe8\xa8\x82" /* 退訂 */,
		"\xe5\x8f\x96\xe6\xb6\x88\xe8\xae\xa2\xe9\x98\x85" /* 取消订阅 */, NULL};
static const char *const start_words[] = {"START", "UNSTOP",
		"\xe8\xae\xa2\xe9\x98\x85" /* 订阅 */,
		"\xe6\x81\xa2\xe5\xa4\x8d\xe8\xae\xa2\xe9\x98\x85" /* 恢复订阅 */, NULL};

static int in_list(const char *s, size_t len, const char *const *list)
{
	for(; *list; list++)
		if(strlen(*list) == len && !strncasecmp(s, *list, len))
			return 1;
	return 0;
}

int sms_optout_keyword(const char *s, size_t len)
{
	static const char *const tails[] = {".", "!", "\xe3\x80\x82" /* 。 */,
			"\xef\xbc\x81" /* ！ */, NULL};
	const char *const *t;
	int again = 1;

	while(again) {
		again = 0;
		while(len && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r'
							 || s[len - 1] == '\n'))
			len--, again = 1;
		while(len && (s[0] == ' ' || s[0] == '\t' || s[0] == '\r' || s[0] == '\n'))
			s++, len--, again = 1;
		for(t = tails; *t; t++) {
			size_t n = strlen(*t);
			if(len > n && !memcmp(s + len - n, *t, n)) {
				len -= n, again = 1;
				break;
			}
		}
	}
	if(len == 0 || len > 24)
		return 0;
	if(in_list(s, len, stop_words))
		return 1;
	if(in_list(s, len, start_words))
		return -1;
	return 0;
}
