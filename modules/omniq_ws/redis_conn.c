/*
 * redis_conn.c - a Redis connection of omniq_ws's own, for a thread that blocks on a stream
 * (the event reader, the outbox sender): where the core says the tenant's data lives, made
 * by the core's api.redis_connect.
 */
#include <stdio.h>
#include <stdarg.h>
#include <hiredis/hiredis.h>

#include "ws.h"

/* The longest a reply may take on these connections: the event reader blocks 5 s in XREAD,
 * the outbox sender 1 s in XREADGROUP; past this the connection is taken for dead (a Redis
 * host gone without a word: a half-open connection would otherwise hold the thread for
 * good) and made again. */
#define WS_REPLY_TIMEOUT_MS 10000

redisContext *ws_redis_connect(const omniq_conn_info_t *conn)
{
	struct timeval tv = {WS_REPLY_TIMEOUT_MS / 1000, 0};
	redisContext *c;
	char why[128];

	/* its callers retry each second without a word: Redis down is said by the core */
	c = ws_oq.redis_connect(conn, 2000, why, sizeof(why));
	if(c && redisSetTimeout(c, tv) != REDIS_OK) {
		redisFree(c);
		return NULL;
	}
	return c;
}

redisReply *ws_redis_command(redisContext *c, const char *fmt, ...)
{
	redisReply *r = NULL;
	va_list ap;
	int ok;

	va_start(ap, fmt);
	ok = redisvAppendCommand(c, fmt, ap) == REDIS_OK;
	va_end(ap);
	return ok && ws_oq.redis_reply(c, (void **)&r) == REDIS_OK ? r : NULL;
}

redisReply *ws_redis_command_argv(redisContext *c, int argc, const char **argv)
{
	redisReply *r = NULL;

	return ws_oq.redis_append(c, argc, argv, NULL) == REDIS_OK
						   && ws_oq.redis_reply(c, (void **)&r) == REDIS_OK
				   ? r
				   : NULL;
}

int ws_xread_stream(const redisReply *r, size_t i, const char *const *keys, int n,
		redisReply **entries)
{
	const redisReply *s;
	int t;

	if(r->type != REDIS_REPLY_ARRAY || i >= r->elements)
		return -1;
	s = r->element[i];
	if(s->type != REDIS_REPLY_ARRAY || s->elements != 2 || s->element[0]->type != REDIS_REPLY_STRING
			|| s->element[1]->type != REDIS_REPLY_ARRAY)
		return -1;
	for(t = 0; t < n; t++)
		if(!strcmp(keys[t], s->element[0]->str)) {
			*entries = s->element[1];
			return t;
		}
	return -1;
}
