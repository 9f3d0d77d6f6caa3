/*
 * wechat_message.h - a WeChat callback, parsed and authenticated, turned into what omniq
 * stores: which kind of thing it is, who sent it, the id that de-duplicates WeChat's
 * retries, and the body an agent reads in the desk.
 *
 * Pure (no Kamailio, no Redis, no allocation), so the unit tests feed it WeChat's own
 * samples. Nothing is lost: a message type or event this code does not know becomes a
 * message whose body lists every field it came with. Bodies are always valid UTF-8 without
 * NUL or control characters (other than \n and \t), because the core refuses anything
 * else and a customer's text must not be dropped for one bad byte: invalid sequences
 * become U+FFFD, controls a space, and a value too long is cut on a character boundary
 * with "…".
 */
#ifndef OMNIQ_WECHAT_MESSAGE_H
#define OMNIQ_WECHAT_MESSAGE_H

#include <stddef.h>

#include "omniq/omniq_limits.h"

#include "wechat_crypto.h"
#include "wechat_xml.h"

#define WX_BODY_MAX 4096 /* bytes, without the NUL */
#define WX_CID_MAX 64    /* bytes, without the NUL */

#if WX_BODY_MAX > OMNIQ_BODY_MAX
#error "WX_BODY_MAX must not exceed the core's OMNIQ_BODY_MAX"
#endif
#if WX_CID_MAX > OMNIQ_CID_MAX
#error "WX_CID_MAX must not exceed the core's OMNIQ_CID_MAX"
#endif

typedef enum wx_kind {
	WX_MESSAGE,  /* a customer's message: goes to the transcript and opens/joins a session */
	WX_CUSTOMER, /* an event that only tells about the customer (subscribe, unsubscribe,
					LOCATION report, VIEW, SCAN): no session */
	WX_REPORT,   /* a provider report about something we sent: TEMPLATESENDJOBFINISH
					(template message status) */
	WX_KF_WAKE   /* WeCom customer service: kf_msg_or_event, "messages are waiting"
					(Token, OpenKfId) */
} wx_kind_t;

typedef struct wx_inbound {
	wx_kind_t kind;
	const char *type;    /* MsgType ("text", "image", ..., "event", or an unknown one as it
							came) */
	const char *event;   /* Event for MsgType event, else NULL */
	const char *openid;  /* FromUserName: the customer (or, WeCom callback, the corp's
							system sender); "" for a kf_msg_or_event that names none */
	const char *to;      /* ToUserName: the account's original id (gh_...) or CorpID; NULL
							when absent */
	const char *unionid; /* UnionId/UnionID when present and not empty, else NULL */
	char cid[WX_CID_MAX + 1]; /* the de-duplication id, printable ASCII, deterministic:
								 "m:" + MsgId when there is one, else
								 "e:" + FromUserName + ":" + CreateTime + ":" + Event
								 (WeChat's own rule for events; a kf_msg_or_event adds
								 ":" + Token), or "e:" + 40 hex digits of the SHA-1 of
								 that same text after "e:" when it is longer than
								 WX_CID_MAX or not printable ASCII */
	char body[WX_BODY_MAX + 1]; /* what the agent reads, UTF-8, NUL-terminated */
	size_t body_len;
	/* extra fields by kind (NULL when they do not apply or are absent): */
	const char *scene;    /* subscribe with EventKey "qrscene_<x>" -> "<x>"; SCAN -> EventKey */
	const char *media_id; /* image/voice/video/shortvideo/file MediaId */
	const char *report_msgid, *report_status; /* TEMPLATESENDJOBFINISH: MsgID, Status
												 ("success", "failed:user block",
												 "failed: system failed") */
	const char *kf_token, *kf_open_kfid;      /* kf_msg_or_event: Token, OpenKfId */
} wx_inbound_t;

/* Maps a parsed, already-authenticated callback. 0, or -1 with why (WX_WHY_MAX bytes)
 * when a field every message needs is missing or malformed: no MsgType, no FromUserName
 * (except kf_msg_or_event, which comes from the system), CreateTime not 1..20 digits,
 * MsgId present but not 1..20 digits, an event without Event, a text without Content, a
 * TEMPLATESENDJOBFINISH without a numeric MsgID, or SHA-1 failing. Pointers point into x
 * (they live as long as x). */
int wx_message(const wx_xml_t *x, wx_inbound_t *out, char *why);

/* prefix then s (either may be NULL), made safe and cut as a callback's body is, into out
 * (for what reaches omniq by other ways than a callback: WeCom's kf/sync_msg): its length. */
size_t wx_body_text(char out[WX_BODY_MAX + 1], const char *prefix, const char *s);

#endif
