/*
 * wechat_message.c - see wechat_message.h.
 *
 * Every byte of a body goes through one appender (put_text), which checks the UTF-8,
 * replaces what the core would refuse and cuts at WX_BODY_MAX: the literal parts
 * ("[image] ") pass through it too, so no path can write past the buffer or leave half a
 * character behind.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "omniq/omniq_utf8.h"
#include <openssl/sha.h>

#include "wechat_message.h"

#define ELLIPSIS "\xe2\x80\xa6"   /* U+2026 */
#define ELLIPSIS_LEN 3
#define REPLACEMENT "\xef\xbf\xbd" /* U+FFFD */
#define DIGITS_MAX 20              /* a 64-bit number, as WeChat's MsgId and CreateTime are */

typedef struct body {
	char *p;     /* WX_BODY_MAX + 1 bytes */
	size_t len;
	int cut;     /* full: "…" written, nothing more goes in */
} body_t;

/* One whole character (or the ellipsis) in, or the body is full: then it goes back to a
 * character boundary that leaves room for "…" and ends there. */
static void put_char(body_t *b, const char *c, size_t n)
{
	if(b->cut)
		return;
	if(b->len + n <= WX_BODY_MAX) {
		memcpy(b->p + b->len, c, n);
		b->len += n;
		b->p[b->len] = '\0';
		return;
	}
	/* what is written is valid UTF-8, so stepping over continuation bytes finds a start */
	while(b->len > WX_BODY_MAX - ELLIPSIS_LEN
			|| (b->len > 0 && ((unsigned char)b->p[b->len] & 0xc0) == 0x80))
		b->len--;
	memcpy(b->p + b->len, ELLIPSIS, ELLIPSIS_LEN + 1);
	b->len += ELLIPSIS_LEN;
	b->cut = 1;
}

/* s (NULL is "") made safe for the core: U+FFFD for ill-formed UTF-8, a space for C0
 * controls other than \t and \n, DEL and the C1 controls (U+0080..U+009F). */
static void put_text(body_t *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t n, bad;
	uint32_t cp;

	while(*p && !b->cut) {
		n = omniq_utf8_next(p, (size_t)-1, &cp, &bad);
		if(n == 0) {
			put_char(b, REPLACEMENT, 3);
			p += bad;
		} else if((n == 1 && ((*p < 0x20 && *p != '\t' && *p != '\n') || *p == 0x7f))
				  || (n == 2 && p[0] == 0xc2 && p[1] < 0xa0)) {
			put_char(b, " ", 1);
			p += n;
		} else {
			put_char(b, (const char *)p, n);
			p += n;
		}
	}
}

static int empty(const char *s)
{
	return s == NULL || *s == '\0';
}

/* sep and v, when v says something */
static void put_field(body_t *b, const char *sep, const char *v)
{
	if(!empty(v)) {
		put_text(b, sep);
		put_text(b, v);
	}
}

static int digits(const char *s)
{
	size_t n = 0;

	if(s == NULL)
		return 0;
	while(s[n] >= '0' && s[n] <= '9')
		n++;
	return n > 0 && n <= DIGITS_MAX && s[n] == '\0';
}

static int printable_ascii(const char *s)
{
	for(; *s; s++)
		if((unsigned char)*s < 0x21 || (unsigned char)*s > 0x7e)
			return 0;
	return 1;
}

