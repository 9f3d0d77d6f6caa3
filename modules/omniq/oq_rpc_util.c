/*
 * oq_rpc_util.c - what every kamcmd command file shares (oq_rpc.h): faults with their
 * status, "ok", the library's flat and listed answers as structs, optional arguments.
 */
#include <string.h>

#include "core/rpc.h"
#include "core/dprint.h"

#include "oq_rpc.h"
#include "oq_core.h"
#include "omniq/omniq_stream.h"

void oq_rpc_fail(rpc_t *rpc, void *c, int rc)
{
	rpc->fault(c, omniq_http_status(rc), "%s: %s", oq_strerror(rc), oq_last_error());
}

static int reply_str(void *st, rpc_t *rpc, const char *name, redisReply *v);

/* [k1, v1, k2, v2 ...] → struct; nested arrays become arrays of strings. -1 when the
 * transport took no more (the rest is not tried). */
static int add_flat_struct(rpc_t *rpc, void *st, redisReply *r)
{
	size_t i;
	for(i = 0; i + 1 < r->elements; i += 2) {
		if(r->element[i]->type != REDIS_REPLY_STRING)
			continue;
		if(reply_str(st, rpc, r->element[i]->str, r->element[i + 1]) < 0)
			return -1;
	}
	return 0;
}

static int reply_str(void *st, rpc_t *rpc, const char *name, redisReply *v)
{
	void *arr;
	size_t j;
	switch(v->type) {
		case REDIS_REPLY_STRING:
		case REDIS_REPLY_STATUS:
			return rpc->struct_add(st, "s", name, v->str) < 0 ? -1 : 0;
		case REDIS_REPLY_INTEGER:
			return rpc->struct_add(st, "d", name, (int)v->integer) < 0 ? -1 : 0;
		case REDIS_REPLY_ARRAY:
			if(rpc->struct_add(st, "[", name, &arr) < 0)
				return -1;
			for(j = 0; j < v->elements; j++) {
				if(v->element[j]->type == REDIS_REPLY_STRING) {
					if(rpc->array_add(arr, "s", v->element[j]->str) < 0)
						return -1;
				} else if(v->element[j]->type == REDIS_REPLY_INTEGER) {
					if(rpc->array_add(arr, "d", (int)v->element[j]->integer) < 0)
						return -1;
				}
			}
			return 0;
		default:
			return 0;
	}
}

/* The transport took no more of fn's answer (kamcmd's ctl keeps a struct within
 * binrpc_struct_max_body_size, 8 KB by default, and logs the add that did not fit): the
 * call fails, rather than answering what fitted as if it were all. */
void oq_rpc_too_large(rpc_t *rpc, void *c, const char *fn, size_t n)
{
	LM_ERR("Redis function %s answered %zu values, more than this RPC transport takes in one "
		   "answer (kamcmd: ctl's binrpc_struct_max_body_size and binrpc_max_body_size)\n",
			fn, n);
	rpc->fault(c, 500, "the answer of %s (%zu values) is too large for this RPC transport", fn,
			n);
}

/* Call fn and answer with one struct. Readers of one object (session, agent, customer)
 * answer 404 on an empty reply; listings answer an empty struct. */
void oq_rpc_struct_ex(rpc_t *rpc, void *c, const char *fn, int argc, str *argv,
		int empty_is_404)
{
	void *st;
	int rc;
	redisReply *r = oq_call(fn, argc, argv, &rc);
	if(r == NULL) {
		oq_rpc_fail(rpc, c, rc);
		return;
	}
	if(!oq_reply_is(r, OQ_R_FLAT)) {
		oq_rpc_fail(rpc, c, oq_bad_reply(fn, r, oq_reply_kind_name(OQ_R_FLAT)));
		freeReplyObject(r);
		return;
	}
	if(empty_is_404 && r->elements == 0) {
		freeReplyObject(r);
		oq_set_error(OMNIQ_ENOTFOUND, "%.*s not found", argc ? argv[0].len : 0,
				argc ? argv[0].s : "");
		oq_rpc_fail(rpc, c, OMNIQ_ENOTFOUND);
		return;
	}
	if(rpc->add(c, "{", &st) < 0) {
		freeReplyObject(r);
		return;
	}
	if(add_flat_struct(rpc, st, r) < 0)
		oq_rpc_too_large(rpc, c, fn, r->elements);
	freeReplyObject(r);
}

void oq_rpc_struct(rpc_t *rpc, void *c, const char *fn, int argc, str *argv)
{
	oq_rpc_struct_ex(rpc, c, fn, argc, argv, 1);
}

/* A stream entry [id, [k, v, ...]]. */
static int is_entry(const redisReply *e)
{
	const redisReply *f;
	str id;
	return omniq_stream_entry(e, &id, &f) == 0;
}

