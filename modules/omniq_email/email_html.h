/*
 * email_html.h - an HTML part (Outlook sends nothing else; many web mailers neither) as the
 * plain text an agent reads: what a browser would show, without its layout. Safe by being
 * text: no tag, script or style survives, only the characters they enclosed (and not even
 * those for script, style, head and title).
 *
 * Pure (no Kamailio, no Redis, no GMime, no HTML library): one pass, linear in the input,
 * through the same writer as email_text.h, so the result is clean UTF-8 in the same sense.
 */
#ifndef OMNIQ_EMAIL_HTML_H
#define OMNIQ_EMAIL_HTML_H

#include <stddef.h>

/* Clean UTF-8 from html (len bytes of clean UTF-8, as email_to_utf8 makes it): tags dropped,
 * br, p, div, li, tr, headings and the like as line breaks (li opens with "- "), td and th
 * apart by a space, entities decoded (named ones of HTML 4 in common use, numeric ones),
 * the contents of script, style, head, title and comments dropped, runs of white space as
 * one space (in pre kept as they are), at most one blank line in a row, none at either end.
 * Bounded as email_to_utf8 is. */
char *email_html_to_text(const char *html, size_t len, size_t limit, size_t *out_len,
		int *over);

#endif
