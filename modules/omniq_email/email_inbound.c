/*
 * email_inbound.c - see email_inbound.h.
 */
#define _GNU_SOURCE /* memmem */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <ctype.h>

#include "core/dprint.h"

#include "email_inbound.h"
#include "email_mailbox.h"
#include "email_mime.h"
#include "email_sig.h"
#include "email_stats.h"
#include "email_text.h"
#include "email_token.h"

const str email_channel = {"email", 5};

static omniq_api_t *oq;
static email_inbound_cfg_t cfg;

void email_inbound_init(omniq_api_t *api, const email_inbound_cfg_t *c)
{
	oq = api;
	cfg = *c;
}

int email_inbound_rcpt(const char *rcpt, char *reply, size_t size)
{
	char plus[EMAIL_ADDR_MAX + 1];

	if(email_mailbox_for(rcpt, plus, sizeof(plus)))
		return 0;
	snprintf(reply, size, "550 5.1.1 <%s>: no mailbox of omniq here", rcpt);
	return -1;
}

/* ---- the message body the agent reads ---- */

typedef struct body {
	char s[OMNIQ_BODY_MAX + 1];
	size_t len;
	int cut;
} body_t;

static void add(body_t *b, const char *fmt, ...)
{
	va_list ap;
	size_t room = sizeof(b->s) - b->len;
	int n;

	if(b->cut)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->s + b->len, room, fmt, ap);
	va_end(ap);
	if(n < 0)
		return;
	if((size_t)n >= room) {
		/* whole characters only, and a mark that something is missing */
		b->len = email_text_cut(b->s, sizeof(b->s) - 1, OMNIQ_BODY_MAX - 8, 1);
		b->cut = 1;
		return;
	}
	b->len += (size_t)n;
}

/* the lines of s that hold something */
static size_t lines_of(const char *s, size_t len)
{
	size_t i, n = 0;
	int blank = 1;

	for(i = 0; i < len; i++) {
		if(s[i] == '\n') {
			n += !blank;
			blank = 1;
		} else if(s[i] != ' ' && s[i] != '\t')
			blank = 0;
	}
	return n + !blank;
}

/* the attachments kept as media: their links, in the body */
static void attachments(const email_msg_t *m, const char *cid, body_t *b)
{
	char key[64], ref[128], why[EMAIL_WHY_MAX], path[OMNIQ_MEDIA_PATH_SIZE];
	unsigned char *data;
	size_t i, len;
	int rc;

	for(i = 0; i < m->n_att; i++) {
		const email_attachment_t *a = &m->att[i];
		add(b, "\n[attachment] %s (%s, %zu bytes)", a->filename, a->media_type, a->size);
		/* the parser reads one of up to its own limit whatever the modparam (its 0 is
		 * "the default"): attach_max 0 keeps none */
		if(a->too_large || a->size > cfg.attach_max) {
			add(b, ": over the %zu bytes kept, see the mailbox", cfg.attach_max);
			continue;
		}
		if((data = malloc(a->size ? a->size : 1)) == NULL
				|| email_mime_attachment(m, i, data, a->size ? a->size : 1, &len, why) < 0) {
			LM_ERR("mail %s: attachment %zu (%s) not kept: %s\n", cid, i + 1, a->filename,
					data ? why : "out of memory");
			free(data);
			add(b, ": not kept (%s)", data ? why : "out of memory");
			continue;
		}
		snprintf(ref, sizeof(ref), "email:%s:%zu", cid, i + 1);
		rc = oq->media_ref(&email_channel, omniq_cstr(ref), EMAIL_ATTACH_TTL_MS, key,
				sizeof(key));
		if(rc >= 0)
			rc = oq->media_put(omniq_cstr(key), omniq_cstr(a->media_type),
					&(str){(char *)data, (int)len}, NULL, EMAIL_ATTACH_TTL_MS);
		free(data);
		if(rc < 0) {
			LM_ERR("mail %s: attachment %zu (%s) not kept: %s\n", cid, i + 1, a->filename,
					oq->last_error());
			add(b, ": not kept (%s)", oq->last_error());
			continue;
		}
		if(omniq_media_path(oq, key, path, sizeof(path)) == 0)
			add(b, " %s", path);
	}
}

