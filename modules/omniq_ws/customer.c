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
