/*
 * events.c - see events.h. Only this file's thread touches its Redis connection; the watch
 * set and the item list are shared with the lws loop under one mutex. The thread uses
 * malloc, never Kamailio's pkg memory (which is not thread-safe), and builds its replies in
 * an arena freed after each read (reply_arena.h).
 *
 * Each tenant's stream is read from the entry after the last one read (omniq_events.h), from
 * its end when the thread starts (anchored by XINFO STREAM, not "$", which would skip what
 * comes between two reads), across reconnects. The check that tells lost events rides with
 * a read (XINFO STREAM just before the XREAD) every OMNIQ_EVENTS_CHECK_MS and after a
 * reconnect; when entries the thread never read are gone, it drops what that read returned
 * of the stream, reads on from its end and queues a "resync" item where those entries
 * would have been: the loop logs it once and every socket of the tenant re-reads its state
 * (follow.c).
 */
#include <stddef.h>
#include <string.h>
#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>
#include <unistd.h>
#include <hiredis/hiredis.h>

#include "core/dprint.h"

#include "ws.h"
#include "events.h"
#include "omniq/omniq_stream.h"
#include "reply_arena.h"

#define WATCH_BUCKETS 4096

#define WKEY_MAX (OMNIQ_ID_MAX + 8)

typedef struct watch {
	struct watch *next;
	char key[WKEY_MAX];
	int count;   /* sockets that follow key */
	int inbound; /* of them, those that want the customer's own messages and typing */
} watch_t;

/* One tenant's stream, and where the thread is in it. */
typedef struct tstream {
	char key[128], tx_prefix[128];
	omniq_events_pos_t pos;
	int loading_said; /* Redis answered LOADING: said once */
} tstream_t;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static watch_t *watched[WATCH_BUCKETS];
static ws_item_t *head = NULL, *tail = NULL;
static struct lws_context *lws_ctx;
static omniq_conn_info_t conn;
static tstream_t streams[OMNIQ_TENANTS_MAX];
static int n_streams;
static ws_arena_t *arena; /* the reader thread's replies */
static char reader_name[32]; /* "omniq_ws process <rank>", in the log line of a gap */

void ws_events_watch(const char *key, int inbound)
{
	unsigned b = ws_key_hash(key) % WATCH_BUCKETS;
	watch_t *w;
	pthread_mutex_lock(&mu);
	for(w = watched[b]; w; w = w->next)
		if(!strcmp(w->key, key))
			break;
	if(w == NULL && (w = calloc(1, sizeof(*w))) != NULL) {
		snprintf(w->key, sizeof(w->key), "%s", key);
		w->next = watched[b];
		watched[b] = w;
	}
	if(w) {
		w->count++;
		w->inbound += inbound != 0;
	}
	pthread_mutex_unlock(&mu);
}

void ws_events_unwatch(const char *key, int inbound)
{
	watch_t **p, *w;
	pthread_mutex_lock(&mu);
	for(p = &watched[ws_key_hash(key) % WATCH_BUCKETS]; (w = *p) != NULL; p = &w->next)
		if(!strcmp(w->key, key)) {
			w->inbound -= inbound != 0;
			if(--w->count <= 0) {
				*p = w->next;
				free(w);
			}
			break;
		}
	pthread_mutex_unlock(&mu);
}

int ws_item_inbound(const char *type, size_t type_len, const char *state, size_t state_len)
{
	return state_len == 2 && !memcmp(state, "in", 2)
		   && ((type_len == 7 && !memcmp(type, "message", 7))
				   || (type_len == 6 && !memcmp(type, "typing", 6)));
}

/* Does a socket of this process follow tenant t's session or (prefix "a:") agent, id a
 * string of an event (or NULL when the event has none), and want it (inbound: the event is
 * the customer's own message or typing)? */
