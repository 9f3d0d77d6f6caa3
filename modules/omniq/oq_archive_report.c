/*
 * oq_archive_report.c - the reports' history (oq_report_call, oq_archive.h): a report that
 * reaches back past what Redis keeps (limits.def REPORT_KEEP_DAYS) is handed the archive's
 * copies of those intervals, read from omniq_interval in the process that asks (kamcmd's,
 * omniq_ws' REST handler); lua/76_report.lua sums them as it sums Redis' own.
 */
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

#include "omniq/omniq_clock.h"

#include "oq_core.h"
#include "oq_limits.h"
#include "oq_archive.h"
#include "oq_archive_db.h"

#define BUCKET_MS 900000LL
#define DAY_MS 86400000LL

static int digits(const str *s, long long *out)
{
	int i;

	if(s->len < 1 || s->len > 15)
		return 0;
	for(i = 0; i < s->len; i++)
		if(s->s[i] < '0' || s->s[i] > '9')
			return 0;
	*out = strtoll(s->s, NULL, 10);
	return 1;
}

redisReply *oq_report_call(int argc, const str *argv, int *rc)
{
	static const str empty = {"", 0};
	db_key_t keys[4] = {&oq_adb_icols[0], &oq_adb_icols[2], &oq_adb_icols[1], &oq_adb_icols[1]};
	db_op_t ops[4] = {OP_EQ, OP_EQ, OP_GEQ, OP_LT};
	db_key_t cols[4] = {&oq_adb_icols[1], &oq_adb_icols[2], &oq_adb_icols[3], &oq_adb_icols[4]};
	db_key_t nkeys[5];
	db_op_t nops[5];
	db_val_t vals[5];
	db1_res_t *res = NULL;
	long long from, to, cutoff;
	str tenant, *a = NULL;
	char *text = NULL, *p;
	size_t size;
	redisReply *r;
	int i, rows, n, k;

	cutoff = omniq_wall_ms() - (OQ_REPORT_KEEP_DAYS - 1) * DAY_MS;
	if(oq_archive_cfg.db_url.len == 0 || (argc != 4 && argc != 5) || !digits(&argv[0], &from)
			|| !digits(&argv[1], &to) || from >= cutoff || to <= from)
		return oq_call("oq_report", argc, argv, rc); /* Redis alone, or its refusal */
	if(to > cutoff)
		to = cutoff;
	from -= from % BUCKET_MS;
	oq_tenant_at(oq_tenant_index(), &tenant, NULL);
	oq_adb_str(&vals[0], tenant.s, tenant.len);
	oq_adb_str(&vals[1], argv[3].s, argv[3].len);
	oq_adb_ll(&vals[2], from);
	oq_adb_ll(&vals[3], to);
	memcpy(nkeys, keys, sizeof(keys));
	memcpy(nops, ops, sizeof(ops));
	n = 4;
	if(argc == 5 && argv[4].len > 0) { /* one dimension's */
		nkeys[4] = &oq_adb_icols[3];
		nops[4] = OP_EQ;
		oq_adb_str(&vals[4], argv[4].s, argv[4].len);
		n = 5;
	}
	if(oq_adb_open() < 0 || oq_adb.use_table(oq_adbh, &oq_adb_intervals) < 0
			|| oq_adb.query(oq_adbh, nkeys, nops, vals, cols, n, 4, 0, &res) < 0) {
		oq_adb_close();
		oq_set_error(OMNIQ_EINTERNAL, "the SQL archive (%s) is unreachable: the figures "
				"before %lld are kept there",
				oq_adb_url(), cutoff);
		*rc = OMNIQ_EINTERNAL;
		return NULL;
	}
	rows = res ? RES_ROW_N(res) : 0;
	if(rows > OQ_REPORT_ARCHIVE_ROWS) {
		oq_adb.free_result(oq_adbh, res);
		oq_set_error(OMNIQ_EARG, "more than %d archived rows: ask a shorter range, or one "
				"dimension by its name", OQ_REPORT_ARCHIVE_ROWS);
		*rc = OMNIQ_EARG;
		return NULL;
	}
	/* the call's arguments in the system's heap, as hiredis builds the command from them
	 * there: a few MB that pkg memory (8 MB a process by default) is not meant for */
	for(i = 0, size = 1; i < rows; i++) /* a start and a dimension ("<kind>:<name>") each */
		size += 20 + 3 + oq_adb_str_of(&ROW_VALUES(&RES_ROWS(res)[i])[2]).len;
	a = malloc((5 + 3 * rows) * sizeof(str));
	text = malloc(size);
	if(a == NULL || text == NULL) {
		free(a);
		free(text);
		if(res)
			oq_adb.free_result(oq_adbh, res);
		oq_set_error(OMNIQ_EINTERNAL, "out of memory for %d archived rows", rows);
		*rc = OMNIQ_EINTERNAL;
		return NULL;
	}
	for(i = 0; i < 4; i++)
		a[i] = argv[i];
	a[4] = argc == 5 ? argv[4] : empty;
	for(i = 0, k = 5, p = text; i < rows; i++) {
		db_val_t *v = ROW_VALUES(&RES_ROWS(res)[i]);
		str kind = oq_adb_str_of(&v[1]), name = oq_adb_str_of(&v[2]);
		if(kind.len != 1 || name.len > OQ_TAGS_MAX)
			continue;
		a[k].s = p;
		a[k].len = snprintf(p, 20, "%lld", oq_adb_ll_of(&v[0]));
		p += a[k++].len;
		a[k].s = p;
		a[k].len = kind.s[0] == '*' ? snprintf(p, 2, "*")
									: snprintf(p, name.len + 3, "%c:%.*s", kind.s[0], name.len,
											  name.s);
		p += a[k++].len;
		a[k++] = oq_adb_str_of(&v[3]);
	}
	r = oq_call("oq_report", k, a, rc);
	free(a);
	free(text);
	oq_adb.free_result(oq_adbh, res);
	return r;
}
