-- 00_util.lua — the ground every other file of the omniq library stands on.
--
-- The library is one Redis 7 function library built by concatenating these
-- files in name order behind a single `#!lua name=omniq` line, so a file may
-- only use what an earlier file defined, and everything is `local`: a
-- function library may not create globals, and may not touch Redis while it
-- is being loaded (only inside a registered function).
--
-- Errors. The contract promises "nothing is written when an error is
-- returned". We get that by construction rather than by rollback (Redis has
-- none): every handler validates its arguments and reads everything it will
-- decide on *before* its first write. Validation failures raise a Lua error
-- carrying a redis.error_reply table; the pcall wrapper in 90_register turns
-- it back into a clean `OQ_<CODE> text` reply (raising it straight through
-- Redis would append "script: ..., on @user_function:N" to the message, and
-- callers match on the code).
--
-- Numbers. Lua 5.1 numbers are doubles. Scores in the routing indexes are
-- built as `band * 2^42 + milliseconds`, which stays below 2^53 for any band
-- we use, so they are exact; but tostring() would print them in exponent
-- form once they pass 14 digits, which Redis would then parse back fine but
-- humans and the C side would not. istr() is therefore the only way numbers
-- are turned into strings here.

local TWO42 = 4398046511104          -- 2^42 ms is ~139 years: room for any epoch ms
local MAX_ID = 256                   -- ids, names, identities, queue names
local MAX_BODY = 65536               -- one transcript message
local CLASSES = {'voice', 'chat', 'email'}
local CLASS_SET = {voice = true, chat = true, email = true}
local CHANNEL_CLASS = {phone = 'voice', web = 'chat', wechat = 'chat', app = 'chat',
                       sms = 'chat', email = 'email'}
local PRESENCE = {offline = true, available = true, away = true}
local TERMINAL = {closed = true, abandoned = true, expired = true}
local EVENTS_MAXLEN = '100000'

local function istr(x)
    return string.format('%.0f', x)
end

local function fail(code, msg)
    error(redis.error_reply('OQ_' .. code .. ' ' .. msg), 0)
end

-- The text of an error pcall caught: fail() and a failed redis.call raise an error_reply
-- table ({err = text}), Lua itself a string.
local function error_text(e)
    if type(e) == 'table' then e = e.err end
    return tostring(e)
end

local function num(v, default)
    local n = tonumber(v)
    if n == nil then return default end
    return n
end

