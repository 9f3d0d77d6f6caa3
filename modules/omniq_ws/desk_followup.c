/*
 * desk_followup.c - see desk_followup.h. Requests (admin-ws.md, "The agent desk"):
 *   {"type":"followups"}                                  its follow-ups not yet ended, soonest
 *                                                         first (50): ok {"followups":[...]}
 *   {"type":"followup_add","sid":"12","due":"+86400","reason":"..","channel":"..","queue":".."}
 *                                                         one of that session, for itself:
 *                                                         ok {"fid":".."}
 *   {"type":"followup_done","fid":"3","outcome":"reached|no_answer|refused","note":".."}
 * An agent records outcomes of its own follow-ups only.
 */
#include <string.h>

#include "ws.h"
#include "desk_followup.h"


static void list(ws_sock_t *s, const char *agent, json_t *rid)
{
	json_t *rows = json_array();
	str a[2] = {omniq_str(agent), str_init("50")};
	int rc;

	if((rc = ws_oq.query("agent_followups", 2, a, ws_row_append, rows)) < 0) {
		json_decref(rows);
		ws_sock_fail(s, rc, rid);
		return;
	}
	ws_sock_ok(s, rid, json_pack("{s:o}", "followups", rows));
}

static void add(ws_sock_t *s, const char *agent, json_t *m, json_t *rid)
{
	int bad = 0, rc;
	const char *sid = ws_json_str(m, "sid", &bad), *due = ws_json_str(m, "due", &bad);
	const char *reason = ws_json_str(m, "reason", &bad), *channel = ws_json_str(m, "channel", &bad);
	const char *queue = ws_json_str(m, "queue", &bad);
	str a[6], me = omniq_str(agent);
	char fid[24];

	if(bad || !sid || !due || !reason) {
		ws_sock_error(s, "bad_argument", "'sid', 'due' and 'reason' are required strings; "
										 "'channel' and 'queue' strings", rid);
		return;
	}
	a[0] = omniq_str(sid);
	a[1] = omniq_str(due);
	a[2] = omniq_str(reason);
	a[3] = omniq_str(channel ? channel : "");
	a[4] = omniq_str(queue ? queue : "");
	if((rc = ws_oq.followup_add(&a[0], NULL, &a[1], &a[2], &a[3], &me, &a[4], fid,
				sizeof(fid))) < 0) {
		ws_sock_fail(s, rc, rid);
		return;
	}
	ws_sock_ok(s, rid, json_pack("{s:s}", "fid", fid));
}

/* the follow-up's agent into out (row callback of the "followup" reader) */
static int agent_of(void *out, int n, const str *items)
{
	int i;

	for(i = 0; i + 1 < n; i += 2)
		if(items[i].len == 5 && !memcmp(items[i].s, "agent", 5))
			snprintf((char *)out, OMNIQ_ID_MAX + 1, "%.*s", items[i + 1].len, items[i + 1].s);
	return 0;
}

static void done(ws_sock_t *s, const char *agent, json_t *m, json_t *rid)
{
	int bad = 0, rc;
	const char *fid = ws_json_str(m, "fid", &bad), *outcome = ws_json_str(m, "outcome", &bad);
	const char *note = ws_json_str(m, "note", &bad);
	char owner[OMNIQ_ID_MAX + 1] = "";
	str f, o, n;

	if(bad || !fid || !outcome) {
		ws_sock_error(s, "bad_argument", "'fid' and 'outcome' are required strings, 'note' a "
										 "string", rid);
		return;
	}
	f = omniq_str(fid);
	if((rc = ws_oq.query("followup", 1, &f, agent_of, owner)) < 0) {
		ws_sock_fail(s, rc, rid);
		return;
	}
	if(strcmp(owner, agent) != 0) {
		ws_sock_error(s, "agent", "this follow-up is another agent's", rid);
		return;
	}
	o = omniq_str(outcome);
	n = omniq_str(note ? note : "");
	if((rc = ws_oq.followup_done(&f, &o, &n)) < 0) {
		ws_sock_fail(s, rc, rid);
		return;
	}
	ws_sock_ok(s, rid, json_object());
}

void ws_desk_followup(ws_sock_t *s, const char *agent, const char *type, json_t *m, json_t *rid)
{
	if(!strcmp(type, "followups"))
		list(s, agent, rid);
	else if(!strcmp(type, "followup_add"))
		add(s, agent, m, rid);
	else if(!strcmp(type, "followup_done"))
		done(s, agent, m, rid);
	else
		ws_sock_error(s, "bad_argument", "unknown message type", rid);
}