/* The fields every message has: not repeated in the body of one this code does not know. */
static int is_envelope(const char *name)
{
	static const char *const names[] = {"ToUserName", "FromUserName", "CreateTime",
			"MsgType", "MsgId", "Event"};
	size_t i;

	for(i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if(!strcmp(name, names[i]))
			return 1;
	return 0;
}

/* "[<tag>] Name=value; Name=value" of everything but the envelope: a type or event WeChat
 * adds later still reaches an agent, fields and all. */
static void put_unknown(body_t *b, const wx_xml_t *x, const char *open, const char *tag)
{
	int i, first = 1;

	put_text(b, open);
	put_text(b, tag);
	put_text(b, "]");
	for(i = 0; i < x->n; i++) {
		if(is_envelope(x->f[i].name))
			continue;
		put_text(b, first ? " " : "; ");
		put_text(b, x->f[i].name);
		put_text(b, "=");
		put_text(b, x->f[i].value);
		first = 0;
	}
}

static int fail(char *why, const char *text)
{
	snprintf(why, WX_WHY_MAX, "%s", text);
	return -1;
}

/* "e:" + from:time:event[:token], or "e:" + the SHA-1 of that text in hex when it is too
 * long for WX_CID_MAX or holds bytes the core's ids do not take (an openid is
 * [A-Za-z0-9_-], but the cid must hold whatever comes). Same input, same cid: WeChat's
 * retries meet the first. The parts are hashed one by one: no copy of them is needed. */
static int event_cid(char *cid, const char *parts[4], char *why)
{
	unsigned char md[SHA_DIGEST_LENGTH];
	EVP_MD_CTX *ctx;
	size_t len = 2, i;
	int ok = 1;

	for(i = 0; i < 4 && parts[i]; i++) {
		len += (i ? 1 : 0) + strlen(parts[i]);
		ok = ok && printable_ascii(parts[i]);
	}
	if(ok && len <= WX_CID_MAX) {
		memcpy(cid, "e:", 3);
		for(i = 0; i < 4 && parts[i]; i++) {
			if(i)
				strcat(cid, ":");
			strcat(cid, parts[i]);
		}
		return 0;
	}
	if((ctx = EVP_MD_CTX_new()) == NULL)
		return fail(why, "SHA-1 failed (out of memory)");
	ok = EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) == 1;
	for(i = 0; ok && i < 4 && parts[i]; i++)
		ok = (i == 0 || EVP_DigestUpdate(ctx, ":", 1) == 1)
			 && EVP_DigestUpdate(ctx, parts[i], strlen(parts[i])) == 1;
	ok = ok && EVP_DigestFinal_ex(ctx, md, NULL) == 1;
	EVP_MD_CTX_free(ctx);
	if(!ok)
		return fail(why, "SHA-1 failed");
	memcpy(cid, "e:", 2);
	for(i = 0; i < SHA_DIGEST_LENGTH; i++)
		snprintf(cid + 2 + 2 * i, 3, "%02x", md[i]);
	return 0;
}

/* The events, by name (case does not matter: WeChat sends "subscribe" but "SCAN"). */
static int map_event(const wx_xml_t *x, wx_inbound_t *out, body_t *b, char *why)
{
	const char *ev = out->event, *key = wx_xml_get(x, "EventKey");

	if(!strcasecmp(ev, "subscribe")) {
		out->kind = WX_CUSTOMER;
		if(key && !strncmp(key, "qrscene_", 8))
			out->scene = key + 8;
		put_text(b, "[followed the account");
		put_field(b, ", scene ", out->scene);
		put_text(b, "]");
	} else if(!strcasecmp(ev, "unsubscribe")) {
		out->kind = WX_CUSTOMER;
		put_text(b, "[unfollowed the account]");
	} else if(!strcasecmp(ev, "SCAN")) {
		out->kind = WX_CUSTOMER;
		out->scene = key;
		put_text(b, "[scanned QR code");
		put_field(b, " ", key);
		put_text(b, "]");
	} else if(!strcasecmp(ev, "LOCATION")) {
		out->kind = WX_CUSTOMER;
		put_text(b, "[location report ");
		put_text(b, wx_xml_get(x, "Latitude"));
		put_text(b, ", ");
		put_text(b, wx_xml_get(x, "Longitude"));
		put_field(b, " \xc2\xb1", wx_xml_get(x, "Precision"));
		put_text(b, "]");
	} else if(!strcasecmp(ev, "VIEW")) {
		out->kind = WX_CUSTOMER;
		put_text(b, "[opened menu link");
		put_field(b, " ", key);
		put_text(b, "]");
	} else if(!strcasecmp(ev, "CLICK")) {
		/* a menu button is a customer asking for something: it opens a session */
		out->kind = WX_MESSAGE;
		put_text(b, "[menu:");
		put_field(b, " ", key);
		put_text(b, "]");
	} else if(!strcasecmp(ev, "TEMPLATESENDJOBFINISH")) {
		out->kind = WX_REPORT;
		out->report_msgid = wx_xml_get(x, "MsgID");
		out->report_status = wx_xml_get(x, "Status");
		/* a report that names no message we sent cannot be matched to one */
		if(!digits(out->report_msgid))
			return fail(why, "TEMPLATESENDJOBFINISH without a numeric MsgID");
		put_text(b, "[template message ");
		put_text(b, out->report_msgid);
		put_text(b, ":");
		put_field(b, " ", out->report_status);
		put_text(b, "]");
	} else if(!strcasecmp(ev, "kf_msg_or_event")) {
		out->kind = WX_KF_WAKE;
		out->kf_token = wx_xml_get(x, "Token");
		out->kf_open_kfid = wx_xml_get(x, "OpenKfId");
		put_text(b, "[customer service messages waiting");
		put_field(b, " for ", out->kf_open_kfid);
		put_text(b, "]");
	} else {
		out->kind = WX_MESSAGE;
		put_unknown(b, x, "[event ", ev);
	}
	return 0;
}

