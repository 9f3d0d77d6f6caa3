-- 30_route.lua — where sessions wait, and matching in both directions.
--
-- A queued session sits in exactly one routing index:
--   P:w:<class>:<s1>,<s2>      its first two skills, when it needs two or more
--   P:w:<class>:<s1>           its only skill
--   P:w:<class>:*              when it needs no skill
--   P:aw:<aid>                 parked for its last agent (affinity wait)
-- and, for listing and position only, in P:q:<queue>. All three use the same
-- score, (1000-priority)*2^42 + enq, so lower is better: higher priority
-- first, then older first. A session re-queued after a decline or a lapsed
-- offer keeps its original enq and therefore its place.
--
-- Session → agent (a session arrives or is re-queued): the customer's last
-- agent if usable, else the first `lookahead` entries of
-- P:av:<class>:<first skill> (best level of that skill, longest idle first),
-- keeping those that have every other required skill and picking the
-- highest sum of levels. Looking at a bounded prefix is the trade-off that
-- keeps the call O(lookahead * log n): a session whose first skill is common
-- and whose other skills are rare may wait although a rare agent is free;
-- that agent will find it from the other side as soon as it frees capacity.
--
-- Agent → session (an agent frees capacity or comes available): the agent
-- must see the best waiting session it can take, across every class it has
-- room in and every skill it has. Three things make that cheap:
--   * the wait index is keyed by the first *two* skills, so the only indexes
--     an agent reads are those of skills and skill pairs it has, and every
--     entry in them fits except for a third+ skill it lacks (or a decline).
--     Keyed by the first skill alone (the previous layout) an agent with
--     skill a had to walk past every waiting "a,x,..." session for x it
--     lacks; with uniformly random 1-3-of-100 skills that was ~99% of the
--     entries, and the walk (~11 ZRANGEs per close, mostly finding nothing)
--     was the dominant cost of routing. The price: an agent asks about
--     1 + n + n(n-1)/2 index names (56 for 10 skills, 2081 at the 64-skill
--     cap), in one HMGET per class;
--   * P:wk:<class> is a hash index name → the first WK_HEAD (4) entries of
--     that index, each `<score, 16 zero-padded digits>|<member>`, separated
--     by spaces, with a last token `+` when the index holds more. One HMGET
--     thus gives every candidate index's head entries at once *and* whether
--     this agent can take them, so that the search reads no P:w index at
--     all unless one holds more than WK_HEAD entries, none of which this
--     agent can take, and they beat the best it can take elsewhere. (In a
--     loaded centre the queue left behind is mostly sessions needing three
--     skills; with the head score alone an agent walked ~5-10 such indexes
--     per close, one ZRANGE each, to find nothing it could take.) A hash
--     rather than a zset (the earlier layout, read with ZMSCORE) because
--     nobody needs the heads in order, only looked up by name, and a zset
--     score comes back as a double that Redis prints with %.17g and Lua
--     parses again. Fixed width makes string order (score, member) order,
--     the order of the index itself;
--   * the member of P:w is `<sid>|<required skills after the first two>|<x
--     if the session has decliners>`, so whether this agent can take an
--     entry is decided in Lua from the ZRANGE reply itself, without a Redis
--     call per candidate.
-- Indexes are visited best head first; each is scanned until the first
-- entry this agent can take, and an index whose head cannot beat the best
-- fit so far ends the search. The walk is bounded (16*lookahead entries in
-- all, 8*lookahead per index); only sessions needing three or more skills,
-- or declined ones, can now stand in an agent's way.
-- Keeping P:wk exact costs an HGET (and an HSET when the newcomer lands
-- among the first WK_HEAD) on insert, and a refresh (ZRANGE, HSET) when one
-- of those leaves (a ZCARD when a deeper one leaves an index marked `+`).

-- Parked sessions (P:aw:<aid>) are looked at before the general indexes:
-- they are waiting for this agent specifically and nobody else may take
-- them until their affinity wait ends.

local SESSION_FIELDS = {'id', 'state', 'class', 'skills', 'queue', 'priority', 'enq',
    'offers', 'affinity', 'agent', 'customer', 'channel', 'created', 'ext', 'transfer_at'}