/* the mail as it came, kept for the agent when its text was reduced from HTML (the
 * original look, its images' places) */
static void original(const char *msg, size_t len, const char *cid, body_t *b)
{
	char key[64], ref[128], path[OMNIQ_MEDIA_PATH_SIZE];

	if(len > OMNIQ_MEDIA_MAX) {
		add(b, "\n[original mail] over %d bytes, see the mailbox", OMNIQ_MEDIA_MAX);
		return;
	}
	snprintf(ref, sizeof(ref), "email:%s:original", cid);
	if(oq->media_ref(&email_channel, omniq_cstr(ref), EMAIL_ATTACH_TTL_MS, key, sizeof(key)) < 0
			|| oq->media_put(omniq_cstr(key), omniq_cstr("message/rfc822"),
					   &(str){(char *)msg, (int)len}, NULL, EMAIL_ATTACH_TTL_MS)
					   < 0) {
		LM_ERR("mail %s: its original not kept: %s\n", cid, oq->last_error());
		add(b, "\n[original mail] not kept (%s)", oq->last_error());
		return;
	}
	if(omniq_media_path(oq, key, path, sizeof(path)) == 0)
		add(b, "\n[original mail] %s", path);
}

/* media: 0 for a mail stored before (its redelivery stores nothing: its attachments and
 * original are not kept again) */
static void compose(const email_msg_t *m, const char *cid, const char *msg, size_t len,
		int media, body_t *b)
{
	size_t quoted = m->text_len - m->quote_at;

	b->len = 0;
	b->cut = 0;
	b->s[0] = '\0';
	if(m->flags & EMAIL_F_BOUNCE)
		add(b, "[delivery report: a mail did not reach its recipient]\n");
	else if(m->flags & (EMAIL_F_AUTO | EMAIL_F_BULK | EMAIL_F_LIST))
		add(b, "[sent by a machine (%s): no automatic answer goes back]\n",
				m->flags & EMAIL_F_LIST	  ? "a mailing list"
				: m->flags & EMAIL_F_AUTO ? "an auto-reply"
										  : "bulk mail");
	add(b, "Subject: %s\n\n", m->subject[0] ? m->subject : "(no subject)");
	if(m->quote_at > 0)
		add(b, "%.*s", (int)m->quote_at, m->text);
	else if(m->text_len == 0 || quoted == m->text_len)
		add(b, "(no text)");
	if(m->quote_at < m->text_len && m->quote_at > 0)
		add(b, "\n\n[%zu quoted line(s) of the mail it answers, folded]",
				lines_of(m->text + m->quote_at, quoted));
	if(m->n_att || m->text_from_html)
		add(b, "\n");
	if(media) {
		attachments(m, cid, b);
		/* a plain part the sender wrote is the text: its HTML twin is not kept (up to
		 * OMNIQ_MEDIA_MAX bytes of Redis for each such mail) */
		if(m->text_from_html)
			original(msg, len, cid, b);
	}
	while(b->len && (b->s[b->len - 1] == '\n' || b->s[b->len - 1] == ' '))
		b->len--;
	b->s[b->len] = '\0';
}

/* ---- the conversation a mail continues ---- */

/* a token in s (len bytes) that is ours: its sid into sid */
static int token_in(const char *s, size_t len, char *sid, size_t size)
{
	email_token_t t;
	size_t at = 0;

	while(at < len && email_token_find(s + at, len - at, &t)) {
		if(email_sig_ok(cfg.secret, t.sid, t.sig)) {
			snprintf(sid, size, "%s", t.sid);
			return 1;
		}
		LM_INFO("a session token [#omniq-%s-...] whose signature is not ours: ignored\n", t.sid);
		at += t.at + t.len;
	}
	return 0;
}

