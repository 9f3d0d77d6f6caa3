/*
 * oq_core.h - the operations of omniq, shared by the cfg functions, KEMI, RPC and the C API.
 *
 * Each operation validates its arguments completely (oq_validate.h) before it sends the one
 * FCALL that does the work in Redis, so a bad value is refused with OMNIQ_EARG and nothing
 * is written. Errors leave a human reason in oq_last_error() for the log line and reply.
 */
#ifndef OQ_CORE_H
#define OQ_CORE_H

#include <hiredis/hiredis.h>
#include "core/str.h"
#include "core/sr_module.h"
#include "omniq/omniq_api.h"

#include "oq_validate.h" /* and the limits, oq_limits.h */

/* The modparams the core keeps. The tenant settings (an int each, named as in limits.def's
 * cfg lines: oq_settings.offer_timeout...) are pushed to every tenant's P:cfg at start.
 * cap_default: the capacity modparam's four numbers (voice, chat, email, total), what an
 * agent gets when oq_agent_set is given no capacity at all. */
typedef struct oq_settings {
	char *default_cc;
#define OQ_CFG_FIELD(name, def, min, max) int name;
	OQ_CFG_EACH(OQ_CFG_FIELD)
#undef OQ_CFG_FIELD
	char *policy;
	int cap_default[4];
} oq_settings_t;

extern oq_settings_t oq_settings;

/* Tenants. Every call of this process goes to the current tenant's keys ("oq:{<name>}");
 * the first configured tenant is the default and current at start. The process-wide
 * choice is safe because a Kamailio process runs one thing at a time: whoever switches
 * (the dispatcher per event, omniq_ws per request and socket message) switches back. */
#define OQ_TENANTS_MAX OMNIQ_TENANTS_MAX
int oq_tenant_param(modparam_t type, void *val);   /* modparam tenant, repeatable */
int oq_core_init(void);              /* check the tenants, build their prefixes (mod_init) */
int oq_push_config(void);            /* write the settings to every tenant's P:cfg (mod_init) */
const str *oq_prefix(void);          /* the current tenant's */
/* Make the tenant of that name current: its index, or OMNIQ_EARG (not served here;
 * nothing changes). */
int oq_tenant_use(const str *name);
void oq_tenant_use_index(int i);     /* 0 ≤ i < oq_tenant_count() */
int oq_tenant_index(void);
int oq_tenant_count(void);
/* name and prefix of tenant i: 0, or -1 past the last one */
int oq_tenant_at(int i, str *name, str *prefix);

int oq_enqueue(const str *channel, const str *identity, const str *skills, int priority,
		const str *queue, const str *ext, omniq_session_info_t *out);
/* The same, naming the node that holds the contact in its memory (api.open_node). */
int oq_enqueue_node(const str *channel, const str *identity, const str *skills, int priority,
		const str *queue, const str *ext, const str *node, omniq_session_info_t *out);
/* api.node_lease: the sessions ended (>= 0), or an OMNIQ_* error. */
int oq_node_lease(const str *node, int ttl_ms, int start);
int oq_append(const str *sid, const str *dir, const str *from, const str *body);
int oq_append_many(omniq_append_t *m, int n);
/* api.append_many_write / append_many_read (omniq_api.h) */
int oq_append_many_write(redisContext *c, omniq_append_t *m, int n);
void oq_append_many_read(omniq_append_t *m, int n, int call, redisReply *reply);
int oq_open_live(const str *channel, const str *identity, const str *skills, int priority,
		const str *queue, const str *ext, const str *claimed, omniq_session_info_t *out);
int oq_ingest(const omniq_inbound_t *m, omniq_session_info_t *out, char *id_out, int id_size);
int oq_ingest_thread(const omniq_inbound_t *m, const str *thread, omniq_session_info_t *out,
		char *id_out, int id_size);
int oq_append_once(const str *sid, const str *dir, const str *from, const str *body,
		const str *cid, char *id_out, int id_size);
int oq_reply(const str *sid, const str *from, const str *body);
int oq_reply_typed(const str *sid, const str *from, const str *type, const str *body);
int oq_reply_held(const str *sid, const str *agent, const str *type, const str *body);
int oq_accept(const str *sid, const str *agent);
int oq_decline(const str *sid, const str *agent);
int oq_close(const str *sid, const str *disposition);
int oq_close_info(const str *sid, const str *disposition, omniq_session_info_t *out);
int oq_abandon(const str *sid);
int oq_miss(const str *sid, const str *agent, int away);
int oq_expire(const str *sid);
int oq_get(const str *sid, omniq_session_info_t *out);
int oq_transcript_each(const str *sid, const str *after, int count, omniq_tx_cb cb, void *arg);
int oq_transcript_read(const str *sid, const str *after, int count, omniq_tx_entry_cb cb,
		void *arg);
int oq_session_set(const str *sid, const str *field, const str *value);
int oq_typing(const str *sid, const str *dir, const str *from);
int oq_transfer(const str *sid, const str *agent, const str *kind, const str *target,
		const str *skills);
int oq_transfer_call(const str *sid, const str *agent, const str *kind, const str *target,
		const str *ext, const str *node, omniq_session_info_t *out);
int oq_pick(const str *sid, const str *agent, const str *by);
/* A [sid, state(, agent)] reply of fn (freed) into *out (may be NULL): OMNIQ_OK, or the
 * bad reply's code. */
int oq_session_reply(const char *fn, redisReply *r, int with_agent, omniq_session_info_t *out);
/* oq_xfer.c: transfers across nodes (api.xfer_note, transfer_token, xfer_moved) */
int oq_xfer_note(const str *token, const str *sid, const str *agent, const str *target,
		int wait_ms);
