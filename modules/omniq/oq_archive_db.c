/*
 * oq_archive_db.c - the SQL archive's database (see oq_archive_db.h): the connection each
 * process opens when it first needs it, the schema (archive.sql, generated into
 * oq_archive_sql.h) run at every connection, and the values srdb1 takes and gives.
 */
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

#include "core/dprint.h"

#include "oq_archive.h"
#include "oq_archive_db.h"
#include "oq_archive_sql.h"

db_func_t oq_adb;         /* the database module's functions (bound in mod_init) */
db1_con_t *oq_adbh;      /* this process's connection, opened when first needed */

str oq_adb_sessions = str_init("omniq_session");
str oq_adb_intervals = str_init("omniq_interval");

/* The URL as it may be logged: no password. */
const char *oq_adb_url(void)
{
	static char buf[256];
	const char *s = oq_archive_cfg.db_url.s, *at, *colon;
	int n = oq_archive_cfg.db_url.len;

	at = memchr(s, '@', n);
	colon = at ? memchr(s, ':', n) : NULL;
	if(colon && (colon = memchr(colon + 1, ':', at - colon - 1)) != NULL && colon < at)
		snprintf(buf, sizeof(buf), "%.*s:***%.*s", (int)(colon - s), s, (int)(s + n - at), at);
	else
		snprintf(buf, sizeof(buf), "%.*s", n, s);
	return buf;
}

/* ---- the connection ---- */

void oq_adb_close(void)
{
	if(oq_adbh)
		oq_adb.close(oq_adbh);
	oq_adbh = NULL;
}

/* One statement with no rows wanted (BEGIN, COMMIT, the schema's): 0 or -1. Drivers step
 * a statement while storing its result (db_sqlite), so a result is asked and freed. */
int oq_adb_exec(const char *sql, int len)
{
	db1_res_t *res = NULL;
	str s;

	s.s = (char *)sql;
	s.len = len;
	if(oq_adb.raw_query(oq_adbh, &s, &res) < 0)
		return -1;
	if(res)
		oq_adb.free_result(oq_adbh, res);
	return 0;
}

/* archive.sql's statements, one at a time (a driver runs one per call) */
static int adb_schema(void)
{
	const char *p = oq_archive_sql, *end;

	for(;;) {
		while(*p == ' ' || *p == '\n')
			p++;
		while(p[0] == '-' && p[1] == '-') { /* a comment line */
			p = strchr(p, '\n');
			if(p == NULL)
				return 0;
			while(*p == ' ' || *p == '\n')
				p++;
		}
		if(*p == '\0')
			return 0;
		end = strchr(p, ';');
		if(end == NULL)
			end = p + strlen(p);
		if(oq_adb_exec(p, (int)(end - p)) < 0)
			return -1;
		p = *end ? end + 1 : end;
	}
}

/* This process's connection: 0 with oq_adbh open and the tables there, or -1. */
int oq_adb_open(void)
{
	if(oq_adbh)
		return 0;
	oq_adbh = oq_adb.init(&oq_archive_cfg.db_url);
	if(oq_adbh == NULL)
		return -1;
	if(adb_schema() < 0) {
		oq_adb_close();
		return -1;
	}
	return 0;
}

void oq_adb_begin(void)
{
	oq_adb_exec("BEGIN", 5);
}

/* ROLLBACK of what a failed batch wrote, and the connection closed: the next try opens a
 * new one (a driver's own reconnect is not relied on). */
void oq_adb_fail(void)
{
	if(oq_adbh)
		oq_adb_exec("ROLLBACK", 8);
	oq_adb_close();
}

/* ---- values ---- */

void oq_adb_str(db_val_t *v, const char *s, int len)
{
	memset(v, 0, sizeof(*v));
	VAL_TYPE(v) = DB1_STR;
	VAL_STR(v).s = (char *)(s ? s : "");
	VAL_STR(v).len = s ? len : 0;
}

void oq_adb_ll(db_val_t *v, long long n)
{
	memset(v, 0, sizeof(*v));
	VAL_TYPE(v) = DB1_BIGINT;
	VAL_BIGINT(v) = n;
}

/* A decimal field of the hash as a number, or NULL (unset, "", not a number). */
void oq_adb_num(db_val_t *v, const redisReply *s)
{
	char *e;
	long long n;

	oq_adb_ll(v, 0);
	if(s == NULL || s->type != REDIS_REPLY_STRING || s->len == 0 || s->len > 18) {
		VAL_NULL(v) = 1;
		return;
	}
	n = strtoll(s->str, &e, 10);
	if(*e)
		VAL_NULL(v) = 1;
	else
		VAL_BIGINT(v) = n;
}

/* A number of a result row, whichever type the driver gave it. */
long long oq_adb_ll_of(const db_val_t *v)
{
	if(VAL_NULL(v))
		return 0;
	switch(VAL_TYPE(v)) {
		case DB1_INT:
			return VAL_INT(v);
		case DB1_BIGINT:
			return VAL_BIGINT(v);
		case DB1_DOUBLE:
			return (long long)VAL_DOUBLE(v);
		case DB1_STRING:
			return VAL_STRING(v) ? atoll(VAL_STRING(v)) : 0;
		case DB1_STR:
			return VAL_STR(v).s ? strtoll(VAL_STR(v).s, NULL, 10) : 0;
		default:
			return 0;
	}
}

str oq_adb_str_of(const db_val_t *v)
{
	str s = {"", 0};

	if(VAL_NULL(v))
		return s;
	if(VAL_TYPE(v) == DB1_STRING && VAL_STRING(v)) {
		s.s = (char *)VAL_STRING(v);
		s.len = (int)strlen(s.s);
	} else if((VAL_TYPE(v) == DB1_STR || VAL_TYPE(v) == DB1_BLOB) && VAL_STR(v).s) {
		s = VAL_STR(v);
	}
	return s;
}

str oq_adb_icols[5] = {str_init("tenant"), str_init("start"), str_init("kind"),
		str_init("name"), str_init("figures")};
