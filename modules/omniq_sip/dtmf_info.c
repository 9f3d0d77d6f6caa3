/*
 * dtmf_info.c - see dtmf_info.h.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "dtmf_info.h"

/* Whether ctype's media type (before any ';') is type, any case, blanks around allowed. */
static int is_type(const char *ctype, int len, const char *type)
{
	int n = (int)strlen(type);

	while(len > 0 && (*ctype == ' ' || *ctype == '\t')) {
		ctype++;
		len--;
	}
	if(len < n || strncasecmp(ctype, type, n) != 0)
		return 0;
	ctype += n;
	len -= n;
	while(len > 0 && (*ctype == ' ' || *ctype == '\t')) {
		ctype++;
		len--;
	}
	return len == 0 || *ctype == ';';
}

/* One key as text (v, n bytes, blanks trimmed by the caller): '0'-'9', '*', '#', 'A'-'D'
 * (any case), "10" and "11" for '*' and '#'. 0 when it is none. */
static char key_of(const char *v, int n)
{
	if(n == 1) {
		char c = v[0];
		if((c >= '0' && c <= '9') || c == '*' || c == '#')
			return c;
		if((c >= 'A' && c <= 'D') || (c >= 'a' && c <= 'd'))
			return (char)(c & ~0x20);
		return 0;
	}
	if(n == 2 && v[0] == '1' && (v[1] == '0' || v[1] == '1'))
		return v[1] == '0' ? '*' : '#';
	return 0;
}

static void trim(const char **s, int *n)
{
	while(*n > 0 && (**s == ' ' || **s == '\t')) {
		(*s)++;
		(*n)--;
	}
	while(*n > 0 && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t' || (*s)[*n - 1] == '\r'))
		(*n)--;
}

int os_dtmf_info(const char *ctype, int ctype_len, const char *body, int body_len,
		char *digit, char *why, int size)
{
	const char *line, *end, *nl, *eq, *v;
	int relay, n, found = 0;
	char k, got = 0;

	if(ctype == NULL || ctype_len <= 0)
		return 0;
	relay = is_type(ctype, ctype_len, "application/dtmf-relay");
	if(!relay && !is_type(ctype, ctype_len, "application/dtmf"))
		return 0;
	if(body == NULL || body_len <= 0 || body_len > OS_DTMF_BODY_MAX) {
		snprintf(why, size, body_len > OS_DTMF_BODY_MAX ? "a body over %d bytes"
														 : "no body", OS_DTMF_BODY_MAX);
		return -1;
	}
	if(memchr(body, '\0', body_len)) {
		snprintf(why, size, "a NUL in the body");
		return -1;
	}
	if(!relay) {
		v = body;
		n = body_len;
		while(n > 0 && (v[n - 1] == '\n' || v[n - 1] == '\r'))
			n--;
		trim(&v, &n);
		if((k = key_of(v, n)) == 0) {
			snprintf(why, size, "no key in the body");
			return -1;
		}
		*digit = k;
		return 1;
	}
	/* dtmf-relay: lines "Name=value"; one Signal, Duration and others ignored */
	for(line = body, end = body + body_len; line < end; line = nl + 1) {
		nl = memchr(line, '\n', end - line);
		if(nl == NULL)
			nl = end;
		eq = memchr(line, '=', nl - line);
		if(eq == NULL)
			continue;
		v = line;
		n = (int)(eq - line);
		trim(&v, &n);
		if(n != 6 || strncasecmp(v, "Signal", 6) != 0)
			continue;
		if(found) {
			snprintf(why, size, "two Signal lines");
			return -1;
		}
		v = eq + 1;
		n = (int)(nl - v);
		trim(&v, &n);
		if((got = key_of(v, n)) == 0) {
			snprintf(why, size, "a Signal that is no key");
			return -1;
		}
		found = 1;
	}
	if(!found) {
		snprintf(why, size, "no Signal line");
		return -1;
	}
	*digit = got; /* set only once the whole body is read */
	return 1;
}
