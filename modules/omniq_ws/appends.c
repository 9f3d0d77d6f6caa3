/*
 * appends.c - see appends.h. The loop sends the appends itself, on a Redis connection of
 * its own, and reads their answers when the connection is readable (a libuv poll on the
 * loop): no thread, no handoff. Two batches take turns: the loop fills one while the other
 * is in flight; when its answers are in, the owners are answered and what was filled
 * meanwhile goes out as the next, so that under load many messages share a round trip.
 * Plain malloc (the lws loop's memory, like the sockets').
 *
 * Why not a thread: this was an appender thread making blocking calls, and each batch
 * woke it, it woke the loop with the answers, and its own read slept and woke: on a
 * paravirtualised machine those switches were a third of the server's CPU in bench/ws
 * (docs/performance.md, stop 38).
 *
 * The write of a batch blocks (within redis_timeout: api.redis_flush waits for room on the
 * socket, which libuv's poll made non-blocking): Redis takes it at once unless it stalls,
 * and then the loop's own calls would wait on it too. The answers
 * never block the loop: they are read when they come, and a batch that has had none for
 * WS_APPEND_TIMEOUT_MS fails (its messages are answered "Redis unavailable" and their
 * clients send them again; a cid makes that safe) and the connection is made again.
 *
 * "Had none" is checked on the connection itself, not only by the clock: the loop's timers
 * run at the start of a turn, before its sockets are read, and one turn can last seconds
 * (10,000 customers saying hello at once: each hello is a round trip on the loop's own
 * connection). A batch whose answers were waiting in the socket behind such a turn was
 * failed (bench/ws: 900 customers told "Redis unavailable" while Redis had answered).
 */
#include <string.h>
#include <stdio.h>
#include <stdlib.h>
#include <uv.h>
#include <hiredis/hiredis.h>
#include <libwebsockets.h>

#include "core/dprint.h"

#include "ws.h"
#include "appends.h"
#include "loop_conn.h"
#include "omniq/omniq_clock.h"

/* a batch is sent at once when it holds this many messages or bytes of bodies */
#define BATCH_MAX 2048
#define BATCH_BYTES (4 * 1024 * 1024)
/* how long the answers of a batch may take */
#define WS_APPEND_TIMEOUT_MS 10000

typedef struct pending {
	void *owner;
	ws_appended_f done;
	int tenant;
	char *buf; /* one allocation: sid\0from\0body\0cid\0, which its m points into */
	json_t *cid;
} pending_t;

/* One tenant's messages of a batch in flight, up to OMNIQ_APPEND_MANY_MAX: sent as
 * `calls` commands (append_many_write), `got` of their answers in so far. */
typedef struct run {
	int start, end, calls, got;
} run_t;

typedef struct batch {
	pending_t p[BATCH_MAX];
	omniq_append_t m[BATCH_MAX]; /* parallel to p: what append_many takes */
	int n;
	size_t bytes;
} batch_t;

static batch_t batches[2];
static batch_t *filling = &batches[0], *flying = &batches[1];
static run_t runs[BATCH_MAX];
static int n_runs, cur_run, in_flight, answering;
static long long heard_at; /* the batch went out, or its last answer came */

static uv_timer_t timer;
static ws_loop_conn_t lc; /* lc.rc: NULL while not connected */

/* The loop: answer the owners of b, then empty it. */
static void answer(batch_t *b)
{
	int i;

	answering = 1;
	for(i = 0; i < b->n; i++) {
		pending_t *p = &b->p[i];
		if(b->m[i].rc == OMNIQ_APPEND_SENT) { /* a bug: never left unanswered */
			b->m[i].rc = OMNIQ_EINTERNAL;
			snprintf(b->m[i].why, sizeof(b->m[i].why), "no answer");
		}
		if(b->m[i].rc < 0)
			LM_DBG("message of %.*s to session %.*s not appended: %s\n", b->m[i].from.len,
					b->m[i].from.s, b->m[i].sid.len, b->m[i].sid.s, b->m[i].why);
		if(p->owner)
			p->done(p->owner, p->cid, b->m[i].rc, b->m[i].why,
					b->m[i].rc >= 0 ? b->m[i].id : NULL);
		free(p->buf);
		if(p->cid)
			json_decref(p->cid);
	}
	b->n = 0;
	b->bytes = 0;
	answering = 0;
}

/* The batch in flight is over: the answers that did not come are failures (a NULL reply
 * to append_many_read), told with the reason the connection was given up for; its owners
 * are answered. */
