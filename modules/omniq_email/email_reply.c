/*
 * email_reply.c - see email_reply.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gmime/gmime.h>

#include "email_mime.h"
#include "email_reply.h"
#include "email_token.h"

/* the text as HTML: escaped, each line break a <br> */
static char *to_html(const char *t)
{
	static const char head[] = "<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head>"
							   "<body><div style=\"white-space:pre-wrap\">";
	static const char tail[] = "</div></body></html>\n";
	size_t n = strlen(t), i, o = 0;
	char *h = malloc(sizeof(head) + 6 * n + sizeof(tail));

	if(h == NULL)
		return NULL;
	memcpy(h, head, sizeof(head) - 1);
	o = sizeof(head) - 1;
	for(i = 0; i < n; i++) {
		const char *e = NULL;
		switch(t[i]) {
			case '<': e = "&lt;"; break;
			case '>': e = "&gt;"; break;
			case '&': e = "&amp;"; break;
			case '"': e = "&quot;"; break;
			case '\n': e = "<br>\n"; break;
			case '\r': e = ""; break;
		}
		if(e) {
			memcpy(h + o, e, strlen(e));
			o += strlen(e);
		} else
			h[o++] = t[i];
	}
	memcpy(h + o, tail, sizeof(tail));
	return h;
}

static GMimeTextPart *text_part(const char *subtype, const char *text)
{
	GMimeTextPart *p = g_mime_text_part_new_with_subtype(subtype);

	g_mime_text_part_set_text(p, text); /* charset utf-8 when it is not ASCII */
	g_mime_part_set_content_encoding(GMIME_PART(p),
			g_mime_part_get_best_content_encoding(GMIME_PART(p), GMIME_ENCODING_CONSTRAINT_7BIT));
	return p;
}

int email_reply_build(const email_reply_in_t *in, char **out, size_t *len, char *why)
{
	char subject[EMAIL_LINE_MAX + 1], ids[2 * (EMAIL_LINE_MAX + 3) + 2], mid[EMAIL_LINE_MAX + 3];
	GMimeMessage *msg;
	GMimeMultipart *alt;
	GMimeTextPart *plain, *html;
	GMimeFormatOptions *fo;
	GDateTime *dt;
	char *h, *s;

	*out = NULL;
	*len = 0;
	if(in->from_addr == NULL || in->to == NULL || in->message_id == NULL
			|| (in->token == NULL && !in->notice) || in->text == NULL
			|| (in->notice && in->subject == NULL)) {
		snprintf(why, EMAIL_WHY_MAX, "a reply needs its From, To, Message-ID, token and text");
		return -1;
	}
	if(in->notice)
		snprintf(subject, sizeof(subject), "%s", in->subject);
	else if(email_reply_subject(in->subject, in->token, subject, sizeof(subject), why) < 0)
		return -1;
	email_mime_init();
	if((h = to_html(in->text)) == NULL) {
		snprintf(why, EMAIL_WHY_MAX, "out of memory");
		return -1;
	}
	msg = g_mime_message_new(TRUE);
	g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_FROM, in->from_name ? in->from_name : "",
			in->from_addr);
	if(in->reply_to)
		g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_REPLY_TO,
				in->from_name ? in->from_name : "", in->reply_to);
	g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_TO, "", in->to);
	g_mime_message_set_subject(msg, subject, "utf-8");
	g_mime_message_set_message_id(msg, in->message_id);
	dt = g_date_time_new_from_unix_utc(in->date);
	g_mime_message_set_date(msg, dt);
	g_date_time_unref(dt);
	if(in->in_reply_to && in->in_reply_to[0]) {
		snprintf(mid, sizeof(mid), "<%s>", in->in_reply_to);
		g_mime_object_set_header(GMIME_OBJECT(msg), "In-Reply-To", mid, NULL);
		if(in->root && in->root[0] && strcmp(in->root, in->in_reply_to))
			snprintf(ids, sizeof(ids), "<%s> <%s>", in->root, in->in_reply_to);
		else
			snprintf(ids, sizeof(ids), "<%s>", in->in_reply_to);
		g_mime_object_set_header(GMIME_OBJECT(msg), "References", ids, NULL);
	}
	/* RFC 3834: an answer by a person is no auto-reply; a notice is made by the system */
	g_mime_object_set_header(GMIME_OBJECT(msg), "Auto-Submitted",
			in->notice ? "auto-generated" : "no", NULL);
	alt = g_mime_multipart_new_with_subtype("alternative");
	plain = text_part("plain", in->text);
	html = text_part("html", h);
	free(h);
	g_mime_multipart_add(alt, GMIME_OBJECT(plain));
	g_mime_multipart_add(alt, GMIME_OBJECT(html));
	g_object_unref(plain);
	g_object_unref(html);
	g_mime_message_set_mime_part(msg, GMIME_OBJECT(alt));
	g_object_unref(alt);

	fo = g_mime_format_options_new();
	g_mime_format_options_set_newline_format(fo, GMIME_NEWLINE_FORMAT_DOS);
	s = g_mime_object_to_string(GMIME_OBJECT(msg), fo);
	g_mime_format_options_free(fo);
	g_object_unref(msg);
	if(s == NULL || (*out = strdup(s)) == NULL) {
		g_free(s);
		snprintf(why, EMAIL_WHY_MAX, "out of memory");
		return -1;
	}
	g_free(s);
	*len = strlen(*out);
	return 0;
}
