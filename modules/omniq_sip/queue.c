/*
 * queue.c - parsing and lookup of the phone queues (see queue.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ctype.h>
#include <stdarg.h>

#include "queue.h"

static os_queue_t queues[OS_QUEUES_MAX];
static int n_queues = 0;

static int bad(char *why, int why_len, const char *fmt, ...)
		__attribute__((format(printf, 3, 4)));

static int bad(char *why, int why_len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, why_len, fmt, ap);
	va_end(ap);
	return -1;
}

static char *trim(char *s)
{
	char *e;
	while(isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while(e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int name_ok(const char *s)
{
	size_t n = strlen(s), i;
	if(n == 0 || n > OS_QUEUE_NAME_MAX)
		return 0;
	for(i = 0; i < n; i++)
		if(!isalnum((unsigned char)s[i]) && !strchr("_-.", s[i]))
			return 0;
	return 1;
}

static int int_in(const char *s, int lo, int hi, int *out)
{
	char *end;
	long v = strtol(s, &end, 10);
	if(*s == '\0' || *end != '\0' || v < lo || v > hi)
		return -1;
	*out = (int)v;
	return 0;
}

/* key (overflow, closed): queue:<name>, uri:<sip uri> or reply:<code> <reason> into a */
static int parse_action(const os_queue_t *q, const char *key, os_action_t *a, const char *v,
		char *why, int why_len)
{
	const char *sp;
	if(!strncmp(v, "queue:", 6)) {
		if(!name_ok(v + 6))
			return bad(why, why_len, "queue '%s': %s queue name '%s' is not valid", q->name,
					key, v + 6);
		a->kind = OS_OVF_QUEUE;
		snprintf(a->target, sizeof(a->target), "%s", v + 6);
	} else if(!strncmp(v, "uri:", 4)) {
		if(strncmp(v + 4, "sip:", 4) && strncmp(v + 4, "sips:", 5))
			return bad(why, why_len, "queue '%s': %s uri '%s' is not a sip: URI", q->name, key,
					v + 4);
		if(strlen(v + 4) >= sizeof(a->target))
			return bad(why, why_len, "queue '%s': %s uri too long", q->name, key);
		a->kind = OS_OVF_URI;
		snprintf(a->target, sizeof(a->target), "%s", v + 4);
	} else if(!strncmp(v, "reply:", 6)) {
		char code[8];
		sp = strchr(v + 6, ' ');
		if(sp == NULL || sp - (v + 6) != 3)
			return bad(why, why_len, "queue '%s': %s '%s' must be reply:<code> <reason>",
					q->name, key, v);
		memcpy(code, v + 6, 3);
		code[3] = '\0';
		if(int_in(code, 300, 699, &a->code) < 0)
			return bad(why, why_len, "queue '%s': %s reply code '%s' is not 300..699", q->name,
					key, code);
		if(strlen(trim((char *)sp + 1)) == 0 || strlen(sp + 1) >= sizeof(a->text))
			return bad(why, why_len, "queue '%s': %s reason '%s' empty or too long", q->name,
					key, sp + 1);
		a->kind = OS_OVF_REPLY;
		snprintf(a->text, sizeof(a->text), "%s", sp + 1);
	} else {
		return bad(why, why_len,
				"queue '%s': %s '%s' is not queue:<name>, uri:<sip uri> or reply:<code> "
				"<reason>",
				q->name, key, v);
	}
	return 0;
}

