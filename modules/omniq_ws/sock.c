/*
 * sock.c - see sock.h. Runs in the lws loop only (one thread): plain malloc, no locks.
 */
#include <string.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>

#include "core/dprint.h"

#include "ws.h"
#include "sock.h"
#include "ratelog.h"
#include "admit.h"

#define OUT_MAX 512 /* queued messages per socket before it counts as stuck */

struct ws_out {
	struct ws_out *next;
	size_t len;
	unsigned char buf[]; /* LWS_PRE + payload */
};


/* Sockets the server closes (a bad token, a rate limit, invalid JSON...) come by the
 * thousand in an attack: one line per 10 s per process (ratelog.h). */
static void say_closed(const ws_sock_t *s, int status, const char *why)
{
	static ws_ratelog_t rl = WS_RATELOG(10000);
	const char *who = s->who && s->who[0] ? s->who : "a client";
	unsigned long held;

	if(!ws_ratelog_due(&rl, &held))
		return;
	if(held)
		LM_INFO("socket of %s closed (%d %s); %lu more sockets closed by the server since the "
				"last such line\n", who, status, why, held);
	else
		LM_INFO("socket of %s closed (%d %s)\n", who, status, why);
}

int ws_sock_close(ws_sock_t *s, int status, const char *why)
{
	say_closed(s, status, why);
	lws_close_reason(s->wsi, (enum lws_close_status)status, (unsigned char *)why, strlen(why));
	return -1;
}

int ws_sock_open(ws_sock_t *s, struct lws *wsi, const char *path, int rate)
{
	char uri[64];

	s->wsi = wsi;
	s->rate = rate;
	ws_admit_websocket(wsi);
	ws_bucket_init(&s->bucket, rate, omniq_wall_ms());
	if(lws_hdr_copy(wsi, uri, sizeof(uri), WSI_TOKEN_GET_URI) <= 0 || strcmp(uri, path) != 0)
		return ws_sock_close(s, LWS_CLOSE_STATUS_POLICY_VIOLATION, "wrong path");
	return 0;
}

int ws_sock_rx(ws_sock_t *s, const void *in, size_t len, json_t **msg)
{
	json_error_t err;
	char *nb;
	json_t *m;

	*msg = NULL;
	if(lws_frame_is_binary(s->wsi))
		return ws_sock_close(s, LWS_CLOSE_STATUS_UNACCEPTABLE_OPCODE, "text frames only");
	if(s->rx_len + len > (size_t)ws_cfg.max_frame)
		return ws_sock_close(s, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, "message too large");
	nb = realloc(s->rx, s->rx_len + len + 1);
	if(nb == NULL)
		return ws_sock_close(s, LWS_CLOSE_STATUS_UNEXPECTED_CONDITION, "out of memory");
	s->rx = nb;
	memcpy(s->rx + s->rx_len, in, len);
	s->rx_len += len;
	if(!lws_is_final_fragment(s->wsi) || lws_remaining_packet_payload(s->wsi) > 0) {
		/* a message begun is finished within hello_timeout, or the socket closes (LWS_CALLBACK_TIMER,
		 * ws_sock_late): it holds up to max_frame bytes meanwhile */
		if(!s->rx_timer) {
			s->rx_timer = 1;
			lws_set_timer_usecs(s->wsi, (lws_usec_t)ws_cfg.hello_timeout * LWS_US_PER_SEC);
		}
		return 0;
	}
	if(s->rx_timer) {
		s->rx_timer = 0;
		if(!s->closing) /* the timer may be the one of a close (close_now) */
			lws_set_timer_usecs(s->wsi, LWS_SET_TIMER_USEC_CANCEL);
	}

	if(ws_bucket_take(&s->bucket, s->rate, omniq_wall_ms()) < 0)
		return ws_sock_close(s, LWS_CLOSE_STATUS_POLICY_VIOLATION, "rate limit");

	m = json_loadb(s->rx, s->rx_len, JSON_REJECT_DUPLICATES, &err);
	s->rx_len = 0;
	if(m == NULL || !json_is_object(m)) {
		if(m)
			json_decref(m);
		return ws_sock_close(s, LWS_CLOSE_STATUS_INVALID_PAYLOAD, "invalid JSON");
	}
	*msg = m;
	return 1;
}

/* Close s from outside its own callbacks: from its timer callback (ws_sock_late), where
 * lws sends the close frame with the reason - it sends none for a close asked by a timeout
 * or from the writable callback; killed anyway if that does not come within 2 s. why: a
 * string that lives as long as the socket (a literal). */
static void close_now(ws_sock_t *s, int status, const char *why)
{
	if(s->closing)
		return;
	s->closing = why;
	s->closing_status = status;
	lws_set_timer_usecs(s->wsi, 1);
	lws_set_timeout(s->wsi, PENDING_TIMEOUT_CLOSE_SEND, 2);
	/* called outside lws' own callbacks too (the appends' answers come from a libuv poll
	 * of the loop, appends.c): lws arms its libuv timer for a new deadline only when it
	 * services, so make it service now, or the close could wait for the next event */
	lws_cancel_service(lws_get_context(s->wsi));
}

