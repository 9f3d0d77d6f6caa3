/*
 * call.h - what every command of the omniq engine starts from and ends with: the tenant
 * prefix, one clock reading, its error replies, its writes (each replicated as the plain
 * Redis command it amounts to), its counters and its events.
 *
 * Why a Redis module: a routing cycle run as Redis functions spent two thirds of its time
 * in the Lua interpreter and in redis.call's argument and reply conversions, not in the
 * commands (docs/performance.md, stop 34). Here the same steps touch the keys directly.
 * The data model stays the library's (docs/redis-model.md): a command moved here writes
 * exactly the keys and fields its Lua version wrote, so both can run side by side while
 * the library moves over, and the library's FCALL names stay as thin calls into this.
 *
 * Writes go through the low-level key API and are propagated to the AOF and replicas as
 * the equivalent HSET / ZREM / XADD with its resolved values (an XADD with the id Redis
 * chose, never '*'), queued and sent once the command ends (repl.h), so a replica and an
 * AOF replay reach the same state without running the engine's decisions again.
 * Everything a command decides is read and checked before
 * its first write: an error reply means nothing was written.
 */
#ifndef OQE_CALL_H
#define OQE_CALL_H

#include <stddef.h>

#include "redismodule.h"

/* the counters one call can bump (P:stat fields); more than any command needs */
#define OQE_COUNTS_MAX 8

typedef struct oqe_call {
	RedisModuleCtx *ctx;
	const char *p;             /* the tenant prefix oq:{tenant}, as given */
	size_t plen;
	long long now;             /* the call's one clock reading, ms */
	RedisModuleString *ns;     /* the same as the decimal string that is written */
	struct {
		const char *field;
		long long n;
	} counts[OQE_COUNTS_MAX];
	int ncounts;
	struct {
		long long ms;              /* a wait for the wait averages */
		RedisModuleString *queue;  /* the queue it was waited in */
	} samples[OQE_COUNTS_MAX];
	int nsamples;
	int sla;                   /* sla.c: 0 not looked yet, 1 the tenant has no service-level
	                              policy nor business hours, 2 it has */
} oqe_call;

/* Set at module load: `testclock` makes the clock Redis' time plus the offset in the key
 * oq:test:clock, as the Redis suite's Lua clock (tests/redis/clock.lua) does. */
extern int oqe_testclock;

/* Checks the argument count (argc counts the command name and the prefix too; nargs < 0:
 * the caller checks it) and the prefix, and reads the clock. On a failure it has replied
 * already and returns -1. */
int oqe_begin(oqe_call *c, RedisModuleCtx *ctx, RedisModuleString **argv, int argc,
		int nargs, const char *usage);

/* Replies with the error "OQ_<code> <message>" and returns REDISMODULE_OK (what a
 * command returns after any reply). */
int oqe_fail(oqe_call *c, const char *code, const char *fmt, ...)
		__attribute__((format(printf, 3, 4)));

/* The string of a C literal (a field name, a state), made once and kept: lit must be a
 * string literal (it is told apart by its address). */
RedisModuleString *oqe_name(const char *lit);

/* The key name P + suffix + id (id may be NULL). */
RedisModuleString *oqe_key(oqe_call *c, const char *suffix, const char *id, size_t idlen);

/* A hash opened for reading and writing. Returns NULL (after replying OQ_INTERNAL) when
 * the key holds something else than a hash. */
RedisModuleKey *oqe_hash(oqe_call *c, RedisModuleString *name);
/* The same for a stream (a transcript). */
RedisModuleKey *oqe_stream(oqe_call *c, RedisModuleString *name);

/* One field of a hash opened with oqe_hash (NULL: no such key or field); field is a
 * string literal (oqe_name). */
RedisModuleString *oqe_hget(RedisModuleKey *k, const char *field);

/* LPUSH name value, and the oldest dropped past max entries (one RPOP: the list never
 * grows past max, one push at a time). */
void oqe_lpush_capped(oqe_call *c, RedisModuleString *name, RedisModuleString *value, long max);

