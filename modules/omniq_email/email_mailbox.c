/*
 * email_mailbox.c - see email_mailbox.h.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "omniq/omniq_kvparam.h"

#include "email_mailbox.h"

enum { K_NAME = 0, K_ADDRESS, K_TENANT, K_QUEUE, K_SKILLS, K_PRIORITY, K_N };
static const char *const keys[K_N] = {"name", "address", "tenant", "queue", "skills", "priority"};

static email_mailbox_t boxes[EMAIL_MAILBOXES_MAX];
static int n_boxes;

static void lower(char *s)
{
	for(; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

int email_mailbox_add(const char *val)
{
	char addr[EMAIL_ADDR_MAX + 1], *at;
	str v[K_N];
	email_mailbox_t *b;
	int i;

	if(n_boxes == EMAIL_MAILBOXES_MAX) {
		LM_ERR("modparam mailbox: more than %d mailboxes\n", EMAIL_MAILBOXES_MAX);
		return -1;
	}
	if(omniq_kv_parse("mailbox", val, keys, v, K_N) < 0)
		return -1;
	b = &boxes[n_boxes];
	memset(b, 0, sizeof(*b));
	if(v[K_NAME].s == NULL || v[K_NAME].len == 0) {
		LM_ERR("modparam mailbox '%s': name is missing\n", val);
		return -1;
	}
	if(omniq_kv_copy("mailbox", "?", "name", &v[K_NAME], b->name, sizeof(b->name), "_-") < 0
			|| omniq_kv_copy("mailbox", b->name, "address", &v[K_ADDRESS], addr, sizeof(addr),
					   "._-+@") < 0
			|| omniq_kv_copy("mailbox", b->name, "tenant", &v[K_TENANT], b->tenant,
					   sizeof(b->tenant), "_-") < 0
			|| omniq_kv_copy("mailbox", b->name, "queue", &v[K_QUEUE], b->queue,
					   sizeof(b->queue), "_-.") < 0
			|| omniq_kv_copy("mailbox", b->name, "skills", &v[K_SKILLS], b->skills,
					   sizeof(b->skills), "_-,:") < 0
			|| omniq_kv_int("mailbox", b->name, "priority", &v[K_PRIORITY], 0, 1000, 0,
					   &b->priority) < 0)
		return -1;
	at = strchr(addr, '@');
	if(at == NULL || at == addr || strchr(at + 1, '@') || strchr(addr, '+') || at[1] == '\0'
			|| (size_t)(at - addr) >= sizeof(b->local) || strlen(at + 1) >= sizeof(b->domain)) {
		LM_ERR("modparam mailbox %s: address '%s' must be local@domain (no '+': the plus part "
			   "is the reply address' own)\n",
				b->name, addr);
		return -1;
	}
	memcpy(b->local, addr, (size_t)(at - addr));
	strcpy(b->domain, at + 1);
	lower(b->local);
	lower(b->domain);
	for(i = 0; i < n_boxes; i++)
		if(!strcmp(boxes[i].name, b->name)
				|| (!strcmp(boxes[i].local, b->local) && !strcmp(boxes[i].domain, b->domain))) {
			LM_ERR("modparam mailbox %s: its name or address is another mailbox's (%s)\n",
					b->name, boxes[i].name);
			return -1;
		}
	n_boxes++;
	return 0;
}

int email_mailbox_count(void)
{
	return n_boxes;
}

const email_mailbox_t *email_mailbox_at(int i)
{
	return i >= 0 && i < n_boxes ? &boxes[i] : NULL;
}

const email_mailbox_t *email_mailbox_for(const char *rcpt, char *plus, size_t size)
{
	const char *at = strrchr(rcpt, '@'), *p;
	size_t local;
	int i;

	plus[0] = '\0';
	if(at == NULL)
		return NULL;
	p = memchr(rcpt, '+', (size_t)(at - rcpt));
	local = (size_t)((p ? p : at) - rcpt);
	for(i = 0; i < n_boxes; i++) {
		if(strlen(boxes[i].local) != local || strncasecmp(rcpt, boxes[i].local, local)
				|| strcasecmp(at + 1, boxes[i].domain))
			continue;
		if(p)
			snprintf(plus, size, "%.*s", (int)(at - p - 1), p + 1);
		return &boxes[i];
	}
	return NULL;
}
