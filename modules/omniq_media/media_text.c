/*
 * media_text.c - see media_text.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "media_text.h"

static int blank(char c)
{
	return c == ' ' || c == '\t';
}

int media_tok(const char **p, const char *e, media_str_t *t)
{
	const char *s = *p;

	while(s < e && blank(*s))
		s++;
	if(s == e) {
		*p = e;
		return 0;
	}
	t->s = s;
	while(s < e && !blank(*s))
		s++;
	t->n = (size_t)(s - t->s);
	*p = s;
	return 1;
}

int media_str_is(media_str_t t, const char *lit)
{
	return strlen(lit) == t.n && memcmp(t.s, lit, t.n) == 0;
}

int media_num(const char *s, size_t n, uint64_t max, uint64_t *v)
{
	uint64_t x = 0;
	size_t i;

	if(n == 0 || n > 20)
		return -1;
	for(i = 0; i < n; i++) {
		if(s[i] < '0' || s[i] > '9')
			return -1;
		if(x > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return -1;
		x = x * 10 + (uint64_t)(s[i] - '0');
	}
	if(x > max)
		return -1;
	*v = x;
	return 0;
}

void media_clip(const char *s, size_t n, char *out)
{
	size_t i, keep = n > 32 ? 32 : n;

	for(i = 0; i < keep; i++) {
		unsigned char c = (unsigned char)s[i];
		out[i] = (c < 0x20 || c > 0x7e || c == '"' || c == '\\') ? '?' : (char)c;
	}
	if(n > keep) {
		memcpy(out + i, "...", 3);
		i += 3;
	}
	out[i] = '\0';
}

int media_why(char *why, size_t size, int code, const char *fmt, ...)
{
	va_list ap;

	if(why && size) {
		va_start(ap, fmt);
		/* a reason cut short is still a reason */
		if(vsnprintf(why, size, fmt, ap) < 0)
			why[0] = '\0';
		va_end(ap);
	}
	return code;
}

void media_buf_init(media_buf_t *b, char *p, size_t size)
{
	b->p = p;
	b->size = size;
	b->len = 0;
	b->over = size == 0;
	if(size)
		p[0] = '\0';
}

void media_put(media_buf_t *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if(b->over)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->size - b->len, fmt, ap);
	va_end(ap);
	if(n < 0 || (size_t)n >= b->size - b->len) {
		b->over = 1;
		b->p[b->len] = '\0';
		return;
	}
	b->len += (size_t)n;
}
