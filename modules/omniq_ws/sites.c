/*
 * sites.c - see sites.h. The modparams are read before omniq's tenants are known, so they
 * are kept by tenant name and placed by index in ws_sites_init().
 */
#include <string.h>
#include <stdio.h>

#include "core/dprint.h"

#include "ws.h"
#include "omniq/omniq_kvparam.h"
#include "channels.h"
#include "sites.h"
#include "examples.h"

#define SECRET_MAX 128
#define SKILLS_MAX 1024
#define SITE_NAME_MAX 64

/* One tenant_chat or tenant_app modparam, as given. */
typedef struct site_param {
	char tenant[SITE_NAME_MAX + 1];
	char secret[SECRET_MAX + 1];
	char skills[SKILLS_MAX + 1], queue[SITE_NAME_MAX + 1], app_id[SITE_NAME_MAX + 1];
	char push_url[WS_URL_MAX + 1];
	int has_skills, has_queue, has_app_id, has_push;
} site_param_t;

static site_param_t chat_params[OMNIQ_TENANTS_MAX], app_params[OMNIQ_TENANTS_MAX];
static int n_chat_params, n_app_params;

static ws_chat_site_t chat_sites[OMNIQ_TENANTS_MAX];
static ws_app_site_t app_sites[OMNIQ_TENANTS_MAX];
static int has_chat[OMNIQ_TENANTS_MAX], has_app[OMNIQ_TENANTS_MAX];

/* Copy v (when given) into out[size]: 1 given, 0 absent, -1 too long (logged). */
static int take(const char *what, const char *tenant, const char *key, const str *v,
		char *out, size_t size)
{
	if(v->s == NULL)
		return 0;
	if((size_t)v->len >= size) {
		LM_ERR("modparam %s of tenant %s: %s longer than %d bytes\n", what, tenant, key,
				(int)size - 1);
		return -1;
	}
	memcpy(out, v->s, v->len);
	out[v->len] = '\0';
	return 1;
}

int ws_valid_app_id(const char *id)
{
	size_t n = strlen(id);
	return n >= 1 && n <= SITE_NAME_MAX && strspn(id, "abcdefghijklmnopqrstuvwxyz0123456789_-.") == n;
}

/* keys: tenant, secret, skills, queue[, app_id, push_url] */
static int site_param(const char *what, const char *val, site_param_t *tab, int *n, int app)
{
	static const char *const keys[] = {"tenant", "secret", "skills", "queue", "app_id",
			"push_url"};
	site_param_t *sp;
	str v[6];
	int i;

	if(*n == OMNIQ_TENANTS_MAX) {
		LM_ERR("modparam %s: more than %d tenants\n", what, OMNIQ_TENANTS_MAX);
		return -1;
	}
	if(omniq_kv_parse(what, val, keys, v, app ? 6 : 4) < 0)
		return -1;
	sp = &tab[*n];
	memset(sp, 0, sizeof(*sp));
	if(v[0].s == NULL || v[0].len < 1 || take(what, "?", "tenant", &v[0], sp->tenant,
														 sizeof(sp->tenant)) < 0) {
		LM_ERR("modparam %s: tenant=<name> is required (one of the omniq module's tenants)\n",
				what);
		return -1;
	}
	for(i = 0; i < *n; i++)
		if(!strcmp(tab[i].tenant, sp->tenant)) {
			LM_ERR("modparam %s: tenant %s is given twice\n", what, sp->tenant);
			return -1;
		}
	if(v[1].s == NULL || v[1].len < 16 || v[1].len > SECRET_MAX) {
		LM_ERR("modparam %s of tenant %s: secret of 16..%d bytes required\n", what,
				sp->tenant, SECRET_MAX);
		return -1;
	}
	take(what, sp->tenant, "secret", &v[1], sp->secret, sizeof(sp->secret));
	{
		char w[96];
		snprintf(w, sizeof(w), "%s %s", what, sp->tenant);
		ws_example_note(w, v[1].s, v[1].len);
	}
	if((sp->has_skills = take(what, sp->tenant, "skills", &v[2], sp->skills,
				sizeof(sp->skills))) < 0
			|| (sp->has_queue = take(what, sp->tenant, "queue", &v[3], sp->queue,
						sizeof(sp->queue))) < 0)
		return -1;
	if(app) {
		if((sp->has_app_id = take(what, sp->tenant, "app_id", &v[4], sp->app_id,
					sizeof(sp->app_id))) < 0
				|| (sp->has_app_id && !ws_valid_app_id(sp->app_id))) {
			LM_ERR("modparam %s of tenant %s: app_id must be 1..64 of [a-z0-9_.-]\n", what,
					sp->tenant);
			return -1;
		}
		if(v[5].s && !omniq_valid_url(&v[5], WS_URL_MAX)) {
			LM_ERR("modparam %s of tenant %s: push_url must be an http:// or https:// URL of "
				   "at most %d bytes without blanks\n", what, sp->tenant, WS_URL_MAX);
			return -1;
		}
		sp->has_push = take(what, sp->tenant, "push_url", &v[5], sp->push_url,
				sizeof(sp->push_url));
	}
	(*n)++;
	return 0;
}

int ws_tenant_chat_param(modparam_t type, void *val)
{
	return site_param("tenant_chat", (const char *)val, chat_params, &n_chat_params, 0);
}

