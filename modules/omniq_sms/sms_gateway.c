/*
 * sms_gateway.c - see sms_gateway.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/dprint.h"

#include "omniq/omniq_kvparam.h"

#include "sms_gateway.h"

static sms_gw_t gws[SMS_GATEWAYS_MAX];
static int n_gws;

enum { K_NAME, K_TYPE, K_TENANT, K_QUEUE, K_SKILLS, K_PRIORITY, K_FROM, K_COUNTRY, K_RATE,
	K_URI, K_SECRET, K_SENDSMS, K_USERNAME, K_PASSWORD, K_SMSC, K_API, K_ACCOUNT, K_TOKEN,
	K_PUBLIC, K_INTERMEDIATE, K_N };
static const char *const keys[K_N] = {"name", "type", "tenant", "queue", "skills",
		"priority", "from", "country", "rate", "uri", "secret", "sendsms", "username",
		"password", "smsc", "api", "account", "token", "public", "intermediate"};

/* which keys each type takes besides the common ones, and which it needs */
static const struct {
	const char *name;
	unsigned takes, needs;
} types[] = {
	[SMS_GW_SIP] = {"sip", 1u << K_URI, 1u << K_URI},
	[SMS_GW_KANNEL] = {"kannel",
			1u << K_SECRET | 1u << K_SENDSMS | 1u << K_USERNAME | 1u << K_PASSWORD
					| 1u << K_SMSC | 1u << K_PUBLIC | 1u << K_INTERMEDIATE,
			1u << K_SECRET | 1u << K_SENDSMS | 1u << K_USERNAME | 1u << K_PASSWORD
					| 1u << K_PUBLIC},
	[SMS_GW_TWILIO] = {"twilio", 1u << K_API | 1u << K_ACCOUNT | 1u << K_TOKEN | 1u << K_PUBLIC,
			1u << K_ACCOUNT | 1u << K_TOKEN | 1u << K_PUBLIC},
};
#define COMMON                                                                           \
	(1u << K_NAME | 1u << K_TYPE | 1u << K_TENANT | 1u << K_QUEUE | 1u << K_SKILLS      \
			| 1u << K_PRIORITY | 1u << K_FROM | 1u << K_COUNTRY | 1u << K_RATE)

const char *sms_gw_type_name(sms_gw_type_t t)
{
	return types[t].name;
}

static int copy(const char *gw, int k, const str *v, char *dst, size_t size, const char *chars)
{
	return omniq_kv_copy("gateway", gw, keys[k], v, dst, size, chars);
}

static int number(const char *gw, int k, const str *v, int lo, int hi, int def, int *out)
{
	return omniq_kv_int("gateway", gw, keys[k], v, lo, hi, def, out);
}

static int url(const char *gw, int k, const str *v, char *dst)
{
	if(copy(gw, k, v, dst, SMS_URL_MAX + 1, NULL) < 0)
		return -1;
	if(dst[0] && strncmp(dst, "http://", 7) && strncmp(dst, "https://", 8)) {
		LM_ERR("modparam gateway %s: %s '%s' is no http(s) URL\n", gw, keys[k], dst);
		return -1;
	}
	return 0;
}

