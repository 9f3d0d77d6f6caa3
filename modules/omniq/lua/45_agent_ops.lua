-- 45_agent_ops.lua — agent administration and presence, desk logins, tenant settings (the
-- table `AO`).
--
-- These live after the router because two of them route: an agent coming available, or
-- getting more capacity or new skills, immediately pulls the waiting sessions it can take
-- (up to its free capacity), instead of waiting for the next arrival. Going away/offline
-- only leaves the indexes; sessions already held (even pending offers) stay with the agent
-- and end through the normal paths (accept, decline, the offer timeout), so a desk that
-- blinks offline never loses a customer.

local AO = {}

local fail, istr = U.fail, U.istr

-- Create or update an agent. keep (oq_agent_update): the fields of an existing agent left
-- as they are, a string of n (name), s (skills), c (capacity), t (contact); for a new agent
-- the values given (the C side's defaults for what its caller left out) are taken.
local function agent_set(ctx, aid, name, skills_s, caps, contact, keep)
    local a = A.load(ctx, aid)
    if a and keep ~= '' then
        local h = rcall('HMGET', A.key(ctx, aid), 'name', 'contact')
        if sfind(keep, 'n', 1, true) then name = h[1] or '' end
        if sfind(keep, 't', 1, true) then contact = h[2] or '' end
        if sfind(keep, 's', 1, true) then skills_s = A.skills_s(ctx, a) end
        if sfind(keep, 'c', 1, true) then
            caps = {voice = a.cv, chat = a.cc, email = a.ce, total = a.ct}
        end
    end
    local fields = {'name', name, 'contact', contact, 'skills', skills_s}
    if not a then
        a = A.new(ctx, aid)
        rcall('SADD', ctx.P .. ':agents', aid)
        fields[#fields + 1] = 'id'; fields[#fields + 1] = aid
        fields[#fields + 1] = 'state_at'; fields[#fields + 1] = ctx.ns
        fields[#fields + 1] = 'misses'; fields[#fields + 1] = '0'
    else
        A.skills_s(ctx, a)        -- what the skill indexes hold now, before it changes
    end
    rcall('HSET', A.key(ctx, aid), unpk(fields))
    a.skills_s, a.cv, a.cc, a.ce, a.ct = skills_s, caps.voice, caps.chat, caps.email, caps.total
    -- More room or new skills may let the agent take waiting sessions now.
    if a.presence == 'available' then
        R.pull(ctx, a)
    else
        A.save(ctx, a)
    end
end

-- name skills caps contact from args[i..i+3], checked
local function agent_fields(args, i)
    return V.str('name', args[i], L.TEXT_MAX, true), V.agent_skills(args[i + 1]),
        V.caps(args[i + 2]), V.str('contact', args[i + 3], L.CONTACT_MAX, true)
end

function AO.fn_agent_set(keys, args)
    local ctx = X.begin(keys)
    V.args(args, 5, 'aid name skills caps contact')
    local aid = V.id('agent id', args[1])
    local name, skills_s, caps, contact = agent_fields(args, 2)
    agent_set(ctx, aid, name, skills_s, caps, contact, '')
    return 'OK', ctx
end

-- oq_agent_update aid keep name skills caps contact: oq_agent_set, the fields named in keep
-- (n s c t) left as they are on an existing agent - a partial update in one call, which no
-- concurrent one can interleave with (a REST PUT that names some fields).
function AO.fn_agent_update(keys, args)
    local ctx = X.begin(keys)
    V.args(args, 6, 'aid keep name skills caps contact')
    local aid = V.id('agent id', args[1])
    local keep = args[2]
    if smatch(keep, '[^nsct]') or #keep > 4 then fail('ARG', 'keep must be of n, s, c, t') end
    local name, skills_s, caps, contact = agent_fields(args, 3)
    agent_set(ctx, aid, name, skills_s, caps, contact, keep)
    return 'OK', ctx
end

function AO.fn_agent_del(keys, args)
    local ctx = X.begin(keys)
    V.args(args, 1, 'aid')
    local aid = V.id('agent id', args[1])
    local a = A.load(ctx, aid)
    if not a then fail('NOTFOUND', 'agent ' .. aid) end
    local held = #U.split(a.held, ',')
    if held > 0 then fail('STATE', 'agent ' .. aid .. ' holds ' .. held .. ' sessions') end
    -- Out of every index first (an offline agent is in none), then the keys. Sessions
    -- parked for this agent are released by the sweep when their affinity wait ends (there
    -- may be many; not here).
    a.presence = 'offline'
    A.index(ctx, a)
    rcall('DEL', A.key(ctx, aid), A.key(ctx, aid) .. ':pw', A.key(ctx, aid) .. ':canned',
        A.key(ctx, aid) .. ':past')
    rcall('SREM', ctx.P .. ':agents', aid)
    X.emit(ctx, 'agent_del', '', 'deleted', aid)
    return 'OK'
end

-- The agent desk's login secret. The C side derives it (a PBKDF2 hash with its salt and
-- iteration count) and compares it; to Redis it is an opaque token, never a password. It
-- is a key of its own rather than a field of P:a:<aid> so that nothing that shows the
-- agent hash (oq_agent_get, a supervisor's screen, an RPC dump) can ever carry it along.
-- A new secret ends every desk login made with the one it replaces (the token epoch, below).
function AO.fn_agent_secret(keys, args)
    local ctx = X.begin(keys)
    V.args(args, 2, 'aid secret')
    local aid = V.id('agent id', args[1])
    local secret = V.secret(args[2])
    A.must_exist(ctx, aid)
    -- (a first secret ends nothing: no login could be made without one)
    local old = rcall('SET', A.key(ctx, aid) .. ':pw', secret, 'GET')
    if old then AO.revoke(ctx, aid) end
    return 'OK'
end

-- The agent's desk token epoch: P:a:<aid>:tok, an integer (absent: 0). A desk token carries
-- the epoch it was issued in and is good only while it is the agent's current one, so a
-- logout or a new password - which move it on - end every token issued before, on every
-- node; the 'revoke' event (state: the new epoch) closes the desks open with them. It is
-- not deleted with the agent: an agent made again under the same id must not find the old
-- tokens good again.
function AO.revoke(ctx, aid)
    local e = rcall('INCR', A.key(ctx, aid) .. ':tok')
    X.emit(ctx, 'revoke', '', U.dec(e), aid)
    return e
end

-- oq_agent_revoke aid epoch: a desk's logout. epoch: the token's ("" for any); a token that
-- is no longer current cannot log out (STATE): a stolen old one cannot keep the agent out.
-- -> the new epoch.
function AO.fn_agent_revoke(keys, args)
    local ctx = X.begin(keys)
    V.args(args, 2, 'aid epoch')
    local aid = V.id('agent id', args[1])
    A.must_exist(ctx, aid)
    if args[2] ~= '' then
        local now = U.num(rcall('GET', A.key(ctx, aid) .. ':tok') or '0', 0, 'token epoch')
        if U.num(args[2], 0, 'epoch') ~= now then fail('STATE', 'token of ' .. aid .. ' no longer current') end
    end
    return U.dec(AO.revoke(ctx, aid)), ctx
end

-- Desk login attempts, counted where every process and node sees them: P:login:<key>
-- (key: the caller's, e.g. "<address> <agent>") holds how many attempts of the window
-- failed or are being checked, and expires with the window. oq_login_try key fails window:
-- {1, 0} the attempt is counted and may be checked; {0, seconds left} refused, key already
-- has fails. oq_login_done key outcome: 'ok' clears the count, 'unchecked' takes the
-- attempt back (Redis or the hash failed: neither a failure nor a success); a failure
-- needs no call, it was counted up front, so attempts made all at once get no more checks
-- than attempts made one after another, on any process.
local function login_key(ctx, v)
    if type_(v) ~= 'string' or v == '' or #v > 256 then fail('ARG', 'login key must be 1..256 bytes') end
    return ctx.P .. ':login:' .. v
end

function AO.fn_login_try(keys, args)
    local ctx = X.begin_ro(keys)
    V.args(args, 3, 'key fails window')
    local k = login_key(ctx, args[1])
    local fails = V.int('fails', args[2], 1, 1000)
    local window = V.int('window', args[3], 1, 86400)
    local n = tonum(rcall('GET', k) or '0')
    if n >= fails then
        local ttl = rcall('TTL', k)
        return {0, ttl > 0 and ttl or 1}
    end
    if rcall('INCR', k) == 1 then rcall('EXPIRE', k, window) end
    return {1, 0}
end

function AO.fn_login_done(keys, args)
    local ctx = X.begin_ro(keys)
    V.args(args, 2, 'key outcome')
    local k = login_key(ctx, args[1])
    if args[2] == 'ok' then
        rcall('DEL', k)
    elseif args[2] == 'unchecked' then
        if tonum(rcall('GET', k) or '0') > 0 then rcall('DECR', k) end
    else
        fail('ARG', 'outcome must be ok or unchecked')
    end
    return 'OK'
end

-- The agent written back: when it may now take more (pull), with the waiting sessions it
-- takes at once, their ids appended to out; else only its row and indexes.
local function save_or_pull(ctx, a, pull, out)
    if not pull then
        A.save(ctx, a)
        return out
    end
    for _, sid in ipairs_(R.pull(ctx, a)) do out[#out + 1] = sid end
    return out
end

function AO.fn_agent_state(keys, args)
    local ctx = X.begin(keys)
    V.args(args, 2, 'aid presence')
    local aid = V.id('agent id', args[1])
    local presence = V.presence(args[2])
    local a = A.load(ctx, aid)
    if not a then fail('NOTFOUND', 'agent ' .. aid) end
    local prev = a.presence
    a.presence = presence
    if prev ~= presence then
        rcall('HSET', A.key(ctx, aid), 'state_at', ctx.ns)
        X.emit(ctx, 'presence', '', presence, aid)
    end
    if presence == 'available' then
        rcall('HSET', A.key(ctx, aid), 'misses', '0')
        if prev ~= 'available' then a.idle = ctx.ns end
    end
    return save_or_pull(ctx, a, presence == 'available', {aid, presence}), ctx
end

-- Whether the agent has a phone registered anywhere (omniq_sip, from its registrar and
-- its phone lookups): "0" keeps the agent out of voice routing - a call is never offered to
-- a phone that cannot ring, and the agent is not set away for it - "1" lets calls come
-- again, and the agent at once takes the waiting calls it has room for. An agent never
-- told is taken to have one. Reply {aid, phone, sid...} (the sessions it took).
function AO.fn_agent_phone(keys, args)
    local ctx = X.begin(keys)
    V.args(args, 2, 'aid phone')
    local aid = V.id('agent id', args[1])
    local phone = args[2]
    if phone ~= '0' and phone ~= '1' then fail('ARG', 'phone must be 0 or 1') end
    local a = A.load(ctx, aid)
    if not a then fail('NOTFOUND', 'agent ' .. aid) end
    local out = {aid, phone}
    if a.nophone == (phone == '0') then return out end
    rcall('HSET', A.key(ctx, aid), 'phone', phone)
    a.nophone = phone == '0'
    return save_or_pull(ctx, a, a.presence == 'available' and not a.nophone, out), ctx
end

function AO.fn_config(keys, args)
    local ctx = X.begin(keys)
    if #args < 2 or #args % 2 ~= 0 then
        fail('ARG', 'wrong number of arguments, expected: field value [field value...]')
    end
    local policy = nil
    for i = 1, #args, 2 do
        local f, v = args[i], args[i + 1]
        if f == 'policy' then
            if v ~= 'blended' and v ~= 'voice_exclusive' then
                fail('ARG', 'policy must be blended or voice_exclusive')
            end
            policy = v
        elseif L.CFG[f] then
            V.int(f, v, L.CFG[f][2], L.CFG[f][3])
        else
            fail('ARG', 'unknown config field ' .. tostr(f))
        end
    end
    X.cfg_write(ctx.P, args)
    -- Another policy changes which agents have room for chats and emails during a call:
    -- the available agents are indexed again by the sweep, a slice at a time (P:reidx).
    if policy and policy ~= ctx.cfg.policy then
        local av = rcall('SMEMBERS', ctx.P .. ':avail')
        for i = 1, #av, 1000 do rcall('SADD', ctx.P .. ':reidx', unpk(av, i, mmin(i + 999, #av))) end
    end
    return 'OK'
end
