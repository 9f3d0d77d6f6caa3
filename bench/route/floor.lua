#!lua name=omniq_floor
-- floor.lua — the least any engine must write for one assignment cycle in omniq's data
-- model, as Redis functions called the way the engine's are (FCALL, one key, the same
-- arguments), so that bench/route can time it beside the engine on the same server, in
-- the same run, driven by the same code (cycle.c), and divide one by the other.
--
-- One cycle is three calls:
--   floor_enqueue channel class identity skills priority queue ext agent
--       the session id (INCR), its hash with the fields the engine writes for a session
--       offered on arrival, and two events (enqueue, offer) → [sid, offered, agent, 0, ""]
--   floor_accept sid agent     the state in the hash, one event (accept) → OK
--   floor_close sid disposition  the state in the hash, one event (close) → [sid, closed]
-- Every event goes to one stream, P:events, with the engine's fields (type sid agent state
-- channel ext). The clock is read as the library reads it (TIME, no number conversion).
--
-- What it leaves out, on purpose: no customer (no identity lookup, no customer record, no
-- history), no agent (no capacity, no load, no indexes), no routing (the driver names the
-- agent), no retention or deadlines, no counters, no argument checks, no reads (the events'
-- channel is the driver's, `web`), no trimming of the stream. Anything an engine does
-- beyond these writes is the price of its guarantees; the ratio engine / floor says how
-- high that price is.

local rcall, unpk, ssub, tostr

local function now_ms()
    local t = rcall('TIME')
    local us = t[2]
    if #us < 6 then us = ssub('00000' .. us, -6) end
    return t[1] .. ssub(us, 1, 3)
end

-- Lua's and Redis' functions as upvalues, as the library binds them (a global read costs
-- a function call several times what an upvalue does); a library may not touch globals
-- while it loads, so on the first call.
local function bind()
    rcall, unpk, ssub, tostr = redis.call, unpack, string.sub, tostring
end

local function event(P, typ, sid, agent, state)
    return rcall('XADD', P .. ':events', '*', 'type', typ, 'sid', sid, 'agent', agent,
        'state', state, 'channel', 'web', 'ext', '')
end

redis.register_function('floor_enqueue', function(keys, args)
    if not rcall then bind() end
    local P = keys[1]
    local channel, class, ident, skills, prio, queue, ext, agent = unpk(args)
    local sid = tostr(rcall('INCR', P .. ':seq:s'))
    local now = now_ms()
    if class == '' then class = 'chat' end
    if queue == '' then queue = 'default' end
    rcall('HSET', P .. ':s:' .. sid, 'id', sid, 'channel', channel, 'class', class,
        'queue', queue, 'customer', '', 'identity', ident, 'skills', skills,
        'priority', prio, 'state', 'offered', 'agent', agent, 'created', now,
        'updated', now, 'enq', now, 'offers', '1', 'ext', ext, 'offer_exp', now)
    event(P, 'enqueue', sid, '', 'queued')
    event(P, 'offer', sid, agent, 'offered')
    return {sid, 'offered', agent, '0', ''}
end)

redis.register_function('floor_accept', function(keys, args)
    if not rcall then bind() end
    local P, sid = keys[1], args[1]
    rcall('HSET', P .. ':s:' .. sid, 'state', 'active', 'updated', now_ms(), 'offer_exp', '')
    event(P, 'accept', sid, args[2], 'active')
    return 'OK'
end)

redis.register_function('floor_close', function(keys, args)
    if not rcall then bind() end
    local P, sid = keys[1], args[1]
    rcall('HSET', P .. ':s:' .. sid, 'state', 'closed', 'updated', now_ms())
    event(P, 'close', sid, '', 'closed')
    return {sid, 'closed'}
end)
