/*
 * oq_rpc_survey.c - kamcmd omniq.survey_set, omniq.survey_del and omniq.surveys: the
 * surveys a tenant's customers are asked when their sessions end (lua/77_survey.lua;
 * docs/admin.md, "Surveys at the end").
 */
#include "core/rpc.h"
#include "core/rpc_lookup.h"
#include "core/dprint.h"

#include "oq_core.h"
#include "oq_rpc.h"

/* queue field value [field value ...]: each of the five fields once */
#define SURVEY_SET_ARGS (1 + 2 * 5)

static const char *rpc_survey_set_doc[] = {
		"Make or change a queue's survey ('*': every queue without its own): queue field "
		"value [field value ...]; fields kind (csat, nps, both), window (s), ask, ask_nps, "
		"thanks",
		0};
static void rpc_survey_set(rpc_t *rpc, void *c)
{
	str a[SURVEY_SET_ARGS];
	int n;

	if(rpc->scan(c, ".S.S.S", &a[0], &a[1], &a[2]) < 3)
		return;
	n = 3;
	while(n + 1 < SURVEY_SET_ARGS && rpc->scan(c, "*.S.S", &a[n], &a[n + 1]) == 2)
		n += 2;
	oq_rpc_done(rpc, c, oq_call_checked("oq_survey_set", n, a, OQ_R_OK));
}

static const char *rpc_survey_del_doc[] = {"Remove a queue's survey: queue", 0};
static void rpc_survey_del(rpc_t *rpc, void *c)
{
	oq_rpc_delete(rpc, c, "oq_survey_del", "survey");
}

static const char *rpc_surveys_doc[] = {"The tenant's surveys, by queue", 0};
static void rpc_surveys(rpc_t *rpc, void *c)
{
	oq_rpc_list(rpc, c, "oq_survey_list", 0, NULL);
}

/* clang-format off */
static rpc_export_t rpc_survey_cmds[] = {
	{"omniq.survey_set", rpc_survey_set, rpc_survey_set_doc, 0},
	{"omniq.survey_del", rpc_survey_del, rpc_survey_del_doc, 0},
	{"omniq.surveys", rpc_surveys, rpc_surveys_doc, 0},
	{0, 0, 0, 0}
};
/* clang-format on */

int oq_rpc_survey_register(void)
{
	if(rpc_register_array(rpc_survey_cmds) != 0) {
		LM_ERR("cannot register the survey RPC commands\n");
		return -1;
	}
	return 0;
}
