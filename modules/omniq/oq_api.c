/*
 * oq_api.c - bind_omniq(): fills the struct of function pointers channel modules call
 * (include/omniq/omniq_api.h). Each member is the same core function the cfg script uses.
 */
#include "oq_core.h"
#include "oq_stop.h"
#include "oq_followup.h"
#include "oq_rpc.h"
#include "oq_outbound.h"
#include "oq_driver.h"
#include "oq_hooks.h"
#include "oq_redis.h"
#include "oq_resp.h"
#include "oq_events.h"
#include "oq_dispatch.h"

/* The public limits (omniq_limits.h, an API promise) are limits.def's: the build stops
 * here when they part. */
_Static_assert(OMNIQ_ID_MAX == OQ_ID_MAX, "OMNIQ_ID_MAX is not limits.def's ID_MAX");
_Static_assert(OMNIQ_SLA_FIELDS_MAX == OQ_SLA_FIELDS_MAX, "OMNIQ_SLA_FIELDS_MAX is not limits.def's");
_Static_assert(OMNIQ_XFER_TOKEN_MIN == OQ_XFER_TOKEN_MIN && OMNIQ_XFER_TOKEN_MAX == OQ_XFER_TOKEN_MAX
					   && OMNIQ_XFER_MOVED_MAX == OQ_XFER_MOVED_MAX,
		"the transfer tokens' limits are not limits.def's");
_Static_assert(OMNIQ_SID_MAX > OQ_SID_DIGITS_MAX, "OMNIQ_SID_MAX cannot hold an id and its NUL");
_Static_assert(OMNIQ_CHANNEL_MAX == OQ_CHANNEL_MAX, "OMNIQ_CHANNEL_MAX is not limits.def's");
_Static_assert(OMNIQ_PRIORITY_MAX == OQ_PRIORITY_MAX, "OMNIQ_PRIORITY_MAX is not limits.def's");
_Static_assert(OMNIQ_TEXT_MAX == OQ_TEXT_MAX, "OMNIQ_TEXT_MAX is not limits.def's");
_Static_assert(OMNIQ_IDENTITY_MAX == OQ_IDENTITY_MAX, "OMNIQ_IDENTITY_MAX is not limits.def's");
_Static_assert(OMNIQ_CID_MAX == OQ_CID_MAX, "OMNIQ_CID_MAX is not limits.def's");
_Static_assert(OMNIQ_BODY_MAX == OQ_BODY_MAX, "OMNIQ_BODY_MAX is not limits.def's");
_Static_assert(OMNIQ_PROVIDER_ID_MAX == OQ_PROVIDER_ID_MAX, "OMNIQ_PROVIDER_ID_MAX is not limits.def's");
_Static_assert(OMNIQ_REASON_MAX == OQ_REASON_MAX, "OMNIQ_REASON_MAX is not limits.def's");
_Static_assert(OMNIQ_SKILLS_BUF == OQ_SKILLS_BUF, "OMNIQ_SKILLS_BUF is not limits.def's skill bounds");
_Static_assert(OMNIQ_MEDIA_MAX == OQ_MEDIA_MAX, "OMNIQ_MEDIA_MAX is not limits.def's");
_Static_assert(OMNIQ_CHAN_NAMES_MAX == OQ_CHAN_NAMES_MAX, "OMNIQ_CHAN_NAMES_MAX is not limits.def's");

static void conn_info(omniq_conn_info_t *out)
{
	out->host = oq_redis_cfg.host;
	out->port = oq_redis_cfg.port;
	out->password = oq_redis_cfg.password;
	out->db = oq_redis_cfg.db;
	oq_tenant_at(0, NULL, &out->prefix);
}

static redisContext *redis_connect(const omniq_conn_info_t *conn, int timeout_ms, char *why,
		int size)
{
	return oq_redis_open(conn->host, conn->port, conn->password, conn->db, timeout_ms, why,
			(size_t)size);
}

static int redis_reply(redisContext *c, void **reply)
{
	return oq_redis_get_reply(c, (redisReply **)reply);
}

static int library_load(redisContext *c, char *why, int size)
{
	return oq_redis_library_load_on(c, why, size > 0 ? (size_t)size : 0);
}

static int redis_append(redisContext *c, int argc, const char **argv, const size_t *argvlen)
{
	return oq_redis_append_argv(c, argc, argv, argvlen);
}

static int sla_del(const str *name)
{
	return oq_delete("oq_sla_del", name, "policy");
}

static int hours_del(const str *queue)
{
	return oq_delete("oq_hours_del", queue, "business hours of queue");
}

