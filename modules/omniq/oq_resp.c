/*
 * oq_resp.c - a Redis command (RESP: "*<argc>\r\n" then "$<len>\r\n<arg>\r\n" each) appended
 * to a hiredis connection's output buffer, with no buffer of its own to lose.
 */
#include <stdio.h>
#include <string.h>
#include <hiredis/hiredis.h>
#include <hiredis/sds.h>

#include "oq_resp.h"
#include "oq_digits.h"

/* No sum of lengths below it can overflow: far beyond what any Redis accepts (its
 * proto-max-bulk-len is 512 MB by default), and what no allocation can have. */
#define OQ_RESP_MAX ((size_t)1 << 40)

/* c's error, as hiredis sets it (its __redisSetError is not exported). */
static int fail(redisContext *c, int type, const char *what)
{
	c->err = type;
	snprintf(c->errstr, sizeof(c->errstr), "%s", what);
	return REDIS_ERR;
}

/* tag, the decimal digits of n and CRLF: "*3\r\n", "$12\r\n" */
static char *put_count(char *p, char tag, size_t n)
{
	*p++ = tag;
	p = oq_put_u64(p, n);
	*p++ = '\r';
	*p++ = '\n';
	return p;
}

static size_t count_len(size_t n)
{
	size_t k = 1;

	while((n /= 10) > 0)
		k++;
	return 1 + k + 2;
}

int oq_redis_append_argv(redisContext *c, int argc, const char **argv, const size_t *argvlen)
{
	size_t total, len, old;
	char *p;
	sds b;
	int j;

	if(argc < 1)
		return fail(c, REDIS_ERR_OTHER, "a command needs a name");
	total = count_len((size_t)argc);
	for(j = 0; j < argc; j++) {
		len = argvlen ? argvlen[j] : strlen(argv[j]);
		if(len > OQ_RESP_MAX || (total += count_len(len) + len + 2) > OQ_RESP_MAX)
			return fail(c, REDIS_ERR_OTHER, "command longer than 1 TiB");
	}
	if((b = sdsMakeRoomFor(c->obuf, total)) == NULL)
		return fail(c, REDIS_ERR_OOM, "Out of memory");
	c->obuf = b;
	old = sdslen(b);
	p = put_count(b + old, '*', (size_t)argc);
	for(j = 0; j < argc; j++) {
		len = argvlen ? argvlen[j] : strlen(argv[j]);
		p = put_count(p, '$', len);
		memcpy(p, argv[j], len);
		p += len;
		*p++ = '\r';
		*p++ = '\n';
	}
	*p = '\0';
	sdssetlen(b, old + total);
	return REDIS_OK;
}

