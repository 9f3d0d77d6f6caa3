/* oq_rpc.h - kamcmd omniq.* commands (see docs/admin.md for each; each file registers its
 * own in mod_init), and the answer helpers every command file shares (oq_rpc_util.c). */
#ifndef OQ_RPC_H
#define OQ_RPC_H

#include "core/rpc.h"
#include <hiredis/hiredis.h>
#include "core/str.h"

struct redisReply;

int oq_rpc_register(void);
int oq_rpc_sla_register(void);
/* fn (a library delete of one name: the count removed) as OMNIQ_OK, or OMNIQ_ENOTFOUND
 * naming what: kamcmd's deletes and the API's */
int oq_delete(const char *fn, const str *name, const char *what);
/* api.sla_set and api.hours_set (omniq_api.h), beside their kamcmd commands */
int oq_sla_set(const str *name, int n, const str *fields, const str *values);
int oq_closed_callback(const str *queue, int on);
int oq_hours_set(const str *queue, const str *tz, const str *week, const str *except,
		const str *notice);
/* api.tier_set and api.region_prefix_set, in oq_rpc_value.c */
int oq_tier_set(const str *name, int priority, const str *skills);
int oq_region_prefix_set(const str *prefix, const str *region);
int oq_region_queue_set(const str *queue, const str *region, const str *target);
/* api.sla_ack (omniq_api.h), in oq_rpc_sla.c beside its kamcmd command */
int oq_sla_ack(const str *sid, const str *agent, int told);
int oq_rpc_value_register(void);
/* api.survey_answer and kamcmd omniq.survey_* (oq_rpc_measures.c) */
int oq_survey_voice(const str *sid, int can, int *kind, char *why, int size);
int oq_survey_answer(const str *sid, const str *token, int csat, int nps, const str *comment,
		char *thanks, int size);
/* Each tenant's survey key (its links' tokens are signed with it): made at random once,
 * kept in Redis (the mod_init of omniq) */
int oq_survey_keys(void);
int oq_rpc_measures_register(void);

/* An optional string argument: 1 and *out when given, else 0 and *out "" (binrpc leaves a
 * warning text in an argument it did not read, which must never be taken for a value) */
/* "-" as an empty value: kamcmd cannot pass an empty string, and some arguments mean
 * "none" when empty (a queue's role, a follow-up's session or customer) */
void oq_rpc_dash(str *s);
int oq_rpc_opt(rpc_t *rpc, void *c, str *out);
/* the error of the last call, as a fault with its HTTP-like status */
void oq_rpc_fail(rpc_t *rpc, void *c, int rc);
/* "ok", or the fault of rc < 0 */
void oq_rpc_done(rpc_t *rpc, void *c, int rc);
/* fn's flat [k, v, ...] answer as one struct (an empty one is 404; _all: a listing, an
 * empty one is an empty struct) */
void oq_rpc_struct(rpc_t *rpc, void *c, const char *fn, int argc, str *argv);
void oq_rpc_struct_all(rpc_t *rpc, void *c, const char *fn, int argc, str *argv);
/* the same, with empty_is_404 saying which of the two */
void oq_rpc_struct_ex(rpc_t *rpc, void *c, const char *fn, int argc, str *argv,
		int empty_is_404);
/* fn's list of records as an array of structs */
void oq_rpc_list(rpc_t *rpc, void *c, const char *fn, int argc, str *argv);
/* The same, for the reply r of a call made already (NULL: it failed with rc). Frees r. */
void oq_rpc_list_reply(rpc_t *rpc, void *c, const char *fn, redisReply *r, int rc);
/* The transport took no more of fn's answer of n values: a 500 fault, and why in the log */
void oq_rpc_too_large(rpc_t *rpc, void *c, const char *fn, size_t n);
/* One argument, the name of what fn deletes (its reply: 1 deleted, 0 there was none):
 * "ok", or 404 "<what> <name> not found" */
void oq_rpc_delete(rpc_t *rpc, void *c, const char *fn, const char *what);
/* name field value [field value ...], at most `fields` pairs (each field of the record once;
 * what is past them is not read), for fn, which makes or changes a named record of fields
 * (a service-level policy, a follow-up rule, a queue's survey: the library's U.named_set):
 * "ok", or its error. fields: at most OQ_SLA_FIELDS_MAX. */
void oq_rpc_named_set(rpc_t *rpc, void *c, const char *fn, int fields);
/* [k, v, ...] added to struct st; a list of records added to array arr. -1 when the
 * transport took no more. */
int oq_rpc_flat(rpc_t *rpc, void *st, struct redisReply *r);
int oq_rpc_records(rpc_t *rpc, void *arr, struct redisReply *r);

#endif
