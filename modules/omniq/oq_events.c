/*
 * oq_events.c - see oq_events.h.
 *
 * Entries are numbered 1, 2, ... in the order they were added (XINFO's entries-added is the
 * newest one's number); the reader knows the number of its last entry (omniq_events_pos_t.n)
 * since it anchored, by counting. Trimming removes the oldest entries, so the ones gone are
 * exactly 1 .. entries-added - length. Two checks follow from that:
 *   - gone past the reader: entries-added - length > n, the entries n+1 .. are lost;
 *   - the reader at the stream's end (last-generated-id is its last entry) must have counted
 *     to entries-added: a smaller count means entries went between a check and a read (the
 *     trim came in that instant), which the first check cannot see once they are read past.
 * A stream whose count or newest id is below the reader's went back: Redis restarted from an
 * older copy (the writes since, and the events of them, are gone: the state the reader acted
 * on may be too) or the stream was deleted. Each is a gap: resynchronise from state.
 */
#include <stdio.h>
#include <string.h>

#include "oq_events.h"
#include "oq_resp.h"

/* What a check reads of the stream. */
typedef struct stream_info {
	unsigned long long length, added;
	char newest[OMNIQ_STREAM_ID_MAX];
} stream_info_t;

/* XINFO STREAM's flat [field, value, ...] into *s; 0, or -1 when a field is missing. */
static int read_info(const redisReply *r, stream_info_t *s)
{
	const redisReply *k, *v;
	int have = 0;
	size_t i;

	memset(s, 0, sizeof(*s));
	if(r->type == REDIS_REPLY_ERROR && r->str && strstr(r->str, "no such key")) {
		snprintf(s->newest, sizeof(s->newest), "0-0");
		return 0; /* no event written yet (or the stream deleted) */
	}
	if(r->type != REDIS_REPLY_ARRAY)
		return -1;
	for(i = 0; i + 1 < r->elements; i += 2) {
		k = r->element[i];
		v = r->element[i + 1];
		if(k->type != REDIS_REPLY_STRING && k->type != REDIS_REPLY_STATUS)
			continue;
		if(!strcmp(k->str, "length") && v->type == REDIS_REPLY_INTEGER && v->integer >= 0) {
			s->length = (unsigned long long)v->integer;
			have |= 1;
		} else if(!strcmp(k->str, "entries-added") && v->type == REDIS_REPLY_INTEGER
				  && v->integer >= 0) {
			s->added = (unsigned long long)v->integer;
			have |= 2;
		} else if(!strcmp(k->str, "last-generated-id")
				  && (v->type == REDIS_REPLY_STRING || v->type == REDIS_REPLY_STATUS)
				  && v->len < sizeof(s->newest)) {
			memcpy(s->newest, v->str, v->len + 1);
			have |= 4;
		}
	}
	return have == 7 && s->length <= s->added ? 0 : -1;
}

int oq_events_check(omniq_events_pos_t *pos, const redisReply *xinfo, long long now_ms,
		omniq_events_gap_t *gap)
{
	stream_info_t s;
	int at_end;

	if(xinfo == NULL || read_info(xinfo, &s) < 0)
		return -1;
	pos->checked_ms = now_ms;
	if(!pos->anchored) {
		snprintf(pos->last, sizeof(pos->last), "%s", s.newest);
		pos->n = s.added;
		pos->anchored = 1;
		return 0;
	}
	memset(gap, 0, sizeof(*gap));
	snprintf(gap->last, sizeof(gap->last), "%s", pos->last);
	at_end = omniq_stream_id_cmp(s.newest, pos->last);
	if(s.added < pos->n || at_end < 0)
		gap->replaced = 1;
	else if(s.added - s.length > pos->n)
		gap->lost = s.added - s.length - pos->n;
	else if(at_end == 0 && s.added != pos->n)
		gap->lost = s.added - pos->n;
	else
		return 0;
	snprintf(pos->last, sizeof(pos->last), "%s", s.newest);
	pos->n = s.added;
	return 1;
}

int oq_events_read(redisContext *c, int n, const char *const *keys, const char *const *ids,
		const int *check, int block_ms, int count)
{
	const char *av[6 + 2 * OQ_EVENTS_READ_MAX], *xi[3] = {"XINFO", "STREAM", NULL};
	char bms[24], cnt[24];
	int i;

	if(n < 1 || n > OQ_EVENTS_READ_MAX) {
		c->err = REDIS_ERR_OTHER;
		snprintf(c->errstr, sizeof(c->errstr), "%d streams to read (1..%d)", n,
				OQ_EVENTS_READ_MAX);
		return REDIS_ERR;
	}
	for(i = 0; check && i < n; i++) {
		xi[2] = keys[i];
		if(check[i] && oq_redis_append_argv(c, 3, xi, NULL) != REDIS_OK)
			return REDIS_ERR;
	}
	snprintf(bms, sizeof(bms), "%d", block_ms);
	snprintf(cnt, sizeof(cnt), "%d", count);
	av[0] = "XREAD";
	av[1] = "COUNT";
	av[2] = cnt;
	av[3] = "BLOCK";
	av[4] = bms;
	av[5] = "STREAMS";
	for(i = 0; i < n; i++) {
		av[6 + i] = keys[i];
		av[6 + n + i] = ids[i];
	}
	return oq_redis_append_argv(c, 6 + 2 * n, av, NULL);
}
