/*
 * wechat_account.c - see wechat_account.h.
 *
 *   modparam("omniq_wechat", "account",
 *       "name=acme;type=oa;appid=wx...;secret=...;token=...;aeskey=...;mode=safe;
 *        tenant=acme;queue=wechat;skills=zh;priority=0;template=...")
 *   modparam("omniq_wechat", "account",
 *       "name=corp;type=wecom;appid=<CorpID>;secret=<customer-service Secret>;token=...;
 *        aeskey=...;agentid=1000002;agent_secret=<that application's Secret>")
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/dprint.h"

#include "omniq/omniq_kvparam.h"
#include "omniq/omniq_api.h"

#include "wechat_account.h"

const str wx_channel = {"wechat", 6};

static wx_conf_t accounts[WX_ACCOUNTS_MAX];
static int n_accounts;

enum { K_NAME, K_TYPE, K_APPID, K_SECRET, K_TOKEN, K_AESKEY, K_MODE, K_TENANT, K_QUEUE,
	K_SKILLS, K_PRIORITY, K_TEMPLATE, K_TEMPLATE_FIELD, K_AGENTID, K_AGENT_SECRET, K_REPLAY,
	K_N };
static const char *const keys[K_N] = {"name", "type", "appid", "secret", "token", "aeskey",
		"mode", "tenant", "queue", "skills", "priority", "template", "template_field", "agentid",
		"agent_secret",
		"replay"};

static int is(const str *v, const char *w)
{
	return v->s && v->len == (int)strlen(w) && !memcmp(v->s, w, v->len);
}

/* v into dst (size bytes with the NUL) when it is 0..size-1 bytes of chars (NULL: any
 * printable ASCII but blanks); else -1 logged */
static int copy(const char *acct, const char *key, const str *v, char *dst, size_t size,
		const char *chars, int required)
{
	if(v->s == NULL || v->len == 0) {
		if(required) {
			LM_ERR("modparam account %s: %s is missing\n", acct, key);
			return -1;
		}
		dst[0] = '\0';
		return 0;
	}
	return omniq_kv_copy("account", acct, key, v, dst, size, chars);
}

static int number(const char *acct, const char *key, const str *v, int lo, int hi, int def,
		int *out)
{
	char buf[16], *end;
	long n;

	if(v->s == NULL || v->len == 0) {
		*out = def;
		return 0;
	}
	if(v->len >= (int)sizeof(buf))
		goto bad;
	memcpy(buf, v->s, v->len);
	buf[v->len] = '\0';
	n = strtol(buf, &end, 10);
	if(*end != '\0' || n < lo || n > hi)
		goto bad;
	*out = (int)n;
	return 0;
bad:
	LM_ERR("modparam account %s: %s '%.*s' is not a number in %d..%d\n", acct, key, v->len,
			v->s, lo, hi);
	return -1;
}