static void land(void)
{
	static unsigned char unanswered[BATCH_MAX];
	int r, i;

	for(i = 0; i < flying->n; i++)
		unanswered[i] = flying->m[i].rc == OMNIQ_APPEND_SENT;
	for(r = cur_run; r < n_runs; r++)
		for(; runs[r].got < runs[r].calls; runs[r].got++)
			ws_oq.append_many_read(&flying->m[runs[r].start], runs[r].end - runs[r].start,
					runs[r].got, NULL);
	for(i = 0; i < flying->n; i++)
		if(unanswered[i])
			snprintf(flying->m[i].why, sizeof(flying->m[i].why), "Redis unavailable (%s)",
					lc.dropped);
	in_flight = 0;
	uv_timer_stop(&timer);
	answer(flying);
}

static void on_timer(uv_timer_t *t);

/* filling goes out (the loop, nothing in flight) */
static void send_batch(void)
{
	batch_t *t = flying;
	int start, end, calls;

	flying = filling;
	filling = t;
	n_runs = cur_run = 0;
	if(ws_loop_conn_open(&lc) < 0) {
		/* every message answered as append_many answers one it cannot send */
		for(start = 0; start < flying->n; start++) {
			flying->m[start].rc = OMNIQ_EREDIS;
			snprintf(flying->m[start].why, sizeof(flying->m[start].why),
					"Redis unavailable (appends cannot connect)");
		}
		answer(flying);
		return;
	}
	for(start = 0; start < flying->n; start = end) {
		end = start + 1;
		while(end < flying->n && end - start < OMNIQ_APPEND_MANY_MAX
				&& flying->p[end].tenant == flying->p[start].tenant)
			end++;
		ws_oq.tenant_use_index(flying->p[start].tenant);
		calls = ws_oq.append_many_write(lc.rc, &flying->m[start], end - start);
		runs[n_runs].start = start;
		runs[n_runs].end = end;
		runs[n_runs].calls = calls > 0 ? calls : 0;
		runs[n_runs].got = 0;
		n_runs++;
	}
	ws_oq.tenant_use_index(0);
	while(cur_run < n_runs && runs[cur_run].calls == 0)
		cur_run++;
	if(cur_run == n_runs) { /* nothing to send: every message refused by its checks */
		answer(flying);
		return;
	}
	in_flight = 1;
	heard_at = omniq_mono_ms();
	uv_timer_start(&timer, on_timer, 1000, 1000); /* while the batch is in flight */
	if(ws_oq.redis_flush(lc.rc) != REDIS_OK) {
		char why[160];

		snprintf(why, sizeof(why), "writing a batch: %s",
				lc.rc->errstr[0] ? lc.rc->errstr : "failed");
		ws_loop_conn_drop(&lc, why);
		land();
	}
}

/* The answers read so far given to their messages; the batch landed when all are in. 0,
 * or -1 when the connection is broken (dropped, the batch landed). */
static int take_replies(void)
{
	redisReply *r;

	for(;;) {
		r = NULL;
		if(redisGetReplyFromReader(lc.rc, (void **)&r) != REDIS_OK) {
			ws_loop_conn_drop(&lc, lc.rc->errstr[0] ? lc.rc->errstr : "a reply that does not parse");
			if(in_flight)
				land();
			return -1;
		}
		if(r == NULL)
			return 0;
		if(!in_flight) {
			freeReplyObject(r);
			ws_loop_conn_drop(&lc, "a reply nobody asked for");
			return -1;
		}
		ws_oq.append_many_read(&flying->m[runs[cur_run].start],
				runs[cur_run].end - runs[cur_run].start, runs[cur_run].got, r);
		freeReplyObject(r);
		heard_at = omniq_mono_ms();
		if(++runs[cur_run].got == runs[cur_run].calls) {
			while(++cur_run < n_runs && runs[cur_run].calls == 0)
				;
			if(cur_run == n_runs) {
				land();
				if(filling->n)
					send_batch();
				if(!in_flight)
					return 0;
			}
		}
	}
}

/* What the connection has, into its reply reader (ws_loop_conn_read): 1 read, 0 nothing,
 * -1 broken (dropped, the batch landed). wait: wait for it, within what is left of
 * WS_APPEND_TIMEOUT_MS (none: dropped, the batch landed). */
