/*
 * appends.c - see appends.h. Plain malloc (the lws loop's memory, like the sockets').
 */
#include <string.h>
#include <stdlib.h>

#include "core/dprint.h"

#include "ws.h"
#include "appends.h"

/* a batch is appended at once when it holds this many bytes of bodies */
#define BATCH_BYTES (4 * 1024 * 1024)

typedef struct pending {
	void *owner;
	ws_appended_f done;
	int tenant;
	char *sid, *from, *body; /* one allocation: sid\0from\0body */
	int body_len;
	json_t *cid;
} pending_t;

static pending_t q[OMNIQ_APPEND_MANY_MAX];
static int n_q, flushing;
static size_t q_bytes;

/* Tenant t's run q[from..to): one round trip, then the answers. */
static void append_run(int t, int from, int to)
{
	static omniq_append_t m[OMNIQ_APPEND_MANY_MAX];
	static const str in = str_init("in");
	int i, k = to - from;

	for(i = 0; i < k; i++) {
		pending_t *p = &q[from + i];
		m[i].sid = omniq_str(p->sid);
		m[i].dir = in;
		m[i].from = omniq_str(p->from);
		m[i].body.s = p->body;
		m[i].body.len = p->body_len;
	}
	ws_oq.tenant_use_index(t);
	ws_oq.append_many(m, k);
	ws_oq.tenant_use_index(0);
	for(i = 0; i < k; i++) {
		pending_t *p = &q[from + i];
		if(m[i].rc < 0)
			LM_DBG("message of %s to session %s not appended: %s\n", p->from, p->sid,
					m[i].why);
		if(p->owner)
			p->done(p->owner, p->cid, m[i].rc, m[i].why);
	}
}

void ws_append_flush(void)
{
	int i, start;

	if(n_q == 0 || flushing)
		return;
	flushing = 1;
	for(start = 0, i = 1; i <= n_q; i++)
		if(i == n_q || q[i].tenant != q[start].tenant) {
			append_run(q[start].tenant, start, i);
			start = i;
		}
	for(i = 0; i < n_q; i++) {
		free(q[i].sid);
		if(q[i].cid)
			json_decref(q[i].cid);
	}
	n_q = 0;
	q_bytes = 0;
	flushing = 0;
}

int ws_append_later(void *owner, ws_appended_f done, int tenant, const char *sid,
		const char *from, const str *body, json_t *cid)
{
	size_t ls = strlen(sid), lf = strlen(from);
	pending_t *p;
	char *buf;

	if(flushing) {
		LM_BUG("a message handed over while the batch is being appended\n");
		return -1;
	}
	if(n_q == OMNIQ_APPEND_MANY_MAX || q_bytes + (size_t)body->len > BATCH_BYTES)
		ws_append_flush();
	buf = malloc(ls + lf + (size_t)body->len + 3);
	if(buf == NULL)
		return -1;
	p = &q[n_q++];
	p->owner = owner;
	p->done = done;
	p->tenant = tenant;
	p->sid = buf;
	memcpy(p->sid, sid, ls + 1);
	p->from = p->sid + ls + 1;
	memcpy(p->from, from, lf + 1);
	p->body = p->from + lf + 1;
	memcpy(p->body, body->s, (size_t)body->len);
	p->body[body->len] = '\0';
	p->body_len = body->len;
	p->cid = cid ? json_incref(cid) : NULL;
	q_bytes += (size_t)body->len;
	return 0;
}

void ws_append_forget(void *owner)
{
	int i;
	for(i = 0; i < n_q; i++)
		if(q[i].owner == owner)
			q[i].owner = NULL;
}