/* The chan name of a Message-ID we stored or sent (mid:<its hash>), whose value is its
 * session: 1, or 0 for no id. */
static int mid_name(const char *mid, char *name, size_t size)
{
	char h[EMAIL_HASH_LEN + 1];

	if(mid == NULL || mid[0] == '\0' || email_hash(mid, strlen(mid), h) < 0)
		return 0;
	snprintf(name, size, "mid:%s", h);
	return 1;
}

/* The Message-IDs that name a mail's conversation, in the order they are believed: its
 * own (a redelivery), In-Reply-To, then References, the latest first. */
#define MIDS_MAX (2 + EMAIL_REFS_MAX)
_Static_assert(MIDS_MAX <= OMNIQ_CHAN_NAMES_MAX, "a mail's Message-IDs are one chan_get_first");

typedef struct mids {
	char name[MIDS_MAX][EMAIL_HASH_LEN + 8];
	str s[MIDS_MAX];
	int n;
} mids_t;

static int mids_add(mids_t *ids, const char *mid)
{
	if(!mid_name(mid, ids->name[ids->n], sizeof(ids->name[0])))
		return 0;
	ids->s[ids->n] = omniq_str(ids->name[ids->n]);
	ids->n++;
	return 1;
}

/* sid: the session the mail continues, or "" (a new one). 0, or -1: Redis failed. The
 * Message-IDs are looked up in one round trip, whichever of them is found. */
static int find_thread(const char *plus, const email_msg_t *m, char *sid, size_t size,
		int *again)
{
	char tok[EMAIL_ADDR_MAX + 16];
	mids_t ids;
	size_t i;
	int own, which = -1, rc = OMNIQ_ENOTFOUND;

	sid[0] = '\0';
	*again = 0;
	ids.n = 0;
	own = mids_add(&ids, m->message_id);
	mids_add(&ids, m->in_reply_to);
	for(i = m->n_refs; i > 0; i--) /* the latest first */
		mids_add(&ids, m->refs[i - 1]);
	if(ids.n > 0)
		rc = oq->chan_get_first(&email_channel, ids.n, ids.s, sid, (int)size, &which);
	if(rc < 0 && rc != OMNIQ_ENOTFOUND)
		return -1;
	if(rc != OMNIQ_OK)
		sid[0] = '\0';
	/* this very mail stored before (an MTA's redelivery, possibly after the customer's
	 * later mails): its session, where ingest finds its cid and stores nothing */
	if(rc == OMNIQ_OK && own && which == 0) {
		*again = 1;
		return 0;
	}
	/* a token of ours before the Message-IDs it answers (sid as found, or "") */
	if(!strncasecmp(plus, "omniq-", 6)) {
		snprintf(tok, sizeof(tok), EMAIL_TOKEN_OPEN "%s]", plus + 6);
		if(token_in(tok, strlen(tok), sid, size))
			return 0;
	}
	if(!token_in(m->subject, strlen(m->subject), sid, size))
		token_in(m->text + m->quote_at, m->text_len - m->quote_at, sid, size);
	return 0;
}

/* ---- the delivery ---- */

static void not_remembered(const char *mid, const char *sid)
{
	LM_WARN("mail <%s>: stored in session %s, but not remembered for its replies' "
			"threading: %s (a reply still finds the session by its subject token)\n",
			mid, sid, oq->last_error());
}

static void remember(const char *mid, const char *sid)
{
	char name[EMAIL_HASH_LEN + 8];

	if(mid_name(mid, name, sizeof(name))
			&& oq->chan_set(&email_channel, omniq_cstr(name), omniq_cstr(sid),
					   EMAIL_THREAD_TTL_MS)
					   < 0)
		not_remembered(mid, sid);
}

/* What a reply needs of session sid's thread (email_thread_get), as a chan name and value:
 * the value's length, or -1 when it does not fit (none is kept). */
