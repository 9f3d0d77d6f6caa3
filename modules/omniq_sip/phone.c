/*
 * phone.c - whether an agent has a phone registered anywhere, told to the core
 * (api.agent_phone): a call is never offered to an agent whose phone cannot ring, and she
 * is not set away for it.
 *
 * Two sources: a call whose lookup finds no contact for the agent (call.c: the agent then
 * has none, and the call goes on to the next agent, see os_phone_none), and usrloc's
 * callback for a new contact (a REGISTER, or one that DMQ replicated from another node:
 * every node then says it, which changes nothing the second time), which brings calls back
 * and makes the agent take the waiting calls she has room for. A contact's AOR is the
 * agent's when it matches `agent_aor` (its user part; usrloc keeps the domain only with
 * use_domain).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/dprint.h"
#include "core/dset.h"
#include "modules/usrloc/usrloc.h"

#include "os.h"
#include "phone.h"

/* agent_aor's user part around %s: "sip:agent-%s@host" -> "agent-" and "" */
static char pre[64], post[64];
static int pre_len, post_len;
static usrloc_api_t ul;
static udomain_t *udom = NULL;

/* the agent id of a usrloc AOR ("user" or "user@domain"), in out: its length, or -1 when
 * the AOR is none of agent_aor's */
static int aid_of(const str *aor, char *out, int size)
{
	const char *at = memchr(aor->s, '@', aor->len);
	int ul = at ? (int)(at - aor->s) : aor->len, n;

	n = ul - pre_len - post_len;
	if(n < 1 || n >= size || memcmp(aor->s, pre, pre_len) != 0
			|| memcmp(aor->s + ul - post_len, post, post_len) != 0)
		return -1;
	memcpy(out, aor->s + pre_len, n);
	out[n] = '\0';
	return n;
}

/* usrloc: a new contact (its lock held: one round trip, as in the REGISTER's worker) */
static void contact_added(ucontact_t *c, int type, void *param)
{
	char aid[OMNIQ_ID_MAX + 1];
	str a;
	int rc;

	(void)type;
	(void)param;
	if(c == NULL || c->aor == NULL || (a.len = aid_of(c->aor, aid, sizeof(aid))) < 0)
		return;
	a.s = aid;
	rc = os_oq.agent_phone(&a, 1);
	if(rc < 0 && rc != OMNIQ_ENOTFOUND && rc != OMNIQ_EARG)
		LM_NOTICE("agent %s registered a phone; could not tell omniq: %s\n", aid,
				os_oq.last_error());
}

int os_phone_init(usrloc_api_t *api)
{
	const char *u = os_cfg.agent_aor + (strncmp(os_cfg.agent_aor, "sips:", 5) ? 4 : 5);
	const char *pct = strstr(u, "%s"), *at = strchr(u, '@');
	int end = at ? (int)(at - u) : (int)strlen(u);

	if(pct == NULL || (at && pct > at) || pct - u >= (int)sizeof(pre)
			|| end - (int)(pct - u) - 2 >= (int)sizeof(post)) {
		LM_ERR("modparam agent_aor '%s': the agent id (%%s) must be in the user part\n",
				os_cfg.agent_aor);
		return -1;
	}
	pre_len = (int)(pct - u);
	memcpy(pre, u, pre_len);
	post_len = end - pre_len - 2;
	memcpy(post, pct + 2, post_len);
	if(api->register_ulcb(UL_CONTACT_INSERT, contact_added, NULL) < 0) {
		LM_ERR("cannot register the usrloc callback for agents' phones\n");
		return -1;
	}
	ul = *api;
	if(ul.get_udomain(os_cfg.location.s, &udom) < 0) {
		LM_ERR("usrloc table '%.*s' not found\n", os_cfg.location.len, os_cfg.location.s);
		return -1;
	}
	return 0;
}

int os_phone_lookup(sip_msg_t *msg, const char *agent)
{
	char aor[256];
	str s;

	s.len = snprintf(aor, sizeof(aor), os_cfg.agent_aor, agent);
	if(s.len <= 0 || s.len >= (int)sizeof(aor)) {
		LM_ERR("agent '%s': AOR from agent_aor too long\n", agent);
		return -9;
	}
	s.s = aor;
	clear_branches();
	return os_regb.lookup_uri(msg, &os_cfg.location, &s);
}

int os_phone_each(const char *agent, int (*cb)(ucontact_t *c, void *arg), void *arg)
{
	char aor[256], *k;
	str key;
	urecord_t *r = NULL;
	ucontact_t *c;
	time_t now = time(NULL);
	int n, rc = 0;

	n = snprintf(aor, sizeof(aor), os_cfg.agent_aor, agent);
	if(n <= 0 || n >= (int)sizeof(aor))
		return -1;
	k = aor + (strncmp(aor, "sips:", 5) ? 4 : 5);
	key.s = k;
	key.len = (int)strlen(k);
	if(!ul.use_domain) {
		char *at = memchr(k, '@', key.len);
		if(at)
			key.len = (int)(at - k);
	}
	ul.lock_udomain(udom, &key);
	if(ul.get_urecord(udom, &key, &r) == 0 && r) {
		for(c = r->contacts; c && rc == 0; c = c->next)
			if(VALID_CONTACT(c, now))
				rc = cb(c, arg);
		ul.release_urecord(r);
	}
	ul.unlock_udomain(udom, &key);
	return rc;
}

int os_agent_not_taken(const char *sid, const char *agent, int nophone)
{
	str s = {(char *)sid, (int)strlen(sid)}, a = {(char *)agent, (int)strlen(agent)};
	int rc;

	os_stat_inc(OS_ST_AGENT_FAILED);
	if(!nophone)
		return os_oq.miss(&s, &a, 1);
	if((rc = os_phone_none(agent)) == 0)
		rc = os_oq.decline(&s, &a);
	return rc;
}

int os_phone_none(const char *agent)
{
	str a;
	int rc;

	a.s = (char *)agent;
	a.len = strlen(agent);
	rc = os_oq.agent_phone(&a, 0);
	return rc < 0 && rc != OMNIQ_ENOTFOUND ? rc : 0;
}
