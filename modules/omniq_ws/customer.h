/*
 * customer.h - what the customers' sockets (web chat, app) tell about a session, the same
 * way on both.
 */
#ifndef OMNIQ_WS_CUSTOMER_H
#define OMNIQ_WS_CUSTOMER_H

#include <jansson.h>
#include "omniq/omniq_api.h"
#include "events.h"
#include "sock.h"

/* state, agent, position, est_wait_s of s into o */
void ws_cust_state(json_t *o, const omniq_session_info_t *s);
/* agent_name into v: the customer sees the agent's name, not its id (one Redis read; nothing
 * is added when the agent has no name or Redis does not answer) */
void ws_cust_agent_name(json_t *v, const char *aid);
/* closed, abandoned, expired */
int ws_cust_terminal(const char *state);
/* Over for the customer: terminal, or in wrap-up (its agent is done with it). The next
 * message of the customer starts a new conversation (web chat and app alike); the socket
 * still shows what the agent may write to the old one. */
int ws_cust_over(const char *state);
/* Whether a transcript entry of this direction is the customer's to see: every one but an
 * agent's internal note ("note"), which only agents read. */
int ws_cust_sees(const str *dir);
/* ws_tx_append for a customer: the entries ws_cust_sees */
void ws_cust_tx_append(void *arr, const str *id, const str *dir, const str *from,
		const str *body);
/* A "message" frame: {type, dir, from, text, id} and, when sid is not NULL, the session. */
json_t *ws_cust_message(const str *dir, const str *from, const str *text, const str *id,
		const char *sid);
/* The "state" frame of session sid as it is now, event "resync" (the events of its changes
 * may have been lost), naming the session when `session`; *ended when it is over for the
 * customer (ws_cust_over). NULL
 * when it cannot be read (Redis). */
json_t *ws_cust_state_now(const char *sid, int session, int *ended);
/* The frame an event of the session makes for its customer, or NULL when the customer is
 * not told (its own words, which are acked; the enqueue, which the session frame said).
 * With `session`, the frame names the session (the app's frames do). */
json_t *ws_cust_frame(const ws_item_t *it, int session);
/* A customer's survey answer from their widget's form (the frame {"type":"survey",
 * "csat":1..5?, "nps":0..10?, "comment":...?}) to session sid's survey, answered on s: the
 * web chat's and the app's sockets share it. */
void ws_cust_survey(ws_sock_t *s, const char *sid, json_t *m);

#endif
