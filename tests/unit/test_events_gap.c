/*
 * test_events_gap.c - a reader of a tenant's event stream and the stream's own counts
 * (oq_events.c, omniq_events.h): anchored at the end, in step while what it has not read is
 * still there (an idle stream trimmed up to its last entry included), a gap once entries
 * after its last one are gone - told once, with how many - and when the
 * stream went back (Redis restarted from an older copy, the stream deleted); replies that
 * are not XINFO STREAM's change nothing. The replies are parsed from RESP text by hiredis'
 * own reader, as they come off the wire. And a read as a reader sends it (oq_events_read).
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>
#include <hiredis/hiredis.h>
#include <hiredis/sds.h>
#include "unit.h"
#include "oq_events.h"

static redisReply *parse(const char *resp)
{
	redisReader *rd = redisReaderCreate();
	void *r = NULL;
	if(rd == NULL || redisReaderFeed(rd, resp, strlen(resp)) != REDIS_OK
			|| redisReaderGetReply(rd, &r) != REDIS_OK)
		r = NULL;
	redisReaderFree(rd);
	return r;
}

/* XINFO STREAM's reply as Redis 7.0 gives it (the fields a check reads among others). */
static redisReply *info(unsigned long long length, unsigned long long added, const char *newest)
{
	char b[512];
	snprintf(b, sizeof(b),
			"*12\r\n$6\r\nlength\r\n:%llu\r\n$15\r\nradix-tree-keys\r\n:1\r\n"
			"$17\r\nlast-generated-id\r\n$%zu\r\n%s\r\n$20\r\nmax-deleted-entry-id\r\n$3\r\n0-0\r\n"
			"$13\r\nentries-added\r\n:%llu\r\n$6\r\ngroups\r\n:0\r\n",
			length, strlen(newest), newest, added);
	return parse(b);
}

/* Check pos against the reply and free it. */
static int check(omniq_events_pos_t *pos, redisReply *r, long long now, omniq_events_gap_t *gap)
{
	int rc = oq_events_check(pos, r, now, gap);
	if(r)
		freeReplyObject(r);
	return rc;
}

static void anchored_at(omniq_events_pos_t *pos, const char *last, unsigned long long n)
{
	omniq_events_gap_t gap;
	memset(pos, 0, sizeof(*pos));
	CHECK_EQ_INT(check(pos, info(5, n, last), 1000, &gap), 0);
}

TEST(anchors_at_the_stream_end)
{
	omniq_events_pos_t pos;
	omniq_events_gap_t gap;

	memset(&pos, 0, sizeof(pos));
	CHECK(omniq_events_due(&pos, 0));
	CHECK_EQ_INT(check(&pos, info(5, 12, "100-3"), 1000, &gap), 0);
	CHECK(pos.anchored);
	CHECK_EQ_STR(pos.last, "100-3");
	CHECK_EQ_INT(pos.n, 12);
	CHECK_EQ_INT(pos.checked_ms, 1000);
}

TEST(anchors_at_0_0_before_the_first_event)
{
	omniq_events_pos_t pos;
	omniq_events_gap_t gap;

	memset(&pos, 0, sizeof(pos));
	CHECK_EQ_INT(check(&pos, parse("-ERR no such key\r\n"), 1000, &gap), 0);
	CHECK(pos.anchored);
	CHECK_EQ_STR(pos.last, "0-0");
	CHECK_EQ_INT(pos.n, 0);
	/* the first events come: read in step */
	omniq_events_read(&pos, "300-0", 5);
	CHECK_EQ_INT(check(&pos, info(1, 1, "300-0"), 3000, &gap), 0);
}

TEST(a_reader_in_step_misses_nothing)
{
	omniq_events_pos_t pos;
	omniq_events_gap_t gap;

	anchored_at(&pos, "100-3", 12);
	omniq_events_read(&pos, "101-0", 5);
	omniq_events_read(&pos, "101-1", 5);
	omniq_events_read(&pos, "105-0", 5);
	CHECK_EQ_INT(pos.n, 15);
	CHECK_EQ_STR(pos.last, "105-0");
	/* two more written, the nine oldest trimmed: none of them after its last */
	CHECK_EQ_INT(check(&pos, info(8, 17, "106-0"), 3000, &gap), 0);
	CHECK_EQ_STR(pos.last, "105-0");
	CHECK_EQ_INT(pos.n, 15);
	CHECK_EQ_INT(pos.checked_ms, 3000);
	/* at the end, counted as far as the stream */
	CHECK_EQ_INT(check(&pos, info(8, 15, "105-0"), 5000, &gap), 0);
}