int oq_transfer_token(const str *token, const str *kind, const str *target, const str *ext,
		const str *node, omniq_session_info_t *out);
int oq_xfer_moved(const str *tokens, int n, int *moved);
/* oq_query.c: api.query() */
int oq_query(const char *what, int argc, const str *argv, omniq_row_cb cb, void *arg);
/* oq_notify.c: connection leases and the notification outbox */
int oq_presence(int n, const str *pairs, int ttl_ms);
int oq_online(const str *identity);
int oq_outbox_add(const str *kind, const str *target, const str *unless_online,
		const str *payload, char *id_out, int id_size);
/* oq_customer.c: profiles, links, merges */
int oq_customer_set(const str *cid, const str *field, const str *value);
int oq_link(const str *a, const str *b, char *cid_out, int size);
int oq_merge(const str *from, const str *into);
/* oq_secret.c: desk passwords */
int oq_agent_password(const str *aid, const str *password);
int oq_agent_verify(const str *aid, const str *password);
int oq_login_try(const str *key, int fails, int window, int *wait);
int oq_login_done(const str *key, int ok);
int oq_agent_token(const str *aid, long long *epoch);
int oq_agent_update(const str *aid, const str *name, const str *skills, const str *caps,
		const str *contact);
int oq_agent_revoke(const str *aid, long long epoch, long long *now);

int oq_agent_set(const str *aid, const str *name, const str *skills, const str *caps,
		const str *contact);
int oq_agent_state(const str *aid, const str *presence);
int oq_agent_role(const str *aid, const str *role);
int oq_canned_set(const str *aid, const str *name, const str *text);
/* oq_agent_phone: has 0 keeps the agent out of voice routing, 1 brings calls back */
int oq_agent_phone(const str *aid, int has);
int oq_agent_del(const str *aid);

/* api.chan_get, chan_set, chan_lease (oq_chan.c) */
int oq_chan_get(const str *channel, const str *name, char *out, int size, long long *ttl_ms);
int oq_chan_set(const str *channel, const str *name, const str *value, long long ttl_ms);
int oq_chan_get_first(const str *channel, int n, const str *names, char *out, int size,
		int *which);
int oq_chan_set_many(const str *channel, int n, const str *names, const str *values,
		long long ttl_ms);
int oq_chan_part(const str *channel, const str *name, int index, int total, const str *value,
		long long ttl_ms, omniq_row_cb cb, void *arg);
int oq_chan_parts_due(const str *channel, omniq_row_cb cb, void *arg);
/* api.media_ref, media_open, media_free, media_put (oq_media.c) */
int oq_media_ref(const str *channel, const str *ref, long long ttl_ms, char *key_out, int size);
int oq_media_open(const str *key, omniq_media_t *m);
void oq_media_free(omniq_media_t *m);
int oq_media_put(const str *key, const str *type, const str *data, const str *reason,
		long long ttl_ms);
int oq_chan_lease(const str *channel, const str *name, const str *owner, long long ttl_ms,
		long long *left_ms);

/* A failure that goes on (Redis down, a sweep refused) is logged when it starts, then at
 * most once per this many ms while it lasts, and once when it is over (oq_redis.c,
 * oq_dispatch.c): an outage of ten minutes is a few lines, not thousands. */
#define OQ_LOG_REPEAT_MS 60000

/* Sweep expired offers, wrap-ups, affinity waits and sessions past max_wait (dispatcher).
 * counts: offers expired, wrap-ups ended, affinity waits released, sessions expired. */
/* oq_sweep's counts: offers expired, wrap-ups ended, affinity waits released, sessions
 * expired (max_wait), ended sessions retired (their retention over), service-level
 * alerts fired, follow-ups opened */
#define OQ_SWEEP_COUNTS 7
int oq_sweep(int max, int counts[OQ_SWEEP_COUNTS]);

/* Raw call for read-only RPC helpers: returns the reply or NULL with oq_last_error() set;
 * an error reply is converted to NULL too. *rc gets the OMNIQ_* code. */
redisReply *oq_call(const char *fn, int argc, const str *argv, int *rc);

/* What a library function answers (docs/redis-model.md): OK, a stream entry id, an array
 * of at least two strings ([sid, state, ...]), a flat [name, value, ...] array. */
typedef enum {
	OQ_R_OK, OQ_R_ID, OQ_R_STRINGS, OQ_R_FLAT
} oq_reply_kind_t;
int oq_reply_is(const redisReply *r, oq_reply_kind_t want);
const char *oq_reply_kind_name(oq_reply_kind_t want);
/* A call whose answer is only checked for its kind: OMNIQ_OK or the call's error. */
int oq_call_checked(const char *fn, int argc, const str *argv, oq_reply_kind_t want);
/* fn answered r, which is not what `expected` says: the library is not the one this module
 * loaded, or has a bug. Logged once here with what came and what was expected; the caller
 * does nothing more with the reply (no follow-up write) and answers OMNIQ_EINTERNAL. */
int oq_bad_reply(const char *fn, const redisReply *r, const char *expected);

/* OMNIQ_EARG with "<what>: <why>" as the last error: a refused argument, nothing written. */
int oq_bad_arg(const char *what, const char *why);
/* OMNIQ_OK, or OMNIQ_EARG when v is not text of that kind (oq_check_text: its limit, no
 * control characters); NULL, or a str without s, is not given: "". */
int oq_text_arg(oq_text_t kind, const str *v);

const char *oq_strerror(int code);
const char *oq_last_error(void);
void oq_set_error(int code, const char *fmt, ...);

#endif
