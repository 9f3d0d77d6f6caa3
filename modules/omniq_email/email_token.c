/*
 * email_token.c - see email_token.h. A token is matched where it stands, byte by byte,
 * never searched for with a pattern that could backtrack: finding costs one pass over the
 * text whatever it holds.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "omniq/omniq_utf8.h"

#include "email_token.h"

_Static_assert(EMAIL_SID_DIGITS_MAX < OMNIQ_SID_MAX, "a sid and its NUL fit OMNIQ_SID_MAX");

#define OPEN_LEN (sizeof(EMAIL_TOKEN_OPEN) - 1)
#define RE "Re: "
#define RE_LEN 4
#define ELLIPSIS "\xe2\x80\xa6"

static int fail(char *why, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(char *why, const char *fmt, ...)
{
	va_list ap;

	if(why) {
		va_start(ap, fmt);
		vsnprintf(why, EMAIL_TOKEN_WHY_MAX, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static int is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* A token beginning exactly at s (n bytes left): its length, with its parts in t; or 0. */
static size_t token_at(const char *s, size_t n, email_token_t *t)
{
	size_t i = OPEN_LEN, d, h, k;

	if(n < OPEN_LEN || strncasecmp(s, EMAIL_TOKEN_OPEN, OPEN_LEN) != 0)
		return 0;
	for(d = 0; i < n && s[i] >= '0' && s[i] <= '9' && d <= EMAIL_SID_DIGITS_MAX; i++, d++)
		;
	if(d == 0 || d > EMAIL_SID_DIGITS_MAX || i >= n || s[i] != '-')
		return 0;
	i++;
	for(h = 0; i < n && is_hex(s[i]) && h <= EMAIL_SIG_MAX; i++, h++)
		;
	if(h < EMAIL_SIG_MIN || h > EMAIL_SIG_MAX || i >= n || s[i] != ']')
		return 0;
	if(t) {
		memcpy(t->sid, s + OPEN_LEN, d);
		t->sid[d] = '\0';
		for(k = 0; k < h; k++) {
			char c = s[OPEN_LEN + d + 1 + k];
			t->sig[k] = (char)(c >= 'A' && c <= 'F' ? c + 32 : c);
		}
		t->sig[h] = '\0';
		t->len = i + 1;
	}
	return i + 1;
}

int email_token_find(const char *s, size_t len, email_token_t *t)
{
	const char *p = s, *end = s + len;

	memset(t, 0, sizeof(*t));
	if(s == NULL)
		return 0;
	while(p < end && (p = memchr(p, '[', (size_t)(end - p))) != NULL) {
		if(token_at(p, (size_t)(end - p), t) > 0) {
			t->at = (size_t)(p - s);
			return 1;
		}
		p++;
	}
	memset(t, 0, sizeof(*t));
	return 0;
}

int email_token_format(const char *sid, const char *sig, char *out, size_t size, char *why)
{
	size_t d = sid ? strlen(sid) : 0, h = sig ? strlen(sig) : 0, i;
	int n;

	if(size > 0)
		out[0] = '\0';
	if(d == 0 || d > EMAIL_SID_DIGITS_MAX || strspn(sid, "0123456789") != d)
		return fail(why, "a sid is 1 to %d digits", EMAIL_SID_DIGITS_MAX);
	for(i = 0; i < h && is_hex(sig[i]); i++)
		;
	if(h < EMAIL_SIG_MIN || h > EMAIL_SIG_MAX || i != h)
		return fail(why, "a signature is %d to %d hex digits", EMAIL_SIG_MIN, EMAIL_SIG_MAX);
	n = snprintf(out, size, EMAIL_TOKEN_OPEN "%s-%s]", sid, sig);
	if(n < 0 || (size_t)n >= size) {
		if(size > 0)
			out[0] = '\0';
		return fail(why, "no room for the token");
	}
	for(i = OPEN_LEN + d + 1; i < (size_t)n - 1; i++)
		if(out[i] >= 'A' && out[i] <= 'F')
			out[i] = (char)(out[i] + 32);
	return n;
}

/* ---- reply subjects ------------------------------------------------------------- */

