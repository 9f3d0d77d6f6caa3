/*
 * desk_board.c - see desk_board.h. Requests (admin-ws.md, "The agent desk"):
 *   {"type":"figures","day":<ms>?}   the agent's own figures of the day: ok {"figures":{...}}
 *                                    ({} before its first session of the day ends)
 *   {"type":"board","day":<ms>?}     a supervisor's wallboard: ok {"rows":[...]}, the rows of
 *                                    oq_board (queues, agents, the day's intervals, complaint
 *                                    tags); bad_state for an agent who is no supervisor
 * day: the start of the desk's day (its local midnight) in ms; 00:00 UTC of today when absent.
 */
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#include "ws.h"
#include "desk_board.h"

/* day as the message gives it, else today 00:00 UTC; -1 with the error sent */
static long long day_of(ws_sock_t *s, json_t *m, json_t *rid)
{
	json_t *d = json_object_get(m, "day");
	struct timeval tv;
	long long now;

	gettimeofday(&tv, NULL);
	now = (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
	if(d == NULL || json_is_null(d))
		return now - now % 86400000LL;
	/* a local midnight is within a day of now either way */
	if(!json_is_integer(d) || json_integer_value(d) < now - 2 * 86400000LL
			|| json_integer_value(d) > now + 86400000LL) {
		ws_sock_error(s, "bad_argument", "'day' is the start of today in ms", rid);
		return -1;
	}
	return (long long)json_integer_value(d);
}

static void figures(ws_sock_t *s, const char *agent, json_t *m, json_t *rid)
{
	long long day = day_of(s, m, rid);
	char f[24], t[24];
	json_t *mine;
	str a[5];
	int rc;

	if(day < 0)
		return;
	a[0].s = f;
	a[0].len = snprintf(f, sizeof(f), "%lld", day);
	a[1].s = t;
	a[1].len = snprintf(t, sizeof(t), "%lld", day + 86400000LL);
	a[2] = omniq_str("86400000");
	a[3] = omniq_str("a");
	a[4] = omniq_str((char *)agent); /* its own row alone, not every agent's */
	mine = json_object();
	if((rc = ws_oq.query("report_of", 5, a, ws_row_merge, mine)) < 0) {
		json_decref(mine);
		ws_sock_fail(s, rc, rid);
		return;
	}
	ws_sock_ok(s, rid, json_pack("{s:o}", "figures", mine));
}

static void board(ws_sock_t *s, const char *agent, json_t *m, json_t *rid)
{
	long long day = day_of(s, m, rid);
	json_t *rows;
	char d[24];
	str a[2];
	int rc;

	if(day < 0)
		return;
	a[0] = omniq_str((char *)agent);
	a[1].s = d;
	a[1].len = snprintf(d, sizeof(d), "%lld", day);
	rows = json_array();
	if((rc = ws_oq.query("board", 2, a, ws_row_append, rows)) < 0) {
		json_decref(rows);
		if(rc == OMNIQ_EAGENT)
			ws_sock_error(s, "bad_state", "the board is for supervisors", rid);
		else
			ws_sock_fail(s, rc, rid);
		return;
	}
	ws_sock_ok(s, rid, json_pack("{s:o}", "rows", rows));
}

void ws_desk_board(ws_sock_t *s, const char *agent, const char *type, json_t *m, json_t *rid)
{
	if(!strcmp(type, "figures"))
		figures(s, agent, m, rid);
	else
		board(s, agent, m, rid);
}