int wx_account_add(const char *val)
{
	str v[K_N];
	wx_conf_t *a;
	char why[WX_WHY_MAX];
	const char *name;
	int i;

	if(omniq_kv_parse("account", val, keys, v, K_N) < 0)
		return -1;
	if(n_accounts == WX_ACCOUNTS_MAX) {
		LM_ERR("modparam account: more than %d accounts\n", WX_ACCOUNTS_MAX);
		return -1;
	}
	a = &accounts[n_accounts];
	memset(a, 0, sizeof(*a));
	if(copy("", "name", &v[K_NAME], a->name, sizeof(a->name), "_-", 1) < 0)
		return -1;
	name = a->name;
	for(i = 0; i < n_accounts; i++)
		if(!strcmp(accounts[i].name, name)) {
			LM_ERR("modparam account %s: a second account of that name\n", name);
			return -1;
		}
	if(v[K_TYPE].s && !is(&v[K_TYPE], "oa") && !is(&v[K_TYPE], "wecom")) {
		LM_ERR("modparam account %s: type must be oa (Official Account) or wecom\n", name);
		return -1;
	}
	a->cb.wecom = is(&v[K_TYPE], "wecom");
	if(copy(name, "appid", &v[K_APPID], a->appid, sizeof(a->appid), "_-", 1) < 0
			|| copy(name, "secret", &v[K_SECRET], a->secret, sizeof(a->secret), "_-", 1) < 0
			|| copy(name, "token", &v[K_TOKEN], a->token, sizeof(a->token), NULL, 1) < 0
			|| copy(name, "tenant", &v[K_TENANT], a->tenant, sizeof(a->tenant), "_.@+-", 0) < 0
			|| copy(name, "queue", &v[K_QUEUE], a->queue, sizeof(a->queue), "_.@+-", 0) < 0
			|| copy(name, "skills", &v[K_SKILLS], a->skills, sizeof(a->skills), "_.@+-,", 0)
					   < 0
			|| copy(name, "template", &v[K_TEMPLATE], a->template_id, sizeof(a->template_id),
					   "_-", 0) < 0
			|| copy(name, "template_field", &v[K_TEMPLATE_FIELD], a->template_field,
					   sizeof(a->template_field), "_", 0) < 0
			|| copy(name, "agent_secret", &v[K_AGENT_SECRET], a->agent_secret,
					   sizeof(a->agent_secret), "_-", 0) < 0
			|| number(name, "priority", &v[K_PRIORITY], 0, 1000, 0, &a->priority) < 0
			|| number(name, "agentid", &v[K_AGENTID], 0, 2147483647, 0, &a->agentid) < 0
			|| number(name, "replay", &v[K_REPLAY], 10, 86400, 300, &a->cb.replay_s) < 0)
		return -1;
	for(i = 0; i < n_accounts; i++)
		if(!strcmp(accounts[i].appid, a->appid)) {
			LM_ERR("modparam account %s: appid %s is account %s's too\n", name, a->appid,
					accounts[i].name);
			return -1;
		}
	if(v[K_AESKEY].s && v[K_AESKEY].len) {
		char key[WX_AESKEY_CHARS + 1];
		if(v[K_AESKEY].len != WX_AESKEY_CHARS) {
			LM_ERR("modparam account %s: aeskey must be the 43 characters of the "
				   "EncodingAESKey, not %d\n",
					name, v[K_AESKEY].len);
			return -1;
		}
		memcpy(key, v[K_AESKEY].s, WX_AESKEY_CHARS);
		key[WX_AESKEY_CHARS] = '\0';
		if(wx_aes_key(key, a->cb.key, why) < 0) {
			LM_ERR("modparam account %s: aeskey: %s\n", name, why);
			return -1;
		}
		a->cb.has_key = 1;
	}
	/* mode: which callbacks are taken, as set on WeChat's server configuration page */
	if(v[K_MODE].s == NULL || is(&v[K_MODE], "compat") || is(&v[K_MODE], "plain")) {
		if(v[K_MODE].s && is(&v[K_MODE], "compat") && !a->cb.has_key) {
			LM_ERR("modparam account %s: mode compat needs the aeskey\n", name);
			return -1;
		}
	} else if(is(&v[K_MODE], "safe")) {
		a->cb.safe_only = 1;
	} else {
		LM_ERR("modparam account %s: mode must be plain, compat or safe\n", name);
		return -1;
	}
	if((a->cb.safe_only || a->cb.wecom) && !a->cb.has_key) {
		LM_ERR("modparam account %s: %s needs the aeskey (EncodingAESKey)\n", name,
				a->cb.wecom ? "a WeCom account" : "mode safe");
		return -1;
	}
	if(a->cb.wecom && v[K_MODE].s && !is(&v[K_MODE], "safe")) {
		LM_ERR("modparam account %s: WeCom callbacks are always encrypted: no mode\n", name);
		return -1;
	}
	if(a->agentid && !a->agent_secret[0]) {
		LM_ERR("modparam account %s: agentid needs agent_secret (that application's Secret: "
			   "the customer-service Secret gets no token for it)\n",
				name);
		return -1;
	}
	if((a->agentid || a->agent_secret[0]) && !a->cb.wecom) {
		LM_ERR("modparam account %s: agentid and agent_secret are WeCom's; an Official "
			   "Account sends staff alerts with template\n",
				name);
		return -1;
	}
	if(!a->template_field[0])
		strcpy(a->template_field, "content");
	a->cb.token = a->token;
	a->cb.receive_id = a->appid;
	n_accounts++;
	return 0;
}

int wx_account_count(void)
{
	return n_accounts;
}

wx_conf_t *wx_account_at(int i)
{
	return i >= 0 && i < n_accounts ? &accounts[i] : NULL;
}

wx_conf_t *wx_account_by_appid(const str *appid)
{
	int i;

	for(i = 0; i < n_accounts; i++)
		if(appid->len == (int)strlen(accounts[i].appid)
				&& !memcmp(appid->s, accounts[i].appid, appid->len))
			return &accounts[i];
	return NULL;
}
