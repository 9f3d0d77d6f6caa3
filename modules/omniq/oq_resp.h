/*
 * oq_resp.h - a Redis command appended to a hiredis connection's output buffer.
 */
#ifndef OQ_RESP_H
#define OQ_RESP_H

#include <stddef.h>
#include <hiredis/hiredis.h>

/* redisAppendCommandArgv() as it should be: hiredis 0.14's loses its command buffer when an
 * allocation fails (redisFormatSdsCommandArgv, hiredis issue #976); this one writes the
 * command into c's output buffer, sized once, which a failed allocation leaves as it was
 * (c->err then says "Out of memory", as hiredis would). argvlen NULL: strlen of each.
 * REDIS_OK or REDIS_ERR. Every argv command of omniq and of its channels' threads is
 * appended this way (api.redis_append). No Kamailio memory: any thread may call it. */
int oq_redis_append_argv(redisContext *c, int argc, const char **argv, const size_t *argvlen);

#endif
