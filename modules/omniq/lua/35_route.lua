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
-- ZMSCORE), until the best level is settled (one skill: when many share it, P:fair is
-- walked instead, fairest_at_level; when the first batch has no agent with room, those
-- with room are counted and read by Redis, sparse_pick) or `lookahead` qualified agents
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
    'agent', 'customer', 'channel', 'created', 'ext', 'transfer_at', 'node'}

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
        ext = v[14] or '', transfer_at = n(v[15], 0, 'transfer_at'), node = v[16] or '',
    }
    if not U.CLASS_SET[s.class] then fail('INTERNAL', 'session ' .. s.id .. ' has no class') end
    s.idx = W.idx(s.skills)
    s.score = (1000 - s.priority) * U.TWO42 + s.enq
    return s
end

function R.sess_load(ctx, sid)
    return R.sess_from(rcall('HMGET', R.skey(ctx, sid), unpk(R.FIELDS)))
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
    if not s.x then s.x = U.set_of(rcall('SMEMBERS', R.skey(ctx, s.id) .. ':x')) end
    return s.x
end

---------------------------------------------------------------------------
-- Session → agent
---------------------------------------------------------------------------

-- Where a queued session goes, decided without writing anything: {offer = agent},
-- {park = agent} or {} (wait). pref: the agent to try first (last agent, reopen agent);
-- park: whether the session may wait for pref when pref is full (affinity_wait). Decided
-- by the engine (engine/route.c, OMNIQ.LIB.DECIDE): the customer's agent if it can take
-- it, else the best agent with room, exactly; the session's decliners are never chosen.
function R.decide(ctx, s, pref, park)
    local x = R.declined(ctx, s)
    local args = {}
    for aid in pairs_(x) do args[#args + 1] = aid end
    local r = E.run('omniq.lib.decide', ctx.P, s.class, s.skills_s, pref or '',
        park and '1' or '0', unpk(args))
    if r[1] == 'offer' then
        local a = A.load(ctx, r[2])
        if a then return {offer = a} end
    elseif r[1] == 'park' then
        local a = A.load(ctx, r[2])
        if a then return {park = a} end
    end
    return {}
end


-- The offer's own writes, once the session hash says offered: its deadline, the agent's
-- load, the counters and the event.
function R.offer_apply(ctx, s, a, direct)
    rcall('ZADD', ctx.P .. ':offers', istr(s.offer_exp), s.id)
    A.take(ctx, a, s.id, s.class)
    X.count(ctx, 'offered')
    -- an offer that did not come out of a queue (a transfer to a named agent) is no sample
    if not direct then X.wait_sample(ctx, mmax(0, ctx.now - W.wait_from(s))) end
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
    rcall('HSET', R.skey(ctx, s.id), 'state', 'offered', 'agent', a.id,
        'offer_exp', istr(s.offer_exp), 'offers', U.dec(s.offers), 'updated', ctx.ns)
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
        rcall('HSET', R.skey(ctx, s.id), 'affinity', d.park.id)
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
-- 1 + n + n(n-1)/2 names: 56 for a 10-skill agent, 466 for 30. Kept in this Lua state by
-- skills string (agents with the same skills share them), up to WN_KEEP lists: building
-- 466 names cost more than the rest of a close.
local WN_KEEP = 1024
local wn_cache, wn_count = {}, 0

local function wait_names(ctx, a)
    local ss = A.skills_s(ctx, a)
    local names = wn_cache[ss]
    if names then return names end
    local _, sk = A.skills(ctx, a)
    names = {'*'}
    for i = 1, #sk do
        names[#names + 1] = sk[i]
        for j = i + 1, #sk do names[#names + 1] = sk[i] .. ',' .. sk[j] end
    end
    if wn_count >= WN_KEEP then wn_cache, wn_count = {}, 0 end
    wn_cache[ss], wn_count = names, wn_count + 1
    return names
end

-- Whether an agent with skills (a map) may draw from wait index `name` ("*", "a", "a,b").
local function index_fits(skills, name)
    if name == '*' then return true end
    local c = sfind(name, ',', 1, true)
    if not c then return skills[name] ~= nil end
    return skills[ssub(name, 1, c - 1)] ~= nil and skills[ssub(name, c + 1)] ~= nil
end

-- The non-empty wait indexes of class c this agent may draw from, and their P:wk values:
-- from whichever side is smaller, the indexes that hold sessions (HGETALL, filtered) or
-- the names the agent's skills make (HMGET). Nothing when none of the class waits.
local function class_heads(ctx, c, names, skills)
    local wk = ctx.P .. ':wk:' .. c
    local len = rcall('HLEN', wk)
    if len == 0 then return {}, {} end
    if len >= #names then return names, rcall('HMGET', wk, unpk(names)) end
    local all, nm, hv = rcall('HGETALL', wk), {}, {}
    for i = 1, #all, 2 do
        if index_fits(skills, all[i]) then
            nm[#nm + 1], hv[#hv + 1] = all[i], all[i + 1]
        end
    end
    return nm, hv
end

-- Best waiting session the agent can take now, or nil.
function R.find_session(ctx, a, free, deep)
    local la = ctx.cfg.lookahead

    if ctx.cfg.affinity_wait > 0 then
        local parked = rcall('ZRANGE', ctx.P .. ':aw:' .. a.id, 0, la - 1)
        for _, sid in ipairs_(parked) do
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
    local skills, aid = A.skills(ctx, a), a.id
    local best_v, best_h = nil, nil       -- best entry taken so far, its index's P:wk value
    local uv, uk, nu = {}, {}, 0          -- indexes to look into: P:wk value, key
    local function takes(e)
        -- e = "<score>|<sid>|<rest>|<x>"
        if ssub(e, -2) == '||' then return true end
        local sid, rest, x = smatch(e, '^%d+|(%d+)|([^|]*)|(x?)$')
        for sk in sgmatch(rest, '[^,]+') do
            if not skills[sk] then return false end
        end
        return x ~= 'x' or rcall('SISMEMBER', R.skey(ctx, sid) .. ':x', aid) == 0
    end
    -- The first entry of a P:wk value this agent can take that beats best16 (the score of
    -- the best so far), and whether the value ends in `+`. Walks the string by positions:
    -- with a short queue nearly every listed entry is one the agent cannot take.
    local best16 = nil
    local function scan(v)
        local p, len = 1, #v
        while p <= len do
            if sbyte(v, p) == 43 then return nil, true end      -- '+'
            if best16 and ssub(v, p, p + 15) >= best16 then return nil, false end
            local b2 = sfind(v, '|', p + 17, true)
            local b3 = sfind(v, '|', b2 + 1, true)
            local q = sfind(v, ' ', b3, true) or (len + 1)
            local ok = true
            if b3 > b2 + 1 then
                local rest = ssub(v, b2 + 1, b3 - 1)
                if sfind(rest, ',', 1, true) then
                    for sk in sgmatch(rest, '[^,]+') do
                        if not skills[sk] then ok = false; break end
                    end
                else
                    ok = skills[rest] ~= nil
                end
            end
            if ok and q > b3 + 1 then
                ok = rcall('SISMEMBER', R.skey(ctx, ssub(v, p + 17, b2 - 1)) .. ':x', aid) == 0
            end
            if ok then return ssub(v, p, q - 1), false end
            p = q + 1
        end
        return nil, false
    end
    for _, c in ipairs_(U.CLASSES) do
        if free[c] then
            local nm, heads = class_heads(ctx, c, names, skills)
            for i = 1, #nm do
                local v = heads[i]
                if v and (not best_v or v < best_v) then
                    local e, more = scan(v)
                    if e then
                        best_v, best_h, best16 = e, v, ssub(e, 1, 16)
                    elseif more then
                        nu = nu + 1
                        uv[nu], uk[nu] = v, ctx.P .. ':w:' .. c .. ':' .. nm[i]
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
    local best_score = best_v and tonum(ssub(best_v, 1, 16))
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
            local hi = mmin(pos + batch, depth) - 1
            local buf = rcall('ZRANGE', key, pos, hi, 'WITHSCORES')
            local stop = #buf < 2 * (hi - pos + 1)
            for i = 1, #buf, 2 do
                local score = tonum(buf[i + 1])
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
    local best_sid = best_v and smatch(best_v, '^%d+|(%d+)|')
    if not best_sid then return nil end
    local s = R.sess_load(ctx, best_sid)
    if not s or s.state ~= 'queued' then return nil end
    s.where, s.wk_head = 'w', best_h
    return s
end

-- The classes the agent has room in now (a set) and whether there is any.
function R.free_classes(ctx, a)
    local avx = A.avx(ctx, a)
    return A.AVX[avx], avx ~= ''
end

-- Offer the agent waiting sessions for the room that was just opened: `limit` is what the
-- event freed (one slot for a close, decline or lapse; everything when the agent comes
-- available or gets more capacity). Slots that were already free were searched for when
-- they freed, and new arrivals look for free agents themselves, so filling only the new
-- room avoids a second, almost always fruitless, search on every close. Returns the sids
-- offered. Saves the agent.
function R.pull(ctx, a, limit)
    local out = {}
    local n = mmin(limit or A.room(a), A.room(a))
    if n > 0 then
        local avx = A.avx(ctx, a)
        if avx ~= '' and W.any(ctx, a.id, avx) then
            local free, any = A.AVX[avx], true
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
