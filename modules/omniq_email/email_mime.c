/*
 * email_mime.c - see email_mime.h.
 *
 * GMime builds the tree; one walk over it sorts each leaf into text (a text/plain or
 * text/html part that is neither an attachment nor named) or attachment, choosing within a
 * multipart/alternative the branch that has plain text. An attachment's bytes are decoded
 * by one function (part_bytes) whether they are counted at parse time or copied out later,
 * so the size listed and the bytes given cannot disagree; it streams through GMime's
 * decoding filter into the caller's buffer, never holding a decoded copy of its own.
 *
 * GMime decodes header values lazily with the parser options it was given, and keeps a
 * pointer to them rather than a copy: the options live with the message until
 * email_mime_free, and so does the warning sink they point to.
 */
#include <gmime/gmime.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "email_html.h"
#include "email_mime.h"
#include "email_quote.h"

#define WALK_DEPTH_MAX 32 /* multipart levels the walk descends; GMime's own limit is 1024 */

typedef struct gm {
	GMimeParserOptions *opts;
	GMimeMessage *msg;
	int broken; /* GMime reported a broken structure */
} gm_t;

/* GMime cannot start again once shut down (3.2: g_mime_init registers the crypto
 * contexts into a table that only the first g_type registration creates, and shutdown
 * destroys it): after email_mime_shutdown, parsing is refused, not restarted. */
static enum { GM_DOWN, GM_UP, GM_GONE } gm_state;

void email_mime_init(void)
{
	if(gm_state == GM_DOWN) {
		g_mime_init();
		gm_state = GM_UP;
	}
}

void email_mime_shutdown(void)
{
	if(gm_state == GM_UP)
		g_mime_shutdown();
	gm_state = GM_GONE;
}

