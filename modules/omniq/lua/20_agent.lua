-- 20_agent.lua — the agent model: capacity, fairness and the three agent indexes (the
-- table `A`).
--
-- An agent is one hash, P:a:<aid>: id, name, contact, state_at, its skills as one string
-- (`skills`, "en:5,sales:3", sorted by name) and everything routing changes in one field
-- `r`, a row read and written whole:
--     presence|cap:voice|cap:chat|cap:email|cap:total|load:voice|load:chat|load:email|
--     load:total|idle_since|avx|held
-- (`held`: the sessions it holds, a comma list; `misses`, the offers it let lapse in a
-- row, is a field of its own: an accept resets it without reading the row). One field instead of thirteen because a
-- listpack hash finds each field by a scan and every field read or written is a string
-- converted on the way: reading thirteen named fields cost a routing call more than the
-- rest of it together. oq_agent_get shows the row as the named fields. A call loads the
-- row once, changes it in memory and writes it back with A.save(), which brings the
-- indexes in line:
--
--   P:sk:<skill>  zset, the *available* agents that have the skill; every score is 0 and
--                 the member is <10-level><aid> ("3alice": level 7), so that the order of
--                 the zset is best level first, then agent id, read by rank without a
--                 score to format. Changes only with presence or skills, never with load:
--                 routing finds the best level here. P:skl:<skill> holds the same agents
--                 scored by their level, to read the levels of given agents at once
--                 (ZMSCORE) for sessions that need several skills.
--   P:fr:<class>  set, the available agents with room for one more session of the class
--                 now (capacity of the class and in total, and the policy). Changes only
--                 when the agent fills up or frees up in that class.
--   P:fair        zset, the available agents with room in some class, scored
--                 load:total * 10^13 + idle_since (the two strings joined): least loaded
--                 first, then the one whose load changed longest ago (idle longest). One
--                 re-score per load change.
--
-- Why three: routing wants "best level, then least loaded, then longest idle". The
-- previous model kept one zset per class and skill scored by level and idle time, so every
-- load change of an agent re-scored 3 x (skills + 1) entries (70 µs for a 10-skill agent,
-- most of a routing cycle). Here a load change costs one ZADD (and a SADD/SREM when a class
-- fills or frees), whatever the number of skills; routing reads the levels of a few
-- candidates by rank, their room with one SMISMEMBER and, among the best level, their
-- load and idle time (35_route.lua).
--
-- What the indexes hold is what the hash said when they were last written (`avx`, the
-- classes the agent is indexed in, and the load and idle_since stored with it), so that a
-- policy change through oq_config (which changes what "room" means) cannot make the
-- difference computed here lie; routing re-checks every candidate against its hash.
--
-- idle_since moves whenever the agent's load changes and when it comes available: among
-- agents of equal level and load, the one that got or finished work longest ago comes
-- first, so work spreads evenly (with voice capacity above 1, or several chats, as well).

local A = {}

local dec, int = U.dec, U.int
local ROW = '^(%a+)|(%d+)|(%d+)|(%d+)|(%d+)|(%d+)|(%d+)|(%d+)|(%d+)|(%d+)|([^|]*)|(.*)$'

function A.key(ctx, aid)
    return ctx.P .. ':a:' .. aid
end