/* One record of a list as a struct; a stream entry's id becomes "id". -1 as
 * add_flat_struct. */
static int add_record(rpc_t *rpc, void *arr, redisReply *e)
{
	void *st;
	if(rpc->array_add(arr, "{", &st) < 0)
		return -1;
	if(!is_entry(e))
		return add_flat_struct(rpc, st, e);
	if(rpc->struct_add(st, "s", "id", e->element[0]->str) < 0)
		return -1;
	return add_flat_struct(rpc, st, e->element[1]);
}

/* Call fn whose reply is a list of records and answer with an array of structs. A record
 * is either flat [k, v, ...] or a stream entry [id, [k, v, ...]] (the id becomes "id"). */
void oq_rpc_list(rpc_t *rpc, void *c, const char *fn, int argc, str *argv)
{
	int rc;
	redisReply *r = oq_call(fn, argc, argv, &rc);

	oq_rpc_list_reply(rpc, c, fn, r, rc);
}

void oq_rpc_list_reply(rpc_t *rpc, void *c, const char *fn, redisReply *r, int rc)
{
	void *arr;
	size_t i;

	if(r == NULL) {
		oq_rpc_fail(rpc, c, rc);
		return;
	}
	for(i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++)
		if(!is_entry(r->element[i]) && !oq_reply_is(r->element[i], OQ_R_FLAT))
			break;
	if(r->type != REDIS_REPLY_ARRAY || i < r->elements) {
		oq_rpc_fail(rpc, c, oq_bad_reply(fn, r, "a list of records"));
		freeReplyObject(r);
		return;
	}
	if(rpc->add(c, "[", &arr) < 0) {
		freeReplyObject(r);
		return;
	}
	for(i = 0; i < r->elements; i++)
		if(add_record(rpc, arr, r->element[i]) < 0) {
			oq_rpc_too_large(rpc, c, fn, r->elements);
			break;
		}
	freeReplyObject(r);
}

void oq_rpc_done(rpc_t *rpc, void *c, int rc)
{
	if(rc < 0)
		oq_rpc_fail(rpc, c, rc);
	else
		rpc->rpl_printf(c, "ok");
}

int oq_rpc_opt(rpc_t *rpc, void *c, str *out)
{
	if(rpc->scan(c, "*.S", out) == 1)
		return 1;
	out->s = "";
	out->len = 0;
	return 0;
}

void oq_rpc_dash(str *s)
{
	if(s->len == 1 && s->s[0] == '-')
		s->len = 0;
}

int oq_delete(const char *fn, const str *name, const char *what)
{
	int rc;
	redisReply *r;

	if(name == NULL || name->len <= 0)
		return oq_bad_arg(what, "missing");
	if((r = oq_call(fn, 1, name, &rc)) == NULL)
		return rc;
	rc = r->type == REDIS_REPLY_INTEGER && r->integer == 0;
	freeReplyObject(r);
	if(rc) {
		oq_set_error(OMNIQ_ENOTFOUND, "%s %.*s not found", what, name->len, name->s);
		return OMNIQ_ENOTFOUND;
	}
	return OMNIQ_OK;
}

void oq_rpc_named_set(rpc_t *rpc, void *c, const char *fn, int fields)
{
	str a[1 + 2 * OQ_SLA_FIELDS_MAX];
	int n, max = 1 + 2 * (fields < OQ_SLA_FIELDS_MAX ? fields : OQ_SLA_FIELDS_MAX);

	if(rpc->scan(c, ".S.S.S", &a[0], &a[1], &a[2]) < 3)
		return;
	n = 3;
	while(n + 1 < max && rpc->scan(c, "*.S.S", &a[n], &a[n + 1]) == 2)
		n += 2;
	oq_rpc_done(rpc, c, oq_call_checked(fn, n, a, OQ_R_OK));
}

void oq_rpc_delete(rpc_t *rpc, void *c, const char *fn, const char *what)
{
	str a;

	if(rpc->scan(c, ".S", &a) < 1)
		return;
	oq_rpc_done(rpc, c, oq_delete(fn, &a, what));
}

void oq_rpc_struct_all(rpc_t *rpc, void *c, const char *fn, int argc, str *argv)
{
	oq_rpc_struct_ex(rpc, c, fn, argc, argv, 0);
}

int oq_rpc_flat(rpc_t *rpc, void *st, redisReply *r)
{
	return add_flat_struct(rpc, st, r);
}

int oq_rpc_records(rpc_t *rpc, void *arr, redisReply *r)
{
	size_t i;

	for(i = 0; i < r->elements; i++)
		if((is_entry(r->element[i]) || oq_reply_is(r->element[i], OQ_R_FLAT))
				&& add_record(rpc, arr, r->element[i]) < 0)
			return -1;
	return 0;
}
