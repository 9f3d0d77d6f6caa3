/*
 * append.c - messages into transcripts (OMNIQ.APPEND_MANY): what a socket server's
 * appender sends for every customer line, the busiest write of a chat. The library's
 * lua/42_messages.lua M.append / M.append_once, per message: the same checks with the same
 * words, the same keys, the same event.
 *
 * Why here: as a Redis function the append spent ~11 us of Redis time a message, most of
 * it in Lua and in redis.call's conversions, not in its two XADDs (docs/performance.md,
 * bench/ws, stop 37).
 */
#include <string.h>

#include "args.h"
#include "call.h"
#include "engine.h"
#include "oq_limits.h"
#include "repl.h"
#include "sla.h"

/* a six-argument message: sid dir from type body cid */
#define MSG_ARGS 6

/* V.str: oqe_arg_text's rules (length, no control character), and empty only when allowed */
static int text_ok(oqe_call *c, const char *what, RedisModuleString *v, size_t max, int empty)
{
	size_t len;

	RedisModule_StringPtrLen(v, &len);
	if (len == 0 && !empty)
		return oqe_fail(c, "ARG", "%s must not be empty", what), -1;
	return oqe_arg_text(c, what, v, max);
}

/* V.body: 1..BODY_MAX bytes, only NUL refused (newlines and tabs are text) */
static int body_ok(oqe_call *c, RedisModuleString *v)
{
	size_t len;
	const char *s = RedisModule_StringPtrLen(v, &len);

	if (len == 0)
		return oqe_fail(c, "ARG", "body missing"), -1;
	if (len > OQ_BODY_MAX)
		return oqe_fail(c, "ARG", "body longer than %d bytes", OQ_BODY_MAX), -1;
	if (memchr(s, 0, len))
		return oqe_fail(c, "ARG", "body contains a NUL byte"), -1;
	return 0;
}

