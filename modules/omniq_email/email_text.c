/*
 * email_text.c - see email_text.h.
 *
 * Every character goes through one writer (email_buf.h). iconv is asked for a conversion
 * into UTF-8 and its output is checked again as it is taken: what goes out is well-formed
 * whatever the converter did.
 */
#include <errno.h>
#include <iconv.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "email_buf.h"
#include "email_text.h"

#define ELLIPSIS "\xe2\x80\xa6" /* …, 3 bytes */

/* ---- charsets ------------------------------------------------------------------- */

/* What a label is read as: the superset its senders really write in (WHATWG's encoding
 * standard maps the Latin-1 and GB2312 labels the same way). */
static const struct {
	const char *label, *iconv;
} widen[] = {
		{"gb2312", "GB18030"}, {"gbk", "GB18030"}, {"euc-cn", "GB18030"},
		{"x-euc-cn", "GB18030"}, {"x-gbk", "GB18030"}, {"cp936", "GB18030"},
		{"ms936", "GB18030"}, {"windows-936", "GB18030"}, {"gb_2312-80", "GB18030"},
		{"gb_2312", "GB18030"}, {"csgb2312", "GB18030"}, {"chinese", "GB18030"},
		{"big5", "CP950"}, {"big-5", "CP950"}, {"x-x-big5", "CP950"}, {"cn-big5", "CP950"},
		{"csbig5", "CP950"}, {"x-big5", "CP950"},
		{"iso-8859-1", "WINDOWS-1252"}, {"iso8859-1", "WINDOWS-1252"},
		{"iso_8859-1", "WINDOWS-1252"}, {"latin1", "WINDOWS-1252"}, {"l1", "WINDOWS-1252"},
		{"cp819", "WINDOWS-1252"}, {"iso-8859-9", "WINDOWS-1254"},
		{"iso-8859-11", "WINDOWS-874"}, {"tis-620", "WINDOWS-874"},
		{"ks_c_5601-1987", "CP949"}, {"ks_c_5601-1989", "CP949"}, {"euc-kr", "CP949"},
		{"korean", "CP949"}, {"shift_jis", "CP932"}, {"shift-jis", "CP932"},
		{"x-sjis", "CP932"}, {"sjis", "CP932"}, {"ms_kanji", "CP932"},
};

#define WIDEN_N (sizeof(widen) / sizeof(widen[0]))

const char *email_charset_widen(const char *label)
{
	size_t i;

	if(label == NULL)
		return NULL;
	for(i = 0; i < WIDEN_N; i++)
		if(strcasecmp(label, widen[i].label) == 0)
			return widen[i].iconv;
	return label;
}

enum { CS_NONE, CS_ASCII, CS_UTF8, CS_OTHER };

/* A label as iconv may be asked for it: letters, digits and ._:- only (no "//" suffix, no
 * path), shorter than EMAIL_CHARSET_MAX. */
static int label_kind(const char *label)
{
	size_t i, n;

	if(label == NULL || (n = strlen(label)) == 0)
		return CS_NONE;
	if(n >= EMAIL_CHARSET_MAX)
		return CS_NONE;
	for(i = 0; i < n; i++) {
		char c = label[i];
		if(!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
				   || c == '.' || c == '_' || c == ':' || c == '-'))
			return CS_NONE;
	}
	if(strcasecmp(label, "utf-8") == 0 || strcasecmp(label, "utf8") == 0
			|| strcasecmp(label, "unicode-1-1-utf-8") == 0)
		return CS_UTF8;
	if(strcasecmp(label, "us-ascii") == 0 || strcasecmp(label, "ascii") == 0
			|| strcasecmp(label, "ansi_x3.4-1968") == 0)
		return CS_ASCII; /* what a mailer says when it did not look */
	return CS_OTHER;
}

/* in through cd into b, each byte iconv cannot read as one U+FFFD (and the converter
 * reset, so a stateful charset starts afresh). The bytes replaced. */
static size_t convert(buf_t *b, iconv_t cd, const char *in, size_t len)
{
	char tmp[4096], *ip = (char *)in, *op;
	size_t il = len, ol, r, bad = 0;
	int e;

	while(il > 0 && !b->over && !b->oom) {
		op = tmp;
		ol = sizeof(tmp);
		r = iconv(cd, &ip, &il, &op, &ol);
		e = errno;
		feed_utf8(b, tmp, (size_t)(op - tmp));
		if(r != (size_t)-1 || e == E2BIG)
			continue;
		put_text(b, EMAIL_REPLACEMENT);
		bad++;
		if(e != EILSEQ && e != EINVAL)
			break; /* no other error is promised; do not spin on one */
		ip++;
		il--;
		iconv(cd, NULL, NULL, NULL, NULL);
	}
	op = tmp;
	ol = sizeof(tmp);
	if(iconv(cd, NULL, NULL, &op, &ol) != (size_t)-1) /* a stateful charset's last shift */
		feed_utf8(b, tmp, (size_t)(op - tmp));
	return bad;
}

