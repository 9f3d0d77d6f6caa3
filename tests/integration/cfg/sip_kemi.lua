-- KEMI routing for phone queues: KSR.omniq_sip.call(queue) answers every error itself.
function ksr_request_route()
	if KSR.is_REGISTER() then
		KSR.registrar.save("location", 0)
		return
	end
	if KSR.is_CANCEL() then
		if KSR.tm.t_check_trans() > 0 then KSR.tm.t_relay() end
		return
	end
	if KSR.siputils.has_totag() > 0 then
		if KSR.is_INFO() and KSR.omniq_sip.dtmf() > 0 then
			return
		end
		if KSR.is_BYE() and KSR.omniq_sip.survey() > 0 then
			return
		end
		if KSR.rr.loose_route() > 0 then
			KSR.tm.t_relay()
		elseif KSR.is_ACK() and KSR.tm.t_check_trans() > 0 then
			KSR.tm.t_relay()
		elseif KSR.dialog.is_known_dlg() > 0 then
			-- no Route (a UA that ignores Record-Route): the dialog, by Call-ID and tags
			KSR.dialog.dlg_manage()
			KSR.tm.t_relay()
		elseif not KSR.is_ACK() then
			KSR.sl.sl_send_reply(404, "Not Here")
		end
		return
	end
	if KSR.is_INVITE() then
		KSR.rr.record_route()
		KSR.omniq_sip.call(KSR.pv.get("$rU"))
		return
	end
	KSR.sl.sl_send_reply(405, "Method Not Allowed")
end
