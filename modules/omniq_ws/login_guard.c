/*
 * login_guard.c - see login_guard.h. A fixed table (no allocation, bounded memory however
 * many addresses try): open addressing over SLOTS entries, PROBES places per key; a key
 * finds its entry or takes the stalest of its places (an expired one first).
 */
#include <string.h>
#include <stdio.h>

#include "key_hash.h"
#include "login_guard.h"

#define SLOTS 4096
#define PROBES 8

typedef struct fail {
	char key[WS_LOGIN_KEY_MAX]; /* ws_login_key(), or "" when free */
	int count;
	int checking;      /* admitted, result not in yet: counted as failures until it is */
	time_t since;      /* start of its window */
} fail_t;

static fail_t table[SLOTS];
static time_t rate_sec;
static int rate_used;
static int max_fails = 5, window = 300, max_rate = 10;

void ws_login_limits(int fails, int window_s, int rate)
{
	max_fails = fails;
	window = window_s;
	max_rate = rate;
}

void ws_login_key(const char *peer, const char *agent, int len, char *k)
{
	snprintf(k, WS_LOGIN_KEY_MAX, "%.64s %.*s", peer, len > 128 ? 128 : len, agent);
}

static int expired(const fail_t *e, time_t now)
{
	return now - e->since >= window;
}

/* A place another key may take: free, or its window ended with no check in flight. */
static int reusable(const fail_t *e, time_t now)
{
	return !e->key[0] || (expired(e, now) && e->checking == 0);
}

/* The entry of k; else, when create, a place for it: a free or expired one of its places,
 * or the one whose window started first. NULL when not found and not create. */
static fail_t *find(const char *k, time_t now, int create)
{
	fail_t *e, *free_place = NULL, *oldest = NULL;
	unsigned h = ws_key_hash(k), i;

	for(i = 0; i < PROBES; i++) {
		e = &table[(h + i) % SLOTS];
		if(e->key[0] && !strcmp(e->key, k)) {
			if(expired(e, now)) { /* its window ended: a fresh one */
				e->count = 0;
				e->since = now;
			}
			return e;
		}
		if(reusable(e, now)) {
			if(free_place == NULL)
				free_place = e;
		} else if(oldest == NULL || e->since < oldest->since) {
			oldest = e;
		}
	}
	if(!create)
		return NULL;
	e = free_place ? free_place : oldest;
	snprintf(e->key, WS_LOGIN_KEY_MAX, "%s", k);
	e->count = 0;
	e->checking = 0;
	e->since = now;
	return e;
}

int ws_login_admit(const char *peer, const char *agent, int agent_len, time_t now,
		const char **code)
{
	char k[WS_LOGIN_KEY_MAX];
	fail_t *e;

	ws_login_key(peer, agent, agent_len, k);
	e = find(k, now, 0);
	if(e && e->count + e->checking >= max_fails) {
		*code = "too_many_attempts";
		/* checks in flight: their results decide, in a second or so */
		return e->count >= max_fails ? (int)(e->since + window - now) : 1;
	}
	if(now != rate_sec) {
		rate_sec = now;
		rate_used = 0;
	}
	if(rate_used >= max_rate) {
		*code = "busy";
		return 1;
	}
	rate_used++;
	find(k, now, 1)->checking++;
	return 0;
}

void ws_login_result(const char *peer, const char *agent, int agent_len, time_t now, int ok)
{
	char k[WS_LOGIN_KEY_MAX];
	fail_t *e;

	ws_login_key(peer, agent, agent_len, k);
	e = find(k, now, ok == 0);
	if(e == NULL) /* a success whose entry another key took: nothing to clear */
		return;
	if(e->checking > 0)
		e->checking--;
	if(ok < 0) /* not checked after all */
		return;
	if(ok == 0)
		e->count++;
	else if(e->checking == 0)
		e->key[0] = '\0';
	else
		e->count = 0; /* other checks of this key are still in flight */
}
