/*
 * email_html.c - see email_html.h.
 *
 * One pass over the input with no tree and no recursion: a tag, a comment or an entity is
 * read to its end or to the end of the input, whichever comes first, and an element whose
 * contents are skipped is skipped to its end tag in one search, so any input costs time
 * linear in its length. Every character goes through the writer of email_buf.h.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "omniq/omniq_urlenc.h"

#include "email_buf.h"
#include "email_html.h"

typedef struct html {
	buf_t *b;
	int space; /* white space since the last character out, not yet written */
	int pre;   /* inside <pre>: white space kept */
} html_t;

static int last_is(const buf_t *b, char c)
{
	return b->len > 0 && b->p[b->len - 1] == c;
}

static void trim_spaces(buf_t *b)
{
	while(b->len > 0 && (b->p[b->len - 1] == ' ' || b->p[b->len - 1] == '\t'))
		b->len--;
}

/* A line break, unless the text is empty or already ends in a blank line. */
static void newline(html_t *h)
{
	buf_t *b = h->b;

	h->space = 0;
	trim_spaces(b);
	if(b->len == 0 || (b->len >= 2 && b->p[b->len - 1] == '\n' && b->p[b->len - 2] == '\n'))
		return;
	put_cp(b, '\n');
}

/* A block begins or ends: what follows starts a line. A line of nothing but non-breaking
 * spaces (Outlook's empty paragraph) stays as an empty line. */
static void block(html_t *h)
{
	if(h->b->len == 0 || last_is(h->b, '\n')) {
		h->space = 0;
		return;
	}
	newline(h);
}

static int html_space(uint32_t cp)
{
	return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == '\f';
}

static void html_char(html_t *h, uint32_t cp)
{
	buf_t *b = h->b;

	if(h->pre && (cp == '\n' || cp == '\r')) {
		put_text(b, cp);
		h->space = 0;
		return;
	}
	if(html_space(cp) && !h->pre) {
		h->space = 1;
		return;
	}
	if(cp == 0xad)
		return; /* a soft hyphen shows only where a line wraps */
	if(h->space && b->len > 0 && !last_is(b, '\n') && !last_is(b, ' '))
		put_cp(b, ' ');
	h->space = 0;
	put_text(b, cp == 0xa0 ? ' ' : cp);
}

static const struct {
	const char *name;
	uint32_t cp;
} entities[] = {
		{"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"quot", '"'}, {"apos", '\''},
		{"nbsp", 0xa0}, {"ensp", 0x2002}, {"emsp", 0x2003}, {"thinsp", 0x2009},
		{"zwnj", 0x200c}, {"zwj", 0x200d}, {"shy", 0xad}, {"copy", 0xa9}, {"reg", 0xae},
		{"trade", 0x2122}, {"hellip", 0x2026}, {"mdash", 0x2014}, {"ndash", 0x2013},
		{"lsquo", 0x2018}, {"rsquo", 0x2019}, {"sbquo", 0x201a}, {"ldquo", 0x201c},
		{"rdquo", 0x201d}, {"bdquo", 0x201e}, {"laquo", 0xab}, {"raquo", 0xbb},
		{"lsaquo", 0x2039}, {"rsaquo", 0x203a}, {"bull", 0x2022}, {"middot", 0xb7},
		{"euro", 0x20ac}, {"pound", 0xa3}, {"yen", 0xa5}, {"cent", 0xa2}, {"curren", 0xa4},
		{"sect", 0xa7}, {"para", 0xb6}, {"deg", 0xb0}, {"plusmn", 0xb1}, {"times", 0xd7},
		{"divide", 0xf7}, {"micro", 0xb5}, {"iexcl", 0xa1}, {"iquest", 0xbf},
		{"frac12", 0xbd}, {"frac14", 0xbc}, {"frac34", 0xbe}, {"sup2", 0xb2}, {"sup3", 0xb3},
		{"larr", 0x2190}, {"uarr", 0x2191}, {"rarr", 0x2192}, {"darr", 0x2193},
		{"harr", 0x2194}, {"dagger", 0x2020}, {"permil", 0x2030}, {"prime", 0x2032},
		{"Agrave", 0xc0}, {"Aacute", 0xc1}, {"Acirc", 0xc2}, {"Atilde", 0xc3}, {"Auml", 0xc4},
		{"Aring", 0xc5}, {"AElig", 0xc6}, {"Ccedil", 0xc7}, {"Egrave", 0xc8}, {"Eacute", 0xc9},
		{"Ecirc", 0xca}, {"Euml", 0xcb}, {"Igrave", 0xcc}, {"Iacute", 0xcd}, {"Icirc", 0xce},
		{"Iuml", 0xcf}, {"Ntilde", 0xd1}, {"Ograve", 0xd2}, {"Oacute", 0xd3}, {"Ocirc", 0xd4},
		{"Otilde", 0xd5}, {"Ouml", 0xd6}, {"Oslash", 0xd8}, {"Ugrave", 0xd9}, {"Uacute", 0xda},
		{"Ucirc", 0xdb}, {"Uuml", 0xdc}, {"Yacute", 0xdd}, {"szlig", 0xdf}, {"agrave", 0xe0},
		{"aacute", 0xe1}, {"acirc", 0xe2}, {"atilde", 0xe3}, {"auml", 0xe4}, {"aring", 0xe5},
		{"aelig", 0xe6}, {"ccedil", 0xe7}, {"egrave", 0xe8}, {"eacute", 0xe9}, {"ecirc", 0xea},
		{"euml", 0xeb}, {"igrave", 0xec}, {"iacute", 0xed}, {"icirc", 0xee}, {"iuml", 0xef},
		{"ntilde", 0xf1}, {"ograve", 0xf2}, {"oacute", 0xf3}, {"ocirc", 0xf4}, {"otilde", 0xf5},
		{"ouml", 0xf6}, {"oslash", 0xf8}, {"ugrave", 0xf9}, {"uacute", 0xfa}, {"ucirc", 0xfb},
		{"uuml", 0xfc}, {"yacute", 0xfd}, {"yuml", 0xff},
};