/* The messages, by MsgType. */
static int map_message(const wx_xml_t *x, wx_inbound_t *out, body_t *b, char *why)
{
	const char *t = out->type;

	out->kind = WX_MESSAGE;
	if(!strcasecmp(t, "image") || !strcasecmp(t, "voice") || !strcasecmp(t, "video")
			|| !strcasecmp(t, "shortvideo") || !strcasecmp(t, "file"))
		out->media_id = wx_xml_get(x, "MediaId");
	if(!strcasecmp(t, "text")) {
		if(empty(wx_xml_get(x, "Content")))
			return fail(why, "text message without Content");
		put_text(b, wx_xml_get(x, "Content"));
	} else if(!strcasecmp(t, "image")) {
		put_text(b, "[image]");
		put_field(b, " ", wx_xml_get(x, "PicUrl"));
	} else if(!strcasecmp(t, "voice")) {
		if(empty(wx_xml_get(x, "Recognition")))
			put_text(b, "[voice message]");
		else
			put_field(b, "[voice] ", wx_xml_get(x, "Recognition"));
	} else if(!strcasecmp(t, "video")) {
		put_text(b, "[video]");
	} else if(!strcasecmp(t, "shortvideo")) {
		put_text(b, "[short video]");
	} else if(!strcasecmp(t, "location")) {
		put_text(b, "[location]");
		put_field(b, " ", wx_xml_get(x, "Label"));
		put_text(b, " (");
		put_text(b, wx_xml_get(x, "Location_X"));
		put_text(b, ", ");
		put_text(b, wx_xml_get(x, "Location_Y"));
		put_text(b, ")");
	} else if(!strcasecmp(t, "link")) {
		put_text(b, "[link]");
		put_field(b, " ", wx_xml_get(x, "Title"));
		put_field(b, empty(wx_xml_get(x, "Title")) ? " " : " \xe2\x80\x94 ",
				wx_xml_get(x, "Description"));
		put_field(b, " ", wx_xml_get(x, "Url"));
	} else if(!strcasecmp(t, "file")) {
		put_text(b, "[file]");
		put_field(b, " ", wx_xml_get(x, "Title"));
	} else {
		put_unknown(b, x, "[", t);
	}
	return 0;
}

int wx_message(const wx_xml_t *x, wx_inbound_t *out, char *why)
{
	const char *ctime, *msgid, *parts[4] = {NULL, NULL, NULL, NULL};
	body_t b;
	int rc;

	memset(out, 0, sizeof(*out));
	out->type = wx_xml_get(x, "MsgType");
	if(empty(out->type))
		return fail(why, "no MsgType");
	if(!strcasecmp(out->type, "event")) {
		out->event = wx_xml_get(x, "Event");
		if(empty(out->event))
			return fail(why, "event without Event");
	}
	out->openid = wx_xml_get(x, "FromUserName");
	if(empty(out->openid)) {
		/* WeCom's "messages are waiting" comes from the system, not from a customer */
		if(out->event == NULL || strcasecmp(out->event, "kf_msg_or_event"))
			return fail(why, "no FromUserName");
		out->openid = "";
	}
	ctime = wx_xml_get(x, "CreateTime");
	if(!digits(ctime))
		return fail(why, "CreateTime is not 1..20 decimal digits");
	msgid = wx_xml_get(x, "MsgId");
	if(msgid && !digits(msgid))
		return fail(why, "MsgId is not 1..20 decimal digits");
	out->to = wx_xml_get(x, "ToUserName");
	out->unionid = wx_xml_get(x, "UnionId");
	if(empty(out->unionid))
		out->unionid = wx_xml_get(x, "UnionID");
	if(empty(out->unionid))
		out->unionid = NULL;

	parts[0] = out->openid;
	parts[1] = ctime;
	parts[2] = out->event ? out->event : "";
	/* wakes come from one system sender and two may share a second: the Token tells them
	 * apart (WeChat's retry of one wake carries the same Token) */
	if(out->event && !strcasecmp(out->event, "kf_msg_or_event"))
		parts[3] = wx_xml_get(x, "Token");
	if(msgid)
		snprintf(out->cid, sizeof(out->cid), "m:%s", msgid);
	else if(event_cid(out->cid, parts, why) < 0)
		return -1;

	b.p = out->body;
	b.len = 0;
	b.cut = 0;
	b.p[0] = '\0';
	rc = out->event ? map_event(x, out, &b, why) : map_message(x, out, &b, why);
	out->body_len = b.len;
	return rc;
}

size_t wx_body_text(char out[WX_BODY_MAX + 1], const char *prefix, const char *s)
{
	body_t b = {out, 0, 0};

	out[0] = '\0';
	put_text(&b, prefix);
	put_text(&b, s);
	return b.len;
}
