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
	time_t sec;        /* an address's entry: the second of its last check, */
	int used;          /* and its checks started in that second */
} fail_t;

static fail_t table[SLOTS];
static time_t rate_sec;
static int rate_used;
static int max_fails = 5, window = 300, max_rate = 10, addr_fails = 20;

void ws_login_limits(int fails, int window_s, int rate, int address_fails)
{
	max_fails = fails;
	window = window_s;
	max_rate = rate;
	addr_fails = address_fails;
}

/* An address's own entry (its failures for any agent, its share of the checks): the key of
 * the agent "*", which no agent id can be. */
static void address_key(const char *peer, char *k)
{
	ws_login_key(peer, "*", 1, k);
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
	e->sec = 0;
	e->used = 0;
	return e;
}

/* The seconds to wait when e has count + checking at limit (checks in flight decide within a
 * second or so), else 0. */
static int over(const fail_t *e, int limit, time_t now)
{
	if(e == NULL || e->count + e->checking < limit)
		return 0;
	return e->count >= limit ? (int)(e->since + window - now) : 1;
}

int ws_login_admit(const char *peer, const char *agent, int agent_len, time_t now,
		const char **code)
{
	char k[WS_LOGIN_KEY_MAX], ka[WS_LOGIN_KEY_MAX];
	fail_t *e, *a;
	int wait, share = max_rate / 2 > 0 ? max_rate / 2 : 1;

	ws_login_key(peer, agent, agent_len, k);
	address_key(peer, ka);
	e = find(k, now, 0);
	a = find(ka, now, 0);
	*code = "too_many_attempts";
	if((wait = over(e, max_fails, now)) > 0 || (wait = over(a, addr_fails, now)) > 0)
		return wait;
	if(a && a->sec == now && a->used >= share) {
		*code = "rate_limited"; /* this address has had its share of this second's checks */
		return 1;
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
	a = find(ka, now, 1);
	if(a->sec != now) {
		a->sec = now;
		a->used = 0;
	}
	a->used++;
	a->checking++;
	find(k, now, 1)->checking++;
	return 0;
}

/* One result into e (NULL: its entry was taken by another key meanwhile). keep: an address's
 * entry, whose count a success does not clear (a valid account must not reset a spray). */
static void count(fail_t *e, int ok, int keep)
{
	if(e == NULL)
		return;
	if(e->checking > 0)
		e->checking--;
	if(ok < 0) /* not checked after all */
		return;
	if(ok == 0)
		e->count++;
	else if(keep)
		return;
	else if(e->checking == 0)
		e->key[0] = '\0';
	else
		e->count = 0; /* other checks of this key are still in flight */
}

void ws_login_result(const char *peer, const char *agent, int agent_len, time_t now, int ok)
{
	char k[WS_LOGIN_KEY_MAX], ka[WS_LOGIN_KEY_MAX];

	ws_login_key(peer, agent, agent_len, k);
	address_key(peer, ka);
	count(find(k, now, ok == 0), ok, 0);
	count(find(ka, now, ok == 0), ok, 1);
}