/* in read as charset (an iconv name) into a fresh b: the bytes replaced, or -1 when iconv
 * does not know the charset (b untouched). */
static long try_charset(buf_t *b, const char *charset, const char *in, size_t len, size_t limit)
{
	iconv_t cd = iconv_open("UTF-8", charset);
	size_t bad;

	if(cd == (iconv_t)-1)
		return -1;
	buf_init(b, limit);
	bad = convert(b, cd, in, len);
	iconv_close(cd);
	return (long)(bad > LONG_MAX ? LONG_MAX : bad);
}

size_t email_fallback_names(const char *list, char names[][EMAIL_CHARSET_MAX])
{
	const char *s = list ? list : EMAIL_FALLBACK_DEFAULT, *e;
	size_t n = 0, k;

	while(*s && n < EMAIL_FALLBACK_N) {
		while(*s == ' ' || *s == ',')
			s++;
		for(e = s; *e && *e != ','; e++)
			;
		k = (size_t)(e - s);
		while(k > 0 && s[k - 1] == ' ')
			k--;
		if(k > 0 && k < EMAIL_CHARSET_MAX) {
			memcpy(names[n], s, k);
			names[n][k] = '\0';
			if(label_kind(names[n]) != CS_NONE)
				n++;
		}
		s = e;
	}
	return n;
}

/* Text without a usable label: UTF-8 when it is well-formed UTF-8, else the first fallback
 * that reads every byte, else the one that reads most (the first of equals). */
static void guess(buf_t *b, const char *in, size_t len, const char *fallback, size_t limit,
		int *notes)
{
	char names[EMAIL_FALLBACK_N][EMAIL_CHARSET_MAX];
	size_t n = email_fallback_names(fallback, names), i, best = n;
	long bad, least = -1;
	int eight_bit;
	buf_t t;

	if(valid_utf8(in, len, &eight_bit)) {
		if(eight_bit)
			*notes |= EMAIL_TX_GUESSED;
		buf_init(b, limit);
		feed_utf8(b, in, len);
		return;
	}
	*notes |= EMAIL_TX_GUESSED;
	for(i = 0; i < n; i++) {
		if((bad = try_charset(&t, email_charset_widen(names[i]), in, len, limit)) < 0)
			continue;
		if(bad == 0 && !t.oom) {
			*b = t;
			return;
		}
		free(t.p);
		if(least < 0 || bad < least) {
			least = bad;
			best = i;
		}
	}
	*notes |= EMAIL_TX_INVALID;
	if(best < n && try_charset(b, email_charset_widen(names[best]), in, len, limit) >= 0)
		return;
	buf_init(b, limit); /* no fallback iconv knows: UTF-8, with what is not as U+FFFD */
	feed_utf8(b, in, len);
}

/* A label of a Unicode form whose bytes may happen to be well-formed UTF-8 (UTF-16's
 * ASCII is, with NULs between): never second-guessed. */
static int unicode_form(const char *label)
{
	return strncasecmp(label, "utf-16", 6) == 0 || strncasecmp(label, "utf16", 5) == 0
		   || strncasecmp(label, "utf-32", 6) == 0 || strncasecmp(label, "utf32", 5) == 0
		   || strncasecmp(label, "ucs", 3) == 0 || strncasecmp(label, "unicode", 7) == 0;
}

char *email_to_utf8(const char *charset, const char *in, size_t len, const char *fallback,
		size_t limit, size_t *out_len, int *over, int *notes)
{
	int kind = label_kind(charset), eight_bit, dummy = 0;
	long bad;
	buf_t b;

	if(notes == NULL)
		notes = &dummy;
	*notes = 0;
	if(in == NULL)
		len = 0;
	/* A UTF-8 label is believed: no legacy charset reads UTF-8's bytes as they are meant,
	 * while GB18030 would read most of them as some other Chinese. And text that is
	 * well-formed UTF-8 with non-ASCII in it is UTF-8 whatever its label says: legacy text
	 * of more than a few characters almost never is, and UTF-8 labelled iso-8859-1 or
	 * gb2312 (a webmail's default) is common. */
	if(kind == CS_UTF8
			|| (kind == CS_OTHER && !unicode_form(charset) && valid_utf8(in, len, &eight_bit)
					&& eight_bit)) {
		if(kind != CS_UTF8)
			*notes |= EMAIL_TX_GUESSED;
		buf_init(&b, limit);
		if(feed_utf8(&b, in, len) > 0)
			*notes |= EMAIL_TX_INVALID;
		return buf_done(&b, out_len, over);
	}
	if(kind == CS_OTHER
			&& (bad = try_charset(&b, email_charset_widen(charset), in, len, limit)) >= 0) {
		if(bad > 0)
			*notes |= EMAIL_TX_INVALID;
		return buf_done(&b, out_len, over);
	}
	guess(&b, in, len, fallback, limit, notes);
	return buf_done(&b, out_len, over);
}

