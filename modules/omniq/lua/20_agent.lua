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
--   P:skl:<skill> zset, the *available* agents that have the skill, scored by their level:
--                 routing walks it best level first and reads the levels of given agents
--                 (ZSCORE) for sessions that need several skills. Changes only with
--                 presence or skills, never with load. It holds one member that is no
--                 agent, A.FAIR_SENTINEL scored -inf (first in every range), for the
--                 reason P:fair does (below): levels are read by lookup, not by a scan.
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
-- fills or frees), whatever the number of skills; routing (the omniq engine, engine/route.c)
-- walks a skill's agents best level first, reads the levels of a few candidates and,
-- among the best level, their load and idle time.
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

local dec = U.dec
local ROW = '^(%a+)|(%d+)|(%d+)|(%d+)|(%d+)|(%d+)|(%d+)|(%d+)|(%d+)|(%d+)|([^|]*)|(.*)$'
-- An agent in memory is one flat table (Lua here costs ~100 machine instructions per VM
-- operation and hundreds per table or function call: the hot paths count them):
--   id presence cv cc ce ct (capacity) lv lc le lt (load) idle avx held [skills_s]
--   and o_presence o_lt o_idle o_avx o_skills: what the indexes hold (A.index).
-- P:fair holds one member that is no agent: 72 '~', scored +inf (last in every range). A
-- zset of up to 128 short members is a listpack, where finding a member is a scan: the
-- re-score of a load change cost 40,000 machine instructions in a 100-agent centre, a
-- lookup 10,000. One member longer than 64 bytes makes Redis keep the zset as a skiplist
-- with a dict: 8,000 and 4,000. Readers of P:fair skip it (its length is no agent id's).
A.FAIR_SENTINEL = '~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~'
local LOAD = {voice = 'lv', chat = 'lc', email = 'le'}
local CAP = {voice = 'cv', chat = 'cc', email = 'ce'}
A.LOAD, A.CAP = LOAD, CAP

function A.key(ctx, aid)
    return ctx.P .. ':a:' .. aid
end

-- "en:5,sales:3" → map name → level, sorted names.
function A.parse_skills(s)
    local map, names = {}, {}
    for name, lvl in sgmatch(s, '([^,:]+):(%d+)') do
        map[name] = U.int(lvl)
        names[#names + 1] = name
    end
    return map, names
end

-- An agent from its row; nil when there is none, OQ_INTERNAL when it does not parse.
local function bad_row(aid)
    U.fail('INTERNAL', 'agent ' .. aid .. ' has a malformed row')
end

-- phone: the agent hash's `phone` ("0": no phone registered anywhere, omniq_sip says so;
-- "1" or none: one may be), read with the row.
function A.from_row(ctx, aid, row, phone)
    if not row then return nil end
    local p, cv, cc, ce, ct, lv, lc, le, lt, idle, avx, held = smatch(row, ROW)
    if not p then bad_row(aid) end
    local N = NUM
    cv, cc, ce, ct, lv, lc, le, lt = N[cv], N[cc], N[ce], N[ct], N[lv], N[lc], N[le], N[lt]
    if not (cv and cc and ce and ct and lv and lc and le and lt) then bad_row(aid) end
    return {id = aid, presence = p, cv = cv, cc = cc, ce = ce, ct = ct, lv = lv, lc = lc, le = le,
        lt = lt, idle = idle, avx = avx, held = held, nophone = phone == '0',
        o_presence = p, o_lt = lt, o_idle = idle, o_avx = avx}
end

-- Load an agent (its row and phone flag; its skills when first needed); nil when it does
-- not exist.
function A.load(ctx, aid)
    local v = rcall('HMGET', ctx.P .. ':a:' .. aid, 'r', 'phone')
    return A.from_row(ctx, aid, v[1] or nil, v[2] or nil)
end

-- Refuses (NOTFOUND) an agent id that names no agent: one EXISTS, no row read.
function A.must_exist(ctx, aid)
    if rcall('EXISTS', A.key(ctx, aid)) == 0 then U.fail('NOTFOUND', 'agent ' .. aid) end
end

-- A new agent (oq_agent_set of an unknown id): offline, empty.
function A.new(ctx, aid)
    return {id = aid, presence = 'offline', cv = 0, cc = 0, ce = 0, ct = 0, lv = 0, lc = 0,
        le = 0, lt = 0, idle = ctx.ns, avx = '', held = '', skills_s = '', o_skills = '',
        o_presence = 'offline', o_lt = 0, o_idle = ctx.ns, o_avx = '', is_new = true}
end

-- The skills string, read on first use (routing to an agent needs it only to check a
-- session's skills against it; a close with nothing waiting never does).
function A.skills_s(ctx, a)
    local s = a.skills_s
    if s == nil then
        s = rcall('HGET', ctx.P .. ':a:' .. a.id, 'skills') or ''
        a.skills_s, a.o_skills = s, s
    end
    return s
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
    local i = sfind(s, ',' .. skill .. ':', 1, true)
    if not i then return nil end
    return U.int(smatch(s, '^%d+', i + #skill + 2))
end

-- Does the agent have room for one more session of this class right now? Policy
-- voice_exclusive: while on a call, no chats or emails are added.
function A.free(ctx, a, class)
    if a.presence ~= 'available' or a.lt >= a.ct or a[LOAD[class]] >= a[CAP[class]] then
        return false
    end
    -- no phone registered anywhere: no call (chats and emails as ever)
    if class == 'voice' and a.nophone then return false end
    return class == 'voice' or a.lv == 0 or ctx.cfg.policy ~= 'voice_exclusive'
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
    return mmax(0, a.ct - a.lt)
end

-- The classes the agent has room in now, as avx spells them ("voice,chat,email" order),
-- and which classes each such string names.
local AVX = {[''] = {}, voice = {voice = true}, chat = {chat = true}, email = {email = true},
    ['voice,chat'] = {voice = true, chat = true}, ['voice,email'] = {voice = true, email = true},
    ['chat,email'] = {chat = true, email = true},
    ['voice,chat,email'] = {voice = true, chat = true, email = true}}

A.AVX = AVX

function A.avx(ctx, a)
    if a.presence ~= 'available' or a.lt >= a.ct then return '' end
    local v = a.lv < a.cv and not a.nophone
    local busy = a.lv > 0 and ctx.cfg.policy == 'voice_exclusive'
    local c = a.lc < a.cc and not busy
    local e = a.le < a.ce and not busy
    if v then
        if c then return e and 'voice,chat,email' or 'voice,chat' end
        return e and 'voice,email' or 'voice'
    end
    if c then return e and 'chat,email' or 'chat' end
    return e and 'email' or ''
end

local function set_class(P, aid, class, had, want)
    if want and not had then
        rcall('SADD', P .. ':fr:' .. class, aid)
    elseif had and not want then
        rcall('SREM', P .. ':fr:' .. class, aid)
    end
end

-- Bring P:fr:*, P:fair, P:skl:* and P:avail in line with the agent in memory,
-- touching only what differs from what they hold (the o_ fields).
function A.index(ctx, a)
    local P, aid, oavx = ctx.P, a.id, a.o_avx
    local avx = A.avx(ctx, a)
    if avx ~= oavx then
        local had, want = AVX[oavx] or {}, AVX[avx]
        set_class(P, aid, 'voice', had.voice, want.voice)
        set_class(P, aid, 'chat', had.chat, want.chat)
        set_class(P, aid, 'email', had.email, want.email)
    end
    if avx ~= '' then
        if oavx == '' or a.o_lt ~= a.lt or a.o_idle ~= a.idle then
            -- load * 10^13 + idle ms, joined as strings (no number to format); the
            -- sentinel rides along (a no-op once it is there), see A.FAIR_SENTINEL
            rcall('ZADD', P .. ':fair', DEC[a.lt] .. a.idle, aid, '+inf', A.FAIR_SENTINEL)
        end
    elseif oavx ~= '' then
        rcall('ZREM', P .. ':fair', aid)
    end
    local now_av, was_av = a.presence == 'available', a.o_presence == 'available'
    if now_av ~= was_av or (now_av and a.skills_s ~= nil and a.skills_s ~= a.o_skills) then
        local old = was_av and A.parse_skills(a.o_skills or A.skills_s(ctx, a)) or {}
        local new = now_av and A.skills(ctx, a) or {}
        for name in pairs_(old) do
            if not new[name] then rcall('ZREM', P .. ':skl:' .. name, aid) end
        end
        for name, lvl in pairs_(new) do
            if old[name] ~= lvl then
                -- the sentinel rides along, as in P:fair
                rcall('ZADD', P .. ':skl:' .. name, lvl, aid, '-inf', A.FAIR_SENTINEL)
            end
        end
        if now_av and not was_av then
            rcall('SADD', P .. ':avail', aid)
        elseif was_av and not now_av then
            rcall('SREM', P .. ':avail', aid)
        end
        a.o_skills = a.skills_s
    end
    a.avx, a.o_avx, a.o_lt, a.o_idle, a.o_presence = avx, avx, a.lt, a.idle, a.presence
end

function A.row(a)
    local D = DEC
    return a.presence .. '|' .. D[a.cv] .. '|' .. D[a.cc] .. '|' .. D[a.ce] .. '|' .. D[a.ct] .. '|'
        .. D[a.lv] .. '|' .. D[a.lc] .. '|' .. D[a.le] .. '|' .. D[a.lt] .. '|' .. a.idle .. '|'
        .. a.avx .. '|' .. a.held
end

-- Write the agent's row and its indexes.
function A.save(ctx, a)
    A.index(ctx, a)
    rcall('HSET', ctx.P .. ':a:' .. a.id, 'r', A.row(a))
end

-- Capacity bookkeeping: a session held from its offer to its end.
function A.take(ctx, a, sid, class)
    local k = LOAD[class]
    a.held = a.held == '' and sid or a.held .. ',' .. sid
    a[k], a.lt, a.idle = a[k] + 1, a.lt + 1, ctx.ns
end

function A.release(ctx, a, sid, class)
    local k = LOAD[class]
    a.held = U.list_del(a.held, sid)
    if a[k] > 0 then a[k] = a[k] - 1 end
    if a.lt > 0 then a.lt = a.lt - 1 end
    a.idle = ctx.ns
end

-- The named fields of a row, for oq_agent_get (what the hash held before the row).
function A.fields(a)
    return {'presence', a.presence, 'cap:voice', dec(a.cv), 'cap:chat', dec(a.cc),
        'cap:email', dec(a.ce), 'cap:total', dec(a.ct), 'load:voice', dec(a.lv),
        'load:chat', dec(a.lc), 'load:email', dec(a.le), 'load:total', dec(a.lt),
        'idle_since', a.idle, 'avx', a.avx}
end
