/*
 * follow.c - see follow.h. lws loop only (one thread): plain malloc, no locks. Each
 * (key, follower) pair is one node, in its key's bucket and in its follower's list.
 */
#include <string.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/dprint.h"

#include "ws.h"
#include "follow.h"

#define BUCKETS 4096
#define KEY_MAX (OMNIQ_ID_MAX + 8) /* "<tenant>|a:<agent>" */

struct ws_follow_node {
	ws_follow_node_t *next;  /* in the bucket */
	ws_follow_node_t *mine;  /* in the follower's list */
	ws_follower_t *f;
	char key[KEY_MAX];
};

static ws_follow_node_t *table[BUCKETS];
static unsigned generation;

static ws_follow_node_t *find(const ws_follower_t *f, const char *key)
{
	ws_follow_node_t *n;
	for(n = f->keys; n; n = n->mine)
		if(!strcmp(n->key, key))
			return n;
	return NULL;
}

/* The key as stored and watched: the follower's tenant first. -1 when it does not fit. */
static int full_key(int tenant, const char *key, char out[KEY_MAX])
{
	return (size_t)snprintf(out, KEY_MAX, "%d|%s", tenant, key) < KEY_MAX ? 0 : -1;
}

int ws_follow(ws_follower_t *f, const char *k)
{
	ws_follow_node_t *n;
	char key[KEY_MAX];
	unsigned b;

	if(full_key(f->tenant, k, key) < 0)
		return -1;
	if(find(f, key))
		return 0;
	n = calloc(1, sizeof(*n));
	if(n == NULL)
		return -1;
	snprintf(n->key, sizeof(n->key), "%s", key);
	n->f = f;
	b = ws_key_hash(key) % BUCKETS;
	n->next = table[b];
	table[b] = n;
	n->mine = f->keys;
	f->keys = n;
	ws_events_watch(key, !f->no_inbound);
	return 0;
}

static void drop(ws_follow_node_t *n)
{
	ws_follow_node_t **p;
	for(p = &table[ws_key_hash(n->key) % BUCKETS]; *p; p = &(*p)->next)
		if(*p == n) {
			*p = n->next;
			break;
		}
	ws_events_unwatch(n->key, !n->f->no_inbound);
	free(n);
}

int ws_follow_only(ws_follower_t *f, const char *const *keys, int n)
{
	ws_follow_node_t **p, *nd;
	char key[KEY_MAX];
	int i, rc = 0, keep;

	for(i = 0; i < n; i++)
		if(ws_follow(f, keys[i]) < 0)
			rc = -1;
	for(p = &f->keys; (nd = *p) != NULL;) {
		for(keep = 0, i = 0; i < n && !keep; i++)
			keep = full_key(f->tenant, keys[i], key) == 0 && !strcmp(nd->key, key);
		if(keep) {
			p = &nd->mine;
		} else {
			*p = nd->mine;
			drop(nd);
		}
	}
	return rc;
}

void ws_unfollow_all(ws_follower_t *f)
{
	ws_follow_node_t *n;
	while((n = f->keys) != NULL) {
		f->keys = n->mine;
		drop(n);
	}
}

/* A growing list of followers: a few on the stack, more on the heap. */
typedef struct flist {
	ws_follower_t *local[64], **fs;
	size_t k, cap;
} flist_t;

static void flist_init(flist_t *l)
{
	l->fs = l->local;
	l->k = 0;
	l->cap = 64;
}

/* f, once per item (generation): 0, or -1 when out of memory. */
static int flist_add(flist_t *l, ws_follower_t *f)
{
	if(f->seen == generation)
		return 0;
	f->seen = generation;
	if(l->k == l->cap) {
		ws_follower_t **more = malloc(2 * l->cap * sizeof(*more));
		if(more == NULL)
			return -1;
		memcpy(more, l->fs, l->k * sizeof(*more));
		if(l->fs != l->local)
			free(l->fs);
		l->fs = more;
		l->cap *= 2;
	}
	l->fs[l->k++] = f;
	return 0;
}

/* it to every follower of the list, with its tenant current; the list freed. Gathered first:
 * a follower's on_item may unfollow keys, nodes of the buckets walked included. */
static void flist_hand(flist_t *l, const ws_item_t *it)
{
	size_t i;

	ws_oq.tenant_use_index(it->tenant);
	for(i = 0; i < l->k; i++)
		l->fs[i]->on_item(l->fs[i], it);
	ws_oq.tenant_use_index(0);
	if(l->fs != l->local)
		free(l->fs);
}

static void hand(const char *key, const ws_item_t *it, int inbound)
{
	ws_follow_node_t *n;
	flist_t l;

	flist_init(&l);
	for(n = table[ws_key_hash(key) % BUCKETS]; n; n = n->next)
		if((!inbound || !n->f->no_inbound) && !strcmp(n->key, key) && flist_add(&l, n->f) < 0)
			break;
	flist_hand(&l, it);
}

/* Events of it's tenant were lost: said once, and every follower of that tenant gets the
 * item, to re-read from state what it shows. */
static void resync(const ws_item_t *it)
{
	ws_follow_node_t *n;
	flist_t l;
	size_t b;
	int ok = 1;

	ws_events_report(it);
	flist_init(&l);
	for(b = 0; b < BUCKETS && ok; b++)
		for(n = table[b]; n && ok; n = n->next)
			ok = n->f->tenant != it->tenant || flist_add(&l, n->f) == 0;
	if(!ok)
		LM_ERR("out of memory: some sockets of this process are not resynchronised\n");
	flist_hand(&l, it);
}

void ws_follow_deliver(void)
{
	ws_item_t *it = ws_events_take(), *next;
	char key[KEY_MAX];
	int in;

	for(; it; it = next) {
		next = it->next;
		generation++;
		in = ws_item_inbound(it->type, strlen(it->type), it->state, strlen(it->state));
		if(!strcmp(it->type, "resync"))
			resync(it);
		if(it->sid[0] && (size_t)snprintf(key, sizeof(key), "%d|%s", it->tenant, it->sid) < sizeof(key))
			hand(key, it, in);
		if(it->agent[0]
				&& (size_t)snprintf(key, sizeof(key), "%d|a:%s", it->tenant, it->agent) < sizeof(key))
			hand(key, it, in);
		ws_item_free(it);
	}
}
