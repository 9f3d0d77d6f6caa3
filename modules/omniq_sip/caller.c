/*
 * caller.c - see caller.h.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/parser/parse_from.h"
#include "core/parser/parse_ppi_pai.h"
#include "core/parser/parse_uri.h"
#include "core/dprint.h"

#include "caller.h"

/* The user part of a sip:/tel: URI, cut at user parameters (";phone-context=..."), and its
 * host (empty for tel:). */
static int uri_user(str *uri, str *user, str *host)
{
	sip_uri_t pu;
	char *semi;

	if(parse_uri(uri->s, uri->len, &pu) < 0 || pu.user.len <= 0)
		return -1;
	*user = pu.user;
	*host = pu.type == TEL_URI_T || pu.type == TELS_URI_T ? (str)STR_NULL : pu.host;
	semi = memchr(user->s, ';', user->len);
	if(semi)
		user->len = (int)(semi - user->s);
	return user->len > 0 ? 0 : -1;
}

static int header_user(sip_msg_t *msg, str *user, str *host)
{
	str uri = STR_NULL;

	if(parse_pai_header(msg) == 0 && msg->pai && msg->pai->parsed) {
		p_id_body_t *pai = get_pai(msg);
		if(pai && pai->id)
			uri = pai->id->uri;
	}
	if(uri.len > 0 && uri_user(&uri, user, host) == 0)
		return 0;
	if(parse_from_header(msg) < 0 || msg->from == NULL || get_from(msg) == NULL)
		return -1;
	uri = get_from(msg)->uri;
	return uri_user(&uri, user, host);
}

int os_caller_identity(sip_msg_t *msg, const str *given, char *phone, int plen, char *uri,
		int ulen)
{
	str user, host = STR_NULL;
	int n;

	uri[0] = '\0';
	if(given && given->len > 0)
		user = *given;
	else if(header_user(msg, &user, &host) < 0)
		return OS_CALLER_NONE;
	if((user.len == 9 && !strncasecmp(user.s, "anonymous", 9))
			|| (user.len == 10 && !strncasecmp(user.s, "restricted", 10)))
		return OS_CALLER_ANON;
	n = snprintf(phone, plen, "phone:%.*s", user.len, user.s);
	if(n < 0 || n >= plen)
		return OS_CALLER_TOOLONG;
	if(host.len > 0) {
		n = snprintf(uri, ulen, "sip:%.*s@%.*s", user.len, user.s, host.len, host.s);
		if(n < 0 || n >= ulen)
			uri[0] = '\0'; /* too long to be an identity: the number or nothing */
	}
	return OS_CALLER_OK;
}
