/*
 * test_resp.c - oq_redis_append_argv (oq_resp.c), the core's replacement for hiredis 0.14's
 * redisAppendCommandArgv: byte for byte what hiredis formats, appended after what the
 * buffer holds (a pipeline), binary-safe, and a command it cannot append leaves the buffer
 * as it was with the context's error set. (Its allocation failing - the leak it exists to
 * avoid - is tests/integration/test_faults.py's torture of the chat message.)
 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <hiredis/hiredis.h>
#include <hiredis/sds.h>
#include "unit.h"
#include "oq_resp.h"

/* A hiredis context on one end of a socket pair: nothing is sent, only appended. */
static redisContext *context(int *peer)
{
	int sv[2];
	redisContext *c;

	if(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return NULL;
	c = redisConnectFd(sv[0]);
	*peer = sv[1];
	return c;
}

static void done(redisContext *c, int peer)
{
	redisFree(c);
	close(peer);
}

/* Whether appending argv gives the bytes hiredis' own formatter gives. */
static int same_as_hiredis(redisContext *c, int argc, const char **argv, const size_t *len)
{
	sds want = NULL;
	long long n = redisFormatSdsCommandArgv(&want, argc, argv, len);
	size_t before = sdslen(c->obuf);
	int ok;

	if(n < 0)
		return 0;
	ok = oq_redis_append_argv(c, argc, argv, len) == REDIS_OK
		 && sdslen(c->obuf) == before + (size_t)n
		 && memcmp(c->obuf + before, want, (size_t)n) == 0 && c->obuf[sdslen(c->obuf)] == '\0';
	sdsfree(want);
	return ok;
}

TEST(resp_is_what_hiredis_formats)
{
	const char *ping[] = {"PING"};
	const char *set[] = {"SET", "k", ""};
	const char *bin[] = {"SET", "a\r\nb", "x\0y\r\n"};
	const size_t binlen[] = {3, 4, 5};
	int peer = -1;
	redisContext *c = context(&peer);

	CHECK(c != NULL && c->err == 0);
	if(c == NULL)
		return;
	CHECK(same_as_hiredis(c, 1, ping, NULL));
	CHECK(same_as_hiredis(c, 3, set, NULL));
	CHECK(same_as_hiredis(c, 3, bin, binlen));
	CHECK(c->err == 0);
	done(c, peer);
}

TEST(resp_appends_after_a_pipeline_and_counts_every_length)
{
	static const char *args[1200];
	static size_t lens[1200];
	char *big = malloc(1 << 20);
	int peer = -1, i, ok = 1;
	redisContext *c = context(&peer);

	CHECK(c != NULL && big != NULL);
	if(c == NULL || big == NULL) {
		free(big);
		return;
	}
	/* lengths across every digit count (0, 9, 10, 99, 100, ... 1 MiB) and 1200 arguments */
	memset(big, 'z', 1 << 20);
	for(i = 0; i < 1200; i++) {
		args[i] = big;
		lens[i] = i < 20 ? (size_t)i : (size_t)(i * 7919) % 2000;
	}
	lens[1100] = 1 << 20;
	lens[1101] = 99999;
	lens[1102] = 100000;
	for(i = 1; i <= 1200; i += (i < 40 ? 1 : 97))
		if(!(ok = same_as_hiredis(c, i, args, lens)))
			break;
	CHECK_MSG(ok, "differs from hiredis at %d arguments", i);
	/* everything appended stays: the buffer is a pipeline of all of them */
	CHECK(sdslen(c->obuf) > (1 << 20));
	done(c, peer);
	free(big);
}

TEST(resp_random_commands_match_hiredis)
{
	const char *args[16];
	size_t lens[16];
	char pool[4096];
	int peer = -1, round, i, ok = 1;
	redisContext *c = context(&peer);

	CHECK(c != NULL);
	if(c == NULL)
		return;
	srand(7);
	for(i = 0; i < (int)sizeof(pool); i++)
		pool[i] = (char)(rand() & 0xff);
	for(round = 0; round < 2000; round++) {
		int n = 1 + rand() % 16;
		for(i = 0; i < n; i++) {
			lens[i] = (size_t)(rand() % 300);
			args[i] = pool + rand() % (int)(sizeof(pool) - 300);
		}
		if(!(ok = same_as_hiredis(c, n, args, lens)))
			break;
		if(round % 100 == 0)
			sdsclear(c->obuf);
	}
	CHECK_MSG(ok, "round %d differs from hiredis", round);
	done(c, peer);
}

TEST(resp_refuses_a_command_and_leaves_the_buffer_as_it_was)
{
	const char *ping[] = {"PING"};
	const char *set[] = {"SET", "k", "v"};
	const size_t huge[] = {3, 1, (size_t)1 << 41};
	int peer = -1;
	size_t before;
	redisContext *c = context(&peer);

	CHECK(c != NULL);
	if(c == NULL)
		return;
	CHECK(oq_redis_append_argv(c, 1, ping, NULL) == REDIS_OK);
	before = sdslen(c->obuf);
	/* no name: nothing to send */
	CHECK(oq_redis_append_argv(c, 0, ping, NULL) == REDIS_ERR);
	CHECK(c->err == REDIS_ERR_OTHER);
	CHECK_EQ_STR(c->errstr, "a command needs a name");
	CHECK(sdslen(c->obuf) == before);
	/* a length no Redis takes and no allocation could hold: refused before any is tried
	 * (the sums cannot overflow), the pipeline ahead of it untouched */
	c->err = 0;
	CHECK(oq_redis_append_argv(c, 3, set, huge) == REDIS_ERR);
	CHECK(c->err == REDIS_ERR_OTHER);
	CHECK_EQ_STR(c->errstr, "command longer than 1 TiB");
	CHECK(sdslen(c->obuf) == before);
	CHECK(memcmp(c->obuf, "*1\r\n$4\r\nPING\r\n", before) == 0);
	done(c, peer);
}

UNIT_MAIN()
