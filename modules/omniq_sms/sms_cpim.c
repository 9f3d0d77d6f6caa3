/*
 * sms_cpim.c - see sms_cpim.h. One pass over at most SMS_CPIM_HDR_MAX bytes: a line is
 * looked for only within that limit, so a body without blank lines costs no more than the
 * limit to refuse. The values kept are copied as they are read, folds joined on the way.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sms_cpim.h"

#define LENGTH_DIGITS_MAX 10

enum { CPIM_FROM, CPIM_TO, CPIM_DATETIME, CPIM_TYPE, CPIM_LENGTH, CPIM_FIELDS };

static const struct {
	int section; /* 0: CPIM message headers, 1: MIME content headers */
	const char *name;
} fields[CPIM_FIELDS] = {
		{0, "From"},
		{0, "To"},
		{0, "DateTime"},
		{1, "Content-Type"},
		{1, "Content-Length"},
};

typedef struct parser {
	sms_cpim_t *c;
	size_t used;              /* bytes of c->store taken */
	char *val[CPIM_FIELDS];   /* the copies, once begun */
	char *cur;                /* the value being copied (folds go on it), or NULL */
	size_t cur_len;
} parser_t;

static int fail(char *why, const char *text)
{
	if(why)
		snprintf(why, SMS_CPIM_WHY_MAX, "%s", text);
	return -1;
}

static int wsp(char ch)
{
	return ch == ' ' || ch == '\t';
}

/* A header name is a token (RFC 3862 §3.2: no controls, spaces or separators; '.' joins
 * a name-prefix to the name): "From <sip:x>" has a ':' but no name before it. */
