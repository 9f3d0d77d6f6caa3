/*
 * sms_sip.c - see sms_sip.h.
 *
 *   Content-Type: text/plain[;charset=...]   the text, in that charset (UTF-8 when none)
 *   Content-Type: message/cpim               RFC 3862: the text/plain inside it, and the
 *                                            sender from its From header when it has one
 * The sender is the CPIM From, else the P-Asserted-Identity, else the From header's user.
 * One MESSAGE is one message: a retransmission (the same Call-ID and CSeq) is stored once.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "core/data_lump_rpl.h"
#include "core/dprint.h"
#include "core/parser/parse_content.h"
#include "core/parser/parse_cseq.h"
#include "core/parser/parse_from.h"
#include "core/parser/parse_ppi_pai.h"
#include "modules/sl/sl.h"

#include "sms_charset.h"
#include "sms_cpim.h"
#include "sms_flood.h"
#include "sms_gateway.h"
#include "sms_inbound.h"
#include "sms_number.h"
#include "sms_sip.h"
#include "sms_stats.h"

#define ACCEPT_HDR "Accept: text/plain, message/cpim\r\n"

static sl_api_t slb;

int sms_sip_init(void)
{
	if(sl_load_api(&slb) < 0) {
		LM_ERR("cannot bind sl: load sl.so before omniq_sms.so\n");
		return -1;
	}
	return 0;
}

static int answer(sip_msg_t *msg, int code, const char *reason, const char *hdrs)
{
	str r = {(char *)reason, (int)strlen(reason)};

	if(hdrs && hdrs[0] && add_lump_rpl(msg, (char *)hdrs, (int)strlen(hdrs), LUMP_RPL_HDR) == 0)
		LM_ERR("cannot add headers to the %d reply\n", code);
	if(slb.freply(msg, code, &r) < 0) {
		LM_ERR("cannot send the %d reply\n", code);
		return -3;
	}
	return code < 300 ? 1 : code < 500 ? -1 : -2;
}

static int refuse(sip_msg_t *msg, int code, const char *reason, const char *hdrs,
		const char *why)
{
	LM_NOTICE("sms MESSAGE from %s refused (%d %s): %s\n", ip_addr2a(&msg->rcv.src_ip), code,
			reason, why);
	if(code >= 500)
		sms_stat_failed();
	else
		sms_stat_refused();
	return answer(msg, code, reason, hdrs);
}

/* the user part of the P-Asserted-Identity, else of the From URI */
static int sender(sip_msg_t *msg, char *out, size_t size)
{
	char why[96], buf[512];
	str uri = STR_NULL;

	if(parse_pai_header(msg) == 0 && msg->pai && msg->pai->parsed) {
		p_id_body_t *pai = get_pai(msg);
		if(pai && pai->id)
			uri = pai->id->uri;
	}
	if(uri.len <= 0) {
		if(parse_from_header(msg) < 0 || msg->from == NULL || get_from(msg) == NULL)
			return -1;
		uri = get_from(msg)->uri;
	}
	if(uri.len <= 0 || uri.len >= (int)sizeof(buf))
		return -1;
	memcpy(buf, uri.s, uri.len);
	buf[uri.len] = '\0';
	return sms_cpim_number(buf, out, size, why);
}

/* "<sha-1 of Call-ID and CSeq number>": one id for a MESSAGE and its retransmissions */
static int message_id(sip_msg_t *msg, char *out)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;
	EVP_MD_CTX *c;

	if(parse_headers(msg, HDR_CALLID_F | HDR_CSEQ_F, 0) < 0 || msg->callid == NULL
			|| msg->cseq == NULL || msg->cseq->parsed == NULL)
		return -1;
	if((c = EVP_MD_CTX_new()) == NULL)
		return -1;
	if(EVP_DigestInit_ex(c, EVP_sha1(), NULL) != 1
			|| EVP_DigestUpdate(c, msg->callid->body.s, msg->callid->body.len) != 1
			|| EVP_DigestUpdate(c, "\n", 1) != 1
			|| EVP_DigestUpdate(c, get_cseq(msg)->number.s, get_cseq(msg)->number.len) != 1
			|| EVP_DigestFinal_ex(c, md, &n) != 1) {
		EVP_MD_CTX_free(c);
		return -1;
	}
	EVP_MD_CTX_free(c);
	for(i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", md[i]);
	out[2 * n] = '\0';
	return 0;
}

static const sms_gw_t *gateway_of(const str *name)
{
	sms_gw_t *g;
	int i;

	if(name && name->len > 0)
		return sms_gw_find(name);
	for(i = 0; (g = sms_gw_at(i)) != NULL; i++)
		if(g->type == SMS_GW_SIP)
			return g;
	return NULL;
}