int os_queue_add(const char *def, char *why, int why_len)
{
	char buf[1024], *tok, *save = NULL, *k, *v, *eq;
	os_queue_t q;
	int first = 1;

	if(n_queues == OS_QUEUES_MAX)
		return bad(why, why_len, "more than %s queues%s", "64", "");
	if(strlen(def) >= sizeof(buf))
		return bad(why, why_len, "queue definition longer than %s bytes%s", "1023", "");
	memset(&q, 0, sizeof(q));
	q.ovf.kind = q.closed.kind = OS_OVF_REPLY;
	q.ovf.code = q.closed.code = 480;
	snprintf(q.ovf.text, sizeof(q.ovf.text), "No Agent Available");
	snprintf(q.closed.text, sizeof(q.closed.text), "Closed");
	strcpy(buf, def);
	for(tok = strtok_r(buf, ";", &save); tok; tok = strtok_r(NULL, ";", &save), first = 0) {
		tok = trim(tok);
		if(first) {
			if(!name_ok(tok))
				return bad(why, why_len,
						"queue name '%s' must be 1-%d of [A-Za-z0-9_.-]", tok, OS_QUEUE_NAME_MAX);
			snprintf(q.name, sizeof(q.name), "%s", tok);
			continue;
		}
		if(*tok == '\0')
			continue;
		eq = strchr(tok, '=');
		if(eq == NULL)
			return bad(why, why_len, "queue '%s': '%s' is not key=value", q.name, tok);
		*eq = '\0';
		k = trim(tok);
		v = trim(eq + 1);
		if(!strcmp(k, "skills")) {
			if(strlen(v) >= sizeof(q.skills))
				return bad(why, why_len, "queue '%s': skills too long%s", q.name, "");
			snprintf(q.skills, sizeof(q.skills), "%s", v);
		} else if(!strcmp(k, "priority")) {
			if(int_in(v, 0, OMNIQ_PRIORITY_MAX, &q.priority) < 0)
				return bad(why, why_len, "queue '%s': priority '%s' is not 0..%d", q.name, v,
						OMNIQ_PRIORITY_MAX);
		} else if(!strcmp(k, "max_wait")) {
			if(int_in(v, 0, 86400, &q.max_wait_s) < 0)
				return bad(why, why_len, "queue '%s': max_wait '%s' is not 0..86400 seconds",
						q.name, v);
		} else if(!strcmp(k, "overflow") || !strcmp(k, "closed")) {
			if(parse_action(&q, k, k[0] == 'o' ? &q.ovf : &q.closed, v, why, why_len) < 0)
				return -1;
		} else {
			return bad(why, why_len,
					"queue '%s': unknown key '%s' (skills, priority, max_wait, overflow, "
					"closed)",
					q.name, k);
		}
	}
	if(q.name[0] == '\0')
		return bad(why, why_len, "queue definition '%s' has no name%s", def, "");
	if(os_queue_find(q.name, strlen(q.name)))
		return bad(why, why_len, "queue '%s' defined twice%s", q.name, "");
	queues[n_queues++] = q;
	return 0;
}

static int check_action(const os_queue_t *q, const char *key, const os_action_t *a, char *why,
		int why_len)
{
	if(a->kind != OS_OVF_QUEUE)
		return 0;
	if(!os_queue_find(a->target, strlen(a->target)))
		return bad(why, why_len, "queue '%s' %s to undefined queue '%s'", q->name,
				key, a->target);
	if(!strcmp(a->target, q->name))
		return bad(why, why_len, "queue '%s' %s to itself", q->name, key);
	return 0;
}

int os_queue_check(char *why, int why_len)
{
	int i;
	for(i = 0; i < n_queues; i++)
		if(check_action(&queues[i], "overflows", &queues[i].ovf, why, why_len) < 0
				|| check_action(&queues[i], "goes when closed", &queues[i].closed, why,
						   why_len)
						   < 0)
			return -1;
	return 0;
}

const os_queue_t *os_queue_find(const char *name, int len)
{
	int i;
	for(i = 0; i < n_queues; i++)
		if((int)strlen(queues[i].name) == len && !memcmp(queues[i].name, name, len))
			return &queues[i];
	return NULL;
}

int os_queue_index(const os_queue_t *q)
{
	return (int)(q - queues);
}

const os_queue_t *os_queue_at(int i)
{
	return (i >= 0 && i < n_queues) ? &queues[i] : NULL;
}
