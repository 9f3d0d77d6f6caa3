-- 20_agent.lua — the agent model: capacity, and the availability index.
--
-- An agent is loaded once per call into a Lua table, changed in memory, and
-- written back with agent_save(), which also brings the availability index
-- P:av:<class>:<skill> in line with the new state. Doing the index update
-- once at the end, as a *difference* between what is indexed and what should
-- be, is the main performance trick of the library: the hot path of a busy
-- centre is "agent closes a session, freed capacity pulls the next one",
-- after which the agent is exactly as full as before, so the index (one
-- zset per class and skill, 30+ entries for a typical agent) is not touched
-- at all.
--
-- What is indexed is recorded in the agent hash (`avx`, the classes the
-- agent currently sits in) instead of being recomputed from the old state,
-- so that a policy change through oq_config (which changes what "free"
-- means) cannot make the difference computation lie; the matcher also
-- re-checks every candidate it takes from the index and repairs stale ones.
--
-- Score in P:av:<class>:<skill> is (10-level)*2^42 + idle_since, so ZRANGE
-- yields the best level first and, among equals, the longest idle. In the
-- skill-less index P:av:<class>:* the score is idle_since alone.
--
-- idle_since moves when the agent comes available and whenever its load
-- flips between nothing and something: the first offer to an idle agent
-- sets it (its idle period is over), the release of its last session sets
-- it again (a new idle period starts). So among agents of equal level, those
-- without work for longest come first, and a busy agent ranks by when its
-- current busy spell began, behind everyone already idle before that.
-- We deliberately do not bump it on every offer or release: idle_since is in
-- the score of every (class, skill) index the agent sits in (3 x ~11
-- zsets), and re-scoring all of them on each assignment was measured to be
-- the largest single cost of routing. With flips only, an agent that stays
-- busy (the normal case under load) is never re-scored.

local AGENT_FIELDS = {'id', 'presence', 'cap:voice', 'cap:chat', 'cap:email', 'cap:total',
    'load:voice', 'load:chat', 'load:email', 'load:total', 'idle_since', 'misses', 'avx'}

local function akey(ctx, aid)
    return ctx.P .. ':a:' .. aid
end

local function av_key(ctx, class, skill)
    return ctx.P .. ':av:' .. class .. ':' .. skill
end

local function parse_set(s)
    local set = {}
    for _, c in ipairs(split(s or '', ',')) do set[c] = true end
    return set
end

-- Load an agent with its skills; nil when it does not exist.
local function agent_load(ctx, aid)
    local v = redis.call('HMGET', akey(ctx, aid), unpack(AGENT_FIELDS))
    if not v[1] then return nil end
    local a = {
        id = aid,
        presence = v[2] or 'offline',
        cap = {voice = num(v[3], 0), chat = num(v[4], 0), email = num(v[5], 0), total = num(v[6], 0)},
        load = {voice = num(v[7], 0), chat = num(v[8], 0), email = num(v[9], 0), total = num(v[10], 0)},
        idle = num(v[11], 0),
        misses = num(v[12], 0),
        avx = parse_set(v[13]),
    }
    local sk = redis.call('HGETALL', akey(ctx, aid) .. ':sk')
    a.skills, a.names = {}, {}
    for i = 1, #sk, 2 do
        a.skills[sk[i]] = tonumber(sk[i + 1])
        a.names[#a.names + 1] = sk[i]
    end
    table.sort(a.names)
    -- What the index currently reflects (see agent_index).
    a.o_idle, a.o_skills, a.o_names, a.o_presence = a.idle, a.skills, a.names, a.presence
    return a
end

-- Does the agent have room for one more session of this class right now?
-- Policy voice_exclusive: while on a call, no chats or emails are added.
local function agent_free(ctx, a, class)
    if a.presence ~= 'available' then return false end
    if a.load.total >= a.cap.total then return false end
    if a.load[class] >= a.cap[class] then return false end
    if class ~= 'voice' and a.load.voice > 0 and ctx.cfg.policy == 'voice_exclusive' then
        return false
    end
    return true
end

local function agent_skilled(a, skills)
    for i = 1, #skills do
        if not a.skills[skills[i]] then return false end
    end
    return true
end

local function av_score(level, idle)
    return istr((10 - level) * TWO42 + idle)
end

-- Make P:av:* reflect the agent's in-memory state, touching only what differs.
-- Bounded by 3 classes x (skills+1), skills capped at 64 by validation.
local function agent_index(ctx, a)
    local skills_changed = a.o_skills ~= a.skills
    local idle_changed = a.o_idle ~= a.idle
    local want = {}
    local parts = {}
    -- One score string per level (at most 10), not one string.format per
    -- (class, skill) entry: a re-score writes 3 x (skills+1) entries.
    local by_level = {}
    local idle_s = istr(a.idle)
    for _, c in ipairs(CLASSES) do
        local w = agent_free(ctx, a, c)
        local had = a.avx[c]
        if w then parts[#parts + 1] = c end
        if had and (not w or skills_changed) then
            -- Leaving the class, or its skill set changed: drop old entries
            -- (the new ones are re-added below, so only stale ones matter).
            for _, s in ipairs(a.o_names) do
                if not w or not a.skills[s] then
                    redis.call('ZREM', av_key(ctx, c, s), a.id)
                end
            end
            if not w then redis.call('ZREM', av_key(ctx, c, '*'), a.id) end
        end
        if w and (not had or skills_changed or idle_changed) then
            for _, s in ipairs(a.names) do
                local lv = a.skills[s]
                local sc = by_level[lv]
                if not sc then sc = av_score(lv, a.idle); by_level[lv] = sc end
                redis.call('ZADD', av_key(ctx, c, s), sc, a.id)
            end
            redis.call('ZADD', av_key(ctx, c, '*'), idle_s, a.id)
        end
        want[c] = w
    end
    a.avx = want
    a.o_skills, a.o_names, a.o_idle = a.skills, a.names, a.idle
    return table.concat(parts, ',')
end

local function agent_save(ctx, a)
    local avx = agent_index(ctx, a)
    redis.call('HSET', akey(ctx, a.id), 'presence', a.presence,
        'load:voice', a.load.voice, 'load:chat', a.load.chat, 'load:email', a.load.email,
        'load:total', a.load.total, 'idle_since', istr(a.idle), 'misses', a.misses, 'avx', avx)
    if a.o_presence ~= a.presence then
        if a.presence == 'available' then
            redis.call('SADD', ctx.P .. ':avail', a.id)
        elseif a.o_presence == 'available' then
            redis.call('SREM', ctx.P .. ':avail', a.id)
        end
        a.o_presence = a.presence
    end
end

-- Capacity bookkeeping (see idle_since above).
local function agent_take(ctx, a, sid, class)
    redis.call('SADD', akey(ctx, a.id) .. ':ss', sid)
    if a.load.total == 0 then a.idle = ctx.now end
    a.load[class] = a.load[class] + 1
    a.load.total = a.load.total + 1
end

local function agent_release(ctx, a, sid, class)
    redis.call('SREM', akey(ctx, a.id) .. ':ss', sid)
    a.load[class] = math.max(0, a.load[class] - 1)
    a.load.total = math.max(0, a.load.total - 1)
    if a.load.total == 0 then a.idle = ctx.now end
end

-- Room left in total, used to bound pull loops.
local function agent_room(a)
    return math.max(0, a.cap.total - a.load.total)
end
