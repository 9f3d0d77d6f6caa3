-- 03_valid.lua — argument validation (the table `V`).
--
-- Every function validates all of its arguments before it reads or writes anything, and
-- each helper either returns the parsed value or raises OQ_ARG naming the argument, so
-- that the caller can log something useful. The limits come from L (limits.def), the
-- same numbers the C side checks with before a call ever reaches Redis: what C accepts,
-- this accepts in its canonical form, and the other way round (tests/redis/test_limits.py).

local V = {}

local fail = U.fail
local ID_PAT = '^[%w' .. L.ID_CHARS .. ']+$'
local SKILL_PAT = '^[a-z0-9][a-z0-9' .. L.SKILL_CHARS .. ']*$'
local PRESENCE = {offline = true, available = true, away = true}

function V.args(args, n, usage)
    if #args ~= n then fail('ARG', 'wrong number of arguments, expected: ' .. usage) end
end

function V.str(name, v, maxlen, allow_empty)
    if type_(v) ~= 'string' then fail('ARG', name .. ' missing') end
    if v == '' and not allow_empty then fail('ARG', name .. ' must not be empty') end
    if #v > maxlen then fail('ARG', name .. ' longer than ' .. maxlen .. ' bytes') end
    if sfind(v, '[%z\1-\31\127]') then fail('ARG', name .. ' contains control characters') end
    return v
end

-- Message bodies may contain newlines and tabs, only NUL is refused.
function V.body(name, v)
    if type_(v) ~= 'string' or v == '' then fail('ARG', name .. ' missing') end
    if #v > L.BODY_MAX then fail('ARG', name .. ' longer than ' .. L.BODY_MAX .. ' bytes') end
    if sfind(v, '%z') then fail('ARG', name .. ' contains a NUL byte') end
    return v
end

function V.int(name, v, lo, hi)
    if type_(v) ~= 'string' or not smatch(v, '^%-?%d+$') or #v > 15 then
        fail('ARG', name .. ' must be an integer')
    end
    local n = tonum(v)
    if n < lo or n > hi then fail('ARG', name .. ' must be in ' .. lo .. '..' .. hi) end
    return n
end

-- Agent ids, queue names and dispositions: they end up in key names (P:a:<aid>), in comma
-- lists and in URLs, so only letters, digits and ID_CHARS (no ':', ',', '/').
function V.id(name, v)
    if type_(v) ~= 'string' or v == '' then fail('ARG', name .. ' missing') end
    if #v > L.ID_MAX then fail('ARG', name .. ' longer than ' .. L.ID_MAX .. ' bytes') end
    if not smatch(v, ID_PAT) then
        fail('ARG', name .. ' may only contain letters, digits and ' .. string.gsub(L.ID_CHARS, '%%', ''))
    end
    return v
end

-- A queue name as enqueue and transfer take it: "" is the `default` queue.
function V.queue(v)
    if v == '' then return 'default' end
    return V.id('queue', v)
end

-- A disposition: "" leaves the session's as it is.
function V.disposition(v)
    if v == '' then return v end
    return V.id('disposition', v)
end

local function decimal(v, what)
    if type_(v) ~= 'string' or not smatch(v, '^%d+$') or #v > L.SID_DIGITS_MAX then
        fail('ARG', what .. ' must be a decimal number')
    end
    return v
end

function V.sid(v) return decimal(v, 'session id') end
function V.cid(v) return decimal(v, 'customer id') end

function V.channel(v)
    if type_(v) ~= 'string' or #v > L.CHANNEL_MAX or not smatch(v, '^[a-z][a-z0-9_%-]*$') then
        fail('ARG', 'channel must match [a-z][a-z0-9_-]{0,' .. (L.CHANNEL_MAX - 1) .. '}')
    end
    return v
end

