/*
 * api_settings.c - an administrator's service settings over REST (docs/openapi.yaml;
 * docs/admin.md "Service levels" and "Business hours", the same as kamcmd's omniq.sla_* and
 * omniq.hours_*):
 *
 *   GET    /api/v1/sla                      the service-level policies, in matching order
 *   PUT    /api/v1/sla/{name}               {"first": 300, "levels": "50,80,100", ...}: the
 *                                           policy made or changed with the fields given
 *                                           (strings or integers), every one checked first
 *   DELETE /api/v1/sla/{name}
 *   GET    /api/v1/queues/{queue}/hours     its hours, whether it is open, when it opens
 *   PUT    /api/v1/queues/{queue}/hours     {"timezone", "week", "exceptions", "notice",
 *                                           "callback": true|false (calls while closed are
 *                                           called back at the opening)}
 *   DELETE /api/v1/queues/{queue}/hours     open at all hours again
 *   GET    /api/v1/tiers                    customer tiers' routing (docs/admin.md "Routing
 *   PUT    /api/v1/tiers/{name}             by value and region"): {"priority": 0..1000,
 *   DELETE /api/v1/tiers/{name}             "skills": "senior"}
 *   GET    /api/v1/regions                  {"prefixes": {"8610": "north", ...}}
 *   PUT    /api/v1/regions/{prefix}         {"region": "north"}
 *   DELETE /api/v1/regions/{prefix}
 *   GET    /api/v1/regions/queues           {"queues": [{"queue", "region", "target"}, ...]}
 *   PUT    /api/v1/queues/{queue}/regions/{region}   {"queue": "support-north"}: sessions
 *   DELETE /api/v1/queues/{queue}/regions/{region}   of the region wait there first
 */
#include <stdio.h>
#include <string.h>

#include "ws.h"


static void done(ws_resp_t *rs, int rc, const char *key, const char *name)
{
	if(ws_omniq_error(rs, rc) < 0)
		return;
	rs->status = 200;
	rs->json = json_pack("{s:s}", key, name);
}

static void sla_put(const ws_req_t *rq, ws_resp_t *rs, const char *name)
{
	char nums[OMNIQ_SLA_FIELDS_MAX][24];
	str fields[OMNIQ_SLA_FIELDS_MAX], values[OMNIQ_SLA_FIELDS_MAX], sname = omniq_str(name);
	const char *k;
	json_t *v;
	int n = 0;

	if(!json_is_object(rq->body) || json_object_size(rq->body) == 0) {
		ws_error(rs, 400, "bad_argument", "the body is an object of the policy's fields");
		return;
	}
	json_object_foreach(rq->body, k, v)
	{
		if(n == OMNIQ_SLA_FIELDS_MAX) {
			ws_error(rs, 400, "bad_argument", "at most %d fields", OMNIQ_SLA_FIELDS_MAX);
			return;
		}
		fields[n] = omniq_str(k);
		if(json_is_string(v))
			values[n] = omniq_str(json_string_value(v));
		else if(json_is_integer(v)) {
			values[n].s = nums[n];
			values[n].len = snprintf(nums[n], sizeof(nums[n]), "%" JSON_INTEGER_FORMAT,
					json_integer_value(v));
		} else {
			ws_error(rs, 400, "bad_argument", "'%s' must be a string or an integer", k);
			return;
		}
		n++;
	}
	done(rs, ws_oq.sla_set(&sname, n, fields, values), "name", name);
}

void ws_api_sla(const ws_req_t *rq, ws_resp_t *rs, const char *name)
{
	str sname;

	if(name == NULL) {
		if(ws_method_is(rq, rs, "GET", "on the policies"))
			ws_read_list(rs, "policies", "sla_policies", 0, NULL);
		return;
	}
	sname = omniq_str(name);
	if(!strcmp(rq->method, "PUT"))
		sla_put(rq, rs, name);
	else if(ws_method_is(rq, rs, "DELETE", "on a policy"))
		done(rs, ws_oq.sla_del(&sname), "name", name);
}

