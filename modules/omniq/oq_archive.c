/*
 * oq_archive.c - the SQL archive (see oq_archive.h; docs/admin.md "The SQL archive").
 *
 * One process, "omniq archive", takes from every tenant the ended sessions waiting in
 * P:arq (lua/84_archive.lua, oq_archive_read) and writes each as a row of omniq_session in
 * one transaction per batch, then tells Redis (oq_archived), whose retention of them only
 * starts then; once a minute it copies the reports' intervals that changed (oq_archive_
 * intervals) into omniq_interval, each interval's rows replaced in one transaction, and
 * clears their marks (oq_intervals_archived). The order makes it safe: nothing leaves
 * Redis before the database committed it, and a batch that Redis did not hear about is
 * written again, as the same rows (a row that exists is updated, never doubled). A
 * database that is down, or refuses a write, leaves everything waiting in Redis; the
 * process says so once per outage, tries again from every archive_interval to every 5 s,
 * and says when it is back.
 *
 * The connection and the schema: oq_archive_db.c; the reports' history read back:
 * oq_archive_report.c.
 */
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>

#include <jansson.h>

#include "core/sr_module.h"
#include "core/dprint.h"
#include "core/pt.h"
#include "core/mem/pkg.h"
#include "core/cfg/cfg_struct.h"

#include "omniq/omniq_clock.h"
#include "omniq/omniq_utf8.h"

#include "oq_core.h"
#include "oq_redis.h"
#include "oq_stats.h"
#include "oq_archive.h"
#include "oq_archive_db.h"
#include "oq_stop.h"

oq_archive_cfg_t oq_archive_cfg = {STR_NULL, 50, 1000, 60};
static int db_down; /* the archive process has said the database is down */

int oq_archive_mod_init(void)
{
	if(oq_archive_cfg.db_url.s == NULL || oq_archive_cfg.db_url.len == 0)
		return 0;
	if(oq_archive_cfg.batch < 1 || oq_archive_cfg.batch > 100) {
		LM_ERR("modparam archive_batch %d is outside 1..100\n", oq_archive_cfg.batch);
		return -1;
	}
	if(oq_archive_cfg.interval_ms < 10 || oq_archive_cfg.interval_ms > 600000) {
		LM_ERR("modparam archive_interval %d is outside 10..600000 ms\n",
				oq_archive_cfg.interval_ms);
		return -1;
	}
	if(oq_archive_cfg.reports_s < 1 || oq_archive_cfg.reports_s > 3600) {
		LM_ERR("modparam archive_reports_interval %d is outside 1..3600 s\n",
				oq_archive_cfg.reports_s);
		return -1;
	}
	if(db_bind_mod(&oq_archive_cfg.db_url, &oq_adb) < 0) {
		LM_ERR("archive_db_url %s: no database module for it (loadmodule \"db_sqlite.so\" "
			   "or \"db_postgres.so\" before omniq)\n",
				oq_adb_url());
		return -1;
	}
	if(!DB_CAPABILITY(oq_adb, DB_CAP_QUERY | DB_CAP_INSERT | DB_CAP_UPDATE | DB_CAP_DELETE
								   | DB_CAP_RAW_QUERY)) {
		LM_ERR("archive_db_url %s: its database module cannot query, insert, update, delete "
			   "and run raw statements, which the archive needs\n",
				oq_adb_url());
		return -1;
	}
	if(!oq_settings.archive)
		LM_INFO("archive_db_url is set: the setting archive is on (ended sessions leave "
				"Redis once the archive has them)\n");
	oq_settings.archive = 1;
	register_procs(1);
	cfg_register_child(1);
	return 0;
}

/* Redis' text as a JSON string: the library keeps UTF-8 well-formed, but a hand edit may
 * not have; such bytes become U+FFFD rather than losing the record. */
