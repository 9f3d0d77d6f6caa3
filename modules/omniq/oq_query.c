/*
 * oq_query.c - api.query(): the read-only library functions, by name, as rows of strings.
 *
 * Desks and REST handlers in other modules read sessions, agents, customers and queues
 * through this one member instead of a member per reader; the table below is the whole list
 * (nothing that writes, nothing internal such as password hashes). Replies are either one
 * flat [k, v, ...] array (one row) or an array of such arrays (a row each).
 */
#include <stdio.h>
#include <string.h>

#include "core/mem/pkg.h"

#include "oq_core.h"
#include "oq_archive.h"

static const struct {
	const char *what, *fn;
	int argc;  /* arguments the function needs */
	int list;  /* 1: one row per record */
	int one;   /* 1: reads one object, so an empty reply means it does not exist */
} readers[] = {
	{"session", "oq_session_get", 1, 0, 1},
	{"agent", "oq_agent_get", 1, 0, 1},
	{"customer", "oq_customer_get", 1, 0, 1},
	{"stats", "oq_stats", 0, 0, 0},
	{"queues", "oq_queue_list", 0, 0, 0},
	{"agents", "oq_agent_list", 2, 0, 0},
	{"followups", "oq_followups", 3, 0, 0},
	{"agent_sessions", "oq_agent_sessions", 1, 1, 0},
	{"queue", "oq_queue_get", 3, 1, 0},
	{"history", "oq_customer_history", 2, 1, 0},
	{"waiting", "oq_waiting", 2, 1, 0},
	{"canned", "oq_canned_list", 1, 1, 0},
	{"search", "oq_agent_search", 3, 1, 0},
	{"agent_followups", "oq_followups_of", 2, 1, 0},
	{"followup", "oq_followup_get", 1, 0, 1},
	{"hours", "oq_hours_get", 1, 0, 1},
	{"sla_policies", "oq_sla_list", 0, 1, 0},
	{"tiers", "oq_tier_list", 0, 1, 0},
	{"region_prefixes", "oq_region_prefix_list", 0, 0, 0},
	{"region_queues", "oq_region_queue_list", 0, 1, 0},
	{"report", "oq_report", 4, 1, 0},
	{"report_of", "oq_report", 5, 1, 0}, /* one dimension's rows: its name the 5th */
	{"board", "oq_board", 2, 1, 0},
	{"surveys", "oq_survey_list", 0, 1, 0},
};

static void to_str(redisReply *e, str *out)
{
	if(e->type == REDIS_REPLY_STRING || e->type == REDIS_REPLY_STATUS) {
		out->s = e->str;
		out->len = (int)e->len;
	} else {
		out->s = "";
		out->len = 0;
	}
}

/* One row from a flat array (integers turned into text): 0 go on, 1 the callback asked to
 * stop, <0 error. */
static int emit(redisReply *row, omniq_row_cb cb, void *arg)
{
	str *items;
	char *nums = NULL;
	size_t i;
	int rc;

	if(row->elements == 0)
		return cb(arg, 0, NULL) ? 1 : 0;
	items = pkg_malloc(row->elements * (sizeof(str) + 24));
	if(items == NULL) {
		oq_set_error(OMNIQ_EINTERNAL, "out of pkg memory");
		return OMNIQ_EINTERNAL;
	}
	nums = (char *)(items + row->elements);
	for(i = 0; i < row->elements; i++) {
		if(row->element[i]->type == REDIS_REPLY_INTEGER) {
			items[i].s = nums + 24 * i;
			items[i].len = snprintf(items[i].s, 24, "%lld", row->element[i]->integer);
		} else {
			to_str(row->element[i], &items[i]);
		}
	}
	rc = cb(arg, (int)row->elements, items) ? 1 : 0;
	pkg_free(items);
	return rc;
}

int oq_query(const char *what, int argc, const str *argv, omniq_row_cb cb, void *arg)
{
	unsigned k;
	size_t i;
	redisReply *r;
	int rc, rows = 0;

	for(k = 0; k < sizeof(readers) / sizeof(readers[0]); k++)
		if(what && !strcmp(readers[k].what, what))
			break;
	if(k == sizeof(readers) / sizeof(readers[0])) {
		oq_set_error(OMNIQ_EARG, "no query named '%s'", what ? what : "(null)");
		return OMNIQ_EARG;
	}
	if(argc != readers[k].argc) {
		oq_set_error(OMNIQ_EARG, "query %s takes %d arguments, not %d", what, readers[k].argc,
				argc);
		return OMNIQ_EARG;
	}
	/* a report reaching back past what Redis keeps reads the SQL archive too */
	r = strcmp(readers[k].fn, "oq_report") ? oq_call(readers[k].fn, argc, argv, &rc)
										   : oq_report_call(argc, argv, &rc);
	if(r == NULL)
		return rc;
	/* every row checked before the first is handed on: a reader gets all or an error */
	for(i = 0; readers[k].list && r->type == REDIS_REPLY_ARRAY && i < r->elements; i++)
		if(!oq_reply_is(r->element[i], OQ_R_FLAT))
			break;
	if(readers[k].list ? r->type != REDIS_REPLY_ARRAY || i < r->elements
					   : !oq_reply_is(r, OQ_R_FLAT)) {
		rc = oq_bad_reply(readers[k].fn, r,
				readers[k].list ? "an array of flat arrays" : oq_reply_kind_name(OQ_R_FLAT));
		freeReplyObject(r);
		return rc;
	}
	if(!readers[k].list) {
		/* a reader of one object answers an empty array when it does not exist */
		if(r->elements == 0 && readers[k].one) {
			freeReplyObject(r);
			oq_set_error(OMNIQ_ENOTFOUND, "%s %.*s not found", what, argv[0].len, argv[0].s);
			return OMNIQ_ENOTFOUND;
		}
		rc = emit(r, cb, arg);
		freeReplyObject(r);
		return rc < 0 ? rc : 1;
	}
	for(i = 0; i < r->elements; i++) {
		rc = emit(r->element[i], cb, arg);
		if(rc < 0) {
			freeReplyObject(r);
			return rc;
		}
		rows++;
		if(rc > 0)
			break;
	}
	freeReplyObject(r);
	return rows;
}
