/*
 * omniq_kvparam.h - the "key=value;key=value" modparams of every omniq module (omniq_ws's
 * channel and tenant_chat, omniq_wechat's account, a channel module of yours), parsed one
 * way: Kamailio's own parameter syntax, so a value holding ';', ',' or blanks is quoted, and
 * an unknown or repeated key stops kamailio at start with a line naming it. From mod_init
 * (the parse allocates in pkg memory and frees before it returns).
 */
#ifndef OMNIQ_KVPARAM_H
#define OMNIQ_KVPARAM_H

#include <string.h>
#include <stdio.h>

#include "core/str.h"
#include "core/dprint.h"
#include "core/parser/parse_param.h"

/* val into vals[0..n-1], the value of keys[i] in vals[i] (s NULL when absent; pointing
 * into val). A trailing ';' is tolerated. 0, or -1 logged as "modparam <what>: ..." for a
 * parse error, an unknown key or a repeated one. */
static inline int omniq_kv_parse(const char *what, const char *val, const char *const *keys, str *vals, int n)
{
	str s;
	param_hooks_t hooks;
	param_t *list = NULL, *p;
	int i;

	s.s = (char *)val;
	s.len = (int)strlen(val);
	for(i = 0; i < n; i++)
		vals[i].s = NULL, vals[i].len = 0;
	/* parse_params stops at the end of s; a trailing ';' is tolerated */
	if(s.len && s.s[s.len - 1] == ';')
		s.len--;
	if(parse_params(&s, CLASS_ANY, &hooks, &list) < 0 || s.len != 0) {
		LM_ERR("modparam %s: cannot parse '%s' (key=value;key=value)\n", what, val);
		free_params(list);
		return -1;
	}
	for(p = list; p; p = p->next) {
		for(i = 0; i < n; i++)
			if(p->name.len == (int)strlen(keys[i]) && !strncmp(p->name.s, keys[i], p->name.len))
				break;
		if(i == n || vals[i].s != NULL) {
			char known[256];
			size_t k = 0;
			int unknown = i == n;
			for(i = 0; i < n && k < sizeof(known); i++)
				k += (size_t)snprintf(known + k, sizeof(known) - k, "%s%s", i ? ", " : "", keys[i]);
			LM_ERR("modparam %s: %s '%.*s' (the keys are %s)\n", what,
					unknown ? "unknown key" : "repeated key", p->name.len, p->name.s, known);
			free_params(list);
			return -1;
		}
		/* "key" without a value is an empty value, not an absent one */
		vals[i] = p->body;
		if(vals[i].s == NULL)
			vals[i].s = p->name.s + p->name.len;
	}
	free_params(list);
	return 0;
}

/* An http:// or https:// URL of 1..max bytes without blanks or control bytes. */
static inline int omniq_valid_url(const str *s, int max)
{
	int i;
	if(s->len > max
			|| !((s->len > 7 && !strncmp(s->s, "http://", 7))
					|| (s->len > 8 && !strncmp(s->s, "https://", 8))))
		return 0;
	for(i = 0; i < s->len; i++)
		if((unsigned char)s->s[i] <= ' ' || (unsigned char)s->s[i] >= 0x7f)
			return 0;
	return 1;
}

#endif
