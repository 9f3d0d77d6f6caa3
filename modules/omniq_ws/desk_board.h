/*
 * desk_board.h - the figures in the agent desk: an agent's own of the day, and a
 * supervisor's wallboard (queues, agents, the day's intervals, complaint hot spots), each in
 * one read of the reports (lua/76_report.lua).
 */
#ifndef WS_DESK_BOARD_H
#define WS_DESK_BOARD_H

#include <jansson.h>

#include "sock.h"

/* type "figures" or "board", from agent's desk socket s: answered on s (rid: the
 * request's id) */
void ws_desk_board(ws_sock_t *s, const char *agent, const char *type, json_t *m, json_t *rid);

#endif
