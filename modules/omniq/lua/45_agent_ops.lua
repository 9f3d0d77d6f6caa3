-- 45_agent_ops.lua — agent administration and presence, and tenant config.
--
-- These live after the router because two of them route: an agent coming
-- available, or getting more capacity or new skills, immediately pulls the
-- waiting sessions it can take (up to its free capacity), instead of
-- waiting for the next arrival. Going away/offline only leaves the
-- availability index; sessions already held (even pending offers) stay
-- with the agent and end through the normal paths (accept, decline, the
-- offer timeout), so a desk that blinks offline never loses a customer.

local function fn_agent_set(keys, args)
    local ctx = begin(keys)
    need_args(args, 5, 'aid name skills caps contact')
    local aid = v_name('agent id', args[1])
    local name = v_str('name', args[2], MAX_ID, true)
    local skills, names = v_agent_skills(args[3])
    local caps = v_caps(args[4])
    local contact = v_str('contact', args[5], 1024, true)

    local a = agent_load(ctx, aid)
    if not a then
        a = {id = aid, presence = 'offline', misses = 0, idle = ctx.now, avx = {},
             load = {voice = 0, chat = 0, email = 0, total = 0},
             skills = {}, names = {}, o_skills = {}, o_names = {}, o_idle = ctx.now,
             o_presence = 'offline'}
        redis.call('SADD', ctx.P .. ':agents', aid)
        redis.call('HSET', akey(ctx, aid), 'id', aid, 'state_at', istr(ctx.now))
    end
    local k = akey(ctx, aid) .. ':sk'
    redis.call('DEL', k)
    if #names > 0 then
        local kv = {}
        for _, s in ipairs(names) do kv[#kv + 1] = s; kv[#kv + 1] = tostring(skills[s]) end
        redis.call('HSET', k, unpack(kv))
    end
    a.skills, a.names = skills, names
    a.cap = caps
    redis.call('HSET', akey(ctx, aid), 'name', name, 'contact', contact,
        'cap:voice', caps.voice, 'cap:chat', caps.chat, 'cap:email', caps.email,
        'cap:total', caps.total)
    -- More room or new skills may let the agent take waiting sessions now.
    if a.presence == 'available' then
        pull(ctx, a)
    else
        agent_save(ctx, a)
    end
    return 'OK'
end

local function fn_agent_del(keys, args)
    local ctx = begin(keys)
    need_args(args, 1, 'aid')
    local aid = v_name('agent id', args[1])
    local a = agent_load(ctx, aid)
    if not a then fail('NOTFOUND', 'agent ' .. aid) end
    local held = redis.call('SCARD', akey(ctx, aid) .. ':ss')
    if held > 0 then fail('STATE', 'agent ' .. aid .. ' holds ' .. held .. ' sessions') end
    -- Out of every index first (agent_save with presence offline does it),
    -- then the keys. Sessions parked for this agent are released by the
    -- sweep when their affinity wait ends (there may be many; not here).
    a.presence = 'offline'
    agent_index(ctx, a)
    redis.call('SREM', ctx.P .. ':avail', aid)
    redis.call('DEL', akey(ctx, aid), akey(ctx, aid) .. ':sk', akey(ctx, aid) .. ':ss',
        akey(ctx, aid) .. ':pw')
    redis.call('SREM', ctx.P .. ':agents', aid)
    emit(ctx, 'agent_del', '', 'deleted', aid)
    return 'OK'
end

-- The agent desk's login secret. The C side derives it (a PBKDF2 hash with
-- its salt and iteration count) and compares it; to Redis it is an opaque
-- token, never a password. It is a key of its own rather than a field of
-- P:a:<aid> so that nothing that shows the agent hash (oq_agent_get, a
-- supervisor's screen, an RPC dump) can ever carry it along.
local MAX_SECRET = 256

local function v_secret(v)
    if type(v) ~= 'string' or #v < 1 or #v > MAX_SECRET or not string.match(v, '^[!-~]+$') then
        fail('ARG', 'secret must be 1..' .. MAX_SECRET .. ' printable ASCII characters, no spaces')
    end
    return v
end

local function fn_agent_secret(keys, args)
    local ctx = begin_ro(keys)
    need_args(args, 2, 'aid secret')
    local aid = v_name('agent id', args[1])
    local secret = v_secret(args[2])
    if redis.call('EXISTS', akey(ctx, aid)) == 0 then fail('NOTFOUND', 'agent ' .. aid) end
    redis.call('SET', akey(ctx, aid) .. ':pw', secret)
    return 'OK'
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
    if type(v) ~= 'string' or v == '' or #v > 256 then fail('ARG', 'login key must be 1..256 bytes') end
    return ctx.P .. ':login:' .. v
end

local function fn_login_try(keys, args)
    local ctx = begin_ro(keys)
    need_args(args, 3, 'key fails window')
    local k = login_key(ctx, args[1])
    local fails = v_int('fails', args[2], 1, 1000)
    local window = v_int('window', args[3], 1, 86400)
    local n = tonumber(redis.call('GET', k) or '0')
    if n >= fails then
        local ttl = redis.call('TTL', k)
        return {0, ttl > 0 and ttl or 1}
    end
    if redis.call('INCR', k) == 1 then redis.call('EXPIRE', k, window) end
    return {1, 0}
end

local function fn_login_done(keys, args)
    local ctx = begin_ro(keys)
    need_args(args, 2, 'key outcome')
    local k = login_key(ctx, args[1])
    if args[2] == 'ok' then
        redis.call('DEL', k)
    elseif args[2] == 'unchecked' then
        if tonumber(redis.call('GET', k) or '0') > 0 then redis.call('DECR', k) end
    else
        fail('ARG', 'outcome must be ok or unchecked')
    end
    return 'OK'
end

local function fn_agent_state(keys, args)
    local ctx = begin(keys)
    need_args(args, 2, 'aid presence')
    local aid = v_name('agent id', args[1])
    local presence = v_presence(args[2])
    local a = agent_load(ctx, aid)
    if not a then fail('NOTFOUND', 'agent ' .. aid) end
    local prev = a.presence
    a.presence = presence
    if prev ~= presence then
        redis.call('HSET', akey(ctx, aid), 'state_at', istr(ctx.now))
        emit(ctx, 'presence', '', presence, aid)
    end
    local out = {aid, presence}
    if presence == 'available' then
        a.misses = 0
        if prev ~= 'available' then a.idle = ctx.now end
        for _, sid in ipairs(pull(ctx, a)) do out[#out + 1] = sid end
    else
        agent_save(ctx, a)
    end
    return out
end

local function fn_config(keys, args)
    local ctx = begin_ro(keys)
    if #args < 2 or #args % 2 ~= 0 then
        fail('ARG', 'wrong number of arguments, expected: field value [field value...]')
    end
    for i = 1, #args, 2 do
        local f, v = args[i], args[i + 1]
        if f == 'policy' then
            if v ~= 'blended' and v ~= 'voice_exclusive' then
                fail('ARG', 'policy must be blended or voice_exclusive')
            end
        elseif CFG_LIMITS[f] then
            v_int(f, v, CFG_LIMITS[f][1], CFG_LIMITS[f][2])
        else
            fail('ARG', 'unknown config field ' .. tostring(f))
        end
    end
    redis.call('HSET', ctx.P .. ':cfg', unpack(args))
    return 'OK'
end