static json_t *jstr(const redisReply *e)
{
	const unsigned char *p;
	unsigned char *buf, *o;
	json_t *j;
	size_t left, n, bad;
	uint32_t cp;

	if(e == NULL || e->type != REDIS_REPLY_STRING)
		return json_string("");
	if((j = json_stringn(e->str, e->len)) != NULL)
		return j;
	buf = malloc(e->len * 3 + 1);
	if(buf == NULL)
		return NULL;
	for(p = (const unsigned char *)e->str, left = e->len, o = buf; left > 0;) {
		if((n = omniq_utf8_next(p, left, &cp, &bad)) > 0) {
			memcpy(o, p, n);
			o += n;
		} else {
			memcpy(o, OMNIQ_UTF8_REPLACEMENT, 3);
			o += 3;
			n = bad;
		}
		p += n;
		left -= n;
	}
	j = json_stringn((char *)buf, o - buf);
	free(buf);
	return j;
}

/* [k, v, k, v ...] as a JSON object */
static json_t *jobject(const redisReply *flat)
{
	json_t *o = json_object();
	size_t i;

	for(i = 0; o && i + 1 < flat->elements; i += 2)
		if(flat->element[i]->type == REDIS_REPLY_STRING)
			json_object_set_new(o, flat->element[i]->str, jstr(flat->element[i + 1]));
	return o;
}

/* XRANGE's [[id, [k, v ...]], ...] as [{"id": id, k: v, ...}, ...] */
static json_t *jtranscript(const redisReply *tx)
{
	json_t *a = json_array(), *o;
	size_t i;

	for(i = 0; a && i < tx->elements; i++) {
		const redisReply *e = tx->element[i];
		if(e->type != REDIS_REPLY_ARRAY || e->elements != 2
				|| e->element[1]->type != REDIS_REPLY_ARRAY)
			continue;
		o = jobject(e->element[1]);
		if(o == NULL)
			break;
		json_object_set_new(o, "id", jstr(e->element[0]));
		json_array_append_new(a, o);
	}
	return a;
}

static const redisReply *field(const redisReply *flat, const char *name)
{
	size_t i;

	for(i = 0; i + 1 < flat->elements; i += 2)
		if(flat->element[i]->type == REDIS_REPLY_STRING && !strcmp(flat->element[i]->str, name))
			return flat->element[i + 1];
	return NULL;
}

/* ---- sessions ---- */

enum { C_TENANT, C_SID, C_CHANNEL, C_QUEUE, C_CUSTOMER, C_IDENTITY, C_AGENT, C_STATE,
	C_CREATED, C_ENQUEUED, C_ANSWERED, C_DISPOSITION, C_TAGS, C_CSAT, C_NPS, C_SURVEY,
	C_FCR, C_TRANSFERS, C_RECORD, C_TRANSCRIPT, C_ARCHIVED, C_ENDED, C_COUNT };

static str s_cols[C_COUNT] = {str_init("tenant"), str_init("sid"), str_init("channel"),
		str_init("queue"), str_init("customer"), str_init("identity"), str_init("agent"),
		str_init("state"), str_init("created"), str_init("enqueued"), str_init("answered"),
		str_init("disposition"), str_init("tags"), str_init("csat"), str_init("nps"),
		str_init("survey"), str_init("fcr"), str_init("transfers"), str_init("record"),
		str_init("transcript"), str_init("archived"), str_init("ended")};

/* One session of oq_archive_read ([sid, ended, hash, transcript]) as its row: inserted,
 * or updated where a row is there (written before, or before Redis heard of it): 0 or -1
 * (the database refused; why is logged). */
