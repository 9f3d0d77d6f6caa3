-- 50_sweep.lua — everything that happens because time passed.
--
-- Routing itself is event-driven; the sweep only handles deadlines, each
-- kept in its own zset scored by the deadline so that "what is due" is one
-- ZRANGEBYSCORE ... LIMIT 0 max:
--   P:offers  offer expiry      → missed: agent misses+1 (away at max_misses),
--                                 session re-queued in its place and re-routed,
--                                 never offered to that agent again
--   P:wu      wrap-up end       → closed, capacity released and re-used
--   P:awx     affinity wait end → moved to the general queue and routed
--   P:qx      max_wait end      → expired (only when max_wait > 0)
-- Any node may call oq_sweep at any time, as often as it likes: a deadline
-- is handled once because its entry leaves the zset in the same atomic call.
-- `max` bounds the work of one call per kind, so a backlog after an outage
-- is worked off in slices instead of blocking Redis.

local function due(ctx, key, max)
    return redis.call('ZRANGEBYSCORE', key, '-inf', istr(ctx.now), 'LIMIT', 0, max)
end

-- An offer lapsed: by its deadline here, or because a channel saw the agent
-- fail to take it (a phone that rejects or does not answer; oq_miss, with
-- away_now set so the agent is away at once). Returns the session as re-queued (and
-- perhaps offered again), or false for a stale entry.
local function sweep_offer(ctx, sid, away_now)
    local s = sess_load(ctx, sid)
    if not s or s.state ~= 'offered' then
        redis.call('ZREM', ctx.P .. ':offers', sid)   -- stale entry
        return false
    end
    local a = agent_load(ctx, s.agent)
    local aid = s.agent
    if a then
        unoffer(ctx, s, a)
        a.misses = a.misses + 1
        if (away_now or (ctx.cfg.max_misses > 0 and a.misses >= ctx.cfg.max_misses))
                and a.presence == 'available' then
            a.presence = 'away'
            redis.call('HSET', akey(ctx, aid), 'state_at', istr(ctx.now))
            emit(ctx, 'presence', '', 'away', aid)
        end
        agent_save(ctx, a)
    else
        redis.call('ZREM', ctx.P .. ':offers', sid)
        redis.call('SADD', skey(ctx, sid) .. ':x', aid)
    end
    stat_incr(ctx, 'missed')
    requeue(ctx, s, 'miss', aid)
    if a and a.presence == 'available' then pull(ctx, a, freed_room(ctx, a, s.class)) end
    return s
end

local function sweep_wrapup(ctx, sid)
    local s = sess_load(ctx, sid)
    if not s or s.state ~= 'wrapup' then
        redis.call('ZREM', ctx.P .. ':wu', sid)
        return false
    end
    finish(ctx, s, nil)
    return true
end

local function sweep_affinity(ctx, sid)
    local s = sess_load(ctx, sid)
    if not s or s.state ~= 'queued' then
        redis.call('ZREM', ctx.P .. ':awx', sid)
        return false
    end
    s.where = 'aw'
    wait_remove(ctx, s)
    emit(ctx, 'unpark', sid, 'queued', s.affinity, nil, s)
    route_session(ctx, s, nil, false)
    return true
end

local function sweep_expire(ctx, sid)
    local s = sess_load(ctx, sid)
    if not s or s.state ~= 'queued' then
        redis.call('ZREM', ctx.P .. ':qx', sid)
        return false
    end
    s.where = sess_where(ctx, s)
    wait_remove(ctx, s)
    redis.call('ZREM', ctx.P .. ':qx', sid)
    terminate(ctx, s, 'expired', 'expire', '', nil)
    return true
end

local function fn_sweep(keys, args)
    local ctx = begin(keys)
    need_args(args, 1, 'max')
    local max = v_int('max', args[1], 1, 100000)
    local n = {0, 0, 0, 0}
    for _, sid in ipairs(due(ctx, ctx.P .. ':offers', max)) do
        if sweep_offer(ctx, sid, false) then n[1] = n[1] + 1 end
    end
    for _, sid in ipairs(due(ctx, ctx.P .. ':wu', max)) do
        if sweep_wrapup(ctx, sid) then n[2] = n[2] + 1 end
    end
    for _, sid in ipairs(due(ctx, ctx.P .. ':awx', max)) do
        if sweep_affinity(ctx, sid) then n[3] = n[3] + 1 end
    end
    for _, sid in ipairs(due(ctx, ctx.P .. ':qx', max)) do
        if sweep_expire(ctx, sid) then n[4] = n[4] + 1 end
    end
    return {tostring(n[1]), tostring(n[2]), tostring(n[3]), tostring(n[4])}
end
