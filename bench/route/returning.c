/*
 * returning.c - the returning customers of returning.h, made with the engine's own
 * functions (pipelined), and their identities.
 */
#include <stdio.h>
#include <string.h>
#include "client.h"
#include "returning.h"

#define BATCH 256

void identity_returning(void *arg, long i, char *buf, size_t size)
{
	long k = i % RETURNING_POOL;

	(void)arg;
	snprintf(buf, size, "tel:+1%c%08ld", k % 2 ? '1' : '0', k);
}

static void settings(const char *tenant)
{
	static const char *const calls[][4] = {
		{"oq_config", "region_wait", "60", NULL},
		{"oq_tier_set", "gold", "200", ""},
		{"oq_tier_set", "silver", "50", ""},
		{"oq_region_prefix_set", "10", "east", NULL},
		{"oq_region_prefix_set", "11", "west", NULL},
	};
	struct cmd c;
	size_t i;
	int j;

	for (i = 0; i < sizeof calls / sizeof calls[0]; i++) {
		cmd_fcall(&c, calls[i][0], tenant);
		for (j = 1; j < 4 && calls[i][j]; j++)
			cmd_arg(&c, calls[i][j]);
		rb_append(&c);
	}
	for (i = 0; i < sizeof calls / sizeof calls[0]; i++) {
		redisReply *r = rb_reply();

		if (r->type == REDIS_REPLY_ERROR)
			rb_die("the value scenario's settings", r);
		freeReplyObject(r);
	}
}

/* one batch of first contacts: enqueue each; then its profile, and close or abandon it */
static void first_contacts(const struct population *p, const char *tenant, int value,
		long from, long n)
{
	struct cmd c;
	char ident[64], skills[32], sid[BATCH][24], agent[BATCH][24];
	long i;
	int pending = 0;

	for (i = 0; i < n; i++) {
		identity_returning(NULL, from + i, ident, sizeof ident);
		session_skills(p, skills, sizeof skills);
		cmd_fcall(&c, "oq_enqueue", tenant);
		cmd_arg(&c, "sms");
		cmd_arg(&c, "");
		cmd_arg(&c, ident);
		cmd_arg(&c, skills);
		cmd_arg(&c, "0");
		cmd_arg(&c, "");
		cmd_arg(&c, "");
		rb_append(&c);
	}
	for (i = 0; i < n; i++) {
		redisReply *r = rb_reply();
		long k = from + i;

		if (r->type != REDIS_REPLY_ARRAY || r->elements != 5)
			rb_die("a returning customer's first enqueue", r);
		snprintf(sid[i], sizeof sid[i], "%s", r->element[0]->str);
		snprintf(agent[i], sizeof agent[i], "%s",
				strcmp(r->element[1]->str, "offered") ? "" : r->element[2]->str);
		if (value && k % 3 != 2) {
			cmd_fcall(&c, "oq_customer_set", tenant);
			cmd_arg(&c, r->element[4]->str);
			cmd_arg(&c, "tier");
			cmd_arg(&c, k % 3 ? "silver" : "gold");
			if (k % 10 == 9) {
				cmd_arg(&c, "region");
				cmd_arg(&c, k % 20 == 9 ? "west" : "east");
			}
			rb_append(&c);
			pending++;
		}
		freeReplyObject(r);
	}
	for (i = 0; i < n; i++) {
		if (agent[i][0]) {
			cmd_fcall(&c, "oq_accept", tenant);
			cmd_arg(&c, sid[i]);
			cmd_arg(&c, agent[i]);
			rb_append(&c);
			cmd_fcall(&c, "oq_close", tenant);
			cmd_arg(&c, sid[i]);
			cmd_arg(&c, "");
			rb_append(&c);
			pending += 2;
		} else {
			cmd_fcall(&c, "oq_abandon", tenant);
			cmd_arg(&c, sid[i]);
			rb_append(&c);
			pending++;
		}
	}
	for (; pending; pending--) {
		redisReply *r = rb_reply();

		if (r->type == REDIS_REPLY_ERROR)
			rb_die("a returning customer's profile, accept, close or abandon", r);
		freeReplyObject(r);
	}
}

void returning_make(const struct population *p, const char *tenant, int value)
{
	long i;

	if (value)
		settings(tenant);
	for (i = 0; i < RETURNING_POOL; i += BATCH)
		first_contacts(p, tenant, value, i,
				RETURNING_POOL - i < BATCH ? RETURNING_POOL - i : BATCH);
}
