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

static lookup_f lookup = NULL;
static dlg_table_t **table = NULL;
static build_dlg_t_f build_dlg = NULL;
static free_tm_dlg_f free_td = NULL;
static update_cseq_f update_cseq = NULL;

int os_indialog_init(void)
{
	sr_module_t *m = find_module_by_name("dialog");

	if(m == NULL || m->handle == NULL
			|| (lookup = (lookup_f)dlsym(m->handle, "dlg_lookup")) == NULL
			|| (table = (dlg_table_t **)dlsym(m->handle, "d_table")) == NULL
			|| (build_dlg = (build_dlg_t_f)dlsym(m->handle, "build_dlg_t")) == NULL
			|| (free_td = (free_tm_dlg_f)dlsym(m->handle, "free_tm_dlg")) == NULL
			|| (update_cseq = (update_cseq_f)dlsym(m->handle, "dlg_update_cseq")) == NULL) {
		LM_ERR("the dialog module lacks dlg_lookup, d_table, build_dlg_t, free_tm_dlg or "
			   "dlg_update_cseq: a call closed from a desk could not be hung up, nor "
			   "transferred\n");
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
		void *param)
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
	set_uac_req(&uac_r, method, hdrs, NULL, td, TMCB_LOCAL_COMPLETED, cb, param);
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
