/*
 * email_mime.h - one mail (RFC 5322, MIME) turned into what omniq keeps of a customer's
 * message: who wrote it and to whom, the subject, the ids that thread it, whether a
 * machine sent it, the text an agent reads (new text and quoted history told apart), the
 * HTML it came as, and its attachments.
 *
 * GMime 3 parses: the header fields, RFC 2047 encoded-words and RFC 2231 parameters (in
 * any charset iconv knows; gb2312 read as GBK), addresses, dates, the MIME tree and the
 * transfer encodings. What GMime leaves to its caller is done here: which part is the
 * text (text/plain preferred within each multipart/alternative, an HTML part reduced to
 * text, email_html.h, only where there is no plain one) and what counts as an attachment;
 * and in the pure files beside it: the charset of a body (email_text.h: read with
 * fallbacks for a part that has no label or a wrong one), what is stored clean and
 * bounded, where the quoted history begins (email_quote.h).
 *
 * A mail is never lost for one odd part: only a mail with nothing to parse, one over
 * EMAIL_MSG_MAX, and one with no From address are refused; anything else is taken as well
 * as it can be, and what had to be guessed, cut or dropped is said in notes.
 *
 * Memory: everything a parse returns lives until email_mime_free (strings, and the GMime
 * objects an attachment's bytes are read from later); the input is copied and may go.
 * GMime is initialised on the first parse (or by email_mime_init, in mod_init, so that
 * forked children share its tables) and keeps one-time global state until
 * email_mime_shutdown, which is final: GMime 3.2 cannot be started again in the same
 * process. One thread at a time per process, as GMime is.
 *
 * No Kamailio and no Redis: the unit tests link it alone, with GMime.
 */
#ifndef OMNIQ_EMAIL_MIME_H
#define OMNIQ_EMAIL_MIME_H

#include <stddef.h>
#include <stdint.h>

#include "omniq/omniq_limits.h"

#include "email_text.h"

#define EMAIL_MSG_MAX (25u * 1024 * 1024) /* bytes of a mail, as it came */
#define EMAIL_RCPT_MAX 32                 /* To and Cc addresses kept, each */
#define EMAIL_REFS_MAX 32                 /* References kept: the first and the latest */
#define EMAIL_ATTACH_MAX 32               /* attachments listed */
#define EMAIL_PARTS_MAX 16                /* text parts joined into the text */
#define EMAIL_ADDR_MAX 320                /* bytes of an address (RFC 5321: 64 + @ + 255) */
#define EMAIL_LINE_MAX 998                /* bytes of a subject, name, id (RFC 5322's line) */
#define EMAIL_ATTACH_BYTES_MAX OMNIQ_MEDIA_MAX /* default decode limit of one attachment */
#define EMAIL_WHY_MAX 128

/* What marks a mail as sent by a machine (email_msg_t.flags). RFC 3834: answer none of
 * them automatically (EMAIL_F_NO_AUTOREPLY); a session need not be opened for them. */
#define EMAIL_F_AUTO 0x1   /* Auto-Submitted other than "no", X-Autoreply, X-Autorespond,
							  Precedence: auto_reply */
#define EMAIL_F_BULK 0x2   /* Precedence: bulk, junk or list */
#define EMAIL_F_LIST 0x4   /* List-Id, List-Unsubscribe, List-Post, Mailing-List, ... */
#define EMAIL_F_BOUNCE 0x8 /* a delivery or disposition report (multipart/report), the
							  null Return-Path "<>", or From MAILER-DAEMON */
#define EMAIL_F_SUPPRESS 0x10 /* X-Auto-Response-Suppress other than None: a person's mail,
								maybe, but its sender asks for no automatic answer */
#define EMAIL_F_NO_AUTOREPLY (EMAIL_F_AUTO | EMAIL_F_BULK | EMAIL_F_LIST | EMAIL_F_BOUNCE \
		| EMAIL_F_SUPPRESS)

/* What was taken best-effort (email_msg_t.notes), for the module's log. */
#define EMAIL_N_TEXT_CUT 0x001  /* the text was over EMAIL_TEXT_MAX: cut, "…" */
#define EMAIL_N_CHARSET 0x002   /* a text's charset was missing, unknown or wrong: guessed */
#define EMAIL_N_INVALID 0x004   /* bytes their charset cannot read became U+FFFD */
#define EMAIL_N_RCPT_CUT 0x008  /* more than EMAIL_RCPT_MAX addresses in To or Cc */
#define EMAIL_N_REFS_CUT 0x010  /* more than EMAIL_REFS_MAX References */
#define EMAIL_N_ATTACH_CUT 0x020 /* more than EMAIL_ATTACH_MAX attachments */
#define EMAIL_N_PARTS_CUT 0x040 /* more than EMAIL_PARTS_MAX text parts */
#define EMAIL_N_MALFORMED 0x080 /* GMime found the structure broken: a truncated part, a
								   multipart without its boundary or children, nesting
								   too deep, a header that is no header */
