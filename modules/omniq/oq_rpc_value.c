/*
 * oq_rpc_value.c - kamcmd omniq.tier*, omniq.region_prefix* and omniq.region_queue*
 * (lua/75_value.lua;
 * docs/admin.md, "Routing by value and region").
 */
#include <stdio.h>

#include "core/rpc.h"
#include "core/rpc_lookup.h"
#include "core/dprint.h"

#include "oq_core.h"
#include "oq_rpc.h"

int oq_tier_set(const str *name, int priority, const str *skills)
{
	char p[16];
	str a[3];

	if(name == NULL || skills == NULL)
		return oq_bad_arg("tier", "a name and skills (may be empty) are required");
	a[0] = *name;
	a[1].s = p;
	a[1].len = snprintf(p, sizeof(p), "%d", priority);
	a[2] = *skills;
	return oq_call_checked("oq_tier_set", 3, a, OQ_R_OK);
}

int oq_region_prefix_set(const str *prefix, const str *region)
{
	static const str none = str_init("");
	str a[2];

	if(prefix == NULL)
		return oq_bad_arg("prefix", "missing");
	a[0] = *prefix;
	a[1] = region && region->s ? *region : none;
	return oq_call_checked("oq_region_prefix_set", 2, a, OQ_R_OK);
}

int oq_region_queue_set(const str *queue, const str *region, const str *target)
{
	static const str none = str_init("");
	str a[3];

	if(queue == NULL || region == NULL)
		return oq_bad_arg("queue", "a queue and a region are required");
	a[0] = *queue;
	a[1] = *region;
	a[2] = target && target->s ? *target : none;
	return oq_call_checked("oq_region_queue_set", 3, a, OQ_R_OK);
}

static const char *rpc_tier_set_doc[] = {
	"A customer tier's routing: name priority skills (priority added, skills required; - none)", 0};
static void rpc_tier_set(rpc_t *rpc, void *c)
{
	str a[3];

	if(rpc->scan(c, ".S.S.S", &a[0], &a[1], &a[2]) < 3)
		return;
	oq_rpc_dash(&a[2]);
	oq_rpc_done(rpc, c, oq_call_checked("oq_tier_set", 3, a, OQ_R_OK));
}

static const char *rpc_tier_del_doc[] = {"Remove a customer tier's routing: name", 0};
static void rpc_tier_del(rpc_t *rpc, void *c)
{
	oq_rpc_delete(rpc, c, "oq_tier_del", "tier");
}

static const char *rpc_tiers_doc[] = {"The customer tiers' routing", 0};
static void rpc_tiers(rpc_t *rpc, void *c)
{
	oq_rpc_list(rpc, c, "oq_tier_list", 0, NULL);
}

static const char *rpc_region_prefix_set_doc[] = {
	"The region of phone numbers starting with prefix: prefix region (- removes)", 0};
static void rpc_region_prefix_set(rpc_t *rpc, void *c)
{
	str a[2];

	if(rpc->scan(c, ".S.S", &a[0], &a[1]) < 2)
		return;
	oq_rpc_dash(&a[1]);
	oq_rpc_done(rpc, c, oq_region_prefix_set(&a[0], &a[1]));
}

static const char *rpc_region_prefixes_doc[] = {"The phone-number prefixes' regions", 0};
static void rpc_region_prefixes(rpc_t *rpc, void *c)
{
	oq_rpc_struct_all(rpc, c, "oq_region_prefix_list", 0, NULL);
}

static const char *rpc_region_queue_set_doc[] = {
	"The queue of a region's team for sessions coming to a queue: queue region target "
	"(- removes)", 0};
static void rpc_region_queue_set(rpc_t *rpc, void *c)
{
	str a[3];

	if(rpc->scan(c, ".S.S.S", &a[0], &a[1], &a[2]) < 3)
		return;
	oq_rpc_dash(&a[2]);
	oq_rpc_done(rpc, c, oq_region_queue_set(&a[0], &a[1], &a[2]));
}

static const char *rpc_region_queues_doc[] = {"The regional queues", 0};
static void rpc_region_queues(rpc_t *rpc, void *c)
{
	oq_rpc_list(rpc, c, "oq_region_queue_list", 0, NULL);
}

/* clang-format off */
static rpc_export_t rpc_value_cmds[] = {
	{"omniq.tier_set", rpc_tier_set, rpc_tier_set_doc, 0},
	{"omniq.tier_del", rpc_tier_del, rpc_tier_del_doc, 0},
	{"omniq.tiers", rpc_tiers, rpc_tiers_doc, 0},
	{"omniq.region_prefix_set", rpc_region_prefix_set, rpc_region_prefix_set_doc, 0},
	{"omniq.region_prefixes", rpc_region_prefixes, rpc_region_prefixes_doc, 0},
	{"omniq.region_queue_set", rpc_region_queue_set, rpc_region_queue_set_doc, 0},
	{"omniq.region_queues", rpc_region_queues, rpc_region_queues_doc, 0},
	{0, 0, 0, 0}
};
/* clang-format on */

int oq_rpc_value_register(void)
{
	if(rpc_register_array(rpc_value_cmds) != 0) {
		LM_ERR("cannot register the tier and region RPC commands\n");
		return -1;
	}
	return 0;
}
