/*
 * wechat_xml.c - see wechat_xml.h.
 */
#include <stdio.h>
#include <string.h>

#include <expat.h>

#include "wechat_xml.h"

typedef struct st {
	XML_Parser p;
	wx_xml_t *x;
	int depth;
	int bad;
	char why[WX_XML_WHY];
	char path[128];       /* the element being read: "Name" or "Parent.Child" */
	size_t start;         /* where its value begins in x->buf */
	int open;             /* a value is being collected */
} st_t;

static void stop(st_t *s, const char *why)
{
	if(!s->bad) {
		s->bad = 1;
		snprintf(s->why, sizeof(s->why), "%s", why);
	}
	XML_StopParser(s->p, XML_FALSE);
}

static int put(st_t *s, const char *data, size_t len)
{
	if(s->x->used + len + 1 > sizeof(s->x->buf)) {
		stop(s, "callback too large");
		return -1;
	}
	memcpy(s->x->buf + s->x->used, data, len);
	s->x->used += len;
	return 0;
}

static void on_start(void *ud, const XML_Char *name, const XML_Char **attrs)
{
	st_t *s = ud;
	size_t n;

	(void)attrs;
	s->depth++;
	if(s->depth == 1) {
		if(strcmp(name, "xml"))
			stop(s, "the root element is not <xml>");
		return;
	}
	if(s->depth > 3) {
		stop(s, "nested too deep");
		return;
	}
	if(s->depth == 2) {
		n = strlen(name);
		if(n >= sizeof(s->path)) {
			stop(s, "element name too long");
			return;
		}
		memcpy(s->path, name, n + 1);
	} else {
		n = strlen(s->path);
		if(n + 1 + strlen(name) >= sizeof(s->path)) {
			stop(s, "element name too long");
			return;
		}
		snprintf(s->path + n, sizeof(s->path) - n, ".%s", name);
		s->open = 0; /* the parent holds children, not a value */
	}
	if(s->x->n >= WX_XML_FIELDS) {
		stop(s, "too many elements");
		return;
	}
	s->start = s->x->used;
	if(put(s, s->path, strlen(s->path) + 1) < 0)
		return;
	s->x->f[s->x->n].name = s->x->buf + s->start;
	s->start = s->x->used;
	s->open = 1;
}

static void on_text(void *ud, const XML_Char *data, int len)
{
	st_t *s = ud;
	if(s->open && s->depth >= 2)
		put(s, data, (size_t)len);
}

static void on_end(void *ud, const XML_Char *name)
{
	st_t *s = ud;
	char *dot;

	(void)name;
	if(s->open && s->depth >= 2) {
		if(put(s, "", 1) < 0)
			return;
		s->x->f[s->x->n].value = s->x->buf + s->start;
		s->x->f[s->x->n].len = s->x->used - s->start - 1;
		s->x->n++;
		s->open = 0;
	}
	if(s->depth == 3 && (dot = strrchr(s->path, '.')) != NULL)
		*dot = '\0';
	s->depth--;
}

static void on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
		const XML_Char *pubid, int internal)
{
	(void)name;
	(void)sysid;
	(void)pubid;
	(void)internal;
	stop(ud, "a DOCTYPE is not taken");
}

int wx_xml_parse(const char *xml, size_t len, wx_xml_t *out, char *why)
{
	st_t s;
	int ok;

	memset(&s, 0, sizeof(s));
	out->n = 0;
	out->used = 0;
	if(xml == NULL || len == 0 || len > WX_XML_MAX) {
		snprintf(why, WX_XML_WHY, "%s", len ? "callback too large" : "empty callback");
		return -1;
	}
	if((s.p = XML_ParserCreate("UTF-8")) == NULL) {
		snprintf(why, WX_XML_WHY, "out of memory");
		return -1;
	}
	s.x = out;
	XML_SetUserData(s.p, &s);
	XML_SetElementHandler(s.p, on_start, on_end);
	XML_SetCharacterDataHandler(s.p, on_text);
	XML_SetStartDoctypeDeclHandler(s.p, on_doctype);
	ok = XML_Parse(s.p, xml, (int)len, XML_TRUE) == XML_STATUS_OK && !s.bad;
	if(!ok && !s.bad)
		snprintf(s.why, sizeof(s.why), "not well-formed XML (line %lu: %s)",
				(unsigned long)XML_GetCurrentLineNumber(s.p),
				XML_ErrorString(XML_GetErrorCode(s.p)));
	XML_ParserFree(s.p);
	if(!ok) {
		snprintf(why, WX_XML_WHY, "%s", s.why);
		out->n = 0;
		return -1;
	}
	return 0;
}

const char *wx_xml_get(const wx_xml_t *x, const char *name)
{
	int i;
	for(i = 0; i < x->n; i++)
		if(!strcmp(x->f[i].name, name))
			return x->f[i].value;
	return NULL;
}

static int add(const char *s, char *out, size_t size, size_t *at)
{
	size_t n = strlen(s);
	if(*at + n + 1 > size)
		return -1;
	memcpy(out + *at, s, n + 1);
	*at += n;
	return 0;
}

int wx_xml_cdata(const char *value, char *out, size_t size, size_t *at)
{
	const char *p = value, *q;

	if(add("<![CDATA[", out, size, at) < 0)
		return -1;
	while((q = strstr(p, "]]>")) != NULL) {
		/* "]]" ends one section, ">" begins the next */
		if(*at + (size_t)(q - p) + 2 + 1 > size)
			return -1;
		memcpy(out + *at, p, (size_t)(q - p) + 2);
		*at += (size_t)(q - p) + 2;
		out[*at] = '\0';
		if(add("]]>", out, size, at) < 0 || add("<![CDATA[", out, size, at) < 0)
			return -1;
		p = q + 2;
	}
	return add(p, out, size, at) < 0 || add("]]>", out, size, at) < 0 ? -1 : 0;
}

int wx_xml_envelope(const char *encrypt, const char *signature, const char *timestamp,
		const char *nonce, char *out, size_t size)
{
	size_t at = 0;

	if(size == 0)
		return -1;
	out[0] = '\0';
	if(add("<xml><Encrypt>", out, size, &at) < 0 || wx_xml_cdata(encrypt, out, size, &at) < 0
			|| add("</Encrypt><MsgSignature>", out, size, &at) < 0
			|| wx_xml_cdata(signature, out, size, &at) < 0
			|| add("</MsgSignature><TimeStamp>", out, size, &at) < 0
			|| add(timestamp, out, size, &at) < 0 || add("</TimeStamp><Nonce>", out, size, &at) < 0
			|| wx_xml_cdata(nonce, out, size, &at) < 0 || add("</Nonce></xml>", out, size, &at) < 0)
		return -1;
	return (int)at;
}