static int store_session(const str *tenant, const redisReply *e, long long now)
{
	/* the text columns C_CHANNEL.. C_STATE, from these fields */
	static const char *const texts[] = {"channel", "queue", "customer", "identity", "agent",
			"state"};
	const redisReply *h = e->element[2];
	db_key_t keys[C_COUNT];
	db_val_t vals[C_COUNT];
	db1_res_t *res = NULL;
	char *record = NULL, *transcript = NULL;
	const redisReply *f;
	json_t *j;
	int i, rc = -1, found;

	for(i = 0; i < C_COUNT; i++)
		keys[i] = &s_cols[i];
	oq_adb_str(&vals[C_TENANT], tenant->s, tenant->len);
	oq_adb_str(&vals[C_SID], e->element[0]->str, (int)e->element[0]->len);
	for(i = 0; i < (int)(sizeof(texts) / sizeof(texts[0])); i++) {
		f = field(h, texts[i]);
		oq_adb_str(&vals[C_CHANNEL + i], f && f->type == REDIS_REPLY_STRING ? f->str : "",
				f && f->type == REDIS_REPLY_STRING ? (int)f->len : 0);
	}
	oq_adb_num(&vals[C_CREATED], field(h, "created"));
	oq_adb_num(&vals[C_ENQUEUED], field(h, "enq"));
	oq_adb_num(&vals[C_ANSWERED], field(h, "answered"));
	f = field(h, "disposition");
	oq_adb_str(&vals[C_DISPOSITION], f ? f->str : "", f ? (int)f->len : 0);
	f = field(h, "tags");
	oq_adb_str(&vals[C_TAGS], f ? f->str : "", f ? (int)f->len : 0);
	oq_adb_num(&vals[C_CSAT], field(h, "csat"));
	oq_adb_num(&vals[C_NPS], field(h, "nps"));
	f = field(h, "survey");
	oq_adb_str(&vals[C_SURVEY], f ? f->str : "", f ? (int)f->len : 0);
	oq_adb_num(&vals[C_FCR], field(h, "fcr"));
	oq_adb_num(&vals[C_TRANSFERS], field(h, "transfers"));
	if(VAL_NULL(&vals[C_TRANSFERS]))
		oq_adb_ll(&vals[C_TRANSFERS], 0);
	if((j = jobject(h)) != NULL) {
		record = json_dumps(j, JSON_COMPACT);
		json_decref(j);
	}
	if((j = jtranscript(e->element[3])) != NULL) {
		transcript = json_dumps(j, JSON_COMPACT);
		json_decref(j);
	}
	if(record == NULL || transcript == NULL) {
		LM_ERR("archive: no memory for the JSON of session %s\n", e->element[0]->str);
		goto done;
	}
	oq_adb_str(&vals[C_RECORD], record, (int)strlen(record));
	oq_adb_str(&vals[C_TRANSCRIPT], transcript, (int)strlen(transcript));
	oq_adb_ll(&vals[C_ARCHIVED], now);
	oq_adb_num(&vals[C_ENDED], e->element[1]);

	if(oq_adb.use_table(oq_adbh, &oq_adb_sessions) < 0
			|| oq_adb.query(oq_adbh, keys, 0, vals, &keys[C_SID], 2, 1, 0, &res) < 0)
		goto done;
	found = res && RES_ROW_N(res) > 0;
	if(res)
		oq_adb.free_result(oq_adbh, res);
	if(found) /* every column but its end, which the first write had from Redis */
		rc = oq_adb.update(oq_adbh, keys, 0, vals, &keys[C_CHANNEL], &vals[C_CHANNEL], 2,
				C_ENDED - C_CHANNEL);
	else
		rc = oq_adb.insert(oq_adbh, keys, vals, C_COUNT);
	rc = rc < 0 ? -1 : 0;
done:
	free(record);
	free(transcript);
	return rc;
}

static int is_str(const redisReply *r)
{
	return r->type == REDIS_REPLY_STRING;
}

/* A confirmation to Redis (oq_archived, oq_intervals_archived: they answer how many were
 * waiting): 0, or -1 (why logged). */
static int confirm(const char *fn, int argc, const str *argv)
{
	redisReply *r;
	int rc;

	if((r = oq_call(fn, argc, argv, &rc)) == NULL)
		return -1;
	rc = 0;
	if(r->type != REDIS_REPLY_INTEGER) {
		oq_bad_reply(fn, r, "a count");
		rc = -1;
	}
	freeReplyObject(r);
	return rc;
}

/* fn's list of records, each [text, text, array ...] of n elements: the reply, or NULL
 * (Redis failed, or the reply is not that: logged). */
static redisReply *read_list(const char *fn, const str *arg, size_t n, const char *expected)
{
	redisReply *r, *e;
	size_t i, j;
	int rc;

	if((r = oq_call(fn, 1, arg, &rc)) == NULL)
		return NULL;
	for(i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
		e = r->element[i];
		if(e->type != REDIS_REPLY_ARRAY || e->elements != n || !is_str(e->element[0])
				|| !is_str(e->element[1]))
			break;
		for(j = 2; j < n && e->element[j]->type == REDIS_REPLY_ARRAY; j++)
			;
		if(j < n)
			break;
	}
	if(r->type != REDIS_REPLY_ARRAY || i < r->elements) {
		oq_bad_reply(fn, r, expected);
		freeReplyObject(r);
		return NULL;
	}
	return r;
}

