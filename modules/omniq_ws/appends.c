/*
 * appends.c - see appends.h. Two batches take turns: the lws loop fills one while the
 * appender thread appends the other, so the loop never waits for Redis unless a batch is
 * full. Plain malloc (the lws loop's memory, like the sockets').
 *
 * Who touches what: a pending's owner, done and cid belong to the loop thread only (owner
 * may be cleared while the appender works); the appender reads a handed-over batch's
 * tenant and m[].sid/dir/from/body/cid, which nobody changes then, and writes m[].rc/id/why;
 * `busy` (the appender has a batch) changes on the loop thread and `answered`
 * (that batch is done) on the appender, both under mu.
 */
#include <string.h>
#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>
#include <libwebsockets.h>

#include "core/dprint.h"

#include "ws.h"
#include "appends.h"

/* a batch is handed over at once when it holds this many messages or bytes of bodies */
#define BATCH_MAX 2048
#define BATCH_BYTES (4 * 1024 * 1024)

typedef struct pending {
	void *owner;
	ws_appended_f done;
	int tenant;
	char *buf; /* one allocation: sid\0from\0body\0cid\0, which its m points into */
	json_t *cid;
} pending_t;

typedef struct batch {
	pending_t p[BATCH_MAX];
	omniq_append_t m[BATCH_MAX]; /* parallel to p: what append_many takes */
	int n;
	size_t bytes;
} batch_t;

static batch_t batches[2];
static batch_t *filling = &batches[0], *working = &batches[1];
static int busy, answered, answering;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static struct lws_context *lws_ctx;

/* The appender: b in order, in runs of one tenant's messages (OMNIQ_APPEND_MANY_MAX a round
 * trip). */
static void append_batch(batch_t *b)
{
	int i, start, end;

	for(start = 0; start < b->n; start = end) {
		end = start + 1;
		while(end < b->n && end - start < OMNIQ_APPEND_MANY_MAX
				&& b->p[end].tenant == b->p[start].tenant)
			end++;
		ws_oq.tenant_use_index(b->p[start].tenant);
		ws_oq.append_many(&b->m[start], end - start);
	}
	for(i = 0; i < b->n; i++)
		if(b->m[i].rc < 0)
			LM_DBG("message of %.*s to session %.*s not appended: %s\n", b->m[i].from.len,
					b->m[i].from.s, b->m[i].sid.len, b->m[i].sid.s, b->m[i].why);
}

static void *appender(void *arg)
{
	(void)arg;
	for(;;) {
		pthread_mutex_lock(&mu);
		while(!busy || answered)
			pthread_cond_wait(&cv, &mu);
		pthread_mutex_unlock(&mu);
		append_batch(working);
		pthread_mutex_lock(&mu);
		answered = 1;
		pthread_cond_broadcast(&cv); /* a loop waiting for room in a full batch */
		pthread_mutex_unlock(&mu);
		lws_cancel_service(lws_ctx); /* the loop answers in ws_append_pump() */
	}
	return NULL;
}

/* The loop: answer the owners of working, then empty it. */
static void answer(batch_t *b)
{
	int i;

	answering = 1;
	for(i = 0; i < b->n; i++) {
		pending_t *p = &b->p[i];
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

void ws_append_pump(void)
{
	batch_t *t;
	int done;

	if(answering)
		return;
	pthread_mutex_lock(&mu);
	done = busy && answered;
	pthread_mutex_unlock(&mu);
	if(done) {
		answer(working);
		pthread_mutex_lock(&mu);
		busy = answered = 0;
		pthread_mutex_unlock(&mu);
	}
	if(busy || filling->n == 0)
		return;
	t = working;
	working = filling;
	filling = t;
	pthread_mutex_lock(&mu);
	busy = 1;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
}

/* filling is full: wait for the appender's batch (a round trip per OMNIQ_APPEND_MANY_MAX
 * messages of a tenant), then hand filling over. */
static void make_room(void)
{
	pthread_mutex_lock(&mu);
	while(busy && !answered)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
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
	o = buf + ls + lf + 3 + body->len; /* the appender's own copy: cid stays the loop's */
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
	for(i = 0; i < working->n; i++)
		if(working->p[i].owner == owner)
			working->p[i].owner = NULL;
}

int ws_append_start(struct lws_context *ctx)
{
	lws_ctx = ctx;
	return ws_thread_start(appender, "appender");
}