-- Split "a,b,c" into a list; "" gives an empty list. Callers bound the count.
local function split(s, sep)
    local out = {}
    if s == nil or s == '' then return out end
    local start = 1
    while true do
        local i = string.find(s, sep, start, true)
        if not i then
            out[#out + 1] = string.sub(s, start)
            return out
        end
        out[#out + 1] = string.sub(s, start, i - 1)
        start = i + 1
    end
end

---------------------------------------------------------------------------
-- Argument validation. Each helper either returns the parsed value or raises
-- OQ_ARG naming the argument, so that the caller can log something useful.
---------------------------------------------------------------------------

local function need_args(args, n, usage)
    if #args ~= n then fail('ARG', 'wrong number of arguments, expected: ' .. usage) end
end

local function v_str(name, v, maxlen, allow_empty)
    if type(v) ~= 'string' then fail('ARG', name .. ' missing') end
    if v == '' and not allow_empty then fail('ARG', name .. ' must not be empty') end
    if #v > maxlen then fail('ARG', name .. ' longer than ' .. maxlen .. ' bytes') end
    if string.find(v, '[%z\1-\31\127]') then fail('ARG', name .. ' contains control characters') end
    return v
end

-- Message bodies may contain newlines and tabs, only NUL is refused.
local function v_body(name, v)
    if type(v) ~= 'string' or v == '' then fail('ARG', name .. ' missing') end
    if #v > MAX_BODY then fail('ARG', name .. ' longer than ' .. MAX_BODY .. ' bytes') end
    if string.find(v, '%z') then fail('ARG', name .. ' contains a NUL byte') end
    return v
end

local function v_int(name, v, lo, hi)
    if type(v) ~= 'string' or not string.match(v, '^%-?%d+$') or #v > 15 then
        fail('ARG', name .. ' must be an integer')
    end
    local n = tonumber(v)
    if n < lo or n > hi then fail('ARG', name .. ' must be in ' .. lo .. '..' .. hi) end
    return n
end

-- Agent ids and queue names end up inside key names (P:a:<aid>:sk) and in
-- comma lists, so ':' (key collisions: agent "x:sk") and ',' are refused.
local function v_name(name, v)
    v_str(name, v, MAX_ID, false)
    if not string.match(v, '^[%w%._@%+%-/=#~]+$') then
        fail('ARG', name .. ' may only contain letters, digits and ._@+-/=#~')
    end
    return v
end

-- A queue name as enqueue and transfer take it: "" is the `default` queue.
local function v_queue(v)
    if v == '' then return 'default' end
    return v_name('queue', v)
end

local function v_sid(v)
    if type(v) ~= 'string' or not string.match(v, '^%d+$') or #v > 20 then
        fail('ARG', 'session id must be a decimal number')
    end
    return v
end

local function v_cid(v)
    if type(v) ~= 'string' or not string.match(v, '^%d+$') or #v > 20 then
        fail('ARG', 'customer id must be a decimal number')
    end
    return v
end

local function v_channel(v)
    if type(v) ~= 'string' or #v > 32 or not string.match(v, '^[a-z][a-z0-9_%-]*$') then
        fail('ARG', 'channel must match [a-z][a-z0-9_-]{0,31}')
    end
    return v
end

-- Built-in channels have a fixed class; integrators' channels must name one.
-- A built-in channel with a different class is a caller bug, not a choice.
local function v_class(v, channel)
    if type(v) ~= 'string' then fail('ARG', 'class missing') end
    local fixed = CHANNEL_CLASS[channel]
    if v == '' then
        if not fixed then fail('ARG', 'class required for channel ' .. channel) end
        return fixed
    end
    if not CLASS_SET[v] then fail('ARG', 'class must be voice, chat or email') end
    if fixed and fixed ~= v then fail('ARG', 'channel ' .. channel .. ' is class ' .. fixed) end
    return v
end

local function v_skill_name(v)
    if #v == 0 or #v > 64 or not string.match(v, '^[a-z0-9][a-z0-9_%.%-]*$') then
        fail('ARG', 'bad skill name "' .. string.sub(v, 1, 64) .. '" (lowercase [a-z0-9_.-], max 64)')
    end
end

-- Session skills arrive canonical: lowercased, sorted, deduplicated. We do
-- not silently repair a non-canonical list because the first skill decides
-- the wait index; two callers disagreeing on order would split one queue.
local function v_session_skills(v)
    if type(v) ~= 'string' or #v > 4096 then fail('ARG', 'skills missing or too long') end
    local list = split(v, ',')
    if #list > 32 then fail('ARG', 'at most 32 skills per session') end
    for i = 1, #list do
        v_skill_name(list[i])
        if i > 1 and list[i - 1] >= list[i] then
            fail('ARG', 'skills must be sorted and without duplicates')
        end
    end
    return list
end

-- Agent skills "sales:5,en:3" → map name→level and sorted name list.
local function v_agent_skills(v)
    if type(v) ~= 'string' or #v > 8192 then fail('ARG', 'skills missing or too long') end
    local list = split(v, ',')
    if #list > 64 then fail('ARG', 'at most 64 skills per agent') end
    local map, names = {}, {}
    for i = 1, #list do
        local name, lvl = string.match(list[i], '^([^:]*):(%d+)$')
        if not name then fail('ARG', 'agent skill must be name:level') end
        v_skill_name(name)
        local n = tonumber(lvl)
        if n < 1 or n > 10 or #lvl > 2 then fail('ARG', 'skill level must be 1..10') end
        if map[name] then fail('ARG', 'duplicate skill ' .. name) end
        map[name] = n
        names[#names + 1] = name
    end
    table.sort(names)
    return map, names
end

-- Capacities "voice=1,chat=4,email=8,total=10". A missing class is 0 (the
-- agent does not take that class); a missing total is the sum.
local function v_caps(v)
    if type(v) ~= 'string' or #v > 256 then fail('ARG', 'caps missing or too long') end
    local caps = {}
    for _, item in ipairs(split(v, ',')) do
        local k, n = string.match(item, '^(%a+)=(%d+)$')
        if not k or (not CLASS_SET[k] and k ~= 'total') then
            fail('ARG', 'caps must be voice=N,chat=N,email=N,total=N')
        end
        if caps[k] then fail('ARG', 'duplicate cap ' .. k) end
        if #n > 4 or tonumber(n) > 1000 then fail('ARG', 'cap must be 0..1000') end
        caps[k] = tonumber(n)
    end
    local sum = 0
    for _, c in ipairs(CLASSES) do
        caps[c] = caps[c] or 0
        sum = sum + caps[c]
    end
    if caps.total == nil then caps.total = math.min(sum, 1000) end
    return caps
end

local function v_presence(v)
    if type(v) ~= 'string' or not PRESENCE[v] then
        fail('ARG', 'presence must be available, away or offline')
    end
    return v
end

-- A calendar date "YYYY-MM-DD" (years 2000..2999) → its 00:00 UTC in ms.
-- Days are counted with H. Hinnant's days_from_civil (proleptic Gregorian),
-- exact in doubles for any year we accept.
local MONTH_DAYS = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}

local function v_date(name, v)
    local y, m, d
    if type(v) == 'string' then y, m, d = string.match(v, '^(%d%d%d%d)%-(%d%d)%-(%d%d)$') end
    if not y then fail('ARG', name .. ' must be a date YYYY-MM-DD') end
    y, m, d = tonumber(y), tonumber(m), tonumber(d)
    if y < 2000 or y > 2999 then fail('ARG', name .. ' year must be in 2000..2999') end
    local dim = MONTH_DAYS[m]
    if m == 2 and y % 4 == 0 and (y % 100 ~= 0 or y % 400 == 0) then dim = 29 end
    if not dim or d < 1 or d > dim then fail('ARG', name .. ' ' .. v .. ' is not a calendar date') end
    if m <= 2 then y = y - 1 end
    local era = math.floor(y / 400)
    local yoe = y - era * 400
    local doy = math.floor((153 * ((m + 9) % 12) + 2) / 5) + d - 1
    local days = era * 146097 + yoe * 365 + math.floor(yoe / 4) - math.floor(yoe / 100) + doy - 719468
    return days * 86400000
end

-- Canonical identity: the key under which P:ident finds the customer.
-- phone:, sms: and tel: are one number space (a customer who calls and then
-- texts is one customer); visual separators are dropped so "+33 1 23-45"
-- and "+33123 45" meet. Email addresses are compared case-insensitively,
-- as every real mail system does. Anything else is taken as given.
local function canon_identity(v)
    v_str('identity', v, MAX_ID, false)
    local scheme, rest = string.match(v, '^([%a][%w_%-]*):(.+)$')
    if not scheme or string.find(v, ',', 1, true) then
        fail('ARG', 'identity must be scheme:value (no commas)')
    end
    scheme = string.lower(scheme)
    if scheme == 'phone' or scheme == 'sms' or scheme == 'tel' then
        rest = string.gsub(rest, '[%s%-%.%(%)]', '')
        if rest == '' then fail('ARG', 'empty phone number') end
        return 'tel:' .. rest
    elseif scheme == 'email' or scheme == 'mailto' then
        return 'email:' .. string.lower(rest)
    end
    return scheme .. ':' .. rest
end

---------------------------------------------------------------------------
-- Per-call context: tenant prefix, one clock reading, the tenant config.
-- Reading the config on every call (one HGETALL of ~10 fields) is cheaper
-- than any cache we could keep, and means oq_config takes effect at once.
---------------------------------------------------------------------------

local CFG_DEFAULTS = {
    affinity_window = 604800, affinity_wait = 0, offer_timeout = 20, max_misses = 2,
    wrapup_time = 0, policy = 'blended', lookahead = 16, reopen_window = 0, max_wait = 0,
}
local CFG_LIMITS = {
    affinity_window = {0, 315360000}, affinity_wait = {0, 86400}, offer_timeout = {1, 86400},
    max_misses = {0, 1000}, wrapup_time = {0, 86400}, lookahead = {1, 256},
    reopen_window = {0, 315360000}, max_wait = {0, 31536000},
}

local function check_key(keys)
    if #keys ~= 1 or type(keys[1]) ~= 'string' or #keys[1] > 300
        or not string.match(keys[1], '^oq:{[^{}]+}$') then
        fail('ARG', 'exactly one key, the tenant prefix oq:{tenant}')
    end
    return keys[1]
end

local function load_cfg(P)
    local raw = redis.call('HGETALL', P .. ':cfg')
    local c = {}
    for k, v in pairs(CFG_DEFAULTS) do c[k] = v end
    for i = 1, #raw, 2 do
        local k, v = raw[i], raw[i + 1]
        local d = CFG_DEFAULTS[k]
        if type(d) == 'number' then
            local n = tonumber(v)
            local lim = CFG_LIMITS[k]
            if n and n >= lim[1] and n <= lim[2] then c[k] = math.floor(n) end
        elseif d ~= nil and (v == 'blended' or v == 'voice_exclusive') then
            c[k] = v
        end
    end
    return c
end

local function begin(keys)
    local P = check_key(keys)
    return {P = P, now = now_ms(), cfg = load_cfg(P)}
end

local function begin_ro(keys)
    local P = check_key(keys)
    return {P = P}
end

local function stat_incr(ctx, field)
    redis.call('HINCRBY', ctx.P .. ':stat', field, 1)
end

-- Every state change goes to the session's own history and to the tenant
-- stream that other nodes and agent desks tail. The tenant stream is capped
-- approximately (MAXLEN ~ trims whole macro nodes, which is what keeps XADD
-- O(1)); consumers that fall 100k events behind resync from the hashes.
-- `s`, when given, is the loaded session (its channel and ext save a read).
local function emit(ctx, typ, sid, state, agent, reason, s)
    agent = agent or ''
    local channel, ext = '', ''
    if sid ~= '' then
        redis.call('XADD', ctx.P .. ':s:' .. sid .. ':ev', '*', 'state', state,
            'at', istr(ctx.now), 'agent', agent, 'reason', reason or typ)
        -- channel and ext let each node's dispatcher hand the event to the
        -- driver that owns the customer's connection without reading the hash
        if s and s.channel and s.ext then
            channel, ext = s.channel, s.ext
        else
            local v = redis.call('HMGET', ctx.P .. ':s:' .. sid, 'channel', 'ext')
            channel, ext = v[1] or '', v[2] or ''
        end
    end
    redis.call('XADD', ctx.P .. ':events', 'MAXLEN', '~', EVENTS_MAXLEN, '*',
        'type', typ, 'sid', sid, 'agent', agent, 'state', state, 'channel', channel, 'ext', ext)
end

-- Numeric order of decimal ids without leading zeros (all of ours: INCRs),
-- exact for any length, where tonumber() would round past 2^53.
local function id_lt(x, y)
    if #x ~= #y then return #x < #y end
    return x < y
end

-- Flatten a Lua map into a sorted flat array (stable output for tests).
local function flat_sorted(map)
    local names = {}
    for k in pairs(map) do names[#names + 1] = k end
    table.sort(names)
    local out = {}
    for _, k in ipairs(names) do
        out[#out + 1] = k
        out[#out + 1] = map[k]
    end
    return out
end
