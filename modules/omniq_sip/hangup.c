/*
 * hangup.c - see hangup.h.
 */
#include <dlfcn.h>
#include <string.h>

#include "core/dprint.h"
#include "core/pt.h"
#include "core/sr_module.h"
#include "modules/dialog/dlg_hash.h"

#include "os.h"
#include "hangup.h"

/* the dialog module's own lookup by (h_entry, h_id), with a reference taken; it is not in
 * its API (dlg_binds), so it is found among the module's symbols */
typedef dlg_cell_t *(*lookup_f)(unsigned int h_entry, unsigned int h_id);
static lookup_f lookup = NULL;
/* ... and its table, whose entry lock the hang-up holds (below) */
static dlg_table_t **table = NULL;

int os_hangup_init(void)
{
	sr_module_t *m = find_module_by_name("dialog");

	if(m == NULL || m->handle == NULL
			|| (lookup = (lookup_f)dlsym(m->handle, "dlg_lookup")) == NULL
			|| (table = (dlg_table_t **)dlsym(m->handle, "d_table")) == NULL) {
		LM_ERR("the dialog module has no dlg_lookup or d_table: a call closed from a desk or "
			   "RPC could not be hung up\n");
		return -1;
	}
	return 0;
}

void os_hangup(const omniq_event_t *ev, unsigned int h_entry, unsigned int h_id)
{
	dlg_cell_t *dlg = lookup(h_entry, h_id);
	unsigned int state;
	int rc;

	if(dlg == NULL)
		return; /* ended already (BYE, timeout): the close came from it */
	state = dlg->state;
	if(state == DLG_STATE_CONFIRMED_NA || state == DLG_STATE_CONFIRMED) {
		/* dlg_bye_all sends the caller's BYE, then the callee's, and refuses the second once
		 * the dialog is no longer confirmed: a 200 to the first, handled by another process
		 * in between (a busy machine), deleted the dialog and the agent's phone kept the
		 * call. The dialog's entry lock (re-entrant for this process) holds that reply back
		 * until both BYEs are out. */
		dlg_lock(*table, &(*table)->entries[dlg->h_entry]);
		rc = os_dlgb.terminate_dlg(dlg, NULL);
		dlg_unlock(*table, &(*table)->entries[dlg->h_entry]);
		if(rc < 0)
			LM_ERR("call %.*s: its session was closed but the call could not be hung up\n",
					ev->sid.len, ev->sid.s);
		else {
			LM_INFO("call %.*s: its session was closed (%.*s): hung up, BYE on both legs\n",
					ev->sid.len, ev->sid.s, ev->type.len, ev->type.s);
			os_stat_inc(OS_ST_HUNG_UP);
		}
	}
	os_dlgb.release_dlg(dlg);
}
