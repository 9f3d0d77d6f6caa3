/*
 * redis_conn.c - a Redis connection of omniq_ws's own, for a thread that blocks on a stream
 * (the event reader, the outbox sender): where the core says the tenant's data lives.
 */
#include <stdio.h>
#include <hiredis/hiredis.h>

#include "ws.h"

redisContext *ws_redis_connect(const omniq_conn_info_t *conn)
{
	struct timeval tv = {2, 0};
	redisContext *rc;
	redisReply *r;

	rc = conn->host[0] == '/' ? redisConnectUnixWithTimeout(conn->host, tv)
							 : redisConnectWithTimeout(conn->host, conn->port, tv);
	if(rc == NULL || rc->err) {
		if(rc)
			redisFree(rc);
		return NULL;
	}
	if(conn->password && conn->password[0]) {
		r = redisCommand(rc, "AUTH %s", conn->password);
		if(r == NULL || r->type == REDIS_REPLY_ERROR) {
			if(r)
				freeReplyObject(r);
			redisFree(rc);
			return NULL;
		}
		freeReplyObject(r);
	}
	if(conn->db) {
		r = redisCommand(rc, "SELECT %d", conn->db);
		if(r)
			freeReplyObject(r);
	}
	return rc;
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
