-- 32_hours.lua — a queue's business hours (the table `BH`): when it is open, what a time
-- span counts in open time, when it opens next.
--
-- The hours themselves (a timezone, the week's opening hours, dated exceptions) are the
-- node's to work out (modules/omniq/oq_hours.c: the library has no timezone database): it
-- sends the open intervals of the month ahead with oq_hours_put, and renews them before
-- they run out (oq_hours_due, the dispatcher). Here they are only read:
--   P:bh:<queue>   hash: tz week except notice (the spec, as given) and until (ms: the
--                  intervals are known up to there; past it the queue counts as open)
--   P:bhi:<queue>  zset: one member per open interval, "<start>|<end>|<local start>",
--                  scored by its end (ms), so "the first interval that ends after t" is
--                  one ZRANGEBYSCORE
--   P:bhq          set: the queues that have hours
-- A queue without hours is always open.

local BH = {}

function BH.key(P, q) return P .. ':bh:' .. q end
function BH.ikey(P, q) return P .. ':bhi:' .. q end

-- The open intervals that end after t, in order: {{start, end, label}, ...}, at most n.
function BH.after(ctx, q, t, n)
    local out = {}
    for _, m in ipairs_(rcall('ZRANGEBYSCORE', BH.ikey(ctx.P, q), '(' .. U.istr(t), '+inf',
            'LIMIT', 0, n)) do
        local a, b, label = smatch(m, '^(%d+)|(%d+)|(.*)$')
        if a then out[#out + 1] = {tonum(a), tonum(b), label} end
    end
    return out
end

-- Does queue q have hours, and known up to when? (false: none)
function BH.until_(ctx, q)
    local u = rcall('HGET', BH.key(ctx.P, q), 'until')
    return u and tonum(u) or false
end

-- Is q open at t? true for a queue without hours, or past what is known of them.
function BH.open(ctx, q, t)
    local u = BH.until_(ctx, q)
    if not u or t >= u then return true end
    local i = BH.after(ctx, q, t, 1)[1]
    return i ~= nil and i[1] <= t
end

-- When q opens next after t (t itself when open): ms and the local time it says, or nil
-- when nothing is known (no hours, or none open before what is known ends).
function BH.next_open(ctx, q, t)
    local u = BH.until_(ctx, q)
    if not u or t >= u then return nil end
    local i = BH.after(ctx, q, t, 1)[1]
    if not i then return nil end
    return mmax(i[1], t), i[3]
end

-- A message's session that comes (or comes back to its queue) while the queue is closed waits
-- for the opening: it is parked for nobody (W.OPENING) until then, offered to no agent,
-- though shown in the queue for one who picks it on purpose (48_pick.lua); the engine does
-- the same when it opens one (engine/hours.c). The opening (ms) when q is closed at t;
-- nil when it is open (or has no hours). Past the opening known, what is known ends.
function BH.hold_until(ctx, q, t)
    if rcall('SISMEMBER', ctx.P .. ':bhq', q) == 0 or BH.open(ctx, q, t) then return nil end
    return BH.next_open(ctx, q, t) or BH.until_(ctx, q)
end

-- OQ_CLOSED when q is closed now: "queue q is closed; it opens <local time> (in <n> s)",
-- or "... no opening is known" past what is known of its hours. omniq_sip reads the
-- seconds for its Retry-After. A queue whose closed calls are called back (P:qcc,
-- oq_closed_callback) first schedules the caller's callback for the opening (79_followup.lua
-- BH.closed_call: once per caller and queue, so a caller who tries again, or an open
-- retried, adds none) and says so: "...; a callback is scheduled (follow-up <fid>)". That
-- write before the error is on purpose: the refusal is the call's answer, the callback
-- what the queue does about it.
function BH.refuse_closed(ctx, q, ident, canon)
    if BH.open(ctx, q, ctx.now) then return end
    local at, label = BH.next_open(ctx, q, ctx.now)
    if not at then U.fail('CLOSED', 'queue ' .. q .. ' is closed; no opening is known') end
    local more = ''
    if ident and rcall('SISMEMBER', ctx.P .. ':qcc', q) == 1 then
        local fid = BH.closed_call(ctx, q, ident, canon, at, label)
        if fid then more = '; a callback is scheduled (follow-up ' .. fid .. ')' end
    end
    U.fail('CLOSED', 'queue ' .. q .. ' is closed; it opens ' .. label .. ' (in ' ..
        U.istr(mfloor((at - ctx.now + 999) / 1000)) .. ' s)' .. more)
end

-- oq_closed_callback queue on: 1, calls to queue while it is closed are called back at the
-- opening (a phone follow-up of the caller, as omniq_sip dials them); 0, only refused. OK.
function BH.fn_closed_callback(keys, args)
    local ctx = X.begin(keys)
    V.args(args, 2, 'queue on')
    local q = V.id('queue', args[1])
    if V.int('on', args[2], 0, 1) == 1 then
        rcall('SADD', ctx.P .. ':qcc', q)
    else
        rcall('SREM', ctx.P .. ':qcc', q)
    end
    return 'OK'
end

-- ms of queue q's open time from t0, as ms on the clock (its closed hours added): the
-- estimates and promises the views show (60_query.lua)
function BH.wall(ctx, q, t0, ms)
    if ms <= 0 or q == '' then return ms end
    return BH.add(ctx, q, t0, ms) - t0
end

-- The moment `ms` of open time after t0 have passed (calendar time for a queue without
-- hours, and past what is known of them).
function BH.add(ctx, q, t0, ms)
    local u = BH.until_(ctx, q)
    if not u or t0 >= u then return t0 + ms end
    local t, left = t0, ms
    while true do
        local list = BH.after(ctx, q, t, 32)
        if #list == 0 then return mmax(t, u) + left end   -- past the known hours: open
        for _, i in ipairs_(list) do
            local a = mmax(i[1], t)
            if a + left <= i[2] then return a + left end
            left = left - (i[2] - a)
            t = i[2]
        end
    end
end

-- oq_hours_put queue tz week except notice until [start end label ...]: the node's
-- intervals (rising, not overlapping) replace the queue's. OK.
function BH.fn_put(keys, args)
    local ctx = X.begin(keys)
    if #args < 6 or (#args - 6) % 3 ~= 0 then
        U.fail('ARG', 'wrong number of arguments, expected: queue tz week except notice until '
            .. '[start end label ...]')
    end
    local q = V.id('queue', args[1])
    local tz = V.str('tz', args[2], L.ID_MAX, false)
    local week = V.str('week', args[3], L.HOURS_SPEC_MAX, true)
    local exc = V.str('except', args[4], L.HOURS_SPEC_MAX, true)
    local notice = V.str('notice', args[5], L.SLA_NOTICE_MAX, true)
    local until_ = V.int('until', args[6], 0, 1e15)
    if (#args - 6) / 3 > L.HOURS_INTERVALS_MAX then
        U.fail('ARG', 'at most ' .. L.HOURS_INTERVALS_MAX .. ' intervals')
    end
    local z, last = {}, -1
    for i = 7, #args, 3 do
        local a = V.int('start', args[i], 0, 1e15)
        local b = V.int('end', args[i + 1], 0, 1e15)
        V.str('label', args[i + 2], 32, true)
        if b <= a or a < last or b > until_ then
            U.fail('ARG', 'intervals must rise without overlapping and end by until')
        end
        last = b
        z[#z + 1] = args[i + 1]
        z[#z + 1] = args[i] .. '|' .. args[i + 1] .. '|' .. args[i + 2]
    end
    local ik = BH.ikey(ctx.P, q)
    rcall('DEL', ik)
    for i = 1, #z, 500 do
        rcall('ZADD', ik, unpk(z, i, mmin(i + 499, #z)))
    end
    rcall('HSET', BH.key(ctx.P, q), 'tz', tz, 'week', week, 'except', exc, 'notice', notice,
        'until', U.istr(until_))
    rcall('SADD', ctx.P .. ':bhq', q)
    return 'OK'
end

-- oq_hours_del queue: 1 when it had hours; it is always open from now on.
function BH.fn_del(keys, args)
    local ctx = X.begin(keys)
    V.args(args, 1, 'queue')
    local q = V.id('queue', args[1])
    rcall('SREM', ctx.P .. ':bhq', q)
    rcall('SREM', ctx.P .. ':qcc', q)      -- open at all hours: nothing to call back
    rcall('DEL', BH.ikey(ctx.P, q))
    return rcall('DEL', BH.key(ctx.P, q))
end

-- oq_hours_get queue: [tz, .., week, .., except, .., notice, .., until, .., open, 1|0,
-- next_open, <local time or "">, callback, 1|0]; [] for a queue without hours (a reader).
function BH.fn_get(keys, args)
    local ctx = X.begin_ro(keys)
    V.args(args, 1, 'queue')
    local q = V.id('queue', args[1])
    local v = rcall('HMGET', BH.key(ctx.P, q), 'tz', 'week', 'except', 'notice', 'until')
    if not v[1] then return {} end
    local now = tonum(clock.now_ms())
    local open = BH.open(ctx, q, now)
    local _, label = BH.next_open(ctx, q, now)
    return {'tz', v[1], 'week', v[2] or '', 'except', v[3] or '', 'notice', v[4] or '',
        'until', v[5] or '', 'open', open and '1' or '0', 'next_open', open and '' or label or '',
        'callback', U.istr(rcall('SISMEMBER', ctx.P .. ':qcc', q))}
end

-- oq_hours_due horizon_ms: [queue, tz, week, except, notice, ...] of the queues whose
-- intervals end within horizon_ms from now: the node works them out again (a reader).
function BH.fn_due(keys, args)
    local ctx = X.begin_ro(keys)
    V.args(args, 1, 'horizon_ms')
    local h = V.int('horizon_ms', args[1], 0, 1e12)
    local now = tonum(clock.now_ms())
    local out = {}
    for _, q in ipairs_(rcall('SMEMBERS', ctx.P .. ':bhq')) do
        local v = rcall('HMGET', BH.key(ctx.P, q), 'until', 'tz', 'week', 'except', 'notice')
        if v[1] and tonum(v[1]) < now + h then
            out[#out + 1] = q
            for i = 2, 5 do out[#out + 1] = v[i] or '' end
        end
    end
    return out
end