void ws_api_hours(const ws_req_t *rq, ws_resp_t *rs, const char *queue)
{
	str q = omniq_str(queue), tz, week, except, notice;

	if(!strcmp(rq->method, "GET"))
		ws_read_one(rs, "hours", 1, &q);
	else if(!strcmp(rq->method, "PUT")) {
		json_t *cb = rq->body ? json_object_get(rq->body, "callback") : NULL;
		int rc;

		if(ws_body_str(rq, rs, "timezone", 1, &tz) < 0 || ws_body_str(rq, rs, "week", 1, &week) < 0
				|| ws_body_str(rq, rs, "exceptions", 0, &except) < 0
				|| ws_body_str(rq, rs, "notice", 0, &notice) < 0)
			return;
		if(cb && !json_is_boolean(cb)) {
			ws_error(rs, 400, "bad_argument", "'callback' must be true or false");
			return;
		}
		rc = ws_oq.hours_set(&q, &tz, &week, &except, &notice);
		if(rc == 0 && cb)
			rc = ws_oq.closed_callback(&q, json_is_true(cb));
		done(rs, rc, "queue", queue);
	} else if(ws_method_is(rq, rs, "DELETE", "on a queue's hours (or GET, PUT)"))
		done(rs, ws_oq.hours_del(&q), "queue", queue);
}

void ws_api_tiers(const ws_req_t *rq, ws_resp_t *rs, const char *name)
{
	str tname, skills;
	long long prio;

	if(name == NULL) {
		if(ws_method_is(rq, rs, "GET", "on the tiers"))
			ws_read_list(rs, "tiers", "tiers", 0, NULL);
		return;
	}
	tname = omniq_str(name);
	if(!strcmp(rq->method, "PUT")) {
		json_t *p = rq->body ? json_object_get(rq->body, "priority") : NULL;
		if(!json_is_integer(p) || (prio = json_integer_value(p)) < 0 || prio > OMNIQ_PRIORITY_MAX) {
			ws_error(rs, 400, "bad_argument", "'priority' is required, an integer 0..%d",
					OMNIQ_PRIORITY_MAX);
			return;
		}
		if(ws_body_str(rq, rs, "skills", 0, &skills) < 0)
			return;
		if(skills.s == NULL)
			skills = omniq_str("");
		done(rs, ws_oq.tier_set(&tname, (int)prio, &skills), "name", name);
	} else if(ws_method_is(rq, rs, "DELETE", "on a tier (or PUT)"))
		done(rs, ws_oq.tier_del(&tname), "name", name);
}

void ws_api_regions(const ws_req_t *rq, ws_resp_t *rs, const char *prefix)
{
	str pfx, region;

	if(prefix == NULL) {
		if(!ws_method_is(rq, rs, "GET", "on the regions"))
			return;
		ws_read_one(rs, "region_prefixes", 0, NULL);
		if(rs->status == 200)
			rs->json = json_pack("{s:o}", "prefixes", rs->json);
		return;
	}
	if(!strcmp(prefix, "queues")) {
		if(ws_method_is(rq, rs, "GET", "on the regional queues"))
			ws_read_list(rs, "queues", "region_queues", 0, NULL);
		return;
	}
	pfx = omniq_str(prefix);
	if(!strcmp(rq->method, "PUT")) {
		if(ws_body_str(rq, rs, "region", 1, &region) < 0)
			return;
		if(region.len == 0) {
			ws_error(rs, 400, "bad_argument", "'region' must not be empty (DELETE takes it out)");
			return;
		}
		done(rs, ws_oq.region_prefix_set(&pfx, &region), "prefix", prefix);
	} else if(ws_method_is(rq, rs, "DELETE", "on a prefix (or PUT)"))
		done(rs, ws_oq.region_prefix_set(&pfx, NULL), "prefix", prefix);
}

void ws_api_region_queue(const ws_req_t *rq, ws_resp_t *rs, const char *queue, const char *region)
{
	str q = omniq_str(queue), r = omniq_str(region), target;

	if(!strcmp(rq->method, "PUT")) {
		if(ws_body_str(rq, rs, "queue", 1, &target) < 0)
			return;
		if(target.len == 0) {
			ws_error(rs, 400, "bad_argument", "'queue' must not be empty (DELETE takes it out)");
			return;
		}
		done(rs, ws_oq.region_queue_set(&q, &r, &target), "queue", queue);
	} else if(ws_method_is(rq, rs, "DELETE", "on a regional queue (or PUT)"))
		done(rs, ws_oq.region_queue_set(&q, &r, NULL), "queue", queue);
}