static int is_watched(int t, const char *prefix, const redisReply *id, int inbound)
{
	char k[WKEY_MAX];
	watch_t *w;
	int yes = 0;
	if(id == NULL || id->len == 0 || id->len >= WKEY_MAX
			|| (size_t)snprintf(k, sizeof(k), "%d|%s%.*s", t, prefix, (int)id->len, id->str)
					   >= sizeof(k))
		return 0;
	pthread_mutex_lock(&mu);
	for(w = watched[ws_key_hash(k) % WATCH_BUCKETS]; w; w = w->next)
		if(!strcmp(w->key, k)) {
			yes = !inbound || w->inbound > 0;
			break;
		}
	pthread_mutex_unlock(&mu);
	return yes;
}

ws_item_t *ws_events_take(void)
{
	ws_item_t *all;
	pthread_mutex_lock(&mu);
	all = head;
	head = tail = NULL;
	pthread_mutex_unlock(&mu);
	return all;
}

void ws_item_free(ws_item_t *it)
{
	if(it) {
		free(it->body);
		free(it);
	}
}

/* The fields of an event (or a transcript entry) that a socket server uses, pointing into
 * the reply; NULL for a field that is absent. One pass over its pairs. */
typedef struct fields {
	const redisReply *type, *sid, *agent, *state, *id, *from, *body, *reason, *wait, *fid;
} fields_t;

/* the names of tx_add()'s and the other events' fields */
#define FIELD(n) {#n, sizeof(#n) - 1, offsetof(fields_t, n)}
static const struct {
	const char *name;
	size_t len, at;
} names[] = {FIELD(type), FIELD(sid), FIELD(agent), FIELD(state), FIELD(id), FIELD(from),
		FIELD(body), FIELD(reason), FIELD(wait), FIELD(fid)};
#undef FIELD

/* The fields of entry e (checked whole: omniq_stream_entry) a socket server uses; -1 when e
 * is no entry. */
static int fields_of(const redisReply *e, fields_t *out)
{
	const redisReply *f, *k, **to;
	str id;
	size_t i, j;

	memset(out, 0, sizeof(*out));
	if(omniq_stream_entry(e, &id, &f) < 0)
		return -1;
	for(i = 0; i + 1 < f->elements; i += 2) {
		k = f->element[i];
		for(j = 0, to = NULL; j < sizeof(names) / sizeof(names[0]) && to == NULL; j++)
			if(k->len == names[j].len && !memcmp(k->str, names[j].name, k->len))
				to = (const redisReply **)((char *)out + names[j].at);
		if(to)
			*to = f->element[i + 1];
	}
	return 0;
}

/* v's string into out (cut to outlen - 1 bytes), or "" when v is NULL. */
static void copy(char *out, size_t outlen, const redisReply *v)
{
	size_t n = v ? (v->len < outlen ? v->len : outlen - 1) : 0;
	if(n)
		memcpy(out, v->str, n);
	out[n] = '\0';
}

/* Ask for the transcript entry a message event points at (its body and author); the
 * replies of a whole batch are read after it in one round trip (read_messages). */
static int ask_message(redisContext *rc, const ws_item_t *it)
{
	return redisAppendCommand(rc, "XRANGE %s%s:tx %s %s", streams[it->tenant].tx_prefix,
			it->sid, it->id, it->id);
}

/* A message's author and body from the fields that hold them (a transcript entry, or an
 * event that carries a short body); 0 when f has a body, -1 when not (or out of memory:
 * the caller then reads it from the transcript, or leaves it to the client's next read). */
static int take_body(ws_item_t *it, const fields_t *f)
{
	if(f->body == NULL)
		return -1;
	copy(it->from, sizeof(it->from), f->from);
	it->body = malloc(f->body->len + 1);
	if(it->body == NULL) {
		LM_ERR("event reader: out of memory for a message of session %s\n", it->sid);
		return -1;
	}
	memcpy(it->body, f->body->str, f->body->len + 1);
	return 0;
}

static void fill_message(ws_item_t *it, redisReply *r)
{
	fields_t f;

	if(r && r->type == REDIS_REPLY_ARRAY && r->elements == 1 && fields_of(r->element[0], &f) == 0)
		take_body(it, &f);
}

