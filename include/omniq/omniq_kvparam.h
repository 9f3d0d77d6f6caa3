/*
 * omniq_kvparam.h - the "key=value;key=value" modparams of every omniq module (omniq_ws's
 * channel and tenant_chat, omniq_wechat's account, a channel module of yours), parsed one
 * way: Kamailio's own parameter syntax, so a value holding ';', ',' or blanks is quoted, and
 * an unknown or repeated key stops kamailio at start with a line naming it. From mod_init
 * (the parse allocates in pkg memory and frees before it returns).
 */
#ifndef OMNIQ_KVPARAM_H
#define OMNIQ_KVPARAM_H

#include <stdlib.h>
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

/* One value of a "key=value" modparam (what, e.g. "gateway"; name, the entry's own name;
 * key) into dst (size with its NUL): "" when absent. chars NULL takes any printable ASCII
 * but a blank, else letters, digits and the bytes in chars. 0, or -1 logged. */
static inline int omniq_kv_copy(const char *what, const char *name, const char *key,
		const str *v, char *dst, size_t size, const char *chars)
{
	int i;

	dst[0] = '\0';
	if(v->s == NULL)
		return 0;
	if((size_t)v->len >= size) {
		LM_ERR("modparam %s %s: %s is longer than %zu bytes\n", what, name, key, size - 1);
		return -1;
	}
	for(i = 0; i < v->len; i++) {
		unsigned char c = (unsigned char)v->s[i];
		int ok = chars ? ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
								 || (c >= '0' && c <= '9') || (c && strchr(chars, c)))
					   : (c > ' ' && c < 0x7f);
		if(!ok) {
			LM_ERR("modparam %s %s: %s '%.*s' may only hold letters, digits%s%s\n", what, name,
					key, v->len, v->s, chars ? " and " : " and printable ASCII",
					chars ? chars : "");
			return -1;
		}
	}
	memcpy(dst, v->s, v->len);
	dst[v->len] = '\0';
	return 0;
}

/* A number lo..hi of a "key=value" modparam into *out; def when absent. 0, or -1 logged. */
static inline int omniq_kv_int(const char *what, const char *name, const char *key,
		const str *v, int lo, int hi, int def, int *out)
{
	char buf[16], *end;
	long n;

	*out = def;
	if(v->s == NULL)
		return 0;
	if(v->len < 1 || v->len >= (int)sizeof(buf))
		goto bad;
	memcpy(buf, v->s, v->len);
	buf[v->len] = '\0';
	n = strtol(buf, &end, 10);
	if(*end || n < lo || n > hi)
		goto bad;
	*out = (int)n;
	return 0;
bad:
	LM_ERR("modparam %s %s: %s must be a number %d..%d\n", what, name, key, lo, hi);
	return -1;
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
