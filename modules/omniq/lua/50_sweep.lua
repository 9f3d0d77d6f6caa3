-- 50_sweep.lua — everything that happens because time passed (the table `SW`).
--
-- Routing itself is event-driven; the sweep only handles deadlines, each kept in its own
-- zset scored by the deadline so that "what is due" is one ZRANGEBYSCORE ... LIMIT 0 max:
--   P:offers  offer expiry      → missed: agent misses+1 (away at max_misses), session
--                                 re-queued in its place and re-routed, never offered
--                                 to that agent again
--   P:wu      wrap-up end       → closed, capacity released and re-used
--   P:awx     affinity wait end → moved to the general queue and routed
--   P:qx      max_wait end      → expired (only when max_wait > 0)
--   P:look    a session to look at: a new one (its policy, its closed notice), a service
--             level's next deadline (its alert), an ended one (its follow-up rules)
--   P:rgx     a region's wait over → the session widened to any agent (75_value.lua)
--   P:fuz     a follow-up due → a session of its customer, offered to its agent first
--   P:reidx   a policy change   → the agents it names are indexed again (their room in each
--                                 class changed) and pull what they may now take
--   P:fcrz    a resolved session's FCR window end → its verdict (76_report.lua)
--   P:ret     retention end     → the ended session leaves Redis: its hash, transcript,
--                                 client ids and decliners, and its place in its
--                                 customer's history (a session with a follow-up date
--                                 stays until that day has passed)
-- and it rescues what routing's bounded walk may have left behind: a waiting session
-- while an agent with room could take it (R.rescue below).
-- Any node may call oq_sweep at any time, as often as it likes: a deadline is handled once
-- because its entry leaves the zset in the same atomic call. `max` bounds the work of one
-- call per kind, so a backlog after an outage is worked off in slices.

local SW = {}

local istr, fail = U.istr, U.fail

-- An offer lapsed: by its deadline here, or because a channel saw the agent fail to take
-- it (a phone that rejects or does not answer; oq_miss, with away_now set so the agent is
-- away at once). Returns the session as re-queued (and perhaps offered again), or false
-- for a stale entry.
function SW.lapse(ctx, sid, away_now)
    local s = R.sess_load(ctx, sid)
    if not s or s.state ~= 'offered' then
        rcall('ZREM', ctx.P .. ':offers', sid)   -- stale entry
        return false
    end
    local aid = s.agent
    local a = A.load(ctx, aid)
    local d = S.requeue_decide(ctx, s, aid)
    S.unoffer(ctx, s, a, aid)
    if a then
        local misses = rcall('HINCRBY', A.key(ctx, aid), 'misses', 1)
        if (away_now or (ctx.cfg.max_misses > 0 and misses >= ctx.cfg.max_misses))
                and a.presence == 'available' then
            a.presence = 'away'
            rcall('HSET', A.key(ctx, aid), 'state_at', ctx.ns)
            X.emit(ctx, 'presence', '', 'away', aid)
        end
    end
    X.count(ctx, 'missed')
    S.requeue_apply(ctx, s, d, 'miss', aid)
    if a and a.presence == 'available' then
        R.pull(ctx, a, S.freed_room(ctx, a, s.class))
    elseif a then
        A.save(ctx, a)
    end
    return s
end

local function sweep_wrapup(ctx, sid)
    local s = R.sess_load(ctx, sid)
    if not s or s.state ~= 'wrapup' then
        rcall('ZREM', ctx.P .. ':wu', sid)
        return false
    end
    S.finish(ctx, s, nil)
    return true
end

local function sweep_affinity(ctx, sid)
    local s = R.sess_load(ctx, sid)
    if not s or s.state ~= 'queued' then
        rcall('ZREM', ctx.P .. ':awx', sid)
        return false
    end
    s.where = 'aw'
    local d = R.decide(ctx, s, nil, false)
    W.remove(ctx, s)
    X.emit(ctx, 'unpark', sid, 'queued', s.affinity, s.channel, s.ext)
    R.apply(ctx, s, d)
    return true
end

-- max_wait counts the queue's open time (32_hours.lua): a deadline written as calendar
-- time (the engine's and W.insert's) that falls before the wait has lasted max_wait of open
-- time is moved to when it will have - a message written at night does not expire before
-- the team has had max_wait to answer it.
function SW.expire(ctx, sid)
    local s = R.sess_load(ctx, sid)
    if not s or s.state ~= 'queued' then
        rcall('ZREM', ctx.P .. ':qx', sid)
        return false
    end
    if BH.until_(ctx, s.queue) then
        local due = BH.add(ctx, s.queue, W.wait_from(s), ctx.cfg.max_wait * 1000)
        if due > ctx.now then
            rcall('ZADD', ctx.P .. ':qx', istr(due), sid)
            return false
        end
    end
    s.where = W.where(ctx, s)
    W.remove(ctx, s)
    rcall('ZREM', ctx.P .. ':qx', sid)
    S.terminate(ctx, s, 'expired', 'expire', '', nil)
    return true
