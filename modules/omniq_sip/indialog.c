/*
 * indialog.c - see indialog.h.
 */
#include <dlfcn.h>
#include <stdio.h>

#include "core/dprint.h"
#include "core/sr_module.h"
#include "core/ut.h"
#include "modules/tm/dlg.h"

#include "os.h"
#include "indialog.h"

typedef dlg_cell_t *(*lookup_f)(unsigned int h_entry, unsigned int h_id);
typedef dlg_t *(*build_dlg_t_f)(dlg_cell_t *cell, int dir);
typedef int (*free_tm_dlg_f)(dlg_t *td);
typedef int (*update_cseq_f)(dlg_cell_t *dlg, unsigned int leg, str *cseq);
typedef int (*bye_f)(dlg_cell_t *dlg, str *hdrs, int side);
typedef int (*timeout_f)(dlg_cell_t *dlg, int timeout);

static lookup_f lookup = NULL;
static dlg_table_t **table = NULL;
static build_dlg_t_f build_dlg = NULL;
static free_tm_dlg_f free_td = NULL;
static update_cseq_f update_cseq = NULL;
static bye_f bye = NULL;
static timeout_f set_timeout = NULL;

int os_indialog_init(void)
{
	sr_module_t *m = find_module_by_name("dialog");

	if(m == NULL || m->handle == NULL
			|| (lookup = (lookup_f)dlsym(m->handle, "dlg_lookup")) == NULL
			|| (table = (dlg_table_t **)dlsym(m->handle, "d_table")) == NULL
			|| (build_dlg = (build_dlg_t_f)dlsym(m->handle, "build_dlg_t")) == NULL
			|| (free_td = (free_tm_dlg_f)dlsym(m->handle, "free_tm_dlg")) == NULL
			|| (update_cseq = (update_cseq_f)dlsym(m->handle, "dlg_update_cseq")) == NULL
			|| (bye = (bye_f)dlsym(m->handle, "dlg_bye")) == NULL
			|| (set_timeout = (timeout_f)dlsym(m->handle, "update_dlg_timeout")) == NULL) {
		LM_ERR("the dialog module lacks dlg_lookup, d_table, build_dlg_t, free_tm_dlg, "
			   "dlg_update_cseq, dlg_bye or update_dlg_timeout: a call closed from a desk "
			   "could not be hung up, nor transferred or surveyed\n");
		return -1;
	}
	return 0;
}

dlg_cell_t *os_dlg_find(unsigned int h_entry, unsigned int h_id)
{
	return lookup(h_entry, h_id);
}

void os_dlg_lock(dlg_cell_t *dlg)
{
	dlg_lock(*table, &(*table)->entries[dlg->h_entry]);
}

void os_dlg_unlock(dlg_cell_t *dlg)
{
	dlg_unlock(*table, &(*table)->entries[dlg->h_entry]);
}

int os_dlg_send(dlg_cell_t *dlg, int leg, str *method, str *hdrs, transaction_cb *cb,
		void *param, int flags)
{
	char num[INT2STR_MAX_LEN];
	uac_req_t uac_r;
	dlg_t *td;
	str cseq;
	int rc;

	os_dlg_lock(dlg);
	if(dlg->state != DLG_STATE_CONFIRMED_NA && dlg->state != DLG_STATE_CONFIRMED) {
		os_dlg_unlock(dlg);
		LM_NOTICE("%.*s not sent: the dialog is no longer confirmed\n", method->len,
				method->s);
		return -1;
	}
	/* loc_seq: the other leg's last CSeq ("0" until it sent one); tm sends it + 1 */
	if((td = build_dlg(dlg, leg)) == NULL) {
		os_dlg_unlock(dlg);
		LM_ERR("%.*s not sent: the dialog's route set, contact or CSeq is not usable\n",
				method->len, method->s);
		return -1;
	}
	set_uac_req(&uac_r, method, hdrs, NULL, td,
			TMCB_LOCAL_COMPLETED
					| ((flags & OS_DLG_OWN_ACK) ? TMCB_DONT_ACK | TMCB_LOCAL_RESPONSE_IN : 0),
			cb, param);
	rc = os_tmb.t_request_within(&uac_r);
	if(rc >= 0) {
		cseq.s = int2strbuf(td->loc_seq.value, num, sizeof(num), &cseq.len);
		if(update_cseq(dlg, leg == DLG_CALLER_LEG ? DLG_CALLEE_LEG : DLG_CALLER_LEG, &cseq) < 0)
			LM_ERR("%.*s sent with CSeq %.*s, which the dialog could not keep: its BYE may "
				   "be refused\n",
					method->len, method->s, cseq.len, cseq.s);
	}
	os_dlg_unlock(dlg);
	free_td(td);
	if(rc < 0) {
		LM_ERR("%.*s not sent: tm refused it (%d)\n", method->len, method->s, rc);
		return -1;
	}
	return 0;
}

int os_dlg_bye(dlg_cell_t *dlg, int leg)
{
	int rc;

	os_dlg_lock(dlg);
	rc = bye(dlg, NULL, leg);
	os_dlg_unlock(dlg);
	return rc < 0 ? -1 : 0;
}

void os_dlg_expire(dlg_cell_t *dlg)
{
	/* update_dlg_timeout releases a reference to the dialog: its own, taken here */
	dlg_cell_t *ref = lookup(dlg->h_entry, dlg->h_id);

	if(ref == NULL)
		return; /* gone already */
	if(set_timeout(ref, 1) < 0)
		LM_NOTICE("a dialog that is over keeps its record until its own timeout\n");
}

int os_dlg_here(dlg_cell_t *dlg, int leg, const char *user, char *out, int size)
{
	return os_sock_uri(dlg->bind_addr[leg], user, out, size);
}

int os_sock_uri(struct socket_info *si, const char *user, char *out, int size)
{
	str host, port;
	int v6, n;

	if(si == NULL)
		return -1;
	host = si->useinfo.name.len > 0 ? si->useinfo.name : si->address_str;
	port = si->useinfo.port_no_str.len > 0 ? si->useinfo.port_no_str : si->port_no_str;
	v6 = si->address.af == AF_INET6 && host.s[0] != '[';
	n = snprintf(out, size, "sip:%s%s%s%.*s%s:%.*s%s%s", user ? user : "", user ? "@" : "",
			v6 ? "[" : "", host.len, host.s, v6 ? "]" : "", port.len, port.s,
			si->proto == PROTO_UDP ? "" : ";transport=",
			si->proto == PROTO_UDP ? "" : proto2a(si->proto));
	return n > 0 && n < size ? n : -1;
}
