-- KEMI routing: every omniq cfg function is KSR.omniq.<name> here.
function ksr_request_route()
	if KSR.is_MESSAGE() and KSR.pv.get("$hdr(X-Alert-Account)") then
		-- a staff alert over WeChat (omniq_wechat loaded: test_wechat.py)
		local rc = KSR.omniq_wechat.alert(KSR.pv.get("$hdr(X-Alert-Account)"),
			KSR.pv.get("$hdr(X-Alert-To)"), KSR.pv.get("$rb"))
		if rc == 1 then
			KSR.sl.sl_send_reply(202, "Alert Queued")
		else
			KSR.sl.sl_send_reply(400, "Alert Refused " .. rc)
		end
		return
	end
	if KSR.is_MESSAGE() then
		local ch = KSR.pv.get("$hdr(X-Channel)")
		local id = KSR.pv.get("$hdr(X-Identity)")
		local rc = KSR.omniq.enqueue(ch, id, "", 0)
		if rc < 0 then
			KSR.sl.sl_send_reply(400, "Bad Request")
			return
		end
		KSR.hdr.append_to_reply("X-Omniq-Session: " .. KSR.pv.get("$oq(sid)") .. "\r\n")
		KSR.sl.sl_send_reply(200, "OK")
		return
	end
	KSR.sl.sl_send_reply(501, "Not Implemented")
end

-- omniq events (no event_route in a KEMI script): evname is "omniq:<type>".
function ksr_omniq_event(evname)
	-- $oq(sid) is null for events of no session (a staff alert's delivery)
	KSR.info("omniq event " .. evname .. " sid " .. (KSR.pv.get("$oq(sid)") or "") .. "\n")
end