static const char *const prefixes[] = {"re", "aw", "sv", "antw",
		"\xe5\x9b\x9e\xe5\xa4\x8d", /* 回复 */
		"\xe7\xad\x94\xe5\xa4\x8d", /* 答复 */
		"\xe5\x9b\x9e\xe8\xa6\x86", /* 回覆 */
		NULL};

static size_t spaces(const char *s, size_t n)
{
	size_t i = 0;

	while(i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
		i++;
	return i;
}

/* A reply prefix at s: "Re:", "RE :", "Re[2]:", "Re(3)：", "回复:" ... its length, or 0. */
static size_t prefix_at(const char *s, size_t n)
{
	const char *const *p;
	size_t i, k;
	char close;

	for(p = prefixes; *p; p++) {
		k = strlen(*p);
		if(n < k || strncasecmp(s, *p, k) != 0)
			continue;
		i = k;
		if(i < n && (s[i] == '[' || s[i] == '(')) {
			close = s[i] == '[' ? ']' : ')';
			for(i++; i < n && s[i] >= '0' && s[i] <= '9'; i++)
				;
			if(i >= n || s[i] != close)
				continue;
			i++;
		}
		while(i < n && s[i] == ' ')
			i++;
		if(i < n && s[i] == ':')
			return i + 1;
		if(n - i >= 3 && memcmp(s + i, "\xef\xbc\x9a", 3) == 0) /* the full-width colon */
			return i + 3;
	}
	return 0;
}

int email_reply_subject(const char *subject, const char *token, char *out, size_t size,
		char *why)
{
	const char *s = subject ? subject : "";
	size_t n = strlen(s), tlen = token ? strlen(token) : 0, i = 0, k, bad, room, w, last;
	int space = 0, cut = 0;
	email_token_t t;
	uint32_t cp;

	if(size > 0)
		out[0] = '\0';
	if(tlen == 0 || token_at(token, tlen, NULL) != tlen)
		return fail(why, "not a token: \"%.40s\"", token ? token : "");
	if(size < RE_LEN + tlen + 1)
		return fail(why, "no room for \"Re: \" and the token");
	/* what the subject opens with: prefixes and tokens, in any order, any number */
	for(;;) {
		i += spaces(s + i, n - i);
		if((k = prefix_at(s + i, n - i)) == 0 && (k = token_at(s + i, n - i, &t)) == 0)
			break;
		i += k;
	}
	memcpy(out, RE, RE_LEN);
	w = RE_LEN;
	/* the subject's words, between "Re: " and " <token>" and its NUL */
	room = size - 1 - tlen - 1;
	while(i < n) {
		if((k = token_at(s + i, n - i, &t)) > 0) {
			i += k;
			space = 1;
			continue;
		}
		if((k = omniq_utf8_next((const unsigned char *)s + i, n - i, &cp, &bad)) == 0) {
			cp = 0xfffd;
			k = bad;
		}
		if(cp == ' ' || cp == '\t' || cp == '\r' || cp == '\n' || cp < 0x20
				|| (cp >= 0x7f && cp < 0xa0)) {
			i += k;
			space = 1;
			continue;
		}
		if(w + (space && w > RE_LEN) + (cp == 0xfffd ? 3 : k) > room) {
			cut = 1;
			break;
		}
		if(space && w > RE_LEN)
			out[w++] = ' ';
		space = 0;
		if(cp == 0xfffd) {
			memcpy(out + w, "\xef\xbf\xbd", 3);
			w += 3;
		} else {
			memcpy(out + w, s + i, k);
			w += k;
		}
		i += k;
	}
	if(cut) {
		/* back to whole characters that leave room for "…" */
		while(w > RE_LEN && w + 3 > room) {
			last = w - 1;
			while(last > RE_LEN && ((unsigned char)out[last] & 0xc0) == 0x80)
				last--;
			w = last;
		}
		while(w > RE_LEN && out[w - 1] == ' ')
			w--;
		if(w + 3 <= room && w > RE_LEN) {
			memcpy(out + w, ELLIPSIS, 3);
			w += 3;
		}
	}
	if(w > RE_LEN)
		out[w++] = ' ';
	memcpy(out + w, token, tlen);
	w += tlen;
	out[w] = '\0';
	return (int)w;
}