static int fail(char *why, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(char *why, const char *fmt, ...)
{
	va_list ap;

	if(why) {
		va_start(ap, fmt);
		vsnprintf(why, EMAIL_WHY_MAX, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* Warnings about the structure (not those about a header's style) become a note. */
static void on_warning(gint64 offset, GMimeParserWarning code, const gchar *item, gpointer data)
{
	gm_t *g = data;

	(void)offset;
	(void)item;
	switch(code) {
		case GMIME_WARN_MALFORMED_MULTIPART:
		case GMIME_WARN_TRUNCATED_MESSAGE:
		case GMIME_WARN_MALFORMED_MESSAGE:
		case GMIME_CRIT_INVALID_HEADER_NAME:
		case GMIME_CRIT_MULTIPART_WITHOUT_BOUNDARY:
		case GMIME_CRIT_NESTING_OVERFLOW:
		case GMIME_WARN_PART_WITHOUT_CONTENT:
		case GMIME_CRIT_PART_WITHOUT_HEADERS_OR_CONTENT:
			g->broken = 1;
			break;
		default:
			break;
	}
}

/* ---- headers -------------------------------------------------------------------- */

static const char *header(GMimeObject *o, const char *name)
{
	return g_mime_object_get_header(o, name);
}

/* Whether the first word of a header value (before ';', '(' or white space) is w. */
static int first_word_is(const char *v, const char *w)
{
	size_t n = strlen(w);

	if(v == NULL)
		return 0;
	while(*v == ' ' || *v == '\t')
		v++;
	return strncasecmp(v, w, n) == 0
		   && (v[n] == '\0' || v[n] == ';' || v[n] == '(' || v[n] == ' ' || v[n] == '\t');
}

static int blank(const char *v)
{
	if(v == NULL)
		return 1;
	while(*v == ' ' || *v == '\t')
		v++;
	return *v == '\0';
}

/* A mailbox into a: 0, or -1 when it has no usable address (none, no '@', too long). */
static int take_mailbox(InternetAddress *ia, email_addr_t *a, unsigned *notes)
{
	const char *addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia));
	const char *name = internet_address_get_name(ia);
	int cut;

	if(blank(addr) || strchr(addr, '@') == NULL)
		return -1;
	if((a->addr = email_clean_line(addr, EMAIL_ADDR_MAX, &cut)) == NULL)
		return -1;
	if(cut || strchr(a->addr, ' ') != NULL) {
		*notes |= EMAIL_N_HEADER_CUT;
		free(a->addr);
		a->addr = NULL;
		return -1;
	}
	if((a->name = email_clean_line(name ? name : "", EMAIL_LINE_MAX, &cut)) == NULL) {
		free(a->addr);
		a->addr = NULL;
		return -1;
	}
	if(cut)
		*notes |= EMAIL_N_HEADER_CUT;
	return 0;
}

/* The mailboxes of list (a group's members in its place) into out, at most max: how many.
 * more is set when there were more usable ones. */
static size_t take_list(InternetAddressList *list, email_addr_t *out, size_t max,
		unsigned *notes, int *more)
{
	InternetAddressList *members;
	InternetAddress *ia, *im;
	int i, j, n = list ? internet_address_list_length(list) : 0, k;
	size_t got = 0;

	for(i = 0; i < n; i++) {
		ia = internet_address_list_get_address(list, i);
		if(INTERNET_ADDRESS_IS_GROUP(ia)) {
			members = internet_address_group_get_members(INTERNET_ADDRESS_GROUP(ia));
			k = members ? internet_address_list_length(members) : 0;
			for(j = 0; j < k; j++) {
				im = internet_address_list_get_address(members, j);
				if(!INTERNET_ADDRESS_IS_MAILBOX(im))
					continue; /* groups do not nest (RFC 5322 §3.4) */
				if(got == max) {
					*more = 1;
					return got;
				}
				if(take_mailbox(im, &out[got], notes) == 0)
					got++;
			}
		} else if(INTERNET_ADDRESS_IS_MAILBOX(ia)) {
			if(got == max) {
				*more = 1;
				return got;
			}
			if(take_mailbox(ia, &out[got], notes) == 0)
				got++;
		}
	}
	return got;
}

/* An id as kept: clean, without spaces; NULL (and a note) when it is over EMAIL_LINE_MAX. */
static char *take_id(const char *id, unsigned *notes)
{
	char *s;
	int cut;

	if(blank(id))
		return NULL;
	if((s = email_clean_line(id, EMAIL_LINE_MAX, &cut)) == NULL)
		return NULL;
	if(cut || strchr(s, ' ') != NULL || s[0] == '\0') {
		if(cut)
			*notes |= EMAIL_N_HEADER_CUT;
		free(s);
		return NULL;
	}
	return s;
}

static void take_threading(email_msg_t *m, gm_t *g)
{
	GMimeObject *o = GMIME_OBJECT(g->msg);
	GMimeReferences *refs;
	const char *v;
	int n, i;

	m->message_id = take_id(g_mime_message_get_message_id(g->msg), &m->notes);
	if((v = header(o, "In-Reply-To")) != NULL
			&& (refs = g_mime_references_parse(g->opts, v)) != NULL) {
		if(g_mime_references_length(refs) > 0)
			m->in_reply_to = take_id(g_mime_references_get_message_id(refs, 0), &m->notes);
		g_mime_references_free(refs);
	}
	if((v = header(o, "References")) == NULL
			|| (refs = g_mime_references_parse(g->opts, v)) == NULL)
		return;
	n = g_mime_references_length(refs);
	/* Over the limit, the root and the latest: what threading needs most. */
	for(i = 0; i < n; i++) {
		if(n > EMAIL_REFS_MAX && i > 0 && i < n - (EMAIL_REFS_MAX - 1)) {
			m->notes |= EMAIL_N_REFS_CUT;
			continue;
		}
		if((m->refs[m->n_refs] = take_id(g_mime_references_get_message_id(refs, i), &m->notes))
				!= NULL)
			m->n_refs++;
	}
	g_mime_references_free(refs);
}

static const char *const list_headers[] = {"List-Id", "List-Unsubscribe", "List-Post",
		"List-Help", "List-Subscribe", "List-Owner", "List-Archive", "Mailing-List",
		"X-Mailing-List", NULL};

static unsigned machine_flags(gm_t *g, const email_addr_t *from)
{
	GMimeObject *o = GMIME_OBJECT(g->msg), *top = g_mime_message_get_mime_part(g->msg);
	const char *v, *const *h;
	unsigned f = 0;

	if((v = header(o, "Auto-Submitted")) != NULL && !blank(v) && !first_word_is(v, "no"))
		f |= EMAIL_F_AUTO;
	if(header(o, "X-Autoreply") || header(o, "X-Autorespond") || header(o, "X-Autoresponder"))
		f |= EMAIL_F_AUTO;
	v = header(o, "Precedence");
	if(first_word_is(v, "bulk") || first_word_is(v, "junk"))
		f |= EMAIL_F_BULK;
	if(first_word_is(v, "list"))
		f |= EMAIL_F_BULK | EMAIL_F_LIST;
	if(first_word_is(v, "auto_reply"))
		f |= EMAIL_F_AUTO;
	for(h = list_headers; *h; h++)
		if(header(o, *h))
			f |= EMAIL_F_LIST;
	if(top && g_mime_content_type_is_type(g_mime_object_get_content_type(top), "multipart", "report"))
		f |= EMAIL_F_BOUNCE;
	if((v = header(o, "Return-Path")) != NULL && first_word_is(v, "<>"))
		f |= EMAIL_F_BOUNCE;
	if(from->addr && strncasecmp(from->addr, "mailer-daemon@", 14) == 0)
		f |= EMAIL_F_BOUNCE;
	/* Microsoft's: the sender asks for no automatic answer (All, OOF, AutoReply, ...) */
	if((v = header(o, "X-Auto-Response-Suppress")) != NULL && !blank(v)
			&& !first_word_is(v, "None"))
		f |= EMAIL_F_SUPPRESS;
	return f;
}

/* ---- bytes of a part ------------------------------------------------------------ */

typedef struct sink {
	unsigned char *buf; /* NULL: count only */
	size_t size, len;
	int full;
} sink_t;

static void sink_put(sink_t *k, const char *p, size_t n)
{
	if(k->buf) {
		if(k->full || n > k->size - k->len) {
			k->full = 1;
			return;
		}
		memcpy(k->buf + k->len, p, n);
	}
	k->len += n;
}

/* A part's content with its transfer encoding undone (a message/rfc822 part: the message
 * as GMime writes it), into k. 0, or -1 when GMime could not read or write it. */
static int part_bytes(GMimeObject *o, sink_t *k)
{
	GMimeContentEncoding enc;
	GMimeFilter *f = NULL;
	GMimeDataWrapper *dw;
	GMimeMessage *inner;
	GMimeStream *s;
	size_t outlen, pre;
	char in[4096], *out;
	ssize_t n;
	GByteArray *a;

	if(GMIME_IS_MESSAGE_PART(o)) {
		if((inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(o))) == NULL)
			return 0;
		s = k->buf ? g_mime_stream_mem_new() : g_mime_stream_null_new();
		n = g_mime_object_write_to_stream(GMIME_OBJECT(inner), NULL, s);
		if(n >= 0 && k->buf) {
			a = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(s));
			sink_put(k, (const char *)a->data, a->len);
		} else if(n >= 0) {
			k->len += GMIME_STREAM_NULL(s)->written;
		}
		g_object_unref(s);
		return n < 0 ? -1 : 0;
	}
	if(!GMIME_IS_PART(o) || (dw = g_mime_part_get_content(GMIME_PART(o))) == NULL
			|| (s = g_mime_data_wrapper_get_stream(dw)) == NULL)
		return 0;
	enc = g_mime_data_wrapper_get_encoding(dw);
	if(enc == GMIME_CONTENT_ENCODING_BASE64 || enc == GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE
			|| enc == GMIME_CONTENT_ENCODING_UUENCODE)
		f = g_mime_filter_basic_new(enc, FALSE);
	if(g_mime_stream_reset(s) < 0) {
		if(f)
			g_object_unref(f);
		return -1;
	}
	while((n = g_mime_stream_read(s, in, sizeof(in))) > 0) {
		if(f) {
			g_mime_filter_filter(f, in, (size_t)n, 0, &out, &outlen, &pre);
			sink_put(k, out, outlen);
		} else {
			sink_put(k, in, (size_t)n);
		}
	}
	if(f) {
		g_mime_filter_complete(f, in, 0, 0, &out, &outlen, &pre);
		sink_put(k, out, outlen);
		g_object_unref(f);
	}
	return n < 0 ? -1 : 0;
}

/* A text part's decoded bytes, malloc'd and NUL-terminated (the NUL not counted): NULL
 * only out of memory or when GMime could not read it. */
static char *part_raw(GMimeObject *o, size_t *len)
{
	sink_t k = {NULL, 0, 0, 0};
	char *p;

	if(part_bytes(o, &k) < 0 || (p = malloc(k.len + 1)) == NULL)
		return NULL;
	k.buf = (unsigned char *)p;
	k.size = k.len;
	k.len = 0;
	if(part_bytes(o, &k) < 0 || k.full) {
		free(p);
		return NULL;
	}
	p[k.len] = '\0';
	*len = k.len;
	return p;
}

/* ---- the walk ------------------------------------------------------------------- */

typedef struct seg {
	GMimeObject *part; /* a text part, or */
	const char *raw;   /* the text GMime could not split into parts (a prologue) */
	int html;
} seg_t;

typedef struct segs {
	seg_t s[EMAIL_PARTS_MAX];
	size_t n;
	int plain; /* one of them is text/plain */
} segs_t;

typedef struct walk {
	email_msg_t *m;
	GMimeObject *html; /* the first text/html body part met */
} walk_t;

static void segs_add(walk_t *w, segs_t *out, const seg_t *s)
{
	if(out->n == EMAIL_PARTS_MAX) {
		w->m->notes |= EMAIL_N_PARTS_CUT;
		return;
	}
	out->s[out->n++] = *s;
	if(!s->html)
		out->plain = 1;
}

static const struct {
	const char *type, *ext;
} extensions[] = {
		{"application/pdf", ".pdf"}, {"image/jpeg", ".jpg"}, {"image/png", ".png"},
		{"image/gif", ".gif"}, {"image/webp", ".webp"}, {"text/plain", ".txt"},
		{"text/html", ".html"}, {"text/calendar", ".ics"}, {"message/rfc822", ".eml"},
		{"message/delivery-status", ".txt"}, {"text/rfc822-headers", ".txt"},
		{"application/zip", ".zip"}, {"audio/amr", ".amr"}, {"video/mp4", ".mp4"},
};

static char *lower(char *s)
{
	char *p;

	for(p = s; p && *p; p++)
		if(*p >= 'A' && *p <= 'Z')
			*p = (char)(*p + 32);
	return s;
}

static void attach(walk_t *w, GMimeObject *o)
{
	email_msg_t *m = w->m;
	email_attachment_t *a;
	const char *disp, *name = NULL, *ext = "";
	char safe[EMAIL_FILENAME_MAX + 1], made[64], *type;
	sink_t k = {NULL, 0, 0, 0};
	size_t i;

	if(m->n_att == EMAIL_ATTACH_MAX) {
		m->notes |= EMAIL_N_ATTACH_CUT;
		return;
	}
	a = &m->att[m->n_att];
	type = g_mime_content_type_get_mime_type(g_mime_object_get_content_type(o));
	a->media_type = lower(email_clean_line(type ? type : "application/octet-stream", 127, NULL));
	g_free(type);
	a->content_id = take_id(g_mime_object_get_content_id(o), &m->notes);
	disp = g_mime_object_get_disposition(o);
	a->is_inline = disp ? strcasecmp(disp, "inline") == 0 : a->content_id != NULL;
	if(GMIME_IS_PART(o))
		name = g_mime_part_get_filename(GMIME_PART(o));
	if(email_safe_filename(name, safe, sizeof(safe)) == 0) {
		for(i = 0; a->media_type && i < sizeof(extensions) / sizeof(extensions[0]); i++)
			if(strcmp(a->media_type, extensions[i].type) == 0)
				ext = extensions[i].ext;
		snprintf(made, sizeof(made), "attachment-%zu%s", m->n_att + 1, ext);
		a->filename = strdup(made);
	} else {
		a->filename = strdup(safe);
	}
	if(a->media_type == NULL || a->filename == NULL) { /* out of memory: not listed */
		free(a->media_type);
		free(a->filename);
		free(a->content_id);
		memset(a, 0, sizeof(*a));
		return;
	}
	part_bytes(o, &k); /* a part GMime cannot read counts what it could */
	a->size = k.len;
	a->too_large = a->size > m->attach_max_;
	a->part_ = o; /* the message holds it until email_mime_free */
	m->n_att++;
}

static int is_signature(GMimeContentType *ct)
{
	return g_mime_content_type_is_type(ct, "application", "pgp-signature")
		   || g_mime_content_type_is_type(ct, "application", "pkcs7-signature")
		   || g_mime_content_type_is_type(ct, "application", "x-pkcs7-signature");
}

static void walk(walk_t *w, GMimeObject *o, segs_t *out, int depth)
{
	GMimeContentType *ct = g_mime_object_get_content_type(o);
	GMimeContentDisposition *cd;
	segs_t best, tmp;
	const char *name;
	int i, n, plain, html;
	size_t j;

	if(GMIME_IS_MESSAGE_PART(o)) { /* a forwarded mail: kept whole, as an .eml */
		attach(w, o);
		return;
	}
	if(GMIME_IS_MULTIPART(o)) {
		if(depth >= WALK_DEPTH_MAX) {
			w->m->notes |= EMAIL_N_MALFORMED;
			return;
		}
		n = g_mime_multipart_get_count(GMIME_MULTIPART(o));
		if(n == 0) {
			/* no boundary, or none found: GMime keeps the whole body as the prologue,
			 * and it is all the text there is */
			seg_t s = {NULL, g_mime_multipart_get_prologue(GMIME_MULTIPART(o)), 0};
			if(!blank(s.raw))
				segs_add(w, out, &s);
			return;
		}
		if(!g_mime_content_type_is_type(ct, "multipart", "alternative")) {
			for(i = 0; i < n; i++)
				walk(w, g_mime_multipart_get_part(GMIME_MULTIPART(o), i), out, depth + 1);
			return;
		}
		/* every branch is walked (each may hold inline images); the text comes from the
		 * first that has plain text, else from the first that has any */
		memset(&best, 0, sizeof(best));
		for(i = 0; i < n; i++) {
			memset(&tmp, 0, sizeof(tmp));
			walk(w, g_mime_multipart_get_part(GMIME_MULTIPART(o), i), &tmp, depth + 1);
			if((tmp.plain && !best.plain) || (best.n == 0 && tmp.n > 0))
				best = tmp;
		}
		for(j = 0; j < best.n; j++)
			segs_add(w, out, &best.s[j]);
		return;
	}
	if(!GMIME_IS_PART(o))
		return;
	cd = g_mime_object_get_content_disposition(o);
	name = g_mime_part_get_filename(GMIME_PART(o));
	plain = g_mime_content_type_is_type(ct, "text", "plain");
	html = g_mime_content_type_is_type(ct, "text", "html");
	if((plain || html) && !(cd && g_mime_content_disposition_is_attachment(cd)) && blank(name)) {
		seg_t s = {o, NULL, html};
		if(html && w->html == NULL)
			w->html = o;
		segs_add(w, out, &s);
		return;
	}
	if(is_signature(ct))
		return; /* a signature says nothing to an agent, and cannot be checked here */
	attach(w, o);
}

/* ---- the text ------------------------------------------------------------------- */

static unsigned tx_notes(int tx)
{
	return (tx & EMAIL_TX_GUESSED ? EMAIL_N_CHARSET : 0)
		   | (tx & EMAIL_TX_INVALID ? EMAIL_N_INVALID : 0);
}

/* Part o as UTF-8 (all of it, or up to limit): NULL when it could not be read. */
static char *part_utf8(email_msg_t *m, GMimeObject *o, const char *fallback, size_t limit,
		size_t *len, int *over)
{
	const char *charset = g_mime_object_get_content_type_parameter(o, "charset");
	size_t rlen = 0;
	char *raw, *u;
	int tx = 0;

	if((raw = part_raw(o, &rlen)) == NULL)
		return NULL;
	u = email_to_utf8(charset, raw, rlen, fallback, limit, len, over, &tx);
	free(raw);
	m->notes |= tx_notes(tx);
	return u;
}

/* One segment's text into *t (malloc'd); the HTML part it came from kept as m->html when
 * it is the first. 0, or -1 when it could not be read. */
static int seg_text(email_msg_t *m, walk_t *w, const seg_t *s, const char *fallback,
		char **t, size_t *len, int *over)
{
	const char *format, *delsp;
	size_t ulen;
	int tx = 0;
	char *u;

	if(s->raw) {
		*t = email_to_utf8(NULL, s->raw, strlen(s->raw), fallback, EMAIL_TEXT_MAX + 4, len,
				over, &tx);
		m->notes |= tx_notes(tx);
		return *t ? 0 : -1;
	}
	if(s->html) {
		if((u = part_utf8(m, s->part, fallback, SIZE_MAX, &ulen, NULL)) == NULL)
			return -1;
		*t = email_html_to_text(u, ulen, EMAIL_TEXT_MAX + 4, len, over);
		if(s->part == w->html && m->html == NULL) {
			m->html = u;
			m->html_len = ulen;
		} else {
			free(u);
		}
		return *t ? 0 : -1;
	}
	if((*t = part_utf8(m, s->part, fallback, EMAIL_TEXT_MAX + 4, len, over)) == NULL)
		return -1;
	format = g_mime_object_get_content_type_parameter(s->part, "format");
	delsp = g_mime_object_get_content_type_parameter(s->part, "delsp");
	if(format && strcasecmp(format, "flowed") == 0)
		*len = email_unflow(*t, *len, delsp && strcasecmp(delsp, "yes") == 0);
	return 0;
}

/* The text of the segments, without the white space they end in, joined by blank lines,
 * bounded; and the HTML. */
static int take_text(email_msg_t *m, walk_t *w, const segs_t *segs, const char *fallback)
{
	char *parts[EMAIL_PARTS_MAX], *t;
	size_t lens[EMAIL_PARTS_MAX], total = 0, i, n = 0, ulen;
	int over, cut = 0;

	for(i = 0; i < segs->n; i++) {
		over = 0;
		if(seg_text(m, w, &segs->s[i], fallback, &parts[n], &lens[n], &over) < 0)
			continue; /* a part GMime cannot read: the others still make the text */
		cut |= over;
		if(segs->s[i].html)
			m->text_from_html = 1;
		while(lens[n] > 0 && (parts[n][lens[n] - 1] == '\n' || parts[n][lens[n] - 1] == ' '
								   || parts[n][lens[n] - 1] == '\t'))
			lens[n]--;
		if(lens[n] == 0) {
			free(parts[n]);
			continue;
		}
		total += lens[n] + (n > 0 ? 2 : 0);
		n++;
	}
	if(w->html && m->html == NULL) /* plain text chosen: the HTML is kept all the same */
		m->html = part_utf8(m, w->html, fallback, SIZE_MAX, &m->html_len, NULL);
	t = malloc(total + 5);
	for(i = 0, total = 0; i < n; i++) {
		if(t) {
			if(i > 0) { /* parts apart by a blank line */
				t[total++] = '\n';
				t[total++] = '\n';
			}
			memcpy(t + total, parts[i], lens[i]);
			total += lens[i];
		}
		free(parts[i]);
	}
	if(t == NULL)
		return -1;
	ulen = email_text_cut(t, total, EMAIL_TEXT_MAX, cut);
	if(cut || ulen != total)
		m->notes |= EMAIL_N_TEXT_CUT;
	m->text = t;
	m->text_len = ulen;
	m->quote_at = email_quote_start(t, ulen);
	return 0;
}

/* ---- the message ---------------------------------------------------------------- */

static void set_fallbacks(GMimeParserOptions *opts, const char *fallback)
{
	char names[EMAIL_FALLBACK_N][EMAIL_CHARSET_MAX];
	const char *list[EMAIL_FALLBACK_N + 2];
	size_t n = email_fallback_names(fallback, names), i;

	/* GMime reads an unlabelled 8-bit header in the first of these that takes all of it */
	list[0] = "UTF-8";
	for(i = 0; i < n; i++)
		list[i + 1] = email_charset_widen(names[i]);
	list[n + 1] = NULL;
	g_mime_parser_options_set_fallback_charsets(opts, list);
}

int email_mime_parse(const char *in, size_t len, const email_opts_t *opts, email_msg_t *m,
		char *why)
{
	const char *fallback = opts ? opts->fallback : NULL;
	GMimeStream *stream;
	GMimeParser *parser;
	segs_t segs;
	walk_t w;
	gm_t *g;
	int cut, more = 0;

	memset(m, 0, sizeof(*m));
	m->date = -1;
	if(in == NULL || len == 0)
		return fail(why, "an empty message");
	if(len > EMAIL_MSG_MAX)
		return fail(why, "a message of %zu bytes, over the limit of %u", len, EMAIL_MSG_MAX);
	email_mime_init();
	if(gm_state != GM_UP)
		return fail(why, "GMime was shut down");
	if((g = calloc(1, sizeof(*g))) == NULL)
		return fail(why, "out of memory");
	m->gm_ = g;
	m->attach_max_ = opts && opts->attach_max ? opts->attach_max : EMAIL_ATTACH_BYTES_MAX;
	g->opts = g_mime_parser_options_new();
	set_fallbacks(g->opts, fallback);
	g_mime_parser_options_set_warning_callback(g->opts, on_warning, g);
	stream = g_mime_stream_mem_new_with_buffer(in, len);
	parser = g_mime_parser_new_with_stream(stream);
	g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
	g->msg = g_mime_parser_construct_message(parser, g->opts);
	g_object_unref(parser);
	g_object_unref(stream); /* the message keeps what it needs of it */
	if(g->msg == NULL) {
		email_mime_free(m);
		return fail(why, "not a mail: GMime found no header block");
	}

	if(header(GMIME_OBJECT(g->msg), "From") == NULL) {
		email_mime_free(m);
		return fail(why, "no From header");
	}
	if(take_list(g_mime_message_get_from(g->msg), &m->from, 1, &m->notes, &more) == 0) {
		email_mime_free(m);
		return fail(why, "no address in From");
	}
	more = 0;
	take_list(g_mime_message_get_reply_to(g->msg), &m->reply_to, 1, &m->notes, &more);
	m->n_to = take_list(g_mime_message_get_to(g->msg), m->to, EMAIL_RCPT_MAX, &m->notes, &more);
	m->n_cc = take_list(g_mime_message_get_cc(g->msg), m->cc, EMAIL_RCPT_MAX, &m->notes, &more);
	if(more)
		m->notes |= EMAIL_N_RCPT_CUT;
	m->subject = email_clean_line(g_mime_message_get_subject(g->msg), EMAIL_LINE_MAX, &cut);
	if(cut)
		m->notes |= EMAIL_N_HEADER_CUT;
	if(g_mime_message_get_date(g->msg))
		m->date = g_date_time_to_unix(g_mime_message_get_date(g->msg));
	take_threading(m, g);
	m->flags = machine_flags(g, &m->from);

	memset(&segs, 0, sizeof(segs));
	memset(&w, 0, sizeof(w));
	w.m = m;
	if(g_mime_message_get_mime_part(g->msg))
		walk(&w, g_mime_message_get_mime_part(g->msg), &segs, 0);
	if(m->subject == NULL || take_text(m, &w, &segs, fallback) < 0) {
		email_mime_free(m);
		return fail(why, "out of memory");
	}
	if(g->broken)
		m->notes |= EMAIL_N_MALFORMED;
	return 0;
}

int email_mime_attachment(const email_msg_t *m, size_t i, unsigned char *buf, size_t size,
		size_t *len, char *why)
{
	const email_attachment_t *a;
	sink_t k = {buf, size, 0, 0};

	if(len)
		*len = 0;
	if(m == NULL || m->gm_ == NULL || i >= m->n_att)
		return fail(why, "no attachment %zu", i);
	a = &m->att[i];
	if(a->too_large)
		return fail(why, "attachment %zu has %zu bytes, over the limit of %zu", i, a->size,
				m->attach_max_);
	if(size < a->size)
		return fail(why, "attachment %zu needs %zu bytes, the buffer has %zu", i, a->size, size);
	if(part_bytes(a->part_, &k) < 0)
		return fail(why, "GMime could not read attachment %zu", i);
	if(k.full)
		return fail(why, "attachment %zu grew past %zu bytes", i, size);
	if(len)
		*len = k.len;
	return 0;
}

static void free_addr(email_addr_t *a)
{
	free(a->addr);
	free(a->name);
}

void email_mime_free(email_msg_t *m)
{
	gm_t *g;
	size_t i;

	if(m == NULL)
		return;
	free_addr(&m->from);
	free_addr(&m->reply_to);
	for(i = 0; i < m->n_to; i++)
		free_addr(&m->to[i]);
	for(i = 0; i < m->n_cc; i++)
		free_addr(&m->cc[i]);
	free(m->subject);
	free(m->message_id);
	free(m->in_reply_to);
	for(i = 0; i < m->n_refs; i++)
		free(m->refs[i]);
	free(m->text);
	free(m->html);
	for(i = 0; i < m->n_att; i++) {
		free(m->att[i].filename);
		free(m->att[i].media_type);
		free(m->att[i].content_id);
	}
	if((g = m->gm_) != NULL) {
		if(g->msg)
			g_object_unref(g->msg);
		if(g->opts)
			g_mime_parser_options_free(g->opts);
		free(g);
	}
	memset(m, 0, sizeof(*m));
}
