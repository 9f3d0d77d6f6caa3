/*
 * email_mailbox.c - see email_mailbox.h.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "omniq/omniq_kvparam.h"

#include "email_mailbox.h"
#include "email_sig.h"

enum {
	K_NAME = 0, K_ADDRESS, K_TENANT, K_QUEUE, K_SKILLS, K_PRIORITY, K_FROM_NAME, K_SMTP,
	K_SMTP_USER, K_SMTP_PASSWORD, K_SMTP_TLS, K_SMTP_VERIFY, K_ACK, K_IMAP, K_IMAP_USER,
	K_IMAP_PASSWORD, K_IMAP_BEARER, K_IMAP_TLS, K_IMAP_VERIFY, K_IMAP_MOVE, K_IMAP_SENT, K_N
};
static const char *const keys[K_N] = {"name", "address", "tenant", "queue", "skills",
		"priority", "from_name", "smtp", "smtp_user", "smtp_password", "smtp_tls",
		"smtp_verify", "ack", "imap", "imap_user", "imap_password", "imap_bearer", "imap_tls",
		"imap_verify", "imap_move", "imap_sent"};

static email_mailbox_t boxes[EMAIL_MAILBOXES_MAX];
static int n_boxes;

static void lower(char *s)
{
	for(; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

/* a value people read (a display name, a message): blanks and any UTF-8, no controls */
static int text(const char *box, const char *key, const str *v, char *dst, size_t size)
{
	int i;

	dst[0] = '\0';
	if(v->s == NULL)
		return 0;
	if((size_t)v->len >= size) {
		LM_ERR("modparam mailbox %s: %s is longer than %zu bytes\n", box, key, size - 1);
		return -1;
	}
	for(i = 0; i < v->len; i++)
		if((unsigned char)v->s[i] < ' ' || v->s[i] == 0x7f) {
			LM_ERR("modparam mailbox %s: %s holds a control character\n", box, key);
			return -1;
		}
	memcpy(dst, v->s, v->len);
	dst[v->len] = '\0';
	return 0;
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
					   &b->priority) < 0
			|| omniq_kv_copy("mailbox", b->name, "smtp", &v[K_SMTP], b->smtp, sizeof(b->smtp),
					   NULL) < 0
			|| omniq_kv_copy("mailbox", b->name, "smtp_user", &v[K_SMTP_USER], b->smtp_user,
					   sizeof(b->smtp_user), NULL) < 0
			|| omniq_kv_copy("mailbox", b->name, "smtp_password", &v[K_SMTP_PASSWORD],
					   b->smtp_password, sizeof(b->smtp_password), NULL) < 0
			|| omniq_kv_int("mailbox", b->name, "smtp_verify", &v[K_SMTP_VERIFY], 0, 1, 1,
					   &b->smtp_verify) < 0)
		return -1;
	if(text(b->name, "from_name", &v[K_FROM_NAME], b->from_name, sizeof(b->from_name)) < 0
			|| text(b->name, "ack", &v[K_ACK], b->ack, sizeof(b->ack)) < 0)
		return -1;
	if(b->smtp[0] && strncmp(b->smtp, "smtp://", 7) && strncmp(b->smtp, "smtps://", 8)) {
		LM_ERR("modparam mailbox %s: smtp '%s' must be smtp://host[:port] or "
			   "smtps://host[:port]\n",
				b->name, b->smtp);
		return -1;
	}
	b->smtp_starttls = !strncmp(b->smtp, "smtp://", 7);
	if(v[K_SMTP_TLS].s) {
		if(v[K_SMTP_TLS].len == 4 && !strncmp(v[K_SMTP_TLS].s, "none", 4))
			b->smtp_starttls = 0;
		else if(!(v[K_SMTP_TLS].len == 8 && !strncmp(v[K_SMTP_TLS].s, "starttls", 8))) {
			LM_ERR("modparam mailbox %s: smtp_tls must be starttls or none\n", b->name);
			return -1;
		}
	}
	if(omniq_kv_copy("mailbox", b->name, "imap", &v[K_IMAP], b->imap, sizeof(b->imap), NULL) < 0
			|| omniq_kv_copy("mailbox", b->name, "imap_user", &v[K_IMAP_USER], b->imap_user,
					   sizeof(b->imap_user), NULL) < 0
			|| omniq_kv_copy("mailbox", b->name, "imap_password", &v[K_IMAP_PASSWORD],
					   b->imap_password, sizeof(b->imap_password), NULL) < 0
			|| omniq_kv_copy("mailbox", b->name, "imap_bearer", &v[K_IMAP_BEARER],
					   b->imap_bearer, sizeof(b->imap_bearer), NULL) < 0
			|| omniq_kv_copy("mailbox", b->name, "imap_move", &v[K_IMAP_MOVE], b->imap_move,
					   sizeof(b->imap_move), "._-/ ") < 0
			|| omniq_kv_copy("mailbox", b->name, "imap_sent", &v[K_IMAP_SENT], b->imap_sent,
					   sizeof(b->imap_sent), "._-/ ") < 0
			|| omniq_kv_int("mailbox", b->name, "imap_verify", &v[K_IMAP_VERIFY], 0, 1, 1,
					   &b->imap_verify) < 0)
		return -1;
	if(b->imap[0]) {
		const char *path = strchr(b->imap + 8, '/');
		if((strncmp(b->imap, "imap://", 7) && strncmp(b->imap, "imaps://", 8)) || path == NULL
				|| path[1] == '\0') {
			LM_ERR("modparam mailbox %s: imap '%s' must be imap[s]://host[:port]/<folder>\n",
					b->name, b->imap);
			return -1;
		}
		if(b->imap_user[0] == '\0' || (b->imap_password[0] == '\0') == (b->imap_bearer[0] == '\0')) {
			LM_ERR("modparam mailbox %s: imap needs imap_user and one of imap_password or "
				   "imap_bearer\n",
					b->name);
			return -1;
		}
	}
	if(b->imap_sent[0] && b->imap[0] == '\0') {
		LM_ERR("modparam mailbox %s: imap_sent needs imap (the server the copy goes to)\n",
				b->name);
		return -1;
	}
	b->imap_starttls = !strncmp(b->imap, "imap://", 7);
	if(v[K_IMAP_TLS].s) {
		if(v[K_IMAP_TLS].len == 4 && !strncmp(v[K_IMAP_TLS].s, "none", 4))
			b->imap_starttls = 0;
		else if(!(v[K_IMAP_TLS].len == 8 && !strncmp(v[K_IMAP_TLS].s, "starttls", 8))) {
			LM_ERR("modparam mailbox %s: imap_tls must be starttls or none\n", b->name);
			return -1;
		}
	}
	if((b->smtp_user[0] == '\0') != (b->smtp_password[0] == '\0')) {
		LM_ERR("modparam mailbox %s: smtp_user and smtp_password go together\n", b->name);
		return -1;
	}
	at = strchr(addr, '@');
	if(at == NULL || at == addr || strchr(at + 1, '@') || strchr(addr, '+') || at[1] == '\0'
			|| (size_t)(at - addr) >= sizeof(b->local) || strlen(at + 1) >= sizeof(b->domain)) {
		LM_ERR("modparam mailbox %s: address '%s' must be local@domain (no '+': the plus part "
			   "is the reply address' own)\n",
				b->name, addr);
		return -1;
	}
	if(strlen(at + 1) > EMAIL_MID_DOMAIN_MAX) {
		/* a reply's Message-ID (email_sig.h) is its delivery's provider id, which a bounce
		 * is matched by: it must fit whole */
		LM_ERR("modparam mailbox %s: the domain of '%s' is over %d characters (replies' "
			   "Message-IDs name it and must fit in %d)\n",
				b->name, addr, EMAIL_MID_DOMAIN_MAX, OMNIQ_PROVIDER_ID_MAX);
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

const email_mailbox_t *email_mailbox_named(const char *name, size_t len)
{
	int i;

	for(i = 0; i < n_boxes; i++)
		if(strlen(boxes[i].name) == len && !memcmp(boxes[i].name, name, len))
			return &boxes[i];
	return NULL;
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
