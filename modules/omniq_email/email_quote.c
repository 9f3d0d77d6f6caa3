/*
 * email_quote.c - see email_quote.h. Lines are looked at where they lie in the text, never
 * copied; each is judged by a handful of fixed comparisons (and looks at most
 * HEADER_BLOCK_SPAN lines ahead), so a text costs time linear in its length.
 */
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "email_quote.h"

/* ---- format=flowed -------------------------------------------------------------- */

size_t email_unflow(char *t, size_t len, int delsp)
{
	size_t r = 0, w = 0, e, c, start, depth, jdepth = 0;
	int joining = 0, soft;

	while(r < len) {
		const char *nl = memchr(t + r, '\n', len - r);

		e = nl ? (size_t)(nl - t) : len;
		for(depth = 0; r + depth < e && t[r + depth] == '>'; depth++)
			;
		c = r + depth;
		if(c < e && t[c] == ' ')
			c++; /* a stuffed space, or the one after the quote marks */
		if(joining && depth != jdepth) {
			t[w++] = '\n'; /* a flowed line cannot go on at another depth */
			joining = 0;
		}
		/* judged before the move below, which may write over this line's first bytes */
		soft = e > c && t[e - 1] == ' ' && !(e - c == 3 && memcmp(t + c, "-- ", 3) == 0);
		start = joining ? c : (depth ? r : c);
		memmove(t + w, t + start, e - start);
		w += e - start;
		if(soft && nl) {
			if(delsp)
				w--;
			joining = 1;
			jdepth = depth;
		} else {
			if(nl)
				t[w++] = '\n';
			joining = 0;
		}
		r = nl ? e + 1 : len;
	}
	if(w < len)
		t[w] = '\0';
	return w;
}

/* ---- quoted history ------------------------------------------------------------- */

typedef struct line {
	const char *s, *e; /* trimmed */
	size_t at;         /* offset of the line's first byte */
	size_t next;       /* offset of the next line (len when none) */
} line_t;

static int is_ws_at(const char *s, const char *e, size_t *n)
{
	if(s < e && (*s == ' ' || *s == '\t')) {
		*n = 1;
		return 1;
	}
	if(e - s >= 2 && memcmp(s, "\xc2\xa0", 2) == 0) { /* U+00A0 */
		*n = 2;
		return 1;
	}
	if(e - s >= 3 && memcmp(s, "\xe3\x80\x80", 3) == 0) { /* U+3000, the ideographic space */
		*n = 3;
		return 1;
	}
	return 0;
}

static int ws_ends_at(const char *s, const char *e, size_t *n)
{
	if(e > s && (e[-1] == ' ' || e[-1] == '\t')) {
		*n = 1;
		return 1;
	}
	if(e - s >= 2 && memcmp(e - 2, "\xc2\xa0", 2) == 0) {
		*n = 2;
		return 1;
	}
	if(e - s >= 3 && memcmp(e - 3, "\xe3\x80\x80", 3) == 0) {
		*n = 3;
		return 1;
	}
	return 0;
}

/* The line at offset at (< len). */
static line_t line_at(const char *t, size_t len, size_t at)
{
	const char *nl = memchr(t + at, '\n', len - at);
	line_t l;
	size_t n;

	l.at = at;
	l.s = t + at;
	l.e = nl ? nl : t + len;
	l.next = nl ? (size_t)(nl - t) + 1 : len;
	while(is_ws_at(l.s, l.e, &n))
		l.s += n;
	while(ws_ends_at(l.s, l.e, &n))
		l.e -= n;
	return l;
}

static int starts_ci(const char *s, const char *e, const char *w)
{
	size_t n = strlen(w);

	return (size_t)(e - s) >= n && strncasecmp(s, w, n) == 0;
}

static int ends_with(const char *s, const char *e, const char *w)
{
	size_t n = strlen(w);

	return (size_t)(e - s) >= n && strncasecmp(e - n, w, n) == 0;
}

static int has_digit(const char *s, const char *e)
{
	for(; s < e; s++)
		if(*s >= '0' && *s <= '9')
			return 1;
	return 0;
}

#define ATTRIBUTION_MAX 400 /* bytes of an attribution line; longer is a paragraph */

/* "在" / "於" (Traditional), and the attribution's last words with either colon. */
static const char *const zh_on[] = {"\xe5\x9c\xa8", "\xe6\x96\xbc", NULL};
static const char *const zh_wrote[] = {"\xe5\x86\x99\xe9\x81\x93\xef\xbc\x9a",
		"\xe5\x86\x99\xe9\x81\x93:", "\xe5\xaf\xab\xe9\x81\x93\xef\xbc\x9a",
		"\xe5\xaf\xab\xe9\x81\x93:", NULL};

static int starts_any(const char *s, const char *e, const char *const *w)
{
	for(; *w; w++)
		if(starts_ci(s, e, *w))
			return 1;
	return 0;
}

static int ends_any(const char *s, const char *e, const char *const *w)
{
	for(; *w; w++)
		if(ends_with(s, e, *w))
			return 1;
	return 0;
}

static const char *const en_wrote[] = {"wrote:", "wrote :", NULL};

