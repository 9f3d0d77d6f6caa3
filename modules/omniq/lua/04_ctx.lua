-- 04_ctx.lua — what every call starts from and ends with (the table `X`): the tenant
-- prefix, one clock reading, the tenant's settings, its counters and its event stream.
--
-- Settings. P:cfg holds the tenant's settings as oq_config wrote them, with a `version`
-- that oq_config bumps. Parsing the hash on every call cost more than any step of routing
-- (an HGETALL, a Lua table of ~12 fields, range checks), so each tenant's parsed settings
-- stay in this library's Lua state between calls. oq_config runs in the same Lua state and
-- drops them at once; anything else that changes P:cfg (a restore, a flush, a hand edit)
-- is noticed within a second, when the cached copy is checked against `version` again.
-- Only oq_config should write P:cfg.
--
-- Counters. P:stat holds the tenant's cumulative counters (enqueued, offered, ...) and the
-- wait average (wait_ewma_ms). A call notes what it counted in ctx and X.finish() writes
-- the changed counters at the end in one HSET, from the tenant cache (the sessions still
-- live are enqueued - closed - abandoned - expired: no gauge of their own to keep).
--
-- Events. Every state change is one entry in P:events, which other nodes, the dispatcher
-- and agent desks tail. The stream is trimmed by age (MINID ~ now - events_keep, see
-- X.emit), not by length: a reader that pauses for up to events_keep seconds misses nothing, whatever the
-- event rate; a reader further behind finds entries it never read trimmed (it counts what
-- it reads against XINFO STREAM's entries-added and length: Redis 7.0's
-- max-deleted-entry-id moves on XDEL, not on a trim) and resynchronises from state
-- (docs/redis-model.md, "Reading P:events").

local X = {}

local fail = U.fail
local istr = U.istr
local cfg_cache = {}          -- tenant prefix -> {version = string, cfg = table}

function X.check_key(keys)
    if #keys ~= 1 or type_(keys[1]) ~= 'string' or #keys[1] > 300
        or not smatch(keys[1], '^oq:{[^{}]+}$') then
        fail('ARG', 'exactly one key, the tenant prefix oq:{tenant}')
    end
    return keys[1]
end

-- The tenant's settings: defaults from limits.def, overridden by what P:cfg holds within
-- its limits (oq_config refuses anything else; a hand edit out of range is ignored).
local function parse_cfg(P)
    local raw = rcall('HGETALL', P .. ':cfg')
    local c = {policy = 'blended'}
    for k, d in pairs_(L.CFG) do c[k] = d[1] end
    for i = 1, #raw, 2 do
        local k, v = raw[i], raw[i + 1]
        local lim = L.CFG[k]
        if lim then
            local n = tonum(v)
            if n and n >= lim[2] and n <= lim[3] then c[k] = mfloor(n) end
        elseif k == 'policy' and (v == 'blended' or v == 'voice_exclusive') then
            c.policy = v
        end
    end
    return c
end