local function skey(ctx, sid)
    return ctx.P .. ':s:' .. sid
end

-- Name of the wait index of a session with these (sorted) skills: its
-- first two skills ("a,b"), its only skill ("a"), or "*" (see the header).
local function wait_idx(skills)
    if skills[2] then return skills[1] .. ',' .. skills[2] end
    return skills[1] or '*'
end

local function sess_from(v)
    if not v[1] then return nil end
    local s = {
        id = v[1], state = v[2], class = v[3], skills = split(v[4] or '', ','),
        skills_s = v[4] or '', queue = v[5], priority = num(v[6], 0), enq = num(v[7], 0),
        offers = num(v[8], 0), affinity = v[9] or '', agent = v[10] or '',
        customer = v[11] or '', channel = v[12], created = num(v[13], 0), ext = v[14] or '',
        transfer_at = num(v[15], 0),
    }
    s.idx = wait_idx(s.skills)
    s.score = (1000 - s.priority) * TWO42 + s.enq
    return s
end

-- When the session's present wait began: its enq, or its last transfer when
-- later. A transferred session keeps its enq, hence its place in the queue
-- (seniority), but the time it then spent with an agent is no waiting: the
-- max_wait deadline and the wait statistics count from the transfer.
local function wait_from(s)
    return math.max(s.enq, s.transfer_at or 0)
end

-- Member of the session in its P:w index (see the header). Deterministic
-- from the session hash, which does not change while the session waits, so
-- the member can always be rebuilt to remove it.
local function wait_member(s)
    local rest = ''
    if #s.skills > 2 then rest = string.sub(s.skills_s, #s.idx + 2) end
    return s.id .. '|' .. rest .. '|' .. (s.offers > 0 and 'x' or '')
end

local function sess_load(ctx, sid)
    return sess_from(redis.call('HMGET', skey(ctx, sid), unpack(SESSION_FIELDS)))
end

-- Where a queued session currently waits ('w' or 'aw'); one ZSCORE, and
-- only for sessions that were ever parked.
local function sess_where(ctx, s)
    if s.state ~= 'queued' then return nil end
    if s.affinity ~= '' and redis.call('ZSCORE', ctx.P .. ':awx', s.id) then return 'aw' end
    return 'w'
end

local function declined_by(ctx, s, aid)
    -- Only sessions that have been offered before can have decliners.
    return s.offers > 0 and redis.call('SISMEMBER', skey(ctx, s.id) .. ':x', aid) == 1
end

-- An entry as stored in P:wk (see the header): scores stay below
-- 1001 * 2^42 + epoch ms < 10^16, so 16 digits always suffice.
local WK_HEAD = 4
local function head_val(score, member)
    return string.format('%016.0f', score) .. '|' .. member
end