/* "On <date> <who> wrote:" on one line, or on two when a client wrapped it. */
static int attribution(const char *t, size_t len, const line_t *l)
{
	const char *const *wrote;
	line_t n;

	if(l->e - l->s > ATTRIBUTION_MAX)
		return 0;
	if(starts_ci(l->s, l->e, "on "))
		wrote = en_wrote;
	else if(starts_any(l->s, l->e, zh_on))
		wrote = zh_wrote;
	else
		return 0;
	if(ends_any(l->s, l->e, wrote))
		return has_digit(l->s, l->e);
	if(l->next >= len)
		return 0;
	n = line_at(t, len, l->next);
	return n.e - n.s <= ATTRIBUTION_MAX && n.s < n.e && ends_any(n.s, n.e, wrote)
		   && (has_digit(l->s, l->e) || has_digit(n.s, n.e));
}

/* "-----Original Message-----", "------------------ 原始邮件 ------------------". */
static const char *const separators[] = {"original message", "\xe5\x8e\x9f\xe5\xa7\x8b\xe9\x82\xae\xe4\xbb\xb6",
		"\xe5\x8e\x9f\xe5\xa7\x8b\xe9\x83\xb5\xe4\xbb\xb6", "\xe9\x82\xae\xe4\xbb\xb6\xe5\x8e\x9f\xe4\xbb\xb6",
		NULL};

static int separator(const line_t *l)
{
	const char *s = l->s, *e = l->e;
	const char *const *w;
	size_t d, n;

	for(d = 0; s < e && *s == '-'; s++, d++)
		;
	if(d < 2)
		return 0;
	for(d = 0; e > s && e[-1] == '-'; e--, d++)
		;
	if(d < 2)
		return 0;
	while(is_ws_at(s, e, &n))
		s += n;
	while(ws_ends_at(s, e, &n))
		e -= n;
	for(w = separators; *w; w++)
		if((size_t)(e - s) == strlen(*w) && strncasecmp(s, *w, (size_t)(e - s)) == 0)
			return 1;
	return 0;
}

/* The fields of a quoted mail's header block: who it was from, and when it was sent. */
static const char *const from_fields[] = {"from:", "\xe5\x8f\x91\xe4\xbb\xb6\xe4\xba\xba:",
		"\xe5\x8f\x91\xe4\xbb\xb6\xe4\xba\xba\xef\xbc\x9a", "\xe5\xaf\x84\xe4\xbb\xb6\xe8\x80\x85:",
		"\xe5\xaf\x84\xe4\xbb\xb6\xe8\x80\x85\xef\xbc\x9a", NULL};
static const char *const sent_fields[] = {"sent:", "date:",
		"\xe5\x8f\x91\xe9\x80\x81\xe6\x97\xb6\xe9\x97\xb4:",
		"\xe5\x8f\x91\xe9\x80\x81\xe6\x97\xb6\xe9\x97\xb4\xef\xbc\x9a", "\xe6\x97\xa5\xe6\x9c\x9f:",
		"\xe6\x97\xa5\xe6\x9c\x9f\xef\xbc\x9a", "\xe5\xaf\x84\xe4\xbb\xb6\xe6\x97\xa5\xe6\x9c\x9f:",
		"\xe5\xaf\x84\xe4\xbb\xb6\xe6\x97\xa5\xe6\x9c\x9f\xef\xbc\x9a", NULL};

/* A field line, "*From:* x" as a plain-text rendering of Outlook's bold labels too. */
static int field(const line_t *l, const char *const *names)
{
	const char *s = l->s;

	while(s < l->e && *s == '*')
		s++;
	return starts_any(s, l->e, names);
}

#define HEADER_BLOCK_SPAN 4 /* lines after "From:" in which "Sent:" must come */

static int header_block(const char *t, size_t len, const line_t *l)
{
	line_t n = *l;
	int i;

	if(!field(l, from_fields))
		return 0;
	for(i = 0; i < HEADER_BLOCK_SPAN && n.next < len; i++) {
		n = line_at(t, len, n.next);
		if(field(&n, sent_fields))
			return 1;
	}
	return 0;
}

static int underscores(const line_t *l)
{
	const char *s;

	if(l->e - l->s < 10)
		return 0;
	for(s = l->s; s < l->e; s++)
		if(*s != '_')
			return 0;
	return 1;
}

/* The start of the block of '>' lines (and blank ones) that ends the text, or len. */
static size_t trailing_quote(const char *t, size_t len)
{
	size_t at = 0, start = len;
	int in = 0;
	line_t l;

	while(at < len) {
		l = line_at(t, len, at);
		if(l.s < l.e && *l.s == '>') {
			if(!in)
				start = l.at;
			in = 1;
		} else if(l.s < l.e) {
			in = 0; /* text after it: that quote was answered inline */
			start = len;
		}
		at = l.next;
	}
	return in ? start : len;
}

size_t email_quote_start(const char *t, size_t len)
{
	size_t at = 0, q = len, prev = len;
	line_t l;

	while(at < len) {
		l = line_at(t, len, at);
		if(attribution(t, len, &l) || separator(&l)) {
			q = l.at;
			break;
		}
		if(header_block(t, len, &l)) {
			q = l.at;
			if(prev < len) {
				line_t p = line_at(t, len, prev);
				if(underscores(&p))
					q = p.at;
			}
			break;
		}
		if(l.s < l.e)
			prev = l.at;
		at = l.next;
	}
	if(q == len)
		q = trailing_quote(t, len);
	if(q == len)
		return len;
	while(q > 0 && (t[q - 1] == '\n' || t[q - 1] == ' ' || t[q - 1] == '\t' || t[q - 1] == '\r'))
		q--;
	return q;
}
