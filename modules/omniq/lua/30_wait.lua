-- 30_wait.lua — where queued sessions wait (the table `W`).
--
-- A queued session sits in exactly one routing index:
--   P:w:<class>:<s1>,<s2>      its first two skills, when it needs two or more
--   P:w:<class>:<s1>           its only skill
--   P:w:<class>:*              when it needs no skill
--   P:aw:<aid>                 parked for its last agent (affinity wait)
-- and, for listing and position only, in P:q:<queue> (plus P:qx, its max_wait deadline,
-- when max_wait is set). All use the same score, (1000-priority)*2^42 + enq, so lower is
-- better: higher priority first, then older first. A session re-queued after a decline or
-- a lapsed offer keeps its original enq and therefore its place.
--
-- Why the first *two* skills: an agent looking for work (35_route.lua, find_session)
-- reads only the indexes named by "*", its skills and the pairs of its skills, and every
-- entry there fits it except for a third+ skill it lacks (or a decline). Keyed by the
-- first skill alone, an agent with skill a had to walk past every waiting "a,x,..."
-- session for x it lacks.
--
-- P:wk:<class> is a hash: index name → the first WK_HEAD (4) entries of that index, each
-- `<score, 16 zero-padded digits>|<member>`, separated by spaces, with a last token `+`
-- when the index holds more; exactly the non-empty indexes. One HMGET thus gives an agent
-- every candidate index's head entries and whether it can take them. The member of P:w is
-- `<sid>|<required skills after the first two>|<x if the session has decliners>`, so
-- whether an agent can take an entry is decided in Lua from the entry itself. Keeping
-- P:wk exact costs an HGET (and an HSET when the newcomer lands among the first WK_HEAD)
-- on insert, and a refresh (ZRANGE, HSET) when one of those leaves.

local W = {}

local istr = U.istr
W.HEAD = 4

-- Name of the wait index of a session with these (sorted) skills.
function W.idx(skills)
    if skills[2] then return skills[1] .. ',' .. skills[2] end
    return skills[1] or '*'
end

function W.member(s)
    local rest = ''
    if #s.skills > 2 then rest = ssub(s.skills_s, #s.idx + 2) end
    return s.id .. '|' .. rest .. '|' .. (s.offers > 0 and 'x' or '')
end

-- Scores stay below 1001 * 2^42 + epoch ms < 10^16, so 16 digits always suffice.
function W.head_val(score, member)
    return sfmt('%016.0f', score) .. '|' .. member
end

function W.wk_parse(v)
    local list, more = {}, false
    for tok in sgmatch(v, '[^ ]+') do
        if tok == '+' then more = true else list[#list + 1] = tok end
    end
    return list, more
end

local function wk_value(list, more)
    local v = tconcat(list, ' ')
    if more then v = v .. ' +' end
    return v
end

-- Rewrite the P:wk entry of an index from the index itself.
local function wk_refresh(wk, name, key)
    local h = rcall('ZRANGE', key, 0, W.HEAD, 'WITHSCORES')
    if not h[1] then
        rcall('HDEL', wk, name)
        return
    end
    local list = {}
    for i = 1, mmin(#h, 2 * W.HEAD), 2 do
        list[#list + 1] = W.head_val(tonum(h[i + 1]), h[i])
    end
    rcall('HSET', wk, name, wk_value(list, #h > 2 * W.HEAD))
end

function W.key(ctx, s)
    return ctx.P .. ':w:' .. s.class .. ':' .. s.idx
end

-- When the session's present wait began: its enq, or its last transfer when later (a
-- transferred session keeps its place, but the time it spent with an agent is no wait).
function W.wait_from(s)
    return mmax(s.enq, s.transfer_at or 0)
end

local function listed(ctx, s, sc)
    rcall('ZADD', ctx.P .. ':q:' .. s.queue, sc, s.id)
    if ctx.cfg.max_wait > 0 then
        rcall('ZADD', ctx.P .. ':qx', istr(W.wait_from(s) + ctx.cfg.max_wait * 1000), s.id)
    end
end

-- Put a queued session into the general wait index.
function W.insert(ctx, s)
    local sc = istr(s.score)
    local member = W.member(s)
    rcall('ZADD', W.key(ctx, s), sc, member)
    local wk, e = ctx.P .. ':wk:' .. s.class, W.head_val(s.score, member)
    local cur = rcall('HGET', wk, s.idx)
    if not cur then
        rcall('HSET', wk, s.idx, e)
    else
        local list, more = W.wk_parse(cur)
        local n = #list
        if n < W.HEAD or e < list[n] then
            local i = n
            while i >= 1 and e < list[i] do list[i + 1] = list[i]; i = i - 1 end
            list[i + 1] = e
            if #list > W.HEAD then list[#list] = nil; more = true end
            rcall('HSET', wk, s.idx, wk_value(list, more))
        elseif not more then
            rcall('HSET', wk, s.idx, wk_value(list, true))
        end
    end
    listed(ctx, s, sc)
    s.where = 'w'
end

-- Park a queued session for agent aid (its last agent, full for now).
-- The one a session that waits for its queue's opening is parked for (32_hours.lua
-- BH.hold_until): no agent (an agent id has no '~'), so routing never offers it; its P:awx
-- deadline is the opening, when the sweep routes it as any parked session whose wait is over.
W.OPENING = '~opening'

function W.park(ctx, s, aid, until_ms)
    local sc = istr(s.score)
    rcall('ZADD', ctx.P .. ':aw:' .. aid, sc, s.id)
    rcall('ZADD', ctx.P .. ':awx', istr(until_ms or ctx.now + ctx.cfg.affinity_wait * 1000), s.id)
    listed(ctx, s, sc)
    s.affinity = aid
    s.where = 'aw'
end

-- Where a queued session currently waits ('w' or 'aw'); one ZSCORE, and only for sessions
-- that were ever parked.
function W.where(ctx, s)
    if s.state ~= 'queued' then return nil end
    if s.affinity ~= '' and rcall('ZSCORE', ctx.P .. ':awx', s.id) then return 'aw' end
    return 'w'
end

-- Take a queued session out of wherever it waits (s.where must be set).
function W.remove(ctx, s)
    if s.where == 'w' then
        local key = W.key(ctx, s)
        local member = W.member(s)
        rcall('ZREM', key, member)
        local wk = ctx.P .. ':wk:' .. s.class
        -- find_session already read the P:wk value through HMGET
        local cur = s.wk_head or rcall('HGET', wk, s.idx)
        if cur then
            local e = W.head_val(s.score, member)
            local list, more = W.wk_parse(cur)
            local is_listed = false
            for i = 1, #list do
                if list[i] == e then is_listed = true; break end
            end
            if is_listed then
                wk_refresh(wk, s.idx, key)
            elseif more and rcall('ZCARD', key) <= #list then
                rcall('HSET', wk, s.idx, wk_value(list, false))
            end
        end
    elseif s.where == 'aw' then
        rcall('ZREM', ctx.P .. ':aw:' .. s.affinity, s.id)
        rcall('ZREM', ctx.P .. ':awx', s.id)
    end
    if s.where == 'w' or s.where == 'aw' then
        rcall('ZREM', ctx.P .. ':q:' .. s.queue, s.id)
        if ctx.cfg.max_wait > 0 then rcall('ZREM', ctx.P .. ':qx', s.id) end
    end
    s.where = nil
end
