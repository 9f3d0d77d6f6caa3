-- 02_util.lua — small helpers every other file uses (the table `U`).
--
-- Errors. The contract promises "nothing is written when an error is returned". We get
-- that by construction rather than by rollback (Redis has none): every handler validates
-- its arguments and reads everything it will decide on *before* its first write. A
-- refusal raises a Lua error carrying a redis.error_reply table; the pcall wrapper in
-- 90_register turns it back into a clean `OQ_<CODE> text` reply (raising it straight
-- through Redis would append "script: ..., on @user_function:N" to the message, and
-- callers match on the code).
--
-- Numbers. Lua 5.1 numbers are doubles. Scores are built as `band * 2^42 + ms`, which
-- stays below 2^53 for any band we use, so they are exact; but tostring() would print them
-- in exponent form once they pass 14 digits, which Redis would parse back fine but humans
-- and the C side would not. U.istr() is therefore the only way numbers become strings.

local U = {}

U.TWO42 = 4398046511104          -- 2^42 ms is ~139 years: room for any epoch ms
U.CLASSES = {'voice', 'chat', 'email'}
U.CLASS_SET = {voice = true, chat = true, email = true}
U.CHANNEL_CLASS = {phone = 'voice', web = 'chat', wechat = 'chat', app = 'chat', sms = 'chat',
                   email = 'email'}
U.TERMINAL = {closed = true, abandoned = true, expired = true}
-- the queues a listing reads at most (oq_queue_list, oq_stats, oq_waiting)
U.MAX_QUEUES = 1000

function U.istr(x)
    return sfmt('%d', x)
end

-- Small counts (loads, capacities, levels: 0..CAP_MAX) as strings and back through the
-- tables DEC and NUM (01_builtins.lua) instead of sprintf and strtod; larger ones convert.
-- Every integer the library hands to redis.call or returns goes through here or istr: a
-- Lua number given to redis.call is formatted by Redis with "%.17g", tostring() uses
-- "%.14g" (an exponent past 10^14), and both cost several times what "%d" does.
function U.dec(n)
    return DEC[n] or sfmt('%d', n)
end

function U.int(s)
    local n = NUM[s]
    if n then return n end
    n = tonum(s)
    if n == nil then U.fail('INTERNAL', 'stored value is not a number: ' .. tostr(s)) end
    return n
end

function U.fail(code, msg)
    error(redis.error_reply('OQ_' .. code .. ' ' .. msg), 0)
end

-- The text of an error pcall caught: U.fail() and a failed redis.call raise an
-- error_reply table ({err = text}), Lua itself a string.
function U.error_text(e)
    if type_(e) == 'table' then e = e.err end
    return tostr(e)
end

-- A number read back from Redis. A stored value that is not a number is corruption (a
-- hand edit, a bug): refuse the call before anything is written rather than guess.
function U.num(v, default, what)
    if v == nil or v == false or v == '' then return default end
    local n = tonum(v)
    if n == nil then U.fail('INTERNAL', (what or 'stored value') .. ' is not a number: ' .. tostr(v)) end
    return n
end

-- Split "a,b,c" into a list; "" gives an empty list. Callers bound the count.
function U.split(s, sep)
    local out = {}
    if s == nil or s == '' then return out end
    local start = 1
    while true do
        local i = sfind(s, sep, start, true)
        if not i then
            out[#out + 1] = ssub(s, start)
            return out
        end
        out[#out + 1] = ssub(s, start, i - 1)
        start = i + 1
    end
end

-- Comma lists kept in one hash field (an agent's held sessions, a customer's identities):
-- a handful of short items, so a string beats a key of its own (no key to create, read
-- and write with the hash in the same call).
function U.list_has(list, item)
    return sfind(',' .. list .. ',', ',' .. item .. ',', 1, true) ~= nil
end

function U.list_add(list, item)
    if list == '' then return item end
    return list .. ',' .. item
end

function U.list_del(list, item)
    local s = ',' .. list .. ','
    local i = sfind(s, ',' .. item .. ',', 1, true)
    if not i then return list end
    s = ssub(s, 1, i) .. ssub(s, i + #item + 2)
    return ssub(s, 2, -2)
end

-- Numeric order of decimal ids without leading zeros (all of ours: INCRs), exact for any
-- length, where tonumber() would round past 2^53.
function U.id_lt(x, y)
    if #x ~= #y then return #x < #y end
    return x < y
end

-- The members of sorted set key due by now (scored by when), at most max, soonest first:
-- what each sweep works through (50_sweep.lua and the sweeps of the files after it).
function U.due(ctx, key, max)
    return rcall('ZRANGEBYSCORE', key, '-inf', ctx.ns, 'LIMIT', 0, max)
end

-- {k1, v1, k2, v2, ...} (a hash's or a stream entry's fields) as a table k -> v.
function U.map(flat)
    local m = {}
    for i = 1, #flat, 2 do m[flat[i]] = flat[i + 1] end
    return m
end

-- Flatten a Lua map into a sorted flat array (stable output for tests).
function U.flat_sorted(map)
    local names = {}
    for k in pairs_(map) do names[#names + 1] = k end
    tsort(names)
    local out = {}
    for _, k in ipairs_(names) do
        out[#out + 1] = k
        out[#out + 1] = map[k]
    end
    return out
end

-- A set from a list.
function U.set_of(list)
    local set = {}
    for _, v in ipairs_(list) do set[v] = true end
    return set
end

-- A tenant's named record of settings (a follow-up rule, a queue's survey): the hash hkey,
-- its name in the zset lkey, at most L.SLA_POLICIES_MAX of them (`what` names them in the
-- refusal). args[from..] are field value pairs, each field once; check(f, v) returns the
-- value to keep or fails; fields not given keep their value, else their default; verify(cur)
-- (may be nil) fails on a record that is incomplete. Everything is checked before a write.
function U.named_set(ctx, hkey, lkey, name, args, from, fields, defaults, check, what, verify)
    if #args < from + 1 or (#args - from) % 2 ~= 1 then
        U.fail('ARG', 'wrong number of arguments, expected: name field value [field value...]')
    end
    local cur, seen = {}, {}
    local v = rcall('HMGET', hkey, unpk(fields))
    for i, f in ipairs_(fields) do cur[f] = v[i] or defaults[f] end
    for i = from, #args, 2 do
        if seen[args[i]] then U.fail('ARG', 'field ' .. args[i] .. ' given twice') end
        seen[args[i]] = true
        cur[args[i]] = check(args[i], args[i + 1])
    end
    if verify then verify(cur) end
    if rcall('EXISTS', hkey) == 0 and rcall('ZCARD', lkey) >= L.SLA_POLICIES_MAX then
        U.fail('CAPACITY', 'a tenant has at most ' .. L.SLA_POLICIES_MAX .. ' ' .. what)
    end
    local all = {}
    for _, f in ipairs_(fields) do all[#all + 1] = f; all[#all + 1] = cur[f] end
    rcall('HSET', hkey, unpk(all))
    rcall('ZADD', lkey, 0, name)
    return 'OK'
end

-- The records of U.named_set, by name: rows [label, <name>, field, value, ...] (defaults
-- where a field is missing); hprefix .. name is each one's hash.
function U.named_list(lkey, hprefix, label, fields, defaults)
    local out = {}
    for _, name in ipairs_(rcall('ZRANGE', lkey, 0, -1)) do
        local v = rcall('HMGET', hprefix .. name, unpk(fields))
        local row = {label, name}
        for i, f in ipairs_(fields) do row[#row + 1] = f; row[#row + 1] = v[i] or defaults[f] end
        out[#out + 1] = row
    end
    return out
end
