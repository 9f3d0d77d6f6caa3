-- 70_notify.lua — who has a live connection (for a push only to a user who has none:
-- oq_ob_add's unless_online, 72_outbound.lua).
--
-- A socket server (omniq_ws) leases presence for each connection of an identity: the
-- connection is a member of P:online:<identity> scored by the time its lease ends, and the
-- server renews the leases well before then. A server that dies stops counting within one
-- lease; nothing has to clean up after it.

local N = {}

local fail, istr = U.fail, U.istr
local MAX_LEASES = 1000

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
