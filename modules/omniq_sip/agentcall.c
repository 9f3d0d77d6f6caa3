/*
 * agentcall.c - see agentcall.h.
 */
#include <stdio.h>
#include <string.h>

#include "core/dprint.h"
#include "core/ip_addr.h"
#include "core/parser/parse_from.h"
#include "core/parser/parse_uri.h"
#include "core/ut.h"

#include "os.h"
#include "phone.h"
#include "agentcall.h"

/* Where the INVITE came from, as a contact names it. */
typedef struct source {
	str ip;    /* without brackets */
	unsigned short port;
} source_t;

/* os_phone_each: 1 when contact c names the INVITE's source (its received, else its URI's
 * host and port: a phone behind no NAT). */
static int names_source(ucontact_t *c, void *arg)
{
	const source_t *src = arg;
	struct sip_uri u;
	str host;

	if(parse_uri(c->received.len > 0 ? c->received.s : c->c.s,
			   c->received.len > 0 ? c->received.len : c->c.len, &u) < 0)
		return 0;
	host = u.host;
	if(host.len > 2 && host.s[0] == '[') {
		host.s++;
		host.len -= 2;
	}
	return host.len == src->ip.len && strncasecmp(host.s, src->ip.s, host.len) == 0
		   && (u.port_no ? u.port_no : SIP_PORT) == src->port;
}

int os_agent_call(sip_msg_t *msg, const str *target)
{
	char from[OMNIQ_ID_MAX + 1], to[OMNIQ_ID_MAX + 1];
	struct to_body *fb;
	source_t src;
	int rc;

	if(target == NULL || target->len <= 0 || target->len > OMNIQ_ID_MAX
			|| parse_from_header(msg) < 0 || (fb = get_from(msg)) == NULL
			|| parse_uri(fb->uri.s, fb->uri.len, &fb->parsed_uri) < 0
			|| fb->parsed_uri.user.len <= 0 || fb->parsed_uri.user.len > OMNIQ_ID_MAX)
		return 0;
	memcpy(from, fb->parsed_uri.user.s, fb->parsed_uri.user.len);
	from[fb->parsed_uri.user.len] = '\0';
	memcpy(to, target->s, target->len);
	to[target->len] = '\0';
	src.ip.s = ip_addr2a(&msg->rcv.src_ip);
	src.ip.len = strlen(src.ip.s);
	src.port = msg->rcv.src_port;
	if(os_phone_each(from, names_source, &src) != 1)
		return 0; /* not from a phone agent `from` registered: no agent's call */
	if(strcmp(from, to) == 0) {
		LM_NOTICE("agent %s called herself: refused\n", from);
		os_tmb.t_reply(msg, 482, "Loop Detected");
		return -1;
	}
	if((rc = os_phone_lookup(msg, to)) == -9)
		return 0;
	if(rc != 1) {
		LM_NOTICE("agent %s calls %s, who has no phone registered (lookup %d)\n", from, to, rc);
		os_tmb.t_reply(msg, 480, "Temporarily Unavailable");
		return -1;
	}
	if(os_tmb.t_relay(msg, NULL, NULL) < 0) {
		LM_NOTICE("agent %s calls %s: the relay failed\n", from, to);
		os_tmb.t_reply(msg, 500, "Relay Failed");
		return -1;
	}
	os_stat_inc(OS_ST_AGENT_CALLS);
	LM_INFO("agent %s calls agent %s (no session)\n", from, to);
	return 1;
}
