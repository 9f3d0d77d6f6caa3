-- test_faults.py through KEMI: faults.cfg's request_route as a Lua script, KSR.omniq.*.
local ops = {
	enqueue = function(a, b, c, d) return KSR.omniq.enqueue(a, b, c, 0) end,
	append = function(a, b, c, d) return KSR.omniq.append(a, b, c, d) end,
	reply = function(a, b, c, d) return KSR.omniq.reply(a, b, c) end,
	accept = function(a, b, c, d) return KSR.omniq.accept(a, b) end,
	decline = function(a, b, c, d) return KSR.omniq.decline(a, b) end,
	close = function(a, b, c, d) return KSR.omniq.close(a, b) end,
	abandon = function(a, b, c, d) return KSR.omniq.abandon(a) end,
	session = function(a, b, c, d) return KSR.omniq.session(a) end,
	agent_state = function(a, b, c, d) return KSR.omniq.agent_state(a, b) end,
	agent_set = function(a, b, c, d) return KSR.omniq.agent_set(a, b, c, d) end,
}

local function hdr(name)
	return KSR.pv.get("$hdr(" .. name .. ")") or ""
end

function ksr_request_route()
	if not KSR.is_MESSAGE() then
		KSR.sl.sl_send_reply(405, "Method Not Allowed")
		return
	end
	local op = ops[hdr("X-Op")]
	if op == nil then
		KSR.sl.sl_send_reply(400, "Unknown X-Op")
		return
	end
	local rc = op(hdr("X-A"), hdr("X-B"), hdr("X-C"), hdr("X-D"))
	KSR.hdr.append_to_reply("X-RC: " .. rc .. "\r\nX-Error: " .. (KSR.pv.get("$oq(error)") or "")
		.. "\r\nX-Sid: " .. (KSR.pv.get("$oq(sid)") or "") .. "\r\n")
	KSR.sl.sl_send_reply(200, "Done")
end