-- The tenant's cached state: its settings, its counters and the queue names known to be
-- in P:queues. Kept in this Lua state between calls and checked again once a second (the
-- settings against P:cfg's version, the rest read afresh when next needed), so that a
-- Redis whose data changed under the library (a restore, a flush) is followed within a
-- second; within the library every write to them goes through this cache.
function X.tenant(P, sec)
    local e = cfg_cache[P]
    if e and e.sec == sec then return e end
    local v = rcall('HGET', P .. ':cfg', 'version') or ''
    if e and e.version == v then
        e.sec, e.stat, e.queues = sec, nil, {}
        return e
    end
    e = {version = v, cfg = parse_cfg(P), sec = sec, queues = {}}
    cfg_cache[P] = e
    return e
end

function X.cfg(P, sec)
    return X.tenant(P, sec).cfg
end

-- oq_config's write: the fields, and a new version that every cached copy will notice.
function X.cfg_write(P, fields)
    rcall('HSET', P .. ':cfg', unpk(fields))
    rcall('HINCRBY', P .. ':cfg', 'version', 1)
    cfg_cache[P] = nil
end

-- The clock read once per call: ctx.ns the time as a string (what is written), ctx.now
-- as a number (for arithmetic).
local function stamp(ctx)
    local ns = clock.now_ms()
    ctx.ns, ctx.now = ns, tonum(ns)
    return ssub(ns, 1, -4)
end

function X.begin(keys)
    local ctx = {P = X.check_key(keys)}
    local T = X.tenant(ctx.P, stamp(ctx))
    ctx.T, ctx.cfg = T, T.cfg
    return ctx
end

-- For calls that need no settings (pure readers, appends): the settings and the clock
-- are read when first needed (X.need_cfg).
function X.begin_ro(keys)
    return {P = X.check_key(keys)}
end

function X.need_cfg(ctx)
    if not ctx.cfg then
        local T = X.tenant(ctx.P, stamp(ctx))
        ctx.T, ctx.cfg = T, T.cfg
    end
    return ctx.cfg
end

-- A queue name is in P:queues (for listing): one SADD per name and second, not per call.
function X.queue_seen(ctx, queue)
    local q = ctx.T.queues
    if not q[queue] then
        rcall('SADD', ctx.P .. ':queues', queue)
        q[queue] = true
    end
end

-- Counters: noted during the call, written by X.finish().
function X.count(ctx, field, n)
    local st = ctx.st
    if not st then st = {}; ctx.st = st end
    st[field] = (st[field] or 0) + (n or 1)
end

-- A wait sample (enqueue → offer, ms) in a queue, for the averages a promise is built on:
-- the tenant's (P:stat wait_ewma_ms) and the queue's (P:stat qew:<queue>: in the same hash,
-- so that an offer's averages are one write). The EWMA, alpha = 1/8,
-- follows a shift within a few dozen offers without jumping on one outlier.
function X.wait_sample(ctx, ms, queue)
    ctx.samples = ctx.samples or {}
    ctx.samples[#ctx.samples + 1] = {ms, queue}
end

-- old (a stored average, nil for none) after the call's samples of queue (nil: of all)
local function ewma(ctx, old, queue)
    local e = old
    for _, w in ipairs_(ctx.samples) do
        if not queue or w[2] == queue then
            if not e then e = w[1] else e = e + (w[1] - e) / 8 end
        end
    end
    return mfloor(e + 0.5)
end

-- The wait average a customer joining queue is promised (ms): the queue's own, else the
-- tenant's (a queue that never offered yet), else 0 (engine/enqueue.c promise() reads the
-- same).
function X.wait_avg(ctx, queue)
    local v = rcall('HMGET', ctx.P .. ':stat', 'qew:' .. queue, 'wait_ewma_ms')
    local d = tonum(v[1] or v[2])
    return (d and d >= 0) and mfloor(d) or 0
end

X.STAT_FIELDS = {'enqueued', 'offered', 'accepted', 'declined', 'missed', 'abandoned', 'closed',
    'expired', 'transferred', 'wait_ewma_ms'}

-- The counters as the tenant cache holds them, read once a second at most.
local function stats(ctx)
    local T = ctx.T or (X.need_cfg(ctx) and ctx.T)
    local st = T.stat
    if not st then
        local v = rcall('HMGET', ctx.P .. ':stat', unpk(X.STAT_FIELDS))
        st = {}
        for i, f in ipairs_(X.STAT_FIELDS) do
            if v[i] then st[f] = tonum(v[i]) end
        end
        T.stat = st
    end
    return st
end

-- What the call counted: one HINCRBY per changed counter (the engine bumps the same
-- counters from its own commands, so nothing here writes back a value it read earlier);
-- the wait average, which only this library keeps, in one HSET from the cached counters.
function X.finish(ctx)
    local T = ctx.T
    if ctx.rp then X.report_flush(ctx) end   -- the figures the call gathered (76_report.lua)
    if ctx.st then
        for f, n in pairs_(ctx.st) do
            local v = rcall('HINCRBY', ctx.P .. ':stat', f, DEC[n] or istr(n))
            if T and T.stat then T.stat[f] = v end
        end
    end
    if ctx.samples then
        -- read afresh: the engine keeps the same averages from its own offers
        local st = stats(ctx)
        local e = ewma(ctx, U.num(rcall('HGET', ctx.P .. ':stat', 'wait_ewma_ms'), nil, 'wait_ewma_ms'))
        st.wait_ewma_ms = e
        local a, seen = {'wait_ewma_ms', DEC[e] or istr(e)}, {}
        for _, w in ipairs_(ctx.samples) do
            local f = 'qew:' .. w[2]
            if not seen[f] then
                seen[f] = true
                local v = ewma(ctx, U.num(rcall('HGET', ctx.P .. ':stat', f), nil, 'a queue wait'), w[2])
                a[#a + 1] = f; a[#a + 1] = DEC[v] or istr(v)
            end
        end
        rcall('HSET', ctx.P .. ':stat', unpk(a))
    end
end

-- One event: type sid agent state channel ext, then any extra field/value pairs. The
-- channel and ext let each node's dispatcher hand the event to the driver that owns the
-- customer's connection without reading the session. The stream is trimmed to events_keep
-- seconds by the sweep and, should no sweep run, by every EVENTS_TRIM_EVERY-th event of
-- the tenant here (counted in this Lua state): a trim on every XADD cost a routing cycle
-- more than a tenth of its time.
local EVENTS_TRIM_EVERY = 1000
local since_trim = {}

-- The one place that reads Redis' TIME beside the library's clock: stream ids are made by
-- Redis from its own clock, so their age is measured with it (the same clock in
-- production; in the Redis tests the library's clock runs ahead of it).
function X.trim_events(ctx)
    local cfg = X.need_cfg(ctx)
    since_trim[ctx.P] = 0
    local t = rcall('TIME')
    rcall('XTRIM', ctx.P .. ':events', 'MINID', '~',
        istr(tonum(t[1]) * 1000 - cfg.events_keep * 1000) .. '-0')
end

function X.emit(ctx, typ, sid, state, agent, channel, ext, extra)
    local n = (since_trim[ctx.P] or 0) + 1
    since_trim[ctx.P] = n
    if n >= EVENTS_TRIM_EVERY then X.trim_events(ctx) end
    if extra then
        local args = {'XADD', ctx.P .. ':events', '*', 'type', typ, 'sid', sid, 'agent', agent or '',
            'state', state, 'channel', channel or '', 'ext', ext or ''}
        for _, v in ipairs_(extra) do args[#args + 1] = v end
        return rcall(unpk(args))
    end
    return rcall('XADD', ctx.P .. ':events', '*', 'type', typ, 'sid', sid, 'agent', agent or '',
        'state', state, 'channel', channel or '', 'ext', ext or '')
end