#define ENTITIES_N (sizeof(entities) / sizeof(entities[0]))

/* &#128;..&#159; as browsers read them: Windows-1252's characters (0: none there). */
static const uint16_t cp1252_c1[32] = {
		0x20ac, 0, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160,
		0x2039, 0x0152, 0, 0x017d, 0, 0, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013,
		0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0, 0x017e, 0x0178,
};

static int is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static int digit(char c, int hex)
{
	if(hex)
		return omniq_hex_digit(c);
	return c >= '0' && c <= '9' ? c - '0' : -1;
}

/* The entity at p ('&'): its character in *cp and its length, or 0 when it is none (the
 * '&' is then text). */
static size_t entity(const char *p, const char *end, uint32_t *cp)
{
	const char *s = p + 1, *q;
	uint32_t v = 0;
	size_t i, n;
	int hex, d;

	if(s < end && *s == '#') {
		s++;
		hex = s < end && (*s == 'x' || *s == 'X');
		if(hex)
			s++;
		for(q = s; q < end && (d = digit(*q, hex)) >= 0; q++)
			v = v > 0x10ffff ? v : v * (hex ? 16 : 10) + (uint32_t)d;
		if(q == s)
			return 0;
		if(v >= 0x80 && v < 0xa0 && cp1252_c1[v - 0x80])
			v = cp1252_c1[v - 0x80];
		if(v == 0 || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
			v = EMAIL_REPLACEMENT;
		*cp = v;
		if(q < end && *q == ';')
			q++;
		return (size_t)(q - p);
	}
	for(q = s; q < end && q - s < 10 && is_alnum(*q); q++)
		;
	n = (size_t)(q - s);
	if(n == 0)
		return 0;
	for(i = 0; i < ENTITIES_N; i++) {
		if(strlen(entities[i].name) != n || memcmp(entities[i].name, s, n) != 0)
			continue;
		if(q < end && *q == ';') {
			*cp = entities[i].cp;
			return (size_t)(q + 1 - p);
		}
		if(i < 6) { /* &amp &lt &gt &quot &apos &nbsp: browsers take them without ';' */
			*cp = entities[i].cp;
			return (size_t)(q - p);
		}
		return 0;
	}
	return 0;
}

/* The first of needle or needle2 (lower case; needle2 may be NULL) in p..end,
 * case-insensitively: where it starts, or end. One pass for both, so that skipping to
 * whichever comes first costs no more than the distance to it. */
static const char *find_ci(const char *p, const char *end, const char *needle,
		const char *needle2)
{
	size_t n = strlen(needle), n2 = needle2 ? strlen(needle2) : 0;

	for(; p < end; p++) {
		if((size_t)(end - p) >= n && strncasecmp(p, needle, n) == 0)
			return p;
		if(needle2 && (size_t)(end - p) >= n2 && strncasecmp(p, needle2, n2) == 0)
			return p;
	}
	return end;
}

static int name_is(const char *name, const char *const *set)
{
	for(; *set; set++)
		if(strcmp(name, *set) == 0)
			return 1;
	return 0;
}

static const char *const block_tags[] = {"p", "div", "tr", "table", "thead", "tbody",
		"tfoot", "ul", "ol", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6",
		"blockquote", "hr", "section", "article", "header", "footer", "nav", "aside",
		"address", "center", "form", "fieldset", "figure", "figcaption", "main", "caption",
		"details", "summary", "body", "html", NULL};

/* Elements whose contents are no text: what closes each. */
static const struct {
	const char *name, *close, *close2;
} skipped[] = {
		{"script", "</script", NULL},
		{"style", "</style", NULL},
		{"head", "</head", "<body"}, /* an unclosed head ends where the body begins */
		{"title", "</title", NULL},
		{"template", "</template", NULL},
		{"xml", "</xml", NULL},
};

/* The markup at p ('<'): what it does to the text, and where the text goes on. */
static const char *tag(html_t *h, const char *p, const char *end)
{
	const char *s = p + 1, *q, *a;
	char name[16];
	size_t n = 0, i;
	int closing = 0;
	char quote;

	if(s < end && *s == '!') {
		if(end - s >= 3 && memcmp(s, "!--", 3) == 0) {
			q = find_ci(s + 3, end, "-->", NULL);
			return q == end ? end : q + 3;
		}
		q = memchr(s, '>', (size_t)(end - s)); /* <!DOCTYPE>, <![if ...]> */
		return q ? q + 1 : end;
	}
	if(s < end && *s == '?') {
		q = memchr(s, '>', (size_t)(end - s));
		return q ? q + 1 : end;
	}
	if(s < end && *s == '/') {
		closing = 1;
		s++;
	}
	if(s >= end || !((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
		return NULL; /* "a < b", "<3": text */
	for(q = s; q < end && (is_alnum(*q) || *q == ':' || *q == '-'); q++)
		if(n + 1 < sizeof(name))
			name[n++] = (char)(*q >= 'A' && *q <= 'Z' ? *q + 32 : *q);
	name[n] = '\0';
	for(quote = 0; q < end; q++) { /* to the '>' that is not inside a quoted value */
		if(quote) {
			if(*q == quote)
				quote = 0;
		} else if(*q == '"' || *q == '\'') {
			quote = *q;
		} else if(*q == '>') {
			break;
		}
	}
	q = q < end ? q + 1 : end;
	if(!closing) {
		for(i = 0; i < sizeof(skipped) / sizeof(skipped[0]); i++) {
			if(strcmp(name, skipped[i].name) != 0)
				continue;
			a = find_ci(q, end, skipped[i].close, skipped[i].close2);
			if(a == end)
				return end;
			if(skipped[i].close2 && strncasecmp(a, skipped[i].close2, strlen(skipped[i].close2)) == 0)
				return a; /* the <body> is read as a tag of its own */
			a = memchr(a, '>', (size_t)(end - a));
			return a ? a + 1 : end;
		}
	}
	if(strcmp(name, "br") == 0) {
		newline(h);
	} else if(strcmp(name, "li") == 0) {
		block(h);
		if(!closing) {
			put_cp(h->b, '-');
			put_cp(h->b, ' ');
		}
	} else if(strcmp(name, "pre") == 0) {
		block(h);
		h->pre = !closing;
	} else if(strcmp(name, "td") == 0 || strcmp(name, "th") == 0) {
		if(!closing && h->b->len > 0 && !last_is(h->b, '\n'))
			h->space = 1;
	} else if(name_is(name, block_tags)) {
		block(h);
	}
	return q;
}

char *email_html_to_text(const char *html, size_t len, size_t limit, size_t *out_len,
		int *over)
{
	const char *p = html, *end = html + len, *next;
	size_t k, bad;
	uint32_t cp;
	html_t h;
	buf_t b;

	buf_init(&b, limit);
	memset(&h, 0, sizeof(h));
	h.b = &b;
	while(p < end && !b.over && !b.oom) {
		if(*p == '<' && (next = tag(&h, p, end)) != NULL) {
			p = next;
		} else if(*p == '&' && (k = entity(p, end, &cp)) > 0) {
			html_char(&h, cp);
			p += k;
		} else if((k = omniq_utf8_next((const unsigned char *)p, (size_t)(end - p), &cp, &bad)) > 0) {
			html_char(&h, cp);
			p += k;
		} else {
			html_char(&h, EMAIL_REPLACEMENT);
			p += bad;
		}
	}
	while(b.len > 0 && (b.p[b.len - 1] == '\n' || b.p[b.len - 1] == ' ' || b.p[b.len - 1] == '\t'))
		b.len--;
	return buf_done(&b, out_len, over);
}