#define EMAIL_N_HEADER_CUT 0x100 /* a subject or name over EMAIL_LINE_MAX, or an address
									over EMAIL_ADDR_MAX (dropped), or an id (dropped) */

typedef struct email_addr {
	char *addr; /* "zhang.san@example.com" (UTF-8 in an internationalised one); NULL: none */
	char *name; /* the display name in UTF-8, "" when none */
} email_addr_t;

typedef struct email_attachment {
	char *filename;   /* UTF-8, safe to store (email_safe_filename): never "", one made
						 up ("attachment-3.pdf") when the mail gives none */
	char *media_type; /* "application/pdf", lower case */
	char *content_id; /* without <>, for an inline part an HTML body names as "cid:";
						 NULL when none */
	int is_inline;    /* Content-Disposition inline, or none and a Content-ID */
	size_t size;      /* bytes decoded */
	int too_large;    /* size over the decode limit: listed, email_mime_attachment refuses */
	void *part_;      /* the GMime object (internal) */
} email_attachment_t;

typedef struct email_msg {
	email_addr_t from;     /* addr never NULL after a parse */
	email_addr_t reply_to; /* the first Reply-To mailbox; addr NULL when none */
	email_addr_t to[EMAIL_RCPT_MAX];
	size_t n_to;
	email_addr_t cc[EMAIL_RCPT_MAX];
	size_t n_cc;
	char *subject;      /* "" when none */
	int64_t date;       /* Unix seconds, -1 when absent or unreadable */
	char *message_id;   /* without <>; NULL when none */
	char *in_reply_to;  /* the first id in In-Reply-To, without <>; NULL when none */
	char *refs[EMAIL_REFS_MAX]; /* References, without <>: the first (the thread's
								   root) and the latest, in their order */
	size_t n_refs;
	unsigned flags;     /* EMAIL_F_* */

	char *text;         /* what the agent reads: UTF-8, clean, <= EMAIL_TEXT_MAX bytes;
						   "" when the mail has no text */
	size_t text_len;
	size_t quote_at;    /* text[0, quote_at) is new, text[quote_at, text_len) quoted
						   history, the white space before it included
						   (email_quote_start); text_len when there is none */
	int text_from_html; /* some of the text was reduced from HTML */
	char *html;         /* the first text/html part, UTF-8 (clean, not cut); NULL: none */
	size_t html_len;

	email_attachment_t att[EMAIL_ATTACH_MAX];
	size_t n_att;
	unsigned notes;     /* EMAIL_N_* */

	void *gm_;          /* the GMime message and what it needs (internal) */
	size_t attach_max_;
} email_msg_t;

typedef struct email_opts {
	const char *fallback; /* charsets for text with no usable label, comma-separated;
							 NULL: EMAIL_FALLBACK_DEFAULT */
	size_t attach_max;    /* decoded bytes an attachment may have to be read;
							 0: EMAIL_ATTACH_BYTES_MAX */
} email_opts_t;

/* GMime's one-time set-up and tear-down; email_mime_parse calls init itself when needed.
 * Init seeds rand() with the time (GMime's boundary generator) and calls tzset(); after
 * shutdown (mod_destroy, a test's end) every parse is refused and init does nothing. */
void email_mime_init(void);
void email_mime_shutdown(void);

/* One mail (len bytes) into m; opts may be NULL. 0, or -1 with why (EMAIL_WHY_MAX bytes):
 * no input or 0 bytes, over EMAIL_MSG_MAX, nothing GMime can parse (no header block: the
 * first line is no header), no From header, a From with no address in it (no '@'), or
 * only one over EMAIL_ADDR_MAX; GMime shut down; out of memory. Either way m is then fit
 * for email_mime_free (on -1 it holds nothing). */
int email_mime_parse(const char *in, size_t len, const email_opts_t *opts, email_msg_t *m,
		char *why);

/* Attachment i's decoded bytes into buf (size bytes), their count in *len. 0, or -1 with
 * why: no such attachment, one over the decode limit, or size too small (then nothing
 * useful is in buf; m->att[i].size says how much is needed). */
int email_mime_attachment(const email_msg_t *m, size_t i, unsigned char *buf, size_t size,
		size_t *len, char *why);

/* Everything m holds; m is zeroed and may be freed again or reused. */
void email_mime_free(email_msg_t *m);

#endif
