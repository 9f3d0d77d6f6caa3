/*
 * oq_redis.h - one hiredis connection per Kamailio process, and FCALL into the omniq library.
 *
 * Every SIP worker, timer and RPC process owns its own synchronous connection (hiredis is not
 * shared across fork). A call is exactly one round trip. When Redis is gone the call fails
 * at once with OQ_EREDIS instead of queueing work: a SIP worker must answer the request, not
 * wait. Reconnection is attempted on the next call, but not more often than
 * reconnect_interval, so a dead Redis costs each call one failed check, not one connect
 * timeout. A write whose reply was lost is never retried: the caller reports the error and
 * nothing was acknowledged. The connection and its state are thread-local: a thread that a
 * module starts in its process (omniq_api.h, "Threads") opens its own on its first call.
 */
#ifndef OQ_REDIS_H
#define OQ_REDIS_H

#include <hiredis/hiredis.h>

typedef struct oq_redis_cfg {
	char *host;          /* or unix socket path when it starts with '/' */
	int port;
	int connect_timeout_ms;
	int command_timeout_ms;
	int reconnect_interval_ms;
	char *password;      /* NULL = none */
	int db;
} oq_redis_cfg_t;

extern oq_redis_cfg_t oq_redis_cfg;

/* Connect now (mod_init check, child_init). 0 ok, -1 with the reason logged. */
int oq_redis_connect(void);
/* A new blocking connection of its own (AUTH and SELECT made, no command timeout set), or
 * NULL with why: the one way omniq and the channels' threads (api.redis_connect) connect. */
redisContext *oq_redis_open(const char *host, int port, const char *password, int db,
		int connect_timeout_ms, char *why, size_t size);
void oq_redis_close(void);
/* Before fork: close and forget, so each child connects on its first call. */
void oq_redis_detach(void);

/* redisGetReply() after writing what was appended to c itself (hiredis 0.14's own write
 * crashes when an allocation fails there): every reply of omniq and its channels' threads
 * is read this way (api.redis_reply). */
int oq_redis_get_reply(redisContext *c, redisReply **reply);
/* Its first half: what was appended to c, written (api.redis_flush). */
int oq_redis_flush(redisContext *c);

/* Is r Redis' "Function not found" (FUNCTION FLUSH, a replica promoted without the
 * library: nothing of the call ran)? */
int oq_redis_library_missing(const redisReply *r);
/* FUNCTION LOAD REPLACE of the embedded library on a connection of a module's own thread
 * (api.library_load): 0, or -1 with why. No Kamailio memory, no log: any thread. */
int oq_redis_library_load_on(redisContext *c, char *why, size_t size);

/* Load the embedded function library (FUNCTION LOAD REPLACE) and check the server version. */
int oq_redis_load_library(void);

/* FCALL fn 1 <prefix> argv[0..argc-1] with binary-safe arguments. Returns the reply (caller
 * frees with freeReplyObject) or NULL when Redis is unreachable / the reply was lost; a Redis
 * error reply is returned as a REDIS_REPLY_ERROR reply. */
redisReply *oq_redis_fcall(const char *fn, const char *prefix, int prefixlen, int argc,
		const char **argv, const size_t *argvlen);

/* The most arguments one FCALL of ours takes: oq_append_many's 64 messages of 6. */
#define OQ_FCALL_MAX_ARGS 384

/* n FCALLs of fn in one round trip, command i with argc[i] (0..OQ_FCALL_MAX_ARGS)
 * arguments taken in turn from argv (argvlen likewise): every command is written, then every
 * reply read, in order. out[i] gets each reply as oq_redis_fcall() would return it; when the
 * connection fails midway the replies not read are NULL (and the connection is dropped).
 * Calls that find no library in Redis (`Function not found`: nothing ran) are made once
 * more after the library is loaded again (a FUNCTION FLUSH, a replica promoted without it).
 * Returns the number of replies read (the non-NULL out[i]). */
int oq_redis_fcall_many(const char *fn, const char *prefix, int prefixlen, int n,
		const int *argc, const char *const *argv, const size_t *argvlen, redisReply **out);

/* Any other command (RPC helpers, dispatcher). Same NULL rule. */
redisReply *oq_redis_command(int argc, const char **argv, const size_t *argvlen);

/* A command that may block up to block_ms in Redis (BLPOP): the socket's timeout is that
 * plus redis_timeout while it waits. Same NULL rule. */
redisReply *oq_redis_command_block(int argc, const char **argv, const size_t *argvlen,
		int block_ms);

/* Block up to block_ms for new entries of streams keys[0..n-1] after ids[0..n-1] (dispatcher
 * process only). XINFO STREAM keys[i] is written before it for each i with check[i] (check
 * may be NULL), in the same round trip: info[i] (n of them) gets its reply, to free, or
 * NULL when not asked for; all NULL when the XREAD's reply is NULL. */
redisReply *oq_redis_xread(int n, const char *const *keys, const char *const *ids,
		const int *check, redisReply **info, int block_ms, int count);

/* How many times this process (thread) has connected to Redis: a reader that sees it change
 * knows its connection was lost and made again in between. */
unsigned long oq_redis_connects(void);

const char *oq_redis_last_error(void);

#endif