int sms_gw_add(const char *val)
{
	str v[K_N];
	sms_gw_t *g;
	int k, t;

	if(n_gws == SMS_GATEWAYS_MAX) {
		LM_ERR("modparam gateway: more than %d gateways\n", SMS_GATEWAYS_MAX);
		return -1;
	}
	if(omniq_kv_parse("gateway", val, keys, v, K_N) < 0)
		return -1;
	g = &gws[n_gws];
	memset(g, 0, sizeof(*g));
	if(v[K_NAME].s == NULL || v[K_NAME].len == 0) {
		LM_ERR("modparam gateway '%s': name is missing\n", val);
		return -1;
	}
	if(copy("?", K_NAME, &v[K_NAME], g->name, sizeof(g->name), "_-") < 0)
		return -1;
	for(k = 0; k < n_gws; k++)
		if(!strcmp(gws[k].name, g->name)) {
			LM_ERR("modparam gateway %s: a second gateway of that name\n", g->name);
			return -1;
		}
	for(t = 0; v[K_TYPE].s && t < (int)(sizeof(types) / sizeof(types[0])); t++)
		if(v[K_TYPE].len == (int)strlen(types[t].name)
				&& !memcmp(v[K_TYPE].s, types[t].name, v[K_TYPE].len))
			break;
	if(v[K_TYPE].s == NULL || t == (int)(sizeof(types) / sizeof(types[0]))) {
		LM_ERR("modparam gateway %s: type must be sip, kannel or twilio\n", g->name);
		return -1;
	}
	g->type = (sms_gw_type_t)t;
	for(k = 0; k < K_N; k++) {
		unsigned bit = 1u << k;
		if(v[k].s && !(bit & (COMMON | types[t].takes))) {
			LM_ERR("modparam gateway %s: %s is no key of a %s gateway\n", g->name, keys[k],
					types[t].name);
			return -1;
		}
		if((bit & types[t].needs) && (v[k].s == NULL || v[k].len == 0)) {
			LM_ERR("modparam gateway %s: a %s gateway needs %s\n", g->name, types[t].name,
					keys[k]);
			return -1;
		}
	}
	if(copy(g->name, K_TENANT, &v[K_TENANT], g->tenant, sizeof(g->tenant), "_-") < 0
			|| copy(g->name, K_QUEUE, &v[K_QUEUE], g->queue, sizeof(g->queue), "_-.") < 0
			|| copy(g->name, K_SKILLS, &v[K_SKILLS], g->skills, sizeof(g->skills), "_-,:") < 0
			|| number(g->name, K_PRIORITY, &v[K_PRIORITY], 0, 1000, 0, &g->priority) < 0
			|| copy(g->name, K_FROM, &v[K_FROM], g->from, sizeof(g->from), "+") < 0
			|| copy(g->name, K_COUNTRY, &v[K_COUNTRY], g->country, sizeof(g->country), NULL) < 0
			|| number(g->name, K_RATE, &v[K_RATE], 1, 1000, 10, &g->rate) < 0
			|| copy(g->name, K_URI, &v[K_URI], g->uri, sizeof(g->uri), NULL) < 0
			|| copy(g->name, K_SECRET, &v[K_SECRET], g->secret, sizeof(g->secret), NULL) < 0
			|| url(g->name, K_SENDSMS, &v[K_SENDSMS], g->sendsms) < 0
			|| copy(g->name, K_USERNAME, &v[K_USERNAME], g->username, sizeof(g->username),
					   NULL) < 0
			|| copy(g->name, K_PASSWORD, &v[K_PASSWORD], g->password, sizeof(g->password),
					   NULL) < 0
			|| copy(g->name, K_SMSC, &v[K_SMSC], g->smsc, sizeof(g->smsc), "_-.") < 0
			|| url(g->name, K_API, &v[K_API], g->api) < 0
			|| copy(g->name, K_ACCOUNT, &v[K_ACCOUNT], g->account, sizeof(g->account), "_") < 0
			|| copy(g->name, K_TOKEN, &v[K_TOKEN], g->token, sizeof(g->token), NULL) < 0
			|| url(g->name, K_PUBLIC, &v[K_PUBLIC], g->public) < 0
			|| number(g->name, K_INTERMEDIATE, &v[K_INTERMEDIATE], 0, 1, 0, &g->intermediate)
					   < 0)
		return -1;
	if(g->country[0] && (strspn(g->country, "0123456789") != strlen(g->country)
								|| strlen(g->country) > 3 || g->country[0] == '0')) {
		LM_ERR("modparam gateway %s: country must be a country calling code (1..3 digits, "
			   "e.g. 86)\n",
				g->name);
		return -1;
	}
	if(g->type == SMS_GW_SIP && strncmp(g->uri, "sip:", 4) && strncmp(g->uri, "sips:", 5)) {
		LM_ERR("modparam gateway %s: uri '%s' is no sip: URI\n", g->name, g->uri);
		return -1;
	}
	if(g->type == SMS_GW_TWILIO && g->api[0] == '\0')
		strcpy(g->api, "https://api.twilio.com");
	if(g->type != SMS_GW_SIP && strlen(g->secret) + strlen(g->token) < 8) {
		LM_ERR("modparam gateway %s: its %s must be at least 8 characters\n", g->name,
				g->type == SMS_GW_KANNEL ? "secret" : "token");
		return -1;
	}
	n_gws++;
	return 0;
}

int sms_gw_count(void)
{
	return n_gws;
}

sms_gw_t *sms_gw_at(int i)
{
	return i >= 0 && i < n_gws ? &gws[i] : NULL;
}

sms_gw_t *sms_gw_find(const str *name)
{
	int i;

	for(i = 0; i < n_gws; i++)
		if(name->len == (int)strlen(gws[i].name) && !memcmp(name->s, gws[i].name, name->len))
			return &gws[i];
	return NULL;
}