static int thread_note(const char *sid, const char *subject, const char *last,
		const char *root, char *name, size_t nsize, char *v, size_t vsize)
{
	int n;

	snprintf(name, nsize, "t:%s", sid);
	n = snprintf(v, vsize, "%s\n%s\n%s", subject ? subject : "", last ? last : "",
			root ? root : "");
	return n < 0 || n >= (int)vsize ? -1 : n;
}

/* A mail stored in session sid, in one round trip: its Message-ID remembered for the
 * answers to it, and the thread a reply needs (the customer's subject, this mail, the
 * thread's first). */
static void remember_stored(const email_msg_t *m, const char *sid)
{
	char mid[EMAIL_HASH_LEN + 8], tname[OMNIQ_SID_MAX + 4], v[3 * (EMAIL_LINE_MAX + 1)];
	str names[2], values[2];
	int n = 0, has_mid = 0, vlen;

	if(mid_name(m->message_id, mid, sizeof(mid))) {
		names[n] = omniq_str(mid);
		values[n++] = omniq_str(sid);
		has_mid = 1;
	}
	vlen = thread_note(sid, m->subject, m->message_id,
			m->n_refs ? m->refs[0] : m->in_reply_to ? m->in_reply_to : m->message_id, tname,
			sizeof(tname), v, sizeof(v));
	if(vlen >= 0) {
		names[n] = omniq_str(tname);
		values[n++] = (str){v, vlen};
	}
	if(n == 0 || oq->chan_set_many(&email_channel, n, names, values, EMAIL_THREAD_TTL_MS) >= 0)
		return;
	if(has_mid)
		not_remembered(m->message_id, sid);
	if(vlen >= 0)
		LM_WARN("session %s: its mail thread not kept for the replies (%s): a reply goes out "
				"with no In-Reply-To\n",
				sid, oq->last_error());
}

int email_thread_get(const char *sid, char *buf, size_t size, const char **subject,
		const char **last, const char **root)
{
	char name[OMNIQ_SID_MAX + 4], *p;
	int rc;

	*subject = *last = *root = NULL;
	snprintf(name, sizeof(name), "t:%s", sid);
	rc = oq->chan_get(&email_channel, omniq_cstr(name), buf, (int)size, NULL);
	if(rc == OMNIQ_ENOTFOUND)
		return 0;
	if(rc < 0)
		return -1;
	*subject = buf;
	if((p = strchr(buf, '\n')) != NULL) {
		*p++ = '\0';
		*last = p;
		if((p = strchr(p, '\n')) != NULL) {
			*p++ = '\0';
			*root = p;
		}
	}
	return 1;
}

void email_remember_id(const char *mid, const char *sid)
{
	remember(mid, sid);
}

/* ---- delivery reports (RFC 3464) of our replies ---- */

/* The reply of ours that the report names, by its signed Message-ID (email_sig.h) in the
 * returned headers: that Message-ID into id; its words (Diagnostic-Code, else Status) into why.
 * 1 found, 0 not: a report naming no reply of ours, or one whose signature is not ours,
 * is a mail like any other. */
static int bounced_reply(const email_mailbox_t *mb, const char *msg, size_t len, char *id,
		size_t isize, char *why, size_t wsize)
{
	char did[32];
	const char *p = msg, *end = msg + len, *q, *e;
	size_t dl = strlen(mb->domain), n;

	id[0] = why[0] = '\0';
	while((p = memmem(p, (size_t)(end - p), "<omniq-", 7)) != NULL) {
		q = p + 1;
		for(e = q + 6; e < end && ((*e >= '0' && *e <= '9') || (*e >= 'a' && *e <= 'z')
										   || (*e >= 'A' && *e <= 'Z') || *e == '-');
				e++)
			;
		n = (size_t)(e + 1 + dl - q);
		if(e + 1 + dl + 1 <= end && *e == '@' && !strncasecmp(e + 1, mb->domain, dl)
				&& e[1 + dl] == '>' && n < isize
				&& email_reply_mid_did(cfg.secret, q, (size_t)(e - q), did, sizeof(did)) == 0) {
			memcpy(id, q, n); /* the reply's id at its sender is its Message-ID */
			id[n] = '\0';
			break;
		}
		p = q;
	}
	if(id[0] == '\0')
		return 0;
	if((p = memmem(msg, len, "Diagnostic-Code:", 16)) != NULL
			|| (p = memmem(msg, len, "Status:", 7)) != NULL) {
		p = memchr(p, ':', (size_t)(end - p)) + 1;
		while(p < end && (*p == ' ' || *p == '\t'))
			p++;
		for(n = 0; p + n < end && p[n] != '\r' && p[n] != '\n' && n + 1 < wsize; n++)
			why[n] = (unsigned char)p[n] < ' ' ? ' ' : p[n];
		why[n] = '\0';
	}
	if(why[0] == '\0')
		snprintf(why, wsize, "the recipient's mail server returned it");
	return 1;
}

