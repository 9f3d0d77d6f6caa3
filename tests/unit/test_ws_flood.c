/*
 * test_ws_flood.c - omniq_ws's request limits: a token bucket (rate per second, burst
 * twice that), one per API key, one per client address in a bounded table.
 */
#include "unit.h"
#include "flood.h"

TEST(bucket_gives_the_burst_then_the_rate)
{
	ws_bucket_t b;
	long long t = 5000000;
	int i;

	ws_bucket_init(&b, 5, t);
	for(i = 0; i < 10; i++)
		CHECK_EQ_INT(ws_bucket_take(&b, 5, t), 0);
	CHECK_EQ_INT(ws_bucket_take(&b, 5, t), -1);
	CHECK_EQ_INT(ws_bucket_take(&b, 5, t + 100), -1); /* half a token */
	CHECK_EQ_INT(ws_bucket_take(&b, 5, t + 200), 0);  /* one */
	CHECK_EQ_INT(ws_bucket_take(&b, 5, t + 200), -1);
	/* idle for a minute: the burst again, not sixty seconds' worth */
	for(i = 0; i < 10; i++)
		CHECK_EQ_INT(ws_bucket_take(&b, 5, t + 60200), 0);
	CHECK_EQ_INT(ws_bucket_take(&b, 5, t + 60200), -1);
	/* a clock that steps back takes nothing away and gives nothing */
	CHECK_EQ_INT(ws_bucket_take(&b, 5, t), -1);
}

TEST(keys_are_limited_each_on_its_own)
{
	long long t = 7000000;
	int i;

	ws_flood_limits(3, 100);
	for(i = 0; i < 6; i++)
		CHECK_EQ_INT(ws_flood_key(0, t), 0);
	CHECK_EQ_INT(ws_flood_key(0, t), -1);
	CHECK_EQ_INT(ws_flood_key(1, t), 0);
	CHECK_EQ_INT(ws_flood_key(WS_FLOOD_KEYS - 1, t), 0);
	/* no key of that index exists: refused, never out of the table */
	CHECK_EQ_INT(ws_flood_key(WS_FLOOD_KEYS, t), -1);
	CHECK_EQ_INT(ws_flood_key(-1, t), -1);
	CHECK_EQ_INT(ws_flood_key(0, t + 334), 0);
}

TEST(addresses_are_limited_each_on_its_own_in_a_bounded_table)
{
	long long t = 9000000;
	char peer[64], longpeer[300];
	int i;

	ws_flood_limits(100, 2);
	for(i = 0; i < 4; i++)
		CHECK_EQ_INT(ws_flood_peer("10.1.1.1", t), 0);
	CHECK_EQ_INT(ws_flood_peer("10.1.1.1", t), -1);
	CHECK_EQ_INT(ws_flood_peer("10.1.1.2", t), 0);
	/* a thousand other senders later, the flooding one is still held */
	for(i = 0; i < 1000; i++) {
		snprintf(peer, sizeof peer, "172.16.%d.%d", i / 256, i % 256);
		CHECK_EQ_INT(ws_flood_peer(peer, t + 1), 0);
	}
	CHECK_EQ_INT(ws_flood_peer("10.1.1.1", t + 1), -1);
	/* a hundred thousand addresses: the fixed table takes them, each served */
	for(i = 0; i < 100000; i++) {
		snprintf(peer, sizeof peer, "192.168.%d.%d", i / 256, i % 256);
		CHECK_EQ_INT(ws_flood_peer(peer, t + 2), 0);
	}
	/* long addresses are cut, not overflowed, and still counted */
	memset(longpeer, 'f', sizeof longpeer - 1);
	longpeer[sizeof longpeer - 1] = '\0';
	for(i = 0; i < 4; i++)
		CHECK_EQ_INT(ws_flood_peer(longpeer, t + 3), 0);
	CHECK_EQ_INT(ws_flood_peer(longpeer, t + 3), -1);
}

UNIT_MAIN()
