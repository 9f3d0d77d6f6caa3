/*
 * flood.c - see flood.h. The address table: open addressing over SLOTS entries, PROBES
 * places per address; an address finds its entry or takes a free place of its own, else the
 * one seen least recently.
 */
#include <string.h>
#include <stdio.h>

#include "key_hash.h"
#include "flood.h"

#define SLOTS 4096
#define PROBES 8
#define PEER_MAX 64

typedef struct peer {
	char addr[PEER_MAX]; /* "" when free */
	ws_bucket_t b;
} peer_t;

static peer_t peers[SLOTS];
static ws_bucket_t keys[WS_FLOOD_KEYS];
static int key_rate = 200, peer_rate = 200;

void ws_flood_limits(int api_rate, int hook_rate)
{
	int i;

	key_rate = api_rate;
	peer_rate = hook_rate;
	/* full buckets as of time 0: the first take tops them up to the burst, whenever it is */
	for(i = 0; i < WS_FLOOD_KEYS; i++)
		ws_bucket_init(&keys[i], key_rate, 0);
}

void ws_bucket_init(ws_bucket_t *b, int rate, long long now_ms)
{
	b->tokens = rate * 2.0;
	b->at = now_ms;
}

int ws_bucket_take(ws_bucket_t *b, int rate, long long now_ms)
{
	if(now_ms > b->at)
		b->tokens += (double)(now_ms - b->at) * rate / 1000.0;
	if(b->tokens > rate * 2.0)
		b->tokens = rate * 2.0;
	b->at = now_ms;
	if(b->tokens < 1.0)
		return -1;
	b->tokens -= 1.0;
	return 0;
}

int ws_flood_key(int i, long long now_ms)
{
	if(i < 0 || i >= WS_FLOOD_KEYS)
		return -1;
	return ws_bucket_take(&keys[i], key_rate, now_ms);
}

int ws_flood_peer(const char *peer, long long now_ms)
{
	peer_t *e, *free_place = NULL, *stalest = NULL;
	unsigned h = ws_key_hash(peer), i;

	for(i = 0; i < PROBES; i++) {
		e = &peers[(h + i) % SLOTS];
		if(e->addr[0] && !strncmp(e->addr, peer, PEER_MAX - 1))
			return ws_bucket_take(&e->b, peer_rate, now_ms);
		if(!e->addr[0]) {
			if(free_place == NULL)
				free_place = e;
		} else if(stalest == NULL || e->b.at < stalest->b.at) {
			stalest = e;
		}
	}
	e = free_place ? free_place : stalest;
	snprintf(e->addr, PEER_MAX, "%s", peer);
	ws_bucket_init(&e->b, peer_rate, now_ms);
	return ws_bucket_take(&e->b, peer_rate, now_ms);
}
