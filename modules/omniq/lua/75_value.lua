-- 75_value.lua — routing by customer value and region: the settings, and the widening of a
-- session that waited long enough for an agent of its region (the table `RV`).
--
-- The engine applies them when a session opens (engine/value.c): the customer's tier
-- (P:tiers, tier → "<priority added>|<skills required>") raises its priority and adds the
-- skills it requires — a VIP waits less and may need senior agents; its region (the
-- customer's profile field `region`, else the longest known prefix of its phone number,
-- P:rgp) adds the skill r-<region> while the tenant's region_wait is on: agents who serve a
-- region have that skill (e.g. `r-north:5`). After region_wait the sweep widens the session:
-- the region's skill goes and it is routed again to whoever may take it (P:rgx: sid → ms).
-- A queue may be served, for a region, by a queue of that region's team (P:rgq:
-- "<queue>/<region>" → queue, oq_region_queue_set): the session waits there (its hours'
-- notice, service levels, estimate and figures are that queue's) and, widened, goes back to
-- the queue it came to (the session's home_queue).

local RV = {}

-- A region's name, checked: it is a skill's name after r-.
function RV.region(v)
    if #v > 30 or not smatch(v, '^[a-z0-9][a-z0-9_.%-]*$') then
        U.fail('ARG', 'region must be [a-z0-9] then [a-z0-9_.-], up to 30 bytes (it is a skill\'s name: r-<region>)')
    end
    return v
end

-- A tier name as a customer's profile holds it: letters, digits and ID_CHARS.
-- oq_tier_set name priority skills: OK (priority 0..PRIORITY_MAX added at enqueue, skills
-- required besides the contact's: a canonical list, "" for none).
function RV.fn_tier_set(keys, args)
    local ctx = X.begin(keys)
    V.args(args, 3, 'name priority skills')
    local name = V.id('tier', args[1])
    local prio = V.int('priority', args[2], 0, L.PRIORITY_MAX)
    local skills = tconcat(V.session_skills(args[3]), ',')
    rcall('HSET', ctx.P .. ':tiers', name, U.istr(prio) .. '|' .. skills)
    return 'OK'
end

-- oq_tier_del name: 1 when it was there.
function RV.fn_tier_del(keys, args)
    local ctx = X.begin(keys)
    V.args(args, 1, 'name')
    return rcall('HDEL', ctx.P .. ':tiers', V.id('tier', args[1]))
end

-- oq_tier_list: rows [name, <tier>, priority, <n>, skills, <list>] (a reader).
function RV.fn_tier_list(keys, args)
    local ctx = X.begin_ro(keys)
    V.args(args, 0, '(none)')
    local h, out = rcall('HGETALL', ctx.P .. ':tiers'), {}
    for i = 1, #h, 2 do
        local p, sk = smatch(h[i + 1], '^(%d+)|(.*)$')
        out[#out + 1] = {'name', h[i], 'priority', p or '0', 'skills', sk or ''}
    end
    return out
end

-- oq_region_prefix_set prefix region: numbers whose digits (after the +) start with prefix
-- (1..8 digits) are of region ([a-z0-9] then [a-z0-9_.-], up to 30 bytes); region "" takes
-- the prefix out. OK.
function RV.fn_prefix_set(keys, args)
    local ctx = X.begin(keys)
    V.args(args, 2, 'prefix region')
    local prefix, region = args[1], args[2]
    if not smatch(prefix, '^%d+$') or #prefix > 8 then
        U.fail('ARG', 'prefix must be 1..8 digits (of a number after its +)')
    end
    if region == '' then
        rcall('HDEL', ctx.P .. ':rgp', prefix)
        return 'OK'
    end
    rcall('HSET', ctx.P .. ':rgp', prefix, RV.region(region))
    return 'OK'
end

-- oq_region_prefix_list: [prefix, region, ...] (a reader).
function RV.fn_prefix_list(keys, args)
    local ctx = X.begin_ro(keys)
    V.args(args, 0, '(none)')
    return rcall('HGETALL', ctx.P .. ':rgp')
end

-- oq_region_queue_set queue region target: sessions coming to queue whose customer is of
-- region wait in target, the region's own queue; target "" takes it out. OK.
function RV.fn_region_queue_set(keys, args)
    local ctx = X.begin(keys)
    V.args(args, 3, 'queue region target')
    local queue, target = V.id('queue', args[1]), args[3]
    local region = RV.region(args[2])
    if target == '' then
        rcall('HDEL', ctx.P .. ':rgq', queue .. '/' .. region)
        return 'OK'
    end
    target = V.id('target queue', target)
    if target == queue then U.fail('ARG', 'a queue cannot be its own regional queue') end
    if rcall('HLEN', ctx.P .. ':rgq') >= L.REGION_QUEUES_MAX
            and rcall('HEXISTS', ctx.P .. ':rgq', queue .. '/' .. region) == 0 then
        U.fail('CAPACITY', 'at most ' .. L.REGION_QUEUES_MAX .. ' regional queues a tenant')
    end
    rcall('HSET', ctx.P .. ':rgq', queue .. '/' .. region, target)
    return 'OK'
end

-- oq_region_queue_list: rows [queue, <q>, region, <r>, target, <t>] (a reader).
function RV.fn_region_queue_list(keys, args)
    local ctx = X.begin_ro(keys)
    V.args(args, 0, '(none)')
    local h, out = rcall('HGETALL', ctx.P .. ':rgq'), {}
    for i = 1, #h, 2 do
        local q, r = smatch(h[i], '^(.*)/([^/]*)$')
        out[#out + 1] = {'queue', q or h[i], 'region', r or '', 'target', h[i + 1]}
    end
    return out
end

-- A session reopened keeps the region's skill it had: its wait for that region starts again.
function RV.reopened(ctx, sid)
    if ctx.cfg.region_wait <= 0 then return end
    local r = rcall('HGET', R.skey(ctx, sid), 'region')
    if r and r ~= '' then
        rcall('ZADD', ctx.P .. ':rgx', U.istr(ctx.now + ctx.cfg.region_wait * 1000), sid)
    end
end

-- One session's wait for its region is over: it loses the region's skill (and leaves its
-- region's queue) and, waiting, is routed again. A session offered at that moment loses it
-- too: declined or missed, it comes back to any agent, not to a region it waited for long
-- enough (its deadline is gone). true when it was widened.
function RV.widen(ctx, sid)
    local s = R.sess_load(ctx, sid)
    local v = s and rcall('HMGET', R.skey(ctx, sid), 'region', 'home_queue')
    local region, home = v and v[1], v and v[2]
    if not s or U.TERMINAL[s.state] or not region or region == '' then return false end
    local skill = 'r-' .. region
    if not U.list_has(s.skills_s, skill) then return false end
    local queued = s.state == 'queued'
    if queued then
        s.where = W.where(ctx, s)
        W.remove(ctx, s)
    end
    s.skills_s = U.list_del(s.skills_s, skill)
    s.skills = U.split(s.skills_s, ',')
    s.idx = W.idx(s.skills)
    local f = {'skills', s.skills_s, 'updated', ctx.ns}
    if home and home ~= '' then
        -- back to the queue it came to (listed there from now on)
        s.queue = home
        X.queue_seen(ctx, home)
        f[#f + 1] = 'queue'; f[#f + 1] = home
        f[#f + 1] = 'home_queue'; f[#f + 1] = ''
    end
    rcall('HSET', R.skey(ctx, sid), unpk(f))
    if queued then R.apply(ctx, s, R.decide(ctx, s, nil, false)) end
    return true
end

-- The sweep's part (50_sweep.lua): the sessions whose region wait is over, at most max.
function RV.sweep(ctx, max)
    local n = 0
    for _, sid in ipairs_(U.due(ctx, ctx.P .. ':rgx', max)) do
        rcall('ZREM', ctx.P .. ':rgx', sid)
        if RV.widen(ctx, sid) then n = n + 1 end
    end
    return n
end

SW.regions = RV.sweep
