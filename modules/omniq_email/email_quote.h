/*
 * email_quote.h - the shape of a reply's text: where the customer's new words end and the
 * mail they answer, quoted below by their client, begins (so the desk shows the first and
 * folds the second away), and format=flowed lines joined back into paragraphs.
 *
 * Clients mark a quote in a handful of ways that have not changed in decades: an
 * attribution line ("On ... wrote:"), a separator ("-----Original Message-----"), a block
 * of the quoted mail's own header fields (Outlook), or '>' before every quoted line. These
 * are recognised in English and in Chinese (Simplified and Traditional), as Gmail, Outlook,
 * Apple Mail, Thunderbird, Foxmail and QQ Mail write them; a quote marked otherwise stays in
 * the new text, which loses nothing.
 *
 * Pure (no Kamailio, no Redis, no GMime, no allocation): the unit tests run it alone.
 */
#ifndef OMNIQ_EMAIL_QUOTE_H
#define OMNIQ_EMAIL_QUOTE_H

#include <stddef.h>

/* Where the quoted history of text (len bytes of clean UTF-8) begins: the end of the new
 * text (white space before the history excluded), so text[0, result) is what the customer
 * just wrote and text[result, len) what they quoted; len when nothing is quoted, 0 when the
 * text is all quote. The history opens at the first line that is:
 *   an attribution: "On <...digit...> wrote:" (on one line or two, as Gmail wraps it),
 *     "在 <...digit...> 写道：" (or 寫道, colon of either width);
 *   a separator: "-----Original Message-----", "------------------ 原始邮件 ------------------",
 *     "-----原始郵件-----", "-----邮件原件-----" (any run of two or more dashes each side);
 *   a forwarded-header block: "From:" / "发件人：" / "寄件者：" with "Sent:" / "Date:" /
 *     "发送时间：" / "日期：" / "寄件日期：" within the next four lines (a run of underscores
 *     just before it goes with it, as Outlook draws one);
 * or, failing those, the block of lines starting with '>' that ends the text (blank lines
 * within it and after it allowed). */
size_t email_quote_start(const char *text, size_t len);

/* format=flowed (RFC 3676) unflowed in place: a line ending in a space (but the signature
 * separator "-- ") goes on with the next one of the same quote depth, that line's quote
 * marks and stuffed space dropped; with delsp the trailing space goes too. The new length. */
size_t email_unflow(char *text, size_t len, int delsp);

#endif
