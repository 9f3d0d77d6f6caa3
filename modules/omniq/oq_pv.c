/*
 * oq_pv.c - the $oq(...) pseudo-variable. A process runs one request at a time, so one static
 * record per process is exactly the "current" session of the script being run.
 */
#include <string.h>
#include <stdio.h>

#include "core/dprint.h"

#include "oq_pv.h"
#include "oq_core.h"

enum { OQ_PV_SID = 1, OQ_PV_STATE, OQ_PV_AGENT, OQ_PV_CUSTOMER, OQ_PV_CHANNEL, OQ_PV_POSITION,
	OQ_PV_EST_WAIT, OQ_PV_RC, OQ_PV_ERROR, OQ_PV_TYPE, OQ_PV_EXT, OQ_PV_TENANT };

static omniq_session_info_t cur;
static int cur_rc;
static char cur_type[16];
static char cur_ext[OQ_TEXT_MAX + 1]; /* a session's ext, whole */

static const struct { const char *name; int id; } names[] = {
	{"sid", OQ_PV_SID}, {"state", OQ_PV_STATE}, {"agent", OQ_PV_AGENT},
	{"customer", OQ_PV_CUSTOMER}, {"channel", OQ_PV_CHANNEL}, {"position", OQ_PV_POSITION},
	{"est_wait", OQ_PV_EST_WAIT}, {"rc", OQ_PV_RC}, {"error", OQ_PV_ERROR},
	{"type", OQ_PV_TYPE}, {"ext", OQ_PV_EXT}, {"tenant", OQ_PV_TENANT},
};

int pv_parse_oq_name(pv_spec_t *sp, str *in)
{
	unsigned i;
	if(sp == NULL || in == NULL || in->len <= 0)
		return -1;
	for(i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if(strlen(names[i].name) == (size_t)in->len
				&& !strncmp(names[i].name, in->s, in->len)) {
			sp->pvp.pvn.type = PV_NAME_INTSTR;
			sp->pvp.pvn.u.isname.type = 0;
			sp->pvp.pvn.u.isname.name.n = names[i].id;
			return 0;
		}
	}
	LM_ERR("unknown $oq(%.*s): use sid, state, agent, customer, channel, position, est_wait, "
		   "rc, error, type, ext or tenant\n", in->len, in->s);
	return -1;
}

static int pv_str(struct sip_msg *msg, pv_param_t *param, pv_value_t *res, char *s)
{
	str v;
	if(s[0] == '\0')
		return pv_get_null(msg, param, res);
	v.s = s;
	v.len = strlen(s);
	return pv_get_strval(msg, param, res, &v);
}

int pv_get_oq(struct sip_msg *msg, pv_param_t *param, pv_value_t *res)
{
	switch(param->pvn.u.isname.name.n) {
		case OQ_PV_SID: return pv_str(msg, param, res, cur.sid);
		case OQ_PV_STATE: return pv_str(msg, param, res, cur.state);
		case OQ_PV_AGENT: return pv_str(msg, param, res, cur.agent);
		case OQ_PV_CUSTOMER: return pv_str(msg, param, res, cur.customer);
		case OQ_PV_CHANNEL: return pv_str(msg, param, res, cur.channel);
		case OQ_PV_POSITION: return pv_get_sintval(msg, param, res, cur.position);
		case OQ_PV_EST_WAIT: return pv_get_sintval(msg, param, res, cur.est_wait_s);
		case OQ_PV_RC: return pv_get_sintval(msg, param, res, cur_rc);
		case OQ_PV_ERROR:
			return cur_rc < 0 ? pv_str(msg, param, res, (char *)oq_last_error())
							  : pv_get_null(msg, param, res);
		case OQ_PV_TYPE: return pv_str(msg, param, res, cur_type);
		case OQ_PV_EXT: return pv_str(msg, param, res, cur_ext);
		case OQ_PV_TENANT: {
			str name;
			oq_tenant_at(oq_tenant_index(), &name, NULL);
			return pv_get_strval(msg, param, res, &name);
		}
	}
	return pv_get_null(msg, param, res);
}

/* A call that returns no session (accept, close...) keeps the current one, so a script can
 * chain omniq_accept("$oq(sid)", ...) and omniq_close("$oq(sid)") in an event route. */
void oq_pv_set(int rc, const omniq_session_info_t *info)
{
	cur_rc = rc;
	if(info)
		cur = *info;
}

static void copy_str(char *dst, size_t sz, const str *s)
{
	snprintf(dst, sz, "%.*s", s->s ? s->len : 0, s->s ? s->s : "");
}

void oq_pv_set_event(const omniq_event_t *ev)
{
	memset(&cur, 0, sizeof(cur));
	cur_rc = 0;
	copy_str(cur.sid, sizeof(cur.sid), &ev->sid);
	copy_str(cur.state, sizeof(cur.state), &ev->state);
	copy_str(cur.agent, sizeof(cur.agent), &ev->agent);
	copy_str(cur.channel, sizeof(cur.channel), &ev->channel);
	copy_str(cur_type, sizeof(cur_type), &ev->type);
	copy_str(cur_ext, sizeof(cur_ext), &ev->ext);
}
