/*
 * dtmf.c - see dtmf.h.
 */
#include <stdio.h>
#include <string.h>

#include "core/dprint.h"
#include "core/forward.h"
#include "core/parser/parse_uri.h"
#include "core/data_lump_rpl.h"
#include "core/parser/msg_parser.h"
#include "core/parser/parse_content.h"

#include "os.h"
#include "call.h"
#include "dtmf.h"
#include "dtmf_info.h"
#include "survey.h"

static void answer(sip_msg_t *msg, int code, char *text, const char *hdr)
{
	if(hdr && add_lump_rpl(msg, (char *)hdr, strlen(hdr), LUMP_RPL_HDR) == NULL)
		LM_ERR("no memory for the %d reply's header: sent without\n", code);
	if(os_tmb.t_reply(msg, code, text) < 0)
		LM_NOTICE("could not send %d %s to an INFO\n", code, text);
}

/* An INFO of a waiting call's early dialog goes to our 183's Contact: this node, no user.
 * Any other (an answered call's, to the agent's phone) is spared the look through every
 * call of the node (os_call_stream). */
static int to_this_node(sip_msg_t *msg)
{
	struct sip_uri *u;

	if(parse_sip_msg_uri(msg) < 0)
		return 0;
	u = &msg->parsed_uri;
	return u->user.len == 0 && check_self(&u->host, u->port_no ? u->port_no : SIP_PORT, 0) == 1;
}

int os_dtmf_request(sip_msg_t *msg)
{
	char sid[OMNIQ_SID_MAX], digit = 0, why[64];
	unsigned int handle = 0;
	str ct = STR_NULL, body = STR_NULL;
	int rc;

	if(msg->first_line.type != SIP_REQUEST || msg->REQ_METHOD != METHOD_INFO)
		return -1;
	if(!(to_this_node(msg) && os_call_stream(msg, sid, &handle))
			&& !os_survey_stream(msg, sid, &handle))
		return -1; /* not a waiting or surveyed call's: the cfg's own routing */
	if((rc = os_tmb.t_newtran(msg)) == 0)
		return 1; /* a retransmission: tm answers it again */
	if(rc < 0) {
		LM_ERR("call %s: cannot create the INFO's transaction (%d)\n", sid, rc);
		return -1;
	}
	if(parse_headers(msg, HDR_EOH_F, 0) == 0 && msg->content_type != NULL) {
		ct = msg->content_type->body;
		if((body.s = get_body(msg)) != NULL)
			body.len = msg->len - (int)(body.s - msg->buf);
	}
	rc = os_dtmf_info(ct.s, ct.len, body.s, body.len, &digit, why, sizeof(why));
	if(rc == 0) {
		LM_NOTICE("call %s: an INFO of %.*s: not a key (415)\n", sid, ct.len > 0 ? ct.len : 4,
				ct.len > 0 ? ct.s : "none");
		answer(msg, 415, "Unsupported Media Type",
				"Accept: application/dtmf-relay, application/dtmf\r\n");
		return 1;
	}
	if(rc < 0) {
		LM_NOTICE("call %s: an INFO with %s: refused (400)\n", sid, why);
		answer(msg, 400, "Bad DTMF", NULL);
		return 1;
	}
	os_stat_inc(OS_ST_INFO_KEYS);
	if(handle == 0)
		LM_INFO("call %s: the caller pressed %c (SIP INFO); no announcements to act on it\n",
				sid, digit);
	else if(os_media.key(handle, digit) < 0)
		LM_INFO("call %s: the caller pressed %c (SIP INFO) as its announcements ended\n", sid,
				digit);
	answer(msg, 200, "OK", NULL);
	return 1;
}