static int token(const char *s, const char *e)
{
	for(; s < e; s++)
		if((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f
				|| strchr("()<>@,;:\\\"/[]?={}", *s))
			return 0;
	return 1;
}

/* s..e without the whitespace at either end */
static void trim(const char **s, const char **e)
{
	while(*s < *e && wsp(**s))
		(*s)++;
	while(*e > *s && wsp((*e)[-1]))
		(*e)--;
}

/* Appends s..e (and, when it is not the first piece, a space before it) to the value being
 * copied; it stays NUL-terminated. The store is larger than the headers can be: the check
 * only keeps that true if the limits ever change. */
static int append(parser_t *ps, const char *s, const char *e, char *why)
{
	size_t n = (size_t)(e - s), sep = ps->cur_len && n ? 1 : 0;

	if(n == 0)
		return 0;
	if(ps->used + sep + n + 1 > sizeof(ps->c->store))
		return fail(why, "headers too long to keep");
	if(sep)
		ps->cur[ps->cur_len++] = ' ';
	memcpy(ps->cur + ps->cur_len, s, n);
	ps->cur_len += n;
	ps->cur[ps->cur_len] = '\0';
	ps->used += sep + n;
	return 0;
}

/* A header's first line (s..e, no line break): the value is kept when the name is one of
 * this section's fields and has not been seen. */
static int header(parser_t *ps, int section, const char *s, const char *e, char *why)
{
	const char *colon = memchr(s, ':', (size_t)(e - s)), *ns = s, *ne, *vs, *ve = e;
	int i;

	ps->cur = NULL;
	if(colon == NULL)
		return fail(why, "a header line without ':'");
	ne = colon;
	trim(&ns, &ne);
	if(ns == ne)
		return fail(why, "a header without a name");
	if(!token(ns, ne))
		return fail(why, "a header name with a space or separator");
	for(i = 0; i < CPIM_FIELDS; i++) {
		if(fields[i].section != section || ps->val[i] != NULL
				|| strlen(fields[i].name) != (size_t)(ne - ns)
				|| strncasecmp(fields[i].name, ns, (size_t)(ne - ns)) != 0)
			continue;
		if(ps->used + 1 > sizeof(ps->c->store))
			return fail(why, "headers too long to keep");
		ps->cur = ps->val[i] = ps->c->store + ps->used;
		ps->cur[0] = '\0';
		ps->cur_len = 0;
		ps->used++; /* the NUL */
		vs = colon + 1;
		trim(&vs, &ve);
		return append(ps, vs, ve, why);
	}
	return 0;
}

/* One header section, from *p: ends after its blank line. */
static int section(parser_t *ps, int sec, const char *in, const char **p, const char *end,
		char *why)
{
	const char *lim = end - in > SMS_CPIM_HDR_MAX ? in + SMS_CPIM_HDR_MAX : end;
	const char *nl, *s, *e;
	int seen = 0;

	ps->cur = NULL;
	for(;;) {
		nl = *p < lim ? memchr(*p, '\n', (size_t)(lim - *p)) : NULL;
		if(nl == NULL) {
			if(lim < end)
				return fail(why, "headers over 8192 bytes");
			return fail(why, sec == 0 ? "no blank line after the CPIM headers"
									  : "no blank line after the MIME headers");
		}
		s = *p;
		e = nl > s && nl[-1] == '\r' ? nl - 1 : nl;
		*p = nl + 1;
		if(s == e)
			return 0;
		if(wsp(*s)) {
			if(!seen)
				return fail(why, "a continuation line with no header before it");
			if(ps->cur) {
				trim(&s, &e);
				if(append(ps, s, e, why) < 0)
					return -1;
			}
			continue;
		}
		seen = 1;
		if(header(ps, sec, s, e, why) < 0)
			return -1;
	}
}

/* "text/plain; charset=UTF-8" (the store's own copy, cut in place): the type, and the
 * charset parameter unquoted or NULL. */
static void content_type(char *v, const char **type, const char **charset)
{
	char *semi = strchr(v, ';'), *name, *eq, *val, *next, *e;

	*type = v;
	*charset = NULL;
	if(semi == NULL)
		return;
	for(e = semi; e > v && wsp(e[-1]); e--)
		;
	*e = '\0';
	for(name = semi + 1; name; name = next) {
		next = strchr(name, ';');
		if(next)
			*next++ = '\0';
		while(wsp(*name))
			name++;
		if((eq = strchr(name, '=')) == NULL)
			continue;
		for(e = eq; e > name && wsp(e[-1]); e--)
			;
		if((size_t)(e - name) != 7 || strncasecmp(name, "charset", 7) != 0)
			continue;
		for(val = eq + 1; wsp(*val); val++)
			;
		for(e = val + strlen(val); e > val && wsp(e[-1]); e--)
			;
		*e = '\0';
		if(e - val >= 2 && val[0] == '"' && e[-1] == '"') {
			e[-1] = '\0';
			val++;
		}
		if(*charset == NULL && *val)
			*charset = val;
	}
}

int sms_cpim_parse(const char *in, size_t len, sms_cpim_t *c, char *why)
{
	const char *p = in, *end = in + len;
	parser_t ps;
	size_t n = 0, i;

	memset(&ps, 0, sizeof(ps));
	c->from = c->to = c->datetime = c->content_type = c->charset = NULL;
	c->body = NULL;
	c->body_len = 0;
	ps.c = c;
	if(in == NULL)
		return fail(why, "no body");
	if(section(&ps, 0, in, &p, end, why) < 0 || section(&ps, 1, in, &p, end, why) < 0)
		return -1;
	if(ps.val[CPIM_TYPE] == NULL || ps.val[CPIM_TYPE][0] == '\0')
		return fail(why, "no inner Content-Type");
	content_type(ps.val[CPIM_TYPE], &c->content_type, &c->charset);
	if(c->content_type[0] == '\0')
		return fail(why, "no inner Content-Type");
	c->body = p;
	c->body_len = (size_t)(end - p);
	if(ps.val[CPIM_LENGTH]) {
		for(i = 0; ps.val[CPIM_LENGTH][i] >= '0' && ps.val[CPIM_LENGTH][i] <= '9'
				   && i < LENGTH_DIGITS_MAX;
				i++)
			n = n * 10 + (size_t)(ps.val[CPIM_LENGTH][i] - '0');
		if(i == 0 || ps.val[CPIM_LENGTH][i] != '\0')
			return fail(why, "Content-Length is not a number");
		if(n > c->body_len)
			return fail(why, "Content-Length larger than what remains");
		c->body_len = n;
	}
	c->from = ps.val[CPIM_FROM];
	c->to = ps.val[CPIM_TO];
	c->datetime = ps.val[CPIM_DATETIME];
	return 0;
}

int sms_cpim_number(const char *value, char *out, size_t size, char *why)
{
	const char *s = value, *e, *lt = NULL, *q, *user;
	size_t n;

	if(value == NULL)
		return fail(why, "no value");
	/* a display name: quoted (with \-escapes) or a plain run of tokens, then <uri> */
	for(q = s; *q && lt == NULL; q++) {
		if(*q == '"') {
			for(q++; *q && *q != '"'; q++)
				if(*q == '\\' && q[1])
					q++;
			if(*q == '\0')
				return fail(why, "an unterminated quoted display name");
		} else if(*q == '<') {
			lt = q;
		}
	}
	if(lt) {
		s = lt + 1;
		if((e = strchr(s, '>')) == NULL)
			return fail(why, "'<' without '>'");
	} else {
		e = s + strlen(s);
	}
	trim(&s, &e);
	if(e - s > 4 && strncasecmp(s, "tel:", 4) == 0) {
		user = s + 4;
	} else if((e - s > 4 && strncasecmp(s, "sip:", 4) == 0)
			  || (e - s > 5 && strncasecmp(s, "sips:", 5) == 0)) {
		user = s + (s[3] == ':' ? 4 : 5);
		if((q = memchr(user, '@', (size_t)(e - user))) == NULL)
			return fail(why, "no user part");
		e = q;
	} else {
		return fail(why, "not a sip:, sips: or tel: URI");
	}
	if((q = memchr(user, ';', (size_t)(e - user))) != NULL)
		e = q;
	n = (size_t)(e - user);
	if(n == 0)
		return fail(why, "no user part");
	if(n + 1 > size)
		return fail(why, "no room for the number");
	memcpy(out, user, n);
	out[n] = '\0';
	return 0;
}