static int tier_del(const str *name)
{
	return oq_delete("oq_tier_del", name, "tier");
}

int bind_omniq(omniq_api_t *api)
{
	if(api == NULL)
		return -1;
	api->version = OMNIQ_API_VERSION;
	api->register_driver = oq_driver_register;
	api->open = oq_enqueue;
	api->append = oq_append;
	api->reply = oq_reply;
	api->accept = oq_accept;
	api->decline = oq_decline;
	api->close = oq_close;
	api->abandon = oq_abandon;
	api->get = oq_get;
	api->strerror = oq_strerror;
	api->last_error = oq_last_error;
	api->miss = oq_miss;
	api->expire = oq_expire;
	api->conn_info = conn_info;
	api->transcript = oq_transcript_each;
	api->query = oq_query;
	api->agent_set = oq_agent_set;
	api->agent_state = oq_agent_state;
	api->transfer = oq_transfer;
	api->session_set = oq_session_set;
	api->agent_password = oq_agent_password;
	api->agent_verify = oq_agent_verify;
	api->login_try = oq_login_try;
	api->login_done = oq_login_done;
	api->typing = oq_typing;
	api->append_once = oq_append_once;
	api->presence = oq_presence;
	api->online = oq_online;
	api->outbox_add = oq_outbox_add;
	api->customer_set = oq_customer_set;
	api->link = oq_link;
	api->merge = oq_merge;
	api->ingest = oq_ingest;
	api->tenant_use = oq_tenant_use;
	api->tenant_at = oq_tenant_at;
	api->tenant_use_index = oq_tenant_use_index;
	api->register_http_route = oq_hook_register;
	api->http_route_find = oq_hook_find;
	api->append_many = oq_append_many;
	api->append_many_write = oq_append_many_write;
	api->append_many_read = oq_append_many_read;
	api->redis_flush = oq_redis_flush;
	api->tenant_index = oq_tenant_index;
	api->redis_connect = redis_connect;
	api->redis_reply = redis_reply;
	api->events_check = oq_events_check;
	api->events_gap = oq_events_gap_report;
	api->open_node = oq_enqueue_node;
	api->node_lease = oq_node_lease;
	api->redis_append = redis_append;
	api->events_read = oq_events_read;
	api->library_missing = oq_redis_library_missing;
	api->library_load = library_load;
	api->agent_phone = oq_agent_phone;
	api->agent_token = oq_agent_token;
	api->agent_revoke = oq_agent_revoke;
	api->agent_update = oq_agent_update;
	api->pick = oq_pick;
	api->agent_role = oq_agent_role;
	api->open_live = oq_open_live;
	api->canned_set = oq_canned_set;
	api->register_sender = oq_sender_register;
	api->delivery_report = oq_delivery_report;
	api->transcript_read = oq_transcript_read;
	api->outbound_add = oq_outbound_add;
	api->chan_get = oq_chan_get;
	api->chan_set = oq_chan_set;
	api->chan_lease = oq_chan_lease;
	api->chan_part = oq_chan_part;
	api->chan_parts_due = oq_chan_parts_due;
	api->media_ref = oq_media_ref;
	api->media_open = oq_media_open;
	api->media_free = oq_media_free;
	api->media_put = oq_media_put;
	api->reply_typed = oq_reply_typed;
	api->ingest_thread = oq_ingest_thread;
	api->chan_get_first = oq_chan_get_first;
	api->chan_set_many = oq_chan_set_many;
	api->followup_add = oq_followup_add;
	api->followup_done = oq_followup_done;
	api->sla_ack = oq_sla_ack;
	api->sla_set = oq_sla_set;
	api->sla_del = sla_del;
	api->hours_set = oq_hours_set;
	api->hours_del = hours_del;
	api->tier_set = oq_tier_set;
	api->tier_del = tier_del;
	api->region_prefix_set = oq_region_prefix_set;
	api->callback = oq_callback;
	api->dial_claim = oq_dial_claim;
	api->region_queue_set = oq_region_queue_set;
	api->closed_callback = oq_closed_callback;
	api->survey_answer = oq_survey_answer;
	api->reply_held = oq_reply_held;
	api->transfer_call = oq_transfer_call;
	api->xfer_note = oq_xfer_note;
	api->transfer_token = oq_transfer_token;
	api->xfer_moved = oq_xfer_moved;
	api->stop_check = oq_stop_check;
	api->survey_voice = oq_survey_voice;
	api->close_info = oq_close_info;
	return 0;
}