-- "en:5,sales:3" → map name → level, sorted names.
function A.parse_skills(s)
    local map, names = {}, {}
    for name, lvl in string.gmatch(s, '([^,:]+):(%d+)') do
        map[name] = int(lvl)
        names[#names + 1] = name
    end
    return map, names
end

-- The member of an agent in P:sk:<skill>: <10-level><aid>.
function A.sk_member(level, aid)
    return dec(10 - level) .. aid
end

local function snapshot(a)
    a.o = {presence = a.presence, total = a.load.total, idle = a.idle, skills_s = a.skills_s,
           avx = a.avx}
end

-- An agent from its row; nil when the row is missing or does not parse (a hand edit).
function A.from_row(ctx, aid, row)
    if not row then return nil end
    local p, cv, cc, ce, ct, lv, lc, le, lt, idle, avx, held = string.match(row, ROW)
    if not p then U.fail('INTERNAL', 'agent ' .. aid .. ' has a malformed row') end
    local a = {
        id = aid, presence = p,
        cap = {voice = int(cv), chat = int(cc), email = int(ce), total = int(ct)},
        load = {voice = int(lv), chat = int(lc), email = int(le), total = int(lt)},
        idle = idle, avx = avx, held = held,
    }
    snapshot(a)
    return a
end

-- Load an agent (its row; its skills when first needed); nil when it does not exist.
function A.load(ctx, aid)
    return A.from_row(ctx, aid, redis.call('HGET', A.key(ctx, aid), 'r'))
end

-- A new agent (oq_agent_set of an unknown id): offline, empty.
function A.new(ctx, aid)
    local a = {id = aid, presence = 'offline', idle = ctx.ns, skills_s = '',
               held = '', avx = '', cap = {voice = 0, chat = 0, email = 0, total = 0},
               load = {voice = 0, chat = 0, email = 0, total = 0}, is_new = true}
    snapshot(a)
    return a
end

-- The skills string, read on first use (routing to an agent needs it only to check a
-- session's skills against it; a close with nothing waiting never does).
function A.skills_s(ctx, a)
    if a.skills_s == nil then
        a.skills_s = redis.call('HGET', A.key(ctx, a.id), 'skills') or ''
        a.o.skills_s = a.skills_s
    end
    return a.skills_s
end

-- The agent's skills as a map and sorted names, parsed on first use.
function A.skills(ctx, a)
    local s = A.skills_s(ctx, a)
    if a.sk_for ~= s then
        a.sk, a.names = A.parse_skills(s)
        a.sk_for = s
    end
    return a.sk, a.names
end

-- The level of one skill, or nil, without parsing the whole list.
function A.level(ctx, a, skill)
    local s = ',' .. A.skills_s(ctx, a)
    local i = string.find(s, ',' .. skill .. ':', 1, true)
    if not i then return nil end
    return int(string.match(s, '^%d+', i + #skill + 2))
end

-- Does the agent have room for one more session of this class right now? Policy
-- voice_exclusive: while on a call, no chats or emails are added.
function A.free(ctx, a, class)
    if a.presence ~= 'available' then return false end
    local load, cap = a.load, a.cap
    if load.total >= cap.total or load[class] >= cap[class] then return false end
    if class ~= 'voice' and load.voice > 0 and ctx.cfg.policy == 'voice_exclusive' then
        return false
    end
    return true
end

function A.has_skills(ctx, a, skills)
    if #skills == 0 then return true end
    local sk = A.skills(ctx, a)
    for i = 1, #skills do
        if not sk[skills[i]] then return false end
    end
    return true
end

-- Room left in total, used to bound pull loops.
function A.room(a)
    return math.max(0, a.cap.total - a.load.total)
end

-- The agent's score in P:fair: load:total then idle_since, as one decimal (load * 10^13 +
-- idle ms), joined as strings.
function A.fair_score(a)
    return dec(a.load.total) .. a.idle
end

-- Bring P:fr:*, P:fair, P:sk:* and P:avail in line with the agent in memory, touching
-- only what differs from what they hold (a.o).
function A.index(ctx, a)
    local o, P, aid = a.o, ctx.P, a.id
    local avx = ''
    local want = {}
    for _, c in ipairs(U.CLASSES) do
        if A.free(ctx, a, c) then
            want[c] = true
            avx = avx == '' and c or avx .. ',' .. c
        end
    end
    if avx ~= o.avx then
        for _, c in ipairs(U.CLASSES) do
            local had = U.list_has(o.avx, c)
            if want[c] and not had then
                redis.call('SADD', P .. ':fr:' .. c, aid)
            elseif had and not want[c] then
                redis.call('SREM', P .. ':fr:' .. c, aid)
            end
        end
    end
    if avx ~= '' then
        if o.avx == '' or o.total ~= a.load.total or o.idle ~= a.idle then
            redis.call('ZADD', P .. ':fair', A.fair_score(a), aid)
        end
    elseif o.avx ~= '' then
        redis.call('ZREM', P .. ':fair', aid)
    end
    local now_av, was_av = a.presence == 'available', o.presence == 'available'
    if now_av ~= was_av or (now_av and a.skills_s ~= nil and a.skills_s ~= o.skills_s) then
        local old = was_av and A.parse_skills(o.skills_s or A.skills_s(ctx, a)) or {}
        local new = now_av and A.skills(ctx, a) or {}
        for name, lvl in pairs(old) do
            if new[name] ~= lvl then
                redis.call('ZREM', P .. ':sk:' .. name, A.sk_member(lvl, aid))
                if not new[name] then redis.call('ZREM', P .. ':skl:' .. name, aid) end
            end
        end
        for name, lvl in pairs(new) do
            if old[name] ~= lvl then
                redis.call('ZADD', P .. ':sk:' .. name, 0, A.sk_member(lvl, aid))
                redis.call('ZADD', P .. ':skl:' .. name, lvl, aid)
            end
        end
        if now_av and not was_av then
            redis.call('SADD', P .. ':avail', aid)
        elseif was_av and not now_av then
            redis.call('SREM', P .. ':avail', aid)
        end
    end
    a.avx = avx
    snapshot(a)
end

function A.row(a)
    local c, l = a.cap, a.load
    return a.presence .. '|' .. dec(c.voice) .. '|' .. dec(c.chat) .. '|' .. dec(c.email) .. '|'
        .. dec(c.total) .. '|' .. dec(l.voice) .. '|' .. dec(l.chat) .. '|' .. dec(l.email) .. '|'
        .. dec(l.total) .. '|' .. a.idle .. '|' .. a.avx .. '|' .. a.held
end

-- Write the agent's row and its indexes.
function A.save(ctx, a)
    A.index(ctx, a)
    redis.call('HSET', A.key(ctx, a.id), 'r', A.row(a))
end

-- Capacity bookkeeping: a session held from its offer to its end.
function A.take(ctx, a, sid, class)
    a.held = U.list_add(a.held, sid)
    a.load[class] = a.load[class] + 1
    a.load.total = a.load.total + 1
    a.idle = ctx.ns
end

function A.release(ctx, a, sid, class)
    a.held = U.list_del(a.held, sid)
    a.load[class] = math.max(0, a.load[class] - 1)
    a.load.total = math.max(0, a.load.total - 1)
    a.idle = ctx.ns
end

-- The named fields of a row, for oq_agent_get (what the hash held before the row).
function A.fields(a)
    return {'presence', a.presence, 'cap:voice', dec(a.cap.voice), 'cap:chat', dec(a.cap.chat),
        'cap:email', dec(a.cap.email), 'cap:total', dec(a.cap.total),
        'load:voice', dec(a.load.voice), 'load:chat', dec(a.load.chat),
        'load:email', dec(a.load.email), 'load:total', dec(a.load.total),
        'idle_since', a.idle, 'avx', a.avx}
end
