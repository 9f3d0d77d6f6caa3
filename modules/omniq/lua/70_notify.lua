-- 70_notify.lua — who has a live connection, and the outbox of notifications for whoever
-- has not.
--
-- A socket server (omniq_ws) leases presence for each connection of an identity: the
-- connection is a member of P:online:<identity> scored by the time its lease ends, and the
-- server renews the leases well before then. A server that dies stops counting within one
-- lease; nothing has to clean up after it.
--
-- The outbox P:outbox is a stream of notifications (a push for an app user, a delivery to
-- an integrator's webhook). Webhook senders read it in the consumer group 'senders', so
-- each entry goes to one sender, is retried from the pending list when a send fails or a
-- sender dies, and is deleted (XACK + XDEL) once delivered: at least once, never lost.

local N = {}

local fail, istr = U.fail, U.istr
local MAX_LEASES = 1000
local MAX_PAYLOAD = 524288
local OUTBOX_MAX = 100000

-- oq_presence ttl_ms identity conn [identity conn ...]: a lease of ttl_ms (1000..600000)
-- for each connection, or with ttl_ms 0 the connections are gone. Every pair is checked
-- before any is written.
function N.fn_presence(keys, args)
    local P = X.check_key(keys)
    local n = #args
    if n < 3 or n % 2 ~= 1 then fail('ARG', 'expected: ttl_ms identity conn [identity conn ...]') end
    if (n - 1) / 2 > MAX_LEASES then fail('ARG', 'more than ' .. MAX_LEASES .. ' connections') end
    local ttl = V.int('ttl_ms', args[1], 0, 600000)
    if ttl > 0 and ttl < 1000 then fail('ARG', 'ttl_ms must be 0 or 1000..600000') end
    for i = 2, n, 2 do
        V.str('identity', args[i], L.TEXT_MAX, false)
        V.str('conn', args[i + 1], 128, false)
    end
    local now = tonum(clock.now_ms())
    for i = 2, n, 2 do
        local key = P .. ':online:' .. args[i]
        if ttl == 0 then
            rcall('ZREM', key, args[i + 1])
        else
            rcall('ZADD', key, istr(now + ttl), args[i + 1])
            if rcall('PTTL', key) < ttl then rcall('PEXPIRE', key, ttl) end
        end
        rcall('ZREMRANGEBYSCORE', key, '-inf', istr(now))
    end
    return 'OK'
end

-- oq_online identity: how many connections of identity hold a lease now.
function N.fn_online(keys, args)
    local P = X.check_key(keys)
    V.args(args, 1, 'identity')
    local ident = V.str('identity', args[1], L.TEXT_MAX, false)
    return rcall('ZCOUNT', P .. ':online:' .. ident, clock.now_ms(), '+inf')
end

-- The senders' group of the outbox without the consumers of nodes gone: every consumer but
-- `keep` (the caller's own) that has nothing pending and has been idle at least idle_ms.
-- Checked and removed in one step, so that a node coming back cannot read an entry between
-- the check and the removal (XGROUP DELCONSUMER drops the consumer's pending entries, which
-- then would never be retried). Returns name, idle, ... of those removed; nothing before
-- the first sender made the group.
function N.fn_outbox_forget(keys, args)
    local P = X.check_key(keys)
    V.args(args, 2, 'keep idle_ms')
    local keep = V.str('keep', args[1], L.TEXT_MAX, false)
    local idle_ms = V.int('idle_ms', args[2], 0, 2592000000)
    local key = P .. ':outbox'
    local ok, cs = pcall_(rcall, 'XINFO', 'CONSUMERS', key, 'senders')
    if not ok then return {} end -- no outbox or no group yet
    local gone = {}
    for _, c in ipairs_(cs) do
        local f = {}
        for i = 1, #c, 2 do f[c[i]] = c[i + 1] end
        if f.name ~= keep and f.pending == 0 and f.idle >= idle_ms then
            rcall('XGROUP', 'DELCONSUMER', key, 'senders', f.name)
            gone[#gone + 1] = f.name
            gone[#gone + 1] = istr(f.idle)
        end
    end
    return gone
end

-- oq_outbox_add kind target unless_online payload: a notification of `kind` ("push",
-- "webhook") for `target` (what the sender needs to find the receiver, e.g. a channel
-- name), unless `unless_online` (an identity, or "") has a live connection: then nothing
-- is queued and "" comes back. Else the entry id. A full outbox (the receiver has been
-- down for long) refuses with OQ_STATE rather than grow without bound.
function N.fn_outbox_add(keys, args)
    local P = X.check_key(keys)
    V.args(args, 4, 'kind target unless_online payload')
    local kind = V.str('kind', args[1], 32, false)
    local target = V.str('target', args[2], L.TEXT_MAX, true)
    local unless = V.str('unless_online', args[3], L.TEXT_MAX, true)
    local payload = V.str('payload', args[4], MAX_PAYLOAD, false)
    local now = tonum(clock.now_ms())
    if unless ~= '' and rcall('ZCOUNT', P .. ':online:' .. unless, istr(now), '+inf') > 0 then
        return ''
    end
    local key = P .. ':outbox'
    if rcall('XLEN', key) >= OUTBOX_MAX then
        fail('STATE', 'outbox full (' .. OUTBOX_MAX .. ' undelivered notifications)')
    end
    return rcall('XADD', key, '*', 'kind', kind, 'target', target, 'payload', payload,
        'at', istr(now))
end
