/*
 * wechat_xml.h - the XML of WeChat's callbacks, read with expat, and the XML of the
 * answers written back.
 *
 * A callback is flat: <xml><ToUserName>..</ToUserName><MsgType>..</MsgType>...</xml>, the
 * values in CDATA or as text; a few events nest one level more (ScanCodeInfo.ScanResult).
 * Every element under <xml> is kept by name ("Parent.Child" for the nested ones), known or
 * not, so that a message type this code has never heard of is still stored and shown.
 * Bounded: WX_XML_MAX bytes in, WX_XML_FIELDS elements, no DOCTYPE (and so no entity of
 * the sender's: no expansion bomb, no external file).
 */
#ifndef OMNIQ_WECHAT_XML_H
#define OMNIQ_WECHAT_XML_H

#include <stddef.h>

#define WX_XML_MAX 65536
#define WX_XML_FIELDS 48
#define WX_XML_WHY 96

typedef struct wx_xml {
	int n;
	struct {
		const char *name;  /* in buf */
		const char *value; /* in buf, NUL-terminated, UTF-8 */
		size_t len;
	} f[WX_XML_FIELDS];
	size_t used;
	char buf[2 * WX_XML_MAX];
} wx_xml_t;

/* Parses a callback body: 0, or -1 with why (not well-formed, not <xml>, a DOCTYPE, too
 * large, too many elements). */
int wx_xml_parse(const char *xml, size_t len, wx_xml_t *out, char *why);

/* The value of an element, or NULL when it is not there. */
const char *wx_xml_get(const wx_xml_t *x, const char *name);

/* <xml><Encrypt>..</Encrypt><MsgSignature>..</MsgSignature><TimeStamp>..</TimeStamp>
 * <Nonce>..</Nonce></xml>, the safe mode's answer, NUL-terminated into out: its length, or
 * -1 when out is too small. */
int wx_xml_envelope(const char *encrypt, const char *signature, const char *timestamp,
		const char *nonce, char *out, size_t size);

/* value as CDATA (a "]]>" in it split across two sections), appended at out + *at; -1
 * when out is too small. */
int wx_xml_cdata(const char *value, char *out, size_t size, size_t *at);

#endif