int ws_sock_late(ws_sock_t *s)
{
	const char *doomed = ws_admit_doomed(s->wsi);

	if(s->closing) {
		lws_close_reason(s->wsi, (enum lws_close_status)s->closing_status,
				(unsigned char *)s->closing, strlen(s->closing));
		return -1;
	}
	if(doomed) { /* counted by admit.c, not logged one by one */
		lws_close_reason(s->wsi, LWS_CLOSE_STATUS_POLICY_VIOLATION, (unsigned char *)doomed,
				strlen(doomed));
		return -1;
	}
	return s->rx_timer ? ws_sock_close(s, LWS_CLOSE_STATUS_POLICY_VIOLATION,
								 "message not finished in time")
					   : 0;
}

void ws_sock_close_later(ws_sock_t *s, int status, const char *why)
{
	say_closed(s, status, why);
	close_now(s, status, why);
}

void ws_sock_send(ws_sock_t *s, json_t *v)
{
	char *txt = v ? json_dumps(v, JSON_COMPACT) : NULL;
	const char *who = s->who && s->who[0] ? s->who : "a client";
	size_t n;
	ws_out_t *o = NULL;

	if(v)
		json_decref(v);
	if(txt && s->out_n >= OUT_MAX) {
		free(txt);
		LM_NOTICE("socket of %s is not reading: message dropped, closing\n", who);
		close_now(s, LWS_CLOSE_STATUS_POLICY_VIOLATION, "too slow");
		return;
	}
	n = txt ? strlen(txt) : 0;
	if(txt == NULL || (o = malloc(sizeof(*o) + LWS_PRE + n)) == NULL) {
		/* a frame that cannot be built (json_pack or json_dumps out of memory) or queued is
		 * not dropped in silence: the client reconnects and sends again what it has no
		 * answer for */
		free(txt);
		LM_ERR("socket of %s: out of memory for a frame: closing\n", who);
		close_now(s, LWS_CLOSE_STATUS_UNEXPECTED_CONDITION, "out of memory");
		return;
	}
	memcpy(o->buf + LWS_PRE, txt, n);
	o->len = n;
	o->next = NULL;
	free(txt);
	if(s->out_head == NULL && !s->closing && !lws_partial_buffered(s->wsi)) {
		/* nothing waits before it: written now. Waiting for the writable callback asked
		 * the event loop for POLLOUT and dropped it again, two epoll_ctl a frame (a
		 * quarter of the loop's time in bench/ws). lws (4.x) keeps what the socket did not
		 * take and sends it first; a socket that has some kept gets the queue instead. */
		if(lws_write(s->wsi, o->buf + LWS_PRE, o->len, LWS_WRITE_TEXT) < (int)o->len) {
			free(o);
			close_now(s, LWS_CLOSE_STATUS_UNEXPECTED_CONDITION, "write failed");
			return;
		}
		free(o);
		return;
	}
	if(s->out_tail)
		s->out_tail->next = o;
	else
		s->out_head = o;
	s->out_tail = o;
	s->out_n++;
	lws_callback_on_writable(s->wsi);
}

static void error_with(ws_sock_t *s, const char *code, const char *msg, const char *key,
		json_t *id)
{
	/* in one piece: an error that cannot name its message is not sent (no memory: the
	 * socket closes, ws_sock_send), as the client could not tell which one failed */
	json_t *e = id ? json_pack("{s:s,s:s,s:s,s:O}", "type", "error", "code", code, "message",
						  msg, key, id)
				   : json_pack("{s:s,s:s,s:s}", "type", "error", "code", code, "message", msg);
	ws_sock_send(s, e);
}

void ws_sock_error(ws_sock_t *s, const char *code, const char *msg, json_t *rid)
{
	error_with(s, code, msg, "rid", rid);
}

void ws_sock_ok(ws_sock_t *s, json_t *rid, json_t *v)
{
	if(v == NULL)
		v = json_object();
	json_object_set_new(v, "type", json_string("ok"));
	if(rid)
		json_object_set(v, "rid", rid);
	ws_sock_send(s, v);
}

void ws_sock_fail(ws_sock_t *s, int rc, json_t *rid)
{
	ws_sock_error(s, ws_omniq_code(rc), ws_oq.last_error(), rid);
}

void ws_sock_error_for(ws_sock_t *s, const char *code, const char *msg, json_t *cid)
{
	error_with(s, code, msg, "cid", cid);
}

int ws_sock_writable(ws_sock_t *s)
{
	ws_out_t *o;

	/* what the queue holds, until the socket takes no more (lws keeps the rest of that
	 * frame and sends it first) */
	while((o = s->out_head) != NULL) {
		if(lws_write(s->wsi, o->buf + LWS_PRE, o->len, LWS_WRITE_TEXT) < (int)o->len)
			return -1;
		s->out_head = o->next;
		if(s->out_head == NULL)
			s->out_tail = NULL;
		s->out_n--;
		free(o);
		if(lws_partial_buffered(s->wsi))
			break;
	}
	if(s->out_head)
		lws_callback_on_writable(s->wsi);
	return 0;
}

void ws_sock_free(ws_sock_t *s)
{
	ws_out_t *o;
	while((o = s->out_head) != NULL) {
		s->out_head = o->next;
		free(o);
	}
	s->out_tail = NULL;
	s->out_n = 0;
	free(s->rx);
	s->rx = NULL;
}