/* The replies to ask_message(), in the order asked. 0, or -1 when the connection failed
 * (the bodies not read stay NULL: the sockets that follow those sessions read them from the
 * transcript - a chat or an app after the last id it sent, a desk's page its transcript). */
static int read_messages(redisContext *rc, ws_item_t *first, int asked)
{
	redisReply *r;
	ws_item_t *it;

	for(it = first; it && asked > 0; it = it->next) {
		if(!it->asked)
			continue;
		asked--;
		if(ws_oq.redis_reply(rc, (void **)&r) != REDIS_OK)
			return -1;
		fill_message(it, r); /* r is the arena's */
	}
	return 0;
}

/* Tenant t's entries of an XREAD reply, the watched ones appended to *first..*lastit; the
 * messages' bodies asked for (the number asked is returned). Nothing is allocated for the
 * events no socket of this process follows or wants: most of them, with several processes
 * (each customer's own messages are read by every process, and wanted where its agent's
 * desk is). */
static int take_entries(redisContext *rc, int t, redisReply *entries, ws_item_t **first,
		ws_item_t **lastit)
{
	int asked = 0;
	redisReply *e;
	ws_item_t *it;
	fields_t f;
	str id;
	size_t i;
	int in;

	for(i = 0; i < entries->elements; i++) {
		e = entries->element[i];
		if(omniq_stream_id(e, &id) < 0)
			continue;
		omniq_events_read(&streams[t].pos, id.s, (size_t)id.len);
		if(fields_of(e, &f) < 0)
			continue;
		in = f.type && f.state
			 && ws_item_inbound(f.type->str, f.type->len, f.state->str, f.state->len);
		if(!is_watched(t, "", f.sid, in) && !is_watched(t, "a:", f.agent, in))
			continue;
		it = calloc(1, sizeof(*it));
		if(it == NULL) {
			/* its sockets miss this one event; the chat, the desk and the app read the
			 * transcript again on their next resume */
			LM_ERR("event reader: out of memory: event %s of session %.*s not handed to "
				   "this process's sockets\n", streams[t].pos.last, f.sid ? (int)f.sid->len : 0,
					f.sid ? f.sid->str : "");
			continue;
		}
		it->tenant = t;
		copy(it->sid, sizeof(it->sid), f.sid);
		copy(it->agent, sizeof(it->agent), f.agent);
		copy(it->type, sizeof(it->type), f.type);
		copy(it->state, sizeof(it->state), f.state);
		copy(it->id, sizeof(it->id), f.id);
		if(!strcmp(it->type, "message") && it->id[0]) {
			/* a short body comes with its event; a long one is read from the transcript */
			if(take_body(it, &f) != 0 && ask_message(rc, it) == REDIS_OK) {
				it->asked = 1;
				asked++;
			}
		} else if(!strcmp(it->type, "typing"))
			copy(it->from, sizeof(it->from), f.from);
		else if(!strncmp(it->type, "sla", 3) && f.wait)
			it->wait_ms = strtoll(f.wait->str, NULL, 10);
		else if(!strcmp(it->type, "followup"))
			copy(it->id, sizeof(it->id), f.fid);
		else if(!strcmp(it->type, "delivery") && f.reason && f.reason->len
				&& (it->body = malloc(f.reason->len + 1)) != NULL) {
			/* its reason rides in body (a desk shows it; no body: none, or no memory) */
			memcpy(it->body, f.reason->str, f.reason->len);
			it->body[f.reason->len] = '\0';
		}
		if(*lastit)
			(*lastit)->next = it;
		else
			*first = it;
		*lastit = it;
	}
	return asked;
}


/* Items first..lastit to the loop's list, after what it has not taken yet: 1 when the
 * loop is to be woken for them, 0 when it already is (items it has not taken yet are there,
 * queued with a wakeup; it takes the whole list at once). Under load the reader reads again
 * before the loop got round to the last read's items, and a wakeup each time was a write
 * on the loop's pipe and a turn of the loop each. */
