/*
 * hangup.c - see hangup.h.
 */
#include <string.h>

#include "core/dprint.h"

#include "os.h"
#include "hangup.h"
#include "indialog.h"
#include "survey.h"

void os_hangup(const omniq_event_t *ev, unsigned int h_entry, unsigned int h_id)
{
	dlg_cell_t *dlg = os_dlg_find(h_entry, h_id);
	unsigned int state;
	int rc;

	if(dlg == NULL)
		return; /* ended already (BYE, timeout): the close came from it */
	if(os_survey_holds(h_entry, h_id)
			|| (dlg->dflags & (DLG_FLAG_CALLERBYE | DLG_FLAG_CALLEEBYE))
					   == (DLG_FLAG_CALLERBYE | DLG_FLAG_CALLEEBYE)) {
		/* its agent gone, the caller asked the survey; or both have hung up after it */
		os_dlgb.release_dlg(dlg);
		return;
	}
	state = dlg->state;
	if(state == DLG_STATE_CONFIRMED_NA || state == DLG_STATE_CONFIRMED) {
		/* dlg_bye_all sends the caller's BYE, then the callee's, and refuses the second once
		 * the dialog is no longer confirmed: a 200 to the first, handled by another process
		 * in between (a busy machine), deleted the dialog and the agent's phone kept the
		 * call. The dialog's entry lock (re-entrant for this process) holds that reply back
		 * until both BYEs are out. */
		os_dlg_lock(dlg);
		rc = os_dlgb.terminate_dlg(dlg, NULL);
		os_dlg_unlock(dlg);
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