/* ---- bounds --------------------------------------------------------------------- */

/* The start of the character at or before n in UTF-8 text. */
static size_t char_start(const char *t, size_t n)
{
	while(n > 0 && ((unsigned char)t[n] & 0xc0) == 0x80)
		n--;
	return n;
}

size_t email_text_cut(char *t, size_t len, size_t max, int force)
{
	size_t n;

	if(len <= max && !force) {
		t[len] = '\0';
		return len;
	}
	n = len + 3 <= max ? len : char_start(t, max - 3);
	memcpy(t + n, ELLIPSIS, 3);
	t[n + 3] = '\0';
	return n + 3;
}

/* ---- names and header lines ----------------------------------------------------- */

size_t email_safe_filename(const char *name, char *out, size_t size)
{
	const char *base = name, *p, *end, *dot;
	size_t k, bad, n, ext, stem;
	uint32_t cp;
	buf_t b;

	if(size > 0)
		out[0] = '\0';
	if(name == NULL || size < EMAIL_FILENAME_MAX + 1)
		return 0;
	for(p = name; *p; p++)
		if(*p == '/' || *p == '\\')
			base = p + 1;
	buf_init(&b, SIZE_MAX);
	for(p = base, end = base + strlen(base); p < end && !b.oom;) {
		if((k = omniq_utf8_next((const unsigned char *)p, (size_t)(end - p), &cp, &bad)) == 0) {
			put_cp(&b, EMAIL_REPLACEMENT);
			p += bad;
			continue;
		}
		p += k;
		if(is_control(cp))
			continue;
		put_cp(&b, cp < 0x80 && strchr(":*?\"<>|", (int)cp) ? '_' : cp);
	}
	if(buf_done(&b, &n, NULL) == NULL)
		return 0;
	for(p = b.p; *p == '.' || *p == ' '; p++)
		;
	n -= (size_t)(p - b.p);
	while(n > 0 && (p[n - 1] == '.' || p[n - 1] == ' '))
		n--;
	if(n > EMAIL_FILENAME_MAX) {
		dot = NULL;
		for(k = 0; k < n; k++)
			if(p[k] == '.')
				dot = p + k;
		ext = dot && dot > p ? n - (size_t)(dot - p) : 0;
		if(ext > 16)
			ext = 0; /* no extension, or one too long to be worth keeping */
		stem = char_start(p, EMAIL_FILENAME_MAX - ext);
		memcpy(out, p, stem);
		memcpy(out + stem, p + n - ext, ext);
		n = stem + ext;
	} else {
		memcpy(out, p, n);
	}
	out[n] = '\0';
	free(b.p);
	return n;
}

char *email_clean_line(const char *s, size_t max, int *cut)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n = s ? strlen(s) : 0, k, bad, len;
	int space = 0;
	uint32_t cp;
	buf_t b;
	char *r;

	if(cut)
		*cut = 0;
	if(max < 3)
		max = 3;
	buf_init(&b, max < SIZE_MAX - 4 ? max + 4 : SIZE_MAX);
	while(i < n && !b.over && !b.oom) {
		if((k = omniq_utf8_next(p + i, n - i, &cp, &bad)) == 0) {
			cp = EMAIL_REPLACEMENT;
			k = bad;
		}
		i += k;
		if(cp == '\t' || cp == '\n' || cp == '\r' || cp == ' ') {
			space = 1;
			continue;
		}
		if(is_control(cp))
			continue;
		if(space && b.len > 0)
			put_cp(&b, ' ');
		space = 0;
		put_cp(&b, cp);
	}
	if((r = buf_done(&b, &len, NULL)) == NULL)
		return NULL;
	if(len > max) { /* over the limit means over max too: a character is 4 bytes at most */
		if(cut)
			*cut = 1;
		len = email_text_cut(r, len, max, 0);
	}
	return r;
}
