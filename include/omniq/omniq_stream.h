/*
 * omniq_stream.h - reading one entry of a Redis stream reply (XREAD, XRANGE, XCLAIM, the
 * library's transcript), the same checks wherever omniq or a channel module reads one.
 *
 * Why one reader: a reply is external input. An entry is [id, [field, value, ...]] with
 * every part a string only as long as Redis and the library say so; an entry deleted
 * meanwhile comes back from XCLAIM with nil fields. Checked whole here, a caller never
 * compares or copies a part that is not there.
 */
#ifndef OMNIQ_STREAM_H
#define OMNIQ_STREAM_H

#include <string.h>
#include <hiredis/hiredis.h>

#include "core/str.h"

/* The id of entry e when it has one (a string first element): 0 and id, else -1. A reader
 * that counts what it read counts an entry by its id, whatever its fields. */
static inline int omniq_stream_id(const redisReply *e, str *id)
{
	if(e == NULL || e->type != REDIS_REPLY_ARRAY || e->elements != 2
			|| e->element[0]->type != REDIS_REPLY_STRING)
		return -1;
	id->s = e->element[0]->str;
	id->len = (int)e->element[0]->len;
	return 0;
}

/* Entry e whole: 0 with its id and its fields (an even number of strings), -1 when e is no
 * such entry. */
static inline int omniq_stream_entry(const redisReply *e, str *id, const redisReply **fields)
{
	const redisReply *f;
	size_t i;

	if(omniq_stream_id(e, id) < 0 || e->element[1]->type != REDIS_REPLY_ARRAY
			|| e->element[1]->elements % 2)
		return -1;
	f = e->element[1];
	for(i = 0; i < f->elements; i++)
		if(f->element[i]->type != REDIS_REPLY_STRING)
			return -1;
	*fields = f;
	return 0;
}

/* Field name of the fields omniq_stream_entry gave: 0 with its value in out, or -1 with
 * out empty ("") when the entry has none. */
static inline int omniq_stream_field(const redisReply *fields, const char *name, str *out)
{
	size_t i, n = strlen(name);

	for(i = 0; i + 1 < fields->elements; i += 2)
		if(fields->element[i]->len == n && memcmp(fields->element[i]->str, name, n) == 0) {
			out->s = fields->element[i + 1]->str;
			out->len = (int)fields->element[i + 1]->len;
			return 0;
		}
	out->s = "";
	out->len = 0;
	return -1;
}

#endif
