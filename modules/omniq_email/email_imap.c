/*
 * email_imap.c - see email_imap.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <poll.h>
#include <time.h>

#include <curl/curl.h>

#include "core/dprint.h"

#include "email_idle.h"
#include "email_imap.h"
#include "email_imap_login.h"
#include "email_inbound.h"
#include "email_lmtp.h"
#include "email_mailbox.h"
#include "email_uids.h"

#define LEASE_EVERY 20 /* messages between renewals of the reader's lease in a round */

static omniq_api_t *oq;
static const email_imap_cfg_t *cfg;
static CURL *curl; /* the folder selected read-write: search, flags, moves */
static CURL *rd;   /* the folder examined (read-only): reading does not mark \Seen */
static char owner[96];
static long long lease_ms(void);

int email_imap_wanted(void)
{
	const email_mailbox_t *b;
	int i;

	for(i = 0; (b = email_mailbox_at(i)) != NULL; i++)
		if(b->imap[0])
			return 1;
	return 0;
}

/* what a request answered, up to max bytes */
typedef struct got {
	char *p;
	size_t len, max;
	int over;
} got_t;

static size_t write_cb(char *data, size_t size, size_t n, void *arg)
{
	got_t *g = arg;
	size_t k = size * n;
	char *p;

	if(g->len + k > g->max) {
		g->over = 1;
		return 0; /* curl stops: the request fails */
	}
	if((p = realloc(g->p, g->len + k + 1)) == NULL)
		return 0;
	g->p = p;
	memcpy(g->p + g->len, data, k);
	g->len += k;
	g->p[g->len] = '\0';
	return k;
}

/* One IMAP request on the mailbox's folder URL (url: NULL for the folder itself), on conn
 * (curl or rd): a command of ours (cmd) or curl's own FETCH of url. 0 with the answer in g,
 * or -1 with why (-2: the answer was over max_message, read no further). */
static const char *folder(const email_mailbox_t *b);