TEST(an_idle_stream_trimmed_up_to_the_last_entry_read_is_no_gap)
{
	omniq_events_pos_t pos;
	omniq_events_gap_t gap;

	anchored_at(&pos, "100-3", 12);
	CHECK_EQ_INT(check(&pos, info(0, 12, "100-3"), 400000, &gap), 0);
	/* and trimmed up to it while newer ones wait */
	CHECK_EQ_INT(check(&pos, info(3, 15, "110-0"), 400001, &gap), 0);
	CHECK_EQ_STR(pos.last, "100-3");
}

TEST(entries_after_the_last_read_trimmed_are_a_gap_told_once)
{
	omniq_events_pos_t pos;
	omniq_events_gap_t gap;

	anchored_at(&pos, "100-3", 12);
	/* 8 written after it, the 18 oldest trimmed: 13..18 never read */
	CHECK_EQ_INT(check(&pos, info(2, 20, "15100-0"), 20000, &gap), 1);
	CHECK_EQ_STR(gap.last, "100-3");
	CHECK_EQ_INT(gap.lost, 6);
	CHECK(!gap.replaced);
	/* the reader goes on from the end (it resynchronises from state) */
	CHECK_EQ_STR(pos.last, "15100-0");
	CHECK_EQ_INT(pos.n, 20);
	CHECK_EQ_INT(check(&pos, info(2, 20, "15100-0"), 22000, &gap), 0);
	omniq_events_read(&pos, "15200-0", 7);
	CHECK_EQ_INT(check(&pos, info(3, 21, "15200-0"), 24000, &gap), 0);
}

TEST(a_reader_at_the_end_that_counted_fewer_lost_entries)
{
	omniq_events_pos_t pos;
	omniq_events_gap_t gap;

	/* 13..16 went between a check and the read that came after it: the read returned
	 * 17 and 18, which the reader counts as 13 and 14 */
	anchored_at(&pos, "100-3", 12);
	omniq_events_read(&pos, "130-0", 5);
	omniq_events_read(&pos, "131-0", 5);
	CHECK_EQ_INT(check(&pos, info(10, 18, "131-0"), 3000, &gap), 1);
	CHECK_EQ_INT(gap.lost, 4);
	CHECK_EQ_STR(gap.last, "131-0");
	CHECK_EQ_INT(pos.n, 18);
}

TEST(a_stream_that_went_back_is_a_gap)
{
	omniq_events_pos_t pos;
	omniq_events_gap_t gap;

	/* Redis restarted from a copy without the reader's last entries */
	anchored_at(&pos, "200-0", 50);
	CHECK_EQ_INT(check(&pos, info(40, 45, "190-0"), 3000, &gap), 1);
	CHECK(gap.replaced);
	CHECK_EQ_STR(gap.last, "200-0");
	CHECK_EQ_STR(pos.last, "190-0");
	CHECK_EQ_INT(pos.n, 45);
	/* fewer entries ever added, newer ids (the clock went on) */
	anchored_at(&pos, "200-0", 50);
	CHECK_EQ_INT(check(&pos, info(3, 3, "900-0"), 3000, &gap), 1);
	CHECK(gap.replaced);
	/* the stream deleted: once, then in step at 0-0 */
	anchored_at(&pos, "200-0", 50);
	CHECK_EQ_INT(check(&pos, parse("-ERR no such key\r\n"), 3000, &gap), 1);
	CHECK(gap.replaced);
	CHECK_EQ_STR(pos.last, "0-0");
	CHECK_EQ_INT(check(&pos, parse("-ERR no such key\r\n"), 5000, &gap), 0);
}

TEST(what_is_not_xinfo_streams_reply_changes_nothing)
{
	static const char *const bad[] = {
		":1\r\n",
		"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
		/* Redis 6: no entries-added */
		"*4\r\n$6\r\nlength\r\n:1\r\n$17\r\nlast-generated-id\r\n$3\r\n1-1\r\n",
		/* length above entries-added */
		"*6\r\n$6\r\nlength\r\n:9\r\n$17\r\nlast-generated-id\r\n$3\r\n1-1\r\n"
		"$13\r\nentries-added\r\n:3\r\n",
		"*6\r\n$6\r\nlength\r\n$1\r\n1\r\n$17\r\nlast-generated-id\r\n$3\r\n1-1\r\n"
		"$13\r\nentries-added\r\n:3\r\n",
	};
	omniq_events_pos_t pos;
	omniq_events_gap_t gap;
	size_t i;

	for(i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		anchored_at(&pos, "100-3", 12);
		CHECK_MSG(check(&pos, parse(bad[i]), 3000, &gap) == -1, "reply %zu taken", i);
		CHECK_EQ_STR(pos.last, "100-3");
		CHECK_EQ_INT(pos.n, 12);
		CHECK_EQ_INT(pos.checked_ms, 1000);
	}
	memset(&pos, 0, sizeof(pos));
	CHECK_EQ_INT(oq_events_check(&pos, NULL, 1, &gap), -1);
	CHECK(!pos.anchored);
}

