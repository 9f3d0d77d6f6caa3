-- 60_query.lua — read-only views: sessions, agents, customers, queues, stats.
--
-- All of these are registered with the no-writes flag, so Redis runs them
-- on replicas too and refuses them nothing under memory pressure. They
-- never read the clock except where a figure depends on it (est_wait_ms).
--
-- Position and estimated wait. Position is the 1-based rank in the named
-- queue P:q:<queue> (priority, then age). The estimate scales the recent
-- average time-to-offer in that queue (P:stat qew:<queue>, an EWMA kept at every offer; the
-- tenant's wait_ewma_ms for a queue that never offered: X.wait_avg) by how
-- far the session is through its queue, and never promises less than what
-- is left of the average for someone who has already waited: crude, but
-- honest, monotone in position, and O(1).


local Q = {}

-- the file's own helpers live in this block only: the library is one chunk, and Lua 5.1
-- allows it 200 locals at once (tests/redis/test_library.py)
do

local fail, istr = U.fail, U.istr

local function est_wait(ewma, pos, qlen, waited)
    if ewma <= 0 or pos <= 0 then return 0 end
    local by_pos = ewma * pos / mmax(qlen, 1)
    return mfloor(mmax(by_pos, ewma - waited, 0))
end

-- Fields every session shows, set or not ("" when unset): what a reader may rely on.
local SESSION_SHOWN = {'offer_exp', 'affinity', 'agent'}

function Q.fn_session_get(keys, args)
    local ctx = X.begin_ro(keys)
    V.args(args, 1, 'sid')
    local sid = V.sid(args[1])
    local h = rcall('HGETALL', R.skey(ctx, sid))
    if #h == 0 then fail('NOTFOUND', 'session ' .. sid) end
    local m = U.map(h)
    for _, f in ipairs_(SESSION_SHOWN) do
        if not m[f] then h[#h + 1] = f; h[#h + 1] = '' end
    end
    if m.state == 'queued' then
        local pos, est = Q.estimate(ctx, sid, m)
        h[#h + 1] = 'position'; h[#h + 1] = tostr(pos)
        h[#h + 1] = 'est_wait_ms'; h[#h + 1] = istr(est)
    end
    return h
end

-- A queued session's position in its queue and its estimated wait from now, on the clock
-- (the open time it needs, its queue's closed hours added): what a customer is told. m:
-- its fields queue, enq, transfer_at.
function Q.estimate(ctx, sid, m)
    local q = ctx.P .. ':q:' .. m.queue
    local pos = (rcall('ZRANK', q, sid) or -1) + 1
    local qlen = rcall('ZCARD', q)
    local ewma = X.wait_avg(ctx, m.queue)
    local now = tonum(clock.now_ms())
    local waited = mmax(0, now - mmax(U.num(m.enq, 0), U.num(m.transfer_at, 0)))
    return pos, BH.wall(ctx, m.queue, now, est_wait(ewma, pos, qlen, waited))
end

-- What a supervisor sees: presence when not available; otherwise `wrapup` when every held
-- session is in wrap-up, `busy` when no class has room, else `available`. Derived on read,
-- never stored, so it cannot go stale.
local function agent_state(ctx, a)
    if a.presence ~= 'available' then return a.presence end
    if a.held ~= '' then
        local all_wrapup = true
        for _, sid in ipairs_(U.split(a.held, ',')) do
            if rcall('HGET', R.skey(ctx, sid), 'state') ~= 'wrapup' then
                all_wrapup = false
                break
            end
        end
        if all_wrapup then return 'wrapup' end
    end
    for _, c in ipairs_(U.CLASSES) do
        if A.free(ctx, a, c) then return 'available' end
    end
    return 'busy'
end
Q.agent_state = agent_state   -- the wallboard's too (76_report.lua)

local function held_sorted(a)
    local ss = U.split(a.held, ',')
    tsort(ss, U.id_lt)
    return ss
end

-- The agent hash as it is, its row (`r`) shown as the named fields it holds and `held` as
-- `sessions` (sorted), and the derived state.
function Q.fn_agent_get(keys, args)
    local ctx = X.begin_ro(keys)
    V.args(args, 1, 'aid')
    local aid = V.id('agent id', args[1])
    local h = rcall('HGETALL', A.key(ctx, aid))
    if #h == 0 then fail('NOTFOUND', 'agent ' .. aid) end
    X.need_cfg(ctx)
    local out, row = {}, nil
    for i = 1, #h, 2 do
        if h[i] == 'r' then row = h[i + 1] else out[#out + 1] = h[i]; out[#out + 1] = h[i + 1] end
    end
    local a = A.from_row(ctx, aid, row)
    if not a then fail('INTERNAL', 'agent ' .. aid .. ' has no row') end
    for _, v in ipairs_(A.fields(a)) do out[#out + 1] = v end
    out[#out + 1] = 'sessions'; out[#out + 1] = tconcat(held_sorted(a), ',')
    out[#out + 1] = 'state'; out[#out + 1] = agent_state(ctx, a)
    return out
end

-- The desk secret as oq_agent_secret stored it; an agent without one is as unknown to the
-- desk login as an agent that does not exist.
function Q.fn_agent_secret_get(keys, args)
    local ctx = X.begin_ro(keys)
    V.args(args, 1, 'aid')
    local aid = V.id('agent id', args[1])
    local v = rcall('GET', A.key(ctx, aid) .. ':pw')
    if v then return v end
    A.must_exist(ctx, aid)
    fail('NOTFOUND', 'agent ' .. aid .. ' has no secret')
end

-- oq_agent_token aid -> {'epoch', n}: the agent's desk token epoch (45_agent_ops.lua,
-- AO.revoke), 0 when never moved on; NOTFOUND for no such agent.
function Q.fn_agent_token(keys, args)
    local ctx = X.begin_ro(keys)
    V.args(args, 1, 'aid')
    local aid = V.id('agent id', args[1])
    A.must_exist(ctx, aid)
    return {'epoch', rcall('GET', A.key(ctx, aid) .. ':tok') or '0'}
end

-- oq_agent_sessions aid: the agent desk's inbox in one call, every session the agent
-- holds (offered, active, wrapup) with what a desk lists for it. The customer's profile is
-- read through merged_into (the customer the session belongs to now). Bounded by what one
-- agent holds (its capacity).
local INBOX_FIELDS = {'state', 'channel', 'queue', 'customer', 'identity', 'created', 'updated',
    'offer_exp', 'ext', 'claimed_name', 'enq', 'promised', 'answered', 'callback_to'}

function Q.fn_agent_sessions(keys, args)
    local ctx = X.begin_ro(keys)
    V.args(args, 1, 'aid')
    local aid = V.id('agent id', args[1])
    local a = A.load(ctx, aid)
    if not a then fail('NOTFOUND', 'agent ' .. aid) end
    local ss = held_sorted(a)
    local out = {}
    for _, sid in ipairs_(ss) do
        local v = rcall('HMGET', R.skey(ctx, sid), unpk(INBOX_FIELDS))
        local cid = v[4] or ''
        local c = {}
        local live = cid ~= '' and C.resolve(ctx, cid)
        if live then
            cid = live
            c = rcall('HMGET', C.key(ctx, live), 'name', 'tier', 'last_csat')
        end
        out[#out + 1] = {'sid', sid, 'state', v[1] or '', 'channel', v[2] or '',
            'queue', v[3] or '', 'customer', cid, 'identity', v[5] or '',
            'customer_name', c[1] or '', 'tier', c[2] or '', 'created', v[6] or '',
            'updated', v[7] or '', 'offer_exp', v[8] or '', 'ext', v[9] or '',
            'last_csat', c[3] or '', 'claimed_name', v[10] or '',
            -- the wait the customer was told (open time, on the clock from when it came:
            -- closed hours added), and the one they had (ms; "" while waiting)
            'promised_ms', (v[12] and v[12] ~= '' and v[11])
                and istr(BH.wall(ctx, v[3] or '', tonum(v[11]), tonum(v[12]))) or v[12] or '',
            'waited_ms', (v[13] and v[13] ~= '' and v[11])
                and istr(mmax(0, tonum(v[13]) - tonum(v[11]))) or '',
            'callback_to', v[14] or ''}
    end
    return out
end

-- oq_agent_list [start [count]]: agents by id, each as aid → "<state> <load:total>/<cap:total>".
function Q.fn_agent_list(keys, args)
    local ctx = X.begin_ro(keys)
    X.need_cfg(ctx)
    local start = V.int('start', args[1] or '0', 0, 1e9)
    local count = V.int('count', args[2] or '1000', 1, 1000)
    local ids = rcall('SMEMBERS', ctx.P .. ':agents')
    tsort(ids)
    local out = {}
    for i = start + 1, mmin(#ids, start + count) do
        local a = A.load(ctx, ids[i])
        if a then
            out[#out + 1] = ids[i]
            out[#out + 1] = agent_state(ctx, a) .. ' ' .. a.lt .. '/' .. a.ct
        end
    end
    return out
end

-- The live customer id of an identity or a customer id (following merged_into).
local function find_customer(ctx, v)
    local cid
    if type_(v) == 'string' and smatch(v, '^%d+$') then
        cid = V.cid(v)
    else
        cid = rcall('HGET', ctx.P .. ':ident', V.identity(v))
        if not cid then fail('NOTFOUND', 'identity ' .. v) end
    end
    local live = C.resolve(ctx, cid)
    if not live then fail('NOTFOUND', 'customer ' .. cid) end
    return live
end

function Q.fn_customer_get(keys, args)
    local ctx = X.begin_ro(keys)
    V.args(args, 1, 'ident_or_cid')
    local live = find_customer(ctx, args[1])
    local h = rcall('HGETALL', C.key(ctx, live))
    local out, ids = {}, {}
    for i = 1, #h, 2 do
        if h[i] == 'ids' then ids = U.split(h[i + 1], ',') else out[#out + 1] = h[i]; out[#out + 1] = h[i + 1] end
    end
    tsort(ids)
    local hist = C.hist_recent(C.hist_get(ctx, live), 50)
    out[#out + 1] = 'identities'; out[#out + 1] = tconcat(ids, ',')
    out[#out + 1] = 'history'; out[#out + 1] = tconcat(hist, ',')
    return out
end

-- oq_followups from_ms to_ms count: sessions whose follow_up date falls in [from_ms,
-- to_ms] (the date's 00:00 UTC), by date, then sid. A zset orders members of one score
-- bytewise ("10" before "9"), so when `count` cuts through the last day of the page, that
-- day is read whole to pick its lowest sids: the work is bounded by count plus one day's
-- follow-ups.
local MAX_MS = 999999999999999

function Q.fn_followups(keys, args)
    local ctx = X.begin_ro(keys)
    V.args(args, 3, 'from_ms to_ms count')
    local from = V.int('from_ms', args[1], 0, MAX_MS)
    local to = V.int('to_ms', args[2], 0, MAX_MS)
    local count = V.int('count', args[3], 1, 1000)
    if from > to then fail('ARG', 'from_ms must not be after to_ms') end
    local key = ctx.P .. ':followups'
    local z = rcall('ZRANGEBYSCORE', key, istr(from), istr(to), 'WITHSCORES', 'LIMIT', 0, count)
    local list = {}
    for i = 1, #z, 2 do list[#list + 1] = {sid = z[i], day = tonum(z[i + 1])} end
    tsort(list, function(x, y)
        if x.day ~= y.day then return x.day < y.day end
        return U.id_lt(x.sid, y.sid)
    end)
    local n = #list
    if n == count then
        local last, k = list[n].day, 0
        while k < n and list[n - k].day == last do k = k + 1 end
        if rcall('ZCOUNT', key, istr(last), istr(last)) > k then
            local day = rcall('ZRANGEBYSCORE', key, istr(last), istr(last))
            tsort(day, U.id_lt)
            for j = 1, k do list[n - k + j].sid = day[j] end
        end
    end
    local out = {}
    for _, e in ipairs_(list) do
        out[#out + 1] = e.sid
        out[#out + 1] = rcall('HGET', R.skey(ctx, e.sid), 'follow_up') or ''
    end
    return out
end

-- oq_customer_history ident_or_cid count: the customer's sessions on every channel, newest
-- first, each [sid, s, channel, c, state, st, agent, a, queue, q, created, ms, updated, ms,
-- disposition, d, csat, x, nps, n, follow_up, f, survey, v, survey_comment, t] ("" where
-- unset; survey and its comment: 77_survey.lua); count 1..200.
local HISTORY_FIELDS = {'channel', 'state', 'agent', 'queue', 'created', 'updated',
    'disposition', 'csat', 'nps', 'follow_up', 'survey', 'survey_comment'}

-- The named fields of a hash as flat pairs appended to row ("" where unset).
local function hash_pairs(key, fields, row)
    local v = rcall('HMGET', key, unpk(fields))
    for i, f in ipairs_(fields) do
        row[#row + 1] = f
        row[#row + 1] = v[i] or ''
    end
    return row
end

function Q.fn_customer_history(keys, args)
    local ctx = X.begin_ro(keys)
    V.args(args, 2, 'ident_or_cid count')
    local count = V.int('count', args[2], 1, 200)
    local live = find_customer(ctx, args[1])
    local out = {}
    for _, sid in ipairs_(C.hist_recent(C.hist_get(ctx, live), count)) do
        out[#out + 1] = hash_pairs(R.skey(ctx, sid), HISTORY_FIELDS, {'sid', sid})
    end
    return out
end

local MAX_QUEUES = U.MAX_QUEUES
local QUEUE_ENTRY = {'id', 'channel', 'class', 'customer', 'identity', 'skills', 'priority',
    'enq', 'affinity', 'ext'}

function Q.fn_queue_list(keys, args)
    local ctx = X.begin_ro(keys)
    V.args(args, 0, '(none)')
    local qs = rcall('SMEMBERS', ctx.P .. ':queues')
    tsort(qs)
    local out = {}
    for i = 1, mmin(#qs, MAX_QUEUES) do
        out[#out + 1] = qs[i]
        out[#out + 1] = tostr(rcall('ZCARD', ctx.P .. ':q:' .. qs[i]))
    end
    return out
end

function Q.fn_queue_get(keys, args)
    local ctx = X.begin_ro(keys)
    V.args(args, 3, 'queue start count')
    local q = V.id('queue', args[1])
    local start = V.int('start', args[2], 0, 1000000000)
    local count = V.int('count', args[3], 1, 1000)
    local sids = rcall('ZRANGE', ctx.P .. ':q:' .. q, start, start + count - 1)
    local out = {}
    for i, sid in ipairs_(sids) do
        local e = hash_pairs(R.skey(ctx, sid), QUEUE_ENTRY, {})
        e[#e + 1] = 'position'; e[#e + 1] = tostr(start + i)
        out[#out + 1] = e
    end
    return out
end

local STAT_FIELDS = X.STAT_FIELDS

function Q.fn_stats(keys, args)
    local ctx = X.begin_ro(keys)
    V.args(args, 0, '(none)')
    local v = rcall('HMGET', ctx.P .. ':stat', unpk(STAT_FIELDS))
    local out = {}
    for i, name in ipairs_(STAT_FIELDS) do out[#out + 1] = name; out[#out + 1] = v[i] or '0' end
    local qs = rcall('SMEMBERS', ctx.P .. ':queues')
    local queued = 0
    for i = 1, mmin(#qs, MAX_QUEUES) do
        queued = queued + rcall('ZCARD', ctx.P .. ':q:' .. qs[i])
    end
    -- every offer's deadline is finite: the sentinel (+inf) is not counted
    local offered = rcall('ZCOUNT', ctx.P .. ':offers', '-inf', '(+inf')
    local wrapup = rcall('ZCARD', ctx.P .. ':wu')
    -- every session enqueued (or reopened) ends once: the live ones have not yet
    local live = U.num(v[1], 0) - U.num(v[7], 0) - U.num(v[6], 0) - U.num(v[8], 0)
    out[#out + 1] = 'queued'; out[#out + 1] = tostr(queued)
    out[#out + 1] = 'pending_offers'; out[#out + 1] = tostr(offered)
    out[#out + 1] = 'active'; out[#out + 1] = tostr(mmax(0, live - queued - offered - wrapup))
    out[#out + 1] = 'wrapup'; out[#out + 1] = tostr(wrapup)
    out[#out + 1] = 'agents_available'; out[#out + 1] = tostr(rcall('SCARD', ctx.P .. ':avail'))
    return out
end

end