-- Built-in channels have a fixed class; integrators' channels must name one. A built-in
-- channel with a different class is a caller bug, not a choice.
function V.class(v, channel)
    if type_(v) ~= 'string' then fail('ARG', 'class missing') end
    local fixed = U.CHANNEL_CLASS[channel]
    if v == '' then
        if not fixed then fail('ARG', 'class required for channel ' .. channel) end
        return fixed
    end
    if not U.CLASS_SET[v] then fail('ARG', 'class must be voice, chat or email') end
    if fixed and fixed ~= v then fail('ARG', 'channel ' .. channel .. ' is class ' .. fixed) end
    return v
end

function V.skill_name(v)
    if #v == 0 or #v > L.SKILL_NAME_MAX or not smatch(v, SKILL_PAT) then
        fail('ARG', 'bad skill name "' .. ssub(v, 1, 64) .. '" (lowercase [a-z0-9] then [a-z0-9'
            .. string.gsub(L.SKILL_CHARS, '%%', '') .. '], max ' .. L.SKILL_NAME_MAX .. ')')
    end
end

-- Byte order, the order C sorts skills in (oq_validate.c). Not `<`: Lua compares strings
-- with strcoll and Redis takes LC_COLLATE from its environment, so under en_US.UTF-8
-- "a-c" comes after "ab" and C's canonical "a-c,ab" would be refused as unsorted.
function V.bytes_lt(a, b)
    for i = 1, mmin(#a, #b) do
        local x, y = sbyte(a, i), sbyte(b, i)
        if x ~= y then return x < y end
    end
    return #a < #b
end

-- Session skills arrive canonical: lowercased, sorted, deduplicated. We do not silently
-- repair a non-canonical list because the first two skills decide the wait index; two
-- callers disagreeing on order would split one queue.
function V.session_skills(v)
    if type_(v) ~= 'string' or #v > L.SESSION_SKILLS_MAX * (L.SKILL_NAME_MAX + 1) then
        fail('ARG', 'skills missing or too long')
    end
    local list = U.split(v, ',')
    if #list > L.SESSION_SKILLS_MAX then
        fail('ARG', 'at most ' .. L.SESSION_SKILLS_MAX .. ' skills per session')
    end
    for i = 1, #list do
        V.skill_name(list[i])
        if i > 1 and not V.bytes_lt(list[i - 1], list[i]) then
            fail('ARG', 'skills must be sorted and without duplicates')
        end
    end
    return list
end

-- Agent skills "en:3,sales:5" → the canonical string (sorted by name), the map name→level
-- and the sorted names.
function V.agent_skills(v)
    if type_(v) ~= 'string' or #v > L.AGENT_SKILLS_MAX * (L.SKILL_NAME_MAX + 4) then
        fail('ARG', 'skills missing or too long')
    end
    local list = U.split(v, ',')
    if #list > L.AGENT_SKILLS_MAX then fail('ARG', 'at most ' .. L.AGENT_SKILLS_MAX .. ' skills per agent') end
    local map, names = {}, {}
    for i = 1, #list do
        local name, lvl = smatch(list[i], '^([^:]*):(%d+)$')
        if not name then fail('ARG', 'agent skill must be name:level') end
        V.skill_name(name)
        local n = tonum(lvl)
        if n < L.LEVEL_MIN or n > L.LEVEL_MAX or #lvl > 2 then
            fail('ARG', 'skill level must be ' .. L.LEVEL_MIN .. '..' .. L.LEVEL_MAX)
        end
        if map[name] then fail('ARG', 'duplicate skill ' .. name) end
        map[name] = n
        names[#names + 1] = name
    end
    tsort(names, V.bytes_lt)
    local parts = {}
    for i, name in ipairs_(names) do parts[i] = name .. ':' .. map[name] end
    return tconcat(parts, ','), map, names
end

-- Capacities "voice=1,chat=4,email=8,total=10". A missing class is 0 (the agent does not
-- take that class); a missing total is the sum (at most CAP_MAX).
function V.caps(v)
    if type_(v) ~= 'string' or #v > 256 then fail('ARG', 'caps missing or too long') end
    local caps = {}
    for _, item in ipairs_(U.split(v, ',')) do
        local k, n = smatch(item, '^(%a+)=(%d+)$')
        if not k or (not U.CLASS_SET[k] and k ~= 'total') then
            fail('ARG', 'caps must be voice=N,chat=N,email=N,total=N')
        end
        if caps[k] then fail('ARG', 'duplicate cap ' .. k) end
        if #n > 5 or tonum(n) > L.CAP_MAX then fail('ARG', 'cap must be 0..' .. L.CAP_MAX) end
        caps[k] = tonum(n)
    end
    local sum = 0
    for _, c in ipairs_(U.CLASSES) do
        caps[c] = caps[c] or 0
        sum = sum + caps[c]
    end
    if caps.total == nil then caps.total = mmin(sum, L.CAP_MAX) end
    return caps
end

function V.presence(v)
    if type_(v) ~= 'string' or not PRESENCE[v] then
        fail('ARG', 'presence must be available, away or offline')
    end
    return v
end

function V.secret(v)
    if type_(v) ~= 'string' or #v < 1 or #v > L.SECRET_MAX or not smatch(v, '^[!-~]+$') then
        fail('ARG', 'secret must be 1..' .. L.SECRET_MAX .. ' printable ASCII characters, no spaces')
    end
    return v
end

-- A calendar date "YYYY-MM-DD" (years 2000..2999) → its 00:00 UTC in ms. Days are counted
-- with H. Hinnant's days_from_civil (proleptic Gregorian), exact in doubles for any year
-- we accept.
local MONTH_DAYS = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}

function V.date(name, v)
    local y, m, d
    if type_(v) == 'string' then y, m, d = smatch(v, '^(%d%d%d%d)%-(%d%d)%-(%d%d)$') end
    if not y then fail('ARG', name .. ' must be a date YYYY-MM-DD') end
    y, m, d = tonum(y), tonum(m), tonum(d)
    if y < 2000 or y > 2999 then fail('ARG', name .. ' year must be in 2000..2999') end
    local dim = MONTH_DAYS[m]
    if m == 2 and y % 4 == 0 and (y % 100 ~= 0 or y % 400 == 0) then dim = 29 end
    if not dim or d < 1 or d > dim then fail('ARG', name .. ' ' .. v .. ' is not a calendar date') end
    if m <= 2 then y = y - 1 end
    local era = mfloor(y / 400)
    local yoe = y - era * 400
    local doy = mfloor((153 * ((m + 9) % 12) + 2) / 5) + d - 1
    local days = era * 146097 + yoe * 365 + mfloor(yoe / 4) - mfloor(yoe / 100) + doy - 719468
    return days * 86400000
end

-- Canonical identity: the key under which P:ident finds the customer. phone:, sms: and
-- tel: are one number space (a customer who calls and then texts is one customer);
-- visual separators are dropped so "+33 1 23-45" and "+33123 45" meet. Email addresses
-- are compared case-insensitively, as every real mail system does. Anything else is
-- taken as given.
function V.identity(v)
    V.str('identity', v, L.IDENTITY_MAX, false)
    local scheme, rest = smatch(v, '^([%a][%w_%-]*):(.+)$')
    if not scheme or sfind(v, ',', 1, true) then
        fail('ARG', 'identity must be scheme:value (no commas)')
    end
    scheme = slower(scheme)
    if scheme == 'phone' or scheme == 'sms' or scheme == 'tel' then
        rest = string.gsub(rest, '[%s%-%.%(%)]', '')
        if rest == '' then fail('ARG', 'empty phone number') end
        return 'tel:' .. rest
    elseif scheme == 'email' or scheme == 'mailto' then
        return 'email:' .. slower(rest)
    end
    return scheme .. ':' .. rest
end