/* the direction as its literal (the event's state field carries it), NULL when none */
static const char *dir_lit(RedisModuleString *dir)
{
	static const char *const dirs[] = { "in", "out", "sys", "note" };
	size_t i;

	for (i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
		if (oqe_is(dir, dirs[i]))
			return dirs[i];
	return NULL;
}

static int terminal(RedisModuleString *state)
{
	return oqe_is(state, "closed") || oqe_is(state, "abandoned") || oqe_is(state, "expired");
}

static void reply_or_empty(oqe_call *c, RedisModuleString *s)
{
	if (s)
		RedisModule_ReplyWithString(c->ctx, s);
	else
		RedisModule_ReplyWithStringBuffer(c->ctx, "", 0);
}

/* how a message is answered */
enum answer {
	ANS_ONCE,    /* {id, "0"} appended, {first id, "1"} its cid seen before */
	ANS_ID,      /* the entry's id */
	ANS_REPLY,   /* {id, channel, ext}: what a channel driver needs to deliver it */
};

/* One message (a[0..5]: sid dir from type body cid; cid "" for none), answered as one
 * reply (how), or its error. A cid seen before on this session is answered with its first
 * entry and nothing written. Everything is checked before the first write. */
static void append_one(oqe_call *c, RedisModuleString **a, enum answer how)
{
	RedisModuleString *sid = a[0], *dir = a[1], *from = a[2], *type = a[3], *body = a[4];
	RedisModuleString *cid = a[5], *ckey = NULL, *state, *channel, *ext, *tkey, *id, *f[8];
	RedisModuleString *extra[OQE_EVENT_EXTRA_MAX];
	RedisModuleKey *s, *t, *ck = NULL;
	RedisModuleStreamID sid_out;
	const char *sp, *dl;
	size_t sl, bl;
	char buf[48];
	int nextra = 2;

	/* with a cid, the library's append_once: the cid first, a repeat answered before the
	 * message's own checks */
	if (!oqe_empty(cid)) {
		if (text_ok(c, "cid", cid, OQ_CID_MAX, 0) < 0 || oqe_check_sid(c, sid, "session id") < 0)
			return;
		sp = RedisModule_StringPtrLen(sid, &sl);
		ckey = oqe_key(c, ":s:", sp, sl);
		RedisModule_StringAppendBuffer(c->ctx, ckey, ":cids", 5);
		if (!(ck = oqe_hash(c, ckey)))
			return;
		if (RedisModule_KeyType(ck) == REDISMODULE_KEYTYPE_HASH) {
			RedisModuleString *seen = NULL;

			RedisModule_HashGet(ck, REDISMODULE_HASH_NONE, cid, &seen, NULL);
			if (seen) {
				RedisModule_ReplyWithArray(c->ctx, 2);
				RedisModule_ReplyWithString(c->ctx, seen);
				RedisModule_ReplyWithStringBuffer(c->ctx, "1", 1);
				return;
			}
		}
	} else if (oqe_check_sid(c, sid, "session id") < 0) {
		return;
	}
	if (!(dl = dir_lit(dir))) {
		oqe_fail(c, "ARG", "dir must be in, out, sys or note");
		return;
	}
	if (text_ok(c, "from", from, OQ_TEXT_MAX, 1) < 0 || text_ok(c, "type", type, OQ_TYPE_MAX, 0) < 0
			|| body_ok(c, body) < 0)
		return;
	sp = RedisModule_StringPtrLen(sid, &sl);
	if (!(s = oqe_hash(c, oqe_key(c, ":s:", sp, sl))))
		return;
	if (!(state = oqe_hget(s, "state"))) {
		oqe_fail(c, "NOTFOUND", "session %.*s", (int)sl, sp);
		return;
	}
	if (terminal(state)) {
		oqe_fail(c, "STATE", "session %.*s is %s", (int)sl, sp,
				RedisModule_StringPtrLen(state, NULL));
		return;
	}
	channel = oqe_hget(s, "channel");
	ext = oqe_hget(s, "ext");
	tkey = oqe_key(c, ":s:", sp, sl);
	RedisModule_StringAppendBuffer(c->ctx, tkey, ":tx", 3);
	if (!(t = oqe_stream(c, tkey)))
		return;

	/* decided: from here on only writes */
	f[0] = oqe_name("dir");
	f[1] = dir;
	f[2] = oqe_name("from");
	f[3] = from;
	f[4] = oqe_name("type");
	f[5] = type;
	f[6] = oqe_name("body");
	f[7] = body;
	if (RedisModule_StreamAdd(t, REDISMODULE_STREAM_ADD_AUTOID, &sid_out, f, 4)
			!= REDISMODULE_OK) {
		/* a stream whose last id is the largest there is: nothing can follow it */
		oqe_fail(c, "INTERNAL", "%s takes no more entries",
				RedisModule_StringPtrLen(tkey, NULL));
		return;
	}
	id = oqe_stream_id(c, &sid_out, buf);
	oqe_rep(c->ctx, "XADD", "ssv", tkey, id, f, (size_t)8);
	extra[0] = oqe_name("id");
	extra[1] = id;
	RedisModule_StringPtrLen(body, &bl);
	if (bl <= OQ_EVENT_BODY_MAX) { /* a short body rides along in the event */
		extra[2] = f[2];
		extra[3] = from;
		extra[4] = f[6];
		extra[5] = body;
		nextra = 6;
	}
	oqe_emit_x(c, "message", sid, dl, NULL, channel, ext, extra, nextra);
	oqe_sla_message(c, s, sp, sl, sid, dl);
	if (ck) {
		RedisModule_HashSet(ck, REDISMODULE_HASH_NONE, cid, id, NULL);
		oqe_rep(c->ctx, "HSET", "sss", ckey, cid, id);
	}
	if (how == ANS_ID) {
		RedisModule_ReplyWithString(c->ctx, id);
	} else if (how == ANS_REPLY) {
		RedisModule_ReplyWithArray(c->ctx, 3);
		RedisModule_ReplyWithString(c->ctx, id);
		reply_or_empty(c, channel);
		reply_or_empty(c, ext);
	} else {
		RedisModule_ReplyWithArray(c->ctx, 2);
		RedisModule_ReplyWithString(c->ctx, id);
		RedisModule_ReplyWithStringBuffer(c->ctx, "0", 1);
	}
}

/* OMNIQ.APPEND P sid dir from type body: the entry's id */
int oqe_cmd_append(RedisModuleCtx *ctx, RedisModuleString **argv, int argc)
{
	oqe_call c;
	RedisModuleString *a[MSG_ARGS];

	if (oqe_begin(&c, ctx, argv, argc, 5, "sid dir from type body") < 0)
		return REDISMODULE_OK;
	memcpy(a, argv + 2, 5 * sizeof *a);
	a[5] = oqe_name("");
	append_one(&c, a, ANS_ID);
	return REDISMODULE_OK;
}

/* OMNIQ.APPEND_ONCE P sid dir from type body cid: {id, "0"} appended, or {first id, "1"}
 * when the cid was appended to this session before (nothing written, no event) */
int oqe_cmd_append_once(RedisModuleCtx *ctx, RedisModuleString **argv, int argc)
{
	oqe_call c;

	if (oqe_begin(&c, ctx, argv, argc, 6, "sid dir from type body cid") < 0)
		return REDISMODULE_OK;
	if (oqe_empty(argv[7])) /* the cid is what this call is for */
		return oqe_fail(&c, "ARG", "cid must not be empty");
	append_one(&c, argv + 2, ANS_ONCE);
	return REDISMODULE_OK;
}

/* OMNIQ.REPLY P sid from type body: an agent's reply appended as 'out', answered with what
 * the channel driver needs to deliver it, {id, channel, ext} (no second read) */
int oqe_cmd_reply(RedisModuleCtx *ctx, RedisModuleString **argv, int argc)
{
	oqe_call c;
	RedisModuleString *a[MSG_ARGS];

	if (oqe_begin(&c, ctx, argv, argc, 4, "sid from type body") < 0)
		return REDISMODULE_OK;
	a[0] = argv[2];
	a[1] = oqe_name("out");
	a[2] = argv[3];
	a[3] = argv[4];
	a[4] = argv[5];
	a[5] = oqe_name("");
	append_one(&c, a, ANS_REPLY);
	return REDISMODULE_OK;
}

/* OMNIQ.APPEND_MANY P sid dir from type body cid [...]: 1..OQ_APPEND_MANY_MAX messages,
 * each answered on its own ({id, "0"|"1"} or the error it would have given alone: a closed
 * session refuses its message, not its neighbours'). A call of the wrong shape is refused
 * whole with nothing written. */
int oqe_cmd_append_many(RedisModuleCtx *ctx, RedisModuleString **argv, int argc)
{
	oqe_call c;
	int n, i;

	if (oqe_begin(&c, ctx, argv, argc, -1, "") < 0)
		return REDISMODULE_OK;
	n = argc - 2;
	if (n == 0 || n % MSG_ARGS != 0 || n > MSG_ARGS * OQ_APPEND_MANY_MAX)
		return oqe_fail(&c, "ARG", "expected 1..%d times: sid dir from type body cid",
				OQ_APPEND_MANY_MAX);
	n /= MSG_ARGS;
	RedisModule_ReplyWithArray(ctx, n);
	for (i = 0; i < n; i++)
		append_one(&c, argv + 2 + MSG_ARGS * i, ANS_ONCE);
	return REDISMODULE_OK;
}