int ws_tenant_app_param(modparam_t type, void *val)
{
	return site_param("tenant_app", (const char *)val, app_params, &n_app_params, 1);
}

/* The index of the tenant a modparam names; -1 (logged) when omniq does not serve it. */
static int tenant_of(const char *what, const char *name)
{
	str t = omniq_str(name);
	int i = ws_oq.tenant_use(&t);
	ws_oq.tenant_use_index(0);
	if(i < 0)
		LM_ERR("modparam %s: the omniq module serves no tenant '%s' (modparam tenant)\n", what,
				name);
	return i;
}

/* No two tenants share a secret: 0, or -1 (logged). */
static int distinct(const char *what, const char *const *secrets, const int *has)
{
	int i, j;
	str n1, n2;
	for(i = 0; i < OMNIQ_TENANTS_MAX; i++)
		for(j = i + 1; has[i] && j < OMNIQ_TENANTS_MAX; j++)
			if(has[j] && !strcmp(secrets[i], secrets[j])) {
				ws_oq.tenant_at(i, &n1, NULL);
				ws_oq.tenant_at(j, &n2, NULL);
				LM_ERR("%s: tenants %.*s and %.*s have the same secret: each company needs "
					   "its own, or the one's backend could sign the other's customers\n",
						what, n1.len, n1.s, n2.len, n2.s);
				return -1;
			}
	return 0;
}

/* The index of the tenant sp names, whose entry in has[] must be free (only the default
 * tenant's can be taken, by its plain modparam `plain`); -1 (logged) when not. */
static int place(const char *what, const site_param_t *sp, const int *has, const char *plain)
{
	int t = tenant_of(what, sp->tenant);
	if(t >= 0 && has[t]) {
		LM_ERR("modparam %s: tenant %s is the default one, set by modparam %s: set one of the "
			   "two\n", what, sp->tenant, plain);
		return -1;
	}
	return t;
}

int ws_sites_init(void)
{
	const char *secrets[OMNIQ_TENANTS_MAX];
	const site_param_t *sp;
	int i, t;

	if(ws_cfg.site_secret) {
		chat_sites[0] = (ws_chat_site_t){ws_cfg.site_secret, ws_cfg.chat_skills,
				ws_cfg.chat_queue};
		has_chat[0] = 1;
	}
	if(ws_cfg.app_secret) {
		app_sites[0] = (ws_app_site_t){ws_cfg.app_secret, ws_cfg.app_id, ws_cfg.app_skills,
				ws_cfg.app_queue, ws_cfg.push_url};
		has_app[0] = 1;
	}
	for(i = 0; i < n_chat_params; i++) {
		sp = &chat_params[i];
		if((t = place("tenant_chat", sp, has_chat, "site_secret")) < 0)
			return -1;
		chat_sites[t] = (ws_chat_site_t){sp->secret,
				sp->has_skills ? sp->skills : ws_cfg.chat_skills,
				sp->has_queue ? sp->queue : ws_cfg.chat_queue};
		has_chat[t] = 1;
	}
	for(i = 0; i < n_app_params; i++) {
		sp = &app_params[i];
		if((t = place("tenant_app", sp, has_app, "app_secret")) < 0)
			return -1;
		app_sites[t] = (ws_app_site_t){sp->secret, sp->has_app_id ? sp->app_id : ws_cfg.app_id,
				sp->has_skills ? sp->skills : ws_cfg.app_skills,
				sp->has_queue ? sp->queue : ws_cfg.app_queue,
				sp->has_push ? sp->push_url : NULL};
		has_app[t] = 1;
	}
	for(t = 0; t < OMNIQ_TENANTS_MAX; t++)
		secrets[t] = chat_sites[t].secret;
	if(distinct("web chat (site_secret, tenant_chat)", secrets, has_chat) < 0)
		return -1;
	for(t = 0; t < OMNIQ_TENANTS_MAX; t++)
		secrets[t] = app_sites[t].secret;
	return distinct("app channel (app_secret, tenant_app)", secrets, has_app);
}

const ws_chat_site_t *ws_chat_site(int t)
{
	return t >= 0 && t < OMNIQ_TENANTS_MAX && has_chat[t] ? &chat_sites[t] : NULL;
}

const ws_app_site_t *ws_app_site(int t)
{
	return t >= 0 && t < OMNIQ_TENANTS_MAX && has_app[t] ? &app_sites[t] : NULL;
}

static int any(const int *has)
{
	int t;
	for(t = 0; t < OMNIQ_TENANTS_MAX; t++)
		if(has[t])
			return 1;
	return 0;
}

int ws_chat_any(void)
{
	return any(has_chat);
}

int ws_app_any(void)
{
	return any(has_app);
}

int ws_push_any(void)
{
	int t;
	for(t = 0; t < OMNIQ_TENANTS_MAX; t++)
		if(has_app[t] && app_sites[t].push_url)
			return 1;
	return 0;
}

int ws_hello_tenant(json_t *name)
{
	str t;
	int i;

	if(name == NULL) {
		ws_oq.tenant_use_index(0);
		return 0;
	}
	if(!json_is_string(name))
		return -1;
	t.s = (char *)json_string_value(name);
	t.len = (int)json_string_length(name);
	i = ws_oq.tenant_use(&t);
	return i < 0 ? -1 : i;
}
