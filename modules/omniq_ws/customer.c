/*
 * customer.c - see customer.h.
 */
#include <string.h>

#include "ws.h"
#include "customer.h"

void ws_cust_state(json_t *o, const omniq_session_info_t *s)
{
	json_object_set_new(o, "state", json_string(s->state));
	json_object_set_new(o, "agent", json_string(s->agent));
	json_object_set_new(o, "position", json_integer(s->position));
	json_object_set_new(o, "est_wait_s", json_integer(s->est_wait_s));
}

void ws_cust_agent_name(json_t *v, const char *aid)
{
	json_t *a = json_object(), *name;
	str id = omniq_str(aid);
	if(a && ws_oq.query("agent", 1, &id, ws_row_merge, a) >= 0
			&& json_string_length(name = json_object_get(a, "name")) > 0)
		json_object_set(v, "agent_name", name);
	json_decref(a);
}

int ws_cust_terminal(const char *state)
{
	return !strcmp(state, "closed") || !strcmp(state, "abandoned") || !strcmp(state, "expired");
}

int ws_cust_over(const char *state)
{
	return !strcmp(state, "wrapup") || ws_cust_terminal(state);
}

int ws_cust_sees(const str *dir)
{
	return !(dir->len == 4 && !memcmp(dir->s, "note", 4));
}

void ws_cust_tx_append(void *arr, const str *id, const str *dir, const str *from,
		const str *body)
{
	if(ws_cust_sees(dir))
		ws_tx_append(arr, id, dir, from, body);
}

json_t *ws_cust_message(const str *dir, const str *from, const str *text, const str *id,
		const char *sid)
{
	json_t *v = json_pack("{s:s,s:s%,s:s%,s:s%,s:s%}", "type", "message", "dir", dir->s,
			(size_t)dir->len, "from", from->s, (size_t)from->len, "text", text->s,
			(size_t)text->len, "id", id->s, (size_t)id->len);
	if(v && sid)
		json_object_set_new(v, "session", json_string(sid));
	return v;
}

json_t *ws_cust_state_now(const char *sid, int session, int *ended)
{
	omniq_session_info_t info;
	str s = omniq_str(sid);
	json_t *v;

	*ended = 0;
	if(ws_oq.get(&s, &info) < 0)
		return NULL;
	v = json_pack("{s:s,s:s}", "type", "state", "event", "resync");
	if(v == NULL)
		return NULL;
	ws_cust_state(v, &info);
	if(info.agent[0])
		ws_cust_agent_name(v, info.agent);
	if(session)
		json_object_set_new(v, "session", json_string(sid));
	*ended = ws_cust_over(info.state);
	return v;
}

json_t *ws_cust_frame(const ws_item_t *it, int session)
{
	str dir, from, text, id;
	json_t *v;

	if(!strcmp(it->type, "message")) {
		dir = omniq_str(it->state);
		if(!strcmp(it->state, "in") || it->body == NULL || !ws_cust_sees(&dir))
			return NULL;
		from = omniq_str(it->from);
		text = omniq_str(it->body);
		id = omniq_str(it->id);
		return ws_cust_message(&dir, &from, &text, &id, session ? it->sid : NULL);
	} else if(!strcmp(it->type, "typing")) {
		if(it->from[0] == '\0' || !strcmp(it->state, "in"))
			return NULL;
		v = json_pack("{s:s,s:s}", "type", "typing", "from", it->from);
	} else if(!strcmp(it->type, "survey")) {
		/* the session's survey: its form asked (the state is what it asks: csat, nps,
		 * both), or answered (in another tab); nothing else of it is the customer's */
		if(!strcmp(it->state, "answered"))
			v = json_pack("{s:s,s:s}", "type", "survey", "state", "answered");
		else if(!strcmp(it->state, "csat") || !strcmp(it->state, "nps")
				|| !strcmp(it->state, "both"))
			v = json_pack("{s:s,s:s,s:s}", "type", "survey", "state", "asked", "ask",
					it->state);
		else
			return NULL;
	} else if(!strcmp(it->type, "enqueue") || !strcmp(it->type, "delivery")
			  || !strncmp(it->type, "sla", 3) || !strcmp(it->type, "followup")
			  || !strcmp(it->type, "callback")) {
		/* a delivery's state, a service-level alert, a follow-up: the staff's business */
		return NULL;
	} else {
		v = json_pack("{s:s,s:s,s:s,s:s}", "type", "state", "event", it->type, "state",
				it->state, "agent", it->agent);
		if(v && it->agent[0] && !strcmp(it->type, "accept"))
			ws_cust_agent_name(v, it->agent);
	}
	if(v && session)
		json_object_set_new(v, "session", json_string(it->sid));
	return v;
}

/* A form's survey answer {"type":"survey","csat":1..5?,"nps":0..10?,"comment":"..."?} for
 * session sid, answered on socket s: {"type":"survey","state":"answered","thanks":...} or an
 * error frame in words (the socket stays open). */
void ws_cust_survey(ws_sock_t *s, const char *sid, json_t *m)
{
	json_t *cs = json_object_get(m, "csat"), *ns = json_object_get(m, "nps");
	json_t *cm = json_object_get(m, "comment");
	char thanks[OMNIQ_TEXT_MAX * 5];
	str id = omniq_str((char *)sid), comment = STR_NULL;
	int csat = -1, nps = -1, rc;

	if(sid[0] == '\0') {
		ws_sock_error(s, "bad_state", "no conversation to rate yet", NULL);
		return;
	}
	if((cs && !json_is_null(cs)
			   && (!json_is_integer(cs) || json_integer_value(cs) < 1
					   || json_integer_value(cs) > 5))
			|| (ns && !json_is_null(ns)
					&& (!json_is_integer(ns) || json_integer_value(ns) < 0
							|| json_integer_value(ns) > 10))
			|| (cm && !json_is_null(cm) && !json_is_string(cm))) {
		ws_sock_error(s, "bad_argument", "'csat' must be 1..5, 'nps' 0..10 and 'comment' text",
				NULL);
		return;
	}
	if(cs && json_is_integer(cs))
		csat = (int)json_integer_value(cs);
	if(ns && json_is_integer(ns))
		nps = (int)json_integer_value(ns);
	if(cm && json_is_string(cm)) {
		comment.s = (char *)json_string_value(cm);
		comment.len = (int)json_string_length(cm);
	}
	if((rc = ws_oq.survey_answer(&id, NULL, csat, nps, &comment, thanks, sizeof(thanks))) < 0) {
		LM_INFO("survey of %s: %s\n", sid, ws_oq.last_error());
		ws_sock_error(s,
				rc == OMNIQ_ESTATE	   ? "bad_state"
				: rc == OMNIQ_EARG	 ? "bad_argument"
				: rc == OMNIQ_EREDIS ? "unavailable"
									 : "error",
				rc == OMNIQ_ESTATE ? "this conversation's survey takes no answer"
								   : ws_oq.last_error(),
				NULL);
		return;
	}
	ws_sock_send(s, json_pack("{s:s,s:s,s:s}", "type", "survey", "state", "answered", "thanks",
							thanks));
}
