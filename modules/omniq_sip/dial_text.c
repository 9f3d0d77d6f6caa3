/*
 * dial_text.c - see dial_text.h.
 */
#include <stdio.h>
#include <string.h>

#include "dial_text.h"

#define NUMBER "{number}"
#define NUMBER_LEN 8

int os_dial_uri_check(const char *tmpl, char *why, int why_len)
{
	const char *n = strstr(tmpl, NUMBER);

	if(strncmp(tmpl, "sip:", 4) != 0 && strncmp(tmpl, "sips:", 5) != 0) {
		snprintf(why, why_len, "'%s' must be a sip: or sips: URI", tmpl);
		return -1;
	}
	if(n == NULL || strstr(n + NUMBER_LEN, NUMBER) != NULL || strchr(tmpl, '%')
			|| strpbrk(tmpl, " \t\r\n") || strlen(tmpl) > 200) {
		snprintf(why, why_len,
				"'%s' must hold {number} (the customer's number) exactly once, no %% and no "
				"space, 200 bytes at most",
				tmpl);
		return -1;
	}
	return 0;
}

int os_dial_uri_expand(const char *tmpl, const char *number, char *out, int size)
{
	const char *p = strstr(tmpl, NUMBER);
	int n;

	if(p == NULL)
		return -1;
	n = snprintf(out, size, "%.*s%s%s", (int)(p - tmpl), tmpl, number, p + NUMBER_LEN);
	return n < 0 || n >= size ? -1 : n;
}

const char *os_dial_number(const char *identity)
{
	const char *p, *q;

	if(strncmp(identity, "tel:", 4) == 0 || strncmp(identity, "sms:", 4) == 0)
		p = identity + 4;
	else if(strncmp(identity, "phone:", 6) == 0)
		p = identity + 6;
	else
		return NULL;
	q = p + (*p == '+');
	if(*q == '\0' || strspn(q, "0123456789") != strlen(q))
		return NULL;
	return p;
}

int os_dial_reject_answer(const char *offer, int len, char *out, int size)
{
	const char *p = offer, *end = offer + len;
	int n, m = 0;

	n = snprintf(out, size, "v=0\r\no=omniq 1 1 IN IP4 0.0.0.0\r\ns=-\r\nc=IN IP4 0.0.0.0\r\n"
							"t=0 0\r\n");
	while(p < end && n > 0 && n < size) {
		const char *eol = memchr(p, '\n', end - p);
		int l = (int)((eol ? eol : end) - p);
		if(l > 0 && p[l - 1] == '\r')
			l--;
		if(l > 2 && p[0] == 'm' && p[1] == '=') {
			/* m=<media> <port> <proto> <fmt...>: the same with port 0 */
			const char *sp1 = memchr(p, ' ', l), *sp2 = NULL;
			if(sp1)
				sp2 = memchr(sp1 + 1, ' ', l - (int)(sp1 + 1 - p));
			if(sp2) {
				n += snprintf(out + n, size - n, "%.*s 0%.*s\r\n", (int)(sp1 - p), p,
						(int)(l - (sp2 - p)), sp2);
				m++;
			}
		}
		p = eol ? eol + 1 : end;
	}
	return n > 0 && n < size && m > 0 ? n : -1;
}