/* HSET name f1 v1 f2 v2 ... (npairs pairs of const char * and RedisModuleString *). */
void oqe_hset(oqe_call *c, RedisModuleKey *k, RedisModuleString *name, int npairs, ...);

/* The one member of P:fair, P:skl:<skill> and P:offers that is no agent or session: 72
 * '~' (lua/20_agent.lua A.FAIR_SENTINEL). Longer than Redis' zset-max-listpack-value, it
 * keeps its zset a skiplist with a dict, where finding a member is a lookup, not a scan of
 * a listpack. Scored +inf in P:fair and P:offers, -inf in P:skl:<skill>. */
#define OQE_SENTINEL \
	"~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~"

/* ZADD P:offers exp sid: the offer's deadline (and the sentinel, scored +inf, with a new
 * P:offers) */
void oqe_offers_add(oqe_call *c, long long exp, RedisModuleString *sid);

/* ZREM name member */
void oqe_zrem(oqe_call *c, RedisModuleString *name, RedisModuleString *member);

/* INCR of a counter key (P:seq:*): the new value, or -1 when the key holds anything but
 * a non-negative decimal (nothing written then). */
long long oqe_incr(oqe_call *c, RedisModuleString *name);

/* SET name value */
void oqe_set(oqe_call *c, RedisModuleString *name, RedisModuleString *value);

/* Counters, written once by oqe_finish(). */
void oqe_count(oqe_call *c, const char *field, long long n);
/* A wait (enqueue -> offer, ms) in queue for the averages a promise is built on: the
 * tenant's (P:stat wait_ewma_ms) and the queue's (P:stat qew:<queue>), alpha 1/8, as the library keeps
 * them (lua/04_ctx.lua X.wait_sample). */
void oqe_wait_sample(oqe_call *c, RedisModuleString *queue, long long ms);
/* The field of P:stat that keeps queue q's wait average: "qew:<queue>" */
RedisModuleString *oqe_qew_field(oqe_call *c, RedisModuleString *q);
void oqe_finish(oqe_call *c);

/* One event into P:events: type sid agent state channel ext (NULL is ""). type and state
 * are string literals (made into strings once: oqe_name). */
void oqe_emit(oqe_call *c, const char *type, RedisModuleString *sid, const char *state,
		RedisModuleString *agent, RedisModuleString *channel, RedisModuleString *ext);

/* The same with nextra more values (field, value, ...; at most OQE_EVENT_EXTRA_MAX) after
 * the six: a message's entry id, author and body. Returns the event's id (NULL: not
 * written, a bug logged). */
#define OQE_EVENT_EXTRA_MAX 6
RedisModuleString *oqe_emit_x(oqe_call *c, const char *type, RedisModuleString *sid,
		const char *state, RedisModuleString *agent, RedisModuleString *channel,
		RedisModuleString *ext, RedisModuleString **extra, int nextra);

/* A stream id as its string ms-seq (buf: its bytes, 48 are enough) */
RedisModuleString *oqe_stream_id(oqe_call *c, const RedisModuleStreamID *id, char buf[48]);

/* The queue name is in P:queues (for listing): one SADD per name and second, not per call
 * (the library's X.queue_seen). */
void oqe_queue_seen(oqe_call *c, RedisModuleString *queue);

/* string helpers: a equals b; a equals the C string s; a is "" */
int oqe_empty(RedisModuleString *a);
int oqe_same(RedisModuleString *a, RedisModuleString *b);
int oqe_is(RedisModuleString *a, const char *s);

/* The key is a zset or nothing: 0, else -1 after replying OQ_INTERNAL. */
int oqe_zset_ok(oqe_call *c, RedisModuleString *key);

/* Checks of the engine's arguments, with the library's words (lua/03_valid.lua): 0 when
 * the value is good, else -1 after replying OQ_ARG. */
int oqe_check_sid(oqe_call *c, RedisModuleString *v, const char *what);
int oqe_check_id(oqe_call *c, RedisModuleString *v, const char *what);

#endif