TEST(stream_ids_compare_as_numbers)
{
	CHECK(omniq_stream_id_cmp("1-2", "1-10") < 0);
	CHECK(omniq_stream_id_cmp("2-0", "10-0") < 0);
	CHECK(omniq_stream_id_cmp("10-0", "2-5") > 0);
	CHECK_EQ_INT(omniq_stream_id_cmp("1796434715241-21", "1796434715241-21"), 0);
	CHECK(omniq_stream_id_cmp("", "0-0") < 0);
	CHECK(omniq_stream_id_cmp("0-0", "") > 0);
	CHECK(omniq_stream_id_cmp("x-1", "0-0") < 0);
	CHECK(omniq_stream_id_cmp("5-", "0-0") < 0);
	CHECK(omniq_stream_id_cmp("5-1x", "0-0") < 0);
	CHECK(omniq_stream_id_cmp("-5-1", "0-0") < 0);
	CHECK_EQ_INT(omniq_stream_id_cmp("", "nonsense"), 0);
}

TEST(a_check_is_due_every_check_interval)
{
	omniq_events_pos_t pos;

	anchored_at(&pos, "100-3", 12);
	CHECK(!omniq_events_due(&pos, 1000 + OMNIQ_EVENTS_CHECK_MS - 1));
	CHECK(omniq_events_due(&pos, 1000 + OMNIQ_EVENTS_CHECK_MS));
	/* a long id is cut, not overrun */
	omniq_events_read(&pos, "123456789012345678901234567890123456789012345678901234567890", 60);
	CHECK_EQ_INT(strlen(pos.last), OMNIQ_STREAM_ID_MAX - 1);
}

/* oq_events_read: what a reader sends, byte for byte what hiredis would format for the
 * checks and the read, after what the connection already holds; no stream to read refused */
TEST(a_read_is_its_checks_then_one_xread)
{
	const char *keys[2] = {"oq:{a}:events", "oq:{b}:events"}, *ids[2] = {"0-0", "17-3"};
	const int check[2] = {0, 1};
	char *want = NULL, *x = NULL;
	int sv[2], wl, xl;
	redisContext *c;
	size_t had;

	if(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0 || (c = redisConnectFd(sv[0])) == NULL) {
		CHECK_MSG(0, "no socket pair");
		return;
	}
	redisAppendCommand(c, "PING");
	had = sdslen(c->obuf);
	CHECK(oq_events_read(c, 2, keys, ids, check, 5000, 512) == REDIS_OK);
	xl = redisFormatCommand(&x, "XINFO STREAM %s", keys[1]);
	wl = redisFormatCommand(&want, "XREAD COUNT 512 BLOCK 5000 STREAMS %s %s %s %s", keys[0],
			keys[1], ids[0], ids[1]);
	CHECK(x && want && sdslen(c->obuf) == had + (size_t)(xl + wl));
	if(x && want && sdslen(c->obuf) == had + (size_t)(xl + wl)) {
		CHECK(memcmp(c->obuf + had, x, (size_t)xl) == 0);
		CHECK(memcmp(c->obuf + had + xl, want, (size_t)wl) == 0);
	}
	/* without checks: the read alone */
	sdsclear(c->obuf);
	CHECK(oq_events_read(c, 1, keys, ids, NULL, 100, 1) == REDIS_OK);
	free(want);
	wl = redisFormatCommand(&want, "XREAD COUNT 1 BLOCK 100 STREAMS %s %s", keys[0], ids[0]);
	CHECK(sdslen(c->obuf) == (size_t)wl && memcmp(c->obuf, want, (size_t)wl) == 0);
	sdsclear(c->obuf);
	CHECK(oq_events_read(c, 0, keys, ids, NULL, 100, 1) == REDIS_ERR);
	CHECK(c->err == REDIS_ERR_OTHER && sdslen(c->obuf) == 0);
	CHECK_CONTAINS(c->errstr, "streams to read");
	free(want);
	free(x);
	redisFree(c);
	close(sv[1]);
}

UNIT_MAIN()