/* the mailbox's acknowledgement of a new conversation, sent as a reply of the mailbox
 * (the agent sees it in the transcript, the customer gets the session's reference) */
static void acknowledge(const email_mailbox_t *mb, const char *sid)
{
	char body[sizeof(mb->ack) + 64];

	snprintf(body, sizeof(body), "%s\n\n(reference %s)", mb->ack, sid);
	if(oq->reply(omniq_cstr(sid), omniq_cstr(mb->name), omniq_cstr(body)) < 0)
		LM_WARN("session %s: its acknowledgement not queued: %s\n", sid, oq->last_error());
	else
		email_stat(EMAIL_ST_ACKED);
}

static void lower(char *s)
{
	for(; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

static void deliver(const char *from, const char *rcpt, const char *msg, size_t len,
		char *reply, size_t size);

void email_inbound_deliver(const char *from, const char *rcpt, const char *msg, size_t len,
		char *reply, size_t size)
{
	reply[0] = '\0';
	deliver(from, rcpt, msg, len, reply, size);
	if(reply[0] == '5')
		email_stat(EMAIL_ST_REFUSED);
	else if(reply[0] != '2')
		email_stat(EMAIL_ST_DEFERRED);
	else if(!strncmp(reply, "250 2.0.0 stored before", 23))
		email_stat(EMAIL_ST_DUPLICATE);
	else if(!strncmp(reply, "250 2.0.0 stored", 16))
		email_stat(EMAIL_ST_RECEIVED);
	else
		email_stat(EMAIL_ST_BOUNCED); /* "delivery report of reply ... taken" */
}

static void deliver(const char *from, const char *rcpt, const char *msg, size_t len,
		char *reply, size_t size)
{
	static body_t body;
	char plus[EMAIL_ADDR_MAX + 1], why[EMAIL_WHY_MAX], thread[OMNIQ_SID_MAX + 1];
	char ident[EMAIL_ADDR_MAX + 8], ext[OMNIQ_TEXT_MAX + 1], cid[EMAIL_HASH_LEN + 1];
	char id[48], rid[EMAIL_ADDR_MAX], rwhy[OMNIQ_REASON_MAX + 1];
	const email_mailbox_t *mb;
	const char *to;
	email_opts_t opts = {cfg.fallback, cfg.attach_max};
	email_msg_t m;
	omniq_inbound_t in;
	omniq_session_info_t si;
	int rc, again = 0;

	if((mb = email_mailbox_for(rcpt, plus, sizeof(plus))) == NULL) {
		snprintf(reply, size, "550 5.1.1 <%s>: no mailbox of omniq here", rcpt);
		return;
	}
	if(email_mime_parse(msg, len, &opts, &m, why) < 0) {
		LM_NOTICE("mail from <%s> to %s refused: %s\n", from, mb->name, why);
		snprintf(reply, size, "%s %s", strstr(why, "memory") ? "451 4.3.0" : "550 5.6.0", why);
		return;
	}
	if(m.message_id && m.message_id[0])
		email_hash(m.message_id, strlen(m.message_id), cid);
	else
		email_hash(msg, len, cid); /* no id: the same bytes are the same mail */
	if(mb->tenant[0] && oq->tenant_use(omniq_cstr(mb->tenant)) < 0) {
		snprintf(reply, size, "451 4.3.5 mailbox %s's tenant %s is not served here", mb->name,
				mb->tenant);
		goto done;
	}
	if((m.flags & EMAIL_F_BOUNCE)
			&& bounced_reply(mb, msg, len, rid, sizeof(rid), rwhy, sizeof(rwhy))) {
		rc = oq->delivery_report(&email_channel, omniq_cstr(rid), omniq_cstr("failed"),
				omniq_cstr(rwhy));
		if(rc < 0 && rc != OMNIQ_ENOTFOUND) {
			LM_ERR("delivery report for reply <%s> not taken: %s\n", rid, oq->last_error());
			snprintf(reply, size, "451 4.3.0 cannot take this report now: %s",
					oq->last_error());
			goto done;
		}
		LM_NOTICE("reply <%s> bounced: %s\n", rid, rwhy);
		snprintf(reply, size, "250 2.0.0 delivery report of reply %s taken", rid);
		goto done;
	}
	if(find_thread(plus, &m, thread, sizeof(thread), &again) < 0) {
		LM_ERR("mail from <%s> to %s not stored: its conversation cannot be looked up: %s\n",
				m.from.addr, mb->name, oq->last_error());
		snprintf(reply, size, "451 4.3.0 cannot look up the conversation now: %s",
				oq->last_error());
		goto done;
	}
	snprintf(ident, sizeof(ident), "email:%s", m.from.addr);
	lower(ident);
	to = m.reply_to.addr ? m.reply_to.addr : m.from.addr;
	snprintf(ext, sizeof(ext), "%s:%s", mb->name, to);
	compose(&m, cid, msg, len, !again, &body);

	memset(&in, 0, sizeof(in));
	in.channel = email_channel;
	in.identity = omniq_str(ident);
	in.ext = omniq_str(ext);
	in.queue = omniq_str(mb->queue);
	in.skills = omniq_str(mb->skills);
	in.priority = mb->priority;
	in.from = omniq_str(m.from.name[0] ? m.from.name : m.from.addr);
	if(in.from.len > OMNIQ_TEXT_MAX)
		in.from = omniq_str(m.from.addr);
	in.body = (str){body.s, (int)body.len};
	in.cid = omniq_str(cid);
	rc = oq->ingest_thread(&in, omniq_cstr(thread[0] ? thread : "new"), &si, id, sizeof(id));
	if(rc < 0) {
		LM_ERR("mail from <%s> to %s not stored: %s\n", m.from.addr, mb->name, oq->last_error());
		/* only the mail's own content is refused for good: its mailbox's settings were
		 * checked at start, and a limit reached or a state met now (a customer's
		 * sessions, a tenant's capacity) passes, so the MTA keeps the mail and retries */
		snprintf(reply, size, "%s %s", rc == OMNIQ_EARG ? "550 5.6.0" : "451 4.3.0",
				oq->last_error());
		goto done;
	}
	if(rc != 1)
		remember_stored(&m, si.sid);
	if(rc == 2 && thread[0] == '\0' && mb->ack[0] && !(m.flags & EMAIL_F_NO_AUTOREPLY))
		acknowledge(mb, si.sid);
	LM_NOTICE("mail from <%s> to %s%s: session %s (%s%s)%s\n", m.from.addr, mb->name,
			m.flags & EMAIL_F_NO_AUTOREPLY ? " (no automatic answer)" : "", si.sid,
			rc == 1 ? "a redelivery, stored before" : rc == 2 ? "opened" : "joined",
			thread[0] ? ", answering it" : "", body.cut ? "; its text was cut" : "");
	snprintf(reply, size, "250 2.0.0 %s in session %s", rc == 1 ? "stored before" : "stored",
			si.sid);
done:
	oq->tenant_use_index(0);
	email_mime_free(&m);
}
