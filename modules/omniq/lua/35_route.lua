-- 35_route.lua — sessions as routing sees them, and matching in both directions (the
-- table `R`).
--
-- Session → agent (a session arrives or is re-queued): the customer's last agent if it
-- can take it now (R.fit), else the best skilled agent with room (R.pick_agent): every
-- required skill, the highest sum of the required levels, then the least loaded, then
-- the one idle longest (P:fair), then the agent id. Candidates come from whichever side is
-- smaller: when few agents have room in the session's class (a busy centre), all of them
-- (P:fr:<class>) are looked at and the answer is exact; when many do, the agents with the
-- first required skill are read best level first (P:sk:<skill>), a batch at a time, with
-- their room, fairness and other levels read for the whole batch at once (SMISMEMBER,
-- ZMSCORE), until the best level is settled (one skill) or `lookahead` qualified agents
-- were compared (several skills: the highest sum among them). Either way, a session waits
-- only when no agent with room has every skill it needs.
--
-- Agent → session (an agent frees room or comes available, R.pull): nothing to do when
-- nothing waits in the classes it has room in (one EXISTS, W.any); else sessions parked
-- for this agent come first, then the best (priority, then age) waiting session across
-- every class it has room in and every skill it has, found through the P:wk head entries
-- and, past them, the P:w members (R.find_session). The walk past the head entries is
-- bounded (16*lookahead entries in all, 8*lookahead per index); a session that only
-- sessions it cannot take stand in front of beyond that is found by the sweep
-- (50_sweep.lua, R.rescue), so none waits for long while an agent who may take it has
-- room.

local R = {}

local istr, fail = U.istr, U.fail
R.FIELDS = {'id', 'state', 'class', 'skills', 'queue', 'priority', 'enq', 'offers', 'affinity',
    'agent', 'customer', 'channel', 'created', 'ext', 'transfer_at'}

function R.skey(ctx, sid)
    return ctx.P .. ':s:' .. sid
end

-- A session read with HMGET of R.FIELDS into the table routing works on.
function R.sess_from(v)
    if not v[1] then return nil end
    local n = U.num
    local s = {
        id = v[1], state = v[2], class = v[3], skills = U.split(v[4] or '', ','),
        skills_s = v[4] or '', queue = v[5], priority = n(v[6], 0, 'priority'),
        enq = n(v[7], 0, 'enq'), offers = n(v[8], 0, 'offers'), affinity = v[9] or '',
        agent = v[10] or '', customer = v[11] or '', channel = v[12], created = n(v[13], 0, 'created'),
        ext = v[14] or '', transfer_at = n(v[15], 0, 'transfer_at'),
    }
    if not U.CLASS_SET[s.class] then fail('INTERNAL', 'session ' .. s.id .. ' has no class') end
    s.idx = W.idx(s.skills)
    s.score = (1000 - s.priority) * U.TWO42 + s.enq
    return s
end

function R.sess_load(ctx, sid)
    return R.sess_from(redis.call('HMGET', R.skey(ctx, sid), unpack(R.FIELDS)))
end

function R.sess_require(ctx, sid)
    local s = R.sess_load(ctx, sid)
    if not s then fail('NOTFOUND', 'session ' .. sid) end
    return s
end

-- The agents this session must never be offered to again (P:s:<sid>:x): only sessions
-- that have been offered before can have any. Read once per call.
function R.declined(ctx, s)
    if s.offers == 0 then return {} end
    if not s.x then s.x = U.set_of(redis.call('SMEMBERS', R.skey(ctx, s.id) .. ':x')) end
    return s.x
end

---------------------------------------------------------------------------
-- Session → agent
---------------------------------------------------------------------------

local SMALL = 8       -- at most this many agents with room: look at every one of them

-- Is candidate a better than b (already loaded)? Highest level sum, then least loaded,
-- then idle longest, then agent id.
local function better(a, sum_a, b, sum_b)
    if b == nil then return true end
    if sum_a ~= sum_b then return sum_a > sum_b end
    if a.load.total ~= b.load.total then return a.load.total < b.load.total end
    if a.idle ~= b.idle then return U.dlt(a.idle, b.idle) end
    return a.id < b.id
end