end

-- An ended session whose retention is over leaves Redis. One with a follow-up date still
-- to come stays until the end of that day (the return visit reads it).
local function retire(ctx, sid)
    local key = R.skey(ctx, sid)
    local v = rcall('HMGET', key, 'state', 'customer', 'follow_up')
    if not v[1] or not U.TERMINAL[v[1]] then
        rcall('ZREM', ctx.P .. ':ret', sid)   -- gone already, or reopened since
        return false
    end
    if v[3] and v[3] ~= '' then
        local ok, day = pcall_(V.date, 'follow_up', v[3])
        if ok and day + 86400000 > ctx.now then
            rcall('ZADD', ctx.P .. ':ret', istr(day + 86400000), sid)
            return false
        end
    end
    rcall('DEL', key, key .. ':tx', key .. ':cids', key .. ':x', key .. ':dl', key .. ':sla')
    rcall('ZREM', ctx.P .. ':ret', sid)
    rcall('ZREM', ctx.P .. ':look', sid)
    rcall('ZREM', ctx.P .. ':rgx', sid)
    rcall('ZREM', ctx.P .. ':followups', sid)
    C.hist_del(ctx, v[2], sid)
    return true
end

-- Routing's walk from an agent to the waiting sessions is bounded (35_route.lua): a
-- session behind many that an agent cannot take may be missed when that agent frees up.
-- Here every class that has both waiting sessions and agents with room gets those agents
-- (at most `max`) to look again, so no session waits long while an agent who may take it
-- has room. Returns the number of offers made.
local RESCUE_AGENTS = 16     -- agents with room asked per class and sweep

local function rescue(ctx, max)
    local n = 0
    for _, c in ipairs_(U.CLASSES) do
        if rcall('EXISTS', ctx.P .. ':wk:' .. c) == 1 then
            for _, aid in ipairs_(rcall('SRANDMEMBER', ctx.P .. ':fr:' .. c, RESCUE_AGENTS)) do
                -- one offer at most, looking 16 times deeper than a close does
                local got = E.run('omniq.lib.pull', ctx.P, aid, '1', '1')
                if #got > 0 then
                    n = n + 1
                    if n >= max then return n end
                end
            end
        end
    end
    return n
end

function SW.fn_sweep(keys, args)
    local ctx = X.begin(keys)
    V.args(args, 1, 'max')
    local max = V.int('max', args[1], 1, 100000)
    local n = {0, 0, 0, 0, 0, 0, 0}
    for _, sid in ipairs_(U.due(ctx, ctx.P .. ':offers', max)) do
        if SW.lapse(ctx, sid, false) then n[1] = n[1] + 1 end
    end
    for _, sid in ipairs_(U.due(ctx, ctx.P .. ':wu', max)) do
        if sweep_wrapup(ctx, sid) then n[2] = n[2] + 1 end
    end
    for _, sid in ipairs_(U.due(ctx, ctx.P .. ':awx', max)) do
        if sweep_affinity(ctx, sid) then n[3] = n[3] + 1 end
    end
    for _, sid in ipairs_(U.due(ctx, ctx.P .. ':qx', max)) do
        if SW.expire(ctx, sid) then n[4] = n[4] + 1 end
    end
    for _, sid in ipairs_(U.due(ctx, ctx.P .. ':ret', max)) do
        if retire(ctx, sid) then n[5] = n[5] + 1 end
    end
    -- agents to index again after a policy change (oq_config): a slice per sweep
    for _, aid in ipairs_(rcall('SPOP', ctx.P .. ':reidx', mmin(max, 500))) do
        local a = A.load(ctx, aid)
        if a then R.pull(ctx, a) end
    end
    -- service levels (80_sla.lua): the alerts due; follow-ups (79_followup.lua) due
    n[6] = SW.sla(ctx, max)
    n[7] = SW.followups(ctx, max)
    -- regions (75_value.lua): the sessions whose wait for their region is over
    SW.regions(ctx, max)
    -- first-contact verdicts due, the agents available sampled (76_report.lua)
    SW.fcr(ctx, max)
    SW.sample(ctx)
    X.trim_events(ctx)
    rescue(ctx, mmin(max, 64))
    return {tostr(n[1]), tostr(n[2]), tostr(n[3]), tostr(n[4]), tostr(n[5]), tostr(n[6]),
        tostr(n[7])}, ctx
end