-- P:wk value → list of entries (best first) and whether the index has more.
local function wk_parse(v)
    local list, more = {}, false
    for tok in string.gmatch(v, '[^ ]+') do
        if tok == '+' then more = true else list[#list + 1] = tok end
    end
    return list, more
end

local function wk_value(list, more)
    local v = table.concat(list, ' ')
    if more then v = v .. ' +' end
    return v
end

-- Rewrite the P:wk entry of an index from the index itself.
local function wk_refresh(wk, name, key)
    local h = redis.call('ZRANGE', key, 0, WK_HEAD, 'WITHSCORES')
    if not h[1] then
        redis.call('HDEL', wk, name)
        return
    end
    local list = {}
    for i = 1, math.min(#h, 2 * WK_HEAD), 2 do
        list[#list + 1] = head_val(tonumber(h[i + 1]), h[i])
    end
    redis.call('HSET', wk, name, wk_value(list, #h > 2 * WK_HEAD))
end

local function wait_key(ctx, s)
    return ctx.P .. ':w:' .. s.class .. ':' .. s.idx
end

-- Put a queued session into the general wait index.
local function wait_insert(ctx, s)
    local sc = istr(s.score)
    redis.call('ZADD', wait_key(ctx, s), sc, wait_member(s))
    local wk, e = ctx.P .. ':wk:' .. s.class, head_val(s.score, wait_member(s))
    local cur = redis.call('HGET', wk, s.idx)
    if not cur then
        redis.call('HSET', wk, s.idx, e)
    else
        local list, more = wk_parse(cur)
        local n = #list
        if n < WK_HEAD or e < list[n] then
            local i = n
            while i >= 1 and e < list[i] do list[i + 1] = list[i]; i = i - 1 end
            list[i + 1] = e
            if #list > WK_HEAD then list[#list] = nil; more = true end
            redis.call('HSET', wk, s.idx, wk_value(list, more))
        elseif not more then
            redis.call('HSET', wk, s.idx, wk_value(list, true))
        end
    end
    redis.call('ZADD', ctx.P .. ':q:' .. s.queue, sc, s.id)
    if ctx.cfg.max_wait > 0 then
        redis.call('ZADD', ctx.P .. ':qx', istr(wait_from(s) + ctx.cfg.max_wait * 1000), s.id)
    end
    s.where = 'w'
end

local function wait_park(ctx, s, aid)
    local sc = istr(s.score)
    redis.call('ZADD', ctx.P .. ':aw:' .. aid, sc, s.id)
    redis.call('ZADD', ctx.P .. ':awx', istr(ctx.now + ctx.cfg.affinity_wait * 1000), s.id)
    redis.call('ZADD', ctx.P .. ':q:' .. s.queue, sc, s.id)
    if ctx.cfg.max_wait > 0 then
        redis.call('ZADD', ctx.P .. ':qx', istr(wait_from(s) + ctx.cfg.max_wait * 1000), s.id)
    end
    s.affinity = aid
    redis.call('HSET', skey(ctx, s.id), 'affinity', aid)
    s.where = 'aw'
end

-- Take a queued session out of wherever it waits (s.where must be set).
local function wait_remove(ctx, s)
    if s.where == 'w' then
        local key = wait_key(ctx, s)
        local member = wait_member(s)
        redis.call('ZREM', key, member)
        local wk = ctx.P .. ':wk:' .. s.class
        -- find_session already read the P:wk value through HMGET
        local cur = s.wk_head or redis.call('HGET', wk, s.idx)
        if cur then
            local e = head_val(s.score, member)
            local list, more = wk_parse(cur)
            local listed = false
            for i = 1, #list do
                if list[i] == e then listed = true; break end
            end
            if listed then
                wk_refresh(wk, s.idx, key)
            elseif more and redis.call('ZCARD', key) <= #list then
                redis.call('HSET', wk, s.idx, wk_value(list, false))
            end
        end
    elseif s.where == 'aw' then
        redis.call('ZREM', ctx.P .. ':aw:' .. s.affinity, s.id)
        redis.call('ZREM', ctx.P .. ':awx', s.id)
    end
    if s.where == 'w' or s.where == 'aw' then
        redis.call('ZREM', ctx.P .. ':q:' .. s.queue, s.id)
        if ctx.cfg.max_wait > 0 then redis.call('ZREM', ctx.P .. ':qx', s.id) end
    end
    s.where = nil
end

-- Exponentially weighted average of the time from enqueue to offer, the
-- basis of est_wait_ms. alpha = 1/8: follows a shift within a few dozen
-- offers without jumping on one outlier. An offer that did not come out of
-- a queue (a transfer to a named agent) counts as an offer but is no sample.
local function note_wait(ctx, s, no_sample)
    local k = ctx.P .. ':stat'
    if no_sample then
        redis.call('HINCRBY', k, 'offered', 1)
        return
    end
    local v = redis.call('HMGET', k, 'wait_ewma_ms', 'offered')
    local w = math.max(0, ctx.now - wait_from(s))
    local e = num(v[1], nil)
    if e == nil then e = w else e = e + (w - e) / 8 end
    redis.call('HSET', k, 'wait_ewma_ms', istr(e), 'offered', istr(num(v[2], 0) + 1))
end

-- queued → offered (or active → offered: a transfer to a named agent,
-- `direct`). The caller saves the agent afterwards.
local function offer(ctx, s, a, direct)
    wait_remove(ctx, s)
    local exp = ctx.now + ctx.cfg.offer_timeout * 1000
    s.state, s.agent, s.offers = 'offered', a.id, s.offers + 1
    redis.call('HSET', skey(ctx, s.id), 'state', 'offered', 'agent', a.id,
        'offer_exp', istr(exp), 'offers', s.offers, 'updated', istr(ctx.now))
    redis.call('ZADD', ctx.P .. ':offers', istr(exp), s.id)
    agent_take(ctx, a, s.id, s.class)
    note_wait(ctx, s, direct)
    emit(ctx, 'offer', s.id, 'offered', a.id, nil, s)
end

---------------------------------------------------------------------------
-- Session → agent
---------------------------------------------------------------------------

-- Candidate agents for a session from the availability index, best first.
-- Returns a list of agent ids (already ranked), at most lookahead long.
local function rank_agents(ctx, s)
    local key = av_key(ctx, s.class, s.skills[1] or '*')
    -- With one skill (or none) and no decliners the index order is the
    -- answer: two candidates (one spare in case the first turns out stale)
    -- instead of converting a whole lookahead window into Lua.
    local n = ctx.cfg.lookahead
    if #s.skills <= 1 and s.offers == 0 then n = math.min(n, 2) end
    local c = redis.call('ZRANGE', key, 0, n - 1, 'WITHSCORES')
    local ranked = {}
    local ids = {}
    for i = 1, #c, 2 do ids[#ids + 1] = c[i] end
    -- Levels of the other required skills for all candidates at once: one
    -- ZMSCORE of P:av:<class>:<skill> per skill (its score carries the
    -- level, and membership means "has it and is free in this class"),
    -- instead of one HMGET of P:a:<aid>:sk per candidate.
    local lv = {}
    if #ids > 0 then
        for j = 2, #s.skills do
            lv[j] = redis.call('ZMSCORE', av_key(ctx, s.class, s.skills[j]), unpack(ids))
        end
    end
    for i = 1, #c, 2 do
        local n_ = (i + 1) / 2
        local aid, score = c[i], tonumber(c[i + 1])
        if not declined_by(ctx, s, aid) then
            if #s.skills <= 1 then
                -- Index order is already level desc, idle asc.
                ranked[#ranked + 1] = {id = aid, sum = 0, idle = 0, ord = i}
            else
                local band = math.floor(score / TWO42)
                local sum, ok = 10 - band, true
                for j = 2, #s.skills do
                    local v = lv[j][n_]
                    if not v then ok = false; break end
                    sum = sum + 10 - math.floor(tonumber(v) / TWO42)
                end
                if ok then
                    ranked[#ranked + 1] = {id = aid, sum = sum, idle = score - band * TWO42, ord = i}
                end
            end
        end
    end
    table.sort(ranked, function(x, y)
        if x.sum ~= y.sum then return x.sum > y.sum end
        if x.idle ~= y.idle then return x.idle < y.idle end
        return x.ord < y.ord
    end)
    return ranked
end

-- Is this (loaded) agent able to take s right now? Returns 'free', 'full'
-- (usable but no room: candidate for affinity parking) or nil.
local function agent_fit(ctx, a, s)
    if not a or a.presence ~= 'available' then return nil end
    if not agent_skilled(a, s.skills) or declined_by(ctx, s, a.id) then return nil end
    if agent_free(ctx, a, s.class) then return 'free' end
    return 'full'
end

-- Route a queued session (s.where says where it is now: nil = nowhere yet).
-- opts.pref: preferred agent id (last agent / reopen agent);
-- opts.park: may park for pref when pref is full and affinity_wait > 0.
-- Returns the agent id offered to, or nil when the session waits.
local function route_session(ctx, s, pref, park)
    if pref and pref ~= '' then
        local a = agent_load(ctx, pref)
        local fit = agent_fit(ctx, a, s)
        if fit == 'free' then
            offer(ctx, s, a)
            agent_save(ctx, a)
            return a.id
        elseif fit == 'full' and park and ctx.cfg.affinity_wait > 0 then
            wait_remove(ctx, s)
            wait_park(ctx, s, a.id)
            emit(ctx, 'park', s.id, 'queued', a.id, nil, s)
            return nil
        end
    end
    for _, c in ipairs(rank_agents(ctx, s)) do
        local a = agent_load(ctx, c.id)
        if a and agent_free(ctx, a, s.class) then
            offer(ctx, s, a)
            agent_save(ctx, a)
            return a.id
        elseif a then
            -- The index said free but the agent is not (config changed under
            -- it): repair the index and try the next candidate.
            agent_save(ctx, a)
        end
    end
    if s.where ~= 'w' then
        wait_remove(ctx, s)
        wait_insert(ctx, s)
    end
    return nil
end

---------------------------------------------------------------------------
-- Agent → session
---------------------------------------------------------------------------

local function session_fits(ctx, a, s, free)
    return s and s.state == 'queued' and free[s.class] and agent_skilled(a, s.skills)
        and not declined_by(ctx, s, a.id)
end

-- Names of every wait index an agent with these skills may draw from: "*",
-- each skill, each pair of skills (a.names is sorted, so "a,b" is built in
-- the order wait_idx() uses). 1 + n + n(n-1)/2 names: 56 for a 10-skill
-- agent, 2081 at the 64-skill cap (one HMGET per class either way;
-- bounded, and unpack() stays far below Lua's 8000-slot C stack). Built
-- once per call and kept on the agent object.
local function wait_names(a)
    if a.wn_for == a.names then return a.wn end
    local names, sk = {'*'}, a.names
    for i = 1, #sk do
        names[#names + 1] = sk[i]
        for j = i + 1, #sk do names[#names + 1] = sk[i] .. ',' .. sk[j] end
    end
    a.wn, a.wn_for = names, a.names
    return names
end

-- Best waiting session the agent can take now, or nil.
local function find_session(ctx, a)
    local free, any = {}, false
    for _, c in ipairs(CLASSES) do
        if agent_free(ctx, a, c) then free[c] = true; any = true end
    end
    if not any then return nil end
    local la = ctx.cfg.lookahead

    if ctx.cfg.affinity_wait > 0 then
        local parked = redis.call('ZRANGE', ctx.P .. ':aw:' .. a.id, 0, la - 1)
        for _, sid in ipairs(parked) do
            local s = sess_load(ctx, sid)
            if session_fits(ctx, a, s, free) then
                s.where = 'aw'
                return s
            end
        end
    end

    -- Every non-empty wait index this agent could draw from, with its first
    -- WK_HEAD entries: one HMGET per class with room. Each entry is checked
    -- in Lua; the best one the agent can take is the candidate, whatever
    -- order the indexes come in. An index whose listed entries it cannot
    -- take but which has more (`+`) is kept, as plain arrays, for the walk
    -- below. Nothing is sorted: a 10-skill agent has 56 names per class,
    -- nearly all non-empty in a loaded centre.
    local names = wait_names(a)
    local nn = #names
    local skills, aid = a.skills, a.id
    local best_v, best_h = nil, nil       -- best entry taken so far, its index's P:wk value
    local uv, uk, nu = {}, {}, 0          -- indexes to look into: P:wk value, key
    local function takes(e)
        -- e = "<score>|<sid>|<rest>|<x>"
        if string.sub(e, -2) == '||' then return true end
        local sid, rest, x = string.match(e, '^%d+|(%d+)|([^|]*)|(x?)$')
        for sk in string.gmatch(rest, '[^,]+') do
            if not skills[sk] then return false end
        end
        return x ~= 'x' or redis.call('SISMEMBER', skey(ctx, sid) .. ':x', aid) == 0
    end
    -- The first entry of a P:wk value this agent can take that beats
    -- best16 (the score of the best so far), and whether the value ends in
    -- `+`. Walks the string by positions: with a short queue nearly every
    -- listed entry is one the agent cannot take (a third skill it lacks),
    -- and cutting each out as its own string first was the main cost of an
    -- empty search. Entry: 16-digit score | sid | rest | x-or-nothing.
    local best16 = nil
    local function scan(v)
        local p, len = 1, #v
        while p <= len do
            if string.byte(v, p) == 43 then return nil, true end      -- '+'
            if best16 and string.sub(v, p, p + 15) >= best16 then return nil, false end
            local b2 = string.find(v, '|', p + 17, true)
            local b3 = string.find(v, '|', b2 + 1, true)
            local q = string.find(v, ' ', b3, true) or (len + 1)
            local ok = true
            if b3 > b2 + 1 then
                local rest = string.sub(v, b2 + 1, b3 - 1)
                if string.find(rest, ',', 1, true) then
                    for sk in string.gmatch(rest, '[^,]+') do
                        if not skills[sk] then ok = false; break end
                    end
                else
                    ok = skills[rest] ~= nil
                end
            end
            if ok and q > b3 + 1 then
                ok = redis.call('SISMEMBER', skey(ctx, string.sub(v, p + 17, b2 - 1)) .. ':x', aid) == 0
            end
            if ok then return string.sub(v, p, q - 1), false end
            p = q + 1
        end
        return nil, false
    end
    for _, c in ipairs(CLASSES) do
        if free[c] then
            local heads = redis.call('HMGET', ctx.P .. ':wk:' .. c, unpack(names))
            for i = 1, nn do
                local v = heads[i]
                if v and (not best_v or v < best_v) then
                    local e, more = scan(v)
                    if e then
                        best_v, best_h, best16 = e, v, string.sub(e, 1, 16)
                    elseif more then
                        nu = nu + 1
                        uv[nu], uk[nu] = v, ctx.P .. ':w:' .. c .. ':' .. names[i]
                    end
                end
            end
        end
    end
    -- Behind the listed entries of those indexes, entries the agent can take
    -- may still beat best_v: walk them, best head first, each from its
    -- WK_HEAD-th entry until the first it can take or one that no longer
    -- beats best_v. Bounded by `budget` entries read in all and `depth` per
    -- index (counting the listed ones), as before.
    local depth, budget = 8 * la, 16 * la
    local best_score = best_v and tonumber(string.sub(best_v, 1, 16))
    while budget > 0 do
        local bj, bh = nil, best_v
        for j = 1, nu do
            local h = uv[j]
            if h and (not bh or h < bh) then bj, bh = j, h end
        end
        if not bj then break end
        uv[bj] = false
        local key = uk[bj]
        local pos, batch = WK_HEAD, 8
        while pos < depth and budget > 0 do
            local hi = math.min(pos + batch, depth) - 1
            local buf = redis.call('ZRANGE', key, pos, hi, 'WITHSCORES')
            local stop = #buf < 2 * (hi - pos + 1)
            for i = 1, #buf, 2 do
                local score = tonumber(buf[i + 1])
                if best_score and score >= best_score then stop = true; break end
                budget = budget - 1
                local e = head_val(score, buf[i])
                if takes(e) then
                    best_v, best_h, best_score = e, bh, score
                    stop = true
                    break
                end
                if budget <= 0 then stop = true; break end
            end
            if stop then break end
            pos, batch = hi + 1, 32
        end
    end
    local best_sid = best_v and string.match(best_v, '^%d+|(%d+)|')
    if not best_sid then return nil end
    local s = sess_load(ctx, best_sid)
    if not s or s.state ~= 'queued' then return nil end
    s.where, s.wk_head = 'w', best_h
    return s
end

-- Offer the agent waiting sessions for the room that was just opened:
-- `limit` is what the event freed (one slot for a close, decline or lapse;
-- everything when the agent comes available or gets more capacity). Slots
-- that were already free before the event were already searched for when
-- they freed, and new arrivals look for free agents themselves, so filling
-- only the new room avoids a second, almost always fruitless, full search
-- on every close. Returns the list of sids offered. Saves the agent.
local function pull(ctx, a, limit)
    local out = {}
    for _ = 1, math.min(limit or agent_room(a), agent_room(a)) do
        local s = find_session(ctx, a)
        if not s then break end
        offer(ctx, s, a)
        out[#out + 1] = s.id
    end
    agent_save(ctx, a)
    return out
end
