/*
 * cycle.c - assignment cycles driven in batches (cycle.h), for the engine (the omniq
 * library) and for the floor (floor.lua) alike, so that both are driven the same way.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "client.h"
#include "cycle.h"

#define BATCH_MAX 1024

/* a session offered by its enqueue, to be accepted and closed by its agent */
struct offered {
	char sid[24], agent[24];
	int sample;
	char call[512]; /* the enqueue as sent, for an error message */
};

void identity_new(void *arg, long i, char *buf, size_t size)
{
	(void)arg;
	snprintf(buf, size, "web:v%ld", i);
}

static void append_enqueue(const struct cycle_driver *d, long i, struct offered *o)
{
	struct cmd c;
	char ident[96], skills[32], aid[16];
	d->identity(d->arg, i, ident, sizeof ident);
	session_skills(d->pop, skills, sizeof skills);
	cmd_fcall(&c, d->floor ? "floor_enqueue" : "oq_enqueue", d->tenant);
	cmd_arg(&c, d->channel ? d->channel : "web");
	cmd_arg(&c, "");
	cmd_arg(&c, ident);
	cmd_arg(&c, skills);
	cmd_argf(&c, "%ld", rnd(10));
	cmd_arg(&c, "");
	cmd_arg(&c, "");
	if(d->floor)
		cmd_arg(&c, agent_id(i % d->pop->agents, aid, sizeof aid));
	rb_append(&c);
	snprintf(o->call, sizeof o->call, "%s", cmd_text(&c));
}

/* the reply of an enqueue: [sid, state, agent, position, cid]; offered or we stop */
static void note_offered(const struct cycle_driver *d, redisReply *r, struct offered *o,
		long i)
{
	if(r->type != REDIS_REPLY_ARRAY || r->elements != 5
			|| r->element[1]->type != REDIS_REPLY_STRING) {
		fprintf(stderr, "route_bench: session %ld: %s answered ", i, o->call);
		rb_die("unexpected reply", r);
	}
	if(strcmp(r->element[1]->str, "offered")) {
		fprintf(stderr, "route_bench: session %ld (sid %s) was left %s with %d idle agents, "
				"some with its skills: the engine did not offer it (%s)\n", i,
				r->element[0]->str, r->element[1]->str, d->pop->agents, o->call);
		exit(1);
	}
	snprintf(o->sid, sizeof o->sid, "%s", r->element[0]->str);
	snprintf(o->agent, sizeof o->agent, "%s", r->element[2]->str);
	o->sample = d->sample_every && i % d->sample_every == 0;
}

static void append_accept(const struct cycle_driver *d, const struct offered *o)
{
	struct cmd c;
	cmd_fcall(&c, d->floor ? "floor_accept" : "oq_accept", d->tenant);
	cmd_arg(&c, o->sid);
	cmd_arg(&c, o->agent);
	rb_append(&c);
}

static void append_close(const struct cycle_driver *d, const struct offered *o)
{
	struct cmd c;
	cmd_fcall(&c, d->floor ? "floor_close" : "oq_close", d->tenant);
	cmd_arg(&c, o->sid);
	cmd_arg(&c, "");
	rb_append(&c);
	if(o->sample) {
		cmd_fcall(&c, "oq_session_get", d->tenant);
		cmd_arg(&c, o->sid);
		rb_append(&c);
	}
}

static void check_accept(const struct cycle_driver *d, const struct offered *o)
{
	redisReply *r = rb_reply();
	if(r->type != REDIS_REPLY_STATUS && r->type != REDIS_REPLY_STRING) {
		fprintf(stderr, "route_bench: accept of session %s by %s on %s: ", o->sid, o->agent,
				d->tenant);
		rb_die("refused", r);
	}
	freeReplyObject(r);
}

/* close answers [sid, closed]; a sample's oq_session_get follows it */
static void check_close(const struct cycle_driver *d, const struct offered *o)
{
	redisReply *r = rb_reply();
	if(r->type != REDIS_REPLY_ARRAY || r->elements != 2
			|| strcmp(r->element[1]->str, "closed")) {
		fprintf(stderr, "route_bench: close of session %s on %s: ", o->sid, d->tenant);
		rb_die("not closed", r);
	}
	freeReplyObject(r);
	if(o->sample) {
		r = rb_reply();
		if(r->type == REDIS_REPLY_ERROR) {
			fprintf(stderr, "route_bench: oq_session_get of session %s right after its "
					"close on %s: ", o->sid, d->tenant);
			rb_die("refused", r);
		}
		d->on_sample(d->arg, o->sid, r);
		freeReplyObject(r);
	}
}

void run_cycles(const struct cycle_driver *d, long first, long n, int batch)
{
	static struct offered a[BATCH_MAX], b[BATCH_MAX];
	struct offered *pend = a, *sent = b, *t; /* the previous batch's, this batch's */
	long next = first, end = first + n;
	int npend = 0;
	if(batch < 1 || batch > BATCH_MAX)
		rb_die("batch out of range", NULL);
	while(next < end || npend) {
		int ne = end - next < batch ? (int)(end - next) : batch;
		for(int j = 0; j < npend; j++) {
			append_accept(d, &pend[j]);
			append_close(d, &pend[j]);
		}
		for(int j = 0; j < ne; j++)
			append_enqueue(d, next + j, &sent[j]);
		for(int j = 0; j < npend; j++) {
			check_accept(d, &pend[j]);
			check_close(d, &pend[j]);
		}
		for(int j = 0; j < ne; j++) {
			redisReply *r = rb_reply();
			note_offered(d, r, &sent[j], next + j);
			freeReplyObject(r);
		}
		t = pend;
		pend = sent;
		sent = t;
		npend = ne;
		next += ne;
		if(d->between)
			d->between(d->arg);
	}
}

static long long fcall_usec(void)
{
	struct cmdstats s;
	struct cmdstat f;
	rb_cmdstats(&s);
	cmdstats_steps(&s, &f);
	return f.usec;
}

void split_cycles(const struct cycle_driver *d, long first, long n, int batch, double us[3])
{
	static struct offered pend[BATCH_MAX];
	for(long next = first; next < first + n;) {
		int ne = first + n - next < batch ? (int)(first + n - next) : batch;
		long long t0 = fcall_usec(), t1, t2, t3;
		for(int j = 0; j < ne; j++)
			append_enqueue(d, next + j, &pend[j]);
		for(int j = 0; j < ne; j++) {
			redisReply *r = rb_reply();
			note_offered(d, r, &pend[j], next + j);
			pend[j].sample = 0;
			freeReplyObject(r);
		}
		t1 = fcall_usec();
		for(int j = 0; j < ne; j++)
			append_accept(d, &pend[j]);
		for(int j = 0; j < ne; j++)
			check_accept(d, &pend[j]);
		t2 = fcall_usec();
		for(int j = 0; j < ne; j++)
			append_close(d, &pend[j]);
		for(int j = 0; j < ne; j++)
			check_close(d, &pend[j]);
		t3 = fcall_usec();
		us[0] += t1 - t0;
		us[1] += t2 - t1;
		us[2] += t3 - t2;
		next += ne;
	}
}