static int queue_items(ws_item_t *first, ws_item_t *lastit)
{
	int wake;

	pthread_mutex_lock(&mu);
	wake = head == NULL;
	if(tail)
		tail->next = first;
	else
		head = first;
	tail = lastit;
	pthread_mutex_unlock(&mu);
	return wake;
}

/* Tenant t's check of this read, xinfo its reply: 0, or 1 when t lost events, which are
 * then the loop's to tell (a "resync" item queued at once: later items come after it; *wake
 * set when the loop is to be woken for it, queue_items). */
static int take_check(int t, const redisReply *xinfo, int *wake)
{
	omniq_events_pos_t was = streams[t].pos;
	omniq_events_gap_t gap;
	ws_item_t *it;
	int rc = ws_oq.events_check(&streams[t].pos, xinfo, omniq_mono_ms(), &gap);

	if(rc < 0 && xinfo->type == REDIS_REPLY_ERROR && !strncmp(xinfo->str, "LOADING", 7)) {
		/* Redis reads its data back after a restart: nothing is lost by that, the check
		 * is made again at the next read (said once until one is made) */
		if(!streams[t].loading_said)
			LM_NOTICE("event reader: Redis is loading its data (a restart): the check of %s "
					  "waits for it\n",
					streams[t].key);
		streams[t].loading_said = 1;
		return 0;
	}
	streams[t].loading_said = 0;
	if(rc < 0) {
		/* said once per check, not per read */
		streams[t].pos.checked_ms = omniq_mono_ms();
		LM_ERR("event reader: XINFO STREAM %s answered %s: events lost there would go "
			   "unnoticed\n", streams[t].key,
				xinfo->type == REDIS_REPLY_ERROR ? xinfo->str : "no stream information");
		return 0;
	}
	if(rc == 0)
		return 0;
	if((it = calloc(1, sizeof(*it))) == NULL) {
		/* nowhere to say it: found again by the next read's check */
		streams[t].pos = was;
		streams[t].pos.checked_ms = 0;
		LM_ERR("event reader: out of memory for the resync of tenant %d\n", t);
		return 1;
	}
	it->tenant = t;
	it->gap = gap;
	snprintf(it->type, sizeof(it->type), "resync");
	*wake |= queue_items(it, it);
	return 1;
}

/* Every stream not anchored yet, anchored at its end (one round trip): 0, or -1 when the
 * connection failed or a stream cannot be read (said). */
static int anchor(redisContext *rc)
{
	omniq_events_gap_t gap;
	redisReply *r;
	int t, rc2 = 0;

	for(t = 0; t < n_streams; t++)
		if(!streams[t].pos.anchored
				&& redisAppendCommand(rc, "XINFO STREAM %s", streams[t].key) != REDIS_OK)
			return -1;
	for(t = 0; t < n_streams; t++) {
		if(streams[t].pos.anchored)
			continue;
		if(ws_oq.redis_reply(rc, (void **)&r) != REDIS_OK)
			return -1;
		if(rc2 == 0
				&& ws_oq.events_check(&streams[t].pos, r, omniq_mono_ms(), &gap) < 0) {
			LM_ERR("event reader: XINFO STREAM %s answered %s: cannot read it\n",
					streams[t].key,
					r->type == REDIS_REPLY_ERROR ? r->str : "no stream information");
			rc2 = -1;
		}
	}
	ws_arena_reset(arena);
	return rc2;
}