int sms_sip_receive(sip_msg_t *msg, const str *gateway)
{
	static char text[OMNIQ_BODY_MAX + 1];
	static sms_cpim_t cpim;
	char type[64], charset[SMS_CHARSET_MAX + 1], from[SMS_NUMBER_MAX + 64], why[192];
	char num[SMS_NUMBER_MAX + 1];
	char id[48], sid[OMNIQ_SID_MAX], hdr[OMNIQ_SID_MAX + 64], retry[48];
	const sms_gw_t *gw;
	const char *body;
	size_t body_len, tlen;
	sms_in_t in;
	str b;
	int rc, wait;

	if(msg->first_line.type != SIP_REQUEST || msg->REQ_METHOD != METHOD_MESSAGE) {
		LM_ERR("sms_receive: only for a MESSAGE request\n");
		return -3;
	}
	if((gw = gateway_of(gateway)) == NULL) {
		LM_ERR("sms_receive: no gateway '%.*s' (modparam gateway)\n",
				gateway ? gateway->len : 0, gateway ? gateway->s : "");
		return answer(msg, 500, "Server Error - No SMS Gateway", NULL);
	}
	if(parse_headers(msg, HDR_EOH_F, 0) < 0)
		return refuse(msg, 400, "Bad Request - Malformed Headers", NULL, "cannot parse");
	b.s = get_body(msg);
	b.len = b.s ? (int)(msg->buf + msg->len - b.s) : 0;
	if(msg->content_length && get_content_length(msg) < b.len)
		b.len = (int)get_content_length(msg);
	if(b.len <= 0)
		return refuse(msg, 400, "Bad Request - Empty Message", NULL, "no body");
	if(msg->content_type == NULL)
		return refuse(msg, 415, "Unsupported Media Type", ACCEPT_HDR, "no Content-Type");
	if(sms_content_type(msg->content_type->body.s, (size_t)msg->content_type->body.len, type,
			   sizeof(type), charset, sizeof(charset)) < 0)
		return refuse(msg, 415, "Unsupported Media Type", ACCEPT_HDR, "a malformed Content-Type");
	from[0] = '\0';
	body = b.s;
	body_len = (size_t)b.len;
	if(!strcmp(type, "message/cpim")) {
		if(sms_cpim_parse(b.s, (size_t)b.len, &cpim, why) < 0)
			return refuse(msg, 400, "Bad Request - Malformed CPIM", NULL, why);
		if(strcasecmp(cpim.content_type, "text/plain")) {
			snprintf(why, sizeof(why), "CPIM wraps %.40s", cpim.content_type);
			return refuse(msg, 415, "Unsupported Media Type", ACCEPT_HDR, why);
		}
		snprintf(charset, sizeof(charset), "%s", cpim.charset ? cpim.charset : "");
		if(cpim.from && sms_cpim_number(cpim.from, from, sizeof(from), why) < 0)
			return refuse(msg, 400, "Bad Request - No Sender", NULL, why);
		body = cpim.body;
		body_len = cpim.body_len;
	} else if(strcmp(type, "text/plain")) {
		snprintf(why, sizeof(why), "Content-Type %.40s", type);
		return refuse(msg, 415, "Unsupported Media Type", ACCEPT_HDR, why);
	}
	if(!from[0] && sender(msg, from, sizeof(from)) < 0)
		return refuse(msg, 400, "Bad Request - No Sender", NULL, "no number in From or PAI");
	rc = sms_to_utf8(charset, body, body_len, text, sizeof(text), &tlen, why, sizeof(why));
	if(rc == -2)
		return refuse(msg, 415, "Unsupported Media Type - Charset", ACCEPT_HDR, why);
	if(rc < 0)
		LM_WARN("sms MESSAGE from %s: %s: the text is cut at %zu bytes\n", from, why, tlen);
	/* the line break a gateway (or sipp) ends the body with is no part of the SMS */
	while(tlen && (text[tlen - 1] == '\n' || text[tlen - 1] == '\r'))
		text[--tlen] = '\0';
	if(tlen == 0)
		return refuse(msg, 400, "Bad Request - Empty Message", NULL, "an empty text");
	/* one count per number however the gateway writes it */
	if(sms_number(from, strlen(from), gw->country, num, sizeof(num), why, sizeof(why)) < 0)
		return refuse(msg, 400, "Bad Request - No Sender", NULL, why);
	if(!sms_flood_allow(num, &wait)) {
		snprintf(retry, sizeof(retry), "Retry-After: %d\r\n", wait);
		sms_stat_limited();
		LM_NOTICE("sms MESSAGE from %s refused (503): more than its number may send; "
				  "again in %d s\n",
				num, wait);
		return answer(msg, 503, "Service Unavailable - Too Many Messages", retry);
	}
	memset(&in, 0, sizeof(in));
	in.gw = gw;
	in.from = from;
	in.from_len = strlen(from);
	in.text = text;
	in.len = tlen;
	in.id = message_id(msg, id) == 0 ? id : NULL;
	rc = sms_inbound_store(&in, sid, sizeof(sid), why, sizeof(why));
	if(rc == OMNIQ_EARG)
		return refuse(msg, 400, "Bad Request - No Sender", NULL, why);
	if(rc < 0)
		return refuse(msg, 503, "Service Unavailable", "Retry-After: 5\r\n", why);
	if(rc == 0) {
		snprintf(hdr, sizeof(hdr), "X-Omniq-Session: %s\r\n", sid);
		return answer(msg, 200, "OK", hdr);
	}
	return answer(msg, 200, "OK", NULL);
}