-- The sum of the session's required levels for agent a (loaded), or nil when it lacks one.
local function level_sum(ctx, a, skills)
    local sum = 0
    for i = 1, #skills do
        local l = A.level(ctx, a, skills[i])
        if not l then return nil end
        sum = sum + l
    end
    return sum
end

-- The best agent for s (loaded), or nil (see the header).
function R.pick_agent(ctx, s)
    local P, class = ctx.P, s.class
    local frkey = P .. ':fr:' .. class
    local nfree = redis.call('SCARD', frkey)
    if nfree == 0 then return nil end
    local x = R.declined(ctx, s)
    local skills, n = s.skills, #s.skills
    local best, best_sum = nil, -1

    if nfree <= SMALL then
        for _, id in ipairs(redis.call('SMEMBERS', frkey)) do
            if not x[id] then
                local a = A.load(ctx, id)
                local sum = a and level_sum(ctx, a, skills)
                if sum and better(a, sum, best, best_sum) then best, best_sum = a, sum end
            end
        end
        return best
    end

    if n == 0 then
        -- P:fair is in fairness order already: the first with room in the class wins.
        local off, B = 0, 4
        while true do
            local ids = redis.call('ZRANGE', P .. ':fair', off, off + B - 1)
            if #ids == 0 then return nil end
            local room = redis.call('SMISMEMBER', frkey, unpack(ids))
            for i, id in ipairs(ids) do
                if room[i] == 1 and not x[id] then return A.load(ctx, id) end
            end
            if #ids < B then return nil end
            off, B = off + B, 32
        end
    end

    -- P:sk:<first skill>, best level first (members <10-level><aid>), a few at a time.
    -- One skill: every agent with room at the best level is compared (load, idle), then
    -- the search stops. Several: the other levels of the batch's agents with room are
    -- read at once (P:skl:<skill>), and the best sum among the first `lookahead` agents
    -- that have them all wins.
    local key1 = P .. ':sk:' .. skills[1]
    local la = ctx.cfg.lookahead
    local off, B, qualified = 0, 4, 0
    while true do
        local m = redis.call('ZRANGE', key1, off, off + B - 1)
        local k = #m
        if k == 0 then break end
        local ids, lv = {}, {}
        for i = 1, k do
            ids[i] = string.sub(m[i], 2)
            lv[i] = 10 - string.byte(m[i], 1) + 48
        end
        if n == 1 and best and lv[1] < best_sum then break end
        local room = redis.call('SMISMEMBER', frkey, unpack(ids))
        local others = {}
        if n > 1 then
            local pick = {}
            for i = 1, k do
                if room[i] == 1 and not x[ids[i]] then pick[#pick + 1] = ids[i] end
            end
            if #pick > 0 then
                for j = 2, n do
                    local v = redis.call('ZMSCORE', P .. ':skl:' .. skills[j], unpack(pick))
                    local c = 0
                    for i = 1, k do
                        if room[i] == 1 and not x[ids[i]] then
                            c = c + 1
                            local l = v[c]
                            if l and others[i] ~= false then
                                others[i] = (others[i] or 0) + U.int(l)
                            else
                                others[i] = false
                            end
                        end
                    end
                end
            end
        end
        for i = 1, k do
            if room[i] == 1 and not x[ids[i]] and (n == 1 or others[i]) then
                local sum = lv[i] + (others[i] or 0)
                if n == 1 and best and sum < best_sum then break end
                if sum >= best_sum then
                    local a = A.load(ctx, ids[i])
                    if a and better(a, sum, best, best_sum) then best, best_sum = a, sum end
                end
                qualified = qualified + 1
            end
        end
        if k < B or (n > 1 and qualified >= la) or qualified >= 8 * la then break end
        if n == 1 and best and lv[k] < best_sum then break end
        off, B = off + B, 16
    end
    return best
end

-- Can this (loaded) agent take s right now? 'free', 'full' (usable but no room: the one a
-- session may be parked for) or nil.
function R.fit(ctx, a, s)
    if not a or a.presence ~= 'available' then return nil end
    if not A.has_skills(ctx, a, s.skills) or R.declined(ctx, s)[a.id] then return nil end
    if A.free(ctx, a, s.class) then return 'free' end
    return 'full'
end

-- Where a queued session goes, decided without writing anything: {offer = agent},
-- {park = agent} or {} (wait). pref: the agent to try first (last agent, reopen agent);
-- park: whether the session may wait for pref when pref is full (affinity_wait).
function R.decide(ctx, s, pref, park)
    if pref and pref ~= '' then
        local a = A.load(ctx, pref)
        local fit = R.fit(ctx, a, s)
        if fit == 'free' then return {offer = a} end
        if fit == 'full' and park and ctx.cfg.affinity_wait > 0 then return {park = a} end
    end
    -- The indexes said "room"; the agent's hash has the last word (a policy changed by
    -- oq_config since, say): such an agent is re-indexed and the next one tried.
    for _ = 1, 8 do
        local a = R.pick_agent(ctx, s)
        if not a then return {} end
        if A.free(ctx, a, s.class) then return {offer = a} end
        A.save(ctx, a)
    end
    return {}