/* One batch of the current tenant's ended sessions: how many went to the database (and
 * were confirmed to Redis), 0 none waiting, -1 Redis failed, -2 the database did. */
static int take_sessions(const str *tenant)
{
	char cnt[16];
	str a, *sids = NULL;
	redisReply *r, *e;
	size_t i;
	int n = 0;
	long long now = omniq_wall_ms();

	a.len = snprintf(cnt, sizeof(cnt), "%d", oq_archive_cfg.batch);
	a.s = cnt;
	if((r = read_list("oq_archive_read", &a, 4, "[[sid, ended, hash, transcript], ...]"))
			== NULL)
		return -1;
	if(r->elements == 0) {
		freeReplyObject(r);
		return 0;
	}
	sids = pkg_malloc(r->elements * sizeof(str));
	if(sids == NULL) {
		LM_ERR("archive: out of pkg memory\n");
		freeReplyObject(r);
		return -1;
	}
	oq_adb_begin();
	for(i = 0; i < r->elements; i++) {
		e = r->element[i];
		if(store_session(tenant, e, now) < 0)
			break;
		sids[i].s = e->element[0]->str;
		sids[i].len = (int)e->element[0]->len;
	}
	if(i < r->elements || oq_adb_exec("COMMIT", 6) < 0) {
		LM_ERR("archive: the database did not take session %s of tenant %.*s (%d waiting "
			   "in this batch): they stay in Redis\n",
				r->element[i < r->elements ? i : 0]->element[0]->str, tenant->len, tenant->s,
				(int)r->elements);
		oq_adb_fail();
		n = -2;
	} else if(confirm("oq_archived", (int)r->elements, sids) == 0) {
		n = (int)r->elements;
		oq_stat_add(OQ_ST_ARCHIVED, n);
	} else {
		n = -1; /* written: the next read brings them again, to the same rows */
	}
	pkg_free(sids);
	freeReplyObject(r);
	return n;
}

/* ---- intervals ---- */

/* One interval ([start, mark, [dim, figures, ...]]) replaces its rows: 0 or -1. */
static int store_interval(const str *tenant, const redisReply *e)
{
	db_key_t keys[5] = {&oq_adb_icols[0], &oq_adb_icols[1], &oq_adb_icols[2], &oq_adb_icols[3], &oq_adb_icols[4]};
	db_val_t vals[5];
	const redisReply *h = e->element[2];
	const char *d;
	size_t i;

	oq_adb_str(&vals[0], tenant->s, tenant->len);
	oq_adb_num(&vals[1], e->element[0]);
	if(oq_adb.use_table(oq_adbh, &oq_adb_intervals) < 0 || oq_adb.delete(oq_adbh, keys, 0, vals, 2) < 0)
		return -1;
	for(i = 0; i + 1 < h->elements; i += 2) {
		if(!is_str(h->element[i]) || !is_str(h->element[i + 1]))
			continue;
		d = h->element[i]->str;
		if(!strcmp(d, "*")) {
			oq_adb_str(&vals[2], "*", 1);
			oq_adb_str(&vals[3], "*", 1);
		} else if(h->element[i]->len > 2 && d[1] == ':') {
			oq_adb_str(&vals[2], d, 1);
			oq_adb_str(&vals[3], d + 2, (int)h->element[i]->len - 2);
		} else {
			continue; /* not a dimension (nothing else is written there) */
		}
		oq_adb_str(&vals[4], h->element[i + 1]->str, (int)h->element[i + 1]->len);
		if(oq_adb.insert(oq_adbh, keys, vals, 5) < 0)
			return -1;
	}
	return 0;
}

