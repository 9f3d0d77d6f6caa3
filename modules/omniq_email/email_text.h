/*
 * email_text.h - a mail's text as omniq stores it: a part's bytes in whatever charset it
 * says (or does not say) turned into clean UTF-8, bounded on a character boundary; a header
 * value as one clean line; an attachment's name as a safe file name.
 *
 * Mail is where charsets lie most: a part labelled gb2312 holds GBK, one labelled
 * iso-8859-1 holds Windows-1252 (or UTF-8), one labelled nothing holds whatever the
 * sender's machine used. So a label is read as its usual superset (gb2312 and gbk as
 * GB18030, big5 as CP950, iso-8859-1 as Windows-1252, as browsers do; us-ascii, which a
 * mailer writes when it did not look, as no label at all); a text that is well-formed
 * UTF-8 with non-ASCII in it is taken as UTF-8 whatever its (non-Unicode) label says
 * (legacy text of any length almost never is, UTF-8 labelled gb2312 or iso-8859-1 is
 * common); and a text with no usable label is tried in UTF-8 and then in the fallback
 * charsets, the first that reads every byte winning (else the one that reads most). The
 * fallbacks depend on who writes to the deployment: GB18030 before Windows-1252 suits a
 * Chinese clientele and reads Latin-1 German as Chinese ("Grüße": ü and ß are a GB18030
 * pair); a European one wants the order reversed.
 *
 * Clean means: ill-formed bytes become U+FFFD (one per byte a legacy charset cannot read,
 * one per maximal ill-formed sequence of UTF-8), CRLF
 * and a lone CR become LF, NUL and every other control (C0 but \n and \t, DEL, C1) and a
 * leading BOM are dropped. Never less: a customer's text is not lost for one bad byte.
 *
 * Pure (no Kamailio, no Redis, no GMime): glibc's iconv and malloc only; the unit tests run
 * it alone. Strings returned are malloc'd and NUL-terminated; NULL only when out of memory.
 * email_html.h reduces an HTML part to such text, email_quote.h finds its quoted history.
 */
#ifndef OMNIQ_EMAIL_TEXT_H
#define OMNIQ_EMAIL_TEXT_H

#include <stddef.h>

#include "omniq/omniq_limits.h"

/* What an agent reads is one message body of the core: at most this many bytes, cut on a
 * character boundary with "…" when longer (the quoted history counts). */
#define EMAIL_TEXT_MAX OMNIQ_BODY_MAX
/* Fallback charsets (comma-separated, at most EMAIL_FALLBACK_N) when none is given. */
#define EMAIL_FALLBACK_DEFAULT "GB18030,WINDOWS-1252"
#define EMAIL_FALLBACK_N 8
#define EMAIL_CHARSET_MAX 40 /* bytes of a charset label; a longer one is unknown */
#define EMAIL_FILENAME_MAX 255 /* bytes of a safe file name (ext4's, and most others') */

/* What a conversion had to guess or replace (email_to_utf8's *notes). */
#define EMAIL_TX_GUESSED 0x1 /* no label, an unknown one, or one the bytes contradict */
#define EMAIL_TX_INVALID 0x2 /* some bytes became U+FFFD */

/* in (len bytes) labelled charset (NULL or "": none) as clean UTF-8, no longer than limit
 * bytes (SIZE_MAX: all of it; a longer text stops at the last whole character within limit
 * and *over is set, so that the caller cuts it with email_text_cut). fallback: a
 * comma-separated list of charsets for text without a usable label (NULL:
 * EMAIL_FALLBACK_DEFAULT). *notes: EMAIL_TX_* (notes may be NULL, and so may over). */
char *email_to_utf8(const char *charset, const char *in, size_t len, const char *fallback,
		size_t limit, size_t *out_len, int *over, int *notes);

/* The charsets of a fallback list (NULL: EMAIL_FALLBACK_DEFAULT), in its order, into
 * names: at most EMAIL_FALLBACK_N, those that are no charset label left out. How many. */
size_t email_fallback_names(const char *list, char names[][EMAIL_CHARSET_MAX]);

/* The charset iconv is asked for when a part says label ("gb2312" -> "GB18030"; a label it
 * does not widen comes back as it is). For the tests and the module's log. */
const char *email_charset_widen(const char *label);

/* text (len bytes of UTF-8) cut to at most max bytes: when longer, or when force says it
 * was cut before (a limit stopped a conversion), the whole characters that fit before "…"
 * and "…"; NUL-terminated. The new length (len when it fitted). max must be at least 3
 * and text have room for min(len + 3, max) + 1 bytes. */
size_t email_text_cut(char *text, size_t len, size_t max, int force);

/* name (UTF-8, as a mail gives it) as a file name safe to store: the part after the last
 * '/' or '\\', controls dropped, ill-formed bytes as U+FFFD, the characters Windows forbids
 * (:*?"<>|) as '_', no leading dot or space and no trailing dot or space, at most
 * EMAIL_FILENAME_MAX bytes (the extension kept when cut). Into out (size bytes, at least
 * EMAIL_FILENAME_MAX + 1): its length, 0 when nothing is left (out is "" then). */
size_t email_safe_filename(const char *name, char *out, size_t size);

/* s as one clean line of UTF-8 (a header value): ill-formed bytes as U+FFFD, tabs and line
 * breaks as spaces, other controls dropped, runs of spaces as one, none at either end, at
 * most max bytes (at least 3; cut as email_text_cut does, *cut set then when cut is not
 * NULL). */
char *email_clean_line(const char *s, size_t max, int *cut);

#endif