end

-- The offer's own writes, once the session hash says offered: its deadline, the agent's
-- load, the counters and the event.
function R.offer_apply(ctx, s, a, direct)
    redis.call('ZADD', ctx.P .. ':offers', istr(s.offer_exp), s.id)
    A.take(ctx, a, s.id, s.class)
    X.count(ctx, 'offered')
    -- an offer that did not come out of a queue (a transfer to a named agent) is no sample
    if not direct then X.wait_sample(ctx, math.max(0, ctx.now - W.wait_from(s))) end
    X.emit(ctx, 'offer', s.id, 'offered', a.id, s.channel, s.ext)
end

-- Mark s offered to a in memory (the fields an offer writes).
function R.offer_mark(ctx, s, a)
    s.state, s.agent, s.offers = 'offered', a.id, s.offers + 1
    s.offer_exp = ctx.now + ctx.cfg.offer_timeout * 1000
end

-- queued → offered (or active → offered: a transfer to a named agent, `direct`) for a
-- session whose hash exists. The caller saves the agent afterwards.
function R.offer(ctx, s, a, direct)
    W.remove(ctx, s)
    R.offer_mark(ctx, s, a)
    redis.call('HSET', R.skey(ctx, s.id), 'state', 'offered', 'agent', a.id,
        'offer_exp', istr(s.offer_exp), 'offers', s.offers, 'updated', ctx.ns)
    R.offer_apply(ctx, s, a, direct)
end

-- Carry out a decision of R.decide for a queued session whose hash exists (re-queue
-- after a decline, lapse or transfer; end of an affinity wait; a reopen). s.where says
-- where it waits now (nil = nowhere yet). Returns the agent offered to, or nil.
function R.apply(ctx, s, d)
    if d.offer then
        R.offer(ctx, s, d.offer)
        A.save(ctx, d.offer)
        return d.offer.id
    elseif d.park then
        W.remove(ctx, s)
        W.park(ctx, s, d.park.id)
        redis.call('HSET', R.skey(ctx, s.id), 'affinity', d.park.id)
        X.emit(ctx, 'park', s.id, 'queued', d.park.id, s.channel, s.ext)
        return nil
    end
    if s.where ~= 'w' then
        W.remove(ctx, s)
        W.insert(ctx, s)
    end
    return nil
end

---------------------------------------------------------------------------
-- Agent → session
---------------------------------------------------------------------------

local function session_fits(ctx, a, s, free)
    return s and s.state == 'queued' and free[s.class] and A.has_skills(ctx, a, s.skills)
        and not R.declined(ctx, s)[a.id]
end

