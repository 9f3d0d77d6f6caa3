/*
 * survey_page.h - the answer a mailed survey link's page posts (docs/admin.md, "Surveys at
 * the end"): POST /survey/<tenant>/<sid>/<token> {"csat":1..5?, "nps":0..10?,
 * "comment":"..."?}, no API key: the token, signed with the tenant's survey key, stands for
 * the session. GET of the same path is the page itself (web/survey.html, static), which
 * records nothing: a mail scanner that opens every link answers no survey.
 */
#ifndef WS_SURVEY_PAGE_H
#define WS_SURVEY_PAGE_H

#include <jansson.h>

#include "ws.h"

/* 200 {"thanks": "..."}; 400 a bad score or comment, 404 a link of no survey (forged, of
 * another tenant, its session gone), 409 answered already or too late, 503 Redis. */
void ws_survey_post(const char *path, json_t *body, ws_resp_t *rs);

#endif
