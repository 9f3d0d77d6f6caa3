/*
 * reply_arena.c - see reply_arena.h. The arena is a list of blocks, the first one being
 * filled (BLOCK bytes; an object larger than that gets a block of its own, behind the
 * first, so that the first goes on filling). An object is its redisReply with its string
 * or element array right after it, in one piece. Builds the same objects as hiredis'
 * default functions, so the reply is read the same way.
 */
#include <stdlib.h>
#include <string.h>
#include <hiredis/hiredis.h>

#include "reply_arena.h"

#define BLOCK (64 * 1024)

typedef struct block {
	struct block *next;
	size_t used, size;
	char data[];
} block_t;

struct ws_arena {
	block_t *head; /* the block being filled, then the full ones */
};

static void *take(ws_arena_t *a, size_t n)
{
	block_t *b = a->head;
	size_t size;
	void *p;

	n = (n + 7) & ~(size_t)7; /* a redisReply's alignment */
	if(b == NULL || b->size - b->used < n) {
		size = n > BLOCK ? n : BLOCK;
		if((b = malloc(sizeof(*b) + size)) == NULL)
			return NULL;
		b->size = size;
		b->used = 0;
		if(size > BLOCK && a->head) { /* one object's own: the head goes on filling */
			b->next = a->head->next;
			a->head->next = b;
		} else {
			b->next = a->head;
			a->head = b;
		}
	}
	p = b->data + b->used;
	b->used += n;
	return p;
}

/* A reply object of type with extra bytes after it, linked into its parent array. */
static redisReply *object(const redisReadTask *task, int type, size_t extra)
{
	redisReply *r = take(task->privdata, sizeof(*r) + extra), *parent;

	if(r == NULL)
		return NULL; /* hiredis takes NULL for out of memory */
	memset(r, 0, sizeof(*r));
	r->type = type;
	if(task->parent) {
		parent = task->parent->obj;
		parent->element[task->idx] = r;
	}
	return r;
}

static void *string_of(const redisReadTask *task, char *str, size_t len)
{
	redisReply *r = object(task, task->type, len + 1);

	if(r) {
		r->str = (char *)(r + 1);
		memcpy(r->str, str, len);
		r->str[len] = '\0';
		r->len = len;
	}
	return r;
}

static void *array_of(const redisReadTask *task, int elements)
{
	size_t n = elements > 0 ? (size_t)elements : 0;
	redisReply *r = object(task, REDIS_REPLY_ARRAY, n * sizeof(redisReply *));

	if(r) {
		if(n) {
			r->element = (redisReply **)(r + 1);
			memset(r->element, 0, n * sizeof(redisReply *));
		}
		r->elements = n;
	}
	return r;
}

static void *integer_of(const redisReadTask *task, long long value)
{
	redisReply *r = object(task, REDIS_REPLY_INTEGER, 0);

	if(r)
		r->integer = value;
	return r;
}

static void *nil_of(const redisReadTask *task)
{
	return object(task, REDIS_REPLY_NIL, 0);
}

/* hiredis frees a half-read reply this way (an error, a reader freed): the arena's reset
 * or free does it. */
static void free_none(void *reply)
{
	(void)reply;
}

static redisReplyObjectFunctions in_arena = {string_of, array_of, integer_of, nil_of, free_none};

ws_arena_t *ws_arena_new(void)
{
	return calloc(1, sizeof(ws_arena_t));
}

void ws_arena_attach(ws_arena_t *a, redisReader *rd)
{
	rd->fn = &in_arena;
	rd->privdata = a;
}

void ws_arena_reset(ws_arena_t *a)
{
	block_t *b, *next, *keep = NULL;

	for(b = a->head; b; b = next) {
		next = b->next;
		if(keep == NULL && b->size == BLOCK) {
			keep = b;
			continue;
		}
		free(b);
	}
	if(keep) {
		keep->used = 0;
		keep->next = NULL;
	}
	a->head = keep;
}

void ws_arena_free(ws_arena_t *a)
{
	if(a) {
		ws_arena_reset(a);
		free(a->head);
		free(a);
	}
}