/* The current tenant's changed intervals, a batch: as take_sessions. */
static int take_intervals(const str *tenant)
{
	static const str count = str_init("20");
	str *marks;
	redisReply *r, *e;
	size_t i;
	int n = 0;

	if((r = read_list("oq_archive_intervals", &count, 3,
				"[[start, mark, [dim, figures, ...]], ...]"))
			== NULL)
		return -1;
	if(r->elements == 0) {
		freeReplyObject(r);
		return 0;
	}
	marks = pkg_malloc(2 * r->elements * sizeof(str));
	if(marks == NULL) {
		LM_ERR("archive: out of pkg memory\n");
		freeReplyObject(r);
		return -1;
	}
	for(i = 0; i < r->elements; i++) {
		e = r->element[i];
		oq_adb_begin();
		if(store_interval(tenant, e) < 0 || oq_adb_exec("COMMIT", 6) < 0) {
			LM_ERR("archive: the database did not take the interval %s of tenant %.*s: it "
				   "stays marked in Redis\n",
					e->element[0]->str, tenant->len, tenant->s);
			oq_adb_fail();
			n = -2;
			break;
		}
		marks[2 * i].s = e->element[0]->str;
		marks[2 * i].len = (int)e->element[0]->len;
		marks[2 * i + 1].s = e->element[1]->str;
		marks[2 * i + 1].len = (int)e->element[1]->len;
	}
	/* what was committed is confirmed, even when a later one failed */
	if(i > 0 && confirm("oq_intervals_archived", (int)(2 * i), marks) < 0)
		n = -1;
	else if(n == 0)
		n = (int)i;
	pkg_free(marks);
	freeReplyObject(r);
	return n;
}

/* ---- the process ---- */

/* The wait before the next try of a database that has been failing for down_ms:
 * archive_interval at first, longer as the outage lasts (its driver logs every failed
 * connect), at most 5 s (or archive_interval, if longer). */
static int pause_ms(long long down_ms)
{
	long long p = oq_archive_cfg.interval_ms + down_ms / 10;

	return (int)(p > 5000 ? (oq_archive_cfg.interval_ms > 5000 ? oq_archive_cfg.interval_ms
																: 5000)
						  : p);
}

static void archive_loop(void)
{
	long long next_reports = 0, down_since = 0;
	str name;
	int t, n, busy, failed, reports;

	LM_INFO("archive: ended sessions and report intervals go to %s\n", oq_adb_url());
	for(;;) {
		cfg_update();
		oq_stop_check("omniq archive");
		busy = failed = 0;
		if(oq_adb_open() < 0) {
			if(!db_down) {
				LM_ERR("archive: the database %s is unreachable: ended sessions wait in "
					   "Redis; trying again from every %d ms to every 5 s\n",
						oq_adb_url(), oq_archive_cfg.interval_ms);
				oq_stat_inc(OQ_ST_ARCHIVE_FAILURES);
				db_down = 1;
				down_since = omniq_mono_ms();
			}
			usleep((useconds_t)pause_ms(omniq_mono_ms() - down_since) * 1000);
			continue;
		}
		reports = omniq_mono_ms() >= next_reports;
		for(t = 0; oq_tenant_at(t, &name, NULL) == 0 && !failed; t++) {
			oq_tenant_use_index(t);
			n = take_sessions(&name);
			busy |= n > 0;
			if(n >= 0 && reports)
				n = take_intervals(&name);
			if(n < 0)
				failed = -n; /* 1 Redis (oq_redis said why, once per outage), 2 the database */
		}
		oq_tenant_use_index(0);
		if(failed == 2) {
			oq_stat_inc(OQ_ST_ARCHIVE_FAILURES);
			db_down = 1;
			if(!down_since)
				down_since = omniq_mono_ms();
		} else if(!failed) {
			if(db_down)
				LM_NOTICE("archive: the database %s takes writes again (after %lld ms)\n",
						oq_adb_url(), omniq_mono_ms() - down_since);
			db_down = 0;
			down_since = 0;
			if(reports)
				next_reports = omniq_mono_ms() + oq_archive_cfg.reports_s * 1000LL;
		}
		if(failed == 2)
			usleep((useconds_t)pause_ms(omniq_mono_ms() - down_since) * 1000);
		else if(!busy || failed)
			usleep((useconds_t)oq_archive_cfg.interval_ms * 1000);
	}
}

int oq_archive_fork(void)
{
	int pid;

	if(oq_archive_cfg.db_url.len == 0)
		return 0;
	pid = fork_process(PROC_NOCHLDINIT, "omniq archive", 1);
	if(pid < 0)
		return -1;
	if(pid == 0) {
		if(cfg_child_init())
			return -1;
		archive_loop();
	}
	return 0;
}