-- Names of every wait index an agent with these skills may draw from: "*", each skill,
-- each pair of skills (names sorted, so "a,b" is built as W.idx() builds it).
-- 1 + n + n(n-1)/2 names: 56 for a 10-skill agent. Built once per call.
local function wait_names(ctx, a)
    local _, sk = A.skills(ctx, a)
    if a.wn_for == sk then return a.wn end
    local names = {'*'}
    for i = 1, #sk do
        names[#names + 1] = sk[i]
        for j = i + 1, #sk do names[#names + 1] = sk[i] .. ',' .. sk[j] end
    end
    a.wn, a.wn_for = names, sk
    return names
end

-- Best waiting session the agent can take now, or nil.
function R.find_session(ctx, a, free, deep)
    local la = ctx.cfg.lookahead

    if ctx.cfg.affinity_wait > 0 then
        local parked = redis.call('ZRANGE', ctx.P .. ':aw:' .. a.id, 0, la - 1)
        for _, sid in ipairs(parked) do
            local s = R.sess_load(ctx, sid)
            if session_fits(ctx, a, s, free) then
                s.where = 'aw'
                return s
            end
        end
    end

    -- Every non-empty wait index this agent could draw from, with its first W.HEAD
    -- entries: one HMGET per class with room. Each entry is checked in Lua; the best one
    -- the agent can take is the candidate, whatever order the indexes come in. An index
    -- whose listed entries it cannot take but which has more (`+`) is kept for the walk.
    local names = wait_names(ctx, a)
    local nn = #names
    local skills, aid = A.skills(ctx, a), a.id
    local best_v, best_h = nil, nil       -- best entry taken so far, its index's P:wk value
    local uv, uk, nu = {}, {}, 0          -- indexes to look into: P:wk value, key
    local function takes(e)
        -- e = "<score>|<sid>|<rest>|<x>"
        if string.sub(e, -2) == '||' then return true end
        local sid, rest, x = string.match(e, '^%d+|(%d+)|([^|]*)|(x?)$')
        for sk in string.gmatch(rest, '[^,]+') do
            if not skills[sk] then return false end
        end
        return x ~= 'x' or redis.call('SISMEMBER', R.skey(ctx, sid) .. ':x', aid) == 0
    end
    -- The first entry of a P:wk value this agent can take that beats best16 (the score of
    -- the best so far), and whether the value ends in `+`. Walks the string by positions:
    -- with a short queue nearly every listed entry is one the agent cannot take.
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
                ok = redis.call('SISMEMBER', R.skey(ctx, string.sub(v, p + 17, b2 - 1)) .. ':x', aid) == 0
            end
            if ok then return string.sub(v, p, q - 1), false end
            p = q + 1
        end
        return nil, false
    end
    for _, c in ipairs(U.CLASSES) do
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
    -- Behind the listed entries of those indexes, entries the agent can take may still
    -- beat best_v: walk them, best head first, each from its W.HEAD-th entry until the
    -- first it can take or one that no longer beats best_v. Bounded by `budget` entries
    -- read in all and `depth` per index.
    local depth, budget = 8 * la, 16 * la
    if deep then depth, budget = 128 * la, 256 * la end     -- the sweep's rescue
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
        local pos, batch = W.HEAD, 8
        while pos < depth and budget > 0 do
            local hi = math.min(pos + batch, depth) - 1
            local buf = redis.call('ZRANGE', key, pos, hi, 'WITHSCORES')
            local stop = #buf < 2 * (hi - pos + 1)
            for i = 1, #buf, 2 do
                local score = tonumber(buf[i + 1])
                if best_score and score >= best_score then stop = true; break end
                budget = budget - 1
                local e = W.head_val(score, buf[i])
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
    local s = R.sess_load(ctx, best_sid)
    if not s or s.state ~= 'queued' then return nil end
    s.where, s.wk_head = 'w', best_h
    return s
end

function R.free_classes(ctx, a)
    local free, any = {}, false
    for _, c in ipairs(U.CLASSES) do
        if A.free(ctx, a, c) then free[c] = true; any = true end
    end
    return free, any
end

-- Offer the agent waiting sessions for the room that was just opened: `limit` is what the
-- event freed (one slot for a close, decline or lapse; everything when the agent comes
-- available or gets more capacity). Slots that were already free were searched for when
-- they freed, and new arrivals look for free agents themselves, so filling only the new
-- room avoids a second, almost always fruitless, search on every close. Returns the sids
-- offered. Saves the agent.
function R.pull(ctx, a, limit)
    local out = {}
    local n = math.min(limit or A.room(a), A.room(a))
    if n > 0 then
        local free, any = R.free_classes(ctx, a)
        if any and W.any(ctx, a.id, free) then
            for _ = 1, n do
                local s = R.find_session(ctx, a, free)
                if not s then break end
                R.offer(ctx, s, a)
                out[#out + 1] = s.id
                free, any = R.free_classes(ctx, a)
                if not any then break end
            end
        end
    end
    A.save(ctx, a)
    return out
end
