/*
 * test_ws_reply_arena.c - omniq_ws's hiredis replies in an arena: the same objects as
 * hiredis' own functions build, across many blocks and for a string larger than one,
 * freed at once on reset (ASan and valgrind check that nothing leaks or is touched after),
 * and a half-read or malformed reply freed with the arena.
 */
#include <hiredis/hiredis.h>
#include "unit.h"
#include "reply_arena.h"

/* A reader whose replies go into a. */
static redisReader *reader_in(ws_arena_t *a)
{
	redisReader *rd = redisReaderCreate();
	if(rd)
		ws_arena_attach(a, rd);
	return rd;
}

/* The next reply of bytes fed to a reader attached to an arena, or NULL. */
static redisReply *parse(redisReader *rd, const char *bytes, size_t n)
{
	void *r = NULL;
	if(redisReaderFeed(rd, bytes, n) != REDIS_OK || redisReaderGetReply(rd, &r) != REDIS_OK)
		return NULL;
	return r;
}

TEST(arena_builds_what_hiredis_builds)
{
	static const char in[] = "*4\r\n$3\r\nfoo\r\n:-42\r\n*2\r\n$-1\r\n+OK\r\n$0\r\n\r\n";
	ws_arena_t *a = ws_arena_new();
	redisReader *rd = reader_in(a);
	redisReply *r;

	r = parse(rd, in, sizeof(in) - 1);
	CHECK(r != NULL && r->type == REDIS_REPLY_ARRAY && r->elements == 4);
	if(r && r->elements == 4) {
		CHECK(r->element[0]->type == REDIS_REPLY_STRING && r->element[0]->len == 3);
		CHECK_EQ_STR(r->element[0]->str, "foo");
		CHECK(r->element[1]->type == REDIS_REPLY_INTEGER && r->element[1]->integer == -42);
		CHECK(r->element[2]->type == REDIS_REPLY_ARRAY && r->element[2]->elements == 2);
		CHECK(r->element[2]->element[0]->type == REDIS_REPLY_NIL);
		CHECK(r->element[2]->element[1]->type == REDIS_REPLY_STATUS);
		CHECK_EQ_STR(r->element[2]->element[1]->str, "OK");
		CHECK(r->element[3]->type == REDIS_REPLY_STRING && r->element[3]->len == 0);
		CHECK_EQ_STR(r->element[3]->str, "");
	}
	redisReaderFree(rd);
	ws_arena_free(a);
}

/* An XREAD-like reply: n entries of 9 field pairs, entry i's "sid" field "<i>". */
static char *xread_reply(int n, size_t *len)
{
	size_t cap = (size_t)n * 256 + 64, o = 0;
	char *b = malloc(cap), id[32], sid[16];
	int i, l;

	o += (size_t)sprintf(b + o, "*1\r\n*2\r\n$12\r\noq:{x}:event\r\n*%d\r\n", n);
	for(i = 0; i < n; i++) {
		l = sprintf(id, "%d-0", 1000 + i);
		o += (size_t)sprintf(b + o, "*2\r\n$%d\r\n%s\r\n*18\r\n", l, id);
		l = sprintf(sid, "%d", i);
		o += (size_t)sprintf(b + o,
				"$4\r\ntype\r\n$7\r\nmessage\r\n$3\r\nsid\r\n$%d\r\n%s\r\n$5\r\nagent\r\n$0\r\n\r\n"
				"$5\r\nstate\r\n$2\r\nin\r\n$7\r\nchannel\r\n$3\r\nweb\r\n$3\r\next\r\n$0\r\n\r\n"
				"$2\r\nid\r\n$6\r\n1-1234\r\n$4\r\nfrom\r\n$1\r\nc\r\n$4\r\nbody\r\n$5\r\nhello\r\n",
				l, sid);
	}
	*len = o;
	return b;
}

TEST(arena_spans_blocks_and_resets)
{
	ws_arena_t *a = ws_arena_new();
	redisReader *rd = reader_in(a);
	size_t len;
	char *in = xread_reply(3000, &len); /* about 3 MB of objects: many blocks */
	redisReply *r, *entries, *f;
	int round, i, bad;

	for(round = 0; round < 3; round++) {
		r = parse(rd, in, len);
		CHECK(r != NULL && r->type == REDIS_REPLY_ARRAY && r->elements == 1);
		if(r == NULL || r->elements != 1)
			break;
		entries = r->element[0]->element[1];
		CHECK_EQ_INT((int)entries->elements, 3000);
		for(i = 0, bad = 0; i < (int)entries->elements; i++) {
			char want[16];
			f = entries->element[i]->element[1];
			sprintf(want, "%d", i);
			bad += f->elements != 18 || strcmp(f->element[3]->str, want)
				   || strcmp(f->element[17]->str, "hello");
		}
		CHECK_EQ_INT(bad, 0);
		ws_arena_reset(a); /* every object of the round freed at once */
	}
	free(in);
	redisReaderFree(rd);
	ws_arena_free(a);
}

TEST(arena_takes_a_string_larger_than_a_block)
{
	ws_arena_t *a = ws_arena_new();
	redisReader *rd = reader_in(a);
	size_t n = 200 * 1024, i;
	char *in = malloc(n + 64);
	int o = sprintf(in, "*3\r\n$3\r\nabc\r\n$%zu\r\n", n);
	redisReply *r, *big = NULL;

	/* a small object first, so that the big one's block goes behind the one being filled */
	memset(in + o, 'x', n);
	memcpy(in + o + n, "\r\n:5\r\n", 6);
	r = parse(rd, in, (size_t)o + n + 6);
	CHECK(r != NULL && r->type == REDIS_REPLY_ARRAY && r->elements == 3);
	if(r && r->elements == 3) {
		CHECK_EQ_STR(r->element[0]->str, "abc");
		big = r->element[1];
		CHECK(r->element[2]->type == REDIS_REPLY_INTEGER && r->element[2]->integer == 5);
	}
	CHECK(big != NULL && big->type == REDIS_REPLY_STRING && big->len == n);
	for(i = 0; big && i < n && big->str[i] == 'x'; i++)
		;
	CHECK(big != NULL && i == n && big->str[n] == '\0');
	ws_arena_reset(a);
	r = parse(rd, ":7\r\n", 4);
	CHECK(r != NULL && r->type == REDIS_REPLY_INTEGER && r->integer == 7);
	free(in);
	redisReaderFree(rd);
	ws_arena_free(a);
}

TEST(arena_frees_a_half_read_or_malformed_reply)
{
	ws_arena_t *a = ws_arena_new();
	redisReader *rd = reader_in(a);
	void *r = NULL;

	/* half of an array: no reply yet; the reader is freed with it pending */
	CHECK_EQ_INT(redisReaderFeed(rd, "*3\r\n$3\r\nabc\r\n:1\r\n", 17), REDIS_OK);
	CHECK_EQ_INT(redisReaderGetReply(rd, &r), REDIS_OK);
	CHECK(r == NULL);
	redisReaderFree(rd);
	/* a protocol error inside an array */
	rd = reader_in(a);
	CHECK_EQ_INT(redisReaderFeed(rd, "*2\r\n$3\r\nabc\r\n?bad\r\n", 20), REDIS_OK);
	CHECK_EQ_INT(redisReaderGetReply(rd, &r), REDIS_ERR);
	redisReaderFree(rd);
	ws_arena_free(a);
}

UNIT_MAIN()