static int read_some(int wait)
{
	long long left = wait ? WS_APPEND_TIMEOUT_MS - (omniq_mono_ms() - heard_at) : 0;
	int got;

	if(wait && left <= 0) {
		ws_loop_conn_drop(&lc, "no answer to the appends within 10 s (waiting for room)");
		land();
		return -1;
	}
	got = ws_loop_conn_read(&lc, (int)left);
	if(got < 0 && in_flight)
		land();
	return got;
}

static void on_readable(ws_loop_conn_t *c, int status)
{
	if(status < 0) { /* dropped */
		if(in_flight)
			land();
		return;
	}
	if(read_some(0) > 0)
		take_replies();
}

/* Nothing heard for WS_APPEND_TIMEOUT_MS by the clock: what the connection holds is read
 * first (answers may be waiting behind a long turn of the loop); the batch fails only when
 * that brings none. */
static void on_timer(uv_timer_t *t)
{
	long long was;
	int got = 0;

	(void)t;
	if(!in_flight || omniq_mono_ms() - heard_at < WS_APPEND_TIMEOUT_MS)
		return;
	was = heard_at;
	while(in_flight && heard_at == was && (got = read_some(0)) > 0)
		if(take_replies() < 0)
			return; /* dropped, landed */
	if(got < 0 || !in_flight || heard_at != was)
		return;
	ws_loop_conn_drop(&lc, "no answer to the appends within 10 s");
	land();
}

void ws_append_pump(void)
{
	if(!answering && !in_flight && filling->n)
		send_batch();
}

/* filling is full while a batch is in flight: its answers are waited for here (for at most
 * WS_APPEND_TIMEOUT_MS since the last one came: read_some), then filling goes out. */
static void make_room(void)
{
	while(in_flight && lc.rc) {
		if(read_some(1) < 0 || take_replies() < 0)
			break;
	}
	ws_append_pump();
}

int ws_append_later(void *owner, ws_appended_f done, int tenant, const char *sid,
		const char *from, const str *body, json_t *cid, int once)
{
	static const str in = str_init("in");
	size_t ls = strlen(sid), lf = strlen(from), lo = 0;
	omniq_append_t *m;
	pending_t *p;
	char *buf, *o;

	if(answering) {
		LM_BUG("a message handed over while a batch is being answered\n");
		return -1;
	}
	if(filling->n == BATCH_MAX || filling->bytes + (size_t)body->len > BATCH_BYTES)
		make_room();
	if(once) {
		if(!json_is_string(cid) || json_string_length(cid) < 1) {
			LM_BUG("a message to append once without its client id\n");
			return -1;
		}
		lo = json_string_length(cid);
	}
	buf = malloc(ls + lf + (size_t)body->len + lo + 4);
	if(buf == NULL)
		return -1;
	memcpy(buf, sid, ls + 1);
	memcpy(buf + ls + 1, from, lf + 1);
	memcpy(buf + ls + lf + 2, body->s, (size_t)body->len);
	buf[ls + lf + 2 + body->len] = '\0';
	o = buf + ls + lf + 3 + body->len; /* the batch's own copy: cid stays the socket's */
	if(lo)
		memcpy(o, json_string_value(cid), lo);
	o[lo] = '\0';
	p = &filling->p[filling->n];
	m = &filling->m[filling->n];
	filling->n++;
	p->owner = owner;
	p->done = done;
	p->tenant = tenant;
	p->buf = buf;
	p->cid = cid ? json_incref(cid) : NULL;
	m->sid.s = buf;
	m->sid.len = (int)ls;
	m->dir = in;
	m->from.s = buf + ls + 1;
	m->from.len = (int)lf;
	m->body.s = buf + ls + lf + 2;
	m->body.len = body->len;
	m->cid.s = o;
	m->cid.len = (int)lo;
	m->rc = OMNIQ_EINTERNAL;
	m->why[0] = '\0';
	filling->bytes += (size_t)body->len;
	return 0;
}

void ws_append_forget(void *owner)
{
	int i;

	for(i = 0; i < filling->n; i++)
		if(filling->p[i].owner == owner)
			filling->p[i].owner = NULL;
	for(i = 0; i < flying->n; i++)
		if(flying->p[i].owner == owner)
			flying->p[i].owner = NULL;
}

int ws_append_start(void *uv_loop)
{
	lc.name = "appends";
	lc.loop = uv_loop;
	lc.readable = on_readable;
	ws_loop_conn_init(&lc);
	if(uv_timer_init(lc.loop, &timer) != 0) {
		LM_ERR("appends: cannot make their timer\n");
		return -1;
	}
	return 0;
}