static int request_on(CURL *conn, const email_mailbox_t *b, const char *url, const char *cmd,
		got_t *g, char *why, size_t wsize)
{
	char err[CURL_ERROR_SIZE];
	CURLcode rc;

	memset(g, 0, sizeof(*g));
	g->max = cfg->max_msg + 65536;
	err[0] = '\0';
	curl_easy_setopt(conn, CURLOPT_URL, url ? url : b->imap);
	curl_easy_setopt(conn, CURLOPT_CUSTOMREQUEST, cmd);
	curl_easy_setopt(conn, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(conn, CURLOPT_WRITEDATA, g);
	curl_easy_setopt(conn, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(conn, CURLOPT_TIMEOUT_MS, (long)cfg->timeout_ms);
	curl_easy_setopt(conn, CURLOPT_CONNECTTIMEOUT_MS, (long)cfg->timeout_ms);
	curl_easy_setopt(conn, CURLOPT_ERRORBUFFER, err);
	email_imap_login(conn, b);
	rc = curl_easy_perform(conn);
	if(rc != CURLE_OK) {
		snprintf(why, wsize, "%s", g->over ? "over max_message" : err[0] ? err : curl_easy_strerror(rc));
		free(g->p);
		g->p = NULL;
		return g->over ? -2 : -1;
	}
	if(g->p == NULL && (g->p = calloc(1, 1)) == NULL) {
		snprintf(why, wsize, "out of memory");
		return -1;
	}
	return 0;
}

static unsigned long long number_after(const char *s, const char *key)
{
	const char *p = strstr(s, key);

	return p ? strtoull(p + strlen(key), NULL, 10) : 0;
}

static int request(const email_mailbox_t *b, const char *url, const char *cmd, got_t *g,
		char *why, size_t wsize)
{
	return request_on(curl, b, url, cmd, g, why, wsize);
}

/* Message uid's bytes, read without marking it \Seen: on rd's connection the folder is
 * EXAMINEd (read-only, RFC 3501 6.3.2) just before curl's FETCH, which then sets no flag
 * (curl keeps the connection and, the folder being the one it selected, fetches at once). */
static int read_message(const email_mailbox_t *b, const char *url, got_t *g, char *why,
		size_t wsize)
{
	char cmd[200];
	got_t e;

	snprintf(cmd, sizeof(cmd), "EXAMINE \"%s\"", folder(b));
	if(request_on(rd, b, NULL, cmd, &e, why, wsize) < 0)
		return -1;
	free(e.p);
	return request_on(rd, b, url, NULL, g, why, wsize);
}

/* flag (or move) message uid after it was stored; best effort: the UID kept decides */
static void done_with(const email_mailbox_t *b, unsigned long long uid, const char *what)
{
	char cmd[256], why[CURL_ERROR_SIZE + 64];
	got_t g;

	if(what)
		snprintf(cmd, sizeof(cmd), "UID STORE %llu %s", uid, what);
	else if(b->imap_move[0])
		snprintf(cmd, sizeof(cmd), "UID MOVE %llu \"%s\"", uid, b->imap_move);
	else
		snprintf(cmd, sizeof(cmd), "UID STORE %llu +FLAGS (\\Seen)", uid);
	if(request(b, NULL, cmd, &g, why, sizeof(why)) < 0)
		LM_WARN("imap %s: %s for message %llu failed: %s\n", b->name, cmd, uid, why);
	free(g.p);
}

/* the folder the URL names ("INBOX" of imaps://host/INBOX) */
static const char *folder(const email_mailbox_t *b)
{
	const char *host = strstr(b->imap, "://") + 3;

	return strchr(host, '/') + 1;
}

static int still_ours(const email_mailbox_t *b)
{
	char name[EMAIL_NAME_MAX + 8];
	int rc;

	snprintf(name, sizeof(name), "imap:%s", b->name);
	rc = oq->chan_lease(&email_channel, omniq_cstr(name), omniq_cstr(owner), lease_ms(), NULL);
	if(rc != OMNIQ_OK)
		LM_NOTICE("imap %s: the reader's lease is %s: the round stops here\n", b->name,
				rc < 0 ? "not renewed" : "another's");
	return rc == OMNIQ_OK;
}

/* One round on one mailbox (this process holds its lease). */
static void round_of(const email_mailbox_t *b)
{
	static unsigned long long uids[EMAIL_UIDS_MAX];
	char at_name[EMAIL_NAME_MAX + 16], at[64], cmd[256], url[512], why[CURL_ERROR_SIZE + 64];
	char reply[EMAIL_LMTP_REPLY_MAX], rcpt[400];
	unsigned long long validity, kept_validity = 0, last = 0;
	got_t g;
	int i, n = 0, rc;

	snprintf(at_name, sizeof(at_name), "imap:%s:at", b->name);
	rc = oq->chan_get(&email_channel, omniq_cstr(at_name), at, sizeof(at), NULL);
	if(rc < 0 && rc != OMNIQ_ENOTFOUND) {
		LM_ERR("imap %s: where the last round stopped cannot be read: %s\n", b->name,
				oq->last_error());
		return;
	}
	if(rc == 0 && sscanf(at, "%llu %llu", &kept_validity, &last) != 2)
		kept_validity = last = 0;
	/* STATUS, not EXAMINE: the folder stays selected read-write for the flags */
	snprintf(cmd, sizeof(cmd), "STATUS \"%s\" (UIDVALIDITY)", folder(b));
	if(request(b, NULL, cmd, &g, why, sizeof(why)) < 0) {
		LM_ERR("imap %s: cannot open the folder: %s\n", b->name, why);
		return;
	}
	validity = number_after(g.p, "UIDVALIDITY ");
	free(g.p);
	if(validity == 0) {
		LM_ERR("imap %s: the server names no UIDVALIDITY\n", b->name);
		return;
	}
	if(kept_validity && validity != kept_validity) {
		LM_WARN("imap %s: UIDVALIDITY %llu, not %llu as before: the folder was rebuilt, its "
				"messages are read again (those stored before are known by their Message-ID)\n",
				b->name, validity, kept_validity);
		last = 0;
	}
	snprintf(cmd, sizeof(cmd), "UID SEARCH UID %llu:*", last + 1);
	if(request(b, NULL, cmd, &g, why, sizeof(why)) < 0) {
		LM_ERR("imap %s: cannot search the folder: %s\n", b->name, why);
		return;
	}
	n = email_uids_search(g.p, last, uids, EMAIL_UIDS_MAX);
	free(g.p);
	snprintf(rcpt, sizeof(rcpt), "%s@%s", b->local, b->domain);
	for(i = 0; i < n; i++) {
		/* a long round keeps its lease: another node must not read beside it */
		if(i > 0 && i % LEASE_EVERY == 0 && !still_ours(b))
			return;
		snprintf(url, sizeof(url), "%s;UIDVALIDITY=%llu;UID=%llu", b->imap, validity, uids[i]);
		reply[0] = '\0';
		if((rc = read_message(b, url, &g, why, sizeof(why))) == -2)
			snprintf(reply, sizeof(reply), "552 5.3.4 over max_message (%zu bytes)", cfg->max_msg);
		else if(rc < 0) {
			LM_ERR("imap %s: message %llu cannot be read: %s (next round)\n", b->name, uids[i],
					why);
			return;
		} else {
			email_inbound_deliver("", rcpt, g.p, g.len, reply, sizeof(reply));
			free(g.p);
		}
		if(reply[0] == '4' || reply[0] == '\0') {
			LM_NOTICE("imap %s: message %llu not stored now (%s): read again next round\n",
					b->name, uids[i], reply);
			return;
		}
		snprintf(at, sizeof(at), "%llu %llu", validity, uids[i]);
		if(oq->chan_set(&email_channel, omniq_cstr(at_name), omniq_cstr(at), 0) < 0) {
			/* stored: read again next round, and known then by its Message-ID */
			LM_ERR("imap %s: message %llu stored, its UID not kept: %s\n", b->name, uids[i],
					oq->last_error());
			return;
		}
		if(reply[0] == '5') {
			LM_NOTICE("imap %s: message %llu refused (%s): flagged for a person, passed\n",
					b->name, uids[i], reply);
			done_with(b, uids[i], "+FLAGS (\\Flagged)");
		} else
			done_with(b, uids[i], NULL);
	}
}

/* New handles, so new connections, for each round: a connection kept from the round
 * before can hold a view of the folder the server no longer updates (the folder deleted
 * and made again under it: Dovecot answers its SEARCH from the old one, for good). A round
 * every imap_poll seconds (or per IDLE wake-up) affords a login. */
static int fresh(void)
{
	CURL *a = curl_easy_init(), *b = curl_easy_init();

	if(a == NULL || b == NULL) {
		if(a)
			curl_easy_cleanup(a);
		if(b)
			curl_easy_cleanup(b);
		return -1;
	}
	if(curl)
		curl_easy_cleanup(curl);
	if(rd)
		curl_easy_cleanup(rd);
	curl = a;
	rd = b;
	return 0;
}

/* renewed every round; a reader that stops (its node stopped or restarted) is followed by
 * another, or by itself started again, when it runs out */
static long long lease_ms(void)
{
	return (long long)cfg->poll_s * 2000 + 10000;
}

/* IDLE connections (email_idle.h), one per IMAP mailbox where the server allows it */
static email_idle_t *idle[EMAIL_MAILBOXES_MAX];
static time_t idle_next[EMAIL_MAILBOXES_MAX]; /* when to try opening one again */
static char idle_why[EMAIL_MAILBOXES_MAX][128]; /* why the last try failed (logged once) */

static void idle_open(int i, const email_mailbox_t *b, time_t now)
{
	char why[128];

	if(idle[i] || now < idle_next[i])
		return;
	if((idle[i] = email_idle_open(b, cfg->timeout_ms, why, sizeof(why))) != NULL) {
		LM_INFO("imap %s: IDLE: new mail is read as it comes\n", b->name);
		idle_why[i][0] = '\0';
		return;
	}
	idle_next[i] = now + 60;
	if(strcmp(why, idle_why[i])) {
		LM_NOTICE("imap %s: no IDLE (%s): read every %d s\n", b->name, why, cfg->poll_s);
		snprintf(idle_why[i], sizeof(idle_why[i]), "%s", why);
	}
}

/* until secs have passed, or a server announced a new message: 1 then */
static int wait_for_mail(int secs)
{
	struct pollfd p[EMAIL_MAILBOXES_MAX];
	int map[EMAIL_MAILBOXES_MAX], i, n = 0, rc, news = 0;
	time_t end = time(NULL) + secs, now;

	for(i = 0; i < EMAIL_MAILBOXES_MAX; i++)
		if(idle[i]) {
			p[n].fd = email_idle_fd(idle[i]);
			p[n].events = POLLIN;
			map[n++] = i;
		}
	while(!news && (now = time(NULL)) < end) {
		if(n == 0) {
			sleep((unsigned)(end - now));
			return 0;
		}
		if(poll(p, (nfds_t)n, (int)(end - now) * 1000) <= 0)
			continue;
		for(i = 0; i < n; i++) {
			if(!(p[i].revents & (POLLIN | POLLHUP | POLLERR)) || idle[map[i]] == NULL)
				continue;
			rc = email_idle_read(idle[map[i]]);
			if(rc < 0) {
				email_idle_close(idle[map[i]]);
				idle[map[i]] = NULL;
				p[i].fd = -1;
			} else if(rc == 1)
				news = 1;
		}
	}
	return news;
}

void email_imap_serve(omniq_api_t *api, const email_imap_cfg_t *c)
{
	char name[EMAIL_NAME_MAX + 8], host[64];
	const email_mailbox_t *b;
	long long left;
	int i, rc, burst = 0;

	oq = api;
	cfg = c;
	if(gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "?");
	host[sizeof(host) - 1] = '\0';
	snprintf(owner, sizeof(owner), "%s:%d", host, (int)getpid());
	if(fresh() < 0) {
		LM_CRIT("imap: libcurl cannot start: no mail is read from IMAP\n");
		for(;;)
			sleep(3600);
	}
	LM_INFO("imap: reading every %d s as %s\n", cfg->poll_s, owner);
	for(;;) {
		oq->stop_check("omniq_email imap");
		for(i = 0; (b = email_mailbox_at(i)) != NULL; i++) {
			if(b->imap[0] == '\0')
				continue;
			if(b->tenant[0] && oq->tenant_use(omniq_cstr(b->tenant)) < 0)
				continue;
			snprintf(name, sizeof(name), "imap:%s", b->name);
			rc = oq->chan_lease(&email_channel, omniq_cstr(name), omniq_cstr(owner),
					lease_ms(), &left);
			if(rc == OMNIQ_OK) {
				if(fresh() < 0)
					LM_ERR("imap %s: out of memory for its connections\n", b->name);
				else
					round_of(b);
			}
			else if(rc < 0)
				LM_ERR("imap %s: the reader's lease cannot be taken: %s\n", b->name,
						oq->last_error());
			oq->tenant_use_index(0);
			idle_open(i, b, time(NULL));
		}
		/* after a server's word of new mail, rounds a second apart for a while: a server
		 * may show the message to another connection a moment later (Dovecot's Maildir
		 * sees a change by its directory's mtime, a second at a time) */
		burst = wait_for_mail(burst > 0 ? 1 : cfg->poll_s) ? 3 : burst - 1;
	}
}