static void *reader(void *arg)
{
	const char *keys[OMNIQ_TENANTS_MAX], *ids[OMNIQ_TENANTS_MAX];
	redisContext *rc = NULL;
	redisReply *r, *entries, *xinfo;
	ws_item_t *first, *lastit;
	int check[OMNIQ_TENANTS_MAX], lost[OMNIQ_TENANTS_MAX];
	long long now;
	size_t i;
	int t, asked, again = 1, failed, woke, came;

	for(t = 0; t < n_streams; t++)
		keys[t] = streams[t].key;
	for(;;) {
		if(rc == NULL) {
			if((rc = ws_redis_connect(&conn)) == NULL) {
				sleep(1);
				continue;
			}
			ws_arena_attach(arena, rc->reader); /* every reply from here on */
			again = 1; /* away for a while: check with the first read */
		}
		if(anchor(rc) < 0) {
			/* a stream that cannot be read is said once a second, not spun on */
			if(rc->err == 0)
				sleep(1);
			redisFree(rc);
			rc = NULL;
			ws_arena_reset(arena);
			continue;
		}
		now = omniq_mono_ms();
		for(t = 0; t < n_streams; t++) {
			check[t] = again || omniq_events_due(&streams[t].pos, now);
			ids[t] = streams[t].pos.last;
		}
		/* at most 512 entries, waiting up to 5 s for the first */
		failed = ws_oq.events_read(rc, n_streams, keys, ids, check, 5000, 512) != REDIS_OK;
		for(t = 0, woke = 0; t < n_streams && !failed; t++) {
			lost[t] = 0;
			if(!check[t])
				continue;
			if(ws_oq.redis_reply(rc, (void **)&xinfo) != REDIS_OK)
				failed = 1;
			else
				lost[t] = take_check(t, xinfo, &woke);
		}
		if(woke)
			lws_cancel_service(lws_ctx); /* the resync first, whatever comes of the read */
		r = NULL;
		if(failed || ws_oq.redis_reply(rc, (void **)&r) != REDIS_OK || r == NULL) {
			/* connection lost (or no memory for the reply): events written meanwhile are
			 * read on reconnect after the last one read */
			LM_WARN("event reader: %s: reconnecting to Redis\n",
					rc->errstr[0] ? rc->errstr : "no reply");
			redisFree(rc);
			rc = NULL;
			ws_arena_reset(arena);
			continue;
		}
		again = 0;
		first = lastit = NULL;
		asked = 0;
		for(i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++)
			if((t = ws_xread_stream(r, i, keys, n_streams, &entries)) >= 0 && !lost[t])
				asked += take_entries(rc, t, entries, &first, &lastit);
		if(asked && read_messages(rc, first, asked) < 0) {
			LM_WARN("event reader lost Redis while reading %d messages: reconnecting\n", asked);
			redisFree(rc);
			rc = NULL;
		}
		came = r->type == REDIS_REPLY_ARRAY && r->elements > 0;
		ws_arena_reset(arena); /* the items hold copies of what they need */
		if(first && queue_items(first, lastit))
			lws_cancel_service(lws_ctx);
		/* events came: the next read a little later brings more at once. Each read
		 * wakes Redis, this thread and the loop; under load they came a few at a time,
		 * and those wakeups were most of the reader's CPU and a tenth of Redis'
		 * (docs/performance.md, bench/ws). An idle stream is still read at once. */
		if(ws_cfg.event_read_gap && came)
			usleep((useconds_t)ws_cfg.event_read_gap);
	}
	return NULL;
}

int ws_events_start(struct lws_context *ctx, int rank)
{
	str prefix;

	lws_ctx = ctx;
	snprintf(reader_name, sizeof(reader_name), "omniq_ws process %d", rank);
	ws_oq.conn_info(&conn);
	for(n_streams = 0; n_streams < OMNIQ_TENANTS_MAX && ws_oq.tenant_at(n_streams, NULL, &prefix) == 0;
			n_streams++) {
		tstream_t *t = &streams[n_streams];
		snprintf(t->key, sizeof(t->key), "%.*s:events", prefix.len, prefix.s);
		snprintf(t->tx_prefix, sizeof(t->tx_prefix), "%.*s:s:", prefix.len, prefix.s);
	}
	if((arena = ws_arena_new()) == NULL) {
		LM_ERR("out of memory for the event reader\n");
		return -1;
	}
	return ws_thread_start(reader, "events");
}

void ws_events_report(const ws_item_t *it)
{
	ws_oq.events_gap(it->tenant, &it->gap, reader_name);
}
